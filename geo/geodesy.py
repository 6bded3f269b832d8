"""Geodesic distances on the WGS84 ellipsoid: the base both geo.distance and geo.proximity use.

Kept in its own light module (numpy and pyproj only) so that geo.proximity does not need
geo.distance, which needs geo.proximity: the two formed an import circle.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")
"""Every geodesic distance is measured on this ellipsoid (never on a sphere)."""

FloatArray = npt.NDArray[np.float64]


def geodesic_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Geodesic distance in metres between paired points (arrays broadcast like numpy's).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees, WGS84.
    """
    a, b, c, d = np.broadcast_arrays(
        np.asarray(lon1, dtype="float64"),
        np.asarray(lat1, dtype="float64"),
        np.asarray(lon2, dtype="float64"),
        np.asarray(lat2, dtype="float64"),
    )
    _, _, dist = WGS84.inv(a.ravel(), b.ravel(), c.ravel(), d.ravel())
    return np.asarray(dist, dtype="float64").reshape(a.shape)
