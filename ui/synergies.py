"""Synergies in the app: the session's cached analysis, the ranked table, downloads.

UI-side glue between the Synergies page and :mod:`flows` (no widgets here). The analysis is
:func:`flows.pipeline.analyse`, the same as the command line's; what a viewer sees of it goes
through :mod:`flows.privacy`. The reference data is read once per process
(:func:`flows.reference.default`); the analyses of a case live in the session only.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
import streamlit as st

from flows import exports as flows_exports
from flows import filters, pipeline, privacy, summary
from flows import library as synergy_library
from flows import reference as reference_data
from flows.resources import FAMILIES
from ui.state import StateKeys
from ui.text import resource_label

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
    "CandidatesFile",
    "Filters",
    "apply_filters",
    "bundled_library",
    "bundled_parameters",
    "cached_analysis",
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

UNITS = summary.UNITS
"""Canonical units of candidate quantities: mass, energy, volume."""

BASES = {"declared": "Declared by both sites", "inferred": "Inferred from sector codes"}
"""``basis`` value -> plain label for the filter."""


MAX_TABLE_ROWS = 5_000
"""Most rows the ranked table shows (the best ranked); totals and downloads cover them all."""

MAX_RUNS = 4
"""Matching results kept per session for the current case and network (one per set of options),
so toggling an option back is instant."""

Progress = Callable[[float, str], None]


def bundled_library() -> pd.DataFrame:
    """The bundled synergy library (:func:`flows.reference.default`, read once per process)."""
    return reference_data.default().library


def bundled_parameters() -> ParameterSet:
    """The bundled, versioned parameter set (the same for everybody)."""
    return reference_data.default().parameters


def parameters_for(carbon_price: float | None) -> ParameterSet:
    """The bundled parameter set with the carbon price overridden when it differs from the
    set's (so an unchanged price keeps the plain version name, as the command line does)."""
    params = bundled_parameters()
    if carbon_price is None or float(carbon_price) == params[CARBON_PRICE_KEY]:
        return params
    return params.with_overrides({CARBON_PRICE_KEY: float(carbon_price)})


def cached_analysis(
    case: Case,
    net: LoadedNetwork | None,
    options: pipeline.AnalysisOptions,
    *,
    progress: Progress | None = None,
) -> pipeline.Analysis:
    """:func:`flows.pipeline.analyse` of this case on this network with these options,
    computed once per session and kept in ``st.session_state`` while the case and network are
    the same objects (the last :data:`MAX_RUNS` option sets, so toggling back is instant).

    ``progress(fraction, message)`` is called only when the analysis actually runs.
    """
    entry = st.session_state.get(StateKeys.SYNERGY_RUNS)
    if entry is None or entry[0] is not case or entry[1] is not net:
        entry = (case, net, {})
        st.session_state[StateKeys.SYNERGY_RUNS] = entry
    runs: dict[pipeline.AnalysisOptions, pipeline.Analysis] = entry[2]
    if options in runs:
        runs[options] = runs.pop(options)  # most recently used last
        return runs[options]
    same_search = [a for a in runs.values() if a.options.match_options() == options.match_options()]
    analysis = pipeline.analyse(
        case,
        network=None if net is None else net.road,
        options=options,
        previous=same_search[-1] if same_search else None,
        progress=progress,
    )
    while len(runs) >= MAX_RUNS:
        runs.pop(next(iter(runs)))
    runs[options] = analysis
    return analysis


# -- filters (they live in flows.filters; the names stay here for the page) ----------------

Filters = filters.Filters
apply_filters = filters.apply_filters
park_scope = filters.park_scope
PARK_SCOPES = filters.PARK_SCOPES


