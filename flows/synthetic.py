"""Seeded synthetic cases: realistic-looking industrial clusters of any size, for demos and tests.

The sector mix is data (:data:`ARCHETYPES`): each archetype is a kind of site with a NACE Rev. 2.1
class and the flows such a site typically declares, with log-normal quantity ranges and the
temperatures of heat and steam. :func:`generate_case` places sites in and around business parks,
draws their flows, links a few compatible supplies and demands as exchanges, and validates the
result through :func:`flows.io.load_frames`, exactly as a file would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from flows import io, reference
from flows._errors import CaseValidationError
from flows.model import Case
from geo.crs import STORAGE_CRS, metric_crs, to_metric, to_storage

__all__ = ["ARCHETYPES", "Archetype", "FlowSpec", "generate_case"]

Direction = Literal["supply", "demand"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlowSpec:
    """A flow that sites of an archetype typically declare.

    Attributes
    ----------
    direction
        ``supply`` or ``demand``.
    resource
        EWC code in ``10 01 05`` form (``*`` for hazardous) or a carrier key.
    unit
        ``t/yr``, ``MWh/yr`` or ``m3/yr``.
    low, high
        The 5th and 95th percentiles of the log-normal annual quantity, in ``unit``.
    temperature_c
        Range (°C) the temperature is drawn from uniformly; heat and steam only.
    weight
        Relative chance that a site lists this flow among its first ones.
    """

    direction: Direction
    resource: str
    unit: str
    low: float
    high: float
    temperature_c: tuple[float, float] | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Archetype:
    """A kind of site: sector, what it is, where it tends to be and what it exchanges.

    Attributes
    ----------
    key
        Short identifier.
    label
        Suffix of generated site names (``"Arden Brewery"``).
    weight
        Relative share of sites of this archetype.
    nace
        NACE Rev. 2.1 class.
    kind
        Site kind (:data:`flows.schema.SITE_KINDS`).
    park_share
        Chance that a site of this archetype lies in a park rather than scattered.
    flows
        The flows such a site declares, most typical first.
    """

    key: str
    label: str
    weight: float
    nace: str
    kind: str
    park_share: float
    flows: tuple[FlowSpec, ...]


def _s(
    resource: str,
    unit: str,
    low: float,
    high: float,
    *,
    temperature_c: tuple[float, float] | None = None,
    weight: float = 1.0,
) -> FlowSpec:
    return FlowSpec("supply", resource, unit, low, high, temperature_c, weight)


def _d(
    resource: str,
    unit: str,
    low: float,
    high: float,
    *,
    temperature_c: tuple[float, float] | None = None,
    weight: float = 1.0,
) -> FlowSpec:
    return FlowSpec("demand", resource, unit, low, high, temperature_c, weight)


T, MWH, M3 = "t/yr", "MWh/yr", "m3/yr"

# EWC codes are those of the European List of Waste (Decision 2000/532/EC as amended).
# fmt: off
ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("power-plant", "Power Station", 0.15, "35.11", "power-plant", 0.7, (
        _s("10 01 02", T, 2e4, 4e5, weight=3),  # coal fly ash
        _s("10 01 05", T, 1e4, 2e5, weight=3),  # FGD gypsum
        _s("heat", MWH, 5e4, 1.5e6, temperature_c=(90, 120), weight=3),
        _s("steam", MWH, 5e4, 1e6, temperature_c=(180, 300), weight=2),
        _s("cooling-water", M3, 1e6, 5e7, weight=2),
        _s("10 01 01", T, 5e3, 8e4),  # bottom ash and boiler dust
        _s("co2", T, 2e5, 4e6),
        _d("surface-water", M3, 1e6, 5e7),
        _d("19 12 10", T, 2e4, 2e5, weight=0.5),  # refuse-derived fuel
    )),
    Archetype("refinery", "Refinery", 0.06, "19.20", "company", 0.95, (
        _s("fuel-gas", MWH, 1e5, 2e6, weight=3),
        _s("co2", T, 1e5, 2e6, weight=3),
        _s("16 08 02*", T, 50, 2e3, weight=2),  # spent catalysts with hazardous metals
        _d("steam", MWH, 1e5, 2e6, temperature_c=(200, 400), weight=2),
        _s("heat", MWH, 5e4, 5e5, temperature_c=(70, 130)),
        _s("05 01 03*", T, 500, 2e4),  # tank bottom sludges
        _d("hydrogen", T, 1e3, 3e4),
        _d("process-water", M3, 5e5, 1e7),
        _s("wastewater", M3, 5e5, 8e6),
    )),
    Archetype("organic-chemicals", "Chemicals", 0.8, "20.14", "company", 0.9, (
        _d("steam", MWH, 2e4, 8e5, temperature_c=(150, 300), weight=3),
        _s("heat", MWH, 1e4, 3e5, temperature_c=(60, 110), weight=2),
        _s("07 01 08*", T, 100, 1e4, weight=2),  # still bottoms and reaction residues
        _s("hydrogen", T, 500, 2e4),
        _s("co2", T, 1e4, 5e5),
        _s("07 01 12", T, 200, 5e3),  # effluent treatment sludge
        _d("process-water", M3, 1e5, 5e6),
        _d("natural-gas", MWH, 5e4, 1e6),
        _s("wastewater", M3, 1e5, 3e6),
    )),
    Archetype("fertilisers", "Fertilisers", 0.08, "20.15", "company", 0.9, (
        _s("co2", T, 1e5, 1e6, weight=3),
        _s("heat", MWH, 2e4, 4e5, temperature_c=(80, 130), weight=2),
        _d("steam", MWH, 5e4, 8e5, temperature_c=(180, 350), weight=2),
        _s("06 09 04", T, 1e4, 2e5),  # calcium-based reaction wastes (phosphogypsum)
        _d("hydrogen", T, 2e3, 5e4),
        _d("natural-gas", MWH, 2e5, 3e6),
        _s("06 03 14", T, 500, 1e4),  # solid salts and solutions
    )),
    Archetype("plastics", "Polymers", 0.5, "20.16", "company", 0.9, (
        _s("07 02 13", T, 200, 8e3, weight=3),  # waste plastic
        _d("steam", MWH, 1e4, 3e5, temperature_c=(150, 250), weight=2),
        _s("heat", MWH, 5e3, 1e5, temperature_c=(50, 90)),
        _d("cooling-water", M3, 1e5, 3e6),
        _d("19 12 04", T, 1e3, 3e4),  # sorted plastic and rubber
        _s("15 01 02", T, 50, 1e3),  # plastic packaging
    )),
    Archetype("meat", "Meat Processing", 1.0, "10.11", "company", 0.8, (
        _s("02 02 03", T, 500, 2e4, weight=3),  # materials unsuitable for consumption
        _d("heat", MWH, 2e3, 5e4, temperature_c=(55, 85), weight=3),
        _s("wastewater", M3, 5e4, 1e6, weight=2),
        _s("02 02 04", T, 200, 5e3),  # effluent treatment sludge
        _d("steam", MWH, 2e3, 3e4, temperature_c=(120, 180)),
        _d("process-water", M3, 2e4, 5e5),
        _s("15 01 01", T, 50, 1e3),  # paper and cardboard packaging
    )),
    Archetype("vegetables", "Foods", 1.0, "10.39", "company", 0.8, (
        _s("02 03 04", T, 1e3, 5e4, weight=3),  # materials unsuitable for consumption
        _d("heat", MWH, 2e3, 6e4, temperature_c=(55, 70), weight=3),
        _s("wastewater", M3, 5e4, 1e6, weight=2),
        _s("02 03 05", T, 200, 5e3),  # effluent treatment sludge
        _s("02 03 01", T, 500, 1e4),  # washing, peeling and separation sludges
        _d("process-water", M3, 2e4, 8e5),
        _s("15 01 01", T, 50, 1e3),
    )),
    Archetype("dairy", "Dairy", 0.5, "10.51", "company", 0.7, (
        _s("02 05 01", T, 500, 1e4, weight=3),  # materials unsuitable for consumption
        _d("heat", MWH, 5e3, 8e4, temperature_c=(60, 80), weight=3),
        _d("steam", MWH, 5e3, 5e4, temperature_c=(130, 180), weight=2),
        _s("02 05 02", T, 200, 5e3),  # effluent treatment sludge
        _s("wastewater", M3, 5e4, 1e6),
        _s("heat", MWH, 1e3, 2e4, temperature_c=(30, 45)),
    )),
    Archetype("brewery", "Brewery", 0.4, "11.05", "company", 0.6, (
        _s("02 07 04", T, 2e3, 6e4, weight=3),  # spent grain
        _s("co2", T, 1e3, 3e4, weight=3),
        _d("heat", MWH, 3e3, 5e4, temperature_c=(70, 95), weight=2),
        _s("wastewater", M3, 5e4, 8e5),
        _d("process-water", M3, 5e4, 1e6),
        _s("02 07 01", T, 100, 2e3),  # washing, cleaning and reduction wastes
    )),
    Archetype("paper", "Paper Mill", 0.3, "17.12", "company", 0.8, (
        _s("03 03 11", T, 2e3, 5e4, weight=3),  # effluent treatment sludge
        _d("steam", MWH, 5e4, 8e5, temperature_c=(150, 200), weight=3),
        _d("15 01 01", T, 2e4, 4e5, weight=2),  # recovered paper and cardboard
        _s("03 03 07", T, 1e3, 3e4),  # rejects from pulping waste paper
        _d("heat", MWH, 1e4, 2e5, temperature_c=(80, 100)),
        _s("heat", MWH, 1e4, 1.5e5, temperature_c=(40, 70)),
        _d("process-water", M3, 5e5, 1e7),
    )),
    Archetype("steel", "Steelworks", 0.05, "24.10", "company", 0.95, (
        _s("10 02 02", T, 1e5, 2e6, weight=3),  # unprocessed slag
        _s("heat", MWH, 1e5, 2e6, temperature_c=(150, 250), weight=3),
        _s("fuel-gas", MWH, 5e5, 5e6, weight=2),
        _d("19 12 02", T, 1e5, 1e6, weight=2),  # ferrous metal from waste sorting
        _s("10 02 10", T, 5e3, 5e4),  # mill scales
        _s("co2", T, 1e6, 8e6),
        _d("process-water", M3, 1e6, 3e7),
    )),
    Archetype("cement", "Cement", 0.06, "23.51", "company", 0.7, (
        _d("10 01 02", T, 2e4, 3e5, weight=3),  # fly ash
        _d("10 01 05", T, 1e4, 8e4, weight=3),  # gypsum as set retarder
        _d("19 12 10", T, 2e4, 2e5, weight=3),  # alternative fuels
        _d("10 02 02", T, 5e4, 5e5, weight=2),  # slag
        _d("16 01 03", T, 5e3, 5e4),  # end-of-life tyres
        _s("heat", MWH, 5e4, 5e5, temperature_c=(200, 350)),
        _s("co2", T, 3e5, 2e6),
        _s("10 13 06", T, 1e3, 2e4),  # kiln dust
    )),
    Archetype("plaster", "Plasterboard", 0.1, "23.62", "company", 0.8, (
        _d("10 01 05", T, 5e4, 4e5, weight=4),  # FGD gypsum
        _d("heat", MWH, 2e4, 2e5, temperature_c=(150, 200), weight=2),
        _d("17 08 02", T, 5e3, 5e4),  # recycled gypsum-based construction materials
        _s("heat", MWH, 5e3, 5e4, temperature_c=(60, 90)),
        _s("10 13 14", T, 500, 1e4),  # production rejects
    )),
    Archetype("glass", "Glassworks", 0.15, "23.11", "company", 0.85, (
        _d("19 12 05", T, 1e4, 1e5, weight=3),  # cullet from waste sorting
        _s("heat", MWH, 2e4, 3e5, temperature_c=(250, 450), weight=3),
        _s("10 11 12", T, 1e3, 2e4, weight=2),  # waste glass
        _d("natural-gas", MWH, 1e5, 1e6),
        _s("co2", T, 5e4, 3e5),
        _s("10 11 20", T, 50, 2e3),  # solid wastes from on-site effluent treatment
    )),
    Archetype("sawmill", "Timber", 0.5, "16.11", "company", 0.5, (
        _s("03 01 05", T, 2e3, 5e4, weight=3),  # sawdust, shavings, cuttings
        _s("03 01 01", T, 1e3, 2e4, weight=2),  # bark
        _d("heat", MWH, 5e3, 5e4, temperature_c=(60, 90), weight=2),
        _s("15 01 03", T, 50, 2e3),  # wooden packaging
    )),
    Archetype("greenhouse", "Greenhouses", 0.8, "01.13", "farm", 0.15, (
        _d("heat", MWH, 5e3, 1e5, temperature_c=(45, 60), weight=3),
        _d("co2", T, 500, 2e4, weight=3),
        _s("02 01 03", T, 200, 5e3, weight=2),  # plant-tissue waste
        _d("treated-wastewater", M3, 2e4, 5e5),
        _d("02 01 06", T, 100, 3e3),  # manure used as fertiliser
    )),
    Archetype("livestock", "Farm", 0.6, "01.46", "farm", 0.05, (
        _s("02 01 06", T, 2e3, 3e4, weight=3),  # animal faeces, urine and manure
        _d("heat", MWH, 500, 5e3, temperature_c=(40, 60)),
        _d("02 03 04", T, 500, 1e4),  # food residues as feed
        _d("process-water", M3, 5e3, 1e5),
    )),
    Archetype("district-heating", "District Heating", 0.15, "35.30", "district-heating", 0.4, (
        _d("heat", MWH, 5e4, 1e6, temperature_c=(70, 95), weight=4),
        _d("03 01 05", T, 1e4, 1e5, weight=2),  # biomass fuel
        _d("biogas", MWH, 1e4, 1e5),
        _s("10 01 01", T, 500, 5e3),  # boiler ash
    )),
    Archetype("wastewater", "Wastewater Plant", 0.25, "37.00", "wastewater-plant", 0.3, (
        _s("19 08 05", T, 2e3, 4e4, weight=3),  # urban wastewater sludge
        _s("treated-wastewater", M3, 1e6, 3e7, weight=3),
        _d("wastewater", M3, 1e6, 3e7, weight=2),
        _s("biogas", MWH, 5e3, 8e4, weight=2),
        _s("heat", MWH, 1e4, 1e5, temperature_c=(12, 25)),
        _s("19 08 01", T, 100, 2e3),  # screenings
    )),
    Archetype("waste-to-energy", "Waste-to-Energy", 0.08, "38.22", "waste-management", 0.8, (
        _d("20 03 01", T, 1e5, 6e5, weight=3),  # mixed municipal waste
        _s("heat", MWH, 1e5, 1e6, temperature_c=(90, 130), weight=3),
        _s("19 01 12", T, 2e4, 1e5, weight=2),  # bottom ash and slag
        _s("steam", MWH, 5e4, 5e5, temperature_c=(200, 400)),
        _d("19 12 10", T, 2e4, 2e5),
        _s("19 01 07*", T, 2e3, 1.5e4),  # solid wastes from gas treatment
        _s("19 01 02", T, 2e3, 2e4),  # ferrous materials from bottom ash
    )),
    Archetype("recycling", "Recycling", 0.6, "38.21", "waste-management", 0.85, (
        _d("15 01 01", T, 5e3, 1e5, weight=2),
        _d("15 01 02", T, 2e3, 5e4, weight=2),
        _s("19 12 02", T, 2e3, 1e5, weight=2),  # ferrous metal
        _s("19 12 04", T, 1e3, 3e4),  # plastic and rubber
        _s("19 12 05", T, 1e3, 3e4),  # glass
        _s("19 12 10", T, 5e3, 1e5),  # combustible waste (refuse-derived fuel)
        _d("17 01 07", T, 1e4, 2e5),  # concrete, bricks, tiles mixtures
        _d("16 01 03", T, 1e3, 2e4),  # end-of-life tyres
        _d("10 11 12", T, 500, 1e4),  # waste glass
        _d("12 01 01", T, 500, 2e4),  # ferrous filings and turnings
        _d("15 01 03", T, 500, 1e4),  # wooden packaging
        _d("07 02 13", T, 500, 1e4),  # waste plastic
    )),
    Archetype("biogas", "Biogas", 0.25, "35.21", "utility", 0.5, (
        _s("biogas", MWH, 1e4, 2e5, weight=3),
        _d("02 03 04", T, 5e3, 5e4, weight=2),
        _d("02 02 03", T, 2e3, 3e4, weight=2),
        _s("19 06 06", T, 5e3, 8e4, weight=2),  # digestate
        _d("02 07 04", T, 2e3, 3e4),
        _d("02 05 01", T, 1e3, 2e4),
        _d("02 01 06", T, 1e4, 1e5),
        _d("19 08 05", T, 2e3, 3e4),
        _s("co2", T, 2e3, 3e4),
        _s("heat", MWH, 2e3, 3e4, temperature_c=(70, 90)),
    )),
    Archetype("data-centre", "Data Centre", 0.2, "63.10", "company", 0.7, (
        _s("heat", MWH, 5e3, 1e5, temperature_c=(30, 45), weight=4),
        _d("process-water", M3, 2e4, 5e5),
        _s("16 02 14", T, 10, 200),  # discarded equipment
    )),
    Archetype("metalworks", "Metalworks", 3.0, "25.11", "company", 0.9, (
        _s("12 01 01", T, 50, 2e3, weight=3),  # ferrous filings and turnings
        _d("heat", MWH, 200, 5e3, temperature_c=(40, 70), weight=2),
        _s("12 01 09*", T, 10, 300),  # machining emulsions
        _s("15 01 01", T, 10, 300),
        _s("15 01 03", T, 10, 300),
        _s("08 01 11*", T, 1, 50),  # waste paint with solvents
    )),
    Archetype("logistics", "Logistics", 3.0, "52.10", "company", 0.95, (
        _s("15 01 01", T, 50, 2e3, weight=3),
        _s("15 01 02", T, 20, 800, weight=3),
        _s("15 01 03", T, 20, 1e3, weight=2),
        _d("heat", MWH, 200, 5e3, temperature_c=(40, 60)),
        _s("20 03 01", T, 20, 500),
    )),
)
# fmt: on
"""The sector mix of synthetic cases."""

_NAME_STEMS = (
    "Arden",
    "Belmont",
    "Castor",
    "Delta",
    "Elbe",
    "Fennick",
    "Galen",
    "Haven",
    "Iris",
    "Juno",
    "Kestrel",
    "Linden",
    "Meridian",
    "Norden",
    "Orion",
    "Polder",
    "Quarry",
    "Rhenus",
    "Schelde",
    "Talbot",
    "Umber",
    "Vesta",
    "Weser",
    "Yser",
    "Zenith",
    "Alder",
    "Brugge",
    "Corvus",
    "Dover",
    "Esker",
    "Flint",
    "Granite",
    "Heron",
    "Ivory",
    "Jasper",
    "Kaolin",
    "Lark",
    "Marl",
    "Nimbus",
    "Oak",
)
_PARK_KINDS = ("business-park", "industrial-area", "port", "hub")
_PARK_KIND_WEIGHTS = (0.55, 0.3, 0.1, 0.05)
_PARK_KIND_LABELS = {
    "business-park": "Business Park",
    "industrial-area": "Industrial Zone",
    "port": "Port Area",
    "hub": "Logistics Hub",
}
_PARK_SITE_SHARE = 0.8
"""Share of sites that lie inside a park (when there are parks)."""
_PARK_COVERAGE = 0.25
"""Largest share of the disc the parks' bounding circles may cover."""
_PARK_GAP_M = 200.0
_PARK_INSET_M = 30.0
"""Sites are placed this far inside their park's outline, so they stay inside in lon/lat."""
_PARK_BLOB_MEDIAN_M = 300.0
_EDGE_FACTOR = 0.99
"""Sites stay within this share of the radius (UTM scale error is well below 1 %)."""
_SITE_SIZE_CORRELATION = 0.6
"""Correlation of the log quantities of one site's flows (big sites are big in everything)."""
_Z_95 = 1.6448536269514722
_EXCHANGE_SHARE = 0.01
"""Share of supply flows for which an exchange partner is sought."""
_EXCHANGE_MAX_M = 10_000.0
_PIPELINE_FAMILIES = {"heat", "water", "gas"}
_FIRST_YEAR, _LAST_YEAR = 1975, 2024
_CONFIDENTIAL_SHARE = 0.1
_SOURCE_ID = "synthetic"


