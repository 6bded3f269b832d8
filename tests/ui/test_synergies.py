"""Tests of the Synergies page (AppTest), its glue (:mod:`ui.synergies`) and the candidate
layer of the map (:func:`ui.maps.candidate_map.build_candidate_map`)."""

from __future__ import annotations

import html
import io
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

import datasets
from flows import matching, pipeline, privacy, summary
from flows.parameters import load_parameters
from flows.resources import FAMILIES
from ui import synergies
from ui.maps import candidate_map
from ui.maps.candidate_map import (
    NON_PAYING_COLOUR,
    NON_PAYING_WEIGHT_PX,
    benefit_weights,
    build_candidate_map,
    candidate_features,
    candidates_to_draw,
)
from ui.maps.features import MAX_WEIGHT_PX, MIN_WEIGHT_PX
from ui.state import StateKeys
from ui.text import escape_markdown

OTHER_SETS = "symbiomap-pipes 2026.1; symbiomap-counterfactuals 2026.1"
"""The pipe and counterfactual sets every result records beside the parameter set."""

if TYPE_CHECKING:
    from flows.model import Case

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "ui/pages/synergies.py"
TIMEOUT_S = 60
MALICIOUS_NAME = "<script>alert(1)</script>"  # the name the tiny_case fixture gives a site


# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def page() -> AppTest:
    """The Synergies page showing the default (Kalundborg) case."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if "EUR/yr" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def _table_key(at: AppTest) -> str:
    keys = [d.key for d in at.dataframe if "EUR/yr" in d.value.columns]
    assert len(keys) == 1
    assert keys[0] is not None
    return keys[0]


def _scored(at: AppTest, tier: privacy.Tier = "public") -> pd.DataFrame:
    """The candidates of the page's most recently used analysis, as ``tier`` sees them (the
    page's default is public)."""
    runs = at.session_state[StateKeys.SYNERGY_RUNS][2]
    analysis = list(runs.values())[-1]
    frame: pd.DataFrame = analysis.view(tier=tier)
    return frame


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _select(at: AppTest, rows: list[int]) -> AppTest:
    """Select table rows as a click in the browser would."""
    at.session_state[_table_key(at)] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    return at


# -- the page ------------------------------------------------------------------------------


def test_page_lists_ranked_candidates_of_the_default_case(page: AppTest) -> None:
    table = _table(page)
    scored = _scored(page)
    assert len(table) == len(scored) > 0
    assert list(table.columns) == [
        "rank", "from", "to", "resource", "quantity", "unit", "distance km", "distance kind",
        "EUR/yr", "t CO2e/yr", "break-even km", "in case", "parks", "confidence", "family",
        "explanation",
    ]  # fmt: skip
    assert list(table["rank"]) == sorted(table["rank"])
    assert set(table["distance kind"]) == {"estimated"}  # no network loaded
    case = page.session_state[StateKeys.CASE]
    assert set(table["from"]) <= set(case.sites["name"])
    assert set(table["confidence"]) == {"declared"}  # inferred ones are off by default
    # codes come with their names: the fermentation residues, steam by its carrier name
    resources_shown = set(table["resource"])
    assert any(r.startswith("07 07 99 — ") for r in resources_shown)
    assert any(r.startswith("steam — ") for r in resources_shown)
    assert all(" — " in r for r in resources_shown)
    captions = " ".join(c.value for c in page.caption)
    assert "symbiomap" in captions
    assert "counting each flow once" in captions
    assert "symbiomap\\-pipes" in captions
    # the bundled case is analysed for this year: Gyproc closed in 2024, the coal units in 2019
    assert "reference year" in captions.lower()
    assert not any(r.startswith("10 01 05") for r in resources_shown)
    assert len(page.get("download_button")) == 3


def test_page_without_a_case_asks_for_one_and_still_offers_the_library(page: AppTest) -> None:
    page.session_state[StateKeys.CASE] = None
    page.run()
    assert not page.exception, page.exception
    assert "No case is loaded" in page.info[0].value
    page.text_input(key=StateKeys.SYN_SUGGEST_NACE).input("35.11").run()
    assert not page.exception, page.exception
    suggestions = page.dataframe[0].value
    assert len(suggestions) > 0
    assert "heat" in set(suggestions["resource"])


