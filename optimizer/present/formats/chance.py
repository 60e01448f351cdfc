"""The cost of certainty: chance-constrained plans across confidences, as text,
CSV, JSON and Markdown, and a chart."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.numbers import memo
from optimizer.numbers.exact import money
from optimizer.present.files import write_file
from optimizer.present.formats import allocation_records, layout, tables
from optimizer.present.formats.charts import drawing, figure_bytes
from optimizer.present.formats.risk_charts import _format
from optimizer.present.views.model import Column, Table
from optimizer.results import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _records(results: Sequence[Result]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        c = r.chance
        assert c is not None
        out.append({
            "confidence": c.confidence, "status": r.status,
            "discounted_cost": r.discounted_cost, "extra_cost": c.extra_cost,
            "in_sample": c.in_sample, "out_of_sample": c.out_of_sample,
            "out_of_sample_std_error": c.out_of_sample_std_error,
            "lower_bound": c.lower_bound, "certified": c.certified, "checks": c.checks,
            "samples": c.samples, "fresh_samples": c.fresh_samples, "seed": c.seed,
            "fresh_seed": c.fresh_seed,
            "deterministic_cost": c.deterministic_cost,
            "units": {rec.lever: rec.units for rec in r.rows} if r.rows else {},
        })
    return out


def chance_table(results: Sequence[Result]) -> Table:
    """One row per confidence asked: its plan's cost, what certainty adds, the share of its
    own samples it reaches, the share of its fresh sample with its standard error, and the
    95% lower bound on its probability; the sample sizes and seeds only in the CSV."""
    columns = (Column("confidence", "confidence", "share", decimals=0, align="left"),
               Column("status", "status"),
               Column("discounted_cost", "cost", "money"),
               Column("extra_cost", "extra cost", "money"),
               Column("in_sample", "in sample", "share"),
               Column("out_of_sample", "fresh sample", "share", decimals=2),
               Column("out_of_sample_std_error", "standard error", "share", decimals=2),
               Column("lower_bound", "at least (95%)", "share", decimals=2),
               Column("checks", "plans checked", "count"),
               Column("samples", "samples", "count"),
               Column("fresh_samples", "fresh samples", "count"),
               Column("seed", "seed", "count"),
               Column("fresh_seed", "fresh seed", "count"))
    rows = tuple(tuple(rec[c.key] for c in columns) for rec in _records(results))
    return Table("certainty", "The cost of certainty", columns, rows,
                 page_hidden=("samples", "fresh_samples", "seed", "fresh_seed"),
                 style="exact")


def _grid(results: Sequence[Result]) -> layout.Grid:
    return tables.grid(chance_table(results), results[0].currency)


def render_chance_table(results: Sequence[Result]) -> str:
    c = results[0].chance
    assert c is not None
    head = (f"{results[0].scenario}: the cost of certainty: each plan's probability of "
            f"reaching the target is at least the confidence asked, with 95% confidence "
            f"(a Clopper-Pearson bound from {c.fresh_samples:,} fresh samples of its own; "
            f"solved on samples of seed {c.seed}); the plan for the point values costs "
            f"{money(c.deterministic_cost or 0.0, results[0].currency)}")
    # rule=False: this table has never had a rule under its header
    return head + "\n\n" + "\n".join(layout.text(_grid(results), measure=len, rule=False)) \
        + "\n"


def render_chance_markdown(results: Sequence[Result]) -> str:
    return "\n".join(layout.markdown(_grid(results))) + "\n"


def render_chance_csv(results: Sequence[Result]) -> str:
    return tables.csv_text(chance_table(results))


def render_chance_json(results: Sequence[Result]) -> str:
    data = {"scenario": results[0].scenario, "currency": results[0].currency,
            "points": _records(results),
            "allocations": [allocation_records(r) for r in results]}
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


CHANCE_RENDERERS = {
    "table": render_chance_table, "markdown": render_chance_markdown,
    "csv": render_chance_csv, "json": render_chance_json,
}


_MOST = re.compile(r"at most ([\d,]+) of them")
_LINE = "#1f4e79"
_BASE = "#7f7f7f"
_OUT = "#b03a2e"

Point = tuple[float, float | None, float | None, float | None]
"""(confidence, cost or None when out of reach or not certified, the 95% lower bound on the
plan's probability, most share reachable)."""


def _esc(text: str) -> str:
    """Text for matplotlib as it is: charts.RC turns mathtext off (a dollar sign is a
    dollar)."""
    return text


def certainty_points(results: Sequence[Result]) -> list[Point]:
    """The sweep's results as the chart's points."""
    out: list[Point] = []
    for r in results:
        c = r.chance
        assert c is not None
        if r.status in ("optimal", "limit_with_plan") and r.discounted_cost is not None \
                and c.certified:
            out.append((c.confidence, r.discounted_cost, c.lower_bound, None))
        else:
            found = _MOST.search(r.message or "")
            most = int(found.group(1).replace(",", "")) / c.samples if found else None
            out.append((c.confidence, None, None, most))
    return out


def certainty_figure(points: Sequence[Point], deterministic: float | None, currency: str,
                     title: str, cost_label: str = "cost, discounted") -> Figure:
    """The cost of certainty: the cheapest plan's cost at each confidence asked (labelled
    with the 95% lower bound on its probability), the plan for the point values as a
    dashed line, confidences out of reach marked at the top. Draw or save it inside
    charts.drawing()."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    got = [(c, cost, fresh) for c, cost, fresh, _ in points if cost is not None]
    out = [(c, most) for c, cost, _, most in points if cost is None]
    xs = [c for c, _, _ in got]
    ys = [cost for _, cost, _ in got]
    if got:
        ax.plot(xs, ys, color=_LINE, marker="o", linewidth=2.0,
                label="cheapest plan found reaching the target with at least that "
                      "probability (95% confidence)")
        for x, y, bound in got:
            text = _esc(memo.money(y, currency)) + ("" if bound is None else
                                                    f"\nat least {100 * bound:.1f}%")
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 9), ha="center",
                        va="bottom", fontsize=9, color="#333333")
    if deterministic is not None:
        ax.axhline(deterministic, color=_BASE, linestyle="--", linewidth=1.2,
                   label="plan for the point values: "
                         + _esc(memo.money(deterministic, currency)))
    top = max([*ys, deterministic or 0.0, 1.0])
    ax.set_ylim(0, top * 1.3)
    for x, most in out:
        ax.plot([x], [0.93], transform=ax.get_xaxis_transform(), marker="X", markersize=10,
                color=_OUT, linestyle="none")
        ax.annotate("out of reach" + ("" if most is None else f"\n(at most {100 * most:.1f}%)"),
                    (x, 0.93), xycoords=ax.get_xaxis_transform(), textcoords="offset points",
                    xytext=(0, -12), ha="center", va="top", fontsize=9, color=_OUT)
    every = sorted(c for c, *_ in points)
    if every:
        pad = max(0.03, (every[-1] - every[0]) * 0.08)
        ax.set_xlim(every[0] - pad, every[-1] + pad)
        ax.set_xticks(every)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: memo.tick(v, currency)))
    ax.set_xlabel("Confidence asked: the probability of reaching the target, at least "
                  "(95% confidence, on fresh samples)")
    ax.set_ylabel(f"{cost_label[:1].upper()}{cost_label[1:]} ({currency})")
    ax.set_title("\n".join(textwrap.wrap(title, 80)), loc="left", fontweight="bold")
    ax.grid(True, axis="y", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def certainty_chart_bytes(points: Sequence[Point], deterministic: float | None, currency: str,
                          title: str, fmt: str, cost_label: str = "cost, discounted") -> bytes:
    """The chart as ``png`` or ``svg`` bytes, the same bytes for the same points."""
    with drawing():
        return figure_bytes(certainty_figure(points, deterministic, currency, title,
                                             cost_label), fmt)


def certainty_chart(results: Sequence[Result], path: Path) -> None:
    """Write the cost of certainty of a confidence sweep to FILE.png or FILE.svg."""
    target = Path(path)
    first = results[0].chance
    data = certainty_chart_bytes(
        certainty_points(results), None if first is None else first.deterministic_cost,
        results[0].currency, f"{results[0].scenario}: the cost of certainty",
        _format(target))
    write_file(target, data)
