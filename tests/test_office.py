"""Names that are formulas, opened in a real spreadsheet program (issue 18, item 1).

A scenario whose name, lever names, units, variant name and even file name are formulas
(``=HYPERLINK("http://evil","x")``, ``+cmd|' /C calc'!A0``, ``@SUM(1+1)``, ``-2+3``)
gives a report folder (``report.xlsx``), ``optimize --output`` (``allocation.csv``) and
``compare --output`` (``compare.csv``). LibreOffice Calc, headless, opens each file
(every sheet of the workbook) and saves what it shows as CSV, all in one run with a
profile of its own. Every text cell must come back as written: a formula comes back as
its result (``x``, ``2``, ``1``) or an error.

Two control files go through the same run: a CSV and a workbook that do hold formulas.
They must come back computed (``2``, ``x``), so this check can fail: were Calc to read
every formula as text (an option, a version), the controls fail rather than the names
passing for nothing.

What Calc cannot show: its CSV import computes a field only when it starts with ``=``,
where Excel also computes ``+``, ``-`` and ``@``. Those fields are checked to come back
with the ``'`` the CSV writer puts before them (tests/test_hostile.py checks that rule on
every field, by reading the files with Python).

The plan is worked by hand: p costs 1.5 a unit (a unit exports 1, up to 2,000), h 2 (up
to 1,000), s 3, m 4; the target of 3,000 takes all of p, then all of h: 3,000 + 2,000 =
5,000. The variant raises p's cost to 2.5, still below s: 2,000 + 5,000 = 7,000.

Without LibreOffice (``soffice``) the test skips, except under CI (env CI set), where it
fails: .ci/run installs libreoffice-calc-nogui. Nothing here reaches the network.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.clirun import invoke

NAMES = {"h": '=HYPERLINK("http://evil","x")', "p": "+cmd|' /C calc'!A0", "s": "@SUM(1+1)",
         "m": "-2+3"}
UNITS = {"h": "@SUM(1+1)", "p": "-2+3", "s": "=2+2", "m": "+1+1"}
COMPUTED = {'=HYPERLINK("http://evil","x")': "x", "+cmd|' /C calc'!A0": "#NAME?",
            "@SUM(1+1)": "2", "-2+3": "1"}
"""What a spreadsheet shows for each name had it computed it."""
SCENARIO = "=1+1"
VARIANT = "=3+3"
FILE = "=2+2.yaml"
"""The scenario's file name: compare.csv heads its columns with it."""
SPEND = {"h": 2000.0, "p": 3000.0, "s": 0.0, "m": 0.0}
"""The plan worked by hand (see above)."""
# Field ",", text '"', UTF-8 (76), the cells' values rather than as shown, every sheet to
# a file of its own, NAME-SHEET.csv (the last token; LibreOffice 7.2 and later).
TO_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def _scenario() -> str:
    levers = "".join(
        f"""
          {lid}:
            name: {json.dumps(NAMES[lid])}
            unit: {json.dumps(UNITS[lid])}
            unit_cost: {cost}
            yield_per_unit: 1
            max_units: {cap}"""
        for lid, cost, cap in (("h", 2, 1000), ("p", 1.5, 2000), ("s", 3, 1000),
                               ("m", 4, 1000)))
    return textwrap.dedent(f"""\
        name: {json.dumps(SCENARIO)}
        currency: USD
        objective: min_cost
        target:
          exports: 3000
        levers:{levers}
        variants:
          {json.dumps(VARIANT)}:
            levers.p.unit_cost: 2.5
        """)


