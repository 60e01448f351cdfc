"""One definition of the math, two outputs: models.build.arrays (the matrix from the
families, no Pyomo model) equals compile_model(build(data)) exactly, row for row and
column for column, on every file here and on random scenarios; and a warm probe
moves HiGHS's arrays without building a Pyomo model, answering as a cold solve does.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyomo.core as pyo
import pytest
from pyomo.core.expr.numvalue import is_constant

import optimizer.solving.engine as engine
from models.build import arrays, build, lite
from models.compile import Matrix, compile_model
from models.data import ModelData
from optimizer.analyses.explain import _lever
from optimizer.errors import ScenarioError
from optimizer.scenario import Loadout, load_scenario
from optimizer.scenario.schema import Scenario
from optimizer.scenario.uncertain_fields import scenario_draws, with_values
from optimizer.solving.engine import Session
from optimizer.solving.highs import _grains, _implied
from optimizer.solving.inputs import chance_data, model_data
from tests import wide

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*ROOT.glob("configs/**/*.yaml"), *ROOT.glob("tests/wide_cases*/*.yaml")])
FIELDS = ("col_lower", "col_upper", "integer", "row_lower", "row_upper", "row_offset",
          "start", "index", "value")


def _assert_same(data: ModelData) -> None:
    m = build(data)
    want = compile_model(m)
    got = arrays(data)
    for name in FIELDS:
        a, b = getattr(want, name), getattr(got.matrix, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b), name
    assert list(want.objectives) == list(got.matrix.objectives)
    for name, (cost, const, sense) in want.objectives.items():
        other = got.matrix.objectives[name]
        assert np.array_equal(cost, other[0]) and (const, sense) == other[1:], name
    # each row and column is the Pyomo component data of the same family and index
    assert got.row_keys == [(c.parent_component().local_name, c.index()) for c in want.rows]
    assert got.col_keys == [(v.parent_component().local_name, v.index())
                            for v in want.columns]
    assert np.array_equal(got.per_column["grain_of"], _grains(m, want))
    assert np.array_equal(got.per_column["implied_upper"], _implied(m, want))
    _assert_reads_alike(data, m, want)


def _assert_reads_alike(data: ModelData, m: pyo.ConcreteModel, want: Matrix) -> None:
    """The model a Session solves from arrays (models.build.lite) reads as the Pyomo
    model does wherever the solve reads it: its rows' names, which rows are active and
    which have parameters for bounds (and their values), its objectives and the one
    active, the columns' fixed values."""
    matrix, lite_model = lite(data)
    assert [r.name for r in lite_model.rows] == [c.name for c in want.rows]
    assert [r.active for r in lite_model.rows] == [c.active for c in want.rows]
    mutable = [not (is_constant(c.lower) and is_constant(c.upper)) for c in want.rows]
    assert [not (is_constant(r.lower) and is_constant(r.upper))
            for r in lite_model.rows] == mutable
    assert [(r.lb, r.ub) for r, flag in zip(lite_model.rows, mutable, strict=True) if flag] \
        == [(c.lb, c.ub) for c, flag in zip(want.rows, mutable, strict=True) if flag]
    objectives = list(m.component_data_objects(pyo.Objective))
    assert [(o.name, o.active) for o in lite_model.component_data_objects(pyo.Objective)] \
        == [(o.name, o.active) for o in objectives]
    assert [c.value if c.fixed else None for c in lite_model.columns] == [
        v.value if v.fixed else None for v in want.columns]
    assert np.array_equal(matrix.matrix.value, want.value)


def _data(loadout: Loadout) -> ModelData:
    return model_data(loadout.scenario, loadout.file)[0]


def _models(paths: list[Path]) -> list[Path]:
    """The files that make a model (the rest are refused, as tests elsewhere hold)."""
    out = []
    for path in paths:
        try:
            _data(load_scenario(path))
        except ScenarioError:
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("path", _models(FILES), ids=lambda p: str(p.relative_to(ROOT)))
def test_arrays_equal_the_compiled_model_on_every_file(path: Path) -> None:
    _assert_same(_data(load_scenario(path)))


@pytest.mark.parametrize("seed", range(8))
def test_arrays_equal_the_compiled_model_on_random_scenarios(tmp_path: Path, seed: int
                                                             ) -> None:
    built = 0
    for index in range(12):
        path = wide.write_case(900 + seed, index, tmp_path)
        try:
            data = _data(load_scenario(path))
        except ScenarioError:
            continue
        _assert_same(data)
        built += 1
    assert built >= 6  # most random cases are models (the rest are refused files)


