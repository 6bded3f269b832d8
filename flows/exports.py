"""Analysis results as files: candidates as lines for QGIS, or as a table for spreadsheets.

A frame is written as it is given: pass it through :mod:`flows.privacy` first (files travel;
nothing here masks).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from flows._errors import CaseWriteError
from flows.atomic import atomic_file
from flows.frames import plain_dtypes
from flows.model import Case
from geo.crs import STORAGE_CRS

CANDIDATE_SUFFIXES = (".csv", ".gpkg", ".parquet")
"""File types :func:`write_candidates` writes."""


def candidate_lines(candidates: pd.DataFrame, case: Case) -> gpd.GeoDataFrame:
    """Candidates as straight lines from the supplying to the receiving site (EPSG:4326)."""
    anchors = case.sites.set_index("site_id").geometry.representative_point()
    start = anchors.loc[candidates["supply_site"]].to_numpy()
    end = anchors.loc[candidates["demand_site"]].to_numpy()
    lines = (
        shapely.linestrings(
            np.stack(
                [
                    np.column_stack([shapely.get_x(start), shapely.get_y(start)]),
                    np.column_stack([shapely.get_x(end), shapely.get_y(end)]),
                ],
                axis=1,
            )
        )
        if len(candidates)
        else []
    )
    return gpd.GeoDataFrame(
        candidates.reset_index(drop=True), geometry=list(lines), crs=STORAGE_CRS
    )


def write_candidates(
    candidates: pd.DataFrame,
    case: Case,
    target: str | os.PathLike[str],
    *,
    parameters: object | None = None,
) -> Path:
    """Write scored candidates as ``.csv``, ``.gpkg`` or ``.parquet``, atomically.

    GeoPackage: a LineString ``candidates`` layer and, when given, the ``parameters`` table
    they were computed with. GeoParquet: the lines, with the parameter set's version in every
    row (``parameter_set``). Both are written through Arrow. The frame is written as it is:
    pass it through :mod:`flows.privacy` first (files travel; this function never masks).
    """
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix not in CANDIDATE_SUFFIXES:
        msg = f"{path.name}: candidates are written as {', '.join(CANDIDATE_SUFFIXES)}"
        raise CaseWriteError(msg)
    plain = plain_dtypes(candidates)
    try:
        with atomic_file(path) as tmp:
            if suffix == ".csv":
                plain.to_csv(tmp, index=False)
            elif suffix == ".parquet":
                candidate_lines(plain, case).to_parquet(tmp, index=False)
            else:
                lines = candidate_lines(plain, case)
                pyogrio.write_dataframe(
                    lines, tmp, layer="candidates", driver="GPKG", use_arrow=True
                )
                if parameters is not None:
                    frame = parameters.to_frame()  # type: ignore[attr-defined]
                    pyogrio.write_dataframe(frame, tmp, layer="parameters", driver="GPKG")
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as err:
        msg = f"could not write {path.name}: {err}"
        raise CaseWriteError(msg) from err
    return path
