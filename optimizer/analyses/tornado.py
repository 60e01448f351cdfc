"""The tornado: every number of the file that can move the optimum, moved down and up
alone by a share of itself and the scenario re-solved; largest swing first.

What is moved, and how (``moves``):

* each amount, count and share a lever, the target or the budget sets or defaults
  (unit cost, yield, caps and floors, fixed and recurring cost, cost recovery,
  attrition, the cap per period, the least units if used, a lock): times 1 - share
  and 1 + share;
* a per-period mapping (``budget.per_period``, ``target.milestones``,
  ``unit_cost_by_period``) entry by entry: each period's figure is a number of its
  own in the file, and a planner asks about each ("what if 2025's cap is 20% lower");
  ``max_units_per_period`` is one number for every period and moves as one;
* a yield curve as a whole: every breakpoint's exports scaled (the units where its
  segments break stay), shown by its last breakpoint's exports;
* a lag (whole periods) by one period down and up (not in a one-period file, where
  a lag of 1 leaves the lever no period to export in);
* the discount rate, and each exchange rate (the file read again with the rate
  moved, so every amount written in that currency is converted anew);
* an integer lever's counts move to whole numbers (down to the floor, up to the
  ceiling);
* a share (cost recovery, attrition, the discount rate) stays below 1, a lag at 0
  or more, and each moved file keeps the schema's cross-field rules (a floor not
  above its cap, a lag below the horizon; ``consistency_problems``): where one end
  is impossible, the parameter moves the other way only, and says why
  (``Swing.note``; that end's objective is the optimum's).

Numbers that cannot move the optimum, or that a move by a share of themselves leaves
where they are (a 0), are listed with the reason (``Unmoved``), so every number of
the file is accounted for.

Each move's probes run on a warm session of its own (see Session.probe; a move that
changes the model's shape, such as a lag, is loaded cold), side by side in forked
processes (see optimizer.solving.forked).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from optimizer.analyses.limits import _lever, _objective, with_limit
from optimizer.analyses.tasks import Tasks, run_alone
from optimizer.errors import ScenarioError
from optimizer.results import Swing, Unmoved
from optimizer.scenario import Loadout, consistency_problems, join_path
from optimizer.scenario.names import plain_name
from optimizer.scenario.schema import Lever, Scenario

if TYPE_CHECKING:
    from optimizer.solving.options import SolverOptions

SHARES = ("cost_recovery", "attrition")
"""Lever fields that are shares in [0, 1)."""
SCALED = ("unit_cost", "yield_per_unit", "min_units", "max_units", "min_spend", "max_spend",
          "fixed_cost", "min_units_if_used", "cost_recovery", "recurring_cost", "attrition",
          "max_units_per_period", "fixed_units")
"""Lever fields moved by a share of themselves (the curve, the lag and the costs by
period are moved below, each its own way)."""

@dataclass(frozen=True)
class Move:
    """One parameter's two ends (None: not moved that way, ``note`` says why)."""

    parameter: str
    value: float
    low: float | None
    high: float | None
    moved: Callable[[float], Scenario]
    note: str = ""


def _part(s: Scenario, part: str, **update: Any) -> Scenario:
    return s.model_copy(update={part: getattr(s, part).model_copy(update=update)})


def _entry(mapping: dict[Any, float], key: str, value: float) -> dict[Any, float]:
    return {k: (value if str(k) == key else v) for k, v in mapping.items()}


def _period(s: Scenario, part: str, field: str, key: str, value: float) -> Scenario:
    """``s`` with one period's entry of budget.per_period or target.milestones set."""
    return _part(s, part, **{field: _entry(getattr(getattr(s, part), field), key, value)})


def _lever_period(s: Scenario, lid: str, key: str, value: float) -> Scenario:
    """``s`` with one period's entry of a lever's unit_cost_by_period set."""
    return _lever(s, lid, unit_cost_by_period=_entry(s.levers[lid].unit_cost_by_period, key,
                                                      value))


def _field(s: Scenario, lid: str, name: str, value: float) -> Scenario:
    return _lever(s, lid, **{name: value})


