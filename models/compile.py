"""A Pyomo model -> the arrays a solver takes in bulk (one pass, no visitor).

Pyomo's solver interfaces walk every constraint's expression tree to find
its coefficients; at 20,000 rows that walk took most of the run. The
families in :mod:`models.build` emit flat ``LinearExpression`` bodies, so the
coefficients are read straight off them. Any other body (a hand-added
constraint) falls back to Pyomo's ``generate_standard_repn``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pyomo.core as pyo
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.standard_repn import generate_standard_repn

INF = math.inf


@dataclass
class Matrix:
    """A linear (mixed-integer) model as arrays, rows in component order."""

    columns: list[VarData]
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    """bool per column."""
    rows: list[pyo.Constraint]
    """The ConstraintData of each row."""
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_offset: np.ndarray
    """Constant of each row's body (already moved out of the bounds)."""
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    """Row-wise sparse matrix (CSR)."""
    objectives: dict[str, tuple[np.ndarray, float, int]] = field(default_factory=dict)
    """Objective name -> (cost per column, constant, sense: 1 min / -1 max)."""
    column_of: dict[int, int] = field(default_factory=dict)
    """id(var) -> column."""
    row_of: dict[int, int] = field(default_factory=dict)
    """id(constraint data) -> row."""


def _linear(body: object) -> tuple[list[tuple[VarData, float]], float]:
    """(var, coef) pairs and the constant of a linear expression."""
    if body.__class__ is LinearExpression:
        terms, const = [], 0.0
        for arg in cast(LinearExpression, body).args:  # the exact class, tested above
            cls = arg.__class__
            if cls is MonomialTermExpression:
                coef, var = arg.args
                terms.append((var, pyo.value(coef)))
            elif isinstance(arg, VarData):
                terms.append((arg, 1.0))
            else:
                const += pyo.value(arg)
        return terms, const
    repn = generate_standard_repn(body, compute_values=True, quadratic=False)
    if repn.nonlinear_expr is not None:
        raise ValueError(f"not linear: {body}")
    return list(zip(repn.linear_vars, repn.linear_coefs, strict=True)), repn.constant


def bounds_of(con: pyo.Constraint, offset: float) -> tuple[float, float]:
    """A row's current bounds (mutable parameters evaluated) less its body's constant.

    An inactive constraint keeps its row, free, so activating it later only
    changes bounds and row numbers never move.
    """
    if not con.active:
        return -INF, INF
    lo, hi = con.lb, con.ub
    return (-INF if lo is None else lo - offset, INF if hi is None else hi - offset)


def column_bounds(var: VarData) -> tuple[float, float, bool]:
    lo, hi = var.bounds
    integer = var.is_integer() or var.is_binary()
    if var.fixed:
        lo = hi = var.value
    return (-INF if lo is None else lo, INF if hi is None else hi, integer)


def compile_model(m: pyo.ConcreteModel) -> Matrix:
    """Every variable, constraint (inactive ones free) and objective of ``m``."""
    columns = list(m.component_data_objects(pyo.Var, descend_into=True))
    column_of = {id(v): j for j, v in enumerate(columns)}
    lows, highs, ints = zip(*(column_bounds(v) for v in columns), strict=True) if columns else (
        (), (), ())
    rows = list(m.component_data_objects(pyo.Constraint, descend_into=True))
    start = [0]
    index: list[int] = []
    value: list[float] = []
    row_lower, row_upper, offsets = [], [], []
    for con in rows:
        terms, const = _linear(con.body)
        for var, coef in terms:
            if coef:
                index.append(column_of[id(var)])
                value.append(coef)
        start.append(len(index))
        lo, hi = bounds_of(con, const)
        row_lower.append(lo)
        row_upper.append(hi)
        offsets.append(const)
    objectives = {}
    for obj in m.component_data_objects(pyo.Objective, descend_into=True):
        terms, const = _linear(obj.expr)
        cost = np.zeros(len(columns))
        for var, coef in terms:
            cost[column_of[id(var)]] += coef
        objectives[obj.name] = (cost, const, 1 if obj.sense == pyo.minimize else -1)
    return Matrix(
        columns=columns,
        col_lower=np.array(lows, dtype=float),
        col_upper=np.array(highs, dtype=float),
        integer=np.array(ints, dtype=bool),
        rows=rows,
        row_lower=np.array(row_lower, dtype=float),
        row_upper=np.array(row_upper, dtype=float),
        row_offset=np.array(offsets, dtype=float),
        start=np.array(start, dtype=np.int32),
        index=np.array(index, dtype=np.int32),
        value=np.array(value, dtype=float),
        objectives=objectives,
        column_of=column_of,
        row_of={id(c): i for i, c in enumerate(rows)},
    )
