"""Section 5, several outcomes: floors and milestones on outcomes besides exports.

Each case is solved by hand (the arithmetic in its comment), by the engine and by
the independent reference (tests/reference.py, scipy.optimize.milp built from the
validated Scenario); the three must agree. Bad files get one message per problem.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from optimizer.plan.check import violations
from tests.clirun import invoke
from tests.reference import evaluate
from tests.test_reference_periods import assert_agree, funded, solve_both
from tests.test_worth import ROOT, against_reference, worth, write

TWO = """
    name: two levers, a jobs floor
    outcomes:
      jobs: {name: Jobs, unit: jobs}
    target:
      exports: 100
      outcomes:
        jobs: {min: 30}
    levers:
      cheap: {unit_cost: 1, yield_per_unit: 10, yields: {jobs: 1}}
      jobby: {unit_cost: 2, yield_per_unit: 5, yields: {jobs: 5}}
"""


MILESTONE = """
        name: a jobs milestone
        periods: [2024, 2025, 2026]
        outcomes:
          jobs: {name: Jobs, unit: jobs}
        target:
          exports: 100
          outcomes:
            jobs: {min: 30, milestones: {2025: 40}}
        levers:
          cheap: {unit_cost: 1, yield_per_unit: 10}
          jobby: {unit_cost: 2, yield_per_unit: 5, yields: {jobs: 5}, lag: 1}
    """
"""jobby makes 5 jobs and 5 exports a unit from the period after it is funded; a
milestone of 40 jobs in 2025 and a floor of 30 in 2026."""


def test_a_jobs_floor_moves_money_to_the_lever_that_makes_jobs(tmp_path: Path) -> None:
    # min x1 + 2 x2 s.t. 10 x1 + 5 x2 >= 100 (exports), x1 + 5 x2 >= 30 (jobs).
    # Both bind: x2 = 40/9, x1 = 70/9, cost 50/3. (x2 = 0: x1 = 30, cost 30;
    # x1 = 0: x2 = 20, cost 40.) Without the floor: x1 = 10, cost 10.
    both = solve_both(tmp_path, TWO)
    assert_agree(both, cost=50 / 3, exports=100)
    plan = funded(both.engine)
    assert plan["cheap"][0] == pytest.approx(70 / 9, rel=1e-9)
    assert plan["jobby"][0] == pytest.approx(40 / 9, rel=1e-9)
    assert "target.outcomes.jobs.min" in both.engine.binding
    assert "target.exports" in both.engine.binding
    # the re-check holds the floor: a plan a job short fails it, by name
    short = {"cheap": [70 / 9 - 1.0], "jobby": [40 / 9]}
    assert any(v.startswith("target.outcomes.jobs.min:")
               for v in violations(both.scenario, short, need_target=False))
    # and the reference's own arithmetic says the same of both plans
    assert evaluate(both.scenario, plan)[2] == []
    assert any(b.startswith("target.outcomes.jobs.min")
               for b in evaluate(both.scenario, short, need_target=False)[2])


def test_whole_units_under_a_jobs_floor(tmp_path: Path) -> None:
    # The same with whole units and a floor of 31 jobs: x1 >= max(ceil((100 - 5 x2)
    # / 10), 31 - 5 x2). x2 = 3: x1 = 16, cost 22; x2 = 4: x1 = 11, cost 19;
    # x2 = 5: x1 = 8, cost 18; x2 = 6: x1 = 7, cost 19. The optimum is (8, 5), 18.
    both = solve_both(tmp_path, TWO.replace("{min: 30}", "{min: 31}")
                      .replace("yields: {jobs: 1}", "yields: {jobs: 1}, integer: true")
                      .replace("yields: {jobs: 5}", "yields: {jobs: 5}, integer: true"))
    assert_agree(both, cost=18, exports=105)
    assert funded(both.engine) == {"cheap": [8.0], "jobby": [5.0]}


def test_a_jobs_milestone_binds_before_the_floor(tmp_path: Path) -> None:
    # jobby (5 jobs and 5 exports a unit) starts a period after funding (lag 1).
    # 2025's milestone of 40 jobs needs 8 jobby units funded in 2024 (active from
    # 2025), which also meet 2026's floor of 30 and bring 40 exports; cheap funds
    # the other 60: 6 units. Cost 6 + 16 = 22. With the milestone at 20 only the
    # floor binds: 6 jobby units, 7 cheap, cost 19.
    text = MILESTONE
    both = solve_both(tmp_path, text)
    assert_agree(both, cost=22, exports=100)
    assert "target.outcomes.jobs.milestones.2025" in both.engine.binding
    assert sum(funded(both.engine)["jobby"]) == pytest.approx(8)
    looser = solve_both(tmp_path, text.replace("2025: 40", "2025: 20"))
    assert_agree(looser, cost=19, exports=100)
    assert "target.outcomes.jobs.min" in looser.engine.binding
    assert "target.outcomes.jobs.milestones.2025" not in looser.engine.binding


SHORT = """
    name: too few jobs
    outcomes:
      jobs: {unit: jobs}
    target:
      exports: 100
      outcomes:
        jobs: {min: 30}
    levers:
      cheap: {unit_cost: 1, yield_per_unit: 10, max_units: 100%s}
