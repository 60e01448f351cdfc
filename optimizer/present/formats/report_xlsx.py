"""Report -> report.xlsx (openpyxl): raw numbers with number formats, frozen headers,
column widths, filters; sheets Summary, Allocation, Periods, (Risk, for a scenario with
distributions,) Frontier, Assumptions, Sensitivity. A sheet with nothing to hold says so
in A1.

Text is text: no cell holds a formula, whatever a name starts with (``=``, ``+``,
``-``, ``@``).

The same report gives the same bytes: the document dates are the stamp's date
and the zip entries carry a fixed time. Figures are stored to 15 significant
digits, the precision Excel keeps (:func:`excel`), so they read back exactly.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from typing import TYPE_CHECKING, Any

from optimizer.numbers import memo
from optimizer.present.formats.layout import visible
from optimizer.present.views.model import (
    Column,
    Quantity,
    Report,
    Risk,
    Table,
    cell_text,
    numeric,
    project,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

SHEETS = ("Summary", "Allocation", "Periods", "Frontier", "Assumptions", "Sensitivity")
RISK_SHEET = "Risk"
"""After Periods, for a scenario with distributions."""
HEADER_FILL = "DDE4EE"
FLAG_FILL = "FFF3DC"
WIDEST = 60
WIDE = 70
"""Width of a column of long text (a source), which wraps."""
LINE = 15.0
"""Points a line of wrapped text takes."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def excel(value: float) -> float:
    """A figure as the workbook stores it: 15 significant digits, as Excel keeps."""
    return float(f"{value:.15g}")


def number_format(kind: str, value: float) -> str:
    """The Excel format of a raw figure of this kind."""
    size = abs(value)
    if kind == "share":
        return "0.0%"
    if kind == "count":
        return "#,##0" if float(value).is_integer() or size >= 1000 else "#,##0.00"
    if kind in ("money", "amount"):
        return "#,##0" if size >= 100 or size == 0 else ("#,##0.00" if size >= 1 else
                                                          "0.000000")
    if size == 0 or size >= 100:
        return "#,##0.##"
    return "0.0000" if size >= 0.01 else "0.000000"


def _raw(value: Any, column: Column, currency: str) -> tuple[Any, str | None]:
    """(cell value, number format) of one table cell: money and shares in the
    memo's formats (the exact figure stays in the cell), other figures plain."""
    kind, scale = column.kind, column.scale
    if isinstance(value, Quantity):
        if value.value is None or value.kind == "text":
            return value.text, None
        value, kind, scale = value.value, value.kind, None
    if isinstance(value, bool):
        return ("yes" if value else "no"), None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None, None
        value = excel(float(value)) if not float(value).is_integer() or kind != "count" \
            else int(value)
        if kind in ("money", "amount"):
            return value, memo.excel_money(float(value), currency,
                                           scale if kind == "money" else None)
        if kind == "share":
            return value, memo.EXCEL_SHARE
        return value, None if kind == "text" else number_format(kind, float(value))
    return value, None


def _header(column: Column) -> str:
    return f"{column.label} ({column.unit})" if column.unit and numeric(column) else column.label


def _style_header(ws: Worksheet, width: int, row: int = 1) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    for col in range(1, width + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.border = Border(bottom=Side(style="thin"))
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")


def write_table(ws: Worksheet, table: Table, currency: str) -> None:
    """One table from A1: header, rows, total (bold), notes below."""
    from openpyxl.utils import get_column_letter

    if not table.rows:
        ws["A1"] = table.empty
        ws.column_dimensions["A"].width = max(20, min(len(table.empty) + 2, 100))
        return
    cols = table.columns
    _, widths = _block(ws, table, currency, 1)
    for j, c in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(j)].width = WIDE if c.wide else widths[j - 1]
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(table.rows) + 1}"


def _block(ws: Worksheet, table: Table, currency: str, top: int) -> tuple[int, list[int]]:
    """The header of ``table`` on row ``top``, its rows and total (bold) below, then its
    notes; returns the first row after it and the width each column wants."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    cols = table.columns
    for j, c in enumerate(cols, 1):
        ws.cell(row=top, column=j, value=_header(c))
    _style_header(ws, len(cols), top)
    widths = [min(len(_header(c)), 28) + 2 for c in cols]
    flag = next((j for j, c in enumerate(cols) if c.key == "flag"), None)
    rows = [*table.rows, *table.totals]
    for i, row in enumerate(rows, top + 1):
        is_total = i > len(table.rows) + top
        for j, (value, c) in enumerate(zip(row, cols, strict=True), 1):
            raw, fmt = _raw(value, c, currency)
            if raw == "":
                raw = None
            cell = ws.cell(row=i, column=j, value=raw)
            if fmt:
                cell.number_format = fmt
            if c.wide:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                _tall(ws, i, raw, WIDE)
            else:
                cell.alignment = Alignment(vertical="top")
            if is_total:
                cell.font = Font(bold=True)
                cell.border = Border(top=Side(style="thin"))
            elif flag is not None and row[flag]:
                cell.fill = PatternFill("solid", fgColor=FLAG_FILL)
            # (a memo format shows the cell as the memo writes it)
            shown = cell_text(value, c, currency) if fmt is None or '"' in fmt \
                else _shown(raw, fmt)
            widths[j - 1] = max(widths[j - 1], min(len(shown), WIDEST) + 2)
    last = len(rows) + top
    for n, note in enumerate(table.notes):
        ws.cell(row=last + 2 + n, column=1, value=note).font = Font(italic=True)
    return last + 1 + (len(table.notes) + 1 if table.notes else 0), widths


def _risk(ws: Worksheet, risk: Risk, currency: str) -> None:
    """The Risk section on one sheet: its sentences, then each table under its title
    (and caption), a blank row between them; the notes last."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.cell(row=1, column=1, value="Risk").font = Font(bold=True, size=13)
    row = 2
    for line in risk.lede:
        ws.cell(row=row, column=1, value=line)
        row += 1
    widths: list[int] = []
    for table in risk.tables:
        row += 1
        ws.cell(row=row, column=1, value=table.title).font = Font(bold=True)
        row += 1
        if table.caption:
            ws.cell(row=row, column=1, value=table.caption).font = Font(italic=True)
            row += 1
        if not table.rows:
            ws.cell(row=row, column=1, value=table.empty)
            row += 1
            continue
        row, wanted = _block(ws, table, currency, row)
        for j, width in enumerate(wanted):
            if j < len(widths):
                widths[j] = max(widths[j], width)
            else:
                widths.append(width)
    if risk.notes:
        row += 1
        for note in risk.notes:
            ws.cell(row=row, column=1, value=note).font = Font(italic=True)
            row += 1
    for j, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = max(width, 12)


