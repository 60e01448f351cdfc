"""Scenario -> ModelData: the only module that knows both sides.

Scaling happens here so HiGHS sees coefficients near 1 (it silently drops
matrix values at or below 1e-9 and above 1e15):

* money is counted in a power of ten of the reporting currency that puts the
  target (or the ceiling) near 1,000 model units: millions for the shipped
  scenario, single units for a toy one (HiGHS's feasibility tolerance is
  absolute, so a $1,500 target in millions would be met only to 0.01%);
* a continuous lever's units are counted in powers of ten chosen so its cost
  or yield per model unit lies in [1, 10) model money. Integer levers keep
  their own units, since scaling would change which values are whole.

It also picks each curve's formulation: a concave curve is an LP (the
hypograph of its segments) wherever more exports can only help; anything
else gets binaries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from models.data import (
    Chance,
    Curve,
    Formulation,
    Goal,
    LeverData,
    ModelData,
    OutcomeCurve,
    OutcomeFloor,
    RowData,
)
from models.data import Kind as RowKind
from optimizer.errors import Problem, ScenarioError
from optimizer.plan.dynamics import last_share
from optimizer.scenario import unit_upper_bound
from optimizer.scenario.expressions import Relation, Term, parse_relation
from optimizer.scenario.periods import Periods
from optimizer.scenario.schema import EXPORTS, Lever, Scenario

# Coefficients outside this band are refused: HiGHS would drop them silently
# or lose the plan to round-off.
SMALLEST, LARGEST = 1e-8, 1e10
# A spend floor (min_spend) below this many model units is refused: HiGHS's
# absolute tolerances (1e-6 for a MIP, 1e-9 strict) would not keep it.
SMALLEST_BOUND = 1e-3
# Where a fixed cost could be paid for nothing to meet a spend floor, or must fall
# in the period a lever starts under per-period ceilings, a used continuous lever
# funds at least SMALLEST_UNITS model units: ten times the 1e-6 within which
# engine._plan snaps a value to a bound, so the sliver is never read as dust, and
# no more (a billionth of the lever's largest size once cost 500 USD of units the
# plan did not need). The plan polished with the use switches fixed keeps it.
SMALLEST_UNITS = 1e-5
MAX_MODEL_UNITS = 1e7
# An integer lever whose unit is worth at most this share of the goal is
# solved continuous and rounded (see negligible).
NEGLIGIBLE = 1e-7
# A coefficient whose most possible effect is below this share of the goal is 0
# in the model (see _without_dust).
DUST = 1e-7
# A lever's yield of another outcome is left out of a floor's row below this share of
# the floor (see _outcome_floors): as small as the proof's own allowance for the
# export dust it leaves out (engine: 1e-9 of the target), so the proof still holds.
OUTCOME_DUST = 1e-9


@dataclass(frozen=True)
class Scaling:
    money: float
    """Reporting currency per model unit of spend."""
    units: dict[str, float]
    """Scenario units per model unit, by lever id."""
    exports: float
    """Reporting currency per model unit of exports."""
    goal: float | None = None
    """A max objective's weighted outcomes per model unit of the goal row (see
    models.data.Goal); None where exports alone are maximised (their own unit)."""

    def unit_of(self, objective: str) -> float:
        """File units per model unit of ``objective``'s value (min_cost, max_exports,
        max_goal)."""
        if objective == "min_cost":
            return self.money
        if objective == "max_goal":
            assert self.goal is not None
            return self.goal
        return self.exports

    @property
    def scales(self) -> tuple[float, float]:
        return self.money, self.exports


def money_scales(s: Scenario) -> tuple[float, float]:
    """Reporting-currency units per model unit of spend and of exports: powers of ten.

    Spend and exports are counted in units of their own: rows and objectives
    never add one to the other (a constraint mixing them is normalised on its
    own), and a plan's exports can be a millionth or a million times its cost.
    Each goal (see _goals) lands near 1e3 model units. Never so coarse that a
    whole unit of an integer lever moves cost and exports by less than 1e-2 of
    a model unit, HiGHS's tolerances being absolute: both units are then made
    finer together; integer levers whose unit is negligible are solved
    continuous (see negligible) and do not count here.
    """
    spend, exports = _goals(s)
    return fitted(s, spend, exports)


def fitted(s: Scenario, spend: float, exports: float) -> tuple[float, float]:
    """Model units of spend and exports that put these amounts near 1e3, made finer
    where a whole unit of an integer lever would be under 1e-2 of them."""
    scales = [_near_thousand(spend), _near_thousand(exports)]
    goals = _goals(s)
    # each integer lever's largest per-unit effect: a smaller one (a unit that
    # costs $0.003 but yields $200,000) is dust beside it, dropped if it can never
    # add up to anything (see _dust) and refused if it can
    worst = min((max(max(_costs(lv, s.period_labels)) / scales[0],
                     _largest_yield(lv) / scales[1])
                 for lv in s.enabled_levers().values()
                 if lv.integer and not negligible(lv, goals, s)), default=math.inf)
    if 0 < worst < 1e-2:
        finer = 10.0 ** math.floor(math.log10(worst * 100))
        scales = [x * finer for x in scales]
    return max(1e-6, scales[0]), max(1e-6, scales[1])


def _near_thousand(goal: float) -> float:
    return 10.0 ** (math.floor(math.log10(goal)) - 3) if goal > 0 else 1.0


def off_scale(value: float, unit: float) -> bool:
    """An amount far from the model's working range (1 to 1e6 model units): the
    guess its unit came from was wrong by a thousand or more."""
    return value > 0 and not 1.0 <= value / unit <= 1e6


def _goals(s: Scenario) -> tuple[float, float]:
    """The size of the answer's spend and exports (reporting currency), roughly: what
    a greedy fill by cost per export buys, within each lever's largest size.

    min_cost: the exports needed (cut to the most the levers reach at all: a
    target they cannot reach is proven out of reach at the scale of what they
    can), and the spend the greedy fill needs for them. max_exports: the ceiling
    (cut to the most the levers can spend: a ceiling of 1000B over a lever capped
    at $12 would otherwise make the whole plan dust) and the exports it buys.
    """
    labels = s.period_labels
    levers = list(s.enabled_levers().values())
    caps = relation_caps(s)
    bounds = [_tighter(unit_upper_bound(lv, s.budget.ceiling, labels), caps.get(lid))
              for lid, lv in s.enabled_levers().items()]
    reach = sum(math.inf if b is None else _most_exports(lv, b)
                for lv, b in zip(levers, bounds, strict=True))
    room = sum(math.inf if b is None else _most_spend(lv, b, labels)
               for lv, b in zip(levers, bounds, strict=True))
    # what the file makes every plan spend (min_units, fixed_units, min_spend): a
    # constraint capping spend at 0 beside a floor of 813,000 units is out of
    # reach, and the floor must be on the model's scale for that to be seen
    forced = sum(_forced_spend(lv, labels) for lv in levers)
    room = max(room, forced)
    # (cost, exports) per unit at the lever's best average, and its largest size
    offers = []
    for lv, b in zip(levers, bounds, strict=True):
        cost = max(_costs(lv, labels))
        gain = _best_average_yield(lv)
        if gain > 0:
            if lv.yield_curve:
                # a curve exports at most its top in any period: the greedy buys no
                # more units than reach it at the best average (a lever with a lag
                # has no cap from its curve, and a $377B ceiling over $4.61 units
                # guessed 1e19 exports where the curve tops at 9.9e9)
                top = _most_exports(lv, 0.0) / gain
                b = top if b is None else min(b, top)
            offers.append((cost / gain, cost, gain, lv.fixed_cost, b))
    # (ties broken by the cap, none last: two levers alike but for a cap compared a
    # cap with None)
    offers.sort(key=lambda o: (*o[:4], math.inf if o[4] is None else o[4]))
    needed = abs(s.target.needed)
    # a floor on another outcome makes every plan spend what it needs (spec section 5):
    # a requirements problem's spend is on the model's scale only through it
    floors = _floor_spend(s, levers, bounds)
    if s.maximises and s.budget.ceiling or not needed and s.budget.ceiling:
        spend = min(s.budget.ceiling, room) or s.budget.ceiling
        exports = _bought(offers, spend)
        return spend, exports or (reach if 0 < reach < math.inf else spend)
    if not needed and floors:  # no export goal: the floors' spend, and what it buys
        return max(floors, forced), _bought(offers, floors) or (
            reach if 0 < reach < math.inf else 1.0)
    if not needed:  # nothing to reach and no ceiling: what the caps allow, or 1
        exports = reach if 0 < reach < math.inf else 1.0
        return (room if 0 < room < math.inf else exports), exports
    exports = min(needed, reach) if reach > 0 else needed
    spend = max(_greedy_spend(offers, exports), forced, floors)
    if s.budget.ceiling:
        spend = min(spend, s.budget.ceiling) if spend > 0 else s.budget.ceiling
    return spend or exports, exports


def _greedy_spend(offers: list[tuple[float, float, float, float, float | None]],
                  amount: float) -> float:
    """What a greedy fill (cheapest per unit of gain first, each within its cap) spends
    to gain ``amount``; offers are (cost per gain, cost, gain, fixed cost, cap)."""
    left, spend = amount, 0.0
    for _, cost, gain, fixed, b in offers:
        if left <= 0:
            break
        units = min(left / gain, b if b is not None else math.inf)
        spend += fixed + cost * units
        left -= gain * units
    return spend


def _floor_spend(s: Scenario, levers: Sequence[Lever], bounds: Sequence[float | None]
                 ) -> float:
    """The most any one outcome's floors (its min and milestones) need spent, by a
    greedy fill on that outcome's yields within each lever's largest size; 0 without
    floors on other outcomes."""
    labels = s.period_labels
    most = 0.0
    for name, goal in s.target.outcomes.items():
        amount = max([goal.min or 0.0, *goal.milestones.values()])
        offers = []
        for lv, b in zip(levers, bounds, strict=True):
            y, cost = lv.outcome_rate(name), max(_costs(lv, labels))
            if y > 0:
                offers.append((cost / y, cost, y, lv.fixed_cost, b))
        offers.sort(key=lambda o: (*o[:4], math.inf if o[4] is None else o[4]))
        if math.isfinite(amount) and amount > 0:
            most = max(most, _greedy_spend(offers, amount))
    return most if math.isfinite(most) else 0.0


def _forced_spend(lever: Lever, labels: Sequence[int | str]) -> float:
    """The least a lever spends in any plan: its min_units or fixed_units at its
    cheapest, with its fixed cost, or its min_spend."""
    units = max(lever.min_units, lever.fixed_units or 0.0)
    cheapest = min(lever.net_unit_cost_in(p) for p in labels)
    least = units * cheapest + (lever.fixed_cost if units > 0 else 0.0)
    return max(least, lever.min_spend or 0.0)


def _bought(offers: list[tuple[float, float, float, float, float | None]], spend: float
            ) -> float:
    """The exports a greedy fill (cheapest per export first) buys with ``spend``."""
    left, exports = spend, 0.0
    for _, cost, gain, fixed, b in offers:
        if left <= fixed:
            continue
        units = (left - fixed) / cost if cost > 0 else math.inf
        units = min(units, b if b is not None else math.inf)
        if not math.isfinite(units):
            continue
        exports += gain * units
        left -= fixed + cost * units
    return exports


def relation_caps(s: Scenario) -> dict[str, float]:
    """Caps on a lever's units over the horizon that a ``constraints:`` row implies.

    Every term is never negative (units, net spend and exports of a lever all are),
    so in ``sum(coef * term) <= rhs`` (a ``>=`` row negated, an ``==`` row read both
    ways) a term with a positive coefficient is at most ``(rhs + sum |coef| * most
    of each negative term) / coef``, the most of a term coming from the lever's own
    caps (max_units, max_spend, the ceiling). That cap on units, spend or
    last-period exports is turned into one on units: units <= cap, units <= cap /
    cheapest net unit cost, units <= cap / (yield * (1 - attrition)^(periods - 1))
    for a lever without a lag (every unit funded is still partly active at the end).
    A ceiling of 301B beside ``spend(a) + spend(b) <= 46.2`` would otherwise leave
    b a big-M of 3.5e13 whole units, and ``exports(a) - 0.1 * exports(b) <= 1e10``
    beside a ceiling of 700B an a of 1e13 units where 333 is the most it can use."""
    levers = s.enabled_levers()
    labels = s.period_labels
    own = {lid: unit_upper_bound(lv, s.budget.ceiling, labels) for lid, lv in levers.items()}

    def most(term: Term) -> float:
        lv, bound = levers[term.lever], own[term.lever]
        if term.outcome is not None:
            # (an outcome's active units never exceed the units funded; a curve's
            # outcome its top)
            curve = lv.outcome_curve(term.outcome)
            if curve:
                return max(v for _, v in curve)
            return math.inf if bound is None else lv.outcome_yield(term.outcome) * bound
        if term.kind == "exports" and lv.yield_curve:
            return _most_exports(lv, 0.0)
        if bound is None:
            return math.inf
        if term.kind == "units":
            return bound
        return _most_spend(lv, bound, labels) if term.kind == "spend" else _most_exports(lv, bound)

    out: dict[str, float] = {}
    for c in s.constraints:
        rel = parse_relation(c.expr, list(levers), outcomes=s.other_outcomes)
        signs = {"<=": (1.0,), ">=": (-1.0,), "==": (1.0, -1.0)}.get(rel.sense, ())
        for sign in signs:
            coefs = {t: sign * v for t, v in rel.coefs.items() if v}
            room = sign * rel.rhs + sum(-v * most(t) for t, v in coefs.items() if v < 0)
            if not math.isfinite(room):
                continue
            for term, coef in coefs.items():
                if coef <= 0 or term.outcome is not None:
                    continue  # (no cap on units is read off an outcome here)
                cap = _units_within(levers[term.lever], term.kind, max(room, 0.0) / coef,
                                    labels)
                if cap is not None:
                    out[term.lever] = min(out.get(term.lever, math.inf), cap)
    return out


def _units_within(lever: Lever, kind: str, most: float, labels: Sequence[int | str]
                  ) -> float | None:
    """The most units over the horizon a lever can fund when its units, spend or
    last-period exports (``kind``) are at most ``most``; None when that says nothing."""
    if kind == "units":
        return most
    if kind == "spend":
        net = min(lever.net_unit_cost_in(p) for p in labels)
        return most / net if net > 0 else None
    if lever.lag:  # units funded in the last periods export nothing yet
        return None
    keep = last_share(lever, labels)
    curve = lever.yield_curve
    if not curve:
        gain = (lever.yield_per_unit or 0.0) * keep
        return most / gain if gain > 0 else None
    # a curve rising everywhere: active units beyond where it reaches ``most``
    # would export more than that
    if any(e1 <= e0 for (_, e0), (_, e1) in zip(curve, curve[1:], strict=False)):
        return None
    for (u0, e0), (u1, e1) in zip(curve, curve[1:], strict=False):
        if most <= e1:
            active = u0 + (u1 - u0) * max(most - e0, 0.0) / (e1 - e0)
            return active / keep if keep > 0 else None
    return None


def _counted_amounts(relations: Sequence[Relation]) -> dict[str, float]:
    """The amount of each lever's units a constraint's right-hand side speaks of
    (``delta + 2 * gamma >= 12.1``: 12.1 of delta, 6.05 of gamma): a row the lever's
    model unit must be fine enough to see (unit_scale)."""
    out: dict[str, float] = {}
    for rel in relations:
        for term, coef in rel.coefs.items():
            if term.kind == "units" and coef and rel.rhs:
                amount = abs(rel.rhs / coef)
                out[term.lever] = min(out.get(term.lever, math.inf), amount)
    return out


def _tighter(bound: float | None, cap: float | None) -> float | None:
    if cap is None:
        return bound
    return cap if bound is None else min(bound, cap)


def _best_average_yield(lever: Lever) -> float:
    """Exports per unit at the lever's best point: its yield, or a curve's best
    average (breakpoint exports over breakpoint units)."""
    if lever.yield_curve:
        return max((e / u for u, e in lever.yield_curve if u > 0), default=0.0)
    return lever.yield_per_unit or 0.0


def _most_spend(lever: Lever, bound: float, labels: Sequence[int | str]) -> float:
    """An upper bound on what a lever can spend over the horizon."""
    cost = max(lever.net_unit_cost_in(p) for p in labels)
    return lever.fixed_cost + bound * (cost + lever.recurring_cost * len(labels))


def _most_exports(lever: Lever, bound: float) -> float:
    """An upper bound on a lever's exports in any period."""
    if lever.yield_curve:
        return max(e for _, e in lever.yield_curve)
    return (lever.yield_per_unit or 0.0) * bound


