"""Hard stops (issue 18, items 3 and 8): a command killed with SIGKILL at any moment
leaves its --output folder holding the last complete set of files or the new one,
never a mix or half a file; two writers of one folder end with one complete set; a
write that fails leaves the old set; Ctrl-C stops a running HiGHS solve, a sweep
with workers or a report within a second or two, with one line and exit 130.

The kill runs go through a zygote: one process that imports the command line once
and forks a child per run, which runs ``optimize ...`` (the real entry point,
``optimizer.cli.main``) and is killed with a real SIGKILL. The moment is drawn from
a seeded generator: half the runs anywhere in the run, half within the write itself
(from the moment its lock file appears to as long after as a whole write takes).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "configs" / "examples"
RUNS = 20
SEED = 18

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked processes")

ZYGOTE = r"""
import json, os, sys, threading
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
import openpyxl
from optimizer.cli import main
import optimizer.present.formats.report_files
import optimizer.solving.engine

done = {}
threads = {}

def reap(pid):
    _, status = os.waitpid(pid, 0)
    done[pid] = os.waitstatus_to_exitcode(status)

print("ready", flush=True)
for line in sys.stdin:
    ask = json.loads(line)
    if "wait" in ask:
        threads[ask["wait"]].join()
        print(json.dumps(done.pop(ask["wait"])), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        os.environ.update(ask["env"])
        try:
            with open(ask["log"], "wb") as log:
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
            os.chdir(ask["cwd"])
            main(ask["args"], prog_name="optimize")
        except SystemExit as exc:
            os._exit(exc.code if isinstance(exc.code, int) else 1)
        except BaseException:
            os._exit(99)
        os._exit(98)
    threads[pid] = threading.Thread(target=reap, args=(pid,))
    threads[pid].start()
    print(pid, flush=True)
"""


class Zygote:
    def __init__(self, home: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0",
               "MPLBACKEND": "Agg"}
        self.home = home
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, cwd=home, text=True)
        assert self._line() == "ready"
        self.runs = 0

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def _ask(self, ask: dict[str, object]) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(ask) + "\n")
        self.proc.stdin.flush()
        return self._line()

    def start(self, *args: str | Path, env: dict[str, str] | None = None) -> int:
        self.runs += 1
        return int(self._ask({"args": [str(a) for a in args], "cwd": str(self.home),
                              "log": str(self.home / f"run{self.runs}.log"),
                              "env": env or {}}))

    def wait(self, pid: int) -> int:
        return int(self._ask({"wait": pid}))

    def run(self, *args: str | Path) -> int:
        return self.wait(self.start(*args))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    z = Zygote(tmp_path_factory.mktemp("zygote"))
    yield z
    z.close()


def _normal(data: bytes) -> bytes:
    """A file's bytes less what differs between two complete runs (solve times)."""
    data = re.sub(rb'"(\w*seconds)": [0-9.e-]+', rb'"\1": T', data)
    return re.sub(rb"\d+\.\d+ s\b", b"T s", data)


def _set(folder: Path) -> dict[str, bytes] | None:
    """The folder's visible files (hidden leftovers of a stop are not outputs)."""
    if not folder.exists():
        return None
    return {p.relative_to(folder).as_posix(): _normal(p.read_bytes())
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".")
                                       for part in p.relative_to(folder).parts)}


def _hidden(parent: Path, name: str) -> set[str]:
    return {p for p in os.listdir(parent) if p.startswith(f".{name}.")}


def _writing(parent: Path, name: str, before: set[str]) -> bool:
    """A write into ``parent/name`` has begun: a lock file or staging folder is there
    that was not there ``before`` the run (what an earlier kill left does not count)."""
    return bool(_hidden(parent, name) - before)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


