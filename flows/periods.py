"""What exists in a reference year: sites, flows and exchanges by status and period.

Every row of those tables has a ``status`` (active, historical, planned) and a period (a start
year and ``end_year``; exchanges call the start ``since``). An analysis is for one reference
year: only what exists in that year is available, so a site's flows of one resource from
different periods are never added up (a by-product sold from 1976 to 2018 and its successor
from 2018 on are one flow in any year, not two).

A row exists in year Y when start <= Y <= end. Where a year is missing it is read from the
status, relative to the current year (the year the analysis runs):

========== ======================= ========================
status     missing start           missing end
========== ======================= ========================
active     always existed          still exists
historical always existed          ended last year
planned    starts next year        never ends
========== ======================= ========================

Validation warns about each of these guesses (:mod:`flows.checks.period`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from flows.checks.period import FIRST_YEAR
from flows.model import Case

__all__ = ["FIRST_YEAR", "YearView", "current_year", "exists_in", "in_year", "status_in"]


def current_year() -> int:
    """The default reference year: the calendar year now."""
    return dt.date.today().year


def _years(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A year column as float64 (NaN where missing or absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values: np.ndarray = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    return values


def exists_in(
    frame: pd.DataFrame,
    year: int,
    *,
    start_column: str = "start_year",
    this_year: int | None = None,
) -> np.ndarray:
    """Which rows of a sites, flows or exchanges table exist in ``year``.

    Parameters
    ----------
    frame
        A table with ``status`` and a period (missing columns: active, always).
    year
        The reference year.
    start_column
        Name of the start year (``since`` for exchanges).
    this_year
        The year missing ends and starts are read against (default: :func:`current_year`).

    Returns
    -------
    numpy.ndarray
        One bool per row.
    """
    now = current_year() if this_year is None else this_year
    n = len(frame)
    status = (
        frame["status"].astype("object").fillna("active").to_numpy()
        if "status" in frame.columns
        else np.full(n, "active", dtype=object)
    )
    start = _years(frame, start_column)
    end = _years(frame, "end_year")
    start = np.where(np.isnan(start), np.where(status == "planned", now + 1, -np.inf), start)
    end = np.where(np.isnan(end), np.where(status == "historical", now - 1, np.inf), end)
    return np.asarray((start <= year) & (year <= end), dtype=bool)


def status_in(
    frame: pd.DataFrame,
    year: int,
    *,
    start_column: str = "start_year",
    this_year: int | None = None,
) -> pd.Series:
    """Each row's status as it stands in ``year``: ``active`` if it exists then, ``planned``
    if it starts later, ``historical`` if it ended before (same rules as :func:`exists_in`).

    A planned exchange is in place in a reference year after its start; a historical one was
    in place in a year of its period.
    """
    now = current_year() if this_year is None else this_year
    status = (
        frame["status"].astype("object").fillna("active").to_numpy()
        if "status" in frame.columns
        else np.full(len(frame), "active", dtype=object)
    )
    start = _years(frame, start_column)
    start = np.where(np.isnan(start), np.where(status == "planned", now + 1, -np.inf), start)
    exists = exists_in(frame, year, start_column=start_column, this_year=this_year)
    out = np.where(exists, "active", np.where(start > year, "planned", "historical"))
    return pd.Series(out, index=frame.index, dtype="string")


@dataclasses.dataclass(frozen=True)
class YearView:
    """A case as it is in one reference year, and what was left out of it.

    Attributes
    ----------
    case
        Sites and flows that exist in ``year`` (flows of a site that does not exist in that
        year are left out with it); every exchange, its ``status`` as it stands in ``year``
        (:func:`status_in`; the recorded one kept in ``recorded_status``); parks, sources and
        metadata unchanged.
    year
        The reference year.
    sites_out, flows_out, exchanges_out
        How many sites, flows and exchanges do not exist in ``year``.
    """

    case: Case
    year: int
    sites_out: int
    flows_out: int
    exchanges_out: int

    def note(self) -> str:
        """One sentence on what the year left out ("" when nothing)."""
        parts = [
            f"{count} {what}"
            for count, what in ((self.sites_out, "sites"), (self.flows_out, "flows"))
            if count
        ]
        sentences = []
        if parts:
            sentences.append(
                f"{' and '.join(parts)} of the case do not exist in {self.year} (historical or "
                "planned) and are left out"
            )
        if self.exchanges_out:
            sentences.append(
                f"{self.exchanges_out} recorded exchanges are not in place in {self.year}"
            )
        return f"reference year {self.year}: " + "; ".join(sentences) if sentences else ""


def in_year(case: Case, year: int, *, this_year: int | None = None) -> YearView:
    """The case as it is in ``year`` (see the module docstring for the rules).

    Parameters
    ----------
    case
        A loaded case.
    year
        The reference year.
    this_year
        The year missing ends and starts are read against (default: :func:`current_year`).

    Returns
    -------
    YearView
        The restricted case and the counts of what was left out.
    """
    site_ok = exists_in(case.sites, year, this_year=this_year)
    present = set(case.sites.loc[site_ok, "site_id"].astype("object"))
    flow_ok = exists_in(case.flows, year, this_year=this_year) & case.flows["site_id"].astype(
        "object"
    ).isin(present).to_numpy(dtype=bool)
    exchanges = case.exchanges.assign(
        recorded_status=case.exchanges["status"],
        status=status_in(case.exchanges, year, start_column="since", this_year=this_year),
    )
    exchange_ok = (exchanges["status"] == "active").to_numpy(dtype=bool)
    restricted = dataclasses.replace(
        case,
        sites=case.sites.loc[site_ok].reset_index(drop=True),
        flows=case.flows.loc[flow_ok].reset_index(drop=True),
        exchanges=exchanges,
    )
    return YearView(
        case=restricted,
        year=year,
        sites_out=int((~site_ok).sum()),
        flows_out=int((~flow_ok).sum()),
        exchanges_out=int((~exchange_ok).sum()),
    )
