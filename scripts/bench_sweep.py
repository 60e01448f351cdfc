"""Sweep speed: 200 ceilings, the engine beside a direct warm highspy loop.

For the shipped scenarios and a generated 10,000-column model (500 districts x
10 years, from scripts/bench_scale.py), times

* the engine's sweep (``optimizer.analyses.sweep.run_sweep``: one model, re-solved warm
  per point, each point re-checked and turned into a Result), and
* a direct loop doing the same two stages per point on two warm ``highspy.Highs``
  (one per stage, as the engine keeps one per objective): change the budget row's
  upper bound, ``run()`` for the most exports under that ceiling, then hold the
  target row at them and ``run()`` for the least cost keeping them.

Both see the same model (the engine's, passed to HiGHS once); the ratio is
engine / direct. The engine does more per point by design (the spec's
re-check, the Result, a MIP's certificate); the ratio says what that costs.

    python scripts/bench_sweep.py [--points 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def cpu() -> float:
    """CPU seconds of this process and its waited-for children."""
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (
        resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def _direct(loadout: object, values: list[float]) -> tuple[float, list[float | None], float]:
    """A warm highspy loop over the ceilings on the engine's own model, doing the
    engine's two stages per point: the most exports under the ceiling, then the least
    cost keeping them (the target row held at the most exports, less the spec's 1e-9
    share; a MIP's second stage starts from the first's plan). One Highs per stage,
    each kept warm from point to point, as the engine keeps one per objective."""
    import highspy
    import numpy as np

    from optimizer.solving.engine import LEXICOGRAPHIC_SLACK, Session, with_goal

    session = Session(loadout, widest_ceiling=max(values))  # type: ignore[arg-type]
    s = loadout.scenario  # type: ignore[attr-defined]
    session.run_for(with_goal(s, ceiling=values[0], objective="max_exports"))
    session.model.needed.set_value(0.0)
    highs = session.solvers.for_model(session.model)
    highs.solve(session.model)  # loads the model into HiGHS once
    h = highs._h
    matrix = highs.matrix
    row = matrix.row_of[id(session.model.budget)]
    target = matrix.row_of[id(session.model.target)]
    money = session.scaling.money
    exports = session.scaling.exports  # the objective's unit (the scales may differ)
    cost, _, _ = matrix.objectives["cost_objective"]
    n = len(cost)
    least = highspy.Highs()
    for name in ("output_flag", "threads", "random_seed", "mip_rel_gap"):
        least.setOptionValue(name, h.getOptionValue(name)[1])
    least.passModel(h.getLp())
    least.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, dtype=float))
    least.changeObjectiveSense(highspy.ObjSense.kMinimize)
    mip = bool(matrix.integer.any())
    offset = float(matrix.row_offset[target])
    start, c0 = time.perf_counter(), cpu()
    best = []
    for v in values:
        h.changeRowBounds(row, -highspy.kHighsInf, v / money)
        h.run()
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        most = h.getInfo().objective_function_value if optimal else None
        best.append(most * exports if most is not None else None)
        if most is None:
            continue
        least.changeRowBounds(row, -highspy.kHighsInf, v / money)
        least.changeRowBounds(target, most * (1 - LEXICOGRAPHIC_SLACK) - offset,
                              highspy.kHighsInf)
        if mip:
            plan = highspy.HighsSolution()
            plan.col_value = list(h.getSolution().col_value)
            least.setSolution(plan)
        least.run()
        assert least.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return time.perf_counter() - start, best, cpu() - c0


def _engine(loadout: object, values: list[float]) -> tuple[float, list[float | None], float]:
    from optimizer.solving.engine import Session, with_goal

    session = Session(loadout, widest_ceiling=max(values))  # type: ignore[arg-type]
    s = loadout.scenario  # type: ignore[attr-defined]
    session.solve(with_goal(s, ceiling=values[0], objective="max_exports"), diagnose=False)
    from optimizer.analyses.sweep import point_scenarios

    start, c0 = time.perf_counter(), cpu()
    exports = [session.solve(p, diagnose=False).lever_exports
               for p in point_scenarios(loadout, "ceilings", values)]  # type: ignore[arg-type]
    return time.perf_counter() - start, exports, cpu() - c0


def generated(levers: int, periods: int) -> tuple[Any, float]:
    """bench_scale's generated district plan as a max_exports scenario (a 10,000-column
    LP at 500 x 10), and the sum of its yearly ceilings (USD): the widest ceiling
    worth sweeping."""
    import bench_scale

    from optimizer.scenario import Loadout, validate
    from optimizer.scenario.loader import load_yaml_text

    spec = {k: v for k, v in bench_scale.scenario(levers, periods).items() if v is not None}
    spec["objective"] = "max_exports"
    spec["budget"] = {**spec["budget"], "ceiling": 1.0}
    loaded = load_yaml_text("name: bench\n", "<bench>")
    loadout = Loadout(validate(spec, loaded), f"<generated {levers} x {periods}>",
                      loaded.sha256)
    return loadout, sum(spec["budget"]["per_period"].values())


def compare(loadout: Any, top: float, points: int) -> dict[str, float]:
    """Sweep ``points`` ceilings up to ``top`` (USD), the direct loop then the engine,
    on the same machine one after the other; both must reach the same points and the
    same exports (to 1e-6). Returns {"direct": s, "engine": s (wall), "direct_cpu",
    "engine_cpu" (CPU seconds, children included), "gap": largest relative gap in
    exports}."""
    values = [top * (i + 1) / points for i in range(points)]
    direct_s, best, direct_cpu = _direct(loadout, values)
    engine_s, got, engine_cpu = _engine(loadout, values)
    both = [(a, b) for a, b in zip(best, got, strict=True) if a is not None]
    assert all(b is not None for _, b in both), "the engine missed a reachable point"
    assert all(b is None for a, b in zip(best, got, strict=True) if a is None)
    gap = max((abs(a - b) / max(1.0, abs(a)) for a, b in both),  # type: ignore[operator]
              default=0.0)
    return {"direct": direct_s, "engine": engine_s, "direct_cpu": direct_cpu,
            "engine_cpu": engine_cpu, "gap": gap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()
    from optimizer.scenario import load_scenario

    cases = []
    for name, top in (("pakistan_it_exports.yaml", 3e9), ("pakistan_it_exports_3yr.yaml", 3e9)):
        cases.append((name, load_scenario(ROOT / "configs" / name), top))
    generated_loadout, generated_top = generated(500, 10)
    cases.append(("generated 500 x 10 (10,000 columns)", generated_loadout, generated_top))
    print(f"{args.points} ceilings per sweep, warm re-solves on one model\n")
    print("| scenario | points | direct loop | engine sweep | per point (engine) | "
          "engine / direct | largest gap in exports |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, loadout, top in cases:
        got = compare(loadout, top, args.points)
        direct_s, engine_s = got["direct"], got["engine"]
        print(f"| {name} | {args.points} | {direct_s:.3f} s | {engine_s:.3f} s | "
              f"{engine_s / args.points * 1e3:.1f} ms | {engine_s / direct_s:.2f}x | "
              f"{got['gap']:.1e} |", flush=True)


if __name__ == "__main__":
    main()
