"""Differential fuzzer against PyTorch: random layers and chains, in shapecli and in PyTorch.

    pip install torch==2.13.0
    python tools/fuzz_torch.py --cases 20000 --seed 1        # prints the discrepancy classes

The modules come from the builder table of tools/gen_reference.py (`TORCH`, the
same code that writes the reference records); this module adds, per layer type,
a generator of random arguments and input shapes (`GENERATORS`), about 30% of
them invalid on purpose, and a runner that applies a chain of modules layer by
layer, each built for the shapes it actually receives (PyTorch's Lazy modules
do the same). tests/test_difffuzz.py runs a few thousand seeded cases.

Every registered layer type has a generator here or is listed in
`NO_COUNTERPART` with the reason.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from difffuzz import (  # noqa: E402
    INTEGER_INPUTS,
    Case,
    axes_of,
    bad,
    divisors,
    per_axis,
    random_shape,
    Outcome,
    Summary,
    Unfit,
    compare,
    compare_symbolic,
    draw_case,
    shapecli_outcomes,
    spec_text,
)  # noqa: E402
from gen_reference import (  # noqa: E402
    PLAIN_ACTIVATIONS,
    TORCH,
    _flatten,
    _message,
    integer_input,
    local_name,
    torch_call,
    torch_inputs,
)
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

CONVENTION = "torch"

NO_COUNTERPART = {
    "Activation": "Keras' Activation layer; PyTorch has one module per activation (each fuzzed)",
    "Average": "Keras' Average merge; PyTorch has no module for it",
    "GaussianNoise": "Keras only",
    "GaussianDropout": "Keras only",
    "ClassToken": "a torchvision ViT parameter, not a PyTorch module (checked by configs/vit_b_16.yaml)",
    "PositionalEmbedding": "a model's own parameter, not a PyTorch module (checked by configs/bert_base.yaml)",
    "BatchNormalization": "Keras/MXNet batch norm along any axis; PyTorch's BatchNorm1d/2d/3d are fuzzed",
    "DepthwiseConv1D": "Keras only (PyTorch: Conv1d with groups, fuzzed)",
    "DepthwiseConv2D": "Keras only (PyTorch: Conv2d with groups, fuzzed)",
    "SeparableConv1D": "Keras only",
    "SeparableConv2D": "Keras only",
    **{
        f"Global{k}Pooling{r}D": "Keras only (PyTorch: adaptive pooling, fuzzed)"
        for k in ("Average", "Max")
        for r in (1, 2, 3)
    },
    **{f"UpSampling{r}D": "Keras only (PyTorch: Upsample, fuzzed)" for r in (1, 2, 3)},
    **{f"ZeroPadding{r}D": "Keras only (PyTorch: ZeroPad, fuzzed)" for r in (1, 2, 3)},
    **{f"Cropping{r}D": "Keras only" for r in (1, 2, 3)},
    **{
        name: "Keras only (fuzzed by tools/fuzz_keras.py)"
        for name in (
            "AdditiveAttention",
            "Attention",
            "Bidirectional",
            "CenterCrop",
            "Dot",
            "EinsumDense",
            "Masking",
            "Normalization",
            "RepeatVector",
            "Rescaling",
            "Resizing",
            "TimeDistributed",
        )
    },
    **{f"ConvLSTM{r}D": "Keras only (fuzzed by tools/fuzz_keras.py)" for r in (1, 2, 3)},
}
"""Registered layer types this fuzzer does not draw, and why."""


def _window_input(rng: Random, rank: int, x, spatial_high: int | None = None):
    """A window layer's input: batched (C first) mostly, sometimes unbatched or of a wrong rank."""
    if x is not None:
        return x if rank + 1 <= len(x) <= rank + 2 or bad(rng, 0.1) else None
    high = spatial_high or (12 if rank < 3 else 7)
    spatial = random_shape(rng, rank, 1, high)
    if bad(rng, 0.04):
        return (rng.randint(1, 3), *spatial[:-1])
    if rng.random() < 0.12:
        return (rng.randint(1, 6), *spatial)
    return (rng.randint(1, 3), rng.randint(1, 6), *spatial)


# -- generators -------------------------------------------------------------------------------


def conv(rank: int, transposed: bool):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        if x is None or len(x) < rank + 1:
            return None if x is None else ({"filters": 2, "kernel_size": 1}, [x])
        channels = x[-(rank + 1)]
        filters = rng.randint(1, 8)
        args = {"filters": filters, "kernel_size": per_axis(rng, rank, 1, 5 if not bad(rng) else 15)}
        common = [g for g in divisors(channels) if filters % g == 0]
        if rng.random() < 0.25:
            args["groups"] = rng.choice(common) if not bad(rng, 0.3) else rng.randint(2, 4)
        if rng.random() < 0.5:
            args["stride"] = per_axis(rng, rank, 1, 3)
        if rng.random() < 0.4:
            args["dilation"] = per_axis(rng, rank, 1, 3)
        roll = rng.random()
        if roll < 0.3:
            args["padding"] = per_axis(rng, rank, 0, 3)
        elif roll < 0.4:
            args["padding"] = "same" if not transposed or bad(rng, 0.3) else 1
        elif roll < 0.45 and not transposed:  # PyTorch's transposed convolutions take no padding words
            args["padding"] = "valid"
        if transposed and rng.random() < 0.4:
            args["output_padding"] = per_axis(rng, rank, 0, 2 if not bad(rng, 0.3) else 4)
        if rng.random() < 0.15:
            args["bias"] = False
        if rng.random() < 0.1:
            args["in_channels"] = channels if not bad(rng, 0.3) else channels + 1
        if rng.random() < 0.1:
            modes = ["zeros", "reflect", "replicate", "circular"]
            args["padding_mode"] = rng.choice(modes[:1] if transposed and not bad(rng, 0.3) else modes)
        return args, [x]

    return generate


