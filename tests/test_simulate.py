"""optimize simulate: a fixed plan under joint samples, checked against closed forms.

Probabilities are checked within 3 Monte-Carlo standard errors, quantiles within 4
of their own sampling errors, means within 4 of theirs; everything else exactly.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimizer.analyses.simulate import (
    NoPlan,
    _unfolded,
    evaluate,
    read_plan,
    simulate,
)
from optimizer.errors import UsageError
from optimizer.plan.check import paths
from optimizer.present.formats.risk_charts import fan_chart_bytes, histogram_chart_bytes
from optimizer.present.formats.simulate import SIMULATION_RENDERERS, reoptimized_summary
from optimizer.scenario import Loadout, load_scenario
from optimizer.scenario.uncertain_fields import scenario_draws, with_values
from optimizer.scenario.uncertainty import sample
from tests.clirun import invoke
from tests.scenarios import UNCERTAIN

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "configs" / "examples" / "uncertain_yields.yaml"
Write = Callable[..., Path]


MEAN, SD, UNITS, TARGET = 10.0, 2.0, 100.0, 950.0
ONE_NORMAL = f"""
    name: one normal yield
    target: {{exports: {TARGET}}}
    levers:
      a: {{unit_cost: 1, yield_per_unit: {{dist: normal, mean: {MEAN}, sd: {SD}}}}}
    uncertainty: {{samples: 200000, seed: 3}}
"""

# Two periods: funded 60 then 40, 10% attrition, a milestone in the first period.
MILESTONE = """
    name: milestone
    periods: [2025, 2026]
    target: {exports: 950, milestones: {2025: 500}}
    levers:
      a: {unit_cost: 1, yield_per_unit: {dist: normal, mean: 10, sd: 2}, attrition: 10%,
          max_units_per_period: 60}
    uncertainty: {samples: 200000, seed: 5}
"""

# Everything the arithmetic touches is sampled: lag, attrition, recurring and fixed
# costs, cost recovery, a cost by period, a curve, discounting, an uncertain rate.
EVERYTHING = """
    name: everything
    periods: [1, 2, 3]
    discount_rate: 0.1
    exchange_rates: {PKR: {dist: uniform, low: 250, high: 320}}
    target: {exports: 500}
    levers:
      a:
        unit_cost: {dist: uniform, low: 2, high: 4}
        unit_cost_by_period: {3: 5}
        yield_per_unit: {dist: triangular, low: 1, mode: 2, high: 3}
        attrition: {dist: uniform, low: 0.05, high: 0.3}
        recurring_cost: {dist: lognormal, median: 0.2, sigma: 0.3}
        fixed_cost: {dist: normal, mean: 30, sd: 5}
        cost_recovery: {dist: uniform, low: 0.1, high: 0.4}
        lag: 1
        max_units: 400
      b:
        unit_cost: "570 PKR"
        yield_curve: [[0, 0], [50, 100], [200, 250]]
        attrition: {dist: uniform, low: 0, high: 0.2}
        recurring_cost: "28.5 PKR"
    uncertainty: {samples: 64, seed: 9}
