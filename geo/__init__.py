"""CRS discipline, OpenStreetMap road networks and industrial areas, distances and routing.

Submodules are imported lazily (PEP 562 module ``__getattr__``): ``geo.network`` pulls in
osmnx and networkx, which cost seconds at start-up, so ``import geo`` (and everything that
only needs ``geo.crs`` or the error types) must not pay for them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from datasets.errors import SymbioMapError
from geo._errors import (
    CRSError,
    NetworkAreaError,
    NetworkFileError,
    NetworkUnavailableError,
    PointsFileError,
    RoutingError,
)

if TYPE_CHECKING:
    from geo import (
        cli,
        crs,
        distance,
        geodesy,
        modes,
        network,
        osm,
        proximity,
        routing,
        vehicles,
    )

_SUBMODULES = frozenset(
    {
        "cli",
        "crs",
        "distance",
        "geodesy",
        "modes",
        "network",
        "osm",
        "proximity",
        "routing",
        "vehicles",
    }
)

__all__ = [
    "CRSError",
    "NetworkAreaError",
    "NetworkFileError",
    "NetworkUnavailableError",
    "PointsFileError",
    "RoutingError",
    "SymbioMapError",
    "cli",
    "crs",
    "distance",
    "geodesy",
    "modes",
    "network",
    "osm",
    "proximity",
    "routing",
    "vehicles",
]


def __getattr__(name: str) -> ModuleType:
    """Import a submodule on first attribute access (``geo.network`` without an import).

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    types.ModuleType
        The submodule, imported now and cached in ``sys.modules`` and the package namespace.

    Raises
    ------
    AttributeError
        If ``name`` is not a submodule.
    """
    if name in _SUBMODULES:
        module = importlib.import_module(f"geo.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'geo' has no attribute {name!r}")
