"""ModelData -> the model: one function per constraint family.

The families are written once and emitted through a sink (:mod:`models.sink`):
``build(data)`` makes the Pyomo model, ``arrays(data)`` the same matrix with no
Pyomo model (what a warm re-solve with other parameters pushes into HiGHS).

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

import math
from dataclasses import dataclass
from typing import Any

import pyomo.core as pyo

from models.affine import Affine, Row
from models.data import LeverData, ModelData
from models.sink import Arrays, ArraySink, LiteModel, PyomoSink, Sink

NO_CEILING = 0.0  # value of the ceiling parameter while the budget row is inactive


@dataclass
class Forms:
    """The affine forms the families share, built once per model."""

    units: list[Affine]
    """X[l]: units funded over the horizon."""
    stock: list[list[Affine]]
    """active[l][k]."""
    spend: list[list[Affine]]
    """spend[l][k]."""
    exports: dict[int, list[Affine]]
    """exports[k][l] for the export periods k."""

    def lever_spend(self, i: int) -> Affine:
        return Affine.total(self.spend[i])

    def period_spend(self, k: int) -> Affine:
        return Affine.total(row[k] for row in self.spend)

    def period_exports(self, k: int) -> Affine:
        return Affine.total(self.exports[k])



# rows and columns that only shape the model (curves, switches, samples, the
# objectives): none of them is a limit the file sets, so no dual or conflict names
# one (optimizer.solving.engine.LIMIT_FAMILIES lists the rest; test_provenance holds both)
STRUCTURE = frozenset({
    "u", "s", "e", "d", "y", "one_start", "started", "start_funded", "concave",
    "pw_units", "pw_full", "pw_next", "reached", "sample_reach", "enough",
    "oc", "od", "oy", "outcome_concave", "outcome_pw_units", "outcome_pw_full",
    "outcome_pw_next",
})

def build(data: ModelData) -> pyo.ConcreteModel:
    """The Pyomo model of ``data``."""
    sink = PyomoSink("budget allocation")
    emit(sink, data)
    use_objective(sink.m, data.objective)
    return sink.m


def arrays(data: ModelData) -> Arrays:
    """The matrix ``compile_model(build(data))`` gives, from the same families
    with no Pyomo model built (for a re-solve with other parameters)."""
    sink = ArraySink()
    emit(sink, data)
    return sink.matrix()


def lite(data: ModelData) -> tuple[Arrays, LiteModel]:
    """The arrays of ``arrays(data)`` and a :class:`models.sink.LiteModel` naming
    their rows and columns, its objective chosen as ``build`` chooses it: what a
    solve reads of the model, with no Pyomo model built."""
    sink = ArraySink()
    emit(sink, data)
    out, model = sink.lite()
    use_objective(model, data.objective)
    return out, model


def emit(b: Sink, data: ModelData) -> None:
    """Every family of the model, in the order its rows and columns are numbered."""
    m = b.m
    b.set("L", range(len(data.levers)))
    b.set("K", range(data.periods))
    b.set("EK", data.export_periods)
    add_units(b, data)
    add_use_binaries(b, data)
    add_fixed_cost_starts(b, data)
    add_curve_variables(b, data)
    f = forms(m, data)
    add_unit_totals(b, data, f)
    add_start_links(b, data, f)
    add_concave_curves(b, data, f)
    add_piecewise_curves(b, data, f)
    add_curve_capacity(b, data, f)
    add_outcome_curves(b, data, f)
    add_spend_bounds(b, data, f)
    add_use_links(b, data, f)
    add_use_floors(b, data, f)
    add_requires(b, data)
    add_excludes(b, data)
    add_budget_ceiling(b, data, f)
    add_period_ceilings(b, data, f)
    add_target(b, data, f)
    add_chance_target(b, data, f)
    add_outcome_floors(b, data, f)
    add_milestones(b, data, f)
    add_linear_constraints(b, data, f)
    add_goal(b, data, f)
    add_objectives(b, data, f)


def _known(value: float | None) -> float:
    """A bound the family's rows exist for (each row set filters on it)."""
    assert value is not None
    return value


