"""A case from a region: the bundled EU layers inside a box, with parks from a local OSM file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pyrosm
import pytest
from pyproj import Geod

from datasets import layers
from flows import io, nace, pipeline, region
from flows.model import Case
from flows.region import RegionError, RegionReport, build_region_case
from tests.cli_helpers import run_module

GHENT = (3.6, 51.0, 3.9, 51.25)
KOTKA_PBF = Path(pyrosm.get_data("test_pbf"))


@pytest.fixture(scope="module")
def ghent() -> tuple[Case, RegionReport]:
    return build_region_case(bbox=GHENT, year=2026)


def _flow(case: Case, site_id: str, resource: str) -> pd.DataFrame:
    """The site's supplies of the resource."""
    flows = case.flows
    return flows[
        (flows["site_id"] == site_id)
        & (flows["resource"] == resource)
        & (flows["direction"] == "supply")
    ]


# -- Ghent, from the real layers ------------------------------------------------------------


def test_ghent_counts_per_layer(ghent: tuple[Case, RegionReport]) -> None:
    case, report = ghent
    # hand count in the layers (lon 3.6-3.9, lat 51.0-51.25): 5 Hotmaps sites; 19
    # powerplantmatching entries, of which Rodenhuize's coal unit (1964-2001) is not in
    # operation in 2026, and Stora Langerbrugge (biomass, 45 MW) is Stora Enso's mill.
    assert report.sites_per_layer == {"hotmaps": 5, "powerplantmatching": 18}
    assert report.left_out_by_year == 1
    assert report.merges == (("hm-41", "ppm-21286"),)
    assert len(case.sites) == 5 + 18 - 1
    assert set(case.sites["country"]) == {"BE", "NL"}  # Sas van Gent is Dutch


def test_ghent_nace_codes(ghent: tuple[Case, RegionReport]) -> None:
    case, _ = ghent
    codes = case.sites.set_index("site_id")["nace"]
    assert codes["hm-56"] == "24.10"  # ArcelorMittal Gent, Iron and steel
    assert codes["hm-41"] == "17.1"  # Stora Enso Langerbrugge, Paper and printing
    assert codes["ppm-157"] == "35.12"  # Rodenhuize, Solid Biomass
    assert codes["ppm-156"] == "35.11"  # Ringvaart, Natural Gas
    assert all(nace.is_valid(c) for c in codes)


def test_arcelormittal_excess_heat_in_mwh(ghent: tuple[Case, RegionReport]) -> None:
    """Hotmaps: 764.10, 1106.2 and 48.11 GWh/yr in the three bands (SiteID 56)."""
    case, report = ghent
    heat = _flow(case, "hm-56", "heat").sort_values("temperature_c")
    assert heat["temperature_c"].tolist() == [100.0, 200.0, 500.0]
    assert heat["quantity"].tolist() == pytest.approx([764_100.0, 1_106_200.0, 48_110.0])
    assert set(heat["unit_canonical"]) == {"MWh/yr"}
    assert heat["quantity_canonical"].sum() == pytest.approx(1_918_410.0)
    assert set(heat["supply_kind"]) == {"surplus-energy"}
    assert set(heat["quantity_basis"]) == {"modelled"}
    # Stora Enso Langerbrugge adds 52.02 GWh/yr at 100-200 C
    assert report.excess_heat_mwh_per_yr == pytest.approx(1_918_410.0 + 52_020.0)
    co2 = _flow(case, "hm-56", "co2")
    assert co2["quantity"].tolist() == pytest.approx([4_053_039.0])
    assert co2["estimated"].tolist() == [True]