def _tall(ws: Worksheet, row: int, text: Any, width: float) -> None:
    """Give a row of wrapped text the height of its lines (readers do not all autofit)."""
    if not isinstance(text, str):
        return
    lines = max(1, math.ceil(len(text) / max(width * 1.1, 1.0)))
    height = ws.row_dimensions[row].height or LINE
    ws.row_dimensions[row].height = max(height, LINE * lines)


def _text_only(ws: Worksheet) -> None:
    """Every text cell stored as a string: the workbook computes nothing (openpyxl
    takes text that starts with '=' for a formula; a name such as '=HYPERLINK(...)'
    stays text). The tool writes no formula."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _print(ws: Worksheet) -> None:
    """Printed landscape, as wide as the page, the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.max_row > 1:
        ws.print_title_rows = "1:1"


def _shown(value: Any, fmt: str) -> str:
    """About as wide as Excel shows the figure (for the column's width)."""
    if not isinstance(value, int | float):
        return str(value)
    if fmt.endswith("%"):
        return f"{value:.1%}"
    decimals = len(fmt.split(".")[1]) if "." in fmt else 0
    return f"{value:,.{decimals}f}"


def _summary(ws: Worksheet, report: Report) -> None:
    from openpyxl.styles import Alignment, Font

    s = report.stamp
    ws.append(["item", "value", "as in the memo", "note"])
    _style_header(ws, 4)
    rows: list[tuple[str, Any, str, str]] = [
        ("Scenario", s.scenario, "", ""), ("Status", report.status, report.status_text, "")]
    for f in report.headline[1:]:
        rows.append((f.label, f.value, f.text, f.note))
    rows.append(("Summary", " ".join(report.lede), "", ""))
    rows += [("Solver message", m, "", "") for m in report.messages]
    # (a file's path is the one text a scenario's check does not see: escapes shown)
    rows += [("File", visible(s.file), "", ""), ("SHA-256", s.sha256, "", ""),
             ("Variant", s.variant or "", "", ""),
             ("Overrides", "; ".join(f"--set {o}" for o in s.overrides), "", ""),
             ("Engine", f"pk-budget-optimizer {s.engine}", "", ""),
             ("Solver", f"HiGHS {s.highs} (highspy {s.highspy})", "", ""),
             ("MIP gap", s.mip_gap, "", s.termination), ("Amounts", s.currency, "", ""),
             ("Date", s.date, "", "")]
    for i, (label, value, text, note) in enumerate(rows, 2):
        ws.cell(row=i, column=1, value=label).font = Font(bold=True)
        if isinstance(value, float):
            value = excel(value)
        cell = ws.cell(row=i, column=2, value=value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = "#,##0" if abs(value) >= 100 else "0.######"
        ws.cell(row=i, column=3, value=text or None)
        ws.cell(row=i, column=4, value=note or None)
        for col in range(1, 5):
            ws.cell(row=i, column=col).alignment = Alignment(vertical="top", wrap_text=col > 1)
        _tall(ws, i, value, 70)
        _tall(ws, i, note, 60)
    for letter, width in zip("ABCD", (26, 70, 24, 60), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def render_report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[0]
    _summary(ws, report)
    empty = {"Periods": "The scenario has no periods: see the Allocation sheet.",
             "Frontier": "No frontier in this report: run optimize report with --ceilings or "
                         "--targets."}
    for name, table in (("Allocation", report.allocation), ("Periods", report.period_detail),
                        ("Frontier", report.frontier_detail),
                        # every source in full: the page's numbered citations are not data
                        ("Assumptions", project(report.assumptions, ("cited",))),
                        ("Sensitivity", report.sensitivity)):
        sheet = wb.create_sheet(name)
        if table is None:
            sheet["A1"] = empty[name]
            sheet.column_dimensions["A"].width = len(empty[name]) + 2
        else:
            write_table(sheet, table, report.currency)
        if name == "Periods" and report.risk is not None:
            _risk(wb.create_sheet(RISK_SHEET), report.risk, report.currency)
    for sheet in wb.worksheets:
        _text_only(sheet)
        _print(sheet)
    when = _when(report.stamp.date)
    wb.properties.creator = "pk-budget-optimizer"
    wb.properties.title = report.title
    wb.properties.created = when
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed(buffer.getvalue(), when)


def _when(date: str) -> datetime.datetime:
    try:
        return datetime.datetime.fromisoformat(date).replace(tzinfo=None)
    except ValueError:
        return datetime.datetime(2000, 1, 1)


def _fixed(data: bytes, when: datetime.datetime) -> bytes:
    """The workbook with its save time replaced by ``when`` and fixed zip entry times."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, body)
    return out.getvalue()
