"""The scenario schema: typed, frozen, strict (unknown fields are refused).

Amounts are converted to the reporting currency while validating, so every
money field of a validated :class:`Scenario` is in ``Scenario.currency``.
Validation needs the currency and exchange rates as context; use
:func:`optimizer.scenario.validate` rather than these models directly.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    ValidationInfo,
    field_validator,
)

from optimizer.scenario.amounts import AmountError, parse_amount, parse_fraction, parse_number
from optimizer.scenario.periods import Periods

LEVER_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
CURRENCY = re.compile(r"[A-Z]{3}\Z")
EXPORTS = "exports"
"""The outcome every scenario has: its yields are ``yield_per_unit``, its goal
``target.exports``."""


def _context(info: ValidationInfo) -> tuple[str, dict[str, float]]:
    ctx = info.context or {}
    return ctx.get("currency", "USD"), ctx.get("rates", {})


def _amount(value: Any, info: ValidationInfo) -> float:
    currency, rates = _context(info)
    try:
        return parse_amount(value, currency, rates)
    except AmountError as exc:  # pydantic wants ValueError; keep the message as is
        raise ValueError(str(exc)) from None


def _count(value: Any) -> float:
    try:
        return parse_number(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from None


def _fraction(value: Any) -> float:
    try:
        result = parse_fraction(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from None
    if not 0.0 <= result < 1.0:
        raise ValueError(f"must be a fraction in [0, 1), such as 0.9 or '90%' (got {value!r})")
    return result


def _finite(value: Any) -> float:
    """A plain positive-or-zero real number (no scale, no currency)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a finite number (got {value!r})")
    return float(value)


Amount = Annotated[float, BeforeValidator(_amount), Field(ge=0)]
"""Money, >= 0, converted to the reporting currency."""
SignedAmount = Annotated[float, BeforeValidator(_amount)]
Count = Annotated[float, BeforeValidator(_count), Field(ge=0)]
"""A number of units, >= 0 (NUMBER [SCALE], no currency)."""
Fraction = Annotated[float, BeforeValidator(_fraction)]
"""A share in [0, 1): 0.05 or '5%'."""
Period = StrictInt | StrictStr
"""A period label as written in `periods:` (2024, or 'FY24')."""
CurvePoint = tuple[Count, Amount]
"""[active units, annual exports in the reporting currency]."""


def _one_key_per_period(value: Any) -> Any:
    """Refuse 2024 and "2024" in one mapping: periods are compared as text.

    The loader refuses such keys in a file already; this catches mappings
    built any other way, so no period-keyed mapping can hold one period twice.
    """
    if isinstance(value, dict):
        seen: dict[str, Any] = {}
        for key in value:
            if str(key) in seen:
                first = seen[str(key)]
                raise ValueError(
                    f"period {key!r} is given twice, as {first!r} and as {key!r}; periods are "
                    f"compared as text, so write it once (got keys {list(value)})"
                )
            seen[str(key)] = key
    return value


PeriodMap = Annotated[dict[Period, Amount], BeforeValidator(_one_key_per_period)]
"""Period label -> money; every period-keyed mapping of the schema is one of these."""


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, strict=False
    )


Basis = Literal["fact", "derived", "assumption"]
"""What a figure rests on: a fact of the source, arithmetic on facts, or an assumption."""


class Provenance(Strict):
    """Where one figure comes from: its basis and its source (docs/scenario-format.md,
    Provenance). Written under an object's ``provenance:``, keyed by the field it is for."""

    basis: Basis
    """fact (stated by the source), derived (arithmetic on facts) or assumption (and why)."""
    source: Annotated[StrictStr, Field(min_length=1)]
    """The document, the arithmetic or the reasoning behind the figure."""


ProvenanceMap = dict[StrictStr, Provenance]
"""Field name (or FIELD.KEY for one entry of a mapping field) -> its provenance."""

PROVENANCE_SKIPPED = frozenset({"name", "unit", "source", "notes", "provenance", "enabled",
                                "description", "currency", "target", "budget", "objective",
                                "levers", "constraints", "variants", "uncertainty",
                                "outcomes"})
