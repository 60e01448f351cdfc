"""ModelData -> Pyomo model: one function per constraint family.

Notation (model units and money, see :mod:`models.data`): x[l] units of
lever l, u[l] in {0, 1} whether it is used, c[l] net cost per unit, a[l]
exports per unit, f[l] fixed cost.

    spend[l]   = c[l] x[l] + f[l] u[l]
    exports[l] = a[l] x[l]

Both objectives are built; exactly one is active. ``needed`` and ``ceiling``
are mutable parameters so callers re-solve without rebuilding.
"""

from __future__ import annotations

import pyomo.core as pyo

from models.data import LeverData, ModelData

NO_CEILING = 0.0  # value of the ceiling parameter while the budget row is inactive


def build(data: ModelData) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="budget allocation")
    m.L = pyo.Set(initialize=range(len(data.levers)), ordered=True)
    add_units(m, data)
    add_use_binaries(m, data)
    add_spend_and_exports(m, data)
    add_spend_bounds(m, data)
    add_fixed_cost_links(m, data)
    add_min_units_if_used(m, data)
    add_budget_ceiling(m, data)
    add_target(m, data)
    add_linear_constraints(m, data)
    add_objectives(m, data)
    return m


def add_units(m: pyo.ConcreteModel, data: ModelData) -> None:
    """x[l] in [min_units, max_units]; integer where the lever says so."""

    def domain(_m: pyo.ConcreteModel, i: int) -> object:
        return pyo.NonNegativeIntegers if data.levers[i].integer else pyo.NonNegativeReals

    def bounds(_m: pyo.ConcreteModel, i: int) -> tuple[float, float | None]:
        lever = data.levers[i]
        return lever.lower, lever.upper

    m.x = pyo.Var(m.L, domain=domain, bounds=bounds)


def _binary_levers(data: ModelData) -> list[int]:
    return [i for i, lever in enumerate(data.levers) if lever.needs_binary]


def add_use_binaries(m: pyo.ConcreteModel, data: ModelData) -> None:
    """u[l] in {0, 1}, only for levers with a fixed cost or min_units_if_used."""
    m.B = pyo.Set(initialize=_binary_levers(data), ordered=True)
    m.u = pyo.Var(m.B, domain=pyo.Binary)


def _spend(m: pyo.ConcreteModel, lever: LeverData, i: int) -> object:
    expr = lever.cost * m.x[i]
    if i in m.B and lever.fixed_cost:
        expr = expr + lever.fixed_cost * m.u[i]
    return expr


def add_spend_and_exports(m: pyo.ConcreteModel, data: ModelData) -> None:
    """spend[l] = c[l] x[l] + f[l] u[l];  exports[l] = a[l] x[l]."""
    m.spend = pyo.Expression(m.L, rule=lambda m, i: _spend(m, data.levers[i], i))
    m.exports = pyo.Expression(m.L, rule=lambda m, i: data.levers[i].yield_ * m.x[i])
    m.total_spend = pyo.Expression(expr=sum(m.spend[i] for i in m.L))
    m.total_exports = pyo.Expression(expr=sum(m.exports[i] for i in m.L))


def add_spend_bounds(m: pyo.ConcreteModel, data: ModelData) -> None:
    """min_spend[l] <= spend[l] <= max_spend[l]."""
    rows = [
        i
        for i, lv in enumerate(data.levers)
        if lv.min_spend is not None or lv.max_spend is not None
    ]
    if not rows:
        return
    m.spend_bounds = pyo.Constraint(
        rows,
        rule=lambda m, i: (data.levers[i].min_spend, m.spend[i], data.levers[i].max_spend),
    )


def add_fixed_cost_links(m: pyo.ConcreteModel, data: ModelData) -> None:
    """x[l] <= U[l] u[l]: a lever pays its fixed cost before it has any units.

    U[l] is the largest value x[l] can take (from max_units, max_spend or
    the ceiling), so the row cuts nothing else.
    """
    if not len(m.B):
        return
    m.use_link = pyo.Constraint(
        m.B, rule=lambda m, i: m.x[i] <= data.levers[i].on_off_bound * m.u[i]
    )


def add_min_units_if_used(m: pyo.ConcreteModel, data: ModelData) -> None:
    """x[l] >= min_if_used[l] u[l]: units are 0 or at least min_if_used."""
    rows = [i for i in m.B if data.levers[i].min_if_used is not None]
    if not rows:
        return
    m.min_if_used = pyo.Constraint(
        rows, rule=lambda m, i: m.x[i] >= data.levers[i].min_if_used * m.u[i]
    )


def add_budget_ceiling(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum spend[l] <= ceiling; built inactive when there is no ceiling."""
    m.ceiling = pyo.Param(
        mutable=True, initialize=NO_CEILING if data.ceiling is None else data.ceiling
    )
    m.budget = pyo.Constraint(expr=m.total_spend <= m.ceiling)
    if data.ceiling is None:
        m.budget.deactivate()


def add_target(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum exports[l] >= needed."""
    m.needed = pyo.Param(mutable=True, initialize=data.needed)
    m.target = pyo.Constraint(expr=m.total_exports >= m.needed)


def _quantity(m: pyo.ConcreteModel, kind: str, i: int) -> object:
    return {"units": m.x, "spend": m.spend, "exports": m.exports}[kind][i]


def add_linear_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum coef * quantity SENSE rhs, one row per entry of `constraints:`."""
    if not data.rows:
        return

    def rule(m: pyo.ConcreteModel, r: int) -> object:
        row = data.rows[r]
        body = sum(coef * _quantity(m, kind, i) for kind, i, coef in row.terms)
        if row.sense == "<=":
            return body <= row.rhs
        if row.sense == ">=":
            return body >= row.rhs
        return body == row.rhs

    m.extra = pyo.Constraint(range(len(data.rows)), rule=rule)


def add_objectives(m: pyo.ConcreteModel, data: ModelData) -> None:
    """min sum spend (min_cost) or max sum exports (max_exports); one is active."""
    m.cost_objective = pyo.Objective(expr=m.total_spend, sense=pyo.minimize)
    m.exports_objective = pyo.Objective(expr=m.total_exports, sense=pyo.maximize)
    use_objective(m, data.objective)


def use_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Make ``min_cost`` or ``max_exports`` the active objective."""
    costs = objective == "min_cost"
    (m.cost_objective.activate if costs else m.cost_objective.deactivate)()
    (m.exports_objective.deactivate if costs else m.exports_objective.activate)()


def relax_with_use_fixed(m: pyo.ConcreteModel, use: dict[int, float]) -> None:
    """Keep each on/off decision u[l] at ``use``; let integer units vary continuously.

    The LP left is the MIP's neighbourhood of its optimum: its duals price a
    small change of the target. (Fixing the integer units too would leave no
    lever free to move, and the target row's dual would be arbitrary.)
    """
    for i in m.L:
        if m.x[i].domain is pyo.NonNegativeIntegers:
            m.x[i].domain = pyo.NonNegativeReals
    for i in m.B:
        m.u[i].domain = pyo.Reals
        m.u[i].setlb(use[i])
        m.u[i].setub(use[i])
