"""Unfold (im2col) and Fold (col2im): sliding blocks of a 2-D signal as columns, and back.

PyTorch's checks (aten/src/ATen/native/im2col_shape_check.h): Unfold takes (C, H, W) or
(N, C, H, W) and gives (N, C·kh·kw, L) with L = blocks_h · blocks_w,
blocks = floor((n + 2p - d(k-1) - 1)/s) + 1, each at least one; Fold takes
(C·kh·kw, L) or (N, C·kh·kw, L), needs C·kh·kw divisible by kh·kw and L equal to the
block count of `output_size`, and gives (N, C, *output_size). No parameters, no MACs.
"""

from __future__ import annotations

from ..args import Ints
from ..dims import format_dim, format_shape, product
from ..errors import ShapeError
from ..registry import Arg, Layer, register
from ..shape_math import conv_length, divide_exactly, require_positive, require_rank, same_dim


def _window_args() -> dict:
    return {
        "kernel_size": Arg(Ints(2, 1), aliases=("kernel",), doc="block size (height, width)"),
        "dilation": Arg(Ints(2, 1), 1, doc="spacing of the block's elements"),
        "padding": Arg(Ints(2, 0), 0, doc="zeros added on both sides of each spatial axis"),
        "stride": Arg(Ints(2, 1), 1, aliases=("strides",), doc="step between blocks"),
    }


def _blocks(cfg, spatial) -> list:
    """Blocks along each spatial axis: floor((n + 2p - d(k-1) - 1)/s) + 1."""
    return [
        conv_length(n, k, s, d, p, p)
        for n, k, s, d, p in zip(spatial, cfg.kernel_size, cfg.stride, cfg.dilation, cfg.padding)
    ]


@register("Unfold", prefix="unfold")
class Unfold(Layer):
    """Extracts sliding blocks: (N, C, H, W) → (N, C·kh·kw, L), L the number of blocks (PyTorch Unfold)."""

    args = _window_args()

    @staticmethod
    def output_shape(cfg, ins):
        # (N, C, H, W) -> (N, C*kh*kw, blocks_h * blocks_w), every block count >= 1
        (x,) = ins
        require_rank(x, 3, 4)
        *batch, channels, height, width = x
        windows = zip(cfg.kernel_size, cfg.dilation, cfg.padding, cfg.stride)
        counts = [
            require_positive(n, f"kernel {k} with dilation {d}, padding {p} and stride {s}")
            for n, (k, d, p, s) in zip(_blocks(cfg, (height, width)), windows)
        ]
        return [(*batch, channels * product(cfg.kernel_size), product(counts))]


@register("Fold", prefix="fold")
class Fold(Layer):
    """Sums sliding blocks back into an image: (N, C·kh·kw, L) → (N, C, *output_size) (PyTorch Fold)."""

    args = {"output_size": Arg(Ints(2, 1), doc="spatial size of the output (height, width)"), **_window_args()}

    @staticmethod
    def output_shape(cfg, ins):
        # (N, C*kh*kw, L) -> (N, C, *output_size); L == blocks_h * blocks_w of output_size
        (x,) = ins
        require_rank(x, 2, 3)
        *batch, columns, length = x
        volume = product(cfg.kernel_size)
        channels = divide_exactly(
            columns,
            volume,
            f"has kernel_size {list(cfg.kernel_size)}, whose {volume} elements must divide "
            f"the {format_dim(columns)} columns (axis {len(x) - 2}) of {format_shape(x)}",
        )
        counts = _blocks(cfg, cfg.output_size)
        if any(n < 1 for n in counts):
            raise ShapeError(
                f"has output_size {list(cfg.output_size)}, which holds {counts[0]} x {counts[1]} blocks "
                f"of kernel_size {list(cfg.kernel_size)}: too few",
                hint="make output_size larger, or the kernel, dilation or padding smaller",
            )
        if same_dim(length, counts[0] * counts[1]) is None:
            raise ShapeError(
                f"needs {counts[0]} x {counts[1]} = {counts[0] * counts[1]} blocks for output_size "
                f"{list(cfg.output_size)}, receives {format_shape(x)} with {format_dim(length)} (the last axis)",
            )
        return [(*batch, channels, *cfg.output_size)]
