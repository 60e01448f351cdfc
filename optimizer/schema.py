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
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from optimizer.amounts import AmountError, parse_amount, parse_fraction, parse_number

LEVER_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
CURRENCY = re.compile(r"[A-Z]{3}\Z")


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


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, strict=False
    )


class Lever(Strict):
    """One strategy lever: a thing the ministry can buy units of."""

    name: str | None = None
    """Label in tables; defaults to the lever id."""
    unit: str = "unit"
    """What one unit is (worker, centre, USD committed)."""
    unit_cost: Amount
    """Gross cost of one unit, reporting currency per unit."""
    yield_per_unit: Amount
    """Annual exports one unit adds, reporting currency per unit per year."""
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

    @property
    def net_unit_cost(self) -> float:
        """Reporting currency per unit, after cost recovery."""
        return self.unit_cost * (1.0 - self.cost_recovery)

    def label(self, lever_id: str) -> str:
        return self.name or lever_id


class Target(Strict):
    """The export goal."""

    exports: Amount
    """Annual exports to reach (reporting currency per year)."""
    baseline: Amount = 0.0
    """Annual exports that exist with no lever (reporting currency per year)."""
    includes_baseline: StrictBool = False
    """True: `exports` is a total and the baseline counts toward it."""
    source: str | None = None
    """Provenance of the target and baseline."""

    @property
    def needed(self) -> float:
        """Lever exports required (reporting currency per year)."""
        return self.exports - self.baseline if self.includes_baseline else self.exports


class Budget(Strict):
    """Spending limits."""

    ceiling: Amount | None = None
    """Total net spend cap (reporting currency); none by default."""
    source: str | None = None
    """Provenance of the ceiling."""


class LinearConstraint(Strict):
    """An extra linear relation between levers' units, spend and exports."""

    name: str | None = None
    """Label used in messages; defaults to constraints[i]."""
    expr: str
    """One relation such as '10 * erozgar_centers <= it_workforce + 50000'."""
    source: str | None = None
    """Why the relation holds."""


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
    target: Target
    """What must be reached."""
    budget: Budget = Budget()
    """Spending limits."""
    objective: Literal["min_cost", "max_exports"] = "min_cost"
    """min_cost: cheapest plan reaching the target; max_exports: most exports within the ceiling."""
    levers: dict[str, Lever] = Field(min_length=1)
    """Lever id ([a-z][a-z0-9_]*) -> lever, in file order."""
    constraints: list[LinearConstraint] = []
    """Extra linear constraints."""

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

    @field_validator("levers", mode="before")
    @classmethod
    def _lever_ids(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or not LEVER_ID.match(key):
                    raise ValueError(
                        "lever ids are lower-case letters, digits and _, starting with a "
                        f"letter (got {key!r})"
                    )
        return value

    def enabled_levers(self) -> dict[str, Lever]:
        return {k: v for k, v in self.levers.items() if v.enabled}

    def constraint_label(self, index: int) -> str:
        name = self.constraints[index].name
        return f'constraints[{index}] "{name}"' if name else f"constraints[{index}]"
