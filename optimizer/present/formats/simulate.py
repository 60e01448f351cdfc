"""A simulation (``optimizer.analyses.simulate.Simulation``) and a re-optimisation
(``optimizer.analyses.reoptimize.Reoptimized``) as a table, JSON or Markdown.

Plain functions of plain data: the objects are taken as they come (this layer may
not import ``optimizer.analyses.simulate``), no Pyomo, no NumPy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from optimizer.numbers import clean
from optimizer.numbers.exact import count, money, share
from optimizer.present.formats import layout, tables
from optimizer.present.views.model import Column, Table
from optimizer.results.reoptimized import Reoptimized
from optimizer.results.simulation import Simulation, Spread


def _num(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    value = float(value)
    return clean(value) if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    """Dataclasses, mappings and sequences as JSON data: period keys as text, no NaN."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return _num(value)


def _se(se: float) -> str:
    """A standard error in percentage points, to two significant figures."""
    points = 100 * se
    if points == 0:
        return "0"
    return f"{points:.0f}" if points >= 10 else f"{points:#.2g}"


# -- simulation ---------------------------------------------------------------------------


def simulation_dict(sim: Simulation) -> dict[str, Any]:
    """The simulation as JSON data."""
    data = {
        "scenario": sim.scenario,
        "scenario_file": sim.scenario_file,
        "scenario_sha256": sim.scenario_sha256,
        "currency": sim.currency,
        "samples": sim.samples,
        "seed": sim.seed,
        "plan": {
            "source": sim.plan_source,
            "status": sim.plan_status,
            "units": {lid: [_num(x) for x in units] for lid, units in sim.units.items()},
        },
        "periods": None if sim.periods is None else list(sim.periods),
        "needed_exports": _num(sim.needed),
        "baseline": _num(sim.baseline),
        "includes_baseline": sim.includes_baseline,
        "probability": _num(sim.target.probability),
        "std_error": _num(sim.target.std_error),
        "target": _plain(sim.target),
        "milestones": _plain(sim.milestones),
        "lever_exports": _plain(sim.lever_exports),
        "total_exports": _plain(sim.total_exports),
        "shortfall": _plain(sim.shortfall),
        "shortfall_when_short": _plain(sim.shortfall_when_short),
        "cost": _plain(sim.cost),
        "discounted_cost": _plain(sim.discounted_cost),
        "point_values": {
            "lever_exports": _num(sim.point_exports),
            "cost": _num(sim.point_cost),
            "discounted_cost": _num(sim.point_discounted_cost),
        },
        "exports_by_period": None if sim.periods is None else _plain(sim.exports_by_period),
        "drivers": _plain(sim.drivers),
        "r_squared": _num(sim.r_squared),
        "cost_r_squared": _num(sim.cost_r_squared),
        "histogram": _plain(sim.histogram),
        "notes": list(sim.notes),
        "seconds": _num(round(sim.seconds, 6)),
    }
    if sim.outcome_floors:
        # (only for a file with floors on other outcomes: every other file's JSON is
        # as it was)
        data["outcome_floors"] = _plain(sim.outcome_floors)
    if not sim.export_target:
        # no export target: nothing to reach, so no probability of reaching it
        data.update(needed_exports=None, probability=None, std_error=None, target=None)
    return data


def render_simulation_json(sim: Simulation) -> str:
    return json.dumps(simulation_dict(sim), indent=2, allow_nan=False) + "\n"


def _where(sim: Simulation) -> str:
    return "" if sim.periods is None else f" in {sim.periods[-1]}"


def headline(sim: Simulation) -> list[str]:
    """The plan, the target, and how likely the plan reaches it and each milestone."""
    cur = sim.currency
    source = ("the optimum at the point values" if sim.plan_source == "optimum"
              else f"read from {sim.plan_source}")
    lines = [f"Plan: {source} ({sim.plan_status}), held fixed in every sample."]
    if not sim.export_target:
        lines.append("Target: no export target (a requirements problem); its floors:")
    target = (f"Target: lever exports of at least {money(sim.needed, cur, 0)} a year"
              f"{_where(sim)}")
    if sim.baseline:
        total = sim.needed + sim.baseline
        target += f" (with the baseline of {money(sim.baseline, cur, 0)}: {money(total, cur, 0)})"
    t = sim.target
    if sim.export_target:
        lines.append(target + ".")
        lines.append(f"Probability of reaching the target: "
                     f"{probability_text(t, sim.samples, f'seed {sim.seed}')}.")
    for m in sim.milestones:
        lines.append(f"Probability of milestone {m.period} ({money(m.needed, cur, 0)}): "
                     f"{probability_text(m, sim.samples)}.")
    for f in sim.outcome_floors:
        outcome = f.name.split(".")[2]
        what = (f"the floor on {outcome}" if f.name.endswith(".min")
                else f"{outcome} milestone {f.period}")
        when = "" if sim.periods is None or not f.name.endswith(".min") else f" in {f.period}"
        lines.append(f"Probability of {what} ({count(f.needed)}{when}): "
                     f"{probability_text(f, sim.samples)}.")
    short, missed = sim.shortfall, sim.shortfall_when_short
    if missed is not None and sim.export_target:
        if short.p90 > 0:
            worst = f"{money(short.p90, cur, 0)} or more in the worst 10%"
        else:  # fewer than one sample in ten falls short: their P90 would be 0
            worst = (f"the {share(1 - t.probability)} of samples that fall short miss by "
                     f"{money(missed.mean, cur, 0)} on average, {money(missed.high, cur, 0)} "
                     "at worst")
        lines.append(f"Shortfall: {money(short.mean, cur, 0)} a year on average over all "
                     f"samples; {worst}.")
    return lines


