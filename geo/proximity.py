"""Radius searches between point sets with a k-d tree on Earth-centred coordinates.

Straight 3-D chords (EPSG:4978) are never longer than the geodesic on the ellipsoid, so a chord
search with radius r returns every pair whose geodesic distance is at most r, at any extent
(a cross-border or continental case included) and without any projection distortion; the
geodesic check follows (:func:`geo.geodesy.pair_geodesic_m`: from the chord up to 100 km, within
2e-9 relative of pyproj's ``Geod.inv``; ``Geod.inv`` beyond). No n x m matrix is ever built.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from geo.geodesy import EarthPoints, pair_geodesic_m

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def ecef_m(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Earth-centred, Earth-fixed coordinates in metres (n x 3) of lon/lat points (EPSG:4978,
    on the ellipsoid)."""
    return EarthPoints(lon, lat).xyz()


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
    a, b = EarthPoints(lon_a, lat_a), EarthPoints(lon_b, lat_b)
    if len(a) == 0 or len(b) == 0:
        empty = np.empty(0, dtype="int64")
        return empty, empty, np.empty(0)
    radius = np.broadcast_to(np.asarray(max_distance_m, dtype="float64"), a.lon.shape)
    tree_b = cKDTree(b.xyz())
    xyz_a = a.xyz()
    within = int(tree_b.query_ball_point(xyz_a, r=radius, return_length=True).sum())
    if 2 * within >= len(a) * len(b):
        # Most pairs are within reach (a compact case): measuring every pair costs less than
        # listing them from the tree, and comes out in the same order.
        i = np.repeat(np.arange(len(a), dtype="int64"), len(b))
        j = np.tile(np.arange(len(b), dtype="int64"), len(a))
    else:
        # Multi-point queries come back sorted by j within each i, so the pairs need no sort.
        found = tree_b.query_ball_point(xyz_a, r=radius, return_sorted=True)
        counts = np.fromiter((len(f) for f in found), dtype="int64", count=len(found))
        i = np.repeat(np.arange(len(a), dtype="int64"), counts)
        j = np.fromiter(itertools.chain.from_iterable(found), dtype="int64", count=within)
    metres = pair_geodesic_m(a, b, i, j)
    keep = metres <= radius[i]
    return i[keep], j[keep], metres[keep]


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
    a, b = EarthPoints(lon_a, lat_a), EarthPoints(lon_b, lat_b)
    if len(a) == 0 or len(b) == 0 or k < 1:
        empty = np.empty(0, dtype="int64")
        return empty, empty, np.empty(0)
    k = min(k, len(b))
    tree_b = cKDTree(b.xyz())
    chord, found = tree_b.query(a.xyz(), k=k, distance_upper_bound=max_distance_m, workers=-1)
    chord, found = chord.reshape(len(a), k), found.reshape(len(a), k)
    hit = np.isfinite(chord)
    i = np.repeat(np.arange(len(a), dtype="int64"), k).reshape(len(a), k)[hit]
    j = found[hit].astype("int64")
    metres = pair_geodesic_m(a, b, i, j)
    keep = metres <= max_distance_m
    order = np.lexsort((j[keep], i[keep]))
    return i[keep][order], j[keep][order], metres[keep][order]