"""Fields that are no figure and take no provenance entry."""


class Lever(Strict):
    """One strategy lever: a thing the ministry can buy units of."""

    name: str | None = None
    """Label in tables; defaults to the lever id."""
    unit: str = "unit"
    """What one unit is (worker, centre, USD committed)."""
    unit_cost: Amount
    """Gross cost of one unit, reporting currency per unit."""
    yield_per_unit: Amount | None = None
    """Annual exports one active unit adds, reporting currency per unit per year.

    Required unless `yield_curve` is given (the curve then replaces it)."""
    min_units: Count = 0.0
    """Lower bound on units (units)."""
    max_units: Count | None = None
    """Upper bound on units (units); none by default."""
    min_spend: Amount | None = None
    """Lower bound on the lever's net spend, variable plus fixed (reporting currency)."""
    max_spend: Amount | None = None
    """Upper bound on the lever's net spend, variable plus fixed (reporting currency)."""
    integer: StrictBool = False
    """Units are whole numbers."""
    fixed_cost: Amount = 0.0
    """Paid once when units > 0 (reporting currency)."""
    min_units_if_used: Count | None = None
    """Semi-continuous: units are 0 or at least this (units)."""
    cost_recovery: Fraction = 0.0
    """Share of unit_cost paid back, in [0, 1); net cost = unit_cost * (1 - cost_recovery)."""
    enabled: StrictBool = True
    """False removes the lever from the model."""
    source: str | None = None
    """Provenance of the figures, carried into reports."""
    notes: str | None = None
    """Free text, carried into reports."""
    provenance: ProvenanceMap = {}
    """Field name -> {basis, source} for that figure; beside (and before) `source`."""
    # --- section 4: time, diminishing returns and lever logic
    unit_cost_by_period: PeriodMap = {}
    """Gross unit cost in the periods named, overriding unit_cost (reporting currency per unit)."""
    recurring_cost: Amount = 0.0
    """Cost per active unit in every period it is active (reporting currency per unit)."""
    lag: StrictInt = Field(default=0, ge=0)
    """Periods between funding a unit and its first exports (whole periods)."""
    attrition: Fraction = 0.0
    """Share of active units lost each period after the first, in [0, 1)."""
    max_units_per_period: Count | None = None
    """Cap on units funded in any one period (units)."""
    yield_curve: list[CurvePoint] | None = None
    """Annual exports as a piecewise-linear function of active units.

    [[0, 0], [units, exports], ...]: units strictly increasing, exports in the
    reporting currency per year."""
    requires: list[str] = []
    """Lever ids that must be used if this lever is used."""
    excludes: list[str] = []
    """Lever ids that may not be used together with this lever."""
    fixed_units: Count | None = None
    """Exactly this many units funded over the horizon (a lock; units)."""
    # --- section 5: several outcomes
    yields: dict[StrictStr, Count] = {}
    """Outcome id -> what one active unit adds to that outcome each period (the
    outcome's own unit per lever unit); an outcome not named gets 0. Exports keep
    ``yield_per_unit``."""

    yield_curves: dict[StrictStr, list[tuple[Count, Count]]] = {}
    """Outcome id -> [[units, outcome], ...]: that outcome as a piecewise-linear
    function of active units (as yield_curve for exports; the outcome's own unit, no
    currency), in place of its ``yields`` entry."""

    def outcome_yield(self, outcome: str) -> float:
        """What one active unit adds to ``outcome``, an outcome besides exports (0 where
        ``yields`` does not name it, or a curve does: see outcome_curve)."""
        return self.yields.get(outcome, 0.0)

    def outcome_curve(self, outcome: str) -> list[tuple[float, float]] | None:
        """``outcome``'s curve of active units (yield_curves), or None."""
        return self.yield_curves.get(outcome)

    def outcome_rate(self, outcome: str) -> float:
        """``outcome`` per active unit at its best: the yield, or a curve's best
        average (what a greedy guess at a plan's size reads)."""
        curve = self.yield_curves.get(outcome)
        if not curve:
            return self.outcome_yield(outcome)
        return max((v / u for u, v in curve if u > 0), default=0.0)

    def outcome_concave(self, outcome: str) -> bool:
        """Whether ``outcome``'s curve (if any) has slopes that never increase."""
        curve = self.yield_curves.get(outcome)
        if not curve:
            return True
        slopes = [(v1 - v0) / (u1 - u0) for (u0, v0), (u1, v1) in zip(curve, curve[1:],
                                                                         strict=False)
                  if u1 > u0]
        return all(b <= a * (1 + 1e-12) + 1e-12 for a, b in zip(slopes, slopes[1:],
                                                                strict=False))

    def net_unit_cost_in(self, period: int | str) -> float:
        """Net cost of a unit funded in ``period`` (unit_cost_by_period applies)."""
        gross = self.unit_cost
        for key, value in self.unit_cost_by_period.items():
            if str(key) == str(period):
                gross = value
        return gross * (1.0 - self.cost_recovery)

    @property
    def is_concave(self) -> bool:
        """True for linear yields, and for curves whose slopes never increase."""
        if not self.yield_curve:
            return True
        slopes = [
            (e1 - e0) / (u1 - u0)
            for (u0, e0), (u1, e1) in zip(self.yield_curve, self.yield_curve[1:], strict=False)
            if u1 > u0
        ]
        return all(b <= a * (1 + 1e-12) + 1e-12 for a, b in zip(slopes, slopes[1:], strict=False))

    def label(self, lever_id: str) -> str:
        return self.name or lever_id


