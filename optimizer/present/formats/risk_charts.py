"""Charts of a simulation (``optimizer.analyses.simulate.Simulation``, taken as plain data):

* the histogram of last-period exports, with the target and P10/P50/P90 marked;
* the fan chart of exports by period: the P10-P90 band, the P50 line, and the
  target and milestones as points.

Same conventions as ``optimizer.present.formats.charts``: matplotlib's object API only
(no pyplot), imported when a chart is drawn; PNG or SVG by the file's suffix,
written whole or not at all, the same simulation giving the same bytes. When
the target includes the baseline the charts show total exports (what the target
is written in), otherwise lever exports.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.numbers import memo
from optimizer.present.files import write_file
from optimizer.present.formats.charts import FORMATS, drawing, figure_bytes
from optimizer.results.simulation import Simulation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_BARS = "#9db7d5"
_BAND = "#c6d7ea"
_MEDIAN = "#1f4e79"
_TARGET = "#b03a2e"
_QUANTILE = "#444444"


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot write a chart to {str(path)!r}: the file name must end in "
                         f"{' or '.join(FORMATS)} (got {path.suffix or 'no suffix'!r})")
    return fmt


def _offset(sim: Simulation) -> tuple[float, str]:
    """(amount added to lever exports, what the axis shows)."""
    if sim.includes_baseline and sim.baseline:
        return sim.baseline, "Total exports, levers and baseline,"
    return 0.0, "Lever exports"


def _title(text: str) -> str:
    return "\n".join(textwrap.wrap(text, 80))


# -- histogram ----------------------------------------------------------------------------


def histogram_figure(sim: Simulation) -> Figure:
    """The histogram's figure (draw or save it inside charts.drawing())."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    shift, what = _offset(sim)
    cur = sim.currency
    edges = [e + shift for e in sim.histogram.edges]
    counts = sim.histogram.counts
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
    shares = [c / sim.samples for c in counts]
    ax.bar(edges[:-1], shares, width=widths, align="edge", color=_BARS, edgecolor="white",
           linewidth=0.4, label=f"{sim.samples:,} samples")
    top = max(shares) if shares else 1.0
    s = sim.lever_exports
    for value, name, style in ((s.p10, "P10", ":"), (s.p50, "P50", "--"), (s.p90, "P90", ":")):
        ax.axvline(value + shift, color=_QUANTILE, linestyle=style, linewidth=1.2)
        ax.annotate(f"{name} {memo.money(value + shift, cur)}", (value + shift, top * 1.04),
                    ha="center", va="bottom", fontsize=9, color=_QUANTILE)
    goal = sim.needed + shift
    ax.axvline(goal, color=_TARGET, linewidth=2.0,
               label=f"target {memo.money(goal, cur)}: reached in "
                     f"{100 * sim.target.probability:.1f}% of samples")
    ax.set_ylim(0, top * 1.15)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: memo.tick(v, cur)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1 if top < 0.1 else 0))
    period = "" if sim.periods is None else f" in {sim.periods[-1]}"
    ax.set_xlabel(f"{what}{period}".rstrip(",") + f" ({cur} a year)")
    ax.set_ylabel("Share of samples")
    ax.set_title(_title(f"{sim.scenario}: how likely the plan reaches the target"),
                 loc="left", fontweight="bold")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def histogram_chart_bytes(sim: Simulation, fmt: str) -> bytes:
    """The histogram as ``png`` or ``svg`` bytes."""
    with drawing():
        return figure_bytes(histogram_figure(sim), fmt)


def histogram_chart(sim: Simulation, path: str | os.PathLike[str]) -> None:
    """Write the histogram of last-period exports to FILE.png or FILE.svg."""
    target = Path(path)
    write_file(target, histogram_chart_bytes(sim, _format(target)))


# -- fan chart ------------------------------------------------------------------------------


def fan_figure(sim: Simulation) -> Figure:
    """Exports by period: the P10-P90 band, the P50 line, the point-value plan, and the
    target and milestones as points (draw or save it inside charts.drawing())."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    shift, what = _offset(sim)
    cur = sim.currency
    labels = [str(p) for p in sim.exports_by_period]
    spreads = list(sim.exports_by_period.values())
    xs = list(range(len(labels)))
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    low = [s.p10 + shift for s in spreads]
    mid = [s.p50 + shift for s in spreads]
    high = [s.p90 + shift for s in spreads]
    if len(xs) > 1:
        ax.fill_between(xs, low, high, color=_BAND, label="P10 to P90")
        ax.plot(xs, mid, color=_MEDIAN, linewidth=2.0, marker="o", label="P50")
    else:
        ax.errorbar(xs, mid, yerr=[[m - lo for m, lo in zip(mid, low, strict=True)],
                                   [h - m for m, h in zip(mid, high, strict=True)]],
                    fmt="o", color=_MEDIAN, ecolor=_BAND, elinewidth=12, label="P50, P10 to P90")
    goals = [*sim.milestones, sim.target]
    gx = [labels.index(str(g.period)) for g in goals]
    gy = [g.needed + shift for g in goals]
    ax.scatter(gx, gy, marker="D", s=60, color=_TARGET, zorder=5,
               label="target and milestones" if sim.milestones else "target")
    for x, y, g in zip(gx, gy, goals, strict=True):
        ax.annotate(f"{memo.money(y, cur)}: {100 * g.probability:.1f}% reach it", (x, y),
                    textcoords="offset points", xytext=(10, 8), fontsize=9, color=_TARGET,
                    ha="left", va="bottom", zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                          "alpha": 0.9})
    ax.set_xticks(xs, labels if sim.periods is not None else ["target period"])
    if len(xs) > 1:
        ax.set_xlim(-0.3, len(xs) - 0.55)  # room for the last goal's label
    ax.set_ylim(0, max([*high, *gy, 1.0]) * 1.08)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: memo.tick(v, cur)))
    ax.set_ylabel(f"{what.rstrip(',')} ({cur} a year)")
    ax.set_title(_title(f"{sim.scenario}: exports by period across {sim.samples:,} samples"),
                 loc="left", fontweight="bold")
    ax.legend(loc="upper left", frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def fan_chart_bytes(sim: Simulation, fmt: str) -> bytes:
    """The fan chart as ``png`` or ``svg`` bytes."""
    with drawing():
        return figure_bytes(fan_figure(sim), fmt)


def fan_chart(sim: Simulation, path: str | os.PathLike[str]) -> None:
    """Write the fan chart of exports by period to FILE.png or FILE.svg."""
    target = Path(path)
    write_file(target, fan_chart_bytes(sim, _format(target)))
