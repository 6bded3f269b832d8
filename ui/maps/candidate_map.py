"""The Synergies page's map of candidate exchanges: one line per scored candidate, the selected
ones outlined, over the case's parks and sites; quantities withheld as confidential say so."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import folium
import pandas as pd

from flows.summary import park_route
from ui.maps.base import case_bounds, feature_bounds, finish_map, new_map
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
from ui.text import html_text as _text
from ui.text import plain as _plain
from ui.text import resource_label

if TYPE_CHECKING:
    from flows.model import Case

__all__ = [
    "MAX_CANDIDATE_LINES",
    "MAX_CANDIDATE_SITES",
    "NON_PAYING_COLOUR",
    "NON_PAYING_WEIGHT_PX",
    "benefit_weights",
    "build_candidate_map",
    "candidate_features",
    "candidates_to_draw",
]

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
    "sector codes; black outline: selected. Exchanges already in place are a layer of their "
    "own, apart from the new potential."
)
IN_CASE_TEXT = {
    "new": "New potential",
    "active": "Already in place",
    "planned": "Recorded as planned",
    "historical": "Recorded, ended",
}
"""``exchange_status`` -> what the map says of a candidate."""


def benefit_weights(net_benefit: pd.Series) -> pd.Series:
    """Return a line width in pixels per candidate, growing with the log of its net benefit.

    Paying candidates span :data:`~ui.maps.features.MIN_WEIGHT_PX` (smallest benefit) to
    :data:`~ui.maps.features.MAX_WEIGHT_PX` (largest); when they all pay the same the middle
    width is used. Candidates that do not pay (benefit <= 0) or whose benefit is unknown (NaN)
    get :data:`NON_PAYING_WEIGHT_PX`.

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


def _quantity_text(row: pd.Series) -> str:
    """The quantity a candidate moves; a confidential one (``withheld``) is never shown."""
    if bool(row.get("withheld", False)):
        return "withheld (confidential)"
    quantity = row.get("quantity")
    if quantity is None or pd.isna(quantity):
        return "unknown"
    return f"{format_number(float(quantity))} {_plain(row.get('unit'))}"


