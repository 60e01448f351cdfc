"""Renderers: plain functions from a Result to text. No Pyomo, no models.

The CLI picks one from :data:`RENDERERS` by the ``--format`` name. Every table here
(and in the other command modules: sweep, compare, chance, simulate) is a views
Table in the exact style, built by one function (:func:`allocation_table`,
:func:`period_table`) and written by :mod:`optimizer.present.formats.tables`: a
layout Grid for text and Markdown, or CSV. The sentences under it word their figures
with optimizer.numbers.exact, as results.messages does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from optimizer.numbers.exact import count, decimals_for, money, number
from optimizer.present.formats import layout, tables
from optimizer.present.views.model import Column, Quantity, Table, pick
from optimizer.results import Result
from optimizer.results.result_file import ResultFile

Renderer = Callable[[Result], str]

_PLAN_TITLES = {
    "optimal": "Optimal allocation",
    "best_found": "Best allocation found (NOT proven optimal)",
    "most_exports_reachable": "Most exports reachable (does NOT meet the target)",
    "none": "No allocation",
}


def allocation_records(result: Result) -> list[dict[str, Any]]:
    """The allocation as result.json writes it (result_file.ResultFile)."""
    return list(ResultFile.of(result).document()["allocation"])


def to_dict(result: Result) -> dict[str, Any]:
    """The result JSON of the spec (section 3), plus a few documented extras."""
    return ResultFile.of(result).document()


def render_json(result: Result) -> str:
    return ResultFile.of(result).text()


def allocation_table(result: Result) -> Table:
    """The allocation, one row per enabled lever, with the numbers result.json writes (an
    integer lever's units rounded whole, no round-off dust); the total row under it. The
    page leaves out the lever's id (the CSV's first column)."""
    cur = result.currency
    if result.periods is not None:
        first, last = result.periods[0], result.periods[-1]
        units, spend, exports, per = ("units funded", f"spend ({cur}, {first}-{last})",
                                      f"exports ({cur}, {last})", "spend per export")
    else:
        units, spend, exports, per = ("units", f"spend ({cur})", f"exports ({cur}/yr)",
                                      "cost per export")
    records = allocation_records(result)
    base = (
        Column("lever", "lever id"),
        Column("name", "lever"),
        Column("units", units, "count"),
        Column("unit", "unit"),
        Column("spend", spend, "money", bare=True, decimals=decimals_for(
            [result.total_cost, *(rec["spend"] for rec in records)])),
        Column("exports", exports, "money", bare=True, decimals=decimals_for(
            [result.lever_exports, *(rec["exports"] for rec in records)])),
        Column("cost_per_export", per, "number"),
        Column("share_of_exports", "share", "share"),
    )
    # the other outcomes (spec section 5), each in its own unit, last period
    outcomes = tuple(Column(f"outcome.{o.outcome}", f"{o.name} ({o.unit}"
                            + (f", {result.periods[-1]})" if result.periods else ")"), "count")
                     for o in result.outcomes)
    columns = base + outcomes
    rows = tuple((*(rec[c.key] for c in base),
                  *(rec["outcomes"][o.outcome] for o in result.outcomes)) for rec in records)
    total = ("", "total", "", "", result.total_cost, result.lever_exports, "", "",
             *(o.total for o in result.outcomes))
    return Table("allocation", _PLAN_TITLES[result.plan], columns, rows, (total,),
                 page_hidden=("lever",), style="exact")


CSV_COLUMNS = ("lever", "name", "unit", "units", "spend", "exports", "cost_per_export",
               "share_of_exports")
"""The allocation CSV's columns: result.json's fields, in its order."""


def period_table(result: Result) -> Table:
    """Lever x period: units funded, active units, spend, exports; then the totals (spend
    and exports). Each period's column mixes counts and money: each cell says which."""
    assert result.periods is not None
    labels = [str(p) for p in result.periods]
    money_figures = [rec["by_period"][p][key] for rec in allocation_records(result)
                     for p in labels for key in ("spend", "exports")]
    places = decimals_for([*money_figures, result.total_cost, result.lever_exports])
    columns = (Column("lever", "lever"), Column("measure", ""),
               *[Column(p, p, "mixed", decimals=places, bare=True) for p in labels])
    rows: list[tuple[Any, ...]] = []
    outcomes = [(o.outcome, o.name) for o in result.outcomes]
    for rec in allocation_records(result):
        for i, (key, label, kind) in enumerate(_PERIOD_ROWS):
            rows.append((rec["name"] if i == 0 else "", label,
                         *[Quantity(rec["by_period"][p][key], kind) for p in labels]))
        for o, name in outcomes:  # (each other outcome, in its own unit)
            rows.append(("", name, *[Quantity(rec["by_period"][p]["outcomes"][o], "count")
                                     for p in labels]))
    totals = tuple(
        (name, label, *[Quantity((series or {}).get(p, 0.0), "money") for p in result.periods])
        for name, label, series in (("total", "spend", result.spend_by_period),
                                    ("", "exports", result.exports_by_period)))
    totals += tuple(("", o.name, *[Quantity((o.by_period or {}).get(p, 0.0), "count")
                                   for p in result.periods]) for o in result.outcomes)
    return Table("periods", "By period", columns, tuple(rows), totals, style="exact")


