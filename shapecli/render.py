"""Trace → rich tables, diagnostics text, or a JSON document. No arithmetic here.

The number formatting below (thousands separators, KiB) only changes how a
value computed by the inference is written.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from .conventions import CONVENTIONS
from .dims import Dim, dim_to_json, format_dim, format_shape, is_known
from .errors import Diagnostic
from .infer import Evaluation, LayerInfo, Trace

JSON_SCHEMA_VERSION = 1
WARNING_KINDS = {"input_dependent_param", "unused", "unreached_output", "not_inferred"}
WARNING_KINDS |= {"activation_nonfinite", "activation_dead", "activation_scale"}  # shapecli run


def _count(value: Dim | None, unknown: str = "?") -> str:
    if value is None or not is_known(value):
        return unknown
    return f"{value:,}" if isinstance(value, int) else format_dim(value)


def _scaled(value: Dim | None, unit: str) -> str:
    """`15360` → `15,360 (15.36 K<unit>)`; symbolic values are written as they are."""
    if not isinstance(value, int):
        return _count(value)
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if value >= factor:
            return f"{value:,} ({value / factor:.2f} {prefix})"
    return f"{value:,}"


def _bytes(value: Dim | None) -> str:
    if not isinstance(value, int):
        return _count(value)
    for factor, prefix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if value >= factor:
            return f"{value:,} bytes ({value / factor:.1f} {prefix})"
    return f"{value:,} bytes"


def _shapes(shapes, unknown: str) -> str:
    return "\n".join(format_shape(s, unknown) for s in shapes)


class Grid:
    """A plain text table: a title, a header, aligned columns, multi-line cells.

    rich's Table measures every cell through its renderable protocol, which
    takes about 0.2 s for ResNet-50's two tables; this lays out plain strings
    (a cell may be a (text, style) pair) and hands rich one Text to print.
    """

    GAP = "   "

    def __init__(self, title: str, headers: list[str], right: tuple[int, ...] = (), header: bool = True):
        self.title, self.headers, self.right, self.header = title, headers, right, header
        self.rows: list[list[tuple[str, str]]] = []

    def add_row(self, *cells) -> None:
        self.rows.append([cell if isinstance(cell, tuple) else (cell, "") for cell in cells])

    def render(self) -> Text:
        rows = [[(h, "bold") for h in self.headers]] if self.header else []
        rows += self.rows
        split = [[(text.split("\n"), style) for text, style in row] for row in rows]
        widths = [
            max((cell_len(line) for row in split for line in row[i][0]), default=0) for i in range(len(self.headers))
        ]
        out = Text()
        out.append(self.title + "\n", style="bold italic")
        for index, row in enumerate(split):
            height = max(len(lines) for lines, _ in row)
            for n in range(height):
                segments = []
                for i, (lines, style) in enumerate(row):
                    line = lines[n] if n < len(lines) else ""
                    pad = " " * (widths[i] - cell_len(line))
                    segments.append(("  " if i == 0 else self.GAP, ""))
                    segments += [(pad, ""), (line, style)] if i in self.right else [(line, style), (pad, "")]
                while segments and not segments[-1][0].strip():
                    segments.pop()
                for text, style in segments:
                    out.append(text, style=style)
                out.append("\n")
            if index == 0 and self.header:
                out.append(" " + "─" * (sum(widths) + len(self.GAP) * (len(widths) - 1) + 2) + "\n")
        return out


def render_tables(trace: Trace, console: Console, evaluations: list[Evaluation] = ()) -> None:
    """Print the before-inference, per-layer and summary tables, the requirements on
    the input symbols, and the evaluations of `--where`."""
    unknown = CONVENTIONS[trace.convention].unknown
    inputs = ", ".join(f"{name} {format_shape(shape, unknown)}" for name, shape in trace.inputs.items())
    heading = Text.assemble(("shapecli", "bold"), f" · {trace.file} · {trace.convention} convention · input {inputs}\n")
    parts = [heading, _before_table(trace, unknown), _layer_table(trace, unknown), _summary_table(trace, unknown)]
    if trace.requires:
        parts.append(_requirements_table(trace))
    if evaluations:
        parts.append(_evaluations_table(evaluations, unknown))
    for part in parts:
        console.print(part, no_wrap=True, overflow="ignore", crop=False)


def _layers_text(origins: tuple[str, ...]) -> str:
    shown = ", ".join(origins[:3])
    return shown + (f" and {len(origins) - 3} more" if len(origins) > 3 else "")


def _requirements_table(trace: Trace) -> Text:
    grid = Grid("Valid inputs require", ["Condition", "Needed by"])
    for requirement in trace.requires:
        grid.add_row((requirement.text, "bold"), _layers_text(requirement.origins))
    return grid.render()


def _evaluations_table(evaluations: list[Evaluation], unknown: str) -> Text:
    grid = Grid("Evaluated (--where)", ["Values", "Verdict", "Outputs"])
    for e in evaluations:
        values = ", ".join(f"{k}={v}" for k, v in e.bindings.items())
        if e.violated:
            verdict = ("violates " + "; ".join(r.text for r in e.violated), "bold red")
        elif e.undecided:
            verdict = ("undecided: " + "; ".join(r.text for r in e.undecided), "yellow")
        else:
            verdict = ("ok", "bold green")
        outputs = "\n".join(
            f"{name} {format_shape(s, unknown) if s is not None else '-'}" for name, s in e.outputs.items()
        )
        grid.add_row(values, verdict, outputs)
    return grid.render()


def _before_table(trace: Trace, unknown: str) -> Text:
    grid = Grid("Parameters before inference", ["Parameter", "Shape", "Status"])
    for layer in trace.layers:
        for param in layer.params:
            status = layer.before_status
            if param.shared_with:
                status = f"shared with {param.shared_with}"
            elif param.buffer:
                status += " (buffer)"
            if param.init and not param.shared_with:
                status += f" · {param.init}"
            grid.add_row(param.name, format_shape(param.before, unknown), status)
    if not grid.rows:
        grid.add_row("(no parameters)", "", "")
    return grid.render()


def _layer_table(trace: Trace, unknown: str) -> Text:
    grid = Grid("After inference", ["Layer", "Type", "Input", "Output", "Parameters", "Params", "MACs"], right=(5, 6))
    for layer in trace.layers:
        grid.add_row(
            layer.path,
            layer.type,
            _shapes(layer.input_shapes, unknown) if layer.input_shapes is not None else "-",
            _output_cell(layer, unknown),
            "\n".join(_param_cell(p, unknown) for p in layer.params),
            _count(layer.count, unknown) if layer.state == "ok" else "-",
            _count(layer.macs, unknown) if layer.state == "ok" else "-",
        )
    return grid.render()


def _output_cell(layer: LayerInfo, unknown: str):
    if layer.state == "error":
        return ("mismatch", "bold red")
    if layer.state == "skipped":
        return ("skipped", "dim")
    if layer.output_shapes:
        return "\n".join(f"{name} {format_shape(s, unknown)}" for name, s in layer.output_shapes.items())
    return format_shape(layer.output_shape, unknown)


def _param_cell(param, unknown: str) -> str:
    shape = format_shape(param.after, unknown) if param.after is not None else "-"
    suffix = " (shared)" if param.shared_with else " (buffer)" if param.buffer else ""
    return f"{param.local} {shape}{suffix}"


def _summary_table(trace: Trace, unknown: str) -> Text:
    totals = trace.totals
    grid = Grid("Summary", ["", ""], header=False)
    grid.add_row(("Total params", "bold"), _count(totals.params, unknown))
    grid.add_row(("Trainable params", "bold"), _count(totals.trainable, unknown))
    grid.add_row(("Non-trainable params", "bold"), _count(totals.non_trainable, unknown))
    grid.add_row((f"Param memory ({totals.dtype})", "bold"), _bytes(totals.bytes))
    grid.add_row(("MACs", "bold"), _scaled(totals.macs, "MACs"))
    for name, shape in trace.outputs.items():
        grid.add_row((f"Output {name}", "bold"), format_shape(shape, unknown) if shape is not None else "-")
    return grid.render()


def _shape_or_shapes(value, unknown: str = "?") -> str:
    if isinstance(value, tuple):
        return format_shape(value, unknown)
    return " and ".join(format_shape(s, unknown) for s in value)


def render_diagnostic(diagnostic: Diagnostic, text: str | None) -> Text:
    """A diagnostic as a compiler prints it: location, message, code frame, the shapes
    with the disagreeing axes marked, where each disagreeing size came from, hint, notes."""
    d = diagnostic
    if d.kind == "more_errors":
        return Text(f"note: {d.message}", style="bold")
    where = d.file or "shapecli"
    if d.file and d.loc:
        where = f"{d.file}:{d.loc.line}:{d.loc.column}"
    out = Text()
    out.append(f"{where}: ", style="bold")
    if d.kind in WARNING_KINDS:
        out.append("warning: ", style="bold yellow")
    else:
        out.append("error: ", style="bold red")
    out.append(d.message + "\n", style="bold")
    _code_frame(out, d, text)
    if d.path:
        label = {
            "input_mismatch": "input:   ",
            "input_dependent_param": "param:   ",
            "unreached_output": "output:  ",
            "unused": "name:    ",
        }.get(d.kind, "layer:   ")
        out.append(f"  {label} {d.path}\n")
    pair = isinstance(d.expected, tuple) and isinstance(d.received, tuple)
    if d.inputs and (len(d.inputs) > 1 or not pair):
        out.append("  inputs:\n")
        labels = [label for label, _ in d.inputs]
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
        out.append(d.hint + "\n")
    for note in d.notes:
        out.append("  note: ", style="bold")
        out.append(note + "\n")
    out.rstrip()
    return out


def _from(origin) -> str:
    return f" ({origin})" if origin is not None else ""


def _code_frame(out: Text, d: Diagnostic, text: str | None) -> None:
    lines = text.splitlines() if text and d.loc else []
    if not (d.loc and 0 < d.loc.line <= len(lines)):
        return
    number = str(d.loc.line)
    source = lines[d.loc.line - 1].replace("\t", " ")
    if len(source) > 160:
        source = source[:157] + "..."
    out.append(f" {number} | {source}\n", style="dim")
    out.append(" " * (len(number) + 1) + " | " + " " * (min(d.loc.column, 158) - 1))
    out.append("^\n", style="bold green")


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


def _json_shape(shape):
    return None if shape is None else [dim_to_json(d) for d in shape]


def _json_value(value):
    """A count or MACs value: int, null (unknown), or an expression string."""
    return None if value is None else dim_to_json(value)


def _json_shapes(value):
    if value is None:
        return None
    if isinstance(value, tuple):
        return _json_shape(value)
    return [_json_shape(s) for s in value]


def _origin_json(origin) -> dict | None:
    if origin is None:
        return None
    return {
        "what": origin.what,
        "file": origin.file,
        "line": origin.loc.line if origin.loc else None,
        "column": origin.loc.column if origin.loc else None,
    }


def diagnostic_json(d: Diagnostic) -> dict:
    """A diagnostic as one entry of the JSON `errors` (or `warnings`) list."""
    return {
        "kind": d.kind,
        "severity": "warning" if d.kind in WARNING_KINDS else "error",
        "file": d.file,
        "line": d.loc.line if d.loc else None,
        "column": d.loc.column if d.loc else None,
        "path": d.path,
        "message": d.message,
        "expected": _json_shapes(d.expected),
        "received": _json_shapes(d.received),
        "inputs": [{"from": label, "shape": _json_shape(shape)} for label, shape in d.inputs],
        "axes": list(d.axes),
        "origins": [
            {
                "axis": c.axis,
                "expected": dim_to_json(c.expected),
                "expected_from": _origin_json(c.expected_from),
                "received": dim_to_json(c.received),
                "received_from": _origin_json(c.received_from),
            }
            for c in d.conflicts
        ],
        "hint": d.hint,
        "notes": list(d.notes),
    }


def trace_json(trace: Trace, evaluations: list[Evaluation] = ()) -> dict:
    """The JSON document of an inspection (keys are stable; new ones may be added)."""
    totals = trace.totals
    return {
        "schema": JSON_SCHEMA_VERSION,
        "spec": trace.file,
        "convention": trace.convention,
        "inputs": {name: _json_shape(shape) for name, shape in trace.inputs.items()},
        "outputs": {name: _json_shape(shape) for name, shape in trace.outputs.items()},
        "layers": [
            {
                "path": layer.path,
                "type": layer.type,
                "line": layer.loc.line,
                "column": layer.loc.column,
                "state": layer.state,
                "input_shapes": _json_shapes(layer.input_shapes),
                "output_shape": _json_shape(layer.output_shape),
                **(
                    {"output_shapes": {n: _json_shape(o) for n, o in layer.output_shapes.items()}}
                    if layer.output_shapes
                    else {}
                ),
                "params": [
                    {
                        "name": p.name,
                        "before": _json_shape(p.before),
                        "after": _json_shape(p.after),
                        "count": _json_value(p.count),
                        "trainable": p.trainable,
                        "buffer": p.buffer,
                        "shared_with": p.shared_with,
                        "init": p.init,
                    }
                    for p in layer.params
                ],
                "count": _json_value(layer.count),
                "macs": _json_value(layer.macs),
                "status_before": layer.before_status,
            }
            for layer in trace.layers
        ],
        "totals": {
            "params": _json_value(totals.params),
            "trainable": _json_value(totals.trainable),
            "non_trainable": _json_value(totals.non_trainable),
            "bytes": _json_value(totals.bytes),
            "dtype": totals.dtype,
            "macs": _json_value(totals.macs),
        },
        "errors": [diagnostic_json(d) for d in trace.errors],
        "requires": [r.text for r in trace.requires],
        "requirements": [{"condition": r.text, "layers": list(r.origins)} for r in trace.requires],
        "input_dependent_params": trace.input_dependent_params,
        "warnings": [diagnostic_json(d) for d in trace.warnings],
        **({"where": [_evaluation_json(e) for e in evaluations]} if evaluations else {}),
    }


def _evaluation_json(e: Evaluation) -> dict:
    return {
        "bindings": e.bindings,
        "ok": False if e.violated else (None if e.undecided else True),
        "violated": [r.text for r in e.violated],
        "undecided": [r.text for r in e.undecided],
        "inputs": {name: _json_shape(s) for name, s in e.inputs.items()},
        "outputs": {name: _json_shape(s) for name, s in e.outputs.items()},
    }


def failure_json(file: str | None, convention: str, diagnostics: list[Diagnostic]) -> dict:
    """The JSON document when the spec or the inputs could not be used at all."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "spec": file,
        "convention": convention,
        "inputs": {},
        "outputs": {},
        "layers": [],
        "totals": None,
        "errors": [diagnostic_json(d) for d in diagnostics],
    }


