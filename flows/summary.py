"""Summaries of a case and of an analysis: the figures pages, reports and the CLI print.

Sums and their plain-text form: what a viewer may see is decided before, by
:mod:`flows.privacy` (pass the case or candidates through it first; its ``totals`` hands the
rows a tier may count to :func:`candidate_totals`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
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


SELECTION = "each supply and demand counted once, best candidates first"
"""What the totals add up: in each group, the candidates served greedily by net benefit so that
no supply and no demand counts twice (:func:`best_per_flow`), until the plan (allocation)
decides which exchanges to realise."""


@dataclass(frozen=True)
class Figures:
    """Sums over one group of candidates.

    Attributes
    ----------
    candidates : int
        Candidates in the group.
    count : int
        Candidates summed (after :func:`best_per_flow`).
    quantity : dict[str, float]
        Canonical unit -> summed quantity.
    net_benefit_eur : float
        Net benefit, EUR/yr.
    net_co2e_t : float
        Net CO2e avoided, t/yr.
    """

    candidates: int
    count: int
    quantity: dict[str, float]
    net_benefit_eur: float
    net_co2e_t: float


@dataclass(frozen=True)
class Totals:
    """Sums over a set of candidates as one tier may see them, existing and new kept apart.

    Attributes
    ----------
    count : int
        Candidates in the set.
    withheld : int
        Candidates left out of the sums because their figures are withheld for this tier.
    new_potential : Figures
        New opportunities (no exchange of the case links the pair): the paying declared ones,
        :data:`SELECTION` (competing uses of one flow are never added).
    in_place : Figures
        Candidates that repeat an exchange in place in the reference year: the value of what
        the cluster already does (:data:`SELECTION`), never part of ``new_potential``.
    new : int
        New candidates counted (paying or not).
    planned : int
        Candidates that repeat a recorded exchange not started in the reference year.
    ended : int
        Candidates that repeat a recorded exchange that ended before the reference year.
    """

    count: int
    withheld: int
    new_potential: Figures
    in_place: Figures
    new: int
    planned: int
    ended: int


def _ordered(quantity: dict[str, float]) -> dict[str, float]:
    ordered = {u: quantity[u] for u in UNITS if u in quantity}
    ordered.update({u: v for u, v in quantity.items() if u not in ordered})
    return ordered


def flow_index(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which supply (site and resource) and which demand (site and demanded resource) each
    candidate uses, and what each supply and demand holds (NaN where unknown).

    Returns
    -------
    tuple of numpy.ndarray
        Supply index and demand index per candidate; quantity per supply and per demand.
    """
    supply, _ = pd.factorize(
        pd.MultiIndex.from_arrays(
            [frame["supply_site"].astype("object"), frame["resource"].astype("object")]
        )
    )
    demand, _ = pd.factorize(
        pd.MultiIndex.from_arrays(
            [frame["demand_site"].astype("object"), frame["demand_resource"].astype("object")]
        )
    )
    held_s = np.zeros(supply.max() + 1 if len(supply) else 0)
    held_s[supply] = frame["supply_quantity"].to_numpy(dtype="float64", na_value=np.nan)
    held_d = np.zeros(demand.max() + 1 if len(demand) else 0)
    held_d[demand] = frame["demand_quantity"].to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(supply), np.asarray(demand), held_s, held_d


def best_per_flow(frame: pd.DataFrame) -> np.ndarray:
    """How much of each candidate to count so that no supply or demand is used twice.

    The greedy choice by net benefit: the best candidate takes what its supply (site and
    resource) and its demand (site and demanded resource) have left, min(supply left, demand
    left), and so on down the list. Computed in rounds on whole columns: in each round every
    candidate that is the best remaining one of both its supply and its demand is served
    (exactly the sequential greedy's choice, ties broken by row order), then what is used up
    is removed. A candidate that gets less than its quantity is counted pro rata.

    Parameters
    ----------
    frame
        Candidates with ``supply_site``, ``resource``, ``demand_site``, ``demand_resource``,
        ``supply_quantity``, ``demand_quantity``, ``quantity`` and ``net_benefit_eur``; rows
        without a finite net benefit or a quantity are never served.

    Returns
    -------
    numpy.ndarray
        Per row, the share of its quantity counted (0 to 1).
    """
    n = len(frame)
    if n == 0:
        return np.zeros(0)
    benefit = frame["net_benefit_eur"].to_numpy(dtype="float64", na_value=np.nan)
    quantity = frame["quantity"].to_numpy(dtype="float64", na_value=np.nan)
    supply, demand, left_s, left_d = flow_index(frame)
    # priority 0 = best; ties keep row order
    priority = np.empty(n, dtype="int64")
    priority[np.lexsort((np.arange(n), -np.nan_to_num(benefit, nan=-np.inf)))] = np.arange(n)
    alive = np.isfinite(benefit) & (quantity > 0)
    tiny = 1e-9 * np.nanmax(np.where(alive, quantity, 0.0), initial=0.0)
    return greedy_shares(
        priority, quantity, supply=supply, demand=demand, left_s=left_s, left_d=left_d,
        alive=alive, tiny=tiny,
    )  # fmt: skip


