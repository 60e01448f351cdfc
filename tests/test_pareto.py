"""sweep --pareto O1,O2 (spec section 5): the most of O2 for each floor on O1
within the ceiling. An LP's trade-off is exact (every corner, by the tangent walk
of the budget frontier); a MIP's is a grid. Each point is checked against the
independent reference (tests/reference.py), a kink worked by hand, and the straight
stretches between corners checked at their midpoints."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from optimizer.analyses.pareto import floored, maximising, pareto
from optimizer.results import Pareto
from optimizer.scenario import load_scenario
from tests.clirun import invoke
from tests.reference import reference_solve
from tests.test_outcomes import random_lever

KINK = """
    name: a kink
    objective: {max: women}
    budget: {ceiling: 100}
    outcomes: {jobs: {unit: jobs}, women: {name: Women's jobs, unit: jobs}}
    levers:
      a: {unit_cost: 1, yield_per_unit: 0, max_units: 60, yields: {jobs: 2}}
      b: {unit_cost: 1, yield_per_unit: 0, max_units: 60, yields: {jobs: 1, women: 1}}
      c: {unit_cost: 1, yield_per_unit: 0, max_units: 60, yields: {women: 2}}
"""
"""Every unit costs 1, at most 60 of each, 100 in all. The most women's jobs: c to
its cap (120) and 40 of b (40): 160, which makes 40 jobs. The most jobs: a to its cap
(120) and 40 of b: 160, with 40 women's jobs. Between, each unit moved from c to a
gives 2 jobs for 2 women's jobs: slope -1. Corners (0, 160), (40, 160), (160, 40)."""


def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(tmp_path: Path, text: str, first: str = "jobs", second: str = "women",
        ceiling: float | None = None) -> tuple[Pareto, object]:
    loadout = load_scenario(scenario_file(tmp_path, text))
    return pareto(loadout, first, second, ceiling), loadout


def reference_most(s: object, first: str, second: str, x: float) -> float | None:
    """The reference's most of ``second`` with ``first`` at least ``x``."""
    ref = reference_solve(floored(maximising(s, second), first, x))  # type: ignore[arg-type]
    return None if ref.status != "optimal" else ref.goal_value if second != "exports" \
        else ref.lever_exports


def test_a_kink_worked_by_hand(tmp_path: Path) -> None:
    got, _ = run(tmp_path, KINK)
    assert got.exact and got.reach == pytest.approx(160, rel=1e-8)
    assert [v for q in got.points for v in (q.x, q.y)] == pytest.approx(
        [0, 160, 40, 160, 160, 40], rel=1e-7, abs=1e-6)
    assert got.points[0].slope_after == pytest.approx(0, abs=1e-6)
    assert got.points[1].slope_after == pytest.approx(-1, rel=1e-6)
    assert got.points[2].slope_after is None
    # each point is a certified plan: at the far end a to its cap and 40 of b
    end = got.points[2].result
    assert end.status == "optimal" and end.solver.certificate is not None
    assert end.solver.certificate.proven
    assert [r.units for r in end.rows] == pytest.approx([60, 40, 0], abs=1e-6)


def test_the_kink_moves_with_the_ceiling(tmp_path: Path) -> None:
    # at 50: c alone (100 women's jobs, no jobs) to a alone (100 jobs): slope -1, no
    # flat stretch (no budget is left over for b)
    got, _ = run(tmp_path, KINK, ceiling=50)
    assert [v for q in got.points for v in (q.x, q.y)] == pytest.approx([0, 100, 100, 0],
                                                                        abs=1e-6)


def test_exports_as_either_outcome(tmp_path: Path) -> None:
    text = KINK.replace("yield_per_unit: 0, max_units: 60, yields: {jobs: 2}",
                        "yield_per_unit: 3, max_units: 60, yields: {jobs: 2}")
    got, loadout = run(tmp_path, text, "exports", "women")
    s = loadout.scenario  # type: ignore[attr-defined]
    for q in got.points:
        assert q.y == pytest.approx(reference_most(s, "exports", "women", q.x), rel=1e-7,
                                    abs=1e-6)
    # exports: a makes 3 a unit, at most 180 (60 USD); the 40 USD left buy 40 of c,
    # 80 women's jobs
    assert got.reach == pytest.approx(180, rel=1e-8)
    assert got.points[-1].y == pytest.approx(80, rel=1e-7)
    back, _ = run(tmp_path, text, "women", "exports")
    assert back.points[0].y == pytest.approx(180, rel=1e-8)


@pytest.mark.parametrize("seed", range(12))
def test_random_trade_offs_agree_with_the_reference(tmp_path: Path, seed: int) -> None:
    """Random LPs: every corner equals the reference's most at that floor, and the
    midpoint of every straight stretch lies on it (no corner missed)."""
    rng = np.random.default_rng(500 + seed)
    periods = int(rng.integers(1, 3))
    levers = []
    for i in range(int(rng.integers(2, 6))):
        fields = random_lever(rng, ("jobs", "women"), cost=(1, 10), exports=(0, 9),
                              units=(5, 80), most=5.0, share=0.8)
        if periods > 1 and rng.random() < 0.4:
            fields.append("attrition: 20%")
        levers.append(f"  l{i}: {{{', '.join(fields)}}}")
    extra = []
    if rng.random() < 0.5:
        extra = ["target:", f"  exports: {int(rng.integers(10, 100))}"]
    text = "\n".join([
        f"name: random trade-off {seed}",
        *(["periods: [2024, 2025]"] if periods > 1 else []),
        "objective: {max: women}",
        f"budget: {{ceiling: {int(rng.integers(50, 400))}}}",
        "outcomes: {jobs: {unit: jobs}, women: {unit: jobs}}", *extra,
        "levers:", *levers, ""])
    got, loadout = run(tmp_path, text)
    s = loadout.scenario  # type: ignore[attr-defined]
    if not got.points:
        assert reference_solve(maximising(s, "jobs")).status == "infeasible"
        return
    assert got.exact
    scale = max(1.0, *(abs(q.y) for q in got.points))
    for q in got.points:
        want = reference_most(s, "jobs", "women", q.x)
        assert want is not None and q.y == pytest.approx(want, abs=1e-6 * scale), (q.x, q.y)
    for left, right in zip(got.points, got.points[1:], strict=False):
        mid = (left.x + right.x) / 2
        want = reference_most(s, "jobs", "women", mid)
        assert want is not None
        assert (left.y + right.y) / 2 == pytest.approx(want, abs=1e-6 * scale), mid


def test_a_mip_grid_of_as_many_points_as_asked(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, KINK.replace("max_units: 60, yields: {jobs: 2}",
                                                "max_units: 60, integer: true, yields: {jobs: 2}"))
    got = invoke("sweep", "--config", path, "--pareto", "jobs,women", "--points", "5",
                 "--format", "json")
    assert got.code == 0, got.err
    doc = json.loads(got.out)
    # floors 0, 40, 80, 120, 160: flat to 40, then a women's job for each job
    assert [(p["first"], p["second"]) for p in doc["points"]] == [
        (0.0, 160.0), (40.0, 160.0), (80.0, 120.0), (120.0, 80.0), (160.0, 40.0)]
    lp = invoke("sweep", "--config", scenario_file(tmp_path, KINK), "--pareto", "jobs,women",
                "--points", "5")
    assert lp.code == 2 and "--points is for a MIP's grid" in lp.err, lp.err
    alone = invoke("sweep", "--config", path, "--ceilings", "1:2:1", "--points", "5")
    assert alone.code == 2 and "--points goes with --pareto" in alone.err, alone.err


def test_a_mip_trade_off_is_a_grid_each_point_the_reference(tmp_path: Path) -> None:
    text = KINK.replace("max_units: 60, yields: {jobs: 2}",
                        "max_units: 60, integer: true, yields: {jobs: 2}")
    got, loadout = run(tmp_path, text)
    s = loadout.scenario  # type: ignore[attr-defined]
    assert not got.exact and len(got.points) == 11
    assert got.points[0].x == 0 and got.points[-1].x == pytest.approx(160, rel=1e-8)
    for q in got.points:
        assert q.y == pytest.approx(reference_most(s, "jobs", "women", q.x), rel=1e-7,
                                    abs=1e-6)


def test_the_command_line_and_its_files(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, KINK)
    got = invoke("sweep", "--config", path, "--pareto", "jobs,women", "--output",
                 tmp_path / "out")
    assert got.code == 0, got.err
    assert "every corner (an LP)" in got.out
    lines = got.out.splitlines()
    assert any(line.split()[:4] == ["40", "160", "-1", "100"] for line in lines), got.out
    doc = json.loads((tmp_path / "out" / "pareto.json").read_text())
    assert doc["exact"] is True
    assert [(p["first"], p["second"], p["slope_after"]) for p in doc["points"]] == [
        (0.0, 160.0, 0.0), (40.0, 160.0, -1.0), (160.0, 40.0, None)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "pareto.csv", "pareto.json", "pareto.md"]
    # a lower ceiling from the command line
    low = invoke("sweep", "--config", path, "--pareto", "jobs,women", "--ceiling", "50",
                 "--format", "json")
    assert low.code == 0, low.err
    assert [p["second"] for p in json.loads(low.out)["points"]] == [100.0, 0.0]


@pytest.mark.parametrize("args, message", [
    (("--pareto", "jobs"), "--pareto takes two outcomes, O1,O2 (got 'jobs'"),
    (("--pareto", "jobs,nope"), "--pareto: 'nope' is not an outcome of"),
    (("--pareto", "jobs,jobs"), "--pareto: two different outcomes (got 'jobs' twice)"),
    (("--pareto", "jobs,women", "--exact"), "--pareto sweeps alone"),
    (("--ceilings", "1:2:1", "--ceiling", "5"), "--ceiling goes with --pareto"),
    (("--pareto", "jobs,women", "--ceiling", "1:5:1"), "--ceiling is one amount"),
])
def test_bad_pareto_requests(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    path = scenario_file(tmp_path, KINK)
    got = invoke("sweep", "--config", path, *args)
    assert got.code == 2, got.err
    assert message in got.err and "Traceback" not in got.err


def test_a_trade_off_needs_a_ceiling(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, KINK.replace("budget: {ceiling: 100}",
                                                "target: {exports: 0}")
                         .replace("objective: {max: women}", "objective: min_cost"))
    got = invoke("sweep", "--config", path, "--pareto", "jobs,women")
    assert got.code == 2 and "--pareto needs a ceiling" in got.err, got.err


def test_the_trade_off_chart_is_written_whole_and_the_same_twice(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, KINK)
    for name in ("a.png", "b.png", "c.svg"):
        got = invoke("sweep", "--config", path, "--pareto", "jobs,women", "--plot",
                     tmp_path / name)
        assert got.code == 0, got.err
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "c.svg").read_text()
    assert "floor on jobs (jobs)" in svg and "most Women's jobs (jobs)" in svg
    bad = invoke("sweep", "--config", path, "--pareto", "jobs,women", "--plot",
                 tmp_path / "d.gif")
    assert bad.code == 2 and not (tmp_path / "d.gif").exists()
