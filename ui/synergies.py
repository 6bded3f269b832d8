"""Synergies in the app: cached matching and scoring, table filters, totals and downloads.

UI-side glue between the Synergies page and :mod:`flows` (no widgets here). The bundled synergy
library and parameter set are the same for every user and cached with ``st.cache_data``; the
candidates of a case live in the session only (``st.session_state``).
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
import streamlit as st

from flows import io as flows_io
from flows import library as synergy_library
from flows import matching, parameters, scoring
from flows.resources import FAMILIES
from ui.state import StateKeys

if TYPE_CHECKING:
    from flows.model import Case
    from flows.parameters import ParameterSet
    from ui.network import LoadedNetwork

__all__ = [
    "BASES",
    "CARBON_PRICE_KEY",
    "MAX_TABLE_ROWS",
    "PARK_SCOPES",
    "UNITS",
    "Filters",
    "Totals",
    "apply_filters",
    "bundled_library",
    "bundled_parameters",
    "cached_candidates",
    "cached_scores",
    "candidates_file",
    "family_label",
    "parameters_csv",
    "parameters_for",
    "park_scope",
    "selected_ids",
    "suggest_table",
    "table_key",
    "table_view",
    "totals",
]

CARBON_PRICE_KEY = "carbon.price"
"""The parameter the page lets people change (EUR/t CO2e)."""

UNITS = ("t/yr", "MWh/yr", "m3/yr")
"""Canonical units of candidate quantities: mass, energy, volume."""

BASES = {"declared": "Declared by both sites", "inferred": "Inferred from sector codes"}
"""``basis`` value -> plain label for the filter."""

PARK_SCOPES = {
    "within": "Within one park",
    "cross": "Between two parks",
    "outside": "Outside parks (one site or both)",
}
"""Where a candidate runs -> plain label for the filter (see :func:`park_scope`)."""

MAX_TABLE_ROWS = 5_000
"""Most rows the ranked table shows (the best ranked); totals and downloads cover them all."""

MAX_RUNS = 4
"""Matching results kept per session for the current case and network (one per set of options),
so toggling an option back is instant."""

Progress = Callable[[float, str], None]


@st.cache_data(show_spinner=False)
def bundled_library() -> pd.DataFrame:
    """The bundled synergy library (the same for everybody; each caller gets its own copy)."""
    return synergy_library.load_library()


@st.cache_data(show_spinner=False)
def bundled_parameters() -> ParameterSet:
    """The bundled, versioned parameter set (the same for everybody)."""
    return parameters.load_parameters()


def parameters_for(carbon_price: float | None) -> ParameterSet:
    """The bundled parameter set with the carbon price overridden when it differs from the
    set's (so an unchanged price keeps the plain version name, as the command line does)."""
    params = bundled_parameters()
    if carbon_price is None or float(carbon_price) == params[CARBON_PRICE_KEY]:
        return params
    return params.with_overrides({CARBON_PRICE_KEY: float(carbon_price)})


