"""Plans judged against the scenario in its own units, independently of the model.

A solver's "optimal" is not trusted: every plan is re-checked here against
every bound, constraint and integrality before it is shown. The same
arithmetic gives the plan's spend and exports by period, and names the
limits the plan presses against.

A plan is the units funded of each enabled lever in each period.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from optimizer.plan.dynamics import flows
from optimizer.scenario.expressions import Relation, parse_relation
from optimizer.scenario.periods import Periods
from optimizer.scenario.schema import EXPORTS, Lever, Scenario

Plan = Mapping[str, Sequence[float]]
REL_TOL = 1e-6  # relative to the size of each row, in scenario units
INT_TOL = 1e-6


@dataclass(frozen=True)
class LeverPath:
    """One lever's plan over the periods, in scenario units."""

    funded: tuple[float, ...]
    active: tuple[float, ...]
    spend: tuple[float, ...]
    exports: tuple[float, ...]
    outcomes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Outcomes besides exports the lever yields, per period (absent: 0)."""

    def outcome(self, name: str, k: int = -1) -> float:
        """Outcome ``name`` in period ``k`` (the last by default); 0 when not yielded."""
        got = self.outcomes.get(name)
        return got[k] if got is not None else 0.0

    @property
    def units(self) -> float:
        return sum(self.funded)

    @property
    def total_spend(self) -> float:
        return sum(self.spend)

    @property
    def last_exports(self) -> float:
        return self.exports[-1]


def lever_path(lever: Lever, funded: Sequence[float], labels: Sequence[int | str]) -> LeverPath:
    """Active units, spend and exports of a lever given the units funded per period
    (optimizer.plan.dynamics, at the file's values)."""
    got = flows(lever, funded, labels)
    return LeverPath(got.funded, tuple(map(float, got.active)), tuple(map(float, got.spend)),
                     tuple(map(float, got.exports)),
                     {o: tuple(map(float, v)) for o, v in got.outcomes.items()})


def paths(s: Scenario, plan: Plan) -> dict[str, LeverPath]:
    """Every enabled lever's path under ``plan``. One answer is re-read several times
    (the re-check, the binding limits, the figures, the allocation: 9 walks of 500
    levers' paths per solve, 40% of the engine's own time at 500 x 10), so the last
    few are kept, by scenario (frozen, held here so its id is not reused) and plan."""
    key = (id(s), tuple((lid, tuple(units)) for lid, units in plan.items()))
    hit = _PATHS.get(key)
    if hit is not None and hit[0] is s:
        return dict(hit[1])
    labels = s.period_labels
    out = {lid: lever_path(lv, plan[lid], labels) for lid, lv in s.enabled_levers().items()}
    if len(_PATHS) >= 8:
        _PATHS.clear()
    _PATHS[key] = (s, out)
    return dict(out)


_PATHS: dict[tuple[int, tuple[tuple[str, tuple[float, ...]], ...]],
             tuple[Scenario, dict[str, LeverPath]]] = {}


def _relations(s: Scenario) -> list[Relation]:
    return _parsed(tuple(c.expr for c in s.constraints), tuple(s.enabled_levers()),
                   tuple(s.other_outcomes))


@functools.lru_cache(maxsize=64)
def _parsed(exprs: tuple[str, ...], levers: tuple[str, ...], outcomes: tuple[str, ...] = ()
            ) -> list[Relation]:
    # a sweep re-checks hundreds of plans of one scenario: parse its relations once
    return [parse_relation(e, levers, outcomes=outcomes) for e in exprs]


def _relation_value(rel: Relation, got: Mapping[str, LeverPath]) -> tuple[float, float]:
    """(lhs value, scale of the row) of a relation for a plan."""
    total, size = 0.0, abs(rel.rhs)
    for term, coef in rel.coefs.items():
        path = got[term.lever]
        value = path.outcome(term.outcome) if term.outcome is not None else {
            "units": path.units, "spend": path.total_spend, "exports": path.last_exports,
        }[term.kind]
        total += coef * value
        size += abs(coef * value)
    return total, max(size, 1.0)


def _over(value: float, limit: float, size: float) -> bool:
    return value > limit + REL_TOL * max(abs(size), abs(limit), 1.0)


def _at(value: float, limit: float, size: float) -> bool:
    return abs(value - limit) <= REL_TOL * max(abs(size), abs(limit), 1.0)


def _period_key(labels: Sequence[int | str], key: int | str) -> int:
    return Periods(tuple(labels)).index(key)


def _walk(
    s: Scenario, got: Mapping[str, LeverPath], need_target: bool,
    hit: Callable[[str, float, float, str], None],
) -> None:
    """Call ``hit(name, value, limit, sense)`` for every limit of the scenario.

    sense is '<=' (value may not exceed limit), '>=' or '=='.
    """
    labels = s.period_labels
    last = len(labels) - 1
    for lid, lever in s.enabled_levers().items():
        at = f"levers.{lid}"
        path = got[lid]
        hit(f"{at}.min_units", path.units, lever.min_units, ">=")
        if lever.max_units is not None:
            hit(f"{at}.max_units", path.units, lever.max_units, "<=")
        if lever.fixed_units is not None:
            hit(f"{at}.fixed_units", path.units, lever.fixed_units, "==")
        if lever.min_units_if_used is not None and path.units > 0:
            hit(f"{at}.min_units_if_used", path.units, lever.min_units_if_used, ">=")
        if lever.min_spend is not None:
            hit(f"{at}.min_spend", path.total_spend, lever.min_spend, ">=")
        if lever.max_spend is not None:
            hit(f"{at}.max_spend", path.total_spend, lever.max_spend, "<=")
        for k, x in enumerate(path.funded):
            hit(f"{at}.units[{labels[k]}]" if s.has_periods else f"{at}.units", x, 0.0, ">=")
            if lever.max_units_per_period is not None:
                hit(f"{at}.max_units_per_period", x, lever.max_units_per_period, "<=")
        if lever.yield_curve:
            top = lever.yield_curve[-1][0]
            for a in path.active:
                hit(f"{at}.yield_curve", a, top, "<=")
        for name, curve in lever.yield_curves.items():
            # (a curve of another outcome caps active units as the exports curve does)
            for a in path.active:
                hit(f"{at}.yield_curves.{name}", a, curve[-1][0], "<=")
        for other in lever.requires:
            if path.units > 0:
                need = max(s.levers[other].min_units_if_used or 0.0, 1.0)
                # the rule is in force (and so binding) whenever this lever is used,
                # and broken when the other lever has less than its least amount
                hit(f"{at}.requires", got[other].units, need, ">=")
        for other in lever.excludes:
            if path.units > 0 or got[other].units > 0:
                # in force when either side is used: it keeps the other at zero
                used = got[other].units if path.units > 0 else path.units
                hit(f"{at}.excludes", used, 0.0, "<=")
    spend_by_period = [sum(p.spend[k] for p in got.values()) for k in range(len(labels))]
    exports_by_period = [sum(p.exports[k] for p in got.values()) for k in range(len(labels))]
    if s.budget.ceiling is not None:
        hit("budget.ceiling", sum(spend_by_period), s.budget.ceiling, "<=")
    for key, cap in s.budget.per_period.items():
        hit(f"budget.per_period.{key}", spend_by_period[_period_key(labels, key)], cap, "<=")
    for key, goal in s.target.milestones.items():
        hit(f"target.milestones.{key}", exports_by_period[_period_key(labels, key)], goal, ">=")
    if need_target and s.target.has_exports:
        hit("target.exports", exports_by_period[last], s.target.needed, ">=")
    for name, floors in s.target.outcomes.items():
        at = f"target.outcomes.{name}"
        for key, floor in floors.milestones.items():
            k = _period_key(labels, key)
            hit(f"{at}.milestones.{key}", sum(p.outcome(name, k) for p in got.values()),
                floor, ">=")
        if floors.min is not None and name not in s.goal:  # (a maximised outcome's: ignored)
            hit(f"{at}.min", sum(p.outcome(name) for p in got.values()), floors.min, ">=")
    for i, rel in enumerate(_relations(s)):
        lhs, size = _relation_value(rel, got)
        hit(s.constraint_label(i), lhs, rel.rhs, rel.sense)
        del size


def goal_value(s: Scenario, plan: Plan) -> float:
    """What a max objective maximises, for ``plan``: the weighted sum of last-period
    lever outcomes (exports in the reporting currency a year; 0 for min_cost)."""
    got = paths(s, plan).values()
    return sum(w * sum(p.last_exports if o == EXPORTS else p.outcome(o) for p in got)
               for o, w in s.goal.items())


def violations(
    s: Scenario, plan: Plan, need_target: bool, milestones: bool = True
) -> list[str]:
    """Every way ``plan`` breaks the scenario, in scenario names; [] if none.

    ``need_target`` and ``milestones`` False leave those goals out (a plan
    showing the most exports reachable need not meet them).
    """
    got = paths(s, plan)
    sizes = _sizes(s, got)
    out: list[str] = []

    def hit(name: str, value: float, limit: float, sense: str) -> None:
        if not milestones and name.startswith("target.milestones"):
            return
        size = sizes.get(name, abs(value))
        low = sense in (">=", "==") and _over(limit, value, size)
        high = sense in ("<=", "==") and _over(value, limit, size)
        if low or high:
            out.append(f"{name}: {value:,.6g} {sense} {limit:,.6g} fails")

    _walk(s, got, need_target, hit)
    for lid, lever in s.enabled_levers().items():
        if lever.integer:
            for x in got[lid].funded:
                if abs(x - round(x)) > INT_TOL:
                    out.append(f"levers.{lid}.integer: {x!r} is not a whole number")
    return out


def _sizes(s: Scenario, got: Mapping[str, LeverPath]) -> dict[str, float]:
    """Row scales for relations (sum of |terms|), so tolerances are relative to them."""
    return {s.constraint_label(i): _relation_value(rel, got)[1]
            for i, rel in enumerate(_relations(s))}


def binding(s: Scenario, plan: Plan, need_target: bool) -> list[str]:
    """Names of the limits ``plan`` presses against (zero slack), each once, in order."""
    got = paths(s, plan)
    sizes = _sizes(s, got)
    out: list[str] = []

    def hit(name: str, value: float, limit: float, sense: str) -> None:
        if ".units" in name:
            return  # non-negativity is not a limit a planner negotiates
        if name.startswith("levers.") and sense == ">=" and limit <= 0:
            return  # a lower bound of zero is no limit
        if name.endswith((".requires", ".excludes")):
            if name not in out:
                out.append(name)  # _walk reports these only while they are in force
            return
        if _at(value, limit, sizes.get(name, abs(value))) and name not in out:
            out.append(name)

    _walk(s, got, need_target, hit)
    return out


def nearly_binding(s: Scenario, plan: Plan, share: float, need_target: bool
                   ) -> dict[str, float]:
    """Limits ``plan`` does not press against but would if they were tightened by
    ``share`` of their value (a cap with less than that share left, a floor or a goal
    exceeded by less), in order, each with its least slack (in the limit's units);
    locks, logic and curves left out."""
    got = paths(s, plan)
    pressed = set(binding(s, plan, need_target))
    out: dict[str, float] = {}

    def hit(name: str, value: float, limit: float, sense: str) -> None:
        if ".units" in name or sense == "==" or name in pressed \
                or name.endswith((".requires", ".excludes", ".yield_curve")):
            return
        if name.startswith("levers.") and sense == ">=" and limit <= 0:
            return
        slack = limit - value if sense == "<=" else value - limit
        if 0 < slack <= share * abs(limit):
            out[name] = min(slack, out.get(name, slack))

    _walk(s, got, need_target, hit)
    return out


def limits_on_exports(s: Scenario, plan: Plan) -> list[str]:
    """Binding limits that can hold exports back: upper caps, ceilings, relations, locks.

    Lower bounds are left out: raising exports never needs less of a lever.
    """
    lower = (".min_units", ".min_spend", ".min_units_if_used")
    return [b for b in binding(s, plan, need_target=False)
            if not b.endswith(lower) and not b.startswith("target.milestones")]
