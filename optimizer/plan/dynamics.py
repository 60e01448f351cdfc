"""The arithmetic of one lever over the periods (spec section 4), written once.

Units funded in period k become active ``lag`` periods later and shrink by
``attrition`` a period after; a period's spend is the net unit cost of what is
funded in it, the recurring cost of what is active and the fixed cost in the
first funded period; its exports are the yield (or the curve) of what is active.

Every parameter may be a number or an array of sampled draws: the re-check
(optimizer.plan.check) evaluates one plan at the file's values, simulate and chance
evaluate it across thousands of samples, from the same code. The model
(models/build.py) states the same arithmetic as affine forms, and
tests/test_dynamics.py holds the two equal on random plans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from optimizer.scenario.schema import Lever

FloatArray = npt.NDArray[np.float64]
Value = float | FloatArray
"""A number, or one value per sample."""


@dataclass(frozen=True)
class Flows:
    """One lever's plan over the periods: units funded, active, spend and exports."""

    funded: tuple[float, ...]
    active: tuple[Value, ...]
    spend: tuple[Value, ...]
    exports: tuple[Value, ...]
    outcomes: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)
    """Each outcome the lever yields besides exports (spec section 5), per period."""


def curve_exports(curve: Sequence[tuple[float, float]], active: Value) -> Value:
    """Exports of ``active`` units on a yield curve: interpolated between its
    breakpoints, its last segment extended beyond them (a plan there breaks
    the curve's cap, which the re-check reports)."""
    us = np.array([u for u, _ in curve], dtype=float)
    es = np.array([e for _, e in curve], dtype=float)
    at = np.asarray(active, dtype=float)
    slope = (es[-1] - es[-2]) / (us[-1] - us[-2])
    out = np.where(at > us[-1], es[-1] + slope * (at - us[-1]), np.interp(at, us, es))
    return float(out) if out.ndim == 0 else out


def flows(lever: Lever, funded: Sequence[float], labels: Sequence[int | str],
          draws: Mapping[str, Value] | None = None) -> Flows:
    """The lever's flows for ``funded`` units per period; ``draws`` replaces any of
    its fields (``unit_cost``, ``cost_recovery``, ``recurring_cost``,
    ``fixed_cost``, ``yield_per_unit``, ``attrition``) by sampled values."""
    draws = draws or {}

    def param(name: str, point: float) -> Value:
        return draws.get(name, point)

    keep = 1.0 - param("attrition", lever.attrition)
    net = 1.0 - param("cost_recovery", lever.cost_recovery)
    unit_cost = param("unit_cost", lever.unit_cost)
    recurring = param("recurring_cost", lever.recurring_cost)
    fixed = param("fixed_cost", lever.fixed_cost)
    yield_per_unit = param("yield_per_unit", lever.yield_per_unit or 0.0)
    by_period = {str(k): v for k, v in lever.unit_cost_by_period.items()}

    stock: Value = 0.0  # units funded up to period m, less attrition: active in m + lag
    stocks: list[Value] = []
    for x in funded:
        stock = stock * keep + x
        stocks.append(stock)
    start = next((k for k, x in enumerate(funded) if x > 0), None)
    active: list[Value] = []
    spend: list[Value] = []
    exports: list[Value] = []
    for k, label in enumerate(labels):
        now = stocks[k - lever.lag] if k >= lever.lag else 0.0
        active.append(now)
        cost = by_period.get(str(label), unit_cost) * net * funded[k] + recurring * now
        spend.append(cost + fixed if k == start else cost)
        if not lever.yield_curve:
            exports.append(yield_per_unit * now)
    if lever.yield_curve:
        if all(isinstance(a, float) for a in active):
            # one interpolation over the periods, not one per period (the same
            # arithmetic element by element): a re-check of 1,000 levers made
            # 90,000 calls of it
            exports = np.asarray(curve_exports(lever.yield_curve, np.array(active))).tolist()
        else:
            exports = [curve_exports(lever.yield_curve, a) for a in active]
    # the other outcomes: the same active units, each at its own yield or on its own
    # curve (interpolated as the exports curve is)
    outcomes = {o: tuple(y * a for a in active) for o, y in lever.yields.items()}
    for o, curve in lever.yield_curves.items():
        outcomes[o] = tuple(curve_exports(curve, a) for a in active)
    return Flows(tuple(funded), tuple(active), tuple(spend), tuple(exports), outcomes)


def last_share(lever: Lever, labels: Sequence[int | str]) -> float:
    """The share of a unit funded in the first period still active in the last
    (attrition over the horizon, lag aside): the least any funded unit keeps."""
    unlagged = lever.model_copy(update={"lag": 0})
    single = flows(unlagged, [1.0] + [0.0] * (len(labels) - 1), labels)
    return float(single.active[-1])
