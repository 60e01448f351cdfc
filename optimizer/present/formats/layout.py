"""One way to lay out a table: cells already worded, columns aligned, and the back-ends
that write it as aligned plain text or GitHub Markdown.

A :class:`Grid` holds what has been decided (each cell's words, which columns read
left or right, which rows are totals): a views Table becomes one in
:func:`optimizer.present.formats.tables.grid`. How the columns line up, where a rule
goes and how a cell is escaped are decided here, once, for every output. No renderer
pads, rules or escapes a text or Markdown table of its own. (CSV is written from a
Table's raw numbers, not from worded cells, by ``tables.csv_text``; the report's HTML,
LaTeX and workbook write its tables in their own markup.)

Plain text: each column as wide as its widest cell (:func:`display_width`: a wide
character takes two columns, a combining mark none), two spaces between columns, a
rule of ``-`` under the header and above the totals, no trailing spaces.

Markdown: ``| a | b |`` rows, the alignment rule ``---`` (left) or ``---:`` (right), a
``|`` in a cell written ``\\|`` and every run of white space in it (a line break
included: a row cannot hold one) written as one space, totals in bold.

Hostile text (README, "Limits and safety"): a Markdown cell or heading writes a ``<``
that could open an HTML tag, comment or autolink as ``&lt;`` and makes no link
(:func:`html_safe`), a heading is one line (:func:`one_line`); a plain-text cell is
one line and shows a control character as its escape (``\\x1b``), as everything the
command line prints does (:func:`visible`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "right"]
Style = Literal["strong", "code"]
Escape = Literal["one_line", "pipes"]
"""How Markdown writes a cell: ``one_line`` escapes ``|`` and writes every run of white
space (line breaks included) as one space, trimmed; ``pipes`` escapes ``|`` and writes
a line break (with the white space around it) as one space, other spaces as they are."""


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters a terminal acts on (C0 but tab and line feed, DEL, C1)."""
_C1 = re.compile(r"[\x7f-\x9f]")
_BREAK = re.compile(r"[ \t]*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+[ \t]*")
"""A line break (any str.splitlines breaks at) with the spaces around it."""
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
"""A ``<`` that opens raw HTML (a tag, a comment, a declaration) or an autolink."""


