"""The tornado moves every number of the file that can move the optimum (issue 12 item 2).

Each move's two figures are checked against the scenario with that value moved,
written separately (the file's text with the value set, validated anew) and solved
by ``tests.reference.reference_solve`` (scipy.optimize.milp), and on two scenarios
against arithmetic by hand. Every numeric field of the shipped files appears: moved,
or listed as left alone with the reason.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

import pytest

from optimizer.analyses.tornado import moves, tornado, unmoved
from optimizer.results import Swing
from optimizer.scenario import Loadout, load_scenario, loadouts
from optimizer.scenario.loader import load_yaml_text
from tests.clirun import invoke
from tests.reference import reference_solve

ROOT = Path(__file__).resolve().parents[1]
THREE_YEAR = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"


def _loaded(text: str, sets: list[tuple[str, Any]] | None = None) -> Loadout:
    return loadouts(load_yaml_text(textwrap.dedent(text)), sets or [])[0]


def _by_path(lo: Loadout, share: float = 0.2) -> dict[str, Swing]:
    return {w.parameter: w for w in tornado(lo, share=share, workers=1)}


# every kind of number a lever, the target and the budget can set, over three
# periods: lags, attrition, a cap per period, a concave curve, costs by period and
# in rupees, cost recovery, milestones, per-period budget caps, a discount rate
KINDS = """
    name: every kind
    currency: USD
    exchange_rates: {PKR: 200}
    periods: [2024, 2025, 2026]
    discount_rate: 10%
    target:
      exports: 1000
      baseline: 300
      includes_baseline: true
      milestones: {2025: 300}
    budget:
      per_period: {2025: 1500}
    levers:
      a:
        unit_cost: 2000 PKR
        unit_cost_by_period: {2025: 12}
        yield_per_unit: 1
        attrition: 10%
        lag: 1
        max_units_per_period: 150
      b:
        unit_cost: 4
        cost_recovery: 25%
        recurring_cost: 1
        yield_curve: [[0, 0], [200, 300], [400, 400]]
      c:
        unit_cost: 30
        yield_per_unit: 2
        fixed_cost: 50
        max_units: 100
