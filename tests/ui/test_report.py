"""The Report page: its figures are the API's ledger, the consolidation select changes the table,
the charts and the four downloads are there, and a public viewer never sees a confidential
figure."""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from flows import allocation, ledger, pipeline, synthetic
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
            expected = row[list(columns)].sum(min_count=1)
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


def test_a_public_viewer_sees_no_figure_of_confidential_flows(page: AppTest) -> None:
    case: Case = page.session_state[StateKeys.CASE]
    secret = dataclasses.replace(case, flows=case.flows.assign(confidential=True))
    page.session_state[StateKeys.CASE] = secret
    page.run()
    assert not page.exception, page.exception
    shown = _metrics(page)
    assert shown
    assert all(v == "—" for figures in shown.values() for v in figures.values())
    assert not page.get("plotly_chart")
    records = next(d.value for d in page.dataframe if "record_id" in d.value.columns)
    withheld = int(records["withheld"].sum())
    assert withheld > 0
    assert records.loc[records["withheld"], ["quantity", *ledger.SUM_COLUMNS]].isna().all().all()
    table = next(d.value for d in page.dataframe if "withheld_records" in d.value.columns)
    assert table["withheld_records"].sum() == withheld
    captions = " ".join(c.value for c in page.caption)
    assert escape_markdown(f"Withheld records: {withheld:,}.") in captions
    # the owner sees them
    page.sidebar.selectbox(key=StateKeys.VIEWER_TIER).set_value("owner").run()
    assert not page.exception, page.exception
    owner = _metrics(page)
    assert owner["in place"]["Net CO2e avoided (t/yr)"] != "—"
    assert len(page.get("plotly_chart")) == 4
    assert "Withheld records" not in " ".join(c.value for c in page.caption)


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
