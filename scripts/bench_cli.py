"""Where the wall time of one `optimize` run goes.

Runs `optimize --config configs/pakistan_it_exports.yaml --format json` as a
new user would (a fresh process each time), and beside it the same work
split into phases in a fresh interpreter: interpreter start, imports, load,
build, solve, render. A bare `python -c 'import highspy'` gives the floor
any HiGHS-based command pays.

    python scripts/bench_cli.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "pakistan_it_exports.yaml"

PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario
from optimizer.present.formats import render_json
t1 = time.perf_counter()
loadout = load_scenario(sys.argv[1])
t2 = time.perf_counter()
result = solve_scenario(loadout)
t3 = time.perf_counter()
text = render_json(result)
t4 = time.perf_counter()
build = result.solver.build_seconds
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "build": build,
                  "solve": t3 - t2 - build, "render": t4 - t3}))
"""


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def median_wall(cmd: list[str], repeat: int) -> float:
    wall(cmd)  # warm the file cache and .pyc files
    return statistics.median(wall(cmd) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from bench_all import bytecode

    bytecode()  # (as an installed package has it; see bench_all.bytecode)
    py = sys.executable
    optimize = shutil.which("optimize", path=str(Path(py).parent)) or "optimize"
    end_to_end = median_wall([optimize, "--config", str(CONFIG), "--format", "json"], args.repeat)
    start = median_wall([py, "-c", "pass"], args.repeat)
    highspy = median_wall([py, "-c", "import highspy"], args.repeat)
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run([py, "-c", PHASES, str(CONFIG)], check=True, capture_output=True,
                             text=True, cwd=ROOT).stdout
        runs.append(json.loads(out))
    phases = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    rows = [("interpreter start", start), *phases.items()]
    accounted = sum(v for _, v in rows)
    rows.append(("other (entry point, exit)", max(0.0, end_to_end - accounted)))
    print(f"optimize --config {CONFIG.relative_to(ROOT)} --format json "
          f"(median of {args.repeat} fresh processes)\n")
    print(f"| {'phase':<26} | {'seconds':>7} | {'share':>6} |")
    print(f"|{'-' * 28}|{'-' * 9}:|{'-' * 7}:|")
    for name, seconds in rows:
        print(f"| {name:<26} | {seconds:7.3f} | {seconds / end_to_end:6.1%} |")
    print(f"| {'**end to end (wall)**':<26} | {end_to_end:7.3f} | {1:6.1%} |")
    print(f"\nfloor: python -c 'import highspy' takes {highspy:.3f} s "
          f"(engine is {end_to_end / highspy:.1f}x that)")


if __name__ == "__main__":
    main()
