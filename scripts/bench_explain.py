"""Where the time of `optimize explain` goes on the three-year scenario.

Runs `optimize explain --config configs/pakistan_it_exports_3yr.yaml` as a new
user would (a fresh process each time; wall and CPU seconds, children
included), then each section of the explanation in one interpreter, once with
the probes shared over the cores here (the default) and once in one process,
and beside them the HiGHS time alone: every MIP the stability ranges solve,
solved again by a bare highspy loop on the same matrices (the floor no engine
can go under without fewer probes).

Reference (commit 036c6dd, before warm screening probes, forked ends and the
lazy scipy import; the same machine, idle): 10.1 s wall for the command.
The one-process run also counts the Pyomo models built and the probes that
moved only HiGHS's arrays (models.build.arrays; before commit "arrays", each
of the stability ranges' 144 probes built one: 0.86 s of its 4.3 s).

    python scripts/bench_explain.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
BEFORE_WALL = 10.1


def command(repeat: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of the command in a fresh process."""
    cmd = [str(Path(sys.executable).parent / "optimize"), "explain", "--config", str(CONFIG)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)  # warm the caches
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def builds() -> tuple[dict[str, int], object]:
    """Counters of Pyomo builds and array rebases in this process, and an undo."""
    import optimizer.solving.engine as engine

    counts = {"pyomo builds": 0, "array rebases": 0}
    real_build, real_arrays = engine.build, engine.arrays

    def build(data: object) -> object:
        counts["pyomo builds"] += 1
        return real_build(data)  # type: ignore[arg-type]

    def arrays(data: object) -> object:
        counts["array rebases"] += 1
        return real_arrays(data)  # type: ignore[arg-type]

    engine.build, engine.arrays = build, arrays  # type: ignore[assignment]

    def undo() -> None:
        engine.build, engine.arrays = real_build, real_arrays

    return counts, undo


def sections(workers: int | None) -> dict[str, float]:
    from optimizer.analyses import explain as ex
    from optimizer.analyses.tornado import tornado
    from optimizer.analyses.worth import worth_of
    from optimizer.scenario import load_scenario
    from optimizer.solving.engine import Session

    lo = load_scenario(CONFIG)
    out: dict[str, float] = {}
    start = time.perf_counter()
    result = Session(lo).solve()
    out["solve"] = time.perf_counter() - start
    for name, run in (("binding", lambda: worth_of(lo, result)),
                      ("tornado", lambda: tornado(lo, workers=workers)),
                      ("ranging", lambda: ex.stability(lo, workers=workers)),
                      ("room", lambda: ex.room(lo))):
        start = time.perf_counter()
        run()
        out[name] = time.perf_counter() - start
    return out


def highs_floor() -> tuple[int, float]:
    """(MIPs, seconds): every model the stability ranges hand HiGHS, solved again
    by highspy alone from the same arrays, cold, with the engine's options."""
    import highspy

    import optimizer.solving.highs as engine_highs
    from optimizer.analyses import explain as ex
    from optimizer.scenario import load_scenario

    lps: list[highspy.HighsLp] = []
    real = engine_highs.Highs._run

    def record(self: engine_highs.Highs) -> highspy.HighsModelStatus:
        h = self._h
        assert h is not None
        if self.is_mip():
            lps.append(h.getLp())
        return real(self)

    engine_highs.Highs._run = record  # type: ignore[method-assign]
    try:
        ex.stability(load_scenario(CONFIG), workers=1)
    finally:
        engine_highs.Highs._run = real  # type: ignore[method-assign]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    start = time.perf_counter()
    for lp in lps:
        h.passModel(lp)
        h.run()
    return len(lps), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wall, cpu = command(args.repeat)
    print(f"optimize explain (3-year scenario): {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"(median of {args.repeat}); {BEFORE_WALL / wall:.2f}x faster than "
          f"{BEFORE_WALL} s before; {os.cpu_count()} cores here")
    for workers, label in ((None, "shared over the cores"), (1, "one process")):
        counts, undo = builds()
        try:
            got = sections(workers)
        finally:
            undo()
        print(f"sections, {label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in got.items()))
        if workers == 1:
            print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    n, seconds = highs_floor()
    print(f"the ranges' {n} MIPs by highspy alone: {seconds:.2f} s")


if __name__ == "__main__":
    main()
