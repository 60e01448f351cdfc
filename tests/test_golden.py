"""Goldens: every command in every format on the shipped configs, compared with the
files in tests/golden/ after the parts that change from run to run are masked
(solver timings and versions, float digits past the tenth). The safety net of the
house's moves (issue 11): a change that alters any output says why in its commit and
refreshes them with ``GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/test_golden.py``.

Charts are left to test_charts (their bytes follow matplotlib's and FreeType's
versions); the report's workbook is compared cell by cell, its page with the charts
cut out.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"

# paths as a planner types them, from the checkout's root (the tests run there)
SHIPPED = Path("configs/pakistan_it_exports.yaml")
THREE_YEAR = Path("configs/pakistan_it_exports_3yr.yaml")
EXAMPLES = Path("configs/examples")
CONFIGS = sorted(p.relative_to(ROOT) for p in (ROOT / "configs").rglob("*.yaml"))
SUFFIX = {"table": "txt", "csv": "csv", "json": "json", "markdown": "md"}


def _cases() -> list[tuple[str, list[str]]]:
    cases: list[tuple[str, list[str]]] = []
    for config in CONFIGS:
        for fmt in ("table", "csv", "json", "markdown"):
            cases.append((f"optimize/{config.stem}.{SUFFIX[fmt]}",
                          ["--config", str(config), "--format", fmt]))
    for config in (SHIPPED, EXAMPLES / "infeasible.yaml"):
        for fmt in ("table", "json", "markdown"):
            cases.append((f"explain/{config.stem}.{SUFFIX[fmt]}",
                          ["explain", "--config", str(config), "--format", fmt]))
    for fmt in ("table", "csv", "json", "markdown"):
        cases.append((f"sweep/ceilings.{SUFFIX[fmt]}",
                      ["sweep", "--config", str(SHIPPED), "--ceilings", "100M:250M:50M",
                       "--format", fmt]))
        cases.append((f"sweep/targets.{SUFFIX[fmt]}",
                      ["sweep", "--config", str(SHIPPED), "--targets", "5B,7B,9B",
                       "--format", fmt]))
        cases.append((f"compare/shipped.{SUFFIX[fmt]}",
                      ["compare", str(SHIPPED), str(THREE_YEAR), "--format", fmt]))
    for fmt in ("table", "json", "markdown"):
        cases.append((f"simulate/uncertain_yields.{SUFFIX[fmt]}",
                      ["simulate", "--config", str(EXAMPLES / "uncertain_yields.yaml"),
                       "--samples", "200", "--format", fmt]))
    return cases


CASES = _cases()

_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d{10,}(?:e[+-]?\d+)?")


def mask(text: str) -> str:
    """What changes between two runs of the same code, masked: seconds, HiGHS's
    version, the root of this checkout, and float digits past the tenth (a
    degenerate LP may end a vertex's last bits apart on another HiGHS)."""
    text = text.replace(str(ROOT), "<root>")
    text = re.sub(r'"(seconds|build_seconds|solve_seconds|elapsed)": [-0-9.e+]+',
                  r'"\1": "<s>"', text)
    text = re.sub(r'"version": "[^"]*"', '"version": "<v>"', text)
    text = re.sub(r"HiGHS \d+\.\d+\.\d+", "HiGHS <v>", text)
    text = re.sub(r"\b\d+(\.\d+)? ?(s|ms)\b(?!\w)", "<t>", text)
    return _FLOAT.sub(lambda m: f"{float(m.group()):.10g}", text)


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    text = mask(text)
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden {path.relative_to(ROOT)}: run with GOLDEN_UPDATE=1")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden; if the change is meant, say why in the "
        "commit and refresh with GOLDEN_UPDATE=1")


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_command_output_is_its_golden(name: str, args: list[str]) -> None:
    got = invoke(*args)
    check(name, f"exit {got.code}\n--- stdout\n{got.out}\n--- stderr\n{got.err}")


def _cells(path: Path) -> str:
    book = load_workbook(path)
    lines = []
    for sheet in book.worksheets:
        lines.append(f"== {sheet.title}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    lines.append(f"{cell.coordinate}\t{cell.data_type}\t{cell.value!r}")
    return "\n".join(lines) + "\n"


def test_report_files_are_their_goldens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = tmp_path / "report"
    got = invoke("report", "--config", SHIPPED, "--output", out)
    check("report/run.txt", f"exit {got.code}\n--- stdout\n"
          f"{got.out.replace(str(tmp_path), '<tmp>')}\n--- stderr\n{got.err}")
    assert got.code == 0, got.err
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    check("report/files.txt", "\n".join(files) + "\n")
    check("report/report.md", (out / "report.md").read_text(encoding="utf-8"))
    check("report/tables.tex", (out / "tables.tex").read_text(encoding="utf-8"))
    page = (out / "report.html").read_text(encoding="utf-8")
    page = re.sub(r"<svg.*?</svg>", "<svg/>", page, flags=re.S)
    page = re.sub(r'data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+', "data:<image>", page)
    check("report/report.html", page)
    check("report/report.xlsx.txt", _cells(out / "report.xlsx"))


def test_goldens_have_no_strays() -> None:
    """Every golden belongs to a case: a renamed case leaves no stale file behind."""
    made = {name for name, _ in CASES} | {
        f"report/{n}" for n in ("run.txt", "files.txt", "report.md", "tables.tex",
                                "report.html", "report.xlsx.txt")}
    kept = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file()}
    assert kept <= made, sorted(kept - made)


def test_json_goldens_are_json() -> None:
    """The masks keep a JSON output JSON (a golden a reader can load and diff)."""
    for path in sorted(GOLDEN.glob("*/*.json")):
        stdout = path.read_text(encoding="utf-8").split("--- stdout\n", 1)[1]
        stdout = stdout.split("\n--- stderr\n", 1)[0]
        if stdout.strip():
            json.loads(stdout)