def _costs(lever: Lever, labels: Sequence[int | str]) -> list[float]:
    """What one unit of a lever costs, in the reporting currency."""
    return [*(lever.net_unit_cost_in(p) for p in labels), lever.recurring_cost]


def negligible(lever: Lever, goals: tuple[float, float], s: Scenario) -> bool:
    """An integer lever whose whole unit moves cost and exports by at most
    NEGLIGIBLE of their goals: its integrality is below what a solver's absolute
    tolerances can see at the goal's scale, and keeping it would force units so
    fine that the goal becomes 1e11 model units. It is solved continuous and its
    units rounded to whole ones afterwards (the plan is then re-solved with them
    fixed, and the relaxation's bound covers the rounding).
    """
    spend, exports = goals
    if not lever.integer or spend <= 0 or exports <= 0:
        return False
    return (max(_costs(lever, s.period_labels)) <= NEGLIGIBLE * spend
            and _largest_yield(lever) <= NEGLIGIBLE * exports)


def _smallest_yield(lever: Lever) -> float:
    if lever.yield_curve:
        pts = lever.yield_curve
        slopes = [abs(e1 - e0) / (u1 - u0)
                  for (u0, e0), (u1, e1) in zip(pts, pts[1:], strict=False) if u1 > u0]
        return min((x for x in slopes if x > 0), default=0.0)
    return lever.yield_per_unit or 0.0


