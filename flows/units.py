"""Quantities with units: parsing with pint and conversion to the canonical annual units."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint

from flows._errors import UnitError

CANONICAL_UNITS: dict[str, str] = {"mass": "t/yr", "energy": "MWh/yr", "volume": "m3/yr"}
"""Every flow is converted to one of these annual rates (a year is a Julian year, 365.25 d)."""

_DIMENSIONALITY = {
    "mass": "[mass] / [time]",
    "energy": "[mass] * [length] ** 2 / [time] ** 3",
    "volume": "[length] ** 3 / [time]",
}
_STATIC_DIMENSIONALITY = {
    "mass": "[mass]",
    "energy": "[mass] * [length] ** 2 / [time] ** 2",
    "volume": "[length] ** 3",
}
# "m3", "Nm3" and "km2" are how people write powers in spreadsheets; pint wants "m**3".
_POWER_SUFFIX = re.compile(r"(?<=[A-Za-z])([23])\b")
_NORMAL_CUBIC_METRE = re.compile(r"\bNm3\b")


def _preprocess(text: str) -> str:
    return _POWER_SUFFIX.sub(r"**\1", _NORMAL_CUBIC_METRE.sub("normal_cubic_meter", text))


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry[Any]:
    """The project's unit registry (built once; pint registries are costly to create)."""
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(
        preprocessors=[_preprocess],
        autoconvert_offset_to_baseunit=True,
        on_redefinition="ignore",
    )
    # A normal cubic metre is counted as a cubic metre of gas; the reference state is the user's.
    ureg.define("normal_cubic_meter = meter ** 3")
    # In pint "kt" is a knot; in a waste register it is a kilotonne.
    ureg.define("kilotonne = 1000 * tonne = kt")
    ureg.define("tpa = tonne / year")
    return ureg


def _parse(unit: str) -> Any:
    text = unit.strip()
    if not text:
        msg = "no unit given"
        raise UnitError(msg)
    try:
        return registry().Unit(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError) as err:
        msg = f"unknown unit {unit!r}: write e.g. t/yr, kt/yr, t/d, MWh/yr, GWh/yr, GJ/yr, m3/yr"
        raise UnitError(msg) from err
    except (AttributeError, TypeError, AssertionError) as err:
        # pint's parser raises these for some malformed strings such as "t//yr".
        msg = f"cannot read unit {unit!r}: write e.g. t/yr or MWh/yr"
        raise UnitError(msg) from err


def dimension_of(unit: str) -> str:
    """Return ``"mass"``, ``"energy"`` or ``"volume"`` for an annual-rate unit.

    Raises
    ------
    UnitError
        If the unit is unknown, is not a rate (``t`` rather than ``t/yr``), or measures
        something else.
    """
    parsed = _parse(unit)
    ureg = registry()
    for dimension, dims in _DIMENSIONALITY.items():
        if parsed.dimensionality == ureg.get_dimensionality(dims):
            return dimension
    for dimension, dims in _STATIC_DIMENSIONALITY.items():
        if parsed.dimensionality == ureg.get_dimensionality(dims):
            msg = (
                f"{unit!r} is an amount of {dimension}, not a rate: flows are per year, "
                f"write e.g. {unit.strip()}/yr"
            )
            raise UnitError(msg)
    msg = f"{unit!r} is not a mass, energy or volume per time"
    raise UnitError(msg)


def to_canonical(quantity: float, unit: str) -> tuple[float, str]:
    """Convert ``quantity`` in ``unit`` to the canonical annual unit of its dimension.

    Returns
    -------
    tuple
        The converted value and the canonical unit (``t/yr``, ``MWh/yr`` or ``m3/yr``).
    """
    canonical = CANONICAL_UNITS[dimension_of(unit)]
    value = registry().Quantity(quantity, _parse(unit)).to(_parse(canonical)).magnitude
    return float(value), canonical


@lru_cache(maxsize=512)
def conversion_factor(unit: str) -> tuple[float, str]:
    """Factor that turns a value in ``unit`` into its canonical unit, and that unit.

    Cached because a case repeats a handful of units over thousands of rows.
    """
    return to_canonical(1.0, unit)
