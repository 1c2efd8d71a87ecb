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

from collections.abc import Sequence

from ..records import NamedTuple
from ..conventions import DTYPE_BYTES
from ..dims import UNKNOWN, Dim, Expr, bounds, dim_max, product
from ..errors import InputError
from ..registry import index_model_inputs
from ..spec import NodeOutput
from .rules import (
    ACT,
    AUTOCAST,
    BOOL,
    INDEX,
    MASK,
    PARAM,
    RULES,
    STAT,
    WEIGHT_ALWAYS_KEPT,
    WIDE,
    Call,
    Keeps,
    casts_parameter,
)

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
        if self.device not in DEVICES:
            raise InputError(f"unknown device '{self.device}' (expected {' or '.join(DEVICES)})")
        if self.dtype not in DTYPE_BYTES:
            raise InputError(f"unknown dtype '{self.dtype}' (expected one of {', '.join(DTYPE_BYTES)})")
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
    activations, where `compute_copy` is the half-precision copies of weights that
    autocast makes and backward keeps (a layer keeps its weight's copy when its
    input needs a gradient); `inference_peak` = params + buffers +
    `inference_copy` (autocast's cache holds every copy during the forward pass)
    + the most activation bytes alive at once (`peaks` are the candidates for that
    maximum that no other one bounds, one per layer where it may be reached).
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
    layers: Sequence[LayerMemory]
    peaks: list[tuple[str, Dim]]
    inference_copy: Dim = 0

    @property
    def inference_activations(self) -> Dim:
        """The activation part of the inference peak."""
        return _largest([value for _, value in self.peaks])

    def training_at(self, bindings: dict[str, int]) -> Dim:
        """Training bytes with symbols bound."""
        return _evaluate(self.training, bindings)

    def inference_at(self, bindings: dict[str, int]) -> Dim:
        """Inference-peak bytes with symbols bound (each candidate evaluated, then the largest)."""
        fixed = self.params + self.buffers + self.inference_copy
        values = [_evaluate(v, bindings) for _, v in self.peaks]
        kept = [
            v for i, v in enumerate(values) if not any(j != i and _dominates(w, v, j < i) for j, w in enumerate(values))
        ]
        return _evaluate(fixed, bindings) + _largest(kept)


def _evaluate(value: Dim, bindings: dict[str, int]) -> Dim:
    return value.evaluate(bindings) if isinstance(value, Expr) else value


_PASSED_ON = Keeps(views=((0, 0),))
"""What a layer an `if:` leaves out keeps: nothing; its output is its input."""


def memory_report(model, trace, settings: Settings | None = None) -> MemoryReport | None:
    """The memory of training and inference for `trace` (None when its shapes do not fit)."""
    settings = settings or Settings()
    settings.check()
    if trace.errors or any(layer.state not in ("ok", "absent") for layer in trace.layers):
        return None
    sizes = _ElementSizes(settings)
    params, buffers, gradients, optimizer, inference_copy = _parameter_memory(model, trace, settings, sizes)
    saved, keeps, activations, copies = _Walk(model, trace, settings, sizes, training=True).saved()
    alive, peaks = _Walk(model, trace, settings, sizes, training=False).alive()
    fixed = params + buffers
    return MemoryReport(
        settings,
        params,
        buffers,
        gradients,
        optimizer,
        copies,
        activations,
        fixed + copies + gradients + optimizer + activations,
        fixed + inference_copy + _largest([value for _, value in peaks]),
        _Layers(saved, keeps, alive),
        peaks,
        inference_copy,
    )


class _Layers(Sequence):
    """Each layer's LayerMemory, made when first read (a table or JSON asks; a total does not)."""

    def __init__(self, saved: list, keeps: list, alive: list):
        self.saved, self.keeps, self.alive = saved, keeps, alive
        self.cache: dict = {}
        self.made: dict[int, LayerMemory] = {}

    def __len__(self) -> int:
        return len(self.keeps)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index not in self.made:
            saved, alive = self.saved[index], self.alive[index]
            self.made[index] = LayerMemory(saved.dim(self.cache), self.keeps[index], alive.dim(self.cache))
        return self.made[index]


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
            BOOL: 1,
        }[kind]


