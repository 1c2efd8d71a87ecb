"""Dimensions: their algebra, their text form, and how the command line writes them.

    algebra.py   int | Expr (canonical symbolic polynomial) | UNKNOWN, arithmetic, bounds, equality
    text.py      printing dims and shapes, and parsing the printed form back
    values.py    `--input` shapes and `--where` values

Everything public is importable from `shapecli.dims`.
"""

from .algebra import (
    ANY_SHAPE,
    MAX_FORMULA_TERMS,
    MAX_PRODUCT_PAIRS,
    MAX_SIZE,
    MAX_TERMS,
    UNKNOWN,
    AnyShape,
    Dim,
    DimTooComplex,
    Expr,
    Op,
    Unknown,
    bounds,
    ceil_div,
    dim_max,
    dim_min,
    dim_sum,
    equal,
    exact_div,
    extreme,
    is_known,
    product,
)
from .text import dim_to_json, format_atom, format_dim, format_shape, parse_dim, parse_expr
from .values import MAX_RANK, MAX_WHERE_COMBINATIONS, parse_input, parse_shape, parse_where, parse_wheres

__all__ = [
    "ANY_SHAPE",
    "MAX_FORMULA_TERMS",
    "MAX_PRODUCT_PAIRS",
    "MAX_RANK",
    "MAX_SIZE",
    "MAX_TERMS",
    "MAX_WHERE_COMBINATIONS",
    "UNKNOWN",
    "AnyShape",
    "Dim",
    "DimTooComplex",
    "Expr",
    "Op",
    "Unknown",
    "bounds",
    "ceil_div",
    "dim_max",
    "dim_min",
    "dim_sum",
    "dim_to_json",
    "equal",
    "exact_div",
    "extreme",
    "format_atom",
    "format_dim",
    "format_shape",
    "is_known",
    "parse_dim",
    "parse_expr",
    "parse_input",
    "parse_shape",
    "parse_where",
    "parse_wheres",
    "product",
]
