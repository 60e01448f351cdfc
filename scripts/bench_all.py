"""Every speed goal of issue 13 ("Speed where planners wait") in one table.

Each row is measured in this run, the engine beside direct highspy doing the same
work on the same machine one right after the other, and shown with its goal and
whether it is met. The header gives the date, the load average before and after
(others' processes share the cores: read the figures with it), the CPU count,
HiGHS's version and the commit. The rows reuse the other benchmarks' functions:

* ``report``, ``explain``: the commands as a planner runs them, fresh processes,
  wall seconds (bench_explain.command); goals in seconds, no direct side;
* ``scale-500``, ``scale-1000``, ``scale-10000``: build+solve of bench_scale's
  generated plans, engine and direct in fresh processes taking turns (their own
  build and solve time; peak resident memory of each child for 10,000 x 20);
* ``sweep-lp``, ``sweep-mip``: per point of a ceiling sweep, the engine's sweep
  against a warm highspy loop on one Highs (bench_sweep.compare);
* ``knapsack-100``, ``knapsack-1000``: max_exports on integer knapsacks, both
  stages each side (bench_max_exports.compare);
* ``time-limit``: not measured here (the budget's own test holds it);
* ``reoptimize``: ``simulate --reoptimize``'s work (analyses.reoptimize, one
  process) against the fair warm direct loop: one Highs, each sample's changed
  coefficients pushed, run warm (bench_uncertainty.warm_direct).

Figures are wall seconds, what a planner waits; each row with a direct side also
gives both sides' CPU seconds (children included) in the notes, which others' load
on the machine moves less.

The table goes to stdout (and to ``--markdown FILE``); progress to stderr. The
whole run takes about 10 minutes on an idle 2-core machine, ``--quick`` (fewer
repeats, points and samples) about 4. 10,000 x 20 runs only with ``--large`` (or
``--only scale-10000``): direct highspy alone had not finished that LP after 7
minutes of CPU here, so without it its lines are shown unmeasured. A ratio is met when, shown to two
decimals, it is at most the goal's.

    python scripts/bench_all.py [--quick] [--large] [--only ROW[,ROW...]] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
THREE_YEAR = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"
REPORT_ARGS = ["--config", "configs/pakistan_it_exports_3yr.yaml", "--ceilings",
               "200M:3B:200M", "--explain"]


@dataclass(frozen=True)
class Goal:
    """What a row must reach: ``text`` as the issue words it, and the tests it means."""

    text: str
    ratio: float | None = None
    """Met when engine / direct, to two decimals, is at most this."""
    limit: float | None = None
    """Met when the engine's figure (in the row's unit) is at most this."""


@dataclass
class Row:
    """One line of the table: figures in ``unit`` ("s", "ms/point", "MB")."""

    key: str
    work: str
    goal: Goal
    engine: float | None = None
    direct: float | None = None
    unit: str = "s"
    notes: list[str] = field(default_factory=list)
    cpu: tuple[float, float] | None = None
    """(engine, direct) CPU seconds of the same work, children included: less
    sensitive than wall time to others' processes (shown in the notes)."""


def ratio(row: Row) -> float | None:
    """engine / direct, when both were measured."""
    if row.engine is None or row.direct is None or row.direct <= 0:
        return None
    return row.engine / row.direct


def met(row: Row) -> str:
    """"yes" when every test of the goal holds, "no" when one fails, "n/a" when the
    row was not measured. A ratio is compared as shown (two decimals), so that the
    table never says 1.30x beside "no" for a goal of 1.3x."""
    tests: list[bool] = []
    if row.goal.ratio is not None:
        r = ratio(row)
        if r is None:
            return "n/a"
        tests.append(round(r, 2) <= row.goal.ratio)
    if row.goal.limit is not None:
        if row.engine is None:
            return "n/a"
        tests.append(row.engine <= row.goal.limit)
    if not tests:
        return "n/a"
    return "yes" if all(tests) else "no"


def notes(row: Row) -> list[str]:
    """The row's notes, and its CPU figures when it has them."""
    out = list(row.notes)
    if row.cpu is not None:
        e, d = row.cpu
        out.append(f"{row.key}: CPU seconds (children included) engine {e:.2f}, direct "
                   f"{d:.2f}: {e / d:.2f}x" if d > 0 else f"{row.key}: CPU {e:.2f} s")
    return out


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "s" and value < 0.1:
        return f"{value * 1e3:.1f} ms"
    if unit == "ms/point":
        return f"{value:.1f} ms/point"
    return f"{value:.2f} s"


