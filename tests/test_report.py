"""optimize report: the folder a memo is made of, read back and checked against the result
it came from (Markdown parsed, the workbook read with openpyxl, the LaTeX compiled)."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from optimizer.analyses.simulate import plan_of, simulate
from optimizer.analyses.sweep import parse_range, run_sweep
from optimizer.numbers import memo
from optimizer.present.formats.report_charts import TOP, _bars
from optimizer.present.formats.report_xlsx import RISK_SHEET, SHEETS, excel
from optimizer.present.views import build_report, report_date
from optimizer.results import Result, Sweep
from optimizer.scenario import load_scenario
from optimizer.scenario.uncertain_fields import scenario_draws
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
THREE = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
ONE = ROOT / "configs" / "pakistan_it_exports.yaml"
INFEASIBLE = ROOT / "configs" / "examples" / "infeasible.yaml"
CEILINGS = "200M:3B:200M"
CONFIDENCES = (0.5, 0.7)
# Every section but ranging, whose bisections take six seconds on the 3-year plan; the
# cost of certainty at two confidences (the default five take a minute, 0.9 proving
# itself out of reach).
ARGS = ("report", "--config", THREE, "--ceilings", CEILINGS, "--explain", "--sections",
        "binding,tornado,room", "--confidences", ",".join(map(str, CONFIDENCES)))
FILES = {"report.html", "report.md", "report.xlsx", "tables.tex",
         *(f"charts/{c}.{e}" for c in ("mix", "frontier", "tornado", "fan", "certainty")
           for e in ("png", "svg"))}
NO_CURVE = ("--confidences", "none")
"""For reports of the (uncertain) shipped scenarios whose tests are not about risk: the
simulation stays (a fraction of a second), the chance-constrained solves go."""
WITH_RISK = [*SHEETS[:3], RISK_SHEET, *SHEETS[3:]]




@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The done-when report (less ranging), made once through the command line, with the
    Simulation and the chance-constrained results its Risk section was built from."""
    import importlib

    # (the module: optimizer.cli's attribute "report" is the command)
    command = importlib.import_module("optimizer.cli.report")
    seen: dict[str, Any] = {}
    real_solve = command.solve_report

    def solved(*args: Any, **kwargs: Any) -> Any:
        # (the simulation and the confidences run in forked processes beside the other
        # searches: taken from what the command renders)
        data = real_solve(*args, **kwargs)
        seen["simulation"] = data.simulation
        seen["certainty"] = list(data.certainty)
        return data

    folder = tmp_path_factory.mktemp("three") / "memo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(command, "solve_report", solved)
        code, out, err = invoke(*ARGS, "--output", folder)
    assert code == 0, err
    assert "Wrote" in out
    seen["folder"] = folder
    return seen


@pytest.fixture(scope="module")
def three(made: dict[str, Any]) -> Path:
    return made["folder"]


@pytest.fixture(scope="module")
def result3() -> Result:
    return solve_scenario(load_scenario(THREE))


@pytest.fixture(scope="module")
def sweep3() -> Sweep:
    return run_sweep(load_scenario(THREE), "ceilings", parse_range(CEILINGS, "USD", {}))


# -- reading memo numbers back -----------------------------------------------------------

FIGURE = re.compile(r"^(-)?(?:\$|Rs |[A-Z]{3} )?([\d,]+(?:\.\d+)?)([TBM])?(%)?$")
FACTOR = {"T": 1e12, "B": 1e9, "M": 1e6, None: 1.0}


def shown(text: str) -> Decimal | None:
    """The figure a memo cell shows, exactly (None: not a figure)."""
    text = text.strip().strip("*`").strip()
    if text == memo.ZERO:
        return Decimal(0)
    m = FIGURE.match(text)
    if not m:
        return None
    sign, digits, suffix, pct = m.groups()
    value = Decimal(digits.replace(",", "")) * Decimal(repr(FACTOR[suffix]))
    value = value / 100 if pct else value
    return -value if sign else value


def half_step(text: str) -> float:
    """Half the last digit a memo figure shows ($10B, trimmed, is three significant
    figures: 10.0B)."""
    text = text.strip().strip("*`").strip()
    if text == memo.ZERO:
        return 0.0
    m = FIGURE.match(text)
    assert m, text
    _, digits, suffix, pct = m.groups()
    whole = digits.replace(",", "").split(".")[0]
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    if suffix and "." not in digits:  # trailing zeros trimmed: three significant figures
        decimals = max(decimals, 3 - len(whole))
    return 0.5 * 10.0 ** -decimals * FACTOR[suffix] * (0.01 if pct else 1.0)


def same(text: str, raw: float | None) -> None:
    """``text`` is ``raw`` as a memo writes it: equal within half its last digit."""
    if raw is None or isinstance(raw, float) and math.isnan(raw):
        assert text.strip("*") in (memo.MISSING, ""), text
        return
    value = shown(text)
    assert value is not None, text
    assert abs(float(value) - raw) <= half_step(text) * (1 + 1e-9) + 1e-9, (text, raw)


def md_tables(text: str) -> dict[str, list[list[str]]]:
    """Title -> rows (header first) of every table of report.md."""
    tables: dict[str, list[list[str]]] = {}
    title = ""
    for line in text.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
        elif line.startswith("**") and line.endswith("**") and "|" not in line:
            title = line.strip("*")
        elif line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if cells and all(set(c) <= set("-:") for c in cells):
                continue
            tables.setdefault(title, []).append(cells)
    return tables


def by_first(rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[0].strip("*"): r for r in rows[1:]}


# -- the numbers -------------------------------------------------------------------------


