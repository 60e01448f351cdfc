"""ModelData -> Pyomo model: one function per constraint family.

Notation (model units and money, see :mod:`models.data`): x[l,k] units of
lever l funded in period k, c[l,k] net cost per unit, a[l] exports per
active unit, f[l] fixed cost, r[l] recurring cost, d[l] = 1 - attrition,
g[l] the lag, u[l] in {0, 1} whether the lever is used at all.

    X[l]         = sum_k x[l,k]                               (units over the horizon)
    active[l,k]  = sum_{j <= k-g[l]} d[l]^(k-g[l]-j) x[l,j]
    spend[l,k]   = c[l,k] x[l,k] + r[l] active[l,k] + f[l] s[l,k]
    exports[l,k] = a[l] active[l,k], or the yield curve at active[l,k]

s[l,k] is 1 in the period the lever starts (its fixed cost falls there); with
one period s = u. Both objectives are built; exactly one is active. ``needed``
and ``ceiling`` are mutable parameters so callers re-solve without rebuilding.
"""

from __future__ import annotations

import pyomo.core as pyo

from models.data import LeverData, ModelData

NO_CEILING = 0.0  # value of the ceiling parameter while the budget row is inactive


def build(data: ModelData) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="budget allocation")
    m.L = pyo.Set(initialize=range(len(data.levers)), ordered=True)
    m.K = pyo.Set(initialize=range(data.periods), ordered=True)
    m.EK = pyo.Set(initialize=data.export_periods, ordered=True)
    add_units(m, data)
    add_unit_totals(m, data)
    add_active_units(m, data)
    add_use_binaries(m, data)
    add_fixed_cost_starts(m, data)
    add_spend(m, data)
    add_exports(m, data)
    add_concave_curves(m, data)
    add_piecewise_curves(m, data)
    add_curve_capacity(m, data)
    add_spend_bounds(m, data)
    add_use_links(m, data)
    add_min_units_if_used(m, data)
    add_requires(m, data)
    add_excludes(m, data)
    add_budget_ceiling(m, data)
    add_period_ceilings(m, data)
    add_target(m, data)
    add_milestones(m, data)
    add_linear_constraints(m, data)
    add_objectives(m, data)
    return m


def _single(data: ModelData) -> bool:
    return data.periods == 1


def add_units(m: pyo.ConcreteModel, data: ModelData) -> None:
    """x[l,k] >= 0, <= max_units_per_period; integer where the lever says so.

    With one period the horizon bounds (min, max, fixed units) are bounds of x.
    """

    def domain(_m: pyo.ConcreteModel, i: int, k: int) -> object:
        return pyo.NonNegativeIntegers if data.levers[i].integer else pyo.NonNegativeReals

    def bounds(_m: pyo.ConcreteModel, i: int, k: int) -> tuple[float, float | None]:
        lv = data.levers[i]
        if not _single(data):
            return 0.0, lv.max_per_period
        uppers = [b for b in (lv.upper, lv.fixed_units, lv.max_per_period) if b is not None]
        lower = lv.lower if lv.fixed_units is None else max(lv.lower, lv.fixed_units)
        return lower, min(uppers) if uppers else None

    m.x = pyo.Var(m.L, m.K, domain=domain, bounds=bounds)
    m.units = pyo.Expression(m.L, rule=lambda m, i: sum(m.x[i, k] for k in m.K))


def add_unit_totals(m: pyo.ConcreteModel, data: ModelData) -> None:
    """min_units <= X[l] <= max_units, X[l] == fixed_units (several periods only)."""
    if _single(data):
        return

    def bounds(lv: LeverData) -> tuple[float | None, float | None]:
        if lv.fixed_units is not None:
            return lv.fixed_units, lv.fixed_units
        return (lv.lower or None), lv.upper

    rows = [i for i, lv in enumerate(data.levers) if bounds(lv) != (None, None)]
    if not rows:
        return
    def rule(m: pyo.ConcreteModel, i: int) -> object:
        lower, upper = bounds(data.levers[i])
        return (lower, m.units[i], upper)

    m.unit_totals = pyo.Constraint(rows, rule=rule)


def _active(m: pyo.ConcreteModel, lv: LeverData, i: int, k: int) -> object:
    keep = 1.0 - lv.attrition
    last = k - lv.lag
    if last < 0:
        return 0.0
    return sum(keep ** (last - j) * m.x[i, j] for j in range(last + 1))


def add_active_units(m: pyo.ConcreteModel, data: ModelData) -> None:
    """active[l,k] = sum_{j <= k-lag} (1 - attrition)^(k-lag-j) x[l,j]."""
    m.stock = pyo.Expression(m.L, m.K, rule=lambda m, i, k: _active(m, data.levers[i], i, k))


