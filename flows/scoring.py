"""Cost and CO2 of every candidate exchange: transport (freight or a sized pipe), what the
exchange avoids (the supply's counterfactual treatment, the receiver's virgin input), what a
produced supply costs, net benefit, break-even distance, what limits it, rank and a one-line
explanation.

Every figure comes from the run's reference data, each table versioned and sourced: the
parameter set (prices, freight, emission factors: ``parameters.csv``), the counterfactual table
with its legal bans and the supply kinds (``counterfactuals.csv``, ``route_bans.csv``,
``supply_kinds.csv``), the pipe models (``pipe_costs.csv``), the substitution table, and the
synergy library where it has a more specific virgin-input factor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flows import counterfactuals as cf
from flows import frames, pipes, resources
from flows import reference as reference_data
from flows.counterfactuals import CounterfactualTable
from flows.parameters import ParameterSet
from flows.pipes import PipeParameters
from flows.reference import Substitute

WATER_DENSITY_T_PER_M3 = 1.0
"""Liquids moved by road, rail or ship are counted at 1 t/m3 for tonne-km."""
FREIGHT_MODES = ("road", "rail", "inland-waterway", "sea")

GAS_MWH_PER_T = {
    "natural-gas": 13.33,
    "biogas": 14.0,
    "fuel-gas": 13.75,
    "hydrogen": 33.3,
}
"""Net calorific value of gases given in MWh/yr, to size their pipes by mass (MWh per t):
IPCC 2006 Guidelines Vol. 2 Ch. 1 Table 1.2 (natural gas 48.0 TJ/Gg, refinery gas 49.5 TJ/Gg,
biogas 50.4 TJ/Gg of methane, here 14.0 for upgraded biomethane), hydrogen 120 MJ/kg; recalled,
not re-read (they size the pipe only, not the money or CO2 of the gas)."""

RECEIVER_IS_ROUTE = {
    "wastewater-plant": ("wastewater-treatment",),
    "waste-management": (
        "landfill-inert",
        "landfill-nonhazardous",
        "landfill-hazardous",
        "incineration-energy-recovery",
        "incineration",
        "co-incineration",
        "composting",
        "anaerobic-digestion",
    ),
    "farm": ("land-spreading",),
}
"""Receiving site kinds that are themselves the counterfactual treatment: sending wastewater to
a wastewater plant, waste to the incinerator it would go to anyway, or digestate to the fields
it would be spread on avoids nothing, neither treatment nor virgin input (what it replaces
would be replaced anyway). A receiver that *demands* wastewater treats it too."""

LIMITS = ("price gap", "production cost", "investment", "losses", "distance", "")
"""What limits a candidate (``limited_by``): the value is below the fixed costs even next door
(``price gap``, or ``production cost`` for a produced supply), or, with distance, the pipe's
investment, its heat losses, or freight cost (``distance``); "" without a quantity."""

SCORE_COLUMNS = (
    "tonne_km",
    "transport_cost_eur",
    "transport_co2e_t",
    "delivered_quantity",
    "avoided_disposal_eur",
    "avoided_purchase_eur",
    "avoided_virgin_co2e_t",
    "avoided_disposal_co2e_t",
    "production_cost_eur",
    "production_co2e_t",
    "pipe_investment_eur",
    "pipe_diameter_m",
    "heat_loss_fraction",
    "pipe_levelised_cost_eur_per_unit",
    "net_co2e_t",
    "carbon_value_eur",
    "net_benefit_excl_carbon_eur",
    "net_benefit_eur",
    "break_even_km",
    "limited_by",
    "counterfactual_route",
    "counterfactual_basis",
    "rank",
    "parameter_set",
    "explanation",
)
"""Added by :func:`score`; money in EUR/yr (``pipe_investment_eur``: EUR, once;
``pipe_levelised_cost_eur_per_unit``: EUR per MWh, m3 or t delivered) and CO2e in t/yr (annual
flows)."""

TEXT_SCORE_COLUMNS = ("limited_by", "counterfactual_route", "counterfactual_basis")
"""Text columns among :data:`SCORE_COLUMNS` besides the parameter set and the explanation."""


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


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column, or missing values where the frame (an older file) lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def _per_unit(unit: np.ndarray, family: np.ndarray, row_unit: np.ndarray) -> np.ndarray:
    """Whether a counterfactual or supply-kind row priced per ``row_unit`` (t, m3, MWh, any)
    applies to a quantity in ``unit`` (t/yr, m3/yr, MWh/yr): 1 where it does (water and
    sludge: 1 t = 1 m3), 0 where it does not (``any`` rows are zero anyway)."""
    same = (
        ((row_unit == "t") & (unit == "t/yr"))
        | ((row_unit == "m3") & (unit == "m3/yr"))
        | ((row_unit == "MWh") & (unit == "MWh/yr"))
    )
    # Water and sludges (about 1 t/m3, as freight counts them) are priced per t or m3 alike.
    water = np.isin(family, ["water", "sludge"]) & (
        ((row_unit == "m3") & (unit == "t/yr")) | ((row_unit == "t") & (unit == "m3/yr"))
    )
    return np.where(same | water, 1.0, 0.0)


def _counterfactuals(
    frame: pd.DataFrame,
    table: CounterfactualTable,
    params: ParameterSet,
    *,
    subs: Sequence[Substitute],
) -> dict[str, np.ndarray]:
    """What each supply would become without the exchange, and what a produced one costs.

    The supply kind picks the route (a by-product's is ``sold-as-product``, surplus energy's
    ``none``; a waste's comes from the country's table), a flow's ``counterfactual`` column
    overrides it; an exchange already in place is valued against what its supply would be
    without any outlet (a by-product with none is a waste), and a receiver that is itself the
    treatment (a wastewater plant, the incinerator) avoids nothing.
    """
    n = len(frame)
    unit = _objects(frame["unit"])
    family = _objects(frame["family"])
    kinds = cf.supply_kind_for(
        table,
        kinds=_objects(_column(frame, "supply_kind")).astype(object),
        resources=_objects(frame["resource"]),
        params=params,
    )
    kind_route = kinds["counterfactual"].to_numpy(dtype=object)
    in_place = (
        (_objects(frame["exchange_status"]) == "active")
        if "exchange_status" in frame
        else (np.zeros(n, dtype=bool))
    )
    override = _objects(_column(frame, "counterfactual"))
    # A by-product's current outlet is valued against the waste it would otherwise be.
    from_kind = np.where(
        (kind_route == "table") | ((kind_route == "sold-as-product") & in_place), None, kind_route
    )
    chosen = np.where(pd.isna(override), from_kind, override)
    looked = cf.counterfactual_for(
        table,
        resources=_objects(frame["resource"]),
        families=family,
        countries=_objects(_column(frame, "country")),
        overrides=chosen,
    )
    route = looked["route"].astype("object").to_numpy()
    applies = _per_unit(unit, family, looked["unit"].astype("object").to_numpy())
    demand_kind = _objects(_column(frame, "demand_kind"))
    served = _objects(_column(frame, "demand_resource"))
    is_route = (served == "wastewater") & (route == "wastewater-treatment")
    for site_kind, routes in RECEIVER_IS_ROUTE.items():
        is_route |= (demand_kind == site_kind) & np.isin(route, routes)
    cost = np.nan_to_num(looked["cost_eur_per_unit"].to_numpy(dtype="float64")) * applies
    ef = np.nan_to_num(looked["ef_kgco2e_per_unit"].to_numpy(dtype="float64")) * applies
    basis = _basis(looked, kinds, override=override, is_route=is_route, in_place=in_place)
    steam_t = (_objects(frame["resource"]) == "steam") & (unit == "t/yr")
    # Steam in tonnes is charged for the same MWh the receiver is credited with.
    steam_sub = substitute_for("steam", "t/yr", subs)
    to_mwh = np.where(steam_t, steam_sub.factor if steam_sub else np.nan, 1.0)
    produced_unit = kinds["unit"].to_numpy(dtype=object)
    produced_applies = np.where(
        steam_t & (produced_unit == "MWh"), 1.0, _per_unit(unit, family, produced_unit)
    )
    produced_cost = kinds["cost_eur_per_unit"].to_numpy(dtype="float64")
    produced_ef = kinds["ef_kgco2e_per_unit"].to_numpy(dtype="float64")
    return {
        "route": route,
        "basis": basis,
        "disposal_cost": np.where(is_route, 0.0, cost),
        "disposal_ef": np.where(is_route, 0.0, ef),
        # NaN (a produced supply without a priced row) stays NaN: never taken as free.
        "production_cost": produced_cost * produced_applies * to_mwh,
        "production_ef": produced_ef * produced_applies * to_mwh,
        "sold": (route == "sold-as-product") & ~in_place,
        "is_route": is_route,
    }


def _basis(
    looked: pd.DataFrame,
    kinds: pd.DataFrame,
    *,
    override: np.ndarray,
    is_route: np.ndarray,
    in_place: np.ndarray,
) -> np.ndarray:
    """Where each counterfactual comes from, in words (built once per distinct combination)."""
    parts = pd.DataFrame(
        {
            "route": looked["route"].astype("object"),
            "country": looked["table_country"].astype("object"),
            "matched": looked["matched"].astype("object"),
            "source": looked["source"].astype("object"),
            "year": looked["source_year"].astype("object"),
            "kind": kinds["kind"].astype("object"),
            "override": pd.Series(override, dtype="object"),
            "refused": looked["override_refused"].astype(bool),
            "is_route": is_route,
            "in_place": in_place,
        }
    )
    key, combos = _distinct(*(parts[c].astype("object") for c in parts.columns))
    texts = []
    for route, country, matched, source, year, kind, given, refused, receiver, place in combos:
        if matched:
            text = f"{route or 'no allowed route'} ({country or 'EU'} table, {matched}; "
            text += f"{source or 'no source'}"
            text += f", {year})" if year not in (None, "", "nan", 0, "0") else ")"
        else:
            text = f"{route or 'no allowed route'} (what a {kind} supply becomes)"
        if kind and kind != "waste":
            text += f"; supply is {kind}"
        if given and not refused:
            text += "; set by the flow's counterfactual column"
        if refused:
            text += f"; the flow's {given!r} refused (banned or not priced here)"
        if place and kind == "by-product":
            text += "; in place: valued against the waste it would be without its outlet"
        if receiver:
            text += "; the receiver is that treatment itself: nothing avoided"
        texts.append(text)
    out: np.ndarray = np.array(texts, dtype=object)[key]
    return out


def _rates(
    frame: pd.DataFrame,
    params: ParameterSet,
    lib: pd.DataFrame,
    subs: Sequence[Substitute],
) -> dict[str, np.ndarray]:
    """Per-candidate freight rates and virgin-input values, looked up once per distinct key."""
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
    lib_virgin = _library_virgin(frame, lib)
    # What is avoided at the receiver is its own (demanded) resource: steam serving a heat
    # demand replaces heat.
    served = frame["demand_resource"] if "demand_resource" in frame else frame["resource"]
    row_key, combos = _distinct(served, frame["unit"])
    table = np.zeros((len(combos), 2))
    has_substitute = np.zeros(len(combos), dtype=bool)
    for k, (d, u) in enumerate(combos):
        sub = substitute_for(str(d), str(u), subs)
        has_substitute[k] = sub is not None
        if sub is not None:
            table[k] = (params[sub.price_key] * sub.factor, params[sub.ef_key] * sub.factor)
    looked_up = table[row_key]
    # The versioned parameter set decides where it has a substitute; library factors fill gaps.
    virgin_ef = np.where(
        has_substitute[row_key] | ~np.isfinite(lib_virgin), looked_up[:, 1], lib_virgin
    )
    return {
        "cost_per_tkm": mode_rates[:, 0],
        "ef_per_tkm": mode_rates[:, 1],
        "handling_per_t": mode_rates[:, 2],
        "price": looked_up[:, 0],
        "virgin_ef": virgin_ef,
    }


def _library_virgin(frame: pd.DataFrame, lib: pd.DataFrame) -> np.ndarray:
    """Per candidate: the library's virgin-input emission factor in the candidate's unit (its
    own row where inferred, else the most confident row for its resource), NaN where none."""
    unit_of = {"t/yr": "t", "MWh/yr": "MWh", "m3/yr": "m3"}
    ranked = lib.assign(_c=lib["confidence"].map({"high": 0, "medium": 1, "low": 2}))
    by_id = lib.set_index("synergy_id")
    by_resource = ranked.sort_values("_c").drop_duplicates("resource").set_index("resource")
    row_key, combos = _distinct(frame["synergy_id"], frame["resource"], frame["unit"])
    values = np.full(len(combos), np.nan)
    for k, (sid, res, unit) in enumerate(combos):
        row = None
        if sid is not None and sid in by_id.index:
            row = by_id.loc[sid]
        elif res in by_resource.index:
            row = by_resource.loc[res]
        if row is not None and row["virgin_ef_unit"] == unit_of.get(str(unit), ""):
            values[k] = float(row["virgin_ef_kgco2e_per_unit"])
    out: np.ndarray = values[row_key]
    return out


def _kinds(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Quantity, unit, mode, family, resource, temperatures and pipe model of every candidate
    as arrays, read once (the pipe model looked up once per distinct resource)."""
    key, combos = _distinct(frame["resource"], frame["family"])
    pipe_kind = np.array([_pipe_kind(str(r), str(f)) or "" for r, f in combos], dtype=object)
    return {
        "qty": frame["quantity"].to_numpy(dtype="float64"),
        "unit": _objects(frame["unit"]),
        "mode": _objects(frame["mode"]),
        "family": _objects(frame["family"]),
        "resource": _objects(frame["resource"]),
        "pipe_kind": pipe_kind[key],
        "supply_c": frame["supply_temperature_c"].to_numpy(dtype="float64")
        if "supply_temperature_c" in frame
        else np.full(len(frame), np.nan),
        "demand_c": frame["demand_temperature_c"].to_numpy(dtype="float64")
        if "demand_temperature_c" in frame
        else np.full(len(frame), np.nan),
    }


