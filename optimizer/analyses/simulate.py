"""A fixed plan under uncertainty: how likely it reaches the target, and why it may not.

``simulate`` takes a plan (the deterministic optimum, or the units per period
of a saved ``result.json``) and evaluates it under N joint draws of every
parameter written as a distribution (``optimizer.scenario.uncertain_fields.scenario_draws``:
seeded, Gaussian copula, exchange-rate effects folded into the lever fields).
The plan does not move; only what it costs and what it exports does.

The arithmetic is that of ``optimizer.plan.check.lever_path`` (spec section 4),
vectorised over the samples: one array of shape (N,) per lever and period.

* active[k] = sum over j <= k - lag of x[j] (1 - attrition)^(k - lag - j)
* exports[k] = yield_per_unit * active[k], or the yield curve at active[k]
  (curves are deterministic; a sampled yield_per_unit of a lever with a curve
  is not used, as in a deterministic solve)
* spend[k] = unit_cost_k (1 - cost_recovery) x[k] + recurring_cost active[k]
  + fixed_cost in the first funded period; unit_cost_by_period overrides stay
  at their written values (only unit_cost itself is sampled)
* discounted cost: spend[k] weighted 1/(1+r)^k.

A sample reaches the target when its last-period lever exports are at least
``target.needed * (1 - 1e-9)``, a milestone likewise in its period; each
probability has its Monte-Carlo standard error, and where no sample (or every
sample) reaches, a one-sided 95% bound (1 - 0.05^(1/N), the rule of three).
The drivers of the exports are ranked by their share of the variance of the
last-period lever exports in a linear regression on the parameters, split by
Shapley value (each parameter's gain in R^2 averaged over the orders of adding
them: never negative, adding up to R^2, correlated parameters sharing what they
explain together), beside the Spearman rank correlation of the parameter's
draws with the exports. The same is given for the total cost. They describe
the spread of the exports; the shortfall is the target less the exports in the
samples that miss it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from optimizer.errors import UsageError
from optimizer.plan.dynamics import flows
from optimizer.results.result_file import ResultFile, read_result_file
from optimizer.results.simulation import Chance, Driver, Histogram, Simulation, Spread
from optimizer.scenario.uncertain_fields import UNCERTAIN_FIELDS, scenario_draws
from optimizer.scenario.uncertainty import Distribution, sample

if TYPE_CHECKING:
    from optimizer.results import Result
    from optimizer.scenario import Loadout
    from optimizer.scenario.schema import Lever, Scenario
    from optimizer.solving.options import SolverOptions

FloatArray = npt.NDArray[np.float64]
Value = float | FloatArray
"""A parameter: a number, or one value per sample."""

REACH_TOL = 1e-9
"""A sample reaches a goal when its exports are at least goal * (1 - REACH_TOL)."""
HISTOGRAM_BINS = 60
EFFECT_SAMPLES = 256
"""Samples in which each parameter is nudged to see whether exports or cost depend on it."""
EXAMPLE = "yield_per_unit: {dist: triangular, low: 20k, mode: 25k, high: 30k}"


class NoPlan(Exception):
    """The deterministic scenario has no plan to evaluate (infeasible, or a solver limit
    stopped it before any plan was found); ``result`` says why."""

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(result.message)


# -- reading a plan -------------------------------------------------------------------


def no_distributions_message(file: str) -> str:
    fields = ", ".join(UNCERTAIN_FIELDS)
    return (f"{file}: nothing to simulate: the scenario has no distributions. Write one in "
            f"place of a lever's {fields} or an exchange rate, e.g. {EXAMPLE} (see README, "
            "Uncertainty)")


def plan_of(result: Result, s: Scenario) -> dict[str, tuple[float, ...]]:
    """A solved Result's units funded per lever and period."""
    labels = s.period_labels
    return {row.lever: tuple(float(row.by_period[p].units) for p in labels)
            for row in result.rows}


