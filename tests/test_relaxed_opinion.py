"""The LP relaxation as a MIP's second opinion (Highs.relaxed_opinion): taken only
where it meets the plan within the tolerance, computed on the model without the
rows a solve held, and only where the certificate is not shown (an analysis's
re-solves, a sweep's points); the answer a command prints keeps its solve from
scratch. Every figure is solved by hand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyomo.core as pyo
import pytest

from optimizer.analyses.limits import _lever
from optimizer.analyses.sweep import run_sweep
from optimizer.scenario import load_scenario
from optimizer.solving.engine import Session, solve_scenario
from optimizer.solving.highs import Highs

Write = Callable[..., Path]


def _two_whole(need: float) -> pyo.ConcreteModel:
    """min x + 2y over whole x, y in [0, 10] with x + y >= need."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.need = pyo.Param(mutable=True, initialize=need)
    m.row = pyo.Constraint(expr=m.x + m.y >= m.need)
    m.cost = pyo.Objective(expr=m.x + 2 * m.y)
    return m


def test_a_relaxation_that_meets_the_plan_is_the_second_opinion() -> None:
    # need 3: x = 3 costs 3, and so does the relaxation (x = 3 is a vertex): the
    # bound 3 stands, named for the relaxation
    highs = Highs()
    out = highs.solve(_two_whole(3.0))
    assert out.objective == pytest.approx(3)
    assert highs.relaxed_opinion(3.0, 1e-6)
    assert highs.second_bound == pytest.approx(3, rel=1e-12)
    assert highs.proven_bound(3.0) == (pytest.approx(3, rel=1e-12), "mip_relaxation_bound")


def test_a_looser_relaxation_leaves_the_solve_from_scratch_to_do() -> None:
    # need 12.5: the relaxation takes x = 10, y = 2.5 (15); whole, y = 3 (16): 6% apart,
    # so the relaxation proves nothing and HiGHS's own bound (16) stands unnamed
    highs = Highs()
    assert highs.solve(_two_whole(12.5)).objective == pytest.approx(16)
    assert not highs.relaxed_opinion(16.0, 1e-6)
    assert highs.second_bound is None
    assert highs.proven_bound(16.0) == (pytest.approx(16), "mip_dual_bound")
    # (and a new solve forgets a relaxation's bound of the one before)
    m = _two_whole(3.0)
    assert highs.solve(m).objective == pytest.approx(3)
    assert highs.relaxed_opinion(3.0, 1e-6)
    assert highs.solve(m).objective == pytest.approx(3)
    assert highs.proven_bound(3.0)[1] == "mip_dual_bound"


def test_the_relaxation_does_not_lean_on_a_held_row() -> None:
    # the most whole x in [0, 10], held at x <= 4 for one solve: 4, and the held
    # relaxation is 4 too, but the model's own relaxation is 10: no second opinion
    # from it; the hold is still in place after the call (for proven_bound)
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.row = pyo.Constraint(expr=m.x >= 0)
    m.most = pyo.Objective(expr=m.x, sense=pyo.maximize)
    highs = Highs()
    assert highs.solve(m, upper={m.row: 4.0}).objective == pytest.approx(4)
    row = highs.matrix.row_of[id(m.row)]

    def held_at() -> float:
        assert highs._h is not None
        return float(highs._h.getLp().row_upper_[row])

    assert held_at() == pytest.approx(4)
    assert not highs.relaxed_opinion(4.0, 1e-6)
    assert held_at() == pytest.approx(4)
    assert highs._held
    # unheld, the relaxation (10) meets the plan (10): it is the second opinion
    assert highs.solve(m).objective == pytest.approx(10)
    assert highs.relaxed_opinion(10.0, 1e-6)
    assert highs.proven_bound(10.0) == (pytest.approx(10), "mip_relaxation_bound")


@pytest.fixture
def confirms(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Each solve from scratch (Highs.confirm), counted."""
    calls: list[float] = []
    real = Highs.confirm

    def counted(self: Highs, share: float = 1.0) -> object:
        calls.append(share)
        return real(self, share)

    monkeypatch.setattr(Highs, "confirm", counted)
    return calls


LOTS = """
    name: lots
    target: {exports: 100}
    budget: {ceiling: 100}
    levers:
      lots: {unit_cost: 10, yield_per_unit: 10, integer: true, max_units: 50}
      crates: {unit_cost: 7, yield_per_unit: 5, integer: true, max_units: 50}
"""


def test_a_sweep_point_the_relaxation_proves_needs_no_solve_from_scratch(
        scenario_file: Write, confirms: list[float]) -> None:
    # ceiling 100: 10 lots (100 exports, 1 per unit of money; crates 5/7) fill it
    # exactly, so the relaxation's most exports is the plan's; ceiling 105: the
    # relaxation buys 10.5 lots (105), the whole plan 10 lots (100; 10 lots leave
    # 5, less than a crate's 7): 5% apart, a solve from scratch is needed
    loadout = load_scenario(scenario_file(LOTS))
    sweep = run_sweep(loadout, "ceilings", [100.0], None)
    assert [r.total_exports for r in sweep.results] == pytest.approx([100.0])
    assert not confirms
    sweep = run_sweep(loadout, "ceilings", [105.0], None)
    assert [r.total_exports for r in sweep.results] == pytest.approx([100.0])
    assert confirms


def test_the_answer_a_command_prints_keeps_its_solve_from_scratch(
        scenario_file: Write, confirms: list[float]) -> None:
    # min_cost at 100 exports: 10 lots (100), the relaxation's plan too; the printed
    # answer is still solved again from scratch, its certificate HiGHS's bound
    r = solve_scenario(load_scenario(scenario_file(LOTS)))
    assert r.total_cost == pytest.approx(100)
    assert confirms
    c = r.solver.certificate
    assert c is not None and c.proven and c.method == "mip_dual_bound"


def test_a_probe_the_relaxation_proves_needs_no_solve_from_scratch(
        scenario_file: Write, confirms: list[float]) -> None:
    # a probe at lots' unit cost 9: 10 lots (90) reach 100 exports, the relaxation's
    # plan too; at lots' yield 9.5, the relaxation buys 10.53 lots (105.26), whole
    # plans 10 lots and a crate (95 + 5 exports, 107; 11 lots cost 110): 1.6% apart,
    # solved again from scratch
    loadout = load_scenario(scenario_file(LOTS.replace("budget: {ceiling: 100}", "")))
    session = Session(loadout)
    s = loadout.scenario
    r = session.probe(_lever(s, "lots", unit_cost=9.0))
    assert r.total_cost == pytest.approx(90)
    assert not confirms
    r = session.probe(_lever(s, "lots", yield_per_unit=9.5))
    assert r.total_cost == pytest.approx(107)
    assert confirms
