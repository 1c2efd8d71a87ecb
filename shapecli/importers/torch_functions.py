"""The torch bridge for functions and tensor methods: fx `call_function` / `call_method` → layers.

A handler receives the converter (`ctx`), the call's arguments with fx nodes
replaced by what they stand for — a `Tensor`, a size (`Dim`, `Sizes`), pieces
of a split (`Parts`), or plain Python values — and returns what the call
stands for, adding layers through `ctx.layer(...)`. A call it cannot express
raises `Unmappable` with the reason. Sizes are followed symbolically (which
tensor and axis they come from) and, when the model was run on an input, by
value; some calls (x.mean over axes, chunk, a view with computed sizes) need
those values and say so without them.

`FUNCTIONS` is keyed by the function object, `METHODS` by the tensor method name.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .graph import Value


class Unmappable(Exception):
    """The call has no spec equivalent; the message says why."""


@dataclass(frozen=True)
class Tensor:
    """A tensor of the model: the graph value, and its shape when the model was run."""

    value: Value
    shape: tuple | None


@dataclass(frozen=True)
class Dim:
    """An integer computed from sizes: its value (when known), and the tensor axis it is, if it is one."""

    value: int | None
    of: Tensor | None = None
    axis: int | None = None


@dataclass(frozen=True)
class Sizes:
    """`x.size()` / `x.shape` of a tensor."""

    of: Tensor

    def item(self, index: int) -> Dim:
        shape = self.of.shape
        if shape is None:
            return Dim(None, self.of, index if index >= 0 else None)
        axis = index % len(shape)
        return Dim(shape[axis], self.of, axis)


@dataclass(frozen=True)
class Parts:
    """The pieces of a tensor split along `axis` (chunk, split, unbind): `bounds` [(start, stop)], or None
    for unbind (one index each)."""

    of: Tensor
    axis: int
    bounds: list[tuple[int, int]] | None
    count: int


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


IGNORED = _Marker("IGNORED")
"""A value that adds no layer and is never a tensor (a dtype, a device, an assertion)."""

FAILED = _Marker("FAILED")
"""A value whose producer could not be mapped (already reported)."""


Handler = Callable[..., object]


def _bind(args: tuple, kwargs: dict, names: tuple[str, ...], defaults: dict | None = None) -> dict:
    """Arguments by name, from positions and keywords, with defaults; unknown keywords are errors."""
    defaults = defaults or {}
    if len(args) > len(names):
        raise Unmappable(f"takes at most {len(names)} positional arguments here, receives {len(args)}")
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise Unmappable(f"has the argument '{key}', which the import does not know")
        bound[key] = value
    for name in names:
        if name not in bound:
            if name not in defaults:
                raise Unmappable(f"misses the argument '{name}'")
            bound[name] = defaults[name]
    return bound


def _tensor(value, what: str = "input") -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise Unmappable(f"its {what} is {_describe(value)}, not a tensor of the model")


def _describe(value) -> str:
    if isinstance(value, Dim):
        return "a size"
    if isinstance(value, (int, float, bool)):
        return f"the constant {value!r}"
    return type(value).__name__


def _int(value, what: str) -> int:
    """A Python int (or a size whose value is known)."""
    if isinstance(value, Dim):
        if value.value is None:
            raise Unmappable(f"{what} is computed from sizes; give --input so that its value is known")
        return value.value
    if type(value) is int:
        return value
    raise Unmappable(f"{what} is {_describe(value)}, not an integer")


def _ints(value, what: str) -> list[int]:
    if isinstance(value, (list, tuple)):
        return [_int(v, what) for v in value]
    return [_int(value, what)]


def _rank(t: Tensor, what: str) -> int:
    if t.shape is None:
        raise Unmappable(f"{what} depends on the input's rank; give --input")
    return len(t.shape)


def _axis(axis: int, t: Tensor, what: str) -> int:
    """A non-negative axis (negative ones need the rank)."""
    if axis >= 0:
        return axis
    return axis % _rank(t, what)


# -- merges ---------------------------------------------------------------------


def _elementwise(layer: str, word: str) -> Handler:
    def handle(ctx, args, kwargs):
        if word in _INT_OPERATIONS and not any(isinstance(a, Tensor) for a in args[:2]):
            return _arithmetic(word, args)
        bound = _bind(args, kwargs, ("input", "other", "alpha", "out"), {"alpha": 1, "out": None})
        a, b = bound["input"], bound["other"]
        if bound["alpha"] != 1:
            raise Unmappable(f"has alpha={bound['alpha']} (a scaled {word}; the spec language has none)")
        if not isinstance(a, Tensor) or not isinstance(b, Tensor):
            constant = b if isinstance(a, Tensor) else a
            raise Unmappable(
                f"combines a tensor with {_describe(constant)}; the spec language has no layer for arithmetic "
                "with a constant"
            )
        return ctx.layer(layer, {}, [a, b], stem=word)

    return handle


def _matmul(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "other", "out"), {"out": None})
    return ctx.layer("MatMul", {}, [_tensor(bound["input"]), _tensor(bound["other"], "second input")], stem="matmul")


_INT_OPERATIONS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "floordiv": operator.floordiv,
    "truediv": operator.truediv,
    "mod": operator.mod,
}


def _arithmetic(word: str, args) -> Dim:
    """Arithmetic on sizes: a size whose value is known when both operands' values are."""
    values = [a.value if isinstance(a, Dim) else a for a in args[:2]]
    if any(v is None for v in values):
        return Dim(None)
    return Dim(_INT_OPERATIONS[word](*values))


