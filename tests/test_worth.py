"""The worth of a binding limit, both ways (issue 12 item 1): the cost of tightening
it and the saving from loosening it, each re-solved over the smaller of 5% and the
distance to the next change in the plan.

Every figure is held against an independent computation: a case solved by hand,
or the same scenario with the limit moved, solved by scipy's milp
(tests/reference.py) and differenced."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from optimizer.analyses.limits import with_limit
from optimizer.analyses.worth import worth_of
from optimizer.results import Worth
from optimizer.scenario import Loadout, load_scenario
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke
from tests.reference import reference_solve

ROOT = Path(__file__).resolve().parent.parent
THREE = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
CAP = "levers.it_workforce.max_units_per_period"


def write(tmp_path: Path, text: str) -> Loadout:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return load_scenario(path)


def worth(loadout: Loadout) -> dict[str, Worth]:
    return {w.limit: w for w in worth_of(loadout, solve_scenario(loadout))}


def objective(loadout: Loadout, name: str | None = None, value: float = 0.0) -> float | None:
    """The reference's objective with ``name`` moved to ``value`` (None: no plan)."""
    s = loadout.scenario if name is None else with_limit(loadout.scenario, name, value)
    ref = reference_solve(s)
    if ref.status != "optimal":
        return None
    if s.objective == "min_cost":
        return ref.discounted_cost
    return ref.lever_exports if s.objective == "max_exports" else ref.goal_value


def against_reference(loadout: Loadout, w: Worth, rel: float = 1e-6) -> None:
    """Both figures of ``w`` equal the reference's differences at the same moves."""
    base = objective(loadout)
    assert base is not None
    better = -1.0 if loadout.scenario.maximises else 1.0
    tight, loose = objective(loadout, w.limit, w.tightened), objective(loadout, w.limit,
                                                                      w.loosened)
    assert tight is not None and loose is not None and w.tighten_cost is not None
    scale = max(abs(base), 1.0)
    assert w.tighten_cost == pytest.approx(better * (tight - base), abs=rel * scale), w.limit
    assert w.loosen_saving == pytest.approx(better * (base - loose), abs=rel * scale), w.limit


# --- the shipped three-year file: the done-when --------------------------------------


def test_three_year_training_cap_costs_something_to_lower_and_saves_to_raise() -> None:
    loadout = load_scenario(THREE)
    found = worth(loadout)
    cap = found[CAP]
    assert cap.now == 80_000
    # lowering the cap costs money (the old +1 step said "costs 0"): a planner's
    # step, whole workers, at most 5% (4,000)
    assert cap.tighten_cost is not None and cap.tighten_cost > 1e5
    assert cap.loosen_saving is not None and cap.loosen_saving > 1e5
    assert not cap.changes_nothing
    assert 1 <= cap.tighten_step <= 4_000 and cap.tighten_step.is_integer()
    assert cap.loosen_step == 4_000
    # the dual of the LP with integers fixed holds the workers: labelled, not the worth
    assert cap.dual_basis == "LP with integers fixed"


def test_three_year_worth_equals_the_reference_both_ways() -> None:
    """Each binding limit of the shipped file (caps, the milestones, the target) moved
    as the analysis moved it, solved by scipy's milp: the same differences."""
    loadout = load_scenario(THREE)
    found = worth(loadout)
    assert {CAP, "target.milestones.2025", "target.exports"} <= set(found)
    for w in found.values():
        against_reference(loadout, w)


def test_lowering_the_training_cap_to_64000_costs_what_the_issue_says() -> None:
    """The issue's figure, checked independently: the cap at 64,000 costs 309.7M
    (discounted) against 178.5M at 80,000."""
    loadout = load_scenario(THREE)
    base, low = objective(loadout), objective(loadout, CAP, 64_000)
    assert base == pytest.approx(178_459_317, rel=1e-8)
    assert low == pytest.approx(309_740_993, rel=1e-8)


# --- hand-solvable cases ---------------------------------------------------------------

