"""`shapecli import keras FILE`: a Keras model → a spec, without Keras.

A `.keras` file is a zip archive whose config.json holds the model's
configuration; `model.to_json()` writes the same configuration. Both are read
with zipfile and json only. Functional models (`inbound_nodes`: which layer
outputs each call takes, several inputs and outputs, layers called more than
once) and Sequential models are converted layer by layer through the table in
keras_layers.py, into a keras-convention spec whose `check:` key holds the
model's input shapes (the batch axis as the symbol `batch`).

Keras records the shape of every tensor a layer passes on; the written spec is
inferred at the model's input shapes and each of those shapes must come out
the same, else the import fails (a bug in the import, reported as such).
"""

from __future__ import annotations

import json
import os
import zipfile

from .. import __version__
from ..errors import ShapecliError
from .graph import ImportedGraph, ImportedSpec, ImportFailure, Problem, UnmappableModel, Value
from .keras_layers import LAYERS, MODELS, REFUSED, TYPE_CHOICE, Refused
from .spec_writer import write_spec

MAX_BYTES = 64 * 1024 * 1024
"""Largest config (or JSON file) read."""

_IGNORED_OPTIONS = ("training", "mask")
"""Call arguments that do not change a layer's shapes or parameters."""


def import_keras(path: str) -> ImportedSpec:
    """Import the Keras model saved in `path` (.keras archive or to_json() file) as spec text."""
    document, metadata = _read(path)
    model = _expect_dict(document, f"{path}: the model configuration")
    class_name = model.get("class_name")
    config = _expect_dict(model.get("config"), f"{path}: 'config' of the model")
    if class_name not in MODELS:
        if class_name in LAYERS or class_name in REFUSED:
            raise ImportFailure(f"{path} holds a single {class_name} layer, not a model")
        raise ImportFailure(
            f"{path} holds a {class_name!s} whose saved config has no layer graph (a subclassed model?): "
            "only Functional and Sequential models can be imported"
        )
    graph = ImportedGraph(os.path.basename(path), "keras")
    converter = _Converter(graph, path)
    if class_name == "Sequential":
        converter.sequential(config)
    else:
        converter.functional(config)
    if graph.problems:
        count = f"{len(graph.problems)} layer{'s' if len(graph.problems) > 1 else ''}"
        verb = "have" if len(graph.problems) > 1 else "has"
        raise UnmappableModel(f"cannot import {path}: {count} of the model {verb} no spec equivalent", graph.problems)
    version = metadata.get("keras_version") or model.get("keras_version") or document.get("keras_version")
    kind = f"Keras {version} " if version else "Keras "
    graph.header = [
        f"Imported from {os.path.basename(path)} ({kind}{class_name} '{config.get('name', '')}') "
        f"by shapecli {__version__}:",
        f"  shapecli import keras {path}",
    ]
    written = write_spec(graph)
    if written.problems:
        raise UnmappableModel(f"cannot import {path}", written.problems)
    problems, summary = _verify(written.text, graph, written.paths, path)
    if problems:
        raise UnmappableModel(
            f"the spec written for {path} disagrees with the shapes Keras recorded (a bug in shapecli's import; "
            "please report it)",
            problems,
        )
    return ImportedSpec(written.text, summary)


# -- reading ---------------------------------------------------------------------------


