"""Shape arithmetic shared by the layer rules: axes, broadcasting, equal sizes.

Every function is pure and raises ShapeError with a phrase that completes
"<Type> '<path>' …" when the shapes do not fit.
"""

from __future__ import annotations

from .dims import Dim, equal, format_dim, format_shape, is_known
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
