"""EWC codes and the carrier vocabulary."""

from __future__ import annotations

import pytest

from flows import resources
from flows._errors import ResourceError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 01 05", "10 01 05"),
        ("100105", "10 01 05"),
        ("10.01.05", "10 01 05"),
        (" 16 01 04* ", "16 01 04*"),
        ("160104 *", "16 01 04*"),
        ("Heat", "heat"),
        ("process water", "process-water"),
        ("CO2", "co2"),
        ("fuel_gas", "fuel-gas"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert resources.normalise_resource(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10 01 5", "six digits"),
        ("1001055", "six digits"),
        ("21 01 01", "chapters run from 01 to 20"),
        ("00 01 01", "chapters run from 01 to 20"),
        ("unobtainium", "unknown resource"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        resources.normalise_resource(text)


def test_vocabulary_has_the_required_carriers() -> None:
    required = {
        "heat",
        "steam",
        "electricity",
        "process-water",
        "cooling-water",
        "treated-wastewater",
        "co2",
        "hydrogen",
        "fuel-gas",
        "biogas",
    }
    assert required <= set(resources.carriers())
    for carrier in resources.carriers().values():
        assert carrier.family in resources.FAMILIES
        assert set(carrier.dimensions) <= {"mass", "energy", "volume"}


def test_families_and_flags() -> None:
    assert resources.family_of("10 01 05") == "minerals"
    assert resources.family_of("10 02 02") == "metals"
    assert resources.family_of("19 08 05") == "sludge"
    assert resources.family_of("steam") == "heat"
    assert resources.is_hazardous("16 01 04*")
    assert not resources.is_hazardous("10 01 05")
    assert resources.needs_temperature("heat")
    assert not resources.needs_temperature("10 01 05")
    assert resources.dimensions_of("10 01 05") == ("mass", "volume")
    assert len(resources.EWC_CHAPTERS) == 20
