"""Result (+ sweep, + explanation) -> Report: the content of a memo, no formatting choices
beyond the memo number rules. Solves nothing: optimizer.analyses.report hands in what it
solved."""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
from collections.abc import Sequence
from typing import Any

from optimizer.numbers import clean, memo
from optimizer.present.views.assumptions import assumptions_table
from optimizer.present.views.brief import build_brief
from optimizer.present.views.currency import rate_for, scaled_result, scaled_sweep
from optimizer.present.views.explained import (
    binding_table,
    explanation_tables,
    sensitivity_table,
    tornado,
)
from optimizer.present.views.model import (
    Column,
    Figure,
    Mix,
    Quantity,
    Report,
    Risk,
    Stamp,
    Table,
)
from optimizer.present.views.risk import risk_section
from optimizer.results import Explanation, LeverRow, Result, Sweep, Worth
from optimizer.results.simulation import Simulation
from optimizer.scenario import Loadout
from optimizer.scenario.names import in_words, plain_name, plain_names
from optimizer.scenario.schema import Scenario

STATUS_TEXT = {
    "optimal": "Optimal",
    "infeasible": "Target out of reach (infeasible)",
    "limit_with_plan": "Best plan found at a solver limit (not proven optimal)",
    "limit_without_plan": "No plan found before the solver's limit",
}
POINT_STATUS = {"optimal": "optimal", "infeasible": "out of reach",
                "limit_with_plan": "best found", "limit_without_plan": "no plan found"}
SHARE_SCALE = memo.Scale(factor=0.01, decimals=1)


def report_date(date: str | None = None) -> str:
    """ISO date of the stamp: ``date``, else SOURCE_DATE_EPOCH (UTC), else today."""
    if date:
        return date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    return datetime.date.today().isoformat()


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _span(r: Result) -> str:
    p = r.periods
    return f" {p[0]}\u2013{p[-1]}" if p and len(p) > 1 else ""


def _when(r: Result) -> str:
    return f" in {r.periods[-1]}" if r.periods else " a year"


def _rounding(columns: Sequence[Column], rows: Sequence[Sequence[Any]],
              total: Sequence[Any] | None) -> tuple[str, ...]:
    """The rounding note when a money or share column's parts, as shown, miss its total."""
    if total is None:
        return ()
    for i, c in enumerate(columns):
        scale = c.scale if c.kind == "money" else SHARE_SCALE if c.kind == "share" else None
        if scale is None or not isinstance(total[i], int | float):
            continue
        parts = [row[i] for row in rows if isinstance(row[i], int | float)]
        if not memo.adds_up(parts, total[i], scale):
            return (memo.ROUNDING_NOTE,)
    return ()


def _scale(parts: Sequence[float | None], *totals: float | None) -> memo.Scale:
    """A column's scale from its largest part (the total is written in it too): fifty
    small parts keep their digits instead of all reading $0.07B."""
    if any(p for p in parts if p is not None):
        return memo.scale_for(parts)
    return memo.scale_for(totals)


def _funded(rec: LeverRow) -> bool:
    return clean(rec.units) > 0 or clean(rec.spend) > 0


