"""Text a scenario may hold: no control character a terminal, a workbook or a page
would act on. A tab and a line break are text (a renderer writes a line break in a name
as a space); every other C0 character, DEL and the C1 characters are refused, in any
string of the file: a name, a unit, a source, a note, a variant's name (a key), a
``--set`` value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 but tab and line feed, DEL, C1."""
SHOWN = 60
"""Characters of the value a message quotes."""

Loc = tuple[str | int, ...]


def _message(text: str, what: str) -> str:
    ch = CONTROL.search(text)
    assert ch is not None
    shown = repr(text) if len(text) <= SHOWN else repr(text[:SHOWN]) + "..."
    return (f"{what} holds the control character U+{ord(ch.group()):04X}; scenario text "
            f"may hold tabs and line breaks but no other control character (got {shown})")


def control_characters(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """(path, message) of every string and key in ``data`` with a control character."""
    if isinstance(data, str):
        if CONTROL.search(data):
            yield loc, _message(data, "the text")
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and CONTROL.search(key):
                yield (*loc, key), _message(key, "the name")
            yield from control_characters(value, (*loc, key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from control_characters(value, (*loc, i))
