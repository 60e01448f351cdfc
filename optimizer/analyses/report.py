"""What a report solves: the answer and what its binding limits are worth (or, when the
target is out of reach, the repairs), the frontier across ceilings or targets, the
explanation, and for a scenario with distributions the Risk section's simulation and
cost of certainty. No Click, no printing, no files: optimize report and
optimizer.report() render what this returns (ReportData.view) and write the folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from optimizer.analyses.scope import exports_or_cost
from optimizer.errors import OutOfTime, UsageError
from optimizer.solving.options import REPAIR_BUDGET, SolverOptions

if TYPE_CHECKING:
    from optimizer.analyses.explain import Planned
    from optimizer.analyses.tasks import Bars, Tasks
    from optimizer.present.views.model import Report
    from optimizer.results import Explanation, Kind, Result, Sweep, Worth
    from optimizer.results.simulation import Simulation
    from optimizer.scenario import Loadout

T = TypeVar("T")

DEFAULT_CONFIDENCES = (0.5, 0.6, 0.7, 0.8, 0.9)
"""The cost of certainty's confidences when none are asked (--confidences 0.5:0.9:0.1)."""

@dataclass(frozen=True)
class ReportOptions:
    """What a report is asked to hold beyond the answer."""

    ceilings: str | Sequence[float] | None = None
    """The frontier across budget ceilings: amounts in the scenario's currency, or a range
    as --ceilings reads it (START:STOP:STEP or a list, amounts like 1.5B)."""
    targets: str | Sequence[float] | None = None
    """The frontier across export targets (give ceilings or targets, not both)."""
    explain: bool = False
    """Add the explanation (its worth replaces the binding limits' re-solves)."""
    sections: str | Sequence[str] | None = None
    """With explain: which of optimizer.analyses.explain.SECTIONS, as names or a
    comma-separated text as --sections reads it (None: all)."""
    currency: str | None = None
    """The presentation currency (checked here, before any solving; used by the view)."""
    confidences: Sequence[float] | None = None
    """Risk section: the confidences of the cost of certainty. None: DEFAULT_CONFIDENCES;
    empty: the curve left out (--confidences none)."""
    samples: int | None = None
    """Risk section: samples to evaluate the plan under (None: the file's)."""
    solver: SolverOptions = field(default_factory=SolverOptions)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, solved; ``view`` makes the memo's content of it."""

    loadout: Loadout
    result: Result
    """The answer (when infeasible and not explained: its message names the repairs)."""
    worth: tuple[Worth, ...] = ()
    """The binding limits re-solved (without explain, when optimal)."""
    explanation: Explanation | None = None
    sweep: Sweep | None = None
    simulation: Simulation | None = None
    """Risk: the answer's plan held fixed under the file's samples."""
    certainty: tuple[Result, ...] = ()
    """Risk: the cheapest plan at each confidence."""
    risk_notes: tuple[str, ...] = ()
    """Risk: what the section says it left out."""
    unfinished: tuple[str, ...] = ()
    """Searches the command's time stopped (the worth of the limits, the frontier, the
    simulation, the cost of certainty): left out, and named in the report."""
    stopped_by: str = "--time-budget"
    """The option whose time stopped them (SolverOptions.budget_option)."""

    def view(self, *, currency: str | None = None, overrides: Sequence[str] = ()) -> Report:
        """The memo's content (optimizer.present.views.build_report) in ``currency``;
        ``overrides``: the --set texts its stamp and assumptions name."""
        from optimizer.present.views import build_report

        return build_report(self.loadout, self.result, worth=list(self.worth),
                            explanation=self.explanation, sweep=self.sweep,
                            currency=currency, overrides=tuple(overrides),
                            simulation=self.simulation, certainty=list(self.certainty),
                            risk_notes=list(self.risk_notes),
                            left_out=self.unfinished, stopped_by=self.stopped_by)


def _one(run: Callable[[], T]) -> Tasks[T]:
    """A search of one task (a section that does not split)."""
    from optimizer.analyses.tasks import Tasks

    return Tasks(1, lambda _: run(), lambda found: found[0])


def check_request(options: ReportOptions) -> None:
    """What can be refused before the scenario is read."""
    if options.ceilings is not None and options.targets is not None:
        raise UsageError("give at most one of --ceilings RANGE or --targets RANGE")
    if options.sections is not None and not options.explain:
        raise UsageError("--sections chooses sections of --explain; add --explain")


