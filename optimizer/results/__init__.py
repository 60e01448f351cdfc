"""Results: plain frozen data and pandas frames; no Pyomo here.

pandas is imported only when a frame is asked for: the command line renders
from the plain rows and saves the import (a third of a second).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    # (an annotation only: results need not load the scenario schema to be read)
    from optimizer.scenario import Override

ALLOCATION_COLUMNS = [
    "lever", "name", "unit", "integer", "units",
    "spend", "exports", "cost_per_export", "share_of_exports",
]


class ExitCode(IntEnum):
    OK = 0
    OTHER = 1
    INVALID = 2
    INFEASIBLE = 3
    LIMIT = 4


class Status(StrEnum):
    """What a solve found (spec section 3, ``status``)."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    LIMIT_WITH_PLAN = "limit_with_plan"
    LIMIT_WITHOUT_PLAN = "limit_without_plan"
    NOT_PROVEN = "not_proven"
    """The solver called it optimal or infeasible, but its certificate did not hold."""

    @property
    def exit_code(self) -> ExitCode:
        return {Status.OPTIMAL: ExitCode.OK, Status.INFEASIBLE: ExitCode.INFEASIBLE}.get(
            self, ExitCode.LIMIT)


class PlanKind(StrEnum):
    """What a Result's allocation holds (spec section 3, ``plan``)."""

    OPTIMAL = "optimal"
    BEST_FOUND = "best_found"
    """The best plan found before a limit, or one whose proof did not hold."""
    MOST_EXPORTS_REACHABLE = "most_exports_reachable"
    """Infeasible: the plan that reaches the most exports."""
    NONE = "none"


@dataclass(frozen=True)
class PeriodRow:
    """One lever in one period, in the reporting currency."""

    units: float
    """Units funded in the period."""
    active: float
    """Units at work in the period (after lag and attrition)."""
    spend: float
    exports: float
    outcomes: Mapping[str, float] = field(default_factory=dict)
    """Each outcome besides exports in the period (a file with ``outcomes:``)."""


@dataclass(frozen=True)
class OutcomeTotal:
    """One outcome besides exports over the plan (spec section 5), in its own unit."""

    outcome: str
    name: str
    unit: str
    total: float
    """The last period's lever outcome (no baseline)."""
    needed: float | None
    """The file's floor on it in the last period (target.outcomes.O.min), if any."""
    by_period: Mapping[int | str, float] | None = None
    """Per period, for a file with periods."""


@dataclass(frozen=True)
class LeverRow:
    """One enabled lever's part of a plan, in the reporting currency."""

    lever: str
    name: str
    unit: str
    integer: bool
    units: float
    """Units funded over the horizon."""
    spend: float
    """Net spend over the horizon."""
    exports: float
    """Exports in the last period."""
    cost_per_export: float | None
    share_of_exports: float | None
    formulation: str
    """How the model holds its exports: linear, concave_lp or piecewise_binary."""
    by_period: Mapping[int | str, PeriodRow] = field(default_factory=dict)
    outcomes: Mapping[str, float] = field(default_factory=dict)
    """Each outcome besides exports in the last period (spec section 5), by outcome
    id; empty for a file without ``outcomes:``."""

    def columns(self) -> dict[str, object]:
        """The row keyed by ALLOCATION_COLUMNS."""
        return {c: getattr(self, c) for c in ALLOCATION_COLUMNS}


@dataclass(frozen=True)
class Certificate:
    """Why an answer is proven, in the file's units: the plan's own value of the
    objective (by the re-check's arithmetic, not the solver's) beside a bound on
    the best value any plan can have.

    ``kind`` optimum: min_cost bounds the discounted cost from below, max_exports
    the lever exports from above, another max objective its goal (quantity
    ``goal``: the weighted last-period outcomes) from above; ``proven`` when they
    meet within ``tolerance``.
    ``kind`` infeasible: ``value`` is the lever exports needed and ``bound`` the
    most any plan can reach; proven when the bound falls short of the need.
    """

    kind: Literal["optimum", "infeasible"]
    quantity: Literal["discounted_cost", "lever_exports", "goal"]
    value: float
    bound: float
    gap: float
    """Relative distance between value and bound (0 when they meet)."""
    tolerance: float
    method: str
    """lp_dual (a bound computed here from HiGHS's duals), lp_dual_relaxation (the
    same for integers solved continuous and rounded), mip_relaxation_bound (the
    same for a MIP's LP relaxation that meets the plan and stands for the second
    solve, on a re-solve whose certificate is not printed: Highs.relaxed_opinion),
    or mip_dual_bound (HiGHS's
    branch-and-bound bound; a second solve from scratch under 1e-9 feasibility
    tolerances found no better plan), mip_dual_bound_only (HiGHS's bound alone: a
    chance-constrained plan), strict_resolve (an infeasible verdict that a second
    solve from scratch under 1e-9 tolerances repeats)."""
    proven: bool
    cost_value: float | None = None
    """max_exports: the plan's discounted cost (its second stage's objective)."""
    cost_bound: float | None = None
    """max_exports: a bound on the least cost of a plan keeping the most exports."""
    cost_gap: float | None = None
    """max_exports: their relative gap; proven needs it within 1e-6 too."""


