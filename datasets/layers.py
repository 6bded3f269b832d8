"""Bundled EU layers of industrial sites and power plants, read once with units in column names.

Two public data sets are bundled in ``datasets/layers/`` (trimmed to the columns SymbioMap uses
and to rows with coordinates; licences, origin and the reasoning behind every unit are in
``datasets/layers/README.md``):

- the Hotmaps Industrial Database (energy-intensive industrial sites: verified CO2 emissions,
  production, fuel demand and excess heat by temperature band);
- powerplantmatching (European power plants: capacity, fuel, technology, CHP or not, dates).

The loaders return plain :class:`pandas.DataFrame` objects with ``lon``/``lat`` in decimal
degrees (WGS84) and every quantity converted to the unit its column name states. They know
nothing of cases: turning layers into a case is :mod:`flows.region`'s job.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "HOTMAPS_VERSION",
    "LAYERS_DIR",
    "LAYERS_VERSION",
    "POWERPLANTS_VERSION",
    "hotmaps_path",
    "load_industrial_sites",
    "load_power_plants",
    "power_plants_path",
]

LAYERS_DIR = Path(__file__).resolve().parent / "layers"

HOTMAPS_FILE = "hotmaps-industrial-database.csv.gz"
POWERPLANTS_FILE = "powerplantmatching-2024-09-18.csv.gz"

HOTMAPS_VERSION = "hotmaps-industrial-database (Hotmaps project, emissions of 2014)"
"""The Hotmaps Industrial Database as published by the Hotmaps project (data year 2014)."""
POWERPLANTS_VERSION = "powerplantmatching 2024-09-18"
"""The powerplantmatching release of 18 September 2024."""
LAYERS_VERSION = f"{HOTMAPS_VERSION}; {POWERPLANTS_VERSION}"
"""Both layers, as recorded in a region case's metadata."""

GWH_TO_MWH = 1000.0
_FIRST_PLAUSIBLE_YEAR = 1850

_HOTMAPS_COLUMNS = {
    "SiteID": "hotmaps_id",
    "CompanyName": "company",
    "SiteName": "name",
    "City": "city",
    "Country": "country_name",
    "lon": "lon",
    "lat": "lat",
    "Subsector": "subsector",
    "DataSource": "data_source",
    "Emissions_ETS_2014": "co2_ets_2014_t_per_yr",
    "Emissions_EPRTR_2014": "co2_eprtr_2014_t_per_yr",
    "Production": "production_t_per_yr",
}
# Hotmaps states these in GWh/yr (see the README); they are converted to MWh/yr, the case's
# canonical energy unit, so that no caller multiplies by 1,000 on its own.
_HOTMAPS_ENERGY = {
    "Fuel_Demand": "fuel_demand_mwh_per_yr",
    "Excess_Heat_100-200C": "excess_heat_100_200c_mwh_per_yr",
    "Excess_Heat_200-500C": "excess_heat_200_500c_mwh_per_yr",
    "Excess_Heat_500C": "excess_heat_over_500c_mwh_per_yr",
    "Excess_Heat_Total": "excess_heat_total_mwh_per_yr",
}
_POWERPLANT_COLUMNS = {
    "id": "ppm_id",
    "Name": "name",
    "Fueltype": "fueltype",
    "Technology": "technology",
    "Set": "set",
    "Country": "country_name",
    "Capacity": "capacity_mw",
    "Efficiency": "efficiency",
    "DateIn": "year_in",
    "DateRetrofit": "year_retrofit",
    "DateOut": "year_out",
    "lat": "lat",
    "lon": "lon",
}


def _path(name: str) -> Path:
    path = LAYERS_DIR / name
    if not path.is_file():
        known = sorted(p.name for p in LAYERS_DIR.glob("*.csv*")) if LAYERS_DIR.is_dir() else []
        msg = f"bundled layer {name!r} is missing; found: {', '.join(known) or 'none'}"
        raise FileNotFoundError(msg)
    return path


