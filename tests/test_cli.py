"""Every exit status through Click's CliRunner, and what each writes."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import optimizer.solving.highs as solve_module
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "configs" / "pakistan_it_exports.yaml"
Write = Callable[..., Path]




def test_shipped_scenario_prints_the_table() -> None:
    code, out, err = invoke("--config", SHIPPED)
    assert code == 0, err
    assert "Additional IT workforce trained and placed" in out
    assert "136,000" in out  # workers: (7.4B - 3B - 1B) / 25,000
    assert "163,508,772" in out  # total cost in USD
    assert ("One more 1,000,000 USD of exports costs 42,105 USD (re-solved): a marginal "
            "cost of 0.04211 per 1 USD of exports.") in out


def test_json_matches_the_spec_shape() -> None:
    code, out, _ = invoke("--config", SHIPPED, "--format", "json")
    assert code == 0
    data = json.loads(out)
    for key in ("scenario", "status", "objective", "currency", "total_cost", "lever_exports",
                "total_exports", "needed_exports", "budget_ceiling", "allocation", "binding",
                "marginal_cost_of_target", "solver", "scenario_sha256"):
        assert key in data
    assert data["status"] == "optimal"
    assert data["total_exports"] == pytest.approx(data["lever_exports"] + 2.6e9)
    assert [a["lever"] for a in data["allocation"]] == [
        "it_workforce", "erozgar_centers", "dollar_retention", "startup_fund"
    ]
    assert data["allocation"][0]["units"] == 136000
    assert data["solver"]["mip_gap"] == 0.0
    assert len(data["scenario_sha256"]) == 64


def test_csv_and_markdown_formats() -> None:
    _, out, _ = invoke("--config", SHIPPED, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["lever"] for r in rows][0] == "it_workforce"
    assert float(rows[0]["units"]) == 136000
    _, md, _ = invoke("--config", SHIPPED, "--format", "markdown")
    assert md.startswith("## Pakistan")
    assert "| Additional IT workforce trained and placed | 136,000 |" in md


def test_output_dir_gets_three_files(tmp_path: Path) -> None:
    code, out, _ = invoke("--config", SHIPPED, "--output", tmp_path / "out", "--format", "json")
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["allocation.csv", "allocation.md", "result.json"]
    assert json.loads((tmp_path / "out" / "result.json").read_text()) == json.loads(out)


def test_overrides_from_the_command_line() -> None:
    # The lever-only reading: every lever to its cap (10B), ceiling ample.
    code, out, _ = invoke("--config", SHIPPED, "--target", "12.6B", "--format", "json")
    assert code == 0
    assert json.loads(out)["lever_exports"] == pytest.approx(10e9)
    code, out, _ = invoke("--config", SHIPPED, "--objective", "max_exports", "--ceiling",
                          "100M", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["budget_ceiling"] == 100e6
    assert "budget.ceiling" in data["binding"]


def test_exit_2_for_an_invalid_scenario_and_nothing_written(
    scenario_file: Write, tmp_path: Path
) -> None:
    path = scenario_file("""
        name: typo
        target: {exports: 10B}
        levers:
          a: {unit_cost: 1, yield_per_unit: 2, max_unit: 5}
    """)
    code, out, err = invoke("--config", path, "--output", tmp_path / "out")
    assert code == 2
    assert out == ""
    assert "scenario.yaml:5:" in err and "levers.a.max_unit" in err
    assert "did you mean 'max_units'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_exit_2_for_a_bad_command_line_value(tmp_path: Path) -> None:
    code, _, err = invoke("--config", SHIPPED, "--ceiling", "5m", "--output", tmp_path / "o")
    assert code == 2
    assert "budget.ceiling" in err and "lower-case m" in err and "command line" in err
    assert not (tmp_path / "o").exists()
    code, _, err = invoke("--config", tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml" in err
    code, _, err = invoke("--format", "json")
    assert code == 2 and "--config" in err


def test_exit_3_infeasible_with_the_reachable_maximum(scenario_file: Write, tmp_path: Path) -> None:
    path = scenario_file("""
        name: out of reach
        target: {exports: 1000}
        budget: {ceiling: 50}
        levers:
          a: {unit_cost: 1, yield_per_unit: 2, max_units: 100}
    """)
    code, out, err = invoke("--config", path, "--format", "json", "--output", tmp_path / "o")
    assert code == 3
    assert "at most 100 USD is reachable" in err
    assert "budget.ceiling" in err
    data = json.loads(out)
    # the plan shown is the cheapest within the spec's 1e-9 of the most exports
    assert data["status"] == "infeasible"
    assert data["lever_exports"] == pytest.approx(100, rel=2e-9)
    assert (tmp_path / "o" / "result.json").exists()


def _hard_knapsack(write: Write) -> Path:
    rng = random.Random(1)
    levers = "\n".join(
        f"  l{i}: {{unit_cost: {rng.randint(1000, 9999)}, yield_per_unit: "
        f"{rng.randint(1000, 9999)}, integer: true, max_units: {rng.randint(3, 30)}, "
        f"fixed_cost: {rng.randint(1000, 50000)}}}"
        for i in range(60)
    )
    return write(f"name: knapsack\ntarget: {{exports: 1234567}}\nlevers:\n{levers}\n")


def test_exit_4_when_a_limit_stops_before_any_plan(scenario_file: Write) -> None:
    code, out, err = invoke("--config", _hard_knapsack(scenario_file), "--time-limit", "1e-6",
                            "--format", "json")
    assert code == 4
    data = json.loads(out)
    assert data["status"] == "limit_without_plan" and data["allocation"] == []
    assert "before any plan" in err


def test_exit_4_with_the_best_plan_marked(
    scenario_file: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit that leaves a plan: shown, re-checked, and marked as not proven."""
    original = solve_module.Highs.solve

    def limited(self: solve_module.Highs, m: object, **kw: object) -> solve_module.Outcome:
        out = original(self, m, **kw)  # type: ignore[arg-type]
        return replace(out, status=solve_module.Status.LIMIT_WITH_PLAN, termination="maxTimeLimit",
                       gap=0.05)

    monkeypatch.setattr(solve_module.Highs, "solve", limited)
    code, out, err = invoke("--config", SHIPPED)
    assert code == 4
    assert "NOT proven optimal" in out
    # the table marks it; why it is not proven is a message, on stderr
    assert "within a gap of 5.00%" in err and "within a gap" not in out