"""




def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _normal_quantile(q: float) -> float:
    low, high = -10.0, 10.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if _phi(mid) < q else (low, mid)
    return 0.5 * (low + high)


def _within_standard_errors(got: float, want: float, se: float, k: float) -> None:
    assert abs(got - want) <= k * se, f"{got} vs {want}: {abs(got - want) / se:.2f} SE"


def _truncated_tail(x: float, mean: float, sd: float) -> float:
    """P(Y >= x) for Y ~ Normal(mean, sd) truncated at 0, x >= 0."""
    return (1.0 - _phi((x - mean) / sd)) / _phi(mean / sd)


# -- closed forms ----------------------------------------------------------------------


@pytest.fixture
def one_normal(scenario_file: Write) -> Loadout:
    return load_scenario(scenario_file(ONE_NORMAL))


def test_probability_matches_the_normal_closed_form(one_normal: Loadout) -> None:
    sim = simulate(one_normal, {"a": [UNITS]})
    n = 200_000
    want = _truncated_tail(TARGET / UNITS, MEAN, SD)  # 1 - Phi(-0.25) = 0.5987
    assert sim.samples == n
    p = sim.target.probability
    assert sim.target.std_error == pytest.approx(math.sqrt(p * (1 - p) / n), rel=1e-12)
    _within_standard_errors(p, want, sim.target.std_error, 3)
    assert sim.target.needed == TARGET
    assert sim.point_exports == pytest.approx(UNITS * MEAN)  # truncation moves it 1e-5


def test_quantiles_match_the_normal_closed_form(one_normal: Loadout) -> None:
    sim = simulate(one_normal, {"a": [UNITS]})
    n = sim.samples
    got = {0.1: sim.lever_exports.p10, 0.5: sim.lever_exports.p50, 0.9: sim.lever_exports.p90}
    for q, value in got.items():
        z = _normal_quantile(q)
        want = UNITS * (MEAN + SD * z)
        # the sampling error of a sample quantile: sqrt(q (1 - q) / n) / density
        se = math.sqrt(q * (1 - q) / n) / (_pdf(z) / (UNITS * SD))
        _within_standard_errors(value, want, se, 4)
    _within_standard_errors(sim.lever_exports.mean, UNITS * MEAN, UNITS * SD / math.sqrt(n), 4)
    # the shortfall is what falls below the target, and the cost does not move
    assert sim.shortfall.p90 == pytest.approx(max(0.0, TARGET - sim.lever_exports.p10),
                                              rel=1e-3, abs=1.0)
    assert sim.cost.p10 == sim.cost.p90 == UNITS


def test_the_optimum_sits_on_the_target_so_half_the_samples_reach_it(
        one_normal: Loadout) -> None:
    sim = simulate(one_normal, samples=100_000)
    assert sim.plan_source == "optimum" and sim.plan_status == "optimal"
    assert sim.units["a"][0] == pytest.approx(TARGET / MEAN, rel=1e-6)
    _within_standard_errors(sim.target.probability, 0.5, sim.target.std_error, 3)


def test_milestone_and_target_probabilities_by_period(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file(MILESTONE))
    sim = simulate(loadout, {"a": [60.0, 40.0]})
    # 2025: 60 active; 2026: 60 x 0.9 + 40 = 94 active
    (m,) = sim.milestones
    assert (m.name, m.period, m.needed) == ("target.milestones.2025", 2025, 500.0)
    _within_standard_errors(m.probability, _truncated_tail(500 / 60, 10, 2), m.std_error, 3)
    _within_standard_errors(sim.target.probability, _truncated_tail(950 / 94, 10, 2),
                            sim.target.std_error, 3)
    assert sim.periods == (2025, 2026)
    assert sim.exports_by_period[2025].p50 == pytest.approx(600.0, rel=5e-3)
    assert sim.exports_by_period[2026].p50 == pytest.approx(940.0, rel=5e-3)
    # the same draw decides both: reaching 2026 (yield >= 10.11) implies 2025 (>= 8.33)
    assert sim.target.probability <= m.probability


def test_cost_mean_of_two_levers_with_uniform_costs(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file("""
        name: two uniform costs
        target: {exports: 200}
        levers:
          a: {unit_cost: {dist: uniform, low: 1, high: 3}, yield_per_unit: 1}
          b: {unit_cost: {dist: uniform, low: 2, high: 6}, yield_per_unit: 2,
              cost_recovery: {dist: uniform, low: 0, high: 0.5}}
        uncertainty: {samples: 200000, seed: 1}
    """))
    sim = simulate(loadout, {"a": [100.0], "b": [50.0]})
    # E[100 c_a + 50 c_b (1 - r_b)] = 100 x 2 + 50 x 4 x 0.75 = 350, the draws independent
    var = 100**2 * 2**2 / 12 + 50**2 * (
        (16 / 12 + 16) * (0.25 / 12 + 0.75**2) - (4 * 0.75) ** 2)
    _within_standard_errors(sim.cost.mean, 350.0, math.sqrt(var / sim.samples), 4)
    assert sim.point_cost == pytest.approx(100 * 2 + 50 * 4 * 0.75)
    assert sim.target.probability == 1.0 and sim.target.std_error == 0.0  # yields are fixed
    assert sim.lever_exports.low == sim.lever_exports.high == 200.0
    assert {d.parameter for d in sim.drivers if d.moves_cost} == {
        "levers.a.unit_cost", "levers.b.unit_cost", "levers.b.cost_recovery"}
    assert not any(d.moves_exports for d in sim.drivers)
    assert sum(d.cost_share for d in sim.drivers) == pytest.approx(sim.cost_r_squared)
    assert sim.cost_r_squared > 0.97  # the product b's cost x recovery is nearly linear


# -- the vectorised arithmetic against the scalar one ------------------------------------


def test_each_sample_matches_check_lever_path_on_that_sample(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file(EVERYTHING))
    s = loadout.scenario
    plan = {"a": [100.0, 80.0, 20.0], "b": [0.0, 60.0, 30.0]}
    values = scenario_draws(s, 64, 9)
    assert {"levers.b.unit_cost", "levers.b.recurring_cost"} <= set(values)  # the rate moves
    got = evaluate(s, plan, values, 64)
    weights = [1.1**-k for k in range(3)]
    for i in range(64):
        one = paths(with_values(s, {k: v[i] for k, v in values.items()}), plan)
        spend = [sum(p.spend[k] for p in one.values()) for k in range(3)]
        exports = [sum(p.exports[k] for p in one.values()) for k in range(3)]
        assert got.spend[:, i] == pytest.approx(spend, rel=1e-12)
        assert got.exports[:, i] == pytest.approx(exports, rel=1e-12)
        assert got.discounted_cost[i] == pytest.approx(
            sum(w * x for w, x in zip(weights, spend, strict=True)), rel=1e-12)


def test_point_values_match_the_solved_result(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file(EVERYTHING))
    from optimizer.solving.engine import solve_scenario

    result = solve_scenario(loadout)
    sim = simulate(loadout, samples=500)
    assert sim.point_cost == pytest.approx(result.total_cost, rel=1e-9)
    assert sim.point_discounted_cost == pytest.approx(result.discounted_cost, rel=1e-9)
    assert sim.point_exports == pytest.approx(result.lever_exports, rel=1e-9)
    assert sim.discounted_cost is not None
    assert any("unit_cost_by_period" in note for note in sim.notes)


# -- drivers ---------------------------------------------------------------------------


def test_drivers_rank_what_moves_exports_and_cost(scenario_file: Write) -> None:
    import scipy.stats

    loadout = load_scenario(scenario_file(UNCERTAIN))
    sim = simulate(loadout, samples=20_000)
    by_name = {d.parameter: d for d in sim.drivers}
    assert set(by_name) == {"levers.a.yield_per_unit", "levers.b.unit_cost",
                            "exchange_rates.PKR"}
    first = sim.drivers[0]
    # a's 30 units are the only sampled exports: its yield is all of their spread
    assert first.parameter == "levers.a.yield_per_unit" and first.moves_exports
    assert first.spearman == pytest.approx(1.0) and first.share == pytest.approx(1.0)
    assert not first.moves_cost
    assert first.cost_share == 0.0  # correlated with b's cost, but no part of the cost
    rate, cost_b = by_name["exchange_rates.PKR"], by_name["levers.b.unit_cost"]
    assert rate.moves_cost and not rate.moves_exports and rate.share == 0.0
    assert rate.cost_spearman < 0  # more rupees to the dollar: a's cost falls
    assert cost_b.cost_share > 0.9
    assert cost_b.cost_share + rate.cost_share == pytest.approx(sim.cost_r_squared)
    # Spearman as scipy computes it, from the same draws
    s = loadout.scenario
    draws = scenario_draws(s, 20_000, 7)
    units = sim.units
    cost = evaluate(s, units, draws, 20_000).cost
    want = scipy.stats.spearmanr(draws["levers.b.unit_cost"], cost).statistic
    assert cost_b.cost_spearman == pytest.approx(want, abs=1e-9)


def test_rates_are_drawn_as_the_full_sample_draws_them(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file(UNCERTAIN.replace(
        "- {between: [levers.a.yield_per_unit, levers.b.unit_cost], rho: 0.5}",
        "- {between: [levers.a.yield_per_unit, levers.b.unit_cost], rho: 0.5}\n"
        "        - {between: [exchange_rates.PKR, levers.b.unit_cost], rho: -0.3}")))
    u = loadout.scenario.uncertainty
    pairs = {(c.between[0], c.between[1]): c.rho for c in u.correlations}
    full = sample(u.parameters, 300, 4, pairs)
    part = _unfolded(loadout.scenario, 300, 4)
    assert "exchange_rates.PKR" in part
    for name, values in part.items():
        np.testing.assert_array_equal(values, full[name])


# -- reproducibility ---------------------------------------------------------------------


def _without_timing(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "seconds"}


def test_same_seed_same_numbers_other_seed_others(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file(UNCERTAIN))
    one = json.loads(SIMULATION_RENDERERS["json"](simulate(loadout, seed=11)))
    two = json.loads(SIMULATION_RENDERERS["json"](simulate(loadout, seed=11)))
    other = json.loads(SIMULATION_RENDERERS["json"](simulate(loadout, seed=12)))
    assert _without_timing(one) == _without_timing(two)
    assert one["lever_exports"] != other["lever_exports"]
    assert one["seed"] == 11 and one["samples"] == 500  # the file's samples


def test_cli_seed_and_samples(scenario_file: Write) -> None:
    path = scenario_file(UNCERTAIN)
    runs = [invoke("simulate", "--config", path, "--seed", seed, "--samples", "2000",
                   "--format", "json") for seed in ("5", "5", "6")]
    assert all(code == 0 for code, _, _ in runs), runs
    first, second, third = (json.loads(out) for _, out, _ in runs)
    assert _without_timing(first) == _without_timing(second)
    assert first["seed"] == 5 and first["samples"] == 2000
    assert first["probability"] != third["probability"]
    # the same as the API
    api = simulate(load_scenario(path), samples=2000, seed=5)
    assert first["probability"] == api.target.probability


# -- --plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [UNCERTAIN, EVERYTHING], ids=["one period", "three periods"])
def test_plan_round_trip_through_result_json(scenario_file: Write, tmp_path: Path,
                                             text: str) -> None:
    path = scenario_file(text)
    code, _, err = invoke("--config", path, "--output", tmp_path / "out")
    assert code == 0, err
    plain = invoke("simulate", "--config", path, "--format", "json")
    saved = invoke("simulate", "--config", path, "--plan", tmp_path / "out" / "result.json",
                   "--format", "json")
    assert plain[0] == saved[0] == 0, (plain, saved)
    a, b = json.loads(plain[1]), json.loads(saved[1])
    assert b["plan"]["source"] == str(tmp_path / "out" / "result.json")
    assert b["plan"]["status"] == a["plan"]["status"] == "optimal"
    for data in (a, b):
        del data["plan"]["source"], data["seconds"]
    assert a == b


@pytest.fixture
def saved(scenario_file: Write, tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A three-period scenario with distributions, and its saved result.json."""
    path = scenario_file(EVERYTHING)
    code, _, err = invoke("--config", path, "--output", tmp_path / "out")
    assert code == 0, err
    result = tmp_path / "out" / "result.json"
    return path, result, json.loads(result.read_text())


