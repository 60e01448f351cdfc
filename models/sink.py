"""Where the families of :mod:`models.build` put their variables and rows.

The math is written once, in the families; a sink decides what it becomes:

- :class:`PyomoSink` makes a Pyomo model (the model the engine names rows
  and columns by, and what is written out for audit);
- :class:`ArraySink` makes the arrays HiGHS takes (:class:`models.compile.Matrix`)
  with no Pyomo at all, in the order :func:`models.compile.compile_model`
  reads the Pyomo model (components in declaration order, each over its
  index in order), so a re-solve with other parameters pushes coefficients
  without building a model.

The two agree exactly (tests/test_arrays.py): same rows, columns, values,
bounds and objectives.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.core as pyo

from models.affine import Affine, Row
from models.compile import Matrix

INF = math.inf
Key = int | tuple[int, ...] | None
"""An index of a family as Pyomo gives it: an int, a flat tuple of ints, or None
for a single row."""
Rule = Callable[..., Row]

_DOMAINS = {  # name: (Pyomo domain, (lower, upper) of the domain, integer)
    "reals": (pyo.Reals, (None, None), False),
    "nonneg": (pyo.NonNegativeReals, (0, None), False),
    "nonneg_int": (pyo.NonNegativeIntegers, (0, None), True),
    "binary": (pyo.Binary, (0, 1), True),
}


def _flat(combo: tuple[Any, ...]) -> Key:
    """An index as Pyomo gives it: a member of one set alone, else one flat tuple."""
    parts: list[int] = []
    for item in combo:
        if isinstance(item, tuple):
            parts.extend(item)
        else:
            parts.append(item)
    return parts[0] if len(parts) == 1 else tuple(parts)


def keys(sets: Sequence[Iterable[Any]]) -> list[Key]:
    """Every index of a family over ``sets`` (their product, in order)."""
    return [_flat(combo) for combo in itertools.product(*sets)]


class Sink:
    """What the families call; ``m`` is the namespace they read sets and variables from."""

    m: Any

    def set(self, name: str, items: Iterable[Any], dimen: int | None = None) -> Any:
        raise NotImplementedError

    def var(self, name: str, sets: Sequence[Iterable[Any]], domain: Callable[..., str] | str,
            bounds: Callable[..., tuple[float | None, float | None]] | None = None) -> Any:
        raise NotImplementedError

    def fix(self, var: Any, value: float) -> None:
        raise NotImplementedError

    def per_column(self, name: str, pairs: Iterable[tuple[Any, float]]) -> None:
        """A value kept per column (the grain of an integer lever solved continuous,
        a bound every plan keeps), not part of the matrix."""
        raise NotImplementedError

    def param(self, name: str, value: float) -> Any:
        """A mutable parameter (a re-solve moves it without rebuilding)."""
        raise NotImplementedError

    def rows(self, name: str, sets: Sequence[Iterable[Any]], rule: Rule) -> None:
        raise NotImplementedError

    def row(self, name: str, row: Row) -> None:
        raise NotImplementedError

    def deactivate(self, name: str) -> None:
        """The family's rows stay in the model, free (their numbers never move)."""
        raise NotImplementedError

    def objective(self, name: str, form: Affine, maximise: bool) -> None:
        raise NotImplementedError

    def objectives(self, name: str, index: Sequence[Any], rule: Callable[..., Affine],
                   maximise: bool) -> None:
        raise NotImplementedError


def _pyomo_domain(domain: Callable[..., str] | str) -> Any:
    if isinstance(domain, str):
        return _DOMAINS[domain][0]
    return lambda _m, *key: _DOMAINS[domain(*key)][0]


def _pyomo_row(row: Row) -> tuple[Any, Any, Any]:
    return (row.lower, row.form.expr() if row.whole else row.form.body(), row.upper)