def _single(data: ModelData) -> bool:
    return data.periods == 1


def add_units(b: Sink, data: ModelData) -> None:
    """x[l,k] >= 0, <= max_units_per_period; integer where the lever says so.

    With one period the horizon bounds (min, max, fixed units) are bounds of x.
    """

    m = b.m

    def domain(i: int, k: int) -> str:
        return "nonneg_int" if data.levers[i].integer else "nonneg"

    def bounds(i: int, k: int) -> tuple[float, float | None]:
        lv = data.levers[i]
        if not _single(data):
            return 0.0, lv.max_per_period
        uppers = [b for b in (lv.upper, lv.fixed_units, lv.max_per_period) if b is not None]
        lower = lv.lower if lv.fixed_units is None else max(lv.lower, lv.fixed_units)
        return lower, min(uppers) if uppers else None

    b.var("x", (m.L, m.K), domain, bounds)
    # integer levers solved continuous: the step their units are rounded to
    b.per_column("grain_of", ((m.x[i, k], lv.grain) for i, lv in enumerate(data.levers)
                              if lv.grain for k in m.K))
    # the most units each lever can fund at all (max_spend or the ceiling over its
    # cost among them): not a bound of the model (a column resting on it would
    # take a dual that belongs to the ceiling), but a box every plan lies in, for
    # proving a dual bound (solve.Highs.proven_bound)
    b.per_column("implied_upper", ((m.x[i, k], lv.on_off_bound)
                                   for i, lv in enumerate(data.levers)
                                   if lv.on_off_bound is not None for k in m.K))


def add_use_binaries(b: Sink, data: ModelData) -> None:
    """u[l] in {0, 1}, only for levers with a fixed cost, min_units_if_used or logic."""
    m = b.m
    b.set("B", [i for i, lv in enumerate(data.levers) if lv.needs_use])
    b.var("u", (m.B,), "binary")
    for i in m.B:
        if data.levers[i].on_off_bound == 0:
            # a lever that can fund nothing (a fixed cost above its max_spend) is
            # never used: a switch left free sat at 9e-12 and its fixed cost, that
            # much of 1.12e8, met a min_spend of 0.00103 inside the tolerance
            b.fix(m.u[i], 0)


def add_fixed_cost_starts(b: Sink, data: ModelData) -> None:
    """s[l,k] in {0, 1}: the lever starts in period k and pays f[l] there (several periods)."""
    m = b.m
    b.set("S", [i for i in m.B if data.levers[i].fixed_cost and not _single(data)])
    b.var("s", (m.S, m.K), "binary")


def add_curve_variables(b: Sink, data: ModelData) -> None:
    """e[l,k] >= 0: a concave curve's exports in export period k; d, y for exact curves."""
    m = b.m
    concave = _curve_levers(data, "concave_lp")
    top = {i: max(data.levers[i].curve.exports) for i in concave}  # type: ignore[union-attr]
    # before a lever's lag has passed it has no active units and exports nothing:
    # its curve variables are fixed at 0 there (a free e beside empty curve rows
    # exported up to the tolerance, 1e-7 model units, and met a milestone of 26
    # USD that was 2.6e-10 of them)
    def live(i: int, k: int) -> bool:
        return k >= data.levers[i].lag

    b.var("e", (concave, m.EK), "nonneg",
          lambda i, k: (0.0, top[i] if live(i, k) else 0.0))
    exact = _curve_levers(data, "piecewise_binary")
    widths = {i: [w for w, _ in segments(data.levers[i])] for i in exact}
    b.set("D", [(i, k, s) for i in exact for k in m.EK for s in range(len(widths[i]))], dimen=3)
    b.set("Y", [(i, k, s) for i in exact for k in m.EK for s in range(len(widths[i]) - 1)],
          dimen=3)
    b.var("d", (m.D,), "reals", lambda i, k, s: (0.0, widths[i][s] if live(i, k) else 0.0))
    b.var("y", (m.Y,), "binary")


