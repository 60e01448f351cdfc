"""optimize explain: why this answer, or what would fix an infeasible file."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from optimizer.cli.options import (
    TEXT_FORMATS,
    Source,
    budget_option,
    check_plot,
    check_relax,
    config_option,
    format_option,
    one_scenario_options,
    one_variant,
    output_option,
    plot_option,
    relax_option,
    solver_options,
)
from optimizer.cli.output import emit, guarded, progress_bar
from optimizer.errors import UsageError
from optimizer.solving.options import EXPLAIN_BUDGET, options_of

EXPLAIN_FILES = {"explain.json": "json", "explain.md": "markdown"}


@click.command("explain")
@config_option()
@one_scenario_options
@format_option(TEXT_FORMATS)
@output_option("Also write explain.json and explain.md here.")
@click.option("--sections", default="infeasibility,binding,ranging,tornado,room",
              show_default=True,
              help="Which sections to compute, comma-separated.")
@click.option("--share", default="20%", show_default=True,
              help="Tornado: how far each parameter moves down and up, as a share of "
                   "itself (a lag moves by one period).")
@click.option("--slack", default="5%", show_default=True,
              help="Room: plans within this share of the optimal cost.")
@plot_option("Draw the tornado to FILE.png or FILE.svg.")
@relax_option
@solver_options
@budget_option(EXPLAIN_BUDGET)
@guarded
def explain(
    *, config: Path, sets: tuple[str, ...], variant: str | None, fmt: str,
    output: Path | None, sections: str, share: str, slack: str, plot: Path | None,
    relax: tuple[str, ...] | None, time_limit: float | None, mip_gap: float | None,
    time_budget: float,
) -> None:
    """Why this answer: what binds and what each limit is worth, or, when the target
    is out of reach, which limits conflict and the cheapest change that fixes it.
    Exit 3 when infeasible."""
    one_variant(variant, "explain")
    check_plot(plot)
    loadout = Source(config, sets, variant).load()
    from optimizer.analyses.explain import SECTIONS
    from optimizer.analyses.explain import explain as explain_scenario
    from optimizer.present.formats.explain import EXPLAIN_RENDERERS
    from optimizer.scenario.amounts import AmountError, parse_fraction

    chosen = tuple(x.strip() for x in sections.split(",") if x.strip())
    unknown = [x for x in chosen if x not in SECTIONS]
    if unknown:
        raise UsageError(f"--sections: unknown {', '.join(unknown)} (sections: "
                         f"{', '.join(SECTIONS)})")
    # --share and --slack are checked together, after the sections (one message names
    # both), so they stay text until here rather than taking the Share type
    try:
        fractions = (parse_fraction(share), parse_fraction(slack))
    except AmountError as exc:
        raise UsageError(f"--share/--slack: {exc}") from None
    if not all(0 < f < 1 for f in fractions):
        raise UsageError(f"--share and --slack are shares in (0, 1) (got {share}, {slack})")
    ranked = check_relax(relax or (), loadout)
    explanation = explain_scenario(loadout, options_of(time_limit, mip_gap), chosen,
                                   *fractions, relax=ranked, budget=time_budget,
                                   progress=progress_bar)
    draw = None
    if plot is not None and explanation.swings:
        from optimizer.present.formats.charts import tornado_chart

        r = explanation.result
        goal = r.objective == "max_outcomes"  # (a count of the goal, not money)
        base = (r.discounted_cost if r.objective == "min_cost" else
                r.goal_value if goal else r.lever_exports)
        draw = functools.partial(
            tornado_chart, explanation.swings, base or 0.0, r.currency,
            f"{r.scenario}: what moves the answer, each parameter alone", explanation.share,
            plot, "Total cost" if r.objective == "min_cost" else
            "The goal (weighted outcomes maximised)" if goal else "Lever exports",
            counts=goal)
    status = explanation.result.status
    emit(explanation, EXPLAIN_RENDERERS, fmt, files=EXPLAIN_FILES, output=output,
         plot=draw, status=int(explanation.result.exit_code),
         # an infeasible file's explanation is its message ("Why infeasible"); any
         # other answer short of optimal says why on stderr, as optimize does
         warning=None if status in ("optimal", "infeasible") else explanation.result.message)
