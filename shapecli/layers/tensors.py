"""Standalone tensors: Parameter, Buffer, and LayerScale, a learned per-channel scale.

A Parameter or Buffer has no input: it *is* a tensor of a given shape, which merge and
arithmetic layers take with `from:` (`{type: Add, from: [x, pos_embedding]}`), broadcasting
as the framework does. Its name in the state dict is its path, as PyTorch names an
`nn.Parameter` attribute (`cls_token`; `blocks.0.attn.relative_position_bias_table`
inside a block use): the parameter's local name is empty (conventions.param_name).

    Parameter   trainable (nn.Parameter; Keras add_weight(trainable=True))
    Buffer      not trainable: PyTorch register_buffer (persistent, listed in state_dict,
                not counted among the parameters); Keras and MXNet a non-trainable weight,
                counted as non-trainable as their BatchNorm statistics are
    LayerScale  x * gamma with gamma of the channel axis' size, broadcast over the axes after
                it: torchvision's ConvNeXt `layer_scale` (C, 1, 1) on (N, C, H, W), timm's
                LayerScale `gamma` (C,) and Keras ConvNeXt's on channels-last data (C,)

None counts MACs: an elementwise product is not a multiply-accumulate.
"""

from __future__ import annotations

from ..args import Bool, Choice, Float, Int, Str, show
from ..conventions import DTYPE_BYTES
from ..dims import AnyShape
from ..errors import SpecError
from ..initializers import parse_initializer
from ..registry import Arg, Layer, Param, register, with_sizes
from ..shape_math import normalize_axis, require_declared, require_rank


class Sizes:
    """A tensor's shape: a list of sizes ≥ 1 (empty for a scalar), or one size."""

    def __call__(self, value) -> tuple[int, ...]:
        if type(value) is int and value >= 1:
            return (Int(1)(value),)
        if isinstance(value, list) and all(type(v) is int and v >= 1 for v in value):
            return tuple(Int(1)(v) for v in value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "[sizes ≥ 1] (empty: a scalar)"


class InitializerText:
    """An initializer as the spec writes one (`normal(0, 0.02)`, `{type: constant, value: 1}`),
    checked here and kept as its text; init_defaults reads it with the convention's meaning."""

    def __call__(self, value) -> str:
        parsed = parse_initializer(value, None, "torch", "init")
        return parsed.text

    def __str__(self) -> str:
        return "an initializer: a name, a call or {type: …}"


_INIT = Arg(
    InitializerText(), None, doc="how it starts (default zeros), e.g. normal(0, 0.02) or trunc_normal(std=0.02)"
)
_SHAPE = Arg(Sizes(), aliases=("size",), doc="the tensor's shape")


class Standalone(Layer):
    """Base of Parameter and Buffer: no input, the output is the tensor itself."""

    min_inputs = max_inputs = 0
    trainable = True

    @staticmethod
    def output_shape(cfg, ins):
        # () -> shape
        return [cfg.shape]


@register("Parameter", prefix="parameter")
class Parameter(Standalone):
    """A learnable tensor of a given shape, taken by other layers with `from:` (PyTorch nn.Parameter).

    Its state-dict name is its path (`cls_token`, `blocks.0.attn.relative_position_bias_table`).
    `trainable: false` keeps it out of the optimizer (nn.Parameter(requires_grad=False)).
    """

    args = {
        "shape": _SHAPE,
        "init": _INIT,
        "trainable": Arg(Bool(), True, aliases=("requires_grad",), doc="updated by the optimizer"),
    }

    @staticmethod
    def params(cfg, ins):
        return [Param("", cfg.shape, trainable=cfg.trainable)]


@register("Buffer", prefix="buffer")
class Buffer(Standalone):
    """A non-trainable tensor kept with the model (PyTorch register_buffer; Keras a non-trainable weight).

    PyTorch lists it in the state dict under its path and does not count it as a parameter;
    Keras and MXNet count it as a non-trainable weight. `dtype` (default: the parameters')
    is its element type, as Swin's int64 `relative_position_index`.
    """

    args = {
        "shape": _SHAPE,
        "init": _INIT,
        "dtype": Arg(Choice(tuple(DTYPE_BYTES)), None, doc="element type (default: the parameters')"),
    }

    @staticmethod
    def params(cfg, ins):
        if cfg.convention == "torch":
            return [Param("", cfg.shape, trainable=False, buffer=True)]
        return [Param("", cfg.shape, trainable=False)]


@register("LayerScale", prefix="layer_scale")
class LayerScale(Layer):
    """Multiplies each channel by a learned scale (ConvNeXt's layer_scale, CaiT's and timm's LayerScale).

    The scale has the size of the channel `axis` and a 1 for each axis after it, so that it
    broadcasts: torchvision's ConvNeXt (N, C, H, W) with axis 1 keeps (C, 1, 1); timm and Keras
    (channels last, axis -1) keep (C,). `param_name` names the parameter: `gamma` (timm; Keras'
    ConvNeXt names it `variable`), or '' for the layer's own path (torchvision's
    `features.1.0.layer_scale`). It starts at `init_values` (1e-6 in ConvNeXt).
    """

    args = {
        "axis": Arg(Int(), -1, aliases=("dim",), doc="the channel axis"),
        "init_values": Arg(Float(), 1e-6, aliases=("layer_scale", "init_value"), doc="the scale's starting value"),
        "param_name": Arg(Str(), "gamma", doc="the parameter's name; '' names it by the layer's path (torchvision)"),
        "channels": Arg(Int(1), None, aliases=("projection_dim", "dim_size"), doc="declared channel size"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.param_name and not cfg.param_name.isidentifier():
            raise SpecError(
                f"param_name must be a name like gamma, or '' for the layer's path, not {show(cfg.param_name)}"
            )

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x * gamma, gamma (C, 1, …, 1) broadcast over the axes after `axis`
        (x,) = ins
        require_rank(x, 1)
        normalize_axis(cfg.axis, len(x))
        require_declared(
            x,
            cfg.axis,
            cfg,
            "channels",
            message="declares {name}={declared} but receives {shape} ({actual} on axis {axis})",
        )
        return [x]

    @staticmethod
    def build(cfg, ins):
        # channels: declared, else the size of the channel axis (unknown before inference)
        return with_sizes(cfg, channels=ins[0][cfg.axis])

    @staticmethod
    def params(cfg, ins):
        x = ins[0]
        if isinstance(x, AnyShape):  # before inference: the rank, and so gamma's trailing axes, is not known
            return [Param(cfg.param_name, (cfg.channels,))]
        axis = normalize_axis(cfg.axis, len(x))
        return [Param(cfg.param_name, (cfg.channels,) + (1,) * (len(x) - axis - 1))]