@dataclass(frozen=True)
class _SpecTable:
    """Every FlowSpec of every archetype as flat arrays (index = global spec number)."""

    offsets: IntArray
    direction: npt.NDArray[np.str_]
    resource: npt.NDArray[np.str_]
    unit: npt.NDArray[np.str_]
    log_mu: FloatArray
    log_sigma: FloatArray
    t_low: FloatArray
    t_high: FloatArray
    weight: FloatArray


def _spec_table() -> _SpecTable:
    specs = [f for a in ARCHETYPES for f in a.flows]
    low = np.log([f.low for f in specs])
    high = np.log([f.high for f in specs])
    temps = [f.temperature_c or (np.nan, np.nan) for f in specs]
    return _SpecTable(
        offsets=np.cumsum([0, *(len(a.flows) for a in ARCHETYPES)]).astype(np.int64),
        direction=np.array([f.direction for f in specs]),
        resource=np.array([f.resource for f in specs]),
        unit=np.array([f.unit for f in specs]),
        log_mu=(low + high) / 2,
        log_sigma=(high - low) / (2 * _Z_95),
        t_low=np.array([t[0] for t in temps], dtype=np.float64),
        t_high=np.array([t[1] for t in temps], dtype=np.float64),
        weight=np.array([f.weight for f in specs], dtype=np.float64),
    )