def allocation_table(r: Result) -> Table:
    cur = r.currency
    rows_in = [] if r.plan == "none" else list(r.rows)
    spend = [rec.spend for rec in rows_in]
    exports = [rec.exports for rec in rows_in]
    columns = (
        Column("lever", "lever"),
        Column("units", "units funded" if r.periods else "units", "count"),
        Column("unit", "unit"),
        Column("spend", f"spend{_span(r)}", "money", cur, _scale(spend, r.total_cost)),
        Column("exports", f"exports{_when(r)}", "money", f"{cur} a year",
               _scale(exports, r.lever_exports)),
        Column("cost_per_export", f"cost per {memo.money(1.0, cur)} of exports", "number"),
        Column("share", "share of exports", "share"),
        # the other outcomes (spec section 5), each in its own unit
        *(Column(f"outcome.{o.outcome}", f"{o.name} ({o.unit}{_when(r) if r.periods else ''})",
                 "count") for o in r.outcomes),
    )
    rows = tuple((rec.name, rec.units, rec.unit, rec.spend, rec.exports,
                  _finite(rec.cost_per_export), _finite(rec.share_of_exports),
                  *(rec.outcomes.get(o.outcome, 0.0) for o in r.outcomes))
                 for rec in rows_in)
    shares = [float(row[6]) for row in rows if row[6] is not None]
    total = None if not rows else (
        "total", "", "", r.total_cost, r.lever_exports, "",
        sum(shares) if shares and (r.lever_exports or 0) > 0 else None,
        *(o.total for o in r.outcomes))
    title = {"optimal": "Allocation", "best_found": "Allocation (best found, not proven optimal)",
             "most_exports_reachable": "The plan that reaches the most exports (it does NOT "
                                       "meet the target)"}.get(r.plan, "Allocation")
    return Table("allocation", title, columns, rows, _one(total), _rounding(columns, rows, total),
                 caption="Every lever of the scenario, in file order; spend is net of cost "
                         "recovery" + (", over all periods, undiscounted" if r.periods else "")
                         + ".",
                 empty="No plan was found: nothing is allocated.")


def _one(total: tuple[Any, ...] | None) -> tuple[tuple[Any, ...], ...]:
    """A table's total rows: this one, if any."""
    return () if total is None else (total,)


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, float) and value != value:
        return None
    return float(value)


def period_tables(r: Result) -> tuple[list[Table], Table | None]:
    """Spend, exports and units by period (funded levers), and the long table of all."""
    if r.periods is None or r.plan == "none":
        return [], None
    cur = r.currency
    periods = list(r.periods)
    labels = [str(p) for p in periods]
    funded = [rec for rec in r.rows if _funded(rec)]
    unfunded = [rec.name for rec in r.rows if not _funded(rec)]
    note = () if not unfunded else (f"Not funded in any period: {', '.join(unfunded)}.",)

    spend_rows: list[tuple[Any, ...]] = [
        (rec.name, *[rec.by_period[p].spend for p in periods], rec.spend) for rec in funded]
    spend_sums = [(r.spend_by_period or {}).get(p, 0.0) for p in periods]
    spend_total = ("total", *spend_sums, r.total_cost)
    scale = _scale([v for row in spend_rows for v in row[1:]], *spend_sums, r.total_cost)
    spend_cols = (Column("lever", "lever"),
                  *[Column(f"p{i}", lab, "money", cur, scale) for i, lab in enumerate(labels)],
                  Column("total", f"total{_span(r)}", "money", cur, scale))
    notes = _rounding(spend_cols, spend_rows, spend_total)
    if not notes and any(not memo.adds_up(row[1:-1], row[-1], scale) for row in spend_rows):
        notes = (memo.ROUNDING_NOTE,)
    spend = Table("periods_spend", "Spend by period", spend_cols, tuple(spend_rows), (spend_total,),
                  notes + note, caption=f"Net spend in each period ({cur}, undiscounted).")

    export_rows: list[tuple[Any, ...]] = [
        (rec.name, *[rec.by_period[p].exports for p in periods]) for rec in funded]
    export_sums = [(r.exports_by_period or {}).get(p, 0.0) for p in periods]
    export_total = ("total", *export_sums)
    scale = _scale([v for row in export_rows for v in row[1:]], *export_sums)
    export_cols = (Column("lever", "lever"),
                   *[Column(f"p{i}", lab, "money", f"{cur} a year", scale)
                     for i, lab in enumerate(labels)])
    exports = Table("periods_exports", "Exports by period", export_cols, tuple(export_rows),
                    (export_total,), _rounding(export_cols, export_rows, export_total),
                    caption="A year's lever exports in each period; they are levels, not "
                            "added up over the periods.")

    unit_rows = []
    for rec in funded:
        q = rec.by_period
        unit_rows.append((rec.name, "funded", *[q[p].units for p in periods], rec.units))
        unit_rows.append(("", "active", *[q[p].active for p in periods], ""))
    units = Table("periods_units", "Units by period",
                  (Column("lever", "lever"), Column("measure", ""),
                   *[Column(f"p{i}", lab, "count") for i, lab in enumerate(labels)],
                   Column("total", "total funded", "count")),
                  tuple(unit_rows),
                  caption="Units funded in each period, and units active (funded, past their "
                          "lag, less attrition).")

    detail = Table(
        "periods_detail", "Periods",
        (Column("lever_id", "lever id"), Column("lever", "lever"), Column("period", "period"),
         Column("units", "units funded", "count"),
         Column("active", "units active", "count"),
         Column("spend", "spend", "amount", cur),
         Column("exports", "exports", "amount", f"{cur} a year")),
        tuple((rec.lever, rec.name, str(p), rec.by_period[p].units,
               rec.by_period[p].active, rec.by_period[p].spend,
               rec.by_period[p].exports) for rec in r.rows for p in periods),
        empty="The scenario has no periods.")
    # each other outcome (spec section 5), in its own unit, as the exports are shown
    outcome_tables = [
        Table(f"periods_outcome_{o.outcome}", f"{o.name} by period",
              (Column("lever", "lever"),
               *[Column(f"p{i}", lab, "count") for i, lab in enumerate(labels)]),
              tuple((rec.name, *[rec.by_period[p].outcomes.get(o.outcome, 0.0)
                                 for p in periods]) for rec in funded),
              ((("total", *[(o.by_period or {}).get(p, 0.0) for p in periods])),),
              caption=f"{o.name} ({o.unit}) in each period: levels, not added up over the "
                      "periods.")
        for o in r.outcomes]
    return [spend, exports, units, *outcome_tables], detail


