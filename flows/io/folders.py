"""Reading and writing a case folder: one CSV or GeoJSON file per table."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from flows.checks.checker import RawTable
from flows.io.csv_files import read_csv
from flows.io.flat_tables import flat_sites
from flows.io.geojson_files import GEOJSON_SUFFIXES, read_geojson
from flows.model import Case
from flows.schema import TABLES
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS

CASE_FILES = frozenset(
    {"sites.csv", "parks.geojson", "flows.csv", "exchanges.csv", "sources.csv", "metadata.csv"}
)
"""The files a case folder holds; writing a folder never touches any other file."""


def _find(folder: Path, table: str) -> Path | None:
    names = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for suffix in (".csv", *GEOJSON_SUFFIXES):
        hit = names.get(f"{table}{suffix}")
        if hit is not None:
            return hit
    return None


def read_folder(folder: Path, report: ValidationReport, *, prefix: str) -> dict[str, RawTable]:
    """Read every table file of a case folder; ``prefix`` goes before file names in findings."""
    raw: dict[str, RawTable] = {}
    for table in TABLES:
        found = _find(folder, table)
        if found is None:
            continue
        label = f"{prefix}{found.name}"
        if found.suffix.lower() in GEOJSON_SUFFIXES:
            table_raw = read_geojson(found, table, label, report)
        else:
            table_raw = read_csv(found, table, label, report)
        if table_raw is not None:
            raw[table] = table_raw
    # A sites file that was found but could not be read already has its own error.
    if (
        "sites" not in raw
        and _find(folder, "sites") is None
        and ("E_MISSING_TABLE" not in report.codes())
    ):
        report.add(
            file=prefix.rstrip("/") or folder.name,
            layer=None,
            severity="error",
            code="E_MISSING_TABLE",
            message="no sites table found (expected sites.csv or sites.geojson)",
            hint="put a sites.csv with columns site_id, name, nace, lat, lon next to flows.csv",
        )
    return raw


def write_folder(case: Case, folder: Path) -> None:
    """Write the case as CSV files and a parks GeoJSON into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    flat_sites(case).to_csv(folder / "sites.csv", index=False)
    parks = case.table("parks")
    if len(parks):
        pyogrio.write_dataframe(
            parks.to_crs(STORAGE_CRS), folder / "parks.geojson", driver="GeoJSON", layer="parks"
        )
    for name in ("flows", "exchanges", "sources", "metadata"):
        case.table(name).to_csv(folder / f"{name}.csv", index=False)
