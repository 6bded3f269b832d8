"""The whole ``python -m flows match`` command on a large synthetic case, phase by phase.

    python benchmarks/bench_match_cli.py                       # 50,000 sites, owner tier
    python benchmarks/bench_match_cli.py --tier public --folder /tmp/bench
    python benchmarks/bench_match_cli.py --baseline /path/to/other/checkout

The case (``synthetic.generate_case(sites, seed=1)`` written as a GeoPackage) is generated
once and cached in ``--folder`` (default: the system temp folder). Then, for this checkout
(and ``--baseline``, another checkout of the project, in the same run):

* the whole command, as a subprocess, writing a GeoPackage and a GeoParquet file: wall time
  and the child's peak RSS, against ``python -c pass`` measured in the same run;
* the same phases in one process, each timed with ``time.perf_counter`` (load+validate,
  fingerprint, match, score, explanations, privacy view and totals, write), with the peak RSS
  reached by the end of each.

Not a test: run by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = (".gpkg", ".parquet")


def case_path(folder: Path, sites: int, seed: int) -> Path:
    """The cached synthetic case, generated with this checkout if missing."""
    path = folder / f"synthetic-{sites}-seed{seed}.gpkg"
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        from flows import io, synthetic  # noqa: PLC0415 - only when generating

        start = time.perf_counter()
        io.write_case(synthetic.generate_case(sites, seed=seed), path)
        print(f"generated {path} in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def run(argv: Sequence[str], *, code: Path, cwd: Path) -> tuple[float, str]:
    """Wall seconds and stdout of one child process running with ``code`` on its path."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    child = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        msg = f"{' '.join(argv)} failed ({child.returncode}):\n{child.stderr}"
        raise SystemExit(msg)
    return seconds, child.stdout


def measure(argv: Sequence[str], *, code: Path, cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of ``argv``. A fresh helper process runs it: the peak
    RSS of a process's children is that of its largest child, so the helper's is the
    command's own."""
    helper = [sys.executable, __file__, "--measure-one", json.dumps(list(argv)), str(code)]
    _, out = run(helper, code=code, cwd=cwd)
    seconds, peak = json.loads(out.strip().splitlines()[-1])
    return float(seconds), float(peak)


def phases(case: Path, out_folder: Path, tier: str) -> list[tuple[str, float, float]]:
    """The match command's phases in this process: (name, seconds, peak RSS GB so far)."""
    from flows import exports, io, matching, pipeline, privacy, reference, scoring, summary  # noqa: PLC0415

    rows: list[tuple[str, float, float]] = []

    def done(name: str, start: float) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        rows.append((name, time.perf_counter() - start, peak))

    t = time.perf_counter()
    loaded = io.load_case(case).case
    assert loaded is not None
    done("load + validate", t)
    ref = reference.default()
    t = time.perf_counter()
    pipeline.fingerprint(loaded)
    done("fingerprint", t)
    t = time.perf_counter()
    found = matching.match(
        loaded,
        library=ref.library,
        compatibility=ref.compatibility,
        vocabulary=ref.vocabulary,
        circuity=ref.circuity,
    )
    done("match", t)
    t = time.perf_counter()
    scored = scoring.score(
        found, ref.parameters, ref.library, substitutes=ref.substitutes, explain=False
    )
    done("score", t)
    t = time.perf_counter()
    scored["explanation"] = scoring.explanations(scored)
    done("explanations", t)
    t = time.perf_counter()
    shown = privacy.candidates(scored, tier=tier)  # type: ignore[arg-type]
    privacy.totals(scored, tier=tier)  # type: ignore[arg-type]
    done(f"privacy ({tier})", t)
    for suffix in FORMATS:
        t = time.perf_counter()
        exports.write_candidates(
            shown, loaded, out_folder / f"phases{suffix}", parameters=ref.parameters
        )
        done(f"write {suffix[1:]}", t)
    t = time.perf_counter()
    summary.summary_table(shown, privacy.totals(scored, tier=tier))
    done("summary", t)
    rows.append(("candidates", float(len(scored)), 0.0))
    return rows


def report(
    whole: dict[tuple[str, str], list[tuple[float, float]]],
    phase_rows: dict[str, list[list[object]]],
    bare_s: float,
) -> None:
    """Print the whole-command and the phase tables."""
    names = list(phase_rows)
    print("\nwhole command (wall s, peak RSS GB; median of runs):")
    for suffix in FORMATS:
        cells = []
        for name in names:
            runs = whole[(name, suffix)]
            seconds = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            cells.append(
                f"{name}: {seconds:6.2f} s ({seconds - bare_s:+.2f} over bare), {peak:.2f} GB"
            )
        ratio = ""
        if len(names) == 2:
            a = statistics.median(r[0] for r in whole[(names[1], suffix)])
            b = statistics.median(r[0] for r in whole[(names[0], suffix)])
            ratio = f"; {a / b:.2f}x faster than the baseline"
        print(f"  match --out {suffix[1:]:<8} " + " | ".join(cells) + ratio)
    print("\nphases in one process (s, peak RSS GB by the end of the phase):")
    header = "".join(f"{name:>24}" for name in names)
    print(f"  {'phase':<18}{header}")
    for k, row in enumerate(phase_rows[names[0]]):
        label = row[0]
        cells = "".join(
            f"{phase_rows[name][k][1]:>13,.2f} {phase_rows[name][k][2]:>7.2f} GB"
            if label != "candidates"
            else f"{phase_rows[name][k][1]:>24,.0f}"
            for name in names
        )
        print(f"  {label:<18}{cells}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tier", choices=("owner", "public"), default="owner")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--baseline", type=Path, help="another checkout to run the same way")
    parser.add_argument("--runs", type=int, default=1, help="whole-command runs per format")
    parser.add_argument("--measure-one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--phases-only", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_one:
        command, code = json.loads(args.measure_one[0]), Path(args.measure_one[1])
        seconds, _ = run(command, code=code, cwd=Path.cwd())
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        print(json.dumps([seconds, peak]))
        return 0
    if args.phases_only:
        rows = phases(Path(args.phases_only[0]), Path(args.phases_only[1]), args.phases_only[2])
        print(json.dumps(rows))
        return 0

    args.folder.mkdir(parents=True, exist_ok=True)
    case = case_path(args.folder, args.sites, args.seed)
    trees = {"this checkout": ROOT}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    bare = [measure([sys.executable, "-c", "pass"], code=ROOT, cwd=args.folder)[0]]
    bare += [measure([sys.executable, "-c", "pass"], code=ROOT, cwd=args.folder)[0]]
    bare_s = statistics.median(bare)
    print(f"{case.name}, {args.tier} tier; python -c pass: {bare_s:.2f} s", flush=True)

    whole: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        out_folder = Path(tmp)
        for _ in range(args.runs):
            for name, code in trees.items():  # interleaved: the machine's load hits both
                for suffix in FORMATS:
                    target = out_folder / f"whole{suffix}"
                    command = [sys.executable, "-m", "flows", "match", str(case), "--out"]
                    command += [str(target), "--tier", args.tier]
                    whole.setdefault((name, suffix), []).append(
                        measure(command, code=code, cwd=out_folder)
                    )
        phase_rows: dict[str, list[list[object]]] = {}
        for name, code in trees.items():
            helper = [sys.executable, __file__, "--phases-only", str(case), tmp, args.tier]
            _, out = run(helper, code=code, cwd=out_folder)
            phase_rows[name] = json.loads(out.strip().splitlines()[-1])

    report(whole, phase_rows, bare_s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
