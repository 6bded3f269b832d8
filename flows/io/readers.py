"""Reading any case file or folder into raw tables, by its format."""

from __future__ import annotations

from pathlib import Path

from flows.checks.checker import RawTable
from flows.io.archives import read_zip
from flows.io.folders import read_folder
from flows.io.formats import detect_format
from flows.io.gpkg_files import read_gpkg
from flows.io.xlsx_files import read_xlsx
from flows.validation import ValidationReport


def read_any(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    """Read the raw tables of a case file or folder, in the reader its format needs."""
    fmt = detect_format(path) if not path.is_dir() else "folder"
    if fmt == "folder":
        return read_folder(path, report, prefix="")
    if fmt == "zip":
        return read_zip(path, label, report)
    if fmt == "gpkg":
        return read_gpkg(path, label, report)
    return read_xlsx(path, label, report)
