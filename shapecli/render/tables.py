"""The tables of `inspect`: parameters before inference, layers after it, the summary,
the conditions on the input symbols, and the `--where` evaluations. No arithmetic here."""

from __future__ import annotations

from rich.console import Console

from ..conventions import CONVENTIONS
from ..dims import format_shape
from ..infer import Evaluation, LayerInfo, Trace
from .console import emit
from .escape import printable
from .grid import Grid, byte_size, count, scaled


def render_tables(trace: Trace, console: Console, evaluations: list[Evaluation] = ()) -> None:
    """Print the before-inference, per-layer and summary tables, the requirements on
    the input symbols, and the evaluations of `--where`."""
    unknown = CONVENTIONS[trace.convention].unknown
    inputs = ", ".join(f"{printable(name)} {format_shape(shape, unknown)}" for name, shape in trace.inputs.items())
    heading = f"shapecli · {printable(trace.file)} · {trace.convention} convention · input {inputs}\n\n"
    emit(console, heading, [(0, len("shapecli"), "bold")])
    tables = [
        lambda: _before_table(trace, unknown),
        lambda: _layer_table(trace, unknown),
        lambda: _summary_table(trace, unknown),
    ]
    if trace.requires:
        tables.append(lambda: _requirements_table(trace))
    if evaluations:
        tables.append(lambda: _evaluations_table(evaluations, unknown))
    for make in tables:  # one at a time: a 100,000-layer table is large
        make().print(console)
        emit(console, "\n", [])


def _layers_text(origins: tuple[str, ...]) -> str:
    shown = ", ".join(printable(o) for o in origins[:3])
    return shown + (f" and {len(origins) - 3} more" if len(origins) > 3 else "")


def _requirements_table(trace: Trace) -> Grid:
    grid = Grid("Valid inputs require", ["Condition", "Needed by"])
    for requirement in trace.requires:
        grid.add_row((requirement.text, "bold"), _layers_text(requirement.origins))
    return grid


def _evaluations_table(evaluations: list[Evaluation], unknown: str) -> Grid:
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
            f"{printable(name)} {format_shape(s, unknown) if s is not None else '-'}" for name, s in e.outputs.items()
        )
        grid.add_row(values, verdict, outputs)
    return grid


def _before_table(trace: Trace, unknown: str) -> Grid:
    grid = Grid("Parameters before inference", ["Parameter", "Shape", "Status"])
    for layer in trace.layers:
        for param in layer.params:
            status = layer.before_status
            if param.shared_with:
                status = f"shared with {printable(param.shared_with)}"
            elif param.buffer:
                status += " (buffer)"
            if param.init and not param.shared_with:
                status += f" · {printable(param.init)}"
            grid.add_row(printable(param.name), format_shape(param.before, unknown), status)
    if not grid.rows:
        grid.add_row("(no parameters)", "", "")
    return grid


def _layer_table(trace: Trace, unknown: str) -> Grid:
    grid = Grid("After inference", ["Layer", "Type", "Input", "Output", "Parameters", "Params", "MACs"], right=(5, 6))
    for layer in trace.layers:
        ok = layer.state == "ok"
        grid.add_row(
            printable(layer.path),
            printable(layer.type),
            "\n".join(format_shape(s, unknown) for s in layer.input_shapes) if layer.input_shapes is not None else "-",
            _output_cell(layer, unknown),
            "\n".join(_param_cell(p, unknown) for p in layer.params),
            count(layer.count, unknown) if ok else "-",
            count(layer.macs, unknown) if ok else "-",
        )
    return grid


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
    return f"{printable(param.local)} {shape}{suffix}"


def _summary_table(trace: Trace, unknown: str) -> Grid:
    totals = trace.totals
    grid = Grid("Summary", ["", ""], header=False)
    grid.add_row(("Total params", "bold"), count(totals.params, unknown))
    grid.add_row(("Trainable params", "bold"), count(totals.trainable, unknown))
    grid.add_row(("Non-trainable params", "bold"), count(totals.non_trainable, unknown))
    grid.add_row((f"Param memory ({totals.dtype})", "bold"), byte_size(totals.bytes))
    grid.add_row(("MACs", "bold"), scaled(totals.macs))
    for name, shape in trace.outputs.items():
        grid.add_row((f"Output {printable(name)}", "bold"), format_shape(shape, unknown) if shape is not None else "-")
    return grid
