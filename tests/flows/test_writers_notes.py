"""The notes of the case writers (what they changed to keep a file safe) reach the caller:
:func:`flows.io.write_case`, :func:`flows.io.case_to_bytes` and ``python -m flows convert``."""

from __future__ import annotations

import dataclasses
import io as bytes_io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from flows import io
from flows._errors import CaseWriteError
from flows.io.writers import FileFormat
from flows.model import Case
from tests.cli_helpers import run_module

XLSX_NOTE = "sheet sites, row 2, column name: removed 1 control character(s) Excel cannot store"


def _with_name(case: Case, name: str, *, row: int = 0) -> Case:
    sites = case.sites.copy()
    sites.loc[row, "name"] = name
    return dataclasses.replace(case, sites=sites)


def test_convert_to_xlsx_prints_the_note_and_the_file_has_the_clean_name(
    mini_case: Case, tmp_path: Path
) -> None:
    # A GeoPackage keeps a bell character as it is (it refuses only a NUL), so the case read
    # back still holds it when converted.
    source = io.write_case(_with_name(mini_case, "Coastal\x07 Power"), tmp_path / "bell.gpkg")
    assert io.read_case(source).sites.loc[0, "name"] == "Coastal\x07 Power"
    out = tmp_path / "out.xlsx"
    done = run_module("flows", "convert", str(source), str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"note: {XLSX_NOTE}" in done.stdout.splitlines()
    assert io.read_case(out).sites.loc[0, "name"] == "Coastal Power"


def test_convert_without_changes_prints_no_note(mini_case: Case, tmp_path: Path) -> None:
    source = io.write_case(mini_case, tmp_path / "plain.gpkg")
    done = run_module("flows", "convert", str(source), str(tmp_path / "plain.xlsx"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note:" not in done.stdout


def test_case_to_bytes_returns_the_notes_of_each_format(mini_case: Case) -> None:
    case = _with_name(_with_name(mini_case, "Coastal\x00 Power"), "=SUM(A1)", row=1)
    xlsx: list[str] = []
    data = io.case_to_bytes(case, "xlsx", notes=xlsx)
    assert xlsx == [
        "sheet sites, row 2, column name: removed 1 control character(s) Excel cannot store"
    ]
    assert openpyxl.load_workbook(bytes_io.BytesIO(data))["sites"]["B2"].value == "Coastal Power"
    zipped: list[str] = []
    data = io.case_to_bytes(case, "zip", notes=zipped)
    assert zipped, "a zip is a case folder: its CSV notes must come back"
    assert all(note.startswith("sites.csv: ") for note in zipped)
    assert any("control character" in note for note in zipped)
    assert any("prefixed with '" in note for note in zipped)
    with zipfile.ZipFile(bytes_io.BytesIO(data)) as archive:
        sites = pd.read_csv(archive.open("sites.csv"), dtype=str)
    assert list(sites["name"][:2]) == ["Coastal Power", "'=SUM(A1)"]
    kept = ["earlier note"]
    io.case_to_bytes(mini_case, "gpkg", notes=kept)
    io.case_to_bytes(mini_case, "xlsx", notes=kept)
    assert kept == ["earlier note"]  # appended to, and nothing to say about a clean case


def test_write_case_returns_folder_and_zip_notes(mini_case: Case, tmp_path: Path) -> None:
    case = _with_name(mini_case, "-1 plant")
    for target in (tmp_path / "folder", tmp_path / "case.zip"):
        notes: list[str] = []
        io.write_case(case, target, notes=notes)
        assert len(notes) == 1, target
        assert notes[0].startswith("sites.csv: ")
        assert "prefixed with '" in notes[0]


def test_write_case_adds_no_note_when_writing_fails(mini_case: Case, tmp_path: Path) -> None:
    # the control character is noted before the long text is refused: no note for no file
    case = _with_name(_with_name(mini_case, "bell\x07"), "x" * 40_000, row=1)
    notes: list[str] = []
    with pytest.raises(CaseWriteError):
        io.write_case(case, tmp_path / "long.xlsx", notes=notes)
    assert notes == []
    assert not (tmp_path / "long.xlsx").exists()


@pytest.mark.parametrize("fmt", ["xlsx", "zip", "gpkg"])
def test_case_changes_foretells_exactly_the_notes_of_the_written_file(
    mini_case: Case, fmt: FileFormat
) -> None:
    case = _with_name(_with_name(mini_case, "Coastal\x07 Power"), "+cmd|calc", row=1)
    written: list[str] = []
    io.case_to_bytes(case, fmt, notes=written)
    assert io.case_changes(case, fmt) == written
    if fmt != "gpkg":
        assert written, "a bell character and a formula-like name must be noted"
    assert io.case_changes(mini_case, fmt) == []


def test_case_changes_refuses_what_a_workbook_cannot_hold(mini_case: Case) -> None:
    case = _with_name(mini_case, "x" * 40_000)
    with pytest.raises(CaseWriteError, match="32,767"):
        io.case_changes(case, "xlsx")
    assert io.case_changes(case, "zip") == []