HAND = """\
    name: hand
    target: {exports: 150}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units: 100}
      b: {unit_cost: 3, yield_per_unit: 1}
    """


def test_a_hand_solved_lp_both_ways(tmp_path: Path) -> None:
    # a 100 at 1, b 50 at 3: cost 250. The cap moved 5 either way swaps 5 units of
    # b (3) for a (1): 10; the target moved 7.5 (5% of 150) buys or spares 7.5 of b.
    found = worth(write(tmp_path, HAND))
    cap, target = found["levers.a.max_units"], found["target.exports"]
    assert (cap.tighten_step, cap.loosen_step) == (5.0, 5.0)
    assert (cap.tightened, cap.loosened) == (95.0, 105.0)
    assert cap.tighten_cost == pytest.approx(10.0, rel=1e-9)
    assert cap.loosen_saving == pytest.approx(10.0, rel=1e-9)
    assert (target.tighten_step, target.loosen_step) == (7.5, 7.5)
    assert (target.tightened, target.loosened) == (157.5, 142.5)
    assert target.tighten_cost == pytest.approx(22.5, rel=1e-9)
    assert target.loosen_saving == pytest.approx(22.5, rel=1e-9)
    assert (cap.dual, target.dual) == (pytest.approx(-2.0), pytest.approx(3.0))
    assert {cap.dual_basis, target.dual_basis} == {"LP"}


DEGENERATE = """\
    name: degenerate
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units: 100, max_spend: 100}
      b: {unit_cost: 2, yield_per_unit: 1}
    """


def test_a_degenerate_vertex_is_worth_something_one_way(tmp_path: Path) -> None:
    """a's cap on units and its cap on spend both hold a at 100: loosening either
    alone changes nothing (the other still holds), tightening either costs 1 a unit
    (a unit of b at 2 for one of a at 1). The LP's duals split the price between the
    two however its basis falls: at least one of them is 0, one-sided."""
    loadout = write(tmp_path, DEGENERATE)
    found = worth(loadout)
    for name, step in (("levers.a.max_units", 5.0), ("levers.a.max_spend", 5.0)):
        w = found[name]
        assert w.tighten_step == step and w.loosen_step == step
        assert w.tighten_cost == pytest.approx(step * 1.0, rel=1e-9)
        assert w.loosen_saving == pytest.approx(0.0, abs=1e-9)
        assert not w.changes_nothing
        against_reference(loadout, w)
    assert 0.0 in (found["levers.a.max_units"].dual, found["levers.a.max_spend"].dual)


EDGE = """\
    name: edge
    target: {exports: 150}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units: 100}
      b: {unit_cost: 3, yield_per_unit: 1, max_units: 52}
    """


def test_tightening_past_what_can_be_reached_says_where_no_plan_is(tmp_path: Path) -> None:
    """At most 152 exports can be had: raising the target 7.5 (5%) leaves no plan, so
    the step stops at the search's bound, within 7.5/256 of 152, and the bound past
    which there is none is reported (raising it by 2 costs 3 a unit of b)."""
    loadout = write(tmp_path, EDGE)
    target = worth(loadout)["target.exports"]
    assert target.tighten_edge == "no plan"
    assert target.no_plan_past is not None
    assert target.tightened <= 152.0 < target.no_plan_past <= 152.0 + 7.5 / 256 + 1e-9
    assert 152.0 - target.tightened <= 7.5 / 256 + 1e-9
    assert target.tighten_cost == pytest.approx(3.0 * target.tighten_step, rel=1e-9)
    assert objective(loadout, "target.exports", target.no_plan_past) is None
    assert target.loosen_edge == "share" and target.loosen_saving == pytest.approx(22.5)


