"""sweep --pareto O1,O2: the trade-off between two outcomes within a ceiling (spec
section 5). For each floor x on O1, the most of O2 any plan makes (then the
cheapest plan keeping it): from no floor to the most of O1 any plan makes.

An LP's trade-off is concave and piecewise linear: its corners are found exactly by
the tangent walk the budget frontier uses (analyses.sweep.tangents), the slope at
each point being the O1 floor's dual in the first stage (the most of O2). A MIP's is
a staircase no dual finds: a grid of points is solved instead. Every point shown is
a solve of its own, certified like any answer (Session.probe)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from optimizer.analyses.sweep import corners_of, tangents
from optimizer.errors import SolverError, UsageError
from optimizer.results import Pareto, ParetoPoint, Result
from optimizer.scenario import Loadout
from optimizer.scenario.schema import EXPORTS, MaxGoal, OutcomeGoal, Scenario
from optimizer.solving.options import SolverOptions

GRID_POINTS = 11
"""A MIP's trade-off: this many floors, evenly from 0 to the most of O1."""


def maximising(s: Scenario, outcome: str) -> Scenario:
    """``s`` with the objective the most of ``outcome`` (max_exports for exports)."""
    objective = "max_exports" if outcome == EXPORTS else MaxGoal(max=outcome)
    return s.model_copy(update={"objective": objective})


def floored(s: Scenario, outcome: str, x: float) -> Scenario:
    """``s`` with the floor on ``outcome`` at ``x`` (last period, lever outcome: for
    exports the target on lever exports, the baseline not counted); its milestones
    stay."""
    if outcome == EXPORTS:
        target = s.target.model_copy(update={"exports": x, "includes_baseline": False})
    else:
        goal = s.target.outcomes.get(outcome) or OutcomeGoal()
        target = s.target.model_copy(update={"outcomes": {
            **s.target.outcomes, outcome: goal.model_copy(update={"min": x})}})
    return s.model_copy(update={"target": target})


def unfloored(s: Scenario, outcome: str) -> Scenario:
    """``s`` without its last-period floor on ``outcome`` (milestones stay)."""
    if outcome == EXPORTS:
        return s.model_copy(update={"target": s.target.model_copy(update={"exports": None})})
    goal = s.target.outcomes.get(outcome)
    if goal is None:
        return s
    return s.model_copy(update={"target": s.target.model_copy(update={"outcomes": {
        **s.target.outcomes, outcome: goal.model_copy(update={"min": None})}})})


def floor_name(outcome: str) -> str:
    """The limit the swept floor is, as duals and binding lines name it."""
    return "target.exports" if outcome == EXPORTS else f"target.outcomes.{outcome}.min"


def _described(s: Scenario, outcome: str) -> tuple[str, str, str]:
    if outcome == EXPORTS:
        return EXPORTS, "Lever exports", f"{s.currency} a year"
    spec = s.outcomes[outcome]
    return outcome, spec.label(outcome), spec.unit


def check_pair(s: Scenario, file: str, text: str) -> tuple[str, str]:
    """``O1,O2`` of --pareto: two different outcomes of the file (exports or one
    under ``outcomes:``)."""
    parts = [p.strip() for p in text.split(",")]
    known = [EXPORTS, *s.other_outcomes]
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"--pareto takes two outcomes, O1,O2 (got {text!r}; outcomes of "
                         f"{file}: {', '.join(known)})")
    for name in parts:
        if name not in known:
            raise UsageError(f"--pareto: {name!r} is not an outcome of {file} (outcomes: "
                             f"{', '.join(known)})")
    if parts[0] == parts[1]:
        raise UsageError(f"--pareto: two different outcomes (got {parts[0]!r} twice)")
    return parts[0], parts[1]


