"""optimize --config F: one solve, the command group every other command hangs from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from optimizer.cli.options import (
    Share,
    Source,
    budget_option,
    check_relax,
    config_option,
    format_option,
    output_option,
    parse_sets,
    relax_option,
    scenario_options,
    solver_options,
)
from optimizer.cli.output import check_model_paths, emit, guarded, write_model
from optimizer.errors import UsageError
from optimizer.solving.options import REPAIR_BUDGET, SolverOptions, options_of

OUTPUT_FILES = {"allocation.csv": "csv", "result.json": "json", "allocation.md": "markdown"}


def overrides_from_options(
    objective: str | None, ceiling: str | None, target: str | None
) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if objective is not None:
        out.append(("objective", objective))
    if ceiling is not None:
        out.append(("budget.ceiling", None if ceiling.lower() in ("none", "null") else ceiling))
    if target is not None:
        out.append(("target.exports", target))
    return out


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@config_option(required=False)
@scenario_options
@click.option("--objective", type=click.Choice(["min_cost", "max_exports"]),
              help="Override the file's objective.")
@click.option("--ceiling", metavar="AMOUNT",
              help="Override budget.ceiling, e.g. 1.5B or '400M PKR'; 'none' removes it.")
@click.option("--target", metavar="AMOUNT", help="Override target.exports, e.g. 10B.")
@format_option()
@output_option("Also write allocation.csv, result.json and allocation.md here.")
@relax_option
@click.option("--write-lp", "write_lp", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write the model HiGHS solves as an LP file (for a reviewer's "
                   "solver), even when the scenario is infeasible.")
@click.option("--write-mps", "write_mps", type=click.Path(path_type=Path), metavar="FILE",
              help="The same model as a (free) MPS file.")
@click.option("--confidence", type=Share(), metavar="SHARE",
              help="The cheapest plan found whose probability of reaching the target is "
                   "at least this share with 95% confidence, checked on 100,000 fresh "
                   "samples (e.g. 0.9 or 90%); needs distributions in the file.")
@solver_options
@budget_option(REPAIR_BUDGET)
@click.version_option(package_name="pk-budget-optimizer", prog_name="optimize")
@click.pass_context
@guarded
def main(
    ctx: click.Context, *,
    config: Path | None,
    sets: tuple[str, ...],
    variant: str | None,
    objective: str | None,
    ceiling: str | None,
    target: str | None,
    fmt: str,
    output: Path | None,
    relax: tuple[str, ...] | None,
    write_lp: Path | None,
    write_mps: Path | None,
    confidence: float | None,
    time_limit: float | None,
    mip_gap: float | None,
    time_budget: float,
) -> None:
    """Cheapest allocation of a budget across strategy levers that reaches an export
    target, or the most exports a budget ceiling buys.

    \b
    Commands: optimize --config F (one solve), optimize sweep (across ceilings or
    targets or confidences), optimize compare (side by side), optimize explain (why
    this answer), optimize report (a folder for a memo), optimize simulate (the plan
    under uncertainty).
    Exit status: 0 optimal; 2 bad usage or invalid scenario; 3 infeasible
    (proven; the message says the most exports reachable); 4 no proven answer
    (a solver limit stopped it, or the plan's certificate did not hold: the best
    plan found is shown as such); 1 a fault of this tool.
    """
    models = {fmt_: path for fmt_, path in (("lp", write_lp), ("mps", write_mps))
              if path is not None}
    if ctx.invoked_subcommand is not None:
        if models:
            raise click.UsageError("--write-lp and --write-mps belong to optimize --config F "
                                   "(the one solve), not to a subcommand")
        return
    if config is None:
        raise click.UsageError("--config FILE is required")
    optimize(Source(config, sets, variant), overrides_from_options(objective, ceiling, target),
             fmt=fmt, output=output, relax=relax or (), confidence=confidence,
             options=options_of(time_limit, mip_gap), time_budget=time_budget,
             models=models)


def optimize(
    source: Source, overrides: Sequence[tuple[str, Any]], *, fmt: str, output: Path | None,
    relax: Sequence[str], confidence: float | None, options: SolverOptions,
    time_budget: float | None, models: Mapping[str, Path] | None = None,
) -> NoReturn:
    from optimizer.scenario import ALL_VARIANTS, load_variants

    models = dict(models or {})
    check_model_paths(models)
    if models and source.variant == ALL_VARIANTS:
        raise UsageError("--write-lp / --write-mps write one model: give one --variant, "
                         "not all")
    if models and confidence is not None:
        raise UsageError("--write-lp / --write-mps write the model without --confidence "
                         "(the chance-constrained model is not written)")
    loadouts = load_variants(source.config, [*parse_sets(source.sets), *overrides],
                             [source.variant])
    if source.variant == ALL_VARIANTS:
        from optimizer.cli.compare import compare_and_exit

        compare_and_exit(loadouts, fmt, output, options)

    from optimizer.analyses.repaired import with_repairs
    from optimizer.plan.precheck import precheck
    from optimizer.present.formats import RENDERERS, render_periods_csv
    from optimizer.solving.engine import Session, solve_scenario

    ranked = check_relax(relax, loadouts[0])
    found = precheck(loadouts[0].scenario)  # before solving: what arithmetic shows
    # one budget for the whole command: the solve, its proof, then the repairs
    options = options.within(time_budget)
    if confidence is not None:
        from optimizer.analyses.chance import solve_chance

        result = solve_chance(loadouts[0], confidence, options)
    elif models:
        # solve_scenario's session, kept to write its model first: the model is what
        # a reviewer wants most when the scenario is infeasible or the solve does
        # not finish
        session = Session(loadouts[0], options)
        for kind, path in models.items():
            write_model(path, session.model_file("lp" if kind == "lp" else "mps"),
                        f"--write-{kind}")
        result = session.answer()
    else:
        result = solve_scenario(loadouts[0], options)
    if result.status == "infeasible" and confidence is None:
        result = with_repairs(loadouts[0], result, options, ranked, found)
    files = dict(OUTPUT_FILES)
    if result.periods is not None:
        files["periods.csv"] = "periods"
    emit(result, {**RENDERERS, "periods": render_periods_csv}, fmt, files=files,
         output=output, owned=["periods.csv"],
         # stdout carries the result only, in every format; why it is not optimal is a
         # message (stderr)
         warning=result.message if result.status != "optimal" else None,
         status=int(result.exit_code))

