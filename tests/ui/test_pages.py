"""Tests of the Streamlit pages with ``streamlit.testing.v1.AppTest`` (no browser)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from streamlit.testing.v1 import AppTest

import datasets
from flows._errors import CaseReadError
from flows.io import case_to_bytes
from ui.mapview import escape_markdown
from ui.state import StateKeys, load_upload

if TYPE_CHECKING:
    from flows.model import Case

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DATA_PAGE = "ui/pages/data.py"
TIMEOUT_S = 60


@pytest.fixture
def app() -> AppTest:
    """The app after its first run (the Map page with the default case)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def _data_page(at: AppTest) -> AppTest:
    at.switch_page(DATA_PAGE).run()
    assert not at.exception, at.exception
    return at


def _zip_without_sites() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("flows.csv", "site_id,direction,resource,quantity,unit\n")
    return buffer.getvalue()


def test_map_page_shows_the_default_case(app: AppTest) -> None:
    case = app.session_state[StateKeys.CASE]
    assert case is not None
    assert app.session_state[StateKeys.CASE_LABEL] == datasets.DEFAULT_CASE
    captions = " ".join(c.value for c in app.caption)
    assert f"{len(case.sites)} sites" in captions
    assert not app.error


def test_map_page_without_a_case_asks_for_one(app: AppTest) -> None:
    app.session_state[StateKeys.CASE] = None
    app.run()
    assert not app.exception
    assert "No case is loaded" in app.info[0].value


def test_data_page_loads_a_bundled_case_and_shows_its_report(app: AppTest) -> None:
    at = _data_page(app)
    at.session_state[StateKeys.CASE] = None
    at.selectbox(key=StateKeys.BUNDLED_CHOICE).select(datasets.DEFAULT_CASE).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE] is not None
    assert any("Loaded the bundled case" in s.value for s in at.success)
    assert any("error" in m.value and "warning" in m.value for m in at.markdown)
    report = at.session_state[StateKeys.REPORT]
    if report.findings:
        frame = at.dataframe[0].value
        assert list(frame.columns[:6]) == ["file", "layer", "row", "field", "severity", "code"]
    assert len(at.tabs) == 3
    assert len(at.get("download_button")) == 4


def test_uploading_a_valid_case_replaces_the_current_one(app: AppTest, tiny_case: Case) -> None:
    at = _data_page(app)
    at.file_uploader(key=StateKeys.UPLOAD).upload("tiny.zip", case_to_bytes(tiny_case, "zip"))
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE_LABEL] == "tiny.zip"
    assert at.session_state[StateKeys.CASE].name == tiny_case.name
    assert at.session_state[StateKeys.REPORT_LABEL] == "tiny.zip"


def test_uploading_a_case_with_errors_keeps_the_current_case(app: AppTest) -> None:
    at = _data_page(app)
    before = at.session_state[StateKeys.CASE]
    at.file_uploader(key=StateKeys.UPLOAD).upload("no-sites.zip", _zip_without_sites()).run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE] is before
    assert at.session_state[StateKeys.CASE_LABEL] == datasets.DEFAULT_CASE
    assert at.session_state[StateKeys.REPORT].has_errors
    assert any(f"{escape_markdown('no-sites.zip')} has errors" in e.value for e in at.error)
    frame = at.dataframe[0].value
    assert "error" in set(frame["severity"])
    assert set(frame["file"]) == {"no-sites.zip"}


def test_an_unreadable_upload_shows_an_error_and_the_app_keeps_running(app: AppTest) -> None:
    at = _data_page(app)
    before = at.session_state[StateKeys.CASE]
    at.file_uploader(key=StateKeys.UPLOAD).upload("broken.zip", b"this is not a zip").run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE] is before
    assert at.error
    assert escape_markdown("broken.zip") in at.error[0].value
    at.switch_page("ui/pages/map.py").run()
    assert not at.exception


def test_load_upload_reads_bytes_under_the_uploaded_name(tiny_case: Case) -> None:
    result = load_upload("my case.gpkg", case_to_bytes(tiny_case, "gpkg"))
    assert result.case is not None
    assert len(result.case.sites) == len(tiny_case.sites)
    with pytest.raises(CaseReadError, match=r"broken\.zip"):
        load_upload("broken.zip", b"PK not really")
