"""Record what PyTorch and Keras 3 say about every layer type over a grid of cases.

    pip install torch==2.13.0 keras pyyaml      # only for this script; never at runtime or in CI
    KERAS_BACKEND=torch python tools/gen_reference.py

For each case (a layer type, its arguments in shapecli's spec language, input
shapes) the script builds the layer in the real framework, runs it on zeros,
and records the output shapes, the parameter (and buffer) names, shapes and
trainable flags, the MACs (PyTorch's FlopCounterMode / 2, where it counts the
layer) — or the error the framework raises. The records go to
tests/reference/{torch,keras}.json with the framework versions; the test
tests/test_reference.py checks shapecli against every record.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "reference"
P = itertools.product


# -- PyTorch ---------------------------------------------------------------------------


def _channels(shape, rank):
    return shape[-(rank + 1)]


def _torch_padding(p):
    if isinstance(p, str):
        return p
    return p if isinstance(p, int) else tuple(p)


PLAIN_ACTIVATIONS = (
    "ReLU",
    "ReLU6",
    "ELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Hardsigmoid",
    "Hardswish",
    "Tanh",
    "Softplus",
    "Softsign",
    "LogSigmoid",
    "CELU",
    "Tanhshrink",
)
"""PyTorch activations built without arguments."""


class Fn(nn.Module):
    """A module around a function, for the merges and tensor methods."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def conv_builder(rank, transposed=False):
    def build(a, shapes):
        cls = getattr(nn, f"ConvTranspose{rank}d" if transposed else f"Conv{rank}d")
        kwargs = dict(
            in_channels=a.get("in_channels", _channels(shapes[0], rank)),
            out_channels=a["filters"],
            kernel_size=a["kernel_size"],
            stride=a.get("stride", 1),
            padding=_torch_padding(a.get("padding", 0)),
            dilation=a.get("dilation", 1),
            groups=a.get("groups", 1),
            bias=a.get("bias", True),
        )
        if transposed:
            kwargs["output_padding"] = a.get("output_padding", 0)
        if "padding_mode" in a:
            kwargs["padding_mode"] = a["padding_mode"]
        return cls(**kwargs)

    return build


def pool_builder(rank, kind):
    def build(a, shapes):
        if kind == "max":
            return getattr(nn, f"MaxPool{rank}d")(
                a["kernel_size"],
                a.get("stride"),
                a.get("padding", 0),
                a.get("dilation", 1),
                ceil_mode=a.get("ceil_mode", False),
                return_indices=a.get("return_indices", False),
            )
        extra = {"dilation": a["dilation"]} if "dilation" in a else {}  # AvgPool has none: PyTorch refuses it
        if "divisor_override" in a:
            extra["divisor_override"] = a["divisor_override"]
        return getattr(nn, f"AvgPool{rank}d")(
            a["kernel_size"],
            a.get("stride"),
            a.get("padding", 0),
            ceil_mode=a.get("ceil_mode", False),
            count_include_pad=a.get("count_include_pad", True),
            **extra,
        )

    return build


def rnn_builder(kind):
    def build(a, shapes):
        kwargs = dict(
            input_size=a.get("input_size", shapes[0][-1]),
            hidden_size=a["hidden_size"],
            num_layers=a.get("num_layers", 1),
            bias=a.get("bias", True),
            batch_first=a.get("batch_first", False),
            bidirectional=a.get("bidirectional", False),
            dropout=a.get("dropout", 0.0),
        )
        if kind == "LSTM":
            kwargs["proj_size"] = a.get("proj_size", 0)
        return getattr(nn, kind)(**kwargs)

    return build


def mha_builder(a, shapes):
    return nn.MultiheadAttention(
        a.get("embed_dim", shapes[0][-1]),
        a["num_heads"],
        bias=a.get("bias", True),
        add_bias_kv=a.get("add_bias_kv", False),
        add_zero_attn=a.get("add_zero_attn", False),
        kdim=a.get("kdim"),
        vdim=a.get("vdim"),
        batch_first=a.get("batch_first", False),
        dropout=a.get("dropout", 0.0),
    )


def _tuple(value):
    return tuple(value) if isinstance(value, list) else value


def _message(e: Exception) -> str:
    """The framework's own words: the first line, or Keras' wrapped message."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(e).splitlines()]
    lines = [line for line in lines if line and not line.startswith("Exception encountered when calling")]
    return f"{type(e).__name__}: {(lines or [''])[0][:200]}"


class TorchvisionStochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth (torchvision 0.29.1, torchvision/ops/stochastic_depth.py), used when
    torchvision is not installed: its forward, line for line (tests/test_reference.py checks it against
    torchvision's where torchvision is installed)."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, input):
        p, mode = self.p, self.mode
        if p < 0.0 or p > 1.0:
            raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
        if mode not in ["batch", "row"]:
            raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
        if not self.training or p == 0.0:
            return input
        survival_rate = 1.0 - p
        if mode == "row":
            size = [input.shape[0]] + [1] * (input.ndim - 1)
        else:
            size = [1] * input.ndim
        noise = torch.empty(size, dtype=input.dtype, device=input.device)
        noise = noise.bernoulli_(survival_rate)
        if survival_rate > 0.0:
            noise.div_(survival_rate)
        return input * noise


def stochastic_depth(a, s):
    """torchvision's StochasticDepth, or its transcription without torchvision."""
    try:
        from torchvision.ops import StochasticDepth
    except ImportError:
        StochasticDepth = TorchvisionStochasticDepth  # noqa: N806 - the class it stands for
    return StochasticDepth(a["p"], a["mode"])


def _inplace(a) -> dict:
    return {"inplace": True} if a.get("inplace") else {}


def cell_builder(kind):
    def build(a, shapes):
        kwargs = dict(
            input_size=a.get("input_size", shapes[0][-1]), hidden_size=a["hidden_size"], bias=a.get("bias", True)
        )
        if kind == "RNNCell":
            kwargs["nonlinearity"] = a.get("nonlinearity", "tanh")
        return getattr(nn, kind)(**kwargs)

    return build


def _transformer_layer(kind, a, shapes):
    return getattr(nn, f"Transformer{kind}Layer")(
        a.get("d_model", shapes[0][-1]),
        a["nhead"],
        a.get("dim_feedforward", 2048),
        batch_first=a.get("batch_first", False),
        norm_first=a.get("norm_first", False),
        bias=a.get("bias", True),
    )


def transformer_stack(kind):
    def build(a, shapes):
        width = a.get("d_model", shapes[0][-1])
        norm = nn.LayerNorm(width, bias=a.get("bias", True)) if a.get("norm") else None
        return getattr(nn, f"Transformer{kind}")(_transformer_layer(kind, a, shapes), a["num_layers"], norm=norm)

    return build


def transformer(a, shapes):
    return nn.Transformer(
        a.get("d_model", shapes[0][-1]),
        a.get("nhead", 8),
        a.get("num_encoder_layers", 6),
        a.get("num_decoder_layers", 6),
        a.get("dim_feedforward", 2048),
        batch_first=a.get("batch_first", False),
        norm_first=a.get("norm_first", False),
        bias=a.get("bias", True),
    )


def embedding_bag(a, s):
    return nn.EmbeddingBag(
        a["num_embeddings"],
        a["embedding_dim"],
        max_norm=a.get("max_norm"),
        norm_type=a.get("norm_type", 2.0),
        scale_grad_by_freq=a.get("scale_grad_by_freq", False),
        sparse=a.get("sparse", False),
        mode=a.get("mode", "mean"),
        include_last_offset=a.get("include_last_offset", False),
        padding_idx=a.get("padding_idx"),
    )


def torch_call(type_name, module, args, xs):
    """Call a module of the table on its inputs as the layer type passes them."""
    if type_name == "MultiheadAttention":
        q = xs[0]
        k = xs[1] if len(xs) > 1 else q
        v = xs[2] if len(xs) > 2 else k
        return module(q, k, v, average_attn_weights=args.get("average_attn_weights", True))
    if type_name == "LSTMCell":  # its state is one tuple (h, c)
        return module(xs[0], tuple(xs[1:]) if len(xs) > 1 else None)
    if type_name == "EmbeddingBag" and xs[0].dim() == 2:  # a 2-D input takes no offsets
        return module(xs[0], None, *xs[1:])
    if type_name.startswith("MaxUnpool"):
        return module(*xs, output_size=args.get("output_size"))
    return module(*xs)


def _torch_slice(a, x):
    index = [slice(None)] * x.dim()
    index[a["axis"]] = slice(a.get("start", 0), a.get("stop"), a.get("step", 1))
    return x[tuple(index)]


TORCH = {
    "Dense": lambda a, s: nn.Linear(a.get("in_units", s[0][-1]), a["units"], bias=a.get("use_bias", True)),
    "Bilinear": lambda a, s: nn.Bilinear(
        a.get("in1_features", s[0][-1]), a.get("in2_features", s[1][-1]), a["out_features"], bias=a.get("bias", True)
    ),
    "Embedding": lambda a, s: nn.Embedding(
        a["num_embeddings"],
        a["embedding_dim"],
        padding_idx=a.get("padding_idx"),
        max_norm=a.get("max_norm"),
        norm_type=a.get("norm_type", 2.0),
        scale_grad_by_freq=a.get("scale_grad_by_freq", False),
        sparse=a.get("sparse", False),
    ),
    "Identity": lambda a, s: nn.Identity(),
    "Flatten": lambda a, s: nn.Flatten(a.get("start_dim", 1), a.get("end_dim", -1)),
    "Unflatten": lambda a, s: nn.Unflatten(a["dim"], tuple(a["unflattened_size"])),
    "Dropout": lambda a, s: nn.Dropout(a.get("p", 0.5), **_inplace(a)),
    "Dropout1d": lambda a, s: nn.Dropout1d(**_inplace(a)),
    "Dropout2d": lambda a, s: nn.Dropout2d(**_inplace(a)),
    "Dropout3d": lambda a, s: nn.Dropout3d(**_inplace(a)),
    "AlphaDropout": lambda a, s: nn.AlphaDropout(**_inplace(a)),
    "Softmax": lambda a, s: nn.Softmax(a["dim"]),
    "LogSoftmax": lambda a, s: nn.LogSoftmax(a["dim"]),
    "Softmin": lambda a, s: nn.Softmin(a["dim"]),
    "LeakyReLU": lambda a, s: nn.LeakyReLU(a.get("negative_slope", 0.01), **_inplace(a)),
    "PReLU": lambda a, s: nn.PReLU(a.get("num_parameters", 1)),
    "GLU": lambda a, s: nn.GLU(a.get("dim", -1)),
    "Hardtanh": lambda a, s: nn.Hardtanh(a.get("min_val", -1.0), a.get("max_val", 1.0), **_inplace(a)),
    "Threshold": lambda a, s: nn.Threshold(a["threshold"], a["value"], **_inplace(a)),
    "Softshrink": lambda a, s: nn.Softshrink(a.get("lambd", 0.5)),
    "Hardshrink": lambda a, s: nn.Hardshrink(a.get("lambd", 0.5)),
    "BatchNorm1d": lambda a, s: nn.BatchNorm1d(
        a.get("num_features", s[0][1]),
        affine=a.get("affine", True),
        track_running_stats=a.get("track_running_stats", True),
    ),
    "BatchNorm2d": lambda a, s: nn.BatchNorm2d(
        a.get("num_features", s[0][1]),
        affine=a.get("affine", True),
        track_running_stats=a.get("track_running_stats", True),
    ),
    "BatchNorm3d": lambda a, s: nn.BatchNorm3d(
        a.get("num_features", s[0][1]),
        affine=a.get("affine", True),
        track_running_stats=a.get("track_running_stats", True),
    ),
    "LayerNorm": lambda a, s: nn.LayerNorm(
        a.get("normalized_shape", s[0][-1:]), elementwise_affine=a.get("affine", True), bias=a.get("bias", True)
    ),
    "GroupNorm": lambda a, s: nn.GroupNorm(
        a["num_groups"], a.get("num_channels", s[0][1]), affine=a.get("affine", True)
    ),
    "RMSNorm": lambda a, s: nn.RMSNorm(a.get("normalized_shape", s[0][-1:]), elementwise_affine=a.get("affine", True)),
    "LocalResponseNorm": lambda a, s: nn.LocalResponseNorm(a["size"]),
    "Upsample": lambda a, s: nn.Upsample(
        size=_tuple(a.get("size")),
        scale_factor=_tuple(a.get("scale_factor")),
        mode=a.get("mode", "nearest"),
        align_corners=a.get("align_corners"),
        recompute_scale_factor=a.get("recompute_scale_factor"),
    ),
    "MultiheadAttention": mha_builder,
    "TransformerEncoderLayer": lambda a, s: nn.TransformerEncoderLayer(
        a.get("d_model", s[0][-1]),
        a["nhead"],
        a.get("dim_feedforward", 2048),
        batch_first=a.get("batch_first", False),
        bias=a.get("bias", True),
    ),
    "TransformerDecoderLayer": lambda a, s: nn.TransformerDecoderLayer(
        a.get("d_model", s[0][-1]),
        a["nhead"],
        a.get("dim_feedforward", 2048),
        batch_first=a.get("batch_first", False),
        bias=a.get("bias", True),
    ),
    "Add": lambda a, s: Fn(lambda *x: sum(x[1:], x[0])),
    "Subtract": lambda a, s: Fn(torch.sub),
    "Multiply": lambda a, s: Fn(torch.mul),
    "Maximum": lambda a, s: Fn(torch.maximum),
    "Minimum": lambda a, s: Fn(torch.minimum),
    "Concat": lambda a, s: Fn(lambda *x: torch.cat(x, a.get("dim", 1))),
    "MatMul": lambda a, s: Fn(torch.matmul),
    "Reshape": lambda a, s: Fn(lambda x: x.reshape(x.shape[0], *a["shape"])),
    "Permute": lambda a, s: Fn(lambda x: x.permute(*a["dims"])),
    "Transpose": lambda a, s: Fn(lambda x: x.transpose(a["dim0"], a["dim1"])),
    "Squeeze": lambda a, s: Fn(lambda x: x.squeeze(a["dim"]) if "dim" in a else x.squeeze()),
    "Unsqueeze": lambda a, s: Fn(lambda x: x.unsqueeze(a["dim"])),
    "Slice": lambda a, s: Fn(lambda x: _torch_slice(a, x)),
    "Select": lambda a, s: Fn(lambda x: x.select(a["axis"], a["index"])),
}
for _w in PLAIN_ACTIVATIONS:
    TORCH[_w] = (lambda w: lambda a, s: getattr(nn, w)(**_inplace(a)))(_w)
