"""A sweep as a chart for a memo: the frontier on top, the lever mix below.

matplotlib is imported only when a chart is drawn, and only through the
object API (a ``Figure`` on an Agg canvas): no pyplot, no global backend
switch, nothing left open. No Pyomo here: only the plain results.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.imports import plain
from optimizer.numbers import memo
from optimizer.present.files import write_file
from optimizer.results import Result, Sweep, Swing

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

FORMATS = {".png": "png", ".svg": "svg"}

WIDTH = 10.0
"""Inches; a memo's text width at a comfortable scale."""
HEIGHT = 7.0
"""Inches, for a legend of up to a few rows; more levers make the figure taller."""
DPI = 150
FONT = 10.0
HASH_SALT = "optimizer.present.formats.charts"

_REACHED = ("optimal", "limit_with_plan")
_OUT_OF_REACH = "#d9d9d9"
_FRONTIER = "#1f4e79"
_NEEDED = "#b03a2e"


def sweep_chart(sweep: Sweep, path: str | os.PathLike[str]) -> None:
    """Write the sweep as a chart a planner can paste into a memo; format from the suffix
    (.png or .svg).

    The file is written whole or not at all (a temporary file in the same
    folder, renamed into place). The same sweep gives the same bytes.
    """
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot write a chart to {str(target)!r}: the file name must end in "
            f"{' or '.join(FORMATS)} (got {target.suffix or 'no suffix'!r})"
        )
    if not sweep.values:
        raise ValueError("the sweep has no points to chart")
    with drawing():
        fig = _figure(sweep)
        _write(fig, target, fmt)


# -- what is drawn -------------------------------------------------------------------------


def _reached(r: Result) -> bool:
    return r.status in _REACHED and r.total_cost is not None and r.lever_exports is not None


def _y(sweep: Sweep, r: Result) -> float:
    if not _reached(r):
        return math.nan
    value = r.lever_exports if sweep.kind == "ceilings" else r.total_cost
    return math.nan if value is None else float(value)


def _spend(sweep: Sweep) -> list[list[float]]:
    """Spend of every lever (file order) at every point; NaN where nothing was reached."""
    by_point = [{row.lever: row for row in r.rows} if _reached(r) else None
                for r in sweep.results]
    return [
        [math.nan if rows is None
         else max(0.0, float(rows[lid].spend or 0.0)) if lid in rows else 0.0
         for rows in by_point]
        for lid, _ in sweep.levers
    ]


def _runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """(first, last) index of every run of True."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _bands(values: Sequence[float], flags: Sequence[bool]) -> list[tuple[float, float]]:
    """x spans of the runs of flagged points: halfway to the neighbours, half a step
    past the ends."""
    n = len(values)
    step = (values[-1] - values[0]) / (n - 1) if n > 1 else max(abs(values[0]), 1.0) * 0.05
    spans = []
    for a, b in _runs(flags):
        left = (values[a - 1] + values[a]) / 2 if a > 0 else values[a] - step / 2
        right = (values[b] + values[b + 1]) / 2 if b < n - 1 else values[b] + step / 2
        spans.append((left, right))
    return spans


def _colors(n: int) -> list[Any]:
    """A qualitative palette: tab10 up to ten levers, else tab20's dark shades then its
    light ones (no two neighbours alike), cycling."""
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    tab20 = [colormaps["tab20"](i) for i in range(20)]
    palette = tab20[0::2] + tab20[1::2]
    return [palette[i % len(palette)] for i in range(n)]


def _suffix(series: Sequence[float], spend: Sequence[Sequence[float]]) -> str:
    """What the legend adds to a lever's label when its area cannot be seen."""
    most = max((v for v in series if not math.isnan(v)), default=0.0)
    totals = [sum(col) for col in zip(*spend, strict=True)]
    top = max((t for t in totals if not math.isnan(t)), default=0.0)
    if most <= 0:
        return " (not funded)"
    if most < 0.005 * top:
        return " (too small to see)"
    return ""


def _periods(sweep: Sweep) -> tuple[Any, ...] | None:
    for r in sweep.results:
        if r.periods is not None:
            return r.periods
    return None


def _baseline(sweep: Sweep) -> tuple[float, bool] | None:
    for r in sweep.results:
        return r.baseline, r.includes_baseline
    return None


