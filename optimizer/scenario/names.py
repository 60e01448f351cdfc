"""Plain names: a scenario's field path in a planner's words, the one map every text a
person reads goes through (the report's brief, prose, charts and tables).

``levers.it_workforce.yield_per_unit`` -> "Additional IT workforce trained and placed:
yield per unit"; ``target.milestones.2024`` -> "Export milestone for 2024". Tables may
show the path beside the name ("name in the file"), never instead of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from optimizer.scenario.schema import Scenario

FIELD_WORDS = {
    "max_units": "cap on units", "min_units": "floor on units",
    "max_units_per_period": "cap on units funded a period", "max_spend": "cap on spend",
    "min_spend": "floor on spend", "yield_curve": "end of its yield curve",
    "fixed_units": "locked units", "min_units_if_used": "least units if used",
    "requires": "levers it requires", "excludes": "levers it excludes",
    "unit_cost": "unit cost", "yield_per_unit": "yield per unit", "fixed_cost": "fixed cost",
    "recurring_cost": "recurring cost", "cost_recovery": "cost recovery",
    "attrition": "attrition", "lag": "lag", "unit_cost_by_period": "unit cost",
    "integer": "whole units", "enabled": "in the model",
}
"""A lever field in words (the binding table's words for limits)."""

_TOP = {"budget.ceiling": "Budget ceiling", "target.exports": "Export target",
        "target.baseline": "Baseline exports", "discount_rate": "Discount rate",
        "target.includes_baseline": "Target counts the baseline"}
_PATH = re.compile(r"(?:levers\.[a-z][a-z0-9_]*\.[a-z_]+(?:\.[A-Za-z0-9_-]+)?|"
                   r"target\.outcomes\.[a-z][a-z0-9_]*\.(?:min|milestones\.[A-Za-z0-9_-]+)|"
                   r"target\.(?:milestones\.[A-Za-z0-9_-]+|exports|baseline|includes_baseline)|"
                   r"budget\.(?:per_period\.[A-Za-z0-9_-]+|ceiling)|"
                   r"exchange_rates\.[A-Z]{3}|discount_rate|"
                   r'constraints\[\d+\](?: "[^"]*")?)')
"""A field path as the engine and the result JSON write it, inside running text."""


def plain_name(path: str, s: Scenario) -> str:
    """``path`` in a planner's words; a path it does not know comes back as it is."""
    if path in _TOP:
        return _TOP[path]
    parts = path.split(".")
    if parts[:2] == ["budget", "per_period"] and len(parts) > 2:
        return f"Budget ceiling for {parts[2]}"
    if parts[:2] == ["target", "milestones"] and len(parts) > 2:
        return f"Export milestone for {parts[2]}"
    if parts[:2] == ["target", "outcomes"] and len(parts) >= 4:
        # a floor on another outcome (spec section 5): "Jobs: floor", "Jobs: milestone
        # for 2025"
        label = s.outcome_label(parts[2])
        return f"{label}: floor" if parts[3] == "min" else \
            f"{label}: milestone for {'.'.join(parts[4:])}"
    if parts[0] == "levers" and len(parts) == 4 and parts[2] == "yields":
        lever = s.levers[parts[1]].label(parts[1]) if parts[1] in s.levers else parts[1]
        return f"{lever}: yield of {s.outcome_label(parts[3])}"
    if parts[0] == "exchange_rates" and len(parts) == 2:
        return f"Exchange rate ({parts[1]} per {s.currency})"
    if parts[0] == "levers" and len(parts) >= 3 and parts[1] in s.levers:
        lever = s.levers[parts[1]].label(parts[1])
        words = FIELD_WORDS.get(parts[2], parts[2].replace("_", " "))
        when = f" in {parts[3]}" if len(parts) > 3 else ""
        return f"{lever}: {words}{when}"
    m = re.fullmatch(r'constraints\[(\d+)\](?: "(.*)")?', path)
    if m:
        i = int(m.group(1))
        name = m.group(2) or (s.constraints[i].name if i < len(s.constraints) else None)
        return f"Constraint: {name}" if name else f"Constraint {i + 1}"
    return path


def plain_names(paths: Iterable[str], s: Scenario) -> dict[str, str]:
    """path -> plain name, for each path."""
    return {p: plain_name(p, s) for p in paths}


def in_words(text: str, s: Scenario) -> str:
    """``text`` with every field path in it replaced by its plain name (prose written
    with paths, such as a result's message)."""
    return _PATH.sub(lambda m: plain_name(m.group(0), s), text)
