"""The Risk section: the report's plan held fixed under the scenario's samples
(``optimizer.analyses.simulate``), and the cost of certainty (``optimizer.analyses.chance``).

Both are computed by the command line and handed in; this module only reads
them (duck-typed: the report layer imports neither), presents them in the
report's currency, and writes the tables and the sentences around them.

Exports are shown as the target is written: total exports (levers and the
baseline) when the target includes the baseline, lever exports otherwise, as
the charts of ``optimizer.present.formats.risk_charts`` draw them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from optimizer.numbers import memo
from optimizer.present.views.model import Certainty, CertaintyPoint, Column, Risk, Table
from optimizer.results import Result
from optimizer.results.simulation import Chance, Simulation, Spread
from optimizer.scenario.schema import Scenario

TOP_DRIVERS = 5
"""Drivers of the exports listed; the note counts the rest."""
STATUS = {"optimal": "optimal", "infeasible": "out of reach",
          "limit_with_plan": "best found", "limit_without_plan": "no plan found",
          "not_proven": "not certified"}
_MOST = re.compile(r"at most ([\d,]+) of them")
REACHED = ("optimal", "limit_with_plan")


# -- the report's currency ------------------------------------------------------------------


def _spread(s: Spread, rate: float) -> Spread:
    return dataclasses.replace(s, **{f.name: getattr(s, f.name) * rate
                                     for f in dataclasses.fields(s)})


def scaled_simulation(sim: Simulation, currency: str, rate: float) -> Simulation:
    """A Simulation with every money figure times ``rate`` (shares, counts unchanged)."""
    if rate == 1.0 and currency == sim.currency:
        return sim

    def goal(c: Chance) -> Chance:
        return dataclasses.replace(c, needed=c.needed * rate, exports=_spread(c.exports, rate),
                                   point_exports=c.point_exports * rate)

    return dataclasses.replace(
        sim, currency=currency, needed=sim.needed * rate, baseline=sim.baseline * rate,
        target=goal(sim.target), milestones=tuple(goal(m) for m in sim.milestones),
        lever_exports=_spread(sim.lever_exports, rate),
        total_exports=_spread(sim.total_exports, rate),
        shortfall=_spread(sim.shortfall, rate), cost=_spread(sim.cost, rate),
        discounted_cost=None if sim.discounted_cost is None
        else _spread(sim.discounted_cost, rate),
        point_cost=sim.point_cost * rate,
        point_discounted_cost=sim.point_discounted_cost * rate,
        point_exports=sim.point_exports * rate,
        exports_by_period={k: _spread(v, rate) for k, v in sim.exports_by_period.items()},
        histogram=dataclasses.replace(sim.histogram,
                                      edges=tuple(e * rate for e in sim.histogram.edges)))


def _times(value: float | None, rate: float) -> float | None:
    return None if value is None else value * rate


def certainty_of(results: Sequence[Result], s: Scenario, currency: str, rate: float
                 ) -> Certainty | None:
    """The chance-constrained sweep as plain data, in the report's currency."""
    if not results:
        return None
    points = []
    first = results[0].chance
    assert first is not None
    for r in results:
        c = r.chance
        assert c is not None
        most = None
        if r.status not in REACHED:
            found = _MOST.search(r.message or "")
            most = int(found.group(1).replace(",", "")) if found else None
        points.append(CertaintyPoint(
            confidence=c.confidence, status=r.status,
            cost=_times(r.discounted_cost, rate) if r.status in REACHED else None,
            extra_cost=_times(c.extra_cost, rate), in_sample=c.in_sample,
            out_of_sample=c.out_of_sample, required=c.required, most_reached=most,
            std_error=c.out_of_sample_std_error, lower_bound=c.lower_bound,
            certified=c.certified))
    discounted = bool(s.has_periods and s.discount_rate)
    return Certainty(points=tuple(points), samples=first.samples,
                     fresh_samples=first.fresh_samples, seed=first.seed,
                     deterministic_cost=_times(first.deterministic_cost, rate),
                     currency=currency, cost_label="cost, discounted" if discounted else "cost")


# -- tables ---------------------------------------------------------------------------------


def _shift(sim: Simulation) -> float:
    """What is added to lever exports to show them as the target is written."""
    return sim.baseline if sim.includes_baseline and sim.baseline else 0.0


def _when(sim: Simulation, period: Any = None) -> str:
    if sim.periods is None:
        return " a year"
    return f" in {sim.periods[-1] if period is None else period}"


def _what(sim: Simulation) -> str:
    if _shift(sim):
        return (f"total exports (levers and the {memo.money(sim.baseline, sim.currency)} "
                "baseline)")
    return "lever exports"


