"""An upload's memory is let go: the uploader is renewed after a load, the helper is safe."""

from __future__ import annotations

import gc
import time

import pytest
from streamlit.testing.v1 import AppTest

import ui.memory
from flows.io import case_to_bytes
from flows.model import Case
from ui.keys import StateKeys
from ui.memory import SessionToken, malloc_trim, release_memory, release_when_collected


def _old_uploader_gone(at: AppTest) -> bool:
    """The first uploader's state (its ``UploadedFile``) is no longer in the session."""
    return f"{StateKeys.UPLOAD}-0" not in at.session_state


def test_a_loaded_upload_renews_the_uploader_and_leaves_no_file(
    app: AppTest, tiny_case: Case
) -> None:
    at = app.switch_page("ui/pages/data.py").run()
    at.file_uploader(key=f"{StateKeys.UPLOAD}-0").upload(
        "tiny.zip", case_to_bytes(tiny_case, "zip")
    )
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE_LABEL] == "tiny.zip"
    assert at.session_state[StateKeys.UPLOAD_GENERATION] == 1
    assert [w.key for w in at.file_uploader] == [f"{StateKeys.UPLOAD}-1"]
    assert _old_uploader_gone(at)


def test_an_unreadable_upload_renews_the_uploader_too(app: AppTest) -> None:
    at = app.switch_page("ui/pages/data.py").run()
    at.file_uploader(key=f"{StateKeys.UPLOAD}-0").upload("broken.zip", b"not a zip").run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.LOAD_ERROR]
    assert at.error
    assert at.session_state[StateKeys.UPLOAD_GENERATION] == 1
    assert _old_uploader_gone(at)


def test_release_memory_is_safe_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    ui.memory._glibc_trim.cache_clear()
    monkeypatch.setattr(ui.memory.sys, "platform", "darwin")
    try:
        assert malloc_trim() is False
        assert release_memory() is False
    finally:
        ui.memory._glibc_trim.cache_clear()


def test_release_memory_is_safe_where_libc_has_no_malloc_trim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_library(name: str) -> object:
        raise OSError(f"cannot load {name}")

    ui.memory._glibc_trim.cache_clear()
    monkeypatch.setattr(ui.memory.ctypes, "CDLL", no_library)
    try:
        assert malloc_trim() is False
    finally:
        ui.memory._glibc_trim.cache_clear()


def test_a_collected_token_releases_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(ui.memory, "release_memory", lambda: calls.append(True) or True)
    token = SessionToken()
    finalizer = release_when_collected(token, delay_s=0.0)
    assert finalizer.alive
    del token
    gc.collect()
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    # this token's finalizer ran and released memory; tokens of earlier sessions in the same
    # process may be collected by the same gc.collect() and release too
    assert not finalizer.alive
    assert calls
    assert set(calls) == {True}
