"""A road network that misses the case's sites is not called "ready"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyrosm
from streamlit.testing.v1 import AppTest

from ui import network
from ui.state import StateKeys

if TYPE_CHECKING:
    from flows.model import Case
    from ui.network import LoadedNetwork

APP = str(Path(__file__).resolve().parents[2] / "app.py")
KOTKA_PBF = Path(pyrosm.get_data("test_pbf"))
TIMEOUT_S = 60


def test_a_network_of_another_area_covers_none_of_the_sites(
    kalundborg: Case, kotka_network: LoadedNetwork
) -> None:
    coverage = network.network_coverage(kalundborg, kotka_network)
    assert not coverage.ready
    assert coverage.on_network == 0
    assert coverage.sites == len(kalundborg.sites)
    text = coverage.describe()
    assert f"covers none of the case's {len(kalundborg.sites)} sites" in text
    assert "load a network of the case's area" in text
    assert coverage.nearest_m > 100_000  # Kotka is far from Kalundborg


def test_partial_coverage_counts_the_sites_off_the_network(
    kotka_case: Case, kotka_network: LoadedNetwork
) -> None:
    coverage = network.network_coverage(kotka_case, kotka_network)
    assert coverage.ready
    off = coverage.sites - coverage.on_network
    assert off >= 1  # the island is beyond the access distance
    assert f"{off} of the case's {coverage.sites} sites are more than" in coverage.describe()


def test_full_coverage_has_nothing_to_say(kotka_network: LoadedNetwork) -> None:
    full = network.NetworkCoverage(sites=3, on_network=3, nearest_m=5.0, max_access_m=1000.0)
    assert full.ready
    assert full.describe() == ""


def test_map_page_says_a_far_network_covers_no_site(app: AppTest) -> None:
    case = app.session_state[StateKeys.CASE]  # the default case, Kalundborg
    app.file_uploader(key=StateKeys.NETWORK_UPLOAD).upload(
        KOTKA_PBF.name, KOTKA_PBF.read_bytes(), "application/octet-stream"
    ).run()
    assert not app.exception, app.exception
    assert app.session_state[StateKeys.NETWORK] is not None
    assert not any("Road network ready" in str(s.label) for s in app.status)
    assert any(f"covers none of the case's {len(case.sites)} sites" in w.value for w in app.warning)
    assert not any(s.value.startswith("Road network:") for s in app.success)
