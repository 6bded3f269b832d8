"""Access to OpenStreetMap: local extracts, Overpass reachability, caches, industrial areas."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import json
import os
import socket
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import version as package_version
from io import BufferedReader
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import geopandas as gpd
import osmnx as ox
import pandas as pd
import requests
from shapely.geometry import box

from datasets import settings as symbiomap_settings
from geo import crs as geo_crs
from geo._errors import NetworkAreaError, NetworkFileError, NetworkUnavailableError
from geo.vehicles import RESTRICTION_TAGS

CODE_VERSION = "2"
"""Bump when the way SymbioMap builds networks or areas changes: it invalidates the caches."""

DEFAULT_MARGIN_M = symbiomap_settings.DEFAULT_DOWNLOAD_MARGIN_M
"""Metres of area downloaded beyond the outermost site (``datasets.settings``)."""

TRUCK_WAY_TAGS = tuple(
    dict.fromkeys(
        ("maxweight", "hgv", "maxspeed", "maxspeed:hgv", "access", "junction", *RESTRICTION_TAGS)
    )
)
"""Way tags kept on edges beyond osmnx's defaults: what a lorry route depends on (speeds, and
every tag :func:`geo.vehicles.closed_reasons` reads)."""

XML_SUFFIXES = (".osm", ".osm.xml", ".xml", ".osm.bz2", ".osm.gz", ".xml.bz2")
PBF_SUFFIXES = (".osm.pbf", ".pbf")

INDUSTRIAL_TAGS: dict[str, bool | str | list[str]] = {
    "landuse": ["industrial", "port"],
    "industrial": "port",
    "harbour": True,
}
"""OSM tags of the areas read as industrial areas (``landuse=commercial`` is not one)."""

AREA_COLUMNS = ("park_id", "name", "kind", "geometry")

FileKind = Literal["xml", "pbf"]

# -- drivable ways, as osmnx's "drive" network type (and pyrosm's "driving") ---------------

_EXCLUDED_HIGHWAY = frozenset(
    {
        "abandoned", "bridleway", "bus_guideway", "busway", "construction", "corridor",
        "cycleway", "elevator", "escalator", "footway", "ladder", "no", "path", "pedestrian",
        "planned", "platform", "proposed", "raceway", "razed", "rest_area", "service",
        "services", "steps", "track", "trail",
    }
)  # fmt: skip
_EXCLUDED_SERVICE = frozenset(
    {"alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"}
)
_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
_CLOSED_ACCESS = frozenset({"no", "private"})


def _has_value(value: str | None, values: frozenset[str]) -> bool:
    return value is not None and any(part.strip() in values for part in value.split(";"))


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Whether an OSM way with these tags belongs to the drive network.

    Follows osmnx's ``drive`` filter (and pyrosm's ``driving``): a ``highway`` that cars use,
    no service roads, not an area, and not closed by the most specific of the ``motorcar``,
    ``motor_vehicle``, ``vehicle`` and ``access`` tags (``no`` or ``private``).
    """
    highway = tags.get("highway")
    if highway is None or _has_value(highway, _EXCLUDED_HIGHWAY):
        return False
    if _has_value(tags.get("area"), frozenset({"yes"})):
        return False
    if _has_value(tags.get("service"), _EXCLUDED_SERVICE):
        return False
    for key in _ACCESS_KEYS:
        if key in tags:
            return not _has_value(tags[key], _CLOSED_ACCESS)
    return True


# -- files -------------------------------------------------------------------------------


def file_kind(path: Path) -> FileKind:
    """Return ``"xml"`` or ``"pbf"`` from the file name; raise :class:`NetworkFileError`."""
    name = path.name.lower()
    if name.endswith(PBF_SUFFIXES):
        return "pbf"
    if name.endswith(XML_SUFFIXES):
        return "xml"
    msg = (
        f"{path.name}: not an OpenStreetMap file name; expected one of "
        f"{', '.join(XML_SUFFIXES + PBF_SUFFIXES)}"
    )
    raise NetworkFileError(msg)