class PyomoSink(Sink):
    """The families' output as components of one Pyomo model."""

    def __init__(self, name: str) -> None:
        self.m = pyo.ConcreteModel(name=name)

    def set(self, name: str, items: Iterable[Any], dimen: int | None = None) -> Any:
        kw = {} if dimen is None else {"dimen": dimen}
        setattr(self.m, name, pyo.Set(initialize=items, ordered=True, **kw))
        return getattr(self.m, name)

    def var(self, name: str, sets: Sequence[Iterable[Any]], domain: Callable[..., str] | str,
            bounds: Callable[..., tuple[float | None, float | None]] | None = None) -> Any:
        kw: dict[str, Any] = {"domain": _pyomo_domain(domain)}
        if bounds is not None:
            kw["bounds"] = lambda _m, *key: bounds(*key)
        setattr(self.m, name, pyo.Var(*sets, **kw))
        return getattr(self.m, name)

    def fix(self, var: Any, value: float) -> None:
        var.fix(value)

    def per_column(self, name: str, pairs: Iterable[tuple[Any, float]]) -> None:
        setattr(self.m, name, {id(var): value for var, value in pairs})

    def param(self, name: str, value: float) -> Any:
        setattr(self.m, name, pyo.Param(mutable=True, initialize=value))
        return getattr(self.m, name)

    def rows(self, name: str, sets: Sequence[Iterable[Any]], rule: Rule) -> None:
        setattr(self.m, name, pyo.Constraint(
            *sets, rule=lambda m, *key: _pyomo_row(rule(m, *key))))

    def row(self, name: str, row: Row) -> None:
        setattr(self.m, name, pyo.Constraint(expr=_pyomo_row(row)))

    def deactivate(self, name: str) -> None:
        getattr(self.m, name).deactivate()

    def objective(self, name: str, form: Affine, maximise: bool) -> None:
        setattr(self.m, name, pyo.Objective(
            expr=form.expr(), sense=pyo.maximize if maximise else pyo.minimize))

    def objectives(self, name: str, index: Sequence[Any], rule: Callable[..., Affine],
                   maximise: bool) -> None:
        setattr(self.m, name, pyo.Objective(
            index, rule=lambda m, *key: rule(m, *key).expr(),
            sense=pyo.maximize if maximise else pyo.minimize))


@dataclass(eq=False, slots=True)
class Col:
    """A column of :class:`ArraySink`: what the families read of a variable, and
    what the engine reads and sets of one in a :class:`LiteModel` (its value, its
    family and index), as of a Pyomo ``VarData``."""

    col: int
    lb: float | None
    ub: float | None
    integer: bool
    fixed: bool = False
    value: float | None = None
    family: str = ""
    key: Key = None

    def set_value(self, value: float | None, skip_validation: bool = False) -> None:
        self.value = value

    def is_numeric_type(self) -> bool:  # read by pyomo.value as a VarData is
        return True

    def is_constant(self) -> bool:
        return False

    def __call__(self, exception: bool = True) -> float | None:
        return self.value

    def parent_component(self) -> _Component:
        return _Component(self.family)

    def index(self) -> Key:
        return self.key


@dataclass(frozen=True, slots=True)
class _Component:
    """What ``parent_component()`` gives of a lite row or column: its family's name."""

    local_name: str


