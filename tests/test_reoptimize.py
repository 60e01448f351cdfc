"""Re-optimising under each sample: in one process, in worker processes, on Dask."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from optimizer.analyses.reoptimize import reoptimize
from optimizer.errors import UsageError
from optimizer.results.reoptimized import Reoptimized
from optimizer.scenario import Loadout, load_scenario
from optimizer.scenario.uncertain_fields import scenario_draws, with_values
from optimizer.solving.engine import solve_scenario
from tests.scenarios import UNCERTAIN

ROOT = Path(__file__).resolve().parents[1]
THREE_YEAR = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
Write = Callable[..., Path]


# two capped levers whose yields are uncertain: an LP with a closed-form optimum,
# out of reach whenever 30 a + 20 b < 100
TWO_LEVERS = """
    name: two uncertain yields
    target: {exports: 100}
    levers:
      a: {unit_cost: 1, yield_per_unit: {dist: uniform, low: 1, high: 3}, max_units: 30}
      b: {unit_cost: 2, yield_per_unit: {dist: uniform, low: 1, high: 3}, max_units: 20}
    uncertainty: {samples: 40, seed: 11}
"""
CAPS = {"a": (1.0, 30.0), "b": (2.0, 20.0)}  # unit cost, max units
TARGET = 100.0


@pytest.fixture
def uncertain(scenario_file: Write) -> Loadout:
    return load_scenario(scenario_file(UNCERTAIN))


@pytest.fixture
def two_levers(scenario_file: Write) -> Loadout:
    return load_scenario(scenario_file(TWO_LEVERS, "two.yaml"))


def _closed_form(yields: dict[str, float]) -> tuple[float, dict[str, float]] | None:
    """The cheapest plan: the lever with the lower cost per export first, up to its cap."""
    left, spend = TARGET, {}
    for lid in sorted(CAPS, key=lambda k: CAPS[k][0] / yields[k]):
        cost, cap = CAPS[lid]
        units = min(cap, left / yields[lid])
        spend[lid] = units * cost
        left -= units * yields[lid]
    if left > 1e-9 * TARGET:
        return None
    total = sum(spend.values())
    return total, {lid: v / total for lid, v in spend.items()}


def _same(a: Reoptimized, b: Reoptimized) -> None:
    assert a.costs == b.costs
    assert a.shares == b.shares
    assert a.statuses == b.statuses


# (a) reproducible from the seed, whatever the number of workers

def test_same_seed_same_answers_and_another_seed_others(uncertain: Loadout) -> None:
    first = reoptimize(uncertain, samples=20)
    again = reoptimize(uncertain, samples=20)
    _same(first, again)
    assert (first.samples, first.seed) == (20, 7)  # the file's seed by default
    assert all(status == "optimal" for status in first.statuses)
    assert len(set(first.costs)) == 20  # the samples differ
    assert reoptimize(uncertain, samples=20, seed=8).costs != first.costs
    # a sample's answer does not depend on how many were drawn after it
    assert reoptimize(uncertain, samples=5).costs == first.costs[:5]
    shares = first.shares
    assert list(shares) == ["a", "b"]
    assert all(math.isclose(a + b, 1.0) for a, b in zip(shares["a"], shares["b"], strict=True))


def test_two_worker_processes_give_the_same_tuples_as_one(uncertain: Loadout) -> None:
    seen: list[int] = []
    # 60 samples: three blocks (optimizer.analyses.reoptimize.BLOCK), so two workers share them
    one = reoptimize(uncertain, samples=60)
    two = reoptimize(uncertain, samples=60, workers=2, progress=seen.append)
    _same(one, two)
    assert seen == sorted(seen) and seen[-1] == 60 and len(seen) > 1
    assert two.build_seconds > 0 and two.solve_seconds > 0 and two.solves_per_second > 0


# (b) each sampled optimum is an independent solve of that sample

def test_each_optimum_is_an_independent_solve_of_its_sample(uncertain: Loadout) -> None:
    got = reoptimize(uncertain, samples=6, seed=3)
    draws = scenario_draws(uncertain.scenario, 6, 3)
    for i in (0, 2, 5):
        sample = {path: float(values[i]) for path, values in draws.items()}
        alone = solve_scenario(Loadout(with_values(uncertain.scenario, sample),
                                       uncertain.file, uncertain.sha256))
        assert alone.status == got.statuses[i] == "optimal"
        # warm (rebased) or cold, the same optimum
        assert got.costs[i] == pytest.approx(alone.discounted_cost, rel=1e-9)
        spend = {row.lever: row.spend for row in alone.rows}
        for lid in ("a", "b"):
            assert got.shares[lid][i] == pytest.approx(spend[lid] / sum(spend.values()))


def test_three_year_mip_samples_match_independent_solves() -> None:
    loadout = load_scenario(THREE_YEAR, [
        ("levers.it_workforce.yield_per_unit",
         {"dist": "triangular", "low": 20_000, "mode": 25_000, "high": 30_000}),
        ("levers.startup_fund.yield_per_unit",
         {"dist": "triangular", "low": 3.2, "mode": 4, "high": 4.8}),
    ])
    got = reoptimize(loadout, samples=3, seed=5)
    draws = scenario_draws(loadout.scenario, 3, 5)
    for i in range(3):
        sample = {path: float(values[i]) for path, values in draws.items()}
        alone = solve_scenario(Loadout(with_values(loadout.scenario, sample),
                                       loadout.file, loadout.sha256))
        assert (got.statuses[i], got.costs[i]) == (alone.status, alone.discounted_cost)


def test_lp_optima_match_the_closed_form(two_levers: Loadout) -> None:
    got = reoptimize(two_levers)
    draws = scenario_draws(two_levers.scenario)
    checked = 0
    for i in range(got.samples):
        yields = {lid: float(draws[f"levers.{lid}.yield_per_unit"][i]) for lid in CAPS}
        reach = sum(CAPS[lid][1] * yields[lid] for lid in CAPS)
        if abs(reach - TARGET) < 1e-6 * TARGET:
            continue  # on the edge of reach: either verdict is within tolerance
        expected = _closed_form(yields)
        if expected is None:
            continue  # (d) checks these
        cost, shares = expected
        assert got.statuses[i] == "optimal"
        assert got.costs[i] == pytest.approx(cost, rel=1e-7)
        for lid in CAPS:
            assert got.shares[lid][i] == pytest.approx(shares[lid], abs=1e-7)
        checked += 1
    assert checked >= 10


# (d) samples out of reach

def test_infeasible_samples_are_none_with_status_infeasible(two_levers: Loadout) -> None:
    got = reoptimize(two_levers)
    draws = scenario_draws(two_levers.scenario)
    out_of_reach = 0
    for i in range(got.samples):
        reach = sum(CAPS[lid][1] * float(draws[f"levers.{lid}.yield_per_unit"][i])
                    for lid in CAPS)
        if reach < TARGET * (1 - 1e-6):
            assert got.statuses[i] == "infeasible"
            assert got.costs[i] is None
            assert all(got.shares[lid][i] == 0.0 for lid in CAPS)
            out_of_reach += 1
        elif reach > TARGET * (1 + 1e-6):
            assert got.statuses[i] == "optimal" and got.costs[i] is not None
    assert 0 < out_of_reach < got.samples
    assert got.errors == {}


def test_a_sample_the_engine_cannot_solve_is_an_error_not_the_end(
    uncertain: Loadout, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from optimizer.errors import SolverError
    from optimizer.solving import engine

    solve, calls = engine.Session.solve, []

    def failing(self: engine.Session, *args: object, **kw: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise SolverError("HiGHS ended with kSolveError: no plan to show")
        return solve(self, *args, **kw)

    monkeypatch.setattr(engine.Session, "solve", failing)
    got = reoptimize(uncertain, samples=3)
    assert got.statuses == ("optimal", "error", "optimal")
    assert got.costs[1] is None and got.costs[0] is not None
    assert got.errors == {1: "SolverError: HiGHS ended with kSolveError: no plan to show"}


# (e) usage errors

def test_a_scenario_without_distributions_is_refused_naming_the_file(
    scenario_file: Write,
) -> None:
    path = scenario_file("""
        name: certain
        target: {exports: 100}
        levers:
          a: {unit_cost: 1, yield_per_unit: 2}
    """, "certain.yaml")
    with pytest.raises(UsageError, match=r"certain\.yaml: no parameter is written as a "
                                         r"distribution"):
        reoptimize(load_scenario(path))


def test_bad_arguments_are_usage_errors(uncertain: Loadout) -> None:
    with pytest.raises(UsageError, match="samples"):
        reoptimize(uncertain, samples=0)
    with pytest.raises(UsageError, match="not both"):
        reoptimize(uncertain, workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(UsageError, match="workers"):
        reoptimize(uncertain, workers=0)


def test_without_dask_the_scheduler_asks_for_the_extra(
    uncertain: Loadout, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(UsageError, match=r"pip install \.\[distributed\]"):
        reoptimize(uncertain, samples=2, scheduler="tcp://127.0.0.1:1")


# (c) a Dask cluster on loopback gives the same numbers as one process

@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address="127.0.0.1:0")
    try:
        yield local
    finally:
        local.close()


def test_a_local_dask_cluster_gives_the_same_numbers_as_one_process(
    cluster: object, uncertain: Loadout, two_levers: Loadout,
) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    assert address.startswith("tcp://127.0.0.1:")
    for loadout, n in ((uncertain, 30), (two_levers, None)):
        seen: list[int] = []
        here = reoptimize(loadout, samples=n)
        there = reoptimize(loadout, samples=n, scheduler=address, progress=seen.append)
        _same(here, there)
        assert seen[-1] == here.samples and seen == sorted(seen)
    assert "infeasible" in there.statuses  # the two-lever file has samples out of reach
