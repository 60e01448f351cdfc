"""The public Python API: optimizer.load/solve/sweep/explain/simulate/compare/report,
checked against hand-solved cases (and the report against the command line's folder),
and the examples of optimizer/api.py and of the README's "Python API" section run as
doctests."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

import optimizer
import optimizer.api
from optimizer.present.formats import render_json
from tests.clirun import invoke

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

# two levers, hand-solved: a costs 2 a unit up to 60 units, b costs 3; one export a unit
TINY = {"name": "tiny", "target": {"exports": 100},
        "levers": {"a": {"unit_cost": 2, "yield_per_unit": 1, "max_units": 60},
                   "b": {"unit_cost": 3, "yield_per_unit": 1}}}


def test_the_module_examples_run() -> None:
    failed, tried = doctest.testmod(optimizer.api, optionflags=FLAGS)
    assert tried >= 8 and failed == 0


def test_the_readme_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```pycon\n(.*?)```", section, re.S)
    assert blocks, "the README's Python API section has no pycon example"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=FLAGS)
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README[{i}]", "README.md", 0))
    assert runner.failures == 0 and runner.tries >= 10


def test_a_path_yaml_text_and_a_dict_load_the_same_scenario(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "tiny.yaml"
    text = yaml.safe_dump(TINY, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    loaded = [optimizer.load(path), optimizer.load(str(path)), optimizer.load(text),
              optimizer.load(TINY)]
    assert len({x.scenario.model_dump_json() for x in loaded}) == 1
    assert [x.file for x in loaded] == [str(path), str(path), "<string>", "<dict>"]
    assert optimizer.load(loaded[0]) is loaded[0]


def test_solve_matches_the_hand_solution() -> None:
    r = optimizer.solve(TINY)
    assert r.status == optimizer.Status.OPTIMAL and r.exit_code == 0
    assert r.total_cost == pytest.approx(2 * 60 + 3 * 40)
    assert {row.lever: row.units for row in r.rows} == pytest.approx({"a": 60, "b": 40})
    frame = r.to_frame()
    assert list(frame["units"]) == pytest.approx([60, 40])
    frame.loc[0, "units"] = -1  # a copy: the Result stays as it was
    assert r.rows[0].units == pytest.approx(60)


def test_overrides_and_variants() -> None:
    richer = optimizer.load(TINY, overrides={"levers.a.max_units": "100"})
    assert optimizer.solve(richer).total_cost == pytest.approx(200)
    with_variant = {**TINY, "variants": {"dear": {"levers.a.unit_cost": 2.5}}}
    dear = optimizer.load(with_variant, variant="dear")
    assert optimizer.solve(dear).total_cost == pytest.approx(2.5 * 60 + 3 * 40)
    with pytest.raises(optimizer.ScenarioError, match="unknown variant 'cheap'"):
        optimizer.load(with_variant, variant="cheap")


def test_a_bad_dict_names_the_field() -> None:
    bad = {**TINY, "levers": {"a": {"unit_cost": -2, "yield_per_unit": 1}}}
    with pytest.raises(optimizer.ScenarioError) as exc:
        optimizer.load(bad)
    (problem,) = exc.value.problems
    assert problem.file == "<dict>" and problem.path == "levers.a.unit_cost"


def test_sweep_targets_follow_the_hand_frontier() -> None:
    # cost(T) = 2T up to 60, then 120 + 3 (T - 60)
    sw = optimizer.sweep(TINY, targets=[30, 60, 90])
    assert [r.total_cost for r in sw.results] == pytest.approx([60, 120, 210])
    exact = optimizer.sweep(TINY, targets=[30, 90], exact=True)
    assert exact.breakpoints is not None
    corners = [(b.x, b.slope_after) for b in exact.breakpoints][:2]
    assert [x for x, _ in corners] == pytest.approx([30, 60])
    assert [slope for _, slope in corners] == pytest.approx([2, 3])
    with pytest.raises(optimizer.UsageError, match="exactly one"):
        optimizer.sweep(TINY)


def test_compare_takes_scenarios_results_and_saved_files(tmp_path: Path) -> None:
    base = optimizer.solve(TINY)
    saved = tmp_path / "result.json"
    saved.write_text(render_json(base), encoding="utf-8")
    richer = optimizer.load(TINY, overrides={"levers.a.max_units": 100})
    table = optimizer.compare(base, saved, richer)
    costs = [c.total_cost for c in table.columns]
    assert costs == pytest.approx([240, 240, 200])
    assert json.loads(saved.read_text())["total_cost"] == pytest.approx(240)


def test_explain_prices_the_binding_cap() -> None:
    e = optimizer.explain(TINY, sections=("binding",))
    worth = {w.limit: w for w in e.worth}
    # one more unit of a's cap saves 3 - 2 = 1 a unit
    assert worth["levers.a.max_units"].dual == pytest.approx(-1.0)
    with pytest.raises(optimizer.UsageError, match="unknown sections"):
        optimizer.explain(TINY, sections=("nope",))


def test_report_writes_the_folder_the_command_line_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the date in the stamp is SOURCE_DATE_EPOCH's; the curve of the cost of certainty
    # (a minute of chance-constrained solves) is left out in both
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    shipped = ROOT / "configs" / "pakistan_it_exports.yaml"
    data = optimizer.report(shipped, tmp_path / "api", confidences=())
    code, out, err = invoke("report", "--config", shipped, "--output", tmp_path / "cli",
                            "--confidences", "none")
    assert code == 0 == int(data.result.exit_code), err
    assert "(--confidences none)" in data.risk_notes[0] and data.simulation is not None
    assert data.result.total_cost == pytest.approx(optimizer.solve(shipped).total_cost)
    files = sorted(str(p.relative_to(tmp_path / "cli"))
                   for p in (tmp_path / "cli").rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(tmp_path / "api"))
                  for p in (tmp_path / "api").rglob("*") if p.is_file()) == files
    for name in ("report.md", "tables.tex"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    assert " ".join(data.view().lede) in out
    with pytest.raises(optimizer.UsageError, match="at most one of"):
        optimizer.report(TINY, ceilings=[1.0], targets=[2.0])


def test_import_optimizer_stays_light() -> None:
    import subprocess
    import sys

    code = ("import sys, optimizer; print('pyomo' in sys.modules, 'highspy' in sys.modules); "
            "print(sorted(optimizer.__all__) == sorted(dir(optimizer)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert out == ["False", "False", "True"]
