"""optimize report: a folder a planner can hand on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from optimizer.cli.options import (
    Shares,
    Source,
    config_option,
    one_variant,
    output_option,
    scenario_options,
    solver_options,
)
from optimizer.cli.output import guarded, progress_bar
from optimizer.errors import UsageError
from optimizer.options import REPAIR_BUDGET, options_of

if TYPE_CHECKING:
    from optimizer.results import Kind

DEFAULT_CONFIDENCES = (0.5, 0.6, 0.7, 0.8, 0.9)


@click.command("report")
@config_option()
@scenario_options
@output_option("The report's folder: report.html, report.md, report.xlsx, tables.tex and "
               "charts/ (written whole or not at all).", required=True)
@click.option("--ceilings", metavar="RANGE",
              help="Add the frontier across budget ceilings: START:STOP:STEP or a list.")
@click.option("--targets", metavar="RANGE",
              help="Add the frontier across export targets, same grammar.")
@click.option("--explain", "explained", is_flag=True,
              help="Add the explanation: tornado, stability, room to negotiate (when "
                   "infeasible: the conflicting limits and the cheapest repairs).")
@click.option("--sections", metavar="LIST",
              help="With --explain: which sections, comma-separated (default: all).")
@click.option("--currency", metavar="CODE",
              help="Present amounts in CODE at the scenario's exchange rate (e.g. PKR).")
@click.option("--confidences", type=Shares(none=True), metavar="RANGE",
              help="Risk section (scenarios with distributions): the confidences of the cost "
                   "of certainty, as for sweep --confidences (default 0.5:0.9:0.1); 'none' "
                   "leaves the curve out.")
@click.option("--samples", type=click.IntRange(min=1), metavar="N",
              help="Risk section: samples to evaluate the plan under (default: the file's "
                   "uncertainty.samples; the cost of certainty keeps the file's).")
@solver_options
@guarded
def report(
    *, config: Path, sets: tuple[str, ...], variant: str | None, output: Path,
    ceilings: str | None, targets: str | None, explained: bool, sections: str | None,
    currency: str | None, confidences: tuple[float, ...] | None, samples: int | None,
    time_limit: float | None, mip_gap: float | None,
) -> None:
    """A folder a planner can hand on: a self-contained page, Markdown, a workbook, LaTeX
    tables and the charts; with a Risk section when the scenario has distributions. Exit 3
    (report written) when the target is out of reach."""
    from optimizer.render.report_files import check_folder

    one_variant(variant, "report")
    if ceilings is not None and targets is not None:
        raise UsageError("give at most one of --ceilings RANGE or --targets RANGE")
    if sections is not None and not explained:
        raise UsageError("--sections chooses sections of --explain; add --explain")
    check_folder(output)
    levels = DEFAULT_CONFIDENCES if confidences is None else confidences or None
    loadout = Source(config, sets, variant).load()
    s = loadout.scenario
    if not s.uncertain and (levels is not None and confidences is not None
                            or samples is not None):
        raise UsageError(f"--confidences and --samples shape the Risk section, which needs "
                         f"distributions; {loadout.file} has none (see README, Uncertainty)")
    if s.uncertain and levels and s.objective != "min_cost" and confidences is not None:
        raise UsageError("--confidences: the cost of certainty applies to min_cost scenarios "
                         f"(got objective {s.objective}); give --confidences none")
    from optimizer.analyses.explain import SECTIONS, worth_of
    from optimizer.analyses.explain import explain as explain_scenario
    from optimizer.analyses.sweep import parse_range, run_sweep
    from optimizer.report.currency import rate_for

    rate_for(s, currency)  # an unknown currency is refused before any solving
    kind: Kind = "ceilings" if ceilings is not None else "targets"
    values = None if ceilings is None and targets is None else parse_range(
        ceilings or targets or "", s.currency, s.exchange_rates)
    chosen = SECTIONS if sections is None else tuple(
        x.strip() for x in sections.split(",") if x.strip())
    unknown = [x for x in chosen if x not in SECTIONS]
    if unknown:
        raise UsageError(f"--sections: unknown {', '.join(unknown)} (sections: "
                         f"{', '.join(SECTIONS)})")
    options = options_of(time_limit, mip_gap)
    explanation, worth = None, []
    if explained:
        explanation = explain_scenario(loadout, options, tuple(dict.fromkeys(("binding",
                                                                              *chosen))))
        result = explanation.result
    else:
        from optimizer.cli.optimize import with_repairs
        from optimizer.engine import solve_scenario

        result = solve_scenario(loadout, options)
        if result.status == "optimal":
            worth = worth_of(loadout, result, options)
        elif result.status == "infeasible" and result.plan != "none":
            result = with_repairs(loadout, result, options.within(REPAIR_BUDGET))
    sweep = None if values is None else run_sweep(loadout, kind, values, options,
                                                  progress=progress_bar(len(values)))
    simulation, certainty, risk_notes = None, [], []
    if s.uncertain:  # the Risk section: the plan held fixed under the samples, and certainty
        from optimizer.analyses.simulate import plan_of, simulate

        if result.plan != "none":
            simulation = simulate(loadout, plan_of(result, s), samples, None, options,
                                  source="the report's plan", plan_status=result.status)
        if levels is None:
            risk_notes.append("The cost of certainty was left out (--confidences none).")
        elif s.objective != "min_cost":
            risk_notes.append("The cost of certainty applies to min_cost scenarios (the target "
                              f"is what must be reached); this one is {s.objective}.")
        else:
            from optimizer.analyses.chance import chance_sweep

            if sys.stderr.isatty():
                click.echo(f"Risk: the cheapest plan at {len(levels)} confidences "
                           f"({s.uncertainty.samples:,} samples each)...", err=True)
            certainty = chance_sweep(loadout, list(levels), options)
    from optimizer.render.report_files import report_files, write_folder
    from optimizer.report import build_report

    built = build_report(loadout, result, worth=worth, explanation=explanation, sweep=sweep,
                         currency=currency, overrides=tuple(sets), simulation=simulation,
                         certainty=certainty, risk_notes=risk_notes)
    files = report_files(built)
    write_folder(output, files)
    charts = sorted({name.split("/")[1].split(".")[0] for name in files if "/" in name})
    click.echo(f"Wrote {output}/: report.html, report.md, report.xlsx, tables.tex, charts/ "
               f"({', '.join(charts)}: PNG and SVG).")
    click.echo(" ".join(built.lede))
    if result.status != "optimal":
        click.echo(result.message, err=True)
    sys.exit(int(result.exit_code))
