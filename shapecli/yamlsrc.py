"""YAML text → plain values that remember where they came from.

Only PyYAML's parser runs (the C one when available), never a constructor of
arbitrary objects; values are built from its events here, so that
  * every mapping key and value and every list item keeps its 1-based position;
  * duplicate keys are an error instead of the last one silently winning;
  * tags other than YAML's plain data types are refused, never constructed;
  * `1e-3` is a float (YAML 1.1 would read a string);
  * aliases are shared, not copied, and refused when they would expand a
    spec beyond a budget ("billion laughs").
Mapping keys are taken as written (`on:` stays the string "on").
"""

from __future__ import annotations

import re

import yaml

from .errors import Loc, SpecError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = yaml.constructor.SafeConstructor()

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE, _TIMESTAMP = (_TAG + t for t in ("seq", "map", "merge", "timestamp"))
_EXPONENT_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+\Z")

MAX_DEPTH = 200
"""Deepest nesting of lists and mappings accepted."""

_TOO_DEEP = f"the YAML is nested too deeply (at most {MAX_DEPTH} levels)"

MAX_ALIAS_EXPANSION = 1_000_000
"""Most nodes that aliases may add to a spec when expanded."""


class YMap(dict):
    """A YAML mapping: a dict that remembers where it and each key and value stand."""

    __slots__ = ("loc", "key_locs", "value_locs")

    def key_loc(self, key) -> Loc:
        """Position of a key (of the mapping itself if the key is absent)."""
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key) -> Loc:
        """Position of a key's value (of the mapping itself if the key is absent)."""
        return self.value_locs.get(key, self.loc)


class YList(list):
    """A YAML sequence: a list that remembers where it and each item stand."""

    __slots__ = ("loc", "item_locs")


def _loc(node) -> Loc:
    return Loc(node.start_mark.line + 1, node.start_mark.column + 1)


def _position_of(text: str, index: int) -> Loc:
    line = text.count("\n", 0, index) + 1
    return Loc(line, index - (text.rfind("\n", 0, index) + 1) + 1)


MAX_SPEC_BYTES = 64 * 2**20
"""Largest spec file read."""

PIPE_TIMEOUT = 10.0
"""Seconds to wait for the first data from a named pipe before giving up."""


def display_name(path: str) -> str:
    """How a spec path is shown: `<stdin>` for `-`; undecodable bytes of a file name as `\\xNN`."""
    if path == "-":
        return "<stdin>"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def read_spec(path: str) -> tuple[str, str]:
    """(display name, text) of the spec at `path`, `-` meaning standard input.

    Raises InputError for a file that cannot be read, is not a regular file or a
    pipe, or is too large; SpecError (with the file set) for one that is not
    UTF-8. A named pipe that gives no data within PIPE_TIMEOUT is refused rather
    than waited on forever. Nothing is ever written.
    """
    import sys

    from .errors import InputError

    name = display_name(path)
    try:
        if path == "-":
            if sys.stdin is None:
                raise InputError("standard input is closed: give a spec file, or pipe one into -")
            data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        else:
            data = _read_file(path, name)
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise InputError(f"{name} is larger than {MAX_SPEC_BYTES // 2**20} MiB; refusing to read it")
    try:
        return name, decode(data)
    except SpecError as e:
        e.file = name
        raise


def _read_file(path: str, name: str) -> bytes:
    """The first MAX_SPEC_BYTES + 1 bytes of a regular file or a named pipe."""
    import errno
    import os
    import stat

    from .errors import InputError

    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory")
    if stat.S_ISFIFO(mode):
        import select

        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as pipe:
            ready, _, _ = select.select([pipe], [], [], PIPE_TIMEOUT)
            if not ready:
                raise InputError(f"{name} is a pipe that gave no data in {PIPE_TIMEOUT:.0f} s")
            os.set_blocking(descriptor, True)
            return pipe.read(MAX_SPEC_BYTES + 1)
    if not stat.S_ISREG(mode):
        raise InputError(f"{name} is not a regular file (a device or socket); give a spec file")
    with open(path, "rb") as f:
        return f.read(MAX_SPEC_BYTES + 1)


