"""Build the folium map of a case: sites, parks, exchanges, legend (no Streamlit here)."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from datasets import settings
from flows.nace import SECTION_NAMES
from flows.resources import FAMILIES
from ui.assets import make_offline
from ui.text import escape_markdown, nace_label, resource_label
from ui.text import html_text as _text
from ui.text import plain as _plain

if TYPE_CHECKING:
    import geopandas as gpd

    from flows.model import Case
    from ui.network import Route

__all__ = [
    "MAX_CANDIDATE_LINES",
    "MAX_CANDIDATE_SITES",
    "MAX_WEIGHT_PX",
    "MIN_WEIGHT_PX",
    "NON_PAYING_COLOUR",
    "NON_PAYING_WEIGHT_PX",
    "OFFLINE_ENV",
    "SECTION_COLOURS",
    "UNPUBLISHED_WEIGHT_PX",
    "Legend",
    "benefit_weights",
    "build_candidate_map",
    "build_map",
    "candidate_features",
    "candidates_to_draw",
    "case_summary",
    "distance_text",
    "escape_markdown",
    "exchange_features",
    "line_weights",
    "offline_mode",
    "park_features",
    "route_features",
    "site_features",
]

OFFLINE_ENV = settings.OFFLINE_ENV
"""Set it to ``1`` to draw no tile layer (read once by :mod:`datasets.settings`)."""

MIN_WEIGHT_PX = 2.0
MAX_WEIGHT_PX = 9.0
UNPUBLISHED_WEIGHT_PX = 1.5
"""Line widths in pixels: published quantities span MIN..MAX; unpublished ones are thin."""

SITE_RADIUS_PX = 7
LEGEND_WIDTH_PX = 230
UNKNOWN_COLOUR = "#9e9e9e"

_PALETTE = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
    "#1f78b4", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#6a3d9a", "#b15928",
    "#8dd3c7", "#bebada", "#80b1d3", "#b3de69", "#fccde5", "#bc80bd", "#ccebc5",
    "#ffed6f",
)  # fmt: skip
SECTION_COLOURS: dict[str, str] = dict(zip(sorted(SECTION_NAMES), _PALETTE, strict=False))
"""NACE section letter -> fill colour of the site markers."""

ROUTE_COLOUR = "#ffd600"
ROUTE_CASING_COLOUR = "#111111"
ROUTE_WEIGHT_PX = 6
"""The selected exchange's road route: a yellow dashed line on a black casing."""

_STATUS_OPACITY = {"active": 0.9, "planned": 0.6, "historical": 0.45}


def offline_mode() -> bool:
    """Whether the settings (``SYMBIOMAP_OFFLINE=1``) ask for a map without any tile layer.

    Read through :func:`datasets.settings.get`, the one place the environment is read.
    """
    return settings.get().offline


