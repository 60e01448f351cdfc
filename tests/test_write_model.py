"""optimize --write-lp / --write-mps: the model a reviewer opens in a solver of their own.

Each file is read back by a fresh HiGHS (``readModel``, nothing of the engine's) and
solved; its optimum, times the scale the file's header states, must be the engine's
optimum and scipy's (tests/reference.py), by hand where the case is small.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import highspy
import pytest

from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke
from tests.conftest import ROOT
from tests.reference import reference_solve

THREE_YEAR = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
REL = 1e-6

# lever b is continuous and cheap per export, a is integer: the LP relaxation
# (a = 3.33, cost 33.33) is below the MIP's optimum (a = 3, b = 1: 30 + 5 = 35),
# so a file that lost a's integrality re-solves to the wrong number
MIP = """
    name: integer lever
    currency: USD
    target: {exports: 100}
    levers:
      a: {unit_cost: 10, yield_per_unit: 30, integer: true}
      b: {unit_cost: 5, yield_per_unit: 10, max_units: 1}
"""
# continuous: a is cheaper per export (0.3 against 0.5) but capped at 8 units (80);
# b covers the last 20 with 5 units: 24 + 10 = 34
LP = """
    name: two levers
    currency: USD
    target: {exports: 100}
    levers:
      a: {unit_cost: 3, yield_per_unit: 10, max_units: 8}
      b: {unit_cost: 2, yield_per_unit: 4}
"""
# max_exports under a ceiling of 100: a is integer (3 units: 90 spent, 300
# exports), b takes the last 10 (0.5 units, 25): 325; relaxed, a alone gives 333.3
MAX = """
    name: most exports
    currency: USD
    objective: max_exports
    target: {exports: 1}
    budget: {ceiling: 100}
    levers:
      a: {unit_cost: 30, yield_per_unit: 100, integer: true}
      b: {unit_cost: 20, yield_per_unit: 50, max_units: 1}
