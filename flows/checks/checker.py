"""The raw table a reader hands over and the generic column checks every table uses.

:class:`RawTable` is what a reader makes of a file; :class:`Checker` parses one raw table's
columns (names, text, numbers, choices, booleans, unique ids) and adds a finding to the shared
report for every problem, marking the rows to drop in ``Checker.keep``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from flows.schema import SCHEMA, Table
from flows.validation import Severity, ValidationReport

ROW = "_row"
"""Column holding the row number users see (line in a CSV, row in a sheet, feature number)."""

_TRUE = {"true", "yes", "y", "1", "t", "x", "ja", "oui", "si", "wahr"}
_FALSE = {"false", "no", "n", "0", "f", "", "nej", "non", "nein", "falsch"}
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_DOTTED_THOUSANDS = re.compile(r"^\s*-?\d{1,3}(\.\d{3})+\s*$")
_NAN_TEXT = re.compile(r"[+-]?nan", re.IGNORECASE)
_SHOWN_CHARS = 40


def _shown(value: object) -> str:
    """A value for a message: repr, cut short (a 400-digit number need not be quoted whole)."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


@dataclass
class RawTable:
    """A table as read from a file, before any check.

    Attributes
    ----------
    name
        Which table of the case it is (``sites``, ``flows``, ...).
    file
        File name as the user knows it.
    layer
        Sheet or layer name, or the table name for one-table files.
    frame
        Raw values with the user's column names, plus the ``_row`` column.
    geometry
        Geometries for spatial layers read from GeoPackage/GeoJSON, aligned with ``frame``.
    crs_declared
        Whether the file declared a CRS (GeoJSON ``crs`` member, GPKG SRS); False means SymbioMap
        has to decide whether lon/lat may be assumed.
    decimal_comma
        Whether ``1,5`` means 1.5 in this file (semicolon-separated CSV from a European Excel).
    reported
        Cells the reader already reported as unreadable, as ``(row, field)`` with the row of
        ``_row`` and the canonical column name (a formula without a stored value, an Excel
        error value); they read as empty, and no check adds an "is empty" error for them.
    """

    name: str
    file: str
    layer: str | None
    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None = None
    crs_declared: bool = True
    decimal_comma: bool = False
    reported: frozenset[tuple[int, str]] = frozenset()


def floats(series: pd.Series) -> pd.Series:
    """Mask of the values that are floats (a number cell in Excel), without a per-cell call
    where the dtype already answers."""
    if pd.api.types.is_float_dtype(series.dtype):
        return pd.Series(True, index=series.index) & series.notna()
    if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) in {
        "string",
        "empty",
    }:
        return pd.Series(False, index=series.index)
    return series.map(lambda v: isinstance(v, float) and not np.isnan(v)).astype(bool)


