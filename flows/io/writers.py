"""Writing a case in the format a path's suffix names, atomically, or as bytes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import pyogrio

from flows._errors import CaseWriteError
from flows.atomic import atomic_dir, atomic_file
from flows.io.archives import write_zip
from flows.io.folders import CASE_FILES, write_folder
from flows.io.formats import detect_format
from flows.io.gpkg_files import write_gpkg
from flows.io.xlsx_files import write_xlsx
from flows.model import Case

_WRITERS = {"gpkg": write_gpkg, "xlsx": write_xlsx, "zip": write_zip}


def write_case(case: Case, target: str | os.PathLike[str]) -> Path:
    """Write ``case`` to ``target`` in the format its suffix names, replacing it atomically.

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
    try:
        if fmt == "folder":
            with atomic_dir(path, owned_names=CASE_FILES) as tmp:
                write_folder(case, tmp)
        else:
            with atomic_file(path) as tmp:
                _WRITERS[fmt](case, tmp)
    except CaseWriteError:
        raise
    except (OSError, ValueError, pyogrio.errors.DataSourceError) as err:
        msg = f"could not write {path.name}: {err}"
        raise CaseWriteError(msg) from err
    return path


def case_to_bytes(case: Case, fmt: Literal["gpkg", "xlsx", "zip"]) -> bytes:
    """Serialise ``case`` as a GeoPackage, Excel workbook or zip of CSV files."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"case.{fmt}"
        _WRITERS[fmt](case, path)
        return path.read_bytes()
