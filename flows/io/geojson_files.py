"""Reading GeoJSON tables: any table of a case folder may be a .geojson or .json file."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pyogrio

from flows.checks.checker import RawTable
from flows.io.raw_tables import raw_from_gdf
from flows.validation import ValidationReport

GEOJSON_SUFFIXES = (".geojson", ".json")


def read_geojson(path: Path, table: str, label: str, report: ValidationReport) -> RawTable | None:
    """Read one GeoJSON table; None (with an error) when the file is not readable GeoJSON."""
    try:
        declared = "crs" in json.loads(path.read_text(encoding="utf-8-sig"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path)
    except (
        json.JSONDecodeError,
        UnicodeDecodeError,
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        AttributeError,
    ) as err:
        report.add(
            file=label,
            layer=table,
            severity="error",
            code="E_FILE_UNREADABLE",
            message=f"not a readable GeoJSON file ({str(err).splitlines()[0][:120]})",
            hint="export it again as GeoJSON (RFC 7946, lon/lat)",
        )
        return None
    return raw_from_gdf(gdf, table, label, declared=declared)
