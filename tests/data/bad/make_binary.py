"""Regenerate the binary members of the validation corpus (``.gpkg``, ``.xlsx``, ``.zip``).

Each member is ``tests/data/mini`` with exactly one thing broken (see README.md). The files are
committed; tests never run this script. Run it from the repository root after changing the
mini case or the writers::

    python tests/data/bad/make_binary.py

Output is deterministic: GeoPackages get a fixed timestamp and are vacuumed to small pages,
zip members (xlsx included) get a fixed date and fixed document properties.
"""

from __future__ import annotations

import io
import re
import sqlite3
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
REPO = DATA.parent.parent
sys.path.insert(0, str(REPO))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from flows.frames import plain_dtypes as _plain  # noqa: E402
from flows.io import read_case, write_case  # noqa: E402
from flows.schema import TABLES  # noqa: E402

FIXED_DATE = (2026, 1, 1, 0, 0, 0)
FIXED_ISO = "2026-01-01T00:00:00Z"
MINI = DATA / "mini"
WARN = DATA / "warn"


def _mini_tables() -> dict[str, pd.DataFrame]:
    """The mini case as it is written: sites and parks as GeoDataFrames, the rest plain."""
    case = read_case(MINI)
    return {name: case.table(name) for name in TABLES}


def _write_gpkg(tables: dict[str, pd.DataFrame], target: Path) -> None:
    """Write one layer per table without spatial index, then vacuum to small pages."""
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00.000Z"})
    # Writing a layer without CRS is the point of some members; pyogrio warns about it.
    warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / target.name
        for name, frame in tables.items():
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(
                    frame,
                    path,
                    layer=name,
                    driver="GPKG",
                    geometry_type="Unknown",
                    promote_to_multi=False,
                    layer_options={"SPATIAL_INDEX": "NO"},
                )
            else:
                pyogrio.write_dataframe(_plain(frame), path, layer=name, driver="GPKG")
        con = sqlite3.connect(path)
        con.execute("PRAGMA page_size=512")
        con.execute("VACUUM")
        con.close()
        target.write_bytes(path.read_bytes())


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip (or xlsx) with fixed member dates and fixed document timestamps."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", FIXED_ISO.encode(), body)
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, body)
    return out.getvalue()


def _zip_folder(files: dict[str, bytes], target: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    target.write_bytes(_deterministic_zip(buf.getvalue()))


def _xlsx(edit: object, target: Path) -> None:
    """Write the mini case as xlsx, let ``edit(workbook)`` break it, save deterministically."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.xlsx"
        write_case(read_case(MINI), path)
        book = load_workbook(path)
        edit(book)  # type: ignore[operator]
        book.save(path)
        target.write_bytes(_deterministic_zip(path.read_bytes()))


def _set(sheet_name: str, row: int, column: str, value: object) -> object:
    def edit(book: object) -> None:
        sheet = book[sheet_name]  # type: ignore[index]
        header = [c.value for c in sheet[1]]
        sheet.cell(row=row, column=header.index(column) + 1, value=value)

    return edit


def main() -> None:
    tables = _mini_tables()
    sites = tables["sites"]

    # GeoPackages ---------------------------------------------------------------------------
    projected = sites.to_crs("EPSG:25832").set_crs(None, allow_override=True)
    _write_gpkg({**tables, "sites": projected}, HERE / "gpkg_sites_no_crs_projected.gpkg")

    extra = sites.iloc[[0]].copy()
    extra["name"] = "Coastal Power Station annex"
    doubled = gpd.GeoDataFrame(pd.concat([sites, extra], ignore_index=True), crs=sites.crs)
    _write_gpkg({**tables, "sites": doubled}, HERE / "gpkg_duplicate_site_id.gpkg")

    nace = sites.copy()
    nace.loc[1, "nace"] = "99.99"
    _write_gpkg({**tables, "sites": nace}, HERE / "gpkg_nace_unknown.gpkg")

    lonlat = sites.set_crs(None, allow_override=True)
    _write_gpkg({**tables, "sites": lonlat}, WARN / "gpkg_sites_no_crs_lonlat.gpkg")

    (HERE / "not_a_gpkg.gpkg").write_text(
        "site_id,name,nace,lat,lon\npower,Coastal Power Station,35.11,55.6615,11.0848\n",
        encoding="utf-8",
    )

    # Excel workbooks -------------------------------------------------------------------------
    def drop_sites(book: object) -> None:
        del book["sites"]  # type: ignore[attr-defined]

    _xlsx(drop_sites, HERE / "xlsx_no_sites_sheet.xlsx")
    _xlsx(_set("flows", 4, "unit", "bananas/yr"), HERE / "xlsx_unit_unknown.xlsx")
    _xlsx(_set("exchanges", 3, "since", 19822), HERE / "xlsx_year_implausible.xlsx")
    _xlsx(_set("sites", 5, "lat", "55.680 N"), HERE / "xlsx_lat_not_number.xlsx")
    good = (HERE / "xlsx_unit_unknown.xlsx").read_bytes()
    (HERE / "corrupt.xlsx").write_bytes(good[: len(good) // 2])

    # Zip archives ----------------------------------------------------------------------------
    files = {f"case/{p.name}": p.read_bytes() for p in sorted(MINI.iterdir())}
    flows = files["case/flows.csv"].decode("utf-8").splitlines(keepends=True)
    flows[3] = flows[3].replace(",1500,GWh/yr,250,", ",1500,GWh/yr,,")
    files["case/flows.csv"] = "".join(flows).encode("utf-8")
    _zip_folder(files, HERE / "zip_steam_without_temperature.zip")

    (HERE / "not_a_zip.zip").write_text("sites.csv\nflows.csv\n", encoding="utf-8")


if __name__ == "__main__":
    main()
