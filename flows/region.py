"""A case from a region: sites and flows from the bundled EU layers, parks from OpenStreetMap.

:func:`build_region_case` takes an area (a lon/lat box, a place name, or an existing case's
extent plus a margin), picks the sites of the bundled Hotmaps Industrial Database and
powerplantmatching layers (:mod:`datasets.layers`) inside it, gives them NACE codes from
``datasets/reference/layer_nace.csv``, derives their flows (Hotmaps' excess heat and CO2,
power plants' combustion residues and CHP heat from ``power_plant_factors.csv``) and estimated
demands (heat below 100 C and steam at 100-200 C from the sites' fuel use, cement works' gypsum
and fly ash from their production, with ``industry_demand_factors.csv``), merges plants
that both layers list, adds OpenStreetMap industrial and port areas as parks when a local
extract is given or downloading is allowed, and validates the result through the one case
builder (:func:`flows.io.load_frames`). Every flow says where its figure comes from
(``source``, ``method``) and whether it is reported or estimated (``quantity_basis``,
``estimated``).

Heavy libraries are imported inside the functions: ``python -m flows --help`` builds this
module's parser and must stay fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasets.errors import SymbioMapError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from flows.model import Case

__all__ = [
    "DEFAULT_MARGIN_KM",
    "DEFAULT_MERGE_DISTANCE_M",
    "HEAT_BANDS",
    "HEAT_DEMAND_LEVELS",
    "RegionError",
    "RegionReport",
    "add_region_parser",
    "bbox_of_case",
    "build_region_case",
    "geocode_bbox",
    "industry_demand_factors",
    "layer_nace_table",
    "parse_bbox",
    "power_plant_factors",
    "run_region",
]

BBox = tuple[float, float, float, float]
"""``(west, south, east, north)`` in decimal degrees (WGS84)."""

DEFAULT_MARGIN_KM = 2.0
"""Kilometres added around an existing case's sites (``--case``)."""
DEFAULT_MERGE_DISTANCE_M = 300.0
"""Two layers' entries this close (and alike in name) are one plant."""
NAME_SIMILARITY_MIN = 0.5
"""Share of the shorter name's distinctive words the other name must contain to merge."""

HEAT_BANDS: tuple[tuple[str, float, str], ...] = (
    ("excess_heat_100_200c_mwh_per_yr", 100.0, "Excess_Heat_100-200C"),
    ("excess_heat_200_500c_mwh_per_yr", 200.0, "Excess_Heat_200-500C"),
    ("excess_heat_over_500c_mwh_per_yr", 500.0, "Excess_Heat_500C"),
)
"""Hotmaps excess-heat bands: column, declared temperature (°C, the band's lower bound) and the
layer's own column name. The lower bound is what the band guarantees: matching requires the
supply to be hotter than the demand, so declaring the band's middle (150 °C) would let heat
that may be at 100 °C serve a 140 °C process."""

HEAT_DEMAND_LEVELS: tuple[tuple[str, str, str], ...] = (
    ("below_100c", "below 100 C", "heat"),
    ("100_200c", "100-200 C", "steam"),
)
"""Temperature levels of industrial process heat declared as demands: the key of their rows in
``industry_demand_factors.csv``, a label and the resource. The 100-200 C level is process steam,
and as ``steam`` it is matched apart from the site's hot-water demand (a site's demands of one
resource are summed at the most demanding temperature, which would hide the 80 C demand behind
the 180 C one). Process heat above 200 C (furnaces, kilns, high-pressure steam) is not declared:
hot-water or low-pressure heat exchange cannot serve it."""

LAYER_HOTMAPS = "hotmaps"
LAYER_POWERPLANTS = "powerplantmatching"
FACTORS_ID = "power_plant_factors"
DEMAND_FACTORS_ID = "industry_demand_factors"
NACE_TABLE_ID = "layer_nace"

_COMBUSTION_FUELS = frozenset(
    {"Hard Coal", "Lignite", "Natural Gas", "Oil", "Solid Biomass", "Biogas", "Waste", "Other"}
)
"""Power plants that can be an industrial site's own boiler house (merge candidates)."""
_BIOGENIC_FUELS = frozenset({"Solid Biomass", "Biogas"})

_COUNTRIES = {
    "Albania": "AL", "Austria": "AT", "Belgium": "BE", "Bosnia and Herzegovina": "BA",
    "Bulgaria": "BG", "Croatia": "HR", "Cyprus": "CY", "Czech Republic": "CZ", "Czechia": "CZ",
    "Denmark": "DK", "Estonia": "EE", "Finland": "FI", "France": "FR", "Germany": "DE",
    "Greece": "GR", "Hungary": "HU", "Iceland": "IS", "Ireland": "IE", "Italy": "IT",
    "Kosovo": "XK", "Latvia": "LV", "Liechtenstein": "LI", "Lithuania": "LT",
    "Luxembourg": "LU", "Malta": "MT", "Moldova": "MD", "Montenegro": "ME",
    "Netherland": "NL", "Netherlands": "NL", "North Macedonia": "MK", "Norway": "NO",
    "Poland": "PL", "Portugal": "PT", "Romania": "RO", "Serbia": "RS", "Slovakia": "SK",
    "Slovenia": "SI", "Spain": "ES", "Sweden": "SE", "Switzerland": "CH", "Ukraine": "UA",
    "United Kingdom": "UK",
}  # fmt: skip
"""Country names of both layers -> ISO 3166 alpha-2 (``UK`` as the case format asks)."""

# Words that say what a plant is rather than whose it is: two names sharing only these are
# not the same operator.
_GENERIC_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as prose
        "ag as asa bv co company corp cv gmbh group holding inc kg limited ltd nv oy oyj plc sa "
        "sas spa srl sro ab aps de der die das des du la le les van von und and the of et en "
        "power plant station centrale central kraftwerk heizkraftwerk energie energy energia "
        "elektrizitat elektriciteit electricity electrique thermal steam chp cogen cogeneration "
        "wkk bhkw hkw gud steg ccgt site works werk usine factory mill unit units block "
        "belgium belgique deutschland germany france nederland"
    ).split()
)


class RegionError(SymbioMapError, ValueError):
    """The area of a region case cannot be used (malformed, empty, unresolvable)."""


