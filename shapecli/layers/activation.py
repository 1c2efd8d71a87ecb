"""Activation layers: elementwise functions that keep the shape and have no parameters.

Each row of `ACTIVATIONS` registers one layer type; the lower-case words are
also the values Dense's `activation` argument accepts.
"""

from __future__ import annotations

from ..args import Choice, Float, Int
from ..registry import Arg, Layer, register
from ..shape_math import normalize_axis


class ActivationLayer(Layer):
    """Base of the activation layers: the output has the input's shape."""

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return ins[0]


class LeakyActivation(ActivationLayer):
    """An activation with a slope for negative inputs."""

    args = {"negative_slope": Arg(Float(), 0.01, aliases=("alpha",), doc="slope for x < 0")}


class ScaledActivation(ActivationLayer):
    """An activation with a scale for its negative part."""

    args = {"alpha": Arg(Float(), 1.0, doc="scale of the negative part")}


class AxisActivation(ActivationLayer):
    """An activation normalised along one axis."""

    args = {"axis": Arg(Int(), -1, aliases=("dim",), doc="axis the normalisation runs over")}

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x, with axis inside x
        normalize_axis(cfg.axis, len(ins[0]))
        return ins[0]


# type name, other names, activation word, base, what it computes
ACTIVATIONS = [
    ("ReLU", (), "relu", ActivationLayer, "max(x, 0)"),
    ("ReLU6", (), "relu6", ActivationLayer, "min(max(x, 0), 6)"),
    ("LeakyReLU", (), "leaky_relu", LeakyActivation, "x if x > 0 else negative_slope * x"),
    ("ELU", (), "elu", ScaledActivation, "x if x > 0 else alpha * (exp(x) - 1)"),
    ("SELU", (), "selu", ActivationLayer, "scale * elu(x) with fixed constants"),
    ("GELU", (), "gelu", ActivationLayer, "x * Φ(x)"),
    ("SiLU", ("Swish",), "silu", ActivationLayer, "x * sigmoid(x)"),
    ("Mish", (), "mish", ActivationLayer, "x * tanh(softplus(x))"),
    ("Sigmoid", (), "sigmoid", ActivationLayer, "1 / (1 + exp(-x))"),
    ("Hardsigmoid", (), "hard_sigmoid", ActivationLayer, "piecewise-linear sigmoid"),
    ("Hardswish", (), "hard_swish", ActivationLayer, "x * hard_sigmoid(x)"),
    ("Tanh", (), "tanh", ActivationLayer, "tanh(x)"),
    ("Softplus", (), "softplus", ActivationLayer, "log(1 + exp(x))"),
    ("Softsign", (), "softsign", ActivationLayer, "x / (1 + |x|)"),
    ("Softmax", (), "softmax", AxisActivation, "exp(x) / sum(exp(x)) along axis"),
    ("LogSoftmax", (), "log_softmax", AxisActivation, "log(softmax(x)) along axis"),
]

ACTIVATION_NAMES = ("linear", *(row[2] for row in ACTIVATIONS), "swish", "exponential")

for _name, _aliases, _word, _base, _formula in ACTIVATIONS:
    register(_name, *_aliases, prefix=_word.replace("_", ""))(
        type(_name, (_base,), {"__doc__": f"Activation: {_formula}."})
    )


@register("Activation", prefix="activation")
class Activation(ActivationLayer):
    """Any activation chosen by name (Keras' Activation layer)."""

    args = {"activation": Arg(Choice(ACTIVATION_NAMES), doc="the function, e.g. relu")}
