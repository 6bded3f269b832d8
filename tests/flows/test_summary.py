"""Summaries of a case: what its exchanges move, as a viewer may see them."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from flows import privacy, summary
from flows.model import Case


def test_exchange_totals_count_active_published_quantities(mini_case: Case) -> None:
    # tests/data/mini: gypsum 200 kt/yr active with a quantity; steam and heat active without
    # one; fuel gas historical
    totals = summary.exchange_totals(mini_case)
    assert totals.count == 4
    assert totals.active == 3
    assert totals.quantity == {"t/yr": pytest.approx(200_000.0)}
    assert totals.unpublished == 2


def test_withheld_quantities_count_as_unpublished(mini_case: Case) -> None:
    secret = mini_case.flows["resource"] == "10 01 05"
    case = dataclasses.replace(mini_case, flows=mini_case.flows.assign(confidential=secret))
    public = summary.exchange_totals(privacy.case(case, tier="public"))
    assert public.quantity == {}
    assert public.unpublished == 3
    assert summary.exchange_totals(privacy.case(case, tier="owner")).quantity == {
        "t/yr": pytest.approx(200_000.0)
    }


def test_a_case_without_exchanges_moves_nothing() -> None:
    totals = summary.exchange_totals(Case())
    assert (totals.count, totals.active, totals.quantity, totals.unpublished) == (0, 0, {}, 0)


def test_existing_line_counts_the_candidates_that_repeat_a_recorded_exchange() -> None:
    statuses = ["active", "active", "historical", "new", "planned", "new"]
    frame = pd.DataFrame({"exchange_status": pd.Categorical(statuses)})
    assert summary.existing_line(frame) == (
        "4 of the 6 candidates repeat an exchange the case already records "
        "(2 active, 1 planned, 1 historical); 2 are new"
    )
    assert summary.existing_line(frame[frame["exchange_status"] == "new"]) == ""
