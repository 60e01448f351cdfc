"""One view model for every table: a views Table, worded by its style (memo or exact),
laid out as text or Markdown and written as CSV by the same back-ends; the command
line's tables are built as such Tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from optimizer.numbers import memo
from optimizer.present.formats import (
    CSV_COLUMNS,
    allocation_table,
    layout,
    render_csv,
    render_markdown,
    render_table,
    tables,
)
from optimizer.present.views.model import Column, Quantity, Table, cell_text, pick
from optimizer.results import Result

SMALL = Table(
    "small", "Small",
    (Column("id", "id"), Column("lever", "lever"), Column("units", "units", "count"),
     Column("spend", "spend (USD)", "money", scale=memo.Scale(1e6, "M", 2), bare=True),
     Column("share", "share", "share")),
    (("A", "a", 3, 1_250_000.0, 0.25), ("B", "b", None, 3_750_000.0, 0.75)),
    (("", "total", "", 5_000_000.0, 1.0),),
    page_hidden=("id",))

CSV = """\
id,lever,units,spend,share
A,a,3,1250000.0,0.25
B,b,,3750000.0,0.75
"""


def _text(table: Table) -> str:
    return "\n".join(layout.text(tables.grid(table, "USD"))) + "\n"


def _markdown(table: Table) -> str:
    return "\n".join(layout.markdown(tables.grid(table, "USD"))) + "\n"


def test_a_memo_table_as_text_markdown_and_csv() -> None:
    assert _text(SMALL) == """\
lever  units  spend (USD)   share
---------------------------------
a          3       $1.25M   25.0%
b        n/a       $3.75M   75.0%
---------------------------------
total              $5.00M  100.0%
"""
    assert _markdown(SMALL) == """\
| lever | units | spend (USD) | share |
|---|---:|---:|---:|
| a | 3 | $1.25M | 25.0% |
| b | n/a | $3.75M | 75.0% |
| **total** |  | **$5.00M** | **100.0%** |
"""
    assert tables.csv_text(SMALL) == CSV


def test_the_same_table_in_the_exact_style() -> None:
    exact = replace(SMALL, style="exact")
    assert _text(exact) == """\
lever  units  spend (USD)   share
---------------------------------
a          3    1,250,000   25.0%
b          -    3,750,000   75.0%
---------------------------------
total           5,000,000  100.0%
"""
    assert _markdown(exact) == """\
| lever | units | spend (USD) | share |
|---|---:|---:|---:|
| a | 3 | 1,250,000 | 25.0% |
| b | - | 3,750,000 | 75.0% |
| **total** |  | **5,000,000** | **100.0%** |
"""
    # the CSV writes raw numbers: the style does not touch it
    assert tables.csv_text(exact) == CSV


def test_exact_cells_take_their_details_from_the_column_and_the_quantity() -> None:
    table = Table(
        "certainty", "Certainty",
        (Column("confidence", "confidence", "share", decimals=0, align="left"),
         Column("cost", "cost", "money"),
         Column("change", "change", "mixed", signed=True)),
        ((0.9, 1234.4, Quantity(12.0, "count")),
         (0.95, 50.25, Quantity(-0.5, "money")),
         (1.0, None, Quantity(0.0, "number", "0"))),
        style="exact")
    assert _text(table) == """\
confidence       cost     change
--------------------------------
90%         1,234 USD        +12
95%         50.25 USD  -0.50 USD
100%                -          0
"""
    # the memo words the same figures its own way
    assert cell_text(1234.4, table.columns[1], "USD") == "$1,234"
    assert cell_text(Quantity(0.5, "share"), table.columns[2], "USD", "exact") == "+50.0%"
    assert cell_text(Quantity(0.0, "number", "0"), table.columns[2], "USD", "memo") == "0"


TINY = """
    name: tiny
    currency: USD
    target: {exports: 8000}
    levers:
      a: {name: Alpha, unit: seat, unit_cost: 100, yield_per_unit: 1000, max_units: 5}
      b: {name: Beta, unit: desk, unit_cost: 300, yield_per_unit: 1000}
"""
"""By hand: Alpha costs 0.1 a unit of exports, Beta 0.3; 8,000 needed, Alpha gives at most
5,000 (5 seats, 500), Beta the other 3,000 (3 desks, 900): 1,400 in all."""


def test_the_optimize_table_is_a_views_table_of_the_results_numbers(
        solve: Callable[..., Result]) -> None:
    result = solve(TINY)
    table = allocation_table(result)
    assert table.style == "exact" and table.page_hidden == ("lever",)
    keys = [c.key for c in table.columns]
    assert set(CSV_COLUMNS) <= set(keys)
    for rec, row in zip(result.rows, table.rows, strict=True):
        cells = dict(zip(keys, row, strict=True))
        assert (cells["lever"], cells["name"], cells["unit"]) == (rec.lever, rec.name, rec.unit)
        for key in ("units", "spend", "exports", "cost_per_export", "share_of_exports"):
            assert cells[key] == getattr(rec, key), key
    assert [row[2:6] for row in table.rows] == [(5, "seat", 500, 5000), (3, "desk", 900, 3000)]
    assert table.totals == (("", "total", "", "", result.total_cost, result.lever_exports,
                             "", ""),)
    assert (result.total_cost, result.lever_exports) == (1400, 8000)

    # the renderers write this table, through the same back-ends
    text = "\n".join(layout.text(tables.grid(table, "USD"), measure=len))
    assert text == """\
lever  units  unit  spend (USD)  exports (USD/yr)  cost per export  share
-------------------------------------------------------------------------
Alpha      5  seat          500             5,000              0.1  62.5%
Beta       3  desk          900             3,000              0.3  37.5%
-------------------------------------------------------------------------
total                     1,400             8,000"""
    assert text in render_table(result)
    assert "\n".join(layout.markdown(tables.grid(table, "USD"), escape_cells="pipes",
                                     escape_header=False)) in render_markdown(result)
    assert render_csv(result) == tables.csv_text(pick(table, CSV_COLUMNS))
    assert render_csv(result).splitlines() == [
        "lever,name,unit,units,spend,exports,cost_per_export,share_of_exports",
        "a,Alpha,seat,5.0,500.0,5000.0,0.1,0.625",
        "b,Beta,desk,3.0,900.0,3000.0,0.3,0.375"]
