"""Pieces the numpy layer functions share: float32, refusals, 2-D projections, padding, windows, layouts."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

F32 = np.float32


class Refusal(Exception):
    """This layer cannot run with these arguments here; the message says why (the run adds the layer)."""


def project(x, matrix):
    """x (..., k) @ matrix (k, n) as one 2-D matmul (numpy runs a stack of small products
    without BLAS, so the leading axes are folded into the rows first)."""
    if x.ndim <= 2:
        return x @ matrix
    rows = math.prod(x.shape[:-1])
    return (x.reshape(rows, x.shape[-1]) @ matrix).reshape(*x.shape[:-1], matrix.shape[-1])


def spatial_axes(x, rank):
    """The last `rank` axes of x."""
    return tuple(range(x.ndim - rank, x.ndim))


def pad_axes(x, pads, axes, mode="constant", value=0.0):
    """x padded by (before, after) on each of `axes`; a negative amount crops.

    As PyTorch does: constant and circular padding crop first; replicate and reflect
    padding index the original axis (output i reads clamp(i - before) or its reflection),
    so a crop on one side may remove what the other side just replicated.
    """
    if mode in ("replicate", "reflect") and any(lo < 0 or hi < 0 for lo, hi in pads):
        for axis, (lo, hi) in zip(axes, pads):
            n = x.shape[axis]
            index = np.arange(n + lo + hi) - lo
            if mode == "replicate":
                index = np.clip(index, 0, n - 1)
            else:
                index = np.abs(index)
                index = np.where(index > n - 1, 2 * (n - 1) - index, index)
            x = np.take(x, index, axis=axis)
        return x
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
    view = sliding_window_view(x, effective, axis=spatial_axes(x, rank))
    index = (
        (slice(None), slice(None))
        + tuple(slice(None, None, s) for s in strides)
        + tuple(slice(None, None, d) for d in dilation)
    )
    return view[index]


def channels_first(cfg, x, rank):
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


def add_bias(y, bias):
    return y if bias is None else y + bias.reshape((-1,) + (1,) * (y.ndim - 2))
