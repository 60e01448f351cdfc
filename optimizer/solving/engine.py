"""Scenario -> Result: build once, solve, re-check, explain the outcome."""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pyomo.core as pyo

from models.build import build, lite, use_objective
from models.compile import Matrix
from models.data import ModelData, OutcomeFloor
from models.sink import Arrays, LiteModel
from optimizer.errors import OutOfTime, ScenarioError, SolverError, TimeUp
from optimizer.numbers import clean, round_step
from optimizer.plan.check import (
    Plan,
    binding,
    goal_value,
    limits_on_exports,
    paths,
    violations,
)
from optimizer.results import (
    Certificate,
    LeverRow,
    OutcomeTotal,
    OutOfReach,
    PeriodRow,
    PlanKind,
    Result,
    ShortMilestone,
    SolverInfo,
    messages,
)
from optimizer.results import Status as ResultStatus
from optimizer.scenario import Loadout, effective_sha256
from optimizer.scenario.schema import EXPORTS, Scenario
from optimizer.solving.highs import Highs, Outcome, PerColumn, Status, version
from optimizer.solving.inputs import (
    Scaling,
    chance_data,
    fitted,
    goal_unit_for,
    model_data,
    off_scale,
    stage_of,
)
from optimizer.solving.options import SolverOptions

# max_exports: the cheapest plan among those within this share of the most
# exports, as the spec says (section 1, Semantics).
LEXICOGRAPHIC_SLACK = 1e-9
UNIT_LIMITS = ("max_units", "min_units", "max_units_per_period", "min_units_if_used")
INTEGRALITY_TOL = 1e-5
# An optimum is shown as proven when the plan's own value and a bound meet
# within this share of the value.
CERTIFY_GAP = 1e-6
# "Infeasible" is proven when the most exports any plan reaches is below the
# need by more than this share (a strict verdict: see _meets_target).
PROOF_SLACK = 1e-9

# The stages after the answer's first solve that --time-limit can cut short or leave
# out, as the message names them (see _cut_short)
SECOND_OPINION = ("the second opinion (a solve from scratch under strict tolerances "
                  "that certifies HiGHS's bound)")
FIRST_STAGE_OPINION = "the second opinion of max_exports' first stage (the most exports)"
SECOND_STAGE = "max_exports' second stage (the cheapest plan keeping the most exports)"
SECOND_STAGE_OPINION = "the second opinion of max_exports' second stage"
SECOND_STAGE_BOUND = "the bound on the cost of max_exports' second stage"


class Solvers:
    """One HiGHS instance per objective, each kept warm across re-solves.

    max_exports solves twice per point (the most exports, then the cheapest
    plan keeping them); flipping one instance's objective back and forth
    throws its basis away, two instances keep both warm.
    """

    def __init__(self, options: SolverOptions) -> None:
        self.options = options
        self._by_objective: dict[str, Highs] = {}
        self._objectives: list[pyo.Objective] = []

        self._strict = False
        self._screening = False
        self._lean = False
        self.sample_mip = False
        """Every instance a chance-constrained MIP's (see Highs.sample_mip)."""
        self._arrays: tuple[pyo.ConcreteModel, Matrix, PerColumn] | None = None
        """The matrix of the model as it stands where the Pyomo model was built from
        other parameters (see Session.rebase): a new instance loads it."""

    def _new(self, m: pyo.ConcreteModel) -> Highs:
        highs = Highs(self.options)
        highs.sample_mip = self.sample_mip
        if self._arrays is not None and self._arrays[0] is m:
            highs.rebase(*self._arrays)
        return highs

    def for_model(self, m: pyo.ConcreteModel) -> Highs:
        if not self._objectives:
            self._objectives = list(m.component_data_objects(pyo.Objective))
        live = next(o for o in self._objectives if o.active).name
        if live not in self._by_objective:
            self._by_objective[live] = self._new(m)
        highs = self._by_objective[live]
        highs.set_strict(self._strict)
        highs.screening = self._screening
        highs.lean = self._lean
        return highs

    def for_objective(self, m: pyo.ConcreteModel, name: str) -> Highs:
        """The instance kept for objective ``name`` (created if none was)."""
        if name not in self._by_objective:
            self._by_objective[name] = self._new(m)
        highs = self._by_objective[name]
        highs.screening = self._screening
        highs.lean = self._lean
        return highs

    @property
    def instances(self) -> int:
        """How many HiGHS instances are kept (one per objective solved so far)."""
        return len(self._by_objective)

    def rebase(self, m: pyo.ConcreteModel, matrix: Matrix | None = None,
               per_column: PerColumn | None = None) -> int:
        """Hand every instance model ``m``, or its arrays as they now stand (see
        Highs.rebase); how many stayed warm."""
        self._objectives = []
        self._arrays = None if matrix is None or per_column is None else (
            m, matrix, per_column)
        return sum(highs.rebase(m, matrix, per_column)
                   for highs in self._by_objective.values())

    def set_screening(self, screening: bool) -> None:
        """No second opinions on any instance (see Highs.screening)."""
        self._screening = screening
        for highs in self._by_objective.values():
            highs.screening = screening

    def set_lean(self, lean: bool) -> None:
        """No primal heuristics on any instance (see Highs.lean)."""
        self._lean = lean
        for highs in self._by_objective.values():
            highs.lean = lean

    def set_strict(self, strict: bool) -> None:
        """Tight tolerances on every instance (see Highs.set_strict)."""
        self._strict = strict
        for highs in self._by_objective.values():
            highs.set_strict(strict)


@dataclass
class _Run:
    """One solve of a session's model for one scenario (a point of a sweep, say)."""

    loadout: Loadout
    data: ModelData
    scaling: Scaling
    model: pyo.ConcreteModel
    solvers: Solvers
    objective: str
    diagnose: bool = True
    """False: a sweep point; skip what only explains the answer."""
    seconds: float = 0.0
    """Time inside HiGHS calls, all solves of this run."""
    build_seconds: float = 0.0
    """Time to translate the scenario and build the Pyomo model."""
    first_plan: Plan | None = None
    """max_exports: the plan with the most exports, before the cheapest is sought."""
    chance: bool = False
    """The target need hold only in a share of the samples (checked by the caller)."""
    cut: list[str] = field(default_factory=list)
    """The stages --time-limit cut short or left out, in the order met ("before the
    second opinion ..."): the answer is then a limit's (see _cut_short)."""

    def solve(self, **kw: object) -> Outcome:
        out = self.solvers.for_model(self.model).solve(self.model, **kw)  # type: ignore[arg-type]
        self.seconds += out.seconds
        return out


def solve_scenario(loadout: Loadout, options: SolverOptions | None = None) -> Result:
    """Solve a validated scenario and return a re-checked Result (see Session.answer)."""
    return Session(loadout, options).answer()


def with_goal(
    s: Scenario, target: float | None = None, ceiling: float | None | bool = False,
    objective: str | None = None,
) -> Scenario:
    """``s`` with target.exports, budget.ceiling (None removes it; False keeps it)
    or the objective replaced: values already in the reporting currency."""
    update: dict[str, Any] = {}
    if target is not None:
        update["target"] = s.target.model_copy(update={"exports": target})
    if ceiling is not False:
        update["budget"] = s.budget.model_copy(update={"ceiling": ceiling})
    if objective is not None:
        update["objective"] = objective
    return s.model_copy(update=update)


