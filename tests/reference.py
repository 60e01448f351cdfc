"""An independent reference solver for tests: validated Scenario -> scipy.optimize.milp.

It builds the problem of the spec (sections 1, 4 and 5's floors, "Semantics") straight from
the schema objects, with numpy arrays, and never touches the engine's Pyomo
model, its ModelData, its scaling or its plan checker (optimizer.solving.inputs,
models, optimizer.solving.engine, optimizer.plan.check). A scenario without ``periods`` is
one period, and every formula below then reduces to section 1's.

Formulation (scenario units; money in the reporting currency; K periods,
k = 0..K-1, the last the target period):

* x[l,k] >= 0 units of lever l funded in period k (integer where the lever
  says so), <= max_units_per_period and every other cap a period can have;
* active[l,k] = sum_{j <= k - lag} (1 - attrition)^(k - lag - j) x[l,j];
* spend[l,k] = c[l,k] x[l,k] + recurring * active[l,k] + f s[l,k], with
  c[l,k] the net unit cost in period k (unit_cost_by_period, cost_recovery)
  and s[l,k] in {0, 1} "the lever starts in period k" for a lever with a
  fixed cost: sum_k s[l,k] <= 1, x[l,k] <= M[l,k] sum_{j<=k} s[l,j] and
  x[l,k] >= floor * s[l,k], so the fixed cost falls in the first period
  with units funded. The floor ("units > 0" as a MIP can say it) is 1 unit
  for an integer lever and START_FLOOR (1e-9 units) for a continuous one:
  a plan the reference returns then differs from the spec's infimum by at
  most 1e-9 units of one lever;
* exports[l,k] = yield_per_unit * active[l,k], or with a yield curve (any
  curve, concave or not) exactly, by the incremental formulation: d_j in
  [0, w_j] the active units on segment j (w_j its width, g_j its slope),
  active = sum_j d_j, exports = sum_j g_j d_j, and binaries z_j "segment j
  is full": d_j >= w_j z_j, d_{j+1} <= w_{j+1} z_j, so a segment fills only
  once the one before it is full. Curve columns exist in the periods whose
  exports enter a row (milestone periods and the last); in the other periods
  active[l,k] <= the last breakpoint is a plain row. (Weights on the
  breakpoints, lambda_i in [0, 1] times exports of 1e9, made HiGHS call the
  shipped concave example infeasible: d_j keeps the exports row's
  coefficients at yields per unit, like a linear lever's.);
* u_l = 1 when the lever is used (its units over the horizon are > 0):
  sum_k s[l,k] for a lever with a fixed cost, else a binary u_l, only for
  levers with min_units_if_used > 0 or named by requires/excludes. Units
  over the horizon X_l <= M_l u_l and X_l >= least_l u_l, least_l =
  min_units_if_used, raised to max(min_units_if_used, 1) for a lever that
  another lever requires (the spec: "a lever that another requires must then
  be funded with at least its min_units_if_used, or 1 unit"; read as: whenever
  it is used);
* requires l -> r: u_l <= u_r; excludes l, e: u_l + u_e <= 1;
* min_units, max_units, fixed_units (==), min_spend, max_spend and
  `constraints:` apply to horizon totals (units funded, spend);
  exports(ID) is the lever's last-period exports;
* ceiling: total undiscounted spend; budget.per_period: spend in a period;
  milestones: lever exports in that period (also under max_exports); target:
  last-period lever exports (min_cost only);
* section 5's floors on other outcomes (target.outcomes.O.min in the last
  period, .milestones in earlier ones): sum_l yields[O, l] * active[l,k] >=
  floor, under either objective;
* min_cost minimises discounted spend, sum_k spend_k / (1 + r)^k;
  max_exports maximises last-period lever exports E*, then minimises
  discounted spend over plans with exports >= E* (1 - 1e-9).

M[l,k] is the tightest cap on x[l,k] the scenario implies (max_units,
fixed_units, max_units_per_period, the curve's last breakpoint when the units
become active by the last period, and money caps from max_spend, the ceiling
and per_period divided by the net unit cost); a lever that needs a binary and
has no such cap is refused with ReferenceError.

Numerics are the reference's own, chosen because HiGHS's tolerances are
absolute (1e-7 on rows and on reduced costs, 1e-6 on integrality):

* columns stay in scenario units. (Solving for continuous levers in units of
  their caps was tried: HiGHS 1.16 then called a feasible max_exports second
  stage infeasible. An integer lever cannot be rescaled at all.)
* every row is divided by the geometric mean of its largest and smallest
  coefficients;
* the objective is scaled so that its optimum is about 1e4: a first solve
  guesses it, and the problem is solved again while the guess is off by more
  than 10x, keeping the best plan found. Otherwise a lever whose cost is tiny
  next to another's gets a reduced cost under HiGHS's tolerance and is
  treated as free.
* each solve runs with HiGHS's presolve and without, keeping the best plan
  that passes the checks below: presolve drops a lever whose units can only
  be tiny and now and then ends in a solve error or a wrong "infeasible".
* polishing: the MIP's binaries (and integer units) are rounded and fixed,
  with what they imply as bounds (no units before a lever starts, none for an
  unused lever, at least the floor in the start period, full segments full
  and the segments after an unfilled one empty), and the LP left is solved
  again. The plan returned is that LP's, exact for its binaries.
* branching past the integrality tolerance: with a big M of 1e6 units, HiGHS
  accepts u = 1e-7 as integral 0 and funds 0.1 units "free" (no fixed cost);
  likewise a curve segment that fills before the one below it is full
  (d_{j+1} > 0 with z_j ~ 1e-7). When the polished plan
  is worse than the MIP's objective and the MIP plan has such a free ride, the
  reference branches itself: (lever started by period k) or (no units funded
  up to k); (lever used) or (no units); (segment j full) or (segment j + 1
  empty). Each pair partitions the plans the spec allows,
  so the best of the branches is the optimum.

HiGHS (inside scipy) is asked for a relative MIP gap of 1e-9.

The plan found is re-checked against every row in scenario units (to 1e-9 of
the row's size, or HiGHS's 1e-6 feasibility tolerance on the scaled row), and
its binaries against its units, before it is returned; a plan that fails
raises ReferenceError, so the reference never answers with a plan it did not
verify. Reported figures (cost, exports, by period) are recomputed from the
units funded by the spec's formulas, not read off the solver's columns.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from optimizer.scenario.expressions import parse_relation
from optimizer.scenario.schema import Lever, Scenario

LEXICOGRAPHIC_TOL = 1e-9  # the spec's: the cheapest plan within 1e-9 of the most exports
MIP_REL_GAP = 1e-9
# seconds one scipy milp call may take (status 1, a limit: no verdict)
REFERENCE_SECONDS = 30.0
INTEGRALITY_SNAP = 1e-6
ROW_TOL = 1e-9  # the self-check: relative to max(1, sum |coef * value|, |bound|) ...
HIGHS_FEASIBILITY = 1e-6  # ... or HiGHS's MIP feasibility tolerance on the scaled row
OBJECTIVE_PASSES = 4
OBJECTIVE_SIZE = 1e4
START_FLOOR = 1e-9  # units a continuous lever funds at least in its start period
DUST = 1e-9  # units below this are round-off, not a free ride
POLISH_TOL = 1e-9  # polished objective worse than the MIP's by more: look for free rides
MAX_BRANCH_DEPTH = 24

Status = Literal["optimal", "infeasible"]
Row = tuple[np.ndarray, float, float]
"""(coefficients over the columns in scenario units, low, high)."""
Fix = dict[int, tuple[float, float]]
"""Column -> (low, high): bounds a branch or the polish sets."""


@dataclass(frozen=True)
class RefResult:
    status: Status
    total_cost: float | None
    """Undiscounted spend over the horizon."""
    lever_exports: float | None
    """Lever exports in the last period."""
    units: dict[str, float] | None
    """Units funded over the horizon, by lever."""
    discounted_cost: float | None = None
    """The min_cost objective: spend in period k weighted 1/(1+r)^k."""
    units_by_period: dict[str, tuple[float, ...]] | None = None
    spend_by_period: tuple[float, ...] | None = None
    exports_by_period: tuple[float, ...] | None = None
    best_exports: float | None = None
    """A max objective: the most of its goal (lever exports for max_exports) (the
    first stage)."""
    goal_value: float | None = None
    """A max objective: the plan's weighted last-period outcomes."""


