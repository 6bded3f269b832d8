"""Checks across tables: ids that flows, exchanges and sites cite, or a note why they were not."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from flows.checks.checker import Checker
from flows.validation import ValidationReport


def site_references(checker: Checker, col: str, values: pd.Series, known: set[str]) -> None:
    """Error for each value of ``col`` that is not a site id of the sites table."""
    # Test each distinct id once: isin against a set of 50,000 ids per row is the slow part.
    missing = [v for v in values.dropna().unique() if v not in known]
    unknown = values.isin(missing).fillna(False).astype(bool)
    for row, value in zip(checker.rows(unknown), values[unknown], strict=True):
        checker.add(
            "error",
            "E_UNKNOWN_SITE",
            f"{col} {value!r} is not a site_id of the sites table",
            "correct the id or add the site to the sites table",
            row=row,
            field=col,
        )
    checker.keep &= ~unknown


def note_unchecked(
    report: ValidationReport, *, file: str, cited_by: list[str], target: str, column: str
) -> None:
    """One note that references from ``cited_by`` to ``target.column`` were not checked.

    A cross-table check against a table or column that already has a blocking error would only
    repeat that error once per row ("site 'x' is unknown" a hundred times for one renamed
    column), so it is skipped and this note says so instead.
    """
    if not cited_by:
        return
    report.add(
        file=file,
        layer=target,
        severity="info",
        code="I_REFERENCES_NOT_CHECKED",
        message=f"the {column} values cited by {' and '.join(cited_by)} were not checked "
        f"against the {target} table because of the error in {target} reported above",
        hint=f"fix the {target} table and load the case again",
        field=column,
    )


def check_site_parks(
    sites: gpd.GeoDataFrame, parks_ids: set[str], report: ValidationReport, *, file: str
) -> None:
    """Warn about sites naming a park that the parks layer does not have."""
    unknown = sites["park_id"].notna() & ~sites["park_id"].isin(parks_ids)
    for site, park in zip(
        sites.loc[unknown, "site_id"], sites.loc[unknown, "park_id"], strict=True
    ):
        report.add(
            file=file,
            layer="sites",
            severity="warning",
            code="W_UNKNOWN_PARK",
            message=f"site {site!r} names park {park!r}, which the parks layer does not have",
            hint="add the park outline or correct park_id",
            field="park_id",
        )
