"""Candidate exchanges: declared supplies against declared demands, and (optionally) inferred
ones from sector codes via the synergy library, within each resource's economic distance."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from datasets import reference_path
from flows import library as synergy_library
from flows import resources
from flows.model import Case
from geo import distance, proximity
from geo.routing import RoadNetwork

DEFAULT_MAX_KM_BY_FAMILY = {
    "heat": 10.0,
    "water": 20.0,
    "gas": 30.0,
    "energy": 10.0,
}
"""Economic distance where the library has no figure for a resource (solids: 100 km)."""
DEFAULT_MAX_KM = 100.0
DEFAULT_MODE_BY_FAMILY = {"heat": "pipeline", "water": "pipeline", "gas": "pipeline"}
"""Typical mode where the library has none (everything else travels by road)."""

CANDIDATE_COLUMNS = (
    "candidate_id",
    "supply_site",
    "demand_site",
    "resource",
    "demand_resource",
    "family",
    "basis",
    "inferred_side",
    "confidence",
    "synergy_id",
    "supply_quantity",
    "demand_quantity",
    "quantity",
    "unit",
    "supply_temperature_c",
    "demand_temperature_c",
    "mode",
    "max_distance_km",
    "distance_m",
    "duration_s",
    "distance_kind",
    "geodesic_m",
    "supply_park",
    "demand_park",
    "cross_park",
)


@dataclass(frozen=True)
class MatchOptions:
    """Options of a matching run (recorded with the results).

    Attributes
    ----------
    max_km
        One maximum distance for every resource (overrides the library's figures).
    include_inferred
        Also pair declared flows with flows inferred from sector codes.
    max_access_m
        Sites farther than this from the road network are estimated, not routed.
    """

    max_km: float | None = None
    include_inferred: bool = False
    max_access_m: float = 1_000.0


@lru_cache(maxsize=1)
def compatible_demands() -> dict[str, tuple[str, ...]]:
    """supply resource -> the other demand resources it can serve (reference table)."""
    table: dict[str, list[str]] = {}
    with reference_path("compatibility.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            table.setdefault(row["supply"], []).append(row["demand"])
    return {k: tuple(v) for k, v in table.items()}


def resource_defaults(lib: pd.DataFrame) -> pd.DataFrame:
    """Per resource: economic distance (median of the library rows) and most common mode."""
    rows = lib.dropna(subset=["resource"])
    grouped = rows.groupby("resource")
    return pd.DataFrame(
        {
            "max_distance_km": grouped["max_distance_km"].median(),
            "mode": grouped["mode"].agg(
                lambda m: m[m != ""].mode().iloc[0] if (m != "").any() else ""
            ),
        }
    )


def _default_km(resource: str, defaults: pd.DataFrame) -> float:
    if resource in defaults.index and pd.notna(defaults.at[resource, "max_distance_km"]):
        return float(defaults.at[resource, "max_distance_km"])
    return DEFAULT_MAX_KM_BY_FAMILY.get(resources.family_of(resource), DEFAULT_MAX_KM)


def _default_mode(resource: str, defaults: pd.DataFrame) -> str:
    if resource in defaults.index and defaults.at[resource, "mode"]:
        return str(defaults.at[resource, "mode"])
    return DEFAULT_MODE_BY_FAMILY.get(resources.family_of(resource), "road")


def _side(case: Case, direction: str) -> pd.DataFrame:
    """A site's declared flows of one resource, summed: its total supply (or demand) of it.

    A supply's temperature is the hottest it declared, a demand's the most demanding one.
    """
    flows = case.flows[case.flows["direction"] == direction]
    grouped = (
        flows.groupby(["site_id", "resource", "unit_canonical"], sort=True, dropna=False)
        .agg(quantity=("quantity_canonical", "sum"), temperature_c=("temperature_c", "max"))
        .reset_index()
    )
    anchors = case.sites.set_index("site_id").geometry.representative_point()
    parks = case.sites.set_index("site_id")["park_id"]
    return pd.DataFrame(
        {
            "site_id": grouped["site_id"].to_numpy(),
            "resource": grouped["resource"].to_numpy(),
            "quantity": grouped["quantity"].to_numpy(dtype="float64"),
            "unit": grouped["unit_canonical"].to_numpy(),
            "temperature_c": grouped["temperature_c"].to_numpy(dtype="float64"),
            "basis": "declared",
            "confidence": "declared",
            "synergy_id": pd.NA,
            "lon": anchors.x.loc[grouped["site_id"]].to_numpy(),
            "lat": anchors.y.loc[grouped["site_id"]].to_numpy(),
            "park": parks.loc[grouped["site_id"]].to_numpy(),
        }
    )


def _inferred(
    case: Case, lib: pd.DataFrame, direction: str, declared: pd.DataFrame
) -> pd.DataFrame:
    """Flows a site probably has, from its NACE code, where it declared none of that resource."""
    code_col = "source_nace" if direction == "supply" else "receiver_nace"
    sites = case.sites[["site_id", "nace", "park_id"]].dropna(subset=["nace"])
    anchors = case.sites.set_index("site_id").geometry.representative_point()
    pairs = []
    for code in sites["nace"].unique():
        rows = lib[lib[code_col].map(lambda c, code=code: synergy_library.nace_related(c, code))]
        if len(rows) == 0:
            continue
        best = rows.sort_values(
            "confidence", key=lambda s: s.map(synergy_library.CONFIDENCE_ORDER)
        ).drop_duplicates("resource")
        for site in sites.loc[sites["nace"] == code, "site_id"]:
            pairs.append(best.assign(site_id=site))
    if not pairs:
        return declared.iloc[0:0]
    rows = pd.concat(pairs, ignore_index=True)
    have = set(zip(declared["site_id"], declared["resource"], strict=True))
    rows = rows[
        [(s, r) not in have for s, r in zip(rows["site_id"], rows["resource"], strict=True)]
    ]
    site_park = case.sites.set_index("site_id")["park_id"]
    return pd.DataFrame(
        {
            "site_id": rows["site_id"].to_numpy(),
            "resource": rows["resource"].to_numpy(),
            "quantity": np.nan,
            "unit": pd.NA,
            "temperature_c": np.nan,
            "basis": "inferred",
            "confidence": rows["confidence"].to_numpy(),
            "synergy_id": rows["synergy_id"].to_numpy(),
            "lon": anchors.x.loc[rows["site_id"]].to_numpy(),
            "lat": anchors.y.loc[rows["site_id"]].to_numpy(),
            "park": site_park.loc[rows["site_id"]].to_numpy(),
        }
    )


def match(
    case: Case,
    *,
    network: RoadNetwork | None = None,
    options: MatchOptions | None = None,
    library: pd.DataFrame | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """Find candidate exchanges in a case.

    Declared supplies are paired with declared demands of the same or a compatible resource
    (``datasets/reference/compatibility.csv``); heat and steam need the supply temperature to
    reach the demand's. Only pairs within the resource's economic distance are kept: a k-d tree
    finds them, then the short list is measured on the road network when one is given
    (``distance_kind`` says how each distance was obtained). With
    ``options.include_inferred``, flows inferred from sector codes via the synergy library are
    paired with declared ones (never two inferred ones), flagged ``basis="inferred"`` with the
    library's confidence; their quantity is the declared side's, an upper bound.

    Parameters
    ----------
    case
        The case.
    network
        Road network for road distances; without one, road distances are estimated.
    options
        Distance limit, inferred candidates, access limit.
    library
        Synergy library (default: the bundled one).
    progress
        Called with (fraction done, what is happening) for long runs.

    Returns
    -------
    DataFrame
        One row per candidate with :data:`CANDIDATE_COLUMNS`; quantities in the canonical unit
        (t/yr, MWh/yr, m3/yr), ``quantity`` = min(supply, demand).
    """
    opts = options or MatchOptions()
    lib = synergy_library.load_library() if library is None else library
    defaults = resource_defaults(lib)
    report = progress or (lambda _f, _m: None)
    report(0.0, "collecting supplies and demands")
    supplies, demands = _side(case, "supply"), _side(case, "demand")
    if opts.include_inferred:
        inferred_supplies = _inferred(case, lib, "supply", supplies)
        inferred_demands = _inferred(case, lib, "demand", demands)
    else:
        inferred_supplies = inferred_demands = supplies.iloc[0:0]
    report(0.2, "finding pairs within each resource's economic distance")
    groups = [
        (supplies, demands),
        (supplies, inferred_demands),
        (inferred_supplies, demands),
    ]
    found = [_pairs(s, d, defaults, opts) for s, d in groups if len(s) and len(d)]
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    pairs = pd.concat(found, ignore_index=True)
    report(0.5, f"measuring {len(pairs):,} candidate pairs")
    pairs = _measure(case, pairs, network, opts)
    report(1.0, f"{len(pairs):,} candidates")
    return pairs[list(CANDIDATE_COLUMNS)]


def _pairs(
    supplies: pd.DataFrame, demands: pd.DataFrame, defaults: pd.DataFrame, opts: MatchOptions
) -> pd.DataFrame:
    compat = compatible_demands()
    out = []
    for resource, sup in supplies.groupby("resource", sort=True):
        wanted = (str(resource), *compat.get(str(resource), ()))
        dem = demands[demands["resource"].isin(wanted)]
        if len(dem) == 0:
            continue
        max_km = opts.max_km if opts.max_km is not None else _default_km(str(resource), defaults)
        i, j, metres = proximity.pairs_within(
            sup["lon"].to_numpy(),
            sup["lat"].to_numpy(),
            dem["lon"].to_numpy(),
            dem["lat"].to_numpy(),
            max_km * 1000.0,
        )
        s, d = sup.iloc[i].reset_index(drop=True), dem.iloc[j].reset_index(drop=True)
        keep = (s["site_id"] != d["site_id"]).to_numpy().copy()
        if resources.needs_temperature(str(resource)):
            # an undeclared (inferred) temperature is not a reason to drop the pair
            t_ok = ~(s["temperature_c"] < d["temperature_c"])
            keep &= t_ok.to_numpy()
        s, d, metres = s[keep], d[keep], metres[keep]
        if len(s) == 0:
            continue
        inferred_side = np.full(len(s), None, dtype=object)
        inferred_side[d["basis"].eq("inferred").to_numpy()] = "demand"
        inferred_side[s["basis"].eq("inferred").to_numpy()] = "supply"
        out.append(
            pd.DataFrame(
                {
                    "supply_site": s["site_id"].to_numpy(),
                    "demand_site": d["site_id"].to_numpy(),
                    "resource": str(resource),
                    "demand_resource": d["resource"].to_numpy(),
                    "basis": np.where(pd.isna(inferred_side), "declared", "inferred"),
                    "inferred_side": inferred_side,
                    "confidence": np.where(
                        s["basis"].eq("inferred"), s["confidence"], d["confidence"]
                    ),
                    "synergy_id": s["synergy_id"]
                    .where(s["basis"].eq("inferred"), d["synergy_id"])
                    .to_numpy(),
                    "supply_quantity": s["quantity"].to_numpy(),
                    "demand_quantity": d["quantity"].to_numpy(),
                    "unit": s["unit"].where(s["unit"].notna(), d["unit"]).to_numpy(),
                    "supply_temperature_c": s["temperature_c"].to_numpy(),
                    "demand_temperature_c": d["temperature_c"].to_numpy(),
                    "mode": _default_mode(str(resource), defaults),
                    "max_distance_km": max_km,
                    "geodesic_m": metres,
                    "supply_park": s["park"].to_numpy(),
                    "demand_park": d["park"].to_numpy(),
                }
            )
        )
    if not out:
        return pd.DataFrame()
    pairs = pd.concat(out, ignore_index=True)
    pairs["quantity"] = pairs[["supply_quantity", "demand_quantity"]].min(axis=1, skipna=True)
    pairs["family"] = pairs["resource"].map(resources.family_of)
    both = pairs["supply_park"].notna() & pairs["demand_park"].notna()
    pairs["cross_park"] = both & (pairs["supply_park"] != pairs["demand_park"])
    served = np.where(
        pairs["demand_resource"] != pairs["resource"],
        "->" + pairs["demand_resource"].astype(str),
        "",
    )
    pairs["candidate_id"] = (
        pairs["supply_site"] + ">" + pairs["demand_site"] + ":" + pairs["resource"] + served
    )
    return pairs


def _measure(
    case: Case, pairs: pd.DataFrame, network: RoadNetwork | None, opts: MatchOptions
) -> pd.DataFrame:
    """Distances of the short list, per mode, with their kind; drop pairs beyond the limit."""
    measured = []
    for mode, group in pairs.groupby("mode", sort=True):
        od = distance.od_table(
            case.sites,
            network=network,
            mode=str(mode),
            pairs=group[["supply_site", "demand_site"]]
            .drop_duplicates()
            .rename(columns={"supply_site": "from_site", "demand_site": "to_site"}),
            max_access_m=opts.max_access_m,
        )
        od = od.rename(columns={"from_site": "supply_site", "to_site": "demand_site"})
        merged = group.drop(columns=["geodesic_m"]).merge(
            od[
                [
                    "supply_site",
                    "demand_site",
                    "distance_m",
                    "duration_s",
                    "distance_kind",
                    "geodesic_m",
                ]
            ],
            on=["supply_site", "demand_site"],
            how="left",
        )
        measured.append(merged)
    out = pd.concat(measured, ignore_index=True)
    within = out["distance_m"] <= out["max_distance_km"] * 1000.0
    return (
        out[within].sort_values(["supply_site", "demand_site", "resource"]).reset_index(drop=True)
    )
