"""The Map page's map of a case: sites, parks, exchanges between sites, the selected exchange's
road route and a legend; and the case's one-line summary."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import folium
import pandas as pd

from flows.summary import exchange_totals
from ui.maps.base import case_bounds, finish_map, new_map
from ui.maps.colours import family_colour, family_label
from ui.maps.features import (
    MAX_WEIGHT_PX,
    MIN_WEIGHT_PX,
    add_parks,
    add_sites,
    case_sections,
    format_number,
    representative_points,
)
from ui.maps.legend import Legend, legend_html
from ui.maps.route import route_bounds, route_features, route_style
from ui.text import html_text as _text
from ui.text import resource_label

if TYPE_CHECKING:
    from flows.model import Case
    from ui.network import Route

__all__ = [
    "UNPUBLISHED_WEIGHT_PX",
    "build_map",
    "case_summary",
    "distance_text",
    "exchange_features",
    "line_weights",
]

UNPUBLISHED_WEIGHT_PX = 1.5
"""Width in pixels of an exchange whose quantity is not published (published ones span
:data:`~ui.maps.features.MIN_WEIGHT_PX` .. :data:`~ui.maps.features.MAX_WEIGHT_PX`)."""

_STATUS_OPACITY = {"active": 0.9, "planned": 0.6, "historical": 0.45}


def line_weights(quantity: pd.Series, unit: pd.Series) -> pd.Series:
    """Return a line width in pixels per exchange, growing with the log of its quantity.

    Quantities are compared only with others of the same canonical unit: the smallest gets
    :data:`~ui.maps.features.MIN_WEIGHT_PX`, the largest
    :data:`~ui.maps.features.MAX_WEIGHT_PX`. A unit with a single quantity gets the middle
    width; a missing or non-positive quantity gets :data:`UNPUBLISHED_WEIGHT_PX`.

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


def _quantity_text(row: pd.Series) -> str:
    canonical = row.get("quantity_canonical")
    if canonical is None or pd.isna(canonical):
        return "not published"
    text = f"{format_number(float(canonical))} {row.get('unit_canonical', '')}"
    original, unit = row.get("quantity"), row.get("unit")
    if original is not None and not pd.isna(original) and unit != row.get("unit_canonical"):
        text += f" ({format_number(float(original))} {unit})"
    return text


def exchange_features(case: Case, distances: pd.DataFrame | None = None) -> dict[str, Any]:
    """Return the exchanges as a GeoJSON FeatureCollection of lines with style properties.

    Each line joins the representative points of ``from_site`` and ``to_site``; exchanges
    naming an unknown site are left out (validation reports them). Text is HTML-escaped;
    ``resource`` is the code with its name (:func:`ui.text.resource_label`); ``colour``
    follows the resource family, ``weight`` the quantity (:func:`line_weights`) and ``dash``
    is set where the quantity is not published.

    ``distances`` (indexed like ``case.exchanges``, from :func:`ui.network.exchange_distances`)
    adds a ``distance`` property such as ``"12.3 km (road)"``; without it the property is
    empty.
    """

    exchanges = case.exchanges
    points = representative_points(case.sites)
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
                    "family": _text(family_label(row.get("family"))),
                    "quantity": _text(_quantity_text(row)),
                    "mode": _text(row.get("mode")),
                    "since": _text(since if since is not None and not pd.isna(since) else ""),
                    "status": _text(row.get("status")),
                    "distance": _text(
                        distance_text(distances.loc[idx]) if distances is not None else ""
                    ),
                    "source": _text(row.get("source")),
                    "colour": family_colour(row.get("family")),
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


def _exchange_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    style = {"color": props["colour"], "weight": props["weight"], "opacity": props["opacity"]}
    if props["dash"]:
        style["dashArray"] = props["dash"]
    return style


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
        ``SYMBIOMAP_OFFLINE=1`` (see :func:`ui.maps.base.offline_mode`).
    offline_assets
        Whether to replace folium's CDN scripts and stylesheets by bundled ``data:`` URLs
        (:func:`ui.assets.make_offline`).
    """
    bounds = case_bounds(case) if route is None else route_bounds(route)
    m = new_map(bounds, tiles=tiles)
    add_parks(m, case)

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
            style_function=route_style,
            tooltip=folium.GeoJsonTooltip(
                fields=["route", "distance"], aliases=["Road route", "Distance"], sticky=True
            ),
        ).add_to(m)

    add_sites(m, case)
    families = []
    if not case.exchanges.empty:
        families = sorted({str(f) for f in case.exchanges["family"].dropna()})
    Legend(legend_html(case_sections(case), families, route=route is not None)).add_to(m)
    finish_map(m, bounds, offline_assets=offline_assets)
    return m


def case_summary(case: Case) -> str:
    """Return a one-line summary: case name, counts and published quantities exchanged.

    Quantities are summed per canonical unit over the exchanges whose status is ``active``
    (:func:`flows.summary.exchange_totals`).
    """
    totals = exchange_totals(case)
    parts = [
        case.name or "Unnamed case",
        f"{len(case.sites)} sites",
        f"{totals.count} exchanges",
    ]
    if totals.quantity:
        amounts = ", ".join(f"{format_number(v)} {u}" for u, v in totals.quantity.items())
        parts.append(f"active exchanges move {amounts}")
    if totals.unpublished:
        parts.append(f"{totals.unpublished} active without a published quantity")
    return " · ".join(parts)
