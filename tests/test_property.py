"""Property: on random valid scenarios the engine and the scipy reference agree.

Scenarios are drawn as plain dicts (1-5 levers; integer, fixed-cost,
semi-continuous and cost-recovering levers; an optional ceiling; 0-2 linking
constraints over units, spend() and exports()), written as YAML and loaded
through the real loader, so the engine sees exactly what a planner's file gives
it. Magnitudes stay realistic: costs and yields 1..1e6, caps 1..1e6 units.

Both solvers must agree on the status and, when optimal, on total cost (and,
for max_exports, on lever exports) to 1e-6 relative of max(1, |value|): the
spec's own answer, min_cost or the cheapest plan within 1e-9 of the most
exports. A failure message carries the engine's plan as judged by
``tests.reference.evaluate`` (its cost, exports and any broken row), so it
says at once which solver is wrong.

test_periods_agree_with_reference does the same for section 4: 2-4 periods,
1-4 levers with lags, attrition, per-period caps, unit costs by period,
recurring costs, yield curves (3-4 breakpoints, concave or not), fixed costs,
locks and requires/excludes (each lever taking part gets a cap on its units),
milestones, per-period ceilings and a discount rate, under both objectives.
min_cost compares the discounted cost to 1e-6; max_exports the lever exports
and the discounted cost to 2e-5 (see check_periods for a steep cost).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import assume, example, given, reject, settings
from hypothesis import strategies as st

from optimizer.errors import ScenarioError
from optimizer.results import Result
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario
from tests.reference import (
    LEXICOGRAPHIC_TOL,
    ReferenceError,
    RefResult,
    evaluate,
    reference_solve,
)

REL = 1e-6
NAMES = ["alpha", "beta", "gamma", "delta", "eps"]

Draw = Any  # hypothesis' draw function


def nice(draw: Draw, low: float, high: float) -> float:
    """A log-uniform number in [low, high], rounded to 4 significant digits."""
    value = 10 ** draw(st.floats(math.log10(low), math.log10(high)))
    return min(max(float(f"{value:.4g}"), low), high)


def whole(draw: Draw, low: float, high: float) -> int:
    return max(math.ceil(low), min(math.floor(high), round(nice(draw, low, high))))


@st.composite
def levers(draw: Draw) -> dict[str, Any]:
    integer = draw(st.booleans())
    count = whole if integer else nice
    lever: dict[str, Any] = {
        "unit_cost": nice(draw, 1, 1e6),
        "yield_per_unit": nice(draw, 1, 1e6),
        "integer": integer,
    }
    if draw(st.booleans()):
        lever["max_units"] = count(draw, 1, 1e6)
    if draw(st.integers(0, 3)) == 0:  # a fixed cost needs a cap: give it one
        lever["fixed_cost"] = nice(draw, 1, 1e6)
        lever.setdefault("max_units", count(draw, 1, 1e6))
    if draw(st.integers(0, 3)) == 0:
        cap = lever.setdefault("max_units", count(draw, 1, 1e6))
        lever["min_units_if_used"] = count(draw, 1, cap)
    if draw(st.integers(0, 3)) == 0:
        lever["cost_recovery"] = draw(st.sampled_from([0.1, 0.5, 0.75, "90%", "25%"]))
    return lever


def at_caps(lever: dict[str, Any]) -> tuple[float, float]:
    """(exports, gross spend) of a lever at its cap, or at 1,000 units when uncapped."""
    units = lever.get("max_units", 1000)
    spend = lever["unit_cost"] * units + lever.get("fixed_cost", 0)
    return lever["yield_per_unit"] * units, spend


@st.composite
def constraints(draw: Draw, ids: list[str]) -> list[dict[str, str]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.sampled_from(ids))
        b = draw(st.sampled_from([i for i in ids if i != a] or ids))
        k = draw(st.sampled_from(["0.5", "2", "3", "10", "0.1"]))
        r = draw(st.sampled_from(["0", "100", "1,000", "50k", "1M"]))
        kind = draw(st.sampled_from(["units", "spend", "exports", "mixed"]))
        if a == b:
            expr = {
                "units": f"{a} <= {r}",
                "spend": f"spend({a}) <= {r}",
                "exports": f"exports({a}) <= {r}",
                "mixed": f"{a} + spend({a}) <= {r}",
            }[kind]
        else:
            expr = {
                "units": f"{a} <= {k} * {b} + {r}",
                "spend": f"spend({a}) <= {k} * spend({b}) + {r}",
                "exports": f"exports({a}) - {k} * exports({b}) <= {r}",
                "mixed": f"{a} + {k} * {b} >= {r}",
            }[kind]
        out.append({"expr": expr})
    return out


@st.composite
def scenarios(draw: Draw, objective: str) -> dict[str, Any]:
    ids = NAMES[: draw(st.integers(1, 5))]
    lever_map = {lid: draw(levers()) for lid in ids}
    exports_at_caps = sum(at_caps(lv)[0] for lv in lever_map.values())
    spend_at_caps = sum(at_caps(lv)[1] for lv in lever_map.values())
    # 0, or a share of what the levers export at their caps; never a speck such as
    # 6e-6, which sits under both solvers' absolute feasibility tolerance
    share = draw(st.one_of(st.just(0.0), st.floats(1e-3, 1.1)))
    target = float(f"{max(1.0, exports_at_caps * share):.4g}") if share else 0.0
    data: dict[str, Any] = {
        "name": "property",
        "objective": objective,
        "target": {"exports": target},
        "levers": lever_map,
    }
    # max_exports needs a ceiling (which also caps every lever); min_cost may have one
    if objective == "max_exports" or draw(st.booleans()):
        data["budget"] = {"ceiling": float(f"{spend_at_caps * draw(st.floats(0.05, 1.2)):.4g}")}
    cons = draw(constraints(ids))
    if cons:
        data["constraints"] = cons
    return data


def close(a: float | None, b: float | None, rel: float = REL) -> bool:
    """Equal to ``rel`` (1e-6) relative of max(1, |value|)."""
    assert a is not None and b is not None, (a, b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def solve_both(data: dict[str, Any]) -> tuple[Result, RefResult, str]:
    """Engine result, reference result, and the engine's plan as the reference judges it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        loadout = load_scenario(path)
    engine = solve_scenario(loadout)
    try:
        ref = reference_solve(loadout.scenario)
    except ReferenceError:
        # scipy's milp failing ("Solve error") says nothing of the engine: the case
        # is set aside, not passed (hypothesis counts rejections and fails a run
        # that rejects too many)
        reject()
    frame = engine.allocation
    units = {str(k): float(v) for k, v in zip(frame["lever"], frame["units"], strict=True)}
    judged = ""
    if units:
        cost, exports, broken = evaluate(loadout.scenario, units)
        judged = (f"engine plan {units}: cost {cost!r}, exports {exports!r}, "
                  f"broken {broken}; reference plan {ref.units}")
    return engine, ref, judged