def _format_number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def _representative_points(sites: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A point per site: the point itself, or a point inside its polygon."""
    return sites.geometry.representative_point()


def site_features(case: Case) -> dict[str, Any]:
    """Return the sites as a GeoJSON FeatureCollection of points with escaped text properties.

    Properties: ``site_id``, ``name``, ``sector`` (letter and title), ``section``, ``nace``,
    ``kind``, ``park``. Every string is HTML-escaped so tooltips show it as text.
    """
    sites = case.sites
    points = _representative_points(sites)
    parks = {
        _plain(k): _plain(v)
        for k, v in zip(case.parks["park_id"], case.parks["name"], strict=False)
    }
    features = []
    for position, (idx, row) in enumerate(sites.iterrows()):
        point = points.loc[idx]
        section = _plain(row.get("nace_section"))
        sector = _plain(row.get("sector")) or SECTION_NAMES.get(section, "")
        park_id = _plain(row.get("park_id"))
        features.append(
            {
                "type": "Feature",
                "id": str(position),
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                "properties": {
                    "site_id": _text(row["site_id"]),
                    "name": _text(row["name"]),
                    "section": _text(section),
                    "sector": _text(f"{section} – {sector}" if section else ""),
                    "nace": _text(nace_label(row.get("nace"))),
                    "kind": _text(row.get("kind")),
                    "park": _text(parks.get(park_id, park_id)),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def park_features(case: Case) -> dict[str, Any]:
    """Return the parks as a GeoJSON FeatureCollection with escaped ``name`` and ``kind``."""
    features = [
        {
            "type": "Feature",
            "id": str(position),
            "geometry": row.geometry.__geo_interface__,
            "properties": {"name": _text(row.get("name")), "kind": _text(row.get("kind"))},
        }
        for position, (_, row) in enumerate(case.parks.iterrows())
        if row.geometry is not None and not row.geometry.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


def line_weights(quantity: pd.Series, unit: pd.Series) -> pd.Series:
    """Return a line width in pixels per exchange, growing with the log of its quantity.

    Quantities are compared only with others of the same canonical unit: the smallest gets
    :data:`MIN_WEIGHT_PX`, the largest :data:`MAX_WEIGHT_PX`. A unit with a single quantity
    gets the middle width; a missing or non-positive quantity gets
    :data:`UNPUBLISHED_WEIGHT_PX`.

    Parameters
    ----------
    quantity
        Canonical annual quantities (``quantity_canonical``); NaN where unpublished.
    unit
        Their canonical units (``unit_canonical``), aligned with ``quantity``.
    """
    weights = pd.Series(UNPUBLISHED_WEIGHT_PX, index=quantity.index, dtype="float64")
    values = pd.to_numeric(quantity, errors="coerce").astype("float64")
    published = values.notna() & (values > 0)
    for _, group in values[published].groupby(unit[published].astype(str)):
        logs = group.map(math.log10)
        low, high = logs.min(), logs.max()
        if high == low:
            weights.loc[group.index] = (MIN_WEIGHT_PX + MAX_WEIGHT_PX) / 2
        else:
            span = MAX_WEIGHT_PX - MIN_WEIGHT_PX
            weights.loc[group.index] = MIN_WEIGHT_PX + span * (logs - low) / (high - low)
    return weights


def _family_label(family: object) -> str:
    key = str(family)
    return FAMILIES[key][0] if key in FAMILIES else key


def _family_colour(family: object) -> str:
    key = str(family)
    return FAMILIES[key][1] if key in FAMILIES else UNKNOWN_COLOUR


def _quantity_text(row: pd.Series) -> str:
    canonical = row.get("quantity_canonical")
    if canonical is None or pd.isna(canonical):
        return "not published"
    text = f"{_format_number(float(canonical))} {row.get('unit_canonical', '')}"
    original, unit = row.get("quantity"), row.get("unit")
    if original is not None and not pd.isna(original) and unit != row.get("unit_canonical"):
        text += f" ({_format_number(float(original))} {unit})"
    return text


def exchange_features(case: Case, distances: pd.DataFrame | None = None) -> dict[str, Any]:
    """Return the exchanges as a GeoJSON FeatureCollection of lines with style properties.

    Each line joins the representative points of ``from_site`` and ``to_site``; exchanges
    naming an unknown site are left out (validation reports them). Text is HTML-escaped;
    ``colour`` follows the resource family, ``weight`` the quantity (:func:`line_weights`)
    and ``dash`` is set where the quantity is not published.

    ``distances`` (indexed like ``case.exchanges``, from :func:`ui.network.exchange_distances`)
    adds a ``distance`` property such as ``"12.3 km (road)"``; without it the property is
    empty.
    """

    exchanges = case.exchanges
    points = _representative_points(case.sites)
    where = dict(zip(case.sites["site_id"], points, strict=False))
    names = dict(zip(case.sites["site_id"], case.sites["name"], strict=False))
    if exchanges.empty:
        return {"type": "FeatureCollection", "features": []}
    weights = line_weights(exchanges["quantity_canonical"], exchanges["unit_canonical"])
    features = []
    for position, (idx, row) in enumerate(exchanges.iterrows()):
        start, end = where.get(row["from_site"]), where.get(row["to_site"])
        if start is None or end is None:
            continue
        unpublished = pd.isna(row.get("quantity_canonical"))
        since = row.get("since")
        features.append(
            {
                "type": "Feature",
                "id": str(position),
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[start.x, start.y], [end.x, end.y]],
                },
                "properties": {
                    "route": _text(
                        f"{names.get(row['from_site'], row['from_site'])} → "
                        f"{names.get(row['to_site'], row['to_site'])}"
                    ),
                    "resource": _text(resource_label(row["resource"])),
                    "family": _text(_family_label(row.get("family"))),
                    "quantity": _text(_quantity_text(row)),
                    "mode": _text(row.get("mode")),
                    "since": _text(since if since is not None and not pd.isna(since) else ""),
                    "status": _text(row.get("status")),
                    "distance": _text(
                        distance_text(distances.loc[idx]) if distances is not None else ""
                    ),
                    "source": _text(row.get("source")),
                    "colour": _family_colour(row.get("family")),
                    "weight": round(float(weights.iloc[position]), 2),
                    "dash": "6 6" if unpublished else "",
                    "opacity": _STATUS_OPACITY.get(str(row.get("status")), 0.8),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def distance_text(row: pd.Series) -> str:
    """``"12.3 km (road)"`` or ``"1.2 km (estimated: geodesic × 1.30 circuity)"``; empty
    where the distance is unknown."""
    metres = row.get("distance_m")
    kind = row.get("distance_kind")
    if metres is None or pd.isna(metres) or kind is None or pd.isna(kind):
        return ""
    text = f"{float(metres) / 1000:,.1f} km"
    if kind == "estimated":
        return f"{text} (estimated: geodesic × {float(row['circuity']):.2f} circuity)"
    return f"{text} ({kind})"


def route_features(route: Route, *, label: str = "") -> dict[str, Any]:
    """Return a road route as a GeoJSON FeatureCollection: the road line twice (``part``
    ``casing`` and ``road``, drawn one over the other) and the two straight ``access`` legs.

    Properties: ``part``, ``route`` (``label``, escaped) and ``distance`` (text).
    """
    minutes = route.duration_s / 60
    text = _text(
        f"{route.distance_m / 1000:,.2f} km, {minutes:,.0f} min by road "
        f"(access legs {route.access_from_m:,.0f} m and {route.access_to_m:,.0f} m)"
    )
    road = {"type": "LineString", "coordinates": [list(c) for c in route.road_lonlat]}
    features = [
        {
            "type": "Feature",
            "id": part,
            "geometry": road,
            "properties": {"part": part, "route": _text(label), "distance": text},
        }
        for part in ("casing", "road")
    ]
    for position, leg in enumerate(route.access_lonlat):
        features.append(
            {
                "type": "Feature",
                "id": f"access-{position}",
                "geometry": {"type": "LineString", "coordinates": [list(c) for c in leg]},
                "properties": {"part": "access", "route": _text(label), "distance": text},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _route_style(feature: dict[str, Any]) -> dict[str, Any]:
    part = feature["properties"]["part"]
    if part == "casing":
        return {"color": ROUTE_CASING_COLOUR, "weight": ROUTE_WEIGHT_PX + 4, "opacity": 0.9}
    if part == "road":
        return {
            "color": ROUTE_COLOUR,
            "weight": ROUTE_WEIGHT_PX,
            "opacity": 1.0,
            "dashArray": "12 8",
        }
    return {"color": ROUTE_CASING_COLOUR, "weight": 2, "opacity": 0.9, "dashArray": "3 5"}


def _site_style(feature: dict[str, Any]) -> dict[str, Any]:
    section = feature["properties"]["section"]
    return {
        "radius": SITE_RADIUS_PX,
        "fill": True,
        "fillColor": SECTION_COLOURS.get(section, UNKNOWN_COLOUR),
        "color": "#222222",
        "weight": 1,
        "fillOpacity": 0.9,
    }


def _exchange_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    style = {"color": props["colour"], "weight": props["weight"], "opacity": props["opacity"]}
    if props["dash"]:
        style["dashArray"] = props["dash"]
    return style


def _park_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "color": "#4d4d4d",
        "weight": 2,
        "dashArray": "4 4",
        "fill": True,
        "fillColor": "#bdbdbd",
        "fillOpacity": 0.12,
    }


class Legend(MacroElement):
    """A Leaflet control in the map's bottom-left corner showing ready-made (escaped) HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "symbiomap-legend");
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, body_html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.body_html = body_html
        # json.dumps leaves "</" alone; escape it so the string cannot close the <script>.
        self.html_json = json.dumps(body_html).replace("</", "<\\/")


def _legend_html(
    sections: list[str],
    families: list[str],
    *,
    route: bool = False,
    lines_title: str = "Exchanges",
    lines_note: str = "Width grows with quantity; dashed: not published.",
) -> str:
    box = (
        "background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:11px/1.3 sans-serif;"
        f"max-width:{LEGEND_WIDTH_PX}px;max-height:70vh;overflow-y:auto"
    )
    parts = [
        f'<details open style="{box}">',
        '<summary style="cursor:pointer"><b>Legend</b></summary>',
        "<b>Sectors (NACE)</b><br>",
    ]
    for section in sections:
        colour = SECTION_COLOURS.get(section, UNKNOWN_COLOUR)
        parts.append(
            f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
            f'border:1px solid #222;background:{colour};margin-right:4px"></span>'
            f"{_text(section)} – {_text(SECTION_NAMES.get(section, 'unknown'))}<br>"
        )
    if families:
        parts.append(f"<b>{_text(lines_title)}</b><br>")
        for family in families:
            parts.append(
                f'<span style="display:inline-block;width:18px;height:0;'
                f'border-top:3px solid {_family_colour(family)};margin:0 4px 3px 0"></span>'
                f"{_text(_family_label(family))}<br>"
            )
        parts.append(f'<span style="color:#555">{_text(lines_note)}</span>')
    if route:
        parts.append(
            f'<br><span style="display:inline-block;width:18px;height:0;'
            f"border-top:4px dashed {ROUTE_COLOUR};outline:2px solid {ROUTE_CASING_COLOUR};"
            f'margin:0 4px 3px 0"></span>Road route of the selected exchange<br>'
        )
    parts.append("</details>")
    return "".join(parts)


def _bounds(case: Case) -> list[list[float]]:
    """Frame the parks and their sites when the case has parks: far partners (a cement works
    200 km away) would otherwise shrink the cluster to a dot; they are one zoom-out away."""
    frames = [case.sites.geometry]
    if not case.parks.empty:
        in_parks = case.sites.geometry[case.sites["park_id"].isin(case.parks["park_id"])]
        frames = [case.parks.geometry, *([in_parks] if len(in_parks) else [])]
    minx, miny, maxx, maxy = (
        min(f.total_bounds[0] for f in frames),
        min(f.total_bounds[1] for f in frames),
        max(f.total_bounds[2] for f in frames),
        max(f.total_bounds[3] for f in frames),
    )
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _route_bounds(route: Route) -> list[list[float]]:
    """Frame the selected route and its access legs (the map zooms onto it)."""
    points = [*route.road_lonlat, *(p for leg in route.access_lonlat for p in leg)]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def build_map(
    case: Case,
    *,
    distances: pd.DataFrame | None = None,
    route: Route | None = None,
    route_label: str = "",
    tiles: bool | None = None,
    offline_assets: bool = True,
) -> folium.Map:
    """Build the map of ``case``.

    Layers: park outlines, exchange lines (colour = resource family, width = quantity,
    dashed = unpublished), the selected exchange's road route, sites as one GeoJson layer of
    circle markers coloured by NACE section; plus a legend, a layer control and bounds fitted
    to the case.

    Parameters
    ----------
    case
        The case to draw (sites in EPSG:4326).
    distances
        Per-exchange distances (:func:`ui.network.exchange_distances`), shown in the exchange
        tooltips with how they were obtained.
    route
        A road route (:func:`ui.network.exchange_route`) drawn as a "Route" layer: a yellow
        dashed line on a black casing, with the access legs dotted; the map is framed on it.
    route_label
        What the route is of, for its tooltip (plain text; escaped here).
    tiles
        Whether to add the OpenStreetMap tile layer; ``None`` adds it unless
        ``SYMBIOMAP_OFFLINE=1`` (see :func:`offline_mode`).
    offline_assets
        Whether to replace folium's CDN scripts and stylesheets by bundled ``data:`` URLs
        (:func:`ui.assets.make_offline`).
    """
    bounds = _bounds(case) if route is None else _route_bounds(route)
    m = _new_map(bounds, tiles=tiles)
    _add_parks(m, case)

    lines = exchange_features(case, distances)
    if lines["features"]:
        fields = ["route", "resource", "family", "quantity", "mode", "since", "status"]
        aliases = ["Exchange", "Resource", "Family", "Quantity", "Mode", "Since", "Status"]
        if distances is not None:
            fields.append("distance")
            aliases.append("Distance")
        folium.GeoJson(
            lines,
            name="Exchanges",
            style_function=_exchange_style,
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        ).add_to(m)

    if route is not None:
        folium.GeoJson(
            route_features(route, label=route_label),
            name="Route",
            style_function=_route_style,
            tooltip=folium.GeoJsonTooltip(
                fields=["route", "distance"], aliases=["Road route", "Distance"], sticky=True
            ),
        ).add_to(m)

    _add_sites(m, case)
    families = []
    if not case.exchanges.empty:
        families = sorted({str(f) for f in case.exchanges["family"].dropna()})
    Legend(_legend_html(_sections(case), families, route=route is not None)).add_to(m)
    _finish(m, bounds, offline_assets=offline_assets)
    return m


def _new_map(bounds: list[list[float]], *, tiles: bool | None) -> folium.Map:
    """An empty map centred on ``bounds``, with the OpenStreetMap tiles unless offline."""
    use_tiles = (not offline_mode()) if tiles is None else tiles
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = folium.Map(location=centre, zoom_start=13, tiles=None, control_scale=True)
    if use_tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    return m


def _add_parks(m: folium.Map, case: Case) -> None:
    if not case.parks.empty:
        folium.GeoJson(
            park_features(case),
            name="Parks",
            style_function=_park_style,
            tooltip=folium.GeoJsonTooltip(fields=["name", "kind"], aliases=["Park", "Kind"]),
        ).add_to(m)


def _add_sites(m: folium.Map, case: Case) -> None:
    folium.GeoJson(
        site_features(case),
        name="Sites",
        marker=folium.CircleMarker(radius=SITE_RADIUS_PX),
        style_function=_site_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "sector", "nace", "kind", "park"],
            aliases=["Site", "Sector", "NACE", "Kind", "Park"],
            sticky=True,
        ),
    ).add_to(m)


