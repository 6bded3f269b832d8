"""Status and period of sites, flows and exchanges: validation, what exists in a reference
year, analyses by year and round trips of the new columns.

tests/data/periods is modelled on Kalundborg: a plasterboard factory that closed in 2024 took
FGD gypsum until the coal units closed in 2019; fermentation residues went to farmland from
1976 to 2017 and to a biogas plant since 2018 (two flows of one resource at one site, from
different periods); surplus heat to district heating is planned from 2028.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows import io, periods, pipeline
from flows.model import Case


@pytest.fixture(scope="module")
def case(data_dir: Path) -> Case:
    result = io.load_case(data_dir / "periods")
    assert result.case is not None, result.report.format()
    assert not result.report.findings, result.report.format()
    return result.case


def _frame(**columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.mark.parametrize(
    ("status", "start", "end", "year", "expected"),
    [
        ("active", None, None, 1900, True),  # no start: always existed
        ("active", 2018, None, 2017, False),
        ("active", 2018, None, 2018, True),
        ("historical", 1976, 2017, 2017, True),  # the end year is the last year it existed
        ("historical", 1976, 2017, 2018, False),
        ("historical", 1976, None, 2025, True),  # no end: ended last year (this_year 2026)
        ("historical", 1976, None, 2026, False),
        ("planned", None, None, 2026, False),  # no start: from next year
        ("planned", None, None, 2027, True),
        ("planned", 2028, None, 2027, False),
        ("planned", 2028, None, 2040, True),
    ],
)
def test_a_row_exists_in_the_years_of_its_period(
    status: str, start: int | None, end: int | None, year: int, expected: bool
) -> None:
    frame = _frame(
        status=[status],
        start_year=pd.array([start], dtype="Int64"),
        end_year=pd.array([end], dtype="Int64"),
    )
    assert periods.exists_in(frame, year, this_year=2026).tolist() == [expected]


def test_status_in_a_year_follows_the_period() -> None:
    exchanges = _frame(
        status=["historical", "planned", "active"],
        since=pd.array([1976, 2028, 2018], dtype="Int64"),
        end_year=pd.array([2017, None, None], dtype="Int64"),
    )
    in_2010 = periods.status_in(exchanges, 2010, start_column="since", this_year=2026)
    assert in_2010.tolist() == ["active", "planned", "planned"]
    in_2030 = periods.status_in(exchanges, 2030, start_column="since", this_year=2026)
    assert in_2030.tolist() == ["historical", "active", "active"]


def test_the_case_in_a_year_drops_closed_sites_and_their_flows(case: Case) -> None:
    now = periods.in_year(case, 2026, this_year=2026)
    assert "board" not in set(now.case.sites["site_id"])
    assert "board" not in set(now.case.flows["site_id"])
    assert now.sites_out == 1
    # gypsum (2), residues to farmland (2), planned heat (1) are not there in 2026
    assert now.flows_out == 5
    assert "1 sites and 5 flows" in now.note()
    back = periods.in_year(case, 2000, this_year=2026)
    assert back.sites_out == 1  # the biogas plant opened in 2018
    supplies = back.case.flows[back.case.flows["direction"] == "supply"]
    assert sorted(supplies["resource"]) == ["07 07 99", "10 01 05"]  # no heat before 2028


@pytest.mark.parametrize("year", [2010, 2026])
def test_flows_of_different_periods_are_never_added(case: Case, year: int) -> None:
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=year))
    residues = analysis.candidates[analysis.candidates["resource"] == "07 07 99"]
    assert len(residues) == 1
    # 300,000 t/yr then and 300,000 t/yr now: never 600,000 in one year
    assert residues["supply_quantity"].tolist() == [300_000.0]
    receiver = {2010: "farms", 2026: "biogas"}[year]
    assert residues["demand_site"].tolist() == [receiver]
    assert residues["exchange_status"].tolist() == ["active"]


def test_analyses_by_reference_year(case: Case) -> None:
    def found(year: int) -> dict[str, str]:
        analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=year))
        assert analysis.year == year
        rows = analysis.candidates
        return dict(zip(rows["candidate_id"], rows["exchange_status"].astype(str), strict=True))

    in_2010 = found(2010)
    assert in_2010["power>board:10 01 05"] == "active"
    assert not any(key.startswith("ferment>dh") for key in in_2010)
    in_2026 = found(2026)
    # the coal units closed in 2019 and the factory in 2024: no gypsum candidate is offered
    assert not any("10 01 05" in key for key in in_2026)
    assert not any(key.startswith("ferment>dh") for key in in_2026)
    in_2030 = found(2030)
    # the planned heat is in place in 2030: it repeats a recorded exchange, it is not new
    assert in_2030["ferment>dh:heat"] == "active"


def test_new_potential_never_counts_a_recorded_exchange(case: Case) -> None:
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2030))
    totals = analysis.totals(tier="owner")
    assert totals.new == 0
    assert totals.new_potential.count == 0
    assert totals.new_potential.net_benefit_eur == 0.0
    in_place = analysis.candidates[analysis.candidates["exchange_status"] == "active"]
    assert totals.in_place.candidates == len(in_place) == 2
    assert totals.in_place.net_benefit_eur == pytest.approx(in_place["net_benefit_eur"].sum())


@pytest.mark.parametrize("target", ["case.gpkg", "case.xlsx", "case.zip", "case_folder"])
def test_round_trips_keep_status_and_period(case: Case, tmp_path: Path, target: str) -> None:
    result = io.load_case(io.write_case(case, tmp_path / target))
    assert result.case is not None, result.report.format()
    for table, columns in (
        ("sites", ["site_id", "status", "start_year", "end_year"]),
        ("flows", ["site_id", "resource", "status", "start_year", "end_year"]),
        ("exchanges", ["from_site", "to_site", "status", "since", "end_year"]),
    ):
        pd.testing.assert_frame_equal(
            getattr(result.case, table)[columns], getattr(case, table)[columns], obj=table
        )
    assert str(result.case.flows["start_year"].dtype) == "Int64"


def _report(tmp_path: Path, flows_csv: str) -> list[tuple[int | None, str, str, str | None]]:
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "sites.csv").write_text("site_id,name,nace,lat,lon\na,A,35.11,55.6,11.0\n")
    (folder / "flows.csv").write_text(flows_csv)
    report = io.load_case(folder).report
    return [(f.row, f.severity, f.code, f.field) for f in report]


def test_status_and_period_are_validated(tmp_path: Path) -> None:
    header = "site_id,direction,resource,quantity,unit,status,start_year,end_year\n"
    rows = [
        "a,supply,10 01 05,1,t/yr,closed,1990,2000",  # row 2: a synonym, read with a note
        "a,supply,10 01 05,1,t/yr,dormant,,",  # row 3: unknown status
        "a,supply,10 01 05,1,t/yr,historical,2010,2000",  # row 4: reversed
        "a,supply,10 01 05,1,t/yr,historical,1990,",  # row 5: no end year
        "a,supply,10 01 05,1,t/yr,planned,,",  # row 6: no start year
        "a,supply,10 01 05,1,t/yr,active,1990,2001",  # row 7: active but ended
        "a,supply,10 01 05,1,t/yr,active,19.5,",  # row 8: not a year
    ]
    found = _report(tmp_path, header + "\n".join(rows) + "\n")
    assert (2, "info", "I_VALUE_MAPPED", "status") in found
    assert (3, "error", "E_STATUS", "status") in found
    assert (4, "error", "E_PERIOD_REVERSED", "end_year") in found
    assert (5, "warning", "W_HISTORICAL_NO_END", "end_year") in found
    assert (6, "warning", "W_PLANNED_NO_START", "start_year") in found
    assert (7, "warning", "W_ACTIVE_ENDED", "status") in found
    assert (8, "error", "E_YEAR", "start_year") in found


def test_an_error_message_says_how_to_fix_it(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "sites.csv").write_text(
        "site_id,name,nace,lat,lon,status\na,A,35.11,55.6,11.0,gone\n"
    )
    report = io.load_case(folder).report
    (finding,) = [f for f in report if f.code == "E_STATUS"]
    assert (finding.file, finding.row, finding.field) == ("sites.csv", 2, "status")
    assert "historical" in finding.hint
    assert "end_year" in finding.hint
