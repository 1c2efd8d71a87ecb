"""Dims as the command line writes them: `--input [NAME=]SHAPE` and `--where SYM=V[,V…]`.

Shapes split on `x` or on commas, but never inside parentheses, so every printed
dim can be given back: `--input 2,3*(H + 1)`, `--input 2,max(H, W)`.
"""

from __future__ import annotations

import itertools
import re

from ..errors import InputError, did_you_mean
from .algebra import MAX_SIZE
from .text import parse_dim

MAX_RANK = 64
"""Most axes a shape may have (NumPy's limit; PyTorch's is lower)."""

MAX_WHERE_COMBINATIONS = 10_000
"""Most value combinations one `--where` may ask for."""

_DIGITS = re.compile(r"[0-9]+\Z")
_FUNCTION_CALL = re.compile(r"(?:floor|ceil|min|max)\s*(?=\()")


def _split_top_level(body: str, separator: str) -> list[str]:
    """`body` split at `separator` outside parentheses. The name of a function call
    (`max(H, W)`) is skipped whole; any other `x` splits, so a symbol containing an `x`
    needs the comma form (`batch,max_len`)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        char = body[i]
        call = _FUNCTION_CALL.match(body, i) if separator == "x" else None
        if call:
            i = call.end()
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def parse_shape(text: str) -> tuple:
    """A shape from command-line text: `2x20`, `Bx3xHxW`, `2,20`, `(2, 20)`, `2,3*(H + 1)`."""
    body = text.strip()
    if body[:1] + body[-1:] in ("()", "[]"):
        body = body[1:-1]
    if not body.strip():
        raise InputError(f"'{text}' is not a shape (expected dims such as 2x20)")
    parts = _split_top_level(body, ",")
    if len(parts) == 1:
        parts = _split_top_level(body, "x")
    if len(parts) > MAX_RANK:
        raise InputError(f"'{text[:30]}…' has {len(parts)} axes; shapecli handles at most {MAX_RANK}")
    if any(not part.strip() for part in parts):
        raise InputError(f"'{text}' has an empty dimension (expected dims such as 2x20)")
    return tuple(parse_dim(part) for part in parts)


def parse_input(value: str) -> tuple[str | None, tuple]:
    """An `--input` value: `SHAPE` or `NAME=SHAPE`."""
    name, separator, shape = value.partition("=")
    if not separator:
        return None, parse_shape(value)
    try:
        return name.strip(), parse_shape(shape)
    except InputError as e:
        raise InputError(f"--input {value}: {e.message}") from None


def parse_where(text: str, symbols: set[str]) -> list[dict[str, int]]:
    """`--where` values: `H=224,W=224` → [{H: 224, W: 224}]; `H=224,256` → [{H: 224}, {H: 256}]
    (every combination when several symbols have lists). `symbols` are the ones that exist;
    values are sizes ≥ 1, as symbols stand for."""
    values: dict[str, list[int]] = {}
    current = None
    for part in text.split(","):
        name, equals, value = part.strip().rpartition("=")
        if equals:
            current = name.strip()
            if current not in symbols:
                known = ", ".join(sorted(symbols)) or "none: give a symbolic --input such as Bx3xHxW"
                raise InputError(
                    f"--where {text}: '{current}' is not a symbol of the inputs (they have: {known})",
                    hint=did_you_mean(current, symbols),
                )
            values.setdefault(current, [])
        value = value.strip()
        if current is None or not _DIGITS.match(value):
            raise InputError(f"--where {text}: expected SYMBOL=VALUE[,VALUE…], e.g. H=224,W=224")
        if len(value) > 19 or not 1 <= int(value) <= MAX_SIZE:
            raise InputError(f"--where {text}: {current} must be a size from 1 to 2^63 - 1, received {value[:24]}")
        values[current].append(int(value))
    count = 1
    for listed in values.values():
        count *= len(listed)
    if count > MAX_WHERE_COMBINATIONS:
        raise InputError(
            f"--where {text} asks for {count:,} combinations of values; at most {MAX_WHERE_COMBINATIONS:,}",
            hint="give fewer values, or several --where options",
        )
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*(values[n] for n in names))]


def parse_wheres(texts, symbols: set[str]) -> list[dict[str, int]]:
    """The combinations of every `--where` option, in order; together at most MAX_WHERE_COMBINATIONS
    (each option is bounded by parse_where, and repeating the option must not lift the bound)."""
    combinations: list[dict[str, int]] = []
    for text in texts:
        combinations.extend(parse_where(text, symbols))
        if len(combinations) > MAX_WHERE_COMBINATIONS:
            raise InputError(
                f"the --where options ask for more than {MAX_WHERE_COMBINATIONS:,} combinations of values "
                f"together (at --where {text[:40]}); at most {MAX_WHERE_COMBINATIONS:,}",
                hint="give fewer values, or fewer --where options",
            )
    return combinations