COMMANDS = {
    # two scenarios whose sets differ (for optimize, in files too: periods.csv)
    "optimize": ([], EXAMPLES / "ceiling_max_exports.yaml",
                 EXAMPLES / "periods_lag_attrition.yaml"),
    # the same where renameat2 cannot swap (another system, another file system):
    # the old set renamed aside, the new one in, and the next run undoing a stop
    # between the two renames
    "optimize-aside": ([], EXAMPLES / "ceiling_max_exports.yaml",
                       EXAMPLES / "periods_lag_attrition.yaml"),
    "report": (["report"], EXAMPLES / "ceiling_max_exports.yaml",
               EXAMPLES / "linking_constraints.yaml"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_kill_at_any_moment_leaves_the_old_set_or_the_new_one(
        zygote: Zygote, tmp_path: Path, command: str) -> None:
    sub, *configs = COMMANDS[command]
    env = {"OPTIMIZE_NO_EXCHANGE": "1"} if command.endswith("-aside") else {}
    rng = random.Random(f"{SEED}-{command}")
    # the two complete sets, and how long a whole run and a whole write take
    sets, whole, write = [], 0.0, 0.0
    for i, config in enumerate(configs):
        folder = tmp_path / f"ref{i}"
        start = time.monotonic()
        pid = zygote.start(*sub, "--config", config, "--output", folder, env=env)
        while not _writing(tmp_path, f"ref{i}", set()) and _alive(pid):
            time.sleep(0.0005)
        locked = time.monotonic()
        assert zygote.wait(pid) == 0
        whole, write = max(whole, time.monotonic() - start), max(write,
                                                                  time.monotonic() - locked)
        found = _set(folder)
        assert found is not None
        sets.append(found)
    assert sets[0] != sets[1]
    folder = tmp_path / "out"
    held, outcomes, leftovers = None, [], 0
    for run in range(RUNS):
        new = 1 if held == 0 else 0
        before = _hidden(tmp_path, "out")
        pid = zygote.start(*sub, "--config", configs[new], "--output", folder, env=env)
        if run == RUNS - 1:
            # the last run is not killed: it ends with the new set, so the check below
            # does not depend on where the random kills land (a CI run once killed
            # all of them before their swap)
            code = zygote.wait(pid)
        else:
            if run % 2 == 0:  # anywhere in the run
                time.sleep(rng.uniform(0, whole))
            else:  # within the write
                end = time.monotonic() + 60
                while (not _writing(tmp_path, "out", before) and _alive(pid)
                       and time.monotonic() < end):
                    time.sleep(0.0002)
                time.sleep(rng.uniform(0, write))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:  # it had finished (and been reaped)
                pass
            code = zygote.wait(pid)
        found = _set(folder)
        aside = sorted(p for p in tmp_path.glob(".out.*.old") if p.is_dir())
        if found is None and aside and command.endswith("-aside"):
            # killed between the two renames: the old set waits aside, whole, and
            # the next run puts it back before anything else (files.py); it counts
            # as the folder's
            found = _set(aside[0])
        previous = None if held is None else sets[held]
        assert found in (previous, sets[new]), (
            f"run {run}: the folder holds neither the previous set nor the new one: "
            f"{sorted(found or {})}")
        if found is not None:
            held = sets.index(found)
        outcomes.append((code, found == sets[new]))
        leftovers += any(p.name.startswith(".out.") for p in tmp_path.iterdir())
    # the runs did stop at different moments: some before the swap, some after,
    # some in the middle of writing (a lock file or staging folder left behind)
    assert any(new for _, new in outcomes) and not all(new for _, new in outcomes)
    assert leftovers >= 1
    # the next complete run clears what the kills left, and writes its set
    new = 1 if held == 0 else 0
    assert zygote.wait(zygote.start(*sub, "--config", configs[new], "--output", folder,
                                    env=env)) == 0
    assert _set(folder) == sets[new]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("command", ["optimize", "report"])
def test_two_writers_of_one_folder_end_with_one_complete_set(
        zygote: Zygote, tmp_path: Path, command: str) -> None:
    sub, *configs = COMMANDS[command]
    sets = []
    for i, config in enumerate(configs):
        assert zygote.run(*sub, "--config", config, "--output", tmp_path / f"ref{i}") == 0
        sets.append(_set(tmp_path / f"ref{i}"))
    for round_ in range(3 if command == "optimize" else 2):
        folder = tmp_path / f"race{round_}"  # a new folder: both see it missing
        pids = [zygote.start(*sub, "--config", c, "--output", folder) for c in configs]
        assert [zygote.wait(pid) for pid in pids] == [0, 0]
        assert _set(folder) in sets
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_read_only_file_or_folder_in_the_way_does_not_stop_the_swap(
        zygote: Zygote, tmp_path: Path) -> None:
    """Last run's files made read-only (a planner protecting the memo) are replaced
    with the rest of the set: the folder is swapped, not written into file by file."""
    _, a, b = COMMANDS["report"]
    assert zygote.run("report", "--config", b, "--output", tmp_path / "ref") == 0
    folder = tmp_path / "memo"
    assert zygote.run("report", "--config", a, "--output", folder) == 0
    (folder / "report.xlsx").chmod(0o444)
    (folder / "charts").chmod(0o555)
    assert zygote.run("report", "--config", b, "--output", folder) == 0
    assert _set(folder) == _set(tmp_path / "ref")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(("errno_", "words"), [(28, "No space left on device"),
                                               (13, "Permission denied")])
def test_a_write_that_fails_is_exit_1_naming_the_path_and_leaves_the_old_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errno_: int, words: str) -> None:
    from optimizer.present import files

    config = EXAMPLES / "ceiling_max_exports.yaml"
    folder = tmp_path / "out"
    assert invoke("--config", EXAMPLES / "periods_lag_attrition.yaml",
                  "--output", folder).code == 0
    before = _set(folder)
    real = files._new_file

    def failing(path: Path, data: bytes) -> None:
        if path.name == "result.json":  # a later file: the first is already written
            with open(path, "wb") as handle:
                handle.write(data[: len(data) // 2])
            raise OSError(errno_, words, str(path))
        real(path, data)

    monkeypatch.setattr(files, "_new_file", failing)
    r = invoke("--config", config, "--output", folder)
    assert r.code == 1
    assert re.fullmatch(rf"error: could not write {re.escape(str(folder))}: {words} "
                        rf"\(.*/\.out\.[0-9a-f]{{12}}\.tmp/result\.json\); it is as it was\n",
                        r.err), r.err
    assert _set(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_full_disk_for_real_when_a_small_file_system_can_be_mounted(tmp_path: Path) -> None:
    """The same on a 96 KiB tmpfs (only where this user may mount one: root here;
    test_a_write_that_fails_... covers every machine): the report's charts do not
    fit."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the patched writer's test stands)")
    try:
        folder = mount / "memo"
        folder.mkdir()
        (folder / "report.md").write_bytes(b"last run's report")
        r = subprocess.run(
            [sys.executable, "-m", "optimizer.cli", "report", "--config",
             EXAMPLES / "ceiling_max_exports.yaml", "--output", folder],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120)
        assert r.returncode == 1
        assert r.stderr.startswith(f"error: could not write {folder}: No space left on device")
        assert len(r.stderr.strip().splitlines()) == 1
        assert _set(folder) == {"report.md": b"last run's report"}
        assert sorted(p.name for p in mount.iterdir()) == ["memo"]
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_link_to_nothing_as_output_is_refused_before_solving(tmp_path: Path) -> None:
    (tmp_path / "out").symlink_to("gone/away")
    r = invoke("--config", EXAMPLES / "ceiling_max_exports.yaml", "--output",
               tmp_path / "out")
    assert r.code == 2
    assert r.err == (f"error: --output {tmp_path / 'out'}: a link to gone/away, which does "
                     "not exist (make that folder, or give another)\n")
    assert r.out == "" and not (tmp_path / "gone").exists()


def test_output_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        assert invoke("--config", EXAMPLES / "periods_lag_attrition.yaml",
                      "--output", tmp_path / "out").code == 0
    finally:
        os.umask(mask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir()}
    assert modes == {"allocation.csv": 0o644, "allocation.md": 0o644, "periods.csv": 0o644,
                     "result.json": 0o644}
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def hard_scenario(levers: int = 60, rows: int = 30, seed: int = 1) -> str:
    """A multi-dimensional knapsack HiGHS needs a minute for (integer units, 30 random
    rows): a solve that runs long inside one HiGHS call."""
    rng = random.Random(seed)
    lines = ['name: "A hard knapsack"', "currency: USD", "objective: max_exports",
             "target:", "  exports: 1", "budget:", "  ceiling: 1B", "levers:"]
    for j in range(levers):
        lines += [f"  l{j}:", "    unit: unit", f"    unit_cost: {rng.randint(1, 9)}M",
                  f"    yield_per_unit: {rng.randint(10, 99)}M", "    max_units: 10",
                  "    integer: true"]
    lines.append("constraints:")
    for i in range(rows):
        a = [rng.randint(5, 60) for _ in range(levers)]
        expr = " + ".join(f"{v} * l{j}" for j, v in enumerate(a)) + f" <= {int(sum(a) * 2.3)}"
        lines += [f"  - name: row {i}", f'    expr: "{expr}"']
    return "\n".join(lines) + "\n"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ctrl_c(args: list[str | Path], ready: str, cwd: Path) -> tuple[int, float, str, str]:
    """Run ``optimize ARGS`` in its own process group, press Ctrl-C (SIGINT to the
    group, as a terminal does) once it is ``ready`` ("solving": 3 s of CPU spent;
    "workers": it has child processes, or has spent those 3 s), and return the exit
    code, the seconds from Ctrl-C to exit, stdout and stderr."""
    p = subprocess.Popen([sys.executable, "-m", "optimizer.cli", *map(str, args)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=cwd,
                         start_new_session=True)
    try:
        end = time.monotonic() + 120
        while p.poll() is None and time.monotonic() < end:
            if ready == "workers" and len(_children(p.pid)) >= 2:
                time.sleep(1.0)  # the workers have imported and are solving
                break
            if _cpu_seconds(p.pid) >= 3.0:  # past the imports (0.5 s), solving
                break
            time.sleep(0.05)
        assert p.poll() is None, "finished before it could be interrupted"
        pressed = time.monotonic()
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=60)
        return p.returncode, time.monotonic() - pressed, out, err
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_ctrl_c_stops_a_running_highs_solve_at_once_with_exit_130(tmp_path: Path) -> None:
    config = tmp_path / "hard.yaml"
    config.write_text(hard_scenario())
    code, seconds, out, err = _ctrl_c(
        ["--config", config, "--time-limit", "120", "--output", tmp_path / "out"],
        "solving", tmp_path)
    assert (code, err, out) == (130, "interrupted\n", "")
    assert seconds < 5, f"{seconds:.1f} s from Ctrl-C to exit"  # 15 s and more before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.yaml"]


def test_ctrl_c_during_a_sweep_on_workers_is_one_line_and_exit_130(tmp_path: Path) -> None:
    code, seconds, out, err = _ctrl_c(
        ["sweep", "--config", ROOT / "configs" / "pakistan_it_exports_3yr.yaml",
         "--ceilings", "100M:5B:10M", "--workers", "2", "--output", tmp_path / "out"],
        "workers", tmp_path)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 5, f"{seconds:.1f} s from Ctrl-C to exit"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_a_report_is_one_line_and_exit_130(tmp_path: Path) -> None:
    code, seconds, out, err = _ctrl_c(
        ["report", "--config", ROOT / "configs" / "pakistan_it_exports_3yr.yaml",
         "--ceilings", "200M:3B:200M", "--explain", "--output", tmp_path / "memo"],
        "workers", tmp_path)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 5, f"{seconds:.1f} s from Ctrl-C to exit"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_python_stops_a_highs_solve_with_keyboard_interrupt(tmp_path: Path) -> None:
    """Through the API (Python's own SIGINT handler): the solve stops within a second
    of Ctrl-C and KeyboardInterrupt is raised, where it used to come when HiGHS ended
    the run (the time limit here: 120 s)."""
    import threading

    from optimizer import api

    config = tmp_path / "hard.yaml"
    config.write_text(hard_scenario())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    pressed: list[float] = []

    def press() -> None:
        pressed.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(4.0, press)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            api.solve(config, time_limit=120)
    finally:
        timer.cancel()
    assert pressed, "the solve ended before Ctrl-C"
    assert time.monotonic() - pressed[0] < 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
