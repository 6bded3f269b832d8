"""Uncertainty bands: a seeded Monte Carlo of the scoring, the plan and the totals.

Matching is done once; only the figures are redrawn. Every range is a *relative factor* on a
figure of the reference data (``datasets/reference/uncertainty.csv``, documented in
``uncertainty.md``): a parameter of the set (``carbon.price``, ``price.natural_gas`` ...), the
disposal cost of a group of counterfactual routes (``counterfactual.cost.landfill`` ...), or the
quantity of a flow (``quantity.declared``, ``quantity.inferred``, or per flow through
``quantity_ranges``).

Why no call of :func:`flows.scoring.score` per draw: for given candidates, every money and CO2e
figure of the scoring is affine in each parameter on its own (a rate times a quantity, a
distance or a pumping energy), and the only product of two parameters is the carbon price times
the net CO2e. :class:`ScoreModel` therefore scores the candidates once per parameter, with that
parameter doubled through :meth:`flows.reference.Reference.with_overrides` (never changing the
shared reference), and keeps the change of each figure; a draw is then a matrix product. The
tests check it equal to :func:`~flows.scoring.score` on drawn parameter sets.

Quantities follow the plan's cost model (:mod:`flows.allocation`): a candidate's figures scale
with its quantity, except a pipe's transport cost and pumping CO2e, which are fixed (a pipe is
paid whatever flows). This is exact for freight; for a pipe it leaves its size, and so its
investment and heat loss, as designed for the declared quantity.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from datasets import reference_path
from flows import allocation, privacy, scoring, summary
from flows._errors import SymbioMapError

if TYPE_CHECKING:
    from flows.heat_networks import HeatNetwork
    from flows.model import Case
    from flows.pipeline import Analysis
    from flows.reference import Reference

Distribution = Literal["triangular", "uniform", "follows"]
DISTRIBUTIONS: tuple[Distribution, ...] = ("triangular", "uniform", "follows")

CARBON_PRICE_KEY = "carbon.price"
QUANTITY_KEYS = ("quantity.declared", "quantity.inferred")

COUNTERFACTUAL_GROUPS: Mapping[str, tuple[str, ...]] = {
    "counterfactual.cost.landfill": ("landfill-inert", "landfill-nonhazardous"),
    "counterfactual.cost.incineration": (
        "incineration-energy-recovery",
        "incineration",
        "co-incineration",
    ),
    "counterfactual.cost.hazardous": ("landfill-hazardous",),
    "counterfactual.cost.wastewater": ("wastewater-treatment",),
}
"""Range keys that scale the avoided disposal cost of candidates whose counterfactual route is
one of these (whatever country row of ``counterfactuals.csv`` priced it)."""

PERCENTILES = (10.0, 50.0, 90.0)

KPI_UNITS: Mapping[str, str] = {
    "plan_value": "objective",
    "plan_new_value": "objective",
    "plan_co2e_t": "t CO2e/yr",
    "in_place_net_benefit_eur": "EUR/yr",
    "in_place_net_co2e_t": "t CO2e/yr",
    "new_potential_net_benefit_eur": "EUR/yr",
    "new_potential_net_co2e_t": "t CO2e/yr",
}
"""The figures :func:`monte_carlo` gives bands for: the plan's value (in its objective's unit),
its new links' part and its net CO2e; the totals in place and of the new potential
(:class:`flows.summary.Totals`, in the view of the tier asked)."""

_BLOCK_DRAWS = 50
"""Draws evaluated together: a block of draws x candidates matrices stays in the cache-friendly
tens of megabytes for 10,000 candidates."""


class UncertaintyError(SymbioMapError, ValueError):
    """A range table or a Monte Carlo request that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Range:
    """The range of one figure, as relative factors on its value.

    Attributes
    ----------
    key
        A parameter key, a :data:`COUNTERFACTUAL_GROUPS` key or a :data:`QUANTITY_KEYS` key.
    distribution
        ``triangular`` (low, mode, high), ``uniform`` (low, high) or ``follows`` (drawn with
        the same factor as ``follows``: a figure derived from another).
    low, mode, high
        Factors on the figure's value (1.0 = the value itself); ``low == high`` is no spread.
    follows
        The key whose draw this one takes (``follows`` only).
    source
        The note or source the range comes from, or why it is an estimate.
    """

    key: str
    distribution: Distribution
    low: float = 1.0
    mode: float = 1.0
    high: float = 1.0
    follows: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        where = f"uncertainty range {self.key!r}"
        if self.distribution not in DISTRIBUTIONS:
            msg = f"{where}: unknown distribution {self.distribution!r}; use {DISTRIBUTIONS}"
            raise UncertaintyError(msg)
        if self.distribution == "follows":
            if not self.follows:
                msg = f"{where}: 'follows' needs the key it follows"
                raise UncertaintyError(msg)
            return
        values = (self.low, self.mode, self.high)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            msg = f"{where}: factors must be finite and >= 0, got {values}"
            raise UncertaintyError(msg)
        if not self.low <= self.mode <= self.high:
            msg = f"{where}: need low <= mode <= high, got {values}"
            raise UncertaintyError(msg)


