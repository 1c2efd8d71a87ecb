"""The JSON documents of `inspect`, `check` and failures, written as a stream.

Keys are stable: new ones may be added, none renamed or dropped (a failure
document has every key of a result, empty). Large lists (`layers`) are written
one item per line as they are made, with the C encoder (on a stream that writes
UTF-8, as UTF-8 bytes to its buffer), so a 100,000-layer document costs little memory
and time; the whole stays one valid JSON value.
"""

from __future__ import annotations

import codecs
import json
import os

from ..dims import dim_to_json
from ..errors import Diagnostic
from ..infer import Evaluation, LayerInfo, Trace
from ..kinds import KINDS
from ..totals import evaluated_totals
from .escape import json_safe

JSON_SCHEMA_VERSION = 1


class Rows:
    """A list written one item per line, made lazily from an iterable."""

    safe = False
    """Whether `texts` are already `json_safe`."""

    def __init__(self, items):
        self.items = items

    def texts(self):
        """Each item as JSON text (before `json_safe`)."""
        return map(_ENCODE, self.items)


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
"""One encoder for every value (json.dumps with options builds a new one per call)."""

_STRING = json.encoder.encode_basestring
"""The C function the encoder above writes a string with (ensure_ascii=False)."""


def _dumps(value) -> str:
    return json_safe(_ENCODE(value))


def write_json(document: dict, file) -> None:
    """Write `document` to `file`: a key per line, `Rows` one item per line."""
    file.write("{")
    first = True
    for key, value in document.items():
        file.write(("\n" if first else ",\n") + f"  {_dumps(key)}: ")
        first = False
        if isinstance(value, Rows):
            _write_rows(value, file)
        else:
            file.write(_dumps(value))
    file.write("\n}\n")


def _write_rows(rows: Rows, file) -> None:
    buffer = _utf8_buffer(file) if isinstance(rows, LayerRows) else None
    if buffer is not None:
        file.flush()  # what was written as text goes first
        _write_chunks(rows.chunks(), buffer)
        return
    safe = (lambda text: text) if rows.safe else json_safe
    empty = True
    batch: list[str] = []
    for text in rows.texts():
        batch.append(text)
        if len(batch) == 1_000:
            file.write(safe(("[\n    " if empty else ",\n    ") + ",\n    ".join(batch)))
            empty, batch = False, []
    if batch:
        file.write(safe(("[\n    " if empty else ",\n    ") + ",\n    ".join(batch)))
        empty = False
    file.write("[]" if empty else "\n  ]")


def _write_chunks(chunks, buffer) -> None:
    """`_write_rows` for entries given as UTF-8 bytes, written to a binary `buffer`."""
    empty = True
    batch: list[bytes] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == 1_000:
            buffer.write((b"[\n    " if empty else b",\n    ") + b",\n    ".join(batch))
            empty, batch = False, []
    if batch:
        buffer.write((b"[\n    " if empty else b",\n    ") + b",\n    ".join(batch))
        empty = False
    buffer.write(b"[]" if empty else b"\n  ]")


def _utf8_buffer(file):
    """The binary stream under a text `file` that writes UTF-8 and newlines as they are, else None:
    there, entries written as bytes skip the text layer (an entry holding one character beyond
    Latin-1, as `√` in an initializer's text, makes a wide string of every line otherwise)."""
    buffer = getattr(file, "buffer", None)
    encoding = getattr(file, "encoding", None)
    if buffer is None or not encoding or os.linesep != "\n":
        return None
    try:
        return buffer if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


def _shape(shape):
    return None if shape is None else [d if type(d) is int else dim_to_json(d) for d in shape]


def shape_json(shape):
    """A shape as JSON: a list of dims (ints, null, expression strings), or null."""
    return _shape(shape)


def _value(value):
    """A count or MACs value: int, null (unknown), or an expression string."""
    return None if value is None else dim_to_json(value)


def _shapes(value):
    if value is None:
        return None
    if isinstance(value, tuple):
        return _shape(value)
    return [_shape(s) for s in value]


def _origin(origin) -> dict | None:
    if origin is None:
        return None
    return {
        "what": origin.what,
        "file": origin.file,
        "line": origin.loc.line if origin.loc else None,
        "column": origin.loc.column if origin.loc else None,
    }