def _sections(case: Case) -> list[str]:
    return sorted({str(s) for s in case.sites.get("nace_section", pd.Series()).dropna()})


def _finish(m: folium.Map, bounds: list[list[float]], *, offline_assets: bool) -> None:
    """Layer control, bounds (sites kept clear of the legend on the left), offline assets."""
    folium.LayerControl(collapsed=True).add_to(m)
    m.fit_bounds(
        bounds,
        max_zoom=15,
        padding_top_left=(LEGEND_WIDTH_PX + 30, 20),
        padding_bottom_right=(20, 20),
    )
    if offline_assets:
        make_offline(m)


def case_summary(case: Case) -> str:
    """Return a one-line summary: case name, counts and published quantities exchanged.

    Quantities are summed per canonical unit over the exchanges whose status is ``active``.
    """
    exchanges = case.exchanges
    parts = [
        case.name or "Unnamed case",
        f"{len(case.sites)} sites",
        f"{len(exchanges)} exchanges",
    ]
    if not exchanges.empty:
        active = exchanges[exchanges["status"] == "active"]
        published = active[active["quantity_canonical"].notna()]
        totals = published.groupby("unit_canonical")["quantity_canonical"].sum()
        if len(totals):
            amounts = ", ".join(f"{_format_number(float(v))} {u}" for u, v in totals.items())
            parts.append(f"active exchanges move {amounts}")
        missing = len(active) - len(published)
        if missing:
            parts.append(f"{missing} active without a published quantity")
    return " · ".join(parts)


