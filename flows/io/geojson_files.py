"""Reading GeoJSON tables: any table of a case folder may be a .geojson or .json file.

The document is checked in Python before GDAL sees it: its size and nesting depth are bounded
(a hostile file must not exhaust memory or the stack), its top level must be a
FeatureCollection, and coordinates must be finite numbers (Python's json and GDAL both accept
``NaN`` and ``Infinity``, which GEOS then cannot handle).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
import pyogrio
import shapely
import shapely.geometry

from datasets import settings
from datasets.settings import InputLimits
from flows.checks.checker import RawTable
from flows.io.raw_tables import raw_from_gdf
from flows.validation import ValidationReport

GEOJSON_SUFFIXES = (".geojson", ".json")

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_DEPTH_STEP = np.zeros(256, dtype=np.int8)
_DEPTH_STEP[[ord("["), ord("{")]] = 1
_DEPTH_STEP[[ord("]"), ord("}")]] = -1
_CHUNK = 1 << 20
_UNREADABLE_HINT = "export it again as GeoJSON (RFC 7946, lon/lat)"
_COLLECTION_HINT = (
    "save the layer as a GeoJSON FeatureCollection, "
    '{"type": "FeatureCollection", "features": [...]} (in QGIS: Export > Save Features As, '
    "format GeoJSON)"
)


def json_depth(text: str, *, stop_above: int | None = None) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text, brackets inside strings ignored.

    A scan of the characters, not a parse, so it cannot overflow the stack however deep the
    document is; it stops early once the depth passes ``stop_above``.

    Parameters
    ----------
    text : str
        The JSON document (it need not be valid JSON).
    stop_above : int, optional
        Return as soon as the depth exceeds this value.

    Returns
    -------
    int
        The maximum depth reached (0 for a bare scalar).
    """
    bare = _STRING.sub('""', text).encode("utf-8", errors="replace")
    steps = _DEPTH_STEP[np.frombuffer(bare, dtype=np.uint8)]
    depth = 0
    deepest = 0
    # In chunks, so that a 200 MB document needs a few MB of running sums, not gigabytes.
    for start in range(0, len(steps), _CHUNK):
        running = np.cumsum(steps[start : start + _CHUNK], dtype=np.int64) + depth
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
        if stop_above is not None and deepest > stop_above:
            break
    return deepest


