"""Synergies page: candidate exchanges found and scored, filtered, mapped and downloaded."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import streamlit as st
from streamlit_folium import st_folium

from flows import privacy, summary
from flows.pipeline import Analysis, AnalysisOptions
from flows.resources import FAMILIES
from ui import controls, synergies
from ui.maps.candidate_map import MAX_CANDIDATE_LINES, build_candidate_map, candidates_to_draw
from ui.state import StateKeys
from ui.text import escape_markdown
from ui.viewer import tier_control

if TYPE_CHECKING:
    import pandas as pd

    from flows.model import Case
    from flows.parameters import ParameterSet


def _suggest_box() -> None:
    """What the synergy library says a sector could feed, before there is any data."""
    with st.expander("What could this sector feed?"):
        code = st.text_input(
            "NACE code of the sector (e.g. 35.11, 23.5 or 10)",
            key=StateKeys.SYN_SUGGEST_NACE,
            help="Looks the sector up in the bundled synergy library; no case needed.",
        )
        if not code.strip():
            return
        try:
            table = synergies.suggest_table(code)
        except ValueError as err:
            st.warning(escape_markdown(str(err)))
            return
        if table.attrs.get("note"):
            st.caption(escape_markdown(table.attrs["note"]))
        if table.empty:
            st.info("The library has no synergy for that sector; try a broader code (division).")
            return
        st.dataframe(table, hide_index=True, width="stretch")


def _controls(params: ParameterSet) -> AnalysisOptions:
    """The analysis options: inferred candidates, one distance limit, the carbon price, the
    reference year."""
    inferred_col, km_col, price_col, year_col = st.columns(4)
    include_inferred = inferred_col.checkbox(
        "Include inferred candidates",
        key=StateKeys.SYN_INFERRED,
        help="Pairs a declared flow with one the synergy library expects from a site's NACE "
        "code; flagged as inferred, with the library's confidence.",
    )
    max_km = km_col.number_input(
        "Maximum distance for every resource (km)",
        min_value=0.1,
        value=None,
        placeholder="each resource's economic distance",
        key=StateKeys.SYN_MAX_KM,
        help="Leave empty to use the synergy library's economic distance per resource.",
    )
    carbon_price = price_col.number_input(
        "Carbon price (EUR/t CO2e)",
        min_value=0.0,
        value=float(params[synergies.CARBON_PRICE_KEY]),
        step=5.0,
        key=StateKeys.SYN_CARBON_PRICE,
        help="Candidates are valued at this price; each price is computed once per session.",
    )
    year = controls.reference_year(year_col, key=StateKeys.SYN_YEAR)
    return AnalysisOptions(
        max_km=max_km,
        include_inferred=include_inferred,
        carbon_price_eur_per_t=float(carbon_price),
        year=int(year),
    )


def _find(case: Case, options: AnalysisOptions) -> Analysis:
    """The case's analysis (cached in the session), with a progress bar while it runs."""
    slot = st.empty()

    def report(fraction: float, message: str) -> None:
        text = f"Finding synergies: {escape_markdown(message)}…"
        slot.progress(min(max(float(fraction), 0.0), 1.0), text=text)

    analysis = synergies.cached_analysis(
        case, st.session_state.get(StateKeys.NETWORK), options, progress=report
    )
    slot.empty()
    return analysis


def _filters(scored: pd.DataFrame) -> synergies.Filters:
    """The table's filters; an empty choice keeps everything."""
    family_col, basis_col, scope_col, km_col = st.columns(4)
    present = [str(f) for f in scored["family"].dropna().unique()]
    family_options = [*FAMILIES, *sorted(f for f in present if f not in FAMILIES)]
    families = family_col.multiselect(
        "Resource family",
        family_options,
        format_func=synergies.family_label,
        placeholder="All families",
        key=StateKeys.SYN_FAMILIES,
    )
    bases = basis_col.multiselect(
        "Basis",
        list(synergies.BASES),
        format_func=synergies.BASES.__getitem__,
        placeholder="Declared and inferred",
        key=StateKeys.SYN_BASES,
    )
    scopes = scope_col.multiselect(
        "Where",
        list(synergies.PARK_SCOPES),
        format_func=synergies.PARK_SCOPES.__getitem__,
        placeholder="Anywhere",
        key=StateKeys.SYN_SCOPES,
    )
    max_km = km_col.number_input(
        "Longest distance shown (km)",
        min_value=0.0,
        value=None,
        placeholder="no limit",
        key=StateKeys.SYN_FILTER_KM,
    )
    minimum: dict[str, float] = {}
    for column, unit in zip(st.columns(len(synergies.UNITS)), synergies.UNITS, strict=True):
        value = column.number_input(
            f"Smallest quantity ({unit})",
            min_value=0.0,
            value=0.0,
            step=1000.0,
            key=f"{StateKeys.SYN_MIN_QUANTITY}_{unit}",
            help=f"Hides {unit} candidates below it; candidates in other units are kept.",
        )
        minimum[unit] = float(value)
    return synergies.Filters(
        families=tuple(families),
        bases=tuple(bases),
        scopes=tuple(scopes),
        min_quantity=minimum,
        max_km=max_km,
    )


