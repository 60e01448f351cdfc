"""The one table layout (optimizer.present.formats.layout): plain text and Markdown of a Grid."""

from __future__ import annotations

import pytest

from optimizer.present.formats.layout import (
    Grid,
    Mark,
    display_width,
    escape,
    grid,
    markdown,
    text,
    wrap,
)

MONEY = grid(["lever", "units", "spend (USD)"],
             [["workers", "1,000", "20,000,000"], ["centres", "12", "350,877"]],
             totals=[["total", "", "20,350,877"]])


def test_text_pads_each_column_to_its_widest_cell_two_spaces_apart() -> None:
    assert text(MONEY) == [
        "lever    units  spend (USD)",
        "---------------------------",
        "workers  1,000   20,000,000",
        "centres     12      350,877",
        "---------------------------",
        "total            20,350,877",
    ]


def test_text_left_and_right_columns_and_no_trailing_spaces() -> None:
    g = grid(["a", "b", "c"], [["x", "1", "long text"], ["yy", "22", ""]], left=(0, 2))
    assert text(g) == ["a    b  c", "-" * 17, "x    1  long text", "yy  22"]


def test_text_without_rules_and_without_totals() -> None:
    g = grid(["a", "bb"], [["x", "1"]])
    assert text(g, rule=False) == ["a  bb", "x   1"]
    assert text(g) == ["a  bb", "-----", "x   1"]


def test_text_rule_is_as_wide_as_the_widest_line_totals_included() -> None:
    g = grid(["a", "b"], [["x", "1"]], totals=[["total", "1,000,000"]])
    lines = text(g)
    assert lines[1] == lines[3] == "-" * len("total  1,000,000")


def test_wide_characters_take_two_columns() -> None:
    assert display_width("中心") == 4
    assert display_width("e\u0301") == 1  # e and a combining acute: one column
    assert display_width("Δ–") == 2  # ambiguous width: narrow, as terminals draw them
    g = grid(["lever", "units"], [["中心", "1"], ["centres", "22"]])
    lines = text(g)
    assert lines == ["lever    units", "--------------", "中心         1", "centres     22"]
    assert {display_width(line) for line in lines} == {14}


def test_measure_len_counts_code_points_as_the_renderers_do() -> None:
    g = grid(["lever", "units"], [["中心", "1"], ["centres", "22"]])
    assert text(g, measure=len) == ["lever    units", "--------------", "中心           1",
                                    "centres     22"]


def test_header_labels_of_number_columns_wrap_onto_lines_above() -> None:
    g = grid(["metric", "configs/a_long_file_name.yaml", "Δ vs configs/a_long_file_name.yaml"],
             [["total cost", "1", "+2"]])
    assert text(g, wrap_header=14) == [
        "                         configs/          Δ vs configs/",
        "metric      a_long_file_name.yaml  a_long_file_name.yaml",
        "--------------------------------------------------------",
        "total cost                      1                     +2",
    ]


def test_wrap_breaks_after_slash_or_at_spaces_and_keeps_long_words() -> None:
    assert wrap("configs/pakistan_it_exports.yaml", 14) == ["configs/",
                                                            "pakistan_it_exports.yaml"]
    assert wrap("Δ vs configs/x.yaml", 14) == ["Δ vs configs/", "x.yaml"]
    assert wrap("short", 14) == ["short"]
    assert wrap("", 14) == [""]


def test_markdown_alignment_rule_and_bold_totals() -> None:
    assert markdown(MONEY) == [
        "| lever | units | spend (USD) |",
        "|---|---:|---:|",
        "| workers | 1,000 | 20,000,000 |",
        "| centres | 12 | 350,877 |",
        "| **total** |  | **20,350,877** |",
    ]


def test_markdown_escapes_pipes_and_line_breaks_one_way() -> None:
    g = grid(["a|b", "n"], [["IT | workforce\ntrained  and placed ", "1"]])
    assert markdown(g) == ["| a\\|b | n |", "|---|---:|",
                           "| IT \\| workforce trained and placed | 1 |"]
    assert escape("a|b\r\nc\td") == "a\\|b c d"


def test_markdown_pipes_only_and_raw_header_reproduce_older_renderers() -> None:
    # (a line break is a space even so: it would split the row)
    g = grid(["F|24", "n"], [["a | b\nc", "1"]], totals=[["total", "2"]])
    assert markdown(g, escape_cells="pipes", escape_header=False, strong_totals=False) == [
        "| F|24 | n |", "|---|---:|", "| a \\| b c | 1 |", "| total | 2 |"]


def test_markdown_marks_emphasise_after_escaping_and_leave_empty_cells_empty() -> None:
    g = grid(["name", "basis"], [[Mark("a|b", "code"), Mark(" x ", "strong")],
                                 [Mark("", "code"), Mark("", "strong")]])
    assert markdown(g)[2:] == ["| `a\\|b` | **x** |", "|  |  |"]
    assert text(g) == ["name  basis", "-----------", "a|b      x", ""]  # words alone


def test_a_table_without_a_header() -> None:
    g = grid(None, [["Status", Mark("Optimal", "strong"), ""]], left=(0, 2))
    assert markdown(g) == ["| | | |", "|---|---:|---|", "| Status | **Optimal** |  |"]
    assert text(g) == ["Status  Optimal"]


def test_rows_must_fit_the_columns() -> None:
    with pytest.raises(ValueError, match="a row of 1 cells in a table of 2 columns"):
        Grid(("a", "b"), (("x",),), ("left", "right"))
    assert grid(None, []).align == ()
    assert text(grid(None, [])) == []
