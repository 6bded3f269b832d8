"""SymbioMap's settings: the environment is read here, once per process, and nowhere else.

Every default limit and knob that a user may want to look up is named here too, so a newcomer
finds them in one place. Code reads :func:`get` (a frozen value); tests that need other values
build one with :func:`from_environment` or :func:`dataclasses.replace` and pass it on.

Environment variables
---------------------
``SYMBIOMAP_OFFLINE``
    ``1`` draws maps without any tile layer and refuses online downloads at once.
``SYMBIOMAP_CACHE_DIR``
    The cache folder for downloaded networks and areas (default ``~/.cache/symbiomap``).
``SYMBIOMAP_CONNECT_TIMEOUT_S``
    How long the reachability check waits for an OpenStreetMap server (default 3 s).
``SYMBIOMAP_REQUESTS_TIMEOUT_S``
    osmnx's HTTP timeout while downloading (default 60 s).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from datasets.errors import SymbioMapError

OFFLINE_ENV = "SYMBIOMAP_OFFLINE"
CACHE_DIR_ENV = "SYMBIOMAP_CACHE_DIR"
CONNECT_TIMEOUT_ENV = "SYMBIOMAP_CONNECT_TIMEOUT_S"
REQUESTS_TIMEOUT_ENV = "SYMBIOMAP_REQUESTS_TIMEOUT_S"

DEFAULT_CACHE_DIR = Path("~/.cache/symbiomap")
DEFAULT_CONNECT_TIMEOUT_S = 3.0
DEFAULT_REQUESTS_TIMEOUT_S = 60.0
DEFAULT_DOWNLOAD_MARGIN_M = 2_000.0
"""Road networks and industrial areas are downloaded this far beyond the outermost site."""

# Analysis defaults (used by flows.pipeline.AnalysisOptions).
DEFAULT_MAX_ACCESS_M = 1_000.0
"""Sites farther than this from the road network are flagged off-network and not routed."""
DEFAULT_NEAREST_PARTNERS = 5
"""Each supply's and each demand's k nearest partners are kept by the matcher."""
PUBLIC_MIN_COMPANIES = 3
"""In the public tier, figures of confidential flows appear only summed over at least this many
distinct companies (the usual statistical-disclosure threshold)."""


class SettingsError(SymbioMapError, ValueError):
    """An environment variable holds a value SymbioMap cannot use, or settings clash."""


@dataclass(frozen=True)
class Settings:
    """The values SymbioMap takes from the environment, read once.

    Attributes
    ----------
    offline : bool
        No tile layer and no download attempt (``SYMBIOMAP_OFFLINE=1``).
    cache_dir : Path
        Where downloaded networks and areas are cached.
    connect_timeout_s : float
        Reachability check time-out, seconds.
    requests_timeout_s : float
        osmnx HTTP time-out, seconds.
    """

    offline: bool = False
    cache_dir: Path = field(default_factory=DEFAULT_CACHE_DIR.expanduser)
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    requests_timeout_s: float = DEFAULT_REQUESTS_TIMEOUT_S


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        msg = f"{name}={text!r} is not a number of seconds; unset it or give e.g. {default:g}"
        raise SettingsError(msg) from None
    if value <= 0:
        msg = f"{name}={text!r} must be a positive number of seconds"
        raise SettingsError(msg)
    return value


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``environ`` (default: ``os.environ``).

    Raises
    ------
    SettingsError
        If a time-out is not a positive number.
    """
    env = os.environ if environ is None else environ
    cache = env.get(CACHE_DIR_ENV, "").strip()
    return Settings(
        offline=env.get(OFFLINE_ENV, "").strip() == "1",
        cache_dir=Path(cache or DEFAULT_CACHE_DIR).expanduser(),
        connect_timeout_s=_seconds(env, CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT_S),
        requests_timeout_s=_seconds(env, REQUESTS_TIMEOUT_ENV, DEFAULT_REQUESTS_TIMEOUT_S),
    )


@lru_cache(maxsize=1)
def get() -> Settings:
    """The process's settings: the environment as it was at the first call."""
    return from_environment()
