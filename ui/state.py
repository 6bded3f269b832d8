"""Session-state keys, their seeding, and how a loaded case enters the session."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

import datasets
from flows.io import load_case
from ui.keys import StateKeys
from ui.memory import SessionToken, release_memory, release_when_collected
from ui.text import escape_markdown

if TYPE_CHECKING:
    from flows.io import LoadResult
    from ui.network import LoadedNetwork

__all__ = [
    "StateKeys",  # re-exported from ui.keys for callers
    "apply_result",
    "clear_network",
    "forget_upload",
    "init_state",
    "load_bundled",
    "load_upload",
    "record_load_error",
    "set_network",
    "upload_key",
]


@st.cache_data(show_spinner="Loading bundled case…")
def load_bundled(name: str) -> LoadResult:
    """Load the bundled, read-only case ``name`` (cached: it is the same for every session).

    ``st.cache_data`` hands every caller its own copy, so a session cannot alter what
    another one sees. Never pass user uploads through this function.

    Raises
    ------
    ValueError
        If no such case is bundled.
    """
    return load_case(datasets.get_path(name), display_name=name)


def load_upload(file_name: str, data: bytes) -> LoadResult:
    """Load an uploaded case from its bytes, for this session only (never cached).

    The bytes are written under their original name into a temporary folder that is removed
    once the case has been read, so messages name the user's file.

    Parameters
    ----------
    file_name
        The uploaded file's name; its extension selects the reader (``.gpkg``, ``.xlsx``,
        ``.zip``).
    data
        The file's content.

    Raises
    ------
    flows._errors.CaseReadError
        If the file cannot be read at all (not a zip, unknown extension, ...).
    """
    safe_name = Path(file_name).name or "upload"
    with tempfile.TemporaryDirectory(prefix="symbiomap-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        return load_case(path, display_name=safe_name)


def upload_key() -> str:
    """Key of the case file uploader in this run (:attr:`StateKeys.UPLOAD` plus a generation)."""
    return f"{StateKeys.UPLOAD}-{st.session_state.get(StateKeys.UPLOAD_GENERATION, 0)}"


def forget_upload(file_id: str) -> None:
    """Let go of an uploaded case once it has been read, loaded or not.

    The uploader gets a new key, so from the next run on the old widget, and the
    ``UploadedFile`` in its state, are gone; the file's bytes are dropped from Streamlit's
    upload store too (otherwise kept until the session ends). Then the memory the read
    needed at its peak is handed back (:func:`ui.memory.release_memory`).

    Parameters
    ----------
    file_id
        The ``file_id`` of the ``UploadedFile`` that was read.
    """
    generation = st.session_state.get(StateKeys.UPLOAD_GENERATION, 0)
    st.session_state[StateKeys.UPLOAD_GENERATION] = generation + 1
    _drop_uploaded_bytes(file_id)
    release_memory()


def _drop_uploaded_bytes(file_id: str) -> None:
    # No public API removes one upload: use the upload manager's remove_file where it exists
    # (Streamlit's in-memory manager, as its chat input does); elsewhere the bytes stay until
    # the session ends, which Streamlit handles on its own.
    from streamlit.runtime.scriptrunner import get_script_run_ctx  # noqa: PLC0415

    ctx = get_script_run_ctx()
    manager = getattr(ctx, "uploaded_file_mgr", None)
    remove_file = getattr(manager, "remove_file", None)
    if ctx is not None and callable(remove_file):
        remove_file(session_id=ctx.session_id, file_id=file_id)


def apply_result(result: LoadResult, *, label: str) -> bool:
    """Record a load attempt in the session; replace the case only if it has no errors.

    Parameters
    ----------
    result
        What :func:`flows.io.load_case` returned.
    label
        How the input is called (bundled name or file name).

    Returns
    -------
    bool
        Whether the current case was replaced.
    """
    st.session_state[StateKeys.REPORT] = result.report
    st.session_state[StateKeys.REPORT_LABEL] = label
    st.session_state[StateKeys.LOAD_ERROR] = None
    if result.case is None:
        return False
    st.session_state[StateKeys.CASE] = result.case
    st.session_state[StateKeys.CASE_LABEL] = label
    clear_network()
    st.session_state.pop(StateKeys.ROUTE_CHOICE, None)
    return True


def record_load_error(message: str, *, label: str) -> None:
    """Record an input that could not be read at all; the current case is kept.

    The previous input's report is dropped, so the page never shows a report of another file
    under the new file's error.

    Parameters
    ----------
    message
        Why the input could not be read (plain text; escaped here for Markdown).
    label
        How the input is called (the uploaded file name).
    """
    st.session_state[StateKeys.REPORT] = None
    st.session_state[StateKeys.REPORT_LABEL] = label
    st.session_state[StateKeys.LOAD_ERROR] = escape_markdown(message)


def clear_network() -> None:
    """Forget the road network and everything measured with it: distances, route and synergy
    results (the case changed, or a new network replaces the old one)."""
    for key in (
        StateKeys.NETWORK,
        StateKeys.NETWORK_ERROR,
        StateKeys.DISTANCES,
        StateKeys.ROUTE,
        StateKeys.SYNERGY_RUNS,
    ):
        st.session_state[key] = None


def set_network(network: LoadedNetwork) -> None:
    """Make ``network`` (a :class:`ui.network.LoadedNetwork`) the session's road network."""
    clear_network()
    st.session_state[StateKeys.NETWORK] = network


def init_state() -> None:
    """Seed every key once per session; the first run loads :data:`datasets.DEFAULT_CASE`."""
    defaults: dict[str, object] = {
        StateKeys.CASE: None,
        StateKeys.CASE_LABEL: None,
        StateKeys.REPORT: None,
        StateKeys.REPORT_LABEL: None,
        StateKeys.LOAD_ERROR: None,
        StateKeys.UPLOAD_ID: None,
        StateKeys.UPLOAD_GENERATION: 0,
        StateKeys.UPLOAD_NOTICE: None,
        StateKeys.NETWORK: None,
        StateKeys.NETWORK_ERROR: None,
        StateKeys.NETWORK_UPLOAD_ID: None,
        StateKeys.DISTANCES: None,
        StateKeys.ROUTE: None,
        StateKeys.SYNERGY_RUNS: None,
        StateKeys.PLAN_RUNS: None,
        StateKeys.MC_RUNS: None,
        StateKeys.REPORT_RUNS: None,
    }
    first_run = StateKeys.CASE not in st.session_state
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    if not first_run:
        return
    token = SessionToken()
    st.session_state[StateKeys.SESSION_TOKEN] = token
    release_when_collected(token)
    try:
        result = load_bundled(datasets.DEFAULT_CASE)
    except (ValueError, OSError) as err:
        msg = f"The bundled case {datasets.DEFAULT_CASE!r} could not be loaded: {err}"
        st.session_state[StateKeys.LOAD_ERROR] = escape_markdown(msg)
        return
    apply_result(result, label=datasets.DEFAULT_CASE)
