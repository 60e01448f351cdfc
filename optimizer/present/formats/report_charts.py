"""The report's charts: the lever mix (drawn here), the frontier and the tornado (from
optimizer.present.formats.charts), and for a scenario with distributions the fan chart (or the
histogram) and the cost of certainty (optimizer.present.formats.risk_charts, .chance), each as PNG
and SVG bytes, the same bytes on a rerun."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from optimizer.numbers import memo
from optimizer.present.formats.chance import certainty_figure
from optimizer.present.formats.charts import (
    FONT,
    drawing,
    figure_bytes,
    sweep_figure,
    tornado_figure,
)
from optimizer.present.formats.risk_charts import fan_figure, histogram_figure
from optimizer.present.views.model import Certainty, Mix, Report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP = 15
"""Levers drawn one by one; the rest of the funded ones share an 'other' bar."""
_SPEND = ("#9ecae1", "#4292c6", "#08519c", "#08306b", "#c6dbef", "#2171b5")
_EXPORTS = "#238b45"
CHART_FORMATS = ("png", "svg")
SLOWEST = ("mix", "tornado", "frontier")
"""The charts that take longest to draw, slowest first (the three-year scenario's
report: 0.5, 0.4 and 0.4 s; the others 0.2 s or less)."""


def _esc(text: str) -> str:
    """Text for matplotlib as it is: charts.RC turns mathtext off (a dollar sign is a
    dollar)."""
    return text


def _bars(mix: Mix, currency: str) -> tuple[list[tuple[str, list[float], float]], list[str], str]:
    """(label, spend by period, exports) of the bars, largest spend first; the levers
    that are not funded; and a note for the rest when a bar of them would dwarf the
    levers drawn."""
    totals = [sum(row) for row in mix.spend]
    funded = [i for i, name in enumerate(mix.levers)
              if totals[i] > 1e-9 or mix.exports[i] > 1e-9]
    order = sorted(funded, key=lambda i: (-totals[i], -mix.exports[i], i))
    bars = [(mix.levers[i], list(mix.spend[i]), mix.exports[i]) for i in order[:TOP]]
    rest = order[TOP:]
    note = ""
    if rest:
        spend = [sum(mix.spend[i][k] for i in rest) for k in range(len(mix.periods))]
        exports = sum(mix.exports[i] for i in rest)
        label = f"Other {len(rest)} levers"
        if sum(spend) > 2 * max(sum(b[1]) for b in bars):
            note = (f"{label} (not drawn): {memo.money(sum(spend), currency)} of spend, "
                    f"{memo.money(exports, currency)} of exports.")
        else:
            bars.append((label, spend, exports))
    unfunded = [mix.levers[i] for i in range(len(mix.levers)) if i not in set(funded)]
    return bars, unfunded, note


def mix_figure(mix: Mix, currency: str, title: str) -> Figure:
    """Spend (stacked by period) and exports of each funded lever, side by side, as
    horizontal bars with their memo figures at the ends."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    bars, unfunded, rest = _bars(mix, currency)
    n = max(1, len(bars))
    fig = Figure(figsize=(10, 2.0 + 0.42 * n), layout="constrained")
    FigureCanvasAgg(fig)
    spend_ax, export_ax = fig.subplots(1, 2, sharey=True, width_ratios=(1.2, 1.0))
    ys = list(range(len(bars)))[::-1]
    ticks = FuncFormatter(lambda v, _pos: memo.tick(v, currency))
    periods = mix.periods
    colors = [_SPEND[k % len(_SPEND)] for k in range(len(periods))] if len(periods) > 1 \
        else [_SPEND[2]]
    top_spend = max((sum(b[1]) for b in bars), default=0.0)
    top_exports = max((b[2] for b in bars), default=0.0)
    for y, (_, spend, exports) in zip(ys, bars, strict=True):
        left = 0.0
        for k, value in enumerate(spend):
            spend_ax.barh(y, value, left=left, color=colors[k], height=0.62, lw=0)
            left += value
        # (each figure as its row of the allocation table writes it, in its column's scale)
        spend_ax.text(left + top_spend * 0.015, y,
                      _esc(memo.money(left, currency, mix.spend_scale)), va="center",
                      fontsize=FONT - 1, color="#333333")
        export_ax.barh(y, exports, color=_EXPORTS, height=0.62, lw=0)
        export_ax.text(exports + top_exports * 0.015, y,
                       _esc(memo.money(exports, currency, mix.exports_scale)),
                       va="center", fontsize=FONT - 1, color="#333333")
    spend_ax.set_yticks(ys, [_esc(textwrap.fill(b[0], 32)) for b in bars])
    by = f", {periods[0]}\u2013{periods[-1]}" if len(periods) > 1 else ""
    spend_ax.set_title(f"Spend ({currency}{by})", loc="left", fontsize=FONT + 0.5)
    export_ax.set_title(f"{mix.export_label} ({currency} a year)", loc="left",
                        fontsize=FONT + 0.5)
    for ax, top in ((spend_ax, top_spend), (export_ax, top_exports)):
        ax.set_xlim(0, top * 1.28 if top > 0 else 1)
        ax.xaxis.set_major_formatter(ticks)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        ax.grid(True, axis="x", color="#e6e6e6", lw=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)
    if not bars:
        spend_ax.text(0.5, 0.5, "No lever is funded", transform=spend_ax.transAxes,
                      ha="center", va="center", color="#555555")
        spend_ax.set_yticks([])
    notes = ["Levers by spend, largest first.", *([rest] if rest else [])]
    if unfunded:
        names = ", ".join(unfunded) if len(unfunded) <= 3 else f"{len(unfunded)} levers"
        notes.append(f"Not funded: {names}.")
    note = _esc(textwrap.fill(" ".join(notes), 120))
    fig.suptitle(_esc(textwrap.fill(title, 80)), x=0.01, ha="left", fontsize=FONT + 1,
                 fontweight="bold")
    if len(periods) > 1 and bars:
        fig.legend(handles=[Patch(color=c, label=f"funded in {p}")
                            for c, p in zip(colors, periods, strict=True)],
                   loc="outside lower left", ncols=len(periods), frameon=False,
                   fontsize=FONT - 1, title=note, title_fontsize=FONT - 1, alignment="left")
    else:
        fig.supxlabel(note, x=0.01, ha="left", fontsize=FONT - 1, color="#555555")
    return fig


