"""Checks of quantity and unit: numbers, positive amounts, known rates that fit the resource."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datasets import settings
from datasets.settings import InputLimits
from flows import units
from flows._errors import UnitError
from flows.checks.checker import ROW, Checker
from flows.resources import Vocabulary


def check_quantities(
    checker: Checker,
    res: pd.Series,
    *,
    required: bool,
    vocabulary: Vocabulary,
    limits: InputLimits | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse quantity and unit; return quantity, unit, canonical quantity, canonical unit.

    Units are converted once per distinct unit and checked once per distinct (resource, unit)
    pair, so 250,000 flow rows cost no more pint calls than 25.

    Parameters
    ----------
    checker
        The table's checker (flows or exchanges).
    res
        The checked resource of each row.
    required
        Whether a quantity must be given (flows) or may be blank (exchanges).
    vocabulary
        Resources and the dimensions they may be measured in.
    limits
        Input limits (default ``settings.get().limits``); a unit longer than
        ``max_unit_chars`` is refused.
    """
    limits = limits or settings.get().limits
    qty = checker.numbers("quantity", code="E_QUANTITY_NOT_NUMBER", what="quantity")
    qty_text = checker.text("quantity")
    unit = checker.text("unit")
    if required:
        checker.require_values("quantity", qty_text)
    nonpositive = qty.notna() & (qty <= 0)
    for row, value in zip(checker.rows(nonpositive), qty[nonpositive], strict=True):
        checker.add(
            "error",
            "E_QUANTITY_NOT_POSITIVE",
            f"quantity {value:g} is not positive",
            "give the amount exchanged per year as a positive number; leave the row out if "
            "there is none",
            row=row,
            field="quantity",
        )
    checker.keep &= ~nonpositive
    info: dict[str, tuple[float, str] | UnitError] = {}
    for u in unit.dropna().unique():
        try:
            info[str(u)] = units.conversion_factor(str(u), limits=limits)
        except UnitError as err:
            info[str(u)] = err
    known = {u: v for u, v in info.items() if not isinstance(v, UnitError)}
    factor = unit.map({u: v[0] for u, v in known.items()}).astype("float64")
    canon = unit.map({u: v[1] for u, v in known.items()}).astype("string")
    dimension_of = {c: d for d, c in units.CANONICAL_UNITS.items()}
    fits = {
        (r, c): dimension_of[c] in vocabulary.dimensions_of(str(r))
        for r, c in pd.DataFrame({"r": res, "c": canon})
        .dropna()
        .drop_duplicates()
        .itertuples(index=False)
    }
    # Only the few (resource, unit) pairs that do not fit are compared row by row.
    mismatch = pd.Series(False, index=qty.index)
    for (r, c), fit in fits.items():
        if not fit:
            mismatch |= ((res == r) & (canon == c)).fillna(False).astype(bool)
    no_unit = unit.isna() & qty.notna()
    bad_unit = unit.notna() & factor.isna()
    wrong_dim = factor.notna() & mismatch
    no_qty = factor.notna() & ~mismatch & qty.isna() & qty_text.isna()
    for idx in qty.index[no_unit | bad_unit | wrong_dim | no_qty]:
        row, u = checker.frame.at[idx, ROW], unit[idx]
        if no_unit[idx]:
            checker.add(
                "error",
                "E_UNIT_MISSING",
                "quantity has no unit",
                "write the unit, e.g. t/yr, MWh/yr or m3/yr",
                row=row,
                field="unit",
            )
        elif bad_unit[idx]:
            problem = str(info[str(u)])
            code, hint = _unit_problem(problem)
            checker.add("error", code, problem, hint, row=row, field="unit")
        elif wrong_dim[idx]:
            allowed = vocabulary.dimensions_of(str(res[idx]))
            examples = ", ".join(units.CANONICAL_UNITS[d] for d in allowed)
            checker.add(
                "error",
                "E_UNIT_DIMENSION",
                f"unit {u!r} measures {dimension_of[canon[idx]]}, but {res[idx]} is given as "
                f"{' or '.join(allowed)}",
                f"use a unit such as {examples}",
                row=row,
                field="unit",
            )
        else:
            checker.add(
                "warning",
                "W_UNIT_WITHOUT_QUANTITY",
                f"unit {u!r} given without a quantity",
                "fill in the quantity or clear the unit",
                row=row,
                field="unit",
            )
    checker.keep &= ~(no_unit | bad_unit | wrong_dim)
    ok = factor.notna() & ~mismatch & qty.notna()
    canonical, ok = _converted(checker, qty, unit=unit, factor=factor, canon=canon, ok=ok)
    canonical_unit = canon.where(ok, pd.NA).astype("string")
    return qty, unit, canonical, canonical_unit


def _converted(
    checker: Checker,
    qty: pd.Series,
    *,
    unit: pd.Series,
    factor: pd.Series,
    canon: pd.Series,
    ok: pd.Series,
) -> tuple[pd.Series, pd.Series]:
    """Quantities in their canonical unit, refusing those the conversion takes out of range;
    return them and the mask of rows still usable."""
    with np.errstate(over="ignore", under="ignore"):
        canonical = (qty * factor).where(ok, np.nan).astype("float64")
    # A finite quantity in a large unit can overflow (1e305 Mt/yr); a tiny one in a small unit
    # can vanish to 0. Neither can be summed or matched.
    # (Zero and negative quantities have been refused already.)
    out_of_range = ok & (qty > 0) & (np.isinf(canonical) | (canonical == 0))
    for row, value, u, c, got in zip(
        checker.rows(out_of_range),
        qty[out_of_range],
        unit[out_of_range],
        canon[out_of_range],
        canonical[out_of_range],
        strict=True,
    ):
        how = "overflows past 1.8e308" if np.isinf(got) else "underflows to 0"
        checker.add(
            "error",
            "E_QUANTITY_OVERFLOW",
            f"quantity {value:g} {u} cannot be converted to {c}: the result {how}",
            f"check the quantity and its unit; write the amount in {c} directly if it is real",
            row=row,
            field="quantity",
        )
    checker.keep &= ~out_of_range
    ok &= ~out_of_range
    canonical = canonical.where(ok, np.nan)
    return canonical, ok


def _unit_problem(problem: str) -> tuple[str, str]:
    """The finding code and hint for a refused unit, from the refusal's message."""
    if units.TOO_LONG in problem:
        return "E_UNIT_TOO_LONG", settings.limit_hint("max_unit_chars")
    if units.AMBIGUOUS_TON in problem:
        return "E_UNIT_AMBIGUOUS", "write t/yr for metric tonnes per year"
    code = "E_UNIT_NOT_RATE" if "not a rate" in problem else "E_UNIT_UNKNOWN"
    return code, "use t/yr, kt/yr, t/d, MWh/yr, GWh/yr, GJ/yr, m3/yr or m3/h"