def probability_text(goal: Any, samples: int, seed: str = "") -> str:
    """A probability with what the samples say about its error: the Monte-Carlo standard
    error, or where none (or all) of them reach the goal, a one-sided 95% bound."""
    more = f", {seed}" if seed else ""
    if goal.bound is not None and goal.probability == 0:
        return (f"none of the {samples:,} samples{more} reach it: below {share(goal.bound)} "
                "with 95% confidence (1 - 0.05^(1/N), about 3/N)")
    if goal.bound is not None and goal.probability == 1:
        return (f"all {samples:,} samples{more} reach it: at least {share(goal.bound)} with "
                "95% confidence (0.05^(1/N))")
    counted = f"; {samples:,} samples{more}" if seed else ""
    return (f"{share(goal.probability)} (Monte-Carlo standard error {_se(goal.std_error)} "
            f"points{counted})")


def _money_column(key: str, label: str) -> Column:
    """A column of money whose currency the table names once."""
    return Column(key, label, "money", decimals=0, bare=True)


def spread_table(sim: Simulation) -> Table:
    """Mean, P10, P50 and P90 across the samples of what the plan delivers and costs,
    beside its figure at the point values."""
    cur = sim.currency
    columns = (Column("quantity", ""), *[_money_column(k, label) for k, label in (
        ("mean", "mean"), ("p10", "P10"), ("p50", "P50"), ("p90", "P90"),
        ("point", "at point values"))])
    rows: list[tuple[str, Spread, float]] = [
        (f"lever exports{_where(sim)} ({cur}/yr)", sim.lever_exports, sim.point_exports)]
    if sim.baseline:
        rows.append((f"total exports{_where(sim)} ({cur}/yr)", sim.total_exports,
                     sim.point_exports + sim.baseline))
    rows += [
        (f"shortfall ({cur}/yr)", sim.shortfall, max(sim.needed - sim.point_exports, 0.0)),
        (f"cost ({cur})", sim.cost, sim.point_cost),
    ]
    if sim.discounted_cost is not None:
        rows.append((f"discounted cost ({cur})", sim.discounted_cost,
                     sim.point_discounted_cost))
    return Table("spread", "The spread", columns,
                 tuple((label, s.mean, s.p10, s.p50, s.p90, point) for label, s, point in rows),
                 style="exact")


def period_table(sim: Simulation) -> Table:
    """Lever exports by period across the samples, and each goal's probability."""
    goals = {str(m.period): m for m in sim.milestones}
    goals[str(sim.target.period)] = sim.target
    columns = (Column("period", "period"), _money_column("p10", f"P10 ({sim.currency}/yr)"),
               _money_column("p50", "P50"), _money_column("p90", "P90"),
               _money_column("goal", "goal"),
               Column("probability", "probability", "share"))
    rows = []
    for p, s in sim.exports_by_period.items():
        goal = goals.get(str(p))
        rows.append((str(p), s.p10, s.p50, s.p90, None if goal is None else goal.needed,
                     None if goal is None else goal.probability))
    return Table("periods", "Lever exports by period", columns, tuple(rows), style="exact")


def driver_table(sim: Simulation, cost: bool) -> tuple[Table, list[str]]:
    """The parameters that move exports (or the cost), largest share first, and the names
    of those that do not."""
    what = "cost" if cost else "exports"
    columns = (Column("parameter", "parameter"), Column("distribution", "distribution"),
               Column("share", f"share of {what} variance (Shapley)", "share"),
               Column("rank_correlation", "rank correlation", "number", decimals=3,
                      signed=True))
    ranked = sorted(sim.drivers, key=lambda d: (-abs(d.cost_share if cost else d.share),
                                                -abs(d.cost_spearman if cost else d.spearman),
                                                d.parameter))
    rows, idle = [], []
    for d in ranked:
        share, rho = (d.cost_share, d.cost_spearman) if cost else (d.share, d.spearman)
        if d.moves_cost if cost else d.moves_exports:
            rows.append((d.parameter, d.distribution, share, rho))
        else:
            idle.append(d.parameter)
    return Table(f"drivers_{what}", f"What drives the {what}", columns, tuple(rows),
                 style="exact"), idle


