"""NACE codes from the naceconverter list."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from datasets import reference_path
from flows import io, nace


@pytest.mark.parametrize(
    ("code", "norm", "section"),
    [
        ("19.20", "19.20", "C"),
        ("1920", "19.20", "C"),
        ("35", "35", "D"),
        ("35.1", "35.1", "D"),
        ("c", "C", "C"),
        ("38.21", "38.21", "E"),
    ],
)
def test_valid_codes_at_every_level(code: str, norm: str, section: str) -> None:
    assert nace.normalise(code) == norm
    assert nace.is_valid(code)
    assert nace.section_of(code) == section


@pytest.mark.parametrize("code", ["99.99", "abc", "19.2.0", "", "00"])
def test_invalid_codes(code: str) -> None:
    assert not nace.is_valid(code)


def test_the_list_is_nace_rev_2_1() -> None:
    # Rev. 2.1 has 22 sections; Rev. 2 had 21.
    assert len(nace.SECTION_NAMES) == 22
    assert nace.title("23.62") == "Manufacture of plaster products for construction purposes"
    with pytest.raises(KeyError):
        nace.title("99.99")


@pytest.mark.parametrize(
    ("code", "level", "expected"),
    [("20.11", 2, "20"), ("20.11", 3, "20.1"), ("20.11", 1, "C"), ("20", 3, None), ("C", 1, "C")],
)
def test_at_level(code: str, level: int, expected: str | None) -> None:
    assert nace.at_level(code, level) == expected


@pytest.mark.parametrize(
    ("code", "resolved", "note_start"),
    [
        ("20.11", "20.11", ""),
        ("2011", "20.11", ""),
        ("01.10", "01.1", "01.10 is not a class; read as group 01.1"),
        # NACE Rev. 2 16.10 (sawmilling) became 16.11 and 16.12 in Rev. 2.1
        ("16.10", "16.1", "16.10 is a NACE Rev. 2 code"),
        ("62.01", "62", "62.01 is a NACE Rev. 2 code"),
        ("45.20", None, "45.20 is a NACE Rev. 2 code whose division Rev. 2.1 no longer has"),
        ("99.99", None, "99.99 is not in NACE Rev. 2.1"),
        ("24.99", None, "24.99 is not in NACE Rev. 2.1"),
        ("abc", None, "'abc' is not a NACE code"),
    ],
)
def test_resolve_maps_near_misses(code: str, resolved: str | None, note_start: str) -> None:
    found, note = nace.resolve(code)
    assert found == resolved
    assert note.startswith(note_start)
    assert (note == "") == (found is not None and nace.is_valid(code))


def test_rev2_table_maps_each_missing_code_to_an_ancestor() -> None:
    with reference_path("nace_rev2_to_rev21.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 128
    for row in rows:
        assert not nace.is_valid(row["rev2_code"]), row
        if row["rev21_code"]:
            assert nace.is_valid(row["rev21_code"])
            assert row["rev2_code"].startswith(row["rev21_code"])
            assert nace.LEVEL_NAMES[nace.level(row["rev21_code"])] == row["rev21_level"]
        else:
            assert row["rev2_code"].startswith("45")  # Rev. 2.1 has no division 45


def test_validation_reads_near_misses_with_a_warning() -> None:
    frame = pd.DataFrame(
        {
            "site_id": ["saw", "farm", "garage", "odd"],
            "name": ["Sawmill", "Farm", "Garage", "Odd"],
            "nace": ["16.10", "01.10", "45.20", "24.99"],
            "lat": [55.6, 55.61, 55.62, 55.63],
            "lon": [11.0, 11.01, 11.02, 11.03],
        },
        dtype=object,
    )
    result = io.load_frames({"sites": frame})
    found = [(f.code, f.row, f.severity) for f in result.report]
    # rows of a frame are counted from 1
    assert found == [
        ("W_NACE_MAPPED", 1, "warning"),
        ("W_NACE_MAPPED", 2, "warning"),
        ("E_NACE_UNKNOWN", 3, "error"),
        ("E_NACE_UNKNOWN", 4, "error"),
    ]
    mapped = next(f for f in result.report if f.code == "W_NACE_MAPPED")
    assert mapped.message.startswith("NACE code '16.10' read as 16.1: 16.10 is a NACE Rev. 2")
    garage = next(f for f in result.report if f.row == 3)
    assert "no longer has" in garage.hint
    odd = next(f for f in result.report if f.row == 4)
    assert "no longer has" not in odd.hint
