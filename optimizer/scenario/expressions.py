"""Constraint expressions: text -> linear relation over lever terms.

The text is parsed with :mod:`ast` and the tree is walked with a whitelist of
node types; nothing is ever evaluated, so ``__import__('os')`` is just a call
to a name we do not know.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from optimizer.scenario.amounts import SCALES

Kind = Literal["units", "spend", "exports", "outcome"]
Sense = Literal["<=", ">=", "=="]

MAX_LENGTH = 100_000
"""Characters in one expression: a 1,000-term resource row with long lever ids and
coefficients (about 50 characters a term) fits twice over; the bound keeps a
pasted file from being parsed at any length."""
NUMBER_WORDS = frozenset({"inf", "infinity", "nan"})
"""Words Python and YAML read as numbers (any case): in an expression they are
non-finite constants, refused as such, and never lever ids."""
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
    """One decision quantity of a lever: its units, net spend, annual exports, or its
    last-period amount of another outcome (``outcome``, spec section 5)."""

    kind: Kind
    lever: str
    outcome: str | None = None
    """For kind ``outcome``: which outcome (never exports: that is kind ``exports``)."""


@dataclass(frozen=True)
class Relation:
    """``sum(coef * term) SENSE rhs``, all money in the reporting currency."""

    coefs: dict[Term, float]
    sense: Sense
    rhs: float


# Where a rewritten number sits: (start, end) in the rewritten text and
# (start, end) in the text as written, so a sub-expression is quoted as written.
_Span = tuple[int, int, int, int]
_LINE_START = re.compile(r"\r\n|\r|\n")


def _rewrite_numbers(expr: str) -> tuple[str, list[_Span]]:
    """``expr`` with every NUMBER as a Python float literal, and where each went.

    A number that is not finite (``1e999``, ``1e306B``) is refused here: its
    repr would be ``inf``, which Python reads as a name.
    """
    out: list[str] = []
    spans: list[_Span] = []
    done = 0
    size = 0
    for match in _NUMBER.finditer(expr):
        whole, frac, exp, scale = match.groups()
        value = float(whole.replace(",", "").replace("_", "") + (frac or "") + (exp or ""))
        if scale:
            value *= SCALES[scale]
        if not math.isfinite(value):
            raise _not_finite(expr, match.group(0).strip(), value)
        literal = repr(value)
        out.append(expr[done : match.start()])
        size += match.start() - done
        spans.append((size, size + len(literal), match.start(), match.end()))
        out.append(literal)
        size += len(literal)
        done = match.end()
    out.append(expr[done:])
    return "".join(out), spans


def _not_finite(expr: str, what: str, value: float) -> ExpressionError:
    return ExpressionError(
        f"{expr!r}: {what} is not a finite number; every constant must be finite (got {value})"
    )


Linear = tuple[dict[Term, float], float]


def parse_relation(
    expr: object, levers: Collection[str], disabled: Collection[str] = (),
    outcomes: Collection[str] = (),
) -> Relation:
    """Parse ``expr`` into a :class:`Relation` naming only ``levers`` and, in
    ``outcome(O, ID)`` and ``outcome(O)``, only ``outcomes`` (besides exports).

    Raises :class:`ExpressionError` quoting the expression and what is wrong.
    """
    if not isinstance(expr, str):
        raise ExpressionError(f"expected a relation as text, such as 'a <= 2 * b' (got {expr!r})")
    if len(expr) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is longer than {MAX_LENGTH:,} characters (got {len(expr):,})")
    if _LOWER_M.search(expr):
        raise ExpressionError(
            f"{expr!r}: a lower-case m is not a scale (use k, M, B or bn)"
        )
    text, spans = _rewrite_numbers(expr)
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"{expr!r} is not a relation such as 'a <= 2 * b + 10M'") from None
    body = tree.body
    if not isinstance(body, ast.Compare) or len(body.ops) != 1:
        raise ExpressionError(f"{expr!r} must be one relation joined by <=, >= or ==")
    sense = _SENSES.get(type(body.ops[0]))
    if sense is None:
        raise ExpressionError(f"{expr!r}: use <=, >= or == (strict < and > are not allowed)")
    walker = _Walker(expr, list(levers), set(disabled), _Source(expr, text, lead, spans),
                     set(outcomes))
    try:
        left = walker.linear(body.left)
        right = walker.linear(body.comparators[0])
    except RecursionError:
        raise ExpressionError(f"{expr!r} is nested too deeply") from None
    coefs = dict(left[0])
    for term, coef in right[0].items():
        coefs[term] = coefs.get(term, 0.0) - coef
    for term, coef in coefs.items():
        if not math.isfinite(coef):
            raise walker.fail(
                f"the coefficient of {_show_term(term)}, both sides collected, is not a "
                f"finite number (got {coef})"
            )
    rhs = right[1] - left[1]
    if not math.isfinite(rhs):
        raise walker.fail(
            f"the constants, both sides collected, are not a finite number (got {rhs})"
        )
    coefs = {t: c for t, c in coefs.items() if c != 0.0}
    if not coefs:
        raise ExpressionError(f"{expr!r} names no lever")
    return Relation(coefs=coefs, sense=sense, rhs=rhs)


def _show_term(term: Term) -> str:
    if term.kind == "outcome":
        return f"outcome({term.outcome}, {term.lever})"
    return term.lever if term.kind == "units" else f"{term.kind}({term.lever})"


@dataclass(frozen=True)
class _Source:
    """The expression as written and as parsed, to quote a node as written."""

    expr: str
    text: str
    """``expr`` after the number rewrite; ast parsed ``text[lead:]`` (stripped)."""
    lead: int
    spans: list[_Span]

    def segment(self, node: ast.expr) -> str | None:
        """The text of ``node`` as the planner wrote it; None if unknown."""
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            return None
        parsed = self.text.strip()
        starts = [0] + [m.end() for m in _LINE_START.finditer(parsed)]

        def index(line: int, col: int) -> int:
            # ast columns count UTF-8 bytes within their line
            begin = starts[line - 1]
            return begin + len(parsed[begin:].encode("utf-8")[:col].decode("utf-8", "ignore"))

        begin = self._written(index(node.lineno, node.col_offset) + self.lead, end=False)
        end = self._written(index(end_line, end_col) + self.lead, end=True)
        return self.expr[begin:end].strip() or None

    def _written(self, pos: int, end: bool) -> int:
        """Offset in ``text`` -> offset in ``expr``."""
        delta = 0
        for new_start, new_end, old_start, old_end in self.spans:
            if pos < new_start or (end and pos == new_start):
                break
            if pos < new_end or (end and pos == new_end):
                return old_end if end else old_start
            delta = old_end - new_end
        return pos + delta


class _Walker:
    def __init__(
        self, expr: str, levers: list[str], disabled: set[str], source: _Source,
        outcomes: set[str] | None = None,
    ) -> None:
        self.expr = expr
        self.order = levers
        self.levers = set(levers)
        self.disabled = disabled
        self.source = source
        self.outcomes = outcomes or set()

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"{self.expr!r}: {what}")

    def show(self, node: ast.expr) -> str:
        """A sub-expression as written (shortened), for messages."""
        text = " ".join((self.source.segment(node) or ast.unparse(node)).split())
        return text if len(text) <= 60 else text[:57] + "..."

    def lever(self, node: ast.expr) -> str:
        if not isinstance(node, ast.Name):
            raise self.fail("spend() and exports() take one lever id (outcome() an outcome "
                            "id, then a lever id)")
        name = node.id
        if name.lower() in NUMBER_WORDS:
            raise self.fail(f"{name} is a number, never a lever id (got {name})")
        if name in self.disabled:
            raise self.fail(f"lever {name!r} is disabled (enabled: false) and cannot be named")
        if name not in self.levers:
            known = ", ".join(sorted(self.levers))
            raise self.fail(f"unknown lever {name!r} (levers: {known})")
        return name

    def linear(self, node: ast.expr) -> Linear:
        """``node`` as (coefficients, constant); every constant folded on the way
        (a literal, a sum, a product, a quotient) and every coefficient is finite."""
        coefs, const = self._linear(node)
        if not math.isfinite(const):
            raise _not_finite(self.expr, self.show(node), const)
        for term, coef in coefs.items():
            if not math.isfinite(coef):
                raise self.fail(
                    f"the coefficient of {_show_term(term)} in {self.show(node)} is not a "
                    f"finite number; every constant must be finite (got {coef})"
                )
        return coefs, const

    def _linear(self, node: ast.expr) -> Linear:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            try:
                return {}, float(node.value)
            except OverflowError:  # an int literal Python kept whole, e.g. hex
                raise _not_finite(self.expr, self.show(node), math.inf) from None
        if isinstance(node, ast.Name):
            if node.id.lower() in NUMBER_WORDS:
                raise self.fail(
                    f"{node.id} is not a finite number; every constant must be finite, and "
                    f"inf, infinity and nan are numbers, never lever ids (got {float(node.id)})"
                )
            if node.id in _FUNCTIONS:
                raise self.fail(f"{node.id} must be called with a lever id: {node.id}(ID)")
            return {Term("units", self.lever(node)): 1.0}, 0.0
        if isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else None
            if func == "outcome":
                return self.outcome(node)
            if func not in _FUNCTIONS:
                raise self.fail(
                    "calls other than spend(ID), exports(ID) and outcome(O, ID) are not "
                    f"allowed ({self.show(node)})"
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
        raise self.fail(f"{type(node).__name__.lower()} is not allowed ({self.show(node)})")

    def outcome(self, node: ast.Call) -> Linear:
        """``outcome(O, ID)``: lever ID's last-period outcome O; ``outcome(O)``: the sum
        over every lever (spec section 5). ``outcome(exports, ID)`` is exports(ID)."""
        if node.keywords or len(node.args) not in (1, 2):
            raise self.fail(f"outcome() takes an outcome id and at most one lever id "
                            f"({self.show(node)})")
        first = node.args[0]
        if not isinstance(first, ast.Name):
            raise self.fail(f"outcome()'s first argument is an outcome id ({self.show(node)})")
        name = first.id
        if name != "exports" and name not in self.outcomes:
            known = ", ".join(sorted(self.outcomes)) or "none: declare them under `outcomes:`"
            raise self.fail(f"unknown outcome {name!r} (outcomes: exports, {known})"
                            if self.outcomes else
                            f"unknown outcome {name!r} (outcomes: exports; {known})")
        levers = [self.lever(node.args[1])] if len(node.args) == 2 else self.order
        if name == "exports":
            return {Term("exports", lid): 1.0 for lid in levers}, 0.0
        return {Term("outcome", lid, name): 1.0 for lid in levers}, 0.0

    def binop(self, node: ast.BinOp) -> Linear:
        if isinstance(node.op, ast.Add | ast.Sub):
            return self.sum(node)
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
                raise self.fail(f"product of two lever terms is not linear ({self.show(node)})")
            (coefs, const), factor = (right, left[1]) if not left[0] else (left, right[1])
            return {t: c * factor for t, c in coefs.items()}, const * factor
        if isinstance(node.op, ast.Div):
            if right[0]:
                raise self.fail(f"division by a lever term is not linear ({self.show(node)})")
            if right[1] == 0.0:
                divisor = self.show(node.right)
                shown = divisor if isinstance(node.right, ast.Constant) else f"{divisor} = 0"
                raise self.fail(f"division by zero in {self.show(node)} (got {shown})")
            return {t: c / right[1] for t, c in left[0].items()}, left[1] / right[1]
        raise self.fail(f"operator {type(node.op).__name__} is not allowed; use +, -, * and /")

    def sum(self, node: ast.BinOp) -> Linear:
        """``a + b - c + ...`` walked as a loop: ast nests a flat sum of n terms n
        deep on the left, and recursing into it refused a 400-term row as "nested
        too deeply"."""
        parts: list[tuple[float, ast.expr]] = []
        left: ast.expr = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add | ast.Sub):
            parts.append((1.0 if isinstance(left.op, ast.Add) else -1.0, left.right))
            left = left.left
        coefs, const = self.linear(left)
        coefs = dict(coefs)
        for sign, term in reversed(parts):
            more, constant = self.linear(term)
            for t, c in more.items():
                coefs[t] = coefs.get(t, 0.0) + sign * c
            const += sign * constant
        return coefs, const
