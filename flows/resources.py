"""Resources: EWC waste codes and the vocabulary of energy, water and gas carriers."""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from datasets import reference_path
from flows._errors import ResourceError

EWC_CHAPTERS: dict[str, str] = {
    "01": "Wastes from exploration, mining, quarrying and treatment of minerals",
    "02": "Wastes from agriculture, horticulture, aquaculture, forestry, hunting and fishing, "
    "food preparation and processing",
    "03": "Wastes from wood processing and the production of panels and furniture, pulp, paper "
    "and cardboard",
    "04": "Wastes from the leather, fur and textile industries",
    "05": "Wastes from petroleum refining, natural gas purification and pyrolytic treatment "
    "of coal",
    "06": "Wastes from inorganic chemical processes",
    "07": "Wastes from organic chemical processes",
    "08": "Wastes from the manufacture, formulation, supply and use of coatings, adhesives, "
    "sealants and printing inks",
    "09": "Wastes from the photographic industry",
    "10": "Wastes from thermal processes",
    "11": "Wastes from chemical surface treatment and coating of metals and other materials; "
    "non-ferrous hydro-metallurgy",
    "12": "Wastes from shaping and physical and mechanical surface treatment of metals and "
    "plastics",
    "13": "Oil wastes and wastes of liquid fuels",
    "14": "Waste organic solvents, refrigerants and propellants",
    "15": "Waste packaging; absorbents, wiping cloths, filter materials and protective clothing",
    "16": "Wastes not otherwise specified in the list",
    "17": "Construction and demolition wastes (including excavated soil from contaminated sites)",
    "18": "Wastes from human or animal health care and/or related research",
    "19": "Wastes from waste management facilities, off-site waste water treatment plants and the "
    "preparation of water for human consumption and industrial use",
    "20": "Municipal wastes (household and similar commercial, industrial and institutional "
    "wastes)",
}
"""Chapter titles of the European Waste Catalogue (Commission Decision 2000/532/EC as amended
by Decision 2014/955/EU), shortened where marked by the omitted parenthetical remarks."""

FAMILIES: dict[str, tuple[str, str]] = {
    "heat": ("Heat and steam", "#d7301f"),
    "energy": ("Electricity", "#fdae61"),
    "gas": ("Gases (CO2, hydrogen, fuel gas, biogas)", "#8073ac"),
    "water": ("Water and wastewater", "#2b8cbe"),
    "minerals": ("Ashes, gypsum and mineral residues", "#969696"),
    "biomass": ("Biomass, food and organic residues", "#1a9850"),
    "chemicals": ("Chemicals, solvents and oils", "#e7298a"),
    "metals": ("Metals and metal residues", "#525252"),
    "materials": ("Packaging, paper, plastics and other materials", "#a6761d"),
    "sludge": ("Sludges and waste-treatment residues", "#66a61e"),
}
"""Resource families for colours and filters: key -> (plain-language label, hex colour)."""

_CHAPTER_FAMILY = {
    "01": "minerals",
    "02": "biomass",
    "03": "biomass",
    "04": "materials",
    "05": "chemicals",
    "06": "chemicals",
    "07": "chemicals",
    "08": "chemicals",
    "09": "chemicals",
    "10": "minerals",
    "11": "metals",
    "12": "metals",
    "13": "chemicals",
    "14": "chemicals",
    "15": "materials",
    "16": "materials",
    "17": "minerals",
    "18": "materials",
    "19": "sludge",
    "20": "materials",
}
# Some sub-chapters do not belong with the rest of their chapter's family.
_SUBCHAPTER_FAMILY = {
    "10 02": "metals",
    "10 03": "metals",
    "10 04": "metals",
    "10 05": "metals",
    "10 06": "metals",
    "10 07": "metals",
    "10 08": "metals",
    "10 09": "metals",
    "10 10": "metals",
    "17 04": "metals",
    "19 10": "metals",
    "19 12": "materials",
    "20 02": "biomass",
}

_EWC_PATTERN = re.compile(r"^\s*(\d{2})[\s.]*(\d{2})[\s.]*(\d{2})\s*(\*?)\s*$")
_LOOKS_LIKE_CODE = re.compile(r"^[\d\s.*]+$")


TEMPERATURE_BANDS: tuple[tuple[float, str], ...] = (
    (40.0, "below 40 °C (heat pumps, greenhouses, aquaculture)"),
    (90.0, "40-90 °C (low-temperature district heating, washing, drying)"),
    (150.0, "90-150 °C (district heating supply, pasteurisation)"),
    (300.0, "150-300 °C (process steam)"),
    (float("inf"), "above 300 °C (high-temperature processes)"),
)
"""Heat and steam by temperature band: the upper bound of each band and its plain label."""


def temperature_band(temperature_c: float) -> str | None:
    """The band of a heat or steam temperature, None when no temperature is known."""
    if math.isnan(temperature_c):
        return None
    return next(label for upper, label in TEMPERATURE_BANDS if temperature_c < upper)


@dataclass(frozen=True)
class EwcEntry:
    """A code of the bundled EWC list (``datasets/reference/ewc_codes.csv``)."""

    code: str
    description: str
    hazardous: bool
    subchapter: str
    subchapter_title: str
    family: str


@dataclass(frozen=True)
class Carrier:
    """An energy, water or gas carrier of the vocabulary (``datasets/reference/carriers.csv``)."""

    key: str
    name: str
    family: str
    dimensions: tuple[str, ...]
    needs_temperature: bool
    description: str