class Session:
    """A scenario's model, built once and re-solved as targets and ceilings change.

    Big-M bounds may come from the ceiling (units <= ceiling / cost), so a
    session that will see larger ceilings than the file's is built with
    ``widest_ceiling`` (float('inf') for "none at all").
    """

    def __init__(
        self, loadout: Loadout, options: SolverOptions | None = None,
        widest_ceiling: float | None = None, units: tuple[float, float] | None = None,
        chance: tuple[float, Mapping[str, Any]] | None = None, relax: bool = True,
        whole: bool = False, goal_unit: float | None = None,
    ) -> None:
        start = time.perf_counter()
        self.loadout = loadout
        s = loadout.scenario
        if widest_ceiling is not None:
            s = with_goal(s, ceiling=None if widest_ceiling == float("inf") else widest_ceiling)
        self.data, self.scaling = model_data(s, loadout.file, units, relax, whole, goal_unit)
        self.chance = chance is not None
        if chance is not None:
            # (confidence, draws): reach the target in that share of the samples
            self.data = replace(self.data, chance=chance_data(s, self.scaling, chance[1],
                                                              chance[0]))
        # the model as the solve reads it, from the families' arrays with no Pyomo
        # model (at 1,000 levers building one took longer than HiGHS's solve): the
        # Pyomo model is built only for a question that adds rows to it or writes
        # it (current_model)
        arrays, model = lite(self.data)
        self._arrays: Arrays = arrays
        self.model: pyo.ConcreteModel | LiteModel = model
        self._handles: _Handles | None = None
        self.built_from = self.data
        """The data the model's coefficients and constant bounds come from: a
        rebase with the same shape moves the arrays HiGHS holds, not the model."""
        self.solvers = Solvers(options or SolverOptions())
        self.solvers.sample_mip = self.chance
        self.solvers.rebase(self.model, self._arrays.matrix, self._arrays.per_column)
        self.build_seconds = time.perf_counter() - start

    @property
    def discrete(self) -> bool:
        """Whether the model at the session's current data has integers (read each time:
        a rebase may add a use switch or make a lever integer)."""
        return self.chance or any(
            lv.integer or lv.needs_use or lv.formulation == "piecewise_binary"
            for lv in self.data.levers) or any(
            c.formulation == "piecewise_binary" for c in self.data.outcome_curves)

    def spawn(self) -> Session:
        """A session of its own for an independent search, without building anything:
        the same model (its rows and columns name what HiGHS holds; each solve sets
        the goal, the objective and the plan on it, so searches that take turns in one
        process share it safely) with solvers of its own, cold, so its answers do not
        depend on what another search solved before it. Only a session still at the
        data its model was built from spawns (a rebased one would hand its solvers a
        model that is not its data)."""
        if self.data is not self.built_from:
            raise ValueError("spawn a session at the data its model was built from")
        twin = copy.copy(self)
        twin.solvers = Solvers(self.solvers.options)
        twin.solvers.sample_mip = self.chance
        if isinstance(self.model, LiteModel):
            # (a model of arrays alone: its solvers load the arrays, not a compile)
            twin.solvers.rebase(self.model, self._arrays.matrix, self._arrays.per_column)
        return twin

    def rebase(self, s: Scenario) -> int:
        """Other values of the same levers' parameters (a sample), in the session's
        money scale, handed to the solvers, which keep their bases (warm re-solves).
        Returns how many solver instances stayed warm.

        The new coefficients come as arrays (models.build.arrays, the same families
        as the Pyomo model) and the Pyomo model stays: its rows and columns name
        what HiGHS holds, its variables take the plan. Only where the shape moves
        (a lag that starts a lever's stock in another period, a limit that appears
        or goes, a lever that becomes integer) is the model built anew."""
        if self.chance:
            raise ValueError("a chance-constrained session is not rebased")
        data, scaling = model_data(s, self.loadout.file, self.scaling.scales)
        self.loadout = replace(self.loadout, scenario=s)
        self.data, self.scaling = data, scaling
        new, model = lite(data)
        handles = self._shape()
        if new.col_keys == handles.col_keys and new.row_keys == handles.row_keys:
            matrix = new.bound(handles.columns, handles.rows)
            self._arrays = new
            return self.solvers.rebase(self.model, matrix, new.per_column)
        # another shape: the new arrays' own model, loaded cold
        self._arrays, self.model, self.built_from, self._handles = new, model, data, None
        return self.solvers.rebase(model, new.matrix, new.per_column)

    def _build(self) -> int:
        """The Pyomo model built anew from the session's data, handed to the solvers."""
        self.model = build(self.data)
        self.built_from = self.data
        self._handles = None
        return self.solvers.rebase(self.model)

    def _shape(self) -> _Handles:
        """The model's columns and rows, in the solver's order, with the family and
        index of each (what models.sink.Arrays names them by)."""
        if self._handles is None and isinstance(self.model, LiteModel):
            arrays = self._arrays
            self._handles = _Handles(self.model.columns, self.model.rows, arrays.col_keys,
                                     arrays.row_keys)
        if self._handles is None:
            m = self.model
            columns = list(m.component_data_objects(pyo.Var, descend_into=True))
            rows = list(m.component_data_objects(pyo.Constraint, descend_into=True))
            self._handles = _Handles(
                columns, rows,
                [(v.parent_component().local_name, v.index()) for v in columns],
                [(c.parent_component().local_name, c.index()) for c in rows])
        return self._handles

    def current_model(self) -> pyo.ConcreteModel:
        """The Pyomo model with the session's own coefficients (built when the session
        solves from arrays alone, or anew when a rebase moved only the arrays): for
        what adds rows to the model or writes it."""
        if isinstance(self.model, LiteModel) or self.built_from is not self.data:
            self._build()
        assert not isinstance(self.model, LiteModel)
        return self.model

    def probe(self, s: Scenario, screen: bool = False) -> Result:
        """``s``, the session's scenario with parameters moved (the same levers,
        limits and goal), solved on this session's warm solvers: the model rebuilt in
        the session's money scales (a search that moves a value towards 0 must not
        rescale it) and handed to HiGHS without reloading (see rebase), then solved
        and re-checked as ``solve`` does, without the diagnosis, and without HiGHS's
        primal heuristics (Highs.lean: on a probe they cost more than they find).

        ``screen``: HiGHS's own bound stands, with no second opinion from scratch
        (which costs more than the solve): for a search whose answer is solved
        again with ``screen`` False before it is shown."""
        self.rebase(s)
        self.solvers.set_screening(screen)
        self.solvers.set_lean(True)
        try:
            return self.solve(diagnose=False)
        finally:
            self.solvers.set_screening(False)
            self.solvers.set_lean(False)

    def run_for(self, s: Scenario) -> _Run:
        """Point the model at ``s`` (same levers; target, ceiling, objective may differ)."""
        m = self.model
        m.needed.set_value(s.target.needed / self.scaling.exports)
        if s.budget.ceiling is None:
            m.budget.deactivate()
        else:
            m.ceiling.set_value(s.budget.ceiling / self.scaling.money)
            m.budget.activate()
        use_objective(m, stage_of(s))
        if self.chance:
            m.target.deactivate()  # the samples' rows stand in for it
        loadout = replace(self.loadout, scenario=s)
        run = _Run(loadout, self.data, self.scaling, m, self.solvers, stage_of(s))
        run.chance = self.chance
        run.build_seconds = self.build_seconds
        return run

    def solve(self, scenario: Scenario | None = None, diagnose: bool = True) -> Result:
        """Solve ``scenario`` (default: the file's) and return a re-checked Result.

        ``diagnose`` False skips what only explains (why infeasible, the next
        step's cost): a sweep point needs the answer, not the story.

        The model's units of spend and exports come from a guess at the answer's
        size (inputs._goals), which a constraint can make wrong by orders of
        magnitude (exports of 1e5 where the caps allowed 1e10: a lever's 5
        exports were then 5e-7 model units, under HiGHS's tolerances). Where the
        answer lands a thousand times or more off its units, it is solved again
        on a model built in units fitted to it, and that answer is shown.

        Under --time-limit (SolverOptions.time_limit: one budget for every HiGHS run of
        the command, counted from the first) the answer's first stage may use all that
        is left; the stages after it get what is left then, and a stage that finds
        nothing left is not run. The answer is then ``limit_with_plan`` (exit 4) with
        the best plan found, and the message names each stage cut short (see
        _cut_short). A solve that finds the limit spent before it can give a plan (an
        analysis's next probe) raises TimeUp, an OutOfTime: the search is named
        unfinished, as when --time-budget runs out; ``answer`` makes it a result.
        """
        s = scenario or self.loadout.scenario
        try:
            result = self._solve_once(s, diagnose)
            units = None if self.chance else _refit(self, s, result)
            if units is not None:
                result = self._again(s, diagnose, result, units=units)
        except PlanBroken as broken:
            # a plan that breaks a limit by more than the model's tolerance lets
            # through, often because the units were guessed far off: fitted to it
            units = None if self.chance or broken.plan is None else _refit_to(
                self, s, *_figures(s, broken.plan, self.data.weights))
            if units is None:
                raise
            try:
                again = self._rebuilt(s, units=units)
            except ScenarioError:
                raise broken from None
            result = again._solve_once(s, diagnose)
        except NotWhole as not_whole:
            # every rounding of the levers solved continuous broke a limit (a
            # second stage at its floor beside per-period ceilings): integers kept
            if not any(lv.grain for lv in self.data.levers):
                raise
            try:
                exact = self._rebuilt(s, whole=True)
            except ScenarioError:
                raise not_whole from None
            result = exact._solve_once(s, diagnose)
        proof = result.solver.certificate
        if (not self.chance and result.status == "not_proven" and proof is not None
                and proof.kind == "optimum" and math.isfinite(proof.bound)):
            # the plan and its bound disagree; where the bound lands far off the
            # model's units (a plan of no exports beside a bound of 0.34 in units
            # of 1e8), solved again in units fitted to the bound
            unit = self.scaling.unit_of(stage_of(s))
            # (a bound on other outcomes says nothing of the export unit: not refitted)
            if off_scale(abs(proof.bound), unit) and stage_of(s) != "max_goal":
                hint = abs(proof.bound)
                pair = ((result.discounted_cost or self.scaling.money * 1e3, hint)
                        if s.maximises else
                        (hint, result.lever_exports or self.scaling.exports * 1e3))
                result = self._again(s, diagnose, result, units=fitted(s, *pair))
        goal = self.scaling.goal
        if (not self.chance and stage_of(s) == "max_goal" and goal is not None
                and result.status == "not_proven" and result.goal_value
                and off_scale(abs(result.goal_value), goal)):
            # a goal far off its model unit (the trade-off's far end, where the most of
            # one outcome is a hair): solved again in a goal unit fitted to it
            result = self._again(s, diagnose, result, units=self.scaling.scales,
                                 goal_unit=goal_unit_for(result.goal_value))
        levers = self.data.levers
        if not self.chance and result.status == "not_proven" and any(
                lv.grain or lv.dust_exports for lv in levers):
            # integer levers solved continuous and rounded, or yields left out as
            # dust, missed the proof (negligible against the guess, not against the
            # answer): the model kept exact, in units fitted to the answer and to
            # what the dust could add
            dust = sum(lv.dust_exports for lv in levers) * self.scaling.exports
            spend = result.discounted_cost or 0.0
            units = fitted(s, spend if spend > 0 else self.scaling.money * 1e3,
                           max(result.lever_exports or 0.0, dust) or self.scaling.exports * 1e3)
            result = self._again(s, diagnose, result, relax=False, units=units)
        return result

    def answer(self, scenario: Scenario | None = None, diagnose: bool = True) -> Result:
        """``solve``, for an answer a command shows (optimize's, a sweep's point, a
        sample of simulate --reoptimize): where --time-limit was spent before a plan
        was found (a later point; a proof of infeasibility cut short), a result
        ``limit_without_plan`` (exit 4) that says so, not an error."""
        s = scenario or self.loadout.scenario
        try:
            return self.solve(s, diagnose)
        except TimeUp as exc:
            return _no_time(self.run_for(s), exc)

    def _rebuilt(self, s: Scenario, **build: Any) -> Session:
        """A session of ``s`` on a model built anew (``build``: other units, integers
        kept whole); ScenarioError when that model cannot represent it."""
        return Session(replace(self.loadout, scenario=s), self.solvers.options, **build)

    def _again(self, s: Scenario, diagnose: bool, result: Result, **build: Any) -> Result:
        """``s`` solved on a model built anew (other units, integers kept whole); the
        first result stands when that model cannot be built or proves no more."""
        try:
            again = self._rebuilt(s, **build)
        except ScenarioError:
            return result  # a coefficient the new units cannot represent
        try:
            other = again._solve_once(s, diagnose)
        except SolverError:
            return result  # no plan that passes the re-check there: the first stands
        # (a limit's answer there, on what --time-limit left, is no better a footing)
        kept = other.status in ("not_proven", "limit_with_plan", "limit_without_plan")
        return result if kept and result.plan != "none" else other

    def _solve_once(self, scenario: Scenario, diagnose: bool) -> Result:
        run = self.run_for(scenario)
        run.diagnose = diagnose
        try:
            return _solve(run, self.discrete, diagnose)
        except PlanBroken:
            # the plan sat inside HiGHS's tolerances but outside the scenario's
            # own units: once more with tight tolerances, then give up
            pass
        run = self.run_for(scenario)
        run.diagnose = diagnose
        self.solvers.set_strict(True)
        try:
            return _solve(run, self.discrete, diagnose)
        finally:
            self.solvers.set_strict(False)


    def loaded_plan(self, within_cost: float | None = None) -> Plan:
        """The plan now in the model's variables (after a solve outside ``solve``), in
        scenario units and re-checked against the file; ``within_cost`` also holds
        its discounted cost to that."""
        run = self.run_for(self.loadout.scenario)
        units = _plan(run)
        broken = violations(run.loadout.scenario, units, True)
        if within_cost is not None:
            cost = _figures(run.loadout.scenario, units, run.data.weights)[0]
            if cost > within_cost * (1 + 1e-6):
                broken.append(f"discounted cost {cost:,.10g} <= {within_cost:,.10g} fails")
        if broken:
            raise PlanBroken("HiGHS's plan breaks the scenario; not shown:\n  "
                             + "\n  ".join(broken))
        return units

    def limit_duals(self) -> dict[str, float]:
        """After ``solve``: d(objective)/d(limit) for each limit with a dual, in the
        file's units (money per unit for unit caps), summed over the rows and columns
        the limit sets; from the LP, or the LP with integers fixed for a MIP."""
        m = self.model
        highs = self.solvers.for_model(m)
        sc = self.scaling
        objective = sc.unit_of(stage_of(self.loadout.scenario))
        out: dict[str, float] = {}
        for item, side, dual in highs.limit_duals():
            name = _scenario_name(self, item, side)
            if name is None:
                continue
            per_unit = name.rsplit(".", 1)[-1] in UNIT_LIMITS
            lid = name.split(".")[1] if name.startswith("levers.") else None
            if per_unit and lid:
                limit = sc.units[lid]
            elif name.startswith("target.outcomes."):
                limit = self._outcome_unit(item)
            elif name.startswith("target."):
                limit = sc.exports
            else:
                limit = sc.money
            out[name] = out.get(name, 0.0) + dual * objective / limit
        return out

    def _outcome_unit(self, item: Any) -> float:
        """The outcome units per model unit of an outcome floor's row."""
        index = item.index()
        return self.data.outcome_floors[int(index[0] if isinstance(index, tuple) else index)
                                        ].unit

    def conflict(self) -> list[str]:
        """The file's limits that cannot all hold, in scenario names (an IIS)."""
        self.run_for(self.loadout.scenario)
        m = self.model
        highs = self.solvers.for_model(m)
        names = [_scenario_name(self, item, side) for item, side in highs.conflict(m)]
        return list(dict.fromkeys(n for n in names if n))

    # -- named operations: what the analyses ask of a session; none of them touches
    # the model, and each leaves it as it found it

    def discrete_reasons(self) -> list[str]:
        """Why the model has integer or binary variables, lever by lever (none: an LP)."""
        out = []
        for lv in self.data.levers:
            if lv.integer:
                out.append(f"levers.{lv.id} is integer")
            elif lv.needs_use:
                out.append(f"levers.{lv.id} has a use switch (fixed cost, min_units_if_used, "
                           "requires or excludes)")
            elif lv.formulation == "piecewise_binary":
                out.append(f"levers.{lv.id} has a curve that needs binaries")
        for c in self.data.outcome_curves:
            if c.formulation == "piecewise_binary":
                out.append(f"levers.{self.data.levers[c.lever].id}.yield_curves.{c.outcome} "
                           "needs binaries")
        return out

    def maximise_goal(self) -> bool:
        """A max objective's first stage alone (the most of its goal; no target on
        exports when they are maximised), or for min_cost the most exports with no
        target, polished so that a MIP's duals (limit_duals) come from its LP with
        integers fixed. True when HiGHS calls it optimal."""
        s = self.loadout.scenario
        self.run_for(s)
        m = self.model
        needed = m.needed.value
        if not s.maximises or not s.holds_export_target:
            m.needed.set_value(0.0)
        use_objective(m, stage_of(s) if s.maximises else "max_exports")
        try:
            return self.solvers.for_model(m).solve(m, polish=True).status is Status.OPTIMAL
        finally:
            m.needed.set_value(needed)

    def model_file(self, fmt: Literal["lp", "mps"]) -> bytes:
        """The model HiGHS solves first for the session's scenario, as an LP or MPS
        file any solver reads (``optimize --write-lp`` / ``--write-mps``): min_cost's
        model, or max_exports' first stage (the most exports, no target), in the
        session's money and unit scales, written by HiGHS from the instance the
        solve uses. Columns and rows are named after the model's families with the
        file's lever ids and period labels (``x(it_workforce,2024)``,
        ``milestone(2025)``); a comment header gives the scales."""
        if self.chance:
            raise ValueError("a chance-constrained session's model is not written")
        s = self.loadout.scenario
        m = self.current_model()  # the Pyomo model is what is written
        self.run_for(s)
        needed = m.needed.value
        if s.maximises and not s.holds_export_target:
            m.needed.set_value(0.0)  # the first stage, as _most_exports solves it
        try:
            highs = self.solvers.for_model(m)
            body = highs.model_file(m, fmt, lambda items: _model_names(self, items))
        finally:
            m.needed.set_value(needed)
        mark = "\\" if fmt == "lp" else "*"
        header = "".join(f"{mark} {line}\n" for line in _model_header(self))
        return header.encode("ascii") + body

    def require_samples(self, n: int) -> None:
        """A chance-constrained session: a plan must reach the target in ``n`` samples."""
        if not self.chance:
            raise ValueError("require_samples needs a chance-constrained session")
        self.model.required.set_value(float(n))

    def prime_samples(self) -> None:
        """A chance-constrained session: what every solve of its model (and of its
        spawned twins') works out first before narrowing it, worked out now
        (optimizer.solving.samples.prime): before the confidences fork."""
        if not self.chance:
            raise ValueError("prime_samples needs a chance-constrained session")
        self.solvers.for_model(self.model).prime_samples(self.model)

    def most_samples_reached(self) -> int | None:
        """A chance-constrained session: the most samples any plan reaches the target
        in, whatever it costs (None when HiGHS proves no answer)."""
        if not self.chance:
            raise ValueError("most_samples_reached needs a chance-constrained session")
        m = self.model
        m.enough.deactivate()
        m.cost_objective.deactivate()
        m.most_reached.activate()
        try:
            out = self.solvers.for_model(m).solve(m)
            if out.status is not Status.OPTIMAL or out.objective is None:
                return None
            return int(round(out.objective))
        finally:
            m.most_reached.deactivate()
            m.enough.activate()
            m.cost_objective.activate()

    def frontier_point(self, kind: Literal["ceilings", "targets"], x: float
                       ) -> FrontierPoint | None:
        """The exact frontier at ``x`` (a ceiling: the most lever exports; a target, on
        the file's basis (total exports when it counts the baseline): the least cost,
        the min_cost objective), with a slope there: the swept row's dual, a
        subgradient of the frontier (at a corner, any slope between the two sides'). An
        LP only; None where HiGHS finds no optimum (outside the frontier's range)."""
        s = self.loadout.scenario
        sc = self.scaling
        y_unit, x_unit = ((sc.exports, sc.money) if kind == "ceilings"
                          else (sc.money, sc.exports))
        m = self.model
        if kind == "ceilings":
            self.run_for(with_goal(s, ceiling=x, objective="max_exports"))
            m.needed.set_value(0.0)  # the most exports: the target is not a constraint
            row = m.budget
        else:
            self.run_for(with_goal(s, target=x, objective="min_cost"))
            row = m.target
        out = self.solvers.for_model(m).solve(m, duals_of=[row])
        if out.status is not Status.OPTIMAL or out.objective is None:
            return None
        return FrontierPoint(y=out.objective * y_unit,
                             slope=abs(out.duals.get(row.name, 0.0)) * y_unit / x_unit)

    def frontier_reach(self, kind: Literal["ceilings", "targets"]) -> float | None:
        """Where the exact frontier's range ends, solved: for ceilings the least ceiling
        any plan fits (the least total undiscounted spend under the file's other
        limits, the target left out), below which there is no plan; for targets the
        highest target any plan reaches (the most lever exports under the file's
        limits, its ceiling included, plus the baseline when the target counts it;
        inf without end). None when no plan holds the file's other limits. An LP only."""
        s = self.loadout.scenario
        m = self.current_model()  # compiled by a fresh HiGHS below
        if kind == "targets":
            self.run_for(with_goal(s, objective="max_exports"))
            m.needed.set_value(0.0)
            out = self.solvers.for_model(m).solve(m)
            if out.status is not Status.OPTIMAL or out.objective is None:
                # no most exports: none without end (a lever uncapped, no ceiling), or
                # no plan at all; a plan for no target at all tells them apart
                self.run_for(with_goal(s, objective="min_cost"))
                m.needed.set_value(0.0)
                some = self.solvers.for_model(m).solve(m)
                return math.inf if some.status is Status.OPTIMAL else None
            return out.objective * self.scaling.exports + (
                s.target.baseline if s.target.includes_baseline else 0.0)
        self.run_for(with_goal(s, ceiling=None, objective="min_cost"))
        m.needed.set_value(0.0)
        for obj in m.component_data_objects(pyo.Objective):
            obj.deactivate()
        m.least_spend = pyo.Objective(expr=m.budget.body, sense=pyo.minimize)
        try:
            # a HiGHS of its own: the objective added here is not the session's instances'
            out = Highs(self.solvers.options).solve(m)
        finally:
            m.del_component("least_spend")
            use_objective(m, stage_of(s))
        if out.status is not Status.OPTIMAL or out.objective is None:
            return None
        return out.objective * self.scaling.money

    def units_range(self, cost_cap: float) -> list[tuple[Extreme, Extreme]]:
        """min_cost: for each lever (file order), its fewest and most units over the
        horizon in any plan whose discounted cost is within ``cost_cap``, each with
        the cheapest plan that holds it there (re-checked against the file and the
        cap; a plan's units summed over periods)."""
        # rows are added to the model and compiled by a HiGHS of its own: the model
        # must hold the session's coefficients
        m = self.current_model()
        self.run_for(self.loadout.scenario)
        added = ["within_slack", "hold_low", "hold_high"]
        m.within_slack = pyo.Constraint(expr=(None, m.cost_objective.expr,
                                              cost_cap / self.scaling.money))
        m.hold_low = pyo.Param(mutable=True, initialize=0.0)
        m.hold_high = pyo.Param(mutable=True, initialize=0.0)
        for i in m.L:
            total = sum(m.x[i, k] for k in m.K)
            for sense in ("min", "max"):
                setattr(m, f"room_{sense}_{i}", pyo.Objective(
                    expr=total, sense=pyo.minimize if sense == "min" else pyo.maximize))
            setattr(m, f"room_hold_{i}", pyo.Constraint(expr=(m.hold_low, total, m.hold_high)))
            getattr(m, f"room_hold_{i}").deactivate()
            added += [f"room_min_{i}", f"room_max_{i}", f"room_hold_{i}"]
        # a HiGHS of its own: the rows added here are not the session's instances'
        highs = Highs(self.solvers.options)
        out: list[tuple[Extreme, Extreme]] = []
        try:
            for i in range(len(self.data.levers)):
                low, high = (self._extreme(highs, i, sense, cost_cap) for sense in ("min", "max"))
                out.append((low, high))
        finally:
            for name in reversed(added):
                m.del_component(name)
            use_objective(m, stage_of(self.loadout.scenario))
        return out

    def _extreme(self, highs: Highs, i: int, sense: str, cost_cap: float) -> Extreme:
        m = self.model
        for obj in m.component_data_objects(pyo.Objective):
            obj.deactivate()
        getattr(m, f"room_{sense}_{i}").activate()
        got = highs.solve(m, polish=True)
        if got.status is not Status.OPTIMAL or got.objective is None:
            return Extreme(math.nan, None)
        # the plan shown at an extreme is the cheapest one that holds the lever there
        hold = getattr(m, f"room_hold_{i}")
        m.hold_low.set_value(got.objective - 1e-9 * max(1.0, abs(got.objective)))
        m.hold_high.set_value(got.objective + 1e-9 * max(1.0, abs(got.objective)))
        hold.activate()
        getattr(m, f"room_{sense}_{i}").deactivate()
        m.cost_objective.activate()
        try:
            cheapest = highs.solve(m, polish=True)
            if cheapest.status is not Status.OPTIMAL:  # keep the extreme's own plan
                hold.deactivate()
                m.cost_objective.deactivate()
                getattr(m, f"room_{sense}_{i}").activate()
                highs.solve(m, polish=True)
        finally:
            hold.deactivate()
        plan = self.loaded_plan(within_cost=cost_cap)
        lid = self.data.levers[i].id
        return Extreme(sum(plan[lid]), {k: sum(units) for k, units in plan.items()})


