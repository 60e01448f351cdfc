"""Cheap checks before a solve: contradictions that arithmetic on the file shows.

Each finding is a sufficient reason for "infeasible", named in the file's
fields, and costs no solve. A scenario that passes them all may still be
infeasible: the solve and its conflict set say why. Findings are data
(optimizer.results.Finding); optimizer.results.messages words them.
"""

from __future__ import annotations

from optimizer.results import Finding as Finding
from optimizer.results import (
    FloorOverMaxSpend,
    ForcedExclusion,
    ForcedRequiresHeld,
    MinimumsOverCeiling,
    ReachBelowTarget,
    messages,
)
from optimizer.scenario import unit_upper_bound
from optimizer.scenario.schema import Lever, Scenario

# a finding must clear round-off in the sums below
MARGIN = 1e-9


def _least_units(lever: Lever) -> float:
    """Units the file forces on a lever over the horizon (a lock or a floor)."""
    return max(lever.min_units, lever.fixed_units or 0.0)


def _cheapest(lever: Lever, s: Scenario) -> float:
    return min(lever.net_unit_cost_in(p) for p in (s.period_labels or [""]))


def _least_spend(lever: Lever, s: Scenario) -> float:
    """The least a lever forced on must cost (recurring costs left out: a lower bound)."""
    units = _least_units(lever)
    spend = units * max(0.0, _cheapest(lever, s)) + (lever.fixed_cost if units > 0 else 0.0)
    return max(spend, lever.min_spend or 0.0)


def _most_exports(lever: Lever, s: Scenario) -> float | None:
    """An upper bound on one lever's last-period exports; None when it has none."""
    if lever.yield_curve:
        return max(e for _, e in lever.yield_curve)
    per_unit = lever.yield_per_unit or 0.0
    if per_unit <= 0:
        return 0.0
    units = unit_upper_bound(lever, s.budget.ceiling, s.period_labels or [""])
    return None if units is None else per_unit * units


def minimums_over_ceiling(s: Scenario) -> list[Finding]:
    """The levers' forced spend against budget.ceiling and each max_spend."""
    out: list[Finding] = []
    levers = s.enabled_levers()
    forced = {lid: _least_spend(lv, s) for lid, lv in levers.items()}
    for lid, lv in levers.items():
        units = _least_units(lv)
        if lv.max_spend is not None and units > 0 and \
                units * _cheapest(lv, s) + lv.fixed_cost > lv.max_spend * (1 + MARGIN):
            field = "fixed_units" if lv.fixed_units else "min_units"
            out.append(FloorOverMaxSpend(f"levers.{lid}.{field}", units,
                                         units * _cheapest(lv, s) + lv.fixed_cost,
                                         lv.max_spend))
    ceiling = s.budget.ceiling
    total = sum(forced.values())
    if ceiling is not None and total > ceiling * (1 + MARGIN):
        floors = tuple((f"levers.{lid}.{_floor_field(levers[lid])}", v)
                       for lid, v in sorted(forced.items(), key=lambda kv: -kv[1]) if v > 0)
        out.append(MinimumsOverCeiling(total, ceiling, floors))
    return out


def _floor_field(lever: Lever) -> str:
    if lever.fixed_units:
        return "fixed_units"
    if lever.min_units:
        return "min_units"
    return "min_spend"


def reach_below_target(s: Scenario) -> list[Finding]:
    """Every lever at its own most (cap, curve end or whole ceiling) against the target."""
    total = 0.0
    for lv in s.enabled_levers().values():
        most = _most_exports(lv, s)
        if most is None:
            return []
        total += most
    if total < s.target.needed * (1 - MARGIN):
        return [ReachBelowTarget(s.target.needed, total)]
    return []


def locks_against_rules(s: Scenario) -> list[Finding]:
    """Levers forced on that exclude each other, or that require a lever held at 0."""
    levers = s.enabled_levers()
    on = {lid for lid, lv in levers.items() if _least_units(lv) > 0 or (lv.min_spend or 0) > 0}
    out: list[Finding] = []
    for lid in sorted(on):
        lv = levers[lid]
        for other in lv.excludes:
            if other in on and (other < lid or lid not in levers[other].excludes):
                out.append(ForcedExclusion(lid, other, _floor_field(lv),
                                           _floor_field(levers[other])))
        for other in lv.requires:
            cap = levers[other].max_units if other in levers else 0.0
            if cap is not None and cap <= 0:
                out.append(ForcedRequiresHeld(lid, other, _floor_field(lv)))
    return out


def findings(s: Scenario) -> list[Finding]:
    """All cheap findings, as data."""
    return [*locks_against_rules(s), *minimums_over_ceiling(s), *reach_below_target(s)]


def precheck(s: Scenario) -> list[str]:
    """All cheap findings, each a sentence naming the file's fields."""
    return [messages.finding(f, s.currency) for f in findings(s)]
