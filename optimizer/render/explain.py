"""Explanation -> text, Markdown, JSON. Money as the scenario writes it."""

from __future__ import annotations

import json
from typing import Any

from optimizer.numbers import clean, count, money
from optimizer.render import render_table, to_dict
from optimizer.results import Explanation, Repair, Stability, Swing, Worth


def _amount(name: str, value: float, currency: str) -> str:
    money_like = name.endswith(("ceiling", "_spend", "exports", "_cost", "yield_per_unit")) \
        or ".per_period." in name or ".milestones." in name
    return _price(value, currency) if money_like else count(value)


def _price(value: float, currency: str) -> str:
    return money(value, currency, 0 if abs(value) >= 100 else 4)


def worth_sentence(w: Worth, currency: str) -> str:
    """'one more unit of levers.x.max_units saves 12,596 USD' and the like."""
    if w.change is None:
        return f"{w.limit}: moving it by {clean(w.step):,.6g} leaves no plan"
    per = w.per_unit or 0.0
    if w.limit == "target.exports":
        return (f"{w.limit}: each 1 {currency} less of required exports saves "
                f"{_price(per, currency)} (re-solved {money(-w.step, currency)} lower)")
    if w.objective == "min_cost":
        verb = "saves" if w.change < 0 else "costs"
        return (f"{w.limit} (now {_amount(w.limit, w.value, currency)}): each unit "
                f"{'more' if w.step > 0 else 'less'} {verb} {_price(abs(per), currency)} "
                f"(re-solved with it moved by {count(abs(w.step))})")
    return (f"{w.limit} (now {_amount(w.limit, w.value, currency)}): each unit "
            f"{'more' if w.step > 0 else 'less'} buys {_price(per, currency)} of exports "
            f"(re-solved with it moved by {count(abs(w.step))})")


def repair_sentence(r: Repair, currency: str) -> str:
    if r.needed is None:
        return f"{r.limit}: no value of it alone makes the target reachable"
    verb = "lower" if r.needed < r.current else "raise"
    return (f"{verb} {r.limit} from {_amount(r.limit, r.current, currency)} to "
            f"{_amount(r.limit, r.needed, currency)} ({r.relative:.1%})")


def _sections(e: Explanation) -> list[tuple[str, list[str]]]:
    cur = e.result.currency
    out = []
    if e.result.status == "infeasible":
        out.append(("Why infeasible", [e.result.message]))
        out.append(("Limits that cannot all hold (an irreducible set, from HiGHS)",
                    list(e.conflict) or ["none found in the LP relaxation: the conflict "
                                         "comes from whole numbers or on/off decisions"]))
        fixes = [repair_sentence(r, cur) for r in e.repairs]
        out.append(("Cheapest repairs, one limit at a time (smallest change first)",
                    [f"{'or ' if i else ''}{f}" for i, f in enumerate(fixes)] or ["none"]))
    else:
        if e.worth:
            out.append(("What binds and what it is worth",
                        [worth_sentence(w, cur) for w in e.worth]))
        if e.ranges:
            out.append(("How stable the mix is: each unit cost and yield alone, the interval "
                        "in which the same levers are used and the same limits bind",
                        [_range_line(r, cur) for r in e.ranges]))
        if e.swings:
            what = "cost" if e.result.objective == "min_cost" else "exports"
            out.append((f"Tornado: each parameter {e.share:.0%} down and up alone, re-solved "
                        f"({what}; largest swing first)",
                        [_swing_line(w, cur) for w in e.swings]))
        if e.room:
            out.append((f"Room to negotiate: units of each lever in any plan within "
                        f"{e.slack:.0%} of the optimum",
                        [f"{r.lever}: {count(r.low)} to {count(r.high)} ({r.kind})"
                         for r in e.room]))
    return out


def _range_line(r: Stability, currency: str) -> str:
    low = "below a tenth of it" if r.low is None else _amount(r.parameter, r.low, currency)
    high = "above ten times it" if r.high is None else _amount(r.parameter, r.high, currency)
    return f"{r.parameter} (now {_amount(r.parameter, r.value, currency)}): {low} to {high}"


def _swing_line(w: Swing, currency: str) -> str:
    def show(v: float | None) -> str:
        return "no plan" if v is None else money(v, currency)

    return (f"{w.parameter} ({_amount(w.parameter, w.low, currency)} .. "
            f"{_amount(w.parameter, w.high, currency)}): {show(w.objective_low)} .. "
            f"{show(w.objective_high)}")


def render_explain_table(e: Explanation) -> str:
    lines = [render_table(e.result).rstrip(), ""]
    for title, items in _sections(e):
        lines += [title + ":", *[f"  - {item}" for item in items], ""]
    return "\n".join(lines)


def render_explain_markdown(e: Explanation) -> str:
    from optimizer.render import render_markdown

    lines = [render_markdown(e.result).rstrip(), ""]
    for title, items in _sections(e):
        lines += [f"### {title}", "", *[f"- {item}" for item in items], ""]
    return "\n".join(lines)


def render_explain_json(e: Explanation) -> str:
    data: dict[str, Any] = {
        "result": to_dict(e.result),
        "worth": [{"limit": w.limit, "value": w.value, "step": w.step, "change": w.change,
                   "per_unit": w.per_unit, "objective": w.objective} for w in e.worth],
        "conflict": list(e.conflict),
        "repairs": [{"limit": r.limit, "current": r.current, "needed": r.needed,
                     "relative_change": r.relative} for r in e.repairs],
        "tornado": {"share": e.share, "parameters": [
            {"parameter": w.parameter, "value": w.value, "low": w.low, "high": w.high,
             "objective_low": w.objective_low, "objective_high": w.objective_high}
            for w in e.swings]},
        "ranging": [{"parameter": r.parameter, "value": r.value, "low": r.low, "high": r.high}
                    for r in e.ranges],
        "room": {"slack": e.slack, "levers": [
            {"lever": r.lever, "low": r.low, "high": r.high, "kind": r.kind} for r in e.room]},
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


EXPLAIN_RENDERERS = {
    "table": render_explain_table,
    "markdown": render_explain_markdown,
    "json": render_explain_json,
}
