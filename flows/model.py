"""The case: sites, parks, flows, exchanges, sources and metadata of one cluster."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from flows import nace
from flows.schema import SCHEMA
from geo.crs import STORAGE_CRS

DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "sites": ("nace_section", "sector"),
    "flows": ("quantity_canonical", "unit_canonical", "family"),
    "exchanges": ("quantity_canonical", "unit_canonical", "family"),
}
"""Columns SymbioMap adds on load and drops on save (they are recomputed from the others)."""


_TYPES = {"number": "float64", "integer": "Int64", "boolean": "bool"}


def _empty_frame(table: str) -> pd.DataFrame:
    """A table without rows, with the columns (and derived columns) a loaded one has."""
    columns = {c.name: pd.Series(dtype=_TYPES.get(c.kind, "string")) for c in SCHEMA[table].columns}
    for derived in DERIVED_COLUMNS.get(table, ()):
        kind = "float64" if derived == "quantity_canonical" else "string"
        columns[derived] = pd.Series(dtype=kind)
    return pd.DataFrame(columns)


def empty_sites() -> gpd.GeoDataFrame:
    """A sites layer without rows, with the canonical columns."""
    cols = [c for c in SCHEMA["sites"].names if c not in {"lat", "lon", "wkt"}]
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    return add_site_sectors(gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=STORAGE_CRS)))


def empty_parks() -> gpd.GeoDataFrame:
    """A parks layer without rows."""
    return gpd.GeoDataFrame(_empty_frame("parks"), geometry=gpd.GeoSeries([], crs=STORAGE_CRS))


def add_site_sectors(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``nace_section`` (letter) and ``sector`` (section title) from the ``nace`` column."""
    # Look each distinct code up once: a case repeats a few hundred codes over many sites.
    codes = sites["nace"]
    section_of = {
        c: nace.section_of(c)
        for c in codes.dropna().unique()
        if isinstance(c, str) and nace.is_valid(c)
    }
    sections = codes.map(section_of).astype("string")
    geometry = sites.geometry.name
    out = sites.drop(columns=[*DERIVED_COLUMNS["sites"], geometry], errors="ignore")
    out["nace_section"] = sections
    out["sector"] = sections.map(nace.SECTION_NAMES).astype("string")
    return gpd.GeoDataFrame(
        out.assign(geometry=sites.geometry.values), geometry="geometry", crs=sites.crs
    )


@dataclass
class Case:
    """Everything SymbioMap knows about one cluster, in EPSG:4326.

    Attributes
    ----------
    sites
        One row per site: ``site_id``, ``name``, ``nace``, ``park_id``, ``kind``, the user's
        extra columns, the geometry, and the derived ``nace_section`` and ``sector``.
    parks
        Park outlines: ``park_id``, ``name``, ``kind``, geometry.
    flows
        Declared supplies and demands; ``quantity`` in ``unit`` as given, plus the derived
        ``quantity_canonical`` in ``unit_canonical`` (t/yr, MWh/yr or m3/yr) and ``family``.
    exchanges
        Existing, historical or planned exchanges between two sites, with the same derived
        columns as flows (NaN quantity where none is published).
    sources
        References cited by ``source`` columns: ``source_id``, ``citation``, ``url``,
        ``accessed``.
    metadata
        Free key/value pairs; SymbioMap reads ``name``, ``description``, ``country``
        (ISO 3166 alpha-2) and ``licence``.
    """

    sites: gpd.GeoDataFrame = field(default_factory=empty_sites)
    parks: gpd.GeoDataFrame = field(default_factory=empty_parks)
    flows: pd.DataFrame = field(default_factory=lambda: _empty_frame("flows"))
    exchanges: pd.DataFrame = field(default_factory=lambda: _empty_frame("exchanges"))
    sources: pd.DataFrame = field(default_factory=lambda: _empty_frame("sources"))
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The case's name from its metadata (``"Unnamed case"`` if it has none)."""
        return self.metadata.get("name") or "Unnamed case"

    def table(self, name: str) -> pd.DataFrame:
        """Return a table by name, with derived columns removed (as it is saved)."""
        if name == "metadata":
            return pd.DataFrame(
                {"key": list(self.metadata), "value": list(self.metadata.values())},
                dtype="string",
            )
        frame: pd.DataFrame = getattr(self, name)
        return frame.drop(columns=list(DERIVED_COLUMNS.get(name, ())), errors="ignore")
