"""Geometry checks: CRS of a layer, points from lat/lon or wkt, swapped coordinates, repairs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj.exceptions import CRSError, ProjError

from flows.checks.checker import ROW, Checker
from geo.crs import STORAGE_CRS

_SWAP_OUTLIER_M = 1_000_000.0
_SWAP_NEAR_M = 100_000.0
_POLYGONAL = {"Polygon", "MultiPolygon"}
_EXPLAINED = "symbiomap_explained"
_ID_COLUMN = {"sites": "site_id", "parks": "park_id", "sources": "source_id"}
_REPROJECT_HINT = (
    "reproject the layer to EPSG:4326 (WGS84) or to a national CRS such as EPSG:25832 before "
    "loading it (in QGIS: Export > Save Features As, CRS EPSG:4326)"
)


def _finite(geoms: gpd.GeoSeries) -> np.ndarray:
    """True where a geometry is present and every one of its x/y coordinates is finite.

    NaN or infinite coordinates must never reach GEOS operations such as make_valid, which
    raise on them instead of reporting.
    """
    arr = geoms.values
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    coords, index = shapely.get_coordinates(arr, return_index=True)
    bad = np.zeros(len(arr), dtype=bool)
    bad[np.unique(index[~np.isfinite(coords).all(axis=1)])] = True
    return np.asarray(present & ~bad, dtype=bool)


def _fits_lonlat(geoms: gpd.GeoSeries) -> bool:
    # Non-finite coordinates have their own finding; they say nothing about the CRS.
    nonempty = geoms[_finite(geoms)]
    if len(nonempty) == 0:
        return True
    minx, miny, maxx, maxy = nonempty.total_bounds
    return bool(minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)


def geometry_from_layer(checker: Checker, geoms: gpd.GeoSeries) -> gpd.GeoSeries:
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
        x, y = geoms[_finite(geoms)].iloc[0].representative_point().coords[0]
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
        return _convert(checker, geoms)
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


def _convert(checker: Checker, geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Convert a layer to EPSG:4326; an error when its CRS has no way there."""
    name = geoms.crs.name if geoms.crs is not None else "unknown"
    layer = checker.raw.layer or checker.raw.name
    try:
        converted = geoms.to_crs(STORAGE_CRS)
    except (ProjError, CRSError) as err:
        # A local engineering CRS (a plant grid), or one with no datum link to WGS84.
        checker.add(
            "error",
            "E_CRS_NO_TRANSFORM",
            f"layer {layer!r} is in the CRS {name!r}, which cannot be converted to "
            f"longitude/latitude ({str(err).splitlines()[0][:100]})",
            _REPROJECT_HINT,
        )
        checker.keep &= False
        return geoms
    # PROJ returns inf (not an error) for points outside the area its CRS can convert.
    lost = pd.Series(_finite(geoms) & ~_finite(converted), index=geoms.index)
    for row, who in zip(checker.rows(lost), _labels(checker)[lost], strict=True):
        checker.add(
            "error",
            "E_CRS_NO_TRANSFORM",
            f"the coordinates of {who} in layer {layer!r} cannot be converted from "
            f"{name!r} to longitude/latitude (they lie outside the area of the CRS)",
            "check that the layer's declared CRS is its real one; " + _REPROJECT_HINT,
            row=row,
            field="geometry",
        )
    checker.keep &= ~lost
    checker.add("info", "I_CRS_CONVERTED", f"coordinates converted from {name} to EPSG:4326")
    converted[lost] = None
    # clean_geometry must not call these rows "without geometry" a second time.
    converted.attrs[_EXPLAINED] = lost
    return converted


def clean_geometry(
    checker: Checker,
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
    if explained is None:
        explained = geoms.attrs.get(_EXPLAINED)
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
    not_finite = ~empty & ~wrong & ~pd.Series(_finite(geoms), index=geoms.index)
    ids = _labels(checker)
    for row, who in zip(checker.rows(not_finite), ids[not_finite], strict=True):
        checker.add(
            "error",
            "E_COORD_NOT_FINITE",
            f"{who} has a coordinate that is NaN or infinite, not a number",
            "give every coordinate as a plain number (lon/lat in decimal degrees)",
            row=row,
            field="geometry",
        )
    checker.keep &= ~not_finite
    valid = pd.Series(True, index=geoms.index)
    usable = ~empty & ~wrong & ~not_finite
    valid[usable] = shapely.is_valid(arr[usable.to_numpy()])
    invalid = usable & ~valid
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


def geometry_from_columns(checker: Checker) -> gpd.GeoSeries:
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


def _labels(checker: Checker) -> pd.Series:
    """``site <site_id>``, ``park <park_id>`` ... for each row, or ``feature <row>``."""
    column = _ID_COLUMN.get(checker.raw.name)
    rows = "feature " + checker.frame[ROW].astype(str)
    if column is None or column not in checker.frame.columns:
        return rows.astype(object)
    ids = checker.text(column)
    kind = column.removesuffix("_id")
    return (kind + " " + ids).fillna(rows).astype(object)


def _site_labels(checker: Checker) -> pd.Series:
    """``site <site_id>`` for each row, so that coordinate findings say which site they mean.

    A row without a site_id has its own E_MISSING_VALUE; here it is just "a site without
    site_id" (its row is in the finding).
    """
    ids = checker.text("site_id")
    return ("site " + ids).fillna("a site without site_id").astype(object)


def _check_swapped_outliers(
    checker: Checker, lat: pd.Series, lon: pd.Series, site: pd.Series
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