# -- candidate exchanges (Synergies page) -------------------------------------------------

MAX_CANDIDATE_LINES = 500
"""Most candidate lines drawn at once (the best ranked; selected ones are always drawn), so a
case with a million candidates still gives a map that opens at once."""
NON_PAYING_COLOUR = "#9e9e9e"
NON_PAYING_WEIGHT_PX = 1.5
"""Candidates that do not pay (or whose benefit is unknown) are thin grey lines."""
SELECTED_CASING_COLOUR = "#111111"
SELECTED_EXTRA_PX = 5.0
"""Selected candidates are drawn on top with a black casing this much wider than the line."""
INFERRED_DASH = "8 6"
MAX_CANDIDATE_SITES = 2_000
"""Above this many sites, the candidate map shows only the sites at the ends of the lines drawn
(20,000 site markers alone make a 7 MB map)."""

_CANDIDATE_LEGEND_NOTE = (
    "Width grows with the net benefit (log scale); grey: does not pay; dashed: inferred from "
    "sector codes; black outline: selected."
)


def benefit_weights(net_benefit: pd.Series) -> pd.Series:
    """Return a line width in pixels per candidate, growing with the log of its net benefit.

    Paying candidates span :data:`MIN_WEIGHT_PX` (smallest benefit) to :data:`MAX_WEIGHT_PX`
    (largest); when they all pay the same the middle width is used. Candidates that do not pay
    (benefit <= 0) or whose benefit is unknown (NaN) get :data:`NON_PAYING_WEIGHT_PX`.

    Parameters
    ----------
    net_benefit
        Net benefit in EUR/yr (``net_benefit_eur`` of :func:`flows.scoring.score`).
    """
    weights = pd.Series(NON_PAYING_WEIGHT_PX, index=net_benefit.index, dtype="float64")
    values = pd.to_numeric(net_benefit, errors="coerce").astype("float64")
    paying = values[values.notna() & (values > 0)]
    if paying.empty:
        return weights
    logs = paying.map(math.log10)
    low, high = float(logs.min()), float(logs.max())
    if high == low:
        weights.loc[paying.index] = (MIN_WEIGHT_PX + MAX_WEIGHT_PX) / 2
    else:
        span = MAX_WEIGHT_PX - MIN_WEIGHT_PX
        weights.loc[paying.index] = MIN_WEIGHT_PX + span * (logs - low) / (high - low)
    return weights