def _largest_yield(lever: Lever) -> float:
    if lever.yield_curve:
        pts = lever.yield_curve
        return max(abs(e1 - e0) / (u1 - u0)
                   for (u0, e0), (u1, e1) in zip(pts, pts[1:], strict=False) if u1 > u0)
    return lever.yield_per_unit or 0.0


def unit_scale(
    lever: Lever, scales: tuple[float, float], periods: Sequence[int | str],
    bound: float | None, relaxed: bool = False, least: float | None = None,
    dust_goal: float | None = None, switched: bool = True,
) -> float:
    """Scenario units per model unit: cost or yield per model unit in [1, 10) of
    its model unit (``scales``: spend's, exports').

    ``dust_goal``: the exports goal in model units where a yield that can never
    add up to DUST of it is left out (see _without_dust); None where it is kept.

    Clamped so the lever's largest size stays within 1e7 model units where it is
    ``switched`` (a use switch's big-M beyond that is as harmful as a tiny
    coefficient); a lever without one keeps its unit (a continuous lever with room
    for 1.4e9 units was counted in thousands, which put its yield 1e10 above an
    integer lever's in the target row, and HiGHS proved a plan 1e-3 too dear). An
    integer lever keeps its own unit unless it is ``relaxed`` (negligible), and then
    is counted in whole powers of ten of its units, at least one.
    """
    if lever.integer and not relaxed:
        return 1.0
    costs = [lever.net_unit_cost_in(p) for p in periods] + [lever.recurring_cost]
    cost, gain = max(costs) / scales[0], _largest_yield(lever) / scales[1]
    per_unit = max(cost, gain)
    if per_unit <= 0:
        return 1.0
    scale = 10.0 ** -math.floor(math.log10(per_unit))
    low = min(v for v in (cost, gain) if v > 0)
    # a yield that is dust beside the goal (0.0115 exports a unit, at most 19,205 USD
    # beside 1e14) is left out of the model, not lifted: lifting it made the unit
    # 1e5 units and its cost 422,000 model units a unit beside costs of 8.9e-5 in
    # the budget row, and HiGHS bounded that MIP 1.6% below its optimum
    # (a curve's slopes are never left out: lifting them stays)
    dust = (low == gain and not lever.yield_curve and dust_goal is not None
            and bound is not None and gain * bound * len(periods) <= DUST * dust_goal)
    if low * scale < 1e-5 and not dust:
        # a lever whose cost and yield are far apart in their model units: both
        # nearer the middle (the smaller up to 1e-5, the larger at most 1e5)
        scale *= 10.0 ** min(5, math.ceil(math.log10(1e-5 / (low * scale))))
    if bound and switched:
        scale = max(scale, 10.0 ** math.ceil(math.log10(bound / MAX_MODEL_UNITS)))
    if least:
        # the least a lever funds when the file sets one (min_units, fixed_units,
        # min_units_if_used, 1 unit when required) stays at least 1e-2 model
        # units: HiGHS's absolute tolerances (1e-7, 1e-9 strict) are then within
        # the re-check's 1e-6 of it (at 1e-4, a required unit came back 0.999116)
        scale = min(scale, 10.0 ** math.floor(math.log10(least * 1e2)))
    if bound and least:
        # ... but the largest size is held within MAX_MODEL_UNITS again, as far as
        # cost and yield per model unit stay at most 1e5: that size is the big-M of
        # the use switch, and HiGHS 1.16 gave a wrong MIP bound (1461.447 where a
        # plan of the same model reached 1461.535) beside one of 6.4e8 (a ceiling
        # over 1.56e-6 in units of 100, kept fine for a min_units_if_used of 5.44)
        widest = 10.0 ** math.ceil(math.log10(bound / MAX_MODEL_UNITS))
        if widest > scale:
            scale = max(scale, min(widest, 10.0 ** math.floor(math.log10(1e5 / per_unit))))
    return max(scale, 1.0) if relaxed else scale


