"""What a command asks of the solver: time, gap, seed. Plain data, no solver here, so
the analyses and the command line can hold it without importing HiGHS."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

DEFAULT_MIP_GAP = 1e-7
DEFAULT_SEED = 0
# Seconds the searches after an answer may take by default (--time-budget): the
# repairs of an infeasible file, and explain's bisections and re-solves.
REPAIR_BUDGET = 60.0
EXPLAIN_BUDGET = 300.0


@dataclass(frozen=True)
class SolverOptions:
    time_limit: float | None = None
    """Seconds per solve; None = no limit."""
    mip_gap: float = DEFAULT_MIP_GAP
    """Relative MIP gap at which HiGHS may stop and call the plan optimal."""
    seed: int = DEFAULT_SEED
    threads: int = 1
    """One thread: reruns agree, and HiGHS refuses a new value after a solve."""
    deadline: float | None = None
    """time.monotonic() by which every solve of the command must have ended: the
    command's time budget, shared by the answer and every search after it."""

    def within(self, seconds: float | None) -> SolverOptions:
        """These options with a deadline ``seconds`` from now (None: none); an
        earlier deadline already set is kept."""
        if seconds is None:
            return self
        end = time.monotonic() + seconds
        if self.deadline is not None:
            end = min(end, self.deadline)
        return replace(self, deadline=end)


def options_of(time_limit: float | None, mip_gap: float | None) -> SolverOptions:
    """The options of --time-limit and --mip-gap (None: the default) for one command."""
    return SolverOptions(time_limit=time_limit,
                         mip_gap=DEFAULT_MIP_GAP if mip_gap is None else mip_gap)
