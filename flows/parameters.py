"""The versioned parameter set behind every cost and CO2 figure (prices, factors, carbon price)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from datasets import reference_path
from flows._errors import SymbioMapError

DEFAULT_VERSION = "symbiomap-params 2026.2"


class ParameterError(SymbioMapError, KeyError):
    """A parameter is missing, malformed or overridden with the wrong unit."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Parameter:
    """One value with its unit and where it comes from."""

    key: str
    value: float
    unit: str
    source: str
    source_version: str
    note: str = ""


@dataclass(frozen=True)
class ParameterSet:
    """All parameters of one scoring run; results record :attr:`version`.

    Attributes
    ----------
    version
        Name and version of the set; ``+user`` is appended when anything is overridden.
    values
        key -> :class:`Parameter`.
    overridden
        Keys the user changed in this run.
    """

    version: str
    values: dict[str, Parameter]
    overridden: tuple[str, ...] = field(default=())

    def __getitem__(self, key: str) -> float:
        return self.get(key).value

    def get(self, key: str) -> Parameter:
        """The parameter called ``key``; raises :class:`ParameterError` naming close keys."""
        try:
            return self.values[key]
        except KeyError:
            prefix = key.rsplit(".", 1)[0]
            near = sorted(k for k in self.values if k.startswith(prefix))
            msg = f"no parameter {key!r}" + (f"; related: {', '.join(near)}" if near else "")
            raise ParameterError(msg) from None

    def find(self, key: str) -> Parameter | None:
        """The parameter called ``key``, or None."""
        return self.values.get(key)

    def value_or(self, key: str, default: float) -> float:
        """The value of ``key``, or ``default`` where the set has no such parameter."""
        found = self.values.get(key)
        return default if found is None else found.value

    def with_overrides(self, overrides: Mapping[str, float]) -> ParameterSet:
        """A copy with some values replaced (units and sources kept, marked as user input)."""
        values = dict(self.values)
        for key, value in overrides.items():
            old = self.get(key)
            values[key] = replace(
                old,
                value=float(value),
                source="user override",
                source_version="",
                note=f"default {old.value:g} {old.unit}",
            )
        suffix = "+user" if overrides else ""
        return ParameterSet(self.version + suffix, values, tuple(overrides))

    def to_frame(self) -> pd.DataFrame:
        """The set as a table (for reports and downloads)."""
        return pd.DataFrame(
            [
                {
                    "key": p.key,
                    "value": p.value,
                    "unit": p.unit,
                    "source": p.source,
                    "source_version": p.source_version,
                    "note": p.note,
                }
                for p in self.values.values()
            ]
        )


def load_parameters(path: str | os.PathLike[str] | None = None) -> ParameterSet:
    """Read a parameter file (default: ``datasets/reference/parameters.csv``).

    Raises
    ------
    ParameterError
        If a row has no numeric value, unit or source, or a key repeats.
    """
    file = Path(path) if path is not None else reference_path("parameters.csv")
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    values: dict[str, Parameter] = {}
    version = DEFAULT_VERSION
    for pos, row in enumerate(frame.itertuples(index=False), start=2):
        key = row.key.strip()
        if key == "set.version":
            version = row.value.strip()
            continue
        try:
            number = float(row.value)
        except ValueError:
            msg = f"{file.name}: row {pos}, value: {row.value!r} of {key} is not a number"
            raise ParameterError(msg) from None
        if not row.unit.strip() or not row.source.strip():
            msg = f"{file.name}: row {pos}: {key} needs a unit and a source"
            raise ParameterError(msg)
        if key in values:
            msg = f"{file.name}: row {pos}: {key} appears twice"
            raise ParameterError(msg)
        values[key] = Parameter(
            key,
            number,
            row.unit.strip(),
            row.source.strip(),
            row.source_version.strip(),
            row.note.strip(),
        )
    return ParameterSet(version, values)
