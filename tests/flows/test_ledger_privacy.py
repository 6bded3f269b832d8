"""Confidential aggregates of the ledger: a public viewer gets a consolidated total only as the
owner's whole total, and no hidden figure can be recomputed from what it gets.

The fixture ``tests/data/confidential_ledger`` is Kalundborg with every flow of five companies
confidential (its README). The attacks below are written apart from :mod:`flows.privacy`: an
attacker holds the public records and every released consolidation, subtracts totals within
and across consolidations, solves the whole linear system, and, at its strongest, knows every
published factor (so each figure of a hidden exchange is a known multiple of its quantity) and
the quantities of its own exchanges. Each attack is first shown to work on the owner's tables
(the positive control), then to fail on the public ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows import allocation, io, ledger, pipeline, privacy
from flows.model import Case

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "confidential_ledger"
SECRET_COMPANIES = {"novonesis", "novo-nordisk", "asnaes", "refinery", "gyproc"}
UNITS = {"t/yr": "t", "MWh/yr": "mwh", "m3/yr": "m3"}
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def case() -> Case:
    loaded = io.load_case(FIXTURE).case
    assert loaded is not None
    return loaded


@dataclass(frozen=True)
class Pair:
    """The owner's and the public ledger of one analysis."""

    owner: ledger.Ledger
    public: ledger.Ledger


@pytest.fixture(scope="module", params=["2026", "2015", "2026 with plan"])
def pair(case: Case, request: pytest.FixtureRequest) -> Pair:
    year = int(str(request.param)[:4])
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=year))
    plan = allocation.allocate(analysis.candidates) if "plan" in request.param else None
    return Pair(
        owner=ledger.build_ledger(case, analysis, plan, tier="owner"),
        public=ledger.build_ledger(case, analysis, plan, tier="public"),
    )


def _record_figures(records: pd.DataFrame) -> pd.DataFrame:
    """What each record adds to a consolidation (the ledger's docstring: the sums of the
    record figures, and the quantity by direction and unit)."""
    out = records[list(ledger.SUM_COLUMNS)].astype("float64").copy()
    quantity = records["quantity"].astype("float64")
    outgoing = records["direction"] == "outgoing"
    for unit, suffix in UNITS.items():
        mine = records["unit"] == unit
        out[f"sent_{suffix}"] = quantity.where(mine & outgoing, 0.0)
        out[f"received_{suffix}"] = quantity.where(mine & ~outgoing, 0.0)
    return out[list(ledger.FIGURE_COLUMNS)]


def _rows_of(records: pd.DataFrame, table: pd.DataFrame, name: str) -> np.ndarray:
    """The row of ``table`` each record adds to."""
    keys = [*([ledger.CONSOLIDATIONS[name]] if name != "totals" else []), "ledger_status"]
    labels = records[keys].astype(object).where(records[keys].notna(), "(none)")
    labels = labels.where(labels != "", "(none)")
    index = pd.MultiIndex.from_frame(table[keys].astype(object))
    rows: np.ndarray = index.get_indexer(pd.MultiIndex.from_frame(labels))
    assert (rows >= 0).all(), name
    return rows


@dataclass(frozen=True)
class Equation:
    """A released figure: the hidden records it sums and their sum (the released total less
    what the public records show)."""

    figure: str
    table: str
    row: int
    hidden: frozenset[int]
    value: float


def _equations(tables: dict[str, pd.DataFrame], pair: Pair) -> Iterator[Equation]:
    """Every figure of ``tables`` an attacker holding them and the public records can use."""
    records = pair.public.records
    hidden = records["withheld"].to_numpy(dtype=bool)
    visible = _record_figures(records).fillna(0.0)
    for name, table in tables.items():
        rows = _rows_of(records, table, name)
        for figure in ledger.FIGURE_COLUMNS:
            shown = table[figure].to_numpy(dtype="float64")
            seen = np.bincount(
                rows, weights=np.where(hidden, 0.0, visible[figure]), minlength=len(table)
            )
            for row in np.flatnonzero(~np.isnan(shown)):
                members = frozenset(np.flatnonzero(hidden & (rows == row)).tolist())
                yield Equation(figure, name, int(row), members, float(shown[row] - seen[row]))


