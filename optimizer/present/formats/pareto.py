"""sweep --pareto: the trade-off between two outcomes, as text, CSV, JSON and
Markdown (one table stack: the same figure reads the same in each)."""

from __future__ import annotations

import json
import math
import os
import textwrap
from typing import TYPE_CHECKING, Any

from optimizer.numbers import memo, quantized
from optimizer.numbers.exact import money
from optimizer.present.formats import layout, tables
from optimizer.present.formats.charts import save_chart
from optimizer.present.views.model import Column, Table
from optimizer.results import Pareto

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _tidy(value: float, scale: float) -> float:
    """A figure to 1e-8 of its column's largest (the lexicographic rule keeps each
    plan within 1e-9 of its most: 159.99999984 reads 160, a hair of 1e-7 reads 0)."""
    if not scale or not math.isfinite(scale):
        return value
    grain = 10.0 ** (math.floor(math.log10(scale)) - 7)
    return quantized(round(value / grain) * grain, "nearest", digits=12)


def _records(p: Pareto) -> list[dict[str, Any]]:
    out = []
    xs = [_tidy(q.x, abs(p.reach)) for q in p.points]
    top = max((abs(q.y) for q in p.points), default=0.0)
    ys = [_tidy(q.y, top) for q in p.points]
    # (units to 1e-8 of the largest lever's: a hair of 1e-7 units reads 0)
    most = max((abs(row.units) for q in p.points for row in q.result.rows), default=0.0)
    spent = max((abs(q.result.total_cost or 0.0) for q in p.points), default=0.0)
    for i, q in enumerate(p.points):
        r = q.result
        # the slope to the next point from the figures shown (None at the last)
        slope = None if i + 1 == len(xs) or xs[i + 1] == xs[i] else \
            _tidy((ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]), 1.0)
        out.append({
            "first": xs[i], "second": ys[i], "slope_after": slope,
            "total_cost": None if r.total_cost is None else _tidy(r.total_cost, spent),
            "binding": list(r.binding),
            "units": {rec.lever: _tidy(rec.units, most) for rec in r.rows},
        })
    return out


def pareto_table(p: Pareto) -> Table:
    """One row per point: the floor on the first outcome, the most of the second,
    what one more of the first gives up of the second (to the next point), the plan's
    cost and each lever's units."""
    first, second = p.first, p.second
    columns = (
        Column("first", f"floor on {first[1]} ({first[2]})", "count", unit=first[2],
               align="left"),
        Column("second", f"most {second[1]} ({second[2]})", "count", unit=second[2]),
        Column("slope_after", f"{second[0]} per {first[0]} after", "number"),
        Column("total_cost", f"cost ({p.currency})", "money", bare=True),
        *(Column(f"units.{lid}", name, "count") for lid, name in p.levers),
    )
    rows = tuple(
        (rec["first"], rec["second"], rec["slope_after"], rec["total_cost"],
         *(rec["units"].get(lid) for lid, _ in p.levers))
        for rec in _records(p))
    how = ("every corner of the trade-off (an LP: exact; straight between corners)"
           if p.exact else f"{len(p.points)} floors evenly from 0 (a MIP: a grid, no "
           "corners between them)")
    return Table("pareto", "The trade-off between two outcomes", columns, rows,
                 caption=(f"Within a ceiling of {money(p.ceiling, p.currency)}: for each "
                          f"floor on {first[1]}, the most {second[1]} any plan makes (then "
                          f"the cheapest plan keeping it), {how}; each point solved and "
                          "certified."),
                 empty="No plan within the ceiling and the other limits: no trade-off.",
                 style="exact")


def _grid(p: Pareto) -> layout.Grid:
    return tables.grid(pareto_table(p), p.currency)


def _head(p: Pareto) -> str:
    first, second = p.first, p.second
    if p.reason is not None:
        return (f"{p.scenario}: no trade-off between {first[1]} and {second[1]}: the most "
                f"{first[1]} within the ceiling has no plan ({p.reason.message})")
    how = "every corner (an LP)" if p.exact else "a grid (a MIP)"
    return (f"{p.scenario}: the most {second[1]} ({second[2]}) for each floor on {first[1]} "
            f"({first[2]}), from none to the most any plan makes, within a ceiling of "
            f"{money(p.ceiling, p.currency)}: {how}, {p.solves} solves")


def render_pareto_table(p: Pareto) -> str:
    body = "\n".join(layout.text(_grid(p), measure=len)) if p.points else ""
    return _head(p) + "\n\n" + body + ("\n" if body else "")


def render_pareto_markdown(p: Pareto) -> str:
    return _head(p) + "\n\n" + "\n".join(layout.markdown(_grid(p))) + "\n"


def render_pareto_csv(p: Pareto) -> str:
    return tables.csv_text(pareto_table(p))


def render_pareto_json(p: Pareto) -> str:
    first, second = p.first, p.second
    data = {"scenario": p.scenario, "currency": p.currency,
            "pareto": {"first": {"outcome": first[0], "name": first[1], "unit": first[2]},
                       "second": {"outcome": second[0], "name": second[1],
                                  "unit": second[2]}},
            "ceiling": p.ceiling, "reach": p.reach if p.points else None,
            "exact": p.exact, "solves": p.solves,
            "message": None if p.reason is None else p.reason.message,
            "points": _records(p)}
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


PARETO_RENDERERS = {
    "table": render_pareto_table, "markdown": render_pareto_markdown,
    "csv": render_pareto_csv, "json": render_pareto_json,
}


def pareto_figure(p: Pareto) -> Figure:
    """The trade-off as a line through its points (an LP's corners, straight between
    them; a MIP's grid, marked only), each point marked, the axes in the outcomes'
    own units. Draw or save it inside charts.drawing()."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    if not p.points:
        raise ValueError("the trade-off has no points to chart")
    records = _records(p)
    xs = [r["first"] for r in records]
    ys = [r["second"] for r in records]
    fig = Figure(figsize=(8, 5))
    ax = fig.add_subplot()
    if p.exact:
        ax.plot(xs, ys, color="#1f4e79", linewidth=2, marker="o",
                label="every corner (straight between them)")
    else:
        ax.plot(xs, ys, color="#1f4e79", linestyle="none", marker="o",
                label="each floor solved (a MIP: nothing is known between points)")
    # (memo.count words 0 as a dash, a cell's "nothing"; an axis starts at 0)
    ticks = FuncFormatter(lambda v, _: "0" if v == 0 else memo.count(v))
    ax.xaxis.set_major_formatter(ticks)
    ax.yaxis.set_major_formatter(ticks)
    ax.set_xlabel(f"floor on {p.first[1]} ({p.first[2]})")
    ax.set_ylabel(f"most {p.second[1]} ({p.second[2]})")
    title = (f"{p.scenario}: {p.second[1]} against {p.first[1]}, within a ceiling of "
             f"{memo.money(p.ceiling, p.currency)}")
    ax.set_title("\n".join(textwrap.wrap(title, 70)), loc="left", fontweight="bold")
    ax.set_ylim(bottom=0, top=max(ys) * 1.08 if max(ys) > 0 else 1.0)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.legend(loc="lower left", frameon=False)
    fig.tight_layout()
    return fig


def pareto_chart(p: Pareto, path: str | os.PathLike[str]) -> None:
    """pareto_figure written to ``path`` (.png or .svg), whole or not at all, the
    same bytes on a rerun (charts.figure_bytes)."""
    save_chart(lambda: pareto_figure(p), path)
