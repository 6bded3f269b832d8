"""Allocation (``flows.allocation.allocate``) against PuLP/CBC on the same model, same process.

    python benchmarks/bench_allocation.py --links 10000 100000

A synthetic candidate frame with the columns allocation reads: sites offering and needing a few
resources, each supply (site, resource) and each demand (site, resource) reached by several
candidates, about a third of them pipes whose annual cost is a fixed cost paid whatever flows.
Every candidate is ``new`` (no exchange in place), so both solvers see the same capacities.

The PuLP model is the programme allocation builds (``flows/allocation.py``, ``_solve``): over the
same open candidates (finite positive quantity and figure, paying at full quantity or carrying a
fixed cost), a flow ``0 <= x_c <= q_c`` each, a binary ``y_c`` per pipe with ``x_c <= q_c y_c``,
one capacity row per supply and per demand, maximising ``sum v_c x_c - sum F_c y_c`` with
``v_c = (net benefit + F_c) / q_c``. Both objective values are compared at 1e-6 relative.

Timed: ``allocate`` as a whole (options, in-place share, the programme, the greedy comparison,
the plan frame) and its ``solve_time_s``; PuLP building the model from the frame, and CBC
solving it (``solve`` wall time, which includes writing the MPS file CBC reads and reading its
solution back, as PuLP always does). Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import allocation

RESOURCES = ("heat", "steam", "process-water", "10 01 05", "02 03 04", "19 08 05")
PIPE_SHARE = 0.35
LINKS_PER_SUPPLY = 4.0


def synthetic_candidates(n_links: int, *, seed: int = 0) -> pd.DataFrame:
    """A candidate frame of ``n_links`` rows with every column allocation reads.

    Sites are spread uniformly over a square (about one per km2); about ``n_links / 4``
    supplies and as many demands, each a distinct (site, resource); every supply is linked to
    its :data:`LINKS_PER_SUPPLY` nearest demands, as matching keeps each supply's nearest
    partners, so a demand is reached by about as many candidates and the links are local.
    :data:`PIPE_SHARE` of the links are pipes whose annual cost (``transport_cost_eur``) is
    fixed; margins are log-normal so that some links do not pay at their full quantity.
    """
    from scipy.spatial import cKDTree  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    k = int(LINKS_PER_SUPPLY)
    n_supply = max(n_links // k, 2)
    n_demand = max(n_links // k, k)
    n_sites = max((n_supply + n_demand) // 2, 2)
    side_m = 1000.0 * np.sqrt(n_sites)
    xy = rng.uniform(0.0, side_m, (n_sites, 2))
    # distinct (site, resource) keys: a site offers or needs each resource once
    supply_key = rng.choice(n_sites * len(RESOURCES), n_supply, replace=False)
    demand_key = rng.choice(n_sites * len(RESOURCES), n_demand, replace=False)
    supply_site, supply_res = np.divmod(supply_key, len(RESOURCES))
    demand_site, demand_res = np.divmod(demand_key, len(RESOURCES))
    supply_qty = rng.lognormal(np.log(2000.0), 1.2, n_supply)
    demand_qty = rng.lognormal(np.log(2000.0), 1.2, n_demand)
    _, nearest = cKDTree(xy[demand_site]).query(xy[supply_site], k=k)
    s = np.repeat(np.arange(n_supply), k)[:n_links]
    d = nearest.ravel()[:n_links]
    n_links = len(s)
    qty = np.minimum(supply_qty[s], demand_qty[d])
    pipe = rng.random(n_links) < PIPE_SHARE
    margin_eur_per_unit = rng.lognormal(np.log(20.0), 0.8, n_links)
    gross_eur = margin_eur_per_unit * qty
    # a pipe's annuity and O&M do not scale with what flows: from a fifth to 1.5x the gross value
    pipe_cost_eur = np.where(pipe, gross_eur * rng.uniform(0.2, 1.5, n_links), 0.0)
    road_cost_eur = np.where(pipe, 0.0, gross_eur * rng.uniform(0.0, 1.2, n_links))
    transport_eur = pipe_cost_eur + road_cost_eur
    net_eur = gross_eur - transport_eur
    co2_per_unit = rng.lognormal(np.log(0.05), 0.6, n_links)
    transport_co2 = np.where(pipe, 0.002 * qty, 0.01 * qty)
    net_co2 = co2_per_unit * qty - transport_co2
    site = np.array([f"S{i:06d}" for i in range(n_sites)], dtype=object)
    res = np.array(RESOURCES, dtype=object)
    return pd.DataFrame(
        {
            "candidate_id": [f"C{i:07d}" for i in range(n_links)],
            "supply_site": pd.Categorical(site[supply_site[s]]),
            "resource": pd.Categorical(res[supply_res[s]]),
            "demand_site": pd.Categorical(site[demand_site[d]]),
            "demand_resource": pd.Categorical(res[demand_res[d]]),
            "supply_quantity": supply_qty[s],
            "demand_quantity": demand_qty[d],
            "quantity": qty,
            "mode": pd.Categorical(np.where(pipe, "pipeline", "road")),
            "net_benefit_eur": net_eur,
            "net_benefit_excl_carbon_eur": net_eur,
            "net_co2e_t": net_co2,
            "transport_cost_eur": transport_eur,
            "transport_co2e_t": transport_co2,
            "exchange_status": pd.Categorical(np.full(n_links, "new", dtype=object)),
        }
    )


@dataclass(frozen=True)
class PulpResult:
    """CBC's objective value and the seconds spent building and solving."""

    value: float
    build_s: float
    solve_s: float
    status: str
    binaries: int