def read_plan(path: str | os.PathLike[str], s: Scenario
              ) -> tuple[dict[str, tuple[float, ...]], ResultFile]:
    """The units per lever and period of a saved result JSON (``optimize --output D``
    writes D/result.json), checked against scenario ``s``; and the file.

    Raises ScenarioError for a file that is not a result.json (result_file names
    every field at fault), UsageError for one that does not fit ``s``.
    """
    name = str(path)
    saved = read_result_file(path)
    labels = s.period_labels
    levers = s.enabled_levers()
    file_periods = saved.periods
    if s.has_periods:
        if file_periods is None:
            raise UsageError(
                f"--plan {name}: periods: the plan has no periods, the scenario has "
                f"{len(labels)} ({_listed(labels)})")
        if [str(p) for p in file_periods] != [str(p) for p in labels]:
            raise UsageError(
                f"--plan {name}: periods: the plan has {len(file_periods)} "
                f"({_listed(file_periods)}), the scenario {len(labels)} ({_listed(labels)})")
    elif file_periods is not None:
        raise UsageError(f"--plan {name}: periods: the plan has periods "
                         f"({len(file_periods)}), the scenario has none")
    plan: dict[str, tuple[float, ...]] = {}
    for i, entry in enumerate(saved.allocation):
        at = f"allocation[{i}]"
        lid = entry.lever
        if lid not in levers:
            raise UsageError(f"--plan {name}: {at}.lever: {lid!r} is not an enabled lever of "
                             f"{s.name!r} (levers: {', '.join(levers)})")
        if lid in plan:
            raise UsageError(f"--plan {name}: {at}.lever: {lid!r} is listed twice")
        if s.has_periods:
            by_period = entry.by_period
            if by_period is None:
                raise UsageError(f"--plan {name}: {at}.by_period: missing; the scenario has "
                                 f"periods ({_listed(labels)})")
            if sorted(by_period) != sorted(str(p) for p in labels):
                raise UsageError(
                    f"--plan {name}: {at}.by_period: periods {_listed(list(by_period))}, the "
                    f"scenario has {len(labels)} ({_listed(labels)})")
            values: list[tuple[str, float | None]] = [
                (f"{at}.by_period.{p}.units", by_period[str(p)].units) for p in labels]
        else:
            values = [(f"{at}.units", entry.units)]
        units = []
        for where, value in values:
            if value is None or not math.isfinite(value):
                raise UsageError(f"--plan {name}: {where}: expected a number of units >= 0 "
                                 f"(got {json.dumps(value)})")
            units.append(float(value))
        plan[lid] = tuple(units)
    missing = [lid for lid in levers if lid not in plan]
    if missing:
        raise UsageError(f"--plan {name}: allocation: no entry for "
                         f"{', '.join(repr(m) for m in missing)} (a lever of {s.name!r})")
    return plan, saved


def _listed(labels: Sequence[Any]) -> str:
    return ", ".join(str(p) for p in labels) or "none"


# -- the arithmetic, vectorised ---------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """Every sample's lever exports and spend in each period: shape (periods, N)."""

    exports: FloatArray
    spend: FloatArray
    weights: tuple[float, ...]
    outcomes: Mapping[str, FloatArray]
    """Each outcome besides exports (the file's), shape (periods, N)."""

    @property
    def cost(self) -> FloatArray:
        return self.spend.sum(axis=0)

    @property
    def discounted_cost(self) -> FloatArray:
        return np.asarray(self.weights) @ self.spend


def evaluate(s: Scenario, plan: Mapping[str, Sequence[float]],
             values: Mapping[str, FloatArray], n: int) -> Paths:
    """Lever exports and spend by period of ``plan`` for each of ``n`` samples; ``values``
    maps lever fields (``levers.ID.FIELD``) to their ``n`` draws, the rest stay at their
    point values."""
    labels = s.period_labels
    exports = np.zeros((len(labels), n))
    spend = np.zeros((len(labels), n))
    outcomes = {o: np.zeros((len(labels), n)) for o in s.other_outcomes}
    for lid, lever in s.enabled_levers().items():
        prefix = f"levers.{lid}."
        own = {key[len(prefix):]: v for key, v in values.items() if key.startswith(prefix)}
        got = flows(lever, plan[lid], labels, own)
        for k in range(len(labels)):
            exports[k] += got.exports[k]
            spend[k] += got.spend[k]
            for o, path in got.outcomes.items():
                if o in outcomes:
                    outcomes[o][k] += path[k]
    weights = s.timeline.weights
    return Paths(exports, spend, weights, outcomes)


