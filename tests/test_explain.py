"""optimize explain: conflicts and repairs when infeasible, the worth of binding limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.analyses.explain import explain
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
INFEASIBLE = ROOT / "configs" / "examples" / "infeasible.yaml"
SHIPPED = ROOT / "configs" / "pakistan_it_exports.yaml"




def test_infeasible_names_the_conflict_and_repairs_that_work() -> None:
    e = explain(load_scenario(INFEASIBLE))
    assert e.result.status == "infeasible"
    assert {"budget.ceiling", "target.exports"} <= set(e.conflict.limits)
    repairs = {r.limit: r for r in e.repairs}
    # hand: 7.4B needed; 100M buys centres (30M, 3B), retention (20M, 1B) and 50,000
    # workers (50M, 1.25B); the 2.15B left needs 86,000 more workers at 1,000: 186M.
    assert repairs["budget.ceiling"].needed == pytest.approx(186e6, rel=1e-6)
    assert repairs["target.exports"].needed == pytest.approx(7.85e9, rel=1e-6)
    relatives = [r.relative for r in e.repairs if r.relative is not None]
    assert relatives == sorted(relatives)
    for r in e.repairs:
        if r.needed is None:
            continue
        fixed = solve_scenario(load_scenario(INFEASIBLE, [(r.limit, r.needed)]))
        assert fixed.status == "optimal", r
        # and just short of the repair it is still out of reach
        whole = r.limit.endswith("units")  # integer levers' caps are whole numbers
        short = r.needed - 1 if whole else r.current + (r.needed - r.current) * (1 - 1e-3)
        assert solve_scenario(load_scenario(INFEASIBLE, [(r.limit, short)])).status == \
            "infeasible", r


def test_explain_command_exits_3_and_the_repair_runs_with_set(tmp_path: Path) -> None:
    code, out, _ = invoke("explain", "--config", INFEASIBLE, "--format", "json",
                          "--output", tmp_path / "o")
    assert code == 3
    data = json.loads(out)
    best = data["repairs"][0]
    assert best["limit"] == "target.exports"
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["explain.json", "explain.md"]
    ceiling = next(r for r in data["repairs"] if r["limit"] == "budget.ceiling")["needed"]
    code, _, err = invoke("--config", INFEASIBLE, "--set", f"budget.ceiling={ceiling}")
    assert code == 0, err


def test_worth_of_binding_limits_matches_finite_differences() -> None:
    e = explain(load_scenario(SHIPPED))
    base = e.result.total_cost
    worth = {w.limit: w for w in e.worth}
    centres = worth["levers.erozgar_centers.max_units"]
    assert (centres.tighten_step, centres.loosen_step) == (500, 500)  # 5% of 10,000
    for value, figure in ((centres.loosened, centres.loosen_saving),
                          (centres.tightened, -(centres.tighten_cost or 0.0))):
        moved = solve_scenario(load_scenario(SHIPPED, [("levers.erozgar_centers.max_units",
                                                        value)]))
        assert figure == pytest.approx(base - moved.total_cost, rel=1e-9)
    # hand: one more centre gives 300,000 of exports for 35.09 net, replacing
    # 12 workers (300,000 / 25,000) at 1,052.63: saves 12,631.58 - 35.09 = 12,596.49;
    # one fewer costs as much (500 either way stays on that segment)
    each = 12 * 300_000 / 285 - 10_000 / 285
    assert centres.loosen_per_unit == pytest.approx(each, rel=1e-9)
    assert centres.tighten_per_unit == pytest.approx(each, rel=1e-9)
    code, out, _ = invoke("explain", "--config", SHIPPED)
    assert code == 0
    assert ("levers.erozgar_centers.max_units (now 10,000): lowering it by 500 to 9,500 "
            "costs 6,298,246 USD more (12,596 USD per centre); raising it by 500 to 10,500 "
            "saves 6,298,246 USD (12,596 USD per centre)") in out


def test_tornado_and_room_match_independent_solves() -> None:
    from optimizer.analyses.explain import room
    from optimizer.analyses.tornado import tornado

    lo = load_scenario(SHIPPED)
    swings = {w.parameter: w for w in tornado(lo, share=0.2)}
    cost = swings["levers.it_workforce.unit_cost"]
    for value, got in ((cost.low, cost.objective_low), (cost.high, cost.objective_high)):
        alone = solve_scenario(load_scenario(SHIPPED, [("levers.it_workforce.unit_cost",
                                                        value)]))
        assert got == pytest.approx(alone.total_cost, rel=1e-9)
    ordered = [w.swing for w in swings.values()]
    assert ordered == sorted(ordered, reverse=True)
    rooms = {r.lever: r for r in room(lo, slack=0.05)}
    base = solve_scenario(lo).total_cost
    # the extremes are real plans: forcing a lever to its most units stays within 5%
    workers = rooms["it_workforce"]
    forced = solve_scenario(load_scenario(SHIPPED, [("levers.it_workforce.min_units",
                                                     workers.high)]))
    assert forced.total_cost <= base * 1.05 * (1 + 1e-9)
    # and one unit more does not
    beyond = solve_scenario(load_scenario(SHIPPED, [("levers.it_workforce.min_units",
                                                     workers.high + 1)]))
    assert beyond.total_cost > base * 1.05
    assert rooms["startup_fund"].kind == "unused" and workers.kind == "essential"


def test_explain_plot_writes_a_tornado(tmp_path: Path) -> None:
    png = tmp_path / "tornado.png"
    code, _, err = invoke("explain", "--config", SHIPPED, "--sections", "tornado", "--plot", png)
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = invoke("explain", "--config", SHIPPED, "--sections", "nope")
    assert code == 2 and "unknown nope" in err


def test_ranging_ends_hold_just_inside_and_break_just_outside() -> None:
    from optimizer.analyses.explain import _mix, stability

    lo = load_scenario(SHIPPED)
    base = _mix(solve_scenario(lo))
    ranges = {r.parameter: r for r in stability(lo)}
    retention = ranges["levers.dollar_retention.unit_cost"]
    # hand: retention stops being worth its cap once a retained dollar costs more
    # than a worker's dollar of exports, 300,000 / 285 / 25,000 = 0.04211
    assert retention.high == pytest.approx(300_000 / 285 / 25_000, rel=1e-3)
    for r in (retention, ranges["levers.it_workforce.unit_cost"]):
        for end in (r.low, r.high):
            if end is None:
                continue
            outward = 1 if end > r.value else -1
            lever, field = r.parameter.split(".")[1:]
            inside = solve_scenario(load_scenario(
                SHIPPED, [(f"levers.{lever}.{field}", end * (1 - outward * 2e-3))]))
            outside = solve_scenario(load_scenario(
                SHIPPED, [(f"levers.{lever}.{field}", end * (1 + outward * 2e-3))]))
            assert _mix(inside) == base, (r.parameter, end)
            assert _mix(outside) != base, (r.parameter, end)


def test_plain_optimize_exit_3_names_the_cheapest_repair() -> None:
    code, _, err = invoke("--config", INFEASIBLE, "--format", "json")
    assert code == 3
    assert "Cheapest repairs: lower target.exports from 10,000,000,000 USD to " \
           "7,850,000,000 USD" in err
    assert "raise budget.ceiling from 100,000,000 USD to 186,000,000 USD" in err


THREE_YEAR = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"


def test_ranges_and_tornado_are_the_same_however_many_processes_run_them() -> None:
    """Each end and each tornado move starts from its own solver state, so sharing
    them out over forked processes changes nothing (a MIP: the three-year file)."""
    from optimizer.analyses.explain import stability
    from optimizer.analyses.tornado import tornado

    lo = load_scenario(THREE_YEAR)
    assert stability(lo, workers=1) == stability(lo, workers=2)
    assert tornado(lo, workers=1) == tornado(lo, workers=2)


def test_a_wrong_screen_is_caught_by_the_full_solves_and_searched_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bisection screens without second opinions; where a screen is wrong the
    full probes either side of the end disagree with it, and that end is searched
    again in full. Here every screen lies (it always reports the base mix), so
    every end must come from the full search: the same ends as with honest
    screens."""
    from optimizer.analyses.explain import stability
    from optimizer.solving.engine import Session

    lo = load_scenario(SHIPPED)
    honest = stability(lo, workers=1)
    base = Session(lo).solve(diagnose=False)
    real = Session.probe
    calls = {"screen": 0, "full": 0}

    def lying(self: Session, s: object, screen: bool = False) -> object:
        calls["screen" if screen else "full"] += 1
        return base if screen else real(self, s, screen)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "probe", lying)
    assert stability(lo, workers=1) == honest
    # each end: the far screen said "same", the full probe there disagreed where an
    # end exists, and the search ran again with full probes
    assert calls["full"] > calls["screen"]


