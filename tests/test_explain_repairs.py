"""explain, second part: checks before solving, repairs that move limits together
(--relax), the plan at each near-optimal extreme, interchangeable levers, and LP duals
beside re-solved worth. Each case is small enough to solve by hand."""

from __future__ import annotations

import json
import random
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from scipy.optimize import linprog

from optimizer.analyses.explain import explain, joint_repair, repairs_for, room
from optimizer.analyses.worth import worth_of
from optimizer.plan.precheck import precheck
from optimizer.results import Repair
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path




# --- before solving: one scenario per finding ----------------------------------------

MINIMUMS = """\
    name: minimums over the ceiling
    target: {exports: 10}
    budget: {ceiling: 80}
    levers:
      a: {unit_cost: 5, yield_per_unit: 1, min_units: 10, max_units: 100}
      b: {unit_cost: 10, yield_per_unit: 1, fixed_units: 4}
    """
LOCK_OVER_SPEND = """\
    name: a lock above its own spend cap
    target: {exports: 1}
    levers:
      a: {unit_cost: 5, yield_per_unit: 1, fixed_units: 10, max_spend: 30}
    """
REACH = """\
    name: caps below the target
    target: {exports: 40}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, max_units: 10}
      b: {unit_cost: 1, yield_per_unit: 3, max_units: 5}
    """
EXCLUDED_LOCKS = """\
    name: locked levers that exclude each other
    target: {exports: 1}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, fixed_units: 1, max_units: 5, excludes: [b]}
      b: {unit_cost: 1, yield_per_unit: 1, min_units: 1, max_units: 5}
    """
REQUIRES_ZERO = """\
    name: forced on, requires a lever held at 0
    target: {exports: 1}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, min_units: 2, max_units: 5, requires: [b]}
      b: {unit_cost: 1, yield_per_unit: 1, max_units: 0}
    """


@pytest.mark.parametrize(("text", "expected"), [
    (MINIMUMS, "the levers' minimums cost at least 90 USD, above budget.ceiling (80 USD): "
               "levers.a.min_units (50 USD), levers.b.fixed_units (40 USD)"),
    (LOCK_OVER_SPEND, "levers.a.fixed_units (10) costs at least 50 USD, above "
                      "levers.a.max_spend (30 USD)"),
    (REACH, "target.exports: the levers must add 40 USD, but even each lever at its own "
            "cap (or with the whole ceiling) adds at most 35 USD"),
    (EXCLUDED_LOCKS, "levers.a.excludes: a and b are both forced on (levers.a.fixed_units, "
                     "levers.b.min_units) but exclude each other"),
    (REQUIRES_ZERO, "levers.a.requires: a is forced on (levers.a.min_units) and requires b, "
                    "held at 0 by levers.b.max_units"),
], ids=["minimums", "lock_over_spend", "reach", "excluded_locks", "requires_zero"])
def test_each_precheck_names_its_fields_and_optimize_exits_3(
        tmp_path: Path, text: str, expected: str) -> None:
    from optimizer.plan.precheck import findings

    path = write(tmp_path, text)
    assert precheck(load_scenario(path).scenario) == [expected]
    # the finding is data first; optimizer.results.messages words it
    assert len(findings(load_scenario(path).scenario)) == 1
    out = tmp_path / "out"
    code, stdout, stderr = invoke("--config", path, "--format", "json", "--output", out)
    assert code == 3
    message = json.loads(stdout)["message"]
    assert f"Before solving: {expected}." in message
    assert "Traceback" not in stderr


def test_precheck_findings_are_data_with_the_figures_by_hand(tmp_path: Path) -> None:
    from optimizer.plan.precheck import findings
    from optimizer.results import FloorOverMaxSpend, MinimumsOverCeiling, ReachBelowTarget

    assert findings(load_scenario(write(tmp_path, MINIMUMS)).scenario) == [
        MinimumsOverCeiling(90.0, 80.0, (("levers.a.min_units", 50.0),
                                         ("levers.b.fixed_units", 40.0)))]
    assert findings(load_scenario(write(tmp_path, LOCK_OVER_SPEND)).scenario) == [
        FloorOverMaxSpend("levers.a.fixed_units", 10.0, 50.0, 30.0)]
    assert findings(load_scenario(write(tmp_path, REACH)).scenario) == [
        ReachBelowTarget(40.0, 35.0)]


