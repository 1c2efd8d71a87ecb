"""Shared shape arithmetic, tested directly."""

from __future__ import annotations

import pytest

from shapecli.dims import UNKNOWN, Expr
from shapecli.errors import ShapeError
from shapecli.shape_math import broadcast, normalize_axis, require_rank, same_dim

H = Expr.symbol("H")


@pytest.mark.parametrize(
    "shapes, expected",
    [
        ([(2, 3), (2, 3)], (2, 3)),
        ([(2, 3), (3,)], (2, 3)),
        ([(2, 1), (1, 3)], (2, 3)),
        ([(5, 1, 4), (3, 1)], (5, 3, 4)),
        ([(), (2, 2)], (2, 2)),
        ([(UNKNOWN, 3), (2, 3)], (2, 3)),
        ([(UNKNOWN, 3), (1, 3)], (UNKNOWN, 3)),
        ([(H, 3), (H, 1)], (H, 3)),
        ([(H, 3), (1, 3)], (H, 3)),
    ],
)
def test_broadcast(shapes, expected):
    assert broadcast(shapes) == expected


@pytest.mark.parametrize(
    "shapes, message",
    [
        ([(2, 3), (2, 4)], "cannot broadcast (2, 3) and (2, 4): axis 1 has 3 vs 4"),
        ([(H + 1, 3), (H, 3)], "axis 0 has H + 1 vs H"),
    ],
)
def test_broadcast_errors(shapes, message):
    with pytest.raises(ShapeError) as caught:
        broadcast(shapes)
    assert message in caught.value.message


@pytest.mark.parametrize("axis, rank, expected", [(0, 3, 0), (-1, 3, 2), (-3, 3, 0), (2, 3, 2)])
def test_normalize_axis(axis, rank, expected):
    assert normalize_axis(axis, rank) == expected


@pytest.mark.parametrize("axis, rank", [(3, 3), (-4, 3), (0, 0)])
def test_normalize_axis_out_of_range(axis, rank):
    with pytest.raises(ShapeError) as caught:
        normalize_axis(axis, rank)
    assert f"has axis {axis}, out of range for a rank-{rank} input" == caught.value.message


@pytest.mark.parametrize(
    "shape, low, high, message",
    [
        ((2,), 2, 2, "expects a rank-2 input, receives (2,)"),
        ((2,), 2, None, "expects an input of rank ≥ 2, receives (2,)"),
        ((2, 3, 4, 5), 2, 3, "expects an input of rank 2 to 3, receives (2, 3, 4, 5)"),
    ],
)
def test_require_rank(shape, low, high, message):
    with pytest.raises(ShapeError) as caught:
        require_rank(shape, low, high)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "a, b, expected",
    [(3, 3, 3), (3, 4, None), (UNKNOWN, 4, 4), (4, UNKNOWN, 4), (H, H, H), (H, 4, H), (H + 1, H, None)],
)
def test_same_dim(a, b, expected):
    assert same_dim(a, b) == expected
