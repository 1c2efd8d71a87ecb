"""CosineSimilarity and PairwiseDistance (aten/src/ATen/native/Distance.cpp)."""

from __future__ import annotations

import numpy as np

from .common import F32


def cosine_similarity(cfg, xs, p):
    # sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along dim, after broadcasting
    a, b = np.broadcast_arrays(*xs)
    if a.ndim == 0:
        a, b = a.reshape(1), b.reshape(1)
        return cosine_similarity(cfg, [a, b], p).reshape(())
    axis = cfg.dim % a.ndim
    norm_a = np.maximum(np.sqrt((a * a).sum(axis=axis, keepdims=True, dtype=F32)), F32(cfg.eps))
    norm_b = np.maximum(np.sqrt((b * b).sum(axis=axis, keepdims=True, dtype=F32)), F32(cfg.eps))
    return ((a / norm_a) * (b / norm_b)).sum(axis=axis, dtype=F32)


def pairwise_distance(cfg, xs, p):
    # ||x1 - x2 + eps||_p over the last axis of the broadcast
    d = np.abs(xs[0] - xs[1] + F32(cfg.eps))
    if d.ndim == 0:
        return d.astype(F32)
    keep = cfg.keepdim
    if cfg.p == np.inf:
        return d.max(axis=-1, keepdims=keep)
    if cfg.p == -np.inf:
        return d.min(axis=-1, keepdims=keep)
    if cfg.p == 0:
        return (d != 0).sum(axis=-1, keepdims=keep, dtype=F32)
    return (d ** F32(cfg.p)).sum(axis=-1, keepdims=keep, dtype=F32) ** F32(1.0 / cfg.p)
