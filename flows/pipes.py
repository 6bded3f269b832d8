"""Pipes, physically: size, investment, heat loss, pumping and levelised cost of a pipeline.

Every function is vectorised over arrays of candidate pipes (numpy broadcasting) and takes its
parameters as a value, a :class:`PipeParameters` read from
``datasets/reference/pipe_costs.csv`` by :func:`load_pipe_parameters`; nothing is global.

Two published cost models are implemented side by side:

- **Hotmaps** (excess heat transport module, Fraunhofer ISI / TU Wien): a table of cost per
  metre of one pipe by transmitted thermal capacity class; a route is a flow and a return
  pipe, so it costs twice the table value per metre of route (:func:`investment_hotmaps`).
- **THERMOS** (Centre for Sustainable Energy): cost per metre of trench as a function of the
  inner diameter, ``a + (b * d) ** k`` for the pipe ("mechanical") plus the same form for the
  civil works of a soft or hard surface (:func:`investment_thermos`); defaults in GBP.

Pipes are of four kinds (:data:`KINDS`): ``heat`` (hot water, flow and return), ``steam`` (one
saturated-steam pipe, condensate not returned), ``water`` (one pipe) and ``gas`` (one pipe;
order of magnitude only). Quantities are annual and canonical (``MWh/yr``, ``m3/yr``, ``t/yr``);
a *peak* is that quantity per hour at full load (MW, m3/h, t/h).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from datasets import reference_path
from flows._errors import SymbioMapError

KINDS = ("heat", "steam", "water", "gas")
"""Kinds of pipe this module models."""

CARRIER_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "heat": "heat",
        "steam": "steam",
        "process-water": "water",
        "cooling-water": "water",
        "surface-water": "water",
        "treated-wastewater": "water",
        "wastewater": "water",
        "co2": "gas",
        "hydrogen": "gas",
        "fuel-gas": "gas",
        "biogas": "gas",
        "natural-gas": "gas",
    }
)
"""The kind of pipe that carries each carrier of ``datasets/reference/carriers.csv``."""

CANONICAL_UNITS = ("MWh/yr", "m3/yr", "t/yr")
CIVIL_CLASSES = ("soft", "hard")
HOURS_PER_YEAR = 8766.0
"""A Julian year, the project's year (README: ``MW`` is a continuous load of 8,766 h/yr)."""
GRAVITY_M_PER_S2 = 9.80665
_LAMINAR_REYNOLDS = 2300.0
_KJ_PER_MWH = 3.6e6

FloatArray = NDArray[np.float64]


class PipeParameterError(SymbioMapError, ValueError):
    """The pipe parameter file is malformed, or a parameter is missing or overridden wrongly."""


class PipeInputError(SymbioMapError, ValueError):
    """A pipe was asked for with an unknown kind, unit or civil class, or impossible numbers."""


@dataclass(frozen=True)
class PipeParameters:
    """The pipe parameter set: values by key, with their units and sources.

    Attributes
    ----------
    version
        Name and version of the set (``+user`` once anything is overridden).
    values
        key -> value (read-only mapping).
    units, sources
        key -> unit, key -> "source, version, location" (read-only mappings).
    overridden
        Keys changed by :meth:`with_overrides`.
    """

    version: str
    values: Mapping[str, float]
    units: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    overridden: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> float:
        try:
            return self.values[key]
        except KeyError:
            prefix = key.split(".", 1)[0]
            near = sorted(k for k in self.values if k.startswith(prefix))[:8]
            msg = f"no pipe parameter {key!r}" + (f"; related: {', '.join(near)}" if near else "")
            raise PipeParameterError(msg) from None

    def table(self, prefix: str) -> FloatArray:
        """The numbered rows ``prefix.01``, ``prefix.02``... as a read-only array, in order."""
        keys = sorted(k for k in self.values if k.startswith(prefix + "."))
        if not keys:
            msg = f"no pipe parameter table {prefix!r}"
            raise PipeParameterError(msg)
        out = np.array([self.values[k] for k in keys], dtype=np.float64)
        out.flags.writeable = False
        return out

    def with_overrides(self, overrides: Mapping[str, float]) -> PipeParameters:
        """A copy with some values replaced (each key must exist), marked ``+user``."""
        values = dict(self.values)
        for key, value in overrides.items():
            self[key]  # raises with the related keys when the key is unknown
            values[key] = float(value)
        suffix = "+user" if overrides and not self.version.endswith("+user") else ""
        return PipeParameters(
            self.version + suffix,
            MappingProxyType(values),
            self.units,
            self.sources,
            tuple(dict.fromkeys((*self.overridden, *overrides))),
        )