def formulation(lever: Lever, lid: str, relations: Sequence[Relation]) -> Formulation:
    """How a lever's exports enter the model (see the module docstring)."""
    if not lever.yield_curve:
        return "linear"
    if not lever.is_concave:
        return "piecewise_binary"
    for rel in relations:
        for term, coef in rel.coefs.items():
            if term.kind != "exports" or term.lever != lid:
                continue
            helps = (rel.sense == ">=" and coef > 0) or (rel.sense == "<=" and coef < 0)
            if not helps:
                return "piecewise_binary"
    return "concave_lp"


def _period_index(labels: list[int | str], keyed: dict[int | str, float]) -> dict[int, float]:
    return Periods(tuple(labels)).by_index(keyed)


def model_data(s: Scenario, file: str = "<scenario>",
               units: tuple[float, float] | None = None, relax: bool = True,
               whole: bool = False, goal_unit: float | None = None
               ) -> tuple[ModelData, Scaling]:
    """Translate a validated scenario into scaled model data.

    ``units``: the model units of spend and exports to use instead of this
    scenario's own (a search that moves the target towards 0 keeps the file's
    scaling). ``goal_unit``: a max objective's goal units per model unit (fitted to
    an answer; default: from a guess at its size). ``relax`` False keeps the model
    exact: every integer lever whole (see negligible) and no yield left out as dust
    (see _without_dust); ``whole`` keeps every integer lever whole but still leaves
    dust out."""
    levers = s.enabled_levers()
    ids = list(levers)
    labels = s.period_labels
    horizon = len(labels)
    money, export = units or money_scales(s)
    ceiling = s.budget.ceiling
    # units given were fitted to an answer (engine.Session.solve): its size, then
    goals = _goals(s) if units is None else (money * 1e3, export * 1e3)
    relaxed = {lid for lid, lv in levers.items()
               if relax and not whole and negligible(lv, goals, s)}
    needed_by = {r for lv in levers.values() for r in lv.requires}
    relations = [parse_relation(c.expr, ids, outcomes=s.other_outcomes) for c in s.constraints]
    counted = _counted_amounts(relations)
    # a floor on another outcome speaks of the units of each lever that would meet it
    # alone (floor / yield): the lever's model unit must be fine enough to see them (3
    # jobs beside a lever that makes 394 a unit and costs 0.00138: its model unit of
    # 1e4 units put 4e11 of the floor's row in one model unit)
    for name, goal in s.target.outcomes.items():
        for floor in (goal.min, *goal.milestones.values()):
            for lid, lv in levers.items():
                y = lv.outcome_rate(name)
                if floor and y > 0:
                    counted[lid] = min(counted.get(lid, math.inf), floor / y)
    # a lever whose fixed cost could meet a spend floor funds a whole unit when used
    # (integer) or a sliver: a whole unit must stay visible in its model unit
    for lid, lv in levers.items():
        spends = lv.min_spend is not None or any(
            t.kind == "spend" and t.lever == lid for rel in relations for t in rel.coefs)
        if lv.integer and lv.fixed_cost and spends:
            counted[lid] = min(counted.get(lid, math.inf), 1.0)
    caps = relation_caps(s)
    spent = {term.lever for rel in relations for term in rel.coefs if term.kind == "spend"}
    # a continuous lever whose fixed cost could meet a spend floor funds a sliver
    # when used (_use_floor: SMALLEST_UNITS model units). Its model unit is made
    # fine enough that the sliver costs at most 1e-8 of that fixed cost, which any
    # plan using the lever pays: else the proof of optimality, which allows for
    # the sliver, misses by its cost (1e6 USD of units beside a 1e10 answer).
    for lid, lv in levers.items():
        cost = max(_costs(lv, labels))
        if (lv.fixed_cost and not lv.integer and not lv.min_units_if_used and cost > 0
                and (lv.min_spend is not None or lid in spent)):
            # (and at least 1e-8 units: a plan reads values below 1e-9 as 0)
            sliver = max(1e-8 * lv.fixed_cost / cost, 1e-8)  # units
            # unit_scale keeps a least amount at 1e-2 model units or more
            counted[lid] = min(counted.get(lid, math.inf), sliver / SMALLEST_UNITS * 1e-2)
    # a floor or lock near a curve's last breakpoint (the most active units) must be
    # told from it: fixed_units of 5.07 beside a curve ending at 5.06999 were 1e-7
    # model units apart, inside HiGHS's tolerance, and the plan it called optimal
    # broke the curve (the file is infeasible). Their gap is kept at least 1e-5 model
    # units (unit_scale keeps a least amount at 1e-2 of them: the gap times 1e3).
    for lid, lv in levers.items():
        if not lv.yield_curve:
            continue
        end = lv.yield_curve[-1][0]
        gaps = [abs(end - v) for v in (lv.fixed_units, lv.min_units) if v and v != end]
        if gaps:
            counted[lid] = min(counted.get(lid, math.inf), min(gaps) * 1e3)
    weighed = {term.lever for rel in relations for term in rel.coefs if term.kind == "exports"}
    # dust is judged beside the smallest exports a plan must reach: a milestone of
    # 22.4 USD beside 1.27e12 of exports is all of its period's row, and a yield
    # left out as dust beside the goal made a lever that met it cheaply useless
    # (HiGHS then proved a plan 1.7e-5 short of the optimum, case 18-2913)
    dust_goal = min([goals[1], *(abs(v) for v in s.target.milestones.values() if v)]) / export
    requires = [(ids.index(a), ids.index(r)) for a, lv in levers.items() for r in lv.requires]
    excludes = [(ids.index(a), ids.index(e)) for a, lv in levers.items() for e in lv.excludes]
    logic = {i for pair in requires + excludes for i in pair}
    # the levers with a use switch (a binary "used"): a fixed cost, a least use, or
    # a requires/excludes rule (a min_units_if_used of 0 says nothing, so no binary)
    switched = {lid for i, (lid, lv) in enumerate(levers.items())
                if lv.fixed_cost or lv.min_units_if_used or i in logic}
    scales = {lid: unit_scale(lv, (money, export), labels,
                              _tighter(unit_upper_bound(lv, ceiling, labels), caps.get(lid)),
                              lid in relaxed,
                              min([v for v in (lv.min_units_if_used, lv.min_units,
                                               lv.fixed_units, counted.get(lid),
                                               1.0 if lid in needed_by else None) if v],
                                  default=None),
                              dust_goal if relax and lid not in weighed else None,
                              lid in switched)
              for lid, lv in levers.items()}
    period_caps = _period_index(labels, s.budget.per_period)
    curves = _outcome_curves(s, scales, relations)
    required = {r for _, r in requires}
    problems: list[Problem] = []
    out: list[LeverData] = []
    for i, (lid, lv) in enumerate(levers.items()):
        k = scales[lid]
        bound = _tighter(unit_upper_bound(lv, ceiling, labels), caps.get(lid))
        needs_use = lid in switched
        if needs_use and bound is None:
            problems.append(Problem(
                file, "requires/excludes need an upper bound on this lever's units: set "
                "max_units, max_spend or budget.ceiling (got no bound)", f"levers.{lid}"))
        on_off = None if bound is None else _whole(bound, lv.integer) / k
        out.append(
            LeverData(
                id=lid,
                cost=tuple(lv.net_unit_cost_in(p) * k / money for p in labels),
                yield_=(lv.yield_per_unit or 0.0) * k / export,
                lower=lv.min_units / k,
                upper=None if lv.max_units is None else lv.max_units / k,
                integer=lv.integer and lid not in relaxed,
                grain=1.0 / k if lid in relaxed else None,
                fixed_cost=lv.fixed_cost / money,
                on_off_bound=on_off,
                min_spend=None if lv.min_spend is None else lv.min_spend / money,
                max_spend=None if lv.max_spend is None else lv.max_spend / money,
                recurring=lv.recurring_cost * k / money,
                lag=lv.lag,
                attrition=lv.attrition,
                max_per_period=(None if lv.max_units_per_period is None
                                else lv.max_units_per_period / k),
                curve=None if not lv.yield_curve else Curve(
                    units=tuple(u / k for u, _ in lv.yield_curve),
                    exports=tuple(e / export for _, e in lv.yield_curve),
                ),
                formulation=formulation(lv, lid, relations),
                fixed_units=None if lv.fixed_units is None else lv.fixed_units / k,
                needs_use=needs_use,
                use_floor=None if not needs_use or on_off is None else _use_floor(
                    lv, k, on_off, i in required,
                    lv.min_spend is not None or lid in spent),
                pin_start=(None if not (lv.fixed_cost and period_caps and horizon > 1
                                        and on_off is not None)
                           else (1.0 / k if lv.integer
                                 else min(on_off, SMALLEST_UNITS))),
            )
        )
        out[-1] = replace(out[-1], floor_cost=_floor_cost(out[-1], lv, i in required, horizon))
    if problems:
        raise ScenarioError(problems)
    data = ModelData(
        # (a lever whose exports a constraint weighs keeps its yield: dust beside
        # the target can be all of such a row)
        levers=tuple(lv if not relax or lv.id in weighed
                     else _without_dust(lv, dust_goal, horizon) for lv in out),
        needed=s.target.needed / export,
        ceiling=None if ceiling is None else ceiling / money,
        objective=stage_of(s),
        rows=tuple(_rows(s, relations, ids, scales, (money, export), out, curves)),
        periods=horizon,
        weights=s.timeline.weights,
        milestones=tuple(sorted((k, v / export) for k, v in
                                _period_index(labels, s.target.milestones).items())),
        period_ceilings=tuple(sorted((k, v / money) for k, v in period_caps.items())),
        requires=tuple(requires),
        excludes=tuple(excludes),
        outcome_floors=tuple(_outcome_floors(s, scales, out, curves)),
        outcome_curves=tuple(curves),
    )
    if data.objective != "max_goal":
        goal_unit = None
    elif goal_unit is None:
        goal_unit = _near_thousand(_goal_size(s))
    if goal_unit is not None:
        data = replace(data, goal=Goal(
            exports=s.goal.get(EXPORTS, 0.0) * export / goal_unit,
            yields=tuple(sum(w * lv.outcome_yield(o) for o, w in s.goal.items() if o != EXPORTS)
                         * scales[lid] / goal_unit for lid, lv in levers.items()),
            curves=tuple((n, s.goal[c.outcome] * c.unit / goal_unit)
                         for n, c in enumerate(curves) if c.outcome in s.goal)))
    _check_range(data, file, (money, export), goals[0] / money)
    return data, Scaling(money, scales, export, goal_unit)