TORCH["ELU"] = lambda a, s: nn.ELU(a.get("alpha", 1.0), **_inplace(a))
TORCH["CELU"] = lambda a, s: nn.CELU(a.get("alpha", 1.0), **_inplace(a))
TORCH["GELU"] = lambda a, s: nn.GELU(a.get("approximate", "none"))
TORCH["Softplus"] = lambda a, s: nn.Softplus(a.get("beta", 1.0), a.get("threshold", 20.0))
for _r in (1, 2, 3):
    TORCH[f"Conv{_r}d"] = conv_builder(_r)
    TORCH[f"ConvTranspose{_r}d"] = conv_builder(_r, transposed=True)
    TORCH[f"MaxPool{_r}d"] = pool_builder(_r, "max")
    TORCH[f"AvgPool{_r}d"] = pool_builder(_r, "avg")
    TORCH[f"AdaptiveAvgPool{_r}d"] = (lambda r: lambda a, s: getattr(nn, f"AdaptiveAvgPool{r}d")(a["output_size"]))(_r)
    TORCH[f"AdaptiveMaxPool{_r}d"] = (
        lambda r: (
            lambda a, s: getattr(nn, f"AdaptiveMaxPool{r}d")(
                a["output_size"], return_indices=a.get("return_indices", False)
            )
        )
    )(_r)
    TORCH[f"InstanceNorm{_r}d"] = (
        lambda r: (
            lambda a, s: getattr(nn, f"InstanceNorm{r}d")(
                a.get("num_features", _channels(s[0], r)),
                affine=a.get("affine", False),
                track_running_stats=a.get("track_running_stats", False),
            )
        )
    )(_r)
    for _pad in ("ZeroPad", "ReflectionPad", "ReplicationPad"):
        TORCH[f"{_pad}{_r}d"] = (lambda name: lambda a, s: getattr(nn, name)(_torch_padding(a["padding"])))(
            f"{_pad}{_r}d"
        )
    TORCH[f"ConstantPad{_r}d"] = (
        lambda r: lambda a, s: getattr(nn, f"ConstantPad{r}d")(_torch_padding(a["padding"]), 0.0)
    )(_r)
for _k in ("RNN", "LSTM", "GRU"):
    TORCH[_k] = rnn_builder(_k)
for _k in ("RNNCell", "LSTMCell", "GRUCell"):
    TORCH[_k] = cell_builder(_k)
TORCH.update(
    {
        "PixelShuffle": lambda a, s: nn.PixelShuffle(a["upscale_factor"]),
        "PixelUnshuffle": lambda a, s: nn.PixelUnshuffle(a["downscale_factor"]),
        "EmbeddingBag": embedding_bag,
        "TransformerEncoder": transformer_stack("Encoder"),
        "TransformerDecoder": transformer_stack("Decoder"),
        "Transformer": transformer,
        "Fold": lambda a, s: nn.Fold(
            a["output_size"], a["kernel_size"], a.get("dilation", 1), a.get("padding", 0), a.get("stride", 1)
        ),
        "Unfold": lambda a, s: nn.Unfold(
            a["kernel_size"], a.get("dilation", 1), a.get("padding", 0), a.get("stride", 1)
        ),
        "UpsamplingNearest2d": lambda a, s: nn.UpsamplingNearest2d(
            _tuple(a.get("size")), _tuple(a.get("scale_factor"))
        ),
        "UpsamplingBilinear2d": lambda a, s: nn.UpsamplingBilinear2d(
            _tuple(a.get("size")), _tuple(a.get("scale_factor"))
        ),
        "CosineSimilarity": lambda a, s: nn.CosineSimilarity(a.get("dim", 1), a.get("eps", 1e-8)),
        "PairwiseDistance": lambda a, s: nn.PairwiseDistance(
            a.get("p", 2.0), a.get("eps", 1e-6), keepdim=a.get("keepdim", False)
        ),
        "SyncBatchNorm": lambda a, s: nn.SyncBatchNorm(
            a.get("num_features", s[0][1]),
            affine=a.get("affine", True),
            track_running_stats=a.get("track_running_stats", True),
        ),
        "RReLU": lambda a, s: nn.RReLU(a.get("lower", 1 / 8), a.get("upper", 1 / 3), **_inplace(a)),
        "Softmax2d": lambda a, s: nn.Softmax2d(),
        "StochasticDepth": stochastic_depth,
        "LazyLinear": lambda a, s: nn.LazyLinear(a["units"], bias=a.get("use_bias", True)),
    }
)
for _r in (1, 2, 3):
    TORCH[f"MaxUnpool{_r}d"] = (
        lambda r: lambda a, s: getattr(nn, f"MaxUnpool{r}d")(a["kernel_size"], a.get("stride"), a.get("padding", 0))
    )(_r)
    TORCH[f"LPPool{_r}d"] = (
        lambda r: (
            lambda a, s: getattr(nn, f"LPPool{r}d")(
                a["norm_type"], a["kernel_size"], a.get("stride"), ceil_mode=a.get("ceil_mode", False)
            )
        )
    )(_r)
    TORCH[f"CircularPad{_r}d"] = (lambda name: lambda a, s: getattr(nn, name)(_torch_padding(a["padding"])))(
        f"CircularPad{_r}d"
    )
    TORCH[f"LazyConv{_r}d"] = (
        lambda r: lambda a, s: getattr(nn, f"LazyConv{r}d")(a["filters"], a["kernel_size"], a.get("stride", 1))
    )(_r)
    TORCH[f"LazyConvTranspose{_r}d"] = (
        lambda r: lambda a, s: getattr(nn, f"LazyConvTranspose{r}d")(a["filters"], a["kernel_size"], a.get("stride", 1))
    )(_r)
    TORCH[f"LazyBatchNorm{_r}d"] = (lambda r: lambda a, s: getattr(nn, f"LazyBatchNorm{r}d")())(_r)
    TORCH[f"LazyInstanceNorm{_r}d"] = (
        lambda r: (
            lambda a, s: getattr(nn, f"LazyInstanceNorm{r}d")(
                affine=a.get("affine", True), track_running_stats=a.get("track_running_stats", True)
            )
        )
    )(_r)


INTEGER_INPUTS = {
    "Embedding": (0,),
    "EmbeddingBag": (0, 1),
    "IndexSelect": (1,),
    **{f"MaxUnpool{r}d": (1,) for r in (1, 2, 3)},
}
"""Layer type → the positions of its inputs that are int64 indices (zeros are valid indices and offsets).
EmbeddingBag's second input is its offsets after a 1-D input, its per_sample_weights after a 2-D one."""


def integer_input(type_name: str, shapes: list, index: int) -> bool:
    """Whether input `index` of a layer of this type on these shapes holds int64 indices."""
    if type_name == "EmbeddingBag" and index == 1 and len(shapes[0]) == 2:
        return False
    return index in INTEGER_INPUTS.get(type_name, ())


# -- standalone tensors and shape-adapting layers (shapecli/layers/tensors.py, adapt.py, einsum.py)


class Tensorlike(nn.Module):
    """A layer that is a tensor (Parameter, Buffer) or holds one scale (LayerScale): its tensor is
    the attribute `value`, recorded under the empty local name (shapecli names it by its path)."""

    def __init__(self, shape, kind="parameter", trainable=True, dtype=None, scale_axis=None):
        super().__init__()
        dtype = getattr(torch, dtype) if dtype else None
        if kind == "buffer":
            self.register_buffer("value", torch.zeros(shape, dtype=dtype))
        else:
            self.value = nn.Parameter(torch.zeros(shape), requires_grad=trainable)
        self.scale_axis = scale_axis

    def forward(self, *xs):
        return self.value if self.scale_axis is None else xs[0] * self.value


class TimmLayerScale(nn.Module):
    """timm's LayerScale: x * gamma, gamma (C,) (or (C, 1, …) for a channel axis before others)."""

    def __init__(self, shape):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(shape))

    def forward(self, x):
        return x * self.gamma


def local_name(module, name: str) -> str:
    """A parameter's name as shapecli gives it: the tensor of a Tensorlike layer is named by the
    layer's path (the empty local name)."""
    return "" if isinstance(module, Tensorlike) and name == "value" else name


def _scale_shape(a, shapes):
    x = shapes[0]
    axis = a.get("axis", -1)
    if not -len(x) <= axis < len(x):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-len(x)}, {len(x) - 1}], but got {axis})"
        )
    axis %= len(x)
    return (a.get("channels", x[axis]),) + (1,) * (len(x) - axis - 1)


def _layer_scale(a, s):
    if a.get("param_name", "gamma") == "":
        return Tensorlike(_scale_shape(a, s), scale_axis=a.get("axis", -1))
    return TimmLayerScale(_scale_shape(a, s))


