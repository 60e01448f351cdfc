"""Every answer is proven before it is shown: the eight reproductions of the
wide-scale defects (each solved by hand), the certificate's bound against an
independent computation, and the exit codes when a proof fails.

The reproductions were found by comparing the engine with tests/reference.py
on random files whose numbers span many orders of magnitude; each comment
gives the hand solution and the mechanism that lost it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy.optimize import linprog

from optimizer.cli import main
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario
from optimizer.solving.highs import Highs
from tests.reference import reference_solve

Write = Callable[..., Path]


def run_cli(*args: str) -> tuple[int, dict | None, str]:
    """Exit code, the result JSON (when one was printed) and stderr."""
    out = CliRunner().invoke(main, [*args, "--format", "json"])
    try:
        data = json.loads(out.stdout) if out.stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    return out.exit_code, data, out.stderr


def certificate(data: dict) -> dict:
    return data["solver"]["certificate"]


# --- the eight reproductions -----------------------------------------------------------


REPRO_1 = """
    name: t
    target: {exports: 1700B}
    levers:
      a: {unit_cost: 0.5, yield_per_unit: 2, integer: true}
      b: {unit_cost: 5, yield_curve: [[0, 0], [12M, 600B], [32M, 2000B]]}
"""


def test_uncapped_integer_beside_a_convex_curve(scenario_file: Write) -> None:
    # b: 600B at 12M units, then 70,000 per unit: 1,100B more needs 15,714,286
    # units, 27,714,286 in all, for 5 x that = 138,571,429; a (0.25 per export)
    # is 3,500 times dearer. The engine once bought 3.6 trillion units of a: a $0.5
    # integer unit forced the money unit to $10, and weights on the curve's
    # breakpoints then carried 2e11 per unit of weight.
    path = scenario_file(REPRO_1)
    code, data, _ = run_cli("--config", str(path))
    assert code == 0
    assert data["total_cost"] == pytest.approx(138_571_428.57, rel=1e-7)
    units = {r["lever"]: r["units"] for r in data["allocation"]}
    assert units["a"] == 0
    assert units["b"] == pytest.approx(27_714_285.71, rel=1e-7)
    assert certificate(data)["proven"] is True


def test_max_exports_spends_the_ceiling_on_the_best_lever(scenario_file: Write) -> None:
    # b alone: 5M / 4 = 1,250,000 units, 375,000 exports. a's fixed cost of 3M
    # buys at most 25 exports (the constraint), c's 120,000 a unit 2 exports at
    # best. The engine once paid a's fixed cost for phantom curve exports.
    path = scenario_file("""
        name: t
        target: {exports: 1}
        budget: {ceiling: 5M}
        objective: max_exports
        levers:
          a: {unit_cost: 800000, fixed_cost: 3M, yield_curve: [[0, 0], [40M, 80B], [80M, 200B]]}
          b: {unit_cost: 4, yield_per_unit: 0.3}
          c: {unit_cost: 120000, yield_curve: [[0, 0], [46, 1.1], [87, 2]]}
        constraints:
          - expr: "2 * exports(a) + 0.03 * spend(c) <= 50"
    """)
    code, data, _ = run_cli("--config", str(path))
    assert code == 0
    assert data["lever_exports"] == pytest.approx(375_000, rel=2e-6)
    assert data["total_cost"] == pytest.approx(5_000_000, rel=2e-6)


@pytest.mark.parametrize("ceiling", ["1M", "1B", "10B", "1000B"])
@pytest.mark.parametrize("periods", [False, True])
def test_huge_ceiling_over_a_tiny_lever(scenario_file: Write, ceiling: str,
                                        periods: bool) -> None:
    # a at its cap of 2 units: 9 x 2 = 18 exports for 12, whatever the ceiling.
    # A ceiling of 1000B once set the money unit to $1B, and the lever's 2 units
    # became 2e-9 model units: zero exports, "optimal".
    extra = "periods: [2024, 2025]\n" if periods else ""
    per = ", max_units_per_period: 1.5" if periods else ""
    path = scenario_file(f"""
name: r
{extra}target: {{exports: 1}}
budget: {{ceiling: {ceiling}}}
objective: max_exports
levers:
  a: {{unit_cost: 6, yield_per_unit: 9, max_units: 2{per}}}
