"""The Data page's "Start a case from a region" section, driven with ``AppTest`` (no browser,
no network: a place name is tested from the geocoding cache, offline is simulated)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from flows.model import Case
from flows.region import build_region_case
from geo import NetworkUnavailableError, osm
from ui import region
from ui.state import StateKeys

DATA_PAGE = "ui/pages/data.py"
GHENT = (3.6, 51.0, 3.9, 51.25)
YEAR = 2024
ATLANTIC = (-30.0, 40.0, -29.0, 41.0)
"""Open sea west of the Azores: no site of the bundled layers lies in it."""
HOSTILE_PLACE = "<script>alert(1)</script> *Gent*"


@pytest.fixture(scope="module")
def ghent() -> Case:
    """The Ghent canal zone case as ``flows.region`` builds it for :data:`YEAR`."""
    case, _ = build_region_case(bbox=GHENT, year=YEAR)
    return case


def _page(app: AppTest) -> AppTest:
    app.switch_page(DATA_PAGE).run()
    assert not app.exception, app.exception
    return app


def _build(at: AppTest) -> AppTest:
    at.number_input(key=StateKeys.REGION_YEAR).set_value(YEAR).run()
    at.button(key=StateKeys.REGION_BUILD).click().run()
    assert not at.exception, at.exception
    return at


def _set_box(at: AppTest, box: tuple[float, float, float, float]) -> None:
    for key, value in zip(region.BOX_KEYS, box, strict=True):
        at.number_input(key=key).set_value(value)
    at.run()


def _flow_quantities(case: Case) -> pd.DataFrame:
    cols = ["site_id", "resource", "direction", "quantity", "unit"]
    return case.flows[cols].sort_values(cols).reset_index(drop=True)


def _assert_same_case(built: Case, expected: Case) -> None:
    assert sorted(built.sites["site_id"]) == sorted(expected.sites["site_id"])
    pd.testing.assert_frame_equal(_flow_quantities(built), _flow_quantities(expected))


def test_the_box_starts_on_the_ghent_canal_zone(app: AppTest) -> None:
    at = _page(app)
    assert at.radio(key=StateKeys.REGION_AREA).value == region.AREA_BOX
    assert tuple(at.number_input(key=k).value for k in region.BOX_KEYS) == GHENT
    # The section's button comes after the bundled case's: button[0] stays "Load bundled case".
    assert at.button[0].label == "Load bundled case"


def test_building_the_ghent_box_loads_the_flows_region_case(app: AppTest, ghent: Case) -> None:
    at = _build(_page(app))
    case = at.session_state[StateKeys.CASE]
    assert case is not None
    _assert_same_case(case, ghent)
    assert at.session_state[StateKeys.CASE_LABEL] == ghent.name
    assert not at.error
    # The report lines (sites per layer, merges, flows, parks) are flows.region's, verbatim.
    _, expected = build_region_case(bbox=GHENT, year=YEAR)
    assert at.code[0].value == expected.format()
    assert "reference year 2024" in expected.format()
    # Loaded like an upload: its validation report is shown, the old network forgotten.
    assert at.session_state[StateKeys.REPORT_LABEL] == ghent.name
    assert at.session_state[StateKeys.REPORT].errors == []
    assert at.session_state[StateKeys.NETWORK] is None
    # The page offers it as GeoPackage and workbook (files named after the box).
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Download as GeoPackage", "Download as Excel workbook"} <= labels
    assert region.download_stem(ghent.name) == "Region-bbox-3-6-51-3-9-51-25"


def test_the_built_case_is_what_the_map_page_shows(app: AppTest, ghent: Case) -> None:
    at = _build(_page(app))
    at.switch_page("ui/pages/map.py").run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert f"{len(ghent.sites)} sites" in captions


def test_an_empty_box_shows_an_error_and_keeps_the_case(app: AppTest) -> None:
    at = _page(app)
    before = at.session_state[StateKeys.CASE]
    _set_box(at, ATLANTIC)
    _build(at)
    assert at.session_state[StateKeys.CASE] is before
    message = at.error[0].value
    assert message.startswith("No case was built; change the box")
    assert "no site of the bundled layers" in message


def test_a_reversed_box_says_which_value_to_change(app: AppTest) -> None:
    at = _page(app)
    _set_box(at, (3.9, 51.0, 3.6, 51.25))
    _build(at)
    assert "west must be less than east" in at.error[0].value


def test_the_map_view_fills_the_box(app: AppTest) -> None:
    at = _page(app)
    _set_box(at, (3.7, 51.05, 3.8, 51.15))
    at.checkbox(key=StateKeys.REGION_SHOW_MAP).check().run()
    assert not at.exception, at.exception
    # AppTest has no browser: streamlit-folium returns its default view, the map's bounds,
    # which are the rectangle drawn (fitted to the box). Typing other values and pressing the
    # button in the same run puts the view back: the callback runs after the typed values.
    for key, value in zip(region.BOX_KEYS, (1.0, 50.0, 2.0, 50.5), strict=True):
        at.number_input(key=key).set_value(value)
    use = next(b for b in at.button if b.label == "Use the map's current view as the area")
    assert not use.disabled
    use.click().run()
    assert not at.exception, at.exception
    assert tuple(at.number_input(key=k).value for k in region.BOX_KEYS) == (3.7, 51.05, 3.8, 51.15)


def test_bbox_from_bounds_reads_leaflets_corners() -> None:
    bounds = {
        "_southWest": {"lat": 51.012345678, "lng": 3.612345678},
        "_northEast": {"lat": 51.2, "lng": 3.95},
    }
    assert region.bbox_from_bounds(bounds) == (3.6123, 51.0123, 3.95, 51.2)
    # Zoomed out past the world's edge, Leaflet reports longitudes beyond 180.
    wide = {"_southWest": {"lat": -95.0, "lng": -200.0}, "_northEast": {"lat": 95, "lng": 250}}
    assert region.bbox_from_bounds(wide) == (-180.0, -90.0, 180.0, 90.0)
    assert region.bbox_from_bounds(None) is None
    assert region.bbox_from_bounds({"_southWest": {"lat": None, "lng": None}}) is None


def test_a_place_from_the_cache_builds_offline_and_its_report_is_escaped(
    app: AppTest, ghent: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # geocode_bbox's cache file for the name, as it writes it after a lookup.
    monkeypatch.setattr(osm, "cache_dir", lambda cache_dir=None: tmp_path)
    cached = tmp_path / "places" / f"{osm.cache_key({'place': HOSTILE_PLACE})}.json"
    cached.parent.mkdir()
    cached.write_text(json.dumps({"place": HOSTILE_PLACE, "bbox": list(GHENT)}), "utf-8")
    at = _page(app)
    at.radio(key=StateKeys.REGION_AREA).set_value(region.AREA_PLACE).run()
    at.text_input(key=StateKeys.REGION_PLACE).input(HOSTILE_PLACE).run()
    _build(at)
    assert not at.error, [e.value for e in at.error]
    _assert_same_case(at.session_state[StateKeys.CASE], ghent)
    # The place name reaches the page as plain text (code block) or escaped Markdown only.
    assert HOSTILE_PLACE in at.code[0].value
    shown = [m.value for m in (*at.markdown, *at.success, *at.caption, *at.subheader)]
    assert all("<script>" not in text for text in shown), shown
    assert any(r"\<script\>" in text for text in shown), shown


def test_a_place_offline_shows_the_error_and_the_app_runs_on(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*, geocoding: bool = False) -> None:
        msg = "OpenStreetMap could not be reached (nominatim.openstreetmap.org:443: offline)"
        raise NetworkUnavailableError(msg)

    monkeypatch.setattr(osm, "cache_dir", lambda cache_dir=None: tmp_path)
    monkeypatch.setattr(osm, "check_reachable", unreachable)
    at = _page(app)
    before = at.session_state[StateKeys.CASE]
    at.radio(key=StateKeys.REGION_AREA).set_value(region.AREA_PLACE).run()
    assert any("Needs the internet" in c.value for c in at.caption)
    at.text_input(key=StateKeys.REGION_PLACE).input("Gent, Belgium").run()
    _build(at)
    message = at.error[0].value
    assert message.startswith("OpenStreetMap could not be reached")
    assert "give the area as a box" in message
    assert at.session_state[StateKeys.CASE] is before
    at.switch_page("ui/pages/map.py").run()
    assert not at.exception, at.exception


def test_an_empty_place_name_says_what_to_type(app: AppTest) -> None:
    at = _page(app)
    at.radio(key=StateKeys.REGION_AREA).set_value(region.AREA_PLACE).run()
    _build(at)
    assert "the place name is empty" in at.error[0].value


def test_around_the_loaded_case_matches_the_command_lines_area(
    app: AppTest, kalundborg: Case, tmp_path: Path
) -> None:
    at = _page(app)
    at.radio(key=StateKeys.REGION_AREA).set_value(region.AREA_CASE).run()
    at.number_input(key=StateKeys.REGION_MARGIN_KM).set_value(5.0).run()
    _build(at)
    assert not at.error, [e.value for e in at.error]
    path = tmp_path / "kalundborg.gpkg"
    from flows.io import write_case  # noqa: PLC0415 - only this test writes a case

    write_case(kalundborg, path)
    expected, _ = build_region_case(case=path, margin_km=5.0, year=YEAR)
    _assert_same_case(at.session_state[StateKeys.CASE], expected)
    assert "case kalundborg.gpkg + 5 km" in at.code[0].value


def test_download_stem_drops_the_suffix_and_unsafe_characters() -> None:
    assert region.download_stem("tiny.zip") == "tiny"
    assert region.download_stem("kalundborg") == "kalundborg"
    assert region.download_stem("Region place '<b>x</b>'") == "Region-place-b-x-b"
    assert region.download_stem(None) == "case"