def segments(lv: LeverData) -> list[tuple[float, float]]:
    """(width, slope) of each segment of a lever's curve that its units can reach.

    The curve is cut at the lever's largest size (on_off_bound): a segment
    beyond it could never be entered, and its width would only be a big-M
    far larger than anything the plan can hold.
    """
    curve = lv.curve
    assert curve is not None
    reach = lv.on_off_bound
    out: list[tuple[float, float]] = []
    for u0, u1, slope in zip(curve.units, curve.units[1:], curve.slopes, strict=False):
        if reach is not None and u0 >= reach and out:
            break
        end = u1 if reach is None else min(u1, max(reach, u0))
        out.append((end - u0, slope))
    return out


def forms(m: Any, data: ModelData) -> Forms:
    """units, active stock, spend and exports of every lever, as affine forms.

        active[l,k]  = sum_{j <= k-lag} (1 - attrition)^(k-lag-j) x[l,j]
        spend[l,k]   = c[l,k] x[l,k] + r[l] active[l,k] + f[l] s[l,k]
        exports[l,k] = a[l] active[l,k]; e[l,k] with a concave curve;
                       sum_s g_s d[l,k,s] with an exact one
    """
    units, stock, spend = [], [], []
    exports: dict[int, list[Affine]] = {k: [] for k in m.EK}
    for i, lv in enumerate(data.levers):
        x = [m.x[i, k] for k in m.K]
        units.append(Affine([(v, 1.0) for v in x]))
        keep = 1.0 - lv.attrition
        row_stock, row_spend = [], []
        for k in m.K:
            last = k - lv.lag
            active = Affine([(x[j], keep ** (last - j)) for j in range(last + 1)])
            row_stock.append(active)
            cost = Affine([(x[k], lv.cost[k])])
            if lv.recurring:
                cost.add(active, lv.recurring)
            if lv.fixed_cost and i in m.B:
                if i in m.S:
                    cost.add_var(m.s[i, k], lv.fixed_cost)
                elif k == 0:
                    cost.add_var(m.u[i], lv.fixed_cost)
            row_spend.append(cost)
        for k in m.EK:
            if lv.formulation == "concave_lp":
                exports[k].append(Affine.of(m.e[i, k]))
            elif lv.curve is not None:
                exports[k].append(Affine([(m.d[i, k, s], slope) for s, (_, slope)
                                          in enumerate(segments(lv))]))
            else:
                exports[k].append(row_stock[k].scaled(lv.yield_))
        stock.append(row_stock)
        spend.append(row_spend)
    return Forms(units, stock, spend, exports)


def add_unit_totals(b: Sink, data: ModelData, f: Forms) -> None:
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
    b.rows("unit_totals", (rows,), lambda m, i: f.units[i].between(*bounds(data.levers[i])))


def add_start_links(b: Sink, data: ModelData, f: Forms) -> None:
    """Fixed costs fall in the start period:

        sum_k s[l,k] = u[l];   x[l,k] <= U[l] sum_{j<=k} s[l,j]
        x[l,k] >= pin s[l,k]   (only with per-period ceilings, where the
                                period of the fixed cost matters)
    """
    m = b.m
    if not len(m.S):
        return
    b.rows("one_start", (m.S,), lambda m, i: Affine(
        [*((m.s[i, k], 1.0) for k in m.K), (m.u[i], -1.0)]).eq(0.0))

    def started(m: Any, i: int, k: int) -> Row:
        big = _known(data.levers[i].on_off_bound)
        return Affine([(m.x[i, k], 1.0), *((m.s[i, j], -big) for j in range(k + 1))]).le(0.0)

    b.rows("started", (m.S, m.K), started)
    pinned = [i for i in m.S if data.levers[i].pin_start is not None]
    if pinned:
        b.rows("start_funded", (pinned, m.K), lambda m, i, k: Affine(
            [(m.x[i, k], 1.0), (m.s[i, k], -_known(data.levers[i].pin_start))]).ge(0.0))