def candidate_features(
    case: Case, candidates: pd.DataFrame, *, selected: Collection[str] = ()
) -> dict[str, Any]:
    """Return scored candidates as a GeoJSON FeatureCollection of straight lines.

    Each line joins the representative points of ``supply_site`` and ``demand_site``
    (candidates naming an unknown site are left out). Text properties are HTML-escaped:
    ``candidate_id``, ``route`` (site names), ``resource`` (code and name,
    :func:`ui.text.resource_label`), ``family``, ``quantity``, ``distance``, ``benefit``,
    ``co2e``, ``confidence``, ``explanation``. Style properties: ``colour`` (resource family,
    grey when it does not pay), ``weight`` (:func:`benefit_weights`), ``dash`` (inferred
    candidates), ``selected`` (bool).

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
    points = representative_points(case.sites)
    where = dict(zip(case.sites["site_id"], points, strict=False))
    names = dict(zip(case.sites["site_id"], case.sites["name"], strict=False))
    weights = benefit_weights(candidates["net_benefit_eur"])
    parks = park_route(candidates).to_numpy()
    chosen = set(selected)
    features = []
    for position, (_, row) in enumerate(candidates.iterrows()):
        start, end = where.get(row["supply_site"]), where.get(row["demand_site"])
        if start is None or end is None:
            continue
        benefit = pd.to_numeric(row.get("net_benefit_eur"), errors="coerce")
        pays = not pd.isna(benefit) and float(benefit) > 0
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
                    "resource": _text(resource_label(row["resource"])),
                    "family": _text(family_label(row.get("family"))),
                    "quantity": _text(_quantity_text(row)),
                    "distance": _text(_candidate_distance(row)),
                    "benefit": _text(_money_text(row.get("net_benefit_eur"), "EUR/yr")),
                    "co2e": _text(_money_text(row.get("net_co2e_t"), "t CO2e/yr")),
                    "confidence": _text(row.get("confidence")),
                    "in_case": _text(
                        IN_CASE_TEXT.get(str(row.get("exchange_status")), "New potential")
                    ),
                    "parks": _text(parks[position]),
                    "explanation": _text(row.get("explanation")),
                    "colour": family_colour(row.get("family")) if pays else NON_PAYING_COLOUR,
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
    ("in_case", "In the case"),
    ("parks", "Parks"),
    ("explanation", "Why"),
]


def _candidate_tooltip() -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=[f for f, _ in _CANDIDATE_FIELDS],
        aliases=[a for _, a in _CANDIDATE_FIELDS],
        sticky=True,
        style="max-width:420px;white-space:normal;",
    )


HEAT_NETWORK_COLOUR = "#7f0000"
"""Trunk lines of shared heat networks (dark red, drawn under the candidate lines)."""


def network_features(case: Case, edges: pd.DataFrame) -> dict[str, Any]:
    """Shared heat networks' edges (:data:`flows.heat_networks.EDGE_COLUMNS`) as straight
    lines between the sites' representative points, with escaped tooltips."""
    points = representative_points(case.sites)
    where = dict(zip(case.sites["site_id"], points, strict=False))
    names = dict(zip(case.sites["site_id"], case.sites["name"], strict=False))
    features = []
    for position, row in enumerate(edges.itertuples(index=False)):
        start, end = where.get(row.from_site), where.get(row.to_site)
        if start is None or end is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": f"net-{position}",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[start.x, start.y], [end.x, end.y]],
                },
                "properties": {
                    "route": _text(
                        f"{_plain(names.get(row.from_site)) or row.from_site} → "
                        f"{_plain(names.get(row.to_site)) or row.to_site}"
                    ),
                    "heat": _text(f"{format_number(float(row.heat_mwh_per_yr))} MWh/yr"),
                    "length": _text(f"{float(row.length_m) / 1000:.2f} km ({row.distance_kind})"),
                    "diameter": _text(f"{float(row.diameter_m) * 1000:.0f} mm"),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def build_candidate_map(
    case: Case,
    candidates: pd.DataFrame,
    *,
    networks: pd.DataFrame | None = None,
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
    or the case (:func:`ui.maps.base.case_bounds`) when none is selected.

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
    networks
        Edges of shared heat networks to draw under the candidates (a layer of their own).
    tiles, offline_assets
        As for :func:`ui.maps.case_map.build_map`.
    """
    lines = candidate_features(case, candidates, selected=selected)
    note = _CANDIDATE_LEGEND_NOTE
    shown = case
    if len(case.sites) > max_sites:
        ends = set(candidates["supply_site"]) | set(candidates["demand_site"])
        shown = dataclasses.replace(case, sites=case.sites[case.sites["site_id"].isin(ends)])
        note += " Only the sites of these candidates are shown."
    chosen = [f for f in lines["features"] if f["properties"]["selected"]]
    bounds = feature_bounds(chosen) if chosen else case_bounds(case)
    m = new_map(bounds, tiles=tiles)
    add_parks(m, case)
    if networks is not None and len(networks):
        folium.GeoJson(
            network_features(case, networks),
            name="Shared heat networks",
            style_function=lambda _f: {"color": HEAT_NETWORK_COLOUR, "weight": 9, "opacity": 0.5},
            tooltip=folium.GeoJsonTooltip(
                fields=["route", "heat", "length", "diameter"],
                aliases=["Trunk", "Heat carried", "Length", "Diameter"],
                sticky=True,
            ),
        ).add_to(m)
    new = [f for f in lines["features"] if f["properties"]["in_case"] == IN_CASE_TEXT["new"]]
    recorded = [f for f in lines["features"] if f["properties"]["in_case"] != IN_CASE_TEXT["new"]]
    for name, features in (("New potential", new), ("Already in the case", recorded)):
        if features:
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                name=name,
                style_function=_candidate_style,
                tooltip=_candidate_tooltip(),
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
    add_sites(m, shown)
    families = sorted({str(f) for f in candidates.get("family", pd.Series()).dropna()})
    legend = legend_html(
        case_sections(shown), families, lines_title="Candidate exchanges", lines_note=note
    )
    Legend(legend).add_to(m)
    finish_map(m, bounds, offline_assets=offline_assets)
    return m
