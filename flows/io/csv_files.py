"""Reading CSV tables: encoding, delimiter and decimal comma guessed, parse errors reported."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from flows.checks.checker import ROW, RawTable
from flows.io.raw_tables import drop_blank_rows
from flows.validation import ValidationReport

_CSV_DELIMITERS = ",;\t"


def _decode(data: bytes, label: str, report: ValidationReport) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(
            file=label,
            layer=None,
            severity="warning",
            code="W_ENCODING",
            message="the file is not UTF-8; it was read as Windows-1252",
            hint="save the CSV as 'CSV UTF-8' so that names with accents survive",
        )
        return data.decode("cp1252", errors="replace")


def read_csv(path: Path, table: str, label: str, report: ValidationReport) -> RawTable | None:
    """Read one CSV table as text; None (with an error) when it is empty or unparseable."""
    text = _decode(path.read_bytes(), label, report)
    if not text.strip():
        report.add(
            file=label,
            layer=table,
            severity="error",
            code="E_EMPTY_FILE",
            message="the file is empty",
            hint=f"give {table} a header row and data rows",
        )
        return None
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as err:
        line = re.search(r"line (\d+)", str(err))
        report.add(
            file=label,
            layer=table,
            row=int(line.group(1)) if line else None,
            severity="error",
            code="E_CSV_PARSE",
            message=f"the CSV cannot be parsed: {str(err).splitlines()[-1]}",
            hint="every row needs as many fields as the header; quote fields that "
            "contain the delimiter",
        )
        return None
    frame[ROW] = range(2, len(frame) + 2)
    return RawTable(table, label, table, drop_blank_rows(frame), decimal_comma=delimiter == ";")