def test_a_target_at_the_most_reachable_cannot_be_tightened_at_all(tmp_path: Path) -> None:
    loadout = write(tmp_path, EDGE.replace("exports: 150", "exports: 152"))
    target = worth(loadout)["target.exports"]
    assert target.tighten_cost is None and target.tighten_step == 0.0
    assert target.no_plan_past is not None and 152.0 < target.no_plan_past <= 152.0 * 1.0001 + 1e-9
    assert target.loosen_saving == pytest.approx(3.0 * 152.0 * 0.05)


MIP = """\
    name: whole centres
    target: {exports: 95}
    levers:
      a: {unit_cost: 10, yield_per_unit: 10, max_units: 9, integer: true}
      b: {unit_cost: 5, yield_per_unit: 1}
    """


def test_a_whole_unit_cap_moves_by_whole_units(tmp_path: Path) -> None:
    """a is 9 centres (90 exports) and b 5 units: 115. Raising a's cap by a whole
    centre (5% of 9 rounds down to 0, so one) makes 100 exports of a alone: 100,
    saving 15; lowering it by one needs 15 of b: 80 + 75 = 155, 40 more."""
    loadout = write(tmp_path, MIP)
    cap = worth(loadout)["levers.a.max_units"]
    assert (cap.tighten_step, cap.loosen_step) == (1.0, 1.0)
    assert cap.tighten_cost == pytest.approx(40.0, rel=1e-9)
    assert cap.loosen_saving == pytest.approx(15.0, rel=1e-9)
    assert cap.dual_basis == "LP with integers fixed"
    against_reference(loadout, cap)


MOST = """\
    name: most exports
    objective: max_exports
    target: {exports: 0}
    budget: {ceiling: 150}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, max_units: 100}
      b: {unit_cost: 1, yield_per_unit: 1}
    """


def test_max_exports_worth_is_in_exports(tmp_path: Path) -> None:
    """a 100 (200 exports), b 50 (50): 250. The ceiling moved 7.5 either way moves b by
    7.5 (7.5 exports); a's cap moved 5 swaps 5 of b for 5 of a (5 exports)."""
    loadout = write(tmp_path, MOST)
    found = worth(loadout)
    ceiling, cap = found["budget.ceiling"], found["levers.a.max_units"]
    assert ceiling.objective == "max_exports"
    assert ceiling.tighten_cost == pytest.approx(7.5, rel=1e-8)
    assert ceiling.loosen_saving == pytest.approx(7.5, rel=1e-8)
    assert cap.tighten_cost == pytest.approx(5.0, rel=1e-8)
    assert cap.loosen_saving == pytest.approx(5.0, rel=1e-8)
    assert "target.exports" not in found
    for w in found.values():
        against_reference(loadout, w, rel=1e-8)


MILESTONE = """\
    name: milestone
    periods: [2024, 2025]
    discount_rate: 10%
    target: {exports: 100, milestones: {2024: 60}}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units_per_period: 50}
      b: {unit_cost: 2, yield_per_unit: 1}
    """


def test_a_milestone_both_ways(tmp_path: Path) -> None:
    """2024 needs 60: a's 50 and 10 of b (70); 2025 40 more of a, discounted: 40/1.1.
    Raising the milestone 3 (5%) takes 3 more of b in 2024 (6) and 3 fewer of a in
    2025 (3/1.1): 6 - 3/1.1 = 3.2727...; lowering it saves as much."""
    loadout = write(tmp_path, MILESTONE)
    found = worth(loadout)
    m = found["target.milestones.2024"]
    assert (m.tighten_step, m.loosen_step) == (3.0, 3.0)
    assert m.tighten_cost == pytest.approx(6 - 3 / 1.1, rel=1e-9)
    assert m.loosen_saving == pytest.approx(6 - 3 / 1.1, rel=1e-9)
    assert {"levers.a.max_units_per_period", "target.exports"} <= set(found)
    for w in found.values():
        against_reference(loadout, w)


