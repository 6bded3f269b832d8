"""Report page: the transaction ledger (being built)."""

from __future__ import annotations

import streamlit as st

st.header("Report")
st.info("The transaction ledger's page is being built.")
