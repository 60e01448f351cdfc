"""Re-optimising under each sample: the distribution of the optimal cost and of the mix.

Every sample of a scenario's uncertain lever fields is drawn once, in the
calling process, from the seed (``uncertain_fields.scenario_draws``); each
sample is the scenario with those values (``with_values``) solved to
optimality. Samples are solved in one process, in spawned worker processes
(``workers``), or on a Dask distributed cluster (``scheduler``); each worker
is sent its chunk's values, so the answer never depends on how the samples
were split, and results come back in sample order.

A sample changes the model's coefficients (costs, yields). Samples are
solved in fixed blocks of BLOCK, in order: the first sample of a block builds
a Session, the rest re-solve warm (``Session.rebase``: the same HiGHS
instances, the changed coefficients pushed, their bases kept). Blocks, not
workers, decide which samples share an instance, so the numbers are the same
however many workers or which cluster solve them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from optimizer.analyses import cluster
from optimizer.analyses.scope import exports_or_cost
from optimizer.errors import ScenarioError, SolverError, UsageError
from optimizer.results.reoptimized import Reoptimized, Sample

if TYPE_CHECKING:
    from optimizer.scenario import Loadout
    from optimizer.solving.engine import Session
    from optimizer.solving.options import SolverOptions

BLOCK = 25
"""Samples solved warm one after another from one fresh Session: small enough
for steady progress and load balance over workers, large enough that shipping
a block and its first (cold) build cost little beside solving it."""
PLAN_STATUSES = ("optimal", "limit_with_plan")
ERROR = "error"

_LOCK = threading.Lock()
"""One solve at a time per process: the engine points file descriptor 1 away
while HiGHS starts, which threads of one Dask worker would race on."""

Values = dict[str, list[float]]
"""Sample values of one chunk: lever field path -> one value per sample."""


def reoptimize(
    loadout: Loadout,
    samples: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    options: SolverOptions | None = None,
    progress: Callable[[int], None] | None = None,
    scheduler_timeout: float = cluster.DEFAULT_TIMEOUT,
) -> Reoptimized:
    """Solve the scenario under each of ``samples`` joint samples (default
    ``uncertainty.samples``) drawn from ``seed`` (default ``uncertainty.seed``).

    ``workers`` > 1 solves chunks of samples in that many spawned processes;
    ``scheduler`` ("tcp://HOST:PORT") sends them to a Dask distributed cluster
    whose workers can import this package, waiting at most ``scheduler_timeout``
    seconds for each answer (see analyses.cluster). ``progress(done)`` is called as
    samples finish. Raises UsageError for a scenario without distributions or
    bad arguments.
    """
    exports_or_cost(loadout, "simulate --reoptimize")
    from optimizer.scenario.uncertain_fields import scenario_draws

    start = time.perf_counter()
    s = loadout.scenario
    if not s.uncertain:
        raise UsageError(
            f"{loadout.file}: no parameter is written as a distribution, so every sample "
            "is the same scenario; write one in place of a number, e.g. yield_per_unit: "
            "{dist: triangular, low: 20k, mode: 25k, high: 30k}")
    n = s.uncertainty.samples if samples is None else samples
    seed = s.uncertainty.seed if seed is None else seed
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"samples must be a whole number >= 1 (got {n!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"the seed must be a whole number >= 0 (got {seed!r})")
    if workers < 1:
        raise UsageError(f"workers must be >= 1 (got {workers})")
    if scheduler is not None and workers > 1:
        raise UsageError("give --workers (processes here) or --scheduler (a Dask cluster), "
                         "not both")
    try:
        draws = scenario_draws(s, n, seed)
    except ValueError as exc:
        raise UsageError(f"{loadout.file}: {exc}") from None
    if not draws:
        raise UsageError(
            f"{loadout.file}: the distributions move no lever field (an uncertain exchange "
            "rate moves only the amounts written in its currency), so every sample is the "
            "same scenario")
    columns = {path: draws[path].tolist() for path in sorted(draws)}

    if scheduler is not None:
        parts = _on_cluster(scheduler, loadout, columns, n, options, progress,
                            scheduler_timeout)
    elif workers > 1 and n > 1:
        parts = _in_processes(loadout, _chunks(columns, n, workers), options, progress, workers)
    else:
        parts = [_solve_chunk(loadout, columns, options, progress)]
    got = [sample for part in parts for sample in part]
    assert len(got) == n, f"{len(got)} results for {n} samples"

    ids = list(s.enabled_levers())
    seconds = time.perf_counter() - start
    return Reoptimized(
        samples=n,
        seed=seed,
        costs=tuple(g.cost for g in got),
        shares={lid: tuple(g.shares[i] for g in got) for i, lid in enumerate(ids)},
        statuses=tuple(g.status for g in got),
        seconds=seconds,
        solves_per_second=n / seconds if seconds > 0 else math.inf,
        build_seconds=sum(g.build_seconds for g in got),
        solve_seconds=sum(g.solve_seconds for g in got),
        highs_seconds=sum(g.highs_seconds for g in got),
        errors={i: g.message for i, g in enumerate(got) if g.status == ERROR},
    )


def _chunks(columns: Values, n: int, workers: int) -> list[Values]:
    """Contiguous blocks of BLOCK samples, in order, whatever ``workers`` is (which
    samples share a warm instance must not depend on it)."""
    return [{path: col[i:i + BLOCK] for path, col in columns.items()}
            for i in range(0, n, BLOCK)]


def _solve_chunk(
    loadout: Loadout, values: Values, options: SolverOptions | None,
    progress: Callable[[int], None] | None = None,
) -> list[Sample]:
    """Solve each sample of a chunk, in order (in whichever process runs it)."""
    with _LOCK:
        paths = list(values)
        count = len(values[paths[0]]) if paths else 0
        out = []
        warm: list[Session] = []  # the block's session, once built
        for j in range(count):
            out.append(_solve_one(loadout, {p: values[p][j] for p in paths}, options, warm))
            if progress is not None:
                progress(j + 1)
        return out


def _chunk_task(values: Values, loadout: Loadout, options: SolverOptions | None
                ) -> list[Sample]:
    """A chunk as a Dask task: the values first, as ``Client.map`` passes them."""
    return _solve_chunk(loadout, values, options)


def _solve_one(loadout: Loadout, sample: Mapping[str, float],
               options: SolverOptions | None, warm: list[Session]) -> Sample:
    """One sample: re-solved warm on the block's session (``warm``), or on a new one
    that the block's next samples then reuse."""
    from optimizer.scenario import Loadout
    from optimizer.scenario.uncertain_fields import with_values
    from optimizer.solving.engine import Session

    ids = list(loadout.scenario.enabled_levers())
    zeros = tuple(0.0 for _ in ids)
    start = time.perf_counter()
    try:
        scenario = with_values(loadout.scenario, sample)
        if warm:
            session = warm[0]
            session.rebase(scenario)
        else:
            session = Session(Loadout(scenario, loadout.file, loadout.sha256,
                                      loadout.variant), options)
            warm.append(session)
        built = time.perf_counter()
        # (a sample --time-limit leaves no time for is limit_without_plan)
        result = session.answer(scenario, diagnose=False)
    except (SolverError, ScenarioError) as exc:
        # one sample the engine cannot solve (or a coefficient HiGHS would drop)
        # is recorded, not allowed to sink the other samples; the next sample
        # starts a fresh session
        warm.clear()
        return Sample(ERROR, None, zeros, time.perf_counter() - start, 0.0, 0.0,
                      f"{type(exc).__name__}: {exc}")
    done = time.perf_counter()
    if result.status not in PLAN_STATUSES or result.discounted_cost is None:
        return Sample(result.status, None, zeros, built - start, done - built,
                      result.solver.seconds)
    spend = {row.lever: row.spend for row in result.rows}
    total = sum(spend.values())
    shares = tuple(spend.get(lid, 0.0) / total if total > 0 else 0.0 for lid in ids)
    return Sample(result.status, result.discounted_cost, shares, built - start, done - built,
                  result.solver.seconds)


