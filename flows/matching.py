"""Candidate exchanges: declared supplies against declared demands, and (optionally) inferred
ones from sector codes via the synergy library, within each resource's economic distance."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flows import library as synergy_library
from flows import reference as reference_data
from flows import resources, states
from flows.model import Case
from flows.pipes import PipeParameters
from flows.resources import Vocabulary
from geo import distance as distance_module
from geo import proximity
from geo.modes import MODES, ModeFactor
from geo.routing import RoadNetwork

DEFAULT_MAX_KM_BY_MODE: dict[str, float | dict[str, float]] = {
    "pipeline": {"heat": 10.0, "water": 20.0, "gas": 30.0, "energy": 10.0},
    "road": 100.0,
    "rail": 300.0,
    "inland-waterway": 300.0,
    "sea": 500.0,
}
"""Economic distance by mode (and, for pipes, by family) where the library has no row of that
resource and mode: SymbioMap estimates, the orders of magnitude of the library's own rows
(``datasets/synergy_library.md``); a pipe's economics are scored from the pipe model."""


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
    "temperature_band",
    "mode",
    "max_distance_km",
    "distance_m",
    "duration_s",
    "distance_kind",
    "route_note",
    "geodesic_m",
    "supply_park",
    "demand_park",
    "cross_park",
    "confidential",
    "exchange_status",
    "supply_kind",
    "counterfactual",
    "country",
    "demand_kind",
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
    k_nearest
        Keep, for every supply, its ``k_nearest`` nearest compatible demands within the
        distance, and for every demand its nearest supplies (the union): a short list that
        grows linearly with the case. None keeps every pair within the distance.
    approach_k
        Heat and steam serve a demand only if the supply is at least this much hotter (K):
        the approach temperature of the heat exchanger between them (None: the pipe
        parameter set's ``heat.approach_temperature_k``).
    """

    max_km: float | None = None
    include_inferred: bool = False
    max_access_m: float = 1_000.0
    k_nearest: int | None = 5
    approach_k: float | None = None


def resource_defaults(lib: pd.DataFrame, *, words: Vocabulary | None = None) -> pd.DataFrame:
    """Per resource: the mode it travels by and that mode's economic distance.

    The mode is the most common one among the resource's library rows that its physical state
    allows (:mod:`flows.states`: no solid by pipeline, no heat by truck), else the state's
    default; the distance is the median of the library rows *of that mode* (a sea row and a
    pipeline row are never averaged), else :data:`DEFAULT_MAX_KM_BY_MODE`.
    """
    words = words if words is not None else reference_data.default().vocabulary
    rows = lib.dropna(subset=["resource"])
    out: dict[str, tuple[float, str]] = {}
    for resource, group in rows.groupby("resource", sort=True):
        allowed = states.allowed_modes(str(resource), vocabulary=words)
        modes = group["mode"][group["mode"].isin(allowed)]
        mode = str(modes.mode().iloc[0]) if len(modes) else allowed[0]
        km = group.loc[group["mode"] == mode, "max_distance_km"].median()
        out[str(resource)] = (float(km), mode)
    return pd.DataFrame.from_dict(out, orient="index", columns=["max_distance_km", "mode"])


def _default_mode(resource: str, defaults: pd.DataFrame, words: Vocabulary) -> str:
    if resource in defaults.index:
        return str(defaults.at[resource, "mode"])
    return states.allowed_modes(resource, vocabulary=words)[0]


def _default_km(resource: str, defaults: pd.DataFrame, words: Vocabulary) -> float:
    if resource in defaults.index and pd.notna(defaults.at[resource, "max_distance_km"]):
        return float(defaults.at[resource, "max_distance_km"])
    by_mode = DEFAULT_MAX_KM_BY_MODE[_default_mode(resource, defaults, words)]
    if isinstance(by_mode, dict):
        return float(by_mode.get(words.family_of(resource), 10.0))
    return float(by_mode)


_UNITS = ("t/yr", "MWh/yr", "m3/yr")
_CONFIDENCE = ("declared", "high", "medium", "low")
_BASIS = ("declared", "inferred")
_SIDES = ("supply", "demand")


@dataclass(frozen=True)
class _Vocabulary:
    """Integer codes for sites, resources and parks, so a million candidates are arrays."""

    site_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    park: np.ndarray  # park code per site, -1 outside parks
    park_ids: np.ndarray
    resources: pd.Index
    synergy_ids: np.ndarray
    compatibility: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(
        cls, case: Case, lib: pd.DataFrame, compatibility: Mapping[str, tuple[str, ...]]
    ) -> _Vocabulary:
        anchors = case.sites.geometry.representative_point()
        park_codes, park_ids = pd.factorize(case.sites["park_id"], use_na_sentinel=True)
        names = pd.Index(
            sorted(
                {
                    *case.flows["resource"].dropna(),
                    *lib["resource"].dropna(),
                    *(r for pair in compatibility.items() for r in (pair[0], *pair[1])),
                }
            )
        )
        return cls(
            site_ids=case.sites["site_id"].to_numpy(dtype=object),
            lon=anchors.x.to_numpy(dtype="float64"),
            lat=anchors.y.to_numpy(dtype="float64"),
            park=np.asarray(park_codes, dtype="int64"),
            park_ids=np.asarray(park_ids, dtype=object),
            resources=names,
            synergy_ids=lib["synergy_id"].to_numpy(dtype=object),
            compatibility=compatibility,
        )


def _side(case: Case, direction: str, vocab: _Vocabulary) -> pd.DataFrame:
    """A site's declared flows of one resource, summed: its total supply (or demand) of it.

    A supply's temperature is the hottest it declared, a demand's the most demanding one.
    Returns integer codes (site, res, unit, conf, synergy) and numbers only.
    """
    flows = case.flows[case.flows["direction"] == direction]
    grouped = (
        flows.groupby(["site_id", "resource", "unit_canonical"], sort=True, dropna=False)
        .agg(
            quantity=("quantity_canonical", "sum"),
            temperature_c=("temperature_c", "max"),
            confidential=("confidential", "any"),
        )
        .reset_index()
    )
    site = pd.Index(vocab.site_ids).get_indexer(grouped["site_id"])
    return pd.DataFrame(
        {
            "site": site.astype("int64"),
            "res": vocab.resources.get_indexer(grouped["resource"]).astype("int64"),
            "unit": pd.Index(_UNITS).get_indexer(grouped["unit_canonical"]).astype("int64"),
            "quantity": grouped["quantity"].to_numpy(dtype="float64"),
            "temperature_c": grouped["temperature_c"].to_numpy(dtype="float64"),
            "inferred": False,
            "conf": 0,
            "synergy": -1,
            "secret": grouped["confidential"].to_numpy(dtype=bool),
        }
    )


def _inferred(
    case: Case, lib: pd.DataFrame, direction: str, declared: pd.DataFrame, vocab: _Vocabulary
) -> pd.DataFrame:
    """Flows a site probably has, from its NACE code, where it declared none of that resource."""
    code_col = "source_nace" if direction == "supply" else "receiver_nace"
    ranked = lib.assign(
        _pos=np.arange(len(lib)), _conf=lib["confidence"].map(synergy_library.CONFIDENCE_ORDER)
    )
    nace_codes = case.sites["nace"].to_numpy(dtype=object)
    parts = []
    for code in pd.unique(nace_codes[pd.notna(nace_codes)]):
        rows = ranked[
            ranked[code_col].map(lambda c, code=code: synergy_library.nace_related(c, code))
        ]
        if len(rows) == 0:
            continue
        best = rows.sort_values(["_conf", "_pos"]).drop_duplicates("resource")
        sites = np.flatnonzero(nace_codes == code)
        parts.append(
            pd.DataFrame(
                {
                    "site": np.repeat(sites, len(best)),
                    "res": np.tile(vocab.resources.get_indexer(best["resource"]), len(sites)),
                    "conf": np.tile(best["_conf"].to_numpy() + 1, len(sites)),
                    "synergy": np.tile(best["_pos"].to_numpy(), len(sites)),
                }
            )
        )
    if not parts:
        return declared.iloc[0:0]
    rows = pd.concat(parts, ignore_index=True)
    n_res = len(vocab.resources)
    have = declared["site"].to_numpy() * n_res + declared["res"].to_numpy()
    rows = rows[~np.isin(rows["site"].to_numpy() * n_res + rows["res"].to_numpy(), have)]
    return pd.DataFrame(
        {
            "site": rows["site"].to_numpy(dtype="int64"),
            "res": rows["res"].to_numpy(dtype="int64"),
            "unit": -1,
            "quantity": np.nan,
            "temperature_c": np.nan,
            "inferred": True,
            "conf": rows["conf"].to_numpy(dtype="int64"),
            "synergy": rows["synergy"].to_numpy(dtype="int64"),
            "secret": False,
        }
    )


def match(
    case: Case,
    *,
    network: RoadNetwork | None = None,
    options: MatchOptions | None = None,
    library: pd.DataFrame | None = None,
    compatibility: Mapping[str, tuple[str, ...]] | None = None,
    vocabulary: Vocabulary | None = None,
    circuity: Mapping[str, ModeFactor] | None = None,
    pipes: PipeParameters | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> pd.DataFrame:
    """Find candidate exchanges in a case.

    Declared supplies are paired with declared demands of the same or a compatible resource
    (``datasets/reference/compatibility.csv``); heat and steam need the supply temperature to
    reach the demand's. Only pairs within the resource's economic distance are kept: a k-d tree
    finds them (each side's nearest partners, see :class:`MatchOptions`), then the short list
    is measured on the road network when one is given (``distance_kind`` says how each distance
    was obtained). With ``options.include_inferred``, flows inferred from sector codes via the
    synergy library are paired with declared ones (never two inferred ones), flagged
    ``basis="inferred"`` with the library's confidence; their quantity is the declared side's,
    an upper bound.

    Parameters
    ----------
    case
        The case.
    network
        Road network for road distances; without one, road distances are estimated.
    options
        Distance limit, inferred candidates, access limit, short-list size.
    library
        Synergy library (default: the bundled one, :func:`flows.reference.default`).
    compatibility
        Supply resource -> other demand resources it serves (default: the bundled table).
    vocabulary
        EWC list and carriers: families and temperature rules (default: the bundled ones).
    circuity
        Circuity factors per mode for distances not measured on a network (default: the
        bundled ones).
    pipes
        Pipe parameters, for the heat exchangers' approach temperature (default: bundled).
    progress
        Called with (fraction done, what is happening) for long runs.

    Returns
    -------
    DataFrame
        One row per candidate with :data:`CANDIDATE_COLUMNS`; quantities in the canonical unit
        (t/yr, MWh/yr, m3/yr), ``quantity`` = min(supply, demand); text columns categorical.
    """
    opts = options or MatchOptions()
    if library is None or compatibility is None:
        bundled = reference_data.default()
        library = bundled.library if library is None else library
        compatibility = bundled.compatibility if compatibility is None else compatibility
    lib, compat = library, compatibility
    words = vocabulary if vocabulary is not None else reference_data.default().vocabulary
    circuity = circuity if circuity is not None else reference_data.default().circuity
    defaults = resource_defaults(lib, words=words)
    report = progress or (lambda _f, _m: None)
    report(0.0, "collecting supplies and demands")
    vocab = _Vocabulary.of(case, lib, compat)
    supplies, demands = _side(case, "supply", vocab), _side(case, "demand", vocab)
    if opts.include_inferred:
        inferred_supplies = _inferred(case, lib, "supply", supplies, vocab)
        inferred_demands = _inferred(case, lib, "demand", demands, vocab)
    else:
        inferred_supplies = inferred_demands = supplies.iloc[0:0]
    report(0.2, "finding pairs within each resource's economic distance")
    groups = [(supplies, demands), (supplies, inferred_demands), (inferred_supplies, demands)]
    approach_k = (
        opts.approach_k
        if opts.approach_k is not None
        else (pipes or reference_data.default().pipes)["heat.approach_temperature_k"]
    )
    found = [
        _pairs(s, d, defaults, opts, vocab, words=words, approach_k=approach_k)
        for s, d in groups
        if len(s) and len(d)
    ]
    found = [f for f in found if len(f["s_site"])]
    if not found:
        return pd.DataFrame(columns=list(CANDIDATE_COLUMNS))
    pairs = {key: np.concatenate([f[key] for f in found]) for key in found[0]}
    report(0.5, f"measuring {len(pairs['s_site']):,} candidate pairs")
    out = _measure(case, pairs, network, opts, vocab, words=words, circuity=circuity)
    out["exchange_status"] = exchange_status(out, case.exchanges)
    out = out.assign(**_supply_attributes(case, out))
    report(1.0, f"{len(out):,} candidates")
    return out[list(CANDIDATE_COLUMNS)]


def _supply_attributes(case: Case, out: pd.DataFrame) -> dict[str, pd.Categorical]:
    """What scoring needs to know of each candidate's flows and sites: the supply's kind and
    counterfactual override (the first given among the site's flows of that resource), the
    supply site's country (else the case's) and what the receiving site is."""
    flows = case.flows[case.flows["direction"] == "supply"]
    columns = {}
    key = pd.MultiIndex.from_arrays(
        [out["supply_site"].astype("object"), out["resource"].astype("object")]
    )
    for column in ("supply_kind", "counterfactual"):
        values = flows[column] if column in flows.columns else pd.Series(pd.NA, index=flows.index)
        given = pd.DataFrame(
            {"site_id": flows["site_id"], "resource": flows["resource"], "value": values}
        ).dropna(subset=["value"])
        first = given.drop_duplicates(["site_id", "resource"]).set_index(["site_id", "resource"])
        found = first["value"].reindex(key).to_numpy(dtype=object)
        columns[column] = pd.Categorical(np.where(pd.isna(found), None, found))
    sites = case.sites.set_index("site_id")
    fallback = str(case.metadata.get("country") or "").strip().upper() or None
    country = (
        sites["country"] if "country" in sites.columns else pd.Series(pd.NA, index=sites.index)
    )
    of_supply = country.reindex(out["supply_site"].astype("object")).to_numpy(dtype=object)
    columns["country"] = pd.Categorical(np.where(pd.isna(of_supply), fallback, of_supply))
    kind = sites["kind"] if "kind" in sites.columns else pd.Series(pd.NA, index=sites.index)
    of_demand = kind.reindex(out["demand_site"].astype("object")).to_numpy(dtype=object)
    columns["demand_kind"] = pd.Categorical(np.where(pd.isna(of_demand), None, of_demand))
    return columns


EXCHANGE_STATUSES = ("new", "active", "historical", "planned")
"""What ``exchange_status`` says of a candidate: ``new`` when no exchange of the case links its
supply site to its demand site with its resource, else that exchange's status."""


def exchange_status(candidates: pd.DataFrame, exchanges: pd.DataFrame) -> pd.Categorical:
    """Whether each candidate repeats an exchange of the case, and that exchange's status.

    A candidate repeats an exchange from its supply site to its demand site of its resource
    as supplied or as demanded (Asnæs' steam reaches the district heating as heat);
    resources are normalised by the checks on both sides. Where several exchanges match (an
    ended one and its successor), the one in place wins: active, then planned, then
    historical.

    Returns
    -------
    pandas.Categorical
        One of :data:`EXCHANGE_STATUSES` per candidate, in the candidates' order.
    """
    categories = pd.Index(EXCHANGE_STATUSES, dtype=object)
    if not len(candidates) or not len(exchanges):
        return pd.Categorical(["new"] * len(candidates), categories=categories)
    sites = ["supply_site", "demand_site"]
    known = exchanges.rename(columns={"from_site": "supply_site", "to_site": "demand_site"})
    known = known[[*sites, "resource", "status"]].astype("string")
    left = candidates[[*sites, "resource", "demand_resource"]].astype("string")
    left = left.reset_index(drop=True).rename_axis("_row").reset_index()
    pairs = left.merge(known.rename(columns={"resource": "_exchanged"}), on=sites)
    same = (pairs["_exchanged"] == pairs["resource"]) | (
        pairs["_exchanged"] == pairs["demand_resource"]
    )
    precedence = {"active": 0, "planned": 1, "historical": 2}
    hits = pairs[same.fillna(False)].assign(_order=lambda f: f["status"].map(precedence))
    best = hits.sort_values("_order").drop_duplicates("_row").set_index("_row")["status"]
    status = best.reindex(range(len(candidates))).fillna("new").astype(object)
    return pd.Categorical(status.to_numpy(), categories=categories)


def _pairs(
    supplies: pd.DataFrame,
    demands: pd.DataFrame,
    defaults: pd.DataFrame,
    opts: MatchOptions,
    vocab: _Vocabulary,
    *,
    words: Vocabulary,
    approach_k: float = 0.0,
) -> dict[str, np.ndarray]:
    compat = vocab.compatibility
    names = vocab.resources
    out: dict[str, list[np.ndarray]] = {}
    dem_res = demands["res"].to_numpy()
    for code, sup in supplies.groupby("res", sort=True):
        resource = str(names[int(code)])
        wanted = names.get_indexer([resource, *compat.get(resource, ())])
        dem = demands[np.isin(dem_res, wanted[wanted >= 0])]
        if len(dem) == 0:
            continue
        max_km = opts.max_km if opts.max_km is not None else _default_km(resource, defaults, words)
        s_site, d_site = sup["site"].to_numpy(), dem["site"].to_numpy()
        i, j, metres = _spatial_pairs(
            (vocab.lon[s_site], vocab.lat[s_site]),
            (vocab.lon[d_site], vocab.lat[d_site]),
            max_km * 1000.0,
            opts.k_nearest,
        )
        keep = s_site[i] != d_site[j]
        # Quantities are only comparable in the same canonical unit (an inferred flow has none).
        s_unit, d_unit = sup["unit"].to_numpy()[i], dem["unit"].to_numpy()[j]
        keep &= (s_unit == d_unit) | (s_unit < 0) | (d_unit < 0)
        if words.needs_temperature(resource):
            # an undeclared (inferred) temperature is not a reason to drop the pair
            keep &= ~(
                sup["temperature_c"].to_numpy()[i] < dem["temperature_c"].to_numpy()[j] + approach_k
            )
        i, j, metres = i[keep], j[keep], metres[keep]
        if len(i) == 0:
            continue
        s_inf, d_inf = sup["inferred"].to_numpy()[i], dem["inferred"].to_numpy()[j]
        columns = {
            "s_site": s_site[i],
            "d_site": d_site[j],
            "res": np.full(len(i), int(code)),
            "d_res": dem["res"].to_numpy()[j],
            "inferred": s_inf | d_inf,
            "side": np.where(s_inf, 0, np.where(d_inf, 1, -1)),
            "conf": np.where(s_inf, sup["conf"].to_numpy()[i], dem["conf"].to_numpy()[j]),
            "synergy": np.where(s_inf, sup["synergy"].to_numpy()[i], dem["synergy"].to_numpy()[j]),
            "s_qty": sup["quantity"].to_numpy()[i],
            "d_qty": dem["quantity"].to_numpy()[j],
            "unit": np.where(
                sup["unit"].to_numpy()[i] >= 0, sup["unit"].to_numpy()[i], dem["unit"].to_numpy()[j]
            ),
            "s_temp": sup["temperature_c"].to_numpy()[i],
            "d_temp": dem["temperature_c"].to_numpy()[j],
            "mode": np.full(len(i), MODES.index(_default_mode(resource, defaults, words))),
            "max_km": np.full(len(i), max_km),
            "geodesic": metres,
            "secret": sup["secret"].to_numpy()[i] | dem["secret"].to_numpy()[j],
        }
        for key, values in columns.items():
            out.setdefault(key, []).append(values)
    if not out:
        return {"s_site": np.empty(0, dtype="int64")}
    return {key: np.concatenate(parts) for key, parts in out.items()}


def _spatial_pairs(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    max_m: float,
    k: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Supply/demand index pairs within ``max_m``: all of them, or each side's k nearest."""
    if k is None:
        return proximity.pairs_within(*a, *b, max_m)
    i1, j1, m1 = proximity.nearest_within(*a, *b, max_m, k=k)
    j2, i2, m2 = proximity.nearest_within(*b, *a, max_m, k=k)
    i, j, metres = np.concatenate([i1, i2]), np.concatenate([j1, j2]), np.concatenate([m1, m2])
    _, first = np.unique(i * len(b[0]) + j, return_index=True)
    return i[first], j[first], metres[first]


def _candidate_ids(
    p: dict[str, np.ndarray], vocab: _Vocabulary, res_names: np.ndarray
) -> pd.Series:
    """``supply>demand:resource`` (``->served`` when a compatible resource is served), built
    with Arrow's string kernels: a million Python f-strings would take a second."""
    sites = pa.array(vocab.site_ids.astype(str))
    names = pa.array(res_names.astype(str))
    served = pa.array(np.where(res_names.astype(str) == "", "", "->" + res_names.astype(str)))
    empty = pa.array([""])
    served_codes = np.where(p["d_res"] != p["res"], p["d_res"], -1)
    parts = [
        sites.take(pa.array(p["s_site"])),
        pa.scalar(">"),
        sites.take(pa.array(p["d_site"])),
        pa.scalar(":"),
        names.take(pa.array(p["res"])),
        pc.if_else(
            pa.array(served_codes >= 0),
            served.take(pa.array(np.maximum(served_codes, 0))),
            empty.take(pa.array(np.zeros(len(served_codes), dtype="int64"))),
        ),
    ]
    joined = pc.binary_join_element_wise(*parts, "")
    return pd.Series(pd.arrays.ArrowStringArray(joined))


def _bands(temperature_c: np.ndarray) -> pd.Categorical:
    """Heat and steam by temperature band (:data:`flows.resources.TEMPERATURE_BANDS`)."""
    uppers = np.array([upper for upper, _ in resources.TEMPERATURE_BANDS])
    codes = np.where(
        np.isnan(temperature_c), -1, np.searchsorted(uppers, temperature_c, side="right")
    )
    labels = [label for _, label in resources.TEMPERATURE_BANDS]
    return pd.Categorical.from_codes(codes, categories=labels)


def _measure(
    case: Case,
    pairs: dict[str, np.ndarray],
    network: RoadNetwork | None,
    opts: MatchOptions,
    vocab: _Vocabulary,
    *,
    words: Vocabulary,
    circuity: Mapping[str, ModeFactor],
) -> pd.DataFrame:
    """Distances of the short list, per mode, with their kind; drop pairs beyond the limit."""
    n = len(pairs["s_site"])
    distance, duration = np.full(n, np.nan), np.full(n, np.nan)
    note = np.full(n, None, dtype=object)
    kind = np.zeros(n, dtype="int8")
    geometry = case.sites.geometry.reset_index(drop=True)
    for code in np.unique(pairs["mode"]):
        rows = np.flatnonzero(pairs["mode"] == code)
        measured = distance_module.measure_pairs(
            geometry,
            pairs["s_site"][rows],
            pairs["d_site"][rows],
            geodesic=pairs["geodesic"][rows],
            network=network,
            mode=MODES[int(code)],
            max_access_m=opts.max_access_m,
            max_distance_m=float(pairs["max_km"][rows].max()) * 1000.0,
            factors=circuity,
            # a trench follows the streets where a network is loaded (on every road, not
            # only those a lorry may use)
            pipeline_on_roads=network is not None,
        )
        distance[rows] = measured["distance_m"]
        duration[rows] = measured["duration_s"]
        note[rows] = np.asarray(measured["route_note"], dtype=object)
        kind[rows] = measured["distance_kind"].codes
    keep = distance <= pairs["max_km"] * 1000.0
    order = np.lexsort((pairs["res"][keep], pairs["d_site"][keep], pairs["s_site"][keep]))
    pick = np.flatnonzero(keep)[order]
    p = {key: values[pick] for key, values in pairs.items()}
    res_names = vocab.resources.to_numpy(dtype=object)
    family_names = list(resources.FAMILIES)
    families = np.array([family_names.index(words.family_of(r)) for r in res_names])
    candidate_id = _candidate_ids(p, vocab, res_names)
    s_park, d_park = vocab.park[p["s_site"]], vocab.park[p["d_site"]]

    def cat(codes: np.ndarray, categories: Sequence[object]) -> pd.Categorical:
        return pd.Categorical.from_codes(
            np.asarray(codes, dtype="int64"), categories=pd.Index(list(categories), dtype=object)
        )

    site_categories = list(vocab.site_ids)
    return pd.DataFrame(
        {
            "candidate_id": candidate_id,
            "supply_site": cat(p["s_site"], site_categories),
            "demand_site": cat(p["d_site"], site_categories),
            "resource": cat(p["res"], list(res_names)),
            "demand_resource": cat(p["d_res"], list(res_names)),
            "family": cat(families[p["res"]], family_names),
            "basis": cat(p["inferred"].astype("int64"), _BASIS),
            "inferred_side": cat(p["side"], _SIDES),
            "confidence": cat(p["conf"], _CONFIDENCE),
            "synergy_id": cat(p["synergy"], list(vocab.synergy_ids)),
            "supply_quantity": p["s_qty"],
            "demand_quantity": p["d_qty"],
            "quantity": np.fmin(p["s_qty"], p["d_qty"]),
            "unit": cat(p["unit"], _UNITS),
            "supply_temperature_c": p["s_temp"],
            "demand_temperature_c": p["d_temp"],
            "temperature_band": _bands(p["s_temp"]),
            "mode": cat(p["mode"], MODES),
            "max_distance_km": p["max_km"],
            "distance_m": distance[pick],
            "duration_s": duration[pick],
            "distance_kind": cat(kind[pick], distance_module.DISTANCE_KINDS),
            "route_note": pd.Categorical(note[pick]),
            "geodesic_m": p["geodesic"],
            "supply_park": cat(s_park, list(vocab.park_ids)),
            "demand_park": cat(d_park, list(vocab.park_ids)),
            "cross_park": (s_park >= 0) & (d_park >= 0) & (s_park != d_park),
            "confidential": p["secret"],
        }
    )
