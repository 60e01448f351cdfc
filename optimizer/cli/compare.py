"""optimize compare: scenario files, their variants or saved result.json files side by
side (and optimize --variant all, which compares the file with each variant)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from optimizer.cli.options import (
    format_option,
    output_option,
    parse_sets,
    scenario_options,
    solver_options,
)
from optimizer.cli.output import emit, guarded
from optimizer.solving.options import SolverOptions, options_of

if TYPE_CHECKING:
    from optimizer.scenario import Loadout

COMPARE_FILES = {"compare.csv": "csv", "compare.json": "json", "compare.md": "markdown"}


@click.command("compare")
@click.argument("items", nargs=-1, required=True, metavar="FILE...")
@scenario_options
@format_option()
@output_option("Also write compare.csv, compare.json and compare.md here.")
@solver_options
@guarded
def compare(
    *, items: tuple[str, ...], sets: tuple[str, ...], variant: str | None, fmt: str,
    output: Path | None, time_limit: float | None, mip_gap: float | None,
) -> None:
    """Scenario files (.yaml), their variants, or saved result.json files side by side."""
    from optimizer.scenario import load_variants

    # in the order given: the first is what the rest are against
    sources: list[Loadout | Path] = []
    overrides = parse_sets(sets)
    for item in items:
        if item.lower().endswith(".json"):
            sources.append(Path(item))
        else:
            sources += load_variants(item, overrides, [variant])
    compare_and_exit(sources, fmt, output, options_of(time_limit, mip_gap))


def compare_and_exit(
    sources: Sequence[Loadout | Path], fmt: str, output: Path | None, options: SolverOptions,
) -> NoReturn:
    """Solve each Loadout (or read each saved result.json path), compare, print, exit 0."""
    from optimizer.analyses.compare import column_from_json, column_from_result
    from optimizer.analyses.compare import compare as compare_columns
    from optimizer.present.formats.compare import COMPARE_RENDERERS
    from optimizer.solving.engine import solve_scenario

    columns = [
        column_from_json(src) if isinstance(src, Path)
        else column_from_result(solve_scenario(src, options), src.label)
        for src in sources
    ]
    emit(compare_columns(columns), COMPARE_RENDERERS, fmt, files=COMPARE_FILES,
         output=output)
