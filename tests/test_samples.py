"""The chance-constrained MIP's narrowing (optimizer.solving.samples): each sample's
floor against an LP solved by scipy for every pair, the floors held by the true
optimum, and the narrowed solve's optimum against an independent scipy.milp build of
the plain sample average approximation, on random scenarios."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from optimizer.scenario import load_scenario
from optimizer.scenario.uncertain_fields import scenario_draws
from optimizer.solving.engine import Session
from optimizer.solving.samples import FLOOR_SLACK, _floors


def _pairwise(a: np.ndarray, upper: np.ndarray, need: float) -> np.ndarray:
    """m[j, i] = min a_j . x s.t. a_i . x >= need, 0 <= x <= upper, by scipy's LP."""
    n = len(a)
    out = np.full((n, n), np.inf)
    for j in range(n):
        for i in range(n):
            got = linprog(a[j], A_ub=-a[i][None, :], b_ub=[-need],
                          bounds=list(zip(np.zeros(len(upper)), upper, strict=True)),
                          method="highs")
            if got.status == 0:
                out[j, i] = got.fun
    return out


@pytest.mark.parametrize("seed", range(6))
def test_each_floor_is_the_kth_smallest_pairwise_lp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 9
    a = rng.uniform(0.0, 3.0, size=(n, 4))
    a[:, 2] = 1.0  # a column every sample shares (a curve's exports)
    a[:, 3] = a[:, 0]  # a column equal to another in every sample: merged
    a[rng.integers(n), 1] = 0.0  # a sample the column does nothing for
    upper = np.array([5.0, rng.choice([2.0, np.inf]), 1.5, 3.0])
    need = 12.0
    m = _pairwise(a, upper, need)
    for k in (1, 4, n):
        want = np.sort(m, axis=1)[:, k - 1]
        got = _floors(a, upper, need, k)
        finite = np.isfinite(want)
        assert (np.isfinite(got) == finite).all()
        np.testing.assert_allclose(got[finite], want[finite] - FLOOR_SLACK * need,
                                   rtol=1e-7, atol=1e-7)


SCENARIO = """\
    name: random chance case {seed}
    target: {{exports: {target}}}
    levers:
      a: {{unit_cost: {ca}, yield_per_unit: {{dist: uniform, low: {la}, high: {ha}}},
          max_units: {ma}, integer: true}}
      b: {{unit_cost: {cb}, yield_per_unit: {{dist: triangular, low: {lb}, mode: {mb}, high: {hb}}},
          max_units: {mxb}}}
      c: {{unit_cost: {cc}, yield_per_unit: {yc}, max_units: {mc}}}
    uncertainty: {{samples: {n}, seed: {seed}}}
    """


def _case(tmp_path: Path, seed: int) -> Path:
    rng = np.random.default_rng(100 + seed)
    lb = float(rng.uniform(0.5, 1.5))
    values = dict(
        seed=seed, target=int(rng.integers(80, 140)), n=int(rng.integers(40, 90)),
        ca=round(float(rng.uniform(1, 4)), 2), la=round(float(rng.uniform(0.5, 1.5)), 2),
        ha=round(float(rng.uniform(2, 4)), 2), ma=int(rng.integers(20, 60)),
        cb=round(float(rng.uniform(1, 4)), 2), lb=round(lb, 2), mb=round(lb + 0.5, 2),
        hb=round(lb + 1.5, 2), mxb=int(rng.integers(20, 80)),
        cc=round(float(rng.uniform(3, 8)), 2), yc=round(float(rng.uniform(0.5, 2)), 2),
        mc=int(rng.integers(5, 30)))
    path = tmp_path / f"case{seed}.yaml"
    path.write_text(textwrap.dedent(SCENARIO.format(**values)))
    return path


def _independent(s: object, draws: dict[str, np.ndarray], k: int | None
                 ) -> tuple[float, np.ndarray]:
    """The plain SAA built separately: min sum cost_l x_l, x_l <= max_units (a integer),
    sum_l y_lj x_l >= target h_j, sum_j h_j >= k, h binary; (cost, plan). k None:
    (the most samples any plan reaches, its plan)."""
    levers = s.levers  # type: ignore[attr-defined]
    n = len(next(iter(draws.values())))
    ids = ["a", "b", "c"]
    y = np.column_stack([draws.get(f"levers.{i}.yield_per_unit",
                                   np.full(n, float(levers[i].yield_per_unit or 0)))
                         for i in ids])
    need = float(s.target.exports)  # type: ignore[attr-defined]
    cost = np.concatenate([[float(levers[i].unit_cost) for i in ids], np.zeros(n)])
    if k is None:
        cost = np.concatenate([np.zeros(3), -np.ones(n)])
        k = 0
    rows = np.zeros((n + 1, n + 3))
    rows[:n, :3] = y
    rows[:n, 3:] = -need * np.eye(n)
    rows[n, 3:] = 1.0
    got = milp(cost, constraints=LinearConstraint(rows, np.concatenate([np.zeros(n), [k]]),
                                                  np.inf),
               integrality=np.concatenate([[1, 0, 0], np.ones(n)]),
               bounds=Bounds(np.zeros(n + 3), np.concatenate(
                   [[float(levers[i].max_units) for i in ids], np.ones(n)])),
               options={"mip_rel_gap": 1e-9})
    if got.status != 0:
        return np.inf, np.zeros(3)
    return (float(got.fun) if cost[3:].max() == 0 else -round(got.fun)), got.x[:3]