@dataclass(frozen=True)
class _Handles:
    """Session._shape: a Pyomo model's columns and rows and their (family, index)."""

    columns: list[Any]
    rows: list[Any]
    col_keys: list[tuple[str, Any]]
    row_keys: list[tuple[str, Any]]


@dataclass(frozen=True)
class FrontierPoint:
    """Session.frontier_point: the frontier's value and a slope there."""

    y: float
    """The most lever exports (ceilings) or the least cost (targets), reporting currency."""
    slope: float
    """dy/dx at x (>= 0): on a segment its slope; at a corner one between the two sides'."""


@dataclass(frozen=True)
class Extreme:
    """Session.units_range: one end of a lever's room and the plan holding it there."""

    units: float
    """NaN where HiGHS proves no answer."""
    plan: dict[str, float] | None
    """Units of every lever over the horizon (None with no answer)."""


def _refit(session: Session, s: Scenario, result: Result) -> tuple[float, float] | None:
    """Units of spend and exports fitted to a plan that landed far off the model's
    (see Session.solve); None when it did not."""
    if result.plan not in ("optimal", "best_found"):
        return None
    spend = result.discounted_cost if result.discounted_cost is not None else 0.0
    return _refit_to(session, s, spend, result.lever_exports or 0.0)


def _figures(s: Scenario, plan: Plan, weights: tuple[float, ...]) -> tuple[float, float]:
    """A plan's discounted spend and last-period lever exports, by the re-check."""
    got = paths(s, plan).values()
    spend = sum(w * sum(p.spend[k] for p in got) for k, w in enumerate(weights))
    return spend, sum(p.last_exports for p in got)


