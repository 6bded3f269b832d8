"""The Plan page's glue: one plan per analysis, tier and options, kept in the session."""

from __future__ import annotations

import streamlit as st

from flows import allocation, privacy
from flows.pipeline import Analysis
from ui.keys import StateKeys

MAX_PLANS = 8
"""Plans kept per analysis, so that toggling an option back is instant."""


def cached_plan(
    analysis: Analysis, *, tier: privacy.Tier, options: allocation.AllocationOptions
) -> allocation.Plan:
    """:meth:`flows.pipeline.Analysis.plan`, computed once per session while the analysis is
    the same object (the last :data:`MAX_PLANS` tier and option sets).

    Raises
    ------
    flows.allocation.AllocationError
        When the request cannot be planned (the page shows the message).
    """
    entry = st.session_state.get(StateKeys.PLAN_RUNS)
    if entry is None or entry[0] is not analysis:
        entry = (analysis, {})
        st.session_state[StateKeys.PLAN_RUNS] = entry
    plans: dict[tuple[str, allocation.AllocationOptions], allocation.Plan] = entry[1]
    key = (tier, options)
    if key not in plans:
        while len(plans) >= MAX_PLANS:
            plans.pop(next(iter(plans)))
        plans[key] = analysis.plan(tier=tier, options=options)
    return plans[key]
