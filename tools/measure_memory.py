"""Measure with PyTorch the bytes that a training step keeps for backward, per layer type and per config.

    pip install torch==2.13.0 keras pyyaml      # only for this script; never at runtime or in CI
    KERAS_BACKEND=torch python tools/measure_memory.py [--only-configs] [--config NAME]...

`measure(module, inputs)` runs one training-mode forward pass of any nn.Module
under `torch.autograd.graph.saved_tensors_hooks` and counts every tensor that
autograd packs, once per storage (`t.untyped_storage().data_ptr()`), leaving
out the module's parameters and buffers. Each storage is recorded with its
bytes, dtype, shape and role: `input i` (a storage of the i-th input),
`output j`, or `new` (made inside the layer) — so a test can check not only how
much a layer keeps but what.

Four sets of records go to tests/reference/memory_torch.json:
  * `layers`: every case of the reference grid (tools/gen_reference.py) that
    PyTorch accepts, with float inputs that require grad (a layer in the middle
    of a network);
  * `configs`: whole configs, inputs not requiring grad (a real training step):
    every config in configs/ as `shapecli.build_torch` builds it (model
    "shapecli.build_torch": the model is exactly the spec), at its `check:`
    inputs and at batch 8; and, at batch 8, the hand-written equivalents below
    and in tools/verify_configs.py (model "hand-written": each written to match
    its spec, ReLU not in place as a spec's ReLU is), which check the builder
    independently;
  * `inference_layers`: the inference peak (below) of single layers whose peak
    is more than their inputs and outputs — recurrent and transformer layers,
    position embeddings — at sizes where the sequence and the batch dominate;
  * `autocast`: some hand-written models again under CPU autocast (bfloat16).

`--config unet.yaml` (repeatable) measures only that config, as shapecli builds
it, and replaces its records (or appends them, for a new config), keeping all
the others: how a new config gets its figures.

Each config record also has `inference_peak`: the most activation bytes alive at
once in an eval-mode forward without autograd, followed op by op with a
TorchDispatchMode (a storage lives while a Python tensor refers to it); and, for
the built models, `inference_peak_graph`: the same with the layers run in graph
order and each tensor dropped after its last consumer (blocks opened: a block's
forward holds its inputs until it returns) — the graph whose peak shapecli
computes. Both with oneDNN and PyTorch's attention fast path off (a fused
kernel's temporaries are invisible to a dispatch mode).

Backends: oneDNN replaces PyTorch's LSTM by a fused kernel whose workspace is
opaque (page-aligned, at least 28 KiB); shapecli models the graph autograd
builds without it (the ATen cells, as on CUDA without cuDNN). Recurrent cases
are therefore measured twice: `saved` with the default backends and
`saved_aten` with oneDNN off; the tests compare against `saved_aten` where it
is recorded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import types
import weakref
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

OUT = ROOT / "tests" / "reference" / "memory_torch.json"
BATCH = 8
RECURRENT = ("RNN", "LSTM", "GRU")


def _tensors(value) -> list:
    """The tensors in a module's output (a tensor, or nested tuples/lists/dicts of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


def measure(module: nn.Module, inputs: list, call=None) -> dict:
    """Unique storages autograd saves in one training-mode forward of `module` on `inputs`.

    `call(module, *inputs)` runs the forward (default `module(*inputs)`).
    Parameters and buffers are left out. Returns {"saved": bytes, "storages": [...]},
    each storage {"bytes", "dtype", "shape", "role"}.
    """
    module.train()
    own = {t.untyped_storage().data_ptr() for t in (*module.parameters(), *module.buffers())}
    seen: dict[int, dict] = {}

    def pack(t):
        storage = t.untyped_storage()
        pointer = storage.data_ptr()
        if pointer not in own and pointer not in seen and storage.nbytes():
            seen[pointer] = {
                "bytes": storage.nbytes(),
                "dtype": str(t.dtype).removeprefix("torch."),
                "shape": list(t.shape),
            }
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = call(module, *inputs) if call else module(*inputs)
    roles = {}
    for index, t in enumerate(inputs):
        roles.setdefault(t.untyped_storage().data_ptr(), f"input {index}")
    for index, t in enumerate(_tensors(out)):
        roles.setdefault(t.untyped_storage().data_ptr(), f"output {index}")
    storages = [{**info, "role": roles.get(pointer, "new")} for pointer, info in seen.items()]
    return {"saved": sum(s["bytes"] for s in storages), "storages": storages}


class LivePeak(TorchDispatchMode):
    """Follows every tensor an eval-mode forward makes and records the most bytes alive at once.

    A storage is alive while some Python tensor object refers to it (a finalizer on each
    tensor counts them down); the module's parameters and buffers are left out, its inputs
    are counted (the caller holds them).
    """

    def __init__(self, exclude: set, inputs: list):
        super().__init__()
        self.exclude, self.count, self.bytes = exclude, {}, {}
        self.current = self.peak = 0
        for t in inputs:
            self._track(t)

    def _track(self, t) -> None:
        storage = t.untyped_storage()
        pointer = storage.data_ptr()
        if pointer in self.exclude or not storage.nbytes():
            return
        if pointer not in self.count:
            self.count[pointer], self.bytes[pointer] = 0, storage.nbytes()
            self.current += storage.nbytes()
            self.peak = max(self.peak, self.current)
        self.count[pointer] += 1
        weakref.finalize(t, self._release, pointer)

    def _release(self, pointer: int) -> None:
        self.count[pointer] -= 1
        if not self.count[pointer]:
            self.current -= self.bytes.pop(pointer)
            del self.count[pointer]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in _tensors(out):
            self._track(t)
        return out


