"""Dense, Bilinear, embeddings, class token, reshaping layers and merges."""

from __future__ import annotations

import math

import numpy as np

from .activation import activate
from .common import F32, Refusal, project


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
    index = _indices(xs[0], table.shape[0])
    return _renormed(table, index, cfg)[index]


def _indices(index, rows: int):
    """Integer indices within [0, rows), or a Refusal saying what is wrong."""
    if not np.issubdtype(index.dtype, np.integer):
        if not np.all(np.isfinite(index)) or not np.all(index == np.floor(index)):
            raise Refusal(f"needs integer indices, receives {index.dtype} values that are not whole numbers")
        index = index.astype(np.int64)
    if index.size and (index.min() < 0 or index.max() >= rows):
        raise Refusal(f"receives indices from {index.min()} to {index.max()}, outside [0, {rows})")
    return index


def _renormed(table, index, cfg):
    """PyTorch's max_norm: the rows looked up scaled to at most max_norm (embedding_renorm_:
    a row of p-norm n > max_norm is multiplied by max_norm / (n + 1e-7))."""
    if getattr(cfg, "max_norm", None) is None:
        return table
    table = table.copy()
    rows = np.unique(index)
    norms = np.linalg.norm(table[rows].astype(np.float64), ord=cfg.norm_type, axis=1)
    scale = np.where(norms > cfg.max_norm, cfg.max_norm / (norms + 1e-7), 1.0)
    table[rows] = table[rows] * scale[:, None].astype(F32)
    return table


def embedding_bag(cfg, xs, p):
    # each bag's rows reduced by sum (weighted by per_sample_weights), mean or max; padding_idx rows
    # left out (and not counted); an empty bag gives zeros
    table = p["weight"]
    index = _indices(xs[0], table.shape[0])
    if index.ndim == 2:
        bags, width = index.shape
        starts = np.arange(bags) * width
        flat, weights = index.reshape(-1), (xs[1].reshape(-1) if len(xs) > 1 else None)
        ends = starts + width
    else:
        flat, weights = index, (xs[2] if len(xs) > 2 else None)
        offsets = _indices(xs[1], flat.size + 1)
        if offsets.size and offsets[0] != 0:
            raise Refusal(f"needs offsets that start at 0 (the first bag's start), receives {offsets[0]}")
        if np.any(np.diff(offsets) < 0):
            raise Refusal("needs offsets in increasing order")
        if cfg.include_last_offset and offsets.size and offsets[-1] != flat.size:
            # PyTorch's CPU kernels disagree on where such a last bag ends (pytorch/pytorch#89677)
            raise Refusal(
                f"with include_last_offset needs the last offset to be the input's length {flat.size}, "
                f"receives {offsets[-1]}"
            )
        starts = offsets[:-1] if cfg.include_last_offset else offsets
        ends = offsets[1:] if cfg.include_last_offset else np.append(offsets[1:], flat.size)
    table = _renormed(table, flat, cfg)
    padding = None if cfg.padding_idx is None else cfg.padding_idx % table.shape[0]
    out = np.zeros((len(starts), table.shape[1]), F32)
    for bag, (start, end) in enumerate(zip(starts, ends)):
        rows = flat[start:end]
        keep = rows != padding if padding is not None else np.ones(rows.shape, bool)
        vectors = table[rows[keep]]
        if not len(vectors):
            continue
        if cfg.mode == "sum":
            if weights is not None:
                vectors = vectors * weights[start:end][keep][:, None]
            out[bag] = vectors.sum(axis=0, dtype=F32)
        elif cfg.mode == "mean":
            out[bag] = vectors.sum(axis=0, dtype=F32) / F32(len(vectors))
        else:
            out[bag] = vectors.max(axis=0)
    return out


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
