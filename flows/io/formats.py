"""The case formats SymbioMap reads and writes, told apart by a path's suffix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from flows._errors import CaseReadError

Format = Literal["gpkg", "xlsx", "zip", "folder"]


def detect_format(path: str | os.PathLike[str]) -> Format:
    """Format of a path from its suffix (a folder or a suffix-less path is a CSV folder)."""
    suffix = Path(path).suffix.lower()
    if suffix in {".gpkg", ".xlsx", ".zip"}:
        return suffix[1:]  # type: ignore[return-value]
    if suffix == "" or Path(path).is_dir():
        return "folder"
    msg = f"{Path(path).name}: unknown case format {suffix!r}; use .gpkg, .xlsx, .zip or a folder"
    raise CaseReadError(msg)