@pytest.mark.parametrize("seed", range(8))
def test_narrowed_optimum_is_the_plain_saa_milp(tmp_path: Path, seed: int) -> None:
    loadout = load_scenario(_case(tmp_path, seed))
    s = loadout.scenario
    n = s.uncertainty.samples
    draws = scenario_draws(s, n, s.uncertainty.seed)
    session = Session(loadout, chance=(0.5, draws))
    narrowed = 0
    most = int(_independent(s, draws, None)[0])
    # (at the most samples any plan reaches, and one past it, the cheapest relaxed
    # plan's ranking often names samples no plan reaches together: the first plan's
    # other paths run)
    for k in sorted({max(1, round(share * n)) for share in (0.3, 0.5, 0.8)}
                    | {most, most - 1, most + 1} - {0, n + 1}):
        want, plan = _independent(s, draws, k)
        session.require_samples(k)
        r = session.solve(diagnose=False)
        highs = session.solvers.for_model(session.model)
        assert (highs.narrowed is not None) == (k <= n)  # the narrowing ran
        if not np.isfinite(want):
            assert r.status == "infeasible"
            continue
        assert r.status == "optimal"
        assert r.discounted_cost == pytest.approx(want, rel=1e-6, abs=1e-6)
        narrowed += highs.narrowed.fixed_on + highs.narrowed.fixed_off
    assert narrowed > 0  # samples were fixed somewhere: the steps did something


def test_floors_hold_at_the_independent_optimum(tmp_path: Path) -> None:
    # every sample's floor L_j is at most what the true optimum gives it
    loadout = load_scenario(_case(tmp_path, 3))
    s = loadout.scenario
    n = s.uncertainty.samples
    draws = scenario_draws(s, n, s.uncertainty.seed)
    y = np.column_stack([draws.get(f"levers.{i}.yield_per_unit",
                                   np.full(n, float(s.levers[i].yield_per_unit or 0)))
                         for i in "abc"])
    upper = np.array([float(s.levers[i].max_units) for i in "abc"])
    need = float(s.target.exports)
    for k in (n // 4, n // 2, (3 * n) // 4):
        cost, plan = _independent(s, draws, k)
        assert np.isfinite(cost)
        floors = _floors(y, upper, need, k)
        assert (y @ plan >= np.minimum(floors, need) - 1e-7).all()
        assert (floors > 0).any()


def test_three_year_points_narrowed_and_plain_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # the shipped three-year scenario at 80% (the cheapest relaxed plan's ranking
    # names samples no plan reaches together: the first plan comes from the relaxed
    # plan reaching the most) and at 90% (out of reach: the floors leave no relaxed
    # plan, so no first plan): the narrowed solve and HiGHS on the model as built agree
    import optimizer.solving.highs as highs_module
    from optimizer.solving import samples

    loadout = load_scenario(Path(__file__).resolve().parents[1]
                            / "configs/pakistan_it_exports_3yr.yaml")
    s = loadout.scenario
    draws = scenario_draws(s, 1000, s.uncertainty.seed)
    paths: list[str] = []
    first_plan = samples._first_plan

    def spy(*args: object, **kw: object) -> object:
        got = first_plan(*args, **kw)  # type: ignore[arg-type]
        paths.append("found" if got is not None else "none")
        return got

    monkeypatch.setattr(samples, "_first_plan", spy)
    narrowed = Session(loadout, chance=(0.5, draws))
    got = {}
    for k in (800, 900):
        narrowed.require_samples(k)
        r = narrowed.solve(diagnose=False)
        got[k] = (r.status, r.discounted_cost)
    assert got[800][0] == "optimal" and got[900][0] == "infeasible"
    # (90%: the MIP called infeasible is solved again without presolve to confirm it)
    assert paths[0] == "found" and set(paths[1:]) == {"none"}
    assert narrowed.most_samples_reached() == 804
    monkeypatch.setattr(highs_module, "narrow", lambda *args, **kw: None)
    plain = Session(loadout, chance=(0.5, draws))
    for k in (800, 900):
        plain.require_samples(k)
        r = plain.solve(diagnose=False)
        assert plain.solvers.for_model(plain.model).narrowed is None
        assert r.status == got[k][0]
        if got[k][1] is not None:
            assert r.discounted_cost == pytest.approx(got[k][1], rel=1e-9)
    assert plain.most_samples_reached() == 804