def visible(text: str) -> str:
    """``text`` with every control character but tab and line feed shown as its escape
    (ESC as ``\\x1b``): what the terminal gets, so no escape sequence reaches it."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def one_line(text: str) -> str:
    """``text`` on one line: every run of white space (line breaks included) one space."""
    return " ".join(text.split())


def html_safe(text: str) -> str:
    """Markdown text with no raw HTML and no link: a ``<`` that would open a tag (or an
    autolink) written ``&lt;`` (``<=`` and ``< 5`` stay as they are), ``](`` written
    ``]\\(`` (no ``[text](javascript:...)``) and a leading ``[`` escaped (no link
    definition)."""
    text = _TAG.sub("&lt;", text).replace("](", "]\\(")
    return "\\" + text if text.startswith("[") else text


def heading(text: str) -> str:
    """User text in a Markdown heading or paragraph line: one line, no raw HTML, no
    control character."""
    return visible(html_safe(one_line(text)))


def terminal(text: str, fmt: str = "table") -> str:
    """What a command prints, safe for a terminal: every control character but tab and
    line feed shown as its escape; JSON (whose strings escape C0 already) gets C1 as
    ``\\u0085`` escapes, so it stays JSON."""
    if fmt == "json":
        return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return visible(text)


@dataclass(frozen=True)
class Mark:
    """A cell Markdown emphasises (``**strong**`` or ``` `code` ```); plain text writes
    its words alone. An empty cell stays empty."""

    text: str
    style: Style


Cell = str | Mark


def words(cell: Cell) -> str:
    """A cell's words, without its emphasis."""
    return cell.text if isinstance(cell, Mark) else cell


@dataclass(frozen=True)
class Grid:
    """A table of worded cells: a header (None: a table without one), the rows, the
    total rows under a rule, and each column's alignment."""

    header: tuple[str, ...] | None
    rows: tuple[tuple[Cell, ...], ...]
    align: tuple[Align, ...]
    totals: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        n = len(self.align)
        lines: list[Sequence[Cell]] = [*self.rows, *self.totals]
        if self.header is not None:
            lines.append(self.header)
        for line in lines:
            if len(line) != n:
                raise ValueError(f"a row of {len(line)} cells in a table of {n} columns")


def grid(header: Sequence[str] | None, rows: Iterable[Sequence[Cell]], *,
         left: Collection[int] = (0,), totals: Iterable[Sequence[str]] = (),
         columns: int | None = None) -> Grid:
    """A :class:`Grid` from lists: the columns numbered in ``left`` read left, the rest
    right. ``columns``: how many, when there is no header."""
    body = tuple(tuple(r) for r in rows)
    if columns is None:
        columns = len(header) if header is not None else len(body[0]) if body else 0
    return Grid(None if header is None else tuple(header), body,
                tuple("left" if i in left else "right" for i in range(columns)),
                tuple(tuple(t) for t in totals))


# -- plain text ---------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide (East Asian) character, none
    for a combining mark, one for the rest."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


Measure = Callable[[str], int]

_TOKENS = re.compile(r"[^\s/]*/+|[^\s/]+\s*|\s+")


def wrap(text: str, width: int, measure: Measure = display_width) -> list[str]:
    """``text`` in lines of at most ``width``, broken after a '/' or at a space; a word
    longer than ``width`` stays whole."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if line and measure((line + token).rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _cell(text: str) -> str:
    """A plain-text cell: one line (a line break cannot split its row), control
    characters shown as escapes."""
    return visible(_BREAK.sub(" ", text)) if text else text


def _header_lines(g: Grid, measure: Measure, narrow: int | None) -> list[list[str]]:
    """The header as lines of cells: one line, or with ``narrow`` the labels of the
    right-aligned columns wrapped to the widest of ``narrow`` and their cells, each
    label's last line on the rule."""
    if g.header is None:
        return []
    if narrow is None:
        return [list(g.header)]
    stacks = []
    for j, (label, side) in enumerate(zip(g.header, g.align, strict=True)):
        if side == "right":
            width = max([narrow, *(measure(words(r[j])) for r in (*g.rows, *g.totals))])
            stacks.append(wrap(label, width, measure))
        else:
            stacks.append([label])
    height = max(len(s) for s in stacks)
    return [[s[k - (height - len(s))] if k >= height - len(s) else "" for s in stacks]
            for k in range(height)]


def text(g: Grid, *, measure: Measure = display_width, rule: bool = True,
         wrap_header: int | None = None) -> list[str]:
    """The table as lines of plain text: header, a rule, the rows, a rule, the totals.

    ``measure``: how wide a cell is (``len`` counts code points, as the renderers did
    before this module: a wide character then pushes its line out of line).
    ``rule``: False writes no rules. ``wrap_header``: labels of right-aligned columns
    wrap (see :func:`wrap`) to the widest of this and their column's cells."""
    head = [[_cell(h) for h in line] for line in _header_lines(g, measure, wrap_header)]
    body = [[_cell(words(c)) for c in row] for row in g.rows]
    totals = [[_cell(t) for t in row] for row in g.totals]
    every = [*head, *body, *totals]
    if not every:
        return []
    widths = [max(measure(line[i]) for line in every) for i in range(len(g.align))]

    def lay(cells: list[str]) -> str:
        padded = [
            cell + " " * (w - measure(cell)) if side == "left" else " " * (w - measure(cell))
            + cell for cell, w, side in zip(cells, widths, g.align, strict=True)]
        return "  ".join(padded).rstrip()

    lines = [lay(c) for c in every]
    if not rule:
        return lines
    line = "-" * max(measure(x) for x in lines)
    top, mid = len(head), len(head) + len(body)
    out = lines[:top] + ([line] if head else []) + lines[top:mid]
    return out + [line, *lines[mid:]] if totals else out


# -- Markdown -----------------------------------------------------------------------------


def escape(text: str, how: Escape = "one_line") -> str:
    """Text for a Markdown table cell (see :data:`Escape`); no raw HTML either way."""
    text = html_safe(text.replace("|", "\\|"))
    return visible(one_line(text) if how == "one_line" else _BREAK.sub(" ", text))


def code(text: str, how: Escape = "one_line") -> str:
    """``text`` as a Markdown code span (HTML in it is text), fenced with one backtick
    more than its longest run of them; a ``|`` escaped (a table cell's)."""
    shown = text.replace("|", "\\|")
    shown = visible(one_line(shown) if how == "one_line" else _BREAK.sub(" ", shown))
    if not shown:
        return shown
    fence = "`" * (max((len(r) for r in re.findall("`+", shown)), default=0) + 1)
    pad = " " if fence != "`" or shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def _md(cell: Cell, how: Escape, strong: bool = False) -> str:
    style = cell.style if isinstance(cell, Mark) else "strong" if strong else None
    if style == "code":
        return code(words(cell), how)
    shown = escape(words(cell), how)
    if not shown or style is None:
        return shown
    return f"**{shown}**"


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(g: Grid, *, escape_cells: Escape = "one_line", escape_header: bool = True,
             strong_totals: bool = True) -> list[str]:
    """The table as GitHub Markdown lines: header, alignment rule, rows, totals.

    A table without a header gets an empty one (``| | |``: GitHub needs it).
    ``escape_cells``: see :data:`Escape`; ``escape_header``: False writes the labels as
    they are; ``strong_totals``: False writes the totals as plain rows."""
    if g.header is None:
        head = "|" + " |" * len(g.align)
    elif escape_header:
        head = _row(escape(h, escape_cells) for h in g.header)
    else:
        head = _row(g.header)
    lines = [head, "|" + "|".join("---:" if a == "right" else "---" for a in g.align) + "|"]
    lines += [_row(_md(c, escape_cells) for c in row) for row in g.rows]
    lines += [_row(_md(c, escape_cells, strong_totals) for c in t) for t in g.totals]
    return lines