def engine_scenario(data: dict[str, Any]) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return load_scenario(path).scenario


def check(data: dict[str, Any]) -> None:
    engine, ref, judged = solve_both(data)
    assert engine.status == ref.status, (engine.status, ref.status, engine.message)
    if ref.status != "optimal":
        return
    if data["objective"] == "min_cost":
        assert close(engine.total_cost, ref.total_cost), (
            engine.total_cost, ref.total_cost, judged)
        return
    # max_exports: the spec lets the second stage give up 1e-9 of the most
    # exports, and each solver meets that row only to its own tolerance, so
    # exports and cost agree to 2e-5 (the issue asks 1e-4 of others), not 1e-6.
    assert close(engine.lever_exports, ref.lever_exports, 20 * REL), (
        engine.lever_exports, ref.lever_exports, judged)
    # the cost is judged at the engine's own exports: a first stage within the MIP
    # gap (1e-7) of the most can leave out a sliver whose cheapest plan costs far
    # more (1 export in 10,000,001 bought for 8,911 more); the reference prices the
    # plan the engine's exports need, as tests/wide.judge does
    # at exactly those exports: cost moves with exports at the ratio of their scales
    # (1 a unit beside 1e8 exports), so a floor 1e-9 lower was 5e-5 cheaper
    s = engine_scenario(data)
    at_its_exports = reference_solve(s, floor=engine.lever_exports)
    if at_its_exports.total_cost is None:  # milp's own tolerance just short of it
        at_its_exports = reference_solve(s, floor=engine.lever_exports * (1 - 1e-12))
    assert at_its_exports.total_cost is not None, judged
    assert close(engine.total_cost, at_its_exports.total_cost, 20 * REL), (
        engine.total_cost, at_its_exports.total_cost, ref.total_cost, judged)


@settings(report_multiple_bugs=False)
@given(scenarios("min_cost"))
def test_min_cost_agrees_with_reference(data: dict[str, Any]) -> None:
    check(data)


@settings(report_multiple_bugs=False)
@given(scenarios("max_exports"))
@example({"name": "property", "objective": "max_exports", "target": {"exports": 0.0},
          "levers": {"alpha": {"unit_cost": 1.0, "yield_per_unit": 100000.0,
                               "integer": False, "max_units": 100.0},
                     "beta": {"unit_cost": 10000.0, "yield_per_unit": 1.0, "integer": False,
                              "fixed_cost": 1.0, "max_units": 1.0, "cost_recovery": 0.1}},
          "budget": {"ceiling": 10100.0}})
