"""The exact style: every unit written out with thousands separators
(``163,508,772 PKR``), as the command line's tables and messages show a figure.

A missing figure (None, NaN, infinity) is ``-``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from optimizer.numbers import clean

MISSING = "-"


def money(value: float | None, currency: str, decimals: int | None = None) -> str:
    """``12,600,000,000 USD``; ``currency`` "" writes the figure alone (a column whose
    label names it). ``decimals`` None: whole units, small amounts keep their cents."""
    if value is None or not math.isfinite(value):
        return MISSING
    value = clean(value)
    if decimals is None:
        decimals = 2 if abs(value) < 100 and value != round(value) else 0
    text = f"{value:,.{decimals}f}"
    return f"{text} {currency}" if currency else text


def count(value: float | None, integer: bool = False) -> str:
    """Whole units with separators (an int, or ``integer``); fractions to two decimals,
    or two significant figures below 0.1 (``0.0061``: a diet's pound of liver is not
    ``0.00``)."""
    if value is None or not math.isfinite(value):
        return MISSING
    value = clean(value)
    if integer or abs(value) >= 1000 or abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)):
        return f"{round(value):,d}"
    return f"{value:,.{max(2, _places(abs(value), 2))}f}"


def _places(magnitude: float, figures: int = 3) -> int:
    """Decimal places that show ``figures`` significant figures of ``magnitude`` > 0."""
    return max(0, figures - 1 - math.floor(math.log10(magnitude)))


def decimals_for(values: Iterable[float | None]) -> int:
    """Decimal places for a column of money: none when its largest figure is 100 or
    more (or every figure is whole), else three significant figures of the largest,
    so a column of dollars and cents does not print 2.42 as ``2``."""
    sizes = [abs(clean(v)) for v in values if v is not None and math.isfinite(v)]
    largest = max(sizes, default=0.0)
    if largest >= 100 or all(v == round(v) for v in sizes):
        return 0
    return min(9, _places(largest))


def share(value: float | None, decimals: int = 1) -> str:
    """``50.7%``."""
    if value is None or not math.isfinite(value):
        return MISSING
    text = f"{100 * value:.{decimals}f}%"
    # a sliver below zero rounds to -0.0%: no sign on nothing
    return text[1:] if text.startswith("-") and not text.strip("-0.%") else text


def goal_amount(value: float) -> str:
    """An amount of a max objective's weighted outcomes (no currency): a count, with
    four significant figures below 100 (1.800, 0.9000) so a worth per unit shows."""
    if not math.isfinite(value):
        return count(value)
    if value == 0 or abs(value) >= 100:
        return number(value, 0)
    return number(value, max(0, 3 - math.floor(math.log10(abs(value)))))


def number(value: float | None, decimals: int | None = None) -> str:
    """A ratio: four significant figures (``0.04321``, ``1.26e+04``), or ``decimals``
    places with separators."""
    if value is None or not math.isfinite(value):
        return MISSING
    value = clean(value)
    return f"{value:.4g}" if decimals is None else f"{value:,.{decimals}f}"
