"""Every disagreement the wide random comparison found, shrunk, kept as a case.

Each file in tests/wide_cases/ was a finding against the engine (a worse optimum
printed as optimal, an infeasible file called feasible or the reverse, an exit 1
or an exit 4 without a plan) before the change its name describes. Each is run as
a user runs it (``optimize --config FILE --format json``) and judged against the
independent reference by ``tests.wide.judge``: the class must be acceptable.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import wide

CASES = sorted((Path(__file__).parent / "wide_cases").glob("*.yaml"))
LOOSE = sorted((Path(__file__).parent / "wide_cases_reference_loose").glob("*.yaml"))
"""Findings that were the reference's: its cheaper plan meets the target only within
HiGHS's tolerance, and asked for 1e-6 more exports it costs what the engine's plan
does (tests.wide: reference_target_loose). Kept so the judge's reasoning is tested."""


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shrunk_finding_now_agrees(path: Path) -> None:
    verdict = wide.judge(path)
    assert verdict["class"] in wide.ACCEPTABLE, wide.header(verdict)


@pytest.mark.parametrize("path", LOOSE, ids=[p.stem for p in LOOSE])
def test_reference_short_of_the_target_by_its_tolerance(path: Path) -> None:
    verdict = wide.judge(path)
    assert verdict["class"] == "reference_target_loose", wide.header(verdict)
    # the engine's plan meets the target exactly and its cost is the reference's
    # once the reference must meet it too
    assert verdict["engine"]["judged"]["exports"] >= 16.2e6
    assert verdict["engine"]["total_cost"] == pytest.approx(
        verdict["reference"]["cost_with_target_1e-6_higher"], rel=1e-6)


PAST_A_CAP = sorted((Path(__file__).parent / "wide_cases_reference_past_a_cap").glob("*.yaml"))
"""max_exports findings that were the reference's: its cheaper plan at the engine's
exports reaches them only by buying past a cap within its tolerance (tests.wide:
reference_floor_loose)."""


@pytest.mark.parametrize("path", PAST_A_CAP, ids=[p.stem for p in PAST_A_CAP])
def test_reference_past_a_cap_by_its_tolerance(path: Path) -> None:
    verdict = wide.judge(path)
    assert verdict["class"] == "reference_floor_loose", wide.header(verdict)
    # by hand (case_15_511): 37,008 beta and 2 eps in period 2 export 0.0015 more than
    # 37,009 beta, and cost 0.029 more (0.1788 / 1.3 against 0.141 / 1.3); the
    # reference's cheaper plan makes up the 0.0015 with 4.9e-10 units of delta past
    # its 27.2 cap. Asked for 1e-9 more exports it costs more than the engine's plan.
    assert verdict["reference"]["cost_1e-9_above_engine_exports"] >= verdict["engine"][
        "discounted_cost"] * (1 - 1e-9)
    assert verdict["engine"]["certificate"]["proven"] is True


FLOOR_LOOSE = sorted((Path(__file__).parent / "wide_cases_reference_floor_loose").glob("*.yaml"))
"""max_exports findings where the reference cannot keep the engine's exports at all:
asked for 1e-9 more, it still exports less (inside its absolute tolerance)."""


@pytest.mark.parametrize("path", FLOOR_LOOSE, ids=[p.stem for p in FLOOR_LOOSE])
def test_reference_that_cannot_keep_the_exports(path: Path) -> None:
    verdict = wide.judge(path)
    assert verdict["class"] == "reference_floor_loose", wide.header(verdict)
    # the engine keeps the most exports within its band, and proves it
    assert verdict["engine"]["certificate"]["proven"] is True
    assert verdict["engine"]["lever_exports"] >= verdict["reference"]["best_exports"] * (1 - 2e-6)


def test_the_cases_are_there() -> None:
    assert len(CASES) >= 16