def test_changes_nothing_only_when_both_ways_change_nothing(tmp_path: Path) -> None:
    loadout = write(tmp_path, DEGENERATE)
    w = worth(loadout)["levers.a.max_units"]
    code, out, _ = invoke("explain", "--config", tmp_path / "s.yaml", "--sections", "binding")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("  - levers.a.max_units"))
    assert w.loosen_saving == pytest.approx(0.0, abs=1e-9)
    assert ("levers.a.max_units (now 100): lowering it by 5 to 95 costs 5 USD more (1 USD "
            "per unit); raising it by 5 to 105 changes nothing; dual of the LP: ") in line
    # a limit that neither way moves says so once
    # (the most exports: d's floor costs money, and money is not what is maximised)
    loadout = write(tmp_path, """\
        name: idle floor
        objective: max_exports
        target: {exports: 0}
        budget: {ceiling: 1000}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, max_units: 100}
          d: {unit_cost: 1, yield_per_unit: 0, min_units: 10}
        """)
    found = worth(loadout)
    assert found["levers.d.min_units"].changes_nothing
    assert not found["levers.a.max_units"].changes_nothing
    code, out, _ = invoke("explain", "--config", tmp_path / "s.yaml", "--sections", "binding")
    line = next(x for x in out.splitlines() if x.startswith("  - levers.d.min_units"))
    assert "levers.d.min_units (now 10): changes nothing either way: raising it by 0.5 or " \
        "lowering it by 0.5" in line


# --- the same figures in every output --------------------------------------------------


def test_explain_says_what_lowering_the_training_capacity_costs() -> None:
    found = worth(load_scenario(THREE))[CAP]
    code, out, err = invoke("explain", "--config", THREE, "--sections", "binding")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith(f"  - {CAP}"))
    assert found.tighten_cost is not None and found.loosen_saving is not None
    assert (f"(now 80,000): lowering it by {found.tighten_step:,.0f} to "
            f"{found.tightened:,.0f}, where the plan changes, costs "
            f"{found.tighten_cost:,.0f} USD more") in line
    assert (f"raising it by 4,000 to 84,000 saves {found.loosen_saving:,.0f} USD "
            "(336 USD per worker)") in line
    assert "the LP with integers fixed holds these units fixed and gives it no dual" in line
    code, out, err = invoke("explain", "--config", THREE, "--sections", "binding",
                            "--format", "json")
    assert code == 0, err
    data = {w["limit"]: w for w in json.loads(out)["worth"]}[CAP]
    assert data["tighten_step"] == found.tighten_step
    assert data["tighten_cost"] == pytest.approx(found.tighten_cost, rel=1e-9)
    assert data["loosen_saving"] == pytest.approx(found.loosen_saving, rel=1e-9)
    assert data["dual_basis"] == "LP with integers fixed"
    # the README's figures, each against scipy's milp of the file with the cap moved
    s = load_scenario(THREE).scenario
    costs = {v: reference_solve(with_limit(s, CAP, v)).discounted_cost
             for v in (77_000, 80_000, 84_000)}
    assert all(c is not None for c in costs.values())
    assert (found.tighten_step, found.loosen_step) == (3_000, 4_000)
    assert found.tighten_cost == pytest.approx(costs[77_000] - costs[80_000], rel=1e-6)
    assert found.loosen_saving == pytest.approx(costs[80_000] - costs[84_000], rel=1e-6)
    assert (round(found.tighten_cost), round(found.loosen_saving)) == (1_008_772, 1_345_029)


def test_no_plan_past_the_bound_is_said_in_explain_and_the_report(tmp_path: Path) -> None:
    from optimizer.present.views.build import build_report

    loadout = write(tmp_path, EDGE)
    target = worth(loadout)["target.exports"]
    assert target.no_plan_past is not None
    code, out, err = invoke("explain", "--config", tmp_path / "s.yaml", "--sections",
                            "binding")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("  - target.exports"))
    assert (f"; no plan above {target.tightened:,.2f} USD (none at "
            f"{target.no_plan_past:,.2f} USD)") in line
    assert "lowering it by 7.5000 USD to 142.50 USD saves 22.5000 USD" in line
    report = build_report(loadout, solve_scenario(loadout), worth=[target])
    row = next(r for r in report.binding.rows if r[1] == "target.exports")
    assert "no plan above" in row[7]