def pool(rank: int, kind: str):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        if x is None:
            return None
        k = per_axis(rng, rank, 1, 4 if not bad(rng) else 14)
        args = {"kernel_size": k}
        if rng.random() < 0.6:
            args["stride"] = per_axis(rng, rank, 1, 3)
        if rng.random() < 0.4:
            half = min(axes_of(k, rank)) // 2
            args["padding"] = rng.randint(0, half if not bad(rng, 0.2) else half + 2)
        if rng.random() < 0.4:
            args["ceil_mode"] = True
        if kind == "max" and rng.random() < 0.3:
            args["dilation"] = per_axis(rng, rank, 1, 3)
        if kind == "avg" and bad(rng, 0.03):
            args["dilation"] = 2
        if kind == "avg" and rng.random() < 0.2:
            args["count_include_pad"] = False
        return args, [x]

    return generate


def adaptive(rank: int):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        if x is None:
            return None
        if rng.random() < 0.6:
            size = rng.randint(1, 5)
        else:
            size = [None if rng.random() < 0.25 else rng.randint(1, 5) for _ in range(rank)]
        return {"output_size": size}, [x]

    return generate


def batch_norm(rank: int):
    ranks = {1: (2, 3), 2: (4,), 3: (5,)}[rank]

    def generate(rng: Random, x=None):
        if x is None:
            r = rng.choice(ranks) if not bad(rng, 0.1) else rng.randint(1, 5)
            x = random_shape(rng, r, 1, 5)
        elif len(x) < 2:
            return None
        args = {}
        if rng.random() < 0.2:
            args["affine"] = False
        if rng.random() < 0.2:
            args["track_running_stats"] = False
        if rng.random() < 0.15 and len(x) > 1:
            args["num_features"] = x[1] if not bad(rng, 0.3) else x[1] + 1
        return args, [x]

    return generate


def instance_norm(rank: int):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x, 6)
        if x is None:
            return None
        args = {}
        if rng.random() < 0.4:
            args["affine"] = True
        if rng.random() < 0.3:
            args["track_running_stats"] = True
        if rng.random() < 0.15:
            c = x[-(rank + 1)] if len(x) > rank else 1
            args["num_features"] = c if not bad(rng, 0.4) else c + 1
        return args, [x]

    return generate


def torch_pad(name: str, rank: int):
    def generate(rng: Random, x=None):
        if x is None:
            r = rank + rng.choice((1, 1, 1, 0)) if not bad(rng, 0.1) else rng.randint(1, rank + 2)
            x = (rng.randint(1, 3), *random_shape(rng, r, 1, 7))
        high = 3 if name != "ReflectionPad" else 4
        if rng.random() < 0.5:
            padding = rng.randint(0, high)
        else:
            padding = [rng.randint(0 if not bad(rng, 0.05) else -2, high) for _ in range(2 * rank)]
        return {"padding": padding}, [x]

    return generate


def dense(rng: Random, x=None):
    x = x or random_shape(rng, rng.randint(1, 3) if not bad(rng, 0.03) else 0, 1, 6)
    args = {"units": rng.randint(1, 8)}
    if rng.random() < 0.2:
        args["use_bias"] = False
    if rng.random() < 0.1 and x:
        args["in_units"] = x[-1] if not bad(rng, 0.4) else x[-1] + 1
    return args, [x]


def bilinear(rng: Random, x=None):
    x = x or random_shape(rng, rng.randint(1, 3), 1, 5)
    other = (*x[:-1], rng.randint(1, 5)) if not bad(rng, 0.15) else random_shape(rng, rng.randint(1, 3), 1, 5)
    args = {"out_features": rng.randint(1, 5)}
    if rng.random() < 0.2:
        args["bias"] = False
    if rng.random() < 0.1:
        args["in1_features"] = x[-1] if not bad(rng, 0.4) else x[-1] + 1
    return args, [x, other]


def embedding(rng: Random, x=None):
    if x is not None:
        return None
    n = rng.randint(1, 10)
    args = {"num_embeddings": n, "embedding_dim": rng.randint(1, 6)}
    if rng.random() < 0.2:
        args["padding_idx"] = rng.randint(-n, n - 1) if not bad(rng, 0.3) else n
    return args, [random_shape(rng, rng.randint(0, 3), 1, 5)]


def _any_input(rng: Random, x, low_rank: int = 1, high_rank: int = 4):
    """The given input (Unfit below low_rank), or a random one of rank low_rank..high_rank."""
    if x is not None and len(x) < low_rank:
        raise Unfit
    return x if x is not None else random_shape(rng, rng.randint(low_rank, high_rank), 1, 5)


def shape_only(rng: Random, x=None):
    return {}, [_any_input(rng, x, 0)]


def with_rate(rng: Random, x=None):
    return ({"p": round(rng.random(), 2)} if rng.random() < 0.5 else {}), [_any_input(rng, x, 0)]


def channel_dropout(rank: int):
    def generate(rng: Random, x=None):
        return {}, [_any_input(rng, x, 1, rank + 3)]

    return generate


def axis_activation(rng: Random, x=None):
    x = _any_input(rng, x)
    return {"dim": rng.randint(-len(x) - (1 if bad(rng) else 0), len(x) - 1 + (1 if bad(rng) else 0))}, [x]


def glu(rng: Random, x=None):
    x = _any_input(rng, x)
    if x is None or not x:
        return None
    axis = rng.randint(-len(x), len(x) - 1)
    if rng.random() < 0.7:
        x = tuple(2 * d if i == axis % len(x) else d for i, d in enumerate(x))
    return {"dim": axis}, [x]


def prelu(rng: Random, x=None):
    x = _any_input(rng, x)
    channels = x[1] if len(x) >= 2 else 1
    n = 1 if rng.random() < 0.5 else (channels if not bad(rng, 0.3) else channels + 1)
    return {"num_parameters": n}, [x]


def leaky(rng: Random, x=None):
    return ({"negative_slope": round(rng.uniform(-1, 1), 2)} if rng.random() < 0.5 else {}), [_any_input(rng, x)]


def scaled(rng: Random, x=None):
    alpha = round(rng.uniform(0.1, 2), 2) if not bad(rng, 0.1) else 0
    return ({"alpha": alpha} if rng.random() < 0.6 else {}), [_any_input(rng, x)]


