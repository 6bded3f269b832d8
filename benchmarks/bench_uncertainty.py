"""Monte Carlo of the plan and totals (``flows.uncertainty.monte_carlo``) on a synthetic case.

    python benchmarks/bench_uncertainty.py --sites 700 --draws 1000

A synthetic case (``flows.synthetic.generate_case(sites, seed=1)``; 830 sites give about 10,000
candidate links) is analysed once (matching and scoring, not timed in the Monte Carlo); then
the deterministic plan is computed once (timed apart: the solver, not the Monte Carlo)
and ``monte_carlo`` draws every range of ``datasets/reference/uncertainty.csv``. Printed: the
candidates, the phases (linearisation: one re-scoring per drawn parameter; the deterministic
plan; the draws) and the KPI bands. Target of issue 10: 1,000 draws on a 10,000-link plan in
< 30 s. Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import allocation, pipeline, synthetic, uncertainty


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=830, help="sites of the synthetic case")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws")
    parser.add_argument("--time-limit-s", type=float, default=30.0, help="of the one plan")
    args = parser.parse_args(argv)
    case = synthetic.generate_case(args.sites, seed=1)
    start = time.perf_counter()
    analysis = pipeline.analyse(case, options=pipeline.AnalysisOptions(explain=False))
    print(f"analyse: {len(analysis):,} candidates in {time.perf_counter() - start:.2f} s")
    ranges = uncertainty.load_ranges()
    keys = [r.key for r in ranges if r.key not in ("carbon.price", *uncertainty.QUANTITY_KEYS)]
    start = time.perf_counter()
    uncertainty.ScoreModel.of(analysis, keys)
    linear_s = time.perf_counter() - start
    options = allocation.AllocationOptions(time_limit_s=args.time_limit_s)
    start = time.perf_counter()
    plan = allocation.allocate(analysis.candidates, options=options)
    plan_s = time.perf_counter() - start
    print(f"linearisation ({len(keys)} re-scorings): {linear_s:.2f} s")
    print(f"deterministic plan: {plan_s:.2f} s, {plan.solver}, {len(plan.chosen):,} links chosen")
    start = time.perf_counter()
    result = uncertainty.monte_carlo(
        analysis,
        draws=args.draws,
        seed=args.seed,
        plan_options=options,
        ranges=ranges,
        plan=plan,
    )
    total_s = time.perf_counter() - start
    draws_s = total_s - linear_s
    print(
        f"monte_carlo: {args.draws:,} draws on {len(analysis):,} candidates and "
        f"{len(result.links):,} plan links: {total_s:.2f} s (plan given) "
        f"(draws about {draws_s:.2f} s, {1000 * draws_s / args.draws:.2f} ms per draw); "
        f"target < 30 s: {'met' if total_s < 30 else 'NOT met'}"
    )
    print(result.kpis.to_string(float_format=lambda v: f"{v:,.0f}"))
    links = result.links
    print(f"chosen links paying in every draw: {(links['p_pays'] == 1).sum():,} of {len(links):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
