"""Reading and writing cases in every format, round trips and atomic saves."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from flows import io
from flows._errors import CaseReadError, CaseValidationError, CaseWriteError
from flows.model import Case


def assert_cases_equal(left: Case, right: Case) -> None:
    assert_geodataframe_equal(left.sites, right.sites)
    assert_geodataframe_equal(left.parks, right.parks)
    for table in ("flows", "exchanges", "sources"):
        pd.testing.assert_frame_equal(getattr(left, table), getattr(right, table))
    assert left.metadata == right.metadata


def test_mini_case_loads_with_canonical_units(mini_case: Case) -> None:
    flows = mini_case.flows.set_index(["site_id", "resource"])
    # 200 kt/yr of FGD gypsum is 200,000 t/yr
    assert flows.loc[("power", "10 01 05"), "quantity_canonical"] == pytest.approx(200_000)
    # "100105" in the file is normalised to the official form
    assert ("board", "10 01 05") in flows.index
    # 300 TJ/yr = 300e6 MJ / 3600 MJ/MWh
    assert flows.loc[("refinery", "fuel-gas"), "quantity_canonical"] == pytest.approx(300e6 / 3600)
    # 50 MW continuous over a Julian year
    assert flows.loc[("power", "heat"), "quantity_canonical"] == pytest.approx(50 * 8766)
    assert set(flows["unit_canonical"]) == {"t/yr", "MWh/yr"}
    assert mini_case.sites.crs.to_epsg() == 4326
    assert list(mini_case.sites["nace_section"]) == ["D", "C", "C", "D"]
    assert mini_case.exchanges["since"].dtype == "Int64"
    assert mini_case.flows["confidential"].tolist().count(True) == 1


def test_free_attributes_are_kept(mini_case: Case) -> None:
    assert mini_case.sites["employees"].tolist()[:2] == ["120", "300"]
    assert mini_case.sites["employees"].isna().sum() == 2


@pytest.mark.parametrize("target", ["case.gpkg", "case.xlsx", "case.zip", "case_folder"])
def test_round_trip_preserves_everything(mini_case: Case, tmp_path: Path, target: str) -> None:
    path = io.write_case(mini_case, tmp_path / target)
    result = io.load_case(path)
    assert not result.report.has_errors, result.report.format()
    assert result.case is not None
    assert_cases_equal(mini_case, result.case)


@pytest.mark.parametrize("first", ["gpkg", "xlsx"])
def test_second_round_trip_is_byte_stable_in_content(
    mini_case: Case, tmp_path: Path, first: str
) -> None:
    once = io.read_case(io.write_case(mini_case, tmp_path / f"a.{first}"))
    twice = io.read_case(io.write_case(once, tmp_path / f"b.{first}"))
    assert_cases_equal(once, twice)


def test_polygon_site_survives_flat_formats(mini_case: Case, tmp_path: Path) -> None:
    case = io.read_case(io.write_case(mini_case, tmp_path / "c.gpkg"))
    outline = case.parks.geometry.iloc[0]
    sites = case.sites.copy()
    sites.loc[0, "geometry"] = outline
    case.sites = sites
    for target in ("p.xlsx", "p.zip"):
        back = io.read_case(io.write_case(case, tmp_path / target))
        assert back.sites.geometry.iloc[0].equals_exact(outline, tolerance=0)
        assert back.sites.geometry.iloc[1].equals_exact(case.sites.geometry.iloc[1], tolerance=0)


def test_excel_keeps_code_columns_as_text(mini_case: Case, tmp_path: Path) -> None:
    path = io.write_case(mini_case, tmp_path / "codes.xlsx")
    sheet = openpyxl.load_workbook(path)["sites"]
    header = [c.value for c in sheet[1]]
    nace_cell = sheet.cell(row=3, column=header.index("nace") + 1)
    assert nace_cell.value == "19.20"
    assert nace_cell.number_format == "@"


def test_zip_with_a_top_folder_is_read(mini_case: Case, tmp_path: Path, data_dir: Path) -> None:
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in (data_dir / "mini").iterdir():
            zf.write(file, arcname=f"my-case/{file.name}")
        zf.writestr("__MACOSX/my-case/._sites.csv", "junk")
    result = io.load_case(archive, display_name="upload.zip")
    assert result.case is not None
    assert_cases_equal(mini_case, result.case)
    assert {f.file for f in result.report} <= {"upload.zip/my-case/parks.geojson"}


def test_semicolon_csv_with_decimal_commas(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "eu"
    shutil.copytree(data_dir / "mini", folder)
    text = (folder / "sites.csv").read_text().replace(",", ";")
    text = text.replace("55.6615", "55,6615").replace("11.0848", "11,0848")
    (folder / "sites.csv").write_text(text)
    case = io.read_case(folder)
    point = case.sites.set_index("site_id").geometry["power"]
    assert (point.x, point.y) == (11.0848, 55.6615)


def test_column_aliases_are_reported(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "alias"
    shutil.copytree(data_dir / "mini", folder)
    text = (folder / "sites.csv").read_text()
    (folder / "sites.csv").write_text(text.replace("lat,lon", "Latitude,Longitude", 1))
    result = io.load_case(folder)
    assert result.case is not None
    renamed = [f for f in result.report if f.code == "I_COLUMN_RENAMED"]
    assert {f.field for f in renamed} == {"Latitude", "Longitude"}


def test_read_case_raises_with_report(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "dup"
    shutil.copytree(data_dir / "mini", folder)
    with (folder / "sites.csv").open("a") as fh:
        fh.write("power,Another,35.11,55.0,11.0,,company,\n")
    with pytest.raises(CaseValidationError) as info:
        io.read_case(folder)
    assert "E_DUPLICATE_ID" in info.value.report.codes()
    assert isinstance(info.value, ValueError)


def test_unknown_suffix_and_missing_path_are_unreadable(tmp_path: Path) -> None:
    odd = tmp_path / "case.shp"
    odd.write_text("x")
    with pytest.raises(CaseReadError, match="unknown case format"):
        io.load_case(odd)
    with pytest.raises(CaseReadError, match="no such file"):
        io.load_case(tmp_path / "nothing.gpkg")


def test_failed_write_leaves_the_old_file(
    mini_case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keep.gpkg"
    io.write_case(mini_case, target)
    before = target.read_bytes()
    real_write = pyogrio.write_dataframe

    def disk_full_on_flows(frame: object, path: object, **kwargs: object) -> None:
        if kwargs.get("layer") == "flows":
            msg = "No space left on device"
            raise OSError(msg)
        real_write(frame, path, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", disk_full_on_flows)
    with pytest.raises(CaseWriteError, match="No space left"):
        io.write_case(mini_case, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gpkg"]


def test_folder_write_replaces_case_files_and_never_foreign_ones(
    mini_case: Case, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    io.write_case(mini_case, target)
    io.write_case(Case(sites=mini_case.sites, flows=mini_case.flows), target)
    assert not (target / "parks.geojson").exists()  # the new case has no parks
    assert io.read_case(target).parks.empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (target / "thesis.docx").write_text("months of work")
    with pytest.raises(CaseWriteError, match="already holds other files"):
        io.write_case(mini_case, target)
    assert (target / "thesis.docx").read_text() == "months of work"


def test_bytes_export_matches_file_export(mini_case: Case, tmp_path: Path) -> None:
    for fmt in ("gpkg", "xlsx", "zip"):
        data = io.case_to_bytes(mini_case, fmt)  # type: ignore[arg-type]
        path = tmp_path / f"bytes.{fmt}"
        path.write_bytes(data)
        assert_cases_equal(mini_case, io.read_case(path))


def test_template_has_help_choices_and_no_sites(tmp_path: Path) -> None:
    path = io.write_template(tmp_path / "template.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "help",
        "sites",
        "parks",
        "flows",
        "exchanges",
        "sources",
        "metadata",
    ]
    flows = book["flows"]
    header = [c.value for c in flows[1]]
    assert header[:5] == ["site_id", "direction", "resource", "quantity", "unit"]
    assert "Required" in flows.cell(row=1, column=1).comment.text
    rules = [dv.formula1 for dv in flows.data_validations.dataValidation]
    assert '"supply,demand"' in rules
    help_rows = [[c.value for c in row] for row in book["help"].iter_rows(min_row=3)]
    assert help_rows[[r[1] for r in help_rows].index("temperature_c")][:2] == [
        "flows",
        "temperature_c",
    ]
    # The blank template has no sites, which is an error (see test_validation.py).
    assert io.load_case(path).report.codes() == {"E_NO_SITES"}
    assert io.template_xlsx_bytes()[:2] == b"PK"


def test_gpkg_with_other_point_layer_name_is_read_as_sites(mini_case: Case, tmp_path: Path) -> None:
    path = tmp_path / "qgis.gpkg"
    mini_case.sites.drop(columns=["nace_section", "sector"]).to_file(
        path, layer="companies", driver="GPKG"
    )
    result = io.load_case(path)
    assert result.case is not None
    assert "I_LAYER_AS_SITES" in result.report.codes()
    assert len(result.case.sites) == 4


def test_projected_gpkg_is_converted_to_wgs84(mini_case: Case, tmp_path: Path) -> None:
    path = tmp_path / "utm.gpkg"
    sites = mini_case.sites.drop(columns=["nace_section", "sector"]).to_crs(25832)
    sites.to_file(path, layer="sites", driver="GPKG")
    result = io.load_case(path)
    assert result.case is not None
    assert "I_CRS_CONVERTED" in result.report.codes()
    got = result.case.sites.geometry.iloc[0]
    want = mini_case.sites.geometry.iloc[0]
    assert got.distance(want) < 1e-9


def test_text_starting_with_equals_survives_excel(mini_case: Case, tmp_path: Path) -> None:
    sites = mini_case.sites.copy()
    sites.loc[0, "name"] = '=HYPERLINK("http://example.invalid")'
    case = Case(sites=sites, flows=mini_case.flows)
    back = io.read_case(io.write_case(case, tmp_path / "eq.xlsx"))
    assert back.sites.loc[0, "name"] == sites.loc[0, "name"]
    cell = openpyxl.load_workbook(tmp_path / "eq.xlsx")["sites"]["B2"]
    assert cell.data_type == "s"


def test_dotted_thousands_in_a_semicolon_csv_are_ambiguous(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "eu"
    shutil.copytree(data_dir / "mini", folder)
    text = (folder / "flows.csv").read_text().replace(",", ";").replace("180000", "1.500")
    (folder / "flows.csv").write_text(text)
    result = io.load_case(folder)
    finding = next(f for f in result.report if f.code == "E_NUMBER_AMBIGUOUS")
    assert (finding.row, finding.field) == (3, "quantity")
    assert "'1.500' could be 1500" in finding.message


@pytest.mark.parametrize("fmt", ["folder", "zip"])
def test_formula_like_text_is_neutralised_in_csv_and_comes_back_as_written(
    mini_case: Case, tmp_path: Path, fmt: str
) -> None:
    names = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "'=quoted"]
    sites = mini_case.sites.copy()
    sites["name"] = [*names, *sites["name"].iloc[len(names) :]]
    case = dataclasses.replace(mini_case, sites=sites)
    target = tmp_path / ("case" if fmt == "folder" else "case.zip")
    io.write_case(case, target)
    if fmt == "folder":
        text = (target / "sites.csv").read_text(encoding="utf-8")
        assert "\n=HYPERLINK" not in text
        assert ",=HYPERLINK" not in text
        assert "'=HYPERLINK" in text
    again = io.read_case(target)
    assert list(again.sites["name"].iloc[: len(names)]) == names
