"""What `shapecli check` prints: a line per file and a summary, or GitHub workflow commands."""

from __future__ import annotations

from ..kinds import KINDS
from .escape import printable, workflow_data, workflow_property


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_line(result, strict: bool) -> tuple[str, list[tuple[int, int, str]]]:
    """One line per checked file (text and style spans): ok, or how many errors and warnings."""
    counts = f"{_plural(len(result.errors), 'error')}, {_plural(len(result.warnings), 'warning')}"
    name = printable(result.file)
    if result.skipped:
        if not result.passed(strict):
            return f"FAIL  {name}  (not a spec)\n", [(0, 4, "bold red")]
        text = f"skip  {name}  (not a spec)\n"
        return text, [(0, 4, "yellow"), (6 + len(name), len(text) - 1, "dim")]
    if result.passed(strict):
        tail = f"  ({counts})" if result.warnings else ""
        text = f"ok    {name}{tail}\n"
        return text, [(0, 2, "bold green"), (6 + len(name), len(text) - 1, "dim")]
    return f"FAIL  {name}  ({counts})\n", [(0, 4, "bold red")]


def check_summary(results, strict: bool) -> str:
    """`12 specs checked: 11 ok, 1 failed (2 errors, 1 warning)`, and `; 1 file skipped (not a spec)`
    when some files were not specs."""
    specs = [r for r in results if not r.skipped]
    skipped = len(results) - len(specs)
    failed = sum(not r.passed(strict) for r in specs)
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    text = (
        f"{_plural(len(specs), 'spec')} checked: {len(specs) - failed} ok, {failed} failed "
        f"({_plural(errors, 'error')}, {_plural(warnings, 'warning')})"
    )
    if skipped:
        refused = sum(not r.passed(strict) for r in results if r.skipped)
        if skipped > refused:
            what = "not a spec" if skipped - refused == 1 else "not specs"
            text += f"; {_plural(skipped - refused, 'file')} skipped ({what})"
        if refused:
            text += f"; {_plural(refused, 'named file')} not a spec (--strict)"
    return text


def github_annotations(results, strict: bool) -> list[str]:
    """GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`."""
    lines = []
    for result in results:
        for d in (*result.errors, *result.warnings):
            level = "warning" if KINDS[d.kind].severity != "error" else "error"
            props = [f"file={workflow_property(d.file or result.file)}"]
            if d.loc:
                props += [f"line={d.loc.line}", f"col={d.loc.column}"]
            props.append(f"title={workflow_property('shapecli ' + d.kind)}")
            text = d.message + (f" (hint: {d.hint})" if d.hint else "")
            lines.append(f"::{level} {','.join(props)}::{workflow_data(text)}")
    lines.append(f"::notice title=shapecli::{workflow_data(check_summary(results, strict))}")
    return lines
