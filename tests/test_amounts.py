"""The amount grammar: every spelling the scenario spec promises, and every refusal."""

from __future__ import annotations

import datetime as dt
import math
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimizer.scenario.amounts import (
    SCALES,
    AmountError,
    parse_amount,
    parse_fraction,
    parse_number,
)

RATES = {"PKR": 285.0}


def amount(value: object) -> float:
    return parse_amount(value, "USD", RATES)


def message(func: object, value: object) -> str:
    assert callable(func)
    with pytest.raises(AmountError) as info:
        func(value)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.6B", 2.6e9),
        ("2.6 B", 2.6e9),
        ("10B", 1e10),
        ("10bn", 1e10),
        ("300k", 300_000.0),
        ("5M", 5e6),
        ("5M USD", 5e6),
        ("5 M USD", 5e6),
        ("2B USD", 2e9),
        ("1e9", 1e9),
        ("10e9", 1e10),
        ("1.0e9", 1e9),
        ("1e+9", 1e9),
        ("1.5e9", 1.5e9),
        ("2.5E-3", 0.0025),
        ("1_000_000", 1e6),
        ("1,000,000", 1e6),
        ("1,000.5", 1000.5),
        ("  42  ", 42.0),
        ("-5M", -5e6),
        ("+7k", 7000.0),
        ("250 USD", 250.0),
    ],
)
def test_amount_spellings(text: str, expected: float) -> None:
    assert amount(text) == expected


def test_scaled_decimals_round_once() -> None:
    # 2.6 * 1e9 in floats is fine here, but 0.3 * 3 is not: scaling is exact.
    assert amount("0.3k") == 300.0
    assert amount("1.1M") == 1_100_000.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100,000 PKR", 100_000 / 285.0),
        ("100000 PKR", 100_000 / 285.0),
        ("300k PKR", 300_000 / 285.0),
        ("300,000 PKR", 300_000 / 285.0),
        ("1.5M PKR", 1_500_000 / 285.0),
    ],
)
def test_foreign_currency_is_divided_by_the_rate(text: str, expected: float) -> None:
    assert amount(text) == pytest.approx(expected, rel=1e-15)


def test_spec_example_value() -> None:
    assert amount("100,000 PKR") == pytest.approx(350.877192982456, rel=1e-12)


def test_reporting_currency_other_than_usd() -> None:
    assert parse_amount("285 PKR", "PKR", {"USD": 1 / 285}) == 285.0
    assert parse_amount("1 USD", "PKR", {"USD": 1 / 285}) == pytest.approx(285.0)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0.0), (25000, 25000.0), (0.25, 0.25), (-3, -3.0)]
)
def test_python_numbers_pass_through(value: float, expected: float) -> None:
    result = amount(value)
    assert result == expected
    assert type(result) is float


def test_lower_case_m_is_refused_not_guessed() -> None:
    text = message(amount, "5m")
    assert text == "a lower-case m is not read as million: write M (got '5m')"
    assert message(parse_number, "5m") == text
    assert "lower-case m" in message(amount, "5m USD")


@pytest.mark.parametrize("text", ["5K", "5b", "5mn", "5 Mn", "5 K USD"])
def test_other_scales_list_the_allowed_ones(text: str) -> None:
    got = message(amount, text)
    assert got.startswith("unknown scale")
    for scale in ("k", "M", "B", "bn"):
        assert scale in got
    assert got.endswith(f"(got {text!r})")


def test_unknown_scale_in_a_count() -> None:
    assert message(parse_number, "5 K") == (
        "unknown scale 'K': use k (thousand), M (million), B or bn (billion) (got '5 K')"
    )


@pytest.mark.parametrize("text", ["1,00", "1,0000", "1000,000", "1,5", "12,34,567"])
def test_bad_thousands_grouping(text: str) -> None:
    assert message(amount, text) == (
        "a comma must separate groups of three digits, as in 1,000,000; use . for decimals "
        f"(got {text!r})"
    )


@pytest.mark.parametrize("text", ["1__000", "1_", "_1"])
def test_bad_underscores(text: str) -> None:
    with pytest.raises(AmountError, match=r"\(got '"):
        amount(text)


def test_unknown_currency_names_the_known_ones() -> None:
    assert message(amount, "5 EUR") == "unknown currency 'EUR': use USD or PKR (got '5 EUR')"
    assert message(amount, "5M EUR") == "unknown currency 'EUR': use USD or PKR (got '5M EUR')"


def test_unknown_currency_without_rates_points_at_exchange_rates() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount("5 PKR", "USD", {})
    assert str(info.value) == (
        "unknown currency 'PKR': use USD (add others under exchange_rates) (got '5 PKR')"
    )


def test_lower_case_currency_gets_a_hint() -> None:
    assert message(amount, "5 pkr") == "write currency codes in upper case: PKR (got '5 pkr')"


