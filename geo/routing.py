"""Road distances: snapping sites to a network and many-to-many shortest paths (scipy, in C)."""

from __future__ import annotations

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

from geo._errors import RoutingError
from geo.crs import metric_crs

if TYPE_CHECKING:
    # Only the annotation needs networkx; importing it costs ~1 s at start-up.
    import networkx as nx

DEFAULT_MAX_ACCESS_M = 1_000.0
"""A site farther than this from the nearest road node is flagged off-network."""
ACCESS_SPEED_KPH = 20.0
"""Speed assumed on the access leg between a site and its road node (yards, gates)."""
_ORIGIN_BATCH = 64
"""Origins per Dijkstra call: bounds memory to batch x nodes floats."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RoadNetwork:
    """An immutable, routable view of a road graph.

    Built once per graph (cache it: it is the expensive part) and safe to share between users.

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
    """

    node_ids: IntArray
    x_m: FloatArray
    y_m: FloatArray
    crs: CRS
    length_m: sparse.csr_matrix
    travel_time_s: FloatArray
    main: npt.NDArray[np.bool_]
    _tree: Any
    _main_index: IntArray
    _edge_key: IntArray

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph) -> RoadNetwork:
        """Build from an osmnx-style graph (node ``x``/``y`` in the graph's ``crs``; edge
        ``length`` in metres; ``travel_time`` in seconds, else derived at 50 km/h).

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
        time = np.array(
            [float(d.get("travel_time", float(d["length"]) / (50 / 3.6))) for _, _, d in edges]
        )
        rows = position.loc[[u for u, _, _ in edges]].to_numpy()
        cols = position.loc[[v for _, v, _ in edges]].to_numpy()
        n = len(node_ids)
        length_m, time_s = _min_csr(rows, cols, length, time, n)
        _, labels = csgraph.connected_components(length_m, directed=True, connection="strong")
        main = labels == np.bincount(labels).argmax()
        main_index = np.flatnonzero(main).astype("int64")
        tree = cKDTree(np.column_stack([np.asarray(x_m)[main], np.asarray(y_m)[main]]))
        return cls(
            node_ids=node_ids,
            x_m=np.asarray(x_m, dtype="float64"),
            y_m=np.asarray(y_m, dtype="float64"),
            crs=crs,
            length_m=length_m,
            travel_time_s=time_s,
            main=main,
            _tree=tree,
            _main_index=main_index,
            _edge_key=_edge_keys(length_m),
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
        projected = points.to_crs(self.crs).representative_point()
        xy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
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
        holds the GIL, so threads would not help); keep 1 inside servers that run threads.

        Returns
        -------
        tuple
            Two arrays of shape (len(sources), len(targets)); ``inf`` where unreachable or
            beyond ``limit`` metres, durations NaN when not asked for.
        """
        src = np.asarray(sources, dtype="int64")
        tgt = np.asarray(targets, dtype="int64")
        unique_src, inverse = np.unique(src, return_inverse=True)
        if workers > 1 and len(unique_src) >= 2 * _ORIGIN_BATCH and _CAN_FORK:
            metres, seconds = self._parallel_costs(unique_src, tgt, limit, durations, workers)
            return metres[inverse], seconds[inverse]
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
        return metres[inverse], seconds[inverse]

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
        (log2 of the tree depth passes) to add up its ancestors'."""
        n = self.n_nodes
        nodes = np.arange(n, dtype="int64")
        reached = pred >= 0
        parent = np.where(reached, pred, nodes[None, :]).astype("int64")
        acc = np.zeros(pred.shape)
        edge = np.searchsorted(self._edge_key, parent[reached] * n + np.nonzero(reached)[1])
        acc[reached] = self.travel_time_s[edge]
        while True:
            grand = np.take_along_axis(parent, parent, axis=1)
            if np.array_equal(grand, parent):
                break
            acc += np.take_along_axis(acc, parent, axis=1)
            parent = grand
        return acc

    def _walk_times(
        self, batch: IntArray, tgt: IntArray, pred: npt.NDArray[np.int32], dist: FloatArray
    ) -> FloatArray:
        """Sum edge times from each target back to its source along the predecessor tree."""
        n = self.n_nodes
        keys = self._edge_key
        rows = np.repeat(np.arange(len(batch)), len(tgt))
        cur = np.tile(tgt, len(batch))
        total = np.zeros(len(cur))
        active = np.flatnonzero(np.isfinite(dist.ravel()) & (cur != batch[rows]))
        while len(active):
            node = cur[active]
            parent = pred[rows[active], node].astype("int64")
            edge = np.searchsorted(keys, parent * n + node)
            total[active] += self.travel_time_s[edge]
            cur[active] = parent
            active = active[parent != batch[rows[active]]]
        out = total.reshape(len(batch), len(tgt))
        out[~np.isfinite(dist)] = np.inf
        return out


_TREE_NODES_PER_TARGET = 8
"""Below this many nodes per target, summing the whole tree beats walking back per target."""
_SHARED: RoadNetwork | None = None
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def _chunk_costs(
    chunk: IntArray, tgt: IntArray, limit: float, durations: bool
) -> tuple[FloatArray, FloatArray]:
    assert _SHARED is not None  # set by the parent before forking
    return _SHARED.node_costs(chunk, tgt, limit=limit, durations=durations)


def _edge_keys(matrix: sparse.csr_matrix) -> IntArray:
    """``row * n + col`` of every stored edge, sorted (CSR order), for vectorised lookup."""
    n = int(matrix.shape[0])
    rows = np.repeat(np.arange(n, dtype="int64"), np.diff(matrix.indptr))
    cols: IntArray = np.asarray(matrix.indices, dtype="int64")
    return rows * n + cols


def _batches(indices: IntArray) -> Iterator[tuple[int, IntArray]]:
    for start in range(0, len(indices), _ORIGIN_BATCH):
        yield start, indices[start : start + _ORIGIN_BATCH]


def _min_csr(
    rows: IntArray, cols: IntArray, length: FloatArray, time: FloatArray, n: int
) -> tuple[sparse.csr_matrix, FloatArray]:
    """CSR matrix of the shortest of parallel edges, and those edges' times in CSR order.

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
    return matrix, time[first]
