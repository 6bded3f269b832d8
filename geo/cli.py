"""Command line: ``python -m geo network``, ``parks`` and ``distances``.

Case-agnostic: sites come as a file of points (any vector file GDAL reads, or a CSV with
lon/lat columns). Reading a SymbioMap case is the job of ``python -m flows network|parks``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datasets.settings import DEFAULT_DOWNLOAD_MARGIN_M, DEFAULT_MAX_ACCESS_M
from geo import modes
from geo._errors import (
    CRSError,
    NetworkAreaError,
    NetworkFileError,
    NetworkUnavailableError,
    PointsFileError,
    RoutingError,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from geo.vehicles import VehicleProfile

# The commands import osmnx, networkx and geopandas themselves, so `--help` starts at once.

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_UNREACHABLE = 2

_PARKS_SUFFIXES = (".gpkg", ".geojson")
_LON_NAMES = ("lon", "lng", "long", "longitude", "x")
_LAT_NAMES = ("lat", "latitude", "y")


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
    where.add_argument(
        "--points",
        metavar="FILE",
        help="sites: any vector file GDAL reads (.gpkg, .geojson, .shp, ...) or a CSV with "
        "lon/lat columns; the area around them",
    )
    where.add_argument(
        "--osm-file",
        metavar="FILE",
        help="a local OpenStreetMap extract (.osm, .osm.bz2, .osm.pbf); needs no internet",
    )
    _add_points_options(parser)
    parser.add_argument(
        "--margin-m",
        type=float,
        default=DEFAULT_DOWNLOAD_MARGIN_M,
        help=f"with --points: metres of area beyond the outermost sites "
        f"(default {DEFAULT_DOWNLOAD_MARGIN_M:g})",
    )
    parser.add_argument(
        "--cache-dir",
        help="download cache (default $SYMBIOMAP_CACHE_DIR or ~/.cache/symbiomap)",
    )


def _add_points_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--layer", metavar="NAME", help="the layer of the points file, if it has several"
    )


def _lonlat_columns(columns: Sequence[object]) -> tuple[object, object] | None:
    """The longitude and latitude columns among ``columns`` (names as in :data:`_LON_NAMES`)."""
    by_name = {str(c).strip().lower(): c for c in columns}
    lon = next((by_name[n] for n in _LON_NAMES if n in by_name), None)
    lat = next((by_name[n] for n in _LAT_NAMES if n in by_name), None)
    return None if lon is None or lat is None else (lon, lat)


def _folder_csv(folder: Path, layer: str | None) -> Path:
    """The CSV file of a folder that holds the points: ``<layer>.csv``, else the only one with
    longitude/latitude columns (a folder of CSV files is a multi-layer source, as in GDAL)."""
    import pandas as pd  # noqa: PLC0415

    if layer is not None:
        chosen = folder / f"{layer}.csv"
        if not chosen.is_file():
            msg = f"{folder.name} has no {chosen.name}"
            raise PointsFileError(msg)
        return chosen
    csvs = sorted(folder.glob("*.csv"))
    located = []
    for csv in csvs:
        try:
            header = pd.read_csv(csv, nrows=0).columns
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue  # not the points: the file is named when chosen with --layer
        if _lonlat_columns(list(header)) is not None:
            located.append(csv)
    if len(located) != 1:
        found = ", ".join(c.stem for c in (located or csvs)) or "none"
        what = "several CSV files with lon/lat" if located else "no CSV file with lon/lat columns"
        msg = f"{folder.name} has {what} (files: {found}): choose one with --layer"
        raise PointsFileError(msg)
    return located[0]


def _csv_points(file: Path) -> gpd.GeoDataFrame:
    """Points of a CSV file with longitude/latitude columns (degrees, EPSG:4326)."""
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    try:
        table = pd.read_csv(file)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        msg = f"{file.name} could not be read as CSV: {err}"
        raise PointsFileError(msg) from err
    columns = _lonlat_columns(list(table.columns))
    if columns is None:
        msg = (
            f"{file.name} has no longitude/latitude columns (looked for {'/'.join(_LON_NAMES)} "
            f"and {'/'.join(_LAT_NAMES)}; found {', '.join(map(str, table.columns))})"
        )
        raise PointsFileError(msg)
    lon, lat = columns
    x = pd.to_numeric(table[lon], errors="coerce")
    y = pd.to_numeric(table[lat], errors="coerce")
    bad = ~(x.between(-180, 180) & y.between(-90, 90))
    if bad.any():
        rows = ", ".join(str(i + 2) for i in table.index[bad][:10])  # +2: header, 1-based
        msg = (
            f"{file.name}: rows {rows} have no longitude/latitude in degrees "
            f"(columns {lon!r}, {lat!r}; blank, not a number or out of range)"
        )
        raise PointsFileError(msg)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


def _vector_points(file: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Features of one layer of a vector file, which must have a geometry and a CRS."""
    import geopandas as gpd  # noqa: PLC0415
    import pyogrio  # noqa: PLC0415

    try:
        if layer is None:
            layers = [str(name) for name, _ in pyogrio.list_layers(file)]
            if len(layers) > 1:
                names = ", ".join(layers)
                msg = f"{file.name} has several layers ({names}): choose one with --layer"
                raise PointsFileError(msg)
        frame = gpd.read_file(file, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        detail = str(err).replace(str(file), file.name)
        msg = f"{file.name} could not be read as a vector file: {detail}"
        raise PointsFileError(msg) from err
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        msg = f"{file.name} has no geometry (a CSV needs lon/lat columns)"
        raise PointsFileError(msg)
    if frame.crs is None:
        msg = f"{file.name} has no CRS: SymbioMap does not guess it; set one (e.g. EPSG:4326)"
        raise PointsFileError(msg)
    return frame


def _read_points(path: str, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """The sites of a points file: a CSV with lon/lat columns, a folder of such CSV files
    (``layer`` names one), or any vector file GDAL reads.

    Raises
    ------
    PointsFileError
        If the file is missing, unreadable, or has no geometry or no CRS.
    """
    file = Path(path)
    if not file.exists():
        msg = f"{file.name}: no such file ({file})"
        raise PointsFileError(msg)
    if file.is_dir():
        return _csv_points(_folder_csv(file, layer))
    if file.suffix.lower() == ".csv":
        return _csv_points(file)
    return _vector_points(file, layer)


def _network(args: argparse.Namespace) -> nx.MultiDiGraph:
    from geo import network  # noqa: PLC0415

    if args.osm_file:
        return network.graph_from_osm_file(args.osm_file)
    if args.place:
        return network.graph_from_place(args.place, cache_dir=args.cache_dir)
    if args.points:
        points = _read_points(args.points, layer=args.layer)
        return network.graph_around(points, margin_m=args.margin_m, cache_dir=args.cache_dir)
    return network.graph_from_bbox(*args.bbox, cache_dir=args.cache_dir)


def _parks(args: argparse.Namespace) -> gpd.GeoDataFrame:
    from geo import osm  # noqa: PLC0415

    if args.osm_file:
        return osm.industrial_areas_from_osm_file(args.osm_file)
    if args.place:
        return osm.industrial_areas_from_place(args.place, cache_dir=args.cache_dir)
    if args.points:
        points = _read_points(args.points, layer=args.layer)
        return osm.industrial_areas_around(points, margin_m=args.margin_m, cache_dir=args.cache_dir)
    return osm.industrial_areas_from_bbox(*args.bbox, cache_dir=args.cache_dir)


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
    if out.suffix.lower() not in _PARKS_SUFFIXES:
        print(f"error: {out.name}: --out must end in .gpkg or .geojson", file=sys.stderr)
        return EXIT_BAD_INPUT
    areas = _parks(args)
    if len(areas) == 0:
        print("warning: OpenStreetMap has no industrial or port area there", file=sys.stderr)
    osm.save_areas(areas, out)
    kinds = areas["kind"].value_counts()
    detail = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    print(f"{len(areas)} industrial areas ({detail or 'none'}); wrote {out}")
    return EXIT_OK


def _run_distances(args: argparse.Namespace) -> int:
    from geo import distance, network, osm  # noqa: PLC0415
    from geo.routing import RoadNetwork  # noqa: PLC0415

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        print(f"error: {out.name}: --out must end in .csv", file=sys.stderr)
        return EXIT_BAD_INPUT
    sites = _read_points(args.points, layer=args.layer)
    if args.id_column not in sites.columns:
        msg = (
            f"{Path(args.points).name} has no {args.id_column!r} column to name the sites "
            f"(columns: {', '.join(map(str, sites.columns.drop(sites.geometry.name)))}); "
            "choose one with --id-column"
        )
        raise PointsFileError(msg)
    road = RoadNetwork.from_graph(network.open_network(args.network)) if args.network else None
    vehicle = vehicle_from_args(args)
    if road is not None and vehicle is not None and args.mode == "road":
        closed = road.closed_edges(vehicle)
        road = road.restricted_to(vehicle)
        tags = closed["reason"].str.split(r"[ =]", n=1).str[0]
        reasons = tags.value_counts().sort_index().sort_values(ascending=False, kind="stable")
        detail = ", ".join(f"{n} {tag}" for tag, n in reasons.items())
        print(
            f"truck restrictions ({vehicle.describe()}): {len(closed):,} directed road edges "
            f"closed ({detail or 'none'})"
        )
    table = distance.od_table(
        sites,
        network=road,
        mode=args.mode,
        max_distance_m=None if args.max_km is None else args.max_km * 1000.0,
        max_access_m=args.max_access_m,
        estimate=not args.geodesic,
        pipeline_on_roads=args.pipeline_on_roads,
        id_column=args.id_column,
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
    no_legal = int((table["route_note"] == distance.NOTE_NO_TRUCK_ROUTE).sum())
    if no_legal:
        print(
            f"note: {no_legal} pairs have no truck-legal route and are estimated "
            f"(route_note '{distance.NOTE_NO_TRUCK_ROUTE}')"
        )
    return EXIT_OK


def vehicle_from_args(args: argparse.Namespace) -> VehicleProfile | None:
    """The lorry of ``distances``' options, or None with ``--no-truck-restrictions``."""
    from geo.vehicles import DEFAULT_PROFILE, VehicleProfile  # noqa: PLC0415

    if args.no_truck_restrictions:
        return None
    given = {
        "gross_weight_t": args.vehicle_weight_t,
        "height_m": args.vehicle_height_m,
        "length_m": args.vehicle_length_m,
        "width_m": args.vehicle_width_m,
        "axle_load_t": args.vehicle_axle_load_t,
    }
    chosen = {key: value for key, value in given.items() if value is not None}
    if not chosen and not args.no_access_only_ways:
        return DEFAULT_PROFILE
    return VehicleProfile(
        **{key: getattr(DEFAULT_PROFILE, key) for key in given} | chosen,
        destination_allowed=not args.no_access_only_ways,
        name="lorry given on the command line",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value != float("inf")):
        msg = f"must be a positive number (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_vehicle_options(parser: argparse.ArgumentParser) -> None:
    lorry = parser.add_argument_group(
        "lorry (road mode with --network)",
        "road routes use only ways the lorry may legally use (hgv, access, maxweight, "
        "maxheight, maxlength, maxwidth); default a 40 t articulated lorry, 4.0 m high, "
        "16.5 m long, 2.55 m wide (EU Directive 96/53/EC, Annex I); a pair no legal way "
        "reaches is estimated with route_note 'no truck-legal route'",
    )
    lorry.add_argument(
        "--no-truck-restrictions",
        action="store_true",
        help="route over every drivable road, as a car would",
    )
    for flag, what in (
        ("--vehicle-weight-t", "gross weight, tonnes (default 40)"),
        ("--vehicle-height-m", "height, metres (default 4.0)"),
        ("--vehicle-length-m", "length, metres (default 16.5)"),
        ("--vehicle-width-m", "width, metres (default 2.55)"),
        ("--vehicle-axle-load-t", "heaviest axle, tonnes (default 11.5)"),
    ):
        lorry.add_argument(flag, type=_positive_float, metavar="X", help=what)
    lorry.add_argument(
        "--no-access-only-ways",
        action="store_true",
        help="also avoid ways open to lorries for access only (hgv=destination, delivery)",
    )


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
    dist.add_argument(
        "points",
        help="sites: any vector file GDAL reads, or a CSV with lon/lat columns",
    )
    _add_points_options(dist)
    dist.add_argument(
        "--id-column", default="site_id", help="the column naming the sites (default site_id)"
    )
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
    add_vehicle_options(dist)
    dist.add_argument("--out", required=True, help="target .csv")
    dist.set_defaults(func=_run_distances)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (0 ok, 1 bad input, 2 unreachable)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except NetworkUnavailableError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except (
        NetworkFileError,
        NetworkAreaError,
        PointsFileError,
        CRSError,
        RoutingError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code
