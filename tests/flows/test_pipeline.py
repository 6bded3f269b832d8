"""One analysis under every interface: the API, the command line (and, in tests/ui, the app)
give the same candidates and totals; reference data is a value changed by copy."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datasets
from flows import io, pipeline, privacy, reference, summary, synthetic
from flows.model import Case

OTHER_SETS = "symbiomap-pipes 2026.1; symbiomap-counterfactuals 2026.1"
"""The pipe and counterfactual sets every result records beside the parameter set."""

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("quantity", "distance_m", "net_benefit_eur", "net_co2e_t", "break_even_km")
NEW_POTENTIAL = re.compile(r"New potential: (\d+) exchanges, ([-\d,]+) EUR/yr and ([-\d,]+) t CO2e")
IN_PLACE = re.compile(r"once, (\d+) are worth ([-\d,]+) EUR/yr and ([-\d,]+) t CO2e/yr")
COUNT = re.compile(r"^(\d+) candidates \(", re.MULTILINE)


@pytest.fixture(scope="module")
def kalundborg() -> Case:
    return io.read_case(datasets.get_path("kalundborg"))


@pytest.fixture(scope="module")
def synthetic_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = synthetic.generate_case(2_000, seed=7)
    return io.write_case(case, tmp_path_factory.mktemp("synthetic") / "case.gpkg")


def _cli(case_path: Path, out: Path, *flags: str) -> tuple[pd.DataFrame, str]:
    done = subprocess.run(
        [sys.executable, "-m", "flows", "match", str(case_path), *flags, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return pd.read_csv(out), done.stdout


def _assert_same(api: pd.DataFrame, cli: pd.DataFrame) -> None:
    api, cli = api.set_index("candidate_id"), cli.set_index("candidate_id")
    assert len(api) == len(cli) > 0
    assert set(api.index) == set(cli.index)
    for column in FIGURES:
        np.testing.assert_allclose(
            api.loc[cli.index, column].to_numpy(dtype="float64"),
            cli[column].to_numpy(dtype="float64"),
            rtol=1e-6,
            equal_nan=True,
            err_msg=column,
        )
    assert (api.loc[cli.index, "rank"].to_numpy() == cli["rank"].to_numpy()).all()


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _assert_printed(stdout: str, totals: summary.Totals) -> None:
    """The totals the command printed are the API's (new potential and in place apart)."""
    count = COUNT.search(stdout)
    assert count, stdout
    assert int(count.group(1)) == totals.count
    for pattern, figures in ((NEW_POTENTIAL, totals.new_potential), (IN_PLACE, totals.in_place)):
        found = pattern.search(stdout)
        if figures.count == 0:
            assert found is None, stdout
            continue
        assert found, stdout
        assert int(found.group(1)) == figures.count
        assert _number(found.group(2)) == pytest.approx(figures.net_benefit_eur, abs=1.0)
        assert _number(found.group(3)) == pytest.approx(figures.net_co2e_t, abs=1.0)


@pytest.mark.parametrize("flags", [(), ("--include-inferred", "--carbon-price", "120")])
def test_cli_and_api_agree_on_kalundborg(tmp_path: Path, flags: tuple[str, ...]) -> None:
    path = datasets.get_path("kalundborg")
    case = io.load_case(path).case
    assert case is not None
    options = pipeline.AnalysisOptions(
        include_inferred="--include-inferred" in flags,
        carbon_price_eur_per_t=120.0 if "--carbon-price" in flags else None,
    )
    analysis = pipeline.analyse(case, options=options)
    cli, stdout = _cli(path, tmp_path / "k.csv", "--tier", "owner", *flags)
    _assert_same(analysis.candidates, cli)
    totals = analysis.totals(tier="owner")
    assert totals.count == len(cli)
    _assert_printed(stdout, totals)
    assert set(cli["parameter_set"]) == {analysis.parameter_set}


def test_cli_and_api_agree_on_a_2000_site_case(synthetic_folder: Path, tmp_path: Path) -> None:
    case = io.load_case(synthetic_folder).case
    assert case is not None
    analysis = pipeline.analyse(case)
    assert len(analysis) > 1_000  # a real workload, not a handful of rows
    cli, stdout = _cli(synthetic_folder, tmp_path / "s.csv", "--tier", "owner")
    _assert_same(analysis.candidates, cli)
    totals = analysis.totals(tier="owner")
    assert totals.new_potential.count > 0
    _assert_printed(stdout, totals)


