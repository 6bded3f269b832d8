"""Radius searches on Earth-centred coordinates against brute force."""

from __future__ import annotations

import numpy as np

from geo import distance, geodesy, proximity


def brute(lon_a, lat_a, lon_b, lat_b, radius):  # type: ignore[no-untyped-def]
    full = distance.geodesic_matrix_m(lon_a, lat_a, lon_b, lat_b)
    return set(zip(*np.nonzero(full <= np.asarray(radius)[:, None]), strict=True))


def test_pairs_within_equals_brute_force_with_per_point_radius() -> None:
    rng = np.random.default_rng(5)
    lon_a, lat_a = rng.uniform(3, 6, 600), rng.uniform(50, 52, 600)
    lon_b, lat_b = rng.uniform(3, 6, 900), rng.uniform(50, 52, 900)
    radius = rng.choice([2_000.0, 10_000.0, 30_000.0], 600)
    i, j, metres = proximity.pairs_within(lon_a, lat_a, lon_b, lat_b, radius)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == {
        (int(a), int(b)) for a, b in brute(lon_a, lat_a, lon_b, lat_b, radius)
    }
    np.testing.assert_allclose(metres, distance.geodesic_m(lon_a[i], lat_a[i], lon_b[j], lat_b[j]))


def test_pairs_across_the_antimeridian_and_at_continental_extent() -> None:
    lon_a, lat_a = np.array([179.99, 10.0]), np.array([0.0, 60.0])
    lon_b, lat_b = np.array([-179.99, -5.0, 10.0]), np.array([0.0, 40.0, 61.0])
    i, j, metres = proximity.pairs_within(lon_a, lat_a, lon_b, lat_b, 150_000.0)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 0), (1, 2)]
    assert metres[0] < 3_000
    far = proximity.pairs_within(lon_a, lat_a, lon_b, lat_b, 3_000_000.0)
    assert (1, 1) in set(zip(far[0].tolist(), far[1].tolist(), strict=True))


def test_empty_inputs() -> None:
    i, j, metres = proximity.pairs_within([], [], [1.0], [1.0], 10.0)
    assert len(i) == len(j) == len(metres) == 0


def test_nearest_within_equals_brute_force_k_nearest() -> None:
    rng = np.random.default_rng(9)
    lon_a, lat_a = rng.uniform(3, 6, 300), rng.uniform(50, 52, 300)
    lon_b, lat_b = rng.uniform(3, 6, 500), rng.uniform(50, 52, 500)
    i, j, metres = proximity.nearest_within(lon_a, lat_a, lon_b, lat_b, 20_000.0, k=3)
    full = distance.geodesic_matrix_m(lon_a, lat_a, lon_b, lat_b)
    want = set()
    for a in range(300):
        order = np.argsort(full[a])[:3]
        want |= {(a, int(b)) for b in order if full[a, b] <= 20_000}
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    assert got == want
    assert np.bincount(i, minlength=300).max() <= 3
    np.testing.assert_allclose(metres, full[i, j])


def test_chord_geodesic_within_2e9_of_pyproj_at_any_latitude_and_azimuth() -> None:
    rng = np.random.default_rng(11)
    n = 50_000
    lon1, lat1 = rng.uniform(-180, 180, n), rng.uniform(-89.9, 89.9, n)
    length = np.concatenate([rng.uniform(0, 100_000, n - 3), [0.0, 1e-3, 250_000.0]])
    lon2, lat2, _ = geodesy.WGS84.fwd(lon1, lat1, rng.uniform(0, 360, n), length)
    a, b = geodesy.EarthPoints(lon1, lat1), geodesy.EarthPoints(lon2, lat2)
    got = geodesy.pair_geodesic_m(a, b, np.arange(n), np.arange(n))
    want = geodesy.geodesic_m(lon1, lat1, lon2, lat2)
    # Relative where the pair is long enough for it to mean anything; sub-micrometre otherwise.
    np.testing.assert_allclose(got, want, rtol=2e-9, atol=1e-6)
    assert got[-3] == 0.0


def test_pairs_come_sorted_by_origin_then_destination() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(4, 5, 400), rng.uniform(51, 51.5, 400)
    i, j, _ = proximity.pairs_within(lon, lat, lon, lat, 8_000.0)
    key = i * 400 + j
    assert len(key) > 1_000
    assert np.all(np.diff(key) > 0)


def test_compact_case_measured_pair_by_pair_gives_the_same_pairs_in_order() -> None:
    # Most pairs within reach: pairs_within measures all of them instead of listing the tree's.
    rng = np.random.default_rng(12)
    lon_a, lat_a = rng.uniform(4.0, 4.3, 300), rng.uniform(51.0, 51.2, 300)
    lon_b, lat_b = rng.uniform(4.0, 4.3, 200), rng.uniform(51.0, 51.2, 200)
    radius = np.full(300, 20_000.0)
    i, j, metres = proximity.pairs_within(lon_a, lat_a, lon_b, lat_b, radius)
    want = brute(lon_a, lat_a, lon_b, lat_b, radius)
    assert 0.5 * 300 * 200 < len(want) < 300 * 200
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == {(int(a), int(b)) for a, b in want}
    assert np.all(np.diff(i * 200 + j) > 0)
    np.testing.assert_allclose(metres, distance.geodesic_m(lon_a[i], lat_a[i], lon_b[j], lat_b[j]))
