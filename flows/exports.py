"""Analysis results as files: candidates as lines for QGIS, or as a table for spreadsheets.

A frame is written as it is given: pass it through :mod:`flows.privacy` first (files travel;
nothing here masks). Only text is made safe for the file's readers: no control characters
in CSV or GeoPackage files, and no CSV cell a spreadsheet would run as a formula
(:func:`flows.frames.safe_text_for_csv`).
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from flows._errors import CaseWriteError
from flows.atomic import atomic_file
from flows.frames import arrow_table, plain_dtypes, safe_text_for_csv, strip_control_characters
from flows.model import Case
from geo.crs import STORAGE_CRS

_log = logging.getLogger(__name__)

CANDIDATE_SUFFIXES = (".csv", ".gpkg", ".parquet")
"""File types :func:`write_candidates` writes."""


def _site_rows(column: pd.Series, site_ids: pd.Index) -> np.ndarray:
    """Per candidate, the row of its site in the case's sites (looked up once per label)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        per_label = site_ids.get_indexer(column.cat.categories)
        codes = column.cat.codes.to_numpy(dtype="int64")
        rows = np.where(codes < 0, -1, per_label[codes])
    else:
        rows = site_ids.get_indexer(column)
    if (rows < 0).any():
        unknown = column[rows < 0].iloc[0]
        msg = f"candidates name a site the case does not have: {unknown!r}"
        raise CaseWriteError(msg)
    return np.asarray(rows, dtype="int64")


def _end_points(candidates: pd.DataFrame, case: Case) -> np.ndarray:
    """(n, 4) array: supplying site x, y and receiving site x, y of every candidate."""
    anchors = case.sites.geometry.representative_point()
    x, y = shapely.get_x(anchors.to_numpy()), shapely.get_y(anchors.to_numpy())
    site_ids = pd.Index(case.sites["site_id"])
    start = _site_rows(candidates["supply_site"], site_ids)
    end = _site_rows(candidates["demand_site"], site_ids)
    return np.column_stack([x[start], y[start], x[end], y[end]])


_LINE_WKB = np.dtype(
    [("order", "u1"), ("kind", "<u4"), ("points", "<u4"), ("xy", "<f8", (4,))], align=False
)
"""A two-point LineString as ISO WKB, little-endian: what ``shapely.to_wkb`` writes."""


def line_wkb(points: np.ndarray) -> pa.Array:
    """Straight lines of (n, 4) start and end coordinates as an Arrow array of WKB.

    Written straight into one buffer: no geometry object per line.
    """
    n = len(points)
    records = np.zeros(n, dtype=_LINE_WKB)
    records["order"] = 1  # little-endian
    records["kind"] = 2  # LineString
    records["points"] = 2
    records["xy"] = points
    offsets = np.arange(n + 1, dtype="int32") * _LINE_WKB.itemsize
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(records.tobytes())]
    )


def candidate_lines(candidates: pd.DataFrame, case: Case) -> gpd.GeoDataFrame:
    """Candidates as straight lines from the supplying to the receiving site (EPSG:4326)."""
    points = _end_points(candidates, case)
    lines = shapely.linestrings(points.reshape(-1, 2, 2)) if len(candidates) else []
    return gpd.GeoDataFrame(
        candidates.reset_index(drop=True), geometry=np.asarray(lines), crs=STORAGE_CRS
    )


def candidate_table(candidates: pd.DataFrame, case: Case) -> pa.Table:
    """Candidates as an Arrow table: plain columns (:func:`flows.frames.arrow_table`) and the
    straight line from the supplying to the receiving site as WKB, ``geometry``."""
    table = arrow_table(candidates.reset_index(drop=True))
    return table.append_column("geometry", line_wkb(_end_points(candidates, case)))


def _geo_metadata(points: np.ndarray) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    """GeoParquet 1.1 metadata of a table of lines (file, geometry field), as geopandas
    writes it."""
    crs = STORAGE_CRS.to_json_dict()
    _drop_member_ids(crs)
    if len(points):
        xs, ys = points[:, 0::2], points[:, 1::2]
        bbox = [float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())]
    else:
        bbox = [math.nan] * 4
    geo = {
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "crs": crs,
                "geometry_types": ["LineString"] if len(points) else [],
                "bbox": bbox,
            }
        },
        "version": "1.1.0",
        "creator": {"library": "symbiomap", "version": "flows.exports"},
    }
    field = {
        b"ARROW:extension:name": b"geoarrow.wkb",
        b"ARROW:extension:metadata": json.dumps({"crs": crs}).encode(),
    }
    return {b"geo": json.dumps(geo).encode()}, field


def _drop_member_ids(crs: dict[str, object]) -> None:
    # As geopandas does: older PROJ versions reject the ids of datum ensemble members.
    for key, value in crs.items():
        if isinstance(value, dict):
            _drop_member_ids(value)
        elif key == "members" and isinstance(value, list):
            for member in value:
                member.pop("id", None)


