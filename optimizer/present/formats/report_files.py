"""A report as the files of its folder, and the folder written whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from optimizer.errors import UsageError
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
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--output {directory}: exists and is not a folder")


def write_folder(directory: Path, files: Mapping[str, bytes]) -> None:
    """Write every file into a temporary folder beside ``directory``, then move it in:
    a new folder is renamed into place whole; into an existing one each file is
    renamed over its old copy (and report files this run did not write are removed).
    Nothing reaches ``directory`` unless every file was written."""
    directory = Path(directory)
    check_folder(directory)
    parent = directory.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=parent))
    try:
        for name, data in files.items():
            path = temp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        _permissions(temp)
        if not directory.exists():
            os.rename(temp, directory)
            return
        for name in files:
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp / name, target)
        for name in OWNED:
            if name not in files:
                (directory / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _permissions(folder: Path) -> None:
    """mkdtemp makes a private folder; a report folder gets the usual mode."""
    mask = os.umask(0)
    os.umask(mask)
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        path.chmod(0o777 & ~mask)