def _size_arithmetic(word: str) -> Handler:
    def handle(ctx, args, kwargs):
        if any(isinstance(a, Tensor) for a in args):
            raise Unmappable(f"applies '{word}' to a tensor; the spec language has no such layer")
        return _arithmetic(word, args)

    return handle


def _comparison(ctx, args, kwargs):
    if any(isinstance(a, Tensor) for a in args):
        raise Unmappable("compares tensors; the spec language has no such layer")
    return IGNORED


def _concat(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("tensors", "dim", "out"), {"dim": 0, "out": None})
    tensors = [_tensor(t) for t in bound["tensors"]]
    dim = _int(bound["dim"], "dim")
    if len(tensors) == 1:
        return tensors[0]
    return ctx.layer("Concat", {"dim": dim}, tensors, stem="cat")


def _stack(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("tensors", "dim", "out"), {"dim": 0, "out": None})
    dim = _int(bound["dim"], "dim")
    tensors = [ctx.layer("Unsqueeze", {"dim": dim}, [_tensor(t)], stem="unsqueeze") for t in bound["tensors"]]
    if len(tensors) == 1:
        return tensors[0]
    return ctx.layer("Concat", {"dim": dim}, tensors, stem="stack")


# -- activations and dropout ---------------------------------------------------------


def _activation(layer: str, names: tuple[str, ...] = (), defaults: dict | None = None, **fixed) -> Handler:
    """An activation function: `names` after the input are its arguments (spec names, defaults
    omitted); `fixed` arguments must have the given value."""
    defaults = {"inplace": False, **(defaults or {}), **fixed}

    def handle(ctx, args, kwargs):
        bound = _bind(args, kwargs, ("input", *names, *fixed, "inplace"), defaults)
        for name, value in fixed.items():
            if bound[name] != value:
                raise Unmappable(f"has {name}={bound[name]!r} (only {value!r}: the layer type has no {name})")
        spec_args = {n: bound[n] for n in names if bound[n] != defaults.get(n)}
        return ctx.layer(layer, spec_args, [_tensor(bound["input"])])

    return handle


def _softmax(layer: str) -> Handler:
    def handle(ctx, args, kwargs):
        bound = _bind(
            args, kwargs, ("input", "dim", "_stacklevel", "dtype"), {"dim": None, "_stacklevel": 3, "dtype": None}
        )
        if bound["dim"] is None:
            raise Unmappable("has no dim (an implicit, deprecated axis choice)")
        if bound["dtype"] is not None:
            raise Unmappable("casts to another dtype (the spec language has no dtypes)")
        return ctx.layer(layer, {"dim": _int(bound["dim"], "dim")}, [_tensor(bound["input"])])

    return handle


