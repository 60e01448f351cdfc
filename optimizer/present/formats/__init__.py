"""Renderers: plain functions from a Result to text. No Pyomo, no models.

The CLI picks one from :data:`RENDERERS` by the ``--format`` name.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from typing import Any

from optimizer.numbers import clean
from optimizer.numbers.exact import count, money
from optimizer.present.formats import layout
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


def render_periods_csv(result: Result) -> str:
    """Long format: one line per lever and period (written as periods.csv)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["lever", "period", "units", "active", "spend", "exports"])
    for rec in allocation_records(result):
        for period, q in rec.get("by_period", {}).items():
            writer.writerow([rec["lever"], period, q["units"], q["active"], q["spend"],
                             q["exports"]])
    return buf.getvalue()


def render_csv(result: Result) -> str:
    buf = io.StringIO()
    rows = allocation_records(result)
    columns = ["lever", "name", "unit", "units", "spend", "exports", "cost_per_export",
               "share_of_exports"]
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in columns})
    return buf.getvalue()


def _cells(result: Result) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, body rows and total row of the allocation, formatted for people."""
    cur = result.currency
    if result.periods is not None:
        first, last = result.periods[0], result.periods[-1]
        header = ["lever", "units funded", "unit", f"spend ({cur}, {first}-{last})",
                  f"exports ({cur}, {last})", "spend per export", "share"]
    else:
        header = ["lever", "units", "unit", f"spend ({cur})", f"exports ({cur}/yr)",
                  "cost per export", "share"]
    body = []
    for rec in result.rows:
        cpe = rec.cost_per_export
        share = rec.share_of_exports
        body.append([
            rec.name,
            count(rec.units, rec.integer),
            rec.unit,
            f"{clean(rec.spend):,.0f}",
            f"{clean(rec.exports):,.0f}",
            "-" if cpe is None or (isinstance(cpe, float) and math.isnan(cpe)) else f"{cpe:.4g}",
            "-" if share is None or (isinstance(share, float) and math.isnan(share))
            else f"{share:.1%}",
        ])
    total = ["total", "", "",
             "-" if result.total_cost is None else f"{result.total_cost:,.0f}",
             "-" if result.lever_exports is None else f"{result.lever_exports:,.0f}", "", ""]
    return header, body, total


def _period_cells(result: Result) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Lever x period: units funded, active units, spend, exports; then the totals (spend
    and exports)."""
    assert result.periods is not None
    periods = list(result.periods)
    header = ["lever", "", *[str(p) for p in periods]]
    body: list[list[str]] = []
    for rec in result.rows:
        for i, (key, label) in enumerate((("units", "funded"), ("active", "active"),
                                          ("spend", "spend"), ("exports", "exports"))):
            values = [getattr(rec.by_period[p], key) for p in periods]
            if key in ("units", "active"):
                cells = [count(v, rec.integer and key == "units") for v in values]
            else:
                cells = [f"{clean(v):,.0f}" for v in values]
            body.append([rec.name if i == 0 else "", label, *cells])
    totals = []
    for key, label, series in (("spend", "spend", result.spend_by_period),
                               ("exports", "exports", result.exports_by_period)):
        values = [(series or {}).get(p, 0.0) for p in periods]
        totals.append(["total" if key == "spend" else "", label,
                       *[f"{clean(v):,.0f}" for v in values]])
    return header, body, totals


def _summary(result: Result) -> list[str]:
    cur = result.currency
    lines = []
    if result.lever_exports is not None:
        lines.append(
            f"Lever exports {money(result.lever_exports, cur)} a year "
            f"(needed {money(result.needed_exports, cur)}); with the baseline of "
            f"{money(result.baseline, cur)}, total exports {money(result.total_exports, cur)}."
        )
    if result.objective == "max_exports" and result.lever_exports is not None:
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
        lines.append(
            f"Chance-constrained at {c.confidence:.0%}: reaches the target in "
            f"{c.in_sample:.1%} of the {c.samples:,} samples it was solved on and in "
            f"{c.out_of_sample:.1%} of {c.fresh_samples:,} fresh ones (seed {c.seed})."
            if c.out_of_sample is not None else "")
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
            lines.append(f"One more {money(step, cur)} of exports costs "
                         f"{money(cost, cur)}{discounted} (re-solved).")
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
    if result.status != "optimal":
        lines.append(result.message)
    return lines


PROOF_METHODS = {
    "lp_dual": "a bound computed here from HiGHS's duals",
    "lp_dual_relaxation": "a bound computed here from the duals of the model with whole "
                          "units relaxed, then rounded",
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
    what = "discounted; " if result.periods else ""
    return (f"Proven optimal: no plan costs less than {money(c.bound, cur)} ({what}"
            f"{how}; gap {c.gap:.2g}).")


def _allocation(result: Result) -> layout.Grid:
    header, body, total = _cells(result)
    return layout.grid(header, body, left=(0, 2), totals=[total])


def _by_period(result: Result) -> layout.Grid:
    header, body, totals = _period_cells(result)
    return layout.grid(header, body, left=(0, 1), totals=totals)


def render_table(result: Result) -> str:
    title = f"{result.scenario}: {_PLAN_TITLES[result.plan]} [{result.objective}, {result.status}]"
    lines = [title, ""]
    if result.plan != "none":
        # measure=len: widths in code points, as before the layout (a wide character in
        # a lever's name pushes its row out of line; the bytes stay the same)
        lines += [*layout.text(_allocation(result), measure=len), ""]
        if result.periods is not None:
            lines += ["By period (units funded, active units, spend and exports; "
                      f"{result.currency}):", "",
                      *layout.text(_by_period(result), measure=len), ""]
    lines += _summary(result)
    return "\n".join(lines) + "\n"


def render_markdown(result: Result) -> str:
    # escape_cells="pipes", escape_header=False: as before the layout, a line break in a
    # lever's name and a '|' in a period's label are written as they are
    lines = [f"## {layout.escape(result.scenario, 'pipes')}", "",
             f"**{_PLAN_TITLES[result.plan]}** (objective `{result.objective}`, "
             f"status `{result.status}`)", ""]
    if result.plan != "none":
        lines += [*layout.markdown(_allocation(result), escape_cells="pipes",
                                   escape_header=False), ""]
        if result.periods is not None:
            lines += [f"**By period** ({result.currency})", "",
                      *layout.markdown(_by_period(result), escape_cells="pipes",
                                       escape_header=False, strong_totals=False), ""]
    lines += [f"- {line}" for line in _summary(result)]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "csv": render_csv,
    "json": render_json,
    "markdown": render_markdown,
}