def test_word_that_is_neither_scale_nor_currency() -> None:
    got = message(amount, "5 EURO")
    assert got.startswith("unknown scale or currency 'EURO'")
    assert "USD or PKR" in got


def test_currency_before_number() -> None:
    assert "the currency goes after the number" in message(amount, "USD 5M")


@pytest.mark.parametrize("value", [True, False])
def test_bool_is_not_a_number(value: bool) -> None:
    got = message(amount, value)
    assert "not true/false" in got
    assert got.endswith(f"(got {'true' if value else 'false'})")
    assert "not true/false" in message(parse_number, value)
    assert "not true/false" in message(parse_fraction, value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (".inf", "'.inf'"),
        ("-.inf", "'-.inf'"),
        (".nan", "'.nan'"),
        ("nan", "'nan'"),
        ("inf", "'inf'"),
        ("Infinity", "'Infinity'"),
    ],
)
def test_non_finite_is_refused(value: object, shown: str) -> None:
    assert message(amount, value) == f"must be a finite number (got {shown})"
    assert message(parse_number, value) == f"must be a finite number (got {shown})"


def test_out_of_range_is_refused() -> None:
    assert message(amount, "1e400") == "is too large (got '1e400')"
    assert message(amount, 10**400).startswith("is too large (got 1000")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        ([1, 2], "[1, 2]"),
        ({"a": 1}, "{'a': 1}"),
        (dt.date(2024, 1, 1), "2024-01-01"),
        ("abc", "'abc'"),
        ("", "''"),
        ("5M PKR USD", "'5M PKR USD'"),
        ("1.2.3", "'1.2.3'"),
        ("5 000", "'5 000'"),
    ],
)
def test_other_values_are_refused(value: object, shown: str) -> None:
    assert message(amount, value) == (
        f"expected an amount such as 2.6B, 100,000 PKR or 1e9 (got {shown})"
    )


def test_long_values_are_shortened_in_messages() -> None:
    got = message(amount, "x" * 500)
    assert len(got) < 150
    assert got.endswith("...')")


def test_amount_error_is_a_value_error_with_parts() -> None:
    with pytest.raises(ValueError) as info:
        amount("abc")
    error = info.value
    assert isinstance(error, AmountError)
    assert error.value == "abc"
    assert error.reason == "expected an amount such as 2.6B, 100,000 PKR or 1e9"


def test_amount_error_survives_pickling() -> None:
    with pytest.raises(AmountError) as info:
        amount("5m")
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert (copy.reason, copy.value) == (info.value.reason, "5m")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("200000", 200_000.0), ("200k", 200_000.0), ("1e6", 1e6), ("4B", 4e9), ("100M", 1e8)],
)
def test_unit_counts(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(("text", "suggestion"), [("5 USD", "5"), ("5M USD", "5M"), ("5 PKR", "5")])
def test_unit_count_takes_no_currency(text: str, suggestion: str) -> None:
    assert message(parse_number, text) == (
        f"a unit count takes no currency: write {suggestion} (got {text!r})"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90%", 0.9),
        ("12.5 %", 0.125),
        ("  5% ", 0.05),
        ("100%", 1.0),
        ("0.9", 0.9),
        ("1e-3", 0.001),
        (0.9, 0.9),
        (0, 0.0),
        ("150%", 1.5),
        ("-5%", -0.05),
    ],
)
def test_fractions(value: object, expected: float) -> None:
    assert parse_fraction(value) == expected


@pytest.mark.parametrize("value", ["5k", "%", "abc%", "90 percent", "90%%", None])
def test_bad_fractions(value: object) -> None:
    assert message(parse_fraction, value).startswith(
        "expected a fraction such as 0.9 or a percentage such as 90%"
    )


def test_bad_fraction_shows_the_original_text() -> None:
    assert message(parse_fraction, "1,00%").endswith("(got '1,00%')")
    assert message(parse_fraction, ".nan%") == "must be a finite number (got '.nan%')"


def test_scales_table() -> None:
    assert SCALES == {"k": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}


@given(
    number=st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False
                     ).filter(lambda x: x == 0 or abs(x) >= 1e-90),  # smaller: refused
    scale=st.sampled_from(["", *SCALES]),
    separator=st.sampled_from([",", "_"]),
    space=st.sampled_from(["", " "]),
)
def test_formatted_amounts_round_trip(
    number: float, scale: str, separator: str, space: str
) -> None:
    text = f"{number:{separator}.17g}{space}{scale}"
    expected = number * (SCALES[scale] if scale else 1.0)
    assert math.isclose(parse_number(text), expected, rel_tol=1e-12, abs_tol=0.0)
    assert math.isclose(amount(f"{text} PKR"), expected / 285.0, rel_tol=1e-12, abs_tol=0.0)
