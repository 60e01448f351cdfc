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

SECOND_STAGE_LOST = (Path(__file__).parent / "wide_cases"
                     / "milestone_met_by_a_sliver_below_the_read_threshold.yaml")
"""Since the band is 1e-9 the reference cannot answer this case (see
test_a_band_the_reference_cannot_hold_is_checked_by_hand): judged by hand instead."""
CASES = sorted(p for p in (Path(__file__).parent / "wide_cases").glob("*.yaml")
               if p != SECOND_STAGE_LOST)
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
    # the engine keeps the most exports within its 1e-9 band (give or take the last
    # digits: 1.00002e-9 under them), and proves it
    assert verdict["engine"]["certificate"]["proven"] is True
    assert verdict["engine"]["lever_exports"] >= verdict["reference"]["best_exports"] * (1 - 2e-9)


def test_a_band_the_reference_cannot_hold_is_checked_by_hand() -> None:
    """Within the 1e-9 band the second stage must keep 109,790 of delta's 209,582
    exports at 4.46M USD each, and scipy's milp calls that row infeasible even as an
    LP (its activity is 1e11 in the reference's row scaling, the band 101 of it),
    though the first plan lies in it: no verdict from the reference. The judge still
    re-checks the engine's plan against every limit; its figures are checked here.

    By hand: everything but delta at the most-exports plan's values, bought in FY25
    (the milestone's 0.96 in FY24 is 5.2e-6 of gamma and 1 of eps): beta 189,000
    (2,610 net, 528M exports each), gamma 269 (354, 74,400), alpha 17 whole units to
    its curve's top (100,335 for 17 x 156 + 28.6), eps 2, one a period (1.58 net,
    0.573). delta (8,200 net, 0.00184 exports, lag 1: only FY24 units export) takes
    the rest of the 1T ceiling after its 65.5B fixed cost: 113,903,245.4 units,
    209,582 exports, E* = 99,792,020,323,518. The band, 1e-9 of E*, is 99,792
    exports, all of them delta's (4.46M USD an export; no other lever costs more
    than 2.76): delta keeps (E - the rest) / 0.00184 units, all in FY24.
    """
    verdict = wide.judge(SECOND_STAGE_LOST)
    assert verdict["class"] == "reference_error", wide.header(verdict)
    assert "lost the max_exports second stage" in verdict["reference"]["error"]
    eng = verdict["engine"]
    assert eng["exit"] == 0 and eng["certificate"]["proven"] is True, wide.header(verdict)
    assert eng["judged"]["broken"] == []
    rest_cost = 189_000 * 2_610 + 269 * 354 + 17 * 156 + 28.6 + 2 * 1.58
    rest_exports = 189_000 * 528e6 + 269 * 74_400 + 100_335 + 2 * 0.573
    most = rest_exports + (1e12 - 65.5e9 - rest_cost) / 8_200 * 0.00184
    exports = eng["lever_exports"]
    # (give or take 5 exports, 5e-14 of them: the engine's model leaves eps's 1.146
    # out of the exports as dust, so its band ends that much lower)
    assert most * (1 - 1e-9) - 5 <= exports <= most
    delta = (exports - rest_exports) / 0.00184
    assert eng["units"] == pytest.approx(
        {"alpha": 17, "beta": 189_000, "gamma": 269, "delta": delta, "eps": 2}, rel=1e-6)
    assert eng["total_cost"] == pytest.approx(rest_cost + 65.5e9 + 8_200 * eng["units"]["delta"],
                                              rel=1e-12)


def test_the_cases_are_there() -> None:
    assert len(CASES) >= 16