"""
"""One lever capped at 100 units and a floor of 30 jobs (its yields of jobs go in %s)."""


def test_a_floor_no_lever_yields_is_infeasible(tmp_path: Path) -> None:
    both = solve_both(tmp_path, SHORT % "")
    assert both.ref.status == "infeasible"
    assert_agree(both)


def test_a_floor_of_zero_is_no_limit(tmp_path: Path) -> None:
    both = solve_both(tmp_path, TWO.replace("{min: 30}", "{min: 0}"))
    assert_agree(both, cost=10, exports=100)
    assert "target.outcomes.jobs.min" not in both.engine.binding


def random_lever(rng: np.random.Generator, outcomes: Sequence[str], *,
                 cost: tuple[float, float] = (1, 20), exports: tuple[float, float] = (1, 30),
                 units: tuple[int, int] = (20, 200), most: float = 4.0, share: float = 0.7
                 ) -> list[str]:
    """A random lever's unit cost, exports yield, cap and (each with chance ``share``)
    yield of each outcome, as YAML fields (for the property tests against the
    reference)."""
    yields = {o: round(float(rng.uniform(0, most)), 2) for o in outcomes
              if rng.random() < share}
    fields = [f"unit_cost: {round(float(rng.uniform(*cost)), 2)}",
              f"yield_per_unit: {round(float(rng.uniform(*exports)), 2)}",
              f"max_units: {int(rng.integers(*units))}"]
    if yields:
        fields.append("yields: {" + ", ".join(f"{o}: {v}" for o, v in yields.items()) + "}")
    return fields


@pytest.mark.parametrize("seed", range(40))
def test_random_floors_agree_with_the_reference(tmp_path: Path, seed: int) -> None:
    """Random one- and two-outcome scenarios (periods, lags, attrition, whole units,
    caps, outcome milestones, constraints on outcomes, a budget ceiling, and files
    with no export target): the engine's optimum equals the reference's, or both
    find none; an engine plan passes the reference's own check."""
    rng = np.random.default_rng(seed)
    periods = int(rng.integers(1, 4))
    labels = [2024 + k for k in range(periods)]
    outcomes = ["jobs", "women"][: int(rng.integers(1, 3))]
    n = int(rng.integers(2, 5))
    levers = []
    for i in range(n):
        fields = random_lever(rng, outcomes)
        if rng.random() < 0.4:
            fields.append("integer: true")
        if periods > 1 and rng.random() < 0.4:
            fields.append(f"lag: {int(rng.integers(0, periods))}")
        if periods > 1 and rng.random() < 0.4:
            fields.append("attrition: 10%")
        levers.append(f"  l{i}: {{{', '.join(fields)}}}")
    goals = []
    for o in outcomes:
        goal = f"{o}: {{min: {int(rng.integers(5, 120))}"
        if periods > 1 and rng.random() < 0.5:
            goal += f", milestones: {{{labels[0]}: {int(rng.integers(1, 40))}}}"
        goals.append(f"    {goal}}}")
    exports = [] if rng.random() < 0.3 else [f"  exports: {int(rng.integers(100, 2000))}"]
    constraints = []
    if rng.random() < 0.5:
        a, b = rng.choice(n, 2, replace=False)
        o = outcomes[int(rng.integers(0, len(outcomes)))]
        constraints = ["constraints:",
                       f'  - expr: "outcome({o}, l{a}) <= {round(float(rng.uniform(0.5, 3)), 2)}'
                       f' * outcome({o}, l{b}) + {int(rng.integers(0, 40))}"']
    if rng.random() < 0.3:
        constraints += [*([] if constraints else ["constraints:"]),
                        f'  - expr: "outcome({outcomes[0]}) >= {int(rng.integers(10, 150))}"']
    ceiling = [f"budget: {{ceiling: {int(rng.integers(200, 3000))}}}"] \
        if rng.random() < 0.3 else []
    text = "\n".join([
        f"name: random outcomes {seed}",
        *([f"periods: {labels}"] if periods > 1 else []),
        "outcomes:", *(f"  {o}: {{unit: people}}" for o in outcomes),
        "target:", *exports, "  outcomes:", *goals, *ceiling,
        "levers:", *levers, *constraints, ""])
    both = solve_both(tmp_path, text)
    assert_agree(both)
    if both.engine.status == "optimal":
        assert evaluate(both.scenario, funded(both.engine))[2] == []
        if not exports:
            assert both.engine.export_target is False
            assert "target.exports" not in both.engine.binding


