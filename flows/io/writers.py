"""Writing a case in the format a path's suffix names, atomically, or as bytes.

Writers change text only to keep a file safe and whole (control characters a format cannot
hold, formula-like CSV cells); every change is returned as a note so the caller can tell the
user instead of losing it in a log.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import pyogrio

from flows._errors import CaseWriteError
from flows.atomic import atomic_dir, atomic_file
from flows.io.archives import write_zip
from flows.io.folders import CASE_FILES, prepared_folder, write_folder
from flows.io.formats import detect_format
from flows.io.gpkg_files import write_gpkg
from flows.io.xlsx_files import prepared_sheets, write_xlsx
from flows.model import Case

FileFormat = Literal["gpkg", "xlsx", "zip"]
"""The single-file formats a case is written as."""


def _write_file(case: Case, fmt: FileFormat, path: Path, notes: list[str]) -> None:
    """Write ``case`` to ``path`` as ``fmt``, appending each writer's notes to ``notes``."""
    if fmt == "xlsx":
        notes.extend(write_xlsx(case, path))
    elif fmt == "zip":
        write_zip(case, path, notes=notes)
    else:
        # A GeoPackage changes no text: it refuses what it cannot store (a NUL) instead.
        write_gpkg(case, path)


def write_case(
    case: Case, target: str | os.PathLike[str], *, notes: list[str] | None = None
) -> Path:
    """Write ``case`` to ``target`` in the format its suffix names, replacing it atomically.

    Parameters
    ----------
    case
        The case to write.
    target
        A ``.gpkg``, ``.xlsx`` or ``.zip`` file, or a folder (CSV files and a parks GeoJSON).
    notes
        If given, one sentence per change a writer made to keep the file safe (control
        characters removed, formula-like CSV cells quoted) is appended, for the user; nothing
        is appended when writing fails.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    CaseWriteError
        If writing fails; an existing target is then left as it was.
    """
    path = Path(target)
    fmt = detect_format(path)
    changes: list[str] = []
    try:
        if fmt == "folder":
            with atomic_dir(path, owned_names=CASE_FILES) as tmp:
                write_folder(case, tmp, notes=changes)
        else:
            with atomic_file(path) as tmp:
                _write_file(case, fmt, tmp, changes)
    except CaseWriteError:
        raise
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as err:
        msg = f"could not write {path.name}: {err}"
        raise CaseWriteError(msg) from err
    if notes is not None:
        notes.extend(changes)
    return path


def case_to_bytes(case: Case, fmt: FileFormat, *, notes: list[str] | None = None) -> bytes:
    """Serialise ``case`` as a GeoPackage, Excel workbook or zip of CSV files.

    ``notes``, if given, gets the writers' notes as in :func:`write_case`.
    """
    changes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"case.{fmt}"
        _write_file(case, fmt, path, changes)
        data = path.read_bytes()
    if notes is not None:
        notes.extend(changes)
    return data


def case_changes(case: Case, fmt: FileFormat | Literal["folder"]) -> list[str]:
    """The notes writing ``case`` as ``fmt`` would make, without writing it.

    The same preparation the writers use (:func:`~flows.io.folders.prepared_folder`,
    :func:`~flows.io.xlsx_files.prepared_sheets`), so a page can show what a download changes
    before the file is built on click.

    Raises
    ------
    CaseWriteError
        If the case cannot be written as ``fmt`` (a text too long for an Excel cell).
    """
    if fmt == "xlsx":
        return prepared_sheets(case)[1]
    if fmt in ("zip", "folder"):
        return prepared_folder(case)[2]
    return []
