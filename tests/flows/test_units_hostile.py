"""Hostile units and numbers: every one becomes a UnitError or a located finding, never a crash.

pint evaluates unit strings with Python's tokenizer and arithmetic, so a cell such as
``GWh/yr/0`` or ``(((`` used to escape as ZeroDivisionError or TokenError; ``ton`` was silently
the US short ton; ``inf``, ``nan`` and ``1e309`` passed as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from datasets import settings
from datasets.settings import InputLimits
from flows import units
from flows._errors import UnitError
from flows.checks.checker import ROW, Checker, RawTable
from flows.checks.exchanges import check_exchanges
from flows.checks.flow_table import check_flows
from flows.checks.quantities import check_quantities
from flows.resources import Vocabulary, read_vocabulary
from flows.validation import ValidationReport

NON_FINITE = ["inf", "-inf", "Infinity", "-Infinity", "INF", "1e309", "-1e309", "nan", "NaN"]
HUGE = InputLimits(max_unit_chars=10**6)


@cache
def _vocabulary() -> Vocabulary:
    return read_vocabulary()


def _raw(
    name: str, columns: Mapping[str, Sequence[object]], *, decimal_comma: bool = False
) -> RawTable:
    frame = pd.DataFrame(columns)
    frame[ROW] = range(2, len(frame) + 2)
    return RawTable(name, f"{name}.csv", name, frame, decimal_comma=decimal_comma)


def _flows(
    quantity: Sequence[object], unit: Sequence[object], **extra: Sequence[object]
) -> dict[str, Sequence[object]]:
    n = len(quantity)
    return {
        "site_id": ["power"] * n,
        "direction": ["supply"] * n,
        "resource": ["10 01 05"] * n,
        "quantity": quantity,
        "unit": unit,
        **extra,
    }


# -- the unit parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ("GWh/yr/0", "contains the number 0"),  # ZeroDivisionError in pint
        ("t/0yr", "contains the number 0"),
        ("1/0", "contains the number 0"),
        ("**", "'**' where a unit is expected"),
        ("(((", "ends where a unit is expected"),  # TokenError in pint
        ("(t/yr", "ends where a unit is expected"),
        ("t/yr)", "unexpected ')'"),
        ("((((t))))/yr", "brackets nest deeper than 3"),
        ("t//yr", "'/' where a unit is expected"),  # pint floor-divides: read as t/yr
        ("t/yr%", "PERCENT SIGN"),  # pint: a hundredth of t/yr
        ("kt/yr;", "SEMICOLON"),
        ("t/yr,", "COMMA"),
        ("t/yr\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),  # pint ignored it
        ("t/\u200byr", "U+200B ZERO WIDTH SPACE"),
        ("t/yr\x00", "U+0000"),
        ("\U0001f4a9/yr", "U+1F4A9"),
        ("\uff54/yr", "FULLWIDTH LATIN SMALL LETTER T"),
        ("[mass]/yr", "LEFT SQUARE BRACKET"),
        ("t=yr", "EQUALS SIGN"),
        ("t/(yr-yr)", "a minus sign belongs only in an exponent"),
        ("t**999999999/yr", "an exponent is a whole number"),
        ("t**1.5/yr", "an exponent is a whole number"),
        ("t**/yr", "an exponent is a whole number"),
        ("10 t/yr", "write 10 in the quantity column"),
        ("t.yr", "unexpected '.'"),
        ("__import__('os')", "APOSTROPHE"),
    ],
)
def test_malformed_units_are_unit_errors(unit: str, message: str) -> None:
    with pytest.raises(UnitError, match="cannot read unit") as info:
        units.conversion_factor(unit)
    assert message in str(info.value)


def test_a_pint_recursion_error_becomes_a_unit_error() -> None:
    # Beyond the length limit (raised here) pint recurses once per factor and overflows.
    unit = "t*" * 5_000 + "1/yr"
    with pytest.raises(RecursionError):
        units.registry().Unit(unit)
    with pytest.raises(UnitError, match="cannot read unit") as info:
        units.conversion_factor(unit, limits=HUGE)
    assert isinstance(info.value.__cause__, RecursionError)


def test_any_exception_of_pint_becomes_a_unit_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever else pint's evaluator may raise on some input, the caller sees a UnitError.
    def explode(_text: str) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(units.registry(), "Unit", explode)
    with pytest.raises(UnitError, match="cannot read unit 't/yr'"):
        units.dimension_of("t/yr")


def test_a_unit_longer_than_the_limit_is_refused_naming_it() -> None:
    limit = settings.get().limits.max_unit_chars
    unit = "t*" * 30 + "1/yr"
    assert len(unit) > limit
    with pytest.raises(UnitError) as info:
        units.conversion_factor(unit)
    message = str(info.value)
    assert f"is {len(unit)} characters long, more than the limit of {limit}" in message
    assert settings.limit_hint("max_unit_chars") in message
    assert unit not in message  # quoted cut short, not whole


def test_the_unit_limit_is_a_parameter() -> None:
    small = InputLimits(max_unit_chars=4)
    assert units.conversion_factor("t/yr", limits=small) == (1.0, "t/yr")
    assert units.dimension_of("  t/yr  ", limits=small) == "mass"  # blanks around do not count
    with pytest.raises(UnitError, match="more than the limit of 4"):
        units.conversion_factor("kt/yr", limits=small)
    with pytest.raises(UnitError, match="more than the limit of 4"):
        units.to_canonical(5.0, "GWh/yr", limits=small)


@pytest.mark.parametrize(
    "unit", ["ton/yr", "tons/yr", "Ton/yr", "kton/yr", "kilotons/yr", "Mton/yr", "megaton/yr"]
)
def test_ton_is_refused_naming_the_choices(unit: str) -> None:
    with pytest.raises(UnitError) as info:
        units.conversion_factor(unit)
    assert "write t (tonne, 1,000 kg), short_ton (907 kg) or long_ton (1,016 kg)" in str(info.value)


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("t/yr", 1.0),
        ("tonne/yr", 1.0),
        ("tonnes/yr", 1.0),
        ("metric_ton/yr", 1.0),
        ("kt/yr", 1_000.0),
        ("Mt/yr", 1_000_000.0),
        ("short_ton/yr", 0.90718474),
        ("short_tons/yr", 0.90718474),
        ("long_ton/yr", 1.0160469088),
        ("t*yr**-1", 1.0),
        ("t yr^-1", 1.0),
        ("t / (yr)", 1.0),
        ("kg/(h) * h/yr", 1e-3),
        ("\u00b5g/yr", 1e-12),
        ("1/yr * t", 1.0),
    ],
)
def test_good_units_still_convert(unit: str, factor: float) -> None:
    got, canonical = units.conversion_factor(unit)
    assert canonical == "t/yr"
    assert got == pytest.approx(factor, rel=1e-12)


def test_m_cubed_written_with_a_superscript() -> None:
    assert units.conversion_factor("m\u00b3/h") == pytest.approx((8_766.0, "m3/yr"))


@pytest.mark.parametrize(
    ("quantity", "unit", "text"),
    [(1e306, "kt/yr", "inf"), (1e-320, "mg/yr", "0 in t/yr"), (1e300, "Mt/d", "inf")],
)
def test_a_conversion_out_of_range_is_a_unit_error(quantity: float, unit: str, text: str) -> None:
    with pytest.raises(UnitError, match="the conversion leaves the range") as info:
        units.to_canonical(quantity, unit)
    assert text in str(info.value)


# -- Checker.numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", NON_FINITE)
def test_non_finite_numbers_are_refused_naming_row_and_field(value: str) -> None:
    report = ValidationReport()
    checker = Checker(_raw("flows", {"quantity": ["5", value, "7"]}), report)
    parsed = checker.numbers("quantity", code="E_QUANTITY_NOT_NUMBER", what="quantity")
    assert parsed.iloc[0] == 5.0
    assert parsed.iloc[2] == 7.0
    assert math.isnan(parsed.iloc[1])
    assert checker.keep.tolist() == [True, False, True]
    [finding] = report.findings
    assert (finding.code, finding.row, finding.field) == ("E_QUANTITY_NOT_NUMBER", 3, "quantity")
    assert f"quantity {value!r} is not a finite number" in finding.message
    assert "not inf or nan" in finding.hint


def test_non_finite_floats_from_a_spreadsheet_are_refused() -> None:
    report = ValidationReport()
    checker = Checker(_raw("sites", {"lat": [55.6, np.inf, -np.inf, np.nan]}), report)
    parsed = checker.numbers("lat", code="E_COORD_NOT_NUMBER", what="latitude", hint="degrees")
    assert parsed.iloc[0] == 55.6
    assert parsed.iloc[1:].isna().all()
    assert [(f.row, f.field) for f in report.errors] == [(3, "lat"), (4, "lat")]
    assert report.errors[0].hint.startswith("degrees")


def test_an_overflowing_decimal_comma_number_is_refused() -> None:
    report = ValidationReport()
    raw = _raw("flows", {"quantity": ["9" * 400 + ",5", "1,5"]}, decimal_comma=True)
    checker = Checker(raw, report)
    parsed = checker.numbers("quantity", code="E_QUANTITY_NOT_NUMBER", what="quantity")
    assert math.isnan(parsed.iloc[0])
    assert parsed.iloc[1] == 1.5
    [finding] = report.errors
    assert finding.row == 2
    assert "is not a finite number" in finding.message
    assert "…" in finding.message  # a 400-digit value is quoted cut short


@pytest.mark.parametrize("value", NON_FINITE)
def test_a_non_finite_temperature_is_one_finding(value: str) -> None:
    report = ValidationReport()
    raw = _raw("flows", _flows(["10", "20"], ["GWh/yr", "GWh/yr"], temperature_c=["90", value]))
    raw.frame["resource"] = ["heat", "heat"]
    out = check_flows(raw, report, None, vocabulary=_vocabulary())
    assert out is not None
    assert len(out) == 1
    assert [(f.code, f.row, f.field) for f in report.errors] == [
        ("E_TEMPERATURE_NOT_NUMBER", 3, "temperature_c")
    ]


@pytest.mark.parametrize("value", [*NON_FINITE, "1e300", "-1e300", "1e19", "1993.5"])
def test_an_absurd_since_is_one_finding_not_a_crash(value: str) -> None:
    report = ValidationReport()
    raw = _raw(
        "exchanges",
        {
            "from_site": ["power", "power"],
            "to_site": ["board", "board"],
            "resource": ["10 01 05", "10 01 05"],
            "mode": ["road", "road"],
            "status": ["active", "active"],
            "since": ["1993", value],
        },
    )
    out = check_exchanges(raw, report, None, vocabulary=_vocabulary())
    assert out is not None
    assert out["since"].tolist() == [1993]
    assert [(f.code, f.row, f.field) for f in report.errors] == [("E_YEAR", 3, "since")]


# -- quantities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "how"),
    [("1e306", "kt/yr", "overflows past 1.8e308"), ("1e-320", "mg/yr", "underflows to 0")],
)
def test_a_conversion_out_of_range_is_a_finding(quantity: str, unit: str, how: str) -> None:
    report = ValidationReport()
    raw = _raw("flows", _flows(["200", quantity], ["kt/yr", unit]))
    out = check_flows(raw, report, None, vocabulary=_vocabulary())
    assert out is not None
    assert out["quantity_canonical"].tolist() == [200_000.0]
    [finding] = report.errors
    assert (finding.code, finding.row, finding.field) == ("E_QUANTITY_OVERFLOW", 3, "quantity")
    assert f"{float(quantity):g} {unit} cannot be converted to t/yr: the result {how}" in (
        finding.message
    )


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ("ton/yr", "E_UNIT_AMBIGUOUS"),
        ("GWh/yr/0", "E_UNIT_UNKNOWN"),
        ("(((", "E_UNIT_UNKNOWN"),
        ("t" + "*t" * 40 + "/yr", "E_UNIT_TOO_LONG"),
    ],
)
def test_hostile_units_in_a_table_are_findings(unit: str, code: str) -> None:
    report = ValidationReport()
    raw = _raw("flows", _flows(["1", "2"], ["t/yr", unit]))
    out = check_flows(raw, report, None, vocabulary=_vocabulary())
    assert out is not None
    assert len(out) == 1
    [finding] = report.errors
    assert (finding.code, finding.row, finding.field) == (code, 3, "unit")
    assert finding.hint


def test_check_quantities_takes_the_limits() -> None:
    report = ValidationReport()
    checker = Checker(_raw("flows", _flows(["1", "2"], ["t/yr", "GWh/yr"])), report)
    checker.normalise_columns()
    res = pd.Series(["10 01 05", "steam"], dtype="string")
    check_quantities(
        checker, res, required=True, vocabulary=_vocabulary(), limits=InputLimits(max_unit_chars=4)
    )
    [finding] = report.errors
    assert (finding.code, finding.row) == ("E_UNIT_TOO_LONG", 3)
    assert "more than the limit of 4" in finding.message
    assert finding.hint == settings.limit_hint("max_unit_chars")


# -- fuzz ------------------------------------------------------------------------------------

_UNIT_PIECES = st.sampled_from(
    [
        "t", "kt", "Mt", "ton", "kg", "g", "MWh", "GWh", "GJ", "MW", "m3", "Nm3", "m", "yr",
        "d", "h", "s", "/", "*", "**", "^", "-", "(", ")", " ", "0", "1", "2", "3", "12",
        ".", "_", "%", "e", "µ", "°", "²", "³", "\u202e", "\x00", "inf", "nan",
    ]
)  # fmt: skip


def _assert_unit_result(unit: str) -> None:
    try:
        factor, canonical = units.conversion_factor(unit)
    except UnitError as err:
        message = str(err)
    else:
        assert canonical in units.CANONICAL_UNITS.values()
        assert math.isfinite(factor)
        assert factor > 0
        return
    assert message


@given(st.text(max_size=60))
def test_fuzz_unit_parser_arbitrary_text(unit: str) -> None:
    _assert_unit_result(unit)


@given(st.lists(_UNIT_PIECES, max_size=14).map("".join))
def test_fuzz_unit_parser_unit_like_text(unit: str) -> None:
    _assert_unit_result(unit)


_NUMBER_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from([*NON_FINITE, "1,5", "1.500", "180 000", "-0", "1e-400", "9" * 400, " 5 "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
)


@given(st.lists(_NUMBER_TEXT, min_size=1, max_size=12), st.booleans())
def test_fuzz_numbers_helper(values: list[str], decimal_comma: bool) -> None:
    report = ValidationReport()
    checker = Checker(_raw("flows", {"quantity": values}, decimal_comma=decimal_comma), report)
    parsed = checker.numbers("quantity", code="E_QUANTITY_NOT_NUMBER", what="quantity")
    assert not np.isinf(parsed.to_numpy()).any()
    flagged = {f.row for f in report.errors}
    assert all(f.field == "quantity" and f.message for f in report.errors)
    text = checker.text("quantity")
    for i, row in enumerate(checker.frame[ROW]):
        if pd.isna(text.iloc[i]):
            assert math.isnan(parsed.iloc[i])
        else:  # a value is either a finite number or a finding on its row, never both
            assert math.isfinite(parsed.iloc[i]) != (row in flagged)
            assert bool(checker.keep.iloc[i]) == (row not in flagged)


# Each example checks a whole flows table (about 75 ms), so fewer than the profile's 150
# keep the test within its time budget on a busy machine.
@hypothesis_settings(max_examples=60)
@given(st.lists(st.tuples(_NUMBER_TEXT, st.one_of(st.text(max_size=12), _UNIT_PIECES)), max_size=6))
def test_fuzz_flow_table_quantities_and_units(rows: list[tuple[str, str]]) -> None:
    report = ValidationReport()
    raw = _raw("flows", _flows([q for q, _ in rows], [u for _, u in rows]))
    out = check_flows(raw, report, None, vocabulary=_vocabulary())
    assert out is not None
    canonical = out["quantity_canonical"].to_numpy(dtype="float64", na_value=np.nan)
    assert np.isfinite(canonical).all()
    assert (canonical > 0).all()
    assert len(out) + len({f.row for f in report.errors}) == len(rows)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=12))
def test_fuzz_numbers_helper_on_a_float_column(values: list[float]) -> None:
    # Spreadsheet and GeoPackage columns arrive as floats, inf and nan included.
    report = ValidationReport()
    checker = Checker(_raw("sites", {"lat": values}), report)
    parsed = checker.numbers("lat", code="E_COORD_NOT_NUMBER", what="latitude")
    assert not np.isinf(parsed.to_numpy()).any()
    assert {f.row for f in report.errors} == {
        row for row, v in zip(checker.frame[ROW], values, strict=True) if math.isinf(v)
    }


def test_a_huge_text_cell_is_quoted_cut_short() -> None:
    report = ValidationReport()
    checker = Checker(_raw("flows", {"quantity": ["x" * 32_000]}), report)
    checker.numbers("quantity", code="E_QUANTITY_NOT_NUMBER", what="quantity")
    [finding] = report.errors
    assert finding.message.startswith("quantity 'xxxx")
    assert len(finding.message) < 100
