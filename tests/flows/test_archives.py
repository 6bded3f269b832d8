"""Hostile and messy zips, folders and special files; the one boundary of the readers (issue 8).

Each case yields a finding or a CaseReadError naming the file and what to do, never another
exception, never a hang, and never more bytes unpacked than the limit allows.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pyogrio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.exceptions import InvalidFileException

from datasets.settings import InputLimits
from flows._errors import CaseReadError
from flows.io import LoadResult, archives, folders, load_case, readers
from flows.io.archives import read_zip
from flows.io.folders import read_folder
from flows.validation import ValidationReport

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"
MINI_FILES = {p.name: p.read_bytes() for p in sorted(MINI.iterdir())}
DATE = (2026, 1, 1, 0, 0, 0)


def _zip_bytes(
    entries: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED, link: str = ""
) -> bytes:
    """A zip of ``entries``; the member named ``link`` is marked as a symbolic link."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = method
            mode = 0o120777 if name == link else 0o100644
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return buf.getvalue()


def _mini_entries(folder: str = "") -> list[tuple[str, bytes]]:
    return [(f"{folder}{name}", data) for name, data in MINI_FILES.items()]


def _write(tmp_path: Path, data: bytes, name: str = "case.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _mini_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(MINI, folder)
    return folder


def _errors(path: Path) -> list[tuple[str, str | None, str]]:
    report = load_case(path).report
    return [(f.code, f.file, f.message) for f in report.errors]


def _in_thread(func: Callable[[], object], seconds: float = 20) -> object:
    """Run ``func`` in a thread; fail (instead of hanging the suite) if it blocks."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(func())
        except Exception as err:  # handed back to the test to assert on
            out.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the reader blocked"
    return out[0]


# -- zips: sound archives still read ---------------------------------------------------------


def test_zip_of_mini_case_at_root_reads(tmp_path: Path) -> None:
    result = load_case(_write(tmp_path, _zip_bytes(_mini_entries())))
    assert result.case is not None, result.report.format()
    assert len(result.case.sites) == 4


def test_macosx_resource_forks_are_skipped_silently(tmp_path: Path) -> None:
    entries = [*_mini_entries("case/"), ("__MACOSX/case/._sites.csv", b"\x00\x05\x16\x07junk")]
    result = load_case(_write(tmp_path, _zip_bytes(entries)))
    assert result.case is not None, result.report.format()
    assert "W_ZIP_MEMBER_SKIPPED" not in result.report.codes()


def test_shallowest_case_folder_wins_over_a_deeper_one(tmp_path: Path) -> None:
    entries = [*_mini_entries("case/"), ("case/old/backup/sites.csv", b"garbage\n")]
    result = load_case(_write(tmp_path, _zip_bytes(entries)))
    assert result.case is not None, result.report.format()


def test_zip_of_unrelated_files_misses_the_sites_table(tmp_path: Path) -> None:
    data = _zip_bytes([("notes.txt", b"hello"), ("photos/site.jpg", b"\xff\xd8")])
    result = load_case(_write(tmp_path, data, "other.zip"))
    assert [(f.code, f.file) for f in result.report.errors] == [("E_MISSING_TABLE", "other.zip")]


def test_two_case_folders_at_the_same_depth_are_named(tmp_path: Path) -> None:
    data = _zip_bytes(_mini_entries("b/") + _mini_entries("a/"))
    with pytest.raises(CaseReadError) as info:
        load_case(_write(tmp_path, data, "two.zip"))
    assert "two.zip: holds 2 case folders side by side (a/, b/)" in str(info.value)
    assert "zip one case per archive" in str(info.value)


# -- zips: members that cannot be unpacked ---------------------------------------------------


def _patch_method(data: bytes, method: int, *, flags: int | None = None) -> bytes:
    """Set the method (and flag bits) of every member, in local and central headers."""
    out = bytearray(data)
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (at := bytes(out).find(sig, start)) >= 0:
            out[at + method_at : at + method_at + 2] = struct.pack("<H", method)
            if flags is not None:
                out[at + flag_at : at + flag_at + 2] = struct.pack("<H", flags)
            start = at + 4
    return bytes(out)


@pytest.mark.parametrize(
    ("method", "flags", "text"),
    [
        (99, 0x1, "is encrypted with WinZip AES"),
        (zipfile.ZIP_DEFLATED, 0x1, "is encrypted with a password (ZipCrypto)"),
        (9, None, "compressed with method 9 (deflate64)"),
        (98, None, "compressed with method 98 (PPMd)"),
        (77, None, "compressed with method 77 (unknown)"),
    ],
)
def test_member_that_cannot_be_unpacked_is_named(
    tmp_path: Path, method: int, flags: int | None, text: str
) -> None:
    data = _patch_method(_zip_bytes([("sites.csv", MINI_FILES["sites.csv"])]), method, flags=flags)
    with pytest.raises(CaseReadError) as info:
        load_case(_write(tmp_path, data, "up.zip"))
    message = str(info.value)
    assert message.startswith("up.zip: member 'sites.csv' ")
    assert text in message
    assert "without a password" in message or "standard deflate" in message


def test_corrupt_deflate_stream_is_named(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes([("sites.csv", MINI_FILES["sites.csv"])]))
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    data[30 + name_len + extra_len] = 0xFF  # a reserved deflate block type
    with pytest.raises(CaseReadError, match=r"'sites\.csv' is damaged") as info:
        load_case(_write(tmp_path, bytes(data)))
    assert isinstance(info.value.__cause__, zlib.error)


def test_crc_mismatch_is_named(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes(_mini_entries(), method=zipfile.ZIP_STORED))
    data[30 + len("exchanges.csv") + 20] ^= 0x01  # inside the first member's data
    with pytest.raises(
        CaseReadError, match=r"'exchanges\.csv' is damaged: its data does not match"
    ):
        load_case(_write(tmp_path, bytes(data)))


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_archive_says_so(tmp_path: Path, keep: float) -> None:
    data = _zip_bytes(_mini_entries())
    with pytest.raises(CaseReadError, match="truncated"):
        load_case(_write(tmp_path, data[: int(len(data) * keep)]))


def test_zip_holding_only_a_zip_says_unzip_it_first(tmp_path: Path) -> None:
    data = _zip_bytes([("inner.zip", _zip_bytes(_mini_entries()))])
    with pytest.raises(CaseReadError, match=r"holds another zip \('inner.zip'\)"):
        load_case(_write(tmp_path, data))


# -- zips: bombs -------------------------------------------------------------------------------

SMALL = InputLimits(max_uncompressed_bytes=1024 * 1024)


def _incompressible(size: int) -> bytes:
    # A CSV comment-free blob that deflate cannot shrink, so no ratio guard fires.
    return os.urandom(size)


def test_archive_larger_than_the_limit_is_refused_naming_limit_and_hint(tmp_path: Path) -> None:
    data = _zip_bytes([("sites.csv", _incompressible(2 * 1024 * 1024))])
    with pytest.raises(CaseReadError) as info:
        read_zip(_write(tmp_path, data), "big.zip", ValidationReport(), limits=SMALL)
    message = str(info.value)
    assert "more than the limit of 1 MiB" in message
    assert "SYMBIOMAP_MAX_UNCOMPRESSED_MB" in message


def test_bytes_are_counted_while_streaming_not_taken_from_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-in for a header that lies about sizes: the up-front check sees nothing.
    monkeypatch.setattr(archives, "_check_declared", lambda *_a, **_k: None)
    entries = [("sites.csv", _incompressible(700_000)), ("flows.csv", _incompressible(700_000))]
    with pytest.raises(CaseReadError, match="whatever its headers say") as info:
        read_zip(_write(tmp_path, _zip_bytes(entries)), "lie.zip", ValidationReport(), limits=SMALL)
    assert "SYMBIOMAP_MAX_UNCOMPRESSED_MB" in str(info.value)


def test_high_ratio_member_is_refused_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archives, "_check_declared", lambda *_a, **_k: None)
    data = _zip_bytes([("sites.csv", b"\n" * (8 * 1024 * 1024))])
    with pytest.raises(CaseReadError, match="refused as a likely zip bomb"):
        load_case(_write(tmp_path, data))


def test_lying_header_does_not_let_450_mib_through(tmp_path: Path) -> None:
    """450 MiB of zeros whose headers claim 1 KiB: refused, and only ~1 KiB ever written."""
    path = tmp_path / "bomb.zip"
    chunk = bytes(1024 * 1024)
    info = zipfile.ZipInfo("sites.csv", date_time=DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as archive, archive.open(info, "w") as member:
        for _ in range(450):
            member.write(chunk)
    data = bytearray(path.read_bytes())
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(sig)
        data[at + size_at : at + size_at + 4] = struct.pack("<I", 1024)
    path.write_bytes(bytes(data))
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(CaseReadError, match=r"'sites\.csv' is damaged"):
        load_case(path)


def test_honest_header_of_a_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    info = zipfile.ZipInfo("sites.csv", date_time=DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w") as archive, archive.open(info, "w") as member:
        for _ in range(300):
            member.write(chunk)
    with pytest.raises(CaseReadError) as refused:
        load_case(path)
    assert "says it unpacks to 300.0 MiB, more than the limit of 200 MiB" in str(refused.value)
    assert "SYMBIOMAP_MAX_UNCOMPRESSED_MB (in MB)" in str(refused.value)


# -- zips: unsafe members ------------------------------------------------------------------------


def test_unsafe_members_are_skipped_and_named(tmp_path: Path) -> None:
    entries = [
        *_mini_entries(),
        ("../evil.csv", b"x"),
        ("/etc/evil.csv", b"x"),
        ("C:/evil.csv", b"x"),
        ("dir\\..\\..\\evil.csv", b"x"),
        ("link.csv", b"/etc/passwd"),
    ]
    result = load_case(_write(tmp_path, _zip_bytes(entries, link="link.csv")))
    assert result.case is not None, result.report.format()
    (warning,) = [f for f in result.report.warnings if f.code == "W_ZIP_MEMBER_SKIPPED"]
    for name in ("'../evil.csv'", "'/etc/evil.csv'", "'C:/evil.csv'", "'link.csv'"):
        assert name in warning.message
    assert "skipped 5 unsafe member(s)" in warning.message
    assert not (tmp_path.parent / "evil.csv").exists()


def test_unsafe_sites_file_beside_safe_tables_warns_and_misses_sites(tmp_path: Path) -> None:
    entries = [(n if n != "sites.csv" else "../sites.csv", d) for n, d in _mini_entries()]
    result = load_case(_write(tmp_path, _zip_bytes(entries)))
    assert result.case is None
    assert {"W_ZIP_MEMBER_SKIPPED", "E_MISSING_TABLE"} <= result.report.codes()


def test_symlinked_case_files_only_is_an_error_saying_so(tmp_path: Path) -> None:
    data = _zip_bytes([("sites.csv", b"/etc/passwd")], link="sites.csv")
    with pytest.raises(
        CaseReadError, match=r"only case files were skipped as unsafe: 'sites\.csv'"
    ):
        load_case(_write(tmp_path, data))


# -- zips: fuzz ----------------------------------------------------------------------------------

_SOUND = _zip_bytes([("sites.csv", MINI_FILES["sites.csv"])])


def _finding_or_case(path: Path) -> None:
    refusal = ""
    try:
        result = load_case(path)
    except CaseReadError as err:
        refusal = str(err)
    if refusal:
        # A precise refusal, not the boundary's catch-all for an exception nobody foresaw.
        assert "could not be read (" not in refusal
        return
    assert result.case is not None or result.report.has_errors


@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(_SOUND) - 1), st.integers(0, 255)), min_size=1, max_size=6
    ),
    cut=st.integers(1, len(_SOUND)),
)
def test_fuzz_damaged_zip_bytes(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_SOUND)
    for at, value in edits:
        data[at] = value
    path = tmp_path_factory.mktemp("fz") / "case.zip"
    path.write_bytes(bytes(data[:cut]))
    _finding_or_case(path)


_SEGMENT = st.sampled_from(
    ["", ".", "..", "case", "__MACOSX", "C:", "a\\..", "sites.csv", "flows.csv", "x.zip", "é"]
)


@given(
    names=st.lists(
        st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join), min_size=1, max_size=5
    ),
    payload=st.sampled_from([b"", b"site_id\n", MINI_FILES["sites.csv"], b"\xff\xfe\x00"]),
    link=st.booleans(),
)
def test_fuzz_member_names(
    tmp_path_factory: pytest.TempPathFactory,
    names: list[str],
    payload: bytes,
    link: bool,
) -> None:
    unique = dict.fromkeys(n for n in names if n and not n.endswith("/"))
    entries = [(name, payload) for name in unique]
    if not entries:
        entries = [("sites.csv", payload)]
    data = _zip_bytes(entries, link=entries[0][0] if link else "")
    path = tmp_path_factory.mktemp("fn") / "case.zip"
    path.write_bytes(data)
    _finding_or_case(path)


# -- folders: entries that are not regular files ---------------------------------------------


def test_folder_named_like_a_table_is_reported_as_a_folder(tmp_path: Path) -> None:
    folder = _mini_folder(tmp_path)
    (folder / "flows.csv").unlink()
    (folder / "flows.csv").mkdir()
    (code, file, message), *rest = _errors(folder)
    assert (code, file) == ("E_NOT_A_FILE", "flows.csv")
    assert message.startswith("flows.csv is a folder, not a file")
    assert rest == []


def test_named_pipe_is_never_opened(tmp_path: Path) -> None:
    folder = _mini_folder(tmp_path)
    (folder / "sites.csv").unlink()
    os.mkfifo(folder / "sites.csv")
    result = _in_thread(lambda: load_case(folder))
    assert isinstance(result, LoadResult), result
    errors = [(f.code, f.message) for f in result.report.errors]
    assert errors == [
        ("E_NOT_A_FILE", "sites.csv is a named pipe (FIFO), not a file; it was not opened")
    ]


def test_named_pipe_given_as_the_case_is_refused_without_opening(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "case.zip")
    result = _in_thread(lambda: load_case(tmp_path / "case.zip"))
    assert isinstance(result, CaseReadError)
    assert "case.zip: is a named pipe (FIFO), not a case file" in str(result)


def test_device_behind_a_symlink_is_named(tmp_path: Path) -> None:
    folder = _mini_folder(tmp_path)
    (folder / "flows.csv").unlink()
    (folder / "flows.csv").symlink_to("/dev/zero")
    result = _in_thread(lambda: load_case(folder))
    assert isinstance(result, LoadResult), result
    (finding,) = result.report.errors
    assert finding.code == "E_NOT_A_FILE"
    assert "flows.csv is a character device (through a symbolic link)" in finding.message


def test_broken_symlink_and_link_loop_are_named(tmp_path: Path) -> None:
    folder = _mini_folder(tmp_path)
    (folder / "flows.csv").unlink()
    (folder / "flows.csv").symlink_to("gone.csv")
    (folder / "sources.csv").unlink()
    (folder / "sources.csv").symlink_to("sources.csv")
    messages = {file: message for code, file, message in _errors(folder) if code == "E_NOT_A_FILE"}
    assert "broken symbolic link (to 'gone.csv'" in messages["flows.csv"]
    assert messages["sources.csv"].startswith("sources.csv cannot be opened")


_ENTRY_KINDS = ["file", "missing", "folder", "fifo", "broken", "loop", "devnull", "empty"]


def _make_entry(path: Path, kind: str, data: bytes) -> None:
    if kind == "file":
        path.write_bytes(data)
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "broken":
        path.symlink_to("nowhere.csv")
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "devnull":
        path.symlink_to(os.devnull)
    elif kind == "empty":
        path.write_bytes(b"")


@given(kinds=st.lists(st.sampled_from(_ENTRY_KINDS), min_size=6, max_size=6))
def test_fuzz_folder_entries(tmp_path_factory: pytest.TempPathFactory, kinds: list[str]) -> None:
    folder = tmp_path_factory.mktemp("ff")
    for (name, data), kind in zip(MINI_FILES.items(), kinds, strict=True):
        _make_entry(folder / name, kind, data)
    result = _in_thread(lambda: load_case(folder))
    if isinstance(result, CaseReadError):
        assert "could not be read (" not in str(result)
        return
    assert isinstance(result, LoadResult), result
    assert result.case is not None or result.report.has_errors


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads files whatever their permissions; see the monkeypatched test below",
)
def test_unreadable_file_chmod_000(tmp_path: Path) -> None:
    folder = _mini_folder(tmp_path)
    (folder / "sites.csv").chmod(0)
    try:
        ((code, file, message),) = _errors(folder)
    finally:
        (folder / "sites.csv").chmod(0o644)
    assert (code, file) == ("E_FILE_UNREADABLE", "sites.csv")
    assert "permission denied" in message


def test_unreadable_file_permission_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _mini_folder(tmp_path)
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "sites.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", deny)
    ((code, file, message),) = _errors(folder)
    assert (code, file) == ("E_FILE_UNREADABLE", "sites.csv")
    assert message == "sites.csv cannot be read: permission denied"


def test_file_larger_than_the_limit_is_not_read(tmp_path: Path) -> None:
    folder = _mini_folder(tmp_path)
    with (folder / "flows.csv").open("ab") as fh:
        fh.truncate(2 * 1024 * 1024)
    report = ValidationReport()
    raw = read_folder(folder, report, prefix="", limits=SMALL)
    assert "flows" not in raw
    (finding,) = report.errors
    assert finding.code == "E_FILE_TOO_LARGE"
    assert "more than the limit of 1 MiB" in finding.message
    assert "SYMBIOMAP_MAX_UNCOMPRESSED_MB" in finding.hint


def test_suffixless_file_is_not_taken_for_a_folder(tmp_path: Path) -> None:
    (tmp_path / "case").write_text("site_id\n", encoding="utf-8")
    with pytest.raises(CaseReadError, match="is a file without a suffix, not a folder"):
        load_case(tmp_path / "case")


# -- the one boundary ----------------------------------------------------------------------------


class _BoomError(Exception):
    """A programming error no reader foresaw."""


UNEXPECTED = [
    OSError(5, "Input/output error"),
    UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    ValueError("could not convert string to float: 'x'"),
    zipfile.BadZipFile("Bad magic number for file header"),
    zlib.error("Error -3 while decompressing data"),
    RecursionError("maximum recursion depth exceeded"),
    MemoryError(),
    NotImplementedError("That compression method is not supported"),
    RuntimeError("File is encrypted, password required"),
    pyogrio.errors.DataSourceError("failed to open dataset"),
    InvalidFileException("openpyxl does not support the old .xls file format"),
    KeyError("sheet"),
    _BoomError("an unforeseen bug"),
]


@pytest.mark.parametrize("err", UNEXPECTED, ids=lambda e: type(e).__name__)
def test_boundary_turns_any_reader_failure_into_case_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: Exception
) -> None:
    def fail(*_args: object, **_kwargs: object) -> object:
        raise err

    monkeypatch.setattr(readers, "read_xlsx", fail)
    path = tmp_path / "case.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(CaseReadError) as info:
        load_case(path, display_name="upload.xlsx")
    message = str(info.value)
    assert message.startswith("upload.xlsx: ")
    assert type(err).__name__ in message
    assert str(err).strip("'") in message
    assert info.value.__cause__ is err


def test_boundary_names_the_file_inside_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(path: Path, *_args: object, **_kwargs: object) -> object:
        if path.name == "flows.csv":
            raise _BoomError("exploded")
        return real(path, *_args)

    real = folders.read_csv
    monkeypatch.setattr(folders, "read_csv", fail)
    data = _zip_bytes(_mini_entries("case/"))
    with pytest.raises(CaseReadError) as info:
        load_case(_write(tmp_path, data, "up.zip"))
    assert str(info.value).startswith("up.zip/case/flows.csv: could not be read (")
    assert "test_archives._BoomError: exploded" in str(info.value)


def test_boundary_keeps_precise_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    precise = CaseReadError("case.gpkg: not a GeoPackage (precise)")

    def fail(*_args: object, **_kwargs: object) -> object:
        raise precise

    monkeypatch.setattr(readers, "read_gpkg", fail)
    path = tmp_path / "case.gpkg"
    path.write_bytes(b"x")
    with pytest.raises(CaseReadError) as info:
        load_case(path)
    assert info.value is precise


def test_boundary_in_the_cli_exits_2_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows import cli  # noqa: PLC0415

    def fail(*_args: object, **_kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(readers, "read_xlsx", fail)
    path = tmp_path / "case.xlsx"
    path.write_bytes(b"PK")
    assert cli.main(["validate", str(path)]) == cli.EXIT_UNREADABLE
    _, err = capsys.readouterr()
    assert "case.xlsx: ran out of memory while reading it (MemoryError)" in err
