"""The numpy backend: every layer type's forward pass in inference mode, one table.

    LAYERS[type_name](cfg, xs, params) -> array, or a list of arrays for a layer with several outputs

`cfg` holds the validated arguments and `cfg.convention`; `xs` are the input
arrays in the layer's input order; `params` the layer's parameters and buffers
by local name ('weight', 'out_proj.bias', 'lstm_cell.kernel'), laid out as the
convention stores them. Semantics follow the convention's framework: PyTorch
for torch and mxnet, Keras 3 (as it computes on its torch backend) for keras.
Inference mode: dropout and noise layers pass their input through, batch
normalization uses its running statistics (batch statistics where PyTorch
does, without them).

Everything is float32: parameters and inputs arrive as float32, constants are
Python floats (which numpy keeps at the array's precision), and the run checks
every output's dtype. Convolutions are im2col (sliding_window_view) and one
matmul; transposed convolutions the same on the stride-dilated input; only
recurrent layers loop, over time steps. `REFUSED` names the types this backend
does not run, with the reason (none today); a guard test keeps `LAYERS` and
`REFUSED` together equal to the registry.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..shape_math import ceil_pool_length, conv_length, window_padding

F32 = np.float32


class Refusal(Exception):
    """This layer cannot run with these arguments here; the message says why (the run adds the layer)."""


# -- activations ---------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x):
    # PyTorch Softplus(beta=1, threshold=20): x where x > 20
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))


def erfc(x):
    """Complementary error function with a relative error below 1.2e-7 (Numerical Recipes' erfcc), in float64."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))
                )
            )
        )
    )
    value = t * np.exp(-z * z + poly)
    return np.where(x >= 0, value, 2.0 - value)


def gelu(x):
    # x * Φ(x), Φ(x) = erfc(-x/√2)/2 (the exact form; PyTorch's and Keras' default)
    wide = x.astype(np.float64)
    return (wide * 0.5 * erfc(-wide / math.sqrt(2.0))).astype(F32)


def softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def celu(x, alpha=1.0):
    return np.maximum(x, 0.0) + np.minimum(0.0, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def hard_sigmoid(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def leaky_relu(x, slope):
    return np.where(x > 0, x, x * slope)


def softshrink(x, lambd=0.5):
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0)).astype(F32)


def hardshrink(x, lambd=0.5):
    return np.where(np.abs(x) > lambd, x, 0.0).astype(F32)


def _threshold_word(x, convention):
    raise Refusal("the activation 'threshold' needs its threshold and value: use a Threshold layer")


ACTIVATION_WORDS = {
    "linear": lambda x, c: x,
    "relu": lambda x, c: np.maximum(x, 0.0),
    "relu6": lambda x, c: np.clip(x, 0.0, 6.0),
    # keras.activations.leaky_relu's slope is 0.2; torch.nn.functional.leaky_relu's 0.01
    "leaky_relu": lambda x, c: leaky_relu(x, 0.2 if c == "keras" else 0.01),
    "elu": lambda x, c: elu(x),
    "selu": lambda x, c: SELU_SCALE * elu(x, SELU_ALPHA),
    "gelu": lambda x, c: gelu(x),
    "silu": lambda x, c: x * sigmoid(x),
    "swish": lambda x, c: x * sigmoid(x),
    "mish": lambda x, c: x * np.tanh(softplus(x)),
    "sigmoid": lambda x, c: sigmoid(x),
    "hard_sigmoid": lambda x, c: hard_sigmoid(x),
    "hard_swish": lambda x, c: x * hard_sigmoid(x),
    "tanh": lambda x, c: np.tanh(x),
    "softplus": lambda x, c: softplus(x),
    "softsign": lambda x, c: x / (1.0 + np.abs(x)),
    "softmax": lambda x, c: softmax(x, -1),
    "log_softmax": lambda x, c: log_softmax(x, -1),
    "softmin": lambda x, c: softmax(-x, -1),
    "log_sigmoid": lambda x, c: np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x))),
    "celu": lambda x, c: celu(x),
    "tanhshrink": lambda x, c: x - np.tanh(x),
    "softshrink": lambda x, c: softshrink(x),
    "hardshrink": lambda x, c: hardshrink(x),
    "hard_tanh": lambda x, c: np.clip(x, -1.0, 1.0),
    "threshold": _threshold_word,
    "exponential": lambda x, c: np.exp(x),
}
"""The `activation:` words of Dense, convolutions and Activation, with the convention's default arguments."""


def activate(x, word, convention):
    """x through the activation called `word` (None: unchanged)."""
    return x if word is None else ACTIVATION_WORDS[word](x, convention)


def _word(word):
    return lambda cfg, xs, p: ACTIVATION_WORDS[word](xs[0], cfg.convention)


def _prelu(cfg, xs, p):
    (x,) = xs
    if cfg.convention == "keras":
        alpha = p["alpha"]
    else:
        weight = p["alpha" if cfg.convention == "mxnet" else "weight"]
        alpha = weight.reshape((-1,) + (1,) * (x.ndim - 2)) if weight.size > 1 else weight.reshape(())
    return np.where(x >= 0, x, alpha * x)


def _glu(cfg, xs, p):
    a, b = np.split(xs[0], 2, axis=cfg.axis)
    return a * sigmoid(b)


def project(x, matrix):
    """x (..., k) @ matrix (k, n) as one 2-D matmul (numpy runs a stack of small products
    without BLAS, so the leading axes are folded into the rows first)."""
    if x.ndim <= 2:
        return x @ matrix
    return (x.reshape(-1, x.shape[-1]) @ matrix).reshape(*x.shape[:-1], matrix.shape[-1])


# -- padding and windows -------------------------------------------------------------------


def _spatial_axes(x, rank):
    return tuple(range(x.ndim - rank, x.ndim))


