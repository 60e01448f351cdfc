"""ModelData: the math's input contract, plain and frozen.

Money is in *model money* (the reporting currency divided by
``money_scale``) and units in *model units* (scenario units divided by the
lever's ``unit_scale``), chosen by the caller so that matrix coefficients
sit near 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["units", "spend", "exports"]
Sense = Literal["<=", ">=", "=="]


@dataclass(frozen=True)
class LeverData:
    id: str
    cost: float
    """Net variable cost per model unit (model money)."""
    yield_: float
    """Annual exports per model unit (model money)."""
    lower: float
    """Lower bound on units (model units)."""
    upper: float | None
    """Upper bound on units from max_units (model units); None = none."""
    integer: bool
    fixed_cost: float = 0.0
    """Paid once when units > 0 (model money)."""
    min_if_used: float | None = None
    """Units are 0 or at least this (model units)."""
    on_off_bound: float | None = None
    """Largest units can get (model units); links units to the use binary."""
    min_spend: float | None = None
    """Lower bound on net spend, variable plus fixed (model money)."""
    max_spend: float | None = None
    """Upper bound on net spend, variable plus fixed (model money)."""

    @property
    def needs_binary(self) -> bool:
        return self.fixed_cost > 0 or self.min_if_used is not None


@dataclass(frozen=True)
class RowData:
    """``sum(coef * quantity(kind, lever)) SENSE rhs`` in model units and money."""

    label: str
    terms: tuple[tuple[Kind, int, float], ...]
    sense: Sense
    rhs: float


@dataclass(frozen=True)
class ModelData:
    levers: tuple[LeverData, ...]
    needed: float
    """Lever exports required (model money)."""
    ceiling: float | None
    """Total net spend cap (model money); None = none."""
    objective: Literal["min_cost", "max_exports"]
    rows: tuple[RowData, ...] = ()
