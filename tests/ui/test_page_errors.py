"""The app's page-level safety net (ui.errors): a failing page shows a short message with an
error id, never a traceback; the traceback goes to the server's log; the app keeps running."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.maps import case_map
from ui.state import StateKeys

APP = str(Path(__file__).resolve().parents[2] / "app.py")
CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
TIMEOUT_S = 60
SECRET = "/srv/cases/other-user/secret.gpkg is broken"
"""The text of the unexpected error: it must reach the log, never the page."""


def _page_text(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [m.value for m in at.markdown]
    parts += [c.value for c in at.caption] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def test_a_failing_page_shows_an_error_id_and_the_next_run_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    case = at.session_state[StateKeys.CASE]
    working_summary = case_map.case_summary

    def broken_summary(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(case_map, "case_summary", broken_summary)
    with caplog.at_level(logging.ERROR, logger="ui.errors"):
        at.run()

    assert not at.exception, at.exception  # caught: Streamlit shows no exception box
    [error] = at.error
    found = re.search(r"error id ([0-9a-f]{8})\b", error.value)
    assert found, error.value
    assert "the session keeps your case" in error.value.lower()
    text = _page_text(at)
    assert SECRET not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert at.session_state[StateKeys.CASE] is case  # the case survives the failure

    [record] = [r for r in caplog.records if r.name == "ui.errors"]
    assert found.group(1) in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert SECRET in str(record.exc_info[1])
    assert "broken_summary" in caplog.text  # the traceback itself is in the log

    monkeypatch.setattr(case_map, "case_summary", working_summary)
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert any("sites" in c.value for c in at.caption)


def test_streamlit_control_flow_passes_through_the_net() -> None:
    # The Map page ends itself with st.stop() when no case is loaded: not an error.
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.session_state[StateKeys.CASE] = None
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert any("No case is loaded" in i.value for i in at.info)


def test_streamlit_shows_no_error_details_in_the_browser() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
