"""Geodesic (WGS84 ellipsoid) and planar (metric CRS) distances, vectorised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import modes
from geo.crs import metric_crs

# WGS84 and geodesic_m are re-exported: callers import them from here, as before geo.geodesy.
# (``X as X`` is the explicit re-export mypy --strict recognises.)
from geo.geodesy import WGS84 as WGS84  # noqa: PLC0414
from geo.geodesy import EarthPoints, FloatArray, pair_geodesic_m
from geo.geodesy import geodesic_m as geodesic_m  # noqa: PLC0414
from geo.modes import MODES, ModeFactor
from geo.proximity import pairs_within
from geo.routing import ACCESS_SPEED_KPH, DEFAULT_MAX_ACCESS_M, RoadNetwork


def geodesic_matrix_m(
    lon_a: npt.ArrayLike, lat_a: npt.ArrayLike, lon_b: npt.ArrayLike, lat_b: npt.ArrayLike
) -> FloatArray:
    """Geodesic distances in metres from every point A (rows) to every point B (columns)."""
    lon_a, lat_a = np.asarray(lon_a, dtype="float64"), np.asarray(lat_a, dtype="float64")
    lon_b, lat_b = np.asarray(lon_b, dtype="float64"), np.asarray(lat_b, dtype="float64")
    return geodesic_m(lon_a[:, None], lat_a[:, None], lon_b[None, :], lat_b[None, :])


def lonlat(points: gpd.GeoSeries) -> tuple[FloatArray, FloatArray]:
    """Longitudes and latitudes (degrees) of points; polygons give a point on their surface."""
    geographic = points.to_crs(4326)
    anchors = geographic.representative_point()
    return anchors.x.to_numpy(dtype="float64"), anchors.y.to_numpy(dtype="float64")


def planar_matrix_m(a: gpd.GeoSeries, b: gpd.GeoSeries) -> FloatArray:
    """Planar distances in metres in the metric CRS that fits both sets (rows A, columns B)."""
    crs = metric_crs(gpd.GeoSeries(list(a.to_crs(4326)) + list(b.to_crs(4326)), crs=4326))
    pa = a.to_crs(crs).representative_point()
    pb = b.to_crs(crs).representative_point()
    ax, ay = pa.x.to_numpy()[:, None], pa.y.to_numpy()[:, None]
    bx, by = pb.x.to_numpy()[None, :], pb.y.to_numpy()[None, :]
    return np.asarray(np.hypot(ax - bx, ay - by), dtype="float64")


DISTANCE_KINDS = ("road", "geodesic", "estimated")
"""How a distance was obtained: along the road network, plain geodesic, or geodesic times a
mode's circuity factor (``geo.modes``)."""

OD_COLUMNS = (
    "from_site",
    "to_site",
    "distance_m",
    "duration_s",
    "distance_kind",
    "mode",
    "geodesic_m",
    "circuity",
    "factor_version",
    "access_from_m",
    "access_to_m",
    "route_note",
)
"""Columns of :func:`od_table`."""

NOTE_OFF_NETWORK = "off network"
"""``route_note`` of a road pair estimated because a site is farther than ``max_access_m`` from
every road node."""
NOTE_NO_TRUCK_ROUTE = "no truck-legal route"
"""``route_note`` of a road pair estimated because no way a lorry may use reaches a site (it is
on the road network, but not within ``max_access_m`` of the truck-legal one)."""
NOTE_NO_NETWORK = "no road network given"
"""``route_note`` of a road pair estimated because no network was given."""
TRUCK_LEGAL_PREFIX = "truck-legal route: "
"""``route_note`` of a pair routed on a network restricted to a vehicle starts so, followed by
:meth:`geo.vehicles.VehicleProfile.describe`."""