_KINDS: tuple[tuple[type, str], ...] = (
    (type(None), "null"),
    (bool, "a boolean"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
)


def _kind(doc: object) -> str:
    for cls, kind in _KINDS:
        if isinstance(doc, cls):
            return kind
    if isinstance(doc, dict) and isinstance(doc.get("type"), str):
        return f"an object of type {str(doc['type'])[:40]!r} without a 'features' list"
    return "an object without a 'features' list"


def _non_finite(value: object) -> float | None:
    """The first NaN or infinite number anywhere in ``value`` (depth already bounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return item
        # Reversed, so the first offending number in the file is the one reported.
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(item.values()))
    return None


def _json_name(value: float) -> str:
    """How a non-finite number is spelled in JSON (``1e400`` also parses as infinity)."""
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _feature_label(feature: dict[str, object], row: int) -> str:
    props = feature.get("properties")
    if isinstance(props, dict):
        for key in ("site_id", "park_id", "source_id", "id"):
            value = props.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f"feature {row} ({key} {str(value)[:40]!r})"
    return f"feature {row}"


class _Refusal(Exception):  # noqa: N818 - internal control flow, never escapes this module
    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def _unreadable(err: Exception, hint: str = _UNREADABLE_HINT) -> _Refusal:
    detail = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
    return _Refusal("E_FILE_UNREADABLE", f"not a readable GeoJSON file ({detail})", hint)


def _load_document(path: Path, label: str, limits: InputLimits) -> object:
    """The parsed document, after the size and nesting checks that keep parsing bounded."""
    try:
        size = path.stat().st_size
        if size > limits.max_uncompressed_bytes:
            raise _Refusal(
                "E_FILE_TOO_LARGE",
                f"{label} is {size / 2**20:,.1f} MB, more than the limit of "
                f"{limits.max_uncompressed_bytes / 2**20:,.0f} MB for one file",
                "split the layer or simplify its outlines; "
                + settings.limit_hint("max_uncompressed_bytes"),
            )
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise _unreadable(err, _UNREADABLE_HINT + " in UTF-8") from err
    depth = json_depth(text, stop_above=limits.max_nesting)
    if depth > limits.max_nesting:
        raise _Refusal(
            "E_NESTING_TOO_DEEP",
            f"{label} nests brackets more than {limits.max_nesting} levels deep (the limit); "
            "GeoJSON needs at most a handful",
            _COLLECTION_HINT + "; " + settings.limit_hint("max_nesting"),
        )
    try:
        return json.loads(text)
    except RecursionError as err:
        # Only reachable when the nesting limit was raised far above what Python can parse.
        raise _Refusal(
            "E_NESTING_TOO_DEEP",
            f"{label} nests brackets too deeply to be parsed ({depth} levels)",
            _COLLECTION_HINT + "; lower SYMBIOMAP_MAX_NESTING",
        ) from err
    except ValueError as err:  # JSONDecodeError, or an integer of more than 4300 digits
        raise _unreadable(err) from err


def read_geojson(
    path: Path,
    table: str,
    label: str,
    report: ValidationReport,
    *,
    limits: InputLimits | None = None,
) -> RawTable | None:
    """Read one GeoJSON table; None (with an error) when the file is not usable GeoJSON.

    Parameters
    ----------
    path : Path
        The file.
    table : str
        The case table it holds (``parks``, ``sites``, ...).
    label : str
        The file's name in findings.
    report : ValidationReport
        Receives the findings.
    limits : InputLimits, optional
        Size and nesting bounds (default ``settings.get().limits``).

    Returns
    -------
    RawTable or None
        The table, or None after an error finding.
    """
    limits = settings.get().limits if limits is None else limits

    def refuse(code: str, message: str, hint: str, *, row: int | None = None) -> None:
        report.add(
            file=label,
            layer=table,
            severity="error",
            code=code,
            message=message,
            hint=hint,
            row=row,
            field="geometry" if row is not None and code != "E_NOT_GEOJSON" else None,
        )

    try:
        doc = _load_document(path, label, limits)
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not isinstance(features, list):
            raise _Refusal(
                "E_NOT_GEOJSON",
                f"{label} is JSON but not a GeoJSON FeatureCollection: the document is "
                f"{_kind(doc)}",
                _COLLECTION_HINT,
            )
        if not _features_usable(features, refuse):
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                gdf = pyogrio.read_dataframe(path)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
            raise _unreadable(err) from err
        except shapely.errors.GEOSException:
            # GDAL accepted a geometry that GEOS cannot build (a ring of two points, say); say
            # which feature it is instead of refusing the whole file anonymously.
            _refuse_unbuildable(features, refuse)
            return None
    except _Refusal as refusal:
        refuse(refusal.code, refusal.message, refusal.hint)
        return None
    return raw_from_gdf(gdf, table, label, declared="crs" in doc)


def _features_usable(features: list[object], refuse: _Refuse) -> bool:
    """Errors for features that are not objects or hold NaN/infinite coordinates."""
    usable = True
    for row, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(
            feature.get("geometry", None), dict | None
        ):
            what = _kind(feature) if not isinstance(feature, dict) else "a feature whose "
            refuse(
                "E_NOT_GEOJSON",
                f"feature {row} is not a GeoJSON Feature object ({what}"
                + ("geometry is not an object)" if isinstance(feature, dict) else ")"),
                _COLLECTION_HINT,
                row=row,
            )
            usable = False
            continue
        bad = _non_finite(feature.get("geometry"))
        if bad is not None:
            refuse(
                "E_COORD_NOT_FINITE",
                f"{_feature_label(feature, row)} has a coordinate that is {_json_name(bad)}, "
                "not a finite number",
                "give every coordinate as a plain number (lon/lat in decimal degrees); NaN and "
                "Infinity are not coordinates",
                row=row,
            )
            usable = False
    return usable


def _refuse_unbuildable(features: list[object], refuse: _Refuse) -> None:
    found = False
    for row, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("geometry") is None:
            continue
        geometry = feature["geometry"]
        try:
            shapely.geometry.shape(geometry)
        except (shapely.errors.GEOSException, ValueError, TypeError, KeyError, IndexError) as err:
            found = True
            refuse(
                "E_GEOMETRY_INVALID",
                f"{_feature_label(feature, row)} has a geometry that cannot be built "
                f"({str(err).splitlines()[0][:120]})",
                "redraw the feature in a GIS (a polygon ring needs at least 4 points, the last "
                "equal to the first)",
                row=row,
            )
    if not found:
        refuse(
            "E_GEOMETRY_INVALID",
            "a geometry in the file cannot be built",
            "open the file in QGIS, run Check Validity and fix the features it reports",
        )


class _Refuse(Protocol):
    """The signature of ``refuse`` inside :func:`read_geojson`."""

    def __call__(self, code: str, message: str, hint: str, *, row: int | None = None) -> None:
        """Add an error finding about the file (or one of its features)."""
