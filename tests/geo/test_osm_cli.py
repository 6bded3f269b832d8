"""``python -m geo network|parks``, in process and once as users run it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import osmnx as ox
import pyrosm
import pytest

from geo import cli, network

ox.settings.overpass_rate_limit = False

ROOT = Path(__file__).resolve().parents[2]
OSM_DATA = ROOT / "tests" / "data" / "osm"
KOTKA_PBF = str(pyrosm.get_data("test_pbf"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> socket.socket:
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket, "create_connection", refuse)


def test_parser_has_network_and_parks_commands() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["network", "--bbox", "1", "2", "3", "4", "--out", "x.graphml"])
    assert args.command == "network"
    assert args.bbox == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(SystemExit):
        parser.parse_args(["parks", "--place", "A", "--osm-file", "b.osm", "--out", "x.gpkg"])


def test_network_from_kotka_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kotka.graphml"
    assert cli.main(["network", "--osm-file", KOTKA_PBF, "--out", str(out)]) == 0
    graph = network.load_network(out)
    printed = capsys.readouterr().out
    assert f"{len(graph):,} nodes, {graph.number_of_edges():,} edges" in printed
    assert "km of road" in printed


def test_network_as_geopackage(tmp_path: Path) -> None:
    out = tmp_path / "grid.gpkg"
    assert (
        cli.main(["network", "--osm-file", str(OSM_DATA / "oneway_grid.osm"), "--out", str(out)])
        == 0
    )
    assert len(gpd.read_file(out, layer="edges")) > 0


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_parks_from_kotka_file(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"parks{suffix}"
    assert cli.main(["parks", "--osm-file", KOTKA_PBF, "--out", str(out)]) == 0
    parks = gpd.read_file(out)
    assert len(parks) > 0
    assert {"park_id", "name", "kind"} <= set(parks.columns)


def test_bad_input_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.graphml"
    code = cli.main(["network", "--osm-file", str(OSM_DATA / "no_roads.osm"), "--out", str(out)])
    assert code == 1
    assert "no_roads.osm" in capsys.readouterr().err
    assert not out.exists()
    code = cli.main(["network", "--osm-file", str(OSM_DATA / "oneway_grid.osm"), "--out", "x.txt"])
    assert code == 1
    code = cli.main(["parks", "--osm-file", str(OSM_DATA / "not_osm.xml"), "--out", "x.gpkg"])
    assert code == 1
    code = cli.main(["network", "--points", str(tmp_path / "nope.gpkg"), "--out", str(out)])
    assert code == 1


def _points_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["network", *args, "--out", "x.graphml"]) == 1
    return capsys.readouterr().err


def test_points_files_that_cannot_be_used_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_coords = tmp_path / "names.csv"
    no_coords.write_text("site_id,name\na,A\n")
    assert "no longitude/latitude columns" in _points_error(capsys, "--points", str(no_coords))
    blank = tmp_path / "blank.csv"
    blank.write_text("site_id,lon,lat\na,27.0,60.4\nb,,60.5\nc,200,60.5\n")
    assert "rows 3, 4 have no longitude/latitude" in _points_error(capsys, "--points", str(blank))
    two = tmp_path / "two.gpkg"
    point = gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_xy([27.0], [60.4], crs=4326))
    point.to_file(two, layer="sites")
    point.to_file(two, layer="other")
    assert "several layers (sites, other)" in _points_error(capsys, "--points", str(two))
    crs_less = tmp_path / "crs_less.shp"  # a shapefile without its .prj
    point.to_file(crs_less)
    crs_less.with_suffix(".prj").unlink()
    assert "crs_less.shp has no CRS" in _points_error(capsys, "--points", str(crs_less))
    folder = tmp_path / "folder"  # a folder of CSV files is a source of layers, as in GDAL
    folder.mkdir()
    (folder / "names.csv").write_text("site_id,name\na,A\n")
    assert "no CSV file with lon/lat columns (files: names)" in _points_error(
        capsys, "--points", str(folder)
    )
    (folder / "a.csv").write_text("site_id,lon,lat\na,27.0,60.4\n")
    (folder / "b.csv").write_text("site_id,lon,lat\nb,27.1,60.5\n")
    assert "several CSV files with lon/lat (files: a, b)" in _points_error(
        capsys, "--points", str(folder)
    )
    assert "folder has no c.csv" in _points_error(capsys, "--points", str(folder), "--layer", "c")
    not_vector = tmp_path / "notes.gpkg"
    not_vector.write_text("not a database")
    assert "notes.gpkg could not be read" in _points_error(capsys, "--points", str(not_vector))


@pytest.mark.usefixtures("offline")
def test_unreachable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.graphml")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert cli.main(["network", "--place", "Kotka, Finland", "--out", out, *cache]) == 2
    assert "--osm-file" in capsys.readouterr().err
    sites = ROOT / "tests" / "data" / "mini"
    assert cli.main(["network", "--points", str(sites / "sites.csv"), "--out", out, *cache]) == 2
    parks = str(tmp_path / "p.gpkg")
    parks_file = str(sites / "parks.geojson")  # polygons are sites too: the box is around them
    assert cli.main(["parks", "--points", parks_file, "--out", parks, *cache]) == 2
    assert (
        cli.main(["parks", "--bbox", "26.9", "60.4", "27.0", "60.5", "--out", parks, *cache]) == 2
    )


def test_python_dash_m_geo(tmp_path: Path) -> None:
    out = tmp_path / "grid.graphml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "network",
            "--osm-file",
            str(OSM_DATA / "clipped.osm"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "6 nodes" in done.stdout
    assert out.is_file()