def _read(path: str) -> tuple[dict, dict]:
    """(the model configuration, metadata.json or {}) from a .keras archive or a JSON file."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        raise ImportFailure(f"cannot read {path}: {e.strerror}") from None
    if head.startswith(b"PK"):
        return _read_archive(path)
    if head.startswith(b"\x89HDF"):
        raise ImportFailure(
            f"{path} is an HDF5 file (a legacy Keras .h5 model); save it with model.save('model.keras') "
            "or write model.to_json(), then import that"
        )
    if size > MAX_BYTES:
        raise ImportFailure(f"{path} is {size:,} bytes; a model configuration is read up to {MAX_BYTES:,}")
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    return _parse_json(data, path), {}


def _read_archive(path: str) -> tuple[dict, dict]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "config.json" not in names:
                shown = ", ".join(names[:5]) + ("…" if len(names) > 5 else "")
                raise ImportFailure(
                    f"{path} is a zip archive without config.json (it holds {shown or 'nothing'}): not a .keras model"
                )
            config = _parse_json(_member(archive, "config.json", path), f"{path}!config.json")
            metadata = {}
            if "metadata.json" in names:
                parsed = _parse_json(_member(archive, "metadata.json", path), f"{path}!metadata.json")
                metadata = parsed if isinstance(parsed, dict) else {}
            return config, metadata
    except zipfile.BadZipFile as e:
        raise ImportFailure(f"{path} is not a readable zip archive ({e}): a .keras file is one") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as e:
        if isinstance(e, ShapecliError):
            raise
        raise ImportFailure(f"cannot read {path} as a .keras archive: {e}") from None


def _member(archive: zipfile.ZipFile, name: str, path: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_BYTES:
        raise ImportFailure(f"{path}: {name} is {info.file_size:,} bytes; it is read up to {MAX_BYTES:,}")
    with archive.open(info) as member:
        return member.read(MAX_BYTES + 1)


def _parse_json(data: bytes, where: str):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ImportFailure(
            f"{where} is neither a .keras archive (zip) nor a JSON file (byte 0x{data[e.start]:02x} at offset "
            f"{e.start} is not UTF-8 text)"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFailure(f"{where}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
    except RecursionError:
        raise ImportFailure(f"{where}: the JSON is nested too deeply") from None


def _expect_dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise ImportFailure(f"{what} is {_kind(value)}, expected a JSON object (is this a Keras model file?)")
    return value


def _expect_list(value, what: str) -> list:
    if not isinstance(value, list):
        raise ImportFailure(f"{what} is {_kind(value)}, expected a JSON list")
    return value


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "missing"}.get(type(value), str(value))


# -- converting ----------------------------------------------------------------------


class _Ref:
    """A tensor a call takes: output `index` of call `node` of layer `layer`, and the shape Keras recorded."""

    __slots__ = ("layer", "node", "index", "shape")

    def __init__(self, layer: str, node: int, index: int, shape):
        self.layer, self.node, self.index, self.shape = layer, node, index, shape


class _Converter:
    def __init__(self, graph: ImportedGraph, path: str):
        self.graph, self.path = graph, path
        self.produced: dict[tuple[str, int], object] = {}
        """(layer name, call index) → the op id of that call, an input name, or None when it failed."""
        self.first_op: dict[str, int] = {}

    # -- Sequential --

    def sequential(self, config: dict) -> None:
        layers = _expect_list(config.get("layers"), f"{self.path}: the Sequential model's 'layers'")
        current = None
        for i, layer in enumerate(layers):
            layer = _expect_dict(layer, f"{self.path}: layer {i} of the Sequential model")
            name, class_name, layer_config = self.identity(layer, i)
            if class_name == "InputLayer":
                current = self.add_input(name, layer_config)
                continue
            if not self.graph.inputs:
                shape = config.get("build_input_shape") or layer_config.get("batch_input_shape")
                current = self.add_input("x", {"batch_shape": shape} if shape else None)
            self.record_input_shape(current, layer)
            produced = self.add_layer(name, class_name, layer_config, [current], {}, None)
            current = Value(produced) if produced is not None else None
        if isinstance(current, Value) and current.producer in range(len(self.graph.ops)):
            self.graph.outputs = [current]

    # -- Functional --

    def functional(self, config: dict) -> None:
        layers = _expect_list(config.get("layers"), f"{self.path}: the model's 'layers'")
        for i, layer in enumerate(layers):
            layer = _expect_dict(layer, f"{self.path}: layer {i}")
            name, class_name, layer_config = self.identity(layer, i)
            if class_name == "InputLayer":
                self.add_input(name, layer_config)
                self.produced[(name, 0)] = name
                continue
            nodes = _expect_list(layer.get("inbound_nodes", []), f"{self.path}: 'inbound_nodes' of layer '{name}'")
            for k, node in enumerate(nodes):
                positional, keyword, options = self.node_inputs(node, name)
                sources = [self.value_of(ref, name) for ref in positional]
                keyword_sources = {key: self.value_of(ref, name) for key, ref in keyword.items()}
                self.produced[(name, k)] = self.add_layer(
                    name, class_name, layer_config, sources, keyword_sources, options
                )
        for ref in self.layer_refs(config.get("output_layers"), "output_layers"):
            value = self.value_of(ref, "the model's outputs")
            if isinstance(value, Value):
                self.graph.outputs.append(value)
        declared = [r.layer for r in self.layer_refs(config.get("input_layers"), "input_layers")]
        if declared and set(declared) <= set(self.graph.inputs):
            self.graph.inputs = {name: self.graph.inputs[name] for name in declared}
            self.graph.check_inputs = {name: self.graph.check_inputs[name] for name in declared}

    def identity(self, layer: dict, position: int) -> tuple[str, str, dict]:
        class_name = layer.get("class_name")
        config = layer.get("config")
        if not isinstance(class_name, str) or not isinstance(config, dict):
            raise ImportFailure(f"{self.path}: layer {position} has no class_name or config: not a Keras model file")
        name = layer.get("name") or config.get("name")
        if not isinstance(name, str):
            raise ImportFailure(f"{self.path}: layer {position} ({class_name}) has no name")
        return name, class_name, config

    def layer_refs(self, value, what: str) -> list[_Ref]:
        """The [name, node, index] triples of input_layers / output_layers (one, or a list, or a dict)."""
        if value is None:
            return []
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            value = [value]
        refs = []
        for item in _expect_list(value, f"{self.path}: '{what}'"):
            if not (isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str)):
                raise ImportFailure(f"{self.path}: '{what}' holds {item!r}, expected [layer name, node, index]")
            refs.append(_Ref(item[0], _int(item[1]), _int(item[2]), None))
        return refs

    def node_inputs(self, node, layer: str):
        """(tensors passed by position, tensors passed by keyword, other call arguments) of one call."""
        if isinstance(node, dict):
            positional: list[_Ref] = []
            self.collect(node.get("args", []), positional)
            keyword, options = {}, {}
            for key, value in (node.get("kwargs") or {}).items():
                found: list[_Ref] = []
                self.collect(value, found)
                if found:
                    keyword[key] = found[0]
                else:
                    options[key] = value
            return positional, keyword, options
        if isinstance(node, list):
            positional, options = [], {}
            for entry in node:
                if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str):
                    positional.append(_Ref(entry[0], _int(entry[1]), _int(entry[2]), None))
                    if len(entry) > 3 and isinstance(entry[3], dict):
                        options.update(entry[3])
            return positional, {}, options
        raise ImportFailure(f"{self.path}: a call of layer '{layer}' is {_kind(node)}, not an inbound node")

    def collect(self, value, found: list) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                config = value.get("config") or {}
                history = config.get("keras_history") or []
                if len(history) != 3 or not isinstance(history[0], str):
                    raise ImportFailure(f"{self.path}: a tensor has no keras_history [layer, node, index]")
                ref = _Ref(history[0], _int(history[1]), _int(history[2]), config.get("shape"))
                found.append(ref)
                self.record_shape(ref)
                return
            for item in value.values():
                self.collect(item, found)
        elif isinstance(value, list):
            for item in value:
                self.collect(item, found)

    def record_input_shape(self, value, layer: dict) -> None:
        """In a Sequential model, a layer's build_config input shape is the previous layer's output shape."""
        shape = (layer.get("build_config") or {}).get("input_shape")
        if isinstance(value, Value) and isinstance(value.producer, int) and isinstance(shape, list):
            self.graph.ops[value.producer].shapes = [tuple(shape)]

    def record_shape(self, ref: _Ref) -> None:
        """Keep the shape Keras recorded for a layer's output, to check the spec against."""
        producer = self.produced.get((ref.layer, ref.node))
        if not isinstance(producer, int) or not isinstance(ref.shape, list):
            return
        op = self.graph.ops[producer]
        op.shapes = op.shapes or []
        op.shapes += [None] * (ref.index + 1 - len(op.shapes))
        op.shapes[ref.index] = tuple(ref.shape)

    def value_of(self, ref: _Ref, consumer: str):
        produced = self.produced.get((ref.layer, ref.node))
        if (ref.layer, ref.node) not in self.produced:
            raise ImportFailure(
                f"{self.path}: '{consumer}' takes output {ref.index} of call {ref.node} of layer '{ref.layer}', "
                "which comes later or does not exist"
            )
        if produced is None:
            return None
        if isinstance(produced, str):
            return Value(produced)
        return Value(produced, ref.index)

    # -- layers --

    def add_input(self, name: str, config: dict | None) -> Value:
        shape = None if config is None else config.get("batch_shape", config.get("batch_input_shape"))
        if shape is None:
            self.graph.inputs[name] = None
        else:
            dims = _expect_list(shape, f"{self.path}: the shape of input '{name}'")
            self.graph.inputs[name] = tuple(dims)
            self.graph.check_inputs[name] = ["batch" if i == 0 and d is None else d for i, d in enumerate(dims)]
        return Value(name)

    def add_layer(self, name: str, class_name: str, config: dict, sources, keyword: dict, options: dict | None):
        """The op of one call of a layer (its first call carries the name; later ones share it)."""
        where = f"layer '{name}' ({class_name})"
        if class_name in MODELS:
            self.graph.problem(where, "a nested model; flatten it into its parent (nested models are not imported yet)")
            return None
        if class_name in REFUSED:
            self.graph.problem(where, REFUSED[class_name])
            return None
        rule = LAYERS.get(class_name)
        if rule is None:
            self.graph.problem(where, f"no mapping for the Keras layer class {class_name} (a custom layer?)")
            return None
        try:
            args = rule.args(config)
            sources = self.call_sources(class_name, sources, keyword, options or {}, args)
        except Refused as e:
            self.graph.problem(where, str(e))
            return None
        except (KeyError, TypeError) as e:
            self.graph.problem(where, f"its saved config is not what Keras writes ({type(e).__name__}: {e})")
            return None
        if any(s is None for s in sources):
            return None
        layer_type = TYPE_CHOICE[class_name](config) if class_name in TYPE_CHOICE else rule.layer
        first = self.first_op.get(name)
        if first is None:
            op = self.graph.add_op(self.graph.root, layer_type, args, sources, where, name=name)
            self.first_op[name] = op.id
            op.owns_params = True
        else:
            op = self.graph.add_op(self.graph.root, layer_type, args, sources, where, stem=name)
            op.share = first
        return op.id

    def call_sources(self, class_name: str, sources: list, keyword: dict, options: dict, args: dict) -> list:
        """A call's inputs in the layer type's order; call options become arguments or are refused."""
        if class_name == "MultiHeadAttention":
            ordered = list(sources)
            for key in ("query", "value", "key"):
                if key in keyword:
                    ordered.append(keyword.pop(key))
            for key in ("attention_mask", "query_mask", "value_mask", "key_mask"):
                if key in keyword or options.get(key) is not None:
                    raise Refused(f"is called with {key} (the layer type takes no mask)")
            if options.pop("use_causal_mask", False):
                raise Refused("is called with use_causal_mask=True (the layer type takes no mask)")
            if options.pop("return_attention_scores", False):
                args["return_attention_scores"] = True
            sources = ordered
        if keyword:
            raise Refused(f"is called with the tensor argument {next(iter(keyword))} (the layer type takes none)")
        for key, value in options.items():
            if key not in _IGNORED_OPTIONS and value not in (None, False):
                raise Refused(f"is called with {key}={value!r} (the layer type takes no such argument)")
        return sources


