"""Offline map assets: Leaflet from the xstatic-leaflet package as data: URLs, no CDN."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import branca.element
import folium
from xstatic.pkg import leaflet as xstatic_leaflet

__all__ = [
    "DROPPED_ASSETS",
    "leaflet_css_url",
    "leaflet_js_url",
    "make_offline",
    "remote_asset_urls",
]

_LEAFLET_DIR = Path(xstatic_leaflet.BASE_DIR)
_CSS_IMAGE = re.compile(r"url\((['\"]?)(images/[A-Za-z0-9_.-]+\.png)\1\)")
_REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)

LEAFLET_JS = "leaflet"
LEAFLET_CSS = "leaflet_css"

DROPPED_ASSETS = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)
"""Folium's default assets the map does not use (it draws no awesome-markers or Bootstrap UI)."""


def _data_url(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@lru_cache(maxsize=1)
def leaflet_js_url() -> str:
    """Return Leaflet's JavaScript as a ``data:`` URL (built once per process)."""
    return _data_url("text/javascript", (_LEAFLET_DIR / "leaflet.js").read_bytes())


@lru_cache(maxsize=1)
def leaflet_css_url() -> str:
    """Return Leaflet's stylesheet as a ``data:`` URL with its PNG icons inlined.

    A stylesheet loaded from a ``data:`` URL cannot resolve relative ``url(images/...)``
    references, so each one becomes a base64 data URI of the packaged image.
    """
    css = (_LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = (_LEAFLET_DIR / match.group(2)).read_bytes()
        return f'url("{_data_url("image/png", image)}")'

    return _data_url("text/css", _CSS_IMAGE.sub(inline, css).encode("utf-8"))


def _elements(root: branca.element.Element) -> Iterator[branca.element.Element]:
    """Yield ``root`` and every element below it."""
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def _offline_links(
    links: list[tuple[str, str]], *, replacements: dict[str, str]
) -> list[tuple[str, str]]:
    kept: list[tuple[str, str]] = []
    for name, url in links:
        if name in replacements:
            kept.append((name, replacements[name]))
        elif name in DROPPED_ASSETS:
            continue
        elif _REMOTE.match(url):
            msg = (
                f"the map needs the remote asset {name!r} ({url}), which has no offline copy; "
                "bundle it in ui/assets.py or do not use the element that needs it"
            )
            raise ValueError(msg)
        else:
            kept.append((name, url))
    return kept


def make_offline(m: folium.Map) -> folium.Map:
    """Point every script and stylesheet of ``m`` at offline copies, in place.

    Leaflet's JS and CSS become ``data:`` URLs; jQuery, Bootstrap and awesome-markers
    (loaded by folium by default) are dropped. Call it after every element has been added.

    Parameters
    ----------
    m
        The map; its elements' ``default_js``/``default_css`` are overridden per instance.

    Returns
    -------
    folium.Map
        The same map, for chaining.

    Raises
    ------
    ValueError
        If an element needs a remote asset that has no offline copy (never dropped silently).
    """
    js = {LEAFLET_JS: leaflet_js_url()}
    css = {LEAFLET_CSS: leaflet_css_url()}
    for element in _elements(m):
        if hasattr(element, "default_js"):
            element.default_js = _offline_links(element.default_js, replacements=js)
        if hasattr(element, "default_css"):
            element.default_css = _offline_links(element.default_css, replacements=css)
    return m


def remote_asset_urls(m: folium.Map) -> list[str]:
    """Return the remote (``http(s)://``) script and stylesheet URLs ``m`` would load.

    Looks at the links streamlit-folium collects (every element's ``default_js`` and
    ``default_css``) and at the ``<script src>``/``<link href>`` tags of the rendered page.
    """
    urls = [
        url
        for element in _elements(m)
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
    ]
    page = m.get_root().render()
    urls += re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", page, flags=re.IGNORECASE)
    urls += re.findall(r"<link[^>]*\bhref=[\"']([^\"']+)", page, flags=re.IGNORECASE)
    return [url for url in urls if _REMOTE.match(url)]
