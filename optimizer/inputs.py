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
from typing import Any

from models.data import Chance, Curve, Formulation, LeverData, ModelData, RowData
from optimizer.errors import Problem, ScenarioError
from optimizer.expressions import Relation, parse_relation
from optimizer.scenario import unit_upper_bound
from optimizer.schema import Lever, Scenario

# Coefficients outside this band are refused: HiGHS would drop them silently
# or lose the plan to round-off.
SMALLEST, LARGEST = 1e-8, 1e10
# Where a fixed cost could be paid for nothing to meet a spend floor, or must fall
# in the period a lever starts under per-period ceilings, a used lever funds at
# least this share of its largest size, and never less than SMALLEST_UNITS model
# units (ten times the 1e-6 within which engine._plan snaps a value to a bound),
# so the sliver is never read as dust.
START_FLOOR = 1e-9
SMALLEST_UNITS = 1e-5
MAX_MODEL_UNITS = 1e7
# An integer lever whose unit is worth at most this share of the goal is
# solved continuous and rounded (see negligible).
NEGLIGIBLE = 1e-7
# A coefficient whose most possible effect is below this share of the goal is 0
# in the model (see _without_dust).
DUST = 1e-8


@dataclass(frozen=True)
class Scaling:
    money: float
    """Reporting currency per model money unit."""
    units: dict[str, float]
    """Scenario units per model unit, by lever id."""


def money_scale(s: Scenario) -> float:
    """Reporting-currency units per model money unit: a power of ten.

    The goal near 1e3 model money: the target for min_cost, the ceiling for
    max_exports, each cut to what the levers can reach at all (the most
    exports, the most spend their caps allow: a ceiling of 1000B over a lever
    capped at $12 would otherwise make the whole plan look like dust). Never
    so coarse that a whole unit of an integer lever costs or yields less than
    1e-2 of it, HiGHS's tolerances being absolute; integer levers whose unit
    is negligible against the goal are solved continuous (see negligible)
    and do not count here.
    """
    goal = _goal(s)
    scale = 10.0 ** (math.floor(math.log10(goal)) - 3) if goal > 0 else 1.0
    # each integer lever's largest per-unit value: a smaller one (a unit that
    # costs $0.003 but yields $200,000) is dust beside it, dropped if it can never
    # add up to anything (see _without_dust) and refused if it can
    per_unit = [
        max(_per_unit(lv, s.period_labels))
        for lv in s.enabled_levers().values() if lv.integer and not negligible(lv, goal, s)
    ]
    per_unit = [v for v in per_unit if v > 0]
    if per_unit:
        scale = min(scale, 10.0 ** math.floor(math.log10(min(per_unit) * 100)))
    return max(1e-6, scale)


def _goal(s: Scenario) -> float:
    """The size of the answer, in the reporting currency (see money_scale)."""
    labels = s.period_labels
    levers = s.enabled_levers().values()
    bounds = [unit_upper_bound(lv, s.budget.ceiling, labels) for lv in levers]
    if s.objective == "max_exports" and s.budget.ceiling:
        spend = sum(math.inf if b is None else _most_spend(lv, b, labels)
                    for lv, b in zip(levers, bounds, strict=True))
        return min(s.budget.ceiling, spend) or s.budget.ceiling
    needed = abs(s.target.needed)
    reach = sum(math.inf if b is None else _most_exports(lv, b)
                for lv, b in zip(levers, bounds, strict=True))
    goal = min(needed, reach) if reach > 0 else needed
    return goal or s.budget.ceiling or 0.0


def _most_spend(lever: Lever, bound: float, labels: Sequence[int | str]) -> float:
    """An upper bound on what a lever can spend over the horizon."""
    cost = max(lever.net_unit_cost_in(p) for p in labels)
    return lever.fixed_cost + bound * (cost + lever.recurring_cost * len(labels))


def _most_exports(lever: Lever, bound: float) -> float:
    """An upper bound on a lever's exports in any period."""
    if lever.yield_curve:
        return max(e for _, e in lever.yield_curve)
    return (lever.yield_per_unit or 0.0) * bound


def _per_unit(lever: Lever, labels: Sequence[int | str]) -> list[float]:
    """What one unit of a lever costs or yields, in the reporting currency."""
    return [*(lever.net_unit_cost_in(p) for p in labels), lever.recurring_cost,
            _smallest_yield(lever)]