def _curve_levers(data: ModelData, formulation: str) -> list[int]:
    return [i for i, lv in enumerate(data.levers) if lv.formulation == formulation]


def add_concave_curves(b: Sink, data: ModelData, f: Forms) -> None:
    """e[l,k] <= slope_s active[l,k] + intercept_s for every segment s (the hypograph).

    Exact for a concave curve wherever more exports only help, which the
    caller guarantees before choosing this formulation.
    """
    m = b.m
    levers = _curve_levers(data, "concave_lp")
    if not levers:
        return
    index = [(i, k, s) for i in levers for k in m.EK
             for s in range(len(data.levers[i].curve.slopes))]  # type: ignore[union-attr]

    goals = dict(data.milestones)

    def rule(m: Any, i: int, k: int, s: int) -> Row:
        curve = data.levers[i].curve
        assert curve is not None
        form = f.stock[i][k].scaled(-curve.slopes[s]).add_var(m.e[i, k], 1.0)
        # scaled as the period's milestone row is (see add_milestones): else e
        # leaks HiGHS's absolute tolerance above its curve, 1e-7 model units, and
        # met a milestone of 1.91 USD that was 1.9e-10 of them with no units funded
        scale = _milestone_scale(goals.get(k, 0.0))
        # (a scale of 1 changes no coefficient: the form is not copied a second time)
        return (form if scale == 1.0 else form.scaled(scale)).le(curve.intercepts[s] * scale)

    b.rows("concave", (index,), rule)


def add_piecewise_curves(b: Sink, data: ModelData, f: Forms) -> None:
    """Any curve, exactly, by the incremental formulation: d[s] in [0, w_s] the
    active units on segment s (width w_s, slope g_s), y[s] "segment s is full".

        active = sum_s d[s];  exports = sum_s g_s d[s]
        d[s] >= w_s y[s];  d[s+1] <= w_{s+1} y[s]

    so a segment fills only once the one before it is full. The exports row
    then carries slopes (yields per unit, near 1 after scaling), not the
    curve's breakpoint values: weights on breakpoints put exports of 1e9 on
    variables in [0, 1], and HiGHS's tolerances turned that into phantom exports.
    """
    m = b.m
    levers = _curve_levers(data, "piecewise_binary")
    if not levers:
        return
    ik = [(i, k) for i in levers for k in m.EK]
    widths = {i: [w for w, _ in segments(data.levers[i])] for i in levers}
    b.rows("pw_units", (ik,), lambda m, i, k: f.stock[i][k].minus(
        Affine([(m.d[i, k, s], 1.0) for s in range(len(widths[i]))])).eq(0.0))
    b.rows("pw_full", (m.Y,), lambda m, i, k, s: Affine(
        [(m.d[i, k, s], 1.0), (m.y[i, k, s], -widths[i][s])]).ge(0.0))
    b.rows("pw_next", (m.Y,), lambda m, i, k, s: Affine(
        [(m.d[i, k, s + 1], 1.0), (m.y[i, k, s], -widths[i][s + 1])]).le(0.0))


def add_curve_capacity(b: Sink, data: ModelData, f: Forms) -> None:
    """active[l,k] <= the curve's last breakpoint, in every period with a stock."""
    m = b.m
    index = [(i, k) for i, lv in enumerate(data.levers) if lv.curve is not None
             for k in m.K if f.stock[i][k].terms]
    if not index:
        return
    b.rows("curve_capacity", (index,), lambda m, i, k: f.stock[i][k].le(
        data.levers[i].curve.units[-1]))  # type: ignore[union-attr]


