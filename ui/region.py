"""The Data page's "Start a case from a region": the area inputs, the area map, and the glue
between the page's widgets and :func:`flows.region.build_region_case`.

The building itself is :mod:`flows.region`'s; this module turns the widgets' values into its
arguments, its errors into messages that say what to change, and its case into the session's
current case the way an uploaded case enters it (:func:`ui.state.apply_result`).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import streamlit as st

from datasets.errors import SymbioMapError
from flows import periods
from flows.io import LoadResult, load_frames, write_case
from flows.region import build_region_case
from geo import NetworkUnavailableError
from ui.assets import make_offline
from ui.keys import StateKeys
from ui.maps.base import new_map
from ui.state import apply_result
from ui.text import escape_markdown

if TYPE_CHECKING:
    from flows.model import Case
    from flows.region import RegionReport

__all__ = [
    "AREAS",
    "AREA_BOX",
    "AREA_CASE",
    "AREA_PLACE",
    "BOX_KEYS",
    "GHENT_BBOX",
    "RegionOutcome",
    "area_map",
    "bbox_from_bounds",
    "build_into_session",
    "download_stem",
    "seed_inputs",
    "use_view",
]

GHENT_BBOX = (3.6, 51.0, 3.9, 51.25)
"""The box the inputs start with: the Ghent canal zone (W S E N, degrees)."""
AREA_BOX = "A box (W S E N)"
AREA_CASE = "Around the loaded case"
AREA_PLACE = "A place name (online)"
AREAS = (AREA_BOX, AREA_CASE, AREA_PLACE)
"""The ways to give the area, as the page's radio shows them."""
BOX_KEYS = (
    StateKeys.REGION_WEST,
    StateKeys.REGION_SOUTH,
    StateKeys.REGION_EAST,
    StateKeys.REGION_NORTH,
)
"""Keys of the four box inputs, in the order W S E N."""
DEFAULT_MARGIN_KM = 2.0
"""Margin around the loaded case's sites the input starts with, km (the command line's)."""
_VIEW_DECIMALS = 4
"""A map view's corners are rounded to 1e-4 degrees (about 10 m): finer is noise of the pan."""
_MAP_PADDING_PX = 30
_UNSAFE_IN_FILE_NAMES = re.compile(r"[^A-Za-z0-9_-]+")
_CASE_SUFFIX = re.compile(r"\.(gpkg|xlsx|zip|csv|geojson)$", re.IGNORECASE)
_OFFLINE_HINT = (
    "give the area as a box or around the loaded case instead; a place found once is kept "
    "in the cache and is found again without the internet"
)


@dataclass(frozen=True)
class RegionOutcome:
    """What the latest build left for the page to show.

    Attributes
    ----------
    report_text
        :meth:`flows.region.RegionReport.format` of the built case (plain text, shown as
        code, never as Markdown or HTML), or None when the build failed.
    error
        Why no case was built and what to change, Markdown-escaped, or None.
    label
        How the built case is called in the session (its ``case_label``), or None.
    """

    report_text: str | None = None
    error: str | None = None
    label: str | None = None


def seed_inputs() -> None:
    """Give the region inputs their starting values once (the Ghent box, this year).

    The widgets are created without ``value=`` and read these, so the "use the map's view"
    callback can set them without Streamlit's warning about a value set twice.
    """
    defaults: dict[str, object] = dict(zip(BOX_KEYS, GHENT_BBOX, strict=True))
    defaults[StateKeys.REGION_MARGIN_KM] = DEFAULT_MARGIN_KM
    defaults[StateKeys.REGION_PLACE] = ""
    defaults[StateKeys.REGION_YEAR] = periods.current_year()
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)