def _gelu(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "approximate"), {"approximate": "none"})
    if bound["approximate"] != "none":
        raise Unmappable(f"has approximate='{bound['approximate']}' (another function than GELU)")
    return ctx.layer("GELU", {}, [_tensor(bound["input"])])


def _dropout(layer: str) -> Handler:
    def handle(ctx, args, kwargs):
        bound = _bind(
            args, kwargs, ("input", "p", "training", "inplace"), {"p": 0.5, "training": True, "inplace": False}
        )
        p = float(bound["p"])
        return ctx.layer(layer, {} if p == 0.5 else {"p": p}, [_tensor(bound["input"])])

    return handle


# -- pooling, padding, resizing ------------------------------------------------------------


def _same(values):
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    return values[0] if len(set(values)) == 1 else values


def _pool(layer: str, average: bool) -> Handler:
    names = ("input", "kernel_size", "stride", "padding")
    names += (
        ("ceil_mode", "count_include_pad", "divisor_override")
        if average
        else ("dilation", "ceil_mode", "return_indices")
    )
    defaults = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False}
    defaults |= {"count_include_pad": True, "divisor_override": None}

    def handle(ctx, args, kwargs):
        bound = _bind(args, kwargs, names, defaults)
        if bound.get("return_indices") or bound.get("divisor_override") is not None:
            raise Unmappable("returns indices or overrides the divisor (the layer type does neither)")
        kernel = _same(_ints(bound["kernel_size"], "kernel_size"))
        spec_args = {"kernel_size": kernel}
        if bound["stride"] not in (None, [], ()):
            stride = _same(_ints(bound["stride"], "stride"))
            if stride != kernel:
                spec_args["stride"] = stride
        padding = _same(_ints(bound["padding"], "padding"))
        if padding != 0:
            spec_args["padding"] = padding
        if not average and _same(_ints(bound["dilation"], "dilation")) != 1:
            spec_args["dilation"] = _same(_ints(bound["dilation"], "dilation"))
        if bound["ceil_mode"]:
            spec_args["ceil_mode"] = True
        if average and not bound["count_include_pad"]:
            spec_args["count_include_pad"] = False
        return ctx.layer(layer, spec_args, [_tensor(bound["input"])])

    return handle


def _adaptive_pool(layer: str, has_indices: bool) -> Handler:
    names = ("input", "output_size", "return_indices") if has_indices else ("input", "output_size")

    def handle(ctx, args, kwargs):
        bound = _bind(args, kwargs, names, {"return_indices": False})
        if bound.get("return_indices"):
            raise Unmappable("returns indices (the layer type has one output)")
        size = bound["output_size"]
        size = (
            [None if s is None else _int(s, "output_size") for s in size]
            if isinstance(size, (list, tuple))
            else _int(size, "output_size")
        )
        return ctx.layer(layer, {"output_size": size}, [_tensor(bound["input"])])

    return handle


def _pad(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "pad", "mode", "value"), {"mode": "constant", "value": None})
    pad = _ints(bound["pad"], "pad")
    sides = len(pad) // 2
    if len(pad) % 2 or not 1 <= sides <= 3:
        raise Unmappable(f"pads {len(pad)} amounts (the padding layers take 2, 4 or 6)")
    if any(p < 0 for p in pad):
        raise Unmappable("pads by a negative amount (cropping; the padding layers take amounts ≥ 0)")
    value = bound["value"]
    layer = {"constant": "ConstantPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad"}.get(bound["mode"])
    if layer is None:
        raise Unmappable(f"pads in mode '{bound['mode']}' (no padding layer does)")
    args = {"padding": _same(pad)}
    if layer == "ConstantPad" and not value:
        layer = "ZeroPad"
    elif layer == "ConstantPad":
        args["value"] = float(value)
    return ctx.layer(f"{layer}{sides}d", args, [_tensor(bound["input"])], stem="pad")