def _table(filtered: pd.DataFrame, case: Case) -> list[str]:
    """The ranked table with row selection; returns the selected candidate ids."""
    shown = filtered.head(synergies.MAX_TABLE_ROWS)
    if len(filtered) > len(shown):
        st.caption(
            f"The table shows the best {len(shown):,} of {len(filtered):,} candidates; the "
            "totals and downloads cover all of them."
        )
    event = st.dataframe(
        synergies.table_view(shown, case),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=synergies.table_key(shown),
        column_config={
            "from": st.column_config.TextColumn(width="medium"),
            "to": st.column_config.TextColumn(width="medium"),
            "quantity": st.column_config.NumberColumn(format="%,.0f"),
            "distance km": st.column_config.NumberColumn(format="%.1f"),
            "EUR/yr": st.column_config.NumberColumn(format="%,.0f"),
            "t CO2e/yr": st.column_config.NumberColumn(format="%,.0f"),
            "break-even km": st.column_config.NumberColumn(
                format="%,.0f", help="Farther than this the exchange no longer pays."
            ),
            "explanation": st.column_config.TextColumn(width="large"),
        },
    )
    return synergies.selected_ids(shown, list(event.selection.rows))


def _kpis(frame: pd.DataFrame, *, selected: bool, tier: privacy.Tier) -> None:
    """Totals of the selected candidates, or of every filtered one: new potential and the
    exchanges already in place, apart."""
    total = synergies.totals(frame, tier=tier)
    what = "selected" if selected else "in the table"
    st.markdown(f"**Totals of the {total.count:,} candidates {what}**")
    for heading, figures, suffix in (
        ("New potential", total.new_potential, ""),
        ("In place", total.in_place, " in place"),
    ):
        cells = [
            (heading, f"{figures.count:,}"),
            *((f"{unit}{suffix}", f"{value:,.0f}") for unit, value in figures.quantity.items()),
            (f"t CO2e/yr{suffix}", f"{figures.net_co2e_t:,.0f}"),
            (f"EUR/yr{suffix}", f"{figures.net_benefit_eur:,.0f}"),
        ]
        for column, (label, value) in zip(st.columns(len(cells)), cells, strict=True):
            column.metric(label, value)
    st.caption(" ".join(f"{line}." for line in summary.totals_lines(total)))


def _downloads(frame: pd.DataFrame, case: Case, params: ParameterSet) -> None:
    stem = str(st.session_state.get(StateKeys.CASE_LABEL) or "case").rsplit(".", 1)[0]
    csv_col, gpkg_col, params_col = st.columns(3)
    csv_col.download_button(
        "Candidates (CSV)",
        data=partial(synergies.candidates_file, frame, case, "csv", params),
        file_name=f"{stem}-synergies.csv",
        mime="text/csv",
        on_click="ignore",
    )
    gpkg_col.download_button(
        "Candidates as lines (GeoPackage)",
        data=partial(synergies.candidates_file, frame, case, "gpkg", params),
        file_name=f"{stem}-synergies.gpkg",
        mime="application/geopackage+sqlite3",
        on_click="ignore",
    )
    params_col.download_button(
        "Parameter set (CSV)",
        data=partial(synergies.parameters_csv, params),
        file_name=f"{stem}-parameters.csv",
        mime="text/csv",
        on_click="ignore",
    )
    # What the CSV changes (formula-like text quoted, control characters removed) shows before
    # download; the file itself is built on click only.
    for note in synergies.csv_notes(frame):
        csv_col.caption(f"Changed to keep the file safe: {escape_markdown(note)}")


st.header("Synergies")
case = st.session_state.get(StateKeys.CASE)
if case is None:
    st.info("No case is loaded yet: choose a bundled case or upload one on the **Data** page.")
    _suggest_box()
    st.stop()

tier = tier_control()
options = _controls(synergies.bundled_parameters())
network = st.session_state.get(StateKeys.NETWORK)
analysis = _find(case, options)
st.caption(
    f"Parameter set: {escape_markdown(analysis.parameter_set)} · distances "
    + (
        f"on the road network {escape_markdown(network.label)} where sites are near a road, "
        "freight on ways a 40 t lorry may use"
        if network is not None
        else "estimated (straight line × circuity): load a road network on the Map page"
    )
)
controls.year_note(analysis)
params = analysis.parameters
scored = analysis.view(tier=tier)  # every table, total, map and file below shows this view
if scored.empty:
    st.info(
        "No candidate exchange lies within the resources' economic distances. Include inferred "
        "candidates, or allow a longer maximum distance."
    )
    _suggest_box()
    st.stop()

filtered = synergies.apply_filters(scored, _filters(scored))
st.caption(f"{len(filtered):,} of {len(scored):,} candidates match the filters, best first.")
selected_ids = _table(filtered, case)
chosen = filtered[filtered["candidate_id"].isin(selected_ids)]
_kpis(chosen if selected_ids else filtered, selected=bool(selected_ids), tier=tier)

drawn = candidates_to_draw(filtered, selected_ids)
if len(drawn) < len(filtered):
    st.caption(
        f"The map draws the best {MAX_CANDIDATE_LINES:,} candidates of the table (and any "
        f"you select), not all {len(filtered):,}."
    )
st_folium(
    build_candidate_map(case, drawn, selected=selected_ids),
    key="synergy_map",
    returned_objects=[],
    use_container_width=True,
    height=560,
)
_downloads(filtered, case, params)
_suggest_box()