_PERIOD_ROWS = (("units", "funded", "count"), ("active", "active", "count"),
                ("spend", "spend", "money"), ("exports", "exports", "money"))


def periods_csv_table(result: Result) -> Table:
    """Long format: one row per lever and period (written as periods.csv)."""
    columns = (Column("lever", "lever"), Column("period", "period"),
               *[Column(key, label, kind) for key, label, kind in _PERIOD_ROWS],
               *[Column(f"outcome.{o.outcome}", o.outcome, "count") for o in result.outcomes])
    rows = tuple((rec["lever"], period, *[q[key] for key, _, _ in _PERIOD_ROWS],
                  *[q["outcomes"][o.outcome] for o in result.outcomes])
                 for rec in allocation_records(result)
                 for period, q in rec.get("by_period", {}).items())
    return Table("periods_long", "By period", columns, rows, style="exact")


def render_periods_csv(result: Result) -> str:
    """Long format: one line per lever and period (written as periods.csv)."""
    return tables.csv_text(periods_csv_table(result))


def render_csv(result: Result) -> str:
    return tables.csv_text(pick(allocation_table(result), (
        *CSV_COLUMNS, *(f"outcome.{o.outcome}" for o in result.outcomes))))


def _summary(result: Result) -> list[str]:
    cur = result.currency
    lines = []
    if result.lever_exports is not None and not result.export_target:
        lines.append(f"Lever exports {money(result.lever_exports, cur)} a year (no export "
                     "target).")
    elif result.lever_exports is not None:
        lines.append(
            f"Lever exports {money(result.lever_exports, cur)} a year "
            f"(needed {money(result.needed_exports, cur)}); with the baseline of "
            f"{money(result.baseline, cur)}, total exports {money(result.total_exports, cur)}."
        )
    for o in result.outcomes:
        # (an outcome besides exports: its own unit, no baseline; spec section 5)
        floor = "" if o.needed is None else f" (needed {count(o.needed)})"
        lines.append(f"{o.name} {count(o.total)} {o.unit}{floor}.")
    if result.objective == "max_outcomes" and result.goal_value is not None:
        lines.append(f"Maximised: {goal_phrase(result, result.goal_value)}.")
    if result.objective == "max_exports" and result.lever_exports is not None \
            and result.export_target:
        short = money(result.needed_exports - result.lever_exports, cur)
        lines.append(
            "The target is not imposed under max_exports: it is "
            + ("reached." if result.target_met else f"NOT reached (short by {short}).")
        )
    if result.total_cost is not None:
        ceiling = (
            "no ceiling" if result.budget_ceiling is None
            else f"ceiling {money(result.budget_ceiling, cur)}"
        )
        lines.append(f"Total cost {money(result.total_cost, cur)} ({ceiling}).")
        if result.periods is not None and result.discounted_cost != result.total_cost:
            lines.append(f"Discounted cost {money(result.discounted_cost, cur)} (the objective).")
    if result.chance is not None and result.chance.in_sample is not None:
        c = result.chance
        if c.out_of_sample is not None and c.lower_bound is not None:
            said = ("at least" if c.certified else "not shown to be at least")
            lines.append(
                f"Chance-constrained at {c.confidence:.0%}: the probability of reaching the "
                f"target is {said} {c.confidence:.0%} with 95% confidence (lower bound "
                f"{c.lower_bound:.2%}: it reaches it in {c.out_of_sample:.2%}, standard "
                f"error {c.out_of_sample_std_error or 0:.2%}, of {c.fresh_samples:,} fresh "
                f"samples, seed {c.fresh_seed}); solved to reach it in {c.in_sample:.1%} of "
                f"{c.samples:,} samples (seed {c.seed}"
                f"{'' if c.checks <= 1 else f'; {c.checks} plans checked'}).")
        if c.extra_cost is not None and c.deterministic_cost is not None:
            lines.append(f"Certainty costs {money(c.extra_cost, cur)} more than the plan "
                         f"for the point values ({money(c.deterministic_cost, cur)}).")
    curves = [f"{r.lever}: {r.formulation.replace('_', ' ')}"
              for r in result.rows if r.formulation != "linear"]
    if curves:
        lines.append("Yield curves: " + "; ".join(curves) + ".")
    if result.next_step is not None:
        step, cost = result.next_step
        discounted = (" of discounted cost" if result.discounted_cost is not None
                      and result.discounted_cost != result.total_cost else "")
        if cost is None:
            lines.append(f"The target cannot be raised by {money(step, cur)}: it is at the "
                         "edge of what the limits allow.")
        else:
            # (per unit as well: the figure compare, --variant all and the JSON quote)
            lines.append(f"One more {money(step, cur)} of exports costs "
                         f"{money(cost, cur)}{discounted} (re-solved): a marginal cost of "
                         f"{number(result.marginal_cost_resolved)} per 1 {cur} of exports.")
        dual = result.marginal_cost_of_target
        if result.marginal_cost_basis == "lp" and dual is not None and (
                cost is None or abs(dual * step - cost) > 1e-6 * max(1.0, abs(cost))):
            lines.append(f"The target row's dual prices it at {money(dual * step, cur)}: "
                         "the slope differs on either side of this plan.")
    if result.binding:
        lines.append("Binding: " + ", ".join(result.binding) + ".")
    gap = result.solver.mip_gap
    lines.append(
        f"Solver: HiGHS {result.solver.version}, {result.solver.seconds:.3f} s, "
        f"gap {'-' if gap is None else f'{gap:.2g}'}."
    )
    proof = proof_sentence(result)
    if proof:
        lines.append(proof)
    # (why it is not optimal is a message: the command writes it to stderr)
    return lines


