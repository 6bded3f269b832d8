"""Writing files and folders so that a crash or a full disk never leaves half a file.

Every writer of a case or a result goes through :func:`atomic_file` (one file) or
:func:`atomic_dir` (a folder of files): the content is written next to the target under a
hidden temporary name and moved into place only once complete. A folder is swapped as a
whole, so a reader sees either the old case or the new one, never a mix.

Every temporary file or folder starts with :data:`TEMP_PREFIX` (``.symbiomap-tmp-``). A
writer that is killed leaves its temporaries behind; the next write in the same folder
removes the ones older than :data:`STALE_AFTER_S` (:func:`cleanup_stale_temporaries`) and
puts back an old case folder that a killed swap had moved aside.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from flows._errors import CaseWriteError

TEMP_PREFIX = ".symbiomap-tmp-"
"""The start of the name of every temporary file or folder SymbioMap's writers create."""

STALE_AFTER_S = 3600.0
"""A temporary untouched for this long belongs to a writer that was killed."""

_NEW_FILE, _NEW_DIR, _OLD_DIR = "file", "new", "old"
"""Kinds of temporaries, spelt in their names: ``<prefix><kind>-<random>-<target name>``."""

_DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def _temp_name(kind: str, target: str) -> tuple[str, str]:
    """Prefix and suffix for :mod:`tempfile`: its random part never holds a ``-``."""
    return f"{TEMP_PREFIX}{kind}-", f"-{target}"


def _free_name(folder: Path, kind: str, target: str) -> Path:
    """A name in ``folder`` that nothing holds yet, for a temporary of ``kind``."""
    while True:
        candidate = folder / f"{TEMP_PREFIX}{kind}-{secrets.token_hex(4)}-{target}"
        if not os.path.lexists(candidate):
            return candidate


def _new_folder(folder: Path, target: str) -> Path:
    """A new empty temporary folder: made by :func:`os.mkdir`, so it has the permissions
    of any new folder (:func:`tempfile.mkdtemp` would give 0o700)."""
    while True:
        candidate = _free_name(folder, _NEW_DIR, target)
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def _parse(name: str) -> tuple[str, str] | None:
    """(kind, target name) of a temporary's name, or ``None`` if it is not one of ours."""
    if not name.startswith(TEMP_PREFIX):
        return None
    parts = name[len(TEMP_PREFIX) :].split("-", 2)
    if len(parts) != 3 or parts[0] not in {_NEW_FILE, _NEW_DIR, _OLD_DIR} or not parts[2]:
        return None
    return parts[0], parts[2]


def _last_touched(path: Path) -> float:
    """The newest modification time of ``path`` and, for a folder, of what it directly holds:
    a large file being written inside a folder does not change the folder's own time."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        with contextlib.suppress(OSError):
            for entry in os.scandir(path):
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def cleanup_stale_temporaries(folder: Path, *, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove what killed writers left in ``folder``; restore a case folder a swap moved aside.

    :func:`atomic_file` and :func:`atomic_dir` call this for the folder they write in, so
    leftovers disappear at the next write there. Only names starting with
    :data:`TEMP_PREFIX` are touched, and only those untouched for ``older_than_s`` seconds
    (a younger one may belong to a writer still running). An old case folder whose target no
    longer exists (the writer was killed between its two renames) is renamed back instead of
    deleted. Best effort: what cannot be removed stays for the next time.

    Parameters
    ----------
    folder
        The folder to clean (not recursively).
    older_than_s
        Minimum age in seconds of a temporary to remove.

    Returns
    -------
    list of Path
        The temporaries removed or restored, as they were named.
    """
    handled: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return handled
    now = time.time()
    for entry in entries:
        parsed = _parse(entry.name)
        if parsed is None:
            continue
        kind, target = parsed
        try:
            if now - _last_touched(entry) < older_than_s:
                continue
            if kind == _OLD_DIR and not (folder / target).exists():
                entry.rename(folder / target)
            elif entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            continue
        handled.append(entry)
    return handled


