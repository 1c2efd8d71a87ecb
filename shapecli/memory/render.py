"""The memory report and the budget answer as tables (Grids, fitted to the terminal when printed);
their JSON keys are in json_keys.py. No arithmetic here beyond writing a number in units (KiB = 1024 bytes) and
splitting a linear formula for reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ..dims import Dim, Expr, format_dim, is_known
from ..render.grid import Grid
from .model import MemoryReport
from .units import human

if TYPE_CHECKING:  # budget.py is imported by --budget only
    from .budget import BudgetAnswer, Solved


def amount(value: Dim | None) -> str:
    """`25,769,803,776 bytes (24.0 GiB)`; a formula as written, with its rate when it is linear in one symbol."""
    if value is None or not is_known(value):
        return "?"
    if isinstance(value, int):
        return f"{value:,} bytes ({human(value)})" if value >= 1024 else f"{value:,} bytes"
    return f"{format_dim(value)} bytes{_rate(value)}"


def _rate(value: Expr) -> str:
    """`  (82.0 MiB per B + 389.2 MiB)` for a formula a*B + c; empty otherwise."""
    linear = _linear(value)
    if linear is None:
        return ""
    symbol, slope, constant = linear
    tail = f" + {human(constant)}" if constant else ""
    return f"  ({human(slope)} per {symbol}{tail})"


def _linear(value: Expr) -> tuple[str, int, int] | None:
    """(symbol, a, c) when value = a*symbol + c with a > 0 and c >= 0, else None."""
    slope, constant, symbol = 0, 0, None
    for monomial, coefficient in value.terms:
        if not monomial:
            constant = coefficient
        elif len(monomial) == 1 and monomial[0][1] == 1 and isinstance(monomial[0][0], str) and symbol is None:
            symbol, slope = monomial[0][0], coefficient
        else:
            return None
    if symbol is None or slope <= 0 or constant < 0:
        return None
    return symbol, slope, constant


def _short(value: Dim) -> str:
    if isinstance(value, int):
        return human(value) if value else "0"
    return format_dim(value) if is_known(value) else "?"


def memory_section(report: MemoryReport, evaluations=()) -> Grid:
    """The Memory section: parameters, gradients, optimizer state, activations, training total; inference peak;
    and both totals at each --where binding (`evaluations`: (text, training, inference))."""
    settings = report.settings
    title = f"Memory (training with {settings.describe()}; activations as PyTorch keeps them on {settings.device})"
    grid = Grid(title, ["", ""], header=False)
    grid.add_row(("Parameters", "bold"), amount(report.params))
    if report.buffers:
        grid.add_row(("Buffers", "bold"), amount(report.buffers))
    grid.add_row(("Gradients", "bold"), amount(report.gradients))
    grid.add_row((f"Optimizer state ({settings.optimizer})", "bold"), amount(report.optimizer_state))
    if settings.amp:
        grid.add_row((f"Compute copies ({settings.amp})", "bold"), amount(report.compute_copy))
    grid.add_row(("Activations (kept for backward)", "bold"), amount(report.activations))
    grid.add_row(("Training total", "bold"), (amount(report.training), "bold"))
    if len(report.peaks) <= MAX_SHOWN_PEAKS:
        grid.add_row(("Inference peak", "bold"), (amount(report.inference_peak), "bold"))
    else:
        fixed = report.params + report.buffers + report.inference_copy
        text = f"the largest of {len(report.peaks)} formulas (--format json has it whole) + {amount(fixed)}"
        grid.add_row(("Inference peak", "bold"), (text, "bold"))
    if len(report.peaks) == 1 and report.peaks[0][0]:
        grid.add_row(("  reached at", "dim"), (report.peaks[0][0], "dim"))
    elif len(report.peaks) > 1:
        grid.add_row(("  reached at", "dim"), (_peak_layers([path for path, _ in report.peaks]), "dim"))
    for where, training, inference in evaluations:
        grid.add_row((f"At {where}", "bold"), f"training {amount(training)}; inference peak {amount(inference)}")
    return grid


MAX_SHOWN_PEAKS = 3
"""An inference peak that is the largest of more formulas than this is summarized in the table."""


def _peak_layers(paths: list[str]) -> str:
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"{shown}, depending on the sizes"


def layer_memory_table(trace, report: MemoryReport) -> Grid:
    """`--memory`: per layer, what it keeps for backward, the bytes it is first to keep, and
    the activation bytes alive while it runs in inference."""
    grid = Grid(
        "Memory per layer (kept: first kept here, counted once; alive: activations alive during inference)",
        ["Layer", "Type", "Keeps for backward", "Kept", "Alive"],
        right=(3, 4),
    )
    for layer, memory in zip(trace.layers, report.layers):
        keeps = ", ".join(dict.fromkeys(memory.keeps)) or "-"
        grid.add_row(layer.path, layer.type, keeps, _short(memory.saved), _short(memory.alive))
    return grid


def budget_lines(answer: BudgetAnswer) -> Text:
    """`B ≤ 173 fits 24 GiB for training with adam (float32)`, and the same for inference."""
    settings = answer.settings
    precision = settings.dtype + (f" with {settings.amp} autocast" if settings.amp else "")
    out = Text()
    out.append(f"Budget {answer.size.describe()}\n", style="bold italic")
    if answer.missing:
        names = ", ".join(answer.missing)
        example = ",".join(f"{name}=…" for name in answer.missing)
        out.append(
            f"  cannot solve for {answer.symbol}: bind {names} with --where (e.g. --where {example})\n", "yellow"
        )
        return out
    for what, solved in (
        (f"training with {settings.optimizer} ({precision})", answer.training),
        (f"inference ({precision})", answer.inference),
    ):
        line, style = _budget_line(answer, what, solved)
        out.append(f"  {line}\n", style=style)
    out.rstrip()
    return out


def _budget_line(answer: BudgetAnswer, what: str, solved: Solved) -> tuple[str, str]:
    budget, symbol = answer.size.short, answer.symbol
    if solved.largest is None:
        verdict = "fits" if solved.fits else "does not fit" if solved.fits is False else "may not fit"
        subject = f"memory does not depend on {symbol}: " if symbol else ""
        return f"{subject}{what} needs {_needs(solved.bytes)}: {verdict} {budget}", "green" if solved.fits else "red"
    if solved.largest == 0:
        return f"{symbol} = 1 needs {_needs(solved.bytes)} for {what}: nothing fits {budget}", "bold red"
    if solved.unbounded:
        return f"{symbol} fits {budget} for {what} at any size tried (up to {solved.largest:,})", "green"
    at = f": {_needs(solved.bytes)} at {symbol} = {solved.largest:,}"
    return f"{symbol} ≤ {solved.largest:,} fits {budget} for {what}{at}", "bold green"


def _needs(value: Dim | None) -> str:
    return amount(value)
