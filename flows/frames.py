"""Frame conversions every writer shares, and numbers as text for whole columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose nullable pandas dtypes are plain ones that every writer understands.

    Strings become objects with ``None`` for missing values, ``Int64`` becomes ``float64``
    (GDAL and openpyxl have no nullable integer), categories become strings.
    """
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("string")
            dtype = out[col].dtype
        if isinstance(dtype, pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif str(dtype) == "Int64":
            out[col] = out[col].astype("float64")
    return out


_SMALL_STRINGS = 2**31 - 1
"""Arrow's plain ``string`` addresses this many bytes per column at most."""


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table of the plain types every writer understands, without copying
    its text into Python strings.

    The same conversions as :func:`plain_dtypes`: categories become their labels as strings
    (taken from the categories, not spelt row by row), ``Int64`` becomes ``float64``; a text
    column with no value at all is typed as strings (GDAL has no column of type null).
    """
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in frame.columns:
        column = frame[name]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            labels = pa.array(column.cat.categories.astype("string"), pa.string())
            codes = column.cat.codes.to_numpy(dtype="int64")
            values: pa.Array | pa.ChunkedArray = labels.take(
                pa.array(codes, mask=codes < 0)  # missing codes stay missing
            )
        elif str(dtype) == "Int64":
            values = pa.array(column.astype("float64").to_numpy())
        else:
            values = pa.Array.from_pandas(column)
        if pa.types.is_null(values.type):
            values = values.cast(pa.string())
        elif pa.types.is_large_string(values.type) and values.nbytes < _SMALL_STRINGS:
            values = values.cast(pa.string())  # pandas' own text is large_string
        columns[str(name)] = values
    return pa.table(columns)


_SIGNS = pa.array(["", "-", "+"])
_GROUPS = {
    "": pa.array([str(i) for i in range(1000)]),
    ",": pa.array([f",{i:03d}" for i in range(1000)] + [""]),
    "_": pa.array([f"{i:03d}" for i in range(1000)] + [""]),
}
"""Three-digit groups as text: leading (unpadded), after a comma, and run on (no separator)."""


def _fraction(values: np.ndarray, decimals: int) -> pa.Array:
    if decimals <= 3:
        table = pa.array([f"{i:0{decimals}d}" for i in range(10**decimals)])
        return table.take(pa.array(values))
    return pc.utf8_lpad(pa.array(values).cast(pa.string()), decimals, "0")


def fixed(
    values: np.ndarray, *, decimals: int, thousands: bool = False, plus: bool = False
) -> pa.Array:
    """Numbers as Python's ``format(v, "+,.{decimals}f")`` writes them, as Arrow strings.

    Computed on whole arrays: rounding to ``decimals`` with :func:`numpy.rint` is exact for
    ``decimals=0`` and for every value whose scaled form is not within a few ulps of a tie;
    those few values, non-finite ones and huge ones are formatted by Python itself, so every
    string is the one ``format`` returns.

    Parameters
    ----------
    values
        Floats.
    decimals
        Digits after the point (0 or more).
    thousands
        Group the integer part by thousands with commas (the ``,`` option).
    plus
        Write a ``+`` before non-negative numbers (the ``+`` option).
    """
    x = np.asarray(values, dtype="float64")
    scale = 10.0**decimals
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * scale
        rounded = np.rint(scaled)
        slow = ~np.isfinite(scaled) | (np.abs(scaled) >= 2.0**50)
        if decimals:
            # the product may be off by half an ulp: near a tie, let Python decide
            distance_to_tie = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5)
            slow |= distance_to_tie <= 8 * np.spacing(np.abs(scaled))
    digits = np.where(slow, 0.0, np.abs(rounded)).astype("int64")
    whole = digits // int(scale)
    # Integer part in groups of three digits, each looked up in a table of 1,000 strings:
    # Arrow's integer-to-text cast and a regex for the commas cost ten times more.
    groups = 1 + np.floor(np.log10(np.maximum(whole, 1)) / 3).astype("int64")
    top = whole // (1000 ** (groups - 1))
    parts: list[pa.Array | str] = [
        _SIGNS.take(pa.array(np.where(np.signbit(x), 1, 2 if plus else 0))),
        _GROUPS[""].take(pa.array(top)),
    ]
    separated = _GROUPS["," if thousands else "_"]
    for k in range(int(groups.max(initial=1)) - 2, -1, -1):
        group = (whole // 1000**k) % 1000
        parts.append(separated.take(pa.array(np.where(k < groups - 1, group, 1000))))
    if decimals:
        parts += [".", _fraction(digits % int(scale), decimals)]
    text = pc.binary_join_element_wise(*parts, "")
    if slow.any():
        spec = f"{'+' if plus else ''}{',' if thousands else ''}.{decimals}f"
        exact = [format(v, spec) for v in x[slow].tolist()]
        text = pc.replace_with_mask(text, pa.array(slow), pa.array(exact, pa.string()))
    return text


# -- text that is safe in a file -------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab, line feed and carriage return (C0, DEL and C1): they
cut names at NUL in GDAL's C strings and garble spreadsheets; a tab or a line break inside a
cell is quoted by every CSV writer and kept."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""First characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV
Injection": ``=``, ``+``, ``-``, ``@``, tab, carriage return; and line feed, to be safe)."""

_ESCAPE = re.compile("'*[=+\\-@\t\r\n]")
"""Text that :func:`safe_text_for_csv` prefixes with ``'``: a formula start after any
number of quotes (zero included)."""

_ESCAPED = re.compile("'+[=+\\-@\t\r\n]")
"""Text whose first ``'`` :func:`unescape_csv_text` removes."""


_CONTROLS, _FORMULAS, _RETURNS = "controls", "formulas", "returns"
"""What :func:`_clean_values` counts: control characters removed, cells prefixed with ``'``,
carriage returns written as line feeds."""


def _is_text(values: pd.Series) -> np.ndarray:
    """Per value, whether it is a ``str`` (text columns may hold numbers or missing values)."""
    if isinstance(values.dtype, pd.StringDtype):
        flags: np.ndarray = values.notna().to_numpy(dtype=bool)
        return flags
    return np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))


