"""Radius searches between point sets with a k-d tree on Earth-centred coordinates.

Straight 3-D chords (EPSG:4978) are never longer than the geodesic on the ellipsoid, so a chord
search with radius r returns every pair whose geodesic distance is at most r, at any extent
(a cross-border or continental case included) and without any projection distortion; the exact
geodesic check follows. No n x m matrix is ever built.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.geodesy import geodesic_m

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_TO_ECEF = Transformer.from_crs("EPSG:4326", "EPSG:4978", always_xy=True)


def ecef_m(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Earth-centred, Earth-fixed coordinates in metres (n x 3) of lon/lat points."""
    lon_arr = np.asarray(lon, dtype="float64")
    x, y, z = _TO_ECEF.transform(lon_arr, np.asarray(lat, dtype="float64"), np.zeros_like(lon_arr))
    return np.column_stack([x, y, z])


def pairs_within(
    lon_a: npt.ArrayLike,
    lat_a: npt.ArrayLike,
    lon_b: npt.ArrayLike,
    lat_b: npt.ArrayLike,
    max_distance_m: float | npt.ArrayLike,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Index pairs (i in A, j in B) within ``max_distance_m`` geodesic, and their distances (m).

    ``max_distance_m`` may be one radius or one per point of A (e.g. each supply's own economic
    distance). Pairs come sorted by i, then j.
    """
    lon_a, lat_a = np.asarray(lon_a, dtype="float64"), np.asarray(lat_a, dtype="float64")
    lon_b, lat_b = np.asarray(lon_b, dtype="float64"), np.asarray(lat_b, dtype="float64")
    if len(lon_a) == 0 or len(lon_b) == 0:
        empty = np.empty(0, dtype="int64")
        return empty, empty, np.empty(0)
    radius = np.broadcast_to(np.asarray(max_distance_m, dtype="float64"), lon_a.shape)
    tree_b = cKDTree(ecef_m(lon_b, lat_b))
    found = tree_b.query_ball_point(ecef_m(lon_a, lat_a), r=radius)
    counts = np.fromiter((len(f) for f in found), dtype="int64", count=len(found))
    i = np.repeat(np.arange(len(lon_a), dtype="int64"), counts)
    j = np.fromiter((k for f in found for k in f), dtype="int64", count=int(counts.sum()))
    metres = geodesic_m(lon_a[i], lat_a[i], lon_b[j], lat_b[j])
    keep = metres <= radius[i]
    order = np.lexsort((j[keep], i[keep]))
    return i[keep][order], j[keep][order], metres[keep][order]


def nearest_within(
    lon_a: npt.ArrayLike,
    lat_a: npt.ArrayLike,
    lon_b: npt.ArrayLike,
    lat_b: npt.ArrayLike,
    max_distance_m: float,
    *,
    k: int,
) -> tuple[IntArray, IntArray, FloatArray]:
    """For every point of A, its ``k`` nearest points of B within ``max_distance_m`` geodesic.

    Returns index pairs (i in A, j in B) sorted by i then j, and their geodesic distances (m).
    A chord search may rank two nearly equidistant neighbours differently from the geodesic;
    the distances returned are always geodesic.
    """
    lon_a, lat_a = np.asarray(lon_a, dtype="float64"), np.asarray(lat_a, dtype="float64")
    lon_b, lat_b = np.asarray(lon_b, dtype="float64"), np.asarray(lat_b, dtype="float64")
    if len(lon_a) == 0 or len(lon_b) == 0 or k < 1:
        empty = np.empty(0, dtype="int64")
        return empty, empty, np.empty(0)
    k = min(k, len(lon_b))
    tree_b = cKDTree(ecef_m(lon_b, lat_b))
    chord, found = tree_b.query(
        ecef_m(lon_a, lat_a), k=k, distance_upper_bound=max_distance_m, workers=-1
    )
    chord, found = chord.reshape(len(lon_a), k), found.reshape(len(lon_a), k)
    hit = np.isfinite(chord)
    i = np.repeat(np.arange(len(lon_a), dtype="int64"), k).reshape(len(lon_a), k)[hit]
    j = found[hit].astype("int64")
    metres = geodesic_m(lon_a[i], lat_a[i], lon_b[j], lat_b[j])
    keep = metres <= max_distance_m
    order = np.lexsort((j[keep], i[keep]))
    return i[keep][order], j[keep][order], metres[keep][order]