# -- statistics ------------------------------------------------------------------------


def spread(values: FloatArray) -> Spread:
    p10, p50, p90 = np.percentile(values, [10.0, 50.0, 90.0])
    return Spread(_f(values.mean()), _f(p10), _f(p50), _f(p90), _f(values.min()),
                  _f(values.max()))


def _f(value: Any) -> float:
    out = float(value)
    return 0.0 if abs(out) < 1e-300 else out


def _chance(name: str, period: int | str, needed: float, exports: FloatArray,
            point: float) -> Chance:
    n = exports.size
    hits = int(np.count_nonzero(exports >= needed * (1.0 - REACH_TOL)))
    p = hits / n
    return Chance(name, period, needed, p, math.sqrt(p * (1.0 - p) / n), _edge_bound(hits, n),
                  spread(exports), point)


def _edge_bound(hits: int, n: int) -> float | None:
    """A one-sided 95% bound where the samples show no spread: none reach (upper bound
    1 - 0.05^(1/n), about 3/n: the rule of three) or all do (lower bound 0.05^(1/n))."""
    if hits == 0:
        return 1.0 - 0.05 ** (1.0 / n)
    if hits == n:
        return 0.05 ** (1.0 / n)
    return None


def _ranks(values: FloatArray) -> FloatArray:
    """Ranks 0..N-1 (ties in any order: the draws are continuous)."""
    order = np.argsort(values)
    ranks = np.empty(values.size)
    ranks[order] = np.arange(values.size, dtype=float)
    return ranks


def _standardized(values: FloatArray) -> FloatArray | None:
    """(values - mean) / sd, or None for a constant."""
    sd = values.std()
    if not np.isfinite(sd) or sd <= 1e-12 * max(1.0, abs(float(values.mean()))):
        return None
    return (values - values.mean()) / sd


@dataclass(frozen=True)
class _Inputs:
    """The parameters' draws standardized, and their standardized ranks (None: constant)."""

    z: list[FloatArray | None]
    ranks: list[FloatArray | None]

    @classmethod
    def of(cls, columns: Sequence[FloatArray]) -> _Inputs:
        z = [_standardized(c) for c in columns]
        ranks = [None if zi is None else _standardized(_ranks(c)) for zi, c in zip(z, columns,
                                                                                   strict=True)]
        return cls(z, ranks)


SHAPLEY_EXACT = 12
"""Up to this many parameters, the Shapley split of R^2 goes over every subset; beyond,
over SHAPLEY_ORDERS random orders of adding them (seeded: the same split every run)."""
SHAPLEY_ORDERS = 400


def shapley_r2(gram: FloatArray, corr: FloatArray) -> tuple[list[float], float]:
    """Each input's Shapley share of R^2, and R^2, from the inputs' correlation matrix
    ``gram`` and their correlations ``corr`` with y (all standardized): R^2 of a subset
    S is corr_S' gram_S^-1 corr_S; an input's share is its gain in R^2 averaged over the
    orders of adding the inputs."""
    k = corr.size
    cache: dict[int, float] = {0: 0.0}

    def r2(mask: int) -> float:
        if mask not in cache:
            idx = [i for i in range(k) if mask >> i & 1]
            c = corr[idx]
            beta = np.linalg.lstsq(gram[np.ix_(idx, idx)], c, rcond=None)[0]
            cache[mask] = float(np.clip(beta @ c, 0.0, 1.0))
        return cache[mask]

    shares = [0.0] * k
    if k <= SHAPLEY_EXACT:
        # weight of a subset of size s without i: s! (k - s - 1)! / k!
        weight = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                  for s in range(k)]
        for mask in range(1 << k):
            size = bin(mask).count("1")
            for i in range(k):
                if not mask >> i & 1:
                    shares[i] += weight[size] * (r2(mask | 1 << i) - r2(mask))
    else:
        rng = np.random.default_rng(0)
        for _ in range(SHAPLEY_ORDERS):
            mask = 0
            for i in rng.permutation(k):
                shares[int(i)] += (r2(mask | 1 << int(i)) - r2(mask)) / SHAPLEY_ORDERS
                mask |= 1 << int(i)
    return [max(0.0, v) for v in shares], r2((1 << k) - 1)