def _clean_values(values: pd.Series, *, csv: bool) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """``values`` (text, maybe mixed with other objects) without control characters and, if
    ``csv``, with a ``'`` before a formula start and line feeds for carriage returns; per
    value, the count of each change (all zero: ``values`` itself is returned)."""
    counts = {key: np.zeros(len(values), dtype="int64") for key in (_CONTROLS, _FORMULAS, _RETURNS)}
    is_text = _is_text(values)
    if not is_text.any():
        return values, counts
    strings = values[is_text].astype(str)
    controls = strings.str.count(_CONTROL.pattern).to_numpy(dtype="int64")
    if controls.any():
        strings = strings.where(controls == 0, strings.str.replace(_CONTROL, "", regex=True))
    counts[_CONTROLS][is_text] = controls
    if csv:
        # Python's CSV writer quotes a cell holding a line feed but not one holding a lone
        # carriage return, which then splits the row in two when the file is read.
        returns = strings.str.count("\r").to_numpy(dtype="int64")
        if returns.any():
            strings = strings.where(
                returns == 0, strings.str.replace("\r\n", "\n").str.replace("\r", "\n")
            )
        counts[_RETURNS][is_text] = returns
        # A text that already starts with quotes before a formula start gets one more, so
        # that unescape_csv_text gives back exactly the text written.
        risky = strings.str.match(_ESCAPE).to_numpy(dtype=bool)
        if risky.any():
            strings = strings.where(~risky, "'" + strings)
        counts[_FORMULAS][is_text] = risky
    if not any(c.any() for c in counts.values()):
        return values, counts
    out = values.astype(object)
    out[is_text] = strings.to_numpy(dtype=object)
    return out, counts


