"""A chance-constrained MIP narrowed before HiGHS runs it: valid bounds per sample,
samples fixed where no better plan can differ, and a first plan.

The model (models.build.add_chance_target) has, per sample j, a row

    a_j . x >= T h_j,  h_j in {0, 1},  and  sum_j h_j >= k

with a_j >= 0 (the sample's yields), x >= 0 and T the exports needed. Its LP
relaxation is weak (h_j = a_j . x / T), and HiGHS alone took 16.5 s to prove the
three-year scenario's 50% point. Three steps, each exact, make it a MIP HiGHS
closes at its root:

1. **A floor per sample** (the quantile strengthening of Luedtke, 2014): every
   plan reaches at least k samples i, so a_j . x >= m_ji for k of the i, where
   m_ji = min a_j . x over a_i . x >= T and the box 0 <= x <= u (a bounded
   fractional knapsack, solved in closed form); so a_j . x >= L_j, the k-th
   smallest m_ji. Row j becomes a_j . x >= L_j + (T - L_j) h_j: the same when
   h_j = 1, no plan cut when h_j = 0. Where L_j >= T every plan reaches j, and h_j
   is fixed to 1 (it is in no objective).
2. **A first plan**: the LP relaxation's plan ranks the samples by their surplus
   a_j . x - T; the k best are required and the rest released, the MIP of the other
   columns solved, and the ranking taken again from that plan while its cost falls.
   Where the first k cannot all be reached, a band of samples around the k-th is
   left to HiGHS, widened until a plan is found.
3. **Samples no cheaper plan reaches**: c_j, the least cost of the LP relaxation
   with h_j = 1 (and every row's floor L_i), bounds the cost of any plan reaching
   j; where c_j exceeds the first plan's cost U, a plan cheaper than U leaves j
   out, and h_j is fixed to 0. HiGHS's bound on what is left is then a bound on
   the whole: a plan outside it reaches such a j and costs more than U.

On the three-year scenario the 50% point took 2.7 s of CPU instead of 21.9 s (the
five points of the report's curve 6.0 s instead of 58.5 s): the first plan was the
optimum, 492 samples were fixed to 0 and 129 to 1, and HiGHS proved the rest at
its root. Nothing here applies when the model is not of that form
(a negative coefficient, a column that can go below 0): HiGHS solves it as built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from models.compile import Matrix

_MS = highspy.HighsModelStatus
FLOOR_SLACK = 1e-9
"""Each floor L_j is lowered by this share of T: it never cuts a plan by rounding."""
COST_SLACK = 1e-7
"""A sample is fixed to 0 only where c_j exceeds U by more than this share of U."""
MOST_ROUNDS = 10
"""The first plan's re-rankings, at most."""
MOST_SAMPLES = 2_000
"""Above this many samples HiGHS solves the model as built: the pairwise bounds are
n x n (32 MB at 2,000, 512 MB at the 8,000 a guarantee may double to)."""


@dataclass(frozen=True)
class SampleRows:
    """Where a chance-constrained model keeps its samples: row and h column of each,
    and the row sum_j h_j >= k."""

    rows: np.ndarray
    reached: np.ndarray
    enough: int


def sample_rows(m: Any, matrix: Matrix) -> SampleRows | None:
    """The sample rows of ``m`` (a model with models.build's chance families), or None."""
    if not hasattr(m, "sample_reach"):
        return None
    keys = list(m.J)
    rows = np.array([matrix.row_of[id(m.sample_reach[j])] for j in keys], dtype=np.int32)
    cols = np.array([matrix.column_of[id(m.reached[j])] for j in keys], dtype=np.int32)
    return SampleRows(rows, cols, matrix.row_of[id(m.enough)])