class Param:
    """A mutable parameter of :class:`ArraySink` (the goal, the ceiling, the samples
    required): a re-solve moves it, as a Pyomo mutable ``Param``."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def set_value(self, value: float) -> None:
        self.value = value

    def is_numeric_type(self) -> bool:  # read by pyomo.value and is_constant
        return True

    def is_constant(self) -> bool:
        return False

    def __call__(self, exception: bool = True) -> float:
        return self.value


def _number(bound: Any) -> Any:
    return bound.value if isinstance(bound, Param) else bound


class _Namespace:
    """The sets and variables of an ArraySink, by the names the families use."""


@dataclass
class _Family:
    name: str
    first: int
    keys: list[Key] = field(default_factory=list)


class ArraySink(Sink):
    """The families' output as the arrays of :class:`models.compile.Matrix`."""

    def __init__(self) -> None:
        self.m = _Namespace()
        self.cols: list[Col] = []
        self.col_keys: list[tuple[str, Key]] = []
        self.row_keys: list[tuple[str, Key]] = []
        self.start: list[int] = [0]
        self.index: list[int] = []
        self.value: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.offset: list[float] = []
        self.families: dict[str, tuple[int, int]] = {}
        self.extra: dict[str, dict[int, float]] = {}
        self.objective_arrays: dict[str, tuple[np.ndarray, float, int]] = {}
        self.whole: dict[int, tuple[Any, Any]] = {}
        """Row -> its bounds as stated, for rows that keep their constant (parameters)."""
        self.inactive: list[str] = []
        self.objective_index: dict[str, list[Any] | None] = {}

    def set(self, name: str, items: Iterable[Any], dimen: int | None = None) -> Any:
        out = list(items)
        setattr(self.m, name, out)
        return out

    def var(self, name: str, sets: Sequence[Iterable[Any]], domain: Callable[..., str] | str,
            bounds: Callable[..., tuple[float | None, float | None]] | None = None) -> Any:
        out: dict[Key, Col] = {}
        for key in keys(sets):
            args = key if isinstance(key, tuple) else (key,)
            kind = domain if isinstance(domain, str) else domain(*args)
            _, (dlo, dhi), integer = _DOMAINS[kind]
            lo, hi = (None, None) if bounds is None else bounds(*args)
            col = Col(len(self.cols), _resolve(lo, dlo, -INF, max), _resolve(hi, dhi, INF, min),
                      integer, family=name, key=key)
            out[key] = col
            self.cols.append(col)
            self.col_keys.append((name, key))
        setattr(self.m, name, out)
        return out

    def fix(self, var: Any, value: float) -> None:
        var.fixed, var.value = True, value

    def per_column(self, name: str, pairs: Iterable[tuple[Any, float]]) -> None:
        self.extra[name] = {var.col: value for var, value in pairs}

    def param(self, name: str, value: float) -> Any:
        out = Param(value)
        setattr(self.m, name, out)
        return out

    def rows(self, name: str, sets: Sequence[Iterable[Any]], rule: Rule) -> None:
        first = len(self.lower)
        for key in keys(sets):
            self._add(name, key, rule(self.m, *(key if isinstance(key, tuple) else (key,))))
        self.families[name] = (first, len(self.lower))

    def row(self, name: str, row: Row) -> None:
        first = len(self.lower)
        self._add(name, None, row)
        self.families[name] = (first, len(self.lower))

    def _add(self, name: str, key: Key, row: Row) -> None:
        form = row.form
        cols = form.vars
        terms = form.terms
        # (comprehensions, not a loop of appends: this runs once per nonzero)
        self.index.extend([cols[k].col for k, coef in terms.items() if coef])
        self.value.extend([coef for coef in terms.values() if coef])
        self.start.append(len(self.index))
        if row.whole:
            offset = form.const
            lo, hi = _number(row.lower), _number(row.upper)
            # (bounds that may be parameters: a LiteModel's row reads them live)
            self.whole[len(self.lower)] = (row.lower, row.upper)
        else:
            offset, lo, hi = 0.0, row.lower, row.upper
        # as models.compile.bounds_of reads the Pyomo row (its constant out of the bounds)
        self.lower.append(-INF if lo is None else lo - offset)
        self.upper.append(INF if hi is None else hi - offset)
        self.offset.append(offset)
        self.row_keys.append((name, key))

    def deactivate(self, name: str) -> None:
        first, end = self.families[name]
        self.inactive.append(name)
        for r in range(first, end):
            self.lower[r], self.upper[r] = -INF, INF

    def objective(self, name: str, form: Affine, maximise: bool) -> None:
        self.objective_arrays[name] = self._cost(form, maximise)
        self.objective_index[name] = None

    def objectives(self, name: str, index: Sequence[Any], rule: Callable[..., Affine],
                   maximise: bool) -> None:
        self.objective_index[name] = list(index)
        for key in index:
            label = ",".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
            args = key if isinstance(key, tuple) else (key,)
            self.objective_arrays[f"{name}[{label}]"] = self._cost(rule(self.m, *args), maximise)

    def _cost(self, form: Affine, maximise: bool) -> tuple[np.ndarray, float, int]:
        # (objectives come last: every column exists by now)
        cost = np.zeros(len(self.cols))
        cols = form.vars
        for k, coef in form.terms.items():
            if coef:
                cost[cols[k].col] += coef
        return cost, form.const, -1 if maximise else 1

    def lite(self) -> tuple[Arrays, LiteModel]:
        """The arrays, and the model that names their rows and columns."""
        arrays = self.matrix()
        model = LiteModel(self)
        arrays.bound(model.columns, model.rows)
        return arrays, model

    def matrix(self) -> Arrays:
        """The arrays (and each row's and column's family and index)."""
        n = len(self.cols)
        objectives = self.objective_arrays
        lows, highs = [], []
        for c in self.cols:
            if c.fixed:
                lows.append(c.value)
                highs.append(c.value)
            else:
                lows.append(-INF if c.lb is None else c.lb)
                highs.append(INF if c.ub is None else c.ub)
        matrix = Matrix(
            columns=[], col_lower=np.array(lows, dtype=float),
            col_upper=np.array(highs, dtype=float),
            integer=np.array([c.integer for c in self.cols], dtype=bool), rows=[],
            row_lower=np.array(self.lower, dtype=float),
            row_upper=np.array(self.upper, dtype=float),
            row_offset=np.array(self.offset, dtype=float),
            start=np.array(self.start, dtype=np.int32),
            index=np.array(self.index, dtype=np.int32),
            value=np.array(self.value, dtype=float),
            objectives=objectives)
        per_column = {name: _column_array(values, n, default)
                      for name, default in (("grain_of", 0.0), ("implied_upper", INF))
                      for values in [self.extra.get(name, {})]}
        return Arrays(matrix, self.col_keys, self.row_keys, per_column)