class OutcomeGoal(Strict):
    """Floors on one outcome other than exports (spec section 5)."""

    min: Count | None = None
    """The least last-period lever outcome (the outcome's unit; no baseline)."""
    milestones: Annotated[dict[Period, Count], BeforeValidator(_one_key_per_period)] = {}
    """The least lever outcome in earlier periods (the outcome's unit)."""
    source: str | None = None
    """Provenance of the floors."""
    provenance: ProvenanceMap = {}
    """Field name (min, milestones.PERIOD) -> {basis, source}."""


class Target(Strict):
    """The export goal, and floors on the other outcomes."""

    exports: Amount | None = None
    """Annual exports to reach (reporting currency per year); none: no export goal (a
    requirements problem, whose goals are floors on other outcomes or constraints)."""
    baseline: Amount = 0.0
    """Annual exports that exist with no lever (reporting currency per year)."""
    includes_baseline: StrictBool = False
    """True: `exports` is a total and the baseline counts toward it."""
    milestones: PeriodMap = {}
    """Minimum lever exports in earlier periods (reporting currency per year)."""
    source: str | None = None
    """Provenance of the target and baseline."""
    provenance: ProvenanceMap = {}
    """Field name (exports, baseline, milestones.PERIOD, ...) -> {basis, source}."""
    outcomes: dict[StrictStr, OutcomeGoal] = {}
    """Outcome id -> its floors (outcomes other than exports, declared in `outcomes:`)."""

    @property
    def has_exports(self) -> bool:
        """True when the file sets an export goal (target.exports)."""
        return self.exports is not None

    @property
    def needed(self) -> float:
        """Lever exports required (reporting currency per year); 0 without an export goal."""
        if self.exports is None:
            return 0.0
        return self.exports - self.baseline if self.includes_baseline else self.exports


class Budget(Strict):
    """Spending limits."""

    ceiling: Amount | None = None
    """Total net spend cap over the horizon, undiscounted (reporting currency); none by default."""
    per_period: PeriodMap = {}
    """Net spend cap in the periods named (reporting currency)."""
    source: str | None = None
    """Provenance of the ceiling."""
    provenance: ProvenanceMap = {}
    """Field name (ceiling, per_period.PERIOD) -> {basis, source}."""


class Outcome(Strict):
    """A result the strategy is judged on beside exports (spec section 5)."""

    name: str | None = None
    """Label in tables; defaults to the outcome id."""
    unit: str = "unit"
    """What one of it is (jobs); no currency: only exports are money."""
    source: str | None = None
    """Provenance of the outcome's definition."""
    provenance: ProvenanceMap = {}
    """Field name -> {basis, source}."""

    def label(self, outcome_id: str) -> str:
        return self.name or outcome_id