PROOF_METHODS = {
    "lp_dual": "a bound computed here from HiGHS's duals",
    "lp_dual_relaxation": "a bound computed here from the duals of the model with whole "
                          "units relaxed, then rounded",
    "mip_relaxation_bound": "a bound computed here from the duals of the MIP's LP "
                            "relaxation, which meets the plan",
    "mip_dual_bound": "HiGHS's branch-and-bound bound, and a second solve under 1e-9 "
                      "tolerances found nothing better",
    "mip_dual_bound_only": "HiGHS's branch-and-bound bound",
    "strict_resolve": "a second solve from scratch under 1e-9 tolerances found no plan either",
}


def proof_sentence(result: Result) -> str:
    """What proves the answer, in one sentence ('' when nothing is claimed)."""
    c = result.solver.certificate
    if c is None or not c.proven:
        return ""
    cur, how = result.currency, PROOF_METHODS.get(c.method, c.method)
    if c.kind == "infeasible":
        if not math.isfinite(c.bound):
            return f"Proven infeasible: {how}."
        return (f"Proven out of reach: no plan adds more than {money(c.bound, cur)} of "
                f"exports ({how}).")
    if c.quantity == "lever_exports":
        return (f"Proven optimal: no plan adds more than {money(c.bound, cur)} of exports "
                f"({how}; gap {c.gap:.2g}).")
    if c.quantity == "goal":
        return (f"Proven optimal: no plan reaches more than {goal_phrase(result, c.bound)} "
                f"({how}; gap {c.gap:.2g}).")
    what = "discounted; " if result.periods else ""
    return (f"Proven optimal: no plan costs less than {money(c.bound, cur)} ({what}"
            f"{how}; gap {c.gap:.2g}).")


