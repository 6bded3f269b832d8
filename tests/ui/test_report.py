"""The Report page: its figures are the API's ledger, the consolidation select changes the table,
the charts and the four downloads are there, and a public viewer never sees a confidential
figure."""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from flows import allocation, ledger, pipeline, synthetic
from flows import io as flows_io
from flows.model import Case
from ui import charts
from ui import ledger as ledger_ui
from ui.state import StateKeys
from ui.text import escape_markdown

PAGE = "ui/pages/report.py"
YEAR = 2015
"""A year when Kalundborg's gypsum and fly-ash exchanges were in place (more records)."""


@pytest.fixture
def page(app: AppTest) -> AppTest:
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def _metrics(at: AppTest) -> dict[str, dict[str, str]]:
    """The page's metrics per ledger status: ``{status: {label: shown value}}``."""
    out: dict[str, dict[str, str]] = {}
    for metric in at.metric:
        label, status = str(metric.label).rsplit(" · ", 1)
        out.setdefault(status, {})[label] = str(metric.value)
    return out


def _number(shown: str) -> float:
    return math.nan if shown == "—" else float(shown.replace(",", ""))


def _api_ledger(at: AppTest, year: int, *, with_plan: bool = False) -> ledger.Ledger:
    case = at.session_state[StateKeys.CASE]
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(year=year))
    plan = None
    if with_plan:
        price = analysis.parameters["carbon.price"]
        options = allocation.AllocationOptions(objective="mixed", carbon_price_eur_per_t=price)
        plan = analysis.plan(tier="public", options=options)
    return ledger.build_ledger(case, analysis, plan, tier="public")


def _assert_kpis_match(at: AppTest, book: ledger.Ledger) -> None:
    shown = _metrics(at)
    totals = book.totals().set_index("ledger_status")
    assert set(shown) == set(totals.index)
    for status, row in totals.iterrows():
        figures = shown[str(status)]
        assert set(figures) == set(ledger_ui.KPIS)
        for label, columns in ledger_ui.KPIS.items():
            # a part withheld leaves the sum unknown
            expected = row[list(columns)].sum(skipna=False)
            if pd.isna(expected):
                assert figures[label] == "—"
            else:
                assert _number(figures[label]) == pytest.approx(expected, abs=1)


def test_the_page_shows_the_api_ledger_of_the_year(page: AppTest) -> None:
    page.number_input(key=StateKeys.REPORT_YEAR).set_value(YEAR).run()
    assert not page.exception, page.exception
    book = _api_ledger(page, YEAR)
    assert len(book) > 0
    _assert_kpis_match(page, book)
    in_place = _metrics(page)["in place"]
    whole = book.totals().set_index("ledger_status").loc["in place"]
    assert _number(in_place["Net savings (EUR/yr)"]) == pytest.approx(
        whole["net_savings_eur"], abs=1
    )
    assert _number(in_place["Net CO2e avoided (t/yr)"]) == pytest.approx(whole["net_co2e_t"], abs=1)
    # the records, provider's and receiver's apart, are the API's
    records = next(d.value for d in page.dataframe if "record_id" in d.value.columns)
    assert list(records["record_id"]) == list(book.records["record_id"])
    assert set(records["direction"]) == {"outgoing", "incoming"}
    assert records["net_co2e_t"].sum() == pytest.approx(book.records["net_co2e_t"].sum())
    captions = " ".join(c.value for c in page.caption)
    assert escape_markdown("Parameter set: symbiomap-params") in captions
    assert f"reference year {YEAR}; public view" in captions
    assert "Withheld records" not in captions  # nothing in the bundled case is confidential


def test_booking_the_plan_books_the_public_plans_new_links(page: AppTest) -> None:
    # a synthetic cluster with no recorded exchange in place, some flows confidential
    page.session_state[StateKeys.CASE] = synthetic.generate_case(40, seed=1)
    page.run()
    assert not page.exception, page.exception
    assert not page.metric
    assert any("No exchange is in place or planned" in i.value for i in page.info)
    page.checkbox(key=StateKeys.REPORT_WITH_PLAN).check().run()
    assert not page.exception, page.exception
    year = page.session_state[StateKeys.REPORT_YEAR]
    book = _api_ledger(page, year, with_plan=True)
    assert set(book.records["ledger_status"]) == {"new"}
    _assert_kpis_match(page, book)
    assert _number(_metrics(page)["new"]["Net savings (EUR/yr)"]) > 0
    captions = " ".join(c.value for c in page.caption)
    assert escape_markdown("The plan's new links are booked") in captions