""")
    code, data, _ = run_cli("--config", str(path))
    assert code == 0
    assert data["lever_exports"] == pytest.approx(18, rel=2e-6)
    assert data["total_cost"] == pytest.approx(12, rel=2e-6)


def test_feasible_file_is_not_called_infeasible(scenario_file: Write) -> None:
    # a's convex curve: 25B at 7M units, then 55B / 9M per unit: 25B more needs
    # 4,090,909 units, 11,090,909 in all, for 50 x that = 554,545,454.5. b (an
    # integer concave curve) adds 2M exports at most, at 6.7 a dollar of exports.
    path = scenario_file("""
        name: t
        target: {exports: 50B}
        levers:
          a: {unit_cost: 50, yield_curve: [[0, 0], [7M, 25B], [16M, 80B]]}
          b: {unit_cost: 1, integer: true, yield_curve: [[0, 0], [10M, 1.5M], [23M, 2M]]}
    """)
    code, data, _ = run_cli("--config", str(path))
    assert code == 0
    assert data["total_cost"] == pytest.approx(554_545_454.5, rel=1e-7)
    assert data["target_met"] is True


@pytest.mark.parametrize("target", ["1B", "10B", "1000B"])
def test_infeasible_at_any_scale_exits_3(scenario_file: Write, target: str) -> None:
    # 400 units x 2 = 800 exports at most: out of reach, proven by the bound 800.
    path = scenario_file(f"""
        name: t
        target: {{exports: {target}}}
        levers:
          a: {{unit_cost: 1, yield_per_unit: 2, max_units: 400}}
    """)
    code, data, err = run_cli("--config", str(path))
    assert code == 3, err
    assert data["status"] == "infeasible"
    proof = certificate(data)
    assert proof["kind"] == "infeasible" and proof["proven"] is True
    assert proof["bound"] == pytest.approx(800, rel=1e-9)
    assert "at most 800 USD is reachable" in err


def test_infeasible_two_periods_returns_within_its_budget(scenario_file: Write) -> None:
    # At most 92.67B of the 1,432B is reachable. The repair search once ran for
    # 13 minutes inside HiGHS, probing caps a billionth from the edge.
    path = scenario_file("""
        name: hang
        periods: [2024, 2025]
        discount_rate: 0.013
        target: {exports: 1432B}
        budget: {ceiling: 21.76B}
        levers:
          a: {unit_cost: 16.41, yield_per_unit: 485900, max_units: 128400, fixed_cost: 1490}
          b: {unit_cost: 164900, yield_per_unit: 51270, cost_recovery: 0.555}
          c: {unit_cost: 0.003387, yield_per_unit: 221400, integer: true, max_units: 68100}
    """)
    start = time.monotonic()
    code, data, err = run_cli("--config", str(path), "--time-budget", "20")
    assert time.monotonic() - start < 60
    assert code == 3, err
    assert certificate(data)["proven"] is True
    assert certificate(data)["bound"] < 1432e9


def test_a_search_out_of_time_says_what_it_left(scenario_file: Write) -> None:
    path = scenario_file("""
        name: t
        target: {exports: 10B}
        levers:
          a: {unit_cost: 1, yield_per_unit: 2, max_units: 400}
    """)
    # the budget covers the whole command: the solve itself, then the repairs
    out = CliRunner().invoke(main, ["--config", str(path), "--time-budget", "1e-9"])
    assert out.exit_code == 4
    assert "--time-budget ran out before HiGHS finished" in out.stderr + out.stdout
    # repairs that the budget leaves no time for are named as left out
    from optimizer.analyses.repaired import with_repairs
    from optimizer.solving.options import SolverOptions

    loadout = load_scenario(path)
    result = solve_scenario(loadout, SolverOptions())
    assert result.status == "infeasible"
    late = with_repairs(loadout, result, SolverOptions().within(1e-9))
    assert "Not finished within --time-budget" in late.message


# --- the certificate against independent computations --------------------------------


def test_lp_bound_equals_an_independent_optimum(scenario_file: Write) -> None:
    # min 3a + 5b + 4c s.t. 2a + 4b + 3c >= 100, b <= 15, c <= 10: b first (1.25
    # per export: 15 units, 60 exports, 75), then c (4/3: 10 units, 30 exports, 40),
    # then a (1.5: 5 units for the last 10, 15). Total 130; scipy's linprog agrees.
    path = scenario_file("""
        name: lp
        target: {exports: 100}
        levers:
          a: {unit_cost: 3, yield_per_unit: 2}
          b: {unit_cost: 5, yield_per_unit: 4, max_units: 15}
          c: {unit_cost: 4, yield_per_unit: 3, max_units: 10}
    """)
    lp = linprog([3, 5, 4], A_ub=[[-2, -4, -3]], b_ub=[-100],
                 bounds=[(0, None), (0, 15), (0, 10)], method="highs")
    r = solve_scenario(load_scenario(path))
    c = r.solver.certificate
    assert c is not None and c.method == "lp_dual" and c.proven
    assert lp.fun == pytest.approx(130)
    assert c.bound == pytest.approx(lp.fun, rel=1e-9)
    assert c.value == pytest.approx(lp.fun, rel=1e-9)


def test_mip_bound_agrees_with_the_reference(scenario_file: Write) -> None:
    # whole lots of 7 exports at 10, or a fixed 25 plus 2 a unit for 1 export each
    path = scenario_file("""
        name: mip
        target: {exports: 50}
        levers:
          lots: {unit_cost: 10, yield_per_unit: 7, integer: true}
          b: {unit_cost: 2, yield_per_unit: 1, fixed_cost: 25, max_units: 30}
    """)
    loadout = load_scenario(path)
    r = solve_scenario(loadout)
    ref = reference_solve(loadout.scenario)
    c = r.solver.certificate
    assert c is not None and c.proven and c.method == "mip_dual_bound"
    assert c.value == pytest.approx(ref.total_cost, rel=1e-9)
    assert c.bound <= c.value * (1 + 1e-9)


def test_integers_too_small_to_matter_are_rounded_and_bounded(scenario_file: Write) -> None:
    # a whole unit of a is worth 1e-10 of the target: it is solved continuous,
    # rounded, and the relaxation's bound proves the rounded plan. 5e11 units of
    # a at 0.5 = 2.5e11 against b at 1 per export... a alone: 1e12 / 2 = 5e11 units.
    path = scenario_file("""
        name: small
        target: {exports: 1000B}
        levers:
          a: {unit_cost: 0.5, yield_per_unit: 2, integer: true}
          b: {unit_cost: 1, yield_per_unit: 1}
    """)
    r = solve_scenario(load_scenario(path))
    units = {row.lever: row.units for row in r.rows}
    assert units["a"] == 500_000_000_000 and units["b"] == 0
    assert r.total_cost == pytest.approx(250e9, rel=1e-12)
    c = r.solver.certificate
    assert c is not None and c.proven and c.method == "lp_dual_relaxation"


def test_a_bound_that_does_not_meet_the_plan_is_exit_4(
        scenario_file: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    # a solver whose bound is 10% below its plan: never "optimal"
    path = scenario_file("""
        name: lp
        target: {exports: 100}
        levers:
          a: {unit_cost: 3, yield_per_unit: 2}
    """)
    real = Highs.proven_bound

    def short(self: Highs, incumbent: float) -> tuple[float, str] | None:
        found = real(self, incumbent)
        return None if found is None else (found[0] * 0.9, found[1])

    monkeypatch.setattr(Highs, "proven_bound", short)
    code, data, err = run_cli("--config", str(path))
    assert code == 4
    assert data["status"] == "not_proven" and data["plan"] == "best_found"
    assert "150 USD" in err and "135 USD" in err  # both numbers


def test_an_unproven_infeasible_verdict_is_exit_4(
        scenario_file: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    # the bound on exports is made to allow the target: "infeasible" is not shown
    path = scenario_file("""
        name: t
        target: {exports: 10B}
        levers:
          a: {unit_cost: 1, yield_per_unit: 2, max_units: 400}
    """)
    monkeypatch.setattr(Highs, "proven_bound", lambda self, incumbent: (1e12, "lp_dual"))
    code, data, err = run_cli("--config", str(path))
    assert code == 4
    assert data["status"] == "not_proven"
    assert "not proven" in err


def _slow_lp(scenario_file: Write, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A two-lever LP (by hand: 20 of a, 15 of b, 135; b's cap binds) whose every solve
    takes 1.5 s more: a time budget of 1 s is spent by the answer's."""
    from optimizer.solving.engine import Session

    path = scenario_file("""
        name: lp
        target: {exports: 100}
        levers:
          a: {unit_cost: 3, yield_per_unit: 2}
          b: {unit_cost: 5, yield_per_unit: 4, max_units: 15}
    """)
    solve = Session.solve

    def slow(self: Session, *args: object, **kwargs: object) -> object:
        out = solve(self, *args, **kwargs)
        time.sleep(1.5)
        return out

    monkeypatch.setattr(Session, "solve", slow)
    return path