def add_use_binaries(m: pyo.ConcreteModel, data: ModelData) -> None:
    """u[l] in {0, 1}, only for levers with a fixed cost, min_units_if_used or logic."""
    m.B = pyo.Set(initialize=[i for i, lv in enumerate(data.levers) if lv.needs_use],
                  ordered=True)
    m.u = pyo.Var(m.B, domain=pyo.Binary)


def _starts_levers(m: pyo.ConcreteModel, data: ModelData) -> list[int]:
    return [i for i in m.B if data.levers[i].fixed_cost and not _single(data)]


def add_fixed_cost_starts(m: pyo.ConcreteModel, data: ModelData) -> None:
    """s[l,k] in {0, 1}: the lever starts in period k and pays f[l] there.

        sum_k s[l,k] = u[l];   x[l,k] <= U[l] sum_{j<=k} s[l,j]
        x[l,k] >= pin s[l,k]   (only with per-period ceilings, where the
                                period of the fixed cost matters)
    """
    starts = _starts_levers(m, data)
    m.S = pyo.Set(initialize=starts, ordered=True)
    if not starts:
        return
    m.s = pyo.Var(m.S, m.K, domain=pyo.Binary)
    m.one_start = pyo.Constraint(m.S, rule=lambda m, i: sum(m.s[i, k] for k in m.K) == m.u[i])
    m.started = pyo.Constraint(
        m.S, m.K,
        rule=lambda m, i, k: m.x[i, k]
        <= data.levers[i].on_off_bound * sum(m.s[i, j] for j in range(k + 1)),
    )
    pinned = [i for i in starts if data.levers[i].pin_start is not None]
    if pinned:
        m.start_funded = pyo.Constraint(
            pinned, m.K, rule=lambda m, i, k: m.x[i, k] >= data.levers[i].pin_start * m.s[i, k]
        )


def _fixed(m: pyo.ConcreteModel, lv: LeverData, i: int, k: int) -> object:
    if not lv.fixed_cost or i not in m.B:
        return 0.0
    if i in m.S:
        return lv.fixed_cost * m.s[i, k]
    return lv.fixed_cost * m.u[i] if k == 0 else 0.0


def add_spend(m: pyo.ConcreteModel, data: ModelData) -> None:
    """spend[l,k] = c[l,k] x[l,k] + r[l] active[l,k] + f[l] s[l,k]; totals by lever and period."""

    def spend(m: pyo.ConcreteModel, i: int, k: int) -> object:
        lv = data.levers[i]
        expr = lv.cost[k] * m.x[i, k] + _fixed(m, lv, i, k)
        if lv.recurring:
            expr = expr + lv.recurring * m.stock[i, k]
        return expr

    m.spend = pyo.Expression(m.L, m.K, rule=spend)
    m.lever_spend = pyo.Expression(m.L, rule=lambda m, i: sum(m.spend[i, k] for k in m.K))
    m.period_spend = pyo.Expression(m.K, rule=lambda m, k: sum(m.spend[i, k] for i in m.L))
    m.total_spend = pyo.Expression(expr=sum(m.period_spend[k] for k in m.K))


def _curve_levers(data: ModelData, formulation: str) -> list[int]:
    return [i for i, lv in enumerate(data.levers) if lv.formulation == formulation]


def add_exports(m: pyo.ConcreteModel, data: ModelData) -> None:
    """exports[l,k] = a[l] active[l,k]; with a curve, a variable e[l,k] the curve families bind."""
    curved = [i for i, lv in enumerate(data.levers) if lv.curve is not None]
    m.e = pyo.Var(curved, m.EK, domain=pyo.NonNegativeReals)

    def exports(m: pyo.ConcreteModel, i: int, k: int) -> object:
        lv = data.levers[i]
        return m.e[i, k] if lv.curve is not None else lv.yield_ * m.stock[i, k]

    m.exports = pyo.Expression(m.L, m.EK, rule=exports)
    m.period_exports = pyo.Expression(m.EK, rule=lambda m, k: sum(m.exports[i, k] for i in m.L))
    m.total_exports = pyo.Expression(expr=m.period_exports[data.periods - 1])


