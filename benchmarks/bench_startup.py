"""Start-up time of the command-line entry points, against a bare interpreter.

Run from the repository root: ``python benchmarks/bench_startup.py [--runs N]``. Each command
runs in a fresh subprocess (so nothing is cached in ``sys.modules``); the difference to
``python -c pass`` measured in the same run is what SymbioMap's imports cost.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("-c", "pass"),
    ("-m", "flows", "--help"),
    ("-m", "flows", "validate", "datasets/kalundborg"),
    ("-m", "flows", "suggest", "--nace", "24.10"),
    ("-m", "geo", "--help"),
)


def time_command(args: tuple[str, ...], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` fresh runs of ``python *args``.

    Parameters
    ----------
    args : tuple of str
        Arguments after the interpreter.
    runs : int
        How many times to run it.

    Returns
    -------
    list of float
        One duration per run, seconds.
    """
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        # Exit status is ignored: validate may report problems; only the time matters.
        subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    """Time every command and print min/median/max and the median minus ``python -c pass``.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status, 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    options = parser.parse_args(argv)
    baseline: float | None = None
    print(f"{'command':<45} {'min':>7} {'median':>7} {'max':>7} {'- bare':>7}  (seconds)")
    for args in COMMANDS:
        times = time_command(args, options.runs)
        median = statistics.median(times)
        if baseline is None:
            baseline = median
        label = "python " + " ".join(args)
        print(
            f"{label:<45} {min(times):7.3f} {median:7.3f} {max(times):7.3f} "
            f"{median - baseline:+7.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
