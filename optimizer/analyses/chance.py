"""Chance-constrained plans with a stated guarantee: the cheapest plan found whose
probability of reaching the target is at least the confidence asked, with 95%
confidence, judged on fresh samples.

A plan solved to reach the target in a share c of its own samples (sample
average approximation) reaches it with a probability below c about half the
time: the solve picks the plan that just passes on those samples. So the plan
is checked on a fresh sample of FRESH_SAMPLES draws of its own (another seed)
and passes when the one-sided Clopper-Pearson lower bound on its probability
clears c. Until one does, the share of its samples the plan must reach (the
level) is raised by the shortfall, and when the level would need more than all
of them, the number of samples is doubled; at most CHECKS plans are checked,
each at confidence 1 - 0.05 / CHECKS (Bonferroni: the bound of whichever plan
is returned is wrong with probability at most 5%). When none clears, the answer
says so (status not_proven) with the last plan's bound.

The samples vary what the file writes as distributions. The chance constraint
is on the last period's lever exports (yields and attrition drawn); costs,
ceilings and milestones keep their point values, so the plan's cost is read on
the same footing as the deterministic plan's.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from optimizer.analyses.tasks import Tasks, run_alone
from optimizer.errors import SolverError, TimeUp, UsageError
from optimizer.imports import plain
from optimizer.plan.dynamics import flows
from optimizer.results import ChanceInfo, PlanKind, Result, Status, messages
from optimizer.scenario import Loadout
from optimizer.scenario.schema import Scenario
from optimizer.scenario.uncertain_fields import scenario_draws

if TYPE_CHECKING:
    from optimizer.solving.engine import Session
    from optimizer.solving.options import SolverOptions

GUARANTEE = 0.95
"""The confidence with which a returned plan's probability is at least the one asked."""
CHECKS = 4
"""Plans checked at most, each on its own fresh sample at 1 - (1 - GUARANTEE) / CHECKS."""
FRESH_SAMPLES = 100_000
SOLVE_SAMPLES = 1_000
"""Samples the first plan is solved on, at most (the file's count when smaller): a
binary per sample; the guarantee comes from the fresh samples, not from these."""
MOST_SOLVE_SAMPLES = 8_000
"""Doubling the samples stops here."""
# the fresh samples' seeds: far from the file's, so they never share draws
FRESH_SEED_OFFSET = 1_000_003
REACH_TOL = 1e-9


def last_exports(s: Scenario, plan: Mapping[str, Sequence[float]],
                 draws: Mapping[str, npt.NDArray[np.float64]], n: int
                 ) -> npt.NDArray[np.float64]:
    """The plan's last-period lever exports in each of ``n`` samples (vectorised,
    optimizer.plan.dynamics)."""
    labels = s.period_labels
    total = np.zeros(n)
    for lid, lever in s.enabled_levers().items():
        prefix = f"levers.{lid}."
        own = {key[len(prefix):]: v for key, v in draws.items() if key.startswith(prefix)}
        total += flows(lever, plan.get(lid, [0.0] * len(labels)), labels, own).exports[-1]
    return total


def reach_count(s: Scenario, plan: Mapping[str, Sequence[float]],
                draws: Mapping[str, npt.NDArray[np.float64]], n: int) -> int:
    """The number of the samples in which the plan's lever exports reach the target."""
    got = last_exports(s, plan, draws, n)
    return int(np.count_nonzero(got >= s.target.needed * (1 - REACH_TOL)))


def lower_bound(hits: int, n: int, confidence: float) -> float:
    """One-sided Clopper-Pearson lower bound on a probability seen ``hits`` times in
    ``n`` independent trials: P(true p < bound) <= 1 - confidence."""
    plain("scipy")  # (see optimizer.imports)
    from scipy.special import betaincinv

    if hits <= 0:
        return 0.0
    # the Beta(hits, n - hits + 1) quantile: scipy.stats.beta.ppf's own function, without
    # importing scipy.stats (0.7 s of CPU in each of the curve's processes)
    return float(betaincinv(hits, n - hits + 1, 1.0 - confidence))


def fresh_seed(seed: int, check: int) -> int:
    """The seed of the fresh sample of check ``check`` (0, 1, ...)."""
    return seed + FRESH_SEED_OFFSET * (check + 1)


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence is a probability in (0, 1) (got {confidence:g})")


