"""The base map both maps start from: tiles (or none, offline), framing, layer control and the
bundled Leaflet assets that replace folium's CDN links (:mod:`ui.assets`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium

from datasets import settings
from ui.assets import make_offline
from ui.maps.legend import LEGEND_WIDTH_PX

if TYPE_CHECKING:
    from flows.model import Case

__all__ = [
    "OFFLINE_ENV",
    "case_bounds",
    "feature_bounds",
    "finish_map",
    "new_map",
    "offline_mode",
]

OFFLINE_ENV = settings.OFFLINE_ENV
"""Set it to ``1`` to draw no tile layer (read once by :mod:`datasets.settings`)."""


def offline_mode() -> bool:
    """Whether the settings (``SYMBIOMAP_OFFLINE=1``) ask for a map without any tile layer.

    Read through :func:`datasets.settings.get`, the one place the environment is read.
    """
    return settings.get().offline


def new_map(bounds: list[list[float]], *, tiles: bool | None) -> folium.Map:
    """An empty map centred on ``bounds``, with the OpenStreetMap tiles unless offline.

    ``tiles=None`` adds them unless :func:`offline_mode`.
    """
    use_tiles = (not offline_mode()) if tiles is None else tiles
    centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    m = folium.Map(location=centre, zoom_start=13, tiles=None, control_scale=True)
    if use_tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    return m


def finish_map(m: folium.Map, bounds: list[list[float]], *, offline_assets: bool) -> None:
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


def case_bounds(case: Case) -> list[list[float]]:
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


def feature_bounds(features: list[dict[str, Any]]) -> list[list[float]]:
    """Frame GeoJSON line features (``[[south, west], [north, east]]``)."""
    coords = [c for f in features for c in f["geometry"]["coordinates"]]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