def decode(data: bytes) -> str:
    """Spec bytes → text; anything but UTF-8 is an error located at the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError(f"the file is not UTF-8 text (byte 0x{data[e.start]:02x})", Loc(line, column)) from None


_PROTECTED = "[]{},"
_PLACEHOLDERS = "\ue000\ue001\ue002\ue003\ue004"
_PROTECT = str.maketrans(_PROTECTED, _PLACEHOLDERS)
_UNPROTECT = str.maketrans(_PLACEHOLDERS, _PROTECTED)
_EXPRESSION_START = re.compile(r"(?<=[:\[{,])[ \t]*(?=-?\$)")


def protect_expressions(text: str) -> str:
    """`text` with the brackets, braces and commas inside `$` expressions replaced by placeholders
    of the same length, so that `{filters: $x.shape[1] // 2, groups: $max(a, b)}` is one plain
    scalar even inside a flow mapping, and every position stays where it was written."""
    if "$" not in text:
        return text
    pieces, last = [], 0
    for match in _EXPRESSION_START.finditer(text):
        start = match.end()
        if start < last:
            continue
        end, depth = start, 0
        while end < len(text):
            char = text[end]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0 or char in "\r\n" or text.startswith(" #", end):
                break
            end += 1
        pieces += [text[last:start], text[start:end].translate(_PROTECT)]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def parse_yaml(text: str, plain: bool = True):
    """Build located values from one YAML document; raises SpecError.

    Text in the plain subset most specs use is read by yamlplain, faster
    (unless `plain` is False: the tests compare the two readers). Any other is
    built from the parser's events as they come (no node tree is kept),
    iteratively, so memory stays near the size of the values and depth is
    bounded by MAX_DEPTH, not by Python's stack. `$` expressions may hold
    brackets and commas even in flow style (see protect_expressions).
    """
    from .yamlplain import read_plain

    protected = protect_expressions(text)
    found = read_plain(protected) if plain else None
    if found is not None:
        return found
    try:
        loader = _LOADER(protected)
    except UnicodeEncodeError as e:  # (text from a caller, not a file: a file is decoded strictly)
        where = _position_of(text, e.start)
        raise SpecError(
            f"invalid YAML: U+{ord(protected[e.start]):04X} is a lone surrogate, not a character", where
        ) from None
    try:
        return _EventBuilder(loader).document()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = Loc(mark.line + 1, mark.column + 1) if mark else None
        problem = e.problem or e.context or "invalid YAML"
        if "nesting depth" in problem:
            raise SpecError(_TOO_DEEP, loc) from None
        if loc is not None and _char_at(text, loc) == "\t":
            raise SpecError("tabs are not allowed for indentation in YAML", loc, hint="indent with spaces") from None
        raise SpecError(f"invalid YAML: {problem}", loc) from None
    except yaml.reader.ReaderError as e:
        raise SpecError(f"invalid YAML: {e.reason}", _position_of(text, e.position)) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", Loc(1, 1)) from None
    finally:
        loader.dispose()


def _char_at(text: str, loc: Loc) -> str:
    """The character at a 1-based position of `text` ('' past its end)."""
    start = 0
    for _ in range(loc.line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    index = start + loc.column - 1
    return text[index] if index < len(text) and text[index] != "\n" else ""


class _Frame:
    """A list or mapping being built: its value, and for a mapping the key waiting for its value."""

    __slots__ = ("value", "is_map", "key", "key_loc", "merge", "merged", "size", "anchor")

    def __init__(self, value, anchor):
        self.value, self.anchor = value, anchor
        self.is_map = type(value) is YMap
        self.key = self.key_loc = None
        self.merge = False
        self.merged: list[YMap] = []
        self.size = 1
        """Nodes this value stands for when every alias in it is expanded."""


class _EventBuilder:
    """Values from a parser's events. An alias is the anchored value itself (shared, not
    copied); the nodes aliases would add when expanded are counted against a budget."""

    def __init__(self, loader):
        self.loader = loader
        self.anchors: dict[str, tuple[object, int]] = {}
        self.open_anchors: dict[str, Loc] = {}
        """Anchors of lists and mappings still being built, and where they start."""
        self.nodes = 0
        self.expanded = 0

    def document(self):
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            raise SpecError("the spec is empty", Loc(1, 1))
        loader.get_event()  # DocumentStart
        root = self.value()
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise SpecError(
                "invalid YAML: but found another document (a spec is one YAML document)",
                _loc(event),
            )
        if self.expanded - self.nodes > MAX_ALIAS_EXPANSION:
            raise SpecError(
                f"aliases expand this spec beyond {MAX_ALIAS_EXPANSION:,} nodes; refusing it",
                Loc(1, 1),
                hint="a spec that repeats structure should use blocks and repeat",
            )
        return root

    def value(self):
        """The next complete value (a scalar, or a list or mapping with everything inside it)."""
        stack: list[_Frame] = []
        get_event = self.loader.get_event
        while True:
            event = get_event()
            kind = type(event)
            if kind is _SCALAR_EVENT:
                self.nodes += 1
                size = 1
                top = stack[-1] if stack else None
                if top is not None and top.is_map and top.key is None:
                    if event.value == "<<" and event.tag is None and event.implicit[0]:
                        top.merge = True
                        top.key, top.key_loc = _MERGE, _loc(event)
                        continue
                    done = event.value  # keys are taken as written: `on:` stays "on"
                else:
                    done = _scalar(event)
                if event.anchor:
                    self.anchors[event.anchor] = (done, 1)
            elif kind is yaml.AliasEvent:
                if event.anchor in self.open_anchors:
                    raise SpecError("an alias refers to a node that contains it", self.open_anchors[event.anchor])
                if event.anchor not in self.anchors:
                    raise SpecError(f"invalid YAML: found undefined alias '{event.anchor}'", _loc(event))
                done, size = self.anchors[event.anchor]
                if stack and stack[-1].is_map and stack[-1].key is None:
                    raise SpecError("a mapping key must be a plain name", _loc(event))
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                if stack and stack[-1].is_map and stack[-1].key is None:
                    raise SpecError("a mapping key must be a plain name", _loc(event))
                if len(stack) > MAX_DEPTH:
                    raise SpecError(_TOO_DEEP, _loc(event))
                sequence = kind is yaml.SequenceStartEvent
                if event.tag not in (None, "!", _SEQ if sequence else _MAP):
                    raise _bad_tag(event.tag, _loc(event))
                value = YList() if sequence else YMap()
                value.loc = _loc(event)
                if sequence:
                    value.item_locs = []
                else:
                    value.key_locs, value.value_locs = {}, {}
                self.nodes += 1
                if event.anchor:
                    self.open_anchors[event.anchor] = value.loc
                stack.append(_Frame(value, event.anchor))
                continue
            else:  # SequenceEnd or MappingEnd
                frame = stack.pop()
                done, size = frame.value, frame.size
                if isinstance(done, YMap):
                    _merge(done, frame.merged)
                if frame.anchor:
                    del self.open_anchors[frame.anchor]
                    self.anchors[frame.anchor] = (done, size)
            if not stack:
                self.expanded += size
                return done
            self.add(stack[-1], done, size, event)

    def add(self, frame: _Frame, value, size: int, event) -> None:
        """Put a finished value into the list or mapping being built."""
        frame.size += size
        container = frame.value
        if not frame.is_map:
            container.append(value)
            container.item_locs.append(_loc(event) if not isinstance(value, (YList, YMap)) else value.loc)
            return
        if frame.key is None:
            if value in container:
                first = container.key_locs[value]
                raise SpecError(f"duplicate key '{value}' (first given at line {first.line})", _loc(event))
            frame.key, frame.key_loc = value, _loc(event)
            return
        where = value.loc if isinstance(value, (YList, YMap)) and type(event) is not yaml.AliasEvent else _loc(event)
        if frame.merge:
            sources = value if isinstance(value, YList) else [value]
            if not all(isinstance(source, YMap) for source in sources):
                raise SpecError("'<<' merges mappings only", frame.key_loc)
            frame.merged.extend(sources)
            frame.merge = False
        else:
            container[frame.key] = value
            container.key_locs[frame.key] = frame.key_loc
            container.value_locs[frame.key] = where
        frame.key = None


_RESOLVER = yaml.resolver.Resolver()
_SCALAR_EVENT = yaml.ScalarEvent
_IMPLICIT = _RESOLVER.yaml_implicit_resolvers
"""YAML 1.1's implicit resolvers by first character: a plain scalar whose first character
has none is a string."""
RESOLVED_FIRST = frozenset(_IMPLICIT)
"""First characters of the plain scalars YAML 1.1 may read as other than their text (numbers,
bools, nulls): a plain scalar starting with any other (and not with `$`) is its text."""


def _scalar(event):
    """The value of a scalar: text, a number, a bool or None, by YAML 1.1's rules
    (with `1e-3` a number); any other tag is refused, never constructed."""
    if event.tag is None and event.implicit[0]:
        return plain_scalar(event.value, _loc(event))
    value = event.value
    if value[:1] in ("$", "-") and not event.style:
        value = value.translate(_UNPROTECT)
    if event.tag is None:  # quoted: a string
        return value
    return _tagged(_resolved_tag(event), value, not event.style, _loc(event))


def plain_scalar(text: str, loc: Loc):
    """The value of a plain scalar without a tag (`text` as protect_expressions left it), by YAML 1.1's
    rules (with `1e-3` a number); `loc` is where it stands, for errors."""
    first = text[:1]
    if first not in _IMPLICIT:
        return text.translate(_UNPROTECT) if first == "$" else text
    if first != "-":
        if text.isdigit() and text.isascii() and (len(text) == 1 or first != "0" and len(text) <= 18):
            return int(text)  # a plain decimal int (the common case) at once
        value = text
    else:
        value = text.translate(_UNPROTECT)
    return _tagged(_RESOLVER.resolve(yaml.ScalarNode, text, _PLAIN), value, True, loc)


_PLAIN = (True, False)
"""The `implicit` of a plain scalar's event."""