def add_outcome_curves(b: Sink, data: ModelData, f: Forms) -> None:
    """Each outcome besides exports that follows a curve of a lever's active units
    (OutcomeCurve), in its curve model unit, in every period the lever has active
    units, and active[l,k] <= the curve's last breakpoint (``outcome_capacity``):

    - concave_lp: oc[n,k] in [0, top] with oc[n,k] <= slope_s active[l,k] +
      intercept_s for each segment s (the hypograph; exact where more of the outcome
      only helps, which inputs checks);
    - piecewise_binary: the incremental formulation of add_piecewise_curves, od[n,k,s]
      in [0, w_s] the active units on segment s and oy[n,k,s] "segment s is full":
      active = sum_s od[s], od[s] >= w_s oy[s], od[s+1] <= w_{s+1} oy[s].

    curve_value reads the outcome of either."""
    curves = data.outcome_curves
    if not curves:
        return
    m = b.m
    live = [(n, k) for n in range(len(curves)) for k in m.K
            if f.stock[curves[n].lever][k].terms]
    hyp = [n for n, c in enumerate(curves) if c.formulation == "concave_lp"]
    exact = [n for n, c in enumerate(curves) if c.formulation != "concave_lp"]

    def top(n: int, k: int) -> tuple[float, float]:
        lv = data.levers[curves[n].lever]
        return 0.0, (max(curves[n].curve.exports) if k >= lv.lag else 0.0)

    b.var("oc", (hyp, m.K), "nonneg", top)
    widths = {n: [u1 - u0 for u0, u1 in zip(curves[n].curve.units, curves[n].curve.units[1:],
                                             strict=False)] for n in exact}
    on = [(n, k) for n, k in live if n in widths]
    b.set("OD", [(n, k, s) for n, k in on for s in range(len(widths[n]))], dimen=3)
    b.set("OY", [(n, k, s) for n, k in on for s in range(len(widths[n]) - 1)], dimen=3)
    b.var("od", (m.OD,), "reals", lambda n, k, s: (0.0, widths[n][s]))
    b.var("oy", (m.OY,), "binary")
    index = [(n, k, s) for n, k in live if n in hyp
             for s in range(len(curves[n].curve.slopes))]

    def hypograph(m: Any, n: int, k: int, s: int) -> Row:
        c = curves[n].curve
        return f.stock[curves[n].lever][k].scaled(-c.slopes[s]).add_var(
            m.oc[n, k], 1.0).le(c.intercepts[s])

    if index:
        b.rows("outcome_concave", (index,), hypograph)
    if on:
        b.rows("outcome_pw_units", (on,), lambda m, n, k: f.stock[curves[n].lever][k].minus(
            Affine([(m.od[n, k, s], 1.0) for s in range(len(widths[n]))])).eq(0.0))
        b.rows("outcome_pw_full", (m.OY,), lambda m, n, k, s: Affine(
            [(m.od[n, k, s], 1.0), (m.oy[n, k, s], -widths[n][s])]).ge(0.0))
        b.rows("outcome_pw_next", (m.OY,), lambda m, n, k, s: Affine(
            [(m.od[n, k, s + 1], 1.0), (m.oy[n, k, s], -widths[n][s + 1])]).le(0.0))
    if live:
        b.rows("outcome_capacity", (live,), lambda m, n, k: f.stock[
            curves[n].lever][k].le(curves[n].curve.units[-1]))


def curve_value(m: Any, data: ModelData, f: Forms, n: int, k: int) -> Affine:
    """Outcome curve n's value in period k (its curve model unit): oc[n,k], or
    sum_s slope_s od[n,k,s]; 0 where the lever has no active units yet."""
    c = data.outcome_curves[n]
    if not f.stock[c.lever][k].terms:
        return Affine()
    if c.formulation == "concave_lp":
        return Affine([(m.oc[n, k], 1.0)])
    return Affine([(m.od[n, k, s], slope) for s, slope in enumerate(c.curve.slopes)])