def _secret(pair: Pair) -> pd.DataFrame:
    """The owner's figures of the hidden records (the attacker's targets)."""
    return _record_figures(pair.owner.records).fillna(0.0)


def _subtraction_attack(equations: list[Equation], pair: Pair) -> list[str]:
    """Differences of two released figures (within a consolidation and across consolidations:
    a region total less a park total, a total less a family...) and a consolidation's total
    less all its other released cells: each that isolates the hidden part of a single company,
    with the value it recomputes checked against the owner's."""
    truth = _secret(pair)
    company = pair.owner.records["site_id"].to_numpy(dtype=object)
    found = []

    def isolates(members: frozenset[int], figure: str, value: float, how: str) -> None:
        nonzero = [r for r in members if abs(truth[figure].iloc[r]) > TOLERANCE]
        if nonzero and len({company[r] for r in nonzero}) == 1:
            assert value == pytest.approx(truth[figure].iloc[nonzero].sum(), rel=1e-9, abs=1e-6)
            found.append(f"{how}: {figure} of {company[nonzero[0]]}")

    by_figure: dict[str, list[Equation]] = {}
    for eq in equations:
        by_figure.setdefault(eq.figure, []).append(eq)
    for figure, eqs in by_figure.items():
        for a, b in itertools.permutations(eqs, 2):
            if a.hidden < b.hidden:
                isolates(b.hidden - a.hidden, figure, b.value - a.value, f"{b.table}-{a.table}")
        for total in (e for e in eqs if e.table == "totals"):
            for name in ledger.CONSOLIDATIONS:
                cells = [e for e in eqs if e.table == name and e.hidden <= total.hidden]
                covered = frozenset().union(*(e.hidden for e in cells))
                if covered < total.hidden:
                    rest = total.value - sum(e.value for e in cells)
                    isolates(total.hidden - covered, figure, rest, f"totals-{name}")
    return found


def _solvable(matrix: np.ndarray, target: np.ndarray) -> bool:
    """Whether ``target`` is a linear combination of ``matrix``'s rows (a rank test)."""
    if not target.any():
        return False
    if len(matrix) == 0:
        return False
    rank = np.linalg.matrix_rank(matrix, tol=1e-8 * max(1.0, np.abs(matrix).max()))
    stacked = np.vstack([matrix, target])
    return bool(np.linalg.matrix_rank(stacked, tol=1e-8 * max(1.0, np.abs(stacked).max())) == rank)


def _linear_attack(equations: list[Equation], pair: Pair) -> list[str]:
    """Solve every released figure at once, figure by figure, with each hidden record's figure
    an unknown: any hidden record's figure, or any company's hidden part of a released or
    withheld cell, that the system fixes."""
    truth = _secret(pair)
    records = pair.owner.records
    company = records["site_id"].to_numpy(dtype=object)
    withheld = pair.public.records["withheld"].to_numpy(dtype=bool)
    hidden = np.flatnonzero(withheld)
    column = {int(r): i for i, r in enumerate(hidden)}
    # Every cell of every consolidation, released or not: a company's part of it is a target.
    cells = set()
    for name, table in pair.public.consolidations().items():
        rows = _rows_of(pair.public.records, table, name)
        cells |= {
            frozenset(np.flatnonzero(withheld & (rows == row)).tolist())
            for row in range(len(table))
        }
    found = []
    for figure in ledger.FIGURE_COLUMNS:
        eqs = [e for e in equations if e.figure == figure and e.hidden]
        matrix = np.zeros((len(eqs), len(hidden)))
        for i, eq in enumerate(eqs):
            matrix[i, [column[r] for r in eq.hidden]] = 1.0
        # Records whose figure is zero (the receiver's part of a disposal saving...) are known
        # to be zero from the ledger's booking rules: they are no cover.
        zero = np.abs(truth[figure].to_numpy()[hidden]) <= TOLERANCE
        targets = [np.eye(len(hidden))[i] for i in np.flatnonzero(~zero)]
        for members in cells:
            for who in {company[r] for r in members}:
                mask = np.zeros(len(hidden))
                mask[[column[r] for r in members if company[r] == who]] = 1.0
                targets.append(mask)
        for candidate in targets:
            target = np.where(zero, 0.0, candidate)
            if _solvable(np.where(zero, 0.0, matrix), target):
                found.append(
                    f"{figure}: {sorted({company[hidden[i]] for i in np.flatnonzero(target)})}"
                )
    return found