@example({"name": "property", "objective": "max_exports", "target": {"exports": 0.0},
          "levers": {"alpha": {"unit_cost": 1.0, "yield_per_unit": 1.0, "integer": False},
                     "beta": {"unit_cost": 1.0, "yield_per_unit": 100000.0, "integer": False,
                              "fixed_cost": 1.0, "max_units": 1000.0,
                              "min_units_if_used": 1.0}},
          "budget": {"ceiling": 2001.0}})
def test_max_exports_agrees_with_reference(data: dict[str, Any]) -> None:
    check(data)


# --- section 4: periods, lags, attrition, curves, lever logic -------------------------

PERIOD_LABELS = [[2024, 2025, 2026, 2027], ["FY24", "FY25", "FY26", "FY27"], [1, 2, 3, 4]]


def curve(draw: Draw) -> list[list[float]]:
    """3-4 breakpoints from [0, 0]: concave (slopes falling, the last maybe
    negative) or not (slopes in any order), magnitudes as a planner's."""
    points = draw(st.integers(3, 4))
    concave = draw(st.booleans())
    units, exports = [0.0], [0.0]
    slope = nice(draw, 1, 1e4)
    for i in range(points - 1):
        width = nice(draw, 1, 1e3)
        if i:
            if concave:
                factor = draw(st.sampled_from([1.0, 0.8, 0.5, 0.1, 0.0, -0.2]))
            else:
                factor = draw(st.sampled_from([0.3, 1.5, 3.0, 10.0, 0.0]))
            slope *= factor
        units.append(float(f"{units[-1] + width:.6g}"))
        exports.append(max(0.0, float(f"{exports[-1] + slope * width:.6g}")))
    return [[u, e] for u, e in zip(units, exports, strict=True)]


@st.composite
def period_levers(draw: Draw, labels: list[Any]) -> dict[str, Any]:
    horizon = len(labels)
    integer = draw(st.booleans())
    count = whole if integer else nice
    lever: dict[str, Any] = {"unit_cost": nice(draw, 1, 1e4), "integer": integer}
    if draw(st.integers(0, 2)) == 0:
        lever["yield_curve"] = curve(draw)
    else:
        lever["yield_per_unit"] = nice(draw, 1, 1e4)
    lag = draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))
    if lag < horizon and lag:
        lever["lag"] = lag
    if draw(st.booleans()):
        lever["attrition"] = draw(st.sampled_from([0.05, 0.1, "25%", 0.5]))
    if draw(st.booleans()):
        lever["max_units"] = count(draw, 1, 1e5)
    if draw(st.integers(0, 2)) == 0:
        lever["max_units_per_period"] = count(draw, 1, 1e4)
    if draw(st.integers(0, 2)) == 0:
        picked = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=2, unique=True))
        lever["unit_cost_by_period"] = {p: nice(draw, 0.5, 2e4) for p in picked}
    if draw(st.integers(0, 2)) == 0:
        lever["recurring_cost"] = float(
            f"{lever['unit_cost'] * draw(st.sampled_from([0.01, 0.1, 0.5])):.4g}")
    if draw(st.integers(0, 3)) == 0:  # a fixed cost needs a cap: give it one
        lever["fixed_cost"] = nice(draw, 1, 1e5)
        lever.setdefault("max_units", count(draw, 1, 1e5))
    if draw(st.integers(0, 4)) == 0:
        cap = lever.setdefault("max_units", count(draw, 1, 1e5))
        lever["min_units_if_used"] = count(draw, 1, cap)
    if draw(st.integers(0, 4)) == 0:
        lever["cost_recovery"] = draw(st.sampled_from([0.5, "90%"]))
    if draw(st.integers(0, 19)) == 7:  # a lock, now and then (7: not an edge hypothesis favours)
        top = lever.get("max_units", 1e4)
        if "max_units_per_period" in lever:
            top = min(top, lever["max_units_per_period"] * horizon)
        least = lever.get("min_units_if_used", 0)
        lever["fixed_units"] = max(least, count(draw, 1, max(1, top)))
        if lever["fixed_units"] > top:
            del lever["fixed_units"]
    return lever


def last_period_reach(lever: dict[str, Any], horizon: int) -> float:
    """Rough most exports a lever gives in the last period (for sizing targets)."""
    if "yield_curve" in lever:
        return max(e for _, e in lever["yield_curve"])
    units = lever.get("max_units", lever.get("max_units_per_period", 1000) * horizon)
    return lever["yield_per_unit"] * units


def rough_spend(lever: dict[str, Any], horizon: int) -> float:
    units = lever.get("max_units", 1000)
    if "yield_curve" in lever:
        units = min(units, lever["yield_curve"][-1][0] * horizon)
    return (lever["unit_cost"] + lever.get("recurring_cost", 0) * horizon) * units + lever.get(
        "fixed_cost", 0)