def test_biomass_ash_by_hand(ghent: tuple[Case, RegionReport]) -> None:
    """Rodenhuize, 268 MW of solid biomass: 268 x 6000 h = 1,608,000 MWh_el; / 0.2694 / 15.6
    GJ/t x 3.6 GJ/MWh = 1,377,466 t wood; x 0.02 ash = 27,549 t; fly ash 30 %, bottom 70 %."""
    case, _ = ghent
    wood_t = 268 * 6000 * 3.6 / (0.2694 * 15.6)
    fly = _flow(case, "ppm-157", "10 01 03")
    bottom = _flow(case, "ppm-157", "10 01 01")
    assert fly["quantity"].item() == pytest.approx(wood_t * 0.02 * 0.30)
    assert bottom["quantity"].item() == pytest.approx(wood_t * 0.02 * 0.70)
    assert fly["quantity_basis"].item() == "estimated"
    assert "residue_share:10 01 03 0.3" in fly["method"].item()
    assert fly["source"].item() == "powerplantmatching + power_plant_factors"


def test_chp_heat_by_hand(ghent: tuple[Case, RegionReport]) -> None:
    """Ham Gent, a 159 MW gas CHP: 159 x 3500 h / Cb 0.98 (DEA, gas turbine) MWh of heat."""
    case, _ = ghent
    heat = _flow(case, "ppm-550", "heat")
    assert heat["quantity"].item() == pytest.approx(159 * 3500 / 0.98)
    assert heat["temperature_c"].item() == 100.0
    assert heat["supply_kind"].item() == "produced-chp"


# Shares of process heat by temperature level (industry_demand_factors.csv, from the German
# WZ 2008 table of the DemandRegio Disaggregator master-thesis data, sheet
# 'Prozesswärme_Temperaturniveaus'): paper WZ 17 0.1026 below 100 C and 0.833 at 100-200 C; basic
# metals WZ 24 0.0247 and 0; chemicals WZ 20 0.1997 and 0.1063. Hotmaps' CM "Add industry plant"
# turns fuel into heat at 90 %.
BOILER_EFFICIENCY = 0.9


def test_paper_mill_heat_and_steam_demand_by_hand(ghent: tuple[Case, RegionReport]) -> None:
    """Stora Enso Langerbrugge: Hotmaps Fuel_Demand 520.27 GWh/yr (SiteID 41, Paper and
    printing): 520,270 x 0.1026 x 0.9 = 48,042 MWh/yr of heat at 80 C and 520,270 x 0.833 x 0.9
    = 390,046 MWh/yr of steam at 180 C."""
    case, _ = ghent
    demands = case.flows[(case.flows["site_id"] == "hm-41") & (case.flows["direction"] == "demand")]
    heat = demands[demands["resource"] == "heat"]
    steam = demands[demands["resource"] == "steam"]
    assert heat["quantity"].item() == pytest.approx(520_270 * 0.1026 * BOILER_EFFICIENCY)
    assert heat["quantity"].item() == pytest.approx(48_041.7, abs=0.1)
    assert heat["temperature_c"].item() == 80.0
    assert steam["quantity"].item() == pytest.approx(520_270 * 0.833 * BOILER_EFFICIENCY)
    assert steam["temperature_c"].item() == 180.0
    assert set(demands["unit_canonical"]) == {"MWh/yr"}
    assert set(demands["quantity_basis"]) == {"estimated"}
    assert demands["estimated"].all()
    assert set(demands["source"]) == {"hotmaps + industry_demand_factors"}
    assert heat["method"].item() == (
        "Hotmaps Fuel_Demand 520270 MWh/yr x heat_share:below_100c 0.1026 (Paper and printing) "
        "x heat_efficiency 0.9"
    )


