"""What an exchange avoids: the counterfactual route of a supplied resource in a country, with its
cost and emissions, from documented tables that also hold the legal bans on routes.

The data are ``datasets/reference/counterfactuals.csv`` (routes, costs, factors and sources),
``route_bans.csv`` (routes a country forbids) and ``supply_kinds.csv`` (what a supply is: waste,
by-product, surplus energy or produced on purpose); ``counterfactuals.md`` documents every row.

Selection rule of :meth:`CounterfactualTable.resolve`: the keys of a resource are tried from the
most specific (EWC code, ``hazardous``, sub-chapter, chapter, ``family:...``, ``*``); at the first
key that has rows, the country's rows come first (by rank) and the EU rows follow for routes the
country does not price itself; the first route that is not banned for that resource in that
country wins. When every route of a key is banned, the next, less specific key is tried.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from datasets import reference_path
from flows import resources
from flows._errors import SymbioMapError
from flows.parameters import ParameterSet
from flows.schema import COUNTERFACTUAL_ROUTES

ROUTES = COUNTERFACTUAL_ROUTES
"""Every counterfactual route; ``none`` means released at no cost (surplus heat, clean water)."""

ROUTE_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"landfill": ("landfill-inert", "landfill-nonhazardous", "landfill-hazardous")}
)
"""Names a ban may use for several routes at once."""

UNITS = ("t", "m3", "MWh", "any")
"""Units of a row's cost and factor: per tonne, cubic metre or MWh; ``any`` only for zero rows."""

EU = "EU"
"""The country code of the EU default rows (and of bans that hold in every country)."""

REQUIRED_COUNTRIES = ("DK", "BE", "NL", "DE", "FR", "IT", "ES", "AT", "SE", "FI", "PL", "UK")
"""Countries the table must price itself (issue 9); others fall back to the EU rows."""

COUNTRY_ALIASES: Mapping[str, str] = MappingProxyType({"GB": "UK"})
"""ISO 3166 writes the United Kingdom GB; the table follows Eurostat's UK."""

COMBUSTIBLE_FAMILIES = frozenset({"biomass", "sludge", "materials"})
"""Families a ``combustible`` ban covers (organic matter, paper, plastics, wood, textiles)."""

BIODEGRADABLE_FAMILIES = frozenset({"biomass", "sludge"})
"""Resource families a ``biodegradable`` ban covers."""

FAMILY_FALLBACK: Mapping[str, str] = MappingProxyType({"metals": "minerals"})
"""Metal residues (slags, scales) are landfilled as mineral waste where nothing else applies."""

ZERO_OVERRIDES = frozenset({"sold-as-product", "none"})
"""Overrides that need no priced row: nothing is disposed of, so nothing is avoided."""

_COUNTERFACTUAL_COLUMNS = (
    "country",
    "match",
    "route",
    "cost_eur_per_unit",
    "gate_fee_eur_per_unit",
    "tax_eur_per_unit",
    "unit",
    "ef_kgco2e_per_unit",
    "default",
    "rank",
    "source",
    "source_year",
    "note",
)
_BAN_COLUMNS = ("country", "route", "match", "since", "legal_basis", "source", "note")
_SUPPLY_COLUMNS = (
    "kind",
    "carrier",
    "counterfactual",
    "cost_eur_per_unit",
    "unit",
    "ef_kgco2e_per_unit",
    "fuel_price_key",
    "fuel_ef_key",
    "fuel_mwh_per_unit",
    "method",
    "source",
    "source_year",
    "note",
)
LOOKUP_COLUMNS = (
    "route",
    "cost_eur_per_unit",
    "gate_fee_eur_per_unit",
    "tax_eur_per_unit",
    "unit",
    "ef_kgco2e_per_unit",
    "source",
    "source_year",
    "matched",
    "table_country",
    "override_refused",
    "note",
)
"""Columns of :func:`counterfactual_for`; money in EUR and CO2e in kg per ``unit``."""


