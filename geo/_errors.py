"""Exceptions raised by the geo package (and the project-wide base class)."""

from __future__ import annotations


class SymbioMapError(Exception):
    """Base class of every error SymbioMap raises on purpose."""


class CRSError(SymbioMapError, ValueError):
    """A frame has no CRS, or one that cannot be used for the requested measure."""
