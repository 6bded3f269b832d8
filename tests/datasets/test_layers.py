"""The bundled EU layers: read once, units converted as their column names say."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datasets import layers

# Hotmaps Industrial Database, row SiteID 56 "ARCELORMITTAL BELGIUM - GENT" (Iron and steel),
# as published (GWh/yr for energy, t/yr for CO2): Excess_Heat_100-200C 764.10,
# Excess_Heat_200-500C 1106.2, Excess_Heat_500C 48.11, Excess_Heat_Total 1918.42,
# Fuel_Demand 27343.49, Emissions_ETS_2014 4053039.
ARCELOR_GENT = 56


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return layers.load_industrial_sites()


@pytest.fixture(scope="module")
def plants() -> pd.DataFrame:
    return layers.load_power_plants()


def test_hotmaps_energy_is_converted_from_gwh_to_mwh(sites: pd.DataFrame) -> None:
    row = sites.set_index("hotmaps_id").loc[ARCELOR_GENT]
    assert row["name"] == "ARCELORMITTAL BELGIUM - GENT"
    assert row["excess_heat_100_200c_mwh_per_yr"] == pytest.approx(764_100.0)
    assert row["excess_heat_200_500c_mwh_per_yr"] == pytest.approx(1_106_200.0)
    assert row["excess_heat_over_500c_mwh_per_yr"] == pytest.approx(48_110.0)
    assert row["excess_heat_total_mwh_per_yr"] == pytest.approx(1_918_420.0)
    assert row["fuel_demand_mwh_per_yr"] == pytest.approx(27_343_490.0)
    assert row["co2_ets_2014_t_per_yr"] == pytest.approx(4_053_039.0)
    assert (row["lon"], row["lat"]) == pytest.approx((3.8, 51.18), abs=0.05)


def test_bands_add_up_to_the_total(sites: pd.DataFrame) -> None:
    bands = sites[
        [
            "excess_heat_100_200c_mwh_per_yr",
            "excess_heat_200_500c_mwh_per_yr",
            "excess_heat_over_500c_mwh_per_yr",
        ]
    ].sum(axis=1)
    # the layer rounds each figure to 0.01 GWh = 10 MWh
    assert np.allclose(bands, sites["excess_heat_total_mwh_per_yr"].fillna(0), atol=30)


def test_fuel_demand_is_gwh_not_tj(sites: pd.DataFrame) -> None:
    """Cement kilns need about 3-4 GJ of fuel per t of clinker (IEA/WBCSD Cement Technology
    Roadmap 2009: 3.5 GJ/t for a dry kiln with preheater and precalciner; recalled, not read).
    Read as GWh the layer gives that; read as TJ it would give about 1 GJ/t, which no kiln
    achieves."""
    cement = sites[(sites["subsector"] == "Cement") & (sites["production_t_per_yr"] > 0)]
    gj_per_t = cement["fuel_demand_mwh_per_yr"] * 3.6 / cement["production_t_per_yr"]
    assert 2.5 < float(gj_per_t.median()) < 5.0


def test_paper_fuel_demand_is_gwh_not_tj(sites: pd.DataFrame) -> None:
    """Paper mills burn a few GJ per t of paper, mostly for drying (the order of magnitude of
    the EU pulp and paper BREF, 2015: roughly 3-10 GJ/t of heat; recalled, not read). In GWh
    the layer's median falls there; in TJ it would be a third of the lowest."""
    paper = sites[(sites["subsector"] == "Paper and printing") & (sites["production_t_per_yr"] > 0)]
    gj_per_t = paper["fuel_demand_mwh_per_yr"] * 3.6 / paper["production_t_per_yr"]
    assert 3.0 < float(gj_per_t.median()) < 10.0


def test_every_site_has_coordinates(sites: pd.DataFrame, plants: pd.DataFrame) -> None:
    for frame in (sites, plants):
        # Europe, and a few EU ETS sites of the French overseas departments (lon -61, lat 5)
        assert frame["lon"].between(-62, 45).all()
        assert frame["lat"].between(4, 72).all()
    # rows without a geometry were left out of the bundled copy (524 of 5,029)
    assert len(sites) == 4_505
    assert len(plants) == 22_818


def test_power_plants_columns_and_units(plants: pd.DataFrame) -> None:
    borssele = plants.set_index("ppm_id").loc[0]
    assert borssele["name"] == "Borssele"
    assert borssele["fueltype"] == "Hard Coal"
    assert borssele["capacity_mw"] == pytest.approx(485.0)
    assert borssele["year_in"] == 1973
    assert borssele["year_out"] == 2034
    assert str(plants["year_in"].dtype) == "Int64"
    assert set(plants["set"]) == {"PP", "CHP", "Store"}
    assert "Pv" not in set(plants["technology"].dropna())
    # the layer writes an unknown commissioning year as 0 (8 rows): missing here
    assert int(plants["year_in"].min()) >= 1850
    assert int(plants["year_in"].isna().sum()) > 8


def test_loaders_hand_out_copies() -> None:
    first = layers.load_power_plants()
    first["capacity_mw"] = 0.0
    assert layers.load_power_plants()["capacity_mw"].max() > 0


def test_versions_name_both_layers() -> None:
    assert "powerplantmatching 2024-09-18" in layers.LAYERS_VERSION
    assert "hotmaps" in layers.LAYERS_VERSION
    assert layers.hotmaps_path().stat().st_size < 2_000_000
    assert layers.power_plants_path().stat().st_size < 2_000_000