def _goals(sim: Simulation) -> list[Any]:
    """Milestones in period order, then the target."""
    order = [str(p) for p in (sim.periods or ())]
    ms = sorted(sim.milestones, key=lambda m: order.index(str(m.period))
                if str(m.period) in order else 0)
    return [*ms, sim.target] if sim.export_target else ms


def goals_table(sim: Simulation) -> Table:
    cur, shift = sim.currency, _shift(sim)
    rows = []
    for g in _goals(sim):
        label = ("target" if g is sim.target else "milestone") + \
            ("" if sim.periods is None else f" {g.period}")
        rows.append((label, g.needed + shift, g.point_exports + shift, g.exports.p10 + shift,
                     g.exports.p50 + shift, g.exports.p90 + shift, g.probability,
                     g.std_error if g.bound is None else None, _edge(g)))
    scale = memo.scale_for(v for row in rows for v in row[1:6])
    unit = f"{cur} a year"
    total = " (total)" if shift else ""
    columns = (
        Column("goal", "goal"),
        Column("needed", f"exports needed{total}", "money", unit, scale),
        Column("point", "plan at the point values", "money", unit, scale),
        Column("p10", "P10", "money", unit, scale),
        Column("p50", "P50", "money", unit, scale),
        Column("p90", "P90", "money", unit, scale),
        Column("probability", "probability reached", "share"),
        Column("std_error", "standard error", "share"),
        Column("bound", "none or all reached: 95% bound", "text"),
    )
    return Table(
        "risk_goals", "How likely the plan reaches its goals", columns, tuple(rows),
        caption=f"The share of {sim.samples:,} joint samples (seed {sim.seed}) in which the "
                f"plan's {_what(sim)} reach each goal, with its Monte-Carlo standard error "
                "sqrt(p (1 - p) / N), or where none (all) of the samples reach it, a one-sided "
                "95% upper (lower) bound: 1 - 0.05^(1/N), about 3/N (0.05^(1/N)); P10, P50 "
                "and P90 of those exports in the goal's period.",
        page_hidden=("point",) if any(r[-1] for r in rows) else ("point", "bound"))


def _edge(goal: Any) -> str:
    """The one-sided 95% bound of a goal no sample (or every sample) reaches, as words."""
    if goal.bound is None:
        return ""
    return (f"under {memo.share(goal.bound)}" if goal.probability == 0
            else f"at least {memo.share(goal.bound)}")


def spread_table(sim: Simulation, s: Scenario) -> Table:
    cur, shift = sim.currency, _shift(sim)
    exports, point = sim.lever_exports, sim.point_exports

    def row(label: str, point: float, sp: Any, add: float = 0.0) -> tuple[Any, ...]:
        return (label, point + add, sp.mean + add, sp.p10 + add, sp.p50 + add, sp.p90 + add)

    when = _when(sim)
    rows = [row(f"exports{when}" + (", total" if shift else ""), point, exports, shift)]
    if shift:
        rows.append(row(f"lever exports{when}", point, exports))
    rows.append(row("shortfall from the target", max(0.0, sim.needed - point), sim.shortfall))
    span = (f" over {sim.periods[0]}\u2013{sim.periods[-1]}"
            if sim.periods is not None and len(sim.periods) > 1 else "")
    rows.append(row("cost" + (f", undiscounted{span}" if sim.periods else ""),
                    sim.point_cost, sim.cost))
    if sim.discounted_cost is not None and s.discount_rate:
        rows.append(row("cost, discounted", sim.point_discounted_cost, sim.discounted_cost))
    columns = (Column("measure", "measure"),
               Column("point", "at the point values", "amount", cur),
               Column("mean", "mean", "amount", cur),
               Column("p10", "P10", "amount", cur),
               Column("p50", "P50", "amount", cur),
               Column("p90", "P90", "amount", cur))
    return Table(
        "risk_spread", "What the plan delivers and costs across the samples", columns,
        tuple(rows),
        caption="P10: nine samples in ten come out above it; P50: the median; P90: one "
                "sample in ten comes out above it. Exports are a year's; the shortfall is "
                "what the lever exports miss the target by (nothing when they reach it).")


