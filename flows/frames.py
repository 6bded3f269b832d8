"""Frame conversions every writer shares, and numbers as text for whole columns."""

from __future__ import annotations

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
