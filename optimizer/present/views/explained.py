"""Binding limits and their worth, and the explanation's sections, as report tables.

Read from :class:`optimizer.results.Explanation` through its attributes, each
with a default, so sections added to it later do not break a report.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from optimizer.numbers import memo
from optimizer.present.views.currency import kind_of, present
from optimizer.present.views.model import Column, Quantity, Table, Tornado
from optimizer.results import WORTH_NOTHING, Explanation, Result, Swing, Worth
from optimizer.results.messages import CONFLICT_CHECK, conflict_notes, worth_unit, worth_words
from optimizer.scenario.names import plain_name
from optimizer.scenario.schema import Scenario

# A limit or parameter in a planner's words comes from the one map of plain names.
describe = plain_name


def _q(name: str, value: float | None, rate: float) -> Quantity:
    kind = kind_of(name)
    return Quantity(present(value, kind, rate), kind)


def binding_table(r: Result, s: Scenario, worth: Sequence[Worth], rate: float) -> Table:
    """Every binding limit; where it was re-solved, what it is worth both ways: the
    cost of tightening it and the saving from loosening it, each over its own step."""
    cur = r.currency
    by_name = {w.limit: w for w in worth}
    units = {rec.lever: rec.unit for rec in r.rows}
    cost = r.objective == "min_cost"
    goal = r.objective == "max_outcomes"  # (its figures are counts of the goal)
    rows: list[tuple[Any, ...]] = []
    near = [w.limit for w in worth if not w.binding and w.limit not in r.binding]
    for name in (*r.binding, *near):
        w = by_name.get(name)
        if w is None:
            rows.append((describe(name, s), name, None, None, None, None, None,
                         "not moved: no single value to move", None, None, None, None))
            continue
        rows.append((describe(name, s) + ("" if w.binding else " (nearly binding)"), name,
                     _q(name, w.now, rate), _q(name, w.tighten_step, rate),
                     _figure(r, w.tighten_cost, rate)
                     if w.tighten_step or w.no_plan_past is not None
                     else Quantity(None, "text", "at 0"),
                     _q(name, w.loosen_step, rate), _figure(r, w.loosen_saving, rate),
                     _reading(w, rate, cur, worth_unit(name, cur, units)),
                     _q(name, w.tightened, rate), _q(name, w.loosened, rate),
                     _figure(r, w.objective_tightened, rate),
                     _figure(r, w.objective_loosened, rate)))
    objective = "cost" if cost else "goal" if goal else "exports"
    what = ("cost of tightening", "saving from loosening") if cost else \
        ("goal lost tightening", "goal gained loosening") if goal else \
        ("exports lost tightening", "exports gained loosening")
    return Table(
        key="binding",
        title="What binds, and what it is worth both ways",
        columns=(Column("limit", "limit"), Column("name", "name in the file"),
                 Column("current", "now", "mixed"),
                 Column("tighten_step", "tightened by", "mixed"),
                 Column("tighten_cost", what[0], "mixed"),
                 Column("loosen_step", "loosened by", "mixed"),
                 Column("loosen_saving", what[1], "mixed"),
                 Column("reading", "reading"),
                 Column("tightened_to", "tightened to", "mixed"),
                 Column("loosened_to", "loosened to", "mixed"),
                 Column("objective_tightened", f"{objective} tightened", "mixed"),
                 Column("objective_loosened", f"{objective} loosened", "mixed")),
        rows=tuple(rows),
        page_hidden=("tightened_to", "loosened_to", "objective_tightened",
                     "objective_loosened"),
        caption=("Each limit the plan presses against (or nearly: less than 5% of it "
                 "unused), tightened (caps lowered, floors and "
                 "goals raised) and loosened, each by the smaller of 5% and the distance to "
                 "the next change in the plan, and the scenario re-solved"
                 + ("." if cost else "; in the goal's own figures (the weighted outcomes "
                    "maximised)." if goal else "; in lever exports.")),
        empty="No limit binds: the plan could move in every direction.",
    )


def _reading(w: Worth, rate: float, cur: str, unit: str) -> str:
    """The limit's worth both ways in the memo style (messages.worth_words)."""

    def money(v: float) -> str:
        if w.objective == "max_outcomes":  # (a count of the goal: no currency)
            return memo.count(v)
        return memo.money(v * rate, cur)

    def amount(v: float) -> str:
        return _amount(w.limit, v, rate, cur)

    def per(v: float) -> str:
        if w.objective == "max_outcomes":
            return memo.count(v)
        # a price per unit of money is a ratio: the same in any currency
        return memo.money(v, cur) if kind_of(w.limit) == "money" else money(v)

    return worth_words(w, money, amount, unit, per=per)


def _figure(r: Result, value: float | None, rate: float) -> Quantity:
    """An amount of the objective: money converted, or for a max objective over other
    outcomes a count of its goal."""
    if value is None:
        return Quantity(None, "text", "no plan")
    if r.objective == "max_outcomes":
        # (the worth of a move is a difference of two goals each within 1e-9 of its
        # most: what the worth calls no change, WORTH_NOTHING of the goal, reads 0)
        tiny = WORTH_NOTHING * max(1.0, abs(r.goal_value or 0.0))
        return Quantity(0.0 if abs(value) <= tiny else value, "count")
    return Quantity(value * rate, "money")


