"""Regenerate the ``geo_*`` members of the validation corpus (GeoJSON, GeoPackage, CRS).

Each member is ``tests/data/mini`` with exactly one thing broken; expectations are in
``expected/geo.csv``. The files are committed; tests never run this script. Run it from the
repository root::

    python tests/data/bad/make_geo.py

Output is deterministic (GeoPackages through ``make_binary``'s fixed-timestamp writer).
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pyproj  # noqa: E402
import shapely  # noqa: E402
from make_binary import MINI, _mini_tables, _write_gpkg  # noqa: E402
from pyogrio.raw import write as write_raw  # noqa: E402

PLANT_GRID = (
    'ENGCRS["Plant grid",EDATUM["Plant datum"],CS[Cartesian,2],'
    'AXIS["easting (x)",east,ORDER[1],LENGTHUNIT["metre",1]],'
    'AXIS["northing (y)",north,ORDER[2],LENGTHUNIT["metre",1]]]'
)
"""A local engineering CRS: metres on a site plan, with no link to the Earth."""


def _folder(name: str, parks: str) -> None:
    """The mini case with ``parks.geojson`` replaced by ``parks``."""
    target = HERE / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(MINI, target)
    (target / "parks.geojson").write_text(parks, encoding="utf-8")


def _parks_text(edit: str | None = None, value: str = "") -> str:
    """The mini parks file, with the JSON text ``edit`` replaced by ``value``."""
    text = (MINI / "parks.geojson").read_text(encoding="utf-8")
    if edit is not None:
        assert edit in text, edit
        text = text.replace(edit, value, 1)
    return text


def main() -> None:
    # GeoJSON ---------------------------------------------------------------------------
    mini = json.loads(_parks_text())
    _folder("geo_parks_null", "null\n")
    _folder("geo_parks_number", "42\n")
    _folder("geo_parks_string", '"parks"\n')
    _folder("geo_parks_list", json.dumps(mini["features"]) + "\n")
    _folder("geo_parks_no_features", '{"type": "FeatureCollection"}\n')
    _folder("geo_parks_lone_feature", json.dumps(mini["features"][0]) + "\n")
    _folder("geo_parks_nan_coordinate", _parks_text("[11.11, 55.65]", "[11.11, NaN]"))
    _folder("geo_parks_infinite_coordinate", _parks_text("[11.11, 55.665]", "[Infinity, 55.665]"))
    _folder("geo_parks_overflow_coordinate", _parks_text("[11.11, 55.665]", "[11.11, 1e400]"))
    deep = "[" * 1000 + "]" * 1000
    _folder("geo_parks_deep_nesting", _parks_text('"kind": "business-park"', f'"kind": {deep}'))
    _folder(
        "geo_parks_ring_two_points",
        _parks_text(
            "[[[11.07, 55.65], [11.11, 55.65], [11.11, 55.665], [11.07, 55.665], [11.07, 55.65]]]",
            "[[[11.07, 55.65], [11.11, 55.65]]]",
        ),
    )
    _folder(
        "geo_parks_feature_not_object", _parks_text('[{"type": "Feature"', '[7, {"type": "Feature"')
    )

    # GeoPackages -----------------------------------------------------------------------
    tables = _mini_tables()
    sites = tables["sites"]
    plan = gpd.GeoDataFrame(
        sites.drop(columns="geometry"),
        geometry=gpd.points_from_xy([120.0, 480.0, 610.0, 900.0], [40.0, 210.0, 330.0, 75.0]),
        crs=pyproj.CRS.from_wkt(PLANT_GRID),
    )
    _write_gpkg({**tables, "sites": plan}, HERE / "geo_sites_engineering_crs.gpkg")

    nan = sites.copy()
    nan.loc[0, "geometry"] = shapely.Point(float("nan"), 55.6615)
    _write_gpkg({**tables, "sites": nan}, HERE / "geo_sites_nan_point.gpkg")

    utm = sites.to_crs("EPSG:25832")
    utm.loc[2, "geometry"] = shapely.Point(1e30, 1e30)
    _write_gpkg({**tables, "sites": utm}, HERE / "geo_sites_outside_crs_area.gpkg")

    # GEOS refuses the ring GDAL hands over: three points, not closed (only raw WKB can say it).
    target = HERE / "geo_parks_unclosed_ring.gpkg"
    _write_gpkg(tables, target)
    write_raw(
        target,
        geometry=np.array([unclosed_ring_wkb()], dtype=object),
        field_data=[np.array(["park1"], dtype=object), np.array(["Harbour park"], dtype=object)],
        fields=["park_id", "name"],
        geometry_type="Polygon",
        crs="EPSG:4326",
        driver="GPKG",
        layer="parks",
        append=False,
    )


def unclosed_ring_wkb() -> bytes:
    """A little-endian WKB polygon whose one ring has three points and is not closed."""
    points = [(11.07, 55.65), (11.11, 55.65), (11.11, 55.665)]
    body = b"".join(struct.pack("<dd", x, y) for x, y in points)
    return struct.pack("<BIII", 1, 3, 1, len(points)) + body


if __name__ == "__main__":
    main()
