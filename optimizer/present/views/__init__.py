"""A memo-ready report: the content (plain frozen data) assembled from what was solved.

:func:`build_report` turns a Result (and optionally a Sweep and an
Explanation) into a :class:`Report`; the renderers in ``optimizer.present.formats``
(``report_html``, ``report_markdown``, ``report_xlsx``, ``report_tex``) write
it. Nothing here solves or imports Pyomo.
"""

from optimizer.present.views.build import build_report, report_date
from optimizer.present.views.model import (
    Certainty,
    CertaintyPoint,
    Column,
    Figure,
    Mix,
    Quantity,
    Report,
    Risk,
    Stamp,
    Table,
    Tornado,
    cell_text,
    table_text,
)

__all__ = [
    "Certainty", "CertaintyPoint", "Column", "Figure", "Mix", "Quantity", "Report", "Risk",
    "Stamp", "Table", "Tornado",
    "build_report", "cell_text", "report_date", "table_text",
]
