"""Section 5's max objectives besides max_exports: ``{max: OUTCOME}`` and the
weighted ``{max: {OUTCOME: WEIGHT}}``.

Each is lexicographic (the most of the goal within the ceiling, then the cheapest
plan within 1e-9 of it); the maximised outcomes' own floors are ignored and every
other target, floor and milestone holds. Each case is solved by hand, by the engine
and by the independent reference (tests/reference.py, scipy milp); all agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.clirun import invoke
from tests.reference import evaluate, reference_solve
from tests.test_outcomes import random_lever
from tests.test_reference_periods import assert_agree, funded, solve_both
from tests.test_worth import ROOT, against_reference, worth, write

JOBS = """
    name: the most jobs
    objective: {max: jobs}
    budget: {ceiling: 100}
    outcomes:
      jobs: {name: Jobs, unit: jobs}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, max_units: 30, yields: {jobs: 1}}
      b: {unit_cost: 2, yield_per_unit: 1, max_units: 40, yields: {jobs: 3}}
"""

WEIGHTED = """
    name: weighted jobs
    objective: {max: {jobs: 1, women: 4}}
    budget: {ceiling: 100}
    outcomes:
      jobs: {name: Jobs, unit: jobs}
      women: {name: Women's jobs, unit: jobs}
    target:
      exports: 70
      outcomes:
        jobs: {min: 1000}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, max_units: 30, yields: {jobs: 1, women: 0.5}}
      b: {unit_cost: 2, yield_per_unit: 1, max_units: 40, yields: {jobs: 3}}
      c: {unit_cost: 1, yield_per_unit: 0, max_units: 50, yields: {women: 0.6}}
