"""result.json: the one pydantic model that writes it reads every golden back to the same
document, and a hostile file gets every field at fault named at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.errors import ScenarioError
from optimizer.present.formats import render_json
from optimizer.results import PlanKind, Status
from optimizer.results.result_file import ResultFile, read_result_file
from optimizer.scenario import load_scenario
from optimizer.solving.engine import solve_scenario

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))


@pytest.fixture(scope="module")
def written() -> dict[str, str]:
    """Each shipped config's result.json, as optimize --format json writes it."""
    return {p.stem: render_json(solve_scenario(load_scenario(p))) for p in CONFIGS}


def test_every_shipped_result_reads_back_to_itself(written: dict[str, str],
                                                   tmp_path: Path) -> None:
    kinds = set()
    for stem, text in written.items():
        path = tmp_path / f"{stem}.json"
        path.write_text(text, encoding="utf-8")
        saved = read_result_file(path)
        # the same document and the same bytes, as the writer lays them out
        assert saved.document() == json.loads(text), stem
        assert saved.text() == text, stem
        assert isinstance(saved.status, Status) and isinstance(saved.plan, PlanKind)
        kinds.add((saved.status.value, saved.periods is not None))
    # the configs hold every kind of file: with and without periods, and infeasible
    assert {("optimal", True), ("optimal", False)} <= kinds
    assert any(status == "infeasible" for status, _ in kinds)


def test_a_hostile_file_names_every_field_at_fault(written: dict[str, str],
                                                    tmp_path: Path) -> None:
    good = json.loads(next(iter(written.values())))
    bad = json.loads(json.dumps(good))
    bad["status"] = "fine"
    bad["total_cost"] = "12"
    del bad["currency"]
    bad["allocation"][0]["units"] = -3
    bad["allocation"][0]["lever"] = ""
    bad["allocation"].append(7)
    bad["solver"]["mip_gap"] = True
    bad["extra"] = {"anything": 1}  # fields the model does not know are let through
    path = tmp_path / "result.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        read_result_file(path)
    assert exc.value.what == "result file"
    found = {p.path: p.message for p in exc.value.problems}
    n = len(good["allocation"])
    assert found == {
        "status": 'expected one of optimal, infeasible, limit_with_plan, limit_without_plan, '
                  'not_proven (got "fine")',
        "total_cost": 'expected a number or null (got "12")',
        "currency": 'missing (expected a string such as "USD")',
        "allocation[0].units": "expected a number of units >= 0 (got -3)",
        "allocation[0].lever": 'expected a string, the lever\'s id (got "")',
        f"allocation[{n}]": "expected an object {lever, name, unit, units, spend, exports, "
                            "cost_per_export, share_of_exports} (got 7)",
        "solver.mip_gap": "expected a number or null (got true)",
    }
    assert all(p.file == str(path) for p in exc.value.problems)


@pytest.mark.parametrize(("text", "says"), [
    ("[1, 2]", "expected a JSON object"),
    ('{"points": []}', "not a result.json: none of the fields"),
    ('{"total_cost": NaN}', "NaN is not a number JSON allows"),
    ('{"status": "optimal",\n oops}', "not valid JSON"),
])
def test_files_that_are_not_result_json(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=says) as exc:
        read_result_file(path)
    assert exc.value.problems[0].file == str(path)


def test_a_folder_or_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a folder"):
        read_result_file(tmp_path)
    with pytest.raises(ScenarioError, match="no such file"):
        read_result_file(tmp_path / "gone.json")


def test_the_spec_example_reads(tmp_path: Path) -> None:
    """The shape spec section 3 shows, with none of this engine's extras."""
    example = {
        "scenario": "Pakistan IT and ITeS exports, 2024-2026", "status": "optimal",
        "objective": "min_cost", "currency": "USD", "total_cost": 693150000.0,
        "lever_exports": 10000000000.0, "total_exports": 12600000000.0,
        "needed_exports": 10000000000.0, "budget_ceiling": None,
        "allocation": [{"lever": "it_workforce", "name": "...", "unit": "worker",
                        "units": 200000, "spend": 210526315.8, "exports": 5000000000.0,
                        "cost_per_export": 0.0421, "share_of_exports": 0.5}],
        "binding": ["levers.it_workforce.max_units"], "marginal_cost_of_target": 0.069,
        "solver": {"name": "highs", "version": "1.x", "seconds": 0.01, "mip_gap": 0.0},
        "scenario_sha256": "...",
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(example), encoding="utf-8")
    saved = read_result_file(path)
    assert saved.allocation[0].units == 200000 and saved.periods is None
    assert ResultFile.model_validate(example).document() == example