def candidates_to_draw(
    candidates: pd.DataFrame,
    selected: Collection[str] = (),
    *,
    max_lines: int = MAX_CANDIDATE_LINES,
) -> pd.DataFrame:
    """The candidates a map shows: the first ``max_lines`` rows (the table is ranked) plus every
    selected one (by ``candidate_id``) beyond them, in the table's order."""
    keep = pd.Series(False, index=candidates.index)
    keep.iloc[:max_lines] = True
    if len(selected):
        keep |= candidates["candidate_id"].isin(list(selected))
    return candidates[keep]


def _money_text(value: object, unit: str) -> str:
    number = pd.to_numeric(value, errors="coerce")
    if pd.isna(number):
        return "unknown"
    return f"{float(number):+,.0f} {unit}"


def _candidate_distance(row: pd.Series) -> str:
    """``"3.2 km by pipeline (estimated)"``; empty where unknown."""
    metres = pd.to_numeric(row.get("distance_m"), errors="coerce")
    if pd.isna(metres):
        return ""
    mode, kind = _plain(row.get("mode")), _plain(row.get("distance_kind"))
    return f"{float(metres) / 1000:,.1f} km by {mode} ({kind})"


def candidate_features(
    case: Case, candidates: pd.DataFrame, *, selected: Collection[str] = ()
) -> dict[str, Any]:
    """Return scored candidates as a GeoJSON FeatureCollection of straight lines.

    Each line joins the representative points of ``supply_site`` and ``demand_site``
    (candidates naming an unknown site are left out). Text properties are HTML-escaped:
    ``candidate_id``, ``route`` (site names), ``resource``, ``family``, ``quantity``,
    ``distance``, ``benefit``, ``co2e``, ``confidence``, ``explanation``. Style properties:
    ``colour`` (resource family, grey when it does not pay), ``weight``
    (:func:`benefit_weights`), ``dash`` (inferred candidates), ``selected`` (bool).

    Parameters
    ----------
    case
        The case the candidates were found in.
    candidates
        Rows of :func:`flows.scoring.score` (all of them are drawn: cap them first with
        :func:`candidates_to_draw`).
    selected
        ``candidate_id`` values to highlight.
    """
    if candidates.empty:
        return {"type": "FeatureCollection", "features": []}
    points = _representative_points(case.sites)
    where = dict(zip(case.sites["site_id"], points, strict=False))
    names = dict(zip(case.sites["site_id"], case.sites["name"], strict=False))
    weights = benefit_weights(candidates["net_benefit_eur"])
    chosen = set(selected)
    features = []
    for position, (_, row) in enumerate(candidates.iterrows()):
        start, end = where.get(row["supply_site"]), where.get(row["demand_site"])
        if start is None or end is None:
            continue
        benefit = pd.to_numeric(row.get("net_benefit_eur"), errors="coerce")
        pays = not pd.isna(benefit) and float(benefit) > 0
        quantity = row.get("quantity")
        features.append(
            {
                "type": "Feature",
                "id": str(position),
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[start.x, start.y], [end.x, end.y]],
                },
                "properties": {
                    "candidate_id": _text(row["candidate_id"]),
                    "route": _text(
                        f"{_plain(names.get(row['supply_site'])) or row['supply_site']} → "
                        f"{_plain(names.get(row['demand_site'])) or row['demand_site']}"
                    ),
                    "resource": _text(row["resource"]),
                    "family": _text(_family_label(row.get("family"))),
                    "quantity": _text(
                        "withheld (confidential)"
                        if bool(row.get("withheld", False))
                        else "unknown"
                        if quantity is None or pd.isna(quantity)
                        else f"{_format_number(float(quantity))} {_plain(row.get('unit'))}"
                    ),
                    "distance": _text(_candidate_distance(row)),
                    "benefit": _text(_money_text(row.get("net_benefit_eur"), "EUR/yr")),
                    "co2e": _text(_money_text(row.get("net_co2e_t"), "t CO2e/yr")),
                    "confidence": _text(row.get("confidence")),
                    "explanation": _text(row.get("explanation")),
                    "colour": _family_colour(row.get("family")) if pays else NON_PAYING_COLOUR,
                    "weight": round(float(weights.iloc[position]), 2),
                    "dash": INFERRED_DASH if row.get("basis") == "inferred" else "",
                    "opacity": 0.85 if pays else 0.6,
                    "selected": str(row["candidate_id"]) in chosen,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _candidate_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    style = {"color": props["colour"], "weight": props["weight"], "opacity": props["opacity"]}
    if props["dash"]:
        style["dashArray"] = props["dash"]
    return style


def _casing_style(feature: dict[str, Any]) -> dict[str, Any]:
    weight = feature["properties"]["weight"] + SELECTED_EXTRA_PX
    return {"color": SELECTED_CASING_COLOUR, "weight": weight, "opacity": 0.95}


def _selected_style(feature: dict[str, Any]) -> dict[str, Any]:
    return {**_candidate_style(feature), "opacity": 1.0}


_CANDIDATE_FIELDS = [
    ("route", "Candidate"),
    ("resource", "Resource"),
    ("family", "Family"),
    ("quantity", "Quantity"),
    ("distance", "Distance"),
    ("benefit", "Net benefit"),
    ("co2e", "Net CO2e"),
    ("confidence", "Confidence"),
    ("explanation", "Why"),
]


def _candidate_tooltip() -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=[f for f, _ in _CANDIDATE_FIELDS],
        aliases=[a for _, a in _CANDIDATE_FIELDS],
        sticky=True,
        style="max-width:420px;white-space:normal;",
    )