def test_explain_names_the_sections_its_budget_left_out(
        scenario_file: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    # the solve and the searches after it share the budget: a solve that takes the
    # whole budget leaves every section out, named
    path = _slow_lp(scenario_file, monkeypatch)
    out = CliRunner().invoke(main, ["explain", "--config", str(path), "--format", "json",
                                    "--time-budget", "1"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["result"]["status"] == "optimal"
    assert data["result"]["total_cost"] == pytest.approx(3 * 20 + 5 * 15)  # by hand
    assert set(data["unfinished"]) == {"binding", "tornado", "ranging", "room"}
    table = CliRunner().invoke(main, ["explain", "--config", str(path),
                                      "--time-budget", "1"])
    assert "Not finished within --time-budget (left out):" in table.stdout
    # a budget the solve itself cannot keep: no proven answer
    cut = CliRunner().invoke(main, ["explain", "--config", str(path), "--time-budget", "1e-9"])
    assert cut.exit_code == 4
    # under --time-limit (which then bounds every solve), the sections it leaves out
    # are named for it, not for the --time-budget it replaces
    limited = CliRunner().invoke(main, ["explain", "--config", str(path),
                                        "--time-limit", "1"])
    assert limited.exit_code == 0, limited.output
    assert "Not finished within --time-limit (left out):" in limited.stdout
    assert "--time-budget" not in limited.stdout


def test_a_spend_floor_too_small_for_the_plans_scale_is_refused(scenario_file: Write) -> None:
    # $0.00255 of spend beside exports of 196B: HiGHS's tolerances would not keep
    # it, and the plan that ignored it failed the re-check (exit 4); now exit 2
    path = scenario_file("""
        name: t
        target: {exports: 196B}
        levers:
          a: {unit_cost: 414000, yield_per_unit: 102000}
          b: {unit_cost: 0.489, yield_per_unit: 10, max_units: 5, min_spend: 0.00255}
    """)
    out = CliRunner().invoke(main, ["--config", str(path)])
    assert out.exit_code == 2
    assert "levers.b.min_spend" in out.stderr and "(got 0.00255)" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(("expr", "alpha_cap"), [
    # 3e7 * a <= 1e10 + 0.1 * (0.03 * 400): b's most exports loosen a's cap
    ("exports(alpha) - 0.1 * exports(beta) <= 1e10", (1e10 + 0.1 * 0.03 * 400) / 3e7),
    # the same row written the other way round
    ("0.1 * exports(beta) - exports(alpha) >= -1e10", (1e10 + 0.1 * 0.03 * 400) / 3e7),
    # spend: 0.07 * a + 40 (fixed) <= 50 + 2 * (400 * 4 / 300); a's cap ignores the fixed cost
    ("spend(alpha) - 2 * spend(beta) <= 50", (50 + 2 * 400 * 4 / 300) / 0.07),
    # an == row read as <=
    ("alpha - beta == 5", 405.0),
])
def test_relation_caps_read_mixed_sign_rows(scenario_file: Write, expr: str,
                                            alpha_cap: float) -> None:
    """A row with terms of both signs caps a lever once the other terms' most is
    known (case 11-201: an uncapped a beside a 700B ceiling was sized as 1e13
    units, the answer is 333, and the solver answered 0 exports)."""
    from optimizer.solving.inputs import relation_caps

    path = scenario_file(f"""
        name: caps
        objective: max_exports
        target: {{exports: 1e10}}
        budget: {{ceiling: 7e11}}
        exchange_rates: {{PKR: 300}}
        levers:
          alpha: {{unit_cost: 0.07, yield_per_unit: 3e7, fixed_cost: 40}}
          beta: {{unit_cost: 4 PKR, yield_per_unit: 0.03, max_units: 400}}
        constraints:
          - expr: "{expr}"
    """)
    caps = relation_caps(load_scenario(path).scenario)
    assert caps["alpha"] == pytest.approx(alpha_cap, rel=1e-12)
    assert caps.get("beta", math.inf) >= 400 * (1 - 1e-12)


def test_whole_units_that_fall_short_by_round_off_do_not_meet_the_target(
        scenario_file: Write) -> None:
    # by hand: the first segment exports 4.97327e13 / 15,349,600 = 3,239,999.74 a
    # unit; 5 units make 16,199,998.7, 1.3 USD short of 16.2M, so 6 units (540,000)
    path = scenario_file("""
        name: t
        target: {exports: 16.2M}
        levers:
          delta: {unit_cost: 90000, integer: true,
                  yield_curve: [[0, 0], [15349600, 4.97327e13], [3e7, 1e14]]}
    """)
    code, data, _ = run_cli("--config", str(path))
    assert code == 0
    assert data["allocation"][0]["units"] == 6
    assert data["total_cost"] == 540_000
    assert 5 * 4.97327e13 / 15349600 < 16.2e6 <= 6 * 4.97327e13 / 15349600


def test_the_next_step_is_priced_by_a_plan_that_holds() -> None:
    # by hand: alpha's 1.15 units in 2024 (0.103 each, fixed 0.0267) with the one
    # unit of beta it requires (0.741 in 2024) export 1,467,300 in 2026 for
    # 0.88615; beta alone needs 72,400 / 29,800 = 2.43 units, 1.80. The next 10
    # USD of exports is then free; a leaking use switch once priced it at -0.88
    path = Path(__file__).parent / "wide_cases" / "use_switch_leak_across_three_periods.yaml"
    code, data, _ = run_cli("--config", str(path))
    assert code == 0
    assert data["total_cost"] == pytest.approx(1.15 * 0.103 + 0.0267 + 0.741, rel=1e-9)
    assert data["next_step"] == {"exports": 10.0, "cost": 0.0, "reachable": True}
    assert data["marginal_cost_of_target"] == 0.0


def test_a_use_switch_without_a_fixed_cost_is_named_for_its_logic() -> None:
    # alpha and beta exclude each other and have no fixed cost: the rows tying their
    # units to their use switches are the excludes, never a "fixed_cost" the file
    # does not have. Out of reach by hand: alpha's exports need beta's to be a tenth
    # of them, and beta alone makes at most 329,000 / 1,080 * 0.881 = 268.4
    path = (Path(__file__).parent / "wide_cases"
            / "excluding_levers_out_of_reach_without_a_second_opinion.yaml")
    out = CliRunner().invoke(main, ["--config", str(path)])
    assert out.exit_code == 3
    assert "fixed_cost" not in out.stdout + out.stderr
    assert "levers.alpha.excludes" in out.stdout
    code, data, _ = run_cli("--config", str(path))
    assert certificate(data)["proven"] is True
    assert data["lever_exports"] == pytest.approx(329_000 / 1_080 * 0.881, rel=1e-6)


def test_a_plan_better_than_its_bound_refutes_the_bound(
        scenario_file: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    # by hand: 1,000 / 4 = 250 units of a, 750 exports; a "bound" of 500 below the
    # re-checked plan's 750 is refuted by it, so nothing is proven (HiGHS once
    # bounded a MIP at 1.00362e14 beside its own plan of 1.00937e14)
    path = scenario_file("""
        name: t
        objective: max_exports
        target: {exports: 1}
        budget: {ceiling: 1000}
        levers:
          a: {unit_cost: 4, yield_per_unit: 3}
    """)
    code, data, _ = run_cli("--config", str(path))
    assert code == 0 and data["lever_exports"] == pytest.approx(750)
    # (the incumbent is the plan's exports in model units: two thirds of it is 500)
    monkeypatch.setattr(Highs, "proven_bound",
                        lambda self, incumbent: (incumbent * 2 / 3, "lp_dual"))
    code, data, err = run_cli("--config", str(path))
    assert code == 4
    assert data["status"] == "not_proven"
    assert certificate(data)["proven"] is False
    assert certificate(data)["bound"] == pytest.approx(500)


def test_a_bound_coarser_than_the_proof_proves_nothing() -> None:
    # beta's fixed cost (6.5e11 USD) sets the model's money unit at 1e9; the answer
    # costs about 2,500 USD, so HiGHS's tolerances (1e-7 model units, 100 USD) cannot
    # tell 2,501 from the 2,409.84 of 628 units in FY25 alone (by hand: 628 * 1203 /
    # 285 / 1.1). The refit to the answer's size cannot hold that fixed cost, so the
    # answer is shown as the best found, exit 4, never as proven
    path = (Path(__file__).parent / "wide_cases"
            / "unused_huge_fixed_cost_bound_too_coarse_4343.yaml")
    code, data, err = run_cli("--config", str(path))
    assert code == 4
    cert = certificate(data)
    assert cert["proven"] is False
    assert "the proof does not hold" in err
    assert data["total_cost"] >= 628 * 1203 / 285 * (1 - 1e-9)
    # the bound shown (the looser of the run with presolve and the one without) is
    # one: it does not claim more than the 2,409.84 of the plan by hand
    assert cert["bound"] <= 628 * 1203 / 285 / 1.1 * (1 + 1e-9)


def test_a_second_stage_without_a_bound_proves_nothing() -> None:
    # HiGHS 1.16 calls the second stage (the least cost keeping 51,231,081.767
    # exports, E* = 51,231,081.818 less 1e-9 of it) infeasible, though the first plan
    # is in it. By hand the cheapest keeping them buys both periods' 0.497 units of
    # beta (512,282.75 of the exports, in units of 100) and makes up 28.0676671 (the
    # first plan's 28.0681794 of alpha less the band's 0.000512311) with
    # ceil(28.0676671 / 1.14e-5) = 2,462,077 units of alpha in FY25 (44 fewer than the
    # first plan's 2,462,121): 2,462,077 * 52,800 / 1.3 + 0.2485 + 0.2485 / 1.3
    # = 99,998,204,308.1
    path = Path(__file__).parent / "wide_cases" / "second_stage_called_infeasible_by_highs.yaml"
    code, data, err = run_cli("--config", str(path))
    assert code == 4
    cert = certificate(data)
    assert cert["proven"] is False
    assert "not proven the least" in err
    optimum = 2_462_077 * 52_800 / 1.3 + 0.2485 + 0.2485 / 1.3
    assert cert["cost_bound"] <= optimum
    assert cert["cost_value"] >= optimum
    # the exports are the most any plan adds (4.97 beta units' 0.497 a period are
    # 512,282.75 hundreds; alpha's 130B buy 2,462,121 units, 28.068 hundreds more)
    assert data["lever_exports"] == pytest.approx((0.497 * 0.75 + 0.497) * 58.9e6
                                                  + 2_462_121 * 0.00114, rel=1e-9)


def test_a_floor_no_plan_can_meet_is_infeasible_not_unproven(scenario_file) -> None:
    # alpha's min_spend (0.000103) needs alpha used, and used it spends its fixed cost
    # of 1.12e7, above its max_spend of 0.0515: no plan holds (by hand). The model's
    # use switch, free beside a lever that can fund nothing, sat at 9e-12 and paid
    # that much of the fixed cost inside the tolerance (exit 4 without a plan); the
    # spend row divided by that fixed cost read the floor as 9e-12 (case 16-3109)
    path = scenario_file("""\
        name: min spend out of reach
        target: {exports: 3.67e7}
        budget: {ceiling: 1980000}
        levers:
          alpha: {unit_cost: 0.0206, yield_per_unit: 0.01, integer: true, max_units: 5,
                  fixed_cost: 1.12e7, max_spend: 0.0515, min_spend: 0.000103}
          beta: {unit_cost: 360, yield_per_unit: 170M, integer: true, fixed_cost: 265}
        """)
    code, data, err = run_cli("--config", str(path))
    assert code == 3, err
    assert data["solver"]["certificate"]["proven"] is True
    assert "levers.alpha.min_spend" in err + json.dumps(data)


def test_a_second_opinion_that_does_not_answer_in_time_is_none() -> None:
    # HiGHS 1.16 spun forever without presolve (HighsNodeQueue::link_estim) on a
    # repair probe of case 16-403, past every time limit: the second opinion runs in
    # a child that is killed at its deadline
    import time

    from optimizer.solving.highs import _isolated

    started = time.monotonic()
    assert _isolated(lambda: time.sleep(60), wait=0.5) is None
    assert time.monotonic() - started < 10
    assert _isolated(lambda: ("plan", 1.5), wait=10) == ("plan", 1.5)
    assert _isolated(lambda: 1 / 0, wait=10) is None


def test_a_held_row_binds_its_solve_and_not_the_second_opinion() -> None:
    # x whole in [0, 10] with a row x >= need: held at x <= 4.5 for one solve, the most
    # x is 4 (by hand); the second opinion of that solve is the model's own, 10; the
    # next solve without the hold is the model's again
    import pyomo.core as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.need = pyo.Param(mutable=True, initialize=2.0)
    m.row = pyo.Constraint(expr=m.x >= m.need)
    m.most = pyo.Objective(expr=m.x, sense=pyo.maximize)
    m.least = pyo.Objective(expr=m.x, sense=pyo.minimize)
    m.least.deactivate()
    highs = Highs()
    assert highs.solve(m, upper={m.row: 4.5}).objective == pytest.approx(4)
    second = highs.confirm()
    assert second is not None and second[0].col_value == pytest.approx([10])
    assert highs.solve(m).objective == pytest.approx(10)
    # the least x, held: the row's lower bound is the need of the held solve (2),
    # not the model's after it (0), in the second opinion too
    m.most.deactivate()
    m.least.activate()
    assert highs.solve(m, upper={m.row: 4.5}).objective == pytest.approx(2)
    m.need.set_value(0.0)
    second = highs.confirm()
    assert second is not None and second[0].col_value == pytest.approx([2])
    assert highs.solve(m).objective == pytest.approx(0)


def test_a_mip_start_is_an_incumbent_only() -> None:
    # the plan in the variables (x = 3, feasible, not the most) starts the MIP; the
    # answer is still the optimum, 10 (by hand), with HiGHS's bound meeting it; a
    # start that breaks the row (x = 1 < need 2) is dropped, not taken as a plan
    import pyomo.core as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.need = pyo.Param(mutable=True, initialize=2.0)
    m.row = pyo.Constraint(expr=m.x >= m.need)
    m.pair = pyo.Constraint(expr=3 * m.x + 2 * m.y <= 41)
    m.most = pyo.Objective(expr=2 * m.x + 3 * m.y, sense=pyo.maximize)
    for x, y in ((3, 0), (1, 10)):
        m.x.set_value(x)
        m.y.set_value(y)
        out = Highs().solve(m, start=True)
        # 2x + 3y under 3x + 2y <= 41, x >= 2: x = 3, y = 16 is past y's cap of 10;
        # y = 10 leaves 3x <= 21, x = 7: 14 + 30 = 44
        assert out.objective == pytest.approx(44)
        assert out.bound == pytest.approx(44)
        assert (m.x.value, m.y.value) == pytest.approx((7, 10))


def test_a_report_names_the_searches_its_time_left_out(
        scenario_file: Write, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # the answer (by hand: 20 of a, 15 of b, 135) stands, and the worth of its binding
    # limit, which --time-limit left no time for, is named as left out rather than
    # losing the whole report (it once ended "no proven answer")
    path = _slow_lp(scenario_file, monkeypatch)
    folder = tmp_path / "memo"
    out = CliRunner().invoke(main, ["report", "--config", str(path), "--output", str(folder),
                                    "--time-limit", "1"])
    assert out.exit_code == 0, out.output
    memo = (folder / "report.md").read_text(encoding="utf-8")
    assert "Not finished within --time-limit (left out): worth of the limits." in memo
    assert "135" in memo
    # with --explain, the explanation's sections it stopped are named the same way
    explained = tmp_path / "explained"
    out = CliRunner().invoke(main, ["report", "--config", str(path), "--output",
                                    str(explained), "--explain", "--time-limit", "1"])
    assert out.exit_code == 0, out.output
    memo = (explained / "report.md").read_text(encoding="utf-8")
    line = next(x for x in memo.splitlines() if "Not finished within --time-limit" in x)
    assert "binding" in line and "tornado" in line