def _bad_plan(path: Path, tmp_path: Path, data: Any, text: str | None = None
              ) -> tuple[int, str]:
    bad = tmp_path / "bad.json"
    bad.write_text(text if text is not None else json.dumps(data))
    code, out, err = invoke("simulate", "--config", path, "--plan", bad)
    assert out == ""
    return code, err


def test_bad_plan_files_exit_2_naming_file_and_field(
        saved: tuple[Path, Path, dict[str, Any]], tmp_path: Path) -> None:
    path, _, data = saved
    bad = str(tmp_path / "bad.json")

    code, err = invoke("simulate", "--config", path, "--plan", tmp_path / "nope.json")[::2]
    assert code == 2 and "nope.json: no such file" in err

    code, err = _bad_plan(path, tmp_path, None, text="{not json")
    assert code == 2 and "error: invalid result file (1 problem)" in err
    assert f"{bad}:1:2: not valid JSON: Expecting property name" in err

    unknown = json.loads(json.dumps(data))
    unknown["allocation"][1]["lever"] = "zz"
    code, err = _bad_plan(path, tmp_path, unknown)
    assert code == 2
    assert f"{bad}: allocation[1].lever: 'zz' is not an enabled lever of 'everything' " \
           "(levers: a, b)" in err

    short = json.loads(json.dumps(data))
    short["periods"] = [1, 2]
    code, err = _bad_plan(path, tmp_path, short)
    assert code == 2
    assert f"{bad}: periods: the plan has 2 (1, 2), the scenario 3 (1, 2, 3)" in err

    fewer = json.loads(json.dumps(data))
    for entry in fewer["allocation"]:
        del entry["by_period"]["3"]
    code, err = _bad_plan(path, tmp_path, fewer)
    assert code == 2 and f"{bad}: allocation[0].by_period: periods 1, 2, the scenario " \
                         "has 3 (1, 2, 3)" in err

    missing = json.loads(json.dumps(data))
    missing["allocation"] = missing["allocation"][:1]
    code, err = _bad_plan(path, tmp_path, missing)
    assert code == 2 and f"{bad}: allocation: no entry for 'b'" in err

    negative = json.loads(json.dumps(data))
    negative["allocation"][0]["by_period"]["2"]["units"] = -1
    code, err = _bad_plan(path, tmp_path, negative)
    assert code == 2 and f"{bad}: allocation[0].by_period.2.units: expected a number of " \
                         "units >= 0 (got -1)" in err

    code, err = _bad_plan(path, tmp_path, [1, 2])
    assert code == 2 and f"{bad}: expected a JSON object" in err

    code, err = _bad_plan(path, tmp_path, {"status": "optimal"})
    assert code == 2 and f"{bad}: allocation: missing (expected a list of" in err