def _attribution(x: _Inputs, y: FloatArray, use: Sequence[bool]
                 ) -> tuple[list[float], list[float], float]:
    """(Spearman of each input with y, Shapley share of y's variance of each input, R^2).

    The regression takes the inputs flagged in ``use``; the others, constant inputs,
    and every input when y is constant, get share 0."""
    k = len(x.z)
    zy = _standardized(y)
    if zy is None or y.size < 3:
        return [0.0] * k, [0.0] * k, 0.0
    ry = _standardized(_ranks(y))
    spearman = [0.0] * k
    for i, rx in enumerate(x.ranks):
        if rx is not None and ry is not None:
            spearman[i] = float(np.clip(rx @ ry / y.size, -1.0, 1.0))
    shares = [0.0] * k
    picked = [(i, col) for i, col in enumerate(x.z) if col is not None and use[i]]
    live = [i for i, _ in picked]
    if not live:
        return spearman, shares, 0.0
    z = np.stack([col for _, col in picked])
    split, r2 = shapley_r2(z @ z.T / y.size, z @ zy / y.size)
    for j, i in enumerate(live):
        shares[i] = split[j]
    return spearman, shares, r2


def describe(d: Distribution) -> str:
    """``triangular(low=15000, mode=25000, high=30000)``."""
    fields = ", ".join(f"{k}={v:.6g}" for k, v in vars(d).items())
    return f"{d.name}({fields})"


# -- the simulation ----------------------------------------------------------------------


def simulate(
    loadout: Loadout,
    plan: Mapping[str, Sequence[float]] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    options: SolverOptions | None = None,
    source: str | None = None,
    plan_status: str | None = None,
) -> Simulation:
    """Evaluate a fixed plan under ``samples`` joint draws (default the scenario's
    ``uncertainty.samples``; ``seed`` default ``uncertainty.seed``).

    ``plan`` maps every enabled lever to its units funded in each period; None
    solves the scenario at its point values and takes the optimum (raises
    :class:`NoPlan` when there is none). ``source`` names where a given plan
    came from (a file), ``plan_status`` what made it. Raises UsageError for a
    scenario without distributions or a plan that does not fit the scenario.
    """
    s = loadout.scenario
    if not s.uncertain:
        raise UsageError(no_distributions_message(loadout.file))
    n = s.uncertainty.samples if samples is None else samples
    seed = s.uncertainty.seed if seed is None else seed
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"the number of samples must be a whole number >= 1 (got {n!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"the seed must be a whole number >= 0 (got {seed!r})")
    labels = s.period_labels
    levers = s.enabled_levers()
    notes: list[str] = []
    if plan is None:
        from optimizer.solving.engine import solve_scenario

        result = solve_scenario(loadout, options)
        if result.plan == "none" or result.status in ("infeasible", "limit_without_plan"):
            raise NoPlan(result)
        units = plan_of(result, s)
        source, plan_status = "optimum", result.status
        if result.status != "optimal":
            notes.append("The plan is the best found before a solver limit, not a proven "
                         "optimum.")
    else:
        units = _checked_plan(plan, s)
        source = source or "given plan"
        plan_status = plan_status or "given"
        from optimizer.plan.check import violations

        broken = violations(s, units, need_target=False, milestones=False)
        if broken:
            notes.append("At the point values the plan breaks limits of this scenario: "
                         + "; ".join(broken[:5]) + (" ..." if len(broken) > 5 else ""))

    start = time.perf_counter()
    try:
        values = scenario_draws(s, n, seed)
    except ValueError as exc:
        raise UsageError(f"{loadout.file}: {exc}") from None
    paths = evaluate(s, units, values, n)
    point = evaluate(s, units, {}, 1)
    last = len(labels) - 1
    exports = paths.exports[last]
    cost = paths.cost
    target = _chance("target.exports", labels[last], s.target.needed, exports,
                     float(point.exports[last, 0]))
    milestones = []
    for key, goal in s.target.milestones.items():
        k = [str(p) for p in labels].index(str(key))
        milestones.append(_chance(f"target.milestones.{key}", labels[k], goal, paths.exports[k],
                                  float(point.exports[k, 0])))

    # floors on other outcomes (spec section 5): their outcome in the floor's period
    outcome_floors = []
    for name, floors in s.target.outcomes.items():
        goals = [(f"milestones.{key}", [str(p) for p in labels].index(str(key)), goal)
                 for key, goal in floors.milestones.items()]
        if floors.min is not None and name not in s.goal:  # (a maximised one's: ignored)
            goals.append(("min", last, floors.min))
        for what, k, goal in goals:
            outcome_floors.append(_chance(f"target.outcomes.{name}.{what}", labels[k], goal,
                                          paths.outcomes[name][k],
                                          float(point.outcomes[name][k, 0])))

    drivers = _drivers(s, units, values, n, seed, exports, cost)
    counts, edges = np.histogram(exports, bins=HISTOGRAM_BINS)
    notes += _modelling_notes(s, levers)
    seconds = time.perf_counter() - start
    return Simulation(
        scenario=s.name,
        scenario_file=loadout.file,
        scenario_sha256=loadout.sha256,
        currency=s.currency,
        plan_source=source,
        plan_status=plan_status,
        levers=tuple((lid, lever.label(lid)) for lid, lever in levers.items()),
        units={lid: tuple(units[lid]) for lid in levers},
        periods=tuple(labels) if s.has_periods else None,
        samples=n,
        seed=seed,
        needed=s.target.needed,
        baseline=s.target.baseline,
        includes_baseline=s.target.includes_baseline,
        target=target,
        milestones=tuple(milestones),
        lever_exports=target.exports,
        total_exports=spread(exports + s.target.baseline),
        shortfall=spread(np.maximum(s.target.needed - exports, 0.0)),
        shortfall_when_short=_when_short(s.target.needed, exports),
        cost=spread(cost),
        discounted_cost=spread(paths.discounted_cost) if s.has_periods else None,
        point_cost=float(point.cost[0]),
        point_discounted_cost=float(point.discounted_cost[0]),
        point_exports=float(point.exports[last, 0]),
        exports_by_period={p: spread(paths.exports[k]) for k, p in enumerate(labels)},
        drivers=drivers[0],
        r_squared=drivers[1],
        cost_r_squared=drivers[2],
        histogram=Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts)),
        notes=tuple(notes),
        seconds=seconds,
        outcome_floors=tuple(outcome_floors),
        export_target=s.target.has_exports,
    )