def test_the_consolidation_select_changes_the_table(page: AppTest) -> None:
    def table() -> pd.DataFrame:
        return next(d.value for d in page.dataframe if "withheld_records" in d.value.columns)

    whole = _api_ledger(page, page.session_state[StateKeys.REPORT_YEAR]).totals()
    assert "family" in table().columns  # the default
    for by, column in ledger_ui.CONSOLIDATIONS.items():
        page.selectbox(key=StateKeys.REPORT_BY).set_value(by).run()
        assert not page.exception, page.exception
        shown = table()
        assert shown.columns[0] == column
        # every consolidation sums to the whole
        assert shown["records"].sum() == whole["records"].sum()
        assert shown["net_co2e_t"].sum() == pytest.approx(whole["net_co2e_t"].sum())
    page.selectbox(key=StateKeys.REPORT_BY).set_value("park").run()
    assert "park_id" in table().columns
    assert "family" not in table().columns


def test_the_bar_charts_and_a_download_per_format_are_there(page: AppTest) -> None:
    # net CO2e and net savings, by family and by park
    assert len(page.get("plotly_chart")) == 4
    buttons = page.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels == [label for label, _ in ledger_ui.FILE_TYPES.values()]
    # each file is built on click only (deferred), without rerunning the page
    assert all(b.proto.deferred_file_id and b.proto.ignore_rerun for b in buttons)


def test_the_files_are_the_ledger(kalundborg: Case, tmp_path: Path) -> None:
    analysis = pipeline.analyse(kalundborg, options=pipeline.AnalysisOptions(year=YEAR))
    book = ledger.build_ledger(kalundborg, analysis, tier="public")
    assert set(ledger_ui.FILE_TYPES) == set(ledger.LEDGER_SUFFIXES)
    csv = ledger_ui.ledger_file(book, kalundborg, ".csv")
    assert list(pd.read_csv(io.BytesIO(csv))["record_id"]) == list(book.records["record_id"])
    with zipfile.ZipFile(io.BytesIO(ledger_ui.ledger_file(book, kalundborg, ".zip"))) as archive:
        assert {"records.csv", "by_family.csv", "by_park.csv", "factors.csv"} <= set(
            archive.namelist()
        )
    workbook = openpyxl.load_workbook(
        io.BytesIO(ledger_ui.ledger_file(book, kalundborg, ".xlsx")), read_only=True
    )
    assert {"records", "by_site", "totals", "factors"} <= set(workbook.sheetnames)
    workbook.close()
    gpkg = tmp_path / "ledger.gpkg"
    gpkg.write_bytes(ledger_ui.ledger_file(book, kalundborg, ".gpkg"))
    layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    assert {"ledger", "by_region", "factors"} <= layers
    assert len(pyogrio.read_dataframe(gpkg, layer="ledger")) == len(book)


def test_a_public_viewer_sees_only_released_totals_of_confidential_flows(page: AppTest) -> None:
    case: Case = page.session_state[StateKeys.CASE]
    secret = dataclasses.replace(case, flows=case.flows.assign(confidential=True))
    page.session_state[StateKeys.CASE] = secret
    page.run()
    assert not page.exception, page.exception
    year = page.session_state[StateKeys.REPORT_YEAR]
    public = _api_ledger(page, year)
    analysis = pipeline.analyse(secret, options=pipeline.AnalysisOptions(year=year))
    owner = ledger_ui.kpis(ledger.build_ledger(secret, analysis, tier="owner"))
    _assert_kpis_match(page, public)
    # Each headline figure is the owner's whole total (flows.privacy released it: enough
    # companies, none dominant, nothing recomputable) or withheld, never a part of it.
    shown = _metrics(page)
    values = [(s, label, v) for s, figures in shown.items() for label, v in figures.items()]
    assert any(v == "—" for _, _, v in values)
    assert any(v != "—" for _, _, v in values)
    for status, label, v in values:
        if v != "—":
            assert _number(v) == pytest.approx(owner[status][label], abs=1)
    info = " ".join(i.value for i in page.info)
    assert escape_markdown("at least 3 companies contribute to it") in info
    assert escape_markdown("totals withheld: fewer than 3 companies") in info
    records = next(d.value for d in page.dataframe if "record_id" in d.value.columns)
    withheld = int(records["withheld"].sum())
    assert withheld > 0
    assert records.loc[records["withheld"], ["quantity", *ledger.SUM_COLUMNS]].isna().all().all()
    table = next(d.value for d in page.dataframe if "withheld_records" in d.value.columns)
    assert table["withheld_records"].sum() == withheld
    assert (table["withheld_figures"] > 0).any()
    captions = " ".join(c.value for c in page.caption)
    assert escape_markdown(f"Withheld records: {withheld:,}.") in captions
    # the owner sees everything
    page.sidebar.selectbox(key=StateKeys.VIEWER_TIER).set_value("owner").run()
    assert not page.exception, page.exception
    mine = _metrics(page)
    assert mine["in place"]["Net CO2e avoided (t/yr)"] != "—"
    assert len(page.get("plotly_chart")) == 4
    assert "Withheld records" not in " ".join(c.value for c in page.caption)
    assert not any("withheld" in i.value for i in page.info)


def test_without_a_case_the_page_asks_for_one(page: AppTest) -> None:
    page.session_state[StateKeys.CASE] = None
    page.run()
    assert not page.exception
    assert any("No case is loaded" in i.value for i in page.info)
    assert not page.metric