def table(rows: Iterable[Row]) -> str:
    """The Markdown table: work, engine, direct (same run), ratio, goal, met?"""
    lines = ["| work | engine | direct (same run) | ratio | goal | met? |",
             "|---|---:|---:|---:|---|---|"]
    for row in rows:
        r = ratio(row)
        lines.append(f"| {row.work} | {cell(row.engine, row.unit)} | "
                     f"{cell(row.direct, row.unit)} | "
                     f"{'—' if r is None else f'{r:.2f}x'} | {row.goal.text} | {met(row)} |")
    return "\n".join(lines)


def header(started: datetime.datetime, before: tuple[float, ...], after: tuple[float, ...],
           seconds: float, label: str) -> str:
    load = " ".join(f"{x:.2f}" for x in before), " ".join(f"{x:.2f}" for x in after)
    return (f"bench_all {started:%Y-%m-%d %H:%M} UTC, commit {commit()}, HiGHS "
            f"{highs_version()}, {os.cpu_count()} CPUs, load average (1, 5, 15 min) "
            f"{load[0]} before, {load[1]} after; {seconds / 60:.1f} min"
            + (f" (--{label})" if label else ""))


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                              text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain",
                                                      "--untracked-files=no") else "")


def highs_version() -> str:
    from importlib.metadata import version

    return version("highspy")


@dataclass(frozen=True)
class Sizes:
    """How much each row does: the issue's sizes, fewer repeats with --quick, toy sizes
    with --tiny (for the tests)."""

    repeat: int = 3
    scale: tuple[tuple[int, int], ...] = ((500, 10), (1000, 10), (10000, 20))
    sweep_lp: tuple[int, int] = (500, 10)
    lp_points: int = 50
    mip_points: int = 100
    knapsacks: tuple[tuple[int, int, int], tuple[int, int, int]] = ((100, 5, 3), (1000, 1, 1))
    samples: int = 1000
    label: str = ""


FULL = Sizes()
QUICK = Sizes(repeat=1, lp_points=10, mip_points=30, samples=200, label="quick")
TINY = Sizes(repeat=1, scale=((20, 5), (40, 5), (60, 5)), sweep_lp=(20, 5), lp_points=3,
             mip_points=3, knapsacks=((10, 2, 1), (50, 1, 1)), samples=5, label="tiny")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _command(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of the ``optimize`` console script, a fresh process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "optimize"), *args], check=True,
                   capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def report_row(sizes: Sizes) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = _command(["report", *REPORT_ARGS, "--output", str(Path(tmp) / "memo")])
    return [Row("report", "`optimize report` on the three-year scenario (the README's, "
                "--explain), wall", Goal("≤ 8 s idle, with progress", limit=8.0), wall,
                notes=[f"report: {cpu:.1f} s of CPU (children included); its progress bar "
                       "shows on a terminal (tests/test_progress.py), not in this capture"])]


def explain_row(sizes: Sizes) -> list[Row]:
    import bench_explain

    (wall, cpu), _ = bench_explain.command(sizes.repeat, None)
    return [Row("explain", "`optimize explain` on the three-year scenario, wall",
                Goal("≤ 1 s", limit=1.0), wall,
                notes=[f"explain: median of {sizes.repeat} fresh processes after one warm-up, "
                       f"{cpu:.2f} s of CPU"])]