def _write_parquet(candidates: pd.DataFrame, case: Case, path: Path) -> None:
    points = _end_points(candidates, case)
    table = arrow_table(candidates.reset_index(drop=True))
    file_meta, field_meta = _geo_metadata(points)
    geometry = pa.field("geometry", pa.binary(), metadata=field_meta)
    table = table.append_column(geometry, line_wkb(points))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **file_meta})
    pq.write_table(table, path)


# SQLite's journal and a sync per transaction protect a database being edited in place; the
# layer is written to a fresh temporary file that replaces the target only once complete, so
# one fsync at the end gives the same guarantee at half the cost.
_GPKG_WRITE_OPTIONS = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "MEMORY"}


def _write_gpkg(
    candidates: pd.DataFrame, case: Case, path: Path, parameters: object | None
) -> list[str]:
    """Write the GeoPackage; return the notes on the control characters removed."""
    # The lines are found from the sites as the case names them, control characters and all.
    clean, changes = strip_control_characters(candidates.reset_index(drop=True))
    table = arrow_table(clean).append_column("geometry", line_wkb(_end_points(candidates, case)))
    previous = {key: pyogrio.get_gdal_config_option(key) for key in _GPKG_WRITE_OPTIONS}
    pyogrio.set_gdal_config_options(_GPKG_WRITE_OPTIONS)
    try:
        pyogrio.write_arrow(
            table,
            path,
            layer="candidates",
            driver="GPKG",
            geometry_name="geometry",
            geometry_type="LineString",
            crs=STORAGE_CRS.to_string(),
        )
        if parameters is not None:
            frame = parameters.to_frame()  # type: ignore[attr-defined]
            pyogrio.write_dataframe(frame, path, layer="parameters", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options(previous)
    with path.open("rb+") as written:
        os.fsync(written.fileno())
    return changes


def csv_changes(candidates: pd.DataFrame) -> list[str]:
    """What writing ``candidates`` as CSV changes to keep the file safe (formula-like text
    quoted, control characters removed), without writing it: the notes
    :func:`write_candidates` makes for a ``.csv``, e.g. for a page to show before download."""
    _, changes = safe_text_for_csv(plain_dtypes(candidates))
    return changes


def write_candidates(
    candidates: pd.DataFrame,
    case: Case,
    target: str | os.PathLike[str],
    *,
    parameters: object | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write scored candidates as ``.csv``, ``.gpkg`` or ``.parquet``, atomically.

    GeoPackage: a LineString ``candidates`` layer and, when given, the ``parameters`` table
    they were computed with. GeoParquet: the lines, with the parameter set's version in every
    row (``parameter_set``). Both go through one Arrow table built from the frame's columns
    as they are (categories are spelt once per label, lines written as WKB in one buffer): no
    Python object per row. The frame is written as it is: pass it through
    :mod:`flows.privacy` first (files travel; this function never masks).

    Text is made safe for whoever opens the file:

    - CSV: control characters are removed, and every text cell starting with ``=``, ``+``,
      ``-``, ``@``, a tab or a carriage return gets a single quote ``'`` in front, as OWASP
      recommends against CSV injection: a spreadsheet shows ``'=HYPERLINK(…)`` as text
      instead of running it (:func:`flows.frames.safe_text_for_csv`). Numbers stay numbers.
    - GeoPackage: control characters are removed, so that no name is cut at a NUL (GDAL's
      strings end there) (:func:`flows.frames.strip_control_characters`).
    - GeoParquet keeps the text exactly: it is read by programs, not spreadsheets.

    Parameters
    ----------
    candidates, case
        The candidates to write and the case whose sites they join.
    target
        The file to write; its suffix picks the format.
    parameters
        The parameter set, written as a second layer of a GeoPackage.
    notes
        If given, one sentence per change made to the text is appended (with counts per
        column), to show the user; they are logged too.

    Raises
    ------
    CaseWriteError
        If the file cannot be written (a full disk says so); an existing file is then left
        as it was.
    """
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix not in CANDIDATE_SUFFIXES:
        msg = f"{path.name}: candidates are written as {', '.join(CANDIDATE_SUFFIXES)}"
        raise CaseWriteError(msg)
    changes: list[str] = []
    try:
        with atomic_file(path) as tmp:
            if suffix == ".csv":
                safe, changes = safe_text_for_csv(plain_dtypes(candidates))
                safe.to_csv(tmp, index=False)
            elif suffix == ".parquet":
                _write_parquet(candidates, case, tmp)
            else:
                changes = _write_gpkg(candidates, case, tmp, parameters)
    except CaseWriteError:
        raise
    except (OSError, ValueError, pa.ArrowException, pyogrio.errors.DataSourceError) as err:
        msg = f"could not write {path.name}: {err}"
        raise CaseWriteError(msg) from err
    for note in changes:
        _log.info("%s: %s", path.name, note)
    if notes is not None:
        notes.extend(f"{path.name}: {note}" for note in changes)
    return path
