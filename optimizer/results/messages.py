"""The engine's findings in words: each function turns one structured finding
(a Certificate, an OutOfReach) into the sentence a planner reads. The engine and
the analyses return the data; this module alone writes the prose, so a finding
reads the same wherever it is shown, and a renderer may word it its own way
from the same data."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Literal

from optimizer.numbers import quantized
from optimizer.numbers.exact import count, goal_amount, money
from optimizer.results import (
    WORTH_NOTHING,
    Certificate,
    ChanceInfo,
    Conflict,
    Finding,
    FloorOverMaxSpend,
    ForcedExclusion,
    ForcedRequiresHeld,
    FrontierEnds,
    JointRepair,
    MinimumsOverCeiling,
    OutOfReach,
    ReachBelowTarget,
    Repair,
    ShortMilestone,
    Worth,
)


def short_milestone(m: ShortMilestone, currency: str) -> str:
    return (f"target.milestones.{m.period} needs {money(m.needed, currency)}, at most "
            f"{money(m.reachable, currency)} is reachable in {m.period}")


JOINTLY = ("target.milestones: each milestone alone is reachable, but not all of them "
           "together")


def out_of_reach(r: OutOfReach, currency: str) -> str:
    """The message of a target out of reach: what is needed against the most any plan
    adds, the milestones at fault and what holds exports back; when not proven, says
    so and what the bound allows."""
    lines = [short_milestone(m, currency) for m in r.milestones] + (
        [JOINTLY] if r.jointly else [])
    if r.reachable is None:
        # the target has no limit of its own: the milestones are why
        return "infeasible: " + "; ".join(lines) + "."
    if not r.proven:
        bound = ("no bound could be computed" if r.bound is None else
                 f"the best bound allows {money(r.bound, currency)}")
        return ("HiGHS found no plan reaching the target, but that is not proven: "
                f"the most exports found is {money(r.reachable, currency)}, and {bound} "
                f"against {money(r.needed, currency)} needed. Not shown as infeasible.")
    when = f" in {r.period}" if r.period is not None else " a year"
    if r.target_short or not lines:
        # (a target a hair beyond the most reachable, within the 1e-6 the re-check
        # allows, is still what is out of reach when no milestone is)
        lines.insert(0, f"the levers must add {money(r.needed, currency)} of exports{when}, "
                        f"but at most {money(r.reachable, currency)} is reachable under the "
                        "ceiling, bounds and constraints")
    held = ", ".join(r.held_by) if r.held_by else "nothing named"
    return "infeasible: " + "; ".join(lines) + f". Held back by: {held}."


def finding(f: Finding, currency: str) -> str:
    """A precheck finding as a sentence naming the file's fields."""
    match f:
        case FloorOverMaxSpend():
            lever = f.field.rsplit(".", 1)[0]
            return (f"{f.field} ({f.units:,.10g}) costs at least "
                    f"{money(f.least_cost, currency)}, above {lever}.max_spend "
                    f"({money(f.max_spend, currency)})")
        case MinimumsOverCeiling():
            named = ", ".join(f"{path} ({money(v, currency)})" for path, v in f.floors)
            return (f"the levers' minimums cost at least {money(f.total, currency)}, above "
                    f"budget.ceiling ({money(f.ceiling, currency)}): {named}")
        case ReachBelowTarget():
            return (f"target.exports: the levers must add {money(f.needed, currency)}, but "
                    "even each lever at its own cap (or with the whole ceiling) adds at most "
                    f"{money(f.most, currency)}")
        case ForcedExclusion():
            return (f"levers.{f.lever}.excludes: {f.lever} and {f.other} are both forced on "
                    f"(levers.{f.lever}.{f.field}, levers.{f.other}.{f.other_field}) but "
                    "exclude each other")
        case ForcedRequiresHeld():
            return (f"levers.{f.lever}.requires: {f.lever} is forced on "
                    f"(levers.{f.lever}.{f.field}) and requires {f.other}, held at 0 by "
                    f"levers.{f.other}.max_units")


