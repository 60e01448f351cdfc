"""Results side by side: status, cost, exports, marginal cost and every lever.

Columns come from solved Results or from saved ``result.json`` files (spec
section 3); this module never solves (no Pyomo, no engine). Differences are
taken against the first column (the Comparison, optimizer.results.comparison).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from optimizer.errors import Problem, ScenarioError, UsageError
from optimizer.results import Result
from optimizer.results.comparison import ABSENT as ABSENT
from optimizer.results.comparison import NOT_COMPARABLE as NOT_COMPARABLE
from optimizer.results.comparison import Column as Column
from optimizer.results.comparison import Comparison as Comparison
from optimizer.results.comparison import Diff as Diff
from optimizer.results.comparison import LeverValues, Source
from optimizer.results.comparison import Row as Row
from optimizer.results.comparison import Value as Value
from optimizer.results.result_file import (
    RESULT_FILE,
    OverrideFigures,
    ResultFile,
    read_result_file,
)


def compare(columns: Sequence[Column]) -> Comparison:
    """Columns side by side; raises UsageError for fewer than two or mixed currencies."""
    if len(columns) < 2:
        raise UsageError(
            f"compare needs at least two columns (scenario files, variants or saved "
            f"result.json files); got {len(columns)}")
    first = columns[0]
    for col in columns[1:]:
        if col.currency != first.currency:
            raise UsageError(
                f"cannot compare {first.label!r} ({first.currency}) with {col.label!r} "
                f"({col.currency}): every column must report in the same currency")
    return Comparison(tuple(columns))


def column_from_result(result: Result, label: str) -> Column:
    """The column of a solved Result, numbers as ``result.json`` writes them
    (no -0.0 or dust, no NaN, integer levers' units as int): it is read through
    the same file model as a saved one."""
    return _column(ResultFile.of(result), label, "scenario")


def column_from_json(path: str | os.PathLike[str], label: str | None = None) -> Column:
    """The column of a saved ``result.json`` (spec section 3, read by
    result_file.read_result_file, which raises ScenarioError naming the file and
    each field at fault). ``label`` defaults to the path, with the values the run
    used in place of its file's (two runs of one file read apart)."""
    file = os.fspath(path)
    saved = read_result_file(file)
    if label is None:
        label = file + "".join(
            f" [{o.source[len('variant '):]}]" if o.source.startswith("variant ") else
            f" --set {o.path}={o.value}" for o in _distinct_variants(saved.overrides))
    return _column(saved, label, "result.json", file)


def _distinct_variants(overrides: Sequence[OverrideFigures]) -> list[OverrideFigures]:
    """--set overrides each, a variant once (by its name)."""
    seen: set[str] = set()
    out = []
    for o in overrides:
        key = o.source if o.source.startswith("variant ") else f"{o.path}={o.value}"
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


def _column(saved: ResultFile, label: str, source: Source, file: str = "") -> Column:
    problems: list[Problem] = []
    levers: dict[str, LeverValues] = {}
    for i, entry in enumerate(saved.allocation):
        if entry.lever in levers:
            problems.append(Problem(file, f"lever {entry.lever!r} listed twice",
                                    f"allocation[{i}].lever"))
            continue
        levers[entry.lever] = LeverValues(entry.name, entry.units, entry.spend)
    if problems:
        raise ScenarioError(problems, RESULT_FILE)
    # (Column cleans every number itself: no NaN, -0.0 or dust)
    return Column(
        label=label,
        scenario=saved.scenario,
        currency=saved.currency,
        status=saved.status,
        total_cost=saved.total_cost,
        lever_exports=saved.lever_exports,
        marginal_cost=_resolved(saved),
        levers=levers,
        source=source,
        outcomes={o: figures.total for o, figures in (saved.outcomes or {}).items()
                  if o != "exports"},
    )


def _resolved(saved: ResultFile) -> float | None:
    """The re-solved marginal cost of a result file; one written before the field
    existed has it in its next step."""
    if saved.marginal_cost_resolved is not None:
        return saved.marginal_cost_resolved
    step = saved.next_step
    if step is None or step.cost is None or not step.exports:
        return None
    return step.cost / step.exports
