"""Convolutions: Conv1d/2d/3d, ConvTranspose1d/2d/3d, DepthwiseConv1D/2D, SeparableConv1D/2D.

Layouts: PyTorch and MXNet keep channels first and store a conv weight as
(out, in/groups, *kernel), a transposed one as (in, out/groups, *kernel);
Keras keeps channels last and stores (*kernel, in/groups, out), transposed
(*kernel, out, in). `data_format` overrides the convention's channel position.
"""

from __future__ import annotations

from ..args import Bool, Choice, Int, Ints, Padding
from ..dims import format_dim, format_shape, product
from ..errors import SpecError
from ..registry import Arg, Layer, Param, PerConvention, register, with_sizes
from ..shape_math import (
    channels_of,
    join_channels,
    require_at_least,
    require_declared,
    require_divisible,
    require_positive,
    split_channels,
    transposed_length,
    window_length,
    window_padding,
)

_FORMAT = Choice(("channels_first", "channels_last"))


def _window_args(rank: int, words=("valid", "same")) -> dict:
    """Arguments every convolution takes."""
    return {
        "kernel_size": Arg(Ints(rank, 1), aliases=("kernel",), doc="window size per spatial axis"),
        "strides": Arg(Ints(rank, 1), 1, aliases=("stride",), doc="step per spatial axis"),
        "padding": Arg(Padding(rank, words), "valid", doc="'valid', 'same', or amounts per axis (or per side)"),
        "dilation": Arg(Ints(rank, 1), 1, aliases=("dilation_rate",), doc="spacing of the window taps"),
        "use_bias": Arg(Bool(), True, aliases=("bias",), doc="add a bias per output channel"),
        "in_channels": Arg(Int(1), None, doc="declared input channels: the parameters are known before inference"),
        "data_format": Arg(
            _FORMAT,
            PerConvention(torch="channels_first", keras="channels_last"),
            doc="where the channel axis is (default: the convention's)",
        ),
        "padding_mode": Arg(
            Choice(("zeros", "reflect", "replicate", "circular")), "zeros", doc="PyTorch padding mode (no shape effect)"
        ),
        "activation": Arg(_activation_word(), None, doc="activation applied to the output (Keras)"),
    }


def _activation_word():
    from .activation import ActivationWord

    return ActivationWord()


def _check_in_channels(cfg, x, c_in, rank: int) -> None:
    """The declared in_channels against the input's channel axis; groups must divide the channels."""
    require_declared(x, -1 if cfg.data_format == "channels_last" else -(rank + 1), cfg, "in_channels", unit="channels")
    groups = getattr(cfg, "groups", 1)
    if groups != 1:  # one group divides any channel count
        require_divisible(
            c_in,
            groups,
            f"has groups={groups}, which must divide the {format_dim(c_in)} input channels of {format_shape(x)}",
        )