def goal_phrase(result: Result, value: float) -> str:
    """An amount of what a max objective maximises: "140 jobs (Jobs)", or of a
    weighted sum "150,000 (1 x Jobs in jobs + 4 x Women's jobs in jobs)" (exports
    in the currency a year)."""
    terms = result.goal_terms
    if len(terms) == 1:
        _, name, unit = terms[0]
        return f"{count(value)} {unit} ({name})"
    return f"{count(value)} (" + " + ".join(
        f"{number(w)} x {name} in {unit}" for w, name, unit in terms) + ")"


def _allocation(result: Result) -> layout.Grid:
    return tables.grid(allocation_table(result), result.currency)


def _by_period(result: Result) -> layout.Grid:
    return tables.grid(period_table(result), result.currency)


def _changed(result: Result) -> list[str]:
    """The line under a title that says which values are not the file's."""
    if not result.overrides:
        return []
    return ["Changed from the file: " + "; ".join(
        f"{o.path} = {o.value} ({o.source})" for o in result.overrides) + "."]


def render_table(result: Result) -> str:
    title = (f"{layout.one_line(result.scenario)}: {_PLAN_TITLES[result.plan]} "
             f"[{result.objective}, {result.status}]")
    lines = [title, *_changed(result), ""]
    if result.plan != "none":
        # measure=len: widths in code points, as before the layout (a wide character in
        # a lever's name pushes its row out of line; the bytes stay the same)
        lines += [*layout.text(_allocation(result), measure=len), ""]
        if result.periods is not None:
            measures = "spend and exports" if not result.outcomes else \
                "spend, exports, " + ", ".join(o.name for o in result.outcomes)
            lines += [f"By period (units funded, active units, {measures}; "
                      f"{result.currency}):", "",
                      *layout.text(_by_period(result), measure=len), ""]
    lines += _summary(result)
    return "\n".join(lines) + "\n"


def render_markdown(result: Result) -> str:
    # escape_cells="pipes": as before the layout, runs of spaces in a lever's name are
    # written as they are (a line break is a space: it would split the row; a '|' in a
    # period's label is escaped: it would add a column)
    lines = [f"## {layout.escape(result.scenario, 'pipes')}", "",
             f"**{_PLAN_TITLES[result.plan]}** (objective `{result.objective}`, "
             f"status `{result.status}`)", *map(layout.heading, _changed(result)), ""]
    if result.plan != "none":
        lines += [*layout.markdown(_allocation(result), escape_cells="pipes"), ""]
        if result.periods is not None:
            lines += [f"**By period** ({result.currency})", "",
                      *layout.markdown(_by_period(result), escape_cells="pipes",
                                       strong_totals=False), ""]
    lines += [f"- {layout.heading(line)}" for line in _summary(result)]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
    "markdown": render_markdown,
}
