"""Pooling: PyTorch's windows (ceil_mode, padding, count_include_pad), Keras' as its torch
backend pools, adaptive and global."""

from __future__ import annotations

import numpy as np

from ...shape_math import ceil_pool_length, conv_length
from .common import F32, channels_first, pad_axes, spatial_axes, windows


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
        x, restore = channels_first(cfg, xs[0], rank)
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
