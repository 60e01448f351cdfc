"""Sweeps, the exact frontier, --set and variants."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.analyses.sweep import exact_frontier, parse_range, run_sweep
from optimizer.results import FrontierEnds, Kind, Sweep, messages
from optimizer.scenario import load_scenario, load_variants
from optimizer.solving.engine import FrontierPoint, Session, solve_scenario
from tests.clirun import invoke
from tests.reference import reference_solve

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "configs" / "pakistan_it_exports.yaml"
Write = Callable[..., Path]

LP = """
    name: three lever LP
    target: {exports: 100}
    levers:
      a: {unit_cost: 2, yield_per_unit: 10, max_units: 100}
      b: {unit_cost: 5, yield_per_unit: 10, max_units: 100}
      c: {unit_cost: 9, yield_per_unit: 10, max_units: 50}
      d: {unit_cost: 3, yield_per_unit: 4, max_units: 100}
    constraints:
      - expr: "b <= a + 20"
"""




@pytest.mark.parametrize("ceiling", [100e6, 250e6, 1e9])
def test_a_ceiling_point_equals_a_single_solve(ceiling: float) -> None:
    lo = load_scenario(SHIPPED)
    sweep = run_sweep(lo, "ceilings", [50e6, ceiling, 2e9])
    single = solve_scenario(load_scenario(SHIPPED, [("budget.ceiling", ceiling),
                                                    ("objective", "max_exports")]))
    point = sweep.results[1]
    assert point.status == single.status == "optimal"
    assert point.lever_exports == pytest.approx(single.lever_exports, rel=1e-9)
    assert point.total_cost == pytest.approx(single.total_cost, rel=1e-9)


def test_a_target_point_equals_a_single_solve() -> None:
    lo = load_scenario(SHIPPED)
    sweep = run_sweep(lo, "targets", parse_range("5B:11B:1B", "USD", {}))
    for value, point in zip(sweep.values, sweep.results, strict=True):
        single = solve_scenario(load_scenario(SHIPPED, [("target.exports", value)]))
        assert point.status == single.status
        if single.status == "optimal":
            assert point.total_cost == pytest.approx(single.total_cost, rel=1e-9)
    # 11B total = 8.4B from levers: beyond the 10B the levers add at full size? No:
    # 10B is the levers' own most (5 + 3 + 1 + 1); 11B - 2.6B = 8.4B is reachable.
    assert [r.status for r in sweep.results] == ["optimal"] * 7


def test_points_out_of_reach_are_rows_marked_infeasible() -> None:
    lo = load_scenario(SHIPPED)
    sweep = run_sweep(lo, "targets", [12e9, 13e9])  # levers top out at 10B + 2.6B
    assert [r.status for r in sweep.results] == ["optimal", "infeasible"]
    assert sweep.rows()[1]["total_cost"] is None


def test_exact_frontier_matches_an_independent_grid(scenario_file: Write) -> None:
    path = scenario_file(LP)
    lo = load_scenario(path)
    sweep = exact_frontier(lo, "targets", [0.0, 4000.0])
    corners = sweep.breakpoints
    assert corners is not None and len(corners) >= 4
    xs = [b.x for b in corners]
    checks = xs + [(a + b) / 2 for a, b in zip(xs, xs[1:], strict=False)]
    for x in checks:
        ref = reference_solve(load_scenario(path, [("target.exports", x)]).scenario)
        # the curve through the breakpoints, read at x
        seg = max(i for i, b in enumerate(corners) if b.x <= x + 1e-9)
        b = corners[seg]
        expected = b.y + (b.slope_after or 0.0) * (x - b.x)
        assert ref.status == "optimal"
        assert ref.total_cost == pytest.approx(expected, rel=1e-6, abs=1e-6), x


def test_exact_ceiling_frontier_matches_the_grid(scenario_file: Write) -> None:
    path = scenario_file(LP)
    lo = load_scenario(path)
    values = parse_range("0:2000:100", "USD", {})
    exact = exact_frontier(lo, "ceilings", values)
    grid = run_sweep(lo, "ceilings", values)
    assert exact.breakpoints is not None
    corners = exact.breakpoints
    for x, r in zip(values, grid.results, strict=True):
        seg = max(i for i, b in enumerate(corners) if b.x <= x + 1e-9)
        b = corners[seg]
        # a grid point's plan may sit the spec's 1e-9 band below the frontier
        assert r.lever_exports == pytest.approx(b.y + (b.slope_after or 0.0) * (x - b.x),
                                                rel=2e-9, abs=1e-6)


def test_exact_on_a_mip_explains_why_not() -> None:
    code, out, err = invoke("sweep", "--config", SHIPPED, "--targets", "1B:9B:1B", "--exact")
    assert code == 2 and out == ""
    assert "levers.it_workforce is integer" in err and "staircase" in err


def test_grid_interpolation_error_is_bounded_for_an_lp(scenario_file: Write) -> None:
    lo = load_scenario(scenario_file(LP))
    sweep = run_sweep(lo, "targets", parse_range("0:4000:500", "USD", {}))
    assert sweep.interpolation_error is not None and sweep.interpolation_error > 0
    exact = exact_frontier(lo, "targets", [0.0, 4000.0])
    # the true gap between the grid's chords and the exact frontier is within the bound
    worst = 0.0
    for x1, r1, x2, r2 in zip(sweep.values, sweep.results, sweep.values[1:], sweep.results[1:],
                              strict=False):
        if r1.total_cost is None or r2.total_cost is None:
            continue
        for b in exact.breakpoints or ():
            if x1 < b.x < x2:
                chord = r1.total_cost + (r2.total_cost - r1.total_cost) * (b.x - x1) / (x2 - x1)
                worst = max(worst, chord - b.y)
    assert 0 < worst <= sweep.interpolation_error + 1e-9


@pytest.mark.parametrize(("spec", "needle"), [
    ("5B:1B:1B", "STOP is below START"),
    ("1B:5B:0", "step must be positive"),
    ("1B:5B:1m", "lower-case m"),
    ("1B:5B", "START:STOP:STEP"),
    ("abc", "expected an amount"),
])
def test_bad_ranges_exit_2(spec: str, needle: str) -> None:
    code, out, err = invoke("sweep", "--config", SHIPPED, "--ceilings", spec)
    assert code == 2 and out == ""
    assert needle in err and "Traceback" not in err


def test_sweep_needs_exactly_one_range() -> None:
    code, _, err = invoke("sweep", "--config", SHIPPED)
    assert code == 2 and "exactly one of --ceilings" in err


def test_sweep_cli_formats_and_files(tmp_path: Path) -> None:
    code, out, err = invoke("sweep", "--config", SHIPPED, "--ceilings", "100M:300M:100M",
                            "--format", "json", "--output", tmp_path / "o")
    assert code == 0, err
    data = json.loads(out)
    assert [p["ceiling"] for p in data["points"]] == [100e6, 200e6, 300e6]
    assert {"it_workforce.units", "startup_fund.spend"} <= set(data["points"][0])
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "sweep.csv", "sweep.json", "sweep.md"]


def test_set_overrides_like_the_file() -> None:
    code, out, _ = invoke("--config", SHIPPED, "--set", "levers.it_workforce.unit_cost=400k PKR",
                          "--format", "json")
    assert code == 0
    data = json.loads(out)
    workers = data["allocation"][0]
    assert workers["spend"] == pytest.approx(workers["units"] * 400_000 / 285)


@pytest.mark.parametrize(("arg", "needle"), [
    ("budget.ceiling=5m", "lower-case m"),
    ("levers.it_workforce.max_unit=5", "unknown field 'max_unit'"),
    ("budget.ceiling", "PATH=VALUE"),
    ("name=!!python/object:os.system x", "tag"),
])
def test_bad_set_exits_2(arg: str, needle: str, tmp_path: Path) -> None:
    code, out, err = invoke("--config", SHIPPED, "--set", arg, "--output", tmp_path / "o")
    assert code == 2 and out == ""
    assert needle in err
    assert not (tmp_path / "o").exists()


VARIANTS = """
    name: with variants
    exchange_rates: {PKR: 285}
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units: 60}
      b: {unit_cost: 3, yield_per_unit: 1}
    variants:
      dear_a:
        levers.a.unit_cost: 2
      tight:
        budget.ceiling: 150
        objective: max_exports