def test_shipped_scenarios_pass_every_precheck() -> None:
    for name in ("pakistan_it_exports.yaml", "pakistan_it_exports_3yr.yaml"):
        assert precheck(load_scenario(ROOT / "configs" / name).scenario) == []


# --- repairs that move several limits ------------------------------------------------

TWO_CAPS = """\
    name: two caps and a ceiling
    target: {exports: 100}
    budget: {ceiling: 80}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1, max_units: 40}
      b: {unit_cost: 1, yield_per_unit: 1, max_units: 40}
    """


def test_joint_repair_loosens_each_limit_by_the_same_share_of_itself(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CAPS)
    loadout = load_scenario(path)
    names = ["budget.ceiling", "levers.a.max_units", "levers.b.max_units"]
    joint = joint_repair(loadout, names)
    assert joint is not None
    # hand: 100 exports need a + b >= 100 and the ceiling >= 100; the least t with
    # 80(1+t) >= 100 and 2 x 40(1+t) >= 100 is 0.25: ceiling 100, caps 50 each
    assert joint.share == pytest.approx(0.25, rel=1e-5)
    got = {r.limit: r.needed for r in joint.moves}
    assert got == pytest.approx({"budget.ceiling": 100.0, "levers.a.max_units": 50.0,
                                 "levers.b.max_units": 50.0}, rel=1e-5)
    fixed = solve_scenario(load_scenario(path, list(got.items())))
    assert fixed.status == "optimal"
    # each limit at 99.9% of its move leaves it infeasible: none could stay put
    for name, value in got.items():
        short = dict(got)
        short[name] = 40 + (value - 40) * 0.999 if "units" in name else 80 + 20 * 0.999
        assert solve_scenario(load_scenario(path, list(short.items()))).status == \
            "infeasible", name


def test_joint_repair_drops_a_limit_that_need_not_move(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CAPS.replace("budget: {ceiling: 80}", "budget: {ceiling: 1000}"))
    joint = joint_repair(load_scenario(path),
                         ["budget.ceiling", "levers.a.max_units", "levers.b.max_units"])
    assert joint is not None
    assert [r.limit for r in joint.moves] == ["levers.a.max_units", "levers.b.max_units"]
    assert joint.share == pytest.approx(0.25, rel=1e-5)


def test_relax_ranks_the_limits_and_the_printed_repair_runs(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CAPS)
    code, stdout, _ = invoke("--config", path, "--format", "json",
                             "--relax", "levers.a.max_units,budget.ceiling")
    assert code == 3
    message = json.loads(stdout)["message"]
    # a alone cannot do it (the ceiling of 80 holds); a and the ceiling together:
    # 40(1+t) + 40 >= 100 and 80(1+t) >= 100 -> t = 0.5: a 60, ceiling 120 -> the
    # ceiling only needs 100, but both move by the same share of themselves
    line = next(x for x in message.splitlines() if x.startswith("With --relax"))
    assert line == ("With --relax levers.a.max_units,budget.ceiling (in that order of "
                    "preference): raise levers.a.max_units from 40 to 60 and raise "
                    "budget.ceiling from 80 USD to 120 USD (each by 50.00% of its value).")
    code, _, err = invoke("--config", path, "--set", "levers.a.max_units=60",
                          "--set", "budget.ceiling=120")
    assert code == 0, err
    code, stdout, _ = invoke("explain", "--config", path, "--format", "json",
                             "--relax", "levers.a.max_units,budget.ceiling")
    assert code == 3
    joint = json.loads(stdout)["joint_repair"]
    assert joint["allowed"] == ["levers.a.max_units", "budget.ceiling"]
    assert {m["limit"]: m["needed"] for m in joint["moves"]} == pytest.approx(
        {"levers.a.max_units": 60.0, "budget.ceiling": 120.0}, rel=1e-5)


def test_relax_with_an_unknown_field_exits_2_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_CAPS)
    code, stdout, stderr = invoke("--config", path, "--relax", "levers.a.max_unit")
    assert code == 2
    assert stdout == ""
    assert "--relax: not a limit with a value" in stderr
    assert "'levers.a.max_unit'" in stderr and str(path) in stderr
    assert "Traceback" not in stderr