def test_steelworks_and_chemical_site_demands(ghent: tuple[Case, RegionReport]) -> None:
    """ArcelorMittal Gent (27,343.49 GWh/yr of fuel) needs 2.47 % of its process heat below
    100 C and none at 100-200 C; Dynea (chemicals) has no Hotmaps fuel demand, so its fuel is
    its verified 2014 ETS CO2, 3,940 t, over natural gas's 0.20196 t CO2/MWh (IPCC 2006 default
    56,100 kg/TJ x 0.0036 TJ/MWh) = 19,509 MWh; the bioethanol plant's E-PRTR-only CO2
    (287 kt, largely fermentation CO2) is not read as fuel."""
    case, report = ghent
    demands = case.flows[case.flows["direction"] == "demand"].set_index(["site_id", "resource"])
    steel = demands.loc[("hm-56", "heat")]
    assert steel["quantity"] == pytest.approx(27_343_490 * 0.0247 * BOILER_EFFICIENCY)
    assert ("hm-56", "steam") not in demands.index
    fuel_mwh = 3_940 / (56_100 * 0.0036 / 1000)
    assert fuel_mwh == pytest.approx(19_509, abs=1)
    dynea = demands.loc[("hm-1711", "heat")]
    assert dynea["quantity"] == pytest.approx(fuel_mwh * 0.1997 * BOILER_EFFICIENCY)
    assert "Emissions_ETS_2014 3940 t/yr / fuel_co2_intensity 0.20196" in dynea["method"]
    assert demands.loc[("hm-1711", "steam"), "quantity"] == pytest.approx(
        fuel_mwh * 0.1063 * BOILER_EFFICIENCY
    )
    assert "hm-1539" not in set(demands.index.get_level_values("site_id"))
    assert report.demands == 5
    assert report.heat_demand_mwh_per_yr == pytest.approx(demands["quantity"].sum())


def test_no_demand_above_200c(ghent: tuple[Case, RegionReport]) -> None:
    """Process heat above 200 C (furnaces, kilns) is never declared: hot water cannot serve it."""
    case, _ = ghent
    demands = case.flows[case.flows["direction"] == "demand"]
    assert set(demands["resource"]) == {"heat", "steam"}
    assert demands["temperature_c"].max() == 180.0


def test_ghent_match_finds_declared_candidates(ghent: tuple[Case, RegionReport]) -> None:
    """Without inferred flows the Ghent case pairs the Ham gas CHP's 100 C heat with Stora Enso's
    80 C demand 5.3 km away, and ArcelorMittal's excess heat with Dynea's 4.2 km away (heat's
    economic distance is 7.5 km, so ArcelorMittal and Stora Enso, 9.6 km apart, do not pair)."""
    case, _ = ghent
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2026))
    found = analysis.view(tier="owner")
    pairs = set(
        zip(found["supply_site"].astype(str), found["demand_site"].astype(str), strict=True)
    )
    assert len(found) >= 1
    assert {("ppm-550", "hm-41"), ("hm-56", "hm-1711")} <= pairs
    assert set(found["basis"].astype(str)) == {"declared"}
    chp = found[(found["supply_site"] == "ppm-550") & (found["demand_site"] == "hm-41")]
    assert chp["quantity"].item() == pytest.approx(520_270 * 0.1026 * BOILER_EFFICIENCY)


def test_merged_plant_flows_move_to_the_mill(ghent: tuple[Case, RegionReport]) -> None:
    case, report = ghent
    assert "ppm-21286" not in set(case.sites["site_id"])
    ash = _flow(case, "hm-41", "10 01 01")
    assert ash["merged_from"].tolist() == ["ppm-21286"]
    mill = case.sites.set_index("site_id").loc["hm-41"]
    assert "Stora Langerbrugge" in mill["merged_plants"]
    assert mill["capacity_mw"] == pytest.approx(45.0)
    assert report.merged == 1


def test_ghent_writes_and_reads_back_without_errors(
    ghent: tuple[Case, RegionReport], tmp_path: Path
) -> None:
    case, _ = ghent
    target = io.write_case(case, tmp_path / "ghent.gpkg")
    result = io.load_case(target)
    assert result.case is not None
    assert result.report.errors == []
    assert len(result.case.flows) == len(case.flows)
    meta = result.case.metadata
    assert "CC-BY-4.0" in meta["licence"]
    assert meta["layers_version"] == layers.LAYERS_VERSION
    assert {"hotmaps", "powerplantmatching", "power_plant_factors"} <= set(
        result.case.sources["source_id"]
    )


def test_no_parks_without_a_source(ghent: tuple[Case, RegionReport]) -> None:
    case, report = ghent
    assert len(case.parks) == 0
    assert report.parks == 0
    assert "no parks" in report.parks_note


# -- constructed layers ----------------------------------------------------------------------


