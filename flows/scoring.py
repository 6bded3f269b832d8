"""Cost and CO2 of every candidate exchange: transport, avoided disposal and virgin input,
net benefit, break-even distance, rank and a one-line explanation.

Every figure comes from one :class:`~flows.parameters.ParameterSet` whose version is written
into the result, plus the synergy library row where the library has a more specific factor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from flows import reference as reference_data
from flows import resources
from flows.parameters import ParameterSet
from flows.privacy import Totals
from flows.reference import Substitute

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


def substitute_for(
    resource: str, unit: str, table: Sequence[Substitute] | None = None
) -> Substitute | None:
    """The substitute of a resource in a canonical unit (exact code, then EWC prefix), from
    ``table`` (default: the bundled one, :func:`flows.reference.default`)."""
    for sub in reference_data.default().substitutes if table is None else table:
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


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values of a column, without touching
    each of its (possibly arrow-backed) strings one by one."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories.to_numpy(dtype=object)
        return series.cat.codes.to_numpy(dtype="int64"), categories
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes, dtype="int64"), np.asarray(uniques, dtype=object)


def _distinct(*columns: pd.Series) -> tuple[np.ndarray, list[tuple[object, ...]]]:
    """Per row, the index of its combination of values; and the combinations themselves."""
    parts = [_codes(c) for c in columns]
    combined = np.zeros(len(columns[0]), dtype="int64")
    for codes, uniques in parts:
        combined = combined * (len(uniques) + 1) + (codes + 1)
    unique, inverse = np.unique(combined, return_inverse=True)
    first = np.zeros(len(unique), dtype="int64")
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    combos = [
        tuple(None if codes[k] < 0 else uniques[codes[k]] for codes, uniques in parts)
        for k in first
    ]
    return inverse, combos


def _objects(series: pd.Series) -> np.ndarray:
    """A text column as a numpy object array (None for missing), quickly."""
    codes, uniques = _codes(series)
    out = np.empty(len(codes), dtype=object)
    valid = codes >= 0
    out[valid] = uniques[codes[valid]]
    return out


def _rates(
    frame: pd.DataFrame,
    params: ParameterSet,
    lib: pd.DataFrame,
    subs: Sequence[Substitute],
) -> dict[str, np.ndarray]:
    """Per-candidate rates that do not depend on distance, looked up once per distinct key."""
    mode_codes, modes = _codes(frame["mode"])
    per_mode = np.array(
        [
            (
                params.value_or(f"transport.cost.{m}", 0.0),
                params.value_or(f"transport.ef.{m}", 0.0),
                params.value_or(f"transport.fixed_cost.{m}", 0.0),
            )
            for m in modes
        ]
    ).reshape(-1, 3)
    mode_rates = per_mode[mode_codes]
    family = _objects(frame["family"])
    capex = np.where(
        family == "heat", params["pipeline.heat.capex_per_m"], params["pipeline.water.capex_per_m"]
    )
    lib_values = _library_values(frame, lib)
    # What is avoided at the receiver is its own (demanded) resource: steam serving a heat
    # demand replaces heat; what the supplier no longer disposes of is the supplied resource.
    served = frame["demand_resource"] if "demand_resource" in frame else frame["resource"]
    row_key, combos = _distinct(
        frame["resource"], served, frame["unit"], pd.Series(lib_values["route"])
    )
    table = np.zeros((len(combos), 4))
    has_substitute = np.zeros(len(combos), dtype=bool)
    for k, (r, d, u, route) in enumerate(combos):
        sub = substitute_for(str(d), str(u), subs)
        has_substitute[k] = sub is not None
        cost_key, ef_key = _disposal_keys(str(r), str(route or ""))
        table[k] = (
            params[sub.price_key] * sub.factor if sub else 0.0,
            params[sub.ef_key] * sub.factor if sub else 0.0,
            params[cost_key] if cost_key else 0.0,
            params.value_or(ef_key, 0.0) if ef_key else 0.0,
        )
    looked_up = table[row_key]
    # The versioned parameter set decides where it has a substitute; library factors fill gaps.
    virgin_ef = np.where(
        has_substitute[row_key] | ~np.isfinite(lib_values["virgin_ef"]),
        looked_up[:, 1],
        lib_values["virgin_ef"],
    )
    disposal_ef = np.where(
        np.isfinite(lib_values["disposal_ef"]), lib_values["disposal_ef"], looked_up[:, 3]
    )
    return {
        "cost_per_tkm": mode_rates[:, 0],
        "ef_per_tkm": mode_rates[:, 1],
        "handling_per_t": mode_rates[:, 2],
        "capex_per_m": capex,
        "price": looked_up[:, 0],
        "virgin_ef": virgin_ef,
        "disposal_cost": looked_up[:, 2],
        "disposal_ef": disposal_ef,
    }


def _components(
    frame: pd.DataFrame,
    rates: dict[str, np.ndarray],
    distance_km: np.ndarray,
    params: ParameterSet,
) -> pd.DataFrame:
    """Every money and CO2 component at the given distances (vectorised)."""
    qty = frame["quantity"].to_numpy(dtype="float64")
    unit = _objects(frame["unit"])
    mode = _objects(frame["mode"])
    family = _objects(frame["family"])
    mass_t = np.where(
        unit == "t/yr", qty, np.where(unit == "m3/yr", qty * WATER_DENSITY_T_PER_M3, np.nan)
    )
    freight = np.isin(mode, FREIGHT_MODES)
    tkm = np.where(freight, mass_t * distance_km, 0.0)
    transport_cost = np.nan_to_num(tkm * rates["cost_per_tkm"]) + np.where(
        freight, np.nan_to_num(mass_t) * rates["handling_per_t"], 0.0
    )
    transport_co2 = np.nan_to_num(tkm * rates["ef_per_tkm"]) / 1000.0
    # Pipelines: annualised construction cost per metre of trench, heat lost along the way.
    annuity = _annuity(params["pipeline.discount_rate"], params["pipeline.annuity_years"])
    pipe = mode == "pipeline"
    transport_cost += np.where(pipe, rates["capex_per_m"] * distance_km * 1000.0 * annuity, 0.0)
    loss = np.where(
        pipe & (family == "heat"),
        np.clip(params["pipeline.heat.loss_fraction_per_km"] * distance_km, 0, 1),
        0.0,
    )
    delivered = qty * (1 - loss)
    avoided_purchase = np.nan_to_num(delivered * rates["price"])
    avoided_virgin = np.nan_to_num(delivered * rates["virgin_ef"]) / 1000.0
    # Wastes leave the supplier whatever the distance: disposal is avoided on the full quantity.
    disposal_basis = np.where(np.isin(unit, ["t/yr", "m3/yr"]), qty, 0.0)
    avoided_disposal = np.nan_to_num(disposal_basis * rates["disposal_cost"])
    tonnes = np.where(unit == "t/yr", qty, 0.0)
    avoided_disposal_co2 = np.nan_to_num(tonnes * rates["disposal_ef"]) / 1000.0
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
    """Per candidate: the library's disposal route and factors (its own row where inferred,
    else the most confident row for its resource), looked up once per distinct key."""
    unit_of = {"t/yr": "t", "MWh/yr": "MWh", "m3/yr": "m3"}
    ranked = lib.assign(_c=lib["confidence"].map({"high": 0, "medium": 1, "low": 2}))
    by_id = lib.set_index("synergy_id")
    by_resource = ranked.sort_values("_c").drop_duplicates("resource").set_index("resource")
    row_key, combos = _distinct(frame["synergy_id"], frame["resource"], frame["unit"])
    table: list[tuple[str, float, float]] = []
    for sid, res, unit in combos:
        row = None
        if sid is not None and sid in by_id.index:
            row = by_id.loc[sid]
        elif res in by_resource.index:
            row = by_resource.loc[res]
        if row is None:
            table.append(("", np.nan, np.nan))
            continue
        same_unit = row["virgin_ef_unit"] == unit_of.get(str(unit), "")
        table.append(
            (
                str(row["disposal_route"]),
                float(row["virgin_ef_kgco2e_per_unit"]) if same_unit else np.nan,
                float(row["disposal_ef_kgco2e_per_t"]),
            )
        )
    routes = np.array([t[0] for t in table], dtype=object)
    virgin = np.array([t[1] for t in table], dtype=float)
    disposal = np.array([t[2] for t in table], dtype=float)
    return {
        "route": routes[row_key],
        "virgin_ef": virgin[row_key],
        "disposal_ef": disposal[row_key],
    }


def score(
    candidates: pd.DataFrame,
    params: ParameterSet,
    lib: pd.DataFrame,
    *,
    substitutes: Sequence[Substitute] | None = None,
    explain: bool = True,
) -> pd.DataFrame:
    """Add :data:`SCORE_COLUMNS` to candidates from :func:`flows.matching.match`, ranked
    (``explanation`` only with ``explain=True``).

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
    table = reference_data.default().substitutes if substitutes is None else substitutes
    rates = _rates(candidates, params, lib, table)
    at_distance = _components(candidates, rates, km, params)
    at_zero = _components(candidates, rates, np.zeros_like(km), params)["net_benefit_eur"]
    at_one = _components(candidates, rates, np.ones_like(km), params)["net_benefit_eur"]
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
    if explain:
        out["explanation"] = explanations(out)
    return out