def diagnostic_json(d: Diagnostic) -> dict:
    """A diagnostic as one entry of an `errors` (or `warnings`) list."""
    kind = KINDS[d.kind]
    return {
        "kind": d.kind,
        "code": kind.code,
        "severity": kind.severity,
        "file": d.file,
        "line": d.loc.line if d.loc else None,
        "column": d.loc.column if d.loc else None,
        "path": d.path,
        "message": d.message,
        "expected": _shapes(d.expected),
        "received": _shapes(d.received),
        "inputs": [{"from": label, "shape": _shape(shape)} for label, shape in d.inputs],
        "axes": list(d.axes),
        "origins": [
            {
                "axis": c.axis,
                "expected": dim_to_json(c.expected),
                "expected_from": _origin(c.expected_from),
                "received": dim_to_json(c.received),
                "received_from": _origin(c.received_from),
            }
            for c in d.conflicts
        ],
        "hint": d.hint,
        "notes": list(d.notes),
    }


def layer_json(layer: LayerInfo) -> dict:
    """One entry of a document's `layers`."""
    entry = {
        "path": layer.path,
        "type": layer.type,
        "line": layer.loc.line,
        "column": layer.loc.column,
        "state": layer.state,
        "input_shapes": _shapes(layer.input_shapes),
        "output_shape": _shape(layer.output_shape),
    }
    if layer.output_shapes:
        entry["output_shapes"] = {n: _shape(o) for n, o in layer.output_shapes.items()}
    entry["params"] = [
        {
            "name": p.name,
            "before": _shape(p.before),
            "after": _shape(p.after),
            "count": _value(p.count),
            "trainable": p.trainable,
            "buffer": p.buffer,
            "shared_with": p.shared_with,
            "init": p.init,
        }
        for p in layer.params
    ]
    entry["count"] = _value(layer.count)
    entry["macs"] = _value(layer.macs)
    entry["status_before"] = layer.before_status
    return entry


class LayerRows(Rows):
    """A document's `layers`, made from the trace's layers (and each one's memory, once added).

    `items` are the entries as dicts (`layer_json`); the writer takes `texts`, the same entries
    written straight from the layers (`_LayerTexts`): the characters `json_safe(_ENCODE(item))`
    gives, which tests/test_json_writer.py checks on every shipped config.
    """

    safe = True

    def __init__(self, layers, memory=None, memory_json=None):
        self.layers, self.memory, self.memory_json = layers, memory, memory_json

    @property
    def items(self):
        """The entries as dicts."""
        if self.memory is None:
            return (layer_json(layer) for layer in self.layers)
        return ({**layer_json(layer), "memory": self.memory_json(m)} for layer, m in zip(self.layers, self.memory))

    def with_memory(self, memory, memory_json) -> LayerRows:
        """These rows with each layer's `memory` (`memory_json(record)` of its record) last."""
        return LayerRows(self.layers, memory, memory_json)

    def texts(self):
        """Each entry as JSON text, already `json_safe`."""
        return (chunk.decode() for chunk in self.chunks())

    def chunks(self):
        """Each entry as `texts` gives it, in UTF-8."""
        texts = _LayerTexts()
        if self.memory is None:
            return map(texts.layer, self.layers)
        memory = _Known(lambda record: _utf8(', "memory": ' + _ENCODE(self.memory_json(record))))
        return map(texts.layer, self.layers, map(memory.__getitem__, self.memory))


class _Known(dict):
    """`function(key)` for the keys met, each computed once (the last few thousand kept)."""

    LIMIT = 4096

    def __init__(self, function):
        super().__init__()
        self.function = function

    def __missing__(self, key):
        if len(self) >= self.LIMIT:
            self.clear()
        value = self[key] = self.function(key)
        return value


