"""The amount grammar planners write: ``NUMBER [SCALE] [CURRENCY]``.

Examples: ``2.6B``, ``100,000 PKR``, ``5M USD``, ``1e9``, ``300k PKR``.

PyYAML hands us a mix of types for what a planner sees as "a number":
``1_000_000`` arrives as an int, ``1.5`` as a float, but ``1e9`` and
``1,000`` as strings and ``no`` as False.  Everything funnels through here so
that each spelling means the same thing wherever an amount is allowed, and so
that every refusal reads the same way: a short reason, then ``(got VALUE)``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
from collections.abc import Mapping
from decimal import Decimal

__all__ = ["SCALES", "AmountError", "parse_amount", "parse_fraction", "parse_number"]

SCALES: dict[str, float] = {"k": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}

# Decimal arithmetic, then one rounding to float: "2.6B" becomes the float
# nearest 2.6e9 rather than whatever 2.6 * 1e9 happens to round to.
_SCALE_DECIMALS: dict[str, Decimal] = {k: Decimal(int(v)) for k, v in SCALES.items()}
_CTX = decimal.Context(prec=60, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)

# Loose shape first, strict shape second: the loose match finds where the
# number ends so that a malformed number ("1,00") gets a message about the
# number, not about an unknown scale.
_LOOSE = re.compile(
    r"(?P<num>[+-]?[0-9.][0-9,_.]*(?:[eE][+-]?[0-9]+)?)\s*(?P<rest>.*)", re.ASCII | re.DOTALL
)
_STRICT = re.compile(
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:_[0-9]+)*)(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE][+-]?[0-9]+)?",
    re.ASCII,
)
_NON_FINITE = re.compile(r"[+-]?\.?(?:inf|infinity|nan)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
_CURRENCY_FIRST = re.compile(r"[A-Z]{3}\s*[+-]?[0-9.]", re.ASCII)

_SCALE_HELP = "use k (thousand), M (million), B or bn (billion)"
_AMOUNT_HELP = "expected an amount such as 2.6B, 100,000 PKR or 1e9"
_NUMBER_HELP = "expected a number such as 200000, 200k or 1e6"
_FRACTION_HELP = "expected a fraction such as 0.9 or a percentage such as 90%"
_SHOW_LIMIT = 60


class AmountError(ValueError):
    """An amount, number or fraction that cannot be read.

    ``str(e)`` is the whole user message, ending with ``(got VALUE)``;
    ``reason`` is the message without that suffix and ``value`` the input.
    """

    def __init__(self, reason: str, value: object) -> None:
        self.reason = reason
        self.value = value
        super().__init__(f"{reason} (got {_show(value)})")

    def __reduce__(self) -> tuple[type[AmountError], tuple[str, object]]:
        # The default reduce replays args (the full message) into __init__,
        # which takes two arguments: pickling (e.g. to a worker) would break.
        return (type(self), (self.reason, self.value))


def _show(value: object) -> str:
    """The input as a planner would recognise it from their YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) > _SHOW_LIMIT:
        return repr(value[: _SHOW_LIMIT - 3] + "...")
    text = repr(value)
    return text if len(text) <= _SHOW_LIMIT else text[: _SHOW_LIMIT - 3] + "..."


def _plain_number(value: object, help_text: str) -> float | None:
    """Python numbers as they are; None when ``value`` is a string to parse."""
    if isinstance(value, str):
        return None
    # bool first: it is an int subclass, and YAML makes one from "no"/"off".
    if isinstance(value, bool):
        raise AmountError(
            f"{help_text}, not true/false (YAML reads yes, no, on and off as true/false)", value
        )
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            raise AmountError("is too large", value) from None
        if not math.isfinite(number):
            raise AmountError("must be a finite number", value)
        return _not_tiny(number, value)
    raise AmountError(help_text, value)


SMALLEST = 1e-100
"""The smallest non-zero magnitude a figure may have: below it (1e-320 is a
denormal float) the model's scaling would overflow; no budget figure is that small."""


def _not_tiny(number: float, value: object) -> float:
    if number and abs(number) < SMALLEST:
        raise AmountError(f"is too small to compute with: write 0, or a magnitude of at "
                          f"least {SMALLEST:g}", value)
    return number + 0.0  # -0 is 0


def _split(text: str, value: object, help_text: str) -> tuple[str, list[str]]:
    """The number text and the words after it (scale and/or currency).

    ``value`` is the original input, shown in messages.
    """
    text = text.strip()
    if _NON_FINITE.fullmatch(text):
        raise AmountError("must be a finite number", value)
    match = _LOOSE.fullmatch(text)
    if match is None:
        if _CURRENCY_FIRST.match(text):
            raise AmountError(f"{help_text}: the currency goes after the number", value)
        raise AmountError(help_text, value)
    num = match["num"]
    if not _STRICT.fullmatch(num):
        if "," in num:
            raise AmountError(
                "a comma must separate groups of three digits, as in 1,000,000; use . for decimals",
                value,
            )
        if "_" in num:
            raise AmountError("an underscore must sit between two digits, as in 1_000_000", value)
        raise AmountError(help_text, value)
    words = match["rest"].split()
    if len(words) > 2 or not all(_WORD.fullmatch(w) for w in words):
        raise AmountError(help_text, value)
    return num, words


