"""Road networks in the app: load or download one, exchange distances, one exchange's route.

UI-side glue between the Map page and :mod:`geo` (no widgets here). Networks built from a
bundled file are the same for every user and cached with ``st.cache_resource``; uploaded or
downloaded ones live in the session only (the page keeps them in ``st.session_state``).
"""

from __future__ import annotations

import math
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

import datasets
from geo import NetworkAreaError, distance, modes, osm, vehicles
from geo import network as geo_network
from geo.routing import DEFAULT_MAX_ACCESS_M, NoRouteError, RoadNetwork, RoutePath
from ui.keys import StateKeys
from ui.text import resource_label

if TYPE_CHECKING:
    import networkx as nx

    from flows.model import Case

__all__ = [
    "MAX_DOWNLOAD_SIDE_KM",
    "NETWORK_FILE_TYPES",
    "ROUTED_MODES",
    "LoadedNetwork",
    "NetworkCoverage",
    "Route",
    "bundled_network_path",
    "cached_distances",
    "cached_route",
    "download_box_km",
    "download_network",
    "exchange_distances",
    "exchange_label",
    "exchange_route",
    "load_network_file",
    "network_coverage",
    "network_from_upload",
]

NETWORK_FILE_TYPES = ["osm", "bz2", "pbf", "graphml"]
"""File name endings the network uploader accepts (``.osm``, ``.osm.bz2``, ``.osm.pbf``,
``.graphml``). Not ``.gpkg``: a broken one raises pyogrio's error, not ``NetworkFileError``."""

ROUTED_MODES = ("road", "pipeline")
"""Modes whose route is drawn on the road network (a pipeline trench often follows roads)."""

MAX_DOWNLOAD_SIDE_KM = 60.0
"""Largest side of the box around a case's sites that the app downloads from OpenStreetMap;
beyond it a download takes minutes and a local extract is the better way."""

BUNDLED_NETWORK_NAMES = ("network.graphml", "network.gpkg", "network.osm.pbf", "network.osm")
"""File names under which a bundled case folder may ship its road network."""

Progress = Callable[[str], object]


def _quiet(_message: str) -> None:
    return None


@dataclass(frozen=True, eq=False)
class LoadedNetwork:
    """A road graph ready for routing, with where it came from.

    Compared by identity: two loads of the same file are two networks (their distances are
    cached separately). Treat ``graph`` and ``road`` as read-only.

    Attributes
    ----------
    graph
        osmnx-style graph in EPSG:4326 (node ``x``/``y``; edge ``length``, ``travel_time``
        and ``geometry`` where simplified).
    road
        The routable view of ``graph`` (:class:`geo.routing.RoadNetwork`).
    label
        Where it came from, for people (a file name, "OpenStreetMap download").
    summary
        Size, e.g. ``"225 nodes, 478 edges, 39.0 km of road"``.
    """

    graph: nx.MultiDiGraph
    road: RoadNetwork
    label: str
    summary: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def _prepare(graph: nx.MultiDiGraph, *, label: str, progress: Progress) -> LoadedNetwork:
    summary = geo_network.summarize(graph).format()
    progress(f"Road graph: {summary}. Preparing it for routing…")
    # Freight is routed over the ways a 40 t articulated lorry may use (geo.vehicles); pipes
    # along roads use the unrestricted graph kept inside.
    road = RoadNetwork.from_graph(graph, vehicle=vehicles.DEFAULT_PROFILE)
    return LoadedNetwork(graph=graph, road=road, label=label, summary=summary)


