"""Shared fixtures: tiny real inputs under tests/data, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import io
from flows.model import Case

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of test fixtures."""
    return DATA


@pytest.fixture(scope="session")
def mini_case() -> Case:
    """A four-site case with every table filled (tests/data/mini)."""
    return io.read_case(DATA / "mini")