def _money(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Net benefit at full quantity (EUR/yr, the ``benefit`` objective) and the fixed part."""
    value = frame["net_benefit_excl_carbon_eur"].to_numpy(dtype="float64")
    pipe = (frame["mode"].astype("object") == "pipeline").to_numpy()
    fixed = np.where(pipe, frame["transport_cost_eur"].to_numpy(dtype="float64"), 0.0)
    return value, fixed


def plan_value_cleaned(plan: allocation.Plan, *, tolerance: float = 1e-9) -> float:
    """The plan's objective with flows below ``tolerance`` x their quantity taken as zero.

    HiGHS returns flows of 1e-13 on links whose binary is 0; ``Plan.value`` charges such a
    link its whole fixed cost, which understates the optimum it found.
    """
    links = plan.links
    value, fixed = _money(links)
    qty = links["quantity"].to_numpy(dtype="float64")
    flow = links["planned_flow"].to_numpy(dtype="float64")
    flow = np.where(flow > tolerance * qty, flow, 0.0)
    per_unit = (value + fixed) / qty
    return float(np.sum(np.where(flow > 0, per_unit * flow - fixed, 0.0)))


def solve_pulp(frame: pd.DataFrame, *, gap: float = 0.0) -> PulpResult:
    """The allocation programme of ``flows.allocation`` built with PuLP and solved by CBC."""
    import pulp  # type: ignore[import-untyped]  # noqa: PLC0415 - benchmark-only dependency

    start = time.perf_counter()
    qty = frame["quantity"].to_numpy(dtype="float64")
    value, fixed = _money(frame)
    # the open set allocation solves over (no exclusions, forced links or exchanges in place):
    # a link that does not pay at its full quantity pays less at any smaller flow
    open_ = np.isfinite(qty) & (qty > 0) & np.isfinite(value) & (value > 0)
    rows = np.flatnonzero(open_)
    supply = frame.groupby(["supply_site", "resource"], observed=True, sort=False).ngroup()
    demand = frame.groupby(["demand_site", "demand_resource"], observed=True, sort=False).ngroup()
    cap_s = np.zeros(int(supply.max()) + 1)
    cap_s[supply.to_numpy()] = frame["supply_quantity"].to_numpy(dtype="float64")
    cap_d = np.zeros(int(demand.max()) + 1)
    cap_d[demand.to_numpy()] = frame["demand_quantity"].to_numpy(dtype="float64")
    s_key, d_key = supply.to_numpy()[rows], demand.to_numpy()[rows]

    model = pulp.LpProblem("allocation", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{c}", lowBound=0.0, upBound=float(qty[c])) for c in rows]
    per_unit = (value[rows] + fixed[rows]) / qty[rows]
    b_pos = np.flatnonzero(fixed[rows] > 0)
    y = {int(k): pulp.LpVariable(f"y{rows[k]}", cat=pulp.LpBinary) for k in b_pos}
    terms = [(x[k], float(per_unit[k])) for k in range(len(rows))]
    terms += [(y[int(k)], -float(fixed[rows[k]])) for k in b_pos]
    model += pulp.LpAffineExpression(terms)
    for key, caps, label in ((s_key, cap_s, "s"), (d_key, cap_d, "d")):
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        for group in np.split(order, bounds):
            k0 = int(key[group[0]])
            model += (
                pulp.LpAffineExpression([(x[int(k)], 1.0) for k in group]) <= float(caps[k0]),
                f"{label}{k0}",
            )
    for k in b_pos:
        model += x[int(k)] - float(qty[rows[k]]) * y[int(k)] <= 0.0, f"u{int(k)}"
    built = time.perf_counter()
    solver = pulp.PULP_CBC_CMD(msg=False, gapRel=gap)
    model.solve(solver)
    solved = time.perf_counter()
    return PulpResult(
        value=float(pulp.value(model.objective) or 0.0),
        build_s=built - start,
        solve_s=solved - built,
        status=pulp.LpStatus[model.status],
        binaries=len(b_pos),
    )


def run(n_links: int, *, seed: int) -> None:
    """Time both on one synthetic frame and print the figures."""
    frame = synthetic_candidates(n_links, seed=seed)
    pipes = float((frame["mode"] == "pipeline").mean())
    supplies = frame.groupby(["supply_site", "resource"], observed=True).ngroups
    demands = frame.groupby(["demand_site", "demand_resource"], observed=True).ngroups
    print(
        f"\n{n_links:,} candidate links: {supplies:,} supplies, {demands:,} demands, "
        f"{pipes:.0%} pipes"
    )
    rows = []
    for gap in (0.0, 1e-4):
        start = time.perf_counter()
        plan = allocation.allocate(frame, options=allocation.AllocationOptions(mip_rel_gap=gap))
        ours_s = time.perf_counter() - start
        theirs = solve_pulp(frame, gap=gap)
        rows.append((gap, plan, ours_s, theirs))
    exact_value = rows[0][3].value
    for gap, plan, ours_s, theirs in rows:
        total_s = theirs.build_s + theirs.solve_s
        diff = (plan.value - exact_value) / max(abs(exact_value), 1.0)
        print(f"  relative gap asked {gap:g}:")
        print(
            f"    ours  allocate       {ours_s:8.2f} s (solver {plan.solve_time_s:.2f} s; "
            f"{plan.solver}, {plan.binaries:,} binaries)  objective {plan.value:,.2f} EUR/yr"
        )
        print(
            f"    PuLP/CBC build+solve {total_s:8.2f} s (build {theirs.build_s:.2f} s, "
            f"solve {theirs.solve_s:.2f} s; {theirs.status})  objective {theirs.value:,.2f} EUR/yr"
        )
        print(
            f"    ratio PuLP/CBC / ours: build+solve {total_s / ours_s:.1f}x, "
            f"solve alone {theirs.solve_s / ours_s:.1f}x"
        )
        tolerance = max(gap, 1e-6)
        verdict = "within" if -tolerance <= diff <= 1e-6 else "OUTSIDE"
        print(
            f"    ours vs CBC's exact optimum: {diff:+.2e} relative ({verdict} the gap asked, "
            f"tol. {tolerance:g})"
        )
        if n_links <= 10_000:
            print(f"    target < 2 s for {n_links:,}: {'met' if ours_s < 2.0 else 'MISSED'}")
        met = "met" if total_s / ours_s >= 5 else "MISSED"
        print(f"    target >= 5x faster than PuLP/CBC: {met}")


def main(argv: list[str] | None = None) -> None:
    """Parse the sizes and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for n in args.links:
        run(n, seed=args.seed)


if __name__ == "__main__":
    main()
