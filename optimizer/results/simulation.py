"""What a simulation gives back: a fixed plan evaluated under joint samples of the
scenario's uncertain parameters (optimizer.analyses.simulate makes it), as plain
frozen data the renderers and the report read without the analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """A sampled quantity summarised: mean, P10, P50, P90, least and largest."""

    mean: float
    p10: float
    p50: float
    p90: float
    low: float
    high: float


@dataclass(frozen=True)
class Chance:
    """How often the plan meets one goal: the target (last period) or a milestone."""

    name: str
    """``target.exports``, ``target.milestones.PERIOD``, or a floor on another outcome
    (``target.outcomes.O.min``, ``target.outcomes.O.milestones.PERIOD``)."""
    period: int | str
    needed: float
    """Lever exports the goal asks for in its period (reporting currency a year); for
    a floor on another outcome, that outcome (its own unit)."""
    probability: float
    """Share of the samples whose lever exports reach ``needed * (1 - 1e-9)``."""
    std_error: float
    """Monte-Carlo standard error of ``probability``: sqrt(p (1 - p) / N); 0 where no
    sample (or every sample) reaches it, where ``bound`` says what the samples show."""
    bound: float | None
    """Where no sample reaches the goal: a one-sided 95% upper bound on its probability,
    1 - 0.05^(1/N) (the rule of three, about 3/N); where every sample does, the 95%
    lower bound 0.05^(1/N); otherwise None (the standard error says it)."""
    exports: Spread
    """Lever exports in the goal's period across the samples (for a floor on another
    outcome: that outcome)."""
    point_exports: float
    """The plan's lever exports in that period at the point values (or the outcome)."""


@dataclass(frozen=True)
class Driver:
    """What one uncertain parameter does to the plan's exports and cost."""

    parameter: str
    """Its path, e.g. ``levers.it_workforce.yield_per_unit`` or ``exchange_rates.PKR``."""
    distribution: str
    """As written, e.g. ``triangular(low=15000, mode=25000, high=30000)``."""
    spearman: float
    """Rank correlation of its draws with the last-period lever exports (> 0: more of
    it, more exports)."""
    share: float
    """Its share of the variance of those exports, in a linear regression on the
    parameters: the Shapley split of the regression's R^2 (its gain in R^2 averaged over
    the orders of adding the parameters; never negative, the shares add up to R^2,
    correlated parameters share what they explain together)."""
    cost_spearman: float
    """Rank correlation of its draws with the total cost."""
    cost_share: float
    """Its share of the variance of the total cost, split the same way."""
    moves_exports: bool
    """The plan's last-period exports depend on it (nudging it alone moves them); a
    parameter that does not gets share 0 and is left out of the regression."""
    moves_cost: bool
    """The plan's total cost depends on it."""


@dataclass(frozen=True)
class Histogram:
    """Last-period lever exports binned: ``len(edges) == len(counts) + 1``."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Simulation:
    """A fixed plan evaluated under N joint samples of the uncertain parameters;
    money in the reporting currency, exports a year."""

    scenario: str
    scenario_file: str
    scenario_sha256: str
    currency: str
    plan_source: str
    """``optimum`` (solved here at the point values) or the result file read."""
    plan_status: str
    """Status of the solve that made the plan (optimal, limit_with_plan, ... ; for a
    file, the status it records)."""
    levers: tuple[tuple[str, str], ...]
    """(id, label) of every enabled lever, in file order."""
    units: Mapping[str, tuple[float, ...]]
    """The plan: units funded of each lever in each period."""
    periods: tuple[int | str, ...] | None
    samples: int
    seed: int
    needed: float
    """Lever exports the target asks for in the last period."""
    baseline: float
    includes_baseline: bool
    target: Chance
    milestones: tuple[Chance, ...]
    lever_exports: Spread
    """Last-period lever exports."""
    total_exports: Spread
    """Last-period lever exports plus the baseline."""
    shortfall: Spread
    """max(0, needed - lever exports): how far short the samples fall (0 in the samples
    that reach the target)."""
    shortfall_when_short: Spread | None
    """The shortfall among the samples that miss the target only (None: none misses)."""
    cost: Spread
    """Total spend over the horizon, undiscounted."""
    discounted_cost: Spread | None
    """Spend weighted 1/(1+r)^k; None for a scenario without periods."""
    point_cost: float
    point_discounted_cost: float
    point_exports: float
    exports_by_period: Mapping[int | str, Spread]
    """Lever exports in each period (one entry, key "", without periods)."""
    drivers: tuple[Driver, ...]
    """Every uncertain parameter, largest share of the exports' variance first: what
    drives the spread of the plan's exports (the shortfall is the target less them
    where they fall short)."""
    r_squared: float
    """Share of the exports' variance the linear regression on all parameters explains."""
    cost_r_squared: float
    histogram: Histogram
    notes: tuple[str, ...]
    seconds: float
    """Sampling and evaluation (not the solve)."""
    export_target: bool = True
    """False for a file without target.exports (a requirements problem): ``target``
    (of 0) is no goal, and no output shows it as one."""
    outcome_floors: tuple[Chance, ...] = ()
    """How often the plan meets each floor and milestone on another outcome (spec
    section 5), in file order: that outcome in the floor's period across the samples."""