def test_exit_4_when_the_plan_fails_its_recheck(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = solve_module.Highs.solve

    def corrupt(self: solve_module.Highs, m: object, **kw: object) -> solve_module.Outcome:
        out = original(self, m, **kw)  # type: ignore[arg-type]
        if out.has_plan:
            m.x[0, 0].set_value(m.x[0, 0].value + 100_000)  # type: ignore[attr-defined]
        return out

    monkeypatch.setattr(solve_module.Highs, "solve", corrupt)
    code, out, err = invoke("--config", SHIPPED, "--output", tmp_path / "o")
    # the solver gave no plan that could be shown: a solver outcome, not a bug
    assert code == 4
    assert out == ""
    assert "breaks the scenario" in err and "levers.it_workforce.max_units" in err
    assert not (tmp_path / "o").exists()


def test_exit_1_for_an_unexpected_error_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import optimizer.solving.engine

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(optimizer.solving.engine, "solve_scenario", boom)
    code, _, err = invoke("--config", SHIPPED)
    assert code == 1
    assert "disk on fire" in err and "Traceback" not in err


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_why_a_file_is_infeasible_goes_to_stderr_in_every_format(fmt: str) -> None:
    """stdout carries the result only (README, "Command line"): the reason, the
    conflicting limits and the repairs are messages. The table and Markdown carried
    them on stdout (Markdown twice, and again on stderr)."""
    infeasible = Path(__file__).resolve().parents[1] / "configs/examples/infeasible.yaml"
    code, out, err = invoke("--config", infeasible, "--format", fmt)
    assert code == 3
    for line in ("infeasible: the levers must add 7,400,000,000 USD", "Cheapest repairs:",
                 "Limits that cannot all hold:"):
        # (result JSON has a message field: there the words are data of the result)
        assert line in err and (fmt == "json" or line not in out), (fmt, line)
    assert err.count("infeasible: the levers must add") == 1


@pytest.mark.parametrize("command", ["sweep", "explain", "simulate", "report"])
def test_variant_help_says_what_the_command_takes(command: str) -> None:
    """Four commands promised `--variant all` in their help and then refused it."""
    code, out, _ = invoke(command, "--help")
    assert code == 0
    help_text = " ".join(out.split())
    assert "one at a time; 'all' is for optimize and compare" in help_text
    assert "('all': the file and every variant)" not in help_text


def test_yield_suggests_yield_per_unit(tmp_path: Path) -> None:
    path = tmp_path / "y.yaml"
    path.write_text("name: y\ntarget: {exports: 10}\nlevers:\n  a: {unit_cost: 5, yield: 1}\n")
    code, _, err = invoke("--config", path)
    assert code == 2
    assert "levers.a.yield: unknown field 'yield'; did you mean 'yield_per_unit'?" in err
