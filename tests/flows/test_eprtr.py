"""Importing the EEA's E-PRTR facilities and off-site waste transfers (flows.io.eprtr).

The fixtures in tests/data/eprtr imitate the EEA files (names, headers and column order; see
the README there); every expected figure below is worked out by hand from their rows.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from flows import cli, io, nace
from flows.io import eprtr
from flows.io.eprtr import EprtrLayoutError, activity_waste, eprtr_to_case, read_eprtr
from flows.model import Case
from flows.resources import normalise_ewc
from flows.schema import SITE_KINDS
from flows.validation import ValidationReport

GHENT_BBOX = (3.6, 51.0, 3.9, 51.2)
F1, F2, F3 = (f"BE.CAED/10000000{i}.FACILITY" for i in (1, 2, 3))


@pytest.fixture(scope="module")
def reporting_dir(data_dir: Path) -> Path:
    return data_dir / "eprtr" / "industrial_reporting"


@pytest.fixture(scope="module")
def ghent(reporting_dir: Path) -> tuple[Case, ValidationReport]:
    case, report = eprtr_to_case(reporting_dir, countries=["BE"], bbox=GHENT_BBOX)
    assert case is not None, report.format()
    return case, report


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_sites_are_the_facilities_with_their_codes(ghent: tuple[Case, ValidationReport]) -> None:
    case, _ = ghent
    sites = case.sites.set_index("site_id")
    assert list(sites.index) == [F1, F2, F3]
    assert list(sites["name"]) == [
        "Kanaalzone Staal NV",
        "Rodenhuize Energie NV",
        "Ghent Fine Chemicals BV",
    ]
    # NACE from 2c_Function, Annex I activity kept as a free attribute, kind from the activity
    assert list(sites["nace"]) == ["24.10", "35.11", "20.14"]
    assert list(sites["eprtr_activity"]) == ["2(b)", "1(c)", "4(a)(viii)"]
    assert list(sites["kind"]) == ["company", "power-plant", "company"]
    assert set(sites["country"]) == {"BE"}
    assert sites.geometry.x[F1] == pytest.approx(3.7991)
    assert sites.geometry.y[F1] == pytest.approx(51.1237)


def test_flows_in_tonnes_with_estimated_codes_and_routes(
    ghent: tuple[Case, ValidationReport],
) -> None:
    case, report = ghent
    flows = case.flows
    assert set(flows["unit"]) == {"t/yr"}
    assert set(flows["direction"]) == {"supply"}
    assert set(flows["supply_kind"]) == {"waste"}
    got = {
        (r.site_id, r.resource, r.eprtr_treatment, bool(r.transboundary)): (
            r.quantity,
            r.counterfactual if isinstance(r.counterfactual, str) else None,
            r.quantity_method,
        )
        for r in flows.itertuples()
    }
    # Rows of 2h_OffsiteWasteTransfer.csv for 2022; steel (2(b)) -> 10 02 99 / 10 02 07*,
    # power (1(c)) -> 10 01 99 / 10 01 18*, organic chemicals (4(a)) -> 07 01 08*.
    assert got == {
        (F1, "10 02 99", "D", False): (12500.5, "landfill-nonhazardous", "measured"),
        (F1, "10 02 99", "R", False): (48200.0, "sold-as-product", "calculated"),
        (F1, "10 02 07*", "D", False): (350.25, "incineration", "estimated"),
        (F1, "10 02 07*", "R", True): (120.0, "sold-as-product", "measured"),
        (F2, "10 01 99", "R", False): (65000.0, "sold-as-product", "measured"),
        (F2, "10 01 18*", "D", False): (42.5, "incineration", "calculated"),
        # two rows (900 t measured + 100 t estimated) to two receivers: 1000 t, estimated
        (F3, "07 01 08*", "D", False): (1000.0, "incineration", "estimated"),
    }
    # 12500.5 + 48200 + 350.25 + 120 + 65000 + 42.5 + 1000
    assert flows["quantity_canonical"].sum() == pytest.approx(127213.25)
    assert set(flows["unit_canonical"]) == {"t/yr"}
    assert set(flows["resource_basis"]) == {"estimated"}
    assert set(flows["reporting_year"]) == {2022}
    assert list(flows["already_recovered"]) == list(flows["eprtr_treatment"] == "R")
    assert set(flows["source"]) == {"eea-eprtr-2022"}
    assert list(case.sources["source_id"]) == ["eea-eprtr-2022"]
    assert "reporting year 2022" in case.sources["citation"].iloc[0]
    # Ghent Fine Chemicals' 0 t of recovered non-hazardous waste cannot be a flow
    assert "I_EPRTR_TRANSFERS_SKIPPED" in report.codes()


def test_transfer_abroad_is_kept_with_its_country(ghent: tuple[Case, ValidationReport]) -> None:
    case, _ = ghent
    abroad = case.flows.loc[case.flows["transboundary"].astype(bool)]
    assert len(abroad) == 1
    row = abroad.iloc[0]
    assert (row["site_id"], row["quantity"], row["receiver_country"]) == (F1, 120.0, "NL")
    assert "sent abroad" in row["note"]


def test_the_imported_case_is_valid(ghent: tuple[Case, ValidationReport], tmp_path: Path) -> None:
    case, report = ghent
    assert not report.has_errors
    # every EWC code of the extract ("xx yy 99", 10 01 18*) is in the List of Waste
    assert not report.warnings
    assert case.metadata["country"] == "BE"
    assert case.metadata["reporting_year"] == "2022"
    written = io.write_case(case, tmp_path / "ghent")
    again = io.load_case(written)
    assert again.case is not None, again.report.format()
    assert len(again.case.flows) == 7


def test_year_filter_and_default_latest_year(reporting_dir: Path) -> None:
    case, report = eprtr_to_case(reporting_dir, year=2021)
    assert case is not None
    assert list(case.flows["quantity"]) == [13000.0]
    assert list(case.flows["reporting_year"]) == [2021]
    assert "I_EPRTR_YEAR" not in report.codes()
    # all five facilities stay sites: the register has no year, only the transfers do
    assert len(case.sites) == 5
    _, latest = eprtr_to_case(reporting_dir)
    assert "I_EPRTR_YEAR" in latest.codes()


def test_country_filter(reporting_dir: Path) -> None:
    case, _ = eprtr_to_case(reporting_dir, countries="nl")
    assert case is not None
    assert list(case.sites["name"]) == ["Terneuzen Kunstmest BV"]
    # fertilisers (4(c)) are sector 4: hazardous -> 07 01 08*; R -> already recovered
    assert case.flows[["resource", "quantity", "counterfactual"]].values.tolist() == [
        ["07 01 08*", 5000.0, "sold-as-product"]
    ]
    assert case.metadata["country"] == "NL"
    nothing, _ = eprtr_to_case(reporting_dir, countries=["DK"])
    assert nothing is None  # a case needs sites: none in Denmark


def test_bbox_filter(reporting_dir: Path) -> None:
    case, _ = eprtr_to_case(reporting_dir, bbox=GHENT_BBOX)
    assert case is not None
    # Antwerp (51.257, 4.351) and Terneuzen (51.33, 3.83) lie outside the Ghent box
    assert list(case.sites["site_id"]) == [F1, F2, F3]
    with pytest.raises(ValueError, match="min_lon, min_lat, max_lon, max_lat"):
        read_eprtr(reporting_dir, bbox=(3.9, 51.0, 3.6, 51.2))


def test_old_eprtr_layout_in_windows_1252(data_dir: Path) -> None:
    case, report = eprtr_to_case(data_dir / "eprtr" / "v18")
    assert case is not None, report.format()
    assert "W_EPRTR_ENCODING" in report.codes()
    assert list(case.sites["name"]) == ["Kanaalzone Staal NV", "Société Gantoise de Chimie SA"]
    got = case.flows[["site_id", "resource", "quantity", "counterfactual"]].values.tolist()
    assert got == [
        ["1001", "10 02 99", 9000.0, "landfill-nonhazardous"],
        # HWOC: hazardous waste outside the country, to a site in the Netherlands
        ["1001", "10 02 07*", 75.0, "sold-as-product"],
        ["1002", "07 01 08*", 410.5, "incineration"],
    ]
    assert list(case.flows["transboundary"]) == [False, True, False]
    assert list(case.flows["reporting_year"]) == [2017, 2017, 2017]
    older, _ = eprtr_to_case(data_dir / "eprtr" / "v18", year=2016)
    assert older is not None
    assert older.flows[["site_id", "quantity"]].values.tolist() == [["1002", 380.0]]


def test_another_layout_names_the_file_and_the_columns(data_dir: Path) -> None:
    with pytest.raises(EprtrLayoutError) as caught:
        read_eprtr(data_dir / "eprtr" / "wrong_layout")
    text = str(caught.value)
    assert "2h_OffsiteWasteTransfer.csv" in text
    assert "missing column(s) Facility_INSPIRE_ID, wasteClassificationCode" in text
    assert "found FacilityInspireId, reportingYear, wasteClassification" in text


def test_a_folder_without_eprtr_tables_lists_what_is_expected(data_dir: Path) -> None:
    with pytest.raises(EprtrLayoutError) as caught:
        read_eprtr(data_dir / "mini")
    text = str(caught.value)
    assert "no E-PRTR tables found" in text
    assert "sites.csv" in text
    assert "2h_offsitewastetransfer.csv" in text
    assert "dbo.publish_wastetransfer.csv" in text


def test_a_missing_table_is_named(reporting_dir: Path, tmp_path: Path) -> None:
    folder = _copy(reporting_dir, tmp_path / "partial")
    (folder / "2h_OffsiteWasteTransfer.csv").unlink()
    with pytest.raises(EprtrLayoutError, match=r"lacks 2h_offsitewastetransfer\.csv"):
        read_eprtr(folder)


def test_without_the_function_table_nace_comes_from_the_activity(
    reporting_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(reporting_dir, tmp_path / "no_function")
    (folder / "2c_Function.csv").unlink()
    case, report = eprtr_to_case(folder, bbox=GHENT_BBOX)
    assert case is not None, report.format()
    # 2(b) -> 24, 1(c) -> 35, 4(a) -> 20
    assert list(case.sites["nace"]) == ["24", "35", "20"]
    assert len(case.flows) == 7


def test_an_empty_file_is_named(reporting_dir: Path, tmp_path: Path) -> None:
    folder = _copy(reporting_dir, tmp_path / "empty_file")
    (folder / "2h_OffsiteWasteTransfer.csv").write_bytes(b"")
    with pytest.raises(EprtrLayoutError, match=r"2h_OffsiteWasteTransfer\.csv: cannot be read"):
        read_eprtr(folder)


def test_utf8_with_byte_order_mark(reporting_dir: Path, tmp_path: Path) -> None:
    folder = _copy(reporting_dir, tmp_path / "bom")
    for file in folder.iterdir():
        text = file.read_text(encoding="utf-8").replace(
            "Ghent Fine Chemicals BV", "Gentse Chimie Société"
        )
        file.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    case, report = eprtr_to_case(folder, bbox=GHENT_BBOX)
    assert case is not None, report.format()
    assert "W_EPRTR_ENCODING" not in report.codes()
    assert list(case.sites["name"])[2] == "Gentse Chimie Société"
    assert case.flows["quantity"].sum() == pytest.approx(127213.25)


def test_a_zip_of_the_download(reporting_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "eea_t_ied-eprtr.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in reporting_dir.iterdir():
            zf.write(file, f"csv/{file.name}")
    case, _ = eprtr_to_case(archive, bbox=GHENT_BBOX)
    assert case is not None
    assert case.flows["quantity"].sum() == pytest.approx(127213.25)


def test_no_transfers_gives_sites_only(reporting_dir: Path, tmp_path: Path) -> None:
    folder = _copy(reporting_dir, tmp_path / "empty")
    transfers = folder / "2h_OffsiteWasteTransfer.csv"
    transfers.write_text(transfers.read_text(encoding="utf-8").splitlines()[0] + "\n", "utf-8")
    case, report = eprtr_to_case(folder)
    assert case is not None, report.format()
    assert len(case.sites) == 5
    assert case.flows.empty
    assert "I_EPRTR_YEAR" not in report.codes()


def test_nace_codes_outside_rev_2_1_are_shortened(reporting_dir: Path, tmp_path: Path) -> None:
    folder = _copy(reporting_dir, tmp_path / "nace")
    functions = folder / "2c_Function.csv"
    text = functions.read_text(encoding="utf-8")
    text = text.replace(",24.10,", ",24.19,").replace(",20.14,", ",45.20,")
    functions.write_text(text.replace(",35.11,", ",,"), encoding="utf-8")
    case, report = eprtr_to_case(folder, bbox=GHENT_BBOX)
    assert case is not None, report.format()
    sites = case.sites.set_index("site_id")
    # 24.19 is no class: its group 24.1 is kept
    assert not nace.is_valid("24.19")
    assert (sites.loc[F1, "nace"], sites.loc[F1, "nace_reported"]) == ("24.1", "24.19")
    assert "shortened" in sites.loc[F1, "nace_note"]
    # 45.20 (Rev. 2) has no group or division left in Rev. 2.1: the activity's division,
    # 4(a) -> 20; no code at all: 1(c) -> 35
    assert not nace.is_valid("45")
    assert sites.loc[F3, "nace"] == "20"
    assert "not in Rev. 2.1" in sites.loc[F3, "nace_note"]
    assert sites.loc[F2, "nace"] == "35"
    assert "no NACE code reported" in sites.loc[F2, "nace_note"]


def test_a_facility_without_activity_gets_generic_codes(
    reporting_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(reporting_dir, tmp_path / "no_activity")
    register = folder / "2_ProductionFacility.csv"
    text = register.read_text(encoding="utf-8").replace(",1(c),Thermal", ",,Thermal")
    register.write_text(text, encoding="utf-8")
    case, report = eprtr_to_case(folder, bbox=GHENT_BBOX)
    assert case is not None, report.format()
    power = case.flows.loc[case.flows["site_id"] == F2]
    assert power[["resource", "quantity"]].values.tolist() == [
        ["20 03 01", 65000.0],
        ["13 02 08*", 42.5],
    ]
    assert case.sites.set_index("site_id").loc[F2, "kind"] == "company"


@pytest.mark.parametrize(
    ("code", "activity"),
    [
        ("5(f)", "5(f)"),
        ("5.(f)", "5(f)"),
        ("5(c)", "5"),
        ("1(c)", "1"),
        ("1.(a)", "1(a)"),
        ("4(a)(viii)", "4"),
        ("4(e)", "4(e)"),
        ("9(e)", "9(e)"),
        ("12", ""),
        (None, ""),
        ("", ""),
    ],
)
def test_activity_lookup(code: str | None, activity: str) -> None:
    assert activity_waste(code).activity == activity


def test_activity_table_is_well_formed() -> None:
    for row in (*eprtr.ACTIVITY_WASTE, activity_waste(None)):
        assert normalise_ewc(row.non_hazardous) == row.non_hazardous
        assert normalise_ewc(row.hazardous) == row.hazardous
        assert row.hazardous.endswith("*")
        assert not row.non_hazardous.endswith("*")
        assert nace.is_valid(row.nace), row
        assert row.kind in SITE_KINDS


def test_command_line(
    reporting_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = cli.build_parser()
    out = tmp_path / "ghent_case"
    args = parser.parse_args(
        [
            "import-eprtr",
            str(reporting_dir),
            "--year",
            "2022",
            "--country",
            "BE",
            "--bbox",
            "3.6",
            "51.0",
            "3.9",
            "51.2",
            "--out",
            str(out),
        ]
    )
    assert args.func(args) == 0
    assert "3 sites, 7 flows" in capsys.readouterr().out
    flows = pd.read_csv(out / "flows.csv", dtype=str)
    assert len(flows) == 7
    missing = parser.parse_args(["import-eprtr", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.func(missing) == 2
    assert "not a folder or a zip" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["import-eprtr", "x", "--bbox", "1,2,3", "--out", "y"])


def test_a_nace_rev_2_code_is_mapped_as_suggest_and_validation_map_it() -> None:
    """One reading of near-miss codes (flows.nace.resolve) for the importer too."""
    valid, note = eprtr._valid_nace(pd.Series(["16.10", "01.10"]), pd.Series(["16", "01"]))
    assert valid.tolist() == [nace.resolve("16.10")[0], "01.1"]
    assert note.tolist() == [nace.resolve("16.10")[1], nace.resolve("01.10")[1]]
