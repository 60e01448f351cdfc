"""One lever arithmetic: optimizer.plan.dynamics against the model's affine forms.

The model (models/build.py) states active units, spend and exports as affine forms
in its own units; optimizer.plan.dynamics computes them in the file's units for the
re-check, simulate and chance. On random plans of random linear levers (attrition,
lag, recurring and fixed costs, cost recovery, costs by period) the two agree; and
dynamics over an array of draws equals dynamics at each draw alone.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import numpy as np
import pytest

from models.affine import Affine
from models.build import forms
from optimizer.plan.dynamics import curve_exports, flows, last_share
from optimizer.scenario import load_scenario
from optimizer.solving.engine import Session

LABELS = [2024, 2025, 2026, 2027]


def _lever(rng: random.Random) -> str:
    fields = [f"unit_cost: {rng.choice([1, 2.5, 40, 1000, 25000])}",
              f"yield_per_unit: {rng.choice([0.5, 3, 120, 25000])}",
              f"attrition: {rng.choice([0, 0.1, 0.25])}",
              f"lag: {rng.choice([0, 1, 2])}",
              f"cost_recovery: {rng.choice([0, 0.3])}"]
    if rng.random() < 0.5:
        fields.append(f"recurring_cost: {rng.choice([0.5, 10, 300])}")
    if rng.random() < 0.5:
        fields.append(f"fixed_cost: {rng.choice([100, 5000])}")
    if rng.random() < 0.5:
        fields.append(f"unit_cost_by_period: {{2025: {rng.choice([3, 50])}}}")
    return "{" + ", ".join(fields) + "}"


def _scenario(rng: random.Random, tmp_path: Path, n: int) -> Path:
    levers = "\n".join(f"  l{i}: {_lever(rng)}" for i in range(3))
    path = tmp_path / f"s{n}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: dynamics {n}
        periods: {LABELS}
        discount_rate: 0.05
        target: {{exports: 1000000}}
        budget: {{ceiling: 1B}}
        levers:
        """) + levers + "\n", encoding="utf-8")
    return path


def _value(form: Affine) -> float:
    return form.const + sum(coef * float(form.vars[key].value or 0.0)
                            for key, coef in form.terms.items())


@pytest.mark.parametrize("seed", range(12))
def test_dynamics_equal_the_models_affine_forms(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    loadout = load_scenario(_scenario(rng, tmp_path, seed))
    s = loadout.scenario
    session = Session(loadout)
    m, data, scaling = session.model, session.data, session.scaling
    f = forms(m, data)
    last = len(LABELS) - 1
    for _ in range(10):
        plan = {lid: [rng.choice([0.0, 0.0, rng.uniform(0.5, 50.0)]) for _ in LABELS]
                for lid in s.levers}
        for i, lv in enumerate(data.levers):
            funded = plan[lv.id]
            start = next((k for k, x in enumerate(funded) if x > 0), None)
            for k in m.K:
                m.x[i, k].set_value(funded[k] / scaling.units[lv.id], skip_validation=True)
                if i in m.S:
                    m.s[i, k].set_value(1.0 if k == start else 0.0, skip_validation=True)
            if i in m.B:
                m.u[i].set_value(1.0 if start is not None else 0.0, skip_validation=True)
        for i, lv in enumerate(data.levers):
            got = flows(s.levers[lv.id], plan[lv.id], LABELS)
            for k in m.K:
                spend = _value(f.spend[i][k]) * scaling.money
                assert spend == pytest.approx(got.spend[k], rel=1e-12, abs=1e-9)
            exports = _value(f.exports[last][i]) * scaling.exports
            assert exports == pytest.approx(got.exports[last], rel=1e-12, abs=1e-9)


def test_draws_are_each_the_scalar_arithmetic(tmp_path: Path) -> None:
    rng = random.Random(99)
    s = load_scenario(_scenario(rng, tmp_path, 99)).scenario
    draws = {"unit_cost": np.array([1.0, 7.0, 30.0]), "attrition": np.array([0.0, 0.2, 0.5]),
             "yield_per_unit": np.array([2.0, 3.0, 5.0])}
    funded = [3.0, 0.0, 8.0, 1.0]
    for lid, lever in s.levers.items():
        many = flows(lever, funded, LABELS, draws)
        for j in range(3):
            one = lever.model_copy(update={name: float(v[j]) for name, v in draws.items()})
            alone = flows(one, funded, LABELS)
            for k in range(len(LABELS)):
                spend = np.broadcast_to(many.spend[k], (3,))[j]
                exports = np.broadcast_to(many.exports[k], (3,))[j]
                assert spend == pytest.approx(alone.spend[k], rel=1e-14), lid
                assert exports == pytest.approx(alone.exports[k], rel=1e-14), lid


def test_a_curve_by_hand() -> None:
    curve = [(0.0, 0.0), (10.0, 100.0), (30.0, 150.0)]
    # 5 units: half the first segment; 20: half the second; 40: the last segment
    # extended (2.5 an extra unit)
    assert curve_exports(curve, 5.0) == pytest.approx(50.0)
    assert curve_exports(curve, 20.0) == pytest.approx(125.0)
    assert curve_exports(curve, 40.0) == pytest.approx(175.0)
    assert list(curve_exports(curve, np.array([5.0, 20.0, 40.0]))) == pytest.approx(
        [50.0, 125.0, 175.0])


def test_the_last_share_by_hand(tmp_path: Path) -> None:
    """A unit funded first keeps (1 - attrition) a period to the end, its lag aside:
    what a constraint's cap on last-period exports allows (inputs._units_within)."""
    rng = random.Random(7)
    s = load_scenario(_scenario(rng, tmp_path, 7)).scenario
    for lever in s.levers.values():
        for attrition, lag in ((0.0, 0), (0.05, 0), (0.3, 2), (0.5, 1)):
            one = lever.model_copy(update={"attrition": attrition, "lag": lag})
            assert last_share(one, LABELS) == pytest.approx(
                (1 - attrition) ** (len(LABELS) - 1), rel=1e-15)
