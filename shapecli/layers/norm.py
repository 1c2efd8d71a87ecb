"""Normalization: BatchNorm, LayerNorm, GroupNorm, InstanceNorm, RMSNorm, LocalResponseNorm, SyncBatchNorm.

What counts as a parameter follows the convention:
  PyTorch  weight/bias are parameters; running_mean, running_var and
           num_batches_tracked are buffers (listed, not counted);
  Keras    gamma/beta are trainable weights, moving_mean/moving_variance
           non-trainable weights (counted, as Keras' summary does);
  MXNet    gamma, beta, running_mean, running_var are all parameters; the
           running statistics are not trained.
Normalization counts no MACs.
"""

from __future__ import annotations

from ..args import Bool, Float, Int, Ints
from ..dims import format_dim, format_shape, product
from ..errors import ShapeError, SpecError
from ..registry import REQUIRED, Arg, Layer, Param, PerConvention, register, with_sizes
from ..shape_math import (
    normalize_axis,
    require_at_least,
    require_declared,
    require_declared_trailing,
    require_divisible,
    require_rank,
    same_dim,
)

_EPS = Arg(Float(0), 1e-5, aliases=("epsilon",), doc="added to the variance (no shape effect)")
_FRAMEWORK_EPS = Arg(
    Float(0),
    PerConvention(torch=1e-5, keras=1e-3),
    aliases=("epsilon",),
    doc="added to the variance (no shape effect; Keras' default is 1e-3)",
)
_AFFINE = {
    "affine": Arg(Bool(), True, aliases=("elementwise_affine",), doc="learn a scale and a shift (PyTorch)"),
    "scale": Arg(Bool(), True, doc="learn a scale, gamma (Keras)"),
    "center": Arg(Bool(), True, doc="learn a shift, beta (Keras)"),
}


def _require_statistics(values, x, what: str) -> None:
    """PyTorch refuses statistics over a single value ("Expected more than 1 value per channel")."""
    require_at_least(
        values,
        2,
        f"normalizes {what} over {format_dim(values)} value of {format_shape(x)}: PyTorch needs more than one",
    )


def _torch_statistics(shape: tuple) -> list[Param]:
    """PyTorch's running statistics: buffers, listed but not counted."""
    return [
        Param("running_mean", shape, False, True),
        Param("running_var", shape, False, True),
        Param("num_batches_tracked", (), False, True),
    ]


def _affine(cfg, shape: tuple) -> list[Param]:
    """The learned scale and shift, named per convention."""
    keras_style = cfg.convention in ("keras", "mxnet")
    params = []
    if cfg.affine and cfg.scale:
        params.append(Param("gamma" if keras_style else "weight", shape))
    if cfg.affine and cfg.center:
        params.append(Param("beta" if keras_style else "bias", shape))
    return params


class BatchNormBase(Layer):
    """Base of the batch normalizations: statistics per channel."""

    ranks: tuple[int, ...] = ()

    args = {
        "num_features": Arg(Int(1), None, aliases=("in_channels",), doc="declared channels"),
        "axis": Arg(Int(), PerConvention(torch=1, keras=-1), doc="the channel axis"),
        "eps": _FRAMEWORK_EPS,
        "momentum": Arg(
            Float(0),
            PerConvention(torch=0.1, keras=0.99),
            doc="running-statistics momentum (no shape effect; PyTorch's weighs the new batch, Keras' the old)",
        ),
        "track_running_stats": Arg(Bool(), True, doc="keep running statistics (PyTorch)"),
        **_AFFINE,
    }

    @classmethod
    def output_shape(cls, cfg, ins):
        # x -> x
        (x,) = ins
        if cls.ranks:
            require_rank(x, min(cls.ranks), max(cls.ranks))
        require_declared(x, normalize_axis(cfg.axis, len(x)), cfg, "num_features", unit="channels")
        if cls.ranks and cfg.convention == "torch" and not cfg.track_running_stats:
            # without running statistics, even inference normalizes over the batch
            _require_statistics(x[0] * product(x[2:]), x, "each channel")
        return [x]

    @staticmethod
    def build(cfg, ins):
        # num_features: declared, else the size of the channel axis
        return with_sizes(cfg, num_features=ins[0][cfg.axis])

    @staticmethod
    def params(cfg, ins):
        shape = (cfg.num_features,)
        if cfg.convention == "torch":
            return _affine(cfg, shape) + (_torch_statistics(shape) if cfg.track_running_stats else [])
        if cfg.convention == "mxnet":
            gamma_beta = [
                Param("gamma", shape, cfg.scale and cfg.affine),
                Param("beta", shape, cfg.center and cfg.affine),
            ]
            return gamma_beta + [Param("running_mean", shape, False), Param("running_var", shape, False)]
        return _affine(cfg, shape) + [Param("moving_mean", shape, False), Param("moving_variance", shape, False)]


