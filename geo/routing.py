"""Road distances: snapping sites to a network and many-to-many shortest paths (scipy, in C)."""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo import vehicles
from geo._errors import RoutingError
from geo.crs import metric_crs
from geo.vehicles import VehicleProfile

if TYPE_CHECKING:
    # Only the annotation needs networkx; importing it costs ~1 s at start-up.
    import networkx as nx

DEFAULT_MAX_ACCESS_M = 1_000.0
"""A site farther than this from the nearest road node is flagged off-network."""
ACCESS_SPEED_KPH = 20.0
"""Speed assumed on the access leg between a site and its road node (yards, gates)."""
DEFAULT_ROAD_SPEED_KPH = 50.0
"""Speed assumed on an edge that has a length but no ``travel_time``."""
_ORIGIN_BATCH = 64
"""Origins per Dijkstra call: bounds memory to batch x nodes floats."""
_PARALLEL_MIN_EDGE_SCANS = 50_000_000
"""Sources x edges below which one process is faster than several (bench_distances.py: 1,000
sources on Antwerp's 13,566 edges ran 0.88 s in one process, 1.07 s in two; on the synthetic
grid's 359,115 edges, 500 sources ran 1.83 s in one and 1.02 s in two)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class NoRouteError(RoutingError):
    """No road route between two points: one is off the network, or none leads between them.

    Attributes
    ----------
    end
        ``"from"`` or ``"to"`` for the point that is off the network; None when both are on it
        but no road leads from one to the other.
    access_m
        How far the off-network point is from the nearest road node, metres (None otherwise).
    """

    def __init__(self, message: str, *, end: str | None, access_m: float | None) -> None:
        super().__init__(message)
        self.end = end
        self.access_m = access_m


@dataclass(frozen=True)
class RoutePath:
    """One road route, ready to draw.

    Attributes
    ----------
    road_lonlat
        Longitude/latitude pairs along the roads, from the node nearest the origin to the node
        nearest the destination (edge geometries where the graph has them).
    access_lonlat
        Two straight legs, origin to its road node and node to the destination.
    road_m, access_from_m, access_to_m
        Length along the roads and of the two access legs, metres.
    duration_s
        Travel time along the roads (the network's own edge times) plus the access legs at
        :data:`ACCESS_SPEED_KPH`, seconds.
    """

    road_lonlat: list[tuple[float, float]]
    access_lonlat: list[list[tuple[float, float]]]
    road_m: float
    access_from_m: float
    access_to_m: float
    duration_s: float

    @property
    def distance_m(self) -> float:
        """Total length: access legs plus roads, metres (``distance_m`` of the OD table)."""
        return self.road_m + self.access_from_m + self.access_to_m


@dataclass(frozen=True)
class _EdgeTable:
    """Every directed edge of a graph, parallel ones included, in matrix positions: what a
    network restricted to a vehicle is rebuilt from (a restriction may close the shorter of two
    parallel edges, so the matrix, which keeps only the shorter, is not enough)."""

    rows: IntArray
    cols: IntArray
    length_m: FloatArray
    time_s: FloatArray
    geometry: npt.NDArray[np.object_]
    tags: pd.DataFrame
    """Restriction tags (:data:`geo.vehicles.RESTRICTION_TAGS`) of the edges that carry any,
    indexed by edge position."""


@dataclass(frozen=True)
class RoadNetwork:
    """An immutable, routable view of a road graph.

    Built once per graph (cache it: it is the expensive part) and safe to share between users.
    :meth:`restricted_to` gives the view a lorry may use (same nodes, fewer edges).

    Attributes
    ----------
    node_ids
        OSM ids of the nodes, in matrix order.
    x_m, y_m
        Node coordinates in ``crs`` (metres).
    crs
        The metric CRS of the network.
    length_m
        Sparse matrix of edge lengths (the shortest of parallel edges), metres.
    travel_time_s
        Travel times in seconds of the edges of ``length_m``, aligned with its ``data``.
    main
        Whether each node lies in the largest strongly connected component.
    lon_deg, lat_deg
        Node longitudes and latitudes (WGS84, degrees), for drawing routes.
    vehicle
        The vehicle whose legal ways the edges are (:meth:`restricted_to`); None: every edge
        of the graph.
    """

    node_ids: IntArray
    x_m: FloatArray
    y_m: FloatArray
    crs: CRS
    length_m: sparse.csr_matrix
    travel_time_s: FloatArray
    main: npt.NDArray[np.bool_]
    lon_deg: FloatArray
    lat_deg: FloatArray
    _tree: Any
    _main_index: IntArray
    _in_edges: _InEdges
    _edge_geometry: npt.NDArray[np.object_]
    """Per stored edge (CSR order): its graph geometry (shapely line in ``_graph_crs``) or None."""
    _graph_crs: CRS
    vehicle: VehicleProfile | None = None
    _edges: _EdgeTable | None = None
    _parent: RoadNetwork | None = None

    @classmethod
    def from_graph(
        cls, graph: nx.MultiDiGraph, *, vehicle: VehicleProfile | None = None
    ) -> RoadNetwork:
        """Build from an osmnx-style graph (node ``x``/``y`` in the graph's ``crs``; edge
        ``length`` in metres; ``travel_time`` in seconds, else derived at
        :data:`DEFAULT_ROAD_SPEED_KPH`; an edge ``geometry``, when present, is kept for drawing).

        Parameters
        ----------
        graph
            The road graph; edges keep their OSM restriction tags (``hgv``, ``maxweight`` ...).
        vehicle
            When given, the network of the ways this vehicle may legally use
            (:meth:`restricted_to`); None (the default) keeps every edge.

        Raises
        ------
        RoutingError
            If the graph has no nodes or edges, or lacks coordinates or lengths.
        """
        if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
            msg = "the road network is empty: no nodes or no edges"
            raise RoutingError(msg)
        node_ids = np.fromiter(graph.nodes, dtype="int64", count=graph.number_of_nodes())
        try:
            xs = np.array([graph.nodes[n]["x"] for n in node_ids], dtype="float64")
            ys = np.array([graph.nodes[n]["y"] for n in node_ids], dtype="float64")
        except KeyError as err:
            msg = "the road network's nodes have no x/y coordinates"
            raise RoutingError(msg) from err
        graph_crs = CRS.from_user_input(graph.graph.get("crs", "EPSG:4326"))
        lonlat = Transformer.from_crs(graph_crs, 4326, always_xy=True)
        lon, lat = lonlat.transform(xs, ys)
        crs = metric_crs(gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326))
        x_m, y_m = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
        position = pd.Series(np.arange(len(node_ids)), index=node_ids)
        edges = [(u, v, d) for u, v, d in graph.edges(data=True)]
        try:
            length = np.array([float(d["length"]) for _, _, d in edges])
        except KeyError as err:
            msg = "the road network's edges have no 'length' attribute (metres)"
            raise RoutingError(msg) from err
        default_speed_ms = DEFAULT_ROAD_SPEED_KPH / 3.6
        time = np.array(
            [
                float(d.get("travel_time", float(d["length"]) / default_speed_ms))
                for _, _, d in edges
            ]
        )
        geometry = np.empty(len(edges), dtype=object)
        geometry[:] = [d.get("geometry") for _, _, d in edges]
        table = _EdgeTable(
            rows=position.loc[[u for u, _, _ in edges]].to_numpy().astype("int64"),
            cols=position.loc[[v for _, v, _ in edges]].to_numpy().astype("int64"),
            length_m=length,
            time_s=time,
            geometry=geometry,
            tags=_restriction_tags(edges),
        )
        network = _assemble(
            cls,
            nodes=_Nodes(
                node_ids=node_ids,
                x_m=np.asarray(x_m, dtype="float64"),
                y_m=np.asarray(y_m, dtype="float64"),
                crs=crs,
                lon_deg=np.asarray(lon, dtype="float64"),
                lat_deg=np.asarray(lat, dtype="float64"),
                graph_crs=graph_crs,
            ),
            table=table,
            keep=None,
            vehicle=None,
            parent=None,
        )
        return network if vehicle is None else network.restricted_to(vehicle)

    @property
    def unrestricted(self) -> RoadNetwork:
        """The network of every edge this one was restricted from (itself if unrestricted)."""
        return self if self._parent is None else self._parent

    def closed_edges(self, vehicle: VehicleProfile) -> pd.DataFrame:
        """The edges of the unrestricted graph that ``vehicle`` may not use, and why.

        Returns
        -------
        DataFrame
            One row per closed directed edge (parallel edges each count): ``u``, ``v`` (OSM node
            ids), ``length_m`` and ``reason`` (:func:`geo.vehicles.closed_reasons`).
        """
        table = self.unrestricted._edges
        assert table is not None  # set by from_graph on every unrestricted network
        reasons = vehicles.closed_reasons(table.tags, vehicle).dropna()
        where = reasons.index.to_numpy(dtype="int64")
        return pd.DataFrame(
            {
                "u": self.node_ids[table.rows[where]],
                "v": self.node_ids[table.cols[where]],
                "length_m": table.length_m[where],
                "reason": reasons.to_numpy(dtype=object),
            }
        )

    def restricted_to(self, vehicle: VehicleProfile) -> RoadNetwork:
        """The network of the ways ``vehicle`` may legally use (rules: :mod:`geo.vehicles`).

        Same nodes in the same order (node indices mean the same in both); the edges a
        restriction closes are left out, parallel edges are chosen again among the legal ones,
        and snapping goes to the restricted network's own largest strongly connected component,
        so every pair of snapped sites has a legal route. Restricting a restricted network
        restricts the unrestricted one it came from. The result is a new immutable network.
        """
        base = self.unrestricted
        table = base._edges
        assert table is not None  # set by from_graph on every unrestricted network
        reasons = vehicles.closed_reasons(table.tags, vehicle)
        keep = np.ones(len(table.rows), dtype=bool)
        keep[reasons.index[reasons.notna().to_numpy()].to_numpy(dtype="int64")] = False
        nodes = _Nodes(
            node_ids=base.node_ids,
            x_m=base.x_m,
            y_m=base.y_m,
            crs=base.crs,
            lon_deg=base.lon_deg,
            lat_deg=base.lat_deg,
            graph_crs=base._graph_crs,
        )
        return _assemble(
            type(base), nodes=nodes, table=table, keep=keep, vehicle=vehicle, parent=base
        )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    def snap(
        self, points: gpd.GeoSeries, *, max_access_m: float = DEFAULT_MAX_ACCESS_M
    ) -> pd.DataFrame:
        """Snap points to the nearest node of the largest strongly connected component.

        Returns
        -------
        DataFrame
            Indexed like ``points``: ``node`` (matrix index), ``node_id`` (OSM id),
            ``access_m`` (straight distance to the node, metres) and ``off_network`` (True when
            ``access_m`` exceeds ``max_access_m``; such points are not routed).
        """
        # The anchor is the WGS84 point geo.distance.lonlat uses for the geodesic, so a polygon
        # site is snapped, measured and drawn from one point.
        anchors = points.to_crs(4326).representative_point()
        to_metric = Transformer.from_crs(4326, self.crs, always_xy=True)
        x, y = to_metric.transform(anchors.x.to_numpy(), anchors.y.to_numpy())
        xy = np.column_stack([np.asarray(x), np.asarray(y)])
        access, nearest = self._tree.query(xy)
        node = self._main_index[nearest]
        return pd.DataFrame(
            {
                "node": node,
                "node_id": self.node_ids[node],
                "access_m": access,
                "off_network": access > max_access_m,
            },
            index=points.index,
        )

    def route(
        self,
        from_lonlat: tuple[float, float],
        to_lonlat: tuple[float, float],
        *,
        max_access_m: float = DEFAULT_MAX_ACCESS_M,
    ) -> RoutePath:
        """The shortest road route between two points, as :func:`geo.distance.od_table` measures
        it: each point snapped to its nearest routable node (:meth:`snap`), the shortest-distance
        path between the nodes (unbounded), and straight access legs at
        :data:`ACCESS_SPEED_KPH`.

        Parameters
        ----------
        from_lonlat, to_lonlat
            WGS84 longitude and latitude, degrees.
        max_access_m
            A point farther than this from the network is not routed.

        Raises
        ------
        NoRouteError
            If a point is off the network (``end`` says which, ``access_m`` how far) or no road
            leads from one node to the other (``end`` is None).
        """
        points = gpd.GeoSeries(
            gpd.points_from_xy(*zip(from_lonlat, to_lonlat, strict=True)), crs=4326
        )
        snapped = self.snap(points, max_access_m=max_access_m)
        for position, end in enumerate(("from", "to")):
            if bool(snapped["off_network"].iloc[position]):
                access_m = float(snapped["access_m"].iloc[position])
                what = "road node" if self.vehicle is None else "truck-legal road node"
                msg = (
                    f"the {end} point is {access_m:,.0f} m from the nearest {what} "
                    f"(more than {max_access_m:,.0f} m)"
                )
                raise NoRouteError(msg, end=end, access_m=access_m)
        src, tgt = (int(k) for k in snapped["node"])
        dist, pred = csgraph.dijkstra(
            self.length_m, directed=True, indices=src, return_predecessors=True
        )
        if not np.isfinite(dist[tgt]):
            msg = "no road leads from the from point's node to the to point's node"
            raise NoRouteError(msg, end=None, access_m=None)
        path = [tgt]
        while path[-1] != src:
            path.append(int(pred[path[-1]]))
        path.reverse()
        coords: list[tuple[float, float]] = []
        road_s = 0.0
        reproject = (
            None
            if self._graph_crs.equals(CRS.from_epsg(4326))
            else Transformer.from_crs(self._graph_crs, 4326, always_xy=True)
        )
        for u, v in itertools.pairwise(path):
            edge = self._edge_position(u, v)
            road_s += float(self.travel_time_s[edge])
            leg = self._edge_lonlat(edge, u, v, reproject)
            coords.extend(leg if not coords else leg[1:])
        start = (float(self.lon_deg[src]), float(self.lat_deg[src]))
        end_point = (float(self.lon_deg[tgt]), float(self.lat_deg[tgt]))
        if not coords:  # both points snap to the same node
            coords = [start, end_point]
        access_from, access_to = (float(a) for a in snapped["access_m"])
        origin = (float(from_lonlat[0]), float(from_lonlat[1]))
        destination = (float(to_lonlat[0]), float(to_lonlat[1]))
        return RoutePath(
            road_lonlat=coords,
            access_lonlat=[[origin, start], [end_point, destination]],
            road_m=float(dist[tgt]),
            access_from_m=access_from,
            access_to_m=access_to,
            duration_s=road_s + (access_from + access_to) / (ACCESS_SPEED_KPH / 3.6),
        )

    def _edge_position(self, u: int, v: int) -> int:
        start, stop = int(self.length_m.indptr[u]), int(self.length_m.indptr[u + 1])
        return start + int(np.flatnonzero(self.length_m.indices[start:stop] == v)[0])

    def _edge_lonlat(
        self, edge: int, u: int, v: int, reproject: Transformer | None
    ) -> list[tuple[float, float]]:
        """The drawn line of a stored edge: its graph geometry (reprojected by ``reproject``
        unless the graph is in WGS84), else the straight segment between its nodes."""
        line = self._edge_geometry[edge]
        if line is None:
            return [
                (float(self.lon_deg[u]), float(self.lat_deg[u])),
                (float(self.lon_deg[v]), float(self.lat_deg[v])),
            ]
        xy = np.asarray(line.coords, dtype="float64")[:, :2]
        if reproject is not None:
            lon, lat = reproject.transform(xy[:, 0], xy[:, 1])
            xy = np.column_stack([lon, lat])
        return [(float(x), float(y)) for x, y in xy]

    def node_distances(
        self, sources: npt.ArrayLike, targets: npt.ArrayLike, *, limit: float = np.inf
    ) -> FloatArray:
        """Shortest road distances in metres between node indices (rows: sources, columns:
        targets); duplicate sources are searched once; unreachable or beyond ``limit``: inf."""
        return self.node_costs(sources, targets, limit=limit, durations=False)[0]

    def node_costs(
        self,
        sources: npt.ArrayLike,
        targets: npt.ArrayLike,
        *,
        limit: float = np.inf,
        durations: bool = True,
        workers: int = 1,
    ) -> tuple[FloatArray, FloatArray]:
        """Shortest road distances (metres) and the travel times along those routes (seconds).

        One bounded Dijkstra per distinct source node (scipy, in C); the duration is summed
        along the shortest route's tree, so distance and duration describe the same route.
        With ``workers > 1`` the sources are split over forked processes (scipy's Dijkstra
        holds the GIL, so threads would not help) when the searches are long enough to pay for
        it (sources x edges of at least :data:`_PARALLEL_MIN_EDGE_SCANS`); keep 1 inside servers
        that run threads.

        Returns
        -------
        tuple
            Two arrays of shape (len(sources), len(targets)); ``inf`` where unreachable or
            beyond ``limit`` metres, durations NaN when not asked for.
        """
        src = np.asarray(sources, dtype="int64")
        tgt = np.asarray(targets, dtype="int64")
        unique_src, found = np.unique(src, return_inverse=True)
        # Distinct sorted sources (od_table passes them so) need no reordering copy at the end.
        inverse = None if np.array_equal(unique_src, src) else found
        # Forking and shipping the results back cost more than small searches take.
        worth_forking = len(unique_src) * self.length_m.nnz >= _PARALLEL_MIN_EDGE_SCANS
        if workers > 1 and len(unique_src) >= 2 * _ORIGIN_BATCH and worth_forking and _CAN_FORK:
            metres, seconds = self._parallel_costs(unique_src, tgt, limit, durations, workers)
            return _rows(metres, seconds, inverse)
        metres = np.empty((len(unique_src), len(tgt)), dtype="float64")
        seconds = np.full((len(unique_src), len(tgt)), np.nan)
        for start, batch in _batches(unique_src):
            rows = slice(start, start + len(batch))
            if not durations:
                dist = csgraph.dijkstra(self.length_m, directed=True, indices=batch, limit=limit)
                metres[rows] = dist[:, tgt]
                continue
            dist, pred = csgraph.dijkstra(
                self.length_m, directed=True, indices=batch, limit=limit, return_predecessors=True
            )
            metres[rows] = dist[:, tgt]
            seconds[rows] = self._route_times(batch, tgt, pred, metres[rows])
        return _rows(metres, seconds, inverse)

    def _parallel_costs(
        self, unique_src: IntArray, tgt: IntArray, limit: float, durations: bool, workers: int
    ) -> tuple[FloatArray, FloatArray]:
        global _SHARED  # noqa: PLW0603 - handed to forked workers without pickling the graph
        chunks = np.array_split(unique_src, workers)
        _SHARED = self
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                parts = list(
                    pool.map(
                        _chunk_costs,
                        chunks,
                        [tgt] * workers,
                        [limit] * workers,
                        [durations] * workers,
                    )
                )
        finally:
            _SHARED = None
        return np.vstack([m for m, _ in parts]), np.vstack([s for _, s in parts])

    def _route_times(
        self, batch: IntArray, tgt: IntArray, pred: npt.NDArray[np.int32], dist: FloatArray
    ) -> FloatArray:
        """Travel time from each source to each target along the shortest-route tree.

        Small graphs (few nodes per target) sum the whole tree by pointer doubling; large
        ones walk back from the targets only, which touches far fewer nodes.
        """
        if self.n_nodes <= _TREE_NODES_PER_TARGET * len(tgt):
            return self._tree_times(pred)[:, tgt].reshape(len(batch), len(tgt))
        return self._walk_times(batch, tgt, pred, dist)

    def _tree_times(self, pred: npt.NDArray[np.int32]) -> FloatArray:
        """Time from the source to every node: each node's edge time, then pointer doubling
        (log2 of the tree depth passes) to add up its ancestors'.

        The batch's trees are one flat forest (node ``v`` of row ``r`` is ``r * n + v``), so
        each pass is two flat gathers rather than per-row ``take_along_axis``.
        """
        rows, n = pred.shape
        size = rows * n
        # 32-bit pointers halve the memory traffic of the gathers that dominate.
        index_type = "int32" if size < 2**31 else "int64"
        acc = self._in_edges.tree_times(pred).ravel()
        offset = (np.arange(rows, dtype=index_type) * n)[:, None]
        itself = np.arange(size, dtype=index_type).reshape(rows, n)
        parent = np.where(pred >= 0, pred.astype(index_type) + offset, itself).ravel()
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            acc += acc[parent]
            parent = grand
        return acc.reshape(rows, n)

    def _walk_times(
        self, batch: IntArray, tgt: IntArray, pred: npt.NDArray[np.int32], dist: FloatArray
    ) -> FloatArray:
        """Sum edge times from each target back to its source along the predecessor tree."""
        rows = np.repeat(np.arange(len(batch)), len(tgt))
        cur = np.tile(tgt, len(batch))
        total = np.zeros(len(cur))
        active = np.flatnonzero(np.isfinite(dist.ravel()) & (cur != batch[rows]))
        while len(active):
            node = cur[active]
            parent = pred[rows[active], node].astype("int64")
            total[active] += self._in_edges.times(parent, node)
            cur[active] = parent
            active = active[parent != batch[rows[active]]]
        out = total.reshape(len(batch), len(tgt))
        out[~np.isfinite(dist)] = np.inf
        return out


@dataclass(frozen=True)
class _Nodes:
    """The node arrays a network and its restricted views share."""

    node_ids: IntArray
    x_m: FloatArray
    y_m: FloatArray
    crs: CRS
    lon_deg: FloatArray
    lat_deg: FloatArray
    graph_crs: CRS


def _assemble(
    cls: type[RoadNetwork],
    *,
    nodes: _Nodes,
    table: _EdgeTable,
    keep: npt.NDArray[np.bool_] | None,
    vehicle: VehicleProfile | None,
    parent: RoadNetwork | None,
) -> RoadNetwork:
    """A network of ``nodes`` and the edges of ``table`` that ``keep`` marks (all if None)."""
    n = len(nodes.node_ids)
    if keep is None:
        rows, cols, length, time = table.rows, table.cols, table.length_m, table.time_s
        geometry_in = table.geometry
    else:
        rows, cols = table.rows[keep], table.cols[keep]
        length, time, geometry_in = table.length_m[keep], table.time_s[keep], table.geometry[keep]
    length_m, time_s, kept = _min_csr(rows, cols, length, time, n)
    geometry = geometry_in[kept] if len(kept) else np.empty(0, dtype=object)
    if length_m.nnz == 0:
        main = np.zeros(n, dtype=bool)
        main[0] = True  # one node alone is the largest component of an edgeless graph
    else:
        _, labels = csgraph.connected_components(length_m, directed=True, connection="strong")
        main = labels == np.bincount(labels).argmax()
    main_index = np.flatnonzero(main).astype("int64")
    tree = cKDTree(np.column_stack([nodes.x_m[main], nodes.y_m[main]]))
    return cls(
        node_ids=nodes.node_ids,
        x_m=nodes.x_m,
        y_m=nodes.y_m,
        crs=nodes.crs,
        length_m=length_m,
        travel_time_s=time_s,
        main=main,
        lon_deg=nodes.lon_deg,
        lat_deg=nodes.lat_deg,
        _tree=tree,
        _main_index=main_index,
        _in_edges=_InEdges(length_m, time_s),
        _edge_geometry=geometry,
        _graph_crs=nodes.graph_crs,
        vehicle=vehicle,
        _edges=table if parent is None else None,
        _parent=parent,
    )


_RESTRICTION_KEYS = frozenset(vehicles.RESTRICTION_TAGS)


def _restriction_tags(edges: list[tuple[Any, Any, dict[str, Any]]]) -> pd.DataFrame:
    """The restriction tags of the edges that carry any, indexed by edge position."""
    records: dict[int, dict[str, Any]] = {}
    for position, (_, _, data) in enumerate(edges):
        present = data.keys() & _RESTRICTION_KEYS
        if present:
            records[position] = {key: data[key] for key in present}
    if not records:
        return pd.DataFrame(index=pd.Index([], dtype="int64"))
    return pd.DataFrame.from_dict(records, orient="index")


_TREE_NODES_PER_TARGET = 40
"""Below this many nodes per target, summing the whole tree beats walking back per target
(measured on the Antwerp and Liechtenstein extracts and the synthetic grid: the walk wins from
about 40 on Antwerp, not yet at 42 on Liechtenstein; on the synthetic grid, at 100 and more, it
is 9x faster)."""
_SHARED: RoadNetwork | None = None
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def _chunk_costs(
    chunk: IntArray, tgt: IntArray, limit: float, durations: bool
) -> tuple[FloatArray, FloatArray]:
    assert _SHARED is not None  # set by the parent before forking
    return _SHARED.node_costs(chunk, tgt, limit=limit, durations=durations)


def _rows(
    metres: FloatArray, seconds: FloatArray, inverse: IntArray | None
) -> tuple[FloatArray, FloatArray]:
    if inverse is None:
        return metres, seconds
    return metres[inverse], seconds[inverse]


class _InEdges:
    """Each node's incoming edges (source node and travel time), grouped by node.

    A shortest-path tree names each node's parent; the edge parent -> node is almost always
    the node's first or second incoming edge, so comparing against the first candidate for
    every node at once (a broadcast, no gather) and probing on for the few others beats a
    search over all edge keys.
    """

    def __init__(self, matrix: sparse.csr_matrix, time_s: FloatArray) -> None:
        n = int(matrix.shape[0])
        rows = np.repeat(np.arange(n, dtype="int64"), np.diff(matrix.indptr))
        cols = np.asarray(matrix.indices, dtype="int64")
        order = np.lexsort((rows, cols))
        self.source = rows[order]
        self.time_s = np.asarray(time_s, dtype="float64")[order]
        self.start = np.zeros(n + 1, dtype="int64")
        np.cumsum(np.bincount(cols, minlength=n), out=self.start[1:])
        has_in = self.start[:-1] < self.start[1:]
        first = np.minimum(self.start[:-1], max(len(order) - 1, 0))
        # -2 never equals a predecessor (scipy marks "none" with -9999).
        self.first_source = np.where(has_in, self.source[first], -2)
        self.first_time_s = np.where(has_in, self.time_s[first], 0.0)

    def tree_times(self, pred: npt.NDArray[np.int32]) -> FloatArray:
        """Travel time of the edge from each node's predecessor (0 at roots, unreached)."""
        hit = pred == self.first_source[None, :]
        out = np.where(hit, self.first_time_s[None, :], 0.0)
        miss = np.flatnonzero(~hit & (pred >= 0))
        if len(miss):
            n = pred.shape[1]
            node = miss % n
            out.ravel()[miss] = self._probe(pred.ravel()[miss].astype("int64"), node, 1)
        return out

    def times(self, parent: IntArray, node: IntArray) -> FloatArray:
        """Travel times of the edges ``parent -> node`` (each must exist)."""
        return self._probe(parent, node, 0)

    def _probe(self, parent: IntArray, node: IntArray, skip: int) -> FloatArray:
        out = np.empty(len(parent))
        pos = self.start[node] + skip
        end = self.start[node + 1]
        todo = np.arange(len(parent))
        while len(todo):
            if np.any(pos[todo] >= end[todo]):
                msg = "an edge of a shortest-path tree is missing from the network"
                raise RoutingError(msg)
            found = self.source[pos[todo]] == parent[todo]
            done = todo[found]
            out[done] = self.time_s[pos[done]]
            todo = todo[~found]
            pos[todo] += 1
        return out


def _batches(indices: IntArray) -> Iterator[tuple[int, IntArray]]:
    for start in range(0, len(indices), _ORIGIN_BATCH):
        yield start, indices[start : start + _ORIGIN_BATCH]


def _min_csr(
    rows: IntArray, cols: IntArray, length: FloatArray, time: FloatArray, n: int
) -> tuple[sparse.csr_matrix, FloatArray, IntArray]:
    """CSR matrix of the shortest of parallel edges, those edges' times in CSR order, and their
    positions in the input.

    scipy sums duplicates when building a matrix; a shortest path must take the shorter edge.
    """
    order = np.lexsort((length, cols, rows))
    rows, cols, length, time = rows[order], cols[order], length[order], time[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    # An explicit zero would be dropped as "no edge"; keep zero-length edges routable.
    kept = np.maximum(length[first], 1e-9)
    matrix = sparse.csr_matrix((kept, (rows[first], cols[first])), shape=(n, n))
    # (rows, cols) are already sorted, so CSR order equals this order.
    return matrix, time[first], order[first]
