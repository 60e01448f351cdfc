"""The wide random comparison with the reference, on a fixed seed and a bounded count.

Each case is ``tests.wide.case(SEED, i)`` (unit costs and yields 1e-3..1e9,
caps up to 1e9 units, ceilings up to 1e12, targets up to 1e13, periods,
curves, lever logic, constraints, both objectives), run as a user runs it
(``optimize --config FILE --format json`` through click's CliRunner) and
judged against ``tests.reference.reference_solve`` by ``tests.wide.judge``.
A case fails when its class is in ``tests.wide.BAD`` (a finding against the
engine), with both answers and the file in the message. It passes when the
class is ``ACCEPTABLE`` (agreement, an exit 4 whose gap covers the reference, a
clear exit 2 "outside what the solver represents"), and passes with a warning
when the class is one of ``REFERENCE_DEFECTS`` (the reference failed, or the
engine's plan is valid and better): no verdict on the engine, but visible.

The same cases, and thousands more, by hand:
``python scripts/fuzz_reference.py --count 2000 --seed 20240 --out /tmp/wide --shrink``
(case i of a seed is the same file there).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests import wide

SEED = 20240
COUNT = 150  # about 40 s on the 2-core CI machine


@pytest.mark.parametrize("index", range(COUNT))
def test_wide_case_agrees_with_reference(index: int, tmp_path: Path) -> None:
    path = wide.write_case(SEED, index, tmp_path)
    verdict = wide.judge(path)
    if verdict["class"] in wide.REFERENCE_DEFECTS:
        warnings.warn(f"case {SEED}-{index}: no verdict, {verdict['class']}: "
                      + wide.header(verdict), stacklevel=1)
        return
    assert verdict["class"] not in wide.BAD, (
        f"case {SEED}-{index} (python scripts/fuzz_reference.py --seed {SEED} --only "
        f"{index} --out DIR to rerun it):\n" + wide.header(verdict)
        + "\n" + path.read_text(encoding="utf-8"))
