"""Tests of the folium map built from a case (:mod:`ui.maps`), and of the offline assets."""

from __future__ import annotations

import base64
import dataclasses
import html

import folium
import folium.plugins
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from jinja2.utils import htmlsafe_json_dumps

from datasets import settings
from flows import nace, pipeline, reference, resources
from flows.model import Case
from flows.resources import FAMILIES
from geo.distance import geodesic_m, od_table
from ui import assets, text
from ui.maps import base, case_map, features
from ui.maps.candidate_map import build_candidate_map
from ui.maps.case_map import (
    build_map,
    case_summary,
    exchange_features,
    line_weights,
)
from ui.maps.features import site_features
from ui.maps.legend import Legend
from ui.maps.route import ROUTE_COLOUR
from ui.network import LoadedNetwork, Route, exchange_distances, exchange_label, exchange_route
from ui.text import escape_markdown

WORDS = reference.default().vocabulary
"""The bundled EWC list and carriers."""

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


def _tooltip(layer: folium.GeoJson) -> folium.GeoJsonTooltip:
    tooltips = [c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip)]
    assert len(tooltips) == 1
    return tooltips[0]


def _legend(m: folium.Map) -> Legend:
    legends = [c for c in m._children.values() if isinstance(c, Legend)]
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
    features = site_features(tiny_case)["features"]
    works = next(f for f in features if f["properties"]["site_id"] == "works")
    lon, lat = works["geometry"]["coordinates"]
    assert 11.10 < lon < 11.11
    assert 55.66 < lat < 55.67


def test_line_weight_grows_with_quantity_within_a_unit() -> None:
    quantity = pd.Series([10.0, 1_000.0, 100.0, np.nan, 5.0])
    unit = pd.Series(["t/yr", "t/yr", "t/yr", "t/yr", "MWh/yr"])
    weights = line_weights(quantity, unit)
    assert weights[0] < weights[2] < weights[1]
    assert weights[0] == features.MIN_WEIGHT_PX
    assert weights[1] == features.MAX_WEIGHT_PX
    assert weights[3] == case_map.UNPUBLISHED_WEIGHT_PX
    assert features.MIN_WEIGHT_PX < weights[4] < features.MAX_WEIGHT_PX


def test_exchange_style_follows_quantity_and_family(tiny_case: Case) -> None:
    props = [f["properties"] for f in exchange_features(tiny_case)["features"]]
    big, small = props[1], props[2]  # 200 000 t/yr and 2 000 t/yr of fly ash
    assert big["weight"] > small["weight"]
    assert big["colour"] == FAMILIES["minerals"][1]
    assert props[0]["colour"] == FAMILIES["heat"][1]
    unpublished = props[3]
    assert unpublished["dash"]
    assert unpublished["weight"] == case_map.UNPUBLISHED_WEIGHT_PX
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

    # The environment is read once per process by datasets.settings; a test passes a value.
    monkeypatch.setattr(settings, "get", lambda: settings.Settings(offline=True))
    assert tile_layers(build_map(tiny_case)) == []
    assert "tile.openstreetmap.org" not in build_map(tiny_case).get_root().render()
    monkeypatch.setattr(settings, "get", lambda: settings.Settings(offline=False))
    assert len(tile_layers(build_map(tiny_case))) == 1


def test_offline_mode_follows_the_settings_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "get", lambda: settings.Settings(offline=False))
    monkeypatch.setenv(base.OFFLINE_ENV, "1")
    assert not base.offline_mode()
    monkeypatch.setattr(settings, "get", lambda: settings.Settings(offline=True))
    assert base.offline_mode()


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
    assert escape_markdown("*a*") == r"\*a\*"


# -- distances and routes ----------------------------------------------------------------


