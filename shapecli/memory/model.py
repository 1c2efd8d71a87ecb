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
from functools import partial
from operator import itemgetter

from ..records import NamedTuple
from ..conventions import DTYPE_BYTES
from ..dims import UNKNOWN, Dim, Expr, bounds, dim_max, product
from ..errors import InputError
from ..registry import config_key, index_model_inputs
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


_layer_memory = partial(tuple.__new__, LayerMemory)
"""LayerMemory((saved, keeps, alive)) without the Python-level constructor of a named tuple."""


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
    if trace.errors or not {layer.state for layer in trace.layers} <= {"ok", "absent"}:
        return None
    sizes = _ElementSizes(settings)
    params, buffers, gradients, optimizer, inference_copy = _parameter_memory(model, trace, settings, sizes)
    walk = _Walk(model, trace, settings, sizes)
    walk.run()
    activations, copies = walk.kept_totals()
    alive, peaks = walk.alive()
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
        _Layers(walk.saved, walk.labels, alive),
        peaks,
        inference_copy,
    )


class _Layers(Sequence):
    """Each layer's LayerMemory, made when read (a table or JSON asks; a total does not) from
    small per-layer records: an int, or a `_Poly` when the bytes are symbolic."""

    def __init__(self, saved: list, keeps: list, alive: list):
        self.saved, self.keeps, self.alive = saved, keeps, alive
        self.cache: dict = {}

    def __len__(self) -> int:
        return len(self.keeps)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return LayerMemory(_dim(self.saved[index], self.cache), self.keeps[index], _dim(self.alive[index], self.cache))

    def __iter__(self):
        made: dict[int, Dim] = {}  # by id: a _Poly shared by several layers is made a dim once
        last_saved = last_alive = saved_dim = alive_dim = None  # (consecutive layers share records)
        for saved, keeps, alive in zip(self.saved, self.keeps, self.alive):
            if type(saved) is not int:
                if saved is not last_saved:
                    last_saved, saved_dim = saved, self._made(saved, made)
                saved = saved_dim
            if type(alive) is not int:
                if alive is not last_alive:
                    last_alive, alive_dim = alive, self._made(alive, made)
                alive = alive_dim
            yield _layer_memory((saved, keeps, alive))

    def _made(self, value: _Poly, made: dict) -> Dim:
        found = made.get(id(value))  # the records stay alive in self.saved and self.alive meanwhile
        if found is None:
            found = made[id(value)] = value.dim(self.cache)
        return found


def _dim(value, cache: dict) -> Dim:
    """A per-layer record as a dim: an int as it is, a `_Poly` made an Expr (equal sums share one)."""
    return value if type(value) is int else value.dim(cache)


class _ElementSizes:
    """Bytes per element of each kind of tensor under the settings."""

    def __init__(self, settings: Settings):
        self.amp = settings.amp is not None
        self.param = DTYPE_BYTES[settings.dtype]
        self.half = DTYPE_BYTES[AMP_TYPES[settings.amp]] if self.amp else self.param
        self.stat = 8 if settings.dtype == "float64" else 4
        self.cuda = settings.device == "cuda"
        self._of: dict = {}

    def compute(self, type_name: str, inputs: list) -> int:
        """The type a layer computes in: --dtype, or under autocast its policy's type (`inputs`: its
        input tensors, see `_Walk`)."""
        if not self.amp:
            return self.param
        policy = AUTOCAST.get(type_name)
        if policy == "half":
            return self.half
        if policy in ("fp32", "param"):
            return 4
        floats = [t[SIZE] for t in inputs if t[FLOATING]]
        return max(floats) if floats else self.param

    def of(self, kind: str, compute: int) -> int:
        """Bytes per element of a new tensor of `kind` made by a layer computing in `compute`."""
        found = self._of.get((kind, compute))
        if found is None:
            found = self._of[kind, compute] = {
                ACT: compute,
                WIDE: 4 if self.amp else self.param,
                STAT: self.stat,
                INDEX: INT64,
                MASK: 1 if self.cuda else compute,
                PARAM: self.param,
                BOOL: 1,
            }[kind]
        return found

    def cast(self, type_name: str, tensor: tuple, compute: int) -> bool:
        """Whether autocast hands a layer of `type_name` computing in `compute` a cast copy of `tensor`."""
        return self.amp and tensor[FLOATING] and AUTOCAST.get(type_name) in ("half", "fp32") and tensor[SIZE] != compute


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


