"""Memory the Streamlit server holds for an upload: before, after it, and after the tab closes.

Runs the real app (offline) on a free port, opens the Data page in Debian's Chromium (Playwright),
uploads a zip of a synthetic case and reads the server's resident set size (``VmRSS`` from
``/proc``) at each step. Streamlit drops a session ``server.disconnectedSessionTTL`` seconds after
its websocket closed (120 s by default); the benchmark sets it to a few seconds so the end of a
session can be watched. Not a test: it prints figures.

Run with ``PYTHONPATH=. .venv/bin/python benchmarks/bench_upload_memory.py [--sites N]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from flows import io, synthetic

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 300_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mib(pid: int) -> float:
    """Resident set size of process ``pid`` in MiB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError("streamlit did not start within 60 s")


def _settle(pid: int, seconds: float) -> float:
    """RSS after ``seconds`` of waiting (lets background threads and the TTL run)."""
    time.sleep(seconds)
    return rss_mib(pid)


def _drive(url: str, pid: int, upload: Path, ttl: int) -> None:
    """Open the Data page, upload ``upload``, close the tab and print the RSS at each step."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional dependency

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{url}/data", wait_until="domcontentloaded")
        page.get_by_text("Validation report").wait_for(timeout=TIMEOUT_MS)
        print(f"data page open:              {_settle(pid, 2):7.0f} MiB")
        start = time.perf_counter()
        dropzone = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        dropzone.set_input_files(upload)
        page.get_by_text("Current case: case.zip").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(200)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)
        elapsed = time.perf_counter() - start
        print(f"after the upload ({elapsed:5.1f} s):  {_settle(pid, 2):7.0f} MiB")
        context.close()
        print(f"tab closed:                  {_settle(pid, 1):7.0f} MiB")
        # Streamlit's session store (a cachetools TTLCache) drops expired sessions only
        # when it is used: wait past the TTL, then let another visitor come and go.
        time.sleep(ttl + 1)
        other = browser.new_context()
        other.new_page().goto(f"{url}/_stcore/health")
        visit = other.new_page()
        visit.goto(url, wait_until="domcontentloaded")
        visit.wait_for_timeout(3000)
        other.close()
        browser.close()
    dropped = _settle(pid, 5)
    print(f"session dropped (TTL {ttl} s):   {dropped:7.0f} MiB")


def main() -> None:
    """Measure and print the server's RSS around one upload."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50_000, help="sites in the synthetic case")
    parser.add_argument("--ttl", type=int, default=5, help="server.disconnectedSessionTTL (s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        upload = Path(folder) / "case.zip"
        io.write_case(synthetic.generate_case(args.sites, seed=1), upload)
        print(f"upload: {upload.stat().st_size / 1024:.0f} KiB zip of {args.sites:,} sites")

        port = _free_port()
        command = [sys.executable, "-m", "streamlit", "run", "app.py"]
        command += ["--server.headless", "true", "--server.port", str(port)]
        command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
        command += ["--server.disconnectedSessionTTL", str(args.ttl)]
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "SYMBIOMAP_OFFLINE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url, server)
            print(f"server idle:                 {rss_mib(server.pid):7.0f} MiB")
            _drive(url, server.pid, upload, args.ttl)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
