"""An independent reference solver for tests: validated Scenario -> scipy.optimize.milp.

It builds the problem of docs spec section 1 ("Semantics") straight from the
schema objects, with numpy arrays, and never touches the engine's Pyomo model,
its ModelData or its scaling (optimizer.inputs, models, optimizer.engine).

Formulation (scenario units; money in the reporting currency):

* x_l >= 0 units of each enabled lever, in [min_units, max_units], integer
  where the lever says so;
* u_l in {0, 1} for each lever with fixed_cost > 0 or min_units_if_used > 0
  (min_units_if_used: 0 says nothing: units are 0 or at least 0);
* spend_l = c_l x_l + f_l u_l (c_l = net unit cost), exports_l = a_l x_l;
* x_l <= M_l u_l, M_l the tightest cap on units from max_units, max_spend
  and the ceiling (a lever that is used pays f_l, so c_l x_l <= cap - f_l);
* u_l = 1 means the lever is used: x_l >= max(min_units_if_used, 1 if the
  lever is integer else 0) u_l. (A continuous lever with no min_units_if_used
  can only say x_l >= 0 here: the strict x_l > 0 has no closed form.)

Numerics are the reference's own, chosen because HiGHS's tolerances are
absolute (1e-7 on rows and on reduced costs):

* columns stay in scenario units. (Solving for continuous levers in units of
  their caps was tried: HiGHS 1.16 then called a feasible max_exports second
  stage infeasible. An integer lever cannot be rescaled at all.)
* every row is divided by the geometric mean of its largest and smallest
  coefficients;
* the objective is scaled so that its optimum is about 1e4: a first solve
  guesses it, and the problem is solved again while the guess is off by more
  than 10x, keeping the best plan found. Otherwise a lever whose cost is tiny
  next to another's (0.02 per unit beside a 5M fixed cost, or a 1-export
  integer unit beside a 1B-export lever) gets a reduced cost under HiGHS's
  tolerance and is treated as free.
* each solve runs with HiGHS's presolve and without, keeping the best plan
  that passes the check below: presolve drops a lever whose units can only
  be tiny (3e-7 units of a lever yielding 600,000 each) and now and then
  ends in a solve error or a wrong "infeasible".

HiGHS (inside scipy) is asked for a relative MIP gap of 1e-9.

The plan found is re-checked against every row in scenario units (to 1e-9 of
the row's size, or HiGHS's 1e-6 feasibility tolerance on the scaled row)
before it is returned; a plan that fails raises ReferenceError, so the
reference never answers with a plan it did not verify.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from optimizer.expressions import parse_relation
from optimizer.schema import Lever, Scenario

LEXICOGRAPHIC_TOL = 1e-6  # the spec's: the cheapest plan within 1e-6 of the most exports
MIP_REL_GAP = 1e-9
INTEGRALITY_SNAP = 1e-6
ROW_TOL = 1e-9  # the self-check: relative to max(1, sum |coef * value|, |bound|) ...
HIGHS_FEASIBILITY = 1e-6  # ... or HiGHS's MIP feasibility tolerance on the scaled row
OBJECTIVE_PASSES = 4
OBJECTIVE_SIZE = 1e4

Status = Literal["optimal", "infeasible"]
Row = tuple[np.ndarray, float, float]
"""(coefficients over the columns in scenario units, low, high)."""


@dataclass(frozen=True)
class RefResult:
    status: Status
    total_cost: float | None
    lever_exports: float | None
    units: dict[str, float] | None


class ReferenceError(RuntimeError):
    """scipy ended in a state the reference does not interpret (limit, unbounded, error)."""


def unit_cap(lever: Lever, ceiling: float | None) -> float | None:
    """Most units the lever can take when used; None when nothing caps it."""
    caps: list[float] = []
    if lever.max_units is not None:
        caps.append(lever.max_units)
    c = lever.net_unit_cost
    if c > 0:
        if lever.max_spend is not None:
            caps.append(max(lever.max_spend - lever.fixed_cost, 0.0) / c)
        if ceiling is not None:
            caps.append(max(ceiling - lever.fixed_cost, 0.0) / c)
    if not caps:
        return None
    cap = min(caps)
    return math.floor(cap + 1e-9) if lever.integer else cap


# Section 4 of the spec (periods, curves, lever logic) is not the reference's: a
# scenario that uses any of it is refused rather than solved as something else.
_SECTION_4_LEVER = ("unit_cost_by_period", "recurring_cost", "lag", "attrition",
                    "max_units_per_period", "yield_curve", "requires", "excludes",
                    "fixed_units")


def _check_supported(s: Scenario) -> None:
    used = []
    if getattr(s, "periods", None):
        used.append("periods")
    if getattr(s.target, "milestones", None):
        used.append("target.milestones")
    if getattr(s.budget, "per_period", None):
        used.append("budget.per_period")
    for lid, lever in s.enabled_levers().items():
        used += [f"levers.{lid}.{name}" for name in _SECTION_4_LEVER
                 if getattr(lever, name, None)]
        if lever.yield_per_unit is None:
            used.append(f"levers.{lid}.yield_per_unit (none)")
    if used:
        raise ReferenceError(f"the reference solves spec sections 1-3 only (uses {used})")


def _yield(lever: Lever) -> float:
    value = lever.yield_per_unit
    assert value is not None  # _check_supported refused scenarios without one
    return float(value)


def _row_scale(coefs: np.ndarray) -> float:
    """What a row is divided by for milp: the geometric mean of its extreme |coefficients|."""
    sizes = np.abs(coefs[coefs != 0.0])
    return math.sqrt(float(sizes.max()) * float(sizes.min())) if sizes.size else 0.0


class _Problem:
    """Columns, rows and solves for one scenario."""

    def __init__(self, s: Scenario) -> None:
        _check_supported(s)
        self.s = s
        self.levers = s.enabled_levers()
        self.ids = list(self.levers)
        n = len(self.ids)
        self.binary_ids = [
            lid
            for lid, lv in self.levers.items()
            if lv.fixed_cost > 0 or (lv.min_units_if_used or 0.0) > 0
        ]
        self.x = {lid: i for i, lid in enumerate(self.ids)}
        self.u = {lid: n + j for j, lid in enumerate(self.binary_ids)}
        self.size = n + len(self.binary_ids)
        self.rows: list[Row] = []

    # -- quantities as coefficient vectors (scenario units) ------------------------
    def units(self, lid: str) -> np.ndarray:
        v = np.zeros(self.size)
        v[self.x[lid]] = 1.0
        return v

    def spend(self, lid: str) -> np.ndarray:
        lv = self.levers[lid]
        v = np.zeros(self.size)
        v[self.x[lid]] = lv.net_unit_cost
        if lv.fixed_cost > 0:
            v[self.u[lid]] = lv.fixed_cost
        return v

    def exports(self, lid: str) -> np.ndarray:
        v = np.zeros(self.size)
        v[self.x[lid]] = _yield(self.levers[lid])
        return v

    def total_spend(self) -> np.ndarray:
        return sum((self.spend(lid) for lid in self.ids), np.zeros(self.size))

    def total_exports(self) -> np.ndarray:
        return sum((self.exports(lid) for lid in self.ids), np.zeros(self.size))

    # -- rows -------------------------------------------------------------------------
    def build(self) -> None:
        s = self.s
        ceiling = s.budget.ceiling
        for lid in self.binary_ids:
            lv = self.levers[lid]
            cap = unit_cap(lv, ceiling)
            if cap is None:  # validation guarantees a bound; refuse rather than guess
                raise ReferenceError(f"lever {lid} needs a binary but has no bound on units")
            link = self.units(lid)
            link[self.u[lid]] = -cap
            self.rows.append((link, -math.inf, 0.0))  # x <= M u
            least = max(lv.min_units_if_used or 0.0, 1.0 if lv.integer else 0.0)
            if least > 0:
                low = self.units(lid)
                low[self.u[lid]] = -least
                self.rows.append((low, 0.0, math.inf))  # x >= least u
        for lid, lv in self.levers.items():
            if lv.min_spend is not None or lv.max_spend is not None:
                lo = -math.inf if lv.min_spend is None else lv.min_spend
                hi = math.inf if lv.max_spend is None else lv.max_spend
                self.rows.append((self.spend(lid), lo, hi))
        if ceiling is not None:
            self.rows.append((self.total_spend(), -math.inf, ceiling))
        quantity = {"units": self.units, "spend": self.spend, "exports": self.exports}
        for con in s.constraints:
            rel = parse_relation(con.expr, self.ids)
            row = np.zeros(self.size)
            for term, coef in rel.coefs.items():
                row += coef * quantity[term.kind](term.lever)
            lo = rel.rhs if rel.sense in (">=", "==") else -math.inf
            hi = rel.rhs if rel.sense in ("<=", "==") else math.inf
            self.rows.append((row, lo, hi))

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
                    matrix.append(np.zeros(self.size))
                    lows.append(1.0)
                    highs.append(1.0)
                continue
            matrix.append(coefs / top)
            lows.append(lo / top)
            highs.append(hi / top)
        if not matrix:
            return []
        return [LinearConstraint(np.array(matrix), np.array(lows), np.array(highs))]

    def _bounds(self) -> Bounds:
        lb = np.zeros(self.size)
        ub = np.full(self.size, math.inf)
        for lid, lv in self.levers.items():
            i = self.x[lid]
            lb[i] = lv.min_units
            if lv.max_units is not None:
                ub[i] = lv.max_units
        for lid in self.binary_ids:
            ub[self.u[lid]] = 1.0
        return Bounds(lb, ub)

    def _integrality(self) -> np.ndarray:
        out = np.zeros(self.size)
        for lid, lv in self.levers.items():
            out[self.x[lid]] = 1 if lv.integer else 0
        for lid in self.binary_ids:
            out[self.u[lid]] = 1
        return out

    def _milp(
        self, objective: np.ndarray, constraints: list[LinearConstraint], presolve: bool
    ) -> np.ndarray | None:
        res = milp(
            objective,
            integrality=self._integrality(),
            bounds=self._bounds(),
            constraints=constraints,
            options={"mip_rel_gap": MIP_REL_GAP, "presolve": presolve},
        )
        if res.status == 2:
            return None
        if res.status != 0 or res.x is None:
            raise ReferenceError(f"scipy milp ended with status {res.status}: {res.message}")
        return np.asarray(res.x, dtype=float)

    def _passes(
        self, objective: np.ndarray, constraints: list[LinearConstraint], presolve: bool
    ) -> np.ndarray | None:
        """Solve with the objective rescaled until its optimum is near OBJECTIVE_SIZE."""
        size = float(np.max(np.abs(objective))) or 1.0
        best: np.ndarray | None = None
        for _ in range(OBJECTIVE_PASSES):
            z = self._milp(objective / size, constraints, presolve)
            if z is None:
                return best
            if best is None or objective @ z < objective @ best:
                best = z
            value = abs(float(objective @ best)) / OBJECTIVE_SIZE
            if value == 0.0 or 0.1 <= size / value <= 10.0:
                break
            size = value
        return best

    def minimise(self, objective: np.ndarray, extra: list[Row]) -> np.ndarray | None:
        """The best checked plan for objective over the rows and extra; None if infeasible.

        Solved with HiGHS's presolve and without: presolve drops a lever whose
        units can only be tiny (3e-7 units of a lever yielding 600k each), and
        now and then ends in a solve error; without it the search is plainer.
        """
        constraints = self._constraints(extra)
        plans: list[np.ndarray] = []
        problems: list[str] = []
        for presolve in (True, False):
            try:
                z = self._passes(objective, constraints, presolve)
                if z is not None:
                    plans.append(self.plan(z, extra))
            except ReferenceError as exc:
                problems.append(str(exc))
        if not plans:
            if problems:
                raise ReferenceError("; ".join(problems))
            return None
        return min(plans, key=lambda plan: float(objective @ plan))

    def plan(self, z: np.ndarray, extra: list[Row]) -> np.ndarray:
        """z with integers whole and bounds snapped, checked against every row."""
        plan = np.array(z, dtype=float)
        for lid, lv in self.levers.items():
            i = self.x[lid]
            x = float(plan[i])
            if lv.integer:
                if abs(x - round(x)) > INTEGRALITY_SNAP:
                    raise ReferenceError(f"milp gave {x!r} units of integer lever {lid}")
                x = float(round(x))
            high = math.inf if lv.max_units is None else lv.max_units
            plan[i] = min(max(x, lv.min_units), high)  # round-off just outside a bound
        for lid in self.binary_ids:
            i, j = self.x[lid], self.u[lid]
            used = float(plan[j]) >= 0.5
            plan[j] = 1.0 if used else 0.0
            if not used and plan[i] != 0.0:
                # x <= M u holds only up to HiGHS's integrality tolerance on u (1e-6):
                # units that small ride on a u of ~1e-6 and are round-off, not a plan
                cap = unit_cap(self.levers[lid], self.s.budget.ceiling) or 0.0
                if abs(plan[i]) > INTEGRALITY_SNAP * max(1.0, cap):
                    raise ReferenceError(f"milp uses lever {lid} ({plan[i]!r} units) unpaid")
                plan[i] = 0.0
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

    def result(self, plan: np.ndarray) -> RefResult:
        units = {lid: float(plan[self.x[lid]]) for lid in self.ids}
        cost = float(self.total_spend() @ plan)
        exports = float(self.total_exports() @ plan)
        return RefResult("optimal", cost, exports, units)


def reference_solve(s: Scenario, lexicographic_slack: float = LEXICOGRAPHIC_TOL) -> RefResult:
    """Solve ``s`` (min_cost, or lexicographic max_exports) with scipy's milp.

    max_exports takes the most exports E*, then the cheapest plan with
    E >= E* (1 - lexicographic_slack); the spec's slack is 1e-6.
    """
    p = _Problem(s)
    p.build()
    cost = p.total_spend()
    exports = p.total_exports()
    infeasible = RefResult("infeasible", None, None, None)
    if s.objective == "min_cost":
        plan = p.minimise(cost, [(exports, s.target.needed, math.inf)])
        return infeasible if plan is None else p.result(plan)
    first = p.minimise(-exports, [])
    if first is None:
        return infeasible
    band = [(exports, float(exports @ first) * (1 - lexicographic_slack), math.inf)]
    plan = p.minimise(cost, band)
    if plan is None:
        # the first plan lies in the band, so this is the solver failing, not the scenario
        raise ReferenceError("milp lost the max_exports second stage (the first plan fits it)")
    return p.result(plan)


def evaluate(
    s: Scenario, units: dict[str, float], tol: float = 1e-6
) -> tuple[float, float, list[str]]:
    """(total cost, lever exports, broken rows) of a plan, by the spec's semantics.

    A lever pays its fixed cost when its units are > 0; a row is broken when it
    fails by more than tol of its size. Used to judge a plan another solver
    found, independently of how it was found.
    """
    p = _Problem(s)
    p.build()
    plan = np.zeros(p.size)
    for lid, x in units.items():
        plan[p.x[lid]] = x
    for lid in p.binary_ids:
        plan[p.u[lid]] = 1.0 if units[lid] > 0 else 0.0
    rows = [*p.rows, (p.total_exports(), s.target.needed if s.objective == "min_cost" else 0.0,
                      math.inf)]
    broken = []
    for lid, lv in p.levers.items():
        x = units[lid]
        high = math.inf if lv.max_units is None else lv.max_units
        if not lv.min_units - tol * max(1.0, x) <= x <= high + tol * max(1.0, x):
            broken.append(f"{lid}: {x!r} units outside [{lv.min_units!r}, {high!r}]")
        if lv.integer and abs(x - round(x)) > INTEGRALITY_SNAP:
            broken.append(f"{lid}: {x!r} units is not whole")
    for k, (coefs, lo, hi) in enumerate(rows):
        activity = float(coefs @ plan)
        size = max(1.0, float(np.abs(coefs * plan).sum()),
                   *(abs(b) for b in (lo, hi) if math.isfinite(b)))
        if activity < lo - tol * size or activity > hi + tol * size:
            broken.append(f"row {k}: {activity!r} not in [{lo!r}, {hi!r}]")
    return float(p.total_spend() @ plan), float(p.total_exports() @ plan), broken
