"""Writing files and folders so that a crash or a full disk never leaves half a file.

Every writer of a case or a result goes through :func:`atomic_file` (one file) or
:func:`atomic_dir` (a folder of files): the content is written next to the target under a
hidden temporary name and moved into place only once complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flows._errors import CaseWriteError


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temporary path does not exist when yielded: writers such as GDAL want to create the
    file themselves. It is removed whatever happens.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: Path, *, owned_names: frozenset[str]) -> Iterator[Path]:
    """Yield a temporary folder; on success each file in it replaces its old version.

    Parameters
    ----------
    path
        The target folder.
    owned_names
        The file names this writer may create or delete in ``path``. A folder holding any
        other file is refused, never emptied; an owned file the new content lacks is removed.
    """
    if path.exists():
        if not path.is_dir():
            msg = f"{path.name} exists and is not a folder"
            raise CaseWriteError(msg)
        foreign = sorted(p.name for p in path.iterdir() if p.name not in owned_names)
        if foreign:
            msg = (
                f"{path.name} already holds other files ({', '.join(foreign[:5])}); write the "
                "case to a new or empty folder"
            )
            raise CaseWriteError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        path.mkdir(exist_ok=True)
        written = {p.name for p in tmp.iterdir()}
        for name in written:
            (tmp / name).replace(path / name)
        for stale in owned_names - written:  # e.g. parks.geojson of a case that lost its parks
            (path / stale).unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
