"""Re-optimising under each sample: solves per second, the engine beside direct highspy.

The shipped three-year scenario (configs/pakistan_it_exports_3yr.yaml) is given
distributions, unless the file already has some: each lever's
``yield_per_unit`` becomes triangular, +-20% around its value, through the
project's own overrides (as ``optimize --set
levers.it_workforce.yield_per_unit='{dist: triangular, low: 20k, mode: 25k,
high: 30k}'`` would). Then the same N samples (default 1,000) are re-solved

* by ``optimizer.analyses.reoptimize.reoptimize`` in one process,
* with ``workers=2`` (spawned processes),
* on a Dask ``LocalCluster`` of 2 worker processes on loopback (its start is
  timed apart; the workers' first imports are in the run),

and the three must give identical costs, shares and statuses; beside them a
direct loop in one process: each sample's model built by the engine's own
path (``Session``: scenario -> model data -> Pyomo) and compiled by
``models.compile.compile_model``, then passed to a fresh ``highspy.Highs``
and run with the engine's options, no polishing, re-check or Result. Its
optima must match the engine's to 1e-6, except where HiGHS's plan leans on its
integrality tolerance (said when it happens). The ratio is engine / direct.
About 5 minutes for 1,000 samples on a 2-core machine; ``--samples 200`` takes
about one.

    python scripts/bench_uncertainty.py [--samples 1000] [--seed 2024] [--no-dask]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
SPREAD = 0.2


def overlay(path: Path) -> Any:
    """The scenario with distributions: the file's own, or triangular yields +-SPREAD."""
    from optimizer.scenario import load_scenario

    loadout = load_scenario(path)
    if loadout.scenario.uncertain:
        return loadout
    sets: list[tuple[str, Any]] = []
    for lid, lever in loadout.scenario.enabled_levers().items():
        y = lever.yield_per_unit
        if y:
            sets.append((f"levers.{lid}.yield_per_unit",
                         {"dist": "triangular", "low": y * (1 - SPREAD), "mode": y,
                          "high": y * (1 + SPREAD)}))
    return load_scenario(path, sets)