"""


def test_variants_equal_the_same_overrides_with_set(scenario_file: Write) -> None:
    path = scenario_file(VARIANTS)
    by_variant = solve_scenario(load_scenario(path, variant="dear_a"))
    by_set = solve_scenario(load_scenario(path, [("levers.a.unit_cost", 2)]))
    assert by_variant.total_cost == by_set.total_cost == pytest.approx(60 * 2 + 40 * 3)
    tight = solve_scenario(load_scenario(path, variant="tight"))
    # 150: a 60 (60), b 30 (90): 90 exports
    assert tight.lever_exports == pytest.approx(90, rel=2e-6)


def test_variant_all_gives_the_file_and_each_variant(scenario_file: Write) -> None:
    loadouts = load_variants(scenario_file(VARIANTS), (), ["all"])
    assert [lo.variant for lo in loadouts] == [None, "dear_a", "tight"]


def test_unknown_variant_and_bad_variant_exit_2(scenario_file: Write) -> None:
    path = scenario_file(VARIANTS)
    code, _, err = invoke("--config", path, "--variant", "nope")
    assert code == 2 and "unknown variant 'nope'" in err and "dear_a, tight" in err
    bad = scenario_file(VARIANTS + "      broken:\n        levers.a.unit_cost: -1\n",
                        name="bad.yaml")
    code, _, err = invoke("--config", bad)
    assert code == 2
    assert "levers.a.unit_cost: must be >= 0 (got -1) [set by variants.broken]" in err


def test_workers_give_the_same_points() -> None:
    lo = load_scenario(SHIPPED)
    values = parse_range("100M:600M:100M", "USD", {})
    one = run_sweep(lo, "ceilings", values)
    two = run_sweep(lo, "ceilings", values, workers=2, source=(str(SHIPPED), (), None))
    assert [r.lever_exports for r in two.results] == [r.lever_exports for r in one.results]
    assert [r.total_cost for r in two.results] == [r.total_cost for r in one.results]


def test_compare_command_and_variant_all(scenario_file: Write, tmp_path: Path) -> None:
    code, out, err = invoke("compare", SHIPPED, SHIPPED, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["identical"] is True
    path = scenario_file(VARIANTS)
    code, out, err = invoke("--config", path, "--variant", "all", "--output", tmp_path / "o")
    assert code == 0, err
    assert "[dear_a]" in out and "[tight]" in out
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "compare.csv", "compare.json", "compare.md"]


def test_sweep_plot_from_the_command_line(tmp_path: Path) -> None:
    png = tmp_path / "frontier.png"
    code, _, err = invoke("sweep", "--config", SHIPPED, "--targets", "5B:11B:2B", "--plot", png)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = invoke("sweep", "--config", SHIPPED, "--targets", "5B:11B:2B", "--plot",
                          tmp_path / "frontier.pdf")
    assert code == 2 and ".png or .svg" in err


UNSPENT = """
    name: a ceiling the plan need not spend
    objective: max_exports
    target: {exports: 30}
    budget: {ceiling: 5}
    levers:
      a: {unit_cost: 1, yield_per_unit: 4, max_units: 10}
      b: {unit_cost: 2, yield_per_unit: 2, max_units: 2}