BAD = """\
name: bad outcomes
outcomes:
  jobs: {name: Jobs, unit: jobs}
target:
  exports: 100
  outcomes:
    jobz: {min: 30}
    exports: {min: 3}
    jobs: {min: -1, milestones: {2024: 3}}
levers:
  cheap: {unit_cost: 1, yield_per_unit: 10, yields: {exports: 3, women: 2}}
"""


def test_bad_outcomes_are_named_all_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    got = invoke("--config", path)
    assert got.code == 2, got.err
    assert "Traceback" not in got.err
    for line in (
        "bad.yaml:7:11: target.outcomes.jobz: not an outcome of the file (got 'jobz'; "
        "outcomes: jobs)",
        "bad.yaml:8:14: target.outcomes.exports: exports is not named here; its figure is "
        "target.exports (got 'exports')",
        "bad.yaml:9:17: target.outcomes.jobs.min: must be >= 0 (got -1)",
        "bad.yaml:9:33: target.outcomes.jobs.milestones: needs `periods:` at the top level "
        "(got keys [2024])",
        "bad.yaml:11:63: levers.cheap.yields.exports: exports is not named here; its figure "
        "is yield_per_unit (got 'exports')",
        "bad.yaml:11:73: levers.cheap.yields.women: not an outcome of the file (got 'women'; "
        "outcomes: jobs)",
    ):
        assert line in got.err, got.err


def test_the_worth_of_a_jobs_floor_both_ways(tmp_path: Path) -> None:
    # From the first case: with a floor of J jobs both rows bind, x1 = (100 - J) / 9,
    # x2 = (10 J - 100) / 45, cost 20/3 + J/3: a job costs a third of a dollar. The
    # floor moves by 5% (1.5 jobs) each way: 0.5 more, 0.5 saved; the dual is 1/3.
    loadout = write(tmp_path, TWO)
    w = worth(loadout)["target.outcomes.jobs.min"]
    assert (w.tightened, w.loosened) == (31.5, 28.5)
    assert w.tighten_cost == pytest.approx(0.5, rel=1e-9)
    assert w.loosen_saving == pytest.approx(0.5, rel=1e-9)
    assert w.dual == pytest.approx(1 / 3, rel=1e-9)
    against_reference(loadout, w)


def test_the_worth_of_a_jobs_milestone_matches_the_reference(tmp_path: Path) -> None:
    # The milestone of 40 jobs in 2025 binds (see above): each job of it is 0.2 jobby
    # units (0.4) less 0.1 cheap unit spared by their exports (0.1): 0.3 a job.
    loadout = write(tmp_path, MILESTONE)
    w = worth(loadout)["target.outcomes.jobs.milestones.2025"]
    assert w.tighten_cost == pytest.approx(0.3 * w.tighten_step, rel=1e-9)
    assert w.loosen_saving is not None
    against_reference(loadout, w)


REQUIREMENTS = """
    name: a requirements problem
    outcomes:
      jobs: {name: Jobs, unit: jobs}
      women: {name: Jobs held by women, unit: jobs}
    target:
      outcomes:
        jobs: {min: 100}
        women: {min: 40}
    levers:
      training: {unit_cost: 3, yield_per_unit: 0, yields: {jobs: 1, women: 0.2}}
      women_desks: {unit_cost: 5, yield_per_unit: 0, yields: {jobs: 1, women: 1}}
"""


def test_a_requirements_problem_names_the_floors_that_bind(tmp_path: Path) -> None:
    # Stigler's diet in small: min 3 t + 5 w s.t. t + w >= 100, 0.2 t + w >= 40.
    # Both bind: t = 75, w = 25, cost 350 (w alone: 100 units, 500; t alone: 200, 600).
    # Cost is 2.5 J + 2.5 W: each floor is worth 2.5 a job both ways.
    both = solve_both(tmp_path, REQUIREMENTS)
    assert_agree(both, cost=350)
    assert funded(both.engine) == {"training": [pytest.approx(75)],
                                   "women_desks": [pytest.approx(25)]}
    assert both.engine.binding == ("target.outcomes.jobs.min", "target.outcomes.women.min")
    assert both.engine.next_step is None and both.engine.marginal_cost_of_target is None
    path = tmp_path / "req.yaml"
    path.write_text(textwrap.dedent(REQUIREMENTS), encoding="utf-8")
    text = invoke("--config", path)
    assert text.code == 0, text.err
    assert "Lever exports 0 USD a year (no export target)." in text.out
    assert "Binding: target.outcomes.jobs.min, target.outcomes.women.min." in text.out
    assert "target.exports" not in text.out and "needed 0" not in text.out
    doc = json.loads(invoke("--config", path, "--format", "json").out)
    assert doc["needed_exports"] is None and doc["target_met"] is None
    assert doc["outcomes"]["jobs"] == {"total": 100.0, "needed": 100.0}
    assert doc["outcomes"]["women"] == {"total": 40.0, "needed": 40.0}
    loadout = write(tmp_path, REQUIREMENTS)
    found = worth(loadout)
    for name in ("target.outcomes.jobs.min", "target.outcomes.women.min"):
        assert found[name].dual == pytest.approx(2.5, rel=1e-9)
        assert found[name].tighten_cost == pytest.approx(2.5 * found[name].tighten_step)
        against_reference(loadout, found[name])


