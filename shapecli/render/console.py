"""The consoles shapecli prints to, and printing large texts cheaply.

Width: a terminal's own, else `COLUMNS` when it is a usable number, else 120
(tables never wrap: a row is one line however wide). Colors only on a terminal
and without NO_COLOR (rich decides).
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.text import Span, Text

DEFAULT_WIDTH = 120
MIN_WIDTH = 40


def _width(stream) -> int | None:
    """The width to lay out for: None lets rich ask the terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isascii() and columns.isdigit() and int(columns) >= MIN_WIDTH:
        return min(int(columns), 10_000)
    if stream is not None and stream.isatty():
        return None
    return DEFAULT_WIDTH


def stdout_console() -> Console:
    """The console for results (tables), on standard output."""
    return Console(file=sys.stdout, width=_width(sys.stdout), highlight=False, emoji=False)


def stderr_console() -> Console:
    """The console for diagnostics, on standard error."""
    return Console(file=sys.stderr, width=_width(sys.stderr), highlight=False, emoji=False, soft_wrap=True)


def emit(console: Console, plain: str, spans: list[tuple[int, int, str]]) -> None:
    """Print `plain` (ending in a newline) with styles on spans. Without colors the text goes
    straight to the console's file: rich adds nothing then, and a 100,000-row table stays fast."""
    if console.color_system is None and not console.record:
        console.file.write(plain)
        return
    text = Text(plain.removesuffix("\n"))
    text.spans = [Span(start, end, style) for start, end, style in spans]
    console.print(text, no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)
