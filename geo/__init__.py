"""CRS discipline, OpenStreetMap road networks and industrial areas, distances and routing."""

from __future__ import annotations

from geo import cli, crs, distance, modes, network, osm, routing
from geo._errors import (
    CRSError,
    NetworkAreaError,
    NetworkFileError,
    NetworkUnavailableError,
    RoutingError,
    SymbioMapError,
)

__all__ = [
    "CRSError",
    "NetworkAreaError",
    "NetworkFileError",
    "NetworkUnavailableError",
    "RoutingError",
    "SymbioMapError",
    "cli",
    "crs",
    "distance",
    "modes",
    "network",
    "osm",
    "routing",
]