def _interpolate(ctx, args, kwargs):
    names = ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")
    defaults = {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None}
    bound = _bind(args, kwargs, names, defaults | {"recompute_scale_factor": None, "antialias": False})
    if bound["recompute_scale_factor"] or bound["antialias"]:
        raise Unmappable("recomputes the scale factor or antialiases (the Upsample layer does neither)")
    spec_args = {}
    if bound["size"] is not None:
        spec_args["size"] = _same(_ints(bound["size"], "size"))
    if bound["scale_factor"] is not None:
        factor = bound["scale_factor"]
        spec_args["scale_factor"] = _same(list(factor)) if isinstance(factor, (list, tuple)) else factor
    if bound["mode"] != "nearest":
        spec_args["mode"] = bound["mode"]
    if bound["align_corners"] is not None:
        spec_args["align_corners"] = bool(bound["align_corners"])
    return ctx.layer("Upsample", spec_args, [_tensor(bound["input"])], stem="interpolate")


def _layer_norm(ctx, args, kwargs):
    bound = _bind(
        args,
        kwargs,
        ("input", "normalized_shape", "weight", "bias", "eps"),
        {"weight": None, "bias": None, "eps": 1e-5},
    )
    if bound["weight"] is not None or bound["bias"] is not None:
        raise Unmappable("takes its scale and shift as tensors (write the model with nn.LayerNorm)")
    spec_args = {"normalized_shape": _ints(bound["normalized_shape"], "normalized_shape"), "elementwise_affine": False}
    if bound["eps"] != 1e-5:
        spec_args["eps"] = bound["eps"]
    return ctx.layer("LayerNorm", spec_args, [_tensor(bound["input"])], stem="layer_norm")


# -- reshaping ---------------------------------------------------------------------


def _flatten(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
    start, end = _int(bound["start_dim"], "start_dim"), _int(bound["end_dim"], "end_dim")
    spec_args = {"start_dim": start} if start != 1 else {}
    if end != -1:
        spec_args["end_dim"] = end
    return ctx.layer("Flatten", spec_args, [_tensor(bound["input"])])


def _shape_arguments(args) -> list:
    """`view(2, 3)`, `view((2, 3))` or `view(x.size())` → the list of sizes."""
    if len(args) == 1 and isinstance(args[0], Sizes):
        return [args[0].item(i) for i in range(_rank(args[0].of, "a view to another tensor's size"))]
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    return list(args)


def _view(ctx, args, kwargs):
    if "shape" in kwargs or "size" in kwargs:
        args = (*args, kwargs.pop("shape", kwargs.pop("size", None)))
    if kwargs:
        raise Unmappable(f"has the argument '{next(iter(kwargs))}', which the import does not know")
    x = _tensor(args[0])
    return _reshape(ctx, x, _shape_arguments(args[1:]))


def _torch_reshape(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "shape"))
    return _reshape(ctx, _tensor(bound["input"]), list(bound["shape"]))


def _reshape(ctx, x: Tensor, sizes: list):
    """A view or reshape as the layer that says what it does.

    Sizes equal to x.size(i) for the leading or trailing axes keep those axes;
    what lies between becomes Flatten (several axes into one), Unflatten (one
    axis into several) or, keeping the batch axis, Reshape.
    """
    kept_front = 0
    while kept_front < len(sizes) and _is_axis(sizes[kept_front], x, kept_front):
        kept_front += 1
    out_shape = ctx.current_shape()
    in_shape = x.shape
    if in_shape is not None and out_shape is not None:
        return _reshape_known(ctx, x, sizes, in_shape, out_shape)
    literal = [s if type(s) is int else None for s in sizes]
    if kept_front >= 1 or (literal and literal[0] == -1):
        rest = literal[1:]
        if all(s is not None for s in rest):
            return ctx.layer("Reshape", {"shape": rest}, [x], stem="reshape")
    raise Unmappable("reshapes with sizes computed from the input; give --input so that they are known")


def _is_axis(size, x: Tensor, axis: int) -> bool:
    return isinstance(size, Dim) and size.of is not None and size.of.value == x.value and size.axis == axis


