"""Transport modes and the circuity factors that turn a geodesic distance into a route estimate."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from datasets import reference_path

MODES = ("road", "rail", "inland-waterway", "sea", "pipeline")


@dataclass(frozen=True)
class ModeFactor:
    """How a mode's distance is estimated without a network.

    Attributes
    ----------
    mode
        One of :data:`MODES`.
    circuity
        Route length over geodesic length.
    fallback_speed_kph
        Speed used for an estimated duration (road only); None where durations are not modelled.
    version
        Version of the factor set (``datasets/reference/circuity.csv``).
    status
        ``assumption`` or ``measured``.
    source
        Where the value comes from.
    """

    mode: str
    circuity: float
    fallback_speed_kph: float | None
    version: str
    status: str
    source: str


def read_factors(path: str | os.PathLike[str] | None = None) -> dict[str, ModeFactor]:
    """Read the circuity factors per mode (default: the bundled ``circuity.csv``).

    Not cached here: :func:`flows.reference.default` keeps the bundled copy for analyses.
    """
    file = Path(path) if path is not None else reference_path("circuity.csv")
    with file.open(encoding="utf-8", newline="") as fh:
        return {
            row["mode"]: ModeFactor(
                mode=row["mode"],
                circuity=float(row["circuity"]),
                fallback_speed_kph=float(row["fallback_speed_kph"])
                if row["fallback_speed_kph"]
                else None,
                version=row["version"],
                status=row["status"],
                source=row["source"],
            )
            for row in csv.DictReader(fh)
        }


def factors(
    overrides: Mapping[str, float] | None = None, *, table: Mapping[str, ModeFactor] | None = None
) -> dict[str, ModeFactor]:
    """The circuity factors per mode, with optional user overrides (mode -> circuity).

    Overridden factors are marked ``status="user"`` so results say where they came from.

    Parameters
    ----------
    overrides
        Mode -> circuity replacing the table's.
    table
        The factors to start from (default: :func:`read_factors`, the bundled file).

    Raises
    ------
    ValueError
        For an unknown mode or a circuity below 1.
    """
    table = dict(read_factors() if table is None else table)
    for mode, circuity in (overrides or {}).items():
        if mode not in table:
            msg = f"unknown mode {mode!r}; modes are {', '.join(MODES)}"
            raise ValueError(msg)
        if not circuity >= 1.0:
            msg = (
                f"circuity of {mode} must be at least 1 (a route is never shorter), got {circuity}"
            )
            raise ValueError(msg)
        table[mode] = replace(table[mode], circuity=float(circuity), status="user")
    return table
