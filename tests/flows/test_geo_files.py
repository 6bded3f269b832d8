"""Hostile and messy GeoJSON, GeoPackage, CRS and geometry: a finding, never a traceback.

The corpus members ``tests/data/bad/geo_*`` check one finding each through ``load_case``; the
tests here cover what the corpus cannot hold (a 100,000-deep document, limits passed in small,
the GeoPackage writer) and fuzz the GeoJSON reader.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import struct
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyogrio.raw import write as write_raw

from datasets.settings import InputLimits
from flows._errors import CaseReadError, CaseWriteError
from flows.checks.parks import check_parks
from flows.io import load_case, write_case
from flows.io.geojson_files import json_depth, read_geojson
from flows.io.gpkg_files import write_gpkg
from flows.io.raw_tables import raw_from_gdf
from flows.model import Case
from flows.validation import ValidationReport

DATA = Path(__file__).resolve().parents[1] / "data"
MINI = DATA / "mini"
PARKS = json.loads((MINI / "parks.geojson").read_text(encoding="utf-8"))
PLANT_GRID = (
    'ENGCRS["Plant grid",EDATUM["Plant datum"],CS[Cartesian,2],'
    'AXIS["easting (x)",east,ORDER[1],LENGTHUNIT["metre",1]],'
    'AXIS["northing (y)",north,ORDER[2],LENGTHUNIT["metre",1]]]'
)


def _read(path: Path, limits: InputLimits | None = None) -> tuple[object, ValidationReport]:
    report = ValidationReport()
    return read_geojson(path, "parks", path.name, report, limits=limits), report


def _write(folder: Path, text: str) -> Path:
    path = folder / "parks.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def _errors(report: ValidationReport) -> list[tuple[str, int | None, str | None]]:
    return [(f.code, f.row, f.field) for f in report.errors]


# -- not a FeatureCollection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("null", "null"),
        ("42", "a number"),
        ("true", "a boolean"),
        ('"text"', "a string"),
        ("[1, 2]", "a list"),
        ("{}", "an object without a 'features' list"),
        ('{"type": "FeatureCollection", "features": {}}', "'FeatureCollection' without"),
    ],
)
def test_json_that_is_not_a_feature_collection_is_a_finding(
    tmp_path: Path, text: str, kind: str
) -> None:
    raw, report = _read(_write(tmp_path, text))
    assert raw is None
    [finding] = report.errors
    assert finding.code == "E_NOT_GEOJSON"
    assert finding.file == "parks.geojson"
    assert "parks.geojson is JSON but not a GeoJSON FeatureCollection" in finding.message
    assert kind in finding.message
    assert "FeatureCollection" in finding.hint


def test_a_feature_that_is_not_an_object_is_located(tmp_path: Path) -> None:
    doc = {"type": "FeatureCollection", "features": [PARKS["features"][0], "x"]}
    raw, report = _read(_write(tmp_path, json.dumps(doc)))
    assert raw is None
    assert _errors(report) == [("E_NOT_GEOJSON", 2, None)]


# -- nesting and size -------------------------------------------------------------------------


def test_100000_deep_document_is_refused_quickly_naming_the_limit(tmp_path: Path) -> None:
    depth = 100_000
    raw, report = _read(_write(tmp_path, "[" * depth + "]" * depth))
    assert raw is None
    [finding] = report.errors
    assert finding.code == "E_NESTING_TOO_DEEP"
    assert "more than 64 levels" in finding.message
    assert "SYMBIOMAP_MAX_NESTING" in finding.hint


def test_deep_objects_inside_a_collection_are_refused(tmp_path: Path) -> None:
    doc = json.dumps(PARKS).replace('"business-park"', '{"a": ' * 5000 + "1" + "}" * 5000)
    raw, report = _read(_write(tmp_path, doc))
    assert raw is None
    assert _errors(report) == [("E_NESTING_TOO_DEEP", None, None)]


def test_nesting_limit_is_taken_from_the_limits_passed(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(PARKS))
    depth = json_depth(path.read_text(encoding="utf-8"))
    assert depth == 7  # collection, features, feature, geometry, polygon, ring, point
    raw, report = _read(path, InputLimits(max_nesting=depth - 1))
    assert raw is None
    assert f"more than {depth - 1} levels" in report.errors[0].message
    raw, report = _read(path, InputLimits(max_nesting=depth))
    assert raw is not None
    assert not report.has_errors


def test_brackets_inside_strings_do_not_count() -> None:
    assert json_depth('{"name": "[[[{{{\\"[[["}') == 1
    assert json_depth('"[[[["') == 0
    assert json_depth("[[1], [[2]]]") == 3


def test_depth_scan_stops_early_and_crosses_chunks() -> None:
    text = "[" * 3_000_000 + "]" * 3_000_000
    assert json_depth(text) == 3_000_000
    assert json_depth(text, stop_above=10) > 10


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps(PARKS))
    raw, report = _read(path, InputLimits(max_uncompressed_bytes=100))
    assert raw is None
    [finding] = report.errors
    assert finding.code == "E_FILE_TOO_LARGE"
    assert "more than the limit" in finding.message
    assert "SYMBIOMAP_MAX_UNCOMPRESSED_MB" in finding.hint


def test_integer_of_5000_digits_is_a_finding(tmp_path: Path) -> None:
    raw, report = _read(_write(tmp_path, '{"features": [], "x": ' + "9" * 5000 + "}"))
    assert raw is None
    assert _errors(report) == [("E_FILE_UNREADABLE", None, None)]


# -- coordinates that are not numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "spelled"), [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")]
)
def test_non_finite_geojson_coordinate_is_located(tmp_path: Path, value: str, spelled: str) -> None:
    text = json.dumps(PARKS).replace("[11.11, 55.665]", f"[11.11, {value}]", 1)
    raw, report = _read(_write(tmp_path, text))
    assert raw is None
    [finding] = report.errors
    assert (finding.code, finding.row, finding.field) == ("E_COORD_NOT_FINITE", 1, "geometry")
    assert f"park_id 'park1') has a coordinate that is {spelled}" in finding.message


def _case_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(MINI, folder)
    return folder


def test_nan_in_wkt_never_reaches_make_valid(tmp_path: Path) -> None:
    folder = _case_folder(tmp_path)
    sites = pd.read_csv(folder / "sites.csv", dtype=str)
    sites["wkt"] = ""
    sites.loc[1, "wkt"] = "POINT (NaN 55.654)"
    sites.to_csv(folder / "sites.csv", index=False)
    result = load_case(folder)
    assert [(f.code, f.row, f.field) for f in result.report.errors] == [
        ("E_COORD_NOT_FINITE", 3, "geometry")
    ]
    assert "site refinery" in result.report.errors[0].message


def test_non_finite_polygon_from_frames_is_an_error_not_a_geos_exception() -> None:
    ring = [(11.07, 55.65), (11.11, math.nan), (11.11, 55.665), (11.07, 55.665), (11.07, 55.65)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns building it; fine here
        polygon = shapely.Polygon(ring)
    parks = gpd.GeoDataFrame(
        {"park_id": ["park1"], "name": ["Harbour park"]}, geometry=[polygon], crs="EPSG:4326"
    )
    report = ValidationReport()
    checked = check_parks(raw_from_gdf(parks, "parks", "parks", declared=True), report)
    assert checked is None or len(checked) == 0
    assert [(f.code, f.row) for f in report.errors] == [("E_COORD_NOT_FINITE", 1)]
    assert "park park1" in report.errors[0].message


# -- CRS without a way to WGS84 ---------------------------------------------------------------


def _gpkg_with_sites(tmp_path: Path, sites: gpd.GeoDataFrame, case: Case) -> Path:
    path = tmp_path / "case.gpkg"
    write_case(case, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(sites, path, layer="sites", driver="GPKG", append=False)
    return path


def test_local_engineering_crs_names_layer_and_crs(tmp_path: Path, mini_case: Case) -> None:
    sites = mini_case.table("sites")
    plan = gpd.GeoDataFrame(
        sites.drop(columns="geometry"),
        geometry=gpd.points_from_xy(range(4), range(4)),
        crs=pyproj.CRS.from_wkt(PLANT_GRID),
    )
    result = load_case(_gpkg_with_sites(tmp_path, plan, mini_case))
    assert result.case is None
    [finding] = result.report.errors
    assert finding.code == "E_CRS_NO_TRANSFORM"
    assert finding.layer == "sites"
    assert "'Plant grid'" in finding.message
    assert "EPSG:4326" in finding.hint
    assert "QGIS" in finding.hint


def test_point_outside_the_crs_area_is_located(tmp_path: Path, mini_case: Case) -> None:
    utm = mini_case.table("sites").to_crs("EPSG:25832")
    utm.loc[utm.index[1], "geometry"] = shapely.Point(1e30, 1e30)
    result = load_case(_gpkg_with_sites(tmp_path, utm, mini_case))
    assert [(f.code, f.row, f.field) for f in result.report.errors] == [
        ("E_CRS_NO_TRANSFORM", 2, "geometry")
    ]
    assert "site refinery" in result.report.errors[0].message


def test_gpkg_layer_geos_cannot_build_is_a_finding_for_that_layer(
    tmp_path: Path, mini_case: Case
) -> None:
    path = tmp_path / "case.gpkg"
    write_case(mini_case, path)
    ring = [(11.07, 55.65), (11.11, 55.65), (11.11, 55.665)]  # three points, not closed
    wkb = struct.pack("<BIII", 1, 3, 1, len(ring)) + b"".join(struct.pack("<dd", *p) for p in ring)
    write_raw(
        path,
        geometry=np.array([wkb], dtype=object),
        field_data=[np.array(["park1"], dtype=object), np.array(["Harbour park"], dtype=object)],
        fields=["park_id", "name"],
        geometry_type="Polygon",
        crs="EPSG:4326",
        driver="GPKG",
        layer="parks",
        append=False,
    )
    result = load_case(path)
    assert [(f.code, f.layer) for f in result.report.errors] == [("E_FILE_UNREADABLE", "parks")]
    assert "layer 'parks' cannot be read" in result.report.errors[0].message


# -- GeoPackage writer ------------------------------------------------------------------------


def _with_sources(case: Case, frame: pd.DataFrame) -> Case:
    return dataclasses.replace(case, sources=frame)


def test_gpkg_writer_refuses_more_columns_than_a_geopackage_holds(
    tmp_path: Path, mini_case: Case
) -> None:
    wide = pd.DataFrame({f"c{i}": ["x"] for i in range(2000)})
    target = tmp_path / "case.gpkg"
    target.write_bytes(b"old")
    with pytest.raises(CaseWriteError, match=r"'sources' has 2,000 columns.*at most 1,999"):
        write_case(_with_sources(mini_case, wide), target)
    assert target.read_bytes() == b"old"


def test_gpkg_writer_writes_1999_columns(tmp_path: Path, mini_case: Case) -> None:
    wide = pd.DataFrame({f"c{i}": ["x"] for i in range(1999)})
    path = tmp_path / "case.gpkg"
    write_gpkg(_with_sources(mini_case, wide), path)
    assert len(pyogrio.read_info(path, layer="sources")["fields"]) == 1999


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"source_id": ["a\x00b"]}), r"column 'source_id', row 1: .*NUL"),
        (pd.DataFrame({"note\x00hidden": ["x"]}), "column name 'note\\\\x00hidden'"),
        (pd.DataFrame({"Note": ["x"], "note": ["y"]}), "differ only in case"),
    ],
)
def test_gpkg_writer_refuses_what_it_would_cut(
    tmp_path: Path, mini_case: Case, frame: pd.DataFrame, match: str
) -> None:
    with pytest.raises(CaseWriteError, match=match):
        write_gpkg(_with_sources(mini_case, frame), tmp_path / "case.gpkg")


# -- fuzz -------------------------------------------------------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


def _deep(depth: int, leaf: object) -> object:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


_DOCUMENTS = _JSON | st.builds(_deep, st.integers(0, 300), _JSON)
_NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20)
_COORDS = st.recursive(
    st.lists(_NUMBERS, min_size=0, max_size=3),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=20,
)
_GEOMETRY = st.none() | st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Point", "Polygon", "MultiPolygon", "LineString", "Nonsense"]),
        "coordinates": _COORDS | _JSON,
    }
)
_LONLAT = st.tuples(
    st.floats(-180, 180) | st.sampled_from([math.nan, math.inf]), st.floats(-90, 90)
).map(list)
_POLYGONS = st.lists(_LONLAT, min_size=3, max_size=6).map(
    lambda ring: {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
)
_FEATURE = st.just(PARKS["features"][0]) | st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "properties": st.fixed_dictionaries(
            {"park_id": st.text(max_size=5), "name": st.text(max_size=5)}
        )
        | _JSON,
        "geometry": _POLYGONS | _GEOMETRY,
    }
)
_COLLECTIONS = st.builds(
    lambda features, crs: {"type": "FeatureCollection", "features": features, **crs},
    st.lists(_FEATURE | _JSON, max_size=4),
    st.just({}) | st.just({"crs": {"type": "name", "properties": {"name": "EPSG:4326"}}}),
)


def _read_text(text: str) -> tuple[object, ValidationReport]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "parks.geojson"
        path.write_text(text, encoding="utf-8")
        return _read(path)


@given(_DOCUMENTS)
def test_fuzz_any_json_value_gives_a_table_or_a_finding(doc: object) -> None:
    raw, report = _read_text(json.dumps(doc))
    assert raw is not None or report.has_errors


@given(_COLLECTIONS)
def test_fuzz_feature_collections_give_a_park_layer_or_findings(doc: dict[str, object]) -> None:
    raw, report = _read_text(json.dumps(doc))
    if raw is None:
        assert report.has_errors
        return
    with warnings.catch_warnings():
        # pyogrio and shapely warn about odd geometry on the way; only exceptions matter here.
        warnings.simplefilter("ignore", RuntimeWarning)
        parks = check_parks(raw, report)  # type: ignore[arg-type]
    assert parks is not None or report.has_errors


def test_gpkg_layer_over_the_row_or_column_limit_is_refused_before_it_is_read(
    tmp_path: Path, mini_case: Case
) -> None:
    path = write_case(mini_case, tmp_path / "case.gpkg")
    n_sites = len(mini_case.sites)
    n_fields = len(pyogrio.read_info(path, layer="sites")["fields"])
    loaded = load_case(path, limits=InputLimits(max_rows=n_sites - 1))
    case, report = loaded.case, loaded.report
    assert case is None
    refused = [f for f in report.errors if f.code == "E_TOO_MANY_ROWS"]
    assert refused
    assert refused[0].layer == "sites"
    assert f"{n_sites:,} features" in refused[0].message
    assert "SYMBIOMAP_MAX_ROWS" in str(refused[0].hint)
    loaded = load_case(path, limits=InputLimits(max_columns=n_fields - 1))
    case, report = loaded.case, loaded.report
    assert case is None
    assert any(f.code == "E_TOO_MANY_COLUMNS" and f.layer == "sites" for f in report.errors)
    infos = [pyogrio.read_info(path, layer=str(name)) for name, _ in pyogrio.list_layers(path)]
    most_rows = max(int(info["features"]) for info in infos)
    most_fields = max(len(info["fields"]) for info in infos)
    loaded = load_case(path, limits=InputLimits(max_rows=most_rows, max_columns=most_fields))
    case, report = loaded.case, loaded.report
    assert case is not None, report.summary()


def test_gpkg_over_the_size_limit_is_refused_naming_the_variable(
    tmp_path: Path, mini_case: Case
) -> None:
    path = write_case(mini_case, tmp_path / "case.gpkg")
    size = path.stat().st_size
    with pytest.raises(CaseReadError, match="SYMBIOMAP_MAX_UNCOMPRESSED_MB") as err:
        load_case(path, limits=InputLimits(max_uncompressed_bytes=size - 1))
    assert f"{size:,} bytes" in str(err.value)
    assert load_case(path, limits=InputLimits(max_uncompressed_bytes=size)).case is not None
