"""The reading boundary covers the checks too, the limits reach them, and one cell gets one error.

A bug in a check must not reach the command line or a page as a traceback; ``limits`` given to
``load_case`` bound the checks as well as the readers; a workbook cell the reader already
reported (an Excel error value, a formula without a stored value) is not reported again as empty.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from datasets.errors import SymbioMapError
from datasets.settings import InputLimits
from flows import cli
from flows import io as case_io
from flows._errors import CaseReadError
from flows.checks import case as case_checks
from flows.checks.checker import ROW, Checker, RawTable
from flows.model import Case
from flows.validation import ValidationReport

TINY_UNITS = InputLimits(max_unit_chars=3)
"""Shorter than every unit of the mini case (``t/yr``, ``kt/yr``)."""


@pytest.fixture
def mini_folder(data_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(data_dir / "mini", folder)
    return folder


def _broken_check(*_args: object, **_kwargs: object) -> None:
    raise ZeroDivisionError("division by zero in a check")


# -- limits reach the checks ----------------------------------------------------------------------


def test_load_case_passes_its_limits_to_the_unit_checks(mini_folder: Path) -> None:
    result = case_io.load_case(mini_folder, limits=TINY_UNITS)
    too_long = {(f.layer, f.field) for f in result.report.errors if f.code == "E_UNIT_TOO_LONG"}
    assert too_long == {("flows", "unit"), ("exchanges", "unit")}
    assert result.case is None
    assert case_io.load_case(mini_folder).case is not None  # within the default limits


def test_read_case_passes_its_limits_on(mini_folder: Path) -> None:
    with pytest.raises(SymbioMapError, match="E_UNIT_TOO_LONG"):
        case_io.read_case(mini_folder, limits=TINY_UNITS)


def test_load_frames_passes_its_limits_to_the_checks(data_dir: Path) -> None:
    tables = {
        name: pd.read_csv(data_dir / "mini" / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("sites", "flows")
    }
    result = case_io.load_frames(tables, label="frames", limits=TINY_UNITS)
    assert "E_UNIT_TOO_LONG" in result.report.codes()
    assert case_io.load_frames(tables, label="frames").case is not None


# -- a bug in a check -----------------------------------------------------------------------------


def test_a_bug_in_a_check_is_a_case_read_error(
    mini_folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(case_checks, "check_flows", _broken_check)
    with caplog.at_level(logging.ERROR, logger="flows.io"), pytest.raises(CaseReadError) as info:
        case_io.load_case(mini_folder, display_name="upload.zip")
    assert str(info.value) == (
        "internal error while checking upload.zip (ZeroDivisionError: division by zero in a "
        "check); please report this as a bug"
    )
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    # The traceback goes to the log, for the bug report.
    record = next(r for r in caplog.records if r.name == "flows.io")
    assert "upload.zip" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError


def test_a_bug_in_a_check_of_frames_is_a_case_read_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_checks, "check_sites", _broken_check)
    sites = pd.read_csv(data_dir / "mini" / "sites.csv", dtype=str, keep_default_na=False)
    with pytest.raises(CaseReadError, match=r"internal error while checking frames \("):
        case_io.load_frames({"sites": sites}, label="frames")


def test_a_deliberate_refusal_in_a_check_passes_as_it_is(
    mini_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class _SettingsError(SymbioMapError, ValueError):
        pass

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise _SettingsError("SYMBIOMAP_MAX_ROWS is not a number")

    monkeypatch.setattr(case_checks, "check_flows", refuse)
    with pytest.raises(_SettingsError, match="SYMBIOMAP_MAX_ROWS"):
        case_io.load_case(mini_folder)


def test_a_bug_in_a_check_gives_the_cli_a_message_not_a_traceback(
    mini_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(case_checks, "check_exchanges", _broken_check)
    assert cli.main(["validate", str(mini_folder)]) == cli.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert "internal error while checking mini (ZeroDivisionError" in err
    assert "please report this as a bug" in err
    assert "Traceback" not in err


# -- one error per Excel cell ---------------------------------------------------------------------


def _workbook(mini_case: Case, tmp_path: Path, sheet: str, column: str, value: str) -> Path:
    """The mini case as a workbook with ``value`` in row 2 of ``column`` of ``sheet``."""
    path = tmp_path / "case.xlsx"
    case_io.write_case(mini_case, path)
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    col = next(c.column for c in ws[1] if c.value == column)
    ws.cell(row=2, column=col).value = value
    book.save(path)
    return path


def test_an_excel_error_in_a_required_column_is_one_error(mini_case: Case, tmp_path: Path) -> None:
    path = _workbook(mini_case, tmp_path, "sites", "name", "#DIV/0!")
    result = case_io.load_case(path)
    at_cell = [
        f.code for f in result.report.errors if (f.layer, f.row, f.field) == ("sites", 2, "name")
    ]
    assert at_cell == ["E_XLSX_ERROR_VALUE"]
    assert result.case is None  # the row is still refused


def test_a_formula_without_a_value_in_a_required_column_is_one_error(
    mini_case: Case, tmp_path: Path
) -> None:
    path = _workbook(mini_case, tmp_path, "flows", "quantity", "=90000*2")
    result = case_io.load_case(path)
    at_cell = [f.code for f in result.report.errors if (f.row, f.field) == (2, "quantity")]
    assert at_cell == ["E_XLSX_FORMULA_NOT_COMPUTED"]


def test_cells_a_reader_reported_get_no_missing_value_error() -> None:
    frame = pd.DataFrame({"site_id": ["a", None, None], ROW: [2, 3, 4]})
    raw = RawTable("sites", "case.xlsx", "sites", frame, reported=frozenset({(3, "site_id")}))
    report = ValidationReport()
    checker = Checker(raw, report)
    present = checker.require_values("site_id", checker.text("site_id"))
    # Row 3 was reported by the reader; row 4 is simply empty.
    assert [(f.code, f.row) for f in report] == [("E_MISSING_VALUE", 4)]
    assert present.tolist() == [True, False, False]
    assert checker.keep.tolist() == [True, False, False]


def test_limits_given_to_load_case_reach_the_readers(data_dir: Path) -> None:
    result = case_io.load_case(data_dir / "mini", limits=InputLimits(max_rows=1))
    assert result.case is None
    assert "E_TOO_MANY_ROWS" in result.report.codes()
