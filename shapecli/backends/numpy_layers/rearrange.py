"""PixelShuffle / PixelUnshuffle and Fold / Unfold: elements moved between channels and space."""

from __future__ import annotations

import numpy as np

from .common import pad_axes, windows


def pixel_shuffle(cfg, xs, p):
    # (*, C*r*r, H, W) -> (*, C, r, r, H, W) -> (*, C, H, r, W, r) -> (*, C, H*r, W*r)
    x = xs[0]
    r = cfg.upscale_factor
    *batch, channels, height, width = x.shape
    y = x.reshape(*batch, channels // (r * r), r, r, height, width)
    n = len(batch)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(cfg, xs, p):
    # (*, C, H*r, W*r) -> (*, C, H, r, W, r) -> (*, C, r, r, H, W) -> (*, C*r*r, H, W)
    x = xs[0]
    r = cfg.downscale_factor
    *batch, channels, height, width = x.shape
    y = x.reshape(*batch, channels, height // r, r, width // r, r)
    n = len(batch)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*batch, channels * r * r, height // r, width // r)


def unfold(cfg, xs, p):
    # im2col: (N, C, H, W) -> windows (N, C, oh, ow, kh, kw) -> (N, C*kh*kw, oh*ow), channel-major
    x = xs[0]
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    padded = pad_axes(x, [(q, q) for q in cfg.padding], (2, 3))
    view = windows(padded, cfg.kernel_size, cfg.stride, cfg.dilation)
    n, c, oh, ow, kh, kw = view.shape
    y = np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, oh * ow)
    return y[0] if unbatched else y


def fold(cfg, xs, p):
    # col2im: each column of (N, C*kh*kw, L) is summed into its block of the padded output
    x = xs[0]
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = cfg.kernel_size, cfg.dilation, cfg.padding, cfg.stride
    height, width = cfg.output_size
    oh = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    n = x.shape[0]
    c = x.shape[1] // (kh * kw)
    cols = x.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, height + 2 * ph, width + 2 * pw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, :, top : top + sh * (oh - 1) + 1 : sh, left : left + sw * (ow - 1) + 1 : sw] += cols[:, :, i, j]
    y = out[:, :, ph : ph + height, pw : pw + width]
    return y[0] if unbatched else y