def inference_peak(module: nn.Module, inputs: list) -> int:
    """The most activation bytes alive at once in an eval-mode, no-grad forward (inputs included)."""
    module.eval()
    own = {t.untyped_storage().data_ptr() for t in (*module.parameters(), *module.buffers())}
    with torch.no_grad(), LivePeak(own, inputs) as mode:
        module(*inputs)
    module.train()
    return mode.peak


def measure_both(module, inputs, call=None, recurrent: bool = False) -> dict:
    """`measure` with the default backends and, for recurrent models, again with oneDNN off."""
    record = measure(module, inputs, call)
    if recurrent:
        with torch.backends.mkldnn.flags(enabled=False):
            aten = measure(module, inputs, call)
        if aten["saved"] != record["saved"]:
            record["saved_aten"] = aten["saved"]
            record["storages_aten"] = aten["storages"]
    return record


# -- the reference grid ----------------------------------------------------------------


def layer_records() -> list[dict]:
    """Every case of the reference grid that PyTorch accepts, measured."""
    return grid_records() + extra_records()


def grid_records(types: set | None = None) -> list[dict]:
    """The cases of the reference grid (of `types` only, when given) that PyTorch accepts, measured:
    float inputs that require grad, int64 indices where the layer takes them, called as the grid calls it."""
    from gen_reference import TORCH, integer_input, torch_call, torch_cases

    records = []
    for type_name, args, shapes in torch_cases():
        if types is not None and type_name not in types:
            continue
        torch.manual_seed(0)
        try:
            module = TORCH[type_name](args, shapes)
            inputs = [
                torch.zeros(s, dtype=torch.long)
                if integer_input(type_name, shapes, i)
                else torch.randn(s, requires_grad=True)
                for i, s in enumerate(shapes)
            ]
            measured = measure_both(
                module,
                inputs,
                lambda m, *xs, t=type_name, a=args: torch_call(t, m, a, list(xs)),
                recurrent=type_name in RECURRENT,
            )
        except Exception:  # noqa: BLE001 - a case PyTorch refuses has nothing to measure
            continue
        records.append({"type": type_name, "args": args, "inputs": shapes, **measured})
    return records


class Fn(nn.Module):
    """A module around a function."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


class ClassToken(nn.Module):
    """ViT's class token: cat([token, x], 1)."""

    def __init__(self, width: int):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, width))

    def forward(self, x):
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)


class PositionalEmbedding(nn.Module):
    """x + rows 0..T-1 of a learned (length, width) table, looked up as BERT's and GPT-2's
    position embeddings (and shapecli.build_torch) do: an nn.Embedding of the positions."""

    def __init__(self, length: int, width: int):
        super().__init__()
        self.table = nn.Embedding(length, width)

    def forward(self, x):
        return x + self.table(torch.arange(x.shape[-2], device=x.device))


def _spatial(rank: int) -> tuple:
    return (slice(None), slice(None)) + (slice(1, -1),) * rank


def extra_cases() -> list:
    """(type, args, input shapes, module) for the layer types the reference grid does not build
    (Keras' types, shapecli's own): each with the exact PyTorch equivalent of its rule's model."""
    cases = [
        ("Activation", {"activation": "gelu"}, [(2, 3, 4)], nn.GELU()),
        ("Activation", {"activation": "softmax"}, [(2, 3, 4)], nn.Softmax(-1)),
        ("Activation", {"activation": "tanh"}, [(2, 3, 4)], nn.Tanh()),
        ("Average", {}, [(2, 5), (2, 5)], Fn(lambda a, b: (a + b) / 2)),
        ("BatchNormalization", {"axis": 1}, [(2, 5, 7)], nn.BatchNorm1d(5)),
        ("BatchNormalization", {"axis": 1}, [(4, 5)], nn.BatchNorm1d(5)),
        ("ClassToken", {}, [(2, 5, 8)], ClassToken(8)),
        ("PositionalEmbedding", {"sequence_length": 10}, [(2, 5, 8)], PositionalEmbedding(10, 8)),
        ("GaussianNoise", {"stddev": 0.1}, [(2, 3, 4)], Fn(lambda x: x + 0.1 * torch.randn_like(x))),
        ("GaussianDropout", {"rate": 0.5}, [(2, 3, 4)], Fn(lambda x: x * (1 + torch.randn_like(x)))),
    ]
    for rank in (1, 2, 3):
        image = (2, 4, *[6] * rank)
        conv = getattr(nn, f"Conv{rank}d")
        axes = tuple(range(2, rank + 2))
        cases += [
            (
                f"Cropping{rank}D",
                {"cropping": 1, "data_format": "channels_first"},
                [image],
                Fn(lambda x, r=rank: x[_spatial(r)]),
            ),
            (f"GlobalAveragePooling{rank}D", {}, [image], Fn(lambda x, a=axes: x.mean(a))),
            (f"GlobalMaxPooling{rank}D", {}, [image], Fn(lambda x, a=axes: x.amax(a))),
            (f"UpSampling{rank}D", {"size": 2}, [image], nn.Upsample(scale_factor=2)),
            (f"ZeroPadding{rank}D", {"padding": 1}, [image], Fn(lambda x, r=rank: nn.functional.pad(x, (1, 1) * r))),
        ]
        if rank < 3:
            cases += [
                (f"DepthwiseConv{rank}D", {"kernel_size": 3}, [image], conv(4, 4, 3, groups=4)),
                (f"DepthwiseConv{rank}D", {"kernel_size": 3, "depth_multiplier": 2}, [image], conv(4, 8, 3, groups=4)),
                (
                    f"SeparableConv{rank}D",
                    {"filters": 6, "kernel_size": 3},
                    [image],
                    nn.Sequential(conv(4, 4, 3, groups=4), conv(4, 6, 1)),
                ),
            ]
    return cases


