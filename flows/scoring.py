"""Cost and CO2 of every candidate exchange: transport, avoided disposal and virgin input,
net benefit, break-even distance, rank and a one-line explanation.

Every figure comes from one :class:`~flows.parameters.ParameterSet` whose version is written
into the result, plus the synergy library row where the library has a more specific factor.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from datasets import reference_path
from flows import resources
from flows.parameters import ParameterSet

WATER_DENSITY_T_PER_M3 = 1.0
"""Liquids moved by road, rail or ship are counted at 1 t/m3 for tonne-km."""
FREIGHT_MODES = ("road", "rail", "inland-waterway", "sea")

SCORE_COLUMNS = (
    "tonne_km",
    "transport_cost_eur",
    "transport_co2e_t",
    "delivered_quantity",
    "avoided_disposal_eur",
    "avoided_purchase_eur",
    "avoided_virgin_co2e_t",
    "avoided_disposal_co2e_t",
    "net_co2e_t",
    "carbon_value_eur",
    "net_benefit_excl_carbon_eur",
    "net_benefit_eur",
    "break_even_km",
    "rank",
    "parameter_set",
    "explanation",
)
"""Added by :func:`score`; money in EUR/yr and CO2e in t/yr (annual flows)."""


@dataclass(frozen=True)
class Substitute:
    """What a resource replaces: the price and emission-factor keys of the virgin input."""

    match: str
    unit: str
    price_key: str
    ef_key: str
    factor: float
    note: str


@lru_cache(maxsize=1)
def substitutes() -> tuple[Substitute, ...]:
    """The substitution table (``datasets/reference/substitution.csv``), most specific first."""
    with reference_path("substitution.csv").open(encoding="utf-8", newline="") as fh:
        rows = [
            Substitute(
                r["match"], r["unit"], r["price_key"], r["ef_key"], float(r["factor"]), r["note"]
            )
            for r in csv.DictReader(fh)
        ]
    return tuple(sorted(rows, key=lambda s: -len(s.match)))


def substitute_for(resource: str, unit: str) -> Substitute | None:
    """The substitute of a resource in a canonical unit (exact code, then EWC prefix)."""
    for sub in substitutes():
        if sub.unit != unit:
            continue
        if resource == sub.match or (
            resources.is_ewc(resource) and resource.rstrip("*").startswith(sub.match)
        ):
            return sub
    return None


def _disposal_keys(resource: str, route: str) -> tuple[str | None, str | None]:
    """(cost key, emission key) of the disposal a resource avoids."""
    if resources.is_ewc(resource):
        if route == "none":
            return None, None
        if resources.is_hazardous(resource) or route == "hazardous":
            return "disposal.cost.hazardous", None
        if route == "incineration":
            return "disposal.cost.incineration", "disposal.ef.incineration"
        family = resources.family_of(resource)
        landfill = {
            "minerals": "inert",
            "metals": "inert",
            "biomass": "organic",
            "sludge": "organic",
        }.get(family, "mixed")
        return "disposal.cost.landfill", f"disposal.ef.landfill.{landfill}"
    if resource in {"wastewater", "treated-wastewater"}:
        return "disposal.cost.wastewater", "ef.wastewater_treatment"
    return None, None


def _annuity(rate: float, years: float) -> float:
    return rate / (1 - (1 + rate) ** -years) if rate > 0 else 1 / years


def _components(
    frame: pd.DataFrame, distance_km: np.ndarray, params: ParameterSet, lib: pd.DataFrame
) -> pd.DataFrame:
    """Every money and CO2 component at the given distances (vectorised)."""
    qty = frame["quantity"].to_numpy(dtype="float64")
    unit = frame["unit"].astype(str).to_numpy()
    mode = frame["mode"].astype(str).to_numpy()
    family = frame["family"].astype(str).to_numpy()
    res = frame["resource"].astype(str).to_numpy()
    mass_t = np.where(
        unit == "t/yr", qty, np.where(unit == "m3/yr", qty * WATER_DENSITY_T_PER_M3, np.nan)
    )
    freight = np.isin(mode, FREIGHT_MODES)
    tkm = np.where(freight, mass_t * distance_km, 0.0)
    per_tkm_cost = np.array([params.value_or(f"transport.cost.{m}", 0.0) for m in mode])
    per_tkm_ef = np.array([params.value_or(f"transport.ef.{m}", 0.0) for m in mode])
    handling = np.array([params.value_or(f"transport.fixed_cost.{m}", 0.0) for m in mode])
    transport_cost = np.nan_to_num(tkm * per_tkm_cost) + np.where(
        freight, np.nan_to_num(mass_t) * handling, 0.0
    )
    transport_co2 = np.nan_to_num(tkm * per_tkm_ef) / 1000.0
    # Pipelines: annualised construction cost per metre of trench, heat lost along the way.
    annuity = _annuity(params["pipeline.discount_rate"], params["pipeline.annuity_years"])
    capex_key = np.where(
        family == "heat", "pipeline.heat.capex_per_m", "pipeline.water.capex_per_m"
    )
    capex = np.array([params[k] for k in capex_key])
    pipe = mode == "pipeline"
    transport_cost += np.where(pipe, capex * distance_km * 1000.0 * annuity, 0.0)
    loss = np.where(
        pipe & (family == "heat"),
        np.clip(params["pipeline.heat.loss_fraction_per_km"] * distance_km, 0, 1),
        0.0,
    )
    delivered = qty * (1 - loss)
    # Avoided purchase and virgin production, from the substitution table (library factors
    # take precedence for emissions where the row has one in the same unit).
    price = np.zeros(len(frame))
    ef = np.zeros(len(frame))
    for k, (r, u) in enumerate(zip(res, unit, strict=True)):
        sub = substitute_for(r, u)
        if sub is not None:
            price[k] = params[sub.price_key] * sub.factor
            ef[k] = params[sub.ef_key] * sub.factor
    lib_ef = _library_values(frame, lib)
    ef = np.where(np.isfinite(lib_ef["virgin_ef"]), lib_ef["virgin_ef"], ef)
    avoided_purchase = np.nan_to_num(delivered * price)
    avoided_virgin = np.nan_to_num(delivered * ef) / 1000.0
    # Avoided disposal (wastes leave the supplier either way: counted on the full quantity).
    disposal_cost = np.zeros(len(frame))
    disposal_ef = np.zeros(len(frame))
    for k, (r, route) in enumerate(zip(res, lib_ef["route"], strict=True)):
        cost_key, ef_key = _disposal_keys(r, route)
        disposal_cost[k] = params[cost_key] if cost_key else 0.0
        disposal_ef[k] = params.value_or(ef_key, 0.0) if ef_key else 0.0
    disposal_ef = np.where(np.isfinite(lib_ef["disposal_ef"]), lib_ef["disposal_ef"], disposal_ef)
    disposal_basis = np.where(np.isin(unit, ["t/yr", "m3/yr"]), qty, 0.0)
    avoided_disposal = np.nan_to_num(disposal_basis * disposal_cost)
    avoided_disposal_co2 = np.nan_to_num(np.where(unit == "t/yr", qty, 0.0) * disposal_ef) / 1000
    net_co2 = avoided_virgin + avoided_disposal_co2 - transport_co2
    excl = avoided_disposal + avoided_purchase - transport_cost
    carbon = params["carbon.price"] * net_co2
    return pd.DataFrame(
        {
            "tonne_km": tkm,
            "transport_cost_eur": transport_cost,
            "transport_co2e_t": transport_co2,
            "delivered_quantity": delivered,
            "avoided_disposal_eur": avoided_disposal,
            "avoided_purchase_eur": avoided_purchase,
            "avoided_virgin_co2e_t": avoided_virgin,
            "avoided_disposal_co2e_t": avoided_disposal_co2,
            "net_co2e_t": net_co2,
            "carbon_value_eur": carbon,
            "net_benefit_excl_carbon_eur": excl,
            "net_benefit_eur": excl + carbon,
        },
        index=frame.index,
    )


def _library_values(frame: pd.DataFrame, lib: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per candidate: the library's disposal route and factors for its resource, if any."""
    by_id = lib.set_index("synergy_id")
    by_resource = lib.sort_values("confidence").drop_duplicates("resource").set_index("resource")
    unit_of = {"t/yr": "t", "MWh/yr": "MWh", "m3/yr": "m3"}
    route, virgin, disposal = [], [], []
    for sid, res, unit in zip(frame["synergy_id"], frame["resource"], frame["unit"], strict=True):
        row = None
        if isinstance(sid, str) and sid in by_id.index:
            row = by_id.loc[sid]
        elif res in by_resource.index:
            row = by_resource.loc[res]
        if row is None:
            route.append("")
            virgin.append(np.nan)
            disposal.append(np.nan)
            continue
        route.append(str(row["disposal_route"]))
        same_unit = row["virgin_ef_unit"] == unit_of.get(str(unit), "")
        virgin.append(float(row["virgin_ef_kgco2e_per_unit"]) if same_unit else np.nan)
        disposal.append(float(row["disposal_ef_kgco2e_per_t"]))
    return {
        "route": np.array(route, dtype=object),
        "virgin_ef": np.array(virgin, dtype=float),
        "disposal_ef": np.array(disposal, dtype=float),
    }


