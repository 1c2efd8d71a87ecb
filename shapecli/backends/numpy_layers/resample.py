"""Resizing, padding and cropping: PyTorch's Upsample (its index arithmetic in float32),
Keras' UpSampling, pads, crops."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .common import F32, channels_first, pad_axes
from .pool import adaptive_indices


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
        index, lengths = adaptive_indices(n, out)
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


def upsample(cfg, xs, p):
    x = xs[0]
    rank = x.ndim - 2
    x, restore = channels_first(cfg, x, rank)
    sizes = (cfg.size,) * rank if isinstance(cfg.size, int) else cfg.size  # one int: every spatial axis
    factors = cfg.scale_factor if isinstance(cfg.scale_factor, tuple) else (cfg.scale_factor,) * rank
    align = bool(cfg.align_corners)
    for i in range(rank):
        axis = 2 + i
        n = x.shape[axis]
        if sizes is not None:
            out, factor = sizes[i], None
        else:
            out, factor = int(math.floor(n * float(factors[i]))), float(factors[i])
        if getattr(cfg, "recompute_scale_factor", None):  # interpolate by out / n, as for a size
            factor = None
        x = _resize_axis(x, axis, out, cfg.mode, align, factor)
    return restore(x)


def fixed_upsample(mode, align_corners):
    """PyTorch's UpsamplingNearest2d and UpsamplingBilinear2d: Upsample with a fixed mode."""

    def resize(cfg, xs, p):
        fixed = SimpleNamespace(
            **vars(cfg),
            mode=mode,
            align_corners=align_corners,
            data_format="channels_first",
            recompute_scale_factor=None,
        )
        return upsample(fixed, xs, p)

    return resize


def upsampling(rank):
    def upsampling(cfg, xs, p):
        x = xs[0]
        first = 2 if cfg.data_format == "channels_first" else 1
        for i, size in enumerate(cfg.size):
            x = np.repeat(x, size, axis=first + i)
        return x

    return upsampling


def torch_pad(rank, mode):
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


def keras_pad(rank):
    def pad(cfg, xs, p):
        return pad_axes(xs[0], list(cfg.padding), _spatial_pairs_axes(cfg, xs[0], rank))

    return pad


def cropping(rank):
    def crop(cfg, xs, p):
        pairs = [(-lo, -hi) for lo, hi in cfg.cropping]
        return pad_axes(xs[0], pairs, _spatial_pairs_axes(cfg, xs[0], rank))

    return crop
