"""A report as the files of its folder, and the folder written whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

from optimizer.imports import plain
from optimizer.present import files as files_
from optimizer.present.formats.report_charts import SLOWEST, chart_bytes, chart_makers
from optimizer.present.formats.report_html import render_report_html
from optimizer.present.formats.report_markdown import render_report_markdown
from optimizer.present.formats.report_tex import render_report_tex
from optimizer.present.formats.report_xlsx import render_report_xlsx
from optimizer.present.views.model import Report

Bars = Callable[[int, str], Callable[[int], None]]
"""Given a step's number of parts and its name, what to tell as parts finish (the
command line's progress bar; optimizer.analyses.tasks.Bars)."""

OWNED = ("report.html", "report.md", "report.xlsx", "tables.tex",
         *(f"charts/{name}.{ext}" for name in ("mix", "frontier", "tornado", "fan", "histogram",
                                               "certainty")
           for ext in ("png", "svg")))
"""Every file a report may write; a rerun removes those it no longer writes."""


def report_files(report: Report, progress: Bars | None = None,
                 workers: int | None = None) -> dict[str, bytes]:
    """File name (relative to the folder) -> bytes, everything rendered in memory.

    The charts and the workbook, each on its own, are rendered side by side in
    ``workers`` forked processes (None: as many as pay here; see
    optimizer.solving.forked), the slowest first: drawn in turn they took 2.5 s of a
    report's 9.6 s. The same bytes however many ran. ``progress``: given their
    number and a name, what to tell as they finish."""
    from optimizer.solving.forked import forked_map

    makers = chart_makers(report)
    names = sorted(makers, key=lambda n: SLOWEST.index(n) if n in SLOWEST else len(SLOWEST))

    def render(i: int) -> dict[str, bytes] | bytes:
        return chart_bytes(makers[names[i]]) if i < len(names) else render_report_xlsx(report)

    count = len(names) + 1
    tick = None if progress is None else progress(count, "charts and workbook")
    rendered = forked_map(render, count, workers, tick)
    found = {name: cast("dict[str, bytes]", rendered[i]) for i, name in enumerate(names)}
    charts = {name: found[name] for name in makers}  # (in chart_makers' order)
    files: dict[str, bytes] = {}
    for name, by_format in charts.items():
        for fmt, data in by_format.items():
            files[f"charts/{name}.{fmt}"] = data
    svg = {name: by_format["svg"].decode("utf-8") for name, by_format in charts.items()}
    files["report.html"] = render_report_html(report, svg).encode("utf-8")
    files["report.md"] = render_report_markdown(report, charts).encode("utf-8")
    files["report.xlsx"] = cast(bytes, rendered[-1])
    files["tables.tex"] = render_report_tex(report).encode("utf-8")
    return dict(sorted(files.items()))


def prepare() -> None:
    """Import here what rendering the charts and the workbook imports (matplotlib and
    openpyxl, 0.4 s on an idle machine): the processes report_files forks for them
    then start with it instead of each importing it again. The report calls this
    while its searches run in other processes, where this one only waits."""
    import importlib

    plain("matplotlib")
    for name in _RENDERERS:
        importlib.import_module(name)


_RENDERERS = ("matplotlib.figure", "matplotlib.backends.backend_agg",
              "matplotlib.backends.backend_svg", "matplotlib.layout_engine",
              "matplotlib.patches", "matplotlib.textpath", "matplotlib.ticker",
              "PIL.PngImagePlugin", "openpyxl")
"""What drawing the charts (Agg for PNG, the SVG backend, Pillow's PNG writer) and
writing the workbook import."""


def check_folder(directory: Path) -> None:
    """A file, or a link to nothing, is no folder to write (a UsageError)."""
    files_.where(Path(directory))


def write_folder(directory: Path, files: Mapping[str, bytes]) -> None:
    """The report's folder written whole (see present.files.write_folder); report
    files a rerun no longer writes are removed."""
    check_folder(Path(directory))
    files_.write_folder(Path(directory), files, OWNED)
