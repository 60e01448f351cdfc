"""Chance-constrained plans (--confidence) and the cost of certainty (sweep
--confidences), checked by hand and against an independent scipy.milp build of the
same sample average approximation."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.stats import beta

from optimizer.analyses.chance import chance_sweep, solve_chance
from optimizer.scenario import load_scenario
from optimizer.scenario.uncertain_fields import scenario_draws
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]

ONE_LEVER = """\
    name: one uncertain lever
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: {dist: uniform, low: 1, high: 3}}
    uncertainty: {samples: 1000, seed: 11}
    """

TWO_LEVERS = """\
    name: two levers
    currency: USD
    exchange_rates: {PKR: {dist: uniform, low: 270, high: 300}}
    target: {exports: 100}
    levers:
      a: {unit_cost: 285 PKR, yield_per_unit: {dist: triangular, low: 1, mode: 2, high: 3},
          max_units: 30}
      b: {unit_cost: {dist: normal, mean: 3, sd: 0.3},
          yield_per_unit: {dist: uniform, low: 0.8, high: 1.2}}
    uncertainty:
      samples: 200
      seed: 7
      correlations:
        - {between: [levers.a.yield_per_unit, levers.b.yield_per_unit], rho: 0.5}
    """


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path




def test_one_lever_buys_for_the_required_quantile_of_its_yield(tmp_path: Path) -> None:
    loadout = load_scenario(write(tmp_path, ONE_LEVER))
    r = solve_chance(loadout, 0.9)
    c = r.chance
    assert c is not None and c.certified
    # hand: x units reach 100 in sample j when y_j x >= 100; ``required`` of 1,000
    # samples must hold, so x = 100 / (the (n - required + 1)th smallest y)
    y = np.sort(scenario_draws(loadout.scenario, 1000)["levers.a.yield_per_unit"])
    assert c.required >= 900 and c.level == c.required / 1000
    assert r.rows[0].units == pytest.approx(100 / y[1000 - c.required], rel=1e-6)
    assert c.in_sample == pytest.approx(c.required / 1000)
    # the true probability, closed form for uniform(1, 3): P(y >= 100 / x)
    true = (3 - 100 / r.rows[0].units) / 2
    assert true >= 0.9
    # the fresh share: its standard error, and the Clopper-Pearson bound (scipy) clearing 90%
    p, n = c.out_of_sample, c.fresh_samples
    assert p is not None and n == 100_000 and c.fresh_seed == 11 + 1_000_003 * c.checks
    assert c.out_of_sample_std_error == pytest.approx(math.sqrt(p * (1 - p) / n), rel=1e-12)
    hits = round(p * n)
    assert c.lower_bound == pytest.approx(beta.ppf(1 - c.bound_confidence, hits, n - hits + 1),
                                          rel=1e-12)
    assert c.bound_confidence == 1 - 0.05 / 4 and c.lower_bound >= 0.9
    assert abs(p - true) < 4 * c.out_of_sample_std_error
    assert c.deterministic_cost == pytest.approx(50.0)  # 100 / the mean 2
    assert c.extra_cost == pytest.approx(r.discounted_cost - 50.0)
    assert f"at least {c.lower_bound:.2%}" in r.message and "standard error" in r.message


def _independent(loadout: object, required: int) -> float:
    """The same SAA built separately: min cost_a a + cost_b b, a <= 30,
    y_a[j] a + y_b[j] b >= 100 h[j], sum h >= required, h binary."""
    s = loadout.scenario  # type: ignore[attr-defined]
    n = s.uncertainty.samples
    d = scenario_draws(s, n)
    ya, yb = d["levers.a.yield_per_unit"], d["levers.b.yield_per_unit"]
    cost = np.concatenate([[s.levers["a"].unit_cost, s.levers["b"].unit_cost], np.zeros(n)])
    rows = np.zeros((n + 1, n + 2))
    rows[:n, 0], rows[:n, 1] = ya, yb
    rows[:n, 2:] = -100 * np.eye(n)
    rows[n, 2:] = 1
    lower = np.concatenate([np.zeros(n), [required]])
    got = milp(cost, constraints=LinearConstraint(rows, lower, np.inf),
               integrality=np.concatenate([[0, 0], np.ones(n)]),
               bounds=Bounds(np.zeros(n + 2), np.concatenate([[30, np.inf], np.ones(n)])),
               options={"mip_rel_gap": 1e-9})
    assert got.status == 0, got.message
    return float(got.fun)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.95])
def test_saa_plan_equals_an_independent_milp_of_the_same_sample(
        tmp_path: Path, confidence: float) -> None:
    loadout = load_scenario(write(tmp_path, TWO_LEVERS))
    r = solve_chance(loadout, confidence)
    assert r.status == "optimal" and r.chance is not None
    # the level the fresh-sample check settled on: the asked one, or raised
    assert r.chance.required >= math.ceil(confidence * 200 - 1e-9)
    assert r.discounted_cost == pytest.approx(_independent(loadout, r.chance.required),
                                              rel=1e-6)


def test_shipped_plan_at_90_percent_holds_out_of_sample() -> None:
    loadout = load_scenario(ROOT / "configs" / "pakistan_it_exports.yaml")
    r = solve_chance(loadout, 0.9)
    c = r.chance
    assert r.status == "optimal" and c is not None
    assert c.in_sample is not None and c.in_sample >= 0.9
    assert c.out_of_sample is not None and c.out_of_sample >= 0.88
    assert c.fresh_samples == 100_000 and c.certified and c.lower_bound is not None
    assert c.lower_bound >= 0.9 and c.out_of_sample >= c.lower_bound
    assert c.deterministic_cost == pytest.approx(163_508_772, rel=1e-8)
    assert c.extra_cost == pytest.approx((r.discounted_cost or 0) - c.deterministic_cost)
    assert c.extra_cost > 0


def test_cost_of_certainty_rises_with_confidence_and_is_reproducible(tmp_path: Path) -> None:
    loadout = load_scenario(write(tmp_path, TWO_LEVERS))
    levels = [0.5, 0.7, 0.9]
    first = chance_sweep(loadout, levels)
    costs = [r.discounted_cost for r in first]
    assert costs == sorted(costs)
    again = chance_sweep(loadout, levels)
    assert [r.discounted_cost for r in again] == costs
    # each point of the sweep is the plan a single solve at that confidence gives
    assert solve_chance(loadout, 0.7).discounted_cost == pytest.approx(costs[1], rel=1e-9)


def test_the_curve_side_by_side_is_the_curve_one_by_one_and_each_point_the_milp(
        tmp_path: Path) -> None:
    # the confidences run as forked tasks, each on solvers of its own: two processes
    # and one give the same plans, and each point is the independent MILP's optimum
    # at the level its fresh-sample check settled on
    loadout = load_scenario(write(tmp_path, TWO_LEVERS))
    levels = [0.5, 0.8, 0.6]
    side = chance_sweep(loadout, levels, workers=2)
    alone = chance_sweep(loadout, levels, workers=1)
    assert [r.chance.confidence for r in side if r.chance] == levels
    for a, b in zip(side, alone, strict=True):
        assert a.status == b.status == "optimal" and a.chance and b.chance
        assert [(x.lever, x.units) for x in a.rows] == [(x.lever, x.units) for x in b.rows]
        assert a.chance == b.chance
        assert a.discounted_cost == pytest.approx(_independent(loadout, a.chance.required),
                                                  rel=1e-6)


def test_confidence_cli_json_and_sweep_files(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_LEVERS)
    code, stdout, _ = invoke("--config", path, "--confidence", "90%", "--format", "json")
    assert code == 0
    chance = json.loads(stdout)["chance"]
    assert chance["confidence"] == 0.9 and chance["required"] == 180
    assert chance["out_of_sample"] > 0.8 and chance["certified"] is True
    assert chance["lower_bound"] >= 0.9 and chance["fresh_samples"] == 100_000
    assert chance["out_of_sample_std_error"] == pytest.approx(
        math.sqrt(chance["out_of_sample"] * (1 - chance["out_of_sample"]) / 100_000))
    out = tmp_path / "out"
    code, stdout, _ = invoke("sweep", "--config", path, "--confidences", "0.5:0.9:0.2",
                             "--output", out, "--plot", tmp_path / "c.png")
    assert code == 0
    assert "the cost of certainty" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["certainty.csv", "certainty.json",
                                                     "certainty.md"]
    points = json.loads((out / "certainty.json").read_text())["points"]
    assert [p["confidence"] for p in points] == [0.5, 0.7, 0.9]
    assert (tmp_path / "c.png").stat().st_size > 1000


@pytest.mark.parametrize(("args", "message"), [
    (["--confidence", "1.5"], "--confidence: a probability strictly between 0 and 1"),
    (["--confidence", "lots"], "--confidence:"),
])
def test_bad_confidence_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    code, stdout, stderr = invoke("--config", write(tmp_path, TWO_LEVERS), *args)
    assert code == 2 and stdout == ""
    assert message in stderr and "Traceback" not in stderr


def test_confidence_without_distributions_exits_2_naming_the_file() -> None:
    path = ROOT / "configs" / "examples" / "concave_curve.yaml"
    code, _, stderr = invoke("--config", path, "--confidence", "0.9")
    assert code == 2
    assert str(path) in stderr and "no field is written as a distribution" in stderr


BAD_DISTRIBUTIONS = [
    ("yield_per_unit: {dist: triangular, low: 3, mode: 2, high: 1}",
     "levers.a.yield_per_unit.low: must not exceed high (1) (got 3)"),
    ("yield_per_unit: {dist: normal, mean: 3, sd: -0.3}",
     "levers.a.yield_per_unit.sd: must be zero or more (got -0.3)"),
    ("yield_per_unit: {dist: gamma, k: 1}",
     "levers.a.yield_per_unit.dist: unknown distribution: use triangular, uniform, normal "
     "or lognormal (got 'gamma')"),
    ("yield_per_unit: 1, max_units: {dist: uniform, low: 1, high: 2}",
     "levers.a.max_units: a distribution is allowed on unit_cost, yield_per_unit, "
     "fixed_cost, recurring_cost, cost_recovery, attrition and exchange rates, not on "
     "max_units"),
]


@pytest.mark.parametrize(("field", "message"), BAD_DISTRIBUTIONS,
                         ids=["low_above_high", "negative_sd", "unknown_name", "on_a_cap"])
def test_a_bad_distribution_exits_2_naming_file_line_and_field(
        tmp_path: Path, field: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ntarget: {exports: 10}\nlevers:\n"
                    f"  a: {{unit_cost: 1, {field}}}\n")
    out = tmp_path / "out"
    code, stdout, stderr = invoke("--config", path, "--output", out)
    assert code == 2 and stdout == "" and not out.exists()
    assert f"{path}:4:" in stderr and message in stderr
    assert stderr.count("levers.a.") == 1  # one message, not a second "not a number"
    assert "Traceback" not in stderr


def test_a_correlation_naming_no_distribution_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_LEVERS.replace("levers.b.yield_per_unit", "levers.c.unit_cost"))
    code, _, stderr = invoke("--config", path)
    assert code == 2
    assert "uncertainty.correlations[0].between[1]: not an uncertain parameter (got " \
           "'levers.c.unit_cost'" in stderr


def test_out_of_reach_confidence_says_how_many_samples_any_plan_reaches(
        tmp_path: Path) -> None:
    """By hand: at most 40 units of a; sample j reaches 100 when 40 y_j >= 100, so
    exactly the samples with y_j >= 2.5 (about a quarter of uniform(1, 3)): 90% is
    out of reach, and the most any plan reaches is their count, from the draws."""
    loadout = load_scenario(write(tmp_path, ONE_LEVER.replace(
        "high: 3}}", "high: 3}, max_units: 40}")))
    r = solve_chance(loadout, 0.9)
    y = scenario_draws(loadout.scenario, 1000)["levers.a.yield_per_unit"]
    most = int(np.sum(40 * y >= 100 * (1 - 1e-9)))
    assert 200 < most < 300
    assert r.status == "infeasible" and r.chance is not None
    assert r.chance.most_reached == most and r.chance.in_sample is None
    assert r.message == (f"infeasible: no plan reaches the target in 90% of the 1,000 samples "
                         f"under the file's limits; at most {most:,} of them "
                         f"({most / 1000:.1%}) can be reached")


# -- the guarantee (issue 12 item 15) ----------------------------------------------------

SHIPPED_UNCERTAIN = ["pakistan_it_exports.yaml", "pakistan_it_exports_3yr.yaml",
                     "examples/uncertain_yields.yaml"]
"""Every shipped file that writes a distribution (test_every_shipped_uncertain_file_is_here)."""


def test_every_shipped_uncertain_file_is_here() -> None:
    found = sorted(str(p.relative_to(ROOT / "configs")) for p in (ROOT / "configs").rglob(
        "*.yaml") if load_scenario(p).scenario.uncertain)
    assert found == sorted(SHIPPED_UNCERTAIN)


def _hand_last_exports(s: object, plan: dict[str, list[float]], draws: dict[str, np.ndarray],
                       n: int) -> np.ndarray:
    """Last-period lever exports written out again: units funded in k are active from
    k + lag, kept (1 - attrition) a period after; exports the yield (or the curve) of the
    active units."""
    total = np.zeros(n)
    last = len(s.period_labels) - 1  # type: ignore[attr-defined]
    for lid, lever in s.enabled_levers().items():  # type: ignore[attr-defined]
        keep = 1.0 - draws.get(f"levers.{lid}.attrition", np.full(n, lever.attrition))
        active = np.zeros(n)
        for k, x in enumerate(plan[lid]):
            if k <= last - lever.lag:
                active += x * keep ** (last - lever.lag - k)
        if lever.yield_curve:
            us = [u for u, _ in lever.yield_curve]
            es = [e for _, e in lever.yield_curve]
            assert np.all(active <= us[-1] * (1 + 1e-9))
            total += np.interp(active, us, es)
        else:
            total += draws.get(f"levers.{lid}.yield_per_unit",
                               np.full(n, lever.yield_per_unit)) * active
    return total


def _probability_on_fresh(loadout: object, r: object, seed: int, n: int) -> float:
    s = loadout.scenario  # type: ignore[attr-defined]
    labels = s.period_labels
    plan = {row.lever: [row.by_period[p].units for p in labels] if r.periods  # type: ignore[attr-defined]
            else [row.units] for row in r.rows}  # type: ignore[attr-defined]
    draws = scenario_draws(s, n, seed)
    got = _hand_last_exports(s, plan, draws, n)
    return float(np.mean(got >= s.target.needed * (1 - 1e-9)))


GUARANTEE_SEEDS = range(1, 21)


@pytest.mark.parametrize("name", SHIPPED_UNCERTAIN)
def test_a_80_percent_plan_holds_on_100000_fresh_samples_in_19_of_20_seeds(name: str) -> None:
    """Issue 12 item 15's done-when. A plan solved to reach the target in 80% of its
    samples reaches it with probability under 80% about half the time; the plan
    --confidence 0.8 returns, measured on 100,000 samples of a seed no check used (the
    exports written out again here), must reach 80% in at least 19 of 20 seeds.

    The solves use 200 samples (not the file's 1,000) to keep the test near a minute of
    CPU: fewer samples make the plain plan's shortfall larger, so the guarantee has more
    to correct. The three-year file's limits cap the probability near 80% (at most 804
    of its 1,000 samples can be reached): there a seed may answer that no plan is shown
    to reach 80% (infeasible, or not_proven with the last plan's bound), which claims
    nothing; the other two files must return a certified plan in every seed."""
    path = ROOT / "configs" / name
    held, refused, plain_short = 0, [], 0
    for seed in GUARANTEE_SEEDS:
        loadout = load_scenario(path, [("uncertainty.seed", seed)])
        r = solve_chance(loadout, 0.8, samples=200)
        c = r.chance
        assert c is not None
        if r.status in ("infeasible", "not_proven"):
            assert not c.certified and "80%" in r.message
            refused.append(seed)
            held += 1
            continue
        assert r.status in ("optimal", "limit_with_plan"), r.message
        assert c.certified and c.lower_bound is not None and c.lower_bound >= 0.8
        assert c.lower_bound == pytest.approx(
            beta.ppf(1 - c.bound_confidence, round(c.out_of_sample * c.fresh_samples),
                     c.fresh_samples - round(c.out_of_sample * c.fresh_samples) + 1), abs=1e-12)
        p = _probability_on_fresh(loadout, r, 900_000 + seed, 100_000)
        held += p >= 0.8
        plain_short += c.checks > 1
    assert held >= 19
    if "3yr" not in name:
        assert not refused


def test_the_plain_saa_plan_falls_short_where_the_guarantee_raises_the_level() -> None:
    """The failure item 15 names, on the example file at its seed: the plan solved for 80%
    of 200 samples reaches the target in under 80% of 100,000 fresh ones (by hand), so
    --confidence raises the level until the bound clears, at a higher cost."""
    loadout = load_scenario(ROOT / "configs" / "examples" / "uncertain_yields.yaml")
    s = loadout.scenario
    from optimizer.solving.engine import Session

    session = Session(loadout, None, chance=(0.8, scenario_draws(s, 200)))
    plain = session.solve(diagnose=False)
    assert _probability_on_fresh(loadout, plain, 900_000, 100_000) < 0.8
    r = solve_chance(loadout, 0.8, samples=200)
    c = r.chance
    assert c is not None and c.certified and c.checks >= 2 and c.level is not None
    assert c.level > 0.8 and (r.discounted_cost or 0) > (plain.discounted_cost or 0)
    assert _probability_on_fresh(loadout, r, 900_000, 100_000) >= 0.8


CAPPED = """\
    name: one capped lever
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: {dist: uniform, low: 1, high: 3}, max_units: 80.8}
    uncertainty: {samples: 1000, seed: 12}
    """


def test_a_plan_whose_bound_cannot_clear_the_confidence_is_not_proven(tmp_path: Path) -> None:
    """The cap buys 80.8 units: the most any plan reaches is P(y >= 100 / 80.8) = 88.1%
    (uniform(1, 3), closed form). Asked 88%, the plan for 880 of these 1,000 samples
    reaches 86.8% of fresh ones; the raised level is out of reach of the samples, so no
    plan is shown to reach 88% with 95% confidence: not_proven (exit 4), the last plan's
    bound given, and its true probability (closed form) is indeed under 88%."""
    path = write(tmp_path, CAPPED)
    r = solve_chance(load_scenario(path), 0.88)
    c = r.chance
    assert r.status == "not_proven" and r.plan == "best_found"
    assert c is not None and not c.certified and c.lower_bound is not None
    assert c.lower_bound < 0.88
    true = (3 - 100 / r.rows[0].units) / 2
    assert true < 0.88
    assert r.message.startswith("not proven: no plan found reaches the target with a "
                                "probability of at least 88% with 95% confidence")
    assert f"at least {c.lower_bound:.2%}" in r.message
    code, stdout, stderr = invoke("--config", path, "--confidence", "0.88")
    assert code == 4 and "not shown to be at least 88%" in stdout
    assert "not proven" in stderr


def test_a_spent_time_limit_leaves_each_confidence_a_result(tmp_path: Path) -> None:
    # --time-limit is one budget for the whole curve: once it is spent, a confidence
    # whose MIP cannot start is a result that says so (limit_without_plan), not an
    # error that loses the confidences already solved; with time to spare, the same
    # curve as without a limit
    from optimizer.solving.options import options_of

    loadout = load_scenario(write(tmp_path, TWO_LEVERS))
    levels = [0.5, 0.7]
    spent = chance_sweep(loadout, levels, options_of(1e-9, None), workers=1)
    assert [r.chance.confidence for r in spent if r.chance] == levels
    assert all(r.status in ("limit_without_plan", "limit_with_plan") for r in spent)
    assert any(r.status == "limit_without_plan" and "--time-limit" in r.message
               for r in spent)
    free = chance_sweep(loadout, levels, options_of(600.0, None), workers=1)
    assert [r.discounted_cost for r in free] == [
        r.discounted_cost for r in chance_sweep(loadout, levels, workers=1)]
