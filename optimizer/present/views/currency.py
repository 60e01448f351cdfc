"""Presenting a result in another currency, and what kind of figure a parameter is.

Everything the engine returns is in the scenario's reporting currency; a
report in rupees multiplies every money figure by the scenario's own
exchange rate (``exchange_rates: {PKR: 285}`` is rupees per dollar) and
leaves counts, shares and ratios alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from optimizer.errors import UsageError
from optimizer.results import Breakpoint, LeverRow, Result, Sweep
from optimizer.scenario.schema import Scenario

MONEY_FIELDS = frozenset({
    "unit_cost", "yield_per_unit", "fixed_cost", "recurring_cost", "min_spend", "max_spend",
    "ceiling", "exports", "baseline", "per_period", "milestones", "unit_cost_by_period",
    "yield_curve",
})
COUNT_FIELDS = frozenset({
    "max_units", "min_units", "max_units_per_period", "min_units_if_used", "fixed_units", "lag",
})
SHARE_FIELDS = frozenset({"cost_recovery", "attrition", "discount_rate"})


def rate_for(s: Scenario, code: str | None) -> tuple[str, float]:
    """(currency, multiplier) to present ``s``'s results in ``code`` (None: as reported)."""
    if code is None or code == s.currency:
        return s.currency, 1.0
    if code in s.exchange_rates:
        return code, float(s.exchange_rates[code])
    known = ", ".join([s.currency, *s.exchange_rates])
    raise UsageError(f"--currency {code}: the scenario has no exchange rate for it "
                     f"(currencies: {known}; add it under exchange_rates)")


def kind_of(name: str) -> str:
    """money, count, share or number: what a named parameter or limit measures."""
    parts = name.split(".")
    if parts[0] == "exchange_rates":
        return "number"
    if parts[:2] == ["target", "outcomes"]:
        return "count"  # an outcome's floor is in the outcome's unit, never money
    for part in reversed(parts):
        if part in MONEY_FIELDS:
            return "money"
        if part in COUNT_FIELDS:
            return "count"
        if part in SHARE_FIELDS:
            return "share"
    return "number"


def present(value: float | None, name_or_kind: str, rate: float) -> float | None:
    """``value`` of a parameter (by name) or a kind, in the presentation currency."""
    if value is None:
        return None
    kind = name_or_kind if name_or_kind in ("money", "count", "share", "number") \
        else kind_of(name_or_kind)
    return value * rate if kind == "money" else value


def _times(value: float | None, rate: float) -> float | None:
    return None if value is None else value * rate


def _row(rec: LeverRow, rate: float) -> LeverRow:
    return dataclasses.replace(
        rec, spend=rec.spend * rate, exports=rec.exports * rate,
        by_period={p: dataclasses.replace(q, spend=q.spend * rate, exports=q.exports * rate)
                   for p, q in rec.by_period.items()})


def scaled_result(r: Result, currency: str, rate: float) -> Result:
    """``r`` with every money figure times ``rate`` (ratios unchanged)."""
    if rate == 1.0 and currency == r.currency:
        return r

    def by_period(d: dict[Any, float] | None) -> dict[Any, float] | None:
        return None if d is None else {k: v * rate for k, v in d.items()}

    step = None if r.next_step is None else (r.next_step[0] * rate, _times(r.next_step[1], rate))
    return dataclasses.replace(
        r, currency=currency, total_cost=_times(r.total_cost, rate),
        discounted_cost=_times(r.discounted_cost, rate),
        lever_exports=_times(r.lever_exports, rate), baseline=r.baseline * rate,
        needed_exports=r.needed_exports * rate, budget_ceiling=_times(r.budget_ceiling, rate),
        rows=tuple(_row(rec, rate) for rec in r.rows),
        spend_by_period=by_period(r.spend_by_period),
        exports_by_period=by_period(r.exports_by_period), next_step=step,
    )


def scaled_sweep(sw: Sweep, currency: str, rate: float) -> Sweep:
    if rate == 1.0 and currency == sw.currency:
        return sw
    points = None if sw.breakpoints is None else tuple(
        Breakpoint(b.x * rate, b.y * rate, b.slope_after) for b in sw.breakpoints)
    return dataclasses.replace(
        sw, currency=currency, values=tuple(v * rate for v in sw.values),
        results=tuple(scaled_result(r, currency, rate) for r in sw.results),
        breakpoints=points, interpolation_error=_times(sw.interpolation_error, rate),
        frontier=None if sw.frontier is None else dataclasses.replace(
            sw.frontier, low=sw.frontier.low * rate, high=sw.frontier.high * rate,
            reach=_times(sw.frontier.reach, rate), flat=_times(sw.frontier.flat, rate),
            flat_value=_times(sw.frontier.flat_value, rate),
            gaps=tuple((a * rate, b * rate) for a, b in sw.frontier.gaps)),
    )
