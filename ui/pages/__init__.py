"""Streamlit pages, run by ``st.navigation`` in ``app.py`` (not imported as modules)."""
