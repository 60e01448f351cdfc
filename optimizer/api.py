"""The engine from Python, without the command line.

Every function takes a scenario as a path, YAML text, a dict or a loaded
:class:`~optimizer.scenario.Loadout`, and returns the same frozen results the
command line renders. Errors are the command line's: ScenarioError (a bad file,
exit 2 there), UsageError (a bad argument), SolverError (no proven answer).

>>> import optimizer
>>> plan = optimizer.solve("configs/pakistan_it_exports.yaml")
>>> print(plan.status, plan.objective, plan.currency)
optimal min_cost USD
>>> print(f"{plan.total_cost / 1e6:.1f}M")
163.5M
>>> for row in plan.rows:
...     print(f"{row.lever:16} {row.units:>13,.0f} {row.spend:>12,.0f}")
it_workforce           136,000  143,157,895
erozgar_centers         10,000      350,877
dollar_retention 1,000,000,000   20,000,000
startup_fund                 0            0
>>> plan.to_frame().shape  # the same rows as a pandas frame
(4, 9)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from optimizer.analyses.compare import Column, Comparison, column_from_json, column_from_result
from optimizer.analyses.compare import compare as _compare
from optimizer.errors import UsageError
from optimizer.results import Explanation, Kind, Result, Sweep
from optimizer.scenario import Loadout, load_variants, loadouts
from optimizer.scenario.loader import load_yaml_text
from optimizer.solving.options import SolverOptions, options_of

if TYPE_CHECKING:
    from optimizer.analyses.report import ReportData

ScenarioLike = Loadout | str | os.PathLike[str] | Mapping[str, Any]
"""A path to a scenario file, its YAML text, the same as a dict, or a Loadout."""


def load(source: ScenarioLike, *, variant: str | None = None,
         overrides: Mapping[str, Any] | None = None) -> Loadout:
    """A validated scenario (raises ScenarioError naming every problem).

    ``source``: a path (str or Path) to a YAML file; YAML text (a str with a
    newline, or a ``key: value`` that names no file); or a dict of the file's
    fields. ``variant`` applies one of the file's ``variants:`` by name;
    ``overrides`` then sets fields by path, as ``--set`` does
    (``{"budget.ceiling": "1.5B"}``).

    >>> load({"name": "tiny", "target": {"exports": 100},
    ...       "levers": {"a": {"unit_cost": 2, "yield_per_unit": 1}}}).scenario.name
    'tiny'
    """
    if isinstance(source, Loadout):
        if variant is not None or overrides:
            raise UsageError("load: a Loadout is already loaded; give its file to apply "
                             "a variant or overrides")
        return source
    sets = [(str(k), v) for k, v in (overrides or {}).items()]
    if isinstance(source, Mapping):
        text = yaml.safe_dump(dict(source), sort_keys=False, allow_unicode=True)
        return loadouts(load_yaml_text(text, "<dict>"), sets, [variant])[0]
    if isinstance(source, str) and not Path(source).is_file() and (
            "\n" in source or ": " in source):
        return loadouts(load_yaml_text(source, "<string>"), sets, [variant])[0]
    return load_variants(source, sets, [variant])[0]


def solve(scenario: ScenarioLike, *, time_limit: float | None = None,
          mip_gap: float | None = None) -> Result:
    """The cheapest plan reaching the target (min_cost) or the most exports the
    ceiling buys (max_exports), re-checked and certified: ``result.status`` is
    optimal only with a proof (``result.solver.certificate``). ``time_limit``:
    seconds for all of the call's HiGHS runs together, counted from the first, as
    ``--time-limit`` (README, Command line)."""
    from optimizer.solving.engine import solve_scenario

    return solve_scenario(load(scenario), options_of(time_limit, mip_gap))


def sweep(scenario: ScenarioLike, *, ceilings: Sequence[float] | None = None,
          targets: Sequence[float] | None = None, exact: bool = False,
          time_limit: float | None = None) -> Sweep:
    """The answer at each ceiling or each target (give one), in the scenario's
    reporting currency; ``exact`` adds the frontier's corners (LP scenarios).
    ``time_limit``: seconds for every point together, as ``--time-limit``.

    >>> s = sweep("configs/examples/ceiling_max_exports.yaml", ceilings=[1e9, 2e9])
    >>> print(*(f"{r.status} {r.lever_exports / 1e9:.2f}B" for r in s.results))
    optimal ... optimal ...
    """
    from optimizer.analyses.sweep import exact_frontier, run_sweep

    if (ceilings is None) == (targets is None):
        raise UsageError("sweep: give exactly one of ceilings= or targets=")
    kind: Kind = "ceilings" if ceilings is not None else "targets"
    values = [float(v) for v in (ceilings if ceilings is not None else targets or [])]
    if not values:
        raise UsageError(f"sweep: {kind}= is empty")
    loadout, options = load(scenario), options_of(time_limit, None)
    if exact:
        return exact_frontier(loadout, kind, values, options)
    return run_sweep(loadout, kind, values, options)


def explain(scenario: ScenarioLike, *, sections: Sequence[str] | None = None,
            time_budget: float | None = 300.0) -> Explanation:
    """Why the answer is what it is: the worth of each binding limit (re-solved),
    the repairs of an infeasible file, the tornado, each lever's room and the
    stability of the mix; ``sections`` picks some (optimizer.analyses.explain.SECTIONS)."""
    from optimizer.analyses.explain import SECTIONS
    from optimizer.analyses.explain import explain as _explain

    chosen = tuple(sections) if sections is not None else SECTIONS
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise UsageError(f"explain: unknown sections {', '.join(unknown)} "
                         f"(sections: {', '.join(SECTIONS)})")
    return _explain(load(scenario), SolverOptions(), sections=chosen, budget=time_budget)


def simulate(scenario: ScenarioLike, *, plan: Mapping[str, Sequence[float]] | None = None,
             samples: int | None = None, seed: int | None = None) -> Any:
    """The plan (default: the optimum at the point values) under joint draws of
    every parameter written as a distribution; returns a Simulation."""
    from optimizer.analyses.simulate import simulate as _simulate

    return _simulate(load(scenario), plan, samples, seed)


def compare(*items: ScenarioLike | Result) -> Comparison:
    """Answers side by side: each item a scenario (solved here), a Result, or the
    path of a saved result.json (a path ending in .json)."""
    columns: list[Column] = []
    for i, item in enumerate(items):
        if isinstance(item, Result):
            columns.append(column_from_result(item, item.scenario))
        elif isinstance(item, str | os.PathLike) and os.fspath(item).endswith(".json"):
            columns.append(column_from_json(item))
        else:
            loadout = load(item)
            label = loadout.label if loadout.file not in ("<dict>", "<string>") \
                else f"{loadout.scenario.name} [{i + 1}]"
            columns.append(column_from_result(solve(loadout), label))
    return _compare(columns)


def report(scenario: ScenarioLike, output: str | os.PathLike[str] | None = None, *,
           ceilings: str | Sequence[float] | None = None,
           targets: str | Sequence[float] | None = None, explain: bool = False,
           sections: str | Sequence[str] | None = None, currency: str | None = None,
           confidences: Sequence[float] | None = None, samples: int | None = None,
           time_limit: float | None = None, mip_gap: float | None = None) -> ReportData:
    """What ``optimize report`` solves, as a ReportData (its ``result``, ``sweep``,
    ``explanation``, ``simulation``, ``certainty``...; ``view()`` is the memo's content);
    given ``output``, the same folder the command line writes there (report.html,
    report.md, report.xlsx, tables.tex, charts/), whole or not at all.

    ``ceilings`` or ``targets``: the frontier, amounts in the scenario's currency or a
    range as --ceilings reads it ("100M:2B:100M"); ``explain`` and ``sections``: the
    explanation; ``currency``: present amounts in another currency of the file;
    ``confidences`` (empty: left out) and ``samples``: the Risk section of a scenario
    with distributions. The report's date is SOURCE_DATE_EPOCH's when it is set.

    >>> data = report("configs/examples/ceiling_max_exports.yaml", ceilings=[1e9, 2e9])
    >>> print(data.result.status, *(r.status for r in data.sweep.results))
    optimal optimal optimal
    """
    from optimizer.analyses.report import ReportOptions, solve_report
    from optimizer.present.formats.report_files import (
        check_folder,
        prepare,
        report_files,
        write_folder,
    )

    folder = None if output is None else Path(output)
    if folder is not None:
        check_folder(folder)
    loadout = load(scenario)
    data = solve_report(loadout, ReportOptions(
        ceilings=ceilings, targets=targets, explain=explain, sections=sections,
        currency=currency, confidences=confidences, samples=samples,
        solver=options_of(time_limit, mip_gap)), meanwhile=None if folder is None else prepare)
    if folder is not None:
        write_folder(folder, report_files(data.view(currency=currency,
                                                    overrides=loadout.sets)))
    return data
