"""Every row and column family of the model is either a limit of the file, which the
engine names by scenario path (for duals and conflicts), or structure; a family added
or renamed in models/build.py without its provenance fails here, not silently in a
memo's list of binding limits."""

from __future__ import annotations

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
    m = session.model
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
