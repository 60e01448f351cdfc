"""Results side by side, as data: the columns (each scenario's answer reduced to
what a comparison shows), the rows of each metric across them, and their
differences against the first column (optimizer.analyses.compare builds it).

A lever missing from a column is *absent*, never zero: a disabled lever and a
lever funded at 0 units are different answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from optimizer.numbers import clean

ABSENT = "absent"
"""A value or difference where a lever is not in a column."""
NOT_COMPARABLE = "n/a"
"""A difference where one side has a value and the other has none (no plan,
no marginal cost)."""

Number = int | float
Value = str | Number | None
"""A cell: the status (str), a number, None (no value), or ABSENT."""
Diff = str | Number
"""0 / "" (no difference), a number, "a -> b" (status), ABSENT or NOT_COMPARABLE."""
Kind = Literal["status", "money", "units", "ratio"]
Source = Literal["scenario", "result.json"]


class LeverValues(NamedTuple):
    name: str
    units: Number | None
    spend: Number | None


@dataclass(frozen=True)
class Column:
    """One scenario's answer, reduced to what a comparison shows."""

    label: str
    """How the column is headed: the scenario file (and variant), or the JSON path."""
    scenario: str
    """The scenario's name."""
    currency: str
    status: str
    total_cost: Number | None
    lever_exports: Number | None
    marginal_cost: Number | None
    """The re-solved marginal cost per unit of exports (Result.marginal_cost_resolved)."""
    levers: Mapping[str, LeverValues]
    """id -> (name, units, spend) of every enabled lever, in file order."""
    source: Source = "scenario"
    outcomes: Mapping[str, Number | None] = field(default_factory=dict)
    """Each outcome besides exports over the plan (spec section 5), by id."""

    def __post_init__(self) -> None:
        """Numbers as result.json holds them (no NaN, -0.0 or dust); plain
        (name, units, spend) tuples accepted for levers."""
        for attr in ("total_cost", "lever_exports", "marginal_cost"):
            object.__setattr__(self, attr, _number(getattr(self, attr)))
        levers = {}
        for lid, (name, units, spend) in self.levers.items():
            levers[lid] = LeverValues(name, _number(units), _number(spend))
        object.__setattr__(self, "levers", levers)
        object.__setattr__(self, "outcomes",
                           {o: _number(v) for o, v in self.outcomes.items()})


@dataclass(frozen=True)
class Row:
    """One metric across the columns."""

    metric: str
    """``status``, ``total cost``, ``lever exports``, ``marginal cost``, each other
    outcome's id, ``<lever> units``, ``<lever> spend``."""
    key: str
    """Machine name: status, total_cost, lever_exports, marginal_cost_resolved,
    outcomes.<id>, levers.<id>.units, levers.<id>.spend."""
    kind: Kind
    lever: str | None
    values: tuple[Value, ...]
    """One per column."""
    diffs: tuple[Diff, ...]
    """One per column after the first, against the first."""

    @property
    def differs(self) -> bool:
        return any(_differs(d) for d in self.diffs)


@dataclass(frozen=True)
class Comparison:
    columns: tuple[Column, ...]

    @property
    def currency(self) -> str:
        return self.columns[0].currency

    @property
    def levers(self) -> list[str]:
        """Every lever id, in order of first appearance across the columns."""
        seen: dict[str, None] = {}
        for col in self.columns:
            seen.update(dict.fromkeys(col.levers))
        return list(seen)

    def rows(self) -> list[Row]:
        """status, total cost, lever exports, marginal cost, then units and spend
        of each lever in order of first appearance."""
        cols = self.columns
        rows = [
            _row("status", "status", "status", None, [c.status for c in cols]),
            _row("total cost", "total_cost", "money", None, [c.total_cost for c in cols]),
            _row("lever exports", "lever_exports", "money", None,
                 [c.lever_exports for c in cols]),
            _row("marginal cost (re-solved)", "marginal_cost_resolved", "ratio", None,
                 [c.marginal_cost for c in cols]),
        ]
        # the other outcomes (spec section 5), where any column has them
        seen: dict[str, None] = {}
        for col in cols:
            seen.update(dict.fromkeys(col.outcomes))
        for o in seen:
            rows.append(_row(o, f"outcomes.{o}", "units", None,
                             [c.outcomes.get(o, ABSENT) for c in cols]))
        for lid in self.levers:
            found = [c.levers.get(lid) for c in cols]
            rows.append(_row(f"{lid} units", f"levers.{lid}.units", "units", lid,
                             [ABSENT if v is None else v.units for v in found]))
            rows.append(_row(f"{lid} spend", f"levers.{lid}.spend", "money", lid,
                             [ABSENT if v is None else v.spend for v in found]))
        return rows

    @property
    def identical(self) -> bool:
        """No difference at all between any column and the first."""
        return not any(row.differs for row in self.rows())


def _row(metric: str, key: str, kind: Kind, lever: str | None, values: list[Value]) -> Row:
    first = values[0]
    return Row(metric, key, kind, lever, tuple(values),
               tuple(_diff(first, v, kind) for v in values[1:]))


def _diff(first: Value, other: Value, kind: Kind) -> Diff:
    if kind == "status":
        return "" if first == other else f"{first} -> {other}"
    if first == ABSENT or other == ABSENT:
        return "" if first == other else ABSENT
    if first is None or other is None:
        return "" if first is other else NOT_COMPARABLE
    assert _is_number(first) and _is_number(other)
    if isinstance(first, int) and isinstance(other, int):
        return other - first
    d = float(other) - float(first)
    if abs(d) <= 1e-9 * max(1.0, abs(float(first)), abs(float(other))):
        return 0.0  # round-off of two solves, and never -0.0
    return d


def _differs(d: Diff) -> bool:
    return d != "" and d != 0


def _number(value: Any) -> Number | None:
    """JSON-safe: None for NaN/inf, no -0.0 or dust below 1e-9, ints kept."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    value = float(value)
    return clean(value) if math.isfinite(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
