"""Checks that turn raw user tables into a typed case, recording a finding for every problem."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from flows import nace, resources, units
from flows._errors import ResourceError, UnitError
from flows.schema import SCHEMA, Table
from flows.validation import Severity, ValidationReport
from geo.crs import STORAGE_CRS

ROW = "_row"
"""Column holding the row number users see (line in a CSV, row in a sheet, feature number)."""

_TRUE = {"true", "yes", "y", "1", "t", "x", "ja", "oui", "si", "wahr"}
_FALSE = {"false", "no", "n", "0", "f", "", "nej", "non", "nein", "falsch"}
_DIRECTION_SYNONYMS = {
    "offer": "supply",
    "output": "supply",
    "source": "supply",
    "have": "supply",
    "need": "demand",
    "want": "demand",
    "input": "demand",
    "sink": "demand",
}
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_DOTTED_THOUSANDS = re.compile(r"^\s*-?\d{1,3}(\.\d{3})+\s*$")
_SWAP_OUTLIER_M = 1_000_000.0
_SWAP_NEAR_M = 100_000.0
_MIN_TEMPERATURE_C = -273.15
_MAX_TEMPERATURE_C = 2000.0
_FIRST_YEAR = 1800
_POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass
class RawTable:
    """A table as read from a file, before any check.

    Attributes
    ----------
    name
        Which table of the case it is (``sites``, ``flows``, ...).
    file
        File name as the user knows it.
    layer
        Sheet or layer name, or the table name for one-table files.
    frame
        Raw values with the user's column names, plus the ``_row`` column.
    geometry
        Geometries for spatial layers read from GeoPackage/GeoJSON, aligned with ``frame``.
    crs_declared
        Whether the file declared a CRS (GeoJSON ``crs`` member, GPKG SRS); False means SymbioMap
        has to decide whether lon/lat may be assumed.
    decimal_comma
        Whether ``1,5`` means 1.5 in this file (semicolon-separated CSV from a European Excel).
    """

    name: str
    file: str
    layer: str | None
    frame: pd.DataFrame
    geometry: gpd.GeoSeries | None = None
    crs_declared: bool = True
    decimal_comma: bool = False


def _floats(series: pd.Series) -> pd.Series:
    """Mask of the values that are floats (a number cell in Excel), without a per-cell call
    where the dtype already answers."""
    if pd.api.types.is_float_dtype(series.dtype):
        return pd.Series(True, index=series.index) & series.notna()
    if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) in {
        "string",
        "empty",
    }:
        return pd.Series(False, index=series.index)
    return series.map(lambda v: isinstance(v, float) and not np.isnan(v)).astype(bool)


def _integral_floats(series: pd.Series) -> pd.Series:
    """Mask of the values that are floats holding a whole number (Excel's 1993.0).

    Tested without a per-cell Python call where the dtype already answers: a float column
    vectorised, a column of strings (every CSV) not at all.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(np.isfinite(values) & (np.mod(values, 1) == 0), index=series.index)
    if series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) in {
        "string",
        "empty",
    }:
        return pd.Series(False, index=series.index)
    return series.map(
        lambda v: isinstance(v, float) and np.isfinite(v) and float(v).is_integer()
    ).astype(bool)


