"""`shapecli run`: a real forward pass in numpy, checked against the inference at every layer.

The inputs get dummy data (uniform(0, 1) as in the chapter, normal, zeros, or
a .npy file), the parameters their values (drawn, or read from a `shapecli
init` file), and every node runs through the numpy backend's table in graph
order. After each layer the actual array's shape and dtype must be exactly
what the inference said (float32): a disagreement is a bug in shapecli and is
raised as an internal error naming the layer. Each layer's output gets
statistics (mean, std, min, max, share of exact zeros, NaN/Inf), and the run
flags what usually means a bad initialization: NaN/Inf, a ReLU whose output
is all zeros, and activations whose std shrinks or grows more than 10× from
the first weighted layer to the last.

numpy is imported inside the functions, never on import.
"""

from __future__ import annotations

import hashlib
import math

from .records import NamedTuple
from .dims import format_shape
from .errors import Diagnostic, InputError, SpecError
from .init_defaults import param_init
from .registry import index_model_inputs
from .spec import Model, NodeOutput

DATA_KINDS = ("uniform", "normal", "zeros")
DRIFT_LIMIT = 10.0
"""A std that shrinks or grows by more than this factor across the depth is flagged."""

_RELU_WORDS = ("relu", "relu6")


class ShapecliBug(Exception):
    """The numpy backend disagrees with the inference, or fails: a bug in shapecli, never the user's."""


class Stats(NamedTuple):
    """Statistics of one array: mean, std, min, max, share of exact zeros, NaN and Inf counts."""

    mean: float
    std: float
    min: float
    max: float
    zeros: float
    nan: int
    inf: int


class LayerRun(NamedTuple):
    """One row of the statistics table: a model input or a layer's output."""

    path: str
    type: str
    output: str | None
    shape: tuple
    stats: Stats


class RunResult(NamedTuple):
    """What a run found: a row per input and per layer output, the model's output arrays,
    the flags (warnings), and the arrays kept with --save."""

    rows: list[LayerRun]
    outputs: dict
    flags: list[Diagnostic]
    saved: dict


def statistics(array) -> Stats:
    """Mean, std, min, max, share of zeros and NaN/Inf counts of a numpy array (a few passes,
    no float64 copy: the mean from numpy's pairwise float32 sum, the variance from one BLAS dot)."""
    import numpy as np

    flat = array.reshape(-1)
    if flat.size == 0:
        return Stats(0.0, 0.0, 0.0, 0.0, 0.0, 0, 0)
    low, high = flat.min(), flat.max()
    nan = inf = 0
    if not (np.isfinite(low) and np.isfinite(high)):
        nan = int(np.isnan(flat).sum())
        inf = int(np.isinf(flat).sum())
        flat = flat[np.isfinite(flat)]
        if flat.size == 0:
            return Stats(0.0, 0.0, 0.0, 0.0, 0.0, nan, inf)
        low, high = flat.min(), flat.max()
    flat = flat.astype(np.float32, copy=False)
    n = flat.size
    mean = float(flat.sum(dtype=np.float32)) / n
    centered = flat - np.float32(mean)
    std = math.sqrt(max(float(np.dot(centered, centered)) / n, 0.0))
    zeros = (n - int(np.count_nonzero(flat))) / n
    return Stats(mean, std, float(low), float(high), zeros, nan, inf)


# -- inputs --------------------------------------------------------------------------------------


def _index_limits(model: Model, shapes: dict[str, tuple]) -> dict[str, int | None]:
    """Inputs that a layer reads as int64 indices (an Embedding's, EmbeddingBag's offsets, MaxUnpool's
    indices) → the smallest table size they index, or None where only zeros are safe."""
    return index_model_inputs(model.nodes, shapes)


