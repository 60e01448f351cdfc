"""One bad scenario per error message, through the command line.

Each must exit 2 within 10 s, name the file, the line, the field and the
value, print no traceback, and write nothing under --output.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main

GOOD_LEVER = "b: {unit_cost: 1, yield_per_unit: 1, max_units: 10}"


def scenario(levers: str = "", extra: str = "", target: str = "{exports: 5}") -> str:
    body = textwrap.indent(textwrap.dedent(levers).strip() or GOOD_LEVER, "  ")
    return f"name: bad\ntarget: {target}\n{extra}levers:\n{body}\n"


# (id, file text, substrings every one of which must appear in stderr)
CASES = [
    ("duplicate key", "name: a\nname: b\ntarget: {exports: 5}\nlevers:\n  " + GOOD_LEVER + "\n",
     [":2:", "duplicate key", "'name'", "line 1"]),
    ("typo", scenario("b: {unit_cost: 1, yield_per_unit: 1, max_unit: 10}"),
     [":4:", "levers.b.max_unit", "did you mean 'max_units'"]),
    ("unknown currency", scenario("b: {unit_cost: 5 EUR, yield_per_unit: 1, max_units: 3}"),
     [":4:", "levers.b.unit_cost", "unknown currency 'EUR'", "'5 EUR'"]),
    ("negative cost", scenario("b: {unit_cost: -5, yield_per_unit: 1, max_units: 3}"),
     [":4:", "levers.b.unit_cost", "must be >= 0", "(got -5)"]),
    ("max below min", scenario("b: {unit_cost: 1, yield_per_unit: 1, min_units: 9, max_units: 3}"),
     [":4:", "levers.b.max_units", "must be >= min_units (9)", "(got 3)"]),
    ("unknown lever in expression",
     scenario(extra="constraints:\n  - expr: 'b <= 2 * c'\n"),
     [":4:", "constraints[0].expr", "unknown lever 'c'", "'b <= 2 * c'"]),
    ("python in expression",
     scenario(extra="constraints:\n  - expr: \"__import__('os').system('id') <= 1\"\n"),
     [":4:", "constraints[0].expr", "calls other than spend(ID), exports(ID) and outcome(O, ID)"]),
    ("attribute in expression",
     scenario(extra="constraints:\n  - expr: 'b.real <= 1'\n"),
     ["constraints[0].expr", "attribute is not allowed"]),
    ("product of names", scenario(extra="constraints:\n  - expr: 'b * b <= 1'\n"),
     ["constraints[0].expr", "not linear"]),
    ("strict inequality", scenario(extra="constraints:\n  - expr: 'b < 1'\n"),
     ["constraints[0].expr", "strict < and > are not allowed"]),
    ("disabled lever in expression",
     scenario("b: {unit_cost: 1, yield_per_unit: 1}\nc: {unit_cost: 1, yield_per_unit: 1, "
              "enabled: false}", extra="constraints:\n  - expr: 'b <= c'\n"),
     ["constraints[0].expr", "'c' is disabled"]),
    ("lower-case m", scenario(target="{exports: 5m}"),
     [":2:", "target.exports", "lower-case m", "'5m'"]),
    ("fixed cost with no bound", scenario("b: {unit_cost: 1, yield_per_unit: 1, fixed_cost: 5M}"),
     [":4:", "levers.b.fixed_cost", "needs an upper bound", "5,000,000"]),
    ("semi-continuous with no bound",
     scenario("b: {unit_cost: 1, yield_per_unit: 1, min_units_if_used: 50}"),
     ["levers.b.min_units_if_used", "needs an upper bound"]),
    ("broken yaml", "name: a\ntarget: {exports: 5\nlevers: {}\n", ["scenario.yaml:"]),
    ("tab indentation", "name: a\ntarget:\n\texports: 5\n", [":3:1:", "tab"]),
    ("alias", "name: &n a\ntarget: {exports: 5}\nlevers:\n  " + GOOD_LEVER + "\n",
     [":1:", "anchor"]),
    ("python tag", "name: !!python/object/apply:os.system ['echo pwned']\n",
     [":1:", "tag", "python/object/apply:os.system"]),
    ("set tag", "name: a\nx: !!set {a: null}\n", [":2:", "tag"]),
    ("multi-document", "name: a\n---\nname: b\n", ["multi-document"]),
    ("top level a list", "- a\n- b\n", ["mapping"]),
    ("boolean for a number", scenario("b: {unit_cost: 1, yield_per_unit: 1, max_units: yes}"),
     ["levers.b.max_units", "true/false", "(got true)"]),
    ("non-finite", scenario("b: {unit_cost: .nan, yield_per_unit: 1, max_units: 3}"),
     ["levers.b.unit_cost", "finite"]),
    ("fractional cap on an integer lever",
     scenario("b: {unit_cost: 1, yield_per_unit: 1, integer: true, max_units: 2.5}"),
     ["levers.b.max_units", "whole number", "(got 2.5)"]),
    ("recovery of 100%",
     scenario("b: {unit_cost: 1, yield_per_unit: 1, cost_recovery: 100%, max_units: 3}"),
     ["levers.b.cost_recovery", "[0, 1)", "'100%'"]),
    ("bad lever id", scenario("Bad-Id: {unit_cost: 1, yield_per_unit: 1}"),
     ["levers", "lever ids", "'Bad-Id'"]),
    ("missing required", scenario("b: {yield_per_unit: 1}"),
     ["levers.b.unit_cost", "required"]),
    ("max_exports without a ceiling", scenario(extra="objective: max_exports\n"),
     ["budget.ceiling", "needs a budget ceiling"]),
    ("unbounded exports",
     scenario("b: {unit_cost: 0, yield_per_unit: 1}", extra="objective: max_exports\n"
              "budget: {ceiling: 10}\n"),
     ["levers.b", "unbounded", "max_units"]),
    ("unknown objective", scenario(extra="objective: cheapest\n"),
     ["objective", "'min_cost'", "(got 'cheapest')"]),
    ("reporting currency not a code", "name: a\ncurrency: dollars\ntarget: {exports: 5}\n"
     "levers:\n  " + GOOD_LEVER + "\n", [":2:", "currency", "'dollars'"]),
    ("base-60 number", scenario("b: {unit_cost: 1, yield_per_unit: 1, max_units: 1:30}"),
     [":4:", "base-60", "1:30"]),
    ("octal-looking integer", scenario("b: {unit_cost: 1, yield_per_unit: 1, max_units: 010}"),
     [":4:", "010"]),
]


@pytest.mark.parametrize(("text", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_scenario_exits_2(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    out_dir = tmp_path / "out"
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["--config", str(path), "--output", str(out_dir)])
    assert time.perf_counter() - start < 10
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert str(path) in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err}"
    assert "Traceback" not in err
    assert result.stdout == ""
    assert not out_dir.exists()


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["--config", str(path)])
    assert time.perf_counter() - start < 2
    assert result.exit_code == 2
    assert "alias" in result.stderr or "anchor" in result.stderr


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(textwrap.dedent("""\
        name: many
        target: {exports: 10B}
        levers:
          a: {unit_cost: 100 EUR, yield_per_unit: 5m, max_unit: 3}
          b: {unit_cost: 1, yield_per_unit: 1, min_units: 9, max_units: 3}
          c: {unit_cost: 1, yield_per_unit: 1, fixed_cost: 1M}
        constraints:
          - expr: "a * b <= 3"
    """))
    result = CliRunner().invoke(main, ["--config", str(path)])
    assert result.exit_code == 2
    err = result.stderr
    assert "(6 problems)" in err
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert [line.split(": ")[1] for line in lines] == [
        "levers.a.unit_cost", "levers.a.yield_per_unit", "levers.a.max_unit",
        "levers.b.max_units", "levers.c.fixed_cost", "constraints[0].expr",
    ]


def test_a_valid_expression_with_scales_and_separators_loads(tmp_path: Path) -> None:
    from optimizer.scenario.expressions import Term, parse_relation

    rel = parse_relation("spend(a) + 2.5 * exports(b) - (a - 1,000) / 4 >= 1.5M + 2k", ["a", "b"])
    assert rel.sense == ">="
    assert rel.coefs == {Term("spend", "a"): 1.0, Term("exports", "b"): 2.5,
                         Term("units", "a"): -0.25}
    assert rel.rhs == pytest.approx(1.5e6 + 2e3 - 250)
