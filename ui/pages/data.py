"""Data page: choose or upload a case, or start one from a region; read its validation report,
download it."""

from __future__ import annotations

from functools import partial
from typing import Literal

import streamlit as st
from streamlit_folium import st_folium

import datasets
from flows import periods
from flows._errors import CaseReadError, CaseWriteError
from flows.io import case_changes, case_to_bytes, template_xlsx_bytes
from ui import region
from ui.report import report_table
from ui.state import (
    StateKeys,
    apply_result,
    forget_upload,
    load_bundled,
    load_upload,
    record_load_error,
    upload_key,
)
from ui.text import escape_markdown

SHOWN_NOTES = 5
"""Notes shown per download; a workbook gets one per changed cell."""

st.header("Data")

bundled_col, upload_col = st.columns(2)
with bundled_col:
    st.subheader("Bundled case")
    names = datasets.available()
    current = st.session_state.get(StateKeys.CASE_LABEL)
    choice = st.selectbox(
        "Case",
        names,
        index=names.index(current) if current in names else 0,
        key=StateKeys.BUNDLED_CHOICE,
    )
    if st.button("Load bundled case", disabled=not names) and choice is not None:
        if apply_result(load_bundled(choice), label=choice):
            st.success(f"Loaded the bundled case {choice!r}.")
        else:
            st.error(f"The bundled case {choice!r} has errors; the current case is kept.")

with upload_col:
    st.subheader("Your case")
    upload = st.file_uploader(
        "GeoPackage, Excel workbook or zip of CSV files",
        type=["gpkg", "xlsx", "zip"],
        key=upload_key(),
        help="Your file stays in this session only; it is never shared with other users.",
    )
    if upload is not None and upload.file_id != st.session_state.get(StateKeys.UPLOAD_ID):
        st.session_state[StateKeys.UPLOAD_ID] = upload.file_id
        st.session_state[StateKeys.UPLOAD_NOTICE] = None
        try:
            replaced = apply_result(load_upload(upload.name, upload.getvalue()), label=upload.name)
        except CaseReadError as err:
            record_load_error(str(err), label=upload.name)
        else:
            if not replaced:
                name = escape_markdown(upload.name)
                notice = f"{name} has errors (see the report below); the case is kept."
                st.session_state[StateKeys.UPLOAD_NOTICE] = notice
        # The file has been read: a fresh uploader, so the old one's bytes are not kept for
        # the rest of the session (an upload held its memory until the tab closed).
        forget_upload(upload.file_id)
        del upload
        st.rerun()
    if shown := st.session_state.get(StateKeys.UPLOAD_NOTICE):
        st.session_state[StateKeys.UPLOAD_NOTICE] = None  # shown once, as before
        st.error(shown)
    st.download_button(
        "Blank Excel template",
        data=template_xlsx_bytes,
        file_name="symbiomap-template.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
    )

