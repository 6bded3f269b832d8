"""Quantities with units: parsing with pint and conversion to the canonical annual units.

A unit comes from a user's cell, so it is checked before pint sees it (length against
``InputLimits.max_unit_chars``, characters, shape, the ambiguous ``ton``), and whatever pint
still raises becomes a :class:`~flows._errors.UnitError`: a unit is usable or explained, never
a traceback.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

import pint

from datasets import settings
from datasets.settings import InputLimits
from flows._errors import UnitError

CANONICAL_UNITS: dict[str, str] = {"mass": "t/yr", "energy": "MWh/yr", "volume": "m3/yr"}
"""Every flow is converted to one of these annual rates (a year is a Julian year, 365.25 d)."""

_DIMENSIONALITY = {
    "mass": "[mass] / [time]",
    "energy": "[mass] * [length] ** 2 / [time] ** 3",
    "volume": "[length] ** 3 / [time]",
}
_STATIC_DIMENSIONALITY = {
    "mass": "[mass]",
    "energy": "[mass] * [length] ** 2 / [time] ** 2",
    "volume": "[length] ** 3",
}
# "m3", "Nm3" and "km2" are how people write powers in spreadsheets; pint wants "m**3".
_POWER_SUFFIX = re.compile(r"(?<=[A-Za-z])([23])\b")
_NORMAL_CUBIC_METRE = re.compile(r"\bNm3\b")


def _preprocess(text: str) -> str:
    return _POWER_SUFFIX.sub(r"**\1", _NORMAL_CUBIC_METRE.sub("normal_cubic_meter", text))


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry[Any]:
    """The project's unit registry (built once; pint registries are costly to create)."""
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(
        preprocessors=[_preprocess],
        autoconvert_offset_to_baseunit=True,
        on_redefinition="ignore",
    )
    # A normal cubic metre is counted as a cubic metre of gas; the reference state is the user's.
    ureg.define("normal_cubic_meter = meter ** 3")
    # In pint "kt" is a knot; in a waste register it is a kilotonne.
    ureg.define("kilotonne = 1000 * tonne = kt")
    ureg.define("tpa = tonne / year")
    return ureg


_ALLOWED = re.compile(r"[A-Za-z0-9_ ./*()^\-\u00b5\u03bc\u00b0\u00b2\u00b3]")
"""Characters a unit expression may hold: letters, digits, operators, brackets, µ, °, ² and ³.
Anything else (``%``, ``;``, control or bidi characters) would be dropped or misread by pint."""
_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_\u00b5\u03bc\u00b0][A-Za-z0-9_\u00b5\u03bc\u00b0\u00b2\u00b3]*)"
    r"|(?P<number>\d+(?:\.\d+)?)|(?P<op>\*\*|[*/^()]))"
)
_MAX_BRACKETS = 3
_EXAMPLES = "write e.g. t/yr, kt/yr, t/d, MWh/yr, GWh/yr, GJ/yr, m3/yr"
AMBIGUOUS_TON = (
    "'ton' means different masses: write t (tonne, 1,000 kg), short_ton (907 kg) or "
    "long_ton (1,016 kg)"
)
"""Why ``ton``: pint reads it as the US short ton, most registers mean the metric tonne."""


def _malformed(unit: str, why: str) -> UnitError:
    return UnitError(f"cannot read unit {unit!r}: {why}; {_EXAMPLES}")


