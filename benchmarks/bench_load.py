"""Time generating, validating, writing and reading synthetic cases of growing size.

Run from the project root::

    python benchmarks/bench_load.py --sites 1000 10000 50000

For each size it prints the seconds and rows per second of: generating the tables, validating
them (``flows.io.load_frames``, timed inside ``generate_case``), writing a GeoPackage and reading
it back (``flows.io.load_case``, which validates again). Not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import io, synthetic


@contextmanager
def _timed_load_frames(seconds: list[float]) -> Iterator[None]:
    """Record how long each ``io.load_frames`` call takes while the block runs."""
    original: Callable[..., Any] = io.load_frames

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)

    io.load_frames = timed  # type: ignore[assignment]
    try:
        yield
    finally:
        io.load_frames = original  # type: ignore[assignment]


def _line(step: str, seconds: float, rows: int) -> str:
    return f"  {step:<16} {seconds:8.2f} s  {rows / seconds:12,.0f} rows/s"


def bench(n_sites: int, *, seed: int, flows_per_site: float, folder: Path) -> None:
    """Print the timings for one size."""
    validation: list[float] = []
    start = time.perf_counter()
    with _timed_load_frames(validation):
        case = synthetic.generate_case(n_sites, seed=seed, flows_per_site=flows_per_site)
    total = time.perf_counter() - start
    rows = len(case.sites) + len(case.parks) + len(case.flows) + len(case.exchanges)
    path = folder / f"synthetic-{n_sites}.gpkg"
    start = time.perf_counter()
    io.write_case(case, path)
    written = time.perf_counter() - start
    start = time.perf_counter()
    result = io.load_case(path)
    read = time.perf_counter() - start
    if result.case is None:
        msg = f"the written case does not load:\n{result.report.format()}"
        raise SystemExit(msg)
    print(
        f"{n_sites:,} sites: {len(case.parks):,} parks, {len(case.flows):,} flows, "
        f"{len(case.exchanges):,} exchanges ({rows:,} rows, "
        f"{path.stat().st_size / 2**20:.1f} MiB GPKG)"
    )
    print(_line("generate", total - validation[0], rows))
    print(_line("validate", validation[0], rows))
    print(_line("write gpkg", written, rows))
    print(_line("read gpkg", read, rows))
    print(_line("total", total + written + read, rows), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sites", type=int, nargs="+", default=[1000, 10000, 50000], help="case sizes"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flows-per-site", type=float, default=5.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for n_sites in args.sites:
            bench(n_sites, seed=args.seed, flows_per_site=args.flows_per_site, folder=Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
