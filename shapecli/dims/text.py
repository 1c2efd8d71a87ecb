"""The text form of dims: printing (`floor((H + 1)/2)`, `(2, 20)`) and parsing it back.

Printing is canonical (equal dims print alike) and parses back to an equal dim:
`parse_expr(format_dim(d)) == d`.
"""

from __future__ import annotations

import math
import re

from ..errors import InputError
from ..expr import Context, ExprError, evaluate, parse
from .algebra import (
    MAX_SIZE,
    UNKNOWN,
    Dim,
    DimTooComplex,
    Expr,
    Unknown,
    atom_key,
    bounds,
    exact_div,
    extreme,
    term_key,
)


def format_dim(dim: Dim, unknown: str = "?") -> str:
    """Text of a dim: `20`, `2*H + 1`, `floor((H - 1)/2) + 1`, `16*(floor(H/4) - 3)*(W - 1)`,
    or the `unknown` mark. A product of sums is shown factored; parsing the text gives the dim back."""
    if isinstance(dim, int):
        return str(dim)
    if isinstance(dim, Unknown):
        return unknown
    factors = _factors(dim)
    if factors is not None:
        scale, parts = factors
        texts = [f"({_format_sum(p)})" if len(p.terms) > 1 or "%" in _format_sum(p) else _format_sum(p) for p in parts]
        return "*".join(([str(scale)] if scale != 1 else []) + texts) if scale != -1 else "-" + "*".join(texts)
    return _format_sum(dim)


