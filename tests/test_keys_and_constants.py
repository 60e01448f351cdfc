"""Non-finite constants in constraint expressions, and period keys written
both as a number and as text.

Bad files go through the command line, one per error message, as in
test_validation: exit 2, the file, the line, the field and the value, no
traceback, nothing written under --output.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.errors import ScenarioError
from optimizer.scenario import validate
from optimizer.scenario.expressions import ExpressionError, parse_relation
from optimizer.scenario.loader import load_yaml_text


def with_constraints(*exprs: str, levers: str = "") -> str:
    """Two good levers (a, b) and one constraint per expression, the first on line 7."""
    body = textwrap.indent(
        textwrap.dedent(levers).strip()
        or "a: {unit_cost: 1, yield_per_unit: 2}\nb: {unit_cost: 1, yield_per_unit: 1}",
        "  ",
    )
    cons = "".join(f"  - expr: {json.dumps(e)}\n" for e in exprs)
    return f"name: t\ntarget: {{exports: 10}}\nlevers:\n{body}\nconstraints:\n{cons}"


HUGE_HEX = "0x" + "f" * 300

# (id, file text, substrings every one of which must appear in stderr)
CONSTANT_CASES = [
    ("literal too large", with_constraints("a <= 1e999"),
     [":7:", "constraints[0].expr", "'a <= 1e999'", "1e999 is not a finite number", "(got inf)"]),
    ("product overflows, lower bound", with_constraints("a >= 1e200 * 1e200"),
     [":7:", "constraints[0].expr", "1e200 * 1e200 is not a finite number", "(got inf)"]),
    ("product overflows, upper bound", with_constraints("a <= 1e200 * 1e200"),
     [":7:", "constraints[0].expr", "1e200 * 1e200 is not a finite number", "(got inf)"]),
    ("sum overflows", with_constraints("a <= 1e308 + 1e308"),
     ["constraints[0].expr", "1e308 + 1e308 is not a finite number", "(got inf)"]),
    ("difference overflows", with_constraints("a >= -1e308 - 1e308"),
     ["constraints[0].expr", "-1e308 - 1e308 is not a finite number", "(got -inf)"]),
    ("quotient overflows", with_constraints("a <= 1 / 1e-320"),
     ["constraints[0].expr", "1 / 1e-320 is not a finite number", "(got inf)"]),
    ("scaled literal too large", with_constraints("a <= 1e306B"),
     ["constraints[0].expr", "1e306B is not a finite number", "(got inf)"]),
    ("separated literal times a large one", with_constraints("a <= 1,000 * 1e306"),
     ["constraints[0].expr", "1,000 * 1e306 is not a finite number", "(got inf)"]),
    ("literal Python reads itself", with_constraints("a <= .5e999"),
     ["constraints[0].expr", ".5e999 is not a finite number", "(got inf)"]),
    ("integer too large for a float", with_constraints(f"a <= {HUGE_HEX}"),
     ["constraints[0].expr", "is not a finite number", "(got inf)"]),
    ("overflow hidden by a zero factor", with_constraints("a <= 1e200 * 1e200 * 0"),
     ["constraints[0].expr", "1e200 * 1e200 is not a finite number", "(got inf)"]),
    ("inf as a word", with_constraints("a <= inf"),
     ["constraints[0].expr", "inf is not a finite number", "never lever ids", "(got inf)"]),
    ("nan as a word", with_constraints("a <= nan"),
     ["constraints[0].expr", "nan is not a finite number", "(got nan)"]),
    ("Infinity in another case", with_constraints("a >= -Infinity"),
     ["constraints[0].expr", "Infinity is not a finite number", "(got inf)"]),
    ("inf as a lever argument", with_constraints("spend(inf) <= 3"),
     ["constraints[0].expr", "inf is a number, never a lever id", "(got inf)"]),
    ("coefficient overflows", with_constraints("1e308 * a + 1e308 * a <= 1"),
     ["constraints[0].expr", "the coefficient of a in 1e308 * a + 1e308 * a",
      "not a finite number", "(got inf)"]),
    ("coefficient of spend overflows", with_constraints("1e200 * (1e200 * spend(b)) <= 1"),
     ["constraints[0].expr", "the coefficient of spend(b)", "(got inf)"]),
    ("coefficients overflow once collected", with_constraints("1e308 * a <= -1e308 * a"),
     ["constraints[0].expr", "the coefficient of a, both sides collected", "(got inf)"]),
    ("constants overflow once collected", with_constraints("1e308 + a <= -1e308"),
     ["constraints[0].expr", "the constants, both sides collected", "(got -inf)"]),
    ("division by a literal zero", with_constraints("a <= 1 / 0"),
     ["constraints[0].expr", "division by zero in 1 / 0", "(got 0)"]),
    ("division by a folded zero", with_constraints("a / (2 - 2) <= 1"),
     ["constraints[0].expr", "division by zero in a / (2 - 2)", "(got 2 - 2 = 0)"]),
    ("division by an underflowed zero", with_constraints("a <= 1 / (1e-200 * 1e-200)"),
     ["constraints[0].expr", "division by zero", "(got 1e-200 * 1e-200 = 0)"]),
    ("second constraint", with_constraints("a <= 3", "b >= 1e999 - 5"),
     [":8:", "constraints[1].expr", "1e999 is not a finite number", "(got inf)"]),
    ("powers are not part of the grammar", with_constraints("a <= 10 ** 400"),
     ["constraints[0].expr", "operator Pow is not allowed"]),
    ("lever named nan", with_constraints(levers="a: {unit_cost: 1, yield_per_unit: 2}\n"
                                               "nan: {unit_cost: 1, yield_per_unit: 1}")
     .replace("constraints:\n", ""),
     [":5:", "levers.nan", "'nan' cannot be a lever id", "rename the lever", "(got 'nan')"]),
    ("lever named infinity beside a type error",
     "name: t\ntarget: {exports: 10}\nlevers:\n  a: {unit_cost: -1, yield_per_unit: 2}\n"
     "  infinity: {unit_cost: 1, yield_per_unit: 1}\n",
     [":4:", "levers.a.unit_cost", ":5:", "levers.infinity", "cannot be a lever id"]),
]

PERIOD_HEAD = "name: t\nperiods: [2024, 2025]\n"
KEY_CASES = [
    ("unit_cost_by_period",
     PERIOD_HEAD + "target: {exports: 10}\nlevers:\n"
     "  a: {unit_cost: 1, yield_per_unit: 2, unit_cost_by_period: {2024: 1, \"2024\": 3}}\n",
     [":5:", "levers.a.unit_cost_by_period.2024", "duplicate key '2024'",
      "2024 and '2024' name the same key", "first at line 5"]),
    ("unit_cost_by_period, block style, text first",
     PERIOD_HEAD + "target: {exports: 10}\nlevers:\n  a:\n    unit_cost: 1\n"
     "    yield_per_unit: 2\n    unit_cost_by_period:\n      \"2025\": 1\n      2025: 3\n",
     [":10:7:", "levers.a.unit_cost_by_period.2025", "duplicate key 2025",
      "'2025' and 2025", "first at line 9"]),
    ("milestones",
     PERIOD_HEAD + "target: {exports: 10, milestones: {2024: 1, '2024': 2}}\n"
     "levers:\n  a: {unit_cost: 1, yield_per_unit: 2}\n",
     [":3:", "target.milestones.2024", "duplicate key '2024'", "name the same key"]),
    ("per_period",
     PERIOD_HEAD + "target: {exports: 10}\nbudget:\n  per_period:\n    2024: 5\n"
     "    '2024': 6\nlevers:\n  a: {unit_cost: 1, yield_per_unit: 2}\n",
     [":7:5:", "budget.per_period.2024", "duplicate key '2024'", "first at line 6"]),
    ("a variant's per_period",
     PERIOD_HEAD + "target: {exports: 10}\nlevers:\n  a: {unit_cost: 1, yield_per_unit: 2}\n"
     "variants:\n  v:\n    budget.per_period: {2024: 5, '2024': 6}\n",
     [":8:", "variants.v.budget.per_period.2024", "duplicate key '2024'"]),
]


def run_bad(tmp_path: Path, text: str, *extra: str) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    out_dir = tmp_path / "out"
    result = CliRunner().invoke(main, ["--config", str(path), "--output", str(out_dir), *extra])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in err
    assert result.stdout == ""
    assert not out_dir.exists()
    return err.replace(str(path), "scenario.yaml")


@pytest.mark.parametrize(
    ("text", "needles"),
    [c[1:] for c in CONSTANT_CASES + KEY_CASES],
    ids=[c[0] for c in CONSTANT_CASES + KEY_CASES],
)
def test_bad_scenario_exits_2(tmp_path: Path, text: str, needles: list[str]) -> None:
    err = run_bad(tmp_path, text)
    assert "scenario.yaml:" in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in:\n{err}"
    assert "unknown lever" not in err


def test_the_inf_lever_repro_reports_both_problems(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        name: t
        target: {exports: 10}
        levers:
          a: {unit_cost: 1, yield_per_unit: 2}
          inf: {unit_cost: 1, yield_per_unit: 1}
        constraints:
          - expr: "a <= 1e999"
    """)
    err = run_bad(tmp_path, text)
    assert "(2 problems)" in err
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert lines == [
        "scenario.yaml:5:8: levers.inf: 'inf' cannot be a lever id: in constraint expressions "
        "inf, infinity and nan are numbers; rename the lever (got 'inf')",
        "scenario.yaml:7:11: constraints[0].expr: 'a <= 1e999': 1e999 is not a finite number; "
        "every constant must be finite (got inf)",
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = with_constraints("a <= 1e999", "b >= 1e200 * 1e200", "a / 0 <= 1",
                            levers="a: {unit_cost: 1, yield_per_unit: 2}\n"
                                   "b: {unit_cost: -1, yield_per_unit: 1}\n"
                                   "nan: {unit_cost: 1, yield_per_unit: 1}")
    err = run_bad(tmp_path, text)
    assert "(5 problems)" in err
    paths = [line.strip().split(": ")[1] for line in err.splitlines()[1:]]
    assert paths == ["levers.b.unit_cost", "levers.nan", "constraints[0].expr",
                     "constraints[1].expr", "constraints[2].expr"]


def test_every_mixed_period_key_is_reported_at_once(tmp_path: Path) -> None:
    text = (PERIOD_HEAD + "target: {exports: 10, milestones: {2024: 1, '2024': 2}}\n"
            "budget: {per_period: {'2025': 5, 2025: 6}}\nlevers:\n"
            "  a: {unit_cost: 1, yield_per_unit: 2, unit_cost_by_period: {2024: 1, '2024': 3}}\n")
    err = run_bad(tmp_path, text)
    assert "(3 problems)" in err
    paths = [line.strip().split(": ")[1] for line in err.splitlines()[1:]]
    assert paths == ["target.milestones.2024", "budget.per_period.2025",
                     "levers.a.unit_cost_by_period.2024"]


def test_a_mixed_mapping_on_the_command_line_is_refused(tmp_path: Path) -> None:
    text = PERIOD_HEAD + "target: {exports: 10}\nlevers:\n  a: {unit_cost: 1, yield_per_unit: 2}\n"
    err = run_bad(tmp_path, text, "--set", "budget.per_period={2024: 1, \"2024\": 3}")
    assert "--set 'budget.per_period=" in err
    assert "duplicate key '2024'" in err


GOOD_PERIODS = textwrap.dedent("""\
    name: t
    periods: [2024, 2025]
    target: {exports: 10, milestones: {2024: 1}}
    budget: {per_period: {2024: 50}}
    levers:
      a: {unit_cost: 1, yield_per_unit: 2, unit_cost_by_period: {2024: 1}}
    variants:
      dear: {levers.a.unit_cost_by_period.2024: 4}
""")


def solve_json(tmp_path: Path, text: str, *extra: str) -> dict[str, object]:
    path = tmp_path / "good.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("extra", "cost"),
    [
        ((), 5.0),  # 0.5 units at 1 in 2024 for the milestone, 4.5 at 1 in 2025
        (("--set", "levers.a.unit_cost_by_period.2024=2"), 5.5),
        (("--variant", "dear"), 6.5),
    ],
    ids=["as written", "--set", "variant"],
)
def test_a_dotted_period_key_replaces_the_entry_written_as_a_number(
    tmp_path: Path, extra: tuple[str, ...], cost: float
) -> None:
    got = solve_json(tmp_path, GOOD_PERIODS, *extra)
    assert got["total_cost"] == pytest.approx(cost)


