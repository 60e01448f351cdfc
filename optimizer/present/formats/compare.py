"""Comparison -> table, CSV, JSON, Markdown: one row per metric, one column per
scenario, and after each column but the first its difference against the first."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from optimizer.numbers import clean
from optimizer.present.formats import layout, tables
from optimizer.present.views.model import Column, Quantity, Table
from optimizer.results.comparison import ABSENT, NOT_COMPARABLE, Comparison, Diff, Row, Value

_SOURCES = {"scenario": "solved", "result.json": "saved result"}
_HEADER_WIDTH = 14
"""Long labels of the number columns wrap (after a '/' or at a space) to the widest of this
and the column's data (layout.text's wrap_header)."""


def _num(value: Any) -> Any:
    """JSON/CSV-safe: strings as they are, no NaN, no -0.0."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return value
    value = float(value)
    return clean(value) if math.isfinite(value) else None


def _interleaved(c: Comparison) -> list[tuple[int, bool]]:
    """(column index, is a difference) in display order: A, B, Δ B, C, Δ C, ..."""
    order = [(0, False)]
    for i in range(1, len(c.columns)):
        order += [(i, False), (i, True)]
    return order


def _cell(row: Row, i: int, diff: bool) -> Value | Diff:
    return row.diffs[i - 1] if diff else row.values[i]


# ---------------------------------------------------------------- JSON and CSV


def render_compare_json(c: Comparison) -> str:
    data = {
        "currency": c.currency,
        "against": c.columns[0].label,
        "identical": c.identical,
        "columns": [
            {
                "label": col.label,
                "scenario": col.scenario,
                "source": col.source,
                "currency": col.currency,
                "status": col.status,
                "total_cost": _num(col.total_cost),
                "lever_exports": _num(col.lever_exports),
                "marginal_cost_resolved": _num(col.marginal_cost),
                "levers": {lid: {"name": v.name, "units": _num(v.units), "spend": _num(v.spend)}
                           for lid, v in col.levers.items()},
            }
            for col in c.columns
        ],
        "rows": [
            {
                "metric": row.metric,
                "key": row.key,
                "values": [_num(v) for v in row.values],
                "differences": [_num(d) for d in row.diffs],
                "differs": row.differs,
            }
            for row in c.rows()
        ],
    }
    return json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def render_compare_csv(c: Comparison) -> str:
    """Raw numbers (full precision); "" for no value, "absent" for a lever not there."""
    return tables.csv_text(compare_table(c))


# ---------------------------------------------------------- table and Markdown


_KINDS = {"money": "money", "units": "count", "ratio": "number"}
"""A row's kind as the views model words it."""


def compare_table(c: Comparison) -> Table:
    """One row per metric (its key, the CSV's, left off the page), one column per
    scenario and after each but the first its difference against the first. The
    columns mix the rows' kinds: each number a Quantity that says its own."""
    first = c.columns[0].label
    columns = [Column("metric", f"metric ({c.currency})"), Column("key", "key")]
    for i, diff in _interleaved(c):
        label = c.columns[i].label
        columns.append(Column(f"Δ {label} vs {first}" if diff else label,
                              f"Δ vs {first}" if diff else label, "mixed", bare=True,
                              signed=diff))
    rows = tuple((row.metric, row.key, *[_quantity(row, _cell(row, i, diff), diff)
                                         for i, diff in _interleaved(c)])
                 for row in c.rows())
    return Table("comparison", "Comparison", tuple(columns), rows, page_hidden=("key",),
                 style="exact")


def _quantity(row: Row, value: Value | Diff, diff: bool) -> str | Quantity | None:
    """A cell: a status or absent as it is, a number as a Quantity of the row's kind.
    A difference reads "" for no value, and 0 for none."""
    value = _num(value)
    if value is None:
        return Quantity(None, _KINDS[row.kind], "") if diff else None
    if isinstance(value, str):
        return value
    return Quantity(value, _KINDS[row.kind], "0" if diff and value == 0 else None)


def _intro(c: Comparison) -> list[str]:
    one = layout.one_line
    lines = [f"Comparison in {c.currency}: differences against {one(c.columns[0].label)}."]
    lines += [f"  {one(col.label)}: {one(col.scenario)} "
              f"({_SOURCES.get(col.source, col.source)})" for col in c.columns]
    return lines


def _notes(c: Comparison) -> list[str]:
    rows = c.rows()
    differing = sum(row.differs for row in rows)
    lines = ["No differences." if differing == 0
             else f"{differing} of {len(rows)} rows differ from {c.columns[0].label}."]
    cells = {d for row in rows for d in (*row.values, *row.diffs) if isinstance(d, str)}
    if ABSENT in cells:
        lines.append("absent: the lever is not in that column (disabled or not in the "
                     "file); that is not zero units.")
    if NOT_COMPARABLE in cells:
        lines.append("n/a: a value on one side only (no plan, or no marginal cost).")
    lines.append("Marginal cost (re-solved): what raising the target by a round step costs, "
                 "solved again, per unit of exports: the figure each run's own table "
                 "quotes (none under max_exports).")
    return lines


def render_compare_table(c: Comparison) -> str:
    table = layout.text(tables.grid(compare_table(c), c.currency), measure=len,
                        wrap_header=_HEADER_WIDTH)
    lines = [*_intro(c), "", *table, "", *_notes(c)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return layout.escape(text, "pipes")


def render_compare_markdown(c: Comparison) -> str:
    lines = [f"## Comparison ({c.currency})", "",
             f"Differences against {layout.code(c.columns[0].label, 'pipes')}.", ""]
    lines += [f"- {layout.code(col.label, 'pipes')}: {_md(col.scenario)} "
              f"({_SOURCES.get(col.source, col.source)})"
              for col in c.columns]
    # escape_cells="pipes": as before the layout, runs of spaces in a column's label stay
    lines += ["", *layout.markdown(tables.grid(compare_table(c), c.currency),
                                   escape_cells="pipes")]
    lines += ["", *[f"- {layout.heading(line)}" for line in _notes(c)]]
    return "\n".join(lines) + "\n"


COMPARE_RENDERERS: dict[str, Callable[[Comparison], str]] = {
    "table": render_compare_table,
    "csv": render_compare_csv,
    "json": render_compare_json,
    "markdown": render_compare_markdown,
}