def _refit_to(session: Session, s: Scenario, spend: float, exports: float
              ) -> tuple[float, float] | None:
    sc = session.scaling
    if not (off_scale(spend, sc.money) or off_scale(exports, sc.exports)):
        return None
    units = fitted(s, spend if spend > 0 else sc.money * 1e3,
                   exports if exports > 0 else sc.exports * 1e3)
    return None if units == sc.scales else units


# the families of models/build.py whose rows or columns carry a limit of the file;
# every other family is models.build.STRUCTURE (test_provenance holds the two whole)
LIMIT_FAMILIES = frozenset({
    "x", "spend_bounds", "unit_totals", "curve_capacity", "use_floor", "use_link",
    "target", "budget", "extra", "period_budget", "milestone", "requires", "excludes",
    "outcome_floor", "outcome_capacity",
})


def _scenario_name(session: Session, item: Any, side: str) -> str | None:
    """Where a row or column bound of the model comes from, as the file names it."""
    s = session.loadout.scenario
    labels = s.period_labels
    ids = [lv.id for lv in session.data.levers]
    # the family and index the row or column was made with (no name parsing: a
    # family renamed in models/build.py fails test_provenance, not silently here)
    base = item.parent_component().local_name
    index = item.index()
    keys = [] if index is None else list(index) if isinstance(index, tuple) else [index]

    def lever(pos: int = 0) -> str:
        return f"levers.{ids[int(keys[pos])]}"

    single = not s.has_periods
    if base == "x":
        # "both": a boxed column; its cap is what can hold exports back, the
        # zero floor is just non-negativity
        if side in ("upper", "both"):
            if single:
                return f"{lever()}.max_units"
            # the column's cap is max_units_per_period, or max_units when tighter
            spec = s.levers[ids[int(keys[0])]]
            per = spec.max_units_per_period
            if per is None or (spec.max_units is not None and spec.max_units < per):
                return f"{lever()}.max_units"
            return f"{lever()}.max_units_per_period"
        return f"{lever()}.min_units" if single else None
    if base in ("spend_bounds", "unit_totals") and keys:
        kind = "spend" if base == "spend_bounds" else "units"
        return f"{lever()}.{'max' if side == 'upper' else 'min'}_{kind}"
    per_lever = {"curve_capacity": "yield_curve", "use_floor": "min_units_if_used",
                 "use_link": "fixed_cost"}
    if base == "use_link" and keys:
        # the link of units to the use switch is there for a fixed cost, or else
        # for the lever's logic (requires, excludes), named by what the file says
        spec = s.levers[ids[int(keys[0])]]
        if not spec.fixed_cost:
            if spec.excludes or spec.requires:
                return f"{lever()}.{'excludes' if spec.excludes else 'requires'}"
            if spec.min_units_if_used:
                return f"{lever()}.min_units_if_used"
            named = [other for other, lv in s.levers.items()
                     if ids[int(keys[0])] in (*lv.requires, *lv.excludes)]
            if named:
                kind = ("requires" if ids[int(keys[0])] in s.levers[named[0]].requires
                        else "excludes")
                return f"levers.{named[0]}.{kind}"
    if base in per_lever and keys:
        return f"{lever()}.{per_lever[base]}"
    table = {"target": "target.exports", "budget": "budget.ceiling"}
    if base == "extra":
        return s.constraint_label(int(keys[0]))
    if base == "period_budget":
        return f"budget.per_period.{labels[int(keys[0])]}"
    if base == "milestone":
        return f"target.milestones.{labels[int(keys[0])]}"
    if base == "outcome_floor":
        return outcome_floor_name(s, session.data.outcome_floors[int(keys[0])])
    if base == "outcome_capacity":
        curve = session.data.outcome_curves[int(keys[0])]
        return f"levers.{ids[curve.lever]}.yield_curves.{curve.outcome}"
    if base in ("requires", "excludes"):
        pairs = session.data.requires if base == "requires" else session.data.excludes
        a, _ = pairs[int(keys[0])]
        return f"levers.{ids[a]}.{base}"
    return table.get(base)


def outcome_floor_name(s: Scenario, floor: OutcomeFloor) -> str:
    """The file's name of an outcome floor's row: target.outcomes.O.min in the last
    period, target.outcomes.O.milestones.PERIOD before it."""
    labels = s.period_labels
    at = f"target.outcomes.{floor.outcome}"
    if floor.period == len(labels) - 1:
        return f"{at}.min"
    return f"{at}.milestones.{labels[floor.period]}"


# what each position of a family's index counts, for the names of a written model
# (models/build.py: l a lever, k a period; other positions, a curve's segment or a
# row's number, stay numbers)
_LEVER_FIRST = frozenset({
    "x", "u", "s", "e", "d", "y", "unit_totals", "one_start", "started", "start_funded",
    "concave", "pw_units", "pw_full", "pw_next", "curve_capacity", "spend_bounds",
    "use_link", "use_floor",
})
_PERIOD_SECOND = frozenset({
    "x", "s", "e", "d", "y", "started", "start_funded", "concave", "pw_units", "pw_full",
    "pw_next", "curve_capacity",
})
_PERIOD_FIRST = frozenset({"period_budget", "milestone"})
_OUTCOME_FIRST = frozenset({"outcome_floor"})
_CURVE_FIRST = frozenset({
    "oc", "od", "oy", "outcome_concave", "outcome_pw_units", "outcome_pw_full",
    "outcome_pw_next", "outcome_capacity",
})
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def _model_names(session: Session, items: Sequence[Any]) -> list[str]:
    """Names for a written model's columns or rows: the family, then its index with
    lever ids and period labels in place of positions (``x(it_workforce,2024)``,
    ``milestone(2025)``, ``requires(startup_fund,erozgar_centers)``). Characters
    an LP or MPS reader may not take become ``_``; where that makes two names one
    (periods "2025 a" and "2025_a"), the model's own positions are used instead."""
    s = session.loadout.scenario
    ids = [lv.id for lv in session.data.levers]
    labels = [_NAME_UNSAFE.sub("_", str(label)) for label in s.period_labels]
    single = not s.has_periods

    def name(item: Any, readable: bool) -> str:
        base = item.parent_component().local_name
        index = item.index()
        keys = [] if index is None else list(index) if isinstance(index, tuple) else [index]
        if not keys:
            return base
        if readable:
            shown: list[str] = [str(k) for k in keys]
            if base in _LEVER_FIRST:
                shown[0] = ids[int(keys[0])]
                if base in _PERIOD_SECOND and len(keys) > 1:
                    shown[1] = labels[int(keys[1])]
                    if single:  # one period, unnamed: lever alone
                        del shown[1]
            elif base in _PERIOD_FIRST:
                shown[0] = labels[int(keys[0])]
            elif base in ("requires", "excludes"):
                pairs = session.data.requires if base == "requires" else session.data.excludes
                a, b = pairs[int(keys[0])]
                shown = [ids[a], ids[b]]
            elif base in _CURVE_FIRST:
                # (the lever and the outcome of the curve, then the period: a
                # segment's number stays a number: od(a.jobs,2025,1))
                curve = session.data.outcome_curves[int(keys[0])]
                shown[0] = f"{ids[curve.lever]}.{curve.outcome}"
                if len(keys) > 1:
                    shown[1] = labels[int(keys[1])]
                    if single:
                        del shown[1]
            elif base in _OUTCOME_FIRST:
                # (the outcome, then the floor's period: outcome_floor(jobs,2026))
                floor = session.data.outcome_floors[int(keys[0])]
                shown = [floor.outcome] if single else [floor.outcome,
                                                        labels[floor.period]]
            keys = shown
        return f"{base}({','.join(str(k) for k in keys)})"

    names = [name(item, True) for item in items]
    if len(set(names)) < len(names):
        names = [name(item, False) for item in items]
    return names


def _model_header(session: Session) -> list[str]:
    """The comment lines atop a written model: what it is and its scales."""
    s = session.loadout.scenario
    sc = session.scaling
    cur = s.currency

    def printable(text: str) -> str:
        return "".join(c if " " <= c <= "~" else "?" for c in text)

    if s.objective == "max_exports":
        goal = ("objective: max_exports, first stage: the most last-period lever exports "
                f"(the target row needs 0 here); objective value x {sc.exports:g} = "
                f"lever exports in {cur} a year")
    elif s.maximises:
        weights = " + ".join(f"{w:g} x {o}" for o, w in s.goal.items())
        goal = (f"objective: the most of {weights} (last period; goal_objective), first "
                f"stage; objective value x {sc.unit_of('max_goal'):g} = that sum in the "
                "outcomes' units")
    else:
        goal = (f"objective: min_cost; objective value x {sc.money:g} = discounted cost in "
                f"{cur}")
    lines = [
        f"pk-budget-optimizer: the model HiGHS solves first for "
        f"{printable(s.name)!r}",
        f"scenario file: {printable(str(session.loadout.file))}",
        goal,
        f"money (spend rows, budget): 1 model unit = {sc.money:g} {cur}; exports (target, "
        f"milestones, curves): 1 model unit = {sc.exports:g} {cur} a year",
        "lever units: " + ", ".join(f"{lid} {per:g}" for lid, per in sc.units.items())
        + " units of the file per model unit",
        "columns: x(lever,period) units funded, u(lever) used, s(lever,period) started, "
        "e/d/y curve exports and segments",
        "rows: the families of models/build.py; a row may be divided by a power of ten "
        "or its largest coefficient (README, How the numbers are kept); extra(n) is "
        "constraints[n]",
    ]
    return lines


