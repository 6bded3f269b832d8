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

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal, TypeVar, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flows import summary
from flows._errors import SymbioMapError
from flows.frames import arrow_text, fixed
from flows.model import Case
from flows.scoring import SCORE_COLUMNS, TEXT_SCORE_COLUMNS

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
    # a plan's flow on a link is a quantity too (flows.allocation.PLAN_COLUMNS)
    "planned_flow",
    "planned_share",
    "plan_value",
    "plan_co2e_t",
    *(
        c
        for c in SCORE_COLUMNS
        if c not in {"rank", "parameter_set", "explanation", *TEXT_SCORE_COLUMNS}
    ),
)
"""Candidate columns withheld in ``public`` for rows that involve a confidential flow: the
quantities and every figure scoring adds (a new score column is withheld unless listed here as
safe), but the rank, the parameter set and the explanation (rewritten instead)."""

WITHHELD_TEXT = "figures withheld: this exchange involves a confidential flow"

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
    # Columns are replaced, never written into: a shallow copy keeps the input unchanged.
    out: Frame = frame.copy(deep=False)
    out["withheld"] = secret if tier == "public" else np.zeros(len(frame), dtype=bool)
    if tier == "owner" or not secret.any():
        return out
    for col in WITHHELD_COLUMNS:
        if col in out:
            out[col] = out[col].astype("float64").mask(secret)
    # What limits a candidate depends on its quantity (a small heat flow is limited by its
    # losses): withheld too. The counterfactual depends on the resource and country only.
    if "limited_by" in out:
        out["limited_by"] = out["limited_by"].astype("object").mask(secret)
    if "explanation" in out:
        text = pa.array(out["explanation"].astype("str"), pa.large_string())
        withheld = _withheld_lines(out.loc[secret])
        text = pc.replace_with_mask(text, pa.array(secret), withheld.cast(pa.large_string()))
        out["explanation"] = pd.Series(
            pd.arrays.ArrowStringArray(text, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
            index=out.index,
        )
    return out


def _withheld_lines(rows: pd.DataFrame) -> pa.Array:
    """The explanation of each withheld row, built on whole columns: site, resource, partner,
    distance and mode, and why the figures are missing."""
    where: pa.Array | str = ""
    if "distance_m" in rows:
        metres = rows["distance_m"].to_numpy(dtype="float64")
        km = fixed(metres / 1000, decimals=1)
        measured = pc.binary_join_element_wise(
            " (", km, " km by ", arrow_text(rows["mode"]), ")", ""
        )
        where = pc.if_else(pa.array(np.isnan(metres)), "", measured)
    return pc.binary_join_element_wise(
        arrow_text(rows["supply_site"]),
        " could send ",
        arrow_text(rows["resource"]),
        " to ",
        arrow_text(rows["demand_site"]),
        where,
        f"; {WITHHELD_TEXT}.",
        "",
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


def totals(frame: pd.DataFrame, *, tier: Tier) -> summary.Totals:
    """The :class:`Totals` of scored candidates as ``tier`` may see them."""
    check_tier(tier)
    # Only the summed columns, and no explanation built for rows that are left out anyway.
    needed = frame[list(summary.TOTALS_COLUMNS)]
    counted = needed[~_secret(frame)] if tier == "public" else needed
    return summary.candidate_totals(counted, count=len(frame))


def view(item: Frame | Case, *, tier: Tier) -> Frame | Case:
    """``item`` as ``tier`` may see it: a :class:`~flows.model.Case` via :func:`case`, a frame of
    scored candidates via :func:`candidates`. The gate every interface passes through."""
    if isinstance(item, Case):
        return case(item, tier=tier)
    return candidates(item, tier=tier)
