"""Shared heat networks: heat sources and sinks within reach joined as one hot-water network.

Point-to-point pipes (:mod:`flows.scoring`) link one source to one sink. Where several sources
and sinks lie within reach of each other, one network can serve them all with less trench: the
Hotmaps excess-heat module (HotMaps/excess_heat_cm, ``excess_heat/excess_heat.py``, read at
commit 01f39ba41ab0) joins sources and sinks within a search radius by source-sink,
source-source and sink-sink connections, reduces them to a minimum spanning tree by distance,
sizes each connection by the heat that flows across it and adds heat exchangers at the
sources and sinks by their own flows; the network's annuity and operating costs over the heat
it carries give the levelised cost of heat. :func:`shared_networks` does the same on the
heat candidates of an analysis:

* the sites of the hot-water candidates (``mode`` pipeline, ``heat`` or ``steam`` offered to a
  ``heat`` demand, in MWh/yr) that candidates link, directly or through each other, form a
  group; within a group every pair of sites at most ``max_km`` apart is a possible trench,
  measured on the road network when one is given (shortest path between the snapped nodes
  plus both access legs) and otherwise as the geodesic times the pipeline circuity factor;
* the minimum spanning tree of those trenches (``scipy.sparse.csgraph``) is the network; a
  tree with at least ``min_sites`` sites, a source and a sink is kept;
* the heat carried is ``min(supply, demand)``: every source gives and every sink takes the
  same share of what it declared (one of the maximum flows of the tree, where Hotmaps solves a
  maximum-flow problem), so the heat crossing each edge is the surplus of the sites on one side
  of it;
* each edge is a THERMOS-sized pipe (:func:`flows.pipes.pipe_economics`) for the heat that
  crosses it, at the flow temperature of the network's coolest source; heat exchangers and the
  circulation pump are Hotmaps' (:func:`flows.pipes.heat_exchanger_investment_eur`), at each
  source and each sink for its own peak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from flows import pipes
from flows._errors import SymbioMapError
from flows.model import Case
from geo import distance as geo_distance
from geo import modes
from geo.routing import DEFAULT_MAX_ACCESS_M, RoadNetwork

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SOURCE_RESOURCES = ("heat", "steam")
"""Offered resources a hot-water network takes in (steam through a heat exchanger)."""
SINK_RESOURCES = ("heat",)
"""Demanded resources it serves (a steam demand needs a steam line, not hot water)."""
DEFAULT_MAX_KM = 10.0
DEFAULT_MIN_SITES = 3
DENSE_MAX_SITES = 2000
"""Above this many sites a group's trenches are the candidates' own pairs only: every pair of
2,000 sites is already 2 million distances."""

EDGE_COLUMNS = (
    "from_site",
    "to_site",
    "length_m",
    "distance_kind",
    "heat_mwh_per_yr",
    "peak_mw",
    "diameter_m",
    "investment_eur",
    "heat_loss_mwh_per_yr",
    "pumping_mwh_per_yr",
    "annual_cost_eur_per_yr",
)
"""The edges of a :class:`HeatNetwork`: heat flows from ``from_site`` to ``to_site``."""


class HeatNetworkError(SymbioMapError, ValueError):
    """A shared heat network cannot be built from what was given (missing columns or sites)."""


@dataclass(frozen=True)
class HeatNetwork:
    """One shared hot-water network: its tree of pipes and what it delivers at what cost.

    Attributes
    ----------
    network_id
        ``HN1``, ``HN2``... by decreasing heat carried.
    edges
        One row per pipe (:data:`EDGE_COLUMNS`).
    sites
        Per site of the network: ``site_id``, ``role`` (source, sink or both),
        ``supply_mwh_per_yr`` and ``demand_mwh_per_yr`` declared, ``injected_mwh_per_yr`` and
        ``withdrawn_mwh_per_yr`` in the network's flows, and its ``temperature_c``.
    candidate_ids
        The point-to-point candidates whose sites the network joins.
    length_m
        Trench length of the tree, m.
    supply_mwh_per_yr, demand_mwh_per_yr
        What the sources offer and the sinks need, MWh/yr.
    carried_mwh_per_yr
        Heat the sources feed in: the smaller of the two.
    heat_loss_mwh_per_yr
        Lost in the pipes (sized for the full carried heat).
    delivered_mwh_per_yr
        What reaches the sinks: carried minus losses, never below 0.
    pipe_investment_eur, exchanger_investment_eur, investment_eur
        Pipes (THERMOS), heat exchangers and pumps (Hotmaps), and both.
    annual_cost_eur_per_yr
        Annuity of the investment, O&M and pumping electricity.
    pumping_co2e_t_per_yr
        CO2e of the pumping electricity (grid factor of the run), t/yr.
    levelised_cost_eur_per_mwh
        Annual cost per MWh delivered (inf when nothing arrives).
    flow_temperature_c, return_temperature_c
        Temperatures the network runs at, C.
    distance_kind
        ``road`` when every edge was measured on the road network, ``estimated`` (geodesic x
        circuity) when none was, ``mixed`` otherwise.
    parameter_set
        The pipe parameter set's version.
    """

    network_id: str
    edges: pd.DataFrame = field(repr=False)
    sites: pd.DataFrame = field(repr=False)
    candidate_ids: tuple[str, ...]
    length_m: float
    supply_mwh_per_yr: float
    demand_mwh_per_yr: float
    carried_mwh_per_yr: float
    heat_loss_mwh_per_yr: float
    delivered_mwh_per_yr: float
    pipe_investment_eur: float
    exchanger_investment_eur: float
    investment_eur: float
    annual_cost_eur_per_yr: float
    levelised_cost_eur_per_mwh: float
    flow_temperature_c: float
    return_temperature_c: float
    distance_kind: str
    parameter_set: str
    pumping_co2e_t_per_yr: float


@dataclass(frozen=True)
class _Settings:
    """What every network of one call is computed with."""

    params: pipes.PipeParameters
    network: RoadNetwork | None
    max_m: float
    min_sites: int
    circuity: float
    electricity_price_eur_per_mwh: float
    grid_ef_kg_co2e_per_mwh: float
    max_access_m: float


def shared_networks(
    candidates: pd.DataFrame,
    case: Case,
    *,
    pipe_parameters: pipes.PipeParameters,
    electricity_price_eur_per_mwh: float,
    grid_ef_kg_co2e_per_mwh: float,
    network: RoadNetwork | None = None,
    max_km: float = DEFAULT_MAX_KM,
    min_sites: int = DEFAULT_MIN_SITES,
    circuity: Mapping[str, modes.ModeFactor] | None = None,
    max_access_m: float = DEFAULT_MAX_ACCESS_M,
) -> list[HeatNetwork]:
    """Shared hot-water networks over the heat candidates of an analysis.

    Parameters
    ----------
    candidates
        Matched (or scored) candidates: ``candidate_id``, ``supply_site``, ``demand_site``,
        ``resource``, ``demand_resource``, ``supply_quantity``, ``demand_quantity``, ``unit``,
        ``supply_temperature_c``, ``demand_temperature_c``, ``mode``; candidates inferred from
        sector codes (``basis`` other than ``declared``) take no part, their quantities being
        unknown.
    case
        The case whose sites the candidates name (for their positions).
    pipe_parameters
        From :func:`flows.pipes.load_pipe_parameters` (or the reference bundle's).
    electricity_price_eur_per_mwh, grid_ef_kg_co2e_per_mwh
        Price and emission factor of the pumping electricity (the scoring parameter set's
        ``price.electricity`` and ``ef.grid_electricity.eu``).
    network
        A road network: trenches follow the streets (shortest paths between the snapped sites
        plus both access legs). None: geodesic x the pipeline circuity factor.
    max_km
        Longest trench between two sites, km.
    min_sites
        Fewest sites a shared network joins (two are a point-to-point pipe).
    circuity
        Circuity factors per mode (default :func:`geo.modes.factors`); ``pipeline`` is used.
    max_access_m
        Sites farther than this from the road network are measured as estimated.

    Returns
    -------
    list of HeatNetwork
        By decreasing heat carried; empty when no group of sites qualifies.

    Raises
    ------
    HeatNetworkError
        If a column is missing or a candidate names a site the case does not hold.
    """
    missing = [c for c in _NEEDED if c not in candidates.columns]
    if missing:
        msg = f"the candidates lack {', '.join(missing)}: pass matched or scored candidates"
        raise HeatNetworkError(msg)
    factor = (circuity or modes.factors())["pipeline"].circuity
    settings = _Settings(
        params=pipe_parameters,
        network=network,
        max_m=float(max_km) * 1000.0,
        min_sites=max(int(min_sites), 2),
        circuity=float(factor),
        electricity_price_eur_per_mwh=float(electricity_price_eur_per_mwh),
        grid_ef_kg_co2e_per_mwh=float(grid_ef_kg_co2e_per_mwh),
        max_access_m=float(max_access_m),
    )
    heat = _heat_candidates(candidates)
    if heat.empty:
        return []
    sites = _site_table(heat, case, approach_k=pipe_parameters["heat.approach_temperature_k"])
    found: list[HeatNetwork] = []
    for members in _groups(heat, sites):
        found.extend(_networks_of(members, heat, sites, settings))
    found.sort(key=lambda net: -net.carried_mwh_per_yr)
    return [replace(net, network_id=f"HN{i}") for i, net in enumerate(found, 1)]


_NEEDED = (
    "candidate_id",
    "supply_site",
    "demand_site",
    "resource",
    "demand_resource",
    "supply_quantity",
    "demand_quantity",
    "unit",
    "supply_temperature_c",
    "demand_temperature_c",
    "mode",
)


def _heat_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """The hot-water pipe candidates with a positive quantity on both sides."""
    frame = candidates
    keep = (
        (frame["mode"].astype("object") == "pipeline")
        & frame["resource"].astype("object").isin(SOURCE_RESOURCES)
        & frame["demand_resource"].astype("object").isin(SINK_RESOURCES)
        & (frame["unit"].astype("object") == "MWh/yr")
        & (pd.to_numeric(frame["supply_quantity"], errors="coerce") > 0)
        & (pd.to_numeric(frame["demand_quantity"], errors="coerce") > 0)
    )
    if "basis" in frame.columns:
        keep &= frame["basis"].astype("object") == "declared"
    out = frame.loc[keep, list(_NEEDED)].copy()
    for column in ("supply_site", "demand_site", "resource", "demand_resource"):
        out[column] = out[column].astype("object").astype(str)
    return out.reset_index(drop=True)


def _site_table(heat: pd.DataFrame, case: Case, *, approach_k: float) -> pd.DataFrame:
    """Per site of the heat candidates: position, heat offered and needed, temperatures.

    A site's supply is the sum of its distinct heat and steam supplies (each counted once
    however many candidates name it), its demand the same over its heat demands; its
    temperature the hottest it offers and the most it needs.
    """
    supply = heat.drop_duplicates(["supply_site", "resource"]).groupby("supply_site")
    demand = heat.drop_duplicates(["demand_site", "demand_resource"]).groupby("demand_site")
    table = pd.DataFrame(
        {
            "supply_mwh_per_yr": supply["supply_quantity"].sum(),
            "supply_c": supply["supply_temperature_c"].max(),
        }
    ).join(
        pd.DataFrame(
            {
                "demand_mwh_per_yr": demand["demand_quantity"].sum(),
                "demand_c": demand["demand_temperature_c"].max(),
                # a sink served by a hotter source only through the network's approach
                "needs_c": demand["demand_temperature_c"].max() + approach_k,
            }
        ),
        how="outer",
    )
    table[["supply_mwh_per_yr", "demand_mwh_per_yr"]] = table[
        ["supply_mwh_per_yr", "demand_mwh_per_yr"]
    ].fillna(0.0)
    site_ids = case.sites["site_id"].astype(str)
    unknown = sorted(set(table.index) - set(site_ids))
    if unknown:
        msg = f"candidates name sites the case does not hold: {', '.join(unknown[:10])}"
        raise HeatNetworkError(msg)
    points = case.sites.geometry.set_axis(site_ids.to_numpy()).loc[table.index]
    table["lon"], table["lat"] = geo_distance.lonlat(points)
    table.index.name = "site_id"
    return table


def _groups(heat: pd.DataFrame, sites: pd.DataFrame) -> list[IntArray]:
    """Positions (in ``sites``) of the sites that candidates link, group by group."""
    position = pd.Series(np.arange(len(sites)), index=sites.index)
    a = position.loc[heat["supply_site"]].to_numpy()
    b = position.loc[heat["demand_site"]].to_numpy()
    links = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(sites), len(sites)))
    _, label = csgraph.connected_components(links, directed=False)
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return [group for group in np.split(order, cuts) if len(group) >= 2]


def _networks_of(
    members: IntArray, heat: pd.DataFrame, sites: pd.DataFrame, settings: _Settings
) -> list[HeatNetwork]:
    """The shared networks of one group of linked sites (one per tree of its forest)."""
    group = sites.iloc[members]
    source_c = group["supply_c"].where(group["supply_mwh_per_yr"] > 0)
    flow_c, return_c = _temperatures(float(source_c.min()), settings.params)
    # a sink the network's (coolest source's) temperature cannot serve is left out
    servable = (group["demand_mwh_per_yr"] == 0) | ~(group["needs_c"] > flow_c)
    group = group[servable.to_numpy()]
    if len(group) < settings.min_sites:
        return []
    length, kind = _trenches(group, heat, settings)
    tree = csgraph.minimum_spanning_tree(length)
    n_trees, label = csgraph.connected_components(tree, directed=False)
    out = []
    for t in range(n_trees):
        part = np.flatnonzero(label == t)
        sub = group.iloc[part]
        if (
            len(part) < settings.min_sites
            or not (sub["supply_mwh_per_yr"] > 0).any()
            or not (sub["demand_mwh_per_yr"] > 0).any()
        ):
            continue
        sub_tree = tree[part][:, part]
        sub_kind = kind[part][:, part]
        out.append(
            _network(sub, sub_tree, sub_kind, heat, settings, flow_c=flow_c, return_c=return_c)
        )
    return out


def _temperatures(coolest_source_c: float, params: pipes.PipeParameters) -> tuple[float, float]:
    """Flow and return temperatures of a network fed at its coolest source's temperature.

    The flow is that temperature (THERMOS' default where none is declared); the return
    THERMOS' default but at most 30 K below the flow and a few kelvin above the ground, as
    :mod:`flows.scoring` runs a point-to-point hot-water line (a SymbioMap estimate).
    """
    ground = params["thermos.ground_temperature_c"]
    flow = (
        coolest_source_c if np.isfinite(coolest_source_c) else params["thermos.flow_temperature_c"]
    )
    flow = max(flow, ground + 10.0)
    back = min(params["thermos.return_temperature_c"], flow - 30.0)
    back = min(max(back, ground + 2.0), flow - 5.0)
    return float(flow), float(back)


def _trenches(
    group: pd.DataFrame, heat: pd.DataFrame, settings: _Settings
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Possible trenches between the group's sites, m (upper triangle), and a symmetric
    matrix holding 1 where a trench was measured on the road network."""
    n = len(group)
    lon, lat = group["lon"].to_numpy(), group["lat"].to_numpy()
    if n <= DENSE_MAX_SITES:
        i, j = np.triu_indices(n, k=1)
    else:
        position = pd.Series(np.arange(n), index=group.index)
        pairs = heat[heat["supply_site"].isin(group.index) & heat["demand_site"].isin(group.index)]
        a = position.loc[pairs["supply_site"]].to_numpy()
        b = position.loc[pairs["demand_site"]].to_numpy()
        i, j = np.minimum(a, b), np.maximum(a, b)
        keep = i != j
        i, j = i[keep], j[keep]
    estimated = geo_distance.geodesic_m(lon[i], lat[i], lon[j], lat[j]) * settings.circuity
    metres = estimated
    road = np.zeros(len(i), dtype=bool)
    if settings.network is not None:
        on_road = _road_m(group, i, j, settings.network, settings)
        road = np.isfinite(on_road)
        metres = np.where(road, on_road, estimated)
    within = metres <= settings.max_m
    # coincident sites still need an edge: csgraph drops explicit zeros
    weights = np.maximum(metres[within], 1e-6)
    matrix = sparse.csr_matrix((weights, (i[within], j[within])), shape=(n, n))
    on_road = road[within]
    kind = sparse.csr_matrix(
        (np.ones(int(on_road.sum())), (i[within][on_road], j[within][on_road])), shape=(n, n)
    )
    return matrix, kind + kind.T


def _road_m(
    group: pd.DataFrame, i: IntArray, j: IntArray, network: RoadNetwork, settings: _Settings
) -> FloatArray:
    """Trench length along the streets between pairs of sites, m (inf: no route)."""
    import geopandas as gpd  # noqa: PLC0415 - geopandas is loaded with the case anyway

    points = gpd.GeoSeries(gpd.points_from_xy(group["lon"], group["lat"]), crs=4326)
    snapped = network.snap(points, max_access_m=settings.max_access_m)
    node = snapped["node"].to_numpy()
    access = np.where(snapped["off_network"].to_numpy(), np.inf, snapped["access_m"].to_numpy())
    # a trench is not one-way: the shorter of the two directions
    dist = network.node_distances(node, node, limit=settings.max_m)
    both = np.minimum(dist, dist.T)
    out: FloatArray = both[i, j] + access[i] + access[j]
    return out


def _edge_flows(
    tree: sparse.csr_matrix, balance: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Each tree edge as (child, parent) and the heat crossing it from child to parent.

    The heat crossing an edge is the surplus (injected minus withdrawn) of the sites on the
    child's side, summed leaves first along one breadth-first order.
    """
    order, parent = csgraph.breadth_first_order(tree, 0, directed=False)
    subtree = balance.astype(np.float64).copy()
    for node in order[:0:-1]:  # linear in the sites: each adds itself to its parent once
        subtree[parent[node]] += subtree[node]
    child = order[1:].astype(np.int64)
    return child, parent[child].astype(np.int64), subtree[child]


def _network(
    sites: pd.DataFrame,
    tree: sparse.csr_matrix,
    road: sparse.csr_matrix,
    heat: pd.DataFrame,
    settings: _Settings,
    *,
    flow_c: float,
    return_c: float,
) -> HeatNetwork:
    """Size, cost and flows of one tree."""
    params = settings.params
    supply = sites["supply_mwh_per_yr"].to_numpy(dtype=np.float64)
    demand = sites["demand_mwh_per_yr"].to_numpy(dtype=np.float64)
    total_supply, total_demand = float(supply.sum()), float(demand.sum())
    carried = min(total_supply, total_demand)
    injected = supply * (carried / total_supply)
    withdrawn = demand * (carried / total_demand)
    child, parent, crossing = _edge_flows(tree, injected - withdrawn)
    symmetric = tree + tree.T
    length_m = np.asarray(symmetric[child, parent]).ravel()
    economics = pipes.pipe_economics(
        np.abs(crossing),
        "MWh/yr",
        length_m,
        kind="heat",
        params=params,
        electricity_price_eur_per_mwh=settings.electricity_price_eur_per_mwh,
        grid_ef_kg_co2e_per_mwh=settings.grid_ef_kg_co2e_per_mwh,
        supply_c=flow_c,
        return_c=return_c,
        heat_exchangers=False,
    )
    hours = pipes.default_full_load_hours("heat", params=params)
    exchangers = _exchangers_eur(injected / hours, withdrawn / hours, params)
    annuity = float(
        pipes.annuity_factor(params["finance.discount_rate"], params["finance.lifetime_yr"])
    )
    exchanger_annual = exchangers * (annuity + params["hotmaps.om_fraction_per_yr"])
    annual = float(economics["annual_cost_eur_per_yr"].sum()) + exchanger_annual
    loss = float(economics["heat_loss_mwh_per_yr"].sum())
    delivered = max(carried - loss, 0.0)
    ids = sites.index.to_numpy(dtype=object)
    # heat flows from the child's side when it has a surplus, else towards it
    outward = crossing >= 0
    edge_road = np.asarray(road[child, parent]).ravel() > 0
    edges = pd.DataFrame(
        {
            "from_site": np.where(outward, ids[child], ids[parent]),
            "to_site": np.where(outward, ids[parent], ids[child]),
            "length_m": length_m,
            "distance_kind": np.where(edge_road, "road", "estimated"),
            "heat_mwh_per_yr": np.abs(crossing),
            "peak_mw": economics["peak_per_h"],
            "diameter_m": economics["diameter_m"],
            "investment_eur": economics["capex_pipe_eur"],
            "heat_loss_mwh_per_yr": economics["heat_loss_mwh_per_yr"],
            "pumping_mwh_per_yr": economics["pumping_mwh_per_yr"],
            "annual_cost_eur_per_yr": economics["annual_cost_eur_per_yr"],
        }
    )
    pipe_investment = float(economics["capex_pipe_eur"].sum())
    in_tree = set(ids)
    joined = heat["supply_site"].isin(in_tree) & heat["demand_site"].isin(in_tree)
    kinds = {"road" if r else "estimated" for r in edge_road}
    return HeatNetwork(
        network_id="",
        edges=edges,
        sites=pd.DataFrame(
            {
                "site_id": ids,
                "role": np.where(
                    (supply > 0) & (demand > 0), "both", np.where(supply > 0, "source", "sink")
                ),
                "supply_mwh_per_yr": supply,
                "demand_mwh_per_yr": demand,
                "injected_mwh_per_yr": injected,
                "withdrawn_mwh_per_yr": withdrawn,
                "temperature_c": np.where(
                    supply > 0, sites["supply_c"].to_numpy(), sites["demand_c"].to_numpy()
                ),
            }
        ),
        candidate_ids=tuple(heat.loc[joined, "candidate_id"].astype(str)),
        length_m=float(length_m.sum()),
        supply_mwh_per_yr=total_supply,
        demand_mwh_per_yr=total_demand,
        carried_mwh_per_yr=carried,
        heat_loss_mwh_per_yr=loss,
        delivered_mwh_per_yr=delivered,
        pipe_investment_eur=pipe_investment,
        exchanger_investment_eur=exchangers,
        investment_eur=pipe_investment + exchangers,
        annual_cost_eur_per_yr=annual,
        levelised_cost_eur_per_mwh=annual / delivered if delivered > 0 else float("inf"),
        flow_temperature_c=flow_c,
        return_temperature_c=return_c,
        distance_kind=kinds.pop() if len(kinds) == 1 else "mixed",
        parameter_set=params.version,
        pumping_co2e_t_per_yr=float(economics["pumping_co2e_t_per_yr"].sum()),
    )


def _exchangers_eur(
    source_peak_mw: FloatArray, sink_peak_mw: FloatArray, params: pipes.PipeParameters
) -> float:
    """Hotmaps' heat exchangers: an air-to-liquid one at each source for its own peak, a
    liquid-to-liquid one and the circulation pump at each sink for its own, EUR.

    :func:`flows.pipes.heat_exchanger_investment_eur` costs a link's both ends for one peak;
    the source's part is what its ``air`` source adds to a link without one.
    """
    at_sources = pipes.heat_exchanger_investment_eur(
        source_peak_mw, params=params, source="air", pump=False
    ) - pipes.heat_exchanger_investment_eur(
        source_peak_mw, params=params, source="none", pump=False
    )
    at_sinks = pipes.heat_exchanger_investment_eur(
        sink_peak_mw, params=params, source="none", pump=True
    )
    return float(at_sources.sum() + at_sinks.sum())