def test_min_cost_with_nothing_to_reach_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nothing.yaml"
    path.write_text("name: nothing to reach\nlevers:\n  a: {unit_cost: 1, yield_per_unit: 1}\n",
                    encoding="utf-8")
    got = invoke("--config", path)
    assert got.code == 2 and "Traceback" not in got.err
    assert ("nothing.yaml:1:1: target: min_cost needs something to reach: target.exports, a "
            "floor under target.outcomes, or a constraint (got none)") in got.err, got.err


def test_every_output_carries_the_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(textwrap.dedent(TWO.replace("{min: 30}", "{min: 30}\n    ").replace(
        "name: two levers, a jobs floor", "name: two levers, a jobs floor\n    periods: [2024]")),
        encoding="utf-8")
    doc = json.loads(invoke("--config", path, "--format", "json").out)
    assert doc["outcomes"]["exports"]["total"] == pytest.approx(100)
    assert doc["outcomes"]["exports"]["needed"] == pytest.approx(100)
    assert doc["outcomes"]["jobs"]["total"] == pytest.approx(30)
    assert doc["outcomes"]["jobs"]["by_period"] == {"2024": pytest.approx(30)}
    by_lever = {a["lever"]: a["outcomes"] for a in doc["allocation"]}
    assert by_lever["cheap"]["jobs"] == pytest.approx(70 / 9)
    assert by_lever["jobby"]["jobs"] == pytest.approx(200 / 9)
    assert by_lever["jobby"]["exports"] == pytest.approx(200 / 9)
    csv = invoke("--config", path, "--format", "csv").out.splitlines()
    assert csv[0].endswith(",outcome.jobs")
    assert float(csv[2].split(",")[-1]) == pytest.approx(200 / 9)
    table = invoke("--config", path).out
    assert "Jobs (jobs, 2024)" in table and "Jobs 30 jobs (needed 30)." in table
    # a file without outcomes writes none of it
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\ntarget: {exports: 10}\nlevers:\n"
                     "  a: {unit_cost: 1, yield_per_unit: 1}\n", encoding="utf-8")
    doc = json.loads(invoke("--config", plain, "--format", "json").out)
    assert "outcomes" not in doc and "outcomes" not in doc["allocation"][0]


def test_outcomes_in_constraint_expressions(tmp_path: Path) -> None:
    # outcome(jobs) >= 30 is the floor of the first case written as a constraint: the
    # same optimum, 50/3. outcome(jobs, jobby) <= 2 outcome(jobs, cheap) + 10 then
    # binds when tightened to + 5: 5 x2 <= 2 x1 + 5 with x1 + 5 x2 = 30 and
    # 10 x1 + 5 x2 = 100 would need 22.2 <= 20.6; the optimum moves to where
    # 5 x2 = 2 x1 + 5 and x1 + 5 x2 = 30: x1 = 25/3, x2 = 13/3, cost 17 (its exports
    # 83.3 + 21.7 = 105 > 100: the exports target is slack).
    base = TWO.replace("""      outcomes:
        jobs: {min: 30}
""", "")
    both = solve_both(tmp_path, base + """    constraints:
      - expr: "outcome(jobs) >= 30"
""")
    assert_agree(both, cost=50 / 3, exports=100)
    assert "constraints[0]" in both.engine.binding
    tighter = solve_both(tmp_path, base + """    constraints:
      - expr: "outcome(jobs) >= 30"
      - expr: "outcome(jobs, jobby) <= 2 * outcome(jobs, cheap) + 5"
""")
    assert_agree(tighter, cost=17)
    assert funded(tighter.engine)["cheap"][0] == pytest.approx(25 / 3, rel=1e-9)
    assert funded(tighter.engine)["jobby"][0] == pytest.approx(13 / 3, rel=1e-9)
    assert "target.exports" not in tighter.engine.binding
    # outcome(exports, ID) is exports(ID)
    same = solve_both(tmp_path, base + """    constraints:
      - expr: "outcome(jobs) >= 30"
      - expr: "outcome(exports, cheap) <= 70"
""")
    assert_agree(same)
    assert sum(funded(same.engine)["cheap"]) == pytest.approx(7, rel=1e-9)