def solve_report(
    loadout: Loadout, options: ReportOptions, *,
    progress: Bars | None = None,
    notice: Callable[[str], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> ReportData:
    """Solve what the report of ``loadout`` shows. Bad options raise UsageError before
    any solving. ``progress``: given a long step's number of parts and its name (the
    searches: the explanation's or the worth of the limits, the frontier, the
    simulation; then the certainty curve's confidences), what to call as they finish;
    ``notice``: told, in a sentence, of a long step about to start; ``meanwhile``: run
    once in this process while the searches run in others (the command line imports
    what its charts and workbook will need)."""
    if options.ceilings is not None or options.targets is not None:
        exports_or_cost(loadout, "report --ceilings/--targets")
    check_request(options)
    s = loadout.scenario
    asked = options.confidences
    levels = DEFAULT_CONFIDENCES if asked is None else tuple(asked) or None
    if not s.uncertain and (levels is not None and asked is not None
                            or options.samples is not None):
        raise UsageError(f"--confidences and --samples shape the Risk section, which needs "
                         f"distributions; {loadout.file} has none (see README, Uncertainty)")
    if s.uncertain and levels and not s.target.has_exports and asked is not None:
        raise UsageError("--confidences: the cost of certainty is the chance of reaching the "
                         f"export target, and {loadout.file} has none; give --confidences "
                         "none")
    if s.uncertain and levels and s.objective != "min_cost" and asked is not None:
        raise UsageError("--confidences: the cost of certainty applies to min_cost scenarios "
                         f"(got objective {s.objective_name}); give --confidences none")
    from optimizer.analyses.explain import SECTIONS, explain_searches
    from optimizer.analyses.sweep import parse_range, run_sweep
    from optimizer.analyses.tasks import run_together
    from optimizer.analyses.worth import worth_tasks
    from optimizer.present.views.currency import rate_for

    rate_for(s, options.currency)  # an unknown currency is refused before any solving
    kind: Kind = "ceilings" if options.ceilings is not None else "targets"
    asked_range = options.ceilings if options.ceilings is not None else options.targets
    values: list[float] | None = None
    if isinstance(asked_range, str):
        values = parse_range(asked_range, s.currency, s.exchange_rates)
    elif asked_range is not None:
        values = [float(v) for v in asked_range]
        if not values:
            raise UsageError(f"report: {kind}= is empty")
    names = options.sections.split(",") if isinstance(options.sections, str) \
        else options.sections
    chosen = SECTIONS if names is None else tuple(x.strip() for x in names if x.strip())
    unknown = [x for x in chosen if x not in SECTIONS]
    if unknown:
        raise UsageError(f"--sections: unknown {', '.join(unknown)} (sections: "
                         f"{', '.join(SECTIONS)})")
    solver = options.solver
    # The answer first (every other section starts from it); then the searches that
    # are independent of one another (the explanation's sections or the worth of the
    # binding limits, the frontier, the Risk section's simulation and cost of
    # certainty) in one set of forked processes, the longest first, so that no core
    # waits for another's last task (optimizer.analyses.tasks).
    searches: dict[str, Tasks[Any]] = {}
    cut: list[str] = []
    """Searches the command's time stopped before they could be set up."""
    planned: Planned | None = None
    if options.explain:
        planned = explain_searches(loadout, solver, tuple(dict.fromkeys(("binding",
                                                                         *chosen))))
        result = planned.result
    else:
        from optimizer.analyses.repaired import with_repairs
        from optimizer.solving.engine import solve_scenario

        result = solve_scenario(loadout, solver)
        if result.status == "optimal":
            try:
                searches["worth of the limits"] = worth_tasks(loadout, result, solver)
            except OutOfTime:
                # (its first solves, before the fork, found the time spent)
                cut.append("worth of the limits")
        elif result.status == "infeasible" and result.plan != "none":
            result = with_repairs(loadout, result, solver.within(REPAIR_BUDGET))
    if values is not None:
        # one task: the points re-solved warm in turn on one session, as a sweep does
        points = values
        searches["frontier"] = _one(lambda: run_sweep(loadout, kind, points, solver))
    if s.uncertain and result.plan != "none":
        # the Risk section's plan held fixed under the samples (numpy: a task alone)
        from optimizer.analyses.simulate import plan_of, simulate

        plan = plan_of(result, s)
        searches["simulation"] = _one(lambda: simulate(
            loadout, plan, options.samples, None, solver, source="the report's plan",
            plan_status=result.status))
    certain = bool(s.uncertain and levels and s.objective == "min_cost"
                   and s.target.has_exports)
    if certain:
        # the Risk section's cost of certainty: a task per confidence, beside the others
        from optimizer.analyses.chance import certainty_tasks

        assert levels is not None
        if notice is not None:
            notice(f"Risk: the cheapest plan at {len(levels)} confidences "
                   f"({s.uncertainty.samples:,} samples each)...")
        searches["certainty"] = certainty_tasks(loadout, list(levels), solver, base=result)
    explained = {} if planned is None or planned.explanation is not None \
        else planned.searches
    order = [*searches.items(), *explained.items()]
    # the longest tasks first: the frontier (one task), then the confidences
    order.sort(key=lambda item: {"frontier": 0, "certainty": 1}.get(item[0], 2))

    done: dict[str, Any] = {}
    if order:
        count = sum(search.count for _, search in order)
        label = ", ".join([*searches, *([planned.label] if explained and planned else [])])
        bar = None if progress is None else progress(count, label)
        done = dict(zip([name for name, _ in order],
                        run_together([search for _, search in order], progress=bar,
                                     meanwhile=meanwhile),
                        strict=True))
    explanation: Explanation | None = None
    if planned is not None:
        explanation = planned.explanation if planned.explanation is not None \
            else planned.finish([done[k] for k in explained])
    # a search the command's time stopped is left out, and the report names it (as
    # explain names its sections): the answer and every search that finished stand
    late = cut + [name for name in searches if isinstance(done.get(name), OutOfTime)]
    found = {name: got for name, got in done.items() if name not in late}
    worth = tuple(found.get("worth of the limits", ()))
    sweep = found.get("frontier")
    simulation: Simulation | None = found.get("simulation")
    certainty: Sequence[Result] = found.get("certainty", ())
    risk_notes: list[str] = []
    if s.uncertain and levels is None:
        risk_notes.append("The cost of certainty was left out (--confidences none).")
    elif s.uncertain and s.objective != "min_cost":
        risk_notes.append("The cost of certainty applies to min_cost scenarios (the target "
                          f"is what must be reached); this one is {s.objective_name}.")
    elif s.uncertain and not s.target.has_exports:
        risk_notes.append("The cost of certainty was left out: it is the chance of reaching "
                          "the export target, and this file has none (a requirements "
                          "problem).")
    return ReportData(loadout, result, worth=worth, explanation=explanation, sweep=sweep,
                      simulation=simulation, certainty=tuple(certainty),
                      risk_notes=tuple(risk_notes), unfinished=tuple(late),
                      stopped_by=options.solver.budget_option)
