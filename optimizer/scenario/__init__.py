"""File -> validated :class:`Scenario`: loading, overrides, and consistency checks.

Type errors are collected by pydantic all at once. Consistency checks
(``max < min``, expressions, bounds a fixed cost needs) need well-typed
values, so they run once the types are right and are also reported all at
once.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.expressions import NUMBER_WORDS, ExpressionError, parse_relation
from optimizer.scenario.loader import Loaded, load_yaml
from optimizer.scenario.schema import (
    EXPORTS,
    PROVENANCE_SKIPPED,
    Budget,
    Lever,
    LinearConstraint,
    Outcome,
    OutcomeGoal,
    Provenance,
    Scenario,
    Target,
)
from optimizer.scenario.text import control_characters
from optimizer.scenario.uncertain_fields import lift
from optimizer.scenario.uncertainty import CorrelationError, sample

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Override:
    """A value the run uses in place of the file's: from ``--set`` or a variant."""

    path: str
    value: str
    """As written (``400k PKR``)."""
    source: str
    """``--set`` or ``variant NAME``."""


def effective_sha256(s: Scenario) -> str:
    """SHA-256 of the validated scenario's data (keys sorted): what a run solved."""
    import hashlib
    import json

    data = s.model_dump(mode="json")
    # fields added after a file format's release are left out at their defaults, so a
    # file that does not use them keeps the hash it had (section 5's outcomes)
    for owner, name in [(data, "outcomes"), (data["target"], "outcomes"),
                        *((lever, key) for lever in data["levers"].values()
                          for key in ("yields", "yield_curves"))]:
        if owner.get(name) == {}:
            del owner[name]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Loadout:
    """A validated scenario and where it came from."""

    scenario: Scenario
    file: str
    sha256: str
    variant: str | None = None
    """The variant applied, if any."""
    sets: tuple[str, ...] = ()
    """Overrides from the command line, as field=value."""
    changes: tuple[Override, ...] = ()
    """Every value that differs from the file by request: the variant's, then --set's."""
    loaded: Loaded | None = field(default=None, compare=False, repr=False)
    """The file's text as read (None: a scenario built otherwise), for ``reread``."""
    overrides: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)
    """The command line's overrides as given (path, value), for ``reread``."""

    def reread(self, *more: tuple[str, Any]) -> Scenario | None:
        """The scenario validated again from the file's text with this run's variant and
        overrides and then ``more`` (an exchange rate moved, say: every amount written in
        that currency is converted anew); None when the text is not at hand. Raises
        ScenarioError when the moved file is not valid."""
        if self.loaded is None:
            return None
        return loadouts(self.loaded, [*self.overrides, *more], [self.variant])[0].scenario

    @property
    def label(self) -> str:
        """How the scenario is named in comparisons: file, variant and overrides."""
        label = f"{self.file} [{self.variant}]" if self.variant else self.file
        return label + "".join(f" --set {x}" for x in self.sets)


ALL_VARIANTS = "all"


def load_scenario(
    path: str | os.PathLike[str],
    overrides: Sequence[tuple[str, Any]] = (),
    variant: str | None = None,
) -> Loadout:
    """Read, override and validate a scenario file; raises ScenarioError.

    Every variant in the file is validated too (an error in one is an error
    in the file); ``variant`` applies one by name, before ``overrides``.
    """
    return load_variants(path, overrides, [variant] if variant else [None])[0]


def load_variants(
    path: str | os.PathLike[str],
    overrides: Sequence[tuple[str, Any]] = (),
    variants: Sequence[str | None] = (None,),
) -> list[Loadout]:
    """One Loadout per name in ``variants`` (None: the file as written; "all":
    the file and then every variant in file order)."""
    return loadouts(load_yaml(path), overrides, variants)


