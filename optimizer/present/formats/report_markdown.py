"""Report -> report.md: the page in Markdown, charts as PNG files beside it.

Same inputs, same bytes, except the stamp's ``- Date:`` line.
"""

from __future__ import annotations

from collections.abc import Iterable

from optimizer.present.formats import layout, tables
from optimizer.present.formats.layout import Mark
from optimizer.present.views.model import Column, Report, Table, flagged, project, split

CHART_TITLES = {"mix": "Where the money goes", "frontier": "The frontier",
                "tornado": "What moves the answer",
                "fan": "Exports by period across the samples",
                "histogram": "Exports across the samples",
                "certainty": "The cost of certainty"}
MOST_COLUMNS = 9


def is_code(table: Table, key: str) -> bool:
    """Columns that hold names as written in the scenario file."""
    return key == "name" or key == "parameter" and table.key in ("assumptions", "risk_drivers")


def table_md(table: Table, currency: str, level: str = "##") -> list[str]:
    lines = [f"{level} {layout.heading(table.title)}", ""]
    if table.caption:
        lines += [f"_{layout.heading(table.caption)}_", ""]
    if not table.rows:
        return [*lines, layout.heading(table.empty), ""]
    flags = flagged(table)
    table = project(table)

    def mark(i: int, c: Column, text: str) -> layout.Cell:
        # names as written in the file are code; a flagged row's basis is bold
        if is_code(table, c.key):
            return Mark(text, "code")
        return Mark(text, "strong") if flags[i] and c.key == "basis" and text else text

    for part in split(table, MOST_COLUMNS):
        if part is not table:
            lines += [f"**{layout.heading(part.title)}**", ""]
        lines += [*layout.markdown(tables.grid(part, currency, mark)), ""]
    lines += [f"_{layout.heading(note)}_" for note in table.notes]
    if table.notes:
        lines.append("")
    return lines


def _chart(name: str, charts: Iterable[str]) -> list[str]:
    return [f"![{CHART_TITLES[name]}](charts/{name}.png)", ""] if name in charts else []


def render_report_markdown(report: Report, charts: Iterable[str] = ()) -> str:
    """``charts``: the chart names written beside it (charts/NAME.png)."""
    charts = set(charts)
    cur = report.currency
    # user text (names, sources, notes) is one line each and carries no raw HTML
    lines = [f"# {layout.heading(report.title)}", ""]
    if report.description:
        lines += [layout.heading(report.description), ""]
    brief = report.brief
    if brief is not None:
        lines += ["## Brief", ""]
    lines += [f"**{report.status_text}.** " + layout.heading(" ".join(report.lede)), ""]
    figures: list[list[layout.Cell]] = [[f.label, Mark(f.text, "strong"), f.note]
                                        for f in report.headline]
    lines += [*layout.markdown(layout.grid(None, figures, left=(0, 2), columns=3)), ""]
    for message in report.messages:
        lines += [f"> {layout.heading(message)}", ""]
    lines += table_md(report.allocation, cur, "###" if brief is not None else "##")
    if brief is not None:
        if brief.frontier is not None:
            lines += ["### The frontier", "", *_chart("frontier", charts),
                      layout.heading(brief.frontier), ""]
        lines += table_md(brief.binds, cur, "###")
        lines += table_md(brief.drivers, cur, "###")
        lines += ["## Annexes", "",
                  "_The figures behind the brief: where the money goes, "
                  + ("the plan by period, " if report.periods else "")
                  + ("risk, " if report.risk is not None else "")
                  + ("the frontier point by point, " if report.frontier is not None else "")
                  + "what binds and what it is worth, "
                  + ("the explanation, " if report.explanation else "")
                  + "the assumptions with their sources, and the stamp._", ""]
    lines += _chart("mix", charts)
    for t in report.periods:
        lines += table_md(t, cur, "###" if t is not report.periods[0] else "##")
    lines += _risk(report, charts)
    if report.frontier is not None:
        if brief is None or brief.frontier is None:
            lines += _chart("frontier", charts)
        lines += table_md(report.frontier, cur)
    lines += table_md(report.binding, cur)
    for t in report.explanation:
        lines += table_md(t, cur)
        if t.key == "tornado":
            lines += _chart("tornado", charts)
    lines += table_md(report.assumptions, cur)
    lines += _stamp(report)
    return "\n".join(lines).rstrip() + "\n"


def _risk(report: Report, charts: Iterable[str]) -> list[str]:
    risk = report.risk
    if risk is None:
        return []
    lines = ["## Risk", ""]
    if risk.lede:
        lines += [layout.heading(" ".join(risk.lede)), ""]
    for t in risk.tables:
        lines += table_md(t, report.currency, "###")
        if t.key == "risk_goals" and risk.chart:
            lines += _chart(risk.chart, charts)
        if t.key == "risk_certainty":
            lines += _chart("certainty", charts)
    lines += [f"_{layout.heading(note)}_" for note in risk.notes]
    if risk.notes:
        lines.append("")
    return lines


def _stamp(report: Report) -> list[str]:
    s = report.stamp
    gap = "n/a" if s.mip_gap is None else f"{s.mip_gap:.2g}"
    lines = ["## Stamp", "",
             f"- Scenario: {layout.escape(s.scenario)}",
             f"- File: {layout.code(s.file)}, SHA-256 `{s.sha256}`"]
    if s.variant:
        lines.append(f"- Variant: {layout.code(s.variant)}")
    if s.overrides:
        lines.append("- Overrides: " + ", ".join(layout.code(f"--set {o}") for o in s.overrides))
    lines += [f"- Engine: pk-budget-optimizer {s.engine}; solver: HiGHS {s.highs} "
              f"(highspy {s.highspy})",
              f"- MIP gap: {gap} (termination: {s.termination})",
              f"- Amounts: {s.currency}; rounding as in the README (\"Reports\")",
              f"- Date: {s.date}"]
    return lines