class CounterfactualError(SymbioMapError, ValueError):
    """A counterfactual table is malformed, or a lookup was asked something it cannot answer."""


@dataclass(frozen=True)
class CounterfactualRow:
    """One priced route for a key in a country (a row of ``counterfactuals.csv``)."""

    country: str
    match: str
    route: str
    cost_eur_per_unit: float
    gate_fee_eur_per_unit: float
    tax_eur_per_unit: float
    unit: str
    ef_kgco2e_per_unit: float
    default: bool
    rank: int
    source: str
    source_year: int
    note: str


@dataclass(frozen=True)
class RouteBan:
    """A route a country forbids for the resources ``match`` covers (``route_bans.csv``)."""

    country: str
    route: str
    match: str
    since: str
    legal_basis: str
    source: str
    note: str

    @property
    def routes(self) -> tuple[str, ...]:
        """The routes this ban covers (a group such as ``landfill`` stands for several)."""
        return ROUTE_GROUPS.get(self.route, (self.route,))

    def covers(self, resource: str, family: str) -> bool:
        """Whether the ban's ``match`` covers a resource of ``family``."""
        return _matches(self.match, resource, family)


@dataclass(frozen=True)
class SupplyKind:
    """What a supply is and what it costs its supplier (a row of ``supply_kinds.csv``)."""

    kind: str
    carrier: str
    counterfactual: str
    cost_eur_per_unit: float
    unit: str
    ef_kgco2e_per_unit: float
    fuel_price_key: str
    fuel_ef_key: str
    fuel_mwh_per_unit: float
    method: str
    source: str
    source_year: int
    note: str

    def priced(self, params: ParameterSet | None) -> tuple[float, float]:
        """(cost, factor) per unit: from the fuel keys of ``params`` when both are given."""
        if params is None or not self.fuel_price_key or not math.isfinite(self.fuel_mwh_per_unit):
            return self.cost_eur_per_unit, self.ef_kgco2e_per_unit
        return (
            params[self.fuel_price_key] * self.fuel_mwh_per_unit,
            params[self.fuel_ef_key] * self.fuel_mwh_per_unit,
        )


@dataclass(frozen=True)
class Resolution:
    """The counterfactual chosen for one (resource, family, country, override)."""

    route: str
    cost_eur_per_unit: float
    gate_fee_eur_per_unit: float
    tax_eur_per_unit: float
    unit: str
    ef_kgco2e_per_unit: float
    source: str
    source_year: int
    matched: str
    table_country: str
    override_refused: bool
    note: str