def load_ranges(path: str | os.PathLike[str] | None = None) -> tuple[Range, ...]:
    """Read a range table (default: the bundled ``uncertainty.csv``).

    Raises
    ------
    UncertaintyError
        For a missing column, a non-numeric factor, a bad distribution or order, a ``follows``
        that names no drawn key; the message names the file and row.
    """
    file = Path(path) if path is not None else reference_path("uncertainty.csv")
    rows: list[Range] = []
    with file.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"key", "distribution", "low", "mode", "high", "follows", "source"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            msg = f"{file.name}: missing columns {', '.join(sorted(missing))}"
            raise UncertaintyError(msg)
        for line, row in enumerate(reader, start=2):
            try:
                numbers = [
                    float(row[c]) if row[c].strip() else 1.0 for c in ("low", "mode", "high")
                ]
                rows.append(
                    Range(
                        key=row["key"].strip(),
                        distribution=row["distribution"].strip(),  # type: ignore[arg-type]
                        low=numbers[0],
                        mode=numbers[1],
                        high=numbers[2],
                        follows=row["follows"].strip(),
                        source=row["source"],
                    )
                )
            except (ValueError, UncertaintyError) as err:
                msg = f"{file.name}, row {line}: {err}"
                raise UncertaintyError(msg) from err
    _check_ranges(rows)
    return tuple(rows)


def _check_ranges(ranges: Sequence[Range]) -> None:
    keys = [r.key for r in ranges]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        msg = f"uncertainty ranges given twice: {', '.join(duplicated)}"
        raise UncertaintyError(msg)
    drawn = {r.key for r in ranges if r.distribution != "follows"}
    for r in ranges:
        if r.distribution == "follows" and r.follows not in drawn:
            msg = f"uncertainty range {r.key!r} follows {r.follows!r}, which is not drawn"
            raise UncertaintyError(msg)


def _inverse_cdf(
    u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray, uniform: np.ndarray
) -> np.ndarray:
    """Factors from uniform numbers ``u`` (broadcast): the inverse distribution function of a
    triangular or uniform law, which also gives ``low`` exactly when the range has no width
    (numpy's own triangular sampler refuses ``low == high``)."""
    width = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        split = np.where(width > 0, (mode - low) / np.where(width > 0, width, 1.0), 0.0)
    rising = low + np.sqrt(u * width * (mode - low))
    falling = high - np.sqrt((1.0 - u) * width * (high - mode))
    triangular = np.where(u < split, rising, falling)
    out: np.ndarray = np.where(uniform, low + u * width, triangular)
    return out


@dataclass(frozen=True)
class _Parts:
    """Per candidate, the figures at full quantity: net benefit without carbon, net CO2e, and
    a pipe's transport cost and CO2e (the parts that do not scale with the quantity)."""

    excl: np.ndarray
    co2: np.ndarray
    transport_eur: np.ndarray
    transport_co2: np.ndarray


_PART_COLUMNS = (
    "net_benefit_excl_carbon_eur",
    "net_co2e_t",
    "transport_cost_eur",
    "transport_co2e_t",
)


def _parts(frame: pd.DataFrame) -> np.ndarray:
    return np.stack([frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in _PART_COLUMNS])


