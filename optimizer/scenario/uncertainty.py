"""Uncertain parameters: distributions, the value a deterministic solve uses, and sampling.

A scenario may give any numeric lever parameter (or an exchange rate) as a
distribution instead of a number, written as a plain mapping::

    {dist: triangular, low: 20k, mode: 25k, high: 30k}
    {dist: uniform, low: 20k, high: 30k}
    {dist: normal, mean: 25k, sd: 3k}          # truncated at 0
    {dist: lognormal, median: 25k, sigma: 0.2}

Amounts (``low``, ``mode``, ``high``, ``mean``, ``sd``, ``median``) go through
a ``convert`` callable the caller supplies, so the caller decides the amount
grammar and currency conversion; ``sigma`` is a plain number (it is a spread of
``log(x)``, so a scale or a currency on it would be meaningless).

The point-value rule
--------------------
A deterministic solve uses one number per distribution, :func:`point_value`:

* ``triangular``: the **mode**.  Strategy documents quote the planner's "most
  likely" figure, which is what the mode records; using the mean would move
  every deterministic plan away from the figure the documents quote.
* ``uniform``: the mean, ``(low + high) / 2``.
* ``normal``: the mean of the normal **truncated at 0**,
  ``mean + sd * phi(b) / Phi(b)`` with ``b = mean / sd``; it equals ``mean``
  to many digits unless ``sd`` is a sizeable fraction of ``mean``.
* ``lognormal``: the mean, ``median * exp(sigma**2 / 2)``.

Sampling
--------
:func:`sample` draws with a Gaussian copula: correlated standard normals
``z = L e`` (``L`` the Cholesky factor of the correlation matrix), each mapped
to its distribution by the inverse CDF of ``Phi(z)``.  A pair's correlation is
therefore the correlation of the underlying normals; its Spearman rank
correlation is ``(6 / pi) * asin(rho / 2)`` whatever the margins.

Reproducibility: the result depends only on the seed, ``n``, the set of
parameters with their distributions, and the correlations; never on mapping
order or on the process.  Each parameter has its own PCG64 stream, keyed by the
seed and a SHA-256 of its name, and parameters are arranged in sorted-name
order.  Hence adding, removing or renaming a parameter leaves the draws of
every other parameter unchanged (unless the edit changes that parameter's own
correlations), and the first ``m`` of ``n`` draws equal a draw of ``m``: common
random numbers across scenario edits and runs of different sizes.

The normal CDF and its inverse are scipy's (``scipy.special.ndtr``, ``ndtri``),
each tail computed on its own side so that no precision is lost far out.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from optimizer.imports import plain
from optimizer.scenario.amounts import AmountError, parse_number

__all__ = [
    "DISTRIBUTIONS",
    "CorrelationError",
    "Distribution",
    "DistributionError",
    "LogNormal",
    "Normal",
    "Triangular",
    "Uniform",
    "parse_distribution",
    "point_value",
    "sample",
]

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------
# Errors


def _with_value(reason: str, value: object) -> str:
    # AmountError renders "(got VALUE)" the way every other scenario message
    # does (null, true/false, long strings cut), so reuse it for the wording.
    return str(AmountError(reason, value))


class DistributionError(ValueError):
    """A distribution that cannot be used, located at a field.

    ``path`` is the dotted field path (``levers.freelancers.yield.low``) and
    ``message`` the reason, ending with ``(got VALUE)`` where a value is at
    fault, so a caller can build ``Problem(file, e.message, e.path)``.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self) -> tuple[type[DistributionError], tuple[str, str]]:
        # The default reduce replays the formatted message into __init__,
        # which takes two arguments: pickling to a worker process would break.
        return (type(self), (self.path, self.message))


class CorrelationError(ValueError):
    """A correlation the sampler cannot use; ``pair`` names the parameters."""

    def __init__(self, pair: tuple[str, str], message: str) -> None:
        self.pair = pair
        self.message = message
        super().__init__(f"correlation {pair[0]} ~ {pair[1]}: {message}")

    def __reduce__(self) -> tuple[type[CorrelationError], tuple[tuple[str, str], str]]:
        return (type(self), (self.pair, self.message))