def _discounted(sweep: Sweep) -> bool:
    """Whether plans were chosen by discounted cost that differs from their spend."""
    return any(
        r.discounted_cost is not None and r.total_cost is not None
        and abs(r.discounted_cost - r.total_cost) > 1e-9 * max(1.0, abs(r.total_cost))
        for r in sweep.results
    )


def _texts(sweep: Sweep) -> dict[str, str]:
    cur = sweep.currency
    periods = _periods(sweep)
    span = f", {periods[0]}\u2013{periods[-1]}" if periods and len(periods) > 1 else ""
    last = f" in {periods[-1]}" if periods else " a year"
    base = _baseline(sweep)
    if sweep.kind == "ceilings":
        return {
            "what": "Most exports the levers can add at each budget ceiling",
            "x": f"Budget ceiling ({cur}{span})",
            "y": f"Lever exports{last} ({cur})",
            "mix": f"Spend by lever ({cur}{span})",
        }
    total = ""
    if base is not None and base[1] and base[0]:
        total = f"; total, including the {memo.money(base[0], cur)} baseline"
    cost = "Total spend of the cheapest plan" if _discounted(sweep) else "Least total cost"
    return {
        "what": "Least total cost of reaching each export target",
        "x": f"Export target{last} ({cur}{total})",
        "y": f"{cost} ({cur}{span})",
        "mix": f"Spend by lever ({cur}{span})",
    }


# -- the figure ----------------------------------------------------------------------------


MAX_LEGEND_ROWS = 17
"""More levers than this take more columns, their labels shortened to fit."""


