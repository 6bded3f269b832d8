"""Map page: the current case's sites, parks and exchanges, road network, distances, a route."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from flows import privacy
from geo import NetworkAreaError, NetworkFileError, NetworkUnavailableError, RoutingError
from ui import network
from ui.maps.case_map import build_map, case_summary, distance_text
from ui.state import StateKeys, set_network
from ui.text import escape_markdown, resource_label
from ui.viewer import tier_control

if TYPE_CHECKING:
    from flows.model import Case
    from ui.network import Route


def _build_network(
    case: Case, source: str, build: Callable[[network.Progress], network.LoadedNetwork]
) -> None:
    """Run ``build`` inside a status box; keep the network or a plain error in the session."""
    with st.status(f"Building the road network from {escape_markdown(source)}…") as status:
        try:
            loaded = build(lambda message: status.write(escape_markdown(message)))
        except NetworkUnavailableError as err:
            status.update(label="OpenStreetMap could not be reached", state="error")
            st.session_state[StateKeys.NETWORK_ERROR] = (
                "OpenStreetMap could not be reached from this machine, so no road network was "
                "downloaded. Upload an OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) or a "
                f"saved network (.graphml) instead. Details: {escape_markdown(str(err))}"
            )
            return
        except (NetworkFileError, NetworkAreaError, RoutingError, OSError) as err:
            status.update(label="No road network was built", state="error")
            st.session_state[StateKeys.NETWORK_ERROR] = escape_markdown(
                f"No road network could be built from {source}: {err}"
            )
            return
        set_network(loaded)
        if not network.network_coverage(case, loaded).ready:
            # Built, but useless for this case: say so rather than "ready".
            status.update(label="The road network covers none of the sites", state="error")
            return
        status.update(
            label=f"Road network ready: {loaded.summary}", state="complete", expanded=False
        )


def _network_section(case: Case) -> None:
    """Load, upload or download the case's road network; say which one is in use."""
    current_slot = st.empty()
    bundled = network.bundled_network_path(st.session_state.get(StateKeys.CASE_LABEL))
    if bundled is not None and st.button("Use the bundled road network"):
        set_network(network.load_network_file(str(bundled), bundled.stat().st_mtime_ns))
    upload = st.file_uploader(
        "OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) or saved network (.graphml)",
        type=network.NETWORK_FILE_TYPES,
        key=StateKeys.NETWORK_UPLOAD,
        help="Your file stays in this session only; it is never shared with other users.",
    )
    if upload is not None and upload.file_id != st.session_state.get(StateKeys.NETWORK_UPLOAD_ID):
        st.session_state[StateKeys.NETWORK_UPLOAD_ID] = upload.file_id
        data = upload.getvalue()
        _build_network(
            case,
            upload.name,
            lambda progress: network.network_from_upload(upload.name, data, progress=progress),
        )
    box = network.download_box_km(case)
    width_km, height_km = box if box is not None else (0.0, 0.0)
    too_big = max(width_km, height_km) > network.MAX_DOWNLOAD_SIDE_KM
    if st.button(
        "Download from OpenStreetMap",
        disabled=box is None or too_big,
        help="Downloads the roads around the sites (2 km beyond them); needs the internet.",
    ):
        _build_network(
            case,
            "OpenStreetMap",
            lambda progress: network.download_network(case, progress=progress),
        )
    if box is None:
        st.caption("The case has no located site, so there is no area to download roads for.")
    elif too_big:
        st.caption(
            f"The sites span {width_km:,.0f} km × {height_km:,.0f} km, too wide to download "
            "here; upload an OpenStreetMap extract of the area instead."
        )
    if error := st.session_state.get(StateKeys.NETWORK_ERROR):
        st.error(error)
    current = st.session_state.get(StateKeys.NETWORK)
    if current is None:
        current_slot.write("No road network is loaded.")
        return
    name = f"{escape_markdown(current.label)} · {escape_markdown(current.summary)}"
    coverage = network.network_coverage(case, current)
    if not coverage.ready:
        current_slot.warning(f"Road network: {name}. {escape_markdown(coverage.describe())}")
    elif note := coverage.describe():
        current_slot.success(f"Road network: {name}. {escape_markdown(note)}")
    else:
        current_slot.success(f"Road network: {name}")


