"""Uncertain parameters: parsing, point values, and the Gaussian-copula sampler.

scipy serves only as the reference here (it is a test extra, not a runtime
dependency): the sampler's own normal CDF and quantile are checked against it.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from optimizer.scenario.amounts import parse_amount
from optimizer.scenario.uncertainty import (
    DISTRIBUTIONS,
    CorrelationError,
    Distribution,
    DistributionError,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    parse_distribution,
    point_value,
    sample,
)

ROOT = Path(__file__).resolve().parents[1]
RATES = {"PKR": 250.0}
PATH = "levers.freelancers.yield_per_unit"


def usd(value: object) -> float:
    return parse_amount(value, "USD", RATES)


def parse(raw: Mapping[Any, Any]) -> Distribution:
    return parse_distribution(raw, PATH, usd)


def refusal(raw: Any) -> DistributionError:
    with pytest.raises(DistributionError) as info:
        parse(raw)
    return info.value


# ---------------------------------------------------------------------------
# Parsing


def test_parses_each_distribution_in_the_amount_grammar() -> None:
    assert parse({"dist": "triangular", "low": "20k", "mode": "25,000", "high": 30000}) == (
        Triangular(20_000.0, 25_000.0, 30_000.0)
    )
    assert parse({"dist": "uniform", "low": "5M PKR", "high": "1e5"}) == Uniform(20_000.0, 1e5)
    assert parse({"dist": "normal", "mean": "100", "sd": "10"}) == Normal(100.0, 10.0)
    assert parse({"dist": "lognormal", "median": "2.6B", "sigma": 0.25}) == LogNormal(2.6e9, 0.25)
    # Names are matched without regard to case or surrounding space.
    assert parse({"dist": " Uniform", "low": 1, "high": 2}) == Uniform(1.0, 2.0)


def test_low_above_high_names_the_field_and_both_values() -> None:
    error = refusal({"dist": "uniform", "low": "35k", "high": "30k"})
    assert error.path == f"{PATH}.low"
    assert error.message == "must not exceed high (30000) (got '35k')"
    assert str(error) == f"{PATH}.low: must not exceed high (30000) (got '35k')"


def test_negative_sd_is_refused() -> None:
    error = refusal({"dist": "normal", "mean": 100, "sd": -5})
    assert str(error) == f"{PATH}.sd: must be zero or more (got -5)"


def test_unknown_distribution_lists_the_known_ones() -> None:
    error = refusal({"dist": "triangle", "low": 1, "mode": 2, "high": 3})
    assert error.path == f"{PATH}.dist"
    assert "unknown distribution: use triangular, uniform, normal or lognormal" in error.message
    assert "did you mean 'triangular'?" in error.message
    assert error.message.endswith("(got 'triangle')")
    assert set(DISTRIBUTIONS) == {"triangular", "uniform", "normal", "lognormal"}


def test_missing_key_names_it_and_what_the_distribution_takes() -> None:
    error = refusal({"dist": "triangular", "low": 1, "high": 3})
    assert str(error) == (
        f"{PATH}.mode: is missing (a triangular distribution takes dist, low, mode and high)"
    )


def test_missing_dist_is_refused() -> None:
    error = refusal({"low": 1, "high": 3})
    assert error.path == f"{PATH}.dist"
    assert "is missing" in error.message and "uniform" in error.message


def test_unknown_key_suggests_the_near_one() -> None:
    error = refusal({"dist": "normal", "mean": 100, "stdev": 10, "sd": 10})
    assert error.path == f"{PATH}.stdev"
    assert error.message.startswith("unknown key")
    assert "(a normal distribution takes dist, mean and sd)" in error.message


def test_mode_outside_the_range_is_refused() -> None:
    error = refusal({"dist": "triangular", "low": "20k", "mode": "35k", "high": "30k"})
    assert str(error) == f"{PATH}.mode: must lie between low (20000) and high (30000) (got '35k')"


def test_non_numeric_value_reads_as_the_amount_grammar_does() -> None:
    error = refusal({"dist": "uniform", "low": "lots", "high": 3})
    assert error.path == f"{PATH}.low"
    assert error.message == "expected an amount such as 2.6B, 100,000 PKR or 1e9 (got 'lots')"


def test_a_convert_without_the_grammar_still_gives_the_field() -> None:
    with pytest.raises(DistributionError) as info:
        parse_distribution({"dist": "uniform", "low": "abc", "high": 3}, PATH, float)
    assert str(info.value) == (
        f"{PATH}.low: expected an amount such as 25k, 1e9 or 100,000 PKR (got 'abc')"
    )


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (
            {"dist": "lognormal", "median": 0, "sigma": 0.2},
            "median",
            "must be greater than 0 (got 0)",
        ),
        (
            {"dist": "lognormal", "median": 5, "sigma": -0.2},
            "sigma",
            "must be zero or more (got -0.2)",
        ),
        (
            {"dist": "normal", "mean": -1, "sd": 1},
            "mean",
            "must be zero or more: the normal is truncated at 0 (got -1)",
        ),
        (
            {"dist": "normal", "mean": True, "sd": 1},
            "mean",
            "expected an amount such as 2.6B, 100,000 PKR or 1e9, not true/false "
            "(YAML reads yes, no, on and off as true/false) (got true)",
        ),
        # sigma is a spread of log(x): a currency on it means nothing.
        (
            {"dist": "lognormal", "median": 5, "sigma": "0.2 USD"},
            "sigma",
            "a unit count takes no currency: write 0.2 (got '0.2 USD')",
        ),
        (
            {"dist": "uniform", "low": "inf", "high": 3},
            "low",
            "must be a finite number (got 'inf')",
        ),
    ],
)
def test_other_refusals(raw: dict[str, Any], field: str, message: str) -> None:
    error = refusal(raw)
    assert (error.path, error.message) == (f"{PATH}.{field}", message)


def test_a_non_mapping_is_refused_at_the_parameter() -> None:
    error = refusal(["uniform", 1, 2])
    assert error.path == PATH
    assert "expected a number or a mapping such as {dist: triangular, ...}" in error.message


def test_hand_built_distributions_are_checked_too() -> None:
    with pytest.raises(DistributionError, match=r"^low: must not exceed high"):
        Triangular(3.0, 2.0, 1.0)
    with pytest.raises(DistributionError, match=r"^sd: must be zero or more"):
        Normal(1.0, -1.0)
    with pytest.raises(DistributionError, match=r"^high: expected a finite number"):
        Uniform(0.0, math.nan)


def test_errors_survive_pickling_to_a_worker() -> None:
    error = refusal({"dist": "normal", "mean": 1, "sd": -1})
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.message, str(again)) == (error.path, error.message, str(error))
    pair = pickle.loads(pickle.dumps(CorrelationError(("a", "b"), "why")))
    assert (pair.pair, str(pair)) == (("a", "b"), "correlation a ~ b: why")


# ---------------------------------------------------------------------------
# Point values


def test_point_values() -> None:
    assert point_value(Triangular(20.0, 22.0, 40.0)) == 22.0  # the mode, not the mean
    assert point_value(Uniform(10.0, 30.0)) == 20.0
    assert point_value(LogNormal(50.0, 0.4)) == pytest.approx(50.0 * math.exp(0.08), rel=1e-15)
    assert point_value(Normal(7.0, 0.0)) == 7.0


@pytest.mark.parametrize(("mean", "sd"), [(1.0, 2.0), (0.0, 3.0), (100.0, 10.0)])
def test_truncated_normal_point_value_is_its_mean(mean: float, sd: float) -> None:
    b = mean / sd
    closed = mean + sd * stats.norm.pdf(b) / stats.norm.cdf(b)
    assert point_value(Normal(mean, sd)) == pytest.approx(closed, rel=1e-13)
    reference = stats.truncnorm(-b, np.inf, loc=mean, scale=sd).mean()
    assert point_value(Normal(mean, sd)) == pytest.approx(reference, rel=1e-10)


# ---------------------------------------------------------------------------
# Sampled moments and shapes against scipy's closed forms

N = 200_000

CASES: dict[str, tuple[Distribution, Any]] = {
    "triangular": (Triangular(2.0, 3.0, 7.0), stats.triang(0.2, loc=2.0, scale=5.0)),
    "right-angled triangular": (Triangular(2.0, 2.0, 7.0), stats.triang(0.0, loc=2.0, scale=5.0)),
    "uniform": (Uniform(-1.0, 3.0), stats.uniform(loc=-1.0, scale=4.0)),
    "normal": (Normal(100.0, 10.0), stats.norm(100.0, 10.0)),
    "heavily truncated normal": (Normal(1.0, 2.0), stats.truncnorm(-0.5, np.inf, 1.0, 2.0)),
    "lognormal": (LogNormal(50.0, 0.4), stats.lognorm(0.4, scale=50.0)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sample_moments(case: str) -> None:
    dist, ref = CASES[case]
    x = sample({"x": dist}, N, seed=7)["x"]
    mean, var, _, kurt = (float(v) for v in ref.stats(moments="mvsk"))
    mu4 = (kurt + 3.0) * var * var
    assert abs(x.mean() - mean) < 4 * math.sqrt(var / N)
    assert abs(x.var() - var) < 4 * math.sqrt((mu4 - var * var) / N)
    lo, hi = ref.support()
    assert lo <= x.min() and x.max() <= hi


@pytest.mark.parametrize("case", list(CASES))
def test_draws_are_the_inverse_cdf_of_the_copula_uniforms(case: str) -> None:
    # Same seed and name, so the same copula normal drives both draws: the
    # whole shape is right when the reference CDF maps each draw back to it.
    dist, ref = CASES[case]
    x = sample({"x": dist}, 20_000, seed=7)["x"]
    u = sample({"x": Uniform(0.0, 1.0)}, 20_000, seed=7)["x"]
    np.testing.assert_allclose(ref.cdf(x), u, rtol=0, atol=1e-9)


def test_copula_uniforms_are_uniform() -> None:
    u = sample({"x": Uniform(0.0, 1.0)}, N, seed=1)["x"]
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_truncated_normal_is_never_negative_and_has_the_closed_form_mean() -> None:
    mean, sd = 1.0, 2.0
    x = sample({"x": Normal(mean, sd)}, N, seed=11)["x"]
    assert x.min() >= 0.0
    b = mean / sd
    ratio = stats.norm.pdf(b) / stats.norm.cdf(b)
    closed_mean = mean + sd * ratio
    closed_var = sd * sd * (1.0 - b * ratio - ratio * ratio)
    assert abs(x.mean() - closed_mean) < 4 * math.sqrt(closed_var / N)
    assert abs(x.mean() - point_value(Normal(mean, sd))) < 4 * math.sqrt(closed_var / N)


def test_lognormal_median() -> None:
    median, sigma = 50.0, 0.4
    x = sample({"x": LogNormal(median, sigma)}, N, seed=3)["x"]
    # Standard error of a sample median: 1 / (2 f(median) sqrt(N)).
    density = 1.0 / (median * sigma * math.sqrt(2.0 * math.pi))
    assert abs(np.median(x) - median) < 4 / (2.0 * density * math.sqrt(N))


def test_degenerate_distributions_are_constant() -> None:
    draws = sample(
        {"t": Triangular(5.0, 5.0, 5.0), "u": Uniform(3.0, 3.0), "n": Normal(7.0, 0.0),
         "l": LogNormal(4.0, 0.0)},
        100, seed=1,
    )
    assert {k: set(v.tolist()) for k, v in draws.items()} == {
        "l": {4.0}, "n": {7.0}, "t": {5.0}, "u": {3.0}
    }


def test_probability_of_a_normal_yield_matches_the_closed_form() -> None:
    x = sample({"yield": Normal(100.0, 10.0)}, N, seed=2024)["yield"]
    assert abs((x >= 110.0).mean() - 0.158655) < 0.005


# ---------------------------------------------------------------------------
# Correlations


def spearman_target(rho: float) -> float:
    return 6.0 / math.pi * math.asin(rho / 2.0)


@pytest.mark.parametrize(
    ("a", "b", "rho"),
    [
        (Uniform(0.0, 1.0), Uniform(10.0, 20.0), 0.6),
        (Normal(100.0, 10.0), Normal(5.0, 4.0), -0.5),
        (Triangular(1.0, 2.0, 5.0), LogNormal(3.0, 0.8), 0.85),
    ],
)
def test_correlations_are_recovered(a: Distribution, b: Distribution, rho: float) -> None:
    draws = sample({"a": a, "b": b}, 100_000, seed=5, correlations={("b", "a"): rho})
    observed = stats.spearmanr(draws["a"], draws["b"]).statistic
    assert abs(observed - spearman_target(rho)) < 0.02


def test_untruncated_normals_keep_the_pearson_correlation() -> None:
    draws = sample(
        {"a": Normal(100.0, 10.0), "b": Normal(50.0, 5.0)}, 100_000, seed=9,
        correlations={("a", "b"): 0.7},
    )
    assert abs(np.corrcoef(draws["a"], draws["b"])[0, 1] - 0.7) < 0.01


def test_perfect_correlation_is_allowed() -> None:
    draws = sample(
        {"a": Uniform(0.0, 1.0), "b": LogNormal(1.0, 0.5), "c": Uniform(0.0, 1.0)}, 10_000,
        seed=1, correlations={("a", "b"): 1.0, ("a", "c"): -1.0, ("b", "c"): -1.0},
    )
    assert stats.spearmanr(draws["a"], draws["b"]).statistic == pytest.approx(1.0)
    np.testing.assert_allclose(draws["a"] + draws["c"], 1.0, atol=1e-12)


def test_correlations_leave_other_parameters_alone() -> None:
    dists = {"a": Uniform(0.0, 1.0), "b": Uniform(0.0, 1.0), "m": Normal(10.0, 1.0)}
    plain = sample(dists, 1_000, seed=4)
    linked = sample(dists, 1_000, seed=4, correlations={("a", "b"): 0.5})
    assert np.array_equal(plain["m"], linked["m"])
    assert np.array_equal(plain["a"], linked["a"])  # first in the Cholesky order
    assert not np.array_equal(plain["b"], linked["b"])


def test_a_non_psd_matrix_names_the_pair() -> None:
    dists = {name: Uniform(0.0, 1.0) for name in "abc"}
    corr = {("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9}
    with pytest.raises(CorrelationError) as info:
        sample(dists, 10, seed=1, correlations=corr)
    assert info.value.pair == ("a", "c")
    assert str(info.value) == (
        "correlation a ~ c: -0.9 is inconsistent with a ~ b = 0.9: the correlation matrix is "
        "not positive semi-definite (pairs not listed count as 0)"
    )


@pytest.mark.parametrize(
    ("corr", "pair", "text"),
    [
        ({("a", "z"): 0.5}, ("a", "z"), "'z' is not an uncertain parameter"),
        ({("a", "a"): 0.5}, ("a", "a"), "cannot be correlated with itself"),
        ({("a", "b"): 1.5}, ("a", "b"), "must be a number in [-1, 1] (got 1.5)"),
        ({("a", "b"): 0.5, ("b", "a"): 0.4}, ("b", "a"), "given twice with different values"),
    ],
)
def test_unusable_correlations_name_the_pair(
    corr: dict[tuple[str, str], float], pair: tuple[str, str], text: str
) -> None:
    with pytest.raises(CorrelationError) as info:
        sample({"a": Uniform(0.0, 1.0), "b": Uniform(0.0, 1.0)}, 10, seed=1, correlations=corr)
    assert info.value.pair == pair
    assert text in str(info.value)


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (10, -1), (True, 1), (10, 1.5)])
def test_bad_sample_arguments(n: Any, seed: Any) -> None:
    with pytest.raises(ValueError):
        sample({"a": Uniform(0.0, 1.0)}, n, seed)


# ---------------------------------------------------------------------------
# Reproducibility

MIXED: dict[str, Distribution] = {
    "yield": Normal(30_000.0, 6_000.0),
    # Mostly drawn as mean + sd z, truncated only where that could matter.
    "price": Normal(100.0, 10.0),
    "cost": Triangular(20_000.0, 25_000.0, 40_000.0),
    "rate": LogNormal(280.0, 0.05),
    "uptake": Uniform(0.2, 0.6),
}
MIXED_CORR = {("cost", "yield"): 0.4, ("rate", "uptake"): -0.3}


def test_same_seed_same_arrays_different_seed_different_arrays() -> None:
    first = sample(MIXED, 5_000, seed=42, correlations=MIXED_CORR)
    again = sample(MIXED, 5_000, seed=42, correlations=MIXED_CORR)
    other = sample(MIXED, 5_000, seed=43, correlations=MIXED_CORR)
    assert list(first) == sorted(MIXED)
    for name in MIXED:
        assert np.array_equal(first[name], again[name])
        assert not np.any(first[name] == other[name])


def test_order_size_and_neighbours_do_not_change_a_parameters_draws() -> None:
    base = sample(MIXED, 5_000, seed=42, correlations=MIXED_CORR)
    reordered = sample(dict(reversed(MIXED.items())), 5_000, seed=42, correlations=MIXED_CORR)
    shorter = sample(MIXED, 1_000, seed=42, correlations=MIXED_CORR)
    # "aaa" sorts first: in a single shared stream it would shift everyone.
    grown = sample({**MIXED, "aaa": Uniform(0.0, 1.0)}, 5_000, seed=42, correlations=MIXED_CORR)
    for name in MIXED:
        assert np.array_equal(base[name], reordered[name])
        assert np.array_equal(base[name][:1_000], shorter[name])
        assert np.array_equal(base[name], grown[name])


def test_another_process_draws_the_same_bytes() -> None:
    code = (
        "from optimizer.scenario.uncertainty import (LogNormal, Normal, Triangular, Uniform,\n"
        "    sample)\n"
        f"d = sample({MIXED!r}, 2_000, seed=42, correlations={MIXED_CORR!r})\n"
        "print(' '.join(f'{k}:{v.tobytes().hex()}' for k, v in d.items()))\n"
    )
    # A different hash salt too: nothing may depend on str hashing.
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    here = sample(MIXED, 2_000, seed=42, correlations=MIXED_CORR)
    there = dict(item.split(":") for item in run.stdout.split())
    assert there == {k: v.tobytes().hex() for k, v in here.items()}