def _driver_lines(sim: Simulation, cost: bool) -> list[str]:
    table, idle = driver_table(sim, cost)
    r2 = sim.cost_r_squared if cost else sim.r_squared
    lines = []
    if table.rows:
        lines += _text(table)
    else:
        lines.append("No parameter moves it.")
    if table.rows:
        lines.append(f"A linear regression on the parameters above explains {share(r2)} of its "
                     "variance.")
    if idle:
        lines.append("Not used by the plan's arithmetic: " + ", ".join(idle) + ".")
    return lines


_DRIVERS_NOTE = (
    "Share: of the variance across samples, what each parameter explains in a linear "
    "regression on all of them, split by Shapley value (its gain in R^2 averaged over the "
    "orders of adding the parameters: never negative, the shares add up to R^2, and "
    "correlated parameters share what they explain together). Rank correlation: "
    "Spearman's, of the parameter's draws with the quantity (> 0: more of the parameter, "
    "more of it). They describe the spread of the exports, not of the shortfall (the "
    "target less the exports, in the samples that fall short).")


def _text(table: Table) -> list[str]:
    """Header, rule, rows; widths in code points (measure=len), as before the layout."""
    return layout.text(tables.grid(table, ""), measure=len)


def render_simulation_table(sim: Simulation) -> str:
    title = (f"{layout.one_line(sim.scenario)}: the plan under uncertainty "
             f"({sim.samples:,} samples, seed {sim.seed})")
    lines = [title, "", *headline(sim), ""]
    lines += [*_text(spread_table(sim)), ""]
    if sim.periods is not None:
        lines += ["Lever exports by period:", *_text(period_table(sim)), ""]
    lines += [f"What drives the exports (the spread of lever exports{_where(sim)}):",
              *_driver_lines(sim, cost=False), ""]
    lines += ["What drives the cost:", *_driver_lines(sim, cost=True), ""]
    lines += [_DRIVERS_NOTE]
    lines += list(sim.notes)
    lines.append(f"Sampling and evaluation took {sim.seconds:.2f} s.")
    return "\n".join(lines) + "\n"


def _md_table(table: Table) -> list[str]:
    """escape_cells="pipes": as before the layout, runs of spaces in a lever's name or a
    period's label stay as written (a line break is a space: it would split the row)."""
    return layout.markdown(tables.grid(table, ""), escape_cells="pipes")


def render_simulation_markdown(sim: Simulation) -> str:
    lines = [f"## {layout.heading(sim.scenario)}: the plan under uncertainty", "",
             *[f"- {layout.heading(line)}" for line in headline(sim)], ""]
    lines += _md_table(spread_table(sim)) + [""]
    if sim.periods is not None:
        lines += ["### Lever exports by period", "", *_md_table(period_table(sim)), ""]
    for cost, title in ((False, "What drives the exports"), (True, "What drives the cost")):
        table, idle = driver_table(sim, cost)
        lines += [f"### {title}", ""]
        if table.rows:
            r2 = sim.cost_r_squared if cost else sim.r_squared
            lines += _md_table(table)
            lines += ["", f"A linear regression on the parameters above explains {share(r2)} of "
                          "the variance."]
        else:
            lines.append("No parameter moves it.")
        if idle:
            lines += ["", "Not used by the plan's arithmetic: "
                      + ", ".join(f"`{x}`" for x in idle) + "."]
        lines.append("")
    lines += [f"- {_DRIVERS_NOTE}", *[f"- {layout.heading(note)}" for note in sim.notes],
              f"- {sim.samples:,} samples, seed {sim.seed}; sampling and evaluation took "
              f"{sim.seconds:.2f} s."]
    return "\n".join(lines) + "\n"


SIMULATION_RENDERERS: dict[str, Callable[[Any], str]] = {
    "table": render_simulation_table,
    "json": render_simulation_json,
    "markdown": render_simulation_markdown,
}


# -- re-optimisation ------------------------------------------------------------------------


