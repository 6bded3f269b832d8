"""The project-wide exception base, in the lowest layer so that every package can subclass it."""

from __future__ import annotations


class SymbioMapError(Exception):
    """Base class of every error SymbioMap raises on purpose.

    Each subclass also subclasses the built-in it refines (``ValueError``, ``OSError``,
    ``ConnectionError`` ...), so callers may catch either.
    """