@dataclass(frozen=True)
class RegionReport:
    """What :func:`build_region_case` built and how.

    Attributes
    ----------
    area
        The area as the user gave it (``bbox ...``, ``place ...``, ``case ...``).
    bbox
        ``(west, south, east, north)`` in degrees.
    year
        The reference year: power plants not in operation that year were left out.
    sites_per_layer
        Sites taken from each layer (before merging).
    merged
        Power plants merged into a Hotmaps site (same plant listed by both layers).
    merges
        ``(hotmaps site_id, power plant site_id)`` of every merge.
    left_out_by_year
        Power plants in the area not in operation in ``year``.
    flows_per_basis
        Flows by ``quantity_basis`` (``reported``, ``modelled``, ``estimated``).
    flows_estimated, flows_measured
        Flows marked ``estimated`` true and false.
    excess_heat_mwh_per_yr
        Hotmaps excess heat declared as supplies, MWh/yr.
    parks
        Parks added.
    sites_in_parks
        Sites given a ``park_id``.
    parks_note
        Where the parks came from, or why there are none.
    unmapped_nace
        Layer values missing from ``layer_nace.csv`` (their sites got the section code).
    demands
        Estimated demands declared (heat, steam and materials).
    heat_demand_mwh_per_yr
        Estimated heat (below 100 C) and steam (100-200 C) demand of the Hotmaps sites, MWh/yr.
    """

    area: str
    bbox: BBox
    year: int
    sites_per_layer: dict[str, int]
    merged: int
    merges: tuple[tuple[str, str], ...]
    left_out_by_year: int
    flows_per_basis: dict[str, int]
    flows_estimated: int
    flows_measured: int
    excess_heat_mwh_per_yr: float
    parks: int
    sites_in_parks: int
    parks_note: str
    unmapped_nace: tuple[str, ...] = field(default=())
    demands: int = 0
    heat_demand_mwh_per_yr: float = 0.0

    def format(self) -> str:
        """The report as the command line prints it."""
        west, south, east, north = self.bbox
        per_layer = ", ".join(f"{n} from {layer}" for layer, n in self.sites_per_layer.items())
        basis = ", ".join(f"{n} {b}" for b, n in sorted(self.flows_per_basis.items()))
        lines = [
            f"area: {self.area} (W {west:.4f} S {south:.4f} E {east:.4f} N {north:.4f})",
            (
                f"reference year {self.year}: {per_layer} "
                f"({self.left_out_by_year} power plants not in operation that year left out)"
            ),
            f"merged {self.merged} power plants into the Hotmaps site of the same plant",
            (
                f"flows: {self.flows_estimated} estimated, {self.flows_measured} measured "
                f"({basis or 'none'}); Hotmaps excess heat "
                f"{self.excess_heat_mwh_per_yr:,.0f} MWh/yr"
            ),
            (
                f"demands: {self.demands} estimated; heat and steam below 200 C "
                f"{self.heat_demand_mwh_per_yr:,.0f} MWh/yr from the sites' fuel use"
            ),
            f"parks: {self.parks} ({self.sites_in_parks} sites inside); {self.parks_note}",
        ]
        if self.unmapped_nace:
            lines.append(f"no NACE row for: {', '.join(self.unmapped_nace)} (broader code used)")
        return "\n".join(lines)


# -- the area ---------------------------------------------------------------------------------


def parse_bbox(values: Sequence[float | str]) -> BBox:
    """Check and return a lon/lat box ``(west, south, east, north)`` in degrees.

    Raises
    ------
    RegionError
        If there are not four finite numbers, or the box is empty or out of range; the
        message repeats the values and says which order is expected.
    """
    expected = "expected four numbers W S E N in degrees, e.g. 3.6 51.0 3.9 51.25"
    if len(values) != 4:
        msg = f"bounding box {' '.join(map(str, values))!r}: {expected}"
        raise RegionError(msg)
    try:
        west, south, east, north = (float(v) for v in values)
    except (TypeError, ValueError) as err:
        msg = f"bounding box {' '.join(map(str, values))!r}: {expected}"
        raise RegionError(msg) from err
    box = (west, south, east, north)
    problem = None
    if not all(math.isfinite(v) for v in box):
        problem = "every value must be a finite number"
    elif not (-180 <= west <= 180 and -180 <= east <= 180):
        problem = "longitudes must lie within -180..180"
    elif not (-90 <= south <= 90 and -90 <= north <= 90):
        problem = "latitudes must lie within -90..90"
    elif west >= east:
        problem = "west must be less than east"
    elif south >= north:
        problem = "south must be less than north"
    if problem:
        msg = f"bounding box W {west} S {south} E {east} N {north}: {problem} ({expected})"
        raise RegionError(msg)
    return box


def bbox_of_case(path: str | Path, *, margin_km: float = DEFAULT_MARGIN_KM) -> BBox:
    """The box around an existing case's sites plus ``margin_km`` on every side.

    The margin is added in the sites' UTM zone (:func:`geo.crs.to_metric`), never in degrees,
    and the enlarged box is taken back to EPSG:4326.

    Raises
    ------
    RegionError
        If the margin is negative or the case has errors.
    """
    import geopandas as gpd  # noqa: PLC0415 - heavy, only when building
    from shapely.geometry import box  # noqa: PLC0415

    from flows import io  # noqa: PLC0415
    from flows._errors import CaseValidationError  # noqa: PLC0415
    from geo import crs as geo_crs  # noqa: PLC0415

    if not margin_km >= 0:
        msg = f"margin_km must be zero or more (got {margin_km})"
        raise RegionError(msg)
    try:
        case = io.read_case(path)
    except CaseValidationError as err:
        msg = f"cannot take the area of {Path(path).name}: {err}"
        raise RegionError(msg) from err
    geoms = case.sites.geometry
    geoms = geoms[~(geoms.is_empty | geoms.isna())]
    metric = geo_crs.to_metric(geoms)
    minx, miny, maxx, maxy = metric.total_bounds
    margin_m = margin_km * 1000.0
    area = gpd.GeoSeries(
        [box(minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m)],
        crs=metric.crs,
    )
    west, south, east, north = (float(v) for v in geo_crs.to_storage(area).total_bounds)
    return parse_bbox([west, south, east, north])