def _feature_bounds(features: list[dict[str, Any]]) -> list[list[float]]:
    coords = [c for f in features for c in f["geometry"]["coordinates"]]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def build_candidate_map(
    case: Case,
    candidates: pd.DataFrame,
    *,
    selected: Collection[str] = (),
    max_sites: int = MAX_CANDIDATE_SITES,
    tiles: bool | None = None,
    offline_assets: bool = True,
) -> folium.Map:
    """Build the map of candidate exchanges over the case's parks and sites.

    Layers: park outlines, a "Candidates" layer (one line per candidate, colour = resource
    family, width = net benefit on a log scale, grey and thin when it does not pay, dashed when
    inferred), a "Selected" layer drawing the ``selected`` candidates again on top with a black
    casing, the sites, a legend and a layer control. The map frames the selected candidates,
    or the case (:func:`build_map`'s framing) when none is selected.

    Parameters
    ----------
    case
        The case the candidates were found in (sites in EPSG:4326).
    candidates
        Scored candidates to draw, all of them (cap first with :func:`candidates_to_draw`).
    selected
        ``candidate_id`` values to highlight.
    max_sites
        Cases with more sites show only the sites at the ends of ``candidates`` (the legend
        says so).
    tiles, offline_assets
        As for :func:`build_map`.
    """
    lines = candidate_features(case, candidates, selected=selected)
    note = _CANDIDATE_LEGEND_NOTE
    shown = case
    if len(case.sites) > max_sites:
        ends = set(candidates["supply_site"]) | set(candidates["demand_site"])
        shown = dataclasses.replace(case, sites=case.sites[case.sites["site_id"].isin(ends)])
        note += " Only the sites of these candidates are shown."
    chosen = [f for f in lines["features"] if f["properties"]["selected"]]
    bounds = _feature_bounds(chosen) if chosen else _bounds(case)
    m = _new_map(bounds, tiles=tiles)
    _add_parks(m, case)
    if lines["features"]:
        folium.GeoJson(
            lines, name="Candidates", style_function=_candidate_style, tooltip=_candidate_tooltip()
        ).add_to(m)
    if chosen:
        casing = [{**f, "id": f"casing-{f['id']}"} for f in chosen]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": casing},
            name="Selected (outline)",
            style_function=_casing_style,
            control=False,
        ).add_to(m)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": chosen},
            name="Selected",
            style_function=_selected_style,
            tooltip=_candidate_tooltip(),
        ).add_to(m)
    _add_sites(m, shown)
    families = sorted({str(f) for f in candidates.get("family", pd.Series()).dropna()})
    legend = _legend_html(
        _sections(shown), families, lines_title="Candidate exchanges", lines_note=note
    )
    Legend(legend).add_to(m)
    _finish(m, bounds, offline_assets=offline_assets)
    return m
