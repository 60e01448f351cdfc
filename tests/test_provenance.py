"""Every row and column family of the model is either a limit of the file, which the
engine names by scenario path (for duals and conflicts), or structure; a family added
or renamed in models/build.py without its provenance fails here, not silently in a
memo's list of binding limits."""

from __future__ import annotations

import json
from pathlib import Path

import pyomo.core as pyo
import pytest

from models.build import STRUCTURE
from optimizer.errors import ScenarioError
from optimizer.scenario import load_scenario
from optimizer.solving.engine import LIMIT_FAMILIES, Session, _scenario_name

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))


def _builds(path: Path) -> bool:
    try:
        Session(load_scenario(path))
    except ScenarioError:  # a wide case the model refuses (range): nothing to name
        return False
    return True


# the shipped configs and the wide regression cases the model represents: every
# family and its awkward corners (use switches for logic, samples, per-period caps)
FILES = CONFIGS + [p for p in sorted((Path(__file__).parent / "wide_cases").glob("*.yaml"))
                   if _builds(p)]


def test_the_two_lists_do_not_overlap() -> None:
    assert not LIMIT_FAMILIES & STRUCTURE


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_family_has_a_provenance(path: Path) -> None:
    session = Session(load_scenario(path))
    m = session.current_model()
    families = {c.local_name for c in m.component_objects((pyo.Constraint, pyo.Var))}
    assert families <= LIMIT_FAMILIES | STRUCTURE, families - LIMIT_FAMILIES - STRUCTURE
    s = session.loadout.scenario
    for con in m.component_objects(pyo.Constraint):
        if con.local_name not in LIMIT_FAMILIES:
            continue
        for item in con.values():
            names = {_scenario_name(session, item, side) for side in ("lower", "upper")}
            names.discard(None)
            assert names, f"{item.name} has no scenario path"
            for name in names:
                head = name.split(".")[0].split("[")[0]
                assert head in ("levers", "target", "budget", "constraints"), name
                if head == "levers":
                    assert name.split(".")[1] in s.levers, name


# --- the provenance of each figure (issue 12 item 12): read, never guessed ---------------

BASE = """\
name: provenance
periods: [2024, 2025]
target:
  exports: 100
  milestones: {{2024: 40}}
  source: {target_source}
  provenance:
    milestones.2024: {{basis: assumption, source: "a straight path"}}
levers:
  a:
    unit_cost: 2
    yield_per_unit: 3
    max_units: 50
    integer: true
    source: {lever_source}
    provenance:
      unit_cost: {{basis: fact, source: "price list, 2023"}}
      yield_per_unit: {{basis: derived, source: "300 / 100"}}
  b:
    unit_cost: 5
    yield_per_unit: 7
"""


def _table(tmp_path: Path, target_source: str = "fact: the plan",
           lever_source: str = "the 2023 strategy") -> dict[str, tuple[object, ...]]:
    from optimizer.present.views.assumptions import assumptions_table

    path = tmp_path / "p.yaml"
    path.write_text(BASE.format(target_source=json.dumps(target_source),
                                lever_source=json.dumps(lever_source)))
    table = assumptions_table(load_scenario(path).scenario, "USD", 1.0)
    return {row[0]: row for row in table.rows}


def test_each_figure_takes_its_own_entry(tmp_path: Path) -> None:
    rows = _table(tmp_path)
    # a sourced unit cost is a fact with its own source, never "no source"
    assert rows["levers.a.unit_cost"][4:7] == ("fact", "", "price list, 2023")
    assert rows["levers.a.yield_per_unit"][4:7] == ("derived", "", "300 / 100")
    # an entry for one period's milestone; the exports take the source's stated basis
    assert rows["target.milestones.2024"][4:7] == ("assumption", "assumption",
                                                   "a straight path")
    assert rows["target.exports"][4:7] == ("fact", "", "fact: the plan")
    # a lever source that states no basis gives none, and says so
    assert rows["levers.a.max_units"][4:6] == ("basis not stated", "basis not stated")
    assert rows["levers.a.integer"][4:6] == ("modelling choice", "")
    assert rows["levers.b.unit_cost"][4:7] == ("no source", "no source", "")


