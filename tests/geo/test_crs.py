"""The metric CRS helper."""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely import Point

from geo import crs
from geo._errors import CRSError


def test_metric_crs_is_the_local_utm_zone() -> None:
    frame = gpd.GeoSeries([Point(11.08, 55.66), Point(11.10, 55.65)], crs=4326)
    assert crs.metric_crs(frame).to_epsg() == 32632


def test_planar_length_matches_geodesic_within_utm_distortion() -> None:
    a, b = (11.0848, 55.6615), (11.097, 55.654)
    frame = gpd.GeoSeries([Point(*a), Point(*b)], crs=4326)
    metric = crs.to_metric(frame)
    planar_m = metric.iloc[0].distance(metric.iloc[1])
    _, _, geodesic_m = Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])
    assert planar_m == pytest.approx(geodesic_m, rel=1e-3)


def test_frames_without_crs_are_refused() -> None:
    frame = gpd.GeoSeries([Point(0, 0)])
    with pytest.raises(CRSError, match="no CRS"):
        crs.metric_crs(frame)
    with pytest.raises(CRSError, match="no CRS"):
        crs.to_storage(frame)


def test_geographic_target_is_refused() -> None:
    frame = gpd.GeoSeries([Point(0, 0)], crs=4326)
    with pytest.raises(CRSError, match="not a projected CRS"):
        crs.to_metric(frame, crs=crs.STORAGE_CRS)


def test_empty_frame_has_no_metric_crs() -> None:
    with pytest.raises(CRSError, match="without geometry"):
        crs.metric_crs(gpd.GeoSeries([], crs=4326))
