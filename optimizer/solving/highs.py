"""The one place that talks to HiGHS.

The Pyomo model is compiled once into arrays (:mod:`models.compile`) and
passed to ``highspy`` in bulk; re-solves change only what moved (the active
objective, rows whose bounds hold mutable parameters, rows switched on or
off) on the same Highs object, so they start warm. Pyomo's own persistent
HiGHS interface spent most of a 10,000-column run walking expressions; see
the README's speed section.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numvalue import is_constant

from models.compile import Matrix, bounds_of, compile_model
from optimizer.errors import OutOfTime, SolverError, TimeUp
from optimizer.solving.options import SolverOptions
from optimizer.solving.samples import Narrowed, SampleRows, narrow, prime, sample_rows

STRICT = 1e-9
POLISH_SECONDS = 1.0
"""Seconds a polish (the LP with the integers fixed, see Highs._polish) may run past
--time-limit: it turns the incumbent HiGHS found in the limit into the exact plan
shown, and takes milliseconds; without it, an answer cut by the limit would be shown
as HiGHS left it, within its tolerances (the re-check can refuse that)."""
CONFIRM_GRACE = 1.0
"""Seconds past --time-limit after which a second opinion's child is killed (HiGHS
overshoots its own time limit a little, and a child must start and answer)."""
STRICT_TOLERANCES = {  # option: HiGHS's default
    "primal_feasibility_tolerance": 1e-7,
    "dual_feasibility_tolerance": 1e-7,
    "mip_feasibility_tolerance": 1e-6,
}


class Status(StrEnum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT_WITH_PLAN = "limit_with_plan"
    LIMIT_WITHOUT_PLAN = "limit_without_plan"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    status: Status
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    """Real relative gap |objective - bound| / max(|objective|, 1e-9); 0.0 for an LP."""
    seconds: float
    duals: dict[str, float] = field(default_factory=dict)
    """Row duals by constraint name, for an LP solved to optimality when asked."""

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.LIMIT_WITH_PLAN)


@dataclass(frozen=True)
class Plan:
    """A solution copied out of HiGHS (its own objects go stale when the model changes)."""

    col_value: list[float]
    row_dual: list[float]
    dual_valid: bool
    col_dual: list[float] = field(default_factory=list)


_MS = highspy.HighsModelStatus
T = TypeVar("T")
_LIMITS = {
    _MS.kTimeLimit,
    _MS.kIterationLimit,
    _MS.kSolutionLimit,
    _MS.kObjectiveBound,
    _MS.kObjectiveTarget,
    _MS.kInterrupt,
}


def classify(status: highspy.HighsModelStatus, has_plan: bool) -> Status:
    """Map HiGHS's model status to ours."""
    if status == _MS.kOptimal:
        return Status.OPTIMAL
    if status in (_MS.kInfeasible, _MS.kUnboundedOrInfeasible):
        # Our objectives are bounded by construction (costs >= 0; max_exports
        # is refused at validation for any uncapped lever that yields), so
        # "infeasible or unbounded" can only be infeasible.
        return Status.INFEASIBLE
    if status == _MS.kUnbounded:
        return Status.UNBOUNDED
    if status in _LIMITS:
        return Status.LIMIT_WITH_PLAN if has_plan else Status.LIMIT_WITHOUT_PLAN
    return Status.ERROR


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


@contextlib.contextmanager
def stdout_to(target: int) -> Iterator[None]:
    """Point file descriptor 1 at ``target`` for a while.

    stdout carries results only; HiGHS writes to the descriptor directly, so
    redirecting ``sys.stdout`` would not be enough.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real descriptor (e.g. under a test runner's capture)
        yield
        return
    try:
        os.dup2(target, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _isolated(work: Callable[[], T], wait: float) -> T | None:
    """``work()`` in a forked child, its result pickled back; None when the child
    does not answer within ``wait`` seconds (it is killed) or dies. Where the
    system has no fork, ``work()`` runs here."""
    if not hasattr(os, "fork"):
        return work()
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer and leave at once, running nothing of the parent's
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: gone at once, silently
        code = 0
        try:
            os.close(read)
            try:
                data = pickle.dumps(("ok", work()))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                data = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001 - nothing can be reported any more
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    chunks: list[bytes] = []
    end = time.monotonic() + wait
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                return None
            chunk = os.read(read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:  # Ctrl-C here: the child's answer is nobody's now
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child that died mid-answer
        return None
    return value if kind == "ok" else None


_interrupt_asked = False
"""Ctrl-C was pressed during a HiGHS run (see _interruptible)."""
_stop_at: float | None = None
"""time.monotonic() past which the run now under --time-limit is stopped, whatever
HiGHS's own time limit says (see Highs._limit)."""
OVERSHOOT = 0.5
"""Seconds past its time limit after which a run under --time-limit is interrupted:
HiGHS checks its limit between steps and has run a 10 s MIP limit 18-28 s here."""


def _stop_if_asked(event: Any) -> None:
    """HiGHS's interrupt callbacks (simplex, IPM, MIP): stop the run once Ctrl-C was
    pressed, or once a run under --time-limit is past it (its model status is then
    "Interrupted by user", a limit like the time limit's)."""
    if _interrupt_asked or _stop_at is not None and time.monotonic() > _stop_at:
        event.interrupt()


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C during a HiGHS run stops the run at HiGHS's next check (milliseconds),
    then delivers the signal to the handler it was meant for (Python's own raises
    KeyboardInterrupt). Python runs a signal handler only between bytecodes and a run
    is one long C call, so until now Ctrl-C waited for the run to end (10 s and more);
    a handler run inside HiGHS's callback would raise into C++, where highspy drops
    the exception. So for the run, SIGINT only takes note, and HiGHS, asking
    _stop_if_asked, stops. Only in the main thread with a Python handler for SIGINT;
    elsewhere (a worker that dies at Ctrl-C) nothing changes."""
    global _interrupt_asked
    if (threading.current_thread() is not threading.main_thread()
            or not callable(signal.getsignal(signal.SIGINT))):
        yield
        return

    def note(signum: int, frame: object) -> None:
        global _interrupt_asked
        _interrupt_asked = True

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        asked, _interrupt_asked = _interrupt_asked, False
        if asked:
            signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS runs with output_flag off, yet 1.16 still prints stray debug lines
    ("HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();")
    on some MIPs run without presolve: they are nobody's business."""
    with open(os.devnull, "w") as sink, stdout_to(sink.fileno()):
        yield


def _option(h: highspy.Highs, name: str) -> Any:
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value  # highspy 1.16: (status, value)


LEAN: dict[str, bool | float] = {
    "mip_heuristic_run_feasibility_jump": False, "mip_heuristic_effort": 0.0}
"""HiGHS's options for a probe's solves (see Highs._lean)."""