def score(candidates: pd.DataFrame, params: ParameterSet, lib: pd.DataFrame) -> pd.DataFrame:
    """Add :data:`SCORE_COLUMNS` to candidates from :func:`flows.matching.match`, ranked.

    Net benefit (EUR/yr) = avoided disposal + avoided purchase - transport (freight per
    tonne-km plus handling, or an annualised pipeline and its heat losses) + carbon price x net
    CO2e. Net CO2e (t/yr) = avoided virgin production + avoided disposal - transport. The
    break-even distance is where the net benefit reaches zero (benefit falls linearly with
    distance); it is infinite when distance costs nothing. Candidates without a quantity
    (inferred on both sides) get NaN money figures and rank last.
    """
    if len(candidates) == 0:
        return candidates.assign(**{c: pd.Series(dtype="float64") for c in SCORE_COLUMNS})
    km = candidates["distance_m"].to_numpy(dtype="float64") / 1000.0
    at_distance = _components(candidates, km, params, lib)
    at_zero = _components(candidates, np.zeros_like(km), params, lib)["net_benefit_eur"]
    at_one = _components(candidates, np.ones_like(km), params, lib)["net_benefit_eur"]
    slope = (at_zero - at_one).to_numpy()  # EUR/yr lost per km
    with np.errstate(divide="ignore", invalid="ignore"):
        break_even = np.where(slope > 0, at_zero.to_numpy() / slope, np.inf)
    break_even = np.where(at_zero.to_numpy() <= 0, 0.0, break_even)
    out = pd.concat([candidates, at_distance], axis=1)
    no_qty = out["quantity"].isna()
    money = [c for c in at_distance.columns if c.endswith(("_eur", "_t")) or c == "tonne_km"]
    out.loc[no_qty, money] = np.nan
    out["break_even_km"] = np.where(no_qty, np.nan, break_even)
    out["parameter_set"] = params.version
    out["rank"] = (
        out["net_benefit_eur"]
        .rank(ascending=False, method="first", na_option="bottom")
        .astype("int64")
    )
    out = out.sort_values("rank").reset_index(drop=True)
    out["explanation"] = [_explain(row) for row in out.itertuples(index=False)]
    return out


