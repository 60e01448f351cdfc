"""Constraint expressions: text -> linear relation over lever terms.

The text is parsed with :mod:`ast` and the tree is walked with a whitelist of
node types; nothing is ever evaluated, so ``__import__('os')`` is just a call
to a name we do not know.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from optimizer.amounts import SCALES

Kind = Literal["units", "spend", "exports"]
Sense = Literal["<=", ">=", "=="]

MAX_LENGTH = 2000  # a planner's relation is a line; anything longer is not one
_FUNCTIONS: dict[str, Kind] = {"spend": "spend", "exports": "exports"}
_SENSES: dict[type, Sense] = {ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "=="}

# A NUMBER with thousands separators and/or a SCALE is not Python; rewrite it
# to a plain float literal before parsing. The look-behind keeps digits inside
# names (``lever2``) alone.
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d[\d_]*)(\.\d+)?([eE][+-]?\d+)?\s*(bn|k|M|B)?(?![\w])"
)
_LOWER_M = re.compile(r"(?<![\w.])\d[\d_,.]*\s*m(?![\w])")


class ExpressionError(ValueError):
    """The expression is not a linear relation we accept; str() is the user message."""


@dataclass(frozen=True)
class Term:
    """One decision quantity of a lever: its units, net spend or annual exports."""

    kind: Kind
    lever: str


@dataclass(frozen=True)
class Relation:
    """``sum(coef * term) SENSE rhs``, all money in the reporting currency."""

    coefs: dict[Term, float]
    sense: Sense
    rhs: float


def _rewrite_numbers(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        whole, frac, exp, scale = match.groups()
        value = float(whole.replace(",", "").replace("_", "") + (frac or "") + (exp or ""))
        return repr(value * SCALES[scale] if scale else value)

    return _NUMBER.sub(repl, text)


Linear = tuple[dict[Term, float], float]


def parse_relation(
    expr: object, levers: Collection[str], disabled: Collection[str] = ()
) -> Relation:
    """Parse ``expr`` into a :class:`Relation` naming only ``levers``.

    Raises :class:`ExpressionError` quoting the expression and what is wrong.
    """
    if not isinstance(expr, str):
        raise ExpressionError(f"expected a relation as text, such as 'a <= 2 * b' (got {expr!r})")
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters")
    if _LOWER_M.search(expr):
        raise ExpressionError(
            f"{expr!r}: a lower-case m is not a scale (use k, M, B or bn)"
        )
    try:
        tree = ast.parse(_rewrite_numbers(expr).strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"{expr!r} is not a relation such as 'a <= 2 * b + 10M'") from None
    body = tree.body
    if not isinstance(body, ast.Compare) or len(body.ops) != 1:
        raise ExpressionError(f"{expr!r} must be one relation joined by <=, >= or ==")
    sense = _SENSES.get(type(body.ops[0]))
    if sense is None:
        raise ExpressionError(f"{expr!r}: use <=, >= or == (strict < and > are not allowed)")
    walker = _Walker(expr, set(levers), set(disabled))
    try:
        left = walker.linear(body.left)
        right = walker.linear(body.comparators[0])
    except RecursionError:
        raise ExpressionError(f"{expr!r} is nested too deeply") from None
    coefs = dict(left[0])
    for term, coef in right[0].items():
        coefs[term] = coefs.get(term, 0.0) - coef
    coefs = {t: c for t, c in coefs.items() if c != 0.0}
    if not coefs:
        raise ExpressionError(f"{expr!r} names no lever")
    return Relation(coefs=coefs, sense=sense, rhs=right[1] - left[1])


class _Walker:
    def __init__(self, expr: str, levers: set[str], disabled: set[str]) -> None:
        self.expr = expr
        self.levers = levers
        self.disabled = disabled

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"{self.expr!r}: {what}")

    def lever(self, node: ast.expr) -> str:
        if not isinstance(node, ast.Name):
            raise self.fail("spend() and exports() take one lever id")
        name = node.id
        if name in self.disabled:
            raise self.fail(f"lever {name!r} is disabled (enabled: false) and cannot be named")
        if name not in self.levers:
            known = ", ".join(sorted(self.levers))
            raise self.fail(f"unknown lever {name!r} (levers: {known})")
        return name

    def linear(self, node: ast.expr) -> Linear:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            return {}, float(node.value)
        if isinstance(node, ast.Name):
            if node.id in _FUNCTIONS:
                raise self.fail(f"{node.id} must be called with a lever id: {node.id}(ID)")
            return {Term("units", self.lever(node)): 1.0}, 0.0
        if isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else None
            if func not in _FUNCTIONS:
                raise self.fail(
                    "calls other than spend(ID) and exports(ID) are not allowed "
                    f"({ast.unparse(node)[:60]})"
                )
            if len(node.args) != 1 or node.keywords:
                raise self.fail(f"{func}() takes exactly one lever id")
            return {Term(_FUNCTIONS[func], self.lever(node.args[0])): 1.0}, 0.0
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            coefs, const = self.linear(node.operand)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            return {t: sign * c for t, c in coefs.items()}, sign * const
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        raise self.fail(f"{type(node).__name__.lower()} is not allowed ({ast.unparse(node)[:60]})")

    def binop(self, node: ast.BinOp) -> Linear:
        left = self.linear(node.left)
        right = self.linear(node.right)
        if isinstance(node.op, ast.Add | ast.Sub):
            sign = 1.0 if isinstance(node.op, ast.Add) else -1.0
            coefs = dict(left[0])
            for term, coef in right[0].items():
                coefs[term] = coefs.get(term, 0.0) + sign * coef
            return coefs, left[1] + sign * right[1]
        if isinstance(node.op, ast.Mult):
            if left[0] and right[0]:
                raise self.fail(
                    f"product of two lever terms is not linear ({ast.unparse(node)[:60]})"
                )
            (coefs, const), factor = (right, left[1]) if not left[0] else (left, right[1])
            return {t: c * factor for t, c in coefs.items()}, const * factor
        if isinstance(node.op, ast.Div):
            if right[0]:
                raise self.fail(
                    f"division by a lever term is not linear ({ast.unparse(node)[:60]})"
                )
            if right[1] == 0.0:
                raise self.fail("division by zero")
            return {t: c / right[1] for t, c in left[0].items()}, left[1] / right[1]
        raise self.fail(f"operator {type(node.op).__name__} is not allowed; use +, -, * and /")
