"""Errors the engine raises on purpose; each maps to an exit status in the CLI.

This module imports nothing internal so every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located as precisely as we can.

    Rendered as ``file:line: field.path: message`` (line and path omitted when
    unknown); ``message`` already ends with ``(got VALUE)`` where a value is at
    fault.
    """

    file: str
    message: str
    path: str = ""
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """The scenario cannot be read or is invalid (exit status 2).

    Carries every problem found, not only the first.
    """

    def __init__(self, problems: list[Problem], what: str = "scenario") -> None:
        self.problems = list(problems)
        self.what = what
        """What the file is meant to be, for the heading: scenario, result file."""
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem], str]]:
        # (pickled across a forked search, see optimizer.solving.forked: rebuilt whole)
        return ScenarioError, (self.problems, self.what)


class UsageError(ValueError):
    """A command-line value is wrong (exit status 2)."""


class SolverError(RuntimeError):
    """The solver failed, or its plan did not survive the re-check (exit status 1)."""


class ClusterError(RuntimeError):
    """A Dask cluster failed us: unreachable, not Dask, silent, no workers (exit 1)."""


class OutOfTime(SolverError):
    """The command's time budget ran out before a search could finish."""


class TimeUp(OutOfTime):
    """The command's --time-limit was spent before a stage of a solve could run (or
    finish): the engine keeps what the earlier stages found and says which stage was
    cut short; an analysis names the search it stopped, as for OutOfTime."""

    def __init__(self, message: str, during: bool = False) -> None:
        super().__init__(message)
        self.during = during
        """True: the stage ran and the limit ran out during it; False: it never ran."""


class OutputError(OSError):
    """An output could not be written (a full disk, a read-only file or folder): exit
    status 1, the path named, and what was there before left as it was."""
