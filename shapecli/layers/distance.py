"""CosineSimilarity and PairwiseDistance: one number per pair of vectors of two inputs.

Both broadcast their two inputs (NumPy rules) and reduce one axis of the result
(aten/src/ATen/native/Distance.cpp): cosine_similarity the axis `dim`, pairwise_distance
the last one (`keepdim` keeps it with size 1). A rank-0 result stays rank 0. No
parameters; no MACs counted (a norm and a product, as PyTorch's flop counter).
"""

from __future__ import annotations

from ..args import Bool, Float, Int
from ..registry import Arg, Layer, register
from ..shape_math import broadcast, normalize_axis


@register("CosineSimilarity", prefix="cosine_similarity")
class CosineSimilarity(Layer):
    """Cosine of the angle between x1 and x2 along `dim`: the broadcast shape without that axis."""

    min_inputs = max_inputs = 2
    args = {
        "dim": Arg(Int(), 1, aliases=("axis",), doc="the axis the vectors run along"),
        "eps": Arg(Float(0), 1e-8, doc="smallest norm divided by (no shape effect)"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # broadcast(x1, x2) with axis dim removed; a rank-0 result takes dim 0 or -1
        shape = broadcast(ins)
        axis = normalize_axis(cfg.dim, max(len(shape), 1))
        return [shape[:axis] + shape[axis + 1 :]]


@register("PairwiseDistance", prefix="pairwise_distance")
class PairwiseDistance(Layer):
    """p-norm of x1 - x2 + eps over the last axis: the broadcast shape without it (size 1 with keepdim)."""

    min_inputs = max_inputs = 2
    args = {
        "p": Arg(Float(), 2.0, aliases=("norm_type",), doc="the norm's degree (no shape effect)"),
        "eps": Arg(Float(), 1e-6, doc="added to the difference (no shape effect)"),
        "keepdim": Arg(Bool(), False, doc="keep the reduced axis with size 1"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # broadcast(x1, x2) without its last axis, or with it as 1 (keepdim); rank 0 stays rank 0
        shape = broadcast(ins)
        if not shape:
            return [shape]
        return [(*shape[:-1], 1) if cfg.keepdim else shape[:-1]]