def cached_candidates(
    case: Case,
    net: LoadedNetwork | None,
    options: matching.MatchOptions,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """:func:`flows.matching.match` of this case on this network with these options, computed
    once per session and kept in ``st.session_state`` while the case and network are the same
    objects (the last :data:`MAX_RUNS` option sets).

    ``progress(fraction, message)`` is called only when matching actually runs.
    """
    entry = st.session_state.get(StateKeys.SYNERGY_RUNS)
    if entry is None or entry[0] is not case or entry[1] is not net:
        entry = (case, net, {})
        st.session_state[StateKeys.SYNERGY_RUNS] = entry
    runs: dict[matching.MatchOptions, pd.DataFrame] = entry[2]
    if options in runs:
        return runs[options]
    frame = matching.match(
        case,
        network=None if net is None else net.road,
        options=options,
        library=bundled_library(),
        progress=progress,
    )
    while len(runs) >= MAX_RUNS:
        runs.pop(next(iter(runs)))
    runs[options] = frame
    return frame


def cached_scores(candidates: pd.DataFrame, params: ParameterSet) -> pd.DataFrame:
    """:func:`flows.scoring.score` of ``candidates`` with ``params``, remembered in
    ``st.session_state`` for the last (candidates, parameter set) pair: a new carbon price
    re-scores, it never re-matches."""
    price = params[CARBON_PRICE_KEY]
    entry = st.session_state.get(StateKeys.SYNERGY_SCORES)
    if (
        entry is not None
        and entry[0] is candidates
        and entry[1] == params.version
        and entry[2] == price
    ):
        cached: pd.DataFrame = entry[3]
        return cached
    scored = scoring.score(candidates, params, bundled_library())
    st.session_state[StateKeys.SYNERGY_SCORES] = (candidates, params.version, price, scored)
    return scored


# -- filters -----------------------------------------------------------------------------


def family_label(family: str) -> str:
    """Plain-language name of a resource family (``"heat"`` -> ``"Heat and steam"``)."""
    return FAMILIES[family][0] if family in FAMILIES else family


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


# -- table, selection, totals ------------------------------------------------------------


def table_view(frame: pd.DataFrame, case: Case) -> pd.DataFrame:
    """The ranked table in plain language, one row per candidate of ``frame`` (same order)."""
    names = case.sites.set_index("site_id")["name"].astype("object")
    names = names.where(names.notna(), names.index.to_series())

    def name(ids: pd.Series) -> pd.Series:
        return ids.map(names).where(ids.isin(names.index), ids).astype("object")

    return pd.DataFrame(
        {
            "rank": frame["rank"].to_numpy(),
            "from": name(frame["supply_site"]).to_numpy(),
            "to": name(frame["demand_site"]).to_numpy(),
            "resource": frame["resource"].astype("object").to_numpy(),
            "quantity": scoring.mask_confidential(frame)["quantity"].to_numpy(dtype="float64"),
            "unit": frame["unit"].astype("object").to_numpy(),
            "distance km": frame["distance_m"].to_numpy(dtype="float64") / 1000.0,
            "distance kind": frame["distance_kind"].astype("object").to_numpy(),
            "EUR/yr": frame["net_benefit_eur"].to_numpy(dtype="float64"),
            "t CO2e/yr": frame["net_co2e_t"].to_numpy(dtype="float64"),
            "break-even km": frame["break_even_km"].to_numpy(dtype="float64"),
            "confidence": frame["confidence"].astype("object").to_numpy(),
            "family": frame["family"].map(lambda f: family_label(str(f))).to_numpy(),
            "explanation": frame["explanation"].astype("object").to_numpy(),
        }
    )


def table_key(frame: pd.DataFrame) -> str:
    """Widget key of the ranked table showing ``frame``: a new set or order of rows (another
    filter, carbon price) is a new table, so a selection never points at the wrong rows."""
    digest = hashlib.sha1(
        "\n".join(frame["candidate_id"].astype(str)).encode(), usedforsecurity=False
    )
    return f"{StateKeys.SYN_TABLE}_{digest.hexdigest()[:16]}"


def selected_ids(frame: pd.DataFrame, rows: list[int]) -> list[str]:
    """``candidate_id`` of the selected table rows (positions into ``frame``; stale positions
    beyond its end are ignored)."""
    valid = sorted({r for r in rows if 0 <= r < len(frame)})
    return [str(c) for c in frame["candidate_id"].iloc[valid]]


@dataclass(frozen=True)
class Totals:
    """Sums over a set of candidates (an upper bound: candidates compete for the same flows).

    Attributes
    ----------
    count
        Number of candidates.
    quantity
        Canonical unit -> summed quantity (units absent from the set are left out).
    net_co2e_t
        Net CO2e avoided, t/yr (unknown figures count as zero).
    net_benefit_eur
        Net benefit, EUR/yr (unknown figures count as zero).
    """

    count: int
    quantity: dict[str, float]
    net_co2e_t: float
    net_benefit_eur: float


def totals(frame: pd.DataFrame) -> Totals:
    """The :class:`Totals` of the candidates in ``frame``."""
    shown = scoring.mask_confidential(frame)  # a total of one confidential row would reveal it
    by_unit = shown.groupby(shown["unit"].astype("object"))["quantity"].sum(min_count=1)
    quantity = {
        str(u): float(v) for u, v in by_unit.items() if not (isinstance(v, float) and math.isnan(v))
    }
    ordered = {u: quantity[u] for u in UNITS if u in quantity}
    ordered.update({u: v for u, v in quantity.items() if u not in ordered})
    return Totals(
        count=len(frame),
        quantity=ordered,
        net_co2e_t=float(frame["net_co2e_t"].sum()),
        net_benefit_eur=float(frame["net_benefit_eur"].sum()),
    )


# -- downloads and the library box -------------------------------------------------------


def candidates_file(
    frame: pd.DataFrame, case: Case, fmt: Literal["csv", "gpkg"], params: ParameterSet
) -> bytes:
    """Scored candidates as the bytes of a ``.csv`` or ``.gpkg`` file (lines, with the
    parameter set as a second layer), via :func:`flows.io.write_candidates`."""
    with tempfile.TemporaryDirectory(prefix="symbiomap-syn-") as folder:
        path = Path(folder) / f"candidates.{fmt}"
        flows_io.write_candidates(frame, case, path, parameters=params)
        return path.read_bytes()


def parameters_csv(params: ParameterSet) -> bytes:
    """The parameter set as CSV, each row naming the set's version (``parameter_set``)."""
    table = params.to_frame()
    table.insert(0, "parameter_set", params.version)
    text: str = table.to_csv(index=False)
    return text.encode("utf-8")


def suggest_table(nace_code: str) -> pd.DataFrame:
    """What the synergy library says a sector's outputs could feed, in plain columns.

    Raises
    ------
    ValueError
        If ``nace_code`` is not a NACE Rev. 2.1 code.
    """
    found = synergy_library.suggest(nace_code=nace_code.strip(), library=bundled_library())
    return pd.DataFrame(
        {
            "resource": found["resource"],
            "what": found["resource_name"],
            "could feed (NACE)": found["receiver_nace"],
            "sector": found["receiver_name"],
            "replacing": found["substitutes"],
            "confidence": found["confidence"],
            "source": found["source"],
        }
    )
