"""A fast reader for the plain subset of YAML most specs are written in.

PyYAML's parser hands Python one event object (with two position objects) per
scalar and collection, which costs more than building the values themselves.
This reader takes the text line by line with regular expressions instead, and
builds the same located values (`YMap`, `YList`, scalars by `plain_scalar`)
for the subset it knows:

  * block mappings (`key: value`) and block lists (`- item`, `- key: value` …),
    a list written at its key's indentation included;
  * flow mappings and lists (`{type: Dense, units: 4}`, `[2, 3]`), nested in
    each other, going on to the next lines after a comma or an opening bracket;
  * plain scalars, quoted ones without escapes, and `#` comments.

Anything else — escapes in quotes, anchors and aliases, tags, merge keys,
block and multi-line scalars, empty values, tabs, other line breaks, several
documents, duplicate keys, deep nesting, or any error — makes it give up (`None`), and
the full reader (yamlsrc's event builder) reads the text from the start, with
its checks and messages. The two agree on every value and position of what
this one accepts (tests/test_yamlplain.py compares them).
"""

from __future__ import annotations

import re
from functools import partial

from .errors import Loc, SpecError
from .yamlsrc import RESOLVED_FIRST, YList, YMap, plain_scalar

_new_loc = partial(tuple.__new__, Loc)
"""Loc((line, column)) without the Python-level constructor of a named tuple."""

_ASCII_OUTSIDE = re.compile(r"[^\n\x20-\x7e]")
"""An ASCII character this reader does not take: a control character other than the newline."""


_LATIN1_OUTSIDE = "[\x00-\x09\x0b-\x1f\x7f-\x9f]"
"""A character of the first 256 this reader does not take: a control character other than the newline
(U+0085, a line break, included). Written as the characters refused: a class reaching beyond them takes
a quarter of a millisecond to compile, more than a whole spec takes to read."""

_REFUSED_ABOVE = ("\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff")
"""The other characters this reader does not take (besides lone surrogates): line breaks, the byte
order mark and two non-characters."""


def _outside(text: str) -> bool:
    """Whether `text` holds a character this reader does not take: YAML's printable characters and
    newlines pass, but none of its other line breaks (carriage return, U+0085, U+2028, U+2029), no
    tab, no byte order mark and no lone surrogate."""
    if text.isascii():
        return _ASCII_OUTSIDE.search(text) is not None
    if re.search(_LATIN1_OUTSIDE, text) or any(c in text for c in _REFUSED_ABOVE):
        return True
    try:
        text.encode("utf-8")  # (a lone surrogate cannot be)
    except UnicodeEncodeError:
        return True
    return False


_KEY = r"([A-Za-z0-9_][A-Za-z0-9_./-]*)"
_BLOCK_KEY = re.compile(_KEY + r":(?: +|\Z)")
_FLOW_KEY = re.compile(_KEY + r": +")
_FIRST = r"(?:[^\s,\[\]{}#:&*!|>'\"%@`?-]|-(?=[^\s,\[\]{}#:]))"
"""The first character of a plain scalar: no indicator (`-` only when a value follows it)."""
_FLOW_SCALAR = _FIRST + r"[^\s,\[\]{}#:]*(?: +[^\s,\[\]{}#:]+)*"
_QUOTED = r"'[^'\n]*'|\"[^\"\\\n]*\""
"""A quoted scalar without escapes."""
_FLOW_PAIR = re.compile(_KEY + r": +(" + _FLOW_SCALAR + "|" + _QUOTED + r") *(, *|\})")
_FLOW_ITEM = re.compile(r"(" + _FLOW_SCALAR + "|" + _QUOTED + r") *(, *|\])")
_BLOCK_QUOTED = re.compile(r"(" + _QUOTED + r")(?: +(?:#.*)?)?\Z")
_BLOCK_SCALAR_START = re.compile(_FIRST)
_END = re.compile(r"(?: +(?:#.*)?)?\Z")
"""What may follow a value on its line: spaces and a comment."""

_MAY_CHANGE = RESOLVED_FIRST | {"$", "'", '"'}
"""First characters of the scalars that are not simply their text (see _scalar)."""

