"""NACE activity codes, looked up in the list the ``naceconverter`` package maintains.

That list is NACE Rev. 2.1 (Regulation (EU) 2023/137, in force since 1 January 2025: 22
sections, 87 divisions, 287 groups, 651 classes). Most NACE Rev. 2 codes kept their number;
those that changed get a message pointing to the new list.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

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
