"""Pooling: PyTorch's windows (ceil_mode, padding, count_include_pad), Keras' as its torch
backend pools, adaptive and global."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ...shape_math import ceil_pool_length, conv_length
from .common import F32, Refusal, channels_first, pad_axes, spatial_axes, windows


def pool(rank, kind):
    def pool(cfg, xs, p):
        x, restore = channels_first(cfg, xs[0], rank)
        spatial = list(x.shape[2:])
        kernel, strides, dilation = cfg.pool_size, cfg.strides or cfg.pool_size, cfg.dilation
        axes = spatial_axes(x, rank)
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
            view = windows(padded, kernel, strides, dilation)
            y = view.max(axis=tuple(range(-rank, 0)))
            if getattr(cfg, "return_indices", False):
                return [restore(y), restore(_window_argmax(view, spatial, strides, dilation, pads))]
            return restore(y)
        padded = pad_axes(x, full, axes)
        total = windows(padded, kernel, strides, dilation).sum(axis=tuple(range(-rank, 0)), dtype=F32)
        divisor = np.ones((), F32)
        for axis, (n, k, s, (lo, _), length) in enumerate(zip(spatial, kernel, strides, pads, outs)):
            start = np.arange(length) * s - lo
            end = np.minimum(start + k, n + lo)
            count = end - start if cfg.count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
            divisor = divisor * count.astype(F32).reshape((-1,) + (1,) * (rank - 1 - axis))
        if getattr(cfg, "divisor_override", None) is not None:
            divisor = F32(cfg.divisor_override)
        return restore(total / divisor)

    return pool


def _window_argmax(view, spatial, strides, dilation, pads):
    """The flat index in each input plane of every window's first maximum (PyTorch's return_indices):
    view (N, C, *out, *kernel) of the input padded by pads' befores."""
    rank = len(spatial)
    out = view.shape[2 : 2 + rank]
    flat = view.reshape(*view.shape[: 2 + rank], -1)
    offsets = np.unravel_index(flat.argmax(axis=-1), view.shape[2 + rank :])
    index = np.zeros(flat.shape[:-1], np.int64)
    for axis, (n, s, d, (lo, _)) in enumerate(zip(spatial, strides, dilation, pads)):
        start = (np.arange(out[axis]) * s - lo).reshape((-1,) + (1,) * (rank - 1 - axis))
        index = index * n + start + offsets[axis] * d
    return index


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