def loadouts(
    loaded: Loaded,
    overrides: Sequence[tuple[str, Any]] = (),
    variants: Sequence[str | None] = (None,),
) -> list[Loadout]:
    """load_variants of scenario text already read (a file, a string, a dict)."""
    base = validate(apply_overrides(loaded, overrides), loaded, [p for p, _ in overrides])
    names = list(base.variants)
    wanted: list[str | None] = []
    for name in variants:
        if name == ALL_VARIANTS:
            wanted += [None, *names]
        else:
            wanted.append(name)
    problems = []
    for name in wanted:
        if name is not None and name not in base.variants:
            known = ", ".join(names) if names else "none in the file"
            problems.append(Problem(loaded.file, f"unknown variant {name!r} (variants: {known})",
                                    "--variant"))
    by_name: dict[str, Scenario] = {}
    for name, sets in base.variants.items():
        try:
            by_name[name] = _variant(loaded, name, sets, overrides)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    typed = tuple(Override(str(where), _as_written(value), "--set") for where, value in overrides)
    return [
        Loadout(base if name is None else by_name[name], loaded.file, loaded.sha256, name,
                tuple(f"{where}={value}" for where, value in overrides),
                typed if name is None else (*(
                    Override(str(k), _as_written(v), f"variant {name}")
                    for k, v in base.variants[name].items()), *typed),
                loaded, tuple((str(where), value) for where, value in overrides))
        for name in wanted
    ]


def _as_written(value: Any) -> str:
    """A value as the planner wrote it (null, not Python's None)."""
    return "null" if value is None else str(value)


def _variant(
    loaded: Loaded, name: str, sets: dict[str, Any], overrides: Sequence[tuple[str, Any]]
) -> Scenario:
    """The file with one variant's overrides (then the command line's) applied."""
    pairs = [(str(k), v) for k, v in sets.items()]
    try:
        data = apply_overrides(loaded, [*pairs, *overrides])
    except ScenarioError as exc:
        raise ScenarioError([replace(p, path=f"variants.{name}.{p.path}".rstrip("."),
                                     file=loaded.file)
                             for p in exc.problems]) from None
    data.pop("variants", None)
    try:
        return validate(data, loaded, [p for p, _ in pairs], origin=f"by variants.{name}")
    except ScenarioError as exc:
        line, col = loaded.locate(("variants", name))
        raise ScenarioError([replace(p, line=p.line or line, col=p.col or col)
                             for p in exc.problems]) from None


_MEANT = {"yield": "yield_per_unit", "cost": "unit_cost", "price": "unit_cost"}
"""Field names planners write for another: difflib finds yield_curve closer to
"yield", but a lever's yield is yield_per_unit."""

def split_path(dotted: str) -> Path:
    """``constraints[1].expr`` -> ('constraints', 1, 'expr')."""
    parts: list[str | int] = []
    for piece in dotted.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.lstrip("[")
    return tuple(parts)