def _pipe_kind(resource: str, family: str) -> str | None:
    """The pipe model of a resource sent by pipeline (liquid wastes and sludges as water),
    None where SymbioMap has none (an electricity line)."""
    if resource in pipes.CARRIER_KINDS:
        return pipes.CARRIER_KINDS[resource]
    if family in {"water", "sludge", "chemicals"} or resources.is_ewc(resource):
        return "water"
    return None


def _hot_water_temperatures(
    supply_c: np.ndarray, pipe_params: PipeParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Flow and return temperatures of a hot-water line from the source's temperature.

    The flow is the supply's temperature (THERMOS' default where none is declared); the return
    is THERMOS' default, but at most 30 K below the flow (a warm source cooled as far as a
    district network returns) and at least a few kelvin above the ground: a SymbioMap
    estimate of how such links are run, which sizes the pipe.
    """
    ground = pipe_params["thermos.ground_temperature_c"]
    flow = np.where(np.isfinite(supply_c), supply_c, pipe_params["thermos.flow_temperature_c"])
    flow = np.maximum(flow, ground + 10.0)
    back = np.minimum(pipe_params["thermos.return_temperature_c"], flow - 30.0)
    back = np.minimum(np.maximum(back, ground + 2.0), flow - 5.0)
    return flow, back


def _pipes(
    kinds: dict[str, np.ndarray],
    distance_km: np.ndarray,
    params: ParameterSet,
    pipe_params: PipeParameters,
) -> dict[str, np.ndarray]:
    """Sized pipes for the pipeline candidates at the given distances: annual cost (annuity of
    pipe and heat exchangers, O&M, pumping electricity), pumping CO2e, heat lost, investment."""
    n = len(distance_km)
    out = {
        "annual_cost": np.zeros(n),
        "pumping_co2e_t": np.zeros(n),
        "delivered_share": np.ones(n),
        "investment": np.full(n, np.nan),
        "diameter": np.full(n, np.nan),
        "loss_fraction": np.full(n, np.nan),
        "levelised": np.full(n, np.nan),
        "capital_cost": np.zeros(n),
    }
    mode, qty = kinds["mode"], kinds["qty"]
    on_pipe = (mode == "pipeline") & np.isfinite(qty) & (qty > 0)
    kind_of = kinds["pipe_kind"]
    for kind in ("heat", "steam", "water", "gas"):
        for unit in np.unique(kinds["unit"][on_pipe & (kind_of == kind)]):
            rows = np.flatnonzero(on_pipe & (kind_of == kind) & (kinds["unit"] == unit))
            gas_mwh_per_t = None
            if kind == "gas" and unit == "MWh/yr":
                gas_mwh_per_t = np.array(
                    [GAS_MWH_PER_T.get(str(r), 13.33) for r in kinds["resource"][rows]]
                )
            supply_c = return_c = None
            if kind == "heat":
                supply_c, return_c = _hot_water_temperatures(kinds["supply_c"][rows], pipe_params)
            elif kind == "steam":
                # losses at the declared (superheated) temperature, saturation where none
                declared = kinds["supply_c"][rows]
                supply_c = np.where(
                    np.isfinite(declared), declared, pipe_params["steam.saturation_temperature_c"]
                )
            found = pipes.pipe_economics(
                qty[rows],
                str(unit),
                distance_km[rows] * 1000.0,
                kind=kind,
                params=pipe_params,
                electricity_price_eur_per_mwh=params["price.electricity"],
                grid_ef_kg_co2e_per_mwh=params["ef.grid_electricity.eu"],
                supply_c=supply_c,
                return_c=return_c,
                gas_mwh_per_t=gas_mwh_per_t,
            )
            supplied = found["supplied_per_yr"]
            out["annual_cost"][rows] = found["annual_cost_eur_per_yr"]
            out["capital_cost"][rows] = found["annual_capex_eur_per_yr"] + found["om_eur_per_yr"]
            out["pumping_co2e_t"][rows] = found["pumping_co2e_t_per_yr"]
            out["delivered_share"][rows] = np.where(
                supplied > 0, found["delivered_per_yr"] / np.where(supplied > 0, supplied, 1), 0
            )
            out["investment"][rows] = found["capex_eur"]
            out["diameter"][rows] = found["diameter_m"]
            out["loss_fraction"][rows] = found["loss_fraction"]
            out["levelised"][rows] = found["levelised_cost_eur_per_unit"]
    return out


def _components(
    kinds: dict[str, np.ndarray],
    rates: dict[str, np.ndarray],
    avoided: dict[str, np.ndarray],
    distance_km: np.ndarray,
    *,
    params: ParameterSet,
    pipe_params: PipeParameters,
) -> dict[str, np.ndarray]:
    """Every money and CO2 component at the given distances (vectorised), as arrays."""
    qty, unit, mode = kinds["qty"], kinds["unit"], kinds["mode"]
    mass_t = np.where(
        unit == "t/yr", qty, np.where(unit == "m3/yr", qty * WATER_DENSITY_T_PER_M3, np.nan)
    )
    freight = np.isin(mode, FREIGHT_MODES)
    tkm = np.where(freight, mass_t * distance_km, 0.0)
    piped = _pipes(kinds, distance_km, params, pipe_params)
    transport_cost = (
        np.nan_to_num(tkm * rates["cost_per_tkm"])
        + np.where(freight, np.nan_to_num(mass_t) * rates["handling_per_t"], 0.0)
        + piped["annual_cost"]
    )
    transport_co2 = np.nan_to_num(tkm * rates["ef_per_tkm"]) / 1000.0 + piped["pumping_co2e_t"]
    delivered = qty * piped["delivered_share"]
    # An already-sold by-product replaces nobody's virgin input anew: only a better price
    # than today's would count, and that price is not known. A receiver that is the
    # counterfactual route itself (digestate to the fields it would be spread on) is what
    # would happen anyway: crediting its fertiliser value would count it twice.
    new_use = np.where(avoided["sold"] | avoided["is_route"], 0.0, 1.0)
    avoided_purchase = np.nan_to_num(delivered * rates["price"]) * new_use
    avoided_virgin = np.nan_to_num(delivered * rates["virgin_ef"]) / 1000.0 * new_use
    # The supply leaves the supplier whatever the distance: its treatment is avoided in full.
    avoided_disposal = np.nan_to_num(qty * avoided["disposal_cost"])
    avoided_disposal_co2 = np.nan_to_num(qty * avoided["disposal_ef"]) / 1000.0
    production_cost = qty * avoided["production_cost"]
    production_co2 = qty * avoided["production_ef"] / 1000.0
    net_co2 = avoided_virgin + avoided_disposal_co2 - transport_co2 - production_co2
    excl = avoided_disposal + avoided_purchase - transport_cost - production_cost
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
        "production_cost_eur": production_cost,
        "production_co2e_t": production_co2,
        "pipe_investment_eur": piped["investment"],
        "pipe_diameter_m": piped["diameter"],
        "heat_loss_fraction": piped["loss_fraction"],
        "pipe_levelised_cost_eur_per_unit": piped["levelised"],
        "net_co2e_t": net_co2,
        "carbon_value_eur": carbon,
        "net_benefit_excl_carbon_eur": excl,
        "net_benefit_eur": excl + carbon,
        "_capital_cost": piped["capital_cost"],
    }


def _limits(
    at_zero: dict[str, np.ndarray], at_one: dict[str, np.ndarray], qty: np.ndarray
) -> np.ndarray:
    """What limits each candidate (:data:`LIMITS`): nothing pays even next door, or what grows
    fastest with distance (the pipe's investment, its heat losses, freight)."""
    benefit0 = at_zero["net_benefit_eur"]
    production = at_zero["production_cost_eur"]
    value0 = benefit0 + np.nan_to_num(production)
    investment = at_one["_capital_cost"] - at_zero["_capital_cost"]
    freight = (at_one["transport_cost_eur"] - at_zero["transport_cost_eur"]) - investment
    losses = (at_zero["net_benefit_eur"] - at_one["net_benefit_eur"]) - (
        at_one["transport_cost_eur"] - at_zero["transport_cost_eur"]
    )
    by_distance = np.select(
        [(investment >= losses) & (investment >= freight), losses >= freight],
        ["investment", "losses"],
        "distance",
    ).astype(object)
    out = np.where(
        benefit0 <= 0,
        np.where((np.nan_to_num(production) > 0) & (value0 > 0), "production cost", "price gap"),
        by_distance,
    ).astype(object)
    return np.where(np.isnan(qty) | np.isnan(benefit0), "", out).astype(object)


def result_version(
    params: ParameterSet, pipe_params: PipeParameters, counterfactuals: CounterfactualTable
) -> str:
    """The versions of the reference sets behind every figure, as results record them."""
    return f"{params.version}; {pipe_params.version}; {counterfactuals.version}"


def score(
    candidates: pd.DataFrame,
    params: ParameterSet,
    lib: pd.DataFrame,
    *,
    substitutes: Sequence[Substitute] | None = None,
    counterfactuals: CounterfactualTable | None = None,
    pipe_parameters: PipeParameters | None = None,
    explain: bool = True,
) -> pd.DataFrame:
    """Add :data:`SCORE_COLUMNS` to candidates from :func:`flows.matching.match`, ranked
    (``explanation`` only with ``explain=True``).

    Net benefit (EUR/yr) = avoided treatment of the supply (its counterfactual) + avoided
    virgin purchase at the receiver - transport (freight per tonne-km plus handling, or a
    sized pipe: annuity of pipe and heat exchangers, O&M, pumping electricity; heat lost on
    the way is not delivered) - production cost of a produced supply + carbon price x net
    CO2e. Net CO2e (t/yr) = avoided virgin production + avoided treatment - transport
    (freight or pumping) - production. The break-even distance is where the net benefit
    reaches zero (each component is linear in distance for a given mode and pipe size);
    it is infinite when distance costs nothing. Candidates without a quantity (inferred on
    both sides) get NaN money figures and rank last.

    Parameters
    ----------
    candidates
        From :func:`flows.matching.match`.
    params
        Prices, freight rates and emission factors.
    lib
        The synergy library (virgin-input factors where the substitution table has none).
    substitutes, counterfactuals, pipe_parameters
        Substitution table, counterfactual tables and pipe parameters (default: bundled).
    explain
        Build the ``explanation`` column.
    """
    if len(candidates) == 0:
        empty = {c: pd.Series(dtype="float64") for c in SCORE_COLUMNS}
        return candidates.assign(**empty)
    bundled = reference_data.default()
    table = bundled.substitutes if substitutes is None else substitutes
    cf_table = bundled.counterfactuals if counterfactuals is None else counterfactuals
    pipe_params = bundled.pipes if pipe_parameters is None else pipe_parameters
    km = candidates["distance_m"].to_numpy(dtype="float64") / 1000.0
    rates = _rates(candidates, params, lib, table)
    avoided = _counterfactuals(candidates, cf_table, params, subs=table)
    kinds = _kinds(candidates)
    figures, at_zero, at_one = (
        _components(kinds, rates, avoided, at_km, params=params, pipe_params=pipe_params)
        for at_km in (km, np.zeros_like(km), np.ones_like(km))
    )
    slope = at_zero["net_benefit_eur"] - at_one["net_benefit_eur"]  # EUR/yr lost per km
    with np.errstate(divide="ignore", invalid="ignore"):
        break_even = np.where(slope > 0, at_zero["net_benefit_eur"] / slope, np.inf)
    break_even = np.where(at_zero["net_benefit_eur"] <= 0, 0.0, break_even)
    limited_by = _limits(at_zero, at_one, kinds["qty"])
    del figures["_capital_cost"]
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
    for name, values in (
        ("limited_by", limited_by),
        ("counterfactual_route", avoided["route"]),
        ("counterfactual_basis", avoided["basis"]),
    ):
        scores[name] = pd.Categorical(values[order])
    version = result_version(params, pipe_params, cf_table)
    scores["parameter_set"] = pd.Series(version, index=scores.index, dtype=TEXT_DTYPE)
    scores["rank"] = np.arange(1, len(order) + 1, dtype="int64")
    out = pd.concat([ranked, scores], axis=1)
    if explain:
        out["explanation"] = explanations(out)
    return out[[*candidates.columns, *(c for c in SCORE_COLUMNS if c in out)]]


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
    if "counterfactual_route" in out:
        route = frames.arrow_text(out["counterfactual_route"])
        fate = pc.case_when(
            pc.make_struct(
                pc.equal(route, ""),
                pc.equal(route, "none"),
                pc.equal(route, "sold-as-product"),
            ),
            "no allowed route is known",
            "it would be released or left unused",
            "it is sold as a product",
            join("it goes to ", route),
        )
        text = join(text, " Without the exchange ", fate, ".")
    if "limited_by" in out:
        limit_by = frames.arrow_text(out["limited_by"])
        text = pc.if_else(pc.equal(limit_by, ""), text, join(text, " Limited by: ", limit_by, "."))
    return pd.Series(pd.arrays.ArrowStringArray(text, dtype=TEXT_DTYPE), index=out.index)


TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
"""The dtype of text columns built here (pandas' default ``str``)."""
