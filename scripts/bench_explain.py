"""Where the time of `optimize explain` goes on the three-year scenario.

Runs `optimize explain --config configs/pakistan_it_exports_3yr.yaml` as a new
user would (a fresh process each time; wall and CPU seconds, children
included), and the same command of the reference commit (036c6dd, before warm
screening probes, forked ends and the lazy scipy import; 10.1 s wall when it was
measured, idle), extracted with `git archive` and run by the same interpreter,
the two taking turns so that both see the same machine. Then each section of
the explanation in one interpreter, once with the probes shared over the cores
here (the default) and once in one process, and beside them the HiGHS time
alone: every MIP the stability ranges solve, solved again by a bare highspy
loop on the same matrices with HiGHS's default options (a floor no engine goes
far under without fewer probes).

The one-process run also counts the Pyomo models built (only the room's
question builds one now) and the models built as arrays alone (models.build.lite:
each session's, and each probe's; before commit "arrays", each of the stability
ranges' 144 probes built a Pyomo model: 0.86 s of its 4.3 s).

    python scripts/bench_explain.py [--repeat 3] [--reference COMMIT | --no-reference]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
BEFORE_WALL = 10.1
REFERENCE = "036c6dd"


def command(repeat: int, reference: str | None) -> tuple[tuple[float, float],
                                                         tuple[float, float] | None]:
    """Median (wall, CPU) seconds of the command in a fresh process, here and (when
    ``reference`` is a commit) at that commit, run in turns."""
    here = [str(Path(sys.executable).parent / "optimize")]
    runs: list[tuple[list[str], Path, dict[str, str]]] = [(here, ROOT, dict(os.environ))]
    with tempfile.TemporaryDirectory() as tmp:
        if reference is not None:
            old = Path(tmp) / "reference"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", reference],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            env = dict(os.environ, PYTHONPATH=str(old))
            cli = [sys.executable, "-c", "from optimizer.cli import main; main()"]
            runs.append((cli, old, env))
        samples: list[tuple[list[float], list[float]]] = [([], []) for _ in runs]
        for _ in range(repeat + 1):  # the first round warms the caches
            for (cmd, cwd, env), (walls, cpus) in zip(runs, samples, strict=True):
                full = [*cmd, "explain", "--config", str(cwd / CONFIG.relative_to(ROOT))]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(full, check=True, capture_output=True, cwd=cwd, env=env)
                walls.append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    medians = [(statistics.median(w[1:]), statistics.median(c[1:])) for w, c in samples]
    return medians[0], (medians[1] if len(medians) > 1 else None)


def builds() -> tuple[dict[str, int], object]:
    """Counters of Pyomo builds and array rebases in this process, and an undo."""
    import optimizer.solving.engine as engine

    counts = {"pyomo builds": 0, "array builds": 0}
    real_build, real_lite = engine.build, engine.lite

    def build(data: object) -> object:
        counts["pyomo builds"] += 1
        return real_build(data)  # type: ignore[arg-type]

    def lite(data: object) -> object:
        counts["array builds"] += 1
        return real_lite(data)  # type: ignore[arg-type]

    engine.build, engine.lite = build, lite  # type: ignore[assignment]

    def undo() -> None:
        engine.build, engine.lite = real_build, real_lite

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
    by highspy alone from the same arrays, cold, with HiGHS's default options (the
    recorded model carries none)."""
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
    parser.add_argument("--reference", default=REFERENCE,
                        help="the commit measured against (default: %(default)s)")
    parser.add_argument("--no-reference", action="store_true",
                        help="time this checkout only")
    args = parser.parse_args()
    (wall, cpu), before = command(args.repeat, None if args.no_reference else args.reference)
    load = os.getloadavg()[0]
    print(f"optimize explain (3-year scenario): {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"(median of {args.repeat}); {os.cpu_count()} cores here, load {load:.2f}")
    if before is not None:
        print(f"  at {args.reference} (the reference), in turns with it: {before[0]:.2f} s wall, "
              f"{before[1]:.2f} s CPU: now {before[0] / wall:.2f}x faster "
              f"({BEFORE_WALL} s when it was measured)")
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