def _reshape_known(ctx, x: Tensor, sizes: list, in_shape: tuple, out_shape: tuple):
    if tuple(in_shape) == tuple(out_shape):
        return x
    front = 0
    while front < min(len(in_shape), len(out_shape)) and in_shape[front] == out_shape[front]:
        front += 1
    back = 0
    while (
        back < min(len(in_shape), len(out_shape)) - front
        and in_shape[len(in_shape) - 1 - back] == out_shape[len(out_shape) - 1 - back]
    ):
        back += 1
    merged = in_shape[front : len(in_shape) - back]
    split = out_shape[front : len(out_shape) - back]
    if len(split) == 1 and len(merged) > 1:
        return ctx.layer("Flatten", _flatten_args(front, len(in_shape) - back - 1, len(in_shape)), [x], stem="flatten")
    if len(merged) == 1 and len(split) > 1:
        written = sizes[front : front + len(split)] if len(sizes) == len(out_shape) else []
        return ctx.layer(
            "Unflatten", {"dim": front, "unflattened_size": _sizes_as_written(written, split)}, [x], stem="unflatten"
        )
    if front == 0:
        raise Unmappable(f"reshapes {tuple(in_shape)} to {tuple(out_shape)}, changing the batch axis")
    written = sizes[1:] if len(sizes) == len(out_shape) else []
    return ctx.layer("Reshape", {"shape": _sizes_as_written(written, out_shape[1:])}, [x], stem="reshape")


def _flatten_args(start: int, end: int, rank: int) -> dict:
    args = {"start_dim": start} if start != 1 else {}
    if end != rank - 1:
        args["end_dim"] = end
    return args


def _sizes_as_written(written: list, actual: tuple) -> list[int]:
    """The sizes to write: the model's literal ints, -1 where it wrote -1 or one computed size."""
    if len(written) != len(actual):
        return list(actual)
    result = [w if type(w) is int else None for w in written]
    if result.count(-1) + result.count(None) == 1:
        return [-1 if r is None else r for r in result]
    return [a if r is None or r == -1 else r for r, a in zip(result, actual)]


def _permute(ctx, args, kwargs):
    if "dims" in kwargs:
        args = (*args, kwargs.pop("dims"))
    x = _tensor(args[0])
    dims = _ints(args[1] if len(args) == 2 and isinstance(args[1], (list, tuple)) else list(args[1:]), "dims")
    return ctx.layer("Permute", {"dims": [_axis(d, x, "a negative permute axis") for d in dims]}, [x], stem="permute")


