"""The ``optimize`` command: options -> API -> renderer; errors -> exit codes.

Heavy modules (Pyomo, pandas) are imported only once a scenario has been
validated, so a bad file is refused fast.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from optimizer.errors import ScenarioError, SolverError, UsageError
from optimizer.options import options_of

if TYPE_CHECKING:
    from optimizer.results import Kind

FORMATS = ("table", "csv", "json", "markdown")
OUTPUT_FILES = {"allocation.csv": "csv", "result.json": "json", "allocation.md": "markdown"}
# Seconds the searches after an answer may take by default (--time-budget): the
# repairs of an infeasible file, and explain's bisections and re-solves.
REPAIR_BUDGET = 60.0
EXPLAIN_BUDGET = 300.0


def _fail(code: int, text: str) -> NoReturn:
    click.echo(text, err=True)
    sys.exit(code)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our exceptions into exit statuses and clear messages, never tracebacks."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            count = len(exc.problems)
            _fail(2, f"error: invalid {exc.what} ({count} problem{'s' * (count != 1)}):\n"
                     + "\n".join(f"  {p}" for p in exc.problems))
        except UsageError as exc:
            _fail(2, f"error: {exc}")
        except SolverError as exc:
            # the solver gave no answer that could be shown and proven: a solver
            # outcome (4), not a fault of the tool
            _fail(4, f"error: no proven answer: {exc}")
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # the last resort: say what, not where
            if os.environ.get("OPTIMIZE_DEBUG"):
                raise
            _fail(1, f"error: unexpected {type(exc).__name__}: {exc} "
                     "(set OPTIMIZE_DEBUG=1 for a traceback)")

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def write_outputs(directory: Path, files: dict[str, str]) -> None:
    """Write each file whole or not at all: a temp file in the same folder, then rename."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.replace(tmp, directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


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


def parse_sets(values: Sequence[str]) -> list[tuple[str, Any]]:
    """``--set PATH=VALUE`` -> (path, value), VALUE read as YAML by the strict loader."""
    from optimizer.loader import load_yaml_text

    out = []
    for text in values:
        path, sep, raw = text.partition("=")
        if not sep or not path.strip():
            raise UsageError(f"--set takes PATH=VALUE, such as budget.ceiling=1.5B (got {text!r})")
        try:
            value = load_yaml_text(f"value: {raw}", f"--set {path.strip()}").data["value"]
        except ScenarioError as exc:
            raise UsageError(
                f"--set {text!r}: " + "; ".join(p.message for p in exc.problems)
            ) from None
        out.append((path.strip(), value))
    return out


