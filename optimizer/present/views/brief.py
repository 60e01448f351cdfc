"""The brief: the report's first section, two A4 pages a minister reads.

The headline and the allocation (the report's own), the frontier chart, what binds
(each limit re-solved tightened and loosened), and the assumptions
that move the answer most (the tornado's largest swings, with the basis the file
states). Every name in it is a plain name (:mod:`optimizer.scenario.names`); the
rest of the report follows as annexes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from optimizer.present.views.model import Brief, Column, Quantity, Table
from optimizer.scenario.names import plain_name
from optimizer.scenario.schema import Scenario

MOST_ASSUMPTIONS = 5
"""Rows of the brief's assumptions: the largest swings."""
def _binds(binding: Table) -> Table:
    """The annex's binding table cut to what a minister reads: the limit, its value,
    and its worth both ways in words (tightened and loosened, each re-solved)."""
    at = {c.key: i for i, c in enumerate(binding.columns)}
    rows = tuple((row[at["limit"]], row[at["current"]], row[at["reading"]] or "")
                 for row in binding.rows)
    return Table(
        key="brief_binds", title="What binds",
        columns=(Column("limit", "limit"), Column("current", "now", "mixed"),
                 Column("worth", "what it is worth both ways (re-solved)")),
        rows=rows,
        caption="The limits the plan presses against, each tightened and loosened and the "
                "scenario re-solved (Annex: what binds).",
        empty="No limit binds: the plan could move in every direction.")


def _drivers(tornado: Table | None, assumptions: Table, s: Scenario) -> Table:
    basis = {row[0]: row[4] for row in assumptions.rows}
    rows: list[tuple[Any, ...]] = []
    if tornado is not None:
        at = {c.key: i for i, c in enumerate(tornado.columns)}
        ranked = sorted(tornado.rows, key=lambda r: -_size(r[at["swing"]]))
        for row in ranked[:MOST_ASSUMPTIONS]:
            path = row[at["name"]]
            rows.append((plain_name(path, s), row[at["value"]], row[at["low"]],
                         row[at["high"]], row[at["at_low"]], row[at["at_high"]],
                         basis.get(path, "")))
        what = tornado.columns[at["at_low"]].label.removesuffix(" at low")
        caption = (f"The {len(rows)} parameters whose moving changes the {what} most (the "
                   "tornado: each moved alone and re-solved; Annex: explanation), with the "
                   "basis the file states for each.")
    else:
        # without the tornado nothing is measured: the file's own assumptions, unranked
        chosen = [row for row in assumptions.rows if row[4] == "assumption"]
        return Table(
            key="brief_assumptions", title="The assumptions the answer rests on",
            columns=(Column("parameter", "parameter"), Column("value", "now", "mixed"),
                     Column("source", "why", wide=True)),
            rows=tuple((plain_name(row[0], s), row[2], row[7])
                       for row in chosen[:MOST_ASSUMPTIONS]),
            caption=(f"{min(len(chosen), MOST_ASSUMPTIONS)} of the {len(chosen)} figures the "
                     "file calls assumptions, in file order, not ranked: --explain measures "
                     "what each moves and ranks them here. All are in the annex."),
            empty="The file calls no figure an assumption.")
    return Table(
        key="brief_assumptions", title="The assumptions that matter most",
        columns=(Column("parameter", "parameter"), Column("value", "now", "mixed"),
                 Column("low", "low", "mixed"), Column("high", "high", "mixed"),
                 Column("at_low", f"{what} at low", "mixed"),
                 Column("at_high", f"{what} at high", "mixed"), Column("basis", "basis")),
        rows=tuple(rows), caption=caption,
        empty="Add --explain to rank the assumptions by what they move.")


def _size(cell: Any) -> float:
    value = cell.value if isinstance(cell, Quantity) else cell
    return math.inf if value is None else abs(float(value))


def build_brief(binding: Table, explained: Sequence[Table], assumptions: Table,
                s: Scenario, frontier: str | None) -> Brief:
    """The brief from the report's own tables: the same figures, fewer of them."""
    tornado = next((t for t in explained if t.key == "tornado"), None)
    return Brief(binds=_binds(binding), drivers=_drivers(tornado, assumptions, s),
                 frontier=frontier)