def _when_short(needed: float, exports: FloatArray) -> Spread | None:
    """The shortfall in the samples that miss the target (None: none does)."""
    short = exports < needed * (1.0 - REACH_TOL)
    if not np.any(short):
        return None
    return spread(needed - exports[short])


def _checked_plan(plan: Mapping[str, Sequence[float]], s: Scenario
                  ) -> dict[str, tuple[float, ...]]:
    levers = s.enabled_levers()
    horizon = len(s.period_labels)
    unknown = [lid for lid in plan if lid not in levers]
    missing = [lid for lid in levers if lid not in plan]
    if unknown or missing:
        raise UsageError(f"the plan's levers do not match {s.name!r}: "
                         f"unknown {unknown or 'none'}, missing {missing or 'none'}")
    out = {}
    for lid in levers:
        units = tuple(float(x) for x in plan[lid])
        if len(units) != horizon:
            raise UsageError(f"the plan has {len(units)} periods for {lid!r}; the scenario "
                             f"has {horizon}")
        if any(not math.isfinite(x) or x < 0 for x in units):
            raise UsageError(f"the plan's units of {lid!r} must be numbers >= 0 (got {units})")
        out[lid] = units
    return out


def _drivers(s: Scenario, units: Mapping[str, Sequence[float]],
             values: Mapping[str, FloatArray], n: int, seed: int, exports: FloatArray,
             cost: FloatArray) -> tuple[tuple[Driver, ...], float, float]:
    """Each uncertain parameter's part in the spread of exports and of cost."""
    u = s.uncertainty
    names = sorted(u.parameters)
    raw = _unfolded(s, n, seed)
    raw.update({name: values[name] for name in names if name not in raw})
    moves = _what_moves(s, units, values, names, min(n, EFFECT_SAMPLES))
    inputs = _Inputs.of([raw[name] for name in names])
    spearman, shares, r2 = _attribution(inputs, exports, [moves[m][0] for m in names])
    cost_spearman, cost_shares, cost_r2 = _attribution(inputs, cost,
                                                       [moves[m][1] for m in names])
    drivers = [Driver(name, describe(u.parameters[name]), spearman[i], shares[i],
                      cost_spearman[i], cost_shares[i], *moves[name])
               for i, name in enumerate(names)]
    drivers.sort(key=lambda d: (not d.moves_exports, -abs(d.share), -abs(d.spearman),
                                -abs(d.cost_share), d.parameter))
    return tuple(drivers), r2, cost_r2


