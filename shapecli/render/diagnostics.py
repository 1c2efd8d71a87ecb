"""A diagnostic as a compiler prints it: location, message, code frame, the shapes with
the disagreeing axes marked, where each disagreeing size came from, hint, notes."""

from __future__ import annotations

import re

from rich.text import Text

from ..dims import format_dim, format_shape
from ..errors import Diagnostic
from ..kinds import KINDS
from .escape import printable


def _shape_or_shapes(value, unknown: str = "?") -> str:
    if isinstance(value, tuple):
        return format_shape(value, unknown)
    return " and ".join(format_shape(s, unknown) for s in value)


def render_diagnostic(diagnostic: Diagnostic, text: str | None) -> Text:
    """The report of one diagnostic; every string from the spec is escaped."""
    d = diagnostic
    kind = KINDS[d.kind]
    if kind.severity == "note":
        return Text(f"note: {printable(d.message)}", style="bold")
    where = printable(d.file) if d.file else "shapecli"
    if d.file and d.loc:
        where = f"{where}:{d.loc.line}:{d.loc.column}"
    out = Text()
    out.append(f"{where}: ", style="bold")
    if kind.severity == "warning":
        out.append("warning: ", style="bold yellow")
    else:
        out.append("error: ", style="bold red")
    out.append(printable(d.message) + "\n", style="bold")
    _code_frame(out, d, text)
    if d.path:
        out.append(f"  {(kind.label + ':').ljust(9)} {printable(d.path)}\n")
    pair = isinstance(d.expected, tuple) and isinstance(d.received, tuple)
    if d.inputs and (len(d.inputs) > 1 or not pair):
        out.append("  inputs:\n")
        labels = [printable(label) for label, _ in d.inputs]
        width = max(len(label) for label in labels)
        _shape_rows(
            out,
            [f"    {label.ljust(width)}  " for label in labels],
            [s for _, s in d.inputs],
            d.axes if not pair else (),
        )
    if pair:
        _shape_rows(out, ["  expected: ", "  received: "], [d.expected, d.received], d.axes)
    else:
        if d.expected is not None:
            out.append(f"  expected: {_shape_or_shapes(d.expected)}\n")
        if d.received is not None and not d.inputs:
            out.append(f"  received: {_shape_or_shapes(d.received)}\n")
    for c in d.conflicts:
        head = f"  axis {c.axis}: "
        out.append(f"{head}expected {format_dim(c.expected)}{_from(c.expected_from)}\n")
        out.append(f"{' ' * len(head)}received {format_dim(c.received)}{_from(c.received_from)}\n")
    if d.hint:
        out.append("  hint: ", style="bold cyan")
        out.append(printable(d.hint) + "\n")
    for note in d.notes:
        out.append("  note: ", style="bold")
        out.append(printable(note) + "\n")
    out.rstrip()
    return out


def _from(origin) -> str:
    return f" ({printable(str(origin))})" if origin is not None else ""


def _code_frame(out: Text, d: Diagnostic, text: str | None) -> None:
    if not (text and d.loc and d.loc.line > 0):
        return
    source = _line(text, d.loc.line)
    if source is None:
        return
    number = str(d.loc.line)
    source = printable(source.replace("\t", " "))
    if len(source) > 160:
        source = source[:157] + "..."
    out.append(f" {number} | {source}\n", style="dim")
    out.append(" " * (len(number) + 1) + " | " + " " * (min(d.loc.column, 158) - 1))
    out.append("^\n", style="bold green")


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
"""What PyYAML counts as a line break, so that its line numbers find their line."""


def _line(text: str, number: int) -> str | None:
    """Line `number` (1-based) of `text`, found without splitting the whole text."""
    start = 0
    breaks = _LINE_BREAK.finditer(text)
    for _ in range(number - 1):
        found = next(breaks, None)
        if found is None:
            return None
        start = found.end()
    found = _LINE_BREAK.search(text, start)
    return text[start : found.start() if found else len(text)]


def _shape_rows(out: Text, prefixes: list[str], shapes: list, axes) -> None:
    """Shapes one under another with their axes aligned, then carets under `axes`."""
    texts = [[format_dim(dim) for dim in shape] for shape in shapes]
    rank = max(len(t) for t in texts)
    widths = [max((len(t[i]) for t in texts if i < len(t)), default=0) for i in range(rank)]
    width = max(len(p) for p in prefixes)
    spans = []
    for prefix, dims in zip(prefixes, texts):
        cells = [dim.rjust(widths[i]) for i, dim in enumerate(dims)]
        out.append(prefix.ljust(width) + "(" + ", ".join(cells) + ("," if len(cells) == 1 else "") + ")\n")
    position = width + 1
    for i in range(rank):
        spans.append((position, position + widths[i]))
        position += widths[i] + 2
    if axes:
        marks = [" "] * position
        for axis in axes:
            if 0 <= axis < rank:
                start, stop = spans[axis]
                marks[start:stop] = "^" * (stop - start)
        out.append("".join(marks).rstrip() + "\n", style="bold green")