@st.composite
def period_scenarios(draw: Draw, objective: str) -> dict[str, Any]:
    horizon = draw(st.integers(2, 4))
    labels = draw(st.sampled_from(PERIOD_LABELS))[:horizon]
    ids = NAMES[: draw(st.integers(1, 4))]
    lever_map = {lid: draw(period_levers(labels)) for lid in ids}
    # lever logic: every lever that takes part gets a cap on its units
    if len(ids) > 1:
        for _ in range(draw(st.integers(0, 2))):
            a, b = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
            kind = draw(st.sampled_from(["requires", "excludes"]))
            other = "excludes" if kind == "requires" else "requires"
            if b in lever_map[a].get(other, []) or b in lever_map[a].get(kind, []):
                continue
            lever_map[a].setdefault(kind, []).append(b)
            for lid in (a, b):
                lever_map[lid].setdefault("max_units", whole(draw, 1, 1e5))
    reach = sum(last_period_reach(lv, horizon) for lv in lever_map.values())
    spend = sum(rough_spend(lv, horizon) for lv in lever_map.values())
    share = 0.0 if draw(st.integers(0, 9)) == 7 else draw(st.floats(1e-3, 0.8))
    target = float(f"{max(1.0, reach * share):.4g}") if share else 0.0
    data: dict[str, Any] = {
        "name": "property, periods",
        "periods": labels,
        "objective": objective,
        "target": {"exports": target},
        "levers": lever_map,
    }
    if draw(st.booleans()):
        data["discount_rate"] = draw(st.sampled_from([0.05, 0.1, "8%", 0.3]))
    if draw(st.booleans()) and target:
        early = draw(st.lists(st.sampled_from(labels[:-1]), min_size=1, max_size=2,
                              unique=True))
        data["target"]["milestones"] = {
            p: float(f"{target * draw(st.sampled_from([0.05, 0.2, 0.5])):.4g}") for p in early}
    budget: dict[str, Any] = {}
    if objective == "max_exports" or draw(st.booleans()):
        budget["ceiling"] = float(f"{spend * draw(st.floats(0.05, 1.2)):.4g}")
    if draw(st.integers(0, 2)) == 0:
        picked = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=horizon,
                               unique=True))
        budget["per_period"] = {
            p: float(f"{spend / horizon * draw(st.sampled_from([0.0, 0.1, 0.3, 0.5, 1])):.4g}")
            for p in picked}
    if budget:
        data["budget"] = budget
    cons = draw(constraints(ids)) if draw(st.booleans()) else []
    if cons:
        data["constraints"] = cons
    return data


def check_periods(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        try:
            loadout = load_scenario(path)
        except ScenarioError:
            assume(False)  # a rare draw the validator refuses (e.g. a lock under a floor)
            return
    engine = solve_scenario(loadout)
    ref = reference_solve(loadout.scenario)
    plan = {row.lever: [q.units for q in row.by_period.values()]
            for row in engine.rows}
    judged = ""
    if plan:
        cost, exports, broken = evaluate(loadout.scenario, plan)
        judged = (f"engine plan {plan}: cost {cost!r}, exports {exports!r}, broken {broken}; "
                  f"reference plan {ref.units_by_period}")
    assert engine.status == ref.status, (engine.status, ref.status, engine.message, judged)
    if ref.status != "optimal":
        return
    if data["objective"] == "min_cost":
        assert close(engine.discounted_cost, ref.discounted_cost), (
            engine.discounted_cost, ref.discounted_cost, judged)
        return
    assert close(engine.lever_exports, ref.lever_exports, 20 * REL), (
        engine.lever_exports, ref.lever_exports, judged)
    if close(engine.discounted_cost, ref.discounted_cost, 20 * REL):
        return
    # Where cost is steep in exports (a falling curve, a recurring cost), the
    # few exports each solver's band row gives up to its tolerance can move the
    # cost by more than 2e-5. Then judge the engine's plan on its own exports:
    # inside the spec's band (to 1e-7 of E*, the engine's relative MIP gap on its
    # first stage) and as cheap as the reference can be at those exports.
    assert engine.lever_exports is not None and ref.best_exports is not None
    assert engine.lever_exports >= ref.best_exports * (1 - LEXICOGRAPHIC_TOL - 1e-7), (
        "engine below the band", engine.lever_exports, ref.best_exports, judged)
    at = reference_solve(loadout.scenario, floor=engine.lever_exports)
    assert close(engine.discounted_cost, at.discounted_cost), (
        engine.discounted_cost, at.discounted_cost, ref.discounted_cost, judged)


@settings(report_multiple_bugs=False)
@given(st.sampled_from(["min_cost", "max_exports"]).flatmap(period_scenarios))
def test_periods_agree_with_reference(data: dict[str, Any]) -> None:
    check_periods(data)