# -- public API -------------------------------------------------------------------------------


def generate_case(
    n_sites: int,
    *,
    seed: int = 0,
    center_lat: float = 51.23,
    center_lon: float = 4.40,
    radius_km: float = 25.0,
    n_parks: int | None = None,
    flows_per_site: float = 5.0,
    country: str = "BE",
) -> Case:
    """Generate a validated synthetic case; the same arguments always give the same case.

    Parameters
    ----------
    n_sites
        Number of sites (at least 1).
    seed
        Seed of ``numpy.random.default_rng``.
    center_lat, center_lon
        Centre of the cluster in decimal degrees (WGS84).
    radius_km
        Every site lies within this geodesic distance of the centre.
    n_parks
        Number of business parks; default ``round(sqrt(n_sites) / 2)``, at least 1. With 0
        parks every site is scattered; otherwise about 80 % of the sites lie in parks.
    flows_per_site
        Mean number of flows (supplies and demands) per site.
    country
        ISO 3166 alpha-2 code written to the metadata.

    Returns
    -------
    Case
        Sites, parks, flows, a few exchanges, one source and metadata, in EPSG:4326.

    Raises
    ------
    ValueError
        If an argument is out of range.
    CaseValidationError
        If the generated tables fail validation (a bug of this module).
    """
    _check_arguments(n_sites, radius_km, n_parks, flows_per_site)
    rng = np.random.default_rng(seed)
    parks_n = max(1, round(np.sqrt(n_sites) / 2)) if n_parks is None else n_parks

    centre = gpd.GeoSeries(shapely.points([center_lon], [center_lat]), crs=STORAGE_CRS)
    crs = metric_crs(centre)
    centre_m = to_metric(centre, crs=crs).iloc[0]
    radius_m = radius_km * 1000.0 * _EDGE_FACTOR

    park_polys = _park_polygons(rng, parks_n, centre_m.x, centre_m.y, radius_m)
    weights = np.array([a.weight for a in ARCHETYPES])
    shares = np.array([a.park_share for a in ARCHETYPES])
    n_in = round(_PARK_SITE_SHARE * n_sites) if parks_n else 0
    arch_in = rng.choice(len(ARCHETYPES), size=n_in, p=_normalised(weights * shares))
    arch_out = rng.choice(
        len(ARCHETYPES), size=n_sites - n_in, p=_normalised(weights * (1 - shares))
    )
    park_of, x_in, y_in = _points_in_parks(rng, park_polys, n_in)
    x_out, y_out = _scattered_points(
        rng, park_polys, n_sites - n_in, cx=centre_m.x, cy=centre_m.y, radius_m=radius_m
    )
    # Interleave park and scattered sites so that site order says nothing about location.
    order = rng.permutation(n_sites)
    archetype = np.concatenate([arch_in, arch_out])[order]
    x = np.concatenate([x_in, x_out])[order]
    y = np.concatenate([y_in, y_out])[order]
    park_index = np.concatenate([park_of, np.full(n_sites - n_in, -1)])[order]

    parks = _parks_frame(rng, park_polys, crs)
    sites = _sites_frame(
        rng,
        archetype,
        x=x,
        y=y,
        park_index=park_index,
        park_ids=parks["park_id"].to_numpy(),
        crs=crs,
    )
    flows = _flows_frame(rng, archetype, sites["site_id"].to_numpy(), flows_per_site)
    exchanges = _exchanges_frame(rng, flows, x=x, y=y)
    tables: dict[str, pd.DataFrame] = {
        "sites": sites,
        "parks": parks,
        "flows": flows.drop(columns="_site"),
        "exchanges": exchanges,
        "sources": pd.DataFrame(
            {
                "source_id": [_SOURCE_ID],
                "citation": [f"SymbioMap synthetic generator, seed {seed}"],
            }
        ),
        "metadata": _metadata_frame(
            n_sites,
            seed=seed,
            country=country,
            center_lat=center_lat,
            center_lon=center_lon,
            radius_km=radius_km,
        ),
    }
    label = f"synthetic-{n_sites}-seed{seed}"
    result = io.load_frames(tables, label=label)
    if result.case is None:
        msg = f"the synthetic case ({label}) failed validation:\n{result.report.format()}"
        raise CaseValidationError(msg, result.report)
    return result.case


