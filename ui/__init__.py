"""The Streamlit front end: session state, map building, offline assets and pages."""

from ui import assets, maps, state

__all__ = ["assets", "maps", "state"]
