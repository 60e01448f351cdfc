"""result.json (spec section 3): one pydantic model that writes it and reads it back.

``optimize --format json`` and ``--output DIR`` write a Result through
:meth:`ResultFile.of`; ``compare`` and ``simulate --plan`` read saved files
through :func:`read_result_file`, which names the file, each field at fault and
what was expected, all at once. Fields the spec lists are required on reading;
fields it does not list may be absent, and fields this model does not know
are ignored (the spec lets files grow).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from optimizer.errors import Problem, ScenarioError
from optimizer.numbers import clean
from optimizer.results import Certificate, PlanKind, Result, Status

Number = StrictInt | StrictFloat
Units = Annotated[Number, Field(ge=0)]
Period = StrictInt | StrictStr

RESULT_FILE = "result file"
HINT = "a result.json as written by optimize --output DIR or --format json"


class _Part(BaseModel):
    # unknown fields are kept out silently: the spec lets a result.json grow
    model_config = ConfigDict(extra="ignore", frozen=True)


class PeriodFigures(_Part):
    """One lever in one period."""

    units: Units
    active: Number | None = None
    spend: Number | None = None
    exports: Number | None = None
    outcomes: dict[str, Number | None] | None = None
    """Each outcome besides exports in the period (a file with ``outcomes:``)."""


class LeverEntry(_Part):
    """One enabled lever's part of the plan (``allocation[i]``)."""

    lever: Annotated[StrictStr, Field(min_length=1)]
    name: StrictStr
    unit: StrictStr | None
    units: Units | None
    """Units funded over the horizon; an integer lever's are whole (int)."""
    spend: Number | None
    exports: Number | None
    cost_per_export: Number | None
    share_of_exports: Number | None
    formulation: StrictStr | None = None
    by_period: dict[str, PeriodFigures] | None = None
    """Present when the scenario has periods, keyed by the period's label."""
    outcomes: dict[str, Number | None] | None = None
    """Each outcome besides exports in the last period (a file with ``outcomes:``)."""


class OutcomeFigures(_Part):
    """One outcome over the plan (``outcomes.O``, spec section 5)."""

    total: Number | None
    """The last period's lever outcome (exports: lever exports; no baseline)."""
    needed: Number | None
    """Its floor in the last period (exports: needed_exports), if any."""
    by_period: dict[str, Number | None] | None = None


class NextStep(_Part):
    exports: Number | None
    cost: Number | None
    reachable: StrictBool


class CertificateFigures(_Part):
    kind: StrictStr
    quantity: StrictStr
    value: Number | None
    bound: Number | None
    gap: Number | None
    tolerance: Number
    method: StrictStr
    proven: StrictBool
    cost_value: Number | None = None
    cost_bound: Number | None = None
    cost_gap: Number | None = None


class SolverFigures(_Part):
    name: StrictStr
    version: StrictStr
    seconds: Number | None
    build_seconds: Number | None = None
    mip_gap: Number | None
    termination: StrictStr | None = None
    certificate: CertificateFigures | None = None


class ChanceFigures(_Part):
    confidence: Number
    samples: StrictInt
    required: StrictInt
    seed: StrictInt
    in_sample: Number | None
    fresh_samples: StrictInt
    out_of_sample: Number | None
    deterministic_cost: Number | None
    extra_cost: Number | None
    level: Number | None = None
    out_of_sample_std_error: Number | None = None
    lower_bound: Number | None = None
    bound_confidence: Number | None = None
    checks: StrictInt = 0
    fresh_seed: StrictInt | None = None
    certified: StrictBool = False


class OverrideFigures(_Part):
    path: StrictStr
    value: StrictStr
    source: StrictStr


class ResultFile(_Part):
    """The whole file; field order is the order written."""

    scenario: StrictStr
    status: Status
    objective: StrictStr
    maximised: dict[str, Number] | None = None
    """A max objective: outcome -> weight (exports 1 for max_exports)."""
    goal_value: Number | None = None
    """A max objective: the plan's weighted last-period lever outcomes."""
    currency: StrictStr
    total_cost: Number | None
    lever_exports: Number | None
    total_exports: Number | None
    needed_exports: Number | None
    baseline: Number | None = None
    includes_baseline: StrictBool | None = None
    budget_ceiling: Number | None
    target_met: StrictBool | None = None
    plan: PlanKind | None = None
    allocation: list[LeverEntry]
    binding: list[StrictStr]
    marginal_cost_of_target: Number | None
    marginal_cost_basis: StrictStr | None = None
    marginal_cost_resolved: Number | None = None
    next_step: NextStep | None = None
    message: StrictStr | None = None
    solver: SolverFigures
    scenario_file: StrictStr | None = None
    scenario_sha256: StrictStr | None
    overrides: list[OverrideFigures] = []
    effective_sha256: StrictStr | None = None
    chance: ChanceFigures | None = None
    periods: list[Period] | None = None
    discounted_cost: Number | None = None
    exports_by_period: dict[str, Number | None] | None = None
    spend_by_period: dict[str, Number | None] | None = None
    outcomes: dict[str, OutcomeFigures] | None = None
    """A file with ``outcomes:``: every outcome, exports first (spec section 5)."""

    @classmethod
    def of(cls, result: Result) -> ResultFile:
        """What ``result`` writes: numbers JSON-safe (no NaN, no -0.0), an integer
        lever's units whole; chance and the period fields only where they apply."""
        return cls.model_validate(_document(result))

    def document(self) -> dict[str, Any]:
        """The file's JSON object (fields that do not apply left out)."""
        return self.model_dump(mode="python", exclude_unset=True)

    def text(self) -> str:
        return json.dumps(self.document(), indent=2, allow_nan=False) + "\n"


