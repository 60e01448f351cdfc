"""Section 5's ``yield_curves``: an outcome besides exports as a piecewise-linear
function of a lever's active units. A concave curve is modelled by its hypograph
wherever more of the outcome only helps (floors, a max objective, constraints that
ask for more); any other exactly with binaries, as the exports curve is. Each case
is solved by hand, by the engine and by the independent reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.clirun import invoke
from tests.reference import evaluate
from tests.test_reference_periods import assert_agree, funded, solve_both

CURVE = """
    name: a jobs curve
    outcomes: {jobs: {name: Jobs, unit: jobs}}
    target: {exports: 10, outcomes: {jobs: {min: 150}}}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1,
          yield_curves: {jobs: [[0, 0], [100, 100], [200, 150]]}}
      b: {unit_cost: 3, yield_per_unit: 1, yields: {jobs: 1}}
"""
"""a makes a job a unit for its first 100 units, half a job a unit for the next 100
(2 a job), and no more past 200; b makes a job for 3."""


def test_a_floor_climbs_the_curve_by_hand(tmp_path: Path) -> None:
    # 150 jobs: a's first 100 units (100 jobs, 100), then 50 more jobs at 2 a job
    # from a (100 units, 100) rather than 3 from b: a = 200, cost 200
    both = solve_both(tmp_path, CURVE)
    assert_agree(both, cost=200)
    assert funded(both.engine)["a"][0] == pytest.approx(200, rel=1e-8)
    jobs = next(o for o in both.engine.outcomes if o.outcome == "jobs")
    assert jobs.total == pytest.approx(150, rel=1e-8)
    # the curve's top binds too: its cap is a's active units at 200
    assert "levers.a.yield_curves.jobs" in both.engine.binding
    assert "target.outcomes.jobs.min" in both.engine.binding


def test_past_the_top_of_the_curve_another_lever_pays(tmp_path: Path) -> None:
    # 180 jobs: a gives at most 150 (200 units, 200); 30 more from b at 3: 290
    both = solve_both(tmp_path, CURVE.replace("{min: 150}", "{min: 180}"))
    assert_agree(both, cost=290)
    plan = funded(both.engine)
    assert plan["a"][0] == pytest.approx(200, rel=1e-8)
    assert plan["b"][0] == pytest.approx(30, rel=1e-8)


def test_the_most_jobs_on_a_curve(tmp_path: Path) -> None:
    # {max: jobs} within 200: a's first 100 units make a job each, then b (0.6 a
    # unit, cap 100) beats a's 0.5: a 100, b 100, 160 jobs
    text = """
        name: most jobs on a curve
        objective: {max: jobs}
        budget: {ceiling: 200}
        outcomes: {jobs: {unit: jobs}}
        levers:
          a: {unit_cost: 1, yield_per_unit: 0,
              yield_curves: {jobs: [[0, 0], [100, 100], [200, 150]]}}
          b: {unit_cost: 1, yield_per_unit: 0, max_units: 100, yields: {jobs: 0.6}}
    """
    both = solve_both(tmp_path, text)
    assert_agree(both, cost=200)
    assert both.engine.goal_value == pytest.approx(160, rel=1e-8)
    assert [funded(both.engine)[k][0] for k in "ab"] == pytest.approx([100, 100], rel=1e-8)


def test_a_constraint_asking_for_more_of_the_curve(tmp_path: Path) -> None:
    # outcome(jobs, a) >= 120: a at 140 units (100 + 20 / 0.5); the floor of 150
    # then needs 30 more: a to 200 (60 units for 30 jobs, 60) beats b (90): 200
    both = solve_both(tmp_path, CURVE + """
    constraints:
      - expr: "outcome(jobs, a) >= 120"
    """)
    assert_agree(both, cost=200)


def test_a_constraint_capping_the_curve_is_exact_with_binaries(tmp_path: Path) -> None:
    # outcome(jobs, a) <= 50 holds a's active units to 50 (the curve's first
    # segment): 50 jobs for 50, the other 100 from b at 3: 350. (The hypograph would
    # have let a run to 200 units while claiming only 50 jobs of them.)
    both = solve_both(tmp_path, CURVE + """
    constraints:
      - expr: "outcome(jobs, a) <= 50"
    """)
    assert_agree(both, cost=350)
    assert funded(both.engine)["a"][0] == pytest.approx(50, rel=1e-8)


def test_a_curve_that_rises_is_exact_with_binaries(tmp_path: Path) -> None:
    # a makes half a job a unit for its first 100 units, then a job a unit: 60 jobs
    # cost 110 through a (50 + 10 jobs), against 130 for a's 100 units and 10 jobs
    # from b, or 180 from b alone
    text = CURVE.replace("[[0, 0], [100, 100], [200, 150]]", "[[0, 0], [100, 50], [200, 150]]")
    both = solve_both(tmp_path, text.replace("{min: 150}", "{min: 60}"))
    assert_agree(both, cost=110)
    assert funded(both.engine)["a"][0] == pytest.approx(110, rel=1e-8)
    # 150 jobs: a to the top (200 units, 150 jobs) for 200
    top = solve_both(tmp_path, text)
    assert_agree(top, cost=200)


BAD = """\
name: bad curves
outcomes: {jobs: {unit: jobs}}
target: {outcomes: {jobs: {min: 5}}}
levers:
  a: {unit_cost: 1, yield_per_unit: 1, yields: {jobs: 1},
      yield_curves: {jobs: [[0, 0], [10, 5]], exports: [[0, 0], [1, 1]],
                     women: [[0, 0], [1, 1]]}}
  b: {unit_cost: 1, yield_per_unit: 1, yield_curves: {jobs: [[1, 0], [10, 5]]}}
