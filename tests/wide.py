"""Wide random scenarios, and a verdict on each: the engine (as the CLI shows it) against
the independent scipy reference (``tests.reference``).

``scenario(rng)`` draws one scenario as plain data from a ``random.Random``;
``case(seed, i)`` is case ``i`` of seed ``seed`` (always the same file, drawn from
``random.Random(f"wide:{seed}:{i}")``), and ``to_yaml`` writes it as a planner would.
Magnitudes are wide on purpose: unit costs and yields 1e-3..1e9, caps 1..1e9 units
(or none), ceilings up to 1e12 (or none), targets 1..1e13, with integer levers
without caps, fixed costs, cost recovery, semi-continuous levers, yield curves
(concave and not), 0, 2 or 3 periods (lag, attrition, per-period caps, unit
costs by period, recurring costs, discounting, milestones, per-period
ceilings), requires/excludes, `constraints:` over units, spend and exports, and
both objectives. Numbers are written as planners write them: plain, `1.5M`,
`2.5e9`, `1,500,000`, now and then in PKR.

``judge(path)`` runs ``optimize --config PATH --format json`` in-process through
click's CliRunner and ``reference_solve`` on the loaded scenario, and returns a
plain dict whose ``class`` is one of CLASSES: ``ACCEPTABLE`` outcomes are fine,
``REFERENCE_DEFECTS`` give no verdict on the engine (the reference failed or is
beaten by a plan that ``evaluate`` confirms), ``BAD`` are the findings against
the engine that a CI run must not have.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

NAMES = ["alpha", "beta", "gamma", "delta", "eps", "zeta"]
REL = 1e-6  # the comparison's floor: 1e-6 relative of max(1, |value|)

CLASSES: dict[str, str] = {
    "agree": "same status and objective (within the engine's gap, at least 1e-6)",
    "engine_worse": "the engine's objective is worse than the reference's beyond its gap",
    "engine_plan_broken": "the engine shows a plan that breaks a limit of the scenario",
    "engine_misreports": "the engine's total_cost or lever_exports differ from its own plan's",
    "reference_suboptimal": "the engine's plan is valid and better than the reference's",
    "feasible_called_infeasible": "engine exit 3; the reference has a plan evaluate confirms",
    "infeasible_called_feasible": "engine exit 0 with a broken plan; the reference: infeasible",
    "reference_missed_plan": "engine exit 0 with a valid plan; the reference: infeasible",
    "reference_plan_broken": "the reference's plan fails evaluate (a reference defect)",
    "reference_target_loose": "the reference's cheaper plan meets the target only within "
                              "its tolerance; asked for 1e-6 more it costs what the engine's "
                              "does (a reference defect)",
    "reference_floor_loose": "max_exports: the reference's cheaper plan at the engine's "
                             "exports reaches them only within its tolerance (short of "
                             "them, or past a cap by 1e-11); asked for 1e-9 more it costs "
                             "what the engine's does (a reference defect)",
    "engine_error": "engine exit 1 (or output that is not the result JSON)",
    "limit_ok": "engine exit 4, its plan's gap covers the reference",
    "limit_gap_miss": "engine exit 4, its plan is worse than its gap allows",
    "limit_no_plan": "engine exit 4 without a plan",
    "range_refused": "engine exit 2: 'outside what the solver represents' (acceptable)",
    "exit2_other": "engine exit 2 on a file the loader accepts, with another message",
    "invalid_scenario": "the generator wrote a file the validator refuses (engine exit 2)",
    "invalid_mismatch": "the validator refuses the file but the engine did not exit 2",
    "reference_error": "the reference raised (no verdict on the engine)",
    "timeout_engine": "past the time budget while the engine ran",
    "timeout_reference": "past the time budget while the reference ran",
    "worker_crashed": "the worker process died (a crash inside a solver)",
}
ACCEPTABLE = frozenset({"agree", "limit_ok", "range_refused", "invalid_scenario"})
REFERENCE_DEFECTS = frozenset({"reference_suboptimal", "reference_missed_plan",
                               "reference_plan_broken", "reference_target_loose",
                               "reference_floor_loose",
                               "reference_error",
                               "timeout_reference"})
"""No verdict on the engine: the reference failed or is wrong (reported, not the engine's)."""
BAD = frozenset(CLASSES) - ACCEPTABLE - REFERENCE_DEFECTS
"""Findings against the engine: a CI run must have none."""


# --- drawing numbers -----------------------------------------------------------------


def sig(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}")


def logu(rng: random.Random, low: float, high: float, digits: int = 3) -> float:
    """Log-uniform in [low, high], rounded to ``digits`` significant digits."""
    value = 10 ** rng.uniform(math.log10(low), math.log10(high))
    return min(max(sig(value, digits), low), high)


def whole(value: float) -> int:
    return max(1, round(value))


SCALES = (("B", 1e9), ("M", 1e6), ("k", 1e3))


def written(rng: random.Random, value: float, money: bool = True) -> float | int | str:
    """``value`` as a planner might write it: plain, with a scale, in e-notation, with
    thousands separators. The parsed value equals ``value`` to round-off."""
    r = rng.random()
    if r < 0.5:
        return int(value) if value == int(value) and abs(value) < 1e15 else value
    if r < 0.75 and value >= 1e3:
        for suffix, scale in SCALES:
            if value >= scale:
                return f"{value / scale:.6g}{suffix}"
    if r < 0.9 or value < 1e3 or value >= 1e15 or value != int(value):
        return f"{value:.6g}".replace("e+", "e").replace("e0", "e").replace("e-0", "e-")
    return f"{int(value):,}"


def count_of(value: float, integer: bool) -> float:
    return float(whole(value)) if integer else value


# --- one scenario --------------------------------------------------------------------


def curve(rng: random.Random, slope: float, span: float) -> list[list[float]]:
    """3-4 breakpoints from [0, 0] spanning ``span`` units: concave or not."""
    points = rng.choice([3, 4])
    concave = rng.random() < 0.5
    shares = [rng.uniform(0.2, 1.0) for _ in range(points - 1)]
    total = sum(shares)
    units, exports = [0.0], [0.0]
    for i, share in enumerate(shares):
        if i:
            factor = rng.choice([1.0, 0.8, 0.5, 0.1, 0.0, -0.2] if concave
                                else [0.3, 1.5, 3.0, 10.0, 0.0])
            slope *= factor
        width = span * share / total
        u = sig(units[-1] + width, 6)
        if u <= units[-1]:
            u = units[-1] + max(width, abs(units[-1]) * 1e-5)
        e = max(0.0, sig(exports[-1] + slope * (u - units[-1]), 6))
        units.append(u)
        exports.append(e)
    return [[u, e] for u, e in zip(units, exports, strict=True)]


def lever(rng: random.Random, labels: list[Any], pkr: bool) -> tuple[dict[str, Any], float]:
    """One lever's fields, and its natural size in units (its cap, or a plausible size)."""
    horizon = len(labels)
    integer = rng.random() < 0.35
    cost = logu(rng, 1e-3, 1e9)
    yld = logu(rng, 1e-3, 1e9)
    size = logu(rng, 1, 1e9)
    size = max(1.0, sig(min(size, 1e14 / yld)))  # at most 1e14 of exports a lever
    size = count_of(size, integer)
    capped = rng.random() < 0.55
    lv: dict[str, Any] = {}
    if pkr and rng.random() < 0.5:
        lv["unit_cost"] = f"{sig(cost * 285.0, 4):.6g} PKR"
    else:
        lv["unit_cost"] = written(rng, cost)
    if rng.random() < 0.2:
        lv["yield_curve"] = curve(rng, yld, size)
    else:
        lv["yield_per_unit"] = written(rng, yld)
    lv["integer"] = integer
    if capped:
        lv["max_units"] = written(rng, size, money=False)
    if rng.random() < 0.2:
        lv["cost_recovery"] = rng.choice([0.1, 0.5, "75%", "90%", 0.99])
    if rng.random() < 0.25:
        if rng.random() < 0.5:
            fixed = sig(cost * size * logu(rng, 1e-3, 1))
        else:
            fixed = logu(rng, 1e-3, 1e9)
        lv["fixed_cost"] = written(rng, max(fixed, 1e-3))
    if rng.random() < 0.2:
        least = count_of(min(size, logu(rng, 1, max(1.0, size))), integer)
        lv["min_units_if_used"] = written(rng, least, money=False)
    if rng.random() < 0.08:
        lv["min_units"] = written(rng, count_of(sig(size * rng.choice([0.01, 0.1, 0.5])),
                                                integer), money=False)
    if rng.random() < 0.1:
        lv["max_spend"] = written(rng, sig(cost * size * rng.choice([0.1, 0.5, 2.0])))
    if rng.random() < 0.05:
        lv["min_spend"] = written(rng, sig(cost * size * rng.choice([0.001, 0.01])))
    if horizon > 1:
        lag = rng.choice([0, 0, 0, 1, 2])
        if 0 < lag < horizon:
            lv["lag"] = lag
        if rng.random() < 0.3:
            lv["attrition"] = rng.choice([0.05, 0.1, "25%", 0.5])
        if rng.random() < 0.3:
            per = count_of(sig(size * rng.choice([0.1, 0.3, 0.5, 1.0])), integer)
            lv["max_units_per_period"] = written(rng, per, money=False)
        if rng.random() < 0.2:
            picked = rng.sample(labels, rng.choice([1, 2]))
            lv["unit_cost_by_period"] = {
                p: written(rng, sig(cost * rng.choice([0.5, 0.8, 1.25, 2.0]))) for p in picked}
        if rng.random() < 0.15:
            lv["recurring_cost"] = written(rng, sig(cost * rng.choice([0.01, 0.1, 0.5])))
    if rng.random() < 0.04:
        top = size
        if "max_units_per_period" in lv:
            top = min(top, _num(lv["max_units_per_period"]) * horizon)
        lock = count_of(sig(top * rng.choice([0.1, 0.5, 1.0])), integer)
        least = _num(lv.get("min_units_if_used", 0))
        if least <= lock <= top and lock >= _num(lv.get("min_units", 0)):
            lv["fixed_units"] = written(rng, lock, money=False)
    return lv, size


def _num(value: Any) -> float:
    """The number a generated field holds (plain, scaled, e-notation, separators)."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace(",", "").strip()
    factor = 1.0
    if text.endswith(" PKR"):
        text, factor = text[:-4], 1 / 285.0
    for suffix, scale in SCALES:
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale * factor
    return float(text) * factor


def reach(lv: Mapping[str, Any], size: float) -> float:
    """Rough last-period exports of a lever at its natural size."""
    if "yield_curve" in lv:
        return max(e for _, e in lv["yield_curve"])
    return _num(lv["yield_per_unit"]) * size


def rough_spend(lv: Mapping[str, Any], size: float, horizon: int) -> float:
    net = _num(lv["unit_cost"]) * (1 - _fraction(lv.get("cost_recovery", 0)))
    recurring = _num(lv.get("recurring_cost", 0)) * horizon
    return (net + recurring) * size + _num(lv.get("fixed_cost", 0))


def _fraction(value: Any) -> float:
    if isinstance(value, str) and value.endswith("%"):
        return float(value[:-1]) / 100
    return float(value)


def constraint(rng: random.Random, ids: list[str], levers: Mapping[str, Any],
               sizes: Mapping[str, float]) -> dict[str, str]:
    a = rng.choice(ids)
    b = rng.choice([i for i in ids if i != a] or ids)
    k = rng.choice(["0.5", "2", "3", "10", "0.1", "1e-3", "1.5k"])
    share = rng.choice([0.0, 0.1, 0.5, 1.0])

    def amount(value: float) -> str:
        text = written(rng, sig(value))
        return str(text)

    units_r = amount(sizes[a] * share)
    spend_r = amount(rough_spend(levers[a], sizes[a], 1) * share)
    exports_r = amount(reach(levers[a], sizes[a]) * share)
    if a == b:
        expr = rng.choice([f"{a} <= {amount(sizes[a] * rng.choice([0.1, 0.5]))}",
                           f"spend({a}) <= {spend_r}",
                           f"exports({a}) >= {exports_r}"])
    else:
        expr = rng.choice([
            f"{a} <= {k} * {b} + {units_r}",
            f"spend({a}) <= {k} * spend({b}) + {spend_r}",
            f"exports({a}) - {k} * exports({b}) <= {exports_r}",
            f"{a} + {k} * {b} >= {units_r}",
            f"spend({a}) + spend({b}) <= {spend_r}",
            f"exports({a}) >= {k} * exports({b})",
        ])
    return {"expr": expr}


PERIOD_LABELS = [[2024, 2025, 2026], ["FY24", "FY25", "FY26"], [1, 2, 3]]


def scenario(rng: random.Random) -> dict[str, Any]:
    """One wide scenario as plain data (valid per the spec, as far as the draw can tell)."""
    horizon = rng.choice([1, 1, 2, 3])
    labels: list[Any] = rng.choice(PERIOD_LABELS)[:horizon] if horizon > 1 else [""]
    pkr = rng.random() < 0.15
    ids = NAMES[: rng.choice([1, 2, 2, 3, 3, 4, 5])]
    levers: dict[str, dict[str, Any]] = {}
    sizes: dict[str, float] = {}
    for lid in ids:
        levers[lid], sizes[lid] = lever(rng, labels, pkr)
    objective = "max_exports" if rng.random() < 0.35 else "min_cost"

    logic: set[str] = set()
    if len(ids) > 1 and rng.random() < 0.3:
        for _ in range(rng.choice([1, 2])):
            a, b = rng.sample(ids, 2)
            kind = rng.choice(["requires", "excludes"])
            other = "excludes" if kind == "requires" else "requires"
            if b in levers[a].get(other, []) or b in levers[a].get(kind, []):
                continue
            levers[a].setdefault(kind, []).append(b)
            logic.update((a, b))

    total_reach = sum(reach(levers[i], sizes[i]) for i in ids)
    total_spend = sum(rough_spend(levers[i], sizes[i], horizon) for i in ids)
    if rng.random() < 0.1:
        target = logu(rng, 1, 1e13)
    else:
        target = min(max(sig(total_reach * logu(rng, 1e-3, 1.2)), 1.0), 1e13)

    data: dict[str, Any] = {"name": "wide", "objective": objective}
    if horizon > 1:
        data["periods"] = labels
        if rng.random() < 0.5:
            data["discount_rate"] = rng.choice([0.05, 0.1, "8%", 0.3])
    if pkr:
        data["exchange_rates"] = {"PKR": 285.0}
    data["target"] = {"exports": written(rng, target)}
    if rng.random() < 0.1:
        data["target"]["baseline"] = written(rng, sig(target * rng.choice([0.1, 0.5])))
        data["target"]["includes_baseline"] = rng.random() < 0.5
    if horizon > 1 and rng.random() < 0.35:
        early = rng.sample(labels[:-1], rng.choice([1, horizon - 1]))
        data["target"]["milestones"] = {
            p: written(rng, sig(target * rng.choice([0.05, 0.2, 0.5]))) for p in early}

    budget: dict[str, Any] = {}
    ceiling: float | None = None
    if objective == "max_exports" or rng.random() < 0.5:
        if rng.random() < 0.2:
            ceiling = logu(rng, 1e9, 1e12)  # huge: everything caps out
        else:
            ceiling = min(1e12, max(1.0, sig(total_spend * logu(rng, 0.05, 1.5))))
        budget["ceiling"] = written(rng, ceiling)
    if horizon > 1 and rng.random() < 0.3:
        per = (ceiling or total_spend) / horizon
        picked = rng.sample(labels, rng.choice(range(1, horizon + 1)))
        budget["per_period"] = {
            p: written(rng, sig(per * rng.choice([0.1, 0.3, 0.5, 1.0, 2.0]))) for p in picked}
    if budget:
        data["budget"] = budget

    # a fixed cost, min_units_if_used and lever logic need a bound on units: give one
    for lid in ids:
        lv = levers[lid]
        needs = "fixed_cost" in lv or "min_units_if_used" in lv or lid in logic
        bounded = ("max_units" in lv or "max_spend" in lv or "fixed_units" in lv
                   or ceiling is not None)
        if needs and not bounded:
            lv["max_units"] = written(rng, sizes[lid], money=False)
        if "min_units_if_used" in lv and "max_units" in lv:
            if _num(lv["min_units_if_used"]) > _num(lv["max_units"]):
                lv["min_units_if_used"] = lv["max_units"]
        if "min_units" in lv and "max_units" in lv:
            if _num(lv["min_units"]) > _num(lv["max_units"]):
                del lv["min_units"]
        if "min_spend" in lv and "max_spend" in lv:
            if _num(lv["min_spend"]) > _num(lv["max_spend"]):
                del lv["min_spend"]
    data["levers"] = levers
    if rng.random() < 0.4:
        data["constraints"] = [constraint(rng, ids, levers, sizes)
                               for _ in range(rng.choice([1, 2]))]
    return data


def case_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"wide:{seed}:{index}")


def case(seed: int, index: int) -> dict[str, Any]:
    """Case ``index`` of ``seed``: the same scenario on every machine and run."""
    data = scenario(case_rng(seed, index))
    data["name"] = f"wide case {seed}-{index}"
    return data


def to_yaml(data: Mapping[str, Any], header: str = "") -> str:
    body = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
    lines = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return lines + body


def write_case(seed: int, index: int, directory: Path) -> Path:
    path = directory / f"case-{seed}-{index}.yaml"
    path.write_text(to_yaml(case(seed, index), f"wide case: seed {seed}, index {index}"),
                    encoding="utf-8")
    return path


# --- running both and judging -----------------------------------------------------------


def run_engine(path: Path) -> dict[str, Any]:
    """``optimize --config PATH --format json`` through CliRunner, as a user runs it."""
    from click.testing import CliRunner

    from optimizer.cli import main

    started = time.perf_counter()
    res = CliRunner().invoke(main, ["--config", str(path), "--format", "json"])
    out: dict[str, Any] = {
        "exit": res.exit_code,
        "stdout": res.stdout,
        "stderr": res.stderr,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        out["traceback"] = "".join(traceback.format_exception(*res.exc_info))
    if res.exit_code == 1 and "traceback" not in out:
        # the same run with the engine's debug switch, for a traceback to hand on
        dbg = CliRunner().invoke(main, ["--config", str(path), "--format", "json"],
                                 env={"OPTIMIZE_DEBUG": "1"})
        if dbg.exc_info is not None and not isinstance(dbg.exception, SystemExit):
            out["traceback"] = "".join(traceback.format_exception(*dbg.exc_info))
    return out


def _close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def plan_of(result: Mapping[str, Any]) -> dict[str, list[float]] | None:
    """Units funded by lever (per period) from the result JSON, or None without a plan."""
    if result.get("plan") in ("none", None) and result.get("status") != "optimal":
        return None
    rows = result.get("allocation") or []
    if not rows:
        return None
    periods = result.get("periods")
    out: dict[str, list[float]] = {}
    for row in rows:
        if periods:
            by = {str(k): v for k, v in row["by_period"].items()}
            out[row["lever"]] = [float(by[str(p)]["units"]) for p in periods]
        else:
            out[row["lever"]] = [float(row["units"])]
    return out


def plan_figures(s: Any, plan: Mapping[str, list[float]]) -> tuple[float, float, float]:
    """(total cost, discounted cost, last-period exports) of a plan, by the reference."""
    from tests.reference import lever_path, weights

    labels = s.period_labels
    paths = {lid: lever_path(lv, plan[lid], labels) for lid, lv in s.enabled_levers().items()}
    spend = [sum(p.spend[k] for p in paths.values()) for k in range(len(labels))]
    exports = sum(p.exports[-1] for p in paths.values())
    discounted = sum(w * c for w, c in zip(weights(s), spend, strict=True))
    return sum(spend), discounted, exports


def engine_gap(result: Mapping[str, Any]) -> float:
    """The larger of the engine's reported gaps (solver.mip_gap, certificate.gap) and 1e-6."""
    solver = result.get("solver") or {}
    gaps = [REL, solver.get("mip_gap")]
    cert = solver.get("certificate")
    if isinstance(cert, Mapping):
        gaps += [cert.get("gap"), cert.get("cost_gap")]
    return max(float(g) for g in gaps if isinstance(g, int | float) and math.isfinite(g))


def _short(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " ..."


def judge(path: Path, stage: Callable[[str, Any], None] = lambda *_: None) -> dict[str, Any]:
    """Run the engine and the reference on one file and classify the pair (see CLASSES).

    ``stage(name, info)`` is called as each stage starts ("engine", then
    "reference" with the engine's view), so a caller that kills a slow case can
    say where it was and what the engine had answered."""
    from optimizer.errors import ScenarioError
    from optimizer.scenario import load_scenario

    verdict: dict[str, Any] = {"file": str(path), "notes": []}
    notes: list[str] = verdict["notes"]
    try:
        s = load_scenario(path).scenario
    except ScenarioError as exc:
        stage("engine", None)
        eng = run_engine(path)
        verdict["engine"] = _engine_view(eng, None)
        verdict["reference"] = {"status": "not run: the validator refuses the file"}
        notes.append("validator: " + "; ".join(str(p) for p in exc.problems))
        verdict["class"] = "invalid_scenario" if eng["exit"] == 2 else "invalid_mismatch"
        return verdict

    stage("engine", None)
    eng = run_engine(path)
    result: dict[str, Any] | None = None
    if eng["exit"] in (0, 3, 4):
        try:
            result = json.loads(eng["stdout"])
        except ValueError:
            result = None
    verdict["engine"] = _engine_view(eng, result)

    stage("reference", verdict["engine"])
    from tests.reference import evaluate, reference_solve

    ref = None
    started = time.perf_counter()
    try:
        ref = reference_solve(s)
        verdict["reference"] = _ref_view(ref, s)
    except Exception as exc:  # the reference's own failure: no verdict on the engine
        verdict["reference"] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    verdict["reference"]["seconds"] = round(time.perf_counter() - started, 3)

    def set_class(name: str) -> dict[str, Any]:
        verdict["class"] = name
        return verdict

    code = eng["exit"]
    if code == 2:
        message = eng["stderr"]
        verdict["engine"]["message"] = _short(message, 2000)
        if "outside what the solver represents" in message:
            return set_class("range_refused")
        return set_class("exit2_other")
    if code == 4 and result is None:
        verdict["engine"]["stderr"] = eng["stderr"]
        notes.append("exit 4 without the result JSON on stdout")
        return set_class("limit_no_plan")
    if code not in (0, 3, 4) or result is None:
        verdict["engine"]["stderr"] = eng["stderr"]
        if "traceback" in eng:
            verdict["engine"]["traceback"] = eng["traceback"]
        if code in (0, 3, 4):
            notes.append("the engine's stdout is not JSON")
        return set_class("engine_error")

    plan = plan_of(result)
    figures = None
    if plan is not None and code in (0, 4):
        cost, exports, broken = evaluate(s, plan)
        figures = plan_figures(s, plan)
        verdict["engine"]["judged"] = {"cost": cost, "exports": exports, "broken": broken}
        if broken:
            return set_class("infeasible_called_feasible" if ref is not None
                             and ref.status == "infeasible" and code == 0
                             else "engine_plan_broken")
        shown_cost = result.get("total_cost")
        shown_exports = result.get("lever_exports")
        if (isinstance(shown_cost, int | float) and not _close(shown_cost, cost, REL)) or (
                isinstance(shown_exports, int | float) and not _close(shown_exports, exports,
                                                                       REL)):
            notes.append(f"shown cost {shown_cost!r}, exports {shown_exports!r}; its plan "
                         f"costs {cost!r} and exports {exports!r}")
            return set_class("engine_misreports")

    if ref is None:
        return set_class("reference_error")

    if code == 3:
        if ref.status == "infeasible":
            return set_class("agree")
        assert ref.units_by_period is not None
        _, _, broken = evaluate(s, {k: list(v) for k, v in ref.units_by_period.items()})
        if broken:
            notes.append(f"reference plan broken: {broken}")
            return set_class("reference_plan_broken")
        return set_class("feasible_called_infeasible")

    if code == 4 and plan is None:
        return set_class("limit_no_plan")
    if ref.status == "infeasible":
        return set_class("reference_missed_plan")  # the engine's plan passed evaluate

    gap = engine_gap(result)
    verdict["engine"]["gap_used"] = gap
    engine_cost = _objective_cost(result)
    ref_cost = float(ref.discounted_cost or 0.0)
    if figures is not None and not _close(engine_cost, figures[1], REL):
        notes.append(f"shown objective {engine_cost!r}, its plan's {figures[1]!r}")
        return set_class("engine_misreports")

    worse = "engine_worse" if code == 0 else "limit_gap_miss"
    fine = "agree" if code == 0 else "limit_ok"

    def ref_broken() -> bool:
        assert ref is not None and ref.units_by_period is not None
        _, _, broken = evaluate(s, {k: list(v) for k, v in ref.units_by_period.items()})
        if broken:
            notes.append(f"reference plan broken: {broken}")
        return bool(broken)

    def target_loose(mine: float) -> bool:
        """min_cost: the reference's plan falls short of the target by more than 1e-9
        of it (HiGHS's tolerances let it: 5 units of a curve exporting 16,199,998.7
        against 16.2M) while the engine's meets it, and the reference asked for
        1e-6 more exports costs no less than the engine's plan: the engine's answer
        is the exact optimum, the reference's cheaper one an artefact of its
        tolerance."""
        assert ref is not None and ref.units_by_period is not None
        if s.objective != "min_cost" or plan is None:
            return False
        ref_plan = {k: list(v) for k, v in ref.units_by_period.items()}
        loose = evaluate(s, ref_plan, tol=1e-9)[2]
        if not loose or not all(b.startswith("target.exports:") for b in loose):
            return False
        if evaluate(s, plan, tol=1e-9)[2]:
            return False
        needed = s.target.exports * (1 + REL)
        tight = s.model_copy(update={"target": s.target.model_copy(
            update={"exports": needed})})
        try:
            again = reference_solve(tight)
        except Exception as exc:
            notes.append(f"reference with the target 1e-6 higher: {type(exc).__name__}")
            return False
        if again.status != "optimal":
            return False
        cost = float(again.discounted_cost or 0.0)
        notes.append(f"reference plan short of the target beyond 1e-9: {loose}; with the "
                     f"target 1e-6 higher it costs {cost!r}")
        verdict["reference"]["cost_with_target_1e-6_higher"] = cost
        return mine <= cost + gap * max(1.0, abs(cost))

    def by_cost(mine: float, theirs: float) -> dict[str, Any]:
        if mine > theirs + (gap + 1e-12) * max(1.0, abs(theirs)):
            if ref_broken():
                return set_class("reference_plan_broken")
            return set_class("reference_target_loose" if target_loose(mine) else worse)
        if mine < theirs - REL * max(1.0, abs(theirs)):
            return set_class("reference_suboptimal")
        return set_class(fine)

    if s.objective == "min_cost":
        return by_cost(engine_cost, ref_cost)

    # max_exports: lever exports first, then the cost. The reference's plan may sit
    # up to 1e-9 below its most exports E* (the spec's band); the engine's must not
    # be below the reference's plan by more than the engine's gap, nor above E*.
    mine_e = float(result["lever_exports"])
    theirs_e = float(ref.lever_exports or 0.0)
    best = float(ref.best_exports if ref.best_exports is not None else theirs_e)
    # (plus 1e-12 of it: a plan exactly at the edge of the band, 5.25725 * (1 - 1e-6)
    # when the band was 1e-6, is below 5.25725 by its gap give or take the last bit of
    # a float)
    if mine_e < theirs_e - (gap + 1e-12) * max(1.0, abs(theirs_e)):
        return set_class("reference_plan_broken" if ref_broken() else worse)
    if mine_e > best + REL * max(1.0, abs(best)):
        return set_class("reference_suboptimal")
    if _close(engine_cost, ref_cost, gap) and engine_cost >= ref_cost - REL * max(
            1.0, abs(ref_cost)):
        return set_class(fine)
    cert = (result.get("solver") or {}).get("certificate") or {}
    if code == 4 and cert.get("cost_value") is not None and cert.get("cost_bound") is None:
        # exit 4 that claims no bound on the cost (its tolerances are coarser than
        # the cost): the exports are judged above, and nothing is claimed to miss
        notes.append("exit 4 with no bound claimed on the cost")
        return set_class("limit_ok")
    # Within the band the two may sit at different exports: price the engine's
    # exports with the reference (the cheapest plan exporting at least as much).
    if mine_e > best:
        notes.append(f"engine exports {mine_e!r} above the reference's most {best!r} "
                     "(within 1e-6): the costs are not comparable")
        return set_class(fine)
    try:
        at = reference_solve(s, floor=mine_e)
    except Exception as exc:
        notes.append(f"reference at the engine's exports: {type(exc).__name__}: {exc}")
        return set_class("reference_error")
    if at.status != "optimal":
        notes.append("reference at the engine's exports: infeasible")
        return set_class("reference_missed_plan")
    notes.append(f"reference at the engine's exports {mine_e!r}: cost {at.discounted_cost!r}")
    verdict["reference"]["cost_at_engine_exports"] = at.discounted_cost
    at_cost = float(at.discounted_cost or 0.0)
    short = mine_e - float(at.lever_exports or 0.0)
    leans = short > 1e-12 * max(1.0, abs(mine_e)) or bool(
        at.units_by_period is not None and evaluate(
            s, {k: list(v) for k, v in at.units_by_period.items()}, tol=1e-11)[2])
    if leans and engine_cost > at_cost + (gap + 1e-12) * max(1.0, abs(at_cost)):
        # The reference's cheaper plan reaches the engine's exports only within its
        # tolerance: it sits below them, or past a cap (27.2 + 4.9e-10 units of a
        # 3.04M-export lever add the 0.0015 that one unit of a 0.00856-export lever
        # more and two of a 0.00503 one fewer lack). Ask it for 1e-9 more than the
        # engine's exports, and judge the engine's plan against that price
        try:
            above = reference_solve(s, floor=mine_e * (1 + 1e-9) if mine_e > 0 else mine_e)
        except Exception as exc:
            notes.append(f"reference 1e-9 above the engine's exports: {type(exc).__name__}")
            above = None
        if above is not None and above.status == "optimal" and float(
                above.lever_exports or 0.0) < mine_e and short > 1e-12 * max(1.0, abs(mine_e)):
            # asked for more than the engine's exports, the reference still falls short
            # of them (7e-6 USD of exports "met" by none, inside its absolute
            # tolerance): it cannot price the engine's exports at all
            notes.append(f"the reference cannot keep the engine's exports {mine_e!r}: asked "
                         f"for 1e-9 more it exports {above.lever_exports!r}")
            return set_class("reference_floor_loose")
        if (above is not None and above.status == "optimal"
                and float(above.lever_exports or 0.0) >= mine_e):
            cost_above = float(above.discounted_cost or 0.0)
            notes.append(f"the reference's plan leans on its tolerance ({short!r} short of "
                         f"the engine's exports); 1e-9 above them it costs {cost_above!r}")
            verdict["reference"]["cost_1e-9_above_engine_exports"] = cost_above
            if engine_cost <= cost_above + (gap + 1e-12) * max(1.0, abs(cost_above)):
                return set_class("reference_floor_loose")
    return by_cost(engine_cost, at_cost)


def _objective_cost(result: Mapping[str, Any]) -> float:
    if result.get("periods"):
        value = result.get("discounted_cost")
        if value is None:
            value = result.get("total_cost")
    else:
        value = result.get("total_cost")
    return float(value or 0.0)


def _engine_view(eng: Mapping[str, Any], result: Mapping[str, Any] | None) -> dict[str, Any]:
    view: dict[str, Any] = {"exit": eng["exit"], "seconds": eng["seconds"]}
    if result is not None:
        view.update(
            status=result.get("status"),
            plan=result.get("plan"),
            total_cost=result.get("total_cost"),
            discounted_cost=result.get("discounted_cost"),
            lever_exports=result.get("lever_exports"),
            mip_gap=(result.get("solver") or {}).get("mip_gap"),
            certificate=(result.get("solver") or {}).get("certificate"),
            units={row["lever"]: row["units"] for row in result.get("allocation") or []},
            message=_short(str(result.get("message", "")), 400),
        )
    elif eng["exit"] != 0:
        view["message"] = _short(eng["stderr"], 2000)
    return view


def _ref_view(ref: Any, s: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"status": ref.status}
    if ref.status == "optimal":
        view.update(total_cost=ref.total_cost, discounted_cost=ref.discounted_cost,
                    lever_exports=ref.lever_exports, best_exports=ref.best_exports,
                    units=ref.units)
        if s.has_periods:
            view["units_by_period"] = {k: list(v) for k, v in
                                       (ref.units_by_period or {}).items()}
    return view


def header(verdict: Mapping[str, Any], seed: int | None = None,
           index: int | None = None) -> str:
    """A comment block giving both answers (for a failure's YAML)."""
    lines = []
    if seed is not None:
        lines.append(f"wide case: seed {seed}, index {index}")
    lines.append(f"class: {verdict['class']} ({CLASSES.get(verdict['class'], '')})")
    eng = {k: v for k, v in verdict.get("engine", {}).items()
           if k not in ("traceback", "stderr")}
    lines.append("engine: " + json.dumps(eng, default=str))
    lines.append("reference: " + json.dumps(verdict.get("reference", {}), default=str))
    for note in verdict.get("notes", []):
        lines.append("note: " + note)
    if verdict.get("engine", {}).get("stderr"):
        lines.append("engine stderr:")
        lines += ["  " + line for line in verdict["engine"]["stderr"].splitlines()]
    if verdict.get("engine", {}).get("traceback"):
        lines.append("engine traceback (OPTIMIZE_DEBUG=1):")
        lines += ["  " + line for line in verdict["engine"]["traceback"].splitlines()[-25:]]
    return "\n".join(lines)


# --- shrinking ------------------------------------------------------------------------

_EXPR_NUMBER = re.compile(r"(?<![A-Za-z_])(\d[\d,_]*\.?\d*(?:e[-+]?\d+)?)\s*(bn|[kMB])?(?![\w])")


def _rounded(value: float, digits: int) -> float:
    return float(f"{value:.{digits}g}") if value else value


def pretty(value: float) -> float | int | str:
    """A rounded number as a planner reads it: 250, 0.05, "3e9"."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return int(value) if value == int(value) else value
    text = f"{value:.3g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def prettify(data: Any) -> Any:
    """``data`` with each plain number written as ``pretty`` writes it, where that reads
    back as exactly the same number (e.g. 10000000000000.0 -> "1e13")."""
    out = _copy(data)
    for path, value in _walk(out):
        if path[0] in ("name", "periods") or isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            nice = pretty(float(value))
            if nice != value and _num(nice) == value:
                node = out
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = nice
    return out


def signature(verdict: Mapping[str, Any]) -> str:
    """What a shrunk case must keep: its class, and for an engine error or an
    unclear exit 2 the exit code and the gist of the message."""
    cls = verdict.get("class", "")
    if cls not in ("engine_error", "exit2_other", "limit_no_plan", "reference_error"):
        return cls
    eng = verdict.get("engine", {})
    text = eng.get("stderr") or eng.get("message") or ""
    if cls == "reference_error":
        text = verdict.get("reference", {}).get("error", "")
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    line = next((ln for ln in lines if "coefficient" not in ln and ".yaml" not in ln),
                lines[0] if lines else "")
    gist = re.sub(r"levers\.\w+", "levers.X", line)
    gist = re.sub(r"[-+]?\d[\d,._e+-]*", "N", gist)[:70]
    return f"{cls}|{eng.get('exit')}|{gist}"


def _leaf_number(value: Any) -> tuple[float, str] | None:
    """(number, currency suffix) of a numeric leaf, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), ""
    if isinstance(value, str):
        text = value.strip()
        suffix = ""
        if text.endswith(" PKR"):
            text, suffix = text[:-4], " PKR"
        try:
            return _num(text), suffix
        except ValueError:
            return None
    return None


def _drop_lever(data: dict[str, Any], lid: str) -> dict[str, Any] | None:
    out = _copy(data)
    del out["levers"][lid]
    if not out["levers"]:
        return None
    for lv in out["levers"].values():
        for key in ("requires", "excludes"):
            if lid in lv.get(key, []):
                lv[key] = [x for x in lv[key] if x != lid]
                if not lv[key]:
                    del lv[key]
    if "constraints" in out:
        word = re.compile(rf"\b{lid}\b")
        out["constraints"] = [c for c in out["constraints"] if not word.search(c["expr"])]
        if not out["constraints"]:
            del out["constraints"]
    return out


PERIOD_FIELDS = ("lag", "attrition", "max_units_per_period", "unit_cost_by_period",
                 "recurring_cost")


def _drop_periods(data: dict[str, Any]) -> dict[str, Any]:
    out = _copy(data)
    out.pop("periods", None)
    out.pop("discount_rate", None)
    out["target"].pop("milestones", None)
    if "budget" in out:
        out["budget"].pop("per_period", None)
        if not out["budget"]:
            del out["budget"]
    for lv in out["levers"].values():
        for key in ("lag", "unit_cost_by_period", "attrition"):
            lv.pop(key, None)
    return out


def _drop_period(data: dict[str, Any], which: int) -> dict[str, Any] | None:
    labels = list(data["periods"])
    if len(labels) <= 2:
        return None
    gone = labels.pop(which)
    out = _copy(data)
    out["periods"] = labels
    keyed = [out["target"].get("milestones"), (out.get("budget") or {}).get("per_period")]
    keyed += [lv.get("unit_cost_by_period") for lv in out["levers"].values()]
    for mapping in keyed:
        if mapping is not None:
            mapping.pop(gone, None)
    milestones = out["target"].get("milestones")
    if milestones is not None:
        milestones.pop(labels[-1], None)
        if not milestones:
            del out["target"]["milestones"]
    for container, key in ((out.get("budget") or {}, "per_period"),):
        if key in container and not container[key]:
            del container[key]
    for lv in out["levers"].values():
        if "unit_cost_by_period" in lv and not lv["unit_cost_by_period"]:
            del lv["unit_cost_by_period"]
        if lv.get("lag", 0) >= len(labels):
            lv["lag"] = len(labels) - 1
    return out


def _copy(data: Any) -> Any:
    return copy.deepcopy(data)


def _walk(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _walk(v, path + (i,))
    else:
        out.append((path, node))
    return out


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = _copy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    out = _copy(data)
    node = out
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return out


OPTIONAL_TOP = (("discount_rate",), ("exchange_rates",), ("target", "baseline"),
                ("target", "includes_baseline"), ("target", "milestones"),
                ("budget", "per_period"), ("budget", "ceiling"), ("budget",))
REQUIRED_LEVER = {"unit_cost", "yield_per_unit", "yield_curve"}


def candidates(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Smaller or plainer variants of ``data``, most promising first."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    for lid in list(data["levers"]):
        out.append((f"drop lever {lid}", _drop_lever(data, lid)))
    for i in range(len(data.get("constraints", []))):
        smaller = _delete(data, ("constraints", i))
        if not smaller["constraints"]:
            del smaller["constraints"]
        out.append((f"drop constraints[{i}]", smaller))
    if "periods" in data:
        out.append(("drop periods", _drop_periods(data)))
        out.append(("drop the first period", _drop_period(data, 0)))
        out.append(("drop the last period", _drop_period(data, -1)))
    for path in OPTIONAL_TOP:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            out.append((f"drop {'.'.join(path)}", _delete(data, path)))
    for key in ("milestones",):
        for p in list(data["target"].get(key, {})):
            out.append((f"drop target.{key}.{p}", _delete(data, ("target", key, p))))
    for p in list((data.get("budget") or {}).get("per_period", {})):
        out.append((f"drop budget.per_period.{p}", _delete(data, ("budget", "per_period", p))))
    for lid, lv in data["levers"].items():
        for key in list(lv):
            if key in REQUIRED_LEVER:
                continue
            if key == "integer" and not lv[key]:
                continue
            out.append((f"drop levers.{lid}.{key}", _delete(data, ("levers", lid, key))))
        if "yield_curve" in lv:
            pts = lv["yield_curve"]
            run, rise = _num(pts[1][0]), _num(pts[1][1])
            slope = rise / run if run else 0.0
            plain = _delete(data, ("levers", lid, "yield_curve"))
            plain["levers"][lid]["yield_per_unit"] = _rounded(slope, 3)
            out.append((f"levers.{lid}: curve -> its first slope", plain))
            if len(pts) > 3:
                for j in range(1, len(pts) - 1):
                    out.append((f"levers.{lid}.yield_curve: drop point {j}",
                                _delete(data, ("levers", lid, "yield_curve", j))))
    for path, value in _walk(data):
        if path and path[0] in ("name", "periods"):
            continue
        if path[-1] == "expr" and isinstance(value, str):
            for digits in (1, 2):
                new = _EXPR_NUMBER.sub(lambda m, d=digits: _round_token(m, d), value)
                if new != value:
                    out.append((f"round {'.'.join(map(str, path))} to {digits}",
                                _set(data, path, new)))
                    break
            continue
        got = _leaf_number(value)
        if got is None:
            continue
        number, suffix = got
        for digits in (1, 2):
            rounded = _rounded(number, digits)
            if rounded != number or not isinstance(value, int | float):
                new: Any = f"{pretty(rounded)}{suffix}" if suffix else pretty(rounded)
                if new != value:
                    out.append((f"round {'.'.join(map(str, path))} to {new}",
                                _set(data, path, new)))
                    break
    return [(what, d) for what, d in out if d is not None]


def _round_token(match: re.Match[str], digits: int) -> str:
    number = float(match.group(1).replace(",", "").replace("_", ""))
    scale = {"k": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}.get(match.group(2) or "", 1.0)
    return str(pretty(_rounded(number * scale, digits)))
