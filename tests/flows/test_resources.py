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

EWC_LIST_SIZE = 842
"""Entries of the List of Waste (Decision 2000/532/EC as amended by 2014/955/EU): 842 codes, 408
of them hazardous (counted in DEFRA's transcription, ``datasets/reference/ewc_codes.md``)."""


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
        ("17 02 03", "materials"),  # plastic, not the construction chapter's minerals
        ("19 01 14", "minerals"),  # fly ash, not the waste-treatment chapter's sludge
        ("20 01 01", "materials"),  # paper and cardboard
        ("13 05 02*", "chemicals"),  # oily sludge: the oils chapter
        ("02 01 04", "materials"),  # waste plastics from farming
        ("07 06 05", "chemicals"),  # not in the List of Waste: the chapter's family
        ("19 12 98", "materials"),  # not in the List of Waste: the sub-chapter's family
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
    assert len(entries) == EWC_LIST_SIZE
    gypsum = entries["10 01 05"]
    assert gypsum.subchapter == "10 01"
    assert not gypsum.hazardous
    assert all(e.hazardous == code.endswith("*") for code, e in entries.items())
    assert WORDS.describe("heat") == "Heat (hot water or thermal oil)"
    assert "flue-gas desulphurisation" in WORDS.describe("10 01 05")
    assert WORDS.describe("01 01 03").startswith("EWC 01 01 03 (Wastes from exploration")
    assert str(resources.temperature_band(85.0)).startswith("40-90")
    assert str(resources.temperature_band(90.0)).startswith("90-150")
    assert resources.temperature_band(float("nan")) is None


def test_unlisted_but_well_formed_ewc_code_is_a_warning(data_dir: Path) -> None:
    frames = {
        name: pd.read_csv(data_dir / "mini" / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("sites", "flows", "metadata")
    }
    flows = frames["flows"]
    flows.loc[0, "resource"] = "01 01 03"  # well formed, but not in the List of Waste
    result = io.load_frames(frames, label="frames")
    assert result.case is not None
    warning = next(f for f in result.report if f.code == "W_EWC_NOT_IN_LIST")
    assert warning.row == 1  # in-memory frames number rows from 1
    assert "01 01 03" in warning.message


def test_the_bundled_list_is_the_whole_list_of_waste() -> None:
    codes = pd.read_csv(reference_path("ewc_codes.csv"), dtype=str, keep_default_na=False)
    assert list(codes["code"]) == sorted(codes["code"])
    assert codes["code"].is_unique
    assert len(codes) == EWC_LIST_SIZE
    assert (codes["hazardous"] == "true").sum() == 408
    assert set(codes["hazardous"]) == {"true", "false"}
    assert (codes["code"].str.endswith("*") == (codes["hazardous"] == "true")).all()
    assert codes["code"].str.fullmatch(r"\d{2} \d{2} \d{2}\*?").all()
    assert all(resources.normalise_ewc(code) == code for code in codes["code"])
    assert (codes["chapter"] == codes["code"].str[:2]).all()
    assert (codes["subchapter"] == codes["code"].str[:5]).all()
    assert set(codes["chapter"]) == set(resources.EWC_CHAPTERS)
    # 111 sub-chapters, each with one title
    assert codes.groupby("subchapter")["subchapter_title"].nunique().eq(1).all()
    assert codes["subchapter"].nunique() == 111
    assert set(codes["family"]) <= set(resources.FAMILIES)
    assert (codes["description"].str.strip() != "").all()


@pytest.mark.parametrize(
    ("code", "description"),
    [
        # Entries 2014/955/EU added, as quoted by EMGRISA, "Entry into force of the new European
        # Community legislation on waste" (29 May 2015, emgrisa.es): "New Codes are introduced
        # 16 03 07* 'metallic mercury' and 19 03 08* 'partly stabilised mercury'".
        ("16 03 07*", "Metallic mercury"),
        ("19 03 08*", "Partly stabilised mercury"),
        # Same page: in "red mud from alumina production other than the wastes mentioned in
        # 01 03 10" the earlier reference to 01 03 07 "is replaced by that of the code 01 03 10".
        ("01 03 09", "Red mud from alumina production other than the wastes mentioned in 01 03 10"),
        # Worded alike in all three transcriptions compared (ewc_codes.md, "Checks").
        ("19 01 14", "Fly ash other than those mentioned in 19 01 13"),
        ("17 02 03", "Plastic"),
    ],
)
def test_descriptions_follow_the_regulation(code: str, description: str) -> None:
    assert WORDS.ewc[code].description == description