def test_bar_labels_from_the_case_show_as_text() -> None:
    frame = pd.DataFrame(
        {"group": ["<a href='x'>park</a>", "p2"], "status": ["in place", "new"], "v": [1.0, 2.0]}
    )
    figure = charts.bars(frame, x="group", y="v", color="status", title="t", unit="t/yr")
    assert [trace.name for trace in figure.data] == ["in place", "new"]
    assert list(figure.data[0].x) == ["&lt;a href=&#x27;x&#x27;&gt;park&lt;/a&gt;"]
    assert list(figure.data[1].y) == [2.0]


CONFIDENTIAL = Path(__file__).resolve().parents[1] / "data" / "confidential_ledger"
"""Kalundborg with five companies' flows confidential (its README)."""


def _numbers_in(frame: pd.DataFrame) -> np.ndarray:
    values = frame.select_dtypes("number").to_numpy(dtype="float64").ravel()
    out: np.ndarray = np.abs(values[np.isfinite(values)])
    return out


@pytest.mark.parametrize("tier", ["owner", "public"])
def test_the_command_line_the_api_and_the_page_agree(
    page: AppTest, tier: str, tmp_path: Path
) -> None:
    from tests.cli_helpers import run_module  # noqa: PLC0415

    loaded = flows_io.load_case(CONFIDENTIAL).case
    assert loaded is not None
    year = 2026
    analysis = pipeline.analyse(loaded, options=pipeline.AnalysisOptions(year=year))
    api = ledger.build_ledger(loaded, analysis, tier=tier)  # type: ignore[arg-type]
    out = tmp_path / "ledger.zip"
    done = run_module(
        "flows", "report", str(CONFIDENTIAL), "--tier", tier, "--no-plan",
        "--year", str(year), "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        files = {
            name.removesuffix(".csv"): pd.read_csv(archive.open(name))
            for name in archive.namelist()
        }
    page.session_state[StateKeys.CASE] = loaded
    page.number_input(key=StateKeys.REPORT_YEAR).set_value(year)
    page.sidebar.selectbox(key=StateKeys.VIEWER_TIER).set_value(tier).run()
    assert not page.exception, page.exception
    shown: dict[str, pd.DataFrame] = {}
    for by in ledger_ui.CONSOLIDATIONS:
        page.selectbox(key=StateKeys.REPORT_BY).set_value(by).run()
        assert not page.exception, page.exception
        shown[f"by_{by}"] = next(
            d.value for d in page.dataframe if "withheld_records" in d.value.columns
        )
    records = next(d.value for d in page.dataframe if "record_id" in d.value.columns)
    _assert_kpis_match(page, api)
    figures = [*ledger.FIGURE_COLUMNS, "withheld_figures", "withheld_records", "records"]
    for name, expected in api.consolidations().items():
        want = expected[figures].to_numpy(dtype="float64")
        got = files[name][figures].to_numpy(dtype="float64")
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"CLI {name}")
        if name in shown:
            got = shown[name][figures].to_numpy(dtype="float64")
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"page {name}")
    numbers = ["quantity", *ledger.SUM_COLUMNS]
    for got in (files["records"], records):
        assert list(got["record_id"]) == list(api.records["record_id"])
        np.testing.assert_allclose(
            got[numbers].to_numpy(dtype="float64"),
            api.records[numbers].to_numpy(dtype="float64"),
            rtol=1e-6,
            atol=1e-6,
        )
    if tier == "owner":
        return
    # No figure of a confidential flow in any public table, file or metric: the owner's
    # figures of the withheld records and the confidential flows' declared quantities.
    owner = ledger.build_ledger(loaded, analysis, tier="owner")
    hidden = api.records["withheld"].to_numpy(dtype=bool)
    secrets = owner.records.loc[hidden, numbers].to_numpy(dtype="float64").ravel()
    declared = loaded.flows.loc[loaded.flows["confidential"].astype(bool), "quantity"]
    secrets = np.concatenate([secrets, pd.to_numeric(declared, errors="coerce").to_numpy()])
    secrets = np.unique(np.abs(secrets[np.isfinite(secrets) & (np.abs(secrets) > 1.0)]))
    assert len(secrets) > 20
    # (factors.csv lists the bundled reference factors, not the case: a price of 50 EUR/t is
    # no flow's figure, whatever a flow declares)
    outputs = {**{f"{k}.csv": v for k, v in files.items() if k != "factors"}, **shown}
    for what, frame in {**outputs, "page records": records}.items():
        values = _numbers_in(frame)
        found = values[np.isclose(values[:, None], secrets[None, :], rtol=1e-9, atol=0).any(1)]
        assert len(found) == 0, (what, found)
    metrics = np.array(
        [_number(v) for figures in _metrics(page).values() for v in figures.values()]
    )
    metrics = metrics[np.isfinite(metrics)]
    assert not np.isclose(metrics[:, None], secrets[None, :], rtol=0, atol=0.5).any()