def _lag(s: Scenario, lid: str, value: float) -> Scenario:
    return _lever(s, lid, lag=int(round(value)))


def _curve(s: Scenario, lid: str, top: float) -> Scenario:
    """``s`` with a lever's curve scaled so that its last breakpoint's exports are ``top``."""
    curve = s.levers[lid].yield_curve or []
    return _lever(s, lid, yield_curve=[(u, e * top / curve[-1][1]) for u, e in curve])


def _share_ends(value: float, share: float) -> tuple[float | None, float | None, str]:
    """A share's two ends: it stays in [0, 1) (the schema's own bound)."""
    high = value * (1 + share)
    if high >= 1:
        return value * (1 - share), None, (f"moved down only: {high:.4g} would be a share of "
                                           "1 or more")
    return value * (1 - share), high, ""


def moves(loadout: Loadout, share: float) -> tuple[list[Move], list[Unmoved]]:
    """Every number of the file as a move, or as left alone with the reason."""
    s = loadout.scenario
    out: list[Move] = []
    alone: list[Unmoved] = []

    def leave(path: str, value: float | None, reason: str) -> None:
        alone.append(Unmoved(path, plain_name(path, s), value, reason))

    def scaled(path: str, value: float, moved: Callable[[float], Scenario],
               bounded: bool = False) -> None:
        if value == 0:
            leave(path, value, f"0: a move by {share:.0%} of itself leaves it at 0")
            return
        if bounded:
            low, high, note = _share_ends(value, share)
            out.append(Move(path, value, low, high, moved, note))
        elif _whole(s, path):  # an integer lever's count stays whole (the schema's rule)
            out.append(Move(path, value, float(math.floor(value * (1 - share))),
                            float(math.ceil(value * (1 + share))), moved))
        else:
            out.append(Move(path, value, value * (1 - share), value * (1 + share), moved))

    one_period = len(s.period_labels) == 1
    for lid, lever in s.levers.items():
        _lever_moves(s, lid, lever, share, one_period, scaled, leave, out)

    target = s.target
    if not s.holds_export_target:
        why = ("max_exports: the plan has the most exports within the ceiling, whatever the "
               "target" if s.objective == "max_exports" else
               "the objective maximises exports within the ceiling, whatever the target")
        leave("target.exports", target.exports, why)
        leave("target.baseline", target.baseline, why)
    elif target.exports is None:
        leave("target.exports", None, "no export target in the file (a requirements problem)")
    else:
        scaled("target.exports", target.exports, lambda v: _part(s, "target", exports=v))
    for name, floors in target.outcomes.items():
        # floors on other outcomes hold under every objective (spec section 5),
        # except a maximised outcome's own floor, which is ignored
        if floors.min is not None and name in s.goal:
            leave(f"target.outcomes.{name}.min", floors.min,
                  f"the objective maximises {name} within the ceiling, whatever its floor")
        elif floors.min is not None:
            scaled(f"target.outcomes.{name}.min", floors.min,
                   partial(with_limit, s, f"target.outcomes.{name}.min"))
        for key, value in floors.milestones.items():
            path = f"target.outcomes.{name}.milestones.{key}"
            scaled(path, value, partial(with_limit, s, path))
    if not s.holds_export_target:
        pass  # (left above, with the target)
    elif target.includes_baseline:
        scaled("target.baseline", target.baseline, lambda v: _part(s, "target", baseline=v))
    else:
        leave("target.baseline", target.baseline,
              "the target counts lever exports only (includes_baseline: false)")
    for key, value in target.milestones.items():
        scaled(f"target.milestones.{key}", value, partial(_period, s, "target", "milestones",
                                                          str(key)))
    if s.budget.ceiling is not None:
        scaled("budget.ceiling", s.budget.ceiling, lambda v: _part(s, "budget", ceiling=v))
    for key, value in s.budget.per_period.items():
        scaled(f"budget.per_period.{key}", value, partial(_period, s, "budget", "per_period",
                                                          str(key)))
    if one_period:
        leave("discount_rate", s.discount_rate, "one period: nothing is discounted")
    else:
        scaled("discount_rate", s.discount_rate,
               lambda v: s.model_copy(update={"discount_rate": v}), bounded=True)
    for code, rate in s.exchange_rates.items():
        _rate_move(loadout, code, rate, share, out, leave)
    _sampling(s, leave)
    for i, _ in enumerate(s.constraints):
        leave(f"constraints[{i}]", None,
              "its numbers are written inside the expression: not moved")
    valid = []
    for m in out:
        checked = _valid(m, s)
        if checked.low is None and checked.high is None:
            alone.append(Unmoved(m.parameter, plain_name(m.parameter, s), m.value,
                                 f"not valid moved either way: {checked.note}"))
        else:
            valid.append(checked)
    return valid, alone