class AttentionOutputOnly(nn.Module):
    """nn.MultiheadAttention whose weights nothing takes: called with need_weights=False, as
    shapecli.build_torch calls it then (PyTorch runs its fused attention kernel)."""

    def __init__(self, width: int, heads: int, batch_first: bool):
        super().__init__()
        self.attention = nn.MultiheadAttention(width, heads, batch_first=batch_first)

    def forward(self, query, key=None):
        key = query if key is None else key
        return self.attention(query, key, key, need_weights=False)[0]


def output_only_cases() -> list:
    """(type, args, input shapes, module) of layers measured with only their first output used."""
    return [
        ("MultiheadAttention", {"num_heads": 2, "batch_first": True}, [(2, 5, 8)], AttentionOutputOnly(8, 2, True)),
        ("MultiheadAttention", {"num_heads": 2}, [(5, 3, 8)], AttentionOutputOnly(8, 2, False)),
        (
            "MultiheadAttention",
            {"num_heads": 4, "batch_first": True},
            [(3, 5, 16), (3, 7, 16)],
            AttentionOutputOnly(16, 4, True),
        ),
    ]


def extra_records(types: set | None = None) -> list[dict]:
    """The extra cases (of `types` only, when given), measured like the grid's. A case written
    for the keras convention (a 5-tuple) records it; `used_outputs`: the layer's outputs the case
    uses, when that is not all of them."""
    records = []
    cases = [(case, None) for case in extra_cases() + keras_type_cases()]
    cases += [(case, ["layer"]) for case in output_only_cases()]
    for (type_name, args, shapes, module, *convention), outputs in cases:
        if types is not None and type_name not in types:
            continue
        torch.manual_seed(0)
        inputs = [torch.randn(s, requires_grad=True) for s in shapes]
        record = {"type": type_name, "args": args, "inputs": [list(s) for s in shapes]}
        if convention:
            record["convention"] = convention[0]
        if outputs:
            record["used_outputs"] = outputs
        records.append({**record, **measure_both(module, inputs, recurrent=type_name == "Bidirectional")})
    return records


def inference_cases() -> list:
    """(type, args, input shapes, module) for the layer records of the inference peak: the layer
    types whose peak comes from more than their inputs and outputs, at sizes where the sequence
    and the batch dominate (a recurrent layer's per-step temporaries are of one step's size)."""
    cases = []
    for kind in RECURRENT:
        for layers, bidirectional, batch_first in itertools.product((1, 2), (False, True), (False, True)):
            args = {"hidden_size": 64, "num_layers": layers, "bidirectional": bidirectional, "batch_first": batch_first}
            shape = (8, 20, 32) if batch_first else (20, 8, 32)
            cases.append((kind, args, [shape], getattr(nn, kind)(32, **args)))
    cases.append(("LSTM", {"hidden_size": 64, "proj_size": 16}, [(20, 8, 32)], nn.LSTM(32, 64, proj_size=16)))
    for kind, norm_first, width in itertools.product(
        ("TransformerEncoderLayer", "TransformerDecoderLayer"), *[(False, True), (32, 256)]
    ):
        args = {"d_model": 64, "nhead": 4, "dim_feedforward": width, "batch_first": True, "norm_first": norm_first}
        shapes = [(4, 50, 64)] * (1 if kind == "TransformerEncoderLayer" else 2)
        module = getattr(nn, kind)(64, 4, dim_feedforward=width, batch_first=True, norm_first=norm_first)
        cases.append((kind, args, shapes, module))
    cases.append(("PositionalEmbedding", {"sequence_length": 64}, [(4, 50, 32)], PositionalEmbedding(64, 32)))
    return cases