def _line_length_m(coords: list[list[float]]) -> float:
    xy = np.asarray(coords, dtype="float64")
    return float(geodesic_m(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum())


def _kotka_row(case: Case, from_site: str, to_site: str) -> int:
    ex = case.exchanges
    matches = ex.index[(ex["from_site"] == from_site) & (ex["to_site"] == to_site)]
    assert len(matches) == 1
    return int(matches[0])


def test_without_a_network_every_distance_is_estimated_and_says_so(tiny_case: Case) -> None:
    distances = exchange_distances(tiny_case, None)
    assert list(distances.index) == list(tiny_case.exchanges.index)
    assert set(distances["distance_kind"]) == {"estimated"}
    m = build_map(tiny_case, distances=distances, tiles=False)
    props = [f["properties"] for f in _features(m, "Exchanges")]  # type: ignore[index]
    road = html.escape("(estimated: geodesic × 1.30 circuity)")
    pipeline = html.escape("(estimated: geodesic × 1.20 circuity)")
    for prop, mode in zip(props, tiny_case.exchanges["mode"], strict=True):
        assert prop["distance"].endswith(road if mode == "road" else pipeline)
        assert prop["distance"][0].isdigit()
        assert " km " in prop["distance"]
    tooltip = _tooltip(_layer(m, "Exchanges"))
    assert "distance" in tooltip.fields
    assert "Distance" in tooltip.aliases


def test_without_distances_the_tooltip_has_no_distance_field(tiny_case: Case) -> None:
    m = build_map(tiny_case, tiles=False)
    assert "distance" not in _tooltip(_layer(m, "Exchanges")).fields
    assert all(f["properties"]["distance"] == "" for f in _features(m, "Exchanges"))  # type: ignore[index]


def test_exchanges_on_the_network_say_road(kotka_case: Case, kotka_network: LoadedNetwork) -> None:
    distances = exchange_distances(kotka_case, kotka_network.road)
    kinds = dict(zip(zip(kotka_case.exchanges["from_site"], kotka_case.exchanges["to_site"],
                         strict=True), distances["distance_kind"], strict=True))  # fmt: skip
    assert kinds[("mill", "port")] == "road"
    assert kinds[("chem", "wwtp")] == "road"
    assert kinds[("dh", "mill")] == "estimated"  # pipeline: not measured on roads
    assert kinds[("port", "island")] == "estimated"  # sea
    assert kinds[("island", "mill")] == "estimated"  # road, but the island is off the network
    m = build_map(kotka_case, distances=distances, tiles=False)
    by_route = {f["properties"]["route"]: f["properties"] for f in _features(m, "Exchanges")}  # type: ignore[index]
    mill_port = by_route[html.escape("Harbour pulp mill → Port terminal")]
    metres = distances.loc[_kotka_row(kotka_case, "mill", "port"), "distance_m"]
    assert mill_port["distance"] == f"{metres / 1000:,.1f} km (road)"


def test_route_follows_the_roads_and_matches_the_road_distance(
    kotka_case: Case, kotka_network: LoadedNetwork
) -> None:
    route = exchange_route(kotka_network, kotka_case, "mill", "port")
    assert isinstance(route, Route)
    distances = exchange_distances(kotka_case, kotka_network.road)
    row = distances.loc[_kotka_row(kotka_case, "mill", "port")]
    assert route.distance_m == pytest.approx(row["distance_m"], rel=1e-9)
    assert route.duration_s == pytest.approx(row["duration_s"], rel=1e-6)
    assert route.access_from_m == pytest.approx(row["access_from_m"])
    # the drawn line (edge geometries) is as long as the route along the roads
    assert _line_length_m([list(c) for c in route.road_lonlat]) == pytest.approx(
        route.road_m, rel=0.01
    )
    # and as short as networkx's shortest path between the snapped nodes
    graph = kotka_network.graph
    nodes = kotka_network.road.snap(
        kotka_case.sites.set_index("site_id").loc[["mill", "port"]].geometry.reset_index(drop=True)
    )["node_id"]
    expected = nx.shortest_path_length(graph, int(nodes[0]), int(nodes[1]), weight="length")
    assert route.road_m == pytest.approx(expected, rel=1e-9)
    straight = float(row["geodesic_m"])
    assert route.road_m > straight * 0.9  # a real detour, not the straight line


def test_route_layer_is_drawn_with_its_access_legs(
    kotka_case: Case, kotka_network: LoadedNetwork
) -> None:
    route = exchange_route(kotka_network, kotka_case, "mill", "port")
    assert isinstance(route, Route)
    m = build_map(kotka_case, route=route, route_label=MALICIOUS_NAME, tiles=False)
    features = _features(m, "Route")
    parts = [f["properties"]["part"] for f in features]  # type: ignore[index]
    assert parts == ["casing", "road", "access", "access"]
    road = next(f for f in features if f["properties"]["part"] == "road")  # type: ignore[index]
    assert _line_length_m(road["geometry"]["coordinates"]) == pytest.approx(  # type: ignore[index]
        route.road_m, rel=0.01
    )
    sites = kotka_case.sites.set_index("site_id").geometry
    first_leg = features[2]["geometry"]["coordinates"]  # type: ignore[index]
    assert first_leg[0] == pytest.approx([sites["mill"].x, sites["mill"].y])
    assert road["properties"]["route"] == html.escape(MALICIOUS_NAME)  # type: ignore[index]
    assert f"{route.distance_m / 1000:,.2f} km" in road["properties"]["distance"]  # type: ignore[index]
    style = _layer(m, "Route").style_function(road)
    assert style["dashArray"]
    assert style["color"] == ROUTE_COLOUR
    assert "Road route of the selected exchange" in _legend(m).body_html
    (south, west), (north, east) = next(
        c for c in m._children.values() if isinstance(c, folium.FitBounds)
    ).bounds
    for lon, lat in [*route.road_lonlat, *route.access_lonlat[0], *route.access_lonlat[1]]:
        assert south <= lat <= north
        assert west <= lon <= east
    island = sites["island"]
    assert not (south <= island.y <= north)  # framed on the route, not the whole case
    assert "<script>alert" not in m.get_root().render()


def test_no_route_layer_without_a_route(kotka_case: Case) -> None:
    m = build_map(kotka_case, tiles=False)
    assert not [c for c in m._children.values() if getattr(c, "layer_name", "") == "Route"]
    assert "Road route" not in _legend(m).body_html


def test_an_off_network_site_is_not_routed_and_the_reason_is_plain(
    kotka_case: Case, kotka_network: LoadedNetwork
) -> None:
    reason = exchange_route(kotka_network, kotka_case, "island", "mill")
    assert isinstance(reason, str)
    assert reason.startswith("island is ")
    assert "km from the nearest road of the network" in reason
    unknown = exchange_route(kotka_network, kotka_case, "nowhere", "mill")
    assert unknown == "nowhere is not a site of this case, so the exchange cannot be routed."


def test_distance_text_of_unknown_distances_is_empty() -> None:
    assert case_map.distance_text(pd.Series({"distance_m": np.nan, "distance_kind": pd.NA})) == ""
    assert (
        case_map.distance_text(
            pd.Series({"distance_m": 1234.0, "distance_kind": "geodesic", "circuity": np.nan})
        )
        == "1.2 km (geodesic)"
    )


def test_exchange_with_an_unknown_mode_gets_no_distance(tiny_case: Case) -> None:
    exchanges = tiny_case.exchanges.assign(mode=["road", "teleport", pd.NA, "pipeline"])
    case = Case(sites=tiny_case.sites, parks=tiny_case.parks, exchanges=exchanges)
    distances = exchange_distances(case, None)
    assert distances["distance_kind"].isna().tolist() == [False, True, True, False]
    pairs = exchanges.iloc[[0]][["from_site", "to_site"]]
    expected = od_table(tiny_case.sites, mode="road", pairs=pairs)["distance_m"].iloc[0]
    assert distances["distance_m"].iloc[0] == pytest.approx(expected)


def test_tooltips_name_the_ewc_and_nace_codes(tiny_case: Case) -> None:
    sites = {
        f["properties"]["site_id"]: f["properties"] for f in site_features(tiny_case)["features"]
    }
    assert sites["works"]["nace"] == html.escape(f"23.62 — {nace.title('23.62')}")
    lines = exchange_features(tiny_case)["features"]
    gypsum = next(
        f["properties"] for f in lines if f["properties"]["resource"].startswith("10 01 05")
    )
    assert gypsum["resource"] == html.escape(f"10 01 05 — {WORDS.describe('10 01 05')}")
    assert "desulphurisation" in gypsum["resource"]


def test_code_labels_fall_back_to_the_code() -> None:
    assert text.nace_label("23.52") == "23.52 — Manufacture of lime and plaster"
    assert text.resource_label("not-a-resource") == "not-a-resource"
    assert text.nace_label("99.99x") == "99.99x"
    assert text.nace_label(None) == ""
    assert text.resource_label(float("nan")) == ""


# -- names instead of codes, escaping in both maps ----------------------------------------

NOTE = 'bark & "chips" (mill\'s own)'
"""A resource written in a file, not in the vocabulary: shown as it is, and escaped."""


def _as_rendered(value: str) -> str:
    """``value`` as folium writes a GeoJSON string into the page (``tojson``: ``&`` and ``'``
    as ``\\u0026`` and ``\\u0027``, non-ASCII as ``\\uXXXX``)."""
    return str(htmlsafe_json_dumps(value))[1:-1]


def _candidates(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Scored candidates between sites: (supply, demand, resource, family), all paying."""
    frame = pd.DataFrame(rows, columns=["supply_site", "demand_site", "resource", "family"])
    return frame.assign(
        candidate_id=frame["supply_site"] + ">" + frame["demand_site"],
        basis="declared",
        quantity=100.0,
        unit="t/yr",
        net_benefit_eur=1e4,
        net_co2e_t=10.0,
        distance_m=1500.0,
        mode="road",
        distance_kind="estimated",
        confidence="declared",
        explanation=frame["supply_site"] + f" could send {NOTE}",
    )


@pytest.fixture(scope="module")
def kalundborg_candidates(kalundborg: Case) -> pd.DataFrame:
    # 2010: the coal-era exchanges of EWC wastes (gypsum, fly ash, sulphur, yeast) existed
    options = pipeline.AnalysisOptions(year=2010)
    return pipeline.analyse(kalundborg, options=options).candidates


def test_both_kalundborg_maps_name_the_ewc_codes_of_its_flows(
    kalundborg: Case, kalundborg_candidates: pd.DataFrame
) -> None:
    ewc = {str(r) for r in kalundborg.flows["resource"] if resources.is_ewc(str(r))}
    assert set(kalundborg.exchanges["resource"]) >= ewc  # every one is on the case map
    drawn = {str(r) for r in kalundborg_candidates["resource"]}
    assert len(ewc & drawn) >= 5
    maps = {
        "case": (build_map(kalundborg, tiles=False, offline_assets=False), ewc),
        "candidate": (
            build_candidate_map(kalundborg, kalundborg_candidates, offline_assets=False),
            ewc & drawn,
        ),
    }
    for which, (m, codes) in maps.items():
        page = m.get_root().render()
        for code in sorted(codes):
            label = f"{code} — {WORDS.describe(code)}"
            assert _as_rendered(html.escape(label)) in page, (which, code)
        steam = html.escape(text.resource_label("steam"))
        assert steam != "steam"
        assert _as_rendered(steam) in page, which
        for code in kalundborg.sites["nace"].dropna().unique():
            assert _as_rendered(html.escape(text.nace_label(code))) in page, (which, code)


def test_candidate_tooltips_name_the_resource(tiny_case: Case) -> None:
    rows = [("plant", "works", "10 01 05", "minerals"), ("plant", "farm", "heat", "heat")]
    m = build_candidate_map(tiny_case, _candidates(rows), tiles=False)
    props = [f["properties"] for f in _features(m, "New potential")]
    assert props[0]["resource"] == html.escape(text.resource_label("10 01 05"))
    assert "desulphurisation" in props[0]["resource"]
    assert props[1]["resource"] == html.escape(text.resource_label("heat"))


def test_text_from_files_is_escaped_in_both_maps(tiny_case: Case) -> None:
    exchanges = tiny_case.exchanges.assign(resource=["heat", "10 01 05", NOTE, NOTE])
    case = dataclasses.replace(tiny_case, exchanges=exchanges)
    candidates = _candidates([("evil", "farm", NOTE, "biomass")])
    maps = {
        "case": (build_map(case, tiles=False), "Exchanges"),
        "candidate": (build_candidate_map(case, candidates, tiles=False), "New potential"),
    }
    for which, (m, layer) in maps.items():
        lines = [f["properties"] for f in _features(m, layer)]
        assert html.escape(NOTE) in {p["resource"] for p in lines}, which
        assert any(html.escape(MALICIOUS_NAME) in p["route"] for p in lines), which
        names = {f["properties"]["name"] for f in _features(m, "Sites")}  # type: ignore[index]
        assert html.escape(MALICIOUS_NAME) in names, which
        page = m.get_root().render()
        assert _as_rendered(html.escape(NOTE)) in page, which
        assert _as_rendered(NOTE) not in page, which
        assert _as_rendered(html.escape(MALICIOUS_NAME)) in page, which
        assert MALICIOUS_NAME not in page, which
        assert _as_rendered(MALICIOUS_NAME) not in page, which
    explanation = _features(maps["candidate"][0], "New potential")[0]["properties"]
    assert explanation["explanation"] == html.escape(f"evil could send {NOTE}")  # type: ignore[index]


def test_the_route_picker_names_the_resource() -> None:
    row = pd.Series({"from_site": "asnaes", "to_site": "gyproc", "resource": "10 01 05",
                     "mode": "road"})  # fmt: skip
    label = exchange_label(row)
    assert label.startswith("asnaes → gyproc · 10 01 05 — ")
    assert "flue-gas desulphurisation" in label
    assert label.endswith("(road)")


def test_kalundborg_fermentation_residues_are_drawn_as_biomass(kalundborg: Case) -> None:
    # Novo Nordisk's yeast slurry (07 05 99) and Novonesis' fermentation residue (07 07 99)
    # go to farms and a biogas plant: biomass, not chemicals
    props = [f["properties"] for f in exchange_features(kalundborg)["features"]]
    residues = [p for p in props if p["resource"].startswith(("07 05 99", "07 07 99"))]
    assert len(residues) == 3
    assert {p["colour"] for p in residues} == {FAMILIES["biomass"][1]}


def test_shared_heat_networks_are_drawn_under_the_candidates(kalundborg: Case) -> None:
    from flows import heat_networks, pipeline  # noqa: PLC0415

    analysis = pipeline.analyse(kalundborg)
    params = analysis.parameters
    found = heat_networks.shared_networks(
        analysis.candidates,
        kalundborg,
        pipe_parameters=analysis.reference.pipes,
        electricity_price_eur_per_mwh=params["price.electricity"],
        grid_ef_kg_co2e_per_mwh=params["ef.grid_electricity.eu"],
    )
    edges = pd.concat([n.edges for n in found], ignore_index=True)
    m = build_candidate_map(kalundborg, analysis.candidates, networks=edges, tiles=False)
    drawn = _features(m, "Shared heat networks")
    assert len(drawn) == len(edges) == sum(len(n.sites) - 1 for n in found)  # a tree each
    assert all(" → " in str(f["properties"]["route"]) for f in drawn)  # type: ignore[index]
    page = m.get_root().render()
    assert "Heat carried" in page