def _percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between order statistics (NumPy's default);
    infinite where it falls on or toward an infinite value (a sample without a plan)."""
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    if math.isinf(ordered[low]) or (pos > low and math.isinf(ordered[high])):
        return math.inf
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def reoptimized_summary(r: Reoptimized) -> dict[str, Any]:
    """P10/P50/P90 of the optimal cost over every sample, one without a plan counted as
    infinitely dear (``cost``: infinite, null in JSON, where a percentile falls among
    them); mean and percentiles over the samples with a plan only (``cost_with_plan``);
    the share of samples without one; each lever's mean, P10 and P90 share of spend."""
    costs = [c for c in r.costs if c is not None and math.isfinite(c)]
    every = [c if c is not None and math.isfinite(c) else math.inf for c in r.costs]
    total = len(r.costs)
    statuses: dict[str, int] = {}
    for status in r.statuses:
        statuses[status] = statuses.get(status, 0) + 1
    feasible = [i for i, c in enumerate(r.costs) if c is not None]
    shares = {}
    for lid, values in r.shares.items():
        kept = [values[i] for i in feasible
                if i < len(values) and values[i] is not None and math.isfinite(values[i])]
        shares[lid] = {"mean": _mean(kept), "p10": _percentile(kept, 10),
                       "p90": _percentile(kept, 90)}
    return {
        "samples": r.samples,
        "seed": r.seed,
        "cost": {"p10": _percentile(every, 10), "p50": _percentile(every, 50),
                 "p90": _percentile(every, 90)},
        "cost_with_plan": {"mean": _mean(costs), "p10": _percentile(costs, 10),
                           "p50": _percentile(costs, 50), "p90": _percentile(costs, 90)},
        "infeasible_share": (total - len(costs)) / total if total else None,
        "infeasible": total - len(costs),
        "statuses": statuses,
        "shares": shares,
        "seconds": r.seconds,
        "solves_per_second": r.solves_per_second,
    }


def render_reoptimized_json(r: Reoptimized, scenario: str, currency: str) -> str:
    data = {"scenario": scenario, "currency": currency, **_plain(reoptimized_summary(r))}
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _reoptimized_cells(r: Reoptimized, currency: str, labels: dict[str, str]
                       ) -> tuple[list[str], Table]:
    summary = reoptimized_summary(r)
    c, kept = summary["cost"], summary["cost_with_plan"]
    lines = [
        f"Optimal cost ({currency}; the objective, discounted where the scenario discounts), "
        f"over all {summary['samples']:,} samples, one without a plan counted as infinitely "
        "dear: " + ", ".join(f"{k.upper()} {_cost(c[k])}" for k in ("p10", "p50", "p90"))
        + ".",
        f"No plan (infeasible, or no solution): {summary['infeasible']:,} of "
        f"{summary['samples']:,} samples ({share(summary['infeasible_share'] or 0.0)}).",
    ]
    if summary["infeasible"] and kept["mean"] is not None:
        lines.append(
            f"Over the {summary['samples'] - summary['infeasible']:,} samples with a plan "
            "only: " + ", ".join(f"{k.upper()} {_cost(kept[k])}" for k in ("p10", "p50", "p90"))
            + f", mean {_cost(kept['mean'])}.")
    elif kept["mean"] is not None:
        lines[0] = lines[0][:-1] + f", mean {_cost(kept['mean'])}."
    lines += [
        "Statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(summary["statuses"].items()))
        + ".",
    ]
    errors = getattr(r, "errors", None) or {}
    for i, message in list(errors.items())[:3]:
        lines.append(f"Sample {i}: {message}")
    columns = (Column("lever", "lever"), Column("mean", "mean share of spend", "share"),
               Column("p10", "P10", "share"), Column("p90", "P90", "share"))
    rows = tuple((labels.get(lid, lid), s["mean"], s["p10"], s["p90"])
                 for lid, s in summary["shares"].items())
    return lines, Table("shares", "Share of spend", columns, rows, style="exact")


def _cost(value: float | None) -> str:
    return ("no plan" if value is not None and math.isinf(value)
            else money(value, "", 0) if value is not None else "none")


def _speed(r: Reoptimized) -> str:
    return (f"{len(r.costs):,} solves in {r.seconds:.2f} s ({r.solves_per_second:,.1f} solves "
            "a second).")


def render_reoptimized_table(r: Reoptimized, scenario: str, currency: str,
                             labels: dict[str, str] | None = None) -> str:
    lines, table = _reoptimized_cells(r, currency, labels or {})
    title = (f"{layout.one_line(scenario)}: re-optimised under each of {r.samples:,} samples "
             f"(seed {r.seed})")
    return "\n".join([title, "", *lines, "", *_text(table), "", _speed(r)]) + "\n"


def render_reoptimized_markdown(r: Reoptimized, scenario: str, currency: str,
                                labels: dict[str, str] | None = None) -> str:
    lines, table = _reoptimized_cells(r, currency, labels or {})
    out = [f"## {layout.heading(scenario)}: re-optimised under each of {r.samples:,} samples",
           "",
           *[f"- {layout.heading(line)}" for line in lines], "", *_md_table(table), "",
           f"- {_speed(r)} Seed {r.seed}."]
    return "\n".join(out) + "\n"
