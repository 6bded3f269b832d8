"""Which scored candidates a view keeps: resource family, basis, park scope, size, distance.

Pure functions of a frame of candidates (from :func:`flows.pipeline.analyse`), shared by
every interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

PARK_SCOPES = {
    "within": "Within one park",
    "cross": "Between two parks",
    "outside": "Outside parks (one site or both)",
}
"""Where a candidate runs -> plain label (see :func:`park_scope`)."""


def park_scope(frame: pd.DataFrame) -> pd.Series:
    """Where each candidate runs: ``within`` one park, ``cross`` (between two parks) or
    ``outside`` (at least one site is in no park)."""
    supply, demand = frame["supply_park"], frame["demand_park"]
    both = supply.notna() & demand.notna()
    scope = pd.Series("outside", index=frame.index, dtype="object")
    scope[both & (supply == demand)] = "within"
    scope[both & (supply != demand)] = "cross"
    return scope


@dataclass(frozen=True)
class Filters:
    """What the ranked table keeps; an empty choice keeps everything.

    Attributes
    ----------
    families
        Resource family keys (:data:`flows.resources.FAMILIES`).
    bases
        ``declared`` and/or ``inferred``.
    scopes
        Keys of :data:`PARK_SCOPES`.
    min_quantity
        Canonical unit -> smallest quantity kept (candidates of other units are unaffected).
    max_km
        Longest distance kept, km.
    """

    families: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    min_quantity: Mapping[str, float] = field(default_factory=dict)
    max_km: float | None = None


def apply_filters(scored: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of ``scored`` that pass ``filters``, in the same (ranked) order."""
    keep = pd.Series(True, index=scored.index)
    if filters.families:
        keep &= scored["family"].isin(list(filters.families))
    if filters.bases:
        keep &= scored["basis"].isin(list(filters.bases))
    if filters.scopes:
        keep &= park_scope(scored).isin(list(filters.scopes))
    for unit, minimum in filters.min_quantity.items():
        if minimum and minimum > 0:
            too_small = (scored["unit"] == unit) & ~(scored["quantity"] >= minimum)
            keep &= ~too_small
    if filters.max_km is not None:
        keep &= scored["distance_m"] <= filters.max_km * 1000.0
    return scored[keep]
