"""A synthetic, road-like directed graph for benchmarks (not part of the product).

A jittered grid with a few missing links, one-way streets and a faster arterial every tenth row
and column, in EPSG:4326 around a centre, shaped like an osmnx graph (node x/y, edge length in
metres, travel_time in seconds).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from pyproj import Geod


def road_like_graph(
    n_nodes: int = 100_000,
    *,
    spacing_m: float = 400.0,
    centre_lon: float = 4.40,
    centre_lat: float = 51.22,
    seed: int = 0,
) -> nx.MultiDiGraph:
    """Return a grid-like drive network of about ``n_nodes`` nodes."""
    rng = np.random.default_rng(seed)
    side = int(np.sqrt(n_nodes))
    deg_lat = spacing_m / 111_320.0
    deg_lon = deg_lat / np.cos(np.radians(centre_lat))
    rows, cols = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    lat = centre_lat + (rows - side / 2) * deg_lat + rng.normal(0, deg_lat * 0.15, rows.shape)
    lon = centre_lon + (cols - side / 2) * deg_lon + rng.normal(0, deg_lon * 0.15, cols.shape)
    ids = np.arange(side * side).reshape(side, side) + 1
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(ids.ravel(), lon.ravel(), lat.ravel(), strict=True)
    )
    geod = Geod(ellps="WGS84")
    pairs = [
        (ids[:, :-1].ravel(), ids[:, 1:].ravel(), (rows[:, :-1] % 10 == 0).ravel()),
        (ids[:-1, :].ravel(), ids[1:, :].ravel(), (cols[:-1, :] % 10 == 0).ravel()),
    ]
    for all_u, all_v, all_arterial in pairs:
        keep = rng.random(len(all_u)) > 0.05  # some blocks have no through street
        u, v, arterial = all_u[keep], all_v[keep], all_arterial[keep]
        _, _, length = geod.inv(
            lon.ravel()[u - 1], lat.ravel()[u - 1], lon.ravel()[v - 1], lat.ravel()[v - 1]
        )
        length = length * rng.uniform(1.0, 1.15, len(u))  # streets are not straight
        speed_kph = np.where(arterial, 70.0, 40.0)
        time_s = length / (speed_kph / 3.6)
        one_way = rng.random(len(u)) < 0.1
        forward = rng.random(len(u)) < 0.5
        for a, b, m, s, ow, fw in zip(u, v, length, time_s, one_way, forward, strict=True):
            attrs = {"length": float(m), "travel_time": float(s)}
            if not ow or fw:
                graph.add_edge(int(a), int(b), **attrs)
            if not ow or not fw:
                graph.add_edge(int(b), int(a), **attrs)
    return graph