def _num(value: Any) -> Any:
    """JSON-safe number: no NaN, no -0.0, ints and bools as they are."""
    if value is None or isinstance(value, bool | int):
        return value
    value = float(value)
    return clean(value) if math.isfinite(value) else None


def _units(value: Any, whole: bool) -> Any:
    """Units funded, as _num but kept however small: a sliver of 1e-10 units that
    carries a fixed cost is part of the plan (engine._funded), not round-off."""
    if value is None or isinstance(value, bool | int):
        return value
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(round(value)) if whole else value + 0.0 if value else 0.0


def _certificate(c: Certificate | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"kind": c.kind, "quantity": c.quantity, "value": _num(c.value),
            "bound": _num(c.bound), "gap": _num(c.gap), "tolerance": c.tolerance,
            "method": c.method, "proven": c.proven, "cost_value": _num(c.cost_value),
            "cost_bound": _num(c.cost_bound), "cost_gap": _num(c.cost_gap)}


def _allocation(result: Result) -> list[dict[str, Any]]:
    rows = []
    for rec in result.rows:
        row: dict[str, Any] = {
            "lever": rec.lever, "name": rec.name, "unit": rec.unit,
            "units": _units(rec.units, rec.integer), "spend": _num(rec.spend),
            "exports": _num(rec.exports), "cost_per_export": _num(rec.cost_per_export),
            "share_of_exports": _num(rec.share_of_exports), "formulation": rec.formulation,
        }
        if result.periods is not None:
            row["by_period"] = {
                str(p): {"units": _units(q.units, rec.integer), "active": _num(q.active),
                         "spend": _num(q.spend), "exports": _num(q.exports),
                         **({"outcomes": {o: _num(v) for o, v in q.outcomes.items()}}
                            if result.outcomes else {})}
                for p, q in rec.by_period.items()
            }
        if result.outcomes:
            row["outcomes"] = {"exports": _num(rec.exports),
                               **{o: _num(v) for o, v in rec.outcomes.items()}}
        rows.append(row)
    return rows


def _outcomes(result: Result) -> dict[str, Any]:
    """``outcomes``: exports (lever exports, as the file's other outcomes: no baseline)
    and each other outcome, with its floor and, with periods, its path."""
    exports: dict[str, Any] = {"total": _num(result.lever_exports),
                               "needed": _num(result.needed_exports)
                               if result.export_target else None}
    if result.periods is not None:
        exports["by_period"] = {str(p): _num(v)
                                for p, v in (result.exports_by_period or {}).items()}
    out = {"exports": exports}
    for o in result.outcomes:
        entry: dict[str, Any] = {"total": _num(o.total), "needed": _num(o.needed)}
        if o.by_period is not None:
            entry["by_period"] = {str(p): _num(v) for p, v in o.by_period.items()}
        out[o.outcome] = entry
    return out


