"""Resources, units, the case model and its files, validation (and later matching, scoring)."""

from __future__ import annotations

from flows import io, model, nace, resources, schema, units, validation
from flows._errors import (
    CaseReadError,
    CaseValidationError,
    CaseWriteError,
    ResourceError,
    SymbioMapError,
    UnitError,
)
from flows.io import LoadResult, load_case, read_case, write_case
from flows.model import Case

__all__ = [
    "Case",
    "CaseReadError",
    "CaseValidationError",
    "CaseWriteError",
    "LoadResult",
    "ResourceError",
    "SymbioMapError",
    "UnitError",
    "io",
    "load_case",
    "model",
    "nace",
    "read_case",
    "resources",
    "schema",
    "units",
    "validation",
    "write_case",
]
