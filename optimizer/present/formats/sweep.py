"""Sweep -> table, CSV, JSON, Markdown: one row per point, wide (a column pair per lever)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from optimizer.numbers import clean
from optimizer.present.formats import layout, tables
from optimizer.present.views.model import Column, Table
from optimizer.results import Sweep, messages

_MARGINAL = {
    "targets": "Δcost/Δtarget (re-solved, from the previous point)",
    "ceilings": "Δexports/Δceiling (re-solved, from the previous point)",
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
        "marginal_basis": _MARGINAL[sweep.kind],
        "frontier": None if (e := sweep.frontier) is None else {
            "reach": _num(e.reach), "start": _num(e.start), "end": _num(e.end),
            "flat": _num(e.flat), "flat_value": _num(e.flat_value),
            "gaps": [[_num(a), _num(b)] for a, b in e.gaps], "solves": e.solves,
        },
        "notes": [*_frontier_notes(sweep), *sweep.notes],
        "seconds": _num(round(sweep.seconds, 6)),
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def render_sweep_csv(sweep: Sweep) -> str:
    return tables.csv_text(sweep_table(sweep))


def sweep_table(sweep: Sweep) -> Table:
    """One row per point: the swept value, status, cost, exports, the marginal figure, and
    each lever's units and spend (by id: names make the wide table unreadable)."""
    cur = sweep.currency
    swept = "ceiling" if sweep.kind == "ceilings" else "target"
    columns = [Column(swept, f"{swept} ({cur})", "money", decimals=0, bare=True),
               Column("status", "status"),
               Column("meets_target", "target met"),
               Column("total_cost", f"cost ({cur})", "money", decimals=0, bare=True),
               Column("lever_exports", f"lever exports ({cur}/yr)", "money", decimals=0,
                      bare=True)]
    if any(r.includes_baseline for r in sweep.results):
        # the target counts the baseline: total exports on its basis, beside it
        columns.append(Column("total_exports", f"total exports ({cur}/yr)", "money",
                              decimals=0, bare=True))
    columns.append(Column("marginal", _MARGINAL[sweep.kind], "number"))
    columns += [Column(f"outcome.{o}", o, "count") for o in sweep.outcomes]
    for lid, _ in sweep.levers:
        columns += [Column(f"{lid}.units", f"{lid} units", "count"),
                    Column(f"{lid}.spend", f"{lid} spend", "money", decimals=0, bare=True)]
    rows = tuple(tuple(_num(row[c.key]) for c in columns) for row in sweep.rows())
    return Table("sweep", f"Sweep over {sweep.kind}", tuple(columns), rows, style="exact")


def _notes(sweep: Sweep) -> list[str]:
    cur = sweep.currency
    lines = [f"{len(sweep.values)} points in {sweep.seconds:.2f} s on one model."]
    if sweep.breakpoints is not None:
        lines.append(f"Exact frontier: {len(sweep.breakpoints)} breakpoints; between them "
                     "the curve is a straight line.")
        lines += _frontier_notes(sweep)
    elif sweep.interpolation_error is not None:
        lines.append(
            "Between grid points the true curve is convex and piecewise linear; a straight "
            f"line between points misses it by at most {sweep.interpolation_error:,.0f} {cur} "
            "(from the end slopes of each interval).")
    elif sweep.kind == "targets":
        lines.append("Between grid points the curve is not bounded (a MIP's frontier has "
                     "steps); solve more points where it matters.")
    if sweep.kind == "ceilings":
        lines.append("Δexports/Δceiling: the lever exports one more unit of ceiling bought "
                     "since the previous point, both solved (across a point without a plan, "
                     "since the last point with one).")
    else:
        discounted = any(r.discounted_cost is not None and r.total_cost is not None
                         and abs(r.discounted_cost - r.total_cost)
                         > 1e-9 * max(1.0, abs(r.total_cost)) for r in sweep.results)
        cost = " (the cost minimised: discounted)" if discounted else ""
        lines.append(f"Δcost/Δtarget: the cost{cost} of one more unit of target since the "
                     "previous point, both solved (across a point without a plan, since the "
                     "last point with one).")
    lines += [f"Levers: {', '.join(f'{lid} = {name}' for lid, name in sweep.levers)}."]
    lines += list(sweep.notes)
    return lines


def _frontier_notes(sweep: Sweep) -> list[str]:
    return [] if sweep.frontier is None else messages.frontier_notes(sweep.frontier,
                                                                     sweep.currency)


def _grid(sweep: Sweep) -> layout.Grid:
    return tables.grid(sweep_table(sweep), sweep.currency)


def render_sweep_table(sweep: Sweep) -> str:
    title = f"{layout.one_line(sweep.scenario)}: sweep over {sweep.kind}"
    return "\n".join([title, "", *layout.text(_grid(sweep), measure=len), "",
                      *_notes(sweep)]) + "\n"


def render_sweep_markdown(sweep: Sweep) -> str:
    lines = [f"## {layout.heading(sweep.scenario)}: sweep over {sweep.kind}", "",
             *layout.markdown(_grid(sweep))]
    lines += ["", *[f"- {layout.heading(line)}" for line in _notes(sweep)]]
    return "\n".join(lines) + "\n"


SWEEP_RENDERERS: dict[str, Callable[[Sweep], str]] = {
    "table": render_sweep_table,
    "csv": render_sweep_csv,
    "json": render_sweep_json,
    "markdown": render_sweep_markdown,
}
