"""The one place that talks to HiGHS (through Pyomo's ``pyomo.contrib.solver``)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pyomo.core as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs as PyomoHighs

from optimizer.errors import SolverError

DEFAULT_MIP_GAP = 1e-7
DEFAULT_SEED = 0


class Status(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT_WITH_PLAN = "limit_with_plan"
    LIMIT_WITHOUT_PLAN = "limit_without_plan"
    ERROR = "error"


@dataclass(frozen=True)
class SolverOptions:
    time_limit: float | None = None
    """Seconds per solve; None = no limit."""
    mip_gap: float = DEFAULT_MIP_GAP
    """Relative MIP gap at which HiGHS may stop and call the plan optimal."""
    seed: int = DEFAULT_SEED
    threads: int = 1
    """One thread: reruns agree, and HiGHS refuses a new value after a solve."""


@dataclass(frozen=True)
class Outcome:
    status: Status
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    """Real relative gap |objective - bound| / max(|objective|, 1e-9); 0.0 for an LP."""
    seconds: float
    duals: dict[str, float] = field(default_factory=dict)
    """Row duals by component name, for an LP solved to optimality when asked."""

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.LIMIT_WITH_PLAN)


_LIMITS = {
    TerminationCondition.maxTimeLimit,
    TerminationCondition.iterationLimit,
    TerminationCondition.objectiveLimit,
    TerminationCondition.interrupted,
}


def classify(termination: TerminationCondition, solution: SolutionStatus) -> Status:
    """Map Pyomo's termination and solution status to ours."""
    has_plan = solution in (SolutionStatus.optimal, SolutionStatus.feasible)
    if termination == TerminationCondition.convergenceCriteriaSatisfied and has_plan:
        return Status.OPTIMAL
    if termination == TerminationCondition.provenInfeasible:
        return Status.INFEASIBLE
    if termination == TerminationCondition.infeasibleOrUnbounded:
        # Our objectives are bounded by construction (costs >= 0; max_exports
        # is refused at validation for any uncapped lever that yields), so
        # "infeasible or unbounded" can only be infeasible.
        return Status.INFEASIBLE
    if termination == TerminationCondition.unbounded:
        return Status.UNBOUNDED
    if termination in _LIMITS:
        return Status.LIMIT_WITH_PLAN if has_plan else Status.LIMIT_WITHOUT_PLAN
    return Status.ERROR


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send anything written to file descriptor 1 (HiGHS banners) to stderr.

    stdout carries results only; HiGHS and Pyomo write to the descriptor
    directly, so redirecting ``sys.stdout`` would not be enough.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real descriptor (e.g. under a test runner's capture)
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class Highs:
    """A persistent HiGHS solver for one model at a time."""

    def __init__(self, options: SolverOptions | None = None) -> None:
        self.options = options or SolverOptions()
        self._solver = PyomoHighs()

    def version(self) -> str:
        return ".".join(str(v) for v in self._solver.version())

    def solve(self, m: pyo.ConcreteModel, duals_of: Sequence[pyo.Constraint] = ()) -> Outcome:
        """Solve ``m``; load the plan into its variables only when there is one."""
        opts = self.options
        start = time.perf_counter()
        with stdout_to_stderr():
            try:
                res = self._solver.solve(
                    m,
                    load_solutions=False,
                    raise_exception_on_nonoptimal_result=False,
                    time_limit=opts.time_limit,
                    rel_gap=opts.mip_gap,
                    threads=opts.threads,
                    solver_options={"random_seed": opts.seed, "output_flag": False},
                )
            except Exception as exc:  # the solver's own failure, not a scenario's
                raise SolverError(f"HiGHS failed: {exc}") from exc
        seconds = time.perf_counter() - start
        status = classify(res.termination_condition, res.solution_status)
        duals: dict[str, float] = {}
        if status in (Status.OPTIMAL, Status.LIMIT_WITH_PLAN):
            res.solution_loader.load_vars()
        if status is Status.OPTIMAL and duals_of:
            got = res.solution_loader.get_duals(list(duals_of))
            duals = {c.name: float(v) for c, v in got.items()}
        objective = res.incumbent_objective
        bound = res.objective_bound
        return Outcome(
            status=status,
            termination=str(res.termination_condition.name),
            objective=objective,
            bound=bound,
            gap=relative_gap(objective, bound) if status is not Status.INFEASIBLE else None,
            seconds=seconds,
            duals=duals,
        )