def greedy_shares(
    priority: np.ndarray,
    quantity: np.ndarray,
    *,
    supply: np.ndarray,
    demand: np.ndarray,
    left_s: np.ndarray,
    left_d: np.ndarray,
    alive: np.ndarray,
    tiny: float | np.ndarray,
) -> np.ndarray:
    """The rounds of :func:`best_per_flow` on arrays (also for a block of Monte Carlo draws,
    where each draw's flows have numbers of their own).

    Parameters
    ----------
    priority
        Per row, its place in the greedy order (0 = served first), all distinct.
    quantity
        Per row, its quantity.
    supply, demand
        Per row, the index of its supply and of its demand.
    left_s, left_d
        What each supply and demand holds (changed in place).
    alive
        Rows that may be served (changed in place).
    tiny
        What is left below this is nothing (per row, or one figure).

    Returns
    -------
    numpy.ndarray
        Per row, the share of its quantity served.
    """
    n = len(priority)
    share = np.zeros(n)
    while alive.any():
        rows = np.flatnonzero(alive)
        mine = priority[rows]
        best_s = np.full(len(left_s), n, dtype="int64")
        np.minimum.at(best_s, supply[rows], mine)
        best_d = np.full(len(left_d), n, dtype="int64")
        np.minimum.at(best_d, demand[rows], mine)
        take = rows[(best_s[supply[rows]] == mine) & (best_d[demand[rows]] == mine)]
        amount = np.minimum(np.minimum(left_s[supply[take]], left_d[demand[take]]), quantity[take])
        share[take] = amount / quantity[take]
        left_s[supply[take]] -= amount
        left_d[demand[take]] -= amount
        alive[take] = False
        alive &= (left_s[supply] > tiny) & (left_d[demand] > tiny)
    return share