@dataclass(frozen=True)
class CounterfactualTable:
    """The counterfactual routes, bans and supply kinds, read-only.

    Attributes
    ----------
    rows
        Every priced route.
    bans
        Every route ban; a ban of country ``EU`` holds in every country.
    supply_kinds
        What each kind of supply implies (empty if not loaded).
    version
        Name and version of the tables, recorded with every result.
    """

    rows: tuple[CounterfactualRow, ...]
    bans: tuple[RouteBan, ...]
    supply_kinds: tuple[SupplyKind, ...] = ()
    version: str = "symbiomap-counterfactuals 2026.1"
    _by_key: Mapping[tuple[str, str], tuple[CounterfactualRow, ...]] = field(
        init=False, repr=False, compare=False
    )
    _countries: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[tuple[str, str], list[CounterfactualRow]] = {}
        for row in self.rows:
            grouped.setdefault((row.country, row.match), []).append(row)
        index = {key: tuple(sorted(rows, key=lambda r: r.rank)) for key, rows in grouped.items()}
        object.__setattr__(self, "_by_key", MappingProxyType(index))
        object.__setattr__(self, "_countries", frozenset(row.country for row in self.rows))

    @property
    def countries(self) -> frozenset[str]:
        """Countries with rows of their own (``EU`` included)."""
        return self._countries

    def banned_by(self, route: str, *, resource: str, family: str, country: str) -> RouteBan | None:
        """The ban that forbids ``route`` for this resource in ``country``, or None."""
        for ban in self.bans:
            if (
                ban.country in (country, EU)
                and route in ban.routes
                and ban.covers(resource, family)
            ):
                return ban
        return None

    def candidates(self, key: str, country: str) -> tuple[CounterfactualRow, ...]:
        """Rows of ``key``: the country's by rank, then the EU's for routes it does not price."""
        own = self._by_key.get((country, key), ()) if country != EU else ()
        priced = {row.route for row in own}
        shared = tuple(r for r in self._by_key.get((EU, key), ()) if r.route not in priced)
        return own + shared

    def resolve(
        self, resource: str, *, family: str, country: str, override: str = ""
    ) -> Resolution:
        """The counterfactual of one resource in one country (see the module docstring).

        Parameters
        ----------
        resource
            Normalised resource: an EWC code (``07 07 99``, ``10 01 05*``) or a carrier name.
        family
            Its family (``biomass``, ``minerals``, ``water`` ...), or ``""`` if unknown.
        country
            ISO 3166 alpha-2 code (``GB`` is read as ``UK``); ``""`` or unknown codes use the
            EU rows, with the EU-wide bans only.
        override
            A route named by the flow's ``counterfactual`` column, or ``""``. A banned override
            is refused (``override_refused``) and the default route is returned instead.

        Raises
        ------
        CounterfactualError
            If ``override`` is not one of :data:`ROUTES`.
        """
        country = normalise_country(country)
        keys = match_keys(resource, family)
        override = override.strip().lower()
        refusal = ""
        if override:
            if override not in ROUTES:
                msg = f"unknown counterfactual route {override!r}; known: {', '.join(ROUTES)}"
                raise CounterfactualError(msg)
            ban = self.banned_by(override, resource=resource, family=family, country=country)
            if ban is None:
                chosen = self._override(override, keys, country)
                if chosen is not None:
                    return chosen
                refusal = f"override {override!r} refused: no priced row for {resource}"
            else:
                refusal = f"override {override!r} refused: {_describe(ban, country)}"
        resolution = self._default(resource, family, country, keys)
        if not refusal:
            return resolution
        note = f"{refusal}; {resolution.note}" if resolution.note else refusal
        return _replace(resolution, override_refused=True, note=note)

    def _override(self, route: str, keys: Sequence[str], country: str) -> Resolution | None:
        for key in keys:
            for row in self.candidates(key, country):
                if row.route == route:
                    return self._priced(row, key, keys, country, note="route set by the flow")
        if route in ZERO_OVERRIDES:
            return Resolution(
                route=route,
                cost_eur_per_unit=0.0,
                gate_fee_eur_per_unit=0.0,
                tax_eur_per_unit=0.0,
                unit="any",
                ef_kgco2e_per_unit=0.0,
                source="counterfactual column of the flow",
                source_year=0,
                matched="",
                table_country="",
                override_refused=False,
                note="route set by the flow: nothing is disposed of, so nothing is avoided",
            )
        return None

    def _default(self, resource: str, family: str, country: str, keys: Sequence[str]) -> Resolution:
        skipped: list[str] = []
        for key in keys:
            for row in self.candidates(key, country):
                ban = self.banned_by(row.route, resource=resource, family=family, country=country)
                if ban is None:
                    note = "; ".join(skipped)
                    if country not in self.countries:
                        fallback = f"no rows for {country}: EU default"
                        note = f"{fallback}; {note}" if note else fallback
                    return self._priced(row, key, keys, country, note=note)
                skipped.append(f"{row.route} skipped: {_describe(ban, country)}")
        note = "; ".join([f"no allowed counterfactual for {resource!r}", *skipped])
        return Resolution(
            route="",
            cost_eur_per_unit=math.nan,
            gate_fee_eur_per_unit=math.nan,
            tax_eur_per_unit=math.nan,
            unit="",
            ef_kgco2e_per_unit=math.nan,
            source="",
            source_year=0,
            matched="",
            table_country="",
            override_refused=False,
            note=note,
        )

    def _priced(
        self,
        row: CounterfactualRow,
        key: str,
        keys: Sequence[str],
        country: str,
        *,
        note: str,
    ) -> Resolution:
        """``row`` as a result; an EU row takes the price of the country's row for its route.

        Taxes and gate fees belong to the route and the country, factors to the material: the
        EU row chosen for ``07 05 99`` keeps its factor but pays the country's price for the route
        wherever the country prices it along the resource's keys.
        """
        own = None
        if row.country == EU and country != EU:
            own = next(
                (
                    r
                    for k in keys
                    for r in self._by_key.get((country, k), ())
                    if r.route == row.route and r.unit == row.unit
                ),
                None,
            )
        if own is None:
            return _resolution(row, key, note=note)
        priced = f"priced by the {country} row {own.match!r}, factor from the EU row {row.match!r}"
        source = own.source if own.source == row.source else f"{own.source}; factor: {row.source}"
        return replace(
            _resolution(row, key, note=f"{note}; {priced}" if note else priced),
            cost_eur_per_unit=own.cost_eur_per_unit,
            gate_fee_eur_per_unit=own.gate_fee_eur_per_unit,
            tax_eur_per_unit=own.tax_eur_per_unit,
            source=source,
            source_year=own.source_year,
            table_country=country,
        )


