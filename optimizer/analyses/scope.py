"""Which analyses a scenario's objective has: the frontiers, the report and the
re-optimised simulation speak of cost and exports, and do not yet follow a max
objective over other outcomes ({max: OUTCOME}, weighted; spec section 5)."""

from __future__ import annotations

from optimizer.errors import UsageError
from optimizer.scenario import Loadout


def exports_or_cost(loadout: Loadout, what: str) -> None:
    """Refuse ``what`` (a command's words) for a file whose objective maximises other
    outcomes, naming what does answer it, rather than show frontiers of exports for
    an objective that is not about them."""
    s = loadout.scenario
    if s.objective_name != "max_outcomes":
        return
    raise UsageError(
        f"{loadout.file}: objective: {what} is for min_cost and max_exports; this file "
        f"maximises {' + '.join(s.goal)} ({{max: ...}}), which optimize, explain, report "
        "and sweep --pareto answer (not built yet for it: sweep --ceilings/--targets, "
        "report --ceilings/--targets, simulate --reoptimize)")
