"""Plan page: the best set of exchanges for the cluster, against the greedy pairwise choice,
as figures, a Sankey diagram of what flows between sectors or sites, a map and a table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from flows import allocation, heat_networks
from flows.pipeline import AnalysisOptions
from ui import charts, controls, plan, synergies
from ui.maps.candidate_map import build_candidate_map
from ui.state import StateKeys
from ui.text import escape_markdown
from ui.viewer import tier_control

if TYPE_CHECKING:
    from flows.model import Case

OBJECTIVE_LABELS: dict[str, str] = {
    "mixed": "Money and CO2e at the carbon price",
    "benefit": "Money only",
    "co2": "CO2e avoided only",
}
UNITS = {"t/yr": "materials (t/yr)", "MWh/yr": "energy (MWh/yr)", "m3/yr": "water (m3/yr)"}


def _controls() -> tuple[AnalysisOptions, allocation.AllocationOptions]:
    """The analysis and plan options the page's widgets set."""
    params = synergies.bundled_parameters()
    objective_col, price_col, year_col, share_col = st.columns(4)
    objective: allocation.Objective = objective_col.selectbox(
        "Maximise",
        ("mixed", "benefit", "co2"),
        format_func=OBJECTIVE_LABELS.__getitem__,
        key=StateKeys.PLAN_OBJECTIVE,
    )
    price = price_col.number_input(
        "Carbon price (EUR/t CO2e)",
        min_value=0.0,
        value=float(params[synergies.CARBON_PRICE_KEY]),
        step=5.0,
        key=StateKeys.PLAN_CARBON_PRICE,
    )
    year = controls.reference_year(year_col, key=StateKeys.PLAN_YEAR)
    share = share_col.slider(
        "Smallest share of a link worth realising",
        min_value=0.0,
        max_value=1.0,
        value=0.0,
        step=0.05,
        key=StateKeys.PLAN_MIN_SHARE,
        help="0: any flow may be planned; 0.5: a link carries at least half of what it could.",
    )
    analysis_options = AnalysisOptions(carbon_price_eur_per_t=float(price), year=int(year))
    plan_options = allocation.AllocationOptions(
        objective=objective, carbon_price_eur_per_t=float(price), min_share=float(share)
    )
    return analysis_options, plan_options


def _kpis(result: allocation.Plan) -> None:
    chosen = result.chosen
    roles = chosen["plan_role"].astype(str)
    cells = [
        (f"Plan ({result.unit})", f"{result.value:,.0f}"),
        ("In place", f"{result.value - result.new_value:,.0f}"),
        ("New links", f"{result.new_value:,.0f}"),
        ("Greedy choice of new links", f"{result.greedy_new_value:,.0f}"),
        ("t CO2e/yr", f"{float(chosen['plan_co2e_t'].sum()):,.0f}"),
        ("Links realised (new)", f"{int((roles == 'new').sum()):,}"),
    ]
    # two rows of three: the figures are long (tens of millions) and must show whole
    for row in (cells[:3], cells[3:]):
        for column, (label, value) in zip(st.columns(len(row)), row, strict=True):
            column.metric(label, value)
    st.caption(" ".join(f"{escape_markdown(line)}." for line in allocation.plan_lines(result)))


def _sankey(result: allocation.Plan, case: Case) -> None:
    """What the plan moves between sectors or sites, in one unit at a time."""
    chosen = result.chosen
    present = [u for u in UNITS if (chosen["unit"].astype(str) == u).any()]
    if not present:
        return
    by_col, unit_col = st.columns(2)
    by: Literal["sector", "site"] = by_col.radio(
        "Flows between", ("sector", "site"), horizontal=True, key=StateKeys.PLAN_SANKEY_BY
    )
    unit = unit_col.radio(
        "Of",
        present,
        format_func=UNITS.__getitem__,
        horizontal=True,
        key=StateKeys.PLAN_SANKEY_UNIT,
    )
    flows = allocation.flows_between(chosen, case, by=by, unit=unit)
    title = f"What the plan moves between {by}s ({unit})"
    st.plotly_chart(charts.sankey(flows, unit=unit, title=title), width="stretch")