def test_the_folder_holds_every_file(three: Path) -> None:
    got = {p.relative_to(three).as_posix() for p in three.rglob("*") if p.is_file()}
    assert got == FILES
    for name in FILES:
        data = (three / name).read_bytes()
        if name.endswith(".png"):
            assert data.startswith(b"\x89PNG")
        if name.endswith(".svg"):
            assert b"<svg" in data[:2000]
    assert not list(three.parent.glob(".memo.*"))  # no temporary folder left behind


def test_markdown_allocation_and_headline_equal_the_result(three: Path, result3: Result) -> None:
    tables = md_tables((three / "report.md").read_text(encoding="utf-8"))
    rows = by_first(tables["Allocation"])
    assert len(rows) == len(result3.rows) + 1  # every lever and the total
    for rec in result3.rows:
        row = rows[rec.name]
        same(row[1], rec.units)
        same(row[3], rec.spend)
        same(row[4], rec.exports)
        same(row[5], rec.cost_per_export)
        same(row[6], rec.share_of_exports)
    same(rows["total"][3], result3.total_cost)
    same(rows["total"][4], result3.lever_exports)
    head = by_first([[], *tables["Brief"]])  # the headline opens the brief
    same(head["Total cost"][1], result3.total_cost)
    assert head["Exports reached"][1] == "**$10B in 2026**"
    same(head["Exports reached"][1].strip("*").removesuffix(" in 2026"), result3.total_exports)
    assert "$178.5M discounted" in head["Total cost"][2]
    assert result3.next_step is not None
    same(head["The next $1M of exports"][1], result3.next_step[1])


def test_markdown_periods_equal_the_result(three: Path, result3: Result) -> None:
    tables = md_tables((three / "report.md").read_text(encoding="utf-8"))
    assert result3.periods is not None and result3.spend_by_period is not None
    periods = list(result3.periods)
    for title, key, totals in (("Spend by period", "spend", result3.spend_by_period),
                               ("Exports by period", "exports", result3.exports_by_period)):
        rows = by_first(tables[title])
        for rec in result3.rows:
            if rec.units == 0:
                assert rec.name not in rows  # unfunded levers are named in a note
                continue
            for k, p in enumerate(periods, 1):
                same(rows[rec.name][k], getattr(rec.by_period[p], key))
        assert totals is not None
        for k, p in enumerate(periods, 1):
            same(rows["total"][k], totals[p])
    units = tables["Units by period"]
    funded = {r[0]: r for r in units[1:] if r[1] == "funded"}
    for rec in result3.rows:
        if rec.units:
            for k, p in enumerate(periods, 2):
                same(funded[rec.name][k], rec.by_period[p].units)


def test_markdown_frontier_equals_the_sweep(three: Path, sweep3: Sweep) -> None:
    tables = md_tables((three / "report.md").read_text(encoding="utf-8"))
    rows = tables["Frontier: the most exports at each budget ceiling"]
    header, body = rows[0], rows[1:]
    assert len(sweep3.values) == 15
    # consecutive points with the same plan are one row naming its range ("$800M to $3B")
    cells = []
    points = iter(zip(sweep3.values, sweep3.results, strict=True))
    for row in body:
        first, _, last = row[0].partition(" to ")
        value, r = next(points)
        same(first, value)
        cells.append((row, r))
        while last and abs(value - float(shown(last) or 0)) > 1e-6 * value:
            value, r = next(points)
            cells.append((row, r))
        if last:
            same(last, value)
    assert next(points, None) is None and len(cells) == 15 and len(body) == 4
    for row, r in cells:
        assert row[1] == "optimal"
        same(row[2], r.total_cost)
        same(row[3], r.lever_exports)
        spend = {rec.name: rec.spend for rec in r.rows}
        for name, cell in zip(header[5:], row[5:], strict=True):
            same(cell, spend[name.removesuffix(": spend")])


def test_binding_limits_and_their_worth(three: Path, result3: Result) -> None:
    rows = md_tables((three / "report.md").read_text(encoding="utf-8"))[
        "What binds, and what it is worth both ways"]
    assert [r[1].strip("`") for r in rows[1:]] == list(result3.binding)
    retention = next(r for r in rows if "dollar_retention.max_units" in r[1])
    # the retention cap moved 50M (5%) either way: $1.09M of discounted cost, 0.0218 a
    # dollar (the explain tests hold these figures against scipy's)
    assert retention[3:7] == ["50M", "$1.09M", "50M", "$1.09M"]
    assert "saves $1.09M ($0.0218 per USD retained a year)" in retention[7]
    # the done-when: what lowering the training capacity costs
    cap = next(r for r in rows if "it_workforce.max_units_per_period" in r[1])
    assert cap[7].startswith("lowering it by 3,000 to 77,000, where the plan changes, "
                             "costs $1.01M more")


def test_totals_add_up_or_the_table_says_so(three: Path, tmp_path: Path) -> None:
    """For every table with a total: the rounding note is there exactly when the parts as
    shown miss the total as shown (columns, and rows with a total column)."""
    code, _, err = invoke("report", "--config", ONE, "--currency", "PKR", *NO_CURVE,
                          "--output", tmp_path / "pkr")
    assert code == 0, err
    checked = 0
    for folder in (three, tmp_path / "pkr"):
        text = (folder / "report.md").read_text(encoding="utf-8")
        for title, rows in md_tables(text).items():
            if "total" not in by_first(rows) or title.startswith("Pakistan"):
                continue
            header, body, total = rows[0], rows[1:-1], rows[-1]
            misses = False
            for j in range(1, len(header)):
                parts = [shown(r[j]) for r in body]
                whole = shown(total[j])
                if whole is not None:
                    misses |= sum(p for p in parts if p is not None) != whole
            if header[-1].startswith("total"):
                for r in body:
                    cells = [shown(c) for c in r[1:-1]]
                    misses |= sum(c for c in cells if c is not None) != shown(r[-1])
            section = text.split(f"## {title}")[1].split("\n## ")[0].split("\n### ")[0]
            assert (memo.ROUNDING_NOTE in section) == misses, title
            checked += 1
    assert checked >= 4
    # the rupee report's exports: Rs 969.0B + 855.0B + 285.0B = 2,109.0B, spend misses
    assert memo.ROUNDING_NOTE in (tmp_path / "pkr" / "report.md").read_text(encoding="utf-8")


