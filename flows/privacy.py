"""The privacy gate: the one place that decides what a viewer may see.

Every table, map layer, tooltip, file export, total and explanation of a case or an analysis
passes through :func:`view` (or the helpers it dispatches to) with the viewer's tier; no other
module masks. Tiers:

``owner``
    The people who supplied the data: everything.
``public``
    Anybody else (a workshop audience, a shared file, a published map). A flow marked
    ``confidential`` shows *that* it exists (site, resource, direction) but not how much, and no
    figure from which its quantity could be recomputed: on every candidate row that involves a
    confidential flow, the quantities, tonne-km, money (EUR/yr), CO2e, and break-even distance
    (a pipeline's depends on the quantity) are withheld, the explanation says so, and
    the row is marked ``withheld``. Totals are summed over the rows that are not withheld only,
    and say how many rows they leave out, so no difference of two totals isolates a hidden row.
    Exchanges whose quantity would repeat a confidential flow's (same site and resource on the
    confidential side) have their quantity withheld too.

Aggregates of confidential figures over at least
:data:`datasets.settings.PUBLIC_MIN_COMPANIES` companies belong to the regional ledger (a later
step); nothing in this module releases them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, TypeVar, get_args

import numpy as np
import pandas as pd

from flows._errors import SymbioMapError
from flows.model import Case

Tier = Literal["owner", "public"]
TIERS: tuple[Tier, ...] = get_args(Tier)
DEFAULT_TIER: Tier = "public"
"""Shared outputs default to the safe tier; the owner asks for everything explicitly."""

TIER_LABELS: Mapping[Tier, str] = {
    "owner": "Owner: every figure, including confidential flows",
    "public": "Public: confidential quantities and the figures derived from them withheld",
}

WITHHELD_COLUMNS = (
    "supply_quantity",
    "demand_quantity",
    "quantity",
    "delivered_quantity",
    "tonne_km",
    "transport_cost_eur",
    "transport_co2e_t",
    "avoided_disposal_eur",
    "avoided_purchase_eur",
    "avoided_virgin_co2e_t",
    "avoided_disposal_co2e_t",
    "net_co2e_t",
    "carbon_value_eur",
    "net_benefit_excl_carbon_eur",
    "net_benefit_eur",
    "break_even_km",
)
"""Candidate columns withheld in ``public`` for rows that involve a confidential flow."""

WITHHELD_TEXT = "figures withheld: this exchange involves a confidential flow"

UNITS = ("t/yr", "MWh/yr", "m3/yr")

Frame = TypeVar("Frame", bound=pd.DataFrame)


class TierError(SymbioMapError, ValueError):
    """An unknown viewer tier."""


def check_tier(tier: str) -> Tier:
    """Return ``tier`` if it is one of :data:`TIERS`.

    Raises
    ------
    TierError
        Naming the tiers that exist.
    """
    if tier not in TIERS:
        msg = f"unknown viewer tier {tier!r}; use one of {', '.join(TIERS)}"
        raise TierError(msg)
    return tier


def _secret(frame: pd.DataFrame) -> np.ndarray:
    if "confidential" not in frame:
        return np.zeros(len(frame), dtype=bool)
    secret: np.ndarray = frame["confidential"].fillna(False).to_numpy(dtype=bool)
    return secret


def candidates(frame: Frame, *, tier: Tier) -> Frame:
    """Scored candidates as ``tier`` may see them (a copy; ``owner`` gets them unchanged).

    Adds a boolean ``withheld`` column (True where figures were withheld).
    """
    check_tier(tier)
    secret = _secret(frame)
    out: Frame = frame.copy()
    out["withheld"] = secret if tier == "public" else np.zeros(len(frame), dtype=bool)
    if tier == "owner" or not secret.any():
        return out
    for col in WITHHELD_COLUMNS:
        if col in out:
            out[col] = out[col].astype("float64").mask(secret)
    if "explanation" in out:
        text = out["explanation"].astype("object").to_numpy(copy=True)
        text[secret] = [_withheld_line(row) for row in out.loc[secret].itertuples(index=False)]
        out["explanation"] = text
    return out


def _withheld_line(row: object) -> str:
    distance_m = float(getattr(row, "distance_m", math.nan))
    where = "" if math.isnan(distance_m) else f" ({distance_m / 1000:.1f} km by {row.mode})"  # type: ignore[attr-defined]
    return (
        f"{row.supply_site} could send {row.resource} to {row.demand_site}{where}; "  # type: ignore[attr-defined]
        f"{WITHHELD_TEXT}."
    )


def case(data: Case, *, tier: Tier) -> Case:
    """A case as ``tier`` may see it: in ``public``, confidential flows keep their site,
    direction and resource but lose their quantities, and so do exchanges that repeat them."""
    check_tier(tier)
    if tier == "owner" or data.flows.empty:
        return data
    flows = data.flows
    secret = _secret(flows)
    if not secret.any():
        return data
    flows = flows.copy()
    for col in ("quantity", "quantity_canonical"):
        if col in flows:
            flows[col] = pd.to_numeric(flows[col], errors="coerce").astype("float64").mask(secret)
    exchanges = data.exchanges
    if not exchanges.empty and "quantity" in exchanges:
        mask = _repeats_secret(exchanges, data.flows[secret])
        if mask.any():
            exchanges = exchanges.copy()
            for col in ("quantity", "quantity_canonical"):
                if col in exchanges:
                    exchanges[col] = (
                        pd.to_numeric(exchanges[col], errors="coerce").astype("float64").mask(mask)
                    )
    return replace(data, flows=flows, exchanges=exchanges)


def _repeats_secret(exchanges: pd.DataFrame, hidden: pd.DataFrame) -> np.ndarray:
    """Exchanges whose quantity would repeat a hidden flow's: same site and resource on the
    side where the flow is confidential (the sender's supply or the receiver's demand)."""

    def keys(sites: pd.Series, res: pd.Series) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([sites.astype("object"), res.astype("object")])

    supply = hidden[hidden["direction"] == "supply"]
    demand = hidden[hidden["direction"] == "demand"]
    sent = keys(exchanges["from_site"], exchanges["resource"]).isin(
        keys(supply["site_id"], supply["resource"])
    )
    received = keys(exchanges["to_site"], exchanges["resource"]).isin(
        keys(demand["site_id"], demand["resource"])
    )
    mask: np.ndarray = np.asarray(sent | received, dtype=bool)
    return mask


@dataclass(frozen=True)
class Totals:
    """Sums over a set of candidates as one tier may see them.

    An upper bound: candidates compete for the same flows (an allocation decides which run).

    Attributes
    ----------
    count : int
        Candidates in the set.
    withheld : int
        Candidates left out of the sums because their figures are withheld for this tier.
    quantity : dict[str, float]
        Canonical unit -> summed quantity of the rows counted.
    net_co2e_t : float
        Net CO2e avoided, t/yr, over the rows counted (unknown figures count as zero).
    net_benefit_eur : float
        Net benefit, EUR/yr, over the rows counted (unknown figures count as zero).
    paying_net_benefit_eur : float
        Net benefit of the paying declared candidates counted, EUR/yr (if each were realised).
    paying_net_co2e_t : float
        Net CO2e of the declared candidates with a positive CO2e, t/yr.
    """

    count: int
    withheld: int
    quantity: dict[str, float]
    net_co2e_t: float
    net_benefit_eur: float
    paying_net_benefit_eur: float
    paying_net_co2e_t: float


def totals(frame: pd.DataFrame, *, tier: Tier) -> Totals:
    """The :class:`Totals` of scored candidates as ``tier`` may see them."""
    shown = candidates(frame, tier=tier)
    counted = shown[~shown["withheld"].to_numpy(dtype=bool)]
    by_unit = counted.groupby(counted["unit"].astype("object"), observed=True)["quantity"].sum(
        min_count=1
    )
    quantity = {str(u): float(v) for u, v in by_unit.items() if not math.isnan(float(v))}
    ordered = {u: quantity[u] for u in UNITS if u in quantity}
    ordered.update({u: v for u, v in quantity.items() if u not in ordered})
    declared = counted[counted["basis"].astype("object") == "declared"]
    return Totals(
        count=len(frame),
        withheld=len(shown) - len(counted),
        quantity=ordered,
        net_co2e_t=float(counted["net_co2e_t"].sum()),
        net_benefit_eur=float(counted["net_benefit_eur"].sum()),
        paying_net_benefit_eur=float(declared["net_benefit_eur"].clip(lower=0).sum()),
        paying_net_co2e_t=float(declared["net_co2e_t"].clip(lower=0).sum()),
    )


def view(item: Frame | Case, *, tier: Tier) -> Frame | Case:
    """``item`` as ``tier`` may see it: a :class:`~flows.model.Case` via :func:`case`, a frame of
    scored candidates via :func:`candidates`. The gate every interface passes through."""
    if isinstance(item, Case):
        return case(item, tier=tier)
    return candidates(item, tier=tier)
