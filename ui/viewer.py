"""Who is looking: the sidebar control of the privacy tier every page shows.

The tier is handed to :mod:`flows.privacy`, which alone decides what that viewer may see.
"""

from __future__ import annotations

import streamlit as st

from flows import privacy
from ui.keys import StateKeys


def tier_control() -> privacy.Tier:
    """The sidebar's "Viewing as" box; public unless the owner asks for everything."""
    tier: privacy.Tier = st.sidebar.selectbox(
        "Viewing as",
        privacy.TIERS,
        index=privacy.TIERS.index(privacy.DEFAULT_TIER),
        format_func=privacy.TIER_LABELS.__getitem__,
        key=StateKeys.VIEWER_TIER,
        help="Public withholds the quantities of confidential flows and every figure derived "
        "from them, on the maps, in the tables and totals, and in the downloads.",
    )
    return tier
