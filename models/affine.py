"""Affine forms over Pyomo variables, built with dicts and emitted flat.

Pyomo's operator overloading builds a tree per ``+``; summing the stock of a
lever over ten periods for a thousand levers that way costs seconds, and the
solver interface then walks every tree again. Here a form is a plain dict
of coefficients plus a constant, combined with dict arithmetic, and each
constraint body is emitted once as a flat ``LinearExpression`` that
:mod:`models.compile` reads without a visitor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


class Affine:
    """``sum(coef * var) + const``.

    Pyomo variables are not hashable (``==`` builds an expression), so terms
    are keyed by ``id(var)`` with the variables kept beside them. A variable is
    a Pyomo ``VarData`` or, where the model is emitted as arrays, a
    :class:`models.sink.Col` (the same ``lb``, ``ub`` and ``fixed``).
    """

    __slots__ = ("const", "terms", "vars")

    def __init__(
        self, terms: Iterable[tuple[VarData, float]] = (), const: float = 0.0
    ) -> None:
        self.terms: dict[int, float] = {}
        self.vars: dict[int, VarData] = {}
        self.const = const
        for var, coef in terms:
            self.add_var(var, coef)

    @classmethod
    def of(cls, var: VarData, coef: float = 1.0) -> Affine:
        return cls().add_var(var, coef)

    @classmethod
    def total(cls, forms: Iterable[Affine], scales: Iterable[float] | None = None) -> Affine:
        out = cls()
        if scales is None:
            for form in forms:
                out.add(form)
        else:
            for form, scale in zip(forms, scales, strict=True):
                out.add(form, scale)
        return out

    def add(self, other: Affine, scale: float = 1.0) -> Affine:
        """In place: self += scale * other."""
        if not scale:
            return self
        terms = self.terms
        for key, coef in other.terms.items():
            terms[key] = terms.get(key, 0.0) + scale * coef
        self.vars.update(other.vars)
        self.const += scale * other.const
        return self

    def add_var(self, var: VarData, coef: float) -> Affine:
        if coef:
            key = id(var)
            self.terms[key] = self.terms.get(key, 0.0) + coef
            self.vars[key] = var
        return self

    def scaled(self, scale: float) -> Affine:
        out = Affine(const=self.const * scale)
        out.terms = {k: c * scale for k, c in self.terms.items()}
        out.vars = self.vars
        return out

    def copy(self) -> Affine:
        out = Affine(const=self.const)
        out.terms = dict(self.terms)
        out.vars = dict(self.vars)
        return out

    def minus(self, other: Affine) -> Affine:
        return self.copy().add(other, -1.0)

    def expr(self) -> LinearExpression:
        """The form as one flat Pyomo expression (constant first when non-zero)."""
        args: list[object] = [self.const] if self.const else []
        args.extend(self._monomials())
        return LinearExpression(args)

    def le(self, bound: float) -> Row:
        """``self <= bound`` with the constant moved to the bound."""
        return Row(None, self, bound - self.const)

    def ge(self, bound: float) -> Row:
        return Row(bound - self.const, self, None)

    def between(self, lower: float | None, upper: float | None) -> Row:
        return Row(None if lower is None else lower - self.const, self,
                   None if upper is None else upper - self.const)

    def eq(self, value: float) -> Row:
        return Row(value - self.const, self, value - self.const)

    def within(self, lower: object, upper: object) -> Row:
        """``lower <= self <= upper`` with the constant kept in the body: for bounds
        that are mutable parameters (None: no bound)."""
        return Row(lower, self, upper, whole=True)

    def _monomials(self) -> list[MonomialTermExpression]:
        vars_ = self.vars
        return [MonomialTermExpression((c, vars_[k])) for k, c in self.terms.items() if c]

    def body(self) -> LinearExpression:
        """The terms alone (the constant left out) as one flat Pyomo expression."""
        return LinearExpression(self._monomials())


@dataclass(frozen=True, slots=True)
class Row:
    """One constraint, ``lower <= form <= upper``, as a family states it; a sink
    (:mod:`models.sink`) makes it a Pyomo constraint or a row of arrays.

    ``whole`` False: the bounds are numbers with the form's constant already
    moved into them, and the body is the terms alone. True: the body keeps the
    constant and the bounds may be mutable parameters (a re-solve moves them).
    """

    lower: Any
    form: Affine
    upper: Any
    whole: bool = False
