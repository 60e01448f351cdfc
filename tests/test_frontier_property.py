"""Property: the exact frontier is the independent solver's curve, whole, with no gap.

Random small LP scenarios (1-4 continuous levers with caps, floors (min_units,
min_spend), a linking row, a baseline the target counts or not, a ceiling or
not, sometimes two periods with lags, attrition and discounting) swept over a
range that starts where no plan fits a ceiling or where the target is slack,
and ends past the most exports any plan reaches. Every breakpoint ``optimize
sweep --exact`` gives must lie on the curve that ``tests.reference``
(scipy.optimize.milp, built from the schema objects alone) solves at that
point; the straight line between two consecutive breakpoints must meet scipy's
value at their midpoint (a corner missed inside a segment puts a convex curve
strictly below its chord there, so a midpoint finds it); the frontier must
cover the range up to where scipy says no plan exists, and end or start there.
"""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import optimizer
from optimizer.analyses.sweep import exact_frontier
from optimizer.results import Breakpoint, Kind, Sweep
from optimizer.scenario.schema import Scenario
from tests.reference import RefResult, reference_solve

NAMES = ["a", "b", "c", "d"]
REL = 1e-6
Draw = Any


def nice(draw: Draw, low: float, high: float) -> float:
    """Log-uniform in [low, high], to 3 significant digits."""
    value = 10 ** draw(st.floats(math.log10(low), math.log10(high)))
    return min(max(float(f"{value:.3g}"), low), high)


@st.composite
def cases(draw: Draw) -> tuple[dict[str, Any], Kind, float, float]:
    kind: Kind = draw(st.sampled_from(["ceilings", "targets"]))
    ids = NAMES[: draw(st.integers(1, 4))]
    levers: dict[str, dict[str, Any]] = {}
    for lid in ids:
        cap = nice(draw, 1, 100)
        lever: dict[str, Any] = {"unit_cost": nice(draw, 0.5, 50),
                                 "yield_per_unit": nice(draw, 0.5, 50), "max_units": cap}
        floor = draw(st.integers(0, 3))
        if floor == 1:
            lever["min_units"] = float(f"{cap * draw(st.floats(0.05, 0.6)):.3g}")
        elif floor == 2:
            spend = cap * lever["unit_cost"] * draw(st.floats(0.05, 0.5))
            lever["min_spend"] = float(f"{spend:.3g}")
        levers[lid] = lever
    most = sum(lv["max_units"] * lv["yield_per_unit"] for lv in levers.values())
    dearest = sum(lv["max_units"] * lv["unit_cost"] for lv in levers.values())
    baseline = draw(st.sampled_from([0.0, float(f"{most * 0.3:.3g}")]))
    data: dict[str, Any] = {
        "name": "frontier property",
        "target": {"exports": float(f"{most * 0.5:.3g}"), "baseline": baseline,
                   "includes_baseline": draw(st.booleans())},
        "levers": levers,
    }
    if draw(st.integers(0, 3)) == 0:
        # two periods, spend discounted, a lever maybe exporting a period late, some
        # attrition: the least cost is the discounted one, the target the last period's
        data["periods"] = [2025, 2026]
        data["discount_rate"] = draw(st.sampled_from([0.0, 0.1]))
        for lever in levers.values():
            lever["lag"] = draw(st.integers(0, 1))
            lever["attrition"] = draw(st.sampled_from([0.0, 0.2]))
    if len(ids) > 1 and draw(st.booleans()):
        data["constraints"] = [{"expr": f"{ids[1]} <= {draw(st.sampled_from(['0.5', '2']))}"
                                        f" * {ids[0]} + 5"}]
    if kind == "targets":
        if draw(st.booleans()):  # a ceiling the target sweep keeps
            data["budget"] = {"ceiling": float(f"{dearest * draw(st.floats(0.3, 1.2)):.3g}")}
        shift = baseline if data["target"]["includes_baseline"] else 0.0
        # from well inside the slack stretch (or 0) to past the most reachable
        low = shift + most * draw(st.sampled_from([0.0, 0.02, 0.1, 0.3]))
        high = shift + most * draw(st.floats(0.6, 1.5))
    else:
        # from 0 or a little (below what the floors need) to past what buys everything
        low = dearest * draw(st.sampled_from([0.0, 0.01, 0.05, 0.2]))
        high = dearest * draw(st.floats(0.5, 1.5))
    return data, kind, float(f"{low:.4g}"), float(f"{high:.4g}")


def at(s: Scenario, kind: Kind, x: float) -> Scenario:
    """The scenario at one point of the sweep, built here (not by the engine)."""
    if kind == "ceilings":
        return s.model_copy(update={
            "objective": "max_exports",
            "budget": s.budget.model_copy(update={"ceiling": x})})
    return s.model_copy(update={
        "objective": "min_cost", "target": s.target.model_copy(update={"exports": x})})


def curve(s: Scenario, kind: Kind, x: float) -> float | None:
    """scipy's frontier at x: the most lever exports (ceilings), the least cost (targets)."""
    ref: RefResult = reference_solve(at(s, kind, x))
    if ref.status != "optimal":
        return None
    if kind == "ceilings":
        assert ref.best_exports is not None
        return ref.best_exports
    assert ref.discounted_cost is not None
    return ref.discounted_cost


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= REL * max(1.0, scale)


def on_line(b0: Breakpoint, b1: Breakpoint, x: float) -> float:
    return b0.y + (b1.y - b0.y) * (x - b0.x) / (b1.x - b0.x)