def family_label(family: str) -> str:
    """Plain-language name of a resource family (``"heat"`` -> ``"Heat and steam"``)."""
    return FAMILIES[family][0] if family in FAMILIES else family


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
            "resource": _named(frame["resource"]).to_numpy(),
            "quantity": frame["quantity"].to_numpy(dtype="float64"),
            "unit": frame["unit"].astype("object").to_numpy(),
            "distance km": frame["distance_m"].to_numpy(dtype="float64") / 1000.0,
            "distance kind": frame["distance_kind"].astype("object").to_numpy(),
            "EUR/yr": frame["net_benefit_eur"].to_numpy(dtype="float64"),
            "t CO2e/yr": frame["net_co2e_t"].to_numpy(dtype="float64"),
            "break-even km": frame["break_even_km"].to_numpy(dtype="float64"),
            "in case": frame["exchange_status"].astype("object").to_numpy(),
            "parks": summary.park_route(frame).to_numpy(),
            "confidence": frame["confidence"].astype("object").to_numpy(),
            "family": frame["family"].map(lambda f: family_label(str(f))).to_numpy(),
            "explanation": frame["explanation"].astype("object").to_numpy(),
        }
    )


def _named(codes: pd.Series) -> pd.Series:
    """Resource codes with their names (:func:`ui.text.resource_label`), each distinct code
    looked up once."""
    distinct = pd.unique(codes.astype("object").dropna())
    names = {c: resource_label(c) for c in distinct}
    return codes.astype("object").map(names).fillna("")


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


def totals(frame: pd.DataFrame, *, tier: privacy.Tier) -> summary.Totals:
    """Totals of the candidates in ``frame`` as ``tier`` may see them (:mod:`flows.privacy`)."""
    return privacy.totals(frame, tier=tier)


# -- downloads and the library box -------------------------------------------------------


class CandidatesFile(bytes):
    """The bytes of a candidates file, with ``notes``: one sentence per change made to keep
    it safe (formula-like text quoted, control characters removed), to show beside the
    download button.

    A ``bytes`` so that it goes wherever the file's bytes go (a download button, a file).
    """

    notes: tuple[str, ...]

    def __new__(cls, data: bytes, notes: tuple[str, ...] = ()) -> CandidatesFile:
        made = super().__new__(cls, data)
        made.notes = tuple(notes)
        return made


def candidates_file(
    frame: pd.DataFrame, case: Case, fmt: Literal["csv", "gpkg"], params: ParameterSet
) -> CandidatesFile:
    """Scored candidates as the bytes of a ``.csv`` or ``.gpkg`` file (lines, with the
    parameter set as a second layer), via :func:`flows.exports.write_candidates`, with the
    notes it made."""
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="symbiomap-syn-") as folder:
        path = Path(folder) / f"candidates.{fmt}"
        # ``frame`` has been through flows.privacy already: write it as it is.
        flows_exports.write_candidates(frame, case, path, parameters=params, notes=notes)
        return CandidatesFile(path.read_bytes(), tuple(notes))


def csv_notes(frame: pd.DataFrame) -> tuple[str, ...]:
    """What the CSV download of ``frame`` changes to keep it safe in a spreadsheet
    (:func:`flows.exports.csv_changes`), known before the file is built."""
    return tuple(f"candidates.csv: {note}" for note in flows_exports.csv_changes(frame))


def parameters_csv(params: ParameterSet) -> bytes:
    """The parameter set as CSV, each row naming the set's version (``parameter_set``)."""
    table = params.to_frame()
    table.insert(0, "parameter_set", params.version)
    text: str = table.to_csv(index=False)
    return text.encode("utf-8")


def suggest_table(nace_code: str) -> pd.DataFrame:
    """What the synergy library says a sector's outputs could feed, in plain columns, ranked
    by documented evidence; ``attrs["note"]`` says how the code was read.

    Raises
    ------
    ValueError
        If ``nace_code`` is not a NACE Rev. 2.1 code.
    """
    found = synergy_library.suggest(nace_code=nace_code.strip(), library=bundled_library())
    table = pd.DataFrame(
        {
            "resource": found["resource"],
            "what": found["resource_name"],
            "could feed (NACE)": found["receiver_nace"],
            "sector": found["receiver_name"],
            "replacing": found["substitutes"],
            "documented exchanges": found["evidence_count"],
            "why": found["why"],
            "confidence": found["confidence"],
            "source": found["source"],
        }
    )
    # how the code was read (a fallback to its group, a Rev. 2 code mapped), for the page
    table.attrs["note"] = str(found.attrs.get("note", ""))
    return table
