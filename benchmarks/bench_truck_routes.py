"""How many road routes lorry restrictions change, on a real OpenStreetMap extract.

Builds the drive network of ``--pbf``, its view for a 40 t articulated lorry
(:meth:`geo.routing.RoadNetwork.restricted_to`, rules in :mod:`geo.vehicles`), picks ``--nodes``
random nodes of the network's largest strongly connected component per ``--seeds`` seed and,
for every ordered pair of them (30 nodes: 870 pairs), prints:

- how many shortest routes without restrictions use an edge the lorry may not use, and how many
  use one closed by ``hgv=no`` / ``access`` or by ``maxweight`` below 7.5 t (the previous audit's
  criterion);
- routed legally, node to node: how many pairs are more than 20 % longer, and how many have no
  legal route at all (a node only closed ways reach);
- as the product reports them (:func:`geo.distance.od_table` with the lorry network, the nodes
  as sites, ``--max-access-m``, default 1 km): how many pairs are more than 20 % longer, how
  many reach the legal network by access legs over 100 m longer than without restrictions,
  and how many fall back to an estimate with ``route_note = 'no truck-legal route'``.

Not a test: run it by hand.

    python benchmarks/bench_truck_routes.py --pbf ../shared/data/osm/antwerp-2014.osm.pbf
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import csgraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import distance, network
from geo.routing import DEFAULT_MAX_ACCESS_M, RoadNetwork
from geo.vehicles import DEFAULT_PROFILE, VehicleProfile

DEFAULT_PBF = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "osm" / "antwerp-2014.osm.pbf"
)
LONGER = 1.2
"""A legal route more than 20 % longer than the unrestricted one counts as changed."""


def _closed_matrix(
    net: RoadNetwork, lorry: RoadNetwork, closed: pd.DataFrame
) -> set[tuple[int, int]]:
    """Matrix edges (u, v) whose shortest parallel edge, the one a route takes, is closed."""
    position = {int(n): k for k, n in enumerate(net.node_ids)}
    pairs = set()
    for u, v in zip(closed["u"], closed["v"], strict=True):
        a, b = position[int(u)], position[int(v)]
        used = net.length_m[a, b]
        if lorry.length_m[a, b] == 0 or lorry.length_m[a, b] > used + 1e-9:
            pairs.add((a, b))
    return pairs


def _uses(pred_row: np.ndarray, src: int, tgt: int, edges: set[tuple[int, int]]) -> bool:
    node = tgt
    while node != src and node >= 0:
        parent = int(pred_row[node])
        if (parent, node) in edges:
            return True
        node = parent
    return False


def audit(
    net: RoadNetwork, lorry: RoadNetwork, nodes: np.ndarray, *, closed: pd.DataFrame
) -> dict[str, int]:
    """Counts over every ordered pair of ``nodes`` (matrix indices)."""
    any_closed = _closed_matrix(net, lorry, closed)
    audit_reason = closed["reason"].str.startswith(("hgv=", "access=")) | (
        closed["reason"].str.startswith("maxweight ")
        & (closed["reason"].str.extract(r"maxweight ([\d.]+) t")[0].astype(float) < 7.5)
    )
    audit_closed = _closed_matrix(net, lorry, closed[audit_reason.fillna(False)])
    free, pred = csgraph.dijkstra(
        net.length_m, directed=True, indices=nodes, return_predecessors=True
    )
    legal = lorry.node_distances(nodes, nodes)
    counts = {"pairs": 0, "use_closed": 0, "use_audit": 0, "longer": 0, "unreachable": 0}
    for a, src in enumerate(nodes):
        for b, tgt in enumerate(nodes):
            if a == b:
                continue
            counts["pairs"] += 1
            counts["use_closed"] += _uses(pred[a], int(src), int(tgt), any_closed)
            counts["use_audit"] += _uses(pred[a], int(src), int(tgt), audit_closed)
            if not np.isfinite(legal[a, b]):
                counts["unreachable"] += 1
            elif legal[a, b] > LONGER * free[a, int(tgt)]:
                counts["longer"] += 1
    return counts


def as_reported(
    net: RoadNetwork, lorry: RoadNetwork, nodes: np.ndarray, *, max_access_m: float
) -> dict[str, int]:
    """What :func:`geo.distance.od_table` reports with the nodes as sites."""
    sites = gpd.GeoDataFrame(
        {"site_id": [f"n{k}" for k in range(len(nodes))]},
        geometry=gpd.points_from_xy(net.lon_deg[nodes], net.lat_deg[nodes]),
        crs=4326,
    )
    free = distance.od_table(sites, network=net, max_access_m=max_access_m)
    legal = distance.od_table(sites, network=lorry, max_access_m=max_access_m)
    both = (free["distance_kind"] == "road") & (legal["distance_kind"] == "road")
    access_m = legal["access_from_m"] + legal["access_to_m"]
    free_access_m = free["access_from_m"] + free["access_to_m"]
    return {
        "long_access": int((both & (access_m > free_access_m + 100)).sum()),
        "longer": int((both & (legal["distance_m"] > LONGER * free["distance_m"])).sum()),
        "no_legal": int((legal["route_note"] == distance.NOTE_NO_TRUCK_ROUTE).sum()),
        "road": int((legal["distance_kind"] == "road").sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, default=DEFAULT_PBF, help="an .osm.pbf extract")
    parser.add_argument("--nodes", type=int, default=30, help="random nodes per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--weight-t", type=float, default=DEFAULT_PROFILE.gross_weight_t)
    parser.add_argument("--max-access-m", type=float, default=DEFAULT_MAX_ACCESS_M)
    parser.add_argument(
        "--no-access-only",
        action="store_true",
        help="close ways open for access only (hgv=destination, delivery) too",
    )
    args = parser.parse_args()
    if not args.pbf.is_file():
        parser.error(f"{args.pbf}: no such file (give an extract with --pbf)")
    profile = VehicleProfile(
        gross_weight_t=args.weight_t, destination_allowed=not args.no_access_only
    )
    start = time.perf_counter()
    graph = network.graph_from_osm_file(args.pbf)
    built_s = time.perf_counter() - start
    start = time.perf_counter()
    net = RoadNetwork.from_graph(graph)
    net_s = time.perf_counter() - start
    start = time.perf_counter()
    lorry = net.restricted_to(profile)
    lorry_s = time.perf_counter() - start
    closed = net.closed_edges(profile)
    print(
        f"{args.pbf.name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges "
        f"(graph {built_s:.1f} s, RoadNetwork {net_s:.2f} s, restricted view {lorry_s:.3f} s)"
    )
    print(f"lorry: {profile.describe()}")
    print(f"closed directed edges: {len(closed):,}")
    for reason, n in closed["reason"].value_counts().items():
        print(f"  {n:5d}  {reason}")
    print(
        f"largest strongly connected component: {int(net.main.sum()):,} nodes without "
        f"restrictions, {int(lorry.main.sum()):,} for the lorry"
    )
    print(f"\n{args.nodes} random nodes of the unrestricted component per seed, every ordered pair")
    header = (
        "seed  pairs  use-closed  use-hgv/access/<7.5t  legal>+20%  no-legal-route | "
        "od_table: road  >+20%  access+100m  'no truck-legal route'"
    )
    print(header)
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        nodes = np.sort(rng.choice(np.flatnonzero(net.main), args.nodes, replace=False))
        counts = audit(net, lorry, nodes, closed=closed)
        reported = as_reported(net, lorry, nodes, max_access_m=args.max_access_m)
        print(
            f"{seed:4d}  {counts['pairs']:5d}  {counts['use_closed']:10d}  "
            f"{counts['use_audit']:20d}  {counts['longer']:10d}  {counts['unreachable']:14d} | "
            f"{reported['road']:14d}  {reported['longer']:5d}  {reported['long_access']:11d}  "
            f"{reported['no_legal']:22d}"
        )


if __name__ == "__main__":
    main()
