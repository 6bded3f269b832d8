"""Reading and writing a zip of a case folder, with limits on what an archive may unpack.

Only the table files of the one case folder in the archive are unpacked, each under its bare
file name into a private temporary folder, so no member name can write outside it. Sizes are
counted as bytes come out of the decompressor, not taken from the archive's headers, which a
hostile archive may fill with anything.
"""

from __future__ import annotations

import lzma
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from datasets import settings
from datasets.settings import InputLimits
from flows._errors import CaseReadError
from flows.checks.checker import RawTable
from flows.io.folders import TABLE_FILE_NAMES, read_folder, write_folder
from flows.model import Case
from flows.validation import ValidationReport

RATIO_FLOOR_BYTES = 1024 * 1024
"""Below this a member may have any ratio (a header-only CSV compresses very well)."""

_CHUNK = 64 * 1024
_SUPPORTED_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_METHOD_NAMES = {
    1: "shrink",
    6: "implode",
    9: "deflate64",
    10: "PKWARE implode",
    19: "IBM LZ77",
    93: "zstandard",
    95: "xz",
    96: "JPEG",
    97: "WavPack",
    98: "PPMd",
    99: "WinZip AES encryption",
}
_WINZIP_AES = 99
_FLAG_ENCRYPTED = 0x1
_DRIVE = re.compile(r"^[A-Za-z]:")
_REZIP = (
    "zip the case folder again with standard deflate and no password (e.g. 'Send to > "
    "Compressed folder' or 'zip -r case.zip case/')"
)


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    path: PurePosixPath


def read_zip(
    path: Path,
    label: str,
    report: ValidationReport,
    *,
    limits: InputLimits | None = None,
) -> dict[str, RawTable]:
    """Unpack a zipped case and read the shallowest folder in it that holds a sites file.

    Raises
    ------
    CaseReadError
        If the file is not a zip or is truncated; if a table file is encrypted, compressed with
        a method Python cannot unpack, or damaged (bad CRC, corrupt data); if the archive would
        unpack to more than ``limits.max_uncompressed_bytes`` or a member expands more than
        ``limits.max_compression_ratio`` times; if it holds only another zip, only unsafe members,
        or two case folders side by side.
    """
    bounds = limits or settings.get().limits
    archive = _open(path, label)
    with archive, tempfile.TemporaryDirectory() as tmp:
        safe, skipped = _sort_members(archive)
        if skipped:
            names = ", ".join(repr(m.filename) for m in skipped)
            report.add(
                file=label,
                layer=None,
                severity="warning",
                code="W_ZIP_MEMBER_SKIPPED",
                message=f"skipped {len(skipped)} unsafe member(s): {names} (absolute paths, "
                "'..' or symbolic links could write outside the folder the case is unpacked to)",
                hint="zip the case folder with relative paths and real files, not links",
            )
        tables = [m for m in safe if m.path.name.lower() in TABLE_FILE_NAMES]
        root = Path(tmp)
        if not tables:
            _refuse_without_tables(label, safe, skipped)
            # Unrelated files only: the folder reader reports the missing sites table.
            return read_folder(root, report, prefix=f"{label}/", limits=bounds)
        folder = _case_folder(label, tables)
        chosen = [m for m in tables if m.path.parent == folder]
        _check_declared(label, chosen, bounds)
        total = 0
        for member in chosen:
            total = _extract(
                archive, member, root / member.path.name, label=label, total=total, limits=bounds
            )
        inner = folder.as_posix()
        prefix = f"{label}/" + (f"{inner}/" if inner != "." else "")
        return read_folder(root, report, prefix=prefix, limits=bounds)


def _open(path: Path, label: str) -> zipfile.ZipFile:
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
        is_zip = zipfile.is_zipfile(path)
    except OSError as err:
        msg = f"{label}: cannot be read ({err.strerror or err})"
        raise CaseReadError(msg) from err
    if not is_zip:
        if head == b"PK\x03\x04":
            msg = (
                f"{label}: not a zip archive it can read: it starts like one but its end (the "
                "central directory) is missing, so it is truncated; copy or download it again "
                "in full"
            )
        else:
            msg = f"{label}: not a zip archive (is it damaged, or another format renamed .zip?)"
        raise CaseReadError(msg)
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        msg = (
            f"{label}: not a zip archive it can read: its directory is damaged or truncated "
            f"({err}); copy or download it again in full, or {_REZIP}"
        )
        raise CaseReadError(msg) from err


def _sort_members(archive: zipfile.ZipFile) -> tuple[list[_Member], list[zipfile.ZipInfo]]:
    """(safe members, unsafe members); folders and macOS resource forks are dropped."""
    safe: list[_Member] = []
    skipped: list[zipfile.ZipInfo] = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        # Zip names use '/', but archives made on Windows sometimes use '\'.
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if not parts or parts[0] == "__MACOSX":
            continue
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        if name.startswith("/") or _DRIVE.match(name) or ".." in parts or is_link:
            skipped.append(info)
            continue
        safe.append(_Member(info, PurePosixPath(*[p for p in parts if p != "."])))
    return safe, skipped


def _refuse_without_tables(label: str, safe: list[_Member], skipped: list[zipfile.ZipInfo]) -> None:
    """Raise the precise error for an archive without a readable table file, if there is one;
    return for an archive of unrelated files (the folder reader reports the missing sites)."""
    lost = [
        i.filename for i in skipped if PurePosixPath(i.filename).name.lower() in TABLE_FILE_NAMES
    ]
    if lost:
        msg = (
            f"{label}: its only case files were skipped as unsafe: {', '.join(map(repr, lost))} "
            "(absolute paths, '..' or symbolic links); zip the case folder again with relative "
            "paths and real files"
        )
        raise CaseReadError(msg)
    zips = [m.info.filename for m in safe if m.path.suffix.lower() == ".zip"]
    if zips:
        msg = (
            f"{label}: holds another zip ({', '.join(map(repr, zips))}) and no case files; "
            "unzip it first and load the inner archive"
        )
        raise CaseReadError(msg)