Weight = Annotated[float, BeforeValidator(_finite), Field(gt=0)]
"""How much one of an outcome (in its own unit) counts in a weighted objective."""


class MaxGoal(Strict):
    """``{max: OUTCOME}`` or ``{max: {OUTCOME: WEIGHT, ...}}`` (spec section 5): the
    most of one outcome, or of a weighted sum of last-period outcomes, within the
    ceiling; then the cheapest plan within 1e-9 of that most."""

    max: Annotated[
        Annotated[str, Tag("one-outcome")] | Annotated[dict[str, Weight], Tag("weighted")],
        Discriminator(lambda v: "weighted" if isinstance(v, dict) else "one-outcome")]
    """An outcome id (``exports`` or one under ``outcomes:``), or outcome id ->
    weight (per one of the outcome in its own unit; exports per reporting-currency
    unit a year)."""

    @property
    def weights(self) -> dict[str, float]:
        """Outcome -> weight; one outcome alone weighs 1."""
        return {self.max: 1.0} if isinstance(self.max, str) else dict(self.max)


class LinearConstraint(Strict):
    """An extra linear relation between levers' units, spend and exports."""

    name: str | None = None
    """Label used in messages; defaults to constraints[i]."""
    expr: str
    """One relation such as '10 * erozgar_centers <= it_workforce + 50000'."""
    source: str | None = None
    """Why the relation holds."""
    provenance: ProvenanceMap = {}
    """expr -> {basis, source}: the relation's own basis."""


class Correlation(Strict):
    """A correlation between two uncertain parameters (Gaussian copula)."""

    between: Annotated[list[StrictStr], Field(min_length=2, max_length=2)]
    """Two parameter paths, e.g. [levers.a.yield_per_unit, levers.b.yield_per_unit]."""
    rho: Annotated[float, BeforeValidator(_finite), Field(ge=-1, le=1)]
    """Correlation of the underlying normals, in [-1, 1]."""


class Uncertainty(Strict):
    """How uncertain parameters are sampled. The distributions themselves are
    written in place of the numbers they replace."""

    samples: StrictInt = Field(default=1000, ge=1, le=10_000_000)
    """Samples drawn by optimize simulate and chance-constrained plans."""
    seed: StrictInt = Field(default=0, ge=0)
    """Seed of the sampler: the same seed gives the same samples anywhere."""
    correlations: list[Correlation] = []
    """Pairs of uncertain parameters that move together."""
    parameters: dict[str, Any] = {}
    """Filled by the loader: parameter path -> distribution (not written by hand)."""
    currencies: dict[str, str] = {}
    """Filled by the loader: lever field -> the currency with an uncertain rate it is in."""


