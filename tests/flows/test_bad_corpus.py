"""The validation corpus: every broken case yields one precise, located, explained finding.

Each member of ``tests/data/bad`` is the mini case with one thing broken (see its README.md);
each member of ``tests/data/warn`` has a problem that only deserves a warning.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from flows import cli
from flows._errors import CaseReadError
from flows.io import load_case
from flows.validation import Finding

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "data" / "bad"
WARN = REPO / "tests" / "data" / "warn"
NOT_MEMBERS = {"README.md", "make_binary.py", "__pycache__", "expected"}
MAX_BYTES = 50 * 1024


class Expected(NamedTuple):
    """The finding a corpus member must produce (code None: unreadable, exit 2)."""

    member: str
    code: str | None
    file: str | None = None
    layer: str | None = None
    row: int | None = None
    field: str | None = None
    text: str = ""
    """A substring of the message naming the offending value (or of the CaseReadError)."""


E = Expected
# fmt: off
BAD_CASES = [
    E("confidential_maybe", "E_BOOLEAN", "flows.csv", "flows", 5, "confidential", "'maybe'"),
    E("coords_not_number", "E_COORD_NOT_NUMBER", "sites.csv", "sites", 3, "lat", "55°39'N"),
    E("coords_out_of_range", "E_COORD_RANGE", "sites.csv", "sites", 4, "lat",
      "site board: coordinates lat=123, lon=200"),
    E("coords_swapped_in_range", "E_COORD_SWAPPED", "sites.csv", "sites", 2, "lat",
      "site power: lat=11.0848, lon=55.6615"),
    E("coords_swapped_out_of_range", "E_COORD_SWAPPED", "sites.csv", "sites", 5, "lat",
      "site dh: latitude 100.5"),
    E("corrupt.xlsx", None, text="not a readable Excel workbook"),
    E("direction_invalid", "E_VALUE_CHOICE", "flows.csv", "flows", 2, "direction", "'sell'"),
    E("duplicate_site_id", "E_DUPLICATE_ID", "sites.csv", "sites", 6, "site_id",
      "'power' is used again (first at row 2)"),
    E("empty_site_name", "E_MISSING_VALUE", "sites.csv", "sites", 3, "name", "'name'"),
    E("ewc_chapter_21", "E_RESOURCE_MALFORMED", "exchanges.csv", "exchanges", 2, "resource",
      "'21 01 01' has chapter 21"),
    E("ewc_five_digits", "E_RESOURCE_MALFORMED", "flows.csv", "flows", 2, "resource",
      "'10 01 5'"),
    E("ewc_seven_digits", "E_RESOURCE_MALFORMED", "flows.csv", "flows", 3, "resource",
      "'1001055'"),
    E("exchange_unknown_to_site", "E_UNKNOWN_SITE", "exchanges.csv", "exchanges", 2, "to_site",
      "'bord'"),
    E("flow_unknown_site", "E_UNKNOWN_SITE", "flows.csv", "flows", 4, "site_id", "'powr'"),
    E("flows_missing_unit", "E_MISSING_COLUMN", "flows.csv", "flows", None, "unit", "'unit'"),
    E("gpkg_duplicate_site_id.gpkg", "E_DUPLICATE_ID", "gpkg_duplicate_site_id.gpkg", "sites",
      5, "site_id", "'power' is used again (first at row 1)"),
    E("gpkg_nace_unknown.gpkg", "E_NACE_UNKNOWN", "gpkg_nace_unknown.gpkg", "sites", 2, "nace",
      "'99.99'"),
    E("gpkg_sites_no_crs_projected.gpkg", "E_CRS_MISSING", "gpkg_sites_no_crs_projected.gpkg",
      "sites", None, None, "x=631148.1, y=6170377.0"),
    E("heat_without_temperature", "E_TEMPERATURE_MISSING", "flows.csv", "flows", 6,
      "temperature_c", "heat"),
    E("mode_invalid", "E_VALUE_CHOICE", "exchanges.csv", "exchanges", 3, "mode", "'teleport'"),
    E("nace_malformed", "E_NACE_UNKNOWN", "sites.csv", "sites", 4, "nace", "'abc'"),
    E("nace_not_in_list", "E_NACE_UNKNOWN", "sites.csv", "sites", 3, "nace", "'99.99'"),
    E("no_sites_table", "E_MISSING_TABLE", "no_sites_table", None, None, None, "sites"),
    E("not_a_gpkg.gpkg", None, text="not a GeoPackage"),
    E("not_a_zip.zip", None, text="not a zip archive"),
    E("park_empty_geometry", "E_GEOMETRY_EMPTY", "parks.geojson", "parks", 1, "geometry",
      "no geometry"),
    E("park_point_geometry", "E_GEOMETRY_TYPE", "parks.geojson", "parks", 1, "geometry",
      "Point"),
    E("parks_geojson_syntax", "E_FILE_UNREADABLE", "parks.geojson", "parks", None, None,
      "Expecting ':' delimiter"),
    E("quantity_negative", "E_QUANTITY_NOT_POSITIVE", "flows.csv", "flows", 3, "quantity",
      "-180000"),
    E("quantity_not_number", "E_QUANTITY_NOT_NUMBER", "flows.csv", "flows", 5, "quantity",
      "'lots'"),
    E("quantity_thousands_separator", "E_QUANTITY_NOT_NUMBER", "flows.csv", "flows", 3,
      "quantity", "'180 000'"),
    E("quantity_zero", "E_QUANTITY_NOT_POSITIVE", "exchanges.csv", "exchanges", 2, "quantity",
      "quantity 0 "),
    E("resource_unknown", "E_RESOURCE_UNKNOWN", "flows.csv", "flows", 8, "resource",
      "'unobtainium'"),
    E("site_lat_empty", "E_GEOMETRY_EMPTY", "sites.csv", "sites", 3, "lat",
      "site refinery has no coordinates"),
    E("sites_csv_empty", "E_EMPTY_FILE", "sites.csv", "sites", None, None, "empty"),
    E("sites_csv_too_many_fields", "E_CSV_PARSE", "sites.csv", "sites", 3, None,
      "Expected 8 fields in line 3, saw 9"),
    E("sites_header_only", "E_NO_SITES", "sites.csv", "sites", None, None,
      "the case has no sites"),
    E("sites_missing_lat", "E_MISSING_COLUMN", "sites.csv", "sites", None, "lat", "'lat'"),
    E("sites_missing_nace", "E_MISSING_COLUMN", "sites.csv", "sites", None, "nace", "'nace'"),
    E("status_invalid", "E_STATUS", "exchanges.csv", "exchanges", 5, "status",
      "'dormant'"),
    E("temperature_absurd", "E_TEMPERATURE_RANGE", "flows.csv", "flows", 5, "temperature_c",
      "5000 °C"),
    E("temperature_not_number", "E_TEMPERATURE_NOT_NUMBER", "flows.csv", "flows", 4,
      "temperature_c", "'hot'"),
    E("unit_ewc_in_mwh", "E_UNIT_DIMENSION", "exchanges.csv", "exchanges", 2, "unit",
      "'MWh/yr' measures energy, but 10 01 05"),
    E("unit_heat_in_tonnes", "E_UNIT_DIMENSION", "flows.csv", "flows", 7, "unit",
      "'t/yr' measures mass, but heat"),
    E("unit_not_a_rate", "E_UNIT_NOT_RATE", "flows.csv", "flows", 3, "unit", "'t'"),
    E("unit_unknown", "E_UNIT_UNKNOWN", "flows.csv", "flows", 3, "unit",
      "'furlongs/fortnight'"),
    E("xlsx_lat_not_number.xlsx", "E_COORD_NOT_NUMBER", "xlsx_lat_not_number.xlsx", "sites", 5,
      "lat", "'55.680 N'"),
    E("xlsx_no_sites_sheet.xlsx", "E_MISSING_TABLE", "xlsx_no_sites_sheet.xlsx", None, None,
      None, "no 'sites' sheet"),
    E("xlsx_unit_unknown.xlsx", "E_UNIT_UNKNOWN", "xlsx_unit_unknown.xlsx", "flows", 4, "unit",
      "'bananas/yr'"),
    E("xlsx_year_implausible.xlsx", "E_YEAR", "xlsx_year_implausible.xlsx", "exchanges", 3,
      "since", "19822"),
    E("year_implausible", "E_YEAR", "exchanges.csv", "exchanges", 4, "since", "19822"),
    E("zip_steam_without_temperature.zip", "E_TEMPERATURE_MISSING",
      "zip_steam_without_temperature.zip/case/flows.csv", "flows", 4, "temperature_c", "steam"),
]

WARN_CASES = [
    E("country_not_iso", "W_COUNTRY_CODE", "metadata.csv", "metadata", None, "value",
      "'Denmark'"),
    E("gpkg_sites_no_crs_lonlat.gpkg", "W_CRS_ASSUMED", "gpkg_sites_no_crs_lonlat.gpkg",
      "sites", None, None, "EPSG:4326"),
    E("park_self_intersecting", "W_GEOMETRY_REPAIRED", "parks.geojson", "parks", 1, "geometry",
      "Self-intersection"),
    E("self_exchange", "W_SELF_EXCHANGE", "exchanges.csv", "exchanges", 2, "to_site", "same"),
    E("site_kind_unknown", "W_VALUE_CHOICE", "sites.csv", "sites", 3, "kind", "'refinery'"),
    E("site_unknown_park", "W_UNKNOWN_PARK", "sites.csv", "sites", None, "park_id",
      "'board' names park 'park2'"),
    E("sites_windows_1252", "W_ENCODING", "sites.csv", None, None, None, "Windows-1252"),
]
# fmt: on


def _expected_files(folder: Path) -> list[Expected]:
    """More expectations, one CSV per area (``expected/<area>.csv``: member, code, file, layer,
    row, field, text; an empty code means unreadable, exit 2), so the corpus grows by area."""
    rows: list[Expected] = []
    for path in sorted((folder / "expected").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                rows.append(
                    E(
                        rec["member"],
                        rec["code"] or None,
                        rec["file"] or None,
                        rec["layer"] or None,
                        int(rec["row"]) if rec["row"] else None,
                        rec["field"] or None,
                        rec["text"],
                    )
                )
    return rows


BAD_CASES += _expected_files(BAD)
WARN_CASES += _expected_files(WARN)

# Every case built from the mini case inherits its one warning: parks.geojson has no "crs".
_BASELINE = {("W_CRS_ASSUMED", "parks")}

# The CLI is run as a real subprocess for one member of each kind; the rest run in-process.
SUBPROCESS_SAMPLE = {
    "corrupt.xlsx",
    "not_a_gpkg.gpkg",
    "not_a_zip.zip",
    "coords_swapped_in_range",
    "gpkg_sites_no_crs_projected.gpkg",
    "xlsx_no_sites_sheet.xlsx",
    "zip_steam_without_temperature.zip",
    "sites_csv_too_many_fields",
}


def _ids(cases: list[Expected]) -> list[str]:
    return [c.member for c in cases]


def _members(folder: Path) -> set[str]:
    return {
        p.name
        for p in folder.iterdir()
        if p.name not in NOT_MEMBERS and not p.name.startswith("make_")  # generators
    }


def _matches(finding: Finding, exp: Expected) -> bool:
    return (finding.code, finding.file, finding.layer, finding.row, finding.field) == (
        exp.code,
        exp.file,
        exp.layer,
        exp.row,
        exp.field,
    )


def _unexpected(findings: list[Finding], exp: Expected) -> list[str]:
    """Errors and warnings other than the expected finding and the mini case's baseline."""
    return [
        f.format()
        for f in findings
        if f.severity != "info" and not _matches(f, exp) and (f.code, f.layer) not in _BASELINE
    ]