def explanations(out: pd.DataFrame) -> list[str]:
    """One plain-language line per scored candidate.

    Separate from the figures because text is the slow part for a million candidates; built
    column-wise (each number formatted once, strings joined as whole arrays) rather than row by
    row. :func:`score` adds it unless ``explain=False``.
    """
    text = {
        c: out[c].astype("object").astype(str).to_numpy(dtype=object)
        for c in ("supply_site", "demand_site", "resource", "unit", "mode", "distance_kind")
    }
    basis = out["basis"].astype("object").to_numpy(dtype=object)
    confidence = out["confidence"].astype("object").astype(str).to_numpy(dtype=object)
    num = {
        c: out[c].to_numpy(dtype="float64")
        for c in ("distance_m", "quantity", "net_benefit_eur", "net_co2e_t", "break_even_km")
    }
    if len(out) == 0:
        return []
    km = _formatted(num["distance_m"] / 1000.0, "{:.1f}")
    quantity = num["quantity"]
    amount = _formatted(quantity, "{:,.0f}")
    amount[np.isnan(quantity)] = None
    benefit, be = num["net_benefit_eur"], num["break_even_km"]
    benefit_text = _formatted(benefit, "{:+,.0f}")
    co2_text = _formatted(num["net_co2e_t"], "{:+,.0f}")
    limit = np.where(np.isinf(be), "at any distance", "up to " + _formatted(be, "{:,.0f}") + " km")
    verdict = np.where(benefit > 0, "pays", "does not pay")
    no_figures = np.isnan(benefit)
    # One f-string per row over pre-formatted columns: each number is formatted exactly once.
    return [
        (
            f"Likely ({conf} confidence, from sector codes): {sup} could send {res}"
            if bas == "inferred"
            else f"{sup} could send {'an unknown amount' if amt is None else f'{amt} {unit}'} "
            f"of {res}"
        )
        + f" {dist} km by {mode} ({kind}) to {dem}"
        + (
            "; quantity unknown, so no figures."
            if nofig
            else f": {verd} ({ben} EUR/yr, {co2} t CO2e/yr), worthwhile {lim}."
        )
        for (
            sup,
            dem,
            res,
            unit,
            mode,
            kind,
            bas,
            conf,
            dist,
            amt,
            ben,
            co2,
            lim,
            verd,
            nofig,
        ) in zip(
            text["supply_site"],
            text["demand_site"],
            text["resource"],
            text["unit"],
            text["mode"],
            text["distance_kind"],
            basis,
            confidence,
            km,
            amount,
            benefit_text,
            co2_text,
            limit,
            verdict,
            no_figures,
            strict=True,
        )
    ]