def negligible(lever: Lever, goal: float, s: Scenario) -> bool:
    """An integer lever whose whole unit moves cost and exports by at most
    NEGLIGIBLE of the goal: its integrality is below what a solver's absolute
    tolerances can see at the goal's scale, and keeping it would force a money
    unit so fine that the goal becomes 1e11 model units. It is solved
    continuous and its units rounded to whole ones afterwards (the plan is then
    re-solved with them fixed, and the relaxation's bound covers the rounding).
    """
    if not lever.integer or goal <= 0:
        return False
    largest = max([*_per_unit(lever, s.period_labels), _largest_yield(lever)])
    return largest <= NEGLIGIBLE * goal


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
    lever: Lever, money: float, periods: Sequence[int | str], bound: float | None,
    relaxed: bool = False,
) -> float:
    """Scenario units per model unit: cost or yield per model unit in [1, 10).

    Clamped so the lever's largest size stays within 1e7 model units (a big-M
    beyond that is as harmful as a tiny coefficient). An integer lever keeps
    its own unit unless it is ``relaxed`` (negligible), and then is counted in
    whole powers of ten of its units, at least one.
    """
    if lever.integer and not relaxed:
        return 1.0
    costs = [lever.net_unit_cost_in(p) for p in periods] + [lever.recurring_cost]
    per_unit = max(max(costs), _largest_yield(lever)) / money
    if per_unit <= 0:
        return 1.0
    scale = 10.0 ** -math.floor(math.log10(per_unit))
    if bound:
        scale = max(scale, 10.0 ** math.ceil(math.log10(bound / MAX_MODEL_UNITS)))
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
    names = [str(p) for p in labels]
    return {names.index(str(key)): value for key, value in keyed.items()}


def model_data(s: Scenario, file: str = "<scenario>", money: float | None = None
               ) -> tuple[ModelData, Scaling]:
    """Translate a validated scenario into scaled model data.

    ``money``: the model money unit to use instead of this scenario's own (a
    search that moves the target towards 0 keeps the file's scaling)."""
    levers = s.enabled_levers()
    ids = list(levers)
    labels = s.period_labels
    horizon = len(labels)
    money = money or money_scale(s)
    ceiling = s.budget.ceiling
    goal = _goal(s)
    relaxed = {lid for lid, lv in levers.items() if negligible(lv, goal, s)}
    scales = {lid: unit_scale(lv, money, labels, unit_upper_bound(lv, ceiling, labels),
                              lid in relaxed)
              for lid, lv in levers.items()}
    relations = [parse_relation(c.expr, ids) for c in s.constraints]
    ceiling = s.budget.ceiling
    period_caps = _period_index(labels, s.budget.per_period)
    requires = [(ids.index(a), ids.index(r)) for a, lv in levers.items() for r in lv.requires]
    excludes = [(ids.index(a), ids.index(e)) for a, lv in levers.items() for e in lv.excludes]
    logic = {i for pair in requires + excludes for i in pair}
    spent = {term.lever for rel in relations for term in rel.coefs if term.kind == "spend"}
    required = {r for _, r in requires}
    problems: list[Problem] = []
    out: list[LeverData] = []
    for i, (lid, lv) in enumerate(levers.items()):
        k = scales[lid]
        bound = unit_upper_bound(lv, ceiling, labels)
        # a min_units_if_used of 0 says nothing, so it needs no binary
        needs_use = bool(lv.fixed_cost) or bool(lv.min_units_if_used) or i in logic
        if needs_use and bound is None:
            problems.append(Problem(
                file, "requires/excludes need an upper bound on this lever's units: set "
                "max_units, max_spend or budget.ceiling (got no bound)", f"levers.{lid}"))
        on_off = None if bound is None else _whole(bound, lv.integer) / k
        out.append(
            LeverData(
                id=lid,
                cost=tuple(lv.net_unit_cost_in(p) * k / money for p in labels),
                yield_=(lv.yield_per_unit or 0.0) * k / money,
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
                    exports=tuple(e / money for _, e in lv.yield_curve),
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
                                 else min(on_off, max(SMALLEST_UNITS, START_FLOOR * on_off)))),
            )
        )
    if problems:
        raise ScenarioError(problems)
    data = ModelData(
        levers=tuple(_without_dust(lv, goal / money, horizon) for lv in out),
        needed=s.target.needed / money,
        ceiling=None if ceiling is None else ceiling / money,
        objective=s.objective,
        rows=tuple(_rows(s, relations, ids, scales, money)),
        periods=horizon,
        weights=tuple(1.0 / (1.0 + s.discount_rate) ** k for k in range(horizon)),
        milestones=tuple(sorted((k, v / money) for k, v in
                                _period_index(labels, s.target.milestones).items())),
        period_ceilings=tuple(sorted((k, v / money) for k, v in period_caps.items())),
        requires=tuple(requires),
        excludes=tuple(excludes),
    )
    _check_range(data, file, money, goal / money)
    return data, Scaling(money, scales)