class _LayerTexts:
    """Writes `json_safe(_ENCODE(layer_json(layer)))` from a layer, without the dict, in UTF-8.

    What repeats from layer to layer (a shape, a type name, a parameter but for its name, a
    memory record) is encoded by `_ENCODE` once and its bytes reused; names are written by the
    encoder's own C string function, numbers by `%d`. `json_safe` replaces characters one by
    one, so it is applied to each piece instead of the whole. A value of a type this does not
    expect (TypeError) has its entry written by `_ENCODE` itself.
    """

    def __init__(self):
        self.shape = _Known(lambda shape: _utf8(_ENCODE(_shape(shape))))
        self.shape_list = _Known(lambda shapes: b"[" + b", ".join([self.shape[shape] for shape in shapes]) + b"]")
        self.word = _Known(lambda word: _utf8(_STRING(word)))
        self.value = _Known(lambda typed: _utf8(_ENCODE(_value(typed[1]))))
        self.param_rest = _Known(self._param_rest)
        self.alike: dict = {}
        """`_parts` of a layer by its `alike` token (layers inferred alike share them; the last few
        thousand kept)."""

    @staticmethod
    def _param_rest(key: tuple) -> bytes:
        """A parameter's entry after its name: `, "before": …}`."""
        before, after, count, trainable, buffer, shared_with, init = key[:7]
        text = _ENCODE(
            {
                "before": _shape(before),
                "after": _shape(after),
                "count": _value(count),
                "trainable": trainable,
                "buffer": buffer,
                "shared_with": shared_with,
                "init": init,
            }
        )
        return _utf8(", " + text[1:])

    @staticmethod
    def _param_key(p) -> tuple:
        """What decides a parameter's entry after its name (with the types: True and 1 are one key
        but not one text)."""
        return (
            p.before,
            p.after,
            p.count,
            p.trainable,
            p.buffer,
            p.shared_with,
            p.init,
            type(p.trainable),
            type(p.buffer),
        )

    def _shapes(self, value) -> bytes:
        if type(value) is list:
            return self.shape_list[tuple(value)]
        return self.shape[value]  # None, or a tuple: one shape (a list of dims is a TypeError)

    def _count(self, value) -> bytes:
        return b"%d" % value if type(value) is int else self.value[type(value), value]

    def layer(self, layer: LayerInfo, memory: bytes = b"") -> bytes:
        """The entry of `layer`, with `memory` (`, "memory": …`, safe) as its last key."""
        try:
            return self._layer(layer, memory)
        except TypeError:
            return _utf8(_ENCODE(layer_json(layer))[:-1]) + memory + b"}"

    def _layer(self, layer: LayerInfo, memory: bytes) -> bytes:
        line, column = layer.loc.line, layer.loc.column
        if type(line) is not int or type(column) is not int:
            raise TypeError(line, column)
        parts = self.alike.get(layer.alike) if layer.alike is not None else None
        if parts is None:
            parts = self._parts(layer)
            if layer.alike is not None:
                if len(self.alike) >= _Known.LIMIT:
                    self.alike.clear()
                self.alike[layer.alike] = parts
        kind, middle, rests, tail = parts
        params = []
        for p, rest in zip(layer.params, rests):
            params.append(b'{"name": ' + _utf8(_STRING(p.name)) + rest)
        return _LAYER % (_utf8(_STRING(layer.path)), kind, line, column, middle, b", ".join(params), tail, memory)

    def _parts(self, layer: LayerInfo) -> tuple:
        """All of a layer's entry but its path, position and parameter names: (its type; its state,
        input and output shapes; each parameter's entry after its name; its count, MACs and status)."""
        word = self.word
        output = self.shape[layer.output_shape]
        if layer.output_shapes:
            outputs = _ENCODE({n: _shape(o) for n, o in layer.output_shapes.items()})
            output += b', "output_shapes": ' + _utf8(outputs)
        middle = b'"state": %b, "input_shapes": %b, "output_shape": %b' % (
            word[layer.state],
            self._shapes(layer.input_shapes),
            output,
        )
        tail = b'"count": %b, "macs": %b, "status_before": %b' % (
            self._count(layer.count),
            self._count(layer.macs),
            word[layer.before_status],
        )
        rests = [self.param_rest[self._param_key(p)] for p in layer.params]
        return word[layer.type], middle, rests, tail


_LAYER = b'{"path": %b, "type": %b, "line": %d, "column": %d, %b, "params": [%b], %b%b}'
"""A layer's entry, its values given as bytes (and the line and column as ints)."""


def _utf8(text: str) -> bytes:
    """`json_safe(text)` in UTF-8 (at once for ASCII text without DEL: every name a spec gives)."""
    if text.isascii() and "\x7f" not in text:
        return text.encode()
    return json_safe(text).encode()


def totals_json(trace: Trace) -> dict:
    """A document's `totals`."""
    totals = trace.totals
    return {
        "params": _value(totals.params),
        "trainable": _value(totals.trainable),
        "non_trainable": _value(totals.non_trainable),
        "bytes": _value(totals.bytes),
        "dtype": totals.dtype,
        "macs": _value(totals.macs),
    }


