"""EWC codes and the carrier vocabulary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows import io, resources
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


def test_bundled_ewc_list_and_bands() -> None:
    entries = resources.ewc_entries()
    assert len(entries) >= 80
    gypsum = entries["10 01 05"]
    assert gypsum.subchapter == "10 01"
    assert not gypsum.hazardous
    assert all(e.hazardous == code.endswith("*") for code, e in entries.items())
    assert resources.describe("heat") == "Heat (hot water or thermal oil)"
    assert "flue-gas desulphurisation" in resources.describe("10 01 05")
    assert resources.describe("01 01 01").startswith("EWC 01 01 01 (Wastes from exploration")
    assert resources.temperature_band(85.0).startswith("40-90")
    assert resources.temperature_band(90.0).startswith("90-150")
    assert resources.temperature_band(float("nan")) is None


def test_unlisted_but_well_formed_ewc_code_is_a_warning(data_dir: Path) -> None:
    frames = {
        name: pd.read_csv(data_dir / "mini" / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("sites", "flows", "metadata")
    }
    flows = frames["flows"]
    flows.loc[0, "resource"] = "01 01 01"
    result = io.load_frames(frames, label="frames")
    assert result.case is not None
    warning = next(f for f in result.report if f.code == "W_EWC_NOT_IN_LIST")
    assert warning.row == 1  # in-memory frames number rows from 1
    assert "01 01 01" in warning.message
