"""The dims module: parsing, printing, canonical symbolic arithmetic, equality."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shapecli.dims import (
    ANY_SHAPE,
    UNKNOWN,
    Expr,
    ceil_div,
    dim_max,
    dim_to_json,
    equal,
    format_dim,
    format_shape,
    parse_dim,
    parse_expr,
    parse_shape,
    product,
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
        (H * W - H, "H*(W - 1)"),
        (16 * (H // 4 - 3) * (W // 4 - 3), "16*(floor(H/4) - 3)*(floor(W/4) - 3)"),
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


def test_conv_pool_towers_collapse():
    conv = lambda n, k, s, p: (n + 2 * p - (k - 1) - 1) // s + 1  # noqa: E731
    assert format_dim(conv(conv(H, 3, 2, 1), 3, 2, 1)) == "floor((H + 3)/4)"
    assert format_dim((H - 1) // 2 + 1) == "floor((H + 1)/2)"
    assert format_dim(((H - 1) // 2 + 1 - 1) // 2 + 1) == "floor((H + 3)/4)"
    assert format_dim((H + 2 * W) // 2) == "W + floor(H/2)"
    assert format_dim((H // 2) // 8) == "floor(H/16)"
    assert (H // 2) // 8 == H // 16


@pytest.mark.parametrize(
    "expr, bindings, value",
    [
        (H // 4 + W % 3, {"H": 17, "W": 8}, 6),
        (dim_max(H, W), {"H": 3, "W": 9}, 9),
        (ceil_div(H, 4), {"H": 17}, 5),
        ((H * W) // 4, {"H": 3, "W": 3}, 2),
    ],
)
def test_evaluate_matches_python(expr, bindings, value):
    assert expr.evaluate(bindings) == value


@st.composite
def expressions(draw, depth=3):
    """Random dims built with the operations layer rules use."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from([H, W, 1, 2, 3, 7]))
    a = draw(expressions(depth - 1))
    b = draw(expressions(depth - 1))
    op = draw(st.sampled_from(["+", "-", "*", "//", "%", "max"]))
    k = draw(st.integers(1, 9))
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "//":
        return a // k
    if op == "%":
        return a % k
    return dim_max(a, b)


@settings(max_examples=300, deadline=None)
@given(expr=expressions(), h=st.integers(1, 50), w=st.integers(1, 50))
def test_parse_format_roundtrip_and_evaluation(expr, h, w):
    text = format_dim(expr)
    parsed = parse_expr(text)
    assert parsed == expr, text
    if isinstance(expr, Expr):
        assert parsed.evaluate({"H": h, "W": w}) == expr.evaluate({"H": h, "W": w})