def _curve_terms(m: Any, data: ModelData, f: Forms, terms: tuple[tuple[int, float], ...],
                 k: int) -> list[Affine]:
    """Each (curve, coefficient) as coefficient * the curve's value in period k."""
    return [curve_value(m, data, f, n, k).scaled(coef) for n, coef in terms if coef]


def add_spend_bounds(b: Sink, data: ModelData, f: Forms) -> None:
    """min_spend[l] <= sum_k spend[l,k] <= max_spend[l]."""
    rows = [
        i
        for i, lv in enumerate(data.levers)
        if lv.min_spend is not None or lv.max_spend is not None
    ]
    if not rows:
        return
    b.rows("spend_bounds", (rows,), lambda m, i: _per_largest(
        f.lever_spend(i), data.levers[i].min_spend, data.levers[i].max_spend))


def _per_largest(form: Affine, lower: float | None, upper: float | None) -> Row:
    """``lower <= form <= upper`` divided by the form's largest coefficient: a unit
    cost of 0.001 in model money of 1e6 is 1e-9, which HiGHS drops as zero, and a
    max_spend row of that lever alone then bounded nothing (the lever ran
    unbounded). A term whose variable is fixed (the use switch of a lever that can
    fund nothing) is not the largest: divided by its 1.12e8, a min_spend of 0.00103
    read 9e-12, inside every tolerance."""
    top = max((abs(c) for key, c in form.terms.items() if not form.vars[key].fixed),
              default=0.0) or 1.0
    return form.scaled(1.0 / top).between(None if lower is None else lower / top,
                                          None if upper is None else upper / top)


def add_use_links(b: Sink, data: ModelData, f: Forms) -> None:
    """X[l] <= U[l] u[l]: units only once the lever is used (and its fixed cost paid).

    U[l] is the largest value X[l] can take (from max_units, max_spend or
    the ceiling), so the row cuts nothing else.
    """
    m = b.m
    if not len(m.B):
        return
    b.rows("use_link", (m.B,), lambda m, i: f.units[i].copy().add_var(
        m.u[i], -_known(data.levers[i].on_off_bound)).le(0.0))


def add_use_floors(b: Sink, data: ModelData, f: Forms) -> None:
    """X[l] >= floor[l] u[l]: a used lever has units (and min_units_if_used of them).

    floor[l] is min_units_if_used, at least one unit when another lever
    requires l, and otherwise the least positive amount (see inputs._use_floor):
    without it the fixed cost could be paid for no units at all.
    """
    m = b.m
    rows = [i for i in m.B if data.levers[i].use_floor]
    if not rows:
        return
    b.rows("use_floor", (rows,), lambda m, i: f.units[i].copy().add_var(
        m.u[i], -_known(data.levers[i].use_floor)).ge(0.0))


def add_requires(b: Sink, data: ModelData) -> None:
    """u[l] <= u[r] for l requires r (r's use floor then holds it to a real amount)."""
    if not data.requires:
        return
    b.rows("requires", (range(len(data.requires)),), lambda m, n: Affine(
        [(m.u[data.requires[n][0]], 1.0), (m.u[data.requires[n][1]], -1.0)]).le(0.0))


def add_excludes(b: Sink, data: ModelData) -> None:
    """u[l] + u[e] <= 1 for l excludes e."""
    if not data.excludes:
        return
    b.rows("excludes", (range(len(data.excludes)),), lambda m, n: Affine(
        [(m.u[data.excludes[n][0]], 1.0), (m.u[data.excludes[n][1]], 1.0)]).le(1.0))


def add_budget_ceiling(b: Sink, data: ModelData, f: Forms) -> None:
    """sum spend <= ceiling (undiscounted, over the horizon); inactive when there is none."""
    m = b.m
    ceiling = b.param("ceiling", NO_CEILING if data.ceiling is None else data.ceiling)
    total = Affine.total(f.period_spend(k) for k in m.K)
    b.row("budget", total.within(None, ceiling))
    if data.ceiling is None:
        b.deactivate("budget")


