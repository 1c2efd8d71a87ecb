"""Shared shape arithmetic, tested directly."""

from __future__ import annotations

import pytest

from shapecli.conditions import collecting
from shapecli.dims import UNKNOWN, Expr
from shapecli.errors import ShapeError
from shapecli.shape_math import (
    DeclaredSizeError,
    broadcast,
    conv_length,
    normalize_axis,
    require_declared,
    require_declared_trailing,
    require_rank,
    require_size,
    same_dim,
    same_padding,
    window_length,
)

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


def test_same_window_length_is_the_length_over_the_same_padding():
    """'same' builds ceil(n/s) directly; it must be the window count over TensorFlow's padding."""
    for n in range(0, 70):
        for k in range(1, 7):
            for s in range(1, 5):
                for d in range(1, 4):
                    lo, hi = same_padding(n, k, s, d)
                    padded = conv_length(n, k, s, d, lo, hi)
                    assert window_length("same", n, k, s, d, lo, hi) == padded == -(-n // s), (n, k, s, d)


@pytest.mark.parametrize("padding", ["valid", ((1, 2),)])
def test_window_length_of_other_paddings_is_conv_length(padding):
    lo, hi = (0, 0) if padding == "valid" else padding[0]
    assert window_length(padding, 17, 3, 2, 1, lo, hi) == conv_length(17, 3, 2, 1, lo, hi)
    assert window_length(padding, H, 3, 2, 1, lo, hi) == conv_length(H, 3, 2, 1, lo, hi)


def test_nested_same_windows_are_one_ceiling():
    """ceil(ceil(H/2)/3) = ceil(H/6): the formula does not grow with the depth."""
    length = H
    for _ in range(3):
        length = window_length("same", length, 3, 2, 1, 0, 0)
    assert length == (H + 7) // 8
    assert window_length("same", (H + 1) // 2, 5, 3, 1, 0, 0) == (H + 5) // 6


# -- declared sizes ---------------------------------------------------------------------------


def _cfg(**values):
    from types import SimpleNamespace

    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    "x, axis, declared, options, message, expected, hint",
    [
        (
            (2, 20),
            -1,
            30,
            {},
            "declares size=30 but receives (2, 20)",
            (2, 30),
            "set size: 20, or remove size",
        ),
        (
            (1, 3, 8, 8),
            1,
            4,
            {"unit": "channels"},
            "declares size=4 but receives (1, 3, 8, 8) with 3 channels",
            (1, 4, 8, 8),
            "set size: 3, or remove size",
        ),
        (
            (2, 6, 9),
            -1,
            8,
            {"message": "declares {name}={declared} but receives {shape} ({actual} on axis {axis})", "hint": "h"},
            "declares size=8 but receives (2, 6, 9) (9 on axis -1)",
            (2, 6, 8),
            "h",
        ),
        (
            (H, 5),
            1,
            4,
            {"hint": lambda declared, x: f"{declared} for {x}"},
            "declares size=4 but receives (H, 5)",
            (H, 4),
            "4 for (H, 5)",
        ),
    ],
)
def test_require_declared_raises_the_full_error(x, axis, declared, options, message, expected, hint):
    with pytest.raises(DeclaredSizeError) as caught:
        require_declared(x, axis, _cfg(size=declared), "size", input=1, **options)
    error = caught.value
    assert (error.message, error.expected, error.received, error.hint) == (message, expected, x, hint)
    assert (error.arg, error.input, error.like) == ("size", 1, None)


@pytest.mark.parametrize("x, declared", [((2, 20), None), ((2, 20), 20), ((2, UNKNOWN), 20)])
def test_require_declared_passes_what_fits_or_is_not_declared(x, declared):
    with collecting("test") as conditions:
        require_declared(x, -1, _cfg(size=declared), "size")
    assert conditions == []


def test_require_declared_on_a_symbol_records_the_condition():
    with collecting("test") as conditions:
        require_declared((2, H), -1, _cfg(size=3), "size")
    assert [(c.kind, c.expr) for c in conditions] == [("eq", H - 3)]


def test_require_size_names_the_input_axis_it_must_match():
    with pytest.raises(DeclaredSizeError) as caught:
        require_size((7, 2, 6), -1, 8, (0, 2), "needs {declared}, receives {shape}", "set kdim: {actual}", input=1)
    error = caught.value
    assert (error.message, error.hint, error.expected) == ("needs 8, receives (7, 2, 6)", "set kdim: 6", (7, 2, 8))
    assert (error.arg, error.like, error.input) == (None, (0, 2), 1)


@pytest.mark.parametrize(
    "x, declared, message, expected, hint",
    [
        (
            (2, 3, 8),
            [4, 8],
            "normalizes the trailing shape [4, 8] but receives (2, 3, 8)",
            (2, 4, 8),
            "the input's last 2 axes are [3, 8]: set normalized_shape: [3, 8]",
        ),
        (
            (2, 5),
            [4],
            "normalizes the trailing shape [4] but receives (2, 5)",
            (2, 4),
            "the input's last axis is 5: set normalized_shape: [5]",
        ),
        ((8,), [4, 8], "normalizes the trailing shape [4, 8] but receives (8,)", None, None),
    ],
)
def test_require_declared_trailing(x, declared, message, expected, hint):
    with pytest.raises(ShapeError) as caught:
        require_declared_trailing(x, _cfg(normalized_shape=declared), "normalized_shape")
    error = caught.value
    assert (error.message, error.expected) == (message, expected)
    if expected is not None:
        assert (error.hint, error.arg) == (hint, "normalized_shape")
    else:
        assert error.hint == "normalized_shape has 2 sizes: give an input of rank 2 or more"