def goal_unit_for(value: float) -> float:
    """A max objective's goal unit that puts an answer of ``value`` near 1e3 model units."""
    return _near_thousand(abs(value))


def stage_of(s: Scenario) -> Literal["min_cost", "max_exports", "max_goal"]:
    """The model's objective for ``s``'s first stage: min_cost, max_exports, or
    max_goal for a max objective over other outcomes ({max: O}, weighted)."""
    if not s.maximises:
        return "min_cost"
    return "max_exports" if s.goal == {EXPORTS: 1.0} else "max_goal"


def _goal_size(s: Scenario) -> float:
    """The size of a max objective's weighted outcomes, roughly: what a greedy fill by
    cost per weighted outcome buys within the ceiling and each lever's largest size
    (as _goals guesses exports); 1 where that is nothing."""
    labels = s.period_labels
    caps = relation_caps(s)
    offers = []
    for lid, lv in s.enabled_levers().items():
        b = _tighter(unit_upper_bound(lv, s.budget.ceiling, labels), caps.get(lid))
        gain = sum(w * (_best_average_yield(lv) if o == EXPORTS else lv.outcome_rate(o))
                   for o, w in s.goal.items())
        cost = max(_costs(lv, labels))
        if gain > 0 and cost > 0:
            offers.append((cost / gain, cost, gain, lv.fixed_cost, b))
    offers.sort(key=lambda o: (*o[:4], math.inf if o[4] is None else o[4]))
    size = _bought(offers, s.budget.ceiling or 0.0)
    return size if 0 < size < math.inf else 1.0


