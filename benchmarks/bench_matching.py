"""Candidate search + scoring on a large synthetic case, against a naive all-pairs baseline.

    python benchmarks/bench_matching.py --sites 50000

Ours: `flows.matching.match` (k-d tree radius search per resource on Earth-centred
coordinates, geodesic distances, no road network) then `flows.scoring.score`. Baseline: every
supply against every demand of the same resource with a geodesic distance each, run on a
subsample of supplies and extrapolated. Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import library, matching, parameters, scoring, synthetic
from geo.distance import geodesic_m


def naive_pairs_per_supply(case, lib, sample: int, seed: int = 0) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Seconds per supply of the all-pairs baseline (every demand of the resource measured
    geodesically, then the limit applied), and the pairs it kept on the sample."""
    anchors = case.sites.set_index("site_id").geometry.representative_point()
    flows = case.flows.assign(
        lon=anchors.x.loc[case.flows["site_id"]].to_numpy(),
        lat=anchors.y.loc[case.flows["site_id"]].to_numpy(),
    )
    supplies = flows[flows["direction"] == "supply"]
    demands = flows[flows["direction"] == "demand"]
    defaults = matching.resource_defaults(lib)
    rng = np.random.default_rng(seed)
    picked = supplies.iloc[rng.choice(len(supplies), min(sample, len(supplies)), replace=False)]
    start = time.perf_counter()
    kept = 0
    for row in picked.itertuples(index=False):
        dem = demands[demands["resource"] == row.resource]
        metres = geodesic_m(
            np.full(len(dem), row.lon),
            np.full(len(dem), row.lat),
            dem["lon"].to_numpy(),
            dem["lat"].to_numpy(),
        )
        limit = matching._default_km(row.resource, defaults) * 1000
        kept += int(((metres <= limit) & (dem["site_id"].to_numpy() != row.site_id)).sum())
    return (time.perf_counter() - start) / len(picked), kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--sample", type=int, default=300, help="supplies in the baseline run")
    args = parser.parse_args()
    lib = library.load_library()
    params = parameters.load_parameters()
    print(f"library: {len(lib)} rows; parameters: {params.version}")
    for n in args.sites:
        # a region, not a town: 50,000 sites over ~180 km radius (density of a dense EU region)
        case = synthetic.generate_case(n, seed=1, radius_km=25.0 * (n / 1000) ** 0.5)
        n_flows = len(case.flows)
        t0 = time.perf_counter()
        found = matching.match(case, library=lib)
        t1 = time.perf_counter()
        scored = scoring.score(found, params, lib, explain=False)
        t2 = time.perf_counter()
        scoring.explanations(scored)
        t3 = time.perf_counter()
        per_supply, _ = naive_pairs_per_supply(case, lib, args.sample)
        n_supplies = int((case.flows["direction"] == "supply").sum())
        naive_s = per_supply * n_supplies
        ours = t2 - t0
        print(
            f"{n:>7,} sites, {n_flows:>9,} flows: match {t1 - t0:6.2f} s + score {t2 - t1:6.2f} s"
            f" = {ours:6.2f} s for {len(scored):,} candidates (+ {t3 - t2:5.2f} s to write "
            f"their explanations); naive all-pairs ~{naive_s:7.1f} s (extrapolated from "
            f"{args.sample} supplies); {naive_s / ours:5.1f}x faster"
        )


if __name__ == "__main__":
    main()
