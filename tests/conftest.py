"""Shared helpers: scenarios are written as YAML text, as planners write them."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from optimizer.results import Result
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario

ROOT = Path(__file__).resolve().parents[1]

# The suite is deterministic (derandomize): CI must not fail on a draw no one
# can reproduce. HYPOTHESIS_PROFILE=explore searches fresh cases at length.
settings.register_profile("default", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
