"""optimize compare: columns from Results and saved result.json files, differences
against the first column, a missing lever shown as absent (never 0)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from optimizer.analyses.compare import (
    ABSENT,
    NOT_COMPARABLE,
    Column,
    column_from_json,
    column_from_result,
    compare,
)
from optimizer.errors import ScenarioError, UsageError
from optimizer.present.formats import render_json
from optimizer.present.formats.compare import (
    COMPARE_RENDERERS,
    render_compare_csv,
    render_compare_json,
    render_compare_markdown,
    render_compare_table,
)
from optimizer.results import Result
from optimizer.scenario import load_scenario, load_variants
from optimizer.solving.engine import solve_scenario
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
PAKISTAN = ROOT / "configs" / "pakistan_it_exports.yaml"
LABEL = "configs/pakistan_it_exports.yaml"


@pytest.fixture(scope="module")
def base() -> Result:
    return solve_scenario(load_scenario(PAKISTAN))


@pytest.fixture(scope="module")
def raised() -> Result:
    return solve_scenario(load_scenario(PAKISTAN, [("target.exports", "11B")]))


@pytest.fixture(scope="module")
def without_fund() -> Result:
    return solve_scenario(load_scenario(PAKISTAN, [("levers.startup_fund.enabled", False)]))


def _row(comparison, metric):
    return next(r for r in comparison.rows() if r.metric == metric)


def _all_rendered(comparison) -> dict[str, str]:
    out = {name: render(comparison) for name, render in COMPARE_RENDERERS.items()}
    assert set(out) == {"table", "csv", "json", "markdown"}
    return out


def test_a_scenario_against_itself_has_no_differences(base: Result) -> None:
    c = compare([column_from_result(base, "a"), column_from_result(base, "b")])
    assert c.identical
    rows = c.rows()
    assert [r.metric for r in rows[:4]] == ["status", "total cost", "lever exports",
                                            "marginal cost (re-solved)"]
    levers = [rec.lever for rec in base.rows]
    assert [r.metric for r in rows[4:]] == [f"{lid} {what}" for lid in levers
                                            for what in ("units", "spend")]
    for row in rows:
        assert len(row.values) == 2 and len(row.diffs) == 1
        assert row.diffs[0] in (0, ""), row
        assert not row.differs
    out = _all_rendered(c)
    assert "No differences." in out["table"]
    assert json.loads(out["json"])["identical"] is True


def test_a_higher_target_costs_what_the_two_solves_say(base: Result, raised: Result) -> None:
    assert base.total_cost is not None and raised.total_cost is not None
    c = compare([column_from_result(base, LABEL),
                 column_from_result(raised, f"{LABEL} --set target.exports=11B")])
    assert not c.identical
    cost = _row(c, "total cost")
    assert cost.values == (pytest.approx(base.total_cost), pytest.approx(raised.total_cost))
    assert cost.diffs[0] == pytest.approx(raised.total_cost - base.total_cost)
    assert cost.diffs[0] > 0
    assert _row(c, "lever exports").diffs[0] == pytest.approx(1e9)  # 10B -> 11B, same baseline
    assert _row(c, "status").diffs == ("",)
    for rec_a, rec_b in zip(base.rows, raised.rows, strict=True):
        spend = _row(c, f"{rec_a.lever} spend")
        assert spend.diffs[0] == pytest.approx(rec_b.spend - rec_a.spend, abs=1e-6)

    table = render_compare_table(c)
    assert "Δ vs" in table and "(USD)" in table
    assert f"+{raised.total_cost - base.total_cost:,.0f}" in table
    data = json.loads(render_compare_json(c))
    assert data["rows"][1]["key"] == "total_cost"
    assert data["rows"][1]["differences"][0] == pytest.approx(
        raised.total_cost - base.total_cost)
    csv_lines = render_compare_csv(c).splitlines()
    assert csv_lines[0].startswith("metric,key,")
    assert csv_lines[2].startswith("total cost,total_cost,")
    assert "| total cost |" in render_compare_markdown(c)


def test_saved_result_json_round_trips(base: Result, tmp_path: Path) -> None:
    saved = tmp_path / "result.json"
    saved.write_text(render_json(base), encoding="utf-8")
    from_result = column_from_result(base, LABEL)
    from_json = column_from_json(saved)
    assert from_json.source == "result.json" and from_json.label == str(saved)
    assert from_json == replace(from_result, label=str(saved), source="result.json")
    assert column_from_json(saved, label="saved").label == "saved"
    assert compare([from_result, from_json]).identical


def test_variants_compare_by_label(base: Result, tmp_path: Path) -> None:
    text = PAKISTAN.read_text(encoding="utf-8") + (
        "\nvariants:\n  no_fund:\n    levers.startup_fund.enabled: false\n")
    path = tmp_path / "with_variant.yaml"
    path.write_text(text, encoding="utf-8")
    loadouts = load_variants(path, [], ["all"])
    columns = [column_from_result(solve_scenario(lo), lo.label) for lo in loadouts]
    c = compare(columns)
    assert [col.label for col in c.columns] == [str(path), f"{path} [no_fund]"]
    assert _row(c, "startup_fund units").values[1] == ABSENT


def test_a_lever_missing_from_a_column_is_absent_not_zero(
        base: Result, without_fund: Result) -> None:
    full = column_from_result(base, "all levers")
    cut = column_from_result(without_fund, "no startup fund")
    assert "startup_fund" not in cut.levers
    c = compare([full, cut])
    for what in ("units", "spend"):
        row = _row(c, f"startup_fund {what}")
        assert row.values[1] == ABSENT and row.diffs == (ABSENT,)
        assert row.differs
    assert not c.identical  # even though the fund is unused (0 units) in the first column

    back = compare([cut, full])  # absent from the first column: still absent
    assert _row(back, "startup_fund units").values[0] == ABSENT
    assert _row(back, "startup_fund units").diffs == (ABSENT,)
    # levers in order of first appearance
    assert [r.lever for r in back.rows()[4::2]] == [*cut.levers, "startup_fund"]

    out = _all_rendered(c)
    table_line = next(line for line in out["table"].splitlines()
                      if line.startswith("startup_fund units"))
    assert table_line.split()[-2:] == [ABSENT, ABSENT]
    assert "startup_fund units,levers.startup_fund.units,0.0,absent,absent" in out["csv"]
    assert "| startup_fund units | 0 | absent | absent |" in out["markdown"]
    row = next(r for r in json.loads(out["json"])["rows"] if r["metric"] == "startup_fund spend")
    assert row["values"][1] == ABSENT and row["differences"] == [ABSENT]


def _column(label: str = "a", **changes: object) -> Column:
    col = Column(label=label, scenario="s", currency="USD", status="optimal",
                 total_cost=100.0, lever_exports=1000.0, marginal_cost=0.1,
                 levers={"x": ("X", 3, 30.0)})
    return replace(col, **changes)


def test_status_and_missing_values() -> None:
    c = compare([_column(), _column("b", status="infeasible", total_cost=None,
                                    marginal_cost=None)])
    assert _row(c, "status").diffs == ("optimal -> infeasible",)
    assert _row(c, "total cost").diffs == (NOT_COMPARABLE,)
    table = render_compare_table(c)
    assert "optimal -> infeasible" in table and "n/a" in table
    same_none = compare([_column(marginal_cost=None),
                         _column("b", marginal_cost=None)])
    assert same_none.identical
    assert _row(same_none, "marginal cost (re-solved)").diffs == ("",)


def test_json_has_no_nan_and_no_negative_zero() -> None:
    c = compare([_column(total_cost=-0.0, lever_exports=1e-12),
                 _column("b", total_cost=0.0, lever_exports=-0.0, levers={"x": ("X", 3, -0.0)}),
                 _column("c", marginal_cost=float("nan"))])
    text = render_compare_json(c)
    assert "-0.0" not in text and "NaN" not in text
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert data["columns"][0]["total_cost"] == 0.0
    assert data["columns"][2]["marginal_cost_resolved"] is None
    assert [r["differs"] for r in data["rows"]] == [False, True, True, True, False, True]
    assert _row(c, "marginal cost (re-solved)").diffs == (0.0, NOT_COMPARABLE)
    for render in COMPARE_RENDERERS.values():
        assert "nan" not in render(c).lower()


def test_long_labels_render(base: Result) -> None:
    long = "results/2024-11-22/a very long scenario label/with many parts/result.json"
    c = compare([column_from_result(base, long), column_from_result(base, long + " [b]")])
    table = render_compare_table(c)
    lines = table.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line) == {"-"})
    end = lines.index("", rule)
    header = lines[lines.index("") + 1:rule]
    assert len(header) > 1  # the labels wrapped onto several lines
    assert all(len(line) <= len(lines[rule]) for line in [*header, *lines[rule:end]])
    assert lines[rule + 1].startswith("status ")
    for part in ("results/", "result.json", "Δ vs"):
        assert part in table
    assert long in render_compare_markdown(c)


def test_bad_result_json_names_file_and_field(base: Result, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"status": "optimal",\n  oops}', encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        column_from_json(broken)
    (problem,) = exc.value.problems
    assert problem.file == str(broken) and problem.line == 2
    assert "not valid JSON" in problem.message

    data = json.loads(render_json(base))
    del data["total_cost"]
    data["allocation"][1]["units"] = "many"
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        column_from_json(missing)
    found = {p.path: p for p in exc.value.problems}
    assert set(found) == {"total_cost", "allocation[1].units"}
    assert all(p.file == str(missing) for p in found.values())
    assert "missing" in found["total_cost"].message
    assert "a number or null" in found["total_cost"].message
    assert "(got \"many\")" in found["allocation[1].units"].message
    assert "total_cost" in str(exc.value) and str(missing) in str(exc.value)

    for name, text in (("list.json", "[1, 2]"), ("other.json", '{"points": []}'),
                       ("nan.json", '{"total_cost": NaN}')):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as exc:
            column_from_json(path)
        assert exc.value.problems[0].file == str(path)
    with pytest.raises(ScenarioError, match="nowhere.json: no such file"):
        column_from_json(tmp_path / "nowhere.json")


def test_fewer_than_two_columns_is_a_usage_error(base: Result) -> None:
    with pytest.raises(UsageError, match="at least two"):
        compare([column_from_result(base, "only")])
    with pytest.raises(UsageError, match="at least two"):
        compare([])


def test_mixed_currencies_are_a_usage_error(base: Result) -> None:
    usd = column_from_result(base, "in dollars")
    pkr = replace(column_from_result(base, "in rupees"), currency="PKR")
    with pytest.raises(UsageError) as exc:
        compare([usd, usd, pkr])
    message = str(exc.value)
    assert "in dollars" in message and "USD" in message
    assert "in rupees" in message and "PKR" in message


def test_a_label_names_the_overrides_it_was_solved_with() -> None:
    from optimizer.scenario import load_scenario

    path = Path(__file__).resolve().parents[1] / "configs" / "pakistan_it_exports.yaml"
    loadout = load_scenario(path, [("budget.ceiling", "200M")])
    assert loadout.label == f"{path} --set budget.ceiling=200M"
    assert load_scenario(path).label == str(path)


def test_one_marginal_cost_in_table_json_compare_and_report(tmp_path: Path) -> None:
    """The shipped file and dearer training (400k PKR a worker): the marginal cost is the
    last worker's cost per dollar of exports, by hand 300,000 / 285 / 25,000 = 0.042105
    and 400,000 / 285 / 25,000 = 0.056140 (USD per USD). The table, result.json,
    compare and the report quote that figure; compare once showed the fixed-integer
    LP's dual (0.02) for both, as if dearer training changed nothing."""
    from optimizer.numbers import memo
    from optimizer.numbers.exact import number
    from optimizer.present.views import build_report

    shipped = ROOT / "configs" / "pakistan_it_exports.yaml"
    runs = {"a": [], "b": ["--set", "levers.it_workforce.unit_cost=400k PKR"]}
    hand = {"a": 300_000 / 285 / 25_000, "b": 400_000 / 285 / 25_000}
    for key, sets in runs.items():
        code, out, err = invoke("--config", shipped, *sets, "--output", tmp_path / key)
        assert code == 0, err
        data = json.loads((tmp_path / key / "result.json").read_text())
        assert data["marginal_cost_resolved"] == pytest.approx(hand[key], rel=1e-9)
        assert f"a marginal cost of {number(hand[key])} per 1 USD of exports" in out
        loadout = load_scenario(shipped, [("levers.it_workforce.unit_cost", "400k PKR")]
                                if sets else [])
        report = build_report(loadout, solve_scenario(loadout))
        step = next(f for f in report.headline if f.key == "next_step")
        assert f"{memo.number(hand[key])} per $1 of exports" in step.note
    code, out, err = invoke("compare", tmp_path / "a" / "result.json",
                            tmp_path / "b" / "result.json")
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("marginal cost (re-solved)"))
    assert number(hand["a"]) in row and number(hand["b"]) in row


