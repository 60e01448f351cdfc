"""ModelData: the math's input contract, plain and frozen.

Money is in *model money* (the reporting currency divided by a power of
ten) and units in *model units* (scenario units divided by the lever's
``unit_scale``), chosen by the caller so that matrix coefficients sit near 1.
Periods are numbered 0..K-1; a scenario without periods has K = 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Kind = Literal["units", "spend", "exports", "active", "curve"]
"""A constraint term's quantity; "curve": an outcome curve's value (OutcomeCurve, its
index in ModelData.outcome_curves in place of a lever's)."""
Sense = Literal["<=", ">=", "=="]
Formulation = Literal["linear", "concave_lp", "piecewise_binary"]


@dataclass(frozen=True)
class Curve:
    """Annual exports as a piecewise-linear function of active units."""

    units: tuple[float, ...]
    """Breakpoints in model units, starting at 0, strictly increasing."""
    exports: tuple[float, ...]
    """Exports at each breakpoint (model money)."""

    # cached: the concave rows read a segment's slope and intercept per row, and
    # recomputing every segment's each time was 1.4 s of a 1,000-lever build
    @cached_property
    def slopes(self) -> list[float]:
        pts = list(zip(self.units, self.exports, strict=True))
        return [(e1 - e0) / (u1 - u0) for (u0, e0), (u1, e1) in zip(pts, pts[1:], strict=False)]

    @cached_property
    def intercepts(self) -> list[float]:
        return [e0 - s * u0 for s, u0, e0 in zip(self.slopes, self.units, self.exports,
                                                  strict=False)]


@dataclass(frozen=True)
class LeverData:
    id: str
    cost: tuple[float, ...]
    """Net variable cost per model unit funded, in each period (model money)."""
    yield_: float
    """Annual exports per active model unit (model money); unused with a curve."""
    lower: float
    """Lower bound on units funded over the horizon (model units)."""
    upper: float | None
    """Upper bound on units funded over the horizon (model units); None = none."""
    integer: bool
    grain: float | None = None
    """An integer lever solved continuous (its unit is negligible at the model's
    scale): its units are rounded to multiples of this (model units) and the
    plan re-solved with them fixed."""
    fixed_cost: float = 0.0
    """Paid once, in the first period with units funded (model money)."""
    on_off_bound: float | None = None
    """Largest total units can get (model units); links units to the use binary."""
    min_spend: float | None = None
    """Lower bound on net spend over the horizon, variable plus fixed (model money)."""
    max_spend: float | None = None
    """Upper bound on net spend over the horizon, variable plus fixed (model money)."""
    recurring: float = 0.0
    """Cost per active model unit in every period (model money)."""
    lag: int = 0
    """Units funded in period k first export in period k + lag."""
    attrition: float = 0.0
    """Share of active units lost each period after the first."""
    max_per_period: float | None = None
    """Cap on units funded in any one period (model units)."""
    curve: Curve | None = None
    formulation: Formulation = "linear"
    fixed_units: float | None = None
    """Exactly this many units over the horizon (model units)."""
    needs_use: bool = False
    """Has a use binary u (fixed cost, min_units_if_used, requires or excludes)."""
    use_floor: float | None = None
    """A used lever funds at least this over the horizon: X >= use_floor * u (model units)."""
    pin_start: float | None = None
    """With per-period ceilings: units funded in the start period >= this (model units)."""
    floor_cost: float = 0.0
    """The most the floors standing in for "units > 0" can add to spend (model money)."""
    dust_exports: float = 0.0
    """The most exports a yield left out of the model as dust could add (model units)."""


@dataclass(frozen=True)
class RowData:
    """``sum(coef * quantity(kind, lever)) SENSE rhs`` in model units and money.

    units and spend are horizon totals; exports and active units are the last
    period's (an outcome besides exports is its yield times active units).
    """

    label: str
    terms: tuple[tuple[Kind, int, float], ...]
    sense: Sense
    rhs: float


@dataclass(frozen=True)
class OutcomeFloor:
    """``sum_l yields[l] * active[l, period] >= rhs``: a floor on an outcome other
    than exports, in the outcome's model unit (spec section 5)."""

    outcome: str
    period: int
    yields: tuple[float, ...]
    """Per lever (in ModelData.levers order): the outcome per active model unit."""
    rhs: float
    unit: float = 1.0
    """The outcome's own units per model unit of this row."""
    curves: tuple[tuple[int, float], ...] = ()
    """(index in ModelData.outcome_curves, row units per curve model unit): the
    levers whose outcome here is a curve (their ``yields`` entry is 0)."""


@dataclass(frozen=True)
class OutcomeCurve:
    """An outcome besides exports as a piecewise-linear function of a lever's active
    units (yield_curves), as the exports curve is modelled: a concave curve where more
    of the outcome only helps by its hypograph, any other exactly with binaries (see
    models.build.add_outcome_curves). ``curve.exports`` holds the outcome at each
    breakpoint, in curve model units."""

    lever: int
    outcome: str
    curve: Curve
    unit: float
    """The outcome's own units per curve model unit."""
    formulation: Formulation = "concave_lp"
    """concave_lp: the hypograph (oc); piecewise_binary: the incremental formulation
    (od, oy), for a curve that is not concave or whose outcome a constraint caps."""


@dataclass(frozen=True)
class Goal:
    """What a max objective other than max_exports maximises (spec section 5), in
    its own model unit: ``exports * sum_l exports[l, last] + sum_l yields[l] *
    active[l, last]`` (the weighted last-period lever outcomes)."""

    exports: float
    """Goal model units per model unit of exports (0: exports are not maximised)."""
    yields: tuple[float, ...]
    """Per lever: goal model units per active model unit, the other outcomes' yields
    weighted and summed."""
    curves: tuple[tuple[int, float], ...] = ()
    """(index in ModelData.outcome_curves, goal model units per curve model unit)."""


@dataclass(frozen=True)
class Chance:
    """A chance constraint on the last period's exports, by sample average.

    ``yields[j][l]`` and ``keeps[j][l]`` are lever l's exports per active unit
    (model money per model unit) and 1 - attrition in sample j; levers with a
    yield curve keep their (deterministic) curve exports.
    """

    yields: tuple[tuple[float, ...], ...]
    keeps: tuple[tuple[float, ...], ...]
    required: int
    """Samples that must reach the target."""


@dataclass(frozen=True)
class ModelData:
    levers: tuple[LeverData, ...]
    needed: float
    """Lever exports required in the last period (model money)."""
    ceiling: float | None
    """Total undiscounted net spend cap (model money); None = none."""
    objective: Literal["min_cost", "max_exports", "max_goal"]
    rows: tuple[RowData, ...] = ()
    periods: int = 1
    weights: tuple[float, ...] = (1.0,)
    """Discount weight of each period's spend in the objective."""
    milestones: tuple[tuple[int, float], ...] = ()
    """(period, lever exports required) for earlier periods (model money)."""
    period_ceilings: tuple[tuple[int, float], ...] = ()
    """(period, net spend cap) (model money)."""
    requires: tuple[tuple[int, int], ...] = ()
    """(l, r): lever l may be used only if lever r is."""
    excludes: tuple[tuple[int, int], ...] = ()
    """(l, e): levers l and e are not both used."""
    chance: Chance | None = None
    """Reach the target in at least ``chance.required`` samples, not for sure."""
    outcome_floors: tuple[OutcomeFloor, ...] = ()
    """Floors and milestones on the outcomes besides exports."""
    outcome_curves: tuple[OutcomeCurve, ...] = ()
    """The outcomes besides exports that follow a curve of a lever's active units."""
    goal: Goal | None = None
    """What ``max_goal`` maximises ({max: O}, weighted); None for the other objectives."""

    @property
    def export_periods(self) -> list[int]:
        """Periods whose exports enter a row: the milestones' and the last."""
        return sorted({k for k, _ in self.milestones} | {self.periods - 1})
