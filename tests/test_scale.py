"""Input sizes that once fell off a cliff (issue 9): each case asserts what comes out — the
formula, the figures or the message — at the size the bench measures; the time is bench/scale.py's.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from shapecli.cli import main
from shapecli.dims import (
    MAX_PRODUCT_PAIRS,
    MAX_TERMS,
    MAX_WHERE_COMBINATIONS,
    DimTooComplex,
    Expr,
    dim_sum,
    format_dim,
    parse_shape,
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def concat_spec(tmp_path, widths: list[str], after: str = "") -> str:
    inputs = "".join(f"  x{i}: [B, {w}]\n" for i, w in enumerate(widths))
    sources = ", ".join(f"x{i}" for i in range(len(widths)))
    path = tmp_path / "concat.yaml"
    path.write_text(f"inputs:\n{inputs}layers:\n  - {{type: Concat, axis: 1, from: [{sources}]}}\n{after}")
    return str(path)


def symbols(n: int) -> list[Expr]:
    return [Expr.symbol(f"n{i}") for i in range(n)]


_H3 = 3 * Expr.symbol("H") + 1
"""One expression object, as the layers of a model inferred alike share theirs."""


@pytest.mark.parametrize(
    "dims",
    [
        [],
        [3, 4],
        [Expr.symbol("H"), 2, Expr.symbol("H") * 3, -1],
        [Expr.symbol("H") + 1, 1 - Expr.symbol("H")],
        [Expr.symbol("H") * Expr.symbol("W"), Expr.symbol("W"), 5],
        [_H3, _H3, 2, _H3, Expr.symbol("W"), _H3, Expr.symbol("W") + 1],  # runs of one object, and others
        [_H3] * 1_000,
    ],
)
def test_dim_sum_equals_adding_one_by_one(dims):
    expected = 0
    for d in dims:
        expected = expected + d
    assert dim_sum(dims) == expected


def test_a_concat_of_3000_constant_widths_adds_them(tmp_path):
    spec = concat_spec(tmp_path, [str(i % 7 + 1) for i in range(3_000)])
    result = invoke("inspect", spec, "--format", "json")
    assert result.exit_code == 0, result.stderr
    layer = json.loads(result.stdout)["layers"][0]
    assert layer["output_shape"] == ["B", sum(i % 7 + 1 for i in range(3_000))]


def test_a_concat_of_3000_symbolic_widths_is_their_sum(tmp_path):
    spec = concat_spec(tmp_path, [f"n{i}" for i in range(3_000)], "  - {type: Dense, units: 2}\n")
    result = invoke("inspect", spec, "--format", "json")
    assert result.exit_code == 0, result.stderr
    concat, dense = json.loads(result.stdout)["layers"]
    width = " + ".join(sorted(f"n{i}" for i in range(3_000)))
    assert concat["output_shape"] == ["B", width]
    assert parse_shape(concat["output_shape"][1]) == (sum(symbols(3_000)),)
    assert dense["output_shape"] == ["B", 2]
    assert dense["params"][0]["after"] == [2, width]


def test_a_concat_of_3000_symbolic_widths_formats_in_linear_form():
    total = dim_sum(symbols(3_000))
    assert len(total.terms) == 3_000
    text = format_dim(total * 2 * Expr.symbol("B"))
    assert text.count("+") == 2_999
    assert text.startswith("2*B*n0 + 2*B*n1 + ")


def test_a_product_that_multiplies_out_past_the_bound_is_refused():
    factors = [Expr.symbol(f"H{i}") + 1 for i in range(16)]
    with pytest.raises(DimTooComplex, match=f"more than {MAX_TERMS:,} terms"):
        total = 1
        for f in factors:
            total = total * f


def test_a_product_too_costly_to_multiply_is_refused():
    wide = dim_sum(symbols(1_000))
    with pytest.raises(
        DimTooComplex, match=f"more than {MAX_PRODUCT_PAIRS:,} terms .a product of 1,000 and 1,001 terms"
    ):
        wide * (wide + Expr.symbol("B"))


def test_a_symbol_times_a_wide_sum_is_not_a_blow_up():
    wide = dim_sum(symbols(3_000))
    assert len((wide * Expr.symbol("B")).terms) == 3_000


def test_1000_conditions_on_one_symbol_give_one_requirement(tmp_path):
    path = tmp_path / "pools.yaml"
    path.write_text("inputs: {x: [B, 4, H]}\nlayers:\n" + "  - {type: MaxPool1d, kernel_size: 2, stride: 1}\n" * 1_000)
    result = invoke("inspect", str(path), "--format", "json", "--where", "B=1,H=1000,1001")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["layers"][-1]["output_shape"] == ["B", 4, "H - 1000"]
    assert [w["bindings"] for w in document["where"]] == [{"B": 1, "H": 1000}, {"B": 1, "H": 1001}]


def test_where_options_together_are_bounded():
    values = ",".join(str(v) for v in range(1, 5_001))
    result = invoke(
        "inspect", "configs/mlp.yaml", "--input", "Bx20", "--where", f"B={values}", "--where", f"B={values},5001"
    )
    assert result.exit_code == 2
    assert f"the --where options ask for more than {MAX_WHERE_COMBINATIONS:,} combinations" in result.stderr
    assert "fewer --where options" in result.stderr


def test_where_options_together_at_the_bound_run():
    values = ",".join(str(v) for v in range(1, 5_001))
    result = invoke(
        "inspect",
        "configs/mlp.yaml",
        "--input",
        "Bx20",
        "-f",
        "json",
        "--where",
        f"B={values}",
        "--where",
        f"B={values}",
    )
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["where"]) == 10_000
