"""Reading and writing GeoPackages: one layer per table, the only point layer read as sites."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from flows._errors import CaseReadError
from flows.checks.checker import ROW, RawTable
from flows.frames import plain_dtypes
from flows.io.raw_tables import raw_from_gdf
from flows.model import Case
from flows.schema import TABLES
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS


def read_gpkg(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    """Read the case's layers of a GeoPackage, numbering rows by feature id."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(16)
    except OSError as err:
        msg = f"{label}: cannot be read ({err.strerror})"
        raise CaseReadError(msg) from err
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
        info = pyogrio.read_info(path, layer=layer_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data = pyogrio.read_dataframe(path, layer=layer_name, fid_as_index=True)
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


def write_gpkg(case: Case, path: Path) -> None:
    """Write every table as a layer of a GeoPackage."""
    for name in TABLES:
        frame = case.table(name)
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