def _hotmaps_rows(rows: list[dict[str, object]]) -> pd.DataFrame:
    template = layers.load_industrial_sites().iloc[[0]]
    return pd.concat([template.assign(**row) for row in rows], ignore_index=True).reset_index(
        drop=True
    )


def _plant_rows(rows: list[dict[str, object]]) -> pd.DataFrame:
    template = layers.load_power_plants().iloc[[0]]
    if not rows:
        return template.iloc[0:0]
    return pd.concat([template.assign(**row) for row in rows], ignore_index=True)


def _patch_layers(
    monkeypatch: pytest.MonkeyPatch, hotmaps: pd.DataFrame, plants: pd.DataFrame
) -> None:
    monkeypatch.setattr(layers, "load_industrial_sites", hotmaps.copy)
    monkeypatch.setattr(layers, "load_power_plants", plants.copy)


def test_duplicates_merge_by_name_and_distance(monkeypatch: pytest.MonkeyPatch) -> None:
    """A steelworks and its own coal plant 100 m away merge; a wind farm of the same owner, a
    coal plant of another owner next door and a namesake 2 km away do not."""
    lon, lat = 4.40, 51.20
    dlat_100m = 100 / 111_200  # a degree of latitude is about 111.2 km here
    hotmaps = _hotmaps_rows(
        [
            {
                "hotmaps_id": 1,
                "name": "Acme Steel Antwerp",
                "company": "ACME STEEL NV",
                "lon": lon,
                "lat": lat,
                "country_name": "Belgium",
                "subsector": "Iron and steel",
            }
        ]
    )
    plants = _plant_rows(
        [
            {"ppm_id": 10, "name": "Acme Power", "fueltype": "Hard Coal", "lat": lat + dlat_100m},
            {"ppm_id": 11, "name": "Acme Steel Wind", "fueltype": "Wind", "lat": lat - dlat_100m},
            {"ppm_id": 12, "name": "Zenith Power", "fueltype": "Hard Coal", "lat": lat},
            {"ppm_id": 13, "name": "Acme Power", "fueltype": "Natural Gas", "lat": lat + 0.018},
        ]
    ).assign(lon=lon, country_name="Belgium", year_in=2000, year_out=pd.NA, set="PP")
    plants["year_out"] = plants["year_out"].astype("Int64")
    _patch_layers(monkeypatch, hotmaps, plants)
    case, report = build_region_case(bbox=(4.3, 51.1, 4.5, 51.3), year=2026)
    assert report.merges == (("hm-1", "ppm-10"),)
    assert set(case.sites["site_id"]) == {"hm-1", "ppm-11", "ppm-12", "ppm-13"}
    ash = case.flows[case.flows["resource"] == "10 01 02"].set_index("site_id")
    assert set(ash.index) == {"hm-1", "ppm-12"}  # the merged plant's fly ash is the site's


def test_parks_from_a_local_osm_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyrosm's Kotka extract has 9 industrial/port areas; a site inside one gets its id."""
    from geo import osm  # noqa: PLC0415 - pulls osmnx

    areas = osm.industrial_areas_from_osm_file(KOTKA_PBF)
    inside = areas.geometry.iloc[0].representative_point()
    hotmaps = _hotmaps_rows(
        [
            {"hotmaps_id": 1, "lon": inside.x, "lat": inside.y, "country_name": "Finland"},
            {"hotmaps_id": 2, "lon": 26.90, "lat": 60.46, "country_name": "Finland"},
        ]
    )
    _patch_layers(monkeypatch, hotmaps, _plant_rows([]).iloc[0:0])
    case, report = build_region_case(
        bbox=(26.85, 60.40, 27.05, 60.60), osm_file=KOTKA_PBF, year=2026
    )
    assert report.parks == len(areas) == 9
    assert len(case.parks) == 9
    parks = case.sites.set_index("site_id")["park_id"]
    assert parks["hm-1"] == areas["park_id"].iloc[0]
    assert pd.isna(parks["hm-2"])
    assert report.sites_in_parks == 1
    assert "osm" in set(case.sources["source_id"])


