"""A views :class:`~optimizer.present.views.model.Table` written out: as a
:class:`~optimizer.present.formats.layout.Grid` (then plain text or Markdown by
``layout``) or as CSV.

The grid holds the page's columns (``page_hidden`` left out), each cell worded by the
views model in the table's style, each column on the side :func:`align` says, the
total rows under the rule. The CSV holds every column: the column keys as the header,
then the rows' raw numbers (a total is a sum the reader's tool makes, so none).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from typing import Any

from optimizer.present.formats import layout
from optimizer.present.views.model import Column, Quantity, Table, align, project, table_text

Mark = Callable[[int, Column, str], layout.Cell]
"""How Markdown emphasises a cell: (row number, its column, its words) -> the cell."""


def grid(table: Table, currency: str, mark: Mark | None = None) -> layout.Grid:
    """The page's view of ``table`` as worded cells; ``mark`` emphasises body cells."""
    table = project(table)
    header, body, totals = table_text(table, currency)
    rows = body if mark is None else [
        [mark(i, c, text) for c, text in zip(table.columns, row, strict=True)]
        for i, row in enumerate(body)]
    return layout.Grid(tuple(header), tuple(tuple(r) for r in rows),
                       tuple(align(c) for c in table.columns), tuple(tuple(t) for t in totals))


def raw(value: Any) -> Any:
    """A cell as the CSV writes it: a Quantity's value, "" for no number."""
    if isinstance(value, Quantity):
        value = value.value
    if value is None or isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a field as a formula (OWASP, CSV injection)."""


def _number(text: str) -> bool:
    """A plain finite number as a spreadsheet reads one (``-5``, ``-1.5e3``)."""
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number) and text.strip() == text and "_" not in text


def cell(value: Any) -> Any:
    """A CSV field that no spreadsheet computes: text that starts like a formula gets a
    leading ``'``; a number (or text that is one, such as ``-5``) is left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _number(value):
        return "'" + value
    return value


def csv_text(table: Table) -> str:
    """Every column of ``table``: its key, then each row's raw value (see :func:`cell`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([cell(c.key) for c in table.columns])
    writer.writerows([cell(raw(v)) for v in row] for row in table.rows)
    return buf.getvalue()