def test_the_report_and_the_workbook_carry_the_same_figures() -> None:
    """The binding table (md, html, tex) and the workbook's Sensitivity rows are read
    from one view: the steps, the changes and the objective at each end are the
    analysis's, converted to the report's currency where asked."""
    from optimizer.present.views.build import build_report

    loadout = load_scenario(THREE)
    result = solve_scenario(loadout)
    found = worth_of(loadout, result)
    for code, rate in (("USD", 1.0), ("PKR", 285.0)):
        report = build_report(loadout, result, worth=found, currency=code)
        rows = {r[1]: r for r in report.binding.rows}
        sheet = {r[2]: r for r in report.sensitivity.rows if r[0] == "binding"}
        for w in found:
            row, cells = rows[w.limit], sheet[w.limit]
            assert row[4].value == pytest.approx(w.tighten_cost * rate)
            assert row[6].value == pytest.approx(w.loosen_saving * rate)
            ends = sorted([(w.tightened, w.objective_tightened),
                           (w.loosened, w.objective_loosened)])
            money = w.limit.startswith("target.")
            assert cells[4].value == pytest.approx(ends[0][0] * (rate if money else 1.0))
            assert cells[6].value == pytest.approx(ends[0][1] * rate)
            assert cells[7].value == pytest.approx(ends[1][1] * rate)
            assert cells[9] == row[7]


NEAR = """\
    name: near
    target: {exports: 98}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units: 100}
      b: {unit_cost: 3, yield_per_unit: 1}
    """


def test_a_nearly_binding_cap_is_worth_what_tightening_it_costs(tmp_path: Path) -> None:
    """a 98 of a cap of 100 (2 unused, under 5%): lowering the cap 5 to 95 takes 3 units
    of b for 3 of a, 9 - 3 = 6; raising it changes nothing."""
    loadout = write(tmp_path, NEAR)
    result = solve_scenario(loadout)
    assert "levers.a.max_units" not in result.binding
    cap = {w.limit: w for w in worth_of(loadout, result)}["levers.a.max_units"]
    assert not cap.binding
    assert (cap.tighten_step, cap.loosen_step) == (5.0, 5.0)
    assert cap.tighten_cost == pytest.approx(6.0, rel=1e-9)
    assert cap.loosen_saving == pytest.approx(0.0, abs=1e-9)
    against_reference(loadout, cap)
    code, out, err = invoke("explain", "--config", tmp_path / "s.yaml", "--sections",
                            "binding")
    assert code == 0, err
    assert ("levers.a.max_units (now 100, nearly binding: less than 5% of it unused): "
            "lowering it by 5 to 95 costs 6 USD more") in out


def test_a_cap_at_zero_is_only_loosened(tmp_path: Path) -> None:
    """c (0.5 a unit) is capped at 0: a cap of 0 cannot be lowered; raising it by one
    unit (5% of 0 is no step) swaps a unit of b (3) for one of c: saves 2.5."""
    loadout = write(tmp_path, HAND.replace(
        "      b: {unit_cost: 3, yield_per_unit: 1}",
        "      b: {unit_cost: 3, yield_per_unit: 1}\n"
        "      c: {unit_cost: 0.5, yield_per_unit: 1, max_units: 0}"))
    cap = worth(loadout)["levers.c.max_units"]
    assert cap.tighten_step == 0.0 and cap.tighten_cost is None and cap.no_plan_past is None
    assert cap.loosen_step == 1.0 and cap.loosen_saving == pytest.approx(2.5, rel=1e-9)
    code, out, err = invoke("explain", "--config", tmp_path / "s.yaml", "--sections",
                            "binding")
    assert code == 0, err
    assert ("levers.c.max_units (now 0): it cannot be lowered (it is at 0); raising it by 1 "
            "to 1 saves 2.5000 USD") in out