def pareto(loadout: Loadout, first: str, second: str, ceiling: float | None = None,
           options: SolverOptions | None = None, points: int | None = None) -> Pareto:
    """The trade-off between ``first`` (given a floor) and ``second`` (maximised)
    within the ceiling (``ceiling``, else the file's), every other limit held. The
    file's own floor on ``first`` is replaced by the swept one; its floor on
    ``second`` is ignored (it is maximised), as under {max: O}. ``points``: a MIP's
    grid (default GRID_POINTS); refused for an LP, whose trade-off is exact."""
    from optimizer.solving.engine import Session, solve_scenario

    start = time.perf_counter()
    s = loadout.scenario
    if ceiling is not None:
        s = s.model_copy(update={"budget": s.budget.model_copy(update={"ceiling": ceiling})})
    if s.budget.ceiling is None:
        raise UsageError(f"--pareto needs a ceiling: {loadout.file} has no budget.ceiling; "
                         "give --ceiling AMOUNT")
    # the most of the first with the second's own floor ignored too: the trade-off
    # runs over every plan the sweep's points may choose
    top = solve_scenario(replace(loadout, scenario=maximising(unfloored(s, second), first)),
                         options)
    base = maximising(s, second)
    ceiling_used = s.budget.ceiling

    def made(**found: Any) -> Pareto:
        return Pareto(
            scenario=s.name, currency=s.currency, first=_described(s, first),
            second=_described(s, second), ceiling=ceiling_used,
            levers=tuple((lid, lv.label(lid)) for lid, lv in s.enabled_levers().items()),
            seconds=time.perf_counter() - start, **found)

    if top.status != "optimal" or top.goal_value is None:
        # no plan within the ceiling and the other limits: nothing to trade
        return made(reach=float("nan"), exact=False, points=(), solves=1, reason=top)
    reach = max(top.goal_value, 0.0)
    session = Session(replace(loadout, scenario=floored(base, first, reach / 2)), options)
    results: dict[float, Result] = {}
    name = floor_name(first)

    def solved(x: float) -> Result | None:
        r = session.probe(floored(base, first, x))
        if r.status != "optimal" or r.goal_value is None:
            return None
        results[x] = r
        return r

    if points is not None and not session.discrete:
        raise UsageError("--points is for a MIP's grid; this trade-off is an LP's, found "
                         "exactly at every corner")
    if not session.discrete:
        def at(x: float) -> tuple[float, float] | None:
            r = solved(x)
            if r is None or r.goal_value is None:
                return None
            # the floor's dual in the first stage (the most of the second): how much
            # of the second one more of the first gives up; the walk's f is the most
            # negated (convex), its subgradient the dual's size
            slope = 0.0
            if session.maximise_goal():
                slope = abs(session.limit_duals().get(name, 0.0))
            return -r.goal_value, slope

        ends = [(0.0, 1.0), (reach, -1.0)] if reach > 0 else [(0.0, 1.0)]
        known, gaps, solves = tangents(at, ends)
        if known is None or gaps:
            # (every floor from 0 to the most is feasible: HiGHS failing there is the
            # solver's fault, and a trade-off with a hole is not shown)
            raise SolverError(f"--pareto: HiGHS found no optimum on part of the trade-off "
                              f"(floors from 0 to {reach:g}); no trade-off is shown")
        y = {x: -f for x, (f, _) in known.items()}
        kept = corners_of(sorted(y), y, [])
        found = tuple(ParetoPoint(c.x, c.y, c.slope_after, results[c.x]) for c in kept)
        return made(reach=reach, exact=True, points=found, solves=solves + 1)
    n = points or GRID_POINTS
    xs = [reach * i / (n - 1) for i in range(n)] if reach > 0 else [0.0]
    grid = [(x, solved(x)) for x in xs]
    shown = [(x, r) for x, r in grid if r is not None and r.goal_value is not None]
    out = []
    for i, (x, r) in enumerate(shown):
        after = shown[i + 1] if i + 1 < len(shown) else None
        slope = None if after is None else (
            (after[1].goal_value or 0.0) - (r.goal_value or 0.0)) / (after[0] - x)
        out.append(ParetoPoint(x, r.goal_value or 0.0, slope, r))
    return made(reach=reach, exact=False, points=tuple(out), solves=len(xs) + 1)
