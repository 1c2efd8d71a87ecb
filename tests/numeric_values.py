"""Inputs and parameter values for the numeric reference cases, the same on every machine.

tools/gen_numerics.py feeds these to PyTorch and Keras and records their outputs;
tests/test_numerics.py feeds the same values to shapecli's numpy backend. The
values come from a counter hashed with splitmix64 (integer arithmetic, so no
random-number stream of any library is involved) and are exact float32 numbers.
"""

from __future__ import annotations

import math

import numpy as np

from shapecli.init_defaults import param_init

SAMPLE = 512
"""An output with more values is recorded as this many evenly spaced values and its sums."""


def uniform(seed: int, shape) -> np.ndarray:
    """Values k / 2**23 in [-1, 1) for a counter hashed with splitmix64."""
    n = math.prod(shape)
    with np.errstate(over="ignore"):
        z = np.arange(n, dtype=np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    k = (z >> np.uint64(40)).astype(np.int64) - 2**23
    return (k / 2**23).reshape(shape)


def input_values(model, trace, seed: int) -> dict:
    """An array per input of a one-layer case: uniform [-1, 1), or for the inputs the layer reads as
    indices (Layer.index_inputs), valid int64 indices: rows of a table, an EmbeddingBag's offsets
    (increasing from 0), MaxUnpool's positions (distinct in each output plane where they fit),
    positions along an IndexSelect's axis."""
    node = model.nodes[0]
    shapes = list(trace.inputs.values())
    indices = node.layer.index_inputs(node.cfg, [len(s) for s in shapes])
    values = {}
    for i, (name, shape) in enumerate(trace.inputs.items()):
        u = uniform(seed * 1000 + i, shape)
        if i not in indices:
            values[name] = u.astype(np.float32)
        elif indices[i] is not None:
            values[name] = np.floor((u + 1) / 2 * indices[i]).astype(np.int64)
        elif node.layer.type_name == "EmbeddingBag":
            offsets = np.sort(np.floor((u + 1) / 2 * (shapes[0][0] + 1)).astype(np.int64))
            offsets[:1] = 0
            if node.cfg.include_last_offset:  # the last offset ends the last bag: the input's length
                offsets[-1:] = shapes[0][0]
            values[name] = offsets
        elif node.layer.type_name == "IndexSelect":  # indices into the first input's axis
            size = shapes[0][node.cfg.dim] if shapes[0] else 1
            values[name] = np.floor((u + 1) / 2 * size).astype(np.int64)
        else:
            values[name] = _positions(seed * 1000 + i, shape, trace.layers[0].output_shape, node.layer.rank)
    return values


def _positions(seed: int, shape: tuple, out: tuple, rank: int) -> np.ndarray:
    """Flat positions in each output plane (the last `rank` axes of `out`) for an input of `shape`:
    distinct (a random permutation's first ones) where the plane has room, else wrapping around."""
    plane, inside = math.prod(out[-rank:]), math.prod(shape[-rank:])
    planes = math.prod(shape[:-rank])
    order = np.argsort(uniform(seed + 77, (planes, plane)), axis=1, kind="stable")
    chosen = order[:, np.arange(inside) % plane]
    return chosen.reshape(shape).astype(np.int64)


def parameter_values(model, trace, seed: int) -> dict:
    """Values for every parameter and buffer of a one-layer case, sized to keep activations
    moderate: weights uniform with variance 1/fan, scales near 1, variances in [0.5, 1.5)."""
    node, layer = model.nodes[0], trace.layers[0]
    values = {}
    for j, p in enumerate(layer.params):
        shape = tuple(p.after)
        u = uniform(seed * 1000 + 500 + j, shape)
        role = param_init(node.layer, node.cfg, p.local, {})[0].role
        local = p.local.rsplit(".", 1)[-1]
        if local == "num_batches_tracked":
            values[p.name] = np.zeros(shape, np.int64)
            continue
        if local in ("running_var", "moving_variance", "variance"):
            scaled = 1 + 0.5 * u
        elif role == "gamma":
            scaled = 1 + 0.2 * u
        elif len(shape) >= 2:
            fan = max(1, math.prod(shape) // max(shape))
            scaled = u * math.sqrt(3.0 / fan)
        else:
            scaled = 0.5 * u
        values[p.name] = scaled.astype(np.float32)
    return values


def recorded(output: np.ndarray) -> dict:
    """What a record keeps of an output: every value, or SAMPLE evenly spaced ones and the sums."""
    flat = output.reshape(-1)
    if flat.size <= SAMPLE:
        return {"values": flat}
    index = np.linspace(0, flat.size - 1, SAMPLE).astype(np.int64)
    wide = flat.astype(np.float64)
    return {"values": flat[index], "sums": np.array([wide.sum(), np.abs(wide).sum(), (wide * wide).sum()])}


def figures(values: np.ndarray, gain: float | None = None, layout: str = "torch") -> dict:
    """The figures the initializer tests compare: moments, bounds (and the 0.01% and 99.99%
    quantiles, which rare outliers do not move), excess kurtosis (uniform
    -1.2, normal 0), shares of exact zeros and ones, and for an orthogonal initializer
    max|MMᵀ − g²I| over the shorter side of the matrix the framework orthogonalizes
    (PyTorch: dim 0 against the rest; Keras: the leading dims against the last)."""
    flat = values.astype(np.float64).reshape(-1)
    mean, std = float(flat.mean()), float(flat.std())
    result = {
        "shape": list(values.shape),
        "min": float(flat.min()),
        "max": float(flat.max()),
        "low": float(np.quantile(flat, 1e-4)),
        "high": float(np.quantile(flat, 1 - 1e-4)),
        "mean": mean,
        "std": std,
        "kurtosis": float(((flat - mean) ** 4).mean() / std**4 - 3) if std > 0 else 0.0,
        "zeros": float((flat == 0).mean()),
        "ones": float((flat == 1).mean()),
    }
    if gain is not None:
        rows = values.shape[0] if layout == "torch" else math.prod(values.shape[:-1])
        matrix = values.reshape(rows, -1).astype(np.float64)
        if matrix.shape[0] > matrix.shape[1]:
            matrix = matrix.T
        result["orthogonality"] = float(np.abs(matrix @ matrix.T - gain**2 * np.eye(matrix.shape[0])).max())
    return result
