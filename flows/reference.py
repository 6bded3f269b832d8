"""Reference data as one read-only value: loaded once, passed explicitly, changed by copy.

An analysis depends on reference tables (the EWC list and carriers, the synergy library, the
parameter set, which resources serve which demands, what each resource replaces, the mode
circuity factors). They
live in :class:`Reference`; :func:`load` reads them from files, :func:`default` is the bundled
set read once per process (the only cache of these tables), and
:meth:`Reference.with_overrides` returns a changed copy for one run (a scenario, a Monte Carlo
draw) without touching anybody else's.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from datasets import reference_path
from flows import library as synergy_library
from flows import resources
from flows.counterfactuals import CounterfactualTable, load_counterfactuals
from flows.parameters import ParameterSet, load_parameters
from flows.pipes import PipeParameters, load_pipe_parameters
from geo import modes


@dataclass(frozen=True)
class Substitute:
    """What a resource replaces: the price and emission-factor keys of the virgin input.

    Attributes
    ----------
    match
        A carrier name, an EWC code or an EWC prefix (``10 02``).
    unit
        The canonical unit this row applies to (``t/yr``, ``MWh/yr``, ``m3/yr``).
    price_key, ef_key
        Parameter keys of the virgin input's price and production emission factor.
    factor
        Units of virgin input replaced per canonical unit of the resource.
    note
        Why.
    """

    match: str
    unit: str
    price_key: str
    ef_key: str
    factor: float
    note: str


def read_compatibility(path: str | os.PathLike[str] | None = None) -> dict[str, tuple[str, ...]]:
    """supply resource -> the other demand resources it can serve (``compatibility.csv``)."""
    file = Path(path) if path is not None else reference_path("compatibility.csv")
    table: dict[str, list[str]] = {}
    with file.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            table.setdefault(row["supply"], []).append(row["demand"])
    return {k: tuple(v) for k, v in table.items()}


def read_substitutes(path: str | os.PathLike[str] | None = None) -> tuple[Substitute, ...]:
    """The substitution table (``substitution.csv``), most specific match first."""
    file = Path(path) if path is not None else reference_path("substitution.csv")
    with file.open(encoding="utf-8", newline="") as fh:
        rows = [
            Substitute(
                r["match"], r["unit"], r["price_key"], r["ef_key"], float(r["factor"]), r["note"]
            )
            for r in csv.DictReader(fh)
        ]
    return tuple(sorted(rows, key=lambda s: -len(s.match)))


@dataclass(frozen=True)
class Reference:
    """Every reference table an analysis reads, as one immutable value.

    Attributes
    ----------
    library : DataFrame
        The synergy library (:func:`flows.library.load_library`), each row with its evidence
        counted in ``documented``; treat as read-only.
    parameters : ParameterSet
        Prices and factors, versioned.
    compatibility : Mapping[str, tuple[str, ...]]
        Supply resource -> other demand resources it can serve.
    substitutes : tuple[Substitute, ...]
        What each resource replaces, most specific first.
    circuity : Mapping[str, ModeFactor]
        Route length over geodesic length per transport mode.
    vocabulary : Vocabulary
        The EWC list and the carriers resources are named with.
    counterfactuals : CounterfactualTable
        What a supply would become without the exchange, per country, with the legal bans and
        the supply kinds (``counterfactuals.csv``, ``route_bans.csv``, ``supply_kinds.csv``).
    pipes : PipeParameters
        Pipe sizing, the Hotmaps and THERMOS cost models, losses, pumping (``pipe_costs.csv``).
    documented : DataFrame
        Exchanges documented in cited sources (:func:`flows.library.load_documented`), the
        evidence behind the library's ``evidence_count``; treat as read-only.
    """

    library: pd.DataFrame
    parameters: ParameterSet
    compatibility: Mapping[str, tuple[str, ...]]
    substitutes: tuple[Substitute, ...]
    circuity: Mapping[str, modes.ModeFactor]
    vocabulary: resources.Vocabulary
    counterfactuals: CounterfactualTable
    pipes: PipeParameters
    documented: pd.DataFrame

    def with_overrides(
        self,
        *,
        parameters: Mapping[str, float] | None = None,
        pipes: Mapping[str, float] | None = None,
        circuity: Mapping[str, float] | None = None,
        library: pd.DataFrame | None = None,
    ) -> Reference:
        """A copy with some parameter values, circuity factors or the library replaced.

        Parameters
        ----------
        parameters
            Parameter key -> new value (marked as a user override; the set's version gains
            ``+user``).
        circuity
            Mode -> new circuity factor.
        library
            Another synergy library (already loaded and checked); its evidence is counted
            again in this reference's documented exchanges.
        pipes
            Pipe parameter key -> new value (the pipe set's version gains ``+user``).
        """
        changed = self
        if pipes:
            changed = replace(changed, pipes=changed.pipes.with_overrides(pipes))
        if parameters:
            changed = replace(changed, parameters=changed.parameters.with_overrides(parameters))
        if circuity:
            factors = {
                mode: replace(factor, circuity=float(circuity[mode]), status="user override")
                if mode in circuity
                else factor
                for mode, factor in changed.circuity.items()
            }
            changed = replace(changed, circuity=MappingProxyType(factors))
        if library is not None:
            counted = synergy_library.with_evidence(library, changed.documented)
            changed = replace(changed, library=counted)
        return changed

    @property
    def version(self) -> str:
        """The versions of the parameter, pipe and counterfactual sets, recorded with every
        result (:func:`flows.scoring.result_version`)."""
        return f"{self.parameters.version}; {self.pipes.version}; {self.counterfactuals.version}"


def load(
    *,
    library_path: str | os.PathLike[str] | None = None,
    parameters_path: str | os.PathLike[str] | None = None,
    compatibility_path: str | os.PathLike[str] | None = None,
    substitution_path: str | os.PathLike[str] | None = None,
    ewc_path: str | os.PathLike[str] | None = None,
    carriers_path: str | os.PathLike[str] | None = None,
    circuity_path: str | os.PathLike[str] | None = None,
    counterfactuals_path: str | os.PathLike[str] | None = None,
    pipes_path: str | os.PathLike[str] | None = None,
    documented_path: str | os.PathLike[str] | None = None,
) -> Reference:
    """Read a reference bundle (each table from its bundled file unless a path is given).

    Raises
    ------
    LibraryError, ParameterError
        If the library, the documented exchanges or the parameter file is malformed (the
        message names file and row).
    """
    vocabulary = resources.read_vocabulary(ewc_path=ewc_path, carriers_path=carriers_path)
    documented = synergy_library.load_documented(documented_path, vocabulary=vocabulary)
    return Reference(
        library=synergy_library.load_library(
            library_path, vocabulary=vocabulary, documented=documented
        ),
        parameters=load_parameters(parameters_path),
        compatibility=MappingProxyType(read_compatibility(compatibility_path)),
        substitutes=read_substitutes(substitution_path),
        circuity=MappingProxyType(modes.read_factors(circuity_path)),
        vocabulary=vocabulary,
        counterfactuals=load_counterfactuals(counterfactuals_path),
        pipes=load_pipe_parameters(pipes_path),
        documented=documented,
    )


@lru_cache(maxsize=1)
def default() -> Reference:
    """The bundled reference data, read once per process and shared (it is never changed)."""
    return load()
