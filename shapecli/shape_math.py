"""Shape arithmetic shared by the layer rules: axes, broadcasting, window lengths.

Every function is pure and raises ShapeError with a phrase that completes
"<Type> '<path>' …" when the shapes do not fit.
"""

from __future__ import annotations

from .dims import UNKNOWN, Dim, ceil_div, dim_max, equal, format_dim, format_shape, is_known
from .errors import ShapeError


def normalize_axis(axis: int, rank: int) -> int:
    """Axis counted from the front: -1 → rank-1; out of range is an error."""
    if not -rank <= axis < rank:
        raise ShapeError(f"has axis {axis}, out of range for a rank-{rank} input")
    return axis % rank


def require_rank(shape, low: int, high: int | None = None) -> None:
    """Raise unless low <= len(shape) <= high (high None: no upper bound)."""
    rank = len(shape)
    if rank >= low and (high is None or rank <= high):
        return
    if high == low:
        wanted = f"a rank-{low} input"
    elif high is None:
        wanted = f"an input of rank ≥ {low}"
    else:
        wanted = f"an input of rank {low} to {high}"
    raise ShapeError(f"expects {wanted}, receives {format_shape(shape)}")


def same_dim(a: Dim, b: Dim) -> Dim:
    """The common value of two dims that must be equal; unknown yields to known.

    Returns None when they certainly differ (the caller words the error).
    """
    if not is_known(a):
        return b
    if not is_known(b) or equal(a, b) is not False:
        return a
    return None


def broadcast(shapes: list[tuple]) -> tuple:
    """NumPy broadcasting: align at the right; each dim pair must be equal or contain 1."""
    rank = max(len(s) for s in shapes)
    result = []
    for position in range(-rank, 0):
        dims = [s[position] for s in shapes if len(s) >= -position]
        merged: Dim = 1
        for d in dims:
            if equal(d, 1):
                continue
            if equal(merged, 1):
                merged = d
                continue
            common = same_dim(merged, d)
            if common is None:
                listed = " and ".join(format_shape(s) for s in shapes)
                raise ShapeError(
                    f"cannot broadcast {listed}: axis {position} has "
                    f"{format_dim(merged)} vs {format_dim(d)}",
                    received=shapes,
                )
            merged = common
        result.append(merged)
    return tuple(result)


# -- convolution and pooling lengths -------------------------------------------------

def conv_length(n: Dim, k: int, s: int, d: int, lo: int, hi: int) -> Dim:
    """Output length of a convolution or pooling window over n padded by lo/hi."""
    # floor((n + lo + hi - d*(k-1) - 1) / s) + 1
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def same_padding(n: Dim, k: int, s: int, d: int) -> tuple[Dim, Dim]:
    """TensorFlow's 'same' padding (lo, hi): the extra pixel goes to the end."""
    # total = max(0, d*(k-1) - (n-1) % s); lo = floor(total/2); hi = total - lo
    total = dim_max(0, d * (k - 1) - (n - 1) % s)
    lo = total // 2
    return lo, total - lo


def ceil_pool_length(n: Dim, k: int, s: int, d: int, p: int) -> Dim:
    """PyTorch pooling length with ceil_mode: the last window must start inside the input or left padding."""
    # out = ceil((n + 2p - d(k-1) - 1)/s) + 1; if (out-1)*s >= n + p: out -= 1
    out = ceil_div(n + 2 * p - d * (k - 1) - 1, s) + 1
    starts_in_padding = ((out - 1) * s) - (n + p)
    if isinstance(starts_in_padding, int):
        return out - 1 if starts_in_padding >= 0 else out
    if s + p < d * (k - 1) + 2:
        return out  # (out-1)*s <= n + p + (p - d(k-1) + s - 2) < n + p: never drops
    return UNKNOWN


def transposed_length(n: Dim, k: int, s: int, d: int, p: int, output_padding: int) -> Dim:
    """Output length of a transposed convolution (PyTorch)."""
    # (n-1)*s - 2p + d(k-1) + output_padding + 1
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def require_positive(length: Dim, what: str) -> Dim:
    """Raise unless a computed length can be positive."""
    if isinstance(length, int) and length <= 0:
        raise ShapeError(f"{what} gives an output length of {length}; the input is too small")
    return length


def channel_axis(cfg, rank: int) -> int:
    """Index of the channel axis for cfg.data_format (channels_first → 1, channels_last → -1)."""
    return rank - 1 if cfg.data_format == "channels_last" else 1


def spatial_axes(cfg, rank: int) -> list[int]:
    """Indices of the spatial axes of a batched input of this rank."""
    return list(range(1, rank - 1)) if cfg.data_format == "channels_last" else list(range(2, rank))


def split_channels(cfg, x: tuple, rank: int) -> tuple[tuple, Dim, list]:
    """(batch axes, channels, spatial sizes) of the input of a rank-`rank` window layer.

    PyTorch also takes an unbatched input (C, *spatial); the others need a batch axis.
    """
    low = rank + 1 if cfg.convention == "torch" else rank + 2
    require_rank(x, low, rank + 2)
    head = len(x) - rank - 1
    if cfg.data_format == "channels_last":
        return x[:head], x[-1], list(x[head:-1])
    return x[:head], x[head], list(x[head + 1 :])


def join_channels(cfg, batch: tuple, channels: Dim, spatial: list) -> tuple:
    """The inverse of split_channels: an output shape in cfg.data_format."""
    if cfg.data_format == "channels_last":
        return (*batch, *spatial, channels)
    return (*batch, channels, *spatial)


def channels_of(cfg, x, rank: int) -> Dim:
    """The channel size of an input (UNKNOWN before inference): x[-1] or x[-(rank+1)]."""
    return x[-1] if cfg.data_format == "channels_last" else x[-(rank + 1)]


def window_padding(padding, spatial: list, kernel, strides, dilation) -> list[tuple[Dim, Dim]]:
    """(before, after) padding per spatial axis for a padding argument.

    'valid' pads nothing; 'same' follows TensorFlow (output ceil(n/s); PyTorch's
    stride-1 'same' is the same thing); 'causal' pads d(k-1) before.
    """
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "same":
        return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation)]
    if padding == "causal":
        return [(d * (k - 1), 0) for k, d in zip(kernel, dilation)]
    return list(padding)


def divide_exactly(a: Dim, b: int, what: str) -> Dim:
    """a / b for a divisor b > 0 that must divide a (`what` words the error)."""
    if not is_known(a):
        return UNKNOWN
    remainder = a % b
    if isinstance(remainder, int) and remainder:
        raise ShapeError(what)
    return a // b