def geocode_bbox(place: str, *, cache_dir: str | Path | None = None) -> BBox:
    """The bounding box of a named place, geocoded online with osmnx (Nominatim), cached.

    The answer is kept under ``<cache_dir>/places`` (default the project's OSM cache,
    :func:`geo.osm.cache_dir`), so the same name needs no network the second time.

    Raises
    ------
    RegionError
        If the place cannot be found.
    NetworkUnavailableError
        If OpenStreetMap cannot be reached (checked in seconds before asking).
    """
    import json  # noqa: PLC0415

    import osmnx as ox  # noqa: PLC0415 - heavy, online only

    from geo import osm  # noqa: PLC0415

    target = osm.cache_dir(cache_dir) / "places" / f"{osm.cache_key({'place': place})}.json"
    if target.is_file():
        return parse_bbox(json.loads(target.read_text(encoding="utf-8"))["bbox"])
    osm.check_reachable(geocoding=True)
    with osm.translate_download_errors(f"the place {place!r}"):
        try:
            found = ox.geocode_to_gdf(place)
        except ox._errors.InsufficientResponseError as err:
            msg = f"OpenStreetMap does not know the place {place!r}"
            raise RegionError(msg) from err
    west, south, east, north = (float(v) for v in found.to_crs(4326).total_bounds)
    bbox = parse_bbox([west, south, east, north])
    target.parent.mkdir(parents=True, exist_ok=True)
    with osm.atomic_path(target) as tmp:
        tmp.write_text(json.dumps({"place": place, "bbox": list(bbox)}), encoding="utf-8")
    return bbox


# -- reference tables -------------------------------------------------------------------------


def layer_nace_table() -> pd.DataFrame:
    """``datasets/reference/layer_nace.csv``: layer values -> NACE code and site kind."""
    import pandas as pd  # noqa: PLC0415

    import datasets  # noqa: PLC0415

    return pd.read_csv(datasets.reference_path("layer_nace.csv"), dtype=str, keep_default_na=False)


def power_plant_factors() -> pd.DataFrame:
    """``datasets/reference/power_plant_factors.csv``: one factor per row, with its source."""
    import pandas as pd  # noqa: PLC0415

    import datasets  # noqa: PLC0415

    table = pd.read_csv(
        datasets.reference_path("power_plant_factors.csv"),
        dtype={"factor": str, "fueltype": str, "technology": str},
        keep_default_na=False,
    )
    table["value"] = table["value"].astype("float64")
    return table


def industry_demand_factors() -> pd.DataFrame:
    """``datasets/reference/industry_demand_factors.csv``: demand factors per Hotmaps subsector."""
    import pandas as pd  # noqa: PLC0415

    import datasets  # noqa: PLC0415

    table = pd.read_csv(
        datasets.reference_path("industry_demand_factors.csv"),
        dtype={"factor": str, "subsector": str},
        keep_default_na=False,
    )
    table["value"] = table["value"].astype("float64")
    return table


def _by_subsector(table: pd.DataFrame, name: str) -> dict[str, float]:
    rows = table[table["factor"] == name]
    return dict(zip(rows["subsector"], rows["value"], strict=True))


def _factor(table: pd.DataFrame, name: str) -> dict[str, float]:
    rows = table[(table["factor"] == name) & (table["technology"] == "*")]
    return dict(zip(rows["fueltype"], rows["value"], strict=True))


# -- layers -> frames -------------------------------------------------------------------------


def _inside(frame: pd.DataFrame, bbox: BBox) -> pd.DataFrame:
    west, south, east, north = bbox
    keep = frame["lon"].between(west, east) & frame["lat"].between(south, north)
    return frame[keep.to_numpy()].reset_index(drop=True)


def _named(names: pd.Series, label: str, ids: pd.Series) -> pd.Series:
    """Names stripped of spaces; a missing or blank one becomes ``<label> <id>``."""
    stripped = names.astype("str").str.strip().where(names.notna(), "")
    return stripped.where(stripped != "", label + " " + ids.astype(str))


def _country(names: pd.Series) -> pd.Series:
    return names.map(_COUNTRIES).astype("object")


def _hotmaps_sites(raw: pd.DataFrame, nace: pd.DataFrame, unmapped: set[str]) -> pd.DataFrame:
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    rows = nace[(nace["layer"] == LAYER_HOTMAPS) & (nace["field"] == "Subsector")]
    codes = raw["subsector"].map(dict(zip(rows["value"], rows["nace"], strict=True)))
    unmapped.update(f"Hotmaps Subsector {v!r}" for v in raw.loc[codes.isna(), "subsector"])
    name = _named(raw["name"].fillna(raw["company"]), "Hotmaps site", raw["hotmaps_id"])
    co2_ets = raw["co2_ets_2014_t_per_yr"]
    co2 = co2_ets.where(co2_ets > 0, raw["co2_eprtr_2014_t_per_yr"])
    return pd.DataFrame(
        {
            "site_id": "hm-" + raw["hotmaps_id"].astype(str),
            "name": name,
            "nace": codes.fillna("C"),
            "lat": raw["lat"],
            "lon": raw["lon"],
            "kind": "company",
            "country": _country(raw["country_name"]),
            "status": "active",
            "start_year": pd.array([pd.NA] * len(raw), dtype="Int64"),
            "end_year": pd.array([pd.NA] * len(raw), dtype="Int64"),
            "layer": LAYER_HOTMAPS,
            "layer_id": raw["hotmaps_id"].astype(str),
            "operator": raw["company"],
            "subsector": raw["subsector"],
            "production_t_per_yr": raw["production_t_per_yr"],
            "fuel_demand_mwh_per_yr": raw["fuel_demand_mwh_per_yr"],
            "co2_2014_t_per_yr": co2,
            "co2_source": np.where(co2_ets > 0, "Emissions_ETS_2014", "Emissions_EPRTR_2014"),
            **{col: raw[col] for col, _, _ in HEAT_BANDS},
        }
    )


def _plant_status(raw: pd.DataFrame, this_year: int) -> pd.Series:
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    ended = (raw["year_out"] < this_year).fillna(False).to_numpy(dtype=bool)
    future = (raw["year_in"] > this_year).fillna(False).to_numpy(dtype=bool)
    return pd.Series(
        np.select([ended, future], ["historical", "planned"], "active"), index=raw.index
    )