def test_a_single_period_plan_for_a_scenario_with_periods(
        saved: tuple[Path, Path, dict[str, Any]], scenario_file: Write, tmp_path: Path) -> None:
    path, _, _ = saved
    other = scenario_file(UNCERTAIN, name="one.yaml")
    assert invoke("--config", other, "--output", tmp_path / "one")[0] == 0
    code, _, err = invoke("simulate", "--config", path, "--plan", tmp_path / "one/result.json")
    assert code == 2
    assert "one/result.json: periods: the plan has no periods, the scenario has 3 (1, 2, 3)" \
        in err


def test_read_plan_takes_units_by_period(saved: tuple[Path, Path, dict[str, Any]]) -> None:
    path, result, data = saved
    plan, saved_file = read_plan(result, load_scenario(path).scenario)
    read = saved_file.document()
    assert read == data
    for entry in data["allocation"]:
        assert plan[entry["lever"]] == tuple(float(entry["by_period"][p]["units"])
                                             for p in ("1", "2", "3"))


def test_a_plan_breaking_the_scenario_is_simulated_with_a_note(scenario_file: Write) -> None:
    loadout = load_scenario(scenario_file(UNCERTAIN))
    sim = simulate(loadout, {"a": [40.0], "b": [10.0]}, source="mine.json")
    assert sim.plan_source == "mine.json"
    assert any("levers.a.max_units" in note for note in sim.notes)
    with pytest.raises(UsageError, match="levers do not match"):
        simulate(loadout, {"a": [40.0]})
    with pytest.raises(UsageError, match="has 2 periods"):
        simulate(loadout, {"a": [40.0, 1.0], "b": [10.0]})


