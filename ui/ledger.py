"""The Report page's glue: one transaction ledger per analysis, tier and plan choice, kept in
the session, its headline figures, chart data, record table and files (no widgets here).

The ledger is :func:`flows.ledger.build_ledger`, the same as the command line's ``flows
report``; it is built for the viewer's tier, so whatever that viewer may not see is withheld
before anything here reads it (:mod:`flows.privacy`).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from flows import allocation, privacy
from flows import ledger as flows_ledger
from ui import plan
from ui.keys import StateKeys
from ui.synergies import CARBON_PRICE_KEY, bundled_parameters

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

    from flows.model import Case
    from flows.pipeline import Analysis

__all__ = [
    "CONSOLIDATIONS",
    "DEFAULT_CONSOLIDATION",
    "FIGURES",
    "FILE_TYPES",
    "KPIS",
    "MAX_LEDGERS",
    "STATUSES",
    "STATUS_COLOURS",
    "cached_ledger",
    "caption_lines",
    "chart_data",
    "column_config",
    "consolidation",
    "kpis",
    "ledger_file",
    "plan_options",
    "records_view",
    "withheld_lines",
    "withheld_records",
]

MAX_LEDGERS = 8
"""Ledgers kept per analysis, so that toggling the tier or the plan back is instant."""

CONSOLIDATIONS: Mapping[str, str] = {
    name.removeprefix("by_"): column for name, column in flows_ledger.CONSOLIDATIONS.items()
}
"""What the Report page consolidates by (site, park, region, family, year) -> record column."""

STATUSES = ("in place", "new", "planned")
"""Ledger statuses, in the order the page shows them (:mod:`flows.ledger`)."""

STATUS_COLOURS: Mapping[str, str] = {"in place": "#1f77b4", "new": "#2ca02c", "planned": "#ff7f0e"}
"""The colour of each ledger status in the charts (the same in every chart)."""

KPIS: Mapping[str, tuple[str, ...]] = {
    "Net savings (EUR/yr)": ("net_savings_eur",),
    "Net CO2e avoided (t/yr)": ("net_co2e_t",),
    "Water saved (m3/yr)": ("water_saved_m3",),
    "Energy saved (MWh/yr)": ("energy_saved_mwh",),
    "Waste diverted (t/yr)": ("waste_diverted_landfill_t", "waste_diverted_incineration_t"),
    "Virgin material replaced (t/yr)": ("virgin_material_replaced_t",),
}
"""Headline figure -> the ledger totals' columns it adds up (waste diverted from landfill and
from incineration together)."""

FIGURES: Mapping[str, tuple[str, str]] = {
    "net_co2e_t": ("Net CO2e avoided", "t/yr"),
    "net_savings_eur": ("Net savings", "EUR/yr"),
}
"""Record figures the page charts -> their label and unit."""

DEFAULT_CONSOLIDATION = "family"
"""The consolidation the page shows first."""

FILE_TYPES: Mapping[str, tuple[str, str]] = {
    ".xlsx": (
        "Ledger (Excel)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ".zip": ("Ledger (zip of CSV)", "application/zip"),
    ".csv": ("Records (CSV)", "text/csv"),
    ".gpkg": ("Records as lines (GeoPackage)", "application/geopackage+sqlite3"),
}
"""Ledger file suffix (:data:`flows.ledger.LEDGER_SUFFIXES`) -> button label and MIME type."""

_FIRST_COLUMNS = (
    "direction",
    "ledger_status",
    "site_id",
    "site_name",
    "partner_site",
    "partner_name",
    "resource",
    "family",
    "quantity",
    "unit",
    "net_savings_eur",
    "net_co2e_t",
    "withheld",
)


def plan_options() -> allocation.AllocationOptions:
    """The plan the Report page books: money and CO2e at the bundled carbon price (the Plan
    page's and the command line's default objective)."""
    price = float(bundled_parameters()[CARBON_PRICE_KEY])
    return allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)


def cached_ledger(
    case: Case, analysis: Analysis, *, tier: privacy.Tier, with_plan: bool
) -> flows_ledger.Ledger:
    """:func:`flows.ledger.build_ledger` of the analysis for ``tier``, computed once per
    session while the analysis is the same object (the last :data:`MAX_LEDGERS` choices).

    Parameters
    ----------
    case
        The case the analysis was made of.
    analysis
        The analysis of the reference year (:func:`ui.synergies.cached_analysis`).
    tier
        The viewer's tier: the ledger is built for it, withheld figures included.
    with_plan
        Also book the new links of the plan of :func:`plan_options`, made for ``tier``
        (:func:`ui.plan.cached_plan`), so a plan never uses what the viewer may not see.

    Raises
    ------
    flows.allocation.AllocationError
        When the plan cannot be made (the page shows the message).
    flows.ledger.LedgerError
        When the ledger cannot be built.
    """
    entry = st.session_state.get(StateKeys.REPORT_RUNS)
    if entry is None or entry[0] is not analysis:
        entry = (analysis, {})
        st.session_state[StateKeys.REPORT_RUNS] = entry
    ledgers: dict[tuple[str, bool], flows_ledger.Ledger] = entry[1]
    key = (tier, with_plan)
    if key not in ledgers:
        booked = (
            plan.cached_plan(analysis, tier=tier, options=plan_options()) if with_plan else None
        )
        built = flows_ledger.build_ledger(case, analysis, booked, tier=tier)
        while len(ledgers) >= MAX_LEDGERS:
            ledgers.pop(next(iter(ledgers)))
        ledgers[key] = built
    return ledgers[key]


def kpis(ledger: flows_ledger.Ledger) -> dict[str, dict[str, float]]:
    """The headline figures of :data:`KPIS` per ledger status present (:data:`STATUSES`
    order), from :meth:`flows.ledger.Ledger.totals`.

    A figure withheld from the viewer, or that no record of that status knows (not scored),
    is NaN, never 0 (nor a part of it).
    """
    totals = ledger.totals().set_index("ledger_status")
    out: dict[str, dict[str, float]] = {}
    for status in STATUSES:
        if status not in totals.index:
            continue
        row = totals.loc[status]
        figures: dict[str, float] = {}
        for label, columns in KPIS.items():
            values = [float(row[c]) for c in columns]
            # One part withheld (or unknown) leaves the sum unknown: a part is not the whole.
            figures[label] = math.nan if any(map(math.isnan, values)) else math.fsum(values)
        out[status] = figures
    return out


def caption_lines(ledger: flows_ledger.Ledger, *, with_plan: bool) -> list[str]:
    """What the figures rest on, in plain sentences (not escaped): the parameter set, the
    reference year, the records and who books what, the plan booked, and how many records
    are withheld from this viewer (when any are)."""
    years = ", ".join(str(y) for y in ledger.years)
    exchanges = ledger.records["exchange_id"].nunique()
    lines = [
        f"Parameter set: {ledger.parameter_set}; reference year {years}; {ledger.tier} view",
        (
            f"{len(ledger):,} records of {exchanges:,} exchanges, an outgoing one for the "
            "provider and an incoming one for the receiver; transport and pipe investment are "
            "booked on the provider's record"
        ),
    ]
    if with_plan:
        price = plan_options().carbon_price_eur_per_t
        lines.append(f"The plan's new links are booked: money and CO2e at {price:,.0f} EUR/t CO2e")
    withheld = withheld_records(ledger)
    if withheld:
        lines.append(f"Withheld records: {withheld:,}")
    return [f"{line}." for line in lines]


def withheld_lines(ledger: flows_ledger.Ledger) -> list[str]:
    """What the consolidated totals withhold from this viewer and why, in plain sentences (not
    escaped; empty when nothing is): the rule first, then one line per reason, e.g. "3 totals
    withheld: fewer than 3 companies (12 figures)" (:meth:`flows.ledger.Ledger.
    withheld_summary`)."""
    lines = ledger.withheld_summary()
    if not lines:
        return []
    rule = privacy.DEFAULT_RULE
    who = "company" if rule.dominance_n == 1 else f"{rule.dominance_n} companies"
    return [
        (
            "A total that includes confidential flows is shown only if at least "
            f"{rule.min_companies} companies contribute to it, no {who} make"
            f"{'s' if rule.dominance_n == 1 else ''} up more than {rule.dominance_k_pct:g} % "
            "of it, and no withheld figure could be recomputed from it"
        ),
        *lines,
    ]


def withheld_records(ledger: flows_ledger.Ledger) -> int:
    """How many records show no figure to this viewer (:mod:`flows.privacy`)."""
    return int(ledger.records["withheld"].to_numpy(dtype=bool).sum())


def consolidation(ledger: flows_ledger.Ledger, by: str) -> pd.DataFrame:
    """The consolidation of the ledger by ``by`` (a key of :data:`CONSOLIDATIONS`).

    Raises
    ------
    ValueError
        For another ``by``.
    """
    if by not in CONSOLIDATIONS:
        msg = f"cannot consolidate by {by!r}; use one of {', '.join(CONSOLIDATIONS)}"
        raise ValueError(msg)
    return ledger.consolidate(CONSOLIDATIONS[by])


def chart_data(ledger: flows_ledger.Ledger, by: str, figure: str) -> pd.DataFrame:
    """A record figure (a key of :data:`FIGURES`) per group of ``by`` and ledger status, for
    a bar chart: columns ``group``, ``ledger_status``, ``value``; groups whose figure is
    unknown (withheld or not scored) are left out, not drawn as zero."""
    table = consolidation(ledger, by)
    frame = pd.DataFrame(
        {
            "group": table[CONSOLIDATIONS[by]].astype(str).to_numpy(dtype=object),
            "ledger_status": table["ledger_status"].astype(str).to_numpy(dtype=object),
            "value": table[figure].to_numpy(dtype="float64", na_value=np.nan),
        }
    )
    return frame[frame["value"].notna()].reset_index(drop=True)


def column_config(frame: pd.DataFrame) -> dict[str, ColumnConfig]:
    """How a ledger table shows its numbers: whole units with thousands separators, shares
    (``share_*``, 0 to 1) with two decimals."""
    config: dict[str, ColumnConfig] = {}
    for name in frame.columns:
        if pd.api.types.is_float_dtype(frame[name].dtype):
            shown = "%.2f" if str(name).startswith("share_") else "%,.0f"
            config[str(name)] = st.column_config.NumberColumn(format=shown)
    return config


def records_view(ledger: flows_ledger.Ledger, case: Case) -> pd.DataFrame:
    """The ledger's records with the names of both sites, the columns a reader needs first
    coming first (direction, status, the two parties, resource, quantity, the net figures),
    every other record column after them."""
    records = ledger.records
    names = pd.Series(
        case.sites["name"].astype(object).to_numpy(),
        index=case.sites["site_id"].astype(object).to_numpy(),
    )
    names = names[~names.index.duplicated()]
    view = records.assign(
        site_name=records["site_id"].astype(object).map(names).to_numpy(dtype=object),
        partner_name=records["partner_site"].astype(object).map(names).to_numpy(dtype=object),
    )
    first = [c for c in _FIRST_COLUMNS if c in view.columns]
    return view[first + [c for c in view.columns if c not in first]].reset_index(drop=True)


def ledger_file(ledger: flows_ledger.Ledger, case: Case, suffix: str) -> bytes:
    """The ledger as the bytes of a file of type ``suffix`` (:func:`flows.ledger.write_ledger`,
    through a temporary folder removed afterwards).

    The ledger is written as it is: it was built for the viewer's tier.

    Raises
    ------
    flows.ledger.LedgerError
        For a suffix not in :data:`flows.ledger.LEDGER_SUFFIXES`.
    flows._errors.CaseWriteError
        If the file cannot be written.
    """
    with tempfile.TemporaryDirectory(prefix="symbiomap-ledger-") as folder:
        path = flows_ledger.write_ledger(ledger, Path(folder) / f"ledger{suffix}", case=case)
        return path.read_bytes()