def test_an_invalid_nace_code_in_the_library_box_is_a_warning(page: AppTest) -> None:
    page.text_input(key=StateKeys.SYN_SUGGEST_NACE).input("99.99").run()
    assert not page.exception, page.exception
    assert any(escape_markdown("'99.99' is not a NACE") in w.value for w in page.warning)


@pytest.mark.parametrize(
    ("key", "value", "check"),
    [
        (StateKeys.SYN_FAMILIES, ["heat"], lambda t: set(t["family"]) == {"Heat and steam"}),
        (StateKeys.SYN_SCOPES, ["within"], lambda t: len(t) > 0),
        (StateKeys.SYN_FILTER_KM, 3.0, lambda t: (t["distance km"] <= 3.0).all()),
        (
            f"{StateKeys.SYN_MIN_QUANTITY}_t/yr",
            100_000.0,
            lambda t: (t.loc[t["unit"] == "t/yr", "quantity"] >= 100_000).all(),
        ),
    ],
)
def test_each_filter_reduces_the_rows(page: AppTest, key: str, value: Any, check: Any) -> None:
    before = _table(page)
    if isinstance(value, list):
        page.multiselect(key=key).set_value(value).run()
    else:
        page.number_input(key=key).set_value(value).run()
    assert not page.exception, page.exception
    after = _table(page)
    assert 0 < len(after) < len(before)
    assert check(after)
    assert set(after["rank"]) <= set(before["rank"])


def test_inferred_candidates_appear_and_the_basis_filter_hides_them(page: AppTest) -> None:
    declared = len(_table(page))
    page.checkbox(key=StateKeys.SYN_INFERRED).check().run()
    both = _table(page)
    assert len(both) > declared
    assert {"high", "medium", "low"} & set(both["confidence"])
    page.multiselect(key=StateKeys.SYN_BASES).set_value(["declared"]).run()
    assert len(_table(page)) == declared
    page.multiselect(key=StateKeys.SYN_BASES).set_value(["inferred"]).run()
    assert set(_table(page)["confidence"]) <= {"high", "medium", "low"}