def _whole(s: Scenario, path: str) -> bool:
    parts = path.split(".")
    return parts[0] == "levers" and s.levers[parts[1]].integer and parts[2] in (
        "min_units", "max_units", "min_units_if_used", "fixed_units", "max_units_per_period")


def _valid(m: Move, s: Scenario) -> Move:
    """``m`` without an end where the moved file breaks a rule of the schema across
    fields (a floor above its cap, a lag past the horizon): that end is the value
    itself and the note says why (neither end left: the caller leaves it alone)."""
    base = set(consistency_problems(s))
    ends: dict[str, float | None] = {"low": m.low, "high": m.high}
    notes = [m.note] if m.note else []
    for side, v in list(ends.items()):
        if v is None:
            continue
        broken = [(path, why) for path, why in consistency_problems(m.moved(v))
                  if (path, why) not in base]
        if broken:
            ends[side] = None
            other = "up" if side == "low" else "down"
            notes.append(f"moved {other} only: at {v:.6g} the file is not valid "
                         f"({join_path(broken[0][0])}: {broken[0][1]})")
    return replace(m, low=ends["low"], high=ends["high"], note="; ".join(notes))


def _lever_moves(s: Scenario, lid: str, lever: Lever, share: float, one_period: bool,
                 scaled: Callable[..., None], leave: Callable[[str, float | None, str], None],
                 out: list[Move]) -> None:
    here = f"levers.{lid}"
    numbers: list[tuple[str, float]] = [
        (f"{here}.{name}", float(getattr(lever, name)))
        for name in (*SCALED, "lag") if getattr(lever, name) is not None]
    numbers += [(f"{here}.unit_cost_by_period.{k}", v)
                for k, v in lever.unit_cost_by_period.items()]
    if lever.yield_curve:
        numbers.append((f"{here}.yield_curve", lever.yield_curve[-1][1]))
    numbers += [(f"{here}.yields.{o}", v) for o, v in lever.yields.items()]
    if not lever.enabled:
        for path, value in numbers:
            leave(path, value, "the lever is disabled (enabled: false)")
        return
    by_period = {str(k) for k in lever.unit_cost_by_period}
    for path, value in numbers:
        name = path.split(".")[2]
        if name == "yield_per_unit" and lever.yield_curve:
            leave(path, value, "the lever's yield_curve replaces it")
        elif name == "unit_cost" and by_period >= {str(p) for p in s.period_labels}:
            leave(path, value, "unit_cost_by_period sets every period's cost")
        elif name == "attrition" and one_period:
            leave(path, value, "one period: no period after the first for units to leave")
        elif name == "lag" and one_period:
            leave(path, value, "one period: a lag of 1 would leave no period to export in")
        elif name == "lag":
            lag = lever.lag
            note = "" if lag > 0 else "moved up only: a lag cannot be below 0"
            out.append(Move(path, lag, lag - 1 if lag > 0 else None, lag + 1,
                            partial(_lag, s, lid), note))
        elif name == "yield_curve":
            scaled(path, value, partial(_curve, s, lid))
        elif name == "unit_cost_by_period":
            key = path.split(".")[3]
            scaled(path, value, partial(_lever_period, s, lid, key))
        elif name == "yields":
            scaled(path, value, partial(with_limit, s, path))
        else:
            scaled(path, value, partial(_field, s, lid, name), bounded=name in SHARES)