def test_explain_output_carries_prechecks_and_joint_repair(tmp_path: Path) -> None:
    path = write(tmp_path, REACH)
    code, stdout, _ = invoke("explain", "--config", path)
    assert code == 3
    assert "Before solving: what the file's own arithmetic shows:" in stdout
    # hand: caps give 20 + 15 = 35 of 40; both caps up by t: 35(1+t) = 40, t = 1/7
    assert ("raise levers.a.max_units from 10 to 11.4286 and raise levers.b.max_units "
            "from 5 to 5.71429 (each by 14.29% of its value)") in stdout


# --- room to negotiate: the plan at each extreme, interchangeable levers ---------------

NEAR_TWINS = """\
    name: near twins
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: 1}
      b: {unit_cost: 1.02, yield_per_unit: 1}
      c: {unit_cost: 5, yield_per_unit: 1, max_units: 10}
    """


def _extreme(c: list[float], sense: int) -> float:
    """min (sense 1) or max (-1) of c.x over a + b + c >= 100, a + 1.02b + 5c <= 105."""
    got = linprog([sense * v for v in c], A_ub=[[-1, -1, -1], [1, 1.02, 5]], b_ub=[-100, 105],
                  bounds=[(0, None), (0, None), (0, 10)], method="highs")
    assert got.status == 0
    return sense * got.fun


def test_room_extremes_and_classes_match_an_independent_lp(tmp_path: Path) -> None:
    rooms = {r.lever: r for r in room(load_scenario(write(tmp_path, NEAR_TWINS)), slack=0.05)}
    for i, lid in enumerate("abc"):
        unit = [float(i == j) for j in range(3)]
        assert rooms[lid].low == pytest.approx(_extreme(unit, 1), abs=1e-6)
        assert rooms[lid].high == pytest.approx(_extreme(unit, -1), rel=1e-6)
    # hand: optimum a = 100 (cost 100); within 105, a can drop to 0 if b takes its
    # place (b = 100 costs 102): a is interchangeable with b; b (0 in the optimum)
    # can come in with nothing making way: optional; c costs 5 an export: at most 1.25
    assert (rooms["a"].kind, rooms["a"].substitutes) == ("interchangeable", ("b",))
    assert rooms["b"].kind == "optional"
    assert rooms["c"].high == pytest.approx(1.25, rel=1e-6)
    # the plan at an extreme is the cheapest holding the lever there
    assert rooms["a"].plan_low == pytest.approx({"a": 0.0, "b": 100.0, "c": 0.0}, abs=1e-6)
    assert rooms["a"].plan_high == pytest.approx({"a": 105.0, "b": 0.0, "c": 0.0}, rel=1e-6)
    assert rooms["b"].plan_high == pytest.approx({"a": 0.0, "b": 105 / 1.02, "c": 0.0},
                                                 rel=1e-6)


def test_room_plans_are_in_the_explain_json(tmp_path: Path) -> None:
    code, stdout, _ = invoke("explain", "--config", write(tmp_path, NEAR_TWINS), "--format",
                             "json", "--sections", "room")
    assert code == 0
    a = next(r for r in json.loads(stdout)["room"]["levers"] if r["lever"] == "a")
    assert a["kind"] == "interchangeable" and a["substitutes"] == ["b"]
    assert a["plan_at_low"]["b"] == pytest.approx(100.0, rel=1e-6)


# --- shadow prices: the LP's dual beside the re-solved difference ----------------------

LP_PRICES = """\
    name: lp prices
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, max_units: 30}
      b: {unit_cost: 3, yield_per_unit: 1}
    """


def test_lp_duals_equal_finite_differences(tmp_path: Path) -> None:
    loadout = load_scenario(write(tmp_path, LP_PRICES))
    result = solve_scenario(loadout)
    assert result.total_cost == pytest.approx(150.0)  # a 30 (60 exports), b 40
    worth = {w.limit: w for w in worth_of(loadout, result)}
    # hand: one more unit of a gives 2 exports, 2 fewer b: saves 6, costs 1 -> -5;
    # one export less of the target saves one third of a b... 3 per export
    # (the re-solves move 5% either way: 1.5 units of a, 5 of the target, on one segment)
    assert worth["levers.a.max_units"].dual == pytest.approx(-5.0, rel=1e-9)
    assert worth["levers.a.max_units"].loosen_per_unit == pytest.approx(5.0, rel=1e-6)
    assert worth["levers.a.max_units"].tighten_per_unit == pytest.approx(5.0, rel=1e-6)
    assert worth["target.exports"].dual == pytest.approx(3.0, rel=1e-9)
    assert worth["target.exports"].loosen_per_unit == pytest.approx(3.0, rel=1e-6)
    assert worth["target.exports"].tighten_per_unit == pytest.approx(3.0, rel=1e-6)
    assert {w.dual_basis for w in worth.values()} == {"LP"}


