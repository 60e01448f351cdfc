"""Section 4 (periods, lags, attrition, curves, lever logic, locks), solved by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.present.formats import render_json
from optimizer.results import Result

Solve = Callable[..., Result]


def funded(r: Result, lever: str) -> list[float]:
    row = next(x for x in r.rows if x.lever == lever)
    return [q.units for q in row.by_period.values()]


def test_lag_makes_late_money_useless(solve: Solve) -> None:
    # a exports a year after funding, so only 2024 money counts: at most 5
    # units = 50. b (lag 0, 10 per unit) covers the other 30 in 2025, where
    # the 10% discount makes it cheaper than in 2024.
    r = solve("""
        name: lag
        periods: [2024, 2025]
        discount_rate: 10%
        target: {exports: 80}
        levers:
          a: {unit_cost: 1, yield_per_unit: 10, lag: 1, max_units_per_period: 5}
          b: {unit_cost: 10, yield_per_unit: 10}
    """)
    assert funded(r, "a") == [5, 0]
    assert funded(r, "b") == pytest.approx([0, 3])
    assert r.total_cost == pytest.approx(35)
    assert r.discounted_cost == pytest.approx(5 + 30 / 1.1)
    assert r.exports_by_period == pytest.approx({2024: 0, 2025: 80})


def test_attrition_forces_over_training_by_the_survival_factor(solve: Solve) -> None:
    # All training must happen in 2024 (no money later); 20% leave each year,
    # so 64 active in 2026 needs 64 / 0.8^2 = 100 trained: a factor of 1.5625.
    r = solve("""
        name: attrition
        periods: [2024, 2025, 2026]
        target: {exports: 64}
        budget:
          per_period: {2025: 0, 2026: 0}
        levers:
          train: {unit_cost: 1, yield_per_unit: 1, attrition: 20%}
    """)
    assert funded(r, "train") == pytest.approx([100, 0, 0])
    assert r.total_cost == pytest.approx(100)
    row = r.rows[0]
    assert [q.active for q in row.by_period.values()] == pytest.approx([100, 80, 64])


def test_concave_curve_answer_on_the_kink(solve: Solve) -> None:
    # a: 0.1 per export up to 10 units (100 exports), 0.2 after; b: 0.15.
    # 150 needed: a to the kink (10), then b for 50 (7.5): 17.5.
    r = solve("""
        name: kink
        target: {exports: 150}
        levers:
          a: {unit_cost: 1, yield_curve: [[0, 0], [10, 100], [30, 200]]}
          b: {unit_cost: 0.15, yield_per_unit: 1}
    """)
    assert r.total_cost == pytest.approx(17.5)
    assert funded(r, "a") == pytest.approx([10])
    assert r.rows[0].formulation == "concave_lp"
    assert r.marginal_cost_basis == "lp"  # concave curves add no binaries


def test_non_concave_curve_where_an_lp_would_be_wrong(solve: Solve) -> None:
    # a's curve is convex (slopes 1 then 9). The cheapest 50 exports: a at
    # 10 + 40/9 = 14.444 units (14.444). The convex hull (chord 5 per unit)
    # would claim 10 units for 10; b alone costs 25, a to 10 plus b 30.
    r = solve("""
        name: convex
        target: {exports: 50}
        levers:
          a: {unit_cost: 1, yield_curve: [[0, 0], [10, 10], [20, 100]]}
          b: {unit_cost: 0.5, yield_per_unit: 1}
    """)
    assert r.total_cost == pytest.approx(10 + 40 / 9, rel=1e-9)
    assert r.rows[0].formulation == "piecewise_binary"
    assert r.rows[0].exports == pytest.approx(50)


def test_curve_exports_on_the_wrong_side_of_a_constraint_get_binaries(solve: Solve) -> None:
    # A concave curve whose exports are capped by a constraint must not be an
    # LP hypograph (the model could under-report them): binaries are used.
    r = solve("""
        name: capped curve
        target: {exports: 120}
        levers:
          a: {unit_cost: 1, yield_curve: [[0, 0], [10, 100], [30, 200]]}
          b: {unit_cost: 0.5, yield_per_unit: 1}
        constraints:
          - expr: "exports(a) <= 90"
    """)
    assert r.rows[0].formulation == "piecewise_binary"
    # a: 9 units for 90 (9), b: 30 for 15: 24
    assert r.total_cost == pytest.approx(24)


def test_requires_and_excludes(solve: Solve) -> None:
    base = """
        name: logic
        target: {exports: %s}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, max_units: 100, requires: [b]%s}
          b: {unit_cost: 5, yield_per_unit: 1, max_units: 100, min_units_if_used: 10}
          c: {unit_cost: 2, yield_per_unit: 1, max_units: 100}
    """
    # a needs b used, with at least its 10-unit minimum: a 40 + b 10 = 90.
    r = solve(base % (50, ""))
    assert r.total_cost == pytest.approx(90)
    assert [x.units for x in r.rows] == pytest.approx([40, 10, 0])
    # 150 without logic on c: a 100 + b 10 + c 40 = 230; with a excluding c:
    # a 100 + b 50 = 350 beats c 100 + b 50 = 450.
    assert solve(base % (150, "")).total_cost == pytest.approx(230)
    r = solve(base % (150, ", excludes: [c]"))
    assert r.total_cost == pytest.approx(350)
    assert [x.units for x in r.rows] == pytest.approx([100, 50, 0])


def test_lock_fixes_the_units(solve: Solve) -> None:
    r = solve("""
        name: lock
        target: {exports: 50}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1}
          b: {unit_cost: 5, yield_per_unit: 1, fixed_units: 30}
    """)
    assert [x.units for x in r.rows] == pytest.approx([20, 30])
    assert r.total_cost == pytest.approx(170)
    assert "levers.b.fixed_units" in r.binding


def test_fixed_cost_once_in_the_first_funded_period(solve: Solve) -> None:
    # 2024 money is capped at 5 (less than the fixed cost), so the lever
    # starts in 2025 and pays its 10 there: 50 + 10 = 60, all in 2025.
    r = solve("""
        name: fixed once
        periods: [2024, 2025]
        target: {exports: 50}
        budget: {per_period: {2024: 5}}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, fixed_cost: 10, max_units: 100}
    """)
    assert r.total_cost == pytest.approx(60)
    assert r.spend_by_period == pytest.approx({2024: 0, 2025: 60})


def test_recurring_cost_favours_late_funding(solve: Solve) -> None:
    # Funding in 2026 costs 10 + 0.5 * 10 = 15; in 2024 it would be 10 + 3 * 5 = 25.
    r = solve("""
        name: recurring
        periods: [2024, 2025, 2026]
        target: {exports: 10}
        levers:
          a: {unit_cost: 1, recurring_cost: 0.5, yield_per_unit: 1}
    """)
    assert funded(r, "a") == pytest.approx([0, 0, 10])
    assert r.total_cost == pytest.approx(15)


def test_milestones_and_costs_by_period(solve: Solve) -> None:
    # 30 must export in 2024 (cost 2 each then), the rest in 2025 at 1: 60 + 20 = 80.
    r = solve("""
        name: milestones
        periods: [2024, 2025]
        target:
          exports: 50
          milestones: {2024: 30}
        levers:
          a: {unit_cost: 1, unit_cost_by_period: {2024: 2}, yield_per_unit: 1}
    """)
    assert funded(r, "a") == pytest.approx([30, 20])
    assert r.total_cost == pytest.approx(80)
    assert "target.milestones.2024" in r.binding


def test_max_exports_with_periods(solve: Solve) -> None:
    # 100 over the horizon, 60 a year at most; a (lag 0) at 1 per export.
    r = solve("""
        name: most exports
        periods: [2024, 2025]
        objective: max_exports
        target: {exports: 1000}
        budget: {ceiling: 100, per_period: {2024: 60, 2025: 60}}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1}
    """)
    assert r.lever_exports == pytest.approx(100, rel=2e-6)
    assert r.total_cost == pytest.approx(100, rel=2e-6)


def test_single_period_json_has_no_period_fields(solve: Solve) -> None:
    r = solve("""
        name: plain
        target: {exports: 10}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1}
    """)
    data = json.loads(render_json(r))
    assert "periods" not in data and "by_period" not in data["allocation"][0]


def test_period_json_and_files(scenario_file: Callable[..., Path], tmp_path: Path) -> None:
    path = scenario_file("""
        name: files
        periods: [2024, 2025]
        target: {exports: 10}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, integer: true, lag: 1}
    """)
    result = CliRunner().invoke(main, ["--config", str(path), "--format", "json",
                                       "--output", str(tmp_path / "o")])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["periods"] == [2024, 2025]
    assert data["exports_by_period"] == {"2024": 0.0, "2025": 10.0}
    assert data["allocation"][0]["by_period"]["2024"]["units"] == 10
    assert (tmp_path / "o" / "periods.csv").read_text().splitlines()[1] == "a,2024,10,0.0,10.0,0.0"
    table = CliRunner().invoke(main, ["--config", str(path)]).stdout
    assert "By period" in table and "funded" in table


BAD_SECTION_4 = [
    ("periods: [2024, 2024]\n", "", ["periods[1]", "duplicate period"]),
    ("periods: [2025, 2024]\n", "", ["periods", "years must increase"]),
    ("periods: [2024, 2025]\n", "lag: 2", ["levers.a.lag", "below the horizon of 2", "(got 2)"]),
    ("", "lag: 1", ["levers.a.lag", "below the horizon of 1"]),
    ("periods: [2024, 2025]\n", "attrition: 100%", ["levers.a.attrition", "[0, 1)"]),
    ("periods: [2024, 2025]\n", "unit_cost_by_period: {2030: 5}",
     ["levers.a.unit_cost_by_period.2030", "not a period"]),
    ("", "yield_curve: [[1, 0], [5, 10]]", ["levers.a.yield_curve[0]", "start at [0, 0]"]),
    ("", "yield_curve: [[0, 0], [5, 10], [5, 20]]",
     ["levers.a.yield_curve[2]", "increase strictly"]),
    ("", "requires: [zz]", ["levers.a.requires[0]", "unknown lever 'zz'"]),
    ("", "requires: [a]", ["levers.a.requires[0]", "itself"]),
    ("", "excludes: [b]", ["levers.a.excludes[0]", "'b' is disabled"]),
    ("", "fixed_units: 50, max_units: 40",
     ["levers.a.fixed_units", "contradicts max_units 40", "(got 50)"]),
    ("", "lag: 0.5", ["levers.a.lag", "(got 0.5)"]),
]


@pytest.mark.parametrize(("top", "lever", "needles"), BAD_SECTION_4)
def test_bad_section_4_inputs_exit_2(
    tmp_path: Path, top: str, lever: str, needles: list[str]
) -> None:
    extra = f", {lever}" if lever else ""
    text = (f"name: bad\n{top}target: {{exports: 5}}\nlevers:\n"
            f"  a: {{unit_cost: 1, yield_per_unit: 1{extra}}}\n"
            f"  b: {{unit_cost: 1, yield_per_unit: 1, enabled: false}}\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["--config", str(path), "--output", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in {result.stderr}"
    assert "bad.yaml:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_milestone_keys_must_be_earlier_periods(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("name: m\nperiods: [1, 2]\ntarget: {exports: 5, milestones: {2: 3, 7: 1}}\n"
                    "levers:\n  a: {unit_cost: 1, yield_per_unit: 1}\n")
    result = CliRunner().invoke(main, ["--config", str(path)])
    assert result.exit_code == 2
    assert "target.milestones.2: the last period" in result.stderr
    assert "target.milestones.7: 7 is not a period" in result.stderr


def test_an_unreachable_milestone_is_named(solve: Solve) -> None:
    # a exports a year after funding: nothing can export in 2024.
    r = solve("""
        name: milestone out of reach
        periods: [2024, 2025]
        target: {exports: 50, milestones: {2024: 5}}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, lag: 1, max_units: 100}
    """)
    assert r.status == "infeasible"
    assert "target.milestones.2024 needs 5 USD, at most 0 USD is reachable in 2024" in r.message
    assert r.binding[0] == "target.milestones.2024"


def test_next_step_is_re_solved_not_read_off_a_dual(solve: Solve) -> None:
    # The target sits exactly at a's cap (10 units = 100) with b at 3 per export
    # beyond it: the dual may report a's slope (1) or b's (3); one more export
    # costs 3, and that is what next_step says.
    r = solve("""
        name: kinked margin
        target: {exports: 100}
        levers:
          a: {unit_cost: 10, yield_per_unit: 10, max_units: 10}
          b: {unit_cost: 3, yield_per_unit: 1}
    """)
    assert r.total_cost == pytest.approx(100)
    assert r.next_step == (1.0, pytest.approx(3.0))


def test_next_step_out_of_reach(solve: Solve) -> None:
    r = solve("""
        name: at the edge
        target: {exports: 100}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, max_units: 100}
    """)
    assert r.next_step == (1.0, None)


def test_requires_and_excludes_in_force_are_binding(solve: Solve) -> None:
    r = solve("""
        name: logic binding
        target: {exports: 50}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, max_units: 100, requires: [b], excludes: [c]}
          b: {unit_cost: 5, yield_per_unit: 1, max_units: 100, min_units_if_used: 10}
          c: {unit_cost: 0.5, yield_per_unit: 1, max_units: 30}
    """)
    assert "levers.a.requires" in r.binding and "levers.a.excludes" in r.binding


def test_an_out_of_reach_target_carries_its_reason_as_data(solve: Solve) -> None:
    """The engine returns why (OutOfReach), and optimizer.results.messages words it: by hand,
    a exports 1 a unit, at most 100 units (funded in 2024 they still count in
    2025): the levers reach 100 of the 150 needed, held back by a's cap."""
    from optimizer.results.messages import out_of_reach

    r = solve("""
        name: out of reach
        periods: [2024, 2025]
        target: {exports: 150}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, max_units: 100}
    """)
    assert r.status == "infeasible" and r.reason is not None
    assert r.reason.needed == 150 and r.reason.reachable == pytest.approx(100)
    assert r.reason.period == "2025" and r.reason.proven and r.reason.target_short
    assert r.reason.held_by == ("levers.a.max_units",) and r.reason.milestones == ()
    assert r.message == out_of_reach(r.reason, "USD")
    assert r.message.startswith("infeasible: the levers must add 150 USD of exports in 2025, "
                                "but at most 100 USD is reachable")


def test_milestones_out_of_reach_only_together_are_a_reason_too(solve: Solve) -> None:
    """By hand: 2024 needs 0.8 units funded in 2024; half is left in 2025, so 0.4
    more then, 1.2 in all, over max_units 1; each milestone alone is reachable."""
    r = solve("""
        name: milestones reachable one at a time
        periods: [2024, 2025, 2026]
        target: {exports: 0.1, milestones: {2024: 0.8, 2025: 0.8}}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, attrition: 50%, max_units: 1}
    """)
    assert r.status == "infeasible" and r.reason is not None
    assert r.reason.jointly and r.reason.milestones == () and not r.reason.target_short
    assert r.binding[0] == "target.milestones"
    assert "each milestone alone is reachable, but not all of them together" in r.message
