"""optimize simulate: a plan held fixed under the samples of the file's distributions, or
(--reoptimize) the optimum of every sample."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from optimizer.cli.options import (
    TEXT_FORMATS,
    Finite,
    Source,
    check_plot,
    config_option,
    format_option,
    one_scenario_options,
    one_variant,
    output_option,
    plot_option,
    solver_options,
)
from optimizer.cli.output import emit, fail, guarded, progress_bar
from optimizer.errors import UsageError
from optimizer.solving.options import SolverOptions, options_of

if TYPE_CHECKING:
    from optimizer.results.reoptimized import Reoptimized
    from optimizer.scenario import Loadout

SIMULATION_FILES = {"simulation.json": "json", "simulation.md": "markdown"}
REOPTIMIZE_FILES = {"reoptimize.json": "json", "reoptimize.md": "markdown"}


@click.command("simulate")
@config_option(help="Scenario file (YAML) with distributions.")
@one_scenario_options
@click.option("--plan", "plan_file", type=click.Path(path_type=Path), metavar="RESULT.json",
              help="Hold this saved plan fixed (the result.json of optimize --output DIR) "
                   "instead of the optimum at the point values.")
@click.option("--samples", type=click.IntRange(min=1), metavar="N",
              help="Joint samples to draw (default: the file's uncertainty.samples).")
@click.option("--seed", type=click.IntRange(min=0), metavar="N",
              help="Seed of the sampler (default: the file's uncertainty.seed).")
@format_option(TEXT_FORMATS)
@output_option("Also write simulation.json and simulation.md here (reoptimize.json and "
               "reoptimize.md with --reoptimize).")
@plot_option("Draw the histogram of last-period exports to FILE.png or FILE.svg.")
@click.option("--reoptimize", is_flag=True,
              help="Re-solve the scenario under each sample instead: the distribution of "
                   "the optimal cost and of each lever's share of spend.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="With --reoptimize: solve in this many processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="With --reoptimize: solve on a Dask distributed cluster "
                   "(pip install '.[distributed]'); its results are trusted as pickles.")
@click.option("--scheduler-timeout", type=Finite(min=0, min_open=True), default=30.0,
              show_default=True, metavar="SECONDS",
              help="With --scheduler: the longest wait for the scheduler to answer, for a "
                   "worker, and between two finished tasks; then exit 1.")
@solver_options
@guarded
def simulate(
    *, config: Path, sets: tuple[str, ...], variant: str | None, plan_file: Path | None,
    samples: int | None, seed: int | None, fmt: str, output: Path | None, plot: Path | None,
    reoptimize: bool, workers: int | None, scheduler: str | None, scheduler_timeout: float,
    time_limit: float | None, mip_gap: float | None,
) -> None:
    """How likely a plan reaches the target: the optimum (or --plan) held fixed under the
    samples of the file's distributions; P10/P50/P90 of exports and cost, and what drives
    the shortfall. Exit 0 when it ran, 2 bad input, 3 no plan (infeasible)."""
    one_variant(variant, "simulate")
    check_plot(plot)
    if not reoptimize and (workers is not None or scheduler is not None):
        raise UsageError("--workers and --scheduler go with --reoptimize")
    if reoptimize and plan_file is not None:
        raise UsageError("--reoptimize solves each sample afresh; it takes no --plan")
    if reoptimize and plot is not None:
        raise UsageError("--plot draws a fixed plan's exports; it does not go with --reoptimize")
    if workers is not None and workers > 1 and scheduler is not None:
        raise UsageError("give --workers (processes here) or --scheduler (a Dask cluster), "
                         "not both")
    if scheduler is not None:
        from optimizer.analyses.cluster import check_address

        check_address(scheduler)  # before the file is read or anything connects
    loadout = Source(config, sets, variant).load()
    from optimizer.analyses.simulate import NoPlan, no_distributions_message, read_plan
    from optimizer.analyses.simulate import simulate as simulate_plan

    if not loadout.scenario.uncertain:
        raise UsageError(no_distributions_message(loadout.file))
    options = options_of(time_limit, mip_gap)
    if reoptimize:
        reoptimize_and_exit(loadout, samples=samples, seed=seed, workers=workers or 1,
                            scheduler=scheduler, scheduler_timeout=scheduler_timeout,
                            options=options, fmt=fmt, output=output)
    plan, source, status = None, None, None
    if plan_file is not None:
        plan, saved = read_plan(plan_file, loadout.scenario)
        source, status = str(plan_file), str(saved.status)
    try:
        sim = simulate_plan(loadout, plan, samples, seed, options, source=source,
                            plan_status=status)
    except NoPlan as exc:
        fail(int(exc.result.exit_code),
             f"error: {loadout.file}: no plan to simulate: at the point values the scenario "
             f"is {exc.result.status}.\n{exc.result.message}")
    from optimizer.present.formats.simulate import SIMULATION_RENDERERS

    draw = None
    if plot is not None:
        from optimizer.present.formats.risk_charts import histogram_chart

        draw = functools.partial(histogram_chart, sim, plot)
    emit(sim, SIMULATION_RENDERERS, fmt, files=SIMULATION_FILES, output=output, plot=draw)


def reoptimize_and_exit(
    loadout: Loadout, *, samples: int | None, seed: int | None, workers: int,
    scheduler: str | None, options: SolverOptions, fmt: str, output: Path | None,
    scheduler_timeout: float = 30.0,
) -> NoReturn:
    """simulate --reoptimize: the optimum of every sample, summarised; exit 0."""
    from optimizer.analyses.reoptimize import reoptimize
    from optimizer.present.formats.simulate import (
        render_reoptimized_json,
        render_reoptimized_markdown,
        render_reoptimized_table,
    )

    s = loadout.scenario
    n = s.uncertainty.samples if samples is None else samples
    r = reoptimize(loadout, samples=n, seed=seed, workers=workers, scheduler=scheduler,
                   options=options, progress=progress_bar(n, "simulate"),
                   scheduler_timeout=scheduler_timeout)
    labels = {lid: lever.label(lid) for lid, lever in s.enabled_levers().items()}

    def as_table(r: Reoptimized) -> str:
        return render_reoptimized_table(r, s.name, s.currency, labels)

    def as_json(r: Reoptimized) -> str:
        return render_reoptimized_json(r, s.name, s.currency)

    def as_markdown(r: Reoptimized) -> str:
        return render_reoptimized_markdown(r, s.name, s.currency, labels)

    emit(r, {"table": as_table, "json": as_json, "markdown": as_markdown}, fmt,
         files=REOPTIMIZE_FILES, output=output)
