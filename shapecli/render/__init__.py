"""Rendering: a Trace (or check results) → text for people, JSON for scripts. No arithmetic here.

console.py      the consoles (width, colors) and cheap printing of large texts
escape.py       spec text made safe for terminals, CI logs and JSON
grid.py         plain text tables and number formatting
tables.py       the tables of `inspect`
diagnostics.py  one diagnostic as a compiler prints it
json.py         the JSON documents, streamed
check.py        the per-file lines, summary and GitHub annotations of `check`
"""

from .check import check_line, check_summary, github_annotations
from .console import emit, stderr_console, stdout_console
from .diagnostics import render_diagnostic
from .grid import Grid
from .json import (
    JSON_SCHEMA_VERSION,
    check_document,
    diagnostic_json,
    failure_document,
    inspect_document,
    write_json,
)
from .tables import render_tables


def report(diagnostics, text: str | None) -> None:
    """Print diagnostics on standard error, each as a compiler prints it."""
    if not diagnostics:
        return
    console = stderr_console()
    for d in diagnostics:
        console.print(render_diagnostic(d, text))


__all__ = [
    "JSON_SCHEMA_VERSION",
    "Grid",
    "check_document",
    "check_line",
    "check_summary",
    "diagnostic_json",
    "emit",
    "failure_document",
    "github_annotations",
    "inspect_document",
    "render_diagnostic",
    "render_tables",
    "report",
    "stderr_console",
    "stdout_console",
    "write_json",
]