def join_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _dotted(data: Any, loc: Sequence[str | int]) -> str:
    """A field path as written: list entries as [i], mapping keys (even 2024) as .key."""
    out = ""
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if part < len(node) else None
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def apply_overrides(loaded: Loaded, overrides: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of the file's data with each ``dotted.path = value`` set."""
    data = copy.deepcopy(loaded.data)
    problems = []
    for dotted, value in overrides:
        try:
            parts = split_path(dotted)
        except ValueError:
            parts = ()
        if not parts:
            problems.append(Problem("command line", f"not a field path (got {dotted!r})"))
            continue
        node: Any = data
        for i, part in enumerate(parts[:-1]):
            if i == 1 and parts[0] == "levers" and isinstance(node, dict) and not any(
                    str(key) == str(part) for key in node):
                # --set changes a value; a lever is not created one field at a time
                problems.append(Problem("command line", _no_lever(part, node), dotted))
                break
            if isinstance(node, dict):
                node = node.setdefault(_same_key(node, part), {})
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                node = None
            if not isinstance(node, dict | list):
                where = join_path(parts[: i + 1])
                problems.append(Problem("command line", f"{where} is not a mapping", dotted))
                break
        else:
            last = parts[-1]
            if isinstance(node, list) and not (isinstance(last, int) and last < len(node)):
                problems.append(Problem("command line", "no such list entry", dotted))
            elif value is None and isinstance(node, dict):
                # null removes the field, as if the file had not written it: an
                # optional field takes its default (README: "--set FIELD=null")
                node.pop(_same_key(node, last), None)
            else:
                node[_same_key(node, last) if isinstance(node, dict) else last] = value
    if problems:
        raise ScenarioError(problems)
    return data


def _no_lever(name: str | int, levers: Mapping[Any, Any]) -> str:
    ids = [str(key) for key in levers]
    near = difflib.get_close_matches(str(name), ids, n=1)
    hint = f"did you mean {near[0]!r}?" if near else "levers are " + ", ".join(ids)
    return f"no lever {str(name)!r} in the file; {hint} (got {str(name)!r})"


def _same_key(node: dict[Any, Any], part: str | int) -> Any:
    """The key of ``node`` that ``part`` names: a path is text, so
    ``budget.per_period.2024`` names the key written 2024, not a second one
    beside it (keys are compared as text, as the loader compares them)."""
    for key in node:
        if str(key) == str(part):
            return key
    return part


def _context(data: Mapping[str, Any]) -> dict[str, Any]:
    """Currency and rates for amount parsing, taken leniently: errors surface later."""
    currency = data.get("currency", "USD")
    rates = data.get("exchange_rates")
    good = {}
    if isinstance(rates, dict):
        for key, value in rates.items():
            if (
                isinstance(key, str)
                and isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value > 0
            ):
                good[key] = float(value)
    return {"currency": currency if isinstance(currency, str) else "USD", "rates": good}


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The schema model a pydantic error location points into (for suggestions)."""
    if "provenance" in loc[:-1]:  # levers.x.provenance.FIELD.<extra>
        return Provenance if loc.index("provenance") == len(loc) - 3 else None
    model: type[BaseModel] | None = Scenario
    nested: dict[str, type[BaseModel]] = {
        "target": Target, "budget": Budget, "constraints": LinearConstraint
    }
    for i, part in enumerate(loc):
        if model is Scenario and part == "levers" and i + 1 < len(loc):
            return Lever if i + 2 < len(loc) else None
        if model is Scenario and isinstance(part, str) and part in nested:
            model = nested[part]
            continue
        if isinstance(part, int):
            continue
        return model if i == len(loc) - 1 else None
    return model


_PLAIN = {
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "dict_type": "expected a mapping of fields",
    "model_type": "expected a mapping of fields",
    "list_type": "expected a list",
    "too_short": "must not be empty",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    loc = error["loc"]
    ctx = error.get("ctx") or {}
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc)
        hint = ""
        if model is not None:
            meant = _MEANT.get(str(loc[-1]))
            close = [meant] if meant in model.model_fields else difflib.get_close_matches(
                str(loc[-1]), list(model.model_fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            hint += f" (allowed: {', '.join(model.model_fields)})"
        return f"unknown field {loc[-1]!r}{hint}"
    if kind in ("greater_than_equal", "greater_than"):
        op = ">=" if kind == "greater_than_equal" else ">"
        return f"must be {op} {ctx.get('ge', ctx.get('gt'))} (got {shown})"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')} (got {shown})"
    return f"{_PLAIN.get(kind, error['msg'])} (got {shown})"


def validate(
    data: Any, loaded: Loaded, overridden: Sequence[str] = (), origin: str = "on the command line"
) -> Scenario:
    """Validate plain data from ``loaded`` into a Scenario, or raise every problem."""
    over = [split_path(p) for p in overridden]

    def problem(loc: Sequence[str | int], message: str) -> Problem:
        loc = tuple(loc)
        dotted = _dotted(data, loc)
        if any(loc[: len(o)] == o or o[: len(loc)] == loc for o in over if o):
            return Problem(loaded.file, f"{message} [set {origin}]", dotted)
        line, col = loaded.locate(loc)
        return Problem(loaded.file, message, dotted, line, col)

    if not isinstance(data, dict):
        raise ScenarioError([problem((), "the top level must be a mapping of fields")])
    early = _provenance_problems(data) + _outcome_problems(data)
    lift_problems = lift(data)
    lifted = [problem(loc, msg) for loc, msg in control_characters(data)]
    lifted += [problem(loc, msg) for loc, msg in lift_problems]
    # a field whose distribution was refused is not refused again as "not a number"
    refused = {loc[:3] if loc[0] == "levers" else loc[:2] for loc, _ in lift_problems}
    context = _context(data)
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        locs = [tuple(p for p in e["loc"] if not _is_pydantic_tag(p)) for e in exc.errors()]
        found = [
            problem(loc, _message(e)) for loc, e in zip(locs, exc.errors(), strict=True)
            if not any(loc[:len(r)] == r for r in refused)
        ]
        found += [problem(loc, msg) for loc, msg in _partial_consistency(data, context)]
        found += [problem(loc, msg) for loc, msg in early]
        raise ScenarioError(_in_file_order(lifted + found)) from None
    found = lifted + [problem(loc, msg) for loc, msg in consistency_problems(scenario)]
    found += [problem(loc, msg) for loc, msg in early]
    if found:
        raise ScenarioError(_in_file_order(found))
    return scenario


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line is None, p.line or 0, p.col or 0))


def _partial_consistency(data: dict[str, Any], context: dict[str, Any]) -> list[tuple[Path, str]]:
    """Consistency checks on the parts that did validate, so one run reports all.

    Used only when the whole file failed its type checks.
    """
    out: list[tuple[Path, str]] = []
    levers = data.get("levers")
    if not isinstance(levers, dict):
        return out
    budget = data.get("budget")
    ceiling = None
    if isinstance(budget, dict) and budget.get("ceiling") is not None:
        try:
            ceiling = Budget.model_validate(budget, context=context).ceiling
        except ValidationError:
            ceiling = float("nan")  # unknown: skip checks that need it
    goal = _raw_goal(data.get("objective"))
    periods = data.get("periods")
    if not (isinstance(periods, list) and all(isinstance(p, int | str) for p in periods)):
        periods = None
    out.extend(_number_word_ids(levers))
    known = {str(k): not (isinstance(v, dict) and v.get("enabled") is False)
             for k, v in levers.items()}
    enabled: list[str] = []
    disabled: list[str] = []
    for lid, raw in levers.items():
        if not isinstance(raw, dict):
            continue
        (disabled if raw.get("enabled") is False else enabled).append(str(lid))
        try:
            lever = Lever.model_validate(raw, context=context)
        except ValidationError:
            # a lever that fails its own checks still has its references checked,
            # so a bad lever id is not found only on the next run
            out.extend(_reference_problems(str(lid), raw, raw.get("enabled") is not False,
                                           known))
            continue
        if ceiling is None or math.isfinite(ceiling):
            out.extend(_lever_problems(str(lid), lever, ceiling, goal, periods, known))
    constraints = data.get("constraints")
    if isinstance(constraints, list):
        for i, con in enumerate(constraints):
            if isinstance(con, dict) and isinstance(con.get("expr"), str):
                try:
                    parse_relation(con["expr"], enabled, disabled, _declared(data))
                except ExpressionError as exc:
                    out.append((("constraints", i, "expr"), str(exc)))
    return out


def _declared(data: Mapping[str, Any]) -> list[str]:
    """The outcomes besides exports a file's raw data declares."""
    written = data.get("outcomes")
    return [o for o in written if isinstance(o, str) and o != EXPORTS] \
        if isinstance(written, dict) else []


def _reference_problems(lid: str, named: Mapping[str, Any], enabled: bool,
                        known: Mapping[str, bool]) -> list[tuple[Path, str]]:
    """Each lever id in ``requires`` / ``excludes`` that names no lever of the file,
    the lever itself, or a disabled lever."""
    out: list[tuple[Path, str]] = []
    for name in ("requires", "excludes"):
        others = named.get(name)
        if not isinstance(others, list | tuple):
            continue
        for i, other in enumerate(others):
            where: Path = ("levers", lid, name, i)
            if not isinstance(other, str):
                continue  # the type check says what is wrong with it
            if other == lid:
                out.append((where, f"a lever cannot name itself (got {other!r})"))
            elif other not in known:
                out.append((where, f"unknown lever {other!r} (levers: {', '.join(known)})"))
            elif not known[other] and enabled:
                out.append((where, f"lever {other!r} is disabled (enabled: false)"))
    return out


_MAPPING_FIELDS = frozenset({"unit_cost_by_period", "milestones", "per_period",
                             "exchange_rates", "yields", "yield_curves"})
"""Fields whose entries may each have their own provenance (FIELD.KEY)."""


def _provenance_problems(data: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Each ``provenance:`` key names a figure its object has: a field of the schema
    (FIELD) or an entry written in a mapping field (FIELD.KEY). On the raw data, so a
    misspelt key is reported with every other problem of the file."""
    owners: list[tuple[Path, type[BaseModel], Any, str]] = [((), Scenario, data, "the scenario")]
    pairs: tuple[tuple[str, type[BaseModel]], ...] = (("target", Target), ("budget", Budget))
    for name, model in pairs:
        owners.append(((name,), model, data.get(name), f"{name}:"))
    levers = data.get("levers")
    if isinstance(levers, dict):
        owners += [(("levers", lid), Lever, raw, "a lever") for lid, raw in levers.items()]
    constraints = data.get("constraints")
    if isinstance(constraints, list):
        owners += [(("constraints", i), LinearConstraint, raw, "a constraint")
                   for i, raw in enumerate(constraints)]
    outcomes = data.get("outcomes")
    if isinstance(outcomes, dict):
        owners += [(("outcomes", o), Outcome, raw, "an outcome") for o, raw in outcomes.items()]
    target = data.get("target")
    goals = target.get("outcomes") if isinstance(target, dict) else None
    if isinstance(goals, dict):
        owners += [(("target", "outcomes", o), OutcomeGoal, raw, "an outcome's floors")
                   for o, raw in goals.items()]
    out: list[tuple[Path, str]] = []
    for at, model, raw, what in owners:
        if not isinstance(raw, dict) or not isinstance(raw.get("provenance"), dict):
            continue
        fields = [f for f in model.model_fields if f not in PROVENANCE_SKIPPED]
        for key in raw["provenance"]:
            where = at + ("provenance", key)
            if not isinstance(key, str):
                out.append((where, f"expected a field name such as {fields[0]} (got {key!r})"))
                continue
            field, dot, entry = key.partition(".")
            if field not in fields:
                close = difflib.get_close_matches(field, fields, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                out.append((where, f"no such field of {what}{hint} (fields: "
                                   f"{', '.join(fields)}) (got {key!r})"))
            elif dot and field not in _MAPPING_FIELDS:
                out.append((where, f"{field} is not a mapping; write {field} alone "
                                   f"(got {key!r})"))
            elif dot:
                written = raw.get(field)
                keys = [str(k) for k in written] if isinstance(written, dict) else []
                if entry not in keys:
                    out.append((where, f"{field} has no entry {entry!r} (entries: "
                                       f"{', '.join(keys) or 'none'}) (got {key!r})"))
    return out


def _is_pydantic_tag(part: str | int) -> bool:
    # union branches add location parts such as 'function-before[...]' or 'float'
    return isinstance(part, str) and ("[" in part or part in {"float", "none"}
                                      or part in _TAGS)


# the tags of the schema's discriminated unions (objective: a name or {max: ...})
_TAGS = frozenset({"by-name", "by-max", "one-outcome", "weighted"})


def unit_upper_bound(
    lever: Lever, ceiling: float | None, periods: Sequence[int | str] = ("",)
) -> float | None:
    """The tightest cap on units funded over the horizon that the file implies.

    From max_units, fixed_units, max_units_per_period times the horizon, a
    yield curve's last breakpoint times the horizon (without a lag), and
    max_spend or the ceiling divided by the cheapest net unit cost.
    """
    caps = [c for c in (lever.max_units, lever.fixed_units) if c is not None]
    if lever.max_units_per_period is not None:
        caps.append(lever.max_units_per_period * len(periods))
    if lever.yield_curve and lever.lag == 0:
        # every unit is active in the period it is funded, and active units
        # stay within the curve's last breakpoint
        caps.append(lever.yield_curve[-1][0] * len(periods))
    net = min(lever.net_unit_cost_in(p) for p in periods)
    if net > 0:
        for money in (lever.max_spend, ceiling):
            if money is not None:
                caps.append(max(0.0, money - lever.fixed_cost) / net)
    return min(caps) if caps else None


def consistency_problems(s: Scenario) -> list[tuple[Path, str]]:
    """Every cross-field problem of a well-typed scenario."""
    out: list[tuple[Path, str]] = []
    if s.currency in s.exchange_rates:
        out.append((("exchange_rates", s.currency),
                    f"the reporting currency needs no rate (got {s.currency} in exchange_rates)"))
    enabled = s.enabled_levers()
    if not enabled:
        out.append((("levers",), "every lever is disabled; enable at least one"))
    out.extend(_period_problems(s))
    out.extend(_number_word_ids(s.levers))
    ceiling = s.budget.ceiling
    known = {lid: lv.enabled for lid, lv in s.levers.items()}
    for lid, lever in s.levers.items():
        out.extend(_lever_problems(lid, lever, ceiling, s.goal, s.periods, known))
    if s.objective == "min_cost" and not (s.target.has_exports or s.target.outcomes
                                          or s.constraints):
        out.append((("target",), "min_cost needs something to reach: target.exports, a floor "
                                 "under target.outcomes, or a constraint (got none)"))
    if s.maximises and ceiling is None:
        named = s.objective if isinstance(s.objective, str) else "{max: ...}"
        out.append((("budget", "ceiling"),
                    f"objective {named} needs a budget ceiling (got none)"))
    disabled = [k for k, v in s.levers.items() if not v.enabled]
    for i, con in enumerate(s.constraints):
        try:
            parse_relation(con.expr, list(enabled), disabled, s.other_outcomes)
        except ExpressionError as exc:
            out.append((("constraints", i, "expr"), str(exc)))
    out.extend(_correlation_problems(s))
    return out


def _outcome_problems(data: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Outcomes named in yields and floors are declared in `outcomes:` (spec section
    5); exports keeps its own fields (yield_per_unit, target.exports). On the raw
    data, so these are reported beside a file's type errors."""
    out: list[tuple[Path, str]] = []
    written = data.get("outcomes")
    others = [o for o in written if isinstance(o, str) and o != EXPORTS] \
        if isinstance(written, dict) else []
    declared = ", ".join(others) or "none: declare them under `outcomes:`"

    def unknown(at: Path, name: Any) -> None:
        if name == EXPORTS:
            field = ("target.exports" if at[0] != "levers" else "yield_curve"
                     if at[2] == "yield_curves" else "yield_per_unit")
            out.append((at, f"exports is not named here; its figure is {field} "
                            f"(got {name!r})"))
        elif name not in others:
            out.append((at, f"not an outcome of the file (got {name!r}; outcomes: "
                            f"{declared})"))

    objective = data.get("objective")
    wanted = objective.get("max") if isinstance(objective, dict) else None
    for name in ([wanted] if isinstance(wanted, str) else
                 wanted if isinstance(wanted, dict) else ()):
        where: Path = (("objective", "max") if isinstance(wanted, str)
                       else ("objective", "max", name))
        if name != EXPORTS and name not in others:
            out.append((where, f"not an outcome of the file (got {name!r}; outcomes: exports"
                            f"{', ' + ', '.join(others) if others else ''})"))
    levers = data.get("levers")
    for lid, lever in (levers.items() if isinstance(levers, dict) else ()):
        for mapping in ("yields", "yield_curves"):
            named = lever.get(mapping) if isinstance(lever, dict) else None
            for name in (named if isinstance(named, dict) else ()):
                unknown(("levers", lid, mapping, name), name)
    target = data.get("target")
    goals = target.get("outcomes") if isinstance(target, dict) else None
    periods = data.get("periods")
    if not (isinstance(periods, list) and all(isinstance(p, int | str) for p in periods)):
        periods = None
    for name, goal in (goals.items() if isinstance(goals, dict) else ()):
        at: Path = ("target", "outcomes", name)
        unknown(at, name)
        milestones = goal.get("milestones") if isinstance(goal, dict) else None
        if isinstance(milestones, dict):
            out += _keys_are_periods(at + ("milestones",), milestones, periods, False)
    return out


def _raw_goal(objective: Any) -> dict[str, float]:
    """What a max objective maximises, read from the raw file (weights as 1: only
    which outcomes matter where this is used)."""
    if objective == "max_exports":
        return {EXPORTS: 1.0}
    wanted = objective.get("max") if isinstance(objective, dict) else None
    if isinstance(wanted, str):
        return {wanted: 1.0}
    return {str(o): 1.0 for o in wanted} if isinstance(wanted, dict) else {}


def _number_word_ids(levers: Iterable[Any]) -> list[tuple[Path, str]]:
    """inf, infinity and nan are numbers in an expression (as in YAML and in
    Python), so they cannot be lever ids: a constraint could not name them."""
    return [
        (("levers", lid), f"{lid!r} cannot be a lever id: in constraint expressions "
                          "inf, infinity and nan are numbers; rename the lever "
                          f"(got {lid!r})")
        for lid in levers
        if isinstance(lid, str) and lid.lower() in NUMBER_WORDS
    ]


def _correlation_problems(s: Scenario) -> list[tuple[Path, str]]:
    """Each correlation names two distinct uncertain parameters, and together they
    form a valid correlation matrix."""
    params = s.uncertainty.parameters
    out: list[tuple[Path, str]] = []
    pairs: dict[tuple[str, str], float] = {}
    for i, corr in enumerate(s.uncertainty.correlations):
        a, b = corr.between
        for j, name in enumerate((a, b)):
            if name not in params:
                known = ", ".join(params) or "none: no field is written as a distribution"
                out.append((("uncertainty", "correlations", i, "between", j),
                            f"not an uncertain parameter (got {name!r}; uncertain: {known})"))
        if a == b:
            out.append((("uncertainty", "correlations", i, "between"),
                        f"a parameter is not correlated with itself (got {a!r} twice)"))
        pairs[(a, b)] = corr.rho
    if out or not pairs:
        return out
    try:
        sample(params, 1, s.uncertainty.seed, pairs)
    except (CorrelationError, ValueError) as exc:
        out.append((("uncertainty", "correlations"), str(exc)))
    return out


def _keys_are_periods(
    at: Path, keyed: Mapping[Any, Any], periods: list[int | str] | None, allow_last: bool = True
) -> list[tuple[Path, str]]:
    if not keyed:
        return []
    if not periods:
        return [(at, f"needs `periods:` at the top level (got keys {list(keyed)})")]
    names = [str(p) for p in periods]
    out = []
    for key in keyed:
        if str(key) not in names:
            out.append((at + (key,), f"{key!r} is not a period (periods: {', '.join(names)})"))
        elif not allow_last and str(key) == names[-1]:
            out.append((at + (key,), f"the last period {key!r} is the target's; milestones are "
                                     "for earlier periods"))
    return out


def _period_problems(s: Scenario) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    periods = s.periods
    if periods is not None:
        names = [str(p) for p in periods]
        if not periods:
            out.append((("periods",), "must list at least one period (got [])"))
        for i, name in enumerate(names):
            if name in names[:i]:
                out.append((("periods", i), f"duplicate period (got {periods[i]!r})"))
        ints = [p for p in periods if isinstance(p, int)]
        if len(ints) == len(periods) and any(b <= a for a, b in zip(ints, ints[1:], strict=False)):
            out.append((("periods",), f"years must increase (got {periods})"))
    out += _keys_are_periods(("target", "milestones"), s.target.milestones, periods, False)
    out += _keys_are_periods(("budget", "per_period"), s.budget.per_period, periods)
    if s.discount_rate and not periods:
        out.append((("discount_rate",), "needs `periods:` (one period is never discounted) "
                                        f"(got {s.discount_rate:g})"))
    return out


def _lever_problems(
    lid: str,
    lever: Lever,
    ceiling: float | None,
    goal: Mapping[str, float],
    periods: list[int | str] | None,
    known: Mapping[str, bool] | None,
) -> list[tuple[Path, str]]:
    at: Path = ("levers", lid)
    out: list[tuple[Path, str]] = []
    if lever.yield_per_unit is None and lever.yield_curve is None:
        out.append((at + ("yield_per_unit",), "required field is missing (or give yield_curve)"))
    pairs = (("min_units", "max_units"), ("min_spend", "max_spend"))
    for low_name, high_name in pairs:
        low, high = getattr(lever, low_name), getattr(lever, high_name)
        if low is not None and high is not None and high < low:
            out.append((at + (high_name,),
                        f"must be >= {low_name} ({_g(low)}) (got {_g(high)})"))
    if lever.integer:
        for name in ("min_units", "max_units", "min_units_if_used", "fixed_units",
                     "max_units_per_period"):
            value = getattr(lever, name)
            if value is not None and value != math.floor(value):
                out.append((at + (name,),
                            f"an integer lever needs a whole number (got {_g(value)})"))
    if (
        lever.min_units_if_used is not None
        and lever.max_units is not None
        and lever.min_units_if_used > lever.max_units
    ):
        out.append((at + ("min_units_if_used",),
                    f"must be <= max_units ({_g(lever.max_units)}) "
                    f"(got {_g(lever.min_units_if_used)})"))
    out += _lock_problems(at, lever, len(periods) if periods else 1)
    out += _curve_problems(at, lever)
    out += _keys_are_periods(at + ("unit_cost_by_period",), lever.unit_cost_by_period, periods)
    horizon = len(periods) if periods else 1
    if lever.lag >= horizon:
        out.append((at + ("lag",), f"must be below the horizon of {horizon} period"
                                   f"{'s' * (horizon != 1)} (got {lever.lag})"))
    if known is not None:
        out += _reference_problems(lid, {"requires": lever.requires, "excludes": lever.excludes},
                                   lever.enabled, known)
        both = set(lever.requires) & set(lever.excludes)
        for other in sorted(both):
            out.append((at + ("excludes",), f"{other!r} is both required and excluded"))
    if not lever.enabled:
        return out
    bound = unit_upper_bound(lever, ceiling, periods or ("",))
    if bound is None:
        for name in ("fixed_cost", "min_units_if_used"):
            value = getattr(lever, name)
            if value:
                out.append((at + (name,),
                            f"{name} needs an upper bound on units: set max_units, max_spend "
                            f"or budget.ceiling (got {name} {_g(value)} and no bound)"))
        gains = [o for o in goal if (not lever.yield_curve and (lever.yield_per_unit or 0)
                                     if o == EXPORTS else lever.outcome_yield(o) > 0)]
        if gains:
            out.append((at,
                        f"{' and '.join(gains)} would be unbounded: this lever has no cap "
                        "(set max_units or max_spend, or give it a cost under the ceiling)"))
    return out


def _lock_problems(at: Path, lever: Lever, horizon: int) -> list[tuple[Path, str]]:
    """fixed_units against every bound it could contradict, naming both fields."""
    fixed = lever.fixed_units
    if fixed is None:
        return []
    out = []
    if fixed < lever.min_units:
        out.append((at + ("fixed_units",), f"{_g(fixed)} contradicts min_units "
                                           f"{_g(lever.min_units)} (got {_g(fixed)})"))
    if lever.max_units is not None and fixed > lever.max_units:
        out.append((at + ("fixed_units",), f"{_g(fixed)} contradicts max_units "
                                           f"{_g(lever.max_units)} (got {_g(fixed)})"))
    per = lever.max_units_per_period
    if per is not None and fixed > per * horizon:
        out.append((at + ("fixed_units",),
                    f"{_g(fixed)} contradicts max_units_per_period {_g(per)} over "
                    f"{horizon} period{'s' * (horizon != 1)} (got {_g(fixed)})"))
    least = lever.min_units_if_used
    if least is not None and 0 < fixed < least:
        out.append((at + ("fixed_units",), f"{_g(fixed)} contradicts min_units_if_used "
                                           f"{_g(least)} (got {_g(fixed)})"))
    return out


def _curve_problems(at: Path, lever: Lever) -> list[tuple[Path, str]]:
    out = _one_curve(at + ("yield_curve",), lever.yield_curve)
    for name, curve in lever.yield_curves.items():
        out += _one_curve(at + ("yield_curves", name), curve)
        if name in lever.yields:
            out.append((at + ("yields", name), f"{name} has a curve in yield_curves; give "
                                               f"one of the two (got both)"))
    return out


def _one_curve(where: Path, curve: Sequence[tuple[float, float]] | None
               ) -> list[tuple[Path, str]]:
    """A curve starts at [0, 0] and its units increase strictly."""
    if curve is None:
        return []
    if len(curve) < 2:
        return [(where, f"needs at least two points, starting at [0, 0] (got {curve})")]
    out = []
    if tuple(curve[0]) != (0.0, 0.0):
        out.append((where + (0,), f"must start at [0, 0] (got {list(curve[0])})"))
    for i in range(1, len(curve)):
        if curve[i][0] <= curve[i - 1][0]:
            out.append((where + (i,), f"units must increase strictly (got {_g(curve[i][0])} "
                                      f"after {_g(curve[i - 1][0])})"))
    return out


def _g(value: float) -> str:
    return f"{value:,.12g}"
