"""Strict YAML: a scenario file becomes plain data plus the position of every value.

PyYAML alone is too forgiving for files that drive spending decisions: the last
of two duplicate keys wins silently, ``010`` is 8, aliases can expand
exponentially, and tags can build arbitrary objects.  This loader refuses all of
that, with the line of each offence, and collects every problem it can find
before raising a single :class:`ScenarioError`.

It works in two passes over the text.  The event pass (``yaml.parse``) sees
anchors, aliases, tags and documents before anything is composed, so nothing
dangerous is ever built.  Only when that pass is clean enough is the node tree
composed and walked by hand, so duplicate keys and positions are seen that
``yaml.safe_load`` would hide.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from optimizer.errors import Problem, ScenarioError

__all__ = ["Loaded", "load_yaml", "load_yaml_text"]

_Path = tuple[str | int, ...]

_TAG_PREFIX = "tag:yaml.org,2002:"
# Plain scalars resolve to these tags; constructing them is safe.  Anything
# else reaching the walk carries an explicit tag, already refused.
_SAFE_SCALAR_TAGS = frozenset(
    _TAG_PREFIX + t for t in ("null", "bool", "int", "float", "timestamp", "str")
)
_MERGE_TAG = _TAG_PREFIX + "merge"
_INT_TAG = _TAG_PREFIX + "int"
_FLOAT_TAG = _TAG_PREFIX + "float"
# YAML 1.1 reads a plain 0-led integer as octal; [0-7_] mirrors PyYAML's resolver.
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
# PyYAML counts these as line breaks; counting the same ones keeps our line
# numbers equal to its marks.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
# Scenarios nest a handful of levels; the limit keeps the recursive composer
# (and our walk) far from Python's recursion limit on hostile input.
_MAX_DEPTH = 100


@dataclass(frozen=True)
class Loaded:
    """A scenario file read strictly: its data and where each value was written."""

    file: str
    data: dict[str, Any]
    sha256: str
    positions: Mapping[tuple[str | int, ...], tuple[int, int]]

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """Position of the deepest known ancestor-or-self of path."""
        key = tuple(path)
        for end in range(len(key), -1, -1):
            found = self.positions.get(key[:end])
            if found is not None:
                return found
        return None, None


def load_yaml(path: str | os.PathLike[str]) -> Loaded:
    """Read a scenario file; raises :class:`ScenarioError` with every problem found."""
    file = os.fspath(path)
    try:
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ScenarioError(
            [Problem(file=file, message=f"cannot read the file: {reason}")]
        ) from None
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


def _load(text: str, file: str, sha256: str) -> Loaded:
    run = _Run(text, file)
    data = run.load()
    if run.problems or data is None:
        raise ScenarioError(sorted(run.problems, key=lambda p: (p.line or 0, p.col or 0)))
    return Loaded(file=file, data=data, sha256=sha256, positions=MappingProxyType(run.positions))


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


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"{node.value!r}" if node.value else "nothing"


class _Frame:
    """One open collection during the event pass, to name paths in messages."""

    __slots__ = ("is_mapping", "path", "want_key", "key", "index")

    def __init__(self, is_mapping: bool, path: str) -> None:
        self.is_mapping = is_mapping
        self.path = path
        self.want_key = True
        self.key = ""
        self.index = 0


class _Mark(Protocol):
    """Where a YAML event or node starts: PyYAML's own mark or libyaml's (C) one."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class _Run:
    """State for loading one text: the problems found so far and the positions."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.problems: list[Problem] = []
        self.positions: dict[_Path, tuple[int, int]] = {}
        self.tab_lines: set[int] = set()
        self.constructor: yaml.SafeLoader | None = None

    def add(
        self, message: str, line: int | None = None, col: int | None = None, path: str = ""
    ) -> None:
        self.problems.append(
            Problem(file=self.file, message=message, path=path, line=line, col=col)
        )

    def add_at(self, mark: _Mark | None, message: str, path: str = "") -> None:
        if mark is None:
            self.add(message, path=path)
        else:
            self.add(message, mark.line + 1, mark.column + 1, path)

    def load(self) -> dict[str, Any] | None:
        self.scan_tabs()
        if not self.scan_events():
            return None
        return self.compose()

    def scan_tabs(self) -> None:
        for number, line in enumerate(_LINE_BREAK.split(self.text), start=1):
            # Whitespace-only lines count too: PyYAML stops at their tabs as well.
            stripped = line.lstrip(" \t")
            indent = line[: len(line) - len(stripped)]
            col = indent.find("\t")
            if col >= 0:
                self.tab_lines.add(number)
                self.add("a tab is used for indentation: indent with spaces", number, col + 1)

    def scan_events(self) -> bool:
        """Refuse what must never be composed; True when composing is safe."""
        stack: list[_Frame] = []
        documents = 0
        composable = True
        seen: set[tuple[str, int]] = set()
        try:
            for event in yaml.parse(self.text, Loader=yaml.SafeLoader):
                if isinstance(event, DocumentStartEvent):
                    documents += 1
                    if documents == 2:
                        self.add_at(event.start_mark, "multi-document files are not allowed")
                    continue
                if isinstance(event, CollectionEndEvent):
                    stack.pop()
                    continue
                if not isinstance(event, NodeEvent):
                    continue
                path = self._event_path(stack, event)
                assert event.start_mark is not None  # the parser marks every event
                line = event.start_mark.line + 1
                if isinstance(event, AliasEvent) or event.anchor is not None:
                    composable = False
                    # One report per line: a billion-laughs line holds many aliases.
                    if ("anchor", line) not in seen:
                        seen.add(("anchor", line))
                        sign = "*" if isinstance(event, AliasEvent) else "&"
                        self.add_at(
                            event.start_mark,
                            f"anchors and aliases are not allowed (got {sign}{event.anchor})",
                            path,
                        )
                tag = getattr(event, "tag", None)
                if tag is not None and ("tag", line) not in seen:
                    seen.add(("tag", line))
                    self.add_at(
                        event.start_mark,
                        f"explicit tags are not allowed (got {_shorthand(tag)})",
                        path,
                    )
                if isinstance(event, CollectionStartEvent):
                    stack.append(_Frame(isinstance(event, MappingStartEvent), path))
                    if len(stack) > _MAX_DEPTH:
                        # Stop here: PyYAML's scanner is quadratic in nesting depth,
                        # so reading on would let a small file stall the loader.
                        self.add_at(
                            event.start_mark, f"nested more than {_MAX_DEPTH} levels deep", path
                        )
                        return False
        except yaml.MarkedYAMLError as exc:
            self._syntax_problem(exc)
            return False
        except yaml.YAMLError as exc:
            self._reader_problem(exc)
            return False
        return composable

    def _event_path(self, stack: list[_Frame], event: NodeEvent) -> str:
        """Dotted path of the node an event starts, advancing the parent frame."""
        if not stack:
            return ""
        frame = stack[-1]
        if not frame.is_mapping:
            path = f"{frame.path}[{frame.index}]"
            frame.index += 1
            return path
        if frame.want_key:
            frame.want_key = False
            frame.key = event.value if isinstance(event, ScalarEvent) else "?"
            # Messages about a key belong to the mapping holding it.
            return frame.path
        frame.want_key = True
        return _dotted(frame.path, frame.key)

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

    def compose(self) -> dict[str, Any] | None:
        loader = yaml.SafeLoader(self.text)
        self.constructor = loader
        try:
            # get_node rather than get_single_node: a second document is
            # already reported, and the first can still be checked.
            root = loader.get_node() if loader.check_node() else None
            if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null")):
                self.add("the file is empty: expected fields such as name: and levers:")
                return None
            if not isinstance(root, MappingNode):
                self.add_at(
                    root.start_mark,
                    "the top level must be a mapping of fields such as name: and levers: "
                    f"(got {_describe(root)})",
                )
                return None
            data = self.walk(root, (), "")
        except yaml.MarkedYAMLError as exc:
            self._syntax_problem(exc)
            return None
        except yaml.YAMLError as exc:
            self._reader_problem(exc)
            return None
        except RecursionError:
            self.add(f"nested more than {_MAX_DEPTH} levels deep")
            return None
        finally:
            loader.dispose()
        return data if isinstance(data, dict) else None

    def walk(self, node: Node, path: _Path, dotted: str) -> Any:
        mark = node.start_mark
        self.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node, dotted)
        if isinstance(node, SequenceNode):
            return [
                self.walk(child, (*path, index), f"{dotted}[{index}]")
                for index, child in enumerate(node.value)
            ]
        assert isinstance(node, MappingNode)
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        # Keys are compared as text too: 2024 and "2024" name one period, as
        # everything downstream compares keys by str(key).
        by_text: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_mark = key_node.start_mark
            if not isinstance(key_node, ScalarNode):
                self.add_at(
                    key_mark, f"a key must be a plain value (got {_describe(key_node)})", dotted
                )
                continue
            if key_node.tag == _MERGE_TAG:
                self.add_at(key_mark, "merge keys (<<) are not allowed", dotted)
                continue
            key = self.scalar(key_node, dotted)
            child = _dotted(dotted, key)
            if key in first_line:
                self.add_at(
                    key_mark, f"duplicate key {key!r} (first at line {first_line[key]})", child
                )
                continue
            if str(key) in by_text:
                first = by_text[str(key)]
                self.add_at(
                    key_mark,
                    f"duplicate key {key!r}: {first!r} and {key!r} name the same key; keys are "
                    f"compared as text (first at line {first_line[first]})",
                    child,
                )
                continue
            first_line[key] = key_mark.line + 1
            by_text[str(key)] = key
            # Path components stay str or int (year keys); other key types
            # (dates, booleans written as yes/no) are named by their text.
            component: str | int = key if isinstance(key, str | int) else str(key)
            result[key] = self.walk(value_node, (*path, component), child)
        return result

    def scalar(self, node: ScalarNode, dotted: str) -> Any:
        if node.tag not in _SAFE_SCALAR_TAGS:
            # An explicit tag (refused in the event pass) or the YAML 1.1
            # value type "=": keep the text, never call a constructor for it.
            return node.value
        if node.tag == _INT_TAG and node.style is None and _OCTAL.fullmatch(node.value):
            sign = node.value[0] if node.value[0] in "+-" else ""
            digits = node.value.lstrip("+-").replace("_", "").lstrip("0") or "0"
            self.add_at(
                node.start_mark,
                "a number with a leading zero is ambiguous (YAML reads 010 as 8): "
                f"write {sign}{digits}, or quote it (got {node.value})",
                dotted,
            )
            return node.value
        if (
            node.tag in (_INT_TAG, _FLOAT_TAG)
            and node.style is None
            and ":" in node.value
        ):
            # YAML 1.1 reads 1:30 as the base-60 number 90; no planner means that
            self.add_at(
                node.start_mark,
                f"YAML reads {node.value} as a base-60 number; quote it if it is text "
                f"(got {node.value})",
                dotted,
            )
            return node.value
        assert self.constructor is not None, "scalar() runs only inside compose()"
        try:
            return self.constructor.yaml_constructors[node.tag](self.constructor, node)
        except Exception as exc:
            # Constructors raise bare ValueError/TypeError on text the resolver
            # accepted, e.g. 2024-13-45 matches the date pattern, then datetime refuses it.
            self.add_at(node.start_mark, f"cannot read {node.value!r}: {exc}", dotted)
            return node.value