SAMPLE_MIP: dict[str, bool | float] = {
    "mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}
"""HiGHS's options for a chance-constrained MIP (a binary per sample, see
Highs.sample_mip): its RINS and RENS sub-MIPs took 11.5 s of a 20.6 s solve on the
three-year scenario at 80% and found nothing the root's own search did not; without
them that solve took 11.7 s, and 50% (the hardest) 51 s instead of 127 s on a loaded
machine, to the same plan. Search effort only: the MIP is still solved to its gap."""


PerColumn = dict[str, np.ndarray]
"""models.sink.Arrays.per_column: "grain_of" and "implied_upper" of each column."""


def _grains(m: pyo.ConcreteModel, matrix: Matrix) -> np.ndarray:
    """Per column: the step its value is rounded to when polishing (0: none)."""
    grain_of = getattr(m, "grain_of", {})
    return np.array([grain_of.get(id(v), 0.0) for v in matrix.columns], dtype=float)


def _implied(m: pyo.ConcreteModel, matrix: Matrix) -> np.ndarray:
    """Per column: an upper bound every feasible plan keeps (inf: none known)."""
    upper = getattr(m, "implied_upper", {})
    return np.array([upper.get(id(v), np.inf) for v in matrix.columns], dtype=float)


def _whole_range(lower: np.ndarray, upper: np.ndarray, grain: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The least and most whole grains within a column's bounds. The slack is relative:
    a cap of 102M units counted in grains of 1e-5 model units reads 101999999.99999999
    grains, and an absolute 1e-9 is below the float's resolution there."""
    lo, hi = lower / grain, upper / grain
    with np.errstate(invalid="ignore"):
        least = np.ceil(lo - 1e-9 * np.maximum(1.0, np.abs(lo)))
        most = np.floor(hi + 1e-9 * np.maximum(1.0, np.abs(hi)))
    return np.where(np.isfinite(lo), least, lo), np.where(np.isfinite(hi), most, hi)


def _transposed_product(lp: highspy.HighsLp, y: np.ndarray) -> np.ndarray:
    """A'y for the LP's matrix (either storage)."""
    a = lp.a_matrix_
    start, index = np.asarray(a.start_), np.asarray(a.index_)
    value = np.asarray(a.value_, dtype=float)
    n = lp.num_col_
    if a.format_ == highspy.MatrixFormat.kColwise:
        cols = np.repeat(np.arange(n), np.diff(start))
        return np.bincount(cols, weights=value * y[index], minlength=n)
    rows = np.repeat(np.arange(lp.num_row_), np.diff(start))
    return np.bincount(index, weights=value * y[rows], minlength=n)


def version() -> str:
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}." \
           f"{highspy.HIGHS_VERSION_PATCH}"


class Highs:
    """A persistent HiGHS instance for one model at a time."""

    def __init__(self, options: SolverOptions | None = None) -> None:
        self.options = options or SolverOptions()
        self._model: pyo.ConcreteModel | None = None
        self._matrix: Matrix | None = None
        self._h: highspy.Highs | None = None
        self._mutable_rows: list[int] = []
        self._from_arrays = False
        """The matrix came from models.build.arrays, not from the Pyomo model: the
        model's rows are read for their names and mutable parameters only."""
        self._active: np.ndarray | None = None
        self._held: dict[int, tuple[float, float]] = {}
        """Rows a solve held within more than the model's bounds (see solve's
        ``upper``), with the bounds they had in that solve: the next sync puts
        the model's bounds back."""
        self._objective: str | None = None
        self._objectives: list[pyo.Objective] = []
        self.last_plan: Plan | None = None
        """The last optimal plan (the polished LP's when polished), duals included."""
        self._grain = np.zeros(0)
        self._implied = np.zeros(0)
        self._relaxation: tuple[np.ndarray, np.ndarray] | None = None
        """(row duals, column duals) of the last LP solved before polishing."""
        self._mip_bound: float | None = None
        self._relaxed_at: float | None = None
        """The LP relaxation's bound, where relaxed_opinion took it for the second
        opinion's (None: a solve since)."""
        self.second_bound: float | None = None
        """The MIP bound of the last confirm() solve."""
        self.screening = False
        """True: confirm() gives no second opinion (a screening solve, see
        engine.Session.probe, whose answer is solved again in full before it is shown)."""
        self.lean = False
        """True: every run, the second opinion's included, goes without primal
        heuristics (see _lean): an analysis's probe."""
        self.sample_mip = False
        """True: the model is a chance-constrained MIP, solved with SAMPLE_MIP's
        options (set before the model is loaded) and narrowed before each solve that
        asks for the cheapest plan reaching k samples (optimizer.solving.samples)."""
        self._samples: SampleRows | None = None
        self.narrowed: Narrowed | None = None
        """What the last narrowing did (samples fixed, the first plan's cost)."""
        self._grace_end: float | None = None
        """While polishing: time.monotonic() until which runs may go on past
        --time-limit (see POLISH_SECONDS)."""
        self._stage_end: float | None = None
        """While a second opinion takes its share of --time-limit (see confirm): when
        that share ends."""

    def version(self) -> str:
        return version()

    @property
    def matrix(self) -> Matrix:
        assert self._matrix is not None, "solve() a model first"
        return self._matrix

    def _load(self, m: pyo.ConcreteModel, matrix: Matrix | None = None,
              per_column: PerColumn | None = None) -> None:
        """Load ``m`` cold: compiled, or from ``matrix`` (its arrays, see rebase)."""
        self._from_arrays = matrix is not None
        if matrix is None:
            matrix = compile_model(m)
        h = self._instance()
        lp = highspy.HighsLp()
        lp.num_col_ = len(matrix.columns)
        lp.num_row_ = len(matrix.rows)
        lp.col_cost_ = np.zeros(len(matrix.columns))
        lp.col_lower_ = matrix.col_lower
        lp.col_upper_ = matrix.col_upper
        active = np.array([con.active for con in matrix.rows], dtype=bool)
        if self._from_arrays and not active.all():
            # the arrays hold each row's bounds as built: a row switched off since (the
            # milestones, set aside while the most exports in one period are sought by
            # an instance made for it) is free until it is switched on again
            lp.row_lower_ = np.where(active, matrix.row_lower, -np.inf)
            lp.row_upper_ = np.where(active, matrix.row_upper, np.inf)
        else:
            lp.row_lower_ = matrix.row_lower
            lp.row_upper_ = matrix.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = matrix.start
        lp.a_matrix_.index_ = matrix.index
        lp.a_matrix_.value_ = matrix.value
        if matrix.integer.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if flag
                               else highspy.HighsVarType.kContinuous
                               for flag in matrix.integer]
        if h.passModel(lp) == highspy.HighsStatus.kError:
            # (a coefficient beyond HiGHS's 1e15, which it reads as infinite): an
            # empty model would otherwise answer "ModelEmpty"
            raise SolverError("HiGHS refused the model (a coefficient or bound it "
                              "cannot hold)")
        self._model, self._matrix, self._h = m, matrix, h
        # rows whose bounds hold mutable parameters are re-read before each solve
        self._mutable_rows = [
            i for i, con in enumerate(matrix.rows)
            if not (is_constant(con.lower) and is_constant(con.upper))
        ]
        self._active = active
        self._held = {}
        self._objectives = list(m.component_data_objects(pyo.Objective))
        self._objective = None
        self._columns_data(m, matrix, per_column)
        self._samples = sample_rows(m, matrix) if self.sample_mip else None

    def _instance(self, lean: bool = False) -> highspy.Highs:
        """An empty HiGHS with this instance's options, quiet, stopped by Ctrl-C;
        ``lean``: without primal heuristics (LEAN)."""
        with open(os.devnull, "w") as sink, stdout_to(sink.fileno()):
            h = highspy.Highs()  # prints a banner on construction
        for check in (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt):
            check.subscribe(_stop_if_asked)
        opts = self.options
        for name, value in (("output_flag", False), ("threads", opts.threads),
                            ("random_seed", opts.seed), ("mip_rel_gap", opts.mip_gap)):
            h.setOptionValue(name, value)
        for name, value in (SAMPLE_MIP.items() if self.sample_mip else ()):
            h.setOptionValue(name, value)
        for name, value in (LEAN.items() if lean else ()):
            h.setOptionValue(name, value)
        return h

    def _narrow(self) -> Narrowed | None:
        """A chance-constrained MIP whose plan must reach k samples at least cost:
        narrowed before it runs (optimizer.solving.samples), to be undone after."""
        m, h = self._model, self._h
        self.narrowed = None
        if self._samples is None or h is None or m is None or not m.enough.active or (
                self._objective != "cost_objective"):
            return None  # (steps 2 and 3 price plans by the cost they minimise)
        k = int(round(float(pyo.value(m.required))))
        self._limit()  # (its runs stop where this solve's would: no stale stop either)
        with _interruptible(), _quiet():
            self.narrowed = narrow(h, self._samples, self.matrix, self._implied, k,
                                   self._instance)
        return self.narrowed

    def prime_samples(self, m: pyo.ConcreteModel) -> None:
        """A chance-constrained MIP: what each narrowing of ``m`` asks first, worked
        out now (samples.prime), before the confidences fork. ``m`` is the model this
        instance holds (Solvers hands it over loaded)."""
        if m is not self._model:
            raise ValueError("prime_samples: not the model this instance holds")
        self._sync()
        if self._samples is not None and self._h is not None:
            prime(self._h, self._samples, self.matrix, self._implied)

    def _columns_data(self, m: pyo.ConcreteModel, matrix: Matrix,
                      per_column: PerColumn | None) -> None:
        if per_column is None:
            self._grain, self._implied = _grains(m, matrix), _implied(m, matrix)
        else:
            self._grain, self._implied = per_column["grain_of"], per_column["implied_upper"]

    def rebase(self, m: pyo.ConcreteModel, matrix: Matrix | None = None,
               per_column: PerColumn | None = None) -> bool:
        """Point this instance at ``m``, built like the current model with other
        coefficients (a sample of the parameters): push what differs and keep HiGHS's
        basis for a warm start. When the shapes differ, load ``m`` cold; False then.

        ``matrix`` (and ``per_column``): the arrays of the model as it now stands
        (models.build.arrays, bound to ``m``'s rows and columns), where ``m`` itself
        was built from other parameters and only its structure, its variables'
        values and its mutable parameters are read."""
        new = matrix if matrix is not None else compile_model(m)
        if self._h is None or self._matrix is None:
            self._load(m, matrix, per_column)
            return False
        old, h = self._matrix, self._h
        same = (len(new.columns) == len(old.columns) and len(new.rows) == len(old.rows)
                and np.array_equal(new.start, old.start)
                and np.array_equal(new.index, old.index)
                and np.array_equal(new.integer, old.integer))
        if not same:
            self._load(m, matrix, per_column)
            return False
        changed = np.flatnonzero(new.value != old.value)
        rows = np.searchsorted(new.start, changed, side="right") - 1
        for k, row in zip(changed.tolist(), rows.tolist(), strict=True):
            h.changeCoeff(int(row), int(new.index[k]), float(new.value[k]))
        n, r = len(new.columns), len(new.rows)
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), new.col_lower, new.col_upper)
        # (highspy's stub lacks Highs.changeRowsBounds; the binding has it)
        h.changeRowsBounds(  # type: ignore[attr-defined]
            r, np.arange(r, dtype=np.int32), new.row_lower, new.row_upper)
        if m is not self._model:
            self._mutable_rows = [i for i, con in enumerate(new.rows)
                                  if not (is_constant(con.lower) and is_constant(con.upper))]
            self._objectives = list(m.component_data_objects(pyo.Objective))
        self._model, self._matrix = m, new
        self._from_arrays = matrix is not None
        self._active = np.array([con.active for con in new.rows], dtype=bool)
        self._held = {}  # every row's bounds were pushed above
        self._objective = None  # costs may differ: pushed on the next solve
        self._columns_data(m, new, per_column)
        return True

    def _sync(self) -> None:
        """Push what changed in the Pyomo model since the last solve."""
        m, matrix, h = self._model, self.matrix, self._h
        assert m is not None and h is not None
        active = np.array([con.active for con in matrix.rows], dtype=bool)
        assert self._active is not None
        moved = (set(self._mutable_rows) | set(np.flatnonzero(active != self._active).tolist())
                 | set(self._held))
        self._active = active
        self._held = {}
        if moved:
            rows = sorted(moved)
            bounds = [self._bounds(i) for i in rows]
            # (highspy's stub lacks Highs.changeRowsBounds; the binding has it)
            h.changeRowsBounds(len(rows), np.array(rows, dtype=np.int32),  # type: ignore[attr-defined]
                               np.array([b[0] for b in bounds]),
                               np.array([b[1] for b in bounds]))
        live = [o for o in self._objectives if o.active]
        if len(live) != 1:
            raise SolverError(f"the model has {len(live)} active objectives, not one")
        name = live[0].name
        if name != self._objective:
            cost, offset, sense = matrix.objectives[name]
            h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
            h.changeObjectiveOffset(offset)
            h.changeObjectiveSense(highspy.ObjSense.kMinimize if sense == 1
                                   else highspy.ObjSense.kMaximize)
            self._objective = name

    def _bounds(self, i: int) -> tuple[float, float]:
        """Row ``i``'s bounds now: its mutable parameters read from the model; the
        others from the arrays where the model was built from other parameters
        (models.build makes no such row inactive, so the arrays hold its bounds)."""
        matrix = self.matrix
        con = matrix.rows[i]
        if not self._from_arrays or i in self._mutable_rows:
            return bounds_of(con, matrix.row_offset[i])
        if not con.active:
            return -math.inf, math.inf
        return float(matrix.row_lower[i]), float(matrix.row_upper[i])

    def model_file(self, m: pyo.ConcreteModel, fmt: str,
                   names: Callable[[Sequence[Any]], list[str]]) -> bytes:
        """``m`` as this instance would solve it now (active objective, goal and
        ceiling pushed as a solve pushes them), written by HiGHS itself in ``fmt``
        ("lp" or "mps": HiGHS picks the format by the file's extension), with the
        columns and rows named by ``names`` (given the Pyomo columns, or rows, in the
        order HiGHS holds them).

        Rows switched off (the budget row without a ceiling) are free rows in HiGHS;
        they are left out of the file: HiGHS's LP writer drops them and its MPS
        writer keeps them as extra N rows, and the two files should agree."""
        if fmt not in ("lp", "mps"):
            raise ValueError(f"a model file is lp or mps, not {fmt!r}")
        if m is not self._model or self._h is None:
            self._load(m)
        self._sync()
        assert self._h is not None
        lp = self._h.getLp()  # a copy: the names go on it, not on the warm instance
        lp.col_names_ = names(self.matrix.columns)
        lp.row_names_ = names(self.matrix.rows)
        free = np.flatnonzero(np.isinf(np.asarray(lp.row_lower_))
                              & np.isinf(np.asarray(lp.row_upper_))).astype(np.int32)
        with _quiet():
            h = highspy.Highs()  # prints a banner on construction
        h.setOptionValue("output_flag", False)
        # (never run, but HiGHS's thread pool is global: an instance that ran with
        # another thread count than the engine's makes the engine's runs fail)
        h.setOptionValue("threads", self.options.threads)
        if h.passModel(lp) == highspy.HighsStatus.kError:
            raise SolverError("HiGHS refused the model (a coefficient or bound it "
                              "cannot hold)")
        if len(free):
            h.deleteRows(len(free), free)
        import tempfile

        # HiGHS writes only to a path; the caller writes the bytes where they go
        # (whole or not at all, optimizer.present.files)
        with tempfile.TemporaryDirectory(prefix="optimize-model-") as folder:
            path = os.path.join(folder, f"model.{fmt}")
            with _quiet():
                status = h.writeModel(path)
            if status == highspy.HighsStatus.kError or not os.path.exists(path):
                raise SolverError(f"HiGHS could not write the model as {fmt.upper()}")
            with open(path, "rb") as handle:
                return handle.read()

    def limit_duals(self) -> list[tuple[Any, str, float]]:
        """After an optimal solve: each row and column with a nonzero dual, the side
        it binds on, and d(objective)/d(that bound), in model units.

        From the LP, or the LP with integers fixed when the plan was polished.
        """
        plan = self.last_plan
        if plan is None or not plan.dual_valid:
            return []
        matrix = self.matrix
        out: list[tuple[Any, str, float]] = []
        for con, dual in zip(matrix.rows, plan.row_dual, strict=True):
            if abs(dual) > 1e-12:
                out.append((con, "upper" if dual * self._sense() < 0 else "lower", dual))
        for j, (var, dual) in enumerate(zip(matrix.columns, plan.col_dual, strict=True)):
            if abs(dual) <= 1e-12 or matrix.integer[j]:
                # a polished MIP fixes its integer columns: their duals price the
                # fixing, not a bound of the file
                continue
            side = "upper" if dual * self._sense() < 0 else "lower"
            bound = matrix.col_upper[j] if side == "upper" else matrix.col_lower[j]
            # a dual belongs to the file's bound only when the plan sits on it
            if abs(plan.col_value[j] - bound) <= 1e-9 * max(1.0, abs(bound)):
                out.append((var, side, dual))
        return out

    def confirm(self, share: float = 1.0) -> tuple[Plan, float] | None:
        """The model as last solved, solved again from scratch without presolve,
        with feasibility tolerances of 1e-9 and another seed, and polished: a
        second opinion on a MIP whose bound only HiGHS vouches for. None if that
        solve is not optimal. The looser of the two runs' bounds stands.

        The solve runs in a forked child where the system has fork: HiGHS 1.16
        has spun forever without presolve (HighsNodeQueue::link_estim, past every
        time limit, on a repair probe of case 16-403), and a child can be killed
        at the command's deadline. A second opinion that does not finish is none.
        HiGHS's state here is left as the last solve left it.

        Rows the last solve held within more than the model's bounds (solve's
        ``upper``) are solved at the model's own: the second opinion does not lean
        on what that hold assumed.

        Under --time-limit it gets ``share`` of what is left of the limit (the rest is
        for a stage that comes after it); TimeUp when nothing is left, or when it does
        not finish in its share (the caller says which stage was cut short).
        """
        if self._h is None or self.screening:
            return None
        left = self.time_left()
        if left is not None and left <= 0:
            raise TimeUp("the --time-limit was spent before the second opinion")
        if left is not None and share < 1.0:
            self._stage_end = time.monotonic() + share * left
        try:
            got = _isolated(self._confirmed, self._wait())
            spent = left is not None and (self.time_left() or 0.0) <= 0
        finally:
            self._stage_end = None
        if got == "out_of_time":
            raise OutOfTime("the command's --time-budget ran out before HiGHS finished "
                            "(give it more seconds)")
        if got == "time_up" or got is None and spent:
            # (None: the child was killed at the limit, or died)
            raise TimeUp("the --time-limit ran out during the second opinion", during=True)
        if not isinstance(got, tuple):
            return None
        found, bound = got
        self.second_bound = bound if math.isfinite(bound) else None
        if self._mip_bound is not None and math.isfinite(bound):
            # two bounds from two different runs (one without presolve): the
            # looser holds, for either may be wrong (HiGHS 1.16's presolve cut a
            # lever to 51,749 units where 51,750 fit the ceiling exactly, and
            # bounded the MIP by that plan)
            pick = min if self._sense() == 1 else max
            self._mip_bound = pick(self._mip_bound, bound)
        return found

    def relaxed_opinion(self, incumbent: float, tolerance: float) -> bool:
        """confirm()'s stand-in where the certificate is not shown (an analysis's
        re-solves, a sweep's points: see engine._second_opinion): True when the LP
        relaxation of the model as last solved (its held rows back at the model's
        bounds, as confirm solves it) bounds the optimum within ``tolerance`` of
        ``incumbent`` (the plan in hand's objective, model units; relative to the
        larger, as the certificate measures a gap). No plan then beats the one in
        hand by more than the certificate's tolerance, whatever HiGHS's MIP search
        did: the bound is weak duality in float64 over the model's own arrays
        (relaxation_bound), not HiGHS's word. It stands as a second opinion's
        would: the second bound, and the looser of the two bounds kept (proven_bound
        then names it mip_relaxation_bound). False, with nothing changed but HiGHS's
        solution (which nothing reads after a solve): the relaxation is looser, or
        did not solve; confirm() is then needed.

        On the three-year scenario 61% of a report's second opinions were on such
        re-solves (the relaxation within 1e-6 of the MIP's plan), each a forked
        solve from scratch of 20 to 70 ms where the LP takes 1 to 2 ms."""
        h = self._h
        if h is None or self._mip_bound is None or not self.is_mip():
            return False
        now = h.getLp() if self._held else None
        held = {i: (float(now.row_lower_[i]), float(now.row_upper_[i]))
                for i in self._held} if now is not None else {}
        kept = dict(self._held)
        self._release()
        try:
            bound = self.relaxation_bound(incumbent)
        except (TimeUp, SolverError):
            bound = None
        finally:
            for i, (lower, upper) in held.items():
                h.changeRowBounds(i, lower, upper)
            self._held = kept
        if bound is None or not math.isfinite(bound):
            return False
        short = self._sense() * (incumbent - bound)
        if short > tolerance * max(abs(incumbent), abs(bound)):
            return False
        self.second_bound = bound
        pick = min if self._sense() == 1 else max
        self._mip_bound = pick(self._mip_bound, bound)
        self._relaxed_at = bound
        return True

    def _wait(self) -> float:
        """How long the second opinion may take: what is left of --time-limit and
        CONFIRM_GRACE; without one, its share of the command's budget (see _limit) and
        as much again for HiGHS's overshoot; without either, ten minutes."""
        left = self.time_left()
        if left is not None:
            return max(left, 0.0) + CONFIRM_GRACE
        deadline = self.options.deadline
        if deadline is not None:
            return 2.0 * max(deadline - time.monotonic(), 0.0) / 3 + 1.0
        return 600.0

    def _confirmed(self) -> tuple[tuple[Plan, float], float] | str | None:
        """confirm()'s solve: ((plan, objective), its bound), None when it is not
        optimal, "out_of_time" when the command's budget ran out, "time_up" when
        --time-limit did."""
        h = self._h
        assert h is not None
        self._release()
        h.clearSolver()
        h.setOptionValue("random_seed", self.options.seed + 1)
        strict = self._strict_now()
        self.set_strict(True)
        before = _option(h, "mip_feasibility_tolerance")
        h.setOptionValue("mip_feasibility_tolerance", STRICT)
        # no RENS in the second opinion: HiGHS 1.16 segfaults in it under these
        # options too (a joint-repair probe of case 15-1745); a heuristic only
        rens = _option(h, "mip_heuristic_run_rens")
        h.setOptionValue("mip_heuristic_run_rens", False)
        h.setOptionValue("presolve", "off")
        try:
            try:
                if self._run() != _MS.kOptimal:
                    limited = self.options.time_limit is not None
                    return "time_up" if limited and h.getModelStatus() == _MS.kTimeLimit \
                        else None
            except TimeUp:
                return "time_up"
            except OutOfTime:
                return "out_of_time"
            except SolverError:
                # (HiGHS 1.16 fails to run, without presolve, a model whose milestone
                # row no lever reaches: a second opinion that cannot run is none)
                return None
            bound = h.getInfo().mip_dual_bound
            # (the MIP's own plan, read before the polish replaces HiGHS's solution)
            raw = list(h.getSolution().col_value)
            value = h.getInfo().objective_function_value
            found = self._polish(raw)
            if found is None or self._worse(found[1], value):
                # this run's plan leans on a tolerance (a use switch at 1e-7 funds
                # units unpaid) and its bound with it (0.006 beside a whole plan of
                # 0.886): branch on the leak, as solve() does
                branched = self._branch(0)
                if branched is None:
                    return None
                found, bound = branched
            return (found if found is not None else (Plan(raw, [], False), value)), bound
        finally:
            h.setOptionValue("mip_feasibility_tolerance", before)
            h.setOptionValue("mip_heuristic_run_rens", rens)
            h.setOptionValue("presolve", "choose")
            h.setOptionValue("random_seed", self.options.seed)
            self.set_strict(strict)

    def refute_bound(self) -> None:
        """A plan of confirm()'s that passes the re-check beats the first solve's
        bound: that bound is wrong (HiGHS 1.16 closed a max_exports second stage at
        27709.41 under its default tolerances; strict, it found a plan of 27672.82),
        and only confirm()'s own stands."""
        self._mip_bound = self.second_bound

    def _hold_below(self, con: Any, value: float) -> None:
        """Row ``con``'s upper bound in HiGHS at ``value`` of its body (never below its
        lower bound), until the next sync."""
        h, matrix = self._h, self.matrix
        assert h is not None
        i = matrix.row_of[id(con)]
        lower, upper = self._bounds(i)
        h.changeRowBounds(i, lower, max(min(upper, value - float(matrix.row_offset[i])), lower))
        self._held[i] = (lower, upper)

    def _release(self) -> None:
        """The rows the last solve held (see _hold_below) back at the bounds the model
        gave them in that solve (not the model's now: it may have moved since)."""
        h = self._h
        assert h is not None
        for i, (lower, upper) in sorted(self._held.items()):
            h.changeRowBounds(i, lower, upper)
        self._held = {}

    def _start(self) -> None:
        """Hand HiGHS the plan in the model's variables as a MIP start (setSolution),
        its integer columns rounded: a first incumbent, which HiGHS checks against
        the model under its own tolerances and drops when it breaks a row. Only an
        incumbent: the bound is still HiGHS's own search's. Nothing for an LP, or
        where a variable holds no finite value."""
        matrix, h = self.matrix, self._h
        assert h is not None
        if not matrix.integer.any():
            return
        values = np.array([np.nan if var.value is None else float(var.value)
                           for var in matrix.columns])
        if not np.isfinite(values).all():
            return
        values[matrix.integer] = np.round(values[matrix.integer])
        plan = highspy.HighsSolution()
        plan.col_value = values.tolist()
        h.setSolution(plan)

    def _strict_now(self) -> bool:
        h = self._h
        return h is not None and _option(h, "primal_feasibility_tolerance") <= STRICT

    def clear(self) -> None:
        """Forget HiGHS's basis and solution: the next solve starts from scratch."""
        if self._h is not None:
            self._h.clearSolver()

    def load_plan(self, plan: Plan) -> None:
        """Put ``plan`` into the model's variables (a plan from confirm, say)."""
        for var, value in zip(self.matrix.columns, plan.col_value, strict=True):
            var.set_value(value, skip_validation=True)

    def is_mip(self) -> bool:
        return bool(self.matrix.integer.any())

    def maximizes(self) -> bool:
        """The objective of the last solve is maximised (max_exports' first stage)."""
        return self._objective is not None and self._sense() < 0

    def proven_bound(self, incumbent: float) -> tuple[float, str] | None:
        """After solve(): a bound on the optimum of the model as it stood, and how it
        was found; None when there is none.

        An LP's (or a relaxation's) bound is computed here, in float64, from
        HiGHS's row duals y and the model's own arrays: for min c'x over
        L <= Ax <= U, l <= x <= u, any y gives

            c'x >= sum_i (y_i L_i if y_i > 0 else y_i U_i) + min_{l<=x<=u} (c - A'y)'x

        (weak duality), whatever the accuracy of y; a y_i whose bound is
        infinite is dropped. Columns without a finite bound take one from the
        plan's cost where every cost is >= 0: no plan cheaper than the
        ``incumbent`` (model money, the re-checked plan's objective) has
        c_j x_j above it. A MIP's bound is HiGHS's branch-and-bound bound.
        """
        if self._mip_bound is not None:
            # (the relaxation's bound where it stood for the second opinion and is the
            # looser: see relaxed_opinion)
            return float(self._mip_bound), ("mip_relaxation_bound"
                                            if self._mip_bound == self._relaxed_at
                                            else "mip_dual_bound")
        if self._relaxation is None or self._objective is None or self._h is None:
            return None
        lp = self._h.getLp()
        cost, offset, sense = self.matrix.objectives[self._objective]
        c = sense * np.asarray(cost, dtype=float)
        y = sense * self._relaxation[0]
        lower, upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
        y = np.where((y > 0) & ~np.isfinite(lower), 0.0, y)
        y = np.where((y < 0) & ~np.isfinite(upper), 0.0, y)
        rows = np.where(y > 0, y * np.where(np.isfinite(lower), lower, 0.0),
                        y * np.where(np.isfinite(upper), upper, 0.0)).sum()
        d = c - _transposed_product(lp, y)
        lo, hi = np.asarray(lp.col_lower_, dtype=float), np.asarray(lp.col_upper_, dtype=float)
        hi = np.minimum(hi, self._implied)
        if (c >= 0).all() and (lo >= 0).all():
            room = abs(sense * incumbent - sense * offset) * 2.0 + 1.0
            with np.errstate(divide="ignore"):
                hi = np.minimum(hi, np.where(c > 0, room / np.where(c > 0, c, 1.0), np.inf))
        with np.errstate(invalid="ignore"):
            box = np.where(d > 0, d * lo, np.where(d < 0, d * hi, 0.0))
        total = float(rows + box.sum())
        if not math.isfinite(total):
            return None
        return sense * total + offset, "lp_dual"

    def relaxation_bound(self, incumbent: float) -> float | None:
        """A bound on the optimum of the model as last solved, from its LP
        relaxation (integrality dropped) by the weak duality of proven_bound;
        None when that LP is not optimal. For a MIP whose own solve gave no bound:
        HiGHS 1.16 called a max_exports second stage infeasible, with and without
        presolve, though the first stage's plan is in it and its relaxation solves."""
        h, matrix = self._h, self.matrix
        if h is None or self._objective is None:
            return None
        ints = np.flatnonzero(matrix.integer).astype(np.int32)
        n = len(ints)
        saved = self._mip_bound, self._relaxation
        if n:
            h.changeColsIntegrality(n, ints, np.full(n, highspy.HighsVarType.kContinuous))
        try:
            h.clearSolver()
            if self._run() != _MS.kOptimal:
                return None
            raw = h.getSolution()
            if not raw.dual_valid:
                return None
            self._mip_bound = None
            self._relaxation = (np.array(raw.row_dual), np.array(raw.col_dual))
            found = self.proven_bound(incumbent)
            return None if found is None else found[0]
        finally:
            self._mip_bound, self._relaxation = saved
            if n:
                h.changeColsIntegrality(n, ints, np.full(n, highspy.HighsVarType.kInteger))

    def conflict(self, m: pyo.ConcreteModel) -> list[tuple[Any, str]]:
        """An irreducible infeasible subset of ``m``: (constraint or variable data,
        'lower' | 'upper' | 'both') for each member, from HiGHS's IIS.

        HiGHS returns an empty set unless an IIS strategy is set.
        """
        if m is not self._model:
            self._load(m)
        self._sync()
        h = self._h
        assert h is not None
        ints = np.flatnonzero(self.matrix.integer).astype(np.int32)
        n = len(ints)
        # HiGHS finds an IIS of an LP: relax integrality (a MIP infeasible only
        # because of whole numbers then has none, and the caller says so)
        if n:
            h.changeColsIntegrality(n, ints, np.full(n, highspy.HighsVarType.kContinuous))
        try:
            self._run()
            # strategy 1 refused some models here that strategy 2 answered
            for strategy in (2, 1):
                h.setOptionValue("iis_strategy", strategy)
                with open(os.devnull, "w") as sink, stdout_to(sink.fileno()):
                    status, iis = h.getIis()
                if status != highspy.HighsStatus.kError and iis.valid_:
                    break
        finally:
            if n:
                h.changeColsIntegrality(n, ints, np.full(n, highspy.HighsVarType.kInteger))
        if status == highspy.HighsStatus.kError or not iis.valid_:
            return []
        side = {2: "lower", 3: "upper", 4: "both"}
        matrix = self.matrix
        out: list[tuple[Any, str]] = [
            (matrix.rows[r], side.get(b, "both"))
            for r, b in zip(iis.row_index_, iis.row_bound_, strict=False)
        ]
        out += [(matrix.columns[c], side.get(b, "both"))
                for c, b in zip(iis.col_index_, iis.col_bound_, strict=False)]
        return out

    def time_left(self) -> float | None:
        """Seconds left of --time-limit (<= 0: spent; None: no limit), a polish's grace
        included (see POLISH_SECONDS); the first caller starts the clock."""
        left = self.options.clock.left()
        if left is not None and self._stage_end is not None:
            left = min(left, self._stage_end - time.monotonic())
        if left is not None and self._grace_end is not None:
            left = max(left, self._grace_end - time.monotonic())
        return left

    def _limit(self) -> None:
        """HiGHS's time limit for the next run, which HiGHS counts from the run's start:
        what is left of --time-limit, all of it (the command's one budget for its
        solves: the answer's first run gets it whole); without --time-limit, a third of
        what is left of --time-budget's deadline (HiGHS overshoots a MIP's time limit,
        by up to 2.5 times here, and a run may retry within itself), or none."""
        global _stop_at
        h = self._h
        assert h is not None
        left = self.time_left()
        _stop_at = None
        if left is not None:
            if left <= 0:
                raise TimeUp("the --time-limit was spent before HiGHS could run")
            h.setOptionValue("time_limit", left)
            _stop_at = time.monotonic() + left + OVERSHOOT
            return
        deadline = self.options.deadline
        if deadline is None:
            h.setOptionValue("time_limit", math.inf)
            return
        share = (deadline - time.monotonic()) / 3
        if share <= 0:
            raise OutOfTime("the command's --time-budget ran out before HiGHS finished "
                            "(give it more seconds)")
        h.setOptionValue("time_limit", share)

    def _run(self) -> highspy.HighsModelStatus:
        h = self._h
        assert h is not None
        self._limit()
        with _interruptible(), _quiet(), self._lean(h):
            status = h.run()
            if status == highspy.HighsStatus.kError:
                # seen on a warm MIP after its rows moved; from scratch, or without
                # presolve, it runs
                h.clearSolver()
                self._limit()
                status = h.run()
            if status == highspy.HighsStatus.kError:
                status = self._without_presolve()
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS failed to run the model")
        if h.getModelStatus() == _MS.kUnknown:
            # a warm start can leave HiGHS lost (seen polishing a branch with its
            # integers fixed): once more from scratch
            h.clearSolver()
            self._limit()
            with _interruptible(), _quiet():
                h.run()
        return h.getModelStatus()

    @contextlib.contextmanager
    def _lean(self, h: highspy.Highs) -> Iterator[None]:
        """While screening or probing (an analysis's re-solves): no feasibility jump
        and no primal heuristics, which on a MIP of a few dozen columns cost HiGHS
        more than the branching (38 ms of a probe's 40 on the three-year scenario,
        25% of explain's stability ranges; 1.57 s against 0.84 s for the tornado's
        and the worth's full solves, 1.76 s against 1.08 s for their second
        opinions, every plan and bound the same). The MIP is still solved to its
        gap and the second opinion still runs from scratch without presolve; only
        how fast the first plan comes changes."""
        if not (self.screening or self.lean):
            yield
            return
        saved = {name: _option(h, name) for name in LEAN}
        for name, value in LEAN.items():
            h.setOptionValue(name, value)
        try:
            yield
        finally:
            for name, value in saved.items():
                h.setOptionValue(name, value)

    def _without_presolve(self) -> highspy.HighsStatus:
        h = self._h
        assert h is not None
        h.clearSolver()
        self._limit()
        h.setOptionValue("presolve", "off")
        # HiGHS 1.16 segfaults in its RENS heuristic (HighsPrimalHeuristics::RENS)
        # on some unpresolved MIPs (two excluding levers with big-M use switches
        # beside the budget row; scripts/highs_rens_segfault.py). A heuristic only:
        # this run, which checks a presolve verdict, goes without it
        rens = _option(h, "mip_heuristic_run_rens")
        h.setOptionValue("mip_heuristic_run_rens", False)
        try:
            return h.run()
        finally:
            h.setOptionValue("presolve", "choose")
            h.setOptionValue("mip_heuristic_run_rens", rens)

    def set_strict(self, strict: bool) -> None:
        """Tight feasibility tolerances (1e-9 model units) or HiGHS's defaults.

        The default tolerances let a plan sit 1e-7 (LP) or 1e-6 (MIP) model
        units outside a bound; the scenario's units magnify that, and the
        re-check then refuses a plan the model accepted. Tight is slower, so
        it is the fallback, not the default.
        """
        h = self._h
        if h is None:
            return
        for name, default in STRICT_TOLERANCES.items():
            h.setOptionValue(name, STRICT if strict else default)

    def _polish(self, col_value: Sequence[float]) -> tuple[Plan, float] | None:
        """_polish_now, with up to POLISH_SECONDS past --time-limit; None when even
        that runs out (the plan stands as HiGHS left it)."""
        saved = self._grace_end
        if saved is None:
            self._grace_end = time.monotonic() + POLISH_SECONDS
        try:
            return self._polish_now(col_value)
        except TimeUp:
            return None
        finally:
            self._grace_end = saved

    def _polish_now(self, col_value: Sequence[float]) -> tuple[Plan, float] | None:
        """The LP with every integer column fixed at its rounded value, re-solved.

        A MIP's plan carries its tolerances (0.999993 of a 1-unit lot, 1e-7 of
        a lever that looks free); the LP's vertex sits on its bounds exactly,
        and its duals are the spec's "LP with integers fixed" marginal cost.
        Columns with a grain (integer levers solved continuous) are rounded to
        whole multiples of it and fixed too; where rounding them all to the
        nearest breaks a row, they are rounded one at a time (see _dive).
        None (and the MIP's plan stands) if that LP is not optimal.
        Returns the LP's solution and objective, read before the integers are
        restored (changing the model clears HiGHS's solution and info).
        """
        h, matrix = self._h, self.matrix
        assert h is not None
        ints = np.flatnonzero(matrix.integer).astype(np.int32)
        grained = np.flatnonzero(self._grain > 0).astype(np.int32)
        values = np.asarray(col_value)
        grain = self._grain[grained]
        cols = np.concatenate([ints, grained]).astype(np.int32)
        n = len(ints)
        if n:
            h.changeColsIntegrality(n, ints, np.full(n, highspy.HighsVarType.kContinuous))
        whole = values[grained] / grain
        # a column's own bounds (a cap) hold whole counts too: never rounded past
        least, most = _whole_range(matrix.col_lower[grained], matrix.col_upper[grained],
                                   grain)
        # nearest, then all down and all up: rounding a cheap lever down can cost
        # far more in the levers that make up for it
        tries = [np.clip(f(whole), least, most)
                 for f in ((np.round, np.floor, np.ceil) if len(grained) else (np.round,))]
        best: tuple[Plan, float] | None = None
        best_clean = False
        try:
            for rounded in tries:
                at = np.concatenate([np.round(values[ints]), rounded * grain])
                h.changeColsBounds(len(cols), cols, at, at)
                if self._run() == _MS.kOptimal:
                    found = self._solution(cols, at)
                    # a rounding that leans on HiGHS's tolerance (0.0008 over a
                    # max_spend of 0.08, 8e-10 model units) loses to one that does not
                    clean = h.getInfo().max_primal_infeasibility <= 1e-12
                    if (best is None or clean and not best_clean
                            or clean == best_clean and self._better(found[1], best[1])):
                        best, best_clean = found, clean
            if best is None and len(grained):
                at = np.round(values[ints])
                h.changeColsBounds(n, ints, at, at)
                if self._dive(grained, grain):
                    lp = h.getLp()
                    best = self._solution(cols, np.asarray(lp.col_lower_)[cols])
            return best
        finally:
            h.changeColsBounds(len(cols), cols, matrix.col_lower[cols], matrix.col_upper[cols])
            if n:
                h.changeColsIntegrality(n, ints, np.full(n, highspy.HighsVarType.kInteger))

    def _solution(self, fixed: np.ndarray, at: np.ndarray) -> tuple[Plan, float]:
        """HiGHS's solution with the ``fixed`` columns exactly ``at`` their values:
        HiGHS keeps a warm solution that is within its tolerance of new bounds
        (4e-11 model units off, where a model unit is 1e8 whole units)."""
        h = self._h
        assert h is not None
        solution = h.getSolution()
        values = np.array(solution.col_value)
        values[fixed] = at
        return (Plan(values.tolist(), list(solution.row_dual),
                     bool(solution.dual_valid), list(solution.col_dual)),
                h.getInfo().objective_function_value)

    def _better(self, value: float, than: float) -> bool:
        return value > than if self._sense() < 0 else value < than

    def _dive(self, grained: np.ndarray, grain: np.ndarray) -> bool:
        """Round the grained columns one at a time (the integer columns stay fixed):
        free those not yet rounded, solve, fix the next at its value rounded to the
        nearest whole grain, or the other way when that LP has no plan. True when
        every one is fixed and the LP is optimal (its solution is HiGHS's)."""
        h, matrix = self._h, self.matrix
        assert h is not None
        h.changeColsBounds(len(grained), grained, matrix.col_lower[grained],
                           matrix.col_upper[grained])
        # the coarsest grain first, so the finer ones make up for its rounding (1e15
        # units of a fine lever fixed first left no whole count of a coarse one that
        # kept both a link row and the ceiling)
        order = np.argsort(-np.asarray(grain), kind="stable")
        for j, g in zip(grained[order].tolist(), np.asarray(grain)[order].tolist(),
                        strict=True):
            if self._run() != _MS.kOptimal:
                return False
            value = h.getSolution().col_value[j] / g
            nearest = round(value)
            other = math.floor(value) if nearest > value else math.ceil(value)
            lo, hi = (float(v[0]) for v in _whole_range(
                np.array([matrix.col_lower[j]]), np.array([matrix.col_upper[j]]),
                np.array([g])))
            for whole in dict.fromkeys(min(max(c, lo), hi) for c in (nearest, other)):
                h.changeColBounds(j, whole * g, whole * g)
                if self._run() == _MS.kOptimal:
                    break
            else:
                return False
        return True

    def _worse(self, polished: float, mip: float) -> bool:
        h = self._h
        assert h is not None
        maximize = self._sense() < 0
        gap = 1e-6 * max(1.0, abs(mip))
        return polished < mip - gap if maximize else polished > mip + gap

    def _sense(self) -> int:
        assert self._objective is not None
        return self.matrix.objectives[self._objective][2]

    def _tight_retry(self) -> tuple[Status, tuple[Plan, float] | None]:
        """The MIP again with an integrality tolerance of 1e-9: its status, and its
        plan polished (None when it has none, or its polish fails too)."""
        h = self._h
        assert h is not None
        before = _option(h, "mip_feasibility_tolerance")
        h.setOptionValue("mip_feasibility_tolerance", STRICT)
        try:
            status = classify(self._run(), False)
            if status is not Status.OPTIMAL:
                return status, None
            # the strict solve's bound replaces the one that leaned on the tolerance
            self._mip_bound = h.getInfo().mip_dual_bound
            return status, self._polish(list(h.getSolution().col_value))
        finally:
            h.setOptionValue("mip_feasibility_tolerance", before)

    def _branch_leaks(self) -> tuple[Plan, float] | None:
        """The MIP's optimum where its plan cannot be made whole (see _polish): the
        integer column whose fraction moves its rows most (a use switch at 9e-14
        under a big-M of 6e9 funds 5.8e-4 model units, under every tolerance) is
        branched on, x <= floor and x >= ceil, each branch solved under the strict
        tolerance and polished, or branched again; the better polished plan wins,
        and the bound is the weaker of the branches' bounds (together they cover
        every plan). None when a branch ends otherwise or nothing can be branched."""
        h = self._h
        assert h is not None
        before = _option(h, "mip_feasibility_tolerance")
        h.setOptionValue("mip_feasibility_tolerance", STRICT)
        try:
            found = self._branch(0)
        finally:
            h.setOptionValue("mip_feasibility_tolerance", before)
        if found is None or found[0] is None:
            return None
        self._mip_bound = found[1]
        return found[0]

    def _branch(self, depth: int) -> tuple[tuple[Plan, float] | None, float] | None:
        """(polished plan or None when infeasible, bound) of the MIP under the
        column bounds now in HiGHS; None: no answer."""
        h, matrix = self._h, self.matrix
        assert h is not None
        worst = math.inf if self._sense() == 1 else -math.inf
        status = self._run()
        if status == _MS.kInfeasible:
            return None, worst
        if status != _MS.kOptimal or depth > 6:
            return None
        bound = h.getInfo().mip_dual_bound
        value = h.getInfo().objective_function_value
        col_value = list(h.getSolution().col_value)
        # the branch's own bounds, which _polish puts back to the model's
        lower, upper = np.asarray(h.getLp().col_lower_), np.asarray(h.getLp().col_upper_)
        found = self._polish(col_value)
        ints = np.flatnonzero(matrix.integer)
        h.changeColsBounds(len(ints), ints.astype(np.int32), lower[ints], upper[ints])
        # a whole plan far worse than the node's own value (a switch at 4.8e-10
        # skipped a fixed cost of 19.9, and the whole plan cost 13,189) is kept
        # while the branches look for the one the leak stood in for
        if found is not None and not self._worse(found[1], value):
            return found, bound
        values = np.asarray(col_value)[ints]
        weight = np.zeros(len(matrix.columns))
        np.maximum.at(weight, np.asarray(matrix.index), np.abs(np.asarray(matrix.value)))
        moved = np.abs(values - np.round(values)) * np.maximum(weight[ints], 1.0)
        if not len(ints) or moved.max() <= 1e-12:
            return (found, bound) if found is not None else None
        k = int(np.argmax(moved))
        j, v = int(ints[k]), float(values[k])
        low, high = float(lower[j]), float(upper[j])
        best: tuple[Plan, float] | None = found
        bounds: list[float] = []
        try:
            for lo, hi in ((low, float(math.floor(v))), (float(math.ceil(v)), high)):
                if lo > hi:
                    continue
                h.changeColBounds(j, lo, hi)
                got = self._branch(depth + 1)
                if got is None:
                    return None
                bounds.append(got[1])
                if got[0] is not None and (best is None or self._better(got[0][1], best[1])):
                    best = got[0]
        finally:
            h.changeColBounds(j, low, high)
        if not bounds:
            return None, worst
        return best, (min(bounds) if self._sense() == 1 else max(bounds))

    def solve(
        self, m: pyo.ConcreteModel, duals_of: Sequence[pyo.Constraint] = (),
        polish: bool = False, start: bool = False,
        upper: Mapping[Any, float] | None = None,
    ) -> Outcome:
        """Solve ``m``; load the plan into its variables only when there is one.

        ``polish``: for a MIP with a plan, re-solve the LP with its integers
        fixed and show that plan (see _polish); duals then come from that LP.
        ``start``: for a MIP, the plan now in ``m``'s variables is HiGHS's first
        incumbent (see _start).
        ``upper``: rows (constraint data of ``m``) held at or below these values of
        their bodies (model units) for this solve and what asks about it after
        (confirm, proven_bound), besides the model's own bounds; the model is not
        changed, and the next solve's sync puts its bounds back.
        """
        began = time.perf_counter()
        if m is not self._model:
            self._load(m)
        self._sync()
        h = self._h
        assert h is not None
        self.last_plan = None
        for con, value in (upper or {}).items():
            self._hold_below(con, value)
        if start:
            self._start()
        narrowed = self._narrow()
        try:
            return self._solved(began, polish, duals_of)
        finally:
            if narrowed is not None:
                narrowed.undo(h)

    def _solved(self, began: float, polish: bool, duals_of: Sequence[pyo.Constraint]
                ) -> Outcome:
        """solve() from its run on: the Outcome, the plan loaded into the model."""
        h = self._h
        assert h is not None
        model_status = self._run()
        if classify(model_status, False) is Status.ERROR:
            # a warm start can leave HiGHS lost ("Unknown"): once more from scratch
            h.clearSolver()
            model_status = self._run()
        if self.matrix.integer.any() and classify(model_status, False) is Status.INFEASIBLE:
            # HiGHS 1.16's MIP presolve has called a feasible model infeasible (a
            # max_exports second stage that the first stage's plan satisfies):
            # an infeasible verdict is confirmed without presolve
            with _quiet():
                self._without_presolve()
            model_status = h.getModelStatus()
        info = h.getInfo()
        has_plan = info.primal_solution_status == 2
        ours = classify(model_status, has_plan)
        objective = info.objective_function_value if has_plan else None
        mip = bool(self.matrix.integer.any())
        if mip:
            bound = info.mip_dual_bound if has_plan else None
        else:
            bound = objective if ours is Status.OPTIMAL else None
        self._mip_bound = bound if mip else None
        self._relaxed_at = None
        self._relaxation = None
        duals: dict[str, float] = {}
        if ours in (Status.OPTIMAL, Status.LIMIT_WITH_PLAN):
            raw = h.getSolution()
            plan = Plan(list(raw.col_value), list(raw.row_dual), bool(raw.dual_valid),
                        list(raw.col_dual))
            if not mip and raw.dual_valid:
                self._relaxation = (np.array(raw.row_dual), np.array(raw.col_dual))
            if (mip or self._grain.any()) and polish:
                polished = self._polish(plan.col_value)
                if mip and (polished is None or objective is not None and self._worse(
                        polished[1], objective)):
                    # the MIP leaned on its integrality tolerance (a use switch of
                    # 5e-7 times a big-M lets units through unpaid, or keeps a lever
                    # that logic rules out): solve it again with a tight tolerance,
                    # which is slower and so not the default
                    try:
                        status, retry = self._tight_retry()
                        if status is Status.INFEASIBLE:
                            # the plan existed only inside the tolerance
                            self._mip_bound = None
                            return Outcome(Status.INFEASIBLE, "Infeasible", None, None,
                                           None, time.perf_counter() - began)
                        if retry is not None and not (objective is not None
                                                      and self._worse(retry[1], objective)):
                            polished = retry
                        else:
                            # still no whole plan, or one far worse than the MIP's own
                            # value: a use switch at 1e-13 times a big-M of 6e9 funds
                            # units no tolerance sees (a lever whose fixed cost of 19.9
                            # was skipped, where the whole plan cost 13,189); branch on
                            # it, and keep the better of the two
                            branched = self._branch_leaks()
                            polished = branched if retry is None or branched is not None \
                                and self._better(branched[1], retry[1]) else retry
                    except TimeUp:
                        # --time-limit spent: the plan stands as HiGHS found it (the
                        # polish's, if any), and the re-check judges it
                        pass
                if polished is not None:
                    plan, objective = polished
            self.last_plan = plan if ours is Status.OPTIMAL else None
            for var, value in zip(self.matrix.columns, plan.col_value, strict=True):
                var.set_value(value, skip_validation=True)
            if ours is Status.OPTIMAL and duals_of and plan.dual_valid:
                rows = self.matrix.row_of
                duals = {c.name: float(plan.row_dual[rows[id(c)]]) for c in duals_of}
        return Outcome(
            status=ours,
            # (a run past --time-limit that HiGHS did not stop itself was interrupted)
            termination=("Time limit reached" if model_status == _MS.kInterrupt
                         and not _interrupt_asked and _stop_at is not None
                         else h.modelStatusToString(model_status)),
            objective=objective,
            bound=bound,
            gap=relative_gap(objective, bound) if ours is not Status.INFEASIBLE else None,
            seconds=time.perf_counter() - began,
            duals=duals,
        )
