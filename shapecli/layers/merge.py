"""Layers that combine several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum, Concat, MatMul, Dot."""

from __future__ import annotations

from ..args import Bool, Int, show
from ..dims import dim_sum, format_dim, format_shape, product
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, register
from ..shape_math import broadcast, broadcast_axis_name, normalize_axis, require_rank, same_dim


class Elementwise(Layer):
    """Base of the merges that combine inputs element by element, with broadcasting.

    Keras' merges keep the batch axis apart: it must be equal in every input, and the
    other axes broadcast (a lower-rank input gains axes after the batch axis).
    """

    min_inputs, max_inputs = 2, None

    @staticmethod
    def output_shape(cfg, ins):
        # broadcast(x1, x2, ...); keras: (batch, *broadcast(x1[1:], x2[1:], ...))
        if cfg.convention != "keras":
            return [broadcast(ins)]
        for x in ins:
            require_rank(x, 1)
        batch = ins[0][0]
        for x in ins[1:]:
            batch = same_dim(batch, x[0])
            if batch is None:
                raise ShapeError(
                    "needs inputs of one batch size, receives " + " and ".join(format_shape(s) for s in ins),
                    received=ins,
                    axis=-max(len(s) for s in ins),
                )
        return [(batch, *broadcast([x[1:] for x in ins]))]


@register("Add", prefix="add")
class Add(Elementwise):
    """Sum of its inputs (NumPy broadcasting)."""


@register("Multiply", "Mul", prefix="multiply")
class Multiply(Elementwise):
    """Elementwise product of its inputs (NumPy broadcasting)."""


@register("Concat", "Concatenate", "Cat", prefix="concat")
class Concat(Layer):
    """Joins inputs along `axis`; all other axes must agree.

    The default axis is the channel axis of the convention: 1 for PyTorch and
    MXNet (channels first), -1 for Keras (channels last).
    """

    min_inputs, max_inputs = 2, None
    args = {"axis": Arg(Int(), None, aliases=("dim",), doc="axis to join along")}

    @staticmethod
    def output_shape(cfg, ins):
        # (.., a_i, ..) -> (.., sum a_i, ..)
        rank = len(ins[0])
        if any(len(s) != rank for s in ins):
            raise ShapeError(
                "needs inputs of equal rank, receives " + " and ".join(format_shape(s) for s in ins),
                received=ins,
            )
        default = -1 if cfg.convention == "keras" else 1
        axis = normalize_axis(default if cfg.axis is None else cfg.axis, rank)
        result = list(ins[0])
        for shape in ins:
            for i, d in enumerate(shape):
                if i == axis:
                    continue
                common = same_dim(result[i], d)
                if common is None:
                    raise ShapeError(
                        f"needs inputs that agree on every axis but {axis}, receives "
                        + " and ".join(format_shape(s) for s in ins),
                        received=ins,
                        axis=i,
                    )
                result[i] = common
        result[axis] = dim_sum(shape[axis] for shape in ins)
        return [tuple(result)]


@register("Subtract", "Sub", prefix="subtract")
class Subtract(Elementwise):
    """First input minus the second (NumPy broadcasting)."""

    max_inputs = 2
    min_inputs = 2


@register("Average", prefix="average")
class Average(Elementwise):
    """Elementwise mean of its inputs (NumPy broadcasting)."""


@register("Maximum", prefix="maximum")
class Maximum(Elementwise):
    """Elementwise maximum of its inputs (NumPy broadcasting)."""


@register("Minimum", prefix="minimum")
class Minimum(Elementwise):
    """Elementwise minimum of its inputs (NumPy broadcasting)."""