def _disk_full(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) says the disk or the user's quota is full.

    GDAL and Arrow report a full disk in their own exception types, with the system's text.
    """
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL:
            return True
        if "No space left on device" in str(current) or "Disk quota exceeded" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


_DISK_FULL_START = "the disk is full: "


def _disk_full_error(
    path: Path, err: BaseException, *, what: str, had_previous: bool
) -> CaseWriteError:
    detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    kept = f"the previous {what} is unchanged" if had_previous else "nothing was written"
    msg = (
        f"{_DISK_FULL_START}{path.name} could not be written in {path.parent} ({detail}); "
        f"free some space or save elsewhere, then save again; {kept}"
    )
    out = CaseWriteError(msg)
    out.errno = errno.ENOSPC
    return out


def _raise_if_disk_full(path: Path, err: Exception, *, what: str, had_previous: bool) -> None:
    """Raise the "disk is full" error for ``err`` if it is one (and not already that)."""
    if _disk_full(err) and not str(err).startswith(_DISK_FULL_START):
        raise _disk_full_error(path, err, what=what, had_previous=had_previous) from err


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temporary path does not exist when yielded: writers such as GDAL want to create the
    file themselves. It is removed whatever happens. Stale temporaries of killed writers in
    the same folder are removed first (:func:`cleanup_stale_temporaries`).

    Raises
    ------
    CaseWriteError
        If the disk is full ("the disk is full: …; the previous file is unchanged"); any other
        error of the writer is raised as it is. ``path`` is untouched in both cases.
    """
    had_previous = path.exists()
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cleanup_stale_temporaries(path.parent)
        prefix, suffix = _temp_name(_NEW_FILE, path.name)
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        yield tmp
        tmp.replace(path)
    except Exception as err:
        _raise_if_disk_full(path, err, what="file", had_previous=had_previous)
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def _check_target_folder(path: Path, owned_names: frozenset[str]) -> None:
    if not path.exists():
        return
    if not path.is_dir():
        msg = f"{path.name} exists and is not a folder"
        raise CaseWriteError(msg)
    foreign = sorted(
        p.name
        for p in path.iterdir()
        if p.name not in owned_names and not p.name.startswith(TEMP_PREFIX)
    )
    if foreign:
        msg = (
            f"{path.name} already holds other files ({', '.join(foreign[:5])}); write the "
            "case to a new or empty folder"
        )
        raise CaseWriteError(msg)


def _swap(new: Path, path: Path) -> None:
    """Put folder ``new`` in the place of ``path``: move the old one aside, the new one in,
    delete the old one; if the second rename fails, the old folder goes back."""
    if not path.exists():
        new.rename(path)
        return
    aside = _free_name(path.parent, _OLD_DIR, path.name)
    # The old folder's own time may be days old: make it fresh, so that a cleanup running
    # beside this write does not take it for a leftover while it is moved aside.
    os.utime(path)
    path.rename(aside)
    try:
        new.rename(path)
    except BaseException:
        aside.rename(path)
        raise
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(path: Path, *, owned_names: frozenset[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` as a whole.

    The new content is written into a sibling temporary folder; then the old folder is
    renamed aside, the new one renamed into its place, and the old one deleted. A failure
    at any point leaves the old folder as it was (it is renamed back if the second rename
    fails); a writer killed between the two renames leaves the old case beside the target,
    and the next write in that folder puts it back if the target is still missing
    (:func:`cleanup_stale_temporaries`).

    Parameters
    ----------
    path
        The target folder.
    owned_names
        The file names this writer may create or delete in ``path``. A folder holding any
        other file is refused, never emptied: the swap replaces the whole folder.

    Raises
    ------
    CaseWriteError
        If ``path`` is a file or holds foreign files, or the disk is full ("the disk is full:
        …; the previous folder is unchanged").
    """
    if path.is_symlink():
        # Swap the folder the link points at; renaming the link itself would leave the real
        # folder unchanged and turn the link into a plain folder.
        path = path.resolve()
    _check_target_folder(path, owned_names)
    had_previous = path.exists()
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        cleanup_stale_temporaries(path.parent)
        tmp = _new_folder(path.parent, path.name)
        yield tmp
        if had_previous:
            with contextlib.suppress(OSError):  # keep the folder's permissions
                shutil.copymode(path, tmp)
        _swap(tmp, path)
    except Exception as err:
        _raise_if_disk_full(path, err, what="folder", had_previous=had_previous)
        raise
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