def _what_moves(s: Scenario, units: Mapping[str, Sequence[float]],
                values: Mapping[str, FloatArray], names: Sequence[str], m: int
                ) -> dict[str, tuple[bool, bool]]:
    """For each parameter: (do the plan's last-period exports depend on it, does its cost).

    Found by nudging it alone (an exchange rate: every lever field written in its
    currency) in the first ``m`` samples and looking for any change: arithmetic that
    does not use a value cannot change by a bit when it moves."""
    sub = {path: v[:m] for path, v in values.items()}
    base = evaluate(s, units, sub, m)
    base_exports, base_cost = base.exports[-1], base.cost
    u = s.uncertainty
    out = {}
    for name in names:
        nudged = dict(sub)
        if name.startswith("exchange_rates."):
            code = name.split(".", 1)[1]
            for path, written in u.currencies.items():
                if written == code:
                    nudged[path] = _nudge(sub.get(path, _point(s, path, m)), 1.0 / (1 + 1e-3))
        elif name in sub:
            nudged[name] = _nudge(sub[name])
        else:
            out[name] = (False, False)
            continue
        got = evaluate(s, units, nudged, m)
        out[name] = (bool(np.any(got.exports[-1] != base_exports)),
                     bool(np.any(got.cost != base_cost)))
    return out


def _nudge(values: FloatArray, factor: float | None = None) -> FloatArray:
    if factor is not None:
        return values * factor
    # shares (attrition, cost_recovery) stay below 1; a zero moves too
    return np.where(values < 0.5, values + 1e-4, values - 1e-4 * values)


def _point(s: Scenario, path: str, m: int) -> FloatArray:
    _, lid, field = path.split(".")
    return np.full(m, float(getattr(s.levers[lid], field) or 0.0))


def _unfolded(s: Scenario, n: int, seed: int) -> dict[str, FloatArray]:
    """The draws of the exchange rates, and of distributions written in a currency whose
    rate is uncertain, as drawn (``scenario_draws`` folds the rates into the lever fields).

    Only these and the parameters correlated with them, directly or through others,
    are drawn again: the sampler keeps each such group's draws whatever else is drawn
    with it (its own stream per parameter; a block-preserving Cholesky factor)."""
    u = s.uncertainty
    wanted = {name for name in u.parameters
              if name.startswith("exchange_rates.") or name in u.currencies}
    pairs = {(c.between[0], c.between[1]): c.rho for c in u.correlations}
    grown = True
    while grown:
        grown = False
        for a, b in pairs:
            if (a in wanted) != (b in wanted):
                wanted |= {a, b}
                grown = True
    if not wanted:
        return {}
    return sample({name: u.parameters[name] for name in wanted}, n, seed,
                  {(a, b): rho for (a, b), rho in pairs.items() if a in wanted})


def _modelling_notes(s: Scenario, levers: Mapping[str, Lever]) -> list[str]:
    sampled = s.uncertainty.parameters
    notes = []
    for lid, lever in levers.items():
        if lever.yield_curve and f"levers.{lid}.yield_per_unit" in sampled:
            notes.append(f"levers.{lid}.yield_per_unit is sampled but the lever's yield_curve "
                         "decides its exports (curves are not sampled).")
        if lever.unit_cost_by_period and f"levers.{lid}.unit_cost" in sampled:
            notes.append(f"levers.{lid}.unit_cost is sampled; its unit_cost_by_period "
                         "overrides stay at their written values.")
    return notes
