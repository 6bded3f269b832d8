"""Atomic writes (flows.atomic): a folder is swapped as a whole, leftovers of killed writers
are cleaned at the next write, and a full disk says so and keeps the previous file."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import pytest

from flows import io
from flows._errors import CaseWriteError
from flows.atomic import (
    TEMP_PREFIX,
    atomic_dir,
    atomic_file,
    cleanup_stale_temporaries,
)
from flows.io.folders import CASE_FILES
from flows.model import Case

OWNED = frozenset({"a.csv", "b.csv", "c.csv"})
HOUR_AGO = time.time() - 7200


def _age(path: Path) -> None:
    """Make ``path`` (and what it holds) look two hours old."""
    for p in [path, *(path.iterdir() if path.is_dir() else [])]:
        os.utime(p, (HOUR_AGO, HOUR_AGO))


def _write_folder(path: Path, content: dict[str, str]) -> None:
    with atomic_dir(path, owned_names=OWNED) as tmp:
        for name, text in content.items():
            (tmp / name).write_text(text)


def _contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_folder_is_swapped_as_a_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "case"
    _write_folder(target, {"a.csv": "old a", "b.csv": "old b"})
    moves: list[tuple[str, str]] = []
    real_rename, real_replace = Path.rename, Path.replace

    def spy_rename(self: Path, to: Path) -> Path:
        moves.append((self.name, Path(to).name))
        return real_rename(self, to)

    def spy_replace(self: Path, to: Path) -> Path:
        moves.append((self.name, Path(to).name))
        return real_replace(self, to)

    monkeypatch.setattr(Path, "rename", spy_rename)
    monkeypatch.setattr(Path, "replace", spy_replace)
    _write_folder(target, {"a.csv": "new a", "c.csv": "new c"})
    # Two renames of whole folders, none of a single file: no moment mixes old and new.
    assert len(moves) == 2, moves
    [(old_from, old_to), (new_from, new_to)] = moves
    assert old_from == "case"
    assert old_to.startswith(f"{TEMP_PREFIX}old-")
    assert new_from.startswith(f"{TEMP_PREFIX}new-")
    assert new_to == "case"
    assert _contents(target) == {"a.csv": "new a", "c.csv": "new c"}
    assert [p.name for p in tmp_path.iterdir()] == ["case"]


def test_failed_swap_restores_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "case"
    _write_folder(target, {"a.csv": "old a", "b.csv": "old b"})
    real_rename = Path.rename

    def fail_moving_in(self: Path, to: Path) -> Path:
        if self.name.startswith(f"{TEMP_PREFIX}new-"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_rename(self, to)

    monkeypatch.setattr(Path, "rename", fail_moving_in)
    with pytest.raises(PermissionError):
        _write_folder(target, {"a.csv": "new a", "b.csv": "new b"})
    assert _contents(target) == {"a.csv": "old a", "b.csv": "old b"}
    assert [p.name for p in tmp_path.iterdir()] == ["case"]


def test_writer_failing_half_way_leaves_the_old_folder(tmp_path: Path) -> None:
    target = tmp_path / "case"
    _write_folder(target, {"a.csv": "old a", "b.csv": "old b"})

    def write_half() -> None:
        with atomic_dir(target, owned_names=OWNED) as tmp:
            (tmp / "a.csv").write_text("new a")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_half()
    assert _contents(target) == {"a.csv": "old a", "b.csv": "old b"}
    assert [p.name for p in tmp_path.iterdir()] == ["case"]


def test_foreign_files_are_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "case"
    _write_folder(target, {"a.csv": "old a"})
    (target / "thesis.docx").write_text("months of work")
    with pytest.raises(CaseWriteError, match=r"already holds other files \(thesis.docx\)"):
        _write_folder(target, {"a.csv": "new a"})
    assert _contents(target) == {"a.csv": "old a", "thesis.docx": "months of work"}
    (tmp_path / "file").write_text("x")
    with pytest.raises(CaseWriteError, match="is not a folder"):
        _write_folder(tmp_path / "file", {"a.csv": "x"})


def test_folder_behind_a_symbolic_link_is_swapped_where_it_lives(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _write_folder(real, {"a.csv": "old a"})
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    _write_folder(link, {"a.csv": "new a"})
    assert link.is_symlink()
    assert _contents(real) == {"a.csv": "new a"}


def test_new_folder_gets_ordinary_permissions(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    _write_folder(tmp_path / "case", {"a.csv": "a"})
    plain_mode = (tmp_path / "plain").stat().st_mode
    assert (tmp_path / "case").stat().st_mode == plain_mode  # not mkdtemp's 0o700


def test_killed_writers_leftovers_are_removed_at_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "result.csv"
    target.write_text("old")
    stale_file = tmp_path / f"{TEMP_PREFIX}file-abcdefgh-result.csv"
    stale_file.write_text("half a file")
    stale_dir = tmp_path / f"{TEMP_PREFIX}new-abcdefgh-case"
    stale_dir.mkdir()
    (stale_dir / "sites.csv").write_text("half a case")
    fresh = tmp_path / f"{TEMP_PREFIX}file-ijklmnop-other.csv"  # a writer still running
    fresh.write_text("being written")
    mine = tmp_path / ".result.csv.swp"  # not ours: never touched
    mine.write_text("an editor's file")
    for p in (stale_file, stale_dir, mine):
        _age(p)
    with atomic_file(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, fresh.name, mine.name]
    )


def test_case_folder_moved_aside_by_a_killed_swap_is_put_back(tmp_path: Path) -> None:
    # Killed between "old folder aside" and "new folder in": the target is missing.
    aside = tmp_path / f"{TEMP_PREFIX}old-abcdefgh-case"
    aside.mkdir()
    (aside / "a.csv").write_text("old a")
    half_new = tmp_path / f"{TEMP_PREFIX}new-ijklmnop-case"
    half_new.mkdir()
    (half_new / "a.csv").write_text("new a")
    _age(aside)
    _age(half_new)
    handled = cleanup_stale_temporaries(tmp_path)
    assert sorted(p.name for p in handled) == sorted([aside.name, half_new.name])
    assert [p.name for p in tmp_path.iterdir()] == ["case"]
    assert _contents(tmp_path / "case") == {"a.csv": "old a"}


def test_cleanup_keeps_young_temporaries_and_a_file_being_written_in_one(
    tmp_path: Path,
) -> None:
    working = tmp_path / f"{TEMP_PREFIX}new-abcdefgh-case"
    working.mkdir()
    _age(working)
    (working / "sites.csv").write_text("being written now")  # the folder's own time is old
    assert cleanup_stale_temporaries(tmp_path) == []
    assert cleanup_stale_temporaries(tmp_path, older_than_s=-1) == [working]
    assert not working.exists()


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _write_file(target: Path, *, fail: bool) -> None:
    with atomic_file(target) as tmp:
        tmp.write_text("new")
        if fail:
            _disk_full()


def test_full_disk_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "result.csv"
    target.write_text("the previous result")
    with pytest.raises(CaseWriteError, match=r"^the disk is full: result\.csv") as caught:
        _write_file(target, fail=True)
    assert str(caught.value).endswith("; the previous file is unchanged")
    assert caught.value.errno == errno.ENOSPC
    assert target.read_text() == "the previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]


def test_full_disk_on_a_new_file_says_nothing_was_written(tmp_path: Path) -> None:
    with pytest.raises(CaseWriteError, match="nothing was written"):
        _write_file(tmp_path / "new.csv", fail=True)
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_saving_a_case_folder_keeps_the_previous_case(
    mini_case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "case"
    io.write_case(mini_case, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    assert set(before) <= CASE_FILES
    monkeypatch.setattr("pandas.DataFrame.to_csv", _disk_full)
    with pytest.raises(CaseWriteError, match="the previous folder is unchanged") as caught:
        io.write_case(mini_case, target)
    assert str(caught.value).startswith("the disk is full: case could not be written")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["case"]


def test_full_disk_while_renaming_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "result.csv"
    target.write_text("the previous result")
    monkeypatch.setattr(Path, "replace", _disk_full)
    with pytest.raises(CaseWriteError, match="the previous file is unchanged"):
        _write_file(target, fail=False)
    assert target.read_text() == "the previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]
