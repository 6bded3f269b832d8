"""Bundled cases and reference data, behind one accessor that fails helpfully."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_CASE = "kalundborg"
"""The case a newcomer sees first."""

_REFERENCE_DIR = DATA_DIR / "reference"


def available() -> list[str]:
    """Names of the bundled cases (folders holding a ``sites`` table)."""
    return sorted(
        p.name
        for p in DATA_DIR.iterdir()
        if p.is_dir() and any(p.glob("sites.*")) and p.name != "reference"
    )


def get_path(name: str) -> Path:
    """Return the folder of the bundled case ``name``.

    Raises
    ------
    ValueError
        If no such case is bundled; the message lists the ones that are.
    """
    path = DATA_DIR / name
    if name not in available():
        msg = f"no bundled case called {name!r}; available: {', '.join(available()) or 'none'}"
        raise ValueError(msg)
    return path


def reference_path(name: str) -> Path:
    """Return the path of a bundled reference file (e.g. ``carriers.csv``)."""
    path = _REFERENCE_DIR / name
    if not path.is_file():
        known = sorted(p.name for p in _REFERENCE_DIR.glob("*") if p.is_file())
        msg = f"no reference file {name!r}; available: {', '.join(known) or 'none'}"
        raise ValueError(msg)
    return path