@register("BatchNorm1d", "LazyBatchNorm1d", prefix="batchnorm")
class BatchNorm1d(BatchNormBase):
    """Batch normalization over a rank-2/3 input (PyTorch BatchNorm1d)."""

    ranks = (2, 3)


@register("BatchNorm2d", "LazyBatchNorm2d", prefix="batchnorm")
class BatchNorm2d(BatchNormBase):
    """Batch normalization over a rank-4 input (PyTorch BatchNorm2d)."""

    ranks = (4,)


@register("BatchNorm3d", "LazyBatchNorm3d", prefix="batchnorm")
class BatchNorm3d(BatchNormBase):
    """Batch normalization over a rank-5 input (PyTorch BatchNorm3d)."""

    ranks = (5,)


@register("BatchNormalization", "BatchNorm", prefix="batchnorm")
class BatchNormalization(BatchNormBase):
    """Batch normalization of any rank along `axis` (Keras BatchNormalization, MXNet BatchNorm)."""


@register("LayerNorm", "LayerNormalization", prefix="layernorm")
class LayerNorm(Layer):
    """Normalization over the trailing axes of each sample.

    PyTorch: normalized_shape names the trailing sizes (deferred: the last axis);
    Keras: `axis` names the axes; the scale and shift have their shape.
    """

    args = {
        "normalized_shape": Arg(Ints(None, 1), None, doc="declared sizes of the normalized trailing axes"),
        "axis": Arg(Ints(None), -1, doc="normalized axes when normalized_shape is not given (Keras)"),
        "eps": _FRAMEWORK_EPS,
        "bias": Arg(Bool(), True, doc="learn a shift (PyTorch)"),
        **_AFFINE,
        "rms_scaling": Arg(
            Bool(), False, doc="Keras (deprecated): x / √(variance + eps) * gamma, no centring and no beta"
        ),
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.rms_scaling and cfg.convention != "keras":
            raise SpecError("rms_scaling is an argument of Keras' LayerNormalization; PyTorch has RMSNorm")

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x, the normalized axes must match normalized_shape
        (x,) = ins
        if cfg.normalized_shape is not None:
            require_declared_trailing(x, cfg, "normalized_shape")
        else:
            for axis in cfg.axis:
                normalize_axis(axis, len(x))
        return [x]

    @staticmethod
    def build(cfg, ins):
        # normalized_shape: declared, else the sizes of the normalized axes (Keras sorts the axes
        # as written, negative ones first: gamma and beta follow that order); `axis` is unchecked
        # once normalized_shape is declared, so it is read only when it is not
        if cfg.normalized_shape is not None:
            return cfg
        axes = sorted(cfg.axis) if cfg.convention == "keras" else cfg.axis
        return with_sizes(cfg, normalized_shape=tuple(ins[0][a] for a in axes))

    @staticmethod
    def params(cfg, ins):
        shape = tuple(cfg.normalized_shape)
        if cfg.rms_scaling:  # gamma always (scale or not), never beta
            return [Param("gamma", shape)]
        params = _affine(cfg, shape)
        if cfg.convention == "torch" and not cfg.bias:
            params = [p for p in params if p.name != "bias"]
        return params


@register("GroupNorm", "GroupNormalization", prefix="groupnorm")
class GroupNorm(Layer):
    """Normalization over groups of channels (PyTorch GroupNorm, Keras GroupNormalization)."""

    args = {
        "num_groups": Arg(
            Int(-1),
            PerConvention(torch=REQUIRED, keras=32),
            aliases=("groups",),
            doc="number of channel groups; Keras: -1 for one group per channel (instance normalization)",
        ),
        "num_channels": Arg(Int(1), None, aliases=("in_channels",), doc="declared channels"),
        "axis": Arg(Int(), PerConvention(torch=1, keras=-1), doc="the channel axis"),
        "eps": _FRAMEWORK_EPS,
        **_AFFINE,
    }

    @staticmethod
    def check_args(cfg) -> None:
        if cfg.num_groups == 0 or (cfg.num_groups == -1 and cfg.convention != "keras"):
            raise SpecError(
                f"num_groups must be positive (received {cfg.num_groups}); -1 (a group per channel) is Keras' only"
            )
        if cfg.num_channels is not None and cfg.num_channels % cfg.num_groups:
            raise SpecError(f"num_channels ({cfg.num_channels}) must be divisible by num_groups ({cfg.num_groups})")

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x; channels % num_groups == 0 (num_groups -1: one group per channel)
        (x,) = ins
        require_rank(x, 2)
        axis = normalize_axis(cfg.axis, len(x))
        require_declared(x, axis, cfg, "num_channels", unit="channels")
        channels = x[axis]
        if cfg.num_groups == -1:
            return [x]
        require_divisible(
            channels,
            cfg.num_groups,
            f"splits {format_dim(channels)} channels into {cfg.num_groups} groups, which must divide them",
        )
        if cfg.convention == "torch" and cfg.axis == 1:
            _require_statistics(x[0] * (channels // cfg.num_groups) * product(x[2:]), x, "each group")
        return [x]

    @staticmethod
    def build(cfg, ins):
        # num_channels: declared, else the size of the channel axis
        return with_sizes(cfg, num_channels=ins[0][cfg.axis])

    @staticmethod
    def params(cfg, ins):
        return _affine(cfg, (cfg.num_channels,))


class InstanceNormBase(Layer):
    """Base of the instance normalizations: statistics per sample and channel."""

    rank = 1
    args = {
        "num_features": Arg(Int(1), None, aliases=("in_channels",), doc="declared channels"),
        "eps": _EPS,
        "affine": Arg(Bool(), False, doc="learn a scale and a shift"),
        "track_running_stats": Arg(Bool(), False, doc="keep running statistics"),
    }

    @classmethod
    def output_shape(cls, cfg, ins):
        # x -> x
        (x,) = ins
        require_rank(x, cls.rank + 1, cls.rank + 2)
        require_declared(x, -(cls.rank + 1), cfg, "num_features", unit="channels")
        if not cfg.track_running_stats:  # statistics of each sample, also in inference
            _require_statistics(product(x[-cls.rank :]), x, "each channel of each sample")
        return [x]

    @classmethod
    def build(cls, cfg, ins):
        # num_features: declared, else the size of the channel axis
        return with_sizes(cfg, num_features=ins[0][-(cls.rank + 1)])

    @staticmethod
    def params(cfg, ins):
        shape = (cfg.num_features,)
        params = [Param("weight", shape), Param("bias", shape)] if cfg.affine else []
        return params + (_torch_statistics(shape) if cfg.track_running_stats else [])


@register("InstanceNorm1d", prefix="instancenorm")
class InstanceNorm1d(InstanceNormBase):
    """Instance normalization of a 1-D signal (PyTorch InstanceNorm1d)."""

    rank = 1


@register("InstanceNorm2d", prefix="instancenorm")
class InstanceNorm2d(InstanceNormBase):
    """Instance normalization of a 2-D signal (PyTorch InstanceNorm2d)."""

    rank = 2


@register("InstanceNorm3d", prefix="instancenorm")
class InstanceNorm3d(InstanceNormBase):
    """Instance normalization of a 3-D signal (PyTorch InstanceNorm3d)."""

    rank = 3


@register("RMSNorm", "RMSNormalization", prefix="rmsnorm")
class RMSNorm(Layer):
    """Root-mean-square normalization over the trailing axes (PyTorch RMSNorm, Keras RMSNormalization)."""

    args = {
        "normalized_shape": Arg(Ints(None, 1), None, doc="declared sizes of the normalized trailing axes"),
        "axis": Arg(Int(), -1, doc="normalized axis when normalized_shape is not given (Keras)"),
        "eps": Arg(Float(0), None, aliases=("epsilon",), doc="added to the mean square (no shape effect)"),
        "affine": Arg(Bool(), True, aliases=("elementwise_affine",), doc="learn a scale"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        (x,) = ins
        if cfg.normalized_shape is not None:
            require_declared_trailing(x, cfg, "normalized_shape")
        else:
            normalize_axis(cfg.axis, len(x))
        return [x]

    @staticmethod
    def build(cfg, ins):
        # normalized_shape: declared, else the size of the normalized axis (unchecked once declared)
        if cfg.normalized_shape is not None:
            return cfg
        return with_sizes(cfg, normalized_shape=(ins[0][cfg.axis],))

    @staticmethod
    def params(cfg, ins):
        shape = tuple(cfg.normalized_shape)
        if not cfg.affine:
            return []
        return [Param("scale" if cfg.convention == "keras" else "weight", shape)]


@register("LocalResponseNorm", prefix="lrn")
class LocalResponseNorm(Layer):
    """Normalization across neighbouring channels; no parameters."""

    args = {"size": Arg(Int(1), doc="number of neighbouring channels")}

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x
        require_rank(ins[0], 3)
        return [ins[0]]


_LAZY_INSTANCE_ARGS = {
    **InstanceNormBase.args,
    "affine": Arg(Bool(), True, doc="learn a scale and a shift"),
    "track_running_stats": Arg(Bool(), True, doc="keep running statistics"),
}
"""PyTorch's LazyInstanceNorm defaults differ from InstanceNorm's: affine and running statistics on."""


class LazyInstanceNormBase(InstanceNormBase):
    """PyTorch's lazy instance norms take their channels from axis 1 even of an unbatched input
    (_LazyNormBase.initialize_parameters), so an unbatched (C, L, …) input fits only when C == L,
    unless the layer has neither a scale nor running statistics."""

    args = _LAZY_INSTANCE_ARGS

    @classmethod
    def output_shape(cls, cfg, ins):
        # x -> x; unbatched: num_features = x[1], which must be x[0] with affine or running statistics
        y = super().output_shape(cfg, ins)
        (x,) = ins
        lazy = cfg.num_features is None and (cfg.affine or cfg.track_running_stats)
        if lazy and len(x) == cls.rank + 1 and same_dim(x[0], x[1]) is None:
            raise ShapeError(
                f"receives the unbatched {format_shape(x)}: PyTorch's LazyInstanceNorm{cls.rank}d takes its "
                f"channels from axis 1 ({format_dim(x[1])}), not from axis 0 ({format_dim(x[0])})",
                hint="give a batch axis first, or use InstanceNorm with num_features",
            )
        return y


@register("LazyInstanceNorm1d", prefix="instancenorm")
class LazyInstanceNorm1d(LazyInstanceNormBase):
    """InstanceNorm1d with PyTorch LazyInstanceNorm1d's defaults: affine and track_running_stats true."""

    rank = 1


@register("LazyInstanceNorm2d", prefix="instancenorm")
class LazyInstanceNorm2d(LazyInstanceNormBase):
    """InstanceNorm2d with PyTorch LazyInstanceNorm2d's defaults: affine and track_running_stats true."""

    rank = 2


@register("LazyInstanceNorm3d", prefix="instancenorm")
class LazyInstanceNorm3d(LazyInstanceNormBase):
    """InstanceNorm3d with PyTorch LazyInstanceNorm3d's defaults: affine and track_running_stats true."""

    rank = 3


@register("SyncBatchNorm", prefix="batchnorm")
class SyncBatchNorm(BatchNormBase):
    """Batch normalization with statistics over every process's batch; the shapes of BatchNorm over a
    rank ≥ 2 input, channels on axis 1 (PyTorch SyncBatchNorm; Keras BatchNormalization(synchronized=True))."""

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x, rank >= 2 ("expected at least 2D input")
        (x,) = ins
        require_rank(x, 2)
        require_declared(x, normalize_axis(cfg.axis, len(x)), cfg, "num_features", unit="channels")
        if cfg.convention == "torch" and not cfg.track_running_stats:
            # without running statistics, even inference normalizes over the batch
            _require_statistics(x[0] * product(x[2:]), x, "each channel")
        return [x]