def _formatted(values: np.ndarray, spec: str) -> np.ndarray:
    """``values`` formatted with ``spec`` as an object array (NaN and inf as Python prints
    them; such rows are replaced by the caller)."""
    fmt = spec.format
    return np.array([fmt(v) for v in values.tolist()], dtype=object)


def _amount(value: float, unit: str) -> str:
    return "an unknown amount" if np.isnan(value) else f"{value:,.0f} {unit}"


def summary_table(shown: pd.DataFrame, totals: Totals, *, top: int = 15) -> str:
    """A plain-text table of the best candidates and the totals, for the command line.

    ``shown`` and ``totals`` come through :mod:`flows.privacy` (this function only formats).
    """
    if shown.empty:
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
    view = shown.assign(distance_km=shown["distance_m"] / 1000.0)[list(cols)].head(top)
    view = view.rename(columns=cols)
    text = view.to_string(index=False, float_format=lambda v: f"{v:,.1f}")
    lines = [
        text,
        (
            f"{totals.count} candidates: net benefit {totals.net_benefit_eur:,.0f} EUR/yr and "
            f"{totals.net_co2e_t:,.0f} t CO2e/yr in all; the paying declared ones "
            f"{totals.paying_net_benefit_eur:,.0f} EUR/yr and {totals.paying_net_co2e_t:,.0f} "
            "t CO2e/yr (candidates compete for the same flows: an upper bound)"
        ),
    ]
    if totals.withheld:
        lines.append(
            f"{totals.withheld} candidates involve confidential flows: their figures are "
            "withheld and not in these totals (--tier owner shows them)"
        )
    return "\n".join(lines)
