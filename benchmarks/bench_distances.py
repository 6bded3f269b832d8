"""Many-to-many road distances: SymbioMap's labelled OD table against raw scipy and networkx.

For 100, 500 and 1,000 sites on each graph, in one process and on the same graph, prints:

- ``ours``: the whole labelled table, :func:`geo.distance.od_table` (snapping, candidate pairs
  and their geodesics, bounded Dijkstra, durations along the same routes, the labelled frame),
  in one process and with ``workers=--workers`` (which forks only for long searches);
- ``raw scipy``: ``scipy.sparse.csgraph.dijkstra`` on the same matrix, from the same distinct
  source nodes to the same target nodes, with the same limit, distances only (64 sources per call
  like ours: one call for all sources would allocate sources x nodes floats at once);
- ``nx bounded``: networkx ``single_source_dijkstra_path_length`` with ``cutoff`` = the bound,
  once per distinct source node, timed on a subsample of sources and extrapolated per source;
- the phases of ours (geodesic candidate pairs, searches with durations, the rest) and the
  ratios ``ours/scipy`` (1 process) and ``nx/ours``.

Best of ``--repeat`` runs for ours and raw scipy (run alternately). Not a test: run it by hand.

    python benchmarks/bench_distances.py --pbf ../shared/data/osm/antwerp-2014.osm.pbf
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
from scipy.sparse import csgraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from roadlike import road_like_graph

from geo import distance, network
from geo.routing import RoadNetwork

_BATCH = 64
"""Sources per raw scipy call, as in RoadNetwork.node_costs."""


def timed(func: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def best_of(repeat: int, *funcs: Callable[[], object]) -> list[float]:
    """Best time of each function over ``repeat`` rounds, the functions run alternately so that
    a burst of load on a shared machine hits them alike."""
    best = [np.inf] * len(funcs)
    for _ in range(repeat):
        for k, func in enumerate(funcs):
            best[k] = min(best[k], timed(func)[0])
    return best


def random_sites(net: RoadNetwork, graph: nx.MultiDiGraph, n: int, seed: int) -> gpd.GeoDataFrame:
    """Sites near random main-component nodes (a few tens of metres off the road)."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(np.flatnonzero(net.main), n, replace=n > net.main.sum())
    lon = np.array([graph.nodes[int(net.node_ids[k])]["x"] for k in nodes])
    lat = np.array([graph.nodes[int(net.node_ids[k])]["y"] for k in nodes])
    lon = lon + rng.normal(0, 0.0002, n)
    lat = lat + rng.normal(0, 0.0002, n)
    return gpd.GeoDataFrame(
        {"site_id": [f"s{k}" for k in range(n)]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def raw_scipy(net: RoadNetwork, nodes: np.ndarray, bound_m: float) -> None:
    for start in range(0, len(nodes), _BATCH):
        batch = nodes[start : start + _BATCH]
        csgraph.dijkstra(net.length_m, directed=True, indices=batch, limit=bound_m)[:, nodes]


def bench_graph(
    name: str,
    graph: nx.MultiDiGraph,
    sizes: list[int],
    *,
    bound_m: float,
    workers: int,
    repeat: int,
    nx_sample: int,
) -> None:
    build_s, net = timed(lambda: RoadNetwork.from_graph(graph))
    assert isinstance(net, RoadNetwork)
    print(
        f"\n== {name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"RoadNetwork built once in {build_s:.2f} s (cached by the app); "
        f"bound {bound_m / 1000:g} km"
    )
    print(
        f"{'sites':>5} {'rows':>9} {'ours s':>7} {f'ours {workers}w s':>9} {'raw scipy s':>11} "
        f"{'nx bounded s':>12} {'ours/scipy':>10} {'nx/ours':>8} | phases of ours: "
        f"{'pairs+geod':>10} {'search+dur':>10} {'rest':>6}"
    )
    rng = np.random.default_rng(0)
    for n in sizes:
        sites = random_sites(net, graph, n, seed=n)
        nodes = np.unique(net.snap(sites.geometry)["node"].to_numpy())

        def ours(w: int, sites: gpd.GeoDataFrame = sites) -> object:
            return distance.od_table(sites, network=net, max_distance_m=bound_m, workers=w)

        ours_s, raw_s = best_of(
            repeat, lambda: ours(1), lambda nodes=nodes: raw_scipy(net, nodes, bound_m)
        )
        (ours_w_s,) = best_of(repeat, lambda: ours(workers))
        rows = len(ours(1))  # type: ignore[arg-type]
        lon, lat = distance.lonlat(sites.geometry)
        pairs_s, search_s = best_of(
            repeat,
            lambda: distance.candidate_pairs(lon, lat, max_distance_m=bound_m),
            lambda nodes=nodes: net.node_costs(nodes, nodes, limit=bound_m),
        )
        k = min(len(nodes), nx_sample)
        sample = rng.choice(nodes, k, replace=False)
        ids = net.node_ids
        sample_s, _ = timed(
            lambda: [
                nx.single_source_dijkstra_path_length(
                    graph, int(ids[s]), cutoff=bound_m, weight="length"
                )
                for s in sample
            ]
        )
        nx_s = sample_s / k * len(nodes)
        rest_s = max(ours_s - pairs_s - search_s, 0.0)
        print(
            f"{n:>5} {rows:>9,} {ours_s:>7.2f} {ours_w_s:>9.2f} {raw_s:>11.2f} {nx_s:>12.1f} "
            f"{ours_s / raw_s:>9.2f}x {nx_s / ours_s:>7.1f}x | {'':>15} "
            f"{pairs_s:>10.2f} {search_s:>10.2f} {rest_s:>6.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", action="append", default=[], help="real OSM extract(s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--synthetic-nodes", type=int, default=100_000)
    parser.add_argument("--bound-km", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--nx-sample", type=int, default=20, help="networkx sources timed")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
        f"'ours' = the whole labelled od_table in one process, 'ours {args.workers}w' with "
        f"workers={args.workers} (forks only when the searches pay for it); 'raw scipy' = "
        "csgraph.dijkstra, same matrix, sources, "
        "targets and limit, distances only; 'nx bounded' = networkx single-source Dijkstra "
        f"with cutoff per distinct source, timed on {args.nx_sample} sources and extrapolated; "
        f"ratios use 'ours' in one process; best of {args.repeat} for ours and raw scipy."
    )
    options = {
        "bound_m": args.bound_km * 1000,
        "workers": args.workers,
        "repeat": args.repeat,
        "nx_sample": args.nx_sample,
    }
    for pbf in args.pbf:
        build_s, graph = timed(lambda: network.graph_from_osm_file(pbf))
        print(f"\n{Path(pbf).name}: graph built from the extract in {build_s:.1f} s")
        bench_graph(Path(pbf).name, graph, args.sizes, **options)  # type: ignore[arg-type]
    build_s, graph = timed(lambda: road_like_graph(args.synthetic_nodes))
    print(f"\nsynthetic road-like graph generated in {build_s:.1f} s (400 m jittered grid)")
    bench_graph("synthetic", graph, args.sizes, **options)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