def _parameter_memory(model, trace, settings: Settings, sizes: _ElementSizes) -> tuple[Dim, ...]:
    """(parameters, buffers, gradients, optimizer state, half-precision compute copies) in bytes.

    A shared or tied parameter is counted at its first use only (later uses count 0); its
    compute copy once, by the first layer that casts it (autocast caches a cast per tensor)."""
    params = buffers = trainable = 0
    copied: dict[str, Dim] = {}
    for node, layer in zip(model.nodes, trace.layers):
        for p in layer.params:
            count = p.count if p.count is not None else UNKNOWN
            if p.buffer:
                buffers = buffers + count * _buffer_bytes(p, layer.cfg or node.cfg, sizes)
                continue
            params = params + count * sizes.param
            if p.trainable:
                trainable = trainable + count
                if sizes.amp and casts_parameter(node.layer.type_name, p.local):
                    copied.setdefault(p.shared_with or p.name, _elements(p))  # cached during the forward
    gradients = trainable * sizes.param
    optimizer = trainable * sizes.param * OPTIMIZER_STATES[settings.optimizer]
    return params, buffers, gradients, optimizer, sum(copied.values()) * sizes.half


def _buffer_bytes(p, cfg, sizes: _ElementSizes) -> int:
    """Bytes per element of a buffer: a Buffer layer's `dtype`, PyTorch's int64 counters, else the parameters'."""
    dtype = getattr(cfg, "dtype", None) if not p.local else None
    if dtype is not None:
        return DTYPE_BYTES[dtype]
    return BUFFER_TYPES.get(p.local.rsplit(".", 1)[-1], sizes.param)


def _elements(p) -> Dim:
    """Elements of a parameter, whichever use this is (shared and tied uses count 0)."""
    return product(p.after) if p.after is not None else UNKNOWN


