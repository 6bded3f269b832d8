"""Radius searches on Earth-centred coordinates against brute force."""

from __future__ import annotations

import numpy as np

from geo import distance, proximity


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
