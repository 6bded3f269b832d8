"""Report page: the transaction ledger of the reference year, one record per party of every
exchange, its totals per status, a consolidation, bar charts by family and park, and files."""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import streamlit as st

from flows import allocation
from flows import ledger as flows_ledger
from flows.pipeline import AnalysisOptions
from ui import charts, controls, ledger, synergies
from ui.state import StateKeys
from ui.text import escape_markdown
from ui.viewer import tier_control

if TYPE_CHECKING:
    from flows.model import Case


def _controls() -> tuple[AnalysisOptions, bool]:
    """The analysis options and the plan choice the page's widgets set."""
    year_col, plan_col = st.columns(2)
    year = controls.reference_year(year_col, key=StateKeys.REPORT_YEAR)
    with_plan = plan_col.checkbox(
        "Book the plan's new links",
        value=False,
        key=StateKeys.REPORT_WITH_PLAN,
        help="Also book the links the cluster plan realises (money and CO2e at the bundled "
        "carbon price, as on the Plan page); otherwise only exchanges in place and planned.",
    )
    price = float(synergies.bundled_parameters()[synergies.CARBON_PRICE_KEY])
    return AnalysisOptions(carbon_price_eur_per_t=price, year=int(year)), bool(with_plan)


def _kpis(book: flows_ledger.Ledger) -> None:
    """The headline figures, one row per ledger status."""
    unknown = False
    for status, figures in ledger.kpis(book).items():
        st.markdown(f"**{status.capitalize()}**")
        cells = list(figures.items())
        # two rows of three: the figures are long (tens of millions) and must show whole
        for row in (cells[:3], cells[3:]):
            for column, (label, value) in zip(st.columns(len(row)), row, strict=True):
                unknown |= math.isnan(value)
                column.metric(f"{label} · {status}", "—" if math.isnan(value) else f"{value:,.0f}")
    if unknown:
        st.caption(
            "—: no figure known to this viewer (withheld, or the exchange has no scored quantity)."
        )


def _charts(book: flows_ledger.Ledger) -> None:
    """Net CO2e and net savings by family and by park, each status its own bars."""
    for by in ("family", "park"):
        for column, (figure, (label, unit)) in zip(
            st.columns(2), ledger.FIGURES.items(), strict=True
        ):
            data = ledger.chart_data(book, by, figure)
            if data.empty:
                column.caption(f"{label} by {by}: no figure known to this viewer.")
                continue
            column.plotly_chart(
                charts.bars(
                    data,
                    x="group",
                    y="value",
                    color="ledger_status",
                    palette=ledger.STATUS_COLOURS,
                    title=f"{label} by {by} ({unit})",
                    unit=unit,
                ),
                width="stretch",
            )


def _downloads(book: flows_ledger.Ledger, case: Case) -> None:
    stem = str(st.session_state.get(StateKeys.CASE_LABEL) or "case").rsplit(".", 1)[0]
    year = "-".join(str(y) for y in book.years)
    for column, (suffix, (label, mime)) in zip(
        st.columns(len(ledger.FILE_TYPES)), ledger.FILE_TYPES.items(), strict=True
    ):
        column.download_button(
            label,
            data=partial(ledger.ledger_file, book, case, suffix),
            file_name=f"{stem}-ledger-{year}{suffix}",
            mime=mime,
            on_click="ignore",
        )


st.header("Report")
case = controls.loaded_case()

tier = tier_control()
options, with_plan = _controls()
analysis = synergies.cached_analysis(case, st.session_state.get(StateKeys.NETWORK), options)
controls.year_note(analysis)
try:
    book = ledger.cached_ledger(case, analysis, tier=tier, with_plan=with_plan)
except (allocation.AllocationError, flows_ledger.LedgerError) as err:
    st.warning(escape_markdown(str(err)))
    st.stop()

st.caption(
    " ".join(escape_markdown(line) for line in ledger.caption_lines(book, with_plan=with_plan))
)
if len(book) == 0:
    st.info(f"No exchange is in place or planned in {analysis.year}.")
    st.stop()

withheld = ledger.withheld_lines(book)
if withheld:
    head, *reasons = (escape_markdown(line) for line in withheld)
    st.info("\n".join([f"{head}.", *(f"- {line}" for line in reasons)]))
_kpis(book)
choices = tuple(ledger.CONSOLIDATIONS)
by = st.selectbox(
    "Consolidate by",
    choices,
    index=choices.index(ledger.DEFAULT_CONSOLIDATION),
    key=StateKeys.REPORT_BY,
)
table = ledger.consolidation(book, by)
st.dataframe(table, hide_index=True, width="stretch", column_config=ledger.column_config(table))
_charts(book)
st.markdown("**Records**")
records = ledger.records_view(book, case)
st.dataframe(records, hide_index=True, width="stretch", column_config=ledger.column_config(records))
_downloads(book, case)
