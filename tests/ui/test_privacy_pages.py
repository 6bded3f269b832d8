"""The privacy gate on screen: with every flow confidential, the public tier's pages, maps and
downloads show no hidden quantity nor any figure within 5 % of one."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import datasets
from flows import io as flows_io
from flows import pipeline, privacy
from flows.model import Case
from ui import synergies
from ui.maps.candidate_map import build_candidate_map
from ui.maps.case_map import build_map
from ui.state import StateKeys

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
NUMBER = re.compile(r"(?<![\w.#-])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.#-])\d{4,}(?:\.\d+)?")
"""Figures of four or more digits (with or without thousands separators)."""


@pytest.fixture(scope="module")
def secret_case() -> Case:
    case = flows_io.read_case(datasets.get_path("kalundborg"))
    return dataclasses.replace(case, flows=case.flows.assign(confidential=True))


@pytest.fixture(scope="module")
def hidden(secret_case: Case) -> np.ndarray:
    values = pd.concat([secret_case.flows["quantity"], secret_case.flows["quantity_canonical"]])
    found = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
    return np.unique(found[found >= 1_000])  # smaller ones collide with years and km


def _leaks(text: str, hidden: np.ndarray) -> list[float]:
    numbers = np.array([float(n.replace(",", "")) for n in NUMBER.findall(text)])
    if numbers.size == 0:
        return []
    rel = np.abs(numbers[:, None] - hidden[None, :]) / hidden[None, :]
    return sorted(set(numbers[(rel <= 0.05).any(axis=1)].tolist()))


def _page_text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv(index=False) for d in at.dataframe]
    parts += [t.value.to_csv(index=False) for t in at.table]
    return "\n".join(parts)


def test_owner_map_shows_the_quantities(secret_case: Case, hidden: np.ndarray) -> None:
    # the search below can fail: the owner's map does carry the quantities
    html = build_map(secret_case, offline_assets=False, tiles=False).get_root().render()
    assert _leaks(html, hidden)


def test_public_maps_hold_no_hidden_quantity(secret_case: Case, hidden: np.ndarray) -> None:
    shown = privacy.view(secret_case, tier="public")
    assert isinstance(shown, Case)
    html = build_map(shown, offline_assets=False, tiles=False).get_root().render()
    assert _leaks(html, hidden) == []
    analysis = pipeline.analyse(secret_case)
    public = analysis.view(tier="public")
    lines = build_candidate_map(shown, public).get_root().render()
    assert "withheld" in lines
    assert _leaks(lines, hidden) == []


def test_public_downloads_hold_no_hidden_quantity(secret_case: Case, hidden: np.ndarray) -> None:
    analysis = pipeline.analyse(secret_case)
    public = analysis.view(tier="public")
    data = synergies.candidates_file(public, secret_case, "csv", analysis.parameters)
    frame = pd.read_csv(io.BytesIO(data))
    assert frame["net_benefit_eur"].isna().all()
    # where the sites are is public (a distance may lie near a hidden amount by chance)
    searched = frame.drop(columns=["distance_m", "duration_s", "max_distance_km"], errors="ignore")
    assert _leaks(searched.to_csv(index=False), hidden) == []


@pytest.mark.parametrize("page", ["ui/pages/map.py", "ui/pages/synergies.py"])
def test_public_pages_hold_no_hidden_quantity(
    secret_case: Case, hidden: np.ndarray, page: str
) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state[StateKeys.CASE] = secret_case
    at.switch_page(page).run()
    assert not at.exception, at.exception
    text = _page_text(at)
    assert text.strip()
    assert _leaks(text, hidden) == []
    # the owner, asking for it, sees the amounts again (so the search above can fail)
    at.sidebar.selectbox(key=StateKeys.VIEWER_TIER).set_value("owner").run()
    assert not at.exception, at.exception
    if page.endswith("synergies.py"):
        assert _leaks(_page_text(at), hidden)