def _factor_attack(equations: list[Equation], pair: Pair) -> list[str]:
    """The strongest attacker: it knows every published factor, so each hidden exchange's
    figures are known multiples of one unknown (its quantity) and every released figure of
    every consolidation is one equation in those; and it may be a company that knows the
    quantities of its own exchanges. Any hidden exchange it can solve for is a finding."""
    truth = _secret(pair).to_numpy()
    records = pair.owner.records
    hidden = pair.public.records["withheld"].to_numpy(dtype=bool)
    exchange = (records["exchange_id"].astype(str) + "@" + records["year"].astype(str)).to_numpy()
    unknowns = sorted(set(exchange[hidden]))
    column = {u: i for i, u in enumerate(unknowns)}
    figure_index = {f: j for j, f in enumerate(ledger.FIGURE_COLUMNS)}
    rows = []
    for eq in equations:
        row = np.zeros(len(unknowns))
        for r in eq.hidden:
            row[column[exchange[r]]] += truth[r, figure_index[eq.figure]]
        if np.abs(row).max(initial=0.0) > TOLERANCE:
            rows.append(row / np.abs(row).max())
    matrix = np.array(rows).reshape(-1, len(unknowns))
    parties = records[["provider_site", "receiver_site"]].to_numpy(dtype=object)
    attackers: dict[str, set[str]] = {"outsider": set()}
    for index in np.flatnonzero(hidden):
        for who in parties[index]:
            attackers.setdefault(str(who), set()).add(exchange[index])
    found = []
    for who, known in attackers.items():
        free = np.array([u not in known for u in unknowns])
        for u in (int(i) for i in np.flatnonzero(free)):
            target = np.zeros(len(unknowns))
            target[u] = 1.0
            if _solvable(matrix[:, free], target[free]):
                found.append(f"{who} solves {unknowns[u]}")
    return found


def test_the_fixture_hides_five_companies(pair: Pair) -> None:
    records = pair.public.records
    withheld = records[records["withheld"]]
    assert len(withheld) >= 10
    # a record is withheld only if one of its parties' flows is confidential
    parties = set(withheld["provider_site"]) | set(withheld["receiver_site"])
    assert parties & SECRET_COMPANIES
    assert withheld[["quantity", *ledger.SUM_COLUMNS]].isna().all().all()


def test_released_totals_are_the_owners_whole_totals(pair: Pair) -> None:
    released = 0
    hidden_in_released = 0
    secret = _secret(pair)
    hidden = pair.public.records["withheld"].to_numpy(dtype=bool)
    for name, table in pair.public.consolidations().items():
        theirs = pair.owner.consolidations()[name]
        rows = _rows_of(pair.public.records, table, name)
        for figure in ledger.FIGURE_COLUMNS:
            shown = table[figure].notna().to_numpy()
            np.testing.assert_allclose(
                table.loc[shown, figure], theirs.loc[shown, figure], rtol=1e-9, atol=1e-6
            )
            released += int(shown.sum())
            part = np.bincount(
                rows, weights=np.where(hidden, secret[figure].abs(), 0.0), minlength=len(table)
            )
            hidden_in_released += int((shown & (part > TOLERANCE)).sum())
        counted = (
            table[list(ledger.FIGURE_COLUMNS)].isna() & theirs[list(ledger.FIGURE_COLUMNS)].notna()
        ).sum(axis=1)
        assert (table["withheld_figures"] == counted).all(), name
    # the rule releases totals that include confidential contributions, not only public ones
    assert hidden_in_released > 0
    assert released > 0


