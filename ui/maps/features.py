"""The site and park layers both maps draw, the GeoJSON they are built from, and the text and
line-width helpers the maps' line layers share.

Every text property is HTML-escaped here: folium's tooltips insert properties as HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import pandas as pd

from flows.nace import SECTION_NAMES
from ui.maps.colours import SECTION_COLOURS, UNKNOWN_COLOUR
from ui.text import html_text as _text
from ui.text import nace_label
from ui.text import plain as _plain

if TYPE_CHECKING:
    import geopandas as gpd

    from flows.model import Case

__all__ = [
    "MAX_WEIGHT_PX",
    "MIN_WEIGHT_PX",
    "SITE_RADIUS_PX",
    "add_parks",
    "add_sites",
    "case_sections",
    "format_number",
    "park_features",
    "representative_points",
    "site_features",
]

MIN_WEIGHT_PX = 2.0
MAX_WEIGHT_PX = 9.0
"""Line widths in pixels: the smallest and largest quantity (or benefit) of a map's lines."""

SITE_RADIUS_PX = 7


def format_number(value: float) -> str:
    """``1,234`` from 100 up, three significant digits below (``0.123``, ``12.3``)."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def representative_points(sites: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A point per site: the point itself, or a point inside its polygon."""
    return sites.geometry.representative_point()


def site_features(case: Case) -> dict[str, Any]:
    """Return the sites as a GeoJSON FeatureCollection of points with escaped text properties.

    Properties: ``site_id``, ``name``, ``sector`` (letter and title), ``section``, ``nace``,
    ``kind``, ``park``. Every string is HTML-escaped so tooltips show it as text.
    """
    sites = case.sites
    points = representative_points(sites)
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


def _park_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "color": "#4d4d4d",
        "weight": 2,
        "dashArray": "4 4",
        "fill": True,
        "fillColor": "#bdbdbd",
        "fillOpacity": 0.12,
    }


def add_parks(m: folium.Map, case: Case) -> None:
    """Add the "Parks" layer (dashed outlines with a name tooltip) when the case has parks."""
    if not case.parks.empty:
        folium.GeoJson(
            park_features(case),
            name="Parks",
            style_function=_park_style,
            tooltip=folium.GeoJsonTooltip(fields=["name", "kind"], aliases=["Park", "Kind"]),
        ).add_to(m)


def add_sites(m: folium.Map, case: Case) -> None:
    """Add the "Sites" layer: one GeoJson layer of circle markers coloured by NACE section."""
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


def case_sections(case: Case) -> list[str]:
    """The NACE section letters of the case's sites, sorted (the legend lists these)."""
    return sorted({str(s) for s in case.sites.get("nace_section", pd.Series()).dropna()})