def normalise_country(country: object) -> str:
    """Upper-case ISO alpha-2 code (``GB`` -> ``UK``); missing or blank -> ``EU``."""
    if country is None or (isinstance(country, float) and math.isnan(country)):
        return EU
    text = str(country).strip().upper()
    return COUNTRY_ALIASES.get(text, text) or EU


def match_keys(resource: str, family: str) -> tuple[str, ...]:
    """The table keys of a resource, most specific first.

    EWC codes: the code, ``hazardous`` (codes marked ``*``), sub-chapter, chapter, family,
    fallback family, ``*``. Carriers: the carrier, family, fallback family (no ``*``: landfill
    means nothing for heat or water).
    """
    family_keys = [f"family:{f}" for f in (family, FAMILY_FALLBACK.get(family, "")) if f]
    if not resources.is_ewc(resource):
        return (resource, *family_keys)
    code = resource.rstrip("*")
    hazardous = ("hazardous",) if resources.is_hazardous(resource) else ()
    return (resource, *hazardous, code[:5], code[:2], *family_keys, "*")


def counterfactual_for(
    table: CounterfactualTable,
    *,
    resources: Sequence[str] | np.ndarray | pd.Series,
    families: Sequence[str] | np.ndarray | pd.Series,
    countries: Sequence[str | None] | np.ndarray | pd.Series | None = None,
    overrides: Sequence[str | None] | np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """The counterfactual of every row, looked up once per distinct key and broadcast.

    Parameters
    ----------
    table
        From :func:`load_counterfactuals`.
    resources
        Normalised resources (EWC ``07 07 99`` / ``10 01 05*`` or carrier names).
    families
        Family of each resource (as in ``ewc_codes.csv`` / ``carriers.csv``).
    countries
        ISO alpha-2 country of each row (the site's, else the case's); None or blank -> EU.
    overrides
        The flow's ``counterfactual`` column: a route name, or None/blank for the default.

    Returns
    -------
    pandas.DataFrame
        :data:`LOOKUP_COLUMNS`, one row per input row (the index of ``resources`` if it is a
        Series); text columns are categoricals (a few distinct values over many rows). Cost
        in EUR and emissions in kg CO2e per ``unit`` (t, m3, MWh; ``any`` for zero rows);
        ``override_refused`` flags banned or unpriced overrides; ``route`` is empty (cost NaN)
        when every route is banned.

    Raises
    ------
    CounterfactualError
        If the inputs differ in length or an override is not a known route.
    """
    n = len(resources)
    where = _map_distinct(_texts(countries, n), normalise_country)
    inputs = (_texts(resources), _texts(families, n), where, _texts(overrides, n))
    group, first = _distinct_rows(inputs)
    solved = [
        table.resolve(str(res), family=str(fam), country=str(cty), override=str(ovr))
        for res, fam, cty, ovr in zip(*(column[first] for column in inputs), strict=True)
    ]
    return pd.DataFrame(
        {name: _broadcast(_column(solved, name), group) for name in LOOKUP_COLUMNS},
        index=resources.index if isinstance(resources, pd.Series) else None,
    )


def supply_kind_for(
    table: CounterfactualTable,
    *,
    kinds: Sequence[str | None] | np.ndarray | pd.Series,
    resources: Sequence[str] | np.ndarray | pd.Series,
    params: ParameterSet | None = None,
) -> pd.DataFrame:
    """What each supply implies: its counterfactual and, if produced, its cost and emissions.

    Parameters
    ----------
    table
        From :func:`load_counterfactuals` (with its supply kinds).
    kinds
        ``waste``, ``by-product``, ``surplus-energy``, ``produced`` or ``produced-chp``; None or
        blank -> ``waste``.
    resources
        The supplied resource (a ``produced`` supply is priced per carrier, e.g. ``steam``).
    params
        The run's parameter set: a produced supply is then priced from its fuel keys
        (``price.natural_gas`` x fuel MWh per unit), so a scenario's gas price reaches it;
        without it, the table's own figures are used.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``counterfactual`` (``table``: look it up with :func:`counterfactual_for`;
        else the route to pass as its override), ``cost_eur_per_unit``, ``unit``,
        ``ef_kgco2e_per_unit`` (what the supplier spends to make it: 0 unless produced; NaN
        when a produced supply has no priced row, so it is never taken as free), ``method``,
        ``source``, ``note``.

    Raises
    ------
    CounterfactualError
        If a kind is unknown.
    """
    known = {k.kind for k in table.supply_kinds}
    by_key = {(k.kind, k.carrier): k for k in table.supply_kinds}
    kind_of = _texts(kinds, len(resources))
    kind_of[kind_of == ""] = "waste"
    inputs = (kind_of, _texts(resources))
    unknown = sorted(set(pd.unique(kind_of)) - known)
    if unknown:
        msg = f"unknown supply kind(s) {', '.join(map(repr, unknown))}; known: {sorted(known)}"
        raise CounterfactualError(msg)
    group, first = _distinct_rows(inputs)
    text_names = ("kind", "counterfactual", "unit", "method", "source", "note")
    texts: dict[str, list[str]] = {name: [] for name in text_names}
    numbers: dict[str, list[float]] = {"cost_eur_per_unit": [], "ef_kgco2e_per_unit": []}
    for kind, resource in zip(*(column[first] for column in inputs), strict=True):
        found = by_key.get((kind, resource)) or by_key.get((kind, "*"))
        if found is None:
            # A produced supply without a price stays unknown (NaN), never free.
            missing = f"{kind} {resource}: no cost row; give its production cost and emissions"
            values = (kind, "none", "", "", "", missing)
            costs = (math.nan, math.nan)
        else:
            values = (
                kind,
                found.counterfactual,
                found.unit,
                found.method,
                found.source,
                found.note,
            )
            costs = found.priced(params)
        for name, value in zip(text_names, values, strict=True):
            texts[name].append(value)
        numbers["cost_eur_per_unit"].append(costs[0])
        numbers["ef_kgco2e_per_unit"].append(costs[1])
    columns = {name: np.array(v, dtype=object)[group] for name, v in texts.items()}
    columns |= {name: np.array(v, dtype="float64")[group] for name, v in numbers.items()}
    order = (
        "kind",
        "counterfactual",
        "cost_eur_per_unit",
        "unit",
        "ef_kgco2e_per_unit",
        "method",
        "source",
        "note",
    )
    return pd.DataFrame(
        {name: columns[name] for name in order},
        index=resources.index if isinstance(resources, pd.Series) else None,
    )


def load_counterfactuals(
    path: str | os.PathLike[str] | None = None,
    bans_path: str | os.PathLike[str] | None = None,
    supply_kinds_path: str | os.PathLike[str] | None = None,
) -> CounterfactualTable:
    """Read and check the counterfactual, ban and supply-kind tables (default: bundled ones).

    Raises
    ------
    CounterfactualError
        Naming the file, line and field of the first problem found.
    """
    cf_path = path or reference_path("counterfactuals.csv")
    ban_path = bans_path or reference_path("route_bans.csv")
    kind_path = supply_kinds_path or reference_path("supply_kinds.csv")
    rows = tuple(_read_rows(cf_path))
    _check_defaults(rows, cf_path)
    bans = tuple(_read_bans(ban_path))
    kinds = tuple(_read_kinds(kind_path))
    return CounterfactualTable(rows=rows, bans=bans, supply_kinds=kinds)


def _matches(match: str, resource: str, family: str) -> bool:
    if match == "*":
        return True
    if match == "combustible":
        return family in COMBUSTIBLE_FAMILIES
    if match == "biodegradable":
        return family in BIODEGRADABLE_FAMILIES
    if match.startswith("family:"):
        return family == match.removeprefix("family:")
    if match[:1].isdigit():
        return resources.is_ewc(resource) and resource.rstrip("*").startswith(match)
    return resource == match


def _describe(ban: RouteBan, country: str) -> str:
    where = "in every country" if ban.country == EU else f"in {country}"
    return f"{ban.route} of {ban.match} banned {where} since {ban.since} ({ban.legal_basis})"


def _resolution(row: CounterfactualRow, key: str, *, note: str) -> Resolution:
    return Resolution(
        route=row.route,
        cost_eur_per_unit=row.cost_eur_per_unit,
        gate_fee_eur_per_unit=row.gate_fee_eur_per_unit,
        tax_eur_per_unit=row.tax_eur_per_unit,
        unit=row.unit,
        ef_kgco2e_per_unit=row.ef_kgco2e_per_unit,
        source=row.source,
        source_year=row.source_year,
        matched=key,
        table_country=row.country,
        override_refused=False,
        note=note,
    )


def _replace(resolution: Resolution, *, override_refused: bool, note: str) -> Resolution:
    values = dict(resolution.__dict__, override_refused=override_refused, note=note)
    return Resolution(**values)


def _texts(values: object, length: int | None = None) -> np.ndarray:
    """A column of text as a stripped object array, missing values as ``""``."""
    if values is None:
        if length is None:
            msg = "resources and families are required"
            raise CounterfactualError(msg)
        return np.full(length, "", dtype=object)
    if isinstance(values, pd.Series | pd.Index):
        array = values.to_numpy(dtype=object)
    else:
        array = np.asarray(values, dtype=object).reshape(-1)
    if length is not None and len(array) != length:
        msg = f"every input needs one value per row: got {len(array)} values for {length} rows"
        raise CounterfactualError(msg)
    return _map_distinct(array, lambda v: str(v).strip())


def _distinct_rows(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the index of its combination of values; and the first row of each combination."""
    key = np.zeros(len(columns[0]), dtype="int64")
    for column in columns:
        codes, uniques = pd.factorize(column)
        key = key * (len(uniques) + 1) + codes
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def _broadcast(values: np.ndarray, group: np.ndarray) -> np.ndarray | pd.Categorical:
    """Per-row values from per-key ones; text as a categorical (few distinct values, fast)."""
    if values.dtype != object:
        result: np.ndarray = values[group]
        return result
    categories, codes = np.unique(values.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(codes.reshape(-1)[group], categories=categories)


def _map_distinct(values: np.ndarray, func: Callable[[object], str]) -> np.ndarray:
    """``func`` of every value, computed once per distinct value; missing values give ``""``."""
    # Values repeat heavily (a few countries, a few dozen resources): touch each distinct once.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([*(func(u) for u in uniques), ""], dtype=object)
    result: np.ndarray = mapped[codes]
    return result


def _column(solved: Sequence[Resolution], name: str) -> np.ndarray:
    values = [getattr(r, name) for r in solved]
    if name in ("cost_eur_per_unit", "gate_fee_eur_per_unit", "tax_eur_per_unit"):
        return np.array(values, dtype="float64")
    if name == "ef_kgco2e_per_unit":
        return np.array(values, dtype="float64")
    if name == "override_refused":
        return np.array(values, dtype=bool)
    if name == "source_year":
        return np.array(values, dtype="int64")
    return np.array(values, dtype=object)


def _read(path: str | os.PathLike[str], columns: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        msg = f"cannot read {os.fspath(path)}: {err}"
        raise CounterfactualError(msg) from err
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{os.fspath(path)}: missing column(s) {', '.join(missing)}"
        raise CounterfactualError(msg)
    return frame


def _number(value: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        msg = f"{where}: {value!r} is not a finite number"
        raise CounterfactualError(msg)
    return number


def _year(value: str, where: str) -> int:
    if not value.isdigit() or not 1990 <= int(value) <= 2100:
        msg = f"{where}: source_year {value!r} is not a year"
        raise CounterfactualError(msg)
    return int(value)


def _country(value: str, where: str) -> str:
    if value != EU and not (len(value) == 2 and value.isalpha() and value.isupper()):
        msg = f"{where}: country {value!r} is neither EU nor an upper-case alpha-2 code"
        raise CounterfactualError(msg)
    return value


def _read_rows(path: str | os.PathLike[str]) -> list[CounterfactualRow]:
    frame = _read(path, _COUNTERFACTUAL_COLUMNS)
    rows: list[CounterfactualRow] = []
    for line, rec in enumerate(frame.to_dict("records"), start=2):
        where = f"{os.fspath(path)}, line {line}"
        if rec["route"] not in ROUTES:
            msg = f"{where}: route {rec['route']!r} is not one of {', '.join(ROUTES)}"
            raise CounterfactualError(msg)
        if rec["unit"] not in UNITS:
            msg = f"{where}: unit {rec['unit']!r} is not one of {', '.join(UNITS)}"
            raise CounterfactualError(msg)
        if not rec["match"] or not rec["source"].strip():
            msg = f"{where}: match and source are required"
            raise CounterfactualError(msg)
        if rec["default"] not in ("true", "false") or not rec["rank"].isdigit():
            msg = f"{where}: default must be true/false and rank a positive integer"
            raise CounterfactualError(msg)
        cost, gate, tax, ef = (
            _number(rec[c], f"{where}, {c}")
            for c in (
                "cost_eur_per_unit",
                "gate_fee_eur_per_unit",
                "tax_eur_per_unit",
                "ef_kgco2e_per_unit",
            )
        )
        if abs(cost - (gate + tax)) > 0.011:
            msg = f"{where}: cost {cost} is not gate fee {gate} + tax {tax}"
            raise CounterfactualError(msg)
        if rec["unit"] == "any" and (cost != 0 or ef != 0):
            msg = f"{where}: unit 'any' is only for rows whose cost and factor are 0"
            raise CounterfactualError(msg)
        rows.append(
            CounterfactualRow(
                country=_country(rec["country"], where),
                match=rec["match"],
                route=rec["route"],
                cost_eur_per_unit=cost,
                gate_fee_eur_per_unit=gate,
                tax_eur_per_unit=tax,
                unit=rec["unit"],
                ef_kgco2e_per_unit=ef,
                default=rec["default"] == "true",
                rank=int(rec["rank"]),
                source=rec["source"].strip(),
                source_year=_year(rec["source_year"], where),
                note=rec["note"],
            )
        )
    return rows


def _check_defaults(rows: Sequence[CounterfactualRow], path: str | os.PathLike[str]) -> None:
    """Exactly one default per (country, key), the lowest rank, and no route priced twice."""
    by_key: dict[tuple[str, str], list[CounterfactualRow]] = {}
    for row in rows:
        by_key.setdefault((row.country, row.match), []).append(row)
    for (country, key), group in by_key.items():
        where = f"{os.fspath(path)}: {country} {key!r}"
        defaults = [r for r in group if r.default]
        ranks = [r.rank for r in group]
        if len(defaults) != 1 or defaults[0].rank != min(ranks) or len(set(ranks)) != len(ranks):
            msg = f"{where}: needs exactly one default row, with the lowest and a unique rank"
            raise CounterfactualError(msg)
        if len({r.route for r in group}) != len(group):
            msg = f"{where}: a route is priced twice"
            raise CounterfactualError(msg)


def _read_bans(path: str | os.PathLike[str]) -> list[RouteBan]:
    frame = _read(path, _BAN_COLUMNS)
    bans: list[RouteBan] = []
    for line, rec in enumerate(frame.to_dict("records"), start=2):
        where = f"{os.fspath(path)}, line {line}"
        if rec["route"] not in ROUTES and rec["route"] not in ROUTE_GROUPS:
            msg = f"{where}: route {rec['route']!r} is neither a route nor a group"
            raise CounterfactualError(msg)
        if not rec["match"] or not rec["legal_basis"].strip() or not rec["source"].strip():
            msg = f"{where}: match, legal_basis and source are required"
            raise CounterfactualError(msg)
        try:
            pd.Timestamp(rec["since"])
        except ValueError as err:
            msg = f"{where}: since {rec['since']!r} is not a date"
            raise CounterfactualError(msg) from err
        bans.append(
            RouteBan(
                country=_country(rec["country"], where),
                route=rec["route"],
                match=rec["match"],
                since=rec["since"],
                legal_basis=rec["legal_basis"].strip(),
                source=rec["source"].strip(),
                note=rec["note"],
            )
        )
    return bans


def _read_kinds(path: str | os.PathLike[str]) -> list[SupplyKind]:
    frame = _read(path, _SUPPLY_COLUMNS)
    kinds: list[SupplyKind] = []
    for line, rec in enumerate(frame.to_dict("records"), start=2):
        where = f"{os.fspath(path)}, line {line}"
        if rec["counterfactual"] != "table" and rec["counterfactual"] not in ROUTES:
            msg = f"{where}: counterfactual {rec['counterfactual']!r} is not 'table' or a route"
            raise CounterfactualError(msg)
        if rec["unit"] not in UNITS or not rec["source"].strip():
            msg = f"{where}: unit must be one of {', '.join(UNITS)} and source is required"
            raise CounterfactualError(msg)
        fuel = (rec["fuel_price_key"], rec["fuel_ef_key"], rec["fuel_mwh_per_unit"])
        if any(fuel) and not all(fuel):
            msg = f"{where}: fuel_price_key, fuel_ef_key and fuel_mwh_per_unit go together"
            raise CounterfactualError(msg)
        kinds.append(
            SupplyKind(
                kind=rec["kind"],
                carrier=rec["carrier"] or "*",
                counterfactual=rec["counterfactual"],
                cost_eur_per_unit=_number(rec["cost_eur_per_unit"], f"{where}, cost"),
                unit=rec["unit"],
                ef_kgco2e_per_unit=_number(rec["ef_kgco2e_per_unit"], f"{where}, factor"),
                fuel_price_key=rec["fuel_price_key"],
                fuel_ef_key=rec["fuel_ef_key"],
                fuel_mwh_per_unit=(
                    _number(rec["fuel_mwh_per_unit"], f"{where}, fuel_mwh_per_unit")
                    if rec["fuel_mwh_per_unit"]
                    else math.nan
                ),
                method=rec["method"],
                source=rec["source"].strip(),
                source_year=_year(rec["source_year"], where),
                note=rec["note"],
            )
        )
    return kinds