def _solve(run: _Run, discrete: bool, diagnose: bool) -> Result:
    s = run.loadout.scenario
    if not s.maximises:
        out = _solve_plan(run)
        if out.status is Status.INFEASIBLE:
            if not diagnose:
                return _quietly_infeasible(run, out, discrete)
            return _infeasible(run, discrete, out)
    else:
        out = _most_exports(run)
    if out.status is Status.INFEASIBLE:
        return _result(run, out, ResultStatus.INFEASIBLE, None, PlanKind.NONE,
                       "the bounds and constraints contradict each other even with no target",
                       certificate=_resolved_proof(run, target=False))
    return _answer(run, out, discrete, diagnose)


def _answer(run: _Run, out: Outcome, discrete: bool, diagnose: bool) -> Result:
    """The Result of a solve that ended with a plan (or a limit): re-checked and
    certified."""
    s = run.loadout.scenario
    if not out.has_plan:
        if out.status is Status.LIMIT_WITHOUT_PLAN:
            return _result(run, out, ResultStatus(out.status.value), None, PlanKind.NONE,
                           "a solver limit stopped the search before any plan was found")
        raise SolverError(f"HiGHS ended with {out.termination}: no plan to show")
    units: Plan = _plan(run)
    need_target = s.holds_export_target and not run.chance
    _recheck(run, units, need_target, out)
    certificate = None
    # (max_exports' second stage left out: nothing bounds the plan's cost)
    if out.status is Status.OPTIMAL and f"before {SECOND_STAGE}" not in run.cut:
        certificate, better = _certify(run, units, out)
        if better is not None:
            units = better
            _recheck(run, units, need_target, out)
        if not certificate.proven and not run.cut:
            return _result(run, out, ResultStatus.NOT_PROVEN, units, PlanKind.BEST_FOUND,
                           messages.unproven(certificate, s.currency), certificate=certificate)
    limits = binding(s, units if run.first_plan is None else run.first_plan, need_target)
    if run.cut:
        return _cut_short(run, out, units, certificate, tuple(limits))
    marginal, basis, next_step = None, None, None
    if not s.maximises and out.status is Status.OPTIMAL and s.target.has_exports:
        # (a requirements problem has no export goal to raise: nothing to price)
        marginal, basis = _marginal_cost(out, discrete, run.scaling.money / run.scaling.exports)
        if diagnose:
            next_step = _next_step(run, units)
    optimal = out.status is Status.OPTIMAL
    message = "optimal" if optimal else (
        f"a solver limit ({out.termination}) stopped the search; the plan shown is the best "
        f"found, within a gap of {out.gap if out.gap is not None else float('nan'):.2%}"
    )
    return _result(
        run, out, ResultStatus(out.status.value), units,
        PlanKind.OPTIMAL if optimal else PlanKind.BEST_FOUND, message,
        binding=tuple(limits), marginal=marginal, basis=basis, next_step=next_step,
        certificate=certificate,
    )


def _stage(exc: TimeUp, stage: str) -> str:
    """A stage --time-limit cut short, as run.cut words it."""
    return f"{'during' if exc.during else 'before'} {stage}"


def _cut_short(run: _Run, out: Outcome, units: Plan, certificate: Certificate | None,
               limits: tuple[str, ...]) -> Result:
    """The answer when --time-limit (or a solver limit) cut a stage after the first
    solve short: ``limit_with_plan`` (exit 4, as the spec has it for a solver limit
    before a proven optimum), the best plan found (the first stage's, or what the
    cut stage improved it to), the certificate as far as it got (never ``proven``;
    HiGHS's bound "alone" where its second opinion did not run), and a message that
    names each stage cut short. No marginal cost nor next step: those belong to a
    proven optimum."""
    limit = run.solvers.options.time_limit
    opinion_cut = any("second opinion" in stage for stage in run.cut)
    if certificate is not None:
        method = ("mip_dual_bound_only" if opinion_cut and certificate.method == "mip_dual_bound"
                  else certificate.method)
        certificate = replace(certificate, method=method, proven=False)
    why = (f"the time limit ({limit:g} s for all the command's solves, --time-limit) ran out"
           if limit is not None else f"a solver limit ({out.termination}) stopped the search")
    if run.objective != "min_cost":
        # (out is the second stage's when it ran: its gap is the cost's)
        exports = (f" (within {certificate.gap:.2%} of HiGHS's bound)" if certificate
                   is not None and math.isfinite(certificate.gap) else "")
        what = ("exports" if run.objective == "max_exports"
                else _goal_words(run.loadout.scenario))
        shown = (f"the plan shown keeps the most {what} found{exports}, its cost not "
                 "proven the least")
    else:
        gap = (certificate.gap if certificate is not None and math.isfinite(certificate.gap)
               else out.gap)
        within = f", within a gap of {gap:.2%} of HiGHS's bound" if gap is not None else ""
        shown = f"the plan shown is the best found{within}, not a proven optimum"
    message = f"{why} {'; then '.join(run.cut)}: {shown}"
    limited = replace(out, status=Status.LIMIT_WITH_PLAN, termination="Time limit reached"
                      if limit is not None else out.termination)
    return _result(run, limited, ResultStatus.LIMIT_WITH_PLAN, units, PlanKind.BEST_FOUND,
                   message, binding=limits, certificate=certificate)


def _no_time(run: _Run, exc: TimeUp) -> Result:
    """A solve that found --time-limit spent before it could give a plan (a sweep's
    later point, an analysis's next probe, or an answer whose proof of infeasibility
    was cut short): ``limit_without_plan`` (exit 4), no plan."""
    limit = run.solvers.options.time_limit
    out = Outcome(Status.LIMIT_WITHOUT_PLAN, "Time limit reached", None, None, None, 0.0)
    spent = f"{limit:g} s " if limit is not None else ""
    return _result(run, out, ResultStatus.LIMIT_WITHOUT_PLAN, None, PlanKind.NONE,
                   f"the time limit ({spent}for all the command's solves, --time-limit) ran "
                   f"out before any plan was found here ({exc})")


def _goal_words(s: Scenario) -> str:
    """A max objective's goal in words: "jobs", "1 x jobs + 2 x women_jobs"."""
    if len(s.goal) == 1:
        return s.outcome_label(next(iter(s.goal)))
    return "weighted " + " + ".join(f"{w:g} x {s.outcome_label(o)}" for o, w in s.goal.items())


def _value(run: _Run, units: Plan) -> float:
    """The objective of a plan in the file's units, by the re-check's arithmetic:
    discounted cost (min_cost) or the goal's last-period lever outcomes (a max
    objective: exports for max_exports)."""
    s = run.loadout.scenario
    if run.objective != "min_cost":
        return goal_value(s, units)
    return _figures(s, units, run.data.weights)[0]


SOLVER_TOLERANCE = 1e-7
"""HiGHS's default optimality and LP feasibility tolerance, in model units."""


def _certify(run: _Run, units: Plan, out: Outcome) -> tuple[Certificate, Plan | None]:
    """Bound the optimum apart from the plan, in the file's units, and say whether
    the plan meets it (see results.Certificate). For a MIP the bound is HiGHS's, so
    a second solve from scratch under strict tolerances must find no better plan;
    when it does, that plan is returned to be shown instead (and nothing is proven).
    """
    maximize = run.objective != "min_cost"
    m = run.model
    money = run.scaling.unit_of(run.objective)  # the objective's unit
    highs = run.solvers.for_model(m)
    value = _value(run, units)
    tolerance = CERTIFY_GAP + (LEXICOGRAPHIC_SLACK if maximize else 0.0)
    quantity: Literal["discounted_cost", "lever_exports", "goal"] = (
        "discounted_cost" if not maximize else
        "lever_exports" if run.objective == "max_exports" else "goal")
    # (max_exports: its first stage had its second opinion before the second stage,
    # which then kept the better plan's exports; see _most_exports)
    better = None if maximize else _second_opinion(run, value, tolerance, SECOND_OPINION)
    if better is not None:
        value = _value(run, better)
    found = highs.proven_bound(value / money)
    if found is None:
        return Certificate("optimum", quantity, value, math.nan, math.inf, tolerance,
                           "none", False), better
    bound, method = found[0] * money, found[1]
    if not maximize:
        # the model's floors for "units > 0" may cost a sliver the spec's optimum
        # need not pay: the bound allows for it
        bound -= sum(lv.floor_cost for lv in run.data.levers) * run.scaling.money
    if method == "lp_dual" and any(lv.grain for lv in run.data.levers):
        method = "lp_dual_relaxation"
    if method == "mip_dual_bound" and run.chance:
        method = "mip_dual_bound_only"
    # yields left out as dust (inputs._without_dust) could add this many exports
    dust = sum(lv.dust_exports for lv in run.data.levers) * run.scaling.exports
    if maximize:
        # (weighed as the goal weighs exports)
        bound += dust * run.loadout.scenario.goal.get(EXPORTS, 0.0)
    gap = _relative_gap((bound - value) if maximize else (value - bound), value, bound)
    # (min_cost: a model without the dust needs more of the other levers; its bound
    # stands for the file's only while the dust is nothing beside the target)
    # a re-checked plan better than the bound refutes the bound (HiGHS once bounded
    # a max_exports MIP at 1.00362e14 beside a plan of its own exporting 1.00937e14)
    refuted = _relative_gap((value - bound) if maximize else (bound - value),
                            value, bound) > tolerance
    # HiGHS's bound is exact only to its tolerances in model units (1e-7 of the
    # objective's unit): where that is coarser than the proof needs (a plan of 2,501
    # USD counted in units of 1e9, set by a fixed cost of 6.5e11 that no refit could
    # represent, was 100 USD), nothing is proven
    sharp = _sharp(value, money, tolerance)
    proven = better is None and gap <= tolerance and not refuted and sharp and (
        maximize or dust <= 1e-9 * abs(run.loadout.scenario.target.needed))
    second = _cost_proof(run, units) if maximize and better is None else None
    if second is not None and second[3] is not None:
        # the second stage's own second opinion found a cheaper plan keeping the
        # exports: shown instead, its exports certified against the same bound
        better = second[3]
        value = _value(run, better)
        gap = _relative_gap(bound - value, value, bound)
        proven = gap <= tolerance
    if maximize and better is None and second is None:
        # no bound on the second stage's cost: the plan keeps the most exports, but
        # nothing proves it the cheapest that does
        proven = False
    cost_proof: tuple[float | None, float | None, float | None] = (None, None, None)
    if second is not None:
        # (the same tolerance: the certificate's 1e-6 and the band's 1e-9 on
        # exports; a cost below its bound refutes it)
        sharp = _sharp(second[0], run.scaling.money, tolerance)
        proven = (proven and second[2] <= tolerance and sharp
                  and _relative_gap(second[1] - second[0], second[0], second[1]) <= tolerance)
        # a bound read where HiGHS's tolerances are coarser than the cost itself is
        # no bound: not shown (0.020265 USD "at least 0.020265" where a plan of
        # 0.016885 kept the same exports, counted in model units of 1e4 USD)
        cost_proof = (second[0], second[1], second[2]) if sharp else (second[0], None, None)
    return Certificate("optimum", quantity, value, bound, gap, tolerance, method,
                       proven, *cost_proof), better


