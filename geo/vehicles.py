"""Lorry profiles and which OpenStreetMap ways a heavy goods vehicle may legally use.

A :class:`VehicleProfile` says how heavy and how big a vehicle is; :func:`closed_reasons`
reads the OSM tags of road edges and says, per edge, why that vehicle may not use it (or
nothing, where it may). The rules, with the OpenStreetMap wiki as their source:

Access (https://wiki.openstreetmap.org/wiki/Key:access, transport-mode hierarchy; and
https://wiki.openstreetmap.org/wiki/Key:hgv): the most specific of ``hgv``,
``motor_vehicle``, ``vehicle`` and ``access`` that a way carries decides, so ``hgv=yes`` or
``hgv=designated`` reopens a way tagged ``access=no`` and ``hgv=no`` closes a way open to
everybody. ``hgv`` applies only to a heavy goods vehicle, "in most countries goods vehicles
with a permissible maximum mass over 3.5 tonnes" (Key:hgv); a lighter profile skips it.
``goods`` is the light goods vehicle (up to 3.5 t), a sibling of ``hgv`` in the hierarchy, so
``goods=no`` does not close a way to lorries; ``motorcar`` is a sibling too.

- closed: ``no``, ``private`` (only with the owner's individual permission), ``agricultural``,
  ``forestry``, ``permit``, ``emergency``, ``military``;
- open for last-mile access: ``destination``, ``delivery``, ``customers`` and the undocumented
  ``local`` (Key:hgv calls it "maybe duplicate of hgv=destination"). A lorry serving a site
  must be able to reach it through a zone signed "except for access"; routing through such a
  zone is allowed too (SymbioMap estimate: telling through traffic from access traffic needs
  the zone, which OSM does not record). ``destination_allowed=False`` closes them;
- open: every other value (``yes``, ``designated``, ``permissive``, ``discouraged``,
  ``unknown`` ...). A value list (``private;delivery``, or several values merged on one
  simplified edge) is closed if any part is.

Dimensions (https://wiki.openstreetmap.org/wiki/Key:maxweight, Key:maxheight and
https://wiki.openstreetmap.org/wiki/Map_Features/Units): a way is closed when its limit is
below the vehicle's (a limit equal to it is passed): ``maxweight``, ``maxweight:hgv``,
``maxweightrating``, ``maxweightrating:hgv`` (the profile's gross weight is both its actual
and its permissible maximum mass: a loaded lorry), ``maxaxleload``, ``maxheight``,
``maxheight:physical``, ``maxlength``, ``maxwidth``. Weights are tonnes unless a unit follows
(``t``, ``kg``, ``st`` short tons of 0.9071847 t as on Map_Features/Units, ``lbs`` the
international pound of 0.45359237 kg, exact by definition); lengths are metres unless ``m``,
``cm``, ``ft``, ``in``, ``mi`` or feet and inches (``4'6"``) are given. ``none``, ``default``,
``unsigned``, ``unknown``, ``no`` and an empty value mean no limit; ``below_default`` (a
height lower than the legal default, value unknown) closes the way to every profile. A value
that cannot be read (``7.5 except loading``) is ignored and counted by
:func:`unreadable_values`: no limit is guessed.

Not handled, stated rather than guessed: ``*:conditional`` restrictions (times, loads) and
``:forward``/``:backward`` variants are ignored; turn restrictions are not modelled; a way
closed to cars (``access=no`` with ``hgv=designated``) is not in SymbioMap's drive network at
all (``geo.osm.is_drivable``), so it cannot be reopened here.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from datasets.errors import SymbioMapError

HGV_MIN_WEIGHT_T = 3.5
"""A goods vehicle heavier than this is a heavy goods vehicle, to which ``hgv=*`` applies
(OSM wiki Key:hgv, "permissible maximum mass over 3.5 tonnes")."""

ACCESS_KEYS_HGV = ("hgv", "motor_vehicle", "vehicle", "access")
"""Access keys that apply to a lorry, most specific first (OSM wiki Key:access hierarchy)."""
ACCESS_KEYS_LIGHT = ("motor_vehicle", "vehicle", "access")
"""... and to a light vehicle (``hgv`` does not apply at or below 3.5 t)."""

WEIGHT_TAGS = ("maxweight", "maxweight:hgv", "maxweightrating", "maxweightrating:hgv")
AXLE_TAGS = ("maxaxleload",)
HEIGHT_TAGS = ("maxheight", "maxheight:physical")
LENGTH_TAGS = ("maxlength",)
WIDTH_TAGS = ("maxwidth",)

RESTRICTION_TAGS = (
    *ACCESS_KEYS_HGV, *WEIGHT_TAGS, *AXLE_TAGS, *HEIGHT_TAGS, *LENGTH_TAGS, *WIDTH_TAGS,
)  # fmt: skip
"""Every way tag the rules read: the network builders keep them on the edges."""

CLOSED_VALUES = frozenset(
    {"no", "private", "agricultural", "forestry", "permit", "emergency", "military"}
)
LOCAL_VALUES = frozenset({"destination", "delivery", "customers", "local"})
NO_LIMIT_VALUES = frozenset({"none", "default", "unsigned", "no", "unknown", ""})

_KG_PER_T = 1000.0
_T_PER_SHORT_TON = 0.90718474  # 2,000 lb of 0.45359237 kg (international pound, exact)
_T_PER_LONG_TON = 1.0160469088  # 2,240 lb
_T_PER_LB = 0.00045359237
_M_PER_FT = 0.3048
_M_PER_IN = 0.0254
_WEIGHT_UNITS_T = {
    "": 1.0, "t": 1.0, "to": 1.0, "ton": 1.0, "tons": 1.0, "tonne": 1.0, "tonnes": 1.0,
    "kg": 1.0 / _KG_PER_T, "st": _T_PER_SHORT_TON, "lt": _T_PER_LONG_TON,
    "lb": _T_PER_LB, "lbs": _T_PER_LB,
}  # fmt: skip
_LENGTH_UNITS_M = {
    "": 1.0, "m": 1.0, "metre": 1.0, "meter": 1.0, "metres": 1.0, "meters": 1.0,
    "cm": 0.01, "ft": _M_PER_FT, "feet": _M_PER_FT, "'": _M_PER_FT, "in": _M_PER_IN,
    '"': _M_PER_IN, "mi": 1609.344, "km": 1000.0,
}  # fmt: skip
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?|\.\d+)\s*([a-z'\"]*)\s*$")
_FEET_INCHES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:'|ft)\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in))?\s*$")
BELOW_DEFAULT = "below_default"


class VehicleProfileError(SymbioMapError, ValueError):
    """A vehicle profile has a dimension that is not a positive, finite number."""


@dataclass(frozen=True)
class VehicleProfile:
    """A road vehicle's weight and dimensions, against which way restrictions are read.

    The default is the largest lorry allowed across the EU without a permit: a five- or
    six-axle articulated vehicle under Council Directive 96/53/EC of 25 July 1996 (OJ L 235,
    17.9.1996, p. 59; consolidated text), Annex I: point 1.1 "articulated vehicle 16,50 m",
    point 1.2 (a) width 2,55 m, point 1.3 "Maximum height (any vehicle) 4,00 m" (read at
    https://legislation.gov.uk/eudr/1996/53/annexes); 40 t for the five- or six-axle
    articulated vehicle, point 2.2.2 (a) (point number recalled, not read; the 40 t figure
    read in summaries of the directive: https://www.transportxxl.eu/vehicle_weights-3.html,
    "vehicles with 5 axles or more", and https://vollmert.eu/en/faq-items/); 11.5 t on the
    driving axle, point 3.2 (recalled, not read; a country table of axle weights,
    https://kb9.cn/read/270400.html, lists 11.5 t per drive axle for most EU members).

    Attributes
    ----------
    gross_weight_t
        Laden mass, tonnes (compared with ``maxweight`` and ``maxweightrating``).
    height_m, length_m, width_m
        Outer dimensions, metres.
    axle_load_t
        Heaviest axle, tonnes; None: ``maxaxleload`` is not checked.
    destination_allowed
        Whether ways open only for access (``hgv=destination``, ``delivery`` ...) may be used.
    name
        For people: what the profile stands for.
    """

    gross_weight_t: float = 40.0
    height_m: float = 4.0
    length_m: float = 16.5
    width_m: float = 2.55
    axle_load_t: float | None = 11.5
    destination_allowed: bool = True
    name: str = "40 t articulated lorry (EU 96/53/EC)"

    def __post_init__(self) -> None:
        """Refuse dimensions that are not positive, finite numbers."""
        dims = {
            "gross_weight_t": self.gross_weight_t,
            "height_m": self.height_m,
            "length_m": self.length_m,
            "width_m": self.width_m,
            "axle_load_t": self.axle_load_t,
        }
        for label, value in dims.items():
            if value is None and label == "axle_load_t":
                continue
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                msg = f"vehicle {label} must be a positive number (got {value!r})"
                raise VehicleProfileError(msg)

    @property
    def is_hgv(self) -> bool:
        """Whether ``hgv=*`` applies: heavier than :data:`HGV_MIN_WEIGHT_T`."""
        return self.gross_weight_t > HGV_MIN_WEIGHT_T

    def describe(self) -> str:
        """One line for people, e.g. ``"40 t, 4.00 m high, 16.50 m long, 2.55 m wide"``."""
        text = (
            f"{self.gross_weight_t:g} t, {self.height_m:.2f} m high, "
            f"{self.length_m:.2f} m long, {self.width_m:.2f} m wide"
        )
        if self.axle_load_t is not None:
            text += f", {self.axle_load_t:g} t per axle"
        if not self.destination_allowed:
            text += ", no access-only ways"
        return text


DEFAULT_PROFILE = VehicleProfile()
"""The 40 t articulated lorry of Directive 96/53/EC (see :class:`VehicleProfile`)."""


# -- reading values ----------------------------------------------------------------------


def _missing(value: object) -> bool:
    """Whether a cell holds no tag (None, or NaN where a frame had no value)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    """A tag value as text: numbers read back from a file (``7.5``, ``np.float64(7.5)``) as
    their decimal, lists (merged edges) as their repr, which :func:`_parts` reads back."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return repr(float(value))
    return repr(value)


def _parts(value: object) -> list[str]:
    """The values of one tag: a ``;`` list, a list (merged edges) or its text form, lower case."""
    if _missing(value):
        return []
    if isinstance(value, list | tuple):
        return [p for item in value for p in _parts(item)]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        # a list saved as text (GraphML) by osmnx after merging edges
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            items = None
        if isinstance(items, list):
            return _parts(items)
    return [p.strip().lower() for p in text.split(";")]


def _measure(text: str, units: Mapping[str, float], *, feet_inches: bool) -> float:
    """One value in the default unit; inf for no limit, NaN when unreadable."""
    if text in NO_LIMIT_VALUES:
        return math.inf
    if text == BELOW_DEFAULT:
        return 0.0
    if feet_inches:
        match = _FEET_INCHES.match(text)
        if match:
            feet, inches = match.groups()
            return float(feet) * _M_PER_FT + float(inches or 0) * _M_PER_IN
    match = _NUMBER_UNIT.match(text)
    if match is None:
        return math.nan
    number, unit = match.groups()
    factor = units.get(unit)
    if factor is None:
        return math.nan
    # "7,5" is a common mistake for 7.5 (the wiki's Key:maxweight lists it as such)
    return float(number.replace(",", ".")) * factor


@lru_cache(maxsize=4096)
def _parse(value: str, kind: str) -> float:
    units = _WEIGHT_UNITS_T if kind == "weight" else _LENGTH_UNITS_M
    limits = [_measure(p, units, feet_inches=kind == "length") for p in _parts(value)]
    readable = [x for x in limits if not math.isnan(x)]
    if not readable:
        return math.nan if limits else math.inf
    return min(readable)  # several limits on one edge: the tightest applies


def parse_weight_t(value: object) -> float:
    """A weight limit in tonnes (``7.5``, ``7.5 t``, ``12000 kg``, ``3.5 st``, ``8000 lbs``).

    Returns
    -------
    float
        ``inf`` when there is no limit (no tag, ``none``, ``default``, ``unsigned``), ``0``
        for ``below_default``, NaN when the value cannot be read; the lowest of several.
    """
    if _missing(value):
        return math.inf
    return _parse(_text(value), "weight")


def parse_length_m(value: object) -> float:
    """A height, length or width limit in metres (``3.8``, ``3.8 m``, ``4'6"``, ``14 ft``).

    Returns
    -------
    float
        As :func:`parse_weight_t`: ``inf`` no limit, ``0`` for ``below_default``, NaN unreadable.
    """
    if _missing(value):
        return math.inf
    return _parse(_text(value), "length")


def access_class(value: object) -> str | None:
    """``"closed"``, ``"local"`` (access only) or ``"open"`` for an access value; None if
    the tag is absent (the next, less specific key decides)."""
    parts = _parts(value)
    if not parts:
        return None
    if any(p in CLOSED_VALUES for p in parts):
        return "closed"
    if any(p in LOCAL_VALUES for p in parts):
        return "local"
    return "open"


# -- edges -------------------------------------------------------------------------------


def _column(tags: pd.DataFrame, key: str) -> pd.Series:
    if key in tags.columns:
        return tags[key]
    return pd.Series(None, index=tags.index, dtype=object)


def _per_distinct(
    values: pd.Series, parse: Callable[[str], object], *, missing: object = None
) -> npt.NDArray[np.object_]:
    """``parse`` applied once per distinct value, spread back to every row (``missing`` where
    the edge has no such tag)."""
    spread: npt.NDArray[np.object_] = np.full(len(values), missing, dtype=object)
    # most edges carry one or two of the tags: only the tagged cells are looked at
    tagged = values.notna().to_numpy()
    if tagged.any():
        present = values[tagged]
        try:
            codes, uniques = pd.factorize(present)
        except TypeError:  # lists (merged edges) cannot be hashed: factorize their text
            codes, uniques = pd.factorize(present.map(_text))
        lookup = np.empty(len(uniques), dtype=object)
        lookup[:] = [parse(_text(u)) for u in uniques]
        spread[tagged] = lookup[codes]
    return spread


def _limits(tags: pd.DataFrame, keys: Sequence[str], kind: str) -> pd.DataFrame:
    parse = parse_weight_t if kind == "weight" else parse_length_m
    return pd.DataFrame(
        {
            key: _per_distinct(_column(tags, key), parse, missing=math.inf).astype("float64")
            for key in keys
        },
        index=tags.index,
    )


def closed_reasons(tags: pd.DataFrame, vehicle: VehicleProfile) -> pd.Series:
    """Why ``vehicle`` may not use each edge, from its OSM tags (rules: module docstring).

    Parameters
    ----------
    tags
        One row per edge, a column per tag of :data:`RESTRICTION_TAGS` it has (missing
        columns and None/NaN cells: not tagged); values as OSM has them (text, ``;`` lists,
        or lists of values merged on a simplified edge).
    vehicle
        The vehicle.

    Returns
    -------
    Series
        Indexed like ``tags``: None where the edge is legal, else the first rule it breaks
        (``"hgv=no"``, ``"maxweight 3.5 t < 40 t"``, ``"maxheight 3.8 m < 4 m"`` ...).
    """
    reason: npt.NDArray[np.object_] = np.full(len(tags), None, dtype=object)
    keys = ACCESS_KEYS_HGV if vehicle.is_hgv else ACCESS_KEYS_LIGHT
    decided = np.zeros(len(tags), dtype=bool)
    for key in keys:
        values = _column(tags, key)
        classes = _per_distinct(values, access_class)
        present = ~pd.isna(classes) & ~decided
        closed = present & (
            (classes == "closed") | ((classes == "local") & (not vehicle.destination_allowed))
        )
        if closed.any():
            reason[closed] = _per_distinct(values[closed], _access_text(key))
        decided |= present
    checks = (
        (WEIGHT_TAGS, "weight", vehicle.gross_weight_t, "t"),
        (AXLE_TAGS, "weight", vehicle.axle_load_t, "t"),
        (HEIGHT_TAGS, "length", vehicle.height_m, "m"),
        (LENGTH_TAGS, "length", vehicle.length_m, "m"),
        (WIDTH_TAGS, "length", vehicle.width_m, "m"),
    )
    for tag_keys, kind, size, unit in checks:
        if size is None:
            continue
        limits = _limits(tags, tag_keys, kind)
        for key in tag_keys:
            limit = limits[key].to_numpy()
            below = (limit < size) & pd.isna(reason)
            if below.any():
                distinct, where = np.unique(limit[below], return_inverse=True)
                texts = np.array(
                    [f"{key} {x:g} {unit} < {size:g} {unit}" for x in distinct], dtype=object
                )
                reason[below] = texts[where]
    return pd.Series(reason, index=tags.index, dtype=object)


def _access_text(key: str) -> Callable[[str], object]:
    """How a closing access value is shown: ``hgv=no``, ``access=private; delivery``."""
    return lambda value: f"{key}=" + "; ".join(_parts(value))


def unreadable_values(tags: pd.DataFrame) -> dict[str, list[str]]:
    """The values of the dimension tags in ``tags`` that cannot be read (ignored as limits)."""
    found: dict[str, list[str]] = {}
    for keys, parse in (
        (WEIGHT_TAGS + AXLE_TAGS, parse_weight_t),
        (HEIGHT_TAGS + LENGTH_TAGS + WIDTH_TAGS, parse_length_m),
    ):
        for key in keys:
            if key not in tags.columns:
                continue
            distinct = pd.unique(tags[key].dropna().map(str))
            bad = sorted(str(v) for v in distinct if math.isnan(parse(v)))
            if bad:
                found[key] = bad
    return found