@dataclass(frozen=True)
class ScoreModel:
    """The scored candidates of an analysis as a linear function of the drawn factors.

    Build with :meth:`of`. Rows follow the analysis' candidates (its ranking).

    Attributes
    ----------
    candidates
        The analysis' scored candidates as the tier sees them (``withheld`` marks the rows
        whose figures it may not see).
    keys
        Parameter keys, then counterfactual groups, whose factors the model takes.
    base
        Figures at factor 1, shape (4, n): :data:`_PART_COLUMNS`.
    slopes
        Change of each figure for a factor of 2 on each key, shape (keys, 4, n).
    carbon_price_eur_per_t
        The analysis' carbon price (its factor multiplies the net CO2e).
    """

    candidates: pd.DataFrame = field(repr=False)
    keys: tuple[str, ...]
    base: np.ndarray = field(repr=False)
    slopes: np.ndarray = field(repr=False)
    carbon_price_eur_per_t: float

    @classmethod
    def of(
        cls, analysis: Analysis, keys: Sequence[str], *, tier: privacy.Tier = "owner"
    ) -> ScoreModel:
        """Linearise an analysis' scoring in ``keys`` (parameter keys and
        :data:`COUNTERFACTUAL_GROUPS`; the carbon price is handled apart), over the candidates
        as ``tier`` sees them: a candidate whose figures are withheld from it is zero in every
        draw, so no band moves with a hidden figure.

        Raises
        ------
        UncertaintyError
            For a key that is neither in the parameter set nor a counterfactual group.
        """
        reference = analysis.reference
        candidates = analysis.view(tier=tier)
        hidden = candidates["withheld"].to_numpy(dtype=bool)
        ids = candidates["candidate_id"].astype("object")
        if not ids.is_unique:
            msg = "candidate ids are not unique: the Monte Carlo cannot align its re-scorings"
            raise UncertaintyError(msg)
        base = np.nan_to_num(_parts(candidates))
        # matching is done once: its candidates are re-scored, never searched again
        matched = analysis.matched
        slopes = np.zeros((len(keys), *base.shape))
        route = candidates["counterfactual_route"].astype("object").to_numpy()
        disposal = np.nan_to_num(
            candidates["avoided_disposal_eur"].to_numpy(dtype="float64", na_value=np.nan)
        )
        for k, key in enumerate(keys):
            if key in COUNTERFACTUAL_GROUPS:
                # avoided disposal = quantity x table cost: doubling the cost adds it once more
                slopes[k, 0] = np.where(np.isin(route, COUNTERFACTUAL_GROUPS[key]), disposal, 0.0)
                continue
            if reference.parameters.find(key) is None:
                msg = (
                    f"uncertainty range {key!r} is neither a parameter of "
                    f"{reference.parameters.version} nor one of {sorted(COUNTERFACTUAL_GROUPS)}"
                )
                raise UncertaintyError(msg)
            value = reference.parameters[key]
            if value == 0:
                continue
            slopes[k] = _rescored(reference, matched, ids, key, 2.0 * value) - base
        # re-scoring starts from the matched candidates, which know every quantity
        slopes[:, :, hidden] = 0.0
        carbon = reference.parameters[CARBON_PRICE_KEY]
        return cls(candidates, tuple(keys), base, slopes, float(carbon))

    def parts(self, factors: np.ndarray) -> _Parts:
        """Figures at full quantity for a block of draws: ``factors`` (draws, keys)."""
        shifted = factors - 1.0
        flat = self.slopes.reshape(len(self.keys), self.base.size)  # keys x figures (maybe 0)
        figures = (self.base.reshape(-1) + shifted @ flat).reshape(len(factors), *self.base.shape)
        return _Parts(figures[:, 0], figures[:, 1], figures[:, 2], figures[:, 3])

    def figures(self, factors: Mapping[str, float], *, carbon_factor: float = 1.0) -> pd.DataFrame:
        """Net benefit (EUR/yr) and net CO2e (t/yr) of every candidate at its declared
        quantity, with ``factors`` (key -> factor, missing keys at 1) and the carbon price
        times ``carbon_factor``: what :func:`flows.scoring.score` gives with the same values."""
        row = np.array([[float(factors.get(k, 1.0)) for k in self.keys]])
        got = self.parts(row)
        no_qty = np.isnan(self.candidates["quantity"].to_numpy(dtype="float64", na_value=np.nan))
        co2 = np.where(no_qty, np.nan, got.co2[0])
        benefit = got.excl[0] + self.carbon_price_eur_per_t * carbon_factor * got.co2[0]
        return pd.DataFrame(
            {
                "candidate_id": self.candidates["candidate_id"].to_numpy(),
                "net_benefit_eur": np.where(no_qty, np.nan, benefit),
                "net_co2e_t": co2,
            }
        )


def _rescored(
    reference: Reference, matched: pd.DataFrame, ids: pd.Series, key: str, value: float
) -> np.ndarray:
    """The figures of the candidates (in ``ids`` order) scored with one parameter changed."""
    changed = reference.with_overrides(parameters={key: value})
    scored = scoring.score(
        matched,
        changed.parameters,
        changed.library,
        substitutes=changed.substitutes,
        counterfactuals=changed.counterfactuals,
        pipe_parameters=changed.pipes,
        explain=False,
    )
    at = pd.Index(scored["candidate_id"].astype("object")).get_indexer(ids)
    out: np.ndarray = np.nan_to_num(_parts(scored)[:, at])
    return out


@dataclass(frozen=True)
class MonteCarlo:
    """The result of :func:`monte_carlo`.

    Attributes
    ----------
    kpis
        One row per :data:`KPI_UNITS` figure: ``deterministic`` (the analysis' own figure),
        ``p10``, ``p50``, ``p90``, ``mean`` and ``unit``.
    samples
        Every draw's value of every KPI (draws x KPIs), for histograms.
    candidates
        Per candidate (the analysis' order): ``candidate_id``, ``net_benefit_eur``
        (deterministic) and ``p_pays``, the share of draws in which its net benefit at its
        drawn quantity is > 0 (NaN without a quantity).
    links
        The plan's chosen links: ``candidate_id``, ``plan_role``, ``planned_flow``,
        ``plan_value`` (deterministic) and ``p_pays``, the share of draws in which the link's
        net benefit at its planned share of the drawn quantity is > 0.
    factors
        The drawn factors (draws x range keys, quantities excepted), for audit.
    plan
        The deterministic plan the links come from.
    ranges
        The ranges drawn from (each with its source), recorded with the result.
    draws, seed
        How many draws, from which seed (``numpy.random.default_rng``).
    replanned
        True when the plan was re-optimised in every draw (its KPIs are then those of each
        draw's own optimum; ``links`` still follows the deterministic plan).
    elapsed_s
        Seconds taken, linearisation included.
    """

    kpis: pd.DataFrame
    samples: pd.DataFrame = field(repr=False)
    candidates: pd.DataFrame = field(repr=False)
    links: pd.DataFrame = field(repr=False)
    factors: pd.DataFrame = field(repr=False)
    plan: allocation.Plan = field(repr=False)
    ranges: tuple[Range, ...] = field(repr=False)
    draws: int
    seed: int
    replanned: bool
    elapsed_s: float