class _Step(NamedTuple):
    """One layer as the walk meets it: the rule's call and answer, the type it computes in,
    its input and output tensors, and whether autograd records it."""

    node: object
    call: Call
    keeps: object
    compute: int
    ins: list
    outs: list
    grad: bool


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
        self.sizes_cache: dict = {}
        indices = index_model_inputs(model.nodes, trace.inputs)
        for name, shape in trace.inputs.items():
            size = INT64 if name in indices else (4 if sizes.amp else sizes.param)
            floating = name not in indices
            grad = settings.inputs_require_grad and floating
            self.tensors[name] = _Tensor(self._storage(product(shape) * size, -1, self.END), size, floating, True, grad)

    def _sized(self, shape: tuple, size: int) -> Dim:
        """Bytes of a tensor of `shape` with `size`-byte elements (cached: shapes repeat)."""
        key = (shape, size)
        if key not in self.sizes_cache:
            self.sizes_cache[key] = product(shape) * size
        return self.sizes_cache[key]

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
            same = (0,) if len(ins) == 1 else tuple([node.sources.index(s) for s in node.sources])
            call = Call(
                node.layer,
                layer.cfg or node.cfg,
                list(layer.input_shapes),
                outs,
                self.training,
                self.settings.device,
                same,
                tuple([t.contiguous for t in ins]),
                self.used.get(node.id, frozenset()),
            )
            # a layer an if: leaves out passes its input on (PyTorch's build: no module at all)
            keeps = _PASSED_ON if layer.state == "absent" else RULES[node.layer.type_name](call)
            compute = self.sizes.compute(node.layer.type_name, ins)
            trainable = any(p.trainable and not p.buffer for p in layer.params)
            grad = trainable or any(t.grad for t in ins)
            views = dict(keeps.views)
            out_tensors = []
            for index, shape in enumerate(outs):
                if index in keeps.owned:  # the layer's own parameter or buffer: no activation bytes
                    tensor = _Tensor(self._storage(0, node.id), self.sizes.param, True, True, trainable)
                elif index in views:
                    base = ins[views[index]]
                    tensor = base._replace(contiguous=base.contiguous and keeps.contiguous)
                else:
                    size = self.sizes.of(keeps.output, compute)
                    tensor = _Tensor(self._storage(self._sized(shape, size), node.id), size, True, True, grad)
                out_tensors.append(tensor)
                self.tensors[NodeOutput(node.id, index)] = tensor
            yield _Step(node, call, keeps, compute, ins, out_tensors, grad)

    def saved(self) -> tuple[list[_Poly], list[tuple[str, ...]], Dim, Dim]:
        """Per layer: the bytes it is first to keep and what it keeps; the total; and the bytes
        of autocast's weight copies that backward keeps (a layer whose input needs a gradient
        keeps its weight, so its half-precision copy)."""
        saver: dict[int, int] = {}
        per_layer: list[_Poly] = []
        labels: list[tuple[str, ...]] = []
        total = _Poly()
        copied: dict[str, Dim] = {}
        for step, layer in zip(self._layers(), self.trace.layers):
            mine = _Poly()
            what = []
            name = step.node.layer.type_name
            if self.sizes.amp and step.grad and (name in WEIGHT_ALWAYS_KEPT or any(t.grad for t in step.ins)):
                for p in layer.params:
                    if not p.buffer and p.trainable and casts_parameter(name, p.local, kept=True):
                        copied.setdefault(p.shared_with or p.name, _elements(p))
            if step.grad:
                casts: dict[int, int] = {}
                for item in step.keeps.saved:
                    storage = self._resolve(item, step, casts)
                    what.append(item.what)
                    if storage not in saver:
                        saver[storage] = step.node.id
                        mine.add(self.bytes[storage])
            per_layer.append(mine)
            labels.append(tuple(what))
            total.add_poly(mine)
        copies = _Poly()
        for elements in copied.values():
            copies.add(elements * self.sizes.half)
        return per_layer, labels, total.dim({}), copies.dim({})

    def _resolve(self, item, step: _Step, casts: dict) -> int:
        """The storage a kept tensor lives in (a new one for a tensor the layer makes)."""
        if item.source == "out":
            return step.outs[item.index].storage
        if item.source == "in":
            index = step.call.same[item.index]
            tensor = step.ins[index]
            if not (item.cast and self._cast(step, tensor)):
                return tensor.storage
            # autocast casts the input, and the layer keeps the cast copy
            if index not in casts:
                casts[index] = self._storage(self._sized(step.call.ins[index], step.compute), -1)
            return casts[index]
        return self._storage(item.elements * self.sizes.of(item.kind, step.compute), -1)

    def _cast(self, step: _Step, tensor: _Tensor) -> bool:
        """Whether autocast hands the layer a cast copy of this input."""
        policy = AUTOCAST.get(step.call.layer.type_name)
        return self.sizes.amp and tensor.floating and policy in ("half", "fp32") and tensor.size != step.compute

    def alive(self) -> tuple[list[_Poly], list[tuple[str, Dim]]]:
        """Per layer, the activation bytes alive while it runs; and the candidates for the peak."""
        transient: list[Dim] = []
        paths: list[str] = []
        for step in self._layers():
            extra = step.keeps.transient * step.compute
            for index, tensor in enumerate(step.ins):
                self.last_use[tensor.storage] = max(self.last_use[tensor.storage], step.node.id)
                if self._cast(step, tensor) and step.call.same[index] == index:
                    extra = extra + self._sized(step.call.ins[index], step.compute)
            transient.append(extra)
            paths.append(step.node.path)
        for source in self.model.outputs.values():
            self.last_use[self.tensors[source].storage] = self.END
        steps = len(transient)
        change = [_Poly() for _ in range(steps + 1)]
        running = _Poly()
        for storage, size in enumerate(self.bytes):
            if self.created[storage] < 0:
                running.add(size)
            else:
                change[self.created[storage]].add(size)
            end = self.last_use[storage]
            if end < steps:
                change[end + 1].add(size, -1)
        alive: list[_Poly] = []
        for step in range(steps):
            running.add_poly(change[step])
            now = running.copy()
            now.add(transient[step])
            alive.append(now)
        return alive, _candidates(paths, alive, {})