def chance(c: ChanceInfo) -> str:
    """A chance-constrained answer: the bound on its plan's probability from a fresh
    sample, and the share of its own samples it was solved to reach; that no plan
    cleared the confidence asked; or that no plan reaches that share of the samples."""
    if c.in_sample is not None and c.out_of_sample is not None and c.lower_bound is not None:
        fresh = (f"{c.out_of_sample:.2%} (standard error {c.out_of_sample_std_error or 0:.2%})"
                 f" of {c.fresh_samples:,} fresh samples")
        solved = (f"solved to reach it in {c.in_sample:.1%} of {c.samples:,} samples"
                  f"{'' if c.checks <= 1 else f' ({c.checks} plans checked)'}")
        if c.certified:
            return (f"optimal: reaches the target with a probability of at least "
                    f"{c.lower_bound:.2%} ({c.confidence:.0%} asked), with 95% confidence: "
                    f"it reaches it in {fresh}; {solved}")
        return (f"not proven: no plan found reaches the target with a probability of at "
                f"least {c.confidence:.0%} with 95% confidence ({c.checks} checked); the "
                f"last reaches it in {fresh}, at least {c.lower_bound:.2%}; {solved}")
    most = c.most_reached
    reach = ("" if most is None else
             f"; at most {most:,} of them ({most / c.samples:.1%}) can be reached")
    return (f"infeasible: no plan reaches the target in {c.level or c.confidence:.0%} of the "
            f"{c.samples:,} samples under the file's limits{reach}")


def contradiction(c: Certificate, currency: str) -> str:
    """min_cost called the target out of reach, yet a plan reaches it."""
    return ("HiGHS called the target out of reach, yet this plan reaches it (re-checked "
            f"against the file): its discounted cost is {money(c.value, currency)}, "
            "not proven the least. Not shown as optimal.")


def unproven(c: Certificate, currency: str) -> str:
    """Why a plan HiGHS called optimal is not shown as optimal: what its certificate
    failed to prove."""
    goal = c.quantity == "goal"  # (a max objective's weighted outcomes: counts, not money)
    gained = "of the maximised outcome" if goal else "exports"

    def amount(value: float) -> str:
        return count(value) if goal else money(value, currency)

    if c.cost_value is not None and c.cost_bound is None and c.gap <= c.tolerance:
        return (f"HiGHS called this plan optimal, and no plan adds more {gained}, but its "
                f"cost ({money(c.cost_value, currency)}) is not proven the least for them: "
                "the model counts money in units so large that HiGHS's tolerances there "
                "are coarser than the cost itself, so no bound on it holds. The plan shown "
                "is the best found, not a proven optimum.")
    if c.cost_gap is not None and c.gap <= c.tolerance and c.cost_bound is not None \
            and c.cost_value is not None:
        why = (f"a gap of {c.cost_gap:.3g}, more than {c.tolerance:.0e}"
               if c.cost_gap > c.tolerance else
               "the plan beats that bound, so it is wrong" if c.cost_value < c.cost_bound
               else "HiGHS's tolerances in the model's units of money are coarser than "
               "the 1e-6 the proof needs")
        return (f"HiGHS called this plan optimal, and no plan adds more {gained}, but its "
                f"cost is not proven the least for them: {money(c.cost_value, currency)}, "
                f"against at least {money(c.cost_bound, currency)} ({why}). The plan shown "
                "is the best found, not a proven optimum.")
    what = {"lever_exports": "lever exports", "goal": "maximised outcome"}.get(
        c.quantity, "discounted cost")
    side = "at least" if c.quantity == "discounted_cost" else "at most"
    if c.method == "none":
        return (f"HiGHS called this plan optimal, but no bound could be computed to prove "
                f"it: its {what} is {amount(c.value)}. Not shown as optimal.")
    if c.gap <= c.tolerance:
        beats = (c.value < c.bound) if c.quantity == "discounted_cost" else (c.value > c.bound)
        why = ("the plan beats the bound, so the bound is wrong" if beats and not math.isclose(
            c.value, c.bound, rel_tol=c.tolerance) else
               "the model counts this figure in units so large that HiGHS's tolerances "
               "there are coarser than the 1e-6 the proof needs")
        return (f"HiGHS called this plan optimal, but the proof does not hold: its {what} "
                f"is {amount(c.value)} and the bound {side} "
                f"{amount(c.bound)} ({c.method}), but {why}. The plan shown is "
                "the best found, not a proven optimum.")
    return (f"HiGHS called this plan optimal, but the proof does not hold: its {what} is "
            f"{amount(c.value)}, and the best possible is {side} "
            f"{amount(c.bound)} (a gap of {c.gap:.3g}, more than {c.tolerance:.0e}; "
            f"bound by {c.method}). The plan shown is the best found, not a proven optimum.")


