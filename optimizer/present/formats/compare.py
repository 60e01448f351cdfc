"""Comparison -> table, CSV, JSON, Markdown: one row per metric, one column per
scenario, and after each column but the first its difference against the first."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from typing import Any

from optimizer.numbers import clean
from optimizer.numbers.exact import count
from optimizer.present.formats import layout
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
                "marginal_cost_of_target": _num(col.marginal_cost_of_target),
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
    first = c.columns[0].label
    header = ["metric", "key"]
    for i, diff in _interleaved(c):
        label = c.columns[i].label
        header.append(f"Δ {label} vs {first}" if diff else label)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in c.rows():
        cells = [_num(_cell(row, i, diff)) for i, diff in _interleaved(c)]
        writer.writerow([row.metric, row.key, *["" if v is None else v for v in cells]])
    return buf.getvalue()


# ---------------------------------------------------------- table and Markdown


def _amount(value: float) -> str:
    value = clean(value)
    decimals = 2 if abs(value) < 100 and value != round(value) else 0
    return f"{value:,.{decimals}f}"


def _ratio(value: float) -> str:
    return f"{clean(value):.4g}"


_FORMATS: dict[str, Callable[[float], str]] = {"money": _amount, "units": count, "ratio": _ratio}


def _text(row: Row, value: Value | Diff, diff: bool) -> str:
    if value is None:
        return "" if diff else "-"
    if isinstance(value, str):
        return value
    fmt = _FORMATS[row.kind]
    if not diff:
        return fmt(value)
    if clean(float(value)) == 0:
        return "0"
    shown = fmt(value)
    return shown if shown.startswith("-") else "+" + shown


def _cells(c: Comparison) -> tuple[list[str], list[list[str]]]:
    first = c.columns[0].label
    header = [f"metric ({c.currency})"]
    header += [f"Δ vs {first}" if diff else c.columns[i].label for i, diff in _interleaved(c)]
    body = [[row.metric, *[_text(row, _cell(row, i, diff), diff)
                           for i, diff in _interleaved(c)]]
            for row in c.rows()]
    return header, body


def _intro(c: Comparison) -> list[str]:
    lines = [f"Comparison in {c.currency}: differences against {c.columns[0].label}."]
    lines += [f"  {col.label}: {col.scenario} ({_SOURCES.get(col.source, col.source)})"
              for col in c.columns]
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
    lines.append("Marginal cost: the cost of one more unit of required exports at the "
                 "optimum (none under max_exports).")
    return lines


def render_compare_table(c: Comparison) -> str:
    header, body = _cells(c)
    table = layout.text(layout.grid(header, body), measure=len, wrap_header=_HEADER_WIDTH)
    lines = [*_intro(c), "", *table, "", *_notes(c)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return layout.escape(text, "pipes")


def render_compare_markdown(c: Comparison) -> str:
    header, body = _cells(c)
    lines = [f"## Comparison ({c.currency})", "",
             f"Differences against `{_md(c.columns[0].label)}`.", ""]
    lines += [f"- `{_md(col.label)}`: {_md(col.scenario)} ({_SOURCES.get(col.source, col.source)})"
              for col in c.columns]
    # escape_cells="pipes": as before the layout, runs of spaces in a column's label stay
    lines += ["", *layout.markdown(layout.grid(header, body), escape_cells="pipes")]
    lines += ["", *[f"- {line}" for line in _notes(c)]]
    return "\n".join(lines) + "\n"


COMPARE_RENDERERS: dict[str, Callable[[Comparison], str]] = {
    "table": render_compare_table,
    "csv": render_compare_csv,
    "json": render_compare_json,
    "markdown": render_compare_markdown,
}
