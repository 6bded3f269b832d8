"""Checks of the resource column of flows and exchanges: EWC codes and energy carriers."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from flows import resources
from flows._errors import ResourceError
from flows.checks.checker import Checker
from flows.resources import Vocabulary


def resource_values(
    checker: Checker, *, vocabulary: Vocabulary, col: str = "resource"
) -> pd.Series:
    """Normalise and check a resource column; return the normalised values."""
    values = checker.text(col)
    checker.require_values(col, values)
    # A case repeats a few dozen resources over many rows: normalise each distinct value once.
    cache: dict[str, str | ResourceError] = {}
    for value in values.dropna().unique():
        try:
            cache[value] = vocabulary.normalise(value)
        except ResourceError as err:
            cache[value] = err
    normalised = values.map({k: v for k, v in cache.items() if isinstance(v, str)})
    normalised = normalised.astype("string")
    bad = values.notna() & normalised.isna()
    for row, value in zip(checker.rows(bad), values[bad], strict=True):
        ewc_like = resources.looks_like_ewc(value)
        checker.add(
            "error",
            "E_RESOURCE_MALFORMED" if ewc_like else "E_RESOURCE_UNKNOWN",
            str(cache[value]),
            "EWC codes have six digits in pairs with an optional * for hazardous waste "
            "(10 01 05, 16 01 04*)"
            if ewc_like
            else "use an EWC code or a carrier of datasets/reference/carriers.csv "
            "(heat, steam, electricity, process-water, co2, ...)",
            row=row,
            field=col,
        )
    checker.keep &= ~bad
    _warn_unlisted_ewc(checker, normalised, col, vocabulary.ewc)
    return normalised


def _warn_unlisted_ewc(
    checker: Checker, normalised: pd.Series, col: str, listed: Mapping[str, object]
) -> None:
    """One warning per well-formed EWC code that the bundled list does not have."""
    for code in normalised.dropna().unique():
        if not resources.is_ewc(code) or code in listed:
            continue
        rows = checker.rows(normalised == code)
        where = ", ".join(str(r) for r in rows.iloc[:5]) + (", ..." if len(rows) > 5 else "")
        checker.add(
            "warning",
            "W_EWC_NOT_IN_LIST",
            f"EWC code {code} (rows {where}) is well formed but not in the European List of "
            "Waste (Decision 2000/532/EC as amended by 2014/955/EU); it is accepted as given",
            "check the code and its '*' against the List of Waste; matching will only pair it "
            "with the same code",
            row=int(rows.iloc[0]),
            field=col,
        )


def with_family(frame: pd.DataFrame, *, vocabulary: Vocabulary) -> pd.DataFrame:
    """Add the ``family`` column: the family of each row's resource."""
    family_of = {r: vocabulary.family_of(r) for r in frame["resource"].dropna().unique()}
    frame["family"] = frame["resource"].map(family_of).astype("string")
    return frame
