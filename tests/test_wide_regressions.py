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


OPEN = sorted((Path(__file__).parent / "wide_cases_open").glob("*.yaml"))
"""Findings not fixed yet (issue 17's closing note): each fails today, and a fix
makes its strict xfail fail until the file moves to wide_cases/."""


@pytest.mark.xfail(strict=True, reason="open finding of the wide comparison")
@pytest.mark.parametrize("path", OPEN, ids=[p.stem for p in OPEN])
def test_open_finding(path: Path) -> None:
    verdict = wide.judge(path)
    assert verdict["class"] in wide.ACCEPTABLE, wide.header(verdict)


def test_the_cases_are_there() -> None:
    assert len(CASES) >= 16