def _formats(make: Callable[[], Figure], formats: Sequence[str]) -> dict[str, bytes]:
    """One figure, drawn once per format (built once: the layout is the slow part)."""
    with drawing():
        fig = make()
        return {f: figure_bytes(fig, f) for f in formats}


def chart_bytes(make: Callable[[], Figure], formats: Sequence[str] = CHART_FORMATS
                ) -> dict[str, bytes]:
    """A chart of chart_makers as {format: bytes}."""
    return _formats(make, formats)


def chart_makers(report: Report) -> dict[str, Callable[[], Figure]]:
    """name -> what builds its figure: mix always, frontier with a sweep, tornado with
    one, the fan chart or the histogram with a simulation, the cost of certainty with
    a point that has a cost."""
    title = f"{report.title}: where the money goes"
    out: dict[str, Callable[[], Figure]] = {
        "mix": lambda: mix_figure(report.mix, report.currency, title)}
    sweep = report.sweep
    if sweep is not None and sweep.values:
        out["frontier"] = lambda: sweep_figure(sweep)
    t = report.tornado
    if t is not None and t.swings:
        what = f"{report.title}: what moves the answer, each parameter alone"
        # bars labelled by plain name, as the brief and the tables name them
        named = tuple(dataclasses.replace(w, parameter="\n".join(textwrap.wrap(
            report.names.get(w.parameter, w.parameter), 44))) for w in t.swings)
        out["tornado"] = lambda: tornado_figure(named, t.base, report.currency, what,
                                                t.share, t.what, counts=t.counts)
    risk = report.risk
    if risk is not None and risk.simulation is not None and risk.chart is not None:
        sim = risk.simulation
        draw = fan_figure if risk.chart == "fan" else histogram_figure
        out[risk.chart] = lambda: draw(sim)
    c = risk.certainty if risk is not None else None
    if c is not None and any(p.cost is not None for p in c.points):
        out["certainty"] = lambda: _certainty(c, report.title)
    return out


def report_charts(report: Report, formats: Sequence[str] = CHART_FORMATS
                  ) -> dict[str, dict[str, bytes]]:
    """name -> {format: bytes} of every chart of chart_makers, drawn here in turn."""
    return {name: _formats(make, formats) for name, make in chart_makers(report).items()}


def _certainty(c: Certainty, title: str) -> Figure:
    points = [(p.confidence, p.cost if p.certified else None, p.lower_bound,
               None if p.most_reached is None else p.most_reached / c.samples)
              for p in c.points]
    return certainty_figure(points, c.deterministic_cost, c.currency,
                            f"{title}: the cost of certainty ({c.samples:,} samples)",
                            c.cost_label)