def _legend(labels: Sequence[str], suffixes: Sequence[str]) -> tuple[list[str], int, float, int]:
    """(labels, columns, font size, rows): the most columns (and the fewest rows) whose
    labels, measured, fit the figure's width; past MAX_LEGEND_ROWS rows, labels are
    shortened in the middle (their ends tell levers apart) to fit."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    n = len(labels)
    size = FONT if n <= 12 else 9.0
    font = FontProperties(size=size)
    measure = TextToPath()
    em = size / 72  # inches

    def width(text: str) -> float:  # inches; TextToPath measures in points
        return measure.get_text_width_height_descent(text, font, ismath=False)[0] / 72

    full = [label + suffix for label, suffix in zip(labels, suffixes, strict=True)]
    widths = [width(text) for text in full]
    handle = (1.6 + 0.8) * em  # handlelength + handletextpad
    gap = 1.6 * em  # columnspacing
    room = WIDTH - 0.3

    def heights(columns: int) -> list[int]:
        # As matplotlib fills a legend: column by column, the longer columns first.
        rows, long_columns = divmod(n, columns)
        return [rows + 1] * long_columns + [rows] * (columns - long_columns)

    def fits(columns: int) -> bool:
        spans, start = [], 0
        for h in heights(columns):
            spans.append(max(widths[start:start + h]))
            start += h
        return sum(w + handle for w in spans) + gap * (columns - 1) <= room

    fewest = min(max(1, math.ceil(n / MAX_LEGEND_ROWS)), 4)
    fitting = [c for c in range(fewest, min(n, 6) + 1) if fits(c)]
    if fitting:
        rows = min(heights(c)[0] for c in fitting)
        # The fewest rows, and of those the fewest columns: 2 x 2 rather than 2 + 1 + 1.
        columns = min(c for c in fitting if heights(c)[0] == rows)
        return full, columns, size, rows
    columns = fewest
    fit = (room - gap * (columns - 1)) / columns - handle
    shortened = [text if w <= fit else _shorten(label, suffix, fit, width)
                 for text, w, label, suffix in zip(full, widths, labels, suffixes, strict=True)]
    return shortened, columns, size, heights(columns)[0]


def _shorten(label: str, suffix: str, fit: float, width: Any) -> str:
    """``label`` cut in the middle with an ellipsis so that it and ``suffix`` fit."""
    suffix = _SHORT_SUFFIX.get(suffix, suffix)
    keep = min(len(label), int(len(label) * fit / max(width(label + suffix), 1e-9)) + 3)
    while keep > 4:
        head = label[: (keep + 1) // 2].rstrip()
        tail = label[len(label) - keep // 2:].lstrip()
        text = f"{head}\u2026{tail}{suffix}"
        if width(text) <= fit:
            return text
        keep -= 1
    return f"{label[:4]}\u2026{suffix}"


_SHORT_SUFFIX = {" (not funded)": " (unfunded)", " (too small to see)": " (tiny)"}


def _figure(sweep: Sweep) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    cur = sweep.currency
    texts = _texts(sweep)
    xs = [float(v) for v in sweep.values]
    ys = [_y(sweep, r) for r in sweep.results]
    spend = _spend(sweep)
    anything = any(_reached(r) for r in sweep.results)
    labels, columns, legend_size, rows = _legend(
        [label for _, label in sweep.levers],
        [_suffix(series, spend) if anything else "" for series in spend])
    extra_rows = max(0, rows - 3)
    height = HEIGHT + extra_rows * legend_size * 1.45 / 72

    layout = ConstrainedLayoutEngine(h_pad=0.06, w_pad=0.06, hspace=0.04)
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    top, mix = fig.subplots(2, 1, sharex=True, height_ratios=(1.15, 1.0))
    money_ticks = FuncFormatter(lambda v, _pos: memo.tick(v, cur))

    out = [not _reached(r) for r in sweep.results]
    stopped = [r.status == "limit_without_plan" for r in sweep.results]
    limited = [r.status == "limit_with_plan" for r in sweep.results]
    unreached = _bands(xs, [o and not s for o, s in zip(out, stopped, strict=True)])
    unfound = _bands(xs, stopped)
    bands = unreached + unfound
    for ax in (top, mix):
        for left, right in unreached:
            ax.axvspan(left, right, color=_OUT_OF_REACH, alpha=0.6, lw=0, zorder=0)
        for left, right in unfound:
            ax.axvspan(left, right, facecolor="none", edgecolor="#aaaaaa", hatch="///", lw=0,
                       zorder=0)

    # The frontier.
    many = len(xs) > 40
    top.plot(xs, ys, color=_FRONTIER, lw=2.2, marker=None if many else "o", ms=3.5,
             zorder=3, solid_joinstyle="round")
    handles: list[Any] = []
    if anything:
        handles.append(Line2D([], [], color=_FRONTIER, lw=2.2, marker=None if many else "o",
                              ms=3.5, label="Best plan at each point of the sweep"))
    else:
        top.text(0.5, 0.5, "No point of the sweep has a plan", transform=top.transAxes,
                 ha="center", va="center", fontsize=FONT + 1, color="#555555")
        for ax in (top, mix):
            ax.set_ylim(0, 1)
            ax.set_yticks([0])
    if any(limited):
        top.plot([x for x, f in zip(xs, limited, strict=True) if f],
                 [y for y, f in zip(ys, limited, strict=True) if f],
                 ls="none", marker="o", ms=7, mfc="white", mec=_NEEDED, mew=1.5, zorder=4)
        handles.append(Line2D([], [], ls="none", marker="o", ms=7, mfc="white", mec=_NEEDED,
                              mew=1.5, label="Best found at a solver limit (not proven best)"))
    if sweep.breakpoints:
        top.plot([b.x for b in sweep.breakpoints], [b.y for b in sweep.breakpoints],
                 ls="none", marker="o", ms=6.5, mfc="white", mec="black", mew=1.3, zorder=5)
        handles.append(Line2D([], [], ls="none", marker="o", ms=6.5, mfc="white", mec="black",
                              mew=1.3, label="Exact breakpoints"))
    if sweep.kind == "ceilings":
        needed = {r.needed_exports for r in sweep.results}
        if len(needed) == 1 and (need := needed.pop()) > 0:
            top.axhline(need, color=_NEEDED, lw=1.2, ls=(0, (5, 3)), zorder=2)
            handles.append(Line2D([], [], color=_NEEDED, lw=1.2, ls=(0, (5, 3)),
                                  label=f"Needed to meet the target ({memo.money(need, cur)})"))
    if unreached:
        handles.append(Patch(color=_OUT_OF_REACH, alpha=0.6,
                             label="Out of reach (no plan meets the target)"
                             if sweep.kind == "targets" else "No plan fits the ceiling"))
    if unfound:
        handles.append(Patch(facecolor="none", edgecolor="#aaaaaa", hatch="///", lw=0,
                             label="No plan found before the solver's limit"))
    top.set_ylabel(_fold(texts["y"]))
    top.set_ylim(bottom=0)
    # Both frontiers rise to the right (more money buys no less; a higher target costs no
    # less), so the corner below or above the curve is free.
    top.legend(handles=handles, loc="lower right" if sweep.kind == "ceilings" else "upper left",
               frameon=True, framealpha=0.92, edgecolor="#cccccc")
    top.set_title("\n".join([texts["what"], *_notes(sweep)]), loc="left",
                  fontsize=FONT + 0.5, color="#333333", pad=8)

    # The mix: stacked spend, file order from the bottom.
    colors = _colors(len(sweep.levers))
    reached = [not f for f in out]
    floor = [0.0 if ok else math.nan for ok in reached]
    for series, color in zip(spend, colors, strict=True):
        ceiling = [a + b for a, b in zip(floor, series, strict=True)]
        if len(xs) > 1:
            mix.fill_between(xs, floor, ceiling, where=reached, color=color, lw=0.4,
                             edgecolor="white", zorder=2)
        elif reached[0]:  # one point: an area has no width, a bar does
            mix.bar(xs, series, bottom=floor, width=max(abs(xs[0]), 1.0) * 0.06, color=color,
                    lw=0.4, edgecolor="white", zorder=2)
        floor = ceiling
    high = max((f for f in floor if not math.isnan(f)), default=0.0)
    if sweep.kind == "ceilings" and high > 0:
        mix.set_ylim(top=high * 1.25)
        if min(xs) <= high * 1.25:
            # Spend reaches the ceiling and no further: the gap is money left unspent.
            mix.plot(xs, xs, color="#555555", lw=1.1, ls=(0, (5, 3)), zorder=3)
            mix.legend(handles=[Line2D([], [], color="#555555", lw=1.1, ls=(0, (5, 3)),
                                       label="Budget ceiling (spend cannot pass it)")],
                       loc="upper right", frameon=True, framealpha=0.92, edgecolor="#cccccc")
    mix.set_ylabel(_fold(texts["mix"]))
    mix.set_xlabel(texts["x"])
    mix.set_ylim(bottom=0)

    for ax in (top, mix):
        ax.yaxis.set_major_formatter(money_ticks)
        if anything:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        ax.grid(True, axis="y", color="#e6e6e6", lw=0.8, zorder=0)
        ax.grid(True, axis="x", color="#f0f0f0", lw=0.6, zorder=0)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    mix.xaxis.set_major_formatter(money_ticks)
    mix.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 2.5, 5, 10]))
    if len(xs) == 1:
        half = max(abs(xs[0]), 1.0) * 0.5
        mix.set_xlim(xs[0] - half, xs[0] + half)
    else:
        pad = (xs[-1] - xs[0]) * 0.015
        lo = min(xs[0], *(b[0] for b in bands)) if bands else xs[0]
        hi = max(xs[-1], *(b[1] for b in bands)) if bands else xs[-1]
        mix.set_xlim(lo - pad, hi + pad)

    fig.suptitle(textwrap.fill(sweep.scenario, 90), fontsize=FONT + 2, fontweight="bold",
                 x=0.01, ha="left")
    swatches = [Patch(facecolor=color, edgecolor="none", label=label)
                for color, label in zip(colors, labels, strict=True)]
    fig.legend(handles=swatches, loc="outside lower center", ncols=columns,
               fontsize=legend_size, frameon=False, handlelength=1.6, columnspacing=1.6,
               title="Levers (stacked in file order, first at the bottom)",
               title_fontsize=legend_size)
    return fig


def _fold(label: str, limit: int = 34) -> str:
    """A y-axis label on two lines when one would run past the panel's height: the
    units in brackets go on the second line."""
    if len(label) <= limit:
        return label
    head, bracket, rest = label.rpartition(" (")
    if bracket and len(head) <= limit + 8:
        return f"{head}\n({rest}"
    return textwrap.fill(label, limit)


def _notes(sweep: Sweep) -> list[str]:
    """What the reader needs to read the numbers right, a line each."""
    cur = sweep.currency
    lines = []
    if sweep.kind == "ceilings":
        base = _baseline(sweep)
        if base is not None and base[0]:
            lines.append(f"Baseline exports of {memo.money(base[0], cur)} a year come on top "
                         "of the levers' exports.")
    if sweep.kind == "targets" and _discounted(sweep):
        lines.append("Plans are the cheapest in discounted terms; the line shows what they "
                     "spend, undiscounted.")
    if sweep.breakpoints is None and sweep.interpolation_error:
        lines.append("Between grid points the line may miss the true frontier by up to "
                     f"{memo.money(sweep.interpolation_error, cur)}.")
    return lines


# -- writing -------------------------------------------------------------------------------


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, the same bytes for the same figure (no date, no
    software stamp, the SVG ids salted with a fixed salt by _RC)."""
    import io

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _write(fig: Figure, target: Path, fmt: str) -> None:
    write_file(target, figure_bytes(fig, fmt))


