"""One analysis pipeline under every interface: :func:`analyse`.

The command line, the Python API and the app all call :func:`analyse`; nothing else chains
matching and scoring. The result, :class:`Analysis`, is immutable and records what it was
computed from (a fingerprint of the case and network, the parameter-set version, the
options), so two runs can be compared and a figure traced back. What a viewer may see of it is
decided by :mod:`flows.privacy` (:meth:`Analysis.view`, :meth:`Analysis.totals`).

Candidate column contract
-------------------------
:data:`CANDIDATE_COLUMNS` (from :mod:`flows.matching`): ``candidate_id``, the supply and demand
flow, site, resource and quantity, ``quantity`` (min of both, canonical unit ``unit``: t/yr,
MWh/yr or m3/yr), ``mode``, ``distance_m`` and ``distance_kind`` (road, geodesic, estimated),
``duration_s``, ``basis`` (declared / inferred), ``confidence``, parks and ``cross_park``,
``confidential``, ``exchange_status`` (``new``, or the status of the exchange of the case it
repeats: active, planned, historical); then :data:`SCORE_COLUMNS` (from :mod:`flows.scoring`):
tonne-km, transport cost (EUR/yr) and CO2e (t/yr), avoided disposal and purchase (EUR/yr),
avoided virgin and disposal CO2e (t/yr), ``net_co2e_t``, ``carbon_value_eur``,
``net_benefit_eur`` (EUR/yr), ``break_even_km``, ``rank`` (1 = best net benefit),
``parameter_set``, ``explanation``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from datasets import settings
from flows import allocation, matching, periods, privacy, scoring, summary
from flows import reference as reference_data
from flows.matching import CANDIDATE_COLUMNS
from flows.model import Case
from flows.parameters import ParameterSet
from flows.scoring import SCORE_COLUMNS

if TYPE_CHECKING:
    from flows.heat_networks import HeatNetwork
    from geo.routing import RoadNetwork

__all__ = [
    "CANDIDATE_COLUMNS",
    "SCORE_COLUMNS",
    "Analysis",
    "AnalysisOptions",
    "analyse",
    "fingerprint",
]

CARBON_PRICE_KEY = "carbon.price"

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class AnalysisOptions:
    """What an analysis run may vary besides its inputs (recorded with the result).

    Attributes
    ----------
    max_km
        One maximum distance for every resource, km (default: each resource's economic
        distance from the synergy library).
    include_inferred
        Also pair declared flows with flows inferred from sector codes (flagged ``inferred``).
    max_access_m
        Sites farther than this from the road network are estimated, not routed, metres.
    k_nearest
        Each supply's and each demand's nearest partners kept (None: every pair in range).
    carbon_price_eur_per_t
        Carbon price, EUR per t CO2e (default: the parameter set's).
    explain
        Build the plain-language explanation of every candidate (built on whole columns,
        about a second per million candidates; False leaves the column out).
    year
        Reference year: only sites and flows that exist in it are matched, and a candidate's
        ``exchange_status`` is that of the recorded exchange in that year
        (:mod:`flows.periods`; default: the current year).
    """

    max_km: float | None = None
    include_inferred: bool = False
    max_access_m: float = settings.DEFAULT_MAX_ACCESS_M
    k_nearest: int | None = settings.DEFAULT_NEAREST_PARTNERS
    carbon_price_eur_per_t: float | None = None
    explain: bool = True
    year: int | None = None

    @property
    def reference_year(self) -> int:
        """The year the analysis is for (``year``, or the current one)."""
        return periods.current_year() if self.year is None else int(self.year)

    def match_options(self) -> matching.MatchOptions:
        """The matching part of these options."""
        return matching.MatchOptions(
            max_km=self.max_km,
            include_inferred=self.include_inferred,
            max_access_m=self.max_access_m,
            k_nearest=self.k_nearest,
        )


@dataclass(frozen=True)
class Analysis:
    """The result of :func:`analyse`: immutable, self-describing.

    Attributes
    ----------
    case_fingerprint : str
        SHA-256 of the case's tables (what was analysed).
    network_fingerprint : str or None
        Identity of the road network used (None: distances estimated).
    parameter_set : str
        Version of the parameter set the figures were computed with (``+user`` if overridden).
    options : AnalysisOptions
        The options of the run.
    reference : Reference
        The reference data of the run (library, parameters, tables).
    year : int
        The reference year of the run.
    year_note : str
        What the reference year left out of the case ("" when nothing).
    """

    case_fingerprint: str
    network_fingerprint: str | None
    parameter_set: str
    options: AnalysisOptions
    reference: reference_data.Reference = field(repr=False)
    year: int
    year_note: str
    _candidates: pd.DataFrame = field(repr=False)
    _matched: pd.DataFrame = field(repr=False)

    @property
    def candidates(self) -> pd.DataFrame:
        """Every scored candidate, ranked, owner's view (a copy: the result never changes).

        Shared outputs use :meth:`view` instead.
        """
        return self._candidates.copy(deep=False)

    @property
    def matched(self) -> pd.DataFrame:
        """The candidates as matching found them, before scoring (a copy): what a Monte Carlo
        draw re-scores without searching again (:mod:`flows.uncertainty`)."""
        return self._matched.copy(deep=False)

    @property
    def parameters(self) -> ParameterSet:
        """The parameter set of the run."""
        return self.reference.parameters

    def view(self, *, tier: privacy.Tier) -> pd.DataFrame:
        """The candidates as ``tier`` may see them (:func:`flows.privacy.candidates`)."""
        return privacy.candidates(self._candidates, tier=tier)

    def totals(self, *, tier: privacy.Tier, frame: pd.DataFrame | None = None) -> summary.Totals:
        """Totals over every candidate (or over ``frame``, a subset) as ``tier`` may see them."""
        return privacy.totals(self._candidates if frame is None else frame, tier=tier)

    def plan(
        self,
        *,
        tier: privacy.Tier,
        options: allocation.AllocationOptions | None = None,
        networks: Sequence[HeatNetwork] = (),
    ) -> allocation.Plan:
        """The best set of exchanges among the candidates ``tier`` may see
        (:func:`flows.allocation.allocate`): candidates whose figures are withheld from the
        tier take no part, so a plan never reveals them. ``networks``: shared heat networks
        offered beside the point-to-point pipes (built from the same tier's candidates)."""
        return allocation.allocate(self.view(tier=tier), options=options, networks=networks)

    def shared_heat_networks(
        self, case: Case, *, tier: privacy.Tier, road: RoadNetwork | None = None
    ) -> list[HeatNetwork]:
        """Heat sources and sinks within reach joined as shared networks
        (:func:`flows.heat_networks.shared_networks`), from the candidates ``tier`` may see: a
        candidate whose figures are withheld takes no part. ``road``: trenches measured on the
        road network (else geodesic x the pipeline circuity)."""
        from flows import heat_networks  # noqa: PLC0415 - only when networks are asked

        shown = self.view(tier=tier)
        shown = shown[~shown["withheld"].to_numpy(dtype=bool)]
        params = self.parameters
        return heat_networks.shared_networks(
            shown,
            case,
            pipe_parameters=self.reference.pipes,
            electricity_price_eur_per_mwh=params["price.electricity"],
            grid_ef_kg_co2e_per_mwh=params["ef.grid_electricity.eu"],
            network=road,
        )

    def __len__(self) -> int:
        return len(self._candidates)


def fingerprint(case: Case) -> str:
    """SHA-256 of a case's tables (sites with geometry as WKB, parks, flows, exchanges)."""
    digest = hashlib.sha256()
    sites = case.sites
    digest.update(pd.util.hash_pandas_object(sites.drop(columns="geometry"), index=False).values)
    digest.update(b"".join(sites.geometry.to_wkb()))
    for table in (case.flows, case.exchanges):
        digest.update(pd.util.hash_pandas_object(table.astype("string"), index=False).values)
    if not case.parks.empty:
        digest.update(b"".join(case.parks.geometry.to_wkb()))
    return digest.hexdigest()


def analyse(
    case: Case,
    *,
    network: RoadNetwork | None = None,
    parameters: ParameterSet | None = None,
    options: AnalysisOptions | None = None,
    reference: reference_data.Reference | None = None,
    previous: Analysis | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Find, measure and score the candidate exchanges of a case.

    Parameters
    ----------
    case
        A valid case (:func:`flows.io.load_case`).
    network
        A road network for road distances (without one, road distances are estimated with the
        mode's circuity factor and say so).
    parameters
        A parameter set replacing the reference's (e.g. a scenario's).
    options
        Distance limits, inferred candidates, carbon price, explanations.
    reference
        Reference data (default: the bundled set, :func:`flows.reference.default`).
    previous
        An earlier analysis: when it searched the same case and network with the same matching
        options and library, its candidates are re-scored instead of searched again (a new
        carbon price or parameter set costs a scoring pass only).
    progress
        Called with (fraction done, what is happening).

    Returns
    -------
    Analysis
        Ranked candidates with the fingerprint of the inputs and the parameter set's version.
    """
    opts = options or AnalysisOptions()
    ref = reference or reference_data.default()
    if parameters is not None:
        ref = dataclasses.replace(ref, parameters=parameters)
    if (
        opts.carbon_price_eur_per_t is not None
        and float(opts.carbon_price_eur_per_t) != ref.parameters[CARBON_PRICE_KEY]
    ):
        ref = ref.with_overrides(parameters={CARBON_PRICE_KEY: opts.carbon_price_eur_per_t})
    report = progress or (lambda _f, _m: None)
    case_id = fingerprint(case)
    network_id = None if network is None else _network_id(network)
    year = opts.reference_year
    as_of = periods.in_year(case, year)
    if (
        previous is not None
        and previous.case_fingerprint == case_id
        and previous.network_fingerprint == network_id
        and previous.year == year
        and previous.options.match_options() == opts.match_options()
        and previous.reference.library is ref.library
        and previous.reference.compatibility is ref.compatibility
        and previous.reference.pipes is ref.pipes
    ):
        found = previous._matched
    else:
        found = matching.match(
            as_of.case,
            network=network,
            options=opts.match_options(),
            library=ref.library,
            compatibility=ref.compatibility,
            vocabulary=ref.vocabulary,
            circuity=ref.circuity,
            pipes=ref.pipes,
            progress=lambda f, m: report(0.9 * f, m),
        )
    report(0.9, f"scoring {len(found):,} candidates")
    scored = scoring.score(
        found,
        ref.parameters,
        ref.library,
        substitutes=ref.substitutes,
        counterfactuals=ref.counterfactuals,
        pipe_parameters=ref.pipes,
        explain=opts.explain,
    )
    report(1.0, f"{len(scored):,} candidates")
    return Analysis(
        case_fingerprint=case_id,
        network_fingerprint=network_id,
        parameter_set=ref.version,
        options=opts,
        reference=ref,
        year=year,
        year_note=as_of.note(),
        _candidates=scored,
        _matched=found,
    )


def _network_id(network: RoadNetwork) -> str:
    # A RoadNetwork is immutable and built once per graph: its identity plus its size names it
    # within a process (comparing two runs on the same loaded network).
    vehicle = "" if network.vehicle is None else f"; {network.vehicle.describe()}"
    return f"road-network:{id(network):x}:{len(network.node_ids)} nodes{vehicle}"