def check(sweep: Sweep, s: Scenario, kind: Kind, low: float, high: float) -> None:
    ends = sweep.frontier
    corners = sweep.breakpoints
    assert ends is not None and corners is not None
    assert ends.gaps == ()
    scale = max([1.0, *(abs(b.y) for b in corners)])
    xscale = max(1.0, abs(high))
    if not corners:
        # no frontier in the range: scipy finds no plan at either end of it
        assert curve(s, kind, low) is None and curve(s, kind, high) is None, ends
        return
    # every breakpoint on scipy's curve; one on the domain's edge (the least ceiling,
    # the highest target) 1e-9 inside it, where the two solvers' tolerances (HiGHS's
    # 1e-7 on a row, the reference's strict re-check) may disagree by an ulp
    edge = corners[0] if kind == "ceilings" else corners[-1]
    for b in corners:
        x = b.x
        if b is edge and len(corners) > 1:
            x += (1 if kind == "ceilings" else -1) * 1e-9 * max(1.0, abs(b.x))
        ref = curve(s, kind, x)
        assert ref is not None, f"no plan at breakpoint {b}"
        assert close(b.y, ref, scale), (b, ref)
    # no gap: the chord between consecutive corners is the curve at its middle
    for b0, b1 in zip(corners, corners[1:], strict=False):
        assert b0.slope_after is not None
        assert b1.x > b0.x
        mid = (b0.x + b1.x) / 2
        ref = curve(s, kind, mid)
        assert ref is not None, f"no plan between {b0} and {b1}"
        assert close(on_line(b0, b1, mid), ref, scale), (b0, b1, mid, ref)
        assert b0.slope_after == pytest.approx((b1.y - b0.y) / (b1.x - b0.x), rel=1e-9,
                                               abs=1e-12)
    assert corners[-1].slope_after is None
    first, last = corners[0].x, corners[-1].x
    step = 1e-5 * xscale
    if kind == "ceilings":
        # the frontier runs to the end of the range and starts where plans start
        assert last == pytest.approx(high, rel=1e-12)
        if first > low * (1 + 1e-9) + 1e-9:
            assert curve(s, kind, first - step) is None, "a plan below the first ceiling"
        else:
            assert first == pytest.approx(low, rel=1e-9, abs=1e-9)
    else:
        assert first == pytest.approx(low, rel=1e-9, abs=1e-9)
        if last < high * (1 - 1e-9):
            assert curve(s, kind, last + step) is None, "a plan above the last target"
            assert ends.reach == pytest.approx(last, rel=1e-9)
        else:
            assert last == pytest.approx(high, rel=1e-12)
    # the flat stretch named is flat on scipy's curve too
    if ends.flat is not None and ends.flat_value is not None:
        probe = (first + ends.flat) / 2 if kind == "targets" else (ends.flat + last) / 2
        ref = curve(s, kind, probe)
        assert ref is not None and close(ref, ends.flat_value, scale)


@settings(max_examples=int(os.environ.get("FRONTIER_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases())
# a range ending on the least ceiling, which HiGHS puts an ulp either side of it
# (1.15 x 0.5 = 0.5750000000000001; 1.15 x 1.58 = 1.8169999999999997): one point there
@example(({"name": "edge", "target": {"exports": 0.5},
           "levers": {"a": {"unit_cost": 1.15, "yield_per_unit": 1.0, "max_units": 1.0,
                            "min_units": 0.5}}}, "ceilings", 0.0, 0.575))
@example(({"name": "edge", "target": {"exports": 1.58},
           "levers": {"a": {"unit_cost": 1.15, "yield_per_unit": 1.0, "max_units": 3.16,
                            "min_units": 1.58}}}, "ceilings", 0.0, 1.817))
def test_exact_frontier_is_the_reference_curve_without_gaps(
        case: tuple[dict[str, Any], Kind, float, float]) -> None:
    data, kind, low, high = case
    loadout = optimizer.load(data)
    sweep = exact_frontier(loadout, kind, [low, high])
    check(sweep, loadout.scenario, kind, low, high)


LP_FILES = ["configs/pakistan_it_exports.yaml", "configs/pakistan_it_exports_3yr.yaml",
            "configs/examples/milestones_discounting.yaml",
            "configs/examples/periods_lag_attrition.yaml",
            "configs/examples/linking_constraints.yaml", "configs/examples/currencies.yaml"]


def as_lp(path: str) -> optimizer.Loadout:
    """The file with whole numbers and use switches taken out (an LP), at its own
    magnitudes: periods, lags, attrition, milestones, discounting, exchange rates."""
    sets: dict[str, Any] = {}
    for lid, lever in optimizer.load(path).scenario.levers.items():
        if lever.integer:
            sets[f"levers.{lid}.integer"] = False
        if lever.fixed_cost:
            sets[f"levers.{lid}.fixed_cost"] = 0
        if lever.min_units_if_used:
            sets[f"levers.{lid}.min_units_if_used"] = None
        for field in ("requires", "excludes"):
            if getattr(lever, field, None):
                sets[f"levers.{lid}.{field}"] = []
    return optimizer.load(path, overrides=sets)


@pytest.mark.parametrize("path", LP_FILES)
@pytest.mark.parametrize("kind", ["targets", "ceilings"])
def test_exact_frontiers_of_the_shipped_files_as_lps_are_the_reference_curve(
        path: str, kind: Kind) -> None:
    """From 0 (slack targets, ceilings below what milestones and floors need) to three
    times the file's target or 5B of ceiling (past the most any plan reaches)."""
    loadout = as_lp(path)
    high = 3 * max(loadout.scenario.target.exports, 1.0) if kind == "targets" else 5e9
    sweep = exact_frontier(loadout, kind, [0.0, high])
    assert sweep.breakpoints and len(sweep.breakpoints) >= 3
    check(sweep, loadout.scenario, kind, 0.0, high)
