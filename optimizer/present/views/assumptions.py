"""The assumptions table: every parameter the scenario sets, its value, unit and source.

A ``source`` is free text, one per lever (and per target, budget and
constraint), and this project's files write it clause by clause: "max_units
fact (...); yield derived (...); unit_cost assumption (...)". Each parameter
gets the clause that names it and the basis the clause states (fact, derived,
assumption); a source that starts with a basis ("assumption: ...") gives it
to every parameter it covers. A parameter is flagged when its source calls it
an assumption, when nothing gives it a source, or when the command line or a
variant changed it (the file's source then describes another value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from optimizer.numbers import memo
from optimizer.present.views.currency import kind_of, present
from optimizer.present.views.model import Column, Quantity, Table
from optimizer.scenario.schema import Lever, Scenario

BASES = ("fact", "derived", "assumption")
SKIPPED = frozenset({"name", "unit", "source", "notes", "enabled"})
ALIASES = {"yield": ("yield_per_unit", "yield_curve"), "target": ("exports",),
           "ceiling": ("ceiling",)}
FLAGS = {"assumption": "assumption", "no source": "no source"}


def _names(fields: Iterable[str]) -> str:
    words = sorted({*fields, *ALIASES}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in words)


def _clauses(text: str, fields: Iterable[str]) -> dict[str, tuple[str, str]]:
    """field -> (basis, the clause that states it), from clauses such as
    ``max_units fact (...)``, ``yield is derived as ...``, ``exports and baseline fact``."""
    name = _names(fields)
    pattern = re.compile(
        rf"\b(?P<fields>(?:{name})(?:\s*(?:,|and)\s*(?:{name}))*)\b\s+(?:is\s+|are\s+)?"
        rf"(?:an?\s+)?(?P<basis>{'|'.join(BASES)})\b", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    out: dict[str, tuple[str, str]] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        clause = text[m.start():end].strip().rstrip(";,").strip()
        for word in re.split(r"\s*(?:,|and)\s*", m.group("fields")):
            for f in ALIASES.get(word.lower(), (word.lower(),)):
                out.setdefault(f, (m.group("basis").lower(), clause))
    return out


def _leading(text: str) -> str | None:
    m = re.match(rf"\s*({'|'.join(BASES)})\b\s*[:,]", text, re.IGNORECASE)
    return m.group(1).lower() if m else None


def _basis(field: str, value: Any, source: str | None, clauses: dict[str, tuple[str, str]]
           ) -> tuple[str, str]:
    """(basis, the text that gives it) for one field under one source."""
    if field in clauses:
        return clauses[field]
    if isinstance(value, bool) or field == "expr" and not source:
        return "modelling choice", ""
    if not source:
        return "no source", ""
    lead = _leading(source)
    if lead:
        return lead, source
    first = min((text_start(source, c) for _, c in clauses.values()), default=len(source))
    preamble = source[:first].strip()
    if first < len(source):  # up to the end of its last whole sentence or clause
        cut = max(preamble.rfind(". "), preamble.rfind("; "))
        preamble = preamble[:cut + 1].rstrip(";").strip() if cut > 0 else preamble
    if preamble:  # general text before the first clause, as the lever's source opens
        return "see source", preamble
    return "no source", f"the source does not name {field}"


def text_start(text: str, clause: str) -> int:
    found = text.find(clause)
    return len(text) if found < 0 else found


def _value(path: str, value: Any, lever: Lever | None, currency: str, rate: float) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        if path.endswith("yield_curve"):
            zero = memo.symbol(currency) + "0"
            return "; ".join(f"{memo.count(u) if u else '0'} \u2192 "
                             f"{memo.money(e * rate, currency) if e else zero}" for u, e in value)
        return ", ".join(str(v) for v in value)
    if isinstance(value, int | float):
        kind = kind_of(path)
        shown = present(float(value), kind, rate)
        zero = (memo.symbol(currency) + "0") if kind == "money" else "0"
        return Quantity(shown, kind, zero if shown == 0 else None)
    return str(value)


def _unit(field: str, lever: Lever | None, currency: str, s: Scenario, path: str) -> str:
    if field == "exchange_rates":
        return f"{path.split('.')[-1]} per {s.currency}"
    unit = lever.unit if lever is not None else ""
    return {
        "unit_cost": f"{currency} per {unit}",
        "unit_cost_by_period": f"{currency} per {unit}",
        "yield_per_unit": f"{currency} a year per {unit}",
        "yield_curve": f"{unit}s \u2192 {currency} a year",
        "fixed_cost": f"{currency}, once",
        "recurring_cost": f"{currency} per active {unit} a period",
        "min_spend": currency, "max_spend": currency,
        "min_units": unit, "max_units": unit, "fixed_units": unit,
        "min_units_if_used": unit, "max_units_per_period": f"{unit} a period",
        "cost_recovery": "share of unit cost", "attrition": "share a period",
        "lag": "periods", "exports": f"{currency} a year", "baseline": f"{currency} a year",
        "milestones": f"{currency} a year", "ceiling": currency, "per_period": currency,
        "discount_rate": "a year",
    }.get(field, "")


def _overridden(path: str, changed: Sequence[str]) -> bool:
    return any(path == c or path.startswith(c + ".") or c.startswith(path + ".")
               for c in changed)


def _rows(s: Scenario) -> list[tuple[str, str, str, Any, Lever | None, str | None]]:
    """(path, of, field, value, lever, source) of every parameter set, in file order."""
    rows: list[tuple[str, str, str, Any, Lever | None, str | None]] = []
    for code, rate in s.exchange_rates.items():
        rows.append((f"exchange_rates.{code}", "scenario", "exchange_rates", rate, None, None))
    if "discount_rate" in s.model_fields_set:
        rows.append(("discount_rate", "scenario", "discount_rate", s.discount_rate, None, None))
    t = s.target
    for f in ("exports", "baseline", "includes_baseline"):
        if f in t.model_fields_set:
            rows.append((f"target.{f}", "target", f, getattr(t, f), None, t.source))
    for k, v in t.milestones.items():
        rows.append((f"target.milestones.{k}", "target", "milestones", v, None, t.source))
    b = s.budget
    if "ceiling" in b.model_fields_set:
        rows.append(("budget.ceiling", "budget", "ceiling", b.ceiling, None, b.source))
    for k, v in b.per_period.items():
        rows.append((f"budget.per_period.{k}", "budget", "per_period", v, None, b.source))
    for lid, lever in s.enabled_levers().items():
        for f in type(lever).model_fields:
            if f in SKIPPED or f not in lever.model_fields_set:
                continue
            value = getattr(lever, f)
            if isinstance(value, dict):
                for k, v in value.items():
                    rows.append((f"levers.{lid}.{f}.{k}", lever.label(lid), f, v, lever,
                                 lever.source))
            else:
                rows.append((f"levers.{lid}.{f}", lever.label(lid), f, value, lever,
                             lever.source))
    for i, c in enumerate(s.constraints):
        rows.append((f"constraints[{i}]", c.name or f"constraints[{i}]", "expr", c.expr, None,
                     c.source))
    return rows


def assumptions_table(s: Scenario, currency: str, rate: float,
                      changed: Sequence[str] = (), changed_by: str = "--set") -> Table:
    """One row per parameter the scenario sets; ``changed`` paths came from ``changed_by``."""
    fields = {f for f in Lever.model_fields if f not in SKIPPED} | {
        "exports", "baseline", "includes_baseline", "milestones", "ceiling", "per_period"}
    parsed: dict[str, dict[str, tuple[str, str]]] = {}
    out = []
    for path, of, field, value, lever, source in _rows(s):
        text = " ".join(source.split()) if source else None
        if text is not None and text not in parsed:
            parsed[text] = _clauses(text, fields)
        basis, clause = _basis(field, value, text, parsed.get(text or "", {}))
        flag = FLAGS.get(basis, "")
        if _overridden(path, changed):
            basis, flag = f"changed by {changed_by}", "changed"
            clause = f"set by {changed_by}; the file's source: {clause or 'none'}"
        out.append((path, of, _value(path, value, lever, currency, rate),
                    _unit(field, lever, currency, s, path), basis, flag, clause))
    flagged = sum(1 for row in out if row[5])
    return Table(
        key="assumptions",
        title="Assumptions",
        columns=(Column("parameter", "parameter"), Column("of", "of"),
                 Column("value", "value", "mixed"), Column("unit", "unit"),
                 Column("basis", "basis"), Column("flag", "check"),
                 Column("source", "source", wide=True)),
        rows=tuple(out),
        caption=(f"Every parameter the scenario sets, with the basis its source gives: "
                 f"fact, derived (arithmetic on facts) or assumption. {flagged} of {len(out)} "
                 "are flagged: assumptions, figures with no source, and figures changed on "
                 "the command line or by a variant."),
        empty="The scenario sets no parameters.",
        page_hidden=("flag",),
    )