MAX_NESTING = 50
"""Deepest nesting this reader takes (deeper text goes to the full reader, which bounds it)."""


class _LineMap(YMap):
    """A flow mapping of scalars on one line, read as an earlier line of the same text was (a long
    spec repeats `- {type: Dense, units: 4}`): it shares that line's values and columns, and makes
    a position only when one is asked for."""

    __slots__ = ("row", "columns")

    def key_loc(self, key) -> Loc:
        """Position of a key (of the mapping itself if the key is absent)."""
        column = self.columns[0].get(key)
        return self.loc if column is None else _new_loc((self.row, column))

    def value_loc(self, key) -> Loc:
        """Position of a key's value (of the mapping itself if the key is absent)."""
        column = self.columns[1].get(key)
        return self.loc if column is None else _new_loc((self.row, column))

    @property
    def key_locs(self) -> dict:
        """Every key's position, as YMap holds them."""
        return {key: _new_loc((self.row, column)) for key, column in self.columns[0].items()}

    @property
    def value_locs(self) -> dict:
        """Every value's position, as YMap holds them."""
        return {key: _new_loc((self.row, column)) for key, column in self.columns[1].items()}


class _Unsupported(Exception):
    """The text leaves the subset: the full reader takes it."""


def read_plain(text: str):
    """The located value of `text` when it is written in the plain subset, else None."""
    if _outside(text):
        return None
    try:
        return _Reader(text).document()
    except (_Unsupported, SpecError, IndexError):
        return None


