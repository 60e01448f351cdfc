"""How numbers are written for people: thousands separators, no -0.0."""

from __future__ import annotations

import math


def clean(value: float) -> float:
    """Drop the sign of zero and round-off dust below 1e-9 in magnitude."""
    return 0.0 if abs(value) < 1e-9 else float(value)


def round_step(needed: float) -> float:
    """A round amount of exports to price at the margin: $1M for a $7.4B target."""
    if needed <= 0:
        return 1.0
    return min(1e6, 10.0 ** max(0, math.floor(math.log10(needed)) - 3))


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
