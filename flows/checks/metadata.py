"""Checks of the sources table (citations) and the key/value metadata of a case."""

from __future__ import annotations

import re

import pandas as pd

from flows.checks.checker import ROW, Checker, RawTable, extras_frame, finish
from flows.validation import ValidationReport


def check_sources(raw: RawTable, report: ValidationReport) -> pd.DataFrame | None:
    """Check the sources table (id and citation required, ids unique)."""
    checker = Checker(raw, report)
    if not checker.normalise_columns():
        return None
    sid = checker.text("source_id")
    checker.require_values("source_id", sid)
    checker.unique("source_id", sid)
    citation = checker.text("citation")
    checker.require_values("citation", citation)
    out = pd.DataFrame(
        {
            "source_id": sid,
            "citation": citation,
            "url": checker.text("url"),
            "accessed": checker.text("accessed"),
        }
    )
    return finish(checker, pd.concat([out, extras_frame(checker)], axis=1))


def check_metadata(raw: RawTable, report: ValidationReport) -> dict[str, str]:
    """Read key/value metadata; later duplicates win with a warning."""
    checker = Checker(raw, report)
    if not checker.normalise_columns():
        return {}
    keys = checker.text("key")
    values = checker.text("value")
    meta: dict[str, str] = {}
    for idx, key in keys.items():
        if pd.isna(key):
            continue
        if key in meta:
            checker.add(
                "warning",
                "W_DUPLICATE_KEY",
                f"metadata key {key!r} appears twice; the last value is used",
                row=checker.frame.at[idx, ROW],
                field="key",
            )
        meta[str(key)] = "" if pd.isna(values[idx]) else str(values[idx])
    country = meta.get("country", "")
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        checker.add(
            "warning",
            "W_COUNTRY_CODE",
            f"country {country!r} is not an ISO 3166 alpha-2 code",
            "write e.g. DK, NL, BE",
            field="value",
        )
    return meta