def add_period_ceilings(b: Sink, data: ModelData, f: Forms) -> None:
    """sum_l spend[l,k] <= ceiling[k] for the periods given."""
    if not data.period_ceilings:
        return
    caps = dict(data.period_ceilings)
    b.rows("period_budget", (sorted(caps),), lambda m, k: f.period_spend(k).le(caps[k]))


def add_target(b: Sink, data: ModelData, f: Forms) -> None:
    """sum_l exports[l, last] >= needed."""
    needed = b.param("needed", data.needed)
    b.row("target", f.period_exports(data.periods - 1).within(needed, None))


def add_chance_target(b: Sink, data: ModelData, f: Forms) -> None:
    """Sample average approximation of P(exports >= needed) >= confidence:

        sum_l exports_j[l, last] >= needed h[j]   for each sample j, h[j] in {0, 1}
        sum_j h[j] >= required  (h: m.reached)

    where exports_j uses sample j's yield and attrition (curve levers keep their
    curve). The sure target row is switched off.
    """
    m = b.m
    chance = data.chance
    if chance is None:
        return
    last = data.periods - 1
    b.set("J", range(len(chance.yields)))
    b.var("reached", (m.J,), "binary")
    required = b.param("required", float(chance.required))

    def reach(m: Any, j: int) -> Row:
        row = Affine([(m.reached[j], -data.needed)])
        for i, lv in enumerate(data.levers):
            if lv.curve is not None:
                row.add(f.exports[last][i])
                continue
            keep, a = chance.keeps[j][i], chance.yields[j][i]
            for k in range(last - lv.lag + 1):
                row.add_var(m.x[i, k], a * keep ** (last - lv.lag - k))
        return row.ge(0.0)

    b.rows("sample_reach", (m.J,), reach)
    hits = Affine([(m.reached[j], 1.0) for j in m.J])
    b.row("enough", hits.within(required, None))
    b.deactivate("target")
    # when no plan reaches enough samples: how many can be reached at most
    # (inactive: build's use_objective makes one objective active)
    b.objective("most_reached", hits, maximise=True)


def add_outcome_floors(b: Sink, data: ModelData, f: Forms) -> None:
    """sum_l yields[o,l] active[l,k] >= floor[o,k]: each floor and milestone on an
    outcome besides exports (its own model unit)."""
    if not data.outcome_floors:
        return

    def rule(m: Any, r: int) -> Row:
        floor = data.outcome_floors[r]
        form = Affine.total([*(f.stock[i][floor.period].scaled(y)
                               for i, y in enumerate(floor.yields) if y),
                             *_curve_terms(m, data, f, floor.curves, floor.period)], None)
        return form.ge(floor.rhs)

    b.rows("outcome_floor", (range(len(data.outcome_floors)),), rule)


def add_milestones(b: Sink, data: ModelData, f: Forms) -> None:
    """sum_l exports[l,k] >= milestone[k] for earlier periods."""
    if not data.milestones:
        return
    goals = dict(data.milestones)

    def rule(m: Any, k: int) -> Row:
        form = f.period_exports(k)
        if goals[k] > 0 and _most(form) <= 0:
            # no lever can export yet in period k (lags): 0 >= goal, with the goal
            # made 1 so that no tolerance passes it (26 USD was 2.6e-10 model
            # units where a curve's exports set the unit at 1e11)
            return form.ge(max(goals[k], 1.0))
        scale = _milestone_scale(goals[k])
        return form.scaled(scale).ge(goals[k] * scale)

    b.rows("milestone", (sorted(goals),), rule)


def _milestone_scale(goal: float) -> float:
    """What a period's milestone row (and the curve rows its exports come from) is
    multiplied by: a milestone far below the export unit (1.13M beside exports of
    1e18 a 1000B ceiling buys) would sit inside HiGHS's absolute tolerance, so it
    is made to read 1e-3 (at most 1e9 times)."""
    return min(1e-3 / goal, 1e9) if 0 < goal < 1e-3 else 1.0