def test_a_carbon_price_change_rescores_without_matching_again(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    original = matching.match

    def counting(*args: Any, **kwargs: Any) -> pd.DataFrame:
        calls.append(kwargs.get("options"))
        return original(*args, **kwargs)

    monkeypatch.setattr(matching, "match", counting)
    before = _scored(page).set_index("candidate_id")
    eur_before = _metrics(page)["EUR/yr in place"]
    co2_before = _metrics(page)["t CO2e/yr in place"]
    page.number_input(key=StateKeys.SYN_CARBON_PRICE).set_value(200.0).run()
    assert not page.exception, page.exception
    after = _scored(page).set_index("candidate_id")
    assert calls == []  # the candidates were not searched again
    assert set(after.index) == set(before.index)
    assert _metrics(page)["EUR/yr in place"] != eur_before
    assert _metrics(page)["t CO2e/yr in place"] == co2_before
    assert (after["parameter_set"] == f"symbiomap-params 2026.2+user; {OTHER_SETS}").all()
    paying = before["net_co2e_t"] > 0
    gain = after.loc[before.index, "net_benefit_eur"] - before["net_benefit_eur"]
    assert (gain[paying] > 0).all()
    version = escape_markdown("symbiomap-params 2026.2+user")
    assert any(version in c.value for c in page.caption)


def _shown_totals(at: AppTest) -> dict[str, float]:
    return {label: _number(value) for label, value in _metrics(at).items()}


def _assert_metrics(at: AppTest, totals: summary.Totals) -> None:
    """The page's metrics are the API's totals: new potential and in place apart."""
    shown = _shown_totals(at)
    for figures, suffix, heading in (
        (totals.new_potential, "", "New potential"),
        (totals.in_place, " in place", "In place"),
    ):
        assert shown[heading] == figures.count
        assert shown[f"EUR/yr{suffix}"] == pytest.approx(figures.net_benefit_eur, abs=1)
        assert shown[f"t CO2e/yr{suffix}"] == pytest.approx(figures.net_co2e_t, abs=1)
        for unit, value in figures.quantity.items():
            assert shown[f"{unit}{suffix}"] == pytest.approx(value, abs=1)


def test_kpis_are_the_totals_of_the_filtered_rows_or_of_the_selection(page: AppTest) -> None:
    page.multiselect(key=StateKeys.SYN_FAMILIES).set_value(["heat", "water"]).run()
    filtered = synergies.apply_filters(_scored(page), synergies.Filters(families=("heat", "water")))
    assert len(_table(page)) == len(filtered)
    totals = synergies.totals(filtered, tier="public")
    assert totals.in_place.count > 0  # Asnæs steam and heat, Tissø water...
    _assert_metrics(page, totals)
    assert "t/yr in place" not in _metrics(page)  # no mass candidate among heat and water

    _select(page, [0, 2])
    _assert_metrics(page, synergies.totals(filtered.iloc[[0, 2]], tier="public"))
    assert any("2 candidates selected" in m.value for m in page.markdown)


def test_selected_rows_are_highlighted_on_the_map(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[pd.DataFrame, list[str]]] = []
    original = candidate_map.build_candidate_map

    def recording(case: Case, candidates: pd.DataFrame, **kwargs: Any) -> folium.Map:
        drawn.append((candidates, list(kwargs["selected"])))
        return original(case, candidates, **kwargs)

    monkeypatch.setattr(candidate_map, "build_candidate_map", recording)
    _select(page, [1, 3])
    candidates, selected = drawn[-1]
    scored = _scored(page)
    assert selected == list(scored["candidate_id"].iloc[[1, 3]])
    assert len(candidates) == len(scored)
    # a new filter is a new table: the old selection does not carry over to other rows
    page.multiselect(key=StateKeys.SYN_FAMILIES).set_value(["heat"]).run()
    assert drawn[-1][1] == []


# -- parity with the command line ----------------------------------------------------------


def _cli(tmp_path: Path, *flags: str) -> pd.DataFrame:
    out = tmp_path / "x.csv"
    done = subprocess.run(
        [sys.executable, "-m", "flows", "match", str(datasets.get_path("kalundborg")),
         *flags, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return pd.read_csv(out)


@pytest.mark.parametrize(
    ("inferred", "max_km", "price"),
    [(False, None, None), (True, 15.0, 120.0)],
    ids=["defaults", "inferred-15km-120eur"],
)
def test_page_figures_equal_the_command_line(
    page: AppTest, tmp_path: Path, inferred: bool, max_km: float | None, price: float | None
) -> None:
    flags: list[str] = []
    if inferred:
        page.checkbox(key=StateKeys.SYN_INFERRED).check()
        flags.append("--include-inferred")
    if max_km is not None:
        page.number_input(key=StateKeys.SYN_MAX_KM).set_value(max_km)
        flags += ["--max-km", str(max_km)]
    if price is not None:
        page.number_input(key=StateKeys.SYN_CARBON_PRICE).set_value(price)
        flags += ["--carbon-price", str(price)]
    page.run()
    assert not page.exception, page.exception
    cli = _cli(tmp_path, *flags).set_index("candidate_id")
    ours = _scored(page).set_index("candidate_id")
    assert set(ours.index) == set(cli.index)
    assert len(ours) == len(cli) > 0
    for column in ("net_benefit_eur", "net_co2e_t", "quantity", "distance_m"):
        np.testing.assert_allclose(
            ours.loc[cli.index, column].to_numpy(dtype="float64"),
            cli[column].to_numpy(dtype="float64"),
            rtol=1e-6,
            equal_nan=True,
            err_msg=column,
        )
    assert set(ours["parameter_set"]) == set(cli["parameter_set"])
    # the table shows the same figures, in the same order
    table = _table(page)
    ranked = cli.sort_values("rank")
    np.testing.assert_allclose(
        table["EUR/yr"].to_numpy(dtype="float64"),
        ranked["net_benefit_eur"].to_numpy(dtype="float64"),
        rtol=1e-6,
        equal_nan=True,
    )
    # and so does the page's CSV download
    case = page.session_state[StateKeys.CASE]
    params = synergies.parameters_for(price)
    download = pd.read_csv(
        io.BytesIO(synergies.candidates_file(_scored(page), case, "csv", params))
    )
    assert set(download["candidate_id"]) == set(cli.index)


# -- glue ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kalundborg_scored(kalundborg: Case) -> pd.DataFrame:
    options = pipeline.AnalysisOptions(include_inferred=True)
    return pipeline.analyse(kalundborg, options=options).candidates


def test_park_scope_and_filters(kalundborg_scored: pd.DataFrame) -> None:
    scope = synergies.park_scope(kalundborg_scored)
    assert set(scope) <= set(synergies.PARK_SCOPES)
    assert (scope == "cross").sum() == int(kalundborg_scored["cross_park"].sum())
    everything = synergies.apply_filters(kalundborg_scored, synergies.Filters())
    assert len(everything) == len(kalundborg_scored)
    parts = [
        synergies.apply_filters(kalundborg_scored, synergies.Filters(scopes=(s,)))
        for s in synergies.PARK_SCOPES
    ]
    assert sum(len(p) for p in parts) == len(kalundborg_scored)
    small = synergies.apply_filters(
        kalundborg_scored, synergies.Filters(min_quantity={"MWh/yr": 1e12})
    )
    assert "MWh/yr" not in set(small["unit"])
    assert len(small) == (kalundborg_scored["unit"] != "MWh/yr").sum()


def test_totals_sum_each_unit_separately(kalundborg_scored: pd.DataFrame) -> None:
    total = synergies.totals(kalundborg_scored, tier="owner")
    assert total.count == len(kalundborg_scored)
    in_place = kalundborg_scored[kalundborg_scored["exchange_status"].astype(str) == "active"]
    assert total.in_place.candidates == len(in_place)
    share = summary.best_per_flow(in_place)
    for unit, value in total.in_place.quantity.items():
        rows = (in_place["unit"] == unit).to_numpy()
        expected = np.nansum((in_place["quantity"].to_numpy(dtype="float64") * share)[rows])
        assert value == pytest.approx(expected)
    assert list(total.in_place.quantity) == [
        u for u in synergies.UNITS if u in total.in_place.quantity
    ]
    assert total.in_place.net_benefit_eur == pytest.approx(
        np.nansum(in_place["net_benefit_eur"].to_numpy(dtype="float64") * share)
    )


def test_selected_ids_ignore_stale_rows(kalundborg_scored: pd.DataFrame) -> None:
    head = kalundborg_scored.head(3)
    assert synergies.selected_ids(head, [2, 0, 7, -1]) == list(head["candidate_id"].iloc[[0, 2]])
    assert synergies.table_key(head) != synergies.table_key(kalundborg_scored.head(4))


def test_downloads_record_the_parameter_set(
    kalundborg: Case, kalundborg_scored: pd.DataFrame, tmp_path: Path
) -> None:
    params = synergies.parameters_for(90.0)
    assert params.version.endswith("+user")
    assert synergies.parameters_for(params["carbon.price"] - 15) is not params
    assert synergies.parameters_for(75.0).version == load_parameters().version
    table = pd.read_csv(io.BytesIO(synergies.parameters_csv(params)))
    assert set(table["parameter_set"]) == {params.version}
    assert table.set_index("key").loc["carbon.price", "value"] == 90.0
    gpkg = tmp_path / "c.gpkg"
    gpkg.write_bytes(synergies.candidates_file(kalundborg_scored, kalundborg, "gpkg", params))
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"candidates", "parameters"}
    lines = pyogrio.read_dataframe(gpkg, layer="candidates")
    assert len(lines) == len(kalundborg_scored)
    assert set(lines.geom_type) == {"LineString"}


# -- the candidate layer of the map --------------------------------------------------------


def _tiny_candidates() -> pd.DataFrame:
    """Four candidates between the tiny case's sites: three paying, one not; one inferred."""
    rows = [
        ("plant", "farm", "heat", "heat", "declared", 1_000.0, "MWh/yr", 5e6),
        ("plant", "works", "10 01 05", "minerals", "declared", 200_000.0, "t/yr", 5e4),
        ("works", "evil", "process-water", "water", "inferred", 300.0, "m3/yr", 5e2),
        ("evil", "farm", "10 01 05", "minerals", "declared", 10.0, "t/yr", -2e3),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["supply_site", "demand_site", "resource", "family", "basis", "quantity", "unit",
                 "net_benefit_eur"],
    )  # fmt: skip
    frame["candidate_id"] = frame["supply_site"] + ">" + frame["demand_site"]
    frame["net_co2e_t"] = frame["net_benefit_eur"] / 100
    frame["distance_m"] = 1500.0
    frame["mode"] = "road"
    frame["distance_kind"] = "estimated"
    frame["confidence"] = np.where(frame["basis"] == "inferred", "high", "declared")
    frame["explanation"] = frame["supply_site"] + " could send <b>things</b> & more"
    return frame


def _layer(m: folium.Map, name: str) -> folium.GeoJson:
    layers = [
        c for c in m._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name
    ]
    assert len(layers) == 1, f"expected one {name!r} layer, found {len(layers)}"
    return layers[0]


def test_one_line_per_candidate_coloured_by_family(tiny_case: Case) -> None:
    candidates = _tiny_candidates()
    m = build_candidate_map(tiny_case, candidates, tiles=False)
    features = _layer(m, "New potential").data["features"]
    assert len(features) == len(candidates)
    props = [f["properties"] for f in features]
    assert props[0]["colour"] == FAMILIES["heat"][1]
    assert props[3]["colour"] == NON_PAYING_COLOUR  # does not pay
    assert [p["dash"] != "" for p in props] == [False, False, True, False]  # inferred dashed
    assert _layer(m, "Sites").data["features"]
    assert not [c for c in m._children.values() if getattr(c, "layer_name", "") == "Selected"]
    rendered = m.get_root().render()
    assert "Candidate exchanges" in rendered


def test_exchanges_in_place_are_a_layer_apart_from_the_new_potential(tiny_case: Case) -> None:
    candidates = _tiny_candidates().assign(exchange_status=["active", "new", "historical", "new"])
    m = build_candidate_map(tiny_case, candidates, tiles=False)
    new = _layer(m, "New potential").data["features"]
    recorded = _layer(m, "Already in the case").data["features"]
    assert [f["properties"]["candidate_id"] for f in new] == ["plant&gt;works", "evil&gt;farm"]
    assert [f["properties"]["in_case"] for f in recorded] == [
        "Already in place",
        "Recorded, ended",
    ]
    rendered = m.get_root().render()
    assert "In the case" in rendered  # the tooltip says which


def test_widths_grow_with_net_benefit(tiny_case: Case) -> None:
    candidates = _tiny_candidates()
    weights = [
        f["properties"]["weight"] for f in candidate_features(tiny_case, candidates)["features"]
    ]
    assert weights[0] == MAX_WEIGHT_PX
    assert weights[2] == MIN_WEIGHT_PX
    assert weights[0] > weights[1] > weights[2] > weights[3] == NON_PAYING_WEIGHT_PX
    same = benefit_weights(pd.Series([10.0, 10.0, np.nan, 0.0]))
    assert list(same) == [5.5, 5.5, NON_PAYING_WEIGHT_PX, NON_PAYING_WEIGHT_PX]


def test_tooltips_escape_site_names_and_explanations(tiny_case: Case) -> None:
    features = candidate_features(tiny_case, _tiny_candidates())["features"]
    route = features[2]["properties"]["route"]
    assert html.escape(MALICIOUS_NAME) in route
    assert "<script>" not in route
    assert "&lt;b&gt;things&lt;/b&gt; &amp; more" in features[0]["properties"]["explanation"]
    rendered = build_candidate_map(tiny_case, _tiny_candidates(), tiles=False)
    assert MALICIOUS_NAME not in rendered.get_root().render()


def test_selected_candidates_are_drawn_again_on_top_with_a_casing(tiny_case: Case) -> None:
    candidates = _tiny_candidates()
    chosen = ["works>evil"]
    m = build_candidate_map(tiny_case, candidates, selected=chosen, tiles=False)
    selected = _layer(m, "Selected").data["features"]
    casing = _layer(m, "Selected (outline)").data["features"]
    assert [f["properties"]["candidate_id"] for f in selected] == [html.escape(c) for c in chosen]
    assert len(casing) == 1
    names = [getattr(c, "layer_name", None) for c in m._children.values()]
    assert (
        names.index("New potential") < names.index("Selected (outline)") < names.index("Selected")
    )
    all_lines = _layer(m, "New potential").data["features"]
    assert [f["properties"]["selected"] for f in all_lines] == [False, False, True, False]


def test_the_number_of_lines_is_capped_but_selected_ones_stay(
    kalundborg_scored: pd.DataFrame,
) -> None:
    last = str(kalundborg_scored["candidate_id"].iloc[-1])
    drawn = candidates_to_draw(kalundborg_scored, [last], max_lines=5)
    assert list(drawn["candidate_id"]) == [*kalundborg_scored["candidate_id"].iloc[:5], last]
    assert len(candidates_to_draw(kalundborg_scored)) == len(kalundborg_scored)  # under the cap


def test_a_large_case_shows_only_the_sites_of_the_lines_drawn(tiny_case: Case) -> None:
    candidates = _tiny_candidates().head(1)  # plant -> farm
    m = build_candidate_map(tiny_case, candidates, max_sites=3, tiles=False)
    sites = _layer(m, "Sites").data["features"]
    assert {f["properties"]["site_id"] for f in sites} == {"plant", "farm"}
    assert "Only the sites of these candidates are shown" in m.get_root().render()
    m = build_candidate_map(tiny_case, candidates, tiles=False)
    assert len(_layer(m, "Sites").data["features"]) == len(tiny_case.sites)


def test_page_figures_equal_the_api_and_the_command_line_on_2000_sites(tmp_path: Path) -> None:
    from flows import io as flows_io  # noqa: PLC0415
    from flows import synthetic  # noqa: PLC0415

    case = synthetic.generate_case(2_000, seed=7)
    path = flows_io.write_case(case, tmp_path / "synthetic.gpkg")
    loaded = flows_io.load_case(path).case
    assert loaded is not None
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.session_state[StateKeys.CASE] = loaded
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    ours = _scored(at, "owner").set_index("candidate_id")
    api = pipeline.analyse(loaded).candidates.set_index("candidate_id")
    out = tmp_path / "cli.csv"
    done = subprocess.run(
        [sys.executable, "-m", "flows", "match", str(path), "--tier", "owner", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(out).set_index("candidate_id")
    assert len(ours) == len(api) == len(cli) > 1_000
    assert set(ours.index) == set(api.index) == set(cli.index)
    for column in ("quantity", "distance_m", "net_benefit_eur", "net_co2e_t"):
        for other in (api, cli):
            np.testing.assert_allclose(
                ours.loc[other.index, column].to_numpy(dtype="float64"),
                other[column].to_numpy(dtype="float64"),
                rtol=1e-6,
                equal_nan=True,
                err_msg=column,
            )
    # the totals the page shows are the API's public ones (some synthetic flows are
    # confidential: their candidates are left out of both)
    totals = pipeline.analyse(loaded).totals(tier="public")
    assert totals.withheld > 0
    assert totals.new_potential.count > 0
    _assert_metrics(at, totals)


def test_page_figures_equal_the_api_on_a_2000_site_case(tmp_path: Path) -> None:
    from flows import io as flows_io  # noqa: PLC0415 - `io` is the stdlib module here
    from flows import synthetic  # noqa: PLC0415

    path = flows_io.write_case(synthetic.generate_case(2_000, seed=7), tmp_path / "s.gpkg")
    case = flows_io.read_case(path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.session_state[StateKeys.CASE] = case
    at.session_state[StateKeys.CASE_LABEL] = "s.gpkg"
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    analysis = pipeline.analyse(case)
    assert len(analysis) > 1_000
    ours = _scored(at, tier="owner").set_index("candidate_id")
    api = analysis.candidates.set_index("candidate_id")
    assert set(ours.index) == set(api.index)
    for column in ("net_benefit_eur", "net_co2e_t", "quantity", "distance_m"):
        np.testing.assert_allclose(
            ours.loc[api.index, column].to_numpy(dtype="float64"),
            api[column].to_numpy(dtype="float64"),
            rtol=1e-6,
            equal_nan=True,
            err_msg=column,
        )
    page_totals = synergies.totals(ours.reset_index(), tier="owner")
    api_totals = analysis.totals(tier="owner")
    for page_figures, api_figures in (
        (page_totals.new_potential, api_totals.new_potential),
        (page_totals.in_place, api_totals.in_place),
    ):
        assert page_figures.count == api_figures.count
        assert page_figures.net_benefit_eur == pytest.approx(api_figures.net_benefit_eur, rel=1e-6)
        assert page_figures.net_co2e_t == pytest.approx(api_figures.net_co2e_t, rel=1e-6)


# -- notes on what the downloads changed -----------------------------------------------------

FORMULA_ID = '=HYPERLINK("http://x")'


def _renamed_site(case: Case, old: str, new: str) -> Case:
    import dataclasses  # noqa: PLC0415

    ids = {old: new}
    return dataclasses.replace(
        case,
        sites=case.sites.assign(site_id=case.sites["site_id"].replace(ids)),
        flows=case.flows.assign(site_id=case.flows["site_id"].replace(ids)),
        exchanges=case.exchanges.assign(
            from_site=case.exchanges["from_site"].replace(ids),
            to_site=case.exchanges["to_site"].replace(ids),
        ),
    )


def _safety_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Changed to keep the file safe")]


def test_candidates_file_returns_the_notes(
    kalundborg: Case, kalundborg_scored: pd.DataFrame
) -> None:
    params = synergies.bundled_parameters()
    clean = synergies.candidates_file(kalundborg_scored, kalundborg, "csv", params)
    assert clean.notes == ()
    supplier = str(kalundborg_scored["supply_site"].iloc[0])
    scored = kalundborg_scored.assign(
        supply_site=kalundborg_scored["supply_site"]
        .astype("string")
        .replace({supplier: FORMULA_ID})
    )
    file = synergies.candidates_file(scored, kalundborg, "csv", params)
    assert file.notes
    assert all(note.startswith("candidates.csv: ") for note in file.notes)
    assert any("supply_site" in note and "prefixed with '" in note for note in file.notes)
    assert f"'{FORMULA_ID}" in set(pd.read_csv(io.BytesIO(file))["supply_site"])


def test_page_shows_what_the_csv_download_changed(page: AppTest, kalundborg: Case) -> None:
    assert _safety_captions(page) == []  # nothing to say about the bundled case
    supplier = str(_scored(page)["supply_site"].iloc[0])
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.session_state[StateKeys.CASE] = _renamed_site(kalundborg, supplier, FORMULA_ID)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    shown = _safety_captions(at)
    assert shown, [c.value for c in at.caption]
    assert any(
        escape_markdown("candidates.csv: ") in text and "prefixed with '" in text for text in shown
    )
    assert all("\n" not in text for text in shown)


def test_the_library_box_ranks_by_evidence_and_says_how_a_code_was_read(page: AppTest) -> None:
    from flows import library  # noqa: PLC0415

    page.text_input(key=StateKeys.SYN_SUGGEST_NACE).input("16.10").run()
    assert not page.exception, page.exception
    shown = next(d.value for d in page.dataframe if "documented exchanges" in d.value.columns)
    api = library.suggest(nace_code="16.10")
    assert shown["documented exchanges"].tolist() == api["evidence_count"].tolist()
    assert shown["why"].tolist() == api["why"].tolist()
    # a NACE Rev. 2 class Rev. 2.1 renumbered is read with a note, not refused
    assert api.attrs["note"]
    assert any(escape_markdown(api.attrs["note"]) in c.value for c in page.caption)
