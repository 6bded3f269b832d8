"""Names of the values a session keeps in ``st.session_state``, in one place.

A module of its own with no imports from :mod:`ui`, so every UI module can use the keys
without importing :mod:`ui.state` (which would bring back an import cycle).
"""

from __future__ import annotations

__all__ = ["StateKeys"]


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
    """Prefix of the file uploader's key; the rest is :attr:`UPLOAD_GENERATION` (see
    :func:`ui.state.upload_key`)."""
    UPLOAD_GENERATION = "upload_generation"
    """How many uploads were handled: a new uploader key after each, so Streamlit drops the
    file that was read instead of keeping its bytes for the rest of the session."""
    UPLOAD_NOTICE = "upload_notice"
    """Markdown-escaped message about the upload handled last, shown once, or None."""
    SESSION_TOKEN = "session_token"
    """A :class:`ui.memory.SessionToken`: once the server drops the session, its collection
    hands the session's memory back (:func:`ui.memory.release_when_collected`)."""
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
    """``(case, network, {AnalysisOptions: Analysis})``: analyses of this case on this network,
    most recently used last, reused while both are the same objects (see
    :func:`ui.synergies.cached_analysis`)."""
    VIEWER_TIER = "viewer_tier"
    """The privacy tier the pages show (:data:`flows.privacy.TIERS`), chosen in the sidebar."""
    PLAN_RUNS = "plan_runs"
    """``(analysis, {(tier, AllocationOptions): Plan})``: plans of the latest analysis the Plan
    page used, reused while it is the same object."""
    PLAN_OBJECTIVE = "plan_objective"
    """Key of the Plan page's objective choice (mixed, benefit, co2)."""
    PLAN_CARBON_PRICE = "plan_carbon_price"
    """Key of the Plan page's carbon price (EUR/t CO2e)."""
    PLAN_YEAR = "plan_year"
    """Key of the Plan page's reference year."""
    PLAN_MIN_SHARE = "plan_min_share"
    """Key of the Plan page's minimum share of a realised link's quantity."""
    PLAN_SANKEY_BY = "plan_sankey_by"
    """Key of the Sankey's grouping (sector or site)."""
    PLAN_SANKEY_UNIT = "plan_sankey_unit"
    """Key of the Sankey's unit (t/yr, MWh/yr, m3/yr)."""
    SYN_INFERRED = "syn_inferred"
    """Key of the "include inferred candidates" checkbox."""
    SYN_MAX_KM = "syn_max_km"
    """Key of the optional maximum distance (km) that overrides the library's, for matching."""
    SYN_CARBON_PRICE = "syn_carbon_price"
    """Key of the carbon price (EUR/t CO2e) input."""
    SYN_YEAR = "syn_year"
    """Key of the reference year input (what exists in that year is matched)."""
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
