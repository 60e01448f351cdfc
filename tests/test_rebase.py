"""Warm re-solves across samples: Session.rebase hands the solvers a model with other
coefficients and keeps their bases; every answer must equal a cold solve's."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.scenario import Loadout, load_scenario
from optimizer.scenario.uncertain_fields import scenario_draws, with_values
from optimizer.solving.engine import Session

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["pakistan_it_exports.yaml", "pakistan_it_exports_3yr.yaml"])
def test_rebased_answers_equal_cold_solves(name: str) -> None:
    loadout = load_scenario(ROOT / "configs" / name)
    s = loadout.scenario
    if not s.uncertain:
        pytest.fail(f"{name} is expected to carry distributions")
    draws = scenario_draws(s, 40, seed=5)
    warm_session = Session(loadout)
    warm_session.solve(diagnose=False)
    kept = instances = 0
    for j in range(40):
        sample = with_values(s, {path: values[j] for path, values in draws.items()})
        # (an infeasible sample's proof keeps a second instance, for max_exports)
        instances += warm_session.solvers.instances
        kept += warm_session.rebase(sample)
        warm = warm_session.solve(sample, diagnose=False)
        cold = Session(Loadout(sample, loadout.file, loadout.sha256)).solve(diagnose=False)
        assert warm.status == cold.status, j
        if cold.status == "optimal":
            assert warm.discounted_cost == pytest.approx(cold.discounted_cost, rel=1e-7), j
            assert [r.units for r in warm.rows] == pytest.approx(
                [r.units for r in cold.rows], rel=1e-6, abs=1e-6), j
    assert kept == instances  # the shapes never changed: every re-solve was warm