@dataclass
class Narrowed:
    """What narrow() changed in HiGHS, to put back after the solve, and what it found."""

    coefficients: list[tuple[int, int, float]]
    row_bounds: list[tuple[int, float, float]]
    col_bounds: tuple[np.ndarray, np.ndarray, np.ndarray]
    fixed_on: int
    fixed_off: int
    first_plan: float | None
    rows_off: int = 0
    """Sample rows switched off for the solve (they hold no plan back)."""

    def undo(self, h: highspy.Highs) -> None:
        for row, col, value in self.coefficients:
            h.changeCoeff(row, col, value)
        for row, low, high in self.row_bounds:
            h.changeRowBounds(row, low, high)
        cols, lower, upper = self.col_bounds
        h.changeColsBounds(len(cols), cols, lower, upper)


def narrow(h: highspy.Highs, where: SampleRows, matrix: Matrix, implied: np.ndarray,
           k: int, fresh: Callable[[bool], highspy.Highs]) -> Narrowed | None:
    """Narrow ``h`` (loaded, its objective the cost to minimise) for a plan reaching
    ``k`` samples; None where the model is not of the form the steps need (nothing
    changed then). ``implied``: an upper bound per column that no plan exceeds;
    ``fresh(lean)``: an empty HiGHS with the solve's options (lean: without primal
    heuristics). What it changes is undone by the answer's ``undo``."""
    n = len(where.rows)
    if not 0 < k <= n or n > MOST_SAMPLES:
        return None
    lp = h.getLp()
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    question = _question(lp, where, matrix, implied)
    if question is None:
        return None
    cols, a, need, upper = question
    floors = _floors(a, upper, need, k)
    on = floors >= need
    floors = np.minimum(floors, need)
    saved_lower = col_lower[where.reached].copy()
    saved_upper = col_upper[where.reached].copy()
    done = Narrowed(
        coefficients=[(int(r), int(c), -need) for r, c in zip(where.rows, where.reached,
                                                              strict=True)],
        row_bounds=[(int(r), 0.0, np.inf) for r in where.rows],
        col_bounds=(where.reached.copy(), saved_lower, saved_upper),
        fixed_on=int(on.sum()), fixed_off=0, first_plan=None)
    for r, c, floor in zip(where.rows, where.reached, floors, strict=True):
        h.changeCoeff(int(r), int(c), -(need - floor))
        h.changeRowBounds(int(r), float(floor), np.inf)
    lower = np.where(on, 1.0, saved_lower)
    h.changeColsBounds(n, where.reached, lower, saved_upper)
    first = _first_plan(h, where, cols, a, need, k, on, fresh)
    if first is None:
        return done
    cost, plan = first
    done.first_plan = cost
    off = _beyond(h, where, cols, a, need, on, plan, cost, fresh)
    done.fixed_off = int(off.sum())
    h.changeColsBounds(n, where.reached, lower, np.where(off, 0.0, saved_upper))
    # rows that hold no plan back, switched off while HiGHS runs (its cut loop works
    # through every row, 1.7 s of 1.9 at 50%): a sample fixed to 0 keeps only its
    # floor, which every plan reaching k samples meets anyway; a sample every plan
    # reaches whose yields are all at least another such sample's is reached when
    # that one is
    idle = off | _dominated(a, on)
    rows = where.rows[idle]
    h.changeRowsBounds(len(rows), rows, np.full(len(rows), -np.inf),  # type: ignore[attr-defined]
                       np.full(len(rows), np.inf))
    done.rows_off = len(rows)
    start = highspy.HighsSolution()
    start.col_value = plan.tolist()
    start.value_valid = True
    h.setSolution(start)
    return done


def prime(h: highspy.Highs, where: SampleRows, matrix: Matrix, implied: np.ndarray) -> None:
    """Work out, once, what every later narrow() of this model asks first (the pairwise
    bounds of _pairwise, whatever k): before the confidences fork, so that no
    process works it out again."""
    question = _question(h.getLp(), where, matrix, implied)
    if question is not None and len(where.rows) <= MOST_SAMPLES:
        _pairwise(question[1], question[3], question[2])


