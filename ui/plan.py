"""The Plan page's glue: one plan per analysis, tier and options (with the shared heat
networks offered to it) and its uncertainty bands, kept in the session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import streamlit as st

from flows import allocation, heat_networks, privacy, uncertainty
from flows.pipeline import Analysis
from ui.keys import StateKeys

if TYPE_CHECKING:
    from flows.model import Case

MAX_PLANS = 8
"""Plans kept per analysis, so that toggling an option back is instant."""


def cached_plan(
    analysis: Analysis,
    *,
    tier: privacy.Tier,
    options: allocation.AllocationOptions,
    networks: Sequence[heat_networks.HeatNetwork] = (),
) -> allocation.Plan:
    """:meth:`flows.pipeline.Analysis.plan`, computed once per session while the analysis is
    the same object (the last :data:`MAX_PLANS` tier and option sets). ``networks`` are the
    shared heat networks of that analysis and tier
    (:meth:`flows.pipeline.Analysis.shared_heat_networks`), offered
    beside the pipes.

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
        plans[key] = analysis.plan(tier=tier, options=options, networks=networks)
    return plans[key]


def cached_bands(
    analysis: Analysis,
    result: allocation.Plan,
    *,
    case: Case,
    options: allocation.AllocationOptions,
    draws: int,
    tier: privacy.Tier,
    seed: int = 0,
) -> uncertainty.MonteCarlo:
    """:func:`flows.uncertainty.monte_carlo` of a plan, once per session while the plan is the
    same object, in ``tier``'s view (withheld candidates take no part in the draws)."""
    entry = st.session_state.get(StateKeys.MC_RUNS)
    if entry is None or entry[0] is not result:
        entry = (result, {})
        st.session_state[StateKeys.MC_RUNS] = entry
    runs: dict[tuple[int, int, str], uncertainty.MonteCarlo] = entry[1]
    if (draws, seed, tier) not in runs:
        runs[(draws, seed, tier)] = uncertainty.monte_carlo(
            analysis,
            draws=draws,
            seed=seed,
            plan_options=options,
            plan=result,
            case=case,
            tier=tier,
        )
    return runs[(draws, seed, tier)]