def test_arrays_equal_the_compiled_model_with_chance_rows() -> None:
    loadout = load_scenario(ROOT / "configs" / "pakistan_it_exports_3yr.yaml")
    s = loadout.scenario
    data, scaling = model_data(s, loadout.file)
    data = replace(data, chance=chance_data(s, scaling, scenario_draws(s, 30, seed=3), 0.8))
    _assert_same(data)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[ModelData]:
    seen: list[ModelData] = []

    def counted(data: ModelData) -> object:
        seen.append(data)
        return build(data)

    monkeypatch.setattr(engine, "build", counted)
    return seen


def _cold(loadout: Loadout, s: Scenario) -> Session:
    return Session(Loadout(s, loadout.file, loadout.sha256))


def test_a_probe_moves_the_arrays_without_building_and_answers_as_a_cold_solve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loadout = load_scenario(ROOT / "configs" / "pakistan_it_exports_3yr.yaml")
    s = loadout.scenario
    session = Session(loadout)
    session.solve()
    seen = _counting(monkeypatch)
    draws = scenario_draws(s, 8, seed=11)
    optimal = 0
    for j in range(8):
        sample = with_values(s, {path: values[j] for path, values in draws.items()})
        before = len(seen)
        warm = session.probe(sample)
        assert len(seen) == before  # no Pyomo model built
        cold_session = _cold(loadout, sample)
        cold = cold_session.solve(diagnose=False)
        assert warm.status == cold.status, j
        if cold.status == "optimal":
            optimal += 1
            assert warm.discounted_cost == pytest.approx(cold.discounted_cost, rel=1e-7), j
            assert [r.units for r in warm.rows] == pytest.approx(
                [r.units for r in cold.rows], rel=1e-6, abs=1e-6), j
        # the limits' duals, named from the session's model as first built
        assert session.maximise_goal() and cold_session.maximise_goal()
        got, want = session.limit_duals(), cold_session.limit_duals()
        assert want and got.keys() == want.keys(), j
        assert list(got.values()) == pytest.approx(list(want.values()), rel=1e-6), j
    assert optimal >= 4


def test_a_probe_that_moves_the_shape_builds_the_model_anew(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Other nonzeros in the same rows (a lag) load HiGHS cold from the arrays; a row
    that appears (a spend cap where none was) makes the model anew, from the arrays:
    no Pyomo model is built either way."""
    loadout = load_scenario(ROOT / "configs" / "pakistan_it_exports_3yr.yaml")
    s = loadout.scenario
    lid = next(lid for lid, lv in s.levers.items() if lv.lag == 1)
    session = Session(loadout)
    session.solve()
    seen = _counting(monkeypatch)
    for moved, anew in ((_lever(s, lid, lag=0), False), (_lever(s, lid, max_spend=5e8), True),
                        (s, True)):
        model = session.model
        warm = session.probe(moved)
        assert not seen
        assert (session.model is not model) == anew
        assert session.solvers.instances >= 1
        cold = _cold(loadout, moved).solve(diagnose=False)
        assert warm.status == cold.status == "optimal"
        assert warm.discounted_cost == pytest.approx(cold.discounted_cost, rel=1e-7)
        assert [r.units for r in warm.rows] == pytest.approx(
            [r.units for r in cold.rows], rel=1e-6, abs=1e-6)


def test_a_question_that_compiles_the_model_sees_the_rebased_coefficients() -> None:
    """units_range adds rows to the Pyomo model and compiles it: after a rebase that
    moved only the arrays, the model is built from the session's data first."""
    loadout = load_scenario(ROOT / "configs" / "pakistan_it_exports_3yr.yaml")
    s = loadout.scenario
    draws = scenario_draws(s, 1, seed=2)
    sample = with_values(s, {path: values[0] for path, values in draws.items()})
    session = Session(loadout)
    session.solve()
    session.probe(sample)
    session.loadout = replace(session.loadout, scenario=sample)
    cold = _cold(loadout, sample)
    cap = cold.solve(diagnose=False).discounted_cost
    assert cap is not None
    got = session.units_range(cap * 1.05)
    want = cold.units_range(cap * 1.05)
    assert [end.units for pair in got for end in pair] == pytest.approx(
        [end.units for pair in want for end in pair], rel=1e-6, abs=1e-6)