def test_the_workbook_reads_back_to_the_result(three: Path, result3: Result,
                                               sweep3: Sweep) -> None:
    wb = load_workbook(three / "report.xlsx")
    assert wb.sheetnames == WITH_RISK
    ws = wb["Allocation"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref
    header = [c.value for c in ws[1]]
    assert header[3] == "spend 2024\u20132026 (USD)"
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    for rec in result3.rows:
        row = rows[rec.name]
        assert row[1] == rec.units
        assert row[3] == excel(rec.spend) and row[4] == excel(rec.exports)
        assert row[3] == pytest.approx(rec.spend, rel=1e-14)
    assert rows["total"][3] == excel(result3.total_cost)  # type: ignore[arg-type]
    # the exact figure in the cell, shown as the memo writes it (tests/test_one_figure.py)
    assert ws.cell(2, 4).number_format == '"$"#,##0.0,,"M";-"$"#,##0.0,,"M";"\u2013"'
    assert ws.cell(2, 7).number_format == '0.0%;-0.0%;"\u2013"'
    assert ws.column_dimensions["A"].width >= 40  # the longest lever name fits
    assert isinstance(ws.cell(2, 4).value, float)  # numbers, not text

    periods = wb["Periods"]
    assert periods.freeze_panes == "B2"
    seen = 0
    names = {rec.lever: rec for rec in result3.rows}
    for lid, _name, period, units, active, spend, exports in periods.iter_rows(
            min_row=2, values_only=True):
        q = names[lid].by_period[int(period)]
        assert (units, active, spend, exports) == tuple(
            excel(getattr(q, k)) for k in ("units", "active", "spend", "exports"))
        seen += 1
    assert seen == 4 * 3

    frontier = list(wb["Frontier"].iter_rows(values_only=True))
    head, body = frontier[0], frontier[1:]
    assert len(body) == len(sweep3.values)
    for row, value, r in zip(body, sweep3.values, sweep3.results, strict=True):
        assert row[0] == excel(value) and row[2] == excel(r.total_cost)  # type: ignore[arg-type]
        assert row[3] == excel(r.lever_exports)  # type: ignore[arg-type]
        for rec in r.rows:
            assert row[head.index(f"{rec.name}: units")] == excel(rec.units)
            assert row[head.index(f"{rec.name}: spend (USD)")] == excel(rec.spend)

    scenario = load_scenario(THREE).scenario
    assumptions = {r[0]: r for r in wb["Assumptions"].iter_rows(min_row=2, values_only=True)}
    cost = assumptions["levers.it_workforce.unit_cost"]
    assert cost[2] == excel(scenario.levers["it_workforce"].unit_cost)
    assert cost[4:6] == ("assumption", "assumption")
    assert assumptions["levers.it_workforce.max_units"][4:6] == ("fact", None)
    assert assumptions["levers.it_workforce.yield_per_unit"][4] == "derived"
    assert assumptions["exchange_rates.PKR"][4:6] == ("assumption", "assumption")
    assert assumptions["levers.it_workforce.max_units_per_period"][4:6] == (
        "assumption", "assumption")
    assert assumptions["levers.erozgar_centers.unit_cost"][4:6] == ("fact", None)
    assert assumptions["target.milestones.2024"][2] == 2.4e9

    sensitivity = list(wb["Sensitivity"].iter_rows(min_row=2, values_only=True))
    sections = [r[0] for r in sensitivity]
    assert sections.count("binding") == len(result3.binding)
    assert {"tornado", "room"} <= set(sections) and "ranging" not in sections
    summary = {r[0]: r for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Total cost"][1] == excel(result3.total_cost)  # type: ignore[arg-type]
    assert summary["Status"][1] == "optimal"
    assert summary["SHA-256"][1] == result3.scenario_sha256


def test_sheets_without_content_say_so(tmp_path: Path) -> None:
    code, _, err = invoke("report", "--config", ONE, *NO_CURVE, "--output", tmp_path / "r")
    assert code == 0, err
    wb = load_workbook(tmp_path / "r" / "report.xlsx")
    assert wb.sheetnames == WITH_RISK
    assert "no periods" in wb["Periods"]["A1"].value
    assert "--ceilings" in wb["Frontier"]["A1"].value
    assert wb["Sensitivity"]["A1"].value == "section"  # the binding limits' worth
    assert not (tmp_path / "r" / "charts" / "frontier.png").exists()


# -- the Risk section ---------------------------------------------------------------------

GOALS = "How likely the plan reaches its goals"
SPREAD = "What the plan delivers and costs across the samples"
DRIVERS = "What drives the exports"
CERTAINTY = "The cost of certainty"


def risk_sheet(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Title -> rows (header first) of every table on the workbook's Risk sheet."""
    rows = list(load_workbook(path)[RISK_SHEET].iter_rows(values_only=True))
    out: dict[str, list[tuple[Any, ...]]] = {}
    for i, row in enumerate(rows):
        if row[0] not in (GOALS, SPREAD, DRIVERS, CERTAINTY):
            continue
        start = next(j for j in range(i + 1, len(rows))
                     if sum(v is not None for v in rows[j]) >= 2)
        end = next((j for j in range(start, len(rows)) if all(v is None for v in rows[j])),
                   len(rows))
        width = sum(v is not None for v in rows[start])
        out[row[0]] = [r[:width] for r in rows[start:end]]
    return out


def test_the_risk_section_in_markdown_equals_the_simulation(made: dict[str, Any],
                                                            result3: Result) -> None:
    sim = made["simulation"]
    s = load_scenario(THREE).scenario
    # the plan held fixed is the report's own, under the file's samples and seed
    assert sim.plan_source == "the report's plan" and sim.samples == 1000 and sim.seed == 2023
    assert dict(sim.units) == plan_of(result3, s)
    md = (made["folder"] / "report.md").read_text(encoding="utf-8")
    assert "\n## Risk\n" in md and "1,000 joint samples (seed 2023)" in md
    tables = md_tables(md)
    shift = sim.baseline  # the target includes the baseline: total exports, as it is written
    assert sim.includes_baseline and shift == 2.6e9
    goals = by_first(tables[GOALS])
    edges = [g for g in [*sim.milestones, sim.target] if g.bound is not None]
    assert tables[GOALS][0] == ["goal", "exports needed (total)", "P10", "P50", "P90",
                                "probability reached", "standard error",
                                *(["none or all reached: 95% bound"] if edges else [])]
    assert list(goals) == ["milestone 2024", "milestone 2025", "target 2026"]
    for row, g in zip(goals.values(), [*sim.milestones, sim.target], strict=True):
        for cell, raw in zip(row[1:7], (g.needed + shift, g.exports.p10 + shift,
                                        g.exports.p50 + shift, g.exports.p90 + shift,
                                        g.probability), strict=False):
            same(cell, raw)
        if g.bound is None:
            same(row[6], g.std_error)
        else:  # none (or all) of the samples reach it: the rule of three, not an error of 0
            assert row[6] == memo.MISSING
            n = sim.samples
            want = 1 - 0.05 ** (1 / n) if g.probability == 0 else 0.05 ** (1 / n)
            assert g.bound == pytest.approx(want, rel=1e-12)
            assert row[7] == ("under " if g.probability == 0 else "at least ") + memo.share(want)
    assert goals["target 2026"][5] == "19.8%" and goals["target 2026"][6] == "1.3%"

    spread = by_first(tables[SPREAD])
    e = sim.lever_exports
    for label, point, sp, add in (
            ("exports in 2026, total", sim.point_exports, e, shift),
            ("lever exports in 2026", sim.point_exports, e, 0.0),
            ("shortfall from the target", 0.0, sim.shortfall, 0.0),
            ("cost, undiscounted over 2024\u20132026", sim.point_cost, sim.cost, 0.0),
            ("cost, discounted", sim.point_discounted_cost, sim.discounted_cost, 0.0)):
        row = spread[label]
        for cell, raw in zip(row[1:], (point + add, sp.mean + add, sp.p10 + add, sp.p50 + add,
                                       sp.p90 + add), strict=True):
            same(cell, raw)
    same(spread["exports in 2026, total"][4], sim.total_exports.p50)

    movers = [d for d in sim.drivers if d.moves_exports]
    drivers = tables[DRIVERS][1:]
    assert [r[1].strip("`") for r in drivers] == [d.parameter for d in movers][:5]
    assert drivers[0][:2] == ["Additional IT workforce trained and placed: yield per unit",
                              "`levers.it_workforce.yield_per_unit`"]
    for row, d in zip(drivers, movers, strict=False):
        assert row[2] == d.distribution
        same(row[3], d.share)
        same(row[4], d.spearman)

    results = made["certainty"]
    assert [r.chance.confidence for r in results] == list(CONFIDENCES)
    certainty = tables[CERTAINTY]
    assert certainty[0] == ["confidence asked", "status", "cost, discounted", "extra cost",
                            "own samples", "fresh sample", "standard error", "at least (95%)"]
    for row, r in zip(certainty[1:], results, strict=True):
        c = r.chance
        same(row[0], c.confidence)
        assert row[1] == "optimal" and c.certified
        same(row[2], r.discounted_cost)
        same(row[3], c.extra_cost)
        same(row[4], c.in_sample)
        same(row[5], c.out_of_sample)
        same(row[6], c.out_of_sample_std_error)
        same(row[7], c.lower_bound)
        assert c.lower_bound >= c.confidence
        assert c.samples == 1000 and c.seed == 2023 and c.fresh_samples == 100_000

    head = by_first([[], *tables["Brief"]])  # the headline opens the brief
    assert head["Chance of reaching the target"][1] == "**19.8%**"
    same(head["Chance of reaching the target"][1], sim.target.probability)
    risk = md.split("\n## Risk\n")[1].split("\n### ")[0]
    for text in ("in 19.8% of them (standard error 1.3 points)", "2025 milestone in 26.2%",
                 "P50 $9.59B",
                 "Additional IT workforce trained and placed: yield per unit (93.8%",
                 "with a probability of at least 70% (95% confidence) costs $353.8M "
                 "discounted, $175.3M more",
                 "it reaches 71.8% of 100,000 fresh samples, at least 71.4% with 95% "
                 "confidence"):
        assert text in risk, text


def test_the_risk_sheet_holds_the_raw_numbers(made: dict[str, Any]) -> None:
    sim, results = made["simulation"], made["certainty"]
    sheets = risk_sheet(made["folder"] / "report.xlsx")
    shift = sim.baseline
    goals = sheets[GOALS]
    assert goals[0][:3] == ("goal", "exports needed (total) (USD a year)",
                            "plan at the point values (USD a year)")
    for row, g in zip(goals[1:], [*sim.milestones, sim.target], strict=True):
        assert row[1:] == tuple(excel(v) for v in (
            g.needed + shift, g.point_exports + shift, g.exports.p10 + shift,
            g.exports.p50 + shift, g.exports.p90 + shift, g.probability)) + (
            None if g.bound is not None else excel(g.std_error),
            None if g.bound is None else ("under " if g.probability == 0 else "at least ")
            + memo.share(g.bound))
    spread = {r[0]: r for r in sheets[SPREAD][1:]}
    assert spread["cost, discounted"][1:] == tuple(excel(v) for v in (
        sim.point_discounted_cost, sim.discounted_cost.mean, sim.discounted_cost.p10,
        sim.discounted_cost.p50, sim.discounted_cost.p90))
    assert spread["lever exports in 2026"][4] == excel(sim.lever_exports.p50)
    drivers = {r[0]: r for r in sheets[DRIVERS][1:]}
    for d in sim.drivers:
        if d.parameter in drivers:  # the workbook keeps the cost columns too
            assert drivers[d.parameter][2:] == tuple(
                excel(v) for v in (d.share, d.spearman, d.cost_share, d.cost_spearman))
    certainty = sheets[CERTAINTY]
    assert certainty[0][-1] == "samples required"
    for row, r in zip(certainty[1:], results, strict=True):
        c = r.chance
        assert row[0] == c.confidence and row[1] == "optimal"
        assert row[2:8] == tuple(excel(v) for v in (
            r.discounted_cost, c.extra_cost, c.in_sample, c.out_of_sample,
            c.out_of_sample_std_error, c.lower_bound))
        assert row[-1] == c.required >= math.ceil(c.confidence * c.samples)
    summary = {r[0]: r for r in load_workbook(made["folder"] / "report.xlsx")["Summary"]
               .iter_rows(min_row=2, values_only=True)}
    assert summary["Chance of reaching the target"][1] == excel(sim.target.probability)


def test_the_risk_charts_and_page(three: Path) -> None:
    for name in ("fan", "certainty"):
        png = (three / "charts" / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000
    fan = (three / "charts" / "fan.svg").read_text(encoding="utf-8")
    assert "P10 to P90" in fan and "target and milestones" in fan and "$10B: 19.8% reach it" in fan
    certainty = (three / "charts" / "certainty.svg").read_text(encoding="utf-8")
    assert "at least 71.4%" in certainty and "plan for the point values" in certainty
    assert not (three / "charts" / "histogram.png").exists()  # with periods: the fan
    html = (three / "report.html").read_text(encoding="utf-8")
    risk = html.split('<section id="risk">')[1].split('id="frontier"')[0]
    assert '<figure class="chart" id="chart-fan"><svg' in risk
    assert '<figure class="chart" id="chart-certainty"><svg' in risk
    for key in ("risk_goals", "risk_spread", "risk_drivers", "risk_certainty"):
        assert f'id="{key}"' in risk
    tex = (three / "tables.tex").read_text(encoding="utf-8")
    # the 2024 milestone is met in every sample: the bound column makes it two parts
    assert r"\caption{How likely the plan reaches its goals (1 of 2). The share" in tex
    # eight columns with the bound and its standard error: two parts on an A4 page
    assert r"\label{tab:risk-certainty-1}" in tex and r"\label{tab:risk-certainty-2}" in tex


SMALL = """\
    name: Small uncertain plan
    currency: USD
    target: {exports: 1B}
    levers:
      skills:
        name: Skills programme
        unit: trainee
        unit_cost: {dist: uniform, low: 900, high: 1100}
        yield_per_unit: {dist: triangular, low: 10k, mode: 20k, high: 30k}
        max_units: 60000
    uncertainty: {samples: 400, seed: 5}
"""


def test_a_confidence_out_of_reach_says_how_far(tmp_path: Path,
                                                scenario_file: Callable[..., Path]) -> None:
    """No periods: the histogram; 90% is out of reach (the cap buys 60,000 trainees, short
    of the target when the yield is under 16,667), and the table says how many samples
    any plan reaches, counted here from the draws; --samples moves the simulation only."""
    path = scenario_file(SMALL)
    out = tmp_path / "small"
    code, stdout, err = invoke("report", "--config", path, "--confidences", "0.5,0.9",
                               "--samples", "2000", "--output", out)
    assert code == 0, err
    s = load_scenario(path).scenario
    yields = scenario_draws(s)["levers.skills.yield_per_unit"]
    most = int((yields * 60_000 >= 1e9 * (1 - 1e-9)).sum())
    assert 250 < most < 360  # about 78% of 400
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "2,000 joint samples (seed 5)" in md and "of 400 samples (seed 5;" in md
    rows = md_tables(md)[CERTAINTY]
    assert rows[0][-1] == "out of reach"
    assert rows[1][:2] == ["50.0%", "optimal"] and rows[1][-1] == ""
    assert rows[2][:3] == ["90.0%", "out of reach", memo.MISSING]
    assert rows[2][-1] == (f"at most {most} of 400 samples ({memo.share(most / 400)}) can "
                           "be reached")
    assert f"Reaching it in 90% of them is out of reach: at most {most} of the 400" in md
    sheet = risk_sheet(out / "report.xlsx")[CERTAINTY]
    assert sheet[2][:3] == (0.9, "out of reach", None) and sheet[2][-1] == 360
    charts = {p.name for p in (out / "charts").iterdir()}
    assert charts == {f"{c}.{e}" for c in ("mix", "histogram", "certainty")
                      for e in ("png", "svg")}
    assert "![Exports across the samples](charts/histogram.png)" in md
    svg = (out / "charts" / "certainty.svg").read_text(encoding="utf-8")
    assert "out of reach" in svg and f"at most {100 * most / 400:.1f}%" in svg


DETERMINISTIC = """\
    name: No ranges
    currency: USD
    periods: [2024, 2025]
    target: {exports: 1B, milestones: {2024: 200M}}
    levers:
      skills: {unit_cost: 1000, yield_per_unit: 20k, max_units: 60000}
"""


def test_a_scenario_without_distributions_has_no_risk_section(
        tmp_path: Path, scenario_file: Callable[..., Path]) -> None:
    path = scenario_file(DETERMINISTIC)
    out = tmp_path / "plain"
    code, _, err = invoke("report", "--config", path, "--output", out)
    assert code == 0, err
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Risk" not in md and "Chance of reaching" not in md
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="risk"' not in html and "Chance of reaching" not in html
    assert "risk" not in (out / "tables.tex").read_text(encoding="utf-8")
    assert load_workbook(out / "report.xlsx").sheetnames == list(SHEETS)
    assert {p.name for p in (out / "charts").iterdir()} == {"mix.png", "mix.svg"}
    loadout = load_scenario(path)
    result = solve_scenario(loadout)
    assert build_report(loadout, result).risk is None
    assert [f.key for f in build_report(loadout, result).headline] == [
        "status", "target", "cost", "exports", "next_step"]
    for extra in (("--confidences", "0.5"), ("--samples", "100")):
        code, _, err = invoke("report", "--config", path, *extra, "--output",
                              tmp_path / "not")
        assert code == 2 and "needs distributions" in err
        assert not (tmp_path / "not").exists()
    # none asks for nothing: the same report
    code, _, err = invoke("report", "--config", path, *NO_CURVE, "--output", tmp_path / "same")
    assert code == 0, err
    assert (tmp_path / "same" / "tables.tex").read_bytes() == (out / "tables.tex").read_bytes()


def test_samples_must_be_a_count(tmp_path: Path) -> None:
    code, _, err = invoke("report", "--config", ONE, "--samples", "0", "--output",
                          tmp_path / "out")
    assert code == 2 and "--samples" in err and list(tmp_path.iterdir()) == []


# -- memo numbers ------------------------------------------------------------------------


def test_memo_numbers() -> None:
    assert memo.money(1.25e9, "USD") == "$1.25B"
    assert memo.money(310e6, "USD") == "$310M"
    assert memo.money(100_000, "PKR") == "Rs 100,000"
    assert memo.money(187_456_140, "USD") == "$187.5M"
    assert memo.money(2.109e12, "PKR") == "Rs 2.11T"
    assert memo.money(0.0432, "USD") == "$0.0432"
    assert memo.money(-12_596.49, "USD") == "-$12,596"
    assert memo.money(0.0, "USD") == memo.ZERO and memo.money(None, "USD") == memo.MISSING
    assert memo.money(5e6, "EUR") == "EUR 5M"
    column = memo.scale_for([162_105_263, 350_877, 25e6, 0.0])
    assert [memo.money(v, "USD", column) for v in (162_105_263, 350_877, 43_860, 187_456_140)] \
        == ["$162.1M", "$0.4M", "$0.0M", "$187.5M"]
    assert memo.adds_up([162_105_263, 350_877, 25e6], 187_456_140, column)
    assert not memo.adds_up([1.004e6, 1.004e6], 2.008e6, memo.scale_for([1.004e6]))  # 2.00M
    assert memo.count(154_000) == "154,000" and memo.count(1e9) == "1B"
    assert memo.count(250e6) == "250M" and memo.share(0.507) == "50.7%"
    assert memo.money(0.25e6, "USD", memo.Scale(1e6, "M", 1)) == "$0.3M"  # half up


def test_report_date_follows_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700611200")
    assert report_date() == "2023-11-22"
    assert report_date("2024-01-02") == "2024-01-02"


# -- same inputs, same bytes -------------------------------------------------------------


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path)
    return {ws.title: [r for r in ws.iter_rows(values_only=True) if r[0] != "Date"]
            for ws in wb.worksheets}


def test_a_rerun_gives_the_same_bytes(three: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    code, _, err = invoke(*ARGS, "--output", again)
    assert code == 0, err
    assert (again / "tables.tex").read_bytes() == (three / "tables.tex").read_bytes()
    for name in sorted(FILES):
        if name.startswith("charts/"):
            assert (again / name).read_bytes() == (three / name).read_bytes(), name

    def undated(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("- Date:")]

    first = (three / "report.md").read_text(encoding="utf-8")
    second = (again / "report.md").read_text(encoding="utf-8")
    assert undated(first) == undated(second)
    assert sum(line.startswith("- Date:") for line in first.splitlines()) == 1
    assert _cells(again / "report.xlsx") == _cells(three / "report.xlsx")
    if (three / "report.md").read_bytes() == (again / "report.md").read_bytes():  # same day
        assert (again / "report.xlsx").read_bytes() == (three / "report.xlsx").read_bytes()
        assert (again / "report.html").read_bytes() == (three / "report.html").read_bytes()


# -- LaTeX -------------------------------------------------------------------------------

SPECIAL = """\
    name: "R&D_50% #1 {draft} $ test ~ ^ \\\\ end"
    target: {exports: 3B}
    levers:
      skills:
        name: "Skills & training_hub #2 (50% off)"
        unit: "trainee & mentor"
        unit_cost: 1000
        yield_per_unit: 25000
        max_units: 100000
        source: "assumption: costs 100% of $1,000 & more_or_less"
      fund:
        unit_cost: 1
        yield_per_unit: 4
        max_units: 1B
"""


def _columns(spec: str) -> int:
    spec = re.sub(r">\{[^}]*\}", "", spec)
    return len(re.findall(r"p\{[^}]*\}|[lrc]", spec))


def check_tex(text: str) -> int:
    """Structure: balanced environments and braces, booktabs rules in order, every data
    row with one cell per column. Returns the number of tables."""
    assert text.count(r"\begin{longtable}") == text.count(r"\end{longtable}") > 0
    body = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
    plain = re.sub(r"\\[{}]", "", body)
    assert plain.count("{") == plain.count("}")
    blocks = re.findall(r"\\begin\{longtable\}\{(.*?)\}\n(.*?)\\end\{longtable\}", body, re.S)
    for spec, block in blocks:
        top, mid, bottom = (block.index(r"\toprule"), block.index(r"\midrule"),
                            block.rindex(r"\bottomrule"))
        assert top < mid < bottom
        columns = _columns(spec)
        rows = block.split(r"\endhead")[1].split(r"\bottomrule")[0]
        for line in rows.splitlines():
            if line.endswith(r"\\"):
                assert len(re.findall(r"(?<!\\)&", line)) == columns - 1, line
        for line in block.splitlines():  # no special character left bare
            bare = re.sub(r"\$\\(rightarrow|leq|geq|times)\$", "", line)
            assert not re.search(r"(?<!\\)[%#_$]", bare), line
    return len(blocks)


LATEX_PACKAGES = ("booktabs", "longtable", "array")
"""What tables.tex asks the document for (see its header)."""


def need_pdflatex() -> None:
    """Skip, with what to install, unless pdflatex and the packages tables.tex needs are
    there; under CI (env CI set) fail instead: .ci/run installs them, and a compile test
    that skips there would hide a broken tables.tex."""
    if shutil.which("pdflatex") is None:
        message = "pdflatex (apt-get install texlive-latex-base)"
    else:
        found = subprocess.run(["kpsewhich", *(f"{p}.sty" for p in LATEX_PACKAGES)],
                               capture_output=True, text=True, timeout=60, check=False)
        missing = [p for p in LATEX_PACKAGES if f"/{p}.sty" not in found.stdout]
        if not missing:
            return
        message = (" and ".join(f"{p}.sty" for p in missing)
                   + " (apt-get install texlive-latex-recommended for booktabs)")
    if os.environ.get("CI"):
        pytest.fail(f"the LaTeX compile check needs {message}; .ci/run installs it")
    pytest.skip(f"the LaTeX compile check needs {message}: checked structurally only")


def _pdflatex(folder: Path) -> None:
    doc = folder / "doc.tex"
    doc.write_text("\\documentclass[a4paper]{article}\n\\usepackage[T1]{fontenc}\n"
                   "\\usepackage{booktabs,longtable,array}\n\\begin{document}\n"
                   "\\input{tables.tex}\n\\end{document}\n", encoding="utf-8")
    for _ in range(2):  # longtable settles its column widths on the second run
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                              "-no-shell-escape", "doc.tex"], cwd=folder, capture_output=True,
                             text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stdout[-3000:]
    assert (folder / "doc.pdf").read_bytes().startswith(b"%PDF")


def test_latex_is_escaped_and_compiles(tmp_path: Path,
                                       scenario_file: Callable[..., Path]) -> None:
    path = scenario_file(SPECIAL)
    code, _, err = invoke("report", "--config", path, "--targets", "1B,2B,3B", "--output",
                          tmp_path / "tex")
    assert code == 0, err
    text = (tmp_path / "tex" / "tables.tex").read_text(encoding="utf-8")
    assert check_tex(text) >= 5
    assert r"R\&D\_50\% \#1 \{draft\} \$ test \textasciitilde{} \textasciicircum{}" in text
    assert r"Skills \& training\_hub \#2 (50\% off)" in text
    assert r"\texttt{levers.\allowbreak{}skills.\allowbreak{}unit\_cost}" in text
    need_pdflatex()
    _pdflatex(tmp_path / "tex")


def test_the_three_year_latex_compiles(three: Path, tmp_path: Path) -> None:
    text = (three / "tables.tex").read_text(encoding="utf-8")
    assert check_tex(text) >= 9
    assert report_date() not in text  # no date: the same inputs give the same bytes
    need_pdflatex()
    shutil.copy(three / "tables.tex", tmp_path / "tables.tex")
    _pdflatex(tmp_path)


# -- fifty levers ------------------------------------------------------------------------


def fifty_levers(folder: Path) -> Path:
    lines = ["name: Fifty district levers", "currency: USD", "periods: [2024, 2025, 2026]",
             "discount_rate: 5%", "target: {exports: 3B, milestones: {2025: 1B}}", "levers:"]
    for i in range(50):
        lines += [f"  d{i:02d}:",
                  f"    name: District {i:02d} digital skills and export facilitation programme",
                  "    unit: trainee", f"    unit_cost: {800 + 37 * i}",
                  f"    yield_per_unit: {9000 + 211 * (i % 17)}",
                  f"    max_units: {6000 + 150 * (i % 7)}", f"    lag: {i % 2}",
                  f"    max_units_per_period: {3000 + 100 * (i % 5)}",
                  f"    source: \"{'fact' if i % 3 else 'assumption'}: district {i}\""]
    path = folder / "fifty.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fifty_levers_make_a_readable_report(tmp_path: Path) -> None:
    path = fifty_levers(tmp_path)
    out = tmp_path / "fifty"
    code, _, err = invoke("report", "--config", path, "--targets", "2B,3B", "--output", out)
    assert code == 0, err
    md = (out / "report.md").read_text(encoding="utf-8")
    tables = md_tables(md)
    assert len(tables["Allocation"]) == 1 + 50 + 1
    assert all(len(rows[0]) <= 9 for rows in tables.values())  # wide tables split
    assert any(title.startswith("Frontier") and "(2 of" in title for title in tables)
    tex = (out / "tables.tex").read_text(encoding="utf-8")
    check_tex(tex)
    assert max(_columns(s) for s in re.findall(r"\\begin\{longtable\}\{(.*?)\}\n", tex)) <= 7
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<table") == html.count('<div class="scroll"><table')  # all scroll
    loadout = load_scenario(path)
    report = build_report(loadout, solve_scenario(loadout))
    bars, unfunded, rest = _bars(report.mix, "USD")
    assert len(bars) <= TOP + 1 and len(bars) + len(unfunded) <= 50
    svg = (out / "charts" / "mix.svg").read_text(encoding="utf-8")
    assert svg.count(">District ") <= TOP + 2  # the drawn bars, and a note
    assert "Other " in svg


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("extra", [
    ("--ceilings", "3B:1B:1B"),
    ("--currency", "EUR"),
    ("--ceilings", "1B", "--targets", "2B"),
    ("--sections", "room"),
    ("--explain", "--sections", "nope"),
    ("--variant", "all"),
    ("--set", "budget.ceiling=5m"),
    ("--confidences", "0.5:x"),
    ("--confidences", "1.2"),
    ("--confidences", "0.9:0.5:0.1"),
    ("--confidences", ""),
])
def test_bad_usage_exits_2_and_writes_nothing(tmp_path: Path, extra: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    code, stdout, err = invoke("report", "--config", ONE, *extra, "--output", out)
    assert code == 2, (stdout, err)
    assert err.startswith("error:")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_invalid_scenario_and_a_file_as_output_exit_2(tmp_path: Path,
                                                      scenario_file: Callable[..., Path]
                                                      ) -> None:
    bad = scenario_file("name: x\ntarget: {exports: 1B}\nlevers: {a: {unit_cost: 1, "
                        "yield_per_unit: 2, max_unit: 3}}\n")
    code, _, err = invoke("report", "--config", bad, "--output", tmp_path / "out")
    assert code == 2 and "max_unit" in err and not (tmp_path / "out").exists()
    taken = tmp_path / "taken"
    taken.write_text("mine", encoding="utf-8")
    code, _, err = invoke("report", "--config", ONE, "--output", taken)
    assert code == 2 and "is a file" in err and taken.read_text(encoding="utf-8") == "mine"


def test_infeasible_writes_the_report_and_exits_3(tmp_path: Path) -> None:
    out = tmp_path / "inf"
    code, stdout, err = invoke("report", "--config", INFEASIBLE, "--explain", "--output", out)
    assert code == 3
    assert "infeasible" in err and "No plan reaches the target of $10B" in stdout
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Example: target out of reach under a ceiling")
    assert "**Target out of reach (infeasible).**" in md
    tables = md_tables(md)
    assert "`budget.ceiling`" in [r[1] for r in tables["Limits that cannot all hold"]]
    repairs = by_first(tables["Cheapest repairs, one limit at a time"])
    same(repairs["Budget ceiling"][3], 186e6)
    assert any("does NOT meet the target" in title for title in tables)
    wb = load_workbook(out / "report.xlsx")
    sections = {r[0] for r in wb["Sensitivity"].iter_rows(min_row=2, values_only=True)}
    assert {"conflict", "repair"} <= sections


def test_rupees_use_the_scenario_rate(tmp_path: Path) -> None:
    out = tmp_path / "pkr"
    code, _, err = invoke("report", "--config", ONE, "--currency", "PKR", *NO_CURVE,
                          "--output", out)
    assert code == 0, err
    result = solve_scenario(load_scenario(ONE))
    wb = load_workbook(out / "report.xlsx")
    rows = {r[0]: r for r in wb["Allocation"].iter_rows(min_row=2, values_only=True) if r[0]}
    for rec in result.rows:
        assert rows[rec.name][3] == excel(rec.spend * 285)
    assert [c.value for c in wb["Allocation"][1]][3] == "spend (PKR)"
    md = (out / "report.md").read_text(encoding="utf-8")
    head = by_first([[], *md_tables(md)["Brief"]])
    same(head["Total cost"][1], result.total_cost * 285)  # type: ignore[operator]
    assert head["Total cost"][1].startswith("**Rs ")
    assert "- Amounts: PKR, at 285 PKR per USD" in md
    unit_cost = by_first(md_tables(md)["Assumptions"])["`levers.erozgar_centers.unit_cost`"]
    assert unit_cost[2] == "Rs 100,000"
    # the Risk section in rupees too: money times 285, shares as they are
    loadout = load_scenario(ONE)
    sim = simulate(loadout, plan_of(result, loadout.scenario))
    goals = by_first(md_tables(md)[GOALS])
    same(goals["target"][1], (sim.needed + sim.baseline) * 285)
    same(goals["target"][3], (sim.target.exports.p50 + sim.baseline) * 285)
    same(goals["target"][5], sim.target.probability)
    cost = by_first(md_tables(md)[SPREAD])["cost"]
    assert cost[4].startswith("Rs ")
    same(cost[4], sim.cost.p50 * 285)
    assert "_The cost of certainty was left out (--confidences none)._" in md
    sheet = risk_sheet(out / "report.xlsx")
    assert sheet[GOALS][1][1] == excel((sim.needed + sim.baseline) * 285)
    assert CERTAINTY not in sheet


def test_rerun_into_the_same_folder_replaces_its_files(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert invoke("report", "--config", ONE, "--targets", "8B,10B", *NO_CURVE, "--output",
                  out)[0] == 0
    assert (out / "charts" / "frontier.svg").exists()
    (out / "notes.txt").write_text("the planner's own file", encoding="utf-8")
    code, _, err = invoke("report", "--config", ONE, "--set",
                          "levers.it_workforce.unit_cost=400k PKR", *NO_CURVE, "--output", out)
    assert code == 0, err
    assert not (out / "charts" / "frontier.svg").exists()  # not part of this report
    assert (out / "notes.txt").read_text(encoding="utf-8") == "the planner's own file"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "- Overrides: `--set levers.it_workforce.unit_cost=400k PKR`" in md
    row = by_first(md_tables(md)["Assumptions"])["`levers.it_workforce.unit_cost`"]
    assert row[2] == "$1,404" and row[4] == "**changed by --set**"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.")]


def test_help_lists_the_report_command() -> None:
    code, out, _ = invoke("report", "--help")
    assert code == 0
    for option in ("--ceilings", "--targets", "--explain", "--currency", "--set", "--variant",
                   "--output", "--time-limit", "--mip-gap", "--confidences", "--samples"):
        assert option in out
