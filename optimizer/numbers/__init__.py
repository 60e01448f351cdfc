"""How numbers are written for people, in one of two styles and nowhere else.

- :mod:`optimizer.numbers.exact`: every unit written out (``163,508,772 PKR``), for
  the command line's tables and messages, where a planner checks a figure.
- :mod:`optimizer.numbers.memo`: what a memo quotes (``Rs 163.5M``): one currency
  symbol table, a column's one scale, the workbook's number formats that show the
  same, and chart ticks.

Both start from :func:`clean` (no -0.0, no round-off dust).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal


def clean(value: float) -> float:
    """Drop the sign of zero and round-off dust below 1e-9 in magnitude."""
    return 0.0 if abs(value) < 1e-9 else float(value)


def round_step(needed: float) -> float:
    """A round amount of exports to price at the margin: $1M for a $7.4B target."""
    if needed <= 0:
        return 1.0
    return min(1e6, 10.0 ** max(0, math.floor(math.log10(needed)) - 3))


_WAYS = {"up": ROUND_CEILING, "down": ROUND_FLOOR, "nearest": ROUND_HALF_UP}


def quantized(value: float, way: Literal["up", "down", "nearest"], *,
              step: str | None = None, digits: int | None = None) -> float:
    """``value`` rounded ``way`` to a multiple of ``step`` (``"0.0001"``) or to
    ``digits`` significant digits, from the shortest decimal that reads back as the
    float: 5.71429 is already on its grid, where its binary expansion
    (5.7142900000000000915...) would round up."""
    exact = Decimal(repr(float(value)))
    if digits is not None:
        quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    else:
        assert step is not None
        quantum = Decimal(step)
    return float(exact.quantize(quantum, rounding=_WAYS[way])) + 0.0