def load_pipe_parameters(path: str | os.PathLike[str] | None = None) -> PipeParameters:
    """Read a pipe parameter file (default: ``datasets/reference/pipe_costs.csv``).

    Parameters
    ----------
    path
        A CSV with the header ``key,value,unit,model,source,source_version,location,note``.

    Returns
    -------
    PipeParameters
        Immutable; pass it to the functions of this module.

    Raises
    ------
    PipeParameterError
        If a value is not a finite number, a unit or source is missing, or a key repeats.
    """
    file = Path(path) if path is not None else reference_path("pipe_costs.csv")
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    sources: dict[str, str] = {}
    version = "symbiomap-pipes (unversioned)"
    with file.open(encoding="utf-8", newline="") as handle:
        for pos, row in enumerate(csv.DictReader(handle), start=2):
            key = (row.get("key") or "").strip()
            raw = (row.get("value") or "").strip()
            if key == "set.version":
                version = raw
                continue
            try:
                number = float(raw)
            except ValueError:
                number = float("nan")
            if not np.isfinite(number):
                msg = f"{file.name}: row {pos}: value {raw!r} of {key!r} is not a finite number"
                raise PipeParameterError(msg)
            unit, source = (row.get("unit") or "").strip(), (row.get("source") or "").strip()
            if not key or not unit or not source:
                msg = f"{file.name}: row {pos}: {key or '(no key)'} needs a key, unit and source"
                raise PipeParameterError(msg)
            if key in values:
                msg = f"{file.name}: row {pos}: {key} appears twice"
                raise PipeParameterError(msg)
            values[key] = number
            units[key] = unit
            where = ", ".join(
                part
                for part in (source, row.get("source_version", ""), row.get("location", ""))
                if part and part.strip()
            )
            sources[key] = where
    return PipeParameters(
        version, MappingProxyType(values), MappingProxyType(units), MappingProxyType(sources)
    )