def _column_array(values: dict[int, float], n: int, default: float) -> np.ndarray:
    out = np.full(n, default)
    for j, v in values.items():
        out[j] = v
    return out


def _resolve(bound: float | None, domain: float | None, unbounded: float,
             pick: Callable[[float, float], float]) -> float | None:
    """A column bound as Pyomo's VarData resolves it with its domain's."""
    if bound is not None and bound == unbounded:
        bound = None
    if domain is None:
        return bound
    return domain if bound is None else pick(bound, domain)


@dataclass
class Arrays:
    """ArraySink's output: the matrix (no Pyomo objects in it) and what each row and
    column is, as (family, index) the way Pyomo names the component data."""

    matrix: Matrix
    col_keys: list[tuple[str, Key]]
    row_keys: list[tuple[str, Key]]
    per_column: dict[str, np.ndarray]
    """"grain_of" and "implied_upper" per column (models.build.add_units)."""

    def bound(self, columns: list[Any], rows: list[Any]) -> Matrix:
        """The matrix with a Pyomo model's columns and rows (one of the same shape)."""
        m = self.matrix
        m.columns, m.rows = columns, rows
        m.column_of = {id(v): j for j, v in enumerate(columns)}
        m.row_of = {id(c): i for i, c in enumerate(rows)}
        return m


def _label(family: str, key: Key) -> str:
    """A row's or objective's name as Pyomo gives it: ``target``, ``milestone[2]``,
    ``concave[0,2,1]``."""
    if key is None:
        return family
    return f"{family}[{','.join(str(k) for k in key) if isinstance(key, tuple) else key}]"


