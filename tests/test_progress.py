"""Progress on long steps: told as parts finish (in the process that draws, never in
a forked worker), drawn on stderr only when stderr is a terminal, and never changing
what goes to stdout."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from optimizer.analyses.chance import chance_sweep
from optimizer.analyses.explain import explain
from optimizer.scenario import load_scenario
from optimizer.solving.forked import forked_map

ROOT = Path(__file__).resolve().parents[1]
THREE_YEAR = ROOT / "configs" / "pakistan_it_exports_3yr.yaml"


def _square(i: int) -> int:
    time.sleep(0.01 * (i % 3))  # finishing out of order in the pool
    return i * i


@pytest.mark.parametrize("workers", [1, 2])
def test_forked_map_counts_every_task_as_it_finishes_and_keeps_task_order(
        workers: int) -> None:
    told: list[int] = []
    pid = os.getpid()

    def done(k: int) -> None:
        assert os.getpid() == pid  # told in the parent, where a bar is drawn
        told.append(k)

    assert forked_map(_square, 9, workers, done) == [i * i for i in range(9)]
    assert told == list(range(1, 10))


def test_explain_tells_its_searches_tasks_and_gives_the_same_answer() -> None:
    lo = load_scenario(THREE_YEAR)
    bars: list[tuple[int, str, list[int]]] = []

    def progress(total: int, label: str) -> object:
        bars.append((total, label, []))
        return bars[-1][2].append

    sections = ("binding", "tornado", "ranging")
    told = explain(lo, sections=sections, progress=progress)  # type: ignore[arg-type]
    assert [(label) for _, label, _ in bars] == ["explain: ranging, binding, tornado"]
    total, _, ticks = bars[0]
    # every task of the three searches: 2 per limit, 1 per tornado move, 2 per range
    assert total == 2 * len(told.worth) + len(told.swings) + 2 * len(told.ranges)
    assert ticks == list(range(1, total + 1))
    again = explain(lo, sections=sections)  # (its Result differs in the seconds it took)
    assert (again.worth, again.swings, again.ranges) == (told.worth, told.swings, told.ranges)


def test_the_certainty_curve_tells_each_confidence(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(textwrap.dedent("""\
        name: one uncertain lever
        target: {exports: 100}
        levers:
          a: {unit_cost: 1, yield_per_unit: {dist: uniform, low: 1, high: 3}}
        uncertainty: {samples: 200, seed: 11}
        """))
    ticks: list[int] = []
    found = chance_sweep(load_scenario(path), [0.5, 0.8], samples=200, progress=ticks.append)
    assert ticks == [1, 2] and len(found) == 2


def _run(args: list[str], stderr_on_a_terminal: bool) -> tuple[bytes, bytes, int]:
    """The command's stdout, what reached its stderr, and its exit status; stderr a
    pseudo-terminal or a pipe."""
    cmd = [sys.executable, "-m", "optimizer.cli", *args]
    env = dict(os.environ, COLUMNS="100", TERM="xterm")
    if not stderr_on_a_terminal:
        done = subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env, timeout=600)
        return done.stdout, done.stderr, done.returncode
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    assert proc.stdout is not None
    got = {master: b"", proc.stdout.fileno(): b""}
    open_ends = set(got)
    while open_ends:  # both ends read to their close, so neither pipe fills up
        for fd in select.select(list(open_ends), [], [], 60.0)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # (a terminal whose other end closed: EIO)
                chunk = b""
            if chunk:
                got[fd] += chunk
            else:
                open_ends.discard(fd)
    os.close(master)
    return got[proc.stdout.fileno()], got[master], proc.wait(timeout=60)


def test_explain_draws_its_bar_on_a_terminal_only_and_stdout_stays_the_same() -> None:
    args = ["explain", "--config", str(THREE_YEAR), "--sections", "tornado,ranging"]
    piped_out, piped_err, piped_rc = _run(args, stderr_on_a_terminal=False)
    tty_out, tty_err, tty_rc = _run(args, stderr_on_a_terminal=True)
    assert piped_rc == tty_rc == 0
    assert piped_err == b""  # no terminal: no bar, not even a blank line
    assert b"explain: ranging, tornado" in tty_err  # the bar, on the terminal
    assert b"\x1b" not in tty_out

    def timeless(text: bytes) -> bytes:  # (the solve's seconds differ run to run)
        return re.sub(rb"HiGHS [\d.]+, [\d.]+ s", b"HiGHS", text)

    assert timeless(tty_out) == timeless(piped_out)
