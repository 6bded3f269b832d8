"""Checks of the parks layer: ids, names and polygon outlines."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from flows.checks.checker import Checker, RawTable, extras_frame, finish
from flows.checks.geometry import clean_geometry, geometry_from_layer
from flows.validation import ValidationReport
from geo.crs import STORAGE_CRS


def check_parks(raw: RawTable, report: ValidationReport) -> gpd.GeoDataFrame | None:
    """Check the parks layer; return it typed, or None if unusable."""
    checker = Checker(raw, report)
    if not checker.normalise_columns():
        return None
    park_id = checker.text("park_id")
    checker.require_values("park_id", park_id)
    checker.unique("park_id", park_id)
    name = checker.text("name")
    checker.require_values("name", name)
    if raw.geometry is not None:
        geoms = geometry_from_layer(checker, raw.geometry)
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
    geoms = clean_geometry(checker, geoms, polygonal=True)
    out = gpd.GeoDataFrame(
        {"park_id": park_id, "name": name, "kind": checker.choice("kind")},
        geometry=geoms.set_crs(STORAGE_CRS, allow_override=True),
        crs=STORAGE_CRS,
    )
    extras = extras_frame(checker).drop(columns=["wkt"], errors="ignore")
    out = pd.concat([out.drop(columns="geometry"), extras, out[["geometry"]]], axis=1)
    return finish(checker, gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_CRS))