def test_a_dotted_per_period_override_does_not_add_a_second_cap(tmp_path: Path) -> None:
    # Before, the override added "2024" beside 2024 and both caps applied: the
    # tighter, older one (0.4) would make the milestone unreachable.
    text = GOOD_PERIODS.replace("per_period: {2024: 50}", "per_period: {2024: 0.4}")
    got = solve_json(tmp_path, text, "--set", "budget.per_period.2024=0.5")
    assert got["total_cost"] == pytest.approx(5.0)


def test_the_schema_refuses_mixed_keys_built_without_the_loader() -> None:
    loaded = load_yaml_text(GOOD_PERIODS, "built.yaml")
    data = copy.deepcopy(loaded.data)
    data["levers"]["a"]["unit_cost_by_period"] = {2024: 1, "2024": 3}
    data["target"]["milestones"] = {"2024": 1, 2024: 3}
    data["budget"]["per_period"] = {2025: 1, "2025": 3}
    with pytest.raises(ScenarioError) as caught:
        validate(data, loaded)
    problems = {p.path: p.message for p in caught.value.problems}
    assert set(problems) == {"levers.a.unit_cost_by_period", "target.milestones",
                             "budget.per_period"}
    assert problems["levers.a.unit_cost_by_period"] == (
        "period '2024' is given twice, as 2024 and as '2024'; periods are compared as text, "
        "so write it once (got keys [2024, '2024'])"
    )
    assert all(p.line is not None for p in caught.value.problems)