def _route_of(row: pd.Series, loaded: network.LoadedNetwork | None, case: Case) -> Route | None:
    """Say how far the exchange ``row`` goes; return its road route when one can be drawn."""
    text = distance_text(row) or "unknown"
    if row["mode"] not in network.ROUTED_MODES:
        st.info(
            f"This exchange goes by {escape_markdown(str(row['mode']))}: only road and "
            f"pipeline exchanges are drawn on the road network. Its distance is {text}."
        )
        return None
    if loaded is None:
        st.info(
            "No road network is loaded, so this route cannot be drawn: load one under "
            f"**Road network** above. Its distance is {text}."
        )
        return None
    found = network.cached_route(loaded, case, str(row["from_site"]), str(row["to_site"]))
    if isinstance(found, str):
        st.warning(f"{escape_markdown(found)} Its distance is {text}.")
        return None
    note = ""
    if row["mode"] == "pipeline":
        note = (
            " For a pipeline this is where a trench along the roads would run; its distance "
            "in the table is estimated."
        )
    st.success(
        f"Road route: {found.distance_m / 1000:,.2f} km, {found.duration_s / 60:,.0f} min "
        f"(including {found.access_from_m:,.0f} m and {found.access_to_m:,.0f} m from the "
        f"sites to the nearest roads).{note}"
    )
    return found


tier = tier_control()
owner_case: Case | None = st.session_state.get(StateKeys.CASE)
if owner_case is None:
    if error := st.session_state.get(StateKeys.LOAD_ERROR):
        st.error(error)
    st.info("No case is loaded yet: choose a bundled case or upload one on the **Data** page.")
    st.stop()
    raise SystemExit  # unreachable: st.stop() ends the run; tells the type checker so
case = privacy.case(owner_case, tier=tier)  # what this viewer may be shown

st.caption(escape_markdown(case_summary(case)))
if case.sites.empty:
    # Loading refuses such a case; one set another way still gets a sentence, not a traceback.
    st.warning("This case has no site, so there is nothing to draw: load a case with sites.")
    st.stop()
with st.expander("Road network"):
    _network_section(owner_case)

loaded = st.session_state.get(StateKeys.NETWORK)
# Distances and routes hold no quantity: computed on the owner's case, cached by its identity.
distances = network.cached_distances(owner_case, loaded)
exchanges = case.exchanges.join(distances)

choice = st.selectbox(
    "Draw the road route of an exchange",
    [None, *exchanges.index],
    format_func=lambda i: "— none —" if i is None else network.exchange_label(exchanges.loc[i]),
    key=StateKeys.ROUTE_CHOICE,
)
route, route_label = None, ""
# Always one container here, so the map keeps its place in the page (no reload flicker).
with st.container():
    if choice is not None:
        route_label = network.exchange_label(exchanges.loc[choice])
        route = _route_of(exchanges.loc[choice], loaded, owner_case)

st_folium(
    build_map(case, distances=distances, route=route, route_label=route_label),
    key="case_map",
    returned_objects=[],
    use_container_width=True,
    height=620,
)

if not exchanges.empty:
    if loaded is None:
        st.write(
            "No road network is loaded, so every distance is estimated: the straight-line "
            "(geodesic) distance times the mode's circuity factor."
        )
    else:
        n_road = int((exchanges["distance_kind"] == "road").sum())
        st.write(
            f"{n_road} of {len(exchanges)} exchanges are measured along the roads; the others "
            "(other modes, or sites more than 1 km from a road) are estimated from the "
            "straight-line distance times the mode's circuity factor."
        )
    table = pd.DataFrame(
        {
            "from": exchanges["from_site"],
            "to": exchanges["to_site"],
            "resource": exchanges["resource"].map(resource_label),
            "mode": exchanges["mode"],
            "distance km": exchanges["distance_m"] / 1000,
            "duration min": exchanges["duration_s"] / 60,
            "distance kind": exchanges["distance_kind"],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "distance km": st.column_config.NumberColumn(format="%.2f"),
            "duration min": st.column_config.NumberColumn(format="%.0f"),
        },
    )