@pytest.mark.parametrize("text, basis", [
    ("assumption", "assumption"), ("Assumption: a guess", "assumption"),
    ("derived, from the plan", "derived"), ("illustrative assumption: 1B", "basis not stated"),
    ("factual account", "basis not stated"),
])
def test_a_free_text_source_states_its_basis_by_its_first_word(
        tmp_path: Path, text: str, basis: str) -> None:
    rows = _table(tmp_path, target_source=text)
    assert rows["target.exports"][4] == basis
    assert rows["target.exports"][5] == ("" if basis in ("fact", "derived") else basis)


def test_an_entry_outranks_the_free_text(tmp_path: Path) -> None:
    rows = _table(tmp_path, lever_source="assumption: all of it")
    assert rows["levers.a.unit_cost"][4] == "fact"
    assert rows["levers.a.max_units"][4:6] == ("assumption", "assumption")


@pytest.mark.parametrize("edit, where, message", [
    (("{basis: fact, source: \"price list, 2023\"}", "{basis: guess, source: \"x\"}"),
     ":17:", "levers.a.provenance.unit_cost.basis: expected one of 'fact', 'derived' or "
             "'assumption' (got 'guess')"),
    (("      unit_cost: {basis", "      unit_costs: {basis"),
     ":17:", "levers.a.provenance.unit_costs: no such field of a lever; did you mean "
             "'unit_cost'?"),
    (("milestones.2024:", "milestones.2025:"),
     ":8:", "target.provenance.milestones.2025: milestones has no entry '2025' "
            "(entries: 2024) (got 'milestones.2025')"),
    (("source: \"300 / 100\"}", "source: \"\"}"),
     ":18:", "levers.a.provenance.yield_per_unit.source: "),
    (("source: \"300 / 100\"}", "source: \"300 / 100\", note: 1}"),
     ":18:", "levers.a.provenance.yield_per_unit.note: unknown field 'note' (allowed: "
             "basis, source)"),
])
def test_bad_provenance_exits_2_naming_file_line_and_path(
        tmp_path: Path, edit: tuple[str, str], where: str, message: str) -> None:
    from tests.clirun import invoke

    text = BASE.format(target_source="fact", lever_source="x")
    assert edit[0] in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    got = invoke("--config", path, "--output", tmp_path / "out")
    assert got.code == 2, got
    assert f"{path}{where}" in got.err and message in got.err, got.err
    assert "Traceback" not in got.err and not (tmp_path / "out").exists()


def test_a_misspelt_key_is_reported_beside_type_errors(tmp_path: Path) -> None:
    from tests.clirun import invoke

    text = BASE.format(target_source="fact", lever_source="x").replace(
        "unit_cost: {basis", "unitcost: {basis").replace("unit_cost: 5", "unit_cost: five")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    got = invoke("--config", path)
    assert got.code == 2 and "levers.a.provenance.unitcost: no such field" in got.err
    assert "levers.b.unit_cost" in got.err


MAIN = [ROOT / "configs" / "pakistan_it_exports.yaml",
        ROOT / "configs" / "pakistan_it_exports_3yr.yaml"]


@pytest.mark.parametrize("path", MAIN, ids=lambda p: p.stem)
def test_the_shipped_files_state_every_basis(path: Path) -> None:
    from optimizer.present.views.assumptions import assumptions_table

    table = assumptions_table(load_scenario(path).scenario, "USD", 1.0)
    bases = {row[0]: row[4] for row in table.rows}
    assert set(bases.values()) <= {"fact", "derived", "assumption"}, bases
    assert bases["levers.it_workforce.unit_cost"] == "assumption"
    assert bases["levers.erozgar_centers.unit_cost"] == "fact"
    assert bases["exchange_rates.PKR"] == "assumption"
