"""Reading and writing cases: GeoPackage, Excel, a folder of CSV/GeoJSON files, or a zip of one.

Reading never raises for bad content: it returns a :class:`LoadResult` whose report names the
file, layer, row and field of every problem. Only input that cannot be opened at all raises
:class:`~flows._errors.CaseReadError`. Writing goes through a temporary file that replaces the
target only once complete, so a failed save never leaves half a file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from datasets.settings import InputLimits
from flows import reference
from flows._errors import CaseReadError, CaseValidationError, SymbioMapError
from flows.checks.case import build_case
from flows.checks.checker import RawTable
from flows.io.flat_tables import flat_sites
from flows.io.folders import CASE_FILES
from flows.io.formats import Format, detect_format, error_detail, unreadable
from flows.io.raw_tables import raw_from_frames
from flows.io.readers import read_any
from flows.io.template import table_spec_rows, template_xlsx_bytes, write_template
from flows.io.writers import case_changes, case_to_bytes, write_case
from flows.model import Case
from flows.resources import Vocabulary
from flows.validation import ValidationReport

__all__ = [
    "CASE_FILES",
    "Format",
    "LoadResult",
    "case_changes",
    "case_to_bytes",
    "detect_format",
    "flat_sites",
    "load_case",
    "load_frames",
    "read_case",
    "table_spec_rows",
    "template_xlsx_bytes",
    "write_case",
    "write_template",
]

_log = logging.getLogger(__name__)


@dataclass
class LoadResult:
    """The outcome of loading a case.

    Attributes
    ----------
    case
        The case, or None when the report holds at least one error.
    report
        Every finding, errors first when shown.
    """

    case: Case | None
    report: ValidationReport


def load_case(
    source: str | os.PathLike[str],
    *,
    display_name: str | None = None,
    vocabulary: Vocabulary | None = None,
    limits: InputLimits | None = None,
) -> LoadResult:
    """Load a case from a ``.gpkg``, ``.xlsx``, ``.zip`` or a folder, validating everything.

    Parameters
    ----------
    source
        Path of the file or folder.
    display_name
        Name used for the file in messages (e.g. the name of an uploaded file), default the
        file's own name.
    vocabulary
        The EWC list and carriers to check resources against (default: the bundled ones of
        :func:`flows.reference.default`).
    limits
        Input limits for the checks (default ``settings.get().limits``).

    Raises
    ------
    CaseReadError
        If the path does not exist or is not a readable case file at all. This is the one
        boundary of the readers and the checks: any exception a reader did not turn into a
        finding or a precise CaseReadError becomes a CaseReadError naming the file, keeping the
        original's type and text in the message and chaining it (``__cause__``); one raised
        by a check is a bug and is called one, its traceback logged.
    """
    path = Path(source)
    label = display_name or path.name
    if not path.exists():
        msg = f"{label}: no such file or folder"
        raise CaseReadError(msg)
    report = ValidationReport()
    try:
        raw = read_any(path, label, report, limits=limits)
    except SymbioMapError:
        # Precise refusals (and settings errors, which are not the file's fault) pass as they are.
        raise
    except Exception as err:
        raise unreadable(label, err) from err
    return _checked(raw, report, label, vocabulary=vocabulary, limits=limits)


def _checked(
    raw: dict[str, RawTable],
    report: ValidationReport,
    label: str,
    *,
    vocabulary: Vocabulary | None,
    limits: InputLimits | None,
) -> LoadResult:
    """Run the checks, turning an exception one of them did not foresee into a CaseReadError.

    The checks turn every problem of the content into a finding, so an exception here is a bug
    in SymbioMap, not in the file: the message says so, and the traceback goes to the log for
    the bug report instead of to the user.
    """
    words = vocabulary or reference.default().vocabulary
    try:
        case = build_case(raw, report, label, vocabulary=words, limits=limits)
    except SymbioMapError:
        # Deliberate refusals (and settings errors) are not bugs; they pass as they are.
        raise
    except Exception as err:
        _log.exception("internal error while checking %s", label)
        msg = (
            f"internal error while checking {label} ({error_detail(err)}); "
            "please report this as a bug"
        )
        raise CaseReadError(msg) from err
    return LoadResult(case, report)


def read_case(
    source: str | os.PathLike[str],
    *,
    vocabulary: Vocabulary | None = None,
    limits: InputLimits | None = None,
) -> Case:
    """Load a case or raise :class:`CaseValidationError` listing its errors.

    ``vocabulary`` and ``limits`` are passed on to :func:`load_case`.
    """
    result = load_case(source, vocabulary=vocabulary, limits=limits)
    if result.case is None:
        msg = f"{Path(source).name} has errors:\n{result.report.format()}"
        raise CaseValidationError(msg, result.report)
    return result.case


def load_frames(
    tables: Mapping[str, pd.DataFrame],
    *,
    label: str = "<frames>",
    vocabulary: Vocabulary | None = None,
    limits: InputLimits | None = None,
) -> LoadResult:
    """Validate in-memory tables shaped like the file formats (sites with lat/lon columns).

    ``parks`` may be a GeoDataFrame; every other table is a plain DataFrame. ``limits`` bound
    the checks (default ``settings.get().limits``); an exception inside a check becomes a
    CaseReadError as in :func:`load_case`.
    """
    report = ValidationReport()
    raw = raw_from_frames(tables, label=label)
    return _checked(raw, report, label, vocabulary=vocabulary, limits=limits)