def _scale(levers: int, periods: int, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median build+solve of each side in fresh processes, taking turns; the peak MB of
    each side's largest child."""
    import bench_scale

    runs: dict[str, list[dict[str, float]]] = {"direct": [], "engine": []}
    for _ in range(repeat):
        for kind in runs:
            runs[kind].append(bench_scale.measure(kind, levers, periods, 1))
    d, e = ({"total": statistics.median(r["total"] for r in rs),
             "cpu": statistics.median(r["cpu"] for r in rs),
             "peak_mb": max(r["peak_mb"] for r in rs), "cost": rs[0]["cost"],
             "columns": rs[0].get("columns", 0)} for rs in runs.values())
    assert abs(d["cost"] - e["cost"]) <= 1e-6 * max(1.0, abs(d["cost"])), (d, e)
    return d, e


def _scale_rows(index: int, goal: float, sizes: Sizes, memory: float | None = None
                ) -> list[Row]:
    levers, periods = sizes.scale[index]
    repeat = 1 if index == 2 else sizes.repeat
    d, e = _scale(levers, periods, repeat)
    key = ("scale-500", "scale-1000", "scale-10000")[index]
    what = f"build+solve, {levers:,} levers × {periods} periods ({int(d['columns']):,} columns)"
    rows = [Row(key, what, Goal(f"≤ {goal}x direct", ratio=goal), e["total"], d["total"],
                notes=[f"{key}: median of {repeat} fresh processes a side, taking turns"],
                cpu=(e["cpu"], d["cpu"]))]
    if memory is not None:
        rows.append(Row(key, f"{what}, peak memory", Goal(f"≤ {memory}x direct",
                                                          ratio=memory),
                        e["peak_mb"], d["peak_mb"], unit="MB",
                        notes=[f"{key}: peak resident memory of each side's child process "
                               "(interpreter and imports included)"]))
    return rows


def large_row(sizes: Sizes) -> list[Row]:
    """scale-10000 when --large is not given: its lines of the table, unmeasured."""
    levers, periods = sizes.scale[2]
    what = f"build+solve, {levers:,} levers × {periods} periods"
    note = ("scale-10000: not run; add --large (direct highspy alone had not finished "
            "this LP after 7 minutes of CPU here)")
    return [Row("scale-10000", what, Goal("≤ 1.3x direct", ratio=1.3), notes=[note]),
            Row("scale-10000", f"{what}, peak memory", Goal("≤ 1.5x direct", ratio=1.5),
                unit="MB")]


def sweep_lp_row(sizes: Sizes) -> list[Row]:
    import bench_sweep

    levers, periods = sizes.sweep_lp
    loadout, top = bench_sweep.generated(levers, periods)
    got = bench_sweep.compare(loadout, top, sizes.lp_points)
    n = sizes.lp_points
    return [Row("sweep-lp", f"sweep per point, {levers} × {periods} LP (max_exports)",
                Goal("≤ 1.3x a warm direct loop", ratio=1.3), got["engine"] / n * 1e3,
                got["direct"] / n * 1e3, unit="ms/point",
                notes=[f"sweep-lp: {n} ceilings; exports agree to {got['gap']:.0e}"],
                cpu=(got["engine_cpu"], got["direct_cpu"]))]


def sweep_mip_row(sizes: Sizes) -> list[Row]:
    import bench_sweep

    from optimizer.scenario import load_scenario

    got = bench_sweep.compare(load_scenario(THREE_YEAR), 3e9, sizes.mip_points)
    n = sizes.mip_points
    return [Row("sweep-mip", "sweep per point, three-year MIP (max_exports)",
                Goal("≤ 1.3x a warm direct loop", ratio=1.3), got["engine"] / n * 1e3,
                got["direct"] / n * 1e3, unit="ms/point",
                notes=[f"sweep-mip: {n} ceilings up to 3B; exports agree to {got['gap']:.0e}"],
                cpu=(got["engine_cpu"], got["direct_cpu"]))]


def _knapsack(index: int, sizes: Sizes) -> list[Row]:
    import bench_max_exports as bme

    items, resources, units = sizes.knapsacks[index]
    bme.warm_up()
    spec = bme.knapsack(items, resources, units, seed=1 if index == 0 else 2)
    d, e = bme.compare(spec, 1)
    what = f"max_exports MIP, {items:,}-item {resources}-resource knapsack (0-{units} units)"
    key = ("knapsack-100", "knapsack-1000")[index]
    return [Row(key, what, Goal("≤ 1.3x direct", ratio=1.3), e[1], d[1],
                notes=[f"{key}: both stages each side; the engine's second opinions run in "
                       "forked children"], cpu=(e[0], d[0]))]


def time_limit_row(sizes: Sizes) -> list[Row]:
    return [Row("time-limit", "`--time-limit 60` on a hard MIP",
                Goal("one total budget across stages, incumbent never worse than direct"),
                notes=["time-limit: not timed here; see the budget test"])]


def reoptimize_row(sizes: Sizes) -> list[Row]:
    import bench_uncertainty as bu
    from bench_max_exports import cpu

    from optimizer.analyses.reoptimize import reoptimize

    n, seed = sizes.samples, 2024
    loadout = bu.overlay(THREE_YEAR)
    c0 = cpu()
    got = reoptimize(loadout, n, seed)
    engine_cpu = cpu() - c0
    warm = bu.warm_direct(loadout, n, seed)
    gap, tolerated = bu.agree(warm["costs"], warm["violations"], got)
    return [Row("reoptimize", f"`simulate --reoptimize`, {n:,} samples, three-year MIP, "
                "one process", Goal("≤ 1.0x a fair warm direct loop", ratio=1.0),
                got.seconds, warm["seconds"],
                notes=[f"reoptimize: direct = one Highs, each sample's changed coefficients "
                       f"pushed and run warm, its matrices made beforehand (untimed, "
                       f"{warm['prepare']:.1f} s); costs agree to {gap:.0e}"
                       + (f" but at {len(tolerated)} samples where direct leans on HiGHS's "
                          "integrality tolerance" if tolerated else "")],
                cpu=(engine_cpu, warm["cpu"]))]



ROWS: dict[str, Callable[[Sizes], list[Row]]] = {
    "report": report_row,
    "explain": explain_row,
    "scale-500": lambda s: _scale_rows(0, 1.3, s),
    "scale-1000": lambda s: _scale_rows(1, 1.2, s),
    "scale-10000": lambda s: _scale_rows(2, 1.3, s, memory=1.5),
    "sweep-lp": sweep_lp_row,
    "sweep-mip": sweep_mip_row,
    "knapsack-100": lambda s: _knapsack(0, s),
    "knapsack-1000": lambda s: _knapsack(1, s),
    "time-limit": time_limit_row,
    "reoptimize": reoptimize_row,
}


def run(keys: list[str], sizes: Sizes, large: bool = True) -> list[Row]:
    """The rows of ``keys`` in turn; scale-10000 only its unmeasured lines unless
    ``large``."""
    rows: list[Row] = []
    for key in keys:
        if key == "scale-10000" and not large:
            rows.extend(large_row(sizes))
            continue
        say(f"bench_all: {key} (load {os.getloadavg()[0]:.2f}) ...")
        start = time.perf_counter()
        got = ROWS[key](sizes)
        say(f"bench_all: {key} took {time.perf_counter() - start:.1f} s")
        rows.extend(got)
    return rows


def bytecode() -> None:
    """The package's bytecode compiled first, as an installed package has it (pip
    compiles it on install): a checkout whose processes may not write it
    (PYTHONDONTWRITEBYTECODE, as on this machine, or a read-only tree) compiles every
    module of its own from source at each start, 0.2 s of each command here."""
    import compileall

    for package in ("optimizer", "models"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repeat, fewer sweep points, 200 samples")
    parser.add_argument("--tiny", action="store_true", help="toy sizes (for the tests)")
    parser.add_argument("--large", action="store_true",
                        help="also run scale-10000 (400,000 columns: upwards of 15 more "
                        "minutes, 3 GB a side)")
    parser.add_argument("--only", help="rows to run, comma-separated (see --list); "
                        "naming scale-10000 runs it")
    parser.add_argument("--list", action="store_true", help="print the rows' names")
    parser.add_argument("--markdown", type=Path, help="write the table to this file too")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(ROWS))
        return
    keys = list(ROWS) if not args.only else [k.strip() for k in args.only.split(",")]
    unknown = [k for k in keys if k not in ROWS]
    if unknown:
        parser.error(f"--only: no row {', '.join(unknown)} (rows: {', '.join(ROWS)})")
    sizes = TINY if args.tiny else QUICK if args.quick else FULL
    bytecode()
    started = datetime.datetime.now(datetime.UTC)
    before = os.getloadavg()
    t0 = time.perf_counter()
    rows = run(keys, sizes, large=args.large or bool(args.only) or args.tiny)
    text = "\n".join([
        header(started, before, os.getloadavg(), time.perf_counter() - t0,
               sizes.label), "", table(rows), "",
        *(f"- {note}" for row in rows for note in notes(row))])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