# -- exit statuses and messages -----------------------------------------------------------


def test_a_scenario_without_distributions_exits_2_saying_which_fields(
        scenario_file: Write) -> None:
    path = scenario_file("""
        name: certain
        target: {exports: 10}
        levers: {a: {unit_cost: 1, yield_per_unit: 1}}
    """)
    code, out, err = invoke("simulate", "--config", path)
    assert code == 2 and out == ""
    assert str(path) in err and "no distributions" in err
    for field in ("unit_cost", "yield_per_unit", "fixed_cost", "recurring_cost",
                  "cost_recovery", "attrition", "exchange rate"):
        assert field in err
    assert "{dist: triangular" in err


def test_an_infeasible_scenario_exits_3_with_no_plan(scenario_file: Write) -> None:
    text = UNCERTAIN.replace("yield_per_unit: 1}", "yield_per_unit: 1, max_units: 10}")
    path = scenario_file(text)
    code, out, err = invoke("simulate", "--config", path)
    assert code == 3 and out == ""
    assert "no plan to simulate" in err and "infeasible" in err
    with pytest.raises(NoPlan):
        simulate(load_scenario(path))


def test_usage_errors_exit_2(scenario_file: Write, tmp_path: Path) -> None:
    path = scenario_file(UNCERTAIN)
    for args, words in (
        (["--plot", tmp_path / "x.pdf"], "--plot writes .png or .svg"),
        (["--workers", "2"], "go with --reoptimize"),
        (["--scheduler", "tcp://127.0.0.1:1"], "go with --reoptimize"),
        (["--reoptimize", "--plan", tmp_path / "r.json"], "takes no --plan"),
        (["--variant", "all"], "one variant at a time"),
        (["--samples", "0"], "0 is not in the range"),
    ):
        code, out, err = invoke("simulate", "--config", path, *args)
        assert code == 2 and words in err, (args, err)


# -- outputs -----------------------------------------------------------------------------


