"""The assumptions table: every parameter the scenario sets, its value, unit and source.

The basis of each figure is read, never guessed (docs/scenario-format.md, Provenance):

1. its own ``provenance`` entry (``FIELD.KEY`` for one entry of a mapping field,
   else ``FIELD``) gives its basis and source;
2. else the free-text ``source`` of its object, when the text starts with a basis
   (``fact:``, ``derived,``, ``assumption:``, or the word alone), gives that basis to
   every figure of the object without an entry;
3. else a source states no basis ("basis not stated"), and a figure with neither has
   "no source".

A figure is flagged when its basis is an assumption, when it has no source or no
stated basis, or when the command line or a variant changed it (the file's source then
describes another value). True/false switches and a constraint's relation with no
source are modelling choices, not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.numbers import memo
from optimizer.present.views.currency import kind_of, present
from optimizer.present.views.model import Column, Quantity, Table
from optimizer.scenario.schema import Lever, Provenance, Scenario

BASES = ("fact", "derived", "assumption")
SKIPPED = frozenset({"name", "unit", "source", "notes", "enabled", "provenance"})
FLAGS = {"assumption": "assumption", "no source": "no source",
         "basis not stated": "basis not stated"}
_LEADING = re.compile(rf"\s*({'|'.join(BASES)})\s*(?:[:,]|\Z)", re.IGNORECASE)


def stated_basis(text: str) -> str | None:
    """The basis a free-text source opens with: the word, then ':' or ',' or the end."""
    m = _LEADING.match(text)
    return m.group(1).lower() if m else None


def _basis(field: str, key: str | None, value: Any, source: str | None,
           provenance: Mapping[str, Provenance]) -> tuple[str, str]:
    """(basis, the text that gives it) for one figure of an object."""
    entry = provenance.get(f"{field}.{key}") if key is not None else None
    entry = entry or provenance.get(field)
    if entry is not None:
        return entry.basis, " ".join(entry.source.split())
    stated = stated_basis(source) if source else None
    if stated:
        return stated, source or ""
    if isinstance(value, bool) or field == "expr" and not source:
        return "modelling choice", ""
    if source:
        return "basis not stated", source
    return "no source", ""


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


Row = tuple[str, str, str, str | None, Any, Lever | None, str | None,
            Mapping[str, Provenance]]
"""(path, of, field, mapping key, value, lever, free-text source, provenance entries)."""


def _fields(obj: Any, names: Sequence[str]) -> list[str]:
    """The fields of ``names`` the file sets or gives a provenance entry (a default the
    file documents is a figure too), in schema order."""
    documented = {k.partition(".")[0] for k in obj.provenance}
    return [f for f in names if f in obj.model_fields_set or f in documented]


def _rows(s: Scenario) -> list[Row]:
    """Every parameter set, in file order."""
    rows: list[Row] = []
    top = s.provenance
    for code, rate in s.exchange_rates.items():
        rows.append((f"exchange_rates.{code}", "scenario", "exchange_rates", code, rate, None,
                     None, top))
    for f in _fields(s, ("discount_rate",)):
        rows.append((f, "scenario", f, None, getattr(s, f), None, None, top))
    t = s.target
    for f in _fields(t, ("exports", "baseline", "includes_baseline")):
        rows.append((f"target.{f}", "target", f, None, getattr(t, f), None, t.source,
                     t.provenance))
    for k, v in t.milestones.items():
        rows.append((f"target.milestones.{k}", "target", "milestones", str(k), v, None,
                     t.source, t.provenance))
    b = s.budget
    for f in _fields(b, ("ceiling",)):
        rows.append((f"budget.{f}", "budget", f, None, b.ceiling, None, b.source,
                     b.provenance))
    for k, v in b.per_period.items():
        rows.append((f"budget.per_period.{k}", "budget", "per_period", str(k), v, None,
                     b.source, b.provenance))
    for lid, lever in s.enabled_levers().items():
        names = [f for f in type(lever).model_fields if f not in SKIPPED]
        for f in _fields(lever, names):
            value = getattr(lever, f)
            if isinstance(value, dict):
                for k, v in value.items():
                    rows.append((f"levers.{lid}.{f}.{k}", lever.label(lid), f, str(k), v,
                                 lever, lever.source, lever.provenance))
            else:
                rows.append((f"levers.{lid}.{f}", lever.label(lid), f, None, value, lever,
                             lever.source, lever.provenance))
    for i, c in enumerate(s.constraints):
        rows.append((f"constraints[{i}]", c.name or f"constraints[{i}]", "expr", None, c.expr,
                     None, c.source, c.provenance))
    return rows


def assumptions_table(s: Scenario, currency: str, rate: float,
                      changed: Sequence[str] = (), changed_by: str = "--set") -> Table:
    """One row per parameter the scenario sets; ``changed`` paths came from ``changed_by``."""
    out = []
    for path, of, field, key, value, lever, source, provenance in _rows(s):
        text = " ".join(source.split()) if source else None
        basis, clause = _basis(field, key, value, text, provenance)
        flag = FLAGS.get(basis, "")
        if _overridden(path, changed):
            basis, flag = f"changed by {changed_by}", "changed"
            clause = f"set by {changed_by}; the file's source: {clause or 'none'}"
        out.append((path, of, _value(path, value, lever, currency, rate),
                    _unit(field, lever, currency, s, path), basis, flag, clause))
    flagged = sum(1 for row in out if row[5])
    cited, references = _cited([row[6] for row in out])
    rows = tuple((*row, cite) for row, cite in zip(out, cited, strict=True))
    return Table(
        key="assumptions",
        title="Assumptions",
        columns=(Column("parameter", "parameter"), Column("of", "of"),
                 Column("value", "value", "mixed"), Column("unit", "unit"),
                 Column("basis", "basis"), Column("flag", "check"),
                 Column("source", "source", wide=True),
                 Column("cited", "source", wide=True)),
        rows=rows,
        caption=(f"Every parameter the scenario sets, with the basis its file states: "
                 f"fact, derived (arithmetic on facts) or assumption. {flagged} of {len(out)} "
                 "are flagged: assumptions, figures with no source or no stated basis, and "
                 "figures changed on the command line or by a variant. A source several "
                 "figures share is cited by number and written once, below."),
        empty="The scenario sets no parameters.",
        page_hidden=("flag", "source"),
        notes=tuple(f"[{i}] {text}" for i, text in enumerate(references, 1)),
    )


def _cited(sources: Sequence[str]) -> tuple[list[str], list[str]]:
    """Each row's source as the page shows it: a text that several rows share is cited
    by number ("[1]") and written once, in the references; the rest as they are."""
    counts: dict[str, int] = {}
    for text in sources:
        if text:
            counts[text] = counts.get(text, 0) + 1
    numbers: dict[str, int] = {}
    for text in sources:
        if counts.get(text, 0) > 1 and text not in numbers:
            numbers[text] = len(numbers) + 1
    return ([f"[{numbers[t]}]" if t in numbers else t for t in sources], list(numbers))
