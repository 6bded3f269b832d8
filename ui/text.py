"""Text helpers shared by the UI: Markdown escaping, plain and HTML-escaped values, codes
with their names.

No imports from :mod:`ui`, so any UI module (state, network, pages) can use them without
creating an import cycle.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd

from flows import nace, reference

__all__ = ["escape_markdown", "html_text", "nace_label", "plain", "resource_label"]

_MARKDOWN_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>~$:]")


def escape_markdown(text: str) -> str:
    """Escape Markdown syntax so user text (a case name) shows literally in ``st.caption``."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def plain(value: object) -> str:
    """Return ``value`` as text; missing values (None, NaN, NA) become an empty string."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def html_text(value: object) -> str:
    """Return ``value`` as HTML-escaped text; missing values become an empty string."""
    return html.escape(plain(value))


def resource_label(code: object) -> str:
    """A resource code with its name: ``"10 01 05 — solid reaction wastes from ..."``.

    The EWC description or carrier name comes from the bundled vocabulary
    (:func:`flows.reference.default`); a code it does not know is shown as it is, so a
    tooltip never fails. Not escaped.
    """
    text = plain(code)
    if not text:
        return ""
    try:
        name = reference.default().vocabulary.describe(text)
    except (KeyError, ValueError):
        return text
    return f"{text} — {name}" if name and name != text else text


def nace_label(code: object) -> str:
    """A NACE code with its title: ``"23.52 — Manufacture of lime and plaster"``.

    Uses :func:`flows.nace.title`; an unknown code is shown as it is. Not escaped.
    """
    text = plain(code)
    if not text:
        return ""
    try:
        name = nace.title(text)
    except (KeyError, ValueError):
        return text
    return f"{text} — {name}"