# -- the corpus is complete and small ---------------------------------------------------------


def test_corpus_has_at_least_30_members_all_tested() -> None:
    members = _members(BAD)
    assert len(members) >= 30
    assert members == set(_ids(BAD_CASES)), "add new members to BAD_CASES (or remove stale rows)"
    assert len(BAD_CASES) == len(members)


def test_warn_corpus_members_all_tested() -> None:
    assert _members(WARN) == set(_ids(WARN_CASES))
    assert len(WARN_CASES) == len(_members(WARN))


def test_readme_names_every_member() -> None:
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    for member in _members(BAD):
        suffix = "" if (BAD / member).is_file() else "/"
        assert f"`{member}{suffix}`" in readme
    for member in _members(WARN):
        suffix = "" if (WARN / member).is_file() else "/"
        assert f"`{member}{suffix}`" in readme


def test_binary_members_are_small() -> None:
    for folder in (BAD, WARN):
        for path in folder.iterdir():
            if path.is_file():
                assert path.stat().st_size < MAX_BYTES, path.name


# -- each broken case -------------------------------------------------------------------------


@pytest.mark.parametrize("exp", BAD_CASES, ids=_ids(BAD_CASES))
def test_bad_case_finding(exp: Expected) -> None:
    path = BAD / exp.member
    if exp.code is None:
        with pytest.raises(CaseReadError, match=exp.text):
            load_case(path)
        return
    result = load_case(path)
    assert result.case is None
    hits = [f for f in result.report if _matches(f, exp)]
    assert hits, f"no {exp.code} at {exp}:\n{result.report.format()}"
    finding = hits[0]
    assert finding.severity == "error"
    assert exp.text in finding.message
    assert finding.hint.strip()
    # One thing is broken, so one thing is reported: no cascades of follow-up findings.
    assert len(result.report.errors) == 1, result.report.format()
    assert _unexpected(result.report.findings, exp) == []