def taken_in_place(
    frame: pd.DataFrame,
    in_place: np.ndarray,
    *,
    benefit: np.ndarray | None = None,
    index: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the exchanges in place (``in_place`` rows) take, each flow counted once, best first
    by ``benefit`` (default: ``net_benefit_eur``), as :func:`best_per_flow` counts them.
    ``index``: :func:`flow_index` of ``frame`` when the caller has it.

    Returns
    -------
    tuple of numpy.ndarray
        The flow per row of ``frame`` (0 off ``in_place``), and what is taken from each supply
        and from each demand, numbered as :func:`flow_index` numbers them.
    """
    supply, demand, held_s, held_d = flow_index(frame) if index is None else index
    flow = np.zeros(len(frame))
    if in_place.any():
        rows = frame[in_place]
        if benefit is not None:
            rows = rows.assign(net_benefit_eur=benefit[in_place])
        quantity = frame["quantity"].to_numpy(dtype="float64", na_value=np.nan)
        flow[in_place] = np.nan_to_num(best_per_flow(rows) * quantity[in_place])
    taken_s = np.bincount(supply, weights=flow, minlength=len(held_s))
    taken_d = np.bincount(demand, weights=flow, minlength=len(held_d))
    return flow, taken_s, taken_d


def _left_after(frame: pd.DataFrame, in_place: np.ndarray) -> pd.DataFrame:
    """``frame`` with each supply and demand reduced by what the exchanges in place
    (``in_place`` rows, each flow counted once) already take from it: the new potential is what
    the cluster could add, never a flow it already exchanges."""
    if not in_place.any():
        return frame
    index = flow_index(frame)
    supply, demand, held_s, held_d = index
    _, taken_s, taken_d = taken_in_place(frame, in_place, index=index)
    return frame.assign(
        supply_quantity=np.maximum((held_s - taken_s)[supply], 0.0),
        demand_quantity=np.maximum((held_d - taken_d)[demand], 0.0),
    )


def _figures(rows: pd.DataFrame) -> Figures:
    share = best_per_flow(rows)
    counted = share > 0
    amounts = pd.Series(rows["quantity"].to_numpy(dtype="float64") * share)
    by_unit = amounts[counted].groupby(rows["unit"].astype("object").to_numpy()[counted]).sum()
    quantity = {str(u): float(v) for u, v in by_unit.items() if not math.isnan(float(v))}
    return Figures(
        candidates=len(rows),
        count=int(counted.sum()),
        quantity=_ordered(quantity),
        net_benefit_eur=float(np.nansum(rows["net_benefit_eur"].to_numpy(dtype="float64") * share)),
        net_co2e_t=float(np.nansum(rows["net_co2e_t"].to_numpy(dtype="float64") * share)),
    )


TOTALS_COLUMNS = (
    "supply_site",
    "resource",
    "demand_site",
    "demand_resource",
    "unit",
    "supply_quantity",
    "demand_quantity",
    "quantity",
    "basis",
    "exchange_status",
    "net_co2e_t",
    "net_benefit_eur",
)
"""The columns :func:`candidate_totals` reads."""


def candidate_totals(counted: pd.DataFrame, *, count: int) -> Totals:
    """The :class:`Totals` of the candidate rows a viewer may count, out of ``count`` in all.

    ``counted`` needs :data:`TOTALS_COLUMNS`.
    """
    status = counted["exchange_status"].astype("object").to_numpy()
    declared = (counted["basis"].astype("object") == "declared").to_numpy()
    paying = (counted["net_benefit_eur"] > 0).to_numpy(dtype=bool, na_value=False)
    new = status == "new"
    active = status == "active"
    return Totals(
        count=count,
        withheld=count - len(counted),
        new_potential=_figures(_left_after(counted, active)[new & declared & paying]),
        in_place=_figures(counted[active]),
        new=int(new.sum()),
        planned=int((status == "planned").sum()),
        ended=int((status == "historical").sum()),
    )


def park_route(frame: pd.DataFrame) -> pd.Series:
    """Per candidate, the parks it links: ``"A -> B (across parks)"`` when supplier and
    receiver lie in different parks (a cross-cluster link), the one park's id when both lie in
    it, the one side's park when only one lies in a park, "" when neither does."""
    if "supply_park" not in frame or "demand_park" not in frame:
        return pd.Series("", index=frame.index, dtype="object")
    supply = frame["supply_park"].astype("object").fillna("").astype(str)
    demand = frame["demand_park"].astype("object").fillna("").astype(str)
    across = (supply != "") & (demand != "") & (supply != demand)
    single = supply.where(supply != "", demand)
    out = single.where(~across, supply + " -> " + demand + " (across parks)")
    return out.astype("object")


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
        "parks": "parks",
    }
    view = shown.assign(distance_km=shown["distance_m"] / 1000.0, parks=park_route(shown))
    view = view[list(cols)].head(top)
    view = view.rename(columns=cols)
    text = view.to_string(index=False, float_format=lambda v: f"{v:,.1f}")
    lines = [text, *totals_lines(totals, withheld_hint=" (--tier owner shows them)")]
    return "\n".join(lines)


def _money(figures: Figures) -> str:
    amounts = ", ".join(f"{v:,.0f} {u}" for u, v in figures.quantity.items())
    return f"{figures.net_benefit_eur:,.0f} EUR/yr and {figures.net_co2e_t:,.0f} t CO2e/yr" + (
        f" ({amounts})" if amounts else ""
    )


def totals_lines(totals: Totals, *, withheld_hint: str = "") -> list[str]:
    """The totals in plain sentences, new potential and exchanges in place apart.

    ``withheld_hint`` follows the sentence on withheld rows (how to see them, where that is
    possible).
    """
    new, in_place = totals.new_potential, totals.in_place
    lines = [
        (
            f"New potential: {new.count} exchanges, {_money(new)} ({SELECTION} among the "
            f"{new.candidates} paying declared candidates that no recorded exchange links, "
            "with what the exchanges in place leave)"
            if new.count
            else (
                f"New potential: none; {new.candidates} of the {totals.new} new candidates "
                "would pay, but the exchanges in place already use their supplies or demands"
                if new.candidates
                else f"New potential: none of the {totals.new} new candidates pays"
            )
        ),
        (
            f"In place: {in_place.candidates} candidates repeat an exchange active in the "
            f"reference year; counting each flow once, {in_place.count} are worth "
            f"{_money(in_place)} (not part of the new potential)"
            if in_place.candidates
            else "In place: no candidate repeats an exchange active in the reference year"
        ),
    ]
    others = [
        f"{count} repeat {what}"
        for count, what in (
            (totals.planned, "a planned exchange not started in the reference year"),
            (totals.ended, "an exchange that ended before it"),
        )
        if count
    ]
    if others:
        lines.append(f"Not counted: {'; '.join(others)}")
    if totals.withheld:
        lines.append(
            f"{totals.withheld} candidates involve confidential flows: their figures are "
            f"withheld and not in these totals{withheld_hint}"
        )
    return lines
