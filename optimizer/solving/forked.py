"""Independent searches run side by side in forked processes.

An analysis whose probes fall into independent tasks (the two ends of each
stability range, each tornado move, each confidence of the cost of certainty)
hands them here. Each task must give the same
answer wherever it runs: it starts from its own solver state, never from what a
task before it left warm, so the output does not depend on how many processes
ran or which took which task.

Forked, not spawned: a child starts with the parent's loaded scenario and
imports in a millisecond, where a spawned one spends half a second importing
Pyomo. The engine already forks for its second opinions (see highs._isolated);
HiGHS runs single-threaded (SolverOptions.threads), so no solver thread is lost
across the fork.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

MAX_WORKERS = 4
"""More processes than this gain little on the small models explain probes and
hold a scenario's copy each."""

_work: Callable[[int], object] | None = None
"""The task function of the map in progress: inherited by the forked children,
so that only task numbers and answers cross the pipe."""


def workers_here() -> int:
    """The processes worth running here: the cores this process may use, at most
    MAX_WORKERS; 1 where the system cannot fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    return max(1, min(cores, MAX_WORKERS))


def dies_at_interrupt() -> None:
    """A worker process's Ctrl-C: it dies at once and silently (the signal's default
    action, where Python would print a KeyboardInterrupt traceback per worker); its
    parent, interrupted too, stops the command and says so once."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _run(i: int) -> object:
    assert _work is not None
    return _work(i)


def forked_map(work: Callable[[int], T], n: int, workers: int | None = None,
               done: Callable[[int], None] | None = None) -> list[T]:
    """``[work(0), ..., work(n - 1)]``, in order, run in up to ``workers`` forked
    processes (None: workers_here()), each taking the next task when it is free.
    An exception raised by a task is raised here (the first, in task order).
    ``done(k)``: told here, in this process, that ``k`` tasks have finished."""
    global _work
    count = min(workers_here() if workers is None else workers, n)
    if count <= 1 or _work is not None:
        # (one process, or a map inside a map's task: run here)
        out = []
        for i in range(n):
            out.append(work(i))
            if done is not None:
                done(i + 1)
        return out
    sys.stdout.flush()
    sys.stderr.flush()
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(count, dies_at_interrupt) as pool:
            answers: dict[int, tuple[bool, object]] = {}
            # answers as they finish (to count them), put back in task order below
            finished = pool.imap_unordered(_numbered, range(n), chunksize=1)
            while len(answers) < n:
                # waited in slices: a Ctrl-C the kernel hands to one of the pool's
                # threads sets Python's flag but does not wake a main thread blocked
                # on a lock, and the workers it killed leave their tasks undone, so an
                # endless wait hung (seen 1 run in 7); each slice runs the handler
                try:
                    i, ok, value = finished.next(timeout=0.25)
                except multiprocessing.TimeoutError:
                    continue
                answers[i] = (ok, value)
                if done is not None:
                    done(len(answers))
            for i in range(n):
                ok, value = answers[i]
                if not ok:
                    raise value  # type: ignore[misc]
            return [answers[i][1] for i in range(n)]  # type: ignore[misc]
    finally:
        _work = None


def _numbered(i: int) -> tuple[int, bool, object]:
    """Task ``i``'s answer, or the exception it raised, with its number: the parent
    raises the first in task order, as a map would, whichever finished first."""
    try:
        return i, True, _run(i)
    except Exception as exc:  # noqa: BLE001 - raised again in the parent
        return i, False, exc
