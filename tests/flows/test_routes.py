"""Freight by truck-legal roads and pipe trenches along the streets, through the one analysis.

tests/data/osm/truck_ladder.osm is a ladder of streets on the equator, segments of 0.001 degree
(111.195 m): between nodes 2 and 3 the bottom street is tagged ``hgv=no``, so a 40 t lorry
goes round by 2-1-6-7-8-3 (five segments, the top street being ``hgv=destination``, open for
deliveries), while a pipe trench may follow any street (one segment).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import io, pipeline
from flows.model import Case
from geo import network
from geo.routing import RoadNetwork
from geo.vehicles import DEFAULT_PROFILE

SEGMENT_M = 111.195  # 0.001 degree of longitude on the equator (WGS84), rounded to a millimetre

SITES = """site_id,name,nace,lat,lon,kind
power,Power station,35.11,0.0,0.001,power-plant
board,Plasterboard factory,23.62,0.0,0.002,company
"""
FLOWS = """site_id,direction,resource,quantity,unit,temperature_c
power,supply,10 01 05,50000,t/yr,
board,demand,10 01 05,50000,t/yr,
power,supply,heat,20000,MWh/yr,95
board,demand,heat,20000,MWh/yr,70
"""


@pytest.fixture(scope="module")
def graph(data_dir: Path) -> object:
    return network.graph_from_osm_file(data_dir / "osm" / "truck_ladder.osm", simplify=False)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    folder = tmp_path_factory.mktemp("ladder")
    (folder / "sites.csv").write_text(SITES)
    (folder / "flows.csv").write_text(FLOWS)
    (folder / "metadata.csv").write_text("key,value\ncountry,DK\n")
    result = io.load_case(folder)
    assert result.case is not None, result.report.format()
    return result.case


def test_freight_goes_round_the_hgv_no_street_and_pipes_follow_any_street(
    case: Case, graph: object
) -> None:
    lorry = RoadNetwork.from_graph(graph, vehicle=DEFAULT_PROFILE)  # type: ignore[arg-type]
    found = pipeline.analyse(case, network=lorry).candidates.set_index("candidate_id")
    gypsum = found.loc["power>board:10 01 05"]
    heat = found.loc["power>board:heat"]
    assert gypsum["mode"] == "road"
    assert gypsum["distance_kind"] == "road"
    assert gypsum["distance_m"] == pytest.approx(5 * SEGMENT_M, abs=0.5)
    assert str(gypsum["route_note"]).startswith("truck-legal route")
    assert heat["mode"] == "pipeline"
    assert heat["distance_kind"] == "road"  # the trench follows the street
    assert heat["distance_m"] == pytest.approx(SEGMENT_M, abs=0.5)
    # unrestricted, the lorry would take the forbidden street
    free = RoadNetwork.from_graph(graph)  # type: ignore[arg-type]
    direct = pipeline.analyse(case, network=free).candidates.set_index("candidate_id")
    assert direct.loc["power>board:10 01 05", "distance_m"] == pytest.approx(SEGMENT_M, abs=0.5)
    # the longer legal route costs the freight of four more segments
    extra_tkm = 50_000 * 4 * SEGMENT_M / 1000
    assert gypsum["tonne_km"] - direct.loc["power>board:10 01 05", "tonne_km"] == pytest.approx(
        extra_tkm, rel=1e-3
    )
