"""Comparison -> table, CSV, JSON, Markdown: one row per metric, one column per
scenario, and after each column but the first its difference against the first."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from typing import Any

from optimizer.numbers import clean, count
from optimizer.render import align
from optimizer.results.comparison import ABSENT, NOT_COMPARABLE, Comparison, Diff, Row, Value

_SOURCES = {"scenario": "solved", "result.json": "saved result"}
_HEADER_WIDTH = 14
"""Long labels wrap (after a '/' or at a space) to the widest of this and the column's data."""


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


_TOKENS = re.compile(r"[^\s/]*/+|[^\s/]+\s*|\s+")


def _wrap(text: str, width: int) -> list[str]:
    """Split a long label after '/' or at spaces; a token longer than width stays whole."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if line and len((line + token).rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def render_compare_table(c: Comparison) -> str:
    header, body = _cells(c)
    wrapped = [[header[0]]]
    for j, label in enumerate(header[1:], start=1):
        width = max(_HEADER_WIDTH, *(len(row[j]) for row in body))
        wrapped.append(_wrap(label, width))
    height = max(len(w) for w in wrapped)
    header_rows = [[w[k - (height - len(w))] if k >= height - len(w) else "" for w in wrapped]
                   for k in range(height)]  # labels sit on the rule, blank lines above
    aligned = align([*header_rows, *body], left=(0,))
    rule = "-" * max(len(line) for line in aligned)
    lines = [*_intro(c), "", *aligned[:height], rule, *aligned[height:], "", *_notes(c)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_compare_markdown(c: Comparison) -> str:
    header, body = _cells(c)
    lines = [f"## Comparison ({c.currency})", "",
             f"Differences against `{_md(c.columns[0].label)}`.", ""]
    lines += [f"- `{_md(col.label)}`: {_md(col.scenario)} ({_SOURCES.get(col.source, col.source)})"
              for col in c.columns]
    lines += ["", "| " + " | ".join(_md(h) for h in header) + " |",
              "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in body]
    lines += ["", *[f"- {line}" for line in _notes(c)]]
    return "\n".join(lines) + "\n"


COMPARE_RENDERERS: dict[str, Callable[[Comparison], str]] = {
    "table": render_compare_table,
    "csv": render_compare_csv,
    "json": render_compare_json,
    "markdown": render_compare_markdown,
}
