"""Reading and writing a zip of a case folder, with limits on what an archive may unpack."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from flows._errors import CaseReadError
from flows.checks.checker import RawTable
from flows.io.folders import read_folder, write_folder
from flows.model import Case
from flows.validation import ValidationReport

_MAX_ZIP_BYTES = 500 * 1024 * 1024


def read_zip(path: Path, label: str, report: ValidationReport) -> dict[str, RawTable]:
    """Unpack a zipped case and read the shallowest folder in it that holds a sites file."""
    if not zipfile.is_zipfile(path):
        msg = f"{label}: not a zip archive (is it damaged, or another format renamed .zip?)"
        raise CaseReadError(msg)
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as tmp:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > _MAX_ZIP_BYTES:
            msg = f"{label}: the archive unpacks to more than {_MAX_ZIP_BYTES // 2**20} MiB"
            raise CaseReadError(msg)
        for member in members:
            name = Path(member.filename)
            if name.is_absolute() or ".." in name.parts or name.parts[0] == "__MACOSX":
                continue
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        root = Path(tmp)
        candidates = sorted({p.parent for p in root.rglob("sites.*")}, key=lambda p: len(p.parts))
        folder = candidates[0] if candidates else root
        inner = folder.relative_to(root).as_posix()
        prefix = f"{label}/" + (f"{inner}/" if inner != "." else "")
        return read_folder(folder, report, prefix=prefix)


def write_zip(case: Case, path: Path) -> None:
    """Write the case as a zip of the files of a case folder."""
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(case, Path(tmp))
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(Path(tmp).iterdir()):
                archive.write(file, arcname=file.name)
