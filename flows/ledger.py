"""The transaction ledger of a cluster: one record per party of every exchange, consolidated.

The EU CircLean label asks that industrial-symbiosis transactions be reported with a
harmonised method: incoming and outgoing flows recorded apart, absolute quantities beside the
company's own total of the same kind (EMAS logic), savings in disposal, raw materials, water,
energy and greenhouse gases, consolidated for local and regional authorities, yearly.
:func:`build_ledger` turns a scored analysis (and optionally a cluster plan,
:mod:`flows.allocation`) into such a ledger for one reference year; :class:`Ledger` consolidates
it per site, park, region, resource family and year; :func:`write_ledger` writes it as CSV,
a zip of CSVs, an Excel workbook or a GeoPackage of lines.

Which exchanges
---------------
One exchange of the reference year gives two records: ``outgoing`` for the provider and
``incoming`` for the receiver. ``ledger_status`` says what it is:

* ``in place``: an exchange the case records as active in the year (the plan's ``in place``
  links, or without a plan the candidates repeating an active exchange, each flow counted once
  as :func:`flows.summary.best_per_flow` counts it);
* ``new``: a link the plan realises that no recorded exchange links;
* ``planned``: an exchange recorded as planned that has not started in the year (a candidate
  repeating it, at the flow the plan gives it, or at its full quantity without a plan); an
  exchange recorded as active that starts after the year is not in that year's ledger;
* a recorded exchange in place or planned that no scored candidate carries (no quantity
  declared, or its flows used by other links) still gets its two records, with
  ``scored = False`` and no figures: the ledger lists every documented exchange.

Historical exchanges (ended before the year) are not in a year's ledger. Consolidations keep
the statuses apart, as the totals of :mod:`flows.summary` do.

Who books what
--------------
Each figure is booked once, on the record of the party it belongs to, so any sum of records
counts it once: the provider books the avoided disposal (and its CO2e), the production cost of
a produced supply (and its CO2e) and the waste diverted; the receiver books the avoided virgin
purchase (and its CO2e), the virgin material, water and energy saved; transport (cost,
tonne-km, CO2e) and a pipe's investment go to ``transport_paid_by`` (the provider by default:
who pays is rarely published, a SymbioMap convention). The two records of an exchange sum to
the candidate's figures at the flow the ledger counts: freight figures scale with the flow, a
pipe's annual cost and pumping CO2e are fixed (paid whatever flows), as in the plan.

Confidentiality
---------------
The ledger passes its candidates and the case through :mod:`flows.privacy` with the
viewer's tier and only reads what the gate lets through: in ``public`` the records of an
exchange that involves a confidential flow keep their sites, resource, distance and mode but
no quantity or figure (``withheld`` is True). The consolidations are summed from the owner's
records and released by :func:`flows.privacy.release_aggregates`: a figure is the whole total
(confidential contributions included) where at least 3 companies contribute to its hidden part,
none dominates it and no withheld figure could be recomputed from the released ones, and is NaN
otherwise (``withheld_figures`` and ``withheld_reason`` say how many and why;
:attr:`Ledger.withheld_figures` lists them). A ledger built from candidates already gated has
no owner's figures: its totals sum the records the tier sees. The plan contributes each link's
share of its quantity and its role, never a quantity. Company reference totals are shown as
given: pass them only when their owners agree to their publication (a ratio and a quantity give
the total).

Record fields
-------------
============================== ======== ===========================================================
field                          unit     meaning
============================== ======== ===========================================================
record_id                      -        ``<exchange_id>:out`` or ``<exchange_id>:in``
exchange_id                    -        the candidate id, or ``case:<from>><to>:<resource>`` for a
                                        documented exchange without a candidate
direction                      -        ``outgoing`` (provider) or ``incoming`` (receiver)
ledger_status                  -        ``in place``, ``new`` or ``planned`` (above)
scored                         -        figures come from a scored candidate (False: none known)
withheld                       -        figures withheld for the tier (:mod:`flows.privacy`)
year                           -        reference year
site_id, partner_site          -        the record's own site and the other party
provider_site                  -        the sending site
receiver_site                  -        the receiving site
provider_nace                  -        NACE code of the provider (as the case gives it)
receiver_nace                  -        NACE code of the receiver
site_nace                      -        NACE code of the record's own site
park_id                        -        park of the record's own site (``(none)`` in consolidations)
region                         -        the region of a regions layer the site lies in
                                        (``outside regions`` if none), else the site's ``region``
                                        column, else ``municipality``, else its country (else the
                                        case's)
region_basis                   -        which of ``regions layer``, ``outside regions``,
                                        ``region``, ``municipality``, ``country`` it is
resource                       -        what is sent: EWC code (``10 01 05``) or carrier (``heat``)
demand_resource                -        what the receiver takes it as (steam received as heat)
resource_kind                  -        ``ewc`` or ``carrier``
hazardous                      -        an EWC code marked ``*``
family                         -        resource family (heat, water, minerals, biomass...)
quantity                       unit     outgoing: sent; incoming: delivered (after losses)
unit                           -        canonical unit: ``t/yr``, ``MWh/yr`` or ``m3/yr``
loss_quantity                  unit     lost on the way (heat losses; outgoing record only)
share_of_candidate             1        the flow counted over the candidate's quantity
mode                           -        road, rail, inland-waterway, sea, pipeline
distance_m                     m        distance between the sites
distance_kind                  -        road, geodesic or estimated (:mod:`geo.distance`)
tonne_km                       t km/yr  freight work (payer's record)
transport_cost_eur             EUR/yr   freight or pipe annual cost (payer's record)
transport_co2e_t               t/yr     freight or pumping CO2e (payer's record)
avoided_disposal_eur           EUR/yr   disposal or treatment avoided (provider)
production_cost_eur            EUR/yr   cost of producing a produced supply (provider)
avoided_purchase_eur           EUR/yr   virgin input no longer bought (receiver)
cost_savings_eur               EUR/yr   provider: avoided disposal - production cost; receiver:
                                        avoided purchase
net_savings_eur                EUR/yr   cost savings - transport cost (payer), before carbon
avoided_disposal_co2e_t        t/yr     treatment emissions avoided (provider)
production_co2e_t              t/yr     emissions of producing the supply (provider)
avoided_virgin_co2e_t          t/yr     virgin production emissions avoided (receiver)
net_co2e_t                     t/yr     avoided - production - transport, the party's part
waste_diverted_landfill_t      t/yr     waste kept from landfill (provider; from the
                                        ``counterfactual_route``; 0 when the receiver is that
                                        treatment itself)
waste_diverted_incineration_t  t/yr     waste kept from incineration or co-incineration (provider)
virgin_material_replaced_t     t/yr     virgin material replaced (receiver; delivered x the
                                        substitution factor: t of gypsum, of mineral N...)
water_saved_m3                 m3/yr    water no longer abstracted or bought (receiver)
energy_saved_mwh               MWh/yr   heat, steam, gas or electricity no longer bought or raised
                                        (receiver; a produced supply's fuel is in the provider's
                                        production cost and CO2e instead)
investment_eur                 EUR      modelled pipe investment (payer; once, not per year; for an
                                        exchange in place the investment its pipe stands for)
own_total_kind                 -        reference total the record is compared with: ``waste_t``
                                        (outgoing t), ``water_m3`` (m3), ``energy_mwh`` (MWh)
own_total                      as kind  the site's own total of that kind (``reference_totals``)
share_of_own_total             1        quantity / own_total
counterfactual_route           -        what the supply becomes without the exchange
counterfactual_basis           -        where that route and its price come from (table, source)
substitute_keys                -        parameter keys of the virgin input replaced (price; factor)
transport_keys                 -        freight cost and factor keys (``pipe: pipe_costs.csv``)
parameter_set                  -        versions of the parameter, pipe and counterfactual sets
basis, confidence              -        declared or inferred, and the library's confidence
exchange_source                -        the case's ``source`` of the recorded exchange ("" if none)
============================== ======== ===========================================================

Consolidations (:meth:`Ledger.consolidate`) sum the figures above per group and ledger status
and add ``sent_t``, ``received_t``, ``sent_mwh``, ``received_mwh``, ``sent_m3`` and
``received_m3`` (quantities by direction and unit), ``records``, ``exchanges``,
``withheld_records``, ``withheld_figures`` and ``withheld_reason``.
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from flows._errors import CaseWriteError, SymbioMapError

if TYPE_CHECKING:
    import geopandas as gpd

    from flows.allocation import Plan
    from flows.model import Case
    from flows.pipeline import Analysis
    from flows.privacy import DisclosureRule, Tier
    from flows.reference import Reference

__all__ = [
    "CONSOLIDATIONS",
    "FIGURE_COLUMNS",
    "LEDGER_SUFFIXES",
    "OUTSIDE_REGIONS",
    "QUANTITY_COLUMNS",
    "RECORD_COLUMNS",
    "REGIONS_LAYER",
    "SUM_COLUMNS",
    "Ledger",
    "LedgerError",
    "RegionsError",
    "assign_regions",
    "build_ledger",
    "combine",
    "factor_table",
    "read_regions",
    "regions_layer",
    "write_ledger",
]

_log = logging.getLogger(__name__)

Party = Literal["provider", "receiver"]

SUM_COLUMNS = (
    "tonne_km",
    "transport_cost_eur",
    "transport_co2e_t",
    "avoided_disposal_eur",
    "production_cost_eur",
    "avoided_purchase_eur",
    "cost_savings_eur",
    "net_savings_eur",
    "avoided_disposal_co2e_t",
    "production_co2e_t",
    "avoided_virgin_co2e_t",
    "net_co2e_t",
    "waste_diverted_landfill_t",
    "waste_diverted_incineration_t",
    "virgin_material_replaced_t",
    "water_saved_m3",
    "energy_saved_mwh",
    "investment_eur",
)
"""Record figures a consolidation sums (each booked on one party's record only)."""

RECORD_COLUMNS = (
    "record_id",
    "exchange_id",
    "direction",
    "ledger_status",
    "scored",
    "withheld",
    "year",
    "site_id",
    "partner_site",
    "provider_site",
    "receiver_site",
    "provider_nace",
    "receiver_nace",
    "site_nace",
    "park_id",
    "region",
    "region_basis",
    "resource",
    "demand_resource",
    "resource_kind",
    "hazardous",
    "family",
    "quantity",
    "unit",
    "loss_quantity",
    "share_of_candidate",
    "mode",
    "distance_m",
    "distance_kind",
    *SUM_COLUMNS,
    "own_total_kind",
    "own_total",
    "share_of_own_total",
    "counterfactual_route",
    "counterfactual_basis",
    "substitute_keys",
    "transport_keys",
    "parameter_set",
    "basis",
    "confidence",
    "exchange_source",
)
"""The columns of :attr:`Ledger.records`, in order (meanings in the module docstring)."""

CONSOLIDATIONS: Mapping[str, str] = {
    "by_site": "site_id",
    "by_park": "park_id",
    "by_region": "region",
    "by_family": "family",
    "by_year": "year",
}
"""Consolidation name -> the record column it groups by (with ``ledger_status``)."""

LEDGER_SUFFIXES = (".csv", ".zip", ".xlsx", ".gpkg")
"""File types :func:`write_ledger` writes."""

REFERENCE_KINDS = ("waste_t", "water_m3", "energy_mwh")
"""Kinds of company reference totals (``reference_totals``'s ``kind`` column)."""

NO_GROUP = "(none)"
"""The group label of records without a park (or region)."""

OUTSIDE_REGIONS = "outside regions"
"""The region (and ``region_basis``) of a site outside every polygon of a regions layer."""

REGIONS_LAYER = "regions layer"
"""The ``region_basis`` of a site placed by a regions layer (:func:`assign_regions`)."""

REGION_NAME_COLUMNS = ("region", "name", "NAME", "NUTS_NAME", "NAME_LATN", "municipality")
"""Columns :func:`read_regions` takes the region names from when none is named."""

_KIND_OF_UNIT = {"t/yr": "waste_t", "m3/yr": "water_m3", "MWh/yr": "energy_mwh"}
_UNIT_SUFFIX = {"t/yr": "t", "MWh/yr": "mwh", "m3/yr": "m3"}
_LANDFILL = ("landfill-inert", "landfill-nonhazardous", "landfill-hazardous")
_INCINERATION = ("incineration", "incineration-energy-recovery", "co-incineration")
_ENERGY_FAMILIES = ("heat", "energy", "gas")
_PROVIDER_FIGURES = (
    "avoided_disposal_eur",
    "production_cost_eur",
    "avoided_disposal_co2e_t",
    "production_co2e_t",
    "waste_diverted_landfill_t",
    "waste_diverted_incineration_t",
)
_RECEIVER_FIGURES = (
    "avoided_purchase_eur",
    "avoided_virgin_co2e_t",
    "virgin_material_replaced_t",
    "water_saved_m3",
    "energy_saved_mwh",
)
_TRANSPORT_FIGURES = ("tonne_km", "transport_cost_eur", "transport_co2e_t", "investment_eur")


class LedgerError(SymbioMapError, ValueError):
    """The ledger cannot be built or written as asked (the message says why and what to do)."""


class RegionsError(LedgerError):
    """A regions layer that cannot be used (no CRS, no polygons, no name column)."""


@dataclass(frozen=True)
class Ledger:
    """A transaction ledger: two records per exchange of one or more reference years.

    Attributes
    ----------
    records
        One row per party of every exchange, :data:`RECORD_COLUMNS`.
    tier
        The viewer tier it was built for (:mod:`flows.privacy`).
    years
        The reference years it covers.
    parameter_set
        The versions of the reference sets behind its figures.
    reference
        The reference data of the run (for the factor table).
    """

    records: pd.DataFrame = field(repr=False)
    tier: str
    years: tuple[int, ...]
    parameter_set: str
    reference: Reference = field(repr=False)
    tables: Mapping[str, pd.DataFrame] | None = field(default=None, repr=False)
    """The consolidations and totals released to :attr:`tier` (:func:`flows.privacy.
    release_aggregates`); ``None``: summed from :attr:`records` on demand."""
    withheld_figures: pd.DataFrame | None = field(default=None, repr=False)
    """One row per figure of :attr:`tables` withheld from :attr:`tier`: ``table``, ``row``,
    ``figure``, ``reason_code``, ``reason`` (:func:`flows.privacy.release_aggregates`)."""
    outside_regions: tuple[str, ...] = ()
    """Sites outside every polygon of the regions layer the ledger was built with."""

    def __len__(self) -> int:
        return len(self.records)

    def consolidate(self, by: str | Sequence[str]) -> pd.DataFrame:
        """Sums of :data:`SUM_COLUMNS` per group of ``by`` (record columns) and ledger status,
        with quantities sent and received per unit, counts of records, exchanges and withheld
        records, and ``withheld_figures`` and ``withheld_reason``.

        A consolidation of :data:`CONSOLIDATIONS` is the one released to the tier: for a lower
        tier its totals include confidential contributions where :mod:`flows.privacy` allows,
        and its withheld figures are NaN. Any other grouping sums the records the tier sees
        (withheld figures skipped, NaN where a group has no known figure).
        """
        keys = [by] if isinstance(by, str) else list(by)
        if self.tables is not None:
            for name, column in CONSOLIDATIONS.items():
                if keys == [column]:
                    return self.tables[name].copy()
        return _visible(self.records, [*keys, "ledger_status"])

    def totals(self) -> pd.DataFrame:
        """The whole ledger per ledger status (every consolidation sums to it where nothing is
        withheld)."""
        if self.tables is not None:
            return self.tables["totals"].copy()
        return _visible(self.records, ["ledger_status"])

    def withheld_summary(self) -> list[str]:
        """What the consolidations withhold from this tier and why, in plain sentences
        (:func:`flows.privacy.withheld_summary`); empty when nothing is."""
        from flows import privacy  # noqa: PLC0415

        if self.withheld_figures is None:
            left_out = int(self.records["withheld"].to_numpy(dtype=bool).sum())
            return (
                [f"totals leave out the figures of {left_out} withheld records"] if left_out else []
            )
        return privacy.withheld_summary(self.withheld_figures)

    def consolidations(self) -> dict[str, pd.DataFrame]:
        """Every consolidation of :data:`CONSOLIDATIONS` and the ``totals``, by name."""
        out = {name: self.consolidate(column) for name, column in CONSOLIDATIONS.items()}
        out["totals"] = self.totals()
        return out

    def factors(self) -> pd.DataFrame:
        """Every factor of the run's reference sets with its source (:func:`factor_table`)."""
        return factor_table(self.reference)


QUANTITY_COLUMNS = tuple(
    f"{way}_{suffix}" for suffix in _UNIT_SUFFIX.values() for way in ("sent", "received")
)
"""Quantities a consolidation adds per direction and unit (``sent_t``, ``received_t``...)."""

FIGURE_COLUMNS = (*SUM_COLUMNS, *QUANTITY_COLUMNS)
"""Every figure of a consolidation (what :mod:`flows.privacy` may withhold)."""

RELEASE_PRIORITY = (
    "net_co2e_t",
    "net_savings_eur",
    "water_saved_m3",
    "energy_saved_mwh",
    "waste_diverted_landfill_t",
    "waste_diverted_incineration_t",
    "virgin_material_replaced_t",
    *QUANTITY_COLUMNS,
)
"""Figures a lower tier's totals release first (the Report page's headline figures, then the
quantities) when releasing every figure would let a hidden one be recomputed."""


def _figures(records: pd.DataFrame) -> pd.DataFrame:
    """Per record, what it adds to its groups: :data:`SUM_COLUMNS` and the quantity sent or
    received in its unit (0 in the other units)."""
    frame = records[list(SUM_COLUMNS)].copy()
    quantity = records["quantity"].to_numpy(dtype="float64", na_value=np.nan)
    unit = records["unit"].astype(object).to_numpy()
    outgoing = (records["direction"] == "outgoing").to_numpy()
    for canonical, suffix in _UNIT_SUFFIX.items():
        mine = unit == canonical
        frame[f"sent_{suffix}"] = np.where(mine & outgoing, quantity, 0.0)
        frame[f"received_{suffix}"] = np.where(mine & ~outgoing, quantity, 0.0)
    return frame


def _group_labels(records: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The group columns, missing or empty labels shown as :data:`NO_GROUP`."""
    frame = records[keys].copy()
    for key in keys:
        if frame[key].dtype == object or isinstance(frame[key].dtype, pd.StringDtype):
            frame[key] = frame[key].astype(object).where(frame[key].notna(), NO_GROUP)
            frame[key] = frame[key].where(frame[key] != "", NO_GROUP)
    return frame


def _consolidate(records: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Group sums of the records, and each record's row in them."""
    frame = pd.concat([_group_labels(records, keys), _figures(records)], axis=1)
    frame["records"] = 1
    frame["withheld_records"] = records["withheld"].to_numpy(dtype=bool).astype("int64")
    frame["_exchange"] = records["exchange_id"].to_numpy()
    grouped = frame.groupby(keys, sort=True, dropna=False)
    # min_count=1: a group whose figures are all unknown or withheld sums to NaN, not to a
    # zero that would read as a measured nothing; withheld_records says how many it hides.
    sums = grouped[[c for c in frame.columns if c not in {*keys, "_exchange"}]].sum(min_count=1)
    sums["exchanges"] = grouped["_exchange"].nunique()
    cells: np.ndarray = grouped.ngroup().to_numpy(dtype="int64")
    return sums.reset_index(), cells


def _visible(records: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sums of what the records show (withheld figures are NaN there, so left out)."""
    sums, _ = _consolidate(records, keys)
    left_out = sums["withheld_records"].to_numpy() > 0
    sums["withheld_figures"] = 0
    sums["withheld_reason"] = np.where(left_out, "confidential records left out", "")
    return sums


def _released(
    owner: pd.DataFrame, withheld: np.ndarray, *, tier: Tier, rule: DisclosureRule | None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every consolidation and the totals as ``tier`` may see them, summed from the owner's
    records (``withheld``: the records whose figures the tier does not see) and passed
    through :func:`flows.privacy.release_aggregates`."""
    from flows import privacy  # noqa: PLC0415

    base = owner.assign(withheld=withheld)
    sums: dict[str, pd.DataFrame] = {}
    cells: dict[str, np.ndarray] = {}
    for name, keys in [
        *((n, [c, "ledger_status"]) for n, c in CONSOLIDATIONS.items()),
        ("totals", ["ledger_status"]),
    ]:
        sums[name], cells[name] = _consolidate(base, keys)
    unknown = (owner["exchange_id"].astype(str) + "@" + owner["year"].astype(str)).to_numpy()
    parts = privacy.Contributions(
        values=_figures(owner)[list(FIGURE_COLUMNS)].to_numpy(dtype="float64", na_value=np.nan),
        columns=FIGURE_COLUMNS,
        hidden=withheld,
        # A company is a site: the case has no operator column to join sites of one owner.
        company=_text(owner, "site_id"),
        unknown=unknown,
        parties=(_text(owner, "provider_site"), _text(owner, "receiver_site")),
        cells=cells,
        block=_text(owner, "ledger_status"),
    )
    return privacy.release_aggregates(
        sums, parts, tier=tier, rule=rule or privacy.DEFAULT_RULE, priority=RELEASE_PRIORITY
    )


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A text column as an object array (None where missing or absent)."""
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = frame[column].astype(object)
    out: np.ndarray = values.where(values.notna(), None).to_numpy(dtype=object)
    return out


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    out: np.ndarray = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    return out


def read_regions(
    path: str | os.PathLike[str], *, name_column: str | None = None
) -> gpd.GeoDataFrame:
    """A regions layer (GeoJSON, GeoPackage or any file GDAL reads) of polygons and names.

    Parameters
    ----------
    path
        The file (its first layer).
    name_column
        The column naming each region; default the first of :data:`REGION_NAME_COLUMNS`
        the file has.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region`` (text) and ``geometry``, in the file's CRS.

    Raises
    ------
    RegionsError
        If the file cannot be read, has no CRS, no polygons, or no such name column.
    """
    import pyogrio  # noqa: PLC0415

    try:
        frame = pyogrio.read_dataframe(Path(path))
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        msg = f"could not read the regions layer {Path(path).name}: {err}"
        raise RegionsError(msg) from err
    return regions_layer(frame, name_column=name_column, label=Path(path).name)


def regions_layer(
    frame: gpd.GeoDataFrame, *, name_column: str | None = None, label: str = "regions layer"
) -> gpd.GeoDataFrame:
    """A regions layer from polygons already read (:func:`read_regions` checks the same).

    Raises
    ------
    RegionsError
        Without a CRS, polygons or the name column.
    """
    if frame.crs is None:
        msg = f"{label} has no coordinate reference system: save it with one (e.g. EPSG:4326)"
        raise RegionsError(msg)
    if name_column is None:
        name_column = next((c for c in REGION_NAME_COLUMNS if c in frame.columns), None)
    if name_column is None or name_column not in frame.columns:
        columns = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        msg = f"{label}: name the regions' column (name_column=...); it has {columns or 'none'}"
        raise RegionsError(msg)
    polygons = frame.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy(dtype=bool)
    if not polygons.any():
        msg = f"{label} holds no polygons"
        raise RegionsError(msg)
    import geopandas as gpd  # noqa: PLC0415

    names = frame[name_column].astype(object)[polygons]
    return gpd.GeoDataFrame(
        {"region": names.where(names.notna(), NO_GROUP).astype(str).to_numpy(dtype=object)},
        geometry=frame.geometry[polygons].to_numpy(),
        crs=frame.crs,
    )


def assign_regions(sites: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> pd.Series:
    """The region each site lies in, by one spatial join (points in polygons, in the
    regions' CRS; a polygon site by a point inside it; a site on a shared border or in two
    overlapping regions takes the first in the layer's order).

    Parameters
    ----------
    sites
        The case's sites (``site_id``, geometry).
    regions
        From :func:`read_regions` (``region``, polygons).

    Returns
    -------
    pandas.Series
        Region name per site, :data:`OUTSIDE_REGIONS` where none holds it, indexed like
        ``sites``.
    """
    import geopandas as gpd  # noqa: PLC0415

    points = gpd.GeoDataFrame(
        {"_site": np.arange(len(sites))},
        geometry=sites.geometry.representative_point().to_crs(regions.crs).to_numpy(),
        crs=regions.crs,
    )
    layer = regions[["region", "geometry"]].assign(_order=np.arange(len(regions)))
    joined = gpd.sjoin(points, layer, how="inner", predicate="intersects")
    first = joined.sort_values(["_site", "_order"]).drop_duplicates("_site")
    out = np.full(len(sites), OUTSIDE_REGIONS, dtype=object)
    out[first["_site"].to_numpy(dtype="int64")] = first["region"].to_numpy(dtype=object)
    return pd.Series(out, index=sites.index, name="region")


def _site_table(case: Case, regions: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Per site: NACE, park, region and which attribute (or layer) the region comes from."""
    sites = pd.DataFrame(case.sites.drop(columns=case.sites.geometry.name))
    fallback = str(case.metadata.get("country") or "").strip().upper() or None
    region = pd.Series(None, index=sites.index, dtype=object)
    basis = pd.Series(None, index=sites.index, dtype=object)
    for column in ("region", "municipality", "country"):
        if column not in sites.columns:
            continue
        given = sites[column].astype(object)
        fill = given.notna() & (given.astype(str).str.strip() != "") & region.isna()
        region = region.where(~fill, given)
        basis = basis.where(~fill, column)
    if fallback is not None:
        basis = basis.where(region.notna(), "country")
        region = region.where(region.notna(), fallback)
    if regions is not None:
        region = assign_regions(case.sites, regions).astype(object)
        inside = (region != OUTSIDE_REGIONS).to_numpy(dtype=bool)
        basis = pd.Series(
            np.where(inside, REGIONS_LAYER, OUTSIDE_REGIONS), index=sites.index, dtype=object
        )
    return pd.DataFrame(
        {
            "nace": _text(sites, "nace"),
            "park_id": _text(sites, "park_id"),
            "region": region.to_numpy(dtype=object),
            "region_basis": basis.to_numpy(dtype=object),
        },
        index=pd.Index(sites["site_id"].astype(object), name="site_id"),
    )


def _shares(candidates: pd.DataFrame, plan: Plan | None) -> tuple[np.ndarray, np.ndarray]:
    """Per (owner) candidate: the share of its quantity the ledger counts and its status
    ("" when it is not in the ledger)."""
    from flows import summary  # noqa: PLC0415 - keeps importing the ledger light

    status = _text(candidates, "exchange_status")
    if plan is not None:
        links = plan.links.set_index(plan.links["candidate_id"].astype(str))
        wanted = candidates["candidate_id"].astype(str)
        missing = ~wanted.isin(links.index)
        if missing.any():
            msg = (
                f"the plan does not cover candidate {wanted[missing].iloc[0]!r}: build the "
                "plan from the same analysis (allocation.allocate(analysis.candidates))"
            )
            raise LedgerError(msg)
        share = links["planned_share"].reindex(wanted).to_numpy(dtype="float64")
        role = _text(links["plan_role"].reindex(wanted).to_frame(), "plan_role")
        chosen = share > 0
        out = np.where(
            chosen & (role == "in place"),
            "in place",
            np.where(chosen & (status == "planned"), "planned", np.where(chosen, "new", "")),
        )
        return np.where(chosen, share, 0.0), out.astype(object)
    share = np.zeros(len(candidates))
    active = status == "active"
    if active.any():
        share[active] = summary.best_per_flow(candidates[active])
    planned = status == "planned"
    share[planned] = 1.0
    out = np.where(active & (share > 0), "in place", np.where(planned, "planned", ""))
    return share, out.astype(object)


def _substitutes(frame: pd.DataFrame, reference: Reference) -> dict[str, np.ndarray]:
    """Per candidate: the substitution factor and keys of what its receiver no longer buys."""
    from flows.scoring import substitute_for  # noqa: PLC0415

    served = _text(frame, "demand_resource")
    unit = _text(frame, "unit")
    keys = pd.MultiIndex.from_arrays([served, unit])
    codes, uniques = pd.factorize(keys)
    factor = np.full(len(uniques), np.nan)
    label = np.empty(len(uniques), dtype=object)
    for k, (resource, canonical) in enumerate(uniques):
        sub = substitute_for(str(resource), str(canonical), reference.substitutes)
        if sub is not None:
            factor[k] = sub.factor
            label[k] = f"{sub.price_key}; {sub.ef_key}; factor {sub.factor:g}"
        else:
            label[k] = ""
    return {"factor": factor[codes], "keys": label[codes]}


def _credited(frame: pd.DataFrame) -> np.ndarray:
    """Whether the receiver is credited with a virgin input, as scoring decides: not for a
    by-product that is already sold (and not in place), nor where the receiver is the
    counterfactual treatment itself (:data:`flows.scoring.RECEIVER_IS_ROUTE`)."""
    from flows.scoring import RECEIVER_IS_ROUTE  # noqa: PLC0415

    route = _text(frame, "counterfactual_route")
    kind = _text(frame, "demand_kind")
    in_place = _text(frame, "exchange_status") == "active"
    is_route = (_text(frame, "demand_resource") == "wastewater") & (route == "wastewater-treatment")
    for site_kind, routes in RECEIVER_IS_ROUTE.items():
        is_route |= (kind == site_kind) & np.isin(route, routes)
    sold = (route == "sold-as-product") & ~in_place
    out: np.ndarray = ~(sold | is_route)
    return out


def _exchange_figures(
    frame: pd.DataFrame, share: np.ndarray, reference: Reference
) -> dict[str, np.ndarray]:
    """Per (gated) candidate: every ledger figure at the counted flow, before booking."""
    piped = _text(frame, "mode") == "pipeline"
    # A pipe's annual cost and pumping are paid whatever flows (the plan's fixed cost).
    transport_scale = np.where(piped, np.where(share > 0, 1.0, 0.0), share)
    out = {
        name: _numbers(frame, name) * share
        for name in (
            "avoided_disposal_eur",
            "production_cost_eur",
            "avoided_purchase_eur",
            "avoided_disposal_co2e_t",
            "production_co2e_t",
            "avoided_virgin_co2e_t",
            "tonne_km",
        )
    }
    out["transport_cost_eur"] = _numbers(frame, "transport_cost_eur") * transport_scale
    out["transport_co2e_t"] = _numbers(frame, "transport_co2e_t") * transport_scale
    investment = _numbers(frame, "pipe_investment_eur")
    out["investment_eur"] = np.where(piped, investment, 0.0) * np.where(share > 0, 1.0, 0.0)
    withheld = frame["withheld"].to_numpy(dtype=bool)
    sent = _numbers(frame, "quantity") * share
    delivered = _numbers(frame, "delivered_quantity") * share
    delivered = np.where(np.isnan(delivered), sent, delivered)
    out["sent"], out["delivered"], out["loss"] = sent, delivered, sent - delivered
    unit = _text(frame, "unit")
    route = _text(frame, "counterfactual_route")
    family = _text(frame, "family")
    # Nothing is diverted where nothing is avoided (the receiver is the treatment itself).
    treated = _numbers(frame, "avoided_disposal_co2e_t") != 0
    treated |= _numbers(frame, "avoided_disposal_eur") != 0
    in_t = np.where((unit == "t/yr") & treated, sent, 0.0)
    in_t = np.where(np.isnan(sent), np.nan, in_t)
    out["waste_diverted_landfill_t"] = np.where(np.isin(route, _LANDFILL), in_t, 0.0)
    out["waste_diverted_incineration_t"] = np.where(np.isin(route, _INCINERATION), in_t, 0.0)
    subs = _substitutes(frame, reference)
    replaced = delivered * np.nan_to_num(subs["factor"]) * _credited(frame)
    energy = np.isin(family, _ENERGY_FAMILIES)
    water = family == "water"
    out["energy_saved_mwh"] = np.where(energy, replaced, 0.0)
    out["water_saved_m3"] = np.where(water, replaced, 0.0)
    out["virgin_material_replaced_t"] = np.where(~energy & ~water & (unit == "t/yr"), replaced, 0.0)
    # A withheld exchange shows no figure at all, not even a zero a route would give.
    for name, values in out.items():
        out[name] = np.where(withheld, np.nan, values)
    out["substitute_keys"] = subs["keys"]
    return out


def _documented(
    case: Case, year: int, covered: set[tuple[str, str, str]], gated_case: Case
) -> pd.DataFrame:
    """Recorded exchanges in place or planned in ``year`` that no ledger candidate carries."""
    from flows import periods  # noqa: PLC0415

    exchanges = gated_case.exchanges
    if exchanges.empty:
        return pd.DataFrame()
    status = periods.status_in(exchanges, year, start_column="since").astype(object)
    # An exchange recorded as active that starts after the year was not planned then: only
    # exchanges recorded as planned are listed before they start.
    recorded = pd.Series(_text(exchanges, "status"), index=exchanges.index).fillna("active")
    keep = ((status == "active") | ((status == "planned") & (recorded == "planned"))).to_numpy(
        dtype=bool, copy=True
    )
    key = zip(
        _text(exchanges, "from_site"),
        _text(exchanges, "to_site"),
        _text(exchanges, "resource"),
        strict=True,
    )
    keep &= np.array([k not in covered for k in key], dtype=bool)
    rows = exchanges[keep]
    # An exchange whose quantity repeats a confidential flow is withheld by the gate.
    owner_qty = _numbers(case.exchanges[keep], "quantity_canonical")
    qty = _numbers(rows, "quantity_canonical")
    return pd.DataFrame(
        {
            "candidate_id": [
                f"case:{a}>{b}:{r}"
                for a, b, r in zip(
                    _text(rows, "from_site"),
                    _text(rows, "to_site"),
                    _text(rows, "resource"),
                    strict=True,
                )
            ],
            "supply_site": _text(rows, "from_site"),
            "demand_site": _text(rows, "to_site"),
            "resource": _text(rows, "resource"),
            "demand_resource": _text(rows, "resource"),
            "family": _text(rows, "family"),
            "quantity": qty,
            "delivered_quantity": qty,
            "unit": _text(rows, "unit_canonical"),
            "mode": _text(rows, "mode"),
            "withheld": np.isnan(qty) & ~np.isnan(owner_qty),
            "_status": np.where(status[keep] == "active", "in place", "planned"),
            "exchange_source": _text(rows, "source"),
        }
    )


def _check_year(analysis: Analysis | None, year: int | None) -> int:
    if analysis is not None:
        if year is not None and int(year) != analysis.year:
            msg = (
                f"the analysis is for {analysis.year}, not {year}: analyse the case for "
                f"{year} (AnalysisOptions(year={year})) and build its ledger from that"
            )
            raise LedgerError(msg)
        return analysis.year
    if year is None:
        msg = "give the reference year (year=...) when building a ledger from candidates"
        raise LedgerError(msg)
    return int(year)


def build_ledger(
    case: Case,
    analysis_or_candidates: Analysis | pd.DataFrame,
    plan: Plan | None = None,
    *,
    year: int | None = None,
    tier: Tier = "public",
    reference_totals: pd.DataFrame | None = None,
    transport_paid_by: Party = "provider",
    reference: Reference | None = None,
    regions: gpd.GeoDataFrame | None = None,
    disclosure: DisclosureRule | None = None,
) -> Ledger:
    """The transaction ledger of a case for one reference year.

    Parameters
    ----------
    case
        The case analysed (its sites, exchanges and sources).
    analysis_or_candidates
        An :class:`~flows.pipeline.Analysis`, or its scored candidates (the owner's view:
        :attr:`Analysis.candidates`, or a frame that already passed :mod:`flows.privacy` for
        the same ``tier``).
    plan
        A cluster plan of the same candidates (:func:`flows.allocation.allocate`): its ``new``
        links are realised and its ``in place`` links counted at their flow. Without one,
        exchanges in place are counted as :func:`flows.summary.best_per_flow` counts them.
    year
        Reference year (default: the analysis'; required with a frame).
    tier
        The viewer tier (:mod:`flows.privacy`); ``public`` by default.
    reference_totals
        Optional company totals, columns ``site_id``, ``kind`` (:data:`REFERENCE_KINDS`) and
        ``total`` (t/yr, m3/yr or MWh/yr), giving ``share_of_own_total``.
    transport_paid_by
        Whose record books transport and pipe investment.
    reference
        Reference data for substitution factors and the factor table (default: the
        analysis', else the bundled one).
    regions
        A regions layer (:func:`read_regions`: polygons and a ``region`` name): each site's
        ``region`` is the polygon it lies in (:func:`assign_regions`), ``outside regions``
        when none, instead of its ``region``/``municipality``/``country`` attribute.
    disclosure
        When a lower tier's totals may include confidential contributions
        (:class:`flows.privacy.DisclosureRule`; default :data:`flows.privacy.DEFAULT_RULE`).
        From candidates gated before (a frame with ``withheld``) the owner's figures are not
        at hand: totals then sum the records the tier sees only.

    Returns
    -------
    Ledger

    Raises
    ------
    LedgerError
        For a year other than the analysis', a plan of other candidates, an unknown party or
        reference kind, or an owner ledger asked of candidates already withheld.
    """
    from flows import privacy  # noqa: PLC0415
    from flows import reference as reference_data  # noqa: PLC0415

    privacy.check_tier(tier)
    if transport_paid_by not in ("provider", "receiver"):
        msg = f"transport_paid_by must be 'provider' or 'receiver', not {transport_paid_by!r}"
        raise LedgerError(msg)
    if isinstance(analysis_or_candidates, pd.DataFrame):
        analysis = None
        owner = analysis_or_candidates
        ref = reference or reference_data.default()
    else:
        analysis = analysis_or_candidates
        owner = analysis.candidates
        ref = reference or analysis.reference
    ref_year = _check_year(analysis, year)
    if tier == "owner" and "withheld" in owner and owner["withheld"].fillna(False).any():
        msg = (
            "these candidates had figures withheld for the public tier: build an owner "
            "ledger from the owner's candidates (Analysis.candidates)"
        )
        raise LedgerError(msg)
    owner = owner.reset_index(drop=True)
    sites = _site_table(case, regions)
    book = {"ref": ref, "year": ref_year, "sites": sites, "paid_by": transport_paid_by}
    records = _book(case, owner, plan, tier=tier, **book)
    records = _with_reference_totals(records, reference_totals)[list(RECORD_COLUMNS)]
    pre_gated = "withheld" in owner and bool(owner["withheld"].fillna(False).any())
    tables = None
    withheld_figures = None
    if tier == "owner" or not pre_gated:
        # The owner's figures, summed and released through the gate: a lower tier gets the
        # totals the disclosure rule allows, never a record's figure.
        full = records if tier == "owner" else _book(case, owner, plan, tier="owner", **book)
        if not np.array_equal(_text(full, "record_id"), _text(records, "record_id")):
            msg = "the owner's and the viewer's ledgers differ in their records (a bug)"
            raise LedgerError(msg)
        withheld = records["withheld"].to_numpy(dtype=bool)
        tables, withheld_figures = _released(full, withheld, tier=tier, rule=disclosure)
    outside = sites.index[sites["region_basis"] == OUTSIDE_REGIONS]
    return Ledger(
        records=records,
        tier=tier,
        years=(ref_year,),
        parameter_set=ref.version,
        reference=ref,
        tables=tables,
        withheld_figures=withheld_figures,
        outside_regions=tuple(str(s) for s in outside),
    )


def _book(
    case: Case,
    owner: pd.DataFrame,
    plan: Plan | None,
    *,
    tier: Tier,
    ref: Reference,
    year: int,
    sites: pd.DataFrame,
    paid_by: Party,
) -> pd.DataFrame:
    """The records of one ledger for ``tier`` (before reference totals)."""
    from flows import privacy  # noqa: PLC0415

    share, status = _shares(owner, plan)
    keep = status != ""
    gated = privacy.candidates(owner[keep].reset_index(drop=True), tier=tier)
    if "withheld" in owner:  # a frame gated before keeps what it withheld
        gated["withheld"] |= owner.loc[keep, "withheld"].fillna(False).to_numpy(dtype=bool)
    share, status = share[keep], status[keep]
    figures = _exchange_figures(gated, share, ref)
    covered = {
        (str(s), str(d), str(r))
        for s, d, res, dem in zip(
            _text(gated, "supply_site"),
            _text(gated, "demand_site"),
            _text(gated, "resource"),
            _text(gated, "demand_resource"),
            strict=True,
        )
        for r in (res, dem)
    }
    documented = _documented(case, year, covered, privacy.case(case, tier=tier))
    exchanges = _exchange_rows(case, gated, share, status, figures)
    if len(documented):
        exchanges = pd.concat([exchanges, _documented_rows(documented)], ignore_index=True)
    return _records(exchanges, sites, year, transport_paid_by=paid_by)


def _exchange_rows(
    case: Case,
    gated: pd.DataFrame,
    share: np.ndarray,
    status: np.ndarray,
    figures: dict[str, np.ndarray],
) -> pd.DataFrame:
    """One row per exchange from the scored candidates the ledger counts."""
    sources = _exchange_sources(case, gated)
    unit = _text(gated, "unit")
    mode = _text(gated, "mode")
    transport = np.array(
        [
            "pipe: pipe_costs.csv" if m == "pipeline" else f"transport.cost.{m}; transport.ef.{m}"
            for m in mode
        ],
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "exchange_id": _text(gated, "candidate_id"),
            "ledger_status": status,
            "scored": True,
            "withheld": gated["withheld"].to_numpy(dtype=bool),
            "provider_site": _text(gated, "supply_site"),
            "receiver_site": _text(gated, "demand_site"),
            "resource": _text(gated, "resource"),
            "demand_resource": _text(gated, "demand_resource"),
            "family": _text(gated, "family"),
            "unit": unit,
            "share_of_candidate": share,
            "mode": mode,
            "distance_m": _numbers(gated, "distance_m"),
            "distance_kind": _text(gated, "distance_kind"),
            "counterfactual_route": _text(gated, "counterfactual_route"),
            "counterfactual_basis": _text(gated, "counterfactual_basis"),
            "transport_keys": transport,
            "parameter_set": _text(gated, "parameter_set"),
            "basis": _text(gated, "basis"),
            "confidence": _text(gated, "confidence"),
            "exchange_source": sources,
        }
    )
    for name, values in figures.items():
        frame[name] = values
    return frame


def _exchange_sources(case: Case, gated: pd.DataFrame) -> np.ndarray:
    """The case's source of the recorded exchange each candidate repeats ("" if none)."""
    ex = case.exchanges
    if ex.empty or "source" not in ex.columns:
        return np.full(len(gated), "", dtype=object)
    table = {
        (str(a), str(b), str(r)): str(s)
        for a, b, r, s in zip(
            _text(ex, "from_site"),
            _text(ex, "to_site"),
            _text(ex, "resource"),
            _text(ex, "source"),
            strict=True,
        )
        if s is not None
    }
    out = [
        table.get((str(a), str(b), str(r)), table.get((str(a), str(b), str(d)), ""))
        for a, b, r, d in zip(
            _text(gated, "supply_site"),
            _text(gated, "demand_site"),
            _text(gated, "resource"),
            _text(gated, "demand_resource"),
            strict=True,
        )
    ]
    return np.array(out, dtype=object)


def _documented_rows(documented: pd.DataFrame) -> pd.DataFrame:
    """Exchange rows without a scored candidate: quantity where published, no figures."""
    n = len(documented)
    nan = np.full(n, np.nan)
    qty = documented["quantity"].to_numpy(dtype="float64")
    frame = pd.DataFrame(
        {
            "exchange_id": documented["candidate_id"].to_numpy(dtype=object),
            "ledger_status": documented["_status"].to_numpy(dtype=object),
            "scored": False,
            "withheld": documented["withheld"].to_numpy(dtype=bool),
            "provider_site": documented["supply_site"].to_numpy(dtype=object),
            "receiver_site": documented["demand_site"].to_numpy(dtype=object),
            "resource": documented["resource"].to_numpy(dtype=object),
            "demand_resource": documented["demand_resource"].to_numpy(dtype=object),
            "family": documented["family"].to_numpy(dtype=object),
            "unit": documented["unit"].to_numpy(dtype=object),
            "share_of_candidate": nan,
            "mode": documented["mode"].to_numpy(dtype=object),
            "distance_m": nan,
            "distance_kind": None,
            "counterfactual_route": None,
            "counterfactual_basis": None,
            "transport_keys": None,
            "parameter_set": None,
            "basis": "declared",
            "confidence": "declared",
            "exchange_source": documented["exchange_source"].to_numpy(dtype=object),
            "sent": qty,
            "delivered": qty,
            "loss": np.where(np.isnan(qty), np.nan, 0.0),
            "substitute_keys": None,
        }
    )
    for name in (*_PROVIDER_FIGURES, *_RECEIVER_FIGURES, *_TRANSPORT_FIGURES):
        frame[name] = nan
    # Make duplicated ids (two documented rows of one triple) unique, in order.
    dup = frame.groupby("exchange_id").cumcount().to_numpy()
    frame["exchange_id"] = np.where(
        dup > 0, frame["exchange_id"] + "#" + (dup + 1).astype(str), frame["exchange_id"]
    )
    return frame


def _records(
    exchanges: pd.DataFrame, sites: pd.DataFrame, year: int, *, transport_paid_by: Party
) -> pd.DataFrame:
    """Two records per exchange row: the provider's (outgoing) and the receiver's (incoming),
    each figure booked on its party's record only (``sites``: :func:`_site_table`)."""
    out_rec = exchanges.assign(
        direction="outgoing",
        site_id=exchanges["provider_site"],
        partner_site=exchanges["receiver_site"],
        quantity=exchanges["sent"],
        loss_quantity=exchanges["loss"],
    )
    in_rec = exchanges.assign(
        direction="incoming",
        site_id=exchanges["receiver_site"],
        partner_site=exchanges["provider_site"],
        quantity=exchanges["delivered"],
        loss_quantity=0.0,
    )
    # The other party's record books nothing of these (unknown stays unknown).
    unknown = (exchanges["withheld"] | ~exchanges["scored"]).to_numpy(dtype=bool)
    for name in _PROVIDER_FIGURES:
        in_rec[name] = np.where(unknown, np.nan, 0.0)
    for name in _RECEIVER_FIGURES:
        out_rec[name] = np.where(unknown, np.nan, 0.0)
    other = in_rec if transport_paid_by == "provider" else out_rec
    for name in _TRANSPORT_FIGURES:
        other[name] = np.where(unknown, np.nan, 0.0)
    records = pd.concat([out_rec, in_rec], ignore_index=True)
    # Interleave so that each exchange's two records are adjacent: out, in, out, in...
    n = len(exchanges)
    order = np.arange(2 * n).reshape(2, n).T.ravel()
    records = records.iloc[order].reset_index(drop=True)
    records["record_id"] = records["exchange_id"] + np.where(
        records["direction"] == "outgoing", ":out", ":in"
    )
    records["year"] = year
    records["cost_savings_eur"] = (
        records["avoided_disposal_eur"]
        - records["production_cost_eur"]
        + records["avoided_purchase_eur"]
    )
    records["net_savings_eur"] = records["cost_savings_eur"] - records["transport_cost_eur"]
    records["net_co2e_t"] = (
        records["avoided_disposal_co2e_t"]
        + records["avoided_virgin_co2e_t"]
        - records["production_co2e_t"]
        - records["transport_co2e_t"]
    )
    own = sites.reindex(records["site_id"].astype(object))
    records["site_nace"] = own["nace"].to_numpy(dtype=object)
    records["park_id"] = own["park_id"].to_numpy(dtype=object)
    records["region"] = own["region"].to_numpy(dtype=object)
    records["region_basis"] = own["region_basis"].to_numpy(dtype=object)
    records["provider_nace"] = sites["nace"].reindex(records["provider_site"]).to_numpy(object)
    records["receiver_nace"] = sites["nace"].reindex(records["receiver_site"]).to_numpy(object)
    resource = records["resource"].astype(str)
    is_ewc = resource.str.fullmatch(r"\d{2} \d{2} \d{2}\*?").to_numpy(dtype=bool)
    records["resource_kind"] = np.where(is_ewc, "ewc", "carrier")
    records["hazardous"] = is_ewc & resource.str.endswith("*").to_numpy(dtype=bool)
    return records


def _with_reference_totals(records: pd.DataFrame, totals: pd.DataFrame | None) -> pd.DataFrame:
    """Add each record's own-total kind, the site's total of that kind and the ratio."""
    unit = records["unit"].astype(object)
    kind = unit.map(_KIND_OF_UNIT).astype(object)
    # A site's incoming material is no waste of its own: no EMAS ratio for it.
    kind = kind.where(~((unit == "t/yr") & (records["direction"] == "incoming")), None)
    records["own_total_kind"] = kind.to_numpy(dtype=object)
    records["own_total"] = np.nan
    records["share_of_own_total"] = np.nan
    if totals is None:
        return records
    missing = {"site_id", "kind", "total"} - set(totals.columns)
    if missing:
        msg = f"reference_totals needs the columns site_id, kind, total; missing {sorted(missing)}"
        raise LedgerError(msg)
    bad = set(totals["kind"].astype(str)) - set(REFERENCE_KINDS)
    if bad:
        msg = f"unknown reference kind(s) {sorted(bad)}; use {', '.join(REFERENCE_KINDS)}"
        raise LedgerError(msg)
    table = totals.assign(total=pd.to_numeric(totals["total"], errors="coerce"))
    table = table.groupby(["site_id", "kind"])["total"].sum()
    key = pd.MultiIndex.from_arrays([records["site_id"].astype(object), kind])
    own = table.reindex(key).to_numpy(dtype="float64")
    records["own_total"] = own
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = records["quantity"].to_numpy(dtype="float64") / own
    records["share_of_own_total"] = np.where(own > 0, ratio, np.nan)
    return records


def combine(ledgers: Sequence[Ledger]) -> Ledger:
    """Ledgers of several reference years (same tier) as one, for the per-year consolidation.

    Raises
    ------
    LedgerError
        For no ledgers, mixed tiers or a year given twice.
    """
    if not ledgers:
        msg = "no ledgers to combine"
        raise LedgerError(msg)
    tiers = {ledger.tier for ledger in ledgers}
    if len(tiers) > 1:
        msg = f"ledgers of different tiers cannot be combined: {sorted(tiers)}"
        raise LedgerError(msg)
    years = [y for ledger in ledgers for y in ledger.years]
    if len(set(years)) != len(years):
        msg = f"a year is given twice: {sorted(years)}"
        raise LedgerError(msg)
    versions = dict.fromkeys(ledger.parameter_set for ledger in ledgers)
    return Ledger(
        records=pd.concat([ledger.records for ledger in ledgers], ignore_index=True),
        tier=ledgers[0].tier,
        years=tuple(years),
        parameter_set=" | ".join(versions),
        reference=ledgers[0].reference,
    )


def factor_table(reference: Reference) -> pd.DataFrame:
    """Every factor of a reference bundle with its source: the parameter set
    (``parameters.csv``), the pipe set (``pipe_costs.csv``), the counterfactual routes and
    supply kinds (``counterfactuals.csv``, ``supply_kinds.csv``) and the substitution table
    (``substitution.csv``), each row naming the set's version and the file documenting it."""
    params = reference.parameters.to_frame().assign(
        set=reference.parameters.version, document="datasets/reference/parameters.md"
    )
    pipes = reference.pipes
    pipe_rows = pd.DataFrame(
        {
            "key": list(pipes.values),
            "value": [pipes.values[k] for k in pipes.values],
            "unit": [pipes.units.get(k, "") for k in pipes.values],
            "source": [pipes.sources.get(k, "") for k in pipes.values],
            "source_version": "",
            "note": "",
            "set": pipes.version,
            "document": "datasets/reference/pipe_costs.md",
        }
    )
    table = reference.counterfactuals
    cf_rows = pd.DataFrame(
        [
            {
                "key": f"counterfactual.{r.country}.{r.match}.{r.route}.{part}",
                "value": value,
                "unit": f"{unit} per {r.unit}",
                "source": r.source,
                "source_version": str(r.source_year),
                "note": r.note,
            }
            for r in table.rows
            for part, value, unit in (
                ("cost", r.cost_eur_per_unit, "EUR"),
                ("ef", r.ef_kgco2e_per_unit, "kg CO2e"),
            )
        ]
        + [
            {
                "key": f"supply_kind.{k.kind}.{k.carrier or '*'}.{part}",
                "value": value,
                "unit": f"{unit} per {k.unit}",
                "source": k.source,
                "source_version": str(k.source_year),
                "note": k.note,
            }
            for k in table.supply_kinds
            for part, value, unit in (
                ("cost", k.cost_eur_per_unit, "EUR"),
                ("ef", k.ef_kgco2e_per_unit, "kg CO2e"),
            )
        ]
    ).assign(set=table.version, document="datasets/reference/counterfactuals.md")
    subs = pd.DataFrame(
        [
            {
                "key": f"substitution.{s.match}.{s.unit}",
                "value": s.factor,
                "unit": f"virgin units per {s.unit.removesuffix('/yr')}",
                "source": f"{s.price_key}; {s.ef_key} (parameters.csv)",
                "source_version": reference.parameters.version,
                "note": s.note,
            }
            for s in reference.substitutes
        ]
    ).assign(set="substitution.csv", document="datasets/reference/parameters.md")
    columns = ["set", "key", "value", "unit", "source", "source_version", "note", "document"]
    return pd.concat([params, pipe_rows, cf_rows, subs], ignore_index=True)[columns]


# -- files --------------------------------------------------------------------------------------


def _csv_bytes(frame: pd.DataFrame, notes: list[str], name: str) -> bytes:
    from flows.frames import plain_dtypes, safe_text_for_csv  # noqa: PLC0415

    safe, changes = safe_text_for_csv(plain_dtypes(frame))
    notes.extend(f"{name}: {change}" for change in changes)
    text: str = safe.to_csv(index=False)
    return text.encode("utf-8")


def _tables(ledger: Ledger) -> dict[str, pd.DataFrame]:
    """Every table a file holds: the records, each consolidation and the factors."""
    return {"records": ledger.records, **ledger.consolidations(), "factors": ledger.factors()}


def _write_zip(ledger: Ledger, path: Path, notes: list[str]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in _tables(ledger).items():
            archive.writestr(f"{name}.csv", _csv_bytes(frame, notes, f"{name}.csv"))


def _write_xlsx(ledger: Ledger, path: Path, notes: list[str]) -> None:
    from flows.frames import plain_dtypes  # noqa: PLC0415
    from flows.io.xlsx_files import _excel_safe, _keep_text  # noqa: PLC0415

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in _tables(ledger).items():
            safe = _excel_safe(name, plain_dtypes(frame), notes)
            safe.to_excel(writer, sheet_name=name, index=False)
            _keep_text(writer.book[name])
    path.write_bytes(buffer.getvalue())


def _write_gpkg(ledger: Ledger, case: Case, path: Path, notes: list[str]) -> None:
    import pyogrio  # noqa: PLC0415

    from flows.exports import candidate_lines  # noqa: PLC0415
    from flows.frames import plain_dtypes, strip_control_characters  # noqa: PLC0415

    records = ledger.records
    ends = records.assign(
        supply_site=records["provider_site"], demand_site=records["receiver_site"]
    )
    lines = candidate_lines(ends, case).drop(columns=["supply_site", "demand_site"])
    for name, frame in _tables(ledger).items():
        table = lines if name == "records" else frame
        clean, changes = strip_control_characters(plain_dtypes(table))
        notes.extend(f"{path.name}, layer {name}: {change}" for change in changes)
        layer = "ledger" if name == "records" else name
        if name == "records":
            pyogrio.write_dataframe(
                clean, path, layer=layer, driver="GPKG", geometry_type="LineString"
            )
        else:
            pyogrio.write_dataframe(pd.DataFrame(clean), path, layer=layer, driver="GPKG")


def write_ledger(
    ledger: Ledger,
    target: str | os.PathLike[str],
    *,
    case: Case | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write a ledger, atomically (:func:`flows.atomic.atomic_file`).

    ``.csv``: the records. ``.zip``: ``records.csv``, one CSV per consolidation
    (:data:`CONSOLIDATIONS` and ``totals``) and ``factors.csv``. ``.xlsx``: the same tables as
    sheets. ``.gpkg``: the records as lines from the provider to the receiver (layer
    ``ledger``, EPSG:4326) and the other tables as attribute layers. CSV text is made safe for
    spreadsheets (:func:`flows.frames.safe_text_for_csv`: formula-like cells quoted, control
    characters removed), workbook and GeoPackage text as the case writers do. The ledger is
    written as it is: build it for the tier that may read the file.

    Parameters
    ----------
    ledger
        From :func:`build_ledger`.
    target
        The file; its suffix picks the format (:data:`LEDGER_SUFFIXES`).
    case
        The case whose sites the lines join (required for ``.gpkg``).
    notes
        If given, one sentence per change made to the text is appended.

    Raises
    ------
    LedgerError
        For another suffix, or a GeoPackage without its case.
    CaseWriteError
        If the file cannot be written; an existing file is then left as it was.
    """
    from flows.atomic import atomic_file  # noqa: PLC0415

    path = Path(target)
    suffix = path.suffix.lower()
    if suffix not in LEDGER_SUFFIXES:
        msg = f"{path.name}: a ledger is written as {', '.join(LEDGER_SUFFIXES)}"
        raise LedgerError(msg)
    if suffix == ".gpkg" and case is None:
        msg = f"{path.name}: a GeoPackage ledger needs the case (case=...) to draw its lines"
        raise LedgerError(msg)
    changes: list[str] = []
    try:
        with atomic_file(path) as tmp:
            if suffix == ".csv":
                tmp.write_bytes(_csv_bytes(ledger.records, changes, path.name))
            elif suffix == ".zip":
                _write_zip(ledger, tmp, changes)
            elif suffix == ".xlsx":
                _write_xlsx(ledger, tmp, changes)
            else:
                assert case is not None  # checked above, for mypy
                _write_gpkg(ledger, case, tmp, changes)
    except (CaseWriteError, LedgerError):
        raise
    except (OSError, ValueError) as err:
        msg = f"could not write {path.name}: {err}"
        raise CaseWriteError(msg) from err
    for note in changes:
        _log.info("%s", note)
    if notes is not None:
        notes.extend(changes)
    return path