def _factors(dim: Expr) -> tuple[int, list[Expr]] | None:
    """(c, [p1, p2, …]) with dim = c * p1 * p2 * … and at least two factors, or None.

    Splits off one atom at a time: dim = x*A + B with B = r*A gives (x + r)*A.
    """
    if len(dim.terms) < 2 or -term_key(dim.terms[0])[0] < 2:
        return None
    coefficients = [c for _, c in dim.terms]
    scale = math.gcd(*coefficients) * (1 if coefficients[0] > 0 else -1)
    rest = dim * 1 if scale == 1 else Expr.from_coefficients({m: c // scale for m, c in dim.terms})
    parts = []
    while isinstance(rest, Expr):
        split = _split_linear_factor(rest)
        if split is None:
            break
        factor, rest = split
        parts.append(factor)
    if not parts:
        return None
    if isinstance(rest, Expr):
        parts.append(rest)
    elif rest != 1:
        scale *= rest
    parts.sort(key=lambda p: (len(p.terms) > 1, p.key))
    return (scale, parts) if len(parts) > 1 or scale != 1 else None


def _split_linear_factor(expr: Expr) -> tuple[Expr, Dim] | None:
    """(x + r, A) with expr = (x + r) * A for an atom x of degree 1 everywhere, or None."""
    holding: dict = {}
    for monomial, _ in expr.terms:
        for atom, _ in monomial:
            holding[atom] = holding.get(atom, 0) + 1
    half = len(expr.terms) / 2
    # (x + r)*A with r != 0 has as many terms with x as without: other atoms are skipped
    # without the quadratic split (a sum of thousands of symbols has thousands of atoms).
    for atom in sorted((atom for atom, count in holding.items() if count == half), key=atom_key):
        with_x, without_x = {}, {}
        for monomial, c in expr.terms:
            powers = dict(monomial)
            if powers.get(atom, 0) > 1:
                break
            if atom in powers:
                del powers[atom]
                with_x[tuple(sorted(powers.items(), key=lambda item: atom_key(item[0])))] = c
            else:
                without_x[monomial] = c
        else:
            a, b = Expr.from_coefficients(with_x), Expr.from_coefficients(without_x)
            if isinstance(a, int):
                continue
            lead_monomial, lead = a.terms[0]
            ratio, remainder = divmod(dict(b.terms).get(lead_monomial, 0) if isinstance(b, Expr) else 0, lead)
            if remainder == 0 and b == a * ratio and (ratio != 0 or b == 0):
                if ratio == 0:
                    continue
                x = Expr.of_atom(atom)
                return x + ratio, a
    return None


def _format_sum(dim: Dim) -> str:
    if isinstance(dim, int):
        return str(dim)
    parts = []
    for monomial, c in dim.terms:
        magnitude = abs(c)
        alone = len(monomial) == 1 and monomial[0][1] == 1 and magnitude == 1 and (c > 0 or bool(parts))
        factors = [_format_factor(a, alone) if p == 1 else f"{_format_factor(a, False)}^{p}" for a, p in monomial]
        if not factors:
            body = str(magnitude)
        elif magnitude == 1:
            body = "*".join(factors)
        else:
            body = "*".join([str(magnitude), *factors])
        if not parts:
            parts.append(body if c > 0 else f"-{body}")
        else:
            parts.append(f"+ {body}" if c > 0 else f"- {body}")
    return " ".join(parts)


def _format_factor(atom, alone: bool) -> str:
    """An atom inside a product: `H % 16` needs parentheses there (`*` and `%` bind alike)."""
    text = format_atom(atom)
    return text if alone or isinstance(atom, str) or atom.kind != "mod" else f"({text})"


def format_atom(atom) -> str:
    """Text of one atom: a symbol, `floor(E/k)`, `E % k`, `max(a, b)`, `min(a, b)`."""
    if isinstance(atom, str):
        return atom
    if atom.kind in ("max", "min"):
        return f"{atom.kind}({format_dim(atom.args[0])}, {format_dim(atom.args[1])})"
    numerator, k = atom.args
    text = format_dim(numerator)
    if not (isinstance(numerator, Expr) and numerator.single_atom() is not None):
        text = f"({text})"
    return f"floor({text}/{k})" if atom.kind == "floordiv" else f"{text} % {k}"


def format_shape(shape, unknown: str = "?") -> str:
    """Text of a shape as a tuple: `(2, 20)`, `(256,)`, `()`."""
    items = [format_dim(d, unknown) for d in shape]
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def dim_to_json(dim: Dim):
    """JSON value of a dim: an int, null for unknown, a string for an expression."""
    if isinstance(dim, int):
        return dim
    if isinstance(dim, Unknown):
        return None
    return format_dim(dim)


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_UNKNOWN_WORDS = {"?", "null", "none", "_"}


def parse_expr(text: str) -> Dim:
    """A dim expression in the printed syntax: `2*H + 1`, `floor((H - 1)/2) + 1`, `H % 16`, `max(H, W)`."""
    try:
        value = evaluate(parse(text), _DIM_CONTEXT)
    except (ExprError, ZeroDivisionError, TypeError, DimTooComplex) as e:
        reason = e.message if isinstance(e, DimTooComplex) else e
        raise InputError(f"'{text.strip()}' is not a dimension ({reason})") from None
    if not isinstance(value, (int, Expr)) or isinstance(value, bool):
        raise InputError(f"'{text.strip()}' is not a dimension (expected an integer expression)")
    return value


class _DimContext(Context):
    """Names are symbols, `/` must divide exactly, min and max are symbolic."""

    def name(self, name: str):
        return Expr.symbol(name)

    def divide(self, a, b):
        return exact_div(a, b)

    def extreme(self, kind: str, a, b):
        return extreme(kind, a, b)


_DIM_CONTEXT = _DimContext()


def parse_dim(text: str) -> Dim:
    """A dim from text: `20`, `H`, `2*H + 1`, `floor(H/2)`, or `?` / `null` / `_` for unknown.

    A size is an integer from 0 to 2^63 - 1 (int64, as the frameworks count), or an
    expression that is at least 0 for every value ≥ 1 of its symbols.
    """
    word = text.strip()
    if word.lower() in _UNKNOWN_WORDS:
        return UNKNOWN
    if _DIGITS.match(word):
        if len(word) > 19 or int(word) > MAX_SIZE:
            raise InputError(f"'{word[:24]}{'…' if len(word) > 24 else ''}' is not a dimension (at most 2^63 - 1)")
        return int(word)
    if _SYMBOL.match(word):
        return Expr.symbol(word)
    value = parse_expr(word)
    if isinstance(value, int):
        if value < 0:
            raise InputError(f"'{word}' is not a dimension (a size is at least 0)")
        if value > MAX_SIZE:
            raise InputError(f"'{word}' is not a dimension (at most 2^63 - 1)")
    elif bounds(value)[0] < 0:
        raise InputError(
            f"'{word}' is not a dimension: it is negative for some sizes of "
            f"{', '.join(sorted(value.symbols))} (symbols stand for sizes of at least 1)"
        )
    return value