def solve_chance(loadout: Loadout, confidence: float, options: SolverOptions | None = None,
                 samples: int | None = None, fresh_samples: int = FRESH_SAMPLES) -> Result:
    """The cheapest plan found whose probability of reaching the target is at least
    ``confidence`` with 95% confidence on fresh samples, with the share of its own
    samples it reaches, its fresh-sample share and bound, and the deterministic
    plan's cost."""
    return chance_sweep(loadout, [confidence], options, samples, fresh_samples)[0]


def chance_sweep(loadout: Loadout, confidences: Sequence[float],
                 options: SolverOptions | None = None, samples: int | None = None,
                 fresh_samples: int = FRESH_SAMPLES, workers: int | None = None,
                 progress: Callable[[int], None] | None = None) -> list[Result]:
    """One guaranteed plan per confidence (the cost of certainty), the confidences side
    by side in ``workers`` forked processes (None: as many as pay here; see
    optimizer.solving.forked). ``progress(k)``: k confidences are done."""
    return run_alone(certainty_tasks(loadout, confidences, options, samples, fresh_samples),
                     workers, progress)


def certainty_tasks(loadout: Loadout, confidences: Sequence[float],
                    options: SolverOptions | None = None, samples: int | None = None,
                    fresh_samples: int = FRESH_SAMPLES, base: Result | None = None
                    ) -> Tasks[list[Result]]:
    """The cost of certainty as one task per confidence, to run alone (chance_sweep) or
    beside other searches (the report: analyses.tasks.run_together). What every
    confidence uses is built here, before any fork: the deterministic plan's cost,
    the first model and what its narrowing works out first, the first fresh sample,
    scipy.special; each confidence then solves on solvers of its own (a task never
    starts from what another left warm), so the curve is the same on one core or
    many. ``base``: the deterministic answer of ``loadout``, where the caller has it
    (the report's own), else solved here."""
    from optimizer.solving.engine import solve_scenario

    s = loadout.scenario
    for c in confidences:
        check_confidence(c)
    if not s.uncertain:
        raise UsageError(
            f"{loadout.file}: no field is written as a distribution, so every sample is "
            "the same; write e.g. yield_per_unit: {dist: triangular, low: 20k, mode: 25k, "
            "high: 30k} (see README, Uncertainty)")
    if s.objective != "min_cost":
        raise UsageError("--confidence applies to min_cost scenarios (the target is what "
                         f"must be reached; got objective {s.objective_name})")
    if not s.target.has_exports:
        raise UsageError(f"--confidence is the chance of reaching the export target, and "
                         f"{loadout.file} has none (target.exports): a requirements problem's "
                         "floors hold at the point values")
    if base is None:
        base = solve_scenario(loadout, options)
    deterministic = base.discounted_cost if base.status == "optimal" else None
    runs = _Runs(loadout, options, samples or min(s.uncertainty.samples, SOLVE_SAMPLES),
                 fresh_samples)
    runs.session(runs.first)[0].prime_samples()
    runs.fresh_draws(0)
    plain("scipy")  # scipy.special, for lower_bound: imported once here, not per process
    importlib.import_module("scipy.special")
    levels = list(confidences)

    def one(i: int) -> Result:
        return _guaranteed(runs.own(), levels[i], deterministic)

    return Tasks(len(levels), one, list)


class _Runs:
    """Sessions by sample count and fresh samples by check, for one confidence (own()
    hands each its own, the models and samples built so far shared)."""

    def __init__(self, loadout: Loadout, options: SolverOptions | None, first: int,
                 fresh: int) -> None:
        self.loadout, self.options, self.first, self.fresh = loadout, options, first, fresh
        self.seed = loadout.scenario.uncertainty.seed
        self._sessions: dict[int, tuple[Session, Mapping[str, npt.NDArray[np.float64]]]] = {}
        self._fresh: dict[int, Mapping[str, npt.NDArray[np.float64]]] = {}

    def own(self) -> _Runs:
        """A confidence's own runs: the sessions built so far spawned (the same models,
        solvers of its own, cold) and the fresh samples shared."""
        twin = copy.copy(self)
        twin._sessions = {n: (session.spawn(), draws)
                          for n, (session, draws) in self._sessions.items()}
        twin._fresh = dict(self._fresh)
        return twin

    def session(self, n: int) -> tuple[Session, Mapping[str, npt.NDArray[np.float64]]]:
        from optimizer.solving.engine import Session

        if n not in self._sessions:
            draws = scenario_draws(self.loadout.scenario, n, self.seed)
            self._sessions[n] = (Session(self.loadout, self.options, chance=(0.5, draws)),
                                 draws)
        return self._sessions[n]

    def fresh_draws(self, check: int) -> Mapping[str, npt.NDArray[np.float64]]:
        if check not in self._fresh:
            self._fresh[check] = scenario_draws(self.loadout.scenario, self.fresh,
                                                fresh_seed(self.seed, check))
        return self._fresh[check]