"""
# a capped at 8 units reaches 80 of the 100 needed: infeasible
INFEASIBLE = """
    name: out of reach
    currency: USD
    target: {exports: 100}
    levers:
      a: {unit_cost: 3, yield_per_unit: 10, max_units: 8, integer: true}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def read_back(path: Path) -> tuple[highspy.Highs, float]:
    """``path`` read and solved by a HiGHS that knows nothing of the engine: its model
    status, and its objective times the scale the file's header states."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # HiGHS's thread pool is global to the process: an instance run with another
    # thread count than the engine's one makes the engine's later runs fail
    h.setOptionValue("threads", 1)
    # a reviewer's MIP is solved to optimality, not to HiGHS's default 1e-4 gap
    h.setOptionValue("mip_rel_gap", 0.0)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    header = path.read_text(encoding="ascii")
    scale = float(re.search(r"objective value x (\S+) =", header)[1])  # type: ignore[index]
    return h, h.getInfo().objective_function_value * scale


def run_writing(tmp_path: Path, config: Path, *args: str) -> tuple[int, Path, Path]:
    lp, mps = tmp_path / "model.lp", tmp_path / "model.mps"
    out = invoke("--config", config, "--write-lp", lp, "--write-mps", mps, *args)
    return out.code, lp, mps


def integer_columns(h: highspy.Highs) -> set[str]:
    lp = h.getLp()
    return {name for name, kind in zip(lp.col_names_, lp.integrality_, strict=False)
            if kind == highspy.HighsVarType.kInteger}


@pytest.mark.parametrize(("text", "hand", "integers"), [
    (LP, 34.0, set()),
    (MIP, 35.0, {"x(a)"}),
    (MAX, 325.0, {"x(a)"}),
])
def test_small_files_resolve_to_the_hand_optimum(
    tmp_path: Path, text: str, hand: float, integers: set[str]
) -> None:
    config = write(tmp_path, text)
    code, lp, mps = run_writing(tmp_path, config)
    assert code == 0
    s = load_scenario(config, []).scenario
    engine = solve_scenario(load_scenario(config, []))
    ref = reference_solve(s)
    if s.objective == "max_exports":
        figures = (engine.lever_exports, ref.best_exports)
    else:
        figures = (engine.discounted_cost, ref.discounted_cost)
    assert all(math.isclose(f, hand, rel_tol=REL) for f in figures), figures  # type: ignore[arg-type]
    for path in (lp, mps):
        h, value = read_back(path)
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        assert math.isclose(value, hand, rel_tol=REL), (path.name, value, hand)
        # integrality kept in both formats (the relaxation's optimum differs)
        assert integer_columns(h) == integers, path.name
        assert set(h.getLp().col_names_) == {"x(a)", "x(b)"}


def _written_and_solved(tmp_path: Path, config: Path, extra: tuple[str, ...]
                        ) -> Iterator[tuple[highspy.Highs, float]]:
    """The LP and the MPS file of ``config`` (``extra``: max_exports at a ceiling), each
    read back by a fresh HiGHS whose optimum equals the engine's and scipy's."""
    code, lp, mps = run_writing(tmp_path, config, *extra)
    assert code == 0
    overrides = [("objective", "max_exports"), ("budget.ceiling", extra[-1])] if extra else []
    loadout = load_scenario(config, overrides)
    engine = solve_scenario(loadout)
    ref = reference_solve(loadout.scenario)
    if extra:
        want, other = engine.lever_exports, ref.best_exports
    else:
        want, other = engine.discounted_cost, ref.discounted_cost
    assert want is not None and other is not None
    assert math.isclose(want, other, rel_tol=REL), (want, other)
    for path in (lp, mps):
        h, value = read_back(path)
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        assert math.isclose(value, want, rel_tol=REL), (path.name, value, want)
        yield h, value


@pytest.mark.parametrize("extra", [(), ("--objective", "max_exports", "--ceiling", "150M")])
def test_three_year_files_resolve_to_the_engine_and_reference_optimum(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    for h, value in _written_and_solved(tmp_path, THREE_YEAR, extra):
        model = h.getLp()
        if not extra:  # the file's own comment: 178,459,317 USD discounted
            assert round(value) == 178_459_317
        # names a reviewer maps back to the file: levers, periods, limits
        assert {"x(it_workforce,2024)", "u(startup_fund)", "s(startup_fund,2025)",
                "e(erozgar_centers,2026)"} <= set(model.col_names_)
        assert {"target", "milestone(2024)", "milestone(2025)", "unit_totals(it_workforce)",
                "requires(startup_fund,erozgar_centers)", "extra(0)"} <= set(model.row_names_)
        # the use switches and start binaries, and the integer levers, stay integer
        assert {"u(startup_fund)", "s(startup_fund,2024)",
                "x(it_workforce,2026)"} <= integer_columns(h)
        # the budget row is there exactly when a ceiling is
        assert ("budget" in model.row_names_) == bool(extra)


# every family at once: string period labels with a space, a curve that needs
# binaries (d, y, pw_*), a fixed cost starting in some period (s, started),
# excludes, a spend floor, a per-period ceiling, a milestone, a constraint
RICH = """
    name: rich
    currency: USD
    periods: ["2024 H1", "2024 H2", "2025"]
    discount_rate: 5%
    target:
      exports: 1000
      milestones: {"2024 H2": 300}
    budget:
      per_period: {"2024 H1": 400}
    levers:
      a: {unit_cost: 2, yield_per_unit: 3, max_units_per_period: 150, min_spend: 20}
      b:
        unit_cost: 5
        yield_curve: [[0, 0], [100, 200], [200, 700]]
        excludes: [c]
        lag: 1
        max_units: 200
      c: {unit_cost: 1.5, yield_per_unit: 2, fixed_cost: 100, integer: true,
          max_units: 120, attrition: 10%}
    constraints:
      - {name: a beside c, expr: "spend(a) <= 2 * spend(c) + 500"}
