"""Pages with nothing much to show: no case, a case without flows or exchanges, no site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from flows.io import case_to_bytes
from flows.model import Case
from ui import network
from ui.state import StateKeys

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DATA_PAGE = "ui/pages/data.py"
MAP_PAGE = "ui/pages/map.py"
TIMEOUT_S = 60


def _sites_only(tiny_case: Case) -> Case:
    return Case(sites=tiny_case.sites, metadata={"name": "Sites only"})


def _assert_pages_run(at: AppTest) -> None:
    for page in (MAP_PAGE, DATA_PAGE):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)


def test_pages_run_without_a_case(app: AppTest) -> None:
    app.session_state[StateKeys.CASE] = None
    app.session_state[StateKeys.CASE_LABEL] = None
    _assert_pages_run(app)
    assert any("No case is loaded" in i.value for i in app.info)


def test_pages_run_with_a_case_without_flows_or_exchanges(app: AppTest, tiny_case: Case) -> None:
    at = app.switch_page(DATA_PAGE).run()
    at.file_uploader(key=_upload_key(at)).upload(
        "sites.xlsx", case_to_bytes(_sites_only(tiny_case), "xlsx")
    ).run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE_LABEL] == "sites.xlsx"
    assert at.session_state[StateKeys.CASE].exchanges.empty
    _assert_pages_run(at)


def test_map_page_with_a_case_of_no_site_shows_a_message_not_a_traceback(
    app: AppTest,
) -> None:
    # Loading refuses such a case, but the page must not rely on it.
    app.session_state[StateKeys.CASE] = Case(metadata={"name": "Empty"})
    app.session_state[StateKeys.CASE_LABEL] = "empty.xlsx"
    app.switch_page(MAP_PAGE).run()
    assert not app.exception, app.exception
    assert any("no site" in w.value for w in app.warning)


def test_the_blank_template_upload_leaves_both_pages_working(app: AppTest, tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    subprocess.run([sys.executable, "-m", "flows", "template", str(template)], check=True)
    at = app.switch_page(DATA_PAGE).run()
    at.file_uploader(key=_upload_key(at)).upload("t.xlsx", template.read_bytes()).run()
    assert not at.exception, at.exception
    _assert_pages_run(at)


def test_download_box_of_a_case_without_sites_is_none() -> None:
    assert network.download_box_km(Case()) is None


def _upload_key(at: AppTest) -> str:
    """The Data page's uploader key: a new one after every upload (ui.state.upload_key)."""
    return f"{StateKeys.UPLOAD}-{at.session_state[StateKeys.UPLOAD_GENERATION]}"