def scenario_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--set and --variant, shared by every command that reads a scenario."""
    func = click.option(
        "--variant", metavar="NAME",
        help="Apply a named set of overrides from the file's `variants:` ('all': the file "
             "and every variant).")(func)
    return click.option(
        "--set", "sets", multiple=True, metavar="PATH=VALUE",
        help="Override a field, validated like the file: --set budget.ceiling=1.5B, "
             "--set levers.it_workforce.unit_cost='400k PKR'. Repeatable.")(func)


def solver_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--mip-gap", type=click.FloatRange(min=0, max=1), metavar="FRACTION",
                        help="Relative gap at which a MIP counts as solved (default 1e-7).")(func)
    return click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
                        metavar="SECONDS",
                        help="Stop each solve after this long (exit 4 if not proven "
                             "optimal).")(func)


def budget_option(default: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def add(func: Callable[..., Any]) -> Callable[..., Any]:
        return click.option(
            "--time-budget", type=click.FloatRange(min=0, min_open=True), default=default,
            show_default=True, metavar="SECONDS",
            help="Seconds for the whole command, shared by the solve, its proof and "
                 "every search after it (repairs, bisections, re-solves): a solve not "
                 "finished by then is exit 4, a search not finished is named and left "
                 "out.")(func)
    return add


def relax_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--relax", metavar="FIELD,...",
        help="When infeasible: the limits a repair may move, most preferred first "
             "(e.g. budget.ceiling,levers.erozgar_centers.max_units).")(func)


def format_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="What goes to stdout.")(func)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario file (YAML).")
@scenario_options
@click.option("--objective", type=click.Choice(["min_cost", "max_exports"]),
              help="Override the file's objective.")
@click.option("--ceiling", metavar="AMOUNT",
              help="Override budget.ceiling, e.g. 1.5B or '400M PKR'; 'none' removes it.")
@click.option("--target", metavar="AMOUNT", help="Override target.exports, e.g. 10B.")
@format_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write allocation.csv, result.json and allocation.md here.")
@relax_option
@click.option("--confidence", metavar="SHARE",
              help="The cheapest plan reaching the target in at least this share of the "
                   "file's samples (e.g. 0.9 or 90%); needs distributions in the file.")
@solver_options
@budget_option(REPAIR_BUDGET)
@click.version_option(package_name="pk-budget-optimizer", prog_name="optimize")
@click.pass_context
def main(
    ctx: click.Context,
    config: Path | None,
    sets: tuple[str, ...],
    variant: str | None,
    objective: str | None,
    ceiling: str | None,
    target: str | None,
    fmt: str,
    output: Path | None,
    relax: str | None,
    confidence: str | None,
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
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        raise click.UsageError("--config FILE is required")
    run_optimize(config, sets, variant, overrides_from_options(objective, ceiling, target), fmt,
                 output, time_limit, mip_gap, relax, confidence, time_budget)


@guarded
def run_optimize(
    config: Path,
    sets: Sequence[str],
    variant: str | None,
    overrides: list[tuple[str, Any]],
    fmt: str,
    output: Path | None,
    time_limit: float | None,
    mip_gap: float | None,
    relax: str | None = None,
    confidence: str | None = None,
    time_budget: float | None = None,
) -> None:
    from optimizer.scenario import ALL_VARIANTS, load_variants

    loadouts = load_variants(config, [*parse_sets(sets), *overrides], [variant])
    if variant == ALL_VARIANTS:
        _compare_and_exit(loadouts, fmt, output, time_limit, mip_gap)

    from optimizer.engine import solve_scenario
    from optimizer.precheck import precheck
    from optimizer.render import RENDERERS

    ranked = parse_relax(relax, loadouts[0])
    found = precheck(loadouts[0].scenario)  # before solving: what arithmetic shows
    # one budget for the whole command: the solve, its proof, then the repairs
    options = options_of(time_limit, mip_gap).within(time_budget)
    if confidence is not None:
        from optimizer.analyses.chance import solve_chance

        result = solve_chance(loadouts[0], parse_share("--confidence", confidence), options)
    else:
        result = solve_scenario(loadouts[0], options)
    if result.status == "infeasible" and confidence is None:
        result = _with_repairs(loadouts[0], result, options, ranked, found)
    files = {name: RENDERERS[kind](result) for name, kind in OUTPUT_FILES.items()}
    if result.periods is not None:
        from optimizer.render import render_periods_csv

        files["periods.csv"] = render_periods_csv(result)
    shown = files[next(n for n, k in OUTPUT_FILES.items() if k == fmt)] if fmt != "table" else (
        RENDERERS["table"](result)
    )
    if output is not None:
        write_outputs(output, files)
    click.echo(shown, nl=False)
    if result.status != "optimal" and fmt != "table":  # the table carries the message
        click.echo(result.message, err=True)
    sys.exit(int(result.exit_code))


def _with_repairs(loadout: Any, result: Any, options: Any, relax: Sequence[str] = (),
                  found: Sequence[str] = ()) -> Any:
    """The infeasible result's message, with what the file shows before solving, the
    conflicting limits, and the cheapest repairs (one limit, then together)."""
    import dataclasses

    from optimizer.analyses.explain import repairs_for
    from optimizer.render.explain import joint_sentence, repair_sentence

    s = loadout.scenario
    unfinished: list[str] = []
    conflict, singles, joint = repairs_for(loadout, result, options, relax, unfinished)
    parts = [result.message]
    if found:
        parts.append("Before solving: " + "; ".join(found) + ".")
    if conflict:
        parts.append("Limits that cannot all hold: " + ", ".join(conflict) + ".")
    fixes = [repair_sentence(r, s.currency) for r in singles if r.needed is not None][:3]
    if fixes:
        parts.append("Cheapest repairs: " + "; or ".join(fixes) + ".")
    if joint is not None and relax:
        parts.append(f"With --relax {','.join(relax)} (in that order of preference): "
                     + joint_sentence(joint, s.currency) + ".")
    elif joint is not None and len(joint.moves) > 1:
        parts.append("Or together: " + joint_sentence(joint, s.currency) + ".")
    if unfinished:
        parts.append("Not finished within --time-budget: " + ", ".join(unfinished) + ".")
    parts.append("(see optimize explain)")
    return dataclasses.replace(result, message="\n".join(parts))


def check_plot(plot: Path | None) -> None:
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot writes .png or .svg (got {plot.name!r})")


def one_variant(variant: str | None, command: str) -> None:
    from optimizer.scenario import ALL_VARIANTS

    if variant == ALL_VARIANTS:
        raise UsageError(f"{command} takes one variant at a time (got --variant all)")


def parse_share(option: str, value: str) -> float:
    """A probability written as 0.9 or 90%."""
    from optimizer.amounts import AmountError, parse_fraction

    try:
        share = parse_fraction(value)
    except AmountError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if not 0 < share < 1:
        raise UsageError(f"{option}: a probability strictly between 0 and 1 (got {value})")
    return share


def parse_shares(option: str, value: str) -> list[float]:
    """START:STOP:STEP (0.5:0.95:0.05) or a list (0.8,0.9,95%)."""
    if ":" in value:
        parts = value.split(":")
        if len(parts) != 3:
            raise UsageError(f"{option}: START:STOP:STEP or a list (got {value!r})")
        start, stop, step = (parse_share(option, p) for p in parts)
        count = int(round((stop - start) / step)) + 1
        if count < 1 or count > 1000:
            raise UsageError(f"{option}: {count} points (expected 1 to 1000; got {value!r})")
        return [round(start + i * step, 12) for i in range(count)]
    return [parse_share(option, p.strip()) for p in value.split(",") if p.strip()]


def parse_relax(value: str | None, loadout: Any) -> tuple[str, ...]:
    """--relax A,B,...: limits the repair may move, most preferred first."""
    if not value:
        return ()
    from optimizer.analyses.explain import limit_value

    names = tuple(n.strip() for n in value.split(",") if n.strip())
    bad = [n for n in names if limit_value(loadout.scenario, n) is None]
    if bad:
        raise UsageError(
            f"--relax: not a limit with a value in {loadout.file} (got "
            f"{', '.join(repr(b) for b in bad)}; "
            "expected fields like budget.ceiling, budget.per_period.2025, "
            "target.exports, target.milestones.2025, levers.ID.max_units)")
    return names


@main.command()
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Scenario file (YAML).")
@scenario_options
@click.option("--ceilings", metavar="RANGE",
              help="Most exports under each ceiling: START:STOP:STEP (100M:2B:100M) or a list "
                   "(1B,2B).")
@click.option("--targets", metavar="RANGE", help="Least cost for each target, same grammar.")
@click.option("--confidences", metavar="RANGE",
              help="The cost of certainty: the cheapest plan reaching the target in each "
                   "share of the samples, e.g. 0.5:0.95:0.05.")
@click.option("--exact", is_flag=True,
              help="Every breakpoint of the frontier (LP scenarios only).")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the curve and the lever mix to FILE.png or FILE.svg.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Solve the points in this many processes (for large models).")
@format_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write sweep.csv, sweep.json and sweep.md here.")
@solver_options
def sweep(
    config: Path, sets: tuple[str, ...], variant: str | None, ceilings: str | None,
    targets: str | None, confidences: str | None, exact: bool, plot: Path | None,
    workers: int, fmt: str, output: Path | None, time_limit: float | None,
    mip_gap: float | None,
) -> None:
    """The answer across budget ceilings (--ceilings), export targets (--targets) or
    confidences (--confidences: the cost of certainty)."""
    if confidences is not None:
        run_confidence_sweep(config, sets, variant, confidences, ceilings, targets, exact,
                             plot, fmt, output, time_limit, mip_gap)
        return
    run_sweep_command(config, sets, variant, ceilings, targets, exact, plot, workers, fmt,
                      output, time_limit, mip_gap)


@guarded
def run_confidence_sweep(
    config: Path, sets: Sequence[str], variant: str | None, confidences: str,
    ceilings: str | None, targets: str | None, exact: bool, plot: Path | None, fmt: str,
    output: Path | None, time_limit: float | None, mip_gap: float | None,
) -> None:
    if ceilings is not None or targets is not None or exact:
        raise UsageError("--confidences sweeps alone (not with --ceilings, --targets, --exact)")
    check_plot(plot)
    from optimizer.scenario import load_scenario

    one_variant(variant, "sweep")
    values = parse_shares("--confidences", confidences)
    loadout = load_scenario(config, parse_sets(sets), variant)
    from optimizer.analyses.chance import chance_sweep
    from optimizer.render.chance import CHANCE_RENDERERS, certainty_chart

    results = chance_sweep(loadout, values, options_of(time_limit, mip_gap))
    files = {"certainty.csv": CHANCE_RENDERERS["csv"](results),
             "certainty.json": CHANCE_RENDERERS["json"](results),
             "certainty.md": CHANCE_RENDERERS["markdown"](results)}
    if plot is not None:
        certainty_chart(results, plot)
    if output is not None:
        write_outputs(output, files)
    click.echo(CHANCE_RENDERERS[fmt](results), nl=False)


@guarded
def run_sweep_command(
    config: Path, sets: Sequence[str], variant: str | None, ceilings: str | None,
    targets: str | None, exact: bool, plot: Path | None, workers: int, fmt: str,
    output: Path | None, time_limit: float | None, mip_gap: float | None,
) -> None:
    if (ceilings is None) == (targets is None):
        raise UsageError("give exactly one of --ceilings RANGE or --targets RANGE")
    check_plot(plot)
    from optimizer.scenario import load_scenario

    one_variant(variant, "sweep")
    overrides = parse_sets(sets)
    loadout = load_scenario(config, overrides, variant)
    s = loadout.scenario
    from optimizer.analyses.sweep import parse_range, run_sweep

    kind: Kind = "ceilings" if ceilings is not None else "targets"
    values = parse_range(ceilings or targets or "", s.currency, s.exchange_rates)
    from optimizer.render.sweep import SWEEP_RENDERERS

    if exact:
        from optimizer.analyses.sweep import exact_frontier

        result = exact_frontier(loadout, kind, values, options_of(time_limit, mip_gap))
    else:
        result = run_sweep(loadout, kind, values, options_of(time_limit, mip_gap),
                           progress=_progress(len(values)), workers=workers,
                           source=(str(config), tuple(overrides), variant))
    files = {"sweep.csv": SWEEP_RENDERERS["csv"](result),
             "sweep.json": SWEEP_RENDERERS["json"](result),
             "sweep.md": SWEEP_RENDERERS["markdown"](result)}
    if plot is not None:
        from optimizer.render.charts import sweep_chart

        sweep_chart(result, plot)
    if output is not None:
        write_outputs(output, files)
    click.echo(SWEEP_RENDERERS[fmt](result), nl=False)


def _progress(total: int) -> Callable[[int], None] | None:
    """A progress bar on stderr, shown only once a sweep has run for a second."""
    import time

    start = time.perf_counter()
    state: dict[str, Any] = {}

    def tick(done: int) -> None:
        if "bar" not in state:
            if time.perf_counter() - start < 1.0 or done >= total:
                return
            from rich.console import Console
            from rich.progress import Progress

            bar = Progress(console=Console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("sweep", total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state["bar"].stop()

    return tick


@main.command()
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Scenario file (YAML).")
@scenario_options
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown")),
              default="table", show_default=True, help="What goes to stdout.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write explain.json and explain.md here.")
@click.option("--sections", default="infeasibility,binding,ranging,tornado,room",
              show_default=True,
              help="Which sections to compute, comma-separated.")
@click.option("--share", default="20%", show_default=True,
              help="Tornado: how far each parameter moves down and up.")
@click.option("--slack", default="5%", show_default=True,
              help="Room: plans within this share of the optimal cost.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the tornado to FILE.png or FILE.svg.")
@relax_option
@solver_options
@budget_option(EXPLAIN_BUDGET)
def explain(
    config: Path, sets: tuple[str, ...], variant: str | None, fmt: str, output: Path | None,
    sections: str, share: str, slack: str, plot: Path | None, relax: str | None,
    time_limit: float | None, mip_gap: float | None, time_budget: float,
) -> None:
    """Why this answer: what binds and what each limit is worth, or, when the target
    is out of reach, which limits conflict and the cheapest change that fixes it.
    Exit 3 when infeasible."""
    run_explain(config, sets, variant, fmt, output, sections, share, slack, plot, time_limit,
                mip_gap, relax, time_budget)


@guarded
def run_explain(
    config: Path, sets: Sequence[str], variant: str | None, fmt: str, output: Path | None,
    sections: str, share: str, slack: str, plot: Path | None, time_limit: float | None,
    mip_gap: float | None, relax: str | None = None, time_budget: float | None = None,
) -> None:
    from optimizer.scenario import load_scenario

    one_variant(variant, "explain")
    check_plot(plot)
    loadout = load_scenario(config, parse_sets(sets), variant)
    from optimizer.amounts import AmountError, parse_fraction
    from optimizer.analyses.explain import SECTIONS
    from optimizer.analyses.explain import explain as explain_scenario
    from optimizer.render.explain import EXPLAIN_RENDERERS

    chosen = tuple(x.strip() for x in sections.split(",") if x.strip())
    unknown = [x for x in chosen if x not in SECTIONS]
    if unknown:
        raise UsageError(f"--sections: unknown {', '.join(unknown)} (sections: "
                         f"{', '.join(SECTIONS)})")
    try:
        fractions = (parse_fraction(share), parse_fraction(slack))
    except AmountError as exc:
        raise UsageError(f"--share/--slack: {exc}") from None
    if not all(0 < f < 1 for f in fractions):
        raise UsageError(f"--share and --slack are shares in (0, 1) (got {share}, {slack})")
    ranked = parse_relax(relax, loadout)
    explanation = explain_scenario(loadout, options_of(time_limit, mip_gap), chosen,
                                   *fractions, relax=ranked, budget=time_budget)
    if plot is not None and explanation.swings:
        from optimizer.render.charts import tornado_chart

        r = explanation.result
        base = r.discounted_cost if r.objective == "min_cost" else r.lever_exports
        tornado_chart(explanation.swings, base or 0.0, r.currency,
                      f"{r.scenario}: what moves the answer, each parameter alone",
                      explanation.share, plot,
                      "Total cost" if r.objective == "min_cost" else "Lever exports")
    files = {"explain.json": EXPLAIN_RENDERERS["json"](explanation),
             "explain.md": EXPLAIN_RENDERERS["markdown"](explanation)}
    if output is not None:
        write_outputs(output, files)
    click.echo(EXPLAIN_RENDERERS[fmt](explanation), nl=False)
    sys.exit(int(explanation.result.exit_code))


@main.command()
@click.argument("items", nargs=-1, required=True, metavar="FILE...")
@scenario_options
@format_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write compare.csv, compare.json and compare.md here.")
@solver_options
def compare(
    items: tuple[str, ...], sets: tuple[str, ...], variant: str | None, fmt: str,
    output: Path | None, time_limit: float | None, mip_gap: float | None,
) -> None:
    """Scenario files (.yaml), their variants, or saved result.json files side by side."""
    run_compare(items, sets, variant, fmt, output, time_limit, mip_gap)


@guarded
def run_compare(
    items: Sequence[str], sets: Sequence[str], variant: str | None, fmt: str,
    output: Path | None, time_limit: float | None, mip_gap: float | None,
) -> None:
    from optimizer.scenario import load_variants

    sources: list[Any] = []  # in the order given: the first is what the rest are against
    overrides = parse_sets(sets)
    for item in items:
        if item.lower().endswith(".json"):
            sources.append(Path(item))
        else:
            sources += load_variants(item, overrides, [variant])
    _compare_and_exit(sources, fmt, output, time_limit, mip_gap)


def _compare_and_exit(
    sources: Sequence[Any], fmt: str, output: Path | None,
    time_limit: float | None, mip_gap: float | None,
) -> NoReturn:
    """Solve each Loadout (or read each saved result.json path), compare, print, exit 0."""
    from optimizer.analyses.compare import column_from_json, column_from_result, compare
    from optimizer.engine import solve_scenario
    from optimizer.render.compare import COMPARE_RENDERERS

    options = options_of(time_limit, mip_gap)
    columns = [
        column_from_json(src) if isinstance(src, Path)
        else column_from_result(solve_scenario(src, options), src.label)
        for src in sources
    ]
    comparison = compare(columns)
    files = {"compare.csv": COMPARE_RENDERERS["csv"](comparison),
             "compare.json": COMPARE_RENDERERS["json"](comparison),
             "compare.md": COMPARE_RENDERERS["markdown"](comparison)}
    if output is not None:
        write_outputs(output, files)
    click.echo(COMPARE_RENDERERS[fmt](comparison), nl=False)
    sys.exit(0)


@main.command()
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Scenario file (YAML).")
@scenario_options
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The report's folder: report.html, report.md, report.xlsx, tables.tex and "
                   "charts/ (written whole or not at all).")
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
@click.option("--confidences", metavar="RANGE",
              help="Risk section (scenarios with distributions): the confidences of the cost "
                   "of certainty, as for sweep --confidences (default 0.5:0.9:0.1); 'none' "
                   "leaves the curve out.")
@click.option("--samples", type=click.IntRange(min=1), metavar="N",
              help="Risk section: samples to evaluate the plan under (default: the file's "
                   "uncertainty.samples; the cost of certainty keeps the file's).")
@solver_options
def report(
    config: Path, sets: tuple[str, ...], variant: str | None, output: Path,
    ceilings: str | None, targets: str | None, explained: bool, sections: str | None,
    currency: str | None, confidences: str | None, samples: int | None,
    time_limit: float | None, mip_gap: float | None,
) -> None:
    """A folder a planner can hand on: a self-contained page, Markdown, a workbook, LaTeX
    tables and the charts; with a Risk section when the scenario has distributions. Exit 3
    (report written) when the target is out of reach."""
    run_report(config, sets, variant, output, ceilings, targets, explained, sections,
               currency, time_limit, mip_gap, confidences, samples)


@guarded
def run_report(
    config: Path, sets: Sequence[str], variant: str | None, output: Path,
    ceilings: str | None, targets: str | None, explained: bool, sections: str | None,
    currency: str | None, time_limit: float | None, mip_gap: float | None,
    confidences: str | None = None, samples: int | None = None,
) -> None:
    from optimizer.render.report_files import check_folder
    from optimizer.scenario import load_scenario

    one_variant(variant, "report")
    if ceilings is not None and targets is not None:
        raise UsageError("give at most one of --ceilings RANGE or --targets RANGE")
    if sections is not None and not explained:
        raise UsageError("--sections chooses sections of --explain; add --explain")
    check_folder(output)
    levels = None if confidences is not None and confidences.strip().lower() == "none" else \
        parse_shares("--confidences", "0.5:0.9:0.1" if confidences is None else confidences)
    if levels is not None and not levels:
        raise UsageError(f"--confidences: START:STOP:STEP, a list or none (got {confidences!r})")
    loadout = load_scenario(config, parse_sets(sets), variant)
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
        from optimizer.engine import solve_scenario

        result = solve_scenario(loadout, options)
        if result.status == "optimal":
            worth = worth_of(loadout, result, options)
        elif result.status == "infeasible" and result.plan != "none":
            result = _with_repairs(loadout, result, options.within(REPAIR_BUDGET))
    sweep = None if values is None else run_sweep(loadout, kind, values, options,
                                                  progress=_progress(len(values)))
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
            certainty = chance_sweep(loadout, levels, options)
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


@main.command("simulate")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Scenario file (YAML) with distributions.")
@scenario_options
@click.option("--plan", "plan_file", type=click.Path(path_type=Path), metavar="RESULT.json",
              help="Hold this saved plan fixed (the result.json of optimize --output DIR) "
                   "instead of the optimum at the point values.")
@click.option("--samples", type=click.IntRange(min=1), metavar="N",
              help="Joint samples to draw (default: the file's uncertainty.samples).")
@click.option("--seed", type=click.IntRange(min=0), metavar="N",
              help="Seed of the sampler (default: the file's uncertainty.seed).")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown")),
              default="table", show_default=True, help="What goes to stdout.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write simulation.json and simulation.md here (reoptimize.json and "
                   "reoptimize.md with --reoptimize).")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the histogram of last-period exports to FILE.png or FILE.svg.")
@click.option("--reoptimize", is_flag=True,
              help="Re-solve the scenario under each sample instead: the distribution of "
                   "the optimal cost and of each lever's share of spend.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="With --reoptimize: solve in this many processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="With --reoptimize: solve on a Dask distributed cluster "
                   "(pip install '.[distributed]').")
@solver_options
def simulate_command(
    config: Path, sets: tuple[str, ...], variant: str | None, plan_file: Path | None,
    samples: int | None, seed: int | None, fmt: str, output: Path | None, plot: Path | None,
    reoptimize: bool, workers: int | None, scheduler: str | None, time_limit: float | None,
    mip_gap: float | None,
) -> None:
    """How likely a plan reaches the target: the optimum (or --plan) held fixed under the
    samples of the file's distributions; P10/P50/P90 of exports and cost, and what drives
    the shortfall. Exit 0 when it ran, 2 bad input, 3 no plan (infeasible)."""
    run_simulate(config, sets, variant, plan_file, samples, seed, fmt, output, plot,
                 reoptimize, workers, scheduler, time_limit, mip_gap)


@guarded
def run_simulate(
    config: Path, sets: Sequence[str], variant: str | None, plan_file: Path | None,
    samples: int | None, seed: int | None, fmt: str, output: Path | None, plot: Path | None,
    reoptimize: bool, workers: int | None, scheduler: str | None, time_limit: float | None,
    mip_gap: float | None,
) -> None:
    from optimizer.scenario import load_scenario

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
    loadout = load_scenario(config, parse_sets(sets), variant)
    from optimizer.analyses.simulate import NoPlan, no_distributions_message, read_plan, simulate

    if not loadout.scenario.uncertain:
        raise UsageError(no_distributions_message(loadout.file))
    options = options_of(time_limit, mip_gap)
    if reoptimize:
        _reoptimize_and_exit(loadout, samples, seed, workers or 1, scheduler, options, fmt,
                             output)
    plan, source, status = None, None, None
    if plan_file is not None:
        plan, saved = read_plan(plan_file, loadout.scenario)
        source, status = str(plan_file), str(saved.status)
    try:
        sim = simulate(loadout, plan, samples, seed, options, source=source, plan_status=status)
    except NoPlan as exc:
        _fail(int(exc.result.exit_code),
              f"error: {loadout.file}: no plan to simulate: at the point values the scenario "
              f"is {exc.result.status}.\n{exc.result.message}")
    from optimizer.render.simulate import SIMULATION_RENDERERS

    files = {"simulation.json": SIMULATION_RENDERERS["json"](sim),
             "simulation.md": SIMULATION_RENDERERS["markdown"](sim)}
    if plot is not None:
        from optimizer.render.risk_charts import histogram_chart

        histogram_chart(sim, plot)
    if output is not None:
        write_outputs(output, files)
    click.echo(SIMULATION_RENDERERS[fmt](sim), nl=False)
    sys.exit(0)


def _reoptimize_and_exit(
    loadout: Any, samples: int | None, seed: int | None, workers: int, scheduler: str | None,
    options: Any, fmt: str, output: Path | None,
) -> NoReturn:
    """simulate --reoptimize: the optimum of every sample, summarised; exit 0."""
    from optimizer.analyses.reoptimize import reoptimize
    from optimizer.render.simulate import (
        render_reoptimized_json,
        render_reoptimized_markdown,
        render_reoptimized_table,
    )

    s = loadout.scenario
    n = s.uncertainty.samples if samples is None else samples
    r = reoptimize(loadout, samples=n, seed=seed, workers=workers, scheduler=scheduler,
                   options=options, progress=_progress(n))
    labels = {lid: lever.label(lid) for lid, lever in s.enabled_levers().items()}
    rendered = {
        "table": render_reoptimized_table(r, s.name, s.currency, labels),
        "json": render_reoptimized_json(r, s.name, s.currency),
        "markdown": render_reoptimized_markdown(r, s.name, s.currency, labels),
    }
    if output is not None:
        write_outputs(output, {"reoptimize.json": rendered["json"],
                               "reoptimize.md": rendered["markdown"]})
    click.echo(rendered[fmt], nl=False)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
