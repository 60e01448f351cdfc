"""Explanation -> text, Markdown, JSON. Money as the scenario writes it."""

from __future__ import annotations

import json
from typing import Any

from optimizer.numbers.exact import count, goal_amount, money, share
from optimizer.present.formats import layout, render_table, to_dict
from optimizer.present.views.currency import kind_of
from optimizer.results import Explanation, LeverRoom, Stability, Swing, Unmoved
from optimizer.results.messages import (
    CONFLICT_CHECK,
    conflict_notes,
    joint_sentence,
    limit_amount,
    objective_noun,
    price,
    repair_sentence,
    worth_sentence,
)


def _room_line(r: LeverRoom) -> str:
    line = f"{r.lever}: {count(r.low)} to {count(r.high)} ({r.kind}"
    if r.substitutes:
        line += f" with {', '.join(r.substitutes)}"
    return line + ")"


def _extreme(plan: dict[str, float] | None) -> str:
    if plan is None:
        return "no plan"
    used = [f"{lid} {count(u)}" for lid, u in plan.items() if u > 0]
    return ", ".join(used) or "nothing funded"


def _sections(e: Explanation) -> list[tuple[str, list[str]]]:
    cur = e.result.currency
    out = []
    if e.result.status == "infeasible":
        out.append(("Why infeasible", [e.result.message]))
        if e.prechecks:
            out.append(("Before solving: what the file's own arithmetic shows",
                        list(e.prechecks)))
        out.append((f"Limits that cannot all hold ({CONFLICT_CHECK})",
                    [*e.conflict.limits, *conflict_notes(e.conflict)]
                    if e.conflict.limits else
                    ["none found in the LP relaxation: the conflict comes from whole "
                     "numbers or on/off decisions"]))
        fixes = [repair_sentence(r, cur) for r in e.repairs]
        out.append(("Cheapest repairs, one limit at a time (smallest change first)",
                    [f"{'or ' if i else ''}{f}" for i, f in enumerate(fixes)] or ["none"]))
        title = "Cheapest repair moving the limits together, each weighted by its own value"
        if e.joint is not None and e.joint.ranked:
            title += (f" (--relax, in order of preference: {', '.join(e.joint.allowed)}; "
                      "the first of them that can do it)")
        out.append((title, [joint_sentence(e.joint, cur)] if e.joint is not None
                    else ["none found"]))
    else:
        if e.worth:
            units = {rec.lever: rec.unit for rec in e.result.rows}
            out.append(("What binds and what it is worth, both ways (each re-solved over the "
                        "smaller of 5% and the next change in the plan)",
                        [worth_sentence(w, cur, units) for w in e.worth]))
        if e.ranges:
            out.append(("How stable the mix is: each unit cost and yield alone, the interval "
                        "in which the same levers are used and the same limits bind",
                        [_range_line(r, cur) for r in e.ranges]))
        if e.swings:
            what = objective_noun(e.result.objective)
            out.append((f"Tornado: each parameter {e.share:.0%} down and up alone, re-solved "
                        f"({what}; largest swing first)",
                        [_swing_line(w, cur, e.result.objective) for w in e.swings]))
        if e.unmoved:
            out.append(("Not moved by the tornado (each with why)",
                        [_unmoved_line(u, cur) for u in e.unmoved]))
        if e.room:
            out.append((f"Room to negotiate: units of each lever in any plan within "
                        f"{e.slack:.0%} of the optimum",
                        [_room_line(r) for r in e.room]))
            out.append(("The plan at each extreme (units)",
                        [f"{r.lever} least: {_extreme(r.plan_low)}; most: "
                         f"{_extreme(r.plan_high)}" for r in e.room]))
    if e.unfinished:
        out.append((f"Not finished within {e.stopped_by} (left out)", list(e.unfinished)))
    return out


def _range_line(r: Stability, currency: str) -> str:
    low = "below a tenth of it" if r.low is None else limit_amount(r.parameter, r.low, currency)
    high = "above ten times it" if r.high is None else limit_amount(r.parameter, r.high, currency)
    return f"{r.parameter} (now {limit_amount(r.parameter, r.value, currency)}): {low} to {high}"