def test_an_override_leaves_a_trace(tmp_path: Path) -> None:
    """--set changed neither the title nor result.json (the same scenario_sha256), and
    compare labelled two runs of one file alike. Now result.json lists the overrides
    and hashes the scenario as solved; the title says what changed; compare's labels
    differ. The effective hash is checked against an independent hash of the same
    validated data, and equal for the same value written two ways."""
    import hashlib

    shipped = ROOT / "configs" / "pakistan_it_exports.yaml"
    dearer = ["--set", "levers.it_workforce.unit_cost=400k PKR"]
    same = ["--set", "levers.it_workforce.unit_cost=400,000 PKR"]
    docs = {}
    for key, sets in (("a", []), ("b", dearer), ("c", same)):
        code, out, err = invoke("--config", shipped, *sets, "--output", tmp_path / key)
        assert code == 0, err
        docs[key] = json.loads((tmp_path / key / "result.json").read_text())
        if sets:
            assert out.splitlines()[1] == ("Changed from the file: levers.it_workforce."
                                           f"unit_cost = {sets[1].split('=')[1]} (--set).")
    assert docs["a"]["overrides"] == []
    assert docs["b"]["overrides"] == [{"path": "levers.it_workforce.unit_cost",
                                       "value": "400k PKR", "source": "--set"}]
    assert docs["a"]["scenario_sha256"] == docs["b"]["scenario_sha256"]
    assert docs["a"]["effective_sha256"] != docs["b"]["effective_sha256"]
    assert docs["b"]["effective_sha256"] == docs["c"]["effective_sha256"]
    loadout = load_scenario(shipped, [("levers.it_workforce.unit_cost", "400k PKR")])
    dumped = loadout.scenario.model_dump(mode="json")
    # (section 5's fields, added later, are left out at their defaults: a file that
    # does not use them keeps the hash it had before them)
    assert dumped.pop("outcomes") == {} and dumped["target"].pop("outcomes") == {}
    for lever in dumped["levers"].values():
        assert lever.pop("yields") == {} and lever.pop("yield_curves") == {}
    data = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    assert docs["b"]["effective_sha256"] == hashlib.sha256(data.encode()).hexdigest()
    code, out, _ = invoke("compare", tmp_path / "a" / "result.json",
                          tmp_path / "b" / "result.json", "--format", "json")
    labels = [c["label"] for c in json.loads(out)["columns"]]
    assert labels[1] == f"{tmp_path / 'b' / 'result.json'} --set " \
                        "levers.it_workforce.unit_cost=400k PKR"
    assert labels[0] != labels[1]
