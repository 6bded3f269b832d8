"""Validation rules across tables: a case needs sites, and one cause gives one finding.

The cases are real ones (tests/data/mini, datasets/kalundborg) copied into ``tmp_path`` and
broken in one place, as a user's file would be.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows import cli, io, nace, synthetic
from flows.io import load_case
from flows.validation import Finding, ValidationReport

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "data" / "mini"
KALUNDBORG = REPO / "datasets" / "kalundborg"


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur once) in a fixture copy."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _errors(report: ValidationReport) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.layer, f.field) for f in report.errors]


# -- a case without sites ---------------------------------------------------------------------


def test_blank_template_is_an_error_without_sites(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert cli.main(["template", str(path)]) == cli.EXIT_OK
    result = load_case(path)
    assert result.case is None
    assert len(result.report) == 1, result.report.format()
    finding = result.report.findings[0]
    assert (finding.severity, finding.code, finding.layer) == ("error", "E_NO_SITES", "sites")
    assert finding.message == "the case has no sites"
    assert "at least one row to the sites sheet" in finding.hint


def test_sites_csv_with_header_only_is_an_error(tmp_path: Path) -> None:
    case = _copy(MINI, tmp_path)
    sites = case / "sites.csv"
    sites.write_text(sites.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = load_case(case)
    assert result.case is None
    assert _errors(result.report) == [("E_NO_SITES", "sites", None)]
    assert "sites table" in result.report.errors[0].hint
    # The flows and exchanges citing the (absent) sites are not each called unknown.
    assert "E_UNKNOWN_SITE" not in result.report.codes()
    assert [f.code for f in result.report if f.severity == "info"] == ["I_REFERENCES_NOT_CHECKED"]


# -- follow-on findings -----------------------------------------------------------------------


def test_kalundborg_loads_without_errors() -> None:
    # The baseline of the next test: the shipped case itself is clean.
    assert not load_case(KALUNDBORG).report.has_errors


def test_renamed_site_id_column_gives_only_the_real_error(tmp_path: Path) -> None:
    case = _copy(KALUNDBORG, tmp_path)
    _edit(case / "sites.csv", "site_id,name,", "id_site,name,")
    result = load_case(case)
    assert result.case is None
    assert _errors(result.report) == [("E_MISSING_COLUMN", "sites", "site_id")]
    assert "found: id_site" in result.report.errors[0].message
    notes = [f for f in result.report if f.code == "I_REFERENCES_NOT_CHECKED"]
    assert len(notes) == 1
    assert notes[0].severity == "info"
    assert "flows.csv and exchanges.csv" in notes[0].message


def test_references_are_still_checked_when_another_sites_column_is_missing(
    tmp_path: Path,
) -> None:
    # Without nace the site ids are still known, so a typo in flows is still a real error.
    case = _copy(MINI, tmp_path)
    _edit(case / "sites.csv", "site_id,name,nace,", "site_id,name,sector_code,")
    _edit(case / "flows.csv", "board,demand,100105,", "bord,demand,100105,")
    result = load_case(case)
    assert sorted(_errors(result.report)) == [
        ("E_MISSING_COLUMN", "sites", "nace"),
        ("E_UNKNOWN_SITE", "flows", "site_id"),
    ]
    assert "I_REFERENCES_NOT_CHECKED" not in result.report.codes()


def test_broken_parks_layer_skips_the_park_check_with_a_note(tmp_path: Path) -> None:
    case = _copy(MINI, tmp_path)
    (case / "parks.geojson").write_text("{not json", encoding="utf-8")
    result = load_case(case)
    assert _errors(result.report) == [("E_FILE_UNREADABLE", "parks", None)]
    assert "W_UNKNOWN_PARK" not in result.report.codes()
    (note,) = [f for f in result.report if f.code == "I_REFERENCES_NOT_CHECKED"]
    assert (note.file, note.layer, note.field) == ("parks.geojson", "parks", "park_id")


# -- coordinate findings name the site --------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "code", "text"),
    [
        (",55.654,11.097,", ",,11.097,", "E_GEOMETRY_EMPTY", "site refinery has no coordinates"),
        (",55.654,11.097,", ",155.654,211.097,", "E_COORD_RANGE", "site refinery: coordinates"),
        (
            "power,Coastal Power Station,35.11,55.6615,11.0848,",
            ",Coastal Power Station,35.11,,11.0848,",
            "E_GEOMETRY_EMPTY",
            "a site without site_id has no coordinates",
        ),
    ],
)
def test_coordinate_findings_name_the_site(
    tmp_path: Path, old: str, new: str, code: str, text: str
) -> None:
    case = _copy(MINI, tmp_path)
    _edit(case / "sites.csv", old, new)
    result = load_case(case)
    hits = [f for f in result.report if f.code == code]
    assert len(hits) == 1, result.report.format()
    assert text in hits[0].message


# -- each distinct value is checked once ------------------------------------------------------


def test_nace_codes_are_looked_up_once_per_distinct_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2,000 sites share a few hundred codes: the lookups must not grow with the rows (a 50,000
    # site case spent most of its validation normalising the same codes again and again).
    case = synthetic.generate_case(2000, seed=3)
    calls: list[str] = []
    original = nace.normalise

    def counting(code: str) -> str | None:
        calls.append(code)
        return original(code)

    monkeypatch.setattr(nace, "normalise", counting)
    sites = io.flat_sites(case)
    result = io.load_frames({"sites": sites}, label="synthetic")
    assert not result.report.has_errors, result.report.format()
    assert result.case is not None
    distinct = sites["nace"].nunique()
    assert distinct < 500
    assert len(calls) <= 5 * distinct, (len(calls), distinct)
    assert result.case.sites["nace_section"].notna().all()


def test_integral_floats_from_excel_read_as_integers() -> None:
    # What the text() shortcut must keep doing: Excel's 1993.0 is "1993", 19.2 stays 19.2.
    frame = pd.DataFrame(
        {
            "site_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "nace": [35.0, 19.2, "24.10"],
            "lat": [55.6, 55.61, 55.62],
            "lon": [11.0, 11.01, 11.02],
            "employees": [120.0, None, 3e20],
        },
        dtype=object,
    )
    result = io.load_frames({"sites": frame})
    assert result.case is not None, result.report.format()
    assert result.case.sites["nace"].tolist() == ["35", "19.2", "24.10"]
    assert [f.code for f in result.report.warnings] == ["W_NACE_AS_NUMBER"]
    assert result.report.warnings[0].row == 2
    employees = result.case.sites["employees"].tolist()
    assert employees[0] == 120.0
    assert str(employees[2]) == str(3e20)


# -- the report as a table ------------------------------------------------------------------


def test_report_frame_puts_message_first_and_rows_as_integers(tmp_path: Path) -> None:
    case = _copy(MINI, tmp_path)
    _edit(case / "sites.csv", "site_id,name,", "id_site,name,")
    _edit(case / "flows.csv", "power,supply,10 01 05,200,", "power,supply,10 01 05,-200,")
    frame = load_case(case).report.to_frame()
    assert list(frame.columns) == [
        "severity",
        "message",
        "hint",
        "file",
        "layer",
        "row",
        "field",
        "code",
    ]
    assert str(frame["row"].dtype) == "Int64"
    by_code = frame.set_index("code")
    assert pd.isna(by_code.loc["E_MISSING_COLUMN", "row"])  # a table-level finding
    assert by_code.loc["E_QUANTITY_NOT_POSITIVE", "row"] == 2
    assert "None" not in frame.astype(str).to_numpy().ravel().tolist()


def test_finding_row_is_an_int_or_none() -> None:
    # Checks hand over row numbers from pandas: numpy integers, or NA for "no row".
    from_numpy = Finding("f", "sites", np.int64(4), None, "error", "E", "m")  # type: ignore[arg-type]
    assert from_numpy.row == 4
    assert type(from_numpy.row) is int
    assert Finding("f", "sites", pd.NA, None, "error", "E", "m").row is None
    table_level = Finding("f", "sites", None, None, "error", "E", "m")
    assert table_level.row is None
    assert "row" not in table_level.format()


def test_a_nace_column_with_no_code_at_all_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    """Found by the workbook fuzz test: a sites sheet whose nace column has no code at all
    (found with a site id "0" and nothing else)."""
    from openpyxl import Workbook  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "sites"
    for col, name in enumerate(["site_id", "name", "nace"], start=1):
        sheet.cell(row=1, column=col, value=name)
    sheet.cell(row=2, column=1).value = "0"
    book.save(tmp_path / "blank.xlsx")
    result = load_case(tmp_path / "blank.xlsx")
    assert result.case is None
    assert result.report.has_errors