def inference_records() -> list[dict]:
    """The inference cases, each measured like a config's inference peak (eval, no autograd)."""
    records = []
    for type_name, args, shapes, module in inference_cases():
        torch.manual_seed(0)
        inputs = [torch.randn(s) for s in shapes]
        with _inference_backends():
            peak = inference_peak(module, inputs)
        records.append({"type": type_name, "args": args, "inputs": [list(s) for s in shapes], "inference_peak": peak})
    return records


class WithParams(nn.Module):
    """A function of the inputs and of parameters (zeros) and buffers (ones) of given shapes."""

    def __init__(self, fn, params: dict | None = None, buffers: dict | None = None):
        super().__init__()
        self.fn = fn
        for name, shape in (params or {}).items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))
        for name, shape in (buffers or {}).items():
            self.register_buffer(name, torch.ones(shape))

    def forward(self, *xs):
        return self.fn(self, *xs)


class Around(nn.Module):
    """A module, then a function of its output."""

    def __init__(self, module: nn.Module, after):
        super().__init__()
        self.module, self.after = module, after

    def forward(self, *xs):
        return self.after(self.module(*xs))


def _keras_relu(max_value=None, negative_slope=0.0, threshold=0.0):
    """The PyTorch code the torch backend table writes for Keras' ReLU arguments."""
    from shapecli.backends.torch import _relu
    from shapecli.plan import Construct

    cfg = types.SimpleNamespace(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
    make = _relu(types.SimpleNamespace(cfg=cfg))
    if isinstance(make, Construct):
        return getattr(nn, make.cls.removeprefix("nn."))(**make.kwargs)
    F = nn.functional  # noqa: N806 - the name the template uses
    return Fn(lambda x: eval(make.template.format("x"), {"torch": torch, "F": F}, {"x": x}))


def _plain_attention(q, value, key, scale=None, concat=None, additive=None, causal=False, scores=False):
    """Keras' Attention and AdditiveAttention (keras/src/layers/attention/) written in PyTorch ops."""
    if concat is None and additive is None:
        s = torch.matmul(q, key.transpose(-2, -1))
        if scale is not None:
            s = s * scale
    elif additive is not None:
        s = (additive * torch.tanh(q.unsqueeze(-2) + key.unsqueeze(-3))).sum(-1)
    else:
        total = q.unsqueeze(-2) + key.unsqueeze(-3)
        s = concat * torch.tanh(scale * total if scale is not None else total).sum(-1)
    if causal:
        ones = torch.ones(1, *s.shape[-2:], dtype=torch.int32)
        s = torch.where(ones.cumsum(-2) < ones.cumsum(-1), s - 1e9, s)
    weights = torch.softmax(s, -1)
    output = torch.matmul(weights, value)
    return (output, weights) if scores else output


def keras_type_cases() -> list:
    """Keras' types (their torch backend table's code, or Keras' formula in PyTorch ops) and the
    Keras arguments of older types; (type, args, shapes, module[, convention])."""
    F = nn.functional  # noqa: N806
    l2 = lambda x, axis: x * torch.clamp(torch.rsqrt((x**2).sum(axis, keepdim=True)), max=1.0 / 1e-7)  # noqa: E731
    cases = [
        ("Rescaling", {"scale": 0.5, "offset": 1.0}, [(2, 3, 4)], Fn(lambda x: x * 0.5 + 1.0)),
        (
            "Normalization",
            {},
            [(2, 5, 4)],
            WithParams(
                lambda m, x: (x - m.mean) / torch.clamp(torch.sqrt(m.variance), min=1e-7),
                {},
                {"mean": 4, "variance": 4},
            ),
        ),
        (
            "Normalization",
            {"axis": [1, 2], "invert": True},
            [(2, 5, 4)],
            WithParams(
                lambda m, x: m.mean + x * torch.clamp(torch.sqrt(m.variance), min=1e-7),
                {},
                {"mean": (5, 4), "variance": (5, 4)},
            ),
        ),
        (
            "Resizing",
            {"height": 5, "width": 7, "data_format": "channels_first"},
            [(2, 3, 9, 6)],
            Fn(lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False)),
        ),
        (
            "CenterCrop",
            {"height": 4, "width": 3, "data_format": "channels_first"},
            [(2, 3, 9, 6)],
            Fn(lambda x: x[..., 2:6, 1:4]),
        ),
        ("RepeatVector", {"n": 3}, [(2, 5)], Fn(lambda x: x.unsqueeze(1).repeat(1, 3, 1))),
        ("Masking", {}, [(2, 5, 4)], Fn(lambda x: x * (x != 0.0).any(-1, keepdim=True).to(x.dtype))),
        ("Dot", {"axes": [2, 1]}, [(2, 3, 4), (2, 4, 5)], Fn(lambda a, b: torch.einsum("zab,zbc->zac", a, b))),
        ("Dot", {"axes": 1}, [(2, 3, 4), (2, 3, 5)], Fn(lambda a, b: torch.einsum("zab,zac->zbc", a, b))),
        ("Dot", {"axes": -1}, [(2, 5), (2, 5)], Fn(lambda a, b: torch.einsum("za,za->z", a, b).unsqueeze(-1))),
        ("Dot", {"axes": [3, 1]}, [(2, 3, 4, 5), (2, 5, 6)], Fn(lambda a, b: torch.einsum("zabc,zcd->zabd", a, b))),
        ("Dot", {"axes": 2}, [(2, 3, 4, 5), (2, 6, 4, 7)], Fn(lambda a, b: torch.einsum("zabc,zdbe->zacde", a, b))),
        (
            "Dot",
            {"axes": 1, "normalize": True},
            [(2, 3, 4), (2, 3, 5)],
            Fn(lambda a, b: torch.einsum("zab,zac->zbc", l2(a, 1), l2(b, 1))),
        ),
        ("Attention", {}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], Fn(lambda q, v, k: _plain_attention(q, v, k))),
        ("Attention", {}, [(2, 3, 4), (2, 5, 4)], Fn(lambda q, v: _plain_attention(q, v, v))),
        (
            "Attention",
            {"use_scale": True, "use_causal_mask": True, "return_attention_scores": True},
            [(2, 3, 4), (2, 5, 6), (2, 5, 4)],
            WithParams(
                lambda m, q, v, k: _plain_attention(q, v, k, scale=m.scale, causal=True, scores=True), {"scale": ()}
            ),
        ),
        (
            "Attention",
            {"score_mode": "concat"},
            [(2, 3, 4), (2, 5, 6), (2, 5, 4)],
            WithParams(lambda m, q, v, k: _plain_attention(q, v, k, concat=m.w), {"w": ()}),
        ),
        (
            "Attention",
            {"score_mode": "concat", "use_scale": True},
            [(2, 3, 4), (2, 5, 6), (2, 5, 4)],
            WithParams(lambda m, q, v, k: _plain_attention(q, v, k, scale=m.scale, concat=m.w), {"scale": (), "w": ()}),
        ),
        (
            "AdditiveAttention",
            {},
            [(2, 3, 4), (2, 5, 6), (2, 5, 4)],
            WithParams(lambda m, q, v, k: _plain_attention(q, v, k, additive=m.scale), {"scale": 4}),
        ),
        (
            "AdditiveAttention",
            {"use_scale": False},
            [(2, 3, 4), (2, 5, 4)],
            Fn(lambda q, v: _plain_attention(q, v, v, additive=1.0)),
        ),
        (
            "EinsumDense",
            {"equation": "abc,cd->abd", "output_shape": [None, 6], "bias_axes": "d"},
            [(2, 7, 5)],
            WithParams(lambda m, x: torch.einsum("abc,cd->abd", x, m.kernel) + m.bias, {"kernel": (5, 6), "bias": 6}),
        ),
        (
            "EinsumDense",
            {"equation": "abcd,cde->abe", "output_shape": [None, 4]},
            [(2, 7, 3, 5)],
            WithParams(lambda m, x: torch.einsum("abcd,cde->abe", x, m.kernel), {"kernel": (3, 5, 4)}),
        ),
        (
            "EinsumDense",
            {"equation": "ab...,bc->ac...", "output_shape": 6},
            [(2, 5, 3, 4)],
            WithParams(lambda m, x: torch.einsum("ab...,bc->ac...", x, m.kernel), {"kernel": (5, 6)}),
        ),
        (
            "TimeDistributed",
            {"layer": {"type": "Dense", "units": 8}},
            [(2, 5, 7)],
            WithParams(lambda m, x: F.linear(x.flatten(0, 1), m.w, m.b).unflatten(0, (2, 5)), {"w": (8, 7), "b": 8}),
        ),
        (
            "TimeDistributed",
            {"layer": {"type": "Conv2d", "filters": 4, "kernel_size": 3}},
            [(2, 3, 5, 8, 8)],
            WithParams(
                lambda m, x: F.conv2d(x.flatten(0, 1), m.w, m.b).unflatten(0, (2, 3)), {"w": (4, 5, 3, 3), "b": 4}
            ),
        ),
        (
            "Bidirectional",
            {"layer": {"type": "LSTM", "units": 3, "return_sequences": True}},
            [(2, 5, 4)],
            Around(nn.LSTM(4, 3, batch_first=True, bidirectional=True), lambda y: y[0]),
            "keras",
        ),
        (
            "Bidirectional",
            {"merge_mode": "mul", "layer": {"type": "GRU", "units": 3, "return_sequences": True}},
            [(2, 5, 4)],
            Around(nn.GRU(4, 3, batch_first=True, bidirectional=True), lambda y: y[0][..., :3] * y[0][..., 3:]),
            "keras",
        ),
        ("GroupNorm", {"groups": -1, "axis": 1}, [(2, 5, 6)], nn.GroupNorm(5, 5), "keras"),
        (
            "LayerNorm",
            {"rms_scaling": True},
            [(2, 3, 4)],
            WithParams(
                lambda m, x: x * torch.rsqrt(torch.var(x, -1, keepdim=True, correction=0) + 1e-3) * m.gamma,
                {"gamma": 4},
            ),
            "keras",
        ),
    ]
    for args in (
        {"max_value": 1.5},
        {"max_value": 6.0, "threshold": 0.5},
        {"negative_slope": 0.1},
        {"threshold": 0.5},
        {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
        {"max_value": 2.0, "negative_slope": 0.2},
    ):
        cases.append(("ReLU", args, [(2, 3, 4)], _keras_relu(**args)))
    from keras.src.backend.torch.nn import sparsemax

    from shapecli.backends.torch import ACTIVATIONS

    for word in ("sparse_plus", "sparse_sigmoid", "squareplus"):
        expression = ACTIVATIONS[word][1]
        cases.append(
            (
                "Activation",
                {"activation": word},
                [(2, 3, 4)],
                Fn(lambda x, e=expression: eval(e.format("x"), {"torch": torch}, {"x": x})),
            )
        )
    cases.append(("Activation", {"activation": "sparsemax"}, [(2, 3, 4)], Fn(lambda x: sparsemax(x, -1)), "keras"))
    return cases


# -- whole configs ---------------------------------------------------------------------


class MLP(nn.Module):
    """configs/mlp.yaml: Dense(256, relu), Dense(10)."""

    def __init__(self, features: int = 20):
        super().__init__()
        self.dense0 = nn.Linear(features, 256)
        self.relu = nn.ReLU()
        self.dense1 = nn.Linear(256, 10)

    def forward(self, x):
        return self.dense1(self.relu(self.dense0(x)))


class ResidualDense(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.fc1, self.relu, self.fc2 = nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x))) + x


