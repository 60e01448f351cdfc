"""Property: on random valid scenarios the engine and the scipy reference agree.

Scenarios are drawn as plain dicts (1-5 levers; integer, fixed-cost,
semi-continuous and cost-recovering levers; an optional ceiling; 0-2 linking
constraints over units, spend() and exports()), written as YAML and loaded
through the real loader, so the engine sees exactly what a planner's file gives
it. Magnitudes stay realistic: costs and yields 1..1e6, caps 1..1e6 units.

Both solvers must agree on the status and, when optimal, on total cost (and,
for max_exports, on lever exports) to 1e-6 relative of max(1, |value|): the
spec's own answer, min_cost or the cheapest plan within 1e-6 of the most
exports. A failure message carries the engine's plan as judged by
``tests.reference.evaluate`` (its cost, exports and any broken row), so it
says at once which solver is wrong.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.engine import solve_scenario
from optimizer.results import Result
from optimizer.scenario import load_scenario
from tests.reference import RefResult, evaluate, reference_solve

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
    ref = reference_solve(loadout.scenario)
    frame = engine.allocation
    units = {str(k): float(v) for k, v in zip(frame["lever"], frame["units"], strict=True)}
    judged = ""
    if units:
        cost, exports, broken = evaluate(loadout.scenario, units)
        judged = (f"engine plan {units}: cost {cost!r}, exports {exports!r}, "
                  f"broken {broken}; reference plan {ref.units}")
    return engine, ref, judged


def check(data: dict[str, Any]) -> None:
    engine, ref, judged = solve_both(data)
    assert engine.status == ref.status, (engine.status, ref.status, engine.message)
    if ref.status != "optimal":
        return
    if data["objective"] == "min_cost":
        assert close(engine.total_cost, ref.total_cost), (
            engine.total_cost, ref.total_cost, judged)
        return
    # max_exports: the spec lets the second stage give up 1e-6 of the most
    # exports, and each solver meets that row only to its own tolerance, so
    # exports and cost agree to 2e-5 (the issue asks 1e-4 of others), not 1e-6.
    assert close(engine.lever_exports, ref.lever_exports, 20 * REL), (
        engine.lever_exports, ref.lever_exports, judged)
    assert close(engine.total_cost, ref.total_cost, 20 * REL), (
        engine.total_cost, ref.total_cost, judged)


@settings(report_multiple_bugs=False)
@given(scenarios("min_cost"))
def test_min_cost_agrees_with_reference(data: dict[str, Any]) -> None:
    check(data)


@settings(report_multiple_bugs=False)
@given(scenarios("max_exports"))
def test_max_exports_agrees_with_reference(data: dict[str, Any]) -> None:
    check(data)
