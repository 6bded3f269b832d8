"""Checks of the sites table: ids, names, NACE codes and locations."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from flows import nace
from flows.checks.checker import Checker, RawTable, extras_frame, finish, floats
from flows.checks.geometry import clean_geometry, geometry_from_columns, geometry_from_layer
from flows.checks.period import check_period
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS


def check_sites(
    raw: RawTable, report: ValidationReport
) -> tuple[gpd.GeoDataFrame | None, set[str] | None]:
    """Check the sites table.

    Returns
    -------
    tuple
        The typed sites (EPSG:4326) or None if unusable, and every site id the table names
        (also those of rows with errors, so that flows citing them are not flagged twice);
        None instead of the ids when the table cannot tell which ids exist (no rows, or no
        ``site_id`` column), so that references to sites are not checked against nothing.
    """
    checker = Checker(raw, report)
    if len(checker.frame) == 0:
        # A blank template or a header-only file: nothing else about it is worth reporting.
        checker.add(
            "error",
            "E_NO_SITES",
            "the case has no sites",
            f"add at least one row to the {raw.layer or 'sites'} "
            f"{'sheet' if raw.file.lower().endswith('.xlsx') else 'table'}: one row per site "
            "with site_id, name, nace, lat and lon",
        )
        return None, None
    if not checker.normalise_columns():
        # With site_id present, flows citing these ids are still checked; without it nothing
        # says which ids exist, and every reference would be a false "unknown site".
        if "site_id" not in checker.frame.columns:
            return None, None
        return None, set(checker.text("site_id").dropna())
    site_id = checker.text("site_id")
    checker.require_values("site_id", site_id)
    checker.unique("site_id", site_id)
    name = checker.text("name")
    checker.require_values("name", name)
    codes = _nace_codes(checker)
    explained = None
    if raw.geometry is not None:
        geoms = geometry_from_layer(checker, raw.geometry)
    else:
        geoms = geometry_from_columns(checker)
        explained = geoms.isna()  # every point left missing there has been reported
    geoms = clean_geometry(checker, geoms, polygonal=False, explained=explained)
    status, start_year, end_year = check_period(checker)
    country = _countries(checker)
    out = gpd.GeoDataFrame(
        {
            "site_id": site_id,
            "name": name,
            "nace": codes,
            "park_id": checker.text("park_id"),
            "kind": checker.choice("kind"),
            "country": country,
            "status": status,
            "start_year": start_year,
            "end_year": end_year,
        },
        geometry=geoms.set_crs(STORAGE_CRS, allow_override=True),
        crs=STORAGE_CRS,
    )
    extras = extras_frame(checker).drop(columns=["lat", "lon", "wkt"], errors="ignore")
    out = pd.concat([out.drop(columns="geometry"), extras, out[["geometry"]]], axis=1)
    ids = set(site_id.dropna())
    return finish(checker, gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)), ids


def _countries(checker: Checker) -> pd.Series:
    """An optional ISO 3166 alpha-2 code per site (upper case); it picks the counterfactual
    table's row where it differs from the case's country."""
    codes = checker.text("country").str.strip().str.upper()
    bad = codes.notna() & ~codes.str.fullmatch(r"[A-Z]{2}").fillna(False).astype(bool)
    for row, value in zip(checker.rows(bad), checker.text("country")[bad], strict=True):
        checker.add(
            "error",
            "E_COUNTRY",
            f"country {value!r} is not a two-letter ISO 3166 code",
            "write the country as two letters, e.g. DK, BE, NL, DE (UK for the United Kingdom)",
            row=row,
            field="country",
        )
    checker.keep &= ~bad
    return codes.where(~bad).astype("string")


def _nace_codes(checker: Checker) -> pd.Series:
    """Normalise and check the nace column, looking each distinct code up once.

    A near miss (a NACE Rev. 2 code that Rev. 2.1 no longer has, a class written for a group)
    is read as :func:`flows.nace.resolve` maps it, with a warning naming the code used.
    A case repeats a few hundred codes over many sites; findings are still one per row.
    """
    raw_values = checker.frame["nace"] if "nace" in checker.frame.columns else None
    codes = checker.text("nace")
    checker.require_values("nace", codes)
    lookup: dict[str, tuple[str | None, str]] = {
        code: nace.resolve(code) for code in codes.dropna().unique()
    }
    normalised = codes.map({code: found for code, (found, _) in lookup.items()}).astype("string")
    # an empty lookup (no code given) maps to a numeric column: keep it text
    notes = codes.map({code: note for code, (_, note) in lookup.items()}).astype("string")
    mapped = normalised.notna() & notes.fillna("").ne("")
    for row, code, note in zip(checker.rows(mapped), codes[mapped], notes[mapped], strict=True):
        checker.add(
            "warning",
            "W_NACE_MAPPED",
            f"NACE code {code!r} read as {lookup[code][0]}: {note}",
            f"write the {nace.NACE_VERSION} code (the one used, or a finer one below it) "
            "to silence this",
            row=row,
            field="nace",
        )
    bad = codes.notna() & normalised.isna()
    for row, code in zip(checker.rows(bad), codes[bad], strict=True):
        hint = (
            "use a section letter, division (24), group (24.1) or class (24.10) of NACE "
            "Rev. 2.1; look codes up with naceconverter or Eurostat's RAMON"
        )
        checker.add(
            "error",
            "E_NACE_UNKNOWN",
            f"NACE code {code!r} is not in {nace.NACE_VERSION}",
            f"{lookup[code][1]}; {hint}" if nace.is_rev2_only(code) else hint,
            row=row,
            field="nace",
        )
    checker.keep &= ~bad
    if raw_values is not None:
        # 19.2 typed as a number may have been meant as the class 19.20 (Excel dropped the 0).
        as_number = floats(raw_values) & (normalised.str.len() == 4).fillna(False).astype(bool)
        for row, value, norm in zip(
            checker.rows(as_number), raw_values[as_number], normalised[as_number], strict=True
        ):
            checker.add(
                "warning",
                "W_NACE_AS_NUMBER",
                f"NACE code stored as the number {value!r}, read as group {norm}",
                "if you meant a class such as 19.20, format the column as text",
                row=row,
                field="nace",
            )
    return normalised