@register("MatMul", prefix="matmul")
class MatMul(Layer):
    """Matrix product of two inputs with torch.matmul / numpy.matmul rules."""

    min_inputs = max_inputs = 2

    @staticmethod
    def output_shape(cfg, ins):
        # (*b1, n, k) @ (*b2, k, m) -> (*broadcast(b1, b2), n, m); a 1-D side loses its axis
        a, b = ins
        if not a or not b:
            raise ShapeError(f"needs inputs of rank ≥ 1, receives {format_shape(a)} and {format_shape(b)}")
        left = (1, *a) if len(a) == 1 else a
        right = (*b, 1) if len(b) == 1 else b
        if same_dim(left[-1], right[-2]) is None:
            raise ShapeError(
                f"cannot multiply {format_shape(a)} by {format_shape(b)}: "
                f"{format_dim(left[-1])} columns vs {format_dim(right[-2])} rows",
                received=ins,
            )
        try:
            batch = broadcast([left[:-2], right[:-2]])
        except ShapeError as e:  # name the axis of the inputs, not of their batch parts
            axis = e.axis - 2
            raise ShapeError(
                f"cannot broadcast the batch axes of {format_shape(a)} and {format_shape(b)}: "
                f"axis {broadcast_axis_name([left, right], axis)} has "
                f"{format_dim(left[axis])} vs {format_dim(right[axis])}",
                received=ins,
                axis=axis,
            ) from None
        out = (*batch, left[-2], right[-1])
        if len(a) == 1:
            out = out[:-2] + out[-1:]
        if len(b) == 1:
            out = out[:-1]
        return [out]

    @staticmethod
    def macs(cfg, ins, outs):
        # prod(out) * k
        return product(outs[0]) * ins[0][-1]


class DotAxes:
    """Keras Dot's axes: one axis for both inputs, or [axis of the first, axis of the second]."""

    def __call__(self, value):
        if type(value) is int:
            return (value, value)
        if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "int or [int, int]"


@register("Dot", prefix="dot")
class Dot(Layer):
    """Batched dot product of two inputs over one axis of each (Keras Dot).

    (N, *a) · (N, *b) → (N, *a without axes[0], *b[1:] without axes[1]); a result
    (N,) becomes (N, 1). The batch axis 0 cannot be an axis; a negative axis counts
    from the end (taken modulo the rank, as Keras does). `normalize` L2-normalizes
    both inputs along the axis first (cosine proximity).
    """

    min_inputs = max_inputs = 2
    args = {
        "axes": Arg(DotAxes(), aliases=("axis",), doc="the axis (or one per input) the product runs over"),
        "normalize": Arg(Bool(), False, doc="L2-normalize along the axes first"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # a[i] == b[j]: (N, *a without i, *b without 0 and j), at least (N, 1)
        a, b = ins
        if len(a) < 2 or len(b) < 2:
            raise ShapeError(f"needs inputs of rank ≥ 2, receives {format_shape(a)} and {format_shape(b)}")
        if same_dim(a[0], b[0]) is None:
            raise ShapeError(
                f"needs inputs of one batch size, receives {format_shape(a)} and {format_shape(b)}",
                received=ins,
                axis=-max(len(a), len(b)),
            )
        i, j = _dot_axes(cfg, a, b)
        if same_dim(a[i], b[j]) is None:
            raise ShapeError(
                f"takes the dot product over axis {i} of {format_shape(a)} ({format_dim(a[i])}) and axis {j} "
                f"of {format_shape(b)} ({format_dim(b[j])}), which differ",
                received=ins,
            )
        out = (*a[:i], *a[i + 1 :], *b[1:j], *b[j + 1 :])
        return [out if len(out) > 1 else (*out, 1)]

    @staticmethod
    def macs(cfg, ins, outs):
        # every output element sums a[i] products
        a, b = ins
        i, _ = _dot_axes(cfg, a, b)
        return product(outs[0]) * a[i]


def _dot_axes(cfg, a, b) -> tuple[int, int]:
    """The two axes counted from the front; 0 (the batch axis) and axes past the rank are refused."""
    axes = [axis % len(x) if axis < 0 else axis for axis, x in zip(cfg.axes, (a, b))]
    for axis, x in zip(axes, (a, b)):
        if axis >= len(x):
            raise ShapeError(f"has axis {axis}, out of range for {format_shape(x)}")
    if 0 in axes:
        raise ShapeError(f"takes the dot product over axes {list(cfg.axes)}, which include the batch axis 0")
    return axes[0], axes[1]
