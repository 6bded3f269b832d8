"""The cluster plan: the optimum against brute force, capacities, greedy <= optimum, exchanges
in place first, clear messages for requests that cannot be planned."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

import datasets
from flows import allocation, io, pipeline, uncertainty
from flows.heat_networks import HeatNetwork
from tests.cli_helpers import run_module


def _instance(seed: int) -> pd.DataFrame:
    """A small random set of candidates: 2-4 supplies, 2-4 demands, freight and pipes (a pipe
    has a fixed annual cost), some not paying at their full quantity."""
    rng = np.random.default_rng(seed)
    n_s, n_d = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    cap_s = rng.choice([50.0, 100.0, 150.0], n_s)
    cap_d = rng.choice([40.0, 80.0, 120.0], n_d)
    pairs = [(i, j) for i in range(n_s) for j in range(n_d) if rng.random() < 0.6]
    if not pairs:
        pairs = [(0, 0)]
    s = np.array([p[0] for p in pairs])
    d = np.array([p[1] for p in pairs])
    qty = np.minimum(cap_s[s], cap_d[d])
    pipe = rng.random(len(pairs)) < 0.4
    unit_value = rng.uniform(-2.0, 10.0, len(pairs))
    fixed = np.where(pipe, rng.uniform(50.0, 400.0, len(pairs)), 0.0)
    value = unit_value * qty - fixed
    return pd.DataFrame(
        {
            "candidate_id": [f"s{i}>d{j}" for i, j in pairs],
            "supply_site": [f"s{i}" for i in s],
            "resource": "heat",
            "demand_site": [f"d{j}" for j in d],
            "demand_resource": "heat",
            "supply_quantity": cap_s[s],
            "demand_quantity": cap_d[d],
            "quantity": qty,
            "unit": "MWh/yr",
            "mode": np.where(pipe, "pipeline", "road"),
            "net_benefit_eur": value,
            "net_benefit_excl_carbon_eur": value,
            "net_co2e_t": value / 10,
            "transport_cost_eur": fixed,
            "transport_co2e_t": 0.0,
            "exchange_status": "new",
        }
    )


def _brute_force(frame: pd.DataFrame) -> float:
    """The optimum by enumeration: every subset of pipes built, the flows by an LP for each."""
    qty = frame["quantity"].to_numpy()
    fixed = frame["transport_cost_eur"].to_numpy()
    per_unit = (frame["net_benefit_eur"].to_numpy() + fixed) / qty
    pipes = np.flatnonzero(fixed > 0)
    supply = pd.factorize(frame["supply_site"])[0]
    demand = pd.factorize(frame["demand_site"])[0]
    rows = []
    caps = []
    for codes, column in ((supply, "supply_quantity"), (demand, "demand_quantity")):
        for k in np.unique(codes):
            rows.append((codes == k).astype(float))
            caps.append(frame.loc[codes == k, column].iloc[0])
    best = 0.0
    for built in itertools.product([0, 1], repeat=len(pipes)):
        upper = qty.copy()
        upper[pipes] *= np.array(built, dtype=float)
        bounds = list(zip(0 * upper, upper, strict=True))
        lp = linprog(-per_unit, A_ub=np.array(rows), b_ub=np.array(caps), bounds=bounds)
        assert lp.status == 0
        best = max(best, -lp.fun - float(fixed[pipes] @ np.array(built, dtype=float)))
    return best


@pytest.mark.parametrize("seed", range(25))
def test_the_optimum_is_the_brute_force_one(seed: int) -> None:
    frame = _instance(seed)
    exact = allocation.allocate(frame, options=allocation.AllocationOptions(mip_rel_gap=0.0))
    assert exact.new_value == pytest.approx(_brute_force(frame), rel=1e-6, abs=1e-6)
    # by default HiGHS stops once its plan is proven within 0.01 % of the optimum
    default = allocation.allocate(frame)
    assert exact.new_value * (1 - 1e-4) - 1e-6 <= default.new_value <= exact.new_value + 1e-6


@pytest.mark.parametrize("seed", range(25))
def test_no_supply_or_demand_is_exceeded_and_greedy_is_not_better(seed: int) -> None:
    frame = _instance(seed)
    plan = allocation.allocate(frame)
    links = plan.links
    for site, column in (("supply_site", "supply_quantity"), ("demand_site", "demand_quantity")):
        used = links.groupby(site).agg(flow=("planned_flow", "sum"), cap=(column, "first"))
        assert (used["flow"] <= used["cap"] * (1 + 1e-9) + 1e-9).all()
    assert (links["planned_flow"] <= links["quantity"] * (1 + 1e-9)).all()
    assert plan.greedy_new_value <= plan.new_value + 1e-6
    # a pipe carries something only when it is built, and then pays its whole fixed cost
    carried = links[links["planned_flow"] > 1e-9]
    per_unit = (carried["net_benefit_eur"] + carried["transport_cost_eur"]) / carried["quantity"]
    expected = per_unit * carried["planned_flow"] - carried["transport_cost_eur"]
    np.testing.assert_allclose(carried["plan_value"], expected, rtol=1e-9, atol=1e-9)


def test_a_pipe_is_built_only_when_it_pays_its_fixed_cost() -> None:
    frame = (
        _instance(3)
        .head(1)
        .assign(quantity=100.0, supply_quantity=100.0, demand_quantity=100.0, mode="pipeline")
    )
    money = ("net_benefit_eur", "net_benefit_excl_carbon_eur")
    pays = frame.assign(**dict.fromkeys(money, 50.0), transport_cost_eur=200.0)  # 250/100 a unit
    loses = frame.assign(**dict.fromkeys(money, -1.0), transport_cost_eur=200.0)
    assert allocation.allocate(pays).chosen["planned_flow"].tolist() == [100.0]
    assert allocation.allocate(loses).chosen.empty
    # forced, it is built at a loss and says so in the value
    forced = allocation.allocate(loses, options=allocation.AllocationOptions(force=["s0>d0"]))
    assert forced.value == pytest.approx(-1.0)


def test_exchanges_in_place_use_their_share_first() -> None:
    frame = pd.DataFrame(
        {
            "candidate_id": ["lake>refinery", "lake>pharma"],
            "supply_site": ["lake", "lake"],
            "resource": "surface-water",
            "demand_site": ["refinery", "pharma"],
            "demand_resource": "process-water",
            "supply_quantity": 100.0,
            "demand_quantity": [60.0, 80.0],
            "quantity": [60.0, 80.0],
            "unit": "m3/yr",
            "mode": "road",
            "net_benefit_eur": [60.0, 800.0],  # the new use is worth far more per m3
            "net_benefit_excl_carbon_eur": [60.0, 800.0],
            "net_co2e_t": [6.0, 80.0],
            "transport_cost_eur": 0.0,
            "transport_co2e_t": 0.0,
            "exchange_status": ["active", "new"],
        }
    )
    kept = allocation.allocate(frame).links.set_index("candidate_id")
    assert kept.loc["lake>refinery", "planned_flow"] == 60.0
    assert kept.loc["lake>refinery", "plan_role"] == "in place"
    assert kept.loc["lake>pharma", "planned_flow"] == pytest.approx(40.0)  # what is left
    free = allocation.allocate(frame, options=allocation.AllocationOptions(keep_in_place=False))
    competed = free.links.set_index("candidate_id")
    assert competed.loc["lake>pharma", "planned_flow"] == pytest.approx(80.0)
    assert competed.loc["lake>refinery", "planned_flow"] == pytest.approx(20.0)


def test_objectives_and_minimum_quantities() -> None:
    frame = _instance(7)
    co2 = allocation.allocate(frame, options=allocation.AllocationOptions(objective="co2"))
    assert co2.unit == "t CO2e/yr"
    minimum = allocation.allocate(frame, options=allocation.AllocationOptions(min_share=0.5))
    chosen = minimum.chosen
    assert (chosen["planned_flow"] >= 0.5 * chosen["quantity"] - 1e-6).all()
    assert minimum.binaries > 0  # a minimum quantity needs a yes/no per link
    assert minimum.solver.startswith("HiGHS MILP")
    assert minimum.new_value <= allocation.allocate(frame).new_value + 1e-6  # a constraint more


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (allocation.AllocationOptions(objective="money"), "unknown objective"),  # type: ignore[arg-type]
        (allocation.AllocationOptions(min_share=2.0), "min_share"),
        (allocation.AllocationOptions(force=["nowhere>nobody"]), "not among the candidates"),
    ],
)
def test_requests_that_cannot_be_planned_say_why(
    options: allocation.AllocationOptions, message: str
) -> None:
    with pytest.raises(allocation.AllocationError, match=message):
        allocation.allocate(_instance(1), options=options)


def test_an_empty_set_and_an_infeasible_force_say_why() -> None:
    with pytest.raises(allocation.AllocationError, match="no candidates"):
        allocation.allocate(_instance(1).iloc[0:0])
    frame = _instance(2)
    shared = frame[frame["supply_site"] == frame["supply_site"].iloc[0]]
    if len(shared) >= 2:
        both = shared["candidate_id"].tolist()
        with pytest.raises(allocation.AllocationError, match="infeasible"):
            allocation.allocate(
                frame.assign(supply_quantity=1.0),
                options=allocation.AllocationOptions(force=both, min_share=1.0),
            )


def test_kalundborg_today_has_nothing_new_to_plan() -> None:
    case = io.load_case(datasets.get_path("kalundborg")).case
    assert case is not None
    analysis = pipeline.analyse(case)
    price = analysis.parameters["carbon.price"]
    options = allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)
    plan = allocation.allocate(analysis.candidates, options=options)
    assert set(plan.chosen["plan_role"]) == {"in place"}
    assert plan.new_value == 0.0
    totals = analysis.totals(tier="owner")
    # the in-place exchanges the plan keeps, valued at the analysis' carbon price, are the
    # ones the totals count
    assert plan.value == pytest.approx(totals.in_place.net_benefit_eur, rel=1e-9)


def test_the_command_line_plan_is_the_api_plan(tmp_path: Path) -> None:
    path = datasets.get_path("kalundborg")
    out = tmp_path / "plan.csv"
    done = run_module(
        "flows", "plan", str(path), "--year", "2010", "--tier", "owner", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    case = io.load_case(path).case
    assert case is not None
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2010))
    price = analysis.parameters["carbon.price"]
    options = allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)
    plan = analysis.plan(tier="owner", options=options)
    written = pd.read_csv(out).set_index("candidate_id")
    api = plan.chosen.set_index("candidate_id")
    assert set(written.index) == set(api.index)
    for column in ("planned_flow", "plan_value", "plan_co2e_t"):
        np.testing.assert_allclose(
            written.loc[api.index, column], api[column], rtol=1e-6, err_msg=column
        )
    assert f"{plan.value:,.0f} EUR/yr in all" in done.stdout
    assert "greedy pairwise choice" in done.stdout


def test_an_impossible_plan_is_a_clear_error_on_the_command_line(tmp_path: Path) -> None:
    done = run_module(
        "flows", "plan", str(datasets.get_path("kalundborg")), "--force", "nowhere>nobody",
        "--out", str(tmp_path / "p.csv"),
    )  # fmt: skip
    assert done.returncode == 1
    assert "forced links not among the candidates: nowhere>nobody" in done.stderr
    assert "Traceback" not in done.stderr


def test_what_flows_between_sectors_adds_up_to_the_plan() -> None:
    case = io.load_case(datasets.get_path("kalundborg")).case
    assert case is not None
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2010))
    chosen = allocation.allocate(analysis.candidates).chosen
    for unit in ("t/yr", "MWh/yr", "m3/yr"):
        moved = allocation.flows_between(chosen, case, by="sector", unit=unit)
        in_unit = chosen[chosen["unit"].astype(str) == unit]
        assert moved["quantity"].sum() == pytest.approx(in_unit["planned_flow"].sum())
        by_site = allocation.flows_between(chosen, case, by="site", unit=unit)
        assert by_site["quantity"].sum() == pytest.approx(in_unit["planned_flow"].sum())
    heat = allocation.flows_between(chosen, case, by="sector", unit="MWh/yr")
    # Asnæs (electricity, gas, steam) supplies the steam and heat of the plan's energy
    assert heat["source"].str.contains("Electricity").any()


def test_plan_draws_are_reproducible_and_for_every_tier(tmp_path: Path) -> None:
    path = str(datasets.get_path("kalundborg"))
    runs = [
        run_module(
            "flows",
            "plan",
            path,
            "--tier",
            "owner",
            "--draws",
            "200",
            "--seed",
            "7",
            "--out",
            str(tmp_path / f"p{k}.csv"),
        )
        for k in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    first, second = (pd.read_csv(tmp_path / f"p{k}.csv") for k in range(2))
    assert first["p_pays"].between(0, 1).all()
    pd.testing.assert_series_equal(first["p_pays"], second["p_pays"])
    assert "P10 / P50 / P90" in runs[0].stdout
    # the public tier's bands: what withheld candidates leave (none here), same as the API
    public = run_module(
        "flows", "plan", path, "--draws", "50", "--out", str(tmp_path / "x.csv")
    )  # fmt: skip
    assert public.returncode == 0, public.stderr
    case = io.load_case(path).case
    assert case is not None
    analysis = pipeline.analyse(case)
    price = analysis.parameters["carbon.price"]
    options = allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)
    api = uncertainty.monte_carlo(
        analysis, draws=50, seed=0, plan_options=options, case=case, tier="public"
    )
    p50 = api.kpis.loc["plan_value", "p50"]
    assert f"{p50:,.0f}" in public.stdout


def test_the_command_line_offers_shared_heat_networks_as_the_api_does(tmp_path: Path) -> None:
    path = datasets.get_path("kalundborg")
    out = tmp_path / "plan.csv"
    done = run_module(
        "flows", "plan", str(path), "--year", "2026", "--heat-networks", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    case = io.load_case(path).case
    assert case is not None
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2026))
    networks = analysis.shared_heat_networks(case, tier="public")
    assert len(networks) == 1  # Asnæs, the wastewater heat pump and the district heating
    price = analysis.parameters["carbon.price"]
    options = allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)
    plan = analysis.plan(tier="public", options=options, networks=networks)
    # its links are in place in 2026: nothing new for a network to carry, so none is offered
    assert plan.networks.empty
    assert f"{plan.value:,.0f} EUR/yr in all" in done.stdout
    written = pd.read_csv(out)
    np.testing.assert_allclose(written["plan_value"].sum(), plan.value, rtol=1e-6)


def _square(pipe_cost_eur: float) -> pd.DataFrame:
    """Two heat sources (100 MWh/yr each) and two sinks (100 MWh/yr each), a pipe candidate
    per pair worth 10 EUR/MWh before its pipe: alone, no pipe pays at 1,500 EUR/yr."""
    pairs = [("a", "x"), ("b", "y"), ("a", "y"), ("b", "x")]
    fixed = np.full(len(pairs), pipe_cost_eur)
    value = 10.0 * 100.0 - fixed
    return pd.DataFrame(
        {
            "candidate_id": [f"{s}>{d}" for s, d in pairs],
            "supply_site": [s for s, _ in pairs],
            "resource": "heat",
            "demand_site": [d for _, d in pairs],
            "demand_resource": "heat",
            "supply_quantity": 100.0,
            "demand_quantity": 100.0,
            "quantity": 100.0,
            "unit": "MWh/yr",
            "mode": "pipeline",
            "net_benefit_eur": value,
            "net_benefit_excl_carbon_eur": value,
            "net_co2e_t": 0.02 * 100.0 - 0.1,
            "transport_cost_eur": fixed,
            "transport_co2e_t": 0.1,
            "exchange_status": "new",
        }
    )


def _network(annual_cost_eur: float, *, delivered_mwh: float = 180.0) -> HeatNetwork:
    """One network joining the four sites of :func:`_square`: 200 MWh/yr carried."""
    sites = pd.DataFrame({"site_id": ["a", "b", "x", "y"]})
    return HeatNetwork(
        network_id="HN1",
        edges=pd.DataFrame(),
        sites=sites,
        candidate_ids=("a>x", "b>y", "a>y", "b>x"),
        length_m=1200.0,
        supply_mwh_per_yr=200.0,
        demand_mwh_per_yr=200.0,
        carried_mwh_per_yr=200.0,
        heat_loss_mwh_per_yr=200.0 - delivered_mwh,
        delivered_mwh_per_yr=delivered_mwh,
        pipe_investment_eur=10_000.0,
        exchanger_investment_eur=2_000.0,
        investment_eur=12_000.0,
        annual_cost_eur_per_yr=annual_cost_eur,
        levelised_cost_eur_per_mwh=annual_cost_eur / delivered_mwh,
        flow_temperature_c=90.0,
        return_temperature_c=50.0,
        distance_kind="estimated",
        parameter_set="test",
        pumping_co2e_t_per_yr=0.3,
    )


def test_a_shared_network_is_built_when_it_pays_and_the_pipes_do_not() -> None:
    frame = _square(pipe_cost_eur=1_500.0)
    alone = allocation.allocate(frame)
    assert alone.value == 0.0  # no pipe pays at 10 EUR/MWh x 100 MWh - 1,500 EUR
    plan = allocation.allocate(frame, networks=[_network(1_000.0)])
    # hand calculation: 200 MWh/yr through the network, 90 % delivered, 10 EUR/MWh, less
    # its 1,000 EUR/yr: 10 x 0.9 x 200 - 1,000 = 800 EUR/yr
    assert plan.value == pytest.approx(800.0)
    assert plan.networks["built"].tolist() == [True]
    assert plan.networks["carried_mwh_per_yr"].iloc[0] == pytest.approx(200.0)
    links = plan.chosen
    assert set(links["plan_network"]) == {"HN1"}
    assert links["planned_via_network"].sum() == pytest.approx(200.0)
    # every link's part of the network cost adds up to the whole, and is in its value
    assert links["plan_network_cost_eur"].sum() == pytest.approx(1_000.0)
    assert links["plan_value"].sum() == pytest.approx(plan.value)
    # pumping CO2e: 0.02 t/MWh x 0.9 x 200 MWh less 0.3 t
    assert links["plan_co2e_t"].sum() == pytest.approx(0.02 * 0.9 * 200.0 - 0.3)
    # no supply or demand exceeded, pipes and network together
    assert (links.groupby("supply_site")["planned_flow"].sum() <= 100.0 + 1e-9).all()
    assert (links.groupby("demand_site")["planned_flow"].sum() <= 100.0 + 1e-9).all()


def test_a_network_that_costs_more_than_it_brings_is_left_out() -> None:
    frame = _square(pipe_cost_eur=1_500.0)
    plan = allocation.allocate(frame, networks=[_network(2_000.0)])
    assert plan.value == 0.0
    assert not plan.networks["built"].any()
    # cheap pipes win over a network: each pair's own pipe at 100 EUR/yr beats losing 10 %
    cheap = allocation.allocate(_square(pipe_cost_eur=100.0), networks=[_network(150.0)])
    assert cheap.value == pytest.approx(2 * (1_000.0 - 100.0))
    assert (cheap.chosen["planned_via_network"] == 0).all()


@pytest.mark.parametrize("seed", range(6))
def test_networks_offered_never_make_the_plan_worse(seed: int) -> None:
    frame = _instance(seed)
    sites = pd.concat([frame["supply_site"], frame["demand_site"]]).unique()
    network = dataclasses.replace(
        _network(float(np.random.default_rng(seed).uniform(100.0, 600.0))),
        sites=pd.DataFrame({"site_id": sites}),
        candidate_ids=tuple(frame["candidate_id"]),
    )
    base = allocation.allocate(frame, options=allocation.AllocationOptions(mip_rel_gap=0.0))
    both = allocation.allocate(
        frame, options=allocation.AllocationOptions(mip_rel_gap=0.0), networks=[network]
    )
    assert both.value >= base.value - 1e-6
    flows = both.links
    cap_s = flows.groupby("supply_site")["supply_quantity"].first()
    cap_d = flows.groupby("demand_site")["demand_quantity"].first()
    assert (flows.groupby("supply_site")["planned_flow"].sum() <= cap_s + 1e-6).all()
    assert (flows.groupby("demand_site")["planned_flow"].sum() <= cap_d + 1e-6).all()


def test_the_label_says_how_many_parts_the_time_limit_stopped_and_the_widest_gap() -> None:
    parts = [
        "HiGHS MILP (optimal)",
        "time limit of 12 s reached, within 0.055 % of the optimum",
        "time limit of 3 s reached, within 0.96 % of the optimum",
    ]
    assert allocation._label(parts, binaries=40) == (
        "HiGHS MILP, 3 independent parts; the time limit stopped 2 of them, the widest within "
        "0.96 % of its optimum"
    )
    assert allocation._label(parts[:1], binaries=0) == "HiGHS LP, 1 independent part (optimal)"
