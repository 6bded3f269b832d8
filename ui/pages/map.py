"""Map page: the current case's sites, parks and exchanges."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from ui.mapview import build_map, case_summary, escape_markdown
from ui.state import StateKeys

case = st.session_state.get(StateKeys.CASE)
if case is None:
    if error := st.session_state.get(StateKeys.LOAD_ERROR):
        st.error(error)
    st.info("No case is loaded yet: choose a bundled case or upload one on the **Data** page.")
    st.stop()

st.caption(escape_markdown(case_summary(case)))
st_folium(
    build_map(case),
    key="case_map",
    returned_objects=[],
    use_container_width=True,
    height=620,
)