@pytest.mark.parametrize("expr, message", [
    ("outcome(jobz) >= 1", "unknown outcome 'jobz' (outcomes: exports, jobs)"),
    ("outcome(jobs, nobody) >= 1", "unknown lever 'nobody'"),
    ("outcome() >= 1", "outcome() takes an outcome id and at most one lever id"),
    ("outcome(jobs, cheap, jobby) >= 1",
     "outcome() takes an outcome id and at most one lever id"),
    ("outcome(2, cheap) >= 1", "outcome()'s first argument is an outcome id"),
])
def test_bad_outcome_expressions(tmp_path: Path, expr: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(TWO) + f'constraints:\n  - expr: "{expr}"\n',
                    encoding="utf-8")
    got = invoke("--config", path)
    assert got.code == 2 and "Traceback" not in got.err
    assert "constraints[0].expr" in got.err and message in got.err, got.err


def test_a_floor_in_a_conflict_is_checked_by_dropping_it(tmp_path: Path) -> None:
    # 100 units of cheap make 10 jobs at most: a floor of 30 and the cap conflict;
    # without the floor the file solves (10 units), without the cap too (30 units).
    from optimizer.analyses.explain import conflict_set

    loadout = write(tmp_path, SHORT % ", yields: {jobs: 0.1}")
    got = conflict_set(loadout)
    assert set(got.limits) == {"target.outcomes.jobs.min", "levers.cheap.max_units"}
    assert got.unchecked == ()


def test_the_shipped_requirements_example_agrees_with_the_reference() -> None:
    from tests.test_reference_periods import solve_path

    both = solve_path(ROOT / "configs" / "examples" / "jobs_requirements.yaml")
    assert_agree(both, cost=160_000_000)
    assert funded(both.engine) == {"it_workforce": [70_000.0], "erozgar_centers": [3_000.0]}
    assert both.engine.binding == ("target.outcomes.jobs.min",
                                   "target.outcomes.women_jobs.min")


def test_the_example_floors_are_worth_what_the_readme_says() -> None:
    # cost = 200 J + 4,000 W while both floors bind (see the README): whole units
    # move with them, so the figures are exact.
    from optimizer.scenario import load_scenario

    loadout = load_scenario(ROOT / "configs" / "examples" / "jobs_requirements.yaml")
    found = worth(loadout)
    jobs, women = found["target.outcomes.jobs.min"], found["target.outcomes.women_jobs.min"]
    assert (jobs.tighten_step, jobs.tighten_cost, jobs.loosen_saving) == (
        5_000, pytest.approx(1_000_000), pytest.approx(1_000_000))
    assert (women.tighten_step, women.tighten_cost, women.loosen_saving) == (
        1_750, pytest.approx(7_000_000), pytest.approx(7_000_000))
    for w in (jobs, women):
        against_reference(loadout, w)


UNCERTAIN = """
    name: jobs under uncertain attrition
    periods: [2024, 2025]
    outcomes:
      jobs: {name: Jobs, unit: jobs}
    target:
      exports: 100
      outcomes:
        jobs: {min: 30, milestones: {2024: 10}}
    levers:
      cheap: {unit_cost: 1, yield_per_unit: 10, yields: {jobs: 1}}
      jobby: {unit_cost: 2, yield_per_unit: 5, yields: {jobs: 5},
              attrition: {dist: uniform, low: 0, high: 0.2}}
    uncertainty: {samples: 2000, seed: 3}
"""


def test_simulate_gives_each_outcome_floor_its_probability(tmp_path: Path) -> None:
    """A fixed plan of 8 cheap and 5 jobby units, all funded in 2024: jobs in 2025 are
    8 + 25 (1 - a) with a the sampled attrition, so the floor of 30 holds where a <=
    0.12, about 60% of uniform(0, 0.2); 2024's milestone (8 + 25 = 33 >= 10) always.
    Counted here from the draws with this test's own arithmetic."""
    from optimizer.analyses.simulate import simulate
    from optimizer.scenario.uncertain_fields import scenario_draws

    loadout = write(tmp_path, UNCERTAIN)
    plan = {"cheap": [8.0, 0.0], "jobby": [5.0, 0.0]}
    sim = simulate(loadout, plan)
    floors = {f.name: f for f in sim.outcome_floors}
    assert list(floors) == ["target.outcomes.jobs.milestones.2024", "target.outcomes.jobs.min"]
    a = scenario_draws(loadout.scenario, 2000, 3)["levers.jobby.attrition"]
    jobs = 8 + 25 * (1 - a)
    expected = float(np.mean(jobs >= 30 * (1 - 1e-9)))
    assert floors["target.outcomes.jobs.min"].probability == pytest.approx(expected, abs=1e-12)
    assert 0.5 < expected < 0.7
    assert floors["target.outcomes.jobs.min"].exports.mean == pytest.approx(jobs.mean())
    assert floors["target.outcomes.jobs.min"].point_exports == pytest.approx(
        8 + 25 * (1 - 0.1))
    assert floors["target.outcomes.jobs.milestones.2024"].probability == 1.0
    path = tmp_path / "unc.yaml"
    path.write_text(textwrap.dedent(UNCERTAIN), encoding="utf-8")
    got = invoke("simulate", "--config", path)
    assert got.code == 0, got.err
    assert "Probability of the floor on jobs (30 in 2025): " in got.out
    assert "Probability of jobs milestone 2024 (10): " in got.out
    doc = json.loads(invoke("simulate", "--config", path, "--format", "json").out)
    assert [f["name"] for f in doc["outcome_floors"]] == list(floors)


