"""What a command asks of the solver: time, gap, seed. Plain data, no solver here, so
the analyses and the command line can hold it without importing HiGHS."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_MIP_GAP = 1e-7
DEFAULT_SEED = 0
# Seconds the searches after an answer may take by default (--time-budget): the
# repairs of an infeasible file, and explain's bisections and re-solves.
REPAIR_BUDGET = 60.0
EXPLAIN_BUDGET = 300.0


class Clock:
    """The seconds of --time-limit: one budget for every HiGHS run of a command, counted
    from the first run (not from the start of the command: reading and building the
    model are not the solver's time, so the answer's first solve gets as long as a
    direct HiGHS run with the same limit).

    Mutable on purpose, inside frozen options: every copy of the options (the
    ``dataclasses.replace`` of ``within``, a Session's spawned twins, a forked child)
    holds the same clock, so they spend one budget. A clock pickled for another
    process (a sweep's or simulate's spawned workers) is started first: handing the
    solves to workers is when solving starts, and they all end when it ends (the
    monotonic clock is the machine's, shared by its processes)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        """None: no limit."""
        self.end: float | None = None
        """time.monotonic() at which the budget is spent (None: not started)."""

    def start(self) -> None:
        if self.seconds is not None and self.end is None:
            self.end = time.monotonic() + self.seconds

    def left(self) -> float | None:
        """Seconds left (<= 0: spent; None: no limit); starts the clock, and the
        caller that starts it has all of them (a limit of 1e-6 s still runs once)."""
        if self.seconds is None:
            return None
        if self.end is None:
            self.start()
            return self.seconds
        return self.end - time.monotonic()

    def __getstate__(self) -> dict[str, Any]:
        self.start()
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"Clock(seconds={self.seconds!r}, end={self.end!r})"


@dataclass(frozen=True)
class SolverOptions:
    time_limit: float | None = None
    """Seconds for every HiGHS run of the command together (--time-limit), counted from
    the first (see Clock); None = no limit. The answer's first solve may use all of
    it; each later stage (a second opinion, max_exports' second stage, an analysis's
    next solve) gets what is left, and is not run when nothing is (see
    engine.Session.solve for how that is reported)."""
    mip_gap: float = DEFAULT_MIP_GAP
    """Relative MIP gap at which HiGHS may stop and call the plan optimal."""
    seed: int = DEFAULT_SEED
    threads: int = 1
    """One thread: reruns agree, and HiGHS refuses a new value after a solve."""
    deadline: float | None = None
    """time.monotonic() by which every solve of the command must have ended: the
    command's time budget (--time-budget), shared by the answer and every search
    after it, each HiGHS run a third of what is left. Not used when ``time_limit``
    is set: the limit is then the command's one budget for its solves (a budget
    of 60 s cut the answer's first run of ``--time-limit 60`` to 20 s)."""
    clock: Clock = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    """``time_limit``'s budget, shared by every copy of these options."""

    def __post_init__(self) -> None:
        if self.clock is None or self.clock.seconds != self.time_limit:
            object.__setattr__(self, "clock", Clock(self.time_limit))

    @property
    def budget_option(self) -> str:
        """The option whose time a search that did not finish ran out of, as a
        message names it: --time-limit where the command has one (it then bounds
        every solve, see ``deadline``), else --time-budget."""
        return "--time-limit" if self.time_limit is not None else "--time-budget"

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
    """The options of --time-limit and --mip-gap (None: the default) for one command
    (a clock of its own: one budget for the command's solves)."""
    return SolverOptions(time_limit=time_limit,
                         mip_gap=DEFAULT_MIP_GAP if mip_gap is None else mip_gap)