STORAGE, BYTES, SIZE, FLOATING, CONTIGUOUS, GRAD = range(6)
"""The fields of a tensor as the walk follows it, a plain tuple (one per output of each layer,
so the cheapest object): its storage's id, its storage's bytes, its element size, whether it is
floating-point, laid out densely in order, and recorded by autograd (training only)."""


class _Answer(NamedTuple):
    """A rule's answer and what the walk reads from it at each layer that gets it."""

    keeps: Keeps
    views: dict
    labels: tuple


def _answer(keeps: Keeps) -> _Answer:
    return _Answer(keeps, dict(keeps.views), tuple([item.what for item in keeps.saved]))


_PASSED_ON_ANSWER = _answer(_PASSED_ON)


class _Walk:
    """One pass over the graph in order that follows two forward passes at once, each by its
    storages: training (what backward keeps: `saved`, `labels`) and inference (which storages
    are alive while each layer runs: `alive`). The two differ where a rule does (a dropout in
    eval is a view). A rule's answer depends only on its `Call`, so a layer met again with the
    same call (a repeated block) is answered from `memo`."""

    END = 1 << 62

    def __init__(self, model, trace, settings: Settings, sizes: _ElementSizes):
        self.model, self.trace, self.settings, self.sizes = model, trace, settings, sizes
        self.saved: list = []  # per layer: the bytes it is first to keep (int, or _Poly)
        self.labels: list[tuple[str, ...]] = []
        self.transient: list[Dim] = []
        self.kept = 0
        self.kept_parts: dict = {}
        """The symbolic bytes backward keeps: id(size) → [the size (an Expr, or UNKNOWN), how many
        times]. By identity: layers alike keep one size object, and an Expr's hash is a Python call;
        equal sizes that are distinct objects are counted apart and add up the same."""
        self.last_kept: tuple = ((), None)
        """((bytes it keeps that are ints, then each symbolic size it keeps), its record) of the last
        layer that keeps symbolic bytes: a layer that keeps the same shares that record."""
        self.copied: dict[str, Dim] = {}
        self.bytes: list[Dim] = []  # the inference pass's storages
        self.created: list[int] = []
        self.last_use: list[int] = []
        self.training_storages = 0
        self.saver: set[int] = set()
        self.memo: dict = {}
        self.configs: dict[int, tuple] = {}
        """Each configuration met (by identity: layers written alike share one) as a key."""
        self.sizes_cache: dict = {}
        self.outputs_cache: dict = {}
        self.last_made: tuple = (None, None, None, None)
        """(shape, kind, compute, answer) of the last `_made_like`: a chain of layers alike asks it
        the same again, and a shape's hash (its dims', when symbolic) is not free."""
        self.tensors: dict = {}  # source → (its tensor in training, in inference)
        self.uses, readers = _uses(model)
        indices = index_model_inputs(readers, trace.inputs)
        for name, shape in trace.inputs.items():
            size = INT64 if name in indices else (4 if sizes.amp else sizes.param)
            floating = name not in indices
            grad = settings.inputs_require_grad and floating
            nbytes = self._sized(shape, size)
            storage = self._storage(nbytes, -1, True)
            self.last_use[storage] = self.END
            self.tensors[name] = (
                (self._storage(nbytes, -1, False), nbytes, size, floating, True, grad),
                (storage, nbytes, size, floating, True, False),
            )

    def _sized(self, shape: tuple, size: int) -> Dim:
        """Bytes of a tensor of `shape` with `size`-byte elements (cached: shapes repeat)."""
        key = (shape, size)
        found = self.sizes_cache.get(key)
        if found is None:
            found = self.sizes_cache[key] = product(shape) * size
        return found

    def _storage(self, size: Dim, created: int, inference: bool) -> int:
        """A new storage's id: the inference pass's are recorded (their bytes and when they are made
        and last used); the training pass's only need to be told apart."""
        if not inference:
            self.training_storages += 1
            return self.training_storages
        self.bytes.append(size)
        self.created.append(created)
        self.last_use.append(created)
        return len(self.bytes) - 1

    def run(self) -> None:
        """Walk the layers in order (once: it lets go of each tensor after its last reader)."""
        sizes, param = self.sizes, self.sizes.param
        used = _used_outputs(self.model)
        nothing: frozenset = frozenset()
        tensors = self.tensors
        uses = self.uses
        last_step, last_answers = None, None
        for node, layer in zip(self.model.nodes, self.trace.layers):
            sources = node.sources
            if len(sources) == 1:
                training_in, inference_in = tensors[sources[0]]
                training_ins, inference_ins, same = [training_in], [inference_in], (0,)
            else:
                pairs = [tensors[s] for s in sources]
                training_ins, inference_ins = [t for t, _ in pairs], [i for _, i in pairs]
                same = tuple([sources.index(s) for s in sources])
            for source in sources:  # a tensor no later layer reads is let go (the model's outputs are kept)
                left = uses[source] - 1
                if left:
                    uses[source] = left
                else:
                    del uses[source], tensors[source]
            outs = list(layer.output_shapes.values()) if layer.output_shapes else [layer.output_shape]
            call = (node.layer, layer.cfg or node.cfg, layer.input_shapes, outs, same, used.get(node.id, nothing))
            if layer.state == "absent":  # it passes its input on (PyTorch's build: no module at all)
                training = inference = _PASSED_ON_ANSWER
                trainable = False  # (its parameters are left out with it)
            else:
                step = _step_key(call, training_ins, inference_ins)
                if step is not None and step == last_step:  # a chain of layers alike: what the layer before had
                    training, inference, trainable = last_answers
                else:
                    answers = self._answers(call)
                    training = self._answer(answers, call, training_ins, True)
                    inference = self._answer(answers, call, inference_ins, False)
                    trainable = _trainable(layer)
                    last_step, last_answers = step, (training, inference, trainable)
            grad = trainable or any(map(itemgetter(GRAD), training_ins))
            compute = param if not sizes.amp else sizes.compute(node.layer.type_name, training_ins)
            training_outs = self._outputs(training, outs, training_ins, compute, grad, trainable, node.id, False)
            self._keep(node, layer, training, call, training_ins, training_outs, compute, grad)
            compute = param if not sizes.amp else sizes.compute(node.layer.type_name, inference_ins)
            inference_outs = self._outputs(inference, outs, inference_ins, compute, False, trainable, node.id, True)
            self._run(node, inference, call, inference_ins, compute)
            for index, pair in enumerate(zip(training_outs, inference_outs)):
                tensors[node.id, index] = pair  # (node.id, index) equals NodeOutput(node.id, index), a tuple

    def _answers(self, call: tuple) -> dict:
        """The answers known for this call by (training, contiguity of the inputs): a layer met
        again with the same call (a repeated block) shares them; a call that cannot be a key gets
        an empty dictionary."""
        layer, cfg, shapes, outs, same, used = call
        config = self.configs.get(id(cfg))
        if config is None:
            config = self.configs[id(cfg)] = config_key(cfg)
        key = (layer, config, tuple(shapes), tuple(outs), same, used)
        try:
            found = self.memo.get(key)
        except TypeError:  # an argument that cannot be a key (a list)
            return {}
        if found is None:
            found = self.memo[key] = {}
        return found

    def _answer(self, answers: dict, call: tuple, ins: list, training: bool) -> _Answer:
        """The rule's answer for the layer `call` describes, given its input tensors."""
        contiguous = (ins[0][CONTIGUOUS],) if len(ins) == 1 else tuple([t[CONTIGUOUS] for t in ins])
        found = answers.get((training, contiguous))
        if found is None:
            layer, cfg, shapes, outs, same, used = call
            call = Call(layer, cfg, list(shapes), outs, training, self.settings.device, same, contiguous, used)
            found = answers[training, contiguous] = _answer(RULES[layer.type_name](call))
        return found

    def _outputs(self, answer: _Answer, outs, ins, compute, grad, trainable, node_id: int, inference: bool) -> list:
        """The output tensors of a layer: its own parameter, a view of an input, or a new storage."""
        keeps = answer.keeps
        if len(outs) == 1 and not keeps.owned and not answer.views:  # one new output (most layers)
            size, nbytes = self._made_like(outs[0], keeps.output, compute)
            return [(self._storage(nbytes, node_id, inference), nbytes, size, True, True, grad)]
        made = []
        for index, shape in enumerate(outs):
            if index in keeps.owned:  # the layer's own parameter or buffer: no activation bytes
                made.append((self._storage(0, node_id, inference), 0, self.sizes.param, True, True, trainable))
            elif index in answer.views:
                base = ins[answer.views[index]]
                if base[CONTIGUOUS] and not keeps.contiguous:
                    base = (*base[:CONTIGUOUS], False, *base[CONTIGUOUS + 1 :])
                made.append(base)
            else:
                size, nbytes = self._made_like(shape, keeps.output, compute)
                made.append((self._storage(nbytes, node_id, inference), nbytes, size, True, True, grad))
        return made

    def _made_like(self, shape: tuple, kind: str, compute: int) -> tuple:
        """(element size, bytes) of a new output of `shape` and `kind` from a layer computing in `compute`."""
        last = self.last_made
        if shape is last[0] and kind == last[1] and compute == last[2]:
            return last[3]
        key = (shape, kind, compute)
        found = self.outputs_cache.get(key)
        if found is None:
            size = self.sizes.of(kind, compute)
            found = self.outputs_cache[key] = (size, self._sized(shape, size))
        self.last_made = (shape, kind, compute, found)
        return found

    def _keep(self, node, layer, answer: _Answer, call: tuple, ins: list, outs: list, compute: int, grad: bool):
        """Training: the bytes this layer is first to keep and what it keeps; and the weight copies
        autocast makes that backward keeps (a layer whose input needs a gradient keeps its weight,
        so its half-precision copy)."""
        name = node.layer.type_name
        sizes = self.sizes
        if sizes.amp and grad and (name in WEIGHT_ALWAYS_KEPT or any(t[GRAD] for t in ins)):
            for p in layer.params:
                if not p.buffer and p.trainable and casts_parameter(name, p.local, kept=True):
                    self.copied.setdefault(p.shared_with or p.name, _elements(p))
        if not grad or not answer.keeps.saved:
            self.saved.append(0)
            self.labels.append(())
            return
        mine, symbolic = 0, None
        casts: set[int] = set()
        saver = self.saver
        for item in answer.keeps.saved:
            if item.source == "out":
                tensor = outs[item.index]
            elif item.source == "in":
                index = call[4][item.index]
                tensor = ins[index]
                if item.cast and sizes.amp and sizes.cast(name, tensor, compute):
                    # autocast casts the input, and the layer keeps the cast copy (once)
                    if index in casts:
                        continue
                    casts.add(index)
                    tensor = (-1, self._sized(call[2][index], compute))
            else:
                tensor = (-1, item.elements * sizes.of(item.kind, compute))
            storage, nbytes = tensor[STORAGE], tensor[BYTES]
            if storage >= 0:
                if storage in saver:
                    continue
                saver.add(storage)
            if type(nbytes) is int:
                mine += nbytes
            elif symbolic is None:
                symbolic = [nbytes]
            else:
                symbolic.append(nbytes)
        self.kept += mine
        if symbolic is None:
            self.saved.append(mine)
        else:
            parts = self.kept_parts
            for nbytes in symbolic:
                counted = parts.get(id(nbytes))
                if counted is None:
                    parts[id(nbytes)] = [nbytes, 1]
                else:
                    counted[1] += 1
            key = (mine, *symbolic)
            if self.last_kept[0] == key:  # a chain of layers alike keeps alike: one record
                self.saved.append(self.last_kept[1])
            else:
                record = _Poly()
                for nbytes in key:
                    record.add(nbytes)
                record = _same_as_last(record, self.saved)
                self.last_kept = (key, record)
                self.saved.append(record)
        self.labels.append(answer.labels)

    def _run(self, node, answer: _Answer, call: tuple, ins: list, compute: int) -> None:
        """Inference: the inputs are used now; the temporaries (and cast copies) alive while it runs."""
        extra = answer.keeps.transient * compute
        last_use, step = self.last_use, node.id
        for index, tensor in enumerate(ins):
            storage = tensor[STORAGE]
            if last_use[storage] < step:
                last_use[storage] = step
            if self.sizes.amp and self.sizes.cast(node.layer.type_name, tensor, compute) and call[4][index] == index:
                extra = extra + self._sized(call[2][index], compute)
        self.transient.append(extra)

    def kept_totals(self) -> tuple[Dim, Dim]:
        """The bytes backward keeps, and autocast's weight copies among them."""
        total = _Poly()
        for size, count in self.kept_parts.values():
            total.add(size, count)
        total.add(self.kept)
        copies = _Poly()
        for elements in self.copied.values():
            copies.add(elements * self.sizes.half)
        return total.dim({}), copies.dim({})

    def alive(self) -> tuple[list, list[tuple[str, Dim]]]:
        """Per layer, the activation bytes alive while it runs (int, or _Poly); and the candidates
        for the peak."""
        for source in self.model.outputs.values():
            self.last_use[self.tensors[source][1][STORAGE]] = self.END
        steps = len(self.transient)
        change = [0] * (steps + 1)
        made: list = [None] * (steps + 1)  # step → the symbolic sizes of the storages made then
        freed: list = [None] * (steps + 1)  # step → those of the storages let go then
        symbolic = False
        running, running_symbolic = 0, _Poly()
        for size, created, end in zip(self.bytes, self.created, self.last_use):
            if type(size) is int:
                if created < 0:
                    running += size
                else:
                    change[created] += size
                if end < steps:
                    change[end + 1] -= size
                continue
            symbolic = True
            if created < 0:
                running_symbolic.add(size)
            elif made[created] is None:
                made[created] = [size]
            else:
                made[created].append(size)
            if end >= steps:
                continue
            if freed[end + 1] is None:
                freed[end + 1] = [size]
            else:
                freed[end + 1].append(size)
        alive: list = []
        constant = not symbolic and not running_symbolic.terms and not running_symbolic.unknown
        last_extra: object = None  # the transient bytes of the last step recorded as a _Poly
        for step, extra in enumerate(self.transient):
            changed = change[step] != 0
            running += change[step]
            if made[step] != freed[step]:  # (storages let go as others of their sizes are made change nothing)
                for size, count in _net(made[step], freed[step]).items():
                    if count:
                        running_symbolic.add(size, count)
                        constant, changed = False, True
            if constant and type(extra) is int:
                alive.append(running + extra)
                last_extra = None
                continue
            if not changed and last_extra is not None and (extra is last_extra or extra == last_extra):
                alive.append(alive[-1])  # nothing alive changed since the step before
                continue
            now = running_symbolic.copy()
            now.add(running)
            now.add(extra)
            alive.append(_same_as_last(now, alive))
            last_extra = extra
        paths = [node.path for node in self.model.nodes]
        return alive, _candidates(paths, alive, {})