class ResidualMLP(nn.Module):
    """configs/residual_mlp.yaml: three residual blocks of width 64, a 10-way head."""

    def __init__(self):
        super().__init__()
        self.stage1 = nn.Sequential(*(ResidualDense(64) for _ in range(3)))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.stage1(x))


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (v1.5), with ReLU not in place as in configs/resnet50.yaml."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(inplanes, planes, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3, self.bn3 = nn.Conv2d(planes, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4)
        self.relu1, self.relu2, self.relu = nn.ReLU(), nn.ReLU(), nn.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False), nn.BatchNorm2d(planes * 4)
            )

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet50(nn.Module):
    """torchvision.models.resnet50 (25,557,032 parameters), ReLU not in place."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1, self.relu = nn.BatchNorm2d(64), nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        layers, inplanes = [], 64
        for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            stage = [Bottleneck(inplanes, planes, stride)] + [Bottleneck(planes * 4, planes) for _ in range(blocks - 1)]
            layers.append(nn.Sequential(*stage))
            inplanes = planes * 4
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


CONFIG_INPUTS: dict[str, dict[str, tuple]] = {
    "mlp.yaml": {"x": (BATCH, 20)},
    "residual_mlp.yaml": {"x": (BATCH, 64)},
    "lenet5.yaml": {"digits": (BATCH, 1, 32, 32)},
    "unet.yaml": {"image": (BATCH, 3, 256, 256)},
    "lstm_classifier.yaml": {"tokens": (BATCH, 50)},
    "resnet50.yaml": {"image": (BATCH, 3, 224, 224)},
}
"""The hand-written models' inputs, at batch 8."""