def _case_folder(label: str, tables: list[_Member]) -> PurePosixPath:
    """The shallowest folder with a sites file (else with any table file); two at that depth
    are an error, since picking one would depend on the order of the archive."""
    sites = {m.path.parent for m in tables if m.path.stem.lower() == "sites"}
    folders = sites or {m.path.parent for m in tables}
    depth = min(len(f.parts) for f in folders)
    shallowest = sorted(f for f in folders if len(f.parts) == depth)
    if len(shallowest) > 1 and sites:
        names = ", ".join(f"{f.as_posix()}/" for f in shallowest)
        msg = (
            f"{label}: holds {len(shallowest)} case folders side by side ({names}), each with a "
            "sites file; zip one case per archive"
        )
        raise CaseReadError(msg)
    return shallowest[0]


def _check_declared(label: str, chosen: list[_Member], limits: InputLimits) -> None:
    """Refuse at once what the headers admit to; the honest bomb need not be unpacked."""
    declared = sum(m.info.file_size for m in chosen)
    if declared > limits.max_uncompressed_bytes:
        raise _too_big(label, declared, limits, declared=True)
    for m in chosen:
        if (
            m.info.file_size > RATIO_FLOOR_BYTES
            and m.info.file_size > limits.max_compression_ratio * max(m.info.compress_size, 1)
        ):
            raise _ratio(label, m, m.info.file_size, limits)


def _too_big(label: str, size: int, limits: InputLimits, *, declared: bool) -> CaseReadError:
    limit = f"the limit of {limits.max_uncompressed_bytes / 2**20:.0f} MiB (max_uncompressed_bytes)"
    if declared:
        what = f"says it unpacks to {size / 2**20:.1f} MiB, more than {limit}; nothing was unpacked"
    else:
        what = f"unpacks to more than {limit}, whatever its headers say; unpacking was stopped"
    hint = settings.limit_hint("max_uncompressed_bytes")
    return CaseReadError(f"{label}: the archive {what}. {hint[:1].upper()}{hint[1:]}")


def _ratio(label: str, member: _Member, size: int, limits: InputLimits) -> CaseReadError:
    packed = max(member.info.compress_size, 1)
    return CaseReadError(
        f"{label}: member {member.info.filename!r} expands {size // packed:,} times its "
        f"compressed size ({packed:,} bytes to more than {size:,}), beyond the "
        f"{limits.max_compression_ratio} times a case file plausibly does "
        "(max_compression_ratio): refused as a likely zip bomb; "
        + settings.limit_hint("max_compression_ratio")
    )


def _extract(
    archive: zipfile.ZipFile,
    member: _Member,
    target: Path,
    *,
    label: str,
    total: int,
    limits: InputLimits,
) -> int:
    """Copy one member to ``target``, counting bytes as they come; the new running total."""
    info = member.info
    where = f"{label}: member {info.filename!r}"
    if info.compress_type == _WINZIP_AES:
        msg = (
            f"{where} is encrypted with WinZip AES, which cannot be read; "
            f"export it again without a password: {_REZIP}"
        )
        raise CaseReadError(msg)
    if info.flag_bits & _FLAG_ENCRYPTED:
        msg = (
            f"{where} is encrypted with a password (ZipCrypto), which cannot be read here; "
            f"export it again without a password: {_REZIP}"
        )
        raise CaseReadError(msg)
    if info.compress_type not in _SUPPORTED_METHODS:
        method = _METHOD_NAMES.get(info.compress_type, "unknown")
        msg = (
            f"{where} is compressed with method {info.compress_type} ({method}), which cannot "
            f"be unpacked; {_REZIP}"
        )
        raise CaseReadError(msg)
    written = 0
    packed = max(info.compress_size, 1)
    try:
        with archive.open(info) as src, target.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if total + written > limits.max_uncompressed_bytes:
                    raise _too_big(label, total + written, limits, declared=False)
                if written > RATIO_FLOOR_BYTES and written > limits.max_compression_ratio * packed:
                    raise _ratio(label, member, written, limits)
                dst.write(chunk)
    except CaseReadError:
        target.unlink(missing_ok=True)
        raise
    except zipfile.BadZipFile as err:
        crc = "CRC" in str(err)
        what = (
            "is damaged: its data does not match its checksum (CRC)"
            if crc
            else f"is damaged ({err})"
        )
        msg = f"{where} {what}; copy or download the archive again, or {_REZIP}"
        raise CaseReadError(msg) from err
    except (zlib.error, lzma.LZMAError, EOFError, OSError) as err:
        # bz2 reports corrupt data as OSError; a stream cut short as EOFError.
        msg = (
            f"{where} is damaged: its compressed data cannot be unpacked ({err}); copy or "
            f"download the archive again, or {_REZIP}"
        )
        raise CaseReadError(msg) from err
    except (NotImplementedError, RuntimeError) as err:
        # zipfile's own refusals: a method it lacks, or a password it was not given.
        msg = f"{where} cannot be unpacked ({err}); export it again without a password: {_REZIP}"
        raise CaseReadError(msg) from err
    return total + written


def write_zip(case: Case, path: Path, *, notes: list[str] | None = None) -> None:
    """Write the case as a zip of the files of a case folder.

    ``notes``, if given, gets one sentence per change made to the text, as
    :func:`~flows.io.folders.write_folder` says.
    """
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(case, Path(tmp), notes=notes)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(Path(tmp).iterdir()):
                archive.write(file, arcname=file.name)
