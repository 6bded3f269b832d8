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


LADDER = ROOT / "tests" / "data" / "osm" / "truck_ladder.osm"
# 0.001 degree on osmnx's sphere (radius 6,371,009 m): one segment of the ladder
UNIT_M = 6_371_009 * 3.141592653589793 / 180 * 0.001


def _ladder_sites(tmp_path: Path) -> Path:
    sites = tmp_path / "sites.csv"
    # 2.2 m south of nodes 2 (a) and 3 (b) of tests/data/osm/truck_ladder.osm, which the
    # simplified network keeps (they end the hgv=no segment)
    sites.write_text("site_id,lon,lat\na,0.001,-0.00002\nb,0.002,-0.00002\n", encoding="utf-8")
    return sites


def test_lorries_are_routed_legally_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lorry.csv"
    sites = _ladder_sites(tmp_path)
    assert cli.main(["distances", str(sites), "--network", str(LADDER), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # hgv=no, the 3.5 t bridge and the 3.8 m rung, each two-way: six directed edges
    assert "6 directed road edges closed (2 hgv, 2 maxheight, 2 maxweight)" in printed
    lorry = pd.read_csv(out).set_index(["from_site", "to_site"]).loc[("a", "b")]
    road_m = lorry["distance_m"] - lorry["access_from_m"] - lorry["access_to_m"]
    # 2 -> 3 is one unit, closed by hgv=no; the lorry goes 2-1-6-7-8-3, five units
    assert road_m == pytest.approx(5 * UNIT_M, abs=2e-3)
    assert lorry["route_note"].startswith("truck-legal route: 40 t, 4.00 m high")

    car = tmp_path / "car.csv"
    args = ["distances", str(sites), "--network", str(LADDER), "--no-truck-restrictions"]
    assert cli.main([*args, "--out", str(car)]) == 0
    free = pd.read_csv(car).set_index(["from_site", "to_site"]).loc[("a", "b")]
    assert free["distance_m"] - free["access_from_m"] - free["access_to_m"] == pytest.approx(
        UNIT_M, abs=2e-3
    )
    assert pd.isna(free["route_note"])

    van = tmp_path / "van.csv"
    args = ["distances", str(sites), "--network", str(LADDER), "--vehicle-weight-t", "3.5"]
    assert cli.main([*args, "--vehicle-height-m", "2.5", "--out", str(van)]) == 0
    light = pd.read_csv(van).set_index(["from_site", "to_site"]).loc[("a", "b")]
    # hgv=no is for vehicles over 3.5 t: the van takes the shortcut
    assert light["distance_m"] - light["access_from_m"] - light["access_to_m"] == pytest.approx(
        UNIT_M, abs=2e-3
    )


def test_a_vehicle_size_must_be_positive(tmp_path: Path) -> None:
    sites = _ladder_sites(tmp_path)
    with pytest.raises(SystemExit) as info:
        cli.main(["distances", str(sites), "--vehicle-height-m", "-4", "--out", "x.csv"])
    assert info.value.code == 2  # argparse's usage error