def money_like(name: str) -> bool:
    """A limit whose value is an amount of money (or of exports), not a count (an
    outcome's floor counts the outcome's own unit)."""
    if name.startswith("target.outcomes."):
        return False
    return name.endswith(("ceiling", "_spend", "exports", "_cost", "yield_per_unit")) \
        or ".per_period." in name or ".milestones." in name


def limit_amount(name: str, value: float, currency: str) -> str:
    """A limit's value as a planner reads it: money for money-like fields, else a count."""
    return price(value, currency) if money_like(name) else count(value)


def limit_figure(name: str, value: float, currency: str) -> str:
    """A repair's value as it must be typed: six significant digits, not a rounded 2
    (a value from :func:`typed` is written exactly, so typed back it is the same)."""
    if not money_like(name) and not float(value).is_integer():
        return f"{value:,.6g}"
    return limit_amount(name, value, currency)


def typed(name: str, value: float, up: bool) -> float:
    """``value`` rounded up (or down) to what :func:`limit_figure` writes exactly: a
    repair printed and typed back through ``--set`` is then the value that was solved,
    never one rounded to the infeasible side (caps round up, floors and goals down).

    Money is written to the unit from 100 up and to 4 decimals below; a count to the
    unit from 1e5 up (six digits would need an exponent) and to 6 significant digits
    below."""
    if value == 0 or not math.isfinite(value):
        return value
    way: Literal["up", "down"] = "up" if up else "down"
    if abs(value) >= (100 if money_like(name) else 1e5):
        return quantized(value, way, step="1")
    if money_like(name):
        return quantized(value, way, step="0.0001")
    return quantized(value, way, digits=6)


def price(value: float, currency: str) -> str:
    """Money exact to the unit from 100 up (or whole), to four decimals below."""
    whole = abs(value) >= 100 or float(value).is_integer()
    return money(value, currency, 0 if whole else 4)


CONFLICT_CHECK = ("checked by re-solving the file: drop any one of them and the target is "
                  "reachable")


def conflict_notes(c: Conflict) -> list[str]:
    """What a conflict set's reader must know beside its limits: those HiGHS named
    that the conflict does not need, and those that could not be checked."""
    out = []
    if c.aside:
        out.append(f"HiGHS also named {', '.join(c.aside)}; the file stays infeasible "
                   "without them, so they are set aside (dropped) in that check")
    if c.unchecked:
        out.append(f"{', '.join(c.unchecked)}: as HiGHS named "
                   f"{'it' if len(c.unchecked) == 1 else 'them'} (cannot be dropped from "
                   "the file to check)")
    return out


def conflict_sentence(c: Conflict) -> str | None:
    """'Limits that cannot all hold: A, B (checked by re-solving ...).'"""
    if not c.limits:
        return None
    notes = "; ".join([CONFLICT_CHECK, *conflict_notes(c)])
    return f"Limits that cannot all hold: {', '.join(c.limits)} ({notes})."


def repair_sentence(r: Repair, currency: str) -> str:
    """'lower target.exports from 10,000,000,000 USD to 9,150,000,000 USD (8.5%)'."""
    if r.needed is None:
        return f"{r.limit}: no value of it alone makes the target reachable"
    verb = "lower" if r.needed < r.current else "raise"
    return (f"{verb} {r.limit} from {_current(r.limit, r.current, currency)} to "
            f"{limit_figure(r.limit, r.needed, currency)} ({_relative(r.relative)})")


def _current(name: str, value: float, currency: str) -> str:
    """A limit's value in the file, with its cents when it has some: a repair a unit
    above 949,165.86 reads "from 949,165.86 to 949,166", not "from 949,166 to 949,166"."""
    if money_like(name) and abs(value) >= 100 and not float(value).is_integer():
        return money(value, currency, 2)
    return limit_figure(name, value, currency)


def _relative(share: float | None) -> str:
    """A move as a share of the limit; one too small for a tenth of a percent says so."""
    if share is None:
        return "n/a"
    return "less than 0.1%" if 0 < share < 0.0005 else f"{share:.1%}"