def test_output_plot_and_formats(scenario_file: Write, tmp_path: Path) -> None:
    path = scenario_file(MILESTONE)
    code, out, err = invoke("simulate", "--config", path, "--samples", "5000", "--output",
                            tmp_path / "sim", "--plot", tmp_path / "risk.png")
    assert code == 0, err
    assert "Probability of reaching the target: " in out
    assert "Probability of milestone 2025 (500 USD): " in out
    assert "levers.a.yield_per_unit" in out
    data = json.loads((tmp_path / "sim" / "simulation.json").read_text())
    assert data["samples"] == 5000 and data["milestones"][0]["period"] == 2025
    assert sum(data["histogram"]["counts"]) == 5000
    assert (tmp_path / "sim" / "simulation.md").read_text().startswith("## milestone")
    png = (tmp_path / "risk.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    code, _, err = invoke("simulate", "--config", path, "--samples", "5000", "--plot",
                          tmp_path / "risk.svg", "--format", "markdown")
    assert code == 0, err
    svg = (tmp_path / "risk.svg").read_text()
    assert "<svg" in svg and "P50" in svg and "target" in svg


def test_fan_and_histogram_bytes_are_reproducible(scenario_file: Write) -> None:
    sim = simulate(load_scenario(scenario_file(MILESTONE)), samples=3000)
    for draw in (fan_chart_bytes, histogram_chart_bytes):
        assert draw(sim, "svg") == draw(sim, "svg")
        assert draw(sim, "png").startswith(b"\x89PNG")
    assert b"milestones" in fan_chart_bytes(sim, "svg")


def test_the_example_scenario_simulates() -> None:
    code, out, err = invoke("simulate", "--config", EXAMPLE, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["point_values"]["cost"] == pytest.approx(49_000_000)
    assert data["samples"] == 10_000 and data["seed"] == 7
    assert 0 < data["probability"] < 1
    assert data["drivers"][0]["parameter"] == "levers.it_workforce.yield_per_unit"


# -- --reoptimize -------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("optimizer.analyses.reoptimize") is None,
                    reason="optimizer.analyses.reoptimize is not there yet")
def test_reoptimize_flag_summarises_the_optima(scenario_file: Write, tmp_path: Path) -> None:
    from optimizer.analyses.reoptimize import reoptimize

    path = scenario_file(UNCERTAIN)
    code, out, err = invoke("simulate", "--config", path, "--reoptimize", "--samples", "30",
                            "--seed", "4", "--format", "json", "--output", tmp_path / "r")
    assert code == 0, err
    data = json.loads(out)
    direct = reoptimize(load_scenario(path), samples=30, seed=4)
    costs = sorted(c for c in direct.costs if c is not None)
    assert data["samples"] == 30 and data["seed"] == 4
    assert data["cost_with_plan"]["p50"] == pytest.approx(float(np.percentile(costs, 50)))
    assert data["cost_with_plan"]["p10"] == pytest.approx(float(np.percentile(costs, 10)))
    # over every sample, one without a plan infinitely dear (null in JSON when it lands there)
    every = np.array([np.inf if c is None else c for c in direct.costs])
    with np.errstate(invalid="ignore"):
        p90 = float(np.percentile(every, 90))
    assert data["cost"]["p90"] == (pytest.approx(p90) if math.isfinite(p90) else None)
    assert data["infeasible_share"] == pytest.approx(1 - len(costs) / 30)
    assert set(data["shares"]) == {"a", "b"}
    assert data == json.loads((tmp_path / "r" / "reoptimize.json").read_text())
    summary = reoptimized_summary(direct)
    assert data["shares"]["a"]["mean"] == pytest.approx(summary["shares"]["a"]["mean"])
    code, out, err = invoke("simulate", "--config", path, "--reoptimize", "--samples", "10")
    assert code == 0, err
    assert "re-optimised under each of 10 samples" in out and "P90" in out


# -- honest uncertainty figures (issue 12 item 14) ---------------------------------------

CORRELATED_COSTS = """
    name: correlated cost and recovery
    target: {exports: 100}
    levers:
      a: {unit_cost: {dist: uniform, low: 1, high: 3}, yield_per_unit: 1,
          cost_recovery: {dist: uniform, low: 0.1, high: 0.6}}
      b: {unit_cost: {dist: uniform, low: 2, high: 3}, yield_per_unit: 2}
    uncertainty:
      samples: 20000
      seed: 5
      correlations:
        - {between: [levers.a.unit_cost, levers.a.cost_recovery], rho: 0.95}
"""