class _Checker:
    """Checks one raw table; adds findings to the shared report."""

    def __init__(self, raw: RawTable, report: ValidationReport) -> None:
        self.raw = raw
        self.spec: Table = SCHEMA[raw.name]
        self.report = report
        self.frame = raw.frame.copy()
        self.keep = pd.Series(True, index=self.frame.index)
        # text() is asked for the same column by several checks; columns only change in
        # normalise_columns, which clears this (pandas copy-on-write keeps callers apart).
        self._text: dict[str, pd.Series] = {}

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        hint: str = "",
        *,
        row: Any = None,
        field: str | None = None,
    ) -> None:
        self.report.add(
            file=self.raw.file,
            layer=self.raw.layer,
            row=None if row is None else int(row),
            field=field,
            severity=severity,
            code=code,
            message=message,
            hint=hint,
        )

    def rows(self, mask: pd.Series) -> pd.Series:
        return self.frame.loc[mask, ROW]

    # -- columns -----------------------------------------------------------------------------

    def normalise_columns(self) -> bool:
        """Rename columns to canonical names; return False if a required column is missing."""
        renamed: dict[str, str] = {}
        seen: dict[str, str] = {}
        for original in self.frame.columns:
            if original == ROW:
                continue
            key = re.sub(r"[\s\-]+", "_", str(original).strip().lower())
            key = self.spec.aliases.get(key, key)
            if key in seen:
                self.add(
                    "error",
                    "E_DUPLICATE_COLUMN",
                    f"columns {seen[key]!r} and {original!r} both mean {key!r}",
                    "keep one of them",
                    field=str(original),
                )
                continue
            seen[key] = str(original)
            renamed[str(original)] = key
            if key != str(original) and key in self.spec.names and str(original).lower() != key:
                self.add(
                    "info",
                    "I_COLUMN_RENAMED",
                    f"column {original!r} read as {key!r}",
                    field=str(original),
                )
        self.frame = self.frame.rename(columns=renamed)
        self.frame = self.frame.loc[:, ~self.frame.columns.duplicated()]
        self._text.clear()
        ok = True
        for col in self.spec.required:
            if col not in self.frame.columns:
                ok = False
                self.add(
                    "error",
                    "E_MISSING_COLUMN",
                    f"required column {col!r} is missing"
                    + (f" (found: {', '.join(map(str, seen.values()))})" if seen else ""),
                    f"add a column {col!r}: {self.spec.column(col).help}",
                    field=col,
                )
        return ok

    def text(self, col: str) -> pd.Series:
        """Column as stripped text; missing values become <NA>."""
        if col not in self.frame.columns:
            return pd.Series(pd.NA, index=self.frame.index, dtype="string")
        if col not in self._text:
            self._text[col] = self._as_text(self.frame[col])
        return self._text[col]

    @staticmethod
    def _as_text(series: pd.Series) -> pd.Series:
        out = series.astype("string").str.strip()
        numeric = _integral_floats(series)
        if bool(numeric.any()):
            # Excel hands integers back as floats; "1993.0" should read as "1993".
            floats = series[numeric].astype("float64")
            if bool((floats.abs() < 2**53).all()):
                whole = floats.astype("int64").astype(str)
            else:  # beyond int64's exact range: Python ints, as typed
                whole = floats.map(lambda v: str(int(v)))
            out = out.where(~numeric, whole.astype("string"))
        return out.mask(out == "", pd.NA)

    def require_values(self, col: str, values: pd.Series) -> pd.Series:
        """Error for each blank value of a required column; return the mask of present ones."""
        missing = values.isna()
        for row in self.rows(missing):
            self.add(
                "error",
                "E_MISSING_VALUE",
                f"{col!r} is empty",
                f"fill in {col}: {self.spec.column(col).help}",
                row=row,
                field=col,
            )
        self.keep &= ~missing
        return ~missing

    def numbers(self, col: str, *, code: str, what: str, hint: str | None = None) -> pd.Series:
        """Parse a numeric column; error for each value that is not a number.

        ``hint`` replaces the generic advice (and the guess about thousands separators).
        """
        raw = self.text(col)
        parsed = pd.to_numeric(raw, errors="coerce").astype("float64")
        failed = raw.notna() & parsed.isna()
        if self.raw.decimal_comma and col == "quantity":
            # In a semicolon CSV "1.500" is most likely fifteen hundred, not one and a half
            # (coordinates are not checked: "55.662" is a latitude either way).
            ambiguous = raw.fillna("").str.match(_DOTTED_THOUSANDS)
            for row, value in zip(self.rows(ambiguous), raw[ambiguous], strict=True):
                self.add(
                    "error",
                    "E_NUMBER_AMBIGUOUS",
                    f"{what} {value!r} could be {value.replace('.', '')} (a dot as thousands "
                    f"separator) or {value} (a decimal point) in this semicolon-separated file",
                    "write the number without thousands separators and with a decimal comma, "
                    "e.g. 1500 or 1,5",
                    row=row,
                    field=col,
                )
            self.keep &= ~ambiguous
            parsed = parsed.where(~ambiguous)
        if self.raw.decimal_comma and bool(failed.any()):
            comma = failed & raw.fillna("").str.match(_DECIMAL_COMMA)
            parsed = parsed.where(
                ~comma, pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce")
            )
            failed &= ~comma
        for row, value in zip(self.rows(failed), raw[failed], strict=True):
            advice = hint or "write a plain number with a decimal point, e.g. 1500.5"
            if hint is None and re.search(r"\d[\s.,]\d{3}\b", str(value)):
                advice = (
                    "remove thousands separators and units: write 200000, not 200 000 or 200,000"
                )
            self.add(
                "error",
                code,
                f"{what} {value!r} is not a number",
                advice,
                row=row,
                field=col,
            )
        self.keep &= ~failed
        return parsed

    def choice(self, col: str, *, synonyms: dict[str, str] | None = None) -> pd.Series:
        """Check a choice column: unknown values are errors if required, else warnings."""
        spec = self.spec.column(col)
        values = self.text(col).str.lower().str.replace(r"[\s_]+", "-", regex=True)
        if synonyms:
            # Look each distinct value up once; a dict map is vectorised, a lambda is not.
            lookup = {v: synonyms.get(v, v) for v in values.dropna().unique()}
            mapped = values.map(lookup).astype("string")
            for row, old, new in zip(
                self.rows(mapped != values),
                values[mapped != values],
                mapped[mapped != values],
                strict=True,
            ):
                self.add(
                    "info", "I_VALUE_MAPPED", f"{col} {old!r} read as {new!r}", row=row, field=col
                )
            values = mapped.astype("string")
        if spec.required:
            self.require_values(col, values)
        bad = values.notna() & ~values.isin(spec.choices)
        severity: Severity = "error" if spec.required else "warning"
        for row, value in zip(self.rows(bad), self.text(col)[bad], strict=True):
            self.add(
                severity,
                "E_VALUE_CHOICE" if spec.required else "W_VALUE_CHOICE",
                f"{col} {value!r} is not one of {', '.join(spec.choices)}",
                f"use one of: {', '.join(spec.choices)}"
                + ("" if spec.required else " (kept as given)"),
                row=row,
                field=col,
            )
        if spec.required:
            self.keep &= ~bad
            return values
        return values.where(~bad, self.text(col))

    def booleans(self, col: str) -> pd.Series:
        values = self.text(col).fillna("").str.lower()
        bad = ~values.isin(_TRUE | _FALSE)
        for row, value in zip(self.rows(bad), self.text(col)[bad], strict=True):
            self.add(
                "error",
                "E_BOOLEAN",
                f"{col} {value!r} is not true or false",
                "write true or false (yes/no and 1/0 also work)",
                row=row,
                field=col,
            )
        self.keep &= ~bad
        return values.isin(_TRUE).astype(bool)

    def unique(self, col: str, values: pd.Series) -> None:
        dup = values.notna() & values.duplicated(keep="first")
        for value in values[dup].unique():
            for row in self.rows(dup & (values == value)):
                first = self.frame.loc[(values == value) & ~dup, ROW].iloc[0]
                self.add(
                    "error",
                    "E_DUPLICATE_ID",
                    f"{col} {value!r} is used again (first at row {first})",
                    f"give every row its own {col}",
                    row=row,
                    field=col,
                )
        self.keep &= ~dup

    def extras(self) -> list[str]:
        return [c for c in self.frame.columns if c not in self.spec.names and c != ROW]


