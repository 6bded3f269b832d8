"""Geometry, coordinate reference systems and (later) road networks and distances."""

from __future__ import annotations

from geo import crs
from geo._errors import CRSError, SymbioMapError

__all__ = ["CRSError", "SymbioMapError", "crs"]