@dataclass(frozen=True)
class SolverInfo:
    name: str
    version: str
    seconds: float
    """Wall time of every HiGHS call of the run (through Pyomo)."""
    build_seconds: float
    """Wall time to translate the scenario and build the model."""
    mip_gap: float | None
    """Real relative gap of the shown plan; 0.0 for an LP."""
    termination: str
    certificate: Certificate | None = None
    """What proves the answer (None: nothing was proven, e.g. a solver limit)."""


@dataclass(frozen=True)
class ChanceInfo:
    """A chance-constrained plan's footing: what it was asked and what it reaches."""

    confidence: float
    samples: int
    required: int
    """Samples the plan had to reach the target in (ceil(confidence x samples))."""
    fresh_samples: int
    deterministic_cost: float | None
    """Discounted cost of the plan with every parameter at its point value."""
    in_sample: float | None
    """Share of the solve's samples the plan reaches the target in."""
    out_of_sample: float | None
    """Share of a fresh sample (another seed) it reaches the target in: the honest figure."""
    extra_cost: float | None
    """Discounted cost over the deterministic plan's: the cost of certainty."""
    seed: int
    most_reached: int | None = None
    """No plan reaches the target in ``required`` samples: the most samples any
    plan reaches it in (None: not computed)."""
    level: float | None = None
    """The share of its samples the plan was solved to reach (``required / samples``):
    the asked confidence, raised until the fresh-sample bound clears it."""
    out_of_sample_std_error: float | None = None
    """Standard error of ``out_of_sample``: sqrt(p (1 - p) / fresh_samples)."""
    lower_bound: float | None = None
    """One-sided Clopper-Pearson lower bound on the plan's probability of reaching the
    target, from its fresh sample, at ``bound_confidence``."""
    bound_confidence: float | None = None
    """The confidence of each check (1 - 0.05 / the checks allowed): over every plan
    checked, the bound is wrong with probability at most 5%."""
    checks: int = 0
    """Plans solved and checked on a fresh sample of their own until one cleared."""
    fresh_seed: int | None = None
    """Seed of the returned plan's fresh sample."""
    certified: bool = False
    """``lower_bound`` is at least ``confidence``: the plan's probability is at least
    the confidence asked, with 95% confidence."""


@dataclass(frozen=True)
class ShortMilestone:
    """A milestone no plan reaches in its period."""

    period: str
    """Its key in target.milestones, as a label."""
    needed: float
    """Lever exports it asks for (reporting currency a year)."""
    reachable: float
    """The most lever exports any plan adds in that period."""


@dataclass(frozen=True)
class OutOfReach:
    """Why no plan meets the target, as data (optimizer.results.messages words it): the
    most exports any plan adds beside what is needed, the milestones that cannot
    be met, and the limits that hold exports back."""

    needed: float
    """Lever exports the target asks for in the last period."""
    reachable: float | None
    """The most lever exports any plan adds there; None where the target has no
    limit at all and only the milestones are out of reach."""
    period: str | None
    """The last period's label; None for a scenario without periods."""
    milestones: tuple[ShortMilestone, ...] = ()
    jointly: bool = False
    """Each milestone alone is reachable, but not all of them together."""
    held_by: tuple[str, ...] = ()
    """The limits that bind the plan with the most exports (scenario paths)."""
    proven: bool = True
    """False: HiGHS found no plan reaching the target, but no bound proves it."""
    bound: float | None = None
    """The proof's bound on the lever exports any plan adds (None: none found)."""

    @property
    def target_short(self) -> bool:
        """The target itself (not only a milestone) is beyond the most reachable."""
        return self.reachable is not None and self.reachable < self.needed * (1 - 1e-6)

    @property
    def names(self) -> tuple[str, ...]:
        """The milestones at fault, as scenario paths."""
        return tuple(f"target.milestones.{m.period}" for m in self.milestones) + (
            ("target.milestones",) if self.jointly else ())


