"""Fixtures for the UI tests: a tiny hand-made case, the bundled Kalundborg case, and the Kotka
test sites with exchanges on the OpenStreetMap extract bundled in pyrosm."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import pandas as pd
import pyrosm
import pytest
from shapely.geometry import Point, Polygon
from streamlit.testing.v1 import AppTest

import datasets
from flows.io import load_case
from flows.model import Case, add_site_sectors
from ui.network import LoadedNetwork, network_from_upload

MALICIOUS_NAME = "<script>alert(1)</script>"
APP = str(Path(__file__).resolve().parents[2] / "app.py")
APP_TIMEOUT_S = 60


@pytest.fixture
def app() -> AppTest:
    """The app after its first run (the Map page with the default case)."""
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def _tiny_case() -> Case:
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["plant", "farm", "works", "evil"],
            "name": ["Power plant", "Fish farm", "Gypsum works", MALICIOUS_NAME],
            "nace": ["35.11", "03.21", "23.62", "20.14"],
            "park_id": ["p1", "p1", "p1", pd.NA],
            "kind": ["power-plant", "farm", "company", "company"],
        },
        geometry=[
            Point(11.08, 55.66),
            Point(11.09, 55.67),
            Polygon([(11.10, 55.66), (11.11, 55.66), (11.11, 55.67), (11.10, 55.67)]),
            Point(11.12, 55.68),
        ],
        crs="EPSG:4326",
    ).astype({"site_id": "string", "name": "string", "nace": "string", "kind": "string"})
    parks = gpd.GeoDataFrame(
        {"park_id": ["p1"], "name": ["Harbour <park>"], "kind": ["business-park"]},
        geometry=[Polygon([(11.07, 55.65), (11.13, 55.65), (11.13, 55.69), (11.07, 55.69)])],
        crs="EPSG:4326",
    )
    exchanges = pd.DataFrame(
        {
            "from_site": ["plant", "plant", "plant", "works"],
            "to_site": ["farm", "works", "evil", "evil"],
            "resource": ["heat", "10 01 05", "10 01 05", "process-water"],
            "quantity": [1_000.0, 200_000.0, 2_000.0, np.nan],
            "unit": ["MWh/yr", "t/yr", "t/yr", pd.NA],
            "mode": ["pipeline", "road", "road", "pipeline"],
            "since": pd.array([1989, 1993, 2001, pd.NA], dtype="Int64"),
            "status": ["active", "active", "historical", "planned"],
            "source": ["s1", "s1", "s1", pd.NA],
            "quantity_canonical": [1_000.0, 200_000.0, 2_000.0, np.nan],
            "unit_canonical": ["MWh/yr", "t/yr", "t/yr", pd.NA],
            "family": ["heat", "minerals", "minerals", "water"],
        }
    )
    return Case(
        sites=add_site_sectors(sites),
        parks=parks,
        exchanges=exchanges,
        metadata={"name": "Tiny *test* case"},
    )


@pytest.fixture
def tiny_case() -> Case:
    """Four sites (one a polygon, one with a malicious name), a park and four exchanges."""
    return _tiny_case()


@pytest.fixture(scope="session")
def kalundborg() -> Case:
    """The bundled Kalundborg case, loaded once per test session (read-only)."""
    result = load_case(datasets.get_path("kalundborg"))
    assert result.case is not None, result.report.format()
    return result.case


KOTKA_PBF = Path(pyrosm.get_data("test_pbf"))
"""Kotka's OpenStreetMap extract bundled in the pyrosm wheel (offline)."""

KOTKA_EXCHANGES = """from_site,to_site,resource,quantity,unit,mode,since,status,source
mill,port,03 03 07,12000,t/yr,road,2015,active,
chem,wwtp,wastewater,50000,m3/yr,road,,active,
dh,mill,heat,20,GWh/yr,pipeline,2010,active,
port,chem,10 01 05,,,road,,planned,
port,island,17 05 04,3000,t/yr,sea,,active,
island,mill,10 01 01,800,t/yr,road,,historical,
"""
"""Made-up exchanges between the Kotka test sites: road pairs on the roads, a pipeline, a sea
link and a road exchange from the off-network island."""


@pytest.fixture(scope="session", autouse=True)
def _no_overpass_wait() -> Iterator[None]:
    """An accidental download fails at once instead of waiting for an Overpass slot."""
    before = ox.settings.overpass_rate_limit
    ox.settings.overpass_rate_limit = False
    yield
    ox.settings.overpass_rate_limit = before


@pytest.fixture(scope="session")
def kotka_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/kotka plus :data:`KOTKA_EXCHANGES`, as a case folder."""
    folder = tmp_path_factory.mktemp("kotka-case")
    for csv in (Path(__file__).parents[1] / "data" / "kotka").glob("*.csv"):
        shutil.copy(csv, folder / csv.name)
    (folder / "exchanges.csv").write_text(KOTKA_EXCHANGES, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def kotka_case(kotka_folder: Path) -> Case:
    """Six Kotka sites (one on an island off the network) and six exchanges (read-only)."""
    result = load_case(kotka_folder)
    assert result.case is not None, result.report.format()
    return result.case


@pytest.fixture(scope="session")
def kotka_network() -> LoadedNetwork:
    """The road network of pyrosm's Kotka extract, built once as an upload would be."""
    return network_from_upload(KOTKA_PBF.name, KOTKA_PBF.read_bytes())
