"""Hostile text (issue 18, items 1, 2 and 7): tests/hostile/hostile.yaml carries HTML
and JavaScript, Markdown table breakers, LaTeX commands, formula prefixes, mathtext
dollars, a leading '[' and a very long name in every text field; every output format is
produced from it and checked for what a reader's tool would do with it.

Terminal escapes cannot be written in a scenario (a control character is a scenario
error, checked here); they reach the terminal's side through a saved result.json given
to ``optimize compare``.

The plan is worked by hand: lever b costs 1 a unit and yields 1 (the cheapest: a costs 2,
d 3, c 5 for the same yield), capped at 4,000 units, and the target is 4,000: b alone at
its cap, cost 4,000. The variant raises b's cost to 1.5: still the cheapest, 6,000.
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from tests.clirun import invoke

HOSTILE = Path(__file__).resolve().parent / "hostile" / "hostile.yaml"
FORMULA = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What a terminal acts on (C0 but tab and line feed, DEL, C1)."""
ESCAPES = ("\x1b[2J", "\x1b]0;TITLE\x07", "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
           "\x1b]52;c;ZXZpbA==\x07", "\x9b31m")
"""Clear the screen, set the window title, an OSC 8 link, an OSC 52 clipboard write, a C1
CSI."""


def _data() -> dict[str, Any]:
    with HOSTILE.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def _texts() -> list[str]:
    """Every text field of the hostile file (names, units, sources, notes, a variant's)."""
    d = _data()
    out = [d["name"], d["description"], d["target"]["source"], d["budget"]["source"],
           *d["variants"]]
    for lever in d["levers"].values():
        out += [lever[k] for k in ("name", "unit", "source", "notes") if k in lever]
    for con in d["constraints"]:
        out += [con["name"], con["source"]]
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every output of the hostile file: optimize (text, Markdown, CSV, --output), report
    (with a frontier, the explanation and the Risk section), compare (the file and its
    variant), sweep, explain, simulate."""
    root = tmp_path_factory.mktemp("hostile")
    out: dict[str, Any] = {"root": root}
    for fmt in ("table", "markdown", "csv", "json"):
        code, text, err = invoke("--config", HOSTILE, "--format", fmt)
        assert code == 0, err
        out[fmt] = text
    code, _, err = invoke("--config", HOSTILE, "--output", root / "opt")
    assert code == 0, err
    code, out["report"], err = invoke("report", "--config", HOSTILE, "--output",
                                      root / "report", "--targets", "2000,4000", "--explain")
    assert code == 0, err
    code, out["compare"], err = invoke("compare", HOSTILE, "--variant", "all", "--output",
                                       root / "compare")
    assert code == 0, err
    code, out["sweep"], err = invoke("sweep", "--config", HOSTILE, "--targets", "2000,4000",
                                     "--output", root / "sweep")
    assert code == 0, err
    for fmt in ("table", "markdown"):
        for command in ("explain", "simulate"):
            code, out[f"{command}_{fmt}"], err = invoke(command, "--config", HOSTILE,
                                                        "--format", fmt)
            assert code == 0, err
    return out


def test_the_hostile_file_solves_as_worked_by_hand(made: dict[str, Any]) -> None:
    result = json.loads(made["json"])
    assert result["status"] == "optimal"
    assert result["total_cost"] == pytest.approx(4000.0, abs=1e-6)
    units = {a["lever"]: a["units"] for a in result["allocation"]}
    assert units == pytest.approx({"a": 0.0, "b": 4000.0, "c": 0.0, "d": 0.0}, abs=1e-6)
    # the names come back exactly as written
    assert [a["name"] for a in result["allocation"]] == [
        lever["name"] for lever in _data()["levers"].values()]
    compared = list(csv.reader(io.StringIO(
        (made["root"] / "compare" / "compare.csv").read_text(encoding="utf-8"))))
    total = next(row for row in compared if row[1] == "total_cost")
    assert [float(v) for v in total[2:4]] == [4000.0, 6000.0]


# -- 1. text never becomes a formula --------------------------------------------------------


def test_no_workbook_cell_is_a_formula(made: dict[str, Any]) -> None:
    wb = load_workbook(made["root"] / "report" / "report.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert [(c.parent.title, c.coordinate) for c in cells if c.data_type == "f"] == []
    # the hostile text is there, as text, exactly as written
    by_text = {c.value: c for c in cells if isinstance(c.value, str)}
    names = [lever["name"] for lever in _data()["levers"].values()]
    for name in names:
        assert name in by_text and by_text[name].data_type == "s", name
    assert wb["Allocation"]["A2"].value == names[0]  # '=HYPERLINK(...)': A2 of the issue
    started = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA)]
    assert len(started) >= 20 and all(c.data_type == "s" for c in started)
    # numbers stay numbers: the spend column holds floats
    spend = [c.value for c in wb["Allocation"]["D"][1:5]]
    assert spend == [0, 4000, 0, 0]


def _formula_safe(field: str) -> bool:
    """A CSV field no spreadsheet computes: not formula-like, a quoted one, or a number."""
    if not field.startswith(FORMULA):
        return True
    try:
        float(field)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", ["opt/allocation.csv", "compare/compare.csv",
                                  "sweep/sweep.csv", "stdout"])
def test_csv_fields_never_start_a_formula(made: dict[str, Any], name: str) -> None:
    text = made["csv"] if name == "stdout" else (made["root"] / name).read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(_formula_safe(f) for row in rows for f in row), rows
    if "allocation" in name or name == "stdout":
        header, *body = rows
        got = {row[0]: dict(zip(header, row, strict=True)) for row in body}
        levers = _data()["levers"]
        for lid, lever in levers.items():
            written = got[lid]["name"]
            # a quoted name is the name with one "'" before it: nothing else changes
            assert written == ("'" + lever["name"] if lever["name"].startswith(FORMULA)
                               else lever["name"])
        assert got["c"]["unit"] == "'=1/0" and got["a"]["unit"].startswith("'@SUM")
        assert float(got["b"]["spend"]) == 4000.0  # numbers stay numbers


def test_csv_quoting_keeps_numbers_as_numbers() -> None:
    from optimizer.present.formats.tables import cell

    assert [cell(v) for v in (-5.0, -5, 0.25, "-5", "-1.5e3", "+3")] == [
        -5.0, -5, 0.25, "-5", "-1.5e3", "+3"]
    assert [cell(v) for v in ("-inf", "=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                              " -5", "a=b")] == [
        "'-inf", "'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", " -5", "a=b"]


# -- 2. the injection suite ----------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_page_has_no_live_script_or_handler(made: dict[str, Any]) -> None:
    page = _Page()
    page.feed((made["root"] / "report" / "report.html").read_text(encoding="utf-8"))
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "iframe", "img", "object", "embed", "b", "a"}, tags
    handlers = [(t, a) for t, attrs in page.tags for a, _ in attrs if a.startswith("on")]
    assert handlers == []
    links = [v for _, attrs in page.tags for a, v in attrs if a in ("href", "src", "xlink:href")]
    assert all(not (v or "").lower().lstrip().startswith(("javascript:", "http")) for v in links)
    # the hostile text is shown as text
    shown = " ".join("".join(page.text).split())
    for text in ('=HYPERLINK("http://evil","x") <img src=x onerror=alert(3)>',
                 "<script>alert(4)</script>", "<svg onload=alert(5)>", r"\input{/etc/passwd}"):
        assert text in shown, text


def _cells(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def _markdown_files(made: dict[str, Any]) -> dict[str, str]:
    root = made["root"]
    files = {name: (root / name).read_text(encoding="utf-8") for name in (
        "opt/allocation.md", "report/report.md", "compare/compare.md", "sweep/sweep.md")}
    return {**files, "stdout": made["markdown"], "explain": made["explain_markdown"],
            "simulate": made["simulate_markdown"]}


@pytest.mark.parametrize("name", ["opt/allocation.md", "report/report.md", "compare/compare.md",
                                  "sweep/sweep.md", "stdout", "explain", "simulate"])
def test_markdown_keeps_its_columns_and_writes_no_html(made: dict[str, Any], name: str) -> None:
    text = _markdown_files(made)[name]
    lines = text.splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if re.fullmatch(r"\|(-+:?\|)+", line):  # an alignment rule: its table follows
            tables += 1
            width = line.count("|") - 1
            assert _cells(lines[i - 1]) == width, lines[i - 1]
            for row in lines[i + 1:]:
                if not row.startswith("|"):
                    break
                assert _cells(row) == width, row
    assert tables >= 1
    # no raw HTML outside code spans, no heading or row forged by a line break
    prose = re.sub(r"(`+).*?\1", "", text)
    assert not re.search(r"<[A-Za-z/!?]", prose), re.findall(r".{20}<[A-Za-z/!?].{20}", prose)
    assert not [x for x in lines if x.startswith(("# heading", "# not a heading", "# forged",
                                                  "| forged"))]
    # no link but the page's own charts, no link definition
    assert re.findall(r"(?<!\\)\]\((?!charts/)", prose) == []
    assert not [x for x in lines if re.match(r" {0,3}\[[^\]]*\]:", x)]
    assert "&lt;img src=x onerror=alert(3)>" in text or "&lt;img src=x onerror=alert(1)>" in text


def test_headings_stay_on_one_line(made: dict[str, Any]) -> None:
    md = _markdown_files(made)
    name = " ".join(_data()["name"].split())
    for key, level in (("report/report.md", "# "), ("stdout", "## ")):
        first = md[key].splitlines()[0]
        assert first.startswith(level) and first.endswith("$2B ... $1B"), first
        assert "&lt;img src=x onerror=alert(1)>" in first
    assert name.replace("|", "\\|").replace("<img", "&lt;img") in md["stdout"].splitlines()[0]


def test_latex_escapes_every_command_and_reads_no_file(made: dict[str, Any],
                                                       tmp_path: Path) -> None:
    from test_report import _pdflatex, check_tex, need_pdflatex

    text = (made["root"] / "report" / "tables.tex").read_text(encoding="utf-8")
    assert check_tex(text) >= 5  # braces balanced, one cell per column, specials escaped
    body = [x for x in text.splitlines() if not x.startswith("%")]
    commands = {m for x in body for m in re.findall(r"(?<!\\)\\([A-Za-z]+)", x)}
    assert not commands & {"input", "write", "immediate", "openin", "read", "include",
                           "catcode", "def", "csname"}, commands
    assert r"\textbackslash{}input\{/etc/passwd\}" in text
    assert r"\textbackslash{}write18\{touch /tmp/pwned\}" in text
    # a leading '[' after a row's \\ is braced: it is not the row's spacing argument
    assert not [x for x in body if x.startswith("[")]
    assert "{[}0pt] leading bracket" in text
    need_pdflatex()  # skips (fails under CI) without it: the escaping is parsed above
    shutil.copy(made["root"] / "report" / "tables.tex", tmp_path / "tables.tex")
    _pdflatex(tmp_path)
    run = subprocess.run(["pdflatex", "-recorder", "-interaction=nonstopmode",
                          "-no-shell-escape", "doc.tex"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0
    read = (tmp_path / "doc.fls").read_text(encoding="utf-8")
    assert "/etc/passwd" not in read and not (Path("/tmp/pwned")).exists()


def test_charts_draw_dollars_as_dollars(made: dict[str, Any]) -> None:
    charts = made["root"] / "report" / "charts"
    names = ("certainty", "frontier", "histogram", "mix", "tornado")
    assert sorted(p.name for p in charts.iterdir()) == [
        f"{n}.{x}" for n in names for x in ("png", "svg")]
    for name in names:  # each title names the scenario
        svg = _drawn((charts / f"{name}.svg").read_text(encoding="utf-8"))
        assert "$2B ... $1B" in svg  # mathtext would have drawn '2B ... 1B' in italics
        assert "&lt;img src=x onerror=alert(1)&gt;" in svg and "<img" not in svg
    assert "&lt;svg onload=alert(5)&gt;" in _drawn((charts / "mix.svg").read_text("utf-8"))


def _drawn(svg: str) -> str:
    """The text an SVG draws as text (matplotlib also writes each string in a comment)."""
    return "".join(re.findall(r"<text\b[^>]*>([^<]*)</text>", re.sub(r"<!--.*?-->", "", svg,
                                                                      flags=re.S)))


def test_chart_text_is_never_mathtext() -> None:
    """Every chart draws inside charts.RC: a dollar sign there is a dollar (mathtext
    drew 'Plan for $10B and $2B' as 'Plan for 10B and 2B', the middle in italics)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    from optimizer.present.formats.charts import RC, figure_bytes

    with rc_context(RC):
        fig = Figure(figsize=(4, 1))
        fig.text(0.01, 0.5, "Plan for $10B and $2B; $x^2$ {unbalanced \\frac")
        svg = _drawn(figure_bytes(fig, "svg").decode())
    assert "Plan for $10B and $2B; $x^2$ {unbalanced \\frac" in svg