@dataclass(frozen=True)
class FloorOverMaxSpend:
    """A lever's forced units cost more than its own max_spend."""

    field: str
    """levers.ID.fixed_units or levers.ID.min_units."""
    units: float
    least_cost: float
    max_spend: float


@dataclass(frozen=True)
class MinimumsOverCeiling:
    """The levers' forced spend, summed, is above budget.ceiling."""

    total: float
    ceiling: float
    floors: tuple[tuple[str, float], ...]
    """(field path, the least it costs) of each lever forced on, dearest first."""


@dataclass(frozen=True)
class ReachBelowTarget:
    """Every lever at its own most still adds less than the target needs."""

    needed: float
    most: float


@dataclass(frozen=True)
class ForcedExclusion:
    """Two levers forced on that exclude each other."""

    lever: str
    other: str
    field: str
    """The lever's floor field (fixed_units, min_units or min_spend)."""
    other_field: str


@dataclass(frozen=True)
class ForcedRequiresHeld:
    """A lever forced on requires one held at 0 by its max_units."""

    lever: str
    other: str
    field: str


Finding = (FloorOverMaxSpend | MinimumsOverCeiling | ReachBelowTarget | ForcedExclusion
           | ForcedRequiresHeld)
"""What arithmetic on the file shows before any solve (optimizer.plan.precheck): each a
sufficient reason for "infeasible"."""


