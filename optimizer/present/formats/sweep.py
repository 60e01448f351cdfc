"""Sweep -> table, CSV, JSON, Markdown: one row per point, wide (a column pair per lever)."""

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
from optimizer.results import Sweep

_MARGINAL = {
    "targets": "marginal cost (per 1 of exports)",
    "ceilings": "marginal exports (per 1 of ceiling)",
}


def _num(value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    value = float(value)
    return clean(value) if math.isfinite(value) else None


def render_sweep_json(sweep: Sweep) -> str:
    data = {
        "scenario": sweep.scenario,
        "sweep": sweep.kind,
        "currency": sweep.currency,
        "levers": [{"lever": lid, "name": name} for lid, name in sweep.levers],
        "points": [{k: _num(v) for k, v in row.items()} for row in sweep.rows()],
        "interpolation_error": _num(sweep.interpolation_error),
        "breakpoints": None if sweep.breakpoints is None else [
            {"x": _num(b.x), "y": _num(b.y), "slope_after": _num(b.slope_after)}
            for b in sweep.breakpoints
        ],
        "notes": list(sweep.notes),
        "seconds": _num(round(sweep.seconds, 6)),
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def render_sweep_csv(sweep: Sweep) -> str:
    rows = sweep.rows()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else _num(v) for k, v in row.items()})
    return buf.getvalue()


def _cells(sweep: Sweep) -> tuple[list[str], list[list[str]]]:
    cur = sweep.currency
    swept = "ceiling" if sweep.kind == "ceilings" else "target"
    header = [f"{swept} ({cur})", "status", f"cost ({cur})", f"exports ({cur}/yr)",
              _MARGINAL[sweep.kind]]
    for lid, _ in sweep.levers:  # ids: names make the wide table unreadable
        header += [f"{lid} units", f"{lid} spend"]
    body = []
    for row in sweep.rows():
        cells = [f"{row[swept]:,.0f}", row["status"],
                 "-" if row["total_cost"] is None else f"{row['total_cost']:,.0f}",
                 "-" if row["lever_exports"] is None else f"{row['lever_exports']:,.0f}",
                 "-" if row["marginal"] is None else f"{row['marginal']:.4g}"]
        for lid, _ in sweep.levers:
            units, spend = row[f"{lid}.units"], row[f"{lid}.spend"]
            cells += [count(units), "-" if spend is None else f"{spend:,.0f}"]
        body.append(cells)
    return header, body


def _notes(sweep: Sweep) -> list[str]:
    cur = sweep.currency
    lines = [f"{len(sweep.values)} points in {sweep.seconds:.2f} s on one model."]
    if sweep.breakpoints is not None:
        lines.append(f"Exact frontier: {len(sweep.breakpoints)} breakpoints; between them "
                     "the curve is a straight line, so the grid is exact.")
    elif sweep.interpolation_error is not None:
        lines.append(
            "Between grid points the true curve is convex and piecewise linear; a straight "
            f"line between points misses it by at most {sweep.interpolation_error:,.0f} {cur} "
            "(from the end slopes of each interval).")
    elif sweep.kind == "targets":
        lines.append("Between grid points the curve is not bounded (a MIP's frontier has "
                     "steps); solve more points where it matters.")
    if sweep.kind == "ceilings" or any(r.marginal_cost_basis != "lp" for r in sweep.results):
        lines.append("Marginal: the slope from the previous point (exports per unit of "
                     "ceiling, or cost per unit of exports).")
    lines += [f"Levers: {', '.join(f'{lid} = {name}' for lid, name in sweep.levers)}."]
    lines += list(sweep.notes)
    return lines


def _grid(sweep: Sweep) -> layout.Grid:
    header, body = _cells(sweep)
    return layout.grid(header, body, left=(1,))


def render_sweep_table(sweep: Sweep) -> str:
    title = f"{sweep.scenario}: sweep over {sweep.kind}"
    return "\n".join([title, "", *layout.text(_grid(sweep), measure=len), "",
                      *_notes(sweep)]) + "\n"


def render_sweep_markdown(sweep: Sweep) -> str:
    lines = [f"## {sweep.scenario}: sweep over {sweep.kind}", "", *layout.markdown(_grid(sweep))]
    lines += ["", *[f"- {line}" for line in _notes(sweep)]]
    return "\n".join(lines) + "\n"


SWEEP_RENDERERS: dict[str, Callable[[Sweep], str]] = {
    "table": render_sweep_table,
    "csv": render_sweep_csv,
    "json": render_sweep_json,
    "markdown": render_sweep_markdown,
}
