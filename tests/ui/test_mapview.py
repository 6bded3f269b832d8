"""Tests of the folium map built from a case, and of the offline assets."""

from __future__ import annotations

import base64
import html

import folium
import folium.plugins
import numpy as np
import pandas as pd
import pytest

from flows.model import Case
from flows.resources import FAMILIES
from ui import assets, mapview
from ui.mapview import build_map, case_summary, line_weights

MALICIOUS_NAME = "<script>alert(1)</script>"  # the name the tiny_case fixture gives a site


def _layer(m: folium.Map, name: str) -> folium.GeoJson:
    layers = [
        c for c in m._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name
    ]
    assert len(layers) == 1, f"expected one {name!r} layer, found {len(layers)}"
    return layers[0]


def _features(m: folium.Map, name: str) -> list[dict[str, object]]:
    features: list[dict[str, object]] = _layer(m, name).data["features"]
    return features


def _legend(m: folium.Map) -> mapview.Legend:
    legends = [c for c in m._children.values() if isinstance(c, mapview.Legend)]
    assert len(legends) == 1
    return legends[0]


def test_sites_are_one_geojson_layer_of_circle_markers(kalundborg: Case) -> None:
    m = build_map(kalundborg, tiles=False)
    sites = _layer(m, "Sites")
    assert len(sites.data["features"]) == len(kalundborg.sites)
    assert isinstance(sites.marker, folium.CircleMarker)
    assert not any(isinstance(c, folium.Marker) for c in m._children.values())
    ids = {f["properties"]["site_id"] for f in sites.data["features"]}
    assert ids == {html.escape(s) for s in kalundborg.sites["site_id"]}


def test_exchanges_are_drawn_as_lines_between_sites(kalundborg: Case) -> None:
    assert len(kalundborg.exchanges) > 0
    m = build_map(kalundborg, tiles=False)
    lines = _features(m, "Exchanges")
    assert len(lines) == len(kalundborg.exchanges)
    assert all(f["geometry"]["type"] == "LineString" for f in lines)  # type: ignore[index]
    colours = {f["properties"]["colour"] for f in lines}  # type: ignore[index]
    assert colours <= {colour for _, colour in FAMILIES.values()}


def test_legend_lists_sectors_and_families_present(kalundborg: Case) -> None:
    legend = _legend(build_map(kalundborg, tiles=False))
    for sector in kalundborg.sites["sector"].dropna().unique():
        assert html.escape(sector) in legend.body_html
    for family in kalundborg.exchanges["family"].dropna().unique():
        assert html.escape(FAMILIES[family][0]) in legend.body_html


def test_kalundborg_map_frames_the_parks_and_their_sites(kalundborg: Case) -> None:
    m = build_map(kalundborg, tiles=False)
    fits = [c for c in m._children.values() if isinstance(c, folium.FitBounds)]
    assert len(fits) == 1
    (south, west), (north, east) = fits[0].bounds
    in_parks = kalundborg.sites[kalundborg.sites["park_id"].isin(kalundborg.parks["park_id"])]
    for frame in (kalundborg.parks, in_parks):
        minx, miny, maxx, maxy = frame.total_bounds
        assert south <= miny
        assert west <= minx
        assert north >= maxy
        assert east >= maxx
    # Far partners (Aalborg Portland, 200 km away) are outside the first view, one zoom away.
    far = kalundborg.sites.set_index("site_id").geometry["aalborg-portland"]
    assert not (south <= far.y <= north and west <= far.x <= east)


def test_case_without_parks_fits_all_sites(tiny_case: Case) -> None:
    case = Case(sites=tiny_case.sites, flows=tiny_case.flows, exchanges=tiny_case.exchanges)
    m = build_map(case, tiles=False)
    (south, west), (north, east) = next(
        c for c in m._children.values() if isinstance(c, folium.FitBounds)
    ).bounds
    minx, miny, maxx, maxy = case.sites.total_bounds
    assert south <= miny
    assert west <= minx
    assert north >= maxy
    assert east >= maxx


def test_summary_names_case_and_counts(kalundborg: Case) -> None:
    text = case_summary(kalundborg)
    assert kalundborg.name in text
    assert f"{len(kalundborg.sites)} sites" in text
    assert f"{len(kalundborg.exchanges)} exchanges" in text


def test_text_is_html_escaped_before_it_enters_the_geojson(tiny_case: Case) -> None:
    m = build_map(tiny_case, tiles=False)
    names = [f["properties"]["name"] for f in _features(m, "Sites")]  # type: ignore[index]
    assert html.escape(MALICIOUS_NAME) in names
    routes = [f["properties"]["route"] for f in _features(m, "Exchanges")]  # type: ignore[index]
    assert any(html.escape(MALICIOUS_NAME) in r for r in routes)
    parks = [f["properties"]["name"] for f in _features(m, "Parks")]  # type: ignore[index]
    assert parks == ["Harbour &lt;park&gt;"]
    page = m.get_root().render()
    assert MALICIOUS_NAME not in page
    assert "<script>alert" not in page


