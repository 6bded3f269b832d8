"""Validation findings: what is wrong where in a user's file, and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning", "info"]
_ORDER = {"error": 0, "warning": 1, "info": 2}

FRAME_COLUMNS = ["severity", "message", "hint", "file", "layer", "row", "field", "code"]
"""Columns of :meth:`ValidationReport.to_frame`, in display order."""


@dataclass(frozen=True)
class Finding:
    """One thing found in a case file.

    Attributes
    ----------
    file
        File name as the user knows it (the uploaded name, not a temporary path).
    layer
        Table, sheet or layer (``sites``, ``flows``, ...).
    row
        Where to look: the line number in a CSV or the row number in a spreadsheet (the header is
        row 1), the feature number (1-based) in a GeoPackage or GeoJSON layer; None for the
        whole table. Always a plain ``int`` or None (a numpy integer or a missing value given
        here is converted), so that tables and text show a number or nothing.
    field
        The column concerned, None for the whole row or table.
    severity
        ``error`` blocks loading; ``warning`` and ``info`` do not.
    code
        Stable identifier of the check (``E_UNKNOWN_SITE``), for filtering and tests.
    message
        What is wrong, in plain words with the offending value.
    hint
        How to fix it.
    """

    file: str
    layer: str | None
    row: int | None
    field: str | None
    severity: Severity
    code: str
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        # Checks pass row numbers straight from pandas (numpy int64, NaN or pd.NA for "no
        # row"); store them as int or None so that no table ever shows "None" or "4.0".
        row: object = self.row
        if row is not None and bool(pd.isna(row)):
            row = None
        elif row is not None:
            row = int(row)  # type: ignore[call-overload]
        object.__setattr__(self, "row", row)

    def format(self) -> str:
        """One line: ``file, layer sites, row 4, field nace: error E_NACE: message (hint)``."""
        where = [self.file]
        if self.layer:
            where.append(f"layer {self.layer}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field}")
        hint = f" Fix: {self.hint}" if self.hint else ""
        return f"{', '.join(where)}: {self.severity} {self.code}: {self.message}.{hint}"


@dataclass
class ValidationReport:
    """All findings of one load, in the order they were found."""

    findings: list[Finding] = field(default_factory=list)

    def add(
        self,
        *,
        file: str,
        layer: str | None,
        severity: Severity,
        code: str,
        message: str,
        hint: str = "",
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        """Record one finding."""
        self.findings.append(Finding(file, layer, row, field, severity, code, message, hint))

    def extend(self, findings: Iterable[Finding]) -> None:
        """Record several findings."""
        self.findings.extend(findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> list[Finding]:
        """Findings that block loading."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings that do not block loading but deserve a look."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        """Whether any finding blocks loading."""
        return any(f.severity == "error" for f in self.findings)

    def codes(self) -> set[str]:
        """The distinct finding codes, handy in tests and filters."""
        return {f.code for f in self.findings}

    def summary(self) -> str:
        """E.g. ``"2 errors, 1 warning, 0 notes"``."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        n_info = len(self.findings) - n_err - n_warn
        return (
            f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}, "
            f"{n_info} note{'s' * (n_info != 1)}"
        )

    def to_frame(self) -> pd.DataFrame:
        """The findings as a table, errors first.

        Columns ``severity, message, hint, file, layer, row, field, code``: what a reader needs
        first comes first. ``row`` is ``Int64`` and the text columns are ``string``, so a
        table-level finding shows a missing value there, never the text "None".
        """
        ordered = sorted(self.findings, key=lambda f: _ORDER[f.severity])
        frame = pd.DataFrame([asdict(f) for f in ordered], columns=FRAME_COLUMNS)
        return frame.astype({c: "Int64" if c == "row" else "string" for c in FRAME_COLUMNS})

    def format(self) -> str:
        """The whole report as text, errors first, then the summary line."""
        ordered = sorted(self.findings, key=lambda f: _ORDER[f.severity])
        return "\n".join([*(f.format() for f in ordered), self.summary()])
