"""Shared helpers: scenarios are written as YAML text, as planners write them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.engine import solve_scenario
from optimizer.results import Result
from optimizer.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to a file and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def solve(scenario_file: Callable[..., Path]) -> Callable[..., Result]:
    """Solve YAML text through the public API."""

    def run(text: str, **overrides: object) -> Result:
        path = scenario_file(text)
        return solve_scenario(load_scenario(path, list(overrides.items())))

    return run
