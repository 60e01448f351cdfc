"""A report as the files of its folder, and the folder written whole or not at all."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from optimizer.present import files as files_
from optimizer.present.formats.report_charts import report_charts
from optimizer.present.formats.report_html import render_report_html
from optimizer.present.formats.report_markdown import render_report_markdown
from optimizer.present.formats.report_tex import render_report_tex
from optimizer.present.formats.report_xlsx import render_report_xlsx
from optimizer.present.views.model import Report

OWNED = ("report.html", "report.md", "report.xlsx", "tables.tex",
         *(f"charts/{name}.{ext}" for name in ("mix", "frontier", "tornado", "fan", "histogram",
                                               "certainty")
           for ext in ("png", "svg")))
"""Every file a report may write; a rerun removes those it no longer writes."""


def report_files(report: Report) -> dict[str, bytes]:
    """File name (relative to the folder) -> bytes, everything rendered in memory."""
    charts = report_charts(report)
    files: dict[str, bytes] = {}
    for name, by_format in charts.items():
        for fmt, data in by_format.items():
            files[f"charts/{name}.{fmt}"] = data
    svg = {name: by_format["svg"].decode("utf-8") for name, by_format in charts.items()}
    files["report.html"] = render_report_html(report, svg).encode("utf-8")
    files["report.md"] = render_report_markdown(report, charts).encode("utf-8")
    files["report.xlsx"] = render_report_xlsx(report)
    files["tables.tex"] = render_report_tex(report).encode("utf-8")
    return dict(sorted(files.items()))


def check_folder(directory: Path) -> None:
    """A file, or a link to nothing, is no folder to write (a UsageError)."""
    files_.where(Path(directory))


def write_folder(directory: Path, files: Mapping[str, bytes]) -> None:
    """The report's folder written whole (see present.files.write_folder); report
    files a rerun no longer writes are removed."""
    check_folder(Path(directory))
    files_.write_folder(Path(directory), files, OWNED)