def check_file(path: str | os.PathLike[str]) -> tuple[Path, FileKind]:
    """Return the path and its kind, or raise :class:`NetworkFileError` if it cannot be used."""
    file = Path(path)
    kind = file_kind(file)
    if not file.is_file():
        msg = f"{file.name}: no such file ({file})"
        raise NetworkFileError(msg)
    return file, kind


def _open_binary(path: Path) -> bz2.BZ2File | gzip.GzipFile | BufferedReader:
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Extract:
    """The drivable ways of an OSM XML file and the nodes they use."""

    def __init__(self) -> None:
        self.nodes: dict[int, tuple[str, str, dict[str, str]]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.n_ways = 0


def _take(extract: _Extract, elem: ET.Element, node_tags: set[str]) -> None:
    """Keep a parsed ``<node>``'s coordinates or a drivable ``<way>``."""
    if elem.tag == "node":
        tags = {
            t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag") if t.attrib["k"] in node_tags
        }
        extract.nodes[int(elem.attrib["id"])] = (elem.attrib["lat"], elem.attrib["lon"], tags)
    elif elem.tag == "way":
        extract.n_ways += 1
        tags = {t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag")}
        if is_drivable(tags):
            refs = [int(nd.attrib["ref"]) for nd in elem.iter("nd")]
            extract.ways.append((int(elem.attrib["id"]), refs, tags))


def _read_xml(path: Path) -> _Extract:
    """Stream an OSM XML file, keeping the drivable ways and every node's coordinates."""
    extract = _Extract()
    node_tags = set(ox.settings.useful_tags_node)
    root: ET.Element | None = None
    try:
        with _open_binary(path) as stream:
            for event, elem in ET.iterparse(stream, events=("start", "end")):
                if root is None:
                    root = elem
                    _check_root(path, elem)
                if event == "end" and elem.tag in {"node", "way", "relation"}:
                    _take(extract, elem, node_tags)
                    root.clear()
    except NetworkFileError:
        raise
    except ET.ParseError as err:
        msg = f"{path.name} is not an OpenStreetMap XML file: {err}"
        raise NetworkFileError(msg) from err
    except (OSError, EOFError) as err:
        msg = f"{path.name} could not be read or decompressed: {err}"
        raise NetworkFileError(msg) from err
    except (KeyError, ValueError) as err:
        msg = f"{path.name} has a malformed OSM element (missing or bad attribute {err})"
        raise NetworkFileError(msg) from err
    return extract


def _check_root(path: Path, elem: ET.Element) -> None:
    if elem.tag != "osm":
        msg = (
            f"{path.name} is XML but not OpenStreetMap data: its root element is "
            f"<{_local_name(elem.tag)}>, not <osm>"
        )
        raise NetworkFileError(msg)


def _pieces(refs: list[int], nodes: Mapping[int, object]) -> list[list[int]]:
    """Split a way's node list at references missing from the extract (clipped ways)."""
    pieces: list[list[int]] = [[]]
    for ref in refs:
        if ref in nodes:
            pieces[-1].append(ref)
        elif pieces[-1]:
            pieces.append([])
    return [p for p in pieces if len(p) >= 2]


def write_drivable_xml(path: Path, target: Path) -> dict[int, int]:
    """Write the drive network of the OSM XML file ``path`` to ``target`` (plain OSM XML).

    Ways that reference nodes missing from the extract (a clipped extract) are cut at the
    missing nodes: each run of present nodes becomes its own way, so no straight segment is
    drawn across the gap. Runs after the first get new way ids above every id in the file.

    Returns
    -------
    dict
        The new way ids mapped to the OSM ids of the ways they were cut from.

    Raises
    ------
    NetworkFileError
        If the file is not OSM XML, is corrupt, or has no drivable road.
    """
    extract = _read_xml(path)
    next_id = max((way_id for way_id, _, _ in extract.ways), default=0) + 1
    root = ET.Element("osm", version="0.6", generator="SymbioMap")
    used: set[int] = set()
    ways: list[ET.Element] = []
    split_ids: dict[int, int] = {}
    for way_id, refs, tags in extract.ways:
        for i, piece in enumerate(_pieces(refs, extract.nodes)):
            new_id = way_id if i == 0 else next_id
            if i > 0:
                split_ids[new_id] = way_id
                next_id += 1
            way = ET.Element("way", id=str(new_id))
            for ref in piece:
                ET.SubElement(way, "nd", ref=str(ref))
            for key, value in tags.items():
                ET.SubElement(way, "tag", k=key, v=value)
            ways.append(way)
            used.update(piece)
    if not ways:
        msg = (
            f"{path.name} contains no drivable road: none of its {extract.n_ways} OSM ways is a "
            "highway open to cars (with at least two of its nodes in the file)"
        )
        raise NetworkFileError(msg)
    for node_id in sorted(used):
        lat, lon, tags = extract.nodes[node_id]
        node = ET.SubElement(root, "node", id=str(node_id), lat=lat, lon=lon)
        for key, value in tags.items():
            ET.SubElement(node, "tag", k=key, v=value)
    root.extend(ways)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return split_ids


# -- osmnx settings, caches and reachability --------------------------------------------


def cache_dir(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    settings: symbiomap_settings.Settings | None = None,
) -> Path:
    """The SymbioMap cache folder: ``cache_dir`` when given, else the settings' folder.

    Parameters
    ----------
    cache_dir
        A folder chosen for this call.
    settings
        Where the default comes from; default :func:`datasets.settings.get`
        (``$SYMBIOMAP_CACHE_DIR`` or ``~/.cache/symbiomap``).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    chosen = settings if settings is not None else symbiomap_settings.get()
    return chosen.cache_dir


def cache_key(request: Mapping[str, Any]) -> str:
    """SHA-256 of what was asked, with the osmnx version and :data:`CODE_VERSION`."""
    payload = {
        **request,
        "osmnx": package_version("osmnx"),
        "symbiomap_osm": CODE_VERSION,
        "way_tags": sorted(TRUCK_WAY_TAGS),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ox.settings is one global for the whole process, shared by every Streamlit session (threads):
# it is written once, under this lock, and never changed per call.
_configure_lock = threading.Lock()
_configured: symbiomap_settings.Settings | None = None


def configure_osmnx(
    settings: symbiomap_settings.Settings | None = None,
) -> symbiomap_settings.Settings:
    """Set osmnx's global settings for SymbioMap, once per process; later calls do nothing.

    Adds :data:`TRUCK_WAY_TAGS` to ``useful_tags_way``, turns osmnx's HTTP cache on in the
    fixed folder ``<settings.cache_dir>/osmnx`` (whatever ``cache_dir`` a call passes: that
    one only holds SymbioMap's own networks and areas), sets the HTTP timeout and keeps
    osmnx's logging off. Thread-safe.

    Parameters
    ----------
    settings
        The settings to apply; default :func:`datasets.settings.get`.

    Returns
    -------
    datasets.settings.Settings
        The settings osmnx was configured with (by this call or an earlier one).

    Raises
    ------
    datasets.settings.SettingsError
        If osmnx was already configured with other settings: the process has one
        configuration, and silently keeping the first one would hide the mistake.
    """
    global _configured  # noqa: PLW0603 - the once-per-process flag is the point
    with _configure_lock:
        if _configured is None:
            chosen = settings if settings is not None else symbiomap_settings.get()
            ox.settings.useful_tags_way = list(
                dict.fromkeys([*ox.settings.useful_tags_way, *TRUCK_WAY_TAGS])
            )
            ox.settings.use_cache = True
            ox.settings.cache_folder = chosen.cache_dir / "osmnx"
            ox.settings.requests_timeout = chosen.requests_timeout_s
            ox.settings.log_console = False
            ox.settings.log_file = False
            _configured = chosen
        elif settings is not None and settings != _configured:
            msg = (
                f"osmnx is already configured for this process with {_configured}; "
                f"configure_osmnx cannot switch to {settings}"
            )
            raise symbiomap_settings.SettingsError(msg)
        return _configured


def check_reachable(*, geocoding: bool = False) -> None:
    """Raise :class:`NetworkUnavailableError` unless the Overpass server answers a TCP
    connection within the settings' ``connect_timeout_s`` (and Nominatim too with
    ``geocoding``); with ``SYMBIOMAP_OFFLINE=1`` raise at once."""
    settings = configure_osmnx()
    if settings.offline:
        msg = (
            f"{symbiomap_settings.OFFLINE_ENV}=1: no download from OpenStreetMap is attempted; "
            "build the network from a local .osm/.pbf file with --osm-file "
            "(Python: graph_from_osm_file)"
        )
        raise NetworkUnavailableError(msg)
    urls = [ox.settings.overpass_url]
    if geocoding:
        urls.append(ox.settings.nominatim_url)
    for url in urls:
        parts = urlsplit(url)
        host = parts.hostname or url
        port = parts.port or (80 if parts.scheme == "http" else 443)
        try:
            conn = socket.create_connection((host, port), timeout=settings.connect_timeout_s)
        except OSError as err:
            msg = (
                f"OpenStreetMap could not be reached ({host}:{port}: {err}); build the network "
                "from a local .osm/.pbf file with --osm-file (Python: graph_from_osm_file)"
            )
            raise NetworkUnavailableError(msg) from err
        conn.close()


@contextlib.contextmanager
def translate_download_errors(what: str) -> Iterator[None]:
    """Turn osmnx/requests failures during a download into SymbioMap errors."""
    try:
        yield
    except requests.RequestException as err:
        msg = (
            f"downloading {what} from OpenStreetMap failed ({err}); build the network from a "
            "local .osm/.pbf file with --osm-file"
        )
        raise NetworkUnavailableError(msg) from err
    except ox._errors.InsufficientResponseError as err:
        msg = f"OpenStreetMap has no {what}: {err}"
        raise NetworkAreaError(msg) from err
    except ox._errors.ResponseStatusCodeError as err:
        msg = f"the OpenStreetMap server refused the request for {what}: {err}"
        raise NetworkUnavailableError(msg) from err


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # GDAL and friends want to create the file themselves
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


# -- areas -------------------------------------------------------------------------------


def check_bbox(west: float, south: float, east: float, north: float) -> None:
    """Raise :class:`NetworkAreaError` unless the box is a lon/lat box with positive extent."""
    ok = -180 <= west < east <= 180 and -90 <= south < north <= 90
    if not ok:
        msg = (
            f"bounding box west={west}, south={south}, east={east}, north={north} is not a "
            "longitude/latitude box (west < east within -180..180, south < north within -90..90)"
        )
        raise NetworkAreaError(msg)


def bbox_around(
    points: gpd.GeoDataFrame | gpd.GeoSeries, *, margin_m: float
) -> tuple[float, float, float, float]:
    """Lon/lat box ``(west, south, east, north)`` around ``points`` plus ``margin_m`` metres.

    Parameters
    ----------
    points
        Sites (points or polygons) with a CRS; empty and missing geometries are ignored.
    margin_m
        Metres added on every side, in the points' UTM zone (:func:`geo.crs.to_metric`),
        never in degrees; the enlarged box is then taken back to EPSG:4326.

    Raises
    ------
    NetworkAreaError
        If ``margin_m`` is negative or no point has a geometry.
    CRSError
        If ``points`` has no CRS.
    """
    if margin_m < 0:
        msg = f"margin_m must not be negative (got {margin_m})"
        raise NetworkAreaError(msg)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geoms = geoms[~(geoms.is_empty | geoms.isna())]
    if len(geoms) == 0:
        msg = "no site has a geometry: cannot choose an area to download"
        raise NetworkAreaError(msg)
    metric = geo_crs.to_metric(geoms)
    minx, miny, maxx, maxy = metric.total_bounds
    area = gpd.GeoSeries(
        [box(minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m)], crs=metric.crs
    )
    west, south, east, north = (float(v) for v in geo_crs.to_storage(area).total_bounds)
    return west, south, east, north


# -- industrial areas --------------------------------------------------------------------


def _empty_areas() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in AREA_COLUMNS[:-1]})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=geo_crs.STORAGE_CRS))


def _kind(tags: Mapping[str, Any]) -> str:
    def value(key: str) -> str | None:
        v = tags.get(key)
        return v if isinstance(v, str) and v else None

    if value("landuse") == "port" or value("industrial") == "port" or value("harbour"):
        return "port"
    return "industrial-area"


def areas_frame(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn OSM features (``element``/``id``, tag columns, geometry) into a parks layer.

    Keeps polygons only; ``park_id`` is ``osm-<element>-<id>``; ``name`` is the OSM ``name``
    or "Industrial area <n>" / "Port area <n>"; ``kind`` is ``port`` or ``industrial-area``.
    """
    if len(features) == 0:
        return _empty_areas()
    feats = geo_crs.to_storage(features)
    feats = feats[feats.geom_type.isin(["Polygon", "MultiPolygon"]) & ~feats.is_empty]
    rows = []
    for rec in feats.to_dict("records"):
        tags = {k: v for k, v in rec.items() if isinstance(v, str)}
        name = tags.get("name")
        rows.append(
            {
                "park_id": f"osm-{rec['element']}-{int(rec['id'])}",
                "name": name if name else None,
                "kind": _kind(tags),
                "geometry": rec["geometry"],
            }
        )
    if not rows:
        return _empty_areas()
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=geo_crs.STORAGE_CRS)
    out = out.drop_duplicates("park_id").sort_values("park_id", ignore_index=True)
    for kind, label in (("industrial-area", "Industrial area"), ("port", "Port area")):
        unnamed = out["name"].isna() & (out["kind"] == kind)
        out.loc[unnamed, "name"] = [f"{label} {n}" for n in range(1, int(unnamed.sum()) + 1)]
    for col in AREA_COLUMNS[:-1]:
        out[col] = out[col].astype("string")
    return out[list(AREA_COLUMNS)]


def _areas_from_xml(path: Path) -> gpd.GeoDataFrame:
    # read once with our streaming parser: it names the file in every error
    try:
        with _open_binary(path) as stream:
            for _, elem in ET.iterparse(stream, events=("start",)):
                _check_root(path, elem)
                break
    except ET.ParseError as err:
        msg = f"{path.name} is not an OpenStreetMap XML file: {err}"
        raise NetworkFileError(msg) from err
    except (OSError, EOFError) as err:
        msg = f"{path.name} could not be read or decompressed: {err}"
        raise NetworkFileError(msg) from err
    try:
        features = ox.features_from_xml(path, tags=INDUSTRIAL_TAGS)
    except ox._errors.InsufficientResponseError:
        return _empty_areas()
    except (ET.ParseError, ValueError, KeyError) as err:
        msg = f"{path.name} could not be read as OpenStreetMap features: {err}"
        raise NetworkFileError(msg) from err
    return areas_frame(features.reset_index())


def _areas_from_pbf(path: Path) -> gpd.GeoDataFrame:
    from pyrosm import OSM  # noqa: PLC0415 - heavy import, only for .pbf files

    try:
        osm = OSM(str(path))
        landuse = osm.get_landuse(
            custom_filter={"landuse": ["industrial", "port"]},
            extra_attributes=["industrial", "harbour"],
        )
    except Exception as err:  # pyrosm raises bare Exceptions and C-level errors alike
        msg = f"{path.name} could not be read as an OpenStreetMap .pbf extract: {err}"
        raise NetworkFileError(msg) from err
    if landuse is None or len(landuse) == 0:
        return _empty_areas()
    features = landuse.rename(columns={"osm_type": "element"})
    return areas_frame(features)


def industrial_areas_from_osm_file(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Industrial and port areas of a local OSM extract, as a parks layer.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.xml``, ``.xml``, ``.osm.bz2`` (read with osmnx) or ``.osm.pbf``
        (read with pyrosm; there only ``landuse=industrial|port`` areas are found).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``park_id`` (``osm-<way|relation>-<id>``, stable), ``name``, ``kind``
        (``industrial-area`` or ``port``) and polygon geometry in EPSG:4326; empty if the
        extract has none.

    Raises
    ------
    NetworkFileError
        If the file is missing, not OSM or corrupt.
    """
    file, kind = check_file(path)
    if kind == "pbf":
        return _areas_from_pbf(file)
    configure_osmnx()
    return _areas_from_xml(file)


def _cached_areas(
    request: Mapping[str, Any],
    download: Callable[[], gpd.GeoDataFrame],
    *,
    cache_dir_: str | os.PathLike[str] | None,
    geocoding: bool,
    what: str,
) -> gpd.GeoDataFrame:
    root = cache_dir(cache_dir_)
    target = root / "parks" / f"{cache_key(request)}.gpkg"
    if target.is_file():
        return gpd.read_file(target)
    check_reachable(geocoding=geocoding)  # configures osmnx too
    with translate_download_errors(what):
        try:
            features = download()
        except ox._errors.InsufficientResponseError:
            features = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=geo_crs.STORAGE_CRS))
    areas = areas_frame(features.reset_index() if len(features) else features)
    with atomic_path(target) as tmp:
        areas.to_file(tmp, driver="GPKG", layer="parks")
    return areas


def industrial_areas_from_place(
    name: str, *, cache_dir: str | os.PathLike[str] | None = None
) -> gpd.GeoDataFrame:
    """Industrial and port areas of a named place, downloaded from OpenStreetMap.

    Results are cached under ``<cache_dir>/parks``; see :func:`industrial_areas_from_osm_file`
    for the columns.

    Raises
    ------
    NetworkUnavailableError
        If OpenStreetMap cannot be reached (checked in seconds before downloading).
    NetworkAreaError
        If the place cannot be found.
    """
    return _cached_areas(
        {"kind": "parks-place", "place": name},
        lambda: ox.features_from_place(name, tags=INDUSTRIAL_TAGS),
        cache_dir_=cache_dir,
        geocoding=True,
        what=f"industrial areas for {name!r}",
    )


def industrial_areas_from_bbox(
    west: float,
    south: float,
    east: float,
    north: float,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> gpd.GeoDataFrame:
    """Industrial and port areas in a lon/lat box (degrees), downloaded from OpenStreetMap.

    See :func:`industrial_areas_from_place` for caching and errors.
    """
    check_bbox(west, south, east, north)
    bbox = tuple(round(v, 7) for v in (west, south, east, north))
    return _cached_areas(
        {"kind": "parks-bbox", "bbox": bbox},
        lambda: ox.features_from_bbox(bbox=(west, south, east, north), tags=INDUSTRIAL_TAGS),
        cache_dir_=cache_dir,
        geocoding=False,
        what="industrial areas in the bounding box",
    )


def industrial_areas_around(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    margin_m: float = DEFAULT_MARGIN_M,
    cache_dir: str | os.PathLike[str] | None = None,
) -> gpd.GeoDataFrame:
    """Industrial and port areas around sites, ``margin_m`` metres beyond the outermost.

    The box is :func:`bbox_around`; caching and errors as :func:`industrial_areas_from_place`
    (and :class:`NetworkAreaError` if no point has a geometry).
    """
    return industrial_areas_from_bbox(*bbox_around(points, margin_m=margin_m), cache_dir=cache_dir)


AREA_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON"}
"""File endings an industrial-areas layer is written to, and their GDAL drivers."""


def save_areas(areas: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write an areas layer atomically as ``.gpkg`` (layer ``parks``) or ``.geojson``.

    Raises
    ------
    NetworkFileError
        If the file name ends otherwise.
    """
    target = Path(path)
    driver = AREA_DRIVERS.get(target.suffix.lower())
    if driver is None:
        msg = f"{target.name}: industrial areas are saved as {' or '.join(AREA_DRIVERS)}"
        raise NetworkFileError(msg)
    with atomic_path(target) as tmp:
        areas.to_file(tmp, driver=driver, **({"layer": "parks"} if driver == "GPKG" else {}))
    return target
