"""Sweeps: the answer across budget ceilings or export targets.

One model is built per sweep (``engine.Session``) and re-solved warm on the
same HiGHS object with changed mutable parameters; nothing is rebuilt per
point. Points out of reach are rows marked infeasible, not errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from optimizer.errors import UsageError
from optimizer.results import Breakpoint, Result, Sweep
from optimizer.scenario.amounts import AmountError, parse_amount

if TYPE_CHECKING:
    from optimizer.results import Kind
    from optimizer.scenario import Loadout
    from optimizer.solving.engine import Session
    from optimizer.solving.options import SolverOptions

MAX_POINTS = 10_000


def parse_range(text: str, currency: str, rates: Mapping[str, float]) -> list[float]:
    """``100M:2B:100M`` (start:stop:step, stop included) or ``1B,2B,3B``.

    Amounts in the spec's grammar; raises UsageError saying what is wrong.
    """

    def amount(part: str) -> float:
        try:
            return parse_amount(part.strip(), currency, rates)
        except AmountError as exc:
            raise UsageError(f"{text!r}: {exc}") from None

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise UsageError(f"{text!r}: a range is START:STOP:STEP, such as 100M:2B:100M")
        start, stop, step = (amount(p) for p in parts)
        if step <= 0:
            raise UsageError(f"{text!r}: the step must be positive (got {parts[2].strip()})")
        if stop < start:
            raise UsageError(f"{text!r}: STOP is below START; write the range upwards")
        count = math.floor((stop - start) / step * (1 + 1e-12)) + 1
        if count > MAX_POINTS:
            raise UsageError(f"{text!r}: {count:,} points; at most {MAX_POINTS:,}")
        return [start + i * step for i in range(count)]
    values = [amount(p) for p in text.split(",") if p.strip()]
    if not values:
        raise UsageError(f"{text!r}: no values")
    if any(v < 0 for v in values):
        raise UsageError(f"{text!r}: values must be >= 0")
    return sorted(values)


def point_scenarios(loadout: Loadout, kind: Kind, values: Sequence[float]) -> list[Any]:
    from optimizer.solving.engine import with_goal

    s = loadout.scenario
    if kind == "ceilings":
        return [with_goal(s, ceiling=v, objective="max_exports") for v in values]
    return [with_goal(s, target=v, objective="min_cost") for v in values]


def _solve_points(
    loadout: Loadout, kind: Kind, values: Sequence[float], widest: float | None,
    options: SolverOptions | None, progress: Callable[[int], None] | None = None,
) -> list[Result]:
    from optimizer.solving.engine import Session

    session = Session(loadout, options, widest_ceiling=widest)
    results = []
    for i, point in enumerate(point_scenarios(loadout, kind, values)):
        results.append(session.solve(point, diagnose=False))
        if progress is not None:
            progress(i + 1)
    return results


def _worker(
    source: tuple[str, tuple[tuple[str, Any], ...], str | None], kind: Kind,
    values: Sequence[float], widest: float | None, options: SolverOptions | None,
) -> list[Result]:
    """In a worker process: load the scenario again and solve a contiguous chunk."""
    from optimizer.scenario import load_scenario

    path, overrides, variant = source
    return _solve_points(load_scenario(path, overrides, variant), kind, values, widest, options)


def run_sweep(
    loadout: Loadout,
    kind: Kind,
    values: Sequence[float],
    options: SolverOptions | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    source: tuple[str, tuple[tuple[str, Any], ...], str | None] | None = None,
) -> Sweep:
    """Solve every point on one model; ``progress(done)`` as points finish.

    ``workers`` > 1 splits the points into contiguous chunks (each stays warm)
    solved in spawned processes, each loading the scenario from ``source``
    (file, overrides, variant). Spawned, not forked: HiGHS keeps per-process
    state that a fork would copy half-initialised. Worth it only when a point
    takes longer than a worker takes to start (about a second of imports).
    """
    start = time.perf_counter()
    widest = max(values) if kind == "ceilings" else None
    if workers > 1 and source is not None and len(values) > 1:
        results = _in_processes(source, kind, values, widest, options, progress, workers)
    else:
        results = _solve_points(loadout, kind, values, widest, options, progress)
    s = loadout.scenario
    return Sweep(
        kind=kind,
        scenario=s.name,
        currency=s.currency,
        levers=tuple((lid, lv.label(lid)) for lid, lv in s.enabled_levers().items()),
        values=tuple(values),
        results=tuple(results),
        seconds=time.perf_counter() - start,
        interpolation_error=interpolation_error(kind, values, results),
    )


def _in_processes(
    source: tuple[str, tuple[tuple[str, Any], ...], str | None], kind: Kind,
    values: Sequence[float], widest: float | None, options: SolverOptions | None,
    progress: Callable[[int], None] | None, workers: int,
) -> list[Result]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from optimizer.solving.forked import dies_at_interrupt

    size = math.ceil(len(values) / workers)
    chunks = [list(values[i:i + size]) for i in range(0, len(values), size)]
    done = 0
    out: list[list[Result]] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context,
                             initializer=dies_at_interrupt) as pool:
        futures = [pool.submit(_worker, source, kind, chunk, widest, options)
                   for chunk in chunks]
        for future, chunk in zip(futures, chunks, strict=True):
            out.append(future.result())
            done += len(chunk)
            if progress is not None:
                progress(done)
    return [r for part in out for r in part]


def interpolation_error(
    kind: Kind, values: Sequence[float], results: Sequence[Result]
) -> float | None:
    """Bound on how far the straight lines between grid points can miss the frontier.

    For targets the frontier (least cost against target) is convex and
    piecewise linear for an LP; between two points with end slopes s1 <= s2
    a convex curve lies at most (s2 - s1) * width / 4 below the chord. The
    slopes are the target row's duals. None when a point lacks a dual (a
    MIP's frontier is not convex) or for ceilings.
    """
    if kind != "targets" or len(values) < 2:
        return None
    worst = 0.0
    for (x1, r1), (x2, r2) in zip(zip(values, results, strict=True),
                                  list(zip(values, results, strict=True))[1:], strict=False):
        if r1.status != "optimal" or r2.status != "optimal":
            continue  # no curve across a point out of reach
        s1, s2 = r1.marginal_cost_of_target, r2.marginal_cost_of_target
        if r1.marginal_cost_basis != "lp" or s1 is None or s2 is None:
            return None
        worst = max(worst, max(0.0, s2 - s1) * (x2 - x1) / 4)
    return worst


MAX_BREAKPOINTS = 5_000


def exact_frontier(
    loadout: Loadout,
    kind: Kind,
    values: Sequence[float],
    options: SolverOptions | None = None,
) -> Sweep:
    """Every breakpoint of the frontier over [min(values), max(values)], for an LP.

    Walks the swept row: at each point the row's dual is the slope and HiGHS's
    ranging says how far the bound may move before the basis (and so the
    slope) changes; the next breakpoint is there. targets: least cost against
    the target; ceilings: most exports against the ceiling. The grid points
    are solved too, for the lever mix; between breakpoints the curve is a
    straight line, so it is exact everywhere.
    """
    from optimizer.solving.engine import Session

    start = time.perf_counter()
    widest = max(values) if kind == "ceilings" else None
    session = Session(loadout, options, widest_ceiling=widest)
    if session.discrete:
        why = ", ".join(session.discrete_reasons())
        raise UsageError(
            "--exact needs a model without integer or binary variables: "
            f"{why}. A MIP's frontier is a staircase whose corners ranging cannot find; "
            "sweep a grid instead (without --exact)")
    points = point_scenarios(loadout, kind, values)
    results = [session.solve(p, diagnose=False) for p in points]
    corners = _walk(session, kind, min(values), max(values))
    s = loadout.scenario
    return Sweep(
        kind=kind, scenario=s.name, currency=s.currency,
        levers=tuple((lid, lv.label(lid)) for lid, lv in s.enabled_levers().items()),
        values=tuple(values), results=tuple(results),
        seconds=time.perf_counter() - start, breakpoints=tuple(corners),
        interpolation_error=0.0,
    )


def _walk(session: Session, kind: Kind, low: float, high: float) -> list[Breakpoint]:
    """The breakpoints of the frontier between low and high (reporting currency).

    Both frontiers rise (cost with the target, exports with the ceiling), so
    the slope is the dual's magnitude whatever HiGHS's sign convention.
    """
    corners: list[Breakpoint] = []
    x, end_of_segment = low, None
    step = 1e-7 * max(1.0, high)  # just past a breakpoint, into the next segment
    for _ in range(MAX_BREAKPOINTS):
        point = session.frontier_point(kind, x)
        if point is None:
            break  # past the most reachable: the frontier ends at the last segment's end
        y, slope, upper = point.y, point.slope, point.upper
        if not corners:
            corners.append(Breakpoint(x, y, slope))
        elif abs(slope - (corners[-1].slope_after or 0.0)) > 1e-9 * max(1.0, slope):
            assert end_of_segment is not None
            corners.append(Breakpoint(end_of_segment, _on_line(corners[-1], end_of_segment),
                                      slope))
        if slope == 0.0 or not math.isfinite(upper) or upper >= high:
            # a zero dual: the swept row is slack and the frontier flat from here on
            corners.append(Breakpoint(high, _on_line(corners[-1], high), None))
            return corners
        # a degenerate basis may range no further than x: step on regardless
        end_of_segment, x = max(upper, x), max(upper, x) + step
    if corners and end_of_segment is not None:
        corners.append(Breakpoint(end_of_segment, _on_line(corners[-1], end_of_segment), None))
    return corners


def _on_line(corner: Breakpoint, x: float) -> float:
    return corner.y + (corner.slope_after or 0.0) * (x - corner.x)
