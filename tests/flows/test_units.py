"""Unit parsing and conversion to canonical annual units (pint)."""

from __future__ import annotations

import pytest

from flows import units
from flows._errors import UnitError


@pytest.mark.parametrize(
    ("unit", "factor", "canonical"),
    [
        ("t/yr", 1.0, "t/yr"),
        ("kt/yr", 1_000.0, "t/yr"),
        ("Mt/yr", 1_000_000.0, "t/yr"),
        ("t/d", 365.25, "t/yr"),
        ("kg/h", 8.766, "t/yr"),
        ("MWh/yr", 1.0, "MWh/yr"),
        ("GWh/yr", 1_000.0, "MWh/yr"),
        ("GJ/yr", 1 / 3.6, "MWh/yr"),
        ("TJ/yr", 1_000 / 3.6, "MWh/yr"),
        ("MW", 8_766.0, "MWh/yr"),
        ("m3/yr", 1.0, "m3/yr"),
        ("m3/h", 8_766.0, "m3/yr"),
        ("Nm3/h", 8_766.0, "m3/yr"),
    ],
)
def test_conversion_factors_are_exact(unit: str, factor: float, canonical: str) -> None:
    got, unit_out = units.conversion_factor(unit)
    assert unit_out == canonical
    assert got == pytest.approx(factor, rel=1e-12)


def test_kt_is_a_kilotonne_not_a_knot() -> None:
    assert units.dimension_of("kt/yr") == "mass"


def test_round_trip_through_canonical_is_lossless() -> None:
    value, unit = units.to_canonical(123.456, "GWh/yr")
    back = units.registry().Quantity(value, unit.replace("m3", "m**3")).to("GWh/yr").magnitude
    assert back == pytest.approx(123.456, rel=1e-15)


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ("t", "not a rate"),
        ("MWh", "not a rate"),
        ("m3", "not a rate"),
        ("furlongs/fortnight", "not a mass, energy or volume per time"),
        ("bananas/yr", "unknown unit"),
        ("", "no unit"),
        ("K", "not a mass, energy or volume"),
    ],
)
def test_bad_units_are_explained(unit: str, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        units.dimension_of(unit)