# -- shared column groups ---------------------------------------------------------------------


def _resources(checker: _Checker, col: str = "resource") -> pd.Series:
    values = checker.text(col)
    checker.require_values(col, values)
    # A case repeats a few dozen resources over many rows: normalise each distinct value once.
    cache: dict[str, str | ResourceError] = {}
    for value in values.dropna().unique():
        try:
            cache[value] = resources.normalise_resource(value)
        except ResourceError as err:
            cache[value] = err
    normalised = values.map({k: v for k, v in cache.items() if isinstance(v, str)})
    normalised = normalised.astype("string")
    bad = values.notna() & normalised.isna()
    for row, value in zip(checker.rows(bad), values[bad], strict=True):
        ewc_like = resources.looks_like_ewc(value)
        checker.add(
            "error",
            "E_RESOURCE_MALFORMED" if ewc_like else "E_RESOURCE_UNKNOWN",
            str(cache[value]),
            "EWC codes have six digits in pairs with an optional * for hazardous waste "
            "(10 01 05, 16 01 04*)"
            if ewc_like
            else "use an EWC code or a carrier of datasets/reference/carriers.csv "
            "(heat, steam, electricity, process-water, co2, ...)",
            row=row,
            field=col,
        )
    checker.keep &= ~bad
    _warn_unlisted_ewc(checker, normalised, col)
    return normalised


def _warn_unlisted_ewc(checker: _Checker, normalised: pd.Series, col: str) -> None:
    """One warning per well-formed EWC code that the bundled list does not have."""
    listed = resources.ewc_entries()
    for code in normalised.dropna().unique():
        if not resources.is_ewc(code) or code in listed:
            continue
        rows = checker.rows(normalised == code)
        where = ", ".join(str(r) for r in rows.iloc[:5]) + (", ..." if len(rows) > 5 else "")
        checker.add(
            "warning",
            "W_EWC_NOT_IN_LIST",
            f"EWC code {code} (rows {where}) is well formed but not in SymbioMap's bundled list "
            "of the codes its library uses; it is accepted as given",
            "check the code against the European List of Waste (Decision 2014/955/EU); "
            "matching will only pair it with the same code",
            row=int(rows.iloc[0]),
            field=col,
        )