def add_concave_curves(m: pyo.ConcreteModel, data: ModelData) -> None:
    """e[l,k] <= slope_s active[l,k] + intercept_s for every segment s (the hypograph).

    Exact for a concave curve wherever more exports only help, which the
    caller guarantees before choosing this formulation.
    """
    levers = _curve_levers(data, "concave_lp")
    if not levers:
        return
    index = [(i, k, s) for i in levers for k in m.EK
             for s in range(len(data.levers[i].curve.slopes))]  # type: ignore[union-attr]

    def rule(m: pyo.ConcreteModel, i: int, k: int, s: int) -> object:
        curve = data.levers[i].curve
        assert curve is not None
        return m.e[i, k] <= curve.slopes[s] * m.stock[i, k] + curve.intercepts[s]

    m.concave = pyo.Constraint(index, rule=rule)


def add_piecewise_curves(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Non-concave curves, exactly: weights w on breakpoints, z[s] picks the segment.

        active = sum_i w_i U_i;  e = sum_i w_i V_i;  sum_i w_i = 1;  sum_s z_s = 1
        w_0 <= z_1;  w_i <= z_i + z_{i+1};  w_n <= z_n
    """
    levers = _curve_levers(data, "piecewise_binary")
    if not levers:
        return

    def points(i: int) -> int:
        curve = data.levers[i].curve
        assert curve is not None
        return len(curve.units)

    wi = [(i, k, p) for i in levers for k in m.EK for p in range(points(i))]
    zi = [(i, k, s) for i in levers for k in m.EK for s in range(1, points(i))]
    m.w = pyo.Var(wi, bounds=(0, 1))
    m.z = pyo.Var(zi, domain=pyo.Binary)
    ik = [(i, k) for i in levers for k in m.EK]

    def curve(i: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        c = data.levers[i].curve
        assert c is not None
        return c.units, c.exports

    m.pw_sum = pyo.Constraint(ik, rule=lambda m, i, k: sum(
        m.w[i, k, p] for p in range(points(i))) == 1)
    m.pw_segment = pyo.Constraint(ik, rule=lambda m, i, k: sum(
        m.z[i, k, s] for s in range(1, points(i))) == 1)
    m.pw_units = pyo.Constraint(ik, rule=lambda m, i, k: m.stock[i, k] == sum(
        curve(i)[0][p] * m.w[i, k, p] for p in range(points(i))))
    m.pw_exports = pyo.Constraint(ik, rule=lambda m, i, k: m.e[i, k] == sum(
        curve(i)[1][p] * m.w[i, k, p] for p in range(points(i))))

    def adjacent(m: pyo.ConcreteModel, i: int, k: int, p: int) -> object:
        n = points(i) - 1
        segments = [s for s in (p, p + 1) if 1 <= s <= n]
        return m.w[i, k, p] <= sum(m.z[i, k, s] for s in segments)

    m.pw_adjacent = pyo.Constraint(wi, rule=adjacent)


def add_curve_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """active[l,k] <= the curve's last breakpoint, in every period."""
    levers = [i for i, lv in enumerate(data.levers) if lv.curve is not None]
    if not levers:
        return

    def rule(m: pyo.ConcreteModel, i: int, k: int) -> object:
        curve = data.levers[i].curve
        assert curve is not None
        active = m.stock[i, k]
        if isinstance(active, float):
            return pyo.Constraint.Skip
        return active <= curve.units[-1]

    m.curve_capacity = pyo.Constraint(levers, m.K, rule=rule)


def add_spend_bounds(m: pyo.ConcreteModel, data: ModelData) -> None:
    """min_spend[l] <= sum_k spend[l,k] <= max_spend[l]."""
    rows = [
        i
        for i, lv in enumerate(data.levers)
        if lv.min_spend is not None or lv.max_spend is not None
    ]
    if not rows:
        return
    m.spend_bounds = pyo.Constraint(
        rows,
        rule=lambda m, i: (data.levers[i].min_spend, m.lever_spend[i], data.levers[i].max_spend),
    )


def add_use_links(m: pyo.ConcreteModel, data: ModelData) -> None:
    """X[l] <= U[l] u[l]: units only once the lever is used (and its fixed cost paid).

    U[l] is the largest value X[l] can take (from max_units, max_spend or
    the ceiling), so the row cuts nothing else.
    """
    if not len(m.B):
        return
    m.use_link = pyo.Constraint(
        m.B, rule=lambda m, i: m.units[i] <= data.levers[i].on_off_bound * m.u[i]
    )


def add_min_units_if_used(m: pyo.ConcreteModel, data: ModelData) -> None:
    """X[l] >= min_if_used[l] u[l]: units over the horizon are 0 or at least min_if_used."""
    rows = [i for i in m.B if data.levers[i].min_if_used is not None]
    if not rows:
        return
    m.min_if_used = pyo.Constraint(
        rows, rule=lambda m, i: m.units[i] >= data.levers[i].min_if_used * m.u[i]
    )


def add_requires(m: pyo.ConcreteModel, data: ModelData) -> None:
    """u[l] <= u[r] for l requires r; and X[r] >= max(min_if_used[r], 1 unit) u[r]."""
    if not data.requires:
        return
    m.requires = pyo.Constraint(range(len(data.requires)), rule=lambda m, n: (
        m.u[data.requires[n][0]] <= m.u[data.requires[n][1]]))
    required = sorted({r for _, r in data.requires})
    m.required_funded = pyo.Constraint(required, rule=lambda m, r: (
        m.units[r] >= data.levers[r].min_if_required * m.u[r]))


def add_excludes(m: pyo.ConcreteModel, data: ModelData) -> None:
    """u[l] + u[e] <= 1 for l excludes e."""
    if not data.excludes:
        return
    m.excludes = pyo.Constraint(range(len(data.excludes)), rule=lambda m, n: (
        m.u[data.excludes[n][0]] + m.u[data.excludes[n][1]] <= 1))


def add_budget_ceiling(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum spend <= ceiling (undiscounted, over the horizon); inactive when there is none."""
    m.ceiling = pyo.Param(
        mutable=True, initialize=NO_CEILING if data.ceiling is None else data.ceiling
    )
    m.budget = pyo.Constraint(expr=m.total_spend <= m.ceiling)
    if data.ceiling is None:
        m.budget.deactivate()


def add_period_ceilings(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_l spend[l,k] <= ceiling[k] for the periods given."""
    if not data.period_ceilings:
        return
    caps = dict(data.period_ceilings)
    m.period_budget = pyo.Constraint(sorted(caps),
                                     rule=lambda m, k: m.period_spend[k] <= caps[k])


def add_target(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_l exports[l, last] >= needed."""
    m.needed = pyo.Param(mutable=True, initialize=data.needed)
    m.target = pyo.Constraint(expr=m.total_exports >= m.needed)


def add_milestones(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_l exports[l,k] >= milestone[k] for earlier periods."""
    if not data.milestones:
        return
    goals = dict(data.milestones)
    m.milestone = pyo.Constraint(sorted(goals),
                                 rule=lambda m, k: m.period_exports[k] >= goals[k])


def _quantity(m: pyo.ConcreteModel, data: ModelData, kind: str, i: int) -> object:
    if kind == "units":
        return m.units[i]
    if kind == "spend":
        return m.lever_spend[i]
    return m.exports[i, data.periods - 1]


def add_linear_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum coef * quantity SENSE rhs, one row per entry of `constraints:`.

    units and spend are horizon totals; exports are the last period's.
    """
    if not data.rows:
        return

    def rule(m: pyo.ConcreteModel, r: int) -> object:
        row = data.rows[r]
        body = sum(coef * _quantity(m, data, kind, i) for kind, i, coef in row.terms)
        if row.sense == "<=":
            return body <= row.rhs
        if row.sense == ">=":
            return body >= row.rhs
        return body == row.rhs

    m.extra = pyo.Constraint(range(len(data.rows)), rule=rule)


def add_objectives(m: pyo.ConcreteModel, data: ModelData) -> None:
    """min sum_k weight[k] spend[k] (min_cost) or max last-period exports (max_exports)."""
    m.cost_objective = pyo.Objective(
        expr=sum(data.weights[k] * m.period_spend[k] for k in m.K), sense=pyo.minimize
    )
    m.exports_objective = pyo.Objective(expr=m.total_exports, sense=pyo.maximize)
    use_objective(m, data.objective)


def use_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Make ``min_cost`` or ``max_exports`` the active objective."""
    costs = objective == "min_cost"
    (m.cost_objective.activate if costs else m.cost_objective.deactivate)()
    (m.exports_objective.deactivate if costs else m.exports_objective.activate)()


def relax_with_use_fixed(m: pyo.ConcreteModel, fixed: dict[str, float]) -> None:
    """Hold every binary at ``fixed[name]``; let integer units vary continuously.

    The LP left is the MIP's neighbourhood of its optimum: its duals price a
    small change of the target. (Fixing the integer units too would leave no
    lever free to move, and the target row's dual would be arbitrary.)
    """
    for var in m.component_data_objects(pyo.Var, descend_into=True):
        if var.domain is pyo.NonNegativeIntegers:
            var.domain = pyo.NonNegativeReals
        elif var.domain is pyo.Binary:
            var.domain = pyo.Reals
            var.setlb(fixed[var.name])
            var.setub(fixed[var.name])
