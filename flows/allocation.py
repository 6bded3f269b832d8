"""Which candidate exchanges to realise, and how much flows on each: the cluster plan.

A list of pairwise candidates is not a plan: one by-product can go only once and one demand
needs filling only once. :func:`allocate` chooses the flows that maximise the cluster's net
benefit (EUR/yr), its net CO2e avoided (t/yr) or a carbon-priced mix, never exceeding any
supply or demand (in canonical units: a demand served by a compatible resource counts in the
same unit), as a mixed-integer programme solved by HiGHS (``highspy``, HiGHS' own Python interface):

* a continuous flow ``x_c`` per candidate (0 <= x_c <= its quantity);
* a binary ``y_c`` per investment-bearing link (a pipe: its annual cost is paid whatever flows,
  so it is a fixed cost ``F_c y_c``), and per link with a minimum economic quantity or forced;
* the value of a link is linear in its flow: ``v_c x_c - F_c y_c``, where ``v_c`` is the
  candidate's figure at its full quantity plus its fixed cost, per unit;
* every supply (site and resource) and every demand (site and demanded resource) caps the sum
  of the flows on its links;
* candidates inferred from sector codes take no part: their flows' quantities are unknown.

Exchanges already in place (``exchange_status`` active) use their share first, each flow
counted once (:func:`flows.summary.best_per_flow`); the plan allocates what they leave. Where
no binary is needed the programme is a linear one (HiGHS solves it as such). The greedy
pairwise choice under the same cost model is reported beside the optimum.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from flows import summary
from flows._errors import SymbioMapError
from flows.model import Case

if TYPE_CHECKING:
    import highspy

    from flows.heat_networks import HeatNetwork

Objective = Literal["benefit", "co2", "mixed"]
OBJECTIVES: tuple[Objective, ...] = ("benefit", "co2", "mixed")

PLAN_COLUMNS = ("planned_flow", "planned_share", "plan_value", "plan_co2e_t", "plan_role")
"""Added to the candidates by :func:`allocate`: the flow on each link (canonical unit), its share
of the candidate's quantity, its value in the objective's unit, its net CO2e (t/yr) and its role
(``in place``, ``new``, or "" when not chosen)."""


NETWORK_LINK_COLUMNS = (
    "planned_via_network",
    "plan_network",
    "plan_network_delivered_share",
    "plan_network_cost_eur",
    "plan_network_co2e_t",
)
"""Added beside :data:`PLAN_COLUMNS`: the flow a link carries through a shared heat network
(canonical unit; the rest of ``planned_flow`` runs in its own pipe), which network, the share of
heat that network delivers (its losses), and the link's part of the network's annual cost
(EUR/yr) and of its pumping CO2e (t/yr), pro rata to the heat it carries. Both parts are
already in ``plan_value`` (in the objective's unit) and ``plan_co2e_t``."""

NETWORK_COLUMNS = (
    "network_id",
    "built",
    "carried_mwh_per_yr",
    "delivered_mwh_per_yr",
    "length_m",
    "investment_eur",
    "annual_cost_eur_per_yr",
    "pumping_co2e_t_per_yr",
    "fixed_in_objective",
)
"""One row per shared network a plan was offered (:attr:`Plan.networks`)."""


class AllocationError(SymbioMapError, ValueError):
    """The plan cannot be computed: no candidates, an unknown option, or infeasible demands."""


@dataclass(frozen=True)
class AllocationOptions:
    """What the plan maximises and under which conditions.

    Attributes
    ----------
    objective
        ``benefit`` (net benefit in money, EUR/yr, without any carbon value), ``co2`` (net
        CO2e avoided, t/yr) or ``mixed`` (the money + ``carbon_price_eur_per_t`` x net CO2e).
    carbon_price_eur_per_t
        Carbon price of the ``mixed`` objective, EUR/t CO2e.
    min_share
        A link that is realised carries at least this share of its candidate's quantity (0: no
        minimum economic quantity; a binary per link when > 0).
    exclude_sites
        Sites that take no part in new links.
    force
        Candidate ids that must be realised (at least ``min_share`` of their quantity, or any
        positive flow when it is 0).
    keep_in_place
        Exchanges already in place use their share first (True), or compete like new ones.
    time_limit_s
        Time given to the solver.
    mip_rel_gap
        The solver stops when its plan is proven within this share of the optimum (HiGHS'
        default, 0.01 %); 0 asks for the exact optimum.
    """

    objective: Objective = "benefit"
    carbon_price_eur_per_t: float = 0.0
    min_share: float = 0.0
    exclude_sites: Collection[str] = ()
    force: Collection[str] = ()
    keep_in_place: bool = True
    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-4


@dataclass(frozen=True)
class Plan:
    """The result of :func:`allocate`.

    Attributes
    ----------
    links
        The candidates with :data:`PLAN_COLUMNS`, ranked as given.
    objective
        What was maximised.
    unit
        The objective's unit (``EUR/yr`` or ``t CO2e/yr``).
    value
        The plan's objective value: exchanges in place plus new links.
    new_value
        The new links' part of it.
    greedy_new_value
        What the greedy pairwise choice gets from the same new candidates, same cost model.
    solver
        Which solver and programme (``HiGHS MILP`` or ``HiGHS LP``) and its status.
    binaries
        Binary decisions in the programme.
    solve_time_s
        Seconds spent in the solver.
    networks
        The shared heat networks offered (:data:`NETWORK_COLUMNS`): which the plan builds.
    """

    links: pd.DataFrame = field(repr=False)
    objective: Objective
    unit: str
    value: float
    new_value: float
    greedy_new_value: float
    solver: str
    binaries: int
    solve_time_s: float
    networks: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=NETWORK_COLUMNS), repr=False
    )

    @property
    def chosen(self) -> pd.DataFrame:
        """The links the plan realises."""
        return self.links[self.links["planned_flow"] > 0]