def _check_scale(word: str, value: object) -> str:
    if word in SCALES:
        return word
    if word == "m":
        # Refused rather than guessed: "5m" is million to some and milli to others.
        raise AmountError("a lower-case m is not read as million: write M", value)
    raise AmountError(f"unknown scale {word!r}: {_SCALE_HELP}", value)


def _to_float(num: str, scale: str | None, value: object, divisor: int = 1) -> float:
    digits = num.replace(",", "").replace("_", "")
    factor = _SCALE_DECIMALS[scale] if scale else Decimal(1)
    try:
        exact = _CTX.divide(_CTX.multiply(Decimal(digits), factor), Decimal(divisor))
    except decimal.DecimalException:
        raise AmountError("is too large", value) from None
    number = float(exact)
    if not math.isfinite(number):
        raise AmountError("is too large", value)
    return _not_tiny(number, value)


def _known_currencies(currency: str, rates: Mapping[str, float]) -> str:
    others = sorted(c for c in rates if c != currency)
    if not others:
        return f"use {currency} (add others under exchange_rates)"
    names = [currency, *others]
    return "use " + ", ".join(names[:-1]) + " or " + names[-1]


def parse_number(value: object) -> float:
    """A unit count: ``NUMBER [SCALE]``, such as ``200000``, ``200k`` or ``1e6``.

    A currency is refused because counts are not money.
    """
    plain = _plain_number(value, _NUMBER_HELP)
    if plain is not None:
        return plain
    assert isinstance(value, str)
    num, words = _split(value, value, _NUMBER_HELP)
    scale: str | None = None
    if words:
        first = words[0]
        if len(words) == 2 or (_CURRENCY.fullmatch(first) and first not in SCALES):
            without = num + (first if len(words) == 2 else "")
            raise AmountError(f"a unit count takes no currency: write {without}", value)
        scale = _check_scale(first, value)
    return _to_float(num, scale, value)


def parse_amount(value: object, currency: str, rates: Mapping[str, float]) -> float:
    """Money: ``NUMBER [SCALE] [CURRENCY]``, in the reporting currency.

    ``rates`` holds units of each foreign currency per ONE reporting-currency
    unit, so the result is ``amount / rate``.
    """
    plain = _plain_number(value, _AMOUNT_HELP)
    if plain is not None:
        return plain
    assert isinstance(value, str)
    num, words = _split(value, value, _AMOUNT_HELP)
    known = {currency, *rates}
    scale: str | None = None
    code: str | None = None
    if len(words) == 2:
        scale = _check_scale(words[0], value)
        code = words[1]
    elif len(words) == 1:
        word = words[0]
        # Currency codes have three letters, so anything shorter is a scale.
        if word in SCALES or len(word) < 3:
            scale = _check_scale(word, value)
        elif _CURRENCY.fullmatch(word) or word.upper() in known:
            code = word
        else:
            raise AmountError(
                f"unknown scale or currency {word!r}: scales are k, M, B and bn; "
                f"for currencies {_known_currencies(currency, rates)}",
                value,
            )
    amount = _to_float(num, scale, value)
    if code is None or code == currency:
        return amount
    if code not in rates:
        if code.upper() in known:
            raise AmountError(f"write currency codes in upper case: {code.upper()}", value)
        raise AmountError(f"unknown currency {code!r}: {_known_currencies(currency, rates)}", value)
    rate = rates[code]
    # Rates are validated with the scenario; this guard only keeps a bad rate
    # from surfacing as ZeroDivisionError or a silent inf.
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not (math.isfinite(rate) and rate > 0)
    ):
        raise AmountError(f"the exchange rate for {code} must be a positive number", value)
    result = amount / rate
    if not math.isfinite(result):
        raise AmountError("is too large", value)
    return _not_tiny(result, value)


def parse_fraction(value: object) -> float:
    """A share: a number such as ``0.9`` or a percentage such as ``"90%"``.

    Range checks belong to the caller, which knows the field's bounds.
    """
    plain = _plain_number(value, _FRACTION_HELP)
    if plain is not None:
        return plain
    assert isinstance(value, str)
    text = value.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    num, words = _split(text, value, _FRACTION_HELP)
    if words:
        raise AmountError(_FRACTION_HELP, value)
    # Decimal division so that "90%" is exactly the float 0.9, not 90 * 0.01.
    return _to_float(num, None, value, divisor=100 if percent else 1)
