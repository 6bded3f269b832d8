"""One place that decides which CRS a length or an area is measured in."""

from __future__ import annotations

from typing import TypeVar

import geopandas as gpd
from pyproj import CRS

from geo._errors import CRSError

STORAGE_CRS = CRS.from_epsg(4326)
"""Every case is stored in WGS84 longitude/latitude."""

_Frame = TypeVar("_Frame", gpd.GeoDataFrame, gpd.GeoSeries)


def metric_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """Return the UTM CRS (metres) that best fits the frame's extent.

    Parameters
    ----------
    frame
        Geometries with a defined CRS.

    Raises
    ------
    CRSError
        If the frame has no CRS or no non-empty geometry to centre the UTM zone on.
    """
    if frame.crs is None:
        msg = "the frame has no CRS: set one (e.g. EPSG:4326) before measuring lengths or areas"
        raise CRSError(msg)
    geographic = frame.to_crs(STORAGE_CRS)
    nonempty = geographic[~(geographic.is_empty | geographic.isna())]
    if len(nonempty) == 0:
        msg = "cannot choose a metric CRS for a frame without geometry"
        raise CRSError(msg)
    crs: CRS | None = nonempty.estimate_utm_crs()
    if crs is None:  # pragma: no cover - pyproj finds a UTM zone for any lon/lat
        msg = "no UTM zone fits this frame's extent"
        raise CRSError(msg)
    return crs


def to_metric(frame: _Frame, *, crs: CRS | None = None) -> _Frame:
    """Project ``frame`` to a metric CRS: ``crs`` when given, else :func:`metric_crs`.

    Use this before any buffer, length, area or planar distance so that lengths are in metres.
    """
    target = crs if crs is not None else metric_crs(frame)
    if not target.is_projected or target.axis_info[0].unit_name not in {"metre", "meter"}:
        msg = f"{target.name} is not a projected CRS in metres"
        raise CRSError(msg)
    return frame.to_crs(target)


def to_storage(frame: _Frame) -> _Frame:
    """Return ``frame`` in the storage CRS (EPSG:4326); refuse a frame without a CRS."""
    if frame.crs is None:
        msg = "the frame has no CRS; SymbioMap will not guess it here (see flows.io for loading)"
        raise CRSError(msg)
    return frame.to_crs(STORAGE_CRS)