def test_compare_lines_up_the_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(textwrap.dedent(TWO), encoding="utf-8")
    for key, sets in (("a", []), ("b", ["--set", "target.outcomes.jobs.min=40"])):
        got = invoke("--config", path, *sets, "--output", tmp_path / key)
        assert got.code == 0, got.err
    got = invoke("compare", tmp_path / "a" / "result.json", tmp_path / "b" / "result.json",
                 "--format", "json")
    rows = {r["key"]: r for r in json.loads(got.out)["rows"]}
    # the floor binds in both: 30 and 40 jobs; cost 20/3 + J/3 (see the first case)
    assert rows["outcomes.jobs"]["values"] == [pytest.approx(30), pytest.approx(40)]
    assert rows["outcomes.jobs"]["differences"] == [pytest.approx(10)]
    assert rows["total_cost"]["differences"] == [pytest.approx(10 / 3)]


def test_a_requirements_problem_has_no_chance_of_an_export_target(tmp_path: Path) -> None:
    """Under uncertainty, a file without target.exports has no target to reach: the
    chance constraint is refused, the report leaves the cost of certainty out and
    says why, and simulate shows the floors alone."""
    text = textwrap.dedent(UNCERTAIN).replace("  exports: 100\n", "").replace(
        ", milestones: {2024: 10}", "")
    path = tmp_path / "req.yaml"
    path.write_text(text, encoding="utf-8")
    got = invoke("--config", path, "--confidence", "0.9")
    assert got.code == 2 and "has none (target.exports)" in got.err, got.err
    got = invoke("report", "--config", path, "--confidences", "0.9", "--output",
                 tmp_path / "no")
    assert got.code == 2 and "--confidences: the cost of certainty" in got.err
    assert not (tmp_path / "no").exists()
    sim = invoke("simulate", "--config", path)
    assert sim.code == 0, sim.err
    assert "Target: no export target (a requirements problem)" in sim.out
    assert "Probability of reaching the target" not in sim.out
    assert "Probability of the floor on jobs (30 in 2025): " in sim.out
    doc = json.loads(invoke("simulate", "--config", path, "--format", "json").out)
    assert doc["probability"] is None and doc["target"] is None
    got = invoke("report", "--config", path, "--output", tmp_path / "memo")
    assert got.code == 0, got.err
    memo = (tmp_path / "memo" / "report.md").read_text(encoding="utf-8")
    assert "the plan has no export target to reach (a requirements problem)" in memo
    assert "The cost of certainty was left out: it is the chance of reaching" in memo
    assert "It meets the floor on jobs (30) in " in memo


def test_the_mix_is_stable_in_each_outcome_yield_as_worked_by_hand(tmp_path: Path) -> None:
    """The requirements case: both levers stay in and both floors bind while the cost
    (3, 5) lies between the floors' normals and both levers stay at or above 0. With
    training's jobs yield y: 3/5 >= 0.2/1 and 3/5 <= y, so y >= 0.6; its women's yield
    z: w = 40 - 60 z / (1 - z) >= 0 gives z <= 0.4; the desks' jobs yield v: 0.6 <=
    1 / v, v <= 5/3; their women's yield u: t = (100 u - 40) / (u - 0.2) >= 0 gives
    u >= 0.4. (The ends are a bisection's, to about 1/1,600 of the span.)"""
    from optimizer.analyses.explain import stability

    ranges = {r.parameter: r for r in stability(write(tmp_path, REQUIREMENTS), workers=1)}
    training_jobs = ranges["levers.training.yields.jobs"]
    assert training_jobs.low == pytest.approx(0.6, rel=2e-3) and training_jobs.high is None
    training_women = ranges["levers.training.yields.women"]
    assert training_women.low is None and training_women.high == pytest.approx(0.4, rel=2e-3)
    desks_jobs = ranges["levers.women_desks.yields.jobs"]
    assert desks_jobs.low is None and desks_jobs.high == pytest.approx(5 / 3, rel=2e-3)
    desks_women = ranges["levers.women_desks.yields.women"]
    assert desks_women.low == pytest.approx(0.4, rel=2e-3) and desks_women.high is None


