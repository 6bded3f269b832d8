"""Counterfactual routes: the bundled tables, the selection rule, bans and the vectorised lookup.

Expected figures are recomputed by hand from the sources cited in
datasets/reference/counterfactuals.md (exchange rates: ECB reference rates of 28 Feb 2025).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows import counterfactuals as cf
from flows.counterfactuals import CounterfactualError, CounterfactualTable
from flows.parameters import load_parameters

EUR_PER_GBP = 1 / 0.82608
EUR_PER_DKK = 1 / 7.4583
EUR_PER_SEK = 1 / 11.1880
DESNZ_2025_WATER_TREATMENT = 0.17088  # kg CO2e/m3, ID 18_405_4006_1_1
DESNZ_2025_INCINERATION = 4.68568  # kg CO2e/t, C&I waste with energy recovery


@pytest.fixture(scope="module")
def table() -> CounterfactualTable:
    return cf.load_counterfactuals()


def one(
    table: CounterfactualTable,
    resource: str,
    family: str,
    country: str | None,
    override: str | None = None,
) -> pd.Series:
    frame = cf.counterfactual_for(
        table,
        resources=[resource],
        families=[family],
        countries=[country],
        overrides=[override],
    )
    return frame.iloc[0]


def test_denmark_never_landfills_mixed_combustible_waste(table: CounterfactualTable) -> None:
    # Danish EPA, Waste 21 App. D.1.2: waste fit for incineration must be incinerated.
    row = one(table, "20 03 01", "materials", "DK")
    assert row["route"] == "incineration-energy-recovery"
    assert row["cost_eur_per_unit"] == pytest.approx(110.0)  # EU estimate (parameters.csv)
    assert row["ef_kgco2e_per_unit"] == pytest.approx(DESNZ_2025_INCINERATION)
    assert "landfill of combustible banned in DK since 1997-01-01" in row["note"]


def test_fermentation_residues_in_denmark_go_to_fields(table: CounterfactualTable) -> None:
    # The Kalundborg audit: 07 07 99 and 07 05 99 were credited with landfill at 520 kg/t.
    for code in ("07 07 99", "07 05 99"):
        row = one(table, code, "biomass", "DK")
        assert (row["route"], row["matched"], row["table_country"]) == (
            "land-spreading",
            code,
            "EU",
        )
        assert row["cost_eur_per_unit"] == pytest.approx(10.0)
        assert row["ef_kgco2e_per_unit"] == pytest.approx(3.0)  # ~1 l diesel/t x 2.7 kg/l


def test_a_banned_override_is_refused_and_the_default_kept(table: CounterfactualTable) -> None:
    row = one(table, "07 07 99", "biomass", "DK", "landfill-nonhazardous")
    assert bool(row["override_refused"])
    assert row["route"] == "land-spreading"
    assert row["note"].startswith("override 'landfill-nonhazardous' refused: landfill of")


def test_an_allowed_override_picks_that_route(table: CounterfactualTable) -> None:
    row = one(table, "07 07 99", "biomass", "DK", "incineration-energy-recovery")
    assert not bool(row["override_refused"])
    assert (row["route"], row["cost_eur_per_unit"]) == ("incineration-energy-recovery", 110.0)
    sold = one(table, "10 01 05", "minerals", "DK", "sold-as-product")
    assert (sold["route"], sold["cost_eur_per_unit"], sold["ef_kgco2e_per_unit"]) == (
        "sold-as-product",
        0.0,
        0.0,
    )


def test_a_shared_route_pays_the_country_price_with_the_material_factor(
    table: CounterfactualTable,
) -> None:
    # Landfilling biomass is legal in France: the French price (50 gate + 65 TGAP) with the
    # DESNZ 2025 organic landfill factor of the EU biomass row, not the mixed-waste one.
    row = one(table, "02 02 03", "biomass", "FR", " Landfill-NonHazardous ")
    assert not bool(row["override_refused"])
    assert (row["route"], row["matched"], row["table_country"]) == (
        "landfill-nonhazardous",
        "family:biomass",
        "FR",
    )
    assert row["cost_eur_per_unit"] == pytest.approx(115.0)
    assert row["ef_kgco2e_per_unit"] == pytest.approx(700.30886)
    assert "priced by the FR row '*'" in row["note"]


def test_an_override_without_any_priced_row_is_refused(table: CounterfactualTable) -> None:
    row = one(table, "cooling-water", "water", "DK", "composting")
    assert bool(row["override_refused"])
    assert row["route"] == "none"
    assert "no priced row" in row["note"]


def test_wastewater_goes_to_treatment_per_cubic_metre(table: CounterfactualTable) -> None:
    row = one(table, "wastewater", "water", "BE")
    assert (row["route"], row["unit"]) == ("wastewater-treatment", "m3")
    assert row["cost_eur_per_unit"] == pytest.approx(2.5)
    assert row["ef_kgco2e_per_unit"] == pytest.approx(DESNZ_2025_WATER_TREATMENT)
    treated = one(table, "treated-wastewater", "water", "BE")
    assert (treated["route"], treated["cost_eur_per_unit"]) == ("none", 0.0)


def test_landfilling_liquids_is_banned_everywhere(table: CounterfactualTable) -> None:
    # Landfill Directive 1999/31/EC art. 5(3)(a).
    row = one(table, "wastewater", "water", "IT", "landfill-nonhazardous")
    assert bool(row["override_refused"])
    assert "banned in every country" in row["note"]


def test_uk_inert_landfill_is_the_lower_rate_plus_a_gate_fee(table: CounterfactualTable) -> None:
    # HMRC: lower rate 4.05 GBP/t from 1 April 2025; inert gate fee: SymbioMap estimate 15 EUR/t.
    row = one(table, "17 01 07", "minerals", "UK")
    assert row["route"] == "landfill-inert"
    assert row["tax_eur_per_unit"] == pytest.approx(4.05 * EUR_PER_GBP, abs=0.005)
    assert row["cost_eur_per_unit"] == pytest.approx(15.0 + 4.05 * EUR_PER_GBP, abs=0.01)
    # Standard rate 126.15 GBP/t plus WRAP 2024-25 median gate fee 26 GBP/t: 184.18 EUR/t.
    mixed = one(table, "20 03 01", "materials", "GB")  # ISO's GB is the table's UK
    assert mixed["route"] == "landfill-nonhazardous"
    assert mixed["cost_eur_per_unit"] == pytest.approx((126.15 + 26.0) * EUR_PER_GBP, abs=0.01)


@pytest.mark.parametrize(
    ("country", "tax_eur_per_t"),
    [
        ("DK", 475 * EUR_PER_DKK),  # affaldsafgift 475 DKK/t
        ("SE", 744 * EUR_PER_SEK),  # avfallsskatt 744 SEK/t in 2025
        ("AT", 100.10),  # ALSAG 'übrige Abfälle' from 2025
        ("FR", 65.0),  # TGAP ISDND 2025
        ("ES", 10.0),  # Ley 7/2022 art. 93.1.a.4
        ("FI", 80.0),  # jätevero from 2023
        ("DE", 0.0),  # no landfill tax
    ],
)
def test_national_landfill_tax_of_non_combustible_waste(
    table: CounterfactualTable, country: str, tax_eur_per_t: float
) -> None:
    row = one(table, "06 03 14", "chemicals", country)  # salts: not combustible
    assert (row["route"], row["table_country"]) == ("landfill-nonhazardous", country)
    assert row["tax_eur_per_unit"] == pytest.approx(tax_eur_per_t, abs=0.005)


def test_austrian_slag_is_landfilled_at_the_mineral_rate(table: CounterfactualTable) -> None:
    # Metals fall back to the mineral family: ALSAG 10.60 EUR/t + inert gate fee 15 EUR/t.
    row = one(table, "10 02 02", "metals", "AT")
    assert (row["route"], row["matched"]) == ("landfill-inert", "family:minerals")
    assert row["cost_eur_per_unit"] == pytest.approx(25.60)


def test_hazardous_codes_beat_their_chapter(table: CounterfactualTable) -> None:
    row = one(table, "02 01 08*", "chemicals", "FR")  # agrochemical waste, chapter 02 is AD
    assert (row["route"], row["matched"]) == ("incineration", "hazardous")
    assert row["cost_eur_per_unit"] == pytest.approx(300.0)


def test_unknown_or_missing_countries_use_the_eu_rows(table: CounterfactualTable) -> None:
    norway = one(table, "20 03 01", "materials", "NO")
    assert (norway["route"], norway["table_country"]) == ("landfill-nonhazardous", "EU")
    assert norway["cost_eur_per_unit"] == pytest.approx(100.0)
    assert norway["note"] == "no rows for NO: EU default"
    for blank in (None, "", " "):
        row = one(table, "20 03 01", "materials", blank)
        assert (row["table_country"], row["cost_eur_per_unit"]) == ("EU", 100.0)


def test_a_banned_route_is_never_chosen(table: CounterfactualTable) -> None:
    codes = pd.read_csv(
        Path(cf.__file__).parents[1] / "datasets" / "reference" / "ewc_codes.csv",
        dtype=str,
        keep_default_na=False,
    )
    countries = [*cf.REQUIRED_COUNTRIES, "EU", "NO"]
    resources = np.repeat(codes["code"].to_numpy(dtype=object), len(countries))
    families = np.repeat(codes["family"].to_numpy(dtype=object), len(countries))
    where = np.tile(np.array(countries, dtype=object), len(codes))
    found = cf.counterfactual_for(table, resources=resources, families=families, countries=where)
    assert (found["route"] != "").all()
    chosen = zip(found["route"], resources, families, where, strict=True)
    banned = [
        (route, res, country)
        for route, res, fam, country in chosen
        if table.banned_by(route, resource=res, family=fam, country=cf.normalise_country(country))
    ]
    assert banned == []
    # ... and the bans do bite: organic and combustible waste is never landfilled in DK/DE/SE.
    strict = found[np.isin(where, ["DK", "DE", "SE"]) & np.isin(families, ["biomass", "sludge"])]
    assert not strict["route"].str.startswith("landfill").any()


def test_when_every_route_of_a_key_is_banned_the_next_key_is_tried(tmp_path: Path) -> None:
    rows = tmp_path / "counterfactuals.csv"
    header = (
        "country,match,route,cost_eur_per_unit,gate_fee_eur_per_unit,tax_eur_per_unit,unit,"
        "ef_kgco2e_per_unit,default,rank,source,source_year,note\n"
    )
    rows.write_text(
        header + "EU,family:biomass,landfill-nonhazardous,90,40,50,t,700,true,1,test,2025,\n"
        "EU,*,composting,30,30,0,t,9,true,1,test,2025,\n",
        encoding="utf-8",
    )
    bans = tmp_path / "bans.csv"
    bans.write_text(
        "country,route,match,since,legal_basis,source,note\n"
        "DK,landfill,biodegradable,1997-01-01,law,test,\n",
        encoding="utf-8",
    )
    small = cf.load_counterfactuals(rows, bans)
    assert one(small, "02 02 03", "biomass", "DK")["route"] == "composting"
    assert one(small, "02 02 03", "biomass", "DE")["route"] == "landfill-nonhazardous"


def test_the_lookup_resolves_each_distinct_key_once(
    table: CounterfactualTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []
    resolve = CounterfactualTable.resolve

    def counting(self: CounterfactualTable, resource: str, **kwargs: str) -> cf.Resolution:
        calls.append((resource, kwargs["country"]))
        return resolve(self, resource, **kwargs)

    monkeypatch.setattr(CounterfactualTable, "resolve", counting)
    n = 30_000
    resources = pd.Series(["07 07 99", "wastewater", "17 01 07"] * (n // 3), index=np.arange(n) * 2)
    families = np.array(["biomass", "water", "minerals"] * (n // 3), dtype=object)
    countries = np.array(["DK", "dk", "UK"] * (n // 3), dtype=object)  # case-insensitive
    found = cf.counterfactual_for(
        table, resources=resources, families=families, countries=countries
    )
    assert len(calls) == 3
    assert found.index.equals(resources.index)
    assert found["route"].iloc[:3].tolist() == [
        "land-spreading",
        "wastewater-treatment",
        "landfill-inert",
    ]
    assert found["cost_eur_per_unit"].iloc[-1] == pytest.approx(15.0 + 4.05 * EUR_PER_GBP, 1e-3)


def test_bad_lookups_are_clear_errors(table: CounterfactualTable) -> None:
    with pytest.raises(CounterfactualError, match="unknown counterfactual route 'landfil'"):
        one(table, "20 03 01", "materials", "DK", "landfil")
    with pytest.raises(CounterfactualError, match="one value per row"):
        cf.counterfactual_for(
            table, resources=["20 03 01", "17 01 07"], families=["materials"], countries=None
        )


def test_every_row_has_a_source_and_a_year(table: CounterfactualTable) -> None:
    assert all(row.source and 1990 <= row.source_year <= 2026 for row in table.rows)
    assert all(ban.source and ban.legal_basis and ban.since for ban in table.bans)
    assert all(kind.source and kind.method for kind in table.supply_kinds)


def test_every_required_country_prices_landfill_itself(table: CounterfactualTable) -> None:
    priced = {
        row.country
        for row in table.rows
        if row.match == "*" and row.route == "landfill-nonhazardous" and row.default
    }
    assert priced >= {*cf.REQUIRED_COUNTRIES, "EU"}


def test_units_are_consistent(table: CounterfactualTable) -> None:
    for row in table.rows:
        assert row.cost_eur_per_unit == pytest.approx(
            row.gate_fee_eur_per_unit + row.tax_eur_per_unit, abs=0.011
        )
        if row.route == "wastewater-treatment":
            assert row.unit == "m3"
        elif row.route == "none":
            assert (row.unit, row.cost_eur_per_unit, row.ef_kgco2e_per_unit) == ("any", 0, 0)
        else:
            assert row.unit == "t", row
        assert row.cost_eur_per_unit >= 0
        assert row.ef_kgco2e_per_unit >= 0


def test_a_malformed_table_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "counterfactuals.csv"
    bad.write_text(
        "country,match,route,cost_eur_per_unit,gate_fee_eur_per_unit,tax_eur_per_unit,unit,"
        "ef_kgco2e_per_unit,default,rank,source,source_year,note\n"
        "EU,*,landfill-nonhazardous,100,50,40,t,520,true,1,test,2025,\n",
        encoding="utf-8",
    )
    with pytest.raises(CounterfactualError, match=r"line 2: cost 100.0 is not gate fee 50.0"):
        cf.load_counterfactuals(bad)


def test_a_produced_supply_is_never_free(table: CounterfactualTable) -> None:
    kinds = cf.supply_kind_for(
        table,
        kinds=["produced", "produced-chp", "produced", "by-product", None, "surplus-energy",
               "produced"],
        resources=["steam", "steam", "co2", "10 01 05", "07 07 99", "heat", "hydrogen"],
    )  # fmt: skip
    steam, chp, co2, by_product, waste, surplus, hydrogen = (kinds.iloc[i] for i in range(7))
    # Gas boiler at 88 %: 62.4 EUR/MWh / 0.88 and 202.16 kg CO2e/MWh / 0.88 (params 2026.2).
    assert steam["cost_eur_per_unit"] == pytest.approx(62.4 / 0.88, abs=0.01)
    assert steam["ef_kgco2e_per_unit"] == pytest.approx(202.16 / 0.88, abs=0.01)
    # Efficiency method: heat share (0.45/0.90)/((0.45/0.90)+(0.40/0.53)), per MWh heat / 0.45.
    fuel_per_heat = (0.45 / 0.90) / ((0.45 / 0.90) + (0.40 / 0.53)) / 0.45
    assert chp["cost_eur_per_unit"] == pytest.approx(62.4 * fuel_per_heat, abs=0.01)
    assert math.isnan(co2["cost_eur_per_unit"])  # unpriced, not zero
    # SMR at 76 % (LHV): 33.33 MWh / 0.76 natural gas per t of hydrogen
    assert hydrogen["cost_eur_per_unit"] == pytest.approx(62.4 * 33.333 / 0.76, rel=1e-3)
    assert hydrogen["ef_kgco2e_per_unit"] == pytest.approx(202.16 * 33.333 / 0.76, rel=1e-3)
    assert by_product["counterfactual"] == "sold-as-product"
    assert (waste["kind"], waste["counterfactual"]) == ("waste", "table")
    assert (surplus["counterfactual"], surplus["cost_eur_per_unit"]) == ("none", 0.0)
    with pytest.raises(CounterfactualError, match="unknown supply kind"):
        cf.supply_kind_for(table, kinds=["gift"], resources=["heat"])


def test_a_scenario_gas_price_reaches_produced_steam(table: CounterfactualTable) -> None:
    dearer = load_parameters().with_overrides({"price.natural_gas": 88.0})
    steam = cf.supply_kind_for(table, kinds=["produced"], resources=["steam"], params=dearer)
    assert steam["cost_eur_per_unit"].iloc[0] == pytest.approx(88.0 / 0.88, abs=0.01)
    assert steam["ef_kgco2e_per_unit"].iloc[0] == pytest.approx(dearer["ef.natural_gas"] / 0.88)
