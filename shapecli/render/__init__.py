"""Rendering: a Trace (or check results) → text for people, JSON for scripts. No arithmetic here.

console.py      the consoles (width, colors) and cheap printing of large texts
escape.py       spec text made safe for terminals, CI logs and JSON
grid.py         plain text tables and number formatting
tables.py       the tables of `inspect`
diagnostics.py  one diagnostic as a compiler prints it
json.py         the JSON documents, streamed
check.py        the per-file lines, summary and GitHub annotations of `check`
"""

from importlib import import_module

_HOMES = {
    "check_line": "check",
    "check_summary": "check",
    "github_annotations": "check",
    "emit": "console",
    "stderr_console": "console",
    "stdout_console": "console",
    "render_diagnostic": "diagnostics",
    "Grid": "grid",
    "JSON_SCHEMA_VERSION": "json",
    "check_document": "json",
    "diagnostic_json": "json",
    "failure_document": "json",
    "inspect_document": "json",
    "write_json": "json",
    "render_tables": "tables",
}
"""Each name this package offers → the module defining it, imported on first use (a command
imports only the renderers it prints with)."""


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def report(diagnostics, text: str | None) -> None:
    """Print diagnostics on standard error, each as a compiler prints it."""
    if not diagnostics:
        return
    from .console import stderr_console
    from .diagnostics import render_diagnostic

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
