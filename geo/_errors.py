"""Exceptions raised by the geo package."""

from __future__ import annotations

from datasets.errors import SymbioMapError


class CRSError(SymbioMapError, ValueError):
    """A frame has no CRS, or one that cannot be used for the requested measure."""


class RoutingError(SymbioMapError, ValueError):
    """A road network cannot be used for routing (empty, no coordinates, no lengths)."""


class NetworkFileError(SymbioMapError, ValueError):
    """A file is not a usable road network or OpenStreetMap extract (not OSM, corrupt, no roads)."""


class NetworkAreaError(SymbioMapError, ValueError):
    """An area asked of OpenStreetMap is malformed, or OpenStreetMap has nothing to build there."""


class NetworkUnavailableError(SymbioMapError, ConnectionError):
    """OpenStreetMap (Overpass or Nominatim) cannot be reached from this machine."""


class PointsFileError(SymbioMapError, ValueError):
    """A file of sites cannot be read as points: unreadable, no geometry or lon/lat, no CRS."""
