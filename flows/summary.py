"""Summaries of a case and of an analysis: the figures pages, reports and the CLI print.

Sums and their plain-text form: what a viewer may see is decided before, by
:mod:`flows.privacy` (pass the case or candidates through it first; its ``totals`` hands the
rows a tier may count to :func:`candidate_totals`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from flows.model import Case

UNITS = ("t/yr", "MWh/yr", "m3/yr")
"""Canonical units, in the order summaries list them."""


@dataclass(frozen=True)
class ExchangeTotals:
    """What the exchanges of a case move.

    Attributes
    ----------
    count : int
        Exchanges in the case, whatever their status.
    active : int
        Exchanges whose status is ``active``.
    quantity : dict[str, float]
        Canonical unit -> summed quantity of the active exchanges with a known quantity.
    unpublished : int
        Active exchanges without a known quantity (none published, or withheld).
    """

    count: int
    active: int
    quantity: dict[str, float]
    unpublished: int


def exchange_totals(case: Case) -> ExchangeTotals:
    """The :class:`ExchangeTotals` of a case (as the viewer may see it)."""
    exchanges = case.exchanges
    if exchanges.empty:
        return ExchangeTotals(count=0, active=0, quantity={}, unpublished=0)
    active = exchanges[exchanges["status"] == "active"]
    known = active[active["quantity_canonical"].notna()]
    by_unit = known.groupby(known["unit_canonical"].astype("object"))["quantity_canonical"].sum()
    quantity = {str(u): float(v) for u, v in by_unit.items()}
    ordered = {u: quantity[u] for u in UNITS if u in quantity}
    ordered.update({u: v for u, v in quantity.items() if u not in ordered})
    return ExchangeTotals(
        count=len(exchanges),
        active=len(active),
        quantity=ordered,
        unpublished=len(active) - len(known),
    )


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


def candidate_totals(counted: pd.DataFrame, *, count: int) -> Totals:
    """The :class:`Totals` of the candidate rows a viewer may count, out of ``count`` in all.

    ``counted`` needs ``unit``, ``quantity``, ``basis``, ``net_co2e_t`` and ``net_benefit_eur``.
    """
    by_unit = counted.groupby(counted["unit"].astype("object"), observed=True)["quantity"].sum(
        min_count=1
    )
    quantity = {str(u): float(v) for u, v in by_unit.items() if not math.isnan(float(v))}
    ordered = {u: quantity[u] for u in UNITS if u in quantity}
    ordered.update({u: v for u, v in quantity.items() if u not in ordered})
    declared = counted[counted["basis"].astype("object") == "declared"]
    return Totals(
        count=count,
        withheld=count - len(counted),
        quantity=ordered,
        net_co2e_t=float(counted["net_co2e_t"].sum()),
        net_benefit_eur=float(counted["net_benefit_eur"].sum()),
        paying_net_benefit_eur=float(declared["net_benefit_eur"].clip(lower=0).sum()),
        paying_net_co2e_t=float(declared["net_co2e_t"].clip(lower=0).sum()),
    )


def summary_table(shown: pd.DataFrame, totals: Totals, *, top: int = 15) -> str:
    """A plain-text table of the best candidates and the totals, for the command line.

    ``shown`` and ``totals`` come through :mod:`flows.privacy` (this function only formats).
    """
    if shown.empty:
        return "no candidate exchange found within the economic distances"
    cols = {
        "rank": "rank",
        "supply_site": "from",
        "demand_site": "to",
        "resource": "resource",
        "basis": "basis",
        "quantity": "quantity",
        "unit": "unit",
        "distance_km": "km",
        "distance_kind": "distance",
        "net_benefit_eur": "EUR/yr",
        "net_co2e_t": "t CO2e/yr",
        "break_even_km": "break-even km",
        "exchange_status": "in case",
    }
    view = shown.assign(distance_km=shown["distance_m"] / 1000.0)[list(cols)].head(top)
    view = view.rename(columns=cols)
    text = view.to_string(index=False, float_format=lambda v: f"{v:,.1f}")
    lines = [
        text,
        (
            f"{totals.count} candidates: net benefit {totals.net_benefit_eur:,.0f} EUR/yr and "
            f"{totals.net_co2e_t:,.0f} t CO2e/yr in all; the paying declared ones "
            f"{totals.paying_net_benefit_eur:,.0f} EUR/yr and {totals.paying_net_co2e_t:,.0f} "
            "t CO2e/yr (candidates compete for the same flows: an upper bound)"
        ),
    ]
    if totals.withheld:
        lines.append(
            f"{totals.withheld} candidates involve confidential flows: their figures are "
            "withheld and not in these totals (--tier owner shows them)"
        )
    if line := existing_line(shown):
        lines.append(line)
    return "\n".join(lines)


def existing_line(candidates: pd.DataFrame) -> str:
    """One sentence on how many candidates repeat an exchange the case already records
    (``exchange_status``, from :func:`flows.matching.exchange_status`), or "" when none do."""
    status = candidates["exchange_status"].astype("object")
    repeated = status[status != "new"]
    if repeated.empty:
        return ""
    counts = repeated.value_counts()
    parts = ", ".join(
        f"{int(counts[kind])} {kind}"
        for kind in ("active", "planned", "historical")
        if kind in counts
    )
    return (
        f"{len(repeated)} of the {len(candidates)} candidates repeat an exchange the case "
        f"already records ({parts}); {len(candidates) - len(repeated)} are new"
    )