# -- arguments --------------------------------------------------------------------------------


def _check_arguments(
    n_sites: int, radius_km: float, n_parks: int | None, flows_per_site: float
) -> None:
    if n_sites < 1:
        msg = f"n_sites must be at least 1, not {n_sites}"
        raise ValueError(msg)
    if not radius_km > 0:
        msg = f"radius_km must be positive, not {radius_km}"
        raise ValueError(msg)
    if n_parks is not None and n_parks < 0:
        msg = f"n_parks must be 0 or more, not {n_parks}"
        raise ValueError(msg)
    if not flows_per_site >= 0:
        msg = f"flows_per_site must be 0 or more, not {flows_per_site}"
        raise ValueError(msg)


def _normalised(values: FloatArray) -> FloatArray:
    out: FloatArray = values / values.sum()
    return out


# -- geography --------------------------------------------------------------------------------


def _park_polygons(
    rng: np.random.Generator, n_parks: int, cx: float, cy: float, radius_m: float
) -> npt.NDArray[np.object_]:
    """Irregular, non-overlapping park outlines in the metric CRS.

    Each park is a short random walk of 3-8 points buffered by a blob radius; steps are shorter
    than the blob diameter, so the buffers overlap and the outline is one polygon.
    """
    if n_parks == 0:
        return np.empty(0, dtype=object)
    n_points = rng.integers(3, 9, size=n_parks)
    blob = _PARK_BLOB_MEDIAN_M * np.exp(0.35 * rng.standard_normal(n_parks))
    park = np.repeat(np.arange(n_parks), n_points)
    step = blob[park] * rng.uniform(0.5, 1.4, size=park.size)
    angle = rng.uniform(0, 2 * np.pi, size=park.size)
    first = np.r_[0, np.cumsum(n_points)[:-1]]
    step[first] = 0.0
    dx = _cumsum_by_group(step * np.cos(angle), first)
    dy = _cumsum_by_group(step * np.sin(angle), first)
    # Centre each walk on its mean and measure the bounding circle.
    dx -= np.bincount(park, dx)[park] / n_points[park]
    dy -= np.bincount(park, dy)[park] / n_points[park]
    extent = np.zeros(n_parks)
    np.maximum.at(extent, park, np.hypot(dx, dy))
    extent += blob
    # Shrink every park alike if they would crowd the disc or stick out of it.
    scale = min(
        1.0,
        np.sqrt(_PARK_COVERAGE * radius_m**2 / np.sum(extent**2)),
        0.5 * radius_m / extent.max(),
    )
    extent *= scale
    px, py, shrink = _place_parks(rng, extent, radius_m, gap_m=_PARK_GAP_M * scale)
    dx, dy, blob = dx * scale * shrink, dy * scale * shrink, blob * scale * shrink
    points = shapely.points(cx + px[park] + dx, cy + py[park] + dy)
    walks = shapely.multipoints(points, indices=park)
    return np.asarray(shapely.buffer(walks, blob, quad_segs=4), dtype=object)