class ReferenceError(RuntimeError):
    """scipy ended in a state the reference does not interpret (limit, unbounded, error)."""


# --- the spec's arithmetic for a plan (units funded per period) ------------------------


def curve_value(curve: Sequence[tuple[float, float]], active: float) -> float:
    """Piecewise-linear interpolation of the breakpoints (extended past the last one)."""
    pts = [(float(u), float(e)) for u, e in curve]
    for (u0, e0), (u1, e1) in zip(pts, pts[1:], strict=False):
        if active <= u1:
            return e0 + (e1 - e0) * (active - u0) / (u1 - u0)
    (u0, e0), (u1, e1) = pts[-2], pts[-1]
    return e1 + (e1 - e0) * (active - u1) / (u1 - u0)


def lever_exports_at(lever: Lever, active: float) -> float:
    if lever.yield_curve:
        return curve_value(lever.yield_curve, active)
    return float(lever.yield_per_unit or 0.0) * active


def net_cost(lever: Lever, label: int | str) -> float:
    gross = lever.unit_cost
    for key, value in lever.unit_cost_by_period.items():
        if str(key) == str(label):
            gross = value
    return gross * (1.0 - lever.cost_recovery)


def period_index(labels: Sequence[int | str], key: int | str) -> int:
    return [str(p) for p in labels].index(str(key))


@dataclass(frozen=True)
class Path:
    """One lever's plan over the periods, by the spec's formulas."""

    funded: tuple[float, ...]
    active: tuple[float, ...]
    spend: tuple[float, ...]
    exports: tuple[float, ...]

    @property
    def units(self) -> float:
        return sum(self.funded)


def lever_path(lever: Lever, funded: Sequence[float], labels: Sequence[int | str]) -> Path:
    keep = 1.0 - lever.attrition
    active = [
        sum(keep ** (k - lever.lag - j) * funded[j] for j in range(k - lever.lag + 1))
        for k in range(len(labels))
    ]
    start = next((k for k, x in enumerate(funded) if x > 0), None)
    spend = [
        net_cost(lever, p) * funded[k] + lever.recurring_cost * active[k]
        + (lever.fixed_cost if k == start else 0.0)
        for k, p in enumerate(labels)
    ]
    exports = [lever_exports_at(lever, a) for a in active]
    return Path(tuple(funded), tuple(active), tuple(spend), tuple(exports))


def weights(s: Scenario) -> list[float]:
    return [1.0 / (1.0 + s.discount_rate) ** k for k in range(len(s.period_labels))]


def as_plan(s: Scenario, units: Mapping[str, float | Sequence[float]]) -> dict[str, list[float]]:
    """Units funded per period; a bare number is a one-period plan."""
    out = {}
    for lid, value in units.items():
        out[lid] = [float(value)] if isinstance(value, int | float) else [float(v) for v in value]
        if len(out[lid]) != len(s.period_labels):
            raise ValueError(f"{lid}: {len(out[lid])} periods, the scenario has "
                             f"{len(s.period_labels)}")
    return out