def test_mip_duals_come_from_the_lp_with_integers_fixed_and_say_so() -> None:
    loadout = load_scenario(ROOT / "configs" / "pakistan_it_exports.yaml")
    e = explain(loadout, sections=("binding",))
    worth = {w.limit: w for w in e.worth}
    assert {w.dual_basis for w in worth.values()} == {"LP with integers fixed"}
    # retention (continuous, 0.02 a dollar of exports) is what moves at the margin
    # once the integers are fixed; the re-solve lets the workers move too: 0.0421
    assert worth["target.exports"].dual == pytest.approx(0.02, rel=1e-9)
    assert worth["target.exports"].loosen_per_unit == pytest.approx(0.0421, rel=1e-2)
    assert worth["target.exports"].tighten_per_unit == pytest.approx(0.0421, rel=1e-2)
    # centres are whole: the fixed LP holds them and prices nothing there
    assert worth["levers.erozgar_centers.max_units"].dual is None
    code, stdout, _ = invoke("explain", "--config", ROOT / "configs" /
                             "pakistan_it_exports.yaml", "--sections", "binding")
    assert code == 0
    assert "dual of the LP with integers fixed: 0.0200 USD per unit" in stdout


CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_explain_runs_on_every_shipped_config(path: Path) -> None:
    """Every extreme plan and repair is re-checked: a plan that breaks the file would
    exit 1 here."""
    code, stdout, stderr = invoke("explain", "--config", path, "--format", "json",
                                  "--sections", "infeasibility,binding,room")
    assert code == (3 if path.stem == "infeasible" else 0), stderr
    data = json.loads(stdout)
    if code == 0:
        assert data["room"]["levers"] or data["result"]["objective"] == "max_exports"
        for lever in data["room"]["levers"]:
            assert lever["low"] <= lever["high"] + 1e-9
            assert lever["plan_at_low"][lever["lever"]] == pytest.approx(lever["low"], abs=1e-6)
    else:
        assert data["joint_repair"]["moves"]


LP_MOST = """\
    name: lp most exports
    objective: max_exports
    target: {exports: 0}
    budget: {ceiling: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, max_units: 30}
      b: {unit_cost: 2, yield_per_unit: 1}
    """


def test_max_exports_duals_price_exports_and_equal_finite_differences(tmp_path: Path) -> None:
    loadout = load_scenario(write(tmp_path, LP_MOST))
    result = solve_scenario(loadout)
    # 2 x 30 + (100 - 30) / 2, less the 1e-9 the second stage may give up
    assert result.lever_exports == pytest.approx(95.0, rel=2e-9)
    worth = {w.limit: w for w in worth_of(loadout, result)}
    # hand: one more unit of a adds 2 exports and takes 1 from b's money (0.5
    # exports): 1.5; each 1 of ceiling buys half a unit of b: 0.5
    assert worth["levers.a.max_units"].dual == pytest.approx(1.5, rel=1e-9)
    assert worth["levers.a.max_units"].loosen_per_unit == pytest.approx(1.5, rel=1e-5)
    assert worth["levers.a.max_units"].tighten_per_unit == pytest.approx(1.5, rel=1e-5)
    assert worth["budget.ceiling"].dual == pytest.approx(0.5, rel=1e-9)
    assert worth["budget.ceiling"].loosen_per_unit == pytest.approx(0.5, rel=1e-5)
    assert worth["budget.ceiling"].tighten_per_unit == pytest.approx(0.5, rel=1e-5)
    assert {w.dual_basis for w in worth.values()} == {"LP"}