def test_lever_ids_that_only_start_like_a_number_word_are_fine(tmp_path: Path) -> None:
    text = with_constraints("inflation + nano_fund <= 4 + infinity_pool", levers="""\
        inflation: {unit_cost: 1, yield_per_unit: 2}
        nano_fund: {unit_cost: 1, yield_per_unit: 1}
        infinity_pool: {unit_cost: 5, yield_per_unit: 1, max_units: 1}
    """)
    got = solve_json(tmp_path, text)
    assert got["status"] == "optimal"


@pytest.mark.parametrize(
    ("expr", "rhs"),
    [
        ("a <= 1e308", 1e308),
        ("a <= 1.7e308 - 1e308", 0.7e308),
        ("a <= 1e-400", 0.0),  # underflow to zero is finite
        ("a <= 1e200 * 1e100", 1e300),
        ("2 * a <= 1e300 / 1e-5", 1e305),
        ("a + 1e308 <= 1e308", 0.0),
    ],
)
def test_large_but_finite_constants_are_kept(expr: str, rhs: float) -> None:
    assert parse_relation(expr, ["a"]).rhs == pytest.approx(rhs)


def test_a_non_finite_constant_never_becomes_a_lever_term() -> None:
    # 1e999 once became the float repr "inf", which Python reads as a name
    with pytest.raises(ExpressionError, match=r"1e999 is not a finite number"):
        parse_relation("a <= 1e999", ["a", "inf"])
    with pytest.raises(ExpressionError, match=r"inf is not a finite number"):
        parse_relation("a <= inf", ["a", "inf"])


def test_messages_quote_sub_expressions_as_written() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_relation("a >= (1,000k\n  * 1e303)", ["a"])
    assert "1,000k * 1e303 is not a finite number" in str(caught.value)