def _pad_to_multiple(a, x):
    axes = _axes(x, a["axes"])
    ks = a["multiple"] if isinstance(a["multiple"], list) else [a["multiple"]] * len(axes)
    pad = [0] * (2 * x.dim())
    for axis, k in zip(axes, ks):
        extra = (-x.shape[axis]) % k
        before = {"end": 0, "start": extra, "both": extra // 2}[a.get("side", "end")]
        pad[2 * (x.dim() - 1 - axis)], pad[2 * (x.dim() - 1 - axis) + 1] = before, extra - before
    return torch.nn.functional.pad(x, pad)


def _crop(x, axes, sizes, align):
    index = [slice(None)] * x.dim()
    for axis, size in zip(axes, sizes):
        n = x.shape[axis]
        if size > n:
            raise ValueError(f"cannot crop {n} to {size}")
        start = {"start": 0, "center": (n - size) // 2, "end": n - size}[align]
        index[axis] = slice(start, start + size)
    return x[tuple(index)]


def _axes(x, axes):
    """Axes counted from the front, as PyTorch's dim wrapping does (out of range: IndexError)."""
    return [torch.empty(x.shape).movedim(d, 0).shape and d % x.dim() for d in axes]


def _crop_layer(a, x):
    axes = _axes(x, a["axes"])
    sizes = a["size"] if isinstance(a["size"], list) else [a["size"]] * len(axes)
    return _crop(x, axes, sizes, a.get("align", "center"))


def _crop_to(a, x, like):
    axes = _axes(x, a["axes"])
    _axes(like, a["axes"])
    return _crop(x, axes, [like.shape[d] for d in axes], a.get("align", "center"))


def _split(a, x):
    sizes = a["sizes"]
    return torch.split(x, sizes if isinstance(sizes, list) else sizes, a.get("dim", 0))


REDUCERS = {"mean": torch.mean, "sum": torch.sum, "max": torch.amax, "min": torch.amin}


def _reduce(a, x):
    axes = a.get("axes")
    function = REDUCERS[a["op"]]
    keep = a.get("keepdims", False)
    if axes is None:
        return function(x, dim=(), keepdim=keep) if a["op"] in ("max", "min") else function(x, dim=[], keepdim=keep)
    return function(x, dim=axes, keepdim=keep)


TORCH.update(
    {
        "Parameter": lambda a, s: Tensorlike(a["shape"], trainable=a.get("trainable", True)),
        "Buffer": lambda a, s: Tensorlike(a["shape"], kind="buffer", dtype=a.get("dtype")),
        "LayerScale": _layer_scale,
        "PadToMultiple": lambda a, s: Fn(lambda x: _pad_to_multiple(a, x)),
        "Pad": lambda a, s: Fn(
            lambda x: (
                torch.nn.functional.pad(x, a["padding"], mode=a.get("mode", "constant"), value=None)
                if a.get("mode", "constant") != "constant"
                else torch.nn.functional.pad(x, a["padding"], value=a.get("value", 0.0))
            )
        ),
        "Crop": lambda a, s: Fn(lambda x: _crop_layer(a, x)),
        "CropTo": lambda a, s: Fn(lambda x, like: _crop_to(a, x, like)),
        "Roll": lambda a, s: Fn(lambda x: torch.roll(x, a["shifts"], a.get("dims"))),
        "ChannelShuffle": lambda a, s: nn.ChannelShuffle(a["groups"]),
        "IndexSelect": lambda a, s: Fn(lambda x, index: torch.index_select(x, a.get("dim", 0), index.long())),
        "Split": lambda a, s: Fn(lambda x: _split(a, x)),
        "Chunk": lambda a, s: Fn(lambda x: torch.chunk(x, a["chunks"], a.get("dim", 0))),
        "Stack": lambda a, s: Fn(lambda *x: torch.stack(x, a.get("axis", 0))),
        "Reduce": lambda a, s: Fn(lambda x: _reduce(a, x)),
        "Einsum": lambda a, s: Fn(lambda *x: torch.einsum(a["equation"], *x)),
        "Expand": lambda a, s: Fn(lambda x: x.expand(*a["sizes"])),
        "Tile": lambda a, s: Fn(lambda x: x.tile(tuple(a["repeats"]))),
        "Repeat": lambda a, s: Fn(lambda x: x.repeat(*a["repeats"])),
    }
)


def torch_inputs(type_name, shapes):
    return [
        torch.zeros(s, dtype=torch.long) if integer_input(type_name, shapes, i) else torch.zeros(s)
        for i, s in enumerate(shapes)
    ]


def run_torch(type_name, args, shapes):
    record = {"type": type_name, "args": args, "inputs": shapes}
    try:
        module = TORCH[type_name](args, shapes)
        xs = torch_inputs(type_name, shapes)
        with FlopCounterMode(display=False) as counter:
            out = torch_call(type_name, module, args, xs)
        flops = counter.get_total_flops()
    except Exception as e:  # noqa: BLE001 - the framework's refusal is the record
        record["error"] = _message(e)
        return record
    record["outputs"] = [list(t.shape) for t in _flatten(out)]
    record["params"] = [
        {"name": local_name(module, n), "shape": list(p.shape), "trainable": p.requires_grad, "buffer": False}
        for n, p in module.named_parameters()
    ]
    record["params"] += [
        {"name": local_name(module, n), "shape": list(b.shape), "trainable": False, "buffer": True}
        for n, b in module.named_buffers()
    ]
    record["macs"] = flops // 2 if flops else None
    return record


def _flatten(out):
    if isinstance(out, torch.Tensor):
        return [out]
    result = []
    for item in out:
        result += _flatten(item)
    return result


# -- Keras -----------------------------------------------------------------------------


def keras_layer(type_name, a, name="layer"):
    import keras  # here, so that the PyTorch tables import without Keras

    L = keras.layers
    direct = {
        "Dense": lambda: L.Dense(a["units"], use_bias=a.get("use_bias", True), name=name),
        "Embedding": lambda: L.Embedding(a["input_dim"], a["output_dim"], name=name),
        "Identity": lambda: L.Identity(name=name),
        "Flatten": lambda: L.Flatten(name=name),
        "Dropout": lambda: L.Dropout(0.5, name=name),
        "SpatialDropout1D": lambda: L.SpatialDropout1D(0.5, name=name),
        "SpatialDropout2D": lambda: L.SpatialDropout2D(0.5, name=name),
        "SpatialDropout3D": lambda: L.SpatialDropout3D(0.5, name=name),
        "GaussianNoise": lambda: L.GaussianNoise(0.1, name=name),
        "GaussianDropout": lambda: L.GaussianDropout(0.1, name=name),
        "AlphaDropout": lambda: L.AlphaDropout(0.1, name=name),
        "ReLU": lambda: L.ReLU(
            max_value=a.get("max_value"),
            negative_slope=a.get("negative_slope", 0.0),
            threshold=a.get("threshold", 0.0),
            name=name,
        ),
        "ELU": lambda: L.ELU(name=name),
        "LeakyReLU": lambda: L.LeakyReLU(name=name),
        "Softmax": lambda: L.Softmax(axis=a.get("axis", -1), name=name),
        "PReLU": lambda: L.PReLU(shared_axes=a.get("shared_axes"), name=name),
        "Activation": lambda: L.Activation(a["activation"], name=name),
        "Reshape": lambda: L.Reshape(tuple(a["target_shape"]), name=name),
        "Permute": lambda: L.Permute(tuple(a["dims"]), name=name),
        "BatchNormalization": lambda: L.BatchNormalization(
            axis=a.get("axis", -1), center=a.get("center", True), scale=a.get("scale", True), name=name
        ),
        "LayerNormalization": lambda: L.LayerNormalization(
            axis=a.get("axis", -1),
            center=a.get("center", True),
            scale=a.get("scale", True),
            name=name,
            **({"rms_scaling": True} if a.get("rms_scaling") else {}),
        ),
        "GroupNormalization": lambda: L.GroupNormalization(
            **({"groups": a["groups"]} if "groups" in a else {}), axis=a.get("axis", -1), name=name
        ),
        "RMSNormalization": lambda: L.RMSNormalization(axis=a.get("axis", -1), name=name),
        "MultiHeadAttention": lambda: L.MultiHeadAttention(
            a["num_heads"],
            a["key_dim"],
            value_dim=a.get("value_dim"),
            output_shape=a.get("output_shape"),
            use_bias=a.get("use_bias", True),
            name=name,
        ),
        "Add": lambda: L.Add(name=name),
        "Subtract": lambda: L.Subtract(name=name),
        "Multiply": lambda: L.Multiply(name=name),
        "Average": lambda: L.Average(name=name),
        "Maximum": lambda: L.Maximum(name=name),
        "Minimum": lambda: L.Minimum(name=name),
        "Concatenate": lambda: L.Concatenate(axis=a.get("axis", -1), name=name),
    }
    if type_name in direct:
        return direct[type_name]()
    if type_name in KERAS_MORE:
        return KERAS_MORE[type_name](L, a, name)
    if type_name in ("SimpleRNN", "LSTM", "GRU"):
        kwargs = dict(
            return_sequences=a.get("return_sequences", False),
            return_state=a.get("return_state", False),
            use_bias=a.get("use_bias", True),
        )
        if type_name == "GRU":
            kwargs["reset_after"] = a.get("reset_after", True)
        if a.get("bidirectional"):
            inner = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[type_name]
            return L.Bidirectional(getattr(L, type_name)(a["units"], name=inner, **kwargs), name=name)
        return getattr(L, type_name)(a["units"], name=name, **kwargs)
    window = dict(
        kernel_size=a.get("kernel_size"),
        strides=a.get("strides", 1),
        padding=a.get("padding", "valid"),
        dilation_rate=a.get("dilation_rate", 1),
        use_bias=a.get("use_bias", True),
        name=name,
    )
    if type_name.startswith("Conv") and type_name.endswith("Transpose"):
        return getattr(L, type_name)(a["filters"], output_padding=a.get("output_padding"), **window)
    if type_name.startswith("Conv"):
        return getattr(L, type_name)(a["filters"], groups=a.get("groups", 1), **window)
    if type_name.startswith("Depthwise"):
        return getattr(L, type_name)(depth_multiplier=a.get("depth_multiplier", 1), **window)
    if type_name.startswith("Separable"):
        return getattr(L, type_name)(a["filters"], depth_multiplier=a.get("depth_multiplier", 1), **window)
    if "Pooling" in type_name and type_name.startswith("Global"):
        return getattr(L, type_name)(keepdims=a.get("keepdims", False), name=name)
    if "Pooling" in type_name:
        window = {"pool_size": a["pool_size"]} if "pool_size" in a else {}  # Keras' max poolings default to 2
        return getattr(L, type_name)(**window, strides=a.get("strides"), padding=a.get("padding", "valid"), name=name)
    if type_name.startswith("UpSampling"):
        return getattr(L, type_name)(a.get("size", 2), name=name)
    if type_name.startswith("ZeroPadding"):
        return getattr(L, type_name)(_keras_pairs(a.get("padding", 1)), name=name)
    if type_name.startswith("Cropping"):
        return getattr(L, type_name)(_keras_pairs(a.get("cropping", 1)), name=name)
    raise KeyError(type_name)


def _wrapped(L, a: dict):
    """The Keras layer a wrapper's `layer:` mapping describes, named as shapecli names it."""
    from shapecli.layers.wrappers import keras_name

    inner = dict(a["layer"])
    kind = inner.pop("type")
    return keras_layer(kind, inner, name=inner.pop("name", keras_name(kind)))


def _conv_lstm(rank: int):
    def build(L, a, name):
        return getattr(L, f"ConvLSTM{rank}D")(
            a["filters"],
            a["kernel_size"],
            strides=a.get("strides", 1),
            padding=a.get("padding", "valid"),
            data_format=a.get("data_format", "channels_last"),
            dilation_rate=a.get("dilation_rate", 1),
            use_bias=a.get("use_bias", True),
            return_sequences=a.get("return_sequences", False),
            return_state=a.get("return_state", False),
            name=name,
        )

    return build


KERAS_MORE = {
    "Rescaling": lambda L, a, name: L.Rescaling(a["scale"], a.get("offset", 0.0), name=name),
    "Normalization": lambda L, a, name: L.Normalization(
        axis=a.get("axis", -1), mean=a.get("mean"), variance=a.get("variance"), invert=a.get("invert", False), name=name
    ),
    "Resizing": lambda L, a, name: L.Resizing(
        a["height"],
        a["width"],
        interpolation=a.get("interpolation", "bilinear"),
        crop_to_aspect_ratio=a.get("crop_to_aspect_ratio", False),
        pad_to_aspect_ratio=a.get("pad_to_aspect_ratio", False),
        data_format=a.get("data_format", "channels_last"),
        name=name,
    ),
    "CenterCrop": lambda L, a, name: L.CenterCrop(
        a["height"], a["width"], data_format=a.get("data_format", "channels_last"), name=name
    ),
    "RepeatVector": lambda L, a, name: L.RepeatVector(a["n"], name=name),
    "Masking": lambda L, a, name: L.Masking(a.get("mask_value", 0.0), name=name),
    "Dot": lambda L, a, name: L.Dot(axes=a["axes"], normalize=a.get("normalize", False), name=name),
    "Attention": lambda L, a, name: L.Attention(
        use_scale=a.get("use_scale", False), score_mode=a.get("score_mode", "dot"), name=name
    ),
    "AdditiveAttention": lambda L, a, name: L.AdditiveAttention(use_scale=a.get("use_scale", True), name=name),
    "EinsumDense": lambda L, a, name: L.EinsumDense(
        a["equation"], a["output_shape"], bias_axes=a.get("bias_axes"), name=name
    ),
    "TimeDistributed": lambda L, a, name: L.TimeDistributed(_wrapped(L, a), name=name),
    "Bidirectional": lambda L, a, name: L.Bidirectional(
        _wrapped(L, a), merge_mode=a.get("merge_mode", "concat"), name=name
    ),
    **{f"ConvLSTM{r}D": _conv_lstm(r) for r in (1, 2, 3)},
}
"""Builders of the Keras types beyond `direct`'s: (keras.layers, spec arguments, name) → layer."""


def keras_call(layer, type_name: str, args: dict, xs: list, **kwargs):
    """Call a Keras layer of a reference case on its inputs, as the type takes them."""
    if type_name == "MultiHeadAttention":
        return layer(
            xs[0],
            xs[1],
            key=xs[2] if len(xs) > 2 else None,
            return_attention_scores=args.get("return_attention_scores", False),
            **kwargs,
        )
    if type_name in ("Attention", "AdditiveAttention"):
        return layer(
            xs,
            return_attention_scores=args.get("return_attention_scores", False),
            use_causal_mask=args.get("use_causal_mask", False),
            **kwargs,
        )
    if type_name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"):
        return layer(xs, **kwargs)
    return layer(xs[0], **kwargs)


def _keras_pairs(value):
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def run_keras(type_name, args, shapes):
    import keras

    record = {"type": type_name, "args": args, "inputs": shapes}
    try:
        layer = keras_layer(type_name, args)
        xs = [keras.ops.zeros(s, dtype="int32" if type_name == "Embedding" else "float32") for s in shapes]
        out = keras_call(layer, type_name, args, xs)
    except Exception as e:  # noqa: BLE001 - the framework's refusal is the record
        record["error"] = _message(e)
        return record
    outs = out if isinstance(out, (list, tuple)) else [out]
    record["outputs"] = [list(t.shape) for t in outs]
    record["params"] = [
        {"name": w.path.split("/", 1)[1], "shape": list(w.shape), "trainable": w.trainable, "buffer": False}
        for w in layer.weights
    ]
    record["macs"] = None
    return record


# -- the grid --------------------------------------------------------------------------


def torch_cases():
    c = []
    add = lambda t, a, *s: c.append((t, a, [list(x) for x in s]))  # noqa: E731
    for units, bias, shape in P((1, 7, 32), (True, False), ((2, 20), (3, 5, 9), (9,))):
        add("Dense", {"units": units, "use_bias": bias}, shape)
    for out, shapes in P((1, 6), (((2, 3), (2, 5)), ((4, 2, 3), (4, 2, 7)), ((3,), (4,)))):
        add("Bilinear", {"out_features": out}, *shapes)
    for n, d, pad, shape in P((10, 50), (4, 16), (None, 0, -1), ((2, 7), (3,), (2, 3, 4))):
        add(
            "Embedding",
            {"num_embeddings": n, "embedding_dim": d, **({} if pad is None else {"padding_idx": pad})},
            shape,
        )
    add("Embedding", {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": 5}, (2, 3))
    for rank in (1, 2, 3):
        spatial = {1: [(17,), (8,)], 2: [(17, 12), (7, 7)], 3: [(9, 8, 7)]}[rank]
        grid = [
            {"kernel_size": 3},
            {"kernel_size": 3, "stride": 2},
            {"kernel_size": 3, "padding": 1},
            {"kernel_size": 4, "stride": 3, "padding": 2},
            {"kernel_size": 3, "dilation": 2},
            {"kernel_size": 3, "padding": "same"},
            {"kernel_size": 4, "padding": "same", "dilation": 2},
            {"kernel_size": 3, "padding": "valid"},
            {"kernel_size": 3, "stride": 2, "padding": "same"},
            {"kernel_size": 1, "groups": 2},
            {"kernel_size": 3, "groups": 4, "bias": False},
            {"kernel_size": 3, "groups": 3},
            {"kernel_size": 25},
            {"kernel_size": 2, "padding_mode": "reflect", "padding": 1},
        ]
        if rank > 1:
            grid += [
                {
                    "kernel_size": [3, 1] + [1] * (rank - 2),
                    "stride": [1, 2] + [1] * (rank - 2),
                    "padding": [1, 0] + [0] * (rank - 2),
                }
            ]
        for a, sp, channels in P(grid, spatial, (4, 8)):
            add(f"Conv{rank}d", {"filters": 8, **a}, (2, channels, *sp))
        add(f"Conv{rank}d", {"filters": 6, "kernel_size": 3}, (4, *spatial[0]))
        add(f"Conv{rank}d", {"filters": 6, "kernel_size": 3, "groups": 4}, (2, 8, *spatial[0]))
        tgrid = [
            {"kernel_size": 2, "stride": 2},
            {"kernel_size": 3},
            {"kernel_size": 3, "stride": 2, "padding": 1},
            {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
            {"kernel_size": 4, "stride": 3, "dilation": 2},
            {"kernel_size": 3, "stride": 2, "output_padding": 2},
            {"kernel_size": 3, "stride": 2, "dilation": 3, "output_padding": 2},
            {"kernel_size": 3, "groups": 2},
            {"kernel_size": 3, "bias": False},
            {"kernel_size": 5, "padding": 3},
        ]
        for a, sp in P(tgrid, spatial):
            add(f"ConvTranspose{rank}d", {"filters": 6, **a}, (2, 4, *sp))
        pgrid = [
            {"kernel_size": 2},
            {"kernel_size": 3, "stride": 2},
            {"kernel_size": 3, "stride": 2, "padding": 1},
            {"kernel_size": 2, "ceil_mode": True},
            {"kernel_size": 3, "stride": 2, "ceil_mode": True},
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
            {"kernel_size": 2, "stride": 3, "ceil_mode": True},
            {"kernel_size": 3, "padding": 2},
            {"kernel_size": 4, "stride": 1, "padding": 2},
        ]
        for kind, a, sp in P(("Max", "Avg"), pgrid, spatial):
            add(f"{kind}Pool{rank}d", a, (2, 3, *sp))
        for sp in spatial:
            add(f"MaxPool{rank}d", {"kernel_size": 3, "stride": 2, "dilation": 2}, (2, 3, *sp))
            add(
                f"MaxPool{rank}d",
                {"kernel_size": 3, "stride": 1, "dilation": 2, "padding": 2, "ceil_mode": True},
                (2, 3, *sp),
            )
        for kind, size, sp in P(("Avg", "Max"), (1, 3, [2] * rank), spatial):
            add(f"Adaptive{kind}Pool{rank}d", {"output_size": size}, (2, 5, *sp))
        add(f"BatchNorm{rank}d", {}, (2, 5, *spatial[0]))
        add(f"BatchNorm{rank}d", {"affine": False}, (2, 5, *spatial[0]))
        add(f"BatchNorm{rank}d", {"track_running_stats": False}, (2, 5, *spatial[0]))
        add(f"BatchNorm{rank}d", {"num_features": 4}, (2, 5, *spatial[0]))
        add(f"BatchNorm{rank}d", {}, (2, 5))
        for affine, track in P((False, True), (False, True)):
            add(f"InstanceNorm{rank}d", {"affine": affine, "track_running_stats": track}, (2, 5, *spatial[0]))
        add(f"InstanceNorm{rank}d", {"affine": True}, (5, *spatial[0]))
        for pad in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad"):
            for padding in (1, [1, 2] * rank, [3, 0] * rank, 9):
                add(f"{pad}{rank}d", {"padding": padding}, (2, 3, *[8] * rank))
            add(f"{pad}{rank}d", {"padding": 2}, (3, *[6] * rank))
    add("BatchNorm1d", {}, (2, 5, 3, 3))
    add("BatchNorm2d", {}, (2, 5, 3))
    for shape, norm in (((2, 5, 4), [4]), ((2, 5, 4), [5, 4]), ((2, 5, 4), [5]), ((3, 6), [6]), ((2, 3, 4, 5), [4, 5])):
        for affine, bias in ((True, True), (True, False), (False, True)):
            add("LayerNorm", {"normalized_shape": norm, "affine": affine, "bias": bias}, shape)
        add("RMSNorm", {"normalized_shape": norm}, shape)
        add("RMSNorm", {"normalized_shape": norm, "affine": False}, shape)
    for groups, shape in P((1, 2, 3), ((2, 6, 4), (2, 6, 4, 4), (2, 4))):
        add("GroupNorm", {"num_groups": groups}, shape)
        add("GroupNorm", {"num_groups": groups, "affine": False}, shape)
    add("LocalResponseNorm", {"size": 3}, (2, 5, 4, 4))
    for kind in ("RNN", "LSTM", "GRU"):
        for layers, bi, bf, bias, shape in P((1, 2), (False, True), (False, True), (True, False), ((7, 2, 5), (6, 5))):
            add(
                kind,
                {"hidden_size": 4, "num_layers": layers, "bidirectional": bi, "batch_first": bf, "bias": bias},
                shape,
            )
    for proj, layers, bi in P((2, 3), (1, 3), (False, True)):
        add("LSTM", {"hidden_size": 4, "proj_size": proj, "num_layers": layers, "bidirectional": bi}, (7, 2, 5))
    add("LSTM", {"hidden_size": 4, "proj_size": 4}, (7, 2, 5))
    for heads, bias, kv, zero, bf in P((1, 2), (True, False), (False, True), (False, True), (False, True)):
        q = (2, 5, 8) if bf else (5, 2, 8)
        k = (2, 7, 8) if bf else (7, 2, 8)
        add(
            "MultiheadAttention",
            {"num_heads": heads, "bias": bias, "add_bias_kv": kv, "add_zero_attn": zero, "batch_first": bf},
            q,
            k,
            k,
        )
    for kdim, vdim in ((5, 6), (8, 6), (5, 8)):
        add("MultiheadAttention", {"num_heads": 2, "kdim": kdim, "vdim": vdim}, (5, 2, 8), (7, 2, kdim), (7, 2, vdim))
        add(
            "MultiheadAttention",
            {"num_heads": 2, "kdim": kdim, "vdim": vdim, "batch_first": True},
            (2, 5, 8),
            (2, 7, kdim),
            (2, 7, vdim),
        )
    add("MultiheadAttention", {"num_heads": 2}, (5, 8), (7, 8), (7, 8))
    add("MultiheadAttention", {"num_heads": 2, "average_attn_weights": False}, (5, 2, 8), (7, 2, 8), (7, 2, 8))
    add("MultiheadAttention", {"num_heads": 3}, (5, 2, 8), (7, 2, 8), (7, 2, 8))
    add("MultiheadAttention", {"num_heads": 2}, (5, 2, 8), (7, 2, 6), (7, 2, 8))
    add("MultiheadAttention", {"num_heads": 2}, (5, 2, 8))
    for nhead, ff, bf, bias in P((1, 2), (16, 32), (False, True), (True, False)):
        add(
            "TransformerEncoderLayer",
            {"nhead": nhead, "dim_feedforward": ff, "batch_first": bf, "bias": bias},
            (5, 2, 8),
        )
        add(
            "TransformerDecoderLayer",
            {"nhead": nhead, "dim_feedforward": ff, "batch_first": bf, "bias": bias},
            (5, 2, 8),
            (7, 2, 8) if not bf else (5, 7, 8),
        )
    add("TransformerEncoderLayer", {"nhead": 3}, (5, 2, 8))
    for w in (
        *PLAIN_ACTIVATIONS,
        "Hardtanh",
        "Softshrink",
        "Hardshrink",
        "LeakyReLU",
        "Identity",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
    ):
        for shape in ((2, 3, 4), (2, 3, 4, 5, 6)):
            add(w, {}, shape)
    add("Threshold", {"threshold": 0.1, "value": 0.0}, (2, 3))
    for w, d, shape in P(("Softmax", "LogSoftmax", "Softmin"), (0, -1, 2, 3), ((2, 3, 4),)):
        add(w, {"dim": d}, shape)
    for n, shape in P((1, 3), ((2, 3, 4), (2, 3), (3,), (2, 4, 5))):
        add("PReLU", {"num_parameters": n}, shape)
    for d, shape in P((-1, 1), ((2, 4, 6), (2, 3, 5))):
        add("GLU", {"dim": d}, shape)
    for s, e, shape in P((0, 1, 2), (-1, 2), ((2, 3, 4, 5), (6,))):
        add("Flatten", {"start_dim": s, "end_dim": e}, shape)
    for dim, sizes in ((1, [3, 4]), (1, [2, -1]), (-1, [5, 1]), (1, [5, 2])):
        add("Unflatten", {"dim": dim, "unflattened_size": sizes}, (2, 12, 5))
    for shape in (((2, 5), (2, 5)), ((2, 5), (5,)), ((2, 1, 5), (3, 1)), ((2, 5), (2, 6)), ((4, 1, 3), (2, 3))):
        for w in ("Add", "Subtract", "Multiply", "Maximum", "Minimum"):
            add(w, {}, *shape)
    for dim, shapes in (
        (1, ((2, 3), (2, 4))),
        (0, ((2, 3), (5, 3))),
        (-1, ((2, 3, 4), (2, 3, 1))),
        (1, ((2, 3), (3, 3))),
        (2, ((2, 3), (2, 3))),
        (1, ((2, 3), (2, 3, 1))),
    ):
        add("Concat", {"dim": dim}, *shapes)
    for shapes in (
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (3, 4)),
        ((5, 1, 2, 3), (4, 3, 6)),
        ((2, 3), (4, 5)),
        ((2, 2, 3), (3, 3, 4)),
    ):
        add("MatMul", {}, *shapes)
    for shape, target in (
        ((2, 12), [3, 4]),
        ((2, 3, 4), [-1]),
        ((2, 3, 4), [6, -1]),
        ((2, 3, 4), [5, -1]),
        ((2, 3, 4), [2, 5]),
    ):
        add("Reshape", {"shape": target}, shape)
    for dims in ([0, 2, 1], [2, 0, 1], [0, 1]):
        add("Permute", {"dims": dims}, (2, 3, 4))
    for a, b in ((0, 1), (-1, 1), (0, 3)):
        add("Transpose", {"dim0": a, "dim1": b}, (2, 3, 4))
    for args, shape in (({}, (2, 1, 3, 1)), ({"dim": 1}, (2, 1, 3)), ({"dim": 2}, (2, 1, 3)), ({"dim": -1}, (1, 1))):
        add("Squeeze", args, shape)
    for d in (0, 2, -1, 4):
        add("Unsqueeze", {"dim": d}, (2, 3, 4))
    for a in (
        {"axis": 1, "start": 1},
        {"axis": 1, "start": 0, "stop": 2},
        {"axis": -1, "start": -2},
        {"axis": 1, "start": 0, "stop": 10, "step": 2},
        {"axis": 2, "start": 1, "stop": 3},
    ):
        add("Slice", a, (2, 5, 4))
    for axis, index in ((1, 0), (0, -1), (1, 4), (2, 3)):
        add("Select", {"axis": axis, "index": index}, (2, 4, 3))
    for args, shape in (
        ({"scale_factor": 2}, (2, 3, 5)),
        ({"scale_factor": 2}, (2, 3, 5, 7)),
        ({"size": [9, 4]}, (2, 3, 5, 7)),
        ({"scale_factor": 1.5}, (2, 3, 5, 7)),
        ({"scale_factor": [2, 3]}, (2, 3, 5, 7)),
        ({"scale_factor": 2, "mode": "trilinear"}, (1, 2, 3, 4, 5)),
        ({"size": [10]}, (2, 3, 5)),
    ):
        add("Upsample", args, shape)
    tensor_and_adapting_cases(add)
    c += torch_cases_added()
    return c


def torch_cases_added() -> list:
    """The cases of the layer types and arguments added with issue 12 (PixelShuffle … Lazy names)."""
    c = []
    add = lambda t, a, *s: c.append((t, a, [list(x) for x in s]))  # noqa: E731
    for r, shape in P((1, 2, 3), ((2, 18, 4, 5), (18, 3, 2), (2, 3, 8, 4, 6), (7, 4), (2, 8, 4, 5))):
        add("PixelShuffle", {"upscale_factor": r}, shape)
        add("PixelUnshuffle", {"downscale_factor": r}, shape)
    for args, shapes in (
        ({}, [(4, 5)]),
        ({"mode": "sum"}, [(4, 5), (4, 5)]),
        ({"mode": "sum"}, [(4, 5), (4, 4)]),
        ({"mode": "mean"}, [(4, 5), (4, 5)]),
        ({"mode": "max"}, [(3, 2)]),
        ({}, [(7,), (3,)]),
        ({"include_last_offset": True}, [(7,), (3,)]),
        ({"include_last_offset": True, "mode": "sum"}, [(7,), (3,), (7,)]),
        ({"include_last_offset": True}, [(4, 5)]),
        ({}, [(7,)]),
        ({}, [(7,), (2, 2)]),
        ({}, [(2, 3, 4)]),
        ({}, [(4, 5), (4,), (4, 5)]),
        ({"padding_idx": 2, "max_norm": 1.0}, [(4, 5)]),
        ({"mode": "sum"}, [(7,), (3,), (6,)]),
    ):
        add("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3, **args}, *shapes)
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        states = 2 if kind == "LSTMCell" else 1
        for bias, shapes in P(
            (True, False),
            (
                [(3, 5)],
                [(5,)],
                [(3, 5)] + [(3, 4)] * states,
                [(5,)] + [(4,)] * states,
                [(3, 5)] + [(2, 4)] * states,
                [(3, 5)] + [(3, 6)] * states,
                [(3, 5)] + [(4,)] * states,
                [(2, 3, 5)],
            ),
        ):
            add(kind, {"hidden_size": 4, "bias": bias}, *shapes)
        add(kind, {"hidden_size": 4, "input_size": 6}, (3, 5))
    add("RNNCell", {"hidden_size": 4, "nonlinearity": "relu"}, (3, 5))
    add("LSTMCell", {"hidden_size": 4}, (3, 5), (3, 4))
    for kind, shapes in (("Encoder", [(5, 2, 8)]), ("Decoder", [(5, 2, 8), (7, 2, 8)])):
        for layers, norm, bias, first in ((1, False, True, False), (2, True, True, False), (3, True, False, True)):
            args = {"nhead": 2, "dim_feedforward": 16, "num_layers": layers, "norm": norm, "bias": bias}
            add(f"Transformer{kind}", {**args, "norm_first": first}, *shapes)
        add(f"Transformer{kind}", {"nhead": 3, "dim_feedforward": 16, "num_layers": 2}, *shapes)
        add(f"Transformer{kind}", {"nhead": 2, "num_layers": 2, "batch_first": True}, *[(2, s[0], 8) for s in shapes])
    for args, shapes in (
        ({"nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 16}, [(5, 2, 8), (7, 2, 8)]),
        ({"nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 2, "batch_first": True}, [(2, 5, 8), (2, 7, 8)]),
        ({"nhead": 4, "num_encoder_layers": 1, "num_decoder_layers": 1, "bias": False}, [(5, 8), (3, 8)]),
        ({"nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 1}, [(5, 2, 8), (7, 3, 8)]),
        ({"nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 1}, [(5, 2, 8), (7, 2, 6)]),
        ({"nhead": 3, "num_encoder_layers": 1, "num_decoder_layers": 1}, [(5, 2, 8), (7, 2, 8)]),
        ({"d_model": 6, "num_encoder_layers": 1, "num_decoder_layers": 1, "nhead": 2}, [(5, 2, 8), (7, 2, 8)]),
        ({}, [(3, 1, 16), (2, 1, 16)]),
    ):
        add("Transformer", args, *shapes)
    for rank in (1, 2, 3):
        spatial = {1: (9,), 2: (9, 8), 3: (5, 6, 7)}[rank]
        for args, shape in (
            ({"kernel_size": 2}, (2, 3, *spatial)),
            ({"kernel_size": 3, "stride": 2, "padding": 1}, (2, 3, *spatial)),
            ({"kernel_size": 2}, (3, *spatial)),
            ({"kernel_size": 3, "stride": 1, "output_size": [s + 2 for s in spatial]}, (2, 3, *spatial)),
            ({"kernel_size": 2, "output_size": [2 * s + 1 for s in spatial]}, (2, 3, *spatial)),
            ({"kernel_size": 2, "output_size": [2 * s + 2 for s in spatial]}, (2, 3, *spatial)),
            ({"kernel_size": 3, "stride": 2, "output_size": [1, 2, *spatial]}, (1, 2, *spatial)),
            ({"kernel_size": 1, "padding": 1}, (2, 3, *[1] * rank)),
            ({"kernel_size": 2}, (2, 3, 4, *spatial)),
        ):
            add(f"MaxUnpool{rank}d", args, shape, shape)
        add(f"MaxUnpool{rank}d", {"kernel_size": 2}, (2, 3, *spatial), (2, 4, *spatial))
        for args, sp in P(
            (
                {"norm_type": 2, "kernel_size": 2},
                {"norm_type": 1, "kernel_size": 3, "stride": 2},
                {"norm_type": 2, "kernel_size": 3, "stride": 2, "ceil_mode": True},
                {"norm_type": 4, "kernel_size": 4, "stride": 3, "ceil_mode": True},
                {"norm_type": 2, "kernel_size": 10},
            ),
            ((2, 3, *spatial), (3, *spatial), (2, 3, *[3] * rank)),
        ):
            add(f"LPPool{rank}d", args, sp)
        for padding in (1, [2, 1] * rank, [-1, 2] * rank, 4, [3, 0] * rank):
            add(f"CircularPad{rank}d", {"padding": padding}, (2, 3, *[3] * rank))
        add(f"CircularPad{rank}d", {"padding": 1}, (3, *[4] * rank))
        add(f"CircularPad{rank}d", {"padding": 1}, (2, 3, 2, *[4] * rank))
        add(f"MaxPool{rank}d", {"kernel_size": 2, "return_indices": True}, (2, 3, *spatial))
        add(f"MaxPool{rank}d", {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True}, (3, *spatial))
        add(f"AdaptiveMaxPool{rank}d", {"output_size": 2, "return_indices": True}, (2, 3, *spatial))
        if rank > 1:
            add(f"AvgPool{rank}d", {"kernel_size": 2, "divisor_override": 3}, (2, 3, *spatial))
        add(f"LazyConv{rank}d", {"filters": 4, "kernel_size": 2}, (2, 3, *spatial))
        add(f"LazyConvTranspose{rank}d", {"filters": 4, "kernel_size": 2, "stride": 2}, (2, 3, *spatial))
        add(f"LazyBatchNorm{rank}d", {}, (2, 3, *spatial))
        add(f"LazyInstanceNorm{rank}d", {}, (2, 3, *spatial))
        add(f"LazyInstanceNorm{rank}d", {"affine": False, "track_running_stats": False}, (3, *spatial))
    add("LazyLinear", {"units": 4}, (3, 5))
    for args, shape in (
        ({"kernel_size": 2}, (2, 3, 5, 6)),
        ({"kernel_size": [2, 3], "stride": 2, "padding": 1, "dilation": [1, 2]}, (2, 3, 7, 8)),
        ({"kernel_size": 3}, (3, 5, 6)),
        ({"kernel_size": 6}, (2, 3, 5, 6)),
        ({"kernel_size": 2}, (2, 3, 5)),
        ({"kernel_size": 2}, (2, 3, 4, 5, 6)),
    ):
        add("Unfold", args, shape)
    for args, shape in (
        ({"output_size": [5, 6], "kernel_size": 2}, (2, 12, 20)),
        ({"output_size": [5, 6], "kernel_size": 2}, (12, 20)),
        ({"output_size": [7, 8], "kernel_size": [2, 3], "stride": 2, "padding": 1, "dilation": [1, 2]}, (2, 18, 16)),
        ({"output_size": [5, 6], "kernel_size": 2}, (2, 12, 21)),
        ({"output_size": [5, 6], "kernel_size": 2}, (2, 10, 20)),
        ({"output_size": [2, 2], "kernel_size": 3}, (2, 9, 1)),
        ({"output_size": [5, 6], "kernel_size": 2}, (2, 3, 12, 20)),
    ):
        add("Fold", args, shape)
    for kind in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        for args, shape in (
            ({"scale_factor": 2}, (2, 3, 4, 5)),
            ({"size": [7, 9]}, (2, 3, 4, 5)),
            ({"scale_factor": 1.5}, (2, 3, 5, 7)),
            ({"scale_factor": 2}, (2, 3, 4)),
            ({"size": 6}, (2, 3, 4, 5, 6)),
        ):
            add(kind, args, shape)
    for dim, shapes in (
        (1, ((2, 3), (2, 3))),
        (1, ((2, 3, 4), (3, 1))),
        (0, ((3,), (3,))),
        (-1, ((2, 3, 4), (4,))),
        (2, ((2, 3), (2, 3))),
        (1, ((2, 3), (4, 3))),
        (0, ((), ())),
    ):
        add("CosineSimilarity", {"dim": dim}, *shapes)
    for keep, shapes in P((False, True), (((2, 3), (2, 3)), ((2, 3, 4), (3, 1)), ((3,), (3,)), ((2, 3), (2, 4)))):
        add("PairwiseDistance", {"keepdim": keep}, *shapes)
    add("PairwiseDistance", {"p": 1.0}, (4, 5), (4, 5))
    for args, shape in (
        ({}, (2, 5)),
        ({}, (2, 5, 4, 3)),
        ({"affine": False}, (2, 5, 3)),
        ({"track_running_stats": False}, (1, 5)),
        ({"num_features": 4}, (2, 5, 3)),
        ({}, (5,)),
    ):
        add("SyncBatchNorm", args, shape)
    for args in ({}, {"lower": 0.1, "upper": 0.3}, {"lower": 0.5, "upper": 0.1}, {"inplace": True}):
        add("RReLU", args, (2, 3, 4))
    for shape in ((2, 3, 4, 5), (3, 4, 5), (3, 4), (2, 3, 4, 5, 6)):
        add("Softmax2d", {}, shape)
    for args, shape in (
        ({"p": 0.2, "mode": "row"}, (4, 3, 5)),
        ({"p": 0.5, "mode": "batch"}, (4, 3)),
        ({"p": 0.0, "mode": "row"}, (4,)),
    ):
        add("StochasticDepth", args, shape)
    for args in (
        {"max_norm": 1.0},
        {"max_norm": 2.0, "norm_type": 1.0, "scale_grad_by_freq": True},
        {"sparse": True},
    ):
        add("Embedding", {"num_embeddings": 10, "embedding_dim": 4, **args}, (2, 3))
    for w in ("ReLU", "ReLU6", "SELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish", "ELU", "CELU", "LeakyReLU"):
        add(w, {"inplace": True}, (2, 3, 4))
    add("Hardtanh", {"inplace": True, "min_val": -0.5}, (2, 3, 4))
    add("Threshold", {"threshold": 0.1, "value": 0.0, "inplace": True}, (2, 3))
    for w in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"):
        add(w, {"inplace": True}, (2, 3, 4, 5))
    add("GELU", {"approximate": "tanh"}, (2, 3, 4))
    add("Softplus", {"beta": 2.0, "threshold": 5.0}, (2, 3, 4))
    for args, shape in (
        ({"scale_factor": 1.5, "recompute_scale_factor": True}, (2, 3, 5, 7)),
        ({"scale_factor": 1.7, "recompute_scale_factor": True, "mode": "bilinear"}, (2, 3, 5, 7)),
        ({"size": [6, 8], "recompute_scale_factor": True}, (2, 3, 5, 7)),
        ({"scale_factor": 2, "recompute_scale_factor": False}, (2, 3, 5)),
    ):
        add("Upsample", args, shape)
    return c


def tensor_and_adapting_cases(add):
    """Cases of the standalone tensors and the shape-adapting layers (PyTorch only: Keras has
    no layers for them, only keras.ops)."""
    for args in ({"shape": [3]}, {"shape": [1, 1, 8]}, {"shape": []}, {"shape": [2, 3], "trainable": False}):
        add("Parameter", args)
    for args in ({"shape": [5]}, {"shape": [2401], "dtype": "int64"}, {"shape": [2, 2]}):
        add("Buffer", args)
    for args, shape in (
        ({"axis": 1, "param_name": ""}, (2, 4, 5, 5)),
        ({"axis": 1, "param_name": "", "init_values": 1.0}, (2, 4, 5)),
        ({}, (2, 5, 8)),
        ({"axis": -1}, (3, 8)),
        ({"axis": 1}, (2, 4, 5, 5)),
        ({"axis": -1, "channels": 8}, (2, 5, 8)),
        ({"axis": -1, "channels": 6}, (2, 5, 8)),
    ):
        add("LayerScale", args, shape)
    for args, shape in (
        ({"multiple": 7, "axes": [1, 2]}, (2, 9, 14, 3)),
        ({"multiple": 7, "axes": [1, 2]}, (2, 7, 1, 3)),
        ({"multiple": [2, 3], "axes": [-2, -1]}, (2, 3, 5, 7)),
        ({"multiple": 4, "axes": [1], "side": "start"}, (2, 5, 3)),
        ({"multiple": 4, "axes": [1], "side": "both"}, (2, 5, 3)),
        ({"multiple": 4, "axes": [2]}, (2, 5, 3)),
        ({"multiple": 1, "axes": [0]}, (2, 5)),
    ):
        add("PadToMultiple", args, shape)
    for mode, padding, shape in (
        ("constant", [1, 2], (2, 3, 4)),
        ("constant", [1, 1, 2, 2, 3, 3], (2, 3, 4)),
        ("constant", [1, 1, 1, 1, 1, 1, 1, 1], (2, 3, 4)),
        ("constant", [-1, 2], (2, 3, 4)),
        ("constant", [-5, 3], (2, 3, 4)),
        ("constant", [0, 0, 0, 1, 0, 1], (2, 7, 7, 3)),
        ("constant", [1, 1], (4,)),
        *(
            (mode, padding, shape)
            for mode in ("reflect", "replicate", "circular")
            for padding, shape in (
                ([1, 1], (2, 3)),
                ([1, 1], (2, 3, 4)),
                ([1, 2, 3, 0], (2, 3, 4)),
                ([1, 1], (3,)),
                ([1, 1, 1, 1], (2, 3, 4, 5)),
                ([1, 1, 1, 1, 1, 1], (2, 3, 4, 5)),
                ([1, 1, 1, 1, 1, 1], (2, 3, 4, 5, 6)),
                ([1, 1], (2, 3, 4, 5)),
                ([4, 0], (2, 3, 4)),
                ([5, 0], (2, 3, 4)),
                ([-1, 2], (2, 3, 4)),
                ([3, -1], (2, 3, 4)),
                ([-5, 0], (2, 3, 4)),
            )
        ),
        # cropping a whole axis, then padding it: PyTorch's circular mode leaves that element uninitialized
        # (shapecli refuses it, tools/difffuzz.py ACCEPTED), its other modes fill it
        ("reflect", [-4, 1], (2, 3, 4)),
        ("replicate", [-4, 1], (2, 3, 4)),
    ):
        add("Pad", {"mode": mode, "padding": padding}, shape)
    for args, shape in (
        ({"size": 3, "axes": [1]}, (2, 5, 4)),
        ({"size": [3, 2], "axes": [1, 2], "align": "start"}, (2, 5, 4)),
        ({"size": [3, 2], "axes": [-2, -1], "align": "end"}, (2, 5, 4)),
        ({"size": 6, "axes": [1]}, (2, 5, 4)),
        ({"size": 2, "axes": [3]}, (2, 5, 4)),
    ):
        add("Crop", args, shape)
    for args, shapes in (
        ({"axes": [2, 3]}, ((1, 4, 9, 8), (1, 2, 5, 5))),
        ({"axes": [1], "align": "start"}, ((2, 7), (3, 4))),
        ({"axes": [1]}, ((2, 4), (2, 5))),
        ({"axes": [2]}, ((2, 4, 3), (2, 4))),
    ):
        add("CropTo", args, *shapes)
    for args, shape in (
        ({"shifts": [-3, -3], "dims": [1, 2]}, (2, 7, 7, 3)),
        ({"shifts": 2}, (3, 4)),
        ({"shifts": [1, 2]}, (3, 4)),
        ({"shifts": 1, "dims": 0}, ()),
        ({"shifts": 1, "dims": 2}, (3, 4)),
        ({"shifts": [1, 2], "dims": [0, 0]}, (3, 4)),
    ):
        add("Roll", args, shape)
    for groups, shape in ((2, (2, 4, 3)), (2, (2, 4)), (3, (2, 4, 3, 3)), (4, (2, 8, 3, 3, 3)), (1, (1, 3, 2))):
        add("ChannelShuffle", {"groups": groups}, shape)
    for dim, shapes in (
        (0, ((169, 3), (2401,))),
        (1, ((2, 5), (3,))),
        (-1, ((2, 5, 4), ())),
        (0, ((5, 3), (2, 2))),
        (2, ((5, 3), (4,))),
    ):
        add("IndexSelect", {"dim": dim}, *shapes)
    for args, shape in (
        ({"sizes": [2, 3], "dim": 1}, (2, 5, 3)),
        ({"sizes": [2, 2], "dim": 1}, (2, 5, 3)),
        ({"sizes": 2, "count": 3, "dim": 1}, (2, 5, 3)),
        ({"sizes": 5, "count": 1, "dim": -1}, (2, 5, 3)),
        ({"sizes": [1, 1, 1], "dim": 0}, (3, 2)),
        ({"sizes": [1, 1], "dim": 0}, ()),
    ):
        add("Split", args, shape)
    for args, shape in (
        ({"chunks": 3, "dim": 1}, (2, 5, 3)),
        ({"chunks": 2, "dim": 1}, (2, 116, 7, 7)),
        ({"chunks": 3, "dim": 0}, (9,)),
        ({"chunks": 1, "dim": -1}, (2, 3)),
        ({"chunks": 2, "dim": 0}, ()),
    ):
        add("Chunk", args, shape)
    for axis, shapes in (
        (0, ((2, 3), (2, 3))),
        (2, ((2, 3), (2, 3), (2, 3))),
        (-1, ((4,),)),
        (3, ((2, 3), (2, 3))),
        (0, ((2, 3), (2, 4))),
        (0, ((), ())),
    ):
        add("Stack", {"axis": axis}, *shapes)
    for op, axes, keep, shape in (
        ("mean", [1], False, (2, 3, 4)),
        ("sum", [1, 2], True, (2, 3, 4)),
        ("max", [-1], False, (2, 3, 4)),
        ("min", [0, 2], False, (2, 3, 4)),
        ("mean", None, False, (2, 3, 4)),
        ("sum", None, True, (2, 3)),
        ("max", [1, 1], False, (2, 3)),
        ("mean", [2], False, (2, 3)),
        ("sum", [0], False, ()),
    ):
        add("Reduce", {"op": op, **({} if axes is None else {"axes": axes}), "keepdims": keep}, shape)
    for equation, shapes in (
        ("ij,jk->ik", ((2, 3), (3, 4))),
        ("bij,bjk->bik", ((5, 2, 3), (5, 3, 4))),
        ("bij,bjk->bik", ((1, 2, 3), (5, 3, 4))),
        ("bhqd,bhkd->bhqk", ((2, 3, 4, 5), (2, 3, 6, 5))),
        ("...ij,...jk->...ik", ((5, 1, 2, 3), (4, 3, 6))),
        ("ij,kl->ijkl", ((2, 3), (4, 5))),
        ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 5))),
        ("ij,jk,kl->il", ((20, 3), (3, 40), (40, 5))),
        ("i,i->", ((5,), (5,))),
        ("i,i->i", ((5,), (5,))),
        ("ij,ij->i", ((2, 3), (2, 3))),
        ("aB,Ba", ((2, 3), (3, 2))),
        ("ii->i", ((3, 3),)),
        ("ii->i", ((3, 4),)),
        ("ij,jk->ik", ((2, 1), (4, 4))),
        ("ij,jk->ik", ((2, 3), (4, 4))),
        ("ijk,ikl->ijl", ((3, 2, 1), (3, 1, 4))),
        ("i...->...", ((2, 3, 4),)),
        ("ij->ij", ((2, 3, 4),)),
        ("ij,jk", ((2, 3),)),
        ("ij,jk", ((2, 3), (3, 4), (1,))),
        ("b i d, b j d -> b i j", ((2, 3, 4), (2, 5, 4))),
        ("i,ii->i", ((3,), (3, 3))),
        ("bn,anm,bm->ba", ((2, 3), (4, 3, 5), (2, 5))),
    ):
        add("Einsum", {"equation": equation}, *shapes)
    for sizes, shape in (
        ([2, 3, -1], (3, 1)),
        ([-1, 4], (3, 1)),
        ([2, 3], ()),
        ([-1, 3, 4], (3, 1)),
        ([3], (3, 1)),
        ([3, 5], (3, 2)),
        ([-1, -1], (3, 2)),
    ):
        add("Expand", {"sizes": sizes}, shape)
    for reps, shape in (([2], (3, 2)), ([2, 1, 3], (3, 2)), ([2, 2], (3, 2)), ([2, 3], ()), ([1], (4,))):
        add("Tile", {"repeats": reps}, shape)
        add("Repeat", {"repeats": reps}, shape)


def keras_cases():
    c = []
    add = lambda t, a, *s: c.append((t, a, [list(x) for x in s]))  # noqa: E731
    for units, bias, shape in P((1, 7, 32), (True, False), ((2, 20), (3, 5, 9))):
        add("Dense", {"units": units, "use_bias": bias}, shape)
    for n, d, shape in P((10, 50), (4, 16), ((2, 7), (3,))):
        add("Embedding", {"input_dim": n, "output_dim": d}, shape)
    for rank in (1, 2, 3):
        spatial = {1: [(17,), (8,)], 2: [(17, 12), (7, 7)], 3: [(9, 8, 7)]}[rank]
        grid = [
            {"kernel_size": 3},
            {"kernel_size": 3, "strides": 2},
            {"kernel_size": 3, "padding": "same"},
            {"kernel_size": 4, "strides": 3, "padding": "same"},
            {"kernel_size": 7, "strides": 2, "padding": "same"},
            {"kernel_size": 3, "dilation_rate": 2},
            {"kernel_size": 3, "dilation_rate": 2, "padding": "same"},
            {"kernel_size": 3, "strides": 2, "dilation_rate": 2},
            {"kernel_size": 1, "groups": 2},
            {"kernel_size": 3, "groups": 4, "use_bias": False},
            {"kernel_size": 20},
        ]
        if rank == 1:
            grid += [{"kernel_size": 3, "padding": "causal"}, {"kernel_size": 3, "padding": "causal", "strides": 2}]
        for a, sp in P(grid, spatial):
            add(f"Conv{rank}D", {"filters": 8, **a}, (2, *sp, 4))
        tgrid = [
            {"kernel_size": 2, "strides": 2},
            {"kernel_size": 3},
            {"kernel_size": 3, "strides": 2, "padding": "same"},
            {"kernel_size": 3, "strides": 2},
            {"kernel_size": 3, "strides": 2, "output_padding": 1},
            {"kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 2},
            {"kernel_size": 3, "dilation_rate": 2},
            {"kernel_size": 5, "strides": 2, "padding": "same", "output_padding": 0},
            {"kernel_size": 3, "strides": 2, "output_padding": 2},
        ]
        for a, sp in P(tgrid, spatial):
            add(f"Conv{rank}DTranspose", {"filters": 6, **a}, (2, *sp, 4))
        if rank < 3:
            for kind in ("Depthwise", "Separable"):
                for a, sp in P(
                    [
                        {"kernel_size": 3},
                        {"kernel_size": 3, "strides": 2, "padding": "same"},
                        {"kernel_size": 3, "depth_multiplier": 2},
                        {"kernel_size": 3, "dilation_rate": 2},
                        {"kernel_size": 3, "use_bias": False},
                    ],
                    spatial,
                ):
                    add(f"{kind}Conv{rank}D", {**({"filters": 5} if kind == "Separable" else {}), **a}, (2, *sp, 4))
        pgrid = [
            {"pool_size": 2},
            {"pool_size": 3, "strides": 2},
            {"pool_size": 3, "strides": 2, "padding": "same"},
            {"pool_size": 2, "padding": "same"},
            {"pool_size": 4, "strides": 1},
            {"pool_size": 20},
        ]
        for kind, a, sp in P(("Max", "Average"), pgrid, spatial):
            add(f"{kind}Pooling{rank}D", a, (2, *sp, 3))
        for kind, keep, sp in P(("Average", "Max"), (False, True), spatial):
            add(f"Global{kind}Pooling{rank}D", {"keepdims": keep}, (2, *sp, 3))
        for size in (2, 3 if rank == 1 else [2, 3, 1][:rank]):
            add(f"UpSampling{rank}D", {"size": size}, (2, *[4] * rank, 3))
        for padding in (1, [1, 2]) if rank == 1 else (1, [2] * rank, [[1, 2]] * rank):
            add(f"ZeroPadding{rank}D", {"padding": padding}, (2, *[5] * rank, 3))
            add(f"Cropping{rank}D", {"cropping": padding}, (2, *[7] * rank, 3))
        add(f"Cropping{rank}D", {"cropping": 3}, (2, *[5] * rank, 3))
        add(f"SpatialDropout{rank}D", {}, (2, *[4] * rank, 3))
    # Keras on the torch backend hands layer and RMS normalization to torch, which
    # accepts trailing axes only; other backends accept any axes. So: trailing axes here.
    for axis, center, scale, shape in P((-1, 1), (True, False), (True, False), ((2, 5, 4), (3, 6))):
        add("BatchNormalization", {"axis": axis, "center": center, "scale": scale}, shape)
        if axis == -1 or len(shape) == 2:
            add("LayerNormalization", {"axis": axis, "center": center, "scale": scale}, shape)
    add("LayerNormalization", {"axis": [1, 2]}, (2, 3, 4))
    for groups, shape in P((1, 2, 3), ((2, 4, 6), (2, 6), (2, 3, 3, 6))):
        add("GroupNormalization", {"groups": groups}, shape)
    for axis, shape in ((-1, (2, 5, 4)), (-1, (3, 6)), (1, (3, 6))):
        add("RMSNormalization", {"axis": axis}, shape)
    for kind in ("SimpleRNN", "LSTM", "GRU"):
        for seq, state, bi, bias in P((False, True), (False, True), (False, True), (True, False)):
            add(
                kind,
                {"units": 4, "return_sequences": seq, "return_state": state, "bidirectional": bi, "use_bias": bias},
                (2, 7, 5),
            )
    add("GRU", {"units": 4, "reset_after": False}, (2, 7, 5))
    add("GRU", {"units": 4, "reset_after": False, "return_sequences": True, "bidirectional": True}, (2, 7, 5))
    for heads, kd, vd, out, bias in P((1, 2), (3, 4), (None, 5), (None, 10), (True, False)):
        a = {"num_heads": heads, "key_dim": kd, "use_bias": bias}
        if vd:
            a["value_dim"] = vd
        if out:
            a["output_shape"] = out
        add("MultiHeadAttention", a, (2, 4, 6), (2, 5, 7))
    add("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, (2, 4, 6), (2, 5, 7), (2, 5, 9))
    add("MultiHeadAttention", {"num_heads": 2, "key_dim": 3, "return_attention_scores": True}, (2, 4, 6), (2, 5, 7))
    add("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, (2, 4, 6), (2, 5, 7), (2, 6, 9))
    for w in ("ReLU", "ELU", "LeakyReLU", "Identity", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout"):
        for shape in ((2, 3, 4), (2, 3, 4, 5, 6)):
            add(w, {}, shape)
    for act in ("relu", "gelu", "softmax", "tanh"):
        add("Activation", {"activation": act}, (2, 3))
    for axis in (-1, 1, 3):
        add("Softmax", {"axis": axis}, (2, 3, 4))
    for shared, shape in P((None, [1], [1, 2]), ((2, 3, 4), (2, 3, 4, 5))):
        add("PReLU", {} if shared is None else {"shared_axes": shared}, shape)
    for shape in ((2, 3, 4, 5), (2, 20), (7,)):
        add("Flatten", {}, shape)
    for shape, target in (
        ((2, 12), [3, 4]),
        ((2, 3, 4), [-1]),
        ((2, 3, 4), [6, -1]),
        ((2, 3, 4), [5, -1]),
        ((2, 3, 4), [2, 5]),
    ):
        add("Reshape", {"target_shape": target}, shape)
    for dims in ([2, 1], [1, 2], [3, 1, 2], [1, 3]):
        add("Permute", {"dims": dims}, (2, 3, 4, 5) if len(dims) == 3 else (2, 3, 4))
    for shapes in (((2, 5), (2, 5)), ((2, 5), (2, 1)), ((2, 3, 5), (2, 3, 5)), ((2, 5), (2, 6)), ((2, 5), (3, 5))):
        for w in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
            add(w, {}, *shapes)
    add("Add", {}, (2, 5), (2, 5), (2, 5))
    for axis, shapes in (
        (-1, ((2, 3), (2, 4))),
        (1, ((2, 3, 4), (2, 5, 4))),
        (-1, ((2, 3, 4), (2, 3, 1))),
        (-1, ((2, 3), (3, 3))),
        (1, ((2, 3, 4), (2, 3, 5))),
    ):
        add("Concatenate", {"axis": axis}, *shapes)
    keras_more_cases(add)
    return c


def keras_more_cases(add) -> None:
    """Keras' preprocessing layers, wrappers, Dot, attention without projections, EinsumDense,
    ConvLSTM, and the arguments and defaults added with them."""
    for a, shape in P(({"scale": 1 / 255}, {"scale": 0.5, "offset": -1.0}), ((2, 3, 4), (2, 8, 8, 3))):
        add("Rescaling", a, shape)
    for a, shape in P(
        (
            {},
            {"axis": 1},
            {"axis": [1, 2]},
            {"axis": [-1, 1]},
            {"axis": None},
            {"axis": -2},
            {"axis": 3},
            {"invert": True},
            {"mean": 0.5, "variance": 2.0},
            {"mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 2.0, 1.0, 2.0]},
            {"axis": [1, 2], "mean": [[1.0], [2.0], [3.0], [4.0], [5.0]], "variance": [[1.0]] * 5},
            {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 2.0, 3.0]},
        ),
        ((2, 5, 4), (3, 4)),
    ):
        add("Normalization", a, shape)
    for a in (
        {"height": 5, "width": 7},
        {"height": 5, "width": 7, "interpolation": "nearest"},
        {"height": 16, "width": 3, "crop_to_aspect_ratio": True},
        {"height": 3, "width": 16, "pad_to_aspect_ratio": True},
        {"height": 5, "width": 7, "data_format": "channels_first"},
        {"height": 4, "width": 4, "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
    ):
        for shape in ((2, 9, 6, 3), (9, 6, 3), (2, 2, 9, 6, 3), (9, 6)):
            add("Resizing", a, shape)
    for a in (
        {"height": 4, "width": 3},
        {"height": 9, "width": 6},
        {"height": 12, "width": 4},
        {"height": 12, "width": 10},
        {"height": 4, "width": 3, "data_format": "channels_first"},
    ):
        for shape in ((2, 9, 6, 3), (9, 6, 3), (2, 2, 9, 6, 3)):
            add("CenterCrop", a, shape)
    for n, shape in P((1, 3), ((2, 5), (2, 3, 4), (5,))):
        add("RepeatVector", {"n": n}, shape)
    for a, shape in P(({}, {"mask_value": -1.0}), ((2, 5, 4), (2, 3))):
        add("Masking", a, shape)
    for axes, shapes in (
        (-1, ((2, 5), (2, 5))),
        (1, ((2, 5), (2, 5))),
        (1, ((2, 3, 4), (2, 3, 5))),
        (2, ((2, 3, 4), (2, 6, 4))),
        ([2, 1], ((2, 3, 4), (2, 4, 5))),
        ([1, 2], ((2, 5, 3), (2, 4, 5))),
        ([-1, -2], ((2, 3, 4), (2, 4, 6))),
        ([3, 1], ((2, 3, 4, 5), (2, 5, 6))),
        ([2, 2], ((2, 3, 4, 5), (2, 6, 4, 7))),
        (1, ((2, 5), (2, 6))),
        (0, ((2, 5), (2, 5))),
        (-2, ((2, 5), (2, 5))),
        (1, ((2, 5), (3, 5))),
        ([1, 3], ((2, 5), (2, 5))),
        (1, ((2,), (2,))),
    ):
        add("Dot", {"axes": axes}, *shapes)
    add("Dot", {"axes": 1, "normalize": True}, (2, 3, 4), (2, 3, 5))
    for kind, a in (
        ("Attention", {}),
        ("Attention", {"use_scale": True}),
        ("Attention", {"score_mode": "concat"}),
        ("Attention", {"score_mode": "concat", "use_scale": True, "return_attention_scores": True}),
        ("Attention", {"return_attention_scores": True, "use_causal_mask": True}),
        ("AdditiveAttention", {}),
        ("AdditiveAttention", {"use_scale": False, "return_attention_scores": True}),
    ):
        for shapes in (
            ((2, 3, 4), (2, 5, 6)),
            ((2, 3, 4), (2, 5, 4)),
            ((2, 3, 4), (2, 5, 6), (2, 5, 4)),
            ((2, 3, 4), (2, 5, 6), (2, 7, 4)),
            ((2, 3, 4), (2, 5, 6), (2, 5, 1)),
            ((2, 7, 3, 4), (2, 7, 5, 6), (2, 7, 5, 4)),
            ((2, 3, 4), (2, 5, 6), (3, 5, 4)),
            ((3, 4), (5, 4)),
        ):
            add(kind, a, *shapes)
    for a, shape in (
        ({"equation": "ab,bc->ac", "output_shape": 6}, (3, 5)),
        ({"equation": "ab,bc->ac", "output_shape": 6, "bias_axes": "c"}, (3, 5)),
        ({"equation": "abc,cd->abd", "output_shape": [None, 6], "bias_axes": "d"}, (2, 7, 5)),
        ({"equation": "abc,cd->abd", "output_shape": [7, 6]}, (2, 7, 5)),
        ({"equation": "abc,cd->abd", "output_shape": [8, 6]}, (2, 7, 5)),
        ({"equation": "abc,cde->abde", "output_shape": [None, 3, 4], "bias_axes": "de"}, (2, 7, 5)),
        ({"equation": "abc,cde->abde", "output_shape": [None, 3, 4], "bias_axes": "e"}, (2, 7, 5)),
        ({"equation": "abcd,cde->abe", "output_shape": [None, 4], "bias_axes": "e"}, (2, 7, 3, 5)),
        ({"equation": "...b,bc->...c", "output_shape": [6], "bias_axes": "c"}, (2, 3, 4, 5)),
        ({"equation": "...b,bc->...c", "output_shape": 6}, (2, 5)),
        ({"equation": "ab...,bc->ac...", "output_shape": [6], "bias_axes": "c"}, (2, 5, 3, 4)),
        ({"equation": "ab,bc->ac", "output_shape": 6}, (3, 5, 4)),
        ({"equation": "ab,bc->ad", "output_shape": 6}, (3, 5)),
        ({"equation": "abc,cd->abd", "output_shape": [None, None]}, (2, 7, 5)),
        ({"equation": "ab,bc->abc", "output_shape": [5, 6], "bias_axes": "bc"}, (3, 5)),
    ):
        add("EinsumDense", a, shape)
    for rank in (1, 2, 3):
        spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 6)}[rank]
        for a in (
            {"filters": 3, "kernel_size": 3},
            {"filters": 3, "kernel_size": 3, "padding": "same", "return_sequences": True},
            {"filters": 2, "kernel_size": 2, "strides": 2, "return_state": True},
            {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "use_bias": False},
            {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            {"filters": 2, "kernel_size": 12},
        ):
            add(f"ConvLSTM{rank}D", a, (2, 4, *spatial, 5))
        add(f"ConvLSTM{rank}D", {"filters": 2, "kernel_size": 2, "data_format": "channels_first"}, (2, 4, 5, *spatial))
        add(f"ConvLSTM{rank}D", {"filters": 2, "kernel_size": 2}, (2, *spatial, 5))
    for inner, shape in (
        ({"type": "Dense", "units": 8}, (2, 5, 7)),
        ({"type": "Dense", "units": 8, "use_bias": False, "name": "proj"}, (2, 5, 3, 7)),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3}, (2, 3, 9, 8, 5)),
        ({"type": "MaxPooling2D", "pool_size": 2}, (2, 3, 9, 8, 5)),
        ({"type": "BatchNormalization"}, (2, 5, 7)),
        ({"type": "Flatten"}, (2, 5, 3, 4)),
        ({"type": "LSTM", "units": 4}, (2, 5, 6, 3)),
        ({"type": "Dense", "units": 8}, (2, 7)),
        ({"type": "Conv2D", "filters": 4, "kernel_size": 3}, (2, 3, 2, 8, 5)),
    ):
        add("TimeDistributed", {"layer": inner}, shape)
    for kind, merge, extra in P(
        ("LSTM", "GRU", "SimpleRNN"),
        ("concat", "sum", "mul", "ave", None),
        ({}, {"return_sequences": True}, {"return_state": True}, {"return_sequences": True, "return_state": True}),
    ):
        add("Bidirectional", {"merge_mode": merge, "layer": {"type": kind, "units": 3, **extra}}, (2, 5, 4))
    add("Bidirectional", {"layer": {"type": "LSTM", "units": 3, "name": "encoder"}}, (2, 5, 4))
    add("Bidirectional", {"layer": {"type": "LSTM", "units": 3, "use_bias": False}}, (2, 5, 4))
    add("Bidirectional", {"layer": {"type": "ConvLSTM1D", "filters": 2, "kernel_size": 3}}, (2, 4, 9, 5))
    add(
        "Bidirectional",
        {"merge_mode": None, "layer": {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "return_state": True}},
        (2, 4, 7, 6, 3),
    )
    add("Bidirectional", {"layer": {"type": "LSTM", "units": 3}}, (2, 5))
    for a in (
        {"max_value": 6.0},
        {"max_value": 1.5},
        {"negative_slope": 0.1},
        {"threshold": 0.5},
        {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
        {"negative_slope": -0.1},
    ):
        add("ReLU", a, (2, 3, 4))
    for rank in (1, 2, 3):
        for a in ({}, {"strides": 1}, {"padding": "same"}):
            add(f"MaxPooling{rank}D", a, (2, *[5] * rank, 3))
        add(f"AveragePooling{rank}D", {}, (2, *[5] * rank, 3))
    for a, shape in (
        ({}, (2, 4, 64)),
        ({}, (2, 4, 16)),
        ({"groups": -1}, (2, 5, 6)),
        ({"groups": -1, "axis": 1}, (2, 5, 6)),
        ({"groups": 0}, (2, 5, 6)),
    ):
        add("GroupNormalization", a, shape)
    for a in (
        {"rms_scaling": True},
        {"rms_scaling": True, "center": False},
        {"rms_scaling": True, "scale": False},
        {"axis": [2, 1]},
        {"axis": [-1, -2], "rms_scaling": True},
    ):
        add("LayerNormalization", a, (2, 3, 4))
    for word in (
        "hard_silu",
        "soft_shrink",
        "hard_shrink",
        "tanh_shrink",
        "sparse_plus",
        "sparse_sigmoid",
        "squareplus",
        "sparsemax",
    ):
        add("Activation", {"activation": word}, (2, 3, 5))


def main(argv: list[str] | None = None) -> int:
    import argparse

    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--framework", choices=("torch", "keras"), help="write this framework's records only (default: both)"
    )
    options = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    documents = []
    if options.framework in (None, "torch"):
        documents.append(("torch", torch.__version__, [run_torch(t, a, s) for t, a, s in torch_cases()]))
    if options.framework in (None, "keras"):
        documents.append(("keras", keras.__version__, [run_keras(t, a, s) for t, a, s in keras_cases()]))
    for name, version, records in documents:
        document = {
            "framework": name,
            "version": version,
            "python": sys.version.split()[0],
            "generated_by": "tools/gen_reference.py",
            "records": records,
        }
        if name == "keras":
            document["backend"] = keras.backend.backend()
        (OUT / f"{name}.json").write_text(json.dumps(document, indent=1) + "\n")
        errors = sum("error" in r for r in records)
        types = len({r["type"] for r in records})
        print(f"{name} {version}: {len(records)} records, {types} layer types, {errors} refusals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
