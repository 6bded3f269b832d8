"""The columns of each table of a case: names, kinds, choices and the help users see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["text", "number", "integer", "boolean", "choice", "nace", "resource", "unit"]

TABLES = ("sites", "parks", "flows", "exchanges", "sources", "metadata")
"""Every table a case may hold, in the order they are written."""

SITE_KINDS = (
    "company",
    "utility",
    "power-plant",
    "municipality",
    "district-heating",
    "wastewater-plant",
    "waterworks",
    "waste-management",
    "farm",
    "research",
    "other",
)
PARK_KINDS = ("business-park", "port", "hub", "industrial-area", "urban-area", "other")
DIRECTIONS = ("supply", "demand")
MODES = ("road", "rail", "inland-waterway", "sea", "pipeline")
STATUSES = ("active", "historical", "planned")
SUPPLY_KINDS = (
    "waste",
    "by-product",
    "surplus-energy",
    "produced",
    "produced-chp",
    "produced-chp-biomass",
    "produced-heat-pump",
)
"""What a supply is (``datasets/reference/supply_kinds.csv``): a waste avoids its counterfactual
treatment; a by-product is already sold (only the price difference counts); surplus energy would
be released; a produced supply (a boiler's, a CHP's, a heat pump's) carries its production cost
and emissions."""
COUNTERFACTUAL_ROUTES = (
    "landfill-inert",
    "landfill-nonhazardous",
    "landfill-hazardous",
    "incineration-energy-recovery",
    "incineration",
    "co-incineration",
    "land-spreading",
    "anaerobic-digestion",
    "composting",
    "wastewater-treatment",
    "sold-as-product",
    "none",
)
"""Routes a supply would take without the exchange (``datasets/reference/counterfactuals.csv``)."""


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes
    ----------
    name
        Canonical column name (lower case, underscores).
    kind
        How values are parsed and checked.
    required
        Whether the column must exist and every row must have a value.
    help
        One sentence for the template, the docs and validation hints.
    example
        A value that passes validation.
    choices
        Allowed values for ``kind="choice"``.
    """

    name: str
    kind: ColumnKind
    required: bool
    help: str
    example: str = ""
    choices: tuple[str, ...] = ()


PERIOD_COLUMNS = (
    Column(
        "status",
        "choice",
        False,
        "active (default), historical (ended: give end_year) or planned (give start_year).",
        "active",
        STATUSES,
    ),
    Column("start_year", "integer", False, "First year it exists (optional).", ""),
    Column("end_year", "integer", False, "Last year it existed (historical rows).", ""),
)
"""Status and period of sites and flows (:mod:`flows.checks.period`, :mod:`flows.periods`)."""


@dataclass(frozen=True)
class Table:
    """A table of a case and its columns; unknown extra columns are kept as free attributes."""

    name: str
    columns: tuple[Column, ...]
    help: str
    spatial: bool = False
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of all known columns, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        msg = f"table {self.name!r} has no column {name!r}"
        raise KeyError(msg)


SITES = Table(
    name="sites",
    spatial=True,
    help="One row per company, utility or public body. Point or polygon; CSV/XLSX use lat/lon.",
    columns=(
        Column("site_id", "text", True, "Unique identifier used by flows and exchanges.", "asnaes"),
        Column("name", "text", True, "Name shown on the map.", "Asnæs Power Station"),
        Column(
            "nace",
            "nace",
            True,
            "NACE Rev. 2.1 activity code (section, division, group or class).",
            "35.11",
        ),
        Column("lat", "number", False, "Latitude in decimal degrees (WGS84); CSV/XLSX.", "55.6615"),
        Column(
            "lon", "number", False, "Longitude in decimal degrees (WGS84); CSV/XLSX.", "11.0848"
        ),
        Column(
            "wkt",
            "text",
            False,
            "Optional polygon outline as WKT in WGS84 lon/lat; overrides lat/lon.",
            "",
        ),
        Column(
            "park_id", "text", False, "The park the site lies in (parks.park_id).", "kalundborg"
        ),
        Column("kind", "choice", False, "What the site is.", "company", SITE_KINDS),
        Column(
            "country",
            "text",
            False,
            "ISO 3166 alpha-2 country (default: the case's metadata country).",
            "DK",
        ),
        *PERIOD_COLUMNS,
    ),
    aliases={
        "id": "site_id",
        "latitude": "lat",
        "longitude": "lon",
        "lng": "lon",
        "long": "lon",
        "nace_code": "nace",
        "nace_rev2": "nace",
        "company": "name",
        "site_name": "name",
        "park": "park_id",
        "type": "kind",
    },
)

PARKS = Table(
    name="parks",
    spatial=True,
    help="Business parks, ports and hubs as polygons.",
    columns=(
        Column("park_id", "text", True, "Unique identifier of the park.", "kalundborg"),
        Column("name", "text", True, "Name shown on the map.", "Kalundborg industrial area"),
        Column("kind", "choice", False, "What the area is.", "business-park", PARK_KINDS),
    ),
    aliases={"id": "park_id", "park": "park_id"},
)

FLOWS = Table(
    name="flows",
    help="What each site offers (supply) or needs (demand), as annual quantities.",
    columns=(
        Column("site_id", "text", True, "The site (sites.site_id).", "asnaes"),
        Column("direction", "choice", True, "supply or demand.", "supply", DIRECTIONS),
        Column(
            "resource",
            "resource",
            True,
            "EWC code (e.g. 10 01 05, * for hazardous) or a carrier such as heat or steam.",
            "10 01 05",
        ),
        Column("quantity", "number", True, "Amount per year (positive).", "200000"),
        Column("unit", "unit", True, "Unit of quantity, a rate (t/yr, MWh/yr, m3/h, ...).", "t/yr"),
        Column(
            "quantity_low",
            "number",
            False,
            "Lowest plausible amount, same unit (uncertainty bands; default -20 %).",
            "",
        ),
        Column(
            "quantity_high",
            "number",
            False,
            "Highest plausible amount, same unit (uncertainty bands; default +20 %).",
            "",
        ),
        Column(
            "temperature_c",
            "number",
            False,
            "Temperature in °C; required for heat and steam.",
            "",
        ),
        Column(
            "availability", "text", False, "When it is available (continuous, seasonal...).", ""
        ),
        Column(
            "confidential", "boolean", False, "true hides quantities from shared views.", "false"
        ),
        Column("source", "text", False, "Where the figure comes from (sources.source_id).", ""),
        *PERIOD_COLUMNS,
        Column(
            "supply_kind",
            "choice",
            False,
            "Supplies: waste (default), by-product, surplus-energy, produced, produced-chp...",
            "",
            SUPPLY_KINDS,
        ),
        Column(
            "counterfactual",
            "choice",
            False,
            "Supplies: the route it takes without the exchange (default: the country's table).",
            "",
            COUNTERFACTUAL_ROUTES,
        ),
    ),
    aliases={
        "site": "site_id",
        "temperature": "temperature_c",
        "temp_c": "temperature_c",
        "type": "direction",
        "qty": "quantity",
        "amount": "quantity",
        "ewc": "resource",
        "since": "start_year",
        "until": "end_year",
    },
)

EXCHANGES = Table(
    name="exchanges",
    help="Exchanges that exist, existed or are planned between two sites.",
    columns=(
        Column("from_site", "text", True, "Supplying site (sites.site_id).", "asnaes"),
        Column("to_site", "text", True, "Receiving site (sites.site_id).", "gyproc"),
        Column("resource", "resource", True, "EWC code or carrier, as in flows.", "10 01 05"),
        Column("quantity", "number", False, "Amount per year, where published.", "200000"),
        Column("unit", "unit", False, "Unit of quantity; required when quantity is given.", "t/yr"),
        Column("mode", "choice", True, "How it travels.", "road", MODES),
        Column("since", "integer", False, "Year the exchange started.", "1993"),
        Column("status", "choice", True, "active, historical or planned.", "active", STATUSES),
        Column("end_year", "integer", False, "Last year of a historical exchange.", ""),
        Column("source", "text", False, "Where the facts come from (sources.source_id).", ""),
    ),
    aliases={
        "from": "from_site",
        "to": "to_site",
        "source_site": "from_site",
        "target_site": "to_site",
        "year": "since",
        "start_year": "since",
        "until": "end_year",
    },
)

SOURCES = Table(
    name="sources",
    help="The references that flows, exchanges and metadata cite.",
    columns=(
        Column("source_id", "text", True, "Short key cited in source columns.", "ks2024"),
        Column("citation", "text", True, "Author, title, publisher, year.", ""),
        Column("url", "text", False, "Where to read it.", ""),
        Column("accessed", "text", False, "Date the source was read (YYYY-MM-DD).", ""),
    ),
)

METADATA = Table(
    name="metadata",
    help="Key/value pairs: name, description, country (ISO 3166 alpha-2), licence, ...",
    columns=(
        Column("key", "text", True, "name, description, country, licence or your own key.", "name"),
        Column("value", "text", False, "The value.", "Kalundborg Symbiosis"),
    ),
)

SCHEMA: dict[str, Table] = {t.name: t for t in (SITES, PARKS, FLOWS, EXCHANGES, SOURCES, METADATA)}
REQUIRED_TABLES = ("sites",)
"""A case needs sites; every other table may be absent (then it is empty)."""