def _cumsum_by_group(values: FloatArray, first: IntArray) -> FloatArray:
    """Cumulative sum restarting at each index of ``first`` (sorted group starts)."""
    total = np.cumsum(values)
    starts = np.zeros(values.size, dtype=np.int64)
    starts[first] = first
    starts = np.maximum.accumulate(starts)
    out: FloatArray = total - total[starts] + values[starts]
    return out


def _place_parks(
    rng: np.random.Generator, extent: FloatArray, radius_m: float, *, gap_m: float
) -> tuple[FloatArray, FloatArray, float]:
    """Centres (relative to the disc centre) and a shrink factor for the parks.

    Each park gets its own cell of a square grid (cells wholly inside the disc) and a random
    spot in it where its bounding circle stays inside the cell: parks never overlap and never
    leave the disc. When there are fewer cells than parks, cells and parks shrink alike.
    """
    n = extent.size
    full = 2 * extent.max() + gap_m
    cell = full
    while True:
        half = int(radius_m // cell)
        ticks = (np.arange(-half, half) + 0.5) * cell
        gx, gy = (g.ravel() for g in np.meshgrid(ticks, ticks))
        fits = np.hypot(np.abs(gx) + cell / 2, np.abs(gy) + cell / 2) <= radius_m
        if int(fits.sum()) >= n:
            break
        cell *= 0.9
    shrink = cell / full
    pick = rng.permutation(np.flatnonzero(fits))[:n]
    room = np.maximum(cell / 2 - (extent + gap_m / 2) * shrink, 0.0)
    jx, jy = rng.uniform(-1, 1, size=(2, n)) * room
    return gx[pick] + jx, gy[pick] + jy, shrink


def _points_in_parks(
    rng: np.random.Generator, polys: npt.NDArray[np.object_], n: int
) -> tuple[IntArray, FloatArray, FloatArray]:
    """``n`` points spread over the parks in proportion to their area, by rejection."""
    if n == 0 or polys.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    area = shapely.area(polys)
    inset = np.minimum(_PARK_INSET_M, 0.1 * np.sqrt(area))
    inner = shapely.buffer(polys, -inset, quad_segs=4)
    shapely.prepare(inner)
    bounds = shapely.bounds(inner)
    park = np.sort(rng.choice(polys.size, size=n, p=_normalised(area))).astype(np.int64)
    x, y = np.empty(n), np.empty(n)
    todo = np.arange(n)
    while todo.size:
        b = bounds[park[todo]]
        cand_x = rng.uniform(b[:, 0], b[:, 2])
        cand_y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(inner[park[todo]], cand_x, cand_y)
        x[todo[inside]], y[todo[inside]] = cand_x[inside], cand_y[inside]
        todo = todo[~inside]
    return park, x, y


def _scattered_points(
    rng: np.random.Generator,
    polys: npt.NDArray[np.object_],
    n: int,
    *,
    cx: float,
    cy: float,
    radius_m: float,
) -> tuple[FloatArray, FloatArray]:
    """``n`` points uniform in the disc, outside every park (with a margin)."""
    x, y = np.empty(n), np.empty(n)
    tree = shapely.STRtree(shapely.buffer(polys, 2 * _PARK_INSET_M, quad_segs=4))
    todo = np.arange(n)
    while todo.size:
        r = radius_m * np.sqrt(rng.random(todo.size))
        a = rng.uniform(0, 2 * np.pi, todo.size)
        cand_x, cand_y = cx + r * np.cos(a), cy + r * np.sin(a)
        hit = np.zeros(todo.size, dtype=bool)
        if polys.size:
            hit[tree.query(shapely.points(cand_x, cand_y), predicate="intersects")[0]] = True
        x[todo[~hit]], y[todo[~hit]] = cand_x[~hit], cand_y[~hit]
        todo = todo[hit]
    return x, y


def _lonlat(x: FloatArray, y: FloatArray, crs: object) -> tuple[FloatArray, FloatArray]:
    points = to_storage(gpd.GeoSeries(shapely.points(x, y), crs=crs))
    return np.round(points.x.to_numpy(), 6), np.round(points.y.to_numpy(), 6)


# -- tables -----------------------------------------------------------------------------------


def _ids(prefix: str, n: int) -> npt.NDArray[np.str_]:
    width = max(4, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)])