def _parameter_amount(name: str, value: float, currency: str) -> str:
    """A tornado parameter's value: money, a share (4.0%) or a count."""
    kind = kind_of(name)
    if kind == "money":
        return price(value, currency)
    return share(value) if kind == "share" else count(value)


def _swing_line(w: Swing, currency: str, objective: str) -> str:
    def show(v: float | None) -> str:
        if v is None:
            return "no plan"
        return goal_amount(v) if objective == "max_outcomes" else money(v, currency)

    note = f" ({w.note})" if w.note else ""
    return (f"{w.name or w.parameter} [{w.parameter}] "
            f"({_parameter_amount(w.parameter, w.low, currency)} .. "
            f"{_parameter_amount(w.parameter, w.high, currency)}): {show(w.objective_low)} .. "
            f"{show(w.objective_high)}{note}")


def _unmoved_line(u: Unmoved, currency: str) -> str:
    now = "" if u.value is None else f", now {_parameter_amount(u.parameter, u.value, currency)}"
    return f"{u.name} [{u.parameter}{now}]: {u.reason}"


def render_explain_table(e: Explanation) -> str:
    lines = [render_table(e.result).rstrip(), ""]
    for title, items in _sections(e):
        lines += [title + ":", *[f"  - {item}" for item in items], ""]
    return "\n".join(lines)


def render_explain_markdown(e: Explanation) -> str:
    from optimizer.present.formats import render_markdown

    lines = [render_markdown(e.result).rstrip(), ""]
    for title, items in _sections(e):
        lines += [f"### {title}", "", *[f"- {layout.heading(item)}" for item in items], ""]
    return "\n".join(lines)


def render_explain_json(e: Explanation) -> str:
    data: dict[str, Any] = {
        "result": to_dict(e.result),
        "worth": [{"limit": w.limit, "now": w.now, "objective": w.objective,
                   "objective_now": w.base,
                   "tighten_step": w.tighten_step, "tightened_to": w.tightened,
                   "tighten_cost": w.tighten_cost, "tighten_until": w.tighten_edge,
                   "no_plan_past": w.no_plan_past,
                   "loosen_step": w.loosen_step, "loosened_to": w.loosened,
                   "loosen_saving": w.loosen_saving, "loosen_until": w.loosen_edge,
                   "changes_nothing": w.changes_nothing,
                   "dual": w.dual, "dual_basis": w.dual_basis} for w in e.worth],
        "conflict": list(e.conflict.limits),
        "conflict_aside": list(e.conflict.aside),
        "conflict_unchecked": list(e.conflict.unchecked),
        "prechecks": list(e.prechecks),
        "unfinished": list(e.unfinished),
        "repairs": [{"limit": r.limit, "current": r.current, "needed": r.needed,
                     "relative_change": r.relative} for r in e.repairs],
        "joint_repair": None if e.joint is None else {
            "share": e.joint.share, "allowed": list(e.joint.allowed),
            "ranked": e.joint.ranked,
            "moves": [{"limit": r.limit, "current": r.current, "needed": r.needed}
                      for r in e.joint.moves]},
        "tornado": {"share": e.share, "parameters": [
            {"parameter": w.parameter, "name": w.name, "value": w.value, "low": w.low,
             "high": w.high, "objective_low": w.objective_low,
             "objective_high": w.objective_high, "note": w.note or None}
            for w in e.swings], "not_moved": [
            {"parameter": u.parameter, "name": u.name, "value": u.value, "reason": u.reason}
            for u in e.unmoved]},
        "ranging": [{"parameter": r.parameter, "value": r.value, "low": r.low, "high": r.high}
                    for r in e.ranges],
        "room": {"slack": e.slack, "levers": [
            {"lever": r.lever, "low": r.low, "high": r.high, "kind": r.kind,
             "substitutes": list(r.substitutes), "plan_at_low": r.plan_low,
             "plan_at_high": r.plan_high} for r in e.room]},
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


EXPLAIN_RENDERERS = {
    "table": render_explain_table,
    "markdown": render_explain_markdown,
    "json": render_explain_json,
}