def _outcome_curves(s: Scenario, scales: Mapping[str, float], relations: Sequence[Relation]
                    ) -> list[OutcomeCurve]:
    """Each lever's yield_curves entry, in a curve model unit that puts its top near
    1,000 (the floors' rule), its breakpoints in the lever's model units, formulated
    as the exports curve is (see formulation): by its hypograph where the curve is
    concave and more of the outcome only helps (floors, a max objective, constraints
    that ask for more of it), else exactly with binaries."""
    out: list[OutcomeCurve] = []
    for i, (lid, lv) in enumerate(s.enabled_levers().items()):
        for name, points in lv.yield_curves.items():
            helps = lv.outcome_concave(name) and all(
                (rel.sense == ">=" and coef > 0) or (rel.sense == "<=" and coef < 0)
                for rel in relations for term, coef in rel.coefs.items()
                if term.lever == lid and term.outcome == name)
            top = max(v for _, v in points)
            unit = _near_thousand(top) if top > 0 else 1.0
            out.append(OutcomeCurve(i, name, Curve(
                units=tuple(u / scales[lid] for u, _ in points),
                exports=tuple(v / unit for _, v in points)), unit,
                "concave_lp" if helps else "piecewise_binary"))
    return out


def _outcome_floors(s: Scenario, scales: Mapping[str, float], data: Sequence[LeverData],
                    curves: Sequence[OutcomeCurve] = ()) -> list[OutcomeFloor]:
    """The floors and milestones on outcomes besides exports, one row each. Each row
    is counted in a power of ten of its outcome that puts its floor near 1,000 (the
    same rule as the export unit: HiGHS's feasibility tolerance is absolute); a
    floor of 0 is no limit and no row.

    A lever's yield too small for the row (under SMALLEST) whose most possible part
    of it (the lever's largest size times it, over the horizon) is under
    OUTCOME_DUST of the floor is left out: HiGHS would drop it, and the range check
    would refuse the file for a lever that cannot matter (1e-6 jobs a unit, 10 units,
    beside a floor of 1B). Leaving it out only makes plans meet the floor with more
    of the others, by at most that share; the re-check counts it."""
    labels = s.period_labels
    levers = s.enabled_levers()
    out = []
    for name, goal in s.target.outcomes.items():
        floors = [(k, v) for k, v in sorted(_period_index(labels, goal.milestones).items())]
        # (a maximised outcome's own floor is ignored; its milestones hold, as exports'
        # do under max_exports)
        if goal.min is not None and name not in s.goal:
            floors.append((len(labels) - 1, goal.min))
        for k, floor in floors:
            if floor <= 0:
                continue
            unit = _near_thousand(floor)
            yields = [lv.outcome_yield(name) * scales[lid] / unit for lid, lv in levers.items()]
            yields = [0.0 if _dust(lv, y, floor / unit, len(labels), OUTCOME_DUST)
                      else y for lv, y in zip(data, yields, strict=True)]
            on_curve = tuple((n, c.unit / unit) for n, c in enumerate(curves)
                             if c.outcome == name)
            out.append(OutcomeFloor(name, k, tuple(yields), floor / unit, unit, on_curve))
    return out


