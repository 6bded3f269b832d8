"""Fixtures for the UI tests: a tiny hand-made case and the bundled Kalundborg case."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

import datasets
from flows.io import load_case
from flows.model import Case, add_site_sectors

MALICIOUS_NAME = "<script>alert(1)</script>"


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