def network_from_upload(
    file_name: str, data: bytes, *, progress: Progress = _quiet
) -> LoadedNetwork:
    """Build a network from an uploaded file, for this session only (never cached).

    The bytes are written under their original name into a temporary folder (the name's
    ending selects the reader) that is removed once the graph is built.

    Raises
    ------
    geo.NetworkFileError
        If the file is not an OpenStreetMap extract or saved network, or has no road.
    geo.RoutingError
        If the graph cannot be routed (no coordinates or lengths).
    """
    safe_name = Path(file_name).name or "network.osm"
    with tempfile.TemporaryDirectory(prefix="symbiomap-net-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        progress(f"Reading {safe_name}…")
        graph = geo_network.open_network(path)
    return _prepare(graph, label=safe_name, progress=progress)


@st.cache_resource(show_spinner="Building the road network…", max_entries=4)
def load_network_file(path: str, mtime_ns: int) -> LoadedNetwork:
    """Build the network of a bundled file once for every session (keyed by path and mtime).

    Only for files that are the same for every user; the result is shared, never mutate it.
    ``mtime_ns`` is only part of the cache key, so an edited file is read again.
    """
    del mtime_ns
    return _prepare(geo_network.open_network(path), label=Path(path).name, progress=_quiet)


def bundled_network_path(case_label: str | None) -> Path | None:
    """The road network file shipped with the bundled case ``case_label``, if any."""
    if case_label is None or case_label not in datasets.available():
        return None
    folder = datasets.get_path(case_label)
    for name in BUNDLED_NETWORK_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def download_box_km(
    case: Case, *, margin_m: float = osm.DEFAULT_MARGIN_M
) -> tuple[float, float] | None:
    """Width and height in km of the box :func:`download_network` would download.

    Returns
    -------
    tuple of float, or None
        ``(width_km, height_km)``; None when the case has no located site, so there is no
        box to download (the page says so instead of showing the error).
    """
    try:
        west, south, east, north = osm.bbox_around(case.sites, margin_m=margin_m)
    except NetworkAreaError:
        return None
    mid_lat = (south + north) / 2
    width = distance.geodesic_m(
        np.array([west]), np.array([mid_lat]), np.array([east]), np.array([mid_lat])
    )
    height = distance.geodesic_m(
        np.array([west]), np.array([south]), np.array([west]), np.array([north])
    )
    return float(width[0]) / 1000, float(height[0]) / 1000


def download_network(case: Case, *, progress: Progress = _quiet) -> LoadedNetwork:
    """Download (or read from the on-disk cache) the roads around the case's sites.

    Raises
    ------
    geo.NetworkUnavailableError
        If OpenStreetMap cannot be reached (found out within seconds).
    geo.NetworkAreaError
        If OpenStreetMap has no drivable road there.
    """
    progress("Downloading the roads around the sites from OpenStreetMap…")
    graph = geo_network.graph_around(case.sites)
    return _prepare(graph, label="OpenStreetMap download", progress=progress)


# -- coverage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkCoverage:
    """How many of a case's sites a road network reaches.

    Attributes
    ----------
    sites
        Number of sites of the case.
    on_network
        Sites within ``max_access_m`` of a road node (they are routed).
    nearest_m
        Straight distance from the closest site to its nearest road node, metres (NaN when
        the case has no site).
    max_access_m
        The access distance used, metres.
    """

    sites: int
    on_network: int
    nearest_m: float
    max_access_m: float

    @property
    def ready(self) -> bool:
        """Whether at least one site is on the network (otherwise no distance is by road)."""
        return self.on_network > 0

    def describe(self) -> str:
        """A plain sentence on the coverage, or "" when every site is on the network."""
        if self.on_network == self.sites:  # all sites reached (or no site at all)
            return ""
        limit = f"{self.max_access_m / 1000:,.1f} km"
        if not self.ready:
            return (
                f"This road network covers none of the case's {self.sites} sites (nearest is "
                f"{self.nearest_m / 1000:,.0f} km away, more than {limit}): load a network of "
                "the case's area."
            )
        off = self.sites - self.on_network
        return (
            f"{off} of the case's {self.sites} sites are more than {limit} from this road "
            "network, so their distances are estimated."
        )


def network_coverage(
    case: Case, net: LoadedNetwork, *, max_access_m: float = DEFAULT_MAX_ACCESS_M
) -> NetworkCoverage:
    """Snap the case's sites to ``net`` as routing does and count those within reach."""
    if case.sites.empty:
        return NetworkCoverage(0, 0, math.nan, max_access_m)
    snapped = net.road.snap(case.sites.geometry.reset_index(drop=True), max_access_m=max_access_m)
    return NetworkCoverage(
        sites=len(snapped),
        on_network=int((~snapped["off_network"]).sum()),
        nearest_m=float(snapped["access_m"].min()),
        max_access_m=max_access_m,
    )


# -- distances ---------------------------------------------------------------------------

_DISTANCE_COLUMNS = [
    "distance_m",
    "duration_s",
    "distance_kind",
    "geodesic_m",
    "circuity",
    "access_from_m",
    "access_to_m",
    "route_note",
]


def exchange_distances(case: Case, road: RoadNetwork | None) -> pd.DataFrame:
    """Distance, duration and how they were obtained for every exchange of ``case``.

    One :func:`geo.distance.od_table` per mode, on that mode's exchange pairs only (never all
    pairs of sites). Exchanges naming an unknown site or mode get no distance.

    Returns
    -------
    DataFrame
        Indexed like ``case.exchanges``: ``distance_m``, ``duration_s`` (NaN where not
        modelled), ``distance_kind`` (road / geodesic / estimated, NA where unknown),
        ``geodesic_m``, ``circuity``, ``access_from_m``, ``access_to_m``.
    """
    exchanges = case.exchanges
    out = pd.DataFrame(index=exchanges.index, columns=_DISTANCE_COLUMNS, dtype="float64")
    for text in ("distance_kind", "route_note"):
        out[text] = pd.Series(pd.NA, index=exchanges.index, dtype="object")
    if exchanges.empty:
        return out
    known = set(case.sites["site_id"])
    usable = (
        exchanges["from_site"].isin(known)
        & exchanges["to_site"].isin(known)
        & exchanges["mode"].isin(modes.MODES)
    )
    for mode, group in exchanges[usable].groupby("mode", sort=True):
        pairs = group[["from_site", "to_site"]].drop_duplicates()
        table = distance.od_table(case.sites, network=road, mode=str(mode), pairs=pairs)
        keyed = group[["from_site", "to_site"]].merge(
            table, on=["from_site", "to_site"], how="left"
        )
        keyed.index = group.index
        for column in _DISTANCE_COLUMNS:
            values = keyed[column]
            out.loc[group.index, column] = (
                values.astype("object") if column in {"distance_kind", "route_note"} else values
            )
    return out


def exchange_label(row: pd.Series) -> str:
    """How an exchange is named in the route picker and the route's tooltip:
    ``"asnaes → gyproc · 10 01 05 — Calcium-based reaction wastes ... (road)"`` (not escaped)."""
    mode = row.get("mode")
    suffix = f" ({mode})" if isinstance(mode, str) and mode else ""
    return f"{row['from_site']} → {row['to_site']} · {resource_label(row['resource'])}{suffix}"


# -- one route ---------------------------------------------------------------------------


Route = RoutePath
"""The road route of one exchange, ready to draw (:class:`geo.routing.RoutePath`)."""


def _site_point(case: Case, site_id: str) -> tuple[float, float]:
    lon, lat = distance.lonlat(case.sites.loc[case.sites["site_id"] == site_id].geometry)
    return float(lon[0]), float(lat[0])


def exchange_route(
    net: LoadedNetwork,
    case: Case,
    from_site: str,
    to_site: str,
    *,
    max_access_m: float = DEFAULT_MAX_ACCESS_M,
) -> Route | str:
    """The shortest road route between two sites (:meth:`geo.routing.RoadNetwork.route`, which
    snaps and measures as :func:`geo.distance.od_table` does), or a plain sentence saying why
    there is none."""
    known = set(case.sites["site_id"])
    for site in (from_site, to_site):
        if site not in known:
            return f"{site} is not a site of this case, so the exchange cannot be routed."
    try:
        return net.road.route(
            _site_point(case, from_site), _site_point(case, to_site), max_access_m=max_access_m
        )
    except NoRouteError as err:
        if err.end is None or err.access_m is None:
            return f"No road leads from {from_site} to {to_site} in this network."
        site = from_site if err.end == "from" else to_site
        return (
            f"{site} is {err.access_m / 1000:,.1f} km from the nearest road of the network "
            f"(more than {max_access_m / 1000:,.1f} km), so it cannot be routed."
        )


# -- per-session caches ------------------------------------------------------------------


def cached_distances(case: Case, net: LoadedNetwork | None) -> pd.DataFrame:
    """:func:`exchange_distances` of this case on this network, computed once per session
    for each (case, network) pair of objects and kept in ``st.session_state``."""
    entry = st.session_state.get(StateKeys.DISTANCES)
    if entry is not None and entry[0] is case and entry[1] is net:
        frame: pd.DataFrame = entry[2]
        return frame
    frame = exchange_distances(case, None if net is None else net.road)
    st.session_state[StateKeys.DISTANCES] = (case, net, frame)
    return frame


def cached_route(net: LoadedNetwork, case: Case, from_site: str, to_site: str) -> Route | str:
    """:func:`exchange_route`, remembered in ``st.session_state`` for the last pair asked."""
    entry = st.session_state.get(StateKeys.ROUTE)
    if (
        entry is not None
        and entry[0] is net
        and entry[1] is case
        and entry[2:4] == (from_site, to_site)
    ):
        route: Route | str = entry[4]
        return route
    route = exchange_route(net, case, from_site, to_site)
    st.session_state[StateKeys.ROUTE] = (net, case, from_site, to_site, route)
    return route