@dataclass(frozen=True, eq=False)
class Result:
    """What a solve found, in the reporting currency, ready to render.

    ``status`` says what was found (not_proven: see ``solver.certificate``);
    ``plan`` what ``allocation`` holds.
    """

    scenario: str
    scenario_file: str
    scenario_sha256: str
    status: Status
    objective: str
    currency: str
    plan: PlanKind
    total_cost: float | None
    """Undiscounted net spend over the horizon."""
    discounted_cost: float | None
    """The min_cost objective: spend in period k weighted 1/(1+r)^k."""
    lever_exports: float | None
    baseline: float
    includes_baseline: bool
    needed_exports: float
    budget_ceiling: float | None
    rows: tuple[LeverRow, ...]
    """One row per enabled lever in file order (none without a plan)."""
    periods: tuple[int | str, ...] | None
    """The scenario's periods; None for a scenario without them."""
    spend_by_period: dict[int | str, float] | None
    exports_by_period: dict[int | str, float] | None
    binding: tuple[str, ...]
    marginal_cost_of_target: float | None
    marginal_cost_basis: str | None
    """'lp', or 'lp_with_integers_fixed' for a MIP; None when there is no marginal cost."""
    next_step: tuple[float, float | None] | None
    """(step, cost of the objective) of raising the target by a round step, re-solved;
    cost None when the raised target is out of reach; None for max_exports."""
    solver: SolverInfo
    message: str
    """One or more lines for the planner: what happened and why."""
    chance: ChanceInfo | None = None
    overrides: tuple[Override, ...] = ()
    """The values the run used in place of the file's (a variant's, --set's)."""
    effective_sha256: str | None = None
    """SHA-256 of the scenario as solved (after overrides): two runs of one file with
    different --set values differ here, where scenario_sha256 (the file) does not."""
    """Set for a chance-constrained plan (--confidence)."""
    reason: OutOfReach | None = None
    """Why the target is out of reach (``message`` words it), for an infeasible or
    unproven min_cost answer that got that far."""
    outcomes: tuple[OutcomeTotal, ...] = ()
    """The outcomes besides exports, in file order, where the plan has them; () for
    a file without ``outcomes:`` or an answer without a plan."""
    export_target: bool = True
    """False for a file without target.exports (a requirements problem): no export
    goal, and ``needed_exports`` (0) is written as null."""
    goal: tuple[tuple[str, float], ...] = ()
    """A max objective's outcomes and weights ((exports, 1) for max_exports); () for
    min_cost."""
    goal_value: float | None = None
    """The plan's weighted last-period lever outcomes a max objective maximises
    (lever exports for max_exports); None for min_cost or without a plan."""

    @cached_property
    def allocation(self) -> pd.DataFrame:
        """The rows as a frame, columns ALLOCATION_COLUMNS."""
        import pandas as pd

        return pd.DataFrame([r.columns() for r in self.rows], columns=ALLOCATION_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        """The allocation as a pandas frame, one row per lever, columns
        ALLOCATION_COLUMNS (a copy: the Result stays frozen)."""
        return self.allocation.copy()

    @property
    def total_exports(self) -> float | None:
        return None if self.lever_exports is None else self.lever_exports + self.baseline

    @property
    def marginal_cost_resolved(self) -> float | None:
        """The marginal cost every output quotes: what raising the target by
        ``next_step`` costs, re-solved, per unit of exports (the objective's cost:
        discounted where the scenario discounts). None where the target cannot be
        raised or there is no next step (max_exports). The target row's dual,
        ``marginal_cost_of_target``, is one-sided at a corner and is kept apart."""
        if self.next_step is None or self.next_step[1] is None or self.next_step[0] <= 0:
            return None
        return self.next_step[1] / self.next_step[0]

    @property
    def goal_terms(self) -> tuple[tuple[float, str, str], ...]:
        """A max objective's goal as (weight, name, unit) per outcome, in its order:
        an outcome's own name and unit, exports as lever exports a year."""
        named = {o.outcome: (o.name, o.unit) for o in self.outcomes}
        named["exports"] = ("lever exports", f"{self.currency} a year")
        return tuple((w, *named.get(o, (o, ""))) for o, w in self.goal)

    @property
    def target_met(self) -> bool | None:
        """Whether the plan reaches the export goal; None without one (or a plan)."""
        if not self.export_target:
            return None
        return self.lever_exports is not None and self.lever_exports >= self.needed_exports * (
            1 - 1e-6
        )

    @property
    def exit_code(self) -> ExitCode:
        return Status(self.status).exit_code


Kind = Literal["ceilings", "targets"]


@dataclass(frozen=True)
class Breakpoint:
    """A corner of the exact frontier: at ``x`` (ceiling or target) the best is ``y``."""

    x: float
    y: float
    slope_after: float | None
    """dy/dx on the segment that starts here; None at the last point and before a
    stretch left out (FrontierEnds.gaps)."""


@dataclass(frozen=True)
class FrontierEnds:
    """Where the exact frontier lies inside the swept range [low, high], and why it
    starts or ends where it does. Ceilings: the most lever exports against the
    ceiling, defined from the least ceiling any plan fits on; targets: the least cost
    against the target (on the file's basis), defined up to the highest target any
    plan reaches."""

    kind: Kind
    low: float
    high: float
    reach: float | None
    """Ceilings: the least ceiling any plan fits (the least spend the file's other
    limits allow). Targets: the highest target any plan reaches (the most lever
    exports, plus the baseline when the target counts it). None: no plan holds the
    file's other limits at any value."""
    flat: float | None = None
    """Targets: up to this target the target does not bind (the cheapest plan already
    reaches it; cost flat). Ceilings: from this ceiling on more ceiling buys nothing.
    None when the range holds no such stretch."""
    flat_value: float | None = None
    """The frontier's value along that flat stretch."""
    gaps: tuple[tuple[float, float], ...] = ()
    """Stretches left out: HiGHS gave no optimum inside them, or the walk stopped at
    its cap of solves before resolving them."""
    solves: int = 0

    @property
    def start(self) -> float | None:
        """Where the frontier drawn starts (None: nowhere in the range)."""
        if self.reach is None:
            return None
        first = max(self.low, self.reach) if self.kind == "ceilings" else self.low
        last = self.high if self.kind == "ceilings" else min(self.high, self.reach)
        return first if first <= last else None

    @property
    def end(self) -> float | None:
        """Where it ends (None: nowhere in the range)."""
        if self.start is None or self.reach is None:
            return None
        return self.high if self.kind == "ceilings" else min(self.high, self.reach)


@dataclass(frozen=True)
class ParetoPoint:
    """One point of the trade-off between two outcomes: with at least ``x`` of the
    first, the most of the second is ``y``; ``result`` is that plan, solved and
    certified (the cheapest keeping ``y``, spec section 5's lexicographic rule)."""

    x: float
    y: float
    slope_after: float | None
    """Of the second per one more of the first, to the next point (<= 0); None at
    the last point."""
    result: Result


@dataclass(frozen=True, eq=False)
class Pareto:
    """sweep --pareto O1,O2: the most of O2 for each floor on O1 within the ceiling,
    from no floor to the most of O1 any plan makes (``reach``). ``exact``: an LP's
    every corner (a tangent walk, as the budget frontier's); else a MIP's grid."""

    scenario: str
    currency: str
    first: tuple[str, str, str]
    """(outcome id, name, unit) of the outcome given a floor."""
    second: tuple[str, str, str]
    """(outcome id, name, unit) of the outcome maximised."""
    ceiling: float
    reach: float
    """The most of the first outcome any plan makes (certified)."""
    exact: bool
    points: tuple[ParetoPoint, ...]
    levers: tuple[tuple[str, str], ...]
    """(id, name) of each enabled lever, in file order."""
    solves: int
    seconds: float
    reason: Result | None = None
    """Where there is no trade-off: the answer for the most of the first outcome
    (infeasible, say), which says why."""


@dataclass(frozen=True, eq=False)
class Sweep:
    """Every point of a sweep, in order of the swept value."""

    kind: Kind
    scenario: str
    currency: str
    levers: tuple[tuple[str, str], ...]
    """(id, label) of every enabled lever, in file order."""
    values: tuple[float, ...]
    results: tuple[Result, ...]
    seconds: float
    breakpoints: tuple[Breakpoint, ...] | None = None
    """The exact frontier (LP scenarios, --exact); None otherwise."""
    interpolation_error: float | None = None
    """Largest gap between the curve through the grid and the true frontier
    (bounded from the end slopes of each interval); 0 with --exact."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    frontier: FrontierEnds | None = None
    """With --exact: where the frontier starts and ends in the range, and why."""

    def rows(self) -> list[dict[str, Any]]:
        """One wide row per point: value, status, whether the target is met, cost, lever
        and total exports (the target's basis when it includes the baseline), marginal,
        units and spend."""
        out = []
        previous: tuple[float, float, float] | None = None
        outcomes = self.outcomes
        for value, r in zip(self.values, self.results, strict=True):
            row: dict[str, Any] = {
                self.kind[:-1]: value,
                "status": r.status,
                "meets_target": r.target_met if r.lever_exports is not None else None,
                "total_cost": r.total_cost,
                "lever_exports": r.lever_exports,
                "total_exports": r.total_exports,
                "marginal": self._marginal(value, r, previous),
            }
            # each other outcome over the point's plan (spec section 5)
            totals = {o.outcome: o.total for o in r.outcomes}
            for o in outcomes:
                row[f"outcome.{o}"] = totals.get(o)
            units = {rec.lever: rec for rec in r.rows}
            for lid, _ in self.levers:
                rec = units.get(lid)
                row[f"{lid}.units"] = None if rec is None else rec.units
                row[f"{lid}.spend"] = None if rec is None else rec.spend
            out.append(row)
            cost = r.discounted_cost if r.discounted_cost is not None else r.total_cost
            if r.lever_exports is not None and cost is not None:
                previous = (value, cost, r.lever_exports)
        return out

    @property
    def outcomes(self) -> list[str]:
        """The outcomes besides exports any point's plan has, in order of first
        appearance (none for a file without ``outcomes:``)."""
        return list(dict.fromkeys(o.outcome for r in self.results for o in r.outcomes))

    def _marginal(self, value: float, r: Result, previous: tuple[float, float, float] | None
                  ) -> float | None:
        """Re-solved, from the previous point with a plan (across a point without
        one, from the last that had one): targets: Δcost / Δtarget (the cost the
        min_cost objective counts: discounted where the scenario discounts; not the
        target row's dual, which is one-sided at a corner); ceilings: Δexports /
        Δceiling (per unit of ceiling, not per unit spent: a plan need not spend its
        whole ceiling). None for the first point with a plan, and where the swept
        value does not rise."""
        if previous is None or r.lever_exports is None:
            return None
        wider = value - previous[0]
        if wider <= 0:
            return None
        if self.kind == "targets":
            cost = r.discounted_cost if r.discounted_cost is not None else r.total_cost
            return None if cost is None else (cost - previous[1]) / wider
        return (r.lever_exports - previous[2]) / wider

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows())


Edge = Literal["share", "change", "no plan"]
"""Why a worth move stops where it does: at the share (5% of the limit), where the
plan changes (a lever comes in or goes out, or what binds changes), or where
moving further leaves no plan."""


@dataclass(frozen=True)
class Worth:
    """What one binding limit is worth both ways: the objective re-solved with the
    limit tightened by ``tighten_step`` and loosened by ``loosen_step`` (each the
    smaller of 5% of the limit and the distance to the next change in the plan,
    found by search; whole units for a count of an integer lever).

    Caps, ceilings and locks are tightened downwards, floors, milestones and the
    target upwards. Both figures are in the objective's terms, positive when they
    are what the names say: ``tighten_cost`` the extra cost (min_cost) or the
    exports lost (max_exports), ``loosen_saving`` the cost saved or the exports
    gained."""

    limit: str
    now: float
    objective: str
    base: float
    """The objective at the limit's current value (what the changes are against)."""
    tighten_step: float
    """How far the limit was tightened (>= 0, in the limit's own units)."""
    tighten_cost: float | None
    """None: no plan with the limit tightened at all (see ``no_plan_past``)."""
    loosen_step: float
    loosen_saving: float | None
    """None: no plan loosened (numerics only: loosening keeps every plan)."""
    tighten_edge: Edge = "share"
    loosen_edge: Edge = "share"
    no_plan_past: float | None = None
    """The search's bound where tightening leaves no plan: none at this value (nor
    past it); a plan at the tightened value."""
    dual: float | None = None
    """d(objective)/d(limit) read off the LP (for max_exports, its first stage's: the
    exports): for a MIP the LP with its integers fixed at the plan's values, which
    prices the limit with every whole-number decision held; None when that LP gives
    the limit no dual. One-sided at a degenerate vertex: shown only as such."""
    dual_basis: str | None = None
    """"LP" or "LP with integers fixed"."""
    binding: bool = True
    """False: nearly binding (the plan leaves less than 5% of the limit unused, so
    tightening it by that much would bind it)."""

    @property
    def lowers(self) -> bool:
        """Tightening lowers the limit (a cap, a ceiling, a lock)."""
        return not raised_to_tighten(self.limit)

    @property
    def tightened(self) -> float:
        return self.now - self.tighten_step if self.lowers else self.now + self.tighten_step

    @property
    def loosened(self) -> float:
        return self.now + self.loosen_step if self.lowers else self.now - self.loosen_step

    @property
    def objective_tightened(self) -> float | None:
        """The objective re-solved with the limit tightened (None: no plan)."""
        if self.tighten_cost is None:
            return None
        better = 1.0 if self.objective == "min_cost" else -1.0
        return self.base + better * self.tighten_cost

    @property
    def objective_loosened(self) -> float | None:
        if self.loosen_saving is None:
            return None
        better = 1.0 if self.objective == "min_cost" else -1.0
        return self.base - better * self.loosen_saving

    @property
    def tighten_per_unit(self) -> float | None:
        if self.tighten_cost is None or not self.tighten_step:
            return None
        return self.tighten_cost / self.tighten_step

    @property
    def loosen_per_unit(self) -> float | None:
        if self.loosen_saving is None or not self.loosen_step:
            return None
        return self.loosen_saving / self.loosen_step

    @property
    def changes_nothing(self) -> bool:
        """Both directions leave the objective where it is (to a millionth of it)."""
        return all(x is not None and abs(x) <= WORTH_NOTHING * max(1.0, abs(self.base))
                   for x in (self.tighten_cost, self.loosen_saving))


WORTH_NOTHING = 1e-6
"""A change in the objective below this share of it counts as none."""


def raised_to_tighten(limit: str) -> bool:
    """Floors, milestones and the target are tightened by raising them."""
    tail = limit.rsplit(".", 1)[-1]
    return tail.startswith("min_") or limit.startswith("target.")


@dataclass(frozen=True)
class Repair:
    """The value one limit alone must take for the target to be reachable."""

    limit: str
    current: float
    needed: float | None
    """None: no value of this limit alone makes the scenario feasible."""

    @property
    def relative(self) -> float | None:
        if self.needed is None:
            return None
        return abs(self.needed - self.current) / max(abs(self.current), 1e-9)


@dataclass(frozen=True)
class JointRepair:
    """Limits moved together: the least share ``t`` by which loosening each of them
    (caps and ceilings up by t of their own value, floors and goals down) makes the
    target reachable, with the limits that need not move left out."""

    moves: tuple[Repair, ...]
    share: float
    allowed: tuple[str, ...]
    """The limits it was allowed to move (all conflicting ones, or --relax's)."""
    ranked: bool = False
    """--relax: ``allowed`` in the user's order of preference, tried as growing sets."""


@dataclass(frozen=True)
class Conflict:
    """Limits that cannot all hold (infeasible only): HiGHS's irreducible set, filtered
    on the scenario itself. Each limit named by HiGHS is dropped from the file in
    turn; where the file stays infeasible without it, it is set ``aside`` (not
    needed) and stays dropped. What remains is irreducible, checked by re-solving:
    with the ``aside`` limits dropped, dropping any one of ``limits`` too makes the
    file feasible."""

    limits: tuple[str, ...] = ()
    aside: tuple[str, ...] = ()
    """Named by HiGHS (whose set is not always minimal), not needed for the conflict."""
    unchecked: tuple[str, ...] = ()
    """Limits of the set that cannot be dropped from a file to check them (a
    constraint, a lever's logic or curve): kept as HiGHS named them."""


@dataclass(frozen=True)
class Explanation:
    result: Result
    worth: tuple[Worth, ...]
    conflict: Conflict
    """The limits that cannot hold together (infeasible only)."""
    repairs: tuple[Repair, ...]
    """Single-limit repairs, cheapest (smallest relative change) first."""
    prechecks: tuple[str, ...] = ()
    """What arithmetic on the file shows before any solve (infeasible only)."""
    joint: JointRepair | None = None
    """The least joint move of the conflicting (or --relax) limits."""
    swings: tuple[Swing, ...] = ()
    """The tornado: parameters by swing in the objective, largest first."""
    unmoved: tuple[Unmoved, ...] = ()
    """The file's numbers the tornado leaves alone, each with why."""
    room: tuple[LeverRoom, ...] = ()
    """Each lever's least and most units within the slack of the optimum."""
    ranges: tuple[Stability, ...] = ()
    """Unit costs and yields: the interval keeping the plan's mix."""
    share: float = 0.2
    slack: float = 0.05
    unfinished: tuple[str, ...] = ()
    """Searches the command's time budget stopped (sections, repairs): left out."""
    stopped_by: str = "--time-budget"
    """The option whose time stopped them (SolverOptions.budget_option)."""


@dataclass(frozen=True)
class Swing:
    """One parameter moved down and up by a share, re-solved: a tornado bar."""

    parameter: str
    value: float
    low: float
    high: float
    objective_low: float | None
    objective_high: float | None
    """The objective at low and high (None: no plan there)."""
    name: str = ""
    """In a planner's words: 'Additional IT workforce: units funded a period, at most'."""
    note: str = ""
    """Why it moved one way only (a share cannot reach 1, a lag cannot fall below 0):
    the other end is the value itself and the objective there the optimum's."""

    @property
    def swing(self) -> float:
        values = [v for v in (self.objective_low, self.objective_high) if v is not None]
        return max(values) - min(values) if len(values) == 2 else float("inf")


@dataclass(frozen=True)
class Unmoved:
    """A number of the file that the tornado does not move, and why (it cannot move
    the optimum, or a move by a share of it leaves it where it is)."""

    parameter: str
    name: str
    value: float | None
    """None: not a single number (a constraint's expression)."""
    reason: str


@dataclass(frozen=True)
class LeverRoom:
    """The least and most units of one lever in any plan within the slack."""

    lever: str
    low: float
    high: float
    kind: str
    """essential (in every such plan), interchangeable (can drop to its least if
    others rise: ``substitutes``), optional (can drop with nothing else rising), or
    unused (in no such plan)."""
    substitutes: tuple[str, ...] = ()
    plan_low: dict[str, float] | None = None
    """Units of every lever in the plan that gives this lever its least (re-checked)."""
    plan_high: dict[str, float] | None = None
    """Units of every lever in the plan that gives this lever its most (re-checked)."""


@dataclass(frozen=True)
class Stability:
    """How far one lever parameter may move before the plan's mix changes."""

    parameter: str
    value: float
    low: float | None
    """Lowest value (within a tenth of the current) keeping the mix; None: below that too."""
    high: float | None
    """Highest value (up to ten times the current) keeping the mix; None: above that too."""