with st.expander("Start a case from a region"):
    st.caption(
        "Sites and flows from the bundled EU layers (Hotmaps industrial sites, power plants) "
        "inside an area; the case replaces the current one."
    )
    region.seed_inputs()
    area = st.radio("Area", region.AREAS, key=StateKeys.REGION_AREA, horizontal=True)
    if area == region.AREA_BOX:
        box = [
            column.number_input(
                label, min_value=low, max_value=high, step=0.01, format="%.4f", key=key
            )
            for column, label, low, high, key in zip(
                st.columns(4),
                ("West (lon)", "South (lat)", "East (lon)", "North (lat)"),
                (-180.0, -90.0, -180.0, -90.0),
                (180.0, 90.0, 180.0, 90.0),
                region.BOX_KEYS,
                strict=True,
            )
        ]
        if st.checkbox("Pick the area on the map", key=StateKeys.REGION_SHOW_MAP):
            view = st_folium(
                region.area_map(box),
                key=StateKeys.REGION_MAP,
                returned_objects=["bounds"],
                use_container_width=True,
                height=360,
            )
            view_bbox = region.bbox_from_bounds((view or {}).get("bounds"))
            st.button(
                "Use the map's current view as the area",
                disabled=view_bbox is None,
                on_click=region.use_view,
                args=(view_bbox,),
            )
    elif area == region.AREA_CASE:
        st.number_input(
            "Margin around the loaded case's sites (km)",
            min_value=0.0,
            max_value=500.0,
            step=1.0,
            key=StateKeys.REGION_MARGIN_KM,
        )
    else:
        st.text_input(
            "Place name",
            key=StateKeys.REGION_PLACE,
            placeholder="Gent, Belgium",
            help="Looked up on OpenStreetMap (Nominatim): needs the internet the first time; "
            "the answer is cached, so the same name works offline afterwards.",
        )
        st.caption("Needs the internet the first time a name is looked up; cached afterwards.")
    st.number_input(
        "Reference year",
        min_value=periods.FIRST_YEAR,
        max_value=periods.current_year() + 50,
        step=1,
        key=StateKeys.REGION_YEAR,
        help="Power plants not in operation in this year are left out.",
    )
    st.checkbox(
        "Add OpenStreetMap industrial and port areas as parks (downloads, cached)",
        key=StateKeys.REGION_ONLINE_PARKS,
    )
    if st.button("Build case", key=StateKeys.REGION_BUILD, type="primary"):
        with st.spinner("Building the case from the bundled layers…"):
            region.build_into_session(
                area,
                bbox=[st.session_state[key] for key in region.BOX_KEYS],
                place=str(st.session_state[StateKeys.REGION_PLACE]),
                margin_km=float(st.session_state[StateKeys.REGION_MARGIN_KM]),
                year=int(st.session_state[StateKeys.REGION_YEAR]),
                online_parks=bool(st.session_state.get(StateKeys.REGION_ONLINE_PARKS)),
            )
    outcome = st.session_state.get(StateKeys.REGION_OUTCOME)
    if outcome is not None and outcome.error:
        st.error(outcome.error)
    elif outcome is not None and outcome.report_text:
        st.success(
            f"Built {escape_markdown(str(outcome.label))}: it is now the current case "
            "(download it below)."
        )
        # Plain text from the layers and the user's place name: shown as code, never parsed.
        st.code(outcome.report_text, language=None, wrap_lines=True)

if error := st.session_state.get(StateKeys.LOAD_ERROR):
    label = escape_markdown(str(st.session_state.get(StateKeys.REPORT_LABEL)))
    st.subheader(f"Could not read {label}")
    st.error(error)

report = st.session_state.get(StateKeys.REPORT)
if report is not None:
    label = escape_markdown(str(st.session_state.get(StateKeys.REPORT_LABEL)))
    st.subheader(f"Validation report: {label}")
    st.write(report.summary())
    if report.findings:
        st.dataframe(
            report_table(report),
            hide_index=True,
            width="stretch",
            column_config={"row": st.column_config.NumberColumn(format="%d")},
        )

case = st.session_state.get(StateKeys.CASE)
if case is None:
    st.info("No case is loaded: choose a bundled case or upload one.")
    st.stop()

st.subheader(f"Current case: {escape_markdown(str(st.session_state.get(StateKeys.CASE_LABEL)))}")
stem = region.download_stem(st.session_state.get(StateKeys.CASE_LABEL))
downloads: list[tuple[Literal["gpkg", "xlsx", "zip"], str, str]] = [
    ("gpkg", "GeoPackage", "application/geopackage+sqlite3"),
    ("xlsx", "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("zip", "Zip of CSV files", "application/zip"),
]
for column, (fmt, label, mime) in zip(st.columns(3), downloads, strict=True):
    # What a file changes to stay safe (control characters, formula-like CSV text) is shown
    # before download, from the writers' own preparation; the file is built on click only.
    try:
        changes = case_changes(case, fmt)
    except CaseWriteError as err:
        column.button(f"Download as {label}", disabled=True, key=f"no-download-{fmt}")
        column.caption(f"Cannot be written: {escape_markdown(str(err))}")
        continue
    column.download_button(
        f"Download as {label}",
        data=partial(case_to_bytes, case, fmt),
        file_name=f"{stem}.{fmt}",
        mime=mime,
        on_click="ignore",
    )
    for note in changes[:SHOWN_NOTES]:
        column.caption(f"Changed to keep the file safe: {escape_markdown(note)}")
    if len(changes) > SHOWN_NOTES:
        column.caption(f"... and {len(changes) - SHOWN_NOTES:,} more changes of the same kind.")

sites_tab, flows_tab, exchanges_tab = st.tabs(["Sites", "Flows", "Exchanges"])
sites_tab.dataframe(case.sites.drop(columns="geometry"), hide_index=True, width="stretch")
flows_tab.dataframe(case.flows, hide_index=True, width="stretch")
exchanges_tab.dataframe(case.exchanges, hide_index=True, width="stretch")
