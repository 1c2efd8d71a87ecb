"""Layers that combine several inputs: Add, Multiply, Concat."""

from __future__ import annotations

from ..args import Int
from ..dims import format_shape
from ..errors import ShapeError
from ..registry import Arg, Layer, register
from ..shape_math import broadcast, normalize_axis, same_dim


class Elementwise(Layer):
    """Base of the merges that combine inputs element by element, with broadcasting."""

    min_inputs, max_inputs = 2, None

    @staticmethod
    def output_shape(cfg, ins):
        # broadcast(x1, x2, ...)
        return broadcast(ins)


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
        result[axis] = 0
        for shape in ins:
            for i, d in enumerate(shape):
                if i == axis:
                    result[axis] = result[axis] + d
                    continue
                common = same_dim(result[i], d)
                if common is None:
                    raise ShapeError(
                        f"needs inputs that agree on every axis but {axis}, receives "
                        + " and ".join(format_shape(s) for s in ins),
                        received=ins,
                    )
                result[i] = common
        return tuple(result)
