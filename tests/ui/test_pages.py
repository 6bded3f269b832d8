"""Tests of the Streamlit pages with ``streamlit.testing.v1.AppTest`` (no browser)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyrosm
import pytest
from streamlit.testing.v1 import AppTest

import datasets
import geo
from flows import reference
from flows._errors import CaseReadError
from flows.io import case_to_bytes
from ui import network
from ui.state import StateKeys, load_upload
from ui.text import escape_markdown

WORDS = reference.default().vocabulary
"""The bundled EWC list and carriers."""

if TYPE_CHECKING:
    from flows.model import Case

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DATA_PAGE = "ui/pages/data.py"
TIMEOUT_S = 60


def upload_key(at: AppTest) -> str:
    """Key of the case uploader now: it is renewed after every upload (ui.state.upload_key)."""
    return f"{StateKeys.UPLOAD}-{at.session_state[StateKeys.UPLOAD_GENERATION]}"


def _data_page(at: AppTest) -> AppTest:
    at.switch_page(DATA_PAGE).run()
    assert not at.exception, at.exception
    return at


def _zip_without_sites() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("flows.csv", "site_id,direction,resource,quantity,unit\n")
    return buffer.getvalue()


def test_map_page_shows_the_default_case(app: AppTest) -> None:
    case = app.session_state[StateKeys.CASE]
    assert case is not None
    assert app.session_state[StateKeys.CASE_LABEL] == datasets.DEFAULT_CASE
    captions = " ".join(c.value for c in app.caption)
    assert f"{len(case.sites)} sites" in captions
    assert not app.error


def test_map_page_without_a_case_asks_for_one(app: AppTest) -> None:
    app.session_state[StateKeys.CASE] = None
    app.run()
    assert not app.exception
    assert "No case is loaded" in app.info[0].value


def test_data_page_loads_a_bundled_case_and_shows_its_report(app: AppTest) -> None:
    at = _data_page(app)
    at.session_state[StateKeys.CASE] = None
    at.selectbox(key=StateKeys.BUNDLED_CHOICE).select(datasets.DEFAULT_CASE).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE] is not None
    assert any("Loaded the bundled case" in s.value for s in at.success)
    assert any("error" in m.value and "warning" in m.value for m in at.markdown)
    report = at.session_state[StateKeys.REPORT]
    if report.findings:
        frame = at.dataframe[0].value
        assert list(frame.columns[:8]) == [
            "severity", "message", "hint", "file", "layer", "row", "field", "code",
        ]  # fmt: skip
        assert str(frame["row"].dtype) == "Int64"
    assert len(at.tabs) == 3
    assert len(at.get("download_button")) == 4


def test_uploading_a_valid_case_replaces_the_current_one(app: AppTest, tiny_case: Case) -> None:
    at = _data_page(app)
    at.file_uploader(key=upload_key(at)).upload("tiny.zip", case_to_bytes(tiny_case, "zip"))
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE_LABEL] == "tiny.zip"
    assert at.session_state[StateKeys.CASE].name == tiny_case.name
    assert at.session_state[StateKeys.REPORT_LABEL] == "tiny.zip"


def test_uploading_a_case_with_errors_keeps_the_current_case(app: AppTest) -> None:
    at = _data_page(app)
    before = at.session_state[StateKeys.CASE]
    at.file_uploader(key=upload_key(at)).upload("no-sites.zip", _zip_without_sites()).run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE] is before
    assert at.session_state[StateKeys.CASE_LABEL] == datasets.DEFAULT_CASE
    assert at.session_state[StateKeys.REPORT].has_errors
    assert any(f"{escape_markdown('no-sites.zip')} has errors" in e.value for e in at.error)
    frame = at.dataframe[0].value
    assert "error" in set(frame["severity"])
    assert set(frame["file"]) == {"no-sites.zip"}


def test_an_unreadable_upload_shows_an_error_and_the_app_keeps_running(app: AppTest) -> None:
    at = _data_page(app)
    before = at.session_state[StateKeys.CASE]
    at.file_uploader(key=upload_key(at)).upload("broken.zip", b"this is not a zip").run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.CASE] is before
    assert at.error
    assert escape_markdown("broken.zip") in at.error[0].value
    at.switch_page("ui/pages/map.py").run()
    assert not at.exception


def test_an_unreadable_upload_after_a_good_one_clears_the_old_report(
    app: AppTest, tiny_case: Case
) -> None:
    at = _data_page(app)
    at.file_uploader(key=upload_key(at)).upload("no-sites.zip", _zip_without_sites()).run()
    assert at.dataframe  # the first file's report is on screen
    at.file_uploader(key=upload_key(at)).upload("x.gpkg", b"garbage").run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.REPORT] is None
    assert at.session_state[StateKeys.REPORT_LABEL] == "x.gpkg"
    assert any(escape_markdown("x.gpkg") in e.value for e in at.error)
    assert not any("Validation report" in s.value for s in at.subheader)
    assert all("severity" not in d.value.columns for d in at.dataframe)


def test_report_rows_show_as_numbers_with_blanks(app: AppTest) -> None:
    at = _data_page(app)
    at.file_uploader(key=upload_key(at)).upload("no-sites.zip", _zip_without_sites()).run()
    frame = at.dataframe[0].value
    assert str(frame["row"].dtype) == "Int64"
    assert "None" not in frame.astype("string").fillna("").to_numpy().ravel().tolist()


def test_load_upload_reads_bytes_under_the_uploaded_name(tiny_case: Case) -> None:
    result = load_upload("my case.gpkg", case_to_bytes(tiny_case, "gpkg"))
    assert result.case is not None
    assert len(result.case.sites) == len(tiny_case.sites)
    with pytest.raises(CaseReadError, match=r"broken\.zip"):
        load_upload("broken.zip", b"PK not really")


# -- road network, distances, route -------------------------------------------------------

MAP_PAGE = "ui/pages/map.py"
KOTKA_PBF = Path(pyrosm.get_data("test_pbf"))


def _kotka_app(app: AppTest, case: Case) -> AppTest:
    """The Map page showing the Kotka case (seeded as the Data page would)."""
    app.session_state[StateKeys.CASE] = case
    app.session_state[StateKeys.CASE_LABEL] = "kotka.zip"
    app.run()
    assert not app.exception, app.exception
    return app


def _upload_kotka_network(at: AppTest) -> AppTest:
    at.file_uploader(key=StateKeys.NETWORK_UPLOAD).upload(
        KOTKA_PBF.name, KOTKA_PBF.read_bytes(), "application/octet-stream"
    ).run()
    assert not at.exception, at.exception
    return at


def _distance_table(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if "distance kind" in d.value.columns]
    assert len(frames) == 1
    return frames[0]


def test_without_a_network_the_page_says_distances_are_estimated(app: AppTest) -> None:
    text = " ".join(m.value for m in app.markdown)
    assert "No road network is loaded, so every distance is estimated" in text
    table = _distance_table(app)
    case = app.session_state[StateKeys.CASE]
    assert len(table) == len(case.exchanges)
    assert set(table["distance kind"]) == {"estimated"}
    assert list(table.columns) == [
        "from", "to", "resource", "mode", "distance km", "duration min", "distance kind",
    ]  # fmt: skip
    assert (table["distance km"] > 0).all()
    # Kalundborg's partners span ~150 km: too wide to download, an extract is suggested.
    download = next(b for b in app.button if b.label == "Download from OpenStreetMap")
    assert download.disabled
    assert any("too wide to download" in c.value for c in app.caption)


def test_the_distance_table_names_the_resources(app: AppTest) -> None:
    case = app.session_state[StateKeys.CASE]
    table = _distance_table(app)
    gypsum = case.exchanges["resource"] == "10 01 05"
    assert gypsum.any()
    shown = set(table.loc[gypsum.to_numpy(), "resource"])
    assert shown == {"10 01 05 — " + WORDS.describe("10 01 05")}


def test_uploading_the_kotka_extract_measures_exchanges_on_the_roads(
    app: AppTest, kotka_case: Case
) -> None:
    at = _upload_kotka_network(_kotka_app(app, kotka_case))
    loaded = at.session_state[StateKeys.NETWORK]
    assert isinstance(loaded, network.LoadedNetwork)
    assert loaded.label == KOTKA_PBF.name
    assert any(loaded.summary.split(",")[0] in s.value for s in at.success)
    table = _distance_table(at)
    kinds = dict(zip(zip(table["from"], table["to"], strict=True), table["distance kind"],
                     strict=True))  # fmt: skip
    assert kinds[("mill", "port")] == "road"
    assert kinds[("island", "mill")] == "estimated"
    assert kinds[("port", "island")] == "estimated"
    text = " ".join(m.value for m in at.markdown)
    assert "3 of 6 exchanges are measured along the roads" in text


def test_a_road_exchange_gets_its_route_drawn(app: AppTest, kotka_case: Case) -> None:
    at = _upload_kotka_network(_kotka_app(app, kotka_case))
    index = int(kotka_case.exchanges.index[0])  # mill -> port by road
    at.selectbox(key=StateKeys.ROUTE_CHOICE).select(index).run()
    assert not at.exception, at.exception
    cached = at.session_state[StateKeys.ROUTE]
    assert cached[2:4] == ("mill", "port")
    route = cached[4]
    assert isinstance(route, network.Route)
    assert any(f"Road route: {route.distance_m / 1000:,.2f} km" in s.value for s in at.success)
    table = _distance_table(at)
    assert table["distance km"].iloc[0] == pytest.approx(route.distance_m / 1000)


def test_an_exchange_that_cannot_be_routed_says_why(app: AppTest, kotka_case: Case) -> None:
    at = _kotka_app(app, kotka_case)
    ex = kotka_case.exchanges
    island = int(ex.index[(ex["from_site"] == "island") & (ex["to_site"] == "mill")][0])
    sea = int(ex.index[ex["mode"] == "sea"][0])
    at.selectbox(key=StateKeys.ROUTE_CHOICE).select(island).run()
    assert "No road network is loaded, so this route cannot be drawn" in at.info[0].value
    at = _upload_kotka_network(at)
    assert at.session_state[StateKeys.ROUTE_CHOICE] == island  # kept when a network arrives
    assert "km from the nearest road of the network" in at.warning[0].value
    at.selectbox(key=StateKeys.ROUTE_CHOICE).select(sea).run()
    assert "goes by sea" in at.info[0].value
    assert not at.exception


def test_network_and_distances_are_not_rebuilt_on_reruns(
    app: AppTest, kotka_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    original = network.exchange_distances

    def counting(case: Case, road: object) -> pd.DataFrame:
        calls.append(road)
        return original(case, road)  # type: ignore[arg-type]

    monkeypatch.setattr(network, "exchange_distances", counting)
    at = _upload_kotka_network(_kotka_app(app, kotka_case))
    loaded = at.session_state[StateKeys.NETWORK]
    assert len(calls) == 2  # once estimated, once on the new network
    at.run()
    at.selectbox(key=StateKeys.ROUTE_CHOICE).select(0).run()
    at.run()
    assert at.session_state[StateKeys.NETWORK] is loaded
    assert len(calls) == 2


def test_loading_another_case_forgets_the_network(app: AppTest, kotka_case: Case) -> None:
    at = _upload_kotka_network(_kotka_app(app, kotka_case))
    assert at.session_state[StateKeys.NETWORK] is not None
    at = _data_page(at)
    at.selectbox(key=StateKeys.BUNDLED_CHOICE).select(datasets.DEFAULT_CASE).run()
    at.button[0].click().run()
    assert at.session_state[StateKeys.NETWORK] is None
    assert at.session_state[StateKeys.DISTANCES] is None
    at.switch_page(MAP_PAGE).run()
    assert not at.exception, at.exception
    assert set(_distance_table(at)["distance kind"]) == {"estimated"}


def test_a_broken_network_file_shows_an_error_not_a_traceback(
    app: AppTest, kotka_case: Case
) -> None:
    at = _kotka_app(app, kotka_case)
    at.file_uploader(key=StateKeys.NETWORK_UPLOAD).upload(
        "roads.osm", b"<html>not osm</html>", "application/xml"
    ).run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.NETWORK] is None
    assert any("No road network could be built from roads" in e.value for e in at.error)
    assert "not OpenStreetMap data" in at.error[0].value


def test_download_offline_shows_the_plain_error(
    app: AppTest, kotka_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(points: object, **_: object) -> None:
        msg = "OpenStreetMap could not be reached (overpass-api.de:443: no route to host)"
        raise geo.NetworkUnavailableError(msg)

    monkeypatch.setattr(geo.network, "graph_around", offline)
    at = _kotka_app(app, kotka_case)
    download = next(b for b in at.button if b.label == "Download from OpenStreetMap")
    assert not download.disabled
    download.click().run()
    assert not at.exception, at.exception
    assert at.session_state[StateKeys.NETWORK] is None
    assert "could not be reached from this machine" in at.error[0].value
    assert "Upload an OpenStreetMap extract" in at.error[0].value


def test_a_bundled_network_file_is_built_once_for_everyone(tmp_path: Path) -> None:
    copy = tmp_path / "network.osm.pbf"
    copy.write_bytes(KOTKA_PBF.read_bytes())
    mtime = copy.stat().st_mtime_ns
    first = network.load_network_file(str(copy), mtime)
    assert network.load_network_file(str(copy), mtime) is first
    assert network.load_network_file(str(copy), mtime + 1) is not first
    assert first.label == "network.osm.pbf"
    assert network.bundled_network_path(datasets.DEFAULT_CASE) is None
    assert network.bundled_network_path("kotka.zip") is None


def test_data_page_shows_what_each_download_changes_before_it_is_built(app: AppTest) -> None:
    at = _data_page(app)
    case = at.session_state[StateKeys.CASE]
    sites = case.sites.copy()
    sites.loc[0, "name"] = '=HYPERLINK("http://x")'
    sites.loc[1, "name"] = "Plant\x0b B"
    at.session_state[StateKeys.CASE] = type(case)(**{**case.__dict__, "sites": sites})
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption if c.value.startswith("Changed to keep")]
    assert any(
        c.startswith("Changed to keep the file safe: sites") and "as formulas" in c
        for c in captions
    ), captions
    assert any("sheet sites" in c and "control character" in c for c in captions), captions
