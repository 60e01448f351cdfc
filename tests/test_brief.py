"""The report's brief (issue 12 item 13): its figures are the Result's, every name in it
is a plain name, repeated sources are cited once, and a frontier says a flat stretch once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from optimizer.analyses.explain import explain
from optimizer.analyses.simulate import plan_of, simulate
from optimizer.analyses.sweep import parse_range, run_sweep
from optimizer.numbers import memo
from optimizer.present.formats.report_markdown import render_report_markdown
from optimizer.present.views import build_report
from optimizer.present.views.build import collapse_runs
from optimizer.present.views.model import Quantity, Report
from optimizer.scenario import load_scenario
from optimizer.scenario.names import in_words, plain_name

ROOT = Path(__file__).resolve().parents[1]
THREE = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
PATH = re.compile(r"\b(?:levers|target|budget|exchange_rates)\.[A-Za-z][A-Za-z0-9_]*"
                  r"(?:\.[A-Za-z0-9_]+)*|"
                  r"\bdiscount_rate\b|\bconstraints\[\d+\]")


@pytest.fixture(scope="module")
def made() -> dict[str, Any]:
    loadout = load_scenario(THREE)
    e = explain(loadout, sections=("binding", "tornado"))
    sweep = run_sweep(loadout, "ceilings", parse_range("200M:3B:200M", "USD", {}))
    sim = simulate(loadout, plan_of(e.result, loadout.scenario))
    report = build_report(loadout, e.result, explanation=e, sweep=sweep, simulation=sim)
    text = render_report_markdown(report, charts=("mix", "frontier", "tornado"))
    brief = text[text.index("## Brief"):text.index("## Annexes")]
    return {"loadout": loadout, "e": e, "sweep": sweep, "report": report, "text": text,
            "brief": brief}


def test_the_brief_names_no_field_path(made: dict[str, Any]) -> None:
    brief = made["brief"]
    assert PATH.findall(brief) == []
    # and the names it uses are the map's: every binding limit and the largest swings
    s = made["loadout"].scenario
    for name in made["e"].result.binding:
        assert plain_name(name, s) in brief
    assert "Additional IT workforce trained and placed: cap on units funded a period" in brief


def test_the_brief_figures_are_the_results(made: dict[str, Any]) -> None:
    r, brief, report = made["e"].result, made["brief"], made["report"]
    assert f"**{memo.money(r.total_cost, 'USD')}**" in brief  # $187.5M
    for rec in r.rows:
        if rec.units:
            assert f"| {rec.name} | {memo.count(rec.units)} |" in brief
    assert memo.money(r.discounted_cost, "USD") in brief
    # what binds: the Result's limits, in its order, each read off the binding table
    binds = made["report"].brief.binds
    s = made["loadout"].scenario
    assert [row[0] for row in binds.rows] == [plain_name(n, s) for n in r.binding]
    reading = [c.key for c in report.binding.columns].index("reading")
    assert [row[2] for row in binds.rows] == [row[reading] for row in report.binding.rows]
    # both ways: each tightening re-solved costs (the three-year file's caps and goals)
    assert all(row[2].count(" costs ") == 1 for row in binds.rows
               if not row[2].startswith("not moved"))
    assert "lowering it by 3,000 to 77,000, where the plan changes, costs $1.01M more" in \
        binds.rows[0][2]
    # the assumptions that matter most: the tornado's five largest swings, by its figures
    swings = sorted(made["e"].swings, key=lambda w: -w.swing)[:5]
    drivers = report.brief.drivers.rows
    assert [row[0] for row in drivers] == [plain_name(w.parameter, s) for w in swings]
    for row, w in zip(drivers, swings, strict=True):
        assert isinstance(row[4], Quantity) and isinstance(row[5], Quantity)
        assert (row[4].value, row[5].value) == (w.objective_low, w.objective_high)
    basis = {row[0]: row[4] for row in report.assumptions.rows}
    assert [row[6] for row in drivers] == [basis.get(w.parameter, "") for w in swings]


def test_every_path_the_report_prints_has_a_plain_name(made: dict[str, Any]) -> None:
    report: Report = made["report"]
    s = made["loadout"].scenario
    printed = set(PATH.findall(made["text"]))
    assert printed  # the annexes keep the path beside the name, as the file writes it
    for path in printed:
        assert plain_name(path, s) != path, path
    assert set(report.names) >= {w.parameter for w in made["e"].swings}
    # prose outside the tables names no path: the Risk section's lede and notes
    assert report.risk is not None
    assert PATH.findall(" ".join(report.risk.lede)) == []
    assert in_words("raise levers.it_workforce.max_units_per_period", s) == (
        "raise Additional IT workforce trained and placed: cap on units funded a period")


def test_a_flat_frontier_is_one_row(made: dict[str, Any]) -> None:
    report: Report = made["report"]
    sweep = made["sweep"]
    assert report.frontier is not None and report.frontier_detail is not None
    assert len(report.frontier_detail.rows) == len(sweep.values) == 15
    rows = report.frontier.rows
    assert len(rows) == 4  # 200M, 400M, 600M, then 800M to 3B: the plan stops changing
    last = rows[-1][0]
    assert isinstance(last, Quantity) and last.text == "$800M to $3B"
    costs = {r.total_cost for r in sweep.results[3:]}
    assert len(costs) == 1 and rows[-1][2] == costs.pop()


def test_collapse_runs_by_hand() -> None:
    rows = [(1.0, "optimal", 5.0, None), (2.0, "optimal", 5.0, None),
            (3.0, "optimal", 6.0, None), (4.0, "optimal", 6.0 * (1 + 1e-12), None),
            (5.0, "optimal", 6.0 * (1 + 1e-12), None), (6.0, "optimal", 5.0, None)]
    got = collapse_runs(rows, "USD")
    assert [r[0].text if isinstance(r[0], Quantity) else r[0] for r in got] == [
        "$1 to $2", "$3 to $5", 6.0]
    assert collapse_runs([], "USD") == []


def test_a_repeated_source_is_cited_once(made: dict[str, Any]) -> None:
    text, report = made["text"], made["report"]
    milestones = next(row[6] for row in report.assumptions.rows
                      if row[0] == "target.milestones.2024")
    assert text.count(milestones) == 1  # written once, in the references
    cites = {row[7] for row in report.assumptions.rows
             if row[0].startswith("target.milestones.")}
    assert len(cites) == 1 and re.fullmatch(r"\[\d+\]", cites.pop())
    for note in report.assumptions.notes:
        number, _, source = note.partition(" ")
        shared = [row for row in report.assumptions.rows if row[6] == source]
        assert len(shared) >= 2 and {row[7] for row in shared} == {number}


def test_the_page_and_the_tornado_chart_name_no_field_path(made: dict[str, Any]) -> None:
    from optimizer.present.formats.report_charts import report_charts
    from optimizer.present.formats.report_html import render_report_html

    report: Report = made["report"]
    charts = report_charts(report, ("svg",))
    svg = {name: files["svg"].decode() for name, files in charts.items()}
    page = render_report_html(report, svg)
    brief = page[page.index('<section id="brief">'):page.index('<section id="annexes">')]
    words = re.sub(r"<svg\b.*?</svg>", "", brief, flags=re.DOTALL)
    assert "What binds" in words and PATH.findall(re.sub(r"<[^>]+>", " ", words)) == []
    bars = re.findall(r"<text[^>]*>([^<]*)</text>", svg["tornado"])
    assert bars and not any(PATH.search(b) for b in bars), bars
    assert any("cap on units" in b for b in bars)  # the bars carry plain names


def test_the_frontier_sentence_is_the_sweeps(made: dict[str, Any]) -> None:
    sweep, report = made["sweep"], made["report"]
    points = list(zip(sweep.values, sweep.results, strict=True))
    top = max(r.lever_exports for _, r in points)
    plateau = next(v for v, r in points if abs(r.lever_exports - top) <= 1e-9 * top)
    assert plateau == 600e6 and points[-1][0] == 3e9  # by the table above
    assert report.brief.frontier == (
        f"From a budget ceiling of $200M to $3B, the most lever exports rise from "
        f"{memo.money(points[0][1].lever_exports, 'USD')} to {memo.money(top, 'USD')} a "
        f"year; past $600M more money buys nothing more under the file's limits.")
    assert report.brief.frontier in made["brief"]
