"""Plans judged against the scenario in its own units, independently of the model.

A solver's "optimal" is not trusted: every plan is re-checked here against
every bound, constraint and integrality before it is shown. The same
arithmetic names the limits a plan presses against.
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.expressions import Relation, parse_relation
from optimizer.schema import Lever, Scenario

REL_TOL = 1e-6  # relative to the size of each row, in scenario units
INT_TOL = 1e-6


def lever_spend(lever: Lever, units: float) -> float:
    """Net spend in the reporting currency: variable cost plus the fixed cost if used."""
    return lever.net_unit_cost * units + (lever.fixed_cost if units > 0 else 0.0)


def lever_exports(lever: Lever, units: float) -> float:
    return lever.yield_per_unit * units


def _relations(s: Scenario) -> list[Relation]:
    enabled = list(s.enabled_levers())
    return [parse_relation(c.expr, enabled) for c in s.constraints]


def _relation_sides(s: Scenario, rel: Relation, units: Mapping[str, float]) -> tuple[float, float]:
    """(lhs value, scale of the row) for a relation at ``units``."""
    levers = s.levers
    total, size = 0.0, abs(rel.rhs)
    for term, coef in rel.coefs.items():
        lever, x = levers[term.lever], units[term.lever]
        value = {"units": x, "spend": lever_spend(lever, x), "exports": lever_exports(lever, x)}[
            term.kind
        ]
        total += coef * value
        size += abs(coef * value)
    return total, max(size, 1.0)


def _over(value: float, limit: float, size: float) -> bool:
    return value > limit + REL_TOL * max(size, abs(limit), 1.0)


def violations(s: Scenario, units: Mapping[str, float], need_target: bool) -> list[str]:
    """Every way ``units`` breaks the scenario, in scenario names; [] if none."""
    out = []
    total = 0.0
    exports = 0.0
    for lid, lever in s.enabled_levers().items():
        x = units[lid]
        at = f"levers.{lid}"
        spend = lever_spend(lever, x)
        total += spend
        exports += lever_exports(lever, x)
        if _over(lever.min_units, x, x):
            out.append(f"{at}.min_units: {x:,.6g} < {lever.min_units:,.6g}")
        if lever.max_units is not None and _over(x, lever.max_units, x):
            out.append(f"{at}.max_units: {x:,.6g} > {lever.max_units:,.6g}")
        if lever.integer and abs(x - round(x)) > INT_TOL:
            out.append(f"{at}.integer: {x!r} is not a whole number")
        if lever.min_units_if_used is not None and 0 < x and _over(lever.min_units_if_used, x, x):
            out.append(f"{at}.min_units_if_used: {x:,.6g} is neither 0 nor >= "
                       f"{lever.min_units_if_used:,.6g}")
        if lever.max_spend is not None and _over(spend, lever.max_spend, spend):
            out.append(f"{at}.max_spend: {spend:,.2f} > {lever.max_spend:,.2f}")
        if lever.min_spend is not None and _over(lever.min_spend, spend, spend):
            out.append(f"{at}.min_spend: {spend:,.2f} < {lever.min_spend:,.2f}")
    ceiling = s.budget.ceiling
    if ceiling is not None and _over(total, ceiling, total):
        out.append(f"budget.ceiling: spend {total:,.2f} > {ceiling:,.2f}")
    needed = s.target.needed
    if need_target and _over(needed, exports, exports):
        out.append(f"target.exports: lever exports {exports:,.2f} < {needed:,.2f}")
    for i, rel in enumerate(_relations(s)):
        lhs, size = _relation_sides(s, rel, units)
        bad = (
            (rel.sense in ("<=", "==") and _over(lhs, rel.rhs, size))
            or (rel.sense in (">=", "==") and _over(rel.rhs, lhs, size))
        )
        if bad:
            out.append(f"{s.constraint_label(i)}: {lhs:,.6g} {rel.sense} {rel.rhs:,.6g} fails")
    return out


def _at(value: float, limit: float, size: float) -> bool:
    return abs(value - limit) <= REL_TOL * max(size, abs(limit), 1.0)


def binding(s: Scenario, units: Mapping[str, float], need_target: bool) -> list[str]:
    """Names of the limits ``units`` presses against (zero slack), in file order."""
    out = []
    total = 0.0
    exports = 0.0
    for lid, lever in s.enabled_levers().items():
        x = units[lid]
        at = f"levers.{lid}"
        spend = lever_spend(lever, x)
        total += spend
        exports += lever_exports(lever, x)
        if lever.min_units > 0 and _at(x, lever.min_units, x):
            out.append(f"{at}.min_units")
        if lever.max_units is not None and _at(x, lever.max_units, x):
            out.append(f"{at}.max_units")
        if lever.min_units_if_used is not None and x > 0 and _at(x, lever.min_units_if_used, x):
            out.append(f"{at}.min_units_if_used")
        if lever.min_spend and _at(spend, lever.min_spend, spend):
            out.append(f"{at}.min_spend")
        if lever.max_spend is not None and _at(spend, lever.max_spend, spend):
            out.append(f"{at}.max_spend")
    if s.budget.ceiling is not None and _at(total, s.budget.ceiling, total):
        out.append("budget.ceiling")
    if need_target and _at(exports, s.target.needed, exports):
        out.append("target.exports")
    for i, rel in enumerate(_relations(s)):
        lhs, size = _relation_sides(s, rel, units)
        if _at(lhs, rel.rhs, size):
            out.append(s.constraint_label(i))
    return out


def limits_on_exports(s: Scenario, units: Mapping[str, float]) -> list[str]:
    """Binding limits that can hold exports back: upper caps, the ceiling, relations.

    Lower bounds are left out: raising exports never needs less of a lever.
    """
    lower = (".min_units", ".min_spend", ".min_units_if_used")
    return [b for b in binding(s, units, need_target=False) if not b.endswith(lower)]
