"""The type checker passes: mypy over the packages, with setup.cfg's [mypy] settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "optimizer", "models"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
