"""Strict YAML: a scenario file becomes plain data plus the position of every value.

PyYAML alone is too forgiving for files that drive spending decisions: the last
of two duplicate keys wins silently, ``010`` is 8, aliases can expand
exponentially, and tags can build arbitrary objects.  This loader refuses all of
that, with the line of each offence, and collects every problem it can find
before raising a single :class:`ScenarioError`.

It reads the text once, as the parser's stream of events, never as a composed
node tree: anchors, aliases, tags and documents are refused as their events
pass, so nothing dangerous is ever built, and the data is built by hand from
the same events, so duplicate keys and positions are seen that
``yaml.safe_load`` would hide.  Scalars are resolved and constructed by PyYAML's
own resolver and safe constructors, as ``yaml.safe_load`` would.

libyaml's C parser produces the events where it is installed, about ten times
faster than PyYAML's pure-Python one.  Its error messages are not PyYAML's, and
on a few texts neither is what it accepts or where it marks a value, so it only
serves texts that load cleanly: a text it refuses, or in which the pass finds
any problem, is read again by the Python parser, whose report is the one
raised, and a text on which the two are known to disagree goes to the Python
parser straight away (``_libyaml_agrees``, ``_empty_in_flow_mapping``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from yaml.nodes import ScalarNode

from optimizer.errors import Problem, ScenarioError

__all__ = ["Loaded", "load_yaml", "load_yaml_text"]

_Path = tuple[str | int, ...]
# Which parser reads the events: libyaml's where installed (falling back to the
# Python one as the module docstring says), or only PyYAML's pure-Python one.
_Parser = Literal["libyaml", "python"]
if TYPE_CHECKING:  # yaml.CSafeLoader exists only where libyaml is installed
    _Loader = yaml.SafeLoader | yaml.CSafeLoader

_TAG_PREFIX = "tag:yaml.org,2002:"
# Plain scalars resolve to these tags; constructing them is safe.  Anything
# else reaching the build carries an explicit tag, already refused.
_SAFE_SCALAR_TAGS = frozenset(
    _TAG_PREFIX + t for t in ("null", "bool", "int", "float", "timestamp", "str")
)
_MERGE_TAG = _TAG_PREFIX + "merge"
_INT_TAG = _TAG_PREFIX + "int"
_FLOAT_TAG = _TAG_PREFIX + "float"
_EMPTY = "the file is empty: expected fields such as name: and levers:"
# YAML 1.1 reads a plain 0-led integer as octal; [0-7_] mirrors PyYAML's resolver.
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
# and 0x10 as 16, 0b11 as 3: no amount is written in another base
_BASED = re.compile(r"[-+]?0(x[0-9a-fA-F_]+|b[01_]+)")
# PyYAML counts these as line breaks; counting the same ones keeps our line
# numbers equal to its marks.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
_BREAKS = "\n\r\x85\u2028\u2029"
# libyaml reads a comment right after a block scalar's header (``a: |#``);
# PyYAML refuses it.  Over-matching (a ``|#`` inside a string) costs only speed.
_BLOCK_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")
# Scenarios nest a handful of levels; the limit keeps the loader far from
# Python's recursion limit and from the parser's cost on hostile input.
_MAX_DEPTH = 100
MAX_FILE_BYTES = 32 * 2**20
"""The largest scenario file read (bytes)."""


@dataclass(frozen=True)
class Loaded:
    """A scenario file read strictly: its data and where each value was written."""

    file: str
    data: dict[str, Any]
    sha256: str
    positions: Mapping[tuple[str | int, ...], tuple[int, int]]

    def __reduce__(self) -> tuple[Any, ...]:
        # a Loadout carries its Loaded to worker processes; a read-only view of the
        # positions does not pickle, so it travels as a dict and comes back a view
        return (_loaded, (self.file, self.data, self.sha256, dict(self.positions)))

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """Position of the deepest known ancestor-or-self of path."""
        key = tuple(path)
        for end in range(len(key), -1, -1):
            found = self.positions.get(key[:end])
            if found is not None:
                return found
        return None, None


def _loaded(file: str, data: dict[str, Any], sha256: str,
            positions: dict[tuple[str | int, ...], tuple[int, int]]) -> Loaded:
    return Loaded(file, data, sha256, MappingProxyType(positions))


def load_yaml(path: str | os.PathLike[str]) -> Loaded:
    """Read a scenario file; raises :class:`ScenarioError` with every problem found."""
    file = os.fspath(path)
    try:
        with open(file, "rb") as handle:
            # read one byte past the limit: a device such as /dev/zero, or a file
            # pasted a thousand times, is refused without reading it whole
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError(
            [Problem(file=file, message=f"cannot read the file: {reason}")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(
            file=file, message=f"the file is larger than {MAX_FILE_BYTES // 2**20} MB, the most "
            "a scenario may be (a 10,000-lever, 20-period scenario is about 3 MB)")])
    try:
        # utf-8-sig: a BOM written by some editors would otherwise shift column 1.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Everything before the first bad byte is valid, so it decodes; counting
        # in characters gives the column an editor shows.
        line, col = _line_col(raw[: exc.start].decode("utf-8-sig"))
        byte = raw[exc.start : exc.start + 1].hex()
        problem = Problem(
            file=file,
            line=line,
            col=col,
            message=f"the file is not UTF-8 text: cannot decode byte 0x{byte}; save it as UTF-8",
        )
        raise ScenarioError([problem]) from None
    return _load(text, file, hashlib.sha256(raw).hexdigest())


def load_yaml_text(text: str, file: str = "<string>") -> Loaded:
    """Read scenario text; ``file`` names it in messages."""
    return _load(text, file, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def _load(text: str, file: str, sha256: str, parser: _Parser = "libyaml") -> Loaded:
    run = _read(text, file, parser)
    if run.problems or run.data is None:
        raise ScenarioError(sorted(run.problems, key=lambda p: (p.line or 0, p.col or 0)))
    return Loaded(
        file=file, data=run.data, sha256=sha256, positions=MappingProxyType(run.positions)
    )


def _read(text: str, file: str, parser: _Parser) -> _Run:
    """One pass over the text's events, by libyaml when it can be trusted to agree.

    A second pass, by the Python parser, only when libyaml gives up.
    """
    if parser == "libyaml" and yaml.__with_libyaml__ and _libyaml_agrees(text):
        run = _Run(text, file, strict=True)
        try:
            run.read(yaml.CSafeLoader)
            return run
        except (_Refused, yaml.YAMLError, UnicodeError):
            # UnicodeError: a lone surrogate cannot be encoded for libyaml.
            # The Python parser's report is the one users know; build it afresh.
            pass
    run = _Run(text, file, strict=False)
    run.scan_tabs()
    run.read_reporting(yaml.SafeLoader)
    return run


def _libyaml_agrees(text: str) -> bool:
    """False for texts on which libyaml and PyYAML's own parser are known to differ.

    libyaml accepts a tab between tokens (``a:\\t1``) and a comment right after a
    block scalar's header (``a: |#``), both refused by PyYAML.  It skips a
    byte-order mark at the start of any line, PyYAML only at the start of the
    text.  And at the end of a text without a final line break it forces one,
    marking an empty value there (``- `` on the last line) a line further down.
    """
    return (
        "\t" not in text
        and "\ufeff" not in text
        and (not text or text[-1] in _BREAKS)
        and _BLOCK_HEADER_COMMENT.search(text) is None
    )


def _line_col(text: str, index: int | None = None) -> tuple[int, int]:
    """1-based line and column of ``text[index]`` (default: just past the end)."""
    before = text if index is None else text[:index]
    breaks = list(_LINE_BREAK.finditer(before))
    return len(breaks) + 1, len(before) - (breaks[-1].end() if breaks else 0) + 1


def _dotted(parent: str, key: object) -> str:
    return f"{parent}.{key}" if parent else str(key)


def _shorthand(tag: str) -> str:
    """``tag:yaml.org,2002:set`` back to ``!!set``, as the planner wrote it."""
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


def _describe(event: NodeEvent) -> str:
    if isinstance(event, MappingStartEvent):
        return "a mapping"
    if isinstance(event, CollectionStartEvent):
        return "a list"
    value = getattr(event, "value", None)
    return f"{value!r}" if value else "nothing"


def _empty_in_flow_mapping(event: NodeEvent, parent: _Frame) -> bool:
    """An empty key or value in a flow mapping, as in ``{low: , high: 1}``.

    PyYAML marks it just after its ``:`` (or ``?``), libyaml at the next token
    (the ``,``), so its position would differ.
    """
    return (
        parent.flow
        and parent.is_mapping
        and isinstance(event, ScalarEvent)
        and not event.value
        and not event.style
    )


class _Refused(Exception):
    """A strict pass found a problem: the Python parser must read the text again."""


# What a collection's events are built into: its container, path and dotted name.
_Open = tuple[dict[Any, Any] | list[Any], _Path, str]
# The key a mapping's next value is stored under, with the value's path and name.
_Slot = tuple[Any, _Path, str]


class _Frame:
    """One open collection: how messages name it, and what its events build."""

    __slots__ = ("is_mapping", "flow", "path", "want_key", "key", "index", "into", "at",
                 "dotted", "slot", "first_line", "by_text")

    def __init__(self, event: CollectionStartEvent, path: str, built: _Open | None) -> None:
        self.is_mapping = isinstance(event, MappingStartEvent)
        self.flow = bool(event.flow_style)
        # For event messages: the path as written (a key's text, "?" for others).
        self.path = path
        self.want_key = True
        self.key = ""
        self.index = 0
        # For the build: None when this collection is skipped (a refused key, a
        # duplicate key's value, a later document), so nothing below it is built.
        self.into: dict[Any, Any] | list[Any] | None = None
        self.at: _Path = ()
        self.dotted = ""
        if built is not None:
            self.into, self.at, self.dotted = built
        self.slot: _Slot | None = None
        self.first_line: dict[Any, int] = {}
        # Keys are compared as text too: 2024 and "2024" name one period, as
        # everything downstream compares keys by str(key).
        self.by_text: dict[str, Any] = {}


class _Mark(Protocol):
    """Where a YAML event starts: PyYAML's own mark or libyaml's (C) one."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class _Run:
    """State for one pass over a text: problems found so far, the data, positions.

    Problems come in two kinds, as when the event pass and a composed node tree
    were separate: event problems (anchors, tags, syntax) and build problems
    (duplicate keys, octal numbers...).  Build problems are kept only when the
    pass ends composable, with no anchor, alias or syntax error, as only then was
    the tree composed and walked.  A strict run (libyaml's) stops at the first
    problem of either kind instead, by raising :class:`_Refused`.
    """

    def __init__(self, text: str, file: str, strict: bool) -> None:
        self.text = text
        self.file = file
        self.strict = strict
        self.problems: list[Problem] = []
        self.build_problems: list[Problem] = []
        self.positions: dict[_Path, tuple[int, int]] = {}
        self.root: dict[str, Any] | None = None
        self.data: dict[str, Any] | None = None
        self.tab_lines: set[int] = set()
        self.documents = 0
        self.composable = True
        self.root_seen = False
        # One report per line: a billion-laughs line holds many aliases.
        self.seen: set[tuple[str, int]] = set()

    def add(
        self,
        message: str,
        line: int | None = None,
        col: int | None = None,
        path: str = "",
        build: bool = False,
    ) -> None:
        if self.strict:
            raise _Refused(message)
        problem = Problem(file=self.file, message=message, path=path, line=line, col=col)
        (self.build_problems if build else self.problems).append(problem)

    def add_at(self, mark: _Mark | None, message: str, path: str = "", build: bool = False) -> None:
        if mark is None:
            self.add(message, path=path, build=build)
        else:
            self.add(message, mark.line + 1, mark.column + 1, path, build)

    def scan_tabs(self) -> None:
        for number, line in enumerate(_LINE_BREAK.split(self.text), start=1):
            # Whitespace-only lines count too: PyYAML stops at their tabs as well.
            stripped = line.lstrip(" \t")
            indent = line[: len(line) - len(stripped)]
            col = indent.find("\t")
            if col >= 0:
                self.tab_lines.add(number)
                self.add("a tab is used for indentation: indent with spaces", number, col + 1)

    def read_reporting(self, loader_class: type[_Loader]) -> None:
        """The pass, reporting the parser's own errors as problems."""
        try:
            self.read(loader_class)
        except yaml.MarkedYAMLError as exc:
            self._syntax_problem(exc)
        except yaml.YAMLError as exc:
            self._reader_problem(exc)

    def read(self, loader_class: type[_Loader]) -> None:
        """Check and build from every event; ``self.data`` is set when the text loads."""
        loader = loader_class(self.text)
        # The loader resolves and constructs scalars as yaml.safe_load would.
        self.loader: _Loader = loader
        try:
            # get_event() gives None after the stream's end, for both parsers.
            self.read_events(iter(loader.get_event, None))
        finally:
            loader.dispose()

    def read_events(self, events: Iterator[Event]) -> None:
        """Event problems as they pass; build problems kept if the pass ends composable."""
        stack: list[_Frame] = []
        for event in events:
            if isinstance(event, NodeEvent):
                if not self.node(event, stack):
                    return
            elif isinstance(event, CollectionEndEvent):
                stack.pop()
            elif isinstance(event, DocumentStartEvent):
                self.documents += 1
                if self.documents == 2:
                    self.add_at(event.start_mark, "multi-document files are not allowed")
        if not self.composable:
            return
        if not self.root_seen:
            self.add(_EMPTY, build=True)
        self.problems += self.build_problems
        self.data = self.root

    def node(self, event: NodeEvent, stack: list[_Frame]) -> bool:
        """One node's event; False when the pass must stop (nested too deep)."""
        parent = stack[-1] if stack else None
        if self.strict and parent is not None and _empty_in_flow_mapping(event, parent):
            raise _Refused("libyaml marks an empty value in a flow mapping elsewhere")
        is_key = parent is not None and parent.is_mapping and parent.want_key
        path = self._event_path(parent, event)
        self.check(event, path)
        built = self.build(event, parent, is_key)
        if not isinstance(event, CollectionStartEvent):
            return True
        stack.append(_Frame(event, path, built))
        if len(stack) > _MAX_DEPTH:
            # Stop here: PyYAML's scanner is quadratic in nesting depth, so
            # reading on would let a small file stall the loader.
            self.composable = False
            self.add_at(event.start_mark, f"nested more than {_MAX_DEPTH} levels deep", path)
            return False
        return True

    def check(self, event: NodeEvent, path: str) -> None:
        """Refuse anchors, aliases and explicit tags before anything uses them."""
        assert event.start_mark is not None  # the parser marks every event
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent) or event.anchor is not None:
            self.composable = False
            if ("anchor", line) not in self.seen:
                self.seen.add(("anchor", line))
                sign = "*" if isinstance(event, AliasEvent) else "&"
                self.add_at(
                    event.start_mark,
                    f"anchors and aliases are not allowed (got {sign}{event.anchor})",
                    path,
                )
        tag = getattr(event, "tag", None)
        if tag is not None and ("tag", line) not in self.seen:
            self.seen.add(("tag", line))
            self.add_at(
                event.start_mark, f"explicit tags are not allowed (got {_shorthand(tag)})", path
            )

    @staticmethod
    def _event_path(parent: _Frame | None, event: NodeEvent) -> str:
        """Dotted path of the node an event starts, advancing the parent frame."""
        if parent is None:
            return ""
        if not parent.is_mapping:
            path = f"{parent.path}[{parent.index}]"
            parent.index += 1
            return path
        if parent.want_key:
            parent.want_key = False
            parent.key = event.value if isinstance(event, ScalarEvent) else "?"
            # Messages about a key belong to the mapping holding it.
            return parent.path
        parent.want_key = True
        return _dotted(parent.path, parent.key)

    def build(self, event: NodeEvent, parent: _Frame | None, is_key: bool) -> _Open | None:
        """Build the node an event starts into its parent; what a new collection fills."""
        if parent is None:
            return self.build_root(event)
        into = parent.into
        if into is None:
            return None
        if isinstance(into, list):
            index = len(into)
            value, built = self.value(event, (*parent.at, index), f"{parent.dotted}[{index}]")
            into.append(value)
            return built
        if is_key:
            self.key(event, parent)
            # A key is never a collection worth building: one is refused.
            return None
        slot, parent.slot = parent.slot, None
        if slot is None:
            return None
        key, at, dotted = slot
        into[key], built = self.value(event, at, dotted)
        return built

    def build_root(self, event: NodeEvent) -> _Open | None:
        # Only the first document is built; later ones are only reported.
        if self.documents != 1:
            return None
        self.root_seen = True
        if isinstance(event, MappingStartEvent):
            self.root = {}
            self.position((), event)
            return self.root, (), ""
        if isinstance(event, AliasEvent):
            return None  # refused already; the pass is not composable
        if isinstance(event, ScalarEvent) and self.tag_of(event).endswith(":null"):
            self.add(_EMPTY, build=True)
            return None
        self.add_at(
            event.start_mark,
            "the top level must be a mapping of fields such as name: and levers: "
            f"(got {_describe(event)})",
            build=True,
        )
        return None

    def position(self, at: _Path, event: NodeEvent) -> None:
        mark = event.start_mark
        assert mark is not None  # the parser marks every event
        self.positions[at] = (mark.line + 1, mark.column + 1)

    def value(self, event: NodeEvent, at: _Path, dotted: str) -> tuple[Any, _Open | None]:
        """A value and, for a collection, what its events fill."""
        self.position(at, event)
        if isinstance(event, ScalarEvent):
            return self.scalar(event, self.tag_of(event), dotted), None
        if isinstance(event, MappingStartEvent):
            mapping: dict[Any, Any] = {}
            return mapping, (mapping, at, dotted)
        if isinstance(event, CollectionStartEvent):
            items: list[Any] = []
            return items, (items, at, dotted)
        return None, None  # an alias, refused already: the pass is not composable

    def key(self, event: NodeEvent, parent: _Frame) -> None:
        """Check a mapping's key; ``parent.slot`` says where its value goes, if anywhere."""
        parent.slot = None
        dotted = parent.dotted
        if not isinstance(event, ScalarEvent):
            if isinstance(event, CollectionStartEvent):
                self.add_at(
                    event.start_mark,
                    f"a key must be a plain value (got {_describe(event)})",
                    dotted,
                    build=True,
                )
            return
        tag = self.tag_of(event)
        if tag == _MERGE_TAG:
            self.add_at(event.start_mark, "merge keys (<<) are not allowed", dotted, build=True)
            return
        key = self.scalar(event, tag, dotted)
        child = _dotted(dotted, key)
        if self.duplicate(event, parent, key, child):
            return
        assert event.start_mark is not None  # the parser marks every event
        parent.first_line[key] = event.start_mark.line + 1
        parent.by_text[str(key)] = key
        # Path components stay str or int (year keys); other key types
        # (dates, booleans written as yes/no) are named by their text.
        component: str | int = key if isinstance(key, str | int) else str(key)
        parent.slot = (key, (*parent.at, component), child)

    def duplicate(self, event: ScalarEvent, parent: _Frame, key: Any, child: str) -> bool:
        if key in parent.first_line:
            self.add_at(
                event.start_mark,
                f"duplicate key {key!r} (first at line {parent.first_line[key]})",
                child,
                build=True,
            )
            return True
        if str(key) in parent.by_text:
            first = parent.by_text[str(key)]
            self.add_at(
                event.start_mark,
                f"duplicate key {key!r}: {first!r} and {key!r} name the same key; keys are "
                f"compared as text (first at line {parent.first_line[first]})",
                child,
                build=True,
            )
            return True
        return False

    def tag_of(self, event: ScalarEvent) -> str:
        """The scalar's tag, resolved as PyYAML's composer resolves it."""
        if event.tag is None or event.tag == "!":
            return str(self.loader.resolve(ScalarNode, event.value, event.implicit))
        return event.tag

    def scalar(self, event: ScalarEvent, tag: str, dotted: str) -> Any:
        value = event.value
        if tag not in _SAFE_SCALAR_TAGS:
            # An explicit tag (refused already) or the YAML 1.1 value type "=":
            # keep the text, never call a constructor for it.
            return value
        # libyaml marks a plain scalar's style "", PyYAML None.
        plain = not event.style
        if tag == _INT_TAG and plain and _OCTAL.fullmatch(value):
            sign = value[0] if value[0] in "+-" else ""
            digits = value.lstrip("+-").replace("_", "").lstrip("0") or "0"
            self.add_at(
                event.start_mark,
                "a number with a leading zero is ambiguous (YAML reads 010 as 8): "
                f"write {sign}{digits}, or quote it (got {value})",
                dotted,
                build=True,
            )
            return value
        if tag == _INT_TAG and plain and _BASED.fullmatch(value):
            base = "hexadecimal" if "x" in value else "binary"
            try:
                read = f" {int(value.replace('_', ''), 0)}"
            except ValueError:  # 0b_: a number to YAML, digits to no one
                read = ""
            self.add_at(
                event.start_mark,
                f"YAML reads {value} as the {base} number{read}; write the number in "
                f"decimal, or quote it if it is text (got {value})",
                dotted,
                build=True,
            )
            return value
        if tag in (_INT_TAG, _FLOAT_TAG) and plain and ":" in value:
            # YAML 1.1 reads 1:30 as the base-60 number 90; no planner means that
            self.add_at(
                event.start_mark,
                f"YAML reads {value} as a base-60 number; quote it if it is text "
                f"(got {value})",
                dotted,
                build=True,
            )
            return value
        # No marks: the safe scalar constructors never name one (only a non-scalar
        # node would make them), and libyaml's marks are not PyYAML's type.
        node = ScalarNode(tag, value, style=event.style or None)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except Exception as exc:
            # Constructors raise bare ValueError/TypeError on text the resolver
            # accepted, e.g. 2024-13-45 matches the date pattern, then datetime refuses it.
            self.add_at(event.start_mark, f"cannot read {value!r}: {exc}", dotted, build=True)
            return value

    def _syntax_problem(self, exc: yaml.MarkedYAMLError) -> None:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        # A tab in indentation stops PyYAML's scanner; that is already reported.
        if line in self.tab_lines:
            return
        problem = exc.problem or "invalid YAML"
        if "'\\t'" in problem:
            problem = "a tab cannot separate YAML tokens: use spaces"
        if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        self.add_at(mark, f"YAML syntax error: {problem}")

    def _reader_problem(self, exc: yaml.YAMLError) -> None:
        """Errors without a mark, in practice ReaderError for control characters."""
        position = getattr(exc, "position", None)
        if isinstance(position, int):
            line, col = _line_col(self.text, position)
            reason = getattr(exc, "reason", None) or str(exc)
            character = getattr(exc, "character", None)
            # PyYAML gives the code point as an int; U+0000 is what editors show.
            shown = f" (got U+{character:04X})" if isinstance(character, int) else ""
            self.add(f"the file cannot be read as YAML: {reason}{shown}", line, col)
        else:
            self.add(f"the file cannot be read as YAML: {exc}")