def hotmaps_path() -> Path:
    """Path of the bundled Hotmaps Industrial Database (gzip-compressed CSV)."""
    return _path(HOTMAPS_FILE)


def power_plants_path() -> Path:
    """Path of the bundled powerplantmatching file (gzip-compressed CSV)."""
    return _path(POWERPLANTS_FILE)


@functools.lru_cache(maxsize=1)
def _industrial_sites() -> pd.DataFrame:
    raw = pd.read_csv(hotmaps_path(), dtype={"SiteID": "int64"})
    frame = raw[list(_HOTMAPS_COLUMNS)].rename(columns=_HOTMAPS_COLUMNS)
    for source, target in _HOTMAPS_ENERGY.items():
        frame[target] = raw[source].astype("float64") * GWH_TO_MWH
    return frame


@functools.lru_cache(maxsize=1)
def _power_plants() -> pd.DataFrame:
    raw = pd.read_csv(power_plants_path())
    frame = raw[list(_POWERPLANT_COLUMNS)].rename(columns=_POWERPLANT_COLUMNS)
    # Years arrive as floats (1973.0) because of missing values; nullable integers say so.
    for col in ("year_in", "year_retrofit", "year_out"):
        years = np.floor(frame[col]).astype("Int64")
        # The layer writes an unknown commissioning year as 0 (8 rows of 2024-09-18).
        frame[col] = years.where(years >= _FIRST_PLAUSIBLE_YEAR)
    # A few rows spell "Pv" or "unknown": one spelling per value.
    frame["technology"] = frame["technology"].replace(
        {"Pv": "PV", "unknown": "Unknown", "not found": "Unknown", "Not Found": "Unknown"}
    )
    return frame


def load_industrial_sites() -> pd.DataFrame:
    """The Hotmaps Industrial Database: one row per energy-intensive industrial site.

    Returns
    -------
    pandas.DataFrame
        A fresh copy (the cached frame is never handed out) with columns ``hotmaps_id``,
        ``company``, ``name``, ``city``, ``country_name``, ``lon``/``lat`` (degrees, WGS84),
        ``subsector`` (Hotmaps' nine subsectors), ``data_source`` (ETS, EPRTR or both),
        ``co2_ets_2014_t_per_yr`` and ``co2_eprtr_2014_t_per_yr`` (verified/reported CO2
        emissions of 2014, t/yr), ``production_t_per_yr`` (t of product per year),
        ``fuel_demand_mwh_per_yr`` and the excess heat potentials
        ``excess_heat_100_200c_mwh_per_yr``, ``excess_heat_200_500c_mwh_per_yr``,
        ``excess_heat_over_500c_mwh_per_yr`` and ``excess_heat_total_mwh_per_yr`` (MWh/yr,
        converted from the layer's GWh/yr). Missing values are NaN.

    Raises
    ------
    FileNotFoundError
        If the bundled file is missing (the message lists what is there).
    """
    return _industrial_sites().copy()


def load_power_plants() -> pd.DataFrame:
    """powerplantmatching: one row per European power plant (units aggregated by the source).

    Returns
    -------
    pandas.DataFrame
        A fresh copy with columns ``ppm_id``, ``name``, ``fueltype``, ``technology``,
        ``set`` (``PP`` power only, ``CHP`` combined heat and power, ``Store`` storage),
        ``country_name``, ``capacity_mw`` (net electric capacity, MW), ``efficiency``
        (net electric efficiency, 0-1, mostly missing), ``year_in``, ``year_retrofit``,
        ``year_out`` (nullable integers: commissioning, retrofit and planned or actual
        decommissioning year; the layer's year 0, meaning unknown, is missing here) and
        ``lat``/``lon`` (degrees, WGS84).

    Raises
    ------
    FileNotFoundError
        If the bundled file is missing.
    """
    return _power_plants().copy()
