"""Shape arithmetic shared by the layer rules: axes, broadcasting, window lengths.

Every function raises ShapeError with a phrase that completes "<Type> '<path>' …"
when the shapes do not fit. A check that depends on the input symbols records a
condition instead (see conditions.py), in the collector the propagation opens
around each rule.
"""

from __future__ import annotations

from collections.abc import Callable

from .conditions import require, said
from .dims import UNKNOWN, Dim, bounds, ceil_div, dim_max, equal, format_dim, format_shape, is_known
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

    Returns None when they certainly differ (the caller words the error); when
    that depends on the input symbols, records the condition a == b.
    """
    if not is_known(a):
        return b
    if not is_known(b):
        return a
    verdict = equal(a, b)
    if verdict is None:
        require("eq", a - b, f"needs {format_dim(a)} == {format_dim(b)}")
    return None if verdict is False else a


class DeclaredSizeError(ShapeError):
    """An input whose size on one axis is not the size the layer declares for it.

    Carries, besides the shapes, where the expected size comes from, so that the diagnostic
    can say so without guessing: `arg`, the argument that declares it (`in_channels`) and
    `declared` its value, or `like`, the (input, axis) whose size it must equal; `input` is
    the position of the input that disagrees.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: tuple,
        received: tuple,
        hint: str | None,
        input: int = 0,
        arg: str | None = None,
        declared=None,
        like: tuple[int, int] | None = None,
    ):
        super().__init__(message, expected=expected, received=received, hint=hint)
        self.input, self.arg, self.declared, self.like = input, arg, declared, like


def require_declared(
    x: tuple,
    axis: int,
    cfg,
    name: str,
    *,
    unit: str | None = None,
    input: int = 0,
    message: str | None = None,
    hint: str | Callable[[Dim, tuple], str] | None = None,
) -> None:
    """Check the size a layer argument declares for an input axis: `cfg.<name>` (None: not declared)
    against axis `axis` of the input `x` (the layer's input number `input`).

    Raises DeclaredSizeError when they certainly differ, with the expected and received shapes;
    records the condition when that depends on the input symbols. The message reads
    "declares in_channels=4 but receives (1, 3, 8, 8) with 3 channels" (`unit` names what the
    axis counts; without it the message ends at the shape). `message` and a str `hint` are
    templates over {name}, {declared}, {shape}, {actual} and {axis} (as given); a callable hint gets
    (declared, x). The default hint: "set in_channels: 3, or remove in_channels".
    """
    declared = getattr(cfg, name)
    if declared is None or same_dim(x[axis], declared) is not None:
        return
    if message is None:
        message = "declares {name}={declared} but receives {shape}" + (f" with {{actual}} {unit}" if unit else "")
    raise _size_error(x, axis, declared, message, hint or "set {name}: {actual}, or remove {name}", input, name, None)


def require_size(
    x: tuple,
    axis: int,
    expected: Dim,
    like: tuple[int, int],
    message: str,
    hint: str,
    *,
    input: int = 0,
) -> None:
    """Check that axis `axis` of the input `x` (input number `input`) has the size `expected`,
    which is the size of axis like[1] of input like[0] (a key as wide as the query): as
    require_declared, for a size that no argument declares."""
    if same_dim(x[axis], expected) is None:
        raise _size_error(x, axis, expected, message, hint, input, None, like)


def _size_error(x, axis, declared, message, hint, input, arg, like) -> DeclaredSizeError:
    """The error of require_declared and require_size: the templates filled in."""
    fields = {
        "name": arg,
        "declared": format_dim(declared),
        "shape": format_shape(x),
        "actual": format_dim(x[axis]),
        "axis": axis,
    }
    axis %= len(x)
    return DeclaredSizeError(
        message.format(**fields),
        expected=(*x[:axis], declared, *x[axis + 1 :]),
        received=x,
        hint=hint(declared, x) if callable(hint) else hint.format(**fields),
        input=input,
        arg=arg,
        declared=declared,
        like=like,
    )


def require_declared_trailing(x: tuple, cfg, name: str) -> None:
    """Check the sizes a layer argument declares for the last axes of its input (`normalized_shape`):
    `cfg.<name>`, a list (None: not declared). Raises DeclaredSizeError when they certainly differ."""
    declared = getattr(cfg, name)
    if declared is None:
        return
    n = len(declared)
    fits = len(x) >= n
    if fits and all(same_dim(a, b) is not None for a, b in zip(x[len(x) - n :], declared)):
        return
    message = f"normalizes the trailing shape {list(declared)} but receives {format_shape(x)}"
    if not fits:
        raise ShapeError(message, hint=f"{name} has {n} sizes: give an input of rank {n} or more")
    sizes = [format_dim(d) for d in x[len(x) - n :]]
    actual = "[" + ", ".join(sizes) + "]"
    said = f"last {n} axes are {actual}" if n > 1 else f"last axis is {sizes[0]}"
    raise DeclaredSizeError(
        message,
        expected=(*x[: len(x) - n], *declared),
        received=x,
        hint=f"the input's {said}: set {name}: {actual}",
        arg=name,
        declared=declared,
    )


