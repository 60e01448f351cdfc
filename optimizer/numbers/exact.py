"""The exact style: every unit written out with thousands separators
(``163,508,772 PKR``), as the command line's tables and messages show a figure."""

from __future__ import annotations

import math

from optimizer.numbers import clean


def money(value: float | None, currency: str, decimals: int = 0) -> str:
    """``12,600,000,000 USD``."""
    if value is None or not math.isfinite(value):
        return "-"
    value = clean(value)
    if decimals == 0 and abs(value) < 100 and value != round(value):
        decimals = 2  # small amounts keep their cents
    return f"{value:,.{decimals}f} {currency}"


def count(value: float | None, integer: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    value = clean(value)
    if integer or abs(value) >= 1000 or abs(value - round(value)) <= 1e-9 * max(1.0, abs(value)):
        return f"{round(value):,d}"
    return f"{value:,.2f}"
