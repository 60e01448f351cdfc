"""What every output holds: plain frozen data, raw numbers, and how a cell is written.

Every table of every output is a :class:`Table`: the report's (HTML, Markdown,
LaTeX, workbook) and the command line's (text, Markdown, CSV). The text renderers
write cells with :func:`cell_text`, in the table's style, so a figure reads the same
in every file of that style; the workbook and the CSV write the raw numbers instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from optimizer.numbers import exact, memo
from optimizer.results import Sweep, Swing
from optimizer.results.simulation import Simulation

KINDS = ("text", "money", "amount", "count", "share", "number", "mixed")
"""money: one scale for the column (memo.Scale); amount: each figure its own scale;
mixed: each cell a Quantity that carries its kind."""

Style = Literal["memo", "exact"]
"""How a table's cells are worded: ``memo`` as a memo quotes a figure ($163.5M,
optimizer.numbers.memo: the report), ``exact`` with every unit written out
(163,508,772 PKR, optimizer.numbers.exact: the command line)."""
Align = Literal["left", "right"]


@dataclass(frozen=True)
class Quantity:
    """A figure whose kind is its own (a cell of a mixed column); its column's exact-style
    details (decimals, bare, signed) apply to it."""

    value: float | None
    kind: str
    """money (standalone), count, share, number or text."""
    text: str | None = None
    """Shown instead of the value (``below a tenth of it``, a difference of ``0``); the
    value stays for the workbook and the CSV."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    unit: str = ""
    """What the raw numbers are in (``USD``, ``worker``), for the workbook's header."""
    scale: memo.Scale | None = None
    """money columns: the one scale of every row and the total."""
    wide: bool = False
    """Long free text (a source): renderers let it wrap."""
    decimals: int | None = None
    """exact style: places after the point (money: None is whole units, cents below
    100; share: None is one; number: None is four significant figures)."""
    bare: bool = False
    """exact style: money without its currency, which the label or the title names once."""
    signed: bool = False
    """exact style: a sign before every figure (+12, a difference)."""
    align: Align | None = None
    """None: numbers read right, text left (a column of numbers that names its row, the
    confidences of the cost of certainty, reads left)."""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    totals: tuple[tuple[Any, ...], ...] = ()
    """Rows under a rule (the total; the command line's by-period table has two)."""
    notes: tuple[str, ...] = ()
    caption: str = ""
    """One sentence that says how to read the table."""
    empty: str = "Nothing to show."
    """What a renderer says instead of an empty table."""
    page_hidden: tuple[str, ...] = ()
    """Keys of columns the page formats leave out (the workbook and the CSV keep every
    column)."""
    style: Style = "memo"
    """How the cells are worded (see :data:`Style`): the report's tables are memo, the
    command line's exact."""


@dataclass(frozen=True)
class Figure:
    """A headline figure: raw value and the text a memo quotes."""

    key: str
    label: str
    value: float | str | None
    kind: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class Stamp:
    scenario: str
    file: str
    sha256: str
    variant: str | None
    overrides: tuple[str, ...]
    engine: str
    """pk-budget-optimizer version."""
    highspy: str
    highs: str
    date: str
    """ISO date; the one line of the Markdown that changes between reruns."""
    mip_gap: float | None
    termination: str
    currency: str
    """How amounts are presented (currency and rate)."""


@dataclass(frozen=True)
class Mix:
    """Spend by lever (by period when the scenario has periods) and exports."""

    levers: tuple[str, ...]
    periods: tuple[str, ...]
    """Period labels; ('',) for a scenario without periods."""
    spend: tuple[tuple[float, ...], ...]
    """[lever][period] spend, presentation currency."""
    exports: tuple[float, ...]
    """Each lever's exports in the (last) period."""
    export_label: str
    spend_scale: memo.Scale = memo.Scale()
    """The allocation table's spend column's scale: a bar's figure reads as its row."""
    exports_scale: memo.Scale = memo.Scale()
    """The allocation table's exports column's scale."""


@dataclass(frozen=True)
class Tornado:
    swings: tuple[Swing, ...]
    base: float
    share: float
    what: str
    counts: bool = False
    """The objective is a count (a max objective's weighted outcomes), not money."""


