"""The dims module: parsing, printing, canonical symbolic arithmetic, equality."""

from __future__ import annotations

import pytest

from shapecli.dims import (
    ANY_SHAPE, UNKNOWN, Expr, dim_to_json, equal, format_dim, format_shape, parse_dim, parse_shape, product,
)
from shapecli.errors import InputError

H, W, B = Expr.symbol("H"), Expr.symbol("W"), Expr.symbol("B")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2x20", (2, 20)),
        ("2x3x224x224", (2, 3, 224, 224)),
        ("Bx20", (B, 20)),
        ("Bx3xHxW", (B, 3, H, W)),
        ("2,20", (2, 20)),
        ("(2, 20)", (2, 20)),
        ("[2, 20]", (2, 20)),
        ("batch,max_len", (Expr.symbol("batch"), Expr.symbol("max_len"))),
        ("?x20", (UNKNOWN, 20)),
        ("20", (20,)),
        ("0x5", (0, 5)),
    ],
)
def test_parse_shape(text, expected):
    assert parse_shape(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is not a shape"),
        ("2x", "has an empty dimension"),
        ("2xx3", "has an empty dimension"),
        ("2x-1", "'-1' is not a dimension"),
        ("2x1.5", "'1.5' is not a dimension"),
        ("2x$", "'$' is not a dimension"),
    ],
)
def test_parse_shape_rejects(text, message):
    with pytest.raises(InputError) as caught:
        parse_shape(text)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "dim, text",
    [
        (20, "20"),
        (UNKNOWN, "?"),
        (H, "H"),
        (H + 1, "H + 1"),
        (H - 1, "H - 1"),
        (1 - H, "-H + 1"),
        (2 * H * W + 3, "2*H*W + 3"),
        (H * H, "H^2"),
        (B * H * W * 64, "64*B*H*W"),
        (H * W - H, "H*W - H"),
    ],
)
def test_format_dim(dim, text):
    assert format_dim(dim) == text


@pytest.mark.parametrize(
    "left, right",
    [
        (H + W, W + H),
        ((H + 1) - 1, H),
        (H * 2 + H, 3 * H),
        ((H + 1) * (H - 1), H * H - 1),
        (H * (W + 2), 2 * H + W * H),
    ],
)
def test_canonical_form(left, right):
    assert left == right
    assert hash(left) == hash(right)
    assert format_dim(left) == format_dim(right)


def test_constant_results_are_ints():
    assert (H + 3) - H == 3
    assert type((H + 3) - H) is int
    assert H * 0 == 0


def test_unknown_absorbs_arithmetic():
    for value in (UNKNOWN + 1, 2 * UNKNOWN, UNKNOWN - H, H * UNKNOWN, UNKNOWN // 2, 5 % UNKNOWN):
        assert value is UNKNOWN


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (3, 3, True),
        (3, 4, False),
        (H, H, True),
        (H + 1, H, False),
        (H, W, None),
        (H, 4, None),
        (UNKNOWN, 4, None),
        (UNKNOWN, UNKNOWN, None),
    ],
)
def test_equal(a, b, expected):
    assert equal(a, b) is expected


def test_product_and_json():
    assert product([2, 3, 4]) == 24
    assert product([]) == 1
    assert product([2, H]) == 2 * H
    assert product([2, UNKNOWN]) is UNKNOWN
    assert [dim_to_json(d) for d in (5, UNKNOWN, H + 1)] == [5, None, "H + 1"]


@pytest.mark.parametrize(
    "shape, unknown, text",
    [((2, 20), "?", "(2, 20)"), ((256,), "?", "(256,)"), ((), "?", "()"), ((256, UNKNOWN), "-1", "(256, -1)")],
)
def test_format_shape(shape, unknown, text):
    assert format_shape(shape, unknown) == text


def test_parse_dim_roundtrips_format():
    for dim in (7, H, UNKNOWN):
        assert parse_dim(format_dim(dim)) == dim


def test_any_shape_is_unknown_everywhere():
    assert ANY_SHAPE[-1] is UNKNOWN
    assert ANY_SHAPE[3] is UNKNOWN
    assert ANY_SHAPE[1:] is ANY_SHAPE


def test_evaluate():
    assert (2 * H + W).evaluate({"H": 3, "W": 4}) == 10
    assert (2 * H + W).evaluate({"H": 3}) == W + 6
