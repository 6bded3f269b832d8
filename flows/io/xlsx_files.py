"""Reading and writing Excel workbooks: one sheet per table, codes kept as text.

Reading is defensive, because a workbook is a zip of XML parts that anyone can hand-craft: the
container is checked before openpyxl sees it (a legacy ``.xls`` or an encrypted file renamed
``.xlsx``, parts that unpack beyond the size limit, XML entity declarations), and the cells are
read with openpyxl's own streaming sheet parser so that formulas without a stored value, Excel
error values, merged cells, hidden sheets and a header below row 1 are each reported where they
are instead of being read as empty cells.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from datasets import settings
from datasets.errors import SymbioMapError
from datasets.settings import InputLimits
from flows._errors import CaseReadError, CaseWriteError
from flows.checks.checker import ROW, RawTable
from flows.io.flat_tables import flat_parks, flat_sites
from flows.io.raw_tables import drop_blank_rows
from flows.model import Case
from flows.schema import SCHEMA, TABLES
from flows.validation import ValidationReport

_log = logging.getLogger(__name__)

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""Compound File Binary: Excel 97-2003 ``.xls``, and also the wrapper of encrypted ``.xlsx``."""
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_PROLOG_BYTES = 64 * 1024
"""How much of each XML part is searched for a DOCTYPE: one may only precede the root element,
and a longer prolog is still parsed by expat, whose amplification limit stops entity bombs."""
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)")
_HEADER_SEARCH_ROWS = 20
"""How far down a sheet the column names are looked for when row 1 does not hold them."""
EXCEL_MAX_CELL_CHARS = 32_767
"""Excel refuses longer text in a cell (and openpyxl would write a file Excel calls damaged)."""
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold: openpyxl raises IllegalCharacterError on the control
characters, and lone surrogates cannot be encoded at all."""
_CODE_COLUMNS = {"nace", "resource", "site_id", "from_site", "to_site", "park_id"}


# -- reading ----------------------------------------------------------------------------------


def read_xlsx(
    path: Path,
    label: str,
    report: ValidationReport,
    *,
    limits: InputLimits | None = None,
) -> dict[str, RawTable]:
    """Read the case's sheets of an Excel workbook (sheet names in any case).

    Parameters
    ----------
    path
        The workbook.
    label
        The file's name in messages.
    report
        Receives every finding.
    limits
        Bounds on the workbook (default ``settings.get().limits``).

    Raises
    ------
    CaseReadError
        If the file is not a workbook SymbioMap can read safely, or exceeds a limit.
    """
    limits = limits or settings.get().limits
    try:
        _check_container(path, label, limits)
        return _read_book(path, label, report, limits)
    except CaseReadError:
        raise
    except Exception as err:  # hostile XML can make openpyxl raise anything
        raise CaseReadError(_unreadable(label, err)) from err


def _unreadable(label: str, err: BaseException) -> str:
    text = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
    if "amplification" in text.lower():  # expat stopped an entity bomb past the prolog
        return _entities(label)
    return f"{label}: not a readable Excel workbook ({text})"


def _entities(label: str) -> str:
    return (
        f"{label}: the workbook contains XML entity declarations, which SymbioMap refuses "
        "(they can expand to gigabytes or read other files); re-save it from Excel"
    )


def _check_container(path: Path, label: str, limits: InputLimits) -> None:
    """Refuse what openpyxl must never be given: not a zip, too big unpacked, or with a DTD."""
    with path.open("rb") as fh:
        head = fh.read(_PROLOG_BYTES)
    if head.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_MARK in head:
            msg = (
                f"{label}: the workbook is password-protected (encrypted); remove the password "
                "in Excel (File > Info > Protect Workbook > Encrypt with Password) and save again"
            )
        else:
            msg = (
                f"{label}: this is a legacy Excel 97-2003 workbook (.xls) named .xlsx; open it "
                "in Excel or LibreOffice and save it as 'Excel Workbook (.xlsx)'"
            )
        raise CaseReadError(msg)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        msg = f"{label}: not a readable Excel workbook ({str(err).splitlines()[0][:160]})"
        raise CaseReadError(msg) from err
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        # zipfile stops every member at its declared size (and fails its CRC beyond), so the
        # declared sizes bound what openpyxl can unpack.
        total = sum(m.file_size for m in members)
        if total > limits.max_uncompressed_bytes:
            msg = (
                f"{label}: the workbook's parts unpack to {total / 2**20:,.1f} MB, more than the "
                f"limit of {limits.max_uncompressed_bytes / 2**20:,.1f} MB; "
                f"{settings.limit_hint('max_uncompressed_bytes')}"
            )
            raise CaseReadError(msg)
        # Every member, not only *.xml: the relationships may name any part as a sheet.
        for member in members:
            try:
                with archive.open(member) as part:
                    prolog = part.read(_PROLOG_BYTES)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as err:
                msg = f"{label}: not a readable Excel workbook ({str(err).splitlines()[0][:160]})"
                raise CaseReadError(msg) from err
            if prolog.startswith((b"\xff\xfe", b"\xfe\xff")):
                prolog = prolog.decode("utf-16", errors="replace").encode("utf-8")
            if _DTD.search(prolog):
                raise CaseReadError(_entities(label))


class _Uncomputed:
    """A formula cell that holds no computed value (written by a script, never opened)."""

    def __init__(self, formula: str) -> None:
        self.formula = formula


class _ExcelErrorValue:
    """A cell holding one of Excel's error values (``#DIV/0!``, ``#N/A`` ...)."""

    def __init__(self, value: str) -> None:
        self.value = value


@dataclass
class _Sheet:
    """The cells of one sheet: ``rows[sheet row][column index] = value`` (1-based)."""

    rows: dict[int, dict[int, Any]] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)


@functools.cache
def _parser_class() -> type:
    """openpyxl's streaming sheet parser, told to keep what its data-only mode drops.

    openpyxl has no public way to read a cell's stored value and learn that it is a formula in
    one pass; its parser (also what read-only workbooks use) does both if asked per cell.
    """
    from openpyxl.worksheet._reader import (  # noqa: PLC0415 - openpyxl loads only for Excel
        FORMULA_TAG,
        WorkSheetParser,
    )

    class _CellParser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["data_type"] == "e":
                cell["value"] = _ExcelErrorValue(str(cell["value"]))
            elif cell["value"] is None:
                formula = element.find(FORMULA_TAG)
                if formula is not None:
                    cell["value"] = _Uncomputed("=" + (formula.text or ""))
            return cell

    return _CellParser


def _read_book(
    path: Path, label: str, report: ValidationReport, limits: InputLimits
) -> dict[str, RawTable]:
    from openpyxl import load_workbook  # noqa: PLC0415

    with warnings.catch_warnings():
        # openpyxl warns about data validation and styles it does not keep; harmless here.
        warnings.simplefilter("ignore", UserWarning)
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        try:
            names = [ws.title for ws in book.worksheets]
            by_name = {
                name.strip().lower(): ws for name, ws in zip(names, book.worksheets, strict=True)
            }
            raw: dict[str, RawTable] = {}
            refused_sheets: set[str] = set()
            for ws in book.worksheets:
                key = ws.title.strip().lower()
                hidden = ws.sheet_state != "visible"
                if key not in TABLES or by_name[key] is not ws:
                    if hidden:
                        _hidden_note(report, label, ws.title, read=False)
                    continue
                if hidden:
                    _hidden_note(report, label, ws.title, read=True)
                try:
                    sheet = _parse_sheet(book, ws, key, limits)
                except _RefusedError as refused:
                    refused_sheets.add(key)
                    report.add(
                        file=label,
                        layer=key,
                        severity="error",
                        code=refused.code,
                        message=refused.message,
                        hint=settings.limit_hint(refused.limit),
                        row=refused.row,
                        field=refused.field,
                    )
                    continue
                raw[key] = _table(sheet, key, ws.title, label, report)
        finally:
            book.close()
    if "sites" not in raw and "sites" not in refused_sheets:
        report.add(
            file=label,
            layer=None,
            severity="error",
            code="E_MISSING_TABLE",
            message=f"the workbook has no 'sites' sheet (sheets: {', '.join(names)})",
            hint="name the sheet with one row per site 'sites' (see the template)",
        )
    return raw


def _hidden_note(report: ValidationReport, label: str, title: str, *, read: bool) -> None:
    if read:
        report.add(
            file=label,
            layer=title,
            severity="warning",
            code="W_XLSX_HIDDEN_SHEET",
            message=f"sheet {title!r} is hidden in Excel; SymbioMap read it like the others",
            hint="unhide it (right-click a sheet tab > Unhide) and check that it is current, "
            "or delete it",
        )
    else:
        report.add(
            file=label,
            layer=title,
            severity="info",
            code="I_XLSX_HIDDEN_SHEET",
            message=f"hidden sheet {title!r} is not a case table and was not read",
        )


class _RefusedError(SymbioMapError, RuntimeError):
    """A sheet beyond a limit: reported as one error on the sheet, which is then not read."""

    def __init__(self, code: str, message: str, limit: str, *, row: int, field: str | None) -> None:
        super().__init__(message)
        self.code, self.message, self.limit, self.row, self.field = code, message, limit, row, field


def _parse_sheet(book: Any, ws: Any, table: str, limits: InputLimits) -> _Sheet:
    """Every non-empty cell of a sheet, refusing the sheet as soon as it exceeds a limit."""
    parser_class = _parser_class()
    sheet = _Sheet()
    # The read-only sheet's own source and shared strings: openpyxl reads the part lazily.
    with ws._get_source() as src:
        parser = parser_class(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for _idx, cells in parser.parse():
            values = {c["column"]: c["value"] for c in cells if c["value"] is not None}
            if not values:
                continue
            row = cells[0]["row"]
            _check_row(values, row, sheet, table, limits)
            sheet.rows[row] = values
            if len(sheet.rows) > limits.max_rows + 1:  # the header row is not counted
                msg = (
                    f"the sheet has more than {limits.max_rows:,} rows (row {row} is one too "
                    "many); it was not read"
                )
                raise _RefusedError("E_TOO_MANY_ROWS", msg, "max_rows", row=row, field=None)
    if parser.merged_cells is not None:
        sheet.merged = [str(m.ref) for m in parser.merged_cells.mergeCell]
    return sheet


def _check_row(
    values: dict[int, Any], row: int, sheet: _Sheet, table: str, lim: InputLimits
) -> None:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    last = max(values)
    if last > lim.max_columns:
        msg = (
            f"row {row} has a value in column {last:,} ({get_column_letter(last)}), more than "
            f"the limit of {lim.max_columns:,} columns per table; the sheet was not read"
        )
        raise _RefusedError("E_TOO_MANY_COLUMNS", msg, "max_columns", row=row, field=None)
    for col, value in values.items():
        if isinstance(value, str) and len(value) > lim.max_cell_chars:
            name = sheet.rows.get(1, {}).get(col)
            field = _canonical(table, name) if isinstance(name, str) and name.strip() else None
            msg = (
                f"cell {get_column_letter(col)}{row} holds {len(value):,} characters, more "
                f"than the limit of {lim.max_cell_chars:,} characters per cell; the sheet was "
                "not read"
            )
            raise _RefusedError("E_CELL_TOO_LONG", msg, "max_cell_chars", row=row, field=field)


def _canonical(table: str, name: str) -> str:
    """A column name as the checks will call it (same rule as Checker.normalise_columns)."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return SCHEMA[table].aliases.get(key, key)


def _header_names(table: str, values: dict[int, Any]) -> set[str]:
    return {_canonical(table, v) for v in values.values() if isinstance(v, str) and v.strip()}


def _header_row(sheet: _Sheet, table: str) -> int:
    """Row 1, unless row 1 lacks a required column that a row further down has with all the
    others (title rows above the header)."""
    required = set(SCHEMA[table].required)
    first = sheet.rows.get(1, {})
    if required <= _header_names(table, first):
        return 1
    for row in sorted(sheet.rows)[:_HEADER_SEARCH_ROWS]:
        if row > 1 and required <= _header_names(table, sheet.rows[row]):
            return row
    return 1


def _table(
    sheet: _Sheet,
    table: str,
    title: str,
    label: str,
    report: ValidationReport,
) -> RawTable:
    header_at = _header_row(sheet, table)

    def add(code: str, message: str, hint: str, *, row: int | None, column: str | None) -> None:
        report.add(
            file=label,
            layer=title,
            severity="error",
            code=code,
            message=message,
            hint=hint,
            row=row,
            field=column,
        )

    if header_at > 1:
        above = [
            str(v).strip()
            for r in sorted(sheet.rows)
            if r < header_at
            for v in sheet.rows[r].values()
            if str(v).strip()
        ]
        add(
            "E_XLSX_HEADER_ROW",
            f"the column names are in row {header_at}, not in row 1"
            + (f" (above them: {'; '.join(above)[:120]!r})" if above else ""),
            f"delete rows 1 to {header_at - 1} so that the column names are in row 1; "
            "put titles and notes on another sheet",
            row=header_at,
            column=None,
        )
    header = sheet.rows.get(header_at, {})
    columns: dict[int, str] = {}
    seen: dict[str, int] = {}
    for col in sorted(header):
        value = header[col]
        if isinstance(value, _ExcelErrorValue):
            value = value.value
        elif isinstance(value, _Uncomputed):
            value = None
        name = str(value).strip() if value is not None else ""
        if not name:
            continue
        # Same-named columns get pandas' suffixes, so that no value is dropped unseen.
        count = seen.get(name, 0)
        seen[name] = count + 1
        columns[col] = name if count == 0 else f"{name}.{count}"
    _fill_merged(sheet, table, header_at, columns, add)
    _unnamed_columns(sheet, header_at, columns, title=title, label=label, report=report)
    records: list[dict[str, Any]] = []
    # Cells reported here read as empty; the checks are told, so that no E_MISSING_VALUE follows.
    reported: set[tuple[int, str]] = set()
    for row in sorted(r for r in sheet.rows if r > header_at):
        values = sheet.rows[row]
        record: dict[str, Any] = {}
        for col, name in columns.items():
            value = values.get(col)
            if isinstance(value, _Uncomputed):
                add(
                    "E_XLSX_FORMULA_NOT_COMPUTED",
                    f"row {row}, field {name} holds a formula without a computed value "
                    f"({value.formula[:80]})",
                    "open and save the file in Excel (or LibreOffice) so the values are stored",
                    row=row,
                    column=_canonical(table, name),
                )
                reported.add((row, _canonical(table, name)))
                value = None
            elif isinstance(value, _ExcelErrorValue):
                add(
                    "E_XLSX_ERROR_VALUE",
                    f"row {row}, field {name} holds the Excel error {value.value}",
                    "correct the formula (or type the value) so the cell shows a number or text",
                    row=row,
                    column=_canonical(table, name),
                )
                reported.add((row, _canonical(table, name)))
                value = None
            record[name] = value
        record[ROW] = row
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[*columns.values(), ROW])
    frame = frame.astype(object).where(frame.notna(), None)
    frame[ROW] = frame[ROW].astype("int64")
    return RawTable(table, label, title, drop_blank_rows(frame), reported=frozenset(reported))


def _unnamed_columns(
    sheet: _Sheet,
    header_at: int,
    columns: dict[int, str],
    *,
    title: str,
    label: str,
    report: ValidationReport,
) -> None:
    """Warn about values under a column without a name: they are not read, so say so."""
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    first: dict[int, int] = {}
    for row in sorted(r for r in sheet.rows if r > header_at):
        for col, value in sheet.rows[row].items():
            if col not in columns and col not in first and str(value).strip():
                first[col] = row
    for col, row in sorted(first.items()):
        value = sheet.rows[row][col]
        shown = value.value if isinstance(value, _ExcelErrorValue) else value
        shown = shown.formula if isinstance(shown, _Uncomputed) else shown
        report.add(
            file=label,
            layer=title,
            severity="warning",
            code="W_XLSX_UNNAMED_COLUMN",
            message=f"column {get_column_letter(col)} holds values (first in row {row}: "
            f"{str(shown)[:40]!r}) but has no name in row {header_at}, so it was not read",
            hint="give the column a name in the header row, or delete the values if they are notes",
            row=row,
        )


def _fill_merged(
    sheet: _Sheet, table: str, header_at: int, columns: dict[int, str], add: Any
) -> None:
    """Report each merged range that touches the table, and copy its value into every cell of
    it, so that the one error is not followed by an 'empty value' per covered cell."""
    from openpyxl.utils.cell import range_boundaries  # noqa: PLC0415

    for ref in sheet.merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if max_row < header_at:
            continue  # a merged title above the header is reported with the header
        touched = [columns[c] for c in range(min_col, max_col + 1) if c in columns]
        if not touched:
            continue  # beside the table (notes), not read
        where = "the header row" if min_row <= header_at else f"row {min_row}"
        add(
            "E_XLSX_MERGED_CELLS",
            f"cells {ref} are merged (in {where}), so only the first of them holds a value "
            "and the others would read as empty",
            "unmerge them (Home > Merge & Center > Unmerge Cells) and type the value into "
            "every cell",
            row=max(min_row, header_at),
            column=_canonical(table, touched[0]) if touched else None,
        )
        value = sheet.rows.get(min_row, {}).get(min_col)
        if value is None:
            continue
        for row in range(max(min_row, header_at + 1), max_row + 1):
            cells = sheet.rows.setdefault(row, {})
            for col in range(min_col, max_col + 1):
                cells.setdefault(col, value)


# -- writing ----------------------------------------------------------------------------------


def write_xlsx(case: Case, path: Path) -> list[str]:
    """Write every table as a sheet of an Excel workbook.

    Text that XML cannot hold (control characters other than tab and line breaks) is removed;
    every removal is logged and returned so a caller can tell the user.

    Returns
    -------
    list[str]
        One note per cell whose text was changed (empty when nothing was).

    Raises
    ------
    CaseWriteError
        If a text is longer than an Excel cell can hold (32,767 characters): it is never cut.
    """
    prepared, notes = prepared_sheets(case)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, out in prepared.items():
            out.to_excel(writer, sheet_name=name, index=False)
            _keep_text(writer.book[name])
            _text_format(writer.book[name], list(out.columns))
    for note in notes:
        _log.warning("%s", note)
    return notes


def prepared_sheets(case: Case) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The sheets of a case workbook as they are written, and the changes that made them
    fit (control characters Excel cannot store removed), one note each.

    Raises
    ------
    CaseWriteError
        If a text is longer than an Excel cell can hold.
    """
    tables = {
        "sites": flat_sites(case),
        "parks": flat_parks(case),
        "flows": case.table("flows"),
        "exchanges": case.table("exchanges"),
        "sources": case.table("sources"),
        "metadata": case.table("metadata"),
    }
    notes: list[str] = []
    prepared = {name: _excel_safe(name, frame, notes) for name, frame in tables.items()}
    return prepared, notes


def _excel_safe(sheet: str, frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The frame with text Excel can hold: illegal characters removed (noted), too long text
    refused, missing values as empty cells."""
    out = frame.copy()
    renamed = {}
    for col in out.columns:
        if isinstance(col, str) and _ILLEGAL_XML.search(col):
            renamed[col] = _ILLEGAL_XML.sub("", col)
            notes.append(
                f"sheet {sheet}, header of column {renamed[col]!r}: removed "
                f"{len(col) - len(renamed[col])} control character(s) Excel cannot store"
            )
    for col in out.columns:
        if not (isinstance(out[col].dtype, pd.StringDtype) or out[col].dtype == object):
            continue
        values = out[col].astype(object).where(out[col].notna(), None)
        cleaned = []
        for pos, value in enumerate(values):
            where = f"sheet {sheet}, row {pos + 2}, column {col}"
            cleaned.append(_clean_text(value, where, notes) if isinstance(value, str) else value)
        out[col] = pd.Series(cleaned, index=out.index, dtype=object)
    return out.rename(columns=renamed) if renamed else out


def _clean_text(value: str, where: str, notes: list[str]) -> str:
    text = _ILLEGAL_XML.sub("", value)
    if len(text) != len(value):
        notes.append(
            f"{where}: removed {len(value) - len(text)} control character(s) Excel cannot store"
        )
    if len(text) > EXCEL_MAX_CELL_CHARS:
        msg = (
            f"cannot write the Excel workbook: {where} holds "
            f"{len(text):,} characters, more than the {EXCEL_MAX_CELL_CHARS:,} an Excel cell "
            "can hold; shorten the text, or save the case as a GeoPackage (.gpkg) or a zip of "
            "CSV files, which have no such limit"
        )
        raise CaseWriteError(msg)
    return text


def _keep_text(sheet: Any) -> None:
    """Store text that starts with '=' as text: openpyxl would write it as a formula, which
    loses the value on reading back and lets a site name inject formulas into the workbook.
    Text starting with '+', '-' or '@' is already stored as text by openpyxl. The header row is
    included: extra columns are named by the user."""
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _text_format(sheet: Any, columns: list[str]) -> None:
    """Mark code columns as text so Excel keeps '19.20' and '10 01 05' as typed."""
    for idx, col in enumerate(columns, start=1):
        if col in _CODE_COLUMNS:
            for cell in next(iter(sheet.iter_cols(min_col=idx, max_col=idx))):
                cell.number_format = "@"