def _integral_floats(series: pd.Series) -> pd.Series:
    """Mask of the values that are floats holding a whole number (Excel's 1993.0).

    Tested without a per-cell Python call where the dtype already answers: a float column
    vectorised, a column of strings (every CSV) not at all.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        # inf % 1 is nan with a RuntimeWarning; an inf cell is refused later by numbers().
        with np.errstate(invalid="ignore"):
            whole = np.mod(values, 1) == 0
        return pd.Series(np.isfinite(values) & whole, index=series.index)
    if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) in {
        "string",
        "empty",
    }:
        return pd.Series(False, index=series.index)
    return series.map(
        lambda v: isinstance(v, float) and np.isfinite(v) and float(v).is_integer()
    ).astype(bool)


class Checker:
    """Checks one raw table; adds findings to the shared report."""

    def __init__(self, raw: RawTable, report: ValidationReport) -> None:
        self.raw = raw
        self.spec: Table = SCHEMA[raw.name]
        self.report = report
        self.frame = raw.frame.copy()
        self.keep = pd.Series(True, index=self.frame.index)
        # text() is asked for the same column by several checks; columns only change in
        # normalise_columns, which clears this (pandas copy-on-write keeps callers apart).
        self._text: dict[str, pd.Series] = {}

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        hint: str = "",
        *,
        row: Any = None,
        field: str | None = None,
    ) -> None:
        self.report.add(
            file=self.raw.file,
            layer=self.raw.layer,
            row=None if row is None else int(row),
            field=field,
            severity=severity,
            code=code,
            message=message,
            hint=hint,
        )

    def rows(self, mask: pd.Series) -> pd.Series:
        return self.frame.loc[mask, ROW]

    # -- columns -----------------------------------------------------------------------------

    def normalise_columns(self) -> bool:
        """Rename columns to canonical names; return False if a required column is missing."""
        renamed: dict[str, str] = {}
        seen: dict[str, str] = {}
        for original in self.frame.columns:
            if original == ROW:
                continue
            key = re.sub(r"[\s\-]+", "_", str(original).strip().lower())
            key = self.spec.aliases.get(key, key)
            if key in seen:
                self.add(
                    "error",
                    "E_DUPLICATE_COLUMN",
                    f"columns {seen[key]!r} and {original!r} both mean {key!r}",
                    "keep one of them",
                    field=str(original),
                )
                continue
            seen[key] = str(original)
            renamed[str(original)] = key
            if key != str(original) and key in self.spec.names and str(original).lower() != key:
                self.add(
                    "info",
                    "I_COLUMN_RENAMED",
                    f"column {original!r} read as {key!r}",
                    field=str(original),
                )
        self.frame = self.frame.rename(columns=renamed)
        self.frame = self.frame.loc[:, ~self.frame.columns.duplicated()]
        self._text.clear()
        ok = True
        for col in self.spec.required:
            if col not in self.frame.columns:
                ok = False
                self.add(
                    "error",
                    "E_MISSING_COLUMN",
                    f"required column {col!r} is missing"
                    + (f" (found: {', '.join(map(str, seen.values()))})" if seen else ""),
                    f"add a column {col!r}: {self.spec.column(col).help}",
                    field=col,
                )
        return ok

    def text(self, col: str) -> pd.Series:
        """Column as stripped text; missing values become <NA>."""
        if col not in self.frame.columns:
            return pd.Series(pd.NA, index=self.frame.index, dtype="string")
        if col not in self._text:
            self._text[col] = self._as_text(self.frame[col])
        return self._text[col]

    @staticmethod
    def _as_text(series: pd.Series) -> pd.Series:
        out = series.astype("string").str.strip()
        numeric = _integral_floats(series)
        if bool(numeric.any()):
            # Excel hands integers back as floats; "1993.0" should read as "1993".
            floats = series[numeric].astype("float64")
            if bool((floats.abs() < 2**53).all()):
                whole = floats.astype("int64").astype(str)
            else:  # beyond int64's exact range: Python ints, as typed
                whole = floats.map(lambda v: str(int(v)))
            out = out.where(~numeric, whole.astype("string"))
        return out.mask(out == "", pd.NA)

    def require_values(self, col: str, values: pd.Series) -> pd.Series:
        """Error for each blank value of a required column; return the mask of present ones.

        A cell the reader already reported (``RawTable.reported``) gets no second error: one
        finding per cell, where the fix is. Its row is dropped all the same.
        """
        missing = values.isna()
        for row in self.rows(missing):
            if (int(row), col) in self.raw.reported:
                continue
            self.add(
                "error",
                "E_MISSING_VALUE",
                f"{col!r} is empty",
                f"fill in {col}: {self.spec.column(col).help}",
                row=row,
                field=col,
            )
        self.keep &= ~missing
        return ~missing

    def numbers(self, col: str, *, code: str, what: str, hint: str | None = None) -> pd.Series:
        """Parse a numeric column; error for each value that is not a finite number.

        ``hint`` replaces the generic advice (and the guess about thousands separators).
        ``inf``, ``Infinity``, ``nan`` and numbers beyond a float's range (``1e309``) are
        refused like text: no later check or sum can do anything sensible with them. Refused
        values come back missing, with their rows dropped from ``keep``.
        """
        raw = self.text(col)
        parsed = pd.to_numeric(raw, errors="coerce").astype("float64")
        # pandas reads "nan" as a missing value, so it is found by its spelling.
        spelled_nan = raw.fillna("").str.fullmatch(_NAN_TEXT)
        failed = raw.notna() & parsed.isna() & ~spelled_nan
        if self.raw.decimal_comma and col == "quantity":
            # In a semicolon CSV "1.500" is most likely fifteen hundred, not one and a half
            # (coordinates are not checked: "55.662" is a latitude either way).
            ambiguous = raw.fillna("").str.match(_DOTTED_THOUSANDS)
            for row, value in zip(self.rows(ambiguous), raw[ambiguous], strict=True):
                self.add(
                    "error",
                    "E_NUMBER_AMBIGUOUS",
                    f"{what} {value!r} could be {value.replace('.', '')} (a dot as thousands "
                    f"separator) or {value} (a decimal point) in this semicolon-separated file",
                    "write the number without thousands separators and with a decimal comma, "
                    "e.g. 1500 or 1,5",
                    row=row,
                    field=col,
                )
            self.keep &= ~ambiguous
            parsed = parsed.where(~ambiguous)
        if self.raw.decimal_comma and bool(failed.any()):
            comma = failed & raw.fillna("").str.match(_DECIMAL_COMMA)
            parsed = parsed.where(
                ~comma, pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")
            )
            failed &= ~comma
        # Checked after the decimal-comma reading, which can overflow too ("9...9,5").
        infinite = pd.Series(np.isinf(parsed.to_numpy()), index=parsed.index)
        nonfinite = raw.notna() & ~failed & (infinite | spelled_nan)
        for row, value in zip(self.rows(nonfinite), raw[nonfinite], strict=True):
            self.add(
                "error",
                code,
                f"{what} {_shown(value)} is not a finite number",
                (hint or "write a plain number, e.g. 1500.5")
                + " (not inf or nan, and below 1.8e308, beyond which numbers overflow); "
                "leave the cell empty if it is unknown",
                row=row,
                field=col,
            )
        self.keep &= ~nonfinite
        parsed = parsed.where(~nonfinite)
        for row, value in zip(self.rows(failed), raw[failed], strict=True):
            advice = hint or "write a plain number with a decimal point, e.g. 1500.5"
            if hint is None and re.search(r"\d[\s.,]\d{3}\b", str(value)):
                advice = (
                    "remove thousands separators and units: write 200000, not 200 000 or 200,000"
                )
            self.add(
                "error",
                code,
                f"{what} {_shown(value)} is not a number",
                advice,
                row=row,
                field=col,
            )
        self.keep &= ~failed
        return parsed

    def choice(self, col: str, *, synonyms: dict[str, str] | None = None) -> pd.Series:
        """Check a choice column: unknown values are errors if required, else warnings."""
        spec = self.spec.column(col)
        values = self.text(col).str.lower().str.replace(r"[\s_]+", "-", regex=True)
        if synonyms:
            # Look each distinct value up once; a dict map is vectorised, a lambda is not.
            lookup = {v: synonyms.get(v, v) for v in values.dropna().unique()}
            mapped = values.map(lookup).astype("string")
            for row, old, new in zip(
                self.rows(mapped != values),
                values[mapped != values],
                mapped[mapped != values],
                strict=True,
            ):
                self.add(
                    "info", "I_VALUE_MAPPED", f"{col} {old!r} read as {new!r}", row=row, field=col
                )
            values = mapped.astype("string")
        if spec.required:
            self.require_values(col, values)
        bad = values.notna() & ~values.isin(spec.choices)
        severity: Severity = "error" if spec.required else "warning"
        for row, value in zip(self.rows(bad), self.text(col)[bad], strict=True):
            self.add(
                severity,
                "E_VALUE_CHOICE" if spec.required else "W_VALUE_CHOICE",
                f"{col} {value!r} is not one of {', '.join(spec.choices)}",
                f"use one of: {', '.join(spec.choices)}"
                + ("" if spec.required else " (kept as given)"),
                row=row,
                field=col,
            )
        if spec.required:
            self.keep &= ~bad
            return values
        return values.where(~bad, self.text(col))

    def booleans(self, col: str) -> pd.Series:
        values = self.text(col).fillna("").str.lower()
        bad = ~values.isin(_TRUE | _FALSE)
        for row, value in zip(self.rows(bad), self.text(col)[bad], strict=True):
            self.add(
                "error",
                "E_BOOLEAN",
                f"{col} {value!r} is not true or false",
                "write true or false (yes/no and 1/0 also work)",
                row=row,
                field=col,
            )
        self.keep &= ~bad
        return values.isin(_TRUE).astype(bool)

    def unique(self, col: str, values: pd.Series) -> None:
        dup = values.notna() & values.duplicated(keep="first")
        for value in values[dup].unique():
            for row in self.rows(dup & (values == value)):
                first = self.frame.loc[(values == value) & ~dup, ROW].iloc[0]
                self.add(
                    "error",
                    "E_DUPLICATE_ID",
                    f"{col} {value!r} is used again (first at row {first})",
                    f"give every row its own {col}",
                    row=row,
                    field=col,
                )
        self.keep &= ~dup

    def extras(self) -> list[str]:
        return [c for c in self.frame.columns if c not in self.spec.names and c != ROW]


def extras_frame(checker: Checker) -> pd.DataFrame:
    """The user's own columns, kept; text columns become nullable strings, blanks missing."""
    extras = checker.frame[checker.extras()].copy()
    for col in extras.columns:
        values = extras[col]
        if isinstance(values.dtype, pd.StringDtype) or (
            values.dtype == object
            and pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}
        ):
            extras[col] = checker.text(col)
    return extras


def finish(checker: Checker, frame: Any) -> Any:
    """Keep only rows without errors and reset to a clean 0..n index."""
    return frame.loc[checker.keep.to_numpy()].reset_index(drop=True)