@dataclass
class _Draws:
    """Drawn factors: parameters and groups (draws, keys), carbon price (draws,), and the
    per-flow quantity factors of supplies and demands (draws, flows)."""

    params: np.ndarray
    carbon: np.ndarray
    supply: np.ndarray
    demand: np.ndarray


def _flow_keys(frame: pd.DataFrame, site: str, resource: str) -> tuple[np.ndarray, pd.Index]:
    index = pd.MultiIndex.from_arrays(
        [frame[site].astype("object"), frame[resource].astype("object")]
    )
    codes, uniques = pd.factorize(index)
    return np.asarray(codes, dtype="int64"), pd.Index(uniques)


def _quantity_ranges(
    frame: pd.DataFrame,
    *,
    side: Literal["supply", "demand"],
    by_key: Mapping[str, Range],
    overrides: Mapping[tuple[str, str], tuple[float, float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate, its flow's index on one side; per flow, (low, mode, high) factors."""
    if side == "supply":
        site, resource = "supply_site", "resource"
    else:
        site, resource = "demand_site", "demand_resource"
    codes, flows = _flow_keys(frame, site, resource)
    inferred = (
        (frame["basis"].astype("object") == "inferred")
        & (frame["inferred_side"].astype("object") == side)
    ).to_numpy()
    flow_inferred = np.zeros(len(flows), dtype=bool)
    flow_inferred[codes[inferred]] = True
    spread = np.ones((len(flows), 3))
    for k, range_key in enumerate(QUANTITY_KEYS):
        given = by_key.get(range_key)
        rows = flow_inferred if k else ~flow_inferred
        if given is not None:
            spread[rows] = (given.low, given.mode, given.high)
    wanted = list(overrides)
    at = flows.get_indexer(pd.MultiIndex.from_tuples(wanted)) if wanted else []
    for position, key in zip(at, wanted, strict=True):
        checked = Range(f"quantity of {key}", "triangular", *overrides[key])
        if position >= 0:
            spread[position] = (checked.low, checked.mode, checked.high)
    return codes, spread


def flow_ranges(
    case: Case, *, by_key: Mapping[str, Range] | None = None
) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Per (site, resource), the triangular factors the case's flows give their quantity:
    ``quantity_low`` / quantity, 1, ``quantity_high`` / quantity, summed over a site's flows
    of one resource (a side without a bound takes the default ``quantity.declared`` factor).
    Only flows with a bound of their own are returned."""
    flows = case.flows
    if "quantity_low" not in flows.columns and "quantity_high" not in flows.columns:
        return {}
    default = (by_key or {r.key: r for r in load_ranges()}).get("quantity.declared")
    low_factor = default.low if default is not None else 1.0
    high_factor = default.high if default is not None else 1.0
    qty = flows["quantity"].to_numpy(dtype="float64", na_value=np.nan)
    low = flows.get("quantity_low", pd.Series(np.nan, index=flows.index)).to_numpy(
        dtype="float64", na_value=np.nan
    )
    high = flows.get("quantity_high", pd.Series(np.nan, index=flows.index)).to_numpy(
        dtype="float64", na_value=np.nan
    )
    given = np.isfinite(low) | np.isfinite(high)
    table = pd.DataFrame(
        {
            "site_id": flows["site_id"].astype("object"),
            "resource": flows["resource"].astype("object"),
            "q": qty,
            "low": np.where(np.isfinite(low), low, qty * low_factor),
            "high": np.where(np.isfinite(high), high, qty * high_factor),
            "given": given,
        }
    )
    grouped = table.groupby(["site_id", "resource"]).agg(
        q=("q", "sum"), low=("low", "sum"), high=("high", "sum"), given=("given", "any")
    )
    grouped = grouped[grouped["given"] & (grouped["q"] > 0)]
    return {
        (str(site), str(resource)): (row.low / row.q, 1.0, row.high / row.q)
        for (site, resource), row in grouped.iterrows()
    }


def _check_flows(
    frame: pd.DataFrame, overrides: Mapping[tuple[str, str], tuple[float, float, float]]
) -> None:
    """Refuse a per-flow range that names no flow of the candidates (a typo would otherwise
    leave that flow at the default range without a word)."""
    known = set(_flow_keys(frame, "supply_site", "resource")[1]) | set(
        _flow_keys(frame, "demand_site", "demand_resource")[1]
    )
    unknown = [key for key in overrides if tuple(key) not in known]
    if unknown:
        msg = "quantity ranges for flows no candidate uses (site, resource): " + ", ".join(
            map(str, unknown)
        )
        raise UncertaintyError(msg)


def _draw(
    rng: np.random.Generator,
    draws: int,
    ranges: Sequence[Range],
    keys: Sequence[str],
    spreads: tuple[np.ndarray, np.ndarray],
) -> _Draws:
    """Every factor of every draw at once: the parameters, then the flows' quantities."""
    by_key = {r.key: r for r in ranges}
    independent = [r for r in ranges if r.distribution != "follows"]
    low = np.array([r.low for r in independent])
    mode = np.array([r.mode for r in independent])
    high = np.array([r.high for r in independent])
    uniform = np.array([r.distribution == "uniform" for r in independent])
    drawn = _inverse_cdf(rng.random((draws, len(independent))), low, mode, high, uniform)
    column = {r.key: drawn[:, i] for i, r in enumerate(independent)}
    for r in ranges:
        if r.distribution == "follows":
            column[r.key] = column[by_key[r.follows].key]
    ones = np.ones(draws)
    params = np.column_stack([column.get(k, ones) for k in keys]) if keys else np.ones((draws, 0))
    sides = []
    for spread in spreads:
        u = rng.random((draws, len(spread)))
        triangular = np.zeros(len(spread), dtype=bool)
        sides.append(_inverse_cdf(u, spread[:, 0], spread[:, 1], spread[:, 2], triangular))
    return _Draws(params, column.get(CARBON_PRICE_KEY, ones), sides[0], sides[1])


def _percentiles(samples: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.percentile(samples, PERCENTILES, axis=0)
    return out


def monte_carlo(
    analysis: Analysis,
    *,
    draws: int = 1000,
    seed: int = 0,
    plan_options: allocation.AllocationOptions | None = None,
    ranges: Sequence[Range] | None = None,
    quantity_ranges: Mapping[tuple[str, str], tuple[float, float, float]] | None = None,
    replan: bool = False,
    plan: allocation.Plan | None = None,
    case: Case | None = None,
    tier: privacy.Tier = "owner",
    networks: Sequence[HeatNetwork] = (),
) -> MonteCarlo:
    """P10/P50/P90 of the plan's KPIs and of the totals, and the probability that each
    candidate and each chosen link pays, over ``draws`` seeded draws of the figures.

    Parameters
    ----------
    analysis
        A finished analysis (:func:`flows.pipeline.analyse`): its matching is reused.
    draws
        Number of draws (at least 1).
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives the same numbers.
    plan_options
        Options of the plan (:func:`flows.allocation.allocate`; default: its defaults).
    ranges
        Relative ranges (default: :func:`load_ranges`, the bundled table). A key missing from
        them is not drawn.
    quantity_ranges
        Per flow, ``(site_id, resource) -> (low, mode, high)`` triangular factors on its
        quantity, replacing ``quantity.declared`` / ``quantity.inferred`` for that supply (and
        for a demand of that site and resource).
    plan
        The deterministic plan of these candidates with ``plan_options``, when the caller has
        it already (default: computed here, once; with thousands of pipes the solver may take
        its whole time limit).
    networks
        Shared heat networks offered to the plan (:func:`flows.allocation.allocate`) when it
        is computed here or re-optimised per draw; a given plan's network links are redrawn
        with their network's delivered share and fixed costs.
    tier
        Whose view the bands are of (:mod:`flows.privacy`): below ``owner``, candidates
        whose figures are withheld take no part (as in that tier's plan and totals), their
        flows' ranges are not read, and their probability to pay is not given.
    replan
        Re-optimise the plan in every draw (a solver run per draw: about 0.1 s for
        Kalundborg; too slow for thousands of links with pipes). Default: the deterministic
        plan's links are kept and their figures redrawn.

    Raises
    ------
    UncertaintyError
        For fewer than one draw or an unusable range.
    AllocationError
        When the analysis has no candidates to plan with.
    """
    if draws < 1:
        msg = f"draws must be at least 1, got {draws}"
        raise UncertaintyError(msg)
    start = time.perf_counter()
    table = tuple(load_ranges() if ranges is None else ranges)
    _check_ranges(table)
    options = plan_options or allocation.AllocationOptions()
    by_key = {r.key: r for r in table}
    keys = [r.key for r in table if r.key != CARBON_PRICE_KEY and r.key not in QUANTITY_KEYS]
    model = ScoreModel.of(analysis, keys, tier=privacy.check_tier(tier))
    frame = model.candidates
    shown = frame[~frame["withheld"].to_numpy(dtype=bool)]
    if plan is None:
        plan = allocation.allocate(frame, options=options, networks=networks)
    elif (
        len(plan.links) != len(frame)
        or not (
            plan.links["candidate_id"].astype("object").to_numpy()
            == frame["candidate_id"].astype("object").to_numpy()
        ).all()
    ):
        msg = "the plan given is not of this analysis' candidates (in their order)"
        raise UncertaintyError(msg)
    if case is not None:
        # the case's own ranges (quantity_low / quantity_high) for the flows the candidates
        # use, under any given here
        used = set(_flow_keys(shown, "supply_site", "resource")[1]) | set(
            _flow_keys(shown, "demand_site", "demand_resource")[1]
        )
        from_case = {k: v for k, v in flow_ranges(case, by_key=by_key).items() if k in used}
        quantity_ranges = {**from_case, **(quantity_ranges or {})}
    _check_flows(frame, quantity_ranges or {})
    s_codes, s_spread = _quantity_ranges(
        frame, side="supply", by_key=by_key, overrides=quantity_ranges or {}
    )
    d_codes, d_spread = _quantity_ranges(
        frame, side="demand", by_key=by_key, overrides=quantity_ranges or {}
    )
    rng = np.random.default_rng(seed)
    drawn = _draw(rng, draws, table, keys, (s_spread, d_spread))
    evaluator = _Evaluator(
        model, plan, options, s_codes=s_codes, d_codes=d_codes, networks=tuple(networks)
    )
    samples = np.zeros((draws, len(KPI_UNITS)))
    pays = np.zeros(len(frame))
    link_pays = np.zeros(int(evaluator.chosen.sum()))
    for first in range(0, draws, _BLOCK_DRAWS):
        block = slice(first, min(first + _BLOCK_DRAWS, draws))
        got = evaluator.block(drawn, block, replan=replan)
        samples[block] = got["kpis"]
        pays += got["pays"]
        link_pays += got["link_pays"]
    return _result(
        analysis,
        model=model,
        plan=plan,
        evaluator=evaluator,
        samples=samples,
        pays=pays / draws,
        link_pays=link_pays / draws,
        factors=pd.DataFrame(
            np.column_stack([drawn.carbon, drawn.params]), columns=[CARBON_PRICE_KEY, *keys]
        ),
        ranges=table,
        seed=seed,
        replan=replan,
        start=start,
        tier=tier,
    )


class _Evaluator:
    """The figures of a block of draws: candidates, plan links and totals."""

    def __init__(
        self,
        model: ScoreModel,
        plan: allocation.Plan,
        options: allocation.AllocationOptions,
        *,
        s_codes: np.ndarray,
        d_codes: np.ndarray,
        networks: tuple[HeatNetwork, ...] = (),
    ) -> None:
        frame = model.candidates
        self.networks = networks
        self.model, self.plan, self.options = model, plan, options
        self.s_codes, self.d_codes = s_codes, d_codes
        self.supply_qty = frame["supply_quantity"].to_numpy(dtype="float64", na_value=np.nan)
        self.demand_qty = frame["demand_quantity"].to_numpy(dtype="float64", na_value=np.nan)
        self.qty = frame["quantity"].to_numpy(dtype="float64", na_value=np.nan)
        self.no_qty = ~np.isfinite(self.qty) | (self.qty <= 0)
        self.pipe = (frame["mode"].astype("object") == "pipeline").to_numpy()
        links = plan.links
        # allocate() keeps the candidates' order (it resets the index only)
        self.share = links["planned_share"].to_numpy(dtype="float64")

        # a link may carry heat through a shared network: that part has no pipe of its own,
        # delivers the network's share and pays its part of the network's fixed costs
        def column(name: str) -> np.ndarray:
            if name not in links:
                return np.zeros(len(links))
            out: np.ndarray = np.nan_to_num(links[name].to_numpy(dtype="float64", na_value=np.nan))
            return out

        with np.errstate(invalid="ignore", divide="ignore"):
            share_net = np.nan_to_num(column("planned_via_network") / self.qty)
        share_own = np.maximum(self.share - share_net, 0.0)
        self.own_built = share_own > 0
        self.carried = share_own + column("plan_network_delivered_share") * share_net
        self.network_eur = column("plan_network_cost_eur")
        self.network_co2 = column("plan_network_co2e_t")
        self.chosen = links["planned_flow"].to_numpy(dtype="float64") > 0
        self.new_link = self.chosen & (links["plan_role"].astype("object") == "new").to_numpy()
        status = frame["exchange_status"].astype("object").to_numpy()
        declared = (frame["basis"].astype("object") == "declared").to_numpy()
        self.in_place_rows = np.flatnonzero(status == "active")
        self.new_rows = np.flatnonzero((status == "new") & declared)
        # each flow's declared quantity (every candidate of a flow repeats it)
        self.supply_cap = np.zeros(s_codes.max() + 1 if len(s_codes) else 0)
        self.supply_cap[s_codes] = self.supply_qty
        self.demand_cap = np.zeros(d_codes.max() + 1 if len(d_codes) else 0)
        self.demand_cap[d_codes] = self.demand_qty

    def block(self, drawn: _Draws, block: slice, *, replan: bool) -> dict[str, np.ndarray]:
        parts = self.model.parts(drawn.params[block])
        supply = self.supply_qty * drawn.supply[block][:, self.s_codes]
        demand = self.demand_qty * drawn.demand[block][:, self.d_codes]
        qty = np.fmin(supply, demand)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(self.no_qty, 0.0, qty / np.where(self.no_qty, 1.0, self.qty))
        # a pipe's transport cost and pumping CO2e are paid whatever flows (the plan's model)
        fixed_eur = np.where(self.pipe, parts.transport_eur, 0.0)
        fixed_co2 = np.where(self.pipe, parts.transport_co2, 0.0)
        excl = (parts.excl + fixed_eur) * ratio - fixed_eur
        co2 = (parts.co2 + fixed_co2) * ratio - fixed_co2
        carbon = self.model.carbon_price_eur_per_t * drawn.carbon[block][:, None]
        benefit = excl + carbon * co2
        benefit_fixed = fixed_eur + carbon * fixed_co2
        value, fixed = self._objective(excl, co2, fixed_eur, fixed_co2)
        kpis = np.zeros((len(qty), len(KPI_UNITS)))
        if replan:
            kpis[:, :3] = self._replan(
                benefit=benefit,
                excl=excl,
                co2=co2,
                parts=parts,
                qty=qty,
                supply=supply,
                demand=demand,
            )
        else:
            _, network_value = self._objective(
                np.zeros(0), np.zeros(0), self.network_eur, self.network_co2
            )
            values = self._links(value, fixed, network_value)
            kpis[:, 0] = values[:, self.chosen].sum(axis=1)
            kpis[:, 1] = values[:, self.new_link].sum(axis=1)
            # a pipe's pumping CO2e is fixed in the plan, like its money (allocation's model)
            kpis[:, 2] = self._links(co2, fixed_co2, self.network_co2)[:, self.chosen].sum(axis=1)
        kpis[:, 3:] = self._totals(benefit, co2, qty, drawn, block)
        link_benefit = self._links(
            benefit, benefit_fixed, self.network_eur + carbon * self.network_co2
        )[:, self.chosen]
        return {
            "kpis": kpis,
            "pays": np.where(self.no_qty, np.nan, (benefit > 0).sum(axis=0)),
            "link_pays": (link_benefit > 0).sum(axis=0),
        }

    def _links(self, full: np.ndarray, fixed: np.ndarray, network: np.ndarray) -> np.ndarray:
        """A figure of each plan link: its value per unit times what it carries (through its
        own pipe, and delivered through a network), less its pipe's fixed part when it has one
        and its part of its network's fixed costs."""
        out: np.ndarray = (full + fixed) * self.carried - fixed * self.own_built - network
        return out

    def _objective(
        self,
        excl: np.ndarray,
        co2: np.ndarray,
        fixed_eur: np.ndarray,
        fixed_co2: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Value at full quantity and fixed part in the plan's objective, as
        :func:`flows.allocation.allocate` takes them (``benefit``: money without carbon;
        ``mixed``: the plan's own carbon price, a choice of the user, not drawn)."""
        if self.options.objective == "benefit":
            return excl, fixed_eur
        if self.options.objective == "co2":
            return co2, fixed_co2
        price = float(self.options.carbon_price_eur_per_t)
        return excl + price * co2, fixed_eur + price * fixed_co2

    def _replan(
        self,
        *,
        benefit: np.ndarray,
        excl: np.ndarray,
        co2: np.ndarray,
        parts: _Parts,
        qty: np.ndarray,
        supply: np.ndarray,
        demand: np.ndarray,
    ) -> np.ndarray:
        out = np.zeros((len(qty), 3))
        for i in range(len(qty)):
            drawn = self.model.candidates.assign(
                net_benefit_eur=benefit[i],
                net_benefit_excl_carbon_eur=excl[i],
                net_co2e_t=co2[i],
                transport_cost_eur=parts.transport_eur[i],
                transport_co2e_t=parts.transport_co2[i],
                quantity=qty[i],
                supply_quantity=supply[i],
                demand_quantity=demand[i],
            )
            plan = allocation.allocate(drawn, options=self.options, networks=self.networks)
            out[i] = plan.value, plan.new_value, float(plan.links["plan_co2e_t"].sum())
        return out

    def _totals(
        self,
        benefit: np.ndarray,
        co2: np.ndarray,
        qty: np.ndarray,
        drawn: _Draws,
        block: slice,
    ) -> np.ndarray:
        """In place and new potential, as :func:`flows.summary.candidate_totals` sums them:
        each supply and demand counted once, best first, with each draw's own figures."""
        out = np.zeros((len(qty), 4))
        cap_s = self.supply_cap * drawn.supply[block]
        cap_d = self.demand_cap * drawn.demand[block]
        draws = np.arange(len(qty))[:, None]
        for g, rows in enumerate((self.in_place_rows, self.new_rows)):
            if len(rows) == 0:
                continue
            value = benefit[:, rows]
            if g == 1:
                # the new potential counts paying candidates only, in each draw
                value = np.where(value > 0, value, np.nan)
            share = _serve(
                value,
                qty[:, rows],
                s_codes=self.s_codes[rows],
                d_codes=self.d_codes[rows],
                cap_s=cap_s,
                cap_d=cap_d,
            )
            out[:, 2 * g] = np.nansum(benefit[:, rows] * share, axis=1)
            out[:, 2 * g + 1] = np.nansum(co2[:, rows] * share, axis=1)
            if g == 0:
                # the new potential is what the exchanges in place leave (summary's rule)
                used = np.nan_to_num(qty[:, rows] * share)
                cap_s = cap_s.copy()
                cap_d = cap_d.copy()
                np.subtract.at(cap_s, (draws, self.s_codes[rows][None, :]), used)
                np.subtract.at(cap_d, (draws, self.d_codes[rows][None, :]), used)
                cap_s = np.maximum(cap_s, 0.0)
                cap_d = np.maximum(cap_d, 0.0)
        return out


def _serve(
    benefit: np.ndarray,
    quantity: np.ndarray,
    *,
    s_codes: np.ndarray,
    d_codes: np.ndarray,
    cap_s: np.ndarray,
    cap_d: np.ndarray,
) -> np.ndarray:
    """:func:`flows.summary.best_per_flow` for a block of draws at once, on arrays.

    ``benefit`` and ``quantity`` are (draws, rows); ``cap_s``/``cap_d`` (draws, flows). Each
    draw's flows get their own numbers (code + draw x flows), so the greedy rounds of all draws
    run together: a supply or demand never spans two draws, and within a draw the priority is
    best net benefit first, ties in row order, exactly as ``best_per_flow`` orders them.
    """
    n_draws, m = benefit.shape
    draw = np.repeat(np.arange(n_draws), m)
    supply = (s_codes[None, :] + cap_s.shape[1] * np.arange(n_draws)[:, None]).ravel()
    demand = (d_codes[None, :] + cap_d.shape[1] * np.arange(n_draws)[:, None]).ravel()
    value, amount_of = benefit.ravel(), quantity.ravel()
    left_s, left_d = cap_s.ravel().copy(), cap_d.ravel().copy()
    n = len(value)
    priority = np.empty(n, dtype="int64")
    row = np.tile(np.arange(m), n_draws)
    priority[np.lexsort((row, -np.nan_to_num(value, nan=-np.inf), draw))] = np.arange(n)
    alive = np.isfinite(value) & (amount_of > 0)
    largest = np.max(np.where(alive, amount_of, 0.0).reshape(n_draws, m), axis=1)
    tiny = (1e-9 * largest)[draw]
    share = summary.greedy_shares(
        priority, amount_of, supply=supply, demand=demand, left_s=left_s, left_d=left_d,
        alive=alive, tiny=tiny,
    )  # fmt: skip
    out: np.ndarray = share.reshape(n_draws, m)
    return out


def _result(
    analysis: Analysis,
    *,
    model: ScoreModel,
    plan: allocation.Plan,
    evaluator: _Evaluator,
    samples: np.ndarray,
    pays: np.ndarray,
    link_pays: np.ndarray,
    factors: pd.DataFrame,
    ranges: tuple[Range, ...],
    seed: int,
    replan: bool,
    start: float,
    tier: privacy.Tier,
) -> MonteCarlo:
    totals = analysis.totals(tier=tier)
    deterministic = [
        plan.value,
        plan.new_value,
        float(plan.links["plan_co2e_t"].sum()),
        totals.in_place.net_benefit_eur,
        totals.in_place.net_co2e_t,
        totals.new_potential.net_benefit_eur,
        totals.new_potential.net_co2e_t,
    ]
    bands = _percentiles(samples)
    names = list(KPI_UNITS)
    units = [plan.unit if u == "objective" else u for u in KPI_UNITS.values()]
    kpis = pd.DataFrame(
        {
            "deterministic": deterministic,
            "p10": bands[0],
            "p50": bands[1],
            "p90": bands[2],
            "mean": samples.mean(axis=0),
            "unit": units,
        },
        index=pd.Index(names, name="kpi"),
    )
    frame = model.candidates
    candidates = pd.DataFrame(
        {
            "candidate_id": frame["candidate_id"].to_numpy(),
            "net_benefit_eur": frame["net_benefit_eur"].to_numpy(dtype="float64", na_value=np.nan),
            "p_pays": np.where(frame["withheld"].to_numpy(dtype=bool), np.nan, pays),
        }
    )
    chosen = plan.links[evaluator.chosen]
    links = pd.DataFrame(
        {
            "candidate_id": chosen["candidate_id"].to_numpy(),
            "plan_role": chosen["plan_role"].to_numpy(),
            "planned_flow": chosen["planned_flow"].to_numpy(),
            "plan_value": chosen["plan_value"].to_numpy(),
            "p_pays": link_pays,
        }
    )
    return MonteCarlo(
        kpis=kpis,
        samples=pd.DataFrame(samples, columns=names),
        candidates=candidates,
        links=links,
        factors=factors,
        plan=plan,
        ranges=ranges,
        draws=len(samples),
        seed=seed,
        replanned=replan,
        elapsed_s=time.perf_counter() - start,
    )