@dataclass(frozen=True)
class CertaintyPoint:
    """One confidence of the cost-of-certainty sweep, in the presentation currency."""

    confidence: float
    status: str
    """optimal, infeasible, limit_with_plan or limit_without_plan."""
    cost: float | None
    """The chance-constrained plan's cost (discounted, as the min_cost objective)."""
    extra_cost: float | None
    """Over the plan for the point values."""
    in_sample: float | None
    out_of_sample: float | None
    """Share of the fresh sample the plan reaches: the honest figure."""
    required: int
    """Samples the plan had to reach (ceil(level x samples))."""
    most_reached: int | None = None
    """Out of reach: the most samples any plan reaches (from the solve's message)."""
    std_error: float | None = None
    """Standard error of ``out_of_sample``."""
    lower_bound: float | None = None
    """95% lower bound on the plan's probability (Clopper-Pearson, fresh sample)."""
    certified: bool = False
    """``lower_bound`` clears ``confidence``."""


@dataclass(frozen=True)
class Certainty:
    """The cost-of-certainty curve (``optimize sweep --confidences``) as plain data."""

    points: tuple[CertaintyPoint, ...]
    samples: int
    fresh_samples: int
    seed: int
    deterministic_cost: float | None
    """The plan for the point values, discounted (what extra cost is counted from)."""
    currency: str
    cost_label: str
    """``cost, discounted`` or ``cost``."""


@dataclass(frozen=True)
class Risk:
    """The Risk section: the report's plan held fixed under the scenario's samples, and
    what a plan that reaches the target more often would cost."""

    lede: tuple[str, ...]
    tables: tuple[Table, ...]
    """Reaching the goals, the spread, the drivers, the cost of certainty (as present)."""
    notes: tuple[str, ...]
    simulation: Simulation | None = None
    """optimizer.analyses.simulate.Simulation in the presentation currency (for its chart), or None
    when there was no plan to hold fixed."""
    chart: str | None = None
    """``fan`` (a scenario with periods), ``histogram`` (without), None (no simulation)."""
    certainty: Certainty | None = None


@dataclass(frozen=True)
class Brief:
    """The report's first section (optimizer.present.views.brief): with the headline and
    the allocation of the Report, these; the rest of the report is its annexes."""

    binds: Table
    """What binds, each limit one step looser and tighter, re-solved."""
    drivers: Table
    """The assumptions that move the answer most (the tornado's largest swings)."""
    frontier: str | None = None
    """The frontier in a sentence, beside its chart (with a sweep)."""


@dataclass(frozen=True)
class Report:
    title: str
    description: str | None
    status: str
    status_text: str
    currency: str
    """The presentation currency."""
    lede: tuple[str, ...]
    headline: tuple[Figure, ...]
    allocation: Table
    periods: tuple[Table, ...]
    period_detail: Table | None
    frontier: Table | None
    frontier_detail: Table | None
    binding: Table
    explanation: tuple[Table, ...]
    sensitivity: Table
    assumptions: Table
    stamp: Stamp
    mix: Mix
    sweep: Sweep | None = None
    """The frontier in the presentation currency (for its chart)."""
    tornado: Tornado | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)
    risk: Risk | None = None
    """Only for a scenario with distributions."""
    brief: Brief | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    """Field path -> plain name (optimizer.scenario.names) of every path the report
    names: what charts label their bars with."""

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table of the page, in page order."""
        out: list[Table] = [self.allocation, *self.periods]
        if self.risk is not None:
            out += self.risk.tables
        if self.frontier is not None:
            out.append(self.frontier)
        return (*out, self.binding, *self.explanation, self.assumptions)


def cell_text(value: Any, column: Column, currency: str, style: Style = "memo") -> str:
    """A cell as every text renderer writes it: a string as it is, a Quantity by its own
    kind, else by the column's, in ``style`` (see :data:`Style`)."""
    if isinstance(value, Quantity):
        if value.text is not None:
            return value.text
        kind, scale, value = value.kind, None, value.value
    elif value is None and column.kind == "text" or isinstance(value, str):
        return value or ""
    else:
        kind, scale = column.kind, column.scale
    if style == "exact":
        return _exact(value, kind, column, currency)
    return _by_kind(value, kind, scale, currency)


