"""Trace → rich tables, diagnostics text, or a JSON document. No arithmetic here.

The number formatting below (thousands separators, KiB) only changes how a
value computed by the inference is written.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .conventions import CONVENTIONS
from .dims import Dim, dim_to_json, format_dim, format_shape, is_known
from .errors import Diagnostic
from .infer import LayerInfo, Trace

JSON_SCHEMA_VERSION = 1


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


def render_tables(trace: Trace, console: Console) -> None:
    """Print the before-inference, per-layer and summary tables."""
    unknown = CONVENTIONS[trace.convention].unknown
    inputs = ", ".join(f"{name} {format_shape(shape, unknown)}" for name, shape in trace.inputs.items())
    console.print(Text.assemble(("shapecli", "bold"), f" · {trace.file} · {trace.convention} convention · input {inputs}"))
    console.print(_before_table(trace, unknown))
    console.print(_layer_table(trace, unknown))
    console.print(_summary_table(trace, unknown))


def _before_table(trace: Trace, unknown: str) -> Table:
    table = Table(title="Parameters before inference", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Parameter")
    table.add_column("Shape")
    table.add_column("Status")
    for layer in trace.layers:
        for param in layer.params:
            status = layer.before_status
            if param.shared_with:
                status = f"shared with {param.shared_with}"
            elif param.buffer:
                status += " (buffer)"
            table.add_row(param.name, format_shape(param.before, unknown), status)
    if not table.row_count:
        table.add_row("(no parameters)", "", "")
    return table


def _layer_table(trace: Trace, unknown: str) -> Table:
    table = Table(title="After inference", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Layer")
    table.add_column("Type")
    table.add_column("Input")
    table.add_column("Output")
    table.add_column("Parameters")
    table.add_column("Params", justify="right")
    table.add_column("MACs", justify="right")
    for layer in trace.layers:
        table.add_row(
            layer.path,
            layer.type,
            _shapes(layer.input_shapes, unknown) if layer.input_shapes is not None else "-",
            _output_cell(layer, unknown),
            "\n".join(_param_cell(p, layer, unknown) for p in layer.params),
            _count(layer.count, unknown) if layer.state == "ok" else "-",
            _count(layer.macs, unknown) if layer.state == "ok" else "-",
        )
    return table


def _output_cell(layer: LayerInfo, unknown: str):
    if layer.state == "error":
        return Text("mismatch", style="bold red")
    if layer.state == "skipped":
        return Text("skipped", style="dim")
    if layer.output_shapes:
        return "\n".join(f"{name} {format_shape(s, unknown)}" for name, s in layer.output_shapes.items())
    return format_shape(layer.output_shape, unknown)


def _param_cell(param, layer: LayerInfo, unknown: str) -> str:
    shape = format_shape(param.after, unknown) if param.after is not None else "-"
    suffix = " (shared)" if param.shared_with else " (buffer)" if param.buffer else ""
    return f"{param.local} {shape}{suffix}"


def _summary_table(trace: Trace, unknown: str) -> Table:
    totals = trace.totals
    table = Table(title="Summary", title_justify="left", box=None, show_header=False, padding=(0, 2, 0, 1))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Total params", _count(totals.params, unknown))
    table.add_row("Trainable params", _count(totals.trainable, unknown))
    table.add_row("Non-trainable params", _count(totals.non_trainable, unknown))
    table.add_row(f"Param memory ({totals.dtype})", _bytes(totals.bytes))
    table.add_row("MACs", _scaled(totals.macs, "MACs"))
    for name, shape in trace.outputs.items():
        table.add_row(f"Output {name}", format_shape(shape, unknown) if shape is not None else "-")
    return table


def _shape_or_shapes(value, unknown: str = "?") -> str:
    if isinstance(value, tuple):
        return format_shape(value, unknown)
    return " and ".join(format_shape(s, unknown) for s in value)


def render_diagnostic(diagnostic: Diagnostic, text: str | None) -> Text:
    """A diagnostic as a compiler prints it: location, message, code frame, details."""
    d = diagnostic
    where = d.file or "shapecli"
    if d.file and d.loc:
        where = f"{d.file}:{d.loc.line}:{d.loc.column}"
    out = Text()
    out.append(f"{where}: ", style="bold")
    out.append("error: ", style="bold red")
    out.append(d.message + "\n", style="bold")
    lines = text.splitlines() if text and d.loc else []
    if d.loc and 0 < d.loc.line <= len(lines):
        number = str(d.loc.line)
        source = lines[d.loc.line - 1]
        if len(source) > 160:
            source = source[:157] + "..."
        out.append(f" {number} | {source}\n", style="dim")
        out.append(" " * (len(number) + 1) + " | " + " " * (min(d.loc.column, 158) - 1))
        out.append("^\n", style="bold green")
    if d.path:
        out.append(f"  {'input:   ' if d.kind == 'input_mismatch' else 'layer:   '} {d.path}\n")
    if d.expected is not None:
        out.append(f"  expected: {_shape_or_shapes(d.expected)}\n")
    if d.received is not None:
        out.append(f"  received: {_shape_or_shapes(d.received)}\n")
    if d.hint:
        out.append("  hint: ", style="bold cyan")
        out.append(d.hint + "\n")
    for note in d.notes:
        out.append("  note: ", style="bold")
        out.append(note + "\n")
    out.rstrip()
    return out


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


def diagnostic_json(d: Diagnostic) -> dict:
    """A diagnostic as one entry of the JSON `errors` list."""
    return {
        "kind": d.kind,
        "file": d.file,
        "line": d.loc.line if d.loc else None,
        "column": d.loc.column if d.loc else None,
        "path": d.path,
        "message": d.message,
        "expected": _json_shapes(d.expected),
        "received": _json_shapes(d.received),
        "hint": d.hint,
        "notes": list(d.notes),
    }


def trace_json(trace: Trace) -> dict:
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
