"""The ``optimize`` command: options -> API -> renderer; errors -> exit codes.

Heavy modules (Pyomo, pandas) are imported only once a scenario has been
validated, so a bad file is refused fast.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from optimizer.errors import ScenarioError, SolverError, UsageError

FORMATS = ("table", "csv", "json", "markdown")
OUTPUT_FILES = {"allocation.csv": "csv", "result.json": "json", "allocation.md": "markdown"}


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
            _fail(2, f"error: invalid scenario ({count} problem{'s' * (count != 1)}):\n"
                     + "\n".join(f"  {p}" for p in exc.problems))
        except UsageError as exc:
            _fail(2, f"error: {exc}")
        except SolverError as exc:
            _fail(1, f"error: {exc}")
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


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario file (YAML).")
@click.option("--objective", type=click.Choice(["min_cost", "max_exports"]),
              help="Override the file's objective.")
@click.option("--ceiling", metavar="AMOUNT",
              help="Override budget.ceiling, e.g. 1.5B or '400M PKR'; 'none' removes it.")
@click.option("--target", metavar="AMOUNT", help="Override target.exports, e.g. 10B.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="What goes to stdout.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Also write allocation.csv, result.json and allocation.md here.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop each solve after this long (exit 4 if not proven optimal).")
@click.option("--mip-gap", type=click.FloatRange(min=0, max=1), metavar="FRACTION",
              help="Relative gap at which a MIP counts as solved (default 1e-7).")
@click.version_option(package_name="pk-budget-optimizer", prog_name="optimize")
@click.pass_context
def main(
    ctx: click.Context,
    config: Path | None,
    objective: str | None,
    ceiling: str | None,
    target: str | None,
    fmt: str,
    output: Path | None,
    time_limit: float | None,
    mip_gap: float | None,
) -> None:
    """Cheapest allocation of a budget across strategy levers that reaches an export
    target, or the most exports a budget ceiling buys.

    \b
    Exit status: 0 optimal; 2 bad usage or invalid scenario; 3 infeasible
    (the message says the most exports reachable); 4 a solver limit stopped
    it before a proven optimum; 1 anything else.
    """
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        raise click.UsageError("--config FILE is required")
    run_optimize(config, overrides_from_options(objective, ceiling, target), fmt, output,
                 time_limit, mip_gap)


@guarded
def run_optimize(
    config: Path,
    overrides: list[tuple[str, Any]],
    fmt: str,
    output: Path | None,
    time_limit: float | None,
    mip_gap: float | None,
) -> None:
    from optimizer.scenario import load_scenario

    loadout = load_scenario(config, overrides)

    from optimizer.engine import solve_scenario
    from optimizer.render import RENDERERS
    from optimizer.solve import DEFAULT_MIP_GAP, SolverOptions

    options = SolverOptions(
        time_limit=time_limit, mip_gap=DEFAULT_MIP_GAP if mip_gap is None else mip_gap
    )
    result = solve_scenario(loadout, options)
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


if __name__ == "__main__":  # pragma: no cover
    main()