class _Grammar:
    """A strict reader of the unit grammar pint accepts, run before pint.

    pint evaluates units with Python's tokenizer and a recursive evaluator: ``t/0`` divides by
    zero, ``(((`` ends the token stream early, ``t//yr`` floor-divides. Checking the shape first
    turns all of these into one clear message, and bounds the nesting pint has to recurse into.
    ``expr := term (("*" | "/" | " ") term)*``, ``term := atom (("**" | "^") -?int)?``,
    ``atom := name | number | "(" expr ")"``.
    """

    def __init__(self, unit: str, text: str) -> None:
        self.unit = unit
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                rest = text[pos:].strip()
                if not rest:
                    break
                if text[pos:].lstrip().startswith("-"):
                    raise _malformed(unit, "a minus sign belongs only in an exponent such as s**-1")
                raise _malformed(unit, f"unexpected {rest[0]!r}")
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
            # A minus directly after a power operator is the sign of its exponent.
            if kind == "op" and match.group(kind) in {"**", "^"} and text[pos : pos + 1] == "-":
                self.tokens.append(("op", "-"))
                pos += 1
        self.pos = 0
        self.depth = 0
        self.names: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _malformed(self.unit, "it ends where a unit is expected")
        self.pos += 1
        return token

    def parse(self) -> list[str]:
        """Check the whole expression; return the unit names it uses."""
        if not self.tokens:
            raise _malformed(self.unit, "it names no unit")
        self.expr()
        if self.peek() is not None:
            raise _malformed(self.unit, f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return self.names

    def expr(self) -> None:
        self.term()
        while (token := self.peek()) is not None and token != ("op", ")"):
            if token[0] == "op" and token[1] in {"*", "/"}:
                self.pos += 1
            elif token[0] == "op" and token[1] != "(":
                raise _malformed(self.unit, f"{token[1]!r} cannot follow a unit here")
            self.term()

    def term(self) -> None:
        self.atom()
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in {"**", "^"}:
            self.pos += 1
            if self.peek() == ("op", "-"):
                self.pos += 1
            kind, value = self.take()
            if kind != "number" or not value.isdigit() or len(value) > 2:
                raise _malformed(self.unit, "an exponent is a whole number such as 2 or -1")

    def atom(self) -> None:
        kind, value = self.take()
        if kind == "name":
            self.names.append(value)
        elif kind == "number":
            if float(value) == 0:
                raise _malformed(self.unit, "it contains the number 0")
            if float(value) != 1:  # "1/yr" is a unit; "10 t/yr" is an amount
                raise _malformed(
                    self.unit, f"a unit holds no amount, write {value} in the quantity column"
                )
        elif value == "(":
            self.depth += 1
            if self.depth > _MAX_BRACKETS:
                raise _malformed(self.unit, f"brackets nest deeper than {_MAX_BRACKETS}")
            self.expr()
            if self.take() != ("op", ")"):
                raise _malformed(self.unit, "a bracket is not closed")
            self.depth -= 1
        elif value == ")":
            raise _malformed(self.unit, "a closing bracket has no opening one")
        else:
            raise _malformed(self.unit, f"{value!r} where a unit is expected")


def _check_text(unit: str, text: str, limits: InputLimits) -> None:
    """Refuse what pint must never see: overlong, odd characters, malformed, ambiguous tons."""
    limit = limits.max_unit_chars
    if len(text) > limit:
        shown = text[:limit] + "…"
        msg = (
            f"unit {shown!r} is {len(text):,} characters long, more than the limit of {limit} "
            f"({TOO_LONG}); {settings.limit_hint('max_unit_chars')}"
        )
        raise UnitError(msg)
    for char in text:
        if not _ALLOWED.fullmatch(char):
            name = unicodedata.name(char, "")
            label = f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"
            raise _malformed(unit, f"it contains {label}, which is not part of a unit")
    for name in _Grammar(unit, text).parse():
        if _is_ambiguous_ton(name):
            raise UnitError(f"unit {unit!r}: {AMBIGUOUS_TON}")


def _is_ambiguous_ton(name: str) -> bool:
    if "short" in name.lower() or "long" in name.lower():
        return False
    if name.lower() in {"ton", "tons"}:
        return True
    try:
        parsed = registry().parse_unit_name(name)
    except Exception:  # pint will reject the name itself, with a message
        return False
    return any(unit == "ton" for _, unit, _ in parsed)


TOO_LONG = "max_unit_chars"
"""Marks the refusal of an overlong unit in a :class:`UnitError` message."""


def _parse(unit: str, limits: InputLimits | None = None) -> Any:
    text = unit.strip()
    if not text:
        msg = "no unit given"
        raise UnitError(msg)
    _check_text(unit, text, limits or settings.get().limits)
    try:
        return registry().Unit(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as err:
        msg = f"unknown unit {unit!r}: {_EXAMPLES}"
        raise UnitError(msg) from err
    except Exception as err:
        # pint evaluates the expression with Python's tokenizer and arithmetic; whatever a
        # malformed string provokes there (ZeroDivisionError, RecursionError, TokenError,
        # AttributeError, ...) means the same to the user: the unit cannot be read.
        msg = f"cannot read unit {unit!r}: {_EXAMPLES}"
        raise UnitError(msg) from err


def dimension_of(unit: str, *, limits: InputLimits | None = None) -> str:
    """Return ``"mass"``, ``"energy"`` or ``"volume"`` for an annual-rate unit.

    Parameters
    ----------
    unit
        The unit as the user wrote it.
    limits
        Input limits (default ``settings.get().limits``); a unit longer than
        ``max_unit_chars`` is refused.

    Raises
    ------
    UnitError
        If the unit is unknown, is not a rate (``t`` rather than ``t/yr``), or measures
        something else, or cannot be read: every failure of the parser is a UnitError.
    """
    parsed = _parse(unit, limits)
    ureg = registry()
    for dimension, dims in _DIMENSIONALITY.items():
        if parsed.dimensionality == ureg.get_dimensionality(dims):
            return dimension
    for dimension, dims in _STATIC_DIMENSIONALITY.items():
        if parsed.dimensionality == ureg.get_dimensionality(dims):
            msg = (
                f"{unit!r} is an amount of {dimension}, not a rate: flows are per year, "
                f"write e.g. {unit.strip()}/yr"
            )
            raise UnitError(msg)
    msg = f"{unit!r} is not a mass, energy or volume per time"
    raise UnitError(msg)


def to_canonical(
    quantity: float, unit: str, *, limits: InputLimits | None = None
) -> tuple[float, str]:
    """Convert ``quantity`` in ``unit`` to the canonical annual unit of its dimension.

    Parameters
    ----------
    quantity
        The amount, a finite number.
    unit
        The unit as the user wrote it.
    limits
        Input limits (default ``settings.get().limits``).

    Returns
    -------
    tuple
        The converted value and the canonical unit (``t/yr``, ``MWh/yr`` or ``m3/yr``).

    Raises
    ------
    UnitError
        If the unit cannot be used (see :func:`dimension_of`), or the converted value is not a
        finite number (``1e308 Mt/yr`` overflows).
    """
    canonical = CANONICAL_UNITS[dimension_of(unit, limits=limits)]
    try:
        value = float(
            registry().Quantity(quantity, _parse(unit, limits)).to(_parse(canonical)).magnitude
        )
    except Exception as err:  # pint's arithmetic, as in _parse
        msg = f"cannot convert {quantity:g} {unit.strip()} to {canonical}"
        raise UnitError(msg) from err
    if not math.isfinite(value) or (value == 0 and quantity != 0):
        msg = (
            f"{quantity:g} {unit.strip()} is {value:g} in {canonical}: "
            "the conversion leaves the range of numbers SymbioMap can compute with"
        )
        raise UnitError(msg)
    return value, canonical


@lru_cache(maxsize=512)
def conversion_factor(unit: str, *, limits: InputLimits | None = None) -> tuple[float, str]:
    """Factor that turns a value in ``unit`` into its canonical unit, and that unit.

    Cached because a case repeats a handful of units over thousands of rows (a refusal is not
    cached; it is raised again each time, which is cheap next to a finding per row).

    Raises
    ------
    UnitError
        For any unit that cannot be used, with a message saying why.
    """
    return to_canonical(1.0, unit, limits=limits)
