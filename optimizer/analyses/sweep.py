"""Sweeps: the answer across budget ceilings or export targets.

One model is built per sweep (``engine.Session``) and re-solved warm on the
same HiGHS object with changed mutable parameters; nothing is rebuilt per
point. Points out of reach are rows marked infeasible, not errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from optimizer.analyses.scope import exports_or_cost
from optimizer.errors import UsageError
from optimizer.numbers import quantized
from optimizer.results import Breakpoint, FrontierEnds, Result, Sweep
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
        # (a point --time-limit leaves no time for is limit_without_plan)
        results.append(session.answer(point, diagnose=False))
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
    exports_or_cost(loadout, "sweep")
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


MAX_SOLVES = 5_000
"""The exact walk's cap on solves (two or three per corner); stretches left
unresolved when it is reached are named in FrontierEnds.gaps."""
Y_TOL = 1e-9
"""A corner is there when the frontier misses the lines through its neighbours by
more than this share of the values (HiGHS's optimum is good to about 1e-9)."""


def exact_frontier(
    loadout: Loadout,
    kind: Kind,
    values: Sequence[float],
    options: SolverOptions | None = None,
) -> Sweep:
    """Every breakpoint of the frontier over [min(values), max(values)], for an LP,
    where it exists there (Sweep.frontier says where it starts and ends, and why).

    targets: the least cost (the min_cost objective) against the target, on the
    file's basis (total exports when the target counts the baseline): convex, flat
    where the target does not bind, ending at the highest target any plan reaches.
    ceilings: the most lever exports against the ceiling: concave, starting at the
    least ceiling any plan fits, flat once every other limit binds. Both are found by
    tangents (see _walk), so the corners are complete; the grid points are solved too,
    for the lever mix. Between breakpoints the curve is a straight line.
    """
    exports_or_cost(loadout, "sweep --exact")
    from optimizer.solving.engine import Session

    start = time.perf_counter()
    widest = max(values) if kind == "ceilings" else None
    session = Session(loadout, options, widest_ceiling=widest)
    if session.discrete:
        why = ", ".join(session.discrete_reasons())
        raise UsageError(
            "--exact needs a model without integer or binary variables: "
            f"{why}. A MIP's frontier is a staircase whose corners the LP's duals cannot find; "
            "sweep a grid instead (without --exact)")
    points = point_scenarios(loadout, kind, values)
    results = [session.solve(p, diagnose=False) for p in points]
    corners, ends = _walk(session, kind, min(values), max(values))
    s = loadout.scenario
    return Sweep(
        kind=kind, scenario=s.name, currency=s.currency,
        levers=tuple((lid, lv.label(lid)) for lid, lv in s.enabled_levers().items()),
        values=tuple(values), results=tuple(results),
        seconds=time.perf_counter() - start, breakpoints=tuple(corners),
        interpolation_error=0.0, frontier=ends,
    )


Point = tuple[float, float]
"""(f, g): a convex function's value at x and a subgradient there."""


def _walk(session: Session, kind: Kind, low: float, high: float
          ) -> tuple[list[Breakpoint], FrontierEnds]:
    """The breakpoints of the frontier between low and high (reporting currency).

    The frontier's domain first (Session.frontier_reach): a ceiling range starting
    below the least ceiling any plan fits starts there; a target range ending above
    the highest target any plan reaches ends there. Then, on f convex (the least
    cost; the most exports negated), tangents: with f and a subgradient g (the
    swept row's dual) at both ends of [l, r], the two tangent lines meet at x*; f
    is at least the higher tangent there and at most the chords. If f(x*) is on
    the tangents, f is those two lines on [l, r] and x* its one corner; if not,
    [l, x*] and [x*, r] are walked alike. Each corner costs two or three solves;
    a slack row (a zero dual) is a flat stretch like any other segment, and a
    corner is found whatever the basis or its degeneracy.
    """
    reach = session.frontier_reach(kind)
    hair = 1e-9 * max(1.0, abs(low), abs(high))
    if reach is not None and kind == "ceilings" and high < reach <= high + hair:
        # the domain's edge within HiGHS's tolerance of the range's far end (a least
        # ceiling of 0.5750000000000001 against a range ending at 0.575) meets it
        reach = high
    elif reach is not None and kind == "targets" and low - hair <= reach < low:
        reach = low
    ends = FrontierEnds(kind, low, high, reach)
    if reach is None:
        return [], ends
    a, b = (max(low, reach), high) if kind == "ceilings" else (low, min(high, reach))
    if a > b:
        return [], ends
    sign = -1.0 if kind == "ceilings" else 1.0  # the most exports is concave: negated
    if b - a <= hair:
        # a range a hair wide: one point, on the side farther into the domain
        a = b = b if kind == "ceilings" else a

    def at(x: float) -> Point | None:
        point = session.frontier_point(kind, x)
        return None if point is None else (sign * point.y, sign * point.slope)

    # (one point when the range meets the domain at its edge: nudged into the domain)
    ends_at = [(a, 1.0), (b, -1.0)] if a < b else [(a, sign)]
    known, gaps, solves = tangents(at, ends_at)
    if known is None:
        # HiGHS found no optimum at an end of a range its own reach says is feasible
        return [], replace(ends, gaps=((a, b),), solves=solves)
    # to twelve significant figures: 50 where the tangents met at 50.00000000000001;
    # the domain's edge (the least ceiling, the highest target) as solved (rounded,
    # it may fall outside)
    edge = min(known) if kind == "ceilings" else max(known)
    y = {x if x == edge else _sig(x): _sig(sign * f) for x, (f, _) in known.items()}
    gaps = [(_sig(left), _sig(right)) for left, right in gaps]
    corners = corners_of(sorted(y), y, gaps)
    return corners, _flat(replace(ends, gaps=tuple(sorted(gaps)), solves=solves), corners)


def tangents(at: Callable[[float], Point | None], ends_at: Sequence[tuple[float, float]]
             ) -> tuple[dict[float, Point] | None, list[tuple[float, float]], int]:
    """The points a tangent walk solves on a convex f, from ``at(x)`` = (f, a
    subgradient) or None (no optimum): the range's ends first, each (x, inward
    direction) nudged inwards by 1e-9 then 1e-7 of itself where ``at`` finds nothing
    there, then tangents (see _walk). Returns (x -> point, the stretches left
    unsolved, solves); the points are None when an end had no optimum."""
    solves = 0
    known: dict[float, Point] = {}
    gaps: list[tuple[float, float]] = []
    for x, inward in ends_at:
        # the range's own ends lie on the domain's edge (the least ceiling, the
        # highest target) within HiGHS's tolerance: nudged inwards if need be
        for nudge in (0.0, 1e-9, 1e-7):
            x_in = x + inward * nudge * max(1.0, abs(x))
            got, solves = at(x_in), solves + 1
            if got is not None:
                known[x_in] = got
                break
    if len(known) < len(ends_at):
        return None, gaps, solves
    stack = [(min(known), max(known))] if len(known) == 2 else []
    while stack:
        left, right = stack.pop()
        if solves >= MAX_SOLVES:
            gaps.append((left, right))
            continue
        (fl, gl), (fr, gr) = known[left], known[right]
        tol = Y_TOL * max(1.0, abs(fl), abs(fr))
        width = right - left
        if (width <= 1e-12 * max(1.0, abs(left), abs(right))
                or fr - (fl + gl * width) <= tol or fl - (fr - gr * width) <= tol):
            continue  # one tangent passes through the other end: a straight line
        x = (fr - fl + gl * left - gr * right) / (gl - gr) if gr > gl else math.nan
        if not left < x < right:
            x = (left + right) / 2  # slopes that contradict convexity by round-off
        got, solves = at(x), solves + 1
        if got is None:
            gaps.append((left, right))
            continue
        known[x] = got
        below = max(fl + gl * (x - left), fr + gr * (x - right))
        if got[0] - below > tol:
            stack += [(x, right), (left, x)]
    return known, gaps, solves


def corners_of(xs: Sequence[float], y: Mapping[float, float],
             gaps: Sequence[tuple[float, float]]) -> list[Breakpoint]:
    """The points solved, less those on the line through their neighbours; the slope
    after each is the chord's to the next (None at the end and before a gap)."""
    cut = {left for left, _ in gaps}
    fixed = cut | {right for _, right in gaps}  # a gap's ends stay, and no line crosses it
    kept: list[float] = []
    for i, x in enumerate(xs):
        if 0 < i < len(xs) - 1 and kept and kept[-1] not in cut and x not in fixed:
            x0, x1 = kept[-1], xs[i + 1]
            line = y[x0] + (y[x1] - y[x0]) * (x - x0) / (x1 - x0)
            if abs(y[x] - line) <= Y_TOL * max(1.0, abs(y[x0]), abs(y[x1])):
                continue
        kept.append(x)
    out = []
    for x, after in zip(kept, [*kept[1:], None], strict=True):
        slope = None if after is None or x in cut else (y[after] - y[x]) / (after - x)
        out.append(Breakpoint(x, y[x], slope))
    return out


def _flat(ends: FrontierEnds, corners: Sequence[Breakpoint]) -> FrontierEnds:
    """The flat stretch the range holds: for targets the first segment's (the target
    does not bind there), for ceilings the last's (more ceiling buys nothing)."""
    if len(corners) < 2:
        return ends
    scale = max(1.0, *(abs(c.y) for c in corners))
    if ends.kind == "targets":
        first, second = corners[0], corners[1]
        if first.slope_after is not None and abs(second.y - first.y) <= Y_TOL * scale:
            return replace(ends, flat=second.x, flat_value=first.y)
        return ends
    before, last = corners[-2], corners[-1]
    if before.slope_after is not None and abs(last.y - before.y) <= Y_TOL * scale:
        return replace(ends, flat=before.x, flat_value=last.y)
    return ends


def _sig(value: float) -> float:
    return quantized(value, "nearest", digits=12) if value else 0.0
