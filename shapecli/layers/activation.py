"""Activation layers: elementwise functions that keep the shape and have no parameters.

Each activation is a small class (`ReLU`) whose docstring gives its formula; their lower-case
`word`s are also the values Dense's `activation` argument accepts.
"""

from __future__ import annotations

from ..args import Bool, Choice, Float, Int, Ints, show
from ..dims import UNKNOWN, AnyShape, format_shape
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, Param, PerConvention, register
from ..shape_math import divide_exactly, normalize_axis, require_declared, require_rank


class ActivationLayer(Layer):
    """Base of the activation layers: the output has the input's shape."""

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return [ins[0]]


_INPLACE = Arg(Bool(), False, doc="PyTorch: overwrite the input (no shape effect; the values are the same)")


class InplaceActivation(ActivationLayer):
    """An activation PyTorch can apply in place (`inplace`, which changes what is kept, not the values)."""

    args = {"inplace": _INPLACE}


class LeakyActivation(ActivationLayer):
    """An activation with a slope for negative inputs."""

    args = {
        "negative_slope": Arg(
            Float(), PerConvention(torch=0.01, keras=0.3), aliases=("alpha",), doc="slope for x < 0 (Keras: 0.3)"
        ),
        "inplace": _INPLACE,
    }


class ScaledActivation(ActivationLayer):
    """An activation with a scale for its negative part."""

    args = {"alpha": Arg(Float(), 1.0, doc="scale of the negative part"), "inplace": _INPLACE}


class GeluActivation(ActivationLayer):
    """GELU, exact or by PyTorch's tanh approximation."""

    args = {
        "approximate": Arg(
            Choice(("none", "tanh")),
            "none",
            doc="'tanh': 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) instead of x·Φ(x)",
        )
    }


class SoftplusActivation(ActivationLayer):
    """Softplus with PyTorch's sharpness and linear threshold."""

    args = {
        "beta": Arg(Float(), 1.0, doc="log(1 + exp(beta·x)) / beta"),
        "threshold": Arg(Float(), 20.0, doc="x itself where beta·x > threshold"),
    }


class AxisActivation(ActivationLayer):
    """An activation normalised along one axis."""

    args = {"axis": Arg(Int(), -1, aliases=("dim",), doc="axis the normalisation runs over")}

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x, with axis inside x
        normalize_axis(cfg.axis, len(ins[0]))
        return [ins[0]]


class NonzeroScaledActivation(ScaledActivation):
    """A scaled activation that divides by its alpha (CELU): alpha 0 is refused."""

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.alpha == 0:
            raise SpecError("alpha cannot be 0: the activation divides by it")


class ShrinkActivation(ActivationLayer):
    """An activation that zeroes a band around 0."""

    args = {"lambd": Arg(Float(0), 0.5, doc="half-width of the zeroed band")}