def _net(made: list | None, freed: list | None) -> dict:
    """Symbolic size → storages of it made less those let go."""
    counts: dict = {}
    for size in made or ():
        counts[size] = counts.get(size, 0) + 1
    for size in freed or ():
        counts[size] = counts.get(size, 0) - 1
    return counts


def _trainable(layer) -> bool:
    """Whether the layer has a trainable parameter (a buffer is not one)."""
    for p in layer.params:  # noqa: SIM110 (a loop: resuming a generator costs more than this test)
        if p.trainable and not p.buffer:
            return True
    return False


def _step_key(call: tuple, training_ins: list, inference_ins: list) -> tuple | None:
    """What decides a one-input, one-output layer's answers, for comparing with the layer before:
    its call (the configuration and shapes by identity: the trace holds them) and whether its input
    is laid out densely in each pass."""
    layer, cfg, shapes, outs, same, used = call
    if len(shapes) != 1 or len(outs) != 1:
        return None
    return (layer, id(cfg), id(shapes[0]), id(outs[0]), used, training_ins[0][CONTIGUOUS], inference_ins[0][CONTIGUOUS])


def _uses(model) -> tuple[dict, list]:
    """Source → how many times layers read it (the model's outputs once more: they are read at
    the end); and the nodes that read a model input."""
    uses: dict = {}
    readers = []
    for node in model.nodes:
        reads_input = False
        for source in node.sources:
            uses[source] = uses.get(source, 0) + 1
            reads_input = reads_input or type(source) is str
        if reads_input:
            readers.append(node)
    for source in model.outputs.values():
        uses[source] = uses.get(source, 0) + 1
    return uses, readers


