"""Hand memory a session no longer needs back to the operating system (no Streamlit here).

CPython returns freed objects to its allocator, and glibc's ``malloc`` keeps most of the freed
heap for later: after a large case is read, or a session holding one ends, the server's resident
size stays where the peak was although nothing uses that memory any more. :func:`release_memory`
runs the cycle collector and, on Linux with glibc, ``malloc_trim(0)``, which returns the free
heap pages. :func:`release_when_collected` calls it once a session's state is gone, without
relying on a session-end hook (Streamlit has no public one).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
import threading
import weakref
from collections.abc import Callable
from functools import cache

__all__ = ["SessionToken", "malloc_trim", "release_memory", "release_when_collected"]

_log = logging.getLogger(__name__)


@cache
def _glibc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where there is no glibc (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        # musl and other C libraries have no malloc_trim: nothing to hand back this way.
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def malloc_trim() -> bool:
    """Ask glibc to return free heap memory to the operating system.

    Returns
    -------
    bool
        Whether memory was returned; False also where glibc is absent (nothing is done).
    """
    trim = _glibc_trim()
    if trim is None:
        return False
    return bool(trim(0))


def release_memory() -> bool:
    """Collect unreachable objects, then :func:`malloc_trim`.

    Safe to call anywhere and from any thread; it costs a full collection (a fraction of a
    second with a large case in memory), so call it after large work, not on every rerun.

    Returns
    -------
    bool
        What :func:`malloc_trim` returned.
    """
    gc.collect()
    return malloc_trim()


class SessionToken:
    """An object a session keeps in its state so its end can be noticed (see
    :func:`release_when_collected`); it holds nothing."""

    __slots__ = ("__weakref__",)


def _release_later(delay_s: float) -> None:
    # A finalizer may run inside the garbage collector: collect on a thread of its own.
    timer = threading.Timer(delay_s, _release_logged)
    timer.daemon = True
    timer.start()


def _release_logged() -> None:
    try:
        release_memory()
    except Exception:  # a background thread: log, never let it die loudly
        _log.exception("releasing memory after a session ended failed")


def release_when_collected(
    token: object, *, delay_s: float = 1.0
) -> weakref.finalize[[float], object]:
    """Call :func:`release_memory` on a background thread once ``token`` is garbage collected.

    Stored in a session's state, ``token`` lives exactly as long as the session does: when the
    server drops the session (Streamlit does so ``server.disconnectedSessionTTL`` seconds after
    the tab closed), the token goes with the rest of its state, and the memory the session held
    is handed back.

    Parameters
    ----------
    token
        An object that supports weak references (a :class:`SessionToken`).
    delay_s
        Seconds to wait before releasing, so the rest of the session is freed first.

    Returns
    -------
    weakref.finalize
        The finalizer (``detach()`` it to cancel).
    """
    finalizer = weakref.finalize(token, _release_later, delay_s)
    finalizer.atexit = False  # the server is stopping: no thread to start, nothing to hand back
    return finalizer
