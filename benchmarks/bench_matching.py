"""Candidate search + scoring on a large synthetic case, against a fair naive search.

    python benchmarks/bench_matching.py --sites 5000 50000

Ours: ``flows.matching.match`` (per resource, a k-d tree on Earth-centred coordinates finds
each supply's and each demand's ``k`` nearest partners within the economic distance, then
geodesic metres) and ``flows.scoring.score``. The naive version does *the same job* without a
spatial index: per supply, one vectorised numpy pass over every demand of a compatible
resource (squared chords in Earth-centred coordinates, the same ranking the tree uses), its
``k`` nearest within the distance, geodesic metres for those only; per demand the same over
the supplies; then the same filters (not the same site, same unit, hot enough). It keeps the
same pairs: checked on a sample of supplies (every pair ours keeps for them, and only those;
supplies whose ``k``-th and next neighbour are exactly as far are left out of the check, as
either is right). It is timed on a random sample of its per-row passes and extrapolated to
all of them. Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import library, matching, parameters, scoring, synthetic
from flows.model import Case
from geo.geodesy import EarthPoints, pair_geodesic_m


@dataclass(frozen=True)
class Group:
    """One supplied resource: its supplies and the demands they may serve (matching's rows)."""

    resource: str
    supplies: pd.DataFrame
    demands: pd.DataFrame
    max_m: float
    hot: bool  # temperature must reach the demand's


def groups(case: Case, lib: pd.DataFrame, k: int) -> tuple[list[Group], matching._Vocabulary]:
    """The declared supply/demand rows matching pairs, grouped as it groups them."""
    bundled = matching.reference_data.default()
    vocab = matching._Vocabulary.of(case, lib, bundled.compatibility)
    supplies = matching._side(case, "supply", vocab)
    demands = matching._side(case, "demand", vocab)
    defaults = matching.resource_defaults(lib)
    out = []
    for code, sup in supplies.groupby("res", sort=True):
        resource = str(vocab.resources[int(code)])
        wanted = vocab.resources.get_indexer([resource, *vocab.compatibility.get(resource, ())])
        dem = demands[np.isin(demands["res"].to_numpy(), wanted[wanted >= 0])]
        if len(dem):
            km = matching._default_km(resource, defaults, bundled.vocabulary)
            out.append(
                Group(
                    resource, sup, dem, km * 1000.0, bundled.vocabulary.needs_temperature(resource)
                )
            )
    return out, vocab


class Naive:
    """Nearest partners by one numpy pass per row, no index; the filters matching applies."""

    def __init__(self, group: Group, vocab: matching._Vocabulary, k: int) -> None:
        self.g, self.k = group, k
        s_site = group.supplies["site"].to_numpy()
        d_site = group.demands["site"].to_numpy()
        self.s_site, self.d_site = s_site, d_site
        self.a = EarthPoints(vocab.lon[s_site], vocab.lat[s_site])
        self.b = EarthPoints(vocab.lon[d_site], vocab.lat[d_site])
        self.axyz, self.bxyz = self.a.xyz(), self.b.xyz()

    def _nearest(self, point: np.ndarray, others: np.ndarray) -> tuple[np.ndarray, bool]:
        """Indices of the k nearest of ``others`` by chord within the limit; and whether the
        k-th is tied with the next (either choice is right)."""
        d2 = ((others - point) ** 2).sum(axis=1)
        k = min(self.k, len(d2))
        if k < len(d2):
            part = np.argpartition(d2, k)[: k + 1]
            part = part[np.argsort(d2[part], kind="stable")]
            tied = bool(d2[part[k - 1]] == d2[part[k]]) and d2[part[k]] <= self.g.max_m**2
            nearest = part[:k]
        else:
            nearest, tied = np.arange(len(d2)), False
        return nearest[d2[nearest] <= self.g.max_m**2], tied

    def supply_side(self, i: int) -> tuple[np.ndarray, bool]:
        """Demand indices supply ``i`` keeps (its k nearest), tie flag."""
        j, tied = self._nearest(self.axyz[i], self.bxyz)
        return j, tied

    def demand_side(self, j: int) -> tuple[np.ndarray, bool]:
        """Supply indices demand ``j`` keeps (its k nearest), tie flag."""
        i, tied = self._nearest(self.bxyz[j], self.axyz)
        return i, tied

    def keep(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Geodesic metres of candidate pairs, and the pairs matching keeps."""
        metres = pair_geodesic_m(self.a, self.b, i, j)
        sup, dem = self.g.supplies, self.g.demands
        s_unit, d_unit = sup["unit"].to_numpy()[i], dem["unit"].to_numpy()[j]
        ok = (metres <= self.g.max_m) & (self.s_site[i] != self.d_site[j])
        ok &= (s_unit == d_unit) | (s_unit < 0) | (d_unit < 0)
        if self.g.hot:
            ok &= ~(sup["temperature_c"].to_numpy()[i] < dem["temperature_c"].to_numpy()[j])
        return i[ok], j[ok], metres[ok]


def tasks(gs: Sequence[Group]) -> Iterator[tuple[int, str, int]]:
    """Every per-row pass of the naive search: (group, side, row)."""
    for g, group in enumerate(gs):
        for i in range(len(group.supplies)):
            yield g, "supply", i
        for j in range(len(group.demands)):
            yield g, "demand", j


def naive_seconds(
    gs: Sequence[Group], naives: Sequence[Naive], sample: int, rng: np.random.Generator
) -> tuple[float, int]:
    """Extrapolated seconds of the whole naive search (every row's pass plus its geodesics and
    filters), from a random sample of passes; and how many passes there are."""
    every = list(tasks(gs))
    picked = rng.choice(len(every), min(sample, len(every)), replace=False)
    start = time.perf_counter()
    for t in picked:
        g, side, row = every[t]
        naive = naives[g]
        if side == "supply":
            j, _ = naive.supply_side(row)
            naive.keep(np.full(len(j), row), j)
        else:
            i, _ = naive.demand_side(row)
            naive.keep(i, np.full(len(i), row))
    per_pass = (time.perf_counter() - start) / len(picked)
    return per_pass * len(every), len(every)


def check_same_pairs(
    gs: Sequence[Group],
    naives: Sequence[Naive],
    ours: pd.DataFrame,
    n: int,
    rng: np.random.Generator,
) -> tuple[int, int, int]:
    """Assert the naive search keeps exactly our pairs for ``n`` random supplies.

    Returns (supplies checked, pairs compared, supplies skipped for a tie at the k-th place).
    """
    theirs = ours.groupby(["s_site", "res"])
    keys = set(theirs.groups)
    checked = compared = skipped = 0
    for g in rng.permutation(len(gs)):
        if checked >= n:
            break
        group, naive = gs[g], naives[g]
        i = int(rng.integers(len(group.supplies)))
        j_own, tied = naive.supply_side(i)
        # demands that might count this supply among their own k nearest
        d2 = ((naive.bxyz - naive.axyz[i]) ** 2).sum(axis=1)
        j_near = np.flatnonzero(d2 <= group.max_m**2)
        js = [j_own]
        for j in j_near:
            near, tie = naive.demand_side(int(j))
            tied |= tie
            if i in near:
                js.append(np.array([j]))
        if tied:
            skipped += 1
            continue
        j_all = np.unique(np.concatenate(js))
        _, j_kept, _ = naive.keep(np.full(len(j_all), i), j_all)
        naive_pairs = {(int(naive.d_site[j]), int(group.demands["res"].iloc[j])) for j in j_kept}
        site, res = int(naive.s_site[i]), int(group.supplies["res"].iloc[i])
        mine = theirs.get_group((site, res)) if (site, res) in keys else ours.iloc[0:0]
        our_pairs = set(zip(mine["d_site"].astype(int), mine["d_res"].astype(int), strict=True))
        assert naive_pairs == our_pairs, (group.resource, site, naive_pairs ^ our_pairs)
        checked += 1
        compared += len(our_pairs)
    return checked, compared, skipped


def our_pairs(gs: Sequence[Group], vocab: matching._Vocabulary, k: int) -> pd.DataFrame:
    """Our spatial search (``matching._pairs``) over the same groups, as a frame."""
    defaults = matching.resource_defaults(library.load_library())
    opts = matching.MatchOptions(k_nearest=k)
    parts = []
    for group in gs:
        found = matching._pairs(
            group.supplies,
            group.demands,
            defaults,
            opts,
            vocab,
            words=matching.reference_data.default().vocabulary,
        )
        if len(found["s_site"]):
            parts.append(pd.DataFrame({c: found[c] for c in ("s_site", "res", "d_site", "d_res")}))
    return pd.concat(parts, ignore_index=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--sample", type=int, default=2_000, help="naive passes timed")
    parser.add_argument("--check", type=int, default=40, help="supplies whose pairs are compared")
    args = parser.parse_args(argv)
    lib = library.load_library()
    params = parameters.load_parameters()
    k = matching.MatchOptions().k_nearest or 5
    print(f"library: {len(lib)} rows; parameters: {params.version}; k = {k}")
    for n in args.sites:
        # a region, not a town: 50,000 sites over ~180 km radius (density of a dense EU region)
        case = synthetic.generate_case(n, seed=1, radius_km=25.0 * (n / 1000) ** 0.5)
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        found = matching.match(case, library=lib)
        t1 = time.perf_counter()
        scored = scoring.score(found, params, lib, explain=False)
        t2 = time.perf_counter()
        scoring.explanations(scored)
        t3 = time.perf_counter()
        gs, vocab = groups(case, lib, k)
        t4 = time.perf_counter()
        ours = our_pairs(gs, vocab, k)
        search = time.perf_counter() - t4
        naives = [Naive(g, vocab, k) for g in gs]
        naive_s, passes = naive_seconds(gs, naives, args.sample, rng)
        checked, compared, skipped = check_same_pairs(gs, naives, ours, args.check, rng)
        print(
            f"{n:>7,} sites, {len(case.flows):>9,} flows: match {t1 - t0:6.2f} s + score "
            f"{t2 - t1:6.2f} s = {t2 - t0:6.2f} s for {len(scored):,} candidates (+ "
            f"{t3 - t2:5.2f} s for their explanations)\n"
            f"    pair search (declared x declared, {len(ours):,} pairs): ours {search:6.2f} s; "
            f"naive without an index ~{naive_s:7.1f} s ({passes:,} row passes, "
            f"{args.sample:,} timed); {naive_s / search:5.1f}x faster; same pairs for "
            f"{checked} supplies ({compared} pairs; {skipped} skipped for a tie at the k-th)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