# -- the area ----------------------------------------------------------------------------------


def test_empty_bbox_names_the_area() -> None:
    with pytest.raises(RegionError, match=r"no site of the bundled layers lies in bbox -30 40"):
        build_region_case(bbox=(-30.0, 40.0, -29.0, 41.0))


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((3.9, 51.0, 3.6, 51.25), "west must be less than east"),
        ((3.6, 51.25, 3.9, 51.0), "south must be less than north"),
        ((3.6, 51.0, 3.9), "expected four numbers W S E N"),
        (("a", 51.0, 3.9, 51.25), "expected four numbers W S E N"),
        ((3.6, 95.0, 3.9, 96.0), "latitudes must lie within -90..90"),
        ((3.6, float("nan"), 3.9, 51.25), "finite"),
    ],
)
def test_malformed_bbox_is_refused(bbox: tuple[object, ...], message: str) -> None:
    with pytest.raises(RegionError, match=message):
        build_region_case(bbox=bbox)  # type: ignore[arg-type]


def test_exactly_one_area() -> None:
    with pytest.raises(RegionError, match="exactly one area"):
        build_region_case(bbox=GHENT, place="Gent")
    with pytest.raises(RegionError, match="got none"):
        build_region_case()


def test_case_extent_plus_margin_is_measured_in_metres(data_dir: Path) -> None:
    sites = io.read_case(data_dir / "kotka").sites
    lon, lat = sites.geometry.x, sites.geometry.y
    west, south, east, north = region.bbox_of_case(data_dir / "kotka", margin_km=2.0)
    geod = Geod(ellps="WGS84")
    _, _, west_gap_m = geod.inv(west, float(lat.min()), float(lon.min()), float(lat.min()))
    _, _, south_gap_m = geod.inv(26.96, south, 26.96, float(lat.min()))
    # the margin is added in the UTM zone (scale within 0.1 % of true here); the box taken back
    # to lon/lat encloses the rotated UTM rectangle, so its edges lie a little farther out
    assert 1990.0 < west_gap_m < 2150.0
    assert 1990.0 < south_gap_m < 2150.0
    assert east > float(lon.max())
    assert north > float(lat.max())


def test_place_is_answered_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from geo import osm  # noqa: PLC0415

    def offline(*, geocoding: bool = False) -> None:
        raise AssertionError("the network must not be asked")

    monkeypatch.setattr(osm, "check_reachable", offline)
    key = osm.cache_key({"place": "Gent, Belgium"})
    target = osm.cache_dir(tmp_path) / "places" / f"{key}.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"place": "Gent, Belgium", "bbox": list(GHENT)}), "utf-8")
    case, report = build_region_case(place="Gent, Belgium", cache_dir=tmp_path, year=2026)
    assert report.bbox == GHENT
    assert report.area == "place 'Gent, Belgium'"
    assert len(case.sites) == 22


def test_place_is_geocoded_once_then_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geopandas as gpd  # noqa: PLC0415
    import osmnx as ox  # noqa: PLC0415
    from shapely.geometry import box  # noqa: PLC0415

    from geo import osm  # noqa: PLC0415

    calls: list[str] = []
    monkeypatch.setattr(osm, "check_reachable", lambda *, geocoding=False: None)

    def geocode(query: str) -> gpd.GeoDataFrame:
        calls.append(query)
        return gpd.GeoDataFrame(geometry=[box(*GHENT)], crs=4326)

    monkeypatch.setattr(ox, "geocode_to_gdf", geocode)
    assert region.geocode_bbox("Gent", cache_dir=tmp_path) == pytest.approx(GHENT)
    assert region.geocode_bbox("Gent", cache_dir=tmp_path) == pytest.approx(GHENT)
    assert calls == ["Gent"]


# -- reference tables ------------------------------------------------------------------------


