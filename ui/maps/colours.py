"""Colours and legend names of NACE sections (site markers) and resource families (lines)."""

from __future__ import annotations

from flows.nace import SECTION_NAMES
from flows.resources import FAMILIES

__all__ = ["SECTION_COLOURS", "UNKNOWN_COLOUR", "family_colour", "family_label"]

UNKNOWN_COLOUR = "#9e9e9e"

_PALETTE = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
    "#1f78b4", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#6a3d9a", "#b15928",
    "#8dd3c7", "#bebada", "#80b1d3", "#b3de69", "#fccde5", "#bc80bd", "#ccebc5",
    "#ffed6f",
)  # fmt: skip
SECTION_COLOURS: dict[str, str] = dict(zip(sorted(SECTION_NAMES), _PALETTE, strict=False))
"""NACE section letter -> fill colour of the site markers."""


def family_label(family: object) -> str:
    """The legend name of a resource family (:data:`flows.resources.FAMILIES`); an unknown
    family is shown as it is. Not escaped."""
    key = str(family)
    return FAMILIES[key][0] if key in FAMILIES else key


def family_colour(family: object) -> str:
    """The line colour of a resource family; :data:`UNKNOWN_COLOUR` for an unknown one."""
    key = str(family)
    return FAMILIES[key][1] if key in FAMILIES else UNKNOWN_COLOUR
