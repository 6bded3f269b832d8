"""Road distances: snapping sites to a network and many-to-many shortest paths (scipy, in C)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo._errors import RoutingError
from geo.crs import metric_crs

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
        Sparse matrix of edge travel times (the fastest of parallel edges), seconds.
    main
        Whether each node lies in the largest strongly connected component.
    """

    node_ids: IntArray
    x_m: FloatArray
    y_m: FloatArray
    crs: CRS
    length_m: sparse.csr_matrix
    travel_time_s: sparse.csr_matrix
    main: npt.NDArray[np.bool_]
    _tree: Any
    _main_index: IntArray

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
        length_m = _min_csr(rows, cols, length, n)
        time_s = _min_csr(rows, cols, time, n)
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
        self,
        sources: npt.ArrayLike,
        targets: npt.ArrayLike,
        *,
        weight: str = "length",
        limit: float = np.inf,
    ) -> FloatArray:
        """Shortest-path costs between node indices (rows: sources, columns: targets).

        Duplicate sources are computed once; unreachable pairs or pairs beyond ``limit`` are
        ``inf``. ``weight`` is ``"length"`` (metres) or ``"travel_time"`` (seconds).
        """
        matrix = self.length_m if weight == "length" else self.travel_time_s
        src = np.asarray(sources, dtype="int64")
        tgt = np.asarray(targets, dtype="int64")
        unique_src, inverse = np.unique(src, return_inverse=True)
        out = np.empty((len(unique_src), len(tgt)), dtype="float64")
        for start, batch in _batches(unique_src):
            dist = csgraph.dijkstra(matrix, directed=True, indices=batch, limit=limit)
            out[start : start + len(batch)] = dist[:, tgt]
        return out[inverse]


def _batches(indices: IntArray) -> Iterator[tuple[int, IntArray]]:
    for start in range(0, len(indices), _ORIGIN_BATCH):
        yield start, indices[start : start + _ORIGIN_BATCH]


def _min_csr(rows: IntArray, cols: IntArray, values: FloatArray, n: int) -> sparse.csr_matrix:
    """CSR matrix keeping the minimum of duplicate (row, col) entries (parallel edges).

    scipy sums duplicates when building a matrix; a shortest path must take the shorter edge.
    """
    order = np.lexsort((values, cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    # An explicit zero would be dropped as "no edge"; keep zero-length edges routable.
    kept = np.maximum(values[first], 1e-9)
    return sparse.csr_matrix((kept, (rows[first], cols[first])), shape=(n, n))
