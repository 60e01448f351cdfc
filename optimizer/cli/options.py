"""The options the commands share: decorators, Click types for shares and --relax, and
what --config, --set and --variant name (a Source)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from optimizer.cli.output import OptionError
from optimizer.errors import ScenarioError, UsageError

if TYPE_CHECKING:
    from optimizer.scenario import Loadout

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "csv", "json", "markdown")
TEXT_FORMATS = ("table", "json", "markdown")
"""The formats of explain and simulate (no CSV)."""


# -- values -----------------------------------------------------------------------------


def parse_share(option: str, value: str) -> float:
    """A probability written as 0.9 or 90%."""
    from optimizer.scenario.amounts import AmountError, parse_fraction

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


def _flag(param: click.Parameter | None) -> str:
    return param.opts[0] if param is not None and param.opts else "value"


class Finite(click.FloatRange):
    """A FloatRange that refuses nan (every comparison with nan is false, so Click's
    range check lets it through) and inf where the range is open above."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class Share(click.ParamType):
    """A probability: 0.9 or 90%, strictly between 0 and 1."""

    name = "share"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_share(_flag(param), str(value))
        except UsageError as exc:
            raise OptionError(str(exc)) from None


class Shares(click.ParamType):
    """Probabilities: START:STOP:STEP (0.5:0.95:0.05) or a list (0.8,0.9,95%). With
    ``none``: the word none is the empty tuple (left out), and nothing else may be empty."""

    name = "shares"

    def __init__(self, *, none: bool = False) -> None:
        self.none = none

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        text, option = str(value), _flag(param)
        if self.none and text.strip().lower() == "none":
            return ()
        try:
            shares = tuple(parse_shares(option, text))
        except UsageError as exc:
            raise OptionError(str(exc)) from None
        if self.none and not shares:
            raise OptionError(f"{option}: START:STOP:STEP, a list or none (got {text!r})")
        return shares


class Limits(click.ParamType):
    """--relax A,B,...: limits a repair may move, most preferred first (each is checked
    against the scenario once it is loaded: check_relax)."""

    name = "limits"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        return tuple(n.strip() for n in str(value).split(",") if n.strip())


def check_relax(names: Sequence[str], loadout: Loadout) -> tuple[str, ...]:
    """The --relax names, each a limit with a value in the scenario (else UsageError)."""
    if not names:
        return ()
    from optimizer.analyses.limits import limit_value

    bad = [n for n in names if limit_value(loadout.scenario, n) is None]
    if bad:
        raise UsageError(
            f"--relax: not a limit with a value in {loadout.file} (got "
            f"{', '.join(repr(b) for b in bad)}; "
            "expected fields like budget.ceiling, budget.per_period.2025, "
            "target.exports, target.milestones.2025, levers.ID.max_units)")
    return tuple(names)


def parse_sets(values: Sequence[str]) -> list[tuple[str, Any]]:
    """``--set PATH=VALUE`` -> (path, value), VALUE read as YAML by the strict loader."""
    from optimizer.scenario.loader import load_yaml_text

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


def check_plot(plot: Path | None) -> None:
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--plot writes .png or .svg (got {plot.name!r})")


def one_variant(variant: str | None, command: str) -> None:
    from optimizer.scenario import ALL_VARIANTS

    if variant == ALL_VARIANTS:
        raise UsageError(f"{command} takes one variant at a time (got --variant all)")


@dataclass(frozen=True)
class Source:
    """Where a command's scenario comes from: --config, --set and --variant."""

    config: Path
    sets: tuple[str, ...] = ()
    """The --set texts as typed (PATH=VALUE)."""
    variant: str | None = None

    def load(self) -> Loadout:
        """The one scenario of a command that takes one variant at a time (the caller
        has refused --variant all: one_variant)."""
        from optimizer.scenario import load_scenario

        return load_scenario(self.config, parse_sets(self.sets), self.variant)


# -- decorators -------------------------------------------------------------------------


def config_option(*, required: bool = True,
                  help: str = "Scenario file (YAML).") -> Callable[[F], F]:
    return click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
                        required=required, help=help)


def scenario_options(func: F) -> F:
    """--set and --variant ('all' allowed), for the commands that show several
    scenarios side by side (optimize, compare)."""
    return _scenario_options(func, every=True)


def one_scenario_options(func: F) -> F:
    """--set and --variant (one name), for the commands that answer for one scenario."""
    return _scenario_options(func, every=False)


def _scenario_options(func: F, every: bool) -> F:
    func = click.option(
        "--variant", metavar="NAME",
        help="Apply a named set of overrides from the file's `variants:`"
             + (" ('all': the file and every variant)." if every else
                " (one at a time; 'all' is for optimize and compare)."))(func)
    return click.option(
        "--set", "sets", multiple=True, metavar="PATH=VALUE",
        help="Override a field, validated like the file: --set budget.ceiling=1.5B, "
             "--set levers.it_workforce.unit_cost='400k PKR'. Repeatable.")(func)


def solver_options(func: F) -> F:
    func = click.option("--mip-gap", type=Finite(min=0, max=1), metavar="FRACTION",
                        help="Relative gap at which a MIP counts as solved (default 1e-7).")(func)
    return click.option("--time-limit", type=Finite(min=0, min_open=True),
                        metavar="SECONDS",
                        help="One budget for all of this command's solves, counted from "
                             "the first: the answer may use all of it, each later stage "
                             "or solve gets what is left, and one left with nothing is "
                             "not run and is named (exit 4 if not proven optimal; "
                             "replaces --time-budget).")(func)


def budget_option(default: float) -> Callable[[F], F]:
    return click.option(
        "--time-budget", type=Finite(min=0, min_open=True), default=default,
        show_default=True, metavar="SECONDS",
        help="Seconds for the whole command, shared by the solve, its proof and "
             "every search after it (repairs, bisections, re-solves): a solve not "
             "finished by then is exit 4, a search not finished is named and left "
             "out. Not used with --time-limit, which then bounds every solve.")


def relax_option(func: F) -> F:
    return click.option(
        "--relax", type=Limits(), metavar="FIELD,...",
        help="When infeasible: the limits a repair may move, most preferred first "
             "(e.g. budget.ceiling,levers.erozgar_centers.max_units).")(func)


def format_option(choices: Sequence[str] = FORMATS) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default="table",
                        show_default=True, help="What goes to stdout.")


def output_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    return click.option("--output", type=click.Path(file_okay=False, path_type=Path),
                        required=required, help=help, callback=_output_folder)


def _output_folder(ctx: click.Context, param: click.Parameter, value: Path | None
                   ) -> Path | None:
    """--output checked before anything is solved: a file, or a link to nothing, is
    refused (exit 2), as the writer would refuse it at the end."""
    if value is not None:
        from optimizer.present.files import where

        try:
            where(value)
        except UsageError as exc:
            raise OptionError(str(exc)) from None
    return value


def plot_option(help: str) -> Callable[[F], F]:
    return click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help=help)