@dataclass
class _Problem:
    """The arrays of one allocation: per candidate (quantity, value at full quantity, fixed
    part, supply and demand index) and per supply and demand (capacity left)."""

    qty: np.ndarray
    value: np.ndarray
    fixed: np.ndarray
    supply: np.ndarray
    demand: np.ndarray
    cap_s: np.ndarray
    cap_d: np.ndarray
    group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Per row: -1, or the shared network whose yes/no the row's flow needs."""
    group_fixed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per shared network: its fixed annual part, in the objective's unit."""

    def upper(self, rows: np.ndarray) -> np.ndarray:
        """Most each link can carry: its quantity, and what its supply and demand have left."""
        out: np.ndarray = np.minimum(
            self.qty[rows],
            np.minimum(self.cap_s[self.supply[rows]], self.cap_d[self.demand[rows]]),
        )
        return out

    def per_unit(self, rows: np.ndarray) -> np.ndarray:
        """Value per unit of flow before the fixed cost."""
        out: np.ndarray = (self.value[rows] + self.fixed[rows]) / self.qty[rows]
        return out


def _figures(frame: pd.DataFrame, options: AllocationOptions) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate at its full quantity: the objective's value and the fixed part of it."""
    co2 = frame["net_co2e_t"].to_numpy(dtype="float64", na_value=np.nan)
    pipe = (frame["mode"].astype("object") == "pipeline").to_numpy()
    transport_eur = frame["transport_cost_eur"].to_numpy(dtype="float64", na_value=np.nan)
    transport_co2 = frame["transport_co2e_t"].to_numpy(dtype="float64", na_value=np.nan)
    if options.objective == "benefit":
        value = frame["net_benefit_excl_carbon_eur"].to_numpy(dtype="float64", na_value=np.nan)
        fixed = np.where(pipe, transport_eur, 0.0)
    elif options.objective == "co2":
        value = co2
        fixed = np.where(pipe, transport_co2, 0.0)
    else:
        price = float(options.carbon_price_eur_per_t)
        excl = frame["net_benefit_excl_carbon_eur"].to_numpy(dtype="float64", na_value=np.nan)
        value = excl + price * co2
        fixed = np.where(pipe, transport_eur + price * transport_co2, 0.0)
    return value, np.nan_to_num(fixed)


