"""The bundled synergy library and parameter set: valid codes, a source for every row and value."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import datasets
from flows import library, nace, parameters, reference, scoring
from tests.cli_helpers import run_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lib() -> pd.DataFrame:
    return library.load_library()


def test_library_size_codes_and_sources(lib: pd.DataFrame) -> None:
    assert len(lib) >= 150
    assert lib["synergy_id"].is_unique
    assert all(nace.is_valid(c) for c in lib["source_nace"])
    assert all(nace.is_valid(c) for c in lib["receiver_nace"])
    assert lib["resource"].map(reference.default().vocabulary.normalise).eq(lib["resource"]).all()
    assert not lib.duplicated(["source_nace", "resource", "receiver_nace"]).any()
    assert set(lib["mode"]) <= {"road", "rail", "inland-waterway", "sea", "pipeline"}
    references = (datasets.DATA_DIR / "synergy_library.md").read_text(encoding="utf-8")
    keys = set(re.findall(r"^\| `([^`]+)` \|", references, flags=re.MULTILINE))
    assert set(lib["source"]) <= keys, set(lib["source"]) - keys


@pytest.mark.parametrize(
    ("sector", "prefixes"),
    [
        ("power and heat", ["35"]),
        ("refining", ["19"]),
        ("chemicals", ["20", "21"]),
        ("food and beverage", ["10", "11"]),
        ("pulp and paper", ["17"]),
        ("iron, steel and non-ferrous", ["24"]),
        ("cement, lime, gypsum, glass, ceramics", ["23"]),
        ("wood", ["16"]),
        ("textiles", ["13"]),
        ("waste management", ["38"]),
        ("water and wastewater", ["36", "37"]),
        ("agriculture", ["01"]),
        ("construction", ["41", "42", "43"]),
    ],
)
def test_every_sector_of_the_brief_is_covered(
    lib: pd.DataFrame, sector: str, prefixes: list[str]
) -> None:
    touches = lib["source_nace"].str[:2].isin(prefixes) | lib["receiver_nace"].str[:2].isin(
        prefixes
    )
    assert touches.sum() >= 3, sector


def test_suggest_ranks_and_accepts_any_nace_level(lib: pd.DataFrame) -> None:
    for code in ("24", "24.1", "24.10"):
        table = library.suggest(nace_code=code, library=lib)
        assert list(table.columns) == list(library.SUGGEST_COLUMNS)
        assert len(table) > 0
        # best supported first: documented exchanges, then sources, then confidence
        keys = list(
            zip(
                -table["evidence_count"],
                -table["evidence_sources"],
                table["confidence"].map(library.CONFIDENCE_ORDER),
                strict=True,
            )
        )
        assert keys == sorted(keys)
        assert table["why"].str.contains("library confidence").all()
    takers = library.suggest(resource="100105")
    assert {"23.62", "23.51"} <= set(takers["receiver_nace"])
    with pytest.raises(ValueError, match="not a NACE"):
        library.suggest(nace_code="99.99")


def test_related_nace_codes() -> None:
    assert library.nace_related("24", "24.10")
    assert library.nace_related("24.1", "24.10")
    assert not library.nace_related("24.2", "24.10")
    assert library.nace_related("C", "24.10")
    assert not library.nace_related("D", "24.10")


def test_parameter_set_units_and_sources() -> None:
    params = parameters.load_parameters()
    assert params.version.startswith("symbiomap-params")
    for key, unit in [
        ("transport.ef.road", "kg CO2e/tkm"),
        ("transport.ef.rail", "kg CO2e/tkm"),
        ("transport.ef.inland-waterway", "kg CO2e/tkm"),
        ("transport.ef.sea", "kg CO2e/tkm"),
        ("transport.cost.road", "EUR/tkm"),
        ("carbon.price", "EUR/t CO2e"),
        ("disposal.cost.landfill", "EUR/t"),
        ("price.natural_gas", "EUR/MWh"),
        ("ef.natural_gas", "kg CO2e/MWh"),
    ]:
        parameter = params.get(key)
        assert parameter.unit == unit, key
        assert parameter.source
    # DESNZ 2025 freight factors (HGV ~0.102, rail ~0.028; sea: general cargo 0-4999 dwt
    # ~0.0141, a short-sea coaster, not the ocean bulk-carrier average of 0.0035)
    assert params["transport.ef.road"] == pytest.approx(0.102, abs=0.002)
    assert params["transport.ef.rail"] == pytest.approx(0.028, abs=0.001)
    assert params["transport.ef.sea"] == pytest.approx(0.01407, abs=0.0002)
    with pytest.raises(parameters.ParameterError, match="related"):
        params.get("transport.ef.teleport")
    for sub in reference.default().substitutes:
        assert params.find(sub.price_key) is not None, sub.price_key
        assert params.find(sub.ef_key) is not None, sub.ef_key


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("flows", *args)


def test_suggest_cli_table_and_csv() -> None:
    done = run("suggest", "--nace", "35.11", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ",".join(library.SUGGEST_COLUMNS)
    assert any(line.startswith("10 01 05,") for line in lines[1:])
    table = run("suggest", "--resource", "heat")
    assert table.returncode == 0
    assert "35.30" in table.stdout
    assert "why: " in table.stdout
    # A NACE Rev. 2 code is read with a note (on stderr for CSV, which stays clean)
    rev2 = run("suggest", "--nace", "16.10")
    assert rev2.returncode == 0, rev2.stderr
    assert rev2.stdout.startswith("note: 16.10 is a NACE Rev. 2 code")
    as_csv = run("suggest", "--nace", "16.10", "--format", "csv")
    assert as_csv.stdout.startswith("resource,")
    assert "note: 16.10" in as_csv.stderr
    bad = run("suggest", "--nace", "abc")
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr


def test_match_cli_writes_scored_candidates(tmp_path: Path) -> None:
    out = tmp_path / "k.gpkg"
    done = run("match", str(datasets.get_path("kalundborg")), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "candidates (symbiomap-params" in done.stdout
    import pyogrio  # noqa: PLC0415

    lines = pyogrio.read_dataframe(out, layer="candidates")
    # the flows that exist today (reference year: the current one)
    assert len(lines) >= 10
    assert {"net_benefit_eur", "break_even_km", "distance_kind", "explanation"} <= set(
        lines.columns
    )
    assert set(lines["distance_kind"]) == {"estimated"}


def test_second_units_have_substitutes() -> None:
    steam = scoring.substitute_for("steam", "t/yr")
    assert steam is not None
    assert steam.factor == pytest.approx(0.75)
    assert scoring.substitute_for("process-water", "t/yr") is not None
    assert scoring.substitute_for("biogas", "m3/yr") is not None
    assert scoring.substitute_for("10 01 05", "MWh/yr") is None
    assert scoring.substitute_for("10 02 02", "t/yr").match == "10 02"  # type: ignore[union-attr]
