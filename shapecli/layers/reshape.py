"""Layers that only move, add or remove elements: Reshape, Permute, Transpose, Squeeze,
Unsqueeze, Upsample / UpSampling / UpsamplingNearest2d / UpsamplingBilinear2d, padding (PyTorch and
Keras styles, CircularPad), Cropping, Slice, Select, RepeatVector.

None has parameters or counts MACs.
"""

from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

from ..args import LARGEST, BeforeAfter, Bool, Choice, Float, Int, Ints, Padding, show
from ..dims import UNKNOWN, dim_max, dim_min, equal, format_dim, format_shape, is_known, product
from ..conditions import said
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, PerConvention, register
from ..shape_math import (
    divide_exactly,
    join_channels,
    map_spatial,
    normalize_axis,
    require_at_least,
    require_positive,
    require_rank,
    same_dim,
    split_channels,
)

_FORMAT = Arg(
    Choice(("channels_first", "channels_last")),
    PerConvention(torch="channels_first", keras="channels_last"),
    doc="where the channel axis is (default: the convention's)",
)


class TargetShape:
    """A list of sizes ≥ 1 with at most one -1 (inferred)."""

    def __call__(self, value):
        valid = isinstance(value, list) and value and all(type(v) is int and (v >= 1 or v == -1) for v in value)
        if valid and value.count(-1) <= 1:
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "[sizes ≥ 1, at most one -1]"


@register("Reshape", "View", prefix="reshape")
class Reshape(Layer):
    """Reshapes each sample; the batch axis is kept (Keras Reshape; PyTorch x.view(x.size(0), *shape))."""

    args = {"shape": Arg(TargetShape(), aliases=("target_shape",), doc="the new shape after the batch axis")}

    @staticmethod
    def output_shape(cfg, ins):
        # (N, *s) -> (N, *shape), the -1 taking prod(s) / prod(known sizes)
        (x,) = ins
        require_rank(x, 1)
        elements = product(x[1:])

        def what() -> str:  # written only when an error is reported
            return (
                f"cannot reshape {format_shape(x)} ({format_dim(elements)} elements per sample) into {list(cfg.shape)}"
            )

        return [(x[0], *_fill(elements, cfg.shape, what))]


