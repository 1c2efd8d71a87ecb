"""Dense, Identity, Dropout and Flatten."""

from __future__ import annotations

from ..args import Bool, Choice, Float, Int
from ..dims import format_dim, format_shape, product
from ..errors import ShapeError
from ..registry import Arg, Layer, Param, register
from ..shape_math import normalize_axis, require_rank, same_dim
from .activation import ACTIVATION_NAMES


@register("Dense", "Linear", prefix="dense")
class Dense(Layer):
    """Fully connected layer on the last axis.

    PyTorch Linear weight (units, in); Keras Dense kernel (in, units); MXNet
    Dense weight (units, in); each with a bias (units,).
    """

    args = {
        "units": Arg(Int(1), aliases=("out_features",), doc="output size"),
        "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add a bias vector"),
        "activation": Arg(Choice(ACTIVATION_NAMES), None, doc="activation applied to the output"),
        "in_units": Arg(
            Int(1), None, aliases=("in_features",),
            doc="declared input size: the parameters are known before inference",
        ),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (..., in) -> (..., units)
        (x,) = ins
        require_rank(x, 1)
        if cfg.in_units is not None and same_dim(x[-1], cfg.in_units) is None:
            raise ShapeError(
                f"declares in_units={cfg.in_units} but receives {format_shape(x)}",
                expected=(*x[:-1], cfg.in_units),
                received=x,
                hint=f"the input has {format_dim(x[-1])} features: "
                f"set in_units: {format_dim(x[-1])}, or remove in_units",
            )
        return (*x[:-1], cfg.units)

    @staticmethod
    def params(cfg, ins):
        n_in = _in_features(cfg, ins[0])
        if cfg.convention == "keras":
            weight = Param("kernel", (n_in, cfg.units))
        else:
            weight = Param("weight", (cfg.units, n_in))
        return [weight, Param("bias", (cfg.units,))] if cfg.use_bias else [weight]

    @staticmethod
    def macs(cfg, ins, out):
        # rows * in * units
        return product(out[:-1]) * _in_features(cfg, ins[0]) * cfg.units


def _in_features(cfg, x):
    """The input size of a Dense layer: declared if given, else the input's last axis."""
    return cfg.in_units if cfg.in_units is not None else x[-1]


@register("Identity", prefix="identity")
class Identity(Layer):
    """Passes its input through unchanged."""

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return ins[0]


@register("Dropout", prefix="dropout")
class Dropout(Layer):
    """Zeroes elements at random while training; the shape is unchanged."""

    args = {"rate": Arg(Float(0, 1), 0.5, aliases=("p",), doc="probability of dropping an element")}

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return ins[0]


@register("Flatten", prefix="flatten")
class Flatten(Layer):
    """Merges the axes start_dim..end_dim into one (by default all but the batch axis).

    Keras flattens a rank-1 input (batch,) to (batch, 1); PyTorch refuses it.
    """

    args = {
        "start_dim": Arg(Int(), 1, aliases=("start_axis",), doc="first axis merged"),
        "end_dim": Arg(Int(), -1, aliases=("end_axis",), doc="last axis merged"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (a.., d_s..d_e, b..) -> (a.., d_s*...*d_e, b..)
        (x,) = ins
        if cfg.convention == "keras" and len(x) == 1:
            return (x[0], 1)
        require_rank(x, 1)
        start = normalize_axis(cfg.start_dim, len(x))
        end = normalize_axis(cfg.end_dim, len(x))
        if start > end:
            raise ShapeError(
                f"has start_dim {cfg.start_dim} after end_dim {cfg.end_dim} "
                f"for a rank-{len(x)} input"
            )
        return (*x[:start], product(x[start : end + 1]), *x[end + 1 :])