def _most(form: Affine) -> float:
    """The largest value a form takes within its variables' bounds."""
    total = form.const
    for key, coef in form.terms.items():
        var = form.vars[key]
        bound = var.ub if coef > 0 else var.lb
        if bound is None:
            return math.inf
        total += coef * bound
    return total


def _quantity(m: Any, f: Forms, data: ModelData, kind: str, i: int) -> Affine:
    if kind == "curve":  # an outcome curve's last-period value (i: the curve's index)
        return curve_value(m, data, f, i, data.periods - 1)
    if kind == "units":
        return f.units[i]
    if kind == "spend":
        return f.lever_spend(i)
    if kind == "active":
        return f.stock[i][data.periods - 1]
    return f.exports[data.periods - 1][i]


def add_linear_constraints(b: Sink, data: ModelData, f: Forms) -> None:
    """sum coef * quantity SENSE rhs, one row per entry of `constraints:`.

    units and spend are horizon totals; exports are the last period's.
    """
    if not data.rows:
        return

    def rule(m: Any, r: int) -> Row:
        row = data.rows[r]
        body = Affine.total((_quantity(m, f, data, kind, i) for kind, i, _ in row.terms),
                            (coef for _, _, coef in row.terms))
        if row.sense == "<=":
            return body.le(row.rhs)
        if row.sense == ">=":
            return body.ge(row.rhs)
        return body.eq(row.rhs)

    b.rows("extra", (range(len(data.rows)),), rule)


def goal_form(m: Any, data: ModelData, f: Forms) -> Affine:
    """The weighted last-period outcomes a max objective maximises (see Goal):
    goal.exports * sum_l exports[l, last] + sum_l goal.yields[l] active[l, last]."""
    goal = data.goal
    assert goal is not None
    last = data.periods - 1
    parts = [f.stock[i][last].scaled(y) for i, y in enumerate(goal.yields) if y]
    if goal.curves:
        parts += _curve_terms(m, data, f, goal.curves, last)
    if goal.exports:
        parts.append(f.period_exports(last).scaled(goal.exports))
    return Affine.total(parts, None)


def add_goal(b: Sink, data: ModelData, f: Forms) -> None:
    """goal >= goal_floor (see goal_form): the row that holds a max objective's most
    while its second stage seeks the cheapest plan; inactive until then. (Exports
    alone are held by the target row.)"""
    if data.goal is None:
        return
    floor = b.param("goal_floor", 0.0)
    b.row("goal", goal_form(b.m, data, f).within(floor, None))
    b.deactivate("goal")


def add_objectives(b: Sink, data: ModelData, f: Forms) -> None:
    """min sum_k weight[k] spend[k] (min_cost) or max last-period exports (max_exports),
    or the goal (goal_form) where the file maximises other outcomes."""
    m = b.m
    cost = Affine.total((f.period_spend(k) for k in m.K), data.weights)
    b.objective("cost_objective", cost, maximise=False)
    b.objective("exports_objective", f.period_exports(data.periods - 1), maximise=True)
    if data.goal is not None:
        b.objective("goal_objective", goal_form(m, data, f), maximise=True)
    # the most exports in one earlier period: to say which milestone is out of reach
    b.objectives("period_objective", [k for k in m.EK if k != data.periods - 1],
                 lambda m, k: f.period_exports(k), maximise=True)


def use_objective(m: pyo.ConcreteModel | LiteModel, objective: str,
                  period: int | None = None) -> None:
    """Make one objective active: ``min_cost``, ``max_exports`` (the last period's
    exports), ``max_goal`` (the goal, where the model has one: see goal_form), or,
    with ``period``, the most exports in that earlier period."""
    for obj in m.component_data_objects(pyo.Objective):
        obj.deactivate()
    if period is not None:
        m.period_objective[period].activate()
    elif objective == "min_cost":
        m.cost_objective.activate()
    elif objective == "max_goal":
        m.goal_objective.activate()
    else:
        m.exports_objective.activate()