def _bands(result: allocation.Plan, case: Case) -> None:
    """P10-P90 of the plan's figures, in the viewer's tier (confidential flows take no part
    below the owner's view)."""
    draws = int(
        st.number_input(
            "Monte Carlo draws for uncertainty bands (0: none)",
            min_value=0,
            max_value=10_000,
            value=0,
            step=100,
            key=StateKeys.PLAN_DRAWS,
            help="Prices, factors and quantities drawn from the ranges of "
            "datasets/reference/uncertainty.csv; seeded, so the same draws give the same bands.",
        )
    )
    if not draws:
        return
    bands = plan.cached_bands(
        analysis, result, case=case, options=plan_options, draws=draws, tier=tier
    )
    st.markdown(f"**P10 / P50 / P90 over {bands.draws:,} draws** ({bands.elapsed_s:.1f} s)")
    st.dataframe(bands.kpis, width="stretch")


def _networks(found: list[heat_networks.HeatNetwork], result: allocation.Plan) -> None:
    """Shared heat networks joining several sources and sinks, offered to the plan beside the
    point-to-point pipes (drawn on the map too), and whether the plan builds them."""
    with st.expander(f"Shared heat networks ({len(found)})"):
        if not found:
            st.write("No three or more heat sites within reach form a network.")
            return
        built = set(result.networks.loc[result.networks["built"], "network_id"])
        offered = set(result.networks["network_id"])
        st.caption(
            "Each network is offered to the plan as one yes/no decision beside the pipes; it is "
            "not offered when the candidates it joins are already in place or could not pay "
            "its annual cost."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "network": [n.network_id for n in found],
                    "sites": [len(n.sites) for n in found],
                    "length km": [n.length_m / 1000 for n in found],
                    "heat carried MWh/yr": [n.carried_mwh_per_yr for n in found],
                    "lost MWh/yr": [n.heat_loss_mwh_per_yr for n in found],
                    "investment EUR": [n.investment_eur for n in found],
                    "EUR per MWh delivered": [n.levelised_cost_eur_per_mwh for n in found],
                    "distance": [n.distance_kind for n in found],
                    "in the plan": [
                        "built"
                        if n.network_id in built
                        else "offered, not built"
                        if n.network_id in offered
                        else "not offered"
                        for n in found
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )


st.header("Plan")
case = controls.loaded_case()

tier = tier_control()
analysis_options, plan_options = _controls()
network = st.session_state.get(StateKeys.NETWORK)
analysis = synergies.cached_analysis(case, network, analysis_options)
controls.year_note(analysis)
road = None if network is None else network.road
shared = analysis.shared_heat_networks(case, tier=tier, road=road)
try:
    result = plan.cached_plan(analysis, tier=tier, options=plan_options, networks=shared)
except allocation.AllocationError as err:
    st.warning(escape_markdown(str(err)))
    st.stop()
st.caption(
    "Each supply and each demand is used once at most; exchanges already in place keep their "
    "share first. Candidates whose figures are withheld from this viewer take no part."
)
_kpis(result)
_bands(result, case)
if result.chosen.empty:
    st.info("Nothing is worth realising with these settings.")
    st.stop()
_sankey(result, case)
_networks(shared, result)
edges = pd.concat([n.edges for n in shared], ignore_index=True) if shared else None
st_folium(
    build_candidate_map(case, result.chosen, networks=edges),
    key="plan_map",
    returned_objects=[],
    use_container_width=True,
    height=480,
)
table = synergies.table_view(result.chosen, case)
table.insert(4, "planned", result.chosen["planned_flow"].to_numpy())
table.insert(5, "role", result.chosen["plan_role"].to_numpy())
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"planned": st.column_config.NumberColumn(format="%,.0f")},
)