def _plant_sites(
    raw: pd.DataFrame, nace: pd.DataFrame, unmapped: set[str], *, this_year: int
) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    ppm = nace[nace["layer"] == LAYER_POWERPLANTS]
    by_set = dict(
        zip(
            ppm.loc[ppm["field"] == "Set", "value"],
            ppm.loc[ppm["field"] == "Set", "nace"],
            strict=True,
        )
    )
    by_fuel = dict(
        zip(
            ppm.loc[ppm["field"] == "Fueltype", "value"],
            ppm.loc[ppm["field"] == "Fueltype", "nace"],
            strict=True,
        )
    )
    codes = raw["set"].map(by_set).fillna(raw["fueltype"].map(by_fuel))
    unmapped.update(f"powerplantmatching Fueltype {v!r}" for v in raw.loc[codes.isna(), "fueltype"])
    name = _named(raw["name"], "Power plant", raw["ppm_id"])
    return pd.DataFrame(
        {
            "site_id": "ppm-" + raw["ppm_id"].astype(str),
            "name": name,
            "nace": codes.fillna("35.1"),
            "lat": raw["lat"],
            "lon": raw["lon"],
            "kind": "power-plant",
            "country": _country(raw["country_name"]),
            "status": _plant_status(raw, this_year),
            # two plants of the layer close before they open: the opening year is dropped
            "start_year": raw["year_in"].where(~(raw["year_out"] < raw["year_in"]).fillna(False)),
            "end_year": raw["year_out"],
            "layer": LAYER_POWERPLANTS,
            "layer_id": raw["ppm_id"].astype(str),
            "fueltype": raw["fueltype"],
            "technology": raw["technology"],
            "plant_set": raw["set"],
            "capacity_mw": raw["capacity_mw"],
        }
    )


# -- merging duplicates -----------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")


def _words(name: object) -> frozenset[str]:
    """Distinctive words of a name: lower case, accents dropped, generic words removed."""
    import unicodedata  # noqa: PLC0415

    if not isinstance(name, str):
        return frozenset()
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    # "ArcelorMittal" and "Arcelor Mittal" are one operator: compare joined words as well.
    words = [w for w in _WORD.findall(plain) if len(w) > 2 and w not in _GENERIC_WORDS]
    joined = {a + b for a, b in itertools.pairwise(words)}
    return frozenset(words) | joined


def _similar(left: frozenset[str], right: frozenset[str]) -> bool:
    if not left or not right:
        return False
    shared = len(left & right)
    return shared / min(len(left), len(right)) >= NAME_SIMILARITY_MIN or (
        shared > 0 and any(len(w) >= 8 for w in left & right)
    )


def _merge_pairs(
    hotmaps: pd.DataFrame, plants: pd.DataFrame, *, distance_m: float
) -> list[tuple[int, int]]:
    """``(hotmaps row, plant row)`` of plants that are a Hotmaps site's own plant.

    A pair qualifies when the plant burns a fuel (a wind farm on a steelworks' land is not the
    steelworks), lies within ``distance_m`` (k-d tree on UTM coordinates, so only nearby pairs
    are ever compared) and its name shares distinctive words with the site's or company's name.
    Each plant goes to its nearest qualifying site.
    """
    import geopandas as gpd  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    from scipy.spatial import cKDTree  # noqa: PLC0415

    from geo import crs as geo_crs  # noqa: PLC0415

    burning = plants.index[plants["fueltype"].isin(_COMBUSTION_FUELS).to_numpy()]
    if len(hotmaps) == 0 or len(burning) == 0:
        return []
    points = gpd.GeoSeries(
        gpd.points_from_xy(
            np.concatenate([hotmaps["lon"], plants.loc[burning, "lon"]]),
            np.concatenate([hotmaps["lat"], plants.loc[burning, "lat"]]),
        ),
        crs=4326,
    )
    metric = geo_crs.to_metric(points)
    xy = np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])
    site_tree = cKDTree(xy[: len(hotmaps)])
    plant_tree = cKDTree(xy[len(hotmaps) :])
    near = plant_tree.sparse_distance_matrix(site_tree, distance_m, output_type="ndarray")
    if len(near) == 0:
        return []
    order = np.argsort(near["v"], kind="stable")
    site_words = [
        _words(n) | _words(c) for n, c in zip(hotmaps["name"], hotmaps["operator"], strict=True)
    ]
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    # Only pairs within distance_m are visited: a handful per plant, never sites x plants.
    for plant_pos, site_pos in zip(near["i"][order], near["j"][order], strict=True):
        plant_row = int(burning[plant_pos])
        if plant_row in taken:
            continue
        if _similar(_words(plants.at[plant_row, "name"]), site_words[int(site_pos)]):
            taken.add(plant_row)
            pairs.append((int(site_pos), plant_row))
    return pairs


# -- flows ------------------------------------------------------------------------------------


def _text(values: pd.Series, spec: str = "g") -> pd.Series:
    """Numbers as text for the ``method`` column (missing -> empty), whatever the length."""
    import pandas as pd  # noqa: PLC0415

    return pd.Series(
        [format(v, spec) if math.isfinite(v) else "" for v in values.to_numpy(dtype="float64")],
        index=values.index,
        dtype="str",
    )


def _period(sites: pd.DataFrame) -> dict[str, Any]:
    return {
        "status": sites["status"].to_numpy(),
        "start_year": sites["start_year"].to_numpy(),
        "end_year": sites["end_year"].to_numpy(),
    }


def _flow_table(
    rows: pd.DataFrame,
    *,
    direction: str,
    resource: Any,
    quantity: Any,
    unit: str,
    basis: str,
    source: str,
    method: Any,
    availability: str,
    temperature_c: float = float("nan"),
    supply_kind: Any = "",
) -> pd.DataFrame:
    """Flow rows of ``rows`` (sites of a layer): every flow the region builder declares has its
    direction, resource, quantity and unit, how it was obtained (``quantity_basis``, ``method``,
    ``source``), is marked estimated, and exists when its site does."""
    import pandas as pd  # noqa: PLC0415

    return pd.DataFrame(
        {
            "site_id": rows["site_id"].to_numpy(),
            "direction": direction,
            "resource": resource,
            "quantity": quantity,
            "unit": unit,
            "temperature_c": temperature_c,
            "supply_kind": supply_kind,
            "availability": availability,
            "source": source,
            "method": method,
            "quantity_basis": basis,
            "estimated": True,
            **_period(rows),
        }
    )


