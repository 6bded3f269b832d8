"""The Streamlit front end: session state, map building, offline assets and pages."""

from ui import assets, mapview, state

__all__ = ["assets", "mapview", "state"]
