"""NACE codes from the naceconverter list."""

from __future__ import annotations

import pytest

from flows import nace


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