def _hotmaps_flows(sites: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    parts = []
    for column, temperature_c, layer_column in HEAT_BANDS:
        rows = sites[sites[column] > 0]
        parts.append(
            _flow_table(
                rows,
                direction="supply",
                resource="heat",
                quantity=rows[column].to_numpy(),
                unit="MWh/yr",
                basis="modelled",
                source=LAYER_HOTMAPS,
                method=f"Hotmaps {layer_column} (GWh/yr) x 1000",
                availability="excess heat potential modelled by Hotmaps; "
                f"declared at the band's lower bound, {temperature_c:g} C",
                temperature_c=temperature_c,
                supply_kind="surplus-energy",
            )
        )
    rows = sites[sites["co2_2014_t_per_yr"] > 0]
    parts.append(
        _flow_table(
            rows,
            direction="supply",
            resource="co2",
            quantity=rows["co2_2014_t_per_yr"].to_numpy(),
            unit="t/yr",
            basis="reported",
            source=LAYER_HOTMAPS,
            method=("Hotmaps " + rows["co2_source"] + " (t/yr), taken as today's rate").to_numpy(),
            availability="all CO2 the site emitted in 2014; only a fraction (concentrated "
            "process streams, flue gas after capture) can be captured and used",
        )
    )
    return pd.concat(parts, ignore_index=True)


def _hotmaps_demands(sites: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Estimated demands of Hotmaps sites: heat and steam below 200 C from their fuel use,
    materials from their production, with the factors of ``industry_demand_factors.csv``.

    heat (MWh/yr) = fuel x the subsector's share of process heat at the level x the boiler
    efficiency the heat would replace; the fuel is Hotmaps' ``Fuel_Demand``, or where it gives
    none the verified ETS CO2 over natural gas's CO2 per MWh (an upper bound). Material (t/yr)
    = ``Production`` x the rate.
    """
    import pandas as pd  # noqa: PLC0415

    efficiency = _by_subsector(factors, "heat_efficiency")["*"]
    intensity = _by_subsector(factors, "fuel_co2_intensity")["*"]
    reported = sites["fuel_demand_mwh_per_yr"]
    ets = sites["co2_2014_t_per_yr"].where(sites["co2_source"] == "Emissions_ETS_2014")
    from_ets = ~(reported > 0) & (ets > 0)
    fuel = reported.where(~from_ets, ets / intensity)
    fuel_text = ("Hotmaps Fuel_Demand " + _text(fuel, ".0f") + " MWh/yr").where(
        ~from_ets,
        "fuel "
        + _text(fuel, ".0f")
        + " MWh/yr = Hotmaps Emissions_ETS_2014 "
        + _text(ets, ".0f")
        + f" t/yr / fuel_co2_intensity {intensity:g} t/MWh",
    )
    parts = []
    for level, label, resource in HEAT_DEMAND_LEVELS:
        share = sites["subsector"].map(_by_subsector(factors, f"heat_share:{level}"))
        share = share.astype("float64")
        temperature_c = _by_subsector(factors, f"declared_temperature:{level}")["*"]
        heat = fuel * share * efficiency
        pick = (heat > 0).to_numpy(dtype=bool)
        rows = sites[pick]
        parts.append(
            _flow_table(
                rows,
                direction="demand",
                resource=resource,
                quantity=heat[pick].to_numpy(),
                unit="MWh/yr",
                basis="estimated",
                source=f"{LAYER_HOTMAPS} + {DEMAND_FACTORS_ID}",
                method=(
                    fuel_text[pick]
                    + f" x heat_share:{level} "
                    + _text(share[pick])
                    + " ("
                    + rows["subsector"]
                    + f") x heat_efficiency {efficiency:g}"
                ).to_numpy(),
                availability=f"process heat {label} estimated from the subsector's "
                f"fuel use; declared at {temperature_c:g} C",
                temperature_c=temperature_c,
            )
        )
    rates = factors[factors["factor"].str.startswith("material_rate:")]
    for rec in rates.itertuples(index=False):
        ewc = str(rec.factor).split(":", 1)[1]
        amount = sites["production_t_per_yr"] * float(rec.value)
        pick = ((sites["subsector"] == rec.subsector) & (amount > 0)).to_numpy(dtype=bool)
        rows = sites[pick]
        parts.append(
            _flow_table(
                rows,
                direction="demand",
                resource=ewc,
                quantity=amount[pick].to_numpy(),
                unit="t/yr",
                basis="estimated",
                source=f"{LAYER_HOTMAPS} + {DEMAND_FACTORS_ID}",
                method=(
                    "Hotmaps Production "
                    + _text(rows["production_t_per_yr"], ".0f")
                    + f" t/yr x material_rate:{ewc} {float(rec.value):g} ({rec.subsector})"
                ).to_numpy(),
                availability="what the works could take in place of virgin material, "
                "estimated from its production",
            )
        )
    return pd.concat(parts, ignore_index=True)


def _plant_flows(plants: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Residues and CHP heat of power plants, from capacity, fuel and the factor table."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    fuel = plants["fueltype"]
    hours = fuel.map(_factor(factors, "full_load_hours")).astype("float64")
    electricity = plants["capacity_mw"] * hours  # MWh/yr
    layer_eff = plants["efficiency"]
    plausible = layer_eff.between(0.1, 0.7)
    efficiency = layer_eff.where(
        plausible, fuel.map(_factor(factors, "net_efficiency")).astype("float64")
    )
    eff_from = np.where(plausible, "layer", "table")
    ncv = fuel.map(_factor(factors, "ncv")).astype("float64")
    ash_content = fuel.map(_factor(factors, "ash_content")).astype("float64")
    fuel_t = electricity * 3.6 / (efficiency * ncv)  # MWh * GJ/MWh / (GJ/t) = t
    ash_t = fuel_t * ash_content
    base = (
        fuel
        + ": full_load_hours "
        + _text(hours)
        + " h/yr, net_efficiency "
        + _text(efficiency, ".3g")
        + " ("
        + pd.Series(eff_from, index=plants.index)
        + "), ncv "
        + _text(ncv)
        + " GJ/t, ash_content "
        + _text(ash_content)
        + " t/t"
    )
    parts = []
    residues = factors[factors["factor"].str.startswith("residue_share:")]
    for rec in residues.itertuples(index=False):
        ewc = str(rec.factor).split(":", 1)[1]
        pick = (fuel == rec.fueltype) & (ash_t > 0)
        rows = plants[pick]
        parts.append(
            _flow_table(
                rows,
                direction="supply",
                resource=ewc,
                quantity=(ash_t[pick] * float(rec.value)).to_numpy(),
                unit="t/yr",
                basis="estimated",
                source=f"{LAYER_POWERPLANTS} + {FACTORS_ID}",
                method=(base[pick] + f", residue_share:{ewc} {float(rec.value):g}").to_numpy(),
                availability="estimated from capacity and fuel",
            )
        )
    ratio = factors[factors["factor"] == "chp_power_to_heat"]
    generic = dict(
        zip(
            ratio.loc[ratio["technology"] == "*", "fueltype"],
            ratio.loc[ratio["technology"] == "*", "value"],
            strict=True,
        )
    )
    specific = {
        (f, t): v
        for f, t, v in zip(ratio["fueltype"], ratio["technology"], ratio["value"], strict=True)
        if t != "*"
    }
    keys = list(zip(fuel, plants["technology"], strict=True))
    c_b = pd.Series(
        [specific.get(k, generic.get(k[0], np.nan)) for k in keys],
        index=plants.index,
        dtype="float64",
    )
    heat = electricity / c_b
    temperature = _factor(factors, "chp_heat_temperature").get("*", 100.0)
    pick = (plants["plant_set"] == "CHP") & (heat > 0)
    rows = plants[pick]
    parts.append(
        _flow_table(
            rows,
            direction="supply",
            resource="heat",
            quantity=heat[pick].to_numpy(),
            unit="MWh/yr",
            basis="estimated",
            source=f"{LAYER_POWERPLANTS} + {FACTORS_ID}",
            method=(
                rows["fueltype"]
                + ": full_load_hours "
                + _text(hours[pick])
                + " h/yr, chp_power_to_heat "
                + _text(c_b[pick])
                + f", chp_heat_temperature {temperature:g} C"
            ).to_numpy(),
            availability="CHP heat estimated from capacity and fuel",
            temperature_c=temperature,
            supply_kind=np.where(
                rows["fueltype"].isin(_BIOGENIC_FUELS), "produced-chp-biomass", "produced-chp"
            ),
        )
    )
    return pd.concat(parts, ignore_index=True)


# -- parks ------------------------------------------------------------------------------------


def _parks(
    bbox: BBox,
    *,
    osm_file: str | Path | None,
    online: bool,
    cache_dir: str | Path | None,
) -> tuple[gpd.GeoDataFrame | None, str]:
    from shapely.geometry import box  # noqa: PLC0415

    if osm_file is not None:
        from geo import osm  # noqa: PLC0415 - pulls osmnx

        areas = osm.industrial_areas_from_osm_file(osm_file)
        note = f"industrial and port areas of {Path(osm_file).name}"
    elif online:
        from geo import osm  # noqa: PLC0415

        areas = osm.industrial_areas_from_bbox(*bbox, cache_dir=cache_dir)
        note = "industrial and port areas downloaded from OpenStreetMap (cached)"
    else:
        return None, "no parks: give an OSM extract (--osm-file) or allow downloading (--online)"
    areas = areas[areas.intersects(box(*bbox))].reset_index(drop=True)
    return areas, f"{note} inside the area"


def _assign_parks(sites: pd.DataFrame, parks: gpd.GeoDataFrame) -> pd.Series:
    """The park each site lies in (the smallest, where parks overlap), else missing."""
    import geopandas as gpd  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    from geo import crs as geo_crs  # noqa: PLC0415

    out = pd.Series(pd.NA, index=sites.index, dtype="object")
    if len(parks) == 0 or len(sites) == 0:
        return out
    points = gpd.GeoDataFrame(
        {"row": sites.index}, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs=4326
    )
    ranked = parks[["park_id", "geometry"]].copy()
    ranked["area_m2"] = geo_crs.to_metric(ranked.geometry).area.to_numpy()
    joined = gpd.sjoin(points, ranked, how="inner", predicate="within")
    joined = joined.sort_values("area_m2", kind="stable").drop_duplicates("row")
    out.loc[joined["row"].to_numpy()] = joined["park_id"].to_numpy()
    return out


# -- the case ---------------------------------------------------------------------------------


def _sources(*, with_osm: bool) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    from datasets import layers  # noqa: PLC0415

    rows = [
        (
            LAYER_HOTMAPS,
            (
                "Hotmaps project (EU Horizon 2020, grant 723677). Hotmaps Industrial Database: "
                f"georeferenced energy-intensive industrial sites ({layers.HOTMAPS_VERSION}). "
                "CC-BY-4.0."
            ),
            "https://gitlab.com/hotmaps/industrial_sites/industrial_sites_Industrial_Database",
        ),
        (
            LAYER_POWERPLANTS,
            (
                "powerplantmatching, a merged open database of European power plants "
                f"({layers.POWERPLANTS_VERSION}); Gotzens F., Heinrichs H., Hörsch J., "
                "Hofmann F. (2019), Energy Strategy Reviews 23; Zenodo 10.5281/zenodo.1405595. "
                "CC-BY-4.0."
            ),
            "https://github.com/PyPSA/powerplantmatching",
        ),
        (
            FACTORS_ID,
            (
                "SymbioMap power plant factors (datasets/reference/power_plant_factors.csv, "
                "symbiomap-pp-factors 2026.1): full-load hours, efficiencies, ash contents, ECOBA "
                "residue shares, Danish Energy Agency Cb coefficients; each row cites its source."
            ),
            "",
        ),
        (
            DEMAND_FACTORS_ID,
            (
                "SymbioMap industry demand factors "
                "(datasets/reference/industry_demand_factors.csv, "
                "symbiomap-industry-demand 2026.1): process-heat shares by temperature level per "
                "subsector (German WZ 2008 divisions, DemandRegio Disaggregator master-thesis "
                "data), Hotmaps' 90 % boiler efficiency, cement works' gypsum and fly ash rates; "
                "each row cites its source."
            ),
            "",
        ),
        (
            NACE_TABLE_ID,
            "SymbioMap layer NACE mapping (datasets/reference/layer_nace.csv).",
            "",
        ),
    ]
    if with_osm:
        rows.append(
            (
                "osm",
                "OpenStreetMap contributors: landuse=industrial/port and harbour areas. ODbL-1.0.",
                "https://www.openstreetmap.org/copyright",
            )
        )
    return pd.DataFrame(rows, columns=["source_id", "citation", "url"])


def _metadata(*, area: str, bbox: BBox, year: int, country: str, with_osm: bool) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    from datasets import layers  # noqa: PLC0415

    west, south, east, north = bbox
    attribution = (
        "Contains data from the Hotmaps Industrial Database (Hotmaps project, CC-BY-4.0) and "
        "powerplantmatching (Gotzens et al. 2019, CC-BY-4.0)"
        + ("; parks © OpenStreetMap contributors (ODbL-1.0)" if with_osm else "")
    )
    meta = {
        "name": f"Region {area}",
        "description": (
            f"Sites of the bundled EU layers inside W {west:.4f} S {south:.4f} E {east:.4f} "
            f"N {north:.4f}, built by SymbioMap (flows.region) for the reference year {year}. "
            "Flows are the layers' figures or estimates from datasheet factors: see each flow's "
            "source, method and quantity_basis."
        ),
        "country": country,
        "licence": "CC-BY-4.0 (derived from CC-BY-4.0 layers)"
        + ("; parks ODbL-1.0" if with_osm else ""),
        "attribution": attribution,
        "layers_version": layers.LAYERS_VERSION,
        "bbox": f"{west} {south} {east} {north}",
        "reference_year": str(year),
        "sources": ",".join(_sources(with_osm=with_osm)["source_id"]),
    }
    return pd.DataFrame({"key": list(meta), "value": list(meta.values())})


def _resolve_area(
    *,
    bbox: Sequence[float] | None,
    place: str | None,
    case: str | Path | None,
    margin_km: float,
    cache_dir: str | Path | None,
) -> tuple[BBox, str]:
    """The box of the one area given, and how to name it in messages."""
    given = [
        name for name, v in (("bbox", bbox), ("place", place), ("case", case)) if v is not None
    ]
    if len(given) != 1:
        msg = f"give exactly one area (bbox, place or case); got {', '.join(given) or 'none'}"
        raise RegionError(msg)
    if bbox is not None:
        box = parse_bbox(list(bbox))
        return box, "bbox " + " ".join(f"{v:g}" for v in box)
    if place is not None:
        return geocode_bbox(place, cache_dir=cache_dir), f"place {place!r}"
    box = bbox_of_case(Path(str(case)), margin_km=margin_km)
    return box, f"case {Path(str(case)).name} + {margin_km:g} km"


def _apply_merges(
    hm_sites: pd.DataFrame,
    pp_sites: pd.DataFrame,
    pp_flows: pd.DataFrame,
    merges: tuple[tuple[str, str], ...],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Move merged plants' flows to their Hotmaps site, note the plants there, drop their rows."""
    into = {p: s for s, p in merges}
    pp_flows["merged_from"] = pp_flows["site_id"].where(pp_flows["site_id"].isin(into), "")
    pp_flows["site_id"] = pp_flows["site_id"].replace(into)
    merged_rows = pp_sites[pp_sites["site_id"].isin(into)]
    label = (
        merged_rows["site_id"]
        + " "
        + merged_rows["name"]
        + " ("
        + merged_rows["fueltype"]
        + ", "
        + _text(merged_rows["capacity_mw"])
        + " MW"
        + ")"
    )
    joined = label.groupby(merged_rows["site_id"].map(into)).agg("; ".join)
    hm_sites["merged_plants"] = hm_sites["site_id"].map(joined)
    hm_sites["capacity_mw"] = hm_sites["site_id"].map(
        merged_rows.groupby(merged_rows["site_id"].map(into))["capacity_mw"].sum()
    )
    pp_sites = pp_sites[~pp_sites["site_id"].isin(into)]
    return hm_sites, pp_sites, pp_flows


def build_region_case(
    *,
    bbox: Sequence[float] | None = None,
    place: str | None = None,
    case: str | Path | None = None,
    margin_km: float = DEFAULT_MARGIN_KM,
    osm_file: str | Path | None = None,
    online: bool = False,
    year: int | None = None,
    merge_distance_m: float = DEFAULT_MERGE_DISTANCE_M,
    cache_dir: str | Path | None = None,
) -> tuple[Case, RegionReport]:
    """Build a valid case of the bundled layers' sites inside an area.

    Parameters
    ----------
    bbox
        ``(west, south, east, north)`` in degrees.
    place
        A place name geocoded online (osmnx, cached): its bounding box is the area.
    case
        An existing case: the box around its sites plus ``margin_km``.
    margin_km
        Margin around ``case``'s sites, km (measured in metres in their UTM zone).
    osm_file
        Local ``.osm``/``.osm.pbf`` extract whose industrial and port areas become parks.
    online
        Download the parks from OpenStreetMap (cached) when no ``osm_file`` is given.
    year
        Reference year (default: the current one): power plants not in operation that
        year are left out; site and flow statuses are as of today.
    merge_distance_m
        Largest distance, m, at which a power plant can be a Hotmaps site's own plant.
    cache_dir
        Cache folder for geocoding and downloads (default the project's).

    Returns
    -------
    (Case, RegionReport)
        The validated case and what was built.

    Raises
    ------
    RegionError
        If not exactly one area is given, the area is malformed, or no site lies in it.
    CaseValidationError
        If the assembled tables fail validation (a bug of this module).
    """
    import pandas as pd  # noqa: PLC0415

    from datasets import layers  # noqa: PLC0415
    from flows import io  # noqa: PLC0415
    from flows._errors import CaseValidationError  # noqa: PLC0415

    box, area = _resolve_area(
        bbox=bbox, place=place, case=case, margin_km=margin_km, cache_dir=cache_dir
    )
    this_year = dt.datetime.now(tz=dt.UTC).year
    ref_year = this_year if year is None else int(year)

    nace = layer_nace_table()
    factors = power_plant_factors()
    unmapped: set[str] = set()
    hm_raw = _inside(layers.load_industrial_sites(), box)
    pp_raw = _inside(layers.load_power_plants(), box)
    operating = ~((pp_raw["year_in"] > ref_year) | (pp_raw["year_out"] < ref_year)).fillna(
        False
    ).to_numpy(dtype=bool)
    left_out = int((~operating).sum())
    pp_raw = pp_raw[operating].reset_index(drop=True)
    hm_sites = _hotmaps_sites(hm_raw, nace, unmapped)
    pp_sites = _plant_sites(pp_raw, nace, unmapped, this_year=this_year)
    if len(hm_sites) + len(pp_sites) == 0:
        west, south, east, north = box
        msg = (
            f"no site of the bundled layers lies in {area} (W {west} S {south} E {east} "
            f"N {north}, reference year {ref_year}); the layers cover the EU, Norway, "
            "Switzerland, the UK and the Western Balkans: check the order W S E N"
        )
        raise RegionError(msg)

    pp_sites["efficiency"] = pp_raw["efficiency"]
    pp_flows = _plant_flows(pp_sites, factors)
    hm_flows = _hotmaps_flows(hm_sites)
    hm_demands = _hotmaps_demands(hm_sites, industry_demand_factors())
    pairs = _merge_pairs(hm_sites, pp_sites, distance_m=merge_distance_m)
    merges = tuple(
        (str(hm_sites.at[s, "site_id"]), str(pp_sites.at[p, "site_id"])) for s, p in pairs
    )
    if merges:
        hm_sites, pp_sites, pp_flows = _apply_merges(hm_sites, pp_sites, pp_flows, merges)
    sites = pd.concat([hm_sites, pp_sites.drop(columns="efficiency")], ignore_index=True)
    flows = pd.concat([hm_flows, hm_demands, pp_flows], ignore_index=True)
    flows = flows[flows["quantity"] > 0].reset_index(drop=True)

    parks, parks_note = _parks(box, osm_file=osm_file, online=online, cache_dir=cache_dir)
    with_osm = parks is not None
    if parks is not None:
        sites["park_id"] = _assign_parks(sites, parks)
    countries = sites["country"].dropna()
    country = str(countries.mode().iloc[0]) if len(countries) else ""
    tables: dict[str, pd.DataFrame] = {
        "sites": sites,
        "flows": flows,
        "sources": _sources(with_osm=with_osm),
        "metadata": _metadata(
            area=area, bbox=box, year=ref_year, country=country, with_osm=with_osm
        ),
    }
    if parks is not None and len(parks):
        tables["parks"] = parks
    label = f"region-{area}"
    result = io.load_frames(tables, label=label)
    if result.case is None:
        msg = f"the region case ({area}) failed validation:\n{result.report.format()}"
        raise CaseValidationError(msg, result.report)
    basis = flows["quantity_basis"].value_counts()
    heat = hm_flows.loc[hm_flows["resource"] == "heat", "quantity"].sum()
    report = RegionReport(
        area=area,
        bbox=box,
        year=ref_year,
        sites_per_layer={LAYER_HOTMAPS: len(hm_sites), LAYER_POWERPLANTS: len(pp_raw)},
        merged=len(merges),
        merges=merges,
        left_out_by_year=left_out,
        flows_per_basis={str(k): int(v) for k, v in basis.items()},
        flows_estimated=int(flows["estimated"].sum()),
        flows_measured=int((~flows["estimated"].astype(bool)).sum()),
        excess_heat_mwh_per_yr=float(heat),
        parks=0 if parks is None else len(parks),
        sites_in_parks=int(sites["park_id"].notna().sum()) if parks is not None else 0,
        parks_note=parks_note,
        unmapped_nace=tuple(sorted(unmapped)),
        demands=int((flows["direction"] == "demand").sum()),
        heat_demand_mwh_per_yr=float(
            hm_demands.loc[hm_demands["resource"].isin(["heat", "steam"]), "quantity"].sum()
        ),
    )
    return result.case, report


# -- command line -----------------------------------------------------------------------------


def add_region_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``region`` to ``python -m flows``'s sub-commands (``args.func`` runs it)."""
    parser = subparsers.add_parser(
        "region",
        help="build a case from the bundled EU industry and power-plant layers",
        description=(
            "Build a case of the Hotmaps industrial sites and powerplantmatching power plants "
            "inside an area, with flows estimated from the layers, and write it."
        ),
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--bbox", nargs=4, metavar=("W", "S", "E", "N"), help="lon/lat box in degrees"
    )
    where.add_argument("--place", help="a place name, geocoded online (cached)")
    where.add_argument("--case", help="an existing case: its sites' extent plus --margin-km")
    parser.add_argument(
        "--margin-km", type=float, default=DEFAULT_MARGIN_KM, help="margin around --case's sites"
    )
    parser.add_argument("--osm-file", help="local OSM extract whose industrial areas are parks")
    parser.add_argument(
        "--online", action="store_true", help="download the parks from OpenStreetMap (cached)"
    )
    parser.add_argument("--year", type=int, help="reference year (default: this year)")
    parser.add_argument("--out", required=True, help="output .gpkg, .xlsx, .zip or folder")
    parser.set_defaults(func=run_region)


def run_region(args: argparse.Namespace) -> int:
    """Run ``python -m flows region``: 0 written, 1 bad area or input, 2 unreadable/offline."""
    from flows import io  # noqa: PLC0415
    from flows._errors import CaseReadError, CaseWriteError  # noqa: PLC0415

    try:
        case, report = build_region_case(
            bbox=args.bbox,
            place=args.place,
            case=args.case,
            margin_km=args.margin_km,
            osm_file=args.osm_file,
            online=args.online,
            year=args.year,
        )
    except (CaseReadError, ConnectionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (SymbioMapError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(report.format())
    print(f"{case.name}: {len(case.sites)} sites, {len(case.parks)} parks, {len(case.flows)} flows")
    notes: list[str] = []
    try:
        written = io.write_case(case, args.out, notes=notes)
    except (CaseWriteError, CaseReadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {written}")
    for note in notes:
        print(f"note: {note}")
    return 0