def _clean_column(column: pd.Series, *, csv: bool) -> tuple[pd.Series | None, dict[str, int]]:
    """The cleaned column (``None`` if unchanged) and the count of each change in it."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Cleaned once per label, counted per row; two labels may become one once cleaned,
        # so the column is spelt out and made categorical again.
        labels = pd.Series(list(column.cat.categories), dtype=object)
        cleaned, per_label = _clean_values(labels, csv=csv)
        if cleaned is labels:
            return None, {}
        codes = column.cat.codes.to_numpy(dtype="int64")
        rows = np.bincount(codes[codes >= 0], minlength=len(labels))
        spelt = np.asarray(cleaned, dtype=object).take(np.where(codes < 0, 0, codes))
        new = pd.Series(spelt, index=column.index, dtype=object).where(codes >= 0, None)
        return new.astype("category"), {k: int(rows @ v) for k, v in per_label.items()}
    new, per_value = _clean_values(column, csv=csv)
    if new is column:
        return None, {}
    if isinstance(column.dtype, pd.StringDtype):
        new = new.astype(column.dtype)
    return new, {k: int(v.sum()) for k, v in per_value.items()}


def _where(per_column: dict[str, int]) -> str:
    return ", ".join(f"{n:,} in {c}" for c, n in per_column.items() if n)


def _clean_frame(frame: pd.DataFrame, *, csv: bool) -> tuple[pd.DataFrame, list[str]]:
    out = frame
    changes: dict[str, dict[str, int]] = {_CONTROLS: {}, _FORMULAS: {}, _RETURNS: {}}
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        if not (
            column.dtype == object or isinstance(column.dtype, pd.StringDtype | pd.CategoricalDtype)
        ):
            continue
        new, counts = _clean_column(column, csv=csv)
        if new is None:
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, new)
        for key, n in counts.items():
            changes[key][str(name)] = n
    names = pd.Series([str(c) for c in frame.columns], dtype=object)
    cleaned_names, name_counts = _clean_values(names, csv=csv)
    notes = []
    if cleaned_names is not names:
        if out is frame:
            out = frame.copy(deep=False)
        out.columns = pd.Index(list(cleaned_names), dtype=object)
        changed = int(np.count_nonzero(np.add.reduce(list(name_counts.values()))))
        notes.append(f"{changed} column names were cleaned the same way as the cells")
    if total := sum(changes[_CONTROLS].values()):
        notes.append(
            f"removed {total:,} control characters from the text ({_where(changes[_CONTROLS])})"
        )
    if total := sum(changes[_FORMULAS].values()):
        notes.append(
            f"{total:,} text cells starting with =, +, -, @, a tab or a line break were "
            "prefixed with ' so that spreadsheets show them as text instead of running them "
            f"as formulas ({_where(changes[_FORMULAS])})"
        )
    if total := sum(changes[_RETURNS].values()):
        notes.append(
            f"{total:,} line breaks written as a carriage return alone (or with a line feed) "
            f"were written as a line feed, which keeps the row whole ({_where(changes[_RETURNS])})"
        )
    return out, notes


def strip_control_characters(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` with control characters removed from its text cells and column names.

    Removes C0 controls other than tab, line feed and carriage return, DEL and C1 controls:
    a NUL would end a name early in a GeoPackage (GDAL's strings stop at it), and the others
    garble spreadsheets and terminals. Numbers and geometries are untouched.

    Returns
    -------
    tuple of DataFrame and list of str
        The frame (``frame`` itself when nothing changed) and notes for the user, each with
        the number of characters removed per column; empty when nothing changed.
    """
    return _clean_frame(frame, csv=False)


def safe_text_for_csv(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` ready for a CSV file that a spreadsheet may open: no control characters, no
    row split by a carriage return, and no cell a spreadsheet would run as a formula.

    In this order:

    1. Control characters are removed as in :func:`strip_control_characters`.
    2. A carriage return inside a cell (alone or before a line feed) becomes a line feed:
       CSV writers quote a cell holding a line feed, but not one holding a lone carriage
       return, which would split its row in two.
    3. As OWASP recommends against CSV injection, every text cell (and column name)
       starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break gets a single quote
       ``'`` in front: spreadsheets show ``'=1+1`` as the text ``=1+1`` instead of computing
       it. A text that already starts with quotes before such a character gets one more, so
       :func:`unescape_csv_text` gives back exactly the text of step 2.

    Only text is changed: a negative number in a numeric column stays a number.

    Returns
    -------
    tuple of DataFrame and list of str
        The frame (``frame`` itself when nothing changed) and notes for the user saying how
        many cells were changed per column; empty when nothing changed.
    """
    return _clean_frame(frame, csv=True)


def unescape_csv_text(values: pd.Series) -> pd.Series:
    """Undo the quote :func:`safe_text_for_csv` puts before a formula start, for readers of
    SymbioMap's own CSV files: ``'=1+1`` becomes ``=1+1``, ``''=1`` becomes ``'=1``.

    Any other value is returned as it is (``values`` itself when nothing changed).
    """
    is_text = _is_text(values)
    if not is_text.any():
        return values
    strings = values[is_text].astype(str)
    quoted = strings.str.match(_ESCAPED).to_numpy(dtype=bool)
    if not quoted.any():
        return values
    out = values.astype(object)
    out[is_text] = strings.where(~quoted, strings.str.slice(1)).to_numpy(dtype=object)
    if isinstance(values.dtype, pd.StringDtype):
        out = out.astype(values.dtype)
    return out


def arrow_text(column: pd.Series) -> pa.Array:
    """A column as Arrow strings, ``str()`` of each value (missing values spelt ``nan``, as
    ``str()`` spells them); a categorical column is spelt once per label."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = column.cat.categories.astype("object").astype(str).to_numpy(dtype=object)
        codes = column.cat.codes.to_numpy(dtype="int64")
        names = pa.array([*labels, "nan"], pa.string())
        return names.take(pa.array(np.where(codes < 0, len(labels), codes)))
    return pa.array(column.astype("object").astype(str).to_numpy(dtype=object), pa.string())
