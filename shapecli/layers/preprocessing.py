"""Keras' preprocessing layers that belong to a model: Rescaling, Normalization, Resizing, CenterCrop.

Formulas from Keras 3.15 (keras/src/layers/preprocessing/): Rescaling and
Normalization keep the shape; Resizing and CenterCrop give every image
(height, width), CenterCrop by cropping the centre of a larger image and by
Keras' smart_resize (crop to the aspect ratio, then resize) of a smaller one.
Normalization holds its statistics as non-trainable weights `mean`, `variance`
(the sizes of the kept axes) and `count` (a scalar), unless `mean` and
`variance` are given as values. None counts MACs.
"""

from __future__ import annotations

import math

from ..args import LARGEST, Bool, Choice, Float, Int, show
from ..dims import AnyShape, format_dim, format_shape
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, Param, PerConvention, register
from ..shape_math import require_rank, same_dim

_FORMAT = Arg(
    Choice(("channels_first", "channels_last")),
    PerConvention(torch="channels_first", keras="channels_last"),
    doc="where the channel axis is (default: the convention's)",
)


@register("Rescaling", prefix="rescaling")
class Rescaling(Layer):
    """y = x * scale + offset, elementwise; the shape is unchanged (Keras Rescaling)."""

    args = {
        "scale": Arg(Float(), doc="the factor"),
        "offset": Arg(Float(), 0.0, doc="added after scaling"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        return [ins[0]]


class Axes:
    """An axis, a list of axes, or null (no axis: one statistic for the whole input); a tuple."""

    def __call__(self, value):
        if value is None:
            return ()
        if type(value) is int:
            return (value,)
        if isinstance(value, list) and all(type(v) is int for v in value):
            return tuple(value)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        return "int, [ints] or null"


class Values:
    """A number or a (nested, rectangular) list of numbers: an array given in the spec."""

    def __call__(self, value):
        shape = _array_shape(value)
        if shape is None:
            raise SpecError(f"expected {self}, received {show(value)}")
        return Array(shape, tuple(_flat(value)))

    def __str__(self) -> str:
        return "a number or a nested list of numbers"


class Array:
    """An array written in the spec: its shape and its values in row-major order."""

    __slots__ = ("shape", "values")

    def __init__(self, shape: tuple, values: tuple):
        self.shape, self.values = shape, values

    def __eq__(self, other) -> bool:
        return isinstance(other, Array) and (self.shape, self.values) == (other.shape, other.values)

    def __hash__(self) -> int:
        return hash((self.shape, self.values))

    def __repr__(self) -> str:
        return f"Array{self.shape}" if self.shape else repr(self.values[0])

    def tolist(self):
        """The values as the nested list (or the number) they were written as."""
        if not self.shape:
            return self.values[0]
        values = list(self.values)
        for size in reversed(self.shape[1:]):
            values = [values[i : i + size] for i in range(0, len(values), size)]
        return values


def _is_number(value) -> bool:
    """A finite float, or an int a double holds (at most 2^63 - 1 in size, as every number argument)."""
    if type(value) is int:
        return abs(value) <= LARGEST
    return type(value) is float and math.isfinite(value)


def _array_shape(value) -> tuple | None:
    """The shape of a number (()) or of a rectangular nested list of numbers, else None."""
    if _is_number(value):
        return ()
    if not isinstance(value, list) or not value:
        return None
    shapes = {_array_shape(v) for v in value}
    if len(shapes) != 1 or None in shapes:
        return None
    return (len(value), *shapes.pop())


def _flat(value) -> list:
    return [float(value)] if not isinstance(value, list) else [x for v in value for x in _flat(v)]


@register("Normalization", prefix="normalization")
class Normalization(Layer):
    """(x - mean) / max(√variance, 1e-7) with per-position statistics of the kept `axis` (Keras Normalization).

    Without `mean` and `variance` the statistics are non-trainable weights to be
    adapted: `mean` and `variance` of the kept axes' sizes and a scalar `count`;
    given as values, they broadcast from the right onto the kept axes and the
    layer has no weights. `invert` computes mean + x * √variance instead.
    """

    args = {
        "axis": Arg(Axes(), -1, doc="the axes that keep their own statistics (null: none)"),
        "mean": Arg(Values(), None, doc="the mean, given (with variance) instead of adapted"),
        "variance": Arg(Values(), None, doc="the variance, given (with mean) instead of adapted"),
        "invert": Arg(Bool(), False, doc="undo the normalization instead"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if (cfg.mean is None) != (cfg.variance is None):
            raise SpecError("Normalization needs both mean and variance, or neither (then they are adapted)")
        if cfg.mean is None:
            return
        if cfg.mean.shape != cfg.variance.shape:
            raise SpecError(
                f"mean and variance must have one shape, received {list(cfg.mean.shape)} and {list(cfg.variance.shape)}"
            )
        if len(cfg.mean.shape) > len(cfg.axis):
            raise SpecError(
                f"mean has {len(cfg.mean.shape)} axes, more than the {len(cfg.axis)} kept axes (axis: {list(cfg.axis)})"
            )

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x; the kept axes exist, and a given mean broadcasts onto them from the right
        (x,) = ins
        kept = _kept_axes(cfg, x)
        if cfg.mean is not None:
            for size, axis in zip(reversed(cfg.mean.shape), reversed(kept)):
                if size != 1 and same_dim(x[axis], size) is None:
                    raise ShapeError(
                        f"has a mean of shape {list(cfg.mean.shape)}, which does not broadcast onto axis {axis} "
                        f"of {format_shape(x)} ({format_dim(x[axis])})"
                    )
        return [x]

    @staticmethod
    def params(cfg, ins):
        if cfg.mean is not None:
            return []
        x = ins[0]
        shape = tuple(x[a] for a in _sorted_axes(cfg.axis, x))
        return [Param("mean", shape, False), Param("variance", shape, False), Param("count", (), False)]


def _sorted_axes(axes: tuple, x) -> tuple:
    """Keras' kept axes: counted from the front, sorted (a repeated axis stays repeated)."""
    if isinstance(x, AnyShape):  # before inference: as many axes, each of unknown size
        return axes
    return tuple(sorted(a % len(x) for a in axes))


def _kept_axes(cfg, x) -> tuple:
    for a in cfg.axis:
        if not -len(x) <= a < len(x):
            raise ShapeError(f"keeps axis {a}, out of range for {format_shape(x)} (rank {len(x)})")
    kept = _sorted_axes(cfg.axis, x)
    if len(set(kept)) < len(kept):  # Keras builds statistics of a repeated axis, then cannot broadcast them
        raise ShapeError(f"keeps an axis twice: axis {list(cfg.axis)} of a rank-{len(x)} input")
    return kept


def _image_axes(cfg, x) -> tuple[int, int]:
    """(height axis, width axis) of a rank-3 (one image) or rank-4 (a batch) input."""
    require_rank(x, 3, 4)
    first = len(x) - 3 if cfg.data_format == "channels_last" else len(x) - 2
    return first, first + 1


def _resized(cfg, ins):
    # (N, H, W, C) -> (N, height, width, C); (N, C, H, W) -> (N, C, height, width); also without N
    (x,) = ins
    h, w = _image_axes(cfg, x)
    y = list(x)
    y[h], y[w] = cfg.height, cfg.width
    return [tuple(y)]


@register("Resizing", prefix="resizing")
class Resizing(Layer):
    """Resizes images to (height, width) by interpolation (Keras Resizing); rank 3 (one image) or 4.

    `crop_to_aspect_ratio` crops (and `pad_to_aspect_ratio` pads) the image to the
    target's aspect ratio first; the output size is (height, width) either way.
    """

    args = {
        "height": Arg(Int(1), doc="output height"),
        "width": Arg(Int(1), doc="output width"),
        "interpolation": Arg(
            Choice(("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5")),
            "bilinear",
            doc="no shape effect (Keras' torch backend: bilinear, nearest, bicubic)",
        ),
        "crop_to_aspect_ratio": Arg(Bool(), False, doc="crop to the target's aspect ratio first"),
        "pad_to_aspect_ratio": Arg(Bool(), False, doc="pad to the target's aspect ratio first"),
        "fill_value": Arg(Float(), 0.0, doc="the padding's value"),
        "antialias": Arg(Bool(), False, doc="no shape effect"),
        "data_format": _FORMAT,
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.crop_to_aspect_ratio and cfg.pad_to_aspect_ratio:
            raise SpecError("Resizing takes crop_to_aspect_ratio or pad_to_aspect_ratio, not both")

    output_shape = staticmethod(_resized)


@register("CenterCrop", prefix="center_crop")
class CenterCrop(Layer):
    """Crops the centre (height, width) of each image (Keras CenterCrop); rank 3 (one image) or 4.

    An image smaller than the target on an axis is instead cropped to the target's
    aspect ratio and resized (Keras' smart_resize): the output is (height, width) either way.
    """

    args = {
        "height": Arg(Int(1), doc="output height"),
        "width": Arg(Int(1), doc="output width"),
        "data_format": _FORMAT,
    }

    output_shape = staticmethod(_resized)