def sweep_figure(sweep: Sweep) -> Figure:
    """sweep_chart's figure (draw or save it inside charts.drawing())."""
    if not sweep.values:
        raise ValueError("the sweep has no points to chart")
    return _figure(sweep)


RC: dict[RcKeyType, object] = {
    "svg.hashsalt": HASH_SALT,
    "svg.fonttype": "none",  # text stays text: searchable, editable in the memo
    "font.size": FONT,
    "axes.labelsize": FONT + 0.5,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.fontsize": FONT,
    # a name is drawn as written: '$2B ... $1B' is two dollar figures, not mathtext
    # (which drew 'Plan for $10B' as 'Plan for 10B' and could not parse some)
    "text.parse_math": False,
}
_RC = RC


def drawing() -> AbstractContextManager[Any]:
    """Where every chart is built and saved: matplotlib's settings as RC says. matplotlib
    is imported here as itself (optimizer.imports.plain): after a solve has imported
    Pyomo, Pyomo's import hook would add pyplot and pylab, 0.4 s no chart uses."""
    plain("matplotlib")
    from matplotlib import rc_context

    return rc_context(RC)


# -- tornado -------------------------------------------------------------------------------


def tornado_chart(
    swings: Sequence[Swing], base: float, currency: str, title: str, share: float,
    path: str | os.PathLike[str], what: str = "Total cost", counts: bool = False,
) -> None:
    """Horizontal bars: the objective with each parameter moved down and up by ``share``,
    around the base plan's value; largest swing at the top. Same writing rules as
    sweep_chart (whole or not at all, byte-identical reruns)."""
    save_chart(lambda: _tornado_figure(swings, base, currency, title, share, what, counts),
               path)