def bbox_from_bounds(bounds: Mapping[str, Any] | None) -> tuple[float, float, float, float] | None:
    """The box ``(west, south, east, north)`` of a Leaflet view as streamlit-folium returns it.

    Parameters
    ----------
    bounds
        ``{"_southWest": {"lat", "lng"}, "_northEast": {"lat", "lng"}}``, degrees.

    Returns
    -------
    tuple or None
        The corners rounded to 1e-4 degrees, latitudes clipped to -90..90 and longitudes to
        -180..180 (a view zoomed out past the world's edge); None when the map returned no
        complete view yet.
    """
    if bounds is None:
        return None
    try:
        south_west, north_east = bounds["_southWest"], bounds["_northEast"]
        values = (
            float(south_west["lng"]),
            float(south_west["lat"]),
            float(north_east["lng"]),
            float(north_east["lat"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    west, south, east, north = (round(v, _VIEW_DECIMALS) for v in values)
    return (
        min(max(west, -180.0), 180.0),
        min(max(south, -90.0), 90.0),
        min(max(east, -180.0), 180.0),
        min(max(north, -90.0), 90.0),
    )


def use_view(bbox: Sequence[float]) -> None:
    """Button callback: put the map view's box into the four box inputs (W S E N)."""
    for key, value in zip(BOX_KEYS, bbox, strict=True):
        st.session_state[key] = float(value)


def area_map(bbox: Sequence[float]) -> folium.Map:
    """A map of the box, drawn as a rectangle, with the bundled Leaflet (no CDN).

    Tiles load when online; offline (or with ``SYMBIOMAP_OFFLINE=1``) the rectangle is drawn
    on a plain background (:func:`ui.maps.base.new_map`).
    """
    west, south, east, north = (float(v) for v in bbox)
    corners = [[south, west], [north, east]]
    m = new_map(corners, tiles=None)
    folium.Rectangle(
        bounds=corners, color="#d62728", weight=2, fill=False, tooltip="the area"
    ).add_to(m)
    # A margin around the box, so its outline shows instead of lying on the map's edge.
    m.fit_bounds(corners, padding=(_MAP_PADDING_PX, _MAP_PADDING_PX))
    make_offline(m)
    return m


def download_stem(label: object) -> str:
    """A file name stem for a case's downloads: its label without a case file's suffix, every
    run of characters other than letters, digits, ``_`` and ``-`` made one ``-``."""
    text = _CASE_SUFFIX.sub("", str(label or "").strip())
    return _UNSAFE_IN_FILE_NAMES.sub("-", text).strip("-") or "case"


class _AreaInputError(SymbioMapError, ValueError):
    """An area input the page can tell is unusable before building (an empty place name)."""


def _validation(case: Case, *, label: str) -> LoadResult:
    """The built case with the report of its tables validated again.

    :func:`flows.region.build_region_case` validates the tables but returns only the case; the
    Data page shows a validation report for every case it loads, so the tables are checked
    once more (about 0.5 s for the Ghent box) and the built case is kept as it was returned.
    """
    tables = {
        name: case.table(name)
        for name in ("sites", "parks", "flows", "exchanges", "sources", "metadata")
    }
    return LoadResult(case=case, report=load_frames(tables, label=label).report)


def _build(
    area: str,
    *,
    bbox: Sequence[float],
    place: str,
    loaded: Case | None,
    loaded_label: object,
    margin_km: float,
    year: int,
    online_parks: bool,
) -> tuple[Case, RegionReport]:
    """Call :func:`flows.region.build_region_case` with the one area chosen."""
    if area == AREA_PLACE:
        if not place.strip():
            msg = "the place name is empty: type a town or area, e.g. Gent, Belgium"
            raise _AreaInputError(msg)
        return build_region_case(place=place.strip(), year=year, online=online_parks)
    if area == AREA_CASE:
        if loaded is None:
            msg = "no case is loaded: load one above, or give the area as a box"
            raise _AreaInputError(msg)
        # build_region_case takes the area of a case file: the session's case is written to a
        # temporary GeoPackage named after it, so the report names the user's case.
        with tempfile.TemporaryDirectory(prefix="symbiomap-region-") as folder:
            path = Path(folder) / f"{download_stem(loaded_label)}.gpkg"
            write_case(loaded, path)
            return build_region_case(case=path, margin_km=margin_km, year=year, online=online_parks)
    return build_region_case(bbox=list(bbox), year=year, online=online_parks)


def _failure(err: Exception, *, area: str) -> str:
    """What went wrong and what to change, as plain text."""
    if isinstance(err, NetworkUnavailableError):
        return (
            f"OpenStreetMap could not be reached, so no case was built: {_OFFLINE_HINT}. "
            f"Details: {err}"
        )
    if isinstance(err, _AreaInputError):
        return f"No case was built: {err}."
    if area == AREA_BOX:
        return f"No case was built; change the box: {err}."
    if area == AREA_CASE:
        return f"No case was built; change the margin or load another case: {err}."
    return f"No case was built; change the place name: {err}."


def build_into_session(
    area: str,
    *,
    bbox: Sequence[float],
    place: str = "",
    margin_km: float = DEFAULT_MARGIN_KM,
    year: int,
    online_parks: bool = False,
) -> RegionOutcome:
    """Build the region case and make it the session's current case, or record why not.

    Parameters
    ----------
    area
        One of :data:`AREAS`: which of ``bbox``, ``place`` or the loaded case is the area.
    bbox
        ``(west, south, east, north)``, degrees.
    place
        A place name, geocoded online (cached by :func:`flows.region.geocode_bbox`).
    margin_km
        Kilometres around the loaded case's sites.
    year
        Reference year: power plants not in operation that year are left out.
    online_parks
        Download OpenStreetMap's industrial and port areas as parks (cached).

    Returns
    -------
    RegionOutcome
        Also kept under :attr:`StateKeys.REGION_OUTCOME`. On success the case replaces the
        current one through :func:`ui.state.apply_result` (road network and results of the
        old case forgotten); on failure the current case is kept.
    """
    loaded = st.session_state.get(StateKeys.CASE)
    try:
        case, report = _build(
            area,
            bbox=bbox,
            place=place,
            loaded=loaded,
            loaded_label=st.session_state.get(StateKeys.CASE_LABEL),
            margin_km=margin_km,
            year=year,
            online_parks=online_parks,
        )
        result = _validation(case, label=case.name)
    # RegionError (empty or malformed area), NetworkUnavailableError (offline), CaseReadError /
    # CaseWriteError (the loaded case's area), CaseValidationError: all say what is wrong.
    except (SymbioMapError, ValueError, OSError) as err:
        outcome = RegionOutcome(error=escape_markdown(_failure(err, area=area)))
    else:
        apply_result(result, label=case.name)
        outcome = RegionOutcome(report_text=report.format(), label=case.name)
    st.session_state[StateKeys.REGION_OUTCOME] = outcome
    return outcome
