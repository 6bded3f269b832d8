"""How the Data page shows a validation report: column order and types (no widgets here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from flows.validation import ValidationReport

__all__ = ["REPORT_COLUMNS", "report_table"]

REPORT_COLUMNS = ("severity", "message", "hint", "file", "layer", "row", "field", "code")
"""The report table's columns: what a reader needs first comes first, so the hint is on
screen without scrolling sideways."""


def report_table(report: ValidationReport) -> pd.DataFrame:
    """The findings of ``report`` as the table the Data page shows.

    Columns in :data:`REPORT_COLUMNS` order (any other column after them); ``row`` is a
    nullable integer, so rows show as numbers and a table-level finding shows a blank, never
    "None" or "3.0".
    """
    frame = report.to_frame()
    first = [c for c in REPORT_COLUMNS if c in frame.columns]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    if "row" in frame.columns:
        frame = frame.assign(row=pd.to_numeric(frame["row"], errors="coerce").astype("Int64"))
    return frame