def _quantities(
    checker: _Checker, res: pd.Series, *, required: bool
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse quantity and unit; return quantity, unit, canonical quantity, canonical unit.

    Units are converted once per distinct unit and checked once per distinct (resource, unit)
    pair, so 250,000 flow rows cost no more pint calls than 25.
    """
    qty = checker.numbers("quantity", code="E_QUANTITY_NOT_NUMBER", what="quantity")
    qty_text = checker.text("quantity")
    unit = checker.text("unit")
    if required:
        checker.require_values("quantity", qty_text)
    nonpositive = qty.notna() & (qty <= 0)
    for row, value in zip(checker.rows(nonpositive), qty[nonpositive], strict=True):
        checker.add(
            "error",
            "E_QUANTITY_NOT_POSITIVE",
            f"quantity {value:g} is not positive",
            "give the amount exchanged per year as a positive number; leave the row out if "
            "there is none",
            row=row,
            field="quantity",
        )
    checker.keep &= ~nonpositive
    info: dict[str, tuple[float, str] | UnitError] = {}
    for u in unit.dropna().unique():
        try:
            info[str(u)] = units.conversion_factor(str(u))
        except UnitError as err:
            info[str(u)] = err
    known = {u: v for u, v in info.items() if not isinstance(v, UnitError)}
    factor = unit.map({u: v[0] for u, v in known.items()}).astype("float64")
    canon = unit.map({u: v[1] for u, v in known.items()}).astype("string")
    dimension_of = {c: d for d, c in units.CANONICAL_UNITS.items()}
    fits = {
        (r, c): dimension_of[c] in resources.dimensions_of(str(r))
        for r, c in pd.DataFrame({"r": res, "c": canon})
        .dropna()
        .drop_duplicates()
        .itertuples(index=False)
    }
    # Only the few (resource, unit) pairs that do not fit are compared row by row.
    mismatch = pd.Series(False, index=qty.index)
    for (r, c), fit in fits.items():
        if not fit:
            mismatch |= ((res == r) & (canon == c)).fillna(False).astype(bool)
    no_unit = unit.isna() & qty.notna()
    bad_unit = unit.notna() & factor.isna()
    wrong_dim = factor.notna() & mismatch
    no_qty = factor.notna() & ~mismatch & qty.isna() & qty_text.isna()
    for idx in qty.index[no_unit | bad_unit | wrong_dim | no_qty]:
        row, u = checker.frame.at[idx, ROW], unit[idx]
        if no_unit[idx]:
            checker.add(
                "error",
                "E_UNIT_MISSING",
                "quantity has no unit",
                "write the unit, e.g. t/yr, MWh/yr or m3/yr",
                row=row,
                field="unit",
            )
        elif bad_unit[idx]:
            problem = str(info[str(u)])
            code = "E_UNIT_NOT_RATE" if "not a rate" in problem else "E_UNIT_UNKNOWN"
            checker.add(
                "error",
                code,
                problem,
                "use t/yr, kt/yr, t/d, MWh/yr, GWh/yr, GJ/yr, m3/yr or m3/h",
                row=row,
                field="unit",
            )
        elif wrong_dim[idx]:
            allowed = resources.dimensions_of(str(res[idx]))
            examples = ", ".join(units.CANONICAL_UNITS[d] for d in allowed)
            checker.add(
                "error",
                "E_UNIT_DIMENSION",
                f"unit {u!r} measures {dimension_of[canon[idx]]}, but {res[idx]} is given as "
                f"{' or '.join(allowed)}",
                f"use a unit such as {examples}",
                row=row,
                field="unit",
            )
        else:
            checker.add(
                "warning",
                "W_UNIT_WITHOUT_QUANTITY",
                f"unit {u!r} given without a quantity",
                "fill in the quantity or clear the unit",
                row=row,
                field="unit",
            )
    checker.keep &= ~(no_unit | bad_unit | wrong_dim)
    ok = factor.notna() & ~mismatch & qty.notna()
    canonical = (qty * factor).where(ok, np.nan).astype("float64")
    canonical_unit = canon.where(ok, pd.NA).astype("string")
    return qty, unit, canonical, canonical_unit


def _references(checker: _Checker, col: str, values: pd.Series, known: set[str]) -> None:
    # Test each distinct id once: isin against a set of 50,000 ids per row is the slow part.
    missing = [v for v in values.dropna().unique() if v not in known]
    unknown = values.isin(missing).fillna(False).astype(bool)
    for row, value in zip(checker.rows(unknown), values[unknown], strict=True):
        checker.add(
            "error",
            "E_UNKNOWN_SITE",
            f"{col} {value!r} is not a site_id of the sites table",
            "correct the id or add the site to the sites table",
            row=row,
            field=col,
        )
    checker.keep &= ~unknown


def _extras_frame(checker: _Checker) -> pd.DataFrame:
    """The user's own columns, kept; text columns become nullable strings, blanks missing."""
    extras = checker.frame[checker.extras()].copy()
    for col in extras.columns:
        values = extras[col]
        if isinstance(values.dtype, pd.StringDtype) or (
            values.dtype == object
            and pd.api.types.infer_dtype(values, skipna=True) in {"string", "empty"}
        ):
            extras[col] = checker.text(col)
    return extras


# -- geometry ---------------------------------------------------------------------------------


def _fits_lonlat(geoms: gpd.GeoSeries) -> bool:
    nonempty = geoms[~(geoms.isna() | geoms.is_empty)]
    if len(nonempty) == 0:
        return True
    minx, miny, maxx, maxy = nonempty.total_bounds
    return bool(minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)


def _geometry_from_layer(checker: _Checker, geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Bring a layer's geometry to EPSG:4326, deciding about a missing CRS."""
    raw = checker.raw
    if geoms.crs is None or not raw.crs_declared:
        if _fits_lonlat(geoms):
            checker.add(
                "warning",
                "W_CRS_ASSUMED",
                "the layer declares no CRS; its coordinates fit longitude/latitude, so "
                "EPSG:4326 (WGS84) was assumed",
                "save the layer with its CRS (in QGIS: Export > Save Features As, CRS EPSG:4326)",
            )
            return geoms.set_crs(STORAGE_CRS, allow_override=True)
        x, y = geoms[~(geoms.isna() | geoms.is_empty)].iloc[0].representative_point().coords[0]
        checker.add(
            "error",
            "E_CRS_MISSING",
            f"the layer declares no CRS and its coordinates (e.g. x={x:.1f}, y={y:.1f}) are "
            "not longitude/latitude",
            "save the layer with its CRS declared (e.g. EPSG:25832) or reproject it to EPSG:4326",
        )
        checker.keep &= False
        return geoms
    if not geoms.crs.equals(STORAGE_CRS):
        checker.add(
            "info",
            "I_CRS_CONVERTED",
            f"coordinates converted from {geoms.crs.name} to EPSG:4326",
        )
        return geoms.to_crs(STORAGE_CRS)
    if not _fits_lonlat(geoms):
        checker.add(
            "error",
            "E_COORD_RANGE",
            "the layer says EPSG:4326 but its coordinates are outside longitude/latitude "
            "range; they look projected",
            "declare the layer's real CRS, or reproject it to EPSG:4326",
        )
        checker.keep &= False
    return geoms


def _clean_geometry(
    checker: _Checker,
    geoms: gpd.GeoSeries,
    *,
    polygonal: bool,
    explained: pd.Series | None = None,
) -> gpd.GeoSeries:
    """Errors for missing/empty/wrong-type geometry; repair invalid ones with a warning.

    ``explained`` marks rows whose missing geometry already has a finding (a latitude that is
    not a number, out of range, ...): they are dropped without a second error.
    """
    arr = geoms.values
    empty = pd.Series(shapely.is_missing(arr) | shapely.is_empty(arr), index=geoms.index)
    reported = empty if explained is None else empty & ~explained
    for row in checker.rows(reported):
        checker.add(
            "error",
            "E_GEOMETRY_EMPTY",
            "the feature has no geometry",
            "draw the feature or give its coordinates",
            row=row,
            field="geometry",
        )
    checker.keep &= ~empty
    types = pd.Series(shapely.get_type_id(arr), index=geoms.index)
    allowed = {3, 6} if polygonal else {0, 3, 6}  # Polygon, MultiPolygon (and Point for sites)
    wrong = ~empty & ~types.isin(allowed)
    for row, geom in zip(checker.rows(wrong), geoms[wrong], strict=True):
        wanted = "a polygon" if polygonal else "a point or a polygon"
        checker.add(
            "error",
            "E_GEOMETRY_TYPE",
            f"geometry is a {geom.geom_type}; {checker.raw.name} need {wanted}",
            f"give each row {wanted}",
            row=row,
            field="geometry",
        )
    checker.keep &= ~wrong
    invalid = ~empty & ~wrong & ~pd.Series(shapely.is_valid(arr), index=geoms.index)
    if bool(invalid.any()):
        fixed = geoms.copy()
        for idx in invalid[invalid].index:
            reason = shapely.is_valid_reason(geoms[idx])
            repaired = shapely.make_valid(geoms[idx])
            if repaired.geom_type == "GeometryCollection":
                parts = [g for g in repaired.geoms if g.geom_type in _POLYGONAL]
                repaired = shapely.union_all(parts) if parts else repaired
            fixed[idx] = repaired
            checker.add(
                "warning",
                "W_GEOMETRY_REPAIRED",
                f"invalid geometry ({reason}) was repaired with make_valid",
                "check the outline in a GIS and fix it at the source",
                row=checker.frame.at[idx, ROW],
                field="geometry",
            )
        return fixed
    return geoms


def _geometry_from_columns(checker: _Checker) -> gpd.GeoSeries:
    """Build points from lat/lon (or shapes from wkt), with range and swap checks."""
    frame = checker.frame
    has_wkt = "wkt" in frame.columns
    wkt = checker.text("wkt") if has_wkt else pd.Series(pd.NA, index=frame.index, dtype="string")
    if not {"lat", "lon"} <= set(frame.columns) and not has_wkt:
        missing = [c for c in ("lat", "lon") if c not in frame.columns]
        for col in missing:
            checker.add(
                "error",
                "E_MISSING_COLUMN",
                f"required column {col!r} is missing: sites need lat and lon (or wkt)",
                f"add {col} in decimal degrees (WGS84), e.g. {checker.spec.column(col).example}",
                field=col,
            )
        checker.keep &= False
        return gpd.GeoSeries([None] * len(frame), index=frame.index, crs=STORAGE_CRS)
    degrees = "write decimal degrees with a decimal point, e.g. 55.6615 (no N/E, no ° or ')"
    lat = checker.numbers("lat", code="E_COORD_NOT_NUMBER", what="latitude", hint=degrees)
    lon = checker.numbers("lon", code="E_COORD_NOT_NUMBER", what="longitude", hint=degrees)
    no_coords = (lat.isna() | lon.isna()) & wkt.isna()
    lat_blank = checker.text("lat").isna()
    blank = no_coords & (lat_blank | checker.text("lon").isna())  # not just unparseable
    site = _site_labels(checker)
    for row, no_lat, who in zip(checker.rows(blank), lat_blank[blank], site[blank], strict=True):
        checker.add(
            "error",
            "E_GEOMETRY_EMPTY",
            f"{who} has no coordinates",
            "fill in lat and lon in decimal degrees (WGS84)",
            row=row,
            field="lat" if no_lat else "lon",
        )
    checker.keep &= ~no_coords
    lat_bad = lat.notna() & ~lat.between(-90, 90)
    lon_bad = lon.notna() & ~lon.between(-180, 180)
    out = lat_bad | lon_bad
    swapped = out & lon.between(-90, 90) & lat.between(-180, 180)
    for row, la, lo, who in zip(
        checker.rows(swapped), lat[swapped], lon[swapped], site[swapped], strict=True
    ):
        checker.add(
            "error",
            "E_COORD_SWAPPED",
            f"{who}: latitude {la:g} is out of range but longitude {lo:g} would be a latitude: "
            "lat and lon look swapped",
            "swap the lat and lon values (lat is north-south, -90..90)",
            row=row,
            field="lat",
        )
    rest = out & ~swapped
    for row, la, lo, who in zip(checker.rows(rest), lat[rest], lon[rest], site[rest], strict=True):
        checker.add(
            "error",
            "E_COORD_RANGE",
            f"{who}: coordinates lat={la:g}, lon={lo:g} are out of range",
            "use decimal degrees in WGS84: lat -90..90, lon -180..180 (projected "
            "coordinates belong in a GeoPackage with its CRS)",
            row=row,
            field="lat" if bool(lat_bad[lat == la].any()) else "lon",
        )
    checker.keep &= ~out
    ok = lat.notna() & lon.notna() & ~out
    _check_swapped_outliers(checker, lat.where(ok), lon.where(ok), site)
    points = gpd.GeoSeries(
        shapely.points(lon.fillna(0).to_numpy(), lat.fillna(0).to_numpy()),
        index=frame.index,
        crs=STORAGE_CRS,
    )
    points[~ok] = None
    if has_wkt and bool(wkt.notna().any()):
        parsed = shapely.from_wkt(wkt.fillna("").to_numpy(dtype=object), on_invalid="ignore")
        bad = wkt.notna() & pd.Series(shapely.is_missing(parsed), index=frame.index)
        for row, value in zip(checker.rows(bad), wkt[bad], strict=True):
            checker.add(
                "error",
                "E_GEOMETRY_WKT",
                f"wkt {str(value)[:40]!r} is not valid WKT",
                "write e.g. POLYGON ((11.08 55.66, 11.09 55.66, 11.09 55.67, 11.08 55.66)) or "
                "leave wkt empty and give lat/lon",
                row=row,
                field="wkt",
            )
        checker.keep &= ~bad
        use = wkt.notna() & ~bad
        points[use] = parsed[use.to_numpy()]
        if not _fits_lonlat(points[use]):
            checker.add(
                "error",
                "E_COORD_RANGE",
                "wkt coordinates are not longitude/latitude",
                "write wkt in WGS84 lon/lat",
                field="wkt",
            )
            checker.keep &= ~use
    return points


def _site_labels(checker: _Checker) -> pd.Series:
    """``site <site_id>`` for each row, so that coordinate findings say which site they mean.

    A row without a site_id has its own E_MISSING_VALUE; here it is just "a site without
    site_id" (its row is in the finding).
    """
    ids = checker.text("site_id")
    return ("site " + ids).fillna("a site without site_id").astype(object)


def _check_swapped_outliers(
    checker: _Checker, lat: pd.Series, lon: pd.Series, site: pd.Series
) -> None:
    """Catch swapped lat/lon that are both in range: far from the others, near once swapped."""
    ok = lat.notna() & lon.notna()
    if int(ok.sum()) < 3:
        return
    from pyproj import Geod  # noqa: PLC0415 - only needed for this check

    geod = Geod(ellps="WGS84")
    med_lat, med_lon = float(lat[ok].median()), float(lon[ok].median())
    n = int(ok.sum())
    _, _, dist = geod.inv(
        np.full(n, med_lon), np.full(n, med_lat), lon[ok].to_numpy(), lat[ok].to_numpy()
    )
    _, _, dist_swapped = geod.inv(
        np.full(n, med_lon), np.full(n, med_lat), lat[ok].to_numpy(), lon[ok].to_numpy()
    )
    suspect = (dist > _SWAP_OUTLIER_M) & (dist_swapped < _SWAP_NEAR_M)
    for idx in lat[ok].index[suspect]:
        km = dist[lat[ok].index.get_loc(idx)] / 1000
        checker.add(
            "error",
            "E_COORD_SWAPPED",
            f"{site[idx]}: lat={lat[idx]:g}, lon={lon[idx]:g} lies {km:,.0f}"
            " km from the other sites, but swapped it falls among them: lat and lon look swapped",
            "swap the lat and lon values",
            row=checker.frame.at[idx, ROW],
            field="lat",
        )
        checker.keep[idx] = False


# -- tables -----------------------------------------------------------------------------------


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
    checker = _Checker(raw, report)
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
        geoms = _geometry_from_layer(checker, raw.geometry)
    else:
        geoms = _geometry_from_columns(checker)
        explained = geoms.isna()  # every point left missing there has been reported
    geoms = _clean_geometry(checker, geoms, polygonal=False, explained=explained)
    out = gpd.GeoDataFrame(
        {
            "site_id": site_id,
            "name": name,
            "nace": codes,
            "park_id": checker.text("park_id"),
            "kind": checker.choice("kind"),
        },
        geometry=geoms.set_crs(STORAGE_CRS, allow_override=True),
        crs=STORAGE_CRS,
    )
    extras = _extras_frame(checker).drop(columns=["lat", "lon", "wkt"], errors="ignore")
    out = pd.concat([out.drop(columns="geometry"), extras, out[["geometry"]]], axis=1)
    ids = set(site_id.dropna())
    return _finish(checker, gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS)), ids


def _nace_codes(checker: _Checker) -> pd.Series:
    """Normalise and check the nace column, looking each distinct code up once.

    A case repeats a few hundred codes over many sites; findings are still one per row.
    """
    raw_values = checker.frame["nace"] if "nace" in checker.frame.columns else None
    codes = checker.text("nace")
    checker.require_values("nace", codes)
    lookup: dict[str, str | None] = {}
    for code in codes.dropna().unique():
        norm = nace.normalise(code)
        lookup[code] = norm if norm is not None and nace.is_valid(norm) else None
    normalised = codes.map(lookup).astype("string")
    bad = codes.notna() & normalised.isna()
    for row, code in zip(checker.rows(bad), codes[bad], strict=True):
        checker.add(
            "error",
            "E_NACE_UNKNOWN",
            f"NACE code {code!r} is not in {nace.NACE_VERSION}",
            "use a section letter, division (24), group (24.1) or class (24.10) of NACE "
            "Rev. 2.1; look codes up with naceconverter or Eurostat's RAMON",
            row=row,
            field="nace",
        )
    checker.keep &= ~bad
    if raw_values is not None:
        # 19.2 typed as a number may have been meant as the class 19.20 (Excel dropped the 0).
        as_number = _floats(raw_values) & (normalised.str.len() == 4).fillna(False).astype(bool)
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


def check_parks(raw: RawTable, report: ValidationReport) -> gpd.GeoDataFrame | None:
    """Check the parks layer; return it typed, or None if unusable."""
    checker = _Checker(raw, report)
    if not checker.normalise_columns():
        return None
    park_id = checker.text("park_id")
    checker.require_values("park_id", park_id)
    checker.unique("park_id", park_id)
    name = checker.text("name")
    checker.require_values("name", name)
    if raw.geometry is not None:
        geoms = _geometry_from_layer(checker, raw.geometry)
    elif "wkt" in checker.frame.columns:
        geoms = gpd.GeoSeries.from_wkt(
            checker.text("wkt").fillna("").to_numpy(dtype=object),
            index=checker.frame.index,
            crs=STORAGE_CRS,
            on_invalid="ignore",
        )
    else:
        checker.add(
            "error",
            "E_MISSING_COLUMN",
            "parks need a polygon geometry (or a wkt column)",
            "save parks as GeoJSON or GeoPackage polygons",
            field="geometry",
        )
        return None
    geoms = _clean_geometry(checker, geoms, polygonal=True)
    out = gpd.GeoDataFrame(
        {"park_id": park_id, "name": name, "kind": checker.choice("kind")},
        geometry=geoms.set_crs(STORAGE_CRS, allow_override=True),
        crs=STORAGE_CRS,
    )
    extras = _extras_frame(checker).drop(columns=["wkt"], errors="ignore")
    out = pd.concat([out.drop(columns="geometry"), extras, out[["geometry"]]], axis=1)
    return _finish(checker, gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS))