def drivers_table(sim: Simulation) -> Table:
    movers = sorted((d for d in sim.drivers if d.moves_exports), key=lambda d: -d.share)
    top = movers[:TOP_DRIVERS]
    rows = tuple((d.parameter, d.distribution, d.share, d.spearman, d.cost_share,
                  d.cost_spearman) for d in top)
    notes = [f"A linear regression on the sampled parameters explains "
             f"{memo.share(sim.r_squared)} of the variance of the exports."]
    if len(movers) > len(top):
        notes.append(f"{len(movers) - len(top)} more parameters each explain less.")
    idle = [d.parameter for d in sim.drivers if not d.moves_exports]
    if idle:
        notes.append("Not used by the plan's exports: " + ", ".join(idle) + ".")
    columns = (Column("parameter", "parameter"), Column("distribution", "distribution"),
               Column("share", "share of the variance of exports (Shapley)", "share"),
               Column("spearman", "rank correlation with exports", "number"),
               Column("cost_share", "share of the variance of cost (Shapley)", "share"),
               Column("cost_spearman", "rank correlation with cost", "number"))
    return Table(
        "risk_drivers", "What drives the exports", columns, rows, notes=tuple(notes),
        caption="The sampled parameters that move the plan's exports in the target's period "
                "most: each one's share of the variance of those exports in a linear "
                "regression on all of them, split by Shapley value (its gain in R^2 averaged "
                "over the orders of adding them: never negative, adding up to R^2, "
                "correlated parameters sharing what they explain together), and the rank "
                "correlation of its draws with them (positive: more of it, more exports). "
                "They describe the spread of the exports, not of the shortfall.",
        empty="No sampled parameter moves the plan's exports.",
        page_hidden=("cost_share", "cost_spearman"))


def certainty_table(c: Certainty) -> Table:
    cur = c.currency
    rows = []
    for p in c.points:
        note = ""
        if p.status == "limit_without_plan":
            # (--time-limit spent before this confidence's MIP could run: not out of
            # reach, not solved)
            note = "not solved: the command's time ran out first"
        elif p.status not in REACHED:
            note = ("no plan reaches it under the file's limits" if p.most_reached is None
                    else f"no plan reaches the target in any of the {c.samples:,} samples"
                    if p.most_reached == 0
                    else f"at most {p.most_reached:,} of {c.samples:,} samples "
                         f"({memo.share(p.most_reached / c.samples)}) can be reached")
        rows.append((p.confidence, STATUS.get(p.status, p.status), p.cost, p.extra_cost,
                     p.in_sample, p.out_of_sample, p.std_error, p.lower_bound, note,
                     p.required))
    cost = memo.scale_for([p.cost for p in c.points])
    extra = memo.scale_for([p.extra_cost for p in c.points])
    columns = (Column("confidence", "confidence asked", "share"),
               Column("status", "status"),
               Column("cost", c.cost_label, "money", cur, cost),
               Column("extra_cost", "extra cost", "money", cur, extra),
               Column("in_sample", "own samples", "share"),
               Column("out_of_sample", "fresh sample", "share"),
               Column("std_error", "standard error", "share"),
               Column("lower_bound", "at least (95%)", "share"),
               Column("note", "out of reach"),
               Column("required", "samples required", "count"))
    hidden = ("required",) if any(r[8] for r in rows) else ("required", "note")
    base = (memo.money(c.deterministic_cost, cur) if c.deterministic_cost is not None else
            "none: at the point values the target is out of reach")
    return Table(
        "risk_certainty", "The cost of certainty", columns, tuple(rows),
        caption=f"At each confidence, the cheapest plan found whose probability of reaching "
                "the target is at least that confidence with 95% confidence: solved to reach "
                f"it in a share of {c.samples:,} samples (seed {c.seed}; one binary per "
                "sample), raised until the one-sided Clopper-Pearson bound from "
                f"{c.fresh_samples:,} fresh samples of its own clears the confidence (at most "
                "four plans checked, each at 98.75%). Costs, ceilings and milestones keep their "
                f"point values; extra cost is over the plan for the point values ({base}).",
        page_hidden=hidden)


# -- the section ----------------------------------------------------------------------------


def risk_section(sim: Simulation | None, results: Sequence[Result], s: Scenario, currency: str,
                 rate: float, notes: Sequence[str] = ()) -> Risk:
    """The Risk section from a Simulation of the report's plan (None: no plan to hold) and
    the chance-constrained sweep (empty: none asked)."""
    shown = None if sim is None else scaled_simulation(sim, currency, rate)
    certainty = certainty_of(results, s, currency, rate)
    tables = []
    if shown is not None:
        drivers = drivers_table(shown)
        if currency != s.currency:
            drivers = dataclasses.replace(drivers, notes=(
                *drivers.notes, f"Distributions are written in {s.currency}, the scenario's "
                "reporting currency."))
        tables += [goals_table(shown), spread_table(shown, s), drivers]
    if certainty is not None:
        tables.append(certainty_table(certainty))
    extra = list(shown.notes) if shown is not None else []
    if shown is None:
        extra.insert(0, "There is no plan to hold fixed under the samples (the solver found "
                        "none).")
    chart = None if shown is None else ("fan" if shown.periods is not None else "histogram")
    return Risk(lede=tuple(_lede(shown, certainty)), tables=tuple(tables),
                notes=(*extra, *notes), simulation=shown, chart=chart, certainty=certainty)


