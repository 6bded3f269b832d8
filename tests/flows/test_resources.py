"""EWC codes and the carrier vocabulary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from datasets import reference_path
from flows import io, reference, resources
from flows._errors import ResourceError

WORDS = reference.default().vocabulary
"""The bundled EWC list and carriers."""


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
    assert WORDS.normalise(text) == expected


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
        WORDS.normalise(text)


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
    assert required <= set(WORDS.carriers)
    for carrier in WORDS.carriers.values():
        assert carrier.family in resources.FAMILIES
        assert set(carrier.dimensions) <= {"mass", "energy", "volume"}


def test_families_and_flags() -> None:
    assert WORDS.family_of("10 01 05") == "minerals"
    assert WORDS.family_of("10 02 02") == "metals"
    assert WORDS.family_of("19 08 05") == "sludge"
    assert WORDS.family_of("steam") == "heat"
    assert resources.is_hazardous("16 01 04*")
    assert not resources.is_hazardous("10 01 05")
    assert WORDS.needs_temperature("heat")
    assert not WORDS.needs_temperature("10 01 05")
    assert WORDS.dimensions_of("10 01 05") == ("mass", "volume")
    assert len(resources.EWC_CHAPTERS) == 20


@pytest.mark.parametrize(
    ("code", "family"),
    [
        ("07 05 99", "biomass"),  # fermentation residue (yeast slurry), not a solvent
        ("07 07 99", "biomass"),
        ("07 02 13", "materials"),  # waste plastic from the plastics chapter
        ("07 01 12", "sludge"),
        ("03 03 09", "minerals"),  # lime mud from pulp mills
        ("19 12 02", "metals"),
        ("20 01 08", "biomass"),  # kitchen waste
        ("07 01 04*", "chemicals"),
        ("07 06 99", "chemicals"),  # not in the bundled list: the chapter's family
    ],
)
def test_family_of_a_code_is_its_own_where_the_list_says(code: str, family: str) -> None:
    assert WORDS.family_of(code) == family


def test_every_listed_code_has_a_known_family() -> None:
    assert {e.family for e in WORDS.ewc.values()} <= set(resources.FAMILIES)


def test_another_vocabulary_is_a_value_for_one_load(data_dir: Path, tmp_path: Path) -> None:
    # a user's own carrier list: "bark" becomes a resource the bundled words do not know
    carriers = tmp_path / "carriers.csv"
    bundled = reference_path("carriers.csv").read_text(encoding="utf-8")
    carriers.write_text(
        bundled.rstrip("\n") + "\nbark,Bark,biomass,mass,false,Bark from a sawmill\n",
        encoding="utf-8",
    )
    words = resources.read_vocabulary(carriers_path=carriers)
    assert words.normalise("Bark") == "bark"
    assert words.family_of("bark") == "biomass"
    with pytest.raises(ResourceError, match="unknown resource"):
        WORDS.normalise("bark")
    ref = reference.load(carriers_path=carriers)
    assert ref.vocabulary.normalise("bark") == "bark"


def test_bundled_ewc_list_and_bands() -> None:
    entries = WORDS.ewc
    assert len(entries) >= 80
    gypsum = entries["10 01 05"]
    assert gypsum.subchapter == "10 01"
    assert not gypsum.hazardous
    assert all(e.hazardous == code.endswith("*") for code, e in entries.items())
    assert WORDS.describe("heat") == "Heat (hot water or thermal oil)"
    assert "flue-gas desulphurisation" in WORDS.describe("10 01 05")
    assert WORDS.describe("01 01 01").startswith("EWC 01 01 01 (Wastes from exploration")
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