def _second_opinion(run: _Run, value: float, tolerance: float, stage: str,
                    share: float = 1.0) -> Plan | None:
    """For a MIP: the model of the active objective solved again from scratch
    (Highs.confirm: no presolve, strict tolerances, another seed), which leaves
    the looser of the two runs' bounds standing; its plan when that passes the
    re-check and beats ``value`` (the objective of the plan in hand, file units)
    by more than ``tolerance`` of it, else None. ``stage``: what --time-limit cut
    short when it does (run.cut); ``share``: of what is left of the limit (see
    Highs.confirm)."""
    maximize = run.objective != "min_cost"
    money = run.scaling.unit_of(run.objective)
    highs = run.solvers.for_model(run.model)
    if not highs.is_mip() or run.chance:
        # (a chance-constrained MIP, a binary per sample, took 3x as long again:
        # its bound is HiGHS's alone, and the method says so)
        return None
    unit = run.scaling.unit_of(_max_stage(run)) if highs.maximizes() else run.scaling.money
    if not _from_scratch(run, highs, value / unit, tolerance):
        return None
    try:
        second = highs.confirm(share)
    except TimeUp as exc:
        run.cut.append(_stage(exc, stage))
        return None
    better = None
    if second is not None:
        highs.load_plan(second[0])
        try:
            other: Plan | None = _plan(run)
        except NotWhole:  # a second plan that is not whole is no second opinion
            other = None
        if other is not None and not violations(run.loadout.scenario, other,
                                                not maximize and not run.chance):
            gain = _value(run, other) - value
            if (gain if maximize else -gain) > tolerance * max(abs(value), money):
                better = other
        if highs.last_plan is not None:
            highs.load_plan(highs.last_plan)
    return better


def _from_scratch(run: _Run, highs: Highs, incumbent: float, tolerance: float) -> bool:
    """Whether the last solve's second opinion must be a solve from scratch
    (Highs.confirm) for a plan worth ``incumbent`` (model units). Not for a screening
    solve (it has none), nor where the certificate is not shown (an analysis's probe,
    a solve without the diagnosis: a sweep's point, a re-solve of explain, simulate
    --reoptimize) and the LP relaxation already proves the plan within half the
    tolerance: that bound is the second opinion (Highs.relaxed_opinion; half, so that
    the certificate, which allows for the floors' slivers besides, is proven as one
    agreeing with HiGHS would leave it). The answer a command prints keeps its solve
    from scratch."""
    if highs.screening:
        return False
    return not ((highs.lean or not run.diagnose)
                and highs.relaxed_opinion(incumbent, 0.5 * tolerance))


def _cost_proof(run: _Run, units: Plan
                ) -> tuple[float, float, float, Plan | None] | None:
    """max_exports' second stage: (the plan's discounted cost, a bound on the least
    cost among plans keeping the most exports, their gap, a cheaper plan or None),
    from that stage's model (its floors for "units > 0" allowed for); None when no
    bound can be had.

    A MIP's bound is HiGHS's, so, as for the first stage (see _certify), the stage
    is solved again from scratch under strict tolerances; a cheaper plan it finds
    (which passes the re-check) is returned to be shown, priced against the bound
    of that solve (the first one's is refuted by it)."""
    highs = run.solvers.for_objective(run.model, "cost_objective")
    money = run.scaling.money
    s = run.loadout.scenario
    cost = _figures(s, units, run.data.weights)[0]
    cheaper = None
    if (highs.is_mip() and not run.chance and highs.last_plan is not None
            and _from_scratch(run, highs, cost / money, CERTIFY_GAP)):
        kept = highs.last_plan
        try:
            second = highs.confirm()
        except TimeUp as exc:
            run.cut.append(_stage(exc, SECOND_STAGE_OPINION))
            second = None
        if second is not None:
            highs.load_plan(second[0])
            try:
                again: Plan | None = _plan(run)
            except NotWhole:  # not whole: no second opinion
                again = None
            if again is not None and not violations(s, again, False):
                other_cost = _figures(s, again, run.data.weights)[0]
                if other_cost < cost - CERTIFY_GAP * max(abs(cost), money):
                    cheaper, cost = again, other_cost
                    highs.refute_bound()
            highs.load_plan(kept)
    found = highs.proven_bound(cost / money)
    if found is None:
        # the stage ended without a bound (HiGHS called it infeasible, though the
        # first stage's plan is in it): its LP relaxation bounds it, loosely
        try:
            relaxed = highs.relaxation_bound(cost / money)
        except TimeUp as exc:
            run.cut.append(_stage(exc, SECOND_STAGE_BOUND))
            return None
        if relaxed is None:
            return None
        found = (relaxed, "lp_dual_relaxation")
    bound = (found[0] - sum(lv.floor_cost for lv in run.data.levers)) * money
    return cost, bound, _relative_gap(cost - bound, cost, bound), cheaper


def _sharp(value: float, unit: float, tolerance: float) -> bool:
    """A bound read in model units of ``unit`` tells ``value`` to within the
    proof's ``tolerance``: HiGHS's optimality and feasibility tolerances (1e-7
    model units) stay below it."""
    return SOLVER_TOLERANCE * unit <= tolerance * abs(value) or value == 0.0


def _relative_gap(short: float, value: float, bound: float) -> float:
    """How far a plan's value falls short of a bound, relative to the larger of the
    two (not to the model's unit, which a wrong guess can make a hundred million
    times the answer); a billionth of a currency unit, or round-off, is none."""
    if short <= 1e-9 + 1e-12 * max(abs(value), abs(bound)):
        return 0.0
    return short / max(abs(value), abs(bound))


def _solve_plan(run: _Run) -> Outcome:
    """Solve for a plan to show: polished (integers fixed, LP re-solved) with the
    target row's dual."""
    return run.solve(duals_of=[run.model.target], polish=True)


def _most_exports(run: _Run) -> Outcome:
    """Lexicographic: the most lever exports, then the cheapest plan that keeps them.

    The plan of the first stage is kept in ``run.first_plan``: it, not the
    slightly relaxed second plan, shows which limits hold exports back.
    """
    m = run.model
    needed = pyo.value(m.needed)
    stage = _max_stage(run)
    unit = run.scaling.unit_of(stage)
    use_objective(m, stage)
    # the most exports ignore the target; the most of other outcomes keep it unless
    # they weigh exports too
    held = m.goal if stage == "max_goal" else None
    if held is None or not run.loadout.scenario.holds_export_target:
        m.needed.set_value(0.0)
    try:
        # a sweep point needs only the first stage's value; its plan (polished,
        # to name what holds exports back) is for a single solve
        first = run.solve(duals_of=[m.target], polish=run.diagnose)
        if first.status is not Status.OPTIMAL or first.objective is None:
            return first
        best = first.objective
        if not math.isfinite(best):
            # (seen once: "optimal" with a NaN objective; no second stage can rest on it)
            raise SolverError(f"HiGHS reported {first.termination} with objective {best}")
        # a MIP's first stage has its second opinion now, so that the second stage
        # keeps the exports of the better plan (once it was shown as found, its cost
        # 0.9% above the cheapest plan keeping its exports)
        first_highs = run.solvers.for_model(m)
        first_highs.second_bound = None
        # (under --time-limit, half of what is left: the rest is the second stage's,
        # which a planner needs more than this stage's proof)
        better = _second_opinion(run, best * unit, CERTIFY_GAP,
                                 FIRST_STAGE_OPINION, share=0.5)
        if better is not None:
            _load(run, better)
            best = max(best, _value(run, better) / unit)
        if run.diagnose:
            run.first_plan = better or _plan(run)
        most = _most_proven(run, first_highs, best)
        use_objective(m, "min_cost")
        if held is None:
            m.needed.set_value(best * (1 - LEXICOGRAPHIC_SLACK))
        else:  # the goal row holds other outcomes' most (the target row, exports' floor)
            m.goal_floor.set_value(best * (1 - LEXICOGRAPHIC_SLACK))
            held.activate()
        hold = m.target if held is None else held
        # the first stage's plan (in the variables) keeps the exports row: the
        # second stage's MIP starts from it as its incumbent, so HiGHS need only
        # look for cheaper plans (the bound is still its own search's); and no plan
        # exports more than the first stage's proven bound, so the row is held
        # there too: a band, which HiGHS's presolve and propagation use (a
        # 1,000-lever knapsack's second stage 0.59 s open above, 0.05 s held)
        try:
            second = run.solve(duals_of=[m.target], polish=True, start=True,
                               upper=None if most is None else {hold: most})
        except TimeUp as exc:
            # the first stage's plan stands: the most exports found, its cost not
            # sought (_answer shows it as a limit's)
            run.cut.append(_stage(exc, SECOND_STAGE))
            second = None
        if second is not None and second.status is Status.LIMIT_WITH_PLAN:
            run.cut.append(f"during {SECOND_STAGE}")
        if second is not None and second.has_plan:
            return second
        if run.first_plan is not None:  # else the variables still hold the first plan
            _load(run, run.first_plan)
        return first
    finally:
        m.needed.set_value(needed)
        if held is not None:
            held.deactivate()
        use_objective(m, run.objective)


def _max_stage(run: _Run) -> str:
    """The first stage a max objective solves: the run's own objective, or the most
    exports for a min_cost run that asks how far the target is out of reach."""
    return "max_exports" if run.objective == "min_cost" else run.objective


def _most_proven(run: _Run, highs: Highs, best: float) -> float | None:
    """max_exports' first stage, a MIP: a ceiling on any plan's exports (model units)
    for the second stage's exports row, from the looser of the two bounds of the
    stage's two solves (HiGHS's and its second opinion's, see Highs.confirm), above
    the plan in hand by the certificate's tolerance (CERTIFY_GAP: a plan past the
    bound by more refutes it, so no plan the certificate could stand beside is cut
    off). None, and the row stays open above, when there is no second opinion (an
    LP, a chance-constrained MIP, a screening solve, one that did not finish): one
    run's bound alone does not cut plans off."""
    if run.chance or not highs.is_mip() or highs.second_bound is None:
        return None
    found = highs.proven_bound(best)
    if found is None or not math.isfinite(found[0]):
        return None
    most = max(found[0], best)
    return most * (1 + CERTIFY_GAP) if most > 0 else None


def _load(run: _Run, plan: Plan) -> None:
    for i, lv in enumerate(run.data.levers):
        for k in range(run.data.periods):
            # (a plan HiGHS found sits within its tolerances, a hair past a bound at
            # times: Pyomo would log a W1002 warning on the planner's stderr)
            run.model.x[i, k].set_value(plan[lv.id][k] / run.scaling.units[lv.id],
                                        skip_validation=True)


