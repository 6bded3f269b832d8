"""The assembled app in a real browser (Debian's Chromium), with every remote request blocked."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyrosm
import pytest

from flows.io import case_to_bytes
from flows.model import Case
from ui.network import exchange_label

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT_S = 30.0
MAP_TIMEOUT_MS = 25_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode(errors="replace") if server.stdout else ""
            pytest.fail(f"streamlit exited with code {server.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"streamlit did not answer on {url} within {SERVER_START_TIMEOUT_S:.0f} s")


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """Run ``streamlit run app.py`` offline on a free port; stop it afterwards."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    port = _free_port()
    env = {**os.environ, "SYMBIOMAP_OFFLINE": "1"}
    options = f"--server.headless true --server.port {port} --server.address 127.0.0.1"
    options += " --browser.gatherUsageStats false"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", *options.split()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()


@contextmanager
def _offline_page(blocked: list[str]) -> Iterator[Page]:
    """A Chromium page whose requests to anything but the local app are refused (and listed
    in ``blocked``)."""
    from playwright.sync_api import Route, sync_playwright  # noqa: PLC0415 - only when run

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_PREFIXES):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route("**/*", only_local)
            yield context.new_page()
        finally:
            browser.close()


def _wait_until_idle(page: Page) -> None:
    """Wait until the script run triggered last has finished (the "Running" widget is gone)."""
    page.wait_for_timeout(200)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=MAP_TIMEOUT_MS)


def test_map_page_draws_sites_and_exchanges_offline(app_url: str) -> None:
    blocked: list[str] = []
    with _offline_page(blocked) as page:
        page.goto(app_url, wait_until="domcontentloaded")
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator(".leaflet-container").wait_for(timeout=MAP_TIMEOUT_MS)
        markers = frame.locator("path.leaflet-interactive")
        markers.first.wait_for(timeout=MAP_TIMEOUT_MS)
        assert markers.count() > 0
        assert frame.locator(".symbiomap-legend").count() == 1
        assert frame.locator(".leaflet-control-layers").count() == 1
        assert frame.locator(".leaflet-tile").count() == 0  # offline: no tile layer
        page.wait_for_timeout(500)  # let fitBounds finish before the screenshot
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "browser-map.png"), full_page=True)

        sites = frame.locator("path.leaflet-interactive[fill-opacity='0.9']")
        container = frame.locator(".leaflet-container").bounding_box()
        assert container is not None
        visible = [
            i
            for i in range(sites.count())
            if (box := sites.nth(i).bounding_box()) is not None
            and container["x"] < box["x"] < container["x"] + container["width"] - 20
            and container["y"] < box["y"] < container["y"] + container["height"] - 20
        ]
        assert visible, "no site marker inside the map view"
        sites.nth(visible[-1]).hover(force=True)
        frame.locator(".leaflet-tooltip").first.wait_for(timeout=5_000)
        assert "Sector" in frame.locator(".leaflet-tooltip").first.inner_text()

        page.get_by_role("link", name="Data").click()
        page.get_by_text("Validation report").wait_for(timeout=MAP_TIMEOUT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
    assert [url for url in blocked if not url.startswith("ws")] == [], blocked


def test_plan_page_draws_its_sankey_and_map_offline(app_url: str) -> None:
    blocked: list[str] = []
    with _offline_page(blocked) as page:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("link", name="Plan").click()
        page.get_by_text("Plan (EUR/yr)").wait_for(timeout=MAP_TIMEOUT_MS)
        chart = page.locator('[data-testid="stPlotlyChart"]')
        chart.wait_for(timeout=MAP_TIMEOUT_MS)
        # plotly's JavaScript comes with the app: the Sankey's nodes are drawn offline
        chart.locator("g.sankey-node").first.wait_for(timeout=MAP_TIMEOUT_MS)
        assert chart.locator("g.sankey-node").count() >= 2
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=MAP_TIMEOUT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "browser-plan.png"), full_page=True)
    assert [url for url in blocked if not url.startswith("ws")] == [], blocked


