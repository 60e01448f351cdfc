"""Numbers as a memo writes them: $1.25B, $310M, Rs 100,000, 50.7%.

The rule (README, "Reports"):

- Money of a million or more is written in M, B or T with three significant
  figures and at least one decimal, trailing zeros dropped when it stands
  alone: $1.25B, $310M, $187.5M, $7.4B. Below a million it is whole units
  with thousands separators (Rs 100,000, $38,986); below 100, three
  significant figures ($0.0432).
- A money column of a table takes one scale and one number of decimals,
  from its largest figure, for every row and its total ($162.1M, $0.4M,
  $25.0M, total $187.5M), so the column reads and sums at one resolution.
- Every figure is its own value rounded half up; nothing is nudged to make
  a total add up. Where the rounded parts of a column do not add up to its
  rounded total, the table says so (:data:`ROUNDING_NOTE`).
- An exact zero is a dash; a figure that rounds to zero keeps its digits
  ($0.0M: not nothing, less than half the last digit). A missing figure is
  "n/a".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Concatenate, ParamSpec

from optimizer.numbers import clean

ROUNDING_NOTE = "Figures may not add up to the totals because of rounding."
ZERO = "\u2013"  # en dash
MISSING = "n/a"
SYMBOLS = {"USD": "$", "PKR": "Rs "}
SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))
FIGURES = 3
P = ParamSpec("P")


def _written(write: Callable[Concatenate[float, P], str]
             ) -> Callable[Concatenate[float | None, P], str]:
    """How every memo figure writes a missing value (n/a) and an exact zero (a dash,
    after clean()); ``write`` gets every other figure, cleaned."""

    @functools.wraps(write)
    def written(value: float | None, /, *args: P.args, **kwargs: P.kwargs) -> str:
        if value is None or not math.isfinite(value):
            return MISSING
        value = clean(value)
        return ZERO if value == 0 else write(value, *args, **kwargs)

    return written


def symbol(currency: str) -> str:
    """``$`` for USD, ``Rs `` for PKR, else the code and a space (``EUR 1.2M``)."""
    return SYMBOLS.get(currency, f"{currency} ")


def rounded(value: float, decimals: int) -> Decimal:
    """``value`` rounded half up (away from zero) to ``decimals`` places."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scale:
    """How a money figure (or a column of them) is written: divide by ``factor``,
    keep ``decimals``, append ``suffix``."""

    factor: float = 1.0
    suffix: str = ""
    decimals: int = 0

    def steps(self, value: float) -> Decimal:
        """The figure as shown, in units of the scale (for sums of what is shown)."""
        return rounded(value / self.factor, self.decimals)


def _digits(number: float) -> int:
    """Digits before the decimal point of ``number`` (>= 1)."""
    return max(1, math.floor(math.log10(number)) + 1) if number >= 1 else 1


def scale_for(values: Iterable[float | None]) -> Scale:
    """One scale for a column: from its largest figure, three significant figures
    and at least one decimal in M, B or T; whole units below a million."""
    top = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    for factor, suffix in SCALES:
        if top >= factor * (1 - 5e-4):  # 999.96M is written 1.00B, not 1,000.0M
            return Scale(factor, suffix, max(1, FIGURES - _digits(top / factor)))
    if top >= 100 or top == 0:
        return Scale()
    return Scale(decimals=min(6, FIGURES - 1 - math.floor(math.log10(top))))


@_written
def money(value: float, currency: str, scale: Scale | None = None,
          trim: bool = False) -> str:
    """A money figure in ``scale`` (its own when None, trailing zeros trimmed)."""
    if scale is None:
        scale, trim = scale_for([value]), True
    shown = scale.steps(value)
    sign = "-" if shown < 0 else ""
    text = f"{abs(shown):,.{scale.decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{symbol(currency)}{text}{scale.suffix}"


_THOUSANDS = {1e6: ",,", 1e9: ",,,", 1e12: ",,,,"}
"""Excel divides a figure by a thousand for each comma after its digits."""


def excel_money(value: float, currency: str, scale: Scale | None = None) -> str:
    """The workbook's number format that shows ``value`` as :func:`money` writes it
    (``"$"#,##0.0,,"M"`` shows 350,877.19 as $0.4M): the cell keeps the exact
    figure, and reads as the memo. A column's ``scale``, or the figure's own with
    its trailing zeros trimmed, as :func:`money` does."""
    if scale is None:
        scale = scale_for([value])
        text = money(value, currency)
        fraction = text.removesuffix(scale.suffix).partition(".")[2]
        scale = Scale(scale.factor, scale.suffix, len(fraction))
    digits = "#,##0" + ("." + "0" * scale.decimals if scale.decimals else "")
    suffix = f'"{scale.suffix}"' if scale.suffix else ""
    body = f'"{symbol(currency)}"{digits}{_THOUSANDS.get(scale.factor, "")}{suffix}'
    return f'{body};-{body};"{ZERO}"'


EXCEL_SHARE = f'0.0%;-0.0%;"{ZERO}"'
"""The workbook's number format that shows a share as :func:`share` writes it."""


@_written
def count(value: float, integer: bool = False) -> str:
    """Units: whole numbers with separators; a million or more in M or B with three
    significant figures (1B, 250M); fractions of small counts to two decimals."""
    size = abs(value)
    if size >= 1e6 * (1 - 5e-4):
        return number(value)
    if integer or size >= 1000 or abs(value - round(value)) <= 1e-9 * max(1.0, size):
        return f"{int(rounded(value, 0)):,d}"
    return f"{rounded(value, 2):,.2f}".rstrip("0").rstrip(".")


@_written
def number(value: float) -> str:
    """A plain figure, three significant figures (M/B/T past a million): 0.0432, 3.59."""
    size = abs(value)
    if size >= 1e6 * (1 - 5e-4):
        scale = scale_for([value])
        text = f"{abs(scale.steps(value)):,.{scale.decimals}f}".rstrip("0").rstrip(".")
        return f"{'-' if value < 0 else ''}{text}{scale.suffix}"
    decimals = 0 if size >= 100 else FIGURES - 1 - math.floor(math.log10(size))
    text = f"{rounded(value, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@_written
def share(value: float) -> str:
    """``50.7%``; an exact zero is a dash."""
    return f"{rounded(value * 100, 1)}%"


def adds_up(parts: Iterable[float | None], total: float | None, scale: Scale) -> bool:
    """Whether the parts as shown add up to the total as shown."""
    if total is None:
        return True
    shown = [scale.steps(clean(p)) for p in parts if p is not None and math.isfinite(p)]
    return sum(shown, Decimal(0)) == scale.steps(clean(total))


TICK_SCALES = (*SCALES, (1e3, "K"))


def tick(value: float, currency: str) -> str:
    """A chart axis's tick label: ``$100M``, ``$1.5B``, ``Rs 250K``, ``$0``; the
    memo's symbols, thousands as K (a tick has no room for Rs 250,000), up to two
    decimals of its scale with trailing zeros dropped. A figure the chart names
    (a note, a marked point) is written by :func:`money`, as in the memo."""
    value = clean(value)
    size = abs(value)
    number, suffix = size, ""
    for factor, name in TICK_SCALES:
        if size >= factor * (1 - 5e-4):  # 999.99M shows as 1B, not 1,000M
            number, suffix = size / factor, name
            break
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return f"{'-' if value < 0 else ''}{symbol(currency)}{text}{suffix}"

