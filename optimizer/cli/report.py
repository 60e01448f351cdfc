"""optimize report: a folder a planner can hand on. What it solves is
optimizer.analyses.report's; here the options are read, and the folder written."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from optimizer.analyses.report import ReportOptions, check_request, solve_report
from optimizer.cli.options import (
    Shares,
    Source,
    config_option,
    one_scenario_options,
    one_variant,
    output_option,
    solver_options,
)
from optimizer.cli.output import guarded, progress_bar
from optimizer.solving.options import options_of


@click.command("report")
@config_option()
@one_scenario_options
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
    from optimizer.present.formats.report_files import check_folder

    one_variant(variant, "report")
    asked = ReportOptions(
        ceilings=ceilings, targets=targets, explain=explained,
        sections=sections, currency=currency, confidences=confidences, samples=samples,
        solver=options_of(time_limit, mip_gap))
    check_request(asked)
    check_folder(output)
    loadout = Source(config, sets, variant).load()
    from optimizer.present.formats.report_files import prepare, report_files, write_folder

    data = solve_report(loadout, asked, progress=progress_bar, notice=_on_a_terminal,
                        meanwhile=prepare)
    from optimizer.present.formats.layout import terminal

    built = data.view(currency=currency, overrides=sets)
    files = report_files(built, progress=progress_bar)
    write_folder(output, files)
    charts = sorted({name.split("/")[1].split(".")[0] for name in files if "/" in name})
    click.echo(f"Wrote {output}/: report.html, report.md, report.xlsx, tables.tex, charts/ "
               f"({', '.join(charts)}: PNG and SVG).")
    click.echo(terminal(" ".join(built.lede)))
    result = data.result
    if result.status != "optimal":
        click.echo(terminal(result.message), err=True)
    sys.exit(int(result.exit_code))


def _on_a_terminal(text: str) -> None:
    """A long step's notice, for a planner watching (not for a pipe or a log)."""
    if sys.stderr.isatty():
        click.echo(text, err=True)
