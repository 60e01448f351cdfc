"""A wide random comparison of the engine (as the CLI shows it) with the scipy reference.

Case i of seed S is always the same file (``tests/wide.py``). Each case runs
``optimize --config FILE --format json`` in-process through click's CliRunner and
``tests.reference.reference_solve`` on the loaded scenario, in a pool of worker
processes so that a hung case can be killed: a case past ``--time-budget``
seconds of wall clock is a ``timeout_engine`` or ``timeout_reference`` finding
(by the stage it was in) and its worker is replaced.

    python scripts/fuzz_reference.py --count 500 --seed 1 --out /tmp/fuzz1 [--shrink]

Writes DIR/cases/case-S-I.yaml (every case), DIR/failures/<class>/case-S-I.yaml
(every case not in tests.wide.ACCEPTABLE, with a comment header giving both
answers; ``--shrink`` adds case-S-I.shrunk.yaml beside it, for up to
--shrink-per-class cases of each class and one case per distinct error message)
and DIR/summary.json (counts per class, every case's verdict, the exit-2
messages), and prints a table of counts per class. Exit status 1 when a case
is in tests.wide.BAD (a finding against the engine), else 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import wide  # noqa: E402

# --- the pool -------------------------------------------------------------------------


def _worker(conn: Connection) -> None:
    """Judge the files sent on ``conn``; report each stage, then the verdict."""
    while True:
        task = conn.recv()
        if task is None:
            return
        key, path = task
        try:
            verdict = wide.judge(Path(path), lambda stage, info, k=key: conn.send(
                ("stage", k, (stage, info))))
        except Exception as exc:  # the harness itself: never lose the case
            import traceback

            verdict = {"class": "engine_error", "file": path, "engine": {},
                       "reference": {}, "notes": [f"harness: {type(exc).__name__}: {exc}",
                                                  traceback.format_exc()]}
        conn.send(("done", key, verdict))


@dataclass
class _Slot:
    process: Any
    conn: Connection
    task: tuple[Any, str] | None = None
    started: float = 0.0
    stage: str = "engine"
    engine: dict[str, Any] | None = None


@dataclass
class Pool:
    """Worker processes judging files, each case under a wall-clock limit."""

    workers: int
    limit: float
    slots: list[_Slot] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ctx = mp.get_context("fork")
        self.slots = [self._spawn() for _ in range(self.workers)]

    def _spawn(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def _replace(self, i: int) -> None:
        slot = self.slots[i]
        if slot.process.is_alive():
            slot.process.kill()  # our own worker, by its handle
        slot.process.join(5)
        slot.conn.close()
        self.slots[i] = self._spawn()

    def run(self, tasks: Iterable[tuple[Any, str]], stop_at: float | None = None
            ) -> Iterable[tuple[Any, dict[str, Any]]]:
        """Yield (key, verdict) for each (key, path) task as it finishes."""
        queue = list(tasks)
        queue.reverse()
        while queue or any(s.task for s in self.slots):
            for slot in self.slots:
                if slot.task is None and queue and (stop_at is None or time.time() < stop_at):
                    slot.task = queue.pop()
                    slot.started, slot.stage, slot.engine = time.time(), "engine", None
                    slot.conn.send(slot.task)
            if stop_at is not None and time.time() >= stop_at:
                queue.clear()
            busy = [s for s in self.slots if s.task]
            if not busy:
                break
            for conn in wait([s.conn for s in busy], timeout=0.5):
                slot = next(s for s in self.slots if s.conn is conn)
                try:
                    kind, key, payload = conn.recv()
                except (EOFError, OSError):
                    continue  # the process died: seen below
                if kind == "stage":
                    slot.stage, slot.engine = payload
                elif kind == "done" and slot.task is not None and key == slot.task[0]:
                    slot.task = None
                    yield key, payload
            now = time.time()
            for i, slot in enumerate(self.slots):
                if slot.task is None:
                    continue
                key, path = slot.task
                if not slot.process.is_alive():
                    verdict = {"class": "worker_crashed", "file": path, "engine": {},
                               "reference": {}, "notes": [
                                   f"exit code {slot.process.exitcode} in stage {slot.stage}"]}
                elif now - slot.started > self.limit:
                    verdict = {"class": f"timeout_{slot.stage}", "file": path,
                               "engine": slot.engine or {},
                               "reference": {}, "notes": [
                                   f"past the time budget of {self.limit:g} s in stage "
                                   f"{slot.stage}"]}
                else:
                    continue
                self._replace(i)
                yield key, verdict

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot.conn.send(None)
            except OSError:
                pass
        for slot in self.slots:
            slot.process.join(2)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(2)


# --- shrinking ------------------------------------------------------------------------


def shrink(pool: Pool, data: dict[str, Any], keep: str, scratch: Path, tag: str,
           max_seconds: float, log: Any) -> tuple[dict[str, Any], dict[str, Any] | None, int]:
    """Greedily simplify ``data`` while its ``tests.wide.signature`` stays ``keep``.

    Candidates (``tests.wide.candidates``: drop a lever, a constraint, the periods
    or one period, an optional field; round a number to 1-2 significant digits)
    are judged ``pool.workers`` at a time. The first that keeps the signature is
    taken, and the search goes on from the same place in the new candidate list;
    it ends after a full round of candidates with no success, or at the deadline.
    Returns the smallest data, its verdict, and the number of attempts.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + max_seconds
    best, best_verdict, attempts = data, None, 0
    pos, failed_in_row = 0, 0
    while time.time() < deadline:
        try:
            pending = wide.candidates(best)
        except Exception as exc:  # a shrinker bug must not lose the run
            log(f"    {tag}: no candidates ({type(exc).__name__}: {exc})")
            break
        if not pending or failed_in_row >= len(pending):
            break
        pos %= len(pending)
        batch = pending[pos: pos + pool.workers]
        tasks = []
        for j, (_, cand) in enumerate(batch):
            path = scratch / f"{tag}-try{attempts + j}.yaml"
            path.write_text(wide.to_yaml(cand), encoding="utf-8")
            tasks.append((j, str(path)))
        attempts += len(batch)
        got = dict(pool.run(tasks))
        for path_key in tasks:
            Path(path_key[1]).unlink(missing_ok=True)
        for j, (what, cand) in enumerate(batch):
            if j in got and wide.signature(got[j]) == keep:
                best, best_verdict = cand, got[j]
                pos, failed_in_row = pos + j, 0
                log(f"    {tag}: {what}")
                break
        else:
            pos += len(batch)
            failed_in_row += len(batch)
    return best, best_verdict, attempts


