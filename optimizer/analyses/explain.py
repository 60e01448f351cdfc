"""Explain an answer in the scenario's own words: what binds and what it is worth,
and, when the target is out of reach, what conflicts and the cheapest repair.

Every figure here comes from a solve this module ran (each re-checked like any
plan): the worth of a limit is the change in the objective when the limit is
moved and the scenario re-solved, not a dual read off one side of a corner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimizer.analyses.limits import (
    _counted,
    _direction,
    _lever,
    _Probes,
    limit_value,
    with_limit,
)
from optimizer.analyses.tasks import Bars, Tasks, run_alone, run_together
from optimizer.analyses.tornado import search as tornado_search
from optimizer.analyses.worth import worth_tasks
from optimizer.errors import OutOfTime
from optimizer.numbers import quantized
from optimizer.results import (
    Conflict,
    Explanation,
    JointRepair,
    LeverRoom,
    Repair,
    Result,
    Stability,
    Unmoved,
)
from optimizer.results.messages import typed
from optimizer.scenario import Loadout
from optimizer.scenario.schema import Scenario

if TYPE_CHECKING:
    from optimizer.solving.options import SolverOptions

BISECTIONS = 40
DOUBLINGS = 40


class _ScreenWrong(Exception):
    """A screening probe called a move infeasible that a full solve finds feasible."""


def repair(loadout: Loadout, name: str, options: SolverOptions | None = None,
           probes: _Probes | None = None) -> Repair:
    """The least move of one limit that makes the scenario feasible (bisection on
    feasibility, which is monotone in a limit moved the loosening way).

    The bisection runs on screening probes; every answer shown (the value, "no
    value of it alone", the round figure tried first) and the infeasible end the
    value is least against are solved in full. Where a screen was wrong, the
    search runs again in full."""
    probes = probes or _Probes(loadout, options)
    try:
        return _repair(loadout.scenario, name, probes.screened, probes)
    except _ScreenWrong:
        return _repair(loadout.scenario, name, probes.sure, probes)


def _repair(s: Scenario, name: str, ok: Callable[[Scenario], bool], probes: _Probes
            ) -> Repair:
    current = limit_value(s, name)
    assert current is not None
    sure = probes.sure

    def confirmed_infeasible(value: float) -> None:
        # (the file's own value was solved in full already)
        if value != current and sure(with_limit(s, name, value)):
            raise _ScreenWrong(name)

    if _direction(name) < 0:  # floors and goals: lower towards 0
        if not sure(with_limit(s, name, 0.0)):
            return Repair(name, current, None)
        low, high = 0.0, current  # feasible at low, not at high
        for _ in range(BISECTIONS):
            if _narrow(low, high):
                break
            mid = (low + high) / 2
            low, high = (mid, high) if ok(with_limit(s, name, mid)) else (low, mid)
        confirmed_infeasible(high)
        return _shown(s, name, current, low, high, probes)
    high = max(current, 1.0)
    for _ in range(DOUBLINGS):
        high *= 2
        if ok(with_limit(s, name, high)):
            break
    else:
        # infeasible at the largest move means at every smaller one too
        confirmed_infeasible(high)
        return Repair(name, current, None)
    low = current
    for _ in range(BISECTIONS):
        if _narrow(low, high):
            break
        mid = (low + high) / 2
        low, high = (low, mid) if ok(with_limit(s, name, mid)) else (mid, high)
    confirmed_infeasible(low)
    return _shown(s, name, current, high, low, probes)


def _shown(s: Scenario, name: str, current: float, feasible: float, infeasible: float,
           probes: _Probes) -> Repair:
    """The repair as printed: the roundest figure between the bisection's ends whose
    optimum is proven, else the feasible end, else a step past it of twice the
    re-check's tolerance (off the knife edge where HiGHS and the re-check disagree);
    each rounded toward feasibility to what the message writes (messages.typed), so
    that typed back through --set it is the value solved here."""
    up = _direction(name) > 0
    counted = up and _counted(s, name)  # a cap of whole units rounds up to one
    low, high = sorted((feasible, infeasible))
    past = feasible + (1 if up else -1) * 2e-6 * abs(feasible)
    shown = [typed(name, float(math.ceil(v - 1e-9)) if counted else v, up)
             for v in [*_roundest(low, high, counted=counted), feasible, past]
             if v >= 0]
    for check in (probes.proven, probes.sure):
        for value in dict.fromkeys(shown):
            if check(with_limit(s, name, value)):
                return Repair(name, current, value)
    # (a value looser than a feasible one failed: only numerics can do that)
    raise OutOfTime(f"no repair of {name} held as printed")


def _roundest(low: float, high: float, counted: bool) -> list[float]:
    """Round figures strictly inside the last bisection interval, roundest first (at
    most one of each number of digits): the bisection stops a ten-millionth from the
    edge (see _narrow), and the figure a planner would type often lies closer to it;
    a count of whole units tries the least whole number past the infeasible end."""
    out: list[float] = []
    if counted:
        whole = float(math.ceil(low + 1e-9))
        return [whole] if whole < math.ceil(high - 1e-6) else []
    for digits in range(1, 10):
        value = float(f"{(low + high) / 2:.{digits}g}")
        if low < value < high and value not in out:
            out.append(value)
    return out[:3]


def _narrow(low: float, high: float) -> bool:
    """The interval is within a ten-millionth of its ends, finer than a repair is
    printed (6-8 digits): a probe closer to the edge only asks the solver the
    hardest question there is (a MIP at its feasibility edge ran for minutes)."""
    return high - low <= 1e-7 * max(abs(low), abs(high), 1e-300)


JOINT_BISECTIONS = 30


def _loosened(s: Scenario, names: Sequence[str], t: float) -> Scenario:
    """Every named limit loosened by share ``t`` of its own value (floors to >= 0)."""
    for name in names:
        value = limit_value(s, name)
        assert value is not None
        moved = value * (1 + t) if _direction(name) > 0 else value * max(0.0, 1 - t)
        s = with_limit(s, name, moved)
    return s


def joint_repair(loadout: Loadout, names: Sequence[str], options: SolverOptions | None = None,
                 ranked: bool = False, probes: _Probes | None = None) -> JointRepair | None:
    """The least share t by which loosening the named limits together makes the target
    reachable, each weighted by its own value; limits that need not move are dropped.

    ``ranked`` (--relax A,B,...): try A alone, then A and B, and so on; the first
    set that can do it is used. None when no such set can (a limit at 0 cannot be
    loosened by a share of itself; its one-limit repair says how far it must go).

    The bisections run on screening probes, as a one-limit repair's do.
    """
    probes = probes or _Probes(loadout, options)
    try:
        return _joint_repair(loadout.scenario, names, ranked, probes.screened, probes)
    except _ScreenWrong:
        return _joint_repair(loadout.scenario, names, ranked, probes.sure, probes)


def _joint_repair(s: Scenario, names: Sequence[str], ranked: bool,
                  ok: Callable[[Scenario], bool], probes: _Probes) -> JointRepair | None:
    sure = probes.sure
    movable = [n for n in dict.fromkeys(names) if limit_value(s, n)]
    sets = [movable[:k] for k in range(1, len(movable) + 1)] if ranked else [movable]
    for chosen in sets:
        if not chosen:
            continue
        t = _least_share(s, chosen, ok, sure)
        if t is None:
            continue
        # leave out what need not move, then find the share again for the rest
        kept = list(chosen)
        for name in chosen:
            rest = [n for n in kept if n != name]
            if rest and sure(_loosened(s, rest, t)):
                kept = rest
        t = _least_share(s, kept, ok, sure) if kept != chosen else t
        assert t is not None
        # the round figure a planner would type, if its optimum is proven; else
        # rounded toward feasibility, a hair above, then off the knife edge (see
        # _shown); else any of them that holds
        tries = [_moves(s, kept, t, 6, nearest=True)] + [
            _moves(s, kept, t * (1 + margin), digits)
            for digits, margin in ((6, 0.0), (10, 1e-6), (10, 4e-6))]
        for check in (probes.proven, sure):
            for moves in tries:
                fixed = s
                for r in moves:
                    assert r.needed is not None
                    fixed = with_limit(fixed, r.limit, r.needed)
                if check(fixed):  # the move as printed, re-solved and re-checked
                    return JointRepair(tuple(moves), t, tuple(movable), ranked)
    return None


def _moves(s: Scenario, names: Sequence[str], t: float, digits: int, nearest: bool = False
           ) -> list[Repair]:
    """Each limit loosened by share ``t``, rounded to ``digits`` significant digits
    (to the nearest: the round figure a planner would type; else toward feasibility,
    caps up and floors down) and to what the message writes (messages.typed)."""
    out = []
    for name in names:
        value = limit_value(s, name)
        assert value is not None
        up = _direction(name) > 0
        new = value * (1 + t) if up else value * max(0.0, 1 - t)
        if new:
            new = quantized(new, "nearest" if nearest else "up" if up else "down",
                            digits=digits)
        if _counted(s, name):
            new = float(round(new) if nearest else math.ceil(new - 1e-9))
        out.append(Repair(name, value, typed(name, new, up)))
    return out


def _least_share(s: Scenario, names: Sequence[str], ok: Callable[[Scenario], bool],
                 sure: Callable[[Scenario], bool]) -> float | None:
    """Bisection on t (feasibility only grows as limits loosen); ``ok`` answers the
    bisection, ``sure`` confirms the infeasible end and "no share at all"."""
    floors_only = all(_direction(n) < 0 for n in names)
    high = 1.0
    while not ok(_loosened(s, names, high)):
        if floors_only or high > 2.0 ** DOUBLINGS:
            if sure(_loosened(s, names, high)):
                raise _ScreenWrong(", ".join(names))
            return None
        high *= 2
    low = 0.0
    for _ in range(JOINT_BISECTIONS):
        if _narrow(low, high):
            break
        mid = (low + high) / 2
        low, high = (low, mid) if ok(_loosened(s, names, mid)) else (mid, high)
    if low > 0 and sure(_loosened(s, names, low)):
        raise _ScreenWrong(", ".join(names))
    return high


def conflict_set(loadout: Loadout, options: SolverOptions | None = None,
                 probes: _Probes | None = None) -> Conflict:
    """HiGHS's irreducible infeasible subset in scenario names, filtered on the file
    itself (see results.Conflict): HiGHS's set, of the LP relaxation, can name a limit
    the conflict does not need (a cap beside a ceiling that binds first)."""
    from optimizer.solving.engine import Session

    named = Session(loadout, options).conflict()
    probes = probes or _Probes(loadout, options)
    # feasibility alone: a max_exports file's target is no constraint, and without its
    # caps and ceiling the most exports would be unbounded
    s = loadout.scenario
    if s.objective != "min_cost":
        without_target = _without(s, "target.exports")
        assert without_target is not None
        s = without_target.model_copy(update={"objective": "min_cost"})
    unchecked = [n for n in named if _without(s, n) is None]
    limits, aside = [], []
    for name in named:
        dropped = _without(s, name)
        verdict = None if dropped is None else probes.decided(dropped)
        if verdict is None:
            # cannot be dropped from a file, or no verdict without it: as HiGHS named it
            if name not in unchecked:
                unchecked.append(name)
        elif verdict:
            limits.append(name)
        else:
            assert dropped is not None
            aside.append(name)
            s = dropped
    return Conflict(tuple(n for n in named if n in limits or n in unchecked), tuple(aside),
                    tuple(unchecked))


_DROPPED_AS_NONE = ("max_units", "max_units_per_period", "max_spend", "min_units",
                    "min_spend", "min_units_if_used", "fixed_units")


def _without(s: Scenario, name: str) -> Scenario | None:
    """``s`` without the named limit (None where it cannot be dropped: a constraint, a
    lever's logic or curve, its fixed cost)."""
    parts = name.split(".")
    if name == "budget.ceiling":
        return s.model_copy(update={"budget": s.budget.model_copy(update={"ceiling": None})})
    if name == "target.exports":
        return s.model_copy(update={"target": s.target.model_copy(
            update={"exports": 0.0, "includes_baseline": False})})
    if len(parts) == 3 and parts[:2] in (["budget", "per_period"], ["target", "milestones"]):
        part = s.budget if parts[0] == "budget" else s.target
        kept = {k: v for k, v in getattr(part, parts[1]).items() if str(k) != parts[2]}
        return s.model_copy(update={parts[0]: part.model_copy(update={parts[1]: kept})})
    if parts[0] == "levers" and len(parts) == 3 and parts[2] in _DROPPED_AS_NONE \
            and parts[1] in s.levers:
        return _lever(s, parts[1], **{parts[2]: 0.0 if parts[2] == "min_units" else None})
    if parts[:2] == ["target", "outcomes"] and len(parts) >= 4 \
            and parts[2] in s.target.outcomes:
        # a floor on another outcome (spec section 5): its minimum or one milestone
        goal = s.target.outcomes[parts[2]]
        less = goal.model_copy(update={"min": None}) if parts[3] == "min" else \
            goal.model_copy(update={"milestones": {
                k: v for k, v in goal.milestones.items() if str(k) != ".".join(parts[4:])}})
        return s.model_copy(update={"target": s.target.model_copy(
            update={"outcomes": {**s.target.outcomes, parts[2]: less}})})
    return None


SECTIONS = ("infeasibility", "binding", "ranging", "tornado", "room")


def repairs_for(loadout: Loadout, result: Result, options: SolverOptions | None = None,
                relax: Sequence[str] = (), unfinished: list[str] | None = None,
                ) -> tuple[Conflict, list[Repair], JointRepair | None]:
    """An infeasible result's conflict set, one-limit repairs (cheapest first) and
    joint repair. The limits considered: those the conflict set and the most-exports
    plan name (and the target), or only ``relax``, in the user's order of preference.

    Every search shares the options' deadline: what it stops is named in
    ``unfinished`` and left out."""
    unfinished = [] if unfinished is None else unfinished
    s = loadout.scenario
    probes = _Probes(loadout, options)
    try:
        conflict = conflict_set(loadout, options, probes)
    except OutOfTime:
        conflict = Conflict()
        unfinished.append("the conflicting limits")
    if relax:
        names = list(relax)
    else:
        names = [n for n in (*conflict.limits, *conflict.aside, *result.binding,
                             "target.exports") if limit_value(s, n) is not None]
    # a lock (fixed_units) is not loosened one way: lowering or raising it may help
    names = [n for n in dict.fromkeys(names) if not n.endswith(".fixed_units")]
    # every search's probes on one warm session, one after another
    singles = []
    for name in names:
        try:
            singles.append(repair(loadout, name, options, probes))
        except OutOfTime:
            unfinished.append(f"the repair of {name}")
    singles.sort(key=lambda r: math.inf if r.relative is None else r.relative)
    joint_names = names if relax else [n for n in names if n != "target.exports"]
    try:
        joint = joint_repair(loadout, joint_names, options, ranked=bool(relax),
                             probes=probes)
    except OutOfTime:
        joint = None
        unfinished.append("the joint repair")
    return conflict, singles, joint


def explain(
    loadout: Loadout, options: SolverOptions | None = None,
    sections: tuple[str, ...] = SECTIONS, share: float = 0.2, slack: float = 0.05,
    relax: Sequence[str] = (), budget: float | None = 300.0, progress: Bars | None = None,
) -> Explanation:
    """Everything asked for in ``sections``; an infeasible scenario gets only the
    infeasibility section (nothing else has an optimum to explain). The solve and
    every search after it share ``budget`` seconds; a section it stops is named in
    ``unfinished`` and left out. ``progress``: told of the searches' tasks as they
    finish."""
    planned = explain_searches(loadout, options, sections, share, slack, relax, budget)
    if planned.explanation is not None:
        return planned.explanation
    bar = None if progress is None else progress(planned.count, planned.label)
    return planned.finish(run_together(list(planned.searches.values()), progress=bar))


@dataclass(frozen=True)
class Planned:
    """An explanation with its searches not yet run (explain_searches): whoever runs
    them may run other searches in the same processes (the report runs its frontier
    and its simulation beside them) and hands their answers to ``finish``."""

    result: Result
    """The answer explained (solved before the searches: they start from it)."""
    searches: dict[str, Tasks[Any]]
    """Section -> its search, the longest first."""
    finish: Callable[[Sequence[Any]], Explanation]
    """The explanation, from run_together's answers to ``searches`` (in their order)."""
    explanation: Explanation | None = None
    """Already whole: an infeasible scenario's (its repairs run as they are found)."""

    @property
    def count(self) -> int:
        """The tasks of every search."""
        return sum(search.count for search in self.searches.values())

    @property
    def label(self) -> str:
        """What a progress bar calls them: ``explain: ranging, binding, tornado``."""
        return "explain: " + ", ".join(self.searches)


def explain_searches(
    loadout: Loadout, options: SolverOptions | None = None,
    sections: tuple[str, ...] = SECTIONS, share: float = 0.2, slack: float = 0.05,
    relax: Sequence[str] = (), budget: float | None = 300.0,
) -> Planned:
    """explain's solve, and its sections' searches ready to run (see explain)."""
    from optimizer.plan.precheck import precheck
    from optimizer.solving.engine import Session
    from optimizer.solving.options import SolverOptions

    # one budget for the whole command: the solve, its proof, then every section (or,
    # given --time-limit, that: SolverOptions.deadline)
    options = (options or SolverOptions()).within(budget)
    result = Session(loadout, options).answer()
    unfinished: list[str] = []
    if result.status == "infeasible":
        conflict, singles, joint = repairs_for(loadout, result, options, relax, unfinished)
        whole = Explanation(result, (), conflict, tuple(singles),
                            prechecks=tuple(precheck(loadout.scenario)), joint=joint,
                            share=share, slack=slack, unfinished=tuple(unfinished),
                            stopped_by=options.budget_option)
        return Planned(result, {}, lambda _: whole, whole)

    # every section's tasks share one set of processes (the longest first), so that
    # no core waits while another section's last task runs
    searches: dict[str, Tasks[Any]] = {}
    unmoved: tuple[Unmoved, ...] = ()
    for section in ("ranging", "room", "binding", "tornado"):
        if section not in sections:
            continue
        try:
            if section == "ranging":
                searches[section] = _stability_search(loadout, options)
            elif section == "room":
                searches[section] = Tasks(1, lambda _: room(loadout, options, slack),
                                          lambda found: found[0])
            elif section == "binding":
                searches[section] = worth_tasks(loadout, result, options)
            else:
                searches[section], alone = tornado_search(loadout, options, share)
                unmoved = tuple(alone)
        except OutOfTime:
            unfinished.append(section)

    def finish(answers: Sequence[Any]) -> Explanation:
        done = dict(zip(searches, answers, strict=True))
        late = unfinished + [section for section, got in done.items()
                             if isinstance(got, OutOfTime)]
        late.sort(key=("binding", "tornado", "ranging", "room").index)  # as printed
        worth, swings, ranges, roomy = (
            () if isinstance(done.get(section), OutOfTime) else tuple(done.get(section, ()))
            for section in ("binding", "tornado", "ranging", "room"))
        return Explanation(result, worth, Conflict(), (), swings=swings, ranges=ranges,
                           room=roomy, share=share, slack=slack, unfinished=tuple(late),
                           unmoved=unmoved, stopped_by=options.budget_option)

    return Planned(result, searches, finish)


# --- how stable the plan is, and how much room there is ---------------------------

def room(loadout: Loadout, options: SolverOptions | None = None, slack: float = 0.05
         ) -> list[LeverRoom]:
    """For each lever, the fewest and most units in any plan meeting the scenario whose
    objective (discounted cost) is within ``slack`` of the optimum (min_cost only), and
    the plan at each extreme, re-checked against the file and the cost cap."""
    from optimizer.solving.engine import Session

    s = loadout.scenario
    if s.objective != "min_cost":
        return []
    session = Session(loadout, options)
    best = session.solve(diagnose=False)
    if best.status != "optimal" or best.discounted_cost is None:
        return []
    optimum = {rec.lever: rec.units for rec in best.rows}
    out = []
    extremes = session.units_range(best.discounted_cost * (1 + slack))
    for lid, (low, high) in zip(s.enabled_levers(), extremes, strict=True):
        kind, substitutes = _room_kind(lid, low.units, high.units, optimum, low.plan)
        out.append(LeverRoom(lid, low.units, high.units, kind, substitutes, low.plan,
                             high.plan))
    return out


def _room_kind(lid: str, low: float, high: float, optimum: dict[str, float],
               at_low: dict[str, float] | None) -> tuple[str, tuple[str, ...]]:
    """essential / unused / interchangeable (with the levers that rise when it is at
    its least) / optional (it can drop and nothing else need rise)."""
    if low > 1e-9:
        return "essential", ()
    if high <= 1e-9:
        return "unused", ()
    if at_low is None or optimum.get(lid, 0.0) <= 1e-9:
        # not in the optimum: it may come in, and nothing has to make way for it
        return "optional", ()
    rising = tuple(other for other, units in at_low.items()
                   if other != lid and units > optimum.get(other, 0.0) * (1 + 1e-6) + 1e-9)
    return ("interchangeable", rising) if rising else ("optional", ())


RANGE_STEPS = 14  # bisection steps: the ends are found to about 0.01% of the span


def _mix(r: Result) -> tuple[Any, ...] | None:
    """What a planner calls the plan's mix: which levers are used and what binds."""
    if r.status != "optimal":
        return None
    used = tuple(rec.lever for rec in r.rows if rec.units > 0)
    return used, tuple(b for b in r.binding if b != "target.exports")


def stability(loadout: Loadout, options: SolverOptions | None = None,
              workers: int | None = None) -> list[Stability]:
    """For each lever's unit cost and yield: the interval around its value in which
    the re-solved plan keeps the same levers and the same binding limits (searched
    by bisection between a tenth and ten times the value).

    The bisection's probes are screening solves on a warm session (HiGHS's own
    bound, no second opinion); the two probes either side of each end found are
    then solved in full, and only when both confirm it is it shown. Where one does
    not, that end is searched again with every probe in full. Each end is searched
    on a session of its own, so ends run side by side (``workers`` processes, see
    optimizer.solving.forked) and give the same answer however they are shared out."""
    return run_alone(_stability_search(loadout, options), workers)


def _stability_search(loadout: Loadout, options: SolverOptions | None
                      ) -> Tasks[list[Stability]]:
    from optimizer.solving.engine import Session

    s = loadout.scenario
    model = Session(loadout, options)  # one model for every end, built before they fork
    base = _mix(model.spawn().solve(diagnose=False))
    # each lever's unit cost and yield, then its yield of each other outcome (spec
    # section 5: yields.O)
    params = [(lid, name, _param(s, lid, name))
              for lid, lever in s.enabled_levers().items()
              for name in ("unit_cost", "yield_per_unit", *(f"yields.{o}" for o in lever.yields))
              if _param(s, lid, name)]
    ends = [(lid, name, value, far) for lid, name, value in params
            for far in (value / 10, value * 10)]

    def end(i: int) -> float | None:
        lid, name, value, far = ends[i]
        session = model.spawn()

        def same(v: float, screen: bool) -> bool:
            return _mix(session.probe(with_limit(s, f"levers.{lid}.{name}", v), screen)) == base

        return _end(value, far, same)

    def assemble(found: Sequence[Any]) -> list[Stability]:
        return [Stability(f"levers.{lid}.{name}", value, found[2 * k], found[2 * k + 1])
                for k, (lid, name, value) in enumerate(params)]

    return Tasks(len(ends), end, assemble)


def _param(s: Scenario, lid: str, name: str) -> float:
    """A lever's unit_cost, yield_per_unit or yields.O (0 where it has none)."""
    return limit_value(s, f"levers.{lid}.{name}") or 0.0


def _end(value: float, far: float, same: Callable[[float, bool], bool]) -> float | None:
    """Where the mix changes between ``value`` and ``far`` (None: not before ``far``),
    by bisection on screening probes, confirmed in full (see stability)."""
    for screen in (True, False):
        if same(far, screen):
            if screen and not same(far, False):
                continue  # the screen was wrong at the far end: search in full
            return None
        inside, outside = value, far
        for _ in range(RANGE_STEPS):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if same(mid, screen) else (inside, mid)
        if not screen or (same(outside, False) is False
                          and (inside == value or same(inside, False))):
            return float(f"{inside:.6g}")
    raise AssertionError("unreachable: the full search always returns")
