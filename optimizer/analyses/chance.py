"""Chance-constrained plans: the cheapest plan that reaches the target in at least
a given share of the sampled scenarios (sample average approximation), and the
honest figure: the share of a fresh sample it reaches.

The samples vary what the file writes as distributions. The chance constraint
is on the last period's lever exports (yields and attrition drawn); costs,
ceilings and milestones keep their point values, so the plan's cost is read on
the same footing as the deterministic plan's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from optimizer.errors import SolverError, UsageError
from optimizer.plan.dynamics import flows
from optimizer.results import ChanceInfo, Result, messages
from optimizer.scenario import Loadout
from optimizer.scenario.schema import Scenario
from optimizer.scenario.uncertain_fields import scenario_draws

if TYPE_CHECKING:
    from optimizer.solving.options import SolverOptions

FRESH_SAMPLES = 10_000
# the fresh sample's seed: far from the file's, so the two never share draws
FRESH_SEED_OFFSET = 1_000_003


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


def reach_share(s: Scenario, plan: Mapping[str, Sequence[float]],
                draws: Mapping[str, npt.NDArray[np.float64]], n: int) -> float:
    """The share of the samples in which the plan's lever exports reach the target."""
    got = last_exports(s, plan, draws, n)
    return float(np.mean(got >= s.target.needed * (1 - 1e-9)))


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence is a probability in (0, 1) (got {confidence:g})")


def solve_chance(loadout: Loadout, confidence: float, options: SolverOptions | None = None,
                 samples: int | None = None) -> Result:
    """The cheapest plan reaching the target in ``confidence`` of the file's samples,
    with the in-sample and fresh-sample shares and the deterministic plan's cost."""
    return chance_sweep(loadout, [confidence], options, samples)[0]


def chance_sweep(loadout: Loadout, confidences: Sequence[float],
                 options: SolverOptions | None = None, samples: int | None = None
                 ) -> list[Result]:
    """One chance-constrained plan per confidence, re-solving one model (only the
    number of samples required changes)."""
    from optimizer.solving.engine import Session, solve_scenario

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
                         f"must be reached; got objective {s.objective})")
    n = samples or s.uncertainty.samples
    draws = scenario_draws(s, n)
    fresh = scenario_draws(s, FRESH_SAMPLES, s.uncertainty.seed + FRESH_SEED_OFFSET)
    base = solve_scenario(loadout, options)
    deterministic = base.discounted_cost if base.status == "optimal" else None
    session = Session(loadout, options, chance=(confidences[0], draws))
    out = []
    for c in confidences:
        required = min(n, math.ceil(c * n - 1e-9))
        session.require_samples(required)
        r = session.solve(diagnose=False)
        info = ChanceInfo(confidence=c, samples=n, required=required,
                          fresh_samples=FRESH_SAMPLES, deterministic_cost=deterministic,
                          in_sample=None, out_of_sample=None, extra_cost=None,
                          seed=s.uncertainty.seed)
        if r.status in ("optimal", "limit_with_plan"):
            plan = _plan_of(r)
            in_sample = reach_share(s, plan, draws, n)
            if in_sample * n < required - 1e-9:
                raise SolverError(
                    f"HiGHS reported {r.status}, but its plan reaches the target in "
                    f"{in_sample:.2%} of the samples, under the {required} of {n} "
                    "required; not shown")
            info = dataclasses.replace(
                info, in_sample=in_sample, out_of_sample=reach_share(s, plan, fresh,
                                                                     FRESH_SAMPLES),
                extra_cost=(r.discounted_cost - deterministic if deterministic is not None
                            and r.discounted_cost is not None else None))
        else:
            info = dataclasses.replace(info, most_reached=session.most_samples_reached())
        out.append(dataclasses.replace(
            r, message=messages.chance(info) if r.status != "limit_with_plan" else r.message,
            marginal_cost_of_target=None, marginal_cost_basis=None, next_step=None,
            chance=info))
    return out


def _plan_of(r: Result) -> dict[str, list[float]]:
    labels = list(r.periods) if r.periods else [""]
    plan = {}
    for rec in r.rows:
        if r.periods:
            plan[rec.lever] = [rec.by_period[p].units for p in labels]
        else:
            plan[rec.lever] = [rec.units]
    return plan
