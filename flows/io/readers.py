"""Reading any case file or folder into raw tables, by its format."""

from __future__ import annotations

import stat
from pathlib import Path

from datasets.settings import InputLimits
from flows._errors import CaseReadError
from flows.checks.checker import RawTable
from flows.io.archives import read_zip
from flows.io.folders import read_folder
from flows.io.formats import detect_format, unreadable
from flows.io.gpkg_files import read_gpkg
from flows.io.xlsx_files import read_xlsx
from flows.validation import ValidationReport

_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(path: Path, label: str) -> str:
    """``"dir"`` or ``"file"``; anything else is refused without being opened, since opening a
    named pipe blocks and a device such as /dev/zero never ends."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        raise unreadable(label, err) from err
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    msg = (
        f"{label}: is {kind}, not a case file; it was not opened. Give a .gpkg, .xlsx or .zip "
        "file or a case folder"
    )
    raise CaseReadError(msg)


def read_any(
    path: Path, label: str, report: ValidationReport, *, limits: InputLimits | None = None
) -> dict[str, RawTable]:
    """Read the raw tables of a case file or folder, in the reader its format needs."""
    kind = _kind(path, label)
    if kind == "dir":
        return read_folder(path, report, prefix="", limits=limits)
    fmt = detect_format(path)
    if fmt == "folder":
        msg = (
            f"{label}: is a file without a suffix, not a folder; give a .gpkg, .xlsx or .zip "
            "file, or the folder holding sites.csv"
        )
        raise CaseReadError(msg)
    if fmt == "zip":
        return read_zip(path, label, report, limits=limits)
    if fmt == "gpkg":
        return read_gpkg(path, label, report, limits=limits)
    return read_xlsx(path, label, report, limits=limits)
