"""Exceptions raised by the geo package (and the project-wide base class)."""

from __future__ import annotations


class SymbioMapError(Exception):
    """Base class of every error SymbioMap raises on purpose."""


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