def require_divisible(a: Dim, k: int, why) -> None:
    """Raise (or record a condition) unless k divides a (`why`: a text, or a function that writes it)."""
    if is_known(a):
        remainder = a % k
        if isinstance(remainder, int):
            if remainder:
                raise ShapeError(said(why))
        else:
            require("eq", remainder, why)


def require_at_least(a: Dim, low: int, why) -> None:
    """Raise (or record a condition) unless a >= low (`why`: a text, or a function that writes it)."""
    if is_known(a):
        if isinstance(a, int):
            if a < low:
                raise ShapeError(said(why))
        else:
            require("ge", a - low, why)


def broadcast_axis_name(shapes: list[tuple], position: int) -> int:
    """How a message names axis `position` (< 0, counted from the right) of a broadcast: its index
    in the broadcast shape, as PyTorch does ("… at non-singleton dimension 1")."""
    return max(len(s) for s in shapes) + position


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
                    f"cannot broadcast {listed}: axis {broadcast_axis_name(shapes, position)} "
                    f"has {format_dim(merged)} vs {format_dim(d)}",
                    received=shapes,
                    axis=position,
                )
            merged = common
        result.append(merged)
    return tuple(result)


# -- convolution and pooling lengths -------------------------------------------------


def conv_length(n: Dim, k: int, s: int, d: int, lo: int, hi: int) -> Dim:
    """Output length of a convolution or pooling window over n padded by lo/hi."""
    # floor((n + lo + hi - d*(k-1) - 1) / s) + 1
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def window_length(padding, n: Dim, k: int, s: int, d: int, lo: Dim, hi: Dim) -> Dim:
    """Output length of a window layer over n: ceil(n/s) for 'same' padding, else conv_length.

    'same' pads exactly enough for ceil(n/s) windows whatever the window (TensorFlow's rule,
    see same_padding), so the length is built directly: conv_length over the padded size
    gives the same number, but as a formula that nests the padding's max and mod atoms
    and grows with every strided layer, where ceil(ceil(n/2)/2) is just ceil(n/4).
    """
    if padding == "same":
        return ceil_div(n, s)
    return conv_length(n, k, s, d, lo, hi)


def same_padding(n: Dim, k: int, s: int, d: int) -> tuple[Dim, Dim]:
    """TensorFlow's 'same' padding (lo, hi): the extra pixel goes to the end."""
    # total = max(0, d*(k-1) - (n-1) % s); lo = floor(total/2); hi = total - lo
    total = dim_max(0, d * (k - 1) - (n - 1) % s)
    lo = total // 2
    return lo, total - lo


def ceil_pool_length(n: Dim, k: int, s: int, d: int, p: int) -> Dim:
    """PyTorch pooling length with ceil_mode: a last window starting in the right padding is dropped."""
    # out = ceil(m/s) + 1 with m = n + 2p - d(k-1) - 1, minus 1 if (out-1)*s >= n + p,
    # i.e. if (-m) % s >= t with t = d(k-1) + 1 - p: that is floor(((-m) % s + s - t) / s)
    m = n + 2 * p - d * (k - 1) - 1
    t = d * (k - 1) + 1 - p
    out = ceil_div(m, s) + 1
    if t <= 0:
        return out - 1
    if t > s - 1:
        return out
    return out - ((-m) % s + s - t) // s


def transposed_length(n: Dim, k: int, s: int, d: int, p: int, output_padding: int) -> Dim:
    """Output length of a transposed convolution (PyTorch)."""
    # (n-1)*s - 2p + d(k-1) + output_padding + 1
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def require_positive(length: Dim, what: str) -> Dim:
    """Raise (or record `length >= 1`) unless a computed output length is positive."""
    if isinstance(length, int):
        if length <= 0:
            raise ShapeError(f"{what} gives an output length of {length}; the input is too small")
    elif is_known(length) and bounds(length)[0] < 1:  # the message is written only when it may be used
        require_at_least(length, 1, f"{what} needs an output length {format_dim(length)} >= 1")
    return length


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


def map_spatial(cfg, x: tuple, rank: int, change) -> tuple:
    """The input with its spatial sizes replaced by change(list of spatial sizes)."""
    batch, channels, spatial = split_channels(cfg, x, rank)
    return join_channels(cfg, batch, channels, change(spatial))


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


def divide_exactly(a: Dim, b: int, what) -> Dim:
    """a / b for a divisor b > 0 that must divide a (`what` words the error, or writes it when called)."""
    if not is_known(a):
        return UNKNOWN
    require_divisible(a, b, what)
    return a // b