def run_totals_json(totals) -> dict:
    """A `totals.RunTotals` as JSON: `totals_json`'s keys, `buffers`, and `memory` (null until computed)."""
    return {
        "params": _value(totals.params),
        "trainable": _value(totals.trainable),
        "non_trainable": _value(totals.non_trainable),
        "buffers": _value(totals.buffers),
        "bytes": _value(totals.bytes),
        "dtype": totals.dtype,
        "macs": _value(totals.macs),
        "memory": _value(totals.memory),
    }


def inspect_document(
    trace: Trace, evaluations: list[Evaluation] = (), errors: list[Diagnostic] = (), warnings: list | None = None
) -> dict:
    """The document of an inspection; `errors` are reported beside the trace's own (--where violations),
    `warnings` instead of the trace's own (with the lints) when given."""
    document = {
        "schema": JSON_SCHEMA_VERSION,
        "spec": trace.file,
        "convention": trace.convention,
        "inputs": {name: _shape(shape) for name, shape in trace.inputs.items()},
        "outputs": {name: _shape(shape) for name, shape in trace.outputs.items()},
        "layers": LayerRows(trace.layers),
        "totals": totals_json(trace),
        "errors": [diagnostic_json(d) for d in (*trace.errors, *errors)],
        "requires": [r.text for r in trace.requires],
        "requirements": [{"condition": r.text, "layers": list(r.origins)} for r in trace.requires],
        "input_dependent_params": trace.input_dependent_params,
        "warnings": [diagnostic_json(d) for d in (trace.warnings if warnings is None else warnings)],
    }
    if evaluations:
        document["where"] = [_evaluation_json(e, trace) for e in evaluations]
    return document


def _evaluation_json(e: Evaluation, trace: Trace) -> dict:
    totals = evaluated_totals(trace.totals, e.bindings)
    return {
        "bindings": e.bindings,
        "ok": False if e.violated else (None if e.undecided else True),
        "violated": [r.text for r in e.violated],
        "undecided": [r.text for r in e.undecided],
        "inputs": {name: _shape(s) for name, s in e.inputs.items()},
        "outputs": {name: _shape(s) for name, s in e.outputs.items()},
        "params": _value(totals.params),
        "macs": _value(totals.macs),
        "bytes": _value(totals.bytes),
    }


def failure_document(file: str | None, convention: str | None, diagnostics: list[Diagnostic]) -> dict:
    """The document when the spec or the inputs could not be used at all: every key of
    an inspection, empty, and the errors."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "spec": file,
        "convention": convention,
        "inputs": {},
        "outputs": {},
        "layers": [],
        "totals": None,
        "errors": [diagnostic_json(d) for d in diagnostics if KINDS[d.kind].severity == "error"],
        "requires": [],
        "requirements": [],
        "input_dependent_params": [],
        "warnings": [diagnostic_json(d) for d in diagnostics if KINDS[d.kind].severity != "error"],
    }


def check_document(results, strict: bool, errors: list[Diagnostic] = ()) -> dict:
    """The document of `shapecli check`; `errors` are problems with the arguments themselves."""
    failed = [r for r in results if not r.passed(strict)]
    return {
        "schema": JSON_SCHEMA_VERSION,
        "strict": strict,
        "files": [
            {
                "file": r.file,
                "ok": r.passed(strict),
                "skipped": r.skipped,
                "outputs": None if r.outputs is None else {name: _shape(s) for name, s in r.outputs.items()},
                "totals": None if r.totals is None else run_totals_json(r.totals),
                "requires": list(r.requires),
                "errors": [diagnostic_json(d) for d in r.errors],
                "warnings": [diagnostic_json(d) for d in r.warnings],
            }
            for r in results
        ],
        "summary": {
            "files": len(results),
            "ok": sum(not r.skipped for r in results) - sum(not r.skipped for r in failed),
            "failed": len(failed),
            "errors": sum(len(r.errors) for r in results) + len(errors),
            "warnings": sum(len(r.warnings) for r in results),
            "skipped": sum(r.skipped for r in results) - sum(r.skipped for r in failed),
        },
        "errors": [diagnostic_json(d) for d in errors],
    }
