"""Shared heat networks: the tree against an independent MST, costs and flows by hand.

The reference tree is networkx's ``minimum_spanning_tree`` over distances measured with
pyproj's ``Geod.inv`` (WGS84), times the pipeline circuity factor of
``datasets/reference/circuity.csv`` (1.20, a SymbioMap assumption); the module measures with
``geo.geodesy`` (within 2e-9 of ``Geod.inv``) and builds its tree with scipy.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from pyproj import Geod

from datasets.errors import SymbioMapError
from flows import heat_networks, pipes
from flows.model import Case
from geo.routing import RoadNetwork

PARAMS = pipes.load_pipe_parameters()
# parameters.csv: price.electricity (Eurostat S1 2025) and ef.grid_electricity.eu (EEA)
ELECTRICITY = {"electricity_price_eur_per_mwh": 190.2, "grid_ef_kg_co2e_per_mwh": 214.0}
PIPELINE_CIRCUITY = 1.20  # datasets/reference/circuity.csv, pipeline
FULL_LOAD_H = 5000.0  # pipe_costs.csv heat.full_load_hours

# Two sources and three sinks a few hundred metres to 3 km apart near Kalundborg, and one sink
# 40 km away that a candidate names but no trench of 10 km reaches.
SITES = {
    "A": (11.100, 55.670),
    "B": (11.115, 55.675),
    "C": (11.105, 55.680),
    "D": (11.125, 55.668),
    "E": (11.090, 55.690),
    "F": (11.700, 55.700),
}
SUPPLY = {"A": (4000.0, 90.0), "B": (2000.0, 80.0)}  # MWh/yr, C
DEMAND = {"C": (3000.0, 60.0), "D": (2000.0, 55.0), "E": (1500.0, 50.0), "F": (900.0, 50.0)}
NETWORK_SITES = ["A", "B", "C", "D", "E"]


def _case() -> Case:
    ids = list(SITES)
    points = gpd.points_from_xy([SITES[s][0] for s in ids], [SITES[s][1] for s in ids])
    return Case(sites=gpd.GeoDataFrame({"site_id": ids}, geometry=points, crs=4326))


def _candidate(supply: str, demand: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "candidate_id": f"{supply}-{demand}",
        "supply_site": supply,
        "demand_site": demand,
        "resource": "heat",
        "demand_resource": "heat",
        "supply_quantity": SUPPLY[supply][0],
        "demand_quantity": DEMAND[demand][0],
        "unit": "MWh/yr",
        "supply_temperature_c": SUPPLY[supply][1],
        "demand_temperature_c": DEMAND[demand][1],
        "mode": "pipeline",
        "basis": "declared",
    }
    row.update(changes)
    return row


def _candidates() -> pd.DataFrame:
    rows = [
        _candidate("A", "C"),
        _candidate("A", "D"),
        _candidate("B", "D"),
        _candidate("B", "E"),
        _candidate("B", "F"),
        # neither a steam demand nor heat by road nor an inferred flow joins a hot-water network
        _candidate("A", "E", candidate_id="steam", demand_resource="steam"),
        _candidate("A", "E", candidate_id="road", mode="road"),
        _candidate("A", "E", candidate_id="inferred", basis="inferred"),
    ]
    return pd.DataFrame(rows)


def _networks(**options: object) -> list[heat_networks.HeatNetwork]:
    return heat_networks.shared_networks(
        _candidates(),
        _case(),
        pipe_parameters=PARAMS,
        **{"max_km": 10.0, **ELECTRICITY, **options},  # type: ignore[arg-type]
    )


def _reference_tree() -> nx.Graph:
    geod = Geod(ellps="WGS84")
    graph = nx.Graph()
    for a, b in itertools.combinations(NETWORK_SITES, 2):
        _, _, metres = geod.inv(*SITES[a], *SITES[b])
        if metres * PIPELINE_CIRCUITY <= 10_000.0:
            graph.add_edge(a, b, weight=metres * PIPELINE_CIRCUITY)
    return nx.minimum_spanning_tree(graph)


def _hand_balance() -> dict[str, float]:
    """Injected minus withdrawn per site: supply 6,000 < demand 6,500 MWh/yr, so sources give
    all they offer and each sink takes 6,000/6,500 of its demand."""
    share = 6000.0 / 6500.0
    out = {s: SUPPLY[s][0] for s in SUPPLY}
    out.update({s: -DEMAND[s][0] * share for s in ("C", "D", "E")})
    return out


def test_one_network_of_the_five_sites_within_reach() -> None:
    found = _networks()
    assert len(found) == 1
    net = found[0]
    assert net.network_id == "HN1"
    assert sorted(net.sites["site_id"]) == NETWORK_SITES
    assert sorted(net.candidate_ids) == ["A-C", "A-D", "B-D", "B-E"]
    assert net.distance_kind == "estimated"
    assert net.parameter_set == PARAMS.version


def test_length_equals_an_independent_minimum_spanning_tree() -> None:
    net = _networks()[0]
    reference = _reference_tree()
    assert net.length_m == pytest.approx(reference.size(weight="weight"), rel=1e-6)
    pairs = zip(net.edges["from_site"], net.edges["to_site"], strict=True)
    ours = {frozenset(pair) for pair in pairs}
    assert ours == {frozenset(edge) for edge in reference.edges}


def test_flows_balance() -> None:
    net = _networks()[0]
    assert net.supply_mwh_per_yr == pytest.approx(6000.0)
    assert net.demand_mwh_per_yr == pytest.approx(6500.0)
    assert net.carried_mwh_per_yr == pytest.approx(6000.0)  # capped by the smaller side
    sites = net.sites.set_index("site_id")
    assert sites["injected_mwh_per_yr"].sum() == pytest.approx(6000.0)
    assert sites["withdrawn_mwh_per_yr"].sum() == pytest.approx(6000.0)
    balance = _hand_balance()
    edges = net.edges
    for site in NETWORK_SITES:
        out = edges.loc[edges["from_site"] == site, "heat_mwh_per_yr"].sum()
        into = edges.loc[edges["to_site"] == site, "heat_mwh_per_yr"].sum()
        assert out - into == pytest.approx(balance[site])


def test_each_edge_carries_the_surplus_on_its_side() -> None:
    net = _networks()[0]
    reference = _reference_tree()
    balance = _hand_balance()
    edges = net.edges
    crossing = {
        frozenset((a, b)): flow
        for a, b, flow in zip(
            edges["from_site"], edges["to_site"], edges["heat_mwh_per_yr"], strict=True
        )
    }
    for a, b in reference.edges:
        cut = reference.copy()
        cut.remove_edge(a, b)
        side = nx.node_connected_component(cut, a)
        assert crossing[frozenset((a, b))] == pytest.approx(abs(sum(balance[s] for s in side)))


def test_investment_is_the_sum_of_edge_costs_by_hand() -> None:
    net = _networks()[0]
    # the coolest source (B, 80 C) sets the flow; the return is THERMOS' 60 C capped at 30 K
    # below the flow: 50 C
    assert (net.flow_temperature_c, net.return_temperature_c) == (80.0, 50.0)
    reference = _reference_tree()
    balance = _hand_balance()
    pipe_total = 0.0
    for a, b, data in reference.edges(data=True):
        cut = reference.copy()
        cut.remove_edge(a, b)
        heat_mwh_per_yr = abs(sum(balance[s] for s in nx.node_connected_component(cut, a)))
        diameter_m = pipes.diameter_for(
            heat_mwh_per_yr / FULL_LOAD_H, kind="heat", params=PARAMS, supply_c=80.0, return_c=50.0
        )
        pipe_total += float(pipes.investment_thermos(diameter_m, data["weight"], params=PARAMS))
    assert net.pipe_investment_eur == pytest.approx(pipe_total, rel=1e-6)
    assert net.edges["investment_eur"].sum() == pytest.approx(pipe_total, rel=1e-6)
    # Hotmaps (pipe_costs.csv): every peak is below 1 MW; air-to-liquid exchangers at the
    # sources (15,000 EUR/MW) for 6,000 MWh/yr / 5,000 h = 1.2 MW in all, liquid-to-liquid
    # exchangers (265,000 EUR/MW) and pumps (240,000 EUR/MW) at the sinks for the same 1.2 MW
    exchangers = 1.2 * 15_000.0 + 1.2 * (265_000.0 + 240_000.0)
    assert net.exchanger_investment_eur == pytest.approx(exchangers)
    assert net.investment_eur == pytest.approx(pipe_total + exchangers, rel=1e-6)


def test_losses_and_levelised_cost() -> None:
    net = _networks()[0]
    hours = PARAMS["pipe.operating_hours_per_yr"]
    by_hand = (net.edges["length_m"] * pipes.heat_loss_w_per_m(
        net.edges["diameter_m"].to_numpy(), params=PARAMS, supply_c=80.0, return_c=50.0
    ) * hours / 1e6).sum()  # fmt: skip
    assert net.heat_loss_mwh_per_yr == pytest.approx(by_hand, rel=1e-9)
    assert 0 < net.heat_loss_mwh_per_yr < 0.2 * net.carried_mwh_per_yr
    assert net.delivered_mwh_per_yr == pytest.approx(6000.0 - by_hand)
    assert net.levelised_cost_eur_per_mwh == pytest.approx(
        net.annual_cost_eur_per_yr / net.delivered_mwh_per_yr
    )
    annuity = float(
        pipes.annuity_factor(PARAMS["finance.discount_rate"], PARAMS["finance.lifetime_yr"])
    )
    exchangers_per_yr = net.exchanger_investment_eur * (
        annuity + PARAMS["hotmaps.om_fraction_per_yr"]
    )
    assert net.annual_cost_eur_per_yr == pytest.approx(
        net.edges["annual_cost_eur_per_yr"].sum() + exchangers_per_yr
    )


def test_large_groups_use_the_candidates_pairs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heat_networks, "DENSE_MAX_SITES", 2)
    net = _networks()[0]
    geod = Geod(ellps="WGS84")
    # the four declared pairs within reach already form a tree: A-C, A-D, B-D, B-E
    pairs = [("A", "C"), ("A", "D"), ("B", "D"), ("B", "E")]
    expected = sum(geod.inv(*SITES[a], *SITES[b])[2] for a, b in pairs) * PIPELINE_CIRCUITY
    assert net.length_m == pytest.approx(expected, rel=1e-6)
    assert net.length_m > _reference_tree().size(weight="weight")


def test_a_shorter_reach_or_more_sites_than_exist_gives_no_network() -> None:
    assert _networks(max_km=0.1) == []
    assert _networks(min_sites=6) == []


def test_a_sink_too_hot_for_the_coolest_source_is_left_out() -> None:
    candidates = _candidates()
    candidates.loc[candidates["demand_site"] == "C", "demand_temperature_c"] = 78.0
    net = heat_networks.shared_networks(
        candidates,
        _case(),
        pipe_parameters=PARAMS,
        **ELECTRICITY,  # type: ignore[arg-type]
    )[0]
    # 78 C + the 5 K approach is more than B's 80 C: C is not served
    assert sorted(net.sites["site_id"]) == ["A", "B", "D", "E"]
    assert net.carried_mwh_per_yr == pytest.approx(3500.0)


def test_trenches_follow_the_road_network() -> None:
    # a ring road through the five sites' positions (osmnx-style: x/y in degrees, lengths in m)
    geod = Geod(ellps="WGS84")
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    ring = ["A", "C", "E", "B", "D"]
    for n, site in enumerate(ring):
        graph.add_node(n + 1, x=SITES[site][0], y=SITES[site][1])
    road_m = {}
    for n, site in enumerate(ring):
        nxt = ring[(n + 1) % len(ring)]
        _, _, metres = geod.inv(*SITES[site], *SITES[nxt])
        road_m[frozenset((site, nxt))] = metres
        graph.add_edge(n + 1, (n + 1) % len(ring) + 1, length=metres)
        graph.add_edge((n + 1) % len(ring) + 1, n + 1, length=metres)
    network = RoadNetwork.from_graph(graph)
    net = _networks(network=network)[0]
    assert net.distance_kind == "road"
    # along a ring the MST drops its longest segment; the sites sit on the nodes
    assert net.length_m == pytest.approx(sum(road_m.values()) - max(road_m.values()), abs=1e-3)


def test_missing_columns_are_a_clear_error() -> None:
    with pytest.raises(heat_networks.HeatNetworkError, match="lack unit") as err:
        heat_networks.shared_networks(
            _candidates().drop(columns="unit"),
            _case(),
            pipe_parameters=PARAMS,
            **ELECTRICITY,  # type: ignore[arg-type]
        )
    assert isinstance(err.value, SymbioMapError)
    assert isinstance(err.value, ValueError)