def _r2(columns: list[np.ndarray], y: np.ndarray) -> float:
    """R^2 of an ordinary least-squares fit of y on the columns and a constant."""
    if not columns:
        return 0.0
    x = np.column_stack([np.ones(y.size), *columns])
    fit = x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return float(1 - np.sum((y - fit) ** 2) / np.sum((y - y.mean()) ** 2))


def test_cost_shares_are_the_shapley_split_of_r2_where_pratt_goes_negative(
        scenario_file: Write) -> None:
    """Pratt's measure (standardized coefficient x correlation) of a's cost recovery is
    negative here: more recovery lowers the cost, but it rises with a's unit cost. The
    shares are each parameter's gain in R^2 averaged over every order of adding the
    three (computed here from the draws by least squares): never negative, adding up
    to R^2."""
    import itertools

    loadout = load_scenario(scenario_file(CORRELATED_COSTS))
    plan = {"a": [60.0], "b": [20.0]}
    sim = simulate(loadout, plan)
    d = scenario_draws(loadout.scenario, 20_000, 5)
    names = ["levers.a.cost_recovery", "levers.a.unit_cost", "levers.b.unit_cost"]
    cost = 60 * d["levers.a.unit_cost"] * (1 - d["levers.a.cost_recovery"]) \
        + 20 * d["levers.b.unit_cost"]
    z = np.column_stack([(d[n] - d[n].mean()) / d[n].std() for n in names])
    zy = (cost - cost.mean()) / cost.std()
    corr = z.T @ zy / cost.size
    beta = np.linalg.lstsq(z.T @ z / cost.size, corr, rcond=None)[0]
    assert beta[0] * corr[0] < -0.01  # the old "share": negative
    want = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(range(3)))
    for order in orders:
        for j, i in enumerate(order):
            before = [d[names[k]] for k in order[:j]]
            want[names[i]] += (_r2([*before, d[names[i]]], cost) - _r2(before, cost)) / len(orders)
    got = {dr.parameter: dr.cost_share for dr in sim.drivers}
    for n in names:
        assert got[n] == pytest.approx(want[n], abs=1e-9)
        assert got[n] >= 0
    assert sim.cost_r_squared == pytest.approx(_r2([d[n] for n in names], cost), abs=1e-9)
    assert sum(got.values()) == pytest.approx(sim.cost_r_squared, abs=1e-12)
    text = SIMULATION_RENDERERS["table"](sim)
    assert "share of cost variance (Shapley)" in text and "Pratt" not in text


def test_drivers_are_named_drivers_of_the_exports(scenario_file: Write) -> None:
    """The driver table describes the spread of the exports: it says so, in the
    command line's text and Markdown and in the report's Risk section."""
    from optimizer.present.views.risk import drivers_table

    loadout = load_scenario(scenario_file(UNCERTAIN))
    sim = simulate(loadout, samples=2000)
    for fmt in ("table", "markdown"):
        text = SIMULATION_RENDERERS[fmt](sim)
        assert "What drives the exports" in text and "drives the shortfall" not in text
    table = drivers_table(sim)
    assert table.title == "What drives the exports"
    assert "not of the shortfall" in table.caption
    # the exports' Spearman correlations, as scipy computes them from the same draws
    import scipy.stats

    d = scenario_draws(loadout.scenario, 2000, loadout.scenario.uncertainty.seed)
    exports = evaluate(loadout.scenario, sim.units, d, 2000).exports[-1]
    a = next(dr for dr in sim.drivers if dr.parameter == "levers.a.yield_per_unit")
    assert a.spearman == pytest.approx(
        scipy.stats.spearmanr(d["levers.a.yield_per_unit"], exports).statistic, abs=1e-9)


NEVER = """
    name: out of reach
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: {dist: uniform, low: 1, high: 2}}
    uncertainty: {samples: 1500, seed: 2}
"""