"""

NEW_KINDS = ("levers.a.lag", "levers.a.attrition", "levers.a.max_units_per_period",
             "levers.a.unit_cost_by_period.2025", "levers.b.yield_curve",
             "levers.b.cost_recovery", "target.milestones.2025", "budget.per_period.2025",
             "discount_rate", "exchange_rates.PKR", "target.baseline")


def _moved_text(path: str, value: float) -> list[tuple[str, Any]]:
    """The override that writes ``value`` into the file at ``path`` (a curve: every
    breakpoint's exports scaled to the moved last one)."""
    if path == "levers.b.yield_curve":
        return [(path, [[0, 0], [200, 300 * value / 400], [400, value]])]
    if path.endswith(".lag"):
        return [(path, int(value))]
    return [(path, value)]


# the same, for the most exports within a ceiling of 4,000
MOST_EXPORTS = KINDS.replace("per_period: {2025: 1500}",
                             "per_period: {2025: 1500}\n      ceiling: 4000") + """
    objective: max_exports
"""


def _objective(ref: Any, objective: str) -> float | None:
    return ref.discounted_cost if objective == "min_cost" else ref.lever_exports


@pytest.mark.parametrize("text", [KINDS, MOST_EXPORTS], ids=["min_cost", "max_exports"])
def test_each_kind_of_parameter_moves_as_an_independent_solve_of_the_moved_file(
        text: str) -> None:
    lo = _loaded(text)
    objective = lo.scenario.objective
    swings = _by_path(lo)
    kinds = NEW_KINDS if objective == "min_cost" else \
        tuple(k for k in NEW_KINDS if k != "target.baseline")
    assert set(kinds) <= set(swings), sorted(set(kinds) - set(swings))
    base = _objective(reference_solve(lo.scenario), objective)
    assert base is not None
    for path, w in swings.items():
        for value, got in ((w.low, w.objective_low), (w.high, w.objective_high)):
            if value == w.value:  # moved one way only: the optimum's own figure
                assert w.note and got == pytest.approx(base, rel=1e-6), path
                continue
            ref = _objective(reference_solve(_loaded(text, _moved_text(path, value)).scenario),
                             objective)
            if ref is None:
                assert got is None, (path, value, got)
            else:
                assert got == pytest.approx(ref, rel=1e-6), (path, value)
    # the figures are not the base everywhere: each new kind moves this answer
    for path in kinds if objective == "min_cost" else ():
        assert swings[path].swing > 1e-6, path
    if objective == "max_exports":  # the target does not move the most exports
        assert {"target.exports", "target.baseline"} <= {u.parameter for u in unmoved(lo)}
    ordered = [w.swing for w in swings.values()]
    assert ordered == sorted(ordered, reverse=True)


def test_shares_and_lags_move_only_the_feasible_way_and_say_so() -> None:
    lo = _loaded("""
        name: bounds
        periods: [1, 2]
        target: {exports: 100}
        levers:
          a: {unit_cost: 10, yield_per_unit: 2, cost_recovery: 90%}
    """)
    w = _by_path(lo)
    recovery = w["levers.a.cost_recovery"]
    # hand: 50 units at 10 less 90% = 50; 72% recovered: 50 * 10 * 0.28 = 140
    assert (recovery.low, recovery.high) == (pytest.approx(0.72), 0.9)
    assert recovery.objective_low == pytest.approx(140)
    assert recovery.objective_high == pytest.approx(50)
    assert "moved down only" in recovery.note
    lag = w["levers.a.lag"]
    # hand: with a lag of 1, only units funded in period 1 export in period 2: the
    # same 50 units in period 1 (undiscounted), so the cost stays 50
    assert (lag.low, lag.high) == (0, 1) and "lag cannot be below 0" in lag.note
    assert lag.objective_low == pytest.approx(50) and lag.objective_high == pytest.approx(50)


def test_hand_solved_two_periods() -> None:
    """Two periods, discount 10%: a unit funded in period 1 costs 11 and keeps 90%
    of itself into period 2 (12.22 a unit active there); one funded in period 2
    costs 11 / 1.1 = 10. So period 2 funds up to its cap of 60 (spend 660 within
    the 700 cap of period 2) and period 1 the rest: 40 / 0.9 = 44.44 units.
    Cost 44.44 * 11 + 60 * 10 = 1,088.89."""
    lo = _loaded("""
        name: hand
        periods: [1, 2]
        discount_rate: 10%
        target: {exports: 100}
        budget: {per_period: {2: 700}}
        levers:
          a: {unit_cost: 11, yield_per_unit: 1, attrition: 10%, max_units_per_period: 60}
    """)
    w = _by_path(lo)
    base = 40 / 0.9 * 11 + 600

    def ends(path: str) -> tuple[float | None, float | None]:
        return w[path].objective_low, w[path].objective_high

    # cap per period 48: at most 0.9 * 48 + 48 = 91.2 active in period 2, short of
    # 100: no plan. 72: period 2 would fund 72, but its budget cap of 700 holds it
    # to 700 / 11 = 63.64 units; period 1 the rest
    x2 = 700 / 11
    assert ends("levers.a.max_units_per_period") == (
        None, pytest.approx((100 - x2) / 0.9 * 11 + x2 * 10))
    # attrition 8%: 40 / 0.92 * 11 + 600; 12%: 40 / 0.88 * 11 + 600
    assert ends("levers.a.attrition") == (pytest.approx(40 / 0.92 * 11 + 600),
                                          pytest.approx(40 / 0.88 * 11 + 600))
    # discount 8%: period 2 units cost 11 / 1.08; 12%: 11 / 1.12 (still the cheaper)
    assert ends("discount_rate") == (pytest.approx(40 / 0.9 * 11 + 60 * 11 / 1.08),
                                     pytest.approx(40 / 0.9 * 11 + 60 * 11 / 1.12))
    # period 2's cap at 560: 560 / 11 = 50.91 units there, the rest in period 1;
    # at 840 it does not bind
    x2 = 560 / 11
    assert ends("budget.per_period.2") == (pytest.approx((100 - x2) / 0.9 * 11 + x2 * 10),
                                           pytest.approx(base))
    # lag 1: only period 1's units export in period 2, and its cap of 60 holds
    # fewer than the 100 needed: no plan
    assert w["levers.a.lag"].objective_high is None
    assert math.isinf(w["levers.a.lag"].swing)


def _numeric_paths(data: Any, path: str = "") -> list[str]:
    """Every number in a scenario's data, by field path (a curve's points as the curve)."""
    if isinstance(data, bool) or data is None:
        return []
    if isinstance(data, int | float):
        return [path]
    if isinstance(data, dict):
        return [p for k, v in data.items()
                for p in _numeric_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(data, list | tuple):
        if path.endswith("yield_curve"):
            return [path]
        return [p for i, v in enumerate(data) for p in _numeric_paths(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("config", ["pakistan_it_exports_3yr.yaml", "pakistan_it_exports.yaml"])
def test_every_number_of_a_shipped_file_is_moved_or_left_with_a_reason(config: str) -> None:
    lo = load_scenario(ROOT / "configs" / config)
    data = lo.scenario.model_dump(exclude={"variants"})
    data["uncertainty"].pop("parameters")  # the loader's copies of the distributions
    data.pop("periods")  # labels (2024), not amounts
    numbers = set(_numeric_paths(data))
    found, alone = moves(lo, 0.2)
    moved = {m.parameter for m in found}
    left = {u.parameter: u.reason for u in alone}
    assert not moved & set(left)
    assert numbers <= moved | set(left), sorted(numbers - moved - set(left))
    assert all(left.values())
    # a constraint's numbers live in its expression: listed too
    assert {f"constraints[{i}]" for i in range(len(lo.scenario.constraints))} <= set(left)


def test_three_year_tornado_ranks_the_training_capacity() -> None:
    """The done-when figure of issue 12: the cap of 80,000 workers trained a year,
    20% down, costs 309.7M against 178.5M (discounted), the same as the file with
    64,000 written in it solved by the reference; explain's JSON names it in words."""
    code, out, err = invoke("explain", "--config", THREE_YEAR, "--sections", "tornado",
                            "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    rows = data["tornado"]["parameters"]
    cap = next(p for p in rows if p["parameter"] == "levers.it_workforce.max_units_per_period")
    assert cap["low"] == 64_000 and cap["objective_low"] == pytest.approx(309_740_993, rel=1e-8)
    assert data["result"]["discounted_cost"] == pytest.approx(178_459_317, rel=1e-8)
    ref = reference_solve(load_scenario(THREE_YEAR, [(cap["parameter"], 64_000)]).scenario)
    assert cap["objective_low"] == pytest.approx(ref.discounted_cost, rel=1e-6)
    assert cap["name"] == "Additional IT workforce trained and placed: cap on units funded a period"
    finite = [p["parameter"] for p in rows
              if p["objective_low"] is not None and p["objective_high"] is not None]
    assert finite.index(cap["parameter"]) < 5  # among the few that move the answer most
    lag = next(p for p in rows if p["parameter"] == "levers.erozgar_centers.lag")
    assert "moved up only" in lag["note"] and lag["low"] == lag["value"] == 0


def test_what_is_left_alone_cannot_move_the_optimum() -> None:
    """Each number left alone for a reason other than being 0 or a sampling setting,
    moved by 20% in the file's text, leaves the reference's optimum where it was."""
    text = """
        name: left alone
        periods: [1, 2]
        target: {exports: 100, baseline: 40}
        levers:
          a: {unit_cost: 10, unit_cost_by_period: {1: 9, 2: 12}, yield_per_unit: 2}
          b: {unit_cost: 3, yield_per_unit: 1, enabled: false, max_units: 10}
          c: {unit_cost: 5, yield_per_unit: 9, yield_curve: [[0, 0], [10, 40]]}
    """
    lo = _loaded(text)
    left = {u.parameter: u.reason for u in unmoved(lo)}
    assert left["levers.a.unit_cost"] == "unit_cost_by_period sets every period's cost"
    assert left["levers.c.yield_per_unit"] == "the lever's yield_curve replaces it"
    assert left["target.baseline"].startswith("the target counts lever exports only")
    assert {"levers.b.unit_cost", "levers.b.yield_per_unit", "levers.b.max_units"} <= set(left)
    base = reference_solve(lo.scenario).discounted_cost
    # hand: c's curve gives 40 for 10 units (50); a gives the other 60 at 9 a unit
    # funded in period 1 (2 exports each): 30 units, 270; 320 in all
    assert base == pytest.approx(320)
    checked = [p for p, why in left.items() if not why.startswith(("0:", "read only"))]
    assert {"levers.a.unit_cost", "levers.c.yield_per_unit", "target.baseline",
            "levers.b.unit_cost", "levers.b.max_units"} <= set(checked)
    for path in checked:
        value = lo.scenario.model_dump()
        for part in path.split("."):
            value = value[part]
        moved = reference_solve(_loaded(text, _moved_text(path, value * 1.2)).scenario)
        assert moved.discounted_cost == pytest.approx(base), path


def test_a_move_that_makes_the_file_invalid_is_made_the_other_way_only() -> None:
    """A floor on spend written in rupees: 300 PKR, 1.5 USD at 200 PKR per USD, under a
    cap of 2 USD. Moved by half: at 100 PKR per USD the floor is 3 USD, above the cap,
    and the file is not valid (max_spend must be >= min_spend), so the rate moves up
    only; the floor itself moves down only (2.25 USD passes the cap).

    Hand: 20 units needed; at 200 PKR per USD a unit costs 0.1 USD, 2 USD in all (the
    cap); at 300, 1/15 USD, 1.33 USD in all (above the floor of 1 USD)."""
    lo = _loaded("""
        name: rates
        exchange_rates: {PKR: 200}
        target: {exports: 20}
        levers:
          a: {unit_cost: 20 PKR, yield_per_unit: 1, min_spend: 300 PKR, max_spend: 2}
    """)
    w = _by_path(lo, share=0.5)
    rate = w["exchange_rates.PKR"]
    assert (rate.low, rate.high) == (200, 300)
    assert "moved up only: at 100 the file is not valid (levers.a.max_spend: must be >= " \
           "min_spend (3) (got 2))" in rate.note
    assert rate.objective_low == pytest.approx(2.0)
    assert rate.objective_high == pytest.approx(20 / 15)
    floor = w["levers.a.min_spend"]
    assert (floor.low, floor.high) == (0.75, 1.5) and "moved down only" in floor.note
    assert floor.objective_low == pytest.approx(2.0) == floor.objective_high


def test_whole_units_stay_whole_and_a_lag_stays_inside_the_horizon() -> None:
    """An integer lever's cap of 7 moves to 5 and 9 (5.6 and 8.4 would not be valid for
    it); a lag of 1 over two periods moves down only (2 is past the horizon).
    Hand: 10 exports needed in period 2, a exports 1 a unit and costs 1, at most 7
    units (lag 1: funded in period 1); b costs 3 a unit: 7 + 3 * 3 = 16. With 5 units of
    a, 5 + 5 * 3 = 20; with 9, 9 + 1 * 3 = 12; with a's lag 0, the same 16."""
    lo = _loaded("""
        name: whole
        periods: [1, 2]
        target: {exports: 10}
        levers:
          a: {unit_cost: 1, yield_per_unit: 1, max_units: 7, integer: true, lag: 1}
          b: {unit_cost: 3, yield_per_unit: 1}
    """)
    w = _by_path(lo)
    cap = w["levers.a.max_units"]
    assert (cap.low, cap.high) == (5, 9)
    assert (cap.objective_low, cap.objective_high) == (pytest.approx(20), pytest.approx(12))
    lag = w["levers.a.lag"]
    assert (lag.low, lag.high) == (0, 1) and "moved down only: at 2 the file is not " \
        "valid (levers.a.lag: must be below the horizon of 2 periods (got 2))" in lag.note
    assert lag.objective_low == pytest.approx(16) == lag.objective_high