def candidate_pairs(
    lon: FloatArray, lat: FloatArray, *, max_distance_m: float | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """Ordered index pairs (i != j) of points within ``max_distance_m`` geodesic, and their
    geodesic distances in metres.

    With a bound, a k-d tree on Earth-centred coordinates finds the pairs
    (:func:`geo.proximity.pairs_within`), so a radius search over tens of thousands of sites
    never builds the full n x n matrix. Distances are :func:`geo.geodesy.pair_geodesic_m`
    (within 2e-9 relative of ``Geod.inv``).
    """
    n = len(lon)
    if max_distance_m is None:
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        keep = i != j
        i, j = i[keep].astype("int64"), j[keep].astype("int64")
        points = EarthPoints(lon, lat)
        return i, j, pair_geodesic_m(points, points, i, j)

    i, j, metres = pairs_within(lon, lat, lon, lat, max_distance_m)
    distinct = i != j
    return i[distinct], j[distinct], metres[distinct]


def od_table(
    sites: gpd.GeoDataFrame,
    *,
    network: RoadNetwork | None = None,
    mode: str = "road",
    pairs: pd.DataFrame | None = None,
    max_distance_m: float | None = None,
    max_access_m: float = DEFAULT_MAX_ACCESS_M,
    circuity: Mapping[str, float] | None = None,
    factors: Mapping[str, ModeFactor] | None = None,
    estimate: bool = True,
    pipeline_on_roads: bool = False,
    id_column: str = "site_id",
    workers: int = 1,
) -> pd.DataFrame:
    """Distances between sites, one row per ordered pair, each saying how it was obtained.

    Parameters
    ----------
    sites
        Sites with an id column and point or polygon geometry (any CRS).
    network
        A routable road network; road pairs of sites on it get ``distance_kind="road"``.
    mode
        ``road``, ``rail``, ``inland-waterway``, ``sea`` or ``pipeline``.
    pairs
        ``from_site``/``to_site`` pairs to measure; default all ordered pairs (within
        ``max_distance_m`` when given).
    max_distance_m
        Drop pairs farther than this (by the distance reported); bounds the road search.
    max_access_m
        Sites farther than this from the network are off-network and estimated.
    circuity
        Per-mode overrides of the circuity factors.
    factors
        The circuity factors per mode (default: the bundled ones, :func:`geo.modes.read_factors`;
        an analysis passes its reference bundle's).
    estimate
        With False, pairs not measured on the network get the plain geodesic distance
        (``distance_kind="geodesic"``) instead of geodesic times circuity (``"estimated"``).
    pipeline_on_roads
        Measure pipelines along the road network (trench length) when a network is given.
    id_column
        The column holding site ids.
    workers
        Processes for the road searches (see :meth:`RoadNetwork.node_costs`).

    Returns
    -------
    DataFrame
        Columns :data:`OD_COLUMNS`: distances in metres, durations in seconds (road only; NaN
        where not modelled), the geodesic distance, the circuity used (NaN for road/geodesic),
        the factor set's version, the access legs (site to road node) in metres, and
        ``route_note``: why a road pair was estimated (:data:`NOTE_OFF_NETWORK`,
        :data:`NOTE_NO_TRUCK_ROUTE`, :data:`NOTE_NO_NETWORK`), or, on a network restricted to
        a vehicle (:meth:`geo.routing.RoadNetwork.restricted_to`), which vehicle the road
        route is legal for; missing otherwise.

    Notes
    -----
    On a network restricted to a vehicle, road pairs are routed over the ways that vehicle may
    use, and sites are snapped to that network; a site that only illegal ways reach (farther
    than ``max_access_m`` from the legal network but within it of a road) gives an estimated
    distance with :data:`NOTE_NO_TRUCK_ROUTE`. A pipeline laid along the roads
    (``pipeline_on_roads``) follows every road: it is measured on the unrestricted network.
    """
    ids = sites[id_column].to_numpy()
    lon, lat = lonlat(sites.geometry)
    if pairs is None:
        i, j, geo_m = candidate_pairs(lon, lat, max_distance_m=max_distance_m)
    else:
        position = pd.Series(np.arange(len(ids)), index=ids)
        i = position.loc[pairs["from_site"].to_numpy()].to_numpy().astype("int64")
        j = position.loc[pairs["to_site"].to_numpy()].to_numpy().astype("int64")
        points = EarthPoints(lon, lat)
        geo_m = pair_geodesic_m(points, points, i, j)
    measured = measure_pairs(
        sites.geometry,
        i,
        j,
        geodesic=geo_m,
        network=network,
        mode=mode,
        max_distance_m=max_distance_m,
        max_access_m=max_access_m,
        circuity=circuity,
        factors=factors,
        estimate=estimate,
        pipeline_on_roads=pipeline_on_roads,
        workers=workers,
    )
    keep = None if max_distance_m is None else measured["distance_m"] <= max_distance_m
    if keep is not None and not keep.all():
        # Filter the arrays, not a finished frame: one copy of each column instead of two.
        i, j, geo_m = i[keep], j[keep], geo_m[keep]
        measured = {
            key: value[keep] if isinstance(value, np.ndarray | pd.Categorical) else value
            for key, value in measured.items()
        }
    n_rows = len(i)
    # Ids are converted to pandas' string type once per site, then taken per pair: converting a
    # million Python strings was a tenth of the table's time.
    site_ids = pd.Series(ids).array
    return pd.DataFrame(
        {
            "from_site": site_ids.take(i),
            "to_site": site_ids.take(j),
            "distance_m": measured["distance_m"],
            "duration_s": measured["duration_s"],
            "distance_kind": measured["distance_kind"],
            "mode": _repeated(mode, n_rows),
            "geodesic_m": geo_m,
            "circuity": measured["circuity"],
            "factor_version": _repeated(measured["factor_version"], n_rows),
            "access_from_m": measured["access_from_m"],
            "access_to_m": measured["access_to_m"],
            "route_note": measured["route_note"],
        },
        # The arrays are fresh and not shared: adopting them saves copying each column again.
        copy=False,
    )


def _repeated(value: object, n: int) -> pd.api.extensions.ExtensionArray:
    """``value`` n times, in the dtype pandas gives a scalar broadcast into a frame."""
    return pd.Series([value]).array.take(np.zeros(n, dtype=np.intp))


def measure_pairs(
    geometry: gpd.GeoSeries,
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
    *,
    geodesic: FloatArray | None = None,
    network: RoadNetwork | None = None,
    mode: str = "road",
    max_distance_m: float | None = None,
    max_access_m: float = DEFAULT_MAX_ACCESS_M,
    circuity: Mapping[str, float] | None = None,
    factors: Mapping[str, ModeFactor] | None = None,
    estimate: bool = True,
    pipeline_on_roads: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    """Distances of site pairs given by position (``i`` from, ``j`` to) in ``geometry``.

    The array form of :func:`od_table` for callers that already hold positions (matching a
    large case): returns arrays aligned with ``i``/``j`` under the keys of :data:`OD_COLUMNS`
    (``distance_kind`` and ``route_note`` as categoricals), pairs beyond ``max_distance_m``
    included as measured (the caller filters). A ``network`` restricted to a vehicle routes
    road pairs over legal ways only (see :func:`od_table`).
    """
    table = modes.factors(circuity, table=factors)
    if mode not in table:
        msg = f"unknown mode {mode!r}; modes are {', '.join(MODES)}"
        raise ValueError(msg)
    factor = table[mode]
    if geodesic is None:
        points = EarthPoints(*lonlat(geometry))
        geodesic = pair_geodesic_m(points, points, i, j)
    n_pairs = len(i)
    distance = np.full(n_pairs, np.nan)
    duration = np.full(n_pairs, np.nan)
    access_from = np.full(n_pairs, np.nan)
    access_to = np.full(n_pairs, np.nan)
    road_code, geodesic_code, estimated_code = (DISTANCE_KINDS.index(k) for k in DISTANCE_KINDS)
    kind = np.full(n_pairs, estimated_code if estimate else geodesic_code, dtype="int8")
    routed = mode == "road" or (mode == "pipeline" and pipeline_on_roads)
    if network is not None and mode != "road":
        network = network.unrestricted  # a trench follows any road, legal for lorries or not
    if network is not None and routed and n_pairs:
        snapped = network.snap(geometry.reset_index(drop=True), max_access_m=max_access_m)
        off = snapped["off_network"].to_numpy()
        on = ~(off[i] | off[j])
        acc = snapped["access_m"].to_numpy()
        limit = np.inf if max_distance_m is None else max_distance_m
        everywhere = bool(on.all())
        net_m, net_s = _network_costs(
            network,
            snapped["node"].to_numpy(),
            i if everywhere else i[on],
            j if everywhere else j[on],
            limit=limit,
            workers=workers,
        )
        reached = np.isfinite(net_m)
        access_speed_ms = ACCESS_SPEED_KPH / 3.6
        if everywhere and reached.all():
            # Every pair routed (the usual case): whole arrays, no index lists, same sums.
            access_from, access_to = acc[i], acc[j]
            distance = net_m + access_from + access_to
            duration = net_s + (access_from + access_to) / access_speed_ms
            kind[:] = road_code
        else:
            idx = np.flatnonzero(on)[reached]
            access_from[idx], access_to[idx] = acc[i[idx]], acc[j[idx]]
            distance[idx] = net_m[reached] + access_from[idx] + access_to[idx]
            duration[idx] = net_s[reached] + (access_from[idx] + access_to[idx]) / access_speed_ms
            kind[idx] = road_code
            # Pairs on the network but beyond the search limit are farther than the bound.
            distance[np.flatnonzero(on)[~reached]] = np.inf
    todo = np.isnan(distance)
    note = _route_notes(
        geometry, i, j, network=network if routed else None, mode=mode, todo=todo, kind=kind,
        max_access_m=max_access_m,
    )  # fmt: skip
    multiplier = factor.circuity if estimate else 1.0
    distance[todo] = geodesic[todo] * multiplier
    if estimate and factor.fallback_speed_kph:
        duration[todo] = distance[todo] / (factor.fallback_speed_kph / 3.6)
    return {
        "distance_m": distance,
        "duration_s": duration,
        "distance_kind": pd.Categorical.from_codes(kind, categories=DISTANCE_KINDS),
        "geodesic_m": geodesic,
        "circuity": np.where(kind == estimated_code, factor.circuity, np.nan),
        "factor_version": factor.version,
        "access_from_m": access_from,
        "access_to_m": access_to,
        "route_note": note,
    }


def _route_notes(
    geometry: gpd.GeoSeries,
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
    *,
    network: RoadNetwork | None,
    mode: str,
    todo: npt.NDArray[np.bool_],
    kind: npt.NDArray[np.int8],
    max_access_m: float,
) -> pd.Categorical:
    """``route_note`` of each pair: why a road pair is estimated, or the vehicle it is legal for.

    ``network`` is the one routed on (None when the mode is not routed); ``todo`` marks the
    pairs left to estimate (a site off the network).
    """
    labels = [NOTE_OFF_NETWORK, NOTE_NO_TRUCK_ROUTE, NOTE_NO_NETWORK]
    note = np.full(len(i), -1, dtype="int8")
    if network is None:
        if mode == "road":
            note[:] = labels.index(NOTE_NO_NETWORK)
        return pd.Categorical.from_codes(note, categories=labels)
    note[todo] = labels.index(NOTE_OFF_NETWORK)
    if network.vehicle is not None:
        labels.append(TRUCK_LEGAL_PREFIX + network.vehicle.describe())
        note[kind == DISTANCE_KINDS.index("road")] = len(labels) - 1
        if todo.any():
            # Only the unrestricted graph tells a site in a field from a site that only
            # illegal ways reach; snapping again is one k-d tree query.
            anywhere = network.unrestricted.snap(
                geometry.reset_index(drop=True), max_access_m=max_access_m
            )
            off_roads = anywhere["off_network"].to_numpy()
            legal_only = todo & ~(off_roads[i] | off_roads[j])
            note[legal_only] = labels.index(NOTE_NO_TRUCK_ROUTE)
    return pd.Categorical.from_codes(note, categories=labels)


def _network_costs(
    network: RoadNetwork,
    node: npt.NDArray[np.int64],
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
    *,
    limit: float,
    workers: int = 1,
) -> tuple[FloatArray, FloatArray]:
    """Road metres and seconds from site ``i`` to site ``j`` (positions; ``node`` is each site's
    road node), one Dijkstra per distinct source node."""
    if len(i) == 0:
        return np.empty(0), np.empty(0)
    # Distinct nodes are found per site (thousands), not per pair (millions).
    from_site, to_site = np.zeros(len(node), dtype=bool), np.zeros(len(node), dtype=bool)
    from_site[i], to_site[j] = True, True
    sources, targets = np.unique(node[from_site]), np.unique(node[to_site])
    metres, seconds = network.node_costs(sources, targets, limit=limit, workers=workers)
    flat = np.searchsorted(sources, node)[i] * len(targets) + np.searchsorted(targets, node)[j]
    return metres.ravel()[flat], seconds.ravel()[flat]