class ClampActivation(ActivationLayer):
    """An activation clamped to a range."""

    args = {
        "min_val": Arg(Float(), -1.0, doc="lower bound"),
        "max_val": Arg(Float(), 1.0, doc="upper bound"),
        "inplace": _INPLACE,
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.max_val <= cfg.min_val:
            raise SpecError(f"max_val ({cfg.max_val}) must be greater than min_val ({cfg.min_val})")


class KerasReLUActivation(ActivationLayer):
    """ReLU with Keras' options: y = x for x > threshold (else 0), clipped at max_value, minus
    negative_slope * relu(threshold - x) (keras.activations.relu); the defaults are max(x, 0)."""

    args = {
        "max_value": Arg(Float(0), None, doc="Keras: upper bound of the output (none: unbounded)"),
        "negative_slope": Arg(Float(0), 0.0, doc="Keras: slope below the threshold"),
        "threshold": Arg(Float(0), 0.0, doc="Keras: values at or below it are 0 (or follow the slope)"),
        "inplace": _INPLACE,
    }


class ThresholdActivation(ActivationLayer):
    """An activation that replaces values at or below a threshold."""

    args = {
        "threshold": Arg(Float(), doc="values ≤ threshold are replaced"),
        "value": Arg(Float(), doc="the replacement"),
        "inplace": _INPLACE,
    }


@register("ReLU", prefix="relu")
class ReLU(KerasReLUActivation):
    """Activation: max(x, 0)."""

    word = "relu"


@register("ReLU6", prefix="relu6")
class ReLU6(InplaceActivation):
    """Activation: min(max(x, 0), 6)."""

    word = "relu6"


@register("LeakyReLU", prefix="leakyrelu")
class LeakyReLU(LeakyActivation):
    """Activation: x if x > 0 else negative_slope * x."""

    word = "leaky_relu"


@register("ELU", prefix="elu")
class ELU(ScaledActivation):
    """Activation: x if x > 0 else alpha * (exp(x) - 1)."""

    word = "elu"


@register("SELU", prefix="selu")
class SELU(InplaceActivation):
    """Activation: scale * elu(x) with fixed constants."""

    word = "selu"


@register("GELU", prefix="gelu")
class GELU(GeluActivation):
    """Activation: x * Φ(x)."""

    word = "gelu"


@register("SiLU", "Swish", prefix="silu")
class SiLU(InplaceActivation):
    """Activation: x * sigmoid(x)."""

    word = "silu"


@register("Mish", prefix="mish")
class Mish(InplaceActivation):
    """Activation: x * tanh(softplus(x))."""

    word = "mish"


@register("Sigmoid", prefix="sigmoid")
class Sigmoid(ActivationLayer):
    """Activation: 1 / (1 + exp(-x))."""

    word = "sigmoid"


@register("Hardsigmoid", prefix="hardsigmoid")
class Hardsigmoid(InplaceActivation):
    """Activation: piecewise-linear sigmoid."""

    word = "hard_sigmoid"


@register("Hardswish", prefix="hardswish")
class Hardswish(InplaceActivation):
    """Activation: x * hard_sigmoid(x)."""

    word = "hard_swish"


@register("Tanh", prefix="tanh")
class Tanh(ActivationLayer):
    """Activation: tanh(x)."""

    word = "tanh"


@register("Softplus", prefix="softplus")
class Softplus(SoftplusActivation):
    """Activation: log(1 + exp(x))."""

    word = "softplus"


@register("Softsign", prefix="softsign")
class Softsign(ActivationLayer):
    """Activation: x / (1 + |x|)."""

    word = "softsign"


@register("Softmax", prefix="softmax")
class Softmax(AxisActivation):
    """Activation: exp(x) / sum(exp(x)) along axis."""

    word = "softmax"


@register("LogSoftmax", prefix="logsoftmax")
class LogSoftmax(AxisActivation):
    """Activation: log(softmax(x)) along axis."""

    word = "log_softmax"


@register("Softmin", prefix="softmin")
class Softmin(AxisActivation):
    """Activation: softmax(-x) along axis."""

    word = "softmin"


@register("LogSigmoid", prefix="logsigmoid")
class LogSigmoid(ActivationLayer):
    """Activation: log(sigmoid(x))."""

    word = "log_sigmoid"


@register("CELU", prefix="celu")
class CELU(NonzeroScaledActivation):
    """Activation: max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    word = "celu"


@register("Tanhshrink", prefix="tanhshrink")
class Tanhshrink(ActivationLayer):
    """Activation: x - tanh(x)."""

    word = "tanhshrink"


@register("Softshrink", prefix="softshrink")
class Softshrink(ShrinkActivation):
    """Activation: x ∓ lambd outside [-lambd, lambd], else 0."""

    word = "softshrink"


@register("Hardshrink", prefix="hardshrink")
class Hardshrink(ShrinkActivation):
    """Activation: x outside [-lambd, lambd], else 0."""

    word = "hardshrink"


@register("Hardtanh", prefix="hardtanh")
class Hardtanh(ClampActivation):
    """Activation: clamp(x, min_val, max_val)."""

    word = "hard_tanh"


@register("Threshold", prefix="threshold")
class Threshold(ThresholdActivation):
    """Activation: x if x > threshold else value."""

    word = "threshold"


ACTIVATION_LAYERS = (
    ReLU,
    ReLU6,
    LeakyReLU,
    ELU,
    SELU,
    GELU,
    SiLU,
    Mish,
    Sigmoid,
    Hardsigmoid,
    Hardswish,
    Tanh,
    Softplus,
    Softsign,
    Softmax,
    LogSoftmax,
    Softmin,
    LogSigmoid,
    CELU,
    Tanhshrink,
    Softshrink,
    Hardshrink,
    Hardtanh,
    Threshold,
)
"""The activation layer types, each with its lower-case `word`."""

KERAS_ONLY_WORDS = ("sparse_plus", "sparse_sigmoid", "squareplus", "sparsemax")
"""Activations of keras.activations with no layer type: usable as `activation:` words."""

ACTIVATION_NAMES = ("linear", *(cls.word for cls in ACTIVATION_LAYERS), "swish", "exponential", *KERAS_ONLY_WORDS)

ACTIVATION_SPELLINGS = {
    "hard_silu": "hard_swish",
    "soft_shrink": "softshrink",
    "hard_shrink": "hardshrink",
    "tanh_shrink": "tanhshrink",
}
"""keras.activations' names for activations shapecli spells otherwise: accepted, and read as shapecli's word."""


class ActivationWord(Choice):
    """An activation's name (ACTIVATION_NAMES), Keras' spellings accepted (`hard_silu` is `hard_swish`)."""

    def __init__(self):
        super().__init__(ACTIVATION_NAMES)

    def __call__(self, value) -> str:
        if isinstance(value, str) and value.lower() in ACTIVATION_SPELLINGS:
            return ACTIVATION_SPELLINGS[value.lower()]
        if isinstance(value, str) and value.lower() == "glu":
            raise SpecError(
                f"expected an activation that keeps the shape, received {show(value)}: "
                "glu halves its axis; write a GLU layer"
            )
        return super().__call__(value)


@register("Activation", prefix="activation")
class Activation(ActivationLayer):
    """Any activation chosen by name (Keras' Activation layer)."""

    args = {
        "activation": Arg(
            ActivationWord(), doc="an activation layer's name in lower case (relu, gelu, softmax, …) or linear"
        )
    }


_SLOPES = "has {declared} slopes but receives {shape} with {actual} channels (axis 1; 1 for a rank-1 input)"
"""The message of a PReLU whose slopes are not one per channel."""


@register("PReLU", prefix="prelu")
class PReLU(ActivationLayer):
    """Leaky ReLU with a learned slope.

    PyTorch: `weight` (num_parameters,), 1 or the channel count (axis 1);
    Keras: `alpha` with the input's shape after the batch axis, size 1 on
    `shared_axes` (counted from 1); MXNet: `alpha` (num_parameters,).
    """

    args = {
        "num_parameters": Arg(Int(1), 1, aliases=("in_channels",), doc="slopes: 1, or one per channel"),
        "shared_axes": Arg(Ints(None, 1), None, doc="Keras axes (from 1) that share one slope"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x; more than one slope needs that many channels at axis 1
        (x,) = ins
        if cfg.convention != "keras" and cfg.num_parameters > 1:
            if len(x) < 2:
                raise ShapeError(
                    f"has {cfg.num_parameters} slopes but receives {format_shape(x)} with 1 channels "
                    "(axis 1; 1 for a rank-1 input)"
                )
            require_declared(x, 1, cfg, "num_parameters", message=_SLOPES)
        if cfg.convention == "keras" and cfg.shared_axes:
            for axis in cfg.shared_axes:
                if axis >= len(x):
                    raise ShapeError(f"shares axis {axis}, which {format_shape(x)} does not have")
        return [x]

    @staticmethod
    def params(cfg, ins):
        if cfg.convention != "keras":
            return [Param("alpha" if cfg.convention == "mxnet" else "weight", (cfg.num_parameters,))]
        x = ins[0]
        if isinstance(x, AnyShape):  # the rank, and so alpha's, is not known before inference
            return [Param("alpha", (UNKNOWN,))]
        shared = set(cfg.shared_axes or ())
        return [Param("alpha", tuple(1 if axis in shared else x[axis] for axis in range(1, len(x))))]


@register("GLU", prefix="glu")
class GLU(ActivationLayer):
    """Gated linear unit: splits `axis` in halves a, b and gives a * sigmoid(b)."""

    args = {"axis": Arg(Int(), -1, aliases=("dim",), doc="the axis that is halved")}

    @staticmethod
    def output_shape(cfg, ins):
        # (.., n, ..) -> (.., n/2, ..)
        (x,) = ins
        axis = normalize_axis(cfg.axis, len(x))
        return [
            (
                *x[:axis],
                divide_exactly(x[axis], 2, f"halves axis {cfg.axis} of {format_shape(x)}, which is odd"),
                *x[axis + 1 :],
            )
        ]


@register("RReLU", prefix="rrelu")
class RReLU(ActivationLayer):
    """Randomized leaky ReLU: slope U(lower, upper) for x < 0 while training, (lower + upper) / 2 in inference."""

    args = {
        "lower": Arg(Float(), 1 / 8, doc="lowest slope"),
        "upper": Arg(Float(), 1 / 3, doc="highest slope"),
        "inplace": _INPLACE,
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.lower > cfg.upper:
            raise SpecError(f"lower ({cfg.lower}) must be at most upper ({cfg.upper}), as PyTorch requires")


@register("Softmax2d", prefix="softmax")
class Softmax2d(ActivationLayer):
    """Softmax over the channels of each position: axis -3 of a (C, H, W) or (N, C, H, W) input."""

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x, rank 3 or 4
        require_rank(ins[0], 3, 4)
        return [ins[0]]