"""


def test_ceiling_sweep_marginal_is_per_unit_of_ceiling_and_says_if_the_target_is_met(
        scenario_file: Write) -> None:
    """By hand: a ceiling of 5 buys 5 a (20 exports); a ceiling of 20 buys all 10 a and
    both b (40 + 4 = 44 exports) for 14, 6 of the ceiling unspent. One more unit of
    ceiling bought (44 - 20) / (20 - 5) = 1.6 exports, not the 24 / 9 = 2.67 per unit
    spent that was printed under "per 1 of ceiling". The target of 30 is met at 20."""
    path = scenario_file(UNSPENT)
    code, out, err = invoke("sweep", "--config", path, "--ceilings", "5,20", "--format", "json")
    assert code == 0, err
    points = json.loads(out)["points"]
    # (max_exports keeps the cheapest plan within the spec's band of the most exports)
    assert [p["lever_exports"] for p in points] == pytest.approx([20.0, 44.0], rel=2e-6)
    assert [p["total_cost"] for p in points] == pytest.approx([5.0, 14.0], abs=1e-4)
    assert points[0]["marginal"] is None
    assert points[1]["marginal"] == pytest.approx((44 - 20) / (20 - 5), rel=1e-5)
    assert [p["meets_target"] for p in points] == [False, True]
    code, out, _ = invoke("sweep", "--config", path, "--ceilings", "5,20", "--format", "csv")
    header = out.splitlines()[0].split(",")
    assert header[:6] == ["ceiling", "status", "meets_target", "total_cost", "lever_exports",
                          "marginal"]


def test_target_sweep_shows_total_exports_on_the_targets_basis() -> None:
    """The shipped target counts the 2.6B baseline: the target column is total exports,
    so total exports stand beside it (the lever exports column alone read 2.4B against
    a 5B target)."""
    code, out, err = invoke("sweep", "--config", SHIPPED, "--targets", "5B,7B", "--format",
                            "json")
    assert code == 0, err
    for p in json.loads(out)["points"]:
        assert p["total_exports"] == pytest.approx(p["lever_exports"] + 2.6e9)
        assert p["total_exports"] == pytest.approx(p["target"])
        assert p["meets_target"] is True
    code, out, _ = invoke("sweep", "--config", SHIPPED, "--targets", "5B,7B")
    assert "total exports (USD/yr)" in out and "lever exports (USD/yr)" in out


FLOORED = """
    name: floors deliver some exports
    target: {exports: 100}
    levers:
      a: {unit_cost: 2, yield_per_unit: 10, max_units: 30, min_units: 5}
      b: {unit_cost: 5, yield_per_unit: 10, max_units: 20}