@pytest.mark.parametrize("exp", BAD_CASES, ids=_ids(BAD_CASES))
def test_bad_case_cli(exp: Expected, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["validate", str(BAD / exp.member)])
    out, err = capsys.readouterr()
    if exp.code is None:
        assert code == cli.EXIT_UNREADABLE
        assert exp.text in err
    else:
        assert code == cli.EXIT_INVALID
        assert f"error {exp.code}: " in out
        assert exp.text in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    "exp",
    [c for c in BAD_CASES if c.member in SUBPROCESS_SAMPLE],
    ids=sorted(SUBPROCESS_SAMPLE, key=_ids(BAD_CASES).index),
)
def test_bad_case_cli_subprocess(exp: Expected) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flows", "validate", str(BAD / exp.member)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == (2 if exp.code is None else 1), proc.stdout + proc.stderr
    if exp.code is None:
        assert exp.text in proc.stderr
    else:
        assert f"error {exp.code}: " in proc.stdout


# -- warning-only cases -----------------------------------------------------------------------


@pytest.mark.parametrize("exp", WARN_CASES, ids=_ids(WARN_CASES))
def test_warn_case(exp: Expected, capsys: pytest.CaptureFixture[str]) -> None:
    path = WARN / exp.member
    result = load_case(path)
    assert result.case is not None, result.report.format()
    assert not result.report.has_errors
    hits = [f for f in result.report if _matches(f, exp)]
    assert hits, f"no {exp.code} at {exp}:\n{result.report.format()}"
    assert hits[0].severity == "warning"
    assert exp.text in hits[0].message
    assert hits[0].hint.strip()
    assert _unexpected(result.report.findings, exp) == []
    assert cli.main(["validate", str(path)]) == cli.EXIT_OK
    out, err = capsys.readouterr()
    assert f"warning {exp.code}: " in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("member", ["gpkg_sites_no_crs_lonlat.gpkg", "sites_windows_1252"])
def test_warn_case_cli_subprocess(member: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flows", "validate", str(WARN / member)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
