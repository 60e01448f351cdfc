"""optimize sweep: the answer across budget ceilings, export targets or confidences."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from optimizer.cli.options import (
    Shares,
    Source,
    check_plot,
    config_option,
    format_option,
    one_scenario_options,
    one_variant,
    output_option,
    parse_sets,
    plot_option,
    solver_options,
)
from optimizer.cli.output import emit, guarded, progress_bar
from optimizer.errors import UsageError
from optimizer.solving.options import SolverOptions, options_of

if TYPE_CHECKING:
    from optimizer.results import Kind

SWEEP_FILES = {"sweep.csv": "csv", "sweep.json": "json", "sweep.md": "markdown"}
PARETO_FILES = {"pareto.csv": "csv", "pareto.json": "json", "pareto.md": "markdown"}
CERTAINTY_FILES = {"certainty.csv": "csv", "certainty.json": "json",
                   "certainty.md": "markdown"}


@click.command("sweep")
@config_option()
@one_scenario_options
@click.option("--ceilings", metavar="RANGE",
              help="Most exports under each ceiling: START:STOP:STEP (100M:2B:100M) or a list "
                   "(1B,2B).")
@click.option("--targets", metavar="RANGE", help="Least cost for each target, same grammar.")
@click.option("--confidences", type=Shares(), metavar="RANGE",
              help="The cost of certainty: at each confidence, the cheapest plan found "
                   "reaching the target with at least that probability (95% confidence, "
                   "on fresh samples), e.g. 0.5:0.95:0.05.")
@click.option("--pareto", metavar="O1,O2",
              help="The trade-off between two outcomes: for each floor on O1 (from none to "
                   "the most any plan makes), the most of O2 within the ceiling; every "
                   "corner for an LP, a grid for a MIP.")
@click.option("--ceiling", metavar="AMOUNT",
              help="With --pareto: the budget ceiling to trade within (default: the file's).")
@click.option("--points", type=click.IntRange(min=2, max=201), default=None,
              help="With --pareto on a MIP: how many floors, evenly from none to the most "
                   "(default 11; an LP's trade-off is exact and takes none).")
@click.option("--exact", is_flag=True,
              help="Every breakpoint of the frontier over the range, and where it starts, "
                   "ends or is flat and why (LP scenarios only).")
@plot_option("Draw the curve and the lever mix to FILE.png or FILE.svg.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Solve the points in this many processes (for large models).")
@format_option()
@output_option("Also write sweep.csv, sweep.json and sweep.md here.")
@solver_options
@guarded
def sweep(
    *, config: Path, sets: tuple[str, ...], variant: str | None, ceilings: str | None,
    targets: str | None, confidences: tuple[float, ...] | None, pareto: str | None,
    ceiling: str | None, points: int | None, exact: bool,
    plot: Path | None, workers: int, fmt: str, output: Path | None,
    time_limit: float | None, mip_gap: float | None,
) -> None:
    """The answer across budget ceilings (--ceilings), export targets (--targets),
    confidences (--confidences: the cost of certainty), or the trade-off between two
    outcomes (--pareto)."""
    source, options = Source(config, sets, variant), options_of(time_limit, mip_gap)
    if pareto is not None:
        if ceilings is not None or targets is not None or confidences is not None or exact:
            raise UsageError("--pareto sweeps alone (not with --ceilings, --targets, "
                             "--confidences, --exact: it is exact for an LP already)")
        trade_off(source, pareto, ceiling, points, plot=plot, fmt=fmt, output=output,
                  options=options)
    if ceiling is not None:
        raise UsageError("--ceiling goes with --pareto (--ceilings sweeps ceilings)")
    if points is not None:
        raise UsageError("--points goes with --pareto")
    if confidences is not None:
        if ceilings is not None or targets is not None or exact:
            raise UsageError("--confidences sweeps alone (not with --ceilings, --targets, "
                             "--exact)")
        certainty(source, confidences, plot=plot, fmt=fmt, output=output, options=options)
    if (ceilings is None) == (targets is None):
        raise UsageError("give exactly one of --ceilings RANGE or --targets RANGE")
    kind: Kind = "ceilings" if ceilings is not None else "targets"
    frontier(source, kind, ceilings or targets or "", exact=exact, plot=plot,
             workers=workers, fmt=fmt, output=output, options=options)


def certainty(source: Source, confidences: Sequence[float], *, plot: Path | None, fmt: str,
              output: Path | None, options: SolverOptions) -> NoReturn:
    """sweep --confidences: the cheapest plan at each confidence (the cost of certainty)."""
    check_plot(plot)
    one_variant(source.variant, "sweep")
    loadout = source.load()
    from optimizer.analyses.chance import chance_sweep
    from optimizer.present.formats.chance import CHANCE_RENDERERS, certainty_chart

    results = chance_sweep(loadout, list(confidences), options)
    emit(results, CHANCE_RENDERERS, fmt, files=CERTAINTY_FILES, output=output,
         plot=None if plot is None else functools.partial(certainty_chart, results, plot))


def trade_off(source: Source, pair: str, ceiling: str | None, points: int | None, *,
              plot: Path | None, fmt: str, output: Path | None, options: SolverOptions
              ) -> NoReturn:
    """sweep --pareto O1,O2: the most of O2 for each floor on O1."""
    check_plot(plot)
    one_variant(source.variant, "sweep")
    loadout = source.load()
    s = loadout.scenario
    from optimizer.analyses.pareto import check_pair, pareto
    from optimizer.analyses.sweep import parse_range
    from optimizer.present.formats.pareto import PARETO_RENDERERS, pareto_chart

    first, second = check_pair(s, loadout.file, pair)
    cap = None
    if ceiling is not None:
        values = parse_range(ceiling, s.currency, s.exchange_rates)
        if len(values) != 1:
            raise UsageError(f"--ceiling is one amount (got {ceiling!r})")
        cap = values[0]
    result = pareto(loadout, first, second, cap, options, points)
    status = 0 if result.points else int(result.reason.exit_code) if result.reason else 3
    draw = None if plot is None or not result.points else functools.partial(
        pareto_chart, result, plot)
    emit(result, PARETO_RENDERERS, fmt, files=PARETO_FILES, output=output, plot=draw,
         status=status)


def frontier(source: Source, kind: Kind, text: str, *, exact: bool, plot: Path | None,
             workers: int, fmt: str, output: Path | None, options: SolverOptions
             ) -> NoReturn:
    """sweep --ceilings or --targets: one solve a point, or the exact frontier."""
    check_plot(plot)
    from optimizer.scenario import load_scenario

    one_variant(source.variant, "sweep")
    overrides = parse_sets(source.sets)
    loadout = load_scenario(source.config, overrides, source.variant)
    s = loadout.scenario
    from optimizer.analyses.sweep import exact_frontier, parse_range, run_sweep
    from optimizer.present.formats.sweep import SWEEP_RENDERERS

    values = parse_range(text, s.currency, s.exchange_rates)
    if exact:
        result = exact_frontier(loadout, kind, values, options)
    else:
        result = run_sweep(loadout, kind, values, options, progress=progress_bar(len(values)),
                           workers=workers,
                           source=(str(source.config), tuple(overrides), source.variant))
    draw = None
    if plot is not None:
        from optimizer.present.formats.charts import sweep_chart

        draw = functools.partial(sweep_chart, result, plot)
    emit(result, SWEEP_RENDERERS, fmt, files=SWEEP_FILES, output=output, plot=draw)