def joint_sentence(j: JointRepair, currency: str) -> str:
    """'raise budget.ceiling from 100M to 141M and ... (each 40.96% of its value)'."""
    moves = " and ".join(
        f"{'lower' if r.needed is not None and r.needed < r.current else 'raise'} "
        f"{r.limit} from {_current(r.limit, r.current, currency)} to "
        f"{limit_figure(r.limit, r.needed or 0.0, currency)}" for r in j.moves)
    if len(j.moves) == 1:
        return f"{moves} ({j.share:.2%})"
    return f"{moves} (each by {j.share:.2%} of its value)"


def frontier_notes(e: FrontierEnds, currency: str) -> list[str]:
    """Where the exact frontier starts and ends in the range asked, and why; what is
    flat; what is left out."""
    def m(value: float) -> str:
        return money(value, currency)

    noun = "ceiling" if e.kind == "ceilings" else "target"
    if e.reach is None:
        return [f"No plan at any {noun}: the file's other limits cannot all hold (optimize "
                "explain says which); no frontier."]
    out = []
    if e.kind == "ceilings" and e.low < e.reach:
        where = ("the frontier starts there" if e.reach <= e.high
                 else "no ceiling in the range is enough: no frontier")
        out.append(f"No plan fits a ceiling below {m(e.reach)}: the file's other limits "
                   f"(floors, milestones, locks) need that much spend; {where}.")
    if e.kind == "targets" and e.high > e.reach:
        where = ("the frontier ends there" if e.reach >= e.low
                 else "no target in the range is reachable: no frontier")
        out.append(f"No plan reaches a target above {m(e.reach)}: the most exports the "
                   f"levers reach under the file's limits (its ceiling and caps); {where}.")
    if e.flat is not None and e.flat_value is not None:
        if e.kind == "targets":
            out.append(f"Up to a target of {m(e.flat)} the target does not bind: the "
                       "cheapest plan under the file's other limits already reaches it "
                       "(their floors, or the baseline the target counts); the cost is "
                       f"flat there, at {m(e.flat_value)}.")
        else:
            out.append(f"From a ceiling of {m(e.flat)} on, more ceiling buys nothing: "
                       f"{m(e.flat_value)} a year is the most the levers export under the "
                       "file's other limits.")
    for left, right in e.gaps:
        out.append(f"Between {noun}s of {m(left)} and {m(right)} the frontier is left out: "
                   "HiGHS gave no optimum inside, or the walk reached its cap of solves.")
    return out


def worth_words(w: Worth, money: Callable[[float], str], amount: Callable[[float], str],
                unit: str, per: Callable[[float], str] | None = None) -> str:
    """A binding limit's worth both ways, with the figures written by ``money`` (an
    amount of cost or of exports) and ``amount`` (the limit's own value): 'lowering
    it by 3,000 to 77,000, where the plan changes, costs 1,008,772 USD more (336 USD
    per worker); raising it by 4,000 to 84,000 saves 1,345,029 USD (336 USD per
    worker)'. "Changes nothing"
    only when both ways change nothing. ``per`` writes the figure per unit of the limit
    (default ``money``: a report in another currency converts a count's price, not a
    price per unit of money)."""
    each = per or money
    tighten, loosen = ("lowering", "raising") if w.lowers else ("raising", "lowering")
    if w.changes_nothing:
        return (f"changes nothing either way: {tighten} it by {amount(w.tighten_step)} "
                f"or {loosen} it by {amount(w.loosen_step)}")
    past = "below" if w.lowers else "above"
    if w.tighten_cost is None and w.no_plan_past is None:
        first = f"it cannot be {'lowered' if w.lowers else 'raised'} (it is at {amount(w.now)})"
    elif w.tighten_cost is None:
        first = (f"{tighten} it at all leaves no plan (none at "
                 f"{amount(w.no_plan_past if w.no_plan_past is not None else w.now)})")
    else:
        where = ", where the plan changes," if w.tighten_edge == "change" else ""
        first = (f"{tighten} it by {amount(w.tighten_step)} to {amount(w.tightened)}{where} "
                 f"{_effect(w, -w.tighten_cost, money)}"
                 f"{_each(w, w.tighten_cost, w.tighten_per_unit, each, unit)}")
        if w.tighten_edge == "no plan" and w.no_plan_past is not None:
            first += (f"; no plan {past} {amount(w.tightened)} (none at "
                      f"{amount(w.no_plan_past)})")
    if w.loosen_saving is None:
        second = f"{loosen} it by {amount(w.loosen_step)} leaves no plan"
    else:
        where = ", where the plan changes," if w.loosen_edge == "change" else ""
        second = (f"{loosen} it by {amount(w.loosen_step)} to {amount(w.loosened)}{where} "
                  f"{_effect(w, w.loosen_saving, money)}"
                  f"{_each(w, w.loosen_saving, w.loosen_per_unit, each, unit)}")
    return f"{first}; {second}"