INDEX_INPUTS = {"tokens", "input_ids", "token_type_ids"}
"""Inputs of the hand-written models that hold token indices (int64); the others are floats."""


def hand_written() -> dict:
    """config → model class: the exact PyTorch equivalents written by hand."""
    from verify_configs import LeNet5, LSTMClassifier, UNet

    return {
        "mlp.yaml": MLP,
        "residual_mlp.yaml": ResidualMLP,
        "lenet5.yaml": LeNet5,
        "unet.yaml": UNet,
        "lstm_classifier.yaml": LSTMClassifier,
        "resnet50.yaml": ResNet50,
    }


def _example(name: str, shape: tuple):
    return torch.zeros(shape, dtype=torch.long) if name in INDEX_INPUTS else torch.randn(shape)


# -- the configs as shapecli builds them --------------------------------------------------

BUILT = "shapecli.build_torch"


def shipped_configs() -> list[str]:
    """Every config in configs/, by file name."""
    return sorted(path.name for path in (ROOT / "configs").glob("*.yaml"))


def config_inputs(config: str) -> list[dict[str, tuple]] | str:
    """The input shapes a config is measured at: its `check:` inputs, and the same at batch 8
    (axis 0 of every input); or why it is not measured (shapes that do not fit, sizes that
    are not numbers)."""
    from shapecli.infer import infer
    from shapecli.spec import load_model
    from shapecli.yamlsrc import read_spec

    name, text = read_spec(str(ROOT / "configs" / config))
    model = load_model(text, name)
    trace = infer(model, model.check.inputs)
    if trace.errors:
        return f"its shapes do not fit: {trace.errors[0].message}"
    check = {name: tuple(shape) for name, shape in trace.inputs.items()}
    if not all(isinstance(d, int) for shape in check.values() for d in shape):
        return "its check: inputs are not all numbers"
    batched = {name: (BATCH, *shape[1:]) for name, shape in check.items()}
    return [check] if batched == check else [check, batched]