def pad_axes(x, pads, axes, mode="constant", value=0.0):
    """x padded by (before, after) on each of `axes`; a negative amount crops."""
    crop = [slice(None)] * x.ndim
    widths = [(0, 0)] * x.ndim
    for axis, (lo, hi) in zip(axes, pads):
        crop[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
        widths[axis] = (max(lo, 0), max(hi, 0))
    x = x[tuple(crop)]
    if not any(lo or hi for lo, hi in widths):
        return x
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


def windows(x, kernel, strides, dilation):
    """(N, C, *S) → a view (N, C, *out, *kernel) of every window (no copy)."""
    rank = len(kernel)
    effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    view = sliding_window_view(x, effective, axis=_spatial_axes(x, rank))
    index = (
        (slice(None), slice(None))
        + tuple(slice(None, None, s) for s in strides)
        + tuple(slice(None, None, d) for d in dilation)
    )
    return view[index]


def convolve(x, weight, strides, dilation, groups):
    """Cross-correlation of a padded channels-first x (N, C, *S) with weight (O, C/groups, *k).

    im2col: the windows become a (groups, C/groups·K, N·P) matrix (one copy) and one
    (batched over groups) matmul with the weight gives (N, O, *out).
    """
    rank = weight.ndim - 2
    kernel = weight.shape[2:]
    n, c = x.shape[:2]
    o = weight.shape[0]
    per_group = c // groups
    if all(k == 1 for k in kernel) and all(s == 1 for s in strides):
        spatial = x.shape[2:]
        cols = x.reshape(n, groups, per_group, -1)
        out = np.matmul(weight.reshape(groups, o // groups, per_group), cols)
        return out.reshape(n, o, *spatial)
    view = windows(x, kernel, strides, dilation)
    out_spatial = view.shape[2 : 2 + rank]
    k_size = math.prod(kernel)
    view = view.reshape(n, groups, per_group, *out_spatial, *kernel)
    order = (1, 2, *range(3 + rank, 3 + 2 * rank), 0, *range(3, 3 + rank))
    cols = view.transpose(order).reshape(groups, per_group * k_size, n * math.prod(out_spatial))
    out = np.matmul(weight.reshape(groups, o // groups, per_group * k_size), cols)
    return out.reshape(o, n, *out_spatial).swapaxes(0, 1)


def _channels_first(cfg, x, rank):
    """x as (N, C, *S), and a function that puts an output back in cfg's layout (and batching)."""
    unbatched = x.ndim == rank + 1
    if unbatched:
        x = x[None]
    last = getattr(cfg, "data_format", "channels_first") == "channels_last"
    if last:
        x = np.moveaxis(x, -1, 1)

    def restore(y):
        if last:
            y = np.moveaxis(y, 1, -1)
        return y[0] if unbatched else y

    return x, restore


def _add_bias(y, bias):
    return y if bias is None else y + bias.reshape((-1,) + (1,) * (y.ndim - 2))


def _conv_pad(cfg, x, kernel, rank):
    """x padded as the convolution's `padding` and `padding_mode` say."""
    pads = window_padding(cfg.padding, list(x.shape[2:]), kernel, cfg.strides, cfg.dilation)
    mode = "constant" if cfg.padding_mode == "zeros" else cfg.padding_mode
    return pad_axes(x, pads, _spatial_axes(x, rank), mode)


def _keras_to_torch_kernel(kernel, rank):
    """Keras (*k, in, out) → PyTorch (out, in, *k)."""
    return np.ascontiguousarray(np.moveaxis(kernel, (rank, rank + 1), (1, 0)))


def _conv_weight(cfg, p, rank):
    if cfg.convention == "keras":
        return _keras_to_torch_kernel(p["kernel"], rank), p.get("bias")
    return p["weight"], p.get("bias")


def _conv_forward(cfg, x, weight, bias, rank, groups):
    x, restore = _channels_first(cfg, x, rank)
    x = _conv_pad(cfg, x, weight.shape[2:], rank)
    y = _add_bias(convolve(x, weight, cfg.strides, cfg.dilation, groups), bias)
    return restore(activate(y, cfg.activation, cfg.convention))


def _conv(rank):
    def conv(cfg, xs, p):
        weight, bias = _conv_weight(cfg, p, rank)
        return _conv_forward(cfg, xs[0], weight, bias, rank, cfg.groups)

    return conv


def _depthwise(rank):
    def depthwise(cfg, xs, p):
        if cfg.convention == "keras":
            kernel = p["kernel"]  # (*k, C, dm) → (C*dm, 1, *k), output channel c*dm + m
            c, dm = kernel.shape[-2:]
            weight = np.ascontiguousarray(np.moveaxis(kernel, (rank, rank + 1), (0, 1))).reshape(
                c * dm, 1, *kernel.shape[:rank]
            )
        else:
            weight = p["weight"]
        return _conv_forward(cfg, xs[0], weight, p.get("bias"), rank, weight.shape[0] // cfg.depth_multiplier)

    return depthwise


def _separable(rank):
    def separable(cfg, xs, p):
        if cfg.convention == "keras":
            kernel = p["depthwise_kernel"]
            c, dm = kernel.shape[-2:]
            depth = np.ascontiguousarray(np.moveaxis(kernel, (rank, rank + 1), (0, 1))).reshape(
                c * dm, 1, *kernel.shape[:rank]
            )
            point = _keras_to_torch_kernel(p["pointwise_kernel"], rank)
            bias = p.get("bias")
        else:
            depth, point, bias = p["depthwise.weight"], p["pointwise.weight"], p.get("pointwise.bias")
        x, restore = _channels_first(cfg, xs[0], rank)
        x = _conv_pad(cfg, x, depth.shape[2:], rank)
        middle = convolve(x, depth, cfg.strides, cfg.dilation, depth.shape[0] // cfg.depth_multiplier)
        y = _add_bias(convolve(middle, point, (1,) * rank, (1,) * rank, 1), bias)
        return restore(activate(y, cfg.activation, cfg.convention))

    return separable


def _transposed(rank):
    def transposed(cfg, xs, p):
        # weight (in, out/groups, *k) as PyTorch stores it (Keras' (*k, out, in) is permuted to it);
        # the output is the convolution of the stride-dilated input, padded, with the flipped kernel
        if cfg.convention == "keras":
            weight, bias = np.ascontiguousarray(np.moveaxis(p["kernel"], (rank + 1, rank), (0, 1))), p.get("bias")
        else:
            weight, bias = p["weight"], p.get("bias")
        groups = cfg.groups
        x, restore = _channels_first(cfg, xs[0], rank)
        c_in, per_group = weight.shape[:2]
        kernel = weight.shape[2:]
        flipped = np.flip(weight, axis=tuple(range(2, 2 + rank)))
        flipped = flipped.reshape(groups, c_in // groups, per_group, *kernel).swapaxes(1, 2)
        flipped = np.ascontiguousarray(flipped).reshape(groups * per_group, c_in // groups, *kernel)
        n = x.shape[:2]
        spatial = x.shape[2:]
        dilated = np.zeros((*n, *[(m - 1) * s + 1 for m, s in zip(spatial, cfg.strides)]), dtype=x.dtype)
        dilated[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in cfg.strides)] = x
        pads = []
        for i, (k, s, d) in enumerate(zip(kernel, cfg.strides, cfg.dilation)):
            op = None if cfg.output_padding is None else cfg.output_padding[i]
            pads.append(_transposed_pads(cfg, k, s, d, op, i))
        y = convolve(pad_axes(dilated, pads, _spatial_axes(dilated, rank)), flipped, (1,) * rank, cfg.dilation, groups)
        return restore(activate(_add_bias(y, bias), cfg.activation, cfg.convention))

    return transposed


def _transposed_pads(cfg, k, s, d, op, axis):
    """(left, right) padding of the stride-dilated input (negative: crop)."""
    effective = d * (k - 1) + 1
    if cfg.convention != "keras":
        p = 0 if cfg.padding == "valid" else cfg.padding[axis][0]
        return effective - 1 - p, effective - 1 - p + (op or 0)
    # keras.src.backend.common.backend_utils._convert_conv_transpose_padding_args_from_keras_to_jax
    if cfg.padding == "valid":
        op = max(effective, s) - effective if op is None else op
        return effective - 1, effective - 1 + op
    pad_len = s + effective - 2 if op is None else effective + effective % 2 - 2 + op
    left = min(pad_len // 2 + pad_len % 2, effective - 1)
    return left, pad_len - left


# -- pooling --------------------------------------------------------------------------------


def _pool(rank, kind):
    def pool(cfg, xs, p):
        x, restore = _channels_first(cfg, xs[0], rank)
        spatial = list(x.shape[2:])
        kernel, strides, dilation = cfg.pool_size, cfg.strides or cfg.pool_size, cfg.dilation
        axes = _spatial_axes(x, rank)
        if cfg.convention == "keras":
            return restore(_keras_pool(x, kind, cfg.padding, kernel, strides, axes))
        pads = [(0, 0)] * rank if cfg.padding == "valid" else list(cfg.padding)
        outs, full = [], []
        for n, k, s, d, (lo, _) in zip(spatial, kernel, strides, dilation, pads):
            length = ceil_pool_length(n, k, s, d, lo) if cfg.ceil_mode else conv_length(n, k, s, d, lo, lo)
            outs.append(length)
            full.append((lo, (length - 1) * s + d * (k - 1) + 1 - n - lo))
        if kind == "max":
            padded = pad_axes(x, full, axes, value=-np.inf)
            return restore(windows(padded, kernel, strides, dilation).max(axis=tuple(range(-rank, 0))))
        padded = pad_axes(x, full, axes)
        total = windows(padded, kernel, strides, dilation).sum(axis=tuple(range(-rank, 0)), dtype=F32)
        divisor = np.ones((), F32)
        for axis, (n, k, s, (lo, _), length) in enumerate(zip(spatial, kernel, strides, pads, outs)):
            start = np.arange(length) * s - lo
            end = np.minimum(start + k, n + lo)
            count = end - start if cfg.count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
            divisor = divisor * count.astype(F32).reshape((-1,) + (1,) * (rank - 1 - axis))
        return restore(total / divisor)

    return pool


def _keras_pool(x, kind, padding, kernel, strides, axes):
    """Keras pooling as its torch backend computes it: 'same' pads symmetrically inside the
    op (excluding the padding from averages), or, when the two sides differ, replicates the
    edges first (backend/torch/nn.py _apply_same_padding)."""
    rank = len(kernel)
    reduce, unit = tuple(range(-rank, 0)), (1,) * rank
    pads = [_same_pair(n, k, s) for n, k, s in zip(x.shape[2:], kernel, strides)] if padding == "same" else None
    if pads and any(lo != hi for lo, hi in pads):
        x = pad_axes(x, pads, axes, "replicate")
    elif pads and kind == "max":
        x = pad_axes(x, pads, axes, value=-np.inf)
    elif pads:
        ones = pad_axes(np.ones(x.shape[2:], F32), pads, tuple(range(rank)))
        total = windows(pad_axes(x, pads, axes), kernel, strides, unit).sum(axis=reduce, dtype=F32)
        return total / windows(ones[None, None], kernel, strides, unit).sum(axis=reduce, dtype=F32)
    view = windows(x, kernel, strides, unit)
    return view.max(axis=reduce) if kind == "max" else view.mean(axis=reduce, dtype=F32)


def _same_pair(n, k, s):
    # keras.src.backend.torch.nn._compute_padding_length (dilation 1)
    total = k - 1 if s == 1 else max(0, ((n + s - 1) // s - 1) * s + k - n)
    return total // 2, total - total // 2


def _adaptive_indices(n, out):
    """PyTorch's adaptive windows along one axis: [floor(i·n/out), ceil((i+1)·n/out)), as an
    (out, L) index array padded with each window's last index, and the window lengths."""
    starts = (np.arange(out) * n) // out
    ends = -((-(np.arange(out) + 1) * n) // out)
    length = int((ends - starts).max())
    index = np.minimum(starts[:, None] + np.arange(length)[None, :], ends[:, None] - 1)
    return index, (ends - starts)


def _adaptive(rank, kind):
    def adaptive(cfg, xs, p):
        x, restore = _channels_first(cfg, xs[0], rank)
        for axis, size in zip(range(2, 2 + rank), cfg.output_size):
            n = x.shape[axis]
            if size is None or size == n:
                continue
            index, lengths = _adaptive_indices(n, size)
            gathered = np.take(np.moveaxis(x, axis, -1), index, axis=-1)  # (..., out, L)
            if kind == "max":
                reduced = gathered.max(axis=-1)
            else:
                valid = np.arange(index.shape[1])[None, :] < lengths[:, None]
                reduced = (gathered * valid).sum(axis=-1, dtype=F32) / lengths.astype(F32)
            x = np.moveaxis(reduced, -1, axis)
        return restore(x)

    return adaptive


def _global(rank, kind):
    def global_pool(cfg, xs, p):
        x = xs[0]
        last = cfg.data_format == "channels_last"
        axes = tuple(range(1, 1 + rank)) if last else tuple(range(2, 2 + rank))
        if kind == "max":
            return x.max(axis=axes, keepdims=cfg.keepdims)
        return x.mean(axis=axes, keepdims=cfg.keepdims, dtype=F32)

    return global_pool


# -- resampling, padding, cropping ---------------------------------------------------------


def _resize_axis(x, axis, out, mode, align_corners, factor):
    """x resized along one axis as PyTorch's upsample kernels do (index math in float32)."""
    n = x.shape[axis]
    dst = np.arange(out, dtype=F32)
    if mode in ("nearest", "nearest-exact"):
        if mode == "nearest" and out == n:
            return x
        if mode == "nearest" and out == 2 * n:
            return np.take(x, np.arange(out) >> 1, axis=axis)
        scale = F32(1.0 / factor) if factor else F32(n) / F32(out)
        src = np.floor((dst + F32(0.5 if mode == "nearest-exact" else 0.0)) * scale).astype(np.int64)
        return np.take(x, np.minimum(src, n - 1), axis=axis)
    if mode == "area":
        index, lengths = _adaptive_indices(n, out)
        moved = np.take(np.moveaxis(x, axis, -1), index, axis=-1)
        valid = np.arange(index.shape[1])[None, :] < lengths[:, None]
        return np.moveaxis((moved * valid).sum(axis=-1, dtype=F32) / lengths.astype(F32), -1, axis)
    if align_corners:
        scale = F32(n - 1) / F32(out - 1) if out > 1 else F32(0)
        src = scale * dst
    else:
        scale = F32(1.0 / factor) if factor else F32(n) / F32(out)
        src = scale * (dst + F32(0.5)) - F32(0.5)
    shape = [1] * x.ndim
    shape[axis] = out
    if mode == "bicubic":
        floor = np.floor(src)
        t = (src - floor).astype(F32)
        base = floor.astype(np.int64)
        a = F32(-0.75)
        weights = [
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a,
        ]
        total = 0
        for offset, weight in zip(range(-1, 3), weights):
            taps = np.take(x, np.clip(base + offset, 0, n - 1), axis=axis)
            total = total + taps * weight.reshape(shape)
        return total.astype(F32)
    src = np.maximum(src, F32(0))
    low = np.floor(src).astype(np.int64)
    low = np.minimum(low, n - 1)
    high = np.minimum(low + 1, n - 1)
    weight = (src - low.astype(F32)).astype(F32).reshape(shape)
    return np.take(x, low, axis=axis) * (F32(1) - weight) + np.take(x, high, axis=axis) * weight


def _upsample(cfg, xs, p):
    x = xs[0]
    rank = x.ndim - 2
    x, restore = _channels_first(cfg, x, rank)
    sizes = cfg.size if cfg.size is not None else None
    factors = cfg.scale_factor if isinstance(cfg.scale_factor, tuple) else (cfg.scale_factor,) * rank
    align = cfg.align_corners == "true"
    for i in range(rank):
        axis = 2 + i
        n = x.shape[axis]
        if sizes is not None:
            out, factor = sizes[i], None
        else:
            out, factor = int(math.floor(n * float(factors[i]))), float(factors[i])
        x = _resize_axis(x, axis, out, cfg.mode, align, factor)
    return restore(x)


def _upsampling(rank):
    def upsampling(cfg, xs, p):
        x = xs[0]
        first = 2 if cfg.data_format == "channels_first" else 1
        for i, size in enumerate(cfg.size):
            x = np.repeat(x, size, axis=first + i)
        return x

    return upsampling


def _torch_pad(rank, mode):
    def pad(cfg, xs, p):
        x = xs[0]
        padding = cfg.padding if len(cfg.padding) > 1 else cfg.padding * (2 * rank)
        pairs = [(padding[2 * i], padding[2 * i + 1]) for i in range(rank)]
        axes = [x.ndim - 1 - i for i in range(rank)]
        return pad_axes(x, pairs, axes, mode, getattr(cfg, "value", 0.0))

    return pad


def _spatial_pairs_axes(cfg, x, rank):
    first = 2 if cfg.data_format == "channels_first" else 1
    return tuple(range(first, first + rank))


def _keras_pad(rank):
    def pad(cfg, xs, p):
        return pad_axes(xs[0], list(cfg.padding), _spatial_pairs_axes(cfg, xs[0], rank))

    return pad


def _cropping(rank):
    def crop(cfg, xs, p):
        pairs = [(-lo, -hi) for lo, hi in cfg.cropping]
        return pad_axes(xs[0], pairs, _spatial_pairs_axes(cfg, xs[0], rank))

    return crop


# -- core layers ------------------------------------------------------------------------------


def _dense(cfg, xs, p):
    x = xs[0]
    if cfg.convention == "keras":
        y = project(x, p["kernel"])
    else:
        y = project(x, p["weight"].T)
    if "bias" in p:
        y = y + p["bias"]
    return activate(y, cfg.activation, cfg.convention)


def _bilinear(cfg, xs, p):
    a, b = xs
    y = np.einsum("...i,oij,...j->...o", a, p["weight"], b, optimize=True)
    return y + p["bias"] if "bias" in p else y


def _embedding(cfg, xs, p):
    table = p["embeddings" if cfg.convention == "keras" else "weight"]
    index = xs[0]
    if not np.issubdtype(index.dtype, np.integer):
        if not np.all(np.isfinite(index)) or not np.all(index == np.floor(index)):
            raise Refusal(f"needs integer indices, receives {index.dtype} values that are not whole numbers")
        index = index.astype(np.int64)
    if index.size and (index.min() < 0 or index.max() >= table.shape[0]):
        raise Refusal(f"receives indices from {index.min()} to {index.max()}, outside [0, {table.shape[0]})")
    return table[index]


def _positional(cfg, xs, p):
    x = xs[0]
    table = p["embeddings" if cfg.convention == "keras" else "weight"]
    return x + table[: x.shape[-2]]


def _class_token(cfg, xs, p):
    x = xs[0]
    token = np.broadcast_to(p["class_token"], (x.shape[0], 1, x.shape[2]))
    return np.concatenate([token, x], axis=1)


def _identity(cfg, xs, p):
    return xs[0]


def _flatten(cfg, xs, p):
    x = xs[0]
    if cfg.convention == "keras" and x.ndim == 1:
        return x.reshape(x.shape[0], 1)
    start, end = cfg.start_dim % x.ndim, cfg.end_dim % x.ndim
    return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])


def _reshape(cfg, xs, p):
    x = xs[0]
    return x.reshape(x.shape[0], *cfg.shape)


def _unflatten(cfg, xs, p):
    x = xs[0]
    axis = cfg.dim % x.ndim
    return x.reshape(*x.shape[:axis], *cfg.unflattened_size, *x.shape[axis + 1 :])


def _permute(cfg, xs, p):
    x = xs[0]
    dims = (0, *cfg.dims) if cfg.convention == "keras" else tuple(cfg.dims)
    return x.transpose(dims)


def _squeeze(cfg, xs, p):
    x = xs[0]
    if cfg.axis is None:
        return x.reshape([d for d in x.shape if d != 1])
    if x.ndim == 0:
        return x
    axis = cfg.axis % x.ndim
    return np.squeeze(x, axis) if x.shape[axis] == 1 else x


def _slice(cfg, xs, p):
    x = xs[0]
    index = [slice(None)] * x.ndim
    index[cfg.axis % x.ndim] = slice(cfg.start, cfg.stop, cfg.step)
    return x[tuple(index)]


def _concat(cfg, xs, p):
    axis = cfg.axis if cfg.axis is not None else (-1 if cfg.convention == "keras" else 1)
    return np.concatenate(xs, axis=axis)


def _fold(fn):
    def merge(cfg, xs, p):
        result = xs[0]
        for x in xs[1:]:
            result = fn(result, x)
        return result

    return merge


def _average(cfg, xs, p):
    return _fold(np.add)(cfg, xs, p) / len(xs)


# -- normalization ---------------------------------------------------------------------------


def _scale_shift(y, p, shape, names=(("weight", "gamma", "scale"), ("bias", "beta"))):
    for group, op in zip(names, (np.multiply, np.add)):
        for name in group:
            if name in p:
                y = op(y, p[name].reshape(shape))
                break
    return y


def _batchnorm(cfg, xs, p):
    # (x - mean) / sqrt(var + eps) * gamma + beta, folded per channel into x * scale + shift
    x = xs[0]
    axis = cfg.axis % x.ndim
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mean = p.get("running_mean", p.get("moving_mean"))
    var = p.get("running_var", p.get("moving_variance"))
    if mean is None:  # PyTorch without running statistics: the batch's (biased variance)
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        mean, var = x.mean(axis=reduce, dtype=F32), x.var(axis=reduce, dtype=F32)
    if cfg.convention == "mxnet":
        gamma = p["gamma"] if (cfg.scale and cfg.affine) else None
        beta = p["beta"] if (cfg.center and cfg.affine) else None
    else:
        gamma = next((p[name] for name in ("weight", "gamma") if name in p), None)
        beta = next((p[name] for name in ("bias", "beta") if name in p), None)
    scale = 1.0 / np.sqrt(var + cfg.eps)
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale
    if beta is not None:
        shift = shift + beta
    return x * scale.reshape(shape) + shift.reshape(shape)


def _normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True, dtype=F32)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True, dtype=F32)
    return centered / np.sqrt(var + eps)


def _layernorm(cfg, xs, p):
    x = xs[0]
    if cfg.normalized_shape is not None:
        axes = tuple(range(x.ndim - len(cfg.normalized_shape), x.ndim))
    else:
        axes = tuple(sorted(a % x.ndim for a in cfg.axis))
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return _scale_shift(_normalize(x, axes, cfg.eps), p, shape)


def _groupnorm(cfg, xs, p):
    x = xs[0]
    axis = cfg.axis % x.ndim
    channels, groups = x.shape[axis], cfg.num_groups
    moved = np.moveaxis(x, axis, 1)
    grouped = moved.reshape(moved.shape[0], groups, channels // groups, *moved.shape[2:])
    y = np.moveaxis(_normalize(grouped, tuple(range(2, grouped.ndim)), cfg.eps).reshape(moved.shape), 1, axis)
    shape = [1] * x.ndim
    shape[axis] = channels
    return _scale_shift(y, p, shape)


def _instancenorm(rank):
    def instancenorm(cfg, xs, p):
        x = xs[0]
        unbatched = x.ndim == rank + 1
        if unbatched:
            x = x[None]
        shape = (1, x.shape[1]) + (1,) * rank
        if "running_mean" in p:  # PyTorch in eval mode uses the running statistics when it tracks them
            y = (x - p["running_mean"].reshape(shape)) / np.sqrt(p["running_var"].reshape(shape) + cfg.eps)
        else:
            y = _normalize(x, tuple(range(2, x.ndim)), cfg.eps)
        y = _scale_shift(y, p, shape)
        return y[0] if unbatched else y

    return instancenorm


def _rmsnorm(cfg, xs, p):
    x = xs[0]
    if cfg.normalized_shape is not None:
        axes = tuple(range(x.ndim - len(cfg.normalized_shape), x.ndim))
    else:
        axes = (cfg.axis % x.ndim,)
    if cfg.eps is not None:
        eps = cfg.eps
    else:  # PyTorch: the dtype's machine epsilon; Keras RMSNormalization: 1e-6
        eps = 1e-6 if cfg.convention == "keras" else float(np.finfo(F32).eps)
    y = x / np.sqrt((x * x).mean(axis=axes, keepdims=True, dtype=F32) + eps)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return _scale_shift(y, p, shape)


def _lrn(cfg, xs, p):
    # torch.nn.functional.local_response_norm with alpha 1e-4, beta 0.75, k 1
    x = xs[0]
    size = cfg.size
    squares = pad_axes(x * x, [(size // 2, (size - 1) // 2)], (1,))
    window = sliding_window_view(squares, size, axis=1).sum(axis=-1, dtype=F32) / size
    return x / (window * 1e-4 + 1.0) ** 0.75


# -- recurrent layers -------------------------------------------------------------------------

_TORCH_NONLINEARITY = {None: np.tanh, "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0)}


def _torch_cell(kind, cfg):
    """step(gates_x, h, c, w_hh, b_hh, w_hr) -> (h, c) of PyTorch's RNN/LSTM/GRU cells."""
    if kind == "RNN":
        if cfg.activation not in _TORCH_NONLINEARITY:
            raise Refusal(f"PyTorch's RNN takes nonlinearity tanh or relu, not {cfg.activation}")
        act = _TORCH_NONLINEARITY[cfg.activation]

        def rnn(gx, h, c, w_hh, b_hh, w_hr):
            return act(gx + h @ w_hh.T + b_hh), c

        return rnn
    if kind == "LSTM":

        def lstm(gx, h, c, w_hh, b_hh, w_hr):
            i, f, g, o = np.split(gx + h @ w_hh.T + b_hh, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            return (h if w_hr is None else h @ w_hr.T), c

        return lstm

    def gru(gx, h, c, w_hh, b_hh, w_hr):
        xr, xz, xn = np.split(gx, 3, axis=-1)
        hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
        r, z = sigmoid(xr + hr), sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1.0 - z) * n + z * h, c

    return gru


def _torch_recurrent(kind):
    def recurrent(cfg, xs, p):
        x = xs[0]
        unbatched = x.ndim == 2
        if unbatched:
            x = x[:, None]
        elif cfg.batch_first:
            x = x.swapaxes(0, 1)
        steps, batch = x.shape[:2]
        hidden = cfg.hidden_size
        proj = getattr(cfg, "proj_size", 0)
        h_out = proj or hidden
        directions = 2 if cfg.bidirectional else 1
        step = _torch_cell(kind, cfg)
        names = _torch_names(cfg)
        h_n, c_n = [], []
        layer_input = x
        for layer in range(cfg.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = (p.get(name) for name in names(layer, direction))
                zero = np.zeros(w_ih.shape[0], F32)
                b_ih = zero if b_ih is None else b_ih
                b_hh = zero if b_hh is None else b_hh
                gates_x = project(layer_input, w_ih.T) + b_ih
                h = np.zeros((batch, h_out), F32)
                c = np.zeros((batch, hidden), F32)
                sequence = np.empty((steps, batch, h_out), F32)
                order = range(steps - 1, -1, -1) if direction else range(steps)
                for t in order:
                    h, c = step(gates_x[t], h, c, w_hh, b_hh, w_hr)
                    sequence[t] = h
                outputs.append(sequence)
                h_n.append(h)
                c_n.append(c)
            layer_input = np.concatenate(outputs, axis=-1) if directions == 2 else outputs[0]
        output = layer_input
        h_n, c_n = np.stack(h_n), np.stack(c_n)
        if unbatched:
            output, h_n, c_n = output[:, 0], h_n[:, 0], c_n[:, 0]
        elif cfg.batch_first:
            output = output.swapaxes(0, 1)
        return [output, h_n, c_n] if kind == "LSTM" else [output, h_n]

    return recurrent


def _torch_names(cfg):
    if cfg.convention == "mxnet":

        def mxnet(layer, direction):
            prefix = f"{'r' if direction else 'l'}{layer}_"
            return (
                f"{prefix}i2h_weight",
                f"{prefix}h2h_weight",
                f"{prefix}i2h_bias",
                f"{prefix}h2h_bias",
                f"{prefix}h2r_weight",
            )

        return mxnet

    def torch(layer, direction):
        suffix = f"_l{layer}{'_reverse' if direction else ''}"
        return (
            f"weight_ih{suffix}",
            f"weight_hh{suffix}",
            f"bias_ih{suffix}",
            f"bias_hh{suffix}",
            f"weight_hr{suffix}",
        )

    return torch


_KERAS_ACTIVATION = {
    None: np.tanh,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": sigmoid,
    "linear": lambda x: x,
}


def _keras_run(kind, cfg, x, kernel, recurrent, bias, backwards):
    """One Keras recurrent layer over (N, T, F); returns the sequence in processing order and the states."""
    act = _KERAS_ACTIVATION[cfg.activation]
    units = cfg.hidden_size
    batch, steps = x.shape[:2]
    reset_after = kind == "GRU" and cfg.reset_after
    if bias is None:
        input_bias = recurrent_bias = None
    elif reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, None
    gates_x = project(x, kernel)
    if input_bias is not None:
        gates_x = gates_x + input_bias
    h = np.zeros((batch, units), F32)
    c = np.zeros((batch, units), F32)
    sequence = np.empty((batch, steps, units), F32)
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    for position, t in enumerate(order):
        gx = gates_x[:, t]
        if kind == "SimpleRNN":
            h = act(gx + h @ recurrent)
        elif kind == "LSTM":
            i, f, g, o = np.split(gx + h @ recurrent, 4, axis=-1)
            c = sigmoid(f) * c + sigmoid(i) * act(g)
            h = sigmoid(o) * act(c)
        else:
            xz, xr, xh = np.split(gx, 3, axis=-1)
            if reset_after:
                inner = h @ recurrent
                if recurrent_bias is not None:
                    inner = inner + recurrent_bias
                rz, rr, rh = np.split(inner, 3, axis=-1)
                z, r = sigmoid(xz + rz), sigmoid(xr + rr)
                hh = act(xh + r * rh)
            else:
                z = sigmoid(xz + h @ recurrent[:, :units])
                r = sigmoid(xr + h @ recurrent[:, units : 2 * units])
                hh = act(xh + (r * h) @ recurrent[:, 2 * units :])
            h = z * h + (1.0 - z) * hh
        sequence[:, position] = h
    states = [h, c] if kind == "LSTM" else [h]
    return sequence, states


def _keras_recurrent(kind):
    def recurrent(cfg, xs, p):
        x = xs[0]
        word = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
        if cfg.bidirectional and cfg.go_backwards:
            raise Refusal("cannot run: Keras' Bidirectional refuses a layer with go_backwards")
        sides = (
            [("forward_" + word + ".", False), ("backward_" + word + ".", True)] if cfg.bidirectional else [("", False)]
        )
        outputs, states = [], []
        for prefix, backwards in sides:
            cell = f"{prefix}{word}_cell."
            sequence, state = _keras_run(
                kind,
                cfg,
                x,
                p[cell + "kernel"],
                p[cell + "recurrent_kernel"],
                p.get(cell + "bias"),
                backwards or cfg.go_backwards,
            )
            if not cfg.return_sequences:
                outputs.append(sequence[:, -1])
            elif backwards:
                outputs.append(sequence[:, ::-1])  # Bidirectional flips the backward layer's sequence back
            else:
                outputs.append(sequence)
            states += state
        output = np.concatenate(outputs, axis=-1) if cfg.bidirectional else outputs[0]
        return [output, *states] if cfg.return_state else output

    return recurrent


def _recurrent(kind, keras_kind):
    torch_fn, keras_fn = _torch_recurrent(kind), _keras_recurrent(keras_kind)
    return lambda cfg, xs, p: keras_fn(cfg, xs, p) if cfg.convention == "keras" else torch_fn(cfg, xs, p)


# -- attention ------------------------------------------------------------------------------


def torch_attention(query, key, value, p, heads, bias_kv, zero_attn, average=True, prefix=""):
    """nn.MultiheadAttention's forward (no masks, no dropout) on (L, N, E) query and (S, N, ·) key/value."""
    e = query.shape[-1]
    if prefix + "in_proj_weight" in p:
        wq, wk, wv = np.split(p[prefix + "in_proj_weight"], 3)
    else:
        wq, wk, wv = (p[prefix + f"{n}_proj_weight"] for n in "qkv")
    bq = bk = bv = None
    if prefix + "in_proj_bias" in p:
        bq, bk, bv = np.split(p[prefix + "in_proj_bias"], 3)
    q, k, v = project(query, wq.T), project(key, wk.T), project(value, wv.T)
    if bq is not None:
        q, k, v = q + bq, k + bk, v + bv
    length, batch = q.shape[:2]
    if bias_kv:
        k = np.concatenate([k, np.broadcast_to(p[prefix + "bias_k"], (1, batch, e))])
        v = np.concatenate([v, np.broadcast_to(p[prefix + "bias_v"], (1, batch, e))])
    if zero_attn:
        k = np.concatenate([k, np.zeros((1, batch, e), F32)])
        v = np.concatenate([v, np.zeros((1, batch, e), F32)])
    head = e // heads
    q = np.ascontiguousarray(q.reshape(length, batch * heads, head).swapaxes(0, 1))
    k = np.ascontiguousarray(k.reshape(k.shape[0], batch * heads, head).swapaxes(0, 1))
    v = np.ascontiguousarray(v.reshape(v.shape[0], batch * heads, head).swapaxes(0, 1))
    weights = softmax((q * math.sqrt(1.0 / head)) @ k.swapaxes(1, 2), -1)
    out = (weights @ v).swapaxes(0, 1).reshape(length, batch, e)
    out = project(out, p[prefix + "out_proj.weight"].T)
    if prefix + "out_proj.bias" in p:
        out = out + p[prefix + "out_proj.bias"]
    weights = weights.reshape(batch, heads, length, -1)
    return out, (weights.mean(axis=1, dtype=F32) if average else weights)


def _attention(cfg, xs, p):
    if cfg.convention == "keras":
        return _keras_attention(cfg, xs, p)
    query = xs[0]
    key = xs[1] if len(xs) > 1 else query
    value = xs[2] if len(xs) > 2 else key
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query[:, None], key[:, None], value[:, None]
    elif cfg.batch_first:
        query, key, value = query.swapaxes(0, 1), key.swapaxes(0, 1), value.swapaxes(0, 1)
    out, weights = torch_attention(
        query, key, value, p, cfg.num_heads, cfg.add_bias_kv, cfg.add_zero_attn, cfg.average_attn_weights
    )
    if unbatched:
        return [out[:, 0], weights[0]]
    return [out.swapaxes(0, 1) if cfg.batch_first else out, weights]


def _keras_attention(cfg, xs, p):
    query, value = xs[0], xs[1] if len(xs) > 1 else xs[0]
    key = xs[2] if len(xs) > 2 else value

    def project(x, name):
        y = np.tensordot(x, p[name + ".kernel"], axes=([-1], [0]))
        return y + p[name + ".bias"] if name + ".bias" in p else y

    batch = query.shape[0]
    q = project(query, "query")  # (B, *T, H, kd)
    k, v = project(key, "key"), project(value, "value")
    t_shape, heads = q.shape[1:-2], cfg.num_heads
    q = q.reshape(batch, -1, heads, q.shape[-1]) * (1.0 / math.sqrt(cfg.key_dim))
    k = k.reshape(batch, -1, heads, k.shape[-1])
    v = v.reshape(batch, -1, heads, v.shape[-1])
    scores = softmax(np.einsum("aecd,abcd->acbe", k, q, optimize=True), -1)  # (B, H, T, S)
    out = np.einsum("acbe,aecd->abcd", scores, v, optimize=True)  # (B, T, H, vd)
    out = np.tensordot(out, p["attention_output.kernel"], axes=([-2, -1], [0, 1]))
    if "attention_output.bias" in p:
        out = out + p["attention_output.bias"]
    out = out.reshape(batch, *t_shape, out.shape[-1])
    if cfg.return_attention_scores:
        return [out, scores.reshape(batch, heads, *t_shape, *value.shape[1:-1])]
    return out


def _layer_norm_of(x, p, name, eps):
    y = _normalize(x, (x.ndim - 1,), eps) * p[name + ".weight"]
    return y + p[name + ".bias"] if name + ".bias" in p else y


def _feed_forward(cfg, x, p):
    hidden = project(x, p["linear1.weight"].T)
    if "linear1.bias" in p:
        hidden = hidden + p["linear1.bias"]
    hidden = gelu(hidden) if cfg.activation == "gelu" else np.maximum(hidden, 0.0)
    out = project(hidden, p["linear2.weight"].T)
    return out + p["linear2.bias"] if "linear2.bias" in p else out


def _sequence_first(cfg, x):
    if x.ndim == 2:
        return x[:, None]
    return x.swapaxes(0, 1) if cfg.batch_first else x


def _sequence_back(cfg, y, like):
    if like.ndim == 2:
        return y[:, 0]
    return y.swapaxes(0, 1) if cfg.batch_first else y


def _encoder_layer(cfg, xs, p):
    x = _sequence_first(cfg, xs[0])
    eps = cfg.layer_norm_eps

    def attend(y):
        return torch_attention(y, y, y, p, cfg.nhead, False, False, prefix="self_attn.")[0]

    if cfg.norm_first:
        x = x + attend(_layer_norm_of(x, p, "norm1", eps))
        x = x + _feed_forward(cfg, _layer_norm_of(x, p, "norm2", eps), p)
    else:
        x = _layer_norm_of(x + attend(x), p, "norm1", eps)
        x = _layer_norm_of(x + _feed_forward(cfg, x, p), p, "norm2", eps)
    return _sequence_back(cfg, x, xs[0])


def _decoder_layer(cfg, xs, p):
    x, memory = _sequence_first(cfg, xs[0]), _sequence_first(cfg, xs[1])
    eps = cfg.layer_norm_eps

    def self_attend(y):
        return torch_attention(y, y, y, p, cfg.nhead, False, False, prefix="self_attn.")[0]

    def cross_attend(y):
        return torch_attention(y, memory, memory, p, cfg.nhead, False, False, prefix="multihead_attn.")[0]

    if cfg.norm_first:
        x = x + self_attend(_layer_norm_of(x, p, "norm1", eps))
        x = x + cross_attend(_layer_norm_of(x, p, "norm2", eps))
        x = x + _feed_forward(cfg, _layer_norm_of(x, p, "norm3", eps), p)
    else:
        x = _layer_norm_of(x + self_attend(x), p, "norm1", eps)
        x = _layer_norm_of(x + cross_attend(x), p, "norm2", eps)
        x = _layer_norm_of(x + _feed_forward(cfg, x, p), p, "norm3", eps)
    return _sequence_back(cfg, x, xs[0])


# -- the table --------------------------------------------------------------------------------


def _activation_layer(cfg, xs, p):
    return activate(xs[0], cfg.activation, cfg.convention)


LAYERS: dict = {
    "ReLU": _word("relu"),
    "ReLU6": _word("relu6"),
    "LeakyReLU": lambda cfg, xs, p: leaky_relu(xs[0], cfg.negative_slope),
    "ELU": lambda cfg, xs, p: elu(xs[0], cfg.alpha),
    "SELU": _word("selu"),
    "GELU": _word("gelu"),
    "SiLU": _word("silu"),
    "Mish": _word("mish"),
    "Sigmoid": _word("sigmoid"),
    "Hardsigmoid": _word("hard_sigmoid"),
    "Hardswish": _word("hard_swish"),
    "Tanh": _word("tanh"),
    "Softplus": _word("softplus"),
    "Softsign": _word("softsign"),
    "Softmax": lambda cfg, xs, p: softmax(xs[0], cfg.axis),
    "LogSoftmax": lambda cfg, xs, p: log_softmax(xs[0], cfg.axis),
    "Softmin": lambda cfg, xs, p: softmax(-xs[0], cfg.axis),
    "LogSigmoid": _word("log_sigmoid"),
    "CELU": lambda cfg, xs, p: celu(xs[0], cfg.alpha),
    "Tanhshrink": _word("tanhshrink"),
    "Softshrink": lambda cfg, xs, p: softshrink(xs[0], cfg.lambd),
    "Hardshrink": lambda cfg, xs, p: hardshrink(xs[0], cfg.lambd),
    "Hardtanh": lambda cfg, xs, p: np.clip(xs[0], cfg.min_val, cfg.max_val),
    "Threshold": lambda cfg, xs, p: np.where(xs[0] > cfg.threshold, xs[0], F32(cfg.value)),
    "Activation": _activation_layer,
    "PReLU": _prelu,
    "GLU": _glu,
    "MultiheadAttention": _attention,
    "TransformerEncoderLayer": _encoder_layer,
    "TransformerDecoderLayer": _decoder_layer,
    "Dense": _dense,
    "Identity": _identity,
    "Dropout": _identity,
    "Flatten": _flatten,
    "AlphaDropout": _identity,
    "GaussianDropout": _identity,
    "GaussianNoise": _identity,
    "Embedding": _embedding,
    "PositionalEmbedding": _positional,
    "Bilinear": _bilinear,
    "ClassToken": _class_token,
    "Add": _fold(np.add),
    "Multiply": _fold(np.multiply),
    "Subtract": _fold(np.subtract),
    "Average": _average,
    "Maximum": _fold(np.maximum),
    "Minimum": _fold(np.minimum),
    "Concat": _concat,
    "MatMul": lambda cfg, xs, p: np.matmul(xs[0], xs[1]),
    "BatchNormalization": _batchnorm,
    "LayerNorm": _layernorm,
    "GroupNorm": _groupnorm,
    "RMSNorm": _rmsnorm,
    "LocalResponseNorm": _lrn,
    "RNN": _recurrent("RNN", "SimpleRNN"),
    "LSTM": _recurrent("LSTM", "LSTM"),
    "GRU": _recurrent("GRU", "GRU"),
    "Reshape": _reshape,
    "Unflatten": _unflatten,
    "Permute": _permute,
    "Transpose": lambda cfg, xs, p: np.swapaxes(xs[0], cfg.dim0, cfg.dim1),
    "Squeeze": _squeeze,
    "Unsqueeze": lambda cfg, xs, p: np.expand_dims(xs[0], cfg.axis % (xs[0].ndim + 1)),
    "Upsample": _upsample,
    "Slice": _slice,
    "Select": lambda cfg, xs, p: np.take(xs[0], cfg.index, axis=cfg.axis),
}
for _rank in (1, 2, 3):
    LAYERS[f"Conv{_rank}d"] = _conv(_rank)
    LAYERS[f"ConvTranspose{_rank}d"] = _transposed(_rank)
    LAYERS[f"Dropout{_rank}d"] = _identity
    LAYERS[f"BatchNorm{_rank}d"] = _batchnorm
    LAYERS[f"InstanceNorm{_rank}d"] = _instancenorm(_rank)
    LAYERS[f"UpSampling{_rank}D"] = _upsampling(_rank)
    LAYERS[f"ZeroPadding{_rank}D"] = _keras_pad(_rank)
    LAYERS[f"Cropping{_rank}D"] = _cropping(_rank)
    for _mode, _name in (
        ("constant", "ZeroPad"),
        ("constant", "ConstantPad"),
        ("reflect", "ReflectionPad"),
        ("replicate", "ReplicationPad"),
    ):
        LAYERS[f"{_name}{_rank}d"] = _torch_pad(_rank, _mode)
    for _kind, _torch, _keras in (("max", "Max", "Max"), ("avg", "Avg", "Average")):
        LAYERS[f"{_torch}Pool{_rank}d"] = _pool(_rank, _kind)
        LAYERS[f"Adaptive{_torch}Pool{_rank}d"] = _adaptive(_rank, _kind)
        LAYERS[f"Global{_keras}Pooling{_rank}D"] = _global(_rank, _kind)
for _rank in (1, 2):
    LAYERS[f"DepthwiseConv{_rank}D"] = _depthwise(_rank)
    LAYERS[f"SeparableConv{_rank}D"] = _separable(_rank)

REFUSED: dict[str, str] = {}
"""Layer types this backend does not run, with the reason shown to the user. Empty: every type runs."""
