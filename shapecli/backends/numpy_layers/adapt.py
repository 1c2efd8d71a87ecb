"""Standalone tensors and the shape-adapting layers: padding, cropping, rolling, shuffling,
splitting, stacking, reducing, einsum, expanding and repeating, index selection (PyTorch's
semantics, which keras.ops share where they have a counterpart)."""

from __future__ import annotations

import numpy as np

from ...layers.adapt import pad_amounts
from ...layers.einsum import ELLIPSIS, align, explicit, parse_equation
from .common import F32, Refusal, pad_axes


def tensor(cfg, xs, p):
    """A Parameter or Buffer: its own value. The run computes in float32: a Buffer of an integer
    dtype holds whole numbers (truncated toward zero, as PyTorch stores floats in an int tensor)."""
    value = p[""]
    dtype = getattr(cfg, "dtype", None)
    if dtype is not None and dtype.startswith(("int", "uint")):
        return np.trunc(value).astype(F32)
    return value


def layer_scale(cfg, xs, p):
    return xs[0] * p[cfg.param_name]


def pad_to_multiple(cfg, xs, p):
    x = xs[0]
    found = pad_amounts(cfg, x.shape)
    return pad_axes(
        x, [(before, after) for _, before, after in found], [axis for axis, _, _ in found], "constant", cfg.value
    )


def pad(cfg, xs, p):
    x = xs[0]
    count = len(cfg.padding) // 2
    pairs = [(cfg.padding[2 * i], cfg.padding[2 * i + 1]) for i in range(count)]
    axes = [x.ndim - 1 - i for i in range(count)]
    # circular padding crops first, then wraps around what is left (as often as needed)
    return pad_axes(x, pairs, axes, cfg.mode, cfg.value)


def _narrow(x, axes, sizes, align):
    index = [slice(None)] * x.ndim
    for axis, size in zip(axes, sizes):
        n = x.shape[axis]
        start = {"start": 0, "center": (n - size) // 2, "end": n - size}[align]
        index[axis % x.ndim] = slice(start, start + size)
    return x[tuple(index)]


def crop(cfg, xs, p):
    sizes = cfg.size if len(cfg.size) > 1 else cfg.size * len(cfg.axes)
    return _narrow(xs[0], cfg.axes, sizes, cfg.align)


def crop_to(cfg, xs, p):
    x, like = xs
    return _narrow(x, cfg.axes, [like.shape[a] for a in cfg.axes], cfg.align)


def roll(cfg, xs, p):
    if cfg.dims is None:
        return np.roll(xs[0], cfg.shifts[0])
    return np.roll(xs[0], cfg.shifts, axis=cfg.dims)


def channel_shuffle(cfg, xs, p):
    x = xs[0]
    n, c = x.shape[:2]
    grouped = x.reshape(n, cfg.groups, c // cfg.groups, *x.shape[2:])
    return np.swapaxes(grouped, 1, 2).reshape(x.shape)


def index_select(cfg, xs, p):
    x, index = xs
    if not np.issubdtype(index.dtype, np.integer):
        if not np.all(index == np.floor(index)):
            raise Refusal(f"needs integer indices, receives {index.dtype} values that are not whole numbers")
        index = index.astype(np.int64)
    if not x.ndim:
        return x
    size = x.shape[cfg.dim]
    if index.size and (index.min() < -size or index.max() >= size):
        raise Refusal(f"receives indices from {index.min()} to {index.max()}, outside [0, {size})")
    return np.take(x, index.reshape(-1), axis=cfg.dim)


def split(cfg, xs, p):
    x = xs[0]
    sizes = list(cfg.sizes) if len(cfg.sizes) > 1 else [cfg.sizes[0]] * cfg.count
    cuts = np.cumsum(sizes)[:-1]
    return np.split(x, cuts, axis=cfg.dim)


def chunk(cfg, xs, p):
    x = xs[0]
    n = x.shape[cfg.dim]
    size = -(-n // cfg.chunks)
    cuts = [size * i for i in range(1, cfg.chunks)]
    return np.split(x, cuts, axis=cfg.dim)


def stack(cfg, xs, p):
    return np.stack(xs, axis=cfg.axis)


_REDUCERS = {"mean": np.mean, "sum": np.sum, "max": np.max, "min": np.min}


def reduce(cfg, xs, p):
    x = xs[0]
    if not x.ndim:
        return x
    axes = tuple(a % x.ndim for a in cfg.axes) if cfg.axes else None
    result = _REDUCERS[cfg.op](x, axis=axes, keepdims=cfg.keepdims)
    return np.asarray(result, dtype=F32) if x.dtype == F32 else np.asarray(result)


def einsum(cfg, xs, p):
    # PyTorch broadcasts a letter's size 1 against the others (numpy does only for '...'):
    # such axes are broadcast first; the output is written out as PyTorch infers it
    equation = parse_equation(cfg.equation)
    layout = align(equation, [x.shape for x in xs])
    operands = []
    for term, x in zip(equation.inputs, xs):
        target, dim = list(x.shape), 0
        for label in term:
            if label == ELLIPSIS:
                dim += x.ndim - (len(term) - 1)
                continue
            if x.shape[dim] == 1:
                target[dim] = layout.sizes[layout.position[label]]
            dim += 1
        operands.append(np.broadcast_to(x, target))
    return np.einsum(explicit(equation), *operands, optimize=True).astype(F32, copy=False)


def expand(cfg, xs, p):
    x = xs[0]
    new = len(cfg.sizes) - x.ndim
    shape = [s if s != -1 else x.shape[i - new] for i, s in enumerate(cfg.sizes)]
    return np.broadcast_to(x, shape)


def tile(cfg, xs, p):
    return np.tile(xs[0], cfg.repeats)