# ---------------------------------------------------------------------------
# Distributions


def _check_finite(path: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DistributionError(path, _with_value("expected a finite number", value))


def _relation_problem(kind: str, v: Mapping[str, float]) -> tuple[str, str] | None:
    """The first broken constraint between a distribution's fields, as (field, reason).

    Shared by the dataclasses and :func:`parse_distribution` so both refuse
    the same things; the caller appends the value as the planner wrote it.
    """
    if kind in ("triangular", "uniform") and v["low"] > v["high"]:
        return "low", f"must not exceed high ({v['high']:g})"
    if kind == "triangular" and not v["low"] <= v["mode"] <= v["high"]:
        return "mode", f"must lie between low ({v['low']:g}) and high ({v['high']:g})"
    if kind == "normal" and v["sd"] < 0:
        return "sd", "must be zero or more"
    if kind == "normal" and v["mean"] < 0:
        # Truncation at 0 keeps only the upper tail of a negative-mean normal:
        # its draws would have little to do with the mean written down.
        return "mean", "must be zero or more: the normal is truncated at 0"
    if kind == "lognormal" and v["median"] <= 0:
        return "median", "must be greater than 0"
    if kind == "lognormal" and v["sigma"] < 0:
        return "sigma", "must be zero or more"
    return None


class _Checked:
    """Validation on construction, so a hand-built distribution is as safe as a parsed one."""

    name: ClassVar[str]

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        for key, value in values.items():
            _check_finite(key, value)
        problem = _relation_problem(self.name, values)
        if problem is not None:
            key, reason = problem
            raise DistributionError(key, _with_value(reason, values[key]))


@dataclass(frozen=True)
class Triangular(_Checked):
    """Triangular on [low, high] peaking at ``mode``; its point value is the mode."""

    name: ClassVar[str] = "triangular"
    low: float
    mode: float
    high: float


@dataclass(frozen=True)
class Uniform(_Checked):
    """Uniform on [low, high]."""

    name: ClassVar[str] = "uniform"
    low: float
    high: float


@dataclass(frozen=True)
class Normal(_Checked):
    """Normal(mean, sd) truncated at 0: costs and yields are never negative."""

    name: ClassVar[str] = "normal"
    mean: float
    sd: float


@dataclass(frozen=True)
class LogNormal(_Checked):
    """``median * exp(sigma * Z)``: ``sigma`` is the standard deviation of ``log(x)``."""

    name: ClassVar[str] = "lognormal"
    median: float
    sigma: float


Distribution = Triangular | Uniform | Normal | LogNormal

DISTRIBUTIONS: Mapping[str, type[Distribution]] = MappingProxyType(
    {cls.name: cls for cls in (Triangular, Uniform, Normal, LogNormal)}
)

# sigma is the spread of log(x), a pure number: read without the caller's
# convert so that a currency on it is refused rather than silently divided.
_PLAIN_FIELDS = frozenset({"sigma"})


def _listed(names: list[str], last: str) -> str:
    return ", ".join(names[:-1]) + f" {last} " + names[-1] if len(names) > 1 else names[0]


def _hint(word: object, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse_distribution(
    raw: Mapping[Any, Any], path: str, convert: Callable[[Any], float]
) -> Distribution:
    """Read ``{dist: NAME, ...}`` into a distribution, or raise :class:`DistributionError`.

    ``path`` locates ``raw`` in the scenario (``levers.x.yield``); errors name
    the field below it.  ``convert`` reads each amount (a number or a string
    such as ``"25k"`` or ``"100,000 PKR"``) into a float in the reporting
    currency; an ``AmountError`` (or other ``ValueError``/``TypeError``) from
    it becomes a :class:`DistributionError` at that field.  The first problem
    found is raised.
    """

    def at(key: object) -> str:
        return f"{path}.{key}" if path else str(key)

    known = list(DISTRIBUTIONS)
    any_of = _listed(known, "or")
    if not isinstance(raw, Mapping):
        reason = f"expected a number or a mapping such as {{dist: {known[0]}, ...}}"
        raise DistributionError(path, _with_value(reason, raw))
    if "dist" not in raw:
        raise DistributionError(at("dist"), f"is missing: name the distribution, {any_of}")
    name = raw["dist"]
    if not isinstance(name, str) or name.strip().lower() not in DISTRIBUTIONS:
        reason = f"unknown distribution: use {any_of}{_hint(name, known)}"
        raise DistributionError(at("dist"), _with_value(reason, name))
    cls = DISTRIBUTIONS[name.strip().lower()]
    wanted = [f.name for f in fields(cls)]
    takes = f"a {cls.name} distribution takes dist, {_listed(wanted, 'and')}"

    for key in raw:
        if key != "dist" and key not in wanted:
            raise DistributionError(at(key), f"unknown key{_hint(key, wanted)} ({takes})")
    for key in wanted:
        if key not in raw:
            raise DistributionError(at(key), f"is missing ({takes})")

    values: dict[str, float] = {}
    for key in wanted:
        value = raw[key]
        try:
            number = parse_number(value) if key in _PLAIN_FIELDS else convert(value)
        except AmountError as error:
            raise DistributionError(at(key), str(error)) from None
        except (ValueError, TypeError):
            # A caller's convert without the amount grammar's own wording.
            raise DistributionError(
                at(key), _with_value("expected an amount such as 25k, 1e9 or 100,000 PKR", value)
            ) from None
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise DistributionError(at(key), _with_value("expected a number", value))
        if not math.isfinite(number):
            raise DistributionError(at(key), _with_value("must be a finite number", value))
        values[key] = float(number)

    problem = _relation_problem(cls.name, values)
    if problem is not None:
        key, reason = problem
        raise DistributionError(at(key), _with_value(reason, raw[key]))
    return cls(**values)


# ---------------------------------------------------------------------------
# Point values


_SQRT2PI = math.sqrt(2.0 * math.pi)


def _phi_scalar(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT2PI


def _cdf_scalar(x: float) -> float:
    plain("scipy")
    from scipy import special

    return float(special.ndtr(x))


def point_value(d: Distribution) -> float:
    """The number a deterministic solve uses (see the module docstring for the rule)."""
    match d:
        case Triangular():
            return d.mode
        case Uniform():
            return 0.5 * (d.low + d.high)
        case Normal():
            if d.sd == 0:
                return d.mean
            b = d.mean / d.sd
            return d.mean + d.sd * _phi_scalar(b) / _cdf_scalar(b)
        case LogNormal():
            return d.median * math.exp(0.5 * d.sigma * d.sigma)
    raise TypeError(f"not a distribution: {d!r}")


# ---------------------------------------------------------------------------
# The normal CDF and its inverse, vectorised (scipy.special). scipy is imported where
# it is used: imported before Pyomo, it makes Pyomo import all of scipy.stats too
# (pyomo.common.dependencies finalises a scipy it finds loaded), 0.5 s of every
# command's start, distributions or not; and after Pyomo, as itself
# (optimizer.imports.plain), or Pyomo's import hook adds scipy.stats then (0.9 s of a
# report's simulation).


def _ndtr_both(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(Phi(z), 1 - Phi(z))``, each to full relative precision in its own tail.

    Both are returned because the inverse CDFs need the upper tail as well, and
    ``1 - Phi(z)`` computed by subtraction loses every digit beyond z ~ 8.
    """
    plain("scipy")
    from scipy import special

    return special.ndtr(z), special.ndtr(-z)


def _ndtri(p: FloatArray) -> FloatArray:
    """The standard normal quantile of ``p`` in [0, 1] (±inf at the ends). Callers
    pass a lower-tail probability where it is small, so no precision is lost near 1."""
    plain("scipy")
    from scipy import special

    return np.asarray(special.ndtri(p), dtype=float)


# ---------------------------------------------------------------------------
# Inverse CDFs from the copula's normals


def _from_normal(d: Distribution, z: FloatArray) -> FloatArray:
    """The draws of ``d`` whose uniforms are ``Phi(z)``: its inverse CDF at ``Phi(z)``."""
    match d:
        case LogNormal():
            return d.median * np.exp(d.sigma * z)
        case Normal():
            return _truncated_normal(d, z)
        case Uniform():
            lower, _ = _ndtr_both(z)
            return np.minimum(d.low + (d.high - d.low) * lower, d.high)
        case Triangular():
            width = d.high - d.low
            if width == 0:
                return np.full_like(z, d.low)
            lower, upper = _ndtr_both(z)
            # The upper branch uses 1 - u computed directly (no cancellation).
            left = d.low + np.sqrt(lower * width * (d.mode - d.low))
            right = d.high - np.sqrt(upper * width * (d.high - d.mode))
            split = (d.mode - d.low) / width
            return np.clip(np.where(lower < split, left, right), d.low, d.high)
    raise TypeError(f"not a distribution: {d!r}")


def _truncated_normal(d: Normal, z: FloatArray) -> FloatArray:
    """Normal(mean, sd) restricted to [0, inf), driven by the copula's ``z``.

    With ``b = mean / sd`` the truncated CDF is
    ``F(x) = (Phi((x - mean) / sd) - Phi(-b)) / Phi(b)``; solving ``F(x) = Phi(z)``
    on the side of the median where each probability is small keeps precision.
    Draws the truncation cannot change in double precision are taken as
    ``mean + sd * z`` directly (most draws of a yield many sd above 0); the
    choice is made per draw, never per array, so a draw does not depend on
    what else was drawn with it.
    """
    if d.sd == 0:
        return np.full_like(z, d.mean)
    b = d.mean / d.sd
    cut = _cdf_scalar(-b)  # the mass below 0 that truncation removes
    kept = _cdf_scalar(b)
    x = d.mean + d.sd * z
    if kept == 1.0:
        # Above z_min, cut is under half an ulp of Phi(z), so cut + Phi(z) ==
        # Phi(z) and (1 - Phi(z)) kept == 1 - Phi(z): the plain normal draw.
        z_min = float(_ndtri(np.array([min(cut * 2.0**54, 0.5)]))[0])
        exact = z <= z_min
    else:
        exact = np.ones(z.shape, dtype=bool)
    if exact.any():
        ze = z[exact]
        lower, upper = _ndtr_both(ze)
        below = ze <= 0
        # Lower side: Phi(y) = cut + Phi(z) kept.  Upper side: 1 - Phi(y) =
        # (1 - Phi(z)) kept, solved as y = -ndtri(that) by symmetry.
        y = _ndtri(np.where(below, cut + lower * kept, upper * kept))
        x[exact] = d.mean + d.sd * np.where(below, y, -y)
    return np.maximum(x, 0.0)  # round-off only


# ---------------------------------------------------------------------------
# Correlations


_NO_CORRELATIONS: Mapping[tuple[str, str], float] = MappingProxyType({})
_EIG_TOL = 1e-10
_PIVOT_TOL = 1e-12


def _correlation_matrix(
    names: list[str], correlations: Mapping[tuple[str, str], float]
) -> tuple[FloatArray, list[tuple[int, int]]]:
    """The full matrix (unlisted pairs 0) and the listed pairs as index pairs, sorted."""
    index = {name: i for i, name in enumerate(names)}
    matrix = np.eye(len(names))
    pairs: dict[tuple[int, int], float] = {}
    for key, value in correlations.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise CorrelationError((str(key), ""), "expected a pair of parameter names")
        a, b = key
        pair = (str(a), str(b))
        for name in pair:
            if name not in index:
                hint = _hint(name, names)
                raise CorrelationError(pair, f"{name!r} is not an uncertain parameter{hint}")
        if a == b:
            raise CorrelationError(pair, "a parameter cannot be correlated with itself")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not -1.0 <= value <= 1.0
        ):
            raise CorrelationError(pair, f"must be a number in [-1, 1] (got {value!r})")
        i, j = sorted((index[a], index[b]))
        if (i, j) in pairs and pairs[(i, j)] != value:
            raise CorrelationError(
                pair, f"given twice with different values ({pairs[(i, j)]!r} and {value!r})"
            )
        pairs[(i, j)] = float(value)
        matrix[i, j] = matrix[j, i] = float(value)
    return matrix, sorted(pairs)


def _is_psd(matrix: FloatArray) -> bool:
    return bool(np.linalg.eigvalsh(matrix).min() >= -_EIG_TOL)


def _cholesky_psd(matrix: FloatArray) -> FloatArray:
    """A lower-triangular ``L`` with ``L @ L.T == matrix`` for a PSD correlation matrix.

    Unlike ``np.linalg.cholesky`` it accepts singular matrices (correlations
    of exactly +-1, or a rank-deficient set), zeroing a column whose pivot
    vanishes.  Cholesky rather than an eigen-factor because it is
    block-preserving: an uncorrelated parameter keeps exactly its own normals.
    """
    k = matrix.shape[0]
    factor = np.zeros_like(matrix)
    for j in range(k):
        pivot = matrix[j, j] - factor[j, :j] @ factor[j, :j]
        if pivot <= _PIVOT_TOL:
            continue  # a dependent parameter: its variance comes from earlier columns
        factor[j, j] = math.sqrt(pivot)
        below = slice(j + 1, k)
        factor[below, j] = (matrix[below, j] - factor[below, :j] @ factor[j, :j]) / factor[j, j]
    # Unit rows so each z stays exactly standard normal despite round-off.
    norms = np.sqrt((factor * factor).sum(axis=1))
    return factor / norms[:, None]


def _not_psd_error(
    names: list[str], matrix: FloatArray, pairs: list[tuple[int, int]]
) -> CorrelationError:
    """Name the pair that, added in sorted order, first makes the matrix non-PSD."""
    partial = np.eye(len(names))
    for n, (i, j) in enumerate(pairs):
        partial[i, j] = partial[j, i] = matrix[i, j]
        if not _is_psd(partial):
            related = [
                f"{names[a]} ~ {names[b]} = {matrix[a, b]:g}"
                for a, b in pairs[:n]
                if {a, b} & {i, j}
            ]
            context = f" with {'; '.join(related)}" if related else ""
            return CorrelationError(
                (names[i], names[j]),
                f"{matrix[i, j]:g} is inconsistent{context}: the correlation matrix is not "
                "positive semi-definite (pairs not listed count as 0)",
            )
    raise AssertionError("the full matrix is PSD")  # unreachable: called only when it is not


# ---------------------------------------------------------------------------
# Sampling


def _stream(seed: int, name: str) -> np.random.Generator:
    # SHA-256, not hash(): str hashes are salted per process.
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def sample(
    dists: Mapping[str, Distribution],
    n: int,
    seed: int,
    correlations: Mapping[tuple[str, str], float] = _NO_CORRELATIONS,
) -> dict[str, FloatArray]:
    """``n`` joint draws of every parameter, keyed by name in sorted order.

    ``correlations`` maps a pair of parameter names to the correlation of
    their copula normals (either order; unlisted pairs are 0).  Raises
    :class:`CorrelationError` naming a pair when a correlation is unusable or
    the matrix is not positive semi-definite.  Reproducible from ``seed``:
    see the module docstring.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of samples must be a positive integer (got {n!r})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"the seed must be an integer >= 0 (got {seed!r})")
    names = sorted(dists)
    for name in names:
        if not isinstance(dists[name], Triangular | Uniform | Normal | LogNormal):
            raise TypeError(f"{name}: not a distribution: {dists[name]!r}")
    if not names:
        return {}
    normals = np.empty((len(names), n))
    for row, name in enumerate(names):
        normals[row] = _stream(seed, name).standard_normal(n)
    if correlations:
        matrix, pairs = _correlation_matrix(names, correlations)
        if not _is_psd(matrix):
            raise _not_psd_error(names, matrix, pairs)
        normals = _cholesky_psd(matrix) @ normals
    return {name: _from_normal(dists[name], normals[row]) for row, name in enumerate(names)}