def _transpose(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim0", "dim1"))
    spec_args = {"dim0": _int(bound["dim0"], "dim0"), "dim1": _int(bound["dim1"], "dim1")}
    return ctx.layer("Transpose", spec_args, [_tensor(bound["input"])], stem="transpose")


def _unsqueeze(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim"))
    return ctx.layer("Unsqueeze", {"dim": _int(bound["dim"], "dim")}, [_tensor(bound["input"])])


def _squeeze(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim"), {"dim": None})
    dim = bound["dim"]
    if isinstance(dim, (list, tuple)):
        if len(dim) != 1:
            raise Unmappable("squeezes several axes at once (Squeeze takes one; squeeze them one by one)")
        dim = dim[0]
    return ctx.layer("Squeeze", {} if dim is None else {"dim": _int(dim, "dim")}, [_tensor(bound["input"])])


def _passthrough(ctx, args, kwargs):
    return _tensor(args[0])


def _reduce(pooling: str, word: str) -> Handler:
    def handle(ctx, args, kwargs):
        bound = _bind(
            args,
            kwargs,
            ("input", "dim", "keepdim", "dtype", "out"),
            {"dim": None, "keepdim": False, "dtype": None, "out": None},
        )
        x = _tensor(bound["input"])
        if bound["dim"] is None:
            raise Unmappable(f"takes the {word} of every element (a scalar; the spec language has no such layer)")
        rank = _rank(x, f"which axes a {word} reduces")
        axes = sorted(a % rank for a in _ints(bound["dim"], "dim"))
        spatial = len(axes)
        if not 1 <= spatial <= 3 or rank != spatial + 2:
            raise Unmappable(f"reduces axes {axes} of a rank-{rank} tensor (a global pooling reduces all but two)")
        if axes == list(range(2, rank)):
            layout = {}
        elif axes == list(range(1, rank - 1)):
            layout = {"data_format": "channels_last"}
        else:
            raise Unmappable(f"reduces axes {axes} (a global pooling reduces every axis but the batch and channel)")
        spec_args = {**layout, **({"keepdims": True} if bound["keepdim"] else {})}
        return ctx.layer(f"{pooling}{spatial}D", spec_args, [x], stem=word)

    return handle


def _getitem(ctx, args, kwargs):
    container, index = args
    if isinstance(container, (tuple, list)):
        return tuple(container[index]) if isinstance(index, slice) else container[_int(index, "the index")]
    if isinstance(container, Sizes):
        if isinstance(index, slice):
            rank = _rank(container.of, "a slice of a size")
            return tuple(container.item(i) for i in range(rank)[index])
        return container.item(_int(index, "the index"))
    if isinstance(container, Parts):
        return _part(ctx, container, _int(index, "the index"))
    if isinstance(container, Tensor):
        return _index(ctx, container, index)
    raise Unmappable(f"indexes {_describe(container)}")


def _index(ctx, x: Tensor, index):
    items = list(index) if isinstance(index, tuple) else [index]
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise Unmappable("has two '...' in one index")
    if Ellipsis in items:
        cut = items.index(Ellipsis)
        front, back = items[:cut], items[cut + 1 :]
    else:
        front, back = items, []
    steps = [(-(len(back) - j), item) for j, item in enumerate(back)]
    steps += [(i, item) for i, item in reversed(list(enumerate(front)))]
    result = x
    for axis, item in steps:
        if isinstance(item, slice):
            if item == slice(None):
                continue
            spec_args = {"dim": axis}
            for key, value in (("start", item.start), ("stop", item.stop), ("step", item.step)):
                if value is not None:
                    spec_args[key] = _int(value, f"the slice {key}")
            if spec_args.get("step", 1) < 1:
                raise Unmappable("slices with a step < 1")
            result = ctx.layer("Slice", spec_args, [result], stem="slice")
        elif item is None:
            result = ctx.layer("Unsqueeze", {"dim": axis}, [result], stem="unsqueeze")
        elif isinstance(item, (int, Dim)) and not isinstance(item, bool):
            result = ctx.layer("Select", {"dim": axis, "index": _int(item, "the index")}, [result], stem="select")
        else:
            raise Unmappable(f"indexes with {_describe(item)} (only integers, slices, None and ...)")
    return result


def _split_axis(bound, x: Tensor, what: str) -> tuple[int, int]:
    axis = _int(bound["dim"], "dim")
    if x.shape is None:
        raise Unmappable(f"{what} needs the size of the split axis; give --input")
    axis %= len(x.shape)
    return axis, x.shape[axis]


def _chunk(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "chunks", "dim"), {"dim": 0})
    x = _tensor(bound["input"])
    axis, length = _split_axis(bound, x, "chunk")
    chunks = _int(bound["chunks"], "chunks")
    size = math.ceil(length / chunks)
    bounds = [(start, min(start + size, length)) for start in range(0, length, size)]
    return Parts(x, axis, bounds, len(bounds))


def _split(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "split_size_or_sections", "dim"), {"dim": 0})
    if "split_size" in kwargs:
        bound["split_size_or_sections"] = kwargs["split_size"]
    x = _tensor(bound["input"])
    axis, length = _split_axis(bound, x, "split")
    sections = bound["split_size_or_sections"]
    if isinstance(sections, (list, tuple)):
        sizes = _ints(sections, "the sections")
    else:
        size = _int(sections, "the split size")
        sizes = [min(size, length - start) for start in range(0, length, size)]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    bounds = [(s, s + n) for s, n in zip(starts, sizes)]
    return Parts(x, axis, bounds, len(bounds))


def _unbind(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim"), {"dim": 0})
    x = _tensor(bound["input"])
    axis, length = _split_axis(bound, x, "unbind")
    return Parts(x, axis, None, length)


def _part(ctx, parts: Parts, index: int):
    if not -parts.count <= index < parts.count:
        raise Unmappable(f"takes piece {index} of {parts.count}")
    index %= parts.count
    if parts.bounds is None:
        return ctx.layer("Select", {"dim": parts.axis, "index": index}, [parts.of], stem="select")
    start, stop = parts.bounds[index]
    return ctx.layer("Slice", {"dim": parts.axis, "start": start, "stop": stop}, [parts.of], stem="slice")


# -- sizes ------------------------------------------------------------------------------


def _size(ctx, args, kwargs):
    bound = _bind(args, kwargs, ("input", "dim"), {"dim": None})
    x = _tensor(bound["input"])
    if bound["dim"] is None:
        return Sizes(x)
    return Sizes(x).item(_int(bound["dim"], "dim"))


def _dim(ctx, args, kwargs):
    x = _tensor(args[0])
    return Dim(len(x.shape) if x.shape is not None else None)


def _getattr(ctx, args, kwargs):
    target, name = args
    if isinstance(target, Tensor):
        if name == "shape":
            return Sizes(target)
        if name == "ndim":
            return Dim(len(target.shape) if target.shape is not None else None)
        if name in ("dtype", "device", "is_cuda", "requires_grad", "layout"):
            return IGNORED
    raise Unmappable(f"reads the attribute '{name}' of {_describe(target)}")


def _ignored(ctx, args, kwargs):
    return IGNORED


def _cast(ctx, args, kwargs):
    raise Unmappable("casts to another dtype or device (the spec language has no dtypes)")


FUNCTIONS: dict[object, Handler] = {
    operator.add: _elementwise("Add", "add"),
    operator.iadd: _elementwise("Add", "add"),
    torch.add: _elementwise("Add", "add"),
    operator.sub: _elementwise("Subtract", "sub"),
    operator.isub: _elementwise("Subtract", "sub"),
    torch.sub: _elementwise("Subtract", "sub"),
    torch.subtract: _elementwise("Subtract", "sub"),
    operator.mul: _elementwise("Multiply", "mul"),
    operator.imul: _elementwise("Multiply", "mul"),
    torch.mul: _elementwise("Multiply", "mul"),
    torch.multiply: _elementwise("Multiply", "mul"),
    torch.maximum: _elementwise("Maximum", "maximum"),
    torch.minimum: _elementwise("Minimum", "minimum"),
    operator.floordiv: _size_arithmetic("floordiv"),
    operator.truediv: _size_arithmetic("truediv"),
    operator.mod: _size_arithmetic("mod"),
    operator.eq: _comparison,
    operator.ne: _comparison,
    operator.lt: _comparison,
    operator.le: _comparison,
    operator.gt: _comparison,
    operator.ge: _comparison,
    operator.matmul: _matmul,
    torch.matmul: _matmul,
    torch.bmm: _matmul,
    torch.mm: _matmul,
    torch.cat: _concat,
    torch.concat: _concat,
    torch.concatenate: _concat,
    torch.stack: _stack,
    torch.flatten: _flatten,
    torch.reshape: _torch_reshape,
    torch.permute: _permute,
    torch.transpose: _transpose,
    torch.swapaxes: _transpose,
    torch.unsqueeze: _unsqueeze,
    torch.squeeze: _squeeze,
    torch.chunk: _chunk,
    torch.split: _split,
    torch.unbind: _unbind,
    torch.mean: _reduce("GlobalAveragePooling", "mean"),
    torch.amax: _reduce("GlobalMaxPooling", "amax"),
    operator.getitem: _getitem,
    getattr: _getattr,
    torch._assert: _ignored,
    F.relu: _activation("ReLU"),
    F.relu_: _activation("ReLU"),
    torch.relu: _activation("ReLU"),
    torch.relu_: _activation("ReLU"),
    F.relu6: _activation("ReLU6"),
    F.elu: _activation("ELU", ("alpha",), {"alpha": 1.0}),
    F.celu: _activation("CELU", ("alpha",), {"alpha": 1.0}),
    F.selu: _activation("SELU"),
    F.leaky_relu: _activation("LeakyReLU", ("negative_slope",), {"negative_slope": 0.01}),
    F.hardtanh: _activation("Hardtanh", ("min_val", "max_val"), {"min_val": -1.0, "max_val": 1.0}),
    F.gelu: _gelu,
    F.silu: _activation("SiLU"),
    F.mish: _activation("Mish"),
    F.hardswish: _activation("Hardswish"),
    F.hardsigmoid: _activation("Hardsigmoid"),
    torch.sigmoid: _activation("Sigmoid"),
    F.sigmoid: _activation("Sigmoid"),
    torch.tanh: _activation("Tanh"),
    F.tanh: _activation("Tanh"),
    F.softplus: _activation("Softplus", beta=1, threshold=20),
    F.softsign: _activation("Softsign"),
    F.logsigmoid: _activation("LogSigmoid"),
    F.tanhshrink: _activation("Tanhshrink"),
    F.softshrink: _activation("Softshrink", ("lambd",), {"lambd": 0.5}),
    F.hardshrink: _activation("Hardshrink", ("lambd",), {"lambd": 0.5}),
    F.threshold: _activation("Threshold", ("threshold", "value")),
    F.glu: _activation("GLU", ("dim",), {"dim": -1}),
    F.softmax: _softmax("Softmax"),
    torch.softmax: _softmax("Softmax"),
    F.log_softmax: _softmax("LogSoftmax"),
    torch.log_softmax: _softmax("LogSoftmax"),
    F.softmin: _softmax("Softmin"),
    F.dropout: _dropout("Dropout"),
    F.dropout1d: _dropout("Dropout1d"),
    F.dropout2d: _dropout("Dropout2d"),
    F.dropout3d: _dropout("Dropout3d"),
    F.alpha_dropout: _dropout("AlphaDropout"),
    F.feature_alpha_dropout: _dropout("FeatureAlphaDropout"),
    F.max_pool1d: _pool("MaxPool1d", False),
    F.max_pool2d: _pool("MaxPool2d", False),
    F.max_pool3d: _pool("MaxPool3d", False),
    F.avg_pool1d: _pool("AvgPool1d", True),
    F.avg_pool2d: _pool("AvgPool2d", True),
    F.avg_pool3d: _pool("AvgPool3d", True),
    F.adaptive_avg_pool1d: _adaptive_pool("AdaptiveAvgPool1d", False),
    F.adaptive_avg_pool2d: _adaptive_pool("AdaptiveAvgPool2d", False),
    F.adaptive_avg_pool3d: _adaptive_pool("AdaptiveAvgPool3d", False),
    F.adaptive_max_pool1d: _adaptive_pool("AdaptiveMaxPool1d", True),
    F.adaptive_max_pool2d: _adaptive_pool("AdaptiveMaxPool2d", True),
    F.adaptive_max_pool3d: _adaptive_pool("AdaptiveMaxPool3d", True),
    F.pad: _pad,
    F.interpolate: _interpolate,
    F.layer_norm: _layer_norm,
}
"""Function object → handler."""

METHODS: dict[str, Handler] = {
    "add": _elementwise("Add", "add"),
    "add_": _elementwise("Add", "add"),
    "sub": _elementwise("Subtract", "sub"),
    "mul": _elementwise("Multiply", "mul"),
    "mul_": _elementwise("Multiply", "mul"),
    "matmul": _matmul,
    "bmm": _matmul,
    "view": _view,
    "reshape": _view,
    "flatten": _flatten,
    "permute": _permute,
    "transpose": _transpose,
    "swapaxes": _transpose,
    "unsqueeze": _unsqueeze,
    "squeeze": _squeeze,
    "chunk": _chunk,
    "split": _split,
    "unbind": _unbind,
    "mean": _reduce("GlobalAveragePooling", "mean"),
    "amax": _reduce("GlobalMaxPooling", "amax"),
    "size": _size,
    "dim": _dim,
    "contiguous": _passthrough,
    "relu": _activation("ReLU"),
    "relu_": _activation("ReLU"),
    "sigmoid": _activation("Sigmoid"),
    "tanh": _activation("Tanh"),
    "softmax": _softmax("Softmax"),
    "log_softmax": _softmax("LogSoftmax"),
    "to": _cast,
    "type": _cast,
    "float": _cast,
    "double": _cast,
    "half": _cast,
    "bfloat16": _cast,
    "int": _cast,
    "long": _cast,
    "bool": _cast,
    "cuda": _cast,
    "cpu": _cast,
}
"""Tensor method name → handler."""
