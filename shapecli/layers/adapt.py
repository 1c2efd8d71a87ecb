"""Layers that adapt a tensor's shape: padding (general, and up to a multiple), cropping,
rolling, shuffling, splitting, stacking, reducing, expanding and repeating, index selection.

Their semantics are PyTorch's functions (torch.nn.functional.pad, torch.roll, torch.split,
torch.chunk, torch.stack, Tensor.expand/repeat/tile, torch.index_select, nn.ChannelShuffle),
which Keras' ops follow where they have a counterpart. None has parameters or counts MACs.
Where a check depends on a symbolic size it is recorded as a condition (shape_math):
PadToMultiple's output `ceil(n/k)*k` is `floor((n + k - 1)/k)*k` in the dims algebra.
"""

from __future__ import annotations

from ..args import Bool, Choice, Float, Int, Ints, show
from ..dims import ceil_div, equal, format_dim, format_shape, is_known
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, register
from ..shape_math import normalize_axis, require_at_least, require_divisible, require_positive, require_rank, same_dim


def _axes(axes: tuple, rank: int, what: str = "axes") -> list[int]:
    """`axes` counted from the front, each in range and given once."""
    found = [normalize_axis(a, rank) for a in axes]
    if len(set(found)) != len(found):
        raise ShapeError(f"names an axis twice in {what} {list(axes)} for a rank-{rank} input")
    return found


def _per_axis(values: tuple, axes: tuple, name: str) -> tuple:
    """One value per axis: a single value is repeated, otherwise there must be one per axis."""
    if len(values) == 1:
        return values * len(axes)
    if len(values) != len(axes):
        raise SpecError(f"{name} gives {len(values)} values for {len(axes)} axes; give one, or one per axis")
    return values


def _check_distinct(axes: tuple, what: str = "axes") -> None:
    if len(set(axes)) != len(axes):
        raise SpecError(f"{what} names an axis twice: {list(axes)}")


class AnyInts:
    """An integer or a list of integers (any sign), returned as a tuple."""

    __slots__ = ("low", "empty")

    def __init__(self, low: int | None = None, empty: bool = False):
        self.low, self.empty = low, empty

    def __call__(self, value) -> tuple[int, ...]:
        items = [value] if type(value) is int else value
        valid = isinstance(items, list) and (items or self.empty) and all(type(v) is int for v in items)
        if valid and (self.low is None or all(v >= self.low for v in items)):
            return tuple(Int()(v) for v in items)
        raise SpecError(f"expected {self}, received {show(value)}")

    def __str__(self) -> str:
        bound = f" ≥ {self.low}" if self.low is not None else ""
        return f"int or [ints{bound}]"


_ALIGN = Arg(Choice(("start", "center", "end")), "center", doc="which part is kept: start, center or end")


# -- padding -----------------------------------------------------------------------------