def _amount(name: str, value: float, rate: float, cur: str) -> str:
    """A limit's value in the memo style: money converted, counts as counts."""
    if kind_of(name) == "money":
        return memo.money((present(value, name, rate) or 0.0), cur)
    return memo.count(value)


def tornado(e: Explanation, r: Result, rate: float) -> Tornado | None:
    swings = e.swings
    if not swings:
        return None
    goal = r.objective == "max_outcomes"  # (counts of the goal: not converted)
    per = 1.0 if goal else rate
    moved = tuple(dataclasses.replace(
        w, value=present(w.value, w.parameter, rate) or 0.0,
        low=present(w.low, w.parameter, rate) or 0.0,
        high=present(w.high, w.parameter, rate) or 0.0,
        objective_low=None if w.objective_low is None else w.objective_low * per,
        objective_high=None if w.objective_high is None else w.objective_high * per)
        for w in swings)
    discounted = r.discounted_cost is not None and r.total_cost is not None and \
        abs(r.discounted_cost - r.total_cost) > 1e-9 * max(1.0, abs(r.total_cost))
    if r.objective == "min_cost":
        base, what = r.discounted_cost, "Discounted cost" if discounted else "Total cost"
    elif goal:
        base, what = r.goal_value, "The goal (weighted outcomes maximised)"
    else:
        base, what = r.lever_exports, "Lever exports"
    return Tornado(moved, base or 0.0, e.share, what, counts=goal)


def _unmoved_note(e: Explanation) -> tuple[str, ...]:
    """The numbers the tornado leaves alone, in one sentence (optimize explain lists
    each with why)."""
    unmoved = getattr(e, "unmoved", ())
    if not unmoved:
        return ()
    reasons: dict[str, int] = {}
    for u in unmoved:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    return ("Not moved: " + "; ".join(
        f"{n} number{'s' if n > 1 else ''} ({reason})" for reason, n in reasons.items())
        + "; optimize explain names each.",)


def _swing_name(w: Swing, s: Scenario) -> str:
    """The tornado's parameter in words, with why it moved one way only if it did."""
    name = w.name or describe(w.parameter, s)
    return f"{name} ({w.note})" if w.note else name


def explanation_tables(e: Explanation, r: Result, s: Scenario, rate: float) -> list[Table]:
    """The explanation's sections that have content, in the order optimize explain prints."""
    out: list[Table] = []
    conflict = e.conflict
    repairs = e.repairs
    if r.status == "infeasible":
        out.append(Table(
            "conflict", "Limits that cannot all hold",
            (Column("limit", "limit"), Column("name", "name in the file")),
            tuple((describe(n, s), n) for n in conflict.limits),
            notes=tuple(f"{note[0].upper()}{note[1:]}." for note in conflict_notes(conflict)),
            caption=f"HiGHS's irreducible set (of the LP relaxation), {CONFLICT_CHECK}.",
            empty="None found in the LP relaxation: the conflict comes from whole numbers or "
                  "on/off decisions."))
        out.append(Table(
            "repairs", "Cheapest repairs, one limit at a time",
            (Column("limit", "limit"), Column("name", "name in the file"),
             Column("current", "now", "mixed"), Column("needed", "needed", "mixed"),
             Column("change", "change", "share")),
            tuple((describe(x.limit, s), x.limit, _q(x.limit, x.current, rate),
                   _q(x.limit, x.needed, rate) if x.needed is not None
                   else Quantity(None, "text", "no value of it alone"), x.relative)
                  for x in repairs),
            caption="The least move of each limit alone that makes the target reachable "
                    "(bisection on re-solves), smallest change first.",
            empty="No single limit makes the target reachable."))
        joint = e.joint
        if joint is not None and joint.moves:
            out.append(Table(
                "joint", "Moving the limits together",
                (Column("limit", "limit"), Column("name", "name in the file"),
                 Column("current", "now", "mixed"), Column("needed", "needed", "mixed"),
                 Column("change", "change", "share")),
                tuple((describe(x.limit, s), x.limit, _q(x.limit, x.current, rate),
                       _q(x.limit, x.needed, rate), x.relative) for x in joint.moves),
                caption=f"The least share ({memo.share(joint.share)}) by "
                        "which loosening these limits together makes the target reachable; "
                        "limits that need not move are left out."))
        prechecks = e.prechecks
        if prechecks:
            out.insert(0, Table(
                "prechecks", "What the file shows before any solve",
                (Column("finding", "finding", wide=True),), tuple((p,) for p in prechecks)))
    swings = e.swings
    if swings:
        what = {"min_cost": "cost", "max_exports": "exports"}.get(r.objective, "goal")
        share = e.share
        out.append(Table(
            "tornado", f"What moves the answer: each parameter {share:.0%} down and up",
            (Column("parameter", "parameter"), Column("name", "name in the file"),
             Column("value", "now", "mixed"), Column("low", "low", "mixed"),
             Column("high", "high", "mixed"), Column("at_low", f"{what} at low", "mixed"),
             Column("at_high", f"{what} at high", "mixed"),
             Column("swing", "swing", "mixed")),
            tuple((_swing_name(w, s), w.parameter, _q(w.parameter, w.value, rate),
                   _q(w.parameter, w.low, rate), _q(w.parameter, w.high, rate),
                   _figure(r, w.objective_low, rate), _figure(r, w.objective_high, rate),
                   _figure(r, w.swing, rate) if math.isfinite(w.swing)
                   else Quantity(None, "text", "no plan at one end"))
                  for w in swings),
            caption=f"Each parameter moved alone and the scenario re-solved (a lag by one "
                    "period, each period's figure on its own, a yield curve's exports all "
                    f"together); the {what} is the objective of the re-solved plan; largest "
                    "swing first.",
            notes=_unmoved_note(e)))
    ranges = e.ranges
    if ranges:
        out.append(Table(
            "ranging", "How stable the mix is",
            (Column("parameter", "parameter"), Column("name", "name in the file"),
             Column("value", "now", "mixed"), Column("low", "mix holds from", "mixed"),
             Column("high", "to", "mixed")),
            tuple((describe(x.parameter, s), x.parameter, _q(x.parameter, x.value, rate),
                   _q(x.parameter, x.low, rate) if x.low is not None
                   else Quantity(None, "text", "below a tenth of it"),
                   _q(x.parameter, x.high, rate) if x.high is not None
                   else Quantity(None, "text", "above ten times it"))
                  for x in ranges),
            caption="For each unit cost and yield alone, the interval in which the re-solved "
                    "plan uses the same levers with the same limits binding."))
    room = e.room
    if room:
        units = {rec.lever: rec.units for rec in r.rows}
        slack = e.slack
        out.append(Table(
            "room", f"Room to negotiate: plans within {slack:.0%} of the optimum",
            (Column("lever", "lever"), Column("units", "units in the plan", "count"),
             Column("low", "fewest", "count"), Column("high", "most", "count"),
             Column("kind", "kind")),
            tuple((s.levers[x.lever].label(x.lever) if x.lever in s.levers else x.lever,
                   units.get(x.lever), x.low, x.high, x.kind) for x in room),
            caption="Each lever's fewest and most units in any plan whose cost is within the "
                    "slack of the optimum: essential (in every such plan), optional or unused."))
    return out


