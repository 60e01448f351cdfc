"""Smoke test: every scenario shipped under configs/ solves to the figure it promises.

Each ``*.yaml`` under ``configs/`` (found by glob, so new files are picked up)
is run through the ``optimize`` command with ``--format json``:

* exit status 0 and status ``optimal``, except files whose name contains
  ``infeasible``: exit status 3 and status ``infeasible``;
* where the file's leading comment block says ``# Expected: cost 12,345 USD``,
  the result's ``total_cost`` (and currency, if given) must match to 1e-6
  relative. Files under ``configs/examples/`` must carry that comment;
* an infeasible file must also state ``reachable N`` in its header, and the
  message on stderr must mention that most reachable amount.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
EXAMPLES = CONFIGS / "examples"
SCENARIOS = sorted(CONFIGS.rglob("*.yaml"))

REL_TOL = 1e-6
NUMBER = r"(\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?)"
EXPECTED = re.compile(r"\bExpected:\s*cost\s+" + NUMBER + r"(?:\s+([A-Z]{3})\b)?")
REACHABLE = re.compile(r"\breachable\s+" + NUMBER)
ANY_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=1e-9)


def _header(path: Path) -> str:
    """The comment block at the top of the file (the lines before the first key)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        lines.append(stripped.lstrip("#").strip())
    return " ".join(lines)


def _is_example(path: Path) -> bool:
    return EXAMPLES in path.parents


def _infeasible(path: Path) -> bool:
    return "infeasible" in path.name


def _run(path: Path) -> Result:
    return CliRunner().invoke(main, ["--config", str(path), "--format", "json"])


def _describe(result: Result) -> str:
    return f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def _json(result: Result) -> dict[str, Any]:
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"--format json did not print JSON ({exc}):\n{_describe(result)}")
    assert isinstance(data, dict), data
    return data


def test_scenarios_are_found() -> None:
    assert (CONFIGS / "pakistan_it_exports.yaml") in SCENARIOS
    examples = [p for p in SCENARIOS if _is_example(p)]
    assert examples, f"no *.yaml under {EXAMPLES}"
    assert any(_infeasible(p) for p in examples), "no infeasible example"


@pytest.mark.parametrize("path", SCENARIOS, ids=[str(p.relative_to(CONFIGS)) for p in SCENARIOS])
def test_scenario_solves_to_its_expected_figure(path: Path) -> None:
    header = _header(path)
    expected = EXPECTED.search(header)
    if _is_example(path) and expected is None:
        pytest.fail(f"{path.relative_to(ROOT)}: no '# Expected: cost N' in its header comment")

    result = _run(path)
    infeasible = _infeasible(path)
    assert result.exit_code == (3 if infeasible else 0), _describe(result)

    data = _json(result)
    assert data["status"] == ("infeasible" if infeasible else "optimal"), _describe(result)

    allocation = data["allocation"]
    assert math.isclose(
        data["total_cost"], sum(row["spend"] for row in allocation), rel_tol=1e-9, abs_tol=1e-6
    )
    assert math.isclose(
        data["lever_exports"],
        sum(row["exports"] for row in allocation),
        rel_tol=1e-9,
        abs_tol=1e-6,
    )

    if expected is not None:
        cost, currency = _number(expected.group(1)), expected.group(2)
        assert _close(data["total_cost"], cost), (
            f"total_cost {data['total_cost']!r} != expected {cost:,.2f} "
            f"from the header of {path.name}"
        )
        if currency is not None:
            assert data["currency"] == currency

    if infeasible:
        reachable = REACHABLE.search(header)
        if reachable is None:
            pytest.fail(f"{path.relative_to(ROOT)}: no 'reachable N' in its header comment")
        most = _number(reachable.group(1))
        assert _close(data["lever_exports"], most), (data["lever_exports"], most)
        message = result.stderr
        assert "reachable" in message, _describe(result)
        mentioned = [_number(n) for n in ANY_NUMBER.findall(message)]
        assert any(_close(n, most) for n in mentioned), (
            f"stderr does not mention the most reachable {most:,.0f}:\n{message}"
        )