def test_layer_nace_table_is_valid_and_complete() -> None:
    table = region.layer_nace_table()
    assert all(nace.is_valid(code) for code in table["nace"])
    hotmaps = set(table.loc[table["layer"] == "hotmaps", "value"])
    assert hotmaps == set(layers.load_industrial_sites()["subsector"])
    fuels = set(table.loc[table["field"] == "Fueltype", "value"])
    assert fuels == set(layers.load_power_plants()["fueltype"])


def test_every_factor_has_a_source() -> None:
    factors = region.power_plant_factors()
    assert (factors["source"].str.len() > 0).all()
    assert (factors["source_version"].str.len() > 0).all()
    estimates = factors["source"] == "SymbioMap estimate"
    assert (factors.loc[estimates, "note"].str.len() > 20).all()  # the reasoning


def test_every_demand_factor_has_a_source() -> None:
    factors = region.industry_demand_factors()
    assert (factors["source"].str.len() > 0).all()
    assert (factors["source_version"].str.len() > 0).all()
    estimates = factors["source"] == "SymbioMap estimate"
    assert (factors.loc[estimates, "note"].str.len() > 20).all()  # the reasoning
    not_read = factors["source_version"].str.contains("not read")
    assert not (factors.loc[not_read, "source"] == "SymbioMap estimate").any()


def test_heat_shares_cover_every_subsector_and_add_up() -> None:
    """Four temperature levels per Hotmaps subsector, adding up to 1 (rounded to 1e-4)."""
    factors = region.industry_demand_factors()
    shares = factors[factors["factor"].str.startswith("heat_share:")]
    assert not shares.duplicated(["subsector", "factor"]).any()
    table = shares.pivot_table(index="subsector", columns="factor", values="value")
    assert set(table.index) == set(layers.load_industrial_sites()["subsector"])
    assert table.shape[1] == 4
    assert table.sum(axis=1).to_numpy() == pytest.approx(1.0, abs=2e-4)
    assert ((table >= 0) & (table <= 1)).all().all()


