"""Issue 12 item 11, the small ones: ``--set FIELD=null`` on optional fields, a bad
lever id found beside every other error, and a 1,000-term constraint row."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from optimizer.scenario import load_scenario
from optimizer.scenario.expressions import MAX_LENGTH, ExpressionError, parse_relation
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke
from tests.reference import reference_solve

THREE_YEARS = Path("configs/pakistan_it_exports_3yr.yaml")


@pytest.mark.parametrize("field", [
    "target.milestones", "levers.it_workforce.lag", "levers.startup_fund.requires",
    "levers.it_workforce.max_units_per_period", "levers.dollar_retention.max_units",
])
def test_null_removes_an_optional_field(field: str, tmp_path: Path) -> None:
    """null is the field not written: the run equals the file with the key deleted."""
    import yaml

    loadout = load_scenario(THREE_YEARS, [(field, None)])
    data = yaml.safe_load(THREE_YEARS.read_text())
    *parents, last = field.split(".")
    node = data
    for part in parents:
        node = node[part]
    assert last in node  # the file sets it
    del node[last]
    path = tmp_path / "without.yaml"
    path.write_text(yaml.safe_dump(data))
    assert loadout.scenario == load_scenario(path).scenario
    assert loadout.scenario != load_scenario(THREE_YEARS).scenario
    assert [(o.path, o.value, o.source) for o in loadout.changes] == [(field, "null", "--set")]


def test_null_lag_solves_as_lag_zero(tmp_path: Path) -> None:
    """Lag's default is 0: --set lag=null equals --set lag=0, and scipy agrees."""
    nulled = solve_scenario(load_scenario(THREE_YEARS, [("levers.it_workforce.lag", None)]))
    zero = load_scenario(THREE_YEARS, [("levers.it_workforce.lag", 0)])
    ref = reference_solve(zero.scenario)
    assert ref.discounted_cost is not None and nulled.discounted_cost is not None
    assert nulled.discounted_cost == pytest.approx(ref.discounted_cost, rel=1e-6)
    assert nulled.discounted_cost == pytest.approx(solve_scenario(zero).discounted_cost,
                                                   rel=1e-12)
    # and differs from the file's own lag of 1
    assert nulled.discounted_cost != pytest.approx(
        solve_scenario(load_scenario(THREE_YEARS)).discounted_cost, rel=1e-3)


