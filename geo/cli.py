"""Command line: ``python -m geo network``, ``parks`` and ``distances``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datasets.settings import DEFAULT_MAX_ACCESS_M
from geo import modes
from geo._errors import NetworkAreaError, NetworkFileError, NetworkUnavailableError, RoutingError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

# The commands import osmnx, networkx and geopandas themselves, so `--help` starts at once.

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_UNREACHABLE = 2

_PARKS_SUFFIXES = {".gpkg": "GPKG", ".geojson": "GeoJSON"}


def _add_area_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--place", metavar="NAME", help="a place name OpenStreetMap knows")
    where.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        metavar=("W", "S", "E", "N"),
        help="longitude/latitude box in degrees: west south east north",
    )
    where.add_argument("--case", metavar="PATH", help="a SymbioMap case: the area around its sites")
    where.add_argument(
        "--osm-file",
        metavar="FILE",
        help="a local OpenStreetMap extract (.osm, .osm.bz2, .osm.pbf); needs no internet",
    )
    parser.add_argument(
        "--margin-m",
        type=float,
        default=2000.0,
        help="with --case: metres of area beyond the outermost sites (default 2000)",
    )
    parser.add_argument(
        "--cache-dir",
        help="download cache (default $SYMBIOMAP_CACHE_DIR or ~/.cache/symbiomap)",
    )


def _read_case_bbox(path: str, margin_m: float) -> tuple[float, float, float, float]:
    from flows import io  # noqa: PLC0415 - flows is only needed for --case
    from geo import osm  # noqa: PLC0415

    return osm.case_bbox(io.read_case(path), margin_m=margin_m)


def _network(args: argparse.Namespace) -> nx.MultiDiGraph:
    from geo import network  # noqa: PLC0415

    if args.osm_file:
        return network.graph_from_osm_file(args.osm_file)
    if args.place:
        return network.graph_from_place(args.place, cache_dir=args.cache_dir)
    bbox = args.bbox if args.bbox else _read_case_bbox(args.case, args.margin_m)
    return network.graph_from_bbox(*bbox, cache_dir=args.cache_dir)


def _parks(args: argparse.Namespace) -> gpd.GeoDataFrame:
    from geo import osm  # noqa: PLC0415

    if args.osm_file:
        return osm.industrial_areas_from_osm_file(args.osm_file)
    if args.place:
        return osm.industrial_areas_from_place(args.place, cache_dir=args.cache_dir)
    bbox = args.bbox if args.bbox else _read_case_bbox(args.case, args.margin_m)
    return osm.industrial_areas_from_bbox(*bbox, cache_dir=args.cache_dir)


def _run_network(args: argparse.Namespace) -> int:
    from geo import network  # noqa: PLC0415

    out = Path(args.out)
    if out.suffix.lower() not in {".graphml", ".gpkg"}:
        print(f"error: {out.name}: --out must end in .graphml or .gpkg", file=sys.stderr)
        return EXIT_BAD_INPUT
    graph = _network(args)
    written = network.save_network(graph, out)
    print(f"{network.summarize(graph).format()}; wrote {written}")
    return EXIT_OK


def _run_parks(args: argparse.Namespace) -> int:
    from geo import osm  # noqa: PLC0415

    out = Path(args.out)
    driver = _PARKS_SUFFIXES.get(out.suffix.lower())
    if driver is None:
        print(f"error: {out.name}: --out must end in .gpkg or .geojson", file=sys.stderr)
        return EXIT_BAD_INPUT
    areas = _parks(args)
    if len(areas) == 0:
        print("warning: OpenStreetMap has no industrial or port area there", file=sys.stderr)
    with osm.atomic_path(out) as tmp:
        areas.to_file(tmp, driver=driver, **({"layer": "parks"} if driver == "GPKG" else {}))
    kinds = areas["kind"].value_counts()
    detail = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    print(f"{len(areas)} industrial areas ({detail or 'none'}); wrote {out}")
    return EXIT_OK


def _run_distances(args: argparse.Namespace) -> int:
    from flows import io  # noqa: PLC0415 - flows is only needed to read the case
    from geo import distance, network, osm  # noqa: PLC0415
    from geo.routing import RoadNetwork  # noqa: PLC0415

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        print(f"error: {out.name}: --out must end in .csv", file=sys.stderr)
        return EXIT_BAD_INPUT
    case = io.read_case(args.case)
    road = RoadNetwork.from_graph(network.open_network(args.network)) if args.network else None
    table = distance.od_table(
        case.sites,
        network=road,
        mode=args.mode,
        max_distance_m=None if args.max_km is None else args.max_km * 1000.0,
        max_access_m=args.max_access_m,
        estimate=not args.geodesic,
        pipeline_on_roads=args.pipeline_on_roads,
        workers=args.workers,
    )
    columns = ["from_site", "to_site", "distance_m", "duration_s", "distance_kind", "mode"]
    with osm.atomic_path(out) as tmp:
        table[[*columns, *[c for c in table.columns if c not in columns]]].to_csv(
            tmp, index=False, float_format="%.3f"
        )
    kinds = table["distance_kind"].value_counts()
    detail = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    print(f"{len(table)} site pairs by {args.mode} ({detail or 'none'}); wrote {out}")
    if road is None and args.mode == "road":
        print("note: no --network given, road distances are estimated from geodesic distances")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m geo`` (one subparser per command)."""
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="Road networks and industrial areas from OpenStreetMap.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    net = sub.add_parser(
        "network",
        help="build the drivable road network (exit 1: bad input, 2: OSM unreachable)",
    )
    _add_area_options(net)
    net.add_argument("--out", required=True, help="target .graphml (osmnx) or .gpkg (QGIS)")
    net.set_defaults(func=_run_network)
    parks = sub.add_parser(
        "parks",
        help="industrial and port areas as a parks layer (exit 1: bad input, 2: unreachable)",
    )
    _add_area_options(parks)
    parks.add_argument("--out", required=True, help="target .gpkg or .geojson")
    parks.set_defaults(func=_run_parks)
    dist = sub.add_parser(
        "distances",
        help="distance (m) and duration (s) of every site pair, each saying how it was measured",
    )
    dist.add_argument("case", help="a SymbioMap case (.gpkg, .xlsx, .zip or folder)")
    dist.add_argument(
        "--network",
        metavar="FILE",
        help="road network: a saved .graphml/.gpkg, or an OSM extract (.osm, .osm.bz2, .pbf)",
    )
    dist.add_argument("--mode", choices=modes.MODES, default="road", help="transport mode")
    dist.add_argument("--max-km", type=float, help="only pairs within this distance")
    dist.add_argument(
        "--max-access-m",
        type=float,
        default=DEFAULT_MAX_ACCESS_M,
        help="sites farther than this from a road are off-network and estimated",
    )
    dist.add_argument(
        "--geodesic",
        action="store_true",
        help="unmeasured pairs get the plain geodesic distance instead of geodesic x circuity",
    )
    dist.add_argument(
        "--pipeline-on-roads",
        action="store_true",
        help="with --mode pipeline and --network: trench length along the roads",
    )
    dist.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for the road searches (default: one per CPU)",
    )
    dist.add_argument("--out", required=True, help="target .csv")
    dist.set_defaults(func=_run_distances)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (0 ok, 1 bad input, 2 unreachable)."""
    from flows._errors import CaseReadError, CaseValidationError  # noqa: PLC0415

    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except NetworkUnavailableError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except (
        NetworkFileError,
        NetworkAreaError,
        RoutingError,
        CaseReadError,
        CaseValidationError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code
