"""Road networks for lorries: osmnx graphs from OSM files or OpenStreetMap, with speeds."""

from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pyogrio

from geo import osm
from geo._errors import NetworkFileError
from geo.vehicles import RESTRICTION_TAGS

NETWORK_TYPE = "drive"
"""osmnx network type of every graph SymbioMap builds (public roads open to cars)."""

TRUCK_SPEEDS_KPH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "road": 30.0,
    "busway": 30.0,
}
"""Typical lorry speeds by ``highway`` class, used where an edge has no ``maxspeed``."""

FALLBACK_SPEED_KPH = 30.0
"""Speed of edges whose ``highway`` class is neither tagged with speeds nor listed above."""

TRUCK_MAX_SPEED_KPH = 80.0
"""Lorries (> 3.5 t) are limited to 80 km/h in most of Europe: no edge is faster."""

SPLIT_ON_CHANGE = tuple(dict.fromkeys(("highway", "maxspeed", "maxspeed:hgv", *RESTRICTION_TAGS)))
"""Simplification never merges two edges across a change of these tags (a weight limit stays
on its own edge instead of spreading to the street it joins, or vanishing into it)."""

_UNUSED_NODE_ATTRS = ("geometry", "visible", "version", "timestamp", "changeset", "tags")
_UNUSED_EDGE_ATTRS = (
    "tags", "visible", "version", "timestamp", "changeset", "osm_type", "u", "v", "oneway_tag",
)  # fmt: skip
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_KPH_PER_MPH = 1.609344


@dataclass(frozen=True)
class NetworkSummary:
    """Size of a road network.

    Attributes
    ----------
    n_nodes, n_edges
        Nodes and directed edges of the graph.
    road_length_km
        Length of road, each street counted once whatever its number of directions.
    """

    n_nodes: int
    n_edges: int
    road_length_km: float

    def format(self) -> str:
        """One line for people: ``"123 nodes, 456 edges, 78.9 km of road"``."""
        return (
            f"{self.n_nodes:,} nodes, {self.n_edges:,} edges, {self.road_length_km:,.1f} km of road"
        )


def summarize(graph: nx.MultiDiGraph) -> NetworkSummary:
    """Count nodes and edges and add up the road length of a network."""
    length_m = 0.0
    for _, _, data in graph.edges(data=True):
        length = float(data.get("length", 0.0))
        # a two-way street is two directed edges: count each direction half
        length_m += length if data.get("oneway", False) is True else length / 2
    return NetworkSummary(len(graph), graph.number_of_edges(), length_m / 1000.0)


# -- speeds ------------------------------------------------------------------------------


def _speed_kph(value: Any) -> float | None:
    """Lowest speed in km/h in an OSM speed tag (or a list of them); None if there is none."""
    values = value if isinstance(value, list) else [value]
    speeds = []
    for item in values:
        if not isinstance(item, str):
            continue
        match = _NUMBER.search(item)
        if match:
            speed = float(match.group())
            speeds.append(speed * _KPH_PER_MPH if "mph" in item else speed)
    return min(speeds) if speeds else None


def add_speeds(
    graph: nx.MultiDiGraph,
    *,
    hwy_speeds_kph: Mapping[str, float] | None = None,
    fallback_kph: float = FALLBACK_SPEED_KPH,
    max_speed_kph: float | None = TRUCK_MAX_SPEED_KPH,
) -> nx.MultiDiGraph:
    """Add lorry ``speed_kph`` and ``travel_time`` (seconds) to every edge, in place.

    The speed is the edge's ``maxspeed`` (osmnx ``add_edge_speeds``), else the
    ``hwy_speeds_kph`` of its ``highway`` class (default :data:`TRUCK_SPEEDS_KPH`), else
    ``fallback_kph``; then lowered to ``maxspeed:hgv`` where tagged and to ``max_speed_kph``.

    Returns
    -------
    networkx.MultiDiGraph
        ``graph`` itself, with graph attribute ``speed_profile`` saying how speeds were set.
    """
    speeds = dict(TRUCK_SPEEDS_KPH if hwy_speeds_kph is None else hwy_speeds_kph)
    ox.routing.add_edge_speeds(graph, hwy_speeds=speeds, fallback=fallback_kph)
    for _, _, data in graph.edges(data=True):
        speed = float(data["speed_kph"])
        hgv = _speed_kph(data.get("maxspeed:hgv"))
        if hgv is not None and hgv > 0:
            speed = min(speed, hgv)
        if max_speed_kph is not None:
            speed = min(speed, max_speed_kph)
        data["speed_kph"] = speed
    ox.routing.add_edge_travel_times(graph)
    cap = "none" if max_speed_kph is None else f"{max_speed_kph:g} km/h"
    graph.graph["speed_profile"] = f"lorry: maxspeed, maxspeed:hgv, class speeds; cap {cap}"
    return graph


