"""Limits and parameters by their names in the file, moved on a copy of the
scenario, and the probes that solve such copies on one warm session: what
explain's repairs, the worth of a limit and the tornado share.

No solver state is restored by hand: each probe is the file's scenario with a
value moved, handed to Session.probe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from optimizer.errors import OutOfTime
from optimizer.results import Result, raised_to_tighten
from optimizer.scenario import Loadout
from optimizer.scenario.schema import Scenario

if TYPE_CHECKING:
    from optimizer.solving.engine import Session
    from optimizer.solving.options import SolverOptions


def _lever(s: Scenario, lid: str, **update: Any) -> Scenario:
    levers = dict(s.levers)
    levers[lid] = levers[lid].model_copy(update=update)
    return s.model_copy(update={"levers": levers})


def limit_value(s: Scenario, name: str) -> float | None:
    """The current value of a named limit, or None when it cannot be moved here."""
    parts = name.split(".")
    if name == "budget.ceiling":
        return s.budget.ceiling
    if name == "target.exports":
        return s.target.exports
    if parts[:2] == ["budget", "per_period"]:
        return next((v for k, v in s.budget.per_period.items() if str(k) == parts[2]), None)
    if parts[:2] == ["target", "milestones"]:
        return next((v for k, v in s.target.milestones.items() if str(k) == parts[2]), None)
    if parts[:2] == ["target", "outcomes"] and len(parts) >= 4:
        floors = s.target.outcomes.get(parts[2])
        if floors is None:
            return None
        if parts[3:] == ["min"]:
            return floors.min
        if parts[3] == "milestones" and len(parts) == 5:
            return next((v for k, v in floors.milestones.items() if str(k) == parts[4]), None)
        return None
    if parts[0] == "levers" and len(parts) == 4 and parts[2] == "yields" \
            and parts[1] in s.levers:
        return s.levers[parts[1]].yields.get(parts[3])
    if parts[0] == "levers" and len(parts) == 3 and parts[1] in s.levers:
        value = getattr(s.levers[parts[1]], parts[2], None)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return None


def with_limit(s: Scenario, name: str, value: float) -> Scenario:
    """``s`` with the named limit set to ``value`` (validated scenarios stay valid
    for the moves made here: caps up, floors and goals down)."""
    parts = name.split(".")
    if name == "budget.ceiling":
        return s.model_copy(update={"budget": s.budget.model_copy(update={"ceiling": value})})
    if name == "target.exports":
        return s.model_copy(update={"target": s.target.model_copy(update={"exports": value})})
    if parts[:2] == ["budget", "per_period"]:
        caps = {k: (value if str(k) == parts[2] else v) for k, v in s.budget.per_period.items()}
        return s.model_copy(update={"budget": s.budget.model_copy(update={"per_period": caps})})
    if parts[:2] == ["target", "milestones"]:
        goals = {k: (value if str(k) == parts[2] else v) for k, v in s.target.milestones.items()}
        return s.model_copy(update={"target": s.target.model_copy(update={"milestones": goals})})
    if parts[:2] == ["target", "outcomes"]:
        floors = s.target.outcomes[parts[2]]
        if parts[3] == "min":
            moved = floors.model_copy(update={"min": value})
        else:
            moved = floors.model_copy(update={"milestones": {
                k: (value if str(k) == parts[4] else v) for k, v in floors.milestones.items()}})
        outcomes = {**s.target.outcomes, parts[2]: moved}
        return s.model_copy(update={"target": s.target.model_copy(update={"outcomes": outcomes})})
    if parts[2] == "yields":  # a lever's yield of another outcome (levers.ID.yields.O)
        return _lever(s, parts[1], yields={**s.levers[parts[1]].yields, parts[3]: value})
    return _lever(s, parts[1], **{parts[2]: value})


class _Probes:
    """The probes of one search, each the file's scenario with limits or parameters
    moved, solved on one session kept warm (see Session.probe): in the file's own
    model units, so a search that takes the target towards 0 does not rescale the
    model as it goes, and HiGHS starts each probe from the last one's basis."""

    def __init__(self, loadout: Loadout, options: SolverOptions | None,
                 session: Session | None = None) -> None:
        self.loadout = loadout
        self.options = options
        self._session = session

    def result(self, s: Scenario, screen: bool = False) -> Result:
        if self._session is None:
            from optimizer.solving.engine import Session

            self._session = Session(self.loadout, self.options)
        return self._session.probe(s, screen)

    def screened(self, s: Scenario) -> bool:
        """Feasibility from a screening probe (no second opinion, see Session.probe):
        True is proven (a plan passed the re-check), False may be wrong."""
        return self._feasible(s, screen=True)

    def sure(self, s: Scenario) -> bool:
        """Feasibility as a full solve finds it: a screen's False is solved again."""
        return self._feasible(s, screen=True) or self._feasible(s, screen=False)

    def proven(self, s: Scenario) -> bool:
        """An optimum proven by a full solve: what a repair printed must give when it
        is typed back (a plan at the edge of what HiGHS calls feasible can pass the
        re-check and still not be proven)."""
        return self._feasible(s, screen=False, proven=True)

    def decided(self, s: Scenario) -> bool | None:
        """True: feasible (a plan passed the re-check); False: proven infeasible by a
        full solve; None: neither (the model cannot represent ``s``, or no proof)."""
        from optimizer.errors import ScenarioError, SolverError

        if self._feasible(s, screen=True):
            return True
        try:
            return False if self.result(s).status == "infeasible" else None
        except (ScenarioError, SolverError):
            return None

    def _feasible(self, s: Scenario, screen: bool, proven: bool = False) -> bool:
        """A probe of a repair search: a move so large the model cannot represent it
        (coefficients past 1e10) counts as no plan, not as an error in the file."""
        from optimizer.errors import ScenarioError, SolverError

        try:
            result = self.result(s, screen)
        except OutOfTime:
            raise
        except (ScenarioError, SolverError):
            # no plan that passes the re-check: not a repair (the file's own scale
            # can be too coarse for a probe near 0)
            return False
        if result.status == "limit_without_plan":
            # a probe cut short proves nothing either way: the search stops here
            raise OutOfTime(f"a probe ended {result.status}")
        # a plan that passed the re-check proves feasibility, proven optimal or not;
        # a probe without one counts as infeasible (a repair is printed only when a
        # re-checked plan stands behind it)
        return result.status == "optimal" or not proven and (
            result.status in ("not_proven", "limit_with_plan") and result.plan == "best_found")


def _objective(r: Result) -> float | None:
    """What a move is measured by: discounted cost (min_cost), lever exports
    (max_exports), or the goal's weighted outcomes (another max objective)."""
    if r.status != "optimal":
        return None
    if r.objective == "min_cost":
        return r.discounted_cost
    return r.lever_exports if r.objective == "max_exports" else r.goal_value


def _direction(name: str) -> float:
    """+1 to loosen an upper limit (a cap, a ceiling), -1 to loosen a floor or a goal."""
    return -1.0 if raised_to_tighten(name) else 1.0


def _counted(s: Scenario, name: str) -> bool:
    """A limit on whole units of an integer lever."""
    parts = name.split(".")
    return parts[0] == "levers" and s.levers[parts[1]].integer and "units" in parts[2]
