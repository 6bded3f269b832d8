"""Regenerate the zip members of the validation corpus (``zip_*.zip``).

Each member is ``tests/data/mini`` zipped with exactly one thing broken (see the report of
issue 8 / README.md). The files are committed; tests never run this script. Run it from the
repository root after changing the mini case::

    python tests/data/bad/make_archives.py

Output is deterministic: every member gets a fixed date. Headers are patched by hand where no
Python library writes such archives (a ZipCrypto password, WinZip AES, deflate64).
"""

from __future__ import annotations

import binascii
import io
import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MINI = HERE.parent / "mini"
FIXED_DATE = (2026, 1, 1, 0, 0, 0)
FILES = sorted(p.name for p in MINI.iterdir())
LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"


def _zip(entries: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buf.getvalue()


def _mini(folder: str = "case/") -> list[tuple[str, bytes]]:
    return [(f"{folder}{name}", (MINI / name).read_bytes()) for name in FILES]


def _headers(data: bytes, name: str) -> tuple[int, int]:
    """Offsets of the local and the central header of member ``name``."""
    raw = name.encode()
    local = next(
        i
        for i in range(len(data))
        if data.startswith(LOCAL, i) and data[i + 30 : i + 30 + len(raw)] == raw
    )
    central = next(
        i
        for i in range(len(data))
        if data.startswith(CENTRAL, i) and data[i + 46 : i + 46 + len(raw)] == raw
    )
    return local, central


def _patch(
    data: bytes,
    name: str,
    *,
    flags: int | None = None,
    method: int | None = None,
    crc: int | None = None,
) -> bytes:
    """Set the flag bits, method or CRC of member ``name`` in both of its headers."""
    out = bytearray(data)
    local, central = _headers(data, name)
    for base, flag_at, method_at, crc_at in ((local, 6, 8, 14), (central, 8, 10, 16)):
        if flags is not None:
            out[base + flag_at : base + flag_at + 2] = struct.pack("<H", flags)
        if method is not None:
            out[base + method_at : base + method_at + 2] = struct.pack("<H", method)
        if crc is not None:
            out[base + crc_at : base + crc_at + 4] = struct.pack("<I", crc)
    return bytes(out)


def _data_offset(data: bytes, name: str) -> int:
    local, _ = _headers(data, name)
    name_len, extra_len = struct.unpack("<HH", data[local + 26 : local + 30])
    return local + 30 + name_len + extra_len


class _ZipCrypto:
    """The traditional PKWARE cipher (APPNOTE 6.1), enough to encrypt one member."""

    def __init__(self, password: bytes) -> None:
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for byte in password:
            self._update(byte)

    @staticmethod
    def _crc(crc: int, byte: int) -> int:
        return binascii.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def _update(self, byte: int) -> None:
        k0, k1, k2 = self.keys
        k0 = self._crc(k0, byte)
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = self._crc(k2, k1 >> 24)
        self.keys = [k0, k1, k2]

    def encrypt(self, plain: bytes) -> bytes:
        out = bytearray()
        for byte in plain:
            temp = (self.keys[2] | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            self._update(byte)
        return bytes(out)


def encrypted() -> bytes:
    """case/sites.csv protected with the password 'secret' (ZipCrypto, stored)."""
    entries = _mini()
    plain = dict(entries)["case/sites.csv"]
    crc = binascii.crc32(plain)
    header = bytes(11) + bytes([crc >> 24])
    cipher = _ZipCrypto(b"secret").encrypt(header + plain)
    data = _zip(
        [(n, cipher if n == "case/sites.csv" else d) for n, d in entries],
        method=zipfile.ZIP_STORED,
    )
    data = _patch(data, "case/sites.csv", flags=0x1, crc=crc)
    # The archive is genuine: the standard library reads it with the password.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("case/sites.csv", pwd=b"secret") == plain
    return data


def winzip_aes() -> bytes:
    """case/sites.csv with method 99 and the AE-2 extra field WinZip writes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, payload in _mini():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            if name == "case/sites.csv":
                # Vendor version 2, "AE", AES-256, actual method deflate.
                info.extra = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)
            archive.writestr(info, payload)
    return _patch(buf.getvalue(), "case/sites.csv", flags=0x1, method=99)


def unsupported_method() -> bytes:
    """case/sites.csv marked as deflate64 (method 9), which Python cannot unpack."""
    return _patch(_zip(_mini()), "case/sites.csv", method=9)


def crc_mismatch() -> bytes:
    """case/sites.csv stored, one byte of its data changed after the CRC was computed."""
    data = bytearray(_zip(_mini(), method=zipfile.ZIP_STORED))
    at = _data_offset(bytes(data), "case/sites.csv") + 40
    data[at] ^= 0x01
    return bytes(data)


def corrupt_deflate() -> bytes:
    """case/flows.csv's deflate stream starts with a reserved block type (zlib.error)."""
    data = bytearray(_zip(_mini()))
    data[_data_offset(bytes(data), "case/flows.csv")] = 0xFF
    return bytes(data)


def truncated() -> bytes:
    """The first half of the zipped mini case: its central directory is gone."""
    data = _zip(_mini())
    return data[: len(data) // 2]


def nested_zip() -> bytes:
    """A zip holding only case.zip, the zipped mini case."""
    return _zip([("case.zip", _zip(_mini()))], method=zipfile.ZIP_STORED)


def only_unsafe() -> bytes:
    """Every case file under '../case/': all skipped as unsafe."""
    return _zip(_mini("../case/"))


def two_case_folders() -> bytes:
    """The mini case twice, in a/ and b/."""
    return _zip(_mini("a/") + _mini("b/"))


def ratio_bomb() -> bytes:
    """case/sites.csv padded with 4 MiB of blank lines: it expands about 1,000 times."""
    entries = [(n, d + b"\n" * (4 * 2**20) if n == "case/sites.csv" else d) for n, d in _mini()]
    return _zip(entries)


MEMBERS = {
    "zip_encrypted.zip": encrypted,
    "zip_winzip_aes.zip": winzip_aes,
    "zip_unsupported_method.zip": unsupported_method,
    "zip_crc_mismatch.zip": crc_mismatch,
    "zip_corrupt_deflate.zip": corrupt_deflate,
    "zip_truncated.zip": truncated,
    "zip_nested_zip.zip": nested_zip,
    "zip_only_unsafe_paths.zip": only_unsafe,
    "zip_two_case_folders.zip": two_case_folders,
    "zip_ratio_bomb.zip": ratio_bomb,
}


def main() -> None:
    """Write every member next to this script."""
    for name, build in MEMBERS.items():
        (HERE / name).write_bytes(build())
        print(name, (HERE / name).stat().st_size)


if __name__ == "__main__":
    main()
