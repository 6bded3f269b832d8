"""Geodesic distances, candidate pairs and the labelled OD table."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely import Point

from flows.model import Case
from geo import distance, modes


def test_geodesic_matches_pyproj_pair_by_pair_worldwide() -> None:
    rng = np.random.default_rng(42)
    n = 500
    lon1, lon2 = rng.uniform(-180, 180, n), rng.uniform(-180, 180, n)
    lat1, lat2 = rng.uniform(-90, 90, n), rng.uniform(-90, 90, n)
    # near the poles and across the antimeridian
    lat1[:50], lat2[:50] = rng.uniform(85, 90, 50), rng.uniform(85, 90, 50)
    lon1[50:100], lon2[50:100] = rng.uniform(179, 180, 50), rng.uniform(-180, -179, 50)
    lat1[50:100] = lat2[50:100] = rng.uniform(-60, 60, 50)
    got = distance.geodesic_m(lon1, lat1, lon2, lat2)
    geod = Geod(ellps="WGS84")
    want = [geod.inv(a, b, c, d)[2] for a, b, c, d in zip(lon1, lat1, lon2, lat2, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (got[50:100] < 2 * 111_320).all()  # across the antimeridian, not around the world


def test_one_degree_of_equator_and_ellipsoid_not_sphere() -> None:
    # WGS84 equatorial radius 6378137 m: one degree of longitude on the equator is 111319.49 m
    assert distance.geodesic_m(0, 0, 1, 0) == pytest.approx(111_319.49, abs=0.01)
    # pole to pole along a meridian: 20,003,931 m on the ellipsoid (a sphere gives 20,015,087)
    assert distance.geodesic_m(0, -90, 0, 90) == pytest.approx(20_003_931.46, abs=1)


def test_matrix_shape_and_symmetry() -> None:
    lon, lat = np.array([4.4, 4.5, 11.08]), np.array([51.2, 51.3, 55.66])
    matrix = distance.geodesic_matrix_m(lon, lat, lon, lat)
    assert matrix.shape == (3, 3)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-12)
    assert np.diag(matrix).max() == 0


def test_planar_distance_is_close_to_geodesic_at_cluster_scale() -> None:
    a = gpd.GeoSeries([Point(11.0848, 55.6615)], crs=4326)
    b = gpd.GeoSeries([Point(11.097, 55.654), Point(11.20, 55.70)], crs=4326)
    planar = distance.planar_matrix_m(a, b)
    geodesic = distance.geodesic_matrix_m([11.0848], [55.6615], [11.097, 11.20], [55.654, 55.70])
    np.testing.assert_allclose(planar, geodesic, rtol=1e-3)


def test_candidate_pairs_equal_brute_force() -> None:
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(4.0, 4.8, 400), rng.uniform(51.0, 51.4, 400)
    i, j, metres = distance.candidate_pairs(lon, lat, max_distance_m=5_000)
    full = distance.geodesic_matrix_m(lon, lat, lon, lat)
    bi, bj = np.nonzero((full <= 5_000) & ~np.eye(400, dtype=bool))
    # Pairs are measured from their chords (geo.geodesy.pair_geodesic_m), within 2e-9.
    np.testing.assert_allclose(metres, full[i, j], rtol=2e-9)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
        zip(bi.tolist(), bj.tolist(), strict=True)
    )


def test_od_table_without_network_is_estimated_and_labelled(mini_case: Case) -> None:
    od = distance.od_table(mini_case.sites, mode="road")
    assert len(od) == 4 * 3
    assert set(od["distance_kind"]) == {"estimated"}
    road = modes.factors()["road"]
    np.testing.assert_allclose(od["distance_m"], od["geodesic_m"] * road.circuity)
    np.testing.assert_allclose(od["duration_s"], od["distance_m"] / (road.fallback_speed_kph / 3.6))
    assert set(od["factor_version"]) == {road.version}


def test_od_table_modes_and_overrides(mini_case: Case) -> None:
    rail = distance.od_table(mini_case.sites, mode="rail", circuity={"rail": 1.5})
    np.testing.assert_allclose(rail["distance_m"], rail["geodesic_m"] * 1.5)
    assert rail["duration_s"].isna().all()
    plain = distance.od_table(mini_case.sites, mode="sea", estimate=False)
    assert set(plain["distance_kind"]) == {"geodesic"}
    np.testing.assert_allclose(plain["distance_m"], plain["geodesic_m"])
    with pytest.raises(ValueError, match="unknown mode"):
        distance.od_table(mini_case.sites, mode="teleport")
    with pytest.raises(ValueError, match="at least 1"):
        modes.factors({"road": 0.9})


def test_od_table_bound_drops_far_pairs(mini_case: Case) -> None:
    od = distance.od_table(mini_case.sites, max_distance_m=1_500)
    assert (od["distance_m"] <= 1_500).all()
    full = distance.od_table(mini_case.sites)
    assert len(od) == int((full["distance_m"] <= 1_500).sum())


def test_every_mode_has_a_sourced_factor() -> None:
    table = modes.factors()
    assert set(table) == set(modes.MODES)
    for factor in table.values():
        assert factor.circuity >= 1
        assert len(factor.source) > 40
        assert factor.version
