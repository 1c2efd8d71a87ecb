"""Memory budgets: sizes such as `24GiB`, the largest value of a symbol that fits, and `check: max_memory`.

Training and inference memory never decrease as a size grows, so the largest
value that fits is found by doubling, then bisecting, on the exact formula:
memory at the answer fits, at the answer + 1 it does not. A value must also
satisfy the model's conditions on that symbol (`H % 16 == 0`).
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..records import NamedTuple
from ..dims import Dim, Expr, bounds, format_shape, is_known
from ..errors import Diagnostic, InputError
from .units import human

UNITS = {
    "b": (1, "bytes"),
    "kb": (10**3, "kB"),
    "mb": (10**6, "MB"),
    "gb": (10**9, "GB"),
    "tb": (10**12, "TB"),
    "kib": (2**10, "KiB"),
    "mib": (2**20, "MiB"),
    "gib": (2**30, "GiB"),
    "tib": (2**40, "TiB"),
}
"""Unit (lower case) → (bytes, how it is written): kB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024."""

_SIZE = re.compile(r"\s*(\d{1,15}(?:\.\d{1,9})?)\s*([A-Za-z]{0,3})\s*\Z")
MAX_VALUE = 1 << 62
"""Largest value the solver tries; a memory that still fits there is reported as unbounded."""


class Size(NamedTuple):
    """A size as given (`24GiB`) and in bytes; `unit` is how its unit is written."""

    bytes: int
    number: str
    unit: str

    def describe(self) -> str:
        """`24 GiB (25,769,803,776 bytes; 1 GiB = 2^30 bytes)`."""
        if self.unit == "bytes":
            return f"{self.bytes:,} bytes"
        factor = UNITS[self.unit.lower()][0]
        base = f"2^{factor.bit_length() - 1}" if factor & (factor - 1) == 0 else f"10^{len(str(factor)) - 1}"
        return f"{self.number} {self.unit} ({self.bytes:,} bytes; 1 {self.unit} = {base} bytes)"

    @property
    def short(self) -> str:
        """`24 GiB`."""
        return f"{self.number} {self.unit}"

    @property
    def base(self) -> str:
        """'binary' (KiB… = 1024ⁿ), 'decimal' (kB… = 1000ⁿ) or 'bytes'."""
        if self.unit == "bytes":
            return "bytes"
        return "binary" if "i" in self.unit else "decimal"


def parse_size(text: str) -> Size:
    """`24GiB`, `1.5 GB`, `16000000000` (bytes) → Size; KiB/MiB/GiB = 1024ⁿ, kB/MB/GB = 1000ⁿ."""
    match = _SIZE.match(str(text))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in UNITS and unit:
        raise InputError(
            f"'{text}' is not a memory size",
            hint="write a number and a unit: 24GiB (GiB = 2^30 bytes) or 24GB (GB = 10^9 bytes); "
            "KiB, MiB, GiB, TiB count in 1024s, kB, MB, GB, TB in 1000s, a bare number in bytes",
        )
    factor, written = UNITS[unit or "b"]
    value = Fraction(match.group(1)) * factor
    if value < 1:
        raise InputError(f"'{text}' is less than one byte; a memory budget must be at least 1 byte")
    return Size(int(value), match.group(1), written)


class Solved(NamedTuple):
    """The answer for one of training and inference.

    `largest` is the largest value that fits (0: not even 1; None: not solved —
    the memory does not depend on the symbol, or no symbol); `bytes` the memory
    there (or at the given sizes); `fits` whether the given sizes fit.
    """

    largest: int | None
    bytes: Dim | None
    fits: bool | None
    unbounded: bool = False


class BudgetAnswer(NamedTuple):
    """The largest value of `symbol` whose training (and inference) memory fits `size`."""

    symbol: str | None
    size: Size
    training: Solved | None
    inference: Solved | None
    missing: list[str]
    settings: object


def default_symbol(trace) -> str | None:
    """The batch symbol: the first symbol in the first input shape that has one."""
    for shape in trace.inputs.values():
        for dim in shape:
            if isinstance(dim, Expr):
                return min(dim.symbols)
    return None


def solve_budget(trace, report, size: Size, symbol: str | None, bindings: dict[str, int]) -> BudgetAnswer:
    """The largest value of `symbol` (default: the batch symbol) whose memory fits `size`.

    Other symbols must be bound in `bindings` (from --where); the answer lists those that are not.
    """
    symbols = trace.symbols
    if symbol is not None and symbol not in symbols:
        known = ", ".join(sorted(symbols)) or "none: give a symbolic --input such as Bx3x224x224"
        raise InputError(f"--solve {symbol}: '{symbol}' is not a symbol of the inputs (they have: {known})")
    symbol = symbol or default_symbol(trace)
    if symbol is not None and symbol in bindings:
        raise InputError(f"--solve {symbol} and --where {symbol}=…: the symbol to solve for cannot be bound too")
    training, inference = _fixed(report.training, bindings), _fixed(report.inference_peak, bindings)
    if not (is_known(training) and is_known(inference)):
        raise InputError(
            "--budget: the memory is unknown, because an input size is unknown (?)",
            hint="give every input size with --input, e.g. --input Bx20",
        )
    missing = sorted((_symbols(training) | _symbols(inference)) - {symbol})
    if missing:
        return BudgetAnswer(symbol, size, None, None, missing, report.settings)
    # the model's conditions on this symbol (those still undecided with only the others bound)
    conditions = [r for r in trace.requires if r.test(bindings) is None]

    def training_at(value: int) -> Dim:
        return report.training_at({**bindings, symbol: value})

    def inference_at(value: int) -> Dim:
        return report.inference_at({**bindings, symbol: value})

    return BudgetAnswer(
        symbol,
        size,
        _solve(training, training_at, symbol, size.bytes, conditions, bindings),
        _solve(inference, inference_at, symbol, size.bytes, conditions, bindings),
        [],
        report.settings,
    )


def _fixed(value: Dim, bindings: dict[str, int]) -> Dim:
    return value.evaluate(bindings) if isinstance(value, Expr) else value


def _symbols(value: Dim) -> set[str]:
    return value.symbols if isinstance(value, Expr) else set()


def _solve(formula: Dim, at, symbol: str | None, budget: int, conditions: list, bindings: dict) -> Solved:
    """Largest v >= 1 with at(v) <= budget and the conditions holding; or whether a fixed size fits."""
    if symbol is None or symbol not in _symbols(formula):
        value = formula if symbol is None else at(1)
        return Solved(None, value, value <= budget if isinstance(value, int) else None)
    if at(1) > budget:
        return Solved(0, at(1), False)
    low, high = 1, 2
    while high <= MAX_VALUE and at(high) <= budget:
        low, high = high, high * 2
    if high > MAX_VALUE:
        return Solved(low, at(low), True, unbounded=True)
    while high - low > 1:  # at(low) fits, at(high) does not
        middle = (low + high) // 2
        if at(middle) <= budget:
            low = middle
        else:
            high = middle
    value = _satisfying(low, symbol, conditions, bindings)
    if value is None:
        return Solved(0, at(1), False)
    return Solved(value, at(value), True)


def _satisfying(value: int, symbol: str, conditions: list, bindings: dict, tries: int = 100_000) -> int | None:
    """The largest v <= value that satisfies every condition (the model's valid inputs)."""
    for candidate in range(value, max(value - tries, 0), -1):
        if all(r.test({**bindings, symbol: candidate}) is not False for r in conditions):
            return candidate
    return None


# -- check: max_memory -----------------------------------------------------------------


class MemoryLimit(NamedTuple):
    """A spec's `check: {max_memory: 16GiB}`: the training memory it must stay within, and where it is written."""

    size: Size
    loc: object


def memory_limit_errors(model, trace, limit: MemoryLimit) -> list[Diagnostic]:
    """An error, located at `max_memory`, when training at the checked inputs needs more than the limit."""
    from .model import memory_report

    report = memory_report(model, trace)
    if report is None:
        return []
    needed = report.training
    inputs = ", ".join(f"{name} {format_shape(shape)}" for name, shape in trace.inputs.items())
    low, high = bounds(needed)
    if high <= limit.size.bytes:
        return []
    if low > limit.size.bytes:
        at_least = "" if low == high else "at least "
        message = (
            f"training with {report.settings.describe()} needs {at_least}{int(low):,} bytes ({human(int(low))}) "
            f"at inputs {inputs}: more than max_memory {limit.size.short} ({limit.size.bytes:,} bytes)"
        )
        hint = "lower the batch of the check inputs, or raise max_memory"
    else:
        symbols = sorted(_symbols(needed))
        depends = f"depends on {', '.join(symbols)}" if symbols else "is unknown (an input size is unknown)"
        message = f"max_memory {limit.size.short} cannot be checked: training memory {depends} at inputs {inputs}"
        hint = "give check: inputs sizes, e.g. check: {inputs: {x: 8x3x224x224}}"
    return [Diagnostic("memory_limit", message, model.file, limit.loc, None, hint=hint)]
