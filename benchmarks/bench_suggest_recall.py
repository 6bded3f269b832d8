"""Leave-one-source-out recall@k of ``suggest`` on the documented exchanges, against popularity.

    python benchmarks/bench_suggest_recall.py [--k 5] [--library L.csv] [--documented D.csv]

For each source of ``datasets/reference/documented_exchanges.csv`` its exchanges (active or
historical) are held out; the library's evidence is counted from the other sources only (and
library rows citing the held-out source are dropped); ``flows.library.suggest`` is asked for
each held-out exchange's provider code ("by sector") and provider code and resource ("by sector
and resource"). A hit at division, group or class level: the true receiver, cut to that level,
is among the first k distinct suggested receivers cut to it. Baselines, from the same training
exchanges: the k most frequent receivers overall, and those of providers of the same division
(in the resource mode, of exchanges of the same resource). ``n`` counts the held-out exchanges
whose receiver is coded at least that finely. Also prints how many provider codes of the table
get no answer before and after the NACE fallback. See ``flows.evidence``. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import evidence, reference


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5, help="receivers that count (default 5)")
    parser.add_argument("--library", help="a synergy library CSV (default: the bundled one)")
    parser.add_argument("--documented", help="a documented-exchanges CSV (default: bundled)")
    args = parser.parse_args(argv)
    ref = reference.load(library_path=args.library, documented_path=args.documented)
    for hold_out in ("source", "case"):
        start = time.perf_counter()
        result = evidence.leave_one_source_out(
            ref.library, ref.documented, k=args.k, vocabulary=ref.vocabulary, hold_out=hold_out
        )
        took_s = time.perf_counter() - start
        print(
            f"\nleave one {hold_out} out -- library: {len(ref.library)} rows; documented: "
            f"{len(ref.documented)} exchanges, {result.exchanges} active or historical held out "
            f"in {result.groups} {hold_out}s ({result.sources} sources); recall@{result.k} "
            f"({took_s:.1f} s)\n"
        )
        table = result.table.assign(
            cell=[f"{row.recall:.3f} ({row.hits}/{row.n})" for row in result.table.itertuples()]
        )
        wide = table.pivot(index=["mode", "method"], columns="level", values="cell")
        print(wide[list(evidence.LEVELS)].to_string())
    cover = evidence.coverage(ref.library, ref.documented, vocabulary=ref.vocabulary)
    print(
        f"\nprovider codes in the documented table: {len(cover.codes)}; without an answer: "
        f"{len(cover.unanswered_exact)} before fallback "
        f"({', '.join(cover.unanswered_exact) or '-'}), "
        f"{len(cover.unanswered_fallback)} after ({', '.join(cover.unanswered_fallback) or '-'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