"""


def test_bad_curves_are_named_all_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    got = invoke("--config", path)
    assert got.code == 2, got.err
    for line in (
        "levers.a.yields.jobs: jobs has a curve in yield_curves; give one of the two "
        "(got both)",
        "levers.a.yield_curves.exports: exports is not named here; its figure is "
        "yield_curve (got 'exports')",
        "levers.a.yield_curves.women: not an outcome of the file (got 'women'; outcomes: "
        "jobs)",
        "levers.b.yield_curves.jobs[0]: must start at [0, 0] (got [1.0, 0.0])",
    ):
        assert line in got.err, got.err


@pytest.mark.parametrize("seed", range(20))
def test_random_concave_curves_agree_with_the_reference(tmp_path: Path, seed: int) -> None:
    """Random curves (concave, or rising somewhere: binaries) beside linear yields,
    under floors, milestones, lags, whole units, constraints capping a lever's
    outcome (binaries again) and min_cost or a weighted max objective: the engine's
    optimum equals the reference's, and its plan passes the reference's own check."""
    rng = np.random.default_rng(7000 + seed)
    periods = int(rng.integers(1, 3))
    labels = [2024 + k for k in range(periods)]
    levers = []
    for i in range(int(rng.integers(2, 5))):
        fields = [f"unit_cost: {round(float(rng.uniform(1, 10)), 2)}",
                  f"yield_per_unit: {round(float(rng.uniform(0, 20)), 2)}",
                  f"max_units: {int(rng.integers(30, 200))}"]
        if rng.random() < 0.6:
            # concave (slopes falling) or, one time in three, in any order
            slopes = sorted((round(float(rng.uniform(0.1, 3)), 2) for _ in range(3)),
                            reverse=True)
            if rng.random() < 0.35:
                rng.shuffle(slopes)
            widths = [int(rng.integers(10, 60)) for _ in range(3)]
            pts, u, v = ["[0, 0]"], 0, 0.0
            for w, g in zip(widths, slopes, strict=True):
                u, v = u + w, round(v + w * g, 4)
                pts.append(f"[{u}, {v}]")
            fields.append(f"yield_curves: {{jobs: [{', '.join(pts)}]}}")
        else:
            fields.append(f"yields: {{jobs: {round(float(rng.uniform(0.1, 2)), 2)}}}")
        if rng.random() < 0.3:
            fields.append("integer: true")
        if periods > 1 and rng.random() < 0.4:
            fields.append("lag: 1")
        levers.append(f"  l{i}: {{{', '.join(fields)}}}")
    maximise = rng.random() < 0.4
    goal = f"    jobs: {{min: {int(rng.integers(10, 150))}"
    if periods > 1 and rng.random() < 0.5:
        goal += f", milestones: {{{labels[0]}: {int(rng.integers(1, 30))}}}"
    cap = []
    if rng.random() < 0.3:
        cap = ["constraints:", f'  - expr: "outcome(jobs, l0) <= {int(rng.integers(5, 60))}"']
    text = "\n".join([
        f"name: random curves {seed}",
        *([f"periods: {labels}"] if periods > 1 else []),
        *(["objective: {max: {jobs: 1, exports: 0.01}}",
           f"budget: {{ceiling: {int(rng.integers(100, 800))}}}"] if maximise else []),
        "outcomes: {jobs: {unit: jobs}}",
        "target:", f"  exports: {int(rng.integers(10, 200))}", "  outcomes:", goal + "}",
        "levers:", *levers, *cap, ""])
    both = solve_both(tmp_path, text)
    assert_agree(both)
    if both.engine.status == "optimal":
        assert evaluate(both.scenario, funded(both.engine))[2] == []