@pytest.mark.parametrize("expr, status", [
    ("outcome(jobs, dry) <= 5", "optimal"),       # 0 <= 5: holds
    ("outcome(jobs, dry) >= 5", "infeasible"),    # 0 >= 5: cannot hold
])
def test_an_outcome_term_of_a_lever_without_that_yield(tmp_path: Path, expr: str,
                                                       status: str) -> None:
    # (the model's row has every coefficient 0: it was a division by zero)
    both = solve_both(tmp_path, TWO.replace(
        "    levers:\n", "    levers:\n      dry: {unit_cost: 1, yield_per_unit: 1}\n")
        + f'    constraints:\n      - expr: "{expr}"\n')
    assert both.ref.status == status
    assert_agree(both, cost=50 / 3 if status == "optimal" else None)


@pytest.mark.parametrize("floor, cost, per_unit, units, cheap", [
    ("500M", "2000", "1", 499_999_995, 10),     # 1e12 USD: the spend scale follows the floor
    ("3", "0.01", "1", 3, 0),                   # cents
    ("7", "5000000", "0.001", 2_000, 10),       # 5e9 USD a job
    ("100k", "1000", "1", 99_995, 10),
])
def test_a_requirements_problem_on_any_scale(tmp_path: Path, floor: str, cost: str,
                                             per_unit: str, units: float, cheap: float
                                             ) -> None:
    # a's jobs cost cost / per_unit each; b's 6 each (3 a unit, half a job), 10 units at
    # most: b is used to its cap where it is the cheaper, a makes the rest
    both = solve_both(tmp_path, f"""
        name: scale
        outcomes:
          jobs: {{unit: jobs}}
        target:
          outcomes:
            jobs: {{min: {floor}}}
        levers:
          a: {{unit_cost: {cost}, yield_per_unit: 0, yields: {{jobs: {per_unit}}}}}
          b: {{unit_cost: 3, yield_per_unit: 0, yields: {{jobs: 0.5}}, max_units: 10}}
    """)
    assert_agree(both)
    assert funded(both.engine)["a"][0] == pytest.approx(units, rel=1e-9)
    assert funded(both.engine)["b"][0] == pytest.approx(cheap, abs=1e-9)
    assert both.engine.solver.certificate is not None
    assert both.engine.solver.certificate.proven


def test_a_negligible_yield_of_an_outcome_is_left_out_not_refused(tmp_path: Path) -> None:
    # b's ten units make 1e-5 jobs beside a floor of 1B: too small for the row, and
    # too small to matter; a (1,000 jobs a unit at 1) makes them all: 1M units, 1M
    both = solve_both(tmp_path, """
        name: dust
        outcomes:
          jobs: {unit: jobs}
        target:
          outcomes:
            jobs: {min: 1B}
        levers:
          a: {unit_cost: 1, yield_per_unit: 0, yields: {jobs: 1000}}
          b: {unit_cost: 3, yield_per_unit: 0, yields: {jobs: 0.000001}, max_units: 10}
    """)
    assert_agree(both, cost=1_000_000)
    assert both.engine.solver.certificate is not None
    assert both.engine.solver.certificate.proven



WIDE_OUTCOMES = [
    # found by random files on wide scales, refused before the spend scale followed the
    # floors and a lever's model unit was made fine enough for the units that meet a
    # floor alone ("coefficient 5.15e+11 of the outcome's floor row")
    """
    name: wide 86
    periods: [2024, 2025, 2026]
    outcomes:
      jobs: {unit: people}
      women: {unit: people}
    target:
      exports: 7.04e+09
      outcomes:
        jobs: {min: 19.9}
        women: {min: 1.18e+09}
    levers:
      l0:
        unit_cost: 4.32e+05
        yield_per_unit: 0.0834
        max_units: 1.2e+03
        yields: {jobs: 0.0405, women: 35.9}
        integer: true
        lag: 0
      l1: {unit_cost: 5.86e+03, yield_per_unit: 0.282, yields: {jobs: 515.0, women: 118.0}}
""",
    """
    name: wide 134
    periods: [2024, 2025, 2026]
    outcomes:
      jobs: {unit: people}
      women: {unit: people}
    target:
      exports: 2.38e+10
      outcomes:
        jobs: {min: 80.5}
        women: {min: 7e+04}
    levers:
      l0:
        unit_cost: 5.71e+03
        yield_per_unit: 414
        max_units: 1.25e+03
        yields: {jobs: 28.9, women: 37.8}
        attrition: 10%
      l1:
        unit_cost: 6.62
        yield_per_unit: 0.0395
        yields: {jobs: 22.1, women: 0.00849}
        integer: true
        lag: 1
      l2:
        unit_cost: 122
        yield_per_unit: 114
        max_units: 2.5e+07
        yields: {jobs: 0.0197, women: 328.0}
        integer: true
        lag: 1
""",
]