def _dust(lv: LeverData, value: float, goal: float, horizon: int, share: float = DUST
          ) -> bool:
    """A per-unit coefficient below SMALLEST whose most possible effect (the lever's
    largest size times it, over the horizon) stays under ``share`` of the goal."""
    if lv.on_off_bound is None or not 0 < abs(value) < SMALLEST:
        return False
    return abs(value) * lv.on_off_bound * horizon <= share * goal


def _without_dust(lv: LeverData, goal: float, horizon: int) -> LeverData:
    """A lever's dust yield (see _dust) set to 0.

    HiGHS would drop such a coefficient from the target row silently, and
    _check_range would refuse the file for a number that cannot matter. The
    plan's exports are re-computed from the file, so the dust is counted there.
    Dust costs stay: in the objective they are harmless at any size (HiGHS drops
    them from the budget rows only, by less than DUST of the goal), and dropping
    them would bias the certificate's bound by their whole amount.
    """
    if not _dust(lv, lv.yield_, goal, horizon):
        return lv
    assert lv.on_off_bound is not None
    return replace(lv, yield_=0.0, dust_exports=lv.yield_ * lv.on_off_bound)


def _rows(
    s: Scenario, relations: list[Relation], ids: list[str], scales: dict[str, float],
    units: tuple[float, float], levers: Sequence[LeverData],
    curves: Sequence[OutcomeCurve] = (),
) -> list[RowData]:
    rows = []
    on_curve = {(ids[c.lever], c.outcome): n for n, c in enumerate(curves)}
    for r, rel in enumerate(relations):
        terms: list[tuple[RowKind, int, float]] = []
        for term, coef in rel.coefs.items():
            i = ids.index(term.lever)
            n = on_curve.get((term.lever, term.outcome or ""))
            if n is not None:
                # outcome O of lever l on its curve: the curve's value (its model unit)
                terms.append(("curve", n, coef * curves[n].unit))
                continue
            if term.outcome is not None:
                # outcome O of lever l = yields[O, l] * its last-period active units
                lever = s.levers[term.lever]
                terms.append(("active", i, coef * lever.outcome_yield(term.outcome)
                              * scales[term.lever]))
                continue
            kind: RowKind = "units" if term.kind == "units" else \
                "spend" if term.kind == "spend" else "exports"
            per = {"units": scales[term.lever], "spend": units[0], "exports": units[1]}[kind]
            terms.append((kind, i, coef * per))
        # normalise the row so its largest coefficient in the matrix (the term's
        # coefficient times the lever's cost or yield per model unit) is 1: rows
        # mixing counts and money would otherwise span many orders of magnitude,
        # and a row of exports worth 1e-14 export units would vanish in HiGHS
        top = max(abs(c) * (1.0 if kind == "curve" else _per_model_unit(levers[i], kind))
                  for kind, i, c in terms) or max(
            abs(c) for _, _, c in terms) or max(abs(rel.rhs), 1.0)
        # (every coefficient 0: outcome terms of levers that do not yield the outcome;
        # the row is then 0 SENSE rhs, held or broken as the re-check finds it)
        if rel.rhs and abs(rel.rhs) < top:
            # a right side below the largest term is lifted to 1, or as far as the
            # largest coefficient stays 1e7: HiGHS's tolerances are absolute (1e-6 in
            # a MIP), so a right side of 5.7e-5 (43,800 beside a unit of 765M) let a
            # plan 0.5% over it through, and spend(gamma) <= 2 spend(alpha) + 0.0131
            # beside alpha's 141,200 a unit (9.3e-8) overran gamma's cap by 0.3%
            top = max(abs(rel.rhs), top * 1e-7)
        rows.append(
            RowData(
                label=s.constraint_label(r),
                terms=tuple((kind, i, c / top) for kind, i, c in terms),
                sense=rel.sense,
                rhs=rel.rhs / top,
            )
        )
    return rows


def _per_model_unit(lv: LeverData, kind: str) -> float:
    """What one model unit of a lever puts into a row's term of this kind."""
    if kind in ("units", "active", "curve"):
        return 1.0
    if kind == "spend":
        return max(lv.cost) + lv.recurring
    if lv.curve is not None:
        return max(abs(x) for x in lv.curve.slopes)
    return lv.yield_