def test_null_title_and_json_say_null(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = invoke("--config", THREE_YEARS, "--set", "target.milestones=null", "--output", out)
    assert r.code == 0, r.err
    assert "Changed from the file: target.milestones = null (--set)." in r.out
    saved = json.loads((out / "result.json").read_text())
    assert saved["overrides"] == [{"path": "target.milestones", "value": "null",
                                   "source": "--set"}]


def test_null_on_a_required_field_is_a_clear_error(tmp_path: Path) -> None:
    r = invoke("--config", THREE_YEARS, "--set", "levers.it_workforce.unit_cost=null",
               "--output", tmp_path / "run")
    assert r.code == 2
    assert ("levers.it_workforce.unit_cost: required field is missing [set on the command "
            "line]") in r.err, r.err
    assert not (tmp_path / "run").exists()


def test_null_export_target_leaves_the_other_goals(tmp_path: Path) -> None:
    """target.exports is optional since outcomes (spec section 5): null removes the
    export goal. The three-year file keeps its milestones and constraints, so it
    still solves; a file with no other goal is refused, saying what it needs."""
    r = invoke("--config", THREE_YEARS, "--set", "target.exports=null", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["needed_exports"] is None and "target.exports" not in doc["binding"]
    lone = tmp_path / "lone.yaml"
    lone.write_text("name: lone\ntarget: {exports: 5}\nlevers:\n"
                    "  a: {unit_cost: 1, yield_per_unit: 1}\n", encoding="utf-8")
    r = invoke("--config", lone, "--set", "target.exports=null")
    assert r.code == 2 and "min_cost needs something to reach" in r.err, r.err


def test_set_does_not_create_a_lever() -> None:
    r = invoke("--config", THREE_YEARS, "--set", "levers.it_workfrce.lag=2")
    assert r.code == 2
    assert ("command line: levers.it_workfrce.lag: no lever 'it_workfrce' in the file; "
            "did you mean 'it_workforce'? (got 'it_workfrce')") in r.err
    assert "Traceback" not in r.err


BAD = """\
name: bad
currency: USD
target: {exports: 100}
levers:
  a:
    name: A
    unit: u
    unit_cost: -5
    yield_per_unit: 2
    requires: [nosuch]
    excludes: [zzz]
  b:
    name: B
    unit: u
    unit_cost: 1
    yield_per_unit: x
"""


def test_a_bad_lever_id_is_reported_with_every_other_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    r = invoke("--config", path)
    assert r.code == 2
    lines = [line.strip() for line in r.err.splitlines()[1:]]
    assert lines == [
        f"{path}:8:16: levers.a.unit_cost: must be >= 0 (got -5)",
        f"{path}:10:16: levers.a.requires[0]: unknown lever 'nosuch' (levers: a, b)",
        f"{path}:11:16: levers.a.excludes[0]: unknown lever 'zzz' (levers: a, b)",
        f"{path}:16:21: levers.b.yield_per_unit: expected an amount such as 2.6B, "
        "100,000 PKR or 1e9 (got 'x')",
    ]


def _resource_row(n: int) -> str:
    levers = "\n".join(
        f"  resource_lever_with_a_long_id_{i:04d}: {{name: L{i}, unit: u, "
        f"unit_cost: {10 + i % 7}, yield_per_unit: {20 + (i * 37) % 11}, max_units: 50}}"
        for i in range(n))
    row = " + ".join(f"{1 + (i % 5) * 0.25} * resource_lever_with_a_long_id_{i:04d}"
                     for i in range(n))
    return textwrap.dedent("""\
        name: resource row
        currency: USD
        target: {exports: 150000}
        levers:
        """) + levers + f"\nconstraints:\n  - name: resource\n    expr: \"{row} <= 9,000\"\n"


def test_a_1000_term_resource_row_solves_as_scipy_does(tmp_path: Path) -> None:
    """Refused before as longer than 2,000 characters (and at 400 terms as nested
    too deeply); the optimum agrees with scipy's milp built separately."""
    path = tmp_path / "row.yaml"
    path.write_text(_resource_row(1000))
    loadout = load_scenario(path)
    assert len(loadout.scenario.constraints[0].expr) > 30_000
    result = solve_scenario(loadout)
    ref = reference_solve(loadout.scenario)
    assert result.status == "optimal" and ref.status == "optimal"
    assert result.discounted_cost == pytest.approx(ref.discounted_cost, rel=1e-6)


def test_a_long_sum_keeps_every_term_and_sign() -> None:
    levers = [f"x{i}" for i in range(1500)]
    rel = parse_relation(" - ".join(f"{i + 1} * x{i}" for i in range(1500)) + " >= -5M",
                         levers)
    assert rel.coefs[next(t for t in rel.coefs if t.lever == "x0")] == 1.0
    assert all(c == -(int(t.lever[1:]) + 1) for t, c in rel.coefs.items() if t.lever != "x0")
    assert rel.rhs == -5e6


def test_the_expression_limit_is_stated() -> None:
    with pytest.raises(ExpressionError, match=r"longer than 100,000 characters \(got 100,010\)$"):
        parse_relation("a + " * 25_001 + "a <= 1", ["a"])
    assert MAX_LENGTH == 100_000


DIET = """\
name: diet-sized
currency: USD
target: {exports: 3}
levers:
  wheat: {name: Wheat flour, unit: lb, unit_cost: 36, yield_per_unit: 44.7}
  liver: {name: Liver, unit: lb, unit_cost: 1, yield_per_unit: 100, max_units: 0.0061}
"""


def test_diet_sized_figures_keep_their_digits(tmp_path: Path) -> None:
    """By hand: liver first (0.01 per unit of exports) to its cap of 0.0061 lb, giving
    0.61; wheat buys the other 2.39 at 36/44.7: 0.053468 lb for 1.924832; total cost
    0.0061 + 1.924832 = 1.930932. The table printed "2" and "0.00" before."""
    path = tmp_path / "diet.yaml"
    path.write_text(DIET)
    r = invoke("--config", path)
    assert r.code == 0, r.err
    rows = {line.split()[0]: line.split() for line in r.out.splitlines()
            if line.startswith(("Wheat", "Liver", "total"))}
    assert rows["Wheat"][2:6] == ["0.053", "lb", "1.92", "2.39"]
    assert rows["Liver"][1:5] == ["0.0061", "lb", "0.01", "0.61"]
    assert rows["total"][1:3] == ["1.93", "3.00"]
    saved = json.loads(invoke("--config", path, "--format", "json").out)
    assert saved["total_cost"] == pytest.approx(0.0061 + 2.39 * 36 / 44.7, rel=1e-9)