# -- shapecli check --------------------------------------------------------------------


def check_line(result, strict: bool) -> Text:
    """One line per checked file: ok, or how many errors and warnings."""
    counts = f"{_plural(len(result.errors), 'error')}, {_plural(len(result.warnings), 'warning')}"
    if result.passed(strict):
        return Text.assemble(("ok    ", "bold green"), result.file, (f"  ({counts})" if result.warnings else "", "dim"))
    return Text.assemble(("FAIL  ", "bold red"), result.file, f"  ({counts})")


def check_summary(results, strict: bool) -> str:
    """`12 specs checked: 11 ok, 1 failed (2 errors, 1 warning)`."""
    failed = sum(not r.passed(strict) for r in results)
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    return (
        f"{_plural(len(results), 'spec')} checked: {len(results) - failed} ok, {failed} failed "
        f"({_plural(errors, 'error')}, {_plural(warnings, 'warning')})"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def github_annotations(results, strict: bool) -> list[str]:
    """GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`."""
    lines = []
    for result in results:
        for d in (*result.errors, *result.warnings):
            level = "warning" if d.kind in WARNING_KINDS else "error"
            props = [f"file={_escape_property(d.file or result.file)}"]
            if d.loc:
                props += [f"line={d.loc.line}", f"col={d.loc.column}"]
            props.append(f"title={_escape_property('shapecli ' + d.kind)}")
            text = d.message + (f" (hint: {d.hint})" if d.hint else "")
            lines.append(f"::{level} {','.join(props)}::{_escape_data(text)}")
    lines.append(f"::notice title=shapecli::{_escape_data(check_summary(results, strict))}")
    return lines


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def check_json(results, strict: bool) -> dict:
    """The JSON document of `shapecli check`."""
    failed = [r for r in results if not r.passed(strict)]
    return {
        "schema": JSON_SCHEMA_VERSION,
        "strict": strict,
        "files": [
            {
                "file": r.file,
                "ok": r.passed(strict),
                "errors": [diagnostic_json(d) for d in r.errors],
                "warnings": [diagnostic_json(d) for d in r.warnings],
            }
            for r in results
        ],
        "summary": {
            "files": len(results),
            "ok": len(results) - len(failed),
            "failed": len(failed),
            "errors": sum(len(r.errors) for r in results),
            "warnings": sum(len(r.warnings) for r in results),
        },
    }