def _explain(row: object) -> str:
    get = row.__getattribute__
    distance = f"{get('distance_m') / 1000:.1f} km by {get('mode')} ({get('distance_kind')})"
    what = f"{get('resource')}"
    if get("basis") == "inferred":
        lead = (
            f"Likely ({get('confidence')} confidence, from sector codes): "
            f"{get('supply_site')} could send {what}"
        )
    else:
        lead = f"{get('supply_site')} could send {_amount(get('quantity'), get('unit'))} of {what}"
    text = f"{lead} {distance} to {get('demand_site')}"
    if pd.isna(get("net_benefit_eur")):
        return text + "; quantity unknown, so no figures."
    pays = "pays" if get("net_benefit_eur") > 0 else "does not pay"
    be = get("break_even_km")
    limit = "at any distance" if np.isinf(be) else f"up to {be:,.0f} km"
    return (
        f"{text}: {pays} ({get('net_benefit_eur'):+,.0f} EUR/yr, "
        f"{get('net_co2e_t'):+,.0f} t CO2e/yr), worthwhile {limit}."
    )


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if pd.notna(value) else "an unknown amount"


def summary_table(scored: pd.DataFrame, *, top: int = 15) -> str:
    """A plain-text table of the best candidates and the totals, for the command line."""
    if scored.empty:
        return "no candidate exchange found within the economic distances"
    cols = {
        "rank": "rank",
        "supply_site": "from",
        "demand_site": "to",
        "resource": "resource",
        "basis": "basis",
        "quantity": "quantity",
        "unit": "unit",
        "distance_km": "km",
        "distance_kind": "distance",
        "net_benefit_eur": "EUR/yr",
        "net_co2e_t": "t CO2e/yr",
        "break_even_km": "break-even km",
    }
    view = scored.assign(distance_km=scored["distance_m"] / 1000.0)[list(cols)].head(top)
    view = view.rename(columns=cols)
    text = view.to_string(index=False, float_format=lambda v: f"{v:,.1f}")
    declared = scored[scored["basis"] == "declared"]
    totals = (
        f"declared candidates: {len(declared)}, net benefit "
        f"{declared['net_benefit_eur'].clip(lower=0).sum():,.0f} EUR/yr and "
        f"{declared['net_co2e_t'].clip(lower=0).sum():,.0f} t CO2e/yr if every paying one were "
        "realised (candidates compete for the same flows: an upper bound)"
    )
    return f"{text}\n{totals}"
