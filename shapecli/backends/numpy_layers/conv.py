"""Convolutions: im2col and one matmul; depthwise, separable and transposed ones on top."""

from __future__ import annotations

import math

import numpy as np

from ...shape_math import window_padding
from .activation import activate
from .common import add_bias, channels_first, pad_axes, spatial_axes, windows


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
        cols = x.reshape(n, groups, per_group, math.prod(spatial))
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


def _conv_pad(cfg, x, kernel, rank):
    """x padded as the convolution's `padding` and `padding_mode` say."""
    pads = window_padding(cfg.padding, list(x.shape[2:]), kernel, cfg.strides, cfg.dilation)
    mode = "constant" if cfg.padding_mode == "zeros" else cfg.padding_mode
    return pad_axes(x, pads, spatial_axes(x, rank), mode)


def _keras_to_torch_kernel(kernel, rank):
    """Keras (*k, in, out) → PyTorch (out, in, *k)."""
    return np.ascontiguousarray(np.moveaxis(kernel, (rank, rank + 1), (1, 0)))


def _conv_weight(cfg, p, rank):
    if cfg.convention == "keras":
        return _keras_to_torch_kernel(p["kernel"], rank), p.get("bias")
    return p["weight"], p.get("bias")


def _conv_forward(cfg, x, weight, bias, rank, groups):
    x, restore = channels_first(cfg, x, rank)
    x = _conv_pad(cfg, x, weight.shape[2:], rank)
    y = add_bias(convolve(x, weight, cfg.strides, cfg.dilation, groups), bias)
    return restore(activate(y, cfg.activation, cfg.convention))


def conv(rank):
    def conv(cfg, xs, p):
        weight, bias = _conv_weight(cfg, p, rank)
        return _conv_forward(cfg, xs[0], weight, bias, rank, cfg.groups)

    return conv


def depthwise(rank):
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


def separable(rank):
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
        x, restore = channels_first(cfg, xs[0], rank)
        x = _conv_pad(cfg, x, depth.shape[2:], rank)
        middle = convolve(x, depth, cfg.strides, cfg.dilation, depth.shape[0] // cfg.depth_multiplier)
        y = add_bias(convolve(middle, point, (1,) * rank, (1,) * rank, 1), bias)
        return restore(activate(y, cfg.activation, cfg.convention))

    return separable


def transposed(rank):
    def transposed(cfg, xs, p):
        # weight (in, out/groups, *k) as PyTorch stores it (Keras' (*k, out, in) is permuted to it);
        # the output is the convolution of the stride-dilated input, padded, with the flipped kernel
        if cfg.convention == "keras":
            weight, bias = np.ascontiguousarray(np.moveaxis(p["kernel"], (rank + 1, rank), (0, 1))), p.get("bias")
        else:
            weight, bias = p["weight"], p.get("bias")
        groups = cfg.groups
        x, restore = channels_first(cfg, xs[0], rank)
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
        y = convolve(pad_axes(dilated, pads, spatial_axes(dilated, rank)), flipped, (1,) * rank, cfg.dilation, groups)
        return restore(activate(add_bias(y, bias), cfg.activation, cfg.convention))

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