"""
"""Per unit of the goal (jobs + 4 women's jobs): a 3, b 3, c 2.4; per USD: a 3, c
2.4, b 1.5. The floor of 1,000 jobs is ignored (jobs are maximised); the export
target of 70 holds."""


def test_the_most_jobs_a_ceiling_buys(tmp_path: Path) -> None:
    # per USD: b makes 1.5 jobs, a 1. b to its cap (40 units, 80 USD, 120 jobs),
    # then a with the 20 USD left (20 jobs): 140 jobs for 100 USD.
    both = solve_both(tmp_path, JOBS)
    assert_agree(both, cost=100)
    eng = both.engine
    assert eng.status == "optimal" and eng.objective == "max_outcomes"
    assert eng.goal == (("jobs", 1.0),)
    assert eng.goal_value == pytest.approx(140, rel=1e-8)
    assert both.ref.goal_value == pytest.approx(140, rel=1e-8)
    plan = funded(eng)
    assert plan["a"][0] == pytest.approx(20, rel=1e-8)
    assert plan["b"][0] == pytest.approx(40, rel=1e-8)
    c = eng.solver.certificate
    assert c is not None and c.proven and c.quantity == "goal"
    assert c.bound == pytest.approx(140, rel=1e-8)


def test_a_weighted_objective_keeps_the_export_target(tmp_path: Path) -> None:
    # a to its cap (30 units: value 90, 60 exports); exports need 10 more, from b
    # (10 units, 20 USD, value 30); c with the 50 USD left (value 120): 240. Trading
    # a unit of b for two of c loses 3 - 4.8 ... but breaks the export target: the
    # target binds. value = 90 + 3 b + 2.4 (70 - 2 b) = 258 - 1.8 b, b >= 10.
    both = solve_both(tmp_path, WEIGHTED)
    assert_agree(both, cost=100, exports=None)
    eng = both.engine
    assert eng.goal_value == pytest.approx(240, rel=1e-8)
    plan = funded(eng)
    assert [plan[k][0] for k in "abc"] == pytest.approx([30, 10, 50], rel=1e-8)
    assert "target.exports" in eng.binding
    # the jobs floor (1,000) is ignored, not broken: no binding line, no need shown
    assert not any(b.startswith("target.outcomes.jobs") for b in eng.binding)
    jobs = next(o for o in eng.outcomes if o.outcome == "jobs")
    assert jobs.total == pytest.approx(60, rel=1e-8) and jobs.needed is None
    assert evaluate(both.scenario, plan)[2] == []


def test_the_second_stage_takes_the_cheapest_plan_keeping_the_most(tmp_path: Path) -> None:
    # a and b make a job a unit each, a for 1, b for 2; at most 15 jobs in all. The
    # most is 15, any split; the cheapest keeps a at its cap of 10 and b at 5: 20 USD.
    text = """
        name: cheapest of the most
        objective: {max: jobs}
        budget: {ceiling: 100}
        outcomes: {jobs: {unit: jobs}}
        levers:
          a: {unit_cost: 1, yield_per_unit: 0, max_units: 10, yields: {jobs: 1}}
          b: {unit_cost: 2, yield_per_unit: 0, max_units: 10, yields: {jobs: 1}}
        constraints:
          - expr: "outcome(jobs) <= 15"
    """
    both = solve_both(tmp_path, text)
    assert_agree(both, cost=20)
    assert both.engine.goal_value == pytest.approx(15, rel=1e-8)
    assert funded(both.engine)["b"][0] == pytest.approx(5, rel=1e-8)
    c = both.engine.solver.certificate
    assert c is not None and c.proven and c.cost_value == pytest.approx(20, rel=1e-8)


def test_whole_units_under_a_weighted_objective(tmp_path: Path) -> None:
    # whole units of a (3 USD: 4 jobs, 1 woman's job) and b (5 USD: 2 jobs, 3 women's
    # jobs), ceiling 17, goal jobs + 2 women: a is worth 6 (2 a USD), b 8 (1.6). Plans
    # within 17 USD: (4, 1) 15 USD worth 32; (2, 2) 16 USD worth 28; (0, 3) 15 USD
    # worth 24; (5, 0) 15 worth 30; (4, 1) is the most. Its cost 17 is not the
    # least? 4 x 3 + 5 = 17: the only plan worth 32.
    text = """
        name: whole weighted
        objective: {max: {jobs: 1, women: 2}}
        budget: {ceiling: 17}
        outcomes: {jobs: {unit: jobs}, women: {unit: jobs}}
        levers:
          a: {unit_cost: 3, yield_per_unit: 0, integer: true, yields: {jobs: 4, women: 1}}
          b: {unit_cost: 5, yield_per_unit: 0, integer: true, yields: {jobs: 2, women: 3}}
    """
    both = solve_both(tmp_path, text)
    assert_agree(both, cost=17)
    assert both.engine.goal_value == pytest.approx(32, rel=1e-9)
    assert funded(both.engine) == {"a": [4.0], "b": [1.0]}


def test_a_maximised_outcome_keeps_its_milestones(tmp_path: Path) -> None:
    # jobby makes 2 jobs a unit, a year after funding; quick makes 1 at once. The
    # milestone of 10 jobs in 2025 holds under {max: jobs}: at least 10 units of
    # quick or 5 of jobby funded in 2024. Each unit costs 1; ceiling 30. Most 2026
    # jobs: all 30 in jobby (60 jobs), funded in 2024 or 2025: 2024 meets the
    # milestone too (jobby funded in 2024 is active in 2025: 2 x 30 = 60 >= 10).
    # The floor (min: 1000) is ignored.
    text = """
        name: milestones hold
        periods: [2024, 2025, 2026]
        objective: {max: jobs}
        budget: {ceiling: 30}
        outcomes: {jobs: {unit: jobs}}
        target:
          outcomes:
            jobs: {min: 1000, milestones: {2025: 10}}
        levers:
          quick: {unit_cost: 1, yield_per_unit: 0, yields: {jobs: 1}, max_units: 100}
          jobby: {unit_cost: 1, yield_per_unit: 0, yields: {jobs: 2}, lag: 1,
                  max_units: 100}
    """
    both = solve_both(tmp_path, text)
    assert_agree(both, cost=30)
    assert both.engine.goal_value == pytest.approx(60, rel=1e-8)
    # a milestone of 61 jobs cannot hold beside the most (60 at most in 2025)
    worse = solve_both(tmp_path, text.replace("2025: 10", "2025: 61"))
    assert worse.ref.status == "infeasible"
    assert worse.engine.status == "infeasible"


def test_an_export_target_out_of_reach_under_max_jobs_is_infeasible(tmp_path: Path) -> None:
    # the most exports 100 USD buys: a to its cap (30 units, 60) then b (35, 35): 95.
    both = solve_both(tmp_path, JOBS.replace("budget:", "target: {exports: 96}\n    budget:"))
    assert both.ref.status == "infeasible"
    assert both.engine.status == "infeasible"
    met = solve_both(tmp_path, JOBS.replace("budget:", "target: {exports: 95}\n    budget:"))
    assert_agree(met)
    # the target binds and buys its exports with jobs: b is worth 3 jobs for 1 export
    assert "target.exports" in met.engine.binding


@pytest.mark.parametrize("seed", range(30))
def test_random_max_objectives_agree_with_the_reference(tmp_path: Path, seed: int) -> None:
    """Random {max: O} and weighted objectives (exports weighed in or not), with
    periods, lags, whole units, floors, milestones, an export target and constraints:
    the engine's most and its cost equal the reference's, or both find none."""
    rng = np.random.default_rng(1000 + seed)
    periods = int(rng.integers(1, 4))
    labels = [2024 + k for k in range(periods)]
    outcomes = ["jobs", "women"]
    n = int(rng.integers(2, 5))
    levers = []
    for i in range(n):
        fields = random_lever(rng, outcomes, exports=(0, 30))
        if rng.random() < 0.4:
            fields.append("integer: true")
        if periods > 1 and rng.random() < 0.4:
            fields.append(f"lag: {int(rng.integers(0, periods))}")
        if periods > 1 and rng.random() < 0.3:
            fields.append("attrition: 10%")
        if rng.random() < 0.2:
            fields.append(f"fixed_cost: {int(rng.integers(5, 50))}")
        levers.append(f"  l{i}: {{{', '.join(fields)}}}")
    kind = int(rng.integers(0, 3))
    if kind == 0:
        objective = f"{{max: {outcomes[int(rng.integers(0, 2))]}}}"
    else:
        weights = {"jobs": round(float(rng.uniform(0.1, 3)), 2),
                   "women": round(float(rng.uniform(0.1, 3)), 2)}
        if kind == 2:
            weights["exports"] = round(float(rng.uniform(0.001, 0.1)), 4)
        objective = "{max: {" + ", ".join(f"{o}: {w}" for o, w in weights.items()) + "}}"
    goals = []
    for o in outcomes:
        if rng.random() < 0.5:
            goal = f"{o}: {{min: {int(rng.integers(5, 80))}"
            if periods > 1 and rng.random() < 0.5:
                goal += f", milestones: {{{labels[0]}: {int(rng.integers(1, 20))}}}"
            goals.append(f"    {goal}}}")
    target = ["target:"]
    if rng.random() < 0.5:
        target.append(f"  exports: {int(rng.integers(50, 1500))}")
    if goals:
        target += ["  outcomes:", *goals]
    constraints = []
    if rng.random() < 0.4:
        a, b = rng.choice(n, 2, replace=False)
        constraints = ["constraints:",
                       f'  - expr: "outcome(jobs, l{a}) <= {round(float(rng.uniform(0.5, 3)), 2)}'
                       f' * outcome(jobs, l{b}) + {int(rng.integers(0, 40))}"']
    text = "\n".join([
        f"name: random max objective {seed}",
        *([f"periods: {labels}"] if periods > 1 else []),
        f"objective: {objective}",
        f"budget: {{ceiling: {int(rng.integers(100, 3000))}}}",
        "outcomes:", *(f"  {o}: {{unit: people}}" for o in outcomes),
        *(target if len(target) > 1 else []),
        "levers:", *levers, *constraints, ""])
    both = solve_both(tmp_path, text)
    assert_agree(both)
    if both.engine.status == "optimal":
        assert evaluate(both.scenario, funded(both.engine))[2] == []
        assert both.engine.solver.certificate is not None
        assert both.engine.solver.certificate.proven


def test_the_worth_of_limits_under_a_weighted_objective(tmp_path: Path) -> None:
    # each binding limit re-solved both ways equals the reference's differences in the
    # weighted goal (a's cap, c's cap, the ceiling, the export target)
    loadout = write(tmp_path, WEIGHTED)
    found = worth(loadout)
    for name in ("levers.a.max_units", "levers.c.max_units", "budget.ceiling",
                 "target.exports"):
        assert name in found, sorted(found)
        against_reference(loadout, found[name])
    # by hand: the ceiling 5 USD lower takes 5 units of c (2.4 each): 12 less; 5 higher
    # buys 2.5 more units of b (value 3 each, 2 USD a unit): 7.5 more
    ceiling = found["budget.ceiling"]
    assert ceiling.tighten_cost == pytest.approx(12, rel=1e-7)
    assert ceiling.loosen_saving == pytest.approx(7.5, rel=1e-7)
    # the ignored floor on jobs is not a limit to price
    assert "target.outcomes.jobs.min" not in found


def test_the_json_names_what_is_maximised(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WEIGHTED.replace("\n    ", "\n"), encoding="utf-8")
    run = invoke("--config", path, "--format", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["objective"] == "max_outcomes"
    assert doc["maximised"] == {"jobs": 1.0, "women": 4.0}
    assert doc["goal_value"] == pytest.approx(240, rel=1e-8)
    assert doc["outcomes"]["jobs"]["needed"] is None
    assert doc["solver"]["certificate"]["quantity"] == "goal"
    text = invoke("--config", path)
    assert "Maximised: 240 (1 x Jobs in jobs + 4 x Women's jobs in jobs)." in text.out
    assert "Proven optimal: no plan reaches more than 240 " in text.out


def test_a_max_objective_written_for_exports_is_max_exports(tmp_path: Path) -> None:
    loadout = write(tmp_path, JOBS.replace("{max: jobs}", "{max: exports}"))
    assert loadout.scenario.objective == "max_exports"
    ref = reference_solve(loadout.scenario)
    assert ref.lever_exports == pytest.approx(95, rel=1e-9)


BAD = """\
name: bad objective
objective: {max: {jobs: 1, nope: 2, women: 0}}
outcomes:
  jobs: {unit: jobs}
  women: {unit: jobs}
levers:
  free: {unit_cost: 1, yield_per_unit: 1, yields: {jobs: 1}}
"""


def test_bad_max_objectives_are_named_all_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    run = invoke("--config", path)
    assert run.code == 2, run.err
    err = run.err
    assert "Traceback" not in err
    assert f"{path}:2:" in err
    assert "objective.max.nope: not an outcome of the file (got 'nope'" in err
    assert "bad.yaml:2:44: objective.max.women: must be > 0 (got 0)" in err
    one = tmp_path / "one.yaml"
    one.write_text(BAD.replace("{jobs: 1, nope: 2, women: 0}", "jobs"), encoding="utf-8")
    run = invoke("--config", one)
    assert run.code == 2, run.err
    assert "budget.ceiling: objective {max: ...} needs a budget ceiling (got none)" \
        in run.err
    capped = tmp_path / "capped.yaml"
    capped.write_text(BAD.replace("{jobs: 1, nope: 2, women: 0}", "jobs")
                      .replace("levers:", "budget: {ceiling: 10}\nlevers:")
                      .replace("unit_cost: 1,", "unit_cost: 0,"), encoding="utf-8")
    run = invoke("--config", capped)
    assert run.code == 2, run.err
    assert "levers.free: exports and jobs would be unbounded" not in run.err
    assert "levers.free: jobs would be unbounded: this lever has no cap" in run.err


def test_the_readme_most_womens_jobs_at_the_floors_cost(tmp_path: Path) -> None:
    # README: at the 160M the two floors cost, the most women's jobs while 100,000
    # jobs hold is 35,000 (the requirements optimum spends exactly 160M on them)
    text = (ROOT / "configs" / "examples" / "jobs_requirements.yaml").read_text()
    assert "objective: min_cost" in text
    text = text.replace("objective: min_cost",
                        "objective: {max: women_jobs}\nbudget: {ceiling: 160M}")
    both = solve_both(tmp_path, text)
    assert_agree(both, cost=160e6)
    assert both.engine.goal_value == pytest.approx(35_000, rel=1e-8)
    assert both.engine.binding == ("budget.ceiling", "target.outcomes.jobs.min")
    got = invoke("--config", ROOT / "configs" / "examples" / "jobs_requirements.yaml",
                 "--set", "objective={max: women_jobs}", "--set", "budget.ceiling=160M")
    assert got.code == 0, got.err
    assert "Maximised: 35,000 jobs (Jobs held by women)." in got.out
    assert "Binding: budget.ceiling, target.outcomes.jobs.min." in got.out


def test_the_frontiers_refuse_a_max_outcome_file(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WEIGHTED.replace("\n    ", "\n"), encoding="utf-8")
    for args in (("sweep", "--ceilings", "50:150:50"),
                 ("report", "--ceilings", "50:150:50", "--output", tmp_path / "rep")):
        got = invoke(*args, "--config", path)
        assert got.code == 2, got.err
        assert "objective: " in got.err and "is for min_cost and max_exports" in got.err
        assert "Traceback" not in got.err
    assert not (tmp_path / "rep").exists()


def test_a_report_of_a_weighted_objective_words_the_goal(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WEIGHTED.replace("\n    ", "\n"), encoding="utf-8")
    got = invoke("report", "--config", path, "--explain", "--output", tmp_path / "rep")
    assert got.code == 0, got.err
    md = (tmp_path / "rep" / "report.md").read_text()
    assert ("With a budget ceiling of $100, the most the levers can reach is 240 of 1 x "
            "Jobs + 4 x Women's jobs, at a cost of $100.") in md
    # the worth of the ceiling both ways, as test_the_worth_of_limits_... works it out
    assert ("lowering it by $5 to $95 loses 12 from the goal (2.4 per USD); raising it "
            "by $5 to $105 adds 7.5 to the goal (1.5 per USD)") in md
    assert "goal lost tightening" in md and " -0 " not in md
    # the headline figures quote it too
    assert ("| Maximised | **240 of 1 x Jobs + 4 x Women's jobs** | the objective: the most "
            "within the ceiling |") in md
    assert (tmp_path / "rep" / "charts" / "tornado.png").exists()


def test_explain_words_the_goal_in_its_own_figures(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WEIGHTED.replace("\n    ", "\n"), encoding="utf-8")
    got = invoke("explain", "--config", path)
    assert got.code == 0, got.err
    # the figures of test_the_worth_of_limits_under_a_weighted_objective, as counts
    assert ("budget.ceiling (now 100 USD): lowering it by 5 USD to 95 USD loses 12.00 from "
            "the goal (2.400 per USD); raising it by 5 USD to 105 USD adds 7.500 to the goal "
            "(1.500 per USD)") in got.out
    assert "Tornado: each parameter 20% down and up alone, re-solved (goal;" in got.out
    assert ("Jobs: floor [target.outcomes.jobs.min, now 1,000]: the objective maximises "
            "jobs within the ceiling, whatever its floor") in got.out


def test_simulate_leaves_out_the_floor_of_a_maximised_outcome(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(WEIGHTED.replace("\n    ", "\n").replace(
        "c: {unit_cost: 1,", "c: {unit_cost: {dist: triangular, low: 0.9, mode: 1, high: 1.2},"),
        encoding="utf-8")
    got = invoke("simulate", "--config", path, "--samples", "50")
    assert got.code == 0, got.err
    # the export target holds and is reported; the jobs floor is ignored (maximised)
    assert "Probability of reaching the target: all 50 samples" in got.out
    assert "floor on" not in got.out and "Jobs" not in got.out.split("\n\n")[0]
