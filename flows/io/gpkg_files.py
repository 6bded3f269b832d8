"""Reading and writing GeoPackages: one layer per table, the only point layer read as sites."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from datasets import settings
from datasets.settings import InputLimits
from flows._errors import CaseReadError, CaseWriteError
from flows.checks.checker import ROW, RawTable
from flows.frames import plain_dtypes
from flows.io.raw_tables import raw_from_gdf
from flows.model import Case
from flows.schema import TABLES
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS


def read_gpkg(
    path: Path, label: str, report: ValidationReport, *, limits: InputLimits | None = None
) -> dict[str, RawTable]:
    """Read the case's layers of a GeoPackage, numbering rows by feature id.

    The file's size, and each layer's feature and field counts (from the layer's metadata,
    before it is read), are held against ``limits`` (default: the settings'); a layer over
    a limit is refused with an error naming the limit and is not read.
    """
    limits = limits or settings.get().limits
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(16)
    except OSError as err:
        msg = f"{label}: cannot be read ({err.strerror})"
        raise CaseReadError(msg) from err
    if size > limits.max_uncompressed_bytes:
        msg = (
            f"{label}: the file holds {size:,} bytes, more than the limit of "
            f"{limits.max_uncompressed_bytes:,} bytes "
            f"({limits.max_uncompressed_bytes / 2**20:g} MB); it was not read; "
            + settings.limit_hint("max_uncompressed_bytes")
        )
        raise CaseReadError(msg)
    if magic != b"SQLite format 3\x00":
        msg = (
            f"{label}: not a GeoPackage (the file is not an SQLite database; is it another "
            "format renamed .gpkg?)"
        )
        raise CaseReadError(msg)
    try:
        layers = {
            str(name).lower(): (str(name), str(kind)) for name, kind in pyogrio.list_layers(path)
        }
    except (pyogrio.errors.DataSourceError, OSError) as err:
        msg = f"{label}: not a readable GeoPackage ({str(err).splitlines()[0][:160]})"
        raise CaseReadError(msg) from err
    if "sites" not in layers:
        points = [name for name, kind in layers.values() if "point" in kind.lower()]
        if len(points) == 1:
            layers["sites"] = layers.pop(points[0].lower())
            report.add(
                file=label,
                layer=points[0],
                severity="info",
                code="I_LAYER_AS_SITES",
                message=f"layer {points[0]!r} is the only point layer; read as sites",
            )
    raw: dict[str, RawTable] = {}
    for table in TABLES:
        if table not in layers:
            continue
        layer_name, _ = layers[table]
        try:
            info = pyogrio.read_info(path, layer=layer_name)
            if _over_limits(info, limits, label=label, layer=layer_name, report=report):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                data = pyogrio.read_dataframe(path, layer=layer_name, fid_as_index=True)
        except (
            pyogrio.errors.DataSourceError,
            pyogrio.errors.DataLayerError,
            shapely.errors.GEOSException,
            ValueError,
        ) as err:
            # A damaged layer (or a geometry GEOS cannot build) spoils that layer only.
            report.add(
                file=label,
                layer=layer_name,
                severity="error",
                code="E_FILE_UNREADABLE",
                message=f"layer {layer_name!r} cannot be read ({str(err).splitlines()[0][:160]})",
                hint="open the GeoPackage in QGIS, run Check Validity on the layer and save it "
                "again",
            )
            continue
        rows = [int(i) for i in data.index]
        if isinstance(data, gpd.GeoDataFrame) and info.get("geometry_type"):
            item = raw_from_gdf(data, table, label, declared=info.get("crs") is not None)
        else:
            frame = pd.DataFrame(data).reset_index(drop=True)
            item = RawTable(table, label, table, frame)
        item.layer = layer_name
        item.frame[ROW] = rows
        raw[table] = item
    return raw


def _over_limits(
    info: dict[str, Any],
    limits: InputLimits,
    *,
    label: str,
    layer: str,
    report: ValidationReport,
) -> bool:
    """Record an error and say True when a layer holds more features or fields than allowed."""
    features = int(info.get("features") or 0)
    fields = len(info.get("fields", ()))
    over = []
    if features > limits.max_rows:
        over.append(
            (
                "E_TOO_MANY_ROWS",
                (
                    f"layer {layer!r} holds {features:,} features, more than the limit of "
                    f"{limits.max_rows:,} rows per table; it was not read"
                ),
                "max_rows",
            )
        )
    if fields > limits.max_columns:
        over.append(
            (
                "E_TOO_MANY_COLUMNS",
                (
                    f"layer {layer!r} holds {fields:,} fields, more than the limit of "
                    f"{limits.max_columns:,} columns per table; it was not read"
                ),
                "max_columns",
            )
        )
    for code, message, limit in over:
        report.add(
            file=label,
            layer=layer,
            severity="error",
            code=code,
            message=message,
            hint=settings.limit_hint(limit),
        )
    return bool(over)


_GPKG_MAX_COLUMNS = 2000
"""SQLite's (and so GeoPackage's) limit on the columns of one table, fid and geometry included."""


def _check_writable(name: str, frame: pd.DataFrame, *, spatial: bool) -> None:
    """Refuse what GDAL would write wrongly: too many columns, or text it would cut at NUL."""
    attributes = [c for c in frame.columns if not (spatial and c == frame.geometry.name)]
    room = _GPKG_MAX_COLUMNS - 1 - int(spatial)  # the fid and the geometry take a column each
    if len(attributes) > room:
        msg = (
            f"table {name!r} has {len(attributes):,} columns; a GeoPackage table holds at most "
            f"{room:,} besides its id{' and geometry' if spatial else ''} "
            f"({_GPKG_MAX_COLUMNS:,} in all): remove columns or save the case as a zip of CSV "
            "files"
        )
        raise CaseWriteError(msg)
    seen: dict[str, str] = {}
    for col in attributes:
        text = str(col)
        if "\x00" in text:
            msg = (
                f"table {name!r}: column name {text!r} holds a NUL character, which a "
                "GeoPackage would cut the name at; rename the column"
            )
            raise CaseWriteError(msg)
        if text.lower() in seen:
            msg = (
                f"table {name!r}: columns {seen[text.lower()]!r} and {text!r} differ only in "
                "case, which a GeoPackage cannot tell apart; rename one of them"
            )
            raise CaseWriteError(msg)
        seen[text.lower()] = text
        values = frame[col]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            nul = values.map(lambda v: isinstance(v, str) and "\x00" in v).astype(bool)
            if bool(nul.any()):
                first = int(np.flatnonzero(nul.to_numpy())[0]) + 1
                msg = (
                    f"table {name!r}, column {text!r}, row {first}: the text holds a NUL "
                    "character, and a GeoPackage would silently cut it there; remove the "
                    "character or save the case as a zip of CSV files"
                )
                raise CaseWriteError(msg)


def write_gpkg(case: Case, path: Path) -> None:
    """Write every table as a layer of a GeoPackage.

    Raises
    ------
    CaseWriteError
        If a table cannot be stored in a GeoPackage without losing something (more than 2000
        columns, a NUL character, column names differing only in case) or GDAL fails.
    """
    for name in TABLES:
        frame = case.table(name)
        spatial = isinstance(frame, gpd.GeoDataFrame)
        _check_writable(name, frame, spatial=spatial)
        try:
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(
                    frame.to_crs(STORAGE_CRS),
                    path,
                    layer=name,
                    driver="GPKG",
                    geometry_type="Unknown",
                    promote_to_multi=False,
                )
            else:
                pyogrio.write_dataframe(plain_dtypes(frame), path, layer=name, driver="GPKG")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            msg = f"could not write table {name!r} to the GeoPackage: {err}"
            raise CaseWriteError(msg) from err
