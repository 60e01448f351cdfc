"""An infeasible answer with what would fix it: the message optimize and report show (what
the file shows before solving, the limits that conflict, the cheapest repairs).

It words the repairs with optimizer.present.formats.explain's sentences, so it sits above the
renderers in the layers (setup.cfg), with the report's analysis that calls it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.results import Result
    from optimizer.scenario import Loadout
    from optimizer.solving.options import SolverOptions


def with_repairs(loadout: Loadout, result: Result, options: SolverOptions,
                 relax: Sequence[str] = (), found: Sequence[str] = ()) -> Result:
    """The infeasible result's message, with what the file shows before solving, the
    conflicting limits, and the cheapest repairs (one limit, then together)."""
    from optimizer.analyses.explain import repairs_for
    from optimizer.results.messages import conflict_sentence, joint_sentence, repair_sentence

    s = loadout.scenario
    unfinished: list[str] = []
    conflict, singles, joint = repairs_for(loadout, result, options, relax, unfinished)
    parts = [result.message]
    if found:
        parts.append("Before solving: " + "; ".join(found) + ".")
    said = conflict_sentence(conflict)
    if said is not None:
        parts.append(said)
    fixes = [repair_sentence(r, s.currency) for r in singles if r.needed is not None][:3]
    if fixes:
        parts.append("Cheapest repairs: " + "; or ".join(fixes) + ".")
    if joint is not None and relax:
        parts.append(f"With --relax {','.join(relax)} (in that order of preference): "
                     + joint_sentence(joint, s.currency) + ".")
    elif joint is not None and len(joint.moves) > 1:
        parts.append("Or together: " + joint_sentence(joint, s.currency) + ".")
    if unfinished:
        parts.append(f"Not finished within {options.budget_option}: "
                     + ", ".join(unfinished) + ".")
    parts.append("(see optimize explain)")
    return dataclasses.replace(result, message="\n".join(parts))
