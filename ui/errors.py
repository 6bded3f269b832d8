"""The page-level safety net: an unexpected error becomes a short message, never a traceback.

:func:`run_page` runs a Streamlit page; anything unexpected it raises is logged with its
traceback on the server (:mod:`logging`, logger ``ui.errors``) under a short error id, and
the user sees only that id and a sentence saying the session keeps the case. The app keeps
running: the next interaction runs the page again. Streamlit's own control flow
(``st.stop``, ``st.rerun``, ``st.switch_page``) derives from :class:`BaseException` and
passes through untouched. ``client.showErrorDetails = "none"`` in ``.streamlit/config.toml``
hides the details of anything that escapes even this net.
"""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

import streamlit as st

_log = logging.getLogger(__name__)

ERROR_ID_CHARS = 8
"""Hex digits of an error id: enough to find one report in the server's log."""


class _Page(Protocol):
    @property
    def title(self) -> str: ...

    def run(self) -> None: ...


def new_error_id() -> str:
    """A random id of :data:`ERROR_ID_CHARS` hex digits that links a message to its log."""
    return secrets.token_hex(ERROR_ID_CHARS // 2)


def error_message(error_id: str) -> str:
    """What the user reads when a page failed unexpectedly."""
    return (
        f"Something went wrong on this page (error id {error_id}). The session keeps your "
        "case: try again, or go to another page. If it happens again, report the error id "
        "to whoever runs this app; the details are in its log."
    )


def run_page(page: _Page) -> str | None:
    """Run ``page``; catch and log anything unexpected it raises, and say so briefly.

    Returns
    -------
    str or None
        The error id shown to the user, or ``None`` if the page ran to its end.
    """
    try:
        page.run()
    except Exception:
        # The traceback may name files, paths and data of other users' cases: the log only.
        error_id = new_error_id()
        _log.exception("page %r failed unexpectedly (error id %s)", page.title, error_id)
        st.error(error_message(error_id))
        return error_id
    return None
