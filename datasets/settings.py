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
``SYMBIOMAP_MAX_UNCOMPRESSED_MB``, ``SYMBIOMAP_MAX_ROWS``, ``SYMBIOMAP_MAX_COLUMNS``,
``SYMBIOMAP_MAX_CELL_CHARS``, ``SYMBIOMAP_MAX_NESTING``, ``SYMBIOMAP_MAX_UNIT_CHARS``,
``SYMBIOMAP_MAX_COMPRESSION_RATIO``
    Bounds on what a case file may hold (:class:`InputLimits`); a file beyond one is refused
    with a message naming the variable that raises it.
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
class InputLimits:
    """Bounds on what one case file may hold, so that a hostile or broken file is refused at
    once instead of exhausting memory or time. Each refusal names the limit and its variable.

    Attributes
    ----------
    max_uncompressed_bytes : int
        Total bytes a case may unpack to (a zip's members, a workbook's XML parts), and the
        largest single file read (``SYMBIOMAP_MAX_UNCOMPRESSED_MB``, default 200 MB).
    max_rows : int
        Rows per table (``SYMBIOMAP_MAX_ROWS``, default 1,000,000).
    max_columns : int
        Columns per table (``SYMBIOMAP_MAX_COLUMNS``, default 500).
    max_cell_chars : int
        Characters per cell (``SYMBIOMAP_MAX_CELL_CHARS``, default 32,767: Excel's own limit).
    max_nesting : int
        Nesting depth of JSON (GeoJSON) documents (``SYMBIOMAP_MAX_NESTING``, default 64).
    max_unit_chars : int
        Characters of a unit expression (``SYMBIOMAP_MAX_UNIT_CHARS``, default 40).
    max_compression_ratio : int
        How many times its compressed size a zip member may unpack to
        (``SYMBIOMAP_MAX_COMPRESSION_RATIO``, default 250: case files compress 5-20 times,
        deflate cannot exceed about 1,030, so only a bomb or one repeated byte gets near it).
    """

    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_rows: int = 1_000_000
    max_columns: int = 500
    max_cell_chars: int = 32_767
    max_nesting: int = 64
    max_unit_chars: int = 40
    max_compression_ratio: int = 250


LIMIT_ENV: Mapping[str, str] = {
    "max_uncompressed_bytes": "SYMBIOMAP_MAX_UNCOMPRESSED_MB",
    "max_rows": "SYMBIOMAP_MAX_ROWS",
    "max_columns": "SYMBIOMAP_MAX_COLUMNS",
    "max_cell_chars": "SYMBIOMAP_MAX_CELL_CHARS",
    "max_nesting": "SYMBIOMAP_MAX_NESTING",
    "max_unit_chars": "SYMBIOMAP_MAX_UNIT_CHARS",
    "max_compression_ratio": "SYMBIOMAP_MAX_COMPRESSION_RATIO",
}
"""The environment variable of each limit (bytes are given in MB)."""


def limit_hint(name: str) -> str:
    """How to raise the limit ``name`` (a field of :class:`InputLimits`), for refusal messages."""
    variable = LIMIT_ENV[name]
    unit = " (in MB)" if name == "max_uncompressed_bytes" else ""
    return f"if the file is genuine, raise the limit with the environment variable {variable}{unit}"


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
    limits : InputLimits
        Bounds on what a case file may hold.
    """

    offline: bool = False
    cache_dir: Path = field(default_factory=DEFAULT_CACHE_DIR.expanduser)
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    requests_timeout_s: float = DEFAULT_REQUESTS_TIMEOUT_S
    limits: InputLimits = field(default_factory=InputLimits)


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


def _limits(environ: Mapping[str, str]) -> InputLimits:
    defaults = InputLimits()
    values: dict[str, int] = {}
    for name, variable in LIMIT_ENV.items():
        text = environ.get(variable, "").strip()
        if not text:
            continue
        try:
            value = int(text)
        except ValueError:
            example = getattr(defaults, name)
            if name == "max_uncompressed_bytes":
                example //= 1024 * 1024
            msg = f"{variable}={text!r} is not a whole number; unset it or give e.g. {example}"
            raise SettingsError(msg) from None
        if value <= 0:
            msg = f"{variable}={text!r} must be a positive whole number"
            raise SettingsError(msg)
        values[name] = value * 1024 * 1024 if name == "max_uncompressed_bytes" else value
    return InputLimits(**values)


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``environ`` (default: ``os.environ``).

    Raises
    ------
    SettingsError
        If a time-out or a limit is not a positive number.
    """
    env = os.environ if environ is None else environ
    cache = env.get(CACHE_DIR_ENV, "").strip()
    return Settings(
        offline=env.get(OFFLINE_ENV, "").strip() == "1",
        cache_dir=Path(cache or DEFAULT_CACHE_DIR).expanduser(),
        connect_timeout_s=_seconds(env, CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT_S),
        requests_timeout_s=_seconds(env, REQUESTS_TIMEOUT_ENV, DEFAULT_REQUESTS_TIMEOUT_S),
        limits=_limits(env),
    )


@lru_cache(maxsize=1)
def get() -> Settings:
    """The process's settings: the environment as it was at the first call."""
    return from_environment()