def _infeasible(run: _Run, discrete: bool, verdict: Outcome) -> Result:
    """Why min_cost found no plan: the target, a milestone, or the limits themselves;
    each verdict proven before it is shown (see _reach_proof)."""
    s, m = run.loadout.scenario, run.model
    cur = s.currency
    try:
        out = _most_exports(run)
    except OutOfTime:
        raise
    except SolverError as exc:
        # max_exports on min_cost's scale can be past what HiGHS solves (a ceiling
        # 1e9 times the target's cost: "MIP solver claims optimality, but with
        # primal infeasibilities"): the verdict rests on the strict re-solve alone
        proof = _resolved_proof(run)
        if not proof.proven:
            raise
        return _result(run, verdict, ResultStatus.INFEASIBLE, None, PlanKind.NONE,
                       "infeasible: the target is out of reach; the most exports "
                       f"reachable could not be computed ({exc})",
                       certificate=proof)
    if out.has_plan:
        first = run.first_plan or _plan(run)
        if _meets_target(run, first):
            # the most-exports plan meets the target: "infeasible" was wrong
            return _contradiction(run, out, first, discrete)
        return _out_of_reach(run, out, (), False, _reach_proof(run, first))
    milestones = list(m.milestone.values()) if hasattr(m, "milestone") else []
    for con in milestones:
        con.deactivate()
    try:
        out = _most_exports(run)
        unbounded = out.status is Status.UNBOUNDED  # (no ceiling, an uncapped lever)
        if not out.has_plan and not unbounded:
            return _result(
                run, out, ResultStatus.INFEASIBLE, None, PlanKind.NONE,
                "infeasible: the bounds and constraints contradict each other even with no "
                "export target (check min_units, min_spend, locks"
                + (", constraints and the floors on other outcomes)" if s.target.outcomes
                   else " and constraints)"),
                certificate=_resolved_proof(run),
            )
        plan = None if unbounded else _plan(run)
        short = []
        for key, goal in s.target.milestones.items():
            k = s.timeline.index(key)
            reach = _most_in_period(run, k)
            if reach is not None and reach < goal * (1 - 1e-6):
                short.append(ShortMilestone(str(key), goal, reach))
        # each milestone alone is reachable, but not all of them together
        jointly = not short and bool(s.target.milestones)
        if plan is not None:
            _load(run, plan)
    finally:
        for con in milestones:
            con.activate()
    if plan is None:
        # the target alone has no limit to its exports: the milestones are why
        reason = OutOfReach(s.target.needed, None, _last_label(s), tuple(short), jointly)
        return _result(run, out, ResultStatus.INFEASIBLE, None, PlanKind.NONE,
                       messages.out_of_reach(reason, cur), binding=reason.names,
                       certificate=_resolved_proof(run), reason=reason)
    return _out_of_reach(run, out, tuple(short), jointly, _resolved_proof(run))


def _quietly_infeasible(run: _Run, out: Outcome, discrete: bool) -> Result:
    """A sweep point with no plan: proven out of reach like any answer (the most
    exports any plan adds, bounded below the need), without the story."""
    first = _most_exports(run)
    if first.has_plan:
        plan = run.first_plan or _plan(run)
        if _meets_target(run, plan):
            return _contradiction(run, out, plan, discrete)
        proof = _reach_proof(run, plan)
    else:
        proof = _resolved_proof(run)
    if not proof.proven:
        return _result(run, out, ResultStatus.NOT_PROVEN, None, PlanKind.NONE,
                       "HiGHS found no plan reaching the target, but that is not proven",
                       certificate=proof)
    return _result(run, out, ResultStatus.INFEASIBLE, None, PlanKind.NONE,
                   "infeasible: the target is out of reach", certificate=proof)


def _meets_target(run: _Run, plan: Plan) -> bool:
    """The plan keeps every limit (re-checked) and reaches the target to within
    PROOF_SLACK: the re-check's own 1e-6 would call a target 1e-6 beyond the most
    reachable "met", but "infeasible" is a strict verdict."""
    s = run.loadout.scenario
    reach = sum(p.last_exports for p in paths(s, plan).values())
    return reach >= s.target.needed * (1 - PROOF_SLACK) and not violations(s, plan, True)


def _reach_proof(run: _Run, first: Plan) -> Certificate:
    """An out-of-reach target, proven: a bound on the most lever exports any plan
    reaches (from the max_exports stage's model, see Highs.proven_bound) below
    what is needed. A MIP's bound is HiGHS's, so a second solve from scratch under
    strict tolerances must find no more exports than the first."""
    s, money_unit = run.loadout.scenario, run.scaling.exports
    needed = s.target.needed
    highs = run.solvers.for_objective(run.model, "exports_objective")
    reach = sum(p.last_exports for p in paths(s, first).values())
    found = highs.proven_bound(reach / money_unit)
    bound, method = (math.inf, "none") if found is None else (found[0] * money_unit, found[1])
    if found is not None and highs.is_mip():
        second = highs.confirm()
        if second is None or second[1] * money_unit > max(reach, bound) * (1 + CERTIFY_GAP):
            bound = math.inf if second is None else max(bound, second[1] * money_unit)
        if highs.last_plan is not None:
            highs.load_plan(highs.last_plan)
    if not math.isfinite(bound):
        # no finite bound (a column without one, its reduced cost a hair on the
        # wrong side), or the strict second solve found no answer: the strict
        # re-solve of min_cost decides instead
        proof = _resolved_proof(run)
        _load(run, first)
        return proof
    proven = bound < needed * (1 - PROOF_SLACK)
    gap = (needed - bound) / max(abs(needed), money_unit)
    return Certificate("infeasible", "lever_exports", needed, bound, gap, PROOF_SLACK,
                       method, proven)


def _resolved_proof(run: _Run, target: bool = True) -> Certificate:
    """An infeasible verdict with no single bound to show (milestones that cannot hold
    together, limits that contradict each other), proven by solving min_cost again
    from scratch under feasibility tolerances of 1e-9: that solve too finds no plan.
    ``target`` False: without the target (max_exports' first stage)."""
    s, m = run.loadout.scenario, run.model
    needed = pyo.value(m.needed)
    run.solvers.set_strict(True)
    try:
        use_objective(m, "min_cost")
        if not target:
            m.needed.set_value(0.0)
        highs = run.solvers.for_model(m)
        highs.clear()
        again = run.solve(polish=False)
    finally:
        run.solvers.set_strict(False)
        m.needed.set_value(needed)
        use_objective(m, run.objective)
    proven = again.status is Status.INFEASIBLE
    return Certificate("infeasible", "lever_exports", s.target.needed, math.nan, math.nan,
                       CERTIFY_GAP, "strict_resolve", proven)


def _contradiction(run: _Run, out: Outcome, first: Plan, discrete: bool) -> Result:
    """min_cost said "infeasible" but a plan meets the target: solve min_cost again
    from scratch under strict tolerances; if that too finds nothing, show the plan
    that meets the target as the best found, never as "out of reach"."""
    run.first_plan = None
    run.solvers.set_strict(True)
    try:
        again = _solve_plan(run)
        if again.has_plan:
            return _answer(run, again, discrete, run.diagnose)
    finally:
        run.solvers.set_strict(False)
    _load(run, first)
    s = run.loadout.scenario
    value = _value(run, first)
    certificate = Certificate("optimum", "discounted_cost", value, math.nan, math.nan,
                              CERTIFY_GAP, "none", False)
    return _result(run, out, ResultStatus.NOT_PROVEN, first, PlanKind.BEST_FOUND,
                   messages.contradiction(certificate, s.currency), certificate=certificate)


def _most_in_period(run: _Run, k: int) -> float | None:
    """The most lever exports reachable in earlier period ``k`` (milestones off)."""
    m = run.model
    needed = pyo.value(m.needed)
    m.needed.set_value(0.0)
    use_objective(m, "max_exports", period=k)
    try:
        out = run.solve()
        return out.objective * run.scaling.exports if out.has_plan and out.objective else (
            0.0 if out.has_plan else None)
    finally:
        m.needed.set_value(needed)
        use_objective(m, run.objective)


def _out_of_reach(run: _Run, out: Outcome, short: tuple[ShortMilestone, ...],
                  jointly: bool, proof: Certificate) -> Result:
    s = run.loadout.scenario
    units = _plan(run)
    _recheck(run, units, False, out, milestones=not short and not jointly)
    # the first stage's plan holds the most exports; the one shown is the
    # cheapest within the spec's 1e-9 of it
    reach = sum(p.last_exports for p in paths(s, run.first_plan or units).values())
    holders = tuple(limits_on_exports(s, run.first_plan or units))
    reason = OutOfReach(s.target.needed, reach, _last_label(s), short, jointly, holders,
                        proof.proven, proof.bound if math.isfinite(proof.bound) else None)
    status, kind = ((ResultStatus.INFEASIBLE, PlanKind.MOST_EXPORTS_REACHABLE) if proof.proven
                    else (ResultStatus.NOT_PROVEN, PlanKind.BEST_FOUND))
    return _result(run, out, status, units, kind, messages.out_of_reach(reason, s.currency),
                   binding=reason.names + holders, certificate=proof, reason=reason)


def _last_label(s: Scenario) -> str | None:
    """The last period's label; None for a scenario without periods."""
    return str(s.period_labels[-1]) if s.has_periods else None


def _plan(run: _Run) -> dict[str, list[float]]:
    """The loaded plan in scenario units: integers whole, dust gone, bounds snapped.

    A snap to a bound that makes the plan break a limit it kept is undone: a
    value 7.5e-7 model units below a cap can be 75 USD of spend where a lever's
    model unit is large, and the snap would spend them over the ceiling.
    """
    snapped, raw, exact = _units(run, ((True, False), (False, False), (False, True)))
    if snapped == raw == exact:
        return snapped
    s = run.loadout.scenario
    need_target = s.holds_export_target and not run.chance

    def broken(plan: Plan) -> set[str]:
        return {line.split(":", 1)[0] for line in violations(s, plan, need_target)}

    # (a snap to 0 within 1e-6 model units can drop a whole lever's part in a
    # milestone or a constraint: 6e-8 model units of one counted in 1e5 units was
    # 210,000 of exports)
    got = broken(snapped)
    kept = got if raw == snapped else broken(raw)
    best, left = (raw, kept) if kept < got else (snapped, got)
    if left and exact != raw and broken(exact) < left:
        # a limit that needs less than 1e-9 model units of a lever (a milestone of
        # 0.96 USD met by 1.8e-11 model units of one exporting 5.28 a model unit,
        # beside 1,890 of them in the last period) is kept by the slivers HiGHS
        # funded, however small
        best = exact
    return best


