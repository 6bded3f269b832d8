"""Frame conversions every writer shares."""

from __future__ import annotations

import pandas as pd


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
