"""The Plan page: the page's figures are the API's plan, the Sankey and the map are drawn, the
controls re-plan, and a viewer never plans with what is withheld from them."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from flows import allocation, pipeline, uncertainty
from flows.model import Case
from ui.state import StateKeys

PAGE = "ui/pages/plan.py"


@pytest.fixture
def page(app: AppTest) -> AppTest:
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def _metrics(at: AppTest) -> dict[str, float]:
    return {m.label: float(m.value.replace(",", "")) for m in at.metric}


def _api_plan(at: AppTest, year: int, objective: allocation.Objective) -> allocation.Plan:
    case = at.session_state[StateKeys.CASE]
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=year))
    price = analysis.parameters["carbon.price"]
    options = allocation.AllocationOptions(objective=objective, carbon_price_eur_per_t=price)
    return analysis.plan(tier="public", options=options)


def test_the_page_shows_the_api_plan_of_the_default_case(page: AppTest) -> None:
    page.number_input(key=StateKeys.PLAN_YEAR).set_value(2010).run()
    assert not page.exception, page.exception
    expected = _api_plan(page, 2010, "mixed")
    shown = _metrics(page)
    assert shown["Plan (EUR/yr)"] == pytest.approx(expected.value, abs=1)
    assert shown["In place"] == pytest.approx(expected.value - expected.new_value, abs=1)
    assert shown["New links"] in {
        float(len(expected.chosen[expected.chosen["plan_role"] == "new"]))
    }
    assert shown["t CO2e/yr"] == pytest.approx(expected.chosen["plan_co2e_t"].sum(), abs=1)
    # the Sankey of what moves between sectors, and the plan's table
    assert len(page.get("plotly_chart")) == 1
    tables = [d.value for d in page.dataframe if "planned" in d.value.columns]
    assert len(tables) == 1
    assert len(tables[0]) == len(expected.chosen)
    assert set(tables[0]["role"]) == {"in place"}


def test_the_objective_and_the_year_re_plan(page: AppTest) -> None:
    page.selectbox(key=StateKeys.PLAN_OBJECTIVE).set_value("co2").run()
    assert not page.exception, page.exception
    assert "Plan (t CO2e/yr)" in _metrics(page)
    expected = _api_plan(page, page.session_state[StateKeys.PLAN_YEAR], "co2")
    assert _metrics(page)["Plan (t CO2e/yr)"] == pytest.approx(expected.value, abs=1)


def test_confidential_candidates_take_no_part_in_the_public_plan(page: AppTest) -> None:
    case: Case = page.session_state[StateKeys.CASE]
    secret = dataclasses.replace(case, flows=case.flows.assign(confidential=True))
    page.session_state[StateKeys.CASE] = secret
    page.run()
    assert not page.exception, page.exception
    assert _metrics(page)["Plan (EUR/yr)"] == 0.0
    warnings = " ".join(i.value for i in page.info)
    assert "Nothing is worth realising" in warnings
    page.sidebar.selectbox(key=StateKeys.VIEWER_TIER).set_value("owner").run()
    assert _metrics(page)["Plan (EUR/yr)"] != 0.0


def test_without_a_case_the_page_asks_for_one(page: AppTest) -> None:
    page.session_state[StateKeys.CASE] = None
    page.run()
    assert not page.exception
    assert any("No case is loaded" in i.value for i in page.info)


def test_each_tier_sees_its_own_uncertainty_bands_and_the_heat_networks(page: AppTest) -> None:
    # Asnæs, the wastewater heat pump and the district heating form one network (2026)
    assert any(e.label == "Shared heat networks (1)" for e in page.expander)
    case: Case = page.session_state[StateKeys.CASE]
    page.session_state[StateKeys.CASE] = dataclasses.replace(
        case, flows=case.flows.assign(confidential=case.flows["site_id"] == "asnaes")
    )
    page.number_input(key=StateKeys.PLAN_DRAWS).set_value(100).run()
    assert not page.exception, page.exception
    public = next(d.value for d in page.dataframe if "p10" in d.value.columns)
    # the public bands are the API's public Monte Carlo: the confidential flows take no part
    analysis = pipeline.analyse(
        page.session_state[StateKeys.CASE],
        options=pipeline.AnalysisOptions(year=page.session_state[StateKeys.PLAN_YEAR]),
    )
    price = analysis.parameters["carbon.price"]
    options = allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)
    expected = uncertainty.monte_carlo(
        analysis, draws=100, seed=0, plan_options=options,
        case=page.session_state[StateKeys.CASE], tier="public",
    )  # fmt: skip
    for column in ("deterministic", "p10", "p50", "p90"):
        assert public[column].to_numpy() == pytest.approx(
            expected.kpis[column].to_numpy(), rel=1e-6, abs=1e-6
        )
    page.sidebar.selectbox(key=StateKeys.VIEWER_TIER).set_value("owner").run()
    assert not page.exception, page.exception
    bands = [d.value for d in page.dataframe if "p10" in d.value.columns]
    assert len(bands) == 1
    table = bands[0]
    assert (table["p10"] <= table["p50"]).all()
    assert (table["p50"] <= table["p90"]).all()
    # the same draws again give the same bands (seeded, cached per plan)
    page.run()
    again = next(d.value for d in page.dataframe if "p10" in d.value.columns)
    assert again.equals(table)
