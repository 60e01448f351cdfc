"""Report -> tables.tex: the main tables for a LaTeX memo, booktabs rules, text escaped.

Each table is a ``longtable`` (it breaks across pages, its header repeats);
a table wider than :data:`MOST_COLUMNS` is split into parts that repeat its
first column. The file carries no date: the same inputs give the same bytes.
"""

from __future__ import annotations

from optimizer.present.views.model import (
    Column,
    Report,
    Table,
    flagged,
    numeric,
    project,
    split,
    table_text,
)

MOST_COLUMNS = 7
_TEX = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u2013": "--", "\u2014": "---", "\u2192": r"$\rightarrow$", "\u2026": r"\ldots{}",
    "\u2264": r"$\leq$", "\u2265": r"$\geq$", "\u00a0": "~", "\u2018": "`", "\u2019": "'",
    "\u201c": "``", "\u201d": "''", "\u00d7": r"$\times$",
}


def tex(text: str) -> str:
    """Plain text for LaTeX: specials escaped, a few typographic characters as macros,
    anything pdflatex cannot set from Latin-1 (a control character too) written as '?',
    a leading '[' braced."""
    out = []
    for ch in " ".join(str(text).split()):
        if ch in _TEX:
            out.append(_TEX[ch])
        elif 32 <= ord(ch) < 127 or 160 <= ord(ch) < 256:
            out.append(ch)
        else:  # a control character, or none of Latin-1
            out.append("?")
    # a leading '[' after a row's \\ would be read as its spacing argument
    return "{[}" + "".join(out)[1:] if out and out[0] == "[" else "".join(out)


def code(text: str) -> str:
    """A name from the scenario file, in typewriter, breakable after each dot."""
    return r"\texttt{" + tex(text).replace(".", r".\allowbreak{}") + "}" if text else ""


def _p(width: str) -> str:
    """A paragraph column set ragged right (array package)."""
    return r">{\raggedright\arraybackslash}p{" + width + "}"


ASSUMPTION_WIDTHS = {"parameter": "3.1cm", "value": "2.3cm", "unit": "2.2cm", "basis": "1.9cm",
                     "source": "4.9cm", "cited": "4.9cm"}


def _spec(table: Table, columns: tuple[Column, ...], body: list[list[str]]) -> str:
    """Numbers right; the first column and long text as ragged paragraphs; short text left."""
    out = []
    for i, c in enumerate(columns):
        longest = max((len(row[i]) for row in body), default=0)
        if table.key == "assumptions" and c.key in ASSUMPTION_WIDTHS:
            out.append(_p(ASSUMPTION_WIDTHS[c.key]))
        elif numeric(c):
            out.append("r")
        elif c.wide:
            out.append(_p("5cm"))
        elif i == 0:
            out.append(_p("3.8cm"))
        elif longest > 16:
            out.append(_p("3cm" if longest > 30 else "2.6cm"))
        else:
            out.append("l")
    return "".join(out)


def _head(text: str, column: Column) -> str:
    """A header cell, bold, stacked on lines of about 12 characters when long."""
    if not text:
        return ""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= 12:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) == 1:
        return rf"\textbf{{{tex(text)}}}"
    align = "r" if numeric(column) else "l"
    return (rf"\begin{{tabular}}[b]{{@{{}}{align}@{{}}}}"
            + r" \\ ".join(rf"\textbf{{{tex(line)}}}" for line in lines) + r"\end{tabular}")


def _label(key: str) -> str:
    return "tab:" + key.replace("_", "-")


def table_tex(table: Table, currency: str) -> list[str]:
    if not table.rows:
        return [f"% {tex(table.title)}: {tex(table.empty)}", ""]
    flags = flagged(table)
    # on paper the assumptions' 'of' column is too wide: the parameter's path names it
    table = project(table, (*table.page_hidden, "of") if table.key == "assumptions" else None)
    lines = []
    for part in split(table, MOST_COLUMNS):
        header, body, totals = table_text(part, currency)
        cols = part.columns
        names = [c.key == "name" or c.key == "parameter"
                 and table.key in ("assumptions", "risk_drivers") for c in cols]
        head = " & ".join(_head(h, c) for h, c in zip(header, cols, strict=True)) + r" \\"
        caption = tex(part.title) + (". " + tex(part.caption) if part.caption else "")
        lines += [r"{\small\setlength{\tabcolsep}{4pt}",
                  rf"\begin{{longtable}}{{{_spec(table, cols, body)}}}",
                  rf"\caption{{{caption}}}\label{{{_label(part.key)}}}\\",
                  r"\toprule", head, r"\midrule", r"\endfirsthead",
                  r"\toprule", head, r"\midrule", r"\endhead"]
        for row, flag in zip(body, flags, strict=True):
            cells = [code(v) if n else (rf"\textbf{{{tex(v)}}}" if flag and c.key == "basis"
                                        else tex(v))
                     for v, n, c in zip(row, names, cols, strict=True)]
            lines.append(" & ".join(cells) + r" \\")
        if totals:
            lines += [r"\midrule", *[" & ".join(tex(v) for v in total) + r" \\"
                                      for total in totals]]
        lines += [r"\bottomrule", r"\end{longtable}"]
        if part.notes:
            lines.append(r"\noindent{\footnotesize\emph{" + " ".join(tex(n) for n in part.notes)
                         + r"}}\par")
        lines += ["}", ""]
    return lines


def _headline(report: Report) -> list[str]:
    lines = [r"{\small\setlength{\tabcolsep}{4pt}", r"\begin{longtable}{lr" + _p("7.5cm") + "}",
             rf"\caption{{{tex(report.title)}: {tex(report.status_text)}}}"
             rf"\label{{{_label('headline')}}}\\",
             r"\toprule", r"\textbf{figure} & \textbf{value} & \textbf{note} \\", r"\midrule",
             r"\endfirsthead", r"\toprule",
             r"\textbf{figure} & \textbf{value} & \textbf{note} \\", r"\midrule", r"\endhead"]
    lines += [f"{tex(f.label)} & {tex(f.text)} & {tex(f.note)} " + r"\\" for f in report.headline]
    lines += [r"\bottomrule", r"\end{longtable}", "}", ""]
    return lines


def render_report_tex(report: Report) -> str:
    s = report.stamp
    lines = [
        "% tables.tex: the main tables of an optimize report, for a LaTeX memo.",
        r"% Needs \usepackage{booktabs}, \usepackage{longtable} and \usepackage{array};",
        r"% then \input{tables.tex} (and run LaTeX twice: longtable sets its widths then).",
        f"% Scenario: {tex(s.scenario)}",
        f"% File: {tex(s.file)} (SHA-256 {s.sha256})",
        f"% Engine: pk-budget-optimizer {s.engine}; HiGHS {s.highs} (highspy {s.highspy})",
        f"% Amounts: {tex(s.currency)}",
        "",
    ]
    lines += _headline(report)
    brief = () if report.brief is None else (report.brief.binds, report.brief.drivers)
    for t in (report.allocation, *brief, *report.periods):
        lines += table_tex(t, report.currency)
    if report.risk is not None:
        for t in report.risk.tables:
            lines += table_tex(t, report.currency)
    if report.frontier is not None:
        lines += table_tex(report.frontier, report.currency)
    for t in (report.binding, *report.explanation, report.assumptions):
        lines += table_tex(t, report.currency)
    return "\n".join(lines).rstrip() + "\n"
