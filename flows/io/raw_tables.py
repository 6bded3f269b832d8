"""Raw tables from what a reader parsed: blank rows dropped, a layer's geometry kept apart."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from flows.checks.checker import ROW, RawTable


def drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the rows in which every cell is blank."""
    blank = pd.Series(True, index=frame.index)
    for col in frame.columns.drop(ROW):
        blank &= frame[col].map(_is_blank).astype(bool)
    return frame.loc[~blank].reset_index(drop=True)


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def raw_from_gdf(
    gdf: gpd.GeoDataFrame, table: str, label: str, *, declared: bool, first_row: int = 1
) -> RawTable:
    """A raw table from a GeoDataFrame, its geometry kept apart from the frame."""
    geometry = gdf.geometry.reset_index(drop=True)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    frame[ROW] = range(first_row, len(frame) + first_row)
    return RawTable(table, label, table, frame, geometry, crs_declared=declared)


def raw_from_frames(tables: Mapping[str, pd.DataFrame], *, label: str) -> dict[str, RawTable]:
    """Raw tables from in-memory frames (rows numbered from 1); a GeoDataFrame's geometry is
    kept apart from its frame."""
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
    return raw
