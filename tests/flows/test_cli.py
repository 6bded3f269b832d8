"""The command line, run as users run it."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import osmnx as ox
import pandas as pd
import pytest

import datasets
from flows import cli, io
from flows.model import Case
from geo import network, osm
from tests.cli_helpers import run_module

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("flows", *args)


def test_validate_bundled_default_case_exits_0() -> None:
    done = run("validate", str(datasets.get_path(datasets.DEFAULT_CASE)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


def test_validate_reports_errors_with_exit_1(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for file in (data_dir / "mini").iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    text = (folder / "flows.csv").read_text().replace("kt/yr", "kt", 1)
    (folder / "flows.csv").write_text(text)
    done = run("validate", str(folder))
    assert done.returncode == 1
    assert "flows.csv, layer flows, row 2, field unit: error E_UNIT_NOT_RATE" in done.stdout
    assert "Traceback" not in done.stderr


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gpkg"
    fake.write_text("not a database")
    done = run("validate", str(fake))
    assert done.returncode == 2
    assert "fake.gpkg" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("target", ["out.gpkg", "out.xlsx", "out.zip", "out_dir"])
def test_convert_between_formats(tmp_path: Path, data_dir: Path, target: str) -> None:
    done = run("convert", str(data_dir / "mini"), str(tmp_path / target))
    assert done.returncode == 0, done.stderr
    assert io.read_case(tmp_path / target).sites["site_id"].tolist() == [
        "power",
        "refinery",
        "board",
        "dh",
    ]


def test_template_command(tmp_path: Path) -> None:
    done = run("template", str(tmp_path / "t.xlsx"))
    assert done.returncode == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 1000


@pytest.mark.parametrize(
    "args",
    [("suggest", "--nace", "24.10"), ("suggest", "--nace", "C", "--format", "csv"), ("--help",)],
)
def test_a_closed_pipe_ends_quietly(args: tuple[str, ...]) -> None:
    # `python -m flows suggest ... | head`: the reader is gone before the output is written
    # (its end of the pipe closed first, so the very first write fails, every time).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flows", *args],
            cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False,
            timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0


def test_match_defaults_to_the_public_tier(tmp_path: Path, data_dir: Path) -> None:
    # tests/data/mini: the refinery's steam demand (400,000 MWh/yr) is confidential
    out = tmp_path / "c.csv"
    done = run("match", str(data_dir / "mini"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "public view" in done.stdout
    assert "400,000" not in done.stdout
    shared = pd.read_csv(out).set_index("candidate_id")
    assert pd.isna(shared.loc["power>refinery:steam", "quantity"])
    assert pd.isna(shared.loc["power>refinery:steam", "net_benefit_eur"])
    owner = tmp_path / "own.csv"
    done = run("match", str(data_dir / "mini"), "--tier", "owner", "--out", str(owner))
    assert done.returncode == 0, done.stderr
    assert (
        pd.read_csv(owner).set_index("candidate_id").loc["power>refinery:steam", "quantity"]
        == 400_000
    )


# -- network and parks around a case (downloads stubbed: no test touches OpenStreetMap) -------


class _Conn:
    def close(self) -> None:
        pass


@pytest.fixture
def fake_overpass(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, ...]]:
    """OpenStreetMap "answers" from the local files in tests/data/osm; the boxes asked for."""
    asked: list[tuple[float, ...]] = []
    osm_data = ROOT / "tests" / "data" / "osm"

    def roads(bbox: tuple[float, ...], **_kwargs: object) -> object:
        asked.append(bbox)
        return ox.graph_from_xml(osm_data / "oneway_grid.osm")

    def areas(*, bbox: tuple[float, ...], **_kwargs: object) -> object:
        asked.append(bbox)
        return ox.features_from_xml(osm_data / "no_roads.osm", tags=osm.INDUSTRIAL_TAGS)

    monkeypatch.setattr(socket, "create_connection", lambda *_a, **_k: _Conn())
    monkeypatch.setattr(ox, "graph_from_bbox", roads)
    monkeypatch.setattr(ox, "features_from_bbox", areas)
    return asked


def test_network_around_a_case(
    tmp_path: Path,
    data_dir: Path,
    fake_overpass: list[tuple[float, ...]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "roads.graphml"
    cache = ["--cache-dir", str(tmp_path / "cache")]
    args = ["network", str(data_dir / "mini"), "--margin-m", "500", "--out", str(out), *cache]
    assert cli.main(args) == 0
    assert "nodes" in capsys.readouterr().out
    assert len(network.load_network(out)) > 0
    sites = io.read_case(data_dir / "mini").sites
    assert fake_overpass == [pytest.approx(osm.bbox_around(sites, margin_m=500.0))]


def test_parks_around_a_case(
    tmp_path: Path,
    data_dir: Path,
    fake_overpass: list[tuple[float, ...]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "parks.geojson"
    args = ["parks", str(data_dir / "mini"), "--out", str(out), "--cache-dir", str(tmp_path)]
    assert cli.main(args) == 0
    assert "2 industrial areas" in capsys.readouterr().out
    assert set(gpd.read_file(out)["kind"]) == {"industrial-area", "port"}
    assert len(fake_overpass) == 1


def test_network_offline_or_bad_input(tmp_path: Path, data_dir: Path) -> None:
    # SYMBIOMAP_OFFLINE=1: refused at once, before any connection is tried
    env = {**os.environ, "SYMBIOMAP_OFFLINE": "1", "SYMBIOMAP_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "flows", "network", str(data_dir / "mini"), "--out", "x.graphml"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "SYMBIOMAP_OFFLINE=1" in done.stderr
    assert "Traceback" not in done.stderr
    done = run("network", str(data_dir / "mini"), "--out", str(tmp_path / "x.txt"))
    assert done.returncode == 1
    assert "--out must end in .graphml or .gpkg" in done.stderr
    done = run("parks", str(tmp_path / "missing.gpkg"), "--out", str(tmp_path / "p.gpkg"))
    assert done.returncode == 2
    assert "missing.gpkg" in done.stderr


def test_match_to_csv_neutralises_formula_like_text_and_says_so(
    mini_case: Case, tmp_path: Path
) -> None:
    renamed = {"power": "=power"}
    case = dataclasses.replace(
        mini_case,
        sites=mini_case.sites.assign(site_id=mini_case.sites["site_id"].replace(renamed)),
        flows=mini_case.flows.assign(site_id=mini_case.flows["site_id"].replace(renamed)),
        exchanges=mini_case.exchanges.assign(
            from_site=mini_case.exchanges["from_site"].replace(renamed),
            to_site=mini_case.exchanges["to_site"].replace(renamed),
        ),
    )
    source = io.write_case(case, tmp_path / "formula.gpkg")  # GPKG keeps the text as it is
    out = tmp_path / "c.csv"
    done = run("match", str(source), "--tier", "owner", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "note: c.csv:" in done.stdout
    assert "prefixed with '" in done.stdout
    written = pd.read_csv(out)
    assert "'=power" in set(written["supply_site"])
    assert not written["supply_site"].astype(str).str.startswith("=").any()
    assert not written["explanation"].astype(str).str.startswith("=").any()


def test_match_for_a_reference_year(tmp_path: Path) -> None:
    kalundborg = str(datasets.get_path(datasets.DEFAULT_CASE))
    then = run("match", kalundborg, "--year", "2010", "--out", str(tmp_path / "then.csv"))
    now = run("match", kalundborg, "--out", str(tmp_path / "now.csv"))
    assert then.returncode == now.returncode == 0, then.stderr + now.stderr
    past = pd.read_csv(tmp_path / "then.csv")
    today = pd.read_csv(tmp_path / "now.csv")
    # FGD gypsum went to Gyproc from 1993 until the coal units closed in 2019
    assert "asnaes>gyproc:10 01 05" in set(past["candidate_id"])
    assert not today["resource"].astype(str).str.startswith("10 01 05").any()
    assert "reference year 2010" in then.stdout
    assert "In place:" in now.stdout
    assert "New potential:" in now.stdout
    # the residues of Novonesis are one 300,000 t/yr flow in any year, never two added up
    for frame in (past, today):
        residues = frame[frame["resource"] == "07 07 99"]
        assert set(residues["supply_quantity"]) == {300_000.0}


def test_match_refuses_an_unknown_year_option(tmp_path: Path) -> None:
    done = run("match", str(datasets.get_path(datasets.DEFAULT_CASE)), "--year", "soon",
               "--out", str(tmp_path / "x.csv"))  # fmt: skip
    assert done.returncode == 2
    assert "--year" in done.stderr