def make_inputs(model: Model, shapes: dict[str, tuple], data: dict[str, str], seed: int) -> dict:
    """An array for each model input: `data[name]` is uniform, normal, zeros or a .npy path.

    An input that feeds an Embedding gets integer indices (uniform over the table
    for uniform and normal, 0 for zeros); offsets and unpooling indices (whose valid
    values depend on the data) are zeros unless given as a .npy file; every other
    input is float32.
    """
    import numpy as np

    limits = _index_limits(model, shapes)
    arrays = {}
    for name, shape in shapes.items():
        kind = data.get(name, "uniform")
        digest = hashlib.sha256(f"input:{name}".encode()).digest()
        rng = np.random.default_rng(np.random.SeedSequence([seed, int.from_bytes(digest[:4], "little")]))
        if kind not in DATA_KINDS:
            array = load_array(kind)
            if tuple(array.shape) != tuple(shape):
                raise InputError(
                    f"--data {kind} is {format_shape(array.shape)}, but input '{name}' is {format_shape(shape)}"
                )
            if name in limits:
                if not (np.issubdtype(array.dtype, np.integer) or np.all(array == np.floor(array))):
                    raise InputError(f"--data {kind}: input '{name}' holds indices and needs integers")
                array = array.astype(np.int64)
            else:
                array = array.astype(np.float32)
        elif name in limits:
            if kind == "zeros" or limits[name] is None:
                array = np.zeros(shape, np.int64)
            else:
                array = rng.integers(0, limits[name], size=shape, dtype=np.int64)
        elif kind == "uniform":
            array = rng.random(shape, dtype=np.float32)
        elif kind == "normal":
            array = rng.standard_normal(shape, dtype=np.float32)
        else:
            array = np.zeros(shape, np.float32)
        arrays[name] = array
    return arrays


def load_array(path: str):
    """The array in a .npy file (no pickles)."""
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read --data {path}: {e}") from None
    if not isinstance(array, np.ndarray):
        raise InputError(f"--data {path} holds several arrays; give one .npy file per input (NAME=FILE.npy)")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise InputError(f"--data {path} holds {array.dtype} values; give numbers")
    return array


# -- the forward pass ---------------------------------------------------------------------------------


def node_parameters(layer, values: dict) -> dict:
    """local name → array of one layer: its own, or (shared or tied) the owner's, transposed when tied so."""
    params = {}
    for p in layer.params:
        array = values[p.shared_with or p.name]
        if p.shared_with and tuple(array.shape) != tuple(p.after):
            array = array.T
        params[p.local] = array
    return params


def forward(model: Model, trace, params: dict, inputs: dict, keep: bool = False) -> RunResult:
    """Run every layer on `inputs` with `params` (full name → array); check each output
    against the trace; collect statistics and flags."""
    import numpy as np

    from .backends.numpy import LAYERS, REFUSED, Refusal

    values: dict = dict(inputs)
    remaining: dict = {}
    for node in model.nodes:
        for source in node.sources:
            remaining[source] = remaining.get(source, 0) + 1
    outputs = set(model.outputs.values())
    rows = [LayerRun(name, "input", None, tuple(a.shape), statistics(a)) for name, a in inputs.items()]
    saved = dict(inputs) if keep else {}
    with np.errstate(all="ignore"):
        for node, layer in zip(model.nodes, trace.layers):
            xs = [values[s] for s in node.sources]
            names = list(layer.output_shapes) if layer.output_shapes else [None]
            expected = list(layer.output_shapes.values()) if layer.output_shapes else [layer.output_shape]
            if layer.state == "absent":  # its if: is false: its first input passes on
                arrays = [xs[0]]
            else:
                arrays = _apply(node, layer, xs, params, expected, (LAYERS, REFUSED, Refusal))
            indices = node.layer.index_outputs(layer.cfg or node.cfg)
            for index, (name, array, shape) in enumerate(zip(names, arrays, expected)):
                _check(node, name, array, shape, np.int64 if index in indices else np.float32)
                values[NodeOutput(node.id, index)] = array
                rows.append(LayerRun(node.path, node.type_label, name, tuple(array.shape), statistics(array)))
                if keep:
                    saved[node.path if name is None else f"{node.path}/{name}"] = array
            for source in node.sources:
                remaining[source] -= 1
                if remaining[source] == 0 and source not in outputs:
                    values.pop(source, None)
    result_outputs = {name: values[source] for name, source in model.outputs.items()}
    return RunResult(rows, result_outputs, flag_problems(model, trace, rows), saved)


