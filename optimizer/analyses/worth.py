"""What each binding limit is worth, both ways: the cost of tightening it and the
saving from loosening it, each re-solved over a step a planner would move.

The step is the smaller of 5% of the limit and the distance to the next change in
the plan (a lever coming in or going out; for an LP also a change in what binds),
found by bisection on re-solves; a limit on whole units moves by whole units. The
LP's dual is kept beside the re-solved figures, labelled as what it is: one-sided
at a degenerate vertex, and for a MIP the dual of the LP with its integers fixed.

Every probe is the file's scenario with the one limit moved, solved on a session
(Session.probe); nothing is restored by hand. Each limit's search one way is a
task of its own, on solvers of its own, so the searches run side by side
(optimizer.analyses.tasks) with the same answers however they are shared out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from optimizer.analyses.limits import (
    _counted,
    _direction,
    _objective,
    _Probes,
    limit_value,
    with_limit,
)
from optimizer.analyses.tasks import Bars, Tasks, run_alone
from optimizer.plan.check import nearly_binding
from optimizer.results import Edge, Result, Worth
from optimizer.scenario import Loadout
from optimizer.scenario.schema import Scenario

if TYPE_CHECKING:
    from optimizer.solving.options import SolverOptions

SHARE = 0.05
"""The largest step: 5% of the limit's value."""
FIRST = 1e-4
"""The first probe's move, as a share of the limit (a whole unit for a count): the
plan just off the current value, which the step keeps."""
SEARCH_STEPS = 8
"""Bisection steps for the next change in the plan: to 1/256 of the 5% step."""


def worth_of(loadout: Loadout, result: Result, options: SolverOptions | None = None,
             workers: int | None = None, progress: Bars | None = None) -> list[Worth]:
    """Each binding or nearly binding limit (less than 5% of it unused) with a value in
    the file, tightened and loosened (see the module): the target of a max_exports
    file is no constraint and is left out. The searches run side by side in
    ``workers`` processes (see optimizer.analyses.tasks); ``progress`` is told of them
    as they finish."""
    search = worth_tasks(loadout, result, options)
    bar = None if progress is None else progress(search.count, "worth of the limits")
    return run_alone(search, workers, bar)


