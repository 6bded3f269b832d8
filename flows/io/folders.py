"""Reading and writing a case folder: one CSV or GeoJSON file per table."""

from __future__ import annotations

import stat
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from datasets import settings
from datasets.settings import InputLimits
from flows._errors import CaseReadError
from flows.checks.checker import RawTable
from flows.frames import safe_text_for_csv, strip_control_characters
from flows.io.csv_files import read_csv
from flows.io.flat_tables import flat_sites
from flows.io.formats import unreadable
from flows.io.geojson_files import GEOJSON_SUFFIXES, read_geojson
from flows.model import Case
from flows.schema import TABLES
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS

CASE_FILES = frozenset(
    {"sites.csv", "parks.geojson", "flows.csv", "exchanges.csv", "sources.csv", "metadata.csv"}
)
"""The files a case folder holds; writing a folder never touches any other file."""

TABLE_FILE_NAMES = frozenset(
    f"{table}{suffix}" for table in TABLES for suffix in (".csv", *GEOJSON_SUFFIXES)
)
"""Every (lower-case) file name a table may have in a case folder or a zip."""

_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _find(folder: Path, table: str) -> Path | None:
    # Any entry with the name counts, not only regular files: a folder or a pipe named
    # sites.csv must be reported as what it is, not as a missing sites table.
    # Sorted, so that of 'Sites.csv' and 'sites.csv' the same one wins on every machine.
    names = {p.name.lower(): p for p in sorted(folder.iterdir(), reverse=True)}
    for suffix in (".csv", *GEOJSON_SUFFIXES):
        hit = names.get(f"{table}{suffix}")
        if hit is not None:
            return hit
    return None


def _not_a_file(path: Path) -> tuple[str, str, str] | None:
    """(code, message, hint) when ``path`` is not a regular file SymbioMap may open, else None.

    Only ``stat`` is called before the file is known to be regular, never ``open``: opening a
    named pipe blocks until something writes to it, and a device such as /dev/zero never ends.
    """
    replace = f"put the {path.stem} table in a regular file named {path.name}"
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if path.is_symlink() and isinstance(err, FileNotFoundError):
            message = (
                f"{path.name} is a broken symbolic link (to {str(path.readlink())!r}, which "
                "does not exist)"
            )
            replace = "replace the link with the file itself, or point it at a file that exists"
        else:
            # A link loop (ELOOP), or the entry vanished while the folder was read.
            message = f"{path.name} cannot be opened ({err.strerror or err})"
        return ("E_NOT_A_FILE", message, replace)
    kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), None)
    if kind is not None or not stat.S_ISREG(mode):
        via = " (through a symbolic link)" if path.is_symlink() else ""
        what = kind or "not a regular file"
        return (
            "E_NOT_A_FILE",
            f"{path.name} is {what}{via}, not a file; it was not opened",
            replace,
        )
    try:
        with path.open("rb"):
            pass
    except OSError as err:
        if isinstance(err, PermissionError):
            message = f"{path.name} cannot be read: permission denied"
            hint = "make the file readable for your user (e.g. chmod u+r) and try again"
        else:
            message = f"{path.name} cannot be read ({err.strerror or err})"
            hint = "check that the file is complete and not locked by another program"
        return ("E_FILE_UNREADABLE", message, hint)
    return None


def _too_large(path: Path, limits: InputLimits) -> tuple[str, str, str] | None:
    size = path.stat().st_size
    limit = limits.max_uncompressed_bytes
    if size <= limit:
        return None
    return (
        "E_FILE_TOO_LARGE",
        (
            f"{path.name} is {size / 2**20:.1f} MiB, more than the limit of "
            f"{limit / 2**20:.0f} MiB for one file; it was not read"
        ),
        settings.limit_hint("max_uncompressed_bytes"),
    )


def read_folder(
    folder: Path,
    report: ValidationReport,
    *,
    prefix: str,
    limits: InputLimits | None = None,
) -> dict[str, RawTable]:
    """Read every table file of a case folder; ``prefix`` goes before file names in findings.

    A table whose file is not a regular readable file (a folder, a named pipe, a device, a
    broken link, a file without read permission) or is larger than
    ``limits.max_uncompressed_bytes`` gets one error naming what it is, and is not opened.

    Raises
    ------
    CaseReadError
        If the folder cannot be listed, or a reader fails in a way it did not foresee (the
        message names the file and keeps the exception's type and text).
    """
    bounds = limits or settings.get().limits
    try:
        found_files = {table: _find(folder, table) for table in TABLES}
    except OSError as err:
        raise unreadable(prefix.rstrip("/") or folder.name, err) from err
    raw: dict[str, RawTable] = {}
    for table, found in found_files.items():
        if found is None:
            continue
        label = f"{prefix}{found.name}"
        problem = _not_a_file(found) or _too_large(found, bounds)
        if problem is not None:
            code, message, hint = problem
            report.add(
                file=label, layer=table, severity="error", code=code, message=message, hint=hint
            )
            continue
        try:
            if found.suffix.lower() in GEOJSON_SUFFIXES:
                table_raw = read_geojson(found, table, label, report, limits=bounds)
            else:
                table_raw = read_csv(found, table, label, report, limits=bounds)
        except CaseReadError:
            raise
        except Exception as err:
            # The readers report what they foresee; anything else still names this file.
            raise unreadable(label, err) from err
        if table_raw is not None:
            raw[table] = table_raw
    # A sites file that was found but could not be read already has its own error.
    if (
        "sites" not in raw
        and found_files["sites"] is None
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


def prepared_folder(
    case: Case,
) -> tuple[dict[str, pd.DataFrame], gpd.GeoDataFrame | None, list[str]]:
    """The tables of a case folder as they are written, and the changes that made them safe.

    Returns ``(csv_tables, parks, notes)``: the CSV tables by file name with formula-like text
    quoted and control characters removed (:func:`flows.frames.safe_text_for_csv`), the parks
    layer in the storage CRS without control characters (GDAL's strings end at a NUL), or None
    when there are no parks, and one note per change, each naming its file. Writing and the
    notes shown before a download both come from here, so they cannot disagree.
    """
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    sources = {"sites": flat_sites(case)} | {
        name: case.table(name) for name in ("flows", "exchanges", "sources", "metadata")
    }
    for name, frame in sources.items():
        safe, changes = safe_text_for_csv(frame)
        tables[f"{name}.csv"] = safe
        notes.extend(f"{name}.csv: {change}" for change in changes)
    parks = case.table("parks")
    clean_parks = None
    if len(parks):
        clean_parks, changes = strip_control_characters(parks.to_crs(STORAGE_CRS))
        notes.extend(f"parks.geojson: {change}" for change in changes)
    return tables, clean_parks, notes


def write_folder(case: Case, folder: Path, *, notes: list[str] | None = None) -> None:
    """Write the case as CSV files and a parks GeoJSON into ``folder``.

    Text is made safe for spreadsheets: no control characters, and a ``'`` before a cell
    that would run as a formula (:func:`flows.frames.safe_text_for_csv`; reading the folder
    back removes that quote again). ``notes``, if given, gets one sentence per change.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tables, parks, changes = prepared_folder(case)
    for file_name, frame in tables.items():
        frame.to_csv(folder / file_name, index=False)
    if parks is not None:
        pyogrio.write_dataframe(parks, folder / "parks.geojson", driver="GeoJSON", layer="parks")
    if notes is not None:
        notes.extend(changes)