"""
# By hand: the floor (5 a) buys 50 exports for 10; then a at 0.2 per unit of exports up
# to 300 (cost 60), then b at 0.5 up to 500 (cost 160), the most the caps allow.
# Against the ceiling: nothing fits below 10 (the floor); a at 5 exports per unit of
# ceiling up to 60 (300 exports), b at 2 up to 160 (500), then flat.


def same_corners(sweep: Sweep, expected: list[tuple[float, float, float | None]]) -> bool:
    got = [(b.x, b.y, b.slope_after) for b in sweep.breakpoints or ()]
    return len(got) == len(expected) and all(
        g[:2] == pytest.approx(e[:2], rel=1e-9, abs=1e-9)
        and (g[2] is None if e[2] is None else g[2] == pytest.approx(e[2], abs=1e-9))
        for g, e in zip(got, expected, strict=True))


def test_a_target_range_starting_slack_rises_where_the_floors_stop_and_ends_at_the_most(
        scenario_file: Write) -> None:
    """It was drawn flat from 0 to 1,000 at 10 (the slack row's zero dual read as flat
    to the end), past the 500 any plan reaches."""
    sweep = exact_frontier(load_scenario(scenario_file(FLOORED)), "targets", [0.0, 1000.0])
    assert same_corners(sweep, [(0, 10, 0), (50, 10, 0.2), (300, 60, 0.5),
                                            (500, 160, None)]), sweep.breakpoints
    notes = messages.frontier_notes(sweep.frontier, "USD")  # type: ignore[arg-type]
    assert notes == [
        "No plan reaches a target above 500 USD: the most exports the levers reach under "
        "the file's limits (its ceiling and caps); the frontier ends there.",
        "Up to a target of 50 USD the target does not bind: the cheapest plan under the "
        "file's other limits already reaches it (their floors, or the baseline the target "
        "counts); the cost is flat there, at 10 USD."]


def test_a_target_counting_the_baseline_is_walked_on_its_own_basis(
        scenario_file: Write) -> None:
    """Targets of total exports with a 100 baseline: the levers add target - 100. The
    walk compared the row's range in lever exports with the total target, crept in
    5,000 steps of 1e-7 and stopped at 300.27."""
    text = FLOORED.replace("target: {exports: 100}",
                           "target: {exports: 300, baseline: 100, includes_baseline: true}")
    sweep = exact_frontier(load_scenario(scenario_file(text)), "targets", [100.0, 2000.0])
    assert same_corners(sweep, [(100, 10, 0), (150, 10, 0.2), (400, 60, 0.5),
                                            (600, 160, None)]), sweep.breakpoints
    assert sweep.frontier is not None and sweep.frontier.solves < 20
    assert sweep.frontier.reach == pytest.approx(600)


def test_a_ceiling_range_starting_below_the_first_feasible_ceiling_starts_there(
        scenario_file: Write) -> None:
    """It returned no breakpoints and no note."""
    path = scenario_file(FLOORED)
    sweep = exact_frontier(load_scenario(path), "ceilings", [0.0, 300.0])
    assert same_corners(sweep, [(10, 50, 5), (60, 300, 2), (160, 500, 0),
                                            (300, 500, None)]), sweep.breakpoints
    assert sweep.frontier is not None
    assert messages.frontier_notes(sweep.frontier, "USD") == [
        "No plan fits a ceiling below 10 USD: the file's other limits (floors, milestones, "
        "locks) need that much spend; the frontier starts there.",
        "From a ceiling of 160 USD on, more ceiling buys nothing: 500 USD a year is the "
        "most the levers export under the file's other limits."]
    code, out, err = invoke("sweep", "--config", path, "--ceilings", "0:300:100", "--exact")
    assert code == 0, err
    assert "No plan fits a ceiling below 10 USD" in out and "4 breakpoints" in out


def test_a_range_wholly_outside_the_frontier_says_so(scenario_file: Write) -> None:
    lo = load_scenario(scenario_file(FLOORED))
    above = exact_frontier(lo, "targets", [600.0, 700.0])
    below = exact_frontier(lo, "ceilings", [1.0, 9.0])
    assert above.breakpoints == below.breakpoints == ()
    assert "no target in the range is reachable: no frontier" in messages.frontier_notes(
        above.frontier, "USD")[0]  # type: ignore[arg-type]
    assert "no ceiling in the range is enough: no frontier" in messages.frontier_notes(
        below.frontier, "USD")[0]  # type: ignore[arg-type]
    broken = load_scenario(scenario_file(FLOORED.replace("target: {exports: 100}",
                                                         "target: {exports: 100}\n"
                                                         "    budget: {ceiling: 5}")))
    none = exact_frontier(broken, "targets", [0.0, 100.0])
    assert none.breakpoints == () and none.frontier is not None
    assert none.frontier.reach is None
    assert messages.frontier_notes(none.frontier, "USD")[0].startswith(
        "No plan at any target: the file's other limits cannot all hold")


def test_a_stretch_without_an_optimum_is_left_out_and_named(
        scenario_file: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS giving no optimum inside the range (as a time limit would) leaves a gap,
    named, with no straight line drawn across it."""
    real = Session.frontier_point

    def failing(self: Session, kind: Kind, x: float) -> FrontierPoint | None:
        return None if 90 < x < 110 else real(self, kind, x)

    monkeypatch.setattr(Session, "frontier_point", failing)
    sweep = exact_frontier(load_scenario(scenario_file(FLOORED)), "ceilings", [0.0, 300.0])
    assert sweep.frontier is not None and sweep.frontier.gaps == ((10.0, 300.0),)
    assert [(b.x, b.slope_after) for b in sweep.breakpoints or ()] == [(10, None), (300, None)]
    for b0, b1 in zip(sweep.breakpoints or (), (sweep.breakpoints or ())[1:], strict=False):
        gap = any(left <= b0.x and b1.x <= right for left, right in sweep.frontier.gaps)
        assert (b0.slope_after is None) == gap
    assert any("the frontier is left out" in n
               for n in messages.frontier_notes(sweep.frontier, "USD"))


