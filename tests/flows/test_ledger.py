"""The transaction ledger on the bundled Kalundborg case: documented exchanges present, totals
equal to the records, consolidations summing to the whole, incoming and outgoing records in
balance, files that read back, and confidential figures kept out of the public ledger."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import datasets
from flows import allocation, io, ledger, periods, pipeline
from flows.model import Case
from tests.cli_helpers import run_module

YEAR = 2026
"""A fixed reference year: the bundled statuses as they stand in 2026."""


@pytest.fixture(scope="module")
def case() -> Case:
    loaded = io.load_case(datasets.get_path("kalundborg")).case
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def analysis(case: Case) -> pipeline.Analysis:
    return pipeline.analyse(case, options=pipeline.AnalysisOptions(year=YEAR))


@pytest.fixture(scope="module")
def plan(analysis: pipeline.Analysis) -> allocation.Plan:
    return allocation.allocate(analysis.candidates)


@pytest.fixture(scope="module")
def owner(case: Case, analysis: pipeline.Analysis, plan: allocation.Plan) -> ledger.Ledger:
    return ledger.build_ledger(case, analysis, plan, tier="owner")


def _close(a: pd.Series | np.ndarray, b: pd.Series | np.ndarray) -> None:
    np.testing.assert_allclose(
        np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64"), rtol=1e-9, atol=1e-6
    )


def test_documented_active_exchanges_appear(case: Case, owner: ledger.Ledger) -> None:
    ex = case.exchanges
    status = periods.status_in(ex, YEAR, start_column="since")
    active = ex[(status == "active").to_numpy()]
    # datasets/kalundborg/exchanges.csv: 14 exchanges active in 2026 (4 from Lake Tissø, 2
    # steam and 1 heat from Asnæs, 3 of Kalundborg Bioenergy's, 2 wastewater, the
    # wastewater heat pump's heat, household waste to ARGO).
    assert len(active) == 14
    records = owner.records
    for row in active.itertuples():
        mine = records[
            (records["provider_site"] == row.from_site)
            & (records["receiver_site"] == row.to_site)
            & ((records["resource"] == row.resource) | (records["demand_resource"] == row.resource))
        ]
        assert set(mine["direction"]) == {"outgoing", "incoming"}, row
        assert set(mine["ledger_status"]) == {"in place"}, row
        assert mine["scored"].all(), row
        out = mine[mine["direction"] == "outgoing"]
        assert (out["site_id"] == row.from_site).all()
        assert (mine.loc[mine["direction"] == "incoming", "site_id"] == row.to_site).all()
    # The planned Novo Nordisk surplus heat (no start year, so it starts next year) has no
    # flows in 2026: it is listed, planned, without figures.
    planned = records[records["exchange_id"] == "case:novo-nordisk>kalundborg-dh:heat"]
    assert list(planned["ledger_status"]) == ["planned", "planned"]
    assert not planned["scored"].any()
    assert planned["net_savings_eur"].isna().all()
    # Historical exchanges (the FGD gypsum to Gyproc, ended 2019) are not in 2026's ledger.
    assert not (records["resource"] == "10 01 05").any()
    assert len(records) == 2 * 15


def test_figures_by_hand(owner: ledger.Ledger) -> None:
    r = owner.records.set_index("record_id")
    # Lake Tissø water replaces groundwater m3 for m3 (substitution.csv, surface-water,
    # factor 1.0); flows.csv: Novo Nordisk 1,500,000 m3/yr, Novonesis and the refinery
    # 1,000,000 each, Asnæs 500,000.
    assert r.loc["tisso>novo-nordisk:surface-water:in", "water_saved_m3"] == 1_500_000
    assert r.loc["tisso>novo-nordisk:surface-water:out", "water_saved_m3"] == 0
    assert owner.totals().set_index("ledger_status").loc["in place", "water_saved_m3"] == (
        1_500_000 + 1_000_000 + 1_000_000 + 500_000
    )
    # Household waste to ARGO's incinerator: the receiver is the treatment itself
    # (scoring.RECEIVER_IS_ROUTE), so nothing is diverted from incineration.
    assert r.loc["kalundborg-municipality>argo:20 03 01:out", "waste_diverted_incineration_t"] == 0
    # Digestate spread on the fields it would be spread on anyway: no mineral N credited.
    assert (
        r.loc["kalundborg-bioenergy>novogro-farmland:19 06 06:in", "virgin_material_replaced_t"]
        == 0
    )
    assert (r["hazardous"] == False).all()  # noqa: E712 - an array comparison
    assert r.loc["asnaes>novo-nordisk:steam:in", "resource_kind"] == "carrier"
    assert r.loc["novonesis>kalundborg-bioenergy:07 07 99:in", "resource_kind"] == "ewc"


def test_records_book_the_candidates_figures_once(
    owner: ledger.Ledger, plan: allocation.Plan
) -> None:
    """Provider + receiver = the candidate's figures at the counted flow (every in-place link
    of Kalundborg 2026 is counted in full, so at its whole quantity)."""
    links = plan.chosen.set_index("candidate_id")
    scored = owner.records[owner.records["scored"]]
    pair = scored.groupby("exchange_id")[["net_savings_eur", "net_co2e_t", "tonne_km"]].sum()
    assert set(pair.index) == set(links.index)
    assert (links["planned_share"] == 1.0).all()
    _close(pair["net_savings_eur"], links.loc[pair.index, "net_benefit_excl_carbon_eur"])
    _close(pair["net_co2e_t"], links.loc[pair.index, "net_co2e_t"])
    _close(pair["tonne_km"], links.loc[pair.index, "tonne_km"])
    # and the plan's value of each link: its default objective is the money, without carbon
    assert plan.objective == "benefit"
    _close(pair["net_savings_eur"], links.loc[pair.index, "plan_value"])
    _close(pair["net_co2e_t"], links.loc[pair.index, "plan_co2e_t"])
    in_place = owner.totals().set_index("ledger_status").loc["in place"]
    assert in_place["net_savings_eur"] == pytest.approx(plan.value)


def test_totals_equal_the_sum_of_records(owner: ledger.Ledger) -> None:
    totals = owner.totals().set_index("ledger_status")
    for status, rows in owner.records.groupby("ledger_status"):
        for column in ledger.SUM_COLUMNS:
            expected = rows[column].sum(min_count=1)
            got = totals.loc[status, column]
            assert (np.isnan(expected) and np.isnan(got)) or got == pytest.approx(expected)
        assert totals.loc[status, "records"] == len(rows)


@pytest.mark.parametrize("name", list(ledger.CONSOLIDATIONS))
def test_each_consolidation_sums_to_the_whole(owner: ledger.Ledger, name: str) -> None:
    table = owner.consolidations()[name]
    whole = owner.totals().set_index("ledger_status")
    numbers = [*ledger.SUM_COLUMNS, "sent_t", "received_t", "sent_m3", "received_m3", "records"]
    summed = table.groupby("ledger_status")[numbers].sum(min_count=1)
    _close(summed.fillna(0), whole.loc[summed.index, numbers].fillna(0))
    assert table["records"].sum() == len(owner.records)


def test_regions_and_parks_fall_back(owner: ledger.Ledger) -> None:
    by_region = owner.consolidate("region")
    # No site has a region or municipality column: the country column, else the case's (DK).
    assert set(by_region["region"]) == {"DK"}
    assert set(owner.records["region_basis"]) == {"country"}
    # Lake Tissø, ARGO and the farms lie in no park.
    assert ledger.NO_GROUP in set(owner.consolidate("park_id")["park_id"])


def test_incoming_and_outgoing_balance(owner: ledger.Ledger) -> None:
    totals = owner.totals().set_index("ledger_status").loc["in place"]
    records = owner.records[owner.records["ledger_status"] == "in place"]
    # mass and volume arrive whole; heat loses what the pipes lose on the way
    assert totals["sent_t"] == totals["received_t"] > 0
    assert totals["sent_m3"] == totals["received_m3"] > 0
    losses = records.loc[records["unit"] == "MWh/yr", "loss_quantity"].sum()
    assert losses > 0
    assert totals["sent_mwh"] - totals["received_mwh"] == pytest.approx(losses)
    out = records[records["direction"] == "outgoing"].set_index("exchange_id")
    inc = records[records["direction"] == "incoming"].set_index("exchange_id")
    assert sorted(out.index) == sorted(inc.index)
    _close(out["quantity"] - inc.loc[out.index, "quantity"], out["loss_quantity"])
    assert (inc["loss_quantity"] == 0).all()
    # each party's figures sit on its own record only
    assert (out["avoided_purchase_eur"] == 0).all()
    assert (inc["avoided_disposal_eur"] == 0).all()
    assert (inc["transport_cost_eur"] == 0).all()


def test_transport_paid_by_the_receiver(case: Case, analysis: pipeline.Analysis) -> None:
    by_provider = ledger.build_ledger(case, analysis, tier="owner")
    by_receiver = ledger.build_ledger(case, analysis, tier="owner", transport_paid_by="receiver")
    a, b = by_provider.totals(), by_receiver.totals()
    _close(a["net_savings_eur"], b["net_savings_eur"])
    inc = by_receiver.records[by_receiver.records["direction"] == "incoming"]
    assert inc["transport_cost_eur"].sum() == pytest.approx(a["transport_cost_eur"].sum())


def test_reference_totals_give_ratios(case: Case, analysis: pipeline.Analysis) -> None:
    totals = pd.DataFrame(
        {
            "site_id": ["novonesis", "novo-nordisk"],
            "kind": ["waste_t", "water_m3"],
            "total": [6e5, 3e6],
        }
    )
    built = ledger.build_ledger(case, analysis, tier="owner", reference_totals=totals)
    r = built.records.set_index("record_id")
    # 300,000 t/yr of biomass residue (exchanges.csv, bigadan) of 600,000 t of waste: 0.5
    assert r.loc["novonesis>kalundborg-bioenergy:07 07 99:out", "share_of_own_total"] == 0.5
    # 1,500,000 m3/yr of lake water of 3,000,000 m3 used: 0.5
    assert r.loc["tisso>novo-nordisk:surface-water:in", "share_of_own_total"] == 0.5
    assert np.isnan(r.loc["novonesis>kalundborg-bioenergy:07 07 99:in", "own_total"])
    with pytest.raises(ledger.LedgerError, match="unknown reference kind"):
        ledger.build_ledger(
            case,
            analysis,
            reference_totals=totals.assign(kind="steam"),
        )


def test_exports_round_trip(owner: ledger.Ledger, case: Case, tmp_path: Path) -> None:
    numbers = ["quantity", "distance_m", *ledger.SUM_COLUMNS]
    records = owner.records
    csv = ledger.write_ledger(owner, tmp_path / "ledger.csv")
    back = pd.read_csv(csv, dtype={"resource": str, "demand_resource": str})
    assert list(back.columns) == list(ledger.RECORD_COLUMNS)
    assert list(back["record_id"]) == list(records["record_id"])
    _close(back[numbers].fillna(-1), records[numbers].fillna(-1))

    book = ledger.write_ledger(owner, tmp_path / "ledger.xlsx")
    sheets = pd.read_excel(book, sheet_name=None)
    assert set(sheets) == {"records", *ledger.CONSOLIDATIONS, "totals", "factors"}
    _close(sheets["records"][numbers].fillna(-1), records[numbers].fillna(-1))
    by_site = owner.consolidate("site_id")
    _close(sheets["by_site"]["net_co2e_t"].fillna(-1), by_site["net_co2e_t"].fillna(-1))
    factors = sheets["factors"]
    assert factors["source"].notna().all()
    assert {"carbon.price", "transport.ef.road"} <= set(factors["key"])
    assert factors["set"].str.startswith("symbiomap-").any()

    packed = ledger.write_ledger(owner, tmp_path / "ledger.zip")
    with zipfile.ZipFile(packed) as archive:
        assert set(archive.namelist()) == {
            f"{n}.csv" for n in ("records", *ledger.CONSOLIDATIONS, "totals", "factors")
        }

    gpkg = ledger.write_ledger(owner, tmp_path / "ledger.gpkg", case=case)
    lines = pyogrio.read_dataframe(gpkg, layer="ledger")
    assert lines.crs.to_epsg() == 4326
    _close(lines[numbers].fillna(-1), records[numbers].fillna(-1))
    sites = case.sites.set_index("site_id").geometry.representative_point()
    start = shapely.get_coordinates(sites.loc[records["provider_site"]].to_numpy())
    coords = shapely.get_coordinates(lines.geometry.to_numpy()).reshape(-1, 2, 2)
    _close(coords[:, 0, :], start)
    assert set(pyogrio.list_layers(gpkg)[:, 0]) >= {"ledger", "by_region", "factors"}
    with pytest.raises(ledger.LedgerError, match="needs the case"):
        ledger.write_ledger(owner, tmp_path / "again.gpkg")
    with pytest.raises(ledger.LedgerError, match="written as"):
        ledger.write_ledger(owner, tmp_path / "ledger.parquet")


def test_csv_is_safe_to_open_in_a_spreadsheet(
    case: Case, analysis: pipeline.Analysis, tmp_path: Path
) -> None:
    exchanges = case.exchanges.copy()
    exchanges["source"] = exchanges["source"].astype(object)
    exchanges.loc[exchanges["from_site"] == "tisso", "source"] = "=HYPERLINK(1)"
    hostile = dataclasses.replace(case, exchanges=exchanges)
    built = ledger.build_ledger(hostile, analysis, tier="owner")
    notes: list[str] = []
    path = ledger.write_ledger(built, tmp_path / "hostile.csv", notes=notes)
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text
    assert ",=HYPERLINK" not in text
    assert notes


def test_confidential_figures_stay_out_of_the_public_ledger(case: Case, tmp_path: Path) -> None:
    flows = case.flows.copy()
    secret = (flows["site_id"] == "novonesis") & (flows["resource"] == "07 07 99")
    assert secret.sum() >= 1
    flows["confidential"] = flows["confidential"] | secret
    hidden = dataclasses.replace(case, flows=flows)
    analysis = pipeline.analyse(hidden, options=pipeline.AnalysisOptions(year=YEAR))
    plan = allocation.allocate(analysis.candidates)
    owner = ledger.build_ledger(hidden, analysis, plan, tier="owner")
    public = ledger.build_ledger(hidden, analysis, plan, tier="public")
    exchange = "novonesis>kalundborg-bioenergy:07 07 99"
    mine = public.records[public.records["exchange_id"] == exchange]
    assert len(mine) == 2
    assert mine["withheld"].all()
    assert mine[["quantity", *ledger.SUM_COLUMNS]].isna().all().all()
    # the exchange still shows that it exists: sites, resource, mode
    assert set(mine["site_id"]) == {"novonesis", "kalundborg-bioenergy"}
    # None of the figures the owner sees of it (300,000 t/yr and what follows from it)
    # appears in the public records or consolidations, and no number within 5 % of the
    # quantity does.
    theirs = owner.records[owner.records["exchange_id"] == exchange]
    secrets = theirs[["quantity", *ledger.SUM_COLUMNS]].to_numpy(dtype="float64").ravel()
    secrets = secrets[np.isfinite(secrets) & (np.abs(secrets) > 1.0)]
    assert 300_000 in secrets
    tables = [public.records, *public.consolidations().values()]
    shown = np.concatenate(
        [t.select_dtypes("number").to_numpy(dtype="float64").ravel() for t in tables]
    )
    shown = shown[np.isfinite(shown)]
    assert not np.isin(secrets, shown).any()
    tonnes = [
        "quantity",
        "sent_t",
        "received_t",
        "waste_diverted_landfill_t",
        "waste_diverted_incineration_t",
        "virgin_material_replaced_t",
    ]
    in_t = np.concatenate([t[[c for c in tonnes if c in t]].to_numpy().ravel() for t in tables])
    assert not (np.abs(in_t[np.isfinite(in_t)] / 300_000 - 1.0) <= 0.05).any()
    # Every other record is the owner's; the exchange's figures are blanked.
    blanked = owner.records.copy()
    rows = blanked["exchange_id"] == exchange
    blanked.loc[rows, ["quantity", "loss_quantity", *ledger.SUM_COLUMNS]] = np.nan
    numbers = ["quantity", *ledger.SUM_COLUMNS]
    _close(public.records[numbers].fillna(-1), blanked[numbers].fillna(-1))
    # A consolidated figure is the owner's whole total or withheld (NaN), never a partial
    # sum: the one exchange's two parties are fewer than 3 companies (flows.privacy), so
    # every figure it adds to is withheld, and the others are the owner's.
    without = dataclasses.replace(owner, records=blanked, tables=None)
    for name, table in public.consolidations().items():
        mine, theirs = table[list(ledger.FIGURE_COLUMNS)], owner.consolidations()[name]
        shown = mine.notna().to_numpy()
        _close(mine.to_numpy()[shown], theirs[list(ledger.FIGURE_COLUMNS)].to_numpy()[shown])
        rest = without.consolidations()[name][list(ledger.FIGURE_COLUMNS)].fillna(0.0)
        touched = ~np.isclose(theirs[list(ledger.FIGURE_COLUMNS)].fillna(0.0), rest)
        assert not (touched & shown).any(), name
        assert touched.any(), name
        hidden = mine.isna() & theirs[list(ledger.FIGURE_COLUMNS)].notna()
        assert (table["withheld_figures"] == hidden.sum(axis=1)).all(), name
    # the consolidations say how many records they leave out
    site = public.consolidate("site_id").set_index("site_id")
    assert site.loc["novonesis", "withheld_records"].sum() == 1
    path = ledger.write_ledger(public, tmp_path / "public.csv")
    assert "300000" not in path.read_text(encoding="utf-8")


def test_requests_that_cannot_be_met(
    case: Case, analysis: pipeline.Analysis, plan: allocation.Plan
) -> None:
    with pytest.raises(ledger.LedgerError, match="analysis is for 2026"):
        ledger.build_ledger(case, analysis, year=2015)
    with pytest.raises(ledger.LedgerError, match="reference year"):
        ledger.build_ledger(case, analysis.candidates)
    gated = analysis.view(tier="public")
    from_frame = ledger.build_ledger(case, gated, plan, year=YEAR, tier="public")
    assert len(from_frame) == 30
    other = dataclasses.replace(plan, links=plan.links.iloc[:3])
    with pytest.raises(ledger.LedgerError, match="does not cover"):
        ledger.build_ledger(case, analysis, other)


def test_years_combine(case: Case, owner: ledger.Ledger) -> None:
    earlier = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=2010))
    both = ledger.combine([ledger.build_ledger(case, earlier, tier="owner"), owner])
    by_year = both.consolidate("year")
    assert set(by_year["year"]) == {2010, YEAR}
    # FGD gypsum from Asnæs to Gyproc ran 1993-2019 (exchanges.csv, ks-home): in 2010's ledger
    in_2010 = both.records[both.records["year"] == 2010]
    assert (in_2010["resource"] == "10 01 05").any()
    _close(by_year["records"].sum(), len(both.records))
    with pytest.raises(ledger.LedgerError, match="twice"):
        ledger.combine([owner, owner])


def test_new_links_and_their_savings_by_hand(mini_case: Case) -> None:
    """tests/data/mini: 180,000 t/yr of FGD gypsum (the board plant's demand; the power
    plant offers 200 kt/yr) in place by road, and fuel gas the plan realises anew (the
    refinery-board exchange ended in 2010)."""
    analysis = pipeline.analyse(mini_case, options=pipeline.AnalysisOptions(year=YEAR))
    plan = allocation.allocate(analysis.candidates)
    built = ledger.build_ledger(mini_case, analysis, plan, tier="owner")
    r = built.records.set_index("record_id")
    assert r.loc["refinery>board:fuel-gas:out", "ledger_status"] == "new"
    assert r.loc["power>board:10 01 05:out", "ledger_status"] == "in place"
    # the gypsum would go to an inert landfill (counterfactual table): diverted by the provider
    assert r.loc["power>board:10 01 05:out", "counterfactual_route"] == "landfill-inert"
    assert r.loc["power>board:10 01 05:out", "waste_diverted_landfill_t"] == 180_000
    assert r.loc["power>board:10 01 05:in", "waste_diverted_landfill_t"] == 0
    # substitution.csv: 10 01 05 replaces mined gypsum 1:1; parameters.csv
    # price.gypsum_natural 11 EUR/t, ef.gypsum_natural 8 kg CO2e/t
    gypsum_in = r.loc["power>board:10 01 05:in"]
    assert gypsum_in["virgin_material_replaced_t"] == 180_000
    assert gypsum_in["avoided_purchase_eur"] == pytest.approx(180_000 * 11)
    assert gypsum_in["cost_savings_eur"] == pytest.approx(180_000 * 11)
    assert gypsum_in["avoided_virgin_co2e_t"] == pytest.approx(180_000 * 8 / 1000)
    assert gypsum_in["net_co2e_t"] == pytest.approx(180_000 * 8 / 1000)
    # 250 TJ/yr of fuel gas demanded = 250e6 MJ / 3,600 MJ/MWh, natural gas replaced 1:1
    assert r.loc["refinery>board:fuel-gas:in", "energy_saved_mwh"] == pytest.approx(250e6 / 3600)
    assert r.loc["refinery>board:fuel-gas:out", "energy_saved_mwh"] == 0
    assert "price.gypsum_natural" in gypsum_in["substitute_keys"]
    assert r.loc["power>board:10 01 05:out", "transport_keys"] == (
        "transport.cost.road; transport.ef.road"
    )


def test_region_column_wins(case: Case, analysis: pipeline.Analysis) -> None:
    sites = case.sites.copy()
    sites["region"] = sites["park_id"].notna().map({True: "Region Sjælland", False: None})
    with_regions = dataclasses.replace(case, sites=sites)
    built = ledger.build_ledger(with_regions, analysis, tier="owner")
    r = built.records
    in_park = r["park_id"].notna()
    assert (r.loc[in_park, "region"] == "Region Sjælland").all()
    assert (r.loc[in_park, "region_basis"] == "region").all()
    # sites without one fall back to the case's country (DK, metadata.csv)
    assert (r.loc[~in_park, "region"] == "DK").all()
    assert (r.loc[~in_park, "region_basis"] == "country").all()
    by_region = built.consolidate("region")
    assert by_region["records"].sum() == len(r)


def test_the_report_command_writes_the_api_ledger(tmp_path: Path) -> None:
    from flows import allocation, pipeline  # noqa: PLC0415

    path = datasets.get_path("kalundborg")
    plan_file = tmp_path / "plan.csv"
    out = tmp_path / "ledger.csv"
    planned = run_module("flows", "plan", str(path), "--tier", "owner", "--out", str(plan_file))
    assert planned.returncode == 0, planned.stderr
    done = run_module(
        "flows", "report", str(path), "--tier", "owner", "--plan", str(plan_file),
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    case = io.load_case(path).case
    assert case is not None
    analysis = pipeline.analyse(case)
    plan = allocation.read_plan(analysis.candidates, plan_file)
    api = ledger.build_ledger(case, analysis, plan, tier="owner")
    written = pd.read_csv(out)
    assert len(written) == len(api.records)
    np.testing.assert_allclose(
        written["net_co2e_t"].sum(), api.records["net_co2e_t"].sum(), rtol=1e-6
    )
    assert "in place" in done.stdout
    bad = run_module("flows", "report", str(path), "--plan", str(out), "--out", str(out))
    assert bad.returncode == 1
    assert "not a plan" in bad.stderr


REGIONS = Path(__file__).resolve().parents[1] / "data" / "regions" / "kalundborg.geojson"
"""Two hand-drawn rectangles split at 11.105 E (tests/data/regions/README.md)."""


def test_sites_fall_in_the_regions_of_a_layer(case: Case) -> None:
    regions = ledger.read_regions(REGIONS)
    assert list(regions["region"]) == ["Kalundborg West", "Kalundborg East"]
    placed = ledger.assign_regions(case.sites, regions)
    by_site = dict(zip(case.sites["site_id"], placed, strict=True))
    # by the coordinates in datasets/kalundborg/sites.csv (the fixture's README): 8 west of
    # 11.105 E, 7 east, 3 outside both rectangles
    assert placed.value_counts().to_dict() == {
        "Kalundborg West": 8,
        "Kalundborg East": 7,
        ledger.OUTSIDE_REGIONS: 3,
    }
    assert by_site["asnaes"] == "Kalundborg West"  # 11.0809 E
    assert by_site["gyproc"] == "Kalundborg East"  # 11.106 E, just east of the split
    assert by_site["argo"] == ledger.OUTSIDE_REGIONS  # 12.066 E, Roskilde
    # the same in a projected CRS (ETRS89 / UTM 32N): the join reprojects the sites
    projected = regions.to_crs("EPSG:25832")
    assert list(ledger.assign_regions(case.sites, projected)) == list(placed)


def test_a_regions_layer_consolidates_the_ledger(
    case: Case, analysis: pipeline.Analysis, owner: ledger.Ledger
) -> None:
    regions = ledger.read_regions(REGIONS, name_column="name")
    built = ledger.build_ledger(case, analysis, tier="owner", regions=regions)
    r = built.records
    assert set(r["region"]) <= {"Kalundborg West", "Kalundborg East", ledger.OUTSIDE_REGIONS}
    inside = r["region"] != ledger.OUTSIDE_REGIONS
    assert (r.loc[inside, "region_basis"] == ledger.REGIONS_LAYER).all()
    assert set(built.outside_regions) == {"argo", "aalborg-portland", "kemira-fredericia"}
    by_region = built.consolidate("region")
    whole = built.totals().set_index("ledger_status")
    sums = by_region.groupby("ledger_status")[["records", "net_co2e_t"]].sum()
    _close(sums["records"], whole.loc[sums.index, "records"])
    _close(sums["net_co2e_t"], whole.loc[sums.index, "net_co2e_t"].fillna(0.0))
    # the layer changes the regions only: the same records and figures as without it
    _close(r["net_co2e_t"].fillna(-1), owner.records["net_co2e_t"].fillna(-1))


def test_a_regions_layer_that_cannot_be_used(tmp_path: Path) -> None:
    regions = ledger.read_regions(REGIONS)
    with pytest.raises(ledger.RegionsError, match="name the regions' column"):
        ledger.read_regions(REGIONS, name_column="nope")
    with pytest.raises(ledger.RegionsError, match="no coordinate reference system"):
        ledger.regions_layer(regions.set_crs(None, allow_override=True))
    points = regions.assign(geometry=regions.geometry.representative_point())
    with pytest.raises(ledger.RegionsError, match="no polygons"):
        ledger.regions_layer(points)
    with pytest.raises(ledger.RegionsError, match="could not read"):
        ledger.read_regions(tmp_path / "missing.geojson")


def test_the_command_line_consolidates_by_a_regions_layer(tmp_path: Path) -> None:
    regions = Path(__file__).parents[1] / "data" / "regions" / "kalundborg.geojson"
    done = run_module(
        "flows", "report", str(datasets.get_path("kalundborg")), "--no-plan", "--tier", "owner",
        "--regions", str(regions), "--out", str(tmp_path / "ledger.zip"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # argo, aalborg-portland and kemira-fredericia lie east and west of the two rectangles
    assert "note: 3 sites lie outside every region of kalundborg.geojson" in done.stdout
