"""StochasticDepth (torchvision.ops): drops whole residual branches while training.

torchvision/ops/stochastic_depth.py: `p` must lie in [0, 1] and `mode` be 'batch' or
'row'; while training, the input is multiplied by a noise of shape (N, 1, …, 1) ('row':
one value per sample, so the input needs a batch axis) or (1, …, 1) ('batch'), divided
by the survival rate 1 - p (p = 0 returns the input). In inference it is the identity;
a rank-0 input in 'row' mode is refused, as training refuses it. No parameters, no MACs.
"""

from __future__ import annotations

from ..args import Choice, Float
from ..registry import Arg, Layer, register
from ..shape_math import require_rank


@register("StochasticDepth", prefix="stochastic_depth")
class StochasticDepth(Layer):
    """Zeroes the whole input ('batch') or whole samples ('row') while training; the shape is unchanged."""

    args = {
        "p": Arg(Float(0, 1), aliases=("rate", "drop_rate"), doc="probability of dropping"),
        "mode": Arg(Choice(("batch", "row")), doc="'row': one draw per sample; 'batch': one for the whole input"),
    }

    @staticmethod
    def output_shape(cfg, ins):
        # x -> x; while training, 'row' draws one value per sample of axis 0, which must exist
        (x,) = ins
        if cfg.mode == "row" and cfg.p > 0:
            require_rank(x, 1)
        return [x]