def _how(t: Chance) -> str:
    """How often a goal is met, in words: 'in 82.0% of them (standard error ...)'."""
    return (f"in none of them ({_edge(t)} with 95% confidence)" if t.probability == 0
            else f"in all of them ({_edge(t)} with 95% confidence)" if t.probability == 1
            else f"in {memo.share(t.probability)} of them (standard error "
            f"{100 * t.std_error:.1f} points)")


def _lede(sim: Simulation | None, c: Certainty | None) -> list[str]:
    lines = []
    if sim is not None:
        cur, shift, t = sim.currency, _shift(sim), sim.target
        held = (f"Held fixed under {sim.samples:,} joint samples of the scenario's "
                f"distributions (seed {sim.seed}), the plan")
        if sim.export_target:
            lines.append(f"{held} reaches the target of {memo.money(sim.needed + shift, cur)}"
                         f"{_when(sim)} {_how(t)}.")
            ms = _goals(sim)[:-1]
        else:
            lines.append(f"{held} has no export target to reach (a requirements problem).")
            ms = _goals(sim)
        for f in sim.outcome_floors:
            outcome = f.name.split(".")[2]
            what = (f"the floor on {outcome} ({memo.count(f.needed)})"
                    if f.name.endswith(".min")
                    else f"the {f.period} milestone on {outcome} ({memo.count(f.needed)})")
            lines.append(f"It meets {what} {_how(f)}.")
        if ms:
            parts = [f"the {m.period} milestone in "
                     + ("none" if m.probability == 0 else memo.share(m.probability))
                     for m in ms]
            lines.append("It meets " + (parts[0] if len(parts) == 1 else
                                        ", ".join(parts[:-1]) + " and " + parts[-1]) + ".")
        e, cost = sim.lever_exports, sim.cost
        what = "Total exports" if shift else "Lever exports"
        lines.append(
            f"{what}{_when(sim)}: P50 {memo.money(e.p50 + shift, cur)} (P10 "
            f"{memo.money(e.p10 + shift, cur)}, P90 {memo.money(e.p90 + shift, cur)}); cost: "
            f"P50 {memo.money(cost.p50, cur)} (P10 {memo.money(cost.p10, cur)}, P90 "
            f"{memo.money(cost.p90, cur)}).")
        movers = sorted((d for d in sim.drivers if d.moves_exports), key=lambda d: -d.share)
        if movers and movers[0].share > 0:
            lines.append(f"The largest driver of the exports is {movers[0].parameter} "
                         f"({memo.share(movers[0].share)} of their variance).")
    if c is not None:
        lines += _certainty_lede(c)
    return lines


def _certainty_lede(c: Certainty) -> list[str]:
    cur = c.currency
    reached = [p for p in c.points if p.status in REACHED and p.cost is not None]
    out = [p for p in c.points if p.status not in REACHED and p.status != "not_proven"]
    unsure = [p for p in c.points if p.status == "not_proven"]
    lines = []
    if reached:
        top = max(reached, key=lambda p: p.confidence)
        extra = ("" if top.extra_cost is None else
                 f", {memo.money(top.extra_cost, cur)} more than the plan for the point values")
        fresh = ("" if top.out_of_sample is None or top.lower_bound is None else
                 f"; it reaches {memo.share(top.out_of_sample)} of {c.fresh_samples:,} fresh "
                 f"samples, at least {memo.share(top.lower_bound)} with 95% confidence")
        how = " discounted" if "discounted" in c.cost_label else ""
        lines.append(f"The cheapest plan found that reaches the target with a probability of "
                     f"at least {_pct(top.confidence)} (95% confidence) costs "
                     f"{memo.money(top.cost, cur)}{how}{extra}{fresh}.")
    if unsure:
        lines.append("No plan found was shown to reach the target with a probability of "
                     f"at least {_pct(min(p.confidence for p in unsure))} with 95% confidence.")
    if out and any(p.most_reached == 0 for p in out):
        lines.append(f"No plan reaches the target in any of the {c.samples:,} samples under "
                     "the file's limits.")
    elif out:
        low = min(out, key=lambda p: p.confidence)
        most = ("" if low.most_reached is None else
                f": at most {low.most_reached:,} of the {c.samples:,} samples can be reached")
        lines.append(f"Reaching it in {_pct(low.confidence)} of them is out of reach{most}.")
    return lines


def _pct(share: float) -> str:
    """A confidence in a sentence: 80%, 92.5%."""
    return memo.share(share).replace(".0%", "%")