def build(config: str, shapes: dict[str, tuple]) -> tuple[nn.Module, list]:
    """The model shapecli builds from a config, and random inputs of these shapes."""
    import shapecli

    spec = shapecli.load(str(ROOT / "configs" / config))
    module = shapecli.build_torch(spec, **shapes)
    tables: dict[str, int] = {}
    for node in spec._model.nodes:
        if node.layer.type_name == "Embedding":
            for source in node.sources:
                if isinstance(source, str):
                    tables[source] = min(tables.get(source, node.cfg.num_embeddings), node.cfg.num_embeddings)
    inputs = [
        torch.randint(0, tables[name], shape) if name in tables else torch.randn(shape)
        for name, shape in shapes.items()
    ]
    return module, inputs


def _layer_units(module: nn.Module):
    """The layer units of a built model in the order its forward runs them, blocks opened."""
    for kind, function, layer, inputs, outputs, _path, _done in module._shapecli_units:
        if kind == "scope":
            yield from _layer_units(layer)
        else:
            yield function, layer, inputs, outputs


def graph_order_peak(module: nn.Module, inputs: list) -> int:
    """The most activation bytes alive at once when the built model's layers run in graph order
    with every tensor dropped after its last consumer — the graph whose peak shapecli computes.

    The model's own forward runs the same layers, but a block's inputs stay alive until the
    block's forward returns (the caller's arguments hold them), as in any nn.Module; here the
    blocks are opened and nothing holds a tensor beyond its last use."""
    module.eval()
    units = list(_layer_units(module))
    last: dict = {}
    for index, (_, _, sources, outputs) in enumerate(units):
        for source in (*outputs, *sources):
            last[source] = index
    for source in module._shapecli_outputs:
        last.pop(source, None)
    done: list[list] = [[] for _ in units]
    for source, index in last.items():
        done[index].append(source)
    own = {t.untyped_storage().data_ptr() for t in (*module.parameters(), *module.buffers())}
    values = {source: tensor for (_, source), tensor in zip(module._shapecli_inputs, inputs)}
    with torch.no_grad(), LivePeak(own, inputs) as mode:
        for index, (function, layer, sources, outputs) in enumerate(units):
            given = [values[source] for source in sources]
            results = function(layer, *given)
            values.update(zip(outputs, results))
            del given, results
            for source in done[index]:
                values.pop(source, None)
        del values
    module.train()
    return mode.peak


def built_records(configs: list[str]) -> list[dict]:
    """The configs built by `shapecli.build_torch`, each measured at its check: inputs and at batch 8."""
    records = []
    for config in configs:
        sizes = config_inputs(config)
        if isinstance(sizes, str):
            print(f"{config:22} not measured: {sizes}", file=sys.stderr)
            continue
        for shapes in sizes:
            torch.manual_seed(0)
            module, inputs = build(config, shapes)
            record = _config_record(config, module, inputs, shapes, BUILT)
            with _inference_backends():
                record["inference_peak_graph"] = graph_order_peak(module, inputs)
            records.append(record)
    return records


class _inference_backends:
    """The backends the inference peak is measured with: oneDNN off (ATen's kernels, as for
    the saved tensors) and PyTorch's attention fast path off — its fused transformer kernel
    allocates its temporaries inside one op, where a dispatch mode cannot follow them."""

    def __enter__(self):
        self.mkldnn = torch.backends.mkldnn.flags(enabled=False)
        self.mkldnn.__enter__()
        self.fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)
        return self

    def __exit__(self, *exc):
        torch.backends.mha.set_fastpath_enabled(self.fastpath)
        self.mkldnn.__exit__(*exc)


def _config_record(config: str, module: nn.Module, inputs: list, shapes: dict, source: str) -> dict:
    torch.manual_seed(0)
    measured = measure_both(module, inputs, recurrent=any(isinstance(m, nn.RNNBase) for m in module.modules()))
    for key in ("storages", "storages_aten"):
        measured.pop(key, None)
    with _inference_backends():
        measured["inference_peak"] = inference_peak(module, inputs)
    shown = "x".join(map(str, next(iter(shapes.values()))))
    print(f"{config:22} {shown:>14} {measured['saved']:>14,} bytes saved ({source})", file=sys.stderr)
    return {
        "config": config,
        "inputs": {name: list(shape) for name, shape in shapes.items()},
        "model": source,
        **measured,
    }


AUTOCAST_INPUTS = {
    "mlp.yaml": {"x": (BATCH, 20)},
    "residual_mlp.yaml": {"x": (BATCH, 64)},
    "lenet5.yaml": {"digits": (BATCH, 1, 32, 32)},
    "resnet50.yaml": {"image": (2, 3, 224, 224)},
    "unet.yaml": {"image": (2, 3, 64, 64)},
    "lstm_classifier.yaml": {"tokens": (BATCH, 50)},
}
"""Configs measured again under CPU autocast (bfloat16), whose op lists agree with CUDA's for their
layers; smaller inputs where bfloat16 convolutions are slow on a CPU."""


