"""Report -> report.html: one self-contained page (CSS inline, charts inline as SVG, no
script, no reference to anything outside the file), with an A4 print stylesheet."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

from optimizer.present.formats.report_markdown import CHART_TITLES, is_code
from optimizer.present.views.model import Report, Table, flagged, numeric, project, table_text

CSS = """
:root { --ink: #1d2433; --muted: #5b6475; --rule: #d5dae3; --band: #f4f6f9;
  --accent: #1f4e79; --flag: #fff3dc; --bad: #a12a1f; --good: #1e6b3a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 "DejaVu Sans", "Liberation Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 18px; }
.kicker { margin: 0; color: var(--muted); font-size: 12px; letter-spacing: .08em;
  text-transform: uppercase; }
h1 { font-size: 26px; line-height: 1.25; margin: 4px 0 6px; }
h2 { font-size: 19px; margin: 30px 0 6px; padding-bottom: 3px;
  border-bottom: 1px solid var(--rule); }
h3 { font-size: 16px; margin: 22px 0 4px; }
.description { color: var(--muted); margin: 0 0 8px; max-width: 60em; }
.status { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
  font-size: 13px; color: #fff; background: var(--good); }
.status.s-infeasible, .status.s-limit_without_plan { background: var(--bad); }
.status.s-limit_with_plan { background: #9a6700; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
  gap: 10px; margin: 14px 0; }
.fig { background: var(--band); border-left: 4px solid var(--accent); padding: 8px 12px; }
.fig .label { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.fig .value { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.fig .note { font-size: 12.5px; color: var(--muted); }
.lede { font-size: 16.5px; max-width: 62em; }
.message { border-left: 4px solid var(--bad); background: #fbeeed; padding: 8px 12px; }
.caption { color: var(--muted); margin: 0 0 8px; font-size: 13.5px; max-width: 70em; }
.scroll { overflow-x: auto; max-width: 100%; margin: 6px 0; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { border-top: 2px solid var(--ink); border-bottom: 1px solid var(--ink);
  font-weight: 600; vertical-align: bottom; }
tbody tr:nth-child(even) { background: var(--band); }
tfoot td { border-top: 1px solid var(--ink); border-bottom: 2px solid var(--ink);
  font-weight: 700; }
tbody tr:last-child td { border-bottom: 2px solid var(--ink); }
table:has(tfoot) tbody tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
td.num.long { white-space: normal; min-width: 14em; }
td.wide { min-width: 26em; max-width: 46em; font-size: 12.5px; }
td code { font-size: 12px; }
table.t-risk_certainty td:nth-child(2) { white-space: nowrap; }
tr.flagged { background: var(--flag) !important; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11.5px;
  background: #f0c36d; color: #3d2a00; white-space: nowrap; }
.note { font-size: 13px; color: var(--muted); font-style: italic; margin: 4px 0; }
figure.chart { margin: 18px 0; }
figure.chart svg { display: block; width: 100%; height: auto; max-width: 980px; }
figcaption { font-size: 13px; color: var(--muted); }
footer.stamp { margin-top: 36px; font-size: 12.5px; color: var(--muted);
  border-top: 1px solid var(--rule); }
footer.stamp dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
footer.stamp dt { font-weight: 600; }
footer.stamp dd { margin: 0; word-break: break-all; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 17pt; } h2 { font-size: 12.5pt; break-after: avoid; }
  h3 { font-size: 11pt; break-after: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; width: 100%; }
  th, td { padding: 2px 5px; }
  thead { display: table-header-group; }
  tr, figure.chart, .fig { break-inside: avoid; }
  td.wide { min-width: 0; }
  tbody tr:nth-child(even), .fig, tr.flagged { -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  figure.chart svg { max-width: 100%; }
  .status { color: var(--ink); background: none !important; border: 1.5px solid var(--ink); }
  .badge { background: none; border: 1px solid #9a6700; }
  #annexes { break-before: page; }
  /* the brief holds to two pages: figures in one row, the chart and prose compact */
  #brief .figures { grid-template-columns: repeat(auto-fit, minmax(30mm, 1fr)); gap: 6px;
    margin: 8px 0; }
  #brief .fig { padding: 4px 8px; } #brief .fig .value { font-size: 13pt; }
  #brief .fig .label, #brief .fig .note { font-size: 7.5pt; }
  #brief .lede { font-size: 10pt; margin: 6px 0; }
  #brief h2 { margin-top: 10px; } #brief h3 { margin: 12px 0 3px; }
  #brief .caption { font-size: 8pt; margin-bottom: 4px; }
  #brief figure.chart { margin: 6px 0; }
  #brief figure.chart svg { max-height: 70mm; width: auto; }
}
"""

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"')


def inline_svg(svg: str, name: str) -> str:
    """matplotlib's SVG as an element of the page: no XML prolog, no fixed size (the CSS
    sizes it from its viewBox), its ids and its style scoped to this chart."""
    body = _PROLOG.sub("", svg, count=1)
    body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
    for _ in range(2):
        body = _SIZE.sub(r"\1", body, count=1)
    prefix = f"c-{name}-"
    body = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', body)
    body = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", body)
    body = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', body)
    body = body.replace("*{", f"#chart-{name} svg *{{")
    title = escape(CHART_TITLES.get(name, name))
    return body.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1).strip()


def table_html(table: Table, currency: str, level: str = "h2") -> str:
    out = [f'<section class="table" id="{table.key}"><{level}>{escape(table.title)}</{level}>']
    if table.caption:
        out.append(f'<p class="caption">{escape(table.caption)}</p>')
    if not table.rows:
        out.append(f"<p>{escape(table.empty)}</p></section>")
        return "\n".join(out)
    flags = flagged(table)
    basis = next((i for i, c in enumerate(table.columns) if c.key == "basis"), None)
    table = project(table)
    header, body, totals = table_text(table, currency)
    cols = table.columns
    cls = [' class="num"' if numeric(c) else (' class="wide"' if c.wide else "") for c in cols]
    out.append(f'<div class="scroll"><table class="t-{table.key}"><thead><tr>')
    num = ' class="num"'
    out.append("".join(f"<th{num if numeric(c) else ''}>{escape(_joined(h))}</th>"
                       for h, c in zip(header, cols, strict=True)) + "</tr></thead><tbody>")
    for row, flag in zip(body, flags, strict=True):
        cells = []
        for i, (text, c) in enumerate(zip(row, cols, strict=True)):
            shown = escape(text)
            if is_code(table, c.key) and text:
                shown = "<code>" + re.sub(r"([._])", r"\1<wbr>", shown) + "</code>"
            if flag and c.key == "basis" and basis is not None and text:
                shown = f'<span class="badge">{shown}</span>'
            css = cls[i]
            if numeric(c) and len(text) > 24:
                css = ' class="num long"'
            cells.append(f"<td{css}>{shown}</td>")
        out.append(('<tr class="flagged">' if flag else "<tr>") + "".join(cells) + "</tr>")
    out.append("</tbody>")
    if totals:
        out.append("<tfoot>" + "".join("<tr>" + "".join(f"<td{cls[i]}>{escape(t)}</td>"
                                                        for i, t in enumerate(total)) + "</tr>"
                                       for total in totals) + "</tfoot>")
    out.append("</table></div>")
    out += [f'<p class="note">{escape(n)}</p>' for n in table.notes]
    out.append("</section>")
    return "\n".join(out)


def _joined(text: str) -> str:
    """A year span such as 2024\u20132026 kept on one line (word joiners round the dash)."""
    return re.sub(r"(\d)\u2013(\d)", "\\1\u2060\u2013\u2060\\2", text)


def _chart(name: str, charts: Mapping[str, str], caption: str) -> str:
    if name not in charts:
        return ""
    return (f'<figure class="chart" id="chart-{name}">{inline_svg(charts[name], name)}'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def render_report_html(report: Report, charts: Mapping[str, str] | None = None) -> str:
    """``charts``: chart name -> SVG text (mix, frontier, tornado), drawn inline."""
    charts = charts or {}
    cur = report.currency
    parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<link rel="icon" href="data:,">',  # no favicon request: the page asks for nothing
             f"<title>{escape(report.title)}: report</title>",
             f"<style>{CSS}</style>\n</head>\n<body>\n<main>", "<header>",
             '<p class="kicker">Budget allocation report</p>',
             f"<h1>{escape(report.title)}</h1>"]
    if report.description:
        parts.append(f'<p class="description">{escape(" ".join(report.description.split()))}'
                     "</p>")
    parts.append(f'<p class="status s-{report.status}">{escape(report.status_text)}</p>'
                 "</header>")
    brief = report.brief
    if brief is not None:
        parts.append('<section id="brief"><h2>Brief</h2>')
    parts.append('<section id="headline"><div class="figures">')
    for f in report.headline:
        if f.key == "status":  # the badge above says it
            continue
        parts.append(f'<div class="fig" id="fig-{f.key}"><div class="label">{escape(f.label)}'
                     f'</div><div class="value">{escape(f.text)}</div>'
                     f'<div class="note">{escape(f.note)}</div></div>')
    parts.append(f'</div><p class="lede">{escape(" ".join(report.lede))}</p>')
    parts += [f'<p class="message">{escape(m)}</p>' for m in report.messages]
    parts.append("</section>")
    parts.append(table_html(report.allocation, cur, "h3" if brief is not None else "h2"))
    frontier_caption = "The best plan at each point of the sweep, and its lever mix."
    if brief is not None:
        if brief.frontier is not None:
            parts.append('<section id="brief-frontier"><h3>The frontier</h3>')
            parts.append(_chart("frontier", charts, frontier_caption))
            parts.append(f'<p class="lede">{escape(brief.frontier)}</p></section>')
        parts.append(table_html(brief.binds, cur, "h3"))
        parts.append(table_html(brief.drivers, cur, "h3"))
        parts.append('</section>\n<section id="annexes"><h2>Annexes</h2>'
                     '<p class="caption">The figures behind the brief, in full.</p>')
    parts.append(_chart("mix", charts, "Spend and exports of each funded lever."))
    for t in report.periods:
        parts.append(table_html(t, cur, "h2" if t is report.periods[0] else "h3"))
    parts.append(_risk(report, charts))
    if report.frontier is not None:
        if brief is None or brief.frontier is None:
            parts.append(_chart("frontier", charts, frontier_caption))
        parts.append(table_html(report.frontier, cur))
    parts.append(table_html(report.binding, cur))
    if report.explanation:
        parts.append('<section id="explanation"><h2>Explanation</h2>')
        for t in report.explanation:
            parts.append(table_html(t, cur, "h3"))
            if t.key == "tornado":
                parts.append(_chart("tornado", charts, "Each parameter moved alone, re-solved."))
        parts.append("</section>")
    parts.append(table_html(report.assumptions, cur))
    if brief is not None:
        parts.append("</section>")
    parts.append(_stamp(report))
    parts.append("</main>\n</body>\n</html>\n")
    return "\n".join(p for p in parts if p)


RISK_CAPTIONS = {
    "fan": "Exports in each period across the samples: the P10\u2013P90 band, the P50 line, "
           "and each goal with the share of samples reaching it.",
    "histogram": "Exports across the samples, with the target and P10, P50 and P90 marked.",
    "certainty": "The cheapest plan for each confidence asked; labels: the share of a fresh "
                 "sample it reaches.",
}


def _risk(report: Report, charts: Mapping[str, str]) -> str:
    risk = report.risk
    if risk is None:
        return ""
    cur = report.currency
    parts = ['<section id="risk"><h2>Risk</h2>']
    if risk.lede:
        parts.append(f'<p class="lede">{escape(" ".join(risk.lede))}</p>')
    for t in risk.tables:
        parts.append(table_html(t, cur, "h3"))
        if t.key == "risk_goals" and risk.chart:
            parts.append(_chart(risk.chart, charts, RISK_CAPTIONS[risk.chart]))
        if t.key == "risk_certainty":
            parts.append(_chart("certainty", charts, RISK_CAPTIONS["certainty"]))
    parts += [f'<p class="note">{escape(n)}</p>' for n in risk.notes]
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _stamp(report: Report) -> str:
    s = report.stamp
    rows = [("Scenario", s.scenario), ("File", s.file), ("SHA-256", s.sha256)]
    if s.variant:
        rows.append(("Variant", s.variant))
    if s.overrides:
        rows.append(("Overrides", "; ".join(f"--set {o}" for o in s.overrides)))
    rows += [("Engine", f"pk-budget-optimizer {s.engine}"),
             ("Solver", f"HiGHS {s.highs} (highspy {s.highspy})"),
             ("MIP gap", "n/a" if s.mip_gap is None else f"{s.mip_gap:.2g}"),
             ("Termination", s.termination), ("Amounts", s.currency), ("Date", s.date)]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<footer class="stamp" id="stamp"><h2>Stamp</h2><dl>{items}</dl></footer>'
