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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.data import LeverData, ModelData, RowData
from optimizer.errors import Problem, ScenarioError
from optimizer.expressions import parse_relation
from optimizer.scenario import unit_upper_bound
from optimizer.schema import Lever, Scenario

# Coefficients outside this band are refused: HiGHS would drop them silently
# or lose the plan to round-off.
SMALLEST, LARGEST = 1e-8, 1e10


@dataclass(frozen=True)
class Scaling:
    money: float
    units: dict[str, float]
    """Scenario units per model unit, by lever id."""


def money_scale(s: Scenario) -> float:
    """Reporting-currency units per model money unit: 10^k, target or ceiling near 1e3."""
    size = max(abs(s.target.needed), s.budget.ceiling or 0.0)
    if size <= 0:
        return 1.0
    return 10.0 ** max(0, math.floor(math.log10(size)) - 3)


def unit_scale(lever: Lever, money: float) -> float:
    if lever.integer:
        return 1.0
    per_unit = max(lever.net_unit_cost, lever.yield_per_unit) / money
    if per_unit <= 0:
        return 1.0
    return 10.0 ** -math.floor(math.log10(per_unit))


def model_data(s: Scenario, file: str = "<scenario>") -> tuple[ModelData, Scaling]:
    """Translate a validated scenario into scaled model data."""
    levers = s.enabled_levers()
    ids = list(levers)
    money = money_scale(s)
    scales = {lid: unit_scale(lv, money) for lid, lv in levers.items()}
    ceiling = s.budget.ceiling
    out: list[LeverData] = []
    for lid, lv in levers.items():
        k = scales[lid]
        bound = unit_upper_bound(lv, ceiling)
        out.append(
            LeverData(
                id=lid,
                cost=lv.net_unit_cost * k / money,
                yield_=lv.yield_per_unit * k / money,
                lower=lv.min_units / k,
                upper=None if lv.max_units is None else lv.max_units / k,
                integer=lv.integer,
                fixed_cost=lv.fixed_cost / money,
                min_if_used=None if lv.min_units_if_used is None else lv.min_units_if_used / k,
                on_off_bound=None if bound is None else _whole(bound / k, lv.integer),
                min_spend=None if lv.min_spend is None else lv.min_spend / money,
                max_spend=None if lv.max_spend is None else lv.max_spend / money,
            )
        )
    rows = []
    for r, con in enumerate(s.constraints):
        rel = parse_relation(con.expr, ids)
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
    data = ModelData(
        levers=tuple(out),
        needed=s.target.needed / money,
        ceiling=None if ceiling is None else ceiling / money,
        objective=s.objective,
        rows=tuple(rows),
    )
    _check_range(data, file, money)
    return data, Scaling(money, scales)


def _whole(bound: float, integer: bool) -> float:
    # an integer lever can never exceed floor(bound); a tighter big-M helps branching
    return math.floor(bound + 1e-9) if integer else bound


def _check_range(data: ModelData, file: str, money: float) -> None:
    problems = []

    def check(path: str, value: float | None) -> None:
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
        check(f"levers.{lv.id}.unit_cost", lv.cost)
        check(f"levers.{lv.id}.yield_per_unit", lv.yield_)
        check(f"levers.{lv.id}.fixed_cost", lv.fixed_cost)
        check(f"levers.{lv.id}.max_units", lv.on_off_bound if lv.needs_binary else None)
    for row in data.rows:
        for _, _, coef in row.terms:
            check(row.label, coef)
    if problems:
        raise ScenarioError(problems)