@register("Unflatten", prefix="unflatten")
class Unflatten(Layer):
    """Splits one axis into several (PyTorch Unflatten); one size may be -1."""

    args = {
        "dim": Arg(Int(), aliases=("axis",), doc="the axis to split"),
        "unflattened_size": Arg(TargetShape(), aliases=("sizes",), doc="the sizes it splits into"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (.., n, ..) -> (.., *sizes, ..) with prod(sizes) == n
        (x,) = ins
        axis = normalize_axis(cfg.dim, len(x))

        def what() -> str:  # written only when an error is reported
            return f"cannot split axis {cfg.dim} of {format_shape(x)} into {list(cfg.unflattened_size)}"

        return [(*x[:axis], *_fill(x[axis], cfg.unflattened_size, what), *x[axis + 1 :])]


def _fill(total, sizes: tuple, what) -> tuple:
    """`sizes` with its -1 (if any) replaced so that their product is `total`; `what` words the error
    (a text, or a function that writes it)."""
    known = product(d for d in sizes if d != -1)
    if -1 in sizes:
        missing = divide_exactly(total, known, what)
        return tuple(missing if d == -1 else d for d in sizes)
    if same_dim(total, known) is None:
        raise ShapeError(said(what))
    return tuple(sizes)


@register("Permute", prefix="permute")
class Permute(Layer):
    """Reorders the axes. Keras counts `dims` from 1 and leaves the batch axis alone;
    PyTorch and MXNet (torchvision's Permute) give a full permutation from 0."""

    args = {"dims": Arg(Ints(None, 0), doc="the new order of the axes")}

    @staticmethod
    def output_shape(cfg, ins):
        # y[i] = x[dims[i]]
        (x,) = ins
        if cfg.convention == "keras":
            require_rank(x, 1)
        dims = [d for d in cfg.dims]
        axes = list(range(1, len(x))) if cfg.convention == "keras" else list(range(len(x)))
        if sorted(dims) != axes:
            raise ShapeError(
                f"needs dims to be a permutation of {axes} for an input {format_shape(x)}, receives {dims}"
            )
        return [(x[0], *(x[d] for d in dims)) if cfg.convention == "keras" else tuple(x[d] for d in dims)]


@register("Transpose", prefix="transpose")
class Transpose(Layer):
    """Swaps two axes (PyTorch x.transpose(dim0, dim1))."""

    args = {
        "dim0": Arg(Int(), aliases=("axis0",), doc="one axis"),
        "dim1": Arg(Int(), aliases=("axis1",), doc="the other axis"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # swap x[dim0] and x[dim1]
        (x,) = ins
        a, b = normalize_axis(cfg.dim0, len(x)), normalize_axis(cfg.dim1, len(x))
        y = list(x)
        y[a], y[b] = y[b], y[a]
        return [tuple(y)]


@register("Squeeze", prefix="squeeze")
class Squeeze(Layer):
    """Removes size-1 axes: `axis`, or every size-1 axis. PyTorch leaves an axis of
    another size alone; Keras refuses it."""

    args = {"axis": Arg(Int(), None, aliases=("dim",), doc="the axis to remove (default: every size-1 axis)")}

    @staticmethod
    def output_shape(cfg, ins):
        # drop axes of size 1
        (x,) = ins
        if cfg.axis is None:
            return [tuple(d for d in x if equal(d, 1) is not True)]
        axis = normalize_axis(cfg.axis, max(len(x), 1))
        if not x:
            return [x]
        if equal(x[axis], 1) is True:
            return [x[:axis] + x[axis + 1 :]]
        if cfg.convention == "keras" and equal(x[axis], 1) is False:
            raise ShapeError(
                f"squeezes axis {cfg.axis} of {format_shape(x)}, which has size {format_dim(x[axis])}, not 1"
            )
        return [x]


@register("Unsqueeze", "ExpandDims", prefix="unsqueeze")
class Unsqueeze(Layer):
    """Inserts a size-1 axis at `axis` of the output (PyTorch unsqueeze)."""

    args = {"axis": Arg(Int(), aliases=("dim",), doc="position of the new axis in the output")}

    @staticmethod
    def output_shape(cfg, ins):
        # (.., ..) -> (.., 1, ..)
        (x,) = ins
        axis = normalize_axis(cfg.axis, len(x) + 1)
        return [(*x[:axis], 1, *x[axis:])]


class OutputSizes:
    """An integer ≥ 1 (every spatial axis) or a list of them, one per spatial axis."""

    def __call__(self, value):
        if type(value) is int and value >= 1:
            return value
        if isinstance(value, list) and value and all(type(v) is int and v >= 1 for v in value):
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "int ≥ 1 or a list of them"


def _is_factor(value) -> bool:
    """A positive number PyTorch can take as a double: a finite float, or an int up to 2^63 - 1."""
    if type(value) is float:
        return 0 < value < math.inf
    return type(value) is int and 0 < value <= LARGEST


class ScaleFactor:
    """A positive number or a list of positive numbers, one per spatial axis."""

    def __call__(self, value):
        if _is_factor(value):
            return value
        if isinstance(value, list) and value and all(_is_factor(v) for v in value):
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "number > 0 (at most 2^63 - 1) or a list of them"


@register("Upsample", prefix="upsample")
class Upsample(Layer):
    """Resizes the spatial axes to `size`, or multiplies them by `scale_factor` (PyTorch Upsample)."""

    args = {
        "size": Arg(OutputSizes(), None, doc="the output spatial size"),
        "scale_factor": Arg(ScaleFactor(), None, doc="multiplier of the spatial size (floor of the product)"),
        "mode": Arg(
            Choice(("nearest", "linear", "bilinear", "bicubic", "trilinear", "nearest-exact", "area")),
            "nearest",
            doc="interpolation (no shape effect)",
        ),
        "align_corners": Arg(Bool(), None, doc="linear modes only (no shape effect)"),
        "data_format": _FORMAT,
        "recompute_scale_factor": Arg(
            Bool(), None, doc="PyTorch: interpolate by output/input size, not scale_factor (no shape effect)"
        ),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if (cfg.size is None) == (cfg.scale_factor is None):
            raise SpecError("Upsample needs exactly one of size and scale_factor")
        if cfg.recompute_scale_factor and cfg.size is not None:
            raise SpecError("recompute_scale_factor is not meaningful with an explicit size", hint="remove it")
        if cfg.align_corners is not None and cfg.mode in ("nearest", "area", "nearest-exact"):
            raise SpecError(
                f"align_corners can only be set with the modes linear, bilinear, bicubic and trilinear, not {cfg.mode}",
                hint="remove align_corners",
            )

    @staticmethod
    def output_shape(cfg, ins):
        # n -> size, or floor(double(n) * double(scale_factor)) (PyTorch's compute_output_size)
        (x,) = ins
        require_rank(x, 3, 5)
        rank = len(x) - 2
        needs = _MODE_RANKS.get(cfg.mode)
        if needs is not None and rank != needs:
            raise ShapeError(
                f"with mode {cfg.mode} needs a rank-{needs + 2} input (N, C and {needs} spatial axes), "
                f"receives {format_shape(x)}"
            )
        batch, channels, spatial = split_channels(cfg, x, rank)
        given = cfg.size if cfg.size is not None else cfg.scale_factor
        per_axis = given if isinstance(given, tuple) else (given,) * rank
        if len(per_axis) != rank:
            raise ShapeError(f"gives {len(per_axis)} sizes for the {rank} spatial axes of {format_shape(x)}")
        if cfg.size is not None:
            return [join_channels(cfg, batch, channels, list(per_axis))]
        return [
            join_channels(
                cfg,
                batch,
                channels,
                [require_positive(_scaled(n, f), f"scale_factor {f}") for n, f in zip(spatial, per_axis)],
            )
        ]


_MODE_RANKS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
"""Spatial axes of the interpolating modes; nearest, nearest-exact and area take 1 to 3."""

EXACT_BITS = 22
"""A factor whose binary mantissa has at most this many bits multiplies any size below 2^31 exactly."""


def _scaled(n, factor):
    """PyTorch's floor(double(n) * double(factor)).

    A concrete size is multiplied as PyTorch does, in double precision (0.7 * 10 rounds
    to 7.0, although the double 0.7 is a little less than 7/10). For a symbolic size the
    product is exact, floor(n * factor) as a fraction, when the factor has a short binary
    expansion (2, 1.5, 0.25); otherwise the rounding depends on n in a way no formula of
    n follows, and the size is unknown.
    """
    if isinstance(n, int):
        return math.floor(float(n) * factor)
    ratio = Fraction(factor)
    if ratio.numerator.bit_length() > EXACT_BITS:
        return UNKNOWN
    return (n * ratio.numerator) // ratio.denominator


class UpSampling(Layer):
    """Base of Keras' UpSampling1D/2D/3D: each spatial axis repeated `size` times."""

    rank = 2

    @classmethod
    def output_shape(cls, cfg, ins):
        # n -> n * size per spatial axis
        return [map_spatial(cfg, ins[0], cls.rank, lambda spatial: [n * f for n, f in zip(spatial, cfg.size)])]


class TorchPad(Layer):
    """Base of PyTorch's ZeroPad/ConstantPad/ReflectionPad/ReplicationPad{1,2,3}d.

    `padding` lists (before, after) pairs from the last axis backwards:
    (left, right, top, bottom, front, back).
    """

    rank = 2
    reflect = False
    constant = True
    circular = False

    @classmethod
    def output_shape(cls, cfg, ins):
        # last axes: n -> n + before + after (a negative amount crops)
        (x,) = ins
        if cls.constant:  # any rank that has the padded axes
            require_rank(x, cls.rank)
        else:
            require_rank(x, cls.rank + 1, cls.rank + 2)
        padding = cfg.padding if len(cfg.padding) > 1 else cfg.padding * (2 * cls.rank)
        if len(padding) != 2 * cls.rank:
            raise ShapeError(f"needs 1 or {2 * cls.rank} padding amounts, receives {len(padding)}")
        y = list(x)
        for i in range(cls.rank):
            before, after = padding[2 * i], padding[2 * i + 1]
            axis = len(x) - 1 - i
            if cls.constant and min(before, 0) + min(after, 0) < 0:
                # PyTorch crops first (narrow), then pads: the cropping alone must fit
                require_at_least(
                    x[axis] + min(before, 0) + min(after, 0),
                    0,
                    f"crops {-min(before, 0) - min(after, 0)} of an axis of size {format_dim(x[axis])} "
                    f"(padding {before}/{after})",
                )
            if cls.reflect:
                require_at_least(
                    x[axis],
                    max(before, after) + 1,
                    f"reflects padding {before}/{after} on an axis of size {format_dim(x[axis])}, which must be larger",
                )
            if cls.circular:  # PyTorch wraps around at most once: each amount at most the size
                require_at_least(
                    x[axis],
                    max(before, after),
                    f"wraps padding {before}/{after} around an axis of size {format_dim(x[axis])} more than once",
                )
            y[axis] = require_positive(x[axis] + before + after, "the padding")
        return [tuple(y)]


class KerasPad(Layer):
    """Base of Keras' ZeroPadding1D/2D/3D: (before, after) padding per spatial axis."""

    rank = 2

    @classmethod
    def output_shape(cls, cfg, ins):
        # n -> n + before + after per spatial axis
        return [
            map_spatial(
                cfg, ins[0], cls.rank, lambda spatial: [n + lo + hi for n, (lo, hi) in zip(spatial, cfg.padding)]
            )
        ]


class Cropping(Layer):
    """Base of Keras' Cropping1D/2D/3D: (before, after) cropped per spatial axis."""

    rank = 2

    @classmethod
    def output_shape(cls, cfg, ins):
        # n -> n - before - after per spatial axis
        return [
            map_spatial(
                cfg,
                ins[0],
                cls.rank,
                lambda spatial: [
                    require_positive(n - lo - hi, f"cropping {lo}+{hi}") for n, (lo, hi) in zip(spatial, cfg.cropping)
                ],
            )
        ]


def _sides(rank: int):
    """Keras' padding and cropping amounts: 1-D takes [before, after], more axes one entry per axis."""
    return BeforeAfter() if rank == 1 else Padding(rank, ())


def _torch_pad_args(with_value: bool = False) -> dict:
    """The arguments of PyTorch's padding layers (a fill value for the constant ones)."""
    args = {"padding": Arg(Ints(None), doc="an int, or (left, right, top, bottom, front, back); negative crops")}
    if with_value:
        args["value"] = Arg(Float(), 0.0, doc="the fill value (no shape effect)")
    return args


def _keras_sides_args(name: str, rank: int) -> dict:
    """The arguments of Keras' rank-`rank` padding or cropping layers: the amounts as `name`."""
    return {
        name: Arg(_sides(rank), 1, doc="an int, one per axis, or [before, after] per axis"),
        "data_format": _FORMAT,
    }


@register("UpSampling1D", prefix="upsampling")
class UpSampling1D(UpSampling):
    """Repeats each of the 1 spatial axes `size` times (Keras UpSampling1D)."""

    rank = 1
    args = {"size": Arg(Ints(1, 1), 2, doc="repeat count per spatial axis"), "data_format": _FORMAT}


@register("ZeroPad1d", prefix="pad")
class ZeroPad1d(TorchPad):
    """Pads the last 1 axes (PyTorch ZeroPad1d)."""

    rank, reflect, constant = 1, False, True
    args = _torch_pad_args()


@register("ConstantPad1d", prefix="pad")
class ConstantPad1d(TorchPad):
    """Pads the last 1 axes (PyTorch ConstantPad1d)."""

    rank, reflect, constant = 1, False, True
    args = _torch_pad_args(with_value=True)


@register("ReflectionPad1d", prefix="pad")
class ReflectionPad1d(TorchPad):
    """Pads the last 1 axes (PyTorch ReflectionPad1d)."""

    rank, reflect, constant = 1, True, False
    args = _torch_pad_args()


@register("ReplicationPad1d", prefix="pad")
class ReplicationPad1d(TorchPad):
    """Pads the last 1 axes (PyTorch ReplicationPad1d)."""

    rank, reflect, constant = 1, False, False
    args = _torch_pad_args()


@register("ZeroPadding1D", prefix="zero_padding")
class ZeroPadding1D(KerasPad):
    """Pads the 1 spatial axes with zeros (Keras ZeroPadding1D)."""

    rank = 1
    args = _keras_sides_args("padding", 1)


@register("Cropping1D", prefix="cropping")
class Cropping1D(Cropping):
    """Crops the 1 spatial axes (Keras Cropping1D)."""

    rank = 1
    args = _keras_sides_args("cropping", 1)


@register("UpSampling2D", prefix="upsampling")
class UpSampling2D(UpSampling):
    """Repeats each of the 2 spatial axes `size` times (Keras UpSampling2D)."""

    rank = 2
    args = {"size": Arg(Ints(2, 1), 2, doc="repeat count per spatial axis"), "data_format": _FORMAT}


@register("ZeroPad2d", prefix="pad")
class ZeroPad2d(TorchPad):
    """Pads the last 2 axes (PyTorch ZeroPad2d)."""

    rank, reflect, constant = 2, False, True
    args = _torch_pad_args()


@register("ConstantPad2d", prefix="pad")
class ConstantPad2d(TorchPad):
    """Pads the last 2 axes (PyTorch ConstantPad2d)."""

    rank, reflect, constant = 2, False, True
    args = _torch_pad_args(with_value=True)


@register("ReflectionPad2d", prefix="pad")
class ReflectionPad2d(TorchPad):
    """Pads the last 2 axes (PyTorch ReflectionPad2d)."""

    rank, reflect, constant = 2, True, False
    args = _torch_pad_args()


@register("ReplicationPad2d", prefix="pad")
class ReplicationPad2d(TorchPad):
    """Pads the last 2 axes (PyTorch ReplicationPad2d)."""

    rank, reflect, constant = 2, False, False
    args = _torch_pad_args()


@register("ZeroPadding2D", prefix="zero_padding")
class ZeroPadding2D(KerasPad):
    """Pads the 2 spatial axes with zeros (Keras ZeroPadding2D)."""

    rank = 2
    args = _keras_sides_args("padding", 2)


@register("Cropping2D", prefix="cropping")
class Cropping2D(Cropping):
    """Crops the 2 spatial axes (Keras Cropping2D)."""

    rank = 2
    args = _keras_sides_args("cropping", 2)


@register("UpSampling3D", prefix="upsampling")
class UpSampling3D(UpSampling):
    """Repeats each of the 3 spatial axes `size` times (Keras UpSampling3D)."""

    rank = 3
    args = {"size": Arg(Ints(3, 1), 2, doc="repeat count per spatial axis"), "data_format": _FORMAT}


@register("ZeroPad3d", prefix="pad")
class ZeroPad3d(TorchPad):
    """Pads the last 3 axes (PyTorch ZeroPad3d)."""

    rank, reflect, constant = 3, False, True
    args = _torch_pad_args()


@register("ConstantPad3d", prefix="pad")
class ConstantPad3d(TorchPad):
    """Pads the last 3 axes (PyTorch ConstantPad3d)."""

    rank, reflect, constant = 3, False, True
    args = _torch_pad_args(with_value=True)


@register("ReflectionPad3d", prefix="pad")
class ReflectionPad3d(TorchPad):
    """Pads the last 3 axes (PyTorch ReflectionPad3d)."""

    rank, reflect, constant = 3, True, False
    args = _torch_pad_args()


@register("ReplicationPad3d", prefix="pad")
class ReplicationPad3d(TorchPad):
    """Pads the last 3 axes (PyTorch ReplicationPad3d)."""

    rank, reflect, constant = 3, False, False
    args = _torch_pad_args()


@register("ZeroPadding3D", prefix="zero_padding")
class ZeroPadding3D(KerasPad):
    """Pads the 3 spatial axes with zeros (Keras ZeroPadding3D)."""

    rank = 3
    args = _keras_sides_args("padding", 3)


@register("Cropping3D", prefix="cropping")
class Cropping3D(Cropping):
    """Crops the 3 spatial axes (Keras Cropping3D)."""

    rank = 3
    args = _keras_sides_args("cropping", 3)


@register("Slice", prefix="slice")
class Slice(Layer):
    """Keeps x[start:stop:step] along `axis` (Python slice rules)."""

    args = {
        "axis": Arg(Int(), aliases=("dim",), doc="the sliced axis"),
        "start": Arg(Int(), 0, doc="first index (negative counts from the end)"),
        "stop": Arg(Int(), None, aliases=("end",), doc="index after the last (default: the end)"),
        "step": Arg(Int(1), 1, doc="step"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # len(range(*slice(start, stop, step).indices(n))), which must not be 0
        (x,) = ins
        axis = normalize_axis(cfg.axis, len(x))
        n = x[axis]
        if isinstance(n, int):
            length = len(range(*slice(cfg.start, cfg.stop, cfg.step).indices(n)))
        elif not is_known(n):
            length = UNKNOWN
        else:
            start, stop = _clamped(n, cfg.start), n if cfg.stop is None else _clamped(n, cfg.stop)
            length = dim_max(0, (stop - start + cfg.step - 1) // cfg.step)
        stop = "" if cfg.stop is None else cfg.stop
        why = f"keeps nothing of axis {cfg.axis} of {format_shape(x)}: [{cfg.start}:{stop}:{cfg.step}] is empty"
        if isinstance(length, int) and length == 0:
            raise ShapeError(why, hint="an empty axis breaks the layers after it; check start and stop")
        require_at_least(length, 1, why)
        return [(*x[:axis], length, *x[axis + 1 :])]


def _clamped(n, index: int):
    """A slice bound as Python clamps it for a positive step: from the end if negative, within [0, n]."""
    return dim_max(0, n + index) if index < 0 else dim_min(n, index)


@register("Select", prefix="select")
class Select(Layer):
    """Takes index `index` of `axis`, removing that axis (PyTorch x.select(axis, index), x[:, 0])."""

    args = {
        "axis": Arg(Int(), aliases=("dim",), doc="the axis indexed"),
        "index": Arg(Int(), doc="the index (negative counts from the end)"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # (.., n, ..) -> (.., ..), -n <= index < n
        (x,) = ins
        axis = normalize_axis(cfg.axis, len(x))
        need = cfg.index + 1 if cfg.index >= 0 else -cfg.index
        require_at_least(
            x[axis], need, f"selects index {cfg.index} of axis {cfg.axis}, which has size {format_dim(x[axis])}"
        )
        return [x[:axis] + x[axis + 1 :]]


@register("CircularPad1d", prefix="pad")
class CircularPad1d(TorchPad):
    """Pads the last 1 axes by wrapping around (PyTorch CircularPad1d)."""

    rank, constant, circular = 1, False, True
    args = _torch_pad_args()


@register("CircularPad2d", prefix="pad")
class CircularPad2d(TorchPad):
    """Pads the last 2 axes by wrapping around (PyTorch CircularPad2d)."""

    rank, constant, circular = 2, False, True
    args = _torch_pad_args()


@register("CircularPad3d", prefix="pad")
class CircularPad3d(TorchPad):
    """Pads the last 3 axes by wrapping around (PyTorch CircularPad3d)."""

    rank, constant, circular = 3, False, True
    args = _torch_pad_args()


class FixedUpsample(Layer):
    """Base of PyTorch's UpsamplingNearest2d and UpsamplingBilinear2d: Upsample with a fixed mode."""

    mode = "nearest"
    align_corners = None
    args = {
        "size": Upsample.args["size"],
        "scale_factor": Upsample.args["scale_factor"],
    }

    @staticmethod
    def check_args(cfg) -> None:
        if (cfg.size is None) == (cfg.scale_factor is None):
            raise SpecError("needs exactly one of size and scale_factor")

    @classmethod
    def output_shape(cls, cfg, ins):
        # Upsample's, with the class's mode: nearest takes rank 3 to 5, bilinear rank 4
        fixed = SimpleNamespace(
            **vars(cfg),
            mode=cls.mode,
            align_corners=cls.align_corners,
            data_format="channels_first",
            recompute_scale_factor=None,
        )
        return Upsample.output_shape(fixed, ins)


@register("UpsamplingNearest2d", prefix="upsample")
class UpsamplingNearest2d(FixedUpsample):
    """Upsample with mode 'nearest' (PyTorch UpsamplingNearest2d)."""


@register("UpsamplingBilinear2d", prefix="upsample")
class UpsamplingBilinear2d(FixedUpsample):
    """Upsample with mode 'bilinear' and align_corners=True, on (N, C, H, W) (PyTorch UpsamplingBilinear2d)."""

    mode = "bilinear"
    align_corners = True


@register("RepeatVector", prefix="repeat_vector")
class RepeatVector(Layer):
    """Repeats each sample's vector n times: (N, F) → (N, n, F) (Keras RepeatVector)."""

    args = {"n": Arg(Int(1), doc="number of repetitions")}

    @staticmethod
    def output_shape(cfg, ins):
        # (N, F) -> (N, n, F)
        (x,) = ins
        require_rank(x, 2, 2)
        return [(x[0], cfg.n, x[1])]
