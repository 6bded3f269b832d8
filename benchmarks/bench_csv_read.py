"""Time and peak memory of reading one accepted CSV table, against ``pandas.read_csv``.

Run from the project root::

    python benchmarks/bench_csv_read.py --mb 20
    python benchmarks/bench_csv_read.py --mb 20 --ref HEAD   # also the reader as committed

It writes a flows table of about ``--mb`` MB (rows like those of the reader's memory test) and
prints, for each reader, the best of ``--repeat`` wall times and the Python peak of one more run
(tracemalloc, which slows the run it watches, hence timed apart). ``--ref`` adds
``flows/io/csv_files.py`` as it is at a git revision, loaded from ``git show``, so that before and
after come from the same run on the same file. Not a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets.settings import InputLimits
from flows.io import csv_files
from flows.validation import ValidationReport

ROOT = Path(__file__).resolve().parents[1]
_HEADER = "site_id,direction,resource,quantity,unit,temperature_c,a,b,c\n"
# Values vary from row to row, as in a real table: a reader that shares equal strings (pandas
# does) would otherwise look smaller than it is.
_ROW = "site{0},supply,10 01 {1:02d},{2}.{3},kt/yr,{4},continuous,false,s{0}\n"


def _write(path: Path, megabytes: float) -> int:
    size = int(megabytes * 2**20)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        written = fh.write(_HEADER)
        while written < size:
            i = rows
            written += fh.write(_ROW.format(i % 50_000, i % 99, i % 997, i % 10, i % 300))
            rows += 1
    return rows


def _module_at(revision: str) -> ModuleType:
    """``flows/io/csv_files.py`` as it is at ``revision``, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{revision}:flows/io/csv_files.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="bench-csv-"))
    path = folder / "csv_files_ref.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("csv_files_ref", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _symbiomap(module: ModuleType, path: Path, limits: InputLimits) -> Callable[[], Any]:
    def read() -> Any:
        report = ValidationReport()
        raw = module.read_csv(path, "flows", path.name, report, limits=limits)
        assert raw is not None, report.format()
        return raw

    return read


def _measure(read: Callable[[], Any], repeat: int) -> tuple[float, float, int]:
    best = float("inf")
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = read()
        best = min(best, time.perf_counter() - start)
        rows = len(result.frame if hasattr(result, "frame") else result)
        del result
    tracemalloc.start()
    try:
        result = read()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return best, peak / 2**20, rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the table (MB)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per reader")
    parser.add_argument("--ref", help="also time flows/io/csv_files.py at this git revision")
    args = parser.parse_args(argv)

    limits = InputLimits()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flows.csv"
        rows = _write(path, args.mb)
        print(f"{path.stat().st_size / 2**20:.1f} MiB, {rows:,} rows")
        readers: list[tuple[str, Callable[[], Any]]] = [
            ("pandas.read_csv (baseline)", lambda: pd.read_csv(path, dtype=object)),
        ]
        if args.ref:
            readers.append(
                (f"read_csv at {args.ref}", _symbiomap(_module_at(args.ref), path, limits))
            )
        readers.append(("read_csv (working tree)", _symbiomap(csv_files, path, limits)))
        print(f"{'reader':<34}{'best s':>8}{'peak MiB':>10}{'rows':>10}")
        for name, read in readers:
            seconds, peak, count = _measure(read, args.repeat)
            print(f"{name:<34}{seconds:>8.2f}{peak:>10.0f}{count:>10,}")


if __name__ == "__main__":
    main()
