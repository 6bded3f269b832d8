"""Reading and writing cases: GeoPackage, Excel, a folder of CSV/GeoJSON files, or a zip of one.

Reading never raises for bad content: it returns a :class:`LoadResult` whose report names the
file, layer, row and field of every problem. Only input that cannot be opened at all raises
:class:`~flows._errors.CaseReadError`. Writing goes through a temporary file that replaces the
target only once complete, so a failed save never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from flows import _validate
from flows._errors import CaseReadError, CaseValidationError, CaseWriteError
from flows._validate import ROW, RawTable
from flows.atomic import atomic_dir, atomic_file
from flows.frames import plain_dtypes
from flows.model import Case, add_site_sectors
from flows.schema import REQUIRED_TABLES, SCHEMA, TABLES
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS

Format = Literal["gpkg", "xlsx", "zip", "folder"]

_MAX_ZIP_BYTES = 500 * 1024 * 1024
_CSV_DELIMITERS = ",;\t"
_SPATIAL_SUFFIXES = (".geojson", ".json")


@dataclass
class LoadResult:
    """The outcome of loading a case.

    Attributes
    ----------
    case
        The case, or None when the report holds at least one error.
    report
        Every finding, errors first when shown.
    """

    case: Case | None
    report: ValidationReport


# -- public API -------------------------------------------------------------------------------


def load_case(source: str | os.PathLike[str], *, display_name: str | None = None) -> LoadResult:
    """Load a case from a ``.gpkg``, ``.xlsx``, ``.zip`` or a folder, validating everything.

    Parameters
    ----------
    source
        Path of the file or folder.
    display_name
        Name used for the file in messages (e.g. the name of an uploaded file), default the
        file's own name.

    Raises
    ------
    CaseReadError
        If the path does not exist or is not a readable case file at all.
    """
    path = Path(source)
    label = display_name or path.name
    if not path.exists():
        msg = f"{label}: no such file or folder"
        raise CaseReadError(msg)
    report = ValidationReport()
    raw = _read_any(path, label, report)
    return LoadResult(_build(raw, report, label), report)


def read_case(source: str | os.PathLike[str]) -> Case:
    """Load a case or raise :class:`CaseValidationError` listing its errors."""
    result = load_case(source)
    if result.case is None:
        msg = f"{Path(source).name} has errors:\n{result.report.format()}"
        raise CaseValidationError(msg, result.report)
    return result.case


def load_frames(tables: Mapping[str, pd.DataFrame], *, label: str = "<frames>") -> LoadResult:
    """Validate in-memory tables shaped like the file formats (sites with lat/lon columns).

    ``parks`` may be a GeoDataFrame; every other table is a plain DataFrame.
    """
    report = ValidationReport()
    raw: dict[str, RawTable] = {}
    for name, frame in tables.items():
        geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
        data = pd.DataFrame(
            frame.drop(columns=frame.geometry.name) if geometry is not None else frame
        ).reset_index(drop=True)
        data[ROW] = range(1, len(data) + 1)
        if geometry is not None:
            geometry = geometry.reset_index(drop=True)
        raw[name] = RawTable(name, label, name, data, geometry)
    return LoadResult(_build(raw, report, label), report)


def detect_format(path: str | os.PathLike[str]) -> Format:
    """Format of a path from its suffix (a folder or a suffix-less path is a CSV folder)."""
    suffix = Path(path).suffix.lower()
    if suffix in {".gpkg", ".xlsx", ".zip"}:
        return suffix[1:]  # type: ignore[return-value]
    if suffix == "" or Path(path).is_dir():
        return "folder"
    msg = f"{Path(path).name}: unknown case format {suffix!r}; use .gpkg, .xlsx, .zip or a folder"
    raise CaseReadError(msg)


def write_case(case: Case, target: str | os.PathLike[str]) -> Path:
    """Write ``case`` to ``target`` in the format its suffix names, replacing it atomically.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    CaseWriteError
        If writing fails; an existing target is then left as it was.
    """
    path = Path(target)
    fmt = detect_format(path)
    try:
        if fmt == "folder":
            with atomic_dir(path, owned_names=CASE_FILES) as tmp:
                _write_folder(case, tmp)
        else:
            with atomic_file(path) as tmp:
                _WRITERS[fmt](case, tmp)
    except CaseWriteError:
        raise
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as err:
        msg = f"could not write {path.name}: {err}"
        raise CaseWriteError(msg) from err
    return path


def case_to_bytes(case: Case, fmt: Literal["gpkg", "xlsx", "zip"]) -> bytes:
    """Serialise ``case`` as a GeoPackage, Excel workbook or zip of CSV files."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"case.{fmt}"
        _WRITERS[fmt](case, path)
        return path.read_bytes()