def hardtanh(rng: Random, x=None):
    low, high = round(rng.uniform(-2, 0), 2), round(rng.uniform(0.1, 2), 2)
    if bad(rng, 0.1):
        low, high = high, low
    return ({"min_val": low, "max_val": high} if rng.random() < 0.6 else {}), [_any_input(rng, x)]


def shrink(rng: Random, x=None):
    return ({"lambd": round(rng.uniform(0, 1), 2)} if rng.random() < 0.5 else {}), [_any_input(rng, x)]


def threshold(rng: Random, x=None):
    return {"threshold": round(rng.uniform(-1, 1), 2), "value": 0.5}, [_any_input(rng, x)]


def flatten(rng: Random, x=None):
    x = _any_input(rng, x, 1, 5)
    r = max(len(x), 1)
    args = {}
    if rng.random() < 0.6:
        args["start_dim"] = rng.randint(-r, r - 1 + (1 if bad(rng) else 0))
    if rng.random() < 0.6:
        args["end_dim"] = rng.randint(-r, r - 1)
    return args, [x]


def unflatten(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axis = rng.randint(-len(x), len(x) - 1)
    n = x[axis]
    sizes = [d for d in divisors(n) if d > 1] or [1]
    first = rng.choice(sizes)
    split = [first, n // first]
    if rng.random() < 0.3:
        split[rng.randint(0, 1)] = -1
    if bad(rng, 0.15):
        split = [first + 1, n // first]
    return {"dim": axis, "unflattened_size": split}, [x]


def layer_norm(rng: Random, x=None):
    x = _any_input(rng, x)
    args = {}
    if rng.random() < 0.7:
        count = rng.randint(1, len(x))
        trailing = list(x[-count:])
        if bad(rng, 0.15):
            trailing[0] += 1
        args["normalized_shape"] = trailing
    if rng.random() < 0.2:
        args["affine"] = False
    if rng.random() < 0.2:
        args["bias"] = False
    return args, [x]


def rms_norm(rng: Random, x=None):
    args, shapes = layer_norm(rng, x)
    args.pop("bias", None)
    return args, shapes


def group_norm(rng: Random, x=None):
    x = x if x is not None else random_shape(rng, rng.randint(2, 4) if not bad(rng, 0.1) else 1, 1, 6)
    if len(x) < 2:
        return {"num_groups": 1}, [x]
    c = x[1]
    groups = rng.choice(divisors(c)) if not bad(rng, 0.2) else rng.randint(1, 6)
    args = {"num_groups": groups}
    if rng.random() < 0.2:
        args["affine"] = False
    if rng.random() < 0.1:
        args["num_channels"] = c if not bad(rng, 0.4) else c + groups
    return args, [x]


def local_response_norm(rng: Random, x=None):
    return {"size": rng.randint(1, 5)}, [_any_input(rng, x, 2 if bad(rng, 0.2) else 3, 5)]


UPSAMPLE_MODES = {1: ("nearest", "linear", "nearest-exact", "area"), 2: ("nearest", "bilinear", "bicubic", "area")}
UPSAMPLE_MODES[3] = ("nearest", "trilinear", "nearest-exact", "area")
FACTORS = (2, 3, 0.5, 1.5, 0.7, 0.6, 1.2, 0.3, 1 / 3, 2 / 3, 1.7, 3.3, 0.25, 1.0, 2.5)


def upsample(rng: Random, x=None):
    if x is None:
        rank = rng.randint(1, 3)
        x = (rng.randint(1, 2), rng.randint(1, 3), *(rng.choice((3, 5, 6, 9, 10, 7)) for _ in range(rank)))
        if bad(rng, 0.1):
            x = x[1:]
    rank = max(len(x) - 2, 1)
    mode = rng.choice(UPSAMPLE_MODES[min(rank, 3)]) if not bad(rng, 0.15) else rng.choice(UPSAMPLE_MODES[2])
    args = {"mode": mode} if rng.random() < 0.8 else {}
    if rng.random() < 0.3:
        args["size"] = rng.randint(1, 12) if rng.random() < 0.5 else [rng.randint(1, 12) for _ in range(rank)]
    else:
        if rng.random() < 0.6:
            args["scale_factor"] = rng.choice(FACTORS)
        else:
            args["scale_factor"] = [rng.choice(FACTORS) for _ in range(rank)]
    if rng.random() < 0.25:
        args["align_corners"] = rng.random() < 0.5
    return args, [x]


def merge(rng: Random, x=None):
    x = _any_input(rng, x)
    count = 2 if rng.random() < 0.8 else 3
    shapes = [x]
    for _ in range(count - 1):
        other = list(x[rng.randint(0, len(x) - 1) :]) if rng.random() < 0.3 else list(x)
        for i in range(len(other)):
            if rng.random() < 0.2:
                other[i] = 1
        if bad(rng, 0.2) and other:
            other[rng.randint(0, len(other) - 1)] += 1
        shapes.append(tuple(other))
    return {}, shapes


def two_inputs(rng: Random, x=None):
    _, shapes = merge(rng, x)
    return {}, shapes[:2]


def concat(rng: Random, x=None):
    x = _any_input(rng, x)
    axis = rng.randint(-len(x), len(x) - 1)
    other = list(x)
    other[axis] = rng.randint(1, 5)
    if bad(rng, 0.15):
        other = list(random_shape(rng, len(x), 1, 5))
    shapes = [x, tuple(other)]
    return ({"dim": axis} if rng.random() < 0.8 else {}), shapes


def matmul(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    k = x[-1]
    rank = rng.randint(1, 4)
    other = [*random_shape(rng, rank, 1, 4)]
    if rank == 1:
        other[0] = k
    else:
        other[-2] = k
        if rank > 2 and len(x) > 2 and rng.random() < 0.5:
            other[:-2] = [rng.choice((1, d)) for d in x[-len(other) : -2]] if len(x) >= rank else other[:-2]
    if bad(rng, 0.15):
        other[-2 if rank > 1 else 0] += 1
    return {}, [x, tuple(other)]


def reshape(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    elements = math.prod(x[1:])
    target = []
    rest = elements
    while rest > 1 and len(target) < 3 and rng.random() < 0.8:
        d = rng.choice(divisors(rest)[1:])
        target.append(d)
        rest //= d
    target.append(rest)
    if rng.random() < 0.3:
        target[rng.randint(0, len(target) - 1)] = -1
    if bad(rng, 0.15):
        target[0] = target[0] + 1 if target[0] != -1 else 5
    return {"shape": target}, [x]


def permute(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    dims = list(range(len(x)))
    rng.shuffle(dims)
    if bad(rng, 0.15):
        dims = dims[:-1] if rng.random() < 0.5 else [*dims, len(dims)]
    return {"dims": dims}, [x]


def transpose(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    r = len(x)
    return {"dim0": rng.randint(-r, r - 1), "dim1": rng.randint(-r, r - 1 + (1 if bad(rng) else 0))}, [x]


def squeeze(rng: Random, x=None):
    if x is None:
        x = tuple(1 if rng.random() < 0.4 else rng.randint(2, 4) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        return {}, [x]
    r = max(len(x), 1)
    return {"dim": rng.randint(-r, r - 1)}, [x]


def unsqueeze(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    r = len(x) + 1
    return {"dim": rng.randint(-r - (1 if bad(rng) else 0), r - 1)}, [x]


def slice_(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axis = rng.randint(-len(x), len(x) - 1)
    n = x[axis]
    args = {"axis": axis}
    if rng.random() < 0.8:
        args["start"] = rng.randint(-n - 3, n + 3)
    if rng.random() < 0.6:
        args["stop"] = rng.randint(-n - 3, n + 3)
    if rng.random() < 0.4:
        args["step"] = rng.randint(1, 3)
    return args, [x]


def select(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axis = rng.randint(-len(x), len(x) - 1)
    n = x[axis]
    return {"axis": axis, "index": rng.randint(-n - 1, n)}, [x]


def attention(rng: Random, x=None):
    heads = rng.randint(1, 3)
    batch_first = rng.random() < 0.5
    if x is None:
        e = heads * rng.randint(1, 3) if not bad(rng, 0.15) else rng.randint(1, 7)
        n, length = rng.randint(1, 3), rng.randint(1, 5)
        x = (n, length, e) if batch_first else (length, n, e)
        if rng.random() < 0.15:
            x = (length, e)
    elif len(x) not in (2, 3):
        return None
    e = x[-1]
    args = {"num_heads": heads}
    if batch_first:
        args["batch_first"] = True
    kdim = vdim = e
    if rng.random() < 0.25:
        kdim, vdim = rng.randint(1, 6), rng.randint(1, 6)
        args["kdim"], args["vdim"] = kdim, vdim
    if rng.random() < 0.1:
        args["embed_dim"] = e if not bad(rng, 0.5) else e + heads
    for flag in ("add_bias_kv", "add_zero_attn"):
        if rng.random() < 0.15:
            args[flag] = True
    if rng.random() < 0.15:
        args["bias"] = False
    if rng.random() < 0.2:
        args["average_attn_weights"] = False
    count = rng.choice((1, 2, 3, 3, 3))
    keys = rng.randint(1, 5)
    if len(x) == 2:
        key, value = (keys, kdim), (keys, vdim)
    else:
        n = x[0] if batch_first else x[1]
        key = (n, keys, kdim) if batch_first else (keys, n, kdim)
        value = (n, keys, vdim) if batch_first else (keys, n, vdim)
    if bad(rng, 0.1):
        value = (*value[:-2], value[-2] + 1, value[-1])
    if count == 1 and (kdim != e or vdim != e):
        count = 3
    shapes = [x, key, value][:count]
    if count == 2 and vdim != kdim:
        shapes = [x, key, value]
    return args, shapes


def transformer(decoder: bool):
    def generate(rng: Random, x=None):
        heads = rng.randint(1, 3)
        batch_first = rng.random() < 0.5
        if x is None:
            e = heads * rng.randint(1, 3) if not bad(rng, 0.1) else rng.randint(1, 7)
            n, length = rng.randint(1, 3), rng.randint(1, 5)
            x = (n, length, e) if batch_first else (length, n, e)
            if rng.random() < 0.1:
                x = (length, e)
        elif len(x) not in (2, 3):
            return None
        args = {"nhead": heads, "dim_feedforward": rng.randint(1, 16)}
        if batch_first:
            args["batch_first"] = True
        if rng.random() < 0.2:
            args["bias"] = False
        if rng.random() < 0.1:
            args["d_model"] = x[-1] if not bad(rng, 0.5) else x[-1] + 1
        if not decoder:
            return args, [x]
        memory = list(x)
        memory[1 if batch_first and len(x) == 3 else 0] = rng.randint(1, 5)
        if bad(rng, 0.1):
            memory[-1] += 1
        return args, [x, tuple(memory)]

    return generate


def recurrent(kind: str):
    def generate(rng: Random, x=None):
        batch_first = rng.random() < 0.4
        if x is None:
            x = random_shape(rng, 3 if rng.random() < 0.85 else 2, 1, 5)
            if bad(rng, 0.05):
                x = random_shape(rng, rng.choice((1, 4)), 1, 4)
        elif len(x) not in (2, 3):
            return None
        hidden = rng.randint(1, 6)
        args = {"hidden_size": hidden}
        if rng.random() < 0.4:
            args["num_layers"] = rng.randint(1, 3)
        if rng.random() < 0.4:
            args["bidirectional"] = True
        if batch_first:
            args["batch_first"] = True
        if rng.random() < 0.2:
            args["bias"] = False
        if kind == "LSTM" and rng.random() < 0.3:
            args["proj_size"] = rng.randint(0, hidden - 1) if not bad(rng, 0.3) else hidden
        if rng.random() < 0.1 and x:
            args["input_size"] = x[-1] if not bad(rng, 0.4) else x[-1] + 1
        return args, [x]

    return generate


# -- standalone tensors and shape-adapting layers ------------------------------------------


def _subset_axes(rng: Random, rank: int, low: int = 1) -> list[int]:
    """Some distinct axes of a rank-`rank` input, some counted from the end (sometimes one out of range)."""
    count = rng.randint(low, max(low, rank))
    axes = rng.sample(range(rank), min(count, rank))
    axes = [a - rank if rng.random() < 0.3 else a for a in axes]
    if bad(rng, 0.05):
        axes.append(rank)
    return axes


def standalone(kind: str):
    """Parameter / Buffer: a tensor of a drawn shape, no input (it only starts a case)."""

    def generate(rng: Random, x=None):
        if x is not None:
            return None
        shape = list(random_shape(rng, rng.randint(0, 3)))
        if bad(rng, 0.1):
            shape.append(-1)
        args = {"shape": shape}
        if kind == "Parameter" and rng.random() < 0.3:
            args["trainable"] = False
        if kind == "Buffer" and rng.random() < 0.3:
            args["dtype"] = rng.choice(("float32", "int64"))
        return args, []

    return generate


# -- the types added with issue 12 -----------------------------------------------------------


def pixel_shuffle(down: bool):
    def generate(rng: Random, x=None):
        r = rng.randint(1, 3)
        if x is None:
            spatial = [r * rng.randint(1, 3) if down and not bad(rng, 0.15) else rng.randint(1, 5) for _ in "hw"]
            channels = rng.randint(1, 3) * (1 if down else r * r) + (1 if bad(rng, 0.1) else 0)
            x = (*([rng.randint(1, 2)] if rng.random() < 0.8 else []), channels, *spatial)
        elif len(x) < 3:
            return None
        return {"downscale_factor" if down else "upscale_factor": r}, [x]

    return generate


def with_slopes(rng: Random, x=None):
    args = {}
    if rng.random() < 0.5:
        args = {"lower": round(rng.uniform(0, 0.5), 2), "upper": round(rng.uniform(0, 0.5), 2)}
    return args, [_any_input(rng, x, 0)]


def lp_pool(rank: int):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        if x is None:
            return None
        args = {"norm_type": rng.choice((1, 2, 3)), "kernel_size": per_axis(rng, rank, 1, 4 if not bad(rng) else 14)}
        if rng.random() < 0.5:
            args["stride"] = per_axis(rng, rank, 1, 3)
        if rng.random() < 0.3:
            args["ceil_mode"] = True
        return args, [x]

    return generate


def max_unpool(rank: int):
    def generate(rng: Random, x=None):
        if x is not None:
            return None  # the indices come from a max pooling: a case starts with the unpooling
        x = _window_input(rng, rank, None, 6)
        args = {"kernel_size": per_axis(rng, rank, 1, 3)}
        if rng.random() < 0.5:
            args["stride"] = per_axis(rng, rank, 1, 3)
        if rng.random() < 0.3:
            args["padding"] = rng.randint(0, 1)
        return args, [x, x]  # indices of another shape crash PyTorch 2.13's CPU kernel (a segfault)

    return generate


def layer_scale(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axis = rng.randint(-len(x), len(x) - 1) if not bad(rng) else len(x)
    args = {"axis": axis, "param_name": rng.choice(("", "gamma"))}
    if rng.random() < 0.15 and -len(x) <= axis < len(x):
        args["channels"] = x[axis] if not bad(rng, 0.4) else x[axis] + 1
    return args, [x]


def pad_to_multiple(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axes = _subset_axes(rng, len(x))
    multiple = rng.randint(1, 7) if rng.random() < 0.6 else [rng.randint(1, 7) for _ in axes]
    args = {"multiple": multiple, "axes": axes}
    if rng.random() < 0.4:
        args["side"] = rng.choice(("end", "start", "both"))
    return args, [x]


def general_pad(rng: Random, x=None):
    x = _any_input(rng, x, 1, 5)
    mode = rng.choice(("constant", "constant", "reflect", "replicate", "circular"))
    pairs = rng.randint(1, 3) if not bad(rng, 0.1) else rng.randint(1, 5)
    padding = [rng.randint(-2, 4) if rng.random() < 0.2 else rng.randint(0, 3) for _ in range(2 * pairs)]
    args = {"padding": padding}
    if mode != "constant" or rng.random() < 0.3:
        args["mode"] = mode
    return args, [x]


def crop(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axes = _subset_axes(rng, len(x))
    size = [rng.randint(1, x[a % len(x)] if -len(x) <= a < len(x) and not bad(rng) else 6) for a in axes]
    args = {"size": size if len(size) > 1 or rng.random() < 0.5 else size[0], "axes": axes}
    if rng.random() < 0.5:
        args["align"] = rng.choice(("start", "center", "end"))
    return args, [x]


def crop_to(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    axes = _subset_axes(rng, len(x))
    like = list(x)
    for a in axes:
        if -len(x) <= a < len(x):
            like[a] = rng.randint(1, x[a]) if not bad(rng, 0.1) else x[a] + 1
    args = {"axes": axes}
    if rng.random() < 0.5:
        args["align"] = rng.choice(("start", "center", "end"))
    return args, [x, tuple(like)]


def roll(rng: Random, x=None):
    x = _any_input(rng, x, 0, 4)
    if not x or rng.random() < 0.2:
        return {"shifts": rng.randint(-5, 5)}, [x]
    dims = _subset_axes(rng, len(x))
    return {"shifts": [rng.randint(-5, 5) for _ in dims], "dims": dims}, [x]


def channel_shuffle(rng: Random, x=None):
    x = _any_input(rng, x, 2 if bad(rng, 0.1) else 3, 5)
    if len(x) < 2:
        raise Unfit
    groups = rng.choice(divisors(x[1])) if not bad(rng, 0.2) else rng.randint(1, 4)
    return {"groups": groups}, [x]


def index_select(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    dim = rng.randint(-len(x), len(x) - 1) if not bad(rng) else len(x)
    index = (rng.randint(1, 6),) if rng.random() < 0.8 else ()
    if bad(rng, 0.1):
        index = (2, 2)
    return {"dim": dim}, [x, index]


def split(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    dim = rng.randint(-len(x), len(x) - 1)
    n = x[dim]
    if rng.random() < 0.5:
        cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.randint(0, 3)))) if n > 1 else []
        sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
        if bad(rng, 0.2):
            sizes[-1] += 1
        if len(sizes) > 1:
            return {"sizes": sizes, "dim": dim}, [x]
    size = rng.randint(1, n + 1)
    count = -(-n // size) if not bad(rng, 0.2) else rng.randint(1, 4)
    return {"sizes": size, "count": count, "dim": dim}, [x]


def chunk(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    dim = rng.randint(-len(x), len(x) - 1)
    n = x[dim]
    chunks = rng.choice([c for c in range(1, n + 1) if -(-n // -(-n // c)) == c]) if not bad(rng, 0.2) else n + 1
    return {"chunks": chunks, "dim": dim}, [x]


def stack(rng: Random, x=None):
    x = _any_input(rng, x, 0, 3)
    shapes = [x] * rng.randint(1, 3)
    if bad(rng, 0.1) and x:
        shapes.append(tuple(d + 1 for d in x))
    axis = rng.randint(-len(x) - 1, len(x)) if not bad(rng) else len(x) + 1
    return {"axis": axis}, shapes


def reduce_(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    args = {"op": rng.choice(("mean", "sum", "max", "min"))}
    if rng.random() < 0.8:
        args["axes"] = _subset_axes(rng, len(x))
    if rng.random() < 0.5:
        args["keepdims"] = rng.random() < 0.5
    return args, [x]


LETTERS = "abcdefgh"


def einsum(rng: Random, x=None):
    x = _any_input(rng, x, 1, 4)
    sizes = {}
    first = list(rng.sample(LETTERS, len(x)))
    for label, d in zip(first, x):
        sizes.setdefault(label, d)
    ellipsis = len(x) > 1 and rng.random() < 0.2
    terms = [(["..."] + first[1:]) if ellipsis else first]
    shapes = [x]
    for _ in range(rng.randint(0, 2)):
        labels = rng.sample(sorted(set(first)) + list(LETTERS[:3]), rng.randint(1, 3))
        shape = []
        for label in labels:
            size = sizes.setdefault(label, rng.randint(1, 4))
            shape.append(size if not bad(rng, 0.05) else size + 1)
        if ellipsis and rng.random() < 0.5:
            labels = ["...", *labels]
        terms.append(labels)
        shapes.append(tuple(shape))
    used = sorted({label for term in terms for label in term if label != "..."})
    equation = ",".join("".join(term) for term in terms)
    if rng.random() < 0.7:
        output = rng.sample(used, rng.randint(0, len(used)))
        equation += "->" + ("..." if ellipsis else "") + "".join(output)
    return {"equation": equation}, shapes


def expand(rng: Random, x=None):
    x = _any_input(rng, x, 0, 3)
    sizes = [rng.randint(1, 3) for _ in range(rng.randint(0, 2))]
    for d in x:
        roll = rng.random()
        sizes.append(-1 if roll < 0.3 else (rng.randint(1, 4) if d == 1 else d))
    if bad(rng, 0.1) and sizes:
        sizes[rng.randint(0, len(sizes) - 1)] = rng.choice((-1, 5))
    return {"sizes": sizes or [1]}, [x]


def tiling(strict: bool):
    def generate(rng: Random, x=None):
        x = _any_input(rng, x, 0, 3)
        count = len(x) + rng.randint(0, 1) if strict and not bad(rng, 0.1) else rng.randint(1, len(x) + 1)
        return {"repeats": [rng.randint(1, 3) for _ in range(max(count, 1))]}, [x]

    return generate


def fold(rng: Random, x=None):
    if x is not None and len(x) not in (2, 3):
        return None
    k = per_axis(rng, 2, 1, 3)
    kh, kw = axes_of(k, 2)
    size = [rng.randint(max(kh, kw), 7) for _ in "hw"]
    args = {"output_size": size, "kernel_size": k}
    if rng.random() < 0.4:
        args["stride"] = per_axis(rng, 2, 1, 2)
    if rng.random() < 0.3:
        args["padding"] = rng.randint(0, 1)
    if x is None:
        sh, sw = axes_of(args.get("stride", 1), 2)
        p = args.get("padding", 0)
        blocks = ((size[0] + 2 * p - kh) // sh + 1) * ((size[1] + 2 * p - kw) // sw + 1)
        x = (rng.randint(1, 3) * kh * kw, blocks + (1 if bad(rng, 0.15) else 0))
        if rng.random() < 0.8:
            x = (rng.randint(1, 2), *x)
    return args, [x]


def unfold(rng: Random, x=None):
    if x is None:
        x = (*([rng.randint(1, 2)] if rng.random() < 0.8 else []), rng.randint(1, 3), *random_shape(rng, 2, 1, 8))
    elif len(x) not in (3, 4):
        return None
    args = {"kernel_size": per_axis(rng, 2, 1, 4)}
    if rng.random() < 0.4:
        args["stride"] = per_axis(rng, 2, 1, 3)
    if rng.random() < 0.3:
        args["padding"] = rng.randint(0, 2)
    if rng.random() < 0.3:
        args["dilation"] = per_axis(rng, 2, 1, 2)
    return args, [x]


def fixed_upsampling(rng: Random, x=None):
    if x is None:
        x = (rng.randint(1, 2), rng.randint(1, 3), *random_shape(rng, 2, 1, 6))
        if bad(rng, 0.1):
            x = x[1:]
    if rng.random() < 0.4:
        return {"size": rng.randint(1, 9) if rng.random() < 0.5 else [rng.randint(1, 9) for _ in "hw"]}, [x]
    return {"scale_factor": rng.choice((1, 2, 3))}, [x]


def _partner(rng: Random, x: tuple) -> tuple:
    """A second operand that broadcasts with x, mostly."""
    if bad(rng, 0.1):
        return (*x[:-1], x[-1] + 1) if x else (2,)
    return tuple(1 if rng.random() < 0.2 else d for d in x[rng.randint(0, len(x) // 2) :])


def cosine_similarity(rng: Random, x=None):
    x = _any_input(rng, x, 1, 3)
    return {"dim": rng.randint(-len(x), len(x) - 1 + (1 if bad(rng, 0.05) else 0))}, [x, _partner(rng, x)]


def pairwise_distance(rng: Random, x=None):
    x = _any_input(rng, x, 1, 3)
    args = {"keepdim": True} if rng.random() < 0.3 else {}
    if rng.random() < 0.3:
        args["p"] = rng.choice((1.0, 3.0))
    return args, [x, _partner(rng, x)]


def lazy_instance_norm(rank: int):
    plain = instance_norm(rank)

    def generate(rng: Random, x=None):
        drawn = plain(rng, x)
        if drawn is None:
            return None
        args, shapes = drawn
        args.pop("num_features", None)
        return args, shapes

    return generate


def sync_batch_norm(rng: Random, x=None):
    if x is None:
        x = random_shape(rng, rng.randint(2, 5) if not bad(rng, 0.1) else 1, 1, 4)
    elif len(x) < 2:
        return None
    args = {}
    if rng.random() < 0.2:
        args["affine"] = False
    if rng.random() < 0.15 and len(x) > 1:
        args["num_features"] = x[1] if not bad(rng, 0.3) else x[1] + 1
    return args, [x]


def cell(kind: str):
    def generate(rng: Random, x=None):
        x = _any_input(rng, x, 1, 2)
        hidden = rng.randint(1, 6)
        args = {"hidden_size": hidden}
        if rng.random() < 0.2:
            args["bias"] = False
        if kind == "RNNCell" and rng.random() < 0.3:
            args["nonlinearity"] = "relu"
        if rng.random() < 0.6:
            return args, [x]
        state = (*x[:-1], hidden if not bad(rng, 0.15) else hidden + 1)
        return args, [x] + [state] * (2 if kind == "LSTMCell" else 1)

    return generate


def stochastic_depth(rng: Random, x=None):
    return {"p": rng.choice((0.0, 0.2, 0.5)), "mode": rng.choice(("row", "batch"))}, [_any_input(rng, x, 1)]


def transformer_stack(decoder: bool):
    layer = transformer(decoder)

    def generate(rng: Random, x=None):
        drawn = layer(rng, x)
        if drawn is None:
            return None
        args, shapes = drawn
        args.pop("d_model", None)
        args["num_layers"] = rng.randint(1, 3)
        if rng.random() < 0.5:
            args["norm"] = True
        if rng.random() < 0.3:
            args["norm_first"] = True
        return args, shapes

    return generate


def full_transformer(rng: Random, x=None):
    drawn = transformer(True)(rng, x)
    if drawn is None:
        return None
    args, (tgt, src) = drawn
    args.pop("d_model", None)
    args["num_encoder_layers"], args["num_decoder_layers"] = rng.randint(1, 2), rng.randint(1, 2)
    return args, [tgt, src] if x is not None else [src, tgt]


def embedding_bag(rng: Random, x=None):
    if x is not None:
        return None
    n = rng.randint(1, 10)
    args = {"num_embeddings": n, "embedding_dim": rng.randint(1, 5), "mode": rng.choice(("sum", "mean", "max"))}
    if rng.random() < 0.2:
        args["include_last_offset"] = True
    if rng.random() < 0.2:
        args["padding_idx"] = rng.randint(0, n - 1)
    weighted = args["mode"] == "sum" and rng.random() < 0.4 or bad(rng, 0.05)
    if rng.random() < 0.5:
        bags = (rng.randint(1, 4), rng.randint(1, 5))
        return args, [bags] + ([bags] if weighted else [])
    indices = (rng.randint(1, 8),)
    offsets = (rng.randint(1, 4),)  # no offsets at all segfaults PyTorch 2.13's CPU kernel in mode max
    return args, [indices, offsets] + ([indices] if weighted else [])


GENERATORS = {
    "Parameter": standalone("Parameter"),
    "Buffer": standalone("Buffer"),
    "LayerScale": layer_scale,
    "PadToMultiple": pad_to_multiple,
    "Pad": general_pad,
    "Crop": crop,
    "CropTo": crop_to,
    "Roll": roll,
    "ChannelShuffle": channel_shuffle,
    "IndexSelect": index_select,
    "Split": split,
    "Chunk": chunk,
    "Stack": stack,
    "Reduce": reduce_,
    "Einsum": einsum,
    "Expand": expand,
    "Tile": tiling(False),
    "Repeat": tiling(True),
    "Dense": dense,
    "Bilinear": bilinear,
    "Embedding": embedding,
    "Identity": shape_only,
    "Flatten": flatten,
    "Unflatten": unflatten,
    "Dropout": with_rate,
    "AlphaDropout": with_rate,
    "Softmax": axis_activation,
    "LogSoftmax": axis_activation,
    "Softmin": axis_activation,
    "LeakyReLU": leaky,
    "ELU": scaled,
    "CELU": scaled,
    "PReLU": prelu,
    "GLU": glu,
    "Hardtanh": hardtanh,
    "Threshold": threshold,
    "Softshrink": shrink,
    "Hardshrink": shrink,
    "LayerNorm": layer_norm,
    "GroupNorm": group_norm,
    "RMSNorm": rms_norm,
    "LocalResponseNorm": local_response_norm,
    "Upsample": upsample,
    "MultiheadAttention": attention,
    "TransformerEncoderLayer": transformer(False),
    "TransformerDecoderLayer": transformer(True),
    "Add": merge,
    "Multiply": two_inputs,
    "Maximum": two_inputs,
    "Minimum": two_inputs,
    "Subtract": two_inputs,
    "Concat": concat,
    "MatMul": matmul,
    "Reshape": reshape,
    "Permute": permute,
    "Transpose": transpose,
    "Squeeze": squeeze,
    "Unsqueeze": unsqueeze,
    "Slice": slice_,
    "Select": select,
    "RNN": recurrent("RNN"),
    "LSTM": recurrent("LSTM"),
    "GRU": recurrent("GRU"),
}
GENERATORS.update(
    {
        "PixelShuffle": pixel_shuffle(False),
        "PixelUnshuffle": pixel_shuffle(True),
        "RReLU": with_slopes,
        "Softmax2d": shape_only,
        "Fold": fold,
        "Unfold": unfold,
        "UpsamplingNearest2d": fixed_upsampling,
        "UpsamplingBilinear2d": fixed_upsampling,
        "CosineSimilarity": cosine_similarity,
        "PairwiseDistance": pairwise_distance,
        "SyncBatchNorm": sync_batch_norm,
        "RNNCell": cell("RNNCell"),
        "LSTMCell": cell("LSTMCell"),
        "GRUCell": cell("GRUCell"),
        "StochasticDepth": stochastic_depth,
        "TransformerEncoder": transformer_stack(False),
        "TransformerDecoder": transformer_stack(True),
        "Transformer": full_transformer,
        "EmbeddingBag": embedding_bag,
    }
)
for _w in PLAIN_ACTIVATIONS:
    GENERATORS.setdefault(_w, scaled if _w in ("ELU", "CELU") else shape_only)
for _r in (1, 2, 3):
    GENERATORS[f"Conv{_r}d"] = conv(_r, False)
    GENERATORS[f"ConvTranspose{_r}d"] = conv(_r, True)
    GENERATORS[f"MaxPool{_r}d"] = pool(_r, "max")
    GENERATORS[f"AvgPool{_r}d"] = pool(_r, "avg")
    GENERATORS[f"AdaptiveAvgPool{_r}d"] = adaptive(_r)
    GENERATORS[f"AdaptiveMaxPool{_r}d"] = adaptive(_r)
    GENERATORS[f"BatchNorm{_r}d"] = batch_norm(_r)
    GENERATORS[f"InstanceNorm{_r}d"] = instance_norm(_r)
    GENERATORS[f"Dropout{_r}d"] = channel_dropout(_r)
    for _pad in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad"):
        GENERATORS[f"{_pad}{_r}d"] = torch_pad(_pad, _r)
    GENERATORS[f"CircularPad{_r}d"] = torch_pad("CircularPad", _r)
    GENERATORS[f"LPPool{_r}d"] = lp_pool(_r)
    GENERATORS[f"MaxUnpool{_r}d"] = max_unpool(_r)
    GENERATORS[f"LazyInstanceNorm{_r}d"] = lazy_instance_norm(_r)
for _t in ("EmbeddingBag", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"):
    INTEGER_INPUTS[_t] = lambda shapes, t=_t: {f"x{i}" for i in range(len(shapes)) if integer_input(t, shapes, i)}


# -- running in PyTorch -------------------------------------------------------------------------


def _apply(module, type_name: str, args: dict, xs: list):
    return torch_call(type_name, module, args, xs)


TRAINING_ONLY = "when training"
"""In PyTorch's refusals that only training mode makes: batch statistics over a single value."""


def _counted(module, layer, xs):
    """(output, FLOPs) of the module in training mode (as constructed), or in eval mode when
    training mode refuses only for its batch statistics (one value per channel), which
    describes a training batch, not the shapes: shapecli's rules follow inference."""
    try:
        with FlopCounterMode(display=False) as counter:
            out = _apply(module, layer.type, layer.args, xs)
    except ValueError as e:
        if TRAINING_ONLY not in str(e):
            raise
        module.eval()
        with FlopCounterMode(display=False) as counter:
            out = _apply(module, layer.type, layer.args, xs)
    return out, counter.get_total_flops()


def run(case: Case) -> list[Outcome]:
    """Each layer of the case in PyTorch, in order, until one raises."""
    values = {
        name: torch_inputs("Embedding" if name in case.int_inputs else "", [shape])[0]
        for name, shape in case.inputs.items()
    }
    outcomes = []
    for i, layer in enumerate(case.layers):
        xs = [values[s] for s in layer.sources]
        try:
            module = TORCH[layer.type](layer.args, [tuple(x.shape) for x in xs])
            out, flops = _counted(module, layer, xs)
        except Exception as e:  # noqa: BLE001 - the framework's refusal is the outcome
            outcomes.append(Outcome(refused=_message(e)))
            break
        outs = _flatten(out)
        values[f"l{i}"] = outs[0]
        params = [(local_name(module, n), tuple(p.shape), p.requires_grad, False) for n, p in module.named_parameters()]
        params += [(local_name(module, n), tuple(b.shape), False, True) for n, b in module.named_buffers()]
        outcomes.append(Outcome(outputs=[tuple(t.shape) for t in outs], params=params, macs=flops // 2 or None))
    return outcomes


def fuzz(seed: int, cases: int, symbolic: bool = True, stack_share: float = 0.35) -> Summary:
    """Draw and compare `cases` cases of seed `seed`; the summary groups the discrepancies by class."""
    torch.manual_seed(0)
    warnings.filterwarnings("ignore")  # PyTorch's deprecation notes on the odd ranks the fuzzer feeds
    summary = Summary()
    for k in range(cases):
        label = f"torch:{seed}:{k}"
        rng = Random(label)
        case = draw_case(rng, label, GENERATORS, CONVENTION, stack_share)
        theirs = run(case)
        summary.cases += 1
        summary.stacks += len(case.layers) > 1
        summary.layers += len(case.layers)
        summary.refused += any(o.refused for o in theirs)
        summary.add(compare(case, theirs, CONVENTION, "torch"))
        if symbolic:
            summary.add(compare_symbolic(case, CONVENTION, rng))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--no-symbolic", action="store_true", help="skip the symbolic-vs-concrete check")
    parser.add_argument("--show", metavar="INDEX", type=int, help="print case INDEX of the seed and both outcomes")
    options = parser.parse_args(argv)
    if options.show is not None:
        label = f"torch:{options.seed}:{options.show}"
        case = draw_case(Random(label), label, GENERATORS, CONVENTION)
        print(spec_text(case), *run(case), *shapecli_outcomes(case, CONVENTION)[1], sep="\n")
        return 0
    started = time.perf_counter()
    summary = fuzz(options.seed, options.cases, not options.no_symbolic)
    print("\n".join(summary.lines(CONVENTION)))
    print(f"{time.perf_counter() - started:.1f} s")
    return 1 if summary.classes else 0


if __name__ == "__main__":
    sys.exit(main())
