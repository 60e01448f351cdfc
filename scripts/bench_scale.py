"""How the engine scales: build and solve time and peak memory, beside direct highspy.

Generates multi-period scenarios with one lever per district (lag, attrition,
yearly capacity, a concave yield curve of three segments, milestones every
year, a yearly budget ceiling) from 4 levers x 3 periods up to 1,000 levers
x 10 periods, and for each size runs, in fresh processes:

* the engine: validated scenario -> ModelData -> Pyomo -> HiGHS, re-check and
  Result (``solve_scenario``);
* the same LP built directly in highspy from the same numbers, arrays passed
  in bulk (``passModel``), then ``run()``.

Both report the same optimal cost (checked). Ratios are engine / direct.

    python scripts/bench_scale.py [--sizes 4x3,20x5,...] [--repeat 3] [--large]

``--large`` adds 3,000 x 20 and 10,000 x 20 (400,000 columns; minutes and a few GB
per run, so one repeat is enough there). Peak MB is each process's peak resident
memory (the interpreter, its imports and the solve).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = "4x3,20x5,50x10,200x10,500x10,1000x10"
LARGE = "3000x20,10000x20"
SEGMENTS = 3


def scenario(levers: int, periods: int, seed: int = 7) -> dict[str, Any]:
    """A district-level plan: money in M USD packages, so no lever needs rescaling."""
    rng = random.Random(seed)
    labels = list(range(2024, 2024 + periods))
    out: dict[str, Any] = {}
    capacity_total = 0.0
    for d in range(levers):
        cost = round(rng.uniform(1.0, 9.0), 3) * 1e6
        slopes = sorted((rng.uniform(1.5, 4.0) for _ in range(SEGMENTS)), reverse=True)
        widths = [rng.randint(20, 60) for _ in range(SEGMENTS)]
        units, exports = [0.0], [0.0]
        for w, s in zip(widths, slopes, strict=True):
            units.append(units[-1] + w)
            exports.append(exports[-1] + w * s * cost)
        capacity_total += exports[-1]
        out[f"district_{d:04d}"] = {
            "unit": "M USD package",
            "unit_cost": cost,
            "yield_curve": [[u, e] for u, e in zip(units, exports, strict=True)],
            "lag": rng.choice([0, 1]) if periods > 1 else 0,
            "attrition": round(rng.uniform(0.0, 0.1), 3),
            "max_units_per_period": float(rng.randint(15, 40)),
        }
    need = 0.35 * capacity_total
    milestones = {labels[k]: need * (k + 1) / (periods + 1) for k in range(periods - 1)}
    return {
        "name": f"districts {levers}x{periods}",
        "periods": labels if periods > 1 else None,
        "discount_rate": 0.05 if periods > 1 else 0.0,
        "target": {"exports": need, "milestones": milestones},
        "budget": {"per_period": {p: 0.6 * need / periods for p in labels}}
        if periods > 1 else {},
        "levers": out,
    }


def direct(spec: dict[str, Any]) -> dict[str, float]:
    """The same LP built straight into highspy with bulk arrays (money in M USD)."""
    import highspy
    import numpy as np

    t0, c0 = time.perf_counter(), time.process_time()
    periods = len(spec["periods"] or [0])
    levers = list(spec["levers"].values())
    n_lev = len(levers)
    money = 1e6
    weights = [(1 + spec["discount_rate"]) ** -k for k in range(periods)]
    n_x = n_lev * periods
    col_cost = np.zeros(2 * n_x)
    col_lower = np.zeros(2 * n_x)
    col_upper = np.full(2 * n_x, highspy.kHighsInf)
    rows_i: list[np.ndarray] = []
    rows_j: list[np.ndarray] = []
    rows_v: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []
    row = 0
    ks = np.arange(periods)

    def x(lev: int, k: int | np.ndarray) -> Any:
        return lev * periods + k

    def e(lev: int, k: int | np.ndarray) -> Any:
        return n_x + lev * periods + k

    cost_rows: dict[int, tuple[list[int], list[float]]] = {k: ([], []) for k in range(periods)}
    for lev, lv in enumerate(levers):
        c = lv["unit_cost"] / money
        col_cost[x(lev, ks)] = c * np.array(weights)
        col_upper[x(lev, ks)] = lv["max_units_per_period"]
        units = [p[0] for p in lv["yield_curve"]]
        exports = [p[1] / money for p in lv["yield_curve"]]
        slopes = [(exports[s + 1] - exports[s]) / (units[s + 1] - units[s])
                  for s in range(SEGMENTS)]
        icepts = [exports[s] - slopes[s] * units[s] for s in range(SEGMENTS)]
        keep = 1 - lv["attrition"]
        for k in range(periods):
            cost_rows[k][0].append(x(lev, k))
            cost_rows[k][1].append(c)
            last = k - lv["lag"]
            js = np.arange(last + 1)
            decay = keep ** (last - js) if last >= 0 else np.zeros(0)
            for s in range(SEGMENTS):  # e - slope * active <= icept
                rows_i.append(np.full(len(js) + 1, row))
                rows_j.append(np.concatenate(([e(lev, k)], x(lev, js))))
                rows_v.append(np.concatenate(([1.0], -slopes[s] * decay)))
                lower.append(-highspy.kHighsInf)
                upper.append(icepts[s])
                row += 1
            if last >= 0:  # active <= last breakpoint
                rows_i.append(np.full(len(js), row))
                rows_j.append(x(lev, js))
                rows_v.append(decay)
                lower.append(-highspy.kHighsInf)
                upper.append(units[-1])
                row += 1
    caps = spec["budget"].get("per_period", {})
    for k, label in enumerate(spec["periods"] or []):
        if label in caps:
            cols, vals = cost_rows[k]
            rows_i.append(np.full(len(cols), row))
            rows_j.append(np.array(cols))
            rows_v.append(np.array(vals))
            lower.append(-highspy.kHighsInf)
            upper.append(caps[label] / money)
            row += 1
    goals = {k: spec["target"]["milestones"].get(label) for k, label in
             enumerate(spec["periods"] or [])}
    goals[periods - 1] = spec["target"]["exports"]
    for k, goal in goals.items():
        if goal is None:
            continue
        rows_i.append(np.full(n_lev, row))
        rows_j.append(e(np.arange(n_lev), k))
        rows_v.append(np.ones(n_lev))
        lower.append(goal / money)
        upper.append(highspy.kHighsInf)
        row += 1
    ri, rj, rv = (np.concatenate(a) for a in (rows_i, rows_j, rows_v))
    order = np.lexsort((rj, ri))
    ri, rj, rv = ri[order], rj[order], rv[order]
    start = np.searchsorted(ri, np.arange(row + 1))
    lp = highspy.HighsLp()
    lp.num_col_ = 2 * n_x
    lp.num_row_ = row
    lp.col_cost_ = col_cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = start.astype(np.int32)
    lp.a_matrix_.index_ = rj.astype(np.int32)
    lp.a_matrix_.value_ = rv
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, h.getModelStatus()
    cost = h.getInfo().objective_function_value * money  # discounted, as the engine's
    return {"build": t1 - t0, "solve": t2 - t1, "cost": cost, "columns": 2 * n_x, "rows": row,
            "cpu": time.process_time() - c0}


def engine(spec: dict[str, Any]) -> dict[str, float]:
    import highspy  # noqa: F401  (imported before the clock starts, as in direct())

    from optimizer.scenario import Loadout, validate
    from optimizer.scenario.loader import load_yaml_text
    from optimizer.solving.engine import solve_scenario

    clean = {k: v for k, v in spec.items() if v is not None}
    loaded = load_yaml_text("name: bench\n", "<bench>")
    s = validate(clean, loaded)
    t0, c0 = time.perf_counter(), time.process_time()
    result = solve_scenario(Loadout(s, "<bench>", loaded.sha256))
    t1, cpu = time.perf_counter(), time.process_time() - c0
    assert result.status == "optimal", result.message
    build = result.solver.build_seconds
    return {"build": build, "solve": t1 - t0 - build, "cost": result.discounted_cost,
            "cpu": cpu}


def child(kind: str, levers: int, periods: int) -> None:
    spec = scenario(levers, periods)
    out = direct(spec) if kind == "direct" else engine(spec)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def measure(kind: str, levers: int, periods: int, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        text = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(levers), str(periods)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        ).stdout.strip().splitlines()[-1]
        runs.append(json.loads(text))
    best = min(runs, key=lambda r: r["build"] + r["solve"])
    return {**best, "total": statistics.median(r["build"] + r["solve"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=SIZES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", action="store_true",
                        help=f"also {LARGE.replace(',', ', ')} (one run each)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "LEVERS", "PERIODS"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    print("| levers x periods | columns | rows | direct build | direct solve | engine build "
          "| engine solve | engine / direct | peak MB direct / engine |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    large = LARGE.split(",") if args.large else []
    for size in args.sizes.split(",") + large:
        levers, periods = (int(v) for v in size.split("x"))
        repeat = 1 if size in large else args.repeat
        d = measure("direct", levers, periods, repeat)
        g = measure("engine", levers, periods, repeat)
        assert abs(d["cost"] - g["cost"]) <= 1e-6 * max(1.0, abs(d["cost"])), (d, g)
        print(f"| {levers} x {periods} | {d['columns']:,} | {d['rows']:,} | "
              f"{d['build']:.3f} s | {d['solve']:.3f} s | {g['build']:.3f} s | "
              f"{g['solve']:.3f} s | {g['total'] / d['total']:.2f}x | "
              f"{d['peak_mb']:.0f} / {g['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