def semantic_limits(
    s: Scenario, paths: Mapping[str, Path], need_target: bool
) -> list[tuple[str, float, float, float, float]]:
    """(name, value, low, high, size) of every limit of the scenario for a plan."""
    labels = s.period_labels
    last = len(labels) - 1
    inf = math.inf
    out: list[tuple[str, float, float, float, float]] = []
    levers = s.enabled_levers()
    for lid, lv in levers.items():
        p = paths[lid]
        x = p.units
        spend = sum(p.spend)
        out.append((f"{lid}.units", x, lv.min_units,
                    inf if lv.max_units is None else lv.max_units, x))
        if lv.fixed_units is not None:
            out.append((f"{lid}.fixed_units", x, lv.fixed_units, lv.fixed_units, x))
        if x > 0 and lv.min_units_if_used:
            out.append((f"{lid}.min_units_if_used", x, lv.min_units_if_used, inf, x))
        for k, q in enumerate(p.funded):
            top = inf if lv.max_units_per_period is None else lv.max_units_per_period
            out.append((f"{lid}.units[{labels[k]}]", q, 0.0, top, abs(q)))
        if lv.yield_curve:
            for k, a in enumerate(p.active):
                out.append((f"{lid}.active[{labels[k]}]", a, -inf, lv.yield_curve[-1][0], a))
        for name, points in lv.yield_curves.items():
            for k, a in enumerate(p.active):
                out.append((f"{lid}.yield_curves.{name}[{labels[k]}]", a, -inf,
                            float(points[-1][0]), a))
        if lv.min_spend is not None or lv.max_spend is not None:
            out.append((f"{lid}.spend", spend, lv.min_spend or 0.0,
                        inf if lv.max_spend is None else lv.max_spend, spend))
        for other in lv.requires:
            if x > 0:
                need = max(levers[other].min_units_if_used or 0.0, 1.0)
                got = paths[other].units
                out.append((f"{lid}.requires.{other}", got, need, inf, got))
        if x > 0 and any(lid in other.requires for other in levers.values()):
            # a required lever, whenever used, funds at least max(min_units_if_used, 1)
            need = max(lv.min_units_if_used or 0.0, 1.0)
            out.append((f"{lid}.required_floor", x, need, inf, x))
        for other in lv.excludes:
            if x > 0:
                got = paths[other].units
                out.append((f"{lid}.excludes.{other}", got, 0.0, 0.0, got))
    spend_k = [sum(p.spend[k] for p in paths.values()) for k in range(len(labels))]
    exports_k = [sum(p.exports[k] for p in paths.values()) for k in range(len(labels))]
    if s.budget.ceiling is not None:
        out.append(("budget.ceiling", sum(spend_k), -inf, s.budget.ceiling, sum(spend_k)))
    for key, cap in s.budget.per_period.items():
        k = period_index(labels, key)
        out.append((f"budget.per_period.{key}", spend_k[k], -inf, cap, spend_k[k]))
    for key, goal in s.target.milestones.items():
        k = period_index(labels, key)
        out.append((f"target.milestones.{key}", exports_k[k], goal, inf, exports_k[k]))
    maximised = _goal_weights(s) if s.objective != "min_cost" else {}
    for name, floors in s.target.outcomes.items():
        def outcome_in(k: int, name: str = name) -> float:
            return sum(_outcome_of(levers[lid], name, p.active[k]) for lid, p in paths.items())
        for key, goal in floors.milestones.items():
            got = outcome_in(period_index(labels, key))
            out.append((f"target.outcomes.{name}.milestones.{key}", got, goal, inf, got))
        if floors.min is not None and name not in maximised:
            got = outcome_in(last)
            out.append((f"target.outcomes.{name}.min", got, floors.min, inf, got))
    if need_target:
        out.append(("target.exports", exports_k[last], s.target.needed, inf, exports_k[last]))
    for i, con in enumerate(s.constraints):
        rel = parse_relation(con.expr, list(levers), outcomes=list(s.outcomes))
        value, size = 0.0, abs(rel.rhs)
        for term, coef in rel.coefs.items():
            p = paths[term.lever]
            if term.kind == "outcome":  # section 5: yields[O] (or the curve) of active units
                assert term.outcome is not None
                q = _outcome_of(levers[term.lever], term.outcome, p.active[last])
            else:
                q = {"units": p.units, "spend": sum(p.spend),
                     "exports": p.exports[last]}[term.kind]
            value += coef * q
            size += abs(coef * q)
        lo = rel.rhs if rel.sense in (">=", "==") else -inf
        hi = rel.rhs if rel.sense in ("<=", "==") else inf
        out.append((f"constraints[{i}]", value, lo, hi, size))
    return out


def _outcome_of(lever: Lever, name: str, active: float) -> float:
    """A lever's outcome ``name`` from ``active`` units: its yield, or its curve."""
    curve = lever.yield_curves.get(name)
    if curve:
        return curve_value([(float(u), float(v)) for u, v in curve], active)
    return lever.yields.get(name, 0.0) * active


def evaluate(
    s: Scenario, units: Mapping[str, float | Sequence[float]], tol: float = 1e-6,
    need_target: bool | None = None,
) -> tuple[float, float, list[str]]:
    """(total cost, last-period lever exports, broken limits) of a plan, by the spec.

    ``units`` maps each enabled lever to its units funded per period (a bare
    number for a one-period scenario). A lever pays its fixed cost in the first
    period with units > 0; a limit is broken when it fails by more than tol of
    its size. Used to judge a plan another solver found, independently of how
    it was found. The target counts for min_cost unless need_target says.
    """
    plan = as_plan(s, units)
    labels = s.period_labels
    paths = {lid: lever_path(lv, plan[lid], labels) for lid, lv in s.enabled_levers().items()}
    if need_target is None:
        need_target = s.objective == "min_cost" or (
            "exports" not in _goal_weights(s))
    broken = []
    for name, value, lo, hi, size in semantic_limits(s, paths, need_target):
        slack = tol * max(1.0, abs(size), *(abs(b) for b in (lo, hi) if math.isfinite(b)))
        if value < lo - slack or value > hi + slack:
            broken.append(f"{name}: {value!r} not in [{lo!r}, {hi!r}]")
    for lid, lv in s.enabled_levers().items():
        if lv.integer:
            for q in plan[lid]:
                if abs(q - round(q)) > INTEGRALITY_SNAP:
                    broken.append(f"{lid}: {q!r} units is not whole")
    cost = sum(sum(p.spend) for p in paths.values())
    exports = sum(p.exports[-1] for p in paths.values())
    return cost, exports, broken


