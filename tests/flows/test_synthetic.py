"""The seeded synthetic case generator: determinism, realism of the mix, geography, round trips."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal
from pyproj import Geod

from flows import io, nace, reference, resources, synthetic
from flows.model import Case

WORDS = reference.default().vocabulary
"""The bundled EWC list and carriers."""

ROOT = Path(__file__).resolve().parents[2]
N_SITES = 400
CENTRE = (51.23, 4.40)  # lat, lon
RADIUS_KM = 25.0
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def case() -> Case:
    return synthetic.generate_case(N_SITES, seed=7)


def _assert_cases_equal(left: Case, right: Case) -> None:
    assert_geodataframe_equal(left.sites, right.sites)
    assert_geodataframe_equal(left.parks, right.parks)
    for table in ("flows", "exchanges", "sources"):
        assert_frame_equal(getattr(left, table), getattr(right, table))
    assert left.metadata == right.metadata


def _geodesic_m(lon: np.ndarray, lat: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    _, _, dist = GEOD.inv(lon, lat, lon2, lat2)
    return np.asarray(dist)


# -- the table of archetypes ------------------------------------------------------------------


def test_archetypes_are_valid_data() -> None:
    keys = [a.key for a in synthetic.ARCHETYPES]
    assert len(keys) == len(set(keys))
    assert 15 <= len(keys) <= 25
    for archetype in synthetic.ARCHETYPES:
        assert nace.is_valid(archetype.nace), archetype.nace
        assert len(archetype.nace) == 5, "archetypes name NACE classes"
        assert archetype.weight > 0
        assert 0 <= archetype.park_share <= 1
        for flow in archetype.flows:
            assert WORDS.normalise(flow.resource) == flow.resource
            assert flow.unit in {"t/yr", "MWh/yr", "m3/yr"}
            assert 0 < flow.low < flow.high
            assert (flow.temperature_c is not None) == WORDS.needs_temperature(flow.resource)


def test_a_resource_has_one_unit_across_archetypes() -> None:
    # Exchanges pair supplies and demands of the same resource and unit; keep them comparable.
    units: dict[str, set[str]] = {}
    for archetype in synthetic.ARCHETYPES:
        for flow in archetype.flows:
            units.setdefault(flow.resource, set()).add(flow.unit)
    assert {r: u for r, u in units.items() if len(u) > 1} == {}


# -- determinism and counts ------------------------------------------------------------------


def test_same_seed_gives_the_same_case(case: Case) -> None:
    _assert_cases_equal(case, synthetic.generate_case(N_SITES, seed=7))


def test_another_seed_gives_another_case(case: Case) -> None:
    other = synthetic.generate_case(N_SITES, seed=8)
    assert not case.sites.geometry.geom_equals(other.sites.geometry).all()
    assert len(case.flows) != len(other.flows) or not case.flows["quantity"].equals(
        other.flows["quantity"]
    )


def test_counts(case: Case) -> None:
    assert len(case.sites) == N_SITES
    assert case.sites["site_id"].is_unique
    assert len(case.parks) == round(np.sqrt(N_SITES) / 2)
    assert len(case.flows) / N_SITES == pytest.approx(5.0, rel=0.2)
    assert set(case.flows["site_id"]) <= set(case.sites["site_id"])
    assert 0 < len(case.exchanges) < 0.1 * N_SITES


@pytest.mark.parametrize("flows_per_site", [0.5, 2.0, 9.0])
def test_flows_per_site_is_the_mean(flows_per_site: float) -> None:
    case = synthetic.generate_case(300, seed=1, flows_per_site=flows_per_site, n_parks=4)
    assert len(case.flows) / 300 == pytest.approx(flows_per_site, rel=0.2)
    assert len(case.parks) == 4


def test_sources_and_metadata(case: Case) -> None:
    assert case.sources["source_id"].tolist() == ["synthetic"]
    assert case.sources["citation"].tolist() == ["SymbioMap synthetic generator, seed 7"]
    assert case.metadata["name"] == f"Synthetic case ({N_SITES} sites, seed 7)"
    assert case.metadata["country"] == "BE"
    assert case.metadata["licence"] == "CC0-1.0"
    assert "synthetic" in case.metadata["description"].lower()
    assert set(case.flows["source"]) == {"synthetic"}
    assert set(case.exchanges["source"]) == {"synthetic"}


def test_country_is_a_parameter() -> None:
    case = synthetic.generate_case(20, seed=0, center_lat=55.66, center_lon=11.08, country="DK")
    assert case.metadata["country"] == "DK"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_sites": 0}, "n_sites"),
        ({"n_sites": 10, "radius_km": 0}, "radius_km"),
        ({"n_sites": 10, "n_parks": -1}, "n_parks"),
        ({"n_sites": 10, "flows_per_site": -1}, "flows_per_site"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        synthetic.generate_case(**kwargs)  # type: ignore[arg-type]


# -- content ----------------------------------------------------------------------------------


def test_every_nace_is_valid(case: Case) -> None:
    assert case.sites["nace"].map(nace.is_valid).all()
    assert case.sites["sector"].notna().all()


def test_sector_mix_is_varied(case: Case) -> None:
    assert case.sites["nace"].nunique() >= 12
    assert set(case.flows["direction"]) == {"supply", "demand"}
    assert case.flows["resource"].map(resources.is_ewc).any()
    assert (~case.flows["resource"].map(resources.is_ewc)).any()


def test_every_heat_and_steam_flow_has_a_temperature(case: Case) -> None:
    hot = case.flows["resource"].isin(["heat", "steam"])
    assert hot.any()
    assert case.flows.loc[hot, "temperature_c"].notna().all()
    assert case.flows.loc[~hot, "temperature_c"].isna().all()


def test_quantities_are_positive_and_converted(case: Case) -> None:
    assert (case.flows["quantity"] > 0).all()
    assert case.flows["quantity_canonical"].notna().all()


def test_exchanges_pair_a_supply_with_a_demand_nearby(case: Case) -> None:
    ex = case.exchanges
    assert (ex["from_site"] != ex["to_site"]).all()
    assert set(ex["status"]) == {"active"}
    assert ex["since"].between(1975, 2024).all()
    flows = case.flows
    for row in ex.itertuples():
        supply = flows[
            (flows["site_id"] == row.from_site)
            & (flows["direction"] == "supply")
            & (flows["resource"] == row.resource)
        ]
        demand = flows[
            (flows["site_id"] == row.to_site)
            & (flows["direction"] == "demand")
            & (flows["resource"] == row.resource)
        ]
        assert len(supply), row
        assert len(demand), row
        if row.resource in {"heat", "steam"}:
            assert supply["temperature_c"].max() >= demand["temperature_c"].min()
        piped = WORDS.family_of(row.resource) in {"heat", "water", "gas"}
        assert row.mode == ("pipeline" if piped else "road")
    points = case.sites.set_index("site_id").geometry
    start, end = points[ex["from_site"]], points[ex["to_site"]]
    dist = _geodesic_m(start.x.to_numpy(), start.y.to_numpy(), end.x.to_numpy(), end.y.to_numpy())
    assert (dist <= 10_000 * 1.01).all()


# -- geography --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km"), [(*CENTRE, RADIUS_KM), (55.66, 11.08, 5.0), (-33.9, 18.6, 40.0)]
)
def test_sites_lie_within_the_radius(lat: float, lon: float, radius_km: float) -> None:
    case = synthetic.generate_case(300, seed=2, center_lat=lat, center_lon=lon, radius_km=radius_km)
    sites = case.sites.geometry
    n = len(sites)
    dist = _geodesic_m(np.full(n, lon), np.full(n, lat), sites.x.to_numpy(), sites.y.to_numpy())
    assert dist.max() <= radius_km * 1000 + 50
    assert dist.max() > 0.5 * radius_km * 1000, "sites spread over the disc"
    assert case.parks.within(case.parks.union_all().convex_hull).all()


def test_most_sites_lie_in_their_park(case: Case) -> None:
    sites = case.sites
    in_park = sites["park_id"].notna()
    assert in_park.mean() == pytest.approx(0.8, abs=0.05)
    outline = case.parks.set_index("park_id").geometry
    polygons = outline[sites.loc[in_park, "park_id"]].to_numpy()
    assert shapely.contains(polygons, sites.loc[in_park].geometry.to_numpy()).all()
    assert set(sites["park_id"].dropna()) <= set(case.parks["park_id"])


def test_scattered_sites_lie_outside_every_park(case: Case) -> None:
    scattered = case.sites[case.sites["park_id"].isna()]
    assert not scattered.intersects(case.parks.union_all()).any()


def test_parks_are_polygons_that_do_not_overlap(case: Case) -> None:
    parks = case.parks
    assert (parks.geom_type == "Polygon").all()
    assert parks.is_valid.all()
    left, right = parks.sindex.query(parks.geometry, predicate="intersects")
    assert (left == right).all()


def test_no_parks_means_every_site_is_scattered() -> None:
    case = synthetic.generate_case(50, seed=3, n_parks=0)
    assert len(case.parks) == 0
    assert case.sites["park_id"].isna().all()


def test_many_parks_in_a_small_disc_still_fit() -> None:
    case = synthetic.generate_case(300, seed=4, n_parks=120, radius_km=2.0)
    parks = case.parks
    assert len(parks) == 120
    left, right = parks.sindex.query(parks.geometry, predicate="intersects")
    assert (left == right).all()
    corners = parks.get_coordinates()
    n = len(corners)
    dist = _geodesic_m(
        np.full(n, CENTRE[1]),
        np.full(n, CENTRE[0]),
        corners["x"].to_numpy(),
        corners["y"].to_numpy(),
    )
    assert dist.max() <= 2_000 + 50


# -- files ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gpkg(case: Case, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return io.write_case(case, tmp_path_factory.mktemp("synthetic") / "synthetic.gpkg")


def test_gpkg_round_trip_gives_equal_tables(case: Case, gpkg: Path) -> None:
    result = io.load_case(gpkg)
    assert result.case is not None, result.report.format()
    assert len(result.report) == 0, result.report.format()
    _assert_cases_equal(case, result.case)


def test_written_case_passes_the_cli(gpkg: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "flows", "validate", str(gpkg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 errors, 0 warnings" in run.stdout
    assert f"{N_SITES} sites" in run.stdout


def test_generation_leaves_no_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    reports = []
    load_frames = io.load_frames

    def spy(*args: object, **kwargs: object) -> io.LoadResult:
        result = load_frames(*args, **kwargs)  # type: ignore[arg-type]
        reports.append(result.report)
        return result

    monkeypatch.setattr(io, "load_frames", spy)
    synthetic.generate_case(200, seed=11)
    assert len(reports) == 1
    assert len(reports[0]) == 0, reports[0].format()