def _apply(node, layer, xs, params, expected, backend) -> list:
    """The layer's output arrays from the backend's table. An output with no elements needs no
    computing (it is made empty); a type the table refuses, or a failure on an empty input, is
    reported at the layer (exit 2); any other failure is a bug in shapecli."""
    import math

    import numpy as np

    table, refused, refusal = backend
    if all(math.prod(shape) == 0 for shape in expected):
        return [np.zeros(shape, np.float32) for shape in expected]
    function = table.get(node.layer.type_name)
    if function is None:
        reason = refused.get(node.layer.type_name, "the numpy backend has no entry for this type")
        raise SpecError(f"{node.type_label} '{node.path}' cannot run in numpy: {reason}", node.loc)
    try:
        out = function(layer.cfg or node.cfg, xs, node_parameters(layer, params))
    except refusal as e:
        raise SpecError(f"{node.type_label} '{node.path}' {e}", node.loc) from None
    except Exception as e:
        empty = next((x for x in xs if x.size == 0), None)
        if empty is not None:
            raise SpecError(
                f"{node.type_label} '{node.path}' cannot compute values from its empty input "
                f"{format_shape(tuple(empty.shape))}",
                node.loc,
                hint="give every axis a size of at least 1",
            ) from None
        raise ShapecliBug(
            f"the numpy backend failed in {node.type_label} '{node.path}': {type(e).__name__}: {e}"
        ) from e
    return out if isinstance(out, list) else [out]


def _check(node, name, array, shape, dtype) -> None:
    """The output's shape must be the inferred one, its dtype float32 (int64 for an indices output)."""
    label = f"{node.type_label} '{node.path}'" + (f" output {name}" if name else "")
    if tuple(array.shape) != tuple(shape):
        raise ShapecliBug(
            f"{label} gives {format_shape(tuple(array.shape))} in numpy, but shapecli inferred {format_shape(shape)}"
        )
    if array.dtype != dtype:
        raise ShapecliBug(f"{label} gives {array.dtype} values in numpy; the run computes in {dtype.__name__}")


# -- flags --------------------------------------------------------------------------------------------


def _is_relu(node) -> bool:
    if node.layer.type_name in ("ReLU", "ReLU6"):
        return True
    return getattr(node.cfg, "activation", None) in _RELU_WORDS


def _weighted(node, layer) -> bool:
    """Whether a layer has a weight (role weight or recurrent): the depth the drift check follows."""
    for p in layer.params:
        spec, _ = param_init(node.layer, node.cfg, p.local, node.init)
        if spec.role in ("weight", "recurrent"):
            return True
    return False


def flag_problems(model: Model, trace, rows: list[LayerRun]) -> list[Diagnostic]:
    """Warnings about the activations: the first NaN/Inf, dead ReLUs, std drift across the depth."""
    first_rows = {}
    for row in rows:
        first_rows.setdefault(row.path, row)
    flags = []
    nonfinite_seen = False
    depth = []
    for node, layer in zip(model.nodes, trace.layers):
        row = first_rows[node.path]
        s = row.stats
        if (s.nan or s.inf) and not nonfinite_seen:
            nonfinite_seen = True
            flags.append(
                Diagnostic(
                    "activation_nonfinite",
                    f"{node.type_label} '{node.path}' outputs {s.nan} NaN and {s.inf} Inf values "
                    "(the first layer that does)",
                    model.file,
                    node.loc,
                    node.path,
                    hint="look at this layer's inputs and initializers; later layers inherit the NaN/Inf",
                )
            )
        if _is_relu(node) and s.zeros == 1.0 and row.shape and 0 not in row.shape:
            flags.append(
                Diagnostic(
                    "activation_dead",
                    f"{node.type_label} '{node.path}' outputs only zeros: every unit is dead at initialization",
                    model.file,
                    node.loc,
                    node.path,
                    hint="check the initializer and bias of the layer before it",
                )
            )
        if _weighted(node, layer) and s.std > 0 and not (s.nan or s.inf):
            depth.append((node, s.std))
    if len(depth) >= 2:
        (first, first_std), (last, last_std) = depth[0], depth[-1]
        ratio = last_std / first_std
        if ratio > DRIFT_LIMIT or ratio < 1 / DRIFT_LIMIT:
            verb, factor = ("grows", ratio) if ratio > 1 else ("shrinks", 1 / ratio)
            flags.append(
                Diagnostic(
                    "activation_scale",
                    f"activation std {verb} {factor:.3g}× across the depth: {first_std:.3g} at "
                    f"'{first.path}', {last_std:.3g} at '{last.path}' ({len(depth)} weighted layers)",
                    model.file,
                    last.loc,
                    last.path,
                    hint="an initializer scaled for the activations (kaiming for ReLU, xavier for tanh) "
                    "keeps the std steady",
                )
            )
    return flags


def shared_names(trace) -> set[str]:
    """Names of later uses of shared or tied parameters (not stored separately)."""
    return {p.name for layer in trace.layers for p in layer.params if p.shared_with}
