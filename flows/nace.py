"""NACE activity codes, looked up in the list the ``naceconverter`` package maintains.

That list is NACE Rev. 2.1 (Regulation (EU) 2023/137, in force since 1 January 2025: 22
sections, 87 divisions, 287 groups, 651 classes). Most NACE Rev. 2 codes kept their number;
those that changed get a message pointing to the new list; :func:`resolve` reads the near misses
(a class written for a group, a Rev. 2 code Rev. 2.1 no longer has) as a valid code with a note.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

from datasets import reference_path

NACE_VERSION = "NACE Rev. 2.1 (naceconverter list)"

_CODE = re.compile(r"^\s*([A-Za-z]|\d{2}(?:\.\d{1,2})?)\s*$")
_UNDOTTED = re.compile(r"^\s*(\d{2})(\d{1,2})\s*$")


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, str, int]]:
    """code -> (title, parent code, level); levels 1 (section) to 4 (class)."""
    text = resources.files("naceconverter").joinpath("nacecodes.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter=";")
    return {
        row["code"]: (row["name"], row["parentCode"], int(row["level"]))
        for row in rows
        if int(row["level"]) <= 4
    }


def normalise(code: str) -> str | None:
    """Return ``code`` in the dotted form of the list (``1920`` -> ``19.20``), or None if malformed.

    A division written as ``19`` or a group as ``19.2`` is kept; a section letter is upper-cased.
    """
    text = str(code).strip()
    undotted = _UNDOTTED.match(text)
    if undotted:
        text = f"{undotted.group(1)}.{undotted.group(2)}"
    match = _CODE.match(text)
    if match is None:
        return None
    return match.group(1).upper()


def is_valid(code: str) -> bool:
    """Whether ``code`` is a section, division, group or class of the list."""
    norm = normalise(code)
    return norm is not None and norm in _table()


def title(code: str) -> str:
    """Title of a NACE code; raises KeyError for an unknown one."""
    norm = normalise(code)
    if norm is None or norm not in _table():
        raise KeyError(code)
    return _table()[norm][0]


def section_of(code: str) -> str:
    """Section letter (A..V) of any valid code; raises KeyError for an unknown one."""
    norm = normalise(code)
    if norm is None or norm not in _table():
        raise KeyError(code)
    while _table()[norm][2] > 1:
        norm = _table()[norm][1]
    return norm


@lru_cache(maxsize=1)
def _section_names() -> dict[str, str]:
    return {code: name for code, (name, _, level) in _table().items() if level == 1}


SECTION_NAMES: dict[str, str] = _section_names()
"""Section letter -> title, e.g. ``"C" -> "Manufacturing"``."""


LEVEL_NAMES = {1: "section", 2: "division", 3: "group", 4: "class"}
"""Level number -> name of the level."""


def level(code: str) -> int:
    """Level of a valid code: 1 section, 2 division, 3 group, 4 class; KeyError if unknown."""
    norm = normalise(code)
    if norm is None or norm not in _table():
        raise KeyError(code)
    return _table()[norm][2]


def at_level(code: str, wanted: int) -> str | None:
    """The code's ancestor (or itself) at level ``wanted``; None if the code is coarser.

    ``at_level("20.11", 2) == "20"``, ``at_level("20.11", 1) == "C"``, ``at_level("20", 3)`` is
    None. Raises KeyError for an unknown code.
    """
    norm = normalise(code)
    if norm is None or norm not in _table():
        raise KeyError(code)
    while _table()[norm][2] > wanted:
        norm = _table()[norm][1]
    return norm if _table()[norm][2] == wanted else None


def describe_level(code: str) -> str:
    """``"group 20.1"``, ``"section C"``: the level's name and the code, for messages."""
    return f"{LEVEL_NAMES[level(code)]} {normalise(code)}"


@lru_cache(maxsize=1)
def _rev2_table() -> dict[str, str]:
    """NACE Rev. 2 code missing from Rev. 2.1 -> nearest Rev. 2.1 ancestor ('' if none)."""
    path = reference_path("nace_rev2_to_rev21.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["rev2_code"]: row["rev21_code"] for row in csv.DictReader(fh)}


def is_rev2_only(code: str) -> bool:
    """Whether ``code`` is a NACE Rev. 2 group or class that Rev. 2.1 no longer has."""
    return normalise(code) in _rev2_table()


def resolve(code: str) -> tuple[str | None, str]:
    """Read a NACE code, mapping near misses to a valid Rev. 2.1 code with a note.

    Parameters
    ----------
    code
        A NACE code as a user wrote it.

    Returns
    -------
    tuple
        ``(code, "")`` for a valid code (normalised); ``(mapped, note)`` for a near miss: a NACE
        Rev. 2 code that Rev. 2.1 no longer has, read as its nearest Rev. 2.1 ancestor
        (``datasets/reference/nace_rev2_to_rev21.csv``), or a class written for a group
        (``01.10`` for group ``01.1``); ``(None, reason)`` otherwise.
    """
    norm = normalise(code)
    if norm is None:
        return None, f"{str(code).strip()!r} is not a NACE code"
    if norm in _table():
        return norm, ""
    if norm in _rev2_table():
        mapped = _rev2_table()[norm]
        if not mapped:
            return None, (
                f"{norm} is a NACE Rev. 2 code whose division Rev. 2.1 no longer has; "
                "look up its Rev. 2.1 code"
            )
        return mapped, (
            f"{norm} is a NACE Rev. 2 code, not in {NACE_VERSION}; read as "
            f"{describe_level(mapped)} (Rev. 2.1 split, merged or renumbered it)"
        )
    group = norm[:-1]
    if norm.endswith("0") and len(norm) == 5 and group in _table() and level(group) == 3:
        return group, f"{norm} is not a class; read as {describe_level(group)}"
    return None, f"{norm} is not in {NACE_VERSION}"
