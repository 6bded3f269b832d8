"""Checks of a row's status and period (``status``, ``start_year``, ``end_year``), shared by
sites, flows and exchanges: what exists in which year."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from flows.checks.checker import Checker
from flows.schema import STATUSES

FIRST_YEAR = 1800
"""Earliest year accepted in a period (the first industrial exchanges on record are later)."""
_STATUS_SYNONYMS = {
    "current": "active",
    "existing": "active",
    "operating": "active",
    "operational": "active",
    "in-operation": "active",
    "in-place": "active",
    "ongoing": "active",
    "continuous": "active",
    "ended": "historical",
    "closed": "historical",
    "past": "historical",
    "former": "historical",
    "stopped": "historical",
    "discontinued": "historical",
    "decommissioned": "historical",
    "proposed": "planned",
    "projected": "planned",
    "future": "planned",
    "under-construction": "planned",
}


def _years(checker: Checker, col: str) -> pd.Series:
    """A year column: whole numbers between :data:`FIRST_YEAR` and 50 years from now."""
    if col not in checker.frame.columns:
        return pd.Series(pd.NA, index=checker.frame.index, dtype="Int64")
    values = checker.numbers(col, code="E_YEAR", what="year")
    latest = dt.date.today().year + 50
    bad = values.notna() & (~values.between(FIRST_YEAR, latest) | (values % 1 != 0))
    for row, value in zip(checker.rows(bad), values[bad], strict=True):
        checker.add(
            "error",
            "E_YEAR",
            f"{col} {value:g} is not a plausible year",
            f"write the year as four digits ({FIRST_YEAR}-{latest}), or leave it empty",
            row=row,
            field=col,
        )
    checker.keep &= ~bad
    # A refused year must not reach the integer column: 1e300 cannot become an Int64.
    return values.where(~bad & np.isfinite(values)).round().astype("Int64")


def check_period(
    checker: Checker, *, start_column: str = "start_year"
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Check ``status`` (default ``active``), the start year and ``end_year`` of every row.

    An unknown status is an error (it decides whether a row counts in a year); common words
    (``closed``, ``proposed``...) are read with a note. The end may not precede the start; a
    historical row without an end year, a planned row without a start year, an active row
    that ended before this year and a planned one that started in the past get a warning,
    because the year filter of an analysis then has to guess
    (:func:`flows.periods.exists_in`).

    Parameters
    ----------
    checker
        The table's checker (findings go to its report; rows with errors leave ``keep``).
    start_column
        The start year's column (exchanges call it ``since``).

    Returns
    -------
    tuple of Series
        Status (string), start year and end year (Int64, missing where not given).
    """
    raw_status = checker.text("status")
    if checker.spec.column("status").required:
        checker.require_values("status", raw_status)
    status = (
        raw_status.str.lower()
        .str.strip()
        .str.replace(r"[\s_]+", "-", regex=True)
        .map(lambda v: _STATUS_SYNONYMS.get(v, v) if isinstance(v, str) else v)
        .astype("string")
    )
    mapped = raw_status.notna() & (status != raw_status.str.lower().str.strip()).fillna(False)
    for row, old, new in zip(checker.rows(mapped), raw_status[mapped], status[mapped], strict=True):
        checker.add(
            "info", "I_VALUE_MAPPED", f"status {old!r} read as {new!r}", row=row, field="status"
        )
    bad = status.notna() & ~status.isin(STATUSES)
    for row, value in zip(checker.rows(bad), raw_status[bad], strict=True):
        checker.add(
            "error",
            "E_STATUS",
            f"status {value!r} is not one of {', '.join(STATUSES)}",
            "write active (exists now), historical (ended: give end_year) or planned (give "
            "start_year); leave it empty for active",
            row=row,
            field="status",
        )
    checker.keep &= ~bad
    status = status.fillna("active").astype("string")
    start = _years(checker, start_column)
    end = _years(checker, "end_year")
    reversed_ = (start.notna() & end.notna() & (end < start)).fillna(False).astype(bool)
    for row, s, e in zip(checker.rows(reversed_), start[reversed_], end[reversed_], strict=True):
        checker.add(
            "error",
            "E_PERIOD_REVERSED",
            f"end_year {e} is before {start_column} {s}",
            f"swap the two years, or correct the one that is wrong ({start_column} is the first "
            "year, end_year the last)",
            row=row,
            field="end_year",
        )
    checker.keep &= ~reversed_
    _warn_guesses(checker, status, start, end, start_column=start_column)
    return status, start, end


def _warn_guesses(
    checker: Checker, status: pd.Series, start: pd.Series, end: pd.Series, *, start_column: str
) -> None:
    this_year = dt.date.today().year
    cases = (
        (
            (status == "historical") & end.isna(),
            "W_HISTORICAL_NO_END",
            "a historical row without end_year",
            (
                "give end_year (the last year it existed); until then it counts in no year "
                f"from {this_year} on, and in every earlier year from {start_column}"
            ),
            "end_year",
        ),
        (
            (status == "planned") & start.isna(),
            "W_PLANNED_NO_START",
            f"a planned row without {start_column}",
            (
                f"give {start_column} (the first year it is expected); until then it counts "
                f"only in years after {this_year}"
            ),
            start_column,
        ),
        (
            (status == "active") & (end < this_year).fillna(False),
            "W_ACTIVE_ENDED",
            "status active but end_year is in the past",
            "set status to historical, or correct end_year",
            "status",
        ),
        (
            (status == "planned") & (start <= this_year).fillna(False),
            "W_PLANNED_STARTED",
            f"status planned but {start_column} is this year or earlier",
            (
                f"set status to active if it has started, or move {start_column} to the year "
                "expected"
            ),
            "status",
        ),
    )
    for flagged, code, message, hint, field in cases:
        for row in checker.rows(flagged.fillna(False).astype(bool)):
            checker.add("warning", code, message, hint, row=row, field=field)
