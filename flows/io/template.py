"""The blank Excel template and the table of every column's meaning it documents."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from flows.atomic import atomic_file
from flows.schema import SCHEMA


def table_spec_rows() -> pd.DataFrame:
    """Every column of every table with its help (for the template and the docs)."""
    rows = [
        {
            "table": table.name,
            "column": col.name,
            "required": "yes" if col.required else "no",
            "meaning": col.help,
            "allowed values": ", ".join(col.choices),
            "example": col.example,
        }
        for table in SCHEMA.values()
        for col in table.columns
    ]
    return pd.DataFrame(rows)


def write_template(target: str | os.PathLike[str]) -> Path:
    """Write the blank Excel template: one sheet per table with commented headers, drop-down
    lists for fixed choices, and a ``help`` sheet describing every column."""
    from openpyxl import Workbook  # noqa: PLC0415 - only the template needs openpyxl directly
    from openpyxl.comments import Comment  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    book = Workbook()
    help_sheet = book.active
    help_sheet.title = "help"
    spec = table_spec_rows()
    help_sheet.append(["SymbioMap case template: fill one sheet per table; see the columns below."])
    help_sheet.append(list(spec.columns))
    for record in spec.itertuples(index=False):
        help_sheet.append(list(record))
    for table in SCHEMA.values():
        if table.name == "parks":
            columns = [*table.names, "wkt"]
        elif table.name == "sites":
            columns = list(table.names)
        else:
            columns = list(table.names)
        sheet = book.create_sheet(table.name)
        sheet.append(columns)
        for idx, name in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=idx)
            col = table.column(name) if name in table.names else None
            text = col.help if col else "Polygon outline as WKT in WGS84 lon/lat."
            if col and col.required:
                text = "Required. " + text
            if col and col.example:
                text += f" Example: {col.example}"
            cell.comment = Comment(text, "SymbioMap")
            letter = cell.column_letter
            if col and col.kind in {"text", "nace", "resource", "unit"}:
                for row in range(2, 1001):
                    sheet.cell(row=row, column=idx).number_format = "@"
            if col and col.choices:
                rule = DataValidation(
                    type="list", formula1=f'"{",".join(col.choices)}"', allow_blank=not col.required
                )
                rule.error = f"Use one of: {', '.join(col.choices)}"
                sheet.add_data_validation(rule)
                rule.add(f"{letter}2:{letter}1000")
    target_path = Path(target)
    with atomic_file(target_path) as tmp:
        book.save(tmp)
    return target_path


def template_xlsx_bytes() -> bytes:
    """The blank Excel template as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_template(Path(tmp) / "template.xlsx").read_bytes()