def _tagged(tag: str, value: str, plain: bool, loc: Loc):
    """The value of a scalar's text under `tag`; refused unless the tag is plain data."""
    if tag == _STR:
        if plain and _EXPONENT_FLOAT.match(value):
            return float(value)
        return value
    if tag in (_INT, _FLOAT, _BOOL, _NULL):
        try:  # the constructor itself: construct_object would remember every node it is given
            return _SCALARS.yaml_constructors[tag](_SCALARS, yaml.ScalarNode(tag, value))
        except (ValueError, OverflowError, yaml.YAMLError):
            raise SpecError(f"'{value}' is not a valid number", loc) from None
    if tag in (_TIMESTAMP, _MERGE):
        return value
    raise _bad_tag(tag, loc)


def _resolved_tag(event) -> str:
    """The tag of a scalar: its explicit one, or the one YAML 1.1 implies for its text."""
    if event.tag in (None, "!"):
        return _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    return event.tag


def _merge(mapping: YMap, sources: list[YMap]) -> None:
    """Fill the keys a `<<:` merge brings that the mapping does not set itself."""
    for source in sources:
        for key, value in source.items():
            if key not in mapping:
                mapping[key] = value
                mapping.key_locs[key] = source.key_locs[key]
                mapping.value_locs[key] = source.value_locs[key]


def _bad_tag(tag: str, loc: Loc) -> SpecError:
    tag = tag.replace(_TAG, "!!")
    return SpecError(f"the YAML tag '{tag}' is not allowed: a spec holds plain data only", loc)
