"""PixelShuffle and PixelUnshuffle: channels traded for spatial resolution (sub-pixel convolution).

PyTorch's checks (aten/src/ATen/native/PixelShuffle.h): an input of rank ≥ 3, whose
last three axes are (C, H, W) and everything before them batch axes; PixelShuffle
needs C divisible by r², PixelUnshuffle needs H and W divisible by r. No parameters,
no MACs (a view and a copy).
"""

from __future__ import annotations

from ..args import Int
from ..dims import format_dim, format_shape
from ..registry import Arg, Layer, register
from ..shape_math import divide_exactly, require_rank


@register("PixelShuffle", prefix="pixel_shuffle")
class PixelShuffle(Layer):
    """Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (PyTorch PixelShuffle)."""

    args = {"upscale_factor": Arg(Int(1), doc="r: the factor the height and width grow by")}

    @staticmethod
    def output_shape(cfg, ins):
        # (*, C*r^2, H, W) -> (*, C, H*r, W*r); C*r^2 % r^2 == 0
        (x,) = ins
        require_rank(x, 3)
        r = cfg.upscale_factor
        *batch, channels, height, width = x
        why = f"has upscale_factor {r}, whose square {r * r} must divide the {format_dim(channels)} channels of "
        channels = divide_exactly(channels, r * r, why + format_shape(x))
        return [(*batch, channels, height * r, width * r)]


@register("PixelUnshuffle", prefix="pixel_unshuffle")
class PixelUnshuffle(Layer):
    """Rearranges (*, C, H·r, W·r) into (*, C·r², H, W) (PyTorch PixelUnshuffle)."""

    args = {"downscale_factor": Arg(Int(1), doc="r: the factor the height and width shrink by")}

    @staticmethod
    def output_shape(cfg, ins):
        # (*, C, H*r, W*r) -> (*, C*r^2, H, W); H % r == 0 and W % r == 0
        (x,) = ins
        require_rank(x, 3)
        r = cfg.downscale_factor
        *batch, channels, height, width = x
        why = f"has downscale_factor {r}, which must divide the {{}} of {format_shape(x)}"
        height = divide_exactly(height, r, why.format("height"))
        width = divide_exactly(width, r, why.format("width"))
        return [(*batch, channels * r * r, height, width)]