def autocast_records() -> list[dict]:
    """Bytes saved under torch.autocast("cpu", bfloat16): activations and the weight copies backward keeps."""
    records = []
    for config, shapes in AUTOCAST_INPUTS.items():
        torch.manual_seed(0)
        module = hand_written()[config]()
        inputs = [_example(name, shape) for name, shape in shapes.items()]
        with torch.autocast("cpu", dtype=torch.bfloat16), torch.backends.mkldnn.flags(enabled=False):
            measured = measure(module, inputs)
        records.append(
            {
                "config": config,
                "inputs": {name: list(shape) for name, shape in shapes.items()},
                "autocast": "bf16",
                "backends": "oneDNN off",
                "saved": measured["saved"],
            }
        )
        print(f"{config:22} {measured['saved']:>14,} bytes saved (autocast bf16)", file=sys.stderr)
    return records


def hand_written_records() -> list[dict]:
    """The hand-written models, at batch 8: they check the builder independently."""
    records = []
    for config, model_class in hand_written().items():
        torch.manual_seed(0)
        shapes = CONFIG_INPUTS[config]
        inputs = [_example(name, shape) for name, shape in shapes.items()]
        records.append(_config_record(config, model_class(), inputs, shapes, "hand-written"))
    return records


def merge_built(previous: list[dict], measured: list[dict], configs: list[str]) -> list[dict]:
    """The config records with those of `configs` built by shapecli replaced by the new
    measurements: in place where the config was recorded, appended where it is new."""
    fresh: dict[str, list[dict]] = {}
    for record in measured:
        fresh.setdefault(record["config"], []).append(record)
    merged, placed = [], set()
    for record in previous:
        config = record["config"]
        if record.get("model") != BUILT or config not in configs:
            merged.append(record)
        elif config not in placed:
            merged += fresh.get(config, [])
            placed.add(config)
    for config in configs:
        if config not in placed:
            merged += fresh.get(config, [])
    return merged


def write_document(document: dict) -> None:
    """The records, one per line (diffs stay readable), the header keys first."""
    lines = ["{"]
    for key, value in document.items():
        if isinstance(value, list):
            items = ",\n".join("  " + json.dumps(item, separators=(",", ":")) for item in value)
            lines.append(f'"{key}": [\n{items}\n],')
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)},")
    lines[-1] = lines[-1].removesuffix(",")
    OUT.write_text("\n".join(lines) + "\n}\n")


def _cases_of(types: set) -> list[tuple]:
    """(type, args, input shapes) of the grid and extra cases of these types."""
    from gen_reference import torch_cases

    cases = [(t, a, s) for t, a, s in torch_cases() if t in types]
    return cases + [(t, a, s) for t, a, s, *_ in extra_cases() + keras_type_cases() if t in types]


def _replaced(record: dict, cases: list) -> bool:
    """Whether `--types` measures this record again: it is one of `cases` (`_cases_of`)."""
    return any(
        record["type"] == t and record["args"] == a and [list(x) for x in s] == record["inputs"] for t, a, s in cases
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only-configs", action="store_true", help="keep the recorded layer cases")
    parser.add_argument(
        "--types",
        metavar="TYPE,…",
        help="measure the grid and extra cases of these types only, replacing their records (the others are kept)",
    )
    parser.add_argument(
        "--config",
        action="append",
        metavar="NAME",
        help="measure only this config (e.g. unet.yaml) as shapecli builds it, replacing or adding its "
        "records and keeping all others; may be repeated",
    )
    options = parser.parse_args()
    previous = json.loads(OUT.read_text()) if OUT.exists() else {}
    header = {
        "framework": "torch",
        "version": torch.__version__,
        "python": sys.version.split()[0],
        "device": "cpu",
        "generated_by": "tools/measure_memory.py",
    }
    if options.types:
        chosen = set(options.types.split(","))
        cases = _cases_of(chosen)
        kept = [r for r in previous.get("layers", []) if not _replaced(r, cases)]
        document = {**previous, "layers": kept + grid_records(chosen) + extra_records(chosen)}
        write_document(document)
        print(f"{len(document['layers']) - len(kept)} cases of {len(chosen)} types measured")
        return 0
    if options.config:
        names = [name if name.endswith((".yaml", ".yml")) else f"{name}.yaml" for name in options.config]
        unknown = [name for name in names if not (ROOT / "configs" / name).is_file()]
        if unknown:
            parser.error(f"no such config in configs/: {', '.join(unknown)}")
        if not previous:
            parser.error(f"{OUT} does not exist yet: run the tool once without --config")
        configs = merge_built(previous.get("configs", []), built_records(names), names)
        document = {**previous, **header, "configs": configs}
    else:
        layers = previous.get("layers", []) if options.only_configs else layer_records()
        document = {
            **header,
            "layers": layers,
            "inference_layers": inference_records(),
            "configs": hand_written_records() + built_records(shipped_configs()),
            "autocast": autocast_records(),
        }
    write_document(document)
    layers = document["layers"]
    types = len({r["type"] for r in layers})
    built = len({r["config"] for r in document["configs"] if r["model"] == BUILT})
    print(
        f"torch {torch.__version__}: {len(layers)} layer cases ({types} types), "
        f"{len(document['configs'])} config records ({built} configs built by shapecli)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