def test_forked_map_keeps_order_and_raises_a_task_error() -> None:
    from optimizer.errors import Problem, ScenarioError
    from optimizer.solving.forked import forked_map

    assert forked_map(lambda i: i * i, 7, workers=2) == [0, 1, 4, 9, 16, 25, 36]

    def bad(i: int) -> int:
        if i == 3:
            raise ScenarioError([Problem("f.yaml", "bad value (got 3)", "levers.a", 4)])
        return i

    with pytest.raises(ScenarioError) as caught:
        forked_map(bad, 5, workers=2)
    assert str(caught.value) == "f.yaml:4: levers.a: bad value (got 3)"
    assert caught.value.problems[0].path == "levers.a"


def test_one_pool_for_two_sections_leaves_out_only_the_one_that_ran_out_of_time() -> None:
    """The ranges and the tornado share one set of processes; a task of one running
    out of time leaves that section out (OutOfTime), not the other."""
    from optimizer.analyses.tasks import Tasks, run_together
    from optimizer.errors import OutOfTime

    def late(i: int) -> int:
        if i == 1:
            raise OutOfTime("the budget ran out")
        return i

    fine = Tasks(3, lambda i: i * 10, lambda found: list(found))
    cut = Tasks(2, late, lambda found: list(found))
    for workers in (1, 2):
        got = run_together([fine, cut], workers)
        assert got[0] == [0, 10, 20]
        assert isinstance(got[1], OutOfTime) and "budget ran out" in str(got[1])