def read_ewc_list(path: str | os.PathLike[str] | None = None) -> dict[str, EwcEntry]:
    """Read an EWC list (default: the bundled ``ewc_codes.csv``: the whole List of Waste,
    Commission Decision 2000/532/EC as amended by 2014/955/EU, 842 entries with their official
    descriptions, and each code's resource family)."""
    file = Path(path) if path is not None else reference_path("ewc_codes.csv")
    with file.open(encoding="utf-8", newline="") as fh:
        return {
            row["code"]: EwcEntry(
                row["code"],
                row["description"],
                row["hazardous"] == "true",
                row["subchapter"],
                row["subchapter_title"],
                row["family"],
            )
            for row in csv.DictReader(fh)
        }


def read_carriers(path: str | os.PathLike[str] | None = None) -> dict[str, Carrier]:
    """Read a carrier vocabulary (default: the bundled ``carriers.csv``), keyed by name."""
    file = Path(path) if path is not None else reference_path("carriers.csv")
    with file.open(encoding="utf-8", newline="") as fh:
        return {
            row["carrier"]: Carrier(
                key=row["carrier"],
                name=row["name"],
                family=row["family"],
                dimensions=tuple(row["dimensions"].split(";")),
                needs_temperature=row["needs_temperature"] == "true",
                description=row["description"],
            )
            for row in csv.DictReader(fh)
        }


@dataclass(frozen=True)
class Vocabulary:
    """The words a case may use for a resource: the EWC list and the carriers, as one value.

    Part of :class:`flows.reference.Reference` (read once there and passed explicitly).

    Attributes
    ----------
    ewc : Mapping[str, EwcEntry]
        The listed EWC codes; other well-formed codes are accepted (with a warning).
    carriers : Mapping[str, Carrier]
        Energy, water and gas carriers keyed by their lower-case name.
    """

    ewc: Mapping[str, EwcEntry]
    carriers: Mapping[str, Carrier]

    def normalise(self, text: str) -> str:
        """Return the canonical form of a resource: a normalised EWC code or a carrier key.

        Raises
        ------
        ResourceError
            If ``text`` is a malformed EWC code or an unknown carrier.
        """
        cleaned = text.strip()
        if looks_like_ewc(cleaned):
            return normalise_ewc(cleaned)
        key = cleaned.lower().replace("_", "-").replace(" ", "-")
        if key in self.carriers:
            return key
        msg = f"unknown resource {text!r}: use an EWC code (e.g. '10 01 05') or one of " + (
            ", ".join(self.carriers)
        )
        raise ResourceError(msg)

    def describe(self, resource: str) -> str:
        """Plain name of a normalised resource: the EWC description or the carrier's name."""
        if is_ewc(resource):
            entry = self.ewc.get(resource)
            if entry is not None:
                return entry.description
            return f"EWC {resource} ({EWC_CHAPTERS[resource[:2]]})"
        return self.carriers[resource].name

    def family_of(self, resource: str) -> str:
        """The family key (see :data:`FAMILIES`) of a normalised resource.

        A listed code has its own family (e.g. waste plastic from the plastics chapter is a
        material, not a chemical); any other code takes its sub-chapter's or chapter's.
        """
        if is_ewc(resource):
            entry = self.ewc.get(resource)
            if entry is not None:
                return entry.family
            return _SUBCHAPTER_FAMILY.get(resource[:5], _CHAPTER_FAMILY[resource[:2]])
        return self.carriers[resource].family

    def dimensions_of(self, resource: str) -> tuple[str, ...]:
        """Dimensions a quantity of ``resource`` may be given in (mass, energy, volume)."""
        if is_ewc(resource):
            return ("mass", "volume")
        return self.carriers[resource].dimensions

    def needs_temperature(self, resource: str) -> bool:
        """Whether flows of ``resource`` must state a temperature (heat and steam)."""
        return not is_ewc(resource) and self.carriers[resource].needs_temperature


def read_vocabulary(
    *,
    ewc_path: str | os.PathLike[str] | None = None,
    carriers_path: str | os.PathLike[str] | None = None,
) -> Vocabulary:
    """Read the EWC list and the carriers (the bundled files unless paths are given)."""
    return Vocabulary(
        ewc=MappingProxyType(read_ewc_list(ewc_path)),
        carriers=MappingProxyType(read_carriers(carriers_path)),
    )


def looks_like_ewc(text: str) -> bool:
    """Whether ``text`` is made of digits, spaces, dots and stars, i.e. meant as an EWC code."""
    return bool(_LOOKS_LIKE_CODE.match(text)) and any(ch.isdigit() for ch in text)


def normalise_ewc(text: str) -> str:
    """Return the official ``10 01 05`` form of an EWC code (``*`` kept for hazardous codes).

    Raises
    ------
    ResourceError
        If ``text`` is not six digits (spaces or dots optional) or its chapter is not 01-20.
    """
    match = _EWC_PATTERN.match(text)
    if match is None:
        msg = f"{text!r} is not an EWC code: write six digits in pairs, e.g. '10 01 05'"
        raise ResourceError(msg)
    chapter, sub, item, star = match.groups()
    if chapter not in EWC_CHAPTERS:
        msg = f"EWC code {text!r} has chapter {chapter}; chapters run from 01 to 20"
        raise ResourceError(msg)
    return f"{chapter} {sub} {item}{star}"


def is_ewc(resource: str) -> bool:
    """Whether a normalised resource is an EWC code (not a carrier)."""
    return resource[:1].isdigit()


def is_hazardous(resource: str) -> bool:
    """Whether a normalised resource is a hazardous EWC code (marked ``*``)."""
    return resource.endswith("*")
