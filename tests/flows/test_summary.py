"""Summaries of a case: what its exchanges move, as a viewer may see them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from flows import privacy, summary
from flows.model import Case


def test_exchange_totals_count_active_published_quantities(mini_case: Case) -> None:
    # tests/data/mini: gypsum 200 kt/yr active with a quantity; steam and heat active without
    # one; fuel gas historical
    totals = summary.exchange_totals(mini_case)
    assert totals.count == 4
    assert totals.active == 3
    assert totals.quantity == {"t/yr": pytest.approx(200_000.0)}
    assert totals.unpublished == 2


def test_withheld_quantities_count_as_unpublished(mini_case: Case) -> None:
    secret = mini_case.flows["resource"] == "10 01 05"
    case = dataclasses.replace(mini_case, flows=mini_case.flows.assign(confidential=secret))
    public = summary.exchange_totals(privacy.case(case, tier="public"))
    assert public.quantity == {}
    assert public.unpublished == 3
    assert summary.exchange_totals(privacy.case(case, tier="owner")).quantity == {
        "t/yr": pytest.approx(200_000.0)
    }


def test_a_case_without_exchanges_moves_nothing() -> None:
    totals = summary.exchange_totals(Case())
    assert (totals.count, totals.active, totals.quantity, totals.unpublished) == (0, 0, {}, 0)


def _greedy_by_hand(frame: pd.DataFrame) -> np.ndarray:
    """The sequential greedy the vectorised rounds must equal: best candidate first, each
    takes what its supply and its demand have left."""
    left_s: dict[tuple[str, str], float] = {}
    left_d: dict[tuple[str, str], float] = {}
    for row in frame.itertuples():
        left_s[(row.supply_site, row.resource)] = row.supply_quantity
        left_d[(row.demand_site, row.demand_resource)] = row.demand_quantity
    share = np.zeros(len(frame))
    order = sorted(range(len(frame)), key=lambda k: (-frame["net_benefit_eur"].iloc[k], k))
    for k in order:
        row = frame.iloc[k]
        s_key = (row["supply_site"], row["resource"])
        d_key = (row["demand_site"], row["demand_resource"])
        amount = min(left_s[s_key], left_d[d_key], row["quantity"])
        if amount <= 1e-9 * frame["quantity"].max():
            continue
        share[k] = amount / row["quantity"]
        left_s[s_key] -= amount
        left_d[d_key] -= amount
    return share


def _random_candidates(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_sup, n_dem, n = int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 25))
    supply_qty = rng.choice([100.0, 250.0, 400.0], n_sup)
    demand_qty = rng.choice([50.0, 150.0, 300.0], n_dem)
    s = rng.integers(0, n_sup, n)
    d = rng.integers(0, n_dem, n)
    frame = pd.DataFrame(
        {
            "supply_site": [f"s{i}" for i in s],
            "resource": "10 01 05",
            "demand_site": [f"d{j}" for j in d],
            "demand_resource": "10 01 05",
            "supply_quantity": supply_qty[s],
            "demand_quantity": demand_qty[d],
            "quantity": np.minimum(supply_qty[s], demand_qty[d]),
            # ties on purpose: rounded benefits make equal values common
            "net_benefit_eur": np.round(rng.normal(1000, 800, n), -2),
        }
    )
    return frame.drop_duplicates(["supply_site", "demand_site"]).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(60))
def test_best_per_flow_is_the_sequential_greedy(seed: int) -> None:
    frame = _random_candidates(seed)
    np.testing.assert_allclose(summary.best_per_flow(frame), _greedy_by_hand(frame))


@pytest.mark.parametrize("seed", range(20))
def test_no_supply_or_demand_is_counted_twice(seed: int) -> None:
    frame = _random_candidates(seed)
    used = frame.assign(used=frame["quantity"] * summary.best_per_flow(frame))
    by_supply = used.groupby("supply_site").agg(
        used=("used", "sum"), cap=("supply_quantity", "first")
    )
    by_demand = used.groupby("demand_site").agg(
        used=("used", "sum"), cap=("demand_quantity", "first")
    )
    assert (by_supply["used"] <= by_supply["cap"] + 1e-9).all()
    assert (by_demand["used"] <= by_demand["cap"] + 1e-9).all()


def test_one_supply_split_between_its_demands_counts_once() -> None:
    # a lake's 4 million m3/yr of surface water, one summed supply, and three users: the two
    # best get what they ask, the third what is left (pro rata), nothing is counted twice
    frame = pd.DataFrame(
        {
            "supply_site": ["lake"] * 3,
            "resource": "surface-water",
            "demand_site": ["refinery", "power", "pharma"],
            "demand_resource": "process-water",
            "supply_quantity": 4e6,
            "demand_quantity": [1e6, 1.5e6, 2.5e6],
            "quantity": [1e6, 1.5e6, 2.5e6],
            "net_benefit_eur": [3e6, 2e6, 1e6],
        }
    )
    np.testing.assert_allclose(summary.best_per_flow(frame), [1.0, 1.0, 1.5 / 2.5])


def test_totals_keep_new_potential_and_exchanges_in_place_apart() -> None:
    frame = pd.DataFrame(
        {
            "supply_site": ["a", "a", "b", "c", "d"],
            "resource": ["heat", "heat", "steam", "10 01 05", "10 01 05"],
            "demand_site": ["x", "y", "x", "z", "z"],
            "demand_resource": ["heat", "heat", "heat", "10 01 05", "10 01 05"],
            "unit": ["MWh/yr", "MWh/yr", "MWh/yr", "t/yr", "t/yr"],
            "supply_quantity": [150.0, 150.0, 50.0, 10.0, 10.0],
            "demand_quantity": [130.0, 80.0, 130.0, 10.0, 10.0],
            "quantity": [100.0, 80.0, 50.0, 10.0, 10.0],
            "basis": "declared",
            "exchange_status": ["active", "new", "new", "historical", "new"],
            "net_co2e_t": [20.0, 16.0, 10.0, 1.0, 2.0],
            "net_benefit_eur": [500.0, 400.0, 300.0, 50.0, -5.0],
        }
    )
    totals = summary.candidate_totals(frame, count=len(frame))
    # a's heat serves x in place (100 MWh/yr): the new candidates get what that leaves, a>y
    # 50 of a's 150 (pro rata 400 x 50/80 EUR), b>x 30 of x's 130 (300 x 30/50); d>z does not
    # pay
    assert totals.in_place == summary.Figures(1, 1, {"MWh/yr": 100.0}, 500.0, 20.0)
    assert totals.new_potential == summary.Figures(2, 2, {"MWh/yr": 80.0}, 430.0, 16.0)
    assert (totals.new, totals.planned, totals.ended) == (3, 0, 1)
    lines = summary.totals_lines(totals)
    assert lines[0].startswith("New potential: 2 exchanges, 430 EUR/yr and 16 t CO2e/yr")
    assert "In place: 1 candidates repeat an exchange active" in lines[1]
    assert lines[2] == "Not counted: 1 repeat an exchange that ended before it"


def test_new_potential_is_what_the_exchanges_in_place_leave() -> None:
    """A supply of 100 t/yr already sent in full to one receiver is not offered again as new
    potential to another; half used leaves half."""

    def frame(in_place_t: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "supply_site": ["a", "a"],
                "resource": ["10 01 02", "10 01 02"],
                "demand_site": ["x", "y"],
                "demand_resource": ["10 01 02", "10 01 02"],
                "unit": ["t/yr", "t/yr"],
                "supply_quantity": [100.0, 100.0],
                "demand_quantity": [in_place_t, 100.0],
                "quantity": [in_place_t, 100.0],
                "basis": ["declared", "declared"],
                "exchange_status": ["active", "new"],
                "net_co2e_t": [in_place_t * 0.5, 50.0],
                "net_benefit_eur": [in_place_t * 10.0, 1_000.0],
            }
        )

    full = summary.candidate_totals(frame(100.0), count=2)
    assert full.in_place.quantity == {"t/yr": 100.0}
    assert full.new_potential.count == 0
    assert full.new_potential.net_benefit_eur == 0.0
    half = summary.candidate_totals(frame(50.0), count=2)
    assert half.new_potential.quantity == {"t/yr": 50.0}
    assert half.new_potential.net_benefit_eur == pytest.approx(500.0)


def test_park_route_marks_links_across_parks() -> None:
    frame = pd.DataFrame(
        {
            "supply_park": ["doel", "doel", None, None],
            "demand_park": ["kallo", "doel", "kallo", None],
        }
    )
    assert summary.park_route(frame).tolist() == [
        "doel -> kallo (across parks)",
        "doel",
        "kallo",
        "",
    ]