def _floor_cost(lv: LeverData, lever: Lever, required: bool, horizon: int) -> float:
    """The most the floors that stand in for "units > 0" can add to a lever's spend,
    in model money: the spec's optimum may fund a sliver less, and a proof of
    optimality allows for it (engine._certify). None where the file sets the floor
    (min_units_if_used, the unit a required lever funds) or units are whole."""
    slivers = [f for f in (lv.use_floor, lv.pin_start) if f]
    if not slivers or lever.integer or lever.min_units_if_used or required:
        return 0.0
    return max(slivers) * (max(lv.cost) + lv.recurring * horizon) * horizon


def _use_floor(lever: Lever, scale: float, on_off: float, required: bool,
               spend_counts: bool) -> float | None:
    """Least units (model units) a used lever funds over the horizon.

    min_units_if_used, and at least 1 unit when another lever requires this one
    (the spec). Where the lever's spend counts towards a floor (min_spend, a
    ``spend()`` term in a constraint), its fixed cost must not be paid for no units:
    a whole unit for an integer lever, else SMALLEST_UNITS model units. None
    otherwise: "used" with nothing funded only pays a fixed cost for nothing or
    shuts out an excluded lever, which no optimum does, and a floor there made
    plans fund units they did not need.
    """
    least = 0.0
    if spend_counts:
        least = 1.0 / scale if lever.integer else min(on_off, SMALLEST_UNITS)
    if lever.min_units_if_used:
        least = max(least, lever.min_units_if_used / scale)
    if required:
        least = max(least, 1.0 / scale)
    if least > on_off:
        # above on_off the lever simply cannot be used; any floor above it says so,
        # and one far above it (a min_units_if_used of 1e6 units where a constraint
        # allows none: 1e18 model units) is a coefficient HiGHS refuses outright
        least = max(2.0 * on_off, 1.0)
    return least or None


def _whole(bound: float, integer: bool) -> float:
    # an integer lever can never exceed floor(bound); a tighter big-M helps branching
    return math.floor(bound + 1e-9) if integer else bound


def _check_range(data: ModelData, file: str, units: tuple[float, float], goal: float
                 ) -> None:
    """Every coefficient within [SMALLEST, LARGEST] of its model units, or a
    problem naming the field; ``goal`` is the spend goal in model units (a cost
    under it by DUST is let through, see _dust)."""
    problems = []
    spend_unit, export_unit = units

    def check(path: str, value: float | None, lever: LeverData | None = None,
              unit: float | None = spend_unit, per: str | None = None) -> None:
        if lever is not None and value and _dust(lever, value, goal, data.periods):
            return
        if value and not SMALLEST <= abs(value) <= LARGEST:
            per = per or ("of a constraint's row, scaled to its largest term" if unit is None
                          else f"in {unit:g}s of the reporting currency per model unit")
            problems.append(
                Problem(
                    file,
                    f"coefficient {value:.3g} ({per}) is outside what the solver represents "
                    f"reliably [{SMALLEST:g}, {LARGEST:g}]; change the lever's unit",
                    path,
                )
            )

    for lv in data.levers:
        for cost in set(lv.cost):
            check(f"levers.{lv.id}.unit_cost", cost, lv)
        check(f"levers.{lv.id}.yield_per_unit", lv.yield_, unit=export_unit)
        check(f"levers.{lv.id}.fixed_cost", lv.fixed_cost)
        if lv.min_spend and lv.min_spend < SMALLEST_BOUND:
            # a spend floor is a right-hand side: under HiGHS's tolerances it is
            # not kept, and a plan that ignores it fails the re-check
            problems.append(Problem(
                file, f"a spend floor this small is outside what the solver represents "
                f"reliably at this plan's scale (spend is counted in {spend_unit:g}s of "
                f"the reporting currency; a floor must be at least "
                f"{SMALLEST_BOUND * spend_unit:g}) (got {lv.min_spend * spend_unit:g})",
                f"levers.{lv.id}.min_spend"))
        check(f"levers.{lv.id}.recurring_cost", lv.recurring, lv)
        check(f"levers.{lv.id}.max_units", lv.on_off_bound if lv.needs_use else None,
              unit=1.0)
        if lv.curve is not None:
            for slope in lv.curve.slopes:
                check(f"levers.{lv.id}.yield_curve", slope, unit=export_unit)
    for floor in data.outcome_floors:
        for lv, value in zip(data.levers, floor.yields, strict=True):
            check(f"levers.{lv.id}.yields.{floor.outcome}", value,
                  per="of the outcome's floor row, counted in a power of ten of the "
                      "outcome that puts the floor near 1,000")
    for row in data.rows:
        # (relative to the row's largest term: a row lifted for its right side,
        # see _rows, keeps the spread of its terms, which is what HiGHS must hold)
        sizes = [coef * (_per_model_unit(data.levers[i], kind) or 1.0)
                 for kind, i, coef in row.terms]
        top = max((abs(v) for v in sizes), default=0.0) or 1.0
        for value in sizes:
            check(row.label, value / top, unit=None)
    if problems:
        raise ScenarioError(problems)


def chance_data(s: Scenario, scaling: Scaling, draws: Mapping[str, Any], confidence: float
                ) -> Chance:
    """The chance constraint's samples in model units: each enabled lever's yield
    (drawn, or its point value) and 1 - attrition per sample; ``required`` is the
    least whole number of samples that is at least ``confidence`` of them."""
    levers = s.enabled_levers()
    n = len(next(iter(draws.values()))) if draws else 1
    yields, keeps = [], []
    for lid, lv in levers.items():
        per = scaling.units[lid] / scaling.exports
        got = draws.get(f"levers.{lid}.yield_per_unit")
        yields.append([(lv.yield_per_unit or 0.0) * per] * n if got is None
                      else [float(v) * per for v in got])
        att = draws.get(f"levers.{lid}.attrition")
        keeps.append([1.0 - lv.attrition] * n if att is None else [1.0 - float(v) for v in att])
    required = min(n, math.ceil(confidence * n - 1e-9))
    return Chance(
        yields=tuple(tuple(row[j] for row in yields) for j in range(n)),
        keeps=tuple(tuple(row[j] for row in keeps) for j in range(n)),
        required=required,
    )
