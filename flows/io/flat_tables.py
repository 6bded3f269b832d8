"""Sites and parks as flat tables (lat/lon and WKT columns) for Excel sheets and CSV files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from flows.model import Case


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


def flat_parks(case: Case) -> pd.DataFrame:
    """Parks as a flat table with the full-precision WKT of each outline."""
    parks = case.table("parks")
    flat = pd.DataFrame(parks.drop(columns=parks.geometry.name))
    flat["wkt"] = shapely.to_wkt(parks.geometry.values, rounding_precision=-1)
    return flat