class LiteRow:
    """A row of a :class:`LiteModel`: what the engine and the HiGHS wrapper read of a
    Pyomo ``ConstraintData`` (whether it is active, its bounds when they are
    parameters, its name, family and index), without the expression."""

    __slots__ = ("active", "family", "key", "lower", "upper")

    def __init__(self, family: str, key: Key, lower: Any = None, upper: Any = None,
                 active: bool = True) -> None:
        self.family, self.key, self.active = family, key, active
        self.lower, self.upper = lower, upper
        """The bounds as stated for a row that keeps its constant (a parameter, a
        number or None); None for the others, whose bounds are the arrays'."""

    @property
    def lb(self) -> Any:
        return _number(self.lower)

    @property
    def ub(self) -> Any:
        return _number(self.upper)

    @property
    def name(self) -> str:
        return _label(self.family, self.key)

    def activate(self) -> None:
        self.active = True

    def deactivate(self) -> None:
        self.active = False

    def parent_component(self) -> _Component:
        return _Component(self.family)

    def index(self) -> Key:
        return self.key


class _Indexed(dict[Any, Any]):
    """An indexed family of a LiteModel: its rows (or objectives) by index, switched
    on and off together."""

    def activate(self) -> None:
        for item in self.values():
            item.activate()

    def deactivate(self) -> None:
        for item in self.values():
            item.deactivate()


@dataclass(eq=False, slots=True)
class LiteObjective:
    name: str
    active: bool = True

    def activate(self) -> None:
        self.active = True

    def deactivate(self) -> None:
        self.active = False


class LiteModel:
    """The model as the solve reads it, made from ArraySink's output with no Pyomo:
    the sets and variables by the families' names (``m.x[i, k]`` a :class:`Col`),
    the mutable parameters (``m.needed``), the rows (``m.target``,
    ``m.milestone[k]``) and objectives, and ``component_data_objects`` over them in
    the order of the Pyomo model's (test_arrays holds the families' keys equal). A
    question that adds rows to the model or writes it asks for the Pyomo model
    (engine.Session.current_model)."""

    def __init__(self, sink: ArraySink) -> None:
        for name, value in vars(sink.m).items():
            setattr(self, name, value)
        inactive = set(sink.inactive)
        self.rows: list[LiteRow] = []
        whole = sink.whole
        for r, (family, key) in enumerate(sink.row_keys):
            lower, upper = whole.get(r, (None, None))
            self.rows.append(LiteRow(family, key, lower, upper, family not in inactive))
        for family, (first, end) in sink.families.items():
            keys = sink.row_keys[first:end]
            if len(keys) == 1 and keys[0][1] is None:
                setattr(self, family, self.rows[first])
            else:
                setattr(self, family, _Indexed(
                    (key, row) for (_, key), row in zip(keys, self.rows[first:end],
                                                         strict=True)))
        self.columns: list[Col] = sink.cols
        self.objectives: list[LiteObjective] = []
        for family, index in sink.objective_index.items():
            if index is None:
                objective = LiteObjective(family)
                self.objectives.append(objective)
                setattr(self, family, objective)
            else:
                by_key = _Indexed()
                for key in index:
                    by_key[key] = LiteObjective(_label(family, key))
                    self.objectives.append(by_key[key])
                setattr(self, family, by_key)

    def __getattr__(self, name: str) -> Any:
        # (only for attributes not set: the families' names are set in __init__; this
        # tells a type checker that they are there)
        raise AttributeError(name)

    def component_data_objects(self, ctype: Any, **_: Any) -> Iterable[Any]:
        if ctype is pyo.Objective:
            return iter(self.objectives)
        if ctype is pyo.Var:
            return iter(self.columns)
        if ctype is pyo.Constraint:
            return iter(self.rows)
        raise TypeError(f"a LiteModel has no {ctype}")
