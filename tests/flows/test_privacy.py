"""The privacy gate: in the public tier no hidden quantity, nor any figure it could be
recomputed from, reaches a table, an explanation, a total or a file."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

import datasets
from flows import allocation, exports, io, pipeline, privacy, summary
from flows.model import Case

NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?")
PUBLIC_COLUMNS = {"distance_m", "duration_s", "rank", "access_m", "supply_access_m",
                  "demand_access_m", "since", "temperature_c", "supply_temperature_c",
                  "demand_temperature_c", "max_distance_km", "confidence_score"}  # fmt: skip
"""Numeric columns that describe where and how (or the library's economic distance), never how
much: not searched."""


@pytest.fixture(scope="module")
def secret_case() -> Case:
    """Kalundborg with every flow marked confidential."""
    case = io.read_case(datasets.get_path("kalundborg"))
    flows = case.flows.assign(confidential=True)
    return dataclasses.replace(case, flows=flows)


@pytest.fixture(scope="module")
def hidden(secret_case: Case) -> np.ndarray:
    """Every hidden quantity, as entered and canonical."""
    values = pd.concat([secret_case.flows["quantity"], secret_case.flows["quantity_canonical"]])
    return np.unique(pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64"))


def _near(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """The values within 5 % of some hidden quantity."""
    values = values[np.isfinite(values) & (values != 0)]
    rel = np.abs(values[:, None] - hidden[None, :]) / hidden[None, :]
    near: np.ndarray = values[(rel <= 0.05).any(axis=1)]
    return near


def _numbers(text: str) -> np.ndarray:
    return np.array([float(n.replace(",", "")) for n in NUMBER.findall(text)], dtype="float64")


def _assert_frame_clean(frame: pd.DataFrame, hidden: np.ndarray, what: str) -> None:
    for column in frame.columns:
        if column in PUBLIC_COLUMNS or column == "geometry":
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")
        leaked = _near(numbers, hidden)
        assert leaked.size == 0, f"{what}: column {column} shows {leaked[:3]}"
        if frame[column].dtype == object:
            text = " ".join(frame[column].dropna().astype(str))
            big = hidden[hidden >= 1_000]
            leaked = _near(_numbers(text), big)
            assert leaked.size == 0, f"{what}: text of {column} shows {leaked[:3]}"


@pytest.fixture(scope="module")
def analysis(secret_case: Case) -> pipeline.Analysis:
    return pipeline.analyse(secret_case, options=pipeline.AnalysisOptions(include_inferred=True))


def test_owner_sees_everything(analysis: pipeline.Analysis) -> None:
    owner = analysis.view(tier="owner")
    assert not owner["withheld"].any()
    declared = owner[owner["basis"] == "declared"]
    assert declared["quantity"].notna().all()
    assert declared["net_benefit_eur"].notna().all()


def test_public_rows_withhold_every_derived_figure(
    analysis: pipeline.Analysis, hidden: np.ndarray
) -> None:
    public = analysis.view(tier="public")
    assert len(public) == len(analysis) > 20
    assert public["withheld"].all()
    for column in privacy.WITHHELD_COLUMNS:
        if column in allocation.PLAN_COLUMNS:
            continue  # a plan's columns, withheld when a plan's links pass the gate (below)
        assert public[column].isna().all(), column
    assert public["explanation"].str.contains("withheld").all()
    _assert_frame_clean(public, hidden, "public candidates")
    # a plan computed on everything and then shown in public shows no flow of a hidden link
    links = allocation.allocate(analysis.candidates).links
    shown = privacy.candidates(links, tier="public")
    for column in ("planned_flow", "planned_share", "plan_value", "plan_co2e_t"):
        assert shown[column].isna().all(), column
    _assert_frame_clean(shown, hidden, "public plan")
    # money / price would give the quantity back: no money is left to divide
    assert public["avoided_purchase_eur"].isna().all()


def test_public_totals_leave_withheld_rows_out(analysis: pipeline.Analysis) -> None:
    totals = analysis.totals(tier="public")
    assert totals.withheld == totals.count == len(analysis)
    for figures in (totals.new_potential, totals.in_place):
        assert figures.count == figures.candidates == 0
        assert figures.net_benefit_eur == figures.net_co2e_t == 0.0
        assert figures.quantity == {}
    owner = analysis.totals(tier="owner")
    assert owner.withheld == 0
    assert owner.in_place.net_benefit_eur > 0
    shown = analysis.view(tier="public")
    text = summary.summary_table(shown, totals)
    assert f"{totals.withheld} candidates involve confidential flows" in text


def test_public_files_hold_no_hidden_quantity(
    analysis: pipeline.Analysis, secret_case: Case, hidden: np.ndarray, tmp_path: Path
) -> None:
    public = analysis.view(tier="public")
    csv = exports.write_candidates(public, secret_case, tmp_path / "c.csv")
    _assert_frame_clean(pd.read_csv(csv), hidden, "CSV")
    gpkg = exports.write_candidates(
        public, secret_case, tmp_path / "c.gpkg", parameters=analysis.parameters
    )
    _assert_frame_clean(pyogrio.read_dataframe(gpkg, layer="candidates"), hidden, "GPKG")
    parquet = exports.write_candidates(public, secret_case, tmp_path / "c.parquet")
    _assert_frame_clean(gpd.read_parquet(parquet), hidden, "GeoParquet")


def test_public_case_keeps_sites_and_resources_but_not_amounts(
    secret_case: Case, hidden: np.ndarray, tmp_path: Path
) -> None:
    public = privacy.view(secret_case, tier="public")
    assert isinstance(public, Case)
    assert public.flows["quantity"].isna().all()
    assert public.flows["quantity_canonical"].isna().all()
    assert list(public.flows["resource"]) == list(secret_case.flows["resource"])
    # published exchange quantities repeat the confidential flows: withheld as well
    assert public.exchanges["quantity"].isna().all()
    _assert_frame_clean(public.flows, hidden, "case flows")
    _assert_frame_clean(public.exchanges, hidden, "case exchanges")
    assert privacy.view(secret_case, tier="owner") is secret_case


def test_one_confidential_flow_hides_only_its_candidates(mini_case: Case) -> None:
    # tests/data/mini: the refinery's 400 GWh/yr steam demand is confidential
    analysis = pipeline.analyse(mini_case)
    public = analysis.view(tier="public").set_index("candidate_id")
    row = public.loc["power>refinery:steam"]
    assert row["withheld"]
    assert pd.isna(row["quantity"])
    assert pd.isna(row["net_benefit_eur"])
    assert "400,000" not in row["explanation"]
    others = public[~public["withheld"].astype(bool)]
    assert len(others) > 0
    assert others["net_benefit_eur"].notna().all()
    owner = analysis.view(tier="owner").set_index("candidate_id")
    assert owner.loc["power>refinery:steam", "quantity"] == 400_000
    assert "400,000" in owner.loc["power>refinery:steam", "explanation"]
    totals = analysis.totals(tier="public")
    assert totals.withheld == int(public["withheld"].sum())
    # the public totals are the owner's over the visible rows only: nothing of the hidden
    # row reaches them, not even through the choice of which candidate serves a flow
    visible = analysis.candidates[
        ~analysis.candidates["candidate_id"].isin(["power>refinery:steam"])
    ]
    alone = analysis.totals(tier="owner", frame=visible)
    assert totals.new_potential == alone.new_potential
    assert totals.in_place == alone.in_place


def test_only_exchanges_that_repeat_a_confidential_flow_lose_their_quantity(
    mini_case: Case,
) -> None:
    # the power plant's gypsum supply made confidential: its exchange to the board mill hides
    # its 200,000 t/yr; exchanges of other resources keep theirs
    secret = (mini_case.flows["site_id"] == "power") & (mini_case.flows["resource"] == "10 01 05")
    exchanges = mini_case.exchanges.copy()
    exchanges.loc[exchanges["resource"] == "heat", "quantity"] = 300.0
    case = dataclasses.replace(
        mini_case, flows=mini_case.flows.assign(confidential=secret), exchanges=exchanges
    )
    public = privacy.case(case, tier="public")
    by_resource = public.exchanges.set_index("resource")["quantity"]
    assert pd.isna(by_resource["10 01 05"])
    assert by_resource["heat"] == 300.0
    assert case.exchanges.set_index("resource").at["10 01 05", "quantity"] == 200_000


# -- aggregates: the disclosure rule and complementary suppression, by hand --------------------


def _parts(
    values: list[list[float]], cells: dict[str, list[int]], companies: str
) -> privacy.Contributions:
    """Hidden contributions, one record per company letter, each its own hidden quantity
    known to that company only."""
    n = len(companies)
    who = np.array(list(companies), dtype=object)
    return privacy.Contributions(
        values=np.array(values, dtype="float64").reshape(n, -1),
        columns=tuple(f"f{j}" for j in range(np.array(values).reshape(n, -1).shape[1])),
        hidden=np.ones(n, dtype=bool),
        company=who,
        unknown=who,
        parties=(who, who),
        cells={name: np.array(rows) for name, rows in cells.items()},
        block=np.zeros(n, dtype=object),
    )


def _sums(parts: privacy.Contributions) -> dict[str, pd.DataFrame]:
    out = {}
    for name, rows in parts.cells.items():
        n = int(rows.max()) + 1
        sums = np.zeros((n, len(parts.columns)))
        np.add.at(sums, rows, parts.values)
        out[name] = pd.DataFrame(sums, columns=list(parts.columns)).assign(cell=range(n))
    return out


def test_the_rule_by_hand() -> None:
    # cell 0: A 80, B 10, C 10 -> 3 companies, the largest 80 % <= 85 %: released;
    # cell 1: D 90, E 5, F 5 -> the largest 90 % > 85 %: dominated;
    # cell 2: G 5, H 5 -> 2 companies < 3: withheld. The total (8 companies, the largest
    # 90 of 210 = 43 %) is released, and with it cell 0 (total - cell 0 = D+E+F+G+H, which
    # no company alone makes up).
    parts = _parts(
        [[80], [10], [10], [90], [5], [5], [5], [5]],
        {"totals": [0] * 8, "by_x": [0, 0, 0, 1, 1, 1, 2, 2]},
        "ABCDEFGH",
    )
    tables, withheld = privacy.release_aggregates(_sums(parts), parts, tier="public")
    assert tables["totals"]["f0"].tolist() == [210.0]
    by_x = tables["by_x"]
    assert by_x["f0"].iloc[0] == 100.0
    assert by_x["f0"].iloc[1:].isna().all()
    assert by_x["withheld_reason"].tolist() == [
        "",
        "one company makes up more than 85 % of it",
        "fewer than 3 companies",
    ]
    assert withheld["reason_code"].tolist() == [privacy.DOMINATED, privacy.FEW_COMPANIES]
    owner, none = privacy.release_aggregates(_sums(parts), parts, tier="owner")
    assert owner["by_x"]["f0"].tolist() == [100.0, 100.0, 10.0]
    assert none.empty


def test_complementary_suppression_by_hand() -> None:
    # The total (A+B+C+G+H = 110) is released first; releasing cell 0 (A+B+C = 100) too
    # would give G+H = 10 by subtraction, a cell of 2 companies: cell 0 is withheld instead.
    parts = _parts(
        [[80], [10], [10], [5], [5]],
        {"totals": [0] * 5, "by_x": [0, 0, 0, 1, 1]},
        "ABCGH",
    )
    tables, withheld = privacy.release_aggregates(_sums(parts), parts, tier="public")
    assert tables["totals"]["f0"].tolist() == [110.0]
    assert tables["by_x"]["f0"].isna().all()
    assert tables["by_x"]["withheld_reason"].tolist() == [
        "it would let a withheld figure be recomputed from other totals",
        "fewer than 3 companies",
    ]
    assert privacy.withheld_summary(withheld) == [
        "1 total withheld: fewer than 3 companies (1 figure)",
        (
            "1 total withheld: it would let a withheld figure be recomputed from other totals "
            "(1 figure)"
        ),
    ]
    # Released in the other order (the table before the total), the total is withheld.
    tables, _ = privacy.release_aggregates(
        _sums(parts), parts, tier="public", order=("by_x", "totals")
    )
    assert tables["by_x"]["f0"].iloc[0] == 100.0
    assert tables["totals"]["f0"].isna().all()


def test_an_insider_cannot_solve_two_figures_of_three_companies() -> None:
    # One cell, three companies, one hidden quantity each (10, 20, 30); figure f0 is the
    # quantities, f1 twice and three times them (10, 40, 90), as a factor would give. An
    # outsider with both sums (60, 140) cannot solve any quantity, but A, who knows its 10,
    # gets B + C = 50 and 2B + 3C = 130, so B = 20 and C = 30: f1 is withheld.
    parts = _parts([[10, 10], [20, 40], [30, 90]], {"totals": [0, 0, 0]}, "ABC")
    tables, withheld = privacy.release_aggregates(_sums(parts), parts, tier="public")
    assert tables["totals"]["f0"].tolist() == [60.0]
    assert tables["totals"]["f1"].isna().all()
    assert withheld["reason_code"].tolist() == [privacy.RECOMPUTABLE]
    # with f1 first in priority, f1 is released and f0 withheld
    tables, _ = privacy.release_aggregates(_sums(parts), parts, tier="public", priority=("f1",))
    assert tables["totals"]["f1"].tolist() == [140.0]
    assert tables["totals"]["f0"].isna().all()


def test_public_contributions_are_released_and_rules_are_checked() -> None:
    parts = _parts([[5], [7]], {"totals": [0, 0]}, "AB")
    public = dataclasses.replace(parts, hidden=np.zeros(2, dtype=bool))
    tables, withheld = privacy.release_aggregates(_sums(public), public, tier="public")
    assert tables["totals"]["f0"].tolist() == [12.0]
    assert withheld.empty
    for bad in ({"min_companies": 1}, {"dominance_n": 0}, {"dominance_k_pct": 0}):
        with pytest.raises(privacy.DisclosureRuleError):
            privacy.DisclosureRule(**bad)
    stricter = privacy.DisclosureRule(dominance_n=2, dominance_k_pct=90)
    # 80 + 10 = 90 % is not more than 90 %: released; 85 + 10 = 95 % is
    three = _parts([[80], [10], [10]], {"totals": [0, 0, 0]}, "ABC")
    tables, _ = privacy.release_aggregates(_sums(three), three, tier="public", rule=stricter)
    assert tables["totals"]["f0"].tolist() == [100.0]
    three = _parts([[85], [10], [5]], {"totals": [0, 0, 0]}, "ABC")
    tables, _ = privacy.release_aggregates(_sums(three), three, tier="public", rule=stricter)
    assert tables["totals"]["f0"].isna().all()


def test_a_block_too_large_to_audit_is_withheld_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = _parts([[80], [10], [10]], {"totals": [0, 0, 0]}, "ABC")
    tables, _ = privacy.release_aggregates(_sums(parts), parts, tier="public")
    assert tables["totals"]["f0"].tolist() == [100.0]
    monkeypatch.setattr(privacy, "_MAX_AUDIT_WORK", 0.0)
    tables, withheld = privacy.release_aggregates(_sums(parts), parts, tier="public")
    assert tables["totals"]["f0"].isna().all()
    assert withheld["reason_code"].tolist() == [privacy.TOO_MANY]