"""


@pytest.mark.parametrize("extra", [(), ("--objective", "max_exports", "--ceiling", "900")])
def test_every_family_resolves_to_the_engine_and_reference_optimum(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    for h, _ in _written_and_solved(tmp_path, write(tmp_path, RICH), extra):
        model = h.getLp()
        assert {"x(a,2024_H1)", "d(b,2025,1)", "y(b,2025,0)", "s(c,2024_H2)"} <= set(
            model.col_names_)
        assert {"excludes(b,c)", "period_budget(2024_H1)", "milestone(2024_H2)",
                "spend_bounds(a)", "pw_full(b,2025,0)", "extra(0)"} <= set(model.row_names_)
        assert {"y(b,2025,0)", "u(c)", "x(c,2025)"} <= integer_columns(h)


def test_infeasible_scenario_still_writes_its_model(tmp_path: Path) -> None:
    code, lp, mps = run_writing(tmp_path, write(tmp_path, INFEASIBLE))
    assert code == 3
    for path in (lp, mps):
        h, _ = read_back(path)
        assert h.getModelStatus() == highspy.HighsModelStatus.kInfeasible


def test_a_file_in_a_missing_folder_is_an_output_error_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    config = write(tmp_path, LP)
    good, bad = tmp_path / "model.lp", tmp_path / "no" / "such" / "model.mps"
    out = invoke("--config", config, "--write-lp", good, "--write-mps", bad)
    assert out.code == 1  # as an --output that cannot be written
    assert f"could not write {bad}" in out.err and "does not exist" in out.err
    assert "Traceback" not in out.err and out.out == ""
    assert not good.exists() and not bad.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]


@pytest.mark.parametrize(("flag", "name", "says"), [
    ("--write-lp", "model.mps", "name it .lp"),
    ("--write-mps", "model.lp", "name it .mps"),
    ("--write-lp", "", "is a folder"),
])
def test_a_wrong_name_is_a_usage_error(tmp_path: Path, flag: str, name: str, says: str) -> None:
    config = write(tmp_path, LP)
    target = tmp_path / name if name else tmp_path
    out = invoke("--config", config, flag, target)
    assert out.code == 2 and says in out.err and out.out == "", out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]


def test_the_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path: Path) -> None:
    config = write(tmp_path, LP)
    lp = tmp_path / "model.lp"
    lp.write_text("an older model\n")
    assert invoke("--config", config, "--write-lp", lp).code == 0
    assert lp.read_text().startswith("\\ pk-budget-optimizer: the model HiGHS solves")
    assert "an older model" not in lp.read_text()
    assert sorted(os.listdir(tmp_path)) == ["model.lp", "scenario.yaml"]


def test_money_scale_is_stated_in_the_header(tmp_path: Path) -> None:
    code, lp, _ = run_writing(tmp_path, THREE_YEAR)
    assert code == 0
    header = [line for line in lp.read_text().splitlines() if line.startswith("\\")]
    # the engine's units for the three-year file: money in 1e5 USD, exports in 1e6
    assert any("1 model unit = 100000 USD" in line and "1 model unit = 1e+06 USD a year"
               in line for line in header), header


def test_every_family_of_the_model_is_named_by_what_its_index_counts() -> None:
    # a family added to models/build.py without a line in the naming table would be
    # written with bare positions (x(3,1)), which a reviewer cannot map back
    from models.build import STRUCTURE
    from optimizer.solving import engine

    numbered = {"target", "budget", "enough", "extra", "reached", "sample_reach"}
    named = engine._LEVER_FIRST | engine._PERIOD_FIRST | engine._OUTCOME_FIRST | \
        engine._CURVE_FIRST | {"requires", "excludes"}
    assert (engine.LIMIT_FAMILIES | STRUCTURE) - numbered == named


@pytest.mark.parametrize("args", [
    ("--confidence", "0.9"),
    ("--variant", "all"),
])
def test_flags_that_would_write_another_model_are_refused(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    config = write(tmp_path, LP)
    out = invoke("--config", config, "--write-lp", tmp_path / "model.lp", *args)
    assert out.code == 2 and "--write-lp" in out.err, out.err
    assert not (tmp_path / "model.lp").exists()


def test_with_a_subcommand_the_flags_are_refused(tmp_path: Path) -> None:
    config = write(tmp_path, LP)
    out = invoke("--write-lp", tmp_path / "model.lp", "explain", "--config", config)
    assert out.code == 2 and "--write-lp" in out.err, out.err
    assert not (tmp_path / "model.lp").exists()