def _guaranteed(runs: _Runs, c: float, deterministic: float | None) -> Result:
    """Raise the level (and the samples) until a plan's fresh-sample bound clears ``c``."""
    s = runs.loadout.scenario
    each = 1.0 - (1.0 - GUARANTEE) / CHECKS
    n, level = runs.first, c
    last: tuple[Result, ChanceInfo] | None = None
    for check in range(CHECKS):
        required = min(n, math.ceil(level * n - 1e-9))
        session, draws = runs.session(n)
        session.require_samples(required)
        # (answer: where --time-limit is spent before a plan, a result that says so)
        r = session.answer(diagnose=False)
        info = ChanceInfo(confidence=c, samples=n, required=required,
                          fresh_samples=runs.fresh, deterministic_cost=deterministic,
                          in_sample=None, out_of_sample=None, extra_cost=None, seed=runs.seed,
                          level=required / n, bound_confidence=each, checks=check + 1)
        if r.status not in ("optimal", "limit_with_plan"):
            if r.status == "limit_without_plan":
                # --time-limit spent before this level had a plan: the last plan
                # stands, uncertified; with none, the result says what was cut
                if last is None:
                    return _finish(r, info, r.message)
                break
            if last is None:
                try:
                    info = dataclasses.replace(info,
                                               most_reached=session.most_samples_reached())
                except TimeUp:
                    pass  # (the most reachable count is left unsaid)
                return _finish(r, info, messages.chance(info))
            break  # a raised level out of reach: the last plan stands, uncertified
        plan = _plan_of(r)
        hits = reach_count(s, plan, draws, n)
        if hits < required:
            raise SolverError(
                f"HiGHS reported {r.status}, but its plan reaches the target in "
                f"{hits / n:.2%} of the samples, under the {required} of {n} required; "
                "not shown")
        seed = fresh_seed(runs.seed, check)
        fresh_hits = reach_count(s, plan, runs.fresh_draws(check), runs.fresh)
        p = fresh_hits / runs.fresh
        bound = lower_bound(fresh_hits, runs.fresh, each)
        info = dataclasses.replace(
            info, in_sample=hits / n, out_of_sample=p,
            out_of_sample_std_error=math.sqrt(p * (1 - p) / runs.fresh), lower_bound=bound,
            fresh_seed=seed, certified=bound >= c,
            extra_cost=(r.discounted_cost - deterministic if deterministic is not None
                        and r.discounted_cost is not None else None))
        if info.certified:
            return _finish(r, info, messages.chance(info) if r.status == "optimal"
                           else r.message)
        last = (r, info)
        # aim above c by the bound's shortfall and half the solve samples' own noise
        step = (c - bound) + 0.5 * math.sqrt(c * (1 - c) / n)
        level = max(level + 1.0 / n, level + step)
        if math.ceil(level * n - 1e-9) > n:
            if 2 * n > MOST_SOLVE_SAMPLES:
                break
            n *= 2
    assert last is not None
    r, info = last
    return _finish(dataclasses.replace(r, status=Status.NOT_PROVEN, plan=PlanKind.BEST_FOUND),
                   info, messages.chance(info))


def _finish(r: Result, info: ChanceInfo, message: str) -> Result:
    return dataclasses.replace(r, message=message, marginal_cost_of_target=None,
                               marginal_cost_basis=None, next_step=None, chance=info)


def _plan_of(r: Result) -> dict[str, list[float]]:
    labels = list(r.periods) if r.periods else [""]
    plan = {}
    for rec in r.rows:
        if r.periods:
            plan[rec.lever] = [rec.by_period[p].units for p in labels]
        else:
            plan[rec.lever] = [rec.units]
    return plan