def _units(run: _Run, ways: Sequence[tuple[bool, bool]]) -> list[dict[str, list[float]]]:
    """The loaded plan in scenario units, read once and written each of ``ways``
    (snap, slivers): snapped to the file's bounds or not, slivers kept or not."""
    m, s = run.model, run.loadout.scenario
    plans: list[dict[str, list[float]]] = [{} for _ in ways]
    # (once, not per lever: asked per lever it was quadratic, 0.3 s a read of a
    # 1,000-lever plan, read four times a solve)
    required_ids = {r for other in s.enabled_levers().values() for r in other.requires}
    for i, lv in enumerate(run.data.levers):
        lever = s.levers[lv.id]
        required = lv.id in required_ids
        snaps = [b for b in (lever.min_units, lever.max_units, lever.min_units_if_used,
                             lever.max_units_per_period, lever.fixed_units,
                             1.0 if required else None) if b is not None]
        scale = run.scaling.units[lv.id]
        funded: list[list[float]] = [[] for _ in ways]
        for k in range(run.data.periods):
            raw = pyo.value(m.x[i, k], exception=False)
            if raw is None or not math.isfinite(raw):
                raise SolverError(f"HiGHS returned no value for levers.{lv.id}")
            unsnapped = raw * scale
            if lever.integer:
                # (a count of 5e11 read back through a power-of-ten unit is whole only
                # to 1e-16 of itself)
                if abs(unsnapped - round(unsnapped)) > max(INTEGRALITY_TOL,
                                                           1e-13 * abs(unsnapped)):
                    raise NotWhole(
                        f"HiGHS returned {unsnapped!r} units for integer lever "
                        f"levers.{lv.id}")
                whole = float(round(unsnapped))
            for way, (snap, slivers) in enumerate(ways):
                x = unsnapped
                if lever.integer:
                    x = whole
                else:
                    for bound in (0.0, *snaps) if snap else ():
                        # within HiGHS's MIP feasibility tolerance (1e-6 model units)
                        # of a bound is on it: -0.0003 units of a lever is round-off,
                        # not a plan
                        if abs(raw - bound / scale) <= 1e-6 * max(1.0, abs(bound / scale)):
                            x = bound
                    # fourteen significant digits: no 599985000.0000001 or
                    # 630174999.999999, and no more cut (at ten, 13,188,220.2304738
                    # units of a lever read 13,188,220.23: 3.7 of its 1.03e11 exports
                    # short, which a dearer lever made up for 0.7 USD beside a cost of
                    # 136,000, case 16-1032)
                    x = float(f"{x:.14g}")
                if lever.integer and x:
                    # a whole unit is never dust, however few model units it is (one
                    # unit of a lever solved continuous, counted in 1e9 units, is 1e-9
                    # of them: read as 0, it left a milestone of 0.96 USD 0.573 short)
                    funded[way].append(clean(x))
                elif abs(raw) <= 1e-9 and not (slivers and raw > 0 and not lever.integer):
                    funded[way].append(0.0)
                elif snap or x < 0:
                    funded[way].append(clean(x))
                else:
                    # unsnapped: a sliver the model funds is kept, however few of the
                    # file's units it is (1e-5 model units of a lever counted in 1e-5
                    # units carries its fixed cost towards a min_spend; 7e-7 model
                    # units of one counted in 1e6 units is 0.7 of them)
                    funded[way].append(x)
        for way in range(len(ways)):
            plans[way][lv.id] = funded[way]
    return plans


class NotWhole(SolverError):
    """An integer lever came back with a fraction: its rounding (a lever solved
    continuous, see inputs.negligible) found no whole plan that holds."""


class PlanBroken(SolverError):
    """The solver's plan, read in the scenario's units, breaks the scenario."""

    def __init__(self, message: str, plan: Plan | None = None) -> None:
        super().__init__(message)
        self.plan = plan


def _recheck(
    run: _Run, units: Plan, need_target: bool, out: Outcome, milestones: bool = True
) -> None:
    broken = violations(run.loadout.scenario, units, need_target, milestones)
    if broken:
        raise PlanBroken(
            f"HiGHS reported {out.termination}, but its plan breaks the scenario; "
            "not shown:\n  " + "\n  ".join(broken), units)


def _next_step(run: _Run, units: Plan) -> tuple[float, float | None] | None:
    """(step, objective cost of raising the target by step): re-solved, not a dual.

    A dual is one side's slope at a point where several limits meet, and says
    nothing of integers; planners read "one more $1M costs $X" literally.
    None as the cost when the raised target is out of reach; None altogether when
    --time-limit cut the solve short (the answer stands; the step is not priced).
    """
    m, s = run.model, run.loadout.scenario
    step = round_step(s.target.needed)
    needed = pyo.value(m.needed)
    m.needed.set_value(needed + step / run.scaling.exports)
    try:
        # polished and re-checked like any plan shown: a MIP's raw objective can
        # lean on its tolerance (a use switch at 9e-14 under a big-M of 6e9 once
        # priced the next step at -0.88 USD)
        raised = run.solve(polish=True)
        plan = _plan(run) if raised.status is Status.OPTIMAL else None
    except TimeUp:
        return None  # --time-limit spent: the step is not priced (nor called out of reach)
    finally:
        m.needed.set_value(needed)
    if raised.status in (Status.LIMIT_WITH_PLAN, Status.LIMIT_WITHOUT_PLAN):
        return None  # cut short: no price, and no proof that the step is out of reach
    if plan is None or violations(s, plan, False):
        return step, None
    reach = sum(p.last_exports for p in paths(s, plan).values())
    if reach < (s.target.needed + step) * (1 - PROOF_SLACK):
        return step, None
    cost = _value(run, plan) - _value(run, units)
    # raising the target never makes the optimum cheaper: a step below zero beyond
    # round-off means one of the two solves is not the optimum, and is not quoted
    if cost < -CERTIFY_GAP * max(1.0, abs(_value(run, units))):
        return step, None
    return step, clean(max(cost, 0.0))


def _marginal_cost(out: Outcome, discrete: bool, per: float) -> tuple[float | None, str]:
    """d(cost)/d(needed exports) as the spec defines it: the target row's dual of
    the LP, or for a MIP of the LP with its integers fixed at the optimum (the
    polishing solve, see solve.Highs.solve); ``per``: model spend units per model
    export unit, in the reporting currency (the dual is cost per export in model
    units)."""
    basis = "lp_with_integers_fixed" if discrete else "lp"
    if "target" not in out.duals:
        return None, basis
    return clean(out.duals["target"] * per), basis


def _funded(units: float) -> float:
    """Units as the plan funds them (no -0.0): a sliver below clean()'s 1e-9 is
    part of the plan (a fixed cost towards a min_spend rests on it), not round-off;
    _plan already dropped what was."""
    return units + 0.0 if units else 0.0


def _allocation(run: _Run, plan: Plan | None) -> tuple[LeverRow, ...]:
    if plan is None:
        return ()
    s = run.loadout.scenario
    got = paths(s, plan)
    labels = s.period_labels
    total_exports = sum(p.last_exports for p in got.values())
    rows = []
    for i, (lid, lever) in enumerate(s.enabled_levers().items()):
        path = got[lid]
        spend = clean(path.total_spend)
        exports = clean(path.last_exports)
        rows.append(LeverRow(
            lever=lid,
            name=lever.label(lid),
            unit=lever.unit,
            integer=lever.integer,
            units=_funded(path.units),
            spend=spend,
            exports=exports,
            cost_per_export=clean(spend / exports) if exports > 0 else None,
            share_of_exports=clean(exports / total_exports) if total_exports > 0 else None,
            formulation=run.data.levers[i].formulation,
            by_period={
                label: PeriodRow(units=_funded(path.funded[k]), active=clean(path.active[k]),
                                 spend=clean(path.spend[k]), exports=clean(path.exports[k]),
                                 outcomes={o: clean(path.outcome(o, k))
                                           for o in s.other_outcomes})
                for k, label in enumerate(labels)
            },
            outcomes={o: clean(path.outcome(o)) for o in s.other_outcomes},
        ))
    return tuple(rows)


def _outcome_totals(s: Scenario, rows: Sequence[LeverRow]) -> tuple[OutcomeTotal, ...]:
    """Each outcome besides exports over the plan: the rows' by period, summed (as
    spend_by_period is); () without a plan."""
    if not rows:
        return ()
    labels = s.period_labels
    out = []
    for o in s.other_outcomes:
        spec = s.outcomes[o]
        floors = s.target.outcomes.get(o)
        per = [clean(sum(r.by_period[p].outcomes[o] for r in rows)) for p in labels]
        # (a maximised outcome's floor is ignored: none is needed)
        out.append(OutcomeTotal(o, spec.label(o), spec.unit, per[-1],
                                None if floors is None or o in s.goal else floors.min,
                                dict(zip(labels, per, strict=True)) if s.periods else None))
    return tuple(out)


def _result(
    run: _Run,
    out: Outcome,
    status: ResultStatus,
    units: Plan | None,
    plan: PlanKind,
    message: str,
    binding: tuple[str, ...] = (),
    marginal: float | None = None,
    basis: str | None = None,
    next_step: tuple[float, float | None] | None = None,
    certificate: Certificate | None = None,
    reason: OutOfReach | None = None,
) -> Result:
    s = run.loadout.scenario
    rows = _allocation(run, units)
    has = units is not None
    labels = s.period_labels
    spend_by_period = {p: clean(sum(r.by_period[p].spend for r in rows)) for p in labels}
    exports_by_period = {p: clean(sum(r.by_period[p].exports for r in rows)) for p in labels}
    weights = run.data.weights
    return Result(
        scenario=s.name,
        scenario_file=run.loadout.file,
        scenario_sha256=run.loadout.sha256,
        overrides=run.loadout.changes,
        effective_sha256=effective_sha256(s),
        status=status,
        objective=s.objective_name,
        goal=tuple(s.goal.items()),
        goal_value=goal_value(s, units) if has and s.maximises and units is not None else None,
        currency=s.currency,
        plan=plan,
        total_cost=clean(sum(r.spend for r in rows)) if has else None,
        discounted_cost=(clean(sum(w * spend_by_period[p] for w, p in zip(weights, labels,
                                                                          strict=True)))
                         if has else None),
        lever_exports=clean(sum(r.exports for r in rows)) if has else None,
        baseline=s.target.baseline,
        includes_baseline=s.target.includes_baseline,
        needed_exports=s.target.needed,
        budget_ceiling=s.budget.ceiling,
        rows=rows,
        periods=tuple(s.periods) if s.periods else None,
        spend_by_period=spend_by_period if has and s.periods else None,
        exports_by_period=exports_by_period if has and s.periods else None,
        binding=binding,
        marginal_cost_of_target=marginal,
        marginal_cost_basis=basis if marginal is not None else None,
        next_step=next_step,
        solver=SolverInfo(
            name="highs",
            version=version(),
            seconds=round(run.seconds, 6),
            build_seconds=round(run.build_seconds, 6),
            mip_gap=(clean(certificate.gap) if certificate is not None and certificate.kind
                     == "optimum" and math.isfinite(certificate.gap)
                     else None if out.gap is None else clean(out.gap)),
            termination=out.termination,
            certificate=certificate,
        ),
        message=message,
        reason=reason,
        outcomes=_outcome_totals(s, rows),
        export_target=s.target.has_exports,
    )