class _Poly:
    """A sum of many dims kept as {monomial: coefficient} (the terms of dims.Expr), so that
    adding a symbolic size costs a dictionary update; `dim` makes the Expr once at the end."""

    __slots__ = ("terms", "unknown")

    def __init__(self, terms: dict | None = None, unknown: bool = False):
        self.terms: dict = terms if terms is not None else {}
        self.unknown = unknown

    def add(self, value: Dim, sign: int = 1) -> None:
        """self += sign * value."""
        if isinstance(value, int):
            self.terms[()] = self.terms.get((), 0) + sign * value
        elif isinstance(value, Expr):
            for monomial, coefficient in value.terms:
                self.terms[monomial] = self.terms.get(monomial, 0) + sign * coefficient
        else:
            self.unknown = True

    def add_poly(self, other: _Poly) -> None:
        """self += other."""
        for monomial, coefficient in other.terms.items():
            self.terms[monomial] = self.terms.get(monomial, 0) + coefficient
        self.unknown = self.unknown or other.unknown

    def copy(self) -> _Poly:
        return _Poly(dict(self.terms), self.unknown)

    def minus(self, other: _Poly) -> _Poly:
        """self - other."""
        result = self.copy()
        for monomial, coefficient in other.terms.items():
            result.terms[monomial] = result.terms.get(monomial, 0) - coefficient
        result.unknown = self.unknown or other.unknown
        return result

    def key(self) -> frozenset:
        return frozenset((m, c) for m, c in self.terms.items() if c)

    def dim(self, cache: dict) -> Dim:
        """The sum as a dim (an int, an Expr, or UNKNOWN); equal sums share one Expr."""
        if self.unknown:
            return UNKNOWN
        key = self.key()
        if key not in cache:
            cache[key] = Expr.from_coefficients(dict(key))
        return cache[key]

    def at_least(self, other: _Poly, cache: dict) -> bool:
        """Whether self >= other certainly, for every value of the symbols (each at least 1)."""
        if self.unknown or other.unknown:
            return False
        mine, theirs = self.terms, other.terms
        higher = lower = False
        for monomial in mine.keys() | theirs.keys():
            difference = mine.get(monomial, 0) - theirs.get(monomial, 0)
            if not difference:
                continue
            if not _nonnegative(monomial, cache):
                higher = lower = True
                break
            higher, lower = higher or difference > 0, lower or difference < 0
        if not lower:
            return True  # every term at least as large
        if not higher:
            return False  # every term at most as large, one smaller
        difference = self.minus(other)
        if any(difference.value_at(point, cache) < 0 for point in SAMPLE_POINTS):
            return False  # smaller somewhere
        return bounds(difference.dim(cache))[0] >= 0

    def value_at(self, point: int, cache: dict) -> int:
        """The sum with every symbol equal to `point`."""
        total = 0
        for monomial, coefficient in self.terms.items():
            if coefficient:
                key = ("at", point, monomial)
                if key not in cache:
                    term = Expr(((monomial, 1),)) if monomial else 1
                    if isinstance(term, Expr):
                        term = term.evaluate(dict.fromkeys(term.symbols, point))
                    cache[key] = term
                total += coefficient * cache[key]
        return total


SAMPLE_POINTS = (1, 7, 1 << 20)
"""Values every symbol takes in a quick check before a comparison is proven with bounds."""


def _nonnegative(monomial: tuple, cache: dict) -> bool:
    """Whether a product of atoms (symbols, floors, mods, max/min) is >= 0 whatever the symbols."""
    if not monomial:
        return True
    key = ("nonnegative", monomial)
    if key not in cache:
        cache[key] = bounds(Expr(((monomial, 1),)))[0] >= 0
    return cache[key]


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


def _candidates(paths: list[str], values: list[_Poly], cache: dict) -> list[tuple[str, Dim]]:
    """The values that may be the largest: those no other value is certainly at least."""
    if not values:
        return [("", 0)]
    if any(value.unknown for value in values):
        return [("", UNKNOWN)]
    if all(set(value.terms) <= {()} for value in values):
        numbers = [value.terms.get((), 0) for value in values]
        best = max(range(len(numbers)), key=numbers.__getitem__)
        return [(paths[best], numbers[best])]
    kept: list[tuple[str, _Poly]] = []
    for path, value in zip(paths, values):
        if any(other.at_least(value, cache) for _, other in kept):
            continue
        kept = [(p, other) for p, other in kept if not value.at_least(other, cache)]
        kept.append((path, value))
    return [(path, value.dim(cache)) for path, value in kept]


def _dominates(a: Dim, b: Dim, earlier: bool) -> bool:
    """Whether a >= b certainly (strictly, or equal and `earlier`, so that one of two equals stays)."""
    difference = a - b
    low = difference if isinstance(difference, int) else bounds(difference)[0]
    return low > 0 or (low == 0 and earlier and (isinstance(difference, int) or bounds(difference)[1] == 0))


def _largest(values: list[Dim]) -> Dim:
    result: Dim = values[0] if values else 0
    for value in values[1:]:
        result = dim_max(result, value)
    return result