def worth_tasks(loadout: Loadout, result: Result, options: SolverOptions | None = None
                ) -> Tasks[list[Worth]]:
    """worth_of as independent tasks: each limit's search one way is one task, on
    solvers of its own (Session.spawn) of the model the duals came from."""
    from optimizer.solving.engine import Session

    s = loadout.scenario
    if _objective(result) is None:
        return Tasks(0, _nothing, lambda found: [])
    model = Session(loadout, options)
    session = model.spawn()
    duals: dict[str, float] = {}
    basis = None
    if not s.maximises:
        if session.solve(diagnose=False).status == "optimal":
            duals = session.limit_duals()
            basis = "LP with integers fixed" if session.discrete else "LP"
    elif session.maximise_goal():
        # the first stage's LP prices the exports (or the goal); the second (cheapest plan
        # within 1e-9 of them) would price cost instead
        duals = session.limit_duals()
        basis = "LP with integers fixed" if session.discrete else "LP"
    discrete = session.discrete
    base = _objective(_Probes(loadout, options, session).result(s))
    if base is None:
        base = _objective(result)
    assert base is not None
    plan = {row.lever: [float(row.by_period[p].units) for p in s.period_labels]
            for row in result.rows}
    near = nearly_binding(s, plan, SHARE, need_target=s.holds_export_target)
    limits = [(name, value) for name in (*result.binding, *near)
              if (value := limit_value(s, name)) is not None
              and not (name == "target.exports" and not s.holds_export_target)]

    def one_way(k: int) -> tuple[float, float | None, Edge, float | None]:
        name, value = limits[k // 2]
        probes = _Probes(loadout, options, model.spawn())
        return _one_way(probes, s, name, value, tighten=k % 2 == 0, discrete=discrete,
                        slack=near.get(name))

    def assemble(found: Sequence[Any]) -> list[Worth]:
        out = []
        for k, (name, value) in enumerate(limits):
            dual = duals.get(name, _no_dual(s, name)) if basis else None
            out.append(_worth(s, name, value, base, found[2 * k], found[2 * k + 1], dual,
                              basis, slack=near.get(name)))
        return out

    return Tasks(2 * len(limits), one_way, assemble)


def _nothing(k: int) -> None:
    raise AssertionError("no task")


def _one_way(probes: _Probes, s: Scenario, name: str, value: float, tighten: bool,
             discrete: bool, slack: float | None = None
             ) -> tuple[float, float | None, Edge, float | None]:
    """``name`` tightened or loosened (see _search). A nearly binding limit
    (``slack`` unused) starts to bind as it is tightened: that is what it is moved to
    see, so its tightening is searched from where it binds, and its binding is no
    change."""
    ignored = () if slack is None else (name,)
    loosen = _direction(name)
    counted = _counted(s, name)
    span = SHARE * abs(value) if value else 1.0
    if counted:
        span = float(max(1, math.floor(span)))
    if not tighten:
        return _search(probes, s, name, value, loosen, span, counted, discrete, ignored)
    if loosen > 0:
        span = min(span, value)  # a cap is not lowered below 0
    return _search(probes, s, name, value, -loosen, span, counted, discrete, ignored,
                   slack or 0.0)


def _worth(s: Scenario, name: str, value: float, base: float,
           tightened: tuple[float, float | None, Edge, float | None],
           loosened: tuple[float, float | None, Edge, float | None],
           dual: float | None, basis: str | None, slack: float | None) -> Worth:
    """The two searches' answers as the limit's worth."""
    # +1: the objective's "better" is lower (cost); -1: higher (exports)
    better = -1.0 if s.maximises else 1.0
    t_step, t_obj, t_edge, past = tightened
    l_step, l_obj, l_edge, _ = loosened
    return Worth(
        limit=name, now=value, objective=s.objective_name, base=base,
        tighten_step=t_step,
        tighten_cost=None if t_obj is None else better * (t_obj - base),
        loosen_step=l_step,
        loosen_saving=None if l_obj is None else better * (base - l_obj),
        tighten_edge=t_edge, loosen_edge=l_edge, no_plan_past=past,
        dual=dual, dual_basis=basis, binding=slack is None)


def _mix(r: Result, discrete: bool, ignored: tuple[str, ...] = ()) -> Any:
    """What counts as a change in the plan: no plan, a lever coming in or going out,
    and for an LP what binds (a MIP's binding set flickers with whole numbers), less
    the ``ignored`` limits."""
    if _objective(r) is None:
        return None
    used = tuple(rec.lever for rec in r.rows if rec.units > 1e-9)
    if discrete:
        return used
    return used, tuple(b for b in r.binding if b != "target.exports" and b not in ignored)


def _search(probes: _Probes, s: Scenario, name: str, value: float, sign: float,
            span: float, counted: bool, discrete: bool, ignored: tuple[str, ...] = (),
            unused: float = 0.0) -> tuple[float, float | None, Edge, float | None]:
    """The step one way (``sign`` +1 raises the limit): the largest move up to
    ``span`` whose plan keeps the mix of the first move's; the objective there; why
    it stops; and, where it stops because moving further leaves no plan, the
    search's bound (no plan there). ``unused``: the limit's slack, moved past first.

    The bisection's probes screen (HiGHS's own bound, no second opinion); the step
    shown and the bound are solved in full."""

    def at(t: float, screen: bool = False) -> Result:
        return probes.result(with_limit(s, name, value + sign * t), screen)

    first = 1.0 if counted else FIRST * abs(value) or FIRST
    if unused:  # from where the limit starts to bind
        first += float(math.ceil(unused)) if counted else unused
    first = min(first, span)
    if first <= 0:  # a cap at 0: nothing to lower
        return 0.0, None, "share", None
    start = at(first)
    if _objective(start) is None:
        return 0.0, None, "no plan", value + sign * first
    ref = _mix(start, discrete, ignored)
    far = at(span)
    if _mix(far, discrete, ignored) == ref:
        return span, _objective(far), "share", None
    inside, outside = first, span
    for _ in range(SEARCH_STEPS):
        mid = (inside + outside) / 2
        if counted:
            mid = float(math.floor(mid))
        if mid <= inside or mid >= outside:
            break
        if _mix(at(mid, screen=True), discrete, ignored) == ref:
            inside = mid
        else:
            outside = mid
    ended = far if outside == span else at(outside)
    if _objective(ended) is None:
        shown = start if inside == first else at(inside)
        return inside, _objective(shown), "no plan", value + sign * outside
    # where the plan changes, the round step a planner would take inside it
    inside = max(first, _rounded_down(inside, counted))
    shown = start if inside == first else at(inside)
    return inside, _objective(shown), "change", None


def _rounded_down(step: float, counted: bool) -> float:
    """``step`` down to two significant figures (whole units for a count)."""
    if step <= 0:
        return step
    scale = 10.0 ** (math.floor(math.log10(step)) - 1)
    down = math.floor(step / scale + 1e-9) * scale
    down = float(f"{down:.2g}")
    return float(math.floor(down)) if counted else down


def _no_dual(s: Scenario, name: str) -> float | None:
    """The dual of a limit the LP gave none: 0 (it does not bind there), or None for
    a cap on an integer lever, whose units the LP with integers fixed holds."""
    parts = name.split(".")
    if parts[0] == "levers" and s.levers[parts[1]].integer and "units" in parts[-1]:
        return None
    return 0.0
