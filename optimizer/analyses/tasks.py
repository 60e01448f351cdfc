"""Searches split into independent tasks, and one set of forked processes for all
of them: explain runs the worth of its limits, the tornado, the stability ranges and
the room together, so that no core waits while another section's last task runs.

A task starts from solver state of its own (Session.spawn), never from what a task
before it left warm, so an answer does not depend on how many processes ran or
which took which task (see optimizer.solving.forked)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from optimizer.errors import OutOfTime

T = TypeVar("T")

Tick = Callable[[int], None]
"""Told how many parts of a long step have finished (a progress bar's update)."""
Bars = Callable[[int, str], Tick]
"""Given how many parts a long step has and its name, the Tick to tell (the command
line draws a bar on a terminal's stderr; nothing here knows of terminals)."""


@dataclass(frozen=True)
class Tasks(Generic[T]):
    """A section's probes as ``count`` independent tasks, and how their answers (in
    task order) make the section."""

    count: int
    run: Callable[[int], Any]
    assemble: Callable[[Sequence[Any]], T]


@dataclass(frozen=True)
class _TimedOut:
    """A task the command's time budget stopped (its section is left out)."""

    message: str


def run_together(searches: Sequence[Tasks[Any]], workers: int | None = None,
                 progress: Tick | None = None,
                 meanwhile: Callable[[], None] | None = None) -> list[Any]:
    """Every search's tasks in one set of forked processes (``workers``; None: as many
    as pay here), each search's answer assembled from its own; an OutOfTime (returned,
    not raised) where a task of that search ran out of time. Tasks are handed out in
    the order given: put the longest first. ``progress(k)``: k tasks of all have
    finished. ``meanwhile``: run once in this process, which only waits, when the
    first task has finished (the processes are started by then: nothing it does is
    forked into them), while the others run; an exception it raises is raised here."""
    from optimizer.solving.forked import forked_map

    if meanwhile is not None:
        pending = [meanwhile]
        told = progress

        def first_then_tell(k: int) -> None:
            while pending:
                pending.pop()()
            if told is not None:
                told(k)

        progress = first_then_tell

    owner = [(s, i) for s in searches for i in range(s.count)]

    def run(k: int) -> Any:
        search, i = owner[k]
        try:
            return search.run(i)
        except OutOfTime as exc:
            return _TimedOut(str(exc))

    found = forked_map(run, len(owner), workers, progress)
    out: list[Any] = []
    start = 0
    for search in searches:
        part = found[start:start + search.count]
        start += search.count
        late = next((x for x in part if isinstance(x, _TimedOut)), None)
        out.append(OutOfTime(late.message) if late is not None else search.assemble(part))
    return out


def run_alone(search: Tasks[T], workers: int | None = None, progress: Tick | None = None
              ) -> T:
    """One search's answer, its tasks side by side; OutOfTime raised."""
    got = run_together([search], workers, progress)[0]
    if isinstance(got, OutOfTime):
        raise got
    return got  # type: ignore[no-any-return]