def check_flows(
    raw: RawTable, report: ValidationReport, site_ids: set[str] | None
) -> pd.DataFrame | None:
    """Check the flows table against the known site ids (None: ids unknown, not checked)."""
    checker = _Checker(raw, report)
    if not checker.normalise_columns():
        return None
    site = checker.text("site_id")
    checker.require_values("site_id", site)
    if site_ids is not None:
        _references(checker, "site_id", site, site_ids)
    direction = checker.choice("direction", synonyms=_DIRECTION_SYNONYMS)
    res = _resources(checker)
    qty, unit, canonical, canonical_unit = _quantities(checker, res, required=True)
    temperature = checker.numbers(
        "temperature_c", code="E_TEMPERATURE_NOT_NUMBER", what="temperature"
    )
    _check_temperatures(checker, res, temperature)
    out = pd.DataFrame(
        {
            "site_id": site,
            "direction": direction.astype("string"),
            "resource": res,
            "quantity": qty,
            "unit": unit,
            "temperature_c": temperature,
            "availability": checker.text("availability"),
            "confidential": checker.booleans("confidential"),
            "source": checker.text("source"),
        }
    )
    out = pd.concat([out, _extras_frame(checker)], axis=1)
    out["quantity_canonical"] = canonical
    out["unit_canonical"] = canonical_unit
    return _finish(checker, _with_family(out))