def _keys(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Supply and demand index per candidate, and each one's capacity (0 where unknown: an
    inferred side bounds nothing, so it carries nothing)."""
    supply, demand, cap_s, cap_d = summary.flow_index(frame)
    return supply, demand, np.nan_to_num(cap_s), np.nan_to_num(cap_d)


def allocate(
    candidates: pd.DataFrame,
    *,
    options: AllocationOptions | None = None,
    networks: Sequence[HeatNetwork] = (),
) -> Plan:
    """The best feasible set of exchanges among scored candidates.

    Parameters
    ----------
    candidates
        Scored candidates (:func:`flows.scoring.score`, or an analysis' owner view).
    options
        Objective, carbon price, minimum quantities, exclusions, forced links.
    networks
        Shared heat networks (:func:`flows.heat_networks.shared_networks`) offered beside the
        point-to-point pipes: a yes/no each, paying its annual cost (or its pumping CO2e)
        when built; a candidate it joins may then carry heat through it instead of (or beside)
        its own pipe, less the network's losses in proportion.

    Returns
    -------
    Plan

    Raises
    ------
    AllocationError
        For an empty set, an unknown objective or site, forced links no supply or demand can
        carry, or a solver failure; the message says which and how to change the request.
    """
    opts = options or AllocationOptions()
    _check_request(candidates, opts)
    frame = candidates.reset_index(drop=True)
    value, fixed = _figures(frame, opts)
    qty = frame["quantity"].to_numpy(dtype="float64", na_value=np.nan)
    usable = np.isfinite(qty) & (qty > 0) & np.isfinite(value)
    if "basis" in frame.columns:
        # an inferred flow's quantity is unknown: it bounds nothing, so it plans nothing
        usable &= (frame["basis"].astype("object") == "declared").to_numpy()
    supply, demand, cap_s, cap_d = _keys(frame)
    problem = _Problem(qty, value, fixed, supply, demand, cap_s, cap_d)
    in_place = (frame["exchange_status"].astype("object") == "active").to_numpy() & usable
    flow = np.zeros(len(frame))
    if opts.keep_in_place and in_place.any():
        # exchanges in place use their share first, each flow counted once (the totals' rule)
        flow, taken_s, taken_d = summary.taken_in_place(
            frame, in_place, benefit=value, index=(supply, demand, cap_s, cap_d)
        )
        problem.cap_s = np.maximum(problem.cap_s - taken_s, 0.0)
        problem.cap_d = np.maximum(problem.cap_d - taken_d, 0.0)
    excluded = (
        frame["supply_site"].astype("object").isin(list(opts.exclude_sites))
        | frame["demand_site"].astype("object").isin(list(opts.exclude_sites))
    ).to_numpy()
    forced = frame["candidate_id"].astype(str).isin(list(opts.force)).to_numpy()
    # a link pays most at the most it can carry (its fixed cost stays whatever flows): only
    # links that pay there, or forced ones, enter the programme
    every = np.arange(len(frame))
    with np.errstate(invalid="ignore", divide="ignore"):
        best = problem.per_unit(every) * problem.upper(every) - fixed
    open_ = usable & ~excluded & (forced | (np.nan_to_num(best) > 0))
    if opts.keep_in_place:
        open_ &= ~in_place
    if (forced & ~open_).any():
        bad = frame.loc[forced & ~open_, "candidate_id"].astype(str)
        msg = (
            "forced links that cannot carry anything (no quantity, excluded or in place): "
            + ", ".join(bad)
        )
        raise AllocationError(msg)
    n_base = len(frame)
    greedy, greedy_flow = _greedy(frame, problem, np.flatnonzero(open_))
    greedy_all = np.zeros(n_base)
    greedy_all[open_] = greedy_flow
    offered = _offer_networks(
        frame, problem, networks, usable=usable & ~excluded & ~(in_place & opts.keep_in_place),
        options=opts,
    )  # fmt: skip
    rows = np.concatenate([np.flatnonzero(open_), n_base + np.arange(len(offered.base))])
    forced_ext = np.concatenate([forced, np.zeros(len(offered.base), dtype=bool)])
    start_flow = np.concatenate([greedy_all, np.zeros(len(offered.base))])
    start = time.perf_counter()
    new_flow, solver, binaries = _solve(
        problem, rows, forced=forced_ext, options=opts, start=start_flow
    )
    elapsed = time.perf_counter() - start
    flow_ext = np.concatenate([flow, np.zeros(len(offered.base))])
    flow_ext[rows] = new_flow
    via_network = np.zeros(n_base)
    np.add.at(via_network, offered.base, flow_ext[n_base:])
    flow = flow_ext[:n_base] + via_network
    return _plan(
        frame,
        problem,
        flow,
        in_place=in_place & (flow > 0),
        options=opts,
        greedy=greedy,
        solver=solver,
        binaries=binaries,
        elapsed=elapsed,
        offered=offered,
        via_network=via_network,
        network_flow=flow_ext[n_base:],
    )


def _check_request(candidates: pd.DataFrame, options: AllocationOptions) -> None:
    """Refuse an unknown objective, a share out of range, no candidates or unknown forced
    links, saying how to change the request."""
    if options.objective not in OBJECTIVES:
        msg = f"unknown objective {options.objective!r}; use one of {', '.join(OBJECTIVES)}"
        raise AllocationError(msg)
    if not 0.0 <= options.min_share <= 1.0:
        msg = f"min_share {options.min_share} must be between 0 and 1"
        raise AllocationError(msg)
    if len(candidates) == 0:
        msg = "there are no candidates to plan with: find synergies first (flows match)"
        raise AllocationError(msg)
    unknown_force = set(options.force) - set(candidates["candidate_id"].astype(str))
    if unknown_force:
        msg = f"forced links not among the candidates: {', '.join(sorted(unknown_force))}"
        raise AllocationError(msg)


@dataclass(frozen=True)
class _Offered:
    """Shared networks offered to the programme: per network row, the candidate it copies and
    the network it runs in; per network, what it costs and the share of heat delivered."""

    networks: tuple[HeatNetwork, ...]
    base: np.ndarray
    network: np.ndarray
    delivered_share: np.ndarray
    fixed: np.ndarray
    fixed_co2: np.ndarray


def _offer_networks(
    frame: pd.DataFrame,
    problem: _Problem,
    networks: Sequence[HeatNetwork],
    *,
    usable: np.ndarray,
    options: AllocationOptions,
) -> _Offered:
    """Append a row per (network, candidate it joins) to ``problem``: the candidate's flow
    through the network, worth its value per unit times the share of heat the network
    delivers, with no pipe of its own; the network's yes/no carries its fixed part.

    A network is offered only when all its sites may take part (none excluded) and its
    joined candidates, each at the most it can carry, could pay its fixed part.
    """
    n_base = len(frame)
    problem.group = np.full(n_base, -1, dtype=np.int64)
    ids = frame["candidate_id"].astype(str).to_numpy()
    kept: list[HeatNetwork] = []
    base_rows: list[np.ndarray] = []
    shares: list[float] = []
    excluded = set(options.exclude_sites)
    every = np.arange(n_base)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_unit = np.nan_to_num(problem.per_unit(every))
    upper = np.nan_to_num(problem.upper(every))
    for network in networks:
        if excluded & set(network.sites["site_id"].astype(str)):
            continue
        members = np.flatnonzero(np.isin(ids, network.candidate_ids) & usable)
        carried = network.carried_mwh_per_yr
        share = network.delivered_mwh_per_yr / carried if carried > 0 else 0.0
        cost = _network_fixed(network, options)
        if not len(members) or share <= 0:
            continue
        if float(np.sum(np.maximum(per_unit[members] * share * upper[members], 0.0))) <= cost:
            continue
        kept.append(network)
        base_rows.append(members)
        shares.append(share)
    fixed_eur = np.asarray([nw.annual_cost_eur_per_yr for nw in kept], dtype="float64")
    fixed_co2 = np.asarray([nw.pumping_co2e_t_per_yr for nw in kept], dtype="float64")
    base = np.concatenate(base_rows) if base_rows else np.zeros(0, dtype=np.int64)
    network_of = np.repeat(np.arange(len(kept)), [len(b) for b in base_rows]).astype(np.int64)
    share_arr = np.asarray(shares, dtype="float64")
    problem.qty = np.concatenate([problem.qty, problem.qty[base]])
    problem.value = np.concatenate([problem.value, per_unit[base] * share_arr[network_of]
                                    * problem.qty[base]])  # fmt: skip
    problem.fixed = np.concatenate([problem.fixed, np.zeros(len(base))])
    problem.supply = np.concatenate([problem.supply, problem.supply[base]])
    problem.demand = np.concatenate([problem.demand, problem.demand[base]])
    problem.group = np.concatenate([problem.group, network_of])
    problem.group_fixed = _in_objective(fixed_eur, fixed_co2, options)
    return _Offered(
        networks=tuple(kept),
        base=base,
        network=network_of,
        delivered_share=share_arr,
        fixed=fixed_eur,
        fixed_co2=fixed_co2,
    )


def _network_fixed(network: HeatNetwork, options: AllocationOptions) -> float:
    """A network's fixed annual part in the objective's unit."""
    return float(
        _in_objective(
            np.asarray(network.annual_cost_eur_per_yr),
            np.asarray(network.pumping_co2e_t_per_yr),
            options,
        )
    )


def _in_objective(eur: np.ndarray, co2_t: np.ndarray, options: AllocationOptions) -> np.ndarray:
    """Money (EUR/yr) and CO2e (t/yr) in the objective's unit: a cost in money for
    ``benefit``, in tonnes for ``co2``, money plus carbon price x tonnes for ``mixed``."""
    if options.objective == "benefit":
        return eur
    if options.objective == "co2":
        return co2_t
    out: np.ndarray = eur + options.carbon_price_eur_per_t * co2_t
    return out


def _solve(
    problem: _Problem,
    rows: np.ndarray,
    *,
    forced: np.ndarray,
    options: AllocationOptions,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, str, int]:
    """Solve the programme over the open candidates ``rows``; flows per row, solver label.

    Links that share no supply or demand, even through others, are independent programmes:
    each connected part with yes/no decisions is solved on its own (HiGHS' branch and bound
    grows much faster than linearly with the size of one programme), and the parts without
    any are solved together as one linear programme. Parts are solved smallest first, each
    given the time left in proportion to its yes/no decisions among those left, so that the
    time small parts do not use goes to the large ones. ``start``: a feasible flow per row
    (the greedy choice) each part starts from, so a part stopped by the time limit is never
    worse than it.
    """
    n = len(rows)
    if n == 0:
        return np.zeros(0), "nothing to solve", 0
    from scipy import sparse  # noqa: PLC0415 - heavy, only when planning
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

    group = _groups_of(problem, rows)
    shared = group >= 0
    needs_binary = ~shared & ((problem.fixed[rows] > 0) | forced[rows] | (options.min_share > 0))
    s_idx, s_inv = np.unique(problem.supply[rows], return_inverse=True)
    _, d_inv = np.unique(problem.demand[rows], return_inverse=True)
    n_s, n_d = len(s_idx), int(d_inv.max()) + 1
    n_g = len(problem.group_fixed)
    # a graph of supplies, demands and shared networks: a link per candidate from its supply
    # to its demand, and from its supply to the network it may run in
    graph = sparse.csr_array(
        (
            np.ones(n + int(shared.sum())),
            (
                np.concatenate([s_inv, s_inv[shared]]),
                np.concatenate([n_s + d_inv, n_s + n_d + group[shared]]),
            ),
        ),
        shape=(n_s + n_d + n_g,) * 2,
    )
    _, part_of_node = connected_components(graph, directed=False)
    part = part_of_node[s_inv]
    with_binary = np.zeros(part.max() + 1, dtype=bool)
    with_binary[part[needs_binary | shared]] = True
    flows = np.zeros(n)
    deadline = time.perf_counter() + options.time_limit_s
    labels: list[str] = []
    linear = np.flatnonzero(~with_binary[part])
    if len(linear):
        flows[linear], label = _solve_part(
            problem, rows[linear], forced=forced, options=options, needs_binary=None
        )
        labels.append(label)
    binaries = 0
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(part.max() + 2))
    decisions = np.bincount(part[needs_binary | shared], minlength=part.max() + 1)
    todo = np.flatnonzero(with_binary)
    todo = todo[np.argsort(decisions[todo], kind="stable")]
    remaining = int(decisions[todo].sum())
    for k in todo:
        members = order[bounds[k] : bounds[k + 1]]
        share = decisions[k] / max(remaining, 1)
        left = max((deadline - time.perf_counter()) * share, 1.0)
        remaining -= int(decisions[k])
        flows[members], label = _solve_part(
            problem,
            rows[members],
            forced=forced,
            options=dataclasses.replace(options, time_limit_s=left),
            needs_binary=needs_binary[members],
            start=None if start is None else start[rows[members]],
        )
        binaries += int(needs_binary[members].sum()) + len(
            np.unique(group[members][shared[members]])
        )
        labels.append(label)
    return flows, _label(labels, binaries=binaries), binaries


def _label(labels: list[str], *, binaries: int) -> str:
    """How the solve ended, over its parts: optimal, or how many parts the time limit stopped
    and the widest gap among them."""
    parts = f"{len(labels)} independent part{'s' if len(labels) != 1 else ''}"
    kind = "HiGHS MILP" if binaries else "HiGHS LP"
    gaps = [
        float(found.group(1))
        for label in labels
        if "time limit" in label and (found := re.search(r"within ([\d.e+-]+) %", label))
    ]
    stopped = sum("time limit" in label for label in labels)
    if not stopped:
        return f"{kind}, {parts} (optimal)"
    widest = f", the widest within {max(gaps):.2g} % of its optimum" if gaps else ""
    return f"{kind}, {parts}; the time limit stopped {stopped} of them{widest}"


def _solve_part(
    problem: _Problem,
    rows: np.ndarray,
    *,
    forced: np.ndarray,
    options: AllocationOptions,
    needs_binary: np.ndarray | None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, str]:
    """One programme: flows of ``rows`` and a label saying how the solve ended; ``start``, a
    feasible flow per row, is handed to HiGHS as its first plan."""
    import highspy  # noqa: PLC0415 - heavy, only when planning

    n = len(rows)
    b_rows = np.flatnonzero(needs_binary) if needs_binary is not None else np.zeros(0, int)
    group = _groups_of(problem, rows)
    # the part's shared networks, in the order of their yes/no columns (_programme's order)
    networks = np.unique(group[group >= 0])
    m = len(b_rows) + len(networks)
    upper = problem.upper(rows)
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    for name, value in _highs_options(options, decisions=m).items():
        solver.setOptionValue(name, value)
    passed = solver.passModel(
        _programme(problem, rows, b_rows, forced=forced[rows], options=options)
    )
    if passed == highspy.HighsStatus.kError:
        msg = "the programme could not be passed to HiGHS (a malformed model): please report it"
        raise AllocationError(msg)
    if start is not None and m:
        first = np.clip(np.nan_to_num(start), 0.0, upper)
        built = (first[b_rows] > 0).astype("float64")
        # a start that breaks a minimum share or a forced link is refused by HiGHS: no harm
        given = highspy.HighsSolution()
        given.col_value = np.concatenate([first, built, np.zeros(m - len(b_rows))]).tolist()
        solver.setSolution(given)
    solver.run()
    status = solver.getModelStatus()
    kind = "HiGHS MILP" if m else "HiGHS LP"
    if status == highspy.HighsModelStatus.kInfeasible:
        msg = (
            "the plan is infeasible: the forced links or minimum quantities need more than "
            "the supplies and demands hold; force fewer links or lower min_share"
        )
        raise AllocationError(msg)
    solution = np.asarray(solver.getSolution().col_value, dtype="float64")
    stopped = status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)
    if status != highspy.HighsModelStatus.kOptimal and not (stopped and len(solution) == n + m):
        msg = f"the solver gave no plan ({kind}: {solver.modelStatusToString(status)})"
        raise AllocationError(msg)
    if stopped:
        # stopped by the time limit: the best plan found, and how far it may be from optimal
        gap = solver.getInfo().mip_gap
        within = f", within {gap * 100:.2g} % of the optimum" if np.isfinite(gap) else ""
        label = f"time limit of {options.time_limit_s:.0f} s reached{within}"
    else:
        label = f"{kind} (optimal)"
    x = np.clip(solution[:n], 0.0, upper)
    # HiGHS leaves flows of ~1e-13 on links it did not build: they carry nothing and must not
    # be charged their fixed cost
    if len(b_rows):
        x[b_rows[solution[n : n + len(b_rows)] < 0.5]] = 0.0
    if len(networks):
        built = solution[n + len(b_rows) :] >= 0.5
        x[(group >= 0) & ~np.isin(group, networks[built])] = 0.0
    x[x <= 1e-9 * problem.qty[rows]] = 0.0
    return x, label


def _groups_of(problem: _Problem, rows: np.ndarray) -> np.ndarray:
    """The shared network of each row (-1: none)."""
    if len(problem.group) == 0:
        return np.full(len(rows), -1, dtype=np.int64)
    out: np.ndarray = problem.group[rows]
    return out


def _programme(
    problem: _Problem,
    rows: np.ndarray,
    b_rows: np.ndarray,
    *,
    forced: np.ndarray,
    options: AllocationOptions,
) -> highspy.HighsLp:
    """The programme of ``rows`` in HiGHS' column-wise form.

    Variables are the flows ``x`` (one per row), then the yes/no ``y`` of ``b_rows``; rows are
    a capacity per supply, one per demand, then ``x - u y <= 0`` (a link carries nothing
    unless built) and, with a minimum share, ``x - share q y >= 0`` (a built link carries its
    minimum). HiGHS minimises: a unit of flow's value is a negative cost, a pipe's annual cost
    a positive one paid when it is built.
    """
    import highspy  # noqa: PLC0415 - heavy, only when planning
    from scipy import sparse  # noqa: PLC0415

    group = _groups_of(problem, rows)
    networks, net_of_row = np.unique(group, return_inverse=True)
    if len(networks) and networks[0] < 0:
        networks, net_of_row = networks[1:], net_of_row - 1
    n, m_own = len(rows), len(b_rows)
    m = m_own + len(networks)
    qty, fixed = problem.qty[rows], problem.fixed[rows]
    # no link carries more than its supply and demand have left: the tightest bound on each
    # flow, and the big-M of its yes/no, which keeps the relaxation close to the integer plan
    upper = problem.upper(rows)
    share = options.min_share
    s_idx, s_inv = np.unique(problem.supply[rows], return_inverse=True)
    d_idx, d_inv = np.unique(problem.demand[rows], return_inverse=True)
    n_s, n_d = len(s_idx), len(d_idx)
    k = np.arange(m_own)
    in_net = np.flatnonzero(group >= 0)
    n_link = m_own + len(in_net)
    n_min = m_own if share > 0 else 0
    # x - u y <= 0 for a link's own pipe, x - u z <= 0 for a link through network z
    blocks = [
        (s_inv, np.arange(n), np.ones(n)),
        (n_s + d_inv, np.arange(n), np.ones(n)),
        (n_s + n_d + k, b_rows, np.ones(m_own)),
        (n_s + n_d + k, n + k, -upper[b_rows]),
        (n_s + n_d + m_own + np.arange(len(in_net)), in_net, np.ones(len(in_net))),
        (
            n_s + n_d + m_own + np.arange(len(in_net)),
            n + m_own + net_of_row[in_net],
            -upper[in_net],
        ),
    ]
    if n_min:
        blocks += [
            (n_s + n_d + n_link + k, b_rows, np.ones(m_own)),
            (n_s + n_d + n_link + k, n + k, -share * qty[b_rows]),
        ]
    r, c, v = (np.concatenate(part) for part in zip(*blocks, strict=True))
    matrix = sparse.csc_array((v, (r, c)), shape=(n_s + n_d + n_link + n_min, n + m))
    matrix.sum_duplicates()
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n + m, n_s + n_d + n_link + n_min
    model.col_cost_ = np.concatenate(
        [-problem.per_unit(rows), fixed[b_rows], problem.group_fixed[networks]]
    )
    col_lower = np.zeros(n + m)
    col_lower[n + np.flatnonzero(forced[b_rows])] = 1.0
    model.col_lower_, model.col_upper_ = col_lower, np.concatenate([upper, np.ones(m)])
    model.row_lower_ = np.concatenate(
        [np.full(n_s + n_d + n_link, -highspy.kHighsInf), np.zeros(n_min)]
    )
    model.row_upper_ = np.concatenate(
        [
            problem.cap_s[s_idx],
            problem.cap_d[d_idx],
            np.zeros(n_link),
            np.full(n_min, highspy.kHighsInf),
        ]
    )
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr
    model.a_matrix_.index_ = matrix.indices
    model.a_matrix_.value_ = matrix.data
    if m:
        model.integrality_ = [highspy.HighsVarType.kContinuous] * n + [
            highspy.HighsVarType.kInteger
        ] * m
    return model


LARGE_PART_DECISIONS = 1000
"""Above this many yes/no decisions in one part, HiGHS runs with its own presolve and
heuristics: measured on the 5,000-site synthetic case, a part of 1,579 decisions took 34 s
without them and 24 s with them, one of 506 did not close its gap in 26 s without them."""


def _highs_options(
    options: AllocationOptions, *, decisions: int = 0
) -> dict[str, bool | float | int | str]:
    """How HiGHS is run: quiet, one thread, no presolve, no primal heuristics.

    Measured on the 10,000-link benchmark (``benchmarks/bench_allocation.py``, CPU seconds of
    ``allocate``): the defaults took 5 s; one thread 0.9 s (the parts are many and small, and
    HiGHS' thread pool cost about 7 ms a programme to synchronise); without the sub-MIP
    heuristics (RINS, RENS), which took three quarters of the time on the largest part, and
    without the other primal heuristics and presolve, 0.6 s, with the exact optimum. These
    fixed-charge programmes are small and the root node's cuts close their gap; the options
    change the time, never the optimum's definition (``mip_rel_gap``). A part with more than
    :data:`LARGE_PART_DECISIONS` decisions keeps HiGHS' own presolve and heuristics.
    """
    common: dict[str, bool | float | int | str] = {
        "output_flag": False,
        "threads": 1,
        "mip_rel_gap": float(options.mip_rel_gap),
        "time_limit": float(options.time_limit_s),
    }
    if decisions > LARGE_PART_DECISIONS:
        return common
    return {
        **common,
        "mip_heuristic_effort": 0.0,
        "mip_heuristic_run_rins": False,
        "mip_heuristic_run_rens": False,
        "mip_heuristic_run_feasibility_jump": False,
        "mip_heuristic_run_zi_round": False,
        "mip_heuristic_run_shifting": False,
        "mip_heuristic_run_root_reduced_cost": False,
        "presolve": "off",
    }


def _greedy(frame: pd.DataFrame, problem: _Problem, rows: np.ndarray) -> tuple[float, np.ndarray]:
    """The greedy pairwise choice on what the plan allocates, under the plan's cost model:
    best candidates first, each taking what its supply and demand have left, paying its fixed
    cost in full when it carries anything. Its value, and the flow of each of ``rows`` (the
    solver's first plan)."""
    if len(rows) == 0:
        return 0.0, np.zeros(0)
    value = problem.value[rows]
    # a candidate that does not pay at its full quantity is never taken by the greedy choice
    part = frame.iloc[rows].assign(
        net_benefit_eur=np.where(value > 0, value, np.nan),
        supply_quantity=problem.cap_s[problem.supply[rows]],
        demand_quantity=problem.cap_d[problem.demand[rows]],
    )
    carried = np.nan_to_num(summary.best_per_flow(part) * problem.qty[rows])
    fixed = problem.fixed[rows]
    value = float(np.sum(problem.per_unit(rows) * carried - fixed * (carried > 0)))
    return value, carried


def _plan(
    frame: pd.DataFrame,
    problem: _Problem,
    flow: np.ndarray,
    *,
    in_place: np.ndarray,
    options: AllocationOptions,
    greedy: float,
    solver: str,
    binaries: int,
    elapsed: float,
    offered: _Offered,
    via_network: np.ndarray,
    network_flow: np.ndarray,
) -> Plan:
    n = len(frame)
    qty, value, fixed = problem.qty[:n], problem.value[:n], problem.fixed[:n]
    own = flow - via_network
    own[own <= 1e-9 * qty] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(qty > 0, flow / qty, 0.0)
        per_unit = np.nan_to_num(np.where(qty > 0, (value + fixed) / qty, 0.0))
        # a pipe's pumping is sized for the link: fixed, like its money
        pipe = (frame["mode"].astype("object") == "pipeline").to_numpy()
        fixed_co2 = np.where(
            pipe,
            np.nan_to_num(frame["transport_co2e_t"].to_numpy(dtype="float64", na_value=np.nan)),
            0.0,
        )
        net_co2 = frame["net_co2e_t"].to_numpy(dtype="float64", na_value=np.nan)
        co2_per_unit = np.nan_to_num((net_co2 + fixed_co2) / qty)
    net = _network_parts(frame, offered, network_flow, options=options)
    carried = flow > 0
    link_value = (
        np.where(own > 0, per_unit * own - fixed, 0.0)
        + per_unit * net["plan_network_delivered_share"].to_numpy() * via_network
        - _in_objective(net["plan_network_cost_eur"].to_numpy(),
                        net["plan_network_co2e_t"].to_numpy(), options)
    )  # fmt: skip
    link_co2 = (
        np.where(own > 0, co2_per_unit * own - fixed_co2, 0.0)
        + co2_per_unit * net["plan_network_delivered_share"].to_numpy() * via_network
        - net["plan_network_co2e_t"].to_numpy()
    )
    links = frame.assign(
        planned_flow=flow,
        planned_share=np.nan_to_num(share),
        plan_value=link_value,
        plan_co2e_t=link_co2,
        plan_role=np.where(in_place, "in place", np.where(carried, "new", "")),
        planned_via_network=via_network,
        **{c: net[c].to_numpy() for c in NETWORK_LINK_COLUMNS if c != "planned_via_network"},
    )
    new = carried & ~in_place
    return Plan(
        links=links,
        objective=options.objective,
        unit="t CO2e/yr" if options.objective == "co2" else "EUR/yr",
        value=float(link_value.sum()),
        new_value=float(link_value[new].sum()),
        greedy_new_value=greedy,
        solver=solver,
        binaries=binaries,
        solve_time_s=elapsed,
        networks=_network_table(offered, network_flow, options=options),
    )


def _network_parts(
    frame: pd.DataFrame, offered: _Offered, network_flow: np.ndarray, *, options: AllocationOptions
) -> pd.DataFrame:
    """Per candidate: the network it runs in, the share of heat that network delivers, and its
    part of the network's annual cost and pumping CO2e, pro rata to the heat it carries
    through it."""
    n = len(frame)
    network_id = np.full(n, "", dtype=object)
    delivered = np.zeros(n)
    cost = np.zeros(n)
    co2 = np.zeros(n)
    carried = network_flow > 0
    if carried.any():
        through = np.bincount(
            offered.network, weights=network_flow, minlength=len(offered.networks)
        )
        rows, nets = offered.base[carried], offered.network[carried]
        part = network_flow[carried] / through[nets]
        network_id[rows] = [offered.networks[k].network_id for k in nets]
        delivered[rows] = offered.delivered_share[nets]
        cost[rows] = offered.fixed[nets] * part
        co2[rows] = offered.fixed_co2[nets] * part
    return pd.DataFrame(
        {
            "plan_network": network_id,
            "plan_network_delivered_share": delivered,
            "plan_network_cost_eur": cost,
            "plan_network_co2e_t": co2,
        }
    )


def _network_table(
    offered: _Offered, network_flow: np.ndarray, *, options: AllocationOptions
) -> pd.DataFrame:
    """One row per shared network offered: built or not, heat it carries in the plan, its
    costs."""
    through = np.bincount(offered.network, weights=network_flow, minlength=len(offered.networks))
    return pd.DataFrame(
        {
            "network_id": [nw.network_id for nw in offered.networks],
            "built": through > 0,
            "carried_mwh_per_yr": through,
            "delivered_mwh_per_yr": through * offered.delivered_share,
            "length_m": [nw.length_m for nw in offered.networks],
            "investment_eur": [nw.investment_eur for nw in offered.networks],
            "annual_cost_eur_per_yr": offered.fixed,
            "pumping_co2e_t_per_yr": offered.fixed_co2,
            "fixed_in_objective": _in_objective(offered.fixed, offered.fixed_co2, options),
        },
        columns=NETWORK_COLUMNS,
    )


def plan_lines(plan: Plan) -> list[str]:
    """The plan in plain sentences, for the command line and the app."""
    chosen = plan.chosen
    roles = chosen["plan_role"].astype(str)
    new = chosen[roles == "new"]
    kept = chosen[roles == "in place"]

    def amounts(rows: pd.DataFrame) -> str:
        by_unit = rows.groupby(rows["unit"].astype(str))["planned_flow"].sum()
        return ", ".join(f"{v:,.0f} {u}" for u, v in by_unit.items()) or "nothing"

    gap = plan.new_value - plan.greedy_new_value
    return [
        (
            f"Plan ({plan.objective}, {plan.solver}, {plan.binaries} yes/no decisions, "
            f"{plan.solve_time_s:.2f} s): {plan.value:,.0f} {plan.unit} in all"
        ),
        (
            f"In place: {len(kept)} exchanges keep {amounts(kept)}, worth "
            f"{plan.value - plan.new_value:,.0f} {plan.unit}"
        ),
        (
            f"New: {len(new)} links carry {amounts(new)}, worth {plan.new_value:,.0f} {plan.unit}; "
            f"the greedy pairwise choice gets {plan.greedy_new_value:,.0f} ({gap:+,.0f})"
        ),
        f"CO2e of the plan: {float(chosen['plan_co2e_t'].sum()):,.0f} t/yr",
    ]


def flows_between(
    links: pd.DataFrame, case: Case, *, by: Literal["sector", "site"], unit: str
) -> pd.DataFrame:
    """What the plan's links carry from group to group, in one canonical unit (for a Sankey).

    Parameters
    ----------
    links
        The plan's chosen links (:attr:`Plan.chosen`).
    case
        The case (site names and NACE sectors).
    by
        ``sector`` (the NACE section of each site) or ``site`` (its name).
    unit
        ``t/yr``, ``MWh/yr`` or ``m3/yr``: quantities of different units are never added.

    Returns
    -------
    DataFrame
        ``source``, ``target`` and ``quantity`` (in ``unit``), largest first; a group that
        supplies and receives appears once on each side.
    """
    column = "sector" if by == "sector" else "name"
    label = case.sites.set_index("site_id")[column].astype("object")
    label = label.fillna(case.sites.set_index("site_id")["name"].astype("object"))
    rows = links[(links["unit"].astype(str) == unit) & (links["planned_flow"] > 0)]
    table = pd.DataFrame(
        {
            "source": rows["supply_site"].astype("object").map(label).to_numpy(),
            "target": rows["demand_site"].astype("object").map(label).to_numpy(),
            "quantity": rows["planned_flow"].to_numpy(dtype="float64"),
        }
    )
    grouped = table.groupby(["source", "target"], as_index=False)["quantity"].sum()
    return grouped.sort_values("quantity", ascending=False, ignore_index=True)


def read_plan(candidates: pd.DataFrame, path: str | os.PathLike[str]) -> Plan:
    """A plan written by ``python -m flows plan`` (CSV, GeoPackage or GeoParquet), laid over
    the candidates of the same analysis.

    Parameters
    ----------
    candidates
        The analysis' candidates (owner's view or a tier's).
    path
        The plan file: its ``candidate_id``, ``planned_flow`` and ``plan_role`` columns.

    Raises
    ------
    AllocationError
        Naming the file when it lacks those columns or names candidates the analysis does not
        have (a plan of another case, year or parameter set).
    """
    file = Path(path)
    try:
        if file.suffix.lower() == ".csv":
            table = pd.read_csv(file)
        elif file.suffix.lower() == ".parquet":
            table = pd.read_parquet(file)
        else:
            import pyogrio  # noqa: PLC0415 - only for GeoPackage plans

            table = pyogrio.read_dataframe(file, read_geometry=False)
    except (OSError, ValueError) as err:
        msg = f"{file.name}: cannot read the plan ({err}); give the file `flows plan` wrote"
        raise AllocationError(msg) from err
    needed = {"candidate_id", "planned_flow", "plan_role"}
    if not needed <= set(table.columns):
        missing = ", ".join(sorted(needed - set(table.columns)))
        msg = f"{file.name}: not a plan (no {missing} column); give the file `flows plan` wrote"
        raise AllocationError(msg)
    ids = candidates["candidate_id"].astype(str)
    table = table.assign(candidate_id=table["candidate_id"].astype(str)).set_index("candidate_id")
    unknown = sorted(set(table.index) - set(ids))
    if unknown:
        msg = (
            f"{file.name}: the plan names {len(unknown)} links this analysis does not have "
            f"(first: {unknown[0]}); plan and report the same case with the same year and options"
        )
        raise AllocationError(msg)
    flow = table["planned_flow"].reindex(ids).fillna(0.0).to_numpy(dtype="float64")
    qty = candidates["quantity"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(qty > 0, flow / qty, 0.0)
    role = table["plan_role"].reindex(ids).fillna("").astype(str).to_numpy()
    links = candidates.assign(
        planned_flow=flow,
        planned_share=np.nan_to_num(share),
        plan_value=table["plan_value"].reindex(ids).fillna(0.0).to_numpy(dtype="float64")
        if "plan_value" in table
        else 0.0,
        plan_co2e_t=table["plan_co2e_t"].reindex(ids).fillna(0.0).to_numpy(dtype="float64")
        if "plan_co2e_t" in table
        else 0.0,
        plan_role=np.where(flow > 0, role, ""),
    ).reset_index(drop=True)
    value = float(links["plan_value"].sum())
    new = links["plan_role"] == "new"
    return Plan(
        links=links,
        objective="mixed",
        unit="EUR/yr",
        value=value,
        new_value=float(links.loc[new, "plan_value"].sum()),
        greedy_new_value=float("nan"),
        solver=f"read from {file.name}",
        binaries=0,
        solve_time_s=0.0,
    )