def _effect(w: Worth, gain: float, money: Callable[[float], str]) -> str:
    """What a move does to the objective, ``gain`` positive when it is better (cost
    saved, exports added)."""
    if abs(gain) <= WORTH_NOTHING * max(1.0, abs(w.base)):
        return "changes nothing"
    if w.objective == "min_cost":
        return f"saves {money(gain)}" if gain > 0 else f"costs {money(-gain)} more"
    what = "of exports" if w.objective == "max_exports" else "to the goal"
    lose = "of exports" if w.objective == "max_exports" else "from the goal"
    return f"adds {money(gain)} {what}" if gain > 0 else f"loses {money(-gain)} {lose}"


def objective_figure(objective: str, currency: str) -> Callable[[float], str]:
    """How an amount of the objective reads on the command line: money (cost,
    exports) or, for a max objective over other outcomes (max_outcomes), a count of
    its weighted outcomes."""
    if objective == "max_outcomes":
        return goal_amount
    return lambda v: price(v, currency)


def objective_noun(objective: str) -> str:
    """What a move of the objective is: cost, exports, or the goal (max_outcomes)."""
    return {"min_cost": "cost", "max_exports": "exports"}.get(objective, "goal")


def _each(w: Worth, change: float, per: float | None, money: Callable[[float], str],
          unit: str) -> str:
    """' (336 USD per worker)', where the move changes something."""
    if per is None or abs(change) <= WORTH_NOTHING * max(1.0, abs(w.base)):
        return ""
    return f" ({money(abs(per))} per {unit})"


def worth_unit(limit: str, currency: str, units: Mapping[str, str]) -> str:
    """What one unit of a limit is: 'worker' (a lever's own unit, from ``units``),
    'USD' (money), 'USD of exports' (the target, a milestone), 'unit of jobs' (a
    floor on another outcome)."""
    if limit.startswith("target.outcomes."):
        return f"unit of {limit.split('.')[2]}"
    if limit.startswith("target."):
        return f"{currency} of exports"
    parts = limit.split(".")
    if money_like(limit) or parts[0] != "levers":
        return currency
    return units.get(parts[1], "unit")


def unit_price(value: float, currency: str) -> str:
    """A price per unit of a limit: as :func:`price`, with three significant figures
    below a cent (0.0000133 USD a dollar of exports, not 0.0000)."""
    if value == 0 or abs(value) >= 0.01:
        return price(value, currency)
    return money(value, currency, 2 - math.floor(math.log10(abs(value))))


def worth_sentence(w: Worth, currency: str, units: Mapping[str, str]) -> str:
    """The command line's line for one limit: its name and value, its worth both ways
    (exact figures), and the LP's dual beside it, labelled as what it is."""
    near = "" if w.binding else ", nearly binding: less than 5% of it unused"
    goal = w.objective == "max_outcomes"  # (its figures are counts of the goal)

    def per(v: float) -> str:
        return goal_amount(v) if goal else unit_price(v, currency)

    line = (f"{w.limit} (now {limit_amount(w.limit, w.now, currency)}{near}): "
            + worth_words(w, objective_figure(w.objective, currency),
                          lambda v: _current(w.limit, v, currency),
                          worth_unit(w.limit, currency, units), per=per))
    if w.dual_basis is None:
        return line
    if w.dual is None:
        return f"{line}; the {w.dual_basis} holds these units fixed and gives it no dual"
    return f"{line}; dual of the {w.dual_basis}: {per(w.dual)} per unit"
