"""The memory of a training step and of inference, in bytes, computed from a Trace.

Training keeps, besides the parameters and buffers, a gradient per trainable
parameter, the optimizer's state, and the activations the backward pass needs:
every tensor some layer's rule keeps (shapecli/memory/rules.py), counted once
per storage — a ReLU output the next convolution also keeps is one tensor, and
views (Flatten, Reshape, Permute, Identity, a dropout in eval) share their
input's storage. Inference runs the graph in order and frees each tensor after
its last consumer; its peak is the largest set of tensors alive at once.

Sizes may be symbolic: every figure is then a formula (a `Dim`) of the input
symbols, exact for the model.
"""

from __future__ import annotations

from typing import NamedTuple

from ..conventions import DTYPE_BYTES
from ..dims import UNKNOWN, Dim, Expr, bounds, dim_max, is_known, product
from ..errors import InputError
from ..spec import NodeOutput
from .rules import ACT, AUTOCAST, INDEX, MASK, PARAM, RULES, STAT, WIDE, Call

OPTIMIZER_STATES = {"none": 0, "sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
"""Tensors of a parameter's size the optimizer keeps per trainable parameter (SGD's momentum
buffer; Adam's two moments). PyTorch's step counters are CPU scalars and are not counted."""

AMP_TYPES = {"bf16": "bfloat16", "fp16": "float16"}
DEVICES = ("cuda", "cpu")
INT64 = 8
BUFFER_TYPES = {"num_batches_tracked": INT64}
"""Buffers whose element type is not the parameters' (PyTorch's BatchNorm counter is int64)."""


class Settings(NamedTuple):
    """How the model is trained: parameter type, mixed precision, optimizer, device.

    `inputs_require_grad` treats the model's inputs as tensors that need a
    gradient (a layer in the middle of a network), as the per-layer
    measurements do.
    """

    dtype: str = "float32"
    amp: str | None = None
    optimizer: str = "adam"
    device: str = "cuda"
    inputs_require_grad: bool = False

    def check(self) -> None:
        """Refuse combinations no framework trains with."""
        if self.optimizer not in OPTIMIZER_STATES:
            raise InputError(f"unknown optimizer '{self.optimizer}' (expected {', '.join(OPTIMIZER_STATES)})")
        if self.amp is not None:
            if self.amp not in AMP_TYPES:
                raise InputError(f"unknown --amp '{self.amp}' (expected {' or '.join(AMP_TYPES)})")
            if self.dtype != "float32":
                raise InputError(
                    f"--amp {self.amp} keeps float32 master weights, so it needs --dtype float32 (got {self.dtype})",
                    hint=f"drop --dtype, or train in {self.dtype} without --amp",
                )

    def describe(self) -> str:
        """`adam, float32` or `adam, float32 with bf16 autocast`."""
        precision = self.dtype + (f" with {self.amp} autocast" if self.amp else "")
        return f"{self.optimizer}, {precision}"


class LayerMemory(NamedTuple):
    """One layer's share: bytes it is the first to keep for backward, what it keeps,
    and the bytes of activations alive while it runs in inference."""

    saved: Dim
    keeps: tuple[str, ...]
    alive: Dim


class MemoryReport(NamedTuple):
    """Bytes of each part of a training step and the inference peak; formulas when symbolic.

    `training` = params + buffers + gradients + optimizer_state + compute_copy +
    activations; `inference_peak` = params + buffers + compute_copy + the most
    activation bytes alive at once (`peaks` are the candidates for that maximum
    that no other one bounds, one per layer where it may be reached).
    """

    settings: Settings
    params: Dim
    buffers: Dim
    gradients: Dim
    optimizer_state: Dim
    compute_copy: Dim
    activations: Dim
    training: Dim
    inference_peak: Dim
    layers: list[LayerMemory]
    peaks: list[tuple[str, Dim]]

    @property
    def inference_activations(self) -> Dim:
        """The activation part of the inference peak."""
        return _largest([value for _, value in self.peaks])

    def training_at(self, bindings: dict[str, int]) -> Dim:
        """Training bytes with symbols bound."""
        return _evaluate(self.training, bindings)

    def inference_at(self, bindings: dict[str, int]) -> Dim:
        """Inference-peak bytes with symbols bound (each candidate evaluated, then the largest)."""
        fixed = self.params + self.buffers + self.compute_copy
        return _evaluate(fixed, bindings) + _largest([_evaluate(v, bindings) for _, v in self.peaks])


def _evaluate(value: Dim, bindings: dict[str, int]) -> Dim:
    return value.evaluate(bindings) if isinstance(value, Expr) else value


def memory_report(model, trace, settings: Settings = Settings()) -> MemoryReport | None:
    """The memory of training and inference for `trace` (None when its shapes do not fit)."""
    settings.check()
    if trace.errors or any(layer.state != "ok" for layer in trace.layers):
        return None
    sizes = _ElementSizes(settings)
    parts = _parameter_memory(model, trace, settings, sizes)
    saved, keeps, activations = _Walk(model, trace, settings, sizes, training=True).saved()
    alive, peaks = _Walk(model, trace, settings, sizes, training=False).alive()
    params, buffers, gradients, optimizer, copies = parts
    fixed = params + buffers + copies
    return MemoryReport(
        settings,
        params,
        buffers,
        gradients,
        optimizer,
        copies,
        activations,
        fixed + gradients + optimizer + activations,
        fixed + _largest([value for _, value in peaks]),
        [LayerMemory(s, k, a) for s, k, a in zip(saved, keeps, alive)],
        peaks,
    )


class _ElementSizes:
    """Bytes per element of each kind of tensor under the settings."""

    def __init__(self, settings: Settings):
        self.amp = settings.amp is not None
        self.param = DTYPE_BYTES[settings.dtype]
        self.half = DTYPE_BYTES[AMP_TYPES[settings.amp]] if self.amp else self.param
        self.stat = 8 if settings.dtype == "float64" else 4
        self.cuda = settings.device == "cuda"

    def compute(self, type_name: str, inputs: list) -> int:
        """The type a layer computes in: --dtype, or under autocast its policy's type."""
        if not self.amp:
            return self.param
        policy = AUTOCAST.get(type_name)
        if policy == "half":
            return self.half
        if policy in ("fp32", "param"):
            return 4
        floats = [t.size for t in inputs if t.floating]
        return max(floats) if floats else self.param

    def of(self, kind: str, compute: int) -> int:
        """Bytes per element of a new tensor of `kind` made by a layer computing in `compute`."""
        return {
            ACT: compute,
            WIDE: 4 if self.amp else self.param,
            STAT: self.stat,
            INDEX: INT64,
            MASK: 1 if self.cuda else compute,
            PARAM: self.param,
        }[kind]


def _parameter_memory(model, trace, settings: Settings, sizes: _ElementSizes) -> tuple[Dim, ...]:
    """(parameters, buffers, gradients, optimizer state, half-precision compute copies) in bytes.

    A shared or tied parameter is counted at its first use only (later uses count 0)."""
    params = buffers = trainable = copies = 0
    for node, layer in zip(model.nodes, trace.layers):
        half = sizes.amp and AUTOCAST.get(node.layer.type_name) == "half"
        for p in layer.params:
            count = p.count if p.count is not None else UNKNOWN
            if p.buffer:
                buffers = buffers + count * BUFFER_TYPES.get(p.local.rsplit(".", 1)[-1], sizes.param)
                continue
            params = params + count * sizes.param
            if p.trainable:
                trainable = trainable + count
                if half:
                    copies = copies + count * sizes.half
    gradients = trainable * sizes.param
    optimizer = trainable * sizes.param * OPTIMIZER_STATES[settings.optimizer]
    return params, buffers, gradients, optimizer, copies


class _Tensor(NamedTuple):
    storage: int
    size: int
    floating: bool
    contiguous: bool
    grad: bool


class _Walk:
    """One pass over the graph in order, tracking storages: what training keeps, or what
    inference has alive at each layer."""

    END = 1 << 62

    def __init__(self, model, trace, settings: Settings, sizes: _ElementSizes, training: bool):
        self.model, self.trace, self.settings, self.sizes, self.training = model, trace, settings, sizes, training
        self.bytes: list[Dim] = []
        self.created: list[int] = []
        self.last_use: list[int] = []
        self.used = _used_outputs(model)
        self.tensors: dict = {}
        indices = _index_inputs(model)
        for name, shape in trace.inputs.items():
            size = INT64 if name in indices else (4 if sizes.amp else sizes.param)
            floating = name not in indices
            grad = settings.inputs_require_grad and floating
            self.tensors[name] = _Tensor(self._storage(product(shape) * size, -1, self.END), size, floating, True, grad)

    def _storage(self, size: Dim, created: int, last_use: int = -1) -> int:
        self.bytes.append(size)
        self.created.append(created)
        self.last_use.append(max(last_use, created))
        return len(self.bytes) - 1

    def _layers(self):
        """Each node with its inputs, the rule's answer, and its output tensors (registered)."""
        for node, layer in zip(self.model.nodes, self.trace.layers):
            ins = [self.tensors[s] for s in node.sources]
            outs = list(layer.output_shapes.values()) if layer.output_shapes else [layer.output_shape]
            same = tuple(node.sources.index(s) for s in node.sources)
            call = Call(
                node.layer,
                node.cfg,
                list(layer.input_shapes),
                outs,
                self.training,
                self.settings.device,
                same,
                tuple(t.contiguous for t in ins),
                self.used.get(node.id, frozenset()),
            )
            keeps = RULES[node.layer.type_name](call)
            compute = self.sizes.compute(node.layer.type_name, ins)
            trainable = any(p.trainable and not p.buffer for p in layer.params)
            grad = trainable or any(t.grad for t in ins)
            views = dict(keeps.views)
            out_tensors = []
            for index, shape in enumerate(outs):
                if index in views:
                    base = ins[views[index]]
                    tensor = base._replace(contiguous=base.contiguous and keeps.contiguous)
                else:
                    tensor = _Tensor(self._storage(product(shape) * compute, node.id), compute, True, True, grad)
                out_tensors.append(tensor)
                self.tensors[NodeOutput(node.id, index)] = tensor
            yield node, call, keeps, compute, ins, out_tensors, grad

    def saved(self) -> tuple[list[Dim], list[tuple[str, ...]], Dim]:
        """Per layer: the bytes it is first to keep and what it keeps; and the total."""
        saver: dict[int, int] = {}
        per_layer: list[Dim] = []
        labels: list[tuple[str, ...]] = []
        total: Dim = 0
        for node, call, keeps, compute, ins, outs, grad in self._layers():
            mine: Dim = 0
            what = []
            if grad:
                casts: dict[int, int] = {}
                for item in keeps.saved:
                    storage = self._resolve(item, call, compute, ins, outs, casts)
                    what.append(item.what)
                    if storage not in saver:
                        saver[storage] = node.id
                        mine = mine + self.bytes[storage]
            per_layer.append(mine)
            labels.append(tuple(what))
            total = total + mine
        return per_layer, labels, total

    def _resolve(self, item, call: Call, compute: int, ins: list, outs: list, casts: dict) -> int:
        """The storage a kept tensor lives in (a new one for a tensor the layer makes)."""
        if item.source == "out":
            return outs[item.index].storage
        if item.source == "in":
            tensor = ins[call.same[item.index]]
            policy = AUTOCAST.get(call.layer.type_name)
            if not (self.sizes.amp and tensor.floating and policy in ("half", "fp32") and tensor.size != compute):
                return tensor.storage
            # autocast casts the input, and the layer keeps the cast copy
            if item.index not in casts:
                casts[item.index] = self._storage(product(call.ins[item.index]) * compute, -1)
            return casts[item.index]
        return self._storage(item.elements * self.sizes.of(item.kind, compute), -1)

    def alive(self) -> tuple[list[Dim], list[tuple[str, Dim]]]:
        """Per layer, the activation bytes alive while it runs; and the candidates for the peak."""
        transient: list[Dim] = []
        paths: list[str] = []
        for node, call, keeps, compute, ins, outs, grad in self._layers():
            extra = keeps.transient * compute
            for index, tensor in enumerate(ins):
                self.last_use[tensor.storage] = max(self.last_use[tensor.storage], node.id)
                policy = AUTOCAST.get(node.layer.type_name)
                if self.sizes.amp and tensor.floating and policy in ("half", "fp32") and tensor.size != compute:
                    extra = extra + product(call.ins[index]) * compute
            transient.append(extra)
            paths.append(node.path)
        for source in self.model.outputs.values():
            self.last_use[self.tensors[source].storage] = self.END
        steps = len(transient)
        change: list[Dim] = [0] * (steps + 1)
        running: Dim = 0
        for storage, size in enumerate(self.bytes):
            if self.created[storage] < 0:
                running = running + size
            else:
                change[self.created[storage]] = change[self.created[storage]] + size
            end = self.last_use[storage]
            if end < steps:
                change[end + 1] = change[end + 1] - size
        alive: list[Dim] = []
        for step in range(steps):
            running = running + change[step]
            alive.append(running + transient[step])
        return alive, _candidates(paths, alive)


def _used_outputs(model) -> dict[int, frozenset]:
    """Node id → the indices of its outputs that a layer consumes or the model returns."""
    used: dict[int, set] = {}
    for node in model.nodes:
        for source in node.sources:
            if isinstance(source, NodeOutput):
                used.setdefault(source.node, set()).add(source.index)
    for source in model.outputs.values():
        if isinstance(source, NodeOutput):
            used.setdefault(source.node, set()).add(source.index)
    return {node: frozenset(indices) for node, indices in used.items()}


def _index_inputs(model) -> set[str]:
    """The model inputs an Embedding reads: integer indices (int64), not floats."""
    return {
        source
        for node in model.nodes
        if node.layer.type_name == "Embedding"
        for source in node.sources
        if isinstance(source, str)
    }


def _candidates(paths: list[str], values: list[Dim]) -> list[tuple[str, Dim]]:
    """The values that may be the largest: those no other value is certainly at least."""
    if all(isinstance(v, int) for v in values):
        if not values:
            return [("", 0)]
        best = max(range(len(values)), key=lambda i: values[i])
        return [(paths[best], values[best])]
    kept: list[tuple[str, Dim]] = []
    for path, value in zip(paths, values):
        if not is_known(value):
            return [(path, UNKNOWN)]
        if any(_at_least(other, value) for _, other in kept):
            continue
        kept = [(p, other) for p, other in kept if not _at_least(value, other)]
        kept.append((path, value))
    return kept or [("", 0)]


def _at_least(a: Dim, b: Dim) -> bool:
    """Whether a >= b certainly (every symbol at least 1)."""
    difference = a - b
    if isinstance(difference, int):
        return difference >= 0
    return bounds(difference)[0] >= 0


def _largest(values: list[Dim]) -> Dim:
    result: Dim = values[0] if values else 0
    for value in values[1:]:
        result = dim_max(result, value)
    return result