def test_no_hidden_figure_can_be_recomputed(pair: Pair) -> None:
    public = list(_equations(pair.public.consolidations(), pair))
    assert public
    assert _subtraction_attack(public, pair) == []
    assert _linear_attack(public, pair) == []
    assert _factor_attack(public, pair) == []


def test_the_attacks_succeed_on_the_owners_tables(pair: Pair) -> None:
    """Positive control: had every total been released whole, each attack recovers hidden
    figures (and the subtraction attack recomputes them exactly, checked inside)."""
    owner = list(_equations(pair.owner.consolidations(), pair))
    assert _subtraction_attack(owner, pair)
    assert _linear_attack(owner, pair)
    assert _factor_attack(owner, pair)


def test_no_confidential_figure_in_the_public_ledger(
    case: Case, pair: Pair, tmp_path: Path
) -> None:
    hidden = pair.public.records["withheld"].to_numpy(dtype=bool)
    secrets = _secret(pair).to_numpy()[hidden].ravel()
    quantities = case.flows.loc[case.flows["confidential"].fillna(False).astype(bool), "quantity"]
    secrets = np.concatenate([secrets, pd.to_numeric(quantities, errors="coerce").to_numpy()])
    secrets = np.unique(np.abs(secrets[np.isfinite(secrets) & (np.abs(secrets) > 1.0)]))
    assert len(secrets) > 20
    tables = [pair.public.records, *pair.public.consolidations().values()]
    shown = np.concatenate(
        [t.select_dtypes("number").to_numpy(dtype="float64").ravel() for t in tables]
    )
    shown = np.abs(shown[np.isfinite(shown)])
    assert not np.isclose(shown[:, None], secrets[None, :], rtol=1e-9, atol=0).any()
    path = ledger.write_ledger(pair.public, tmp_path / "public.zip")
    assert path.stat().st_size > 0


def test_what_was_withheld_is_said_in_plain_words(pair: Pair) -> None:
    lines = pair.public.withheld_summary()
    assert any("fewer than 3 companies" in line for line in lines)
    detail = pair.public.withheld_figures
    assert detail is not None
    withheld_rows = sum(
        int((t["withheld_figures"] > 0).sum()) for t in pair.public.consolidations().values()
    )
    assert len(detail.drop_duplicates(["table", "row"])) == withheld_rows
    assert pair.owner.withheld_summary() == []


def test_a_stricter_rule_withholds_more(case: Case) -> None:
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2026))
    default = ledger.build_ledger(case, analysis, tier="public")
    strict = ledger.build_ledger(
        case, analysis, tier="public", disclosure=privacy.DisclosureRule(min_companies=20)
    )

    def count(book: ledger.Ledger) -> int:
        return sum(int(t["withheld_figures"].sum()) for t in book.consolidations().values())

    assert count(strict) > count(default)
    # No cell of this case has 20 companies: no released figure holds a hidden contribution.
    hidden = strict.records["withheld"].to_numpy(dtype=bool)
    owner = ledger.build_ledger(case, analysis, tier="owner")
    secret = _record_figures(owner.records).fillna(0.0)
    for name, table in strict.consolidations().items():
        rows = _rows_of(strict.records, table, name)
        for figure in ledger.FIGURE_COLUMNS:
            weights = np.where(hidden, secret[figure].abs(), 0.0)
            part = np.bincount(rows, weights=weights, minlength=len(table))
            assert table.loc[part > TOLERANCE, figure].isna().all(), (name, figure)
