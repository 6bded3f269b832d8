"""Exceptions raised by the flows package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datasets.errors import SymbioMapError

if TYPE_CHECKING:
    from flows.validation import ValidationReport

__all__ = [
    "CaseReadError",
    "CaseValidationError",
    "CaseWriteError",
    "ResourceError",
    "SymbioMapError",
    "UnitError",
]


class CaseReadError(SymbioMapError, OSError):
    """A case file or folder could not be opened or parsed at all (CLI exit code 2)."""


class CaseValidationError(SymbioMapError, ValueError):
    """A case was read but has blocking errors; ``report`` lists every finding."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class UnitError(SymbioMapError, ValueError):
    """A unit is unknown or of the wrong dimension for a resource."""


class ResourceError(SymbioMapError, ValueError):
    """A resource is neither a well-formed EWC code nor a known carrier."""


class CaseWriteError(SymbioMapError, OSError):
    """A case could not be written; the target was left untouched."""
