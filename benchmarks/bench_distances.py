"""Many-to-many road distances: SymbioMap against osmnx/networkx and raw scipy, same graph.

Prints, for 100, 500 and 1,000 sites on each graph, our time (distances and durations along the
same routes), the raw scipy Dijkstra call on the same matrix, networkx single-source Dijkstra per
origin (on a subsample, extrapolated) and osmnx/networkx pair by pair (on a subsample,
extrapolated per pair), with pairs per second and ratios. Not a test: run it by hand.

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


def timed(func: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


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


def bench_graph(
    name: str, graph: nx.MultiDiGraph, sizes: list[int], bound_m: float, workers: int
) -> None:
    build_s, net = timed(lambda: RoadNetwork.from_graph(graph))
    assert isinstance(net, RoadNetwork)
    print(
        f"\n== {name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"RoadNetwork built once in {build_s:.2f} s (cached by the app); "
        f"bound {bound_m / 1000:g} km, {workers} worker(s)"
    )
    header = (
        f"{'sites':>6} {'pairs':>10} {'ours s':>8} {'ours 1w s':>9} {'core s':>7} "
        f"{'raw scipy s':>11} {'nx/origin s':>11} {'nx pair s':>10} {'ours pairs/s':>13} "
        f"{'vs nx pair':>10} {'vs nx/origin':>12} {'core/scipy':>10}"
    )
    print(header)
    rng = np.random.default_rng(0)
    for n in sizes:
        sites = random_sites(net, graph, n, seed=n)
        ours_s, table = timed(
            lambda: distance.od_table(sites, network=net, max_distance_m=bound_m, workers=workers)
        )
        one_s, _ = timed(
            lambda: distance.od_table(
                sites,
                network=net,
                max_distance_m=bound_m,
                workers=1,
            )
        )
        snapped = net.snap(sites.geometry)
        nodes = np.unique(snapped["node"].to_numpy())
        raw_s, _ = timed(
            lambda: csgraph.dijkstra(net.length_m, directed=True, indices=nodes, limit=bound_m)[
                :, nodes
            ]
        )
        core_s, _ = timed(lambda: net.node_distances(nodes, nodes, limit=bound_m))
        # networkx single-source Dijkstra per origin, on a subsample of origins
        k = min(len(nodes), 20)
        sample = rng.choice(nodes, k, replace=False)
        ids = net.node_ids
        nx_s, _ = timed(
            lambda: [
                nx.single_source_dijkstra_path_length(
                    graph, int(ids[s]), cutoff=bound_m, weight="length"
                )
                for s in sample
            ]
        )
        nx_origin_s = nx_s / k * len(nodes)
        # osmnx-style pair by pair (osmnx.routing.shortest_path calls networkx per pair)
        pairs = rng.choice(nodes, (30, 2))
        pair_s, _ = timed(
            lambda: [
                nx.shortest_path_length(graph, int(ids[a]), int(ids[b]), weight="length")
                for a, b in pairs
            ]
        )
        n_pairs = n * (n - 1)
        nx_pair_s = pair_s / len(pairs) * n_pairs
        assert isinstance(table, object)
        print(
            f"{n:>6} {n_pairs:>10,} {ours_s:>8.2f} {one_s:>9.2f} {core_s:>7.2f} {raw_s:>11.2f} "
            f"{nx_origin_s:>11.1f} {nx_pair_s:>10.0f} {n_pairs / ours_s:>13,.0f} "
            f"{nx_pair_s / ours_s:>9.0f}x {nx_origin_s / ours_s:>11.1f}x "
            f"{core_s / raw_s:>9.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", action="append", default=[], help="real OSM extract(s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--synthetic-nodes", type=int, default=100_000)
    parser.add_argument("--bound-km", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs; 'ours' = SymbioMap od_table (snapping, bounded "
        "Dijkstra, durations along the same route); 'ours 1w' = one process; 'raw scipy' = "
        "csgraph.dijkstra on the same matrix and sources, distances only; 'core' = our "
        "RoadNetwork.node_distances, the same job as raw scipy (one process); nx columns are "
        "extrapolated from subsamples; ratios vs nx use 'ours' (the whole labelled table)."
    )
    for pbf in args.pbf:
        build_s, graph = timed(lambda: network.graph_from_osm_file(pbf))
        print(f"\n{Path(pbf).name}: graph built from the extract in {build_s:.1f} s")
        bench_graph(Path(pbf).name, graph, args.sizes, args.bound_km * 1000, args.workers)
    build_s, graph = timed(lambda: road_like_graph(args.synthetic_nodes))
    print(f"\nsynthetic road-like graph generated in {build_s:.1f} s (400 m jittered grid)")
    bench_graph("synthetic", graph, args.sizes, args.bound_km * 1000, args.workers)


if __name__ == "__main__":
    main()
