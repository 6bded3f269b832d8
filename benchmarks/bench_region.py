"""Time and peak memory of a region case for Belgium and Germany, then ``flows match`` on it.

Each step runs as its own process, as a user would run it: the region builder (through
``python -m flows region`` when the command is wired into ``flows.cli``, else through
``flows.region.build_region_case`` and ``flows.io.write_case`` in ``python -c``), then
``python -m flows match CASE --out candidates.parquet`` on its declared (measured and estimated)
supplies and demands. The peak resident memory of each process is its own ``ru_maxrss``,
printed by a thin wrapper when the process ends.

Run from the repository root::

    python benchmarks/bench_region.py                      # Belgium and Germany
    python benchmarks/bench_region.py --region belgium --no-match
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

REGIONS = {
    # lon/lat boxes around the countries (they include slivers of the neighbours)
    "belgium": (2.54, 49.49, 6.41, 51.51),
    "germany": (5.87, 47.27, 15.04, 55.06),
}

_WRAPPER = """
import resource, runpy, sys, time
sys.argv = {argv!r}
code = 0
try:
    runpy.run_module({module!r}, run_name="__main__", alter_sys=True)
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else 1
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""

_BUILD = """
import resource, sys
from flows import io
from flows.region import build_region_case
case, report = build_region_case(bbox={bbox!r}, year={year})
io.write_case(case, {out!r})
print(report.format())
print(len(case.sites), "sites,", len(case.flows), "flows")
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _region_wired() -> bool:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from flows import cli  # noqa: PLC0415

    with contextlib.redirect_stderr(io.StringIO()):  # argparse's usage message on failure
        try:
            cli.build_parser().parse_args(["region", "--bbox", "0", "0", "1", "1", "--out", "x"])
        except SystemExit:
            return False
    return True


def _run(code: str) -> tuple[float, float, str]:
    """Run ``python -c code``: wall seconds, peak RSS in MiB, stdout."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        msg = f"step failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        raise RuntimeError(msg)
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
    return seconds, int(peak[-1].split()[1]) / 1024, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", choices=sorted(REGIONS), action="append")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--no-match", action="store_true", help="only build the region cases")
    args = parser.parse_args(argv)
    wired = _region_wired()
    print(f"region builder via {'python -m flows region' if wired else 'python -c'}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.region or ["belgium", "germany"]:
            bbox = REGIONS[name]
            case_path = str(Path(tmp) / f"{name}.gpkg")
            if wired:
                argv_ = ["flows", "region", "--bbox", *map(str, bbox), "--year", str(args.year)]
                code = _WRAPPER.format(argv=[*argv_, "--out", case_path], module="flows")
            else:
                code = _BUILD.format(bbox=bbox, year=args.year, out=case_path)
            seconds, peak_mib, out = _run(code)
            print(f"\n== {name} {bbox}\n{out.strip()}")
            print(f"region: {seconds:.1f} s, peak RSS {peak_mib:.0f} MiB")
            if args.no_match:
                continue
            out_path = str(Path(tmp) / f"{name}-candidates.parquet")
            code = _WRAPPER.format(
                argv=["flows", "match", case_path, "--out", out_path], module="flows"
            )
            seconds, peak_mib, out = _run(code)
            tail = "\n".join(out.strip().splitlines()[-4:])
            print(f"match: {seconds:.1f} s, peak RSS {peak_mib:.0f} MiB\n{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