def _document(result: Result) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scenario": result.scenario,
        "status": result.status,
        "objective": result.objective,
        "currency": result.currency,
        "total_cost": _num(result.total_cost),
        "lever_exports": _num(result.lever_exports),
        "total_exports": _num(result.total_exports),
        "needed_exports": _num(result.needed_exports) if result.export_target else None,
        "baseline": _num(result.baseline),
        "includes_baseline": result.includes_baseline,
        "budget_ceiling": _num(result.budget_ceiling),
        "target_met": result.target_met,
        "plan": result.plan,
        "allocation": _allocation(result),
        "binding": list(result.binding),
        "marginal_cost_of_target": _num(result.marginal_cost_of_target),
        "marginal_cost_basis": result.marginal_cost_basis,
        "marginal_cost_resolved": _num(result.marginal_cost_resolved),
        "next_step": None if result.next_step is None else {
            "exports": _num(result.next_step[0]),
            "cost": _num(result.next_step[1]),
            "reachable": result.next_step[1] is not None,
        },
        "message": result.message,
        "solver": {
            "name": result.solver.name,
            "version": result.solver.version,
            "seconds": _num(result.solver.seconds),
            "build_seconds": _num(result.solver.build_seconds),
            "mip_gap": _num(result.solver.mip_gap),
            "termination": result.solver.termination,
            "certificate": _certificate(result.solver.certificate),
        },
        "scenario_file": result.scenario_file,
        "scenario_sha256": result.scenario_sha256,
        "overrides": [{"path": o.path, "value": o.value, "source": o.source}
                      for o in result.overrides],
        "effective_sha256": result.effective_sha256,
    }
    if result.chance is not None:
        c = result.chance
        out["chance"] = {
            "confidence": c.confidence, "samples": c.samples, "required": c.required,
            "seed": c.seed, "in_sample": _num(c.in_sample),
            "fresh_samples": c.fresh_samples, "out_of_sample": _num(c.out_of_sample),
            "deterministic_cost": _num(c.deterministic_cost),
            "extra_cost": _num(c.extra_cost),
            "level": _num(c.level), "out_of_sample_std_error": _num(c.out_of_sample_std_error),
            "lower_bound": _num(c.lower_bound), "bound_confidence": _num(c.bound_confidence),
            "checks": c.checks, "fresh_seed": c.fresh_seed, "certified": c.certified,
        }
    if result.periods is not None:
        out["periods"] = list(result.periods)
        out["discounted_cost"] = _num(result.discounted_cost)
        out["exports_by_period"] = {str(p): _num(v)
                                    for p, v in (result.exports_by_period or {}).items()}
        out["spend_by_period"] = {str(p): _num(v)
                                  for p, v in (result.spend_by_period or {}).items()}
    if result.outcomes:
        out["outcomes"] = _outcomes(result)
    if result.objective == "max_outcomes":  # (max_exports' file is as it was)
        out["maximised"] = dict(result.goal)
        out["goal_value"] = _num(result.goal_value)
    return out


# -- reading ---------------------------------------------------------------------------

# what a field holds, by its name, for the messages (the schema says the rest)
_EXPECTED = {
    "scenario": "a string, the scenario's name",
    "status": "one of " + ", ".join(s.value for s in Status),
    "plan": "one of " + ", ".join(p.value for p in PlanKind),
    "currency": 'a string such as "USD"',
    "lever": "a string, the lever's id",
    "units": "a number of units >= 0",
    "allocation": "a list of {lever, name, unit, units, spend, ...} objects",
    "binding": "a list of limit names",
    "periods": "a list of period labels",
    "by_period": "an object {period: {units, active, spend, exports}}",
}


def read_result_file(path: str | os.PathLike[str]) -> ResultFile:
    """A saved result.json, validated; raises ScenarioError naming the file and
    every field at fault."""
    file = os.fspath(path)

    def refuse(message: str, line: int | None = None, col: int | None = None) -> ScenarioError:
        return ScenarioError([Problem(file, message, line=line, col=col)], RESULT_FILE)

    try:
        with open(file, encoding="utf-8") as fh:
            text = fh.read(MAX_RESULT_CHARS + 1)
    except IsADirectoryError:
        raise refuse("is a folder; give the result.json in it") from None
    except FileNotFoundError:
        raise refuse(f"no such file (expected {HINT})") from None
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise refuse(f"not UTF-8 text (expected {HINT})") from None
    if len(text) > MAX_RESULT_CHARS:
        raise refuse(f"larger than {MAX_RESULT_CHARS // 2**20} MB, the most a result.json "
                     f"may be (expected {HINT})")
    deep = _deeper_than(text, MAX_RESULT_DEPTH)
    if deep is not None:
        raise refuse(f"nested more than {MAX_RESULT_DEPTH} levels deep (expected {HINT})",
                     *deep)
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_bounded_int,
                          parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise refuse(f"not valid JSON: {exc.msg} (expected {HINT})", exc.lineno, exc.colno) \
            from None
    except ValueError as exc:
        raise refuse(f"not valid JSON: {exc} (expected {HINT})") from None
    if not isinstance(data, dict):
        raise refuse(f"expected a JSON object, {HINT} (got {_shown_type(data)})")
    if not any(k in data for k in ("status", "allocation", "lever_exports", "total_cost")):
        raise refuse("not a result.json: none of the fields status, allocation, "
                     f"lever_exports, total_cost (expected {HINT})")
    try:
        return ResultFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(file, exc, data), RESULT_FILE) from None