def _int(value) -> int:
    if type(value) is not int:
        raise ImportFailure(f"expected an integer node or tensor index, found {value!r}")
    return value


# -- verification ---------------------------------------------------------------------


def _verify(text: str, graph: ImportedGraph, paths: dict[int, str], path: str) -> tuple[list[Problem], str]:
    """Infer the written spec at its check inputs; every shape Keras recorded must come out the same."""
    from ..infer import infer
    from ..spec import load_model

    model = load_model(text, "<imported spec>", "keras")
    if not model.check.inputs:
        return [], "not checked: the model records no input shape (build it before saving)"
    trace = infer(model, model.check.inputs)
    problems = [Problem(f"layer '{e.path}'", e.message) for e in trace.errors]
    by_path = {layer.path: layer for layer in trace.layers}
    compared = 0
    for op in graph.ops:
        layer = by_path.get(paths[op.id])
        if layer is None or layer.state != "ok" or not op.shapes:
            continue
        produced = list(layer.output_shapes.values()) if layer.output_shapes else [layer.output_shape]
        for index, shape in enumerate(op.shapes):
            if shape is None or index >= len(produced):
                continue
            compared += 1
            if not _fits(shape, produced[index]):
                problems.append(
                    Problem(op.origin, f"output {index}: Keras recorded {shape}, the spec gives {produced[index]}")
                )
    from ..dims import format_shape

    outputs = ", ".join(format_shape(s) for s in trace.outputs.values())
    checked = (
        f"the {compared} output shape{'s' if compared != 1 else ''} Keras recorded agree with the spec's"
        if compared
        else "the file records no layer output shapes to compare"
    )
    summary = f"checked: {checked}; {trace.totals.params:,} parameters; output {outputs}"
    return problems, summary


def _fits(recorded: list, inferred) -> bool:
    if inferred is None or len(recorded) != len(inferred):
        return False
    return all(r is None or r == d for r, d in zip(recorded, inferred))
