"""max_exports on integer knapsacks: the engine beside direct highspy doing the same stages.

Two generated scenarios (levers with whole units, a budget ceiling, resource
rows as ``constraints``):

* a multidimensional knapsack: 100 levers (``--items``), each 0 to 3 units,
  5 resources (``--resources``): the budget and 4 constraint rows. About 15 s
  of CPU for direct HiGHS and 25 to 35 s for the engine on this 2-core machine
  (0-1 units solve in about a second, too little to time);
* a plain knapsack: 1,000 levers (``--big``), 0 or 1 unit each, the budget alone.

The whole run takes a minute or two (no node limit: the stages run to HiGHS's
gap, as a planner's solve does). For each, in this process:

* the engine: validated scenario -> Pyomo -> HiGHS, both lexicographic stages
  (the most exports, then the cheapest plan keeping them), the second opinions
  of both stages (a solve each from scratch, without presolve, under strict
  tolerances, in a forked child: what certifies the answer), the re-check and
  the Result (``solve_scenario``);
* direct highspy, the matrix built with NumPy and passed in bulk: stage 1
  maximises exports; stage 2, on the same Highs object, holds the exports row
  between stage 1's value (less the spec's 1e-9 share) and its bound,
  minimises cost and starts from stage 1's plan (``setSolution``). The same
  options as the engine (one thread, seed 0, relative gap 1e-7).

Both must agree on the exports and the cost (checked). Times are CPU seconds
(this process and its children: the engine's second opinions run in forked
children), so that others' load on the machine counts less; wall-clock beside
them. Ratios are engine / direct CPU, best of ``--repeat``. ``PYTHONPATH=OTHER``
times another checkout's engine against the same baseline.

    python scripts/bench_max_exports.py [--items 100] [--resources 5] [--big 1000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: another checkout's engine can be timed

SLACK = 1e-9  # the spec's "within 1e-9 relative of that E"
MIP_GAP = 1e-7  # the engine's default (optimizer.solving.options)


def cpu() -> float:
    """CPU seconds of this process and its waited-for children."""
    return sum(r.ru_utime + r.ru_stime for r in (
        resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def knapsack(items: int, resources: int, max_units: int, seed: int) -> dict[str, Any]:
    """A scenario dict: ``items`` integer levers (cost, yield and weights drawn from small
    integer ranges, so that several plans tie on exports), the budget as the first
    resource and ``resources - 1`` constraint rows, each at ~40% of what the levers
    at their caps would use. Money in M USD."""
    rng = random.Random(seed)
    cost = [rng.randint(1, 30) for _ in range(items)]
    gain = [rng.randint(10, 60) for _ in range(items)]
    levers = {
        f"l{j:04d}": {"unit": "lot", "unit_cost": f"{cost[j]}M",
                      "yield_per_unit": f"{gain[j]}M", "max_units": max_units,
                      "integer": True}
        for j in range(items)}
    constraints = []
    for r in range(resources - 1):
        w = [rng.randint(1, 40) for _ in range(items)]
        cap = int(0.4 * sum(w) * max_units)
        expr = " + ".join(f"{v} * l{j:04d}" for j, v in enumerate(w)) + f" <= {cap}"
        constraints.append({"name": f"resource {r + 2}", "expr": expr})
    ceiling = int(0.4 * sum(cost) * max_units)
    out: dict[str, Any] = {
        "name": f"knapsack {items} x {resources}", "currency": "USD",
        "objective": "max_exports", "target": {"exports": 1},
        "budget": {"ceiling": f"{ceiling}M"}, "levers": levers}
    if constraints:
        out["constraints"] = constraints
    return out


def arrays(spec: dict[str, Any]) -> dict[str, Any]:
    """The knapsack's numbers as NumPy arrays (money in M USD), read back from the dict."""
    import numpy as np

    levers = list(spec["levers"].values())
    cost = np.array([float(lv["unit_cost"][:-1]) for lv in levers])
    gain = np.array([float(lv["yield_per_unit"][:-1]) for lv in levers])
    upper = np.array([float(lv["max_units"]) for lv in levers])
    rows, caps = [cost], [float(spec["budget"]["ceiling"][:-1])]
    for con in spec.get("constraints", []):
        lhs, cap = con["expr"].split(" <= ")
        rows.append(np.array([float(t.split(" * ")[0]) for t in lhs.split(" + ")]))
        caps.append(float(cap))
    return {"cost": cost, "gain": gain, "upper": upper, "rows": np.array(rows),
            "caps": np.array(caps)}