def _check_temperatures(checker: _Checker, res: pd.Series, temperature: pd.Series) -> None:
    needs_of = {r: resources.needs_temperature(r) for r in res.dropna().unique()}
    needs = res.map(needs_of).fillna(False).astype(bool)
    missing = needs & temperature.isna() & checker.text("temperature_c").isna()
    for row, resource in zip(checker.rows(missing), res[missing], strict=True):
        checker.add(
            "error",
            "E_TEMPERATURE_MISSING",
            f"{resource} needs a temperature",
            "give temperature_c in °C (supply: the temperature delivered; demand: the "
            "temperature required)",
            row=row,
            field="temperature_c",
        )
    checker.keep &= ~missing
    odd = temperature.notna() & ~temperature.between(_MIN_TEMPERATURE_C, _MAX_TEMPERATURE_C)
    for row, value in zip(checker.rows(odd), temperature[odd], strict=True):
        checker.add(
            "error",
            "E_TEMPERATURE_RANGE",
            f"temperature {value:g} °C is not physical here",
            f"give °C between {_MIN_TEMPERATURE_C} and {_MAX_TEMPERATURE_C:g} (not kelvin or °F)",
            row=row,
            field="temperature_c",
        )
    checker.keep &= ~odd


def check_exchanges(
    raw: RawTable, report: ValidationReport, site_ids: set[str] | None
) -> pd.DataFrame | None:
    """Check the exchanges table against the known site ids (None: ids unknown, not checked)."""
    checker = _Checker(raw, report)
    if not checker.normalise_columns():
        return None
    from_site = checker.text("from_site")
    to_site = checker.text("to_site")
    for col, values in (("from_site", from_site), ("to_site", to_site)):
        checker.require_values(col, values)
        if site_ids is not None:
            _references(checker, col, values, site_ids)
    same = from_site.notna() & (from_site == to_site)
    for row in checker.rows(same):
        checker.add(
            "warning",
            "W_SELF_EXCHANGE",
            "from_site and to_site are the same site",
            "an internal loop is not a symbiosis exchange; check the ids",
            row=row,
            field="to_site",
        )
    res = _resources(checker)
    qty, unit, canonical, canonical_unit = _quantities(checker, res, required=False)
    since = checker.numbers("since", code="E_YEAR", what="year")
    latest = dt.date.today().year + 50
    bad_year = since.notna() & (~since.between(_FIRST_YEAR, latest) | (since % 1 != 0))
    for row, value in zip(checker.rows(bad_year), since[bad_year], strict=True):
        checker.add(
            "error",
            "E_YEAR",
            f"since {value:g} is not a plausible year",
            f"write the start year as four digits ({_FIRST_YEAR}-{latest})",
            row=row,
            field="since",
        )
    checker.keep &= ~bad_year
    out = pd.DataFrame(
        {
            "from_site": from_site,
            "to_site": to_site,
            "resource": res,
            "quantity": qty,
            "unit": unit,
            "mode": checker.choice("mode").astype("string"),
            "since": since.round().astype("Int64"),
            "status": checker.choice("status").astype("string"),
            "source": checker.text("source"),
        }
    )
    out = pd.concat([out, _extras_frame(checker)], axis=1)
    out["quantity_canonical"] = canonical
    out["unit_canonical"] = canonical_unit
    return _finish(checker, _with_family(out))