class Conv(Layer):
    """Base of the convolutions; `rank` is the number of spatial axes."""

    rank = 2

    @staticmethod
    def check_args(cfg) -> None:
        _check_groups(cfg)
        _check_window(cfg)

    @classmethod
    def output_shape(cls, cfg, ins):
        # n -> floor((n + lo + hi - d(k-1) - 1) / s) + 1 per spatial axis; channels -> filters
        (x,) = ins
        batch, c_in, spatial = split_channels(cfg, x, cls.rank)
        _check_in_channels(cfg, x, c_in, cls.rank)
        pads = window_padding(cfg.padding, spatial, cfg.kernel_size, cfg.strides, cfg.dilation)
        _check_padding_mode(cfg.padding_mode, spatial, pads)
        out = [
            require_positive(window_length(cfg.padding, n, k, s, d, lo, hi), f"kernel {k} with dilation {d}")
            for n, k, s, d, (lo, hi) in zip(spatial, cfg.kernel_size, cfg.strides, cfg.dilation, pads)
        ]
        return [join_channels(cfg, batch, cfg.filters, out)]

    @classmethod
    def build(cls, cfg, ins):
        # in_channels: declared, else the input's channel axis
        return with_sizes(cfg, in_channels=channels_of(cfg, ins[0], cls.rank))

    @staticmethod
    def params(cfg, ins):
        per_group = cfg.in_channels // cfg.groups
        if cfg.convention == "keras":
            weight = Param("kernel", (*cfg.kernel_size, per_group, cfg.filters))
        else:
            weight = Param("weight", (cfg.filters, per_group, *cfg.kernel_size))
        return [weight, Param("bias", (cfg.filters,))] if cfg.use_bias else [weight]

    @staticmethod
    def macs(cfg, ins, outs):
        # out elements * in/groups * kernel volume
        return product(outs[0]) * (cfg.in_channels // cfg.groups) * product(cfg.kernel_size)


class ConvTranspose(Layer):
    """Base of the transposed convolutions; `rank` is the number of spatial axes."""

    rank = 2

    @staticmethod
    def check_args(cfg) -> None:
        _check_groups(cfg)
        if cfg.convention == "keras":
            if cfg.groups != 1:
                raise SpecError("Keras' transposed convolutions have no groups")
            if not isinstance(cfg.padding, str):
                raise SpecError("Keras' transposed convolutions take padding 'valid' or 'same'")
            if cfg.output_padding is not None and any(p >= s for p, s in zip(cfg.output_padding, cfg.strides)):
                raise SpecError(
                    f"output_padding {list(cfg.output_padding)} must be smaller than strides {list(cfg.strides)}"
                )
            _check_window(cfg)
            return
        if cfg.padding == "same" or (cfg.padding != "valid" and any(lo != hi for lo, hi in cfg.padding)):
            raise SpecError("PyTorch's transposed convolutions take symmetric integer padding only")
        if cfg.padding_mode != "zeros":
            raise SpecError("PyTorch's transposed convolutions support padding_mode 'zeros' only")
        for p, s, d in zip(cfg.output_padding, cfg.strides, cfg.dilation):
            if p >= s and p >= d:
                raise SpecError(f"output_padding ({p}) must be smaller than either stride ({s}) or dilation ({d})")

    @classmethod
    def output_shape(cls, cfg, ins):
        # torch: (n-1)*s - 2p + d(k-1) + output_padding + 1; keras: see _keras_transposed_length
        (x,) = ins
        batch, c_in, spatial = split_channels(cfg, x, cls.rank)
        _check_in_channels(cfg, x, c_in, cls.rank)
        output_padding = cfg.output_padding
        out = []
        for i, (n, k, s, d) in enumerate(zip(spatial, cfg.kernel_size, cfg.strides, cfg.dilation)):
            op = None if output_padding is None else output_padding[i]
            if cfg.convention == "keras":
                length = _keras_transposed_length(n, k, s, d, cfg.padding, op)
            else:
                p = 0 if cfg.padding == "valid" else cfg.padding[i][0]
                length = transposed_length(n, k, s, d, p, op or 0)
            out.append(require_positive(length, f"kernel {k} with padding"))
        return [join_channels(cfg, batch, cfg.filters, out)]

    @classmethod
    def build(cls, cfg, ins):
        # in_channels: declared, else the input's channel axis
        return with_sizes(cfg, in_channels=channels_of(cfg, ins[0], cls.rank))

    @staticmethod
    def params(cfg, ins):
        c_in = cfg.in_channels
        if cfg.convention == "keras":
            weight = Param("kernel", (*cfg.kernel_size, cfg.filters, c_in))
        else:
            weight = Param("weight", (c_in, cfg.filters // cfg.groups, *cfg.kernel_size))
        return [weight, Param("bias", (cfg.filters,))] if cfg.use_bias else [weight]

    @staticmethod
    def macs(cfg, ins, outs):
        # in elements * out/groups * kernel volume
        return product(ins[0]) * (cfg.filters // cfg.groups) * product(cfg.kernel_size)


def _keras_transposed_length(n, k, s, d, padding, output_padding):
    """Keras' deconv_output_length."""
    k = k + (k - 1) * (d - 1)
    if output_padding is None:
        # valid: n*s + max(k - s, 0); same: n*s
        return n * s + max(k - s, 0) if padding == "valid" else n * s
    # (n-1)*s + k - 2*pad + output_padding, pad = floor(k/2) for 'same'
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * s + k - 2 * pad + output_padding


class DepthwiseConv(Conv):
    """Base of the depthwise convolutions: each input channel gets depth_multiplier filters."""

    @staticmethod
    def check_args(cfg) -> None:
        _check_window(cfg, dilated_strides=True)

    @classmethod
    def output_shape(cls, cfg, ins):
        # like Conv, with channels -> channels * depth_multiplier
        _, c_in, _ = split_channels(cfg, ins[0], cls.rank)
        return super().output_shape(_with(cfg, filters=c_in * cfg.depth_multiplier, groups=1), ins)

    @staticmethod
    def params(cfg, ins):
        c_in = cfg.in_channels
        if cfg.convention == "keras":
            weight = Param("kernel", (*cfg.kernel_size, c_in, cfg.depth_multiplier))
        else:
            weight = Param("weight", (c_in * cfg.depth_multiplier, 1, *cfg.kernel_size))
        bias = Param("bias", (c_in * cfg.depth_multiplier,))
        return [weight, bias] if cfg.use_bias else [weight]

    @staticmethod
    def macs(cfg, ins, outs):
        # out elements * kernel volume
        return product(outs[0]) * product(cfg.kernel_size)


class SeparableConv(Conv):
    """Base of the separable convolutions: a depthwise convolution, then a 1x1 convolution to `filters`."""

    @staticmethod
    def check_args(cfg) -> None:
        _check_window(cfg, dilated_strides=True)

    @classmethod
    def output_shape(cls, cfg, ins):
        # like Conv with groups = 1
        return super().output_shape(_with(cfg, groups=1), ins)

    @classmethod
    def params(cls, cfg, ins):
        c_in = cfg.in_channels
        middle = c_in * cfg.depth_multiplier
        ones = (1,) * cls.rank
        if cfg.convention == "keras":
            weights = [
                Param("depthwise_kernel", (*cfg.kernel_size, c_in, cfg.depth_multiplier)),
                Param("pointwise_kernel", (*ones, middle, cfg.filters)),
            ]
            bias = Param("bias", (cfg.filters,))
        else:
            weights = [
                Param("depthwise.weight", (middle, 1, *cfg.kernel_size)),
                Param("pointwise.weight", (cfg.filters, middle, *ones)),
            ]
            bias = Param("pointwise.bias", (cfg.filters,))
        return [*weights, bias] if cfg.use_bias else weights

    @classmethod
    def macs(cls, cfg, ins, outs):
        # out positions * in*dm * (kernel volume + filters)
        batch, _, spatial = split_channels(cfg, outs[0], cls.rank)
        middle = cfg.in_channels * cfg.depth_multiplier
        return product(batch) * product(spatial) * middle * (product(cfg.kernel_size) + cfg.filters)


def _check_padding_mode(mode: str, spatial: list, pads: list) -> None:
    """PyTorch pads by reflection less than the size, circularly at most the size (wrapping once)."""
    if mode not in ("reflect", "circular"):
        return
    for n, (lo, hi) in zip(spatial, pads):
        amount = max(lo, hi) if isinstance(lo, int) and isinstance(hi, int) else None
        if amount is None or amount == 0:
            continue
        need = amount + 1 if mode == "reflect" else amount
        require_at_least(
            n,
            need,
            f"pads {amount} with padding_mode '{mode}' an axis of size {format_dim(n)}, which must be at least {need}",
        )


def _check_groups(cfg) -> None:
    if cfg.filters % cfg.groups:
        raise SpecError(f"filters ({cfg.filters}) must be divisible by groups ({cfg.groups})")
    if cfg.in_channels is not None and cfg.in_channels % cfg.groups:
        raise SpecError(f"in_channels ({cfg.in_channels}) must be divisible by groups ({cfg.groups})")


def _check_window(cfg, dilated_strides: bool = False) -> None:
    """The refusals of each framework that do not depend on shapes (`dilated_strides`: Keras'
    depthwise and separable convolutions take strides and dilation together; the others do not)."""
    strided = any(s > 1 for s in cfg.strides)
    if cfg.convention == "torch" and cfg.padding == "same" and strided:
        raise SpecError("PyTorch refuses padding='same' with a stride > 1", hint="pad explicitly, or use stride 1")
    if cfg.convention == "keras" and strided and any(d > 1 for d in cfg.dilation) and not dilated_strides:
        raise SpecError("Keras refuses strides > 1 together with dilation_rate > 1")


def _with(cfg, **changes):
    """A copy of cfg with some values changed."""
    from types import SimpleNamespace

    return SimpleNamespace(**{**vars(cfg), **changes})


def _filters() -> Arg:
    """The output channels argument of the convolutions."""
    return Arg(Int(1), aliases=("out_channels", "channels"), doc="output channels")


def _output_padding(rank: int) -> Arg:
    """The output_padding argument of a rank-`rank` transposed convolution."""
    return Arg(Ints(rank, 0), PerConvention(torch=0, keras=None), doc="extra size added to one side of the output")


_GROUPS = Arg(Int(1), 1, doc="split the channels into this many independent groups")
_DEPTH_MULTIPLIER = Arg(Int(1), 1, doc="filters per input channel")


@register("Conv1d", "LazyConv1d", prefix="conv")
class Conv1d(Conv):
    """1-D convolution (PyTorch Conv1d, Keras Conv1D, MXNet Conv1D)."""

    rank = 1
    args = {"filters": _filters(), **_window_args(1, ("valid", "same", "causal")), "groups": _GROUPS}


@register("ConvTranspose1d", "Conv1DTranspose", "LazyConvTranspose1d", prefix="conv_transpose")
class ConvTranspose1d(ConvTranspose):
    """1-D transposed convolution (PyTorch ConvTranspose1d, Keras Conv1DTranspose)."""

    rank = 1
    args = {"filters": _filters(), **_window_args(1), "groups": _GROUPS, "output_padding": _output_padding(1)}


@register("Conv2d", "LazyConv2d", prefix="conv")
class Conv2d(Conv):
    """2-D convolution (PyTorch Conv2d, Keras Conv2D, MXNet Conv2D)."""

    rank = 2
    args = {"filters": _filters(), **_window_args(2, ("valid", "same")), "groups": _GROUPS}


@register("ConvTranspose2d", "Conv2DTranspose", "LazyConvTranspose2d", prefix="conv_transpose")
class ConvTranspose2d(ConvTranspose):
    """2-D transposed convolution (PyTorch ConvTranspose2d, Keras Conv2DTranspose)."""

    rank = 2
    args = {"filters": _filters(), **_window_args(2), "groups": _GROUPS, "output_padding": _output_padding(2)}


@register("Conv3d", "LazyConv3d", prefix="conv")
class Conv3d(Conv):
    """3-D convolution (PyTorch Conv3d, Keras Conv3D, MXNet Conv3D)."""

    rank = 3
    args = {"filters": _filters(), **_window_args(3, ("valid", "same")), "groups": _GROUPS}


@register("ConvTranspose3d", "Conv3DTranspose", "LazyConvTranspose3d", prefix="conv_transpose")
class ConvTranspose3d(ConvTranspose):
    """3-D transposed convolution (PyTorch ConvTranspose3d, Keras Conv3DTranspose)."""

    rank = 3
    args = {"filters": _filters(), **_window_args(3), "groups": _GROUPS, "output_padding": _output_padding(3)}


@register("DepthwiseConv1D", prefix="depthwise_conv")
class DepthwiseConv1D(DepthwiseConv):
    """1-D depthwise convolution (Keras DepthwiseConv1D; PyTorch Conv1d with groups=in)."""

    rank = 1
    args = {**_window_args(1), "depth_multiplier": _DEPTH_MULTIPLIER}


@register("SeparableConv1D", prefix="separable_conv")
class SeparableConv1D(SeparableConv):
    """1-D separable convolution (Keras SeparableConv1D): depthwise, then 1x1."""

    rank = 1
    args = {"filters": _filters(), **_window_args(1), "depth_multiplier": _DEPTH_MULTIPLIER}


@register("DepthwiseConv2D", prefix="depthwise_conv")
class DepthwiseConv2D(DepthwiseConv):
    """2-D depthwise convolution (Keras DepthwiseConv2D; PyTorch Conv2d with groups=in)."""

    rank = 2
    args = {**_window_args(2), "depth_multiplier": _DEPTH_MULTIPLIER}


@register("SeparableConv2D", prefix="separable_conv")
class SeparableConv2D(SeparableConv):
    """2-D separable convolution (Keras SeparableConv2D): depthwise, then 1x1."""

    rank = 2
    args = {"filters": _filters(), **_window_args(2), "depth_multiplier": _DEPTH_MULTIPLIER}