def test_the_terminal_gets_one_line_a_name(made: dict[str, Any]) -> None:
    lines = made["table"].splitlines()
    assert lines[0].endswith("$1B: Optimal allocation [min_cost, optimal]")
    row = next(x for x in lines if x.startswith("-120 a name"))
    # (one line to its end: the share, then the outcome's column, jobs of 0)
    assert "unit with a line break" in row and re.search(r" 0\.0% +0$", row.rstrip())
    printed = ("table", "report", "sweep", "compare", "explain_table", "simulate_table")
    assert not CONTROL.search("".join(made[k] for k in printed))
    assert made["simulate_table"].splitlines()[0].endswith(
        "$1B: the plan under uncertainty (40 samples, seed 3)")
    intro = made["compare"].splitlines()[1]
    assert intro.endswith("$2B ... $1B (solved)"), intro


def test_terminal_escapes_show_as_text(made: dict[str, Any], tmp_path: Path) -> None:
    """Escapes in a saved result.json (a file from someone else) reach no terminal: the
    table shows them as escapes, a line break in the name does not split its line."""
    saved = json.loads((made["root"] / "opt" / "result.json").read_text(encoding="utf-8"))
    saved["scenario"] = "esc " + "".join(ESCAPES) + "\nsplit"
    path = tmp_path / "esc.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    code, out, err = invoke("compare", made["root"] / "opt" / "result.json", path)
    assert code == 0, err
    assert not CONTROL.search(out + err)
    line = next(x for x in out.splitlines() if x.startswith(f"  {path}"))
    assert "esc \\x1b[2J\\x1b]0;TITLE\\x07" in line and "\\x9b31m split (saved result)" in line
    code, out, err = invoke("compare", made["root"] / "opt" / "result.json", path,
                            "--format", "markdown")
    assert code == 0 and not CONTROL.search(out + err)
    code, out, err = invoke("compare", made["root"] / "opt" / "result.json", path,
                            "--format", "json")
    assert code == 0 and not CONTROL.search(out)
    assert json.loads(out)["columns"][1]["scenario"] == saved["scenario"]  # JSON: exact


