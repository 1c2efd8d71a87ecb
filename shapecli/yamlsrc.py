"""YAML text → plain values that remember where they came from.

Only PyYAML's safe composer runs (the C one when available); values are built
from its nodes here, so that
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
    import select
    import stat

    from .errors import InputError

    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory")
    if stat.S_ISFIFO(mode):
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


def parse_yaml(text: str):
    """Compose one YAML document and build located values; raises SpecError."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = Loc(mark.line + 1, mark.column + 1) if mark else None
        problem = e.problem or e.context or "invalid YAML"
        if "nesting depth" in problem:
            raise SpecError(_TOO_DEEP, loc) from None
        raise SpecError(f"invalid YAML: {problem}", loc) from None
    except yaml.reader.ReaderError as e:
        raise SpecError(f"invalid YAML: {e.reason}", _position_of(text, e.position)) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", Loc(1, 1)) from None
    except RecursionError:
        raise SpecError(_TOO_DEEP, Loc(1, 1)) from None
    if root is None:
        raise SpecError("the spec is empty", Loc(1, 1))
    if "*" in text:  # only a document with aliases can expand
        _check_alias_expansion(root)
    return _Builder().build(root, 0)


def _check_alias_expansion(root) -> None:
    """Refuse a document whose aliases would expand it beyond the budget, or refer to themselves."""
    expanded: dict[int, int] = {}
    in_progress: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            expanded[key] = 1 + sum(expanded[id(c)] for c in _children(node))
            continue
        if key in expanded:
            continue
        if key in in_progress:
            raise SpecError("an alias refers to a node that contains it", _loc(node))
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node))
    if expanded[id(root)] - len(expanded) > MAX_ALIAS_EXPANSION:
        raise SpecError(
            f"aliases expand this spec beyond {MAX_ALIAS_EXPANSION:,} nodes; refusing it",
            _loc(root),
            hint="a spec that repeats structure should use blocks and repeat",
        )


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


class _Builder:
    """Builds values from nodes; a node reached twice (an alias) is built once."""

    def __init__(self):
        self.built: dict[int, object] = {}

    def build(self, node, depth: int):
        key = id(node)
        if key in self.built:
            return self.built[key]
        if depth > MAX_DEPTH:
            raise SpecError(_TOO_DEEP, _loc(node))
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = self.sequence(node, depth)
        else:
            value = self.mapping(node, depth)
        self.built[key] = value
        return value

    def scalar(self, node):
        tag = node.tag
        if tag == _STR:
            if not node.style and _EXPONENT_FLOAT.match(node.value):
                return float(node.value)
            return node.value
        if tag in (_INT, _FLOAT, _BOOL, _NULL):
            try:
                return _SCALARS.construct_object(node)
            except (ValueError, OverflowError, yaml.YAMLError):
                raise SpecError(f"'{node.value}' is not a valid number", _loc(node)) from None
        if tag == _TIMESTAMP:
            return node.value
        raise _bad_tag(node)

    def sequence(self, node, depth: int) -> YList:
        if node.tag != _SEQ:
            raise _bad_tag(node)
        items = YList(self.build(item, depth + 1) for item in node.value)
        items.loc = _loc(node)
        items.item_locs = [_loc(item) for item in node.value]
        return items

    def mapping(self, node, depth: int) -> YMap:
        if node.tag != _MAP:
            raise _bad_tag(node)
        result = YMap()
        result.loc = _loc(node)
        result.key_locs, result.value_locs = {}, {}
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self.merge_sources(value_node, depth, _loc(key_node)))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a mapping key must be a plain name", _loc(key_node))
            key = key_node.value
            if key in result:
                first = result.key_locs[key]
                raise SpecError(f"duplicate key '{key}' (first given at line {first.line})", _loc(key_node))
            result[key] = self.build(value_node, depth + 1)
            result.key_locs[key] = _loc(key_node)
            result.value_locs[key] = _loc(value_node)
        for source in merged:
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    result.key_locs[key] = source.key_locs[key]
                    result.value_locs[key] = source.value_locs[key]
        return result

    def merge_sources(self, node, depth: int, loc: Loc) -> list[YMap]:
        """The mappings named by a `<<:` merge key (at `loc`), in priority order."""
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources = [self.build(n, depth + 1) for n in nodes]
        if not all(isinstance(s, YMap) for s in sources):
            raise SpecError("'<<' merges mappings only", loc)
        return sources


def _bad_tag(node) -> SpecError:
    tag = node.tag.replace(_TAG, "!!")
    return SpecError(f"the YAML tag '{tag}' is not allowed: a spec holds plain data only", _loc(node))