def save_chart(figure: Callable[[], Figure], path: str | os.PathLike[str]) -> None:
    """The figure ``figure()`` builds, written to ``path`` (.png or .svg) inside
    drawing(): whole or not at all, the same bytes on a rerun (figure_bytes)."""
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot write a chart to {str(target)!r}: the file name must end in "
                         f"{' or '.join(FORMATS)}")
    with drawing():
        _write(figure(), target, fmt)


def tornado_figure(
    swings: Sequence[Swing], base: float, currency: str, title: str, share: float, what: str,
    counts: bool = False,
) -> Figure:
    """tornado_chart's figure (draw or save it inside charts.drawing()); ``counts``: the
    objective is a count (a max objective's goal), not money."""
    return _tornado_figure(swings, base, currency, title, share, what, counts)


def _tornado_figure(
    swings: Sequence[Swing], base: float, currency: str, title: str, share: float, what: str,
    counts: bool = False,
) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    shown = [w for w in swings if w.objective_low is not None and w.objective_high is not None
             and w.swing > 0][:20]
    fig = Figure(figsize=(10, 1.2 + 0.45 * max(1, len(shown))))
    ax = fig.add_subplot()
    for row, w in enumerate(reversed(shown)):
        low, high = w.objective_low, w.objective_high
        assert low is not None and high is not None
        ax.barh(row, low - base, left=base, color="#4c72b0", height=0.6,
                label=f"parameter {share:.0%} lower" if row == 0 else None)
        ax.barh(row, high - base, left=base, color="#dd8452", height=0.6,
                label=f"parameter {share:.0%} higher" if row == 0 else None)
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(range(len(shown)), ["\n".join(textwrap.wrap(w.name or w.parameter, 48))
                                       for w in reversed(shown)])
    if counts:
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _: "0" if v == 0 else memo.count(v)))
        ax.set_xlabel(f"{what} of the re-solved plan; line: the plan as solved")
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: memo.tick(v, currency)))
        ax.set_xlabel(f"{what} of the re-solved plan ({currency}); line: the plan as solved")
    ax.set_title("\n".join(textwrap.wrap(title, 70)), loc="left", fontweight="bold")
    if shown:
        ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig
