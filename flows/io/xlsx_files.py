"""Reading and writing Excel workbooks: one sheet per table, codes kept as text."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pandas as pd

from flows._errors import CaseReadError
from flows.checks.checker import ROW, RawTable
from flows.io.flat_tables import flat_parks, flat_sites
from flows.io.raw_tables import drop_blank_rows
from flows.model import Case
from flows.schema import TABLES
from flows.validation import ValidationReport


def read_xlsx(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    """Read the case's sheets of an Excel workbook (sheet names in any case)."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation and styles it does not keep; harmless here.
            warnings.simplefilter("ignore", UserWarning)
            sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as err:
        msg = f"{label}: not a readable Excel workbook ({str(err).splitlines()[0][:160]})"
        raise CaseReadError(msg) from err
    by_name = {name.strip().lower(): (name, frame) for name, frame in sheets.items()}
    raw: dict[str, RawTable] = {}
    for table in TABLES:
        if table not in by_name:
            continue
        sheet, frame = by_name[table]
        frame = frame.loc[:, [not str(c).startswith("Unnamed:") for c in frame.columns]]
        frame = frame.astype(object).where(frame.notna(), None)
        frame[ROW] = range(2, len(frame) + 2)
        raw[table] = RawTable(table, label, sheet, drop_blank_rows(frame))
    if "sites" not in raw:
        report.add(
            file=label,
            layer=None,
            severity="error",
            code="E_MISSING_TABLE",
            message=f"the workbook has no 'sites' sheet (sheets: {', '.join(sheets)})",
            hint="name the sheet with one row per site 'sites' (see the template)",
        )
    return raw


def write_xlsx(case: Case, path: Path) -> None:
    """Write every table as a sheet of an Excel workbook."""
    tables = {
        "sites": flat_sites(case),
        "parks": flat_parks(case),
        "flows": case.table("flows"),
        "exchanges": case.table("exchanges"),
        "sources": case.table("sources"),
        "metadata": case.table("metadata"),
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            out = frame.copy()
            for col in out.columns:
                if isinstance(out[col].dtype, pd.StringDtype) or out[col].dtype == object:
                    out[col] = out[col].astype(object).where(out[col].notna(), None)
            out.to_excel(writer, sheet_name=name, index=False)
            _keep_text(writer.book[name])
            _text_format(writer.book[name], list(out.columns))


def _keep_text(sheet: object) -> None:
    """Store text that starts with '=' as text: openpyxl would write it as a formula, which
    loses the value on reading back and lets a site name inject formulas into the workbook."""
    for row in sheet.iter_rows(min_row=2):  # type: ignore[attr-defined]
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _text_format(sheet: object, columns: list[str]) -> None:
    """Mark code columns as text so Excel keeps '19.20' and '10 01 05' as typed."""
    for idx, col in enumerate(columns, start=1):
        if col in {"nace", "resource", "site_id", "from_site", "to_site", "park_id"}:
            for cell in next(iter(sheet.iter_cols(min_col=idx, max_col=idx))):  # type: ignore[attr-defined]
                cell.number_format = "@"