def _soffice() -> str:
    """LibreOffice's program, or a skip (a failure under CI) saying what to install."""
    found = shutil.which("soffice")
    if found is None:
        message = ("the spreadsheet check needs LibreOffice Calc "
                   "(apt-get install --no-install-recommends libreoffice-calc-nogui)")
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    return found


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The outputs, and what Calc made of each: {"result": result.json, "book": the
    workbook as openpyxl reads it, "sent": {name: rows} of the CSVs given to Calc,
    "back": {NAME-SHEET.csv: rows} of what it wrote}."""
    soffice = _soffice()
    root = tmp_path_factory.mktemp("office")
    (root / FILE).write_text(_scenario(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # compare.csv heads its columns with the path as given: "=2+2.yaml"
        for args in (("--config", FILE, "--output", "opt"),
                     ("report", "--config", FILE, "--output", "report", "--targets", "1000,3000"),
                     ("compare", FILE, "--variant", "all", "--output", "compare")):
            code, _, err = invoke(*args)
            assert code == 0, err
    sent = root / "sent"
    sent.mkdir()
    for src in ("opt/allocation.csv", "compare/compare.csv", "report/report.xlsx"):
        shutil.copy(root / src, sent / Path(src).name)
    # the controls: formulas that Calc, opening these files as it opens ours, computes
    (sent / "control_csv.csv").write_text('a,b\n=1+1,"=HYPERLINK(""http://evil"",""x"")"\n',
                                          encoding="utf-8")
    control = Workbook()
    sheet = control.active
    assert sheet is not None
    sheet.title = "Control"
    sheet["A1"], sheet["B1"] = "=1+1", '=HYPERLINK("http://evil","x")'  # openpyxl: formulas
    control.save(sent / "control_xlsx.xlsx")
    back = root / "back"
    # One run for every file (Calc takes seconds to start): no --infilter, which would
    # apply to the workbooks too; a CSV is read with Calc's defaults, as a double-click
    # opens it.
    run = subprocess.run(
        [soffice, f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless",
         "--norestore", "--convert-to", TO_CSV, "--outdir", str(back),
         *sorted(str(p) for p in sent.iterdir())],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return {"result": json.loads((root / "opt" / "result.json").read_text(encoding="utf-8")),
            "book": load_workbook(root / "report" / "report.xlsx"),
            "sent": {p.name: _rows(p) for p in sent.glob("*.csv")},
            "back": {p.name: _rows(p) for p in back.glob("*.csv")}}


def _back(office: dict[str, Any], name: str) -> list[list[str]]:
    back: dict[str, list[list[str]]] = office["back"]
    assert name in back, f"Calc wrote {sorted(back)} (every sheet: LibreOffice 7.2 or later)"
    return back[name]


def test_calc_computes_the_formulas_of_the_control_files(office: dict[str, Any]) -> None:
    assert _back(office, "control_csv-control_csv.csv") == [["a", "b"], ["2", "x"]]
    assert _back(office, "control_xlsx-Control.csv") == [["2", "x"]]


def test_every_text_cell_of_the_workbook_comes_back_as_written(office: dict[str, Any]) -> None:
    book = office["book"]
    assert [f"report-{ws.title}.csv" for ws in book.worksheets if
            f"report-{ws.title}.csv" in office["back"]] == [
        f"report-{ws.title}.csv" for ws in book.worksheets]
    compared = 0
    for ws in book.worksheets:
        grid = _back(office, f"report-{ws.title}.csv")
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    shown = grid[c.row - 1][c.column - 1]
                    assert shown == c.value, (ws.title, c.coordinate, c.value, shown)
                    compared += 1
    assert compared >= 100
    # the names are where a reader looks for them, as text, not what they compute
    allocation = _back(office, "report-Allocation.csv")
    assert [r[0] for r in allocation[1:5]] == list(NAMES.values())
    assert [r[2] for r in allocation[1:5]] == list(UNITS.values())
    assert not {r[0] for r in allocation[1:5]} & {COMPUTED[n] for n in NAMES.values()}
    summary = {r[0]: r[1] for r in _back(office, "report-Summary.csv")}
    assert summary["Scenario"] == SCENARIO and summary["File"] == FILE
    frontier = _back(office, "report-Frontier.csv")[0]
    assert f"{NAMES['h']}: spend (USD)" in frontier


def _ascii(text: str) -> str:
    """The ASCII of a field. Calc's CSV import, without options, reads the bytes as
    Windows-1252: the 'Δ' of compare.csv's header comes back 'Î”'; an --infilter giving
    UTF-8 would apply to the workbook too. Every hostile character here is ASCII."""
    return text.encode("ascii", "ignore").decode("ascii")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@pytest.mark.parametrize("name", ["allocation", "compare"])
def test_every_csv_field_comes_back_as_written(office: dict[str, Any], name: str) -> None:
    sent = office["sent"][f"{name}.csv"]
    back = _back(office, f"{name}-{name}.csv")
    assert len(back) == len(sent)
    for wrote, shown in zip(sent, back, strict=True):
        assert len(shown) == len(wrote), (wrote, shown)
        for field, got in zip(wrote, shown, strict=True):
            value = _number(field)
            if value is None:
                assert _ascii(got) == _ascii(field), (field, got)
            else:  # Calc writes 4000.0 as 4000 and keeps 15 digits
                assert _number(got) == pytest.approx(value, rel=1e-14), (field, got)
    if name == "allocation":
        names = {r[0]: r[1] for r in back[1:]}
        # the writer's "'" comes back with it: text, in Calc as in Excel
        assert names == {lid: "'" + n for lid, n in NAMES.items()}
    else:
        assert back[0][2:4] == ["'" + FILE, f"'{FILE} [{VARIANT}]"]


def test_the_figures_come_back_as_the_plan(office: dict[str, Any]) -> None:
    plan = {a["lever"]: a["spend"] for a in office["result"]["allocation"]}
    assert plan == SPEND
    allocation = _back(office, "report-Allocation.csv")
    spend = allocation[0].index("spend (USD)")
    assert [float(r[spend]) for r in allocation[1:5]] == list(SPEND.values())
    csv_back = _back(office, "allocation-allocation.csv")
    column = csv_back[0].index("spend")
    assert {r[0]: float(r[column]) for r in csv_back[1:]} == SPEND
    total = next(r for r in _back(office, "compare-compare.csv") if r[1] == "total_cost")
    assert [float(v) for v in total[2:4]] == [5000.0, 7000.0]
    assert float({r[0]: r[1] for r in _back(office, "report-Summary.csv")}["Total cost"]) \
        == 5000.0