def test_analysis_records_its_inputs_and_cannot_be_changed(kalundborg: Case) -> None:
    first = pipeline.analyse(kalundborg)
    again = pipeline.analyse(kalundborg)
    assert first.case_fingerprint == again.case_fingerprint
    assert first.network_fingerprint is None
    assert first.parameter_set == f"symbiomap-params 2026.2; {OTHER_SETS}"
    moved = kalundborg.sites.copy()
    moved.geometry = moved.geometry.translate(xoff=0.01)
    assert pipeline.fingerprint(Case(sites=moved, flows=kalundborg.flows)) != first.case_fingerprint
    frame = first.candidates
    frame.loc[:, "net_benefit_eur"] = 0.0
    assert (first.candidates["net_benefit_eur"] != 0).any()  # the result never changes
    with pytest.raises(AttributeError):
        first.parameter_set = "other"  # type: ignore[misc]
    columns = list(first.candidates.columns)
    assert columns[: len(pipeline.CANDIDATE_COLUMNS)] == list(pipeline.CANDIDATE_COLUMNS)
    assert set(pipeline.SCORE_COLUMNS) <= set(columns)


def test_a_new_carbon_price_rescores_the_previous_search(kalundborg: Case) -> None:
    base = pipeline.analyse(kalundborg)
    dear = pipeline.analyse(
        kalundborg, options=pipeline.AnalysisOptions(carbon_price_eur_per_t=200.0), previous=base
    )
    fresh = pipeline.analyse(
        kalundborg, options=pipeline.AnalysisOptions(carbon_price_eur_per_t=200.0)
    )
    assert dear._matched is base._matched  # not searched again
    assert dear.parameter_set == f"symbiomap-params 2026.2+user; {OTHER_SETS}"
    a, b = dear.candidates.set_index("candidate_id"), fresh.candidates.set_index("candidate_id")
    np.testing.assert_allclose(a.loc[b.index, "net_benefit_eur"], b["net_benefit_eur"])
    # carbon price x net CO2e is exactly what changed
    old = base.candidates.set_index("candidate_id").loc[b.index]
    gain = b["net_benefit_eur"] - old["net_benefit_eur"]
    np.testing.assert_allclose(gain, (200.0 - 75.0) * old["net_co2e_t"], rtol=1e-9, atol=1e-6)


def test_reference_overrides_are_a_copy_for_one_run(kalundborg: Case) -> None:
    bundled = reference.default()
    assert reference.default() is bundled  # read once
    cheap_road = bundled.with_overrides(parameters={"transport.cost.road": 0.0})
    assert bundled.parameters["transport.cost.road"] > 0  # the shared copy is untouched
    assert cheap_road.parameters.version.endswith("+user")
    assert "+user" not in cheap_road.pipes.version
    base = pipeline.analyse(kalundborg).candidates.set_index("candidate_id")
    cheap = pipeline.analyse(kalundborg, reference=cheap_road).candidates.set_index("candidate_id")
    road = base["mode"].astype(str) == "road"
    assert road.any()
    assert (
        cheap.loc[base.index[road], "transport_cost_eur"] < base.loc[road, "transport_cost_eur"]
    ).all()
    nothing_compatible = dataclasses.replace(bundled, compatibility={})
    strict = pipeline.analyse(kalundborg, reference=nothing_compatible).candidates
    # steam no longer serves heat demands when the compatibility table is empty
    assert not (strict["resource"].astype(str) != strict["demand_resource"].astype(str)).any()
    assert (base["resource"].astype(str) != base["demand_resource"].astype(str)).any()


def test_an_unknown_tier_is_refused() -> None:
    with pytest.raises(privacy.TierError, match="owner, public"):
        privacy.check_tier("everyone")


def test_every_file_format_carries_the_same_candidates_and_explanations(
    synthetic_folder: Path, tmp_path: Path
) -> None:
    import geopandas as gpd  # noqa: PLC0415 - only this test reads the spatial files
    import pyogrio  # noqa: PLC0415

    table, _ = _cli(synthetic_folder, tmp_path / "s.csv")  # the default, public tier
    assert table["withheld"].any()
    for name in ("s.gpkg", "s.parquet"):
        done = subprocess.run(
            [sys.executable, "-m", "flows", "match", str(synthetic_folder), "--out", name],
            cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    for lines in (
        pyogrio.read_dataframe(tmp_path / "s.gpkg", layer="candidates"),
        gpd.read_parquet(tmp_path / "s.parquet"),
    ):
        assert list(lines.columns) == [*table.columns, "geometry"]
        assert set(lines.geometry.geom_type) == {"LineString"}
        _assert_same(table, pd.DataFrame(lines.drop(columns="geometry")))
        assert lines["explanation"].tolist() == table["explanation"].tolist()
        assert lines["withheld"].tolist() == table["withheld"].tolist()


def test_an_analysis_without_explanations_has_every_other_column(kalundborg: Case) -> None:
    quiet = pipeline.analyse(kalundborg, options=pipeline.AnalysisOptions(explain=False))
    full = pipeline.analyse(kalundborg)
    assert "explanation" not in quiet.candidates.columns
    assert list(quiet.candidates.columns) == [
        c for c in full.candidates.columns if c != "explanation"
    ]
    pd.testing.assert_frame_equal(
        quiet.candidates, full.candidates.drop(columns="explanation"), check_exact=True
    )
