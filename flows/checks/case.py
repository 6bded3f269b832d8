"""The one place that turns a case's raw tables into a :class:`~flows.model.Case`.

:func:`build_case` runs the per-table checks in order (sites, parks, flows, exchanges,
sources, metadata), decides which cross-table references can be checked, and assembles the
case. Readers only turn files into :class:`~flows.checks.checker.RawTable` objects.
"""

from __future__ import annotations

from datasets.settings import InputLimits
from flows.checks.checker import RawTable
from flows.checks.exchanges import check_exchanges
from flows.checks.flow_table import check_flows
from flows.checks.metadata import check_metadata, check_sources
from flows.checks.parks import check_parks
from flows.checks.references import check_site_parks, note_unchecked
from flows.checks.sites import check_sites
from flows.model import Case, add_site_sectors
from flows.resources import Vocabulary
from flows.schema import REQUIRED_TABLES
from flows.validation import ValidationReport


def build_case(
    raw: dict[str, RawTable],
    report: ValidationReport,
    label: str,
    *,
    vocabulary: Vocabulary,
    limits: InputLimits | None = None,
) -> Case | None:
    """Check every raw table of a case in order and assemble the case.

    Parameters
    ----------
    raw
        The tables a reader found, by table name.
    report
        Where every finding goes; it may already hold the reader's own findings.
    label
        File name the user knows, for findings about the case as a whole.
    vocabulary
        The EWC list and carriers resources are checked against.
    limits
        Input limits for the checks, e.g. the length of a unit (default
        ``settings.get().limits``).

    Returns
    -------
    Case or None
        The typed case, or None when the report holds at least one error.
    """
    missing = [t for t in REQUIRED_TABLES if t not in raw]
    for table in missing:
        unreadable = any(f.severity == "error" and f.layer == table for f in report)
        if "E_MISSING_TABLE" not in report.codes() and not unreadable:
            report.add(
                file=label,
                layer=table,
                severity="error",
                code="E_MISSING_TABLE",
                message=f"no {table} table",
                hint=f"add a {table} table",
            )
    if missing:
        return None
    sites, site_ids = check_sites(raw["sites"], report)
    case = Case()
    if sites is not None:
        case.sites = add_site_sectors(sites)
    parks_ok = _build_parks(raw, report, case)
    if sites is not None:
        _check_site_parks(raw, report, case, parks_ok=parks_ok)
    citing = [t for t in ("flows", "exchanges") if t in raw and len(raw[t].frame)]
    if site_ids is None:
        # The sites table failed in a way that leaves its ids unknown (no site_id column, no
        # rows): one note instead of an "unknown site" error for every flow and exchange.
        note_unchecked(
            report,
            file=raw["sites"].file,
            cited_by=[raw[t].file for t in citing],
            target="sites",
            column="site_id",
        )
    for table, check in (
        ("flows", check_flows),
        ("exchanges", check_exchanges),
    ):
        if table in raw:
            frame = check(raw[table], report, site_ids, vocabulary=vocabulary, limits=limits)
            if frame is not None:
                setattr(case, table, frame)
    if "sources" in raw:
        sources = check_sources(raw["sources"], report)
        if sources is not None:
            case.sources = sources
    if "metadata" in raw:
        case.metadata = check_metadata(raw["metadata"], report)
    return None if report.has_errors else case


def _check_site_parks(
    raw: dict[str, RawTable], report: ValidationReport, case: Case, *, parks_ok: bool
) -> None:
    """Check the park ids sites name, or note that a broken parks layer prevented it."""
    if not bool(case.sites["park_id"].notna().any()):
        return
    if parks_ok:
        check_site_parks(
            case.sites, set(case.parks["park_id"].dropna()), report, file=raw["sites"].file
        )
    else:
        # The parks file may be unreadable (so not in raw): name the file its error names.
        parks_file = next((f.file for f in report.errors if f.layer == "parks"), "parks")
        note_unchecked(
            report,
            file=raw["parks"].file if "parks" in raw else parks_file,
            cited_by=[raw["sites"].file],
            target="parks",
            column="park_id",
        )


def _build_parks(raw: dict[str, RawTable], report: ValidationReport, case: Case) -> bool:
    """Check the parks into ``case``; return whether the layer is whole (no errors).

    With a broken parks layer (unreadable, or rows dropped for errors) the park ids that sites
    name cannot be checked: "the parks layer does not have park1" would only mislead.
    """
    n_errors = len(report.errors)
    if "parks" in raw:
        parks = check_parks(raw["parks"], report)
        if parks is not None:
            case.parks = parks
    return len(report.errors) == n_errors and not any(
        f.severity == "error" and f.layer == "parks" for f in report
    )