# --- the MIP ----------------------------------------------------------------------------


def _row_scale(coefs: np.ndarray) -> float:
    """What a row is divided by for milp: the geometric mean of its extreme |coefficients|."""
    sizes = np.abs(coefs[coefs != 0.0])
    return math.sqrt(float(sizes.max()) * float(sizes.min())) if sizes.size else 0.0


def _floor_int(cap: float, integer: bool) -> float:
    return math.floor(cap + 1e-9) if integer and math.isfinite(cap) else cap


@dataclass
class _Columns:
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    binary: list[int] = field(default_factory=list)

    def add(self, lb: float, ub: float, integer: bool, binary: bool = False) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(1 if integer or binary else 0)
        if binary:
            self.binary.append(len(self.lb) - 1)
        return len(self.lb) - 1


@dataclass(frozen=True)
class _Curve:
    widths: tuple[float, ...]
    slopes: tuple[float, ...]
    seg: tuple[int, ...]
    """Columns d_j: active units on segment j (joining breakpoints j and j + 1)."""
    full: tuple[int, ...]
    """Columns z_j, j < last segment: segment j is full (the next may fill)."""


class _Problem:
    """Columns, rows and solves for one scenario."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.levers = s.enabled_levers()
        self.ids = list(self.levers)
        self.labels = s.period_labels
        self.K = len(self.labels)
        self.last = self.K - 1
        self.w = weights(s)
        self.export_periods = sorted(
            {self.last} | {period_index(self.labels, k) for k in s.target.milestones})
        self.required = {r for lv in self.levers.values() for r in lv.requires}
        logic = set(self.required)
        for lid, lv in self.levers.items():
            if lv.requires or lv.excludes:
                logic.add(lid)
            logic.update(lv.excludes)
        self.caps = {lid: self._period_caps(lid) for lid in self.ids}
        self.horizon = {lid: self._horizon_cap(lid) for lid in self.ids}
        for lid in self.ids:
            self.caps[lid] = [min(c, self.horizon[lid]) for c in self.caps[lid]]
        cols = _Columns()
        single = self.K == 1
        self.x: dict[tuple[str, int], int] = {}
        for lid, lv in self.levers.items():
            for k in range(self.K):
                lb, ub = 0.0, self.caps[lid][k]
                if single:
                    lb = max(lv.min_units, lv.fixed_units or 0.0)
                    for b in (lv.max_units, lv.fixed_units):
                        if b is not None:
                            ub = min(ub, b)
                self.x[lid, k] = cols.add(lb, ub, lv.integer)
        self.starts: dict[str, list[int]] = {}
        self.u: dict[str, int] = {}
        for lid, lv in self.levers.items():
            needs = lv.fixed_cost > 0 or (lv.min_units_if_used or 0.0) > 0 or lid in logic
            if not needs:
                continue
            if not math.isfinite(self.horizon[lid]):
                raise ReferenceError(f"lever {lid} needs a binary but has no bound on units")
            if lv.fixed_cost > 0:
                self.starts[lid] = [cols.add(0.0, 1.0, True, True) for _ in range(self.K)]
            else:
                self.u[lid] = cols.add(0.0, 1.0, True, True)
        self.curves: dict[tuple[str, int], _Curve] = {}
        for lid, lv in self.levers.items():
            if not lv.yield_curve:
                continue
            pts = [(float(u), float(e)) for u, e in lv.yield_curve]
            widths = tuple(u1 - u0 for (u0, _), (u1, _) in zip(pts, pts[1:], strict=False))
            slopes = tuple((e1 - e0) / (u1 - u0)
                           for (u0, e0), (u1, e1) in zip(pts, pts[1:], strict=False))
            for k in self.export_periods:
                if k < lv.lag:
                    continue  # nothing is active yet: exports are 0
                seg = tuple(cols.add(0.0, w, False) for w in widths)
                full = tuple(cols.add(0.0, 1.0, True, True) for _ in widths[1:])
                self.curves[lid, k] = _Curve(widths, slopes, seg, full)
        # section 5: an outcome's curve of active units, its own segments in every
        # period the lever has active units (keyed "lid#outcome": the branching
        # above treats it as any curve)
        for lid, lv in self.levers.items():
            for name, points in lv.yield_curves.items():
                pts = [(float(u), float(v)) for u, v in points]
                widths = tuple(u1 - u0 for (u0, _), (u1, _) in zip(pts, pts[1:], strict=False))
                slopes = tuple((v1 - v0) / (u1 - u0)
                               for (u0, v0), (u1, v1) in zip(pts, pts[1:], strict=False))
                for k in range(lv.lag, self.K):
                    seg = tuple(cols.add(0.0, w, False) for w in widths)
                    full = tuple(cols.add(0.0, 1.0, True, True) for _ in widths[1:])
                    self.curves[f"{lid}#{name}", k] = _Curve(widths, slopes, seg, full)
        self.cols = cols
        self.size = len(cols.lb)
        self.rows: list[Row] = []

    # -- caps -----------------------------------------------------------------------------
    def _money_caps(self, lv: Lever, cost: float, k: int | None) -> list[float]:
        if cost <= 0:
            return []
        caps = []
        for money in (lv.max_spend, self.s.budget.ceiling):
            if money is not None:
                caps.append(max(money - lv.fixed_cost, 0.0) / cost)
        if k is not None:
            for key, cap in self.s.budget.per_period.items():
                if period_index(self.labels, key) == k:
                    caps.append(cap / cost)
        return caps

    def _period_caps(self, lid: str) -> list[float]:
        lv = self.levers[lid]
        out = []
        for k, label in enumerate(self.labels):
            caps = [b for b in (lv.max_units, lv.fixed_units, lv.max_units_per_period)
                    if b is not None]
            if lv.yield_curve and k + lv.lag <= self.last:
                # a unit funded in k is active, undiminished, in k + lag
                caps.append(float(lv.yield_curve[-1][0]))
            caps += self._money_caps(lv, net_cost(lv, label), k)
            out.append(_floor_int(min(caps, default=math.inf), lv.integer))
        return out

    def _horizon_cap(self, lid: str) -> float:
        lv = self.levers[lid]
        caps = [b for b in (lv.max_units, lv.fixed_units) if b is not None]
        caps.append(sum(self.caps[lid]))
        caps += self._money_caps(lv, min(net_cost(lv, p) for p in self.labels), None)
        return _floor_int(min(caps), lv.integer)

    def floor(self, lid: str) -> float:
        return 1.0 if self.levers[lid].integer else START_FLOOR

    def least(self, lid: str) -> float:
        """Least units over the horizon of a used lever (0: no floor beyond the start's)."""
        lv = self.levers[lid]
        least = lv.min_units_if_used or 0.0
        if lid in self.required:
            least = max(least, 1.0)
        return least

    # -- quantities as coefficient vectors (scenario units) ------------------------------
    def zero(self) -> np.ndarray:
        return np.zeros(self.size)

    def units(self, lid: str) -> np.ndarray:
        v = self.zero()
        for k in range(self.K):
            v[self.x[lid, k]] = 1.0
        return v

    def use(self, lid: str) -> np.ndarray:
        v = self.zero()
        if lid in self.starts:
            v[self.starts[lid]] = 1.0
        else:
            v[self.u[lid]] = 1.0
        return v

    def active(self, lid: str, k: int) -> np.ndarray:
        lv = self.levers[lid]
        keep = 1.0 - lv.attrition
        v = self.zero()
        for j in range(k - lv.lag + 1):
            v[self.x[lid, j]] = keep ** (k - lv.lag - j)
        return v

    def spend_in(self, lid: str, k: int) -> np.ndarray:
        lv = self.levers[lid]
        v = lv.recurring_cost * self.active(lid, k)
        v[self.x[lid, k]] += net_cost(lv, self.labels[k])
        if lid in self.starts:
            v[self.starts[lid][k]] += lv.fixed_cost
        return v

    def spend(self, lid: str) -> np.ndarray:
        return sum((self.spend_in(lid, k) for k in range(self.K)), self.zero())

    def exports_in(self, lid: str, k: int) -> np.ndarray:
        lv = self.levers[lid]
        if not lv.yield_curve:
            return float(lv.yield_per_unit or 0.0) * self.active(lid, k)
        v = self.zero()
        curve = self.curves.get((lid, k))
        if curve is not None:
            v[list(curve.seg)] = curve.slopes
        elif k >= lv.lag:
            raise AssertionError(f"no curve columns for {lid} in period {k}")
        return v

    def exports(self, lid: str) -> np.ndarray:
        return self.exports_in(lid, self.last)

    def outcome(self, name: str, k: int) -> np.ndarray:
        """sum_l yields[name, l] * active[l, k], or the lever's curve (section 5)."""
        return sum((self.lever_outcome(lid, name, k) for lid in self.levers), self.zero())

    def lever_outcome(self, lid: str, name: str, k: int) -> np.ndarray:
        """Lever lid's outcome ``name`` in period k: its yield times active units, or
        its curve's segments weighted by their slopes."""
        lv = self.levers[lid]
        if name not in lv.yield_curves:
            return lv.yields.get(name, 0.0) * self.active(lid, k)
        v = self.zero()
        curve = self.curves.get((f"{lid}#{name}", k))
        if curve is not None:
            v[list(curve.seg)] = curve.slopes
        return v

    def period_spend(self, k: int) -> np.ndarray:
        return sum((self.spend_in(lid, k) for lid in self.ids), self.zero())

    def period_exports(self, k: int) -> np.ndarray:
        return sum((self.exports_in(lid, k) for lid in self.ids), self.zero())

    def total_spend(self) -> np.ndarray:
        return sum((self.period_spend(k) for k in range(self.K)), self.zero())

    def discounted_spend(self) -> np.ndarray:
        return sum((w * self.period_spend(k) for k, w in enumerate(self.w)), self.zero())

    def total_exports(self) -> np.ndarray:
        return self.period_exports(self.last)

    # -- rows -------------------------------------------------------------------------------
    def build(self) -> None:
        s = self.s
        inf = math.inf
        add = self.rows.append
        for lid, lv in self.levers.items():
            total = self.units(lid)
            if self.K > 1:
                if lv.fixed_units is not None:
                    add((total, lv.fixed_units, lv.fixed_units))
                elif lv.min_units > 0 or lv.max_units is not None:
                    add((total, lv.min_units, inf if lv.max_units is None else lv.max_units))
            if lid in self.starts:
                starts = self.starts[lid]
                if self.K > 1:
                    one = self.zero()
                    one[starts] = 1.0
                    add((one, -inf, 1.0))  # at most one start
                for k in range(self.K):
                    link = self.zero()
                    link[self.x[lid, k]] = 1.0
                    link[starts[: k + 1]] = -self.caps[lid][k]
                    add((link, -inf, 0.0))  # x[l,k] <= M[l,k] sum_{j<=k} s[l,j]
                    low = self.zero()
                    low[self.x[lid, k]] = 1.0
                    low[starts[k]] = -self.floor(lid)
                    add((low, 0.0, inf))  # x[l,k] >= floor s[l,k]
            if lid in self.starts or lid in self.u:
                use = self.use(lid)
                if self.K > 1 or lid in self.u:
                    add((total - self.horizon[lid] * use, -inf, 0.0))  # X <= M u
                if self.least(lid) > 0:
                    add((total - self.least(lid) * use, 0.0, inf))  # X >= least u
            for other in lv.requires:
                add((self.use(lid) - self.use(other), -inf, 0.0))
            for other in lv.excludes:
                add((self.use(lid) + self.use(other), -inf, 1.0))
            if lv.min_spend is not None or lv.max_spend is not None:
                lo = -inf if lv.min_spend is None else lv.min_spend
                hi = inf if lv.max_spend is None else lv.max_spend
                add((self.spend(lid), lo, hi))
            if lv.yield_curve:
                top = float(lv.yield_curve[-1][0])
                for k in range(lv.lag, self.K):
                    curve = self.curves.get((lid, k))
                    if curve is None:
                        add((self.active(lid, k), -inf, top))
                        continue
                    self._curve_rows(lid, k, curve)
        for (key, k), curve in self.curves.items():
            if "#" in key:  # an outcome's curve (section 5): active <= its last breakpoint
                self._curve_rows(key.split("#")[0], k, curve)
        if s.budget.ceiling is not None:
            add((self.total_spend(), -inf, s.budget.ceiling))
        for key, cap in s.budget.per_period.items():
            add((self.period_spend(period_index(self.labels, key)), -inf, cap))
        for key, goal in s.target.milestones.items():
            add((self.period_exports(period_index(self.labels, key)), goal, inf))
        # section 5: floors on other outcomes, sum_l yields[o, l] * active[l, k] >= floor
        # (a maximised outcome's own floor is ignored; its milestones hold)
        maximised = _goal_weights(s) if s.objective != "min_cost" else {}
        for name, floors in s.target.outcomes.items():
            goals = [(period_index(self.labels, key), v) for key, v in floors.milestones.items()]
            if floors.min is not None and name not in maximised:
                goals.append((self.last, floors.min))
            for k, goal in goals:
                add((self.outcome(name, k), goal, inf))
        quantity = {"units": self.units, "spend": self.spend, "exports": self.exports}
        for con in s.constraints:
            rel = parse_relation(con.expr, self.ids, outcomes=list(s.outcomes))
            row = self.zero()
            for term, coef in rel.coefs.items():
                if term.kind == "outcome":
                    assert term.outcome is not None
                    row += coef * self.lever_outcome(term.lever, term.outcome, self.last)
                else:
                    row += coef * quantity[term.kind](term.lever)
            lo = rel.rhs if rel.sense in (">=", "==") else -inf
            hi = rel.rhs if rel.sense in ("<=", "==") else inf
            add((row, lo, hi))

    def _curve_rows(self, lid: str, k: int, curve: _Curve) -> None:
        """The incremental formulation of a curve of lever lid's active units in k."""
        add, inf = self.rows.append, math.inf
        link = self.active(lid, k)
        link[list(curve.seg)] -= 1.0
        add((link, 0.0, 0.0))  # active = sum_j d_j
        for j, z in enumerate(curve.full):
            filled = self.zero()
            filled[curve.seg[j]] = 1.0
            filled[z] = -curve.widths[j]
            add((filled, 0.0, inf))  # d_j >= w_j z_j
            gate = self.zero()
            gate[curve.seg[j + 1]] = 1.0
            gate[z] = -curve.widths[j + 1]
            add((gate, -inf, 0.0))  # d_{j+1} <= w_{j+1} z_j

    def _constraints(self, extra: list[Row]) -> list[LinearConstraint]:
        """Rows for milp, each divided by the geometric mean of its extreme coefficients.

        (Dividing by the largest would leave a 1-export-per-unit lever at 1e-9 of
        a 1,000-per-unit lever capped at 1M units, which HiGHS drops as zero.)
        """
        matrix, lows, highs = [], [], []
        for coefs, lo, hi in [*self.rows, *extra]:
            top = _row_scale(coefs)
            if top == 0.0:
                # 0 must lie in [lo, hi]; if not, keep a row nothing satisfies
                if lo > 0.0 or hi < 0.0:
                    matrix.append(self.zero())
                    lows.append(1.0)
                    highs.append(1.0)
                continue
            matrix.append(coefs / top)
            lows.append(lo / top)
            highs.append(hi / top)
        if not matrix:
            return []
        return [LinearConstraint(np.array(matrix), np.array(lows), np.array(highs))]

    def _bounds(self, fix: Fix) -> tuple[np.ndarray, np.ndarray]:
        lb = np.array(self.cols.lb, dtype=float)
        ub = np.array(self.cols.ub, dtype=float)
        for col, (lo, hi) in fix.items():
            lb[col], ub[col] = max(lb[col], lo), min(ub[col], hi)
        return lb, ub

    def _milp(
        self, objective: np.ndarray, constraints: list[LinearConstraint], fix: Fix,
        integral: bool, presolve: bool,
    ) -> np.ndarray | None:
        lb, ub = self._bounds(fix)
        if np.any(lb > ub):
            return None
        integrality = np.array(self.cols.integer) if integral else np.zeros(self.size)
        res = milp(
            objective,
            integrality=integrality,
            bounds=Bounds(lb, ub),
            constraints=constraints,
            # a bounded wait: a reference that cannot answer in time gives no
            # verdict (ReferenceError), rather than holding a test run for ever
            options={"mip_rel_gap": MIP_REL_GAP, "presolve": presolve,
                     "time_limit": REFERENCE_SECONDS},
        )
        if res.status == 2:
            return None
        if res.status != 0 or res.x is None:
            raise ReferenceError(f"scipy milp ended with status {res.status}: {res.message}")
        return np.asarray(res.x, dtype=float)

    def _passes(
        self, objective: np.ndarray, constraints: list[LinearConstraint], fix: Fix,
        integral: bool, presolve: bool,
    ) -> np.ndarray | None:
        """Solve with the objective rescaled until its optimum is near OBJECTIVE_SIZE."""
        size = float(np.max(np.abs(objective))) or 1.0
        best: np.ndarray | None = None
        for attempt in range(OBJECTIVE_PASSES):
            try:
                z = self._milp(objective / size, constraints, fix, integral, presolve)
            except ReferenceError:
                if best is None:
                    raise
                break  # a later pass only refines: keep the plan found

            if z is None and attempt == 0:
                # HiGHS now and then calls a feasible problem infeasible under one
                # objective scaling: ask for any plan before believing it
                z = self._milp(self.zero(), constraints, fix, integral, presolve)
            if z is None:
                return best
            if best is None or objective @ z < objective @ best:
                best = z
            value = abs(float(objective @ best)) / OBJECTIVE_SIZE
            if value == 0.0 or 0.1 <= size / value <= 10.0:
                break
            size = value
        return best

    # -- polish, free rides, branching ------------------------------------------------------
    def _polish_fix(self, z: np.ndarray, fix: Fix) -> Fix:
        """Bounds fixing z's binaries and integer units, and what the binaries imply."""
        out = dict(fix)

        def pin(col: int, lo: float, hi: float) -> None:
            old = out.get(col, (-math.inf, math.inf))
            out[col] = (max(old[0], lo), min(old[1], hi))

        for col in self.cols.binary:
            v = 1.0 if z[col] >= 0.5 else 0.0
            pin(col, v, v)
        for lid, lv in self.levers.items():
            if lv.integer:
                for k in range(self.K):
                    v = float(round(z[self.x[lid, k]]))
                    pin(self.x[lid, k], v, v)
            if lid in self.starts:
                start = next((k for k, c in enumerate(self.starts[lid]) if z[c] >= 0.5), self.K)
                for k in range(start):
                    pin(self.x[lid, k], 0.0, 0.0)
                if start < self.K:
                    pin(self.x[lid, start], self.floor(lid), math.inf)
            if lid in self.u and z[self.u[lid]] < 0.5:
                for k in range(self.K):
                    pin(self.x[lid, k], 0.0, 0.0)
        for curve in self.curves.values():
            for j, col in enumerate(curve.full):
                if z[col] >= 0.5:
                    pin(curve.seg[j], curve.widths[j], curve.widths[j])
                else:
                    pin(curve.seg[j + 1], 0.0, 0.0)
        return out

    def _free_ride(self, z: np.ndarray) -> tuple[str, str, int, int] | None:
        """The first place where z takes what its rounded binaries forbid, if any."""
        for lid, starts in self.starts.items():
            started = 0.0
            for k in range(self.K):
                started += z[starts[k]]
                if started < 0.5 and z[self.x[lid, k]] > DUST:
                    return "start", lid, k, 0
        for lid, col in self.u.items():
            if z[col] < 0.5 and any(z[self.x[lid, k]] > DUST for k in range(self.K)):
                return "use", lid, 0, 0
        for (lid, k), curve in self.curves.items():
            for j, col in enumerate(curve.full):
                if z[col] < 0.5 and z[curve.seg[j + 1]] > DUST * max(1.0, curve.widths[j + 1]):
                    return "curve", lid, k, j
                if z[col] >= 0.5 and z[curve.seg[j]] < curve.widths[j] * (1 - 1e-9) - DUST:
                    return "curve", lid, k, j
        return None

    def _branches(
        self, where: tuple[str, str, int, int], fix: Fix
    ) -> list[tuple[list[Row], Fix]]:
        """Two restrictions that together hold every plan the spec allows."""
        kind, lid, k, j = where
        if kind == "start":
            started = self.zero()
            started[self.starts[lid][: k + 1]] = 1.0
            none = dict(fix)
            for j in range(k + 1):
                none[self.x[lid, j]] = (0.0, 0.0)
            return [([(started, 1.0, math.inf)], dict(fix)), ([], none)]
        if kind == "use":
            used = dict(fix)
            used[self.u[lid]] = (1.0, 1.0)
            none = dict(fix)
            for j in range(self.K):
                none[self.x[lid, j]] = (0.0, 0.0)
            return [([], used), ([], none)]
        curve = self.curves[lid, k]
        full, empty = dict(fix), dict(fix)
        full[curve.seg[j]] = (curve.widths[j], curve.widths[j])
        full[curve.full[j]] = (1.0, 1.0)
        empty[curve.seg[j + 1]] = (0.0, 0.0)
        empty[curve.full[j]] = (0.0, 0.0)
        return [([], full), ([], empty)]

    def _search(
        self, objective: np.ndarray, extra: list[Row], fix: Fix, presolve: bool, depth: int
    ) -> np.ndarray | None:
        constraints = self._constraints(extra)
        z = self._passes(objective, constraints, fix, True, presolve)
        if z is None:
            return None
        polished = None
        fixed = self._polish_fix(z, fix)
        p = self._passes(objective, constraints, fixed, False, presolve)
        if p is not None:
            try:
                polished = self.plan(p, extra, fixed)
            except ReferenceError:
                polished = None
        mip = float(objective @ z)
        worse = polished is None or (
            float(objective @ polished) > mip + POLISH_TOL * max(1.0, abs(mip)))
        where = self._free_ride(z) if worse else None
        if where is None:
            return polished if polished is not None else self.plan(z, extra, fixed)
        if depth >= MAX_BRANCH_DEPTH:
            raise ReferenceError(f"more than {MAX_BRANCH_DEPTH} branches on free rides")
        found = [] if polished is None else [polished]
        for more, sub in self._branches(where, fix):
            got = self._search(objective, extra + more, sub, presolve, depth + 1)
            if got is not None:
                found.append(got)
        return min(found, key=lambda plan: float(objective @ plan)) if found else None

    def minimise(self, objective: np.ndarray, extra: list[Row]) -> np.ndarray | None:
        """The best checked plan for objective over the rows and extra; None if infeasible.

        Solved with HiGHS's presolve and without: presolve drops a lever whose
        units can only be tiny (3e-7 units of a lever yielding 600k each), and
        now and then ends in a solve error; without it the search is plainer.
        """
        plans: list[np.ndarray] = []
        problems: list[str] = []
        for presolve in (True, False):
            try:
                z = self._search(objective, extra, {}, presolve, 0)
                if z is not None:
                    plans.append(z)
            except ReferenceError as exc:
                problems.append(str(exc))
        if not plans:
            if problems:
                raise ReferenceError("; ".join(problems))
            return None
        return min(plans, key=lambda plan: float(objective @ plan))

    def plan(self, z: np.ndarray, extra: list[Row], fixed: Fix) -> np.ndarray:
        """z with integers whole, binaries 0/1 and bounds snapped, checked against every row."""
        plan = np.array(z, dtype=float)
        lb, ub = self._bounds(fixed)
        for col in range(self.size):
            v = float(plan[col])
            if self.cols.integer[col]:
                if abs(v - round(v)) > INTEGRALITY_SNAP:
                    raise ReferenceError(f"milp gave {v!r} for integer column {col}")
                v = float(round(v))
            plan[col] = min(max(v, lb[col]), ub[col])  # round-off just outside a bound
        for lid, starts in self.starts.items():
            on = [k for k, c in enumerate(starts) if plan[c] == 1.0]
            funded = [k for k in range(self.K) if plan[self.x[lid, k]] > 0]
            if on[:1] != funded[:1]:
                raise ReferenceError(f"milp starts {lid} in {on} but funds it in {funded}")
        for lid, col in self.u.items():
            if plan[col] == 0.0 and any(plan[self.x[lid, k]] != 0.0 for k in range(self.K)):
                raise ReferenceError(f"milp uses lever {lid} unpaid")
        for coefs, lo, hi in [*self.rows, *extra]:
            activity = float(coefs @ plan)
            size = max(1.0, float(np.abs(coefs * plan).sum()),
                       *(abs(b) for b in (lo, hi) if math.isfinite(b)))
            # HiGHS meets a scaled row to 1e-6 (its MIP feasibility tolerance)
            slack = max(ROW_TOL * size, HIGHS_FEASIBILITY * _row_scale(coefs))
            if activity < lo - slack or activity > hi + slack:
                raise ReferenceError(
                    f"milp's plan breaks a row: {activity!r} not in [{lo!r}, {hi!r}]"
                )
        return plan

    def funded(self, plan: np.ndarray) -> dict[str, list[float]]:
        return {lid: [float(plan[self.x[lid, k]]) for k in range(self.K)] for lid in self.ids}

    def result(self, plan: np.ndarray) -> RefResult:
        funded = self.funded(plan)
        paths = {lid: lever_path(lv, funded[lid], self.labels) for lid, lv in self.levers.items()}
        spend_k = tuple(sum(p.spend[k] for p in paths.values()) for k in range(self.K))
        exports_k = tuple(sum(p.exports[k] for p in paths.values()) for k in range(self.K))
        return RefResult(
            "optimal",
            total_cost=float(sum(spend_k)),
            lever_exports=float(exports_k[-1]),
            units={lid: float(sum(funded[lid])) for lid in self.ids},
            discounted_cost=float(sum(w * c for w, c in zip(self.w, spend_k, strict=True))),
            units_by_period={lid: tuple(funded[lid]) for lid in self.ids},
            spend_by_period=spend_k,
            exports_by_period=exports_k,
        )


def reference_solve(
    s: Scenario, lexicographic_slack: float = LEXICOGRAPHIC_TOL, floor: float | None = None
) -> RefResult:
    """Solve ``s`` (min_cost, or lexicographic max_exports) with scipy's milp.

    max_exports takes the most last-period exports E*, then the cheapest plan
    (discounted spend) with E >= E* (1 - lexicographic_slack); the spec's slack
    is 1e-9. ``floor`` replaces that bound of the second stage (to price
    another solver's plan at its own exports).
    """
    p = _Problem(s)
    p.build()
    cost = p.discounted_spend()
    exports = p.total_exports()
    infeasible = RefResult("infeasible", None, None, None)
    if s.objective == "min_cost":
        plan = p.minimise(cost, [(exports, s.target.needed, math.inf)])
        return infeasible if plan is None else p.result(plan)
    # section 5: any max objective maximises sum_o w_o * last-period outcome o; the
    # export target holds unless exports are maximised
    weights = _goal_weights(s)
    goal = p.zero()
    for name, w in weights.items():
        goal += w * (exports if name == "exports" else p.outcome(name, p.last))
    held = [] if "exports" in weights else [(exports, s.target.needed, math.inf)]
    first = p.minimise(-goal, held)
    if first is None:
        return infeasible
    best = float(goal @ first)
    least = best * (1 - lexicographic_slack) if floor is None else floor
    plan = p.minimise(cost, [*held, (goal, least, math.inf)])
    if plan is None:
        if least > best:
            return infeasible
        # the first plan lies in the band, so this is the solver failing, not the scenario
        raise ReferenceError("milp lost the max_exports second stage (the first plan fits it)")
    return dataclasses.replace(p.result(plan), best_exports=best, goal_value=float(goal @ plan))


def _goal_weights(s: Scenario) -> dict[str, float]:
    """What a max objective maximises, read from the file's own objective field:
    max_exports is exports alone; {max: O} weighs O 1; {max: {O: w}} as written."""
    objective = s.objective
    if objective == "max_exports":
        return {"exports": 1.0}
    assert not isinstance(objective, str)
    wanted = objective.max
    return {wanted: 1.0} if isinstance(wanted, str) else dict(wanted)