def _array(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def pipe_kind(carrier: str) -> str:
    """The kind of pipe (:data:`KINDS`) for a kind or a carrier name (``process-water``...).

    Raises
    ------
    PipeInputError
        For anything no pipe of this module carries (electricity, EWC wastes).
    """
    if carrier in KINDS:
        return carrier
    try:
        return CARRIER_KINDS[carrier]
    except KeyError:
        msg = (
            f"no pipe model for {carrier!r}; kinds: {', '.join(KINDS)}; "
            f"carriers: {', '.join(CARRIER_KINDS)}"
        )
        raise PipeInputError(msg) from None


def default_full_load_hours(kind: str, *, params: PipeParameters) -> float:
    """Default full-load hours per year of a kind of pipe (``<kind>.full_load_hours``)."""
    return params[f"{pipe_kind(kind)}.full_load_hours"]


# --- sizing -------------------------------------------------------------------------------


def peak_capacity(quantity: ArrayLike, unit: str, *, full_load_hours: ArrayLike) -> FloatArray:
    """Peak rate that delivers an annual quantity in the given full-load hours.

    Parameters
    ----------
    quantity
        Annual quantity in a canonical unit.
    unit
        ``MWh/yr`` (peak in MW), ``m3/yr`` (peak in m3/h) or ``t/yr`` (peak in t/h).
    full_load_hours
        Hours per year at peak, in (0, 8766].

    Returns
    -------
    numpy.ndarray
        The peak: MW, m3/h or t/h.
    """
    if unit not in CANONICAL_UNITS:
        msg = f"unit {unit!r} is not canonical; use one of {', '.join(CANONICAL_UNITS)}"
        raise PipeInputError(msg)
    hours = _array(full_load_hours)
    if np.any(~(hours > 0) | (hours > HOURS_PER_YEAR)):
        msg = f"full-load hours must be in (0, {HOURS_PER_YEAR:g}] h/yr"
        raise PipeInputError(msg)
    return _array(quantity) / hours


def steam_mwh_per_t(*, params: PipeParameters) -> float:
    """Heat released per tonne of saturated steam condensed, MWh/t (latent heat only)."""
    return params["steam.latent_heat_kj_per_kg"] * 1000.0 / _KJ_PER_MWH


def _thermos_velocity_m_per_s(diameter_m: FloatArray, params: PipeParameters) -> FloatArray:
    a, b = params["thermos.velocity_a_m_per_s"], params["thermos.velocity_b_m_per_s"]
    return a + b * diameter_m ** params["thermos.velocity_exponent"]


def _area_m2(diameter_m: FloatArray) -> FloatArray:
    return np.pi * diameter_m**2 / 4.0


def volume_flow_m3_per_s(
    peak: ArrayLike,
    *,
    kind: str,
    params: PipeParameters,
    supply_c: ArrayLike | None = None,
    return_c: ArrayLike | None = None,
) -> FloatArray:
    """Volume flow at peak in one pipe, m3/s.

    Parameters
    ----------
    peak
        heat and steam: MW; water: m3/h; gas: t/h.
    kind
        A kind (:data:`KINDS`) or carrier name.
    supply_c, return_c
        Hot water flow and return temperatures (default THERMOS' 90 and 60 C); the heat carried
        per kg is ``cp * (supply - return)``.
    """
    kind = pipe_kind(kind)
    peak_arr = _array(peak)
    if kind == "heat":
        delta_k = _delta_t_k(supply_c, return_c, params)
        mass_kg_per_s = peak_arr * 1000.0 / (params["water.heat_capacity_kj_per_kg_k"] * delta_k)
        return mass_kg_per_s / params["water.density_kg_per_m3"]
    if kind == "steam":
        mass_kg_per_s = peak_arr * 1000.0 / params["steam.latent_heat_kj_per_kg"]
        return mass_kg_per_s * params["steam.specific_volume_m3_per_kg"]
    if kind == "water":
        return peak_arr / 3600.0
    return peak_arr * 1000.0 / 3600.0 / params["gas.density_kg_per_m3"]


def _delta_t_k(
    supply_c: ArrayLike | None, return_c: ArrayLike | None, params: PipeParameters
) -> FloatArray:
    supply = _array(params["thermos.flow_temperature_c"] if supply_c is None else supply_c)
    back = _array(params["thermos.return_temperature_c"] if return_c is None else return_c)
    delta = supply - back
    if np.any(~(delta > 0)):
        msg = "the flow temperature of a hot-water line must exceed its return temperature"
        raise PipeInputError(msg)
    return delta


def diameter_for(
    peak: ArrayLike,
    *,
    kind: str,
    params: PipeParameters,
    supply_c: ArrayLike | None = None,
    return_c: ArrayLike | None = None,
    max_velocity_m_per_s: ArrayLike | None = None,
) -> FloatArray:
    """Inner diameter that carries a peak, m.

    Hot water follows THERMOS' design velocity curve ``v = -0.4834 + 4.7617 d^0.3701``
    (solved for d) unless ``max_velocity_m_per_s`` is given; steam flows at THERMOS' 20 m/s,
    water and gas at their ``<kind>.max_velocity_m_per_s``, each overridable.

    Parameters
    ----------
    peak
        heat and steam: MW; water: m3/h; gas: t/h (see :func:`peak_capacity`).
    kind
        A kind (:data:`KINDS`) or carrier name.
    supply_c, return_c
        Hot-water flow and return temperatures, C.
    max_velocity_m_per_s
        A fixed velocity instead of the defaults.
    """
    kind = pipe_kind(kind)
    flow_m3_per_s = volume_flow_m3_per_s(
        peak, kind=kind, params=params, supply_c=supply_c, return_c=return_c
    )
    if np.any(flow_m3_per_s < 0):
        msg = "a peak cannot be negative"
        raise PipeInputError(msg)
    if max_velocity_m_per_s is None and kind == "heat":
        return _solve_thermos_diameter(flow_m3_per_s, params)
    if max_velocity_m_per_s is not None:
        velocity = _array(max_velocity_m_per_s)
    elif kind == "steam":
        velocity = _array(params["thermos.steam_velocity_m_per_s"])
    else:
        velocity = _array(params[f"{kind}.max_velocity_m_per_s"])
    return np.sqrt(4.0 * flow_m3_per_s / (np.pi * velocity))


def _solve_thermos_diameter(flow_m3_per_s: FloatArray, params: PipeParameters) -> FloatArray:
    """Diameter whose THERMOS design velocity carries the flow, for all pipes at once.

    A(d) v(d) rises monotonically wherever v > 0 (d above ~2 mm): interpolating a log-spaced
    table of it (5 mm to 5 m) gives a start within 0.1 %, and three Newton steps on
    ``A v - Q`` bring it to machine precision (60 bisection halvings cost 8x more).
    """
    a, b = params["thermos.velocity_a_m_per_s"], params["thermos.velocity_b_m_per_s"]
    k = params["thermos.velocity_exponent"]
    grid = np.geomspace(0.005, 5.0, 2048)
    carried = _area_m2(grid) * (a + b * grid**k)
    positive = flow_m3_per_s > 0
    log_flow = np.log(np.where(positive, flow_m3_per_s, 1.0))
    diameter = np.exp(np.interp(log_flow, np.log(carried), np.log(grid)))
    for _ in range(3):
        value = np.pi / 4 * diameter**2 * (a + b * diameter**k) - flow_m3_per_s
        slope = np.pi / 4 * (2 * diameter * (a + b * diameter**k) + b * k * diameter ** (k + 1))
        diameter = diameter - value / slope
    return np.where(positive, diameter, 0.0)


# --- investment ---------------------------------------------------------------------------


def hotmaps_cost_eur_per_m(capacity_mw: ArrayLike, *, params: PipeParameters) -> FloatArray:
    """Hotmaps cost per metre of ONE pipe for a peak thermal capacity, EUR/m.

    The first class whose capacity reaches the peak (Hotmaps ``CM1.cost_of_connection``);
    above the largest class (190 MW), parallel lines: ``ceil(P / 190)`` times its cost, as
    Hotmaps' ``parameters.py`` lists up to 10 x 190 MW.
    """
    capacity = _array(capacity_mw)
    classes = params.table("hotmaps.capacity_mw")
    costs = params.table("hotmaps.cost_eur_per_m")
    index = np.searchsorted(classes, capacity, side="left")
    within = np.minimum(index, len(classes) - 1)
    parallel = np.maximum(np.ceil(capacity / classes[-1]), 1.0)
    return np.where(index < len(classes), costs[within], parallel * costs[-1])


def investment_hotmaps(
    capacity_mw: ArrayLike, length_m: ArrayLike, *, params: PipeParameters
) -> FloatArray:
    """Investment in a hot-water route by the Hotmaps capacity table, EUR.

    Flow and return are two pipes: ``2 * length * cost per metre`` (Hotmaps
    ``dh_network.py``: ``transmission_line.length = 2 * distance``).
    """
    return 2.0 * _array(length_m) * hotmaps_cost_eur_per_m(capacity_mw, params=params)


def thermos_cost_per_m(
    diameter_m: ArrayLike,
    *,
    civil_class: str | ArrayLike,
    params: PipeParameters,
    civil_exponent: float | None = None,
    mechanical_share: ArrayLike = 1.0,
) -> FloatArray:
    """THERMOS cost per metre of trench, in THERMOS' currency (GBP for the defaults).

    ``mech_fixed + (mech_variable * d) ** mech_exponent`` plus
    ``civil_fixed + (civil_variable * d) ** civil_exponent`` of the civil class.

    Parameters
    ----------
    diameter_m
        Inner diameter, m.
    civil_class
        ``soft`` or ``hard`` (one for all, or one per pipe).
    civil_exponent
        Default ``thermos.civil_exponent`` (1.3, the table THERMOS ships); its 2020 parameters
        and worked example used 1.1.
    mechanical_share
        Share of the mechanical cost (1 for an insulated pair; see ``gas.mechanical_share``).
    """
    diameter = _array(diameter_m)
    civil = np.asarray(civil_class)
    unknown = set(np.unique(civil).tolist()) - set(CIVIL_CLASSES)
    if unknown:
        msg = f"unknown civil class {sorted(unknown)}; use {' or '.join(CIVIL_CLASSES)}"
        raise PipeInputError(msg)
    exponent = params["thermos.civil_exponent"] if civil_exponent is None else civil_exponent
    mechanical = (
        params["thermos.mech_fixed_per_m"]
        + (params["thermos.mech_variable_per_m"] * diameter) ** params["thermos.mech_exponent"]
    )
    hard = civil == "hard"
    fixed = np.where(
        hard, params["thermos.civil_hard_fixed_per_m"], params["thermos.civil_soft_fixed_per_m"]
    )
    variable = np.where(
        hard,
        params["thermos.civil_hard_variable_per_m"],
        params["thermos.civil_soft_variable_per_m"],
    )
    return _array(mechanical_share) * mechanical + fixed + (variable * diameter) ** exponent


def investment_thermos(
    diameter_m: ArrayLike,
    length_m: ArrayLike,
    *,
    civil_class: str | ArrayLike = "soft",
    kind: str = "heat",
    params: PipeParameters,
) -> FloatArray:
    """Investment in a route by the THERMOS diameter formula, EUR (from GBP at ``fx.eur_per_gbp``).

    Heat: an insulated flow and return pair per metre of trench; steam: THERMOS costs the
    flow pipe only, with the same formula; water and gas: one uninsulated pipe, the mechanical
    part scaled by ``gas.mechanical_share`` (a SymbioMap estimate).
    """
    kind = pipe_kind(kind)
    share = params["gas.mechanical_share"] if kind in {"water", "gas"} else 1.0
    per_m = thermos_cost_per_m(
        diameter_m, civil_class=civil_class, params=params, mechanical_share=share
    )
    return per_m * params["fx.eur_per_gbp"] * _array(length_m)


def heat_exchanger_investment_eur(
    peak_mw: ArrayLike, *, params: PipeParameters, source: str = "air", pump: bool = True
) -> FloatArray:
    """Heat exchangers at source and sink (and the circulation pump), Hotmaps rules, EUR.

    Parameters
    ----------
    peak_mw
        Peak heat, MW.
    source
        ``air``: an air (flue gas) to liquid exchanger at the source, Hotmaps' assumption;
        ``liquid``: a liquid to liquid one, costed like Hotmaps' sink exchanger; ``none``.
    pump
        Add Hotmaps' pump cost (hot-water lines; not steam).

    Notes
    -----
    Hotmaps' sink and pump rates drop at 1 MW (per MW below 1 MW: 265,000 + 240,000 EUR; from
    1 MW: 100,000 + 90,000), so 0.99 MW costs more than 1.0 MW. Kept as published.
    """
    if source not in {"air", "liquid", "none"}:
        msg = f"unknown heat-exchanger source {source!r}; use air, liquid or none"
        raise PipeInputError(msg)
    peak = _array(peak_mw)
    small = peak < 1.0
    liquid_per_mw = np.where(
        small,
        params["hotmaps.hx_sink_eur_per_mw_below_1mw"],
        params["hotmaps.hx_sink_eur_per_mw_from_1mw"],
    )
    total_per_mw = liquid_per_mw.copy()
    if source == "air":
        total_per_mw = total_per_mw + params["hotmaps.hx_source_air_eur_per_mw"]
    elif source == "liquid":
        total_per_mw = total_per_mw + liquid_per_mw
    if pump:
        total_per_mw = total_per_mw + np.where(
            small,
            params["hotmaps.pump_eur_per_mw_below_1mw"],
            params["hotmaps.pump_eur_per_mw_from_1mw"],
        )
    return peak * total_per_mw


# --- heat losses --------------------------------------------------------------------------


def heat_loss_w_per_m(
    diameter_m: ArrayLike,
    *,
    kind: str = "heat",
    params: PipeParameters,
    supply_c: ArrayLike | None = None,
    return_c: ArrayLike | None = None,
    ground_c: ArrayLike | None = None,
) -> FloatArray:
    """Heat lost per metre of route, W/m.

    heat
        THERMOS' fit to the Powerpipe EN 253 series 2 catalogue, per metre of trench (flow
        and return): ``dT * (0.16807 ln d + 0.85684)``, dT = mean(flow, return) - ground.
    steam
        One pipe at the saturation temperature (or ``supply_c``) in an insulation shell:
        ``2 pi k dT / ln(1 + 2 s / d)``, k and the thickness s by diameter from Hotmaps'
        classes. The ground's own resistance is left out, so this is an upper bound.
    water, gas
        Zero (no thermal accounting).
    """
    kind = pipe_kind(kind)
    diameter = _array(diameter_m)
    ground = _array(params["thermos.ground_temperature_c"] if ground_c is None else ground_c)
    if kind == "heat":
        supply = _array(params["thermos.flow_temperature_c"] if supply_c is None else supply_c)
        back = _array(params["thermos.return_temperature_c"] if return_c is None else return_c)
        delta_k = 0.5 * (supply + back) - ground
        per_k = (
            params["thermos.loss_a_w_per_m_k"] * np.log(np.maximum(diameter, 1e-9))
            + params["thermos.loss_b_w_per_m_k"]
        )
        # The fit turns negative below ~6 mm, where no transmission line is built anyway.
        return np.where(diameter > 0, np.maximum(delta_k * per_k, 0.0), 0.0)
    if kind == "steam":
        steam_c = _array(params["steam.saturation_temperature_c"] if supply_c is None else supply_c)
        thickness_mm = np.interp(
            diameter * 1000.0,
            params.table("hotmaps.inner_diameter_mm"),
            params.table("hotmaps.insulation_mm"),
        )
        ratio = 1.0 + 2.0 * thickness_mm / np.maximum(diameter * 1000.0, 1e-9)
        loss = 2.0 * np.pi * params["hotmaps.insulation_w_per_m_k"] * (steam_c - ground)
        return np.where(diameter > 0, np.maximum(loss / np.log(ratio), 0.0), 0.0)
    return np.zeros(np.broadcast(diameter, ground).shape)


def annual_heat_loss_mwh_per_yr(
    loss_w_per_m: ArrayLike,
    length_m: ArrayLike,
    *,
    params: PipeParameters,
    hours_per_yr: ArrayLike | None = None,
) -> FloatArray:
    """Heat lost per year, MWh/yr: W/m x m x hours (default ``pipe.operating_hours_per_yr``)."""
    hours = params["pipe.operating_hours_per_yr"] if hours_per_yr is None else hours_per_yr
    return _array(loss_w_per_m) * _array(length_m) * _array(hours) / 1e6


# --- pumping ------------------------------------------------------------------------------


def friction_factor(reynolds: ArrayLike, relative_roughness: ArrayLike) -> FloatArray:
    """Darcy friction factor: 64/Re when laminar (Re < 2300), else Swamee-Jain (1976).

    ``f = 0.25 / log10(e/(3.7 D) + 5.74 / Re^0.9)^2``.
    """
    re = np.maximum(_array(reynolds), 1e-12)
    rough = _array(relative_roughness)
    turbulent = 0.25 / np.log10(rough / 3.7 + 5.74 / re**0.9) ** 2
    return np.where(re < _LAMINAR_REYNOLDS, 64.0 / re, turbulent)


def pressure_drop_pa_per_m(
    volume_flow_m3_per_s: ArrayLike,
    diameter_m: ArrayLike,
    *,
    density_kg_per_m3: ArrayLike,
    viscosity_pa_s: ArrayLike,
    roughness_m: ArrayLike,
) -> FloatArray:
    """Friction pressure drop per metre of pipe by Darcy-Weisbach, Pa/m.

    ``dp/L = f rho v^2 / (2 D)`` with ``f`` from :func:`friction_factor`.
    """
    flow = _array(volume_flow_m3_per_s)
    diameter = _array(diameter_m)
    safe = np.where(diameter > 0, diameter, 1.0)
    velocity = flow / _area_m2(safe)
    density = _array(density_kg_per_m3)
    reynolds = density * velocity * safe / _array(viscosity_pa_s)
    factor = friction_factor(reynolds, _array(roughness_m) / safe)
    drop = factor * density * velocity**2 / (2.0 * safe)
    return np.where((diameter > 0) & (flow > 0), drop, 0.0)


def pumping_electricity_mwh_per_yr(
    volume_flow_m3_per_s: ArrayLike,
    diameter_m: ArrayLike,
    length_m: ArrayLike,
    *,
    full_load_hours: ArrayLike,
    density_kg_per_m3: ArrayLike,
    viscosity_pa_s: ArrayLike,
    roughness_m: ArrayLike,
    efficiency: ArrayLike,
    pipes: int = 1,
) -> FloatArray:
    """Electricity to push the peak flow through the line for the full-load hours, MWh/yr.

    ``dp/L x L x Q / efficiency x pipes x hours``. ``pipes=2`` for a flow and return pair.
    Running at peak for the full-load hours is what delivers the annual quantity; a part-load
    profile needs less, as pumping power grows with the cube of the flow.
    """
    drop = pressure_drop_pa_per_m(
        volume_flow_m3_per_s,
        diameter_m,
        density_kg_per_m3=density_kg_per_m3,
        viscosity_pa_s=viscosity_pa_s,
        roughness_m=roughness_m,
    )
    power_w = drop * _array(length_m) * _array(volume_flow_m3_per_s) / _array(efficiency)
    return power_w * pipes * _array(full_load_hours) / 1e6


def pumping_co2e_t_per_yr(
    electricity_mwh_per_yr: ArrayLike, *, grid_ef_kg_co2e_per_mwh: ArrayLike
) -> FloatArray:
    """CO2e of the pumping electricity, t/yr, at a grid factor passed in (kg CO2e/MWh)."""
    return _array(electricity_mwh_per_yr) * _array(grid_ef_kg_co2e_per_mwh) / 1000.0


def _fluid(kind: str, params: PipeParameters) -> tuple[float, float]:
    """(density kg/m3, dynamic viscosity Pa s) of what a kind of pipe carries."""
    if kind == "heat":
        return params["water.density_kg_per_m3"], params["water.viscosity_pa_s_70c"]
    if kind == "water":
        return params["water.density_cold_kg_per_m3"], params["water.viscosity_pa_s_15c"]
    return params["gas.density_kg_per_m3"], params["gas.viscosity_pa_s"]


# --- money --------------------------------------------------------------------------------


def annuity_factor(rate: ArrayLike, years: ArrayLike) -> FloatArray:
    """Capital recovery factor ``r / (1 - (1 + r)^-n)``; ``1/n`` at a zero rate."""
    r = _array(rate)
    n = _array(years)
    if np.any(~(n > 0)):
        msg = "an annuity needs a lifetime of more than 0 years"
        raise PipeInputError(msg)
    safe = np.where(r == 0, 1.0, r)
    return np.where(r == 0, 1.0 / n, safe / (1.0 - (1.0 + safe) ** -n))


def om_eur_per_yr(investment_eur: ArrayLike, *, fraction_per_yr: ArrayLike) -> FloatArray:
    """Operation and maintenance per year as a share of the investment, EUR/yr."""
    return _array(investment_eur) * _array(fraction_per_yr)


def levelised_cost(
    investment_eur: ArrayLike,
    *,
    annual_cost_eur_per_yr: ArrayLike,
    delivered_per_yr: ArrayLike,
    discount_rate: ArrayLike,
    lifetime_yr: ArrayLike,
) -> FloatArray:
    """Levelised cost per unit delivered: (investment x annuity + annual costs) / delivered.

    EUR/MWh when delivered is in MWh/yr (heat, steam), EUR/m3 for water, EUR/t for gases;
    infinite where nothing arrives.
    """
    annual = _array(investment_eur) * annuity_factor(discount_rate, lifetime_yr) + _array(
        annual_cost_eur_per_yr
    )
    delivered = _array(delivered_per_yr)
    safe = np.where(delivered > 0, delivered, 1.0)
    return np.where(delivered > 0, annual / safe, np.inf)


def max_economic_distance_m(
    price_gap_eur_per_unit: ArrayLike,
    *,
    supplied_per_yr: ArrayLike,
    fixed_eur_per_yr: ArrayLike,
    eur_per_yr_per_m: ArrayLike,
    loss_per_yr_per_m: ArrayLike,
) -> FloatArray:
    """Longest route whose levelised cost still fits within the price gap, m.

    With the pipe sized by the peak (not by the length), every annual cost is ``F + k L`` and
    the delivered quantity ``Q - l L``, so the levelised cost meets the gap ``g`` at
    ``L = (g Q - F) / (k + g l)``; 0 where even a pipe of no length does not pay.

    Parameters
    ----------
    price_gap_eur_per_unit
        What a delivered unit is worth to the pair (avoided purchase minus what the supplier
        gives up), EUR/MWh for heat.
    supplied_per_yr
        Quantity leaving the source per year.
    fixed_eur_per_yr
        Annual costs that do not depend on length (annualised heat exchangers, their O&M).
    eur_per_yr_per_m
        Annual costs per metre of route (annualised pipe, O&M, pumping).
    loss_per_yr_per_m
        Quantity lost per year per metre of route.
    """
    gap = _array(price_gap_eur_per_unit)
    numerator = gap * _array(supplied_per_yr) - _array(fixed_eur_per_yr)
    denominator = _array(eur_per_yr_per_m) + gap * _array(loss_per_yr_per_m)
    safe = np.where(denominator > 0, denominator, 1.0)
    distance = np.where(denominator > 0, numerator / safe, np.inf)
    return np.where((gap > 0) & (numerator > 0), distance, 0.0)


def temperature_compatible(
    source_c: ArrayLike, sink_c: ArrayLike, *, approach_k: ArrayLike
) -> NDArray[np.bool_]:
    """Whether a heat source can serve a sink: ``source >= sink + approach`` (NaN: False)."""
    return np.asarray(_array(source_c) >= _array(sink_c) + _array(approach_k), dtype=bool)


# --- a batch of pipes ---------------------------------------------------------------------


def pipe_economics(
    quantity: ArrayLike,
    unit: str,
    length_m: ArrayLike,
    *,
    kind: str,
    params: PipeParameters,
    electricity_price_eur_per_mwh: ArrayLike,
    grid_ef_kg_co2e_per_mwh: ArrayLike,
    cost_model: str = "thermos",
    civil_class: str | ArrayLike = "soft",
    full_load_hours: ArrayLike | None = None,
    supply_c: ArrayLike | None = None,
    return_c: ArrayLike | None = None,
    ground_c: ArrayLike | None = None,
    discount_rate: ArrayLike | None = None,
    lifetime_yr: ArrayLike | None = None,
    om_fraction_per_yr: ArrayLike | None = None,
    heat_exchangers: bool = True,
    hx_source: str = "air",
    gas_mwh_per_t: ArrayLike | None = None,
    price_gap_eur_per_unit: ArrayLike | None = None,
) -> dict[str, FloatArray]:
    """Size, cost, losses, pumping and levelised cost of a batch of pipes of one kind.

    Parameters
    ----------
    quantity, unit
        Annual quantity leaving the source, canonical unit. Steam may be ``t/yr`` (converted to
        MWh/yr by the latent heat); gases need ``t/yr`` or ``gas_mwh_per_t`` for ``MWh/yr``.
    length_m
        Route length, m.
    kind
        A kind (:data:`KINDS`) or carrier name; one per call (group candidates by kind).
    params
        From :func:`load_pipe_parameters`.
    electricity_price_eur_per_mwh, grid_ef_kg_co2e_per_mwh
        Price and emission factor of the pumping electricity (from the scoring parameter set).
    cost_model
        ``thermos`` (diameter, civil class) or ``hotmaps`` (capacity table; heat only).
    full_load_hours
        Default ``<kind>.full_load_hours``.
    discount_rate, lifetime_yr, om_fraction_per_yr
        Defaults ``finance.discount_rate``, ``finance.lifetime_yr``, ``hotmaps.om_fraction_per_yr``.
    heat_exchangers, hx_source
        Add Hotmaps' heat exchangers (and pump, for hot water) at source and sink.
    price_gap_eur_per_unit
        When given, also ``max_economic_distance_m``.

    Returns
    -------
    dict of numpy.ndarray
        ``peak_per_h`` (MW, m3/h or t/h), ``diameter_m``, ``velocity_m_per_s``,
        ``capex_pipe_eur``, ``capex_hx_eur``, ``capex_eur``, ``annual_capex_eur_per_yr``,
        ``om_eur_per_yr``, ``pumping_mwh_per_yr``, ``pumping_co2e_t_per_yr``,
        ``pumping_eur_per_yr``, ``heat_loss_w_per_m``, ``heat_loss_mwh_per_yr``,
        ``supplied_per_yr``, ``delivered_per_yr``, ``loss_fraction``,
        ``annual_cost_eur_per_yr`` and ``levelised_cost_eur_per_unit`` (per MWh for heat and
        steam, m3 for water, t for gases or MWh when they are given in MWh/yr), and
        ``max_economic_distance_m`` when asked.
    """
    kind = pipe_kind(kind)
    if cost_model not in {"thermos", "hotmaps"}:
        msg = f"unknown cost model {cost_model!r}; use thermos or hotmaps"
        raise PipeInputError(msg)
    if cost_model == "hotmaps" and kind != "heat":
        msg = "the Hotmaps table costs hot-water lines only; use cost_model='thermos'"
        raise PipeInputError(msg)
    supplied = _supplied(quantity, unit, kind=kind, params=params, gas_mwh_per_t=gas_mwh_per_t)
    length = _array(length_m)
    hours = _array(
        default_full_load_hours(kind, params=params) if full_load_hours is None else full_load_hours
    )
    per_hour_unit = "m3/yr" if kind == "water" else ("t/yr" if kind == "gas" else "MWh/yr")
    peak = peak_capacity(supplied, per_hour_unit, full_load_hours=hours)
    if kind == "gas" and gas_mwh_per_t is not None and unit == "MWh/yr":
        peak = peak / _array(gas_mwh_per_t)  # gases are sized by mass: t/h
    diameter = diameter_for(peak, kind=kind, params=params, supply_c=supply_c, return_c=return_c)
    flow = volume_flow_m3_per_s(
        peak, kind=kind, params=params, supply_c=supply_c, return_c=return_c
    )
    velocity = np.where(diameter > 0, flow / _area_m2(np.where(diameter > 0, diameter, 1.0)), 0.0)

    # Length-proportional and fixed parts are kept apart for the economic distance.
    if cost_model == "hotmaps":
        pipe_per_m = investment_hotmaps(peak, 1.0, params=params)
    else:
        pipe_per_m = investment_thermos(
            diameter, 1.0, civil_class=civil_class, kind=kind, params=params
        )
    thermal = kind in {"heat", "steam"}
    hx = (
        heat_exchanger_investment_eur(
            peak,
            params=params,
            source=hx_source if kind == "heat" else "none",
            pump=kind == "heat",
        )
        if heat_exchangers and thermal
        else np.zeros_like(peak)
    )
    rate = params["finance.discount_rate"] if discount_rate is None else discount_rate
    years = params["finance.lifetime_yr"] if lifetime_yr is None else lifetime_yr
    om_share = (
        params["hotmaps.om_fraction_per_yr"] if om_fraction_per_yr is None else om_fraction_per_yr
    )
    annuity = annuity_factor(rate, years)

    pumping_per_m = np.zeros_like(peak)
    if kind != "steam":  # steam flows on the boiler's pressure; condensate return not costed
        density, viscosity = _fluid(kind, params)
        pumping_per_m = pumping_electricity_mwh_per_yr(
            flow,
            diameter,
            1.0,
            full_load_hours=hours,
            density_kg_per_m3=density,
            viscosity_pa_s=viscosity,
            roughness_m=params["pipe.roughness_m"],
            efficiency=params["pipe.pump_efficiency"],
            pipes=2 if kind == "heat" else 1,
        )
    loss_w_per_m = heat_loss_w_per_m(
        diameter, kind=kind, params=params, supply_c=supply_c, return_c=return_c, ground_c=ground_c
    )
    loss_per_m = annual_heat_loss_mwh_per_yr(loss_w_per_m, 1.0, params=params)
    price = _array(electricity_price_eur_per_mwh)
    per_m = pipe_per_m * (annuity + _array(om_share)) + pumping_per_m * price
    fixed = hx * (annuity + _array(om_share))

    capex_pipe = pipe_per_m * length
    pumping = pumping_per_m * length
    loss = loss_per_m * length
    delivered = np.maximum(supplied - loss, 0.0)
    annual_cost = per_m * length + fixed
    safe_supplied = np.where(supplied > 0, supplied, 1.0)
    out = {
        "peak_per_h": peak,
        "diameter_m": diameter,
        "velocity_m_per_s": velocity,
        "capex_pipe_eur": capex_pipe,
        "capex_hx_eur": hx,
        "capex_eur": capex_pipe + hx,
        "annual_capex_eur_per_yr": (capex_pipe + hx) * annuity,
        "om_eur_per_yr": om_eur_per_yr(capex_pipe + hx, fraction_per_yr=om_share),
        "pumping_mwh_per_yr": pumping,
        "pumping_co2e_t_per_yr": pumping_co2e_t_per_yr(
            pumping, grid_ef_kg_co2e_per_mwh=grid_ef_kg_co2e_per_mwh
        ),
        "pumping_eur_per_yr": pumping * price,
        "heat_loss_w_per_m": loss_w_per_m,
        "heat_loss_mwh_per_yr": loss,
        "supplied_per_yr": supplied,
        "delivered_per_yr": delivered,
        "loss_fraction": np.where(supplied > 0, np.minimum(loss / safe_supplied, 1.0), 0.0),
        "annual_cost_eur_per_yr": annual_cost,
        "levelised_cost_eur_per_unit": np.where(
            delivered > 0, annual_cost / np.where(delivered > 0, delivered, 1.0), np.inf
        ),
    }
    if price_gap_eur_per_unit is not None:
        out["max_economic_distance_m"] = max_economic_distance_m(
            price_gap_eur_per_unit,
            supplied_per_yr=supplied,
            fixed_eur_per_yr=fixed,
            eur_per_yr_per_m=per_m,
            loss_per_yr_per_m=loss_per_m,
        )
    shape = np.broadcast(*out.values()).shape
    return {key: np.broadcast_to(value, shape).astype(np.float64) for key, value in out.items()}


def _supplied(
    quantity: ArrayLike,
    unit: str,
    *,
    kind: str,
    params: PipeParameters,
    gas_mwh_per_t: ArrayLike | None,
) -> FloatArray:
    """The annual quantity in the unit this kind of pipe is accounted in."""
    value = _array(quantity)
    if np.any(~np.isfinite(value) | (value < 0)):
        msg = "quantities must be finite and not negative"
        raise PipeInputError(msg)
    allowed: dict[str, tuple[str, ...]] = {
        "heat": ("MWh/yr",),
        "steam": ("MWh/yr", "t/yr"),
        "water": ("m3/yr", "t/yr"),
        "gas": ("t/yr", "MWh/yr"),
    }
    if unit not in allowed[kind]:
        msg = f"a {kind} pipe takes {' or '.join(allowed[kind])}, not {unit!r}"
        raise PipeInputError(msg)
    if kind == "steam" and unit == "t/yr":
        return value * steam_mwh_per_t(params=params)
    if kind == "water" and unit == "t/yr":
        return value / (params["water.density_cold_kg_per_m3"] / 1000.0)
    if kind == "gas" and unit == "MWh/yr":
        if gas_mwh_per_t is None:
            msg = "a gas given in MWh/yr needs gas_mwh_per_t (its heating value) to be sized"
            raise PipeInputError(msg)
        return value
    return value


def describe(params: PipeParameters) -> Mapping[str, Any]:
    """The parameter set as ``key -> (value, unit, source)``, for reports and result files."""
    return MappingProxyType(
        {
            key: (value, params.units.get(key, ""), params.sources.get(key, ""))
            for key, value in params.values.items()
        }
    )
