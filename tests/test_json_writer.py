"""The streamed `layers` of an inspect document: written straight from the trace (render/json.py's
`LayerRows.texts`), they must be the very characters the C encoder writes of the dicts
(`json_safe(json.JSONEncoder(ensure_ascii=False).encode(item))`), on every shipped config, with
and without memory, and for the values the fast path does not expect (it falls back to the encoder);
and written as UTF-8 bytes on a stream that writes UTF-8, the same document.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from shapecli.contract import load_spec, run_spec
from shapecli.infer import ParamInfo
from shapecli.memory.command import MemoryRequest
from shapecli.memory.json_keys import layer_memory_json
from shapecli.render import inspect_document, write_json
from shapecli.render.escape import json_safe
from shapecli.render.json import LayerRows, Rows, _utf8_buffer, layer_json
from shapecli.yamlsrc import read_spec

from .helpers import run_spec as run_text

ROOT = Path(__file__).parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _by_encoder(rows: LayerRows) -> list[str]:
    """The entries as the C encoder writes the dicts."""
    return [json_safe(ENCODE(item)) for item in rows.items]


def _config(path: Path):
    file, text = read_spec(str(path))
    model = load_spec(text, file, None)
    trace, _ = run_spec(model, [])
    return model, trace


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
@pytest.mark.parametrize("amp", [None, "bf16"])
def test_layer_texts_are_the_encoders_on_every_config(path, amp):
    model, trace = _config(path)
    rows = LayerRows(trace.layers)
    assert list(rows.texts()) == _by_encoder(rows)
    result = MemoryRequest(amp=amp).run(model, trace)
    if result.report is not None:
        rows = rows.with_memory(result.report.layers, layer_memory_json)
        texts = list(rows.texts())
        assert texts == _by_encoder(rows)
        assert all('"memory": {"saved": ' in text for text in texts)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_whole_document_is_what_the_encoder_writes(path):
    """The document with streamed layers equals the one whose layers the encoder writes item by item."""
    model, trace = _config(path)
    document = inspect_document(trace)
    MemoryRequest().run(model, trace).add_json(document)
    fast = io.StringIO()
    write_json(document, fast)
    document["layers"] = Rows(list(document["layers"].items))
    slow = io.StringIO()
    write_json(document, slow)
    assert fast.getvalue() == slow.getvalue()
    assert json.loads(fast.getvalue())["layers"][0]["path"] == trace.layers[0].path


SYMBOLIC = """
inputs: {x: [B, 3, H, W]}
layers:
  - {name: conv, type: Conv2d, filters: 8, kernel_size: 3}
  - {type: ReLU}
  - {type: Flatten}
"""


def test_symbolic_shapes_and_unsafe_characters():
    """Formulas; and a path (names cannot hold them, an importer's might) with a line separator, an
    ESC and DEL, and a non-ASCII type: escaped exactly as in the encoder's text."""
    trace = run_text(SYMBOLIC)
    trace.layers[0].path = "conv\u00e9\u2028\x1b\x7f"
    trace.layers[1].type = "ReLU\u00e9"
    rows = LayerRows(trace.layers)
    texts = list(rows.texts())
    assert texts == _by_encoder(rows)
    assert texts[0].startswith('{"path": "conv\u00e9\\u2028\\u001b\\u007f"')
    assert '"output_shape": ["B", 8, "H - 2", "W - 2"]' in texts[0]


def test_values_the_fast_path_does_not_expect_fall_back_to_the_encoder():
    """A shape held as a list, a flag that is an int, a name that is not a str: the encoder's text."""
    trace = run_text("layers: [{type: Dense, units: 3}, {type: Dense, units: 2}]", "4x5")
    first, second = trace.layers
    first.output_shape = list(first.output_shape)
    weight = second.params[0]
    odd = ParamInfo(weight.name, weight.local, weight.before, weight.after, weight.count, 1, 0)
    second.params = [odd, *second.params[1:]]
    rows = LayerRows(trace.layers)
    texts = list(rows.texts())
    assert texts == _by_encoder(rows)
    assert '"trainable": 1, "buffer": 0' in texts[1]
    second.path = None
    assert list(rows.texts()) == _by_encoder(rows)
    assert texts[1].startswith('{"path": "dense1"') and list(rows.texts())[1].startswith('{"path": null')


def test_items_are_the_layer_dicts():
    """What scripts (shapecli.api) read: layer_json's dicts, with `memory` last once added."""
    trace = run_text("layers: [{type: Dense, units: 3}]", "4x5")
    rows = LayerRows(trace.layers)
    assert list(rows.items) == [layer_json(trace.layers[0])]
    with_memory = rows.with_memory(["record"], lambda record: {"saved": record})
    assert list(with_memory.items) == [{**layer_json(trace.layers[0]), "memory": {"saved": "record"}}]
    assert list(with_memory.texts())[0].endswith(', "memory": {"saved": "record"}}')


def test_on_a_utf8_stream_the_entries_go_as_bytes_and_the_document_is_the_same():
    """On a text stream that writes UTF-8, the entries go to its binary buffer after what was written
    as text (the keys before them); the document is the one written as text, character for
    character, with the unsafe path and the initializers' `√`."""
    trace = run_text(SYMBOLIC)
    trace.layers[0].path = "conv\u00e9\u2028\x1b\x7f"
    as_text = io.StringIO()
    write_json(inspect_document(trace, [], [], []), as_text)
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    write_json(inspect_document(trace, [], [], []), stream)
    stream.flush()
    assert raw.getvalue().decode("utf-8") == as_text.getvalue()
    document = json.loads(as_text.getvalue())
    assert document["layers"][0]["path"] == "conv\u00e9\u2028\x1b\x7f"
    assert document["layers"][0]["params"][0]["init"] == "kaiming_uniform(a=√5)"


@pytest.mark.parametrize("encoding, as_bytes", [("utf-8", True), ("UTF8", True), ("latin-1", False), ("ascii", False)])
def test_only_a_stream_that_writes_utf8_takes_bytes(encoding, as_bytes):
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    assert (_utf8_buffer(stream) is stream.buffer) is as_bytes
    assert _utf8_buffer(io.StringIO()) is None