# --- the run --------------------------------------------------------------------------


def table(counts: Counter[str]) -> str:
    width = max(len(c) for c in wide.CLASSES)
    lines = [f"{'class':<{width}}  {'count':>6}  kind", "-" * (width + 20)]
    for cls in wide.CLASSES:
        if counts.get(cls):
            kind = "ok" if cls in wide.ACCEPTABLE else (
                "reference" if cls in wide.REFERENCE_DEFECTS else "FINDING")
            lines.append(f"{cls:<{width}}  {counts[cls]:>6}  {kind}")
    lines.append("-" * (width + 20))
    lines.append(f"{'total':<{width}}  {sum(counts.values()):>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100, help="cases to run (default 100)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first case index (default 0)")
    ap.add_argument("--only", help="comma-separated case indices to run instead")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--time-budget", type=float, default=60.0,
                    help="wall-clock seconds a case may take (default 60)")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="stop starting new cases after this many seconds (default: none)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shrink", action="store_true", help="shrink each failing case")
    ap.add_argument("--shrink-per-class", type=int, default=3,
                    help="failures shrunk per class (default 3)")
    ap.add_argument("--shrink-seconds", type=float, default=300.0,
                    help="wall-clock seconds spent shrinking one failure (default 300)")
    args = ap.parse_args(argv)

    # the heavy imports once, before the workers fork
    import optimizer.cli  # noqa: F401
    import optimizer.solving.engine  # noqa: F401
    import tests.reference  # noqa: F401

    out: Path = args.out
    cases_dir, fail_dir = out / "cases", out / "failures"
    cases_dir.mkdir(parents=True, exist_ok=True)
    indices = ([int(x) for x in args.only.split(",")] if args.only
               else list(range(args.start, args.start + args.count)))
    tasks = [(i, str(wide.write_case(args.seed, i, cases_dir))) for i in indices]

    started = time.time()
    pool = Pool(args.workers, args.time_budget)
    verdicts: dict[int, dict[str, Any]] = {}
    counts: Counter[str] = Counter()
    stop_at = None if args.max_seconds is None else started + args.max_seconds
    try:
        for i, verdict in pool.run(tasks, stop_at):
            verdicts[i] = verdict
            cls = verdict["class"]
            counts[cls] += 1
            if cls not in wide.ACCEPTABLE:
                target = fail_dir / cls / f"case-{args.seed}-{i}.yaml"
                target.parent.mkdir(parents=True, exist_ok=True)
                data = wide.case(args.seed, i)
                target.write_text(wide.to_yaml(data, wide.header(verdict, args.seed, i)),
                                  encoding="utf-8")
            done = len(verdicts)
            if done % 25 == 0 or cls not in wide.ACCEPTABLE:
                print(f"[{time.time() - started:7.1f} s] {done}/{len(tasks)} case {i}: {cls}",
                      flush=True)
        solve_seconds = time.time() - started
        shrunk: dict[str, list[str]] = {}

        def summarise() -> dict[str, Any]:
            total = time.time() - started
            exit2 = {str(i): v["engine"].get("message", "") for i, v in sorted(verdicts.items())
                     if v.get("engine", {}).get("exit") == 2}
            summary = {
                "seed": args.seed,
                "cases": len(verdicts),
                "requested": len(tasks),
                "time_budget": args.time_budget,
                "workers": args.workers,
                "solve_seconds": round(solve_seconds, 1),
                "shrink_seconds": round(total - solve_seconds, 1),
                "counts": dict(sorted(counts.items())),
                "findings": sum(n for c, n in counts.items() if c in wide.BAD),
                "reference_defects": sum(n for c, n in counts.items()
                                         if c in wide.REFERENCE_DEFECTS),
                "failures": {c: sorted(i for i, v in verdicts.items() if v["class"] == c)
                             for c in counts if c not in wide.ACCEPTABLE},
                "shrunk": shrunk,
                "exit2_messages": exit2,
                "verdicts": {str(i): verdicts[i] for i in sorted(verdicts)},
            }
            (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str),
                                              encoding="utf-8")
            return summary

        summary = summarise()
        print()
        print(table(counts))
        print(f"\n{len(verdicts)} cases in {solve_seconds:.1f} s; summary in "
              f"{out / 'summary.json'}", flush=True)

        if args.shrink:
            per_class: Counter[str] = Counter()
            seen: set[str] = set()
            for i in sorted(verdicts):
                cls = verdicts[i]["class"]
                sig = wide.signature(verdicts[i])
                if cls in wide.ACCEPTABLE or cls.startswith("timeout") or (
                        per_class[cls] >= args.shrink_per_class) or (
                        sig in seen and sig != cls):
                    continue  # errors: one case per distinct message
                per_class[cls] += 1
                seen.add(sig)
                print(f"shrinking case {i} ({cls})", flush=True)
                small, small_verdict, attempts = shrink(
                    pool, wide.case(args.seed, i), sig, out / "shrink-tmp",
                    f"case-{args.seed}-{i}", args.shrink_seconds, print)
                target = fail_dir / cls / f"case-{args.seed}-{i}.shrunk.yaml"
                note = f"shrunk from case-{args.seed}-{i}.yaml in {attempts} attempts"
                verdict = small_verdict or verdicts[i]
                target.write_text(wide.to_yaml(wide.prettify(small),
                                               note + "\n" + wide.header(verdict)),
                                  encoding="utf-8")
                shrunk.setdefault(cls, []).append(str(target))
                summary = summarise()
            print(f"shrinking took {time.time() - started - solve_seconds:.1f} s; shrunk "
                  f"cases: {sum(len(v) for v in shrunk.values())}\n")
            print(table(counts))
    finally:
        pool.close()
    return 0 if summary["findings"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