def adaptive_indices(n, out):
    """PyTorch's adaptive windows along one axis: [floor(i·n/out), ceil((i+1)·n/out)), as an
    (out, L) index array padded with each window's last index, and the window lengths."""
    starts = (np.arange(out) * n) // out
    ends = -((-(np.arange(out) + 1) * n) // out)
    length = int((ends - starts).max())
    index = np.minimum(starts[:, None] + np.arange(length)[None, :], ends[:, None] - 1)
    return index, (ends - starts)


def adaptive(rank, kind):
    def adaptive(cfg, xs, p):
        if kind == "avg" and xs[0].ndim <= rank:
            # PyTorch's mean shortcut (an output size of all ones) takes an input with no axis before
            # the pooled ones; inference lets such an input through only then (layers/pool.py)
            return xs[0].mean(axis=tuple(range(-rank, 0)), keepdims=True, dtype=F32)
        x, restore = channels_first(cfg, xs[0], rank)
        if getattr(cfg, "return_indices", False):
            return [restore(a) for a in _adaptive_max_with_indices(x, rank, cfg.output_size)]
        for axis, size in zip(range(2, 2 + rank), cfg.output_size):
            n = x.shape[axis]
            if size is None or size == n:
                continue
            index, lengths = adaptive_indices(n, size)
            gathered = np.take(np.moveaxis(x, axis, -1), index, axis=-1)  # (..., out, L)
            if kind == "max":
                reduced = gathered.max(axis=-1)
            else:
                valid = np.arange(index.shape[1])[None, :] < lengths[:, None]
                reduced = (gathered * valid).sum(axis=-1, dtype=F32) / lengths.astype(F32)
            x = np.moveaxis(reduced, -1, axis)
        return restore(x)

    return adaptive


def global_pooling(rank, kind):
    def global_pool(cfg, xs, p):
        x = xs[0]
        last = cfg.data_format == "channels_last"
        axes = tuple(range(1, 1 + rank)) if last else tuple(range(2, 2 + rank))
        if kind == "max":
            return x.max(axis=axes, keepdims=cfg.keepdims, initial=-np.inf)
        return x.mean(axis=axes, keepdims=cfg.keepdims, dtype=F32)

    return global_pool


def _adaptive_max_with_indices(x, rank, output_size):
    """PyTorch's adaptive max pooling with return_indices: every window gathered whole (its
    per-axis index lists padded with their last index), the first maximum and its flat index."""
    spatial = x.shape[2:]
    lists = []
    for n, size in zip(spatial, output_size):
        lists.append(adaptive_indices(n, n if size is None else size)[0])
    # window (N, C, *out, *lengths): gather axis by axis
    gathered = x
    for axis, index in enumerate(lists):
        moved = np.moveaxis(gathered, 2 + axis, -1)
        taken = np.take(moved, index, axis=-1)  # (..., out, L) in place of the axis
        gathered = np.moveaxis(taken, (-2, -1), (2 + axis, gathered.ndim))
    # now (N, C, out_0, …, out_{r-1}, L_0, …, L_{r-1})
    flat = gathered.reshape(*gathered.shape[: 2 + rank], -1)
    best = flat.argmax(axis=-1)
    values = np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
    offsets = np.unravel_index(best, gathered.shape[2 + rank :])
    index = np.zeros(best.shape, np.int64)
    for axis, (n, positions) in enumerate(zip(spatial, lists)):
        coordinate = positions[np.arange(positions.shape[0]).reshape((-1,) + (1,) * (rank - 1 - axis)), offsets[axis]]
        index = index * n + coordinate
    return values, index


def max_unpool(rank):
    """MaxUnpool: each value written at its flat index of its output plane, zeros elsewhere."""

    def unpool(cfg, xs, p):
        x, indices = xs
        unbatched = x.ndim == rank + 1
        if unbatched:
            x, indices = x[None], indices[None]
        strides = cfg.strides or cfg.pool_size
        if cfg.output_size is not None:
            sizes = tuple(cfg.output_size)
        else:
            sizes = tuple(
                (n - 1) * s + k - 2 * q for n, s, k, q in zip(x.shape[2:], strides, cfg.pool_size, cfg.padding)
            )
        planes, plane = x.shape[0] * x.shape[1], int(np.prod(sizes))
        flat = indices.reshape(planes, -1).astype(np.int64)
        if flat.size and (flat.min() < 0 or flat.max() >= plane):
            raise Refusal(f"receives indices from {flat.min()} to {flat.max()}, outside its output planes [0, {plane})")
        out = np.zeros((planes, plane), F32)
        np.put_along_axis(out, flat, x.reshape(planes, -1), axis=1)
        y = out.reshape(*x.shape[:2], *sizes)
        return y[0] if unbatched else y

    return unpool


def lp_pool(rank):
    """LPPool: (sum of x^p over each window)^(1/p) = (avg_pool(x^p) * window size)^(1/p); max of |x| for p = inf."""
    average, maximum = pool(rank, "avg"), pool(rank, "max")

    def lp(cfg, xs, p):
        window = SimpleNamespace(
            **vars(cfg),
            padding="valid",
            dilation=(1,) * rank,
            data_format="channels_first",
            count_include_pad=True,
            divisor_override=None,
            return_indices=False,
        )
        x = xs[0]
        if math.isinf(cfg.norm_type):
            largest = maximum(window, [np.abs(x) if cfg.norm_type > 0 else -np.abs(x)], p)
            return largest if cfg.norm_type > 0 else -largest
        out = average(window, [x ** F32(cfg.norm_type)], p)
        volume = F32(math.prod(cfg.pool_size))
        return ((np.sign(out) * np.maximum(np.abs(out), F32(0))) * volume) ** F32(1.0 / cfg.norm_type)

    return lp
