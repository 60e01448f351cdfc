"""scripts/bench_all.py: its table from fake measurements (ratios, met or not), and one
cheap row run end to end at toy sizes. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_all as ba  # noqa: E402


def _seconds(text: str) -> float:
    value, unit = text.split()
    return float(value) * {"s": 1.0, "ms": 1e-3}[unit]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


@pytest.mark.parametrize(("engine", "direct", "goal", "shown", "verdict"), [
    (1.3, 1.0, 1.3, "1.30x", "yes"),       # at the goal
    (1.31, 1.0, 1.3, "1.31x", "no"),       # just over
    (1.304, 1.0, 1.3, "1.30x", "yes"),     # judged as shown, never "1.30x" beside "no"
    (1.306, 1.0, 1.3, "1.31x", "no"),
    (0.263, 0.1015, 1.3, "2.59x", "no"),   # 263 / 101.5 = 2.591...
    (45.0, 50.0, 1.0, "0.90x", "yes"),     # faster than direct
    (1500.0, 1000.0, 1.5, "1.50x", "yes"),
])
def test_ratio_goals(engine: float, direct: float, goal: float, shown: str,
                     verdict: str) -> None:
    row = ba.Row("k", "work", ba.Goal(f"≤ {goal}x direct", ratio=goal), engine, direct)
    assert ba.ratio(row) == pytest.approx(engine / direct)
    assert ba.met(row) == verdict
    cells = _cells(ba.table([row]).splitlines()[2])
    assert cells[3] == shown
    assert cells[5] == verdict


@pytest.mark.parametrize(("seconds", "verdict"), [(7.9, "yes"), (8.0, "yes"), (8.01, "no")])
def test_limit_goals(seconds: float, verdict: str) -> None:
    row = ba.Row("report", "report", ba.Goal("≤ 8 s idle", limit=8.0), seconds)
    assert ba.ratio(row) is None
    assert ba.met(row) == verdict
    assert _cells(ba.table([row]).splitlines()[2]) == [
        "report", f"{seconds:.2f} s", "—", "—", "≤ 8 s idle", verdict]


def test_unmeasured_and_both_tests() -> None:
    assert ba.met(ba.Row("t", "t", ba.Goal("see the budget test"))) == "n/a"
    assert ba.met(ba.Row("t", "t", ba.Goal("≤ 1.3x", ratio=1.3), engine=1.0)) == "n/a"
    both = ba.Goal("≤ 1.3x and ≤ 2 s", ratio=1.3, limit=2.0)
    assert ba.met(ba.Row("t", "t", both, 1.2, 1.0)) == "yes"
    assert ba.met(ba.Row("t", "t", both, 2.4, 2.0)) == "no"  # 1.2x, but over 2 s
    assert ba.met(ba.Row("t", "t", both, 1.5, 1.0)) == "no"  # under 2 s, but 1.5x


def test_cells_and_header() -> None:
    assert ba.cell(0.0404, "s") == "40.4 ms"
    assert ba.cell(4.482, "s") == "4.48 s"
    assert ba.cell(263.24, "ms/point") == "263.2 ms/point"
    assert ba.cell(1630.4, "MB") == "1,630 MB"
    assert ba.cell(None, "s") == "—"
    lines = ba.table([ba.Row("a", "a", ba.Goal("g", ratio=1.0), 1.0, 1.0)] * 3).splitlines()
    assert lines[0] == "| work | engine | direct (same run) | ratio | goal | met? |"
    assert len(lines) == 5
    import datetime
    head = ba.header(datetime.datetime(2026, 12, 7, 16, 5, tzinfo=datetime.UTC),
                     (0.5, 0.25, 0.125), (1.0, 2.0, 3.0), 90.0, "quick")
    assert "2026-12-07 16:05 UTC" in head
    assert "0.50 0.25 0.12 before, 1.00 2.00 3.00 after; 1.5 min (--quick)" in head


def test_only_the_cheapest_row_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_all.py"), "--tiny", "--only",
         "scale-500", "--markdown", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    table = [line for line in run.stdout.splitlines() if line.startswith("| build+solve")]
    assert len(table) == 1
    cells = _cells(table[0])
    assert cells[0] == "build+solve, 20 levers × 5 periods (200 columns)"
    engine, direct = (_seconds(c) for c in cells[1:3])
    # the cells are rounded to 3 significant figures: the ratio, from the unrounded
    # figures, within what that rounding allows
    assert float(cells[3][:-1]) == pytest.approx(engine / direct, rel=0.02)
    assert cells[5] == ("yes" if float(cells[3][:-1]) <= 1.3 else "no")
    assert out.read_text(encoding="utf-8") == run.stdout
    assert "CPUs, load average" in run.stdout


def test_unknown_row_is_refused() -> None:
    with pytest.raises(SystemExit) as exc:
        ba.main(["--only", "nonesuch"])
    assert exc.value.code == 2


def test_large_row_without_large_is_shown_unmeasured() -> None:
    rows = ba.run(["scale-10000", "time-limit"], ba.TINY, large=False)
    assert [r.key for r in rows] == ["scale-10000", "scale-10000", "time-limit"]
    assert [ba.met(r) for r in rows] == ["n/a"] * 3
    assert [r.unit for r in rows] == ["s", "MB", "s"]
    assert all(r.engine is None and r.direct is None for r in rows)
