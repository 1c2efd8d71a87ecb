"""Pooling: Max/AvgPool 1d/2d/3d, AdaptiveAvg/MaxPool 1d/2d/3d, GlobalAverage/MaxPooling 1D/2D/3D.

Pooling has no parameters and counts no MACs. PyTorch pads with integers
(at most half the effective window) and may round up (ceil_mode); Keras pads
'valid' or 'same' (TensorFlow semantics).
"""

from __future__ import annotations

from ..args import Bool, Choice, Ints, Padding, show
from ..dims import format_dim, format_shape
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, PerConvention, register
from ..shape_math import (
    ceil_pool_length,
    join_channels,
    map_spatial,
    require_at_least,
    require_positive,
    split_channels,
    window_length,
    window_padding,
)

_FORMAT = Arg(
    Choice(("channels_first", "channels_last")),
    PerConvention(torch="channels_first", keras="channels_last"),
    doc="where the channel axis is (default: the convention's)",
)


class Pool(Layer):
    """Base of the window poolings; `rank` is the number of spatial axes, `kind` max or avg."""

    rank = 2
    kind = "max"

    @classmethod
    def check_args(cls, cfg) -> None:
        if cfg.convention == "keras":
            if cfg.ceil_mode or any(d > 1 for d in cfg.dilation):
                raise SpecError("Keras pooling has no ceil_mode or dilation")
            return
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
        (x,) = ins
        batch, channels, spatial = split_channels(cfg, x, cls.rank)
        strides = cfg.strides or cfg.pool_size
        pads = window_padding(cfg.padding, spatial, cfg.pool_size, strides, cfg.dilation)
        # PyTorch's avg_pool3d checks the unpadded input against the window; Keras (torch backend)
        # hands it a symmetric 'same' padding as such (an uneven one it applies first)
        unpadded = cfg.convention == "torch" or all(lo == hi for lo, hi in pads)
        out = []
        for n, k, s, d, (lo, hi) in zip(spatial, cfg.pool_size, strides, cfg.dilation, pads):
            if cls.kind == "avg" and cls.rank == 3 and unpadded:
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


def _pairs(padding, rank: int):
    return ((0, 0),) * rank if padding == "valid" else padding


class AdaptivePool(Layer):
    """Base of the adaptive poolings: the spatial size becomes output_size."""

    rank = 2
    kind = "max"

    @classmethod
    def output_shape(cls, cfg, ins):
        # spatial -> output_size (None keeps the input size)
        x = ins[0]
        if _mean_shortcut(cls, cfg, x):
            # PyTorch averages to 1x(1x)1 by a mean over the last axes, whatever comes before them
            return (*x[: -cls.rank], *cfg.output_size)
        return map_spatial(
            cfg,
            ins[0],
            cls.rank,
            lambda spatial: [n if size is None else size for n, size in zip(spatial, cfg.output_size)],
        )


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
            return join_channels(cfg, batch, channels, [1] * len(spatial))
        return (*batch, channels)


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
    args = {
        "pool_size": Arg(Ints(rank, 1), aliases=("kernel_size", "kernel"), doc="window size per spatial axis"),
        "strides": Arg(Ints(rank, 1), None, aliases=("stride",), doc="step per spatial axis (default: the window)"),
        "padding": Arg(Padding(rank), "valid", doc="'valid', 'same' (Keras) or integers per axis (PyTorch)"),
        "dilation": Arg(Ints(rank, 1), 1, doc="spacing of the window taps (PyTorch max pooling)"),
        "ceil_mode": Arg(Bool(), False, doc="round the output length up (PyTorch)"),
        "data_format": _FORMAT,
    }
    if kind == "avg":
        args["count_include_pad"] = Arg(Bool(), True, doc="count padding in the average (no shape effect)")
    return args


for _rank in (1, 2, 3):
    for _kind, _torch, _keras in (("max", "MaxPool", "MaxPooling"), ("avg", "AvgPool", "AveragePooling")):
        register(f"{_torch}{_rank}d", f"{_keras}{_rank}D", prefix="pool")(
            type(
                f"{_torch}{_rank}d",
                (Pool,),
                {
                    "rank": _rank,
                    "kind": _kind,
                    "args": _pool_args(_rank, _kind),
                    "__doc__": f"{_rank}-D {_kind} pooling (PyTorch {_torch}{_rank}d, Keras {_keras}{_rank}D).",
                },
            )
        )
        register(f"Adaptive{_torch}{_rank}d", prefix="pool")(
            type(
                f"Adaptive{_torch}{_rank}d",
                (AdaptivePool,),
                {
                    "rank": _rank,
                    "kind": _kind,
                    "args": {
                        "output_size": Arg(OutputSize(_rank), doc="spatial size of the output"),
                        "data_format": _FORMAT,
                    },
                    "__doc__": f"{_rank}-D adaptive {_kind} pooling to a fixed output size "
                    f"(PyTorch Adaptive{_torch}{_rank}d).",
                },
            )
        )
    for _kind, _keras, _torch in (
        ("average", "GlobalAveragePooling", "GlobalAvgPool"),
        ("max", "GlobalMaxPooling", "GlobalMaxPool"),
    ):
        register(f"{_keras}{_rank}D", f"{_torch}{_rank}d", prefix="pool")(
            type(
                f"{_keras}{_rank}D",
                (GlobalPool,),
                {
                    "rank": _rank,
                    "args": {
                        "keepdims": Arg(Bool(), False, doc="keep the spatial axes with size 1"),
                        "data_format": _FORMAT,
                    },
                    "__doc__": f"{_rank}-D global {_kind} pooling over every spatial axis (Keras {_keras}{_rank}D).",
                },
            )
        )