def direct(loadout: Any, n: int, seed: int
           ) -> tuple[float, float, list[float | None], list[float]]:
    """(wall seconds, seconds in passModel + run, optimal discounted cost per sample,
    HiGHS's largest integrality violation per sample)."""
    import highspy
    import numpy as np
    import pyomo.core as pyo

    from models.compile import compile_model
    from optimizer.scenario import Loadout
    from optimizer.scenario.uncertain_fields import scenario_draws, with_values
    from optimizer.solving.engine import Session
    from optimizer.solving.options import SolverOptions

    opts = SolverOptions()
    start = time.perf_counter()
    s = loadout.scenario
    draws = scenario_draws(s, n, seed)
    in_highs = 0.0
    costs: list[float | None] = []
    violations: list[float] = []
    for i in range(n):
        sample = with_values(s, {path: float(values[i]) for path, values in draws.items()})
        session = Session(Loadout(sample, loadout.file, loadout.sha256))
        m = session.model
        session.run_for(sample)  # target, ceiling and objective into the model
        matrix = compile_model(m)
        live = next(o for o in m.component_data_objects(pyo.Objective) if o.active).name
        cost, offset, sense = matrix.objectives[live]
        t0 = time.perf_counter()
        h = highspy.Highs()
        for name, value in (("output_flag", False), ("threads", opts.threads),
                            ("random_seed", opts.seed), ("mip_rel_gap", opts.mip_gap)):
            h.setOptionValue(name, value)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(matrix.columns), len(matrix.rows)
        lp.col_cost_, lp.offset_ = cost, offset
        lp.sense_ = highspy.ObjSense.kMinimize if sense == 1 else highspy.ObjSense.kMaximize
        lp.col_lower_, lp.col_upper_ = matrix.col_lower, matrix.col_upper
        lp.row_lower_, lp.row_upper_ = matrix.row_lower, matrix.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = matrix.start
        lp.a_matrix_.index_ = matrix.index
        lp.a_matrix_.value_ = matrix.value
        if matrix.integer.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if flag
                               else highspy.HighsVarType.kContinuous
                               for flag in np.asarray(matrix.integer)]
        h.passModel(lp)
        h.run()
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        info = h.getInfo()
        in_highs += time.perf_counter() - t0
        costs.append(info.objective_function_value * session.scaling.money if optimal else None)
        violations.append(info.max_integrality_violation if optimal else 0.0)
    return time.perf_counter() - start, in_highs, costs, violations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    args = parser.parse_args()
    n = args.samples

    from optimizer.analyses.reoptimize import reoptimize

    loadout = overlay(SCENARIO)
    uncertain = ", ".join(f"{p} {d}" for p, d in loadout.scenario.uncertainty.parameters.items())
    print(f"{SCENARIO.name}: {n:,} samples, seed {args.seed}, on {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.2f} at the start)\n"
          f"uncertain: {uncertain}\n", flush=True)

    runs: list[tuple[str, Any]] = []
    cpu = time.process_time()
    one = reoptimize(loadout, n, args.seed)
    one_cpu = time.process_time() - cpu
    runs.append(("engine, one process", one))
    # the direct loop right after, so that both one-process runs see the same machine
    cpu = time.process_time()
    direct_s, highs_s, best, violation = direct(loadout, n, args.seed)
    direct_cpu = time.process_time() - cpu
    two = reoptimize(loadout, n, args.seed, workers=2)
    runs.append(("engine, 2 worker processes", two))
    cluster_note = ""
    if not args.no_dask:
        try:
            from distributed import LocalCluster
        except ImportError:
            cluster_note = "Dask not installed (pip install .[distributed]): cluster skipped"
        else:
            t0 = time.perf_counter()
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None,
                              silence_logs=logging.ERROR) as cluster:
                started = time.perf_counter() - t0
                dask = reoptimize(loadout, n, args.seed, scheduler=cluster.scheduler_address)
            runs.append(("engine, Dask LocalCluster (2 workers)", dask))
            cluster_note = f"Dask cluster start (not in its row): {started:.2f} s"
    for name, got in runs[1:]:
        assert got.costs == one.costs, f"{name}: costs differ from one process"
        assert got.shares == one.shares, f"{name}: shares differ from one process"
        assert got.statuses == one.statuses, f"{name}: statuses differ from one process"

    assert [b is None for b in best] == [c is None for c in one.costs], "verdicts differ"
    gaps = [abs(a - b) / max(1.0, abs(a)) if a is not None and b is not None else 0.0
            for a, b in zip(best, one.costs, strict=True)]
    gap = max(gaps, default=0.0)
    # beyond 1e-6 only where direct HiGHS's plan leans on its integrality tolerance (a
    # use switch at 4e-7 opening a lever without its fixed cost): the engine polishes
    # (integers fixed at their rounded values, LP re-solved), so its plan cannot
    tolerated = [i for i, g in enumerate(gaps) if g > 1e-6]
    unexplained = [i for i in tolerated if violation[i] <= 1e-9]
    assert not unexplained, f"direct and engine optima differ at samples {unexplained}"

    print("| mode | samples | seconds | solves/s | engine / direct |")
    print("|---|---:|---:|---:|---:|")
    for name, got in runs:
        print(f"| {name} | {n:,} | {got.seconds:.2f} | {got.solves_per_second:,.0f} | "
              f"{got.seconds / direct_s:.2f}x |")
    print(f"| direct highspy loop, one process (engine's build and compile) | {n:,} | "
          f"{direct_s:.2f} | {n / direct_s:,.0f} | |")
    print(f"| of which highspy alone (new Highs, passModel, run) | {n:,} | {highs_s:.2f} | "
          f"{n / highs_s:,.0f} | |")
    print(f"\nCPU seconds of the calling process, one process each: engine {one_cpu:.2f}, "
          f"direct {direct_cpu:.2f}, engine / direct {one_cpu / direct_cpu:.2f}x "
          "(less sensitive than wall time to other processes on the machine)")
    per = 1e3 / n
    print(f"per sample, one process: build {one.build_seconds * per:.2f} ms, solve "
          f"{one.solve_seconds * per:.2f} ms (HiGHS {one.highs_seconds * per:.2f} ms; the "
          f"rest compiles, polishes, re-checks and makes the Result)")
    print(f"statuses: {dict(Counter(one.statuses))}; largest gap engine vs direct: {gap:.1e}")
    if tolerated:
        print(f"  gaps over 1e-6 at samples {tolerated}: direct HiGHS's plan has an integer "
              f"off by up to {max(violation[i] for i in tolerated):.1e} (within its "
              "tolerance), the engine's polished plan none")
    costs = sorted(c for c in one.costs if c is not None)
    if costs:
        q = [costs[min(len(costs) - 1, int(p * len(costs)))] for p in (0.1, 0.5, 0.9)]
        print("optimal discounted cost P10 / P50 / P90: "
              + " / ".join(f"{v / 1e6:,.1f}M" for v in q))
    if cluster_note:
        print(cluster_note)
    print(f"load average {os.getloadavg()[0]:.2f} at the end (other processes share the cores)")


if __name__ == "__main__":
    main()