class _Reader:
    """The state of one reading: the lines, the current one, and the strings met."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.row = 0
        self.flow_indent = 0
        """Indentation of the block a flow collection is written in: the lines it goes on to stand right of it."""
        self.strings: dict[str, str] = {}
        """One string object for each key or text met: a long spec repeats a few of them many times."""
        self.line_maps: dict[str, tuple] = {}
        """A list item's line holding a flow mapping of scalars → (its values, the columns of its keys
        and of its values)."""

    def document(self):
        """The value of the whole text: one block mapping or list starting at its first column."""
        if self.indent() != 0:
            raise _Unsupported
        value = self.block(0, 0)
        if self.indent() != -1:
            raise _Unsupported
        return value

    def indent(self) -> int:
        """Move to the next line with content; its indentation, -1 at the end of the text."""
        lines, row = self.lines, self.row
        while row < len(lines):
            content = lines[row].lstrip(" ")
            if content and content[0] != "#":
                self.row = row
                return len(lines[row]) - len(content)
            row += 1
        self.row = row
        return -1

    def block(self, column: int, depth: int):
        """The block list or mapping starting at `column` of the current line."""
        if depth > MAX_NESTING:
            raise _Unsupported
        if _is_entry(self.lines[self.row], column):
            return self.block_list(column, depth)
        return self.block_map(column, depth)

    def block_map(self, column: int, depth: int) -> YMap:
        """A block mapping whose keys stand at `column` (the first on the current line)."""
        mapping = YMap()
        mapping.loc = _new_loc((self.row + 1, column + 1))
        key_locs, value_locs = mapping.key_locs, mapping.value_locs = {}, {}
        while True:
            line = self.lines[self.row]
            found = _BLOCK_KEY.match(line, column)
            if found is None:
                raise _Unsupported
            key = self.key(found.group(1))
            if key in mapping:
                raise _Unsupported
            key_locs[key] = _new_loc((self.row + 1, column + 1))
            position = found.end()
            if position < len(line) and line[position] != "#":
                self.flow_indent = column
                value, value_locs[key] = self.inline(line, position, depth)
                self.row += 1
                below = self.indent()
            else:  # the value is on the lines below
                self.row += 1
                below = self.indent()
                if below > column or below == column and _is_entry(self.lines[self.row], column):
                    value = self.block(below, depth + 1)
                else:
                    raise _Unsupported  # an empty value
                value_locs[key] = value.loc
                below = self.indent()
            mapping[key] = value
            if below != column:
                if below > column:
                    raise _Unsupported
                return mapping

    def block_list(self, column: int, depth: int) -> YList:
        """A block list whose `-` stand at `column` (the first on the current line)."""
        items = YList()
        items.loc = _new_loc((self.row + 1, column + 1))
        item_locs = items.item_locs = []
        lines = self.lines
        entry = " " * column + "- "
        while True:
            line = lines[self.row]
            if not line.startswith(entry):
                raise _Unsupported
            position = column + 2
            while line[position] == " ":  # (an item with nothing on its line leaves the subset)
                position += 1
            if line[position] == "{":  # the most common item: `- {type: …, …}`
                known = self.line_maps.get(line) if depth < MAX_NESTING else None
                if known is not None:  # read as an earlier line of the same text
                    value = _LineMap(known[0])
                    value.loc = _new_loc((self.row + 1, position + 1))
                    value.row, value.columns = self.row + 1, known[1]
                else:
                    self.flow_indent = column
                    row = self.row
                    value, end = self.flow_map(line, position, depth + 1)
                    if end != len(lines[self.row]) and not _END.match(lines[self.row], end):
                        raise _Unsupported
                    if self.row == row and not any(isinstance(v, (YMap, YList)) for v in value.values()):
                        self.line_maps[line] = (dict(value), _columns(value))
                item_locs.append(value.loc)
                self.row += 1
            elif _BLOCK_KEY.match(line, position):
                value = self.block_map(position, depth + 1)
                item_locs.append(value.loc)
            elif position == len(line) or line[position] == "#" or _is_entry(line, position):
                raise _Unsupported  # an empty item, or a list in a list
            else:
                self.flow_indent = column
                value, loc = self.inline(line, position, depth)
                item_locs.append(loc)
                self.row += 1
            items.append(value)
            if self.row < len(lines) and lines[self.row].startswith(entry):
                continue  # the next item, at once
            below = self.indent()
            if below != column or not _is_entry(lines[self.row], column):
                if below > column:
                    raise _Unsupported
                return items

    def inline(self, line: str, position: int, depth: int):
        """(value, position) of the value written from `position` to the end of the line."""
        if line[position] in "[{":
            value, end = self.flow(line, position, depth + 1)
            if not _END.match(self.lines[self.row], end):
                raise _Unsupported
            return value, value.loc
        loc = _new_loc((self.row + 1, position + 1))
        if line[position] in "'\"":
            quoted = _BLOCK_QUOTED.match(line, position)
            if quoted is None:
                raise _Unsupported
            return quoted.group(1)[1:-1], loc
        if not _BLOCK_SCALAR_START.match(line, position):
            raise _Unsupported
        end = line.find(" #", position)
        text = (line[position:] if end < 0 else line[position:end]).rstrip(" ")
        if ":" in text:
            raise _Unsupported
        return plain_scalar(text, loc), loc

    def flow(self, line: str, position: int, depth: int):
        """(value, position after it) of the flow mapping or list opening at `position`. When
        it goes on to other lines, the current line is the one where it ends."""
        if line[position] == "{":
            return self.flow_map(line, position, depth)
        return self.flow_list(line, position, depth)

    def flow_map(self, line: str, position: int, depth: int) -> tuple[YMap, int]:
        """(mapping, position after it) of the flow mapping opening at `position`."""
        if depth > MAX_NESTING:
            raise _Unsupported
        row = self.row + 1
        mapping = YMap()
        mapping.loc = _new_loc((row, position + 1))
        key_locs, value_locs = mapping.key_locs, mapping.value_locs = {}, {}
        strings = self.strings
        position += 1
        while line[position : position + 1] == " ":
            position += 1
        line, position = self.wrap(line, position)
        row = self.row + 1
        if line[position] == "}":
            return mapping, position + 1
        count = 0
        while True:
            count += 1
            pair = _FLOW_PAIR.match(line, position)
            if pair is not None:  # key: scalar
                key, text, separator = pair.group(1, 2, 3)
                key = strings.setdefault(key, key)
                key_locs[key] = _new_loc((row, position + 1))
                value_locs[key] = where = _new_loc((row, pair.start(2) + 1))
                mapping[key] = strings.setdefault(text, text) if text[0] not in _MAY_CHANGE else _scalar(text, where)
                position = pair.end()
            else:  # key: a flow list or mapping
                found = _FLOW_KEY.match(line, position)
                if found is None or line[found.end()] not in "[{":
                    raise _Unsupported
                key = strings.setdefault(found.group(1), found.group(1))
                key_locs[key] = _new_loc((row, position + 1))
                mapping[key], position = self.flow(line, found.end(), depth + 1)
                value_locs[key] = mapping[key].loc
                line = self.lines[self.row]
                row = self.row + 1
                position, separator = self.separator(line, position, "}")
            if len(mapping) != count:
                raise _Unsupported  # a duplicate key
            if separator == "}":
                return mapping, position
            if position == len(line) or line[position] == "#":
                line, position = self.wrap(line, position)
                row = self.row + 1
            if line[position] == "}":
                raise _Unsupported  # a trailing comma

    def flow_list(self, line: str, position: int, depth: int) -> tuple[YList, int]:
        """(list, position after it) of the flow list opening at `position`."""
        if depth > MAX_NESTING:
            raise _Unsupported
        row = self.row + 1
        items = YList()
        items.loc = _new_loc((row, position + 1))
        item_locs = items.item_locs = []
        position += 1
        while line[position : position + 1] == " ":
            position += 1
        line, position = self.wrap(line, position)
        row = self.row + 1
        if line[position] == "]":
            return items, position + 1
        while True:
            item = _FLOW_ITEM.match(line, position)
            if item is not None:
                where = _new_loc((row, position + 1))
                items.append(_scalar(item.group(1), where))
                item_locs.append(where)
                position, separator = item.end(), item.group(2)
            elif line[position] in "[{":
                inner, position = self.flow(line, position, depth + 1)
                items.append(inner)
                item_locs.append(inner.loc)
                line = self.lines[self.row]
                row = self.row + 1
                position, separator = self.separator(line, position, "]")
            else:
                raise _Unsupported
            if separator == "]":
                return items, position
            if position == len(line) or line[position] == "#":
                line, position = self.wrap(line, position)
                row = self.row + 1
            if line[position] == "]":
                raise _Unsupported  # a trailing comma

    def wrap(self, line: str, position: int) -> tuple[str, int]:
        """(line, position) of what comes next in a flow collection: where it is, or — at the end of
        the line or at a comment — the first thing on the next line with content, which must stand
        right of the block around the collection."""
        if position < len(line) and (line[position] != "#" or line[position - 1] != " "):
            return line, position
        self.row += 1
        if self.indent() <= self.flow_indent:
            raise _Unsupported
        line = self.lines[self.row]
        return line, len(line) - len(line.lstrip(" "))

    @staticmethod
    def separator(line: str, position: int, closing: str) -> tuple[int, str]:
        """(position after it and the spaces that follow, the character) of the `,` or closing
        bracket after a nested flow value."""
        while line[position] == " ":
            position += 1
        character = line[position]
        if character != "," and character != closing:
            raise _Unsupported
        position += 1
        while character == "," and line[position : position + 1] == " ":
            position += 1
        return position, character

    def key(self, text: str) -> str:
        """The one string object for `text` (see `strings`)."""
        return self.strings.setdefault(text, text)


def _scalar(text: str, loc: Loc):
    """The value of a scalar as written in a flow collection: quoted, or plain."""
    if text[0] == "'" or text[0] == '"':
        return text[1:-1]
    return plain_scalar(text, loc)


def _columns(mapping: YMap) -> tuple[dict, dict]:
    """The columns of a one-line mapping's keys and of its values."""
    return {k: loc.column for k, loc in mapping.key_locs.items()}, {
        k: loc.column for k, loc in mapping.value_locs.items()
    }


def _is_entry(line: str, column: int) -> bool:
    """Whether a block list entry (`- …` or a lone `-`) starts at `column` of `line`."""
    return line.startswith("-", column) and (len(line) == column + 1 or line[column + 1] == " ")
