"""Pooling: Max/AvgPool 1d/2d/3d, AdaptiveAvg/MaxPool 1d/2d/3d, GlobalAverage/MaxPooling 1D/2D/3D,
MaxUnpool 1d/2d/3d, LPPool 1d/2d/3d.

Pooling has no parameters and counts no MACs. PyTorch pads with integers
(at most half the effective window) and may round up (ceil_mode); Keras pads
'valid' or 'same' (TensorFlow semantics).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from ..args import Bool, Choice, Float, Int, Ints, Padding, show
from ..dims import format_dim, format_shape
from ..errors import ShapeError, SpecError
from ..registry import REQUIRED, Arg, Layer, PerConvention, register
from ..shape_math import (
    ceil_pool_length,
    join_channels,
    map_spatial,
    require_at_least,
    require_positive,
    require_rank,
    same_dim,
    split_channels,
    window_length,
    window_padding,
)

_FORMAT = Arg(
    Choice(("channels_first", "channels_last")),
    PerConvention(torch="channels_first", keras="channels_last"),
    doc="where the channel axis is (default: the convention's)",
)


class _WithIndices(Layer):
    """A pooling whose max kind may also return the indices of its maxima (`return_indices`),
    as a second output named `indices`."""

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        return ("output", "indices") if getattr(cfg, "return_indices", False) else ("output",)

    @staticmethod
    def index_outputs(cfg) -> tuple[int, ...]:
        return (1,) if getattr(cfg, "return_indices", False) else ()


class Pool(_WithIndices):
    """Base of the window poolings; `rank` is the number of spatial axes, `kind` max or avg."""

    rank = 2
    kind = "max"

    @classmethod
    def check_args(cls, cfg) -> None:
        if cfg.convention == "keras":
            if cfg.ceil_mode or any(d > 1 for d in cfg.dilation):
                raise SpecError("Keras pooling has no ceil_mode or dilation")
            _no_torch_options(cfg)
            return
        if getattr(cfg, "divisor_override", None) == 0:
            raise SpecError("divisor_override cannot be 0: the average divides by it")
        if cfg.padding == "same":
            raise SpecError("PyTorch pooling takes integer padding, not 'same'")
        if cfg.dilation != (1,) * cls.rank and cls.kind == "avg":
            raise SpecError("PyTorch's average pooling has no dilation")
        for k, (lo, hi) in zip(cfg.pool_size, _pairs(cfg.padding, cls.rank)):
            if lo != hi:
                raise SpecError("PyTorch pooling pads both sides of an axis equally")
            if lo > k // 2:
                raise SpecError(f"PyTorch requires padding ({lo}) to be at most half the window ({k})")

    @classmethod
    def output_shape(cls, cfg, ins):
        # n -> floor((n + 2p - d(k-1) - 1)/s) + 1 (ceil with ceil_mode); 'same' -> ceil(n/s)
        y = _window_shape(cls.rank, cls.kind, cfg, ins[0])
        return [y, y] if getattr(cfg, "return_indices", False) else [y]


def _window_shape(rank: int, kind: str, cfg, x) -> tuple:
    """The output of a window pooling of `kind` ('max' or 'avg') over the `rank` spatial axes of x."""
    batch, channels, spatial = split_channels(cfg, x, rank)
    strides = cfg.strides or cfg.pool_size
    pads = window_padding(cfg.padding, spatial, cfg.pool_size, strides, cfg.dilation)
    # PyTorch's avg_pool3d checks the unpadded input against the window; Keras (torch backend)
    # hands it a symmetric 'same' padding as such (an uneven one it applies first)
    unpadded = cfg.convention == "torch" or all(lo == hi for lo, hi in pads)
    out = []
    for n, k, s, d, (lo, hi) in zip(spatial, cfg.pool_size, strides, cfg.dilation, pads):
        if kind == "avg" and rank == 3 and unpadded:
            require_at_least(
                n,
                k,
                f"has window {k}, larger than the unpadded size {format_dim(n)} (PyTorch's 3-D average pooling)",
            )
        if cfg.ceil_mode:
            length = ceil_pool_length(n, k, s, d, lo)
        else:
            length = window_length(cfg.padding, n, k, s, d, lo, hi)
        out.append(require_positive(length, f"window {k}"))
    return join_channels(cfg, batch, channels, out)


def _no_torch_options(cfg) -> None:
    """Keras pooling has no indices output and no divisor."""
    if getattr(cfg, "return_indices", False):
        raise SpecError("Keras pooling has no return_indices (PyTorch's indices output)")
    if getattr(cfg, "divisor_override", None) is not None:
        raise SpecError("Keras pooling has no divisor_override")


def _pairs(padding, rank: int):
    return ((0, 0),) * rank if padding == "valid" else padding


class AdaptivePool(_WithIndices):
    """Base of the adaptive poolings: the spatial size becomes output_size."""

    rank = 2
    kind = "max"

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.convention == "keras":
            _no_torch_options(cfg)

    @classmethod
    def output_shape(cls, cfg, ins):
        # spatial -> output_size (None keeps the input size)
        x = ins[0]
        if _mean_shortcut(cls, cfg, x):
            # PyTorch averages to 1x(1x)1 by a mean over the last axes, whatever comes before them
            return [(*x[: -cls.rank], *cfg.output_size)]
        y = map_spatial(
            cfg,
            ins[0],
            cls.rank,
            lambda spatial: [n if size is None else size for n, size in zip(spatial, cfg.output_size)],
        )
        return [y, y] if getattr(cfg, "return_indices", False) else [y]


class GlobalPool(Layer):
    """Base of the global poolings: every spatial axis is reduced."""

    rank = 2

    @classmethod
    def output_shape(cls, cfg, ins):
        # (N, *spatial, C) -> (N, C), or (N, 1.., C) with keepdims
        (x,) = ins
        batch, channels, spatial = split_channels(cfg, x, cls.rank)
        if not batch:
            raise ShapeError(f"expects a batched rank-{cls.rank + 2} input, receives {format_shape(x)}")
        if cfg.keepdims:
            return [join_channels(cfg, batch, channels, [1] * len(spatial))]
        return [(*batch, channels)]


class OneSize(tuple):
    """An output_size given as one integer for every axis (PyTorch treats it differently from a list)."""


class OutputSize:
    """An integer or a list of integers (or nulls, keeping that axis)."""

    def __init__(self, rank: int):
        self.rank = rank

    def __call__(self, value):
        if type(value) is int and value >= 1:
            return OneSize((value,) * self.rank)
        if (
            isinstance(value, list)
            and len(value) == self.rank
            and all((v is None and self.rank > 1) or (type(v) is int and v >= 1) for v in value)
        ):
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return f"int ≥ 1 or [{self.rank} ints or nulls]" if self.rank > 1 else "int ≥ 1 or [int]"


def _mean_shortcut(cls, cfg, x) -> bool:
    """Whether PyTorch's adaptive 2-D/3-D average pooling to all ones takes `x` by its mean shortcut,
    which skips the rank check: from rank `rank` (an int output_size) or `rank + 1` (a list)."""
    if cls.kind != "avg" or cls.rank == 1 or cfg.convention != "torch" or cfg.data_format != "channels_first":
        return False
    if any(size != 1 for size in cfg.output_size):
        return False
    low = cls.rank if isinstance(cfg.output_size, OneSize) else cls.rank + 1
    return len(x) >= low


def _pool_args(rank: int, kind: str) -> dict:
    # Keras' max poolings default to a window of 2; its average poolings and PyTorch's need one
    window = PerConvention(torch=REQUIRED, keras=2) if kind == "max" else REQUIRED
    args = {
        "pool_size": Arg(Ints(rank, 1), window, aliases=("kernel_size", "kernel"), doc="window size per spatial axis"),
        "strides": Arg(Ints(rank, 1), None, aliases=("stride",), doc="step per spatial axis (default: the window)"),
        "padding": Arg(Padding(rank), "valid", doc="'valid', 'same' (Keras) or integers per axis (PyTorch)"),
        "dilation": Arg(Ints(rank, 1), 1, doc="spacing of the window taps (PyTorch max pooling)"),
        "ceil_mode": Arg(Bool(), False, doc="round the output length up (PyTorch)"),
        "data_format": _FORMAT,
    }
    if kind == "avg":
        args["count_include_pad"] = Arg(Bool(), True, doc="count padding in the average (no shape effect)")
        if rank > 1:  # PyTorch's AvgPool1d has none
            args["divisor_override"] = Arg(Int(), None, doc="PyTorch: divide by this instead of the window size")
    else:
        args["return_indices"] = Arg(Bool(), False, doc="PyTorch: also output the indices of the maxima")
    return args


def _adaptive_args(rank: int, kind: str) -> dict:
    """The arguments of a rank-`rank` adaptive pooling (`kind` 'max' also outputs indices)."""
    args = {"output_size": Arg(OutputSize(rank), doc="spatial size of the output"), "data_format": _FORMAT}
    if kind == "max":
        args["return_indices"] = Arg(Bool(), False, doc="PyTorch: also output the indices of the maxima")
    return args


def _global_args() -> dict:
    """The arguments of a global pooling."""
    return {"keepdims": Arg(Bool(), False, doc="keep the spatial axes with size 1"), "data_format": _FORMAT}


@register("MaxPool1d", "MaxPooling1D", prefix="pool")
class MaxPool1d(Pool):
    """1-D max pooling (PyTorch MaxPool1d, Keras MaxPooling1D)."""

    rank, kind = 1, "max"
    args = _pool_args(1, "max")


@register("AdaptiveMaxPool1d", prefix="pool")
class AdaptiveMaxPool1d(AdaptivePool):
    """1-D adaptive max pooling to a fixed output size (PyTorch AdaptiveMaxPool1d)."""

    rank, kind = 1, "max"
    args = _adaptive_args(1, "max")


@register("AvgPool1d", "AveragePooling1D", prefix="pool")
class AvgPool1d(Pool):
    """1-D avg pooling (PyTorch AvgPool1d, Keras AveragePooling1D)."""

    rank, kind = 1, "avg"
    args = _pool_args(1, "avg")


@register("AdaptiveAvgPool1d", prefix="pool")
class AdaptiveAvgPool1d(AdaptivePool):
    """1-D adaptive avg pooling to a fixed output size (PyTorch AdaptiveAvgPool1d)."""

    rank, kind = 1, "avg"
    args = _adaptive_args(1, "avg")


@register("GlobalAveragePooling1D", "GlobalAvgPool1d", prefix="pool")
class GlobalAveragePooling1D(GlobalPool):
    """1-D global average pooling over every spatial axis (Keras GlobalAveragePooling1D)."""

    rank = 1
    args = _global_args()


@register("GlobalMaxPooling1D", "GlobalMaxPool1d", prefix="pool")
class GlobalMaxPooling1D(GlobalPool):
    """1-D global max pooling over every spatial axis (Keras GlobalMaxPooling1D)."""

    rank = 1
    args = _global_args()


@register("MaxPool2d", "MaxPooling2D", prefix="pool")
class MaxPool2d(Pool):
    """2-D max pooling (PyTorch MaxPool2d, Keras MaxPooling2D)."""

    rank, kind = 2, "max"
    args = _pool_args(2, "max")


@register("AdaptiveMaxPool2d", prefix="pool")
class AdaptiveMaxPool2d(AdaptivePool):
    """2-D adaptive max pooling to a fixed output size (PyTorch AdaptiveMaxPool2d)."""

    rank, kind = 2, "max"
    args = _adaptive_args(2, "max")


@register("AvgPool2d", "AveragePooling2D", prefix="pool")
class AvgPool2d(Pool):
    """2-D avg pooling (PyTorch AvgPool2d, Keras AveragePooling2D)."""

    rank, kind = 2, "avg"
    args = _pool_args(2, "avg")


@register("AdaptiveAvgPool2d", prefix="pool")
class AdaptiveAvgPool2d(AdaptivePool):
    """2-D adaptive avg pooling to a fixed output size (PyTorch AdaptiveAvgPool2d)."""

    rank, kind = 2, "avg"
    args = _adaptive_args(2, "avg")


@register("GlobalAveragePooling2D", "GlobalAvgPool2d", prefix="pool")
class GlobalAveragePooling2D(GlobalPool):
    """2-D global average pooling over every spatial axis (Keras GlobalAveragePooling2D)."""

    rank = 2
    args = _global_args()


@register("GlobalMaxPooling2D", "GlobalMaxPool2d", prefix="pool")
class GlobalMaxPooling2D(GlobalPool):
    """2-D global max pooling over every spatial axis (Keras GlobalMaxPooling2D)."""

    rank = 2
    args = _global_args()


@register("MaxPool3d", "MaxPooling3D", prefix="pool")
class MaxPool3d(Pool):
    """3-D max pooling (PyTorch MaxPool3d, Keras MaxPooling3D)."""

    rank, kind = 3, "max"
    args = _pool_args(3, "max")


@register("AdaptiveMaxPool3d", prefix="pool")
class AdaptiveMaxPool3d(AdaptivePool):
    """3-D adaptive max pooling to a fixed output size (PyTorch AdaptiveMaxPool3d)."""

    rank, kind = 3, "max"
    args = _adaptive_args(3, "max")


@register("AvgPool3d", "AveragePooling3D", prefix="pool")
class AvgPool3d(Pool):
    """3-D avg pooling (PyTorch AvgPool3d, Keras AveragePooling3D)."""

    rank, kind = 3, "avg"
    args = _pool_args(3, "avg")


@register("AdaptiveAvgPool3d", prefix="pool")
class AdaptiveAvgPool3d(AdaptivePool):
    """3-D adaptive avg pooling to a fixed output size (PyTorch AdaptiveAvgPool3d)."""

    rank, kind = 3, "avg"
    args = _adaptive_args(3, "avg")


@register("GlobalAveragePooling3D", "GlobalAvgPool3d", prefix="pool")
class GlobalAveragePooling3D(GlobalPool):
    """3-D global average pooling over every spatial axis (Keras GlobalAveragePooling3D)."""

    rank = 3
    args = _global_args()


@register("GlobalMaxPooling3D", "GlobalMaxPool3d", prefix="pool")
class GlobalMaxPooling3D(GlobalPool):
    """3-D global max pooling over every spatial axis (Keras GlobalMaxPooling3D)."""

    rank = 3
    args = _global_args()


class OutputSizeOf:
    """The spatial sizes (≥ 1) of a MaxUnpool output: `rank` integers, or `rank + 2` (N and C first, ignored)."""

    def __init__(self, rank: int):
        self.rank = rank

    def __call__(self, value):
        sizes = Ints(None, 1)(value)
        if len(sizes) not in (self.rank, self.rank + 2):
            raise SpecError(f"expected {self}, received {show(value)}")
        return sizes[-self.rank :]

    def __str__(self) -> str:
        return f"[{self.rank} ints ≥ 1] or [{self.rank + 2} ints ≥ 1]"


class MaxUnpool(Layer):
    """Base of MaxUnpool1d/2d/3d: the inverse of max pooling, maxima put back at their indices, zeros elsewhere.

    torch.nn.functional._unpool_output_size: each spatial size becomes (n - 1)·s + k - 2p,
    or output_size, which must lie strictly between that minus and plus the stride; the
    indices must have the input's shape (max_unpool2d/3d's checks; 1-D runs as 2-D, so takes
    rank 2 or 3).
    """

    rank = 2
    min_inputs = max_inputs = 2

    @staticmethod
    def index_inputs(cfg, ranks) -> dict:
        return {1: None}  # positions in each output plane

    @classmethod
    def output_shape(cls, cfg, ins):
        # n -> (n - 1)*s + k - 2p per spatial axis, or output_size with default - s < output_size < default + s
        x, indices = ins
        require_rank(x, cls.rank + 1, cls.rank + 2)
        if len(indices) != len(x) or any(same_dim(a, b) is None for a, b in zip(x, indices)):
            raise ShapeError(f"needs indices shaped as the input {format_shape(x)}, receives {format_shape(indices)}")
        strides = cfg.strides or cfg.pool_size
        spatial = x[-cls.rank :]
        out = []
        for i, (n, k, s, p) in enumerate(zip(spatial, cfg.pool_size, strides, cfg.padding)):
            default = (n - 1) * s + k - 2 * p
            if cfg.output_size is None:
                out.append(require_positive(default, f"kernel {k} with stride {s} and padding {p}"))
                continue
            size = cfg.output_size[i]
            why = (
                f"has output_size {list(cfg.output_size)}: axis {i} must lie strictly between "
                f"{format_dim(default - s)} and {format_dim(default + s)}, "
                f"the unpooled size {format_dim(default)} ∓ stride"
            )
            require_at_least(size - (default - s), 1, why)
            require_at_least(default + s - size, 1, why)
            out.append(size)
        return [(*x[: -cls.rank], *out)]


class LPPool(Layer):
    """Base of LPPool1d/2d/3d: (sum of x^p over each window)^(1/p), PyTorch's lp_pool{1,2,3}d.

    The windows are average pooling's without padding (max pooling's for p = ±inf), so the
    sizes follow it, ceil_mode included (3-D: the window must fit the input).
    """

    rank = 2

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.norm_type == 0:
            raise SpecError("norm_type cannot be 0: the pooling takes the (1/norm_type)-th power")

    @classmethod
    def output_shape(cls, cfg, ins):
        # the window pooling's: floor((n - k)/s) + 1 (ceil with ceil_mode), no padding, no dilation
        window = SimpleNamespace(**vars(cfg), padding="valid", dilation=(1,) * cls.rank, data_format="channels_first")
        return [_window_shape(cls.rank, "max" if math.isinf(cfg.norm_type) else "avg", window, ins[0])]


def _unpool_args(rank: int) -> dict:
    """The arguments of a rank-`rank` MaxUnpool: the pooling it undoes."""
    return {
        "pool_size": Arg(Ints(rank, 1), aliases=("kernel_size", "kernel"), doc="the pooling's window"),
        "strides": Arg(Ints(rank, 1), None, aliases=("stride",), doc="the pooling's step (default: the window)"),
        "padding": Arg(Ints(rank, 0), 0, doc="the pooling's padding"),
        "output_size": Arg(OutputSizeOf(rank), None, doc="the output's spatial size (default: unpooled)"),
    }


def _lp_args(rank: int) -> dict:
    """The arguments of a rank-`rank` power-average pooling."""
    return {
        "norm_type": Arg(Float(), doc="p of the p-norm (inf: max pooling of |x|)"),
        "pool_size": Arg(Ints(rank, 1), aliases=("kernel_size", "kernel"), doc="window size"),
        "strides": Arg(Ints(rank, 1), None, aliases=("stride",), doc="step (default: the window)"),
        "ceil_mode": Arg(Bool(), False, doc="round the output length up"),
    }


@register("MaxUnpool1d", prefix="unpool")
class MaxUnpool1d(MaxUnpool):
    """1-D max unpooling of [input, indices], the outputs of a MaxPool1d with return_indices (PyTorch MaxUnpool1d)."""

    rank = 1
    args = _unpool_args(1)


@register("LPPool1d", prefix="pool")
class LPPool1d(LPPool):
    """1-D power-average pooling (PyTorch LPPool1d)."""

    rank = 1
    args = _lp_args(1)


@register("MaxUnpool2d", prefix="unpool")
class MaxUnpool2d(MaxUnpool):
    """2-D max unpooling of [input, indices], the outputs of a MaxPool2d with return_indices (PyTorch MaxUnpool2d)."""

    rank = 2
    args = _unpool_args(2)


@register("LPPool2d", prefix="pool")
class LPPool2d(LPPool):
    """2-D power-average pooling (PyTorch LPPool2d)."""

    rank = 2
    args = _lp_args(2)


@register("MaxUnpool3d", prefix="unpool")
class MaxUnpool3d(MaxUnpool):
    """3-D max unpooling of [input, indices], the outputs of a MaxPool3d with return_indices (PyTorch MaxUnpool3d)."""

    rank = 3
    args = _unpool_args(3)


@register("LPPool3d", prefix="pool")
class LPPool3d(LPPool):
    """3-D power-average pooling (PyTorch LPPool3d)."""

    rank = 3
    args = _lp_args(3)