@register("PadToMultiple", prefix="pad")
class PadToMultiple(Layer):
    """Pads the chosen axes up to the next multiple of `multiple` (Swin's pad to the window size).

    n becomes ceil(n/k)*k: the `extra` (-n) % k goes after the data (`side: end`, as Swin and
    torchvision's detection transforms pad), before it, or split (`both`: the smaller half before).
    """

    args = {
        "multiple": Arg(Ints(None, 1), aliases=("k", "size_divisible"), doc="the multiple: one, or one per axis"),
        "axes": Arg(Ints(None), aliases=("dims", "axis", "dim"), doc="the padded axes"),
        "side": Arg(Choice(("end", "start", "both")), "end", doc="where the padding goes"),
        "value": Arg(Float(), 0.0, doc="the fill value (no shape effect)"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        _check_distinct(cfg.axes)
        _per_axis(cfg.multiple, cfg.axes, "multiple")

    @staticmethod
    def output_shape(cfg, ins):
        # n -> ceil(n/k)*k on each axis
        (x,) = ins
        y = list(x)
        for axis, k in zip(_axes(cfg.axes, len(x)), _per_axis(cfg.multiple, cfg.axes, "multiple")):
            y[axis] = ceil_div(x[axis], k) * k
        return [tuple(y)]


def pad_amounts(cfg, x: tuple) -> list[tuple[int, object, object]]:
    """(axis, before, after) of each axis PadToMultiple pads, for an input shape `x`."""
    result = []
    for axis, k in zip(_axes(cfg.axes, len(x)), _per_axis(cfg.multiple, cfg.axes, "multiple")):
        extra = (-x[axis]) % k
        if cfg.side == "end":
            result.append((axis, 0, extra))
        elif cfg.side == "start":
            result.append((axis, extra, 0))
        else:
            result.append((axis, extra // 2, extra - extra // 2))
    return result


PAD_MODES = ("constant", "reflect", "replicate", "circular")


@register("Pad", prefix="pad")
class Pad(Layer):
    """Pads the last axes by (before, after) amounts in torch.nn.functional.pad's order:
    (left, right) of the last axis, then of the one before it, … A negative amount crops.

    `constant` pads any number of axes (at most the rank); `reflect`, `replicate` and
    `circular` pad 1 to 3 axes of an input with one or two more axes (PyTorch's rule).
    """

    args = {
        "padding": Arg(AnyInts(), aliases=("pad",), doc="(before, after) pairs from the last axis backwards"),
        "mode": Arg(Choice(PAD_MODES), "constant", doc="constant, reflect, replicate or circular"),
        "value": Arg(Float(), 0.0, doc="the fill value of constant padding (no shape effect)"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if len(cfg.padding) % 2 or not cfg.padding:
            raise SpecError(
                f"padding needs (before, after) pairs, an even number of amounts, received {len(cfg.padding)}",
                hint="e.g. [0, 1, 0, 1] pads the last two axes by one at the end",
            )

    @staticmethod
    def output_shape(cfg, ins):
        # last axes: n -> n + before + after
        (x,) = ins
        count = len(cfg.padding) // 2
        if count > len(x):
            raise ShapeError(
                f"pads {count} axes of a rank-{len(x)} input {format_shape(x)}: at most one pair per axis",
            )
        if cfg.mode != "constant" and (count > 3 or len(x) not in (count + 1, count + 2)):
            raise ShapeError(
                f"pads {count} axes in {cfg.mode} mode, which needs an input of rank {count + 1} or {count + 2} "
                f"(PyTorch pads 1 to 3 axes so), receives {format_shape(x)}"
            )
        y = list(x)
        for i in range(count):
            before, after = cfg.padding[2 * i], cfg.padding[2 * i + 1]
            axis = len(x) - 1 - i
            n = x[axis]
            cropped = min(before, 0) + min(after, 0)
            if cfg.mode == "constant" and cropped < 0:
                # PyTorch crops first (narrow), then pads: the cropping alone must fit
                require_at_least(
                    n + cropped, 0, f"crops {-cropped} of an axis of size {format_dim(n)} (padding {before}/{after})"
                )
            if cfg.mode == "reflect":
                require_at_least(
                    n,
                    max(before, after) + 1,
                    f"reflects padding {before}/{after} on an axis of size {format_dim(n)}, which must be larger",
                )
            if cfg.mode == "circular":
                # PyTorch crops first and wraps what is left; it refuses amounts beyond the size, and
                # beyond what is left after cropping it leaves elements uninitialized: refused here
                left = f" ({format_dim(n + cropped)} after cropping)" if cropped else ""
                require_at_least(
                    n + cropped,
                    max(before, after, 1),
                    f"wraps padding {before}/{after} around an axis of size {format_dim(n)}{left} more than once",
                )
            y[axis] = require_positive(n + before + after, "the padding")
        return [tuple(y)]


# -- cropping ----------------------------------------------------------------------------


@register("Crop", prefix="crop")
class Crop(Layer):
    """Crops the chosen axes to `size` (the start, center or end of each is kept)."""

    args = {
        "size": Arg(Ints(None, 1), aliases=("sizes",), doc="the size of each cropped axis (one, or one per axis)"),
        "axes": Arg(Ints(None), aliases=("dims", "axis", "dim"), doc="the cropped axes"),
        "align": _ALIGN,
    }

    @staticmethod
    def check_args(cfg) -> None:
        _check_distinct(cfg.axes)
        _per_axis(cfg.size, cfg.axes, "size")

    @staticmethod
    def output_shape(cfg, ins):
        # n -> size on each axis, size <= n
        (x,) = ins
        y = list(x)
        for axis, size in zip(_axes(cfg.axes, len(x)), _per_axis(cfg.size, cfg.axes, "size")):
            require_at_least(
                x[axis],
                size,
                lambda axis=axis, size=size: f"crops axis {axis} of {format_shape(x)} to {size}, more than its size",
            )
            y[axis] = size
        return [tuple(y)]


@register("CropTo", prefix="crop")
class CropTo(Layer):
    """Crops its first input to the size of its second on the chosen axes (U-Net's skip connections)."""

    min_inputs = max_inputs = 2
    args = {"axes": Arg(Ints(None), aliases=("dims", "axis", "dim"), doc="the cropped axes"), "align": _ALIGN}

    @staticmethod
    def check_args(cfg) -> None:
        _check_distinct(cfg.axes)

    @staticmethod
    def output_shape(cfg, ins):
        # x[axis] -> like[axis] on each axis, like[axis] <= x[axis]
        x, like = ins
        y = list(x)
        axes = _axes(cfg.axes, len(x))
        _axes(cfg.axes, len(like))
        for axis in axes:
            target = like[axis]
            if is_known(target) and is_known(x[axis]):
                require_at_least(
                    x[axis] - target,
                    0,
                    lambda axis=axis, target=target: (
                        f"crops axis {axis} of {format_shape(x)} to {format_dim(target)}, the size in "
                        f"{format_shape(like)}, which is larger"
                    ),
                )
            y[axis] = target
        return [tuple(y)]


# -- moving elements ---------------------------------------------------------------------


@register("Roll", prefix="roll")
class Roll(Layer):
    """Shifts elements cyclically along axes (torch.roll; Swin's shifted windows); the shape is unchanged.

    Without `dims` the flattened tensor is rolled by one shift.
    """

    args = {
        "shifts": Arg(AnyInts(), aliases=("shift",), doc="the shift of each axis"),
        "dims": Arg(
            AnyInts(), None, aliases=("axes", "axis", "dim"), doc="the rolled axes (default: the flattened tensor)"
        ),
    }

    @staticmethod
    def check_args(cfg) -> None:
        given = len(cfg.dims) if cfg.dims is not None else 0
        if len(cfg.shifts) != max(given, 1) or (cfg.dims is None and len(cfg.shifts) != 1):
            raise SpecError(f"shifts and dims must align: {len(cfg.shifts)} shifts for {given} dims")

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        (x,) = ins
        for axis in cfg.dims or ():
            normalize_axis(axis, len(x))
        return [x]


@register("ChannelShuffle", prefix="channel_shuffle")
class ChannelShuffle(Layer):
    """Interleaves the channels of `groups` groups (ShuffleNet; PyTorch ChannelShuffle); the shape is unchanged.

    The input is (N, C, *) with at least one axis after the channels, C divisible by groups.
    """

    args = {"groups": Arg(Int(1), doc="number of channel groups")}

    @staticmethod
    def output_shape(cfg, ins):
        # (N, C, *) -> (N, C, *), C % groups == 0
        (x,) = ins
        require_rank(x, 3)
        require_divisible(
            x[1], cfg.groups, f"needs channels divisible by groups ({cfg.groups}), receives {format_shape(x)}"
        )
        return [x]


@register("IndexSelect", prefix="index_select")
class IndexSelect(Layer):
    """Takes the entries its second input (integer indices, rank ≤ 1) names along `dim` of its first
    (torch.index_select; Swin's relative_position_bias_table[relative_position_index])."""

    min_inputs = max_inputs = 2
    args = {"dim": Arg(Int(), 0, aliases=("axis",), doc="the indexed axis")}

    @staticmethod
    def index_inputs(cfg, ranks) -> dict:
        # the indices, valid up to the size of the first input's axis (zeros are always valid)
        return {1: None}

    @staticmethod
    def output_shape(cfg, ins):
        # x (.., n, ..), index (k,) -> (.., k, ..)
        x, index = ins
        if len(index) > 1:
            raise ShapeError(f"needs a vector of indices (rank ≤ 1), receives {format_shape(index)}")
        count = index[0] if index else 1
        if not x:
            if cfg.dim not in (0, -1):
                raise ShapeError(f"has dim {cfg.dim}, out of range for a scalar input")
            if equal(count, 1) is False:
                raise ShapeError(f"indexes a scalar with {format_dim(count)} indices; a scalar takes one")
            return [()]
        axis = normalize_axis(cfg.dim, len(x))
        return [(*x[:axis], count, *x[axis + 1 :])]


# -- several outputs, several inputs -----------------------------------------------------


def _piece_names(count: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(count))


@register("Split", prefix="split")
class Split(Layer):
    """Splits an axis into pieces (torch.split): a list of `sizes`, or pieces of one size, the last
    smaller (then `count` says how many there are). The outputs are `split/0`, `split/1`, …"""

    args = {
        "sizes": Arg(Ints(None, 1), aliases=("split_size_or_sections", "split_size", "sections"), doc="the sizes"),
        "dim": Arg(Int(), 0, aliases=("axis",), doc="the split axis"),
        "count": Arg(Int(1, 4096), None, aliases=("num_outputs",), doc="the number of pieces of one size"),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if len(cfg.sizes) == 1 and cfg.count is None:
            raise SpecError(
                "a split into pieces of one size needs `count`, the number of pieces (the last may be smaller)",
                hint=f"e.g. count: 2; or list the sizes: sizes: [{cfg.sizes[0]}, {cfg.sizes[0]}]",
            )
        if len(cfg.sizes) > 1 and cfg.count is not None and cfg.count != len(cfg.sizes):
            raise SpecError(f"count ({cfg.count}) differs from the {len(cfg.sizes)} sizes listed; leave count out")
        if len(cfg.sizes) > 4096:
            raise SpecError(f"sizes lists {len(cfg.sizes)} pieces; at most 4096")

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        return _piece_names(cfg.count if len(cfg.sizes) == 1 and cfg.count else len(cfg.sizes))

    @staticmethod
    def output_shape(cfg, ins):
        # sizes s_i with sum s_i == n; or (count - 1) pieces of s and a last one of n - (count - 1)*s in [1, s]
        (x,) = ins
        require_rank(x, 1)
        axis = normalize_axis(cfg.dim, len(x))
        n = x[axis]
        if len(cfg.sizes) > 1:
            pieces = list(cfg.sizes)
            if same_dim(n, sum(pieces)) is None:
                raise ShapeError(
                    f"splits axis {cfg.dim} of {format_shape(x)} into {list(pieces)}, which sum to {sum(pieces)}, "
                    f"not {format_dim(n)}"
                )
        else:
            size, count = cfg.sizes[0], cfg.count
            last = n - (count - 1) * size
            why = f"splits axis {cfg.dim} of {format_shape(x)} into pieces of {size}"
            if isinstance(last, int) and not 1 <= last <= size:
                pieces_found = -(-n // size)
                raise ShapeError(f"{why}: {pieces_found} pieces, not count {count}")
            require_at_least(last, 1, f"{why}: fewer than count {count}")
            require_at_least(size - last, 0, f"{why}: more than count {count}")
            pieces = [size] * (count - 1) + [last]
        return [(*x[:axis], piece, *x[axis + 1 :]) for piece in pieces]


@register("Chunk", prefix="chunk")
class Chunk(Layer):
    """Splits an axis into `chunks` pieces of ceil(n/chunks), the last smaller (torch.chunk).

    PyTorch returns fewer pieces when n is small (6 into 4: three of 2); shapecli names the
    outputs `chunk/0` … from `chunks`, so it refuses a size that gives fewer. An empty axis
    gives `chunks` empty pieces (ATen's chunk special-cases it).
    """

    args = {
        "chunks": Arg(Int(1, 4096), aliases=("count", "num_outputs"), doc="the number of pieces"),
        "dim": Arg(Int(), 0, aliases=("axis",), doc="the split axis"),
    }

    @staticmethod
    def output_names(cfg) -> tuple[str, ...]:
        return _piece_names(cfg.chunks)

    @staticmethod
    def output_shape(cfg, ins):
        # s = ceil(n/chunks): chunks - 1 pieces of s, the last n - (chunks - 1)*s >= 1
        (x,) = ins
        require_rank(x, 1)
        axis = normalize_axis(cfg.dim, len(x))
        n = x[axis]
        if isinstance(n, int) and n == 0:
            return [x] * cfg.chunks
        size = ceil_div(n, cfg.chunks)
        last = n - (cfg.chunks - 1) * size

        def why() -> str:  # written only when an error is reported
            return f"splits axis {cfg.dim} of {format_shape(x)} into {cfg.chunks} chunks"

        if isinstance(last, int) and last < 1:
            raise ShapeError(
                f"{why()}, but PyTorch gives only {-(-n // size)} chunks of {size}",
                hint="choose chunks that leave a non-empty last piece, or use Split with sizes",
            )
        require_at_least(last, 1, lambda: f"{why()}: the last would be empty")
        return [(*x[:axis], size if i < cfg.chunks - 1 else last, *x[axis + 1 :]) for i in range(cfg.chunks)]


@register("Stack", prefix="stack")
class Stack(Layer):
    """Stacks inputs of one shape along a new axis (torch.stack)."""

    min_inputs, max_inputs = 1, None
    args = {"axis": Arg(Int(), 0, aliases=("dim",), doc="position of the new axis in the output")}

    @staticmethod
    def output_shape(cfg, ins):
        # k inputs of shape s -> s with k inserted at axis
        first = ins[0]
        merged = list(first)
        for shape in ins[1:]:
            if len(shape) != len(first) or any(same_dim(a, b) is None for a, b in zip(merged, shape)):
                raise ShapeError(
                    "needs inputs of one shape, receives " + " and ".join(format_shape(s) for s in ins),
                    received=ins,
                )
            merged = [same_dim(a, b) for a, b in zip(merged, shape)]
        axis = normalize_axis(cfg.axis, len(first) + 1)
        return [(*merged[:axis], len(ins), *merged[axis:])]


REDUCTIONS = ("mean", "sum", "max", "min")


@register("Reduce", prefix="reduce")
class Reduce(Layer):
    """Reduces axes by mean, sum, max or min (torch.mean/sum/amax/amin, keras.ops.mean/…): the axes
    go, or stay as size 1 with `keepdims`. Without axes (or an empty list) every axis is reduced."""

    args = {
        "op": Arg(Choice(REDUCTIONS), aliases=("reduction", "mode"), doc="mean, sum, max or min"),
        "axes": Arg(AnyInts(empty=True), None, aliases=("dims", "axis", "dim"), doc="the reduced axes"),
        "keepdims": Arg(Bool(), False, aliases=("keepdim",), doc="keep the reduced axes as size 1"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # reduced axes removed (or 1 with keepdims)
        (x,) = ins
        if not x:
            for axis in cfg.axes or ():
                if axis not in (0, -1):
                    raise ShapeError(f"has axis {axis}, out of range for a scalar input")
            return [()]
        axes = _axes(cfg.axes, len(x)) if cfg.axes else list(range(len(x)))
        if cfg.keepdims:
            return [tuple(1 if i in axes else d for i, d in enumerate(x))]
        return [tuple(d for i, d in enumerate(x) if i not in axes)]


# -- repeating ---------------------------------------------------------------------------


@register("Expand", prefix="expand")
class Expand(Layer):
    """Broadcasts size-1 axes to `sizes` without copying (Tensor.expand; -1 keeps an axis); new
    axes may be added in front."""

    args = {"sizes": Arg(AnyInts(-1), aliases=("size", "shape"), doc="the new sizes, -1 to keep one")}

    @staticmethod
    def check_args(cfg) -> None:
        if any(s == 0 for s in cfg.sizes):
            raise SpecError("sizes: an expanded size must be ≥ 1 or -1 (shapecli refuses empty tensors)")

    @staticmethod
    def output_shape(cfg, ins):
        # x (…) -> sizes; each existing axis equal, or 1 (broadcast), or kept by -1
        (x,) = ins
        sizes = cfg.sizes
        if len(sizes) < len(x):
            raise ShapeError(
                f"gives {len(sizes)} sizes for a rank-{len(x)} input {format_shape(x)}; it needs at least {len(x)}"
            )
        new = len(sizes) - len(x)
        out = []
        for i, size in enumerate(sizes):
            if i < new:
                if size == -1:
                    raise ShapeError(f"has size -1 at {i}, a new leading axis, which has no size to keep")
                out.append(size)
                continue
            d = x[i - new]
            if size == -1 or equal(d, size) is True:
                out.append(d)
            elif equal(d, 1) is True:
                out.append(size)
            elif same_dim(d, size) is None:
                raise ShapeError(
                    f"expands {format_shape(x)} to {list(sizes)}: axis {i - new} has size {format_dim(d)}, "
                    f"which is neither {size} nor 1",
                    axis=i - new,
                )
            else:
                out.append(size)
        return [tuple(out)]


class _Tiling(Layer):
    """Base of Tile and Repeat: each axis multiplied by its count, missing leading counts 1."""

    args = {"repeats": Arg(Ints(None, 1), aliases=("reps", "sizes", "multiples"), doc="the count of each axis")}
    strict = False

    @classmethod
    def output_shape(cls, cfg, ins):
        # y[i] = x[i] * reps[i], the shorter padded with leading 1s
        (x,) = ins
        reps = cfg.repeats
        if cls.strict and len(reps) < len(x):
            raise ShapeError(
                f"gives {len(reps)} repeats for a rank-{len(x)} input {format_shape(x)}; "
                f"Tensor.repeat needs at least {len(x)} (Tile pads with 1s)"
            )
        rank = max(len(reps), len(x))
        xs = (1,) * (rank - len(x)) + tuple(x)
        reps = (1,) * (rank - len(reps)) + tuple(reps)
        return [tuple(d * r for d, r in zip(xs, reps))]


@register("Tile", prefix="tile")
class Tile(_Tiling):
    """Repeats the whole tensor along each axis (torch.tile, numpy.tile, keras.ops.tile); fewer
    counts than axes repeat the last axes."""


@register("Repeat", prefix="repeat")
class Repeat(_Tiling):
    """Repeats the whole tensor along each axis (PyTorch Tensor.repeat): one count per axis, and
    more add leading axes."""

    strict = True
