"""Cost and CO2 of every candidate exchange: transport, avoided disposal and virgin input,
net benefit, break-even distance, rank and a one-line explanation.

Every figure comes from one :class:`~flows.parameters.ParameterSet` whose version is written
into the result, plus the synergy library row where the library has a more specific factor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flows import frames, resources
from flows import reference as reference_data
from flows.parameters import ParameterSet
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


def _disposal_keys(resource: str, route: str, family: str) -> tuple[str | None, str | None]:
    """(cost key, emission key) of the disposal a resource of ``family`` avoids."""
    if resources.is_ewc(resource):
        if route == "none":
            return None, None
        if resources.is_hazardous(resource) or route == "hazardous":
            return "disposal.cost.hazardous", None
        if route == "incineration":
            return "disposal.cost.incineration", "disposal.ef.incineration"
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
        frame["resource"], served, frame["unit"], pd.Series(lib_values["route"]), frame["family"]
    )
    table = np.zeros((len(combos), 4))
    has_substitute = np.zeros(len(combos), dtype=bool)
    for k, (r, d, u, route, fam) in enumerate(combos):
        sub = substitute_for(str(d), str(u), subs)
        has_substitute[k] = sub is not None
        cost_key, ef_key = _disposal_keys(str(r), str(route or ""), str(fam or ""))
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


def _kinds(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Quantity, unit, mode and family of every candidate as arrays, read once."""
    return {
        "qty": frame["quantity"].to_numpy(dtype="float64"),
        "unit": _objects(frame["unit"]),
        "mode": _objects(frame["mode"]),
        "family": _objects(frame["family"]),
    }


def _components(
    kinds: dict[str, np.ndarray],
    rates: dict[str, np.ndarray],
    distance_km: np.ndarray,
    params: ParameterSet,
) -> dict[str, np.ndarray]:
    """Every money and CO2 component at the given distances (vectorised), as arrays."""
    qty, unit, mode, family = kinds["qty"], kinds["unit"], kinds["mode"], kinds["family"]
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
    return {
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
    }


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
    kinds = _kinds(candidates)
    figures = _components(kinds, rates, km, params)
    at_zero = _components(kinds, rates, np.zeros_like(km), params)["net_benefit_eur"]
    at_one = _components(kinds, rates, np.ones_like(km), params)["net_benefit_eur"]
    slope = at_zero - at_one  # EUR/yr lost per km
    with np.errstate(divide="ignore", invalid="ignore"):
        break_even = np.where(slope > 0, at_zero / slope, np.inf)
    break_even = np.where(at_zero <= 0, 0.0, break_even)
    no_qty = np.isnan(kinds["qty"])
    for name in figures:
        if name.endswith(("_eur", "_t")) or name == "tonne_km":
            figures[name] = np.where(no_qty, np.nan, figures[name])
    figures["break_even_km"] = np.where(no_qty, np.nan, break_even)
    # Rank 1 = best net benefit, ties in candidate order, unknown figures last: a stable sort
    # of the negated benefit (NaN sorts last), as pandas' rank(method="first") would number.
    order = np.argsort(-figures["net_benefit_eur"], kind="stable")
    # One reordering of every column (the candidates', then the figures'): no sorted copy of
    # an unsorted frame, no frame per component.
    ranked = candidates.take(order).reset_index(drop=True)
    scores = pd.DataFrame({name: values[order] for name, values in figures.items()})
    scores["parameter_set"] = pd.Series(params.version, index=scores.index, dtype=TEXT_DTYPE)
    scores["rank"] = np.arange(1, len(order) + 1, dtype="int64")
    out = pd.concat([ranked, scores], axis=1)
    if explain:
        out["explanation"] = explanations(out)
    return out


def explanations(out: pd.DataFrame) -> pd.Series:
    """One plain-language line per scored candidate, as a text column aligned with ``out``.

    Separate from the figures because text is the slow part for a million candidates: built
    with Arrow's string kernels over whole columns (numbers formatted by
    :func:`flows.frames.fixed`), never one Python string per row. :func:`score` adds it unless
    ``explain=False``.
    """
    n = len(out)
    if n == 0:
        return pd.Series([], index=out.index, dtype=TEXT_DTYPE)
    sup, dem, res, unit, mode, kind, conf = (
        frames.arrow_text(out[c])
        for c in (
            "supply_site",
            "demand_site",
            "resource",
            "unit",
            "mode",
            "distance_kind",
            "confidence",
        )
    )
    inferred = (out["basis"].astype("object") == "inferred").to_numpy(dtype=bool)
    num = {
        c: out[c].to_numpy(dtype="float64")
        for c in ("distance_m", "quantity", "net_benefit_eur", "net_co2e_t", "break_even_km")
    }
    benefit, be = num["net_benefit_eur"], num["break_even_km"]

    def choose(mask: np.ndarray, yes: pa.Array | str, no: pa.Array | str) -> pa.Array:
        return pc.if_else(pa.array(mask), yes, no)

    def join(*parts: pa.Array | str) -> pa.Array:
        return pc.binary_join_element_wise(*parts, "")

    amount = choose(
        np.isnan(num["quantity"]),
        "an unknown amount",
        join(frames.fixed(num["quantity"], decimals=0, thousands=True), " ", unit),
    )
    head = choose(
        inferred,
        join("Likely (", conf, " confidence, from sector codes): ", sup, " could send ", res),
        join(sup, " could send ", amount, " of ", res),
    )
    limit = choose(
        np.isinf(be),
        "at any distance",
        join("up to ", frames.fixed(be, decimals=0, thousands=True), " km"),
    )
    figures = join(
        ": ",
        choose(benefit > 0, "pays", "does not pay"),
        " (",
        frames.fixed(benefit, decimals=0, thousands=True, plus=True),
        " EUR/yr, ",
        frames.fixed(num["net_co2e_t"], decimals=0, thousands=True, plus=True),
        " t CO2e/yr), worthwhile ",
        limit,
        ".",
    )
    tail = choose(np.isnan(benefit), "; quantity unknown, so no figures.", figures)
    km = frames.fixed(num["distance_m"] / 1000.0, decimals=1)
    text = join(head, " ", km, " km by ", mode, " (", kind, ") to ", dem, tail)
    return pd.Series(pd.arrays.ArrowStringArray(text, dtype=TEXT_DTYPE), index=out.index)


TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
"""The dtype of text columns built here (pandas' default ``str``)."""