def _in_processes(
    loadout: Loadout, chunks: Sequence[Values], options: SolverOptions | None,
    progress: Callable[[int], None] | None, workers: int,
) -> list[list[Sample]]:
    """Chunks in spawned processes (as optimizer.analyses.sweep: HiGHS keeps per-process
    state a fork would copy half-initialised); each process solves several
    chunks and keeps its imports."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from optimizer.solving.forked import dies_at_interrupt

    out: list[list[Sample] | None] = [None] * len(chunks)
    done = 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)),
                             mp_context=context,
                             initializer=dies_at_interrupt) as pool:
        index = {pool.submit(_solve_chunk, loadout, chunk, options): i
                 for i, chunk in enumerate(chunks)}
        for future in as_completed(index):
            part = future.result()
            out[index[future]] = part
            done += len(part)
            if progress is not None:
                progress(done)
    return [part for part in out if part is not None]


def _on_cluster(
    scheduler: str, loadout: Loadout, columns: Values, n: int,
    options: SolverOptions | None, progress: Callable[[int], None] | None,
    timeout: float = cluster.DEFAULT_TIMEOUT,
) -> list[list[Sample]]:
    """Chunks as tasks on a Dask distributed cluster; its workers must be able to
    import this package (install it there with the distributed extra)."""
    counted = [0]

    def done(_i: int, part: list[Sample]) -> None:
        counted[0] += len(part)
        if progress is not None:
            progress(counted[0])

    return cluster.run(scheduler, _chunk_task, _chunks(columns, n, 1), timeout, done,
                       loadout=loadout, options=options)
