"""SymbioMap's Streamlit entry point: page setup, session state and navigation.

Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from ui.errors import run_page
from ui.state import init_state

st.set_page_config(page_title="SymbioMap", layout="wide")
init_state()
# No page icons: Streamlit fetches Material icons from a CDN, and the app must work offline.
page = st.navigation(
    [
        st.Page("ui/pages/map.py", title="Map", default=True),
        st.Page("ui/pages/synergies.py", title="Synergies"),
        st.Page("ui/pages/plan.py", title="Plan"),
        st.Page("ui/pages/report.py", title="Report"),
        st.Page("ui/pages/data.py", title="Data"),
    ]
)
# Anything unexpected a page raises becomes a short message with an error id; the traceback
# goes to the server's log only (ui.errors).
run_page(page)