def _same_as_last(value: _Poly, records: list) -> _Poly:
    """`value`, or the last of `records` when it is an equal _Poly: one object for a run of layers
    with the same symbolic bytes (a chain of identical layers keeps and holds alike)."""
    last = records[-1] if records else None
    if type(last) is _Poly and last.terms == value.terms and last.unknown == value.unknown:
        return last
    return value


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
        if self is other:
            return True
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
    """Node id → the indices of its outputs that a layer consumes or the model returns (equal
    sets are one object: most nodes have the same one)."""
    used: dict[int, frozenset] = {}
    shared: dict[frozenset, frozenset] = {_FIRST_OUTPUT: _FIRST_OUTPUT}
    sources = [source for node in model.nodes for source in node.sources]
    sources += [source for source in model.outputs.values() if isinstance(source, NodeOutput)]
    for source in sources:
        if type(source) is str:  # a model input
            continue
        node, index = source
        found = used.get(node)
        if found is None:
            used[node] = _FIRST_OUTPUT if index == 0 else shared.setdefault(frozenset((index,)), frozenset((index,)))
        elif index not in found:
            indices = found | {index}
            used[node] = shared.setdefault(indices, indices)
    return used


_FIRST_OUTPUT = frozenset((0,))


def _candidates(paths: list[str], values: list, cache: dict) -> list[tuple[str, Dim]]:
    """The values (ints, or _Polys) that may be the largest: those no other value is certainly at least."""
    if not values:
        return [("", 0)]
    if set(map(type, values)) <= {int}:
        best = max(range(len(values)), key=values.__getitem__)
        return [(paths[best], values[best])]
    values = [value if type(value) is not int else _Poly({(): value}) for value in values]
    if any([value.unknown for value in values]):
        return [("", UNKNOWN)]
    if all(set(value.terms) <= {()} for value in values):
        numbers = [value.terms.get((), 0) for value in values]
        best = max(range(len(numbers)), key=numbers.__getitem__)
        return [(paths[best], numbers[best])]
    kept: list[tuple[str, _Poly]] = []
    previous = None
    for path, value in zip(paths, values):
        if value is previous:  # (kept, or below one kept, when it was met)
            continue
        previous = value
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