def _rate_move(loadout: Loadout, code: str, rate: float, share: float, out: list[Move],
               leave: Callable[[str, float | None, str], None]) -> None:
    path = f"exchange_rates.{code}"
    s = loadout.scenario
    if loadout.loaded is None:
        leave(path, rate, "the file's text is not at hand to convert its amounts again")
        return

    ends: dict[float, Scenario] = {}
    refused: dict[float, str] = {}
    for v in (rate * (1 - share), rate * (1 + share)):
        try:
            again = loadout.reread((path, v))
        except ScenarioError as exc:
            first = exc.problems[0]
            refused[v] = f"the file is not valid ({first.path}: {first.message})" \
                if first.path else f"the file is not valid ({first.message})"
            continue
        assert again is not None
        ends[v] = again
    if not ends:
        leave(path, rate, f"not valid moved either way: {next(iter(refused.values()))}")
        return
    if all(_amounts(moved) == _amounts(s) for moved in ends.values()):
        leave(path, rate, f"no amount the optimum uses is written in {code}")
        return
    low, high = (v if v in ends else None for v in (rate * (1 - share), rate * (1 + share)))
    note = "; ".join(f"moved {'up' if v < rate else 'down'} only: at {v:.6g} {why}"
                     for v, why in refused.items())
    out.append(Move(path, rate, low, high, ends.__getitem__, note))


def _amounts(s: Scenario) -> dict[str, Any]:
    """What a solve reads of ``s``: all but the rates and the sampling."""
    return s.model_dump(exclude={"exchange_rates", "uncertainty", "variants"})


def _sampling(s: Scenario, leave: Callable[[str, float | None, str], None]) -> None:
    why = "read only when sampling (simulate, chance plans), not by the optimum"
    u = s.uncertainty
    leave("uncertainty.samples", u.samples, why)
    leave("uncertainty.seed", u.seed, why)
    for i, c in enumerate(u.correlations):
        leave(f"uncertainty.correlations[{i}].rho", c.rho, why)


def search(loadout: Loadout, options: SolverOptions | None, share: float
           ) -> tuple[Tasks[list[Swing]], list[Unmoved]]:
    """The tornado's probes as independent tasks (one move each), and what it leaves
    alone."""
    from optimizer.solving.engine import Session

    s = loadout.scenario
    found, alone = moves(loadout, share)
    one_way = any(m.low is None or m.high is None for m in found)
    # one model for every move, built here before the moves are shared out
    model = Session(loadout, options)
    base = _objective(model.spawn().solve(diagnose=False)) if one_way else None

    def both_ways(k: int) -> tuple[float | None, float | None]:
        # a move's probes on solvers of its own (the second warm from the first):
        # the same answer whichever process runs the move
        m = found[k]
        session = model.spawn()
        ends = [None if v is None else _objective(session.probe(m.moved(v)))
                for v in (m.low, m.high)]
        return (base if m.low is None else ends[0]), (base if m.high is None else ends[1])

    def assemble(objectives: Sequence[Any]) -> list[Swing]:
        out = [Swing(m.parameter, m.value, m.value if m.low is None else m.low,
                     m.value if m.high is None else m.high, objectives[k][0], objectives[k][1],
                     name=plain_name(m.parameter, s), note=m.note)
               for k, m in enumerate(found)]
        out.sort(key=lambda w: -w.swing if math.isfinite(w.swing) else -math.inf)
        return out

    return Tasks(len(found), both_ways, assemble), alone


def tornado(loadout: Loadout, options: SolverOptions | None = None, share: float = 0.2,
            workers: int | None = None) -> list[Swing]:
    """Each parameter moved by -share and +share alone (see ``moves``), re-solved;
    largest swing in the objective first. The re-solves run side by side in
    ``workers`` processes (see optimizer.solving.forked)."""
    return run_alone(search(loadout, options, share)[0], workers)


def unmoved(loadout: Loadout, share: float = 0.2) -> list[Unmoved]:
    """The file's numbers the tornado leaves alone, each with why."""
    return moves(loadout, share)[1]