def _by_kind(value: Any, kind: str, scale: memo.Scale | None, currency: str) -> str:
    if value is None or isinstance(value, float) and not math.isfinite(value):
        return memo.MISSING
    if isinstance(value, str):
        return value
    if kind == "money":
        return memo.money(value, currency, scale)
    if kind == "amount":
        return memo.money(value, currency)
    if kind == "count":
        return memo.count(value)
    if kind == "share":
        return memo.share(value)
    if kind == "number":
        return memo.number(value)
    return _plain(value)


def _exact(value: Any, kind: str, column: Column, currency: str) -> str:
    if kind in ("money", "amount"):
        text = exact.money(value, "" if column.bare else currency, column.decimals)
    elif kind == "count":
        text = exact.count(value)
    elif kind == "share":
        text = exact.share(value, 1 if column.decimals is None else column.decimals)
    elif kind == "number":
        text = exact.number(value, column.decimals)
    elif value is None or isinstance(value, float) and not math.isfinite(value):
        return exact.MISSING
    else:
        return _plain(value)
    # a missing figure is "-" already: no sign before it
    return "+" + text if column.signed and not text.startswith("-") else text


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table_text(table: Table, currency: str
               ) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Header, body and total rows of a table as text, in the table's style."""

    def line(row: tuple[Any, ...]) -> list[str]:
        return [cell_text(v, c, currency, table.style)
                for v, c in zip(row, table.columns, strict=True)]

    return ([c.label for c in table.columns], [line(row) for row in table.rows],
            [line(row) for row in table.totals])


def numeric(column: Column) -> bool:
    """Right-aligned in every renderer."""
    return column.kind != "text"


def align(column: Column) -> Align:
    """Which side a column's cells read from in a laid-out table."""
    return column.align or ("right" if numeric(column) else "left")


def split(table: Table, most: int, keep: int = 1) -> list[Table]:
    """``table`` as parts of at most ``most`` columns, each repeating its first ``keep``
    (a wide frontier or a long horizon on paper); a narrow table comes back whole."""
    if len(table.columns) <= most:
        return [table]
    step = max(1, most - keep)
    rest = list(range(keep, len(table.columns)))
    chunks = [rest[i:i + step] for i in range(0, len(rest), step)]
    out = []
    for n, chunk in enumerate(chunks, 1):
        part = _columns(table, [*range(keep), *chunk])
        out.append(replace(part, key=f"{table.key}_{n}",
                           title=f"{table.title} ({n} of {len(chunks)})",
                           notes=table.notes if n == len(chunks) else (),
                           caption=table.caption if n == 1 else ""))
    return out


def project(table: Table, drop: tuple[str, ...] | None = None) -> Table:
    """``table`` without the columns keyed in ``drop`` (default: its page_hidden)."""
    drop = table.page_hidden if drop is None else drop
    keep = [i for i, c in enumerate(table.columns) if c.key not in drop]
    if len(keep) == len(table.columns):
        return table
    return _columns(table, keep)


def pick(table: Table, keys: Sequence[str]) -> Table:
    """``table`` with the columns keyed in ``keys``, in that order (a CSV whose columns
    are in another order than the page's)."""
    at = {c.key: i for i, c in enumerate(table.columns)}
    return _columns(table, [at[k] for k in keys])


def _columns(table: Table, idx: Sequence[int]) -> Table:
    """``table`` with the columns numbered in ``idx``, in that order (none page_hidden)."""

    def cut(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(row[i] for i in idx)

    return replace(table, columns=cut(table.columns), rows=tuple(cut(r) for r in table.rows),
                   totals=tuple(cut(t) for t in table.totals), page_hidden=())


def flagged(table: Table) -> list[bool]:
    """Per row: whether its 'flag' column says to check it."""
    at = next((i for i, c in enumerate(table.columns) if c.key == "flag"), None)
    return [bool(at is not None and row[at]) for row in table.rows]