def test_target_sweep_marginal_is_the_resolved_slope_not_the_dual(
        scenario_file: Write) -> None:
    """By hand (FLOORED): cost 10, 20, 60, 110 at targets 0, 100, 300, 400, so
    Δcost/Δtarget is 0.1, 0.2, 0.5. The target row's dual said 0.2 at 100 (the slope
    after 50; the floors deliver the first 50 for nothing more)."""
    path = scenario_file(FLOORED)
    code, out, err = invoke("sweep", "--config", path, "--targets", "0,100,300,400",
                            "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [p["total_cost"] for p in data["points"]] == pytest.approx([10, 20, 60, 110])
    assert data["points"][0]["marginal"] is None
    assert [p["marginal"] for p in data["points"][1:]] == pytest.approx([0.1, 0.2, 0.5])
    assert data["marginal_basis"] == "Δcost/Δtarget (re-solved, from the previous point)"
    code, out, _ = invoke("sweep", "--config", path, "--targets", "0,100,300,400")
    assert "Δcost/Δtarget (re-solved, from the previous point)" in out


def test_a_ceiling_sweep_across_a_point_without_a_plan(scenario_file: Write) -> None:
    """Ceilings 60, 5, 160 (as the API takes them, unsorted): 5 is below the floor's 10,
    a row marked infeasible in the middle; 160's Δexports/Δceiling is from 60, the last
    point with a plan: (500 - 300) / (160 - 60) = 2."""
    sweep = run_sweep(load_scenario(scenario_file(FLOORED)), "ceilings", [60.0, 5.0, 160.0])
    rows = sweep.rows()
    assert [r["status"] for r in rows] == ["optimal", "infeasible", "optimal"]
    assert rows[1]["lever_exports"] is None and rows[0]["marginal"] is rows[1]["marginal"] is None
    assert [rows[0]["lever_exports"], rows[2]["lever_exports"]] == pytest.approx([300, 500])
    assert rows[2]["marginal"] == pytest.approx(2.0, rel=1e-8)


def test_frontier_ends_say_where_the_frontier_lies_in_the_range() -> None:
    ceilings = FrontierEnds("ceilings", low=20, high=300, reach=10)
    assert (ceilings.start, ceilings.end) == (20, 300)
    assert (FrontierEnds("ceilings", 0, 300, 10).start, FrontierEnds("ceilings", 0, 5, 10).start
            ) == (10, None)
    targets = FrontierEnds("targets", low=0, high=1000, reach=500)
    assert (targets.start, targets.end) == (0, 500)
    assert FrontierEnds("targets", 600, 700, 500).end is None
    assert FrontierEnds("targets", 0, 700, None).start is None


def test_the_frontier_ends_follow_a_display_currency(scenario_file: Write) -> None:
    from optimizer.present.views.currency import scaled_sweep

    sweep = exact_frontier(load_scenario(scenario_file(FLOORED)), "ceilings", [0.0, 300.0])
    pkr = scaled_sweep(sweep, "PKR", 285.0)
    assert pkr.frontier is not None and sweep.frontier is not None
    assert (pkr.frontier.reach, pkr.frontier.high) == pytest.approx((10 * 285, 300 * 285))
    assert pkr.frontier.flat_value == pytest.approx(500 * 285)
    assert "No plan fits a ceiling below 2,850 PKR" in messages.frontier_notes(pkr.frontier,
                                                                               "PKR")[0]
