"""Checks of the flows table: what each site offers or needs, how much, at what temperature."""

from __future__ import annotations

import pandas as pd

from datasets.settings import InputLimits
from flows.checks.checker import Checker, RawTable, extras_frame, finish
from flows.checks.period import check_period
from flows.checks.quantities import check_quantities
from flows.checks.references import site_references
from flows.checks.resource_column import resource_values, with_family
from flows.resources import Vocabulary
from flows.validation import ValidationReport

_DIRECTION_SYNONYMS = {
    "offer": "supply",
    "output": "supply",
    "source": "supply",
    "have": "supply",
    "need": "demand",
    "want": "demand",
    "input": "demand",
    "sink": "demand",
}
_MIN_TEMPERATURE_C = -273.15
_MAX_TEMPERATURE_C = 2000.0


def check_flows(
    raw: RawTable,
    report: ValidationReport,
    site_ids: set[str] | None,
    *,
    vocabulary: Vocabulary,
    limits: InputLimits | None = None,
) -> pd.DataFrame | None:
    """Check the flows table against the known site ids (None: ids unknown, not checked).

    ``limits`` bounds what is parsed, e.g. the length of a unit (default
    ``settings.get().limits``).
    """
    checker = Checker(raw, report)
    if not checker.normalise_columns():
        return None
    site = checker.text("site_id")
    checker.require_values("site_id", site)
    if site_ids is not None:
        site_references(checker, "site_id", site, site_ids)
    direction = checker.choice("direction", synonyms=_DIRECTION_SYNONYMS)
    res = resource_values(checker, vocabulary=vocabulary)
    qty, unit, canonical, canonical_unit = check_quantities(
        checker, res, vocabulary=vocabulary, required=True, limits=limits
    )
    temperature = checker.numbers(
        "temperature_c", code="E_TEMPERATURE_NOT_NUMBER", what="temperature"
    )
    _check_temperatures(checker, res, temperature, vocabulary)
    low, high = _quantity_range(checker, qty)
    status, start_year, end_year = check_period(checker)
    supply_kind = _supply_choice(checker, "supply_kind", direction)
    counterfactual = _supply_choice(checker, "counterfactual", direction)
    out = pd.DataFrame(
        {
            "site_id": site,
            "direction": direction.astype("string"),
            "resource": res,
            "quantity": qty,
            "unit": unit,
            "quantity_low": low,
            "quantity_high": high,
            "temperature_c": temperature,
            "availability": checker.text("availability"),
            "confidential": checker.booleans("confidential"),
            "source": checker.text("source"),
            "status": status,
            "start_year": start_year,
            "end_year": end_year,
            "supply_kind": supply_kind,
            "counterfactual": counterfactual,
        }
    )
    out = pd.concat([out, extras_frame(checker)], axis=1)
    out["quantity_canonical"] = canonical
    out["unit_canonical"] = canonical_unit
    return finish(checker, with_family(out, vocabulary=vocabulary))


def _shown(value: float) -> str:
    return "(none)" if pd.isna(value) else f"{value:g}"


def _quantity_range(checker: Checker, qty: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The optional plausible range of a quantity, in its unit: 0 <= low <= quantity <= high.

    A range that does not hold its own quantity is an error: the uncertainty bands would draw
    around a figure the range says is impossible.
    """
    low = checker.numbers("quantity_low", code="E_QUANTITY_NOT_NUMBER", what="quantity_low")
    high = checker.numbers("quantity_high", code="E_QUANTITY_NOT_NUMBER", what="quantity_high")
    outside = (
        ((low.notna() & ((low < 0) | (low > qty))) | (high.notna() & (high < qty)))
        .fillna(False)
        .astype(bool)
    )
    for row, a, q, b in zip(checker.rows(outside), low[outside], qty[outside], high[outside],
                            strict=True):  # fmt: skip
        checker.add(
            "error",
            "E_QUANTITY_RANGE",
            f"the range {_shown(a)} to {_shown(b)} does not hold the quantity {q:g}",
            "give quantity_low <= quantity <= quantity_high, in the quantity's unit (leave "
            "either empty for the default +/-20 %)",
            row=row,
            field="quantity_low" if (pd.notna(a) and (a < 0 or a > q)) else "quantity_high",
        )
    checker.keep &= ~outside
    return low, high


def _supply_choice(checker: Checker, col: str, direction: pd.Series) -> pd.Series:
    """``supply_kind`` or ``counterfactual``: one of the schema's choices, on supplies only.

    An unknown value is an error, not a warning kept as given: it decides what the exchange
    is credited with. On a demand row the value means nothing and is dropped with a warning.
    """
    spec = checker.spec.column(col)
    values = checker.text(col).str.lower().str.strip().str.replace(r"[\s_]+", "-", regex=True)
    bad = values.notna() & ~values.isin(spec.choices)
    for row, value in zip(checker.rows(bad), checker.text(col)[bad], strict=True):
        checker.add(
            "error",
            "E_VALUE_CHOICE",
            f"{col} {value!r} is not one of {', '.join(spec.choices)}",
            f"use one of: {', '.join(spec.choices)}; leave it empty for the default",
            row=row,
            field=col,
        )
    checker.keep &= ~bad
    on_demand = values.notna() & ~bad & (direction == "demand").fillna(False).astype(bool)
    for row in checker.rows(on_demand):
        checker.add(
            "warning",
            "W_SUPPLY_ONLY",
            f"{col} is given on a demand row and is ignored",
            f"{col} says what a supply is or would become; leave it empty on demand rows",
            row=row,
            field=col,
        )
    return values.where(~bad & ~on_demand).astype("string")


def _check_temperatures(
    checker: Checker, res: pd.Series, temperature: pd.Series, vocabulary: Vocabulary
) -> None:
    needs_of = {r: vocabulary.needs_temperature(r) for r in res.dropna().unique()}
    needs = res.map(needs_of).fillna(False).astype(bool)
    missing = needs & temperature.isna() & checker.text("temperature_c").isna()
    for row, resource in zip(checker.rows(missing), res[missing], strict=True):
        checker.add(
            "error",
            "E_TEMPERATURE_MISSING",
            f"{resource} needs a temperature",
            "give temperature_c in °C (supply: the temperature delivered; demand: the "
            "temperature required)",
            row=row,
            field="temperature_c",
        )
    checker.keep &= ~missing
    odd = temperature.notna() & ~temperature.between(_MIN_TEMPERATURE_C, _MAX_TEMPERATURE_C)
    for row, value in zip(checker.rows(odd), temperature[odd], strict=True):
        checker.add(
            "error",
            "E_TEMPERATURE_RANGE",
            f"temperature {value:g} °C is not physical here",
            f"give °C between {_MIN_TEMPERATURE_C} and {_MAX_TEMPERATURE_C:g} (not kelvin or °F)",
            row=row,
            field="temperature_c",
        )
    checker.keep &= ~odd
