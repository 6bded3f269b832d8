"""Shared fixtures: tiny real inputs under tests/data, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from flows import io
from flows.model import Case

DATA = Path(__file__).parent / "data"

# Fuzz tests run with a fixed budget and fixed seeds: the same examples on every machine and in
# CI, no example database written into the checkout.
hypothesis_settings.register_profile(
    "symbiomap",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile("symbiomap")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of test fixtures."""
    return DATA


@pytest.fixture(scope="session")
def mini_case() -> Case:
    """A four-site case with every table filled (tests/data/mini)."""
    return io.read_case(DATA / "mini")