class Scenario(Strict):
    """A whole scenario file, validated; money in the reporting currency."""

    name: str
    """Free text, shown in every output."""
    description: str | None = None
    """Free text."""
    currency: str = "USD"
    """Reporting currency (three upper-case letters); all results are in it."""
    exchange_rates: dict[str, Annotated[float, BeforeValidator(_finite), Field(gt=0)]] = {}
    """Units of each foreign currency per ONE reporting-currency unit."""
    target: Target = Target()
    """What must be reached: the export goal and floors on other outcomes."""
    budget: Budget = Budget()
    """Spending limits."""
    periods: list[Period] | None = None
    """Ordered period labels; the last is the target period. None: one period."""
    discount_rate: Fraction = 0.0
    """Spend in the k-th period weighs 1/(1+r)^k in the objective; in [0, 1)."""
    objective: Annotated[
        Annotated[Literal["min_cost", "max_exports"], Tag("by-name")]
        | Annotated[MaxGoal, Tag("by-max")],
        Discriminator(lambda v: "by-max" if isinstance(v, dict | MaxGoal) else "by-name"),
    ] = "min_cost"
    """min_cost: cheapest plan reaching the target; max_exports: most exports within the
    ceiling; {max: OUTCOME} or {max: {OUTCOME: WEIGHT}}: the most of other outcomes."""
    outcomes: dict[str, Outcome] = {}
    """Outcome id ([a-z][a-z0-9_]*) -> its name and unit; ``exports`` always exists
    and need not be listed."""
    levers: dict[str, Lever] = Field(min_length=1)
    """Lever id ([a-z][a-z0-9_]*) -> lever, in file order."""
    constraints: list[LinearConstraint] = []
    """Extra linear constraints."""
    variants: dict[str, dict[str, Any]] = {}
    """Named sets of overrides: variant name -> {field.path: value}, as with --set."""
    uncertainty: Uncertainty = Uncertainty()
    """Sampling of the parameters written as distributions."""
    provenance: ProvenanceMap = {}
    """Top-level figures (discount_rate, exchange_rates.CODE, periods) -> {basis, source}."""

    @property
    def uncertain(self) -> bool:
        return bool(self.uncertainty.parameters)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not CURRENCY.match(value):
            raise ValueError(f"expected a three-letter upper-case currency code (got {value!r})")
        return value

    @field_validator("exchange_rates", mode="before")
    @classmethod
    def _rate_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not CURRENCY.match(key):
                    raise ValueError(
                        f"currency codes are three upper-case letters such as PKR (got {key!r})"
                    )
        return value

    @field_validator("levers", "outcomes", mode="before")
    @classmethod
    def _ids(cls, value: Any, info: ValidationInfo) -> Any:
        """Lever and outcome ids: [a-z][a-z0-9_]* (an expression names them)."""
        what = "lever" if info.field_name == "levers" else "outcome"
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not LEVER_ID.match(key):
                    raise ValueError(
                        f"{what} ids are lower-case letters, digits and _, starting with a "
                        f"letter (got {key!r})"
                    )
        return value

    @field_validator("objective")
    @classmethod
    def _max_exports(cls, value: Any) -> Any:
        """``{max: exports}`` is max_exports, written the long way."""
        if isinstance(value, MaxGoal) and value.max == EXPORTS:
            return "max_exports"
        return value

    @property
    def maximises(self) -> bool:
        """Any max objective (max_exports, {max: O}, weighted): lexicographic, the most
        of the goal within the ceiling, then the cheapest plan keeping it."""
        return self.objective != "min_cost"

    @property
    def goal(self) -> dict[str, float]:
        """Outcome -> weight of what a max objective maximises (last period, lever
        outcomes); empty for min_cost. These outcomes' own targets are ignored."""
        if isinstance(self.objective, MaxGoal):
            return self.objective.weights
        return {EXPORTS: 1.0} if self.objective == "max_exports" else {}

    @property
    def objective_name(self) -> str:
        """min_cost, max_exports, or max_outcomes (a {max: ...} other than exports)."""
        return self.objective if isinstance(self.objective, str) else "max_outcomes"

    @property
    def holds_export_target(self) -> bool:
        """Whether target.exports must be met: not when exports are maximised."""
        return EXPORTS not in self.goal

    @property
    def other_outcomes(self) -> list[str]:
        """The outcomes besides exports, in file order."""
        return [o for o in self.outcomes if o != EXPORTS]

    def outcome_label(self, outcome: str) -> str:
        spec = self.outcomes.get(outcome)
        if spec is not None:
            return spec.label(outcome)
        return "exports" if outcome == EXPORTS else outcome

    @property
    def period_labels(self) -> list[int | str]:
        """The periods, or one unnamed period for a scenario without `periods`."""
        return list(self.periods) if self.periods else [""]

    @property
    def timeline(self) -> Periods:
        """The periods as one value: labels, lookup by label, discount weights."""
        return Periods(tuple(self.period_labels), self.discount_rate)

    @property
    def has_periods(self) -> bool:
        return bool(self.periods)

    def enabled_levers(self) -> dict[str, Lever]:
        return {k: v for k, v in self.levers.items() if v.enabled}

    def constraint_label(self, index: int) -> str:
        name = self.constraints[index].name
        return f'constraints[{index}] "{name}"' if name else f"constraints[{index}]"
