"""Distributions written in a scenario's fields: lifted out before validation.

A lever parameter or an exchange rate may be written as a distribution
(``yield_per_unit: {dist: triangular, low: 20k, mode: 25k, high: 30k}``). Before
the schema sees the file, each one is replaced by its point value (the number
a deterministic solve uses, see ``optimizer.scenario.uncertainty.point_value``) and kept
under ``uncertainty.parameters``; an amount written in a currency whose rate is
uncertain is noted under ``uncertainty.currencies``, so that a sample of the
rate moves it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.scenario.amounts import AmountError, parse_amount, parse_fraction, parse_number
from optimizer.scenario.uncertainty import (
    CorrelationError,
    Distribution,
    DistributionError,
    parse_distribution,
    point_value,
    sample,
)

MONEY_FIELDS = ("unit_cost", "yield_per_unit", "fixed_cost", "recurring_cost")
SHARE_FIELDS = ("cost_recovery", "attrition")
UNCERTAIN_FIELDS = MONEY_FIELDS + SHARE_FIELDS

Loc = tuple[str | int, ...]


def _is_distribution(value: Any) -> bool:
    return isinstance(value, Mapping) and "dist" in value


def _written_in(value: Any, currencies: Mapping[str, float]) -> str | None:
    """The currency an amount names ("100,000 PKR" -> PKR), if one of ``currencies``."""
    texts = [v for v in (value.values() if isinstance(value, Mapping) else [value])
             if isinstance(v, str)]
    for text in texts:
        words = text.replace(",", " ").split()
        if words and words[-1] in currencies:
            return words[-1]
    return None


def lift(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Replace every distribution in ``data`` (plain data, changed in place) by its
    point value and record it under ``uncertainty``; returns the problems found as
    (location, message)."""
    problems: list[tuple[Loc, str]] = []
    found: dict[str, Distribution] = {}
    block = data.get("uncertainty")
    if isinstance(block, dict) and "parameters" in block:
        problems.append((("uncertainty", "parameters"),
                         "is filled from the file's distributions: write a distribution in "
                         "place of the number, e.g. yield_per_unit: {dist: uniform, low: 20k, "
                         "high: 30k}"))
    if isinstance(block, dict) and "currencies" in block:
        problems.append((("uncertainty", "currencies"), "is filled by the loader, not written"))
    currency = data.get("currency", "USD") if isinstance(data.get("currency"), str) else "USD"

    rates = data.get("exchange_rates")
    uncertain_rates: dict[str, float] = {}
    if isinstance(rates, dict):
        for code, raw in rates.items():
            if not _is_distribution(raw):
                continue
            path = f"exchange_rates.{code}"
            try:
                dist = parse_distribution(raw, path, parse_number)
            except DistributionError as exc:
                problems.append((_loc(exc.path), exc.message))
                continue
            found[path] = dist
            rates[code] = point_value(dist)
            uncertain_rates[str(code)] = rates[code]
    plain_rates = {str(k): float(v) for k, v in (rates or {}).items()
                   if isinstance(v, int | float) and not isinstance(v, bool) and v > 0} \
        if isinstance(rates, dict) else {}

    written: dict[str, str] = {}
    levers = data.get("levers")
    if isinstance(levers, dict):
        for lid, lever in levers.items():
            if not isinstance(lever, dict):
                continue
            for field, raw in lever.items():
                path = f"levers.{lid}.{field}"
                if field in MONEY_FIELDS and uncertain_rates:
                    code = _written_in(raw, uncertain_rates)
                    if code is not None:
                        written[path] = code
                if not _is_distribution(raw):
                    continue
                if field not in UNCERTAIN_FIELDS:
                    problems.append(((("levers", lid, field)),
                                     f"a distribution is allowed on {', '.join(UNCERTAIN_FIELDS)}"
                                     f" and exchange rates, not on {field} (got {dict(raw)})"))
                    continue

                def convert(value: Any, field: str = field) -> float:
                    if field in SHARE_FIELDS:
                        return parse_fraction(value)
                    return parse_amount(value, currency, plain_rates)

                try:
                    dist = parse_distribution(raw, path, convert)
                except (DistributionError, AmountError) as exc:
                    where = getattr(exc, "path", path)
                    problems.append((_loc(where), getattr(exc, "message", str(exc))))
                    continue
                found[path] = dist
                lever[field] = point_value(dist)
    if found or written or (isinstance(block, dict) and block):
        target = data.setdefault("uncertainty", {})
        if isinstance(target, dict):
            target["parameters"] = found
            target["currencies"] = written
    return problems


def _loc(path: str) -> Loc:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def draw(parameters: Mapping[str, Distribution], currencies: Mapping[str, str],
         correlations: Mapping[tuple[str, str], float], n: int, seed: int,
         points: Mapping[str, float]) -> dict[str, npt.NDArray[np.float64]]:
    """``n`` joint draws of every uncertain lever field, in the reporting currency.

    An amount written in a currency whose rate is uncertain moves with the rate:
    its value (drawn or fixed at ``points``) times point rate / drawn rate. Raises
    ValueError naming a pair whose correlations cannot hold together.
    """
    try:
        drawn = sample(parameters, n, seed, correlations)
    except CorrelationError as exc:
        raise ValueError(f"uncertainty.correlations: {exc}") from None
    out = {path: values for path, values in drawn.items() if path.startswith("levers.")}
    for path, code in currencies.items():
        rate = f"exchange_rates.{code}"
        if rate not in drawn:
            continue
        base = out.get(path, np.full(n, points[path]))
        out[path] = base * (points[rate] / drawn[rate])
    return out


def scenario_draws(s: Any, n: int | None = None, seed: int | None = None
                   ) -> dict[str, npt.NDArray[np.float64]]:
    """``n`` joint draws (default ``uncertainty.samples``, seed default
    ``uncertainty.seed``) of every uncertain lever field of validated scenario
    ``s``, keyed ``levers.ID.FIELD``, in the reporting currency (fractions for
    cost_recovery and attrition). Fields without a distribution are absent."""
    u = s.uncertainty
    points: dict[str, float] = {}
    for path in [*u.parameters, *u.currencies]:
        parts = path.split(".")
        if parts[0] == "exchange_rates":
            points[path] = s.exchange_rates[parts[1]]
        else:
            points[path] = getattr(s.levers[parts[1]], parts[2])
    for code in set(u.currencies.values()):
        points[f"exchange_rates.{code}"] = s.exchange_rates[code]
    pairs = {(c.between[0], c.between[1]): c.rho for c in u.correlations}
    return draw(u.parameters, u.currencies, pairs, n or u.samples,
                u.seed if seed is None else seed, points)


def with_values(s: Any, values: Mapping[str, float]) -> Any:
    """Scenario ``s`` with lever fields set: {"levers.a.unit_cost": 1.2, ...}."""
    levers = dict(s.levers)
    for path, value in values.items():
        _, lid, field = path.split(".")
        levers[lid] = levers[lid].model_copy(update={field: float(value)})
    return s.model_copy(update={"levers": levers})
