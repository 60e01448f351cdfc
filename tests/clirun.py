"""One way for tests to run the command line as a planner does: in process, through
Click, with stdout and stderr apart."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from click.testing import CliRunner

from optimizer.cli import main


class Invoked(NamedTuple):
    code: int
    out: str
    err: str


def invoke(*args: str | Path | float) -> Invoked:
    """``optimize ARGS...``: the exit code, stdout and stderr. A fault of the tool
    (an exception Click would turn into exit 1) is raised, not hidden."""
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return Invoked(r.exit_code, r.stdout, r.stderr)