def _parks_frame(
    rng: np.random.Generator, polys: npt.NDArray[np.object_], crs: object
) -> gpd.GeoDataFrame:
    n = polys.size
    kind = rng.choice(len(_PARK_KINDS), size=n, p=_PARK_KIND_WEIGHTS)
    stem = rng.integers(0, len(_NAME_STEMS), size=n)
    names = [
        f"{_NAME_STEMS[s]} {_PARK_KIND_LABELS[_PARK_KINDS[k]]} {i}"
        for i, (s, k) in enumerate(zip(stem, kind, strict=True), start=1)
    ]
    geometry = to_storage(gpd.GeoSeries(polys, crs=crs))
    return gpd.GeoDataFrame(
        {"park_id": _ids("P", n), "name": names, "kind": np.array(_PARK_KINDS)[kind]},
        geometry=geometry.to_numpy(),
        crs=STORAGE_CRS,
    )


def _sites_frame(
    rng: np.random.Generator,
    archetype: IntArray,
    *,
    x: FloatArray,
    y: FloatArray,
    park_index: IntArray,
    park_ids: npt.NDArray[np.object_],
    crs: object,
) -> pd.DataFrame:
    n = archetype.size
    lon, lat = _lonlat(x, y, crs)
    stems = np.array(_NAME_STEMS)[rng.integers(0, len(_NAME_STEMS), size=n)]
    labels = np.array([a.label for a in ARCHETYPES])[archetype]
    park = pd.Series(pd.NA, index=range(n), dtype="string")
    inside = park_index >= 0
    park[inside] = park_ids[park_index[inside]]
    return pd.DataFrame(
        {
            "site_id": _ids("S", n),
            "name": np.char.add(np.char.add(stems, " "), labels),
            "nace": np.array([a.nace for a in ARCHETYPES])[archetype],
            "lat": lat,
            "lon": lon,
            "park_id": park,
            "kind": np.array([a.kind for a in ARCHETYPES])[archetype],
        }
    )