MAX_RESULT_CHARS = 64 * 2**20
"""The largest result.json read by --plan and compare (a 10,000-lever, 20-period
result is about 20 MB)."""
MAX_RESULT_DEPTH = 32
"""A result.json nests five levels (allocation -> lever -> by_period -> period -> figure)."""
_BRACKETS = re.compile(r'[\[\]{}"]')
_STRING_END = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)


def _deeper_than(text: str, limit: int) -> tuple[int, int] | None:
    """(line, column) where ``text`` first nests past ``limit`` levels, outside
    strings; None if it never does. Checked before ``json.loads``, whose recursion
    a file of 100,000 brackets exhausts."""
    depth = 0
    pos = 0
    while (match := _BRACKETS.search(text, pos)) is not None:
        if match.group() == '"':
            end = _STRING_END.match(text, match.end())
            if end is None:
                return None  # json.loads says where the string is unterminated
            pos = end.end()
            continue
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            line = text.count("\n", 0, match.start()) + 1
            return line, match.start() - text.rfind("\n", 0, match.start())
        pos = match.end()
    return None


def _bounded_int(digits: str) -> int:
    """An integer no float holds (400 digits) is refused, not an OverflowError later."""
    if len(digits.lstrip("-")) > 308:
        raise ValueError(f"a {len(digits.lstrip('-'))}-digit integer is larger than any "
                         "figure of a result")
    return int(digits)


def _finite_float(text: str) -> float:
    """1e400 reads as infinity: refused, as NaN and Infinity are."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is larger than any figure of a result")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _problems(file: str, exc: ValidationError, data: Mapping[str, Any]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for error in exc.errors():
        loc = _field_loc(error["loc"], data)
        where = _dotted(loc)
        if where in seen:
            continue  # a union's branches each fail: one message per field
        key = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
        expected = _EXPECTED.get(key) or _expected_at(loc) or _by_type(error["type"])
        if error["type"] == "missing":
            message = f"missing (expected {expected})"
        else:
            message = f"expected {expected} (got {_shown(error.get('input'))})"
        seen[where] = Problem(file, message, where)
    return list(seen.values())


def _field_loc(loc: tuple[int | str, ...], data: Any) -> list[int | str]:
    """The part of a pydantic location that is the file's own keys: a union's
    branch names (int, float, constrained-int...) are not."""
    out: list[int | str] = []
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str):
            out.append(part)
            node = node.get(part)
        elif isinstance(node, dict | list) or node is None and not out:
            out.append(part)
            node = None
        else:
            break
    return out


def _dotted(loc: list[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _expected_at(loc: list[int | str]) -> str | None:
    """What the model holds at a field location, in words (None: not a field)."""
    kind: Any = ResultFile
    nullable = False
    for part in loc:
        kinds, nullable = _unwrapped(kind)
        model = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)),
                     None)
        if model is not None and isinstance(part, str):
            info = model.model_fields.get(part)
            if info is None:
                return None
            kind = info.annotation
            continue
        holder = next((k for k in kinds if get_origin(k) in (list, dict)), None)
        if holder is None:
            return None
        kind = get_args(holder)[-1]
    kinds, nullable = _unwrapped(kind)
    bases = {get_origin(k) or k for k in kinds}
    model = next((b for b in bases if isinstance(b, type) and issubclass(b, BaseModel)), None)
    if model is not None:
        text = "an object {" + ", ".join(
            name for name, info in model.model_fields.items() if info.is_required()) + "}"
    elif dict in bases:
        text = "an object"
    elif list in bases:
        text = "a list"
    elif bool in bases:
        text = "true or false"
    elif bases & {int, float}:
        text = "a number"
    elif str in bases:
        text = "a string"
    else:
        return None
    return text + " or null" if nullable else text


def _unwrapped(kind: Any) -> tuple[list[Any], bool]:
    """The types a field may hold, without Annotated and None; and whether None is one."""
    if get_origin(kind) is Annotated:
        return _unwrapped(get_args(kind)[0])
    if get_origin(kind) in (Union, UnionType):
        out: list[Any] = []
        nullable = False
        for arg in get_args(kind):
            if arg is type(None):
                nullable = True
                continue
            inner, null = _unwrapped(arg)
            out += inner
            nullable = nullable or null
        return out, nullable
    return [kind], False


def _by_type(kind: str) -> str:
    if kind in ("int_type", "float_type", "greater_than_equal", "int_from_float"):
        return "a number or null"
    if kind == "bool_type":
        return "true or false"
    if kind == "string_type":
        return "a string"
    if kind in ("list_type",):
        return "a list"
    if kind in ("dict_type", "model_type"):
        return "an object"
    if kind == "enum":
        return "one of the spec's values"
    return "what the spec describes"


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shown_type(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "true or false", type(None): "null"}.get(type(value), type(value).__name__)
