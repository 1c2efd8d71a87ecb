"""Dense, Bilinear, embeddings, class token, reshaping layers and merges."""

from __future__ import annotations

import math

import numpy as np

from .activation import activate
from .common import Refusal, project


def dense(cfg, xs, p):
    x = xs[0]
    if cfg.convention == "keras":
        y = project(x, p["kernel"])
    else:
        y = project(x, p["weight"].T)
    if "bias" in p:
        y = y + p["bias"]
    return activate(y, cfg.activation, cfg.convention)


def bilinear(cfg, xs, p):
    a, b = xs
    y = np.einsum("...i,oij,...j->...o", a, p["weight"], b, optimize=True)
    return y + p["bias"] if "bias" in p else y


def embedding(cfg, xs, p):
    table = p["embeddings" if cfg.convention == "keras" else "weight"]
    index = xs[0]
    if not np.issubdtype(index.dtype, np.integer):
        if not np.all(np.isfinite(index)) or not np.all(index == np.floor(index)):
            raise Refusal(f"needs integer indices, receives {index.dtype} values that are not whole numbers")
        index = index.astype(np.int64)
    if index.size and (index.min() < 0 or index.max() >= table.shape[0]):
        raise Refusal(f"receives indices from {index.min()} to {index.max()}, outside [0, {table.shape[0]})")
    return table[index]


def positional(cfg, xs, p):
    x = xs[0]
    table = p["embeddings" if cfg.convention == "keras" else "weight"]
    return x + table[: x.shape[-2]]


def class_token(cfg, xs, p):
    x = xs[0]
    token = np.broadcast_to(p["class_token"], (x.shape[0], 1, x.shape[2]))
    return np.concatenate([token, x], axis=1)


def identity(cfg, xs, p):
    return xs[0]


def flatten(cfg, xs, p):
    x = xs[0]
    if cfg.convention == "keras" and x.ndim == 1:
        return x.reshape(x.shape[0], 1)
    start, end = cfg.start_dim % x.ndim, cfg.end_dim % x.ndim
    return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])


def reshape(cfg, xs, p):
    x = xs[0]
    return x.reshape(x.shape[0], *cfg.shape)


def unflatten(cfg, xs, p):
    x = xs[0]
    axis = cfg.dim % x.ndim
    return x.reshape(*x.shape[:axis], *cfg.unflattened_size, *x.shape[axis + 1 :])


def permute(cfg, xs, p):
    x = xs[0]
    dims = (0, *cfg.dims) if cfg.convention == "keras" else tuple(cfg.dims)
    return x.transpose(dims)


def squeeze(cfg, xs, p):
    x = xs[0]
    if cfg.axis is None:
        return x.reshape([d for d in x.shape if d != 1])
    if x.ndim == 0:
        return x
    axis = cfg.axis % x.ndim
    return np.squeeze(x, axis) if x.shape[axis] == 1 else x


def slice_layer(cfg, xs, p):
    x = xs[0]
    index = [slice(None)] * x.ndim
    index[cfg.axis % x.ndim] = slice(cfg.start, cfg.stop, cfg.step)
    return x[tuple(index)]


def concat(cfg, xs, p):
    axis = cfg.axis if cfg.axis is not None else (-1 if cfg.convention == "keras" else 1)
    return np.concatenate(xs, axis=axis)


def fold(fn):
    def merge(cfg, xs, p):
        result = xs[0]
        for x in xs[1:]:
            result = fn(result, x)
        return result

    return merge


def average(cfg, xs, p):
    return fold(np.add)(cfg, xs, p) / len(xs)
