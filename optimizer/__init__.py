"""The engine: scenarios, solving, results, rendering, command line.

The public Python API (see optimizer.api and the README's "Python API"):

    import optimizer
    result = optimizer.solve("configs/pakistan_it_exports.yaml")
    result.to_frame()

Loaded on first use, so that ``import optimizer`` (and the command line) does not
pay for Pyomo and HiGHS until a solve needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["load", "solve", "sweep", "explain", "simulate", "compare", "report",
           "Loadout", "Result", "Sweep", "Explanation", "ReportData", "Status", "PlanKind",
           "ScenarioError", "UsageError", "SolverError"]

if TYPE_CHECKING:
    from optimizer.analyses.report import ReportData
    from optimizer.api import compare, explain, load, report, simulate, solve, sweep
    from optimizer.errors import ScenarioError, SolverError, UsageError
    from optimizer.results import Explanation, PlanKind, Result, Status, Sweep
    from optimizer.scenario import Loadout

_HOMES = {
    **dict.fromkeys(("load", "solve", "sweep", "explain", "simulate", "compare", "report"),
                    "optimizer.api"),
    **dict.fromkeys(("ScenarioError", "UsageError", "SolverError"), "optimizer.errors"),
    **dict.fromkeys(("Result", "Sweep", "Explanation", "Status", "PlanKind"),
                    "optimizer.results"),
    "Loadout": "optimizer.scenario",
    "ReportData": "optimizer.analyses.report",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