@pytest.mark.parametrize(("units", "edge"), [(10.0, "none"), (200.0, "all")])
def test_a_probability_no_sample_moves_has_a_95_percent_bound_not_a_zero_error(
        scenario_file: Write, units: float, edge: str) -> None:
    """10 units export 10 to 20, never the 100 asked; 200 units always reach it. The
    samples show no spread, so a standard error of 0 would claim certainty: the bound is
    1 - 0.05^(1/N) (the rule of three: about 3/N) from above, 0.05^(1/N) from below."""
    from optimizer.present.views.risk import goals_table

    sim = simulate(load_scenario(scenario_file(NEVER)), {"a": [units]})
    t = sim.target
    n = 1500
    if edge == "none":
        assert t.probability == 0 and t.bound == pytest.approx(1 - 0.05 ** (1 / n), rel=1e-12)
        assert t.bound == pytest.approx(3 / n, rel=0.01)
        line = "none of the 1,500 samples, seed 2 reach it: below 0.2% with 95% confidence"
    else:
        assert t.probability == 1 and t.bound == pytest.approx(0.05 ** (1 / n), rel=1e-12)
        line = "all 1,500 samples, seed 2 reach it: at least 99.8% with 95% confidence"
    text = SIMULATION_RENDERERS["table"](sim)
    assert line in text and "standard error 0" not in text
    row = goals_table(sim).rows[-1]
    assert row[-2] is None and row[-1] == ("under 0.2%" if edge == "none" else "at least 99.8%")


def test_a_shortfall_fewer_than_one_sample_in_ten_shows_is_not_printed_as_zero(
        scenario_file: Write) -> None:
    """100 units of a uniform(1, 3) yield miss 110 in about 5% of samples: the shortfall's
    P90 is 0, so 'the worst 10%' says nothing; the line gives the share that falls short,
    their mean shortfall and the worst, from the draws by hand."""
    loadout = load_scenario(scenario_file("""
        name: rarely short
        target: {exports: 110}
        levers:
          a: {unit_cost: 1, yield_per_unit: {dist: uniform, low: 1, high: 3}}
        uncertainty: {samples: 4000, seed: 8}
    """))
    sim = simulate(loadout, {"a": [100.0]})
    y = scenario_draws(loadout.scenario, 4000, 8)["levers.a.yield_per_unit"]
    exports = 100 * y
    short = exports < 110 * (1 - 1e-9)
    missed = 110 - exports[short]
    assert 0.03 < short.mean() < 0.07 and sim.shortfall.p90 == 0
    assert sim.shortfall_when_short is not None
    assert sim.shortfall_when_short.mean == pytest.approx(missed.mean(), rel=1e-12)
    assert sim.shortfall_when_short.high == pytest.approx(missed.max(), rel=1e-12)
    data = json.loads(SIMULATION_RENDERERS["json"](sim))
    assert data["shortfall_when_short"]["mean"] == pytest.approx(missed.mean(), rel=1e-9)
    text = SIMULATION_RENDERERS["table"](sim)
    assert "or more in the worst 10%" not in text
    from optimizer.numbers.exact import money, share

    assert (f"the {share(short.mean())} of samples that fall short miss by "
            f"{money(missed.mean(), 'USD', 0)} on average, {money(missed.max(), 'USD', 0)} "
            "at worst.") in text


def test_reoptimised_cost_percentiles_count_samples_without_a_plan_as_infinite() -> None:
    """Ten samples, three without a plan (the dearest, in effect): P90 falls among them.
    The percentiles over all ten, a missing plan as +inf, against NumPy's; the mean and
    percentiles over the seven with a plan, stated apart."""
    from optimizer.present.formats.simulate import render_reoptimized_table
    from optimizer.results.reoptimized import Reoptimized

    costs = (5.0, None, 3.0, 9.0, None, 1.0, 7.0, None, 2.0, 4.0)
    r = Reoptimized(samples=10, seed=1, costs=costs, shares={"a": (1.0,) * 10},
                    statuses=tuple("infeasible" if c is None else "optimal" for c in costs),
                    seconds=1.0, solves_per_second=10.0)
    summary = reoptimized_summary(r)
    every = np.array([np.inf if c is None else c for c in costs])
    kept = np.array([c for c in costs if c is not None])
    with np.errstate(invalid="ignore"):
        for q in (10, 50, 90):
            want = float(np.percentile(every, q))
            got = summary["cost"][f"p{q}"]
            assert got == want or (math.isinf(got) and not math.isfinite(want))
            assert summary["cost_with_plan"][f"p{q}"] == pytest.approx(np.percentile(kept, q))
    assert summary["cost"]["p90"] == math.inf and math.isfinite(summary["cost"]["p50"])
    assert summary["cost_with_plan"]["mean"] == pytest.approx(kept.mean())
    assert summary["infeasible"] == 3
    text = render_reoptimized_table(r, "s", "USD")
    assert "over all 10 samples, one without a plan counted as infinitely dear" in text
    assert "P90 no plan" in text and "Over the 7 samples with a plan only" in text
