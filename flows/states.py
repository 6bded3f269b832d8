"""Physical states of resources and the transport modes each state allows.

A resource's physical state decides how it can travel: no solid by pipeline, no heat by truck.
The state follows from the resource family (``ewc_codes.csv`` and ``carriers.csv``), with the
EWC chapters whose wastes are liquids (13 oil wastes, 14 solvents) read as liquids.

=========== ============================================== ==========
state       modes                                          default
=========== ============================================== ==========
solid       road, rail, inland-waterway, sea               road
sludge      road, rail, inland-waterway, sea, pipeline     road
liquid      pipeline, road, rail, inland-waterway, sea     pipeline
gas         pipeline, road                                 pipeline
heat        pipeline                                       pipeline
electricity pipeline (a cable: same trench logic)          pipeline
=========== ============================================== ==========

Gases go by road as compressed or liquefied gas in tank trucks (CO2, hydrogen); bulk sea and
rail transport of gases is left out until a case needs it. Electricity is exchanged over the
grid and has no freight mode; the pipeline row stands for a dedicated line.
"""

from __future__ import annotations

from types import MappingProxyType

from flows import resources
from flows.resources import Vocabulary

STATES = ("solid", "sludge", "liquid", "gas", "heat", "electricity")

MODES_BY_STATE = MappingProxyType(
    {
        "solid": ("road", "rail", "inland-waterway", "sea"),
        "sludge": ("road", "rail", "inland-waterway", "sea", "pipeline"),
        "liquid": ("pipeline", "road", "rail", "inland-waterway", "sea"),
        "gas": ("pipeline", "road"),
        "heat": ("pipeline",),
        "electricity": ("pipeline",),
    }
)
"""Modes each state may use; the first is the default where the library names none."""

_STATE_BY_FAMILY = MappingProxyType(
    {"heat": "heat", "energy": "electricity", "water": "liquid", "gas": "gas", "sludge": "sludge"}
)
_LIQUID_CHAPTERS = frozenset({"13", "14"})


def state_of(resource: str, *, vocabulary: Vocabulary) -> str:
    """The physical state of a normalised resource (EWC code or carrier)."""
    if resources.is_ewc(resource) and resource[:2] in _LIQUID_CHAPTERS:
        return "liquid"
    return _STATE_BY_FAMILY.get(vocabulary.family_of(resource), "solid")


def allowed_modes(resource: str, *, vocabulary: Vocabulary) -> tuple[str, ...]:
    """Modes a resource may travel by, the default first."""
    return MODES_BY_STATE[state_of(resource, vocabulary=vocabulary)]
