"""Session-state keys, their seeding, and how a loaded case enters the session."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

import datasets
from flows.io import load_case
from ui.mapview import escape_markdown

if TYPE_CHECKING:
    from flows.io import LoadResult
    from ui.network import LoadedNetwork

__all__ = [
    "StateKeys",
    "apply_result",
    "clear_network",
    "init_state",
    "load_bundled",
    "load_upload",
    "set_network",
]


class StateKeys:
    """Names of the values a session keeps in ``st.session_state``."""

    CASE = "case"
    """The current :class:`flows.model.Case`, or None."""
    CASE_LABEL = "case_label"
    """Where the current case came from (bundled name or uploaded file name)."""
    REPORT = "report"
    """The :class:`flows.validation.ValidationReport` of the latest load attempt, or None."""
    REPORT_LABEL = "report_label"
    """Which input the report is about."""
    LOAD_ERROR = "load_error"
    """Markdown-escaped message of the latest input that could not be read at all, or None."""
    UPLOAD = "upload"
    """Key of the file uploader widget."""
    UPLOAD_ID = "upload_id"
    """``file_id`` of the upload handled last, so a rerun does not load it again."""
    BUNDLED_CHOICE = "bundled_choice"
    """Key of the bundled-case select box."""
    NETWORK = "network"
    """The road network of the current case (:class:`ui.network.LoadedNetwork`), or None."""
    NETWORK_ERROR = "network_error"
    """Markdown-escaped message of the latest network that could not be built, or None."""
    NETWORK_UPLOAD = "network_upload"
    """Key of the road network file uploader widget."""
    NETWORK_UPLOAD_ID = "network_upload_id"
    """``file_id`` of the network upload handled last, so a rerun does not build it again."""
    DISTANCES = "distances"
    """``(case, network, frame)``: the exchange distances computed last, reused while the case
    and network are the same objects (see :func:`ui.network.cached_distances`)."""
    ROUTE_CHOICE = "route_choice"
    """Key of the select box of the exchange whose road route is drawn."""
    ROUTE = "route"
    """``(network, case, from_site, to_site, route)``: the route computed last."""
    SYNERGY_RUNS = "synergy_runs"
    """``(case, network, {MatchOptions: candidates})``: matching results of this case on this
    network, reused while both are the same objects (see :func:`ui.synergies.cached_candidates`)."""
    SYNERGY_SCORES = "synergy_scores"
    """``(candidates, parameter version, carbon price, scored)``: the scores computed last."""
    SYN_INFERRED = "syn_inferred"
    """Key of the "include inferred candidates" checkbox."""
    SYN_MAX_KM = "syn_max_km"
    """Key of the optional maximum distance (km) that overrides the library's, for matching."""
    SYN_CARBON_PRICE = "syn_carbon_price"
    """Key of the carbon price (EUR/t CO2e) input."""
    SYN_FAMILIES = "syn_families"
    """Key of the resource family filter (empty: every family)."""
    SYN_BASES = "syn_bases"
    """Key of the declared/inferred filter (empty: both)."""
    SYN_SCOPES = "syn_scopes"
    """Key of the within-park / across-parks / outside-parks filter (empty: all)."""
    SYN_FILTER_KM = "syn_filter_km"
    """Key of the table's maximum distance filter (km; None: no limit)."""
    SYN_MIN_QUANTITY = "syn_min_quantity"
    """Prefix of the minimum quantity inputs, one per canonical unit (``syn_min_quantity_t/yr``)."""
    SYN_TABLE = "syn_table"
    """Prefix of the ranked table's key; the rest is a digest of the rows shown, so a new table
    starts with no selection (see :func:`ui.synergies.table_key`)."""
    SYN_SUGGEST_NACE = "syn_suggest_nace"
    """Key of the NACE code input of the "What could this sector feed?" box."""


@st.cache_data(show_spinner="Loading bundled case…")
def load_bundled(name: str) -> LoadResult:
    """Load the bundled, read-only case ``name`` (cached: it is the same for every session).

    ``st.cache_data`` hands every caller its own copy, so a session cannot alter what
    another one sees. Never pass user uploads through this function.

    Raises
    ------
    ValueError
        If no such case is bundled.
    """
    return load_case(datasets.get_path(name), display_name=name)


def load_upload(file_name: str, data: bytes) -> LoadResult:
    """Load an uploaded case from its bytes, for this session only (never cached).

    The bytes are written under their original name into a temporary folder that is removed
    once the case has been read, so messages name the user's file.

    Parameters
    ----------
    file_name
        The uploaded file's name; its extension selects the reader (``.gpkg``, ``.xlsx``,
        ``.zip``).
    data
        The file's content.

    Raises
    ------
    flows._errors.CaseReadError
        If the file cannot be read at all (not a zip, unknown extension, ...).
    """
    safe_name = Path(file_name).name or "upload"
    with tempfile.TemporaryDirectory(prefix="symbiomap-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        return load_case(path, display_name=safe_name)


def apply_result(result: LoadResult, *, label: str) -> bool:
    """Record a load attempt in the session; replace the case only if it has no errors.

    Parameters
    ----------
    result
        What :func:`flows.io.load_case` returned.
    label
        How the input is called (bundled name or file name).

    Returns
    -------
    bool
        Whether the current case was replaced.
    """
    st.session_state[StateKeys.REPORT] = result.report
    st.session_state[StateKeys.REPORT_LABEL] = label
    st.session_state[StateKeys.LOAD_ERROR] = None
    if result.case is None:
        return False
    st.session_state[StateKeys.CASE] = result.case
    st.session_state[StateKeys.CASE_LABEL] = label
    clear_network()
    st.session_state.pop(StateKeys.ROUTE_CHOICE, None)
    return True


def clear_network() -> None:
    """Forget the road network and everything measured with it: distances, route and synergy
    results (the case changed, or a new network replaces the old one)."""
    for key in (
        StateKeys.NETWORK,
        StateKeys.NETWORK_ERROR,
        StateKeys.DISTANCES,
        StateKeys.ROUTE,
        StateKeys.SYNERGY_RUNS,
        StateKeys.SYNERGY_SCORES,
    ):
        st.session_state[key] = None


def set_network(network: LoadedNetwork) -> None:
    """Make ``network`` (a :class:`ui.network.LoadedNetwork`) the session's road network."""
    clear_network()
    st.session_state[StateKeys.NETWORK] = network


def init_state() -> None:
    """Seed every key once per session; the first run loads :data:`datasets.DEFAULT_CASE`."""
    defaults: dict[str, object] = {
        StateKeys.CASE: None,
        StateKeys.CASE_LABEL: None,
        StateKeys.REPORT: None,
        StateKeys.REPORT_LABEL: None,
        StateKeys.LOAD_ERROR: None,
        StateKeys.UPLOAD_ID: None,
        StateKeys.NETWORK: None,
        StateKeys.NETWORK_ERROR: None,
        StateKeys.NETWORK_UPLOAD_ID: None,
        StateKeys.DISTANCES: None,
        StateKeys.ROUTE: None,
        StateKeys.SYNERGY_RUNS: None,
        StateKeys.SYNERGY_SCORES: None,
    }
    first_run = StateKeys.CASE not in st.session_state
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    if not first_run:
        return
    try:
        result = load_bundled(datasets.DEFAULT_CASE)
    except (ValueError, OSError) as err:
        msg = f"The bundled case {datasets.DEFAULT_CASE!r} could not be loaded: {err}"
        st.session_state[StateKeys.LOAD_ERROR] = escape_markdown(msg)
        return
    apply_result(result, label=datasets.DEFAULT_CASE)