@pytest.mark.parametrize("text", WIDE_OUTCOMES)
def test_outcome_floors_on_wide_scales_agree_with_the_reference(tmp_path: Path,
                                                                text: str) -> None:
    both = solve_both(tmp_path, text)
    assert both.ref.status == "optimal"
    assert_agree(both)
    assert both.engine.solver.certificate is not None
    assert both.engine.solver.certificate.proven


def test_outcomes_by_period_in_every_output(tmp_path: Path) -> None:
    # the milestone case with the milestone at 20: jobby's 6 units, funded in 2024,
    # make 30 jobs from 2025 (lag 1); cheap makes none
    path = tmp_path / "per.yaml"
    path.write_text(textwrap.dedent(MILESTONE.replace("2025: 40", "2025: 20")),
                    encoding="utf-8")
    doc = json.loads(invoke("--config", path, "--format", "json").out)
    jobby = next(a for a in doc["allocation"] if a["lever"] == "jobby")
    assert {p: q["outcomes"]["jobs"] for p, q in jobby["by_period"].items()} == {
        "2024": 0.0, "2025": pytest.approx(30), "2026": pytest.approx(30)}
    assert doc["outcomes"]["jobs"]["by_period"] == {
        "2024": 0.0, "2025": pytest.approx(30), "2026": pytest.approx(30)}
    got = invoke("--config", path, "--output", tmp_path / "out")
    assert got.code == 0, got.err
    periods = (tmp_path / "out" / "periods.csv").read_text(encoding="utf-8").splitlines()
    assert periods[0].endswith(",outcome.jobs")
    assert [line.split(",")[-1] for line in periods[1:] if line.startswith("jobby,")] == [
        "0.0", "30.0", "30.0"]
    table = invoke("--config", path).out
    assert "By period (units funded, active units, spend, exports, Jobs; USD):" in table


def test_a_sweep_shows_each_outcome_at_each_point(tmp_path: Path) -> None:
    # the requirements example: at its optimum's cost (160M) the floors are met
    # exactly; a ceiling below it (150M) has no plan, so no outcome is shown there
    example = ROOT / "configs" / "examples" / "jobs_requirements.yaml"
    got = invoke("sweep", "--config", example, "--ceilings", "150M:160M:10M", "--format", "json")
    assert got.code == 0, got.err
    points = json.loads(got.out)["points"]
    assert (points[0]["outcome.jobs"], points[0]["outcome.women_jobs"]) == (None, None)
    assert points[1]["outcome.jobs"] == pytest.approx(100_000)
    assert points[1]["outcome.women_jobs"] == pytest.approx(35_000)
    table = invoke("sweep", "--config", example, "--ceilings", "150M:160M:10M").out
    assert "  jobs  women_jobs  " in table
    plain = invoke("sweep", "--config", ROOT / "configs" / "pakistan_it_exports.yaml",
                   "--ceilings", "100M:200M:100M", "--format", "json")
    assert not any(k.startswith("outcome.") for k in json.loads(plain.out)["points"][0])


def test_repairs_of_an_outcome_floor_out_of_reach(tmp_path: Path) -> None:
    """From an infeasible start: cheap (1 job a unit, 20 at most) and jobby (5 jobs a
    unit, 4 at most) make 40 jobs at most, below a floor of 50. Each one-limit repair
    is worked by hand (the floor to 40; cheap's cap to 30; jobby's to 6) and checked
    by the reference both ways: feasible at the repair, infeasible just short of it."""
    from optimizer.analyses.explain import repair
    from optimizer.analyses.limits import with_limit
    from tests.reference import reference_solve

    loadout = write(tmp_path, """
        name: jobs floor out of reach
        outcomes:
          jobs: {unit: jobs}
        target:
          exports: 100
          outcomes:
            jobs: {min: 50}
        levers:
          cheap: {unit_cost: 1, yield_per_unit: 10, yields: {jobs: 1}, max_units: 20}
          jobby: {unit_cost: 2, yield_per_unit: 5, yields: {jobs: 5}, max_units: 4}
    """)
    s = loadout.scenario
    assert reference_solve(s).status == "infeasible"
    for name, hand, short in (("target.outcomes.jobs.min", 40, 40.01),
                              ("levers.cheap.max_units", 30, 29.99),
                              ("levers.jobby.max_units", 6, 5.99)):
        got = repair(loadout, name)
        assert got.needed == pytest.approx(hand, rel=1e-6), name
        assert reference_solve(with_limit(s, name, got.needed)).status == "optimal"
        assert reference_solve(with_limit(s, name, short)).status == "infeasible"


def test_bad_outcomes_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    got = invoke("--config", path, "--output", tmp_path / "out")
    assert got.code == 2 and "target.outcomes.jobz" in got.err
    assert not (tmp_path / "out").exists()