def test_the_page_runs_no_script_in_a_browser(made: dict[str, Any]) -> None:
    """Chromium (as tests/test_report_browser.py drives it) opens the hostile page from
    127.0.0.1: no script, no dialog, no request but the page."""
    from test_report_browser import ARGS, CHROMIUM, _browser, _clean, _Quiet

    sync_playwright = _browser()
    handler = functools.partial(_Quiet, directory=str(made["root"] / "report"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/report.html"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                         headless=True)
            try:
                page = chromium.new_page()
                seen: dict[str, list[str]] = {"console": [], "errors": [], "requests": [],
                                              "failed": [], "dialogs": []}
                page.on("console", lambda m: seen["console"].append(m.text)
                        if m.type == "error" else None)
                page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
                page.on("request", lambda r: seen["requests"].append(r.url))
                page.on("requestfailed", lambda r: seen["failed"].append(r.url))
                page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
                response = page.goto(url, wait_until="load")
                assert response is not None and response.ok
                page.wait_for_load_state("networkidle")
                assert page.evaluate("document.scripts.length") == 0
                assert page.evaluate("document.querySelectorAll('img, iframe').length") == 0
                assert "<img src=x onerror=alert(1)>" in page.inner_text("h1")
                assert seen.pop("dialogs") == []
                _clean(seen, url)  # no error, and the page asked for nothing but itself
            finally:
                chromium.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- 7. control characters are a scenario error -----------------------------------------------


def test_a_file_name_with_an_escape_writes_the_report(tmp_path: Path) -> None:
    """The one text no scenario check sees, the file's path: every output still writes
    (openpyxl refused it: exit 1 'IllegalCharacterError') and no terminal gets it."""
    path = tmp_path / "a\x1b[2J\x07.yaml"
    path.write_text(HOSTILE.read_text(encoding="utf-8").replace("samples: 40", "samples: 5"),
                    encoding="utf-8")
    code, out, err = invoke("report", "--config", path, "--output", tmp_path / "report")
    assert code == 0, err
    assert not CONTROL.search(out + err)
    wb = load_workbook(tmp_path / "report" / "report.xlsx")
    files = [row[1].value for row in wb["Summary"].iter_rows() if row[0].value == "File"]
    assert files == ["a\\x1b[2J\\x07.yaml"]  # the name, its escapes shown
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert not CONTROL.search(md)


def test_a_control_character_is_a_scenario_error(tmp_path: Path) -> None:
    text = HOSTILE.read_text(encoding="utf-8")
    text = text.replace('name: "=HYPERLINK', 'name: "\\e[2J\\e]0;TITLE\\a=HYPERLINK', 1)
    text = text.replace('notes: "@evil', 'notes: "\\x9b31m@evil', 1)
    text = text.replace('source: "-5"', 'source: "del \\x7f"', 1)
    text = text.replace('"=1+1 <b>v</b> | w":', '"v\\e]52;c;ZXZpbA==\\a":', 1)
    path = tmp_path / "esc.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = invoke("--config", path, "--output", tmp_path / "out")
    assert (code, out) == (2, "")
    assert not (tmp_path / "out").exists()
    assert not CONTROL.search(err)
    problems = [x.strip() for x in err.splitlines()[1:]]
    assert err.splitlines()[0] == "error: invalid scenario (4 problems):"
    lines = text.splitlines()
    expected = [("name", "\\x1b[2J\\x1b]0;TITLE\\x07=HYPERLINK", "U+001B"),
                ("levers.b.notes", "\\x9b31m@evil", "U+009B"),
                ("levers.c.source", "del \\x7f", "U+007F"),
                ("variants.v\\x1b]52;c;ZXZpbA==\\x07", "v\\x1b]52;c;ZXZpbA==\\x07", "U+001B")]
    for problem, (field, got, char) in zip(problems, expected, strict=True):
        where, rest = problem.split(": ", 1)
        file, line, _ = where.rsplit(":", 2)
        assert file == str(path)
        if field.startswith("variants."):  # a name is located where its value starts
            assert lines[int(line) - 2].startswith('  "v\\e]52'), problem
        else:
            assert field.split(".")[-1] + ":" in lines[int(line) - 1], problem
        assert rest.startswith(f"{field}: ") and char in rest and f"(got '{got}" in rest, rest
    # --set reads its value as YAML, which refuses it first; a quoted escape reaches
    # the check
    code, out, err = invoke("--config", HOSTILE, "--set", "name=a\x1bb")
    assert (code, out) == (2, "") and "(got U+001B)" in err and not CONTROL.search(err)
    code, out, err = invoke("--config", HOSTILE, "--set", 'name="a\\e]0;T\\ab"')
    assert (code, out) == (2, "") and not CONTROL.search(err)
    assert "name: the text holds the control character U+001B" in err
    assert "[set on the command line]" in err