# -- reading ----------------------------------------------------------------------------------


def _read_any(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    fmt = detect_format(path) if not path.is_dir() else "folder"
    if fmt == "folder":
        return _read_folder(path, report, prefix="")
    if fmt == "zip":
        return _read_zip(path, label, report)
    if fmt == "gpkg":
        return _read_gpkg(path, label, report)
    return _read_xlsx(path, label, report)


def _read_zip(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    if not zipfile.is_zipfile(path):
        msg = f"{label}: not a zip archive (is it damaged, or another format renamed .zip?)"
        raise CaseReadError(msg)
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as tmp:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > _MAX_ZIP_BYTES:
            msg = f"{label}: the archive unpacks to more than {_MAX_ZIP_BYTES // 2**20} MiB"
            raise CaseReadError(msg)
        for member in members:
            name = Path(member.filename)
            if name.is_absolute() or ".." in name.parts or name.parts[0] == "__MACOSX":
                continue
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        root = Path(tmp)
        candidates = sorted({p.parent for p in root.rglob("sites.*")}, key=lambda p: len(p.parts))
        folder = candidates[0] if candidates else root
        inner = folder.relative_to(root).as_posix()
        prefix = f"{label}/" + (f"{inner}/" if inner != "." else "")
        return _read_folder(folder, report, prefix=prefix)


def _find(folder: Path, table: str) -> Path | None:
    names = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for suffix in (".csv", *_SPATIAL_SUFFIXES):
        hit = names.get(f"{table}{suffix}")
        if hit is not None:
            return hit
    return None


def _read_folder(folder: Path, report: ValidationReport, *, prefix: str) -> dict[str, RawTable]:
    raw: dict[str, RawTable] = {}
    for table in TABLES:
        found = _find(folder, table)
        if found is None:
            continue
        label = f"{prefix}{found.name}"
        if found.suffix.lower() in _SPATIAL_SUFFIXES:
            table_raw = _read_geojson(found, table, label, report)
        else:
            table_raw = _read_csv(found, table, label, report)
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


def _decode(data: bytes, label: str, report: ValidationReport) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(
            file=label,
            layer=None,
            severity="warning",
            code="W_ENCODING",
            message="the file is not UTF-8; it was read as Windows-1252",
            hint="save the CSV as 'CSV UTF-8' so that names with accents survive",
        )
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path, table: str, label: str, report: ValidationReport) -> RawTable | None:
    text = _decode(path.read_bytes(), label, report)
    if not text.strip():
        report.add(
            file=label,
            layer=table,
            severity="error",
            code="E_EMPTY_FILE",
            message="the file is empty",
            hint=f"give {table} a header row and data rows",
        )
        return None
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as err:
        line = re.search(r"line (\d+)", str(err))
        report.add(
            file=label,
            layer=table,
            row=int(line.group(1)) if line else None,
            severity="error",
            code="E_CSV_PARSE",
            message=f"the CSV cannot be parsed: {str(err).splitlines()[-1]}",
            hint="every row needs as many fields as the header; quote fields that "
            "contain the delimiter",
        )
        return None
    frame[ROW] = range(2, len(frame) + 2)
    return RawTable(table, label, table, _drop_blank_rows(frame), decimal_comma=delimiter == ";")


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    blank = pd.Series(True, index=frame.index)
    for col in frame.columns.drop(ROW):
        blank &= frame[col].map(_is_blank).astype(bool)
    return frame.loc[~blank].reset_index(drop=True)


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def _read_geojson(path: Path, table: str, label: str, report: ValidationReport) -> RawTable | None:
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
    return _raw_from_gdf(gdf, table, label, declared=declared)


def _raw_from_gdf(
    gdf: gpd.GeoDataFrame, table: str, label: str, *, declared: bool, first_row: int = 1
) -> RawTable:
    geometry = gdf.geometry.reset_index(drop=True)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    frame[ROW] = range(first_row, len(frame) + first_row)
    return RawTable(table, label, table, frame, geometry, crs_declared=declared)


def _read_gpkg(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
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
            item = _raw_from_gdf(data, table, label, declared=info.get("crs") is not None)
        else:
            frame = pd.DataFrame(data).reset_index(drop=True)
            item = RawTable(table, label, table, frame)
        item.layer = layer_name
        item.frame[ROW] = rows
        raw[table] = item
    return raw


def _read_xlsx(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about data validation and styles it does not keep; harmless here.
            warnings.simplefilter("ignore", UserWarning)
            sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as err:
        msg = f"{label}: not a readable Excel workbook ({str(err).splitlines()[0][:160]})"
        raise CaseReadError(msg) from err
    by_name = {name.strip().lower(): (name, frame) for name, frame in sheets.items()}
    raw: dict[str, RawTable] = {}
    for table in TABLES:
        if table not in by_name:
            continue
        sheet, frame = by_name[table]
        frame = frame.loc[:, [not str(c).startswith("Unnamed:") for c in frame.columns]]
        frame = frame.astype(object).where(frame.notna(), None)
        frame[ROW] = range(2, len(frame) + 2)
        raw[table] = RawTable(table, label, sheet, _drop_blank_rows(frame))
    if "sites" not in raw:
        report.add(
            file=label,
            layer=None,
            severity="error",
            code="E_MISSING_TABLE",
            message=f"the workbook has no 'sites' sheet (sheets: {', '.join(sheets)})",
            hint="name the sheet with one row per site 'sites' (see the template)",
        )
    return raw


# -- building the case ------------------------------------------------------------------------


def _build(raw: dict[str, RawTable], report: ValidationReport, label: str) -> Case | None:
    missing = [t for t in REQUIRED_TABLES if t not in raw]
    for table in missing:
        unreadable = any(f.severity == "error" and f.layer == table for f in report)
        if "E_MISSING_TABLE" not in report.codes() and not unreadable:
            report.add(
                file=label,
                layer=table,
                severity="error",
                code="E_MISSING_TABLE",
                message=f"no {table} table",
                hint=f"add a {table} table",
            )
    if missing:
        return None
    sites, site_ids = _validate.check_sites(raw["sites"], report)
    case = Case()
    if sites is not None:
        case.sites = add_site_sectors(sites)
    parks_ok = _build_parks(raw, report, case)
    if sites is not None:
        _check_site_parks(raw, report, case, parks_ok=parks_ok)
    citing = [t for t in ("flows", "exchanges") if t in raw and len(raw[t].frame)]
    if site_ids is None:
        # The sites table failed in a way that leaves its ids unknown (no site_id column, no
        # rows): one note instead of an "unknown site" error for every flow and exchange.
        _validate.note_unchecked(
            report,
            file=raw["sites"].file,
            cited_by=[raw[t].file for t in citing],
            target="sites",
            column="site_id",
        )
    for table, check in (
        ("flows", _validate.check_flows),
        ("exchanges", _validate.check_exchanges),
    ):
        if table in raw:
            frame = check(raw[table], report, site_ids)
            if frame is not None:
                setattr(case, table, frame)
    if "sources" in raw:
        sources = _validate.check_sources(raw["sources"], report)
        if sources is not None:
            case.sources = sources
    if "metadata" in raw:
        case.metadata = _validate.check_metadata(raw["metadata"], report)
    return None if report.has_errors else case


def _check_site_parks(
    raw: dict[str, RawTable], report: ValidationReport, case: Case, *, parks_ok: bool
) -> None:
    """Check the park ids sites name, or note that a broken parks layer prevented it."""
    if not bool(case.sites["park_id"].notna().any()):
        return
    if parks_ok:
        _validate.check_site_parks(
            case.sites, set(case.parks["park_id"].dropna()), report, file=raw["sites"].file
        )
    else:
        # The parks file may be unreadable (so not in raw): name the file its error names.
        parks_file = next((f.file for f in report.errors if f.layer == "parks"), "parks")
        _validate.note_unchecked(
            report,
            file=raw["parks"].file if "parks" in raw else parks_file,
            cited_by=[raw["sites"].file],
            target="parks",
            column="park_id",
        )


def _build_parks(raw: dict[str, RawTable], report: ValidationReport, case: Case) -> bool:
    """Check the parks into ``case``; return whether the layer is whole (no errors).

    With a broken parks layer (unreadable, or rows dropped for errors) the park ids that sites
    name cannot be checked: "the parks layer does not have park1" would only mislead.
    """
    n_errors = len(report.errors)
    if "parks" in raw:
        parks = _validate.check_parks(raw["parks"], report)
        if parks is not None:
            case.parks = parks
    return len(report.errors) == n_errors and not any(
        f.severity == "error" and f.layer == "parks" for f in report
    )


# -- writing ----------------------------------------------------------------------------------

CASE_FILES = frozenset(
    {"sites.csv", "parks.geojson", "flows.csv", "exchanges.csv", "sources.csv", "metadata.csv"}
)
"""The files a case folder holds; writing a folder never touches any other file."""


def flat_sites(case: Case) -> pd.DataFrame:
    """Sites as a flat table: lat/lon of each point (representative point of a polygon) and
    the full-precision WKT for non-point geometries."""
    sites = case.table("sites")
    geoms = sites.geometry.values
    is_point = shapely.get_type_id(geoms) == 0
    anchor = np.where(is_point, geoms, shapely.point_on_surface(geoms))
    flat = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    cols = list(flat.columns)
    at = cols.index("nace") + 1
    flat.insert(at, "lat", shapely.get_y(anchor))
    flat.insert(at + 1, "lon", shapely.get_x(anchor))
    wkt = pd.Series(shapely.to_wkt(geoms, rounding_precision=-1), index=flat.index, dtype="string")
    flat.insert(at + 2, "wkt", wkt.where(~is_point, pd.NA))
    return flat


def _flat_parks(case: Case) -> pd.DataFrame:
    parks = case.table("parks")
    flat = pd.DataFrame(parks.drop(columns=parks.geometry.name))
    flat["wkt"] = shapely.to_wkt(parks.geometry.values, rounding_precision=-1)
    return flat


def _write_gpkg(case: Case, path: Path) -> None:
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


def _write_xlsx(case: Case, path: Path) -> None:
    tables = {
        "sites": flat_sites(case),
        "parks": _flat_parks(case),
        "flows": case.table("flows"),
        "exchanges": case.table("exchanges"),
        "sources": case.table("sources"),
        "metadata": case.table("metadata"),
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            out = frame.copy()
            for col in out.columns:
                if isinstance(out[col].dtype, pd.StringDtype) or out[col].dtype == object:
                    out[col] = out[col].astype(object).where(out[col].notna(), None)
            out.to_excel(writer, sheet_name=name, index=False)
            _keep_text(writer.book[name])
            _text_format(writer.book[name], list(out.columns))


def _keep_text(sheet: object) -> None:
    """Store text that starts with '=' as text: openpyxl would write it as a formula, which
    loses the value on reading back and lets a site name inject formulas into the workbook."""
    for row in sheet.iter_rows(min_row=2):  # type: ignore[attr-defined]
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _text_format(sheet: object, columns: list[str]) -> None:
    """Mark code columns as text so Excel keeps '19.20' and '10 01 05' as typed."""
    for idx, col in enumerate(columns, start=1):
        if col in {"nace", "resource", "site_id", "from_site", "to_site", "park_id"}:
            for cell in next(iter(sheet.iter_cols(min_col=idx, max_col=idx))):  # type: ignore[attr-defined]
                cell.number_format = "@"


def _write_folder(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    flat_sites(case).to_csv(folder / "sites.csv", index=False)
    parks = case.table("parks")
    if len(parks):
        pyogrio.write_dataframe(
            parks.to_crs(STORAGE_CRS), folder / "parks.geojson", driver="GeoJSON", layer="parks"
        )
    for name in ("flows", "exchanges", "sources", "metadata"):
        case.table(name).to_csv(folder / f"{name}.csv", index=False)


def _write_zip(case: Case, path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _write_folder(case, Path(tmp))
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(Path(tmp).iterdir()):
                archive.write(file, arcname=file.name)


_WRITERS = {"gpkg": _write_gpkg, "xlsx": _write_xlsx, "zip": _write_zip}


def table_spec_rows() -> pd.DataFrame:
    """Every column of every table with its help (for the template and the docs)."""
    rows = [
        {
            "table": table.name,
            "column": col.name,
            "required": "yes" if col.required else "no",
            "meaning": col.help,
            "allowed values": ", ".join(col.choices),
            "example": col.example,
        }
        for table in SCHEMA.values()
        for col in table.columns
    ]
    return pd.DataFrame(rows)


def write_template(target: str | os.PathLike[str]) -> Path:
    """Write the blank Excel template: one sheet per table with commented headers, drop-down
    lists for fixed choices, and a ``help`` sheet describing every column."""
    from openpyxl import Workbook  # noqa: PLC0415 - only the template needs openpyxl directly
    from openpyxl.comments import Comment  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    book = Workbook()
    help_sheet = book.active
    help_sheet.title = "help"
    spec = table_spec_rows()
    help_sheet.append(["SymbioMap case template: fill one sheet per table; see the columns below."])
    help_sheet.append(list(spec.columns))
    for record in spec.itertuples(index=False):
        help_sheet.append(list(record))
    for table in SCHEMA.values():
        if table.name == "parks":
            columns = [*table.names, "wkt"]
        elif table.name == "sites":
            columns = list(table.names)
        else:
            columns = list(table.names)
        sheet = book.create_sheet(table.name)
        sheet.append(columns)
        for idx, name in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=idx)
            col = table.column(name) if name in table.names else None
            text = col.help if col else "Polygon outline as WKT in WGS84 lon/lat."
            if col and col.required:
                text = "Required. " + text
            if col and col.example:
                text += f" Example: {col.example}"
            cell.comment = Comment(text, "SymbioMap")
            letter = cell.column_letter
            if col and col.kind in {"text", "nace", "resource", "unit"}:
                for row in range(2, 1001):
                    sheet.cell(row=row, column=idx).number_format = "@"
            if col and col.choices:
                rule = DataValidation(
                    type="list", formula1=f'"{",".join(col.choices)}"', allow_blank=not col.required
                )
                rule.error = f"Use one of: {', '.join(col.choices)}"
                sheet.add_data_validation(rule)
                rule.add(f"{letter}2:{letter}1000")
    target_path = Path(target)
    with atomic_file(target_path) as tmp:
        book.save(tmp)
    return target_path


def template_xlsx_bytes() -> bytes:
    """The blank Excel template as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_template(Path(tmp) / "template.xlsx").read_bytes()
