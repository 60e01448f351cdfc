"""The layering and style rules hold: import-linter contracts and ruff."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def test_import_layers_hold() -> None:
    run = subprocess.run(
        [_tool("lint-imports"), "--config", "setup.cfg"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "broken" not in run.stdout.lower().replace("0 broken", "")


def test_ruff_is_clean() -> None:
    run = subprocess.run(
        [_tool("ruff"), "check", "optimizer", "models", "tests", "scripts"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