def _flow_counts(rng: np.random.Generator, n: int, mean: float) -> IntArray:
    """Flows per site: at least one when the mean allows it, Poisson around the mean."""
    if mean >= 1:
        return (1 + rng.poisson(mean - 1, size=n)).astype(np.int64)
    return rng.poisson(mean, size=n).astype(np.int64)


def _flows_frame(
    rng: np.random.Generator,
    archetype: IntArray,
    site_ids: npt.NDArray[np.str_],
    flows_per_site: float,
) -> pd.DataFrame:
    """Draw each site's flows from its archetype (with the site's index in ``_site``).

    A site lists its archetype's flows in a random order weighted by ``FlowSpec.weight``
    (exponential race); a site with more flows than its archetype has repeats them (a second
    line or boiler).
    """
    table = _spec_table()
    n = archetype.size
    count = _flow_counts(rng, n, flows_per_site)
    size = rng.standard_normal(n)
    site_parts, spec_parts = [], []
    for a in range(len(ARCHETYPES)):
        members = np.flatnonzero(archetype == a)
        if members.size == 0:
            continue
        lo, hi = table.offsets[a], table.offsets[a + 1]
        keys = rng.exponential(size=(members.size, hi - lo)) / table.weight[lo:hi]
        order = np.argsort(keys, axis=1)
        k = count[members]
        local = np.repeat(np.arange(members.size), k)
        position = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
        site_parts.append(members[local])
        spec_parts.append(lo + order[local, position % (hi - lo)])
    site = np.concatenate([np.empty(0, dtype=np.int64), *site_parts])
    spec = np.concatenate([np.empty(0, dtype=np.int64), *spec_parts])
    by_site = np.argsort(site, kind="stable")
    site, spec = site[by_site], spec[by_site]
    m = site.size
    z = _SITE_SIZE_CORRELATION * size[site] + np.sqrt(
        1 - _SITE_SIZE_CORRELATION**2
    ) * rng.standard_normal(m)
    quantity = _round_significant(np.exp(table.log_mu[spec] + table.log_sigma[spec] * z))
    t_low, t_high = table.t_low[spec], table.t_high[spec]
    temperature = np.round(t_low + rng.random(m) * (t_high - t_low))
    return pd.DataFrame(
        {
            "site_id": site_ids[site],
            "direction": table.direction[spec],
            "resource": table.resource[spec],
            "quantity": quantity,
            "unit": table.unit[spec],
            "temperature_c": temperature,
            "availability": "continuous",
            "confidential": rng.random(m) < _CONFIDENTIAL_SHARE,
            "source": _SOURCE_ID,
            "_site": site,
        }
    )


