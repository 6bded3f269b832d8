"""Widgets and notes several pages share: the loaded case, the reference year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from flows import periods
from ui.keys import StateKeys
from ui.text import escape_markdown

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from flows.model import Case
    from flows.pipeline import Analysis

NO_CASE = "No case is loaded yet: choose a bundled case or upload one on the **Data** page."


def loaded_case() -> Case:
    """The session's case; without one the page says how to load one and stops."""
    case: Case | None = st.session_state.get(StateKeys.CASE)
    if case is None:
        st.info(NO_CASE)
        st.stop()  # raises: the page's run ends here (typed NoReturn)
    return case


def reference_year(place: DeltaGenerator, *, key: str) -> int:
    """The reference year input (default: this year): what exists in it is analysed."""
    return int(
        place.number_input(
            "Reference year",
            min_value=periods.FIRST_YEAR,
            max_value=periods.current_year() + 50,
            value=periods.current_year(),
            step=1,
            key=key,
            help="Only sites and flows that exist in this year are analysed; historical and "
            "planned ones count in the years of their period.",
        )
    )


def year_note(analysis: Analysis) -> None:
    """A caption with what the reference year left out of the case, when anything."""
    if analysis.year_note:
        note = analysis.year_note
        st.caption(escape_markdown(note[:1].upper() + note[1:]) + ".")