def test_polygon_sites_get_a_marker_inside_them(tiny_case: Case) -> None:
    features = mapview.site_features(tiny_case)["features"]
    works = next(f for f in features if f["properties"]["site_id"] == "works")
    lon, lat = works["geometry"]["coordinates"]
    assert 11.10 < lon < 11.11
    assert 55.66 < lat < 55.67


def test_line_weight_grows_with_quantity_within_a_unit() -> None:
    quantity = pd.Series([10.0, 1_000.0, 100.0, np.nan, 5.0])
    unit = pd.Series(["t/yr", "t/yr", "t/yr", "t/yr", "MWh/yr"])
    weights = line_weights(quantity, unit)
    assert weights[0] < weights[2] < weights[1]
    assert weights[0] == mapview.MIN_WEIGHT_PX
    assert weights[1] == mapview.MAX_WEIGHT_PX
    assert weights[3] == mapview.UNPUBLISHED_WEIGHT_PX
    assert mapview.MIN_WEIGHT_PX < weights[4] < mapview.MAX_WEIGHT_PX


def test_exchange_style_follows_quantity_and_family(tiny_case: Case) -> None:
    props = [f["properties"] for f in mapview.exchange_features(tiny_case)["features"]]
    big, small = props[1], props[2]  # 200 000 t/yr and 2 000 t/yr of fly ash
    assert big["weight"] > small["weight"]
    assert big["colour"] == FAMILIES["minerals"][1]
    assert props[0]["colour"] == FAMILIES["heat"][1]
    unpublished = props[3]
    assert unpublished["dash"]
    assert unpublished["weight"] == mapview.UNPUBLISHED_WEIGHT_PX
    assert unpublished["quantity"] == "not published"
    assert not big["dash"]


def test_no_remote_script_or_stylesheet_after_offline_patch(tiny_case: Case) -> None:
    for tiles in (False, True):
        m = build_map(tiny_case, tiles=tiles)
        assert assets.remote_asset_urls(m) == []
        page = m.get_root().render()
        assert assets.leaflet_js_url() in page
        assert assets.leaflet_css_url() in page
        assert "jquery" not in page.lower()
        assert "bootstrap" not in page.lower()


def test_unpatched_folium_map_does_load_from_cdns(tiny_case: Case) -> None:
    m = build_map(tiny_case, tiles=False, offline_assets=False)
    assert assets.remote_asset_urls(m)


def test_offline_env_drops_the_tile_layer(tiny_case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    def tile_layers(m: folium.Map) -> list[folium.TileLayer]:
        return [c for c in m._children.values() if isinstance(c, folium.TileLayer)]

    monkeypatch.setenv(mapview.OFFLINE_ENV, "1")
    assert tile_layers(build_map(tiny_case)) == []
    assert "tile.openstreetmap.org" not in build_map(tiny_case).get_root().render()
    monkeypatch.delenv(mapview.OFFLINE_ENV)
    assert len(tile_layers(build_map(tiny_case))) == 1


def test_leaflet_css_inlines_its_images() -> None:
    url = assets.leaflet_css_url()
    css = base64.b64decode(url.split(",", 1)[1]).decode("utf-8")
    assert "url(images/" not in css
    assert css.count("data:image/png;base64,") == 3
    assert assets.leaflet_css_url() is url  # built once


def test_make_offline_refuses_an_asset_without_offline_copy(tiny_case: Case) -> None:
    m = build_map(tiny_case, tiles=False)
    folium.plugins.MarkerCluster().add_to(m)
    with pytest.raises(ValueError, match="no offline copy"):
        assets.make_offline(m)


def test_legend_cannot_close_the_script_tag(tiny_case: Case) -> None:
    legend = _legend(build_map(tiny_case, tiles=False))
    assert "</" not in legend.html_json
    assert "Ashes, gypsum and mineral residues" in legend.body_html
    assert "dashed: not published" in legend.body_html


def test_summary_sums_active_published_quantities(tiny_case: Case) -> None:
    text = case_summary(tiny_case)
    assert text.startswith("Tiny *test* case · 4 sites · 4 exchanges")
    assert "1,000 MWh/yr" in text
    assert "200,000 t/yr" in text
    assert "2,000" not in text  # historical exchange is not counted
    assert mapview.escape_markdown("*a*") == r"\*a\*"