def _round_significant(values: FloatArray, digits: int = 3) -> FloatArray:
    exponent = np.floor(np.log10(values)) - (digits - 1)
    return np.round(values / 10.0**exponent) * 10.0**exponent


def _exchanges_frame(
    rng: np.random.Generator, flows: pd.DataFrame, *, x: FloatArray, y: FloatArray
) -> pd.DataFrame:
    """Link a few supplies to the nearest demand of the same resource and unit within 10 km
    (heat and steam only when the supply is at least as hot as the demand)."""
    words = reference.default().vocabulary  # the archetypes use the bundled words only
    columns = [
        "from_site",
        "to_site",
        "resource",
        "quantity",
        "unit",
        "mode",
        "since",
        "status",
        "source",
    ]
    site = flows["_site"].to_numpy()
    resource = flows["resource"].to_numpy()
    unit = flows["unit"].to_numpy()
    quantity = flows["quantity"].to_numpy()
    temperature = flows["temperature_c"].to_numpy()
    supply = flows["direction"].to_numpy() == "supply"
    chosen = supply & (rng.random(len(flows)) < _EXCHANGE_SHARE)
    pairs: list[tuple[IntArray, IntArray]] = []
    for res, un in sorted({(r, u) for r, u in zip(resource[chosen], unit[chosen], strict=True)}):
        same = (resource == res) & (unit == un)
        givers = np.flatnonzero(chosen & same)
        takers = np.flatnonzero(~supply & same)
        if takers.size == 0:
            continue
        tree = shapely.STRtree(shapely.points(x[site[takers]], y[site[takers]]))
        g, t = tree.query_nearest(
            shapely.points(x[site[givers]], y[site[givers]]),
            max_distance=_EXCHANGE_MAX_M,
            exclusive=True,
        )
        g, t = givers[g], takers[t]
        ok = site[g] != site[t]
        if words.needs_temperature(res):
            ok &= temperature[g] >= temperature[t]
        # Keep one partner per supply (ties of equal distance come back together).
        g, t = g[ok], t[ok]
        _, first = np.unique(g, return_index=True)
        pairs.append((g[first], t[first]))
    if not pairs:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    give = np.concatenate([p[0] for p in pairs])
    take = np.concatenate([p[1] for p in pairs])
    n = give.size
    share = rng.uniform(0.3, 1.0, size=n)
    family = np.array([words.family_of(r) for r in resource[give]], dtype=object)
    return pd.DataFrame(
        {
            "from_site": flows["site_id"].to_numpy()[give],
            "to_site": flows["site_id"].to_numpy()[take],
            "resource": resource[give],
            "quantity": _round_significant(np.minimum(quantity[give], quantity[take]) * share),
            "unit": unit[give],
            "mode": np.where(np.isin(family, list(_PIPELINE_FAMILIES)), "pipeline", "road"),
            "since": rng.integers(_FIRST_YEAR, _LAST_YEAR + 1, size=n),
            "status": "active",
            "source": _SOURCE_ID,
        },
        columns=columns,
    )


def _metadata_frame(
    n_sites: int, *, seed: int, country: str, center_lat: float, center_lon: float, radius_km: float
) -> pd.DataFrame:
    meta = {
        "name": f"Synthetic case ({n_sites} sites, seed {seed})",
        "description": (
            f"Synthetic industrial cluster generated by SymbioMap (flows.synthetic) with seed "
            f"{seed}: {n_sites} invented sites within {radius_km:g} km of "
            f"{center_lat:.4f}, {center_lon:.4f}. Not real companies or data."
        ),
        "country": country,
        "licence": "CC0-1.0",
    }
    return pd.DataFrame({"key": list(meta), "value": list(meta.values())})