def test_kotka_network_upload_draws_the_route_of_an_exchange(
    app_url: str, kotka_case: Case, tmp_path: Path
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415 - only when run

    case_zip = tmp_path / "kotka.zip"
    case_zip.write_bytes(case_to_bytes(kotka_case, "zip"))
    blocked: list[str] = []
    with _offline_page(blocked) as page:
        page.goto(f"{app_url}/data", wait_until="domcontentloaded")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(case_zip)
        page.get_by_text("Current case: kotka.zip").wait_for(timeout=MAP_TIMEOUT_MS)

        page.get_by_role("link", name="Map").click()
        page.get_by_text("Road network", exact=True).click()
        uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        uploader.set_input_files(pyrosm.get_data("test_pbf"))
        page.get_by_text("Road network ready").wait_for(timeout=MAP_TIMEOUT_MS)
        # the end of the run: the distance table's note says which distances are road
        page.get_by_text("3 of 6 exchanges are measured along the roads").wait_for(
            timeout=MAP_TIMEOUT_MS
        )
        page.get_by_text("Road network", exact=True).click()  # fold it away again

        page.get_by_role("combobox", name="Draw the road route of an exchange").click()
        label = exchange_label(pd.Series({"from_site": "mill", "to_site": "port",
                                          "resource": "03 03 07", "mode": "road"}))  # fmt: skip
        assert "03 03 07 — " in label  # the picker names the resource
        page.get_by_role("option", name=label).click()
        page.get_by_text("Road route:").wait_for(timeout=MAP_TIMEOUT_MS)
        _wait_until_idle(page)
        # the map of the previous run lingers for a moment while the new one mounts
        expect(page.locator('iframe[title="streamlit_folium.st_folium"]')).to_have_count(
            1, timeout=MAP_TIMEOUT_MS
        )
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator("path.leaflet-interactive[stroke='#ffd600']").wait_for(timeout=MAP_TIMEOUT_MS)
        assert (
            "Road route of the selected exchange" in frame.locator(".symbiomap-legend").inner_text()
        )
        assert page.locator('[data-testid="stException"]').count() == 0
        page.set_viewport_size({"width": 1400, "height": 1500})  # the table too
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "browser-route.png"), full_page=True)
    assert [url for url in blocked if not url.startswith("ws")] == [], blocked


def test_synergies_page_draws_candidates_and_highlights_a_selected_row(app_url: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415 - only when run

    blocked: list[str] = []
    with _offline_page(blocked) as page:
        page.set_viewport_size({"width": 1400, "height": 1800})
        page.goto(f"{app_url}/synergies", wait_until="domcontentloaded")
        page.get_by_text("candidates match the filters").wait_for(timeout=MAP_TIMEOUT_MS)
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        lines = frame.locator("path.leaflet-interactive")
        lines.first.wait_for(timeout=MAP_TIMEOUT_MS)
        assert lines.count() > 0
        assert "Candidate exchanges" in frame.locator(".symbiomap-legend").inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0

        # tick the first row of the ranked table: its line gets a black casing on the map
        grid = page.locator('[data-testid="stDataFrame"]').first
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
        page.get_by_text("Totals of the 1 candidates selected").wait_for(timeout=MAP_TIMEOUT_MS)
        _wait_until_idle(page)
        expect(page.locator('iframe[title="streamlit_folium.st_folium"]')).to_have_count(
            1, timeout=MAP_TIMEOUT_MS
        )
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator("path.leaflet-interactive[stroke='#111111']").wait_for(timeout=MAP_TIMEOUT_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "browser-synergies.png"), full_page=True)
    assert [url for url in blocked if not url.startswith("ws")] == [], blocked


BAD = ROOT / "tests" / "data" / "bad"
NOT_MEMBERS = {"README.md", "expected", "__pycache__"}


def _uploadable(member: Path, folder: Path) -> Path | None:
    """The member as a file the uploader takes: files as they are, folders zipped; None for a
    folder holding a link, a special file or a subfolder, which a zip would carry as another
    case or not at all (the CLI tests cover those members)."""
    if member.is_file():
        return member
    entries = sorted(member.rglob("*"))
    special = [p for p in entries if p.is_symlink() or not stat.S_ISREG(p.lstat().st_mode)]
    if special:  # a subfolder (case folders are flat), a link, a pipe ...
        return None
    target = folder / f"{member.name}.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in entries:
            if path.is_file():
                archive.write(path, arcname=path.relative_to(member).as_posix())
    return target


def test_every_bad_file_of_the_corpus_leaves_the_app_running_and_the_case_kept(
    app_url: str, tmp_path: Path
) -> None:
    members = sorted(
        p for p in BAD.iterdir() if p.name not in NOT_MEMBERS and not p.name.startswith("make_")
    )
    from playwright.sync_api import expect  # noqa: PLC0415 - only when run

    assert len(members) >= 50
    blocked: list[str] = []
    with _offline_page(blocked) as page:
        page.goto(f"{app_url}/data", wait_until="domcontentloaded")
        current = page.get_by_text("Current case: kalundborg")
        current.wait_for(timeout=MAP_TIMEOUT_MS)
        uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        uploaded = 0
        for member in members:
            upload = _uploadable(member, tmp_path)
            if upload is None:
                continue
            uploaded += 1
            # Each upload gets a fresh uploader (ui.state.upload_key): under load the old one
            # can still be in the page for a moment after the run, holding the last file.
            expect(uploader).to_have_count(1, timeout=MAP_TIMEOUT_MS)
            uploader.set_input_files(upload)
            # every bad upload says so: its report (with errors), or why it cannot be read
            said = re.compile(rf"^(Validation report: |Could not read ){re.escape(upload.name)}$")
            page.get_by_role("heading", name=said).wait_for(timeout=MAP_TIMEOUT_MS)
            _wait_until_idle(page)
            assert page.locator('[data-testid="stException"]').count() == 0, member.name
            assert "Traceback" not in page.content(), member.name
            assert current.count() == 1, f"{member.name} replaced the case"
    assert uploaded >= len(members) - 5
    assert [url for url in blocked if not url.startswith("ws")] == [], blocked