def check_sources(raw: RawTable, report: ValidationReport) -> pd.DataFrame | None:
    """Check the sources table (id and citation required, ids unique)."""
    checker = _Checker(raw, report)
    if not checker.normalise_columns():
        return None
    sid = checker.text("source_id")
    checker.require_values("source_id", sid)
    checker.unique("source_id", sid)
    citation = checker.text("citation")
    checker.require_values("citation", citation)
    out = pd.DataFrame(
        {
            "source_id": sid,
            "citation": citation,
            "url": checker.text("url"),
            "accessed": checker.text("accessed"),
        }
    )
    return _finish(checker, pd.concat([out, _extras_frame(checker)], axis=1))


def check_metadata(raw: RawTable, report: ValidationReport) -> dict[str, str]:
    """Read key/value metadata; later duplicates win with a warning."""
    checker = _Checker(raw, report)
    if not checker.normalise_columns():
        return {}
    keys = checker.text("key")
    values = checker.text("value")
    meta: dict[str, str] = {}
    for idx, key in keys.items():
        if pd.isna(key):
            continue
        if key in meta:
            checker.add(
                "warning",
                "W_DUPLICATE_KEY",
                f"metadata key {key!r} appears twice; the last value is used",
                row=checker.frame.at[idx, ROW],
                field="key",
            )
        meta[str(key)] = "" if pd.isna(values[idx]) else str(values[idx])
    country = meta.get("country", "")
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        checker.add(
            "warning",
            "W_COUNTRY_CODE",
            f"country {country!r} is not an ISO 3166 alpha-2 code",
            "write e.g. DK, NL, BE",
            field="value",
        )
    return meta