@pytest.mark.parametrize("lie_every", [1, 2, 3])
def test_repairs_found_on_lying_screens_equal_the_honest_ones(
        tmp_path: Path, lie_every: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repair searches bisect on screening probes (no second opinion); every
    answer shown and the infeasible end are solved in full. Here every k-th screen
    calls a move infeasible whatever it is: the repairs printed must still be the
    honest ones, found again in full. The honest figures are by hand: 100 exports
    need the ceiling at 100 (from 80) or a cap at 60 (from 40); together +25%."""
    from optimizer.analyses import explain as ex

    loadout = load_scenario(write(tmp_path, TWO_CAPS))
    result = solve_scenario(loadout)
    assert result.status == "infeasible"
    honest = ex.repairs_for(loadout, result)
    singles = {r.limit: r.needed for r in honest[1]}
    assert singles["budget.ceiling"] is None and singles["levers.a.max_units"] is None
    assert singles["target.exports"] == pytest.approx(80.0, rel=1e-6)
    assert honest[2] is not None and honest[2].share == pytest.approx(0.25, rel=1e-5)

    real = ex._Probes.screened
    calls = {"screen": 0, "lies": 0}

    def lying(self: ex._Probes, s: object) -> bool:
        calls["screen"] += 1
        if calls["screen"] % lie_every == 0:
            calls["lies"] += 1
            return False
        return real(self, s)  # type: ignore[arg-type]

    monkeypatch.setattr(ex._Probes, "screened", lying)
    assert ex.repairs_for(loadout, result) == honest
    assert calls["lies"] > 0


# --- a printed repair, typed back, solves (issue: repairs rounded to the wrong side) ---

KNIFE_EDGE = """\
    name: a ceiling that buys 18,986,297.96 of exports
    target: {exports: 262777109}
    budget: {ceiling: 949165.86}
    levers:
      a: {unit_cost: 3681, yield_per_unit: 53777.8, max_units: 24954.94}
      b: {unit_cost: 3311.68, yield_per_unit: 66244}
    """


def test_a_repair_rounds_toward_feasibility_and_typed_back_it_solves(tmp_path: Path) -> None:
    """The ceiling buys at most 949,165.86 / 3,311.68 x 66,244 = 18,986,297.96 of
    exports (b is the better lever): the target must come down to 18,986,297, not the
    18,986,298 a rounding half up printed (typed back, that was infeasible)."""
    from optimizer.results.messages import repair_sentence

    path = write(tmp_path, KNIFE_EDGE)
    code, out, err = invoke("explain", "--config", path)
    assert code == 3
    assert "lower target.exports from 262,777,109 USD to 18,986,297 USD (92.8%)" in out
    assert "from 949,165.86 USD to " in out  # the file's value, not 949,166 beside 949,166
    assert "infeasible: the levers must add 262,777,109 USD" in out
    loadout = load_scenario(path)
    result = solve_scenario(loadout)
    _, singles, joint = repairs_for(loadout, result)
    assert any(r.needed == 18_986_297.0 for r in singles)
    for r in singles:
        if r.needed is not None:
            assert repair_sentence(r, "USD")  # worded
            assert _typed_back(path, [r]) == 0, r
    assert joint is None or _typed_back(path, list(joint.moves)) == 0


def test_the_target_a_hair_beyond_reach_is_still_named() -> None:
    """A target within the re-check's 1e-6 of the most reachable, with no milestone at
    fault, printed "infeasible: . Held back by" (an empty reason)."""
    from optimizer.results import OutOfReach
    from optimizer.results.messages import out_of_reach

    text = out_of_reach(OutOfReach(needed=18_986_298.0, reachable=18_986_297.96,
                                   period=None, held_by=("budget.ceiling",)), "USD")
    assert text == ("infeasible: the levers must add 18,986,298 USD of exports a year, but "
                    "at most 18,986,298 USD is reachable under the ceiling, bounds and "
                    "constraints. Held back by: budget.ceiling.")


def _typed_back(path: Path, moves: list[Repair]) -> int:
    """``optimize --set LIMIT=TEXT ...`` with each repair as the message writes it."""
    from optimizer.results.messages import limit_figure

    sets = [a for r in moves if r.needed is not None
            for a in ("--set", f"{r.limit}={limit_figure(r.limit, r.needed, 'USD')}")]
    return invoke("--config", path, *sets).code


@pytest.mark.parametrize("name, up", [("target.exports", False), ("budget.ceiling", True),
                                      ("levers.a.max_units", True),
                                      ("levers.a.min_units", False),
                                      ("levers.a.unit_cost", True)])
def test_typed_values_are_written_exactly_and_on_the_feasible_side(name: str, up: bool) -> None:
    """messages.typed rounds to what limit_figure writes, toward the side asked; the
    written text, read back by the amount grammar, is the same float."""
    from optimizer.results.messages import limit_figure, typed
    from optimizer.scenario.amounts import parse_amount, parse_number

    rng = random.Random(7)
    for _ in range(2000):
        value = 10 ** rng.uniform(-5, 11) * rng.choice((1, 1 + 1e-9, 1 - 1e-9))
        shown = typed(name, value, up)
        assert (shown >= value) if up else (shown <= value), (value, shown)
        assert abs(shown - value) <= max(1.0, 1e-5 * abs(value)), (value, shown)
        text = limit_figure(name, shown, "USD")
        read = parse_amount(text, "USD", {}) if text.endswith("USD") else parse_number(text)
        assert read == shown, (value, shown, text)


def _random_infeasible(rng: random.Random) -> str | None:
    periods = rng.random() < 0.6

    def odd(lo: float, hi: float) -> float:
        return round(rng.uniform(lo, hi), rng.choice([0, 2, 4]))
    target = odd(1e6, 5e8)
    lines = ["name: random", "currency: USD"]
    if periods:
        lines += ["periods: [2024, 2025, 2026]"]
    lines += ["target:", f"  exports: {target}"]
    if periods and rng.random() < 0.8:
        lines += ["  milestones:", f"    2024: {odd(0.2, 0.9) * target:.4f}"]
    lines += ["budget:", f"  ceiling: {odd(1e4, 5e7)}"]
    if periods and rng.random() < 0.5:
        lines += ["  per_period:", f"    2024: {odd(1e3, 2e7)}"]
    lines += ["levers:"]
    for k in range(rng.randint(1, 3)):
        integer = rng.random() < 0.4
        lines += [f"  l{k}:", f"    unit_cost: {odd(1, 5000)}",
                  f"    yield_per_unit: {odd(10, 1e5)}"]
        if integer:
            lines += ["    integer: true"]
        if rng.random() < 0.7:
            lines += [f"    max_units: {rng.randint(10, 100000) if integer else odd(10, 1e5)}"]
    return "\n".join(lines) + "\n"


def test_every_printed_repair_typed_back_solves(tmp_path: Path) -> None:
    """Random infeasible files with odd amounts (cents, milestones, per-period
    budgets, integer levers): each one-limit repair and the joint repair, typed back
    through --set as the message writes them, give a proven optimum (exit 0). Before
    the repairs were rounded toward feasibility, 4 of 19 such files printed one that
    stayed infeasible."""

    rng = random.Random(11)
    checked = 0
    for i in range(40):
        path = tmp_path / f"r{i}.yaml"
        text = _random_infeasible(rng)
        assert text is not None
        path.write_text(text)
        loadout = load_scenario(path)
        result = solve_scenario(loadout)
        if result.status != "infeasible":
            continue
        _, singles, joint = repairs_for(loadout, result)
        groups = [[r] for r in singles if r.needed is not None]
        groups += [list(joint.moves)] if joint is not None else []
        for group in groups:
            assert _typed_back(path, group) == 0, (text, group)
            checked += 1
        if checked >= 25:
            break
    assert checked >= 15


BOUND_HAIR = """\
    name: a plan a hair past a bound
    target: {exports: 337499199.04}
    budget: {ceiling: 10439387.0}
    levers:
      l0: {unit_cost: 1685.46, yield_per_unit: 36234.62}
      l1: {unit_cost: 1301.77, yield_per_unit: 28088.5337, max_units: 7284.14}
      l2: {unit_cost: 3194.54, yield_per_unit: 23518.0, integer: true, max_units: 57538}
    """


def test_explain_json_stays_json_when_a_plan_sits_a_hair_past_a_bound(tmp_path: Path) -> None:
    """The repair probes here load plans 4e-14 past a column's bound back into the
    model; Pyomo logged a W1002 warning for each, to stdout, and 12 such lines broke
    `explain --format json`. Run as a planner runs it (a process of its own)."""
    import subprocess
    import sys

    path = write(tmp_path, BOUND_HAIR)
    run = subprocess.run([sys.executable, "-m", "optimizer.cli", "explain", "--config",
                          str(path), "--format", "json"], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert run.returncode == 3, run.stderr
    assert "W1002" not in run.stdout + run.stderr
    assert json.loads(run.stdout)["result"]["status"] == "infeasible"


def test_pyomo_warnings_go_to_stderr() -> None:
    import subprocess
    import sys

    code = ("import logging, optimizer.solving.engine; "
            "logging.getLogger('pyomo.core').warning('a warning from Pyomo')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.stdout == ""
    assert "a warning from Pyomo" in run.stderr


def test_the_conflict_set_is_irreducible_on_the_file_itself(tmp_path: Path) -> None:
    """configs/examples/infeasible.yaml: HiGHS named five limits, among them the
    workforce cap, yet without it the file stays infeasible. By hand: with both
    other caps gone, the 100M ceiling buys 30M of centres (3B) and 70M of retention
    at 0.02 a dollar (3.5B), 6.5B < 7.4B: so those two caps are not needed. Without
    the centres' cap, 100M of centres add 10B; without the ceiling or the target
    nothing binds. Each check here is a fresh solve of an edited file."""
    import yaml

    from optimizer.analyses.explain import conflict_set

    path = ROOT / "configs" / "examples" / "infeasible.yaml"
    got = conflict_set(load_scenario(path))
    assert got.limits == ("budget.ceiling", "target.exports",
                          "levers.erozgar_centers.max_units")
    assert set(got.aside) == {"levers.dollar_retention.max_units",
                              "levers.it_workforce.max_units"}
    data = yaml.safe_load(path.read_text())

    def status(drop: list[str]) -> str:
        edited = json.loads(json.dumps(data))
        for name in drop:
            parts = name.split(".")
            if name == "budget.ceiling":
                del edited["budget"]["ceiling"]
            elif name == "target.exports":
                edited["target"] = {"exports": 0}
            else:
                del edited["levers"][parts[1]][parts[2]]
        out = tmp_path / "edited.yaml"
        out.write_text(yaml.safe_dump(edited))
        return solve_scenario(load_scenario(out)).status

    assert status(list(got.aside)) == "infeasible"
    for name in got.limits:
        assert status([*got.aside, name]) == "optimal", name
    code, _, err = invoke("--config", path)
    assert code == 3
    assert ("Limits that cannot all hold: budget.ceiling, target.exports, "
            "levers.erozgar_centers.max_units (checked by re-solving the file") in err


def _dropped(data: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """A scenario's data without the named limits, edited by hand (not by the engine)."""
    out = json.loads(json.dumps(data))
    for name in names:
        parts = name.split(".")
        if name == "budget.ceiling":
            out["budget"].pop("ceiling", None)
        elif name == "target.exports":
            out["target"]["exports"] = 0
        elif parts[0] in ("budget", "target"):
            section = out[parts[0]][parts[1]]
            section.pop(next(k for k in section if str(k) == parts[2]))
        else:
            out["levers"][parts[1]].pop(parts[2], None)  # (min_units: 0 when unset)
    return out


def test_random_conflict_sets_hold_on_fresh_solves(tmp_path: Path) -> None:
    """On random infeasible files (milestones, per-period budgets, integer levers):
    without the limits set aside the file is still infeasible, and without any one
    limit of the set as well it is feasible; each a fresh solve of a file edited by
    hand."""
    import yaml

    from optimizer.analyses.explain import conflict_set

    rng = random.Random(23)
    checked = 0
    for i in range(60):
        text = _random_infeasible(rng)
        assert text is not None
        path = tmp_path / f"c{i}.yaml"
        path.write_text(text)
        if solve_scenario(load_scenario(path)).status != "infeasible":
            continue
        got = conflict_set(load_scenario(path))
        data = yaml.safe_load(text)

        def status(names: Sequence[str], data: dict[str, Any] = data) -> str:
            edited = tmp_path / "edited.yaml"
            edited.write_text(yaml.safe_dump(_dropped(data, names)))
            return solve_scenario(load_scenario(edited)).status

        assert not got.unchecked, got
        assert status(got.aside) == "infeasible", (text, got)
        for name in got.limits:
            assert status([*got.aside, name]) == "optimal", (text, got, name)
        checked += 1
        if checked >= 12:
            break
    assert checked >= 8
