"""Running the command line as a user would, for the CLI tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_module(module: str, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` from the project root and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=timeout_s,
    )
