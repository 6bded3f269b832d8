"""Hostile and messy Excel workbooks: a finding or a clear refusal, never a traceback or a loss."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from datasets.settings import InputLimits
from flows import io as case_io
from flows._errors import CaseReadError, CaseWriteError
from flows.io import xlsx_files
from flows.io.xlsx_files import read_xlsx, write_xlsx
from flows.model import Case
from flows.validation import ValidationReport

SMALL = InputLimits(max_uncompressed_bytes=1024 * 1024, max_rows=5, max_columns=18)


@pytest.fixture(scope="module")
def mini_xlsx(tmp_path_factory: pytest.TempPathFactory, mini_case: Case) -> bytes:
    """The mini case as a workbook written by SymbioMap."""
    path = tmp_path_factory.mktemp("xlsx") / "mini.xlsx"
    case_io.write_case(mini_case, path)
    return path.read_bytes()


def _edited(mini: bytes, tmp_path: Path, edit: Callable[[Workbook], None]) -> Path:
    book = openpyxl.load_workbook(io.BytesIO(mini))
    edit(book)
    path = tmp_path / "case.xlsx"
    book.save(path)
    return path


def _rewrite(source: Path, part: str, edit: Callable[[str], str]) -> Path:
    """Pass the XML of one part of a workbook through ``edit``."""
    data = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                body = edit(body.decode("utf-8")).encode("utf-8")
            dst.writestr(info, body)
    target = source.with_name("rewritten.xlsx")
    target.write_bytes(data.getvalue())
    return target


def _column(sheet: Any, name: str) -> int:
    return [c.value for c in sheet[1]].index(name) + 1


def _set(sheet: str, row: int, column: str, value: object) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        ws = book[sheet]
        ws.cell(row=row, column=_column(ws, column), value=value)

    return edit


def _errors(path: Path) -> list[tuple[str, str | None, int | None, str | None]]:
    result = case_io.load_case(path)
    return [(f.code, f.layer, f.row, f.field) for f in result.report.errors]


# -- the container: checked before openpyxl sees it ---------------------------------------------


LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]>\n"
)
EXTERNAL = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _declaration(prolog: str, use: str = "") -> Callable[[str], str]:
    def edit(text: str) -> str:
        body = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
        return prolog + (body.replace("Board Factory", use, 1) if use else body)

    return edit


@pytest.mark.parametrize(
    ("part", "prolog", "use"),
    [
        ("xl/worksheets/sheet1.xml", LAUGHS, "&lol9;"),
        ("xl/workbook.xml", EXTERNAL, ""),
        ("xl/worksheets/sheet3.xml", EXTERNAL, ""),
        ("[Content_Types].xml", LAUGHS, ""),
    ],
)
def test_xml_entity_declarations_are_refused(
    mini_xlsx: bytes, tmp_path: Path, part: str, prolog: str, use: str
) -> None:
    path = _rewrite(
        _edited(mini_xlsx, tmp_path, lambda book: None), part, _declaration(prolog, use)
    )
    with pytest.raises(CaseReadError, match="contains XML entity declarations") as err:
        case_io.load_case(path)
    assert str(err.value).startswith("rewritten.xlsx: ")
    assert "re-save it from Excel" in str(err.value)


def test_entity_declarations_after_a_long_prolog_are_still_refused(
    mini_xlsx: bytes, tmp_path: Path
) -> None:
    # Past the prolog SymbioMap searches, expat's own amplification limit stops the bomb.
    padding = "<!-- " + "x" * 70_000 + " -->\n"
    prolog = LAUGHS.replace("<!DOCTYPE", padding + "<!DOCTYPE", 1)
    path = _rewrite(
        _edited(mini_xlsx, tmp_path, lambda book: None),
        "xl/worksheets/sheet1.xml",
        _declaration(prolog, "&lol9;"),
    )
    with pytest.raises(CaseReadError, match="contains XML entity declarations"):
        case_io.load_case(path)


def test_a_utf16_part_with_a_doctype_is_refused(mini_xlsx: bytes, tmp_path: Path) -> None:
    source = _edited(mini_xlsx, tmp_path, lambda book: None)
    target = tmp_path / "utf16.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/workbook.xml":
                text = _declaration(EXTERNAL.replace('"1.0"', '"1.0" encoding="UTF-16"'))(
                    body.decode("utf-8")
                )
                body = text.encode("utf-16")
            dst.writestr(info, body)
    with pytest.raises(CaseReadError, match="contains XML entity declarations"):
        case_io.load_case(target)


def test_malformed_xml_is_unreadable_not_a_traceback(mini_xlsx: bytes, tmp_path: Path) -> None:
    source = _edited(mini_xlsx, tmp_path, lambda book: None)
    path = _rewrite(source, "xl/worksheets/sheet2.xml", lambda text: text[: len(text) // 2])
    with pytest.raises(CaseReadError, match=r"rewritten\.xlsx: not a readable Excel workbook"):
        case_io.load_case(path)


def test_legacy_xls_renamed_xlsx_is_named(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    with pytest.raises(CaseReadError, match=r"legacy Excel 97-2003 workbook \(\.xls\)") as err:
        case_io.load_case(path)
    assert "save it as 'Excel Workbook (.xlsx)'" in str(err.value)


def test_encrypted_workbook_is_named(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    body = "EncryptionInfo".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + body + bytes(400))
    with pytest.raises(CaseReadError, match="password-protected"):
        case_io.load_case(path)


def test_parts_beyond_the_size_limit_are_refused_before_openpyxl(
    mini_xlsx: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zip bomb in miniature: 2 MB of spaces compress to a few kB.
    source = _edited(mini_xlsx, tmp_path, lambda book: None)
    path = _rewrite(
        source,
        "xl/worksheets/sheet2.xml",
        lambda text: text.replace("<sheetData>", " " * 2**21 + "<sheetData>", 1),
    )
    assert path.stat().st_size < 50_000

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl was given a workbook beyond the limit")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(CaseReadError) as err:
        read_xlsx(path, "bomb.xlsx", ValidationReport(), limits=SMALL)
    text = str(err.value)
    assert "bomb.xlsx: the workbook's parts unpack to 2.0 MB" in text
    assert "limit of 1.0 MB" in text
    assert "SYMBIOMAP_MAX_UNCOMPRESSED_MB" in text


def test_the_default_limit_comes_from_settings(mini_xlsx: bytes, tmp_path: Path) -> None:
    path = _edited(mini_xlsx, tmp_path, lambda book: None)
    report = ValidationReport()
    assert set(read_xlsx(path, "case.xlsx", report)) >= {"sites", "flows"}


def _refusal(path: Path, limits: InputLimits) -> tuple[ValidationReport, dict[str, Any]]:
    report = ValidationReport()
    raw = read_xlsx(path, "case.xlsx", report, limits=limits)
    return report, raw


def test_too_many_rows_are_refused(mini_xlsx: bytes, tmp_path: Path) -> None:
    path = _edited(mini_xlsx, tmp_path, lambda book: None)  # flows has 7 rows
    report, raw = _refusal(path, SMALL)
    assert "flows" not in raw
    assert "sites" in raw
    (finding,) = report.errors
    assert (finding.code, finding.layer, finding.row) == ("E_TOO_MANY_ROWS", "flows", 7)
    assert "the sheet has more than 5 rows (row 7 is one too many)" in finding.message
    assert "SYMBIOMAP_MAX_ROWS" in finding.hint


def test_too_many_columns_are_refused(mini_xlsx: bytes, tmp_path: Path) -> None:
    path = _edited(mini_xlsx, tmp_path, lambda b: b["sites"].cell(row=2, column=19, value=1))
    report, raw = _refusal(path, dataclasses.replace(SMALL, max_rows=100))
    assert "sites" not in raw
    (finding,) = report.errors  # no 'no sites sheet' on top
    assert (finding.code, finding.layer, finding.row) == ("E_TOO_MANY_COLUMNS", "sites", 2)
    assert "row 2 has a value in column 19 (S), more than the limit of 18" in finding.message
    assert "SYMBIOMAP_MAX_COLUMNS" in finding.hint
    assert case_io.load_case(path).case is not None  # within the default limits


def test_too_long_cells_are_refused(mini_xlsx: bytes, tmp_path: Path) -> None:
    path = _edited(mini_xlsx, tmp_path, lambda book: None)
    report, _raw = _refusal(path, InputLimits(max_cell_chars=20))
    # The first name beyond 20 characters: "Coastal Power Station" (21).
    finding = report.errors[0]
    assert (finding.code, finding.layer, finding.row, finding.field) == (
        "E_CELL_TOO_LONG",
        "sites",
        2,
        "name",
    )
    assert "cell B2 holds 21 characters, more than the limit of 20" in finding.message
    assert "SYMBIOMAP_MAX_CELL_CHARS" in finding.hint


# -- cells --------------------------------------------------------------------------------------


def test_formula_without_computed_value_is_named(mini_xlsx: bytes, tmp_path: Path) -> None:
    path = _edited(mini_xlsx, tmp_path, _set("flows", 3, "quantity", "=90000*2"))
    result = case_io.load_case(path)
    finding = next(f for f in result.report if f.code == "E_XLSX_FORMULA_NOT_COMPUTED")
    assert (finding.layer, finding.row, finding.field) == ("flows", 3, "quantity")
    assert "row 3, field quantity holds a formula without a computed value" in finding.message
    assert "(=90000*2)" in finding.message
    assert "open and save the file in Excel (or LibreOffice)" in finding.hint
    # The cell reads as empty, but the formula is its one error, where the fix is.
    at_cell = [f.code for f in result.report.errors if (f.row, f.field) == (3, "quantity")]
    assert at_cell == ["E_XLSX_FORMULA_NOT_COMPUTED"]


def test_formula_with_computed_value_is_read_as_its_value(mini_xlsx: bytes, tmp_path: Path) -> None:
    source = _edited(mini_xlsx, tmp_path, _set("sites", 2, "employees", "=100+20"))
    path = _rewrite(
        source,
        "xl/worksheets/sheet1.xml",
        lambda text: text.replace("<f>100+20</f><v />", "<f>100+20</f><v>120</v>"),
    )
    result = case_io.load_case(path)
    assert result.case is not None, result.report.format()
    assert result.case.sites.loc[0, "employees"] == 120


@pytest.mark.parametrize("value", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?"])
def test_excel_error_values_are_named(mini_xlsx: bytes, tmp_path: Path, value: str) -> None:
    path = _edited(mini_xlsx, tmp_path, _set("flows", 4, "temperature_c", value))
    result = case_io.load_case(path)
    finding = next(f for f in result.report if f.code == "E_XLSX_ERROR_VALUE")
    assert (finding.layer, finding.row, finding.field) == ("flows", 4, "temperature_c")
    assert f"row 4, field temperature_c holds the Excel error {value}" in finding.message
    assert finding.hint


def test_merged_cells_are_named_and_their_value_kept(mini_xlsx: bytes, tmp_path: Path) -> None:
    def merge(book: Workbook) -> None:
        ws = book["flows"]
        col = _column(ws, "source")
        for row in range(3, 9):
            ws.cell(row=row, column=col).value = None
        ws.merge_cells(start_row=2, end_row=8, start_column=col, end_column=col)

    path = _edited(mini_xlsx, tmp_path, merge)
    assert _errors(path) == [("E_XLSX_MERGED_CELLS", "flows", 2, "source")]
    finding = case_io.load_case(path).report.errors[0]
    assert "cells K2:K8 are merged" in finding.message
    assert "Unmerge" in finding.hint


def test_merged_header_cells_are_named(mini_xlsx: bytes, tmp_path: Path) -> None:
    def merge(book: Workbook) -> None:
        ws = book["sources"]
        ws.cell(row=1, column=5, value="notes")
        ws.merge_cells("E1:F1")

    path = _edited(mini_xlsx, tmp_path, merge)
    finding = case_io.load_case(path).report.errors[0]
    assert (finding.code, finding.layer, finding.row) == ("E_XLSX_MERGED_CELLS", "sources", 1)
    assert "cells E1:F1 are merged (in the header row)" in finding.message


def test_hidden_case_sheet_is_read_with_a_warning(mini_xlsx: bytes, tmp_path: Path) -> None:
    def hide(book: Workbook) -> None:
        book["exchanges"].sheet_state = "hidden"

    result = case_io.load_case(_edited(mini_xlsx, tmp_path, hide))
    assert result.case is not None
    assert len(result.case.exchanges) == 4
    finding = next(f for f in result.report if f.code == "W_XLSX_HIDDEN_SHEET")
    assert finding.severity == "warning"
    assert finding.layer == "exchanges"
    assert "sheet 'exchanges' is hidden in Excel; SymbioMap read it" in finding.message


def test_hidden_other_sheet_is_noted_as_not_read(mini_xlsx: bytes, tmp_path: Path) -> None:
    def hide(book: Workbook) -> None:
        sheet = book.create_sheet("old prices")
        sheet["A1"] = "price"
        sheet.sheet_state = "veryHidden"

    result = case_io.load_case(_edited(mini_xlsx, tmp_path, hide))
    assert result.case is not None
    finding = next(f for f in result.report if f.code == "I_XLSX_HIDDEN_SHEET")
    assert finding.severity == "info"
    assert "hidden sheet 'old prices' is not a case table and was not read" in finding.message


def test_title_rows_above_the_header_keep_sheet_row_numbers(
    mini_xlsx: bytes, tmp_path: Path
) -> None:
    def titles(book: Workbook) -> None:
        ws = book["sites"]
        ws.cell(row=4, column=_column(ws, "nace"), value="99.99")  # data row 3 of the mini case
        ws.insert_rows(1, amount=2)
        ws["A1"] = "Sites of the mini case"

    path = _edited(mini_xlsx, tmp_path, titles)
    assert _errors(path) == [
        ("E_XLSX_HEADER_ROW", "sites", 3, None),
        ("E_NACE_UNKNOWN", "sites", 6, "nace"),
    ]
    finding = case_io.load_case(path).report.errors[0]
    assert "the column names are in row 3, not in row 1" in finding.message
    assert "'Sites of the mini case'" in finding.message
    assert "delete rows 1 to 2" in finding.hint


def test_a_sheet_without_the_column_names_still_reports_missing_columns(
    mini_xlsx: bytes, tmp_path: Path
) -> None:
    def rename(book: Workbook) -> None:
        book["sites"].cell(row=1, column=1, value="ident")

    assert ("E_MISSING_COLUMN", "sites", None, "site_id") in _errors(
        _edited(mini_xlsx, tmp_path, rename)
    )


def test_values_under_a_column_without_name_are_not_lost_unseen(
    mini_xlsx: bytes, tmp_path: Path
) -> None:
    def note(book: Workbook) -> None:
        # the flows sheet fills A to P (supply_kind and counterfactual last)
        book["flows"]["R4"] = "ask Jens"
        book["flows"]["R6"] = "check"
        book["flows"].merge_cells("S2:T3")  # beside the table: not the case's business

    result = case_io.load_case(_edited(mini_xlsx, tmp_path, note))
    assert result.case is not None, result.report.format()
    finding = next(f for f in result.report if f.code == "W_XLSX_UNNAMED_COLUMN")
    assert (finding.severity, finding.layer, finding.row) == ("warning", "flows", 4)
    assert "column R holds values (first in row 4: 'ask Jens') but has no name" in finding.message


def test_a_member_that_cannot_be_unpacked_is_unreadable(mini_xlsx: bytes, tmp_path: Path) -> None:
    path = _edited(mini_xlsx, tmp_path, lambda book: None)
    data = bytearray(path.read_bytes())
    # Flag every member as encrypted (general-purpose bit 0), as a broken tool might.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            data[at + offset] |= 1
            start = at + 4
    path.write_bytes(bytes(data))
    with pytest.raises(CaseReadError, match="not a readable Excel workbook"):
        case_io.load_case(path)


# -- writing ------------------------------------------------------------------------------------


def _with_name(case: Case, name: str, *, row: int = 0) -> Case:
    sites = case.sites.copy()
    sites.loc[row, "name"] = name
    return dataclasses.replace(case, sites=sites)


def test_control_characters_are_removed_and_noted(
    mini_case: Case, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case = _with_name(mini_case, "Coastal\x00 Power\x07 Station\x1f\tA\nB")
    notes = write_xlsx(case, tmp_path / "direct.xlsx")
    assert notes == [
        ("sheet sites, row 2, column name: removed 3 control character(s) Excel cannot store")
    ]
    with caplog.at_level(logging.WARNING, logger="flows.io.xlsx_files"):
        path = case_io.write_case(case, tmp_path / "out.xlsx")
    assert "row 2, column name: removed 3 control character(s)" in caplog.text
    cell = openpyxl.load_workbook(path)["sites"]["B2"]
    assert cell.value == "Coastal Power Station\tA\nB"


def test_control_characters_in_a_column_name_are_removed(mini_case: Case, tmp_path: Path) -> None:
    sites = mini_case.sites.rename(columns={"employees": "staff\x0b"})
    notes = write_xlsx(dataclasses.replace(mini_case, sites=sites), tmp_path / "h.xlsx")
    assert notes == [
        ("sheet sites, header of column 'staff': removed 1 control character(s) Excel cannot store")
    ]
    assert "staff" in [c.value for c in openpyxl.load_workbook(tmp_path / "h.xlsx")["sites"][1]]


def test_text_longer_than_an_excel_cell_is_refused(mini_case: Case, tmp_path: Path) -> None:
    case = _with_name(mini_case, "x" * 40_000, row=2)
    target = tmp_path / "long.xlsx"
    with pytest.raises(CaseWriteError) as err:
        case_io.write_case(case, target)
    assert (
        "cannot write the Excel workbook: sheet sites, row 4, column name holds 40,000 "
        "characters, more than the 32,767 an Excel cell can hold" in str(err.value)
    )
    assert not target.exists()


def test_text_of_exactly_excel_cell_size_is_written_whole(mini_case: Case, tmp_path: Path) -> None:
    name = "y" * xlsx_files.EXCEL_MAX_CELL_CHARS
    back = case_io.read_case(case_io.write_case(_with_name(mini_case, name), tmp_path / "s.xlsx"))
    assert back.sites.loc[0, "name"] == name


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("x")', "=", "-"])
def test_formula_like_text_is_stored_as_text(mini_case: Case, tmp_path: Path, text: str) -> None:
    sites = mini_case.sites.rename(columns={"employees": f"{text} staff"})
    case = _with_name(dataclasses.replace(mini_case, sites=sites), f"{text} plant")
    case = _with_name(case, text, row=1)
    path = case_io.write_case(case, tmp_path / "f.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert not any(b"<f>" in archive.read(n) for n in archive.namelist() if "sheet" in n)
    back = case_io.read_case(path)
    assert list(back.sites["name"][:2]) == [f"{text} plant", text]
    header = {c.value: c.data_type for c in openpyxl.load_workbook(path)["sites"][1]}
    assert header[f"{text} staff"] == "s"


# -- fuzz ---------------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_CELL = st.one_of(
    st.none(),
    _TEXT,
    st.sampled_from(["power", "35.11", "55.6", "=1/0", "=A1", "=", "#N/A", "#DIV/0!", " "]),
    _TEXT.map(lambda s: "=" + s),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.times(),
    st.dates(),
)
_HEADER = st.sampled_from(["site_id", "name", "nace", "lat", "lon", "kind", "park_id", "x", ""])


def _raw_cell(cell: Any, value: object) -> None:
    """Put a value into a cell the way a careless generator would: control characters
    included, which openpyxl itself refuses to store."""
    if isinstance(value, str) and xlsx_files._ILLEGAL_XML.search(value):
        cell._value = value
        cell.data_type = "s"
    else:
        cell.value = value


@given(
    header=st.lists(_HEADER, min_size=0, max_size=6),
    rows=st.lists(st.lists(_CELL, max_size=7), max_size=5),
    hidden=st.booleans(),
    merge=st.booleans(),
)
def test_fuzz_workbooks_give_a_finding_or_a_case(
    tmp_path_factory: pytest.TempPathFactory,
    header: list[str],
    rows: list[list[object]],
    hidden: bool,
    merge: bool,
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "sites"
    for col, name in enumerate(["site_id", "name", "nace", *header], start=1):
        sheet.cell(row=1, column=col, value=name or None)
    raw = False
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            raw |= isinstance(value, str) and bool(xlsx_files._ILLEGAL_XML.search(value))
            _raw_cell(sheet.cell(row=r, column=c), value)
    if merge and rows:
        sheet.merge_cells(start_row=2, start_column=1, end_row=1 + len(rows), end_column=2)
    if hidden:
        book.create_sheet("flows").sheet_state = "hidden"
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.xlsx"
    try:
        book.save(path)
    except ValueError:  # openpyxl's writer refuses some raw values itself
        return
    try:
        result = case_io.load_case(path)
    except CaseReadError as err:
        # Only raw control characters make a workbook unreadable XML.
        message = str(err)
        assert raw, message
        assert "not a readable Excel workbook" in message
        return
    assert (result.case is None) == result.report.has_errors
    for finding in result.report:
        assert finding.message


@given(names=st.lists(st.text(max_size=40), min_size=4, max_size=4))
def test_fuzz_writing_any_site_names_round_trips_or_refuses(
    tmp_path_factory: pytest.TempPathFactory, mini_case: Case, names: list[str]
) -> None:
    sites = mini_case.sites.copy()
    sites["name"] = names
    path = tmp_path_factory.mktemp("fuzzw") / "w.xlsx"
    notes = write_xlsx(dataclasses.replace(mini_case, sites=sites), path)
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        column = [row[1] for row in book["sites"].iter_rows(min_row=2, values_only=True)]
    finally:
        book.close()
    # XML keeps every character but the removed ones, except that it reads a lone CR as LF.
    expected = [
        xlsx_files._ILLEGAL_XML.sub("", n).replace("\r\n", "\n").replace("\r", "\n") or None
        for n in names
    ]
    assert column == expected
    assert len(notes) == sum(bool(xlsx_files._ILLEGAL_XML.search(n)) for n in names)