def direct(spec: dict[str, Any]) -> tuple[float, float, float, float]:
    """Both stages in highspy on one Highs object: (CPU seconds, wall seconds, exports,
    cost), USD."""
    import highspy
    import numpy as np

    t0, c0 = time.perf_counter(), cpu()
    a = arrays(spec)
    n = len(a["cost"])
    matrix = np.vstack([a["rows"], a["gain"]])  # resource rows, then the exports row
    m = matrix.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = a["gain"]
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = a["upper"]
    lp.row_lower_ = np.full(m, -highspy.kHighsInf)
    lp.row_upper_ = np.append(a["caps"], highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, m * n + 1, n, dtype=np.int32)
    lp.a_matrix_.index_ = np.tile(np.arange(n, dtype=np.int32), m)
    lp.a_matrix_.value_ = matrix.ravel()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()
    for name, value in (("output_flag", False), ("threads", 1), ("random_seed", 0),
                        ("mip_rel_gap", MIP_GAP)):
        h.setOptionValue(name, value)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    best = h.getInfo().objective_function_value
    most = max(h.getInfo().mip_dual_bound, best)
    plan = np.array(h.getSolution().col_value)
    # stage 2: the exports row fixed between the most exports (less the spec's share)
    # and stage 1's bound (as the engine holds it: above by its certificate's 1e-6),
    # the cheapest plan, from stage 1's
    h.changeRowBounds(m - 1, best * (1 - SLACK), most * (1 + 1e-6))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), a["cost"])
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    start = highspy.HighsSolution()
    start.col_value = plan.tolist()
    h.setSolution(start)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.round(np.array(h.getSolution().col_value))
    wall, seconds = time.perf_counter() - t0, cpu() - c0
    return seconds, wall, float(a["gain"] @ x) * 1e6, float(a["cost"] @ x) * 1e6


def engine(spec: dict[str, Any]) -> tuple[float, float, float, float, str]:
    """The engine on the scenario: (CPU seconds, wall seconds, exports, cost, status)."""
    from optimizer.scenario import Loadout, validate
    from optimizer.scenario.loader import load_yaml_text
    from optimizer.solving.engine import solve_scenario

    t0, c0 = time.perf_counter(), cpu()
    loaded = load_yaml_text("name: bench\n", "<bench>")
    loadout = Loadout(validate(spec, loaded), "<generated>", loaded.sha256)
    result = solve_scenario(loadout)
    wall, seconds = time.perf_counter() - t0, cpu() - c0
    return (seconds, wall, result.lever_exports or 0.0, result.total_cost or 0.0,
            str(result.status))


def compare(spec: dict[str, Any], repeat: int = 1
            ) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float, str]]:
    """Direct then the engine on ``spec``, each best of ``repeat`` by CPU; both must
    agree on the exports and the cost (to 1e-6). Returns (direct's, engine's) tuples."""
    d = min((direct(spec) for _ in range(repeat)), key=lambda r: r[0])
    e = min((engine(spec) for _ in range(repeat)), key=lambda r: r[0])
    assert abs(d[2] - e[2]) <= 1e-6 * d[2], f"exports differ: direct {d[2]}, engine {e[2]}"
    assert abs(d[3] - e[3]) <= 1e-6 * d[3], f"cost differs: direct {d[3]}, engine {e[3]}"
    return d, e


def warm_up() -> None:
    """Imports and first-call costs (Pyomo, pydantic's schemas) are not the solve's."""
    tiny = knapsack(4, 2, 1, seed=3)
    direct(tiny)
    engine(tiny)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--resources", type=int, default=5)
    parser.add_argument("--units", type=int, default=3, help="max_units of each lever")
    parser.add_argument("--big", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=["multi", "big"])
    args = parser.parse_args()
    cases = []
    if args.only != "big":
        cases.append((f"{args.items} items x {args.resources} resources, 0-{args.units} units",
                      knapsack(args.items, args.resources, args.units, seed=1)))
    if args.only != "multi":
        cases.append((f"{args.big} items x 1 resource, 0-1 unit",
                      knapsack(args.big, 1, 1, seed=2)))
    warm_up()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| knapsack | direct CPU (wall) | engine CPU (wall) | engine / direct | "
          "exports | cost | status |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, spec in cases:
        d, e = compare(spec, args.repeat)
        print(f"| {name} | {d[0]:.2f} s ({d[1]:.2f}) | {e[0]:.2f} s ({e[1]:.2f}) | "
              f"{e[0] / d[0]:.2f}x | {e[2]:,.0f} | {e[3]:,.0f} | {e[4]} |", flush=True)


if __name__ == "__main__":
    main()