def frontier_tables(sw: Sweep) -> tuple[Table, Table]:
    """The sweep for the page (levers funded somewhere) and in full (the workbook)."""
    cur = sw.currency
    key = sw.kind[:-1]
    points = sw.rows()
    swept = "budget ceiling" if sw.kind == "ceilings" else "export target"
    one = memo.money(1.0, cur)
    # re-solved, from the previous point (Sweep._marginal)
    marginal = (f"exports per {one} more of ceiling" if sw.kind == "ceilings"
                else f"cost per {one} more of target")
    spend = memo.scale_for([p["total_cost"] for p in points]
                           + [p[f"{lid}.spend"] for p in points for lid, _ in sw.levers])
    head = [
        Column("value", swept, "amount", cur),
        Column("status", "status"),
        Column("cost", "cost", "money", cur, spend),
        Column("exports", "lever exports", "money", f"{cur} a year",
               memo.scale_for(p["lever_exports"] for p in points)),
        Column("marginal", marginal, "number"),
    ]

    def base(p: dict[str, Any]) -> list[Any]:
        return [p[key], POINT_STATUS.get(p["status"], p["status"]), p["total_cost"],
                p["lever_exports"], p["marginal"]]

    used = [(lid, name) for lid, name in sw.levers
            if any(clean(p[f"{lid}.spend"] or 0.0) > 0 for p in points)]
    page_cols = [*head, *[Column(f"{lid}.spend", f"{name}: spend", "money", cur, spend)
                          for lid, name in used]]
    title = ("Frontier: the most exports at each budget ceiling" if sw.kind == "ceilings"
             else "Frontier: the least cost of each export target")
    unused = [name for lid, name in sw.levers if (lid, name) not in used]
    rows = collapse_runs([(*base(p), *[p[f"{lid}.spend"] for lid, _ in used]) for p in points],
                         cur)
    notes = [f"Not funded at any point: {', '.join(unused)}."] if unused else []
    if len(rows) < len(points):
        notes.append(f"Consecutive points with the same plan and figures are one row "
                     f"({len(points)} points in {len(rows)} rows); the workbook lists each.")
    page = Table("frontier", title, tuple(page_cols), tuple(rows), notes=tuple(notes),
                 caption="Each point re-solved on the same model: the plan at that "
                         f"{swept} and what each lever spends in it.")
    full_cols = [*head]
    for lid, name in sw.levers:
        full_cols += [Column(f"{lid}.units", f"{name}: units", "count"),
                      Column(f"{lid}.spend", f"{name}: spend", "amount", cur)]
    full = Table("frontier_detail", "Frontier", tuple(full_cols),
                 tuple((*base(p), *[v for lid, _ in sw.levers
                                    for v in (p[f"{lid}.units"], p[f"{lid}.spend"])])
                       for p in points),
                 empty="No frontier in this report: run optimize report with --ceilings or "
                       "--targets.")
    return page, full