# -- building ----------------------------------------------------------------------------


def _finish(graph: nx.MultiDiGraph, *, source: str) -> nx.MultiDiGraph:
    """Common last steps: CRS, provenance, tidy attributes, speeds and travel times."""
    graph.graph["crs"] = "epsg:4326"
    graph.graph["source"] = source
    graph.graph["network_type"] = NETWORK_TYPE
    graph.graph.pop("name", None)
    for _, data in graph.nodes(data=True):
        for attr in _UNUSED_NODE_ATTRS:
            data.pop(attr, None)
    for _, _, data in graph.edges(data=True):
        for attr in _UNUSED_EDGE_ATTRS:
            data.pop(attr, None)
    return add_speeds(graph)


def _restore_split_ids(graph: nx.MultiDiGraph, split_ids: Mapping[int, int]) -> None:
    if not split_ids:
        return
    for _, _, data in graph.edges(data=True):
        osmid = data.get("osmid")
        if isinstance(osmid, list):
            ids = list(dict.fromkeys(split_ids.get(i, i) for i in osmid))
            data["osmid"] = ids[0] if len(ids) == 1 else ids
        elif osmid in split_ids:
            data["osmid"] = split_ids[osmid]


def _simplified(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """osmnx's simplification, never across a change of :data:`SPLIT_ON_CHANGE` tags (a graph
    that is already simplified is returned as it is)."""
    if graph.graph.get("simplified"):
        return graph
    simple: nx.MultiDiGraph = ox.simplification.simplify_graph(
        graph, edge_attrs_differ=list(SPLIT_ON_CHANGE)
    )
    return simple


def _graph_from_xml(path: Path, *, simplify: bool) -> nx.MultiDiGraph:
    with tempfile.TemporaryDirectory(prefix="symbiomap-osm-") as tmp:
        drivable = Path(tmp) / "drive.osm"
        split_ids = osm.write_drivable_xml(path, drivable)
        graph: nx.MultiDiGraph = ox.graph_from_xml(drivable, simplify=False, retain_all=False)
    if simplify:
        graph = _simplified(graph)
    _restore_split_ids(graph, split_ids)
    return graph


def _graph_from_pbf(path: Path, *, simplify: bool) -> nx.MultiDiGraph:
    from pyrosm import OSM  # noqa: PLC0415 - heavy import, only for .pbf files

    extra = [t for t in osm.TRUCK_WAY_TAGS if t not in {"maxspeed"}]
    try:
        reader = OSM(str(path))
        network = reader.get_network(network_type="driving", nodes=True, extra_attributes=extra)
    except Exception as err:  # pyrosm raises bare Exceptions for corrupt files
        # pyrosm's text repeats the full (often temporary) path; name the file only
        detail = str(err).replace(str(path), path.name)
        msg = f"{path.name} could not be read as an OpenStreetMap .pbf extract: {detail}"
        raise NetworkFileError(msg) from err
    if network is None or network[1] is None or len(network[1]) == 0:
        msg = f"{path.name} contains no drivable road (no highway open to cars)"
        raise NetworkFileError(msg)
    nodes, edges = network
    graph: nx.MultiDiGraph = reader.to_graph(
        nodes,
        edges,
        graph_type="networkx",
        osmnx_compatible=True,
        retain_all=False,
        simplify=simplify,
        simplify_kwargs={"edge_attrs_differ": list(SPLIT_ON_CHANGE)},
        progress=False,
    )
    return graph


def graph_from_osm_file(path: str | os.PathLike[str], *, simplify: bool = True) -> nx.MultiDiGraph:
    """Build the drivable road network of a local OpenStreetMap extract.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.xml``, ``.xml`` or ``.osm.bz2`` (read with osmnx) or ``.osm.pbf``
        (read with pyrosm). Clipped extracts are fine: ways are cut where they reference
        nodes missing from the file.
    simplify
        Merge chains of edges between intersections into one edge with a geometry.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx-style graph in EPSG:4326, largest weakly connected part; nodes have ``x``,
        ``y``; edges ``length`` (m), ``speed_kph``, ``travel_time`` (s), ``oneway``,
        ``highway`` and, where tagged, ``maxspeed``, ``maxspeed:hgv`` and the access and
        dimension tags lorry routing reads (:data:`geo.vehicles.RESTRICTION_TAGS`: ``hgv``,
        ``access``, ``maxweight``, ``maxheight``, ``maxlength``, ``maxwidth`` ...).

    Raises
    ------
    NetworkFileError
        If the file is missing, is not OpenStreetMap, is corrupt or has no drivable road.
    """
    file, kind = osm.check_file(path)
    osm.configure_osmnx()
    if kind == "pbf":
        graph = _graph_from_pbf(file, simplify=simplify)
    else:
        graph = _graph_from_xml(file, simplify=simplify)
    if len(graph) == 0 or graph.number_of_edges() == 0:  # pragma: no cover - caught while reading
        msg = f"{file.name} contains no drivable road"
        raise NetworkFileError(msg)
    return _finish(graph, source=f"OpenStreetMap extract {file.name}")


def _cached_graph(
    request: Mapping[str, Any],
    download: Callable[[], nx.MultiDiGraph],
    *,
    cache_dir: str | os.PathLike[str] | None,
    geocoding: bool,
    what: str,
) -> nx.MultiDiGraph:
    root = osm.cache_dir(cache_dir)
    target = root / "networks" / f"{osm.cache_key({**request, 'type': NETWORK_TYPE})}.graphml"
    if target.is_file():
        return load_network(target)
    osm.check_reachable(geocoding=geocoding)  # configures osmnx too
    with osm.translate_download_errors(what):
        graph = download()
    graph = _finish(graph, source=f"OpenStreetMap (Overpass), {what}")
    save_network(graph, target)
    return graph


def graph_from_place(
    name: str, *, cache_dir: str | os.PathLike[str] | None = None
) -> nx.MultiDiGraph:
    """Download the drivable road network of a named place (geocoded by Nominatim).

    The result is cached as GraphML under ``<cache_dir>/networks/``; a second call with the
    same name reads the cache and needs no connection. ``cache_dir`` defaults to the
    settings' folder (``$SYMBIOMAP_CACHE_DIR`` or ``~/.cache/symbiomap``), and osmnx's HTTP
    cache is always ``<that folder>/osmnx/`` (:func:`geo.osm.configure_osmnx`). See
    :func:`graph_from_osm_file` for the graph's attributes.

    Raises
    ------
    NetworkUnavailableError
        If OpenStreetMap cannot be reached (checked within seconds, before downloading).
    NetworkAreaError
        If the place is unknown or has no drivable road.
    """
    return _cached_graph(
        {"kind": "network-place", "place": name},
        # Simplified here rather than by osmnx, so that a weight limit or an hgv=no stays on
        # its own edge instead of closing the whole street it is merged into.
        lambda: _simplified(
            ox.graph_from_place(name, network_type=NETWORK_TYPE, retain_all=False, simplify=False)
        ),
        cache_dir=cache_dir,
        geocoding=True,
        what=f"roads of {name!r}",
    )


def graph_from_bbox(
    west: float,
    south: float,
    east: float,
    north: float,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> nx.MultiDiGraph:
    """Download the drivable road network in a longitude/latitude box (degrees, EPSG:4326).

    Caching and errors as :func:`graph_from_place`; a malformed box raises
    :class:`NetworkAreaError`.
    """
    osm.check_bbox(west, south, east, north)
    bbox = (west, south, east, north)
    return _cached_graph(
        {"kind": "network-bbox", "bbox": [round(v, 7) for v in bbox]},
        lambda: _simplified(
            ox.graph_from_bbox(bbox, network_type=NETWORK_TYPE, retain_all=False, simplify=False)
        ),
        cache_dir=cache_dir,
        geocoding=False,
        what=f"roads in the box W {west:.5f} S {south:.5f} E {east:.5f} N {north:.5f}",
    )


def graph_around(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    margin_m: float = osm.DEFAULT_MARGIN_M,
    cache_dir: str | os.PathLike[str] | None = None,
) -> nx.MultiDiGraph:
    """Download the road network around sites, ``margin_m`` metres beyond the outermost.

    Parameters
    ----------
    points
        Sites (points or polygons, any CRS); empty geometries are ignored.
    margin_m
        Added in metres in the sites' UTM zone (:func:`geo.osm.bbox_around`).
    cache_dir
        As :func:`graph_from_place`.

    Raises
    ------
    NetworkAreaError
        If no point has a geometry, or OpenStreetMap has no drivable road there.
    NetworkUnavailableError
        As :func:`graph_from_place`.
    """
    return graph_from_bbox(*osm.bbox_around(points, margin_m=margin_m), cache_dir=cache_dir)


# -- files -------------------------------------------------------------------------------


def save_network(graph: nx.MultiDiGraph, path: str | os.PathLike[str]) -> Path:
    """Write a network atomically as ``.graphml`` (osmnx) or ``.gpkg`` (nodes and edges
    layers, one feature per directed edge, for QGIS). Returns the path written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".graphml", ".gpkg"}:
        msg = f"{target.name}: a network is saved as .graphml or .gpkg"
        raise NetworkFileError(msg)
    with osm.atomic_path(target) as tmp:
        if suffix == ".graphml":
            ox.io.save_graphml(graph, tmp)
        else:
            ox.io.save_graph_geopackage(graph, tmp, directed=True)
    return target


def _load_gpkg(path: Path) -> nx.MultiDiGraph:
    nodes = gpd.read_file(path, layer="nodes").set_index("osmid")
    edges = gpd.read_file(path, layer="edges").set_index(["u", "v", "key"])
    for col in ("oneway", "reversed"):
        if col in edges.columns:
            edges[col] = edges[col].map({"True": True, "False": False, True: True, False: False})
    graph: nx.MultiDiGraph = ox.convert.graph_from_gdfs(nodes, edges)
    return graph


def load_network(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Read a network written by :func:`save_network` (``.graphml`` or ``.gpkg``).

    Raises
    ------
    NetworkFileError
        If the file is missing or is not a SymbioMap/osmnx road network.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in {".graphml", ".gpkg"}:
        msg = f"{file.name}: a saved network is a .graphml or .gpkg file"
        raise NetworkFileError(msg)
    if not file.is_file():
        msg = f"{file.name}: no such file ({file})"
        raise NetworkFileError(msg)
    try:
        graph = ox.io.load_graphml(file) if suffix == ".graphml" else _load_gpkg(file)
    except (
        ET.ParseError,
        nx.NetworkXError,
        KeyError,
        ValueError,
        TypeError,
        OSError,
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
    ) as err:
        detail = str(err).replace(str(file), file.name)
        msg = f"{file.name} is not a road network saved by SymbioMap or osmnx: {detail}"
        raise NetworkFileError(msg) from err
    missing = [
        what
        for what, ok in (
            ("a 'crs' graph attribute", "crs" in graph.graph),
            ("nodes", len(graph) > 0),
            ("x/y on every node", all("x" in d and "y" in d for _, d in graph.nodes(data=True))),
            ("'length' on every edge", all("length" in d for *_, d in graph.edges(data=True))),
        )
        if not ok
    ]
    if missing:
        msg = f"{file.name} is not a road network: it lacks {', '.join(missing)}"
        raise NetworkFileError(msg)
    return graph


def open_network(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Open any road network file: a saved ``.graphml``/``.gpkg`` network, or an OpenStreetMap
    extract (``.osm``, ``.osm.bz2``, ``.osm.pbf``) built on the fly.

    Raises
    ------
    NetworkFileError
        If the file is neither.
    """
    suffix = Path(path).suffix.lower()
    if suffix in {".graphml", ".gpkg"}:
        return load_network(path)
    return graph_from_osm_file(path)