def _question(lp: highspy.HighsLp, where: SampleRows, matrix: Matrix, implied: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray] | None:
    """(the columns the sample rows share, a[j, c], T, an upper bound per column no
    plan exceeds) of the model ``lp`` holds; None when it is not of the form the
    steps need (a_j >= 0, x >= 0, rows a_j . x - T h_j >= 0, a row sum h >= k)."""
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    row_lower, row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    block = _block(where, matrix)
    if block is None:
        return None
    cols, a, need = block
    if ((col_lower[cols] < 0).any() or (row_lower[where.rows] != 0).any()
            or np.isfinite(row_upper[where.rows]).any()
            or not np.isfinite(row_lower[where.enough])):
        return None
    upper = np.minimum(np.minimum(col_upper, implied), _row_caps(matrix, row_lower, row_upper,
                                                                 col_lower))[cols]
    return cols, a, need, upper


def _dominated(a: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Per sample, True where it is in ``among`` and its yields are all at least those
    of another sample in ``among`` (of two equal ones, the later)."""
    out = np.zeros(len(a), dtype=bool)
    members = np.flatnonzero(among)
    for p, j in enumerate(members):
        others = np.delete(members, p)
        weaker = (a[others] <= a[j]).all(axis=1)
        # (equal yields: only the later one goes, so one of them stays)
        equal = (a[others] == a[j]).all(axis=1)
        if (weaker & ~(equal & (others > j))).any():
            out[j] = True
    return out


def _block(where: SampleRows, matrix: Matrix
           ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(the columns the sample rows share, a[j, c] >= 0 per sample and column, T), or
    None when the rows are not a_j . x - T h_j with a_j >= 0 and one T."""
    start, index, value = matrix.start, matrix.index, matrix.value
    lengths = start[where.rows + 1] - start[where.rows]
    at = np.repeat(start[where.rows], lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    sample = np.repeat(np.arange(len(where.rows)), lengths)
    col, val = index[at], value[at]
    own = col == where.reached[sample]
    if np.bincount(sample[own], minlength=len(where.rows)).max(initial=0) != 1 or (
            own.sum() != len(where.rows)):
        return None
    others = ~own
    if np.isin(col[others], where.reached).any():
        return None
    needs = -val[own]
    cols, place = np.unique(col[others], return_inverse=True)
    a = np.zeros((len(where.rows), len(cols)))
    np.add.at(a, (sample[others], place), val[others])
    need = float(needs[0])
    if need <= 0 or not np.all(needs == need) or (a < 0).any():
        return None
    return cols, a, need


def _row_caps(matrix: Matrix, row_lower: np.ndarray, row_upper: np.ndarray,
              col_lower: np.ndarray) -> np.ndarray:
    """Per column, the least rhs / coefficient over rows sum_c w_c x_c <= rhs with
    every w_c > 0 and x_c >= 0: no plan exceeds it."""
    caps = np.full(len(col_lower), np.inf)
    start, index, value = matrix.start, matrix.index, matrix.value
    for r in np.flatnonzero(np.isfinite(row_upper) & (row_lower <= 0)):
        idx, val = index[start[r]:start[r + 1]], value[start[r]:start[r + 1]]
        if len(idx) and (val > 0).all() and (col_lower[idx] >= 0).all():
            np.minimum.at(caps, idx, max(float(row_upper[r]), 0.0) / val)
    return caps


def _floors(a: np.ndarray, upper: np.ndarray, need: float, k: int) -> np.ndarray:
    """L_j: the k-th smallest over i of m_ji (see _pairwise), lowered by FLOOR_SLACK
    of need (inf where fewer than k samples can be reached at all)."""
    m = _pairwise(a, upper, need)
    floors = np.partition(m, k - 1, axis=1)[:, k - 1]
    return np.where(np.isfinite(floors), floors - FLOOR_SLACK * need, np.inf)


_PAIRWISE: dict[bytes, np.ndarray] = {}
"""_pairwise's answers by their question (a few, one per chance model): a model primed
before the confidences fork (Highs.prime_samples) hands them its matrix."""


def _pairwise(a: np.ndarray, upper: np.ndarray, need: float) -> np.ndarray:
    """m[j, i] = min a_j . x s.t. a_i . x >= need, 0 <= x <= upper (a bounded
    fractional knapsack, solved through its dual); inf where sample i cannot be
    reached at all. Columns with the same coefficients in every sample are one
    column of their summed capacity."""
    key = b"".join((a.tobytes(), upper.tobytes(), np.float64(need).tobytes(),
                    np.int64(a.shape[1]).tobytes()))
    if key in _PAIRWISE:
        return _PAIRWISE[key]
    merged, inverse = np.unique(a.T, axis=0, return_inverse=True)
    w = merged.T  # samples x merged columns
    cap = np.zeros(w.shape[1])
    np.add.at(cap, inverse.ravel(), upper)
    n, width = w.shape
    out = np.empty((n, n))
    finite = np.isfinite(cap)
    chunk = max(1, 1_000_000 // max(n * width * width, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(w > 0, w * cap, 0.0)  # a_ic u_c: what column c adds to a_i . x
        room = np.where(np.isnan(room), np.inf, room)
        reachable = room.sum(axis=1) >= need * (1 - 1e-12)
        for lo in range(0, n, chunk):
            j = slice(lo, min(lo + chunk, n))
            # by LP duality, m_ji = max over lam >= 0 of
            #   need lam - sum_c u_c max(0, lam a_ic - a_jc),
            # concave and piecewise linear, so at one of its breaks lam = a_jc / a_ic
            # (or 0): each break tried, no sort (a third of the greedy's time)
            lam = np.where(w[None, :, :] > 0, w[j, None, :] / w[None, :, :], 0.0)
            gap = lam[..., :, None] * w[None, :, None, :] - w[j, None, None, :]
            # (an unbounded column rules out any lam past its own break: a gap of
            # rounding at the break itself does not)
            penalty = np.where(finite, np.maximum(gap, 0.0) * np.where(finite, cap, 0.0),
                               np.where(gap > 1e-12 * w[j, None, None, :], np.inf, 0.0))
            m = np.maximum((need * lam - penalty.sum(axis=3)).max(axis=2), 0.0)
            m[:, ~reachable] = np.inf
            out[j] = m
    if len(_PAIRWISE) >= 4:
        _PAIRWISE.clear()
    _PAIRWISE[key] = out
    return out


def _solved(h: highspy.Highs) -> np.ndarray | None:
    h.run()
    if h.getModelStatus() != _MS.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value)


def _relaxed(h: highspy.Highs, fresh: Callable[[bool], highspy.Highs]) -> highspy.Highs:
    """An instance with ``h``'s model as it stands, integrality dropped."""
    out = fresh(False)
    out.passModel(h.getLp())
    n = out.getNumCol()
    out.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    return out


def _first_plan(h: highspy.Highs, where: SampleRows, cols: np.ndarray, a: np.ndarray,
                need: float, k: int, on: np.ndarray, fresh: Callable[[bool], highspy.Highs]
                ) -> tuple[float, np.ndarray] | None:
    """Step 2: (cost, plan) of a plan reaching k samples, or None. The rankings are
    settled on LPs (the samples' h fixed, integrality dropped: 10 ms each), and the
    MIP solved once on the set they settle on (90 ms); then re-ranked from the MIP's
    plan while that makes it cheaper."""
    n = len(where.rows)
    relaxed = _relaxed(h, fresh)
    x = _solved(relaxed)
    if x is None:
        return None
    fixed_lp = _relaxed(h, fresh)
    work = fresh(True)  # (without primal heuristics: its MIPs have every h fixed)
    work.passModel(h.getLp())

    def chosen(plan: np.ndarray) -> np.ndarray:
        surplus = a @ plan[cols] - need
        surplus[on] = np.inf
        out = np.zeros(n)
        out[np.argsort(-surplus, kind="stable")[:k]] = 1.0
        return out

    def solved(model: highspy.Highs, lower: np.ndarray, upper: np.ndarray
               ) -> tuple[float, np.ndarray] | None:
        model.changeColsBounds(n, where.reached, lower, upper)
        plan = _solved(model)
        return None if plan is None else (model.getInfo().objective_function_value, plan)

    def settled(plan: np.ndarray) -> np.ndarray:
        """The plan the LP re-rankings from ``plan`` settle on."""
        cost = np.inf
        for _ in range(MOST_ROUNDS):
            c = chosen(plan)
            got = solved(fixed_lp, c, c)
            if got is None or got[0] >= cost - 1e-9 * max(1.0, abs(cost)):
                break
            cost, plan = got
        return plan

    def exactly(plan: np.ndarray) -> tuple[float, np.ndarray] | None:
        c = chosen(plan)
        return solved(work, c, c)

    best = exactly(settled(x))
    if best is None:
        # the cheapest relaxed plan ranks samples no plan reaches together: rank by
        # the relaxed plan that reaches the most instead
        cost = np.zeros(relaxed.getNumCol())
        cost[where.reached] = -1.0
        relaxed.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        relaxed.changeObjectiveSense(highspy.ObjSense.kMinimize)
        most = _solved(relaxed)
        best = None if most is None else exactly(settled(most))
    band = max(n // 20, 1)
    surplus = a @ x[cols] - need
    surplus[on] = np.inf
    order = np.argsort(-surplus, kind="stable")
    while best is None:  # a band of samples around the k-th left to HiGHS
        lower, upper = np.zeros(n), np.zeros(n)
        lower[order[:max(k - band, 0)]] = 1.0
        upper[order[:k + band]] = 1.0
        best = solved(work, np.maximum(lower, on), np.maximum(upper, on))
        if band >= n // 4:
            break  # (a wider band is most of the MIP itself: HiGHS searches it)
        band = min(2 * band, n // 4)
    for _ in range(MOST_ROUNDS if best is not None else 0):
        assert best is not None
        again = exactly(best[1])
        if again is None or again[0] >= best[0] - 1e-9 * max(1.0, abs(best[0])):
            break
        best = again
    return best


def _beyond(h: highspy.Highs, where: SampleRows, cols: np.ndarray, a: np.ndarray,
            need: float, on: np.ndarray, plan: np.ndarray, cost: float,
            fresh: Callable[[bool], highspy.Highs]) -> np.ndarray:
    """Step 3: per sample, True where no plan cheaper than ``cost`` reaches it."""
    n = len(where.rows)
    off = np.zeros(n, dtype=bool)
    reached = a @ plan[cols] >= need * (1 - 1e-9)
    lp = _relaxed(h, fresh)
    lp.changeRowBounds(where.enough, -np.inf, np.inf)
    lp.changeColsBounds(n, where.reached, np.zeros(n), np.zeros(n))
    limit = cost + COST_SLACK * max(1.0, abs(cost))
    # the samples nearest to reached first: a sample whose yields are all at most
    # those of one fixed to 0 is reached only by plans reaching that one (c_j >= its
    # c), and is fixed with no LP
    left = np.flatnonzero(~reached & ~on)
    for j in left[np.argsort(-(a[left] @ plan[cols]), kind="stable")]:
        if off.any() and (a[off] >= a[j]).all(axis=1).any():
            off[j] = True
            continue
        col = int(where.reached[j])
        lp.changeColBounds(col, 1.0, 1.0)
        lp.run()
        status = lp.getModelStatus()
        if status == _MS.kInfeasible or (
                status == _MS.kOptimal and lp.getInfo().objective_function_value > limit):
            off[j] = True
        lp.changeColBounds(col, 0.0, 0.0)
    return off
