"""Normalization: batch (folded per channel), layer, group, instance, RMS and local response."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .common import F32, pad_axes


def _scale_shift(y, p, shape, names=(("weight", "gamma", "scale"), ("bias", "beta"))):
    for group, op in zip(names, (np.multiply, np.add)):
        for name in group:
            if name in p:
                y = op(y, p[name].reshape(shape))
                break
    return y


def batchnorm(cfg, xs, p):
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


def normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True, dtype=F32)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True, dtype=F32)
    return centered / np.sqrt(var + eps)


def layernorm(cfg, xs, p):
    x = xs[0]
    if cfg.normalized_shape is not None:
        axes = tuple(range(x.ndim - len(cfg.normalized_shape), x.ndim))
    else:
        axes = tuple(sorted(a % x.ndim for a in cfg.axis))
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    if getattr(cfg, "rms_scaling", False):
        # Keras' rms_scaling: x * rsqrt(var(x) + eps) * gamma — the variance, not the mean square; x not centred
        var = x.var(axis=axes, keepdims=True, dtype=F32)
        return _scale_shift(x / np.sqrt(var + cfg.eps), p, shape)
    return _scale_shift(normalize(x, axes, cfg.eps), p, shape)


def groupnorm(cfg, xs, p):
    x = xs[0]
    axis = cfg.axis % x.ndim
    channels = x.shape[axis]
    groups = channels if cfg.num_groups == -1 else cfg.num_groups  # Keras' -1: a group per channel
    moved = np.moveaxis(x, axis, 1)
    grouped = moved.reshape(moved.shape[0], groups, channels // groups, *moved.shape[2:])
    y = np.moveaxis(normalize(grouped, tuple(range(2, grouped.ndim)), cfg.eps).reshape(moved.shape), 1, axis)
    shape = [1] * x.ndim
    shape[axis] = channels
    return _scale_shift(y, p, shape)


def instancenorm(rank):
    def instancenorm(cfg, xs, p):
        x = xs[0]
        unbatched = x.ndim == rank + 1
        if unbatched:
            x = x[None]
        shape = (1, x.shape[1]) + (1,) * rank
        if "running_mean" in p:  # PyTorch in eval mode uses the running statistics when it tracks them
            y = (x - p["running_mean"].reshape(shape)) / np.sqrt(p["running_var"].reshape(shape) + cfg.eps)
        else:
            y = normalize(x, tuple(range(2, x.ndim)), cfg.eps)
        y = _scale_shift(y, p, shape)
        return y[0] if unbatched else y

    return instancenorm


def rmsnorm(cfg, xs, p):
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


def local_response_norm(cfg, xs, p):
    # torch.nn.functional.local_response_norm with alpha 1e-4, beta 0.75, k 1
    x = xs[0]
    size = cfg.size
    squares = pad_axes(x * x, [(size // 2, (size - 1) // 2)], (1,))
    window = sliding_window_view(squares, size, axis=1).sum(axis=-1, dtype=F32) / size
    return x / (window * 1e-4 + 1.0) ** 0.75