def collapse_runs(rows: Sequence[Sequence[Any]], currency: str) -> list[tuple[Any, ...]]:
    """Rows whose cells after the first (the swept value) equal the previous row's, as
    one row whose first cell names the range ("$1.4B to $3B"): a frontier past the point
    where the plan stops changing says so once."""
    out: list[tuple[Any, ...]] = []
    runs: list[list[Any]] = []
    for row in rows:
        if runs and _same(runs[-1][-1][1:], row[1:]):
            runs[-1].append(row)
        else:
            runs.append([row])
    for run in runs:
        first, last = run[0], run[-1]
        if len(run) == 1:
            out.append(tuple(first))
            continue
        text = f"{memo.money(first[0], currency)} to {memo.money(last[0], currency)}"
        out.append((Quantity(first[0], "amount", text), *first[1:]))
    return out


def _same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Cells equal as figures (to 1e-9 relative; two missing figures are equal)."""
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if math.isnan(x) and math.isnan(y):
                continue
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif x != y:
            return False
    return True


def _target_total(r: Result) -> float:
    return r.needed_exports + r.baseline if r.includes_baseline else r.needed_exports


def headline(r: Result, s: Scenario) -> tuple[list[Figure], list[str]]:
    """The figures a memo quotes first, and one to three sentences around them."""
    cur = r.currency

    def amount(value: float | None) -> str:
        """Standalone, as a memo quotes it (a table's total may show one more digit)."""
        return memo.money(value, cur)

    target = _target_total(r)
    when = f" in {r.periods[-1]}" if r.periods else " a year"
    figures = [Figure("status", "Status", r.status, "text", STATUS_TEXT.get(r.status, r.status))]
    base_note = (f"levers add {amount(r.needed_exports)} to the {amount(r.baseline)} baseline"
                 if r.includes_baseline and r.baseline else
                 "exports the levers add" + (f", on top of a {amount(r.baseline)} baseline"
                                             if r.baseline else ""))
    if r.export_target:
        figures.append(Figure("target", "Export target", target, "money",
                              f"{amount(target)}{when}", base_note))
    else:
        figures.append(Figure("target", "Export target", None, "text", "none",
                              "a requirements problem: its goals are the floors below"))
    cost_note = ("undiscounted, " + _span(r).strip() if r.periods else "net of cost recovery")
    if r.periods and _discounted(r, s):
        cost_note += "; " + _discounted(r, s)
    figures.append(Figure("cost", "Total cost", r.total_cost, "money",
                          amount(r.total_cost), cost_note))
    reached = "Most exports reachable" if r.status == "infeasible" else "Exports reached"
    figures.append(Figure("exports", reached, r.total_exports, "money",
                          amount(r.total_exports) + when if r.total_exports is not None
                          else memo.MISSING,
                          f"levers add {amount(r.lever_exports)}"
                          if r.lever_exports is not None else ""))
    for o in r.outcomes:
        # each other outcome in its own unit (spec section 5), beside its floor
        figures.append(Figure(f"outcome.{o.outcome}", o.name, o.total, "count",
                              f"{memo.count(o.total)} {o.unit}"
                              + (f" in {r.periods[-1]}" if r.periods else ""),
                              "" if o.needed is None else f"floor {memo.count(o.needed)}"))
    if r.objective == "max_outcomes" and r.goal_value is not None:
        figures.append(Figure("goal", "Maximised", r.goal_value, "count", _goal(r),
                              "the objective: the most within the ceiling"))
    if r.budget_ceiling is not None:
        figures.append(Figure("ceiling", "Budget ceiling", r.budget_ceiling, "money",
                              amount(r.budget_ceiling)))
    if r.next_step is not None and r.next_step[1] is not None:
        figures.append(Figure("next_step", f"The next {amount(r.next_step[0])} of exports",
                              r.next_step[1], "money", amount(r.next_step[1]),
                              "re-solved" + (", discounted" if "discounted" in cost_note
                                             else "")
                              # the per-unit figure compare and result.json quote
                              + f"; {memo.number(r.marginal_cost_resolved)} per "
                                f"{memo.symbol(r.currency).strip()}1 of exports"))
    lede = _lede(r, s, figures)
    return figures, lede


def _lede(r: Result, s: Scenario, figures: list[Figure]) -> list[str]:
    text = {f.key: f.text for f in figures}
    over = f" over {_span(r).strip()}" if r.periods else ""
    if r.status == "infeasible" and not r.export_target:
        return ["No plan meets every floor under the file's limits.",
                "The allocation below is not a plan that meets them."]
    if r.status == "infeasible":
        reach = text.get("exports", memo.MISSING)
        return [f"No plan reaches the target of {text['target']}: the most the levers can "
                f"reach under the limits is {reach} in total exports, at a cost of "
                f"{text['cost']}.",
                "The allocation below is that most-exports plan, not a plan that meets the "
                "target."]
    if r.status == "limit_without_plan":
        return ["The solver stopped at its limit before it found any plan."]
    if r.objective == "max_exports":
        lines = [f"With a budget ceiling of {text.get('ceiling', memo.MISSING)}, the most the "
                 f"levers can reach is {text['exports']} in total exports, at a cost of "
                 f"{text['cost']}{over}."]
    elif r.objective == "max_outcomes" and r.goal_value is not None:
        lines = [f"With a budget ceiling of {text.get('ceiling', memo.MISSING)}, the most the "
                 f"levers can reach is {_goal(r)}, at a cost of {text['cost']}{over}."]
    elif not r.export_target:
        floors = [f"{o.name} of {memo.count(o.needed)} {o.unit}" for o in r.outcomes
                  if o.needed is not None]
        goal = f"every floor ({_join(floors)})" if floors else "every floor of the file"
        lines = [f"The cheapest plan that meets {goal} costs {text['cost']}{over}"
                 + (f" ({_discounted(r, s)})." if r.periods and _discounted(r, s) else ".")]
    else:
        lines = [f"The cheapest plan that reaches exports of {text['target']} costs "
                 f"{text['cost']}{over}" + (f" ({_discounted(r, s)})." if r.periods and
                                             _discounted(r, s) else ".")]
    used = [rec.name for rec in r.rows if _funded(rec)]
    if used and len(used) <= 6:
        lines.append("It funds " + _join(used) + ".")
    elif used:
        lines.append(f"It funds {len(used)} of the {len(r.rows)} levers.")
    if r.status == "limit_with_plan":
        gap = r.solver.mip_gap
        lines.append("The solver stopped at its limit: this is the best plan found, not "
                     "proven optimal" + (f" (gap {memo.share(gap)})." if gap else "."))
    return lines


def _discounted(r: Result, s: Scenario) -> str:
    if r.discounted_cost is None or r.total_cost is None or \
            abs(r.discounted_cost - r.total_cost) <= 1e-9 * max(1.0, r.total_cost):
        return ""
    return (f"{memo.money(r.discounted_cost, r.currency, trim=True)} discounted at "
            f"{memo.share(s.discount_rate)} a year")


def _goal(r: Result) -> str:
    """What a max objective over other outcomes reached, in the memo's words: "35,000
    jobs (Jobs held by women)", or a weighted sum "240 of 1 x Jobs + 4 x Women's jobs"."""
    assert r.goal_value is not None
    terms = r.goal_terms
    if len(terms) == 1:
        _, name, unit = terms[0]
        return f"{memo.count(r.goal_value)} {unit} ({name})"
    return f"{memo.count(r.goal_value)} of " + " + ".join(
        f"{memo.number(w)} x {name}" for w, name, _ in terms)


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def mix(r: Result) -> Mix:
    periods = list(r.periods) if r.periods else [None]
    rows = [] if r.plan == "none" else list(r.rows)
    spend = tuple(
        tuple(float(rec.by_period[p].spend) for p in r.periods) if r.periods
        else (float(rec.spend or 0.0),) for rec in rows)
    table = allocation_table(r).columns
    return Mix(tuple(rec.name for rec in rows),
               tuple("" if p is None else str(p) for p in periods), spend,
               tuple(float(rec.exports or 0.0) for rec in rows),
               f"Exports{_when(r)}", table[3].scale or memo.Scale(),
               table[4].scale or memo.Scale())


def build_report(
    loadout: Loadout, result: Result, *, worth: Sequence[Worth] = (),
    explanation: Explanation | None = None, sweep: Sweep | None = None, currency: str | None = None,
    date: str | None = None, overrides: Sequence[str] = (), simulation: Simulation | None = None,
    certainty: Sequence[Result] = (), risk_notes: Sequence[str] = (),
    left_out: Sequence[str] = (), stopped_by: str = "--time-budget",
) -> Report:
    """The report of ``result`` (solved from ``loadout``), in ``currency``.

    ``worth``: the binding limits re-solved (explain's binding section);
    ``explanation``: an Explanation whose sections are added (its worth is used
    when ``worth`` is empty); ``overrides``: the ``--set PATH=VALUE`` texts.
    For a scenario with distributions, the Risk section: ``simulation``, an
    optimizer.analyses.simulate.Simulation of ``result``'s plan; ``certainty``, the results
    of optimizer.analyses.chance.chance_sweep; ``risk_notes``, what the section should say
    it left out. Without distributions these are ignored and there is no Risk section.
    ``left_out``: the searches the command's time (``stopped_by``, the option) stopped,
    named in the report's messages.
    """
    s = loadout.scenario
    cur, rate = rate_for(s, currency)
    r = scaled_result(result, cur, rate)
    worth = tuple(worth) or tuple(getattr(explanation, "worth", ()) or ())
    allocation = allocation_table(r)
    periods, detail = period_tables(r)
    shown = None if sweep is None else scaled_sweep(sweep, cur, rate)
    frontier = None if shown is None else frontier_tables(shown)
    figures, lede = headline(r, s)
    risk = None
    if s.uncertain and (simulation is not None or certainty or risk_notes):
        risk = risk_section(simulation, certainty, s, cur, rate, risk_notes)
        if risk.simulation is not None:
            figures.insert(next((i + 1 for i, f in enumerate(figures) if f.key == "exports"),
                                len(figures)), _probability(risk.simulation))
    if risk is not None:
        risk = _plain_risk(risk, s)
    binding = binding_table(r, s, worth, rate)
    explained = explanation_tables(explanation, r, s, rate) if explanation is not None else []
    changed = [text.partition("=")[0].strip() for text in overrides]
    by = "--set"
    if loadout.variant:
        changed += _variant_paths(loadout)
        by = f"--set or variant {loadout.variant}"
    stamp = Stamp(
        scenario=s.name, file=os.path.basename(loadout.file), sha256=loadout.sha256,
        variant=loadout.variant, overrides=tuple(overrides),
        engine=_version("pk-budget-optimizer"), highspy=_version("highspy"),
        highs=result.solver.version, date=report_date(date), mip_gap=result.solver.mip_gap,
        termination=result.solver.termination,
        currency=cur if rate == 1.0 else
        f"{cur}, at {memo.number(rate)} {cur} per {s.currency} (the scenario's exchange rate)")
    messages: tuple[str, ...] = (
        (result.message,) if result.status != "optimal" and result.message else ())
    # the searches the command's time stopped: the report's, then explain's sections
    for names, option in ((left_out, stopped_by),
                          (getattr(explanation, "unfinished", ()),
                           getattr(explanation, "stopped_by", stopped_by))):
        if names:
            messages += (f"Not finished within {option} (left out): {', '.join(names)}.",)
    assumptions = assumptions_table(s, cur, rate, changed, by)
    brief = build_brief(binding, explained, assumptions, s,
                        None if shown is None else frontier_line(shown))
    paths = [*r.binding, *(w.parameter for w in getattr(explanation, "swings", ()) or ()),
             *(row[0] for row in assumptions.rows)]
    return Report(
        title=s.name, description=s.description, status=r.status,
        status_text=STATUS_TEXT.get(r.status, r.status), currency=cur, lede=tuple(lede),
        headline=tuple(figures), allocation=allocation, periods=tuple(periods),
        period_detail=detail, frontier=None if frontier is None else frontier[0],
        frontier_detail=None if frontier is None else frontier[1], binding=binding,
        explanation=tuple(explained),
        sensitivity=sensitivity_table(binding, explained, cur),
        assumptions=assumptions, stamp=stamp, mix=mix(r),
        sweep=shown,
        tornado=tornado(explanation, r, rate) if explanation is not None else None,
        messages=tuple(in_words(m, s) for m in messages), risk=risk, brief=brief,
        names=plain_names(paths, s),
    )


def _plain_risk(risk: Risk, s: Scenario) -> Risk:
    """The Risk section's prose in plain names, and its drivers named before their path."""
    tables = []
    for t in risk.tables:
        t = dataclasses.replace(t, notes=tuple(in_words(n, s) for n in t.notes))
        if t.key == "risk_drivers" and t.columns and t.columns[0].key == "parameter":
            t = dataclasses.replace(
                t, columns=(Column("plain", "parameter"),
                            dataclasses.replace(t.columns[0], label="name in the file"),
                            *t.columns[1:]),
                rows=tuple((plain_name(str(row[0]), s), *row) for row in t.rows))
        tables.append(t)
    return dataclasses.replace(risk, lede=tuple(in_words(x, s) for x in risk.lede),
                               tables=tuple(tables),
                               notes=tuple(in_words(n, s) for n in risk.notes))


def frontier_line(sw: Sweep) -> str | None:
    """The frontier in a sentence: its span, and where more stops buying anything."""
    points = [p for p in sw.rows() if p["total_cost"] is not None
              and p["lever_exports"] is not None]
    if len(points) < 2:
        return None
    cur, key = sw.currency, sw.kind[:-1]
    first, last = points[0], points[-1]
    if sw.kind == "ceilings":
        top = last["lever_exports"]
        flat = next(p for p in points if math.isclose(p["lever_exports"], top, rel_tol=1e-9))
        line = (f"From a budget ceiling of {memo.money(first[key], cur)} to "
                f"{memo.money(last[key], cur)}, the most lever exports rise from "
                f"{memo.money(first['lever_exports'], cur)} to {memo.money(top, cur)} a year")
        if flat is not last:
            line += (f"; past {memo.money(flat[key], cur)} more money buys nothing more "
                     "under the file's limits")
        return line + "."
    return (f"From an export target of {memo.money(first[key], cur)} to "
            f"{memo.money(last[key], cur)}, the least cost rises from "
            f"{memo.money(first['total_cost'], cur)} to {memo.money(last['total_cost'], cur)}"
            + (f"; {len(sw.rows()) - len(points)} targets are out of reach." if
               len(points) < len(sw.rows()) else "."))


def _probability(sim: Simulation) -> Figure:
    """The headline's figure for a scenario with distributions."""
    t = sim.target
    return Figure("probability", "Chance of reaching the target", t.probability, "share",
                  "none" if t.probability == 0 else memo.share(t.probability),
                  f"in {sim.samples:,} samples of the file's ranges (see Risk)")


def _variant_paths(loadout: Loadout) -> list[str]:
    """The paths the applied variant sets (a validated scenario drops ``variants``)."""
    from optimizer.scenario.loader import load_yaml

    try:
        data = load_yaml(loadout.file).data
    except Exception:  # the file was read once already; a report does not fail on this
        return []
    sets = (data.get("variants") or {}).get(loadout.variant) or {}
    return [str(k) for k in sets] if isinstance(sets, dict) else []
