"""The road route of the exchange selected on the Map page: a yellow dashed line on a black
casing, with the straight access legs from the sites to the road dotted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ui.text import html_text as _text

if TYPE_CHECKING:
    from ui.network import Route

__all__ = [
    "ROUTE_CASING_COLOUR",
    "ROUTE_COLOUR",
    "ROUTE_WEIGHT_PX",
    "route_bounds",
    "route_features",
    "route_style",
]

ROUTE_COLOUR = "#ffd600"
ROUTE_CASING_COLOUR = "#111111"
ROUTE_WEIGHT_PX = 6
"""The selected exchange's road route: a yellow dashed line on a black casing."""


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


def route_style(feature: dict[str, Any]) -> dict[str, Any]:
    """Leaflet style of a :func:`route_features` feature, by its ``part``."""
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


def route_bounds(route: Route) -> list[list[float]]:
    """Frame the selected route and its access legs (the map zooms onto it)."""
    points = [*route.road_lonlat, *(p for leg in route.access_lonlat for p in leg)]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
