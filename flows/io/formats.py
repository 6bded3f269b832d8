"""The case formats SymbioMap reads and writes, told apart by a path's suffix, and the one
message for a file a reader failed on in a way it did not foresee."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from flows._errors import CaseReadError

Format = Literal["gpkg", "xlsx", "zip", "folder"]

_MAX_DETAIL_CHARS = 300


def detect_format(path: str | os.PathLike[str]) -> Format:
    """Format of a path from its suffix (a folder or a suffix-less path is a CSV folder)."""
    suffix = Path(path).suffix.lower()
    if suffix in {".gpkg", ".xlsx", ".zip"}:
        return suffix[1:]  # type: ignore[return-value]
    if suffix == "" or Path(path).is_dir():
        return "folder"
    msg = f"{Path(path).name}: unknown case format {suffix!r}; use .gpkg, .xlsx, .zip or a folder"
    raise CaseReadError(msg)


def error_detail(err: BaseException) -> str:
    """``Type: first line of the text``, with the module for non-built-in types (so that a GDAL
    or openpyxl error says where it came from)."""
    kind = type(err)
    name = (
        kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    )
    lines = str(err).strip().splitlines()
    text = lines[0][:_MAX_DETAIL_CHARS] if lines else ""
    return f"{name}: {text}" if text else name


def unreadable(label: str, err: BaseException) -> CaseReadError:
    """The :class:`CaseReadError` for an exception a reader did not turn into a finding.

    The exception's type and text stay in the message, so that a bug in a reader is not hidden
    behind a vague "cannot be read"; callers chain the original (``raise ... from err``).
    """
    detail = error_detail(err)
    if isinstance(err, MemoryError):
        what = "ran out of memory while reading it"
        fix = "the file is far larger than a case should be; split it or check how it was made"
    elif isinstance(err, RecursionError):
        what = "is nested too deeply to read"
        fix = "export it again from the program that made it; a case file is never this deep"
    elif isinstance(err, PermissionError):
        what = "cannot be read: permission denied"
        fix = "make the file readable for your user (e.g. chmod u+r) and try again"
    elif isinstance(err, OSError):
        what = "cannot be read"
        fix = (
            "check that the file is complete, readable and not locked by another program, then "
            "try again"
        )
    else:
        what = "could not be read"
        fix = (
            "save it again as .gpkg, .xlsx, .zip or a folder of CSV files (the template shows "
            "the layout); if it still fails, please report this as a bug with the file"
        )
    return CaseReadError(f"{label}: {what} ({detail}); {fix}")