def _with_family(frame: pd.DataFrame) -> pd.DataFrame:
    family_of = {r: resources.family_of(r) for r in frame["resource"].dropna().unique()}
    frame["family"] = frame["resource"].map(family_of).astype("string")
    return frame


def _finish(checker: _Checker, frame: Any) -> Any:
    """Keep only rows without errors and reset to a clean 0..n index."""
    return frame.loc[checker.keep.to_numpy()].reset_index(drop=True)


def note_unchecked(
    report: ValidationReport, *, file: str, cited_by: list[str], target: str, column: str
) -> None:
    """One note that references from ``cited_by`` to ``target.column`` were not checked.

    A cross-table check against a table or column that already has a blocking error would only
    repeat that error once per row ("site 'x' is unknown" a hundred times for one renamed
    column), so it is skipped and this note says so instead.
    """
    if not cited_by:
        return
    report.add(
        file=file,
        layer=target,
        severity="info",
        code="I_REFERENCES_NOT_CHECKED",
        message=f"the {column} values cited by {' and '.join(cited_by)} were not checked "
        f"against the {target} table because of the error in {target} reported above",
        hint=f"fix the {target} table and load the case again",
        field=column,
    )


def check_site_parks(
    sites: gpd.GeoDataFrame, parks_ids: set[str], report: ValidationReport, *, file: str
) -> None:
    """Warn about sites naming a park that the parks layer does not have."""
    unknown = sites["park_id"].notna() & ~sites["park_id"].isin(parks_ids)
    for site, park in zip(
        sites.loc[unknown, "site_id"], sites.loc[unknown, "park_id"], strict=True
    ):
        report.add(
            file=file,
            layer="sites",
            severity="warning",
            code="W_UNKNOWN_PARK",
            message=f"site {site!r} names park {park!r}, which the parks layer does not have",
            hint="add the park outline or correct park_id",
            field="park_id",
        )