def _dust(lv: LeverData, value: float, goal: float, horizon: int) -> bool:
    """A per-unit coefficient below SMALLEST whose most possible effect (the lever's
    largest size times it, over the horizon) stays under DUST of the goal."""
    if lv.on_off_bound is None or not 0 < abs(value) < SMALLEST:
        return False
    return abs(value) * lv.on_off_bound * horizon <= DUST * goal


def _without_dust(lv: LeverData, goal: float, horizon: int) -> LeverData:
    """A lever's dust yield (see _dust) set to 0.

    HiGHS would drop such a coefficient from the target row silently, and
    _check_range would refuse the file for a number that cannot matter. The
    plan's exports are re-computed from the file, so the dust is counted there.
    Dust costs stay: in the objective they are harmless at any size (HiGHS drops
    them from the budget rows only, by less than DUST of the goal), and dropping
    them would bias the certificate's bound by their whole amount.
    """
    return replace(lv, yield_=0.0) if _dust(lv, lv.yield_, goal, horizon) else lv


def _rows(
    s: Scenario, relations: list[Relation], ids: list[str], scales: dict[str, float],
    money: float,
) -> list[RowData]:
    rows = []
    for r, rel in enumerate(relations):
        terms = []
        for term, coef in rel.coefs.items():
            per = scales[term.lever] if term.kind == "units" else money
            terms.append((term.kind, ids.index(term.lever), coef * per))
        # normalise the row so its largest coefficient is 1: rows mixing
        # counts and money would otherwise span many orders of magnitude
        top = max(abs(c) for _, _, c in terms)
        rows.append(
            RowData(
                label=s.constraint_label(r),
                terms=tuple((kind, i, c / top) for kind, i, c in terms),
                sense=rel.sense,
                rhs=rel.rhs / top,
            )
        )
    return rows


def _use_floor(lever: Lever, scale: float, on_off: float, required: bool,
               spend_counts: bool) -> float | None:
    """Least units (model units) a used lever funds over the horizon.

    min_units_if_used, and at least 1 unit when another lever requires this one
    (the spec). Where the lever's spend counts towards a floor (min_spend, a
    ``spend()`` term in a constraint), its fixed cost must not be paid for no units:
    a whole unit for an integer lever, else a billionth of its largest size (at
    least SMALLEST_UNITS model units). None otherwise: "used" with nothing funded
    only pays a fixed cost for nothing or shuts out an excluded lever, which no
    optimum does, and a floor there made plans fund units they did not need.
    """
    least = 0.0
    if spend_counts:
        least = 1.0 / scale if lever.integer else min(on_off, max(SMALLEST_UNITS,
                                                                  START_FLOOR * on_off))
    if lever.min_units_if_used:
        least = max(least, lever.min_units_if_used / scale)
    if required:
        least = max(least, 1.0 / scale)
    return least or None  # above on_off, the lever simply cannot be used


def _whole(bound: float, integer: bool) -> float:
    # an integer lever can never exceed floor(bound); a tighter big-M helps branching
    return math.floor(bound + 1e-9) if integer else bound


def _check_range(data: ModelData, file: str, money: float, goal: float) -> None:
    problems = []

    def check(path: str, value: float | None, lever: LeverData | None = None) -> None:
        if lever is not None and value and _dust(lever, value, goal, data.periods):
            return
        if value and not SMALLEST <= abs(value) <= LARGEST:
            problems.append(
                Problem(
                    file,
                    f"coefficient {value:.3g} (in {money:g}s of the reporting currency per "
                    "model unit) is outside what the solver represents reliably "
                    f"[{SMALLEST:g}, {LARGEST:g}]; change the lever's unit",
                    path,
                )
            )

    for lv in data.levers:
        for cost in set(lv.cost):
            check(f"levers.{lv.id}.unit_cost", cost, lv)
        check(f"levers.{lv.id}.yield_per_unit", lv.yield_)
        check(f"levers.{lv.id}.fixed_cost", lv.fixed_cost)
        check(f"levers.{lv.id}.recurring_cost", lv.recurring, lv)
        check(f"levers.{lv.id}.max_units", lv.on_off_bound if lv.needs_use else None)
        if lv.curve is not None:
            for slope in lv.curve.slopes:
                check(f"levers.{lv.id}.yield_curve", slope)
    for row in data.rows:
        for _, _, coef in row.terms:
            check(row.label, coef)
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
        per = scaling.units[lid] / scaling.money
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