SENSITIVITY_COLUMNS = (
    Column("section", "section"), Column("item", "item"), Column("name", "name in the file"),
    Column("current", "now", "mixed"), Column("low", "low or moved to", "mixed"),
    Column("high", "high", "mixed"), Column("at_low", "objective at low", "mixed"),
    Column("at_high", "objective at high", "mixed"), Column("per_unit", "per unit", "mixed"),
    Column("note", "note"),
)


def sensitivity_table(binding: Table, explained: Sequence[Table], cur: str) -> Table:
    """All of the above in one long table (the workbook's Sensitivity sheet)."""
    rows: list[tuple[Any, ...]] = []
    none = None
    for row in binding.rows:
        # the limit tightened and loosened, the lower value first, with the objective
        # re-solved at each (the steps and the changes are on the page's table)
        ends = [(row[8], row[10]), (row[9], row[11])]
        low, high = (getattr(end[0], "value", None) for end in ends)
        if low is not None and high is not None and low > high:
            ends.reverse()
        rows.append(("binding", row[0], row[1], row[2], ends[0][0], ends[1][0], ends[0][1],
                     ends[1][1], none, row[7]))
    for t in explained:
        for row in t.rows:
            if t.key == "conflict":
                rows.append(("conflict", row[0], row[1], none, none, none, none, none, none,
                             "in the conflict set (checked by re-solving)"))
            elif t.key == "prechecks":
                rows.append(("precheck", row[0], "", none, none, none, none, none, none,
                             "arithmetic on the file, before any solve"))
            elif t.key == "joint":
                rows.append(("joint repair", row[0], row[1], row[2], row[3], none, none, none,
                             Quantity(row[4], "share"), "moved together with the others"))
            elif t.key == "repairs":
                rows.append(("repair", row[0], row[1], row[2], row[3], none, none, none,
                             Quantity(row[4], "share"), "needed value of this limit alone"))
            elif t.key == "tornado":
                rows.append(("tornado", row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                             row[7], "swing in the per unit column"))
            elif t.key == "ranging":
                rows.append(("ranging", row[0], row[1], row[2], row[3], row[4], none, none,
                             none, "same levers used, same limits binding"))
            elif t.key == "room":
                rows.append(("room", row[0], "", Quantity(row[1], "count"),
                             Quantity(row[2], "count"), Quantity(row[3], "count"), none, none,
                             none, row[4]))
    return Table(
        key="sensitivity", title="Sensitivity", columns=SENSITIVITY_COLUMNS, rows=tuple(rows),
        caption=f"Amounts in {cur}.",
        empty="No sensitivity analysis in this report: run optimize report with --explain.")
