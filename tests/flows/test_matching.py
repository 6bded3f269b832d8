"""Matching and scoring on Kalundborg and the mini case, with hand-computed figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datasets
from flows import exports, frames, io, library, matching, parameters, reference, scoring
from flows.model import Case

SMALL_LIBRARY = Path(__file__).resolve().parents[1] / "data" / "library_small.csv"


@pytest.fixture(scope="module")
def lib() -> pd.DataFrame:
    return library.load_library(SMALL_LIBRARY)


@pytest.fixture(scope="module")
def params() -> parameters.ParameterSet:
    return parameters.load_parameters()


@pytest.fixture(scope="module")
def kalundborg() -> Case:
    return io.read_case(datasets.get_path("kalundborg"))


def test_every_documented_kalundborg_exchange_is_found_again(
    kalundborg: Case, lib: pd.DataFrame
) -> None:
    found = matching.match(kalundborg, library=lib, options=matching.MatchOptions(max_km=400))
    keys = set(zip(found["supply_site"], found["demand_site"], found["resource"], strict=True))
    flows = kalundborg.flows
    supplies = set(
        zip(
            flows.loc[flows["direction"] == "supply", "site_id"],
            flows.loc[flows["direction"] == "supply", "resource"],
            strict=True,
        )
    )
    demands = set(
        zip(
            flows.loc[flows["direction"] == "demand", "site_id"],
            flows.loc[flows["direction"] == "demand", "resource"],
            strict=True,
        )
    )
    checked = 0
    for ex in kalundborg.exchanges.itertuples():
        if (ex.from_site, ex.resource) in supplies and (ex.to_site, ex.resource) in demands:
            assert (ex.from_site, ex.to_site, ex.resource) in keys, ex
            checked += 1
    assert checked >= 20
    assert found["candidate_id"].is_unique
    assert set(found["basis"]) == {"declared"}


def test_heat_needs_a_hot_enough_source(mini_case: Case, lib: pd.DataFrame) -> None:
    flows = mini_case.flows.copy()
    hot = (flows["site_id"] == "power") & (flows["resource"] == "heat")
    flows.loc[hot, "temperature_c"] = 70.0  # the district heating network wants 80 °C
    case = Case(sites=mini_case.sites, parks=mini_case.parks, flows=flows)
    found = matching.match(case, library=lib)
    assert "power>dh:heat" not in set(found["candidate_id"])
    assert "power>dh:steam->heat" in set(found["candidate_id"])  # 250 °C steam still serves


def test_distance_limit_and_cross_park(mini_case: Case, lib: pd.DataFrame) -> None:
    near = matching.match(mini_case, library=lib, options=matching.MatchOptions(max_km=1.0))
    assert (near["distance_m"] <= 1000).all()
    assert set(near["candidate_id"]) == {"refinery>board:fuel-gas"}
    full = matching.match(mini_case, library=lib)
    by_id = full.set_index("candidate_id")
    assert not by_id.loc["power>board:10 01 05", "cross_park"]  # both in park1
    assert pd.isna(by_id.loc["power>dh:heat", "demand_park"])


def test_inferred_candidates_are_flagged_never_declared(
    kalundborg: Case, lib: pd.DataFrame
) -> None:
    found = matching.match(
        kalundborg, library=lib, options=matching.MatchOptions(include_inferred=True)
    )
    inferred = found[found["basis"] == "inferred"]
    assert len(inferred) > 0
    assert set(inferred["confidence"]) <= {"high", "medium", "low"}
    assert inferred["synergy_id"].notna().all()
    assert set(inferred["inferred_side"]) <= {"supply", "demand"}
    declared = found[found["basis"] == "declared"]
    assert (declared["confidence"] == "declared").all()


def test_benefit_falls_with_distance_and_break_even_is_where_it_is_zero(
    mini_case: Case, lib: pd.DataFrame, params: parameters.ParameterSet
) -> None:
    candidates = matching.match(mini_case, library=lib)
    base = scoring.score(candidates, params, lib).set_index("candidate_id")
    farther = scoring.score(
        candidates.assign(distance_m=candidates["distance_m"] * 10), params, lib
    ).set_index("candidate_id")
    assert (farther["net_benefit_eur"] < base["net_benefit_eur"].loc[farther.index]).all()
    at_break_even = candidates.assign(
        distance_m=candidates["candidate_id"].map(base["break_even_km"]) * 1000
    )
    zero = scoring.score(at_break_even, params, lib)
    np.testing.assert_allclose(zero["net_benefit_eur"], 0, atol=1e-3)


def test_carbon_price_and_overrides_are_recorded(
    mini_case: Case, lib: pd.DataFrame, params: parameters.ParameterSet
) -> None:
    candidates = matching.match(mini_case, library=lib)
    cheap = scoring.score(candidates, params.with_overrides({"carbon.price": 0}), lib)
    dear = scoring.score(candidates, params.with_overrides({"carbon.price": 200}), lib)
    bundled = reference.default()
    versions = f"{bundled.pipes.version}; {bundled.counterfactuals.version}"
    assert set(cheap["parameter_set"]) == {f"{params.version}+user; {versions}"}
    gain = (
        dear.set_index("candidate_id")["net_benefit_eur"]
        - cheap.set_index("candidate_id")["net_benefit_eur"]
    )
    co2 = cheap.set_index("candidate_id")["net_co2e_t"]
    np.testing.assert_allclose(gain.loc[co2.index], 200 * co2)
    assert cheap["rank"].tolist() == list(range(1, len(cheap) + 1))
    assert all(isinstance(e, str) and "EUR/yr" in e for e in cheap["explanation"])


def test_candidates_written_as_lines_and_csv(
    mini_case: Case, lib: pd.DataFrame, params: parameters.ParameterSet, tmp_path: Path
) -> None:
    scored = scoring.score(matching.match(mini_case, library=lib), params, lib)
    gpkg = exports.write_candidates(scored, mini_case, tmp_path / "c.gpkg", parameters=params)
    import pyogrio  # noqa: PLC0415

    lines = pyogrio.read_dataframe(gpkg, layer="candidates")
    assert len(lines) == len(scored)
    assert set(lines.geometry.geom_type) == {"LineString"}
    table = pyogrio.read_dataframe(gpkg, layer="parameters")
    assert "carbon.price" in set(table["key"])
    csv = exports.write_candidates(scored, mini_case, tmp_path / "c.csv")
    assert len(pd.read_csv(csv)) == len(scored)


def test_quantities_in_different_units_are_never_compared(
    mini_case: Case, lib: pd.DataFrame
) -> None:
    flows = mini_case.flows.copy()
    steam = (flows["site_id"] == "refinery") & (flows["resource"] == "steam")
    flows.loc[steam, ["quantity_canonical", "unit_canonical"]] = [500_000.0, "t/yr"]
    case = Case(sites=mini_case.sites, parks=mini_case.parks, flows=flows)
    found = matching.match(case, library=lib)
    assert "power>refinery:steam" not in set(found["candidate_id"])  # MWh/yr vs t/yr
    assert found["candidate_id"].is_unique


def test_served_resource_is_valued_at_the_demand_side(
    mini_case: Case, lib: pd.DataFrame, params: parameters.ParameterSet
) -> None:
    scored = scoring.score(matching.match(mini_case, library=lib), params, lib).set_index(
        "candidate_id"
    )
    row = scored.loc["power>dh:steam->heat"]
    assert row["avoided_purchase_eur"] == pytest.approx(
        row["delivered_quantity"] * params["price.heat"]
    )


def test_a_case_with_only_sites_matches_to_nothing(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "sites.csv").write_bytes((data_dir / "mini" / "sites.csv").read_bytes())
    case = io.read_case(tmp_path)
    found = matching.match(case, options=matching.MatchOptions(include_inferred=True))
    assert found.empty
    assert list(found.columns) == list(matching.CANDIDATE_COLUMNS)


@pytest.mark.parametrize("decimals", [0, 1, 2])
@pytest.mark.parametrize("spec", ["", ",", "+", "+,"])
def test_numbers_are_formatted_exactly_as_python_formats_them(decimals: int, spec: str) -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.normal(0, 1e6, 2_000),
            rng.integers(-(10**6), 10**6, 2_000) / 20,  # ties at every last digit
            [0.05, 0.15, 0.25, 2.675, 999.95, 0.45, 1.45, 2.5, 0.5, 123_456_789.5],
            [-0.0, 0.0, -0.04, -0.4, np.nan, np.inf, -np.inf, 1e20, -1e17, 2.0**53],
        ]
    )
    text = frames.fixed(
        values, decimals=decimals, thousands="," in spec, plus="+" in spec
    ).to_pylist()
    assert text == [format(v, f"{spec}.{decimals}f") for v in values.tolist()]


def _explanation(row: pd.Series) -> str:
    """The explanation of one candidate, written row by row (what the columns must equal)."""
    if row["basis"] == "inferred":
        head = (
            f"Likely ({row['confidence']} confidence, from sector codes): "
            f"{row['supply_site']} could send {row['resource']}"
        )
    else:
        amount = (
            "an unknown amount"
            if np.isnan(row["quantity"])
            else f"{row['quantity']:,.0f} {row['unit']}"
        )
        head = f"{row['supply_site']} could send {amount} of {row['resource']}"
    be = row["break_even_km"]
    limit = "at any distance" if np.isinf(be) else f"up to {be:,.0f} km"
    verdict = "pays" if row["net_benefit_eur"] > 0 else "does not pay"
    tail = (
        "; quantity unknown, so no figures."
        if np.isnan(row["net_benefit_eur"])
        else f": {verdict} ({row['net_benefit_eur']:+,.0f} EUR/yr, "
        f"{row['net_co2e_t']:+,.0f} t CO2e/yr), worthwhile {limit}."
    )
    text = (
        f"{head} {row['distance_m'] / 1000:.1f} km by {row['mode']} ({row['distance_kind']}) "
        f"to {row['demand_site']}{tail}"
    )
    route = row["counterfactual_route"]
    fate = {
        "": "no allowed route is known",
        "none": "it would be released or left unused",
        "sold-as-product": "it is sold as a product",
    }.get(route, f"it goes to {route}")
    text += f" Without the exchange {fate}."
    if row["limited_by"]:
        text += f" Limited by: {row['limited_by']}."
    return text


def test_explanations_built_on_columns_read_as_row_by_row_text(
    kalundborg: Case, params: parameters.ParameterSet
) -> None:
    bundled = library.load_library()
    options = matching.MatchOptions(include_inferred=True)
    found = matching.match(kalundborg, library=bundled, options=options)
    scored = scoring.score(found, params, bundled)
    assert {"declared", "inferred"} <= set(scored["basis"])
    assert scored["explanation"].dtype == scoring.TEXT_DTYPE
    assert scored["explanation"].tolist() == [_explanation(r) for _, r in scored.iterrows()]
    assert scoring.explanations(scored.iloc[0:0]).empty


def test_lines_are_the_wkb_shapely_writes(
    mini_case: Case, lib: pd.DataFrame, params: parameters.ParameterSet, tmp_path: Path
) -> None:
    import geopandas as gpd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    scored = scoring.score(matching.match(mini_case, library=lib), params, lib)
    points = np.random.default_rng(3).uniform(-180, 180, (50, 4))
    wkb = exports.line_wkb(points).to_pylist()
    assert wkb == list(shapely.to_wkb(shapely.linestrings(points.reshape(-1, 2, 2))))
    lines = exports.candidate_lines(scored, mini_case)
    path = exports.write_candidates(scored, mini_case, tmp_path / "c.parquet")
    back = gpd.read_parquet(path)
    assert back.crs == lines.crs
    assert back.geometry.geom_equals_exact(lines.geometry, tolerance=0).all()
    assert list(back.columns) == [*scored.columns, "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")),
        scored.astype(dict.fromkeys(scored.select_dtypes("category").columns, "str")),
        check_dtype=False,
    )


def _pairs_frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["supply_site", "demand_site", "resource", "demand_resource"])


def _exchanges(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["from_site", "to_site", "resource", "status"])


def test_exchange_status_matches_the_resource_as_supplied_or_as_demanded() -> None:
    candidates = _pairs_frame(
        [
            ("asnaes", "kalundborg-dh", "steam", "heat"),  # recorded as heat delivered
            ("asnaes", "novo-nordisk", "steam", "steam"),
            ("novo-nordisk", "kalundborg-wwtp", "wastewater", "wastewater"),
            ("novo-nordisk", "asnaes", "steam", "steam"),  # the other way round: new
        ]
    )
    exchanges = _exchanges(
        [
            ("asnaes", "kalundborg-dh", "heat", "active"),
            ("asnaes", "novo-nordisk", "steam", "active"),
            ("novo-nordisk", "novonesis", "wastewater", "active"),
        ]
    )
    status = matching.exchange_status(candidates, exchanges)
    assert list(status) == ["active", "active", "new", "new"]
    assert list(status.categories) == list(matching.EXCHANGE_STATUSES)


def test_exchange_status_prefers_the_exchange_in_place_over_an_ended_one() -> None:
    candidates = _pairs_frame([("asnaes", "gyproc", "10 01 05", "10 01 05")] * 2)
    ended_then_planned = _exchanges(
        [
            ("asnaes", "gyproc", "10 01 05", "historical"),
            ("asnaes", "gyproc", "10 01 05", "planned"),
        ]
    )
    assert list(matching.exchange_status(candidates, ended_then_planned)) == ["planned"] * 2
    both = _exchanges(
        [("asnaes", "gyproc", "10 01 05", "historical"), ("asnaes", "gyproc", "10 01 05", "active")]
    )
    assert list(matching.exchange_status(candidates, both)) == ["active"] * 2
    assert list(matching.exchange_status(candidates, both.iloc[0:0])) == ["new"] * 2


def test_kalundborg_candidates_say_which_exchanges_are_already_in_place(
    kalundborg: Case, lib: pd.DataFrame
) -> None:
    found = matching.match(kalundborg, library=lib)
    recorded = {
        (row.from_site, row.to_site, row.resource): row.status
        for row in kalundborg.exchanges.itertuples()
    }
    for row in found.itertuples():
        key = (str(row.supply_site), str(row.demand_site), str(row.resource))
        alt = (str(row.supply_site), str(row.demand_site), str(row.demand_resource))
        if key in recorded or alt in recorded:
            assert row.exchange_status != "new", key
        else:
            assert row.exchange_status == "new", key
    assert (found["exchange_status"] == "new").sum() < len(found) / 2