def test_cement_works_take_fly_ash_and_gypsum(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cement works making 1 Mt/yr takes 0.10 t fly ash and 0.04 t gypsum per t (material_rate
    rows); a 500 MW hard-coal plant 20 km away supplies both, and matching pairs them."""
    lon, lat = 4.40, 51.20
    hotmaps = _hotmaps_rows(
        [
            {
                "hotmaps_id": 7,
                "name": "Acme Cement",
                "company": "ACME CEMENT SA",
                "lon": lon,
                "lat": lat,
                "country_name": "Belgium",
                "subsector": "Cement",
                "production_t_per_yr": 1_000_000.0,
                "fuel_demand_mwh_per_yr": 970_000.0,
            }
        ]
    )
    plants = _plant_rows(
        [{"ppm_id": 20, "name": "Zenith Power", "fueltype": "Hard Coal", "lat": lat + 0.18}]
    ).assign(lon=lon, country_name="Belgium", year_in=2000, year_out=pd.NA, set="PP")
    plants["year_out"] = plants["year_out"].astype("Int64")
    plants["capacity_mw"] = 500.0
    _patch_layers(monkeypatch, hotmaps, plants)
    case, _ = build_region_case(bbox=(4.3, 51.1, 4.5, 51.5), year=2026)
    demands = case.flows[case.flows["direction"] == "demand"].set_index("resource")
    assert demands.loc["10 01 02", "quantity"] == pytest.approx(100_000.0)
    assert demands.loc["10 01 05", "quantity"] == pytest.approx(40_000.0)
    assert set(demands.loc[["10 01 02", "10 01 05"], "unit_canonical"]) == {"t/yr"}
    # a kiln's fuel is almost all above 500 C: 970,000 x 0.0196 x 0.9 of heat below 100 C
    assert demands.loc["heat", "quantity"] == pytest.approx(970_000 * 0.0196 * 0.9)
    found = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2026)).view(tier="owner")
    assert {"10 01 02", "10 01 05"} <= set(found["resource"].astype(str))
    assert set(found["demand_site"].astype(str)) == {"hm-7"}


def test_coal_plant_residues_are_plausible() -> None:
    """A 1,000 MWe hard-coal plant at 3,500 h: 3.5 TWh_el / 0.356 x 3.6 / 25.8 GJ/t = 1.37 Mt of
    coal; 12 % ash = 165 kt, of which 137 kt fly ash (ECOBA share 0.830) and 36 kt FGD gypsum
    (0.221 t per t ash). Coal plants of that size report 100-200 kt of ash a year."""
    factors = region.power_plant_factors()
    plant = pd.DataFrame(
        {
            "site_id": ["coal"],
            "fueltype": ["Hard Coal"],
            "technology": ["Steam Turbine"],
            "plant_set": ["PP"],
            "capacity_mw": [1000.0],
            "efficiency": [float("nan")],
            "status": ["active"],
            "start_year": pd.array([pd.NA], dtype="Int64"),
            "end_year": pd.array([pd.NA], dtype="Int64"),
        }
    )
    flows = region._plant_flows(plant, factors).set_index("resource")["quantity"]
    coal_t = 1000 * 3500 * 3.6 / (0.356 * 25.8)
    assert flows["10 01 02"] == pytest.approx(coal_t * 0.12 * 0.830)
    assert 100_000 < flows["10 01 02"] + flows["10 01 01"] < 200_000
    assert flows["10 01 05"] == pytest.approx(coal_t * 0.12 * 0.221)


# -- command line ----------------------------------------------------------------------------


def test_run_region_writes_the_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="flows")
    region.add_region_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "ghent.xlsx"
    args = parser.parse_args(
        ["region", "--bbox", *map(str, GHENT), "--year", "2026", "--out", str(out)]
    )
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "5 from hotmaps, 18 from powerplantmatching" in printed
    assert "merged 1 power plants" in printed
    assert "demands: 5 estimated" in printed
    assert "no parks" in printed
    result = io.load_case(out)
    assert result.case is not None
    assert len(result.case.sites) == 22


def test_run_region_bad_bbox_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="flows")
    region.add_region_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["region", "--bbox", "3.9", "51", "3.6", "51.25", "--out", str(tmp_path / "x.gpkg")]
    )
    assert region.run_region(args) == 1
    assert "west must be less than east" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()


def test_run_region_around_a_case_with_parks(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Around the Kotka test case (2 km): the layers list three paper mills (Kotkamills,
    Stora Enso Sunila, Karhula board mill) and three plants, of which Kotkamills' own 70 MW gas
    CHP merges into the mill; the extract's 9 industrial/port areas become parks."""
    parser = argparse.ArgumentParser(prog="flows")
    region.add_region_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "kotka-region"
    args = parser.parse_args(
        [
            "region",
            "--case",
            str(data_dir / "kotka"),
            "--osm-file",
            str(KOTKA_PBF),
            "--year",
            "2026",
            "--out",
            str(out),
        ]
    )
    assert region.run_region(args) == 0
    printed = capsys.readouterr().out
    assert "case kotka + 2 km" in printed
    assert "3 from hotmaps, 3 from powerplantmatching" in printed
    assert "merged 1 power plants" in printed
    assert "parks: 9 (0 sites inside)" in printed
    result = io.load_case(out)
    assert result.case is not None
    assert len(result.case.parks) == 9
    mill = result.case.sites.set_index("site_id").loc["hm-419"]
    assert "Kotkamills (Natural Gas, 70 MW)" in mill["merged_plants"]


def test_the_command_line_builds_ghent_and_matches_it(tmp_path: Path) -> None:
    """The issue's example, as a user types it: a region case, then its candidates."""
    out = tmp_path / "ghent.gpkg"
    built = run_module(
        "flows", "region", "--bbox", "3.6", "51.0", "3.9", "51.25", "--year", "2026",
        "--out", str(out),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "22 sites" in built.stdout
    matched = run_module(
        "flows", "match", str(out), "--year", "2026", "--out", str(tmp_path / "c.csv")
    )
    assert matched.returncode == 0, matched.stderr
    candidates = pd.read_csv(tmp_path / "c.csv")
    assert len(candidates) >= 1
    assert (candidates["basis"] == "declared").all()
