"""The tables of `inspect`: parameters before inference, layers after it, the summary,
the conditions on the input symbols, and the `--where` evaluations. No arithmetic here.

With the Model at hand, the tables follow its block uses and repeat groups
(`folding.table_rows`): a repeat group is one row `stage3.0–5 ×6` with its total and
per-copy counts unless `expand`, block uses deeper than `depth` are one row with
their subtotals, and open block uses head their (indented) contents with their
subtotals. A model without blocks or repeats is listed layer by layer, as fast as
the rows can be written. Every table fits the console's width: the widest columns
are narrowed and their long cells end in `…` (JSON keeps them whole).
"""

from __future__ import annotations

from typing import NamedTuple

from rich.console import Console

from ..conventions import CONVENTIONS
from ..dims import format_shape
from ..folding import Run, TableRow, fold_runs, is_flat, layer_runs, run_name, table_rows
from ..hierarchy import folded_name
from ..infer import Evaluation, LayerInfo, Trace
from ..totals import evaluated_totals
from ..views import SECTIONS, TableView
from .console import emit
from .escape import printable
from .grid import Grid, byte_size, count, elide, scaled

UNKNOWN_COUNT = "?"
"""How a count that is not known prints, whatever the convention's mark for an unknown size."""


AFTER_NARROWING = (
    (6, 15),
    (1, 12),
    (4, 18),
    (0, 18),
    (2, None),
    (4, 14),
    (0, 14),
    (4, None),
    (3, 17),
    (0, 12),
    (1, 10),
)
"""How the layer table is made to fit a narrow terminal: MACs formulas (numbers of up to 15
characters stay whole: `231,211,008 ×2`), types, parameter shapes and names are narrowed first;
then the Input column is left out (mostly the output of the row above); then the Parameters
column (the shapes the before-inference table lists too); then the rest is narrowed."""


def render_tables(
    trace: Trace,
    console: Console,
    evaluations: list[Evaluation] = (),
    model=None,
    view: TableView | None = None,
    extra: dict | None = None,
) -> None:
    """Print the chosen tables: before inference, after it (folded by the model's hierarchy when
    `model` is given), the summary, memory (from `extra['memory']`, a Grid maker: the memory
    issue's hook), and the requirements on the input symbols with the `--where` evaluations."""
    view = view or TableView()
    unknown = CONVENTIONS[trace.convention].unknown
    width = console.width
    _heading(console, trace, unknown, width)
    rows = None
    if model is not None and not is_flat(model) and ("before" in view.sections or "after" in view.sections):
        rows = list(table_rows(model, trace, view.depth, view.expand))
        if not view.expand:
            rows = fold_runs(rows, trace)
    elif not view.expand and ("before" in view.sections or "after" in view.sections):
        rows = _flat_rows(trace)
    makers = {
        "before": lambda: _before_table(trace, unknown, rows),
        "after": lambda: _layer_table(trace, unknown, rows),
        "summary": lambda: _summary_table(trace, unknown),
        "memory": (extra or {}).get("memory"),
        "conditions": lambda: _conditions_tables(trace, evaluations, unknown),
    }
    for section in SECTIONS:
        make = makers[section] if section in view.sections else None
        if make is not None:
            _print_grids(console, make(), width)


def _print_grids(console: Console, made, width: int) -> None:
    """Print a section's tables (a Grid, or rich Text already laid out). Each is let go when
    printed: a 100,000-layer table is large, and the next one is built only then."""
    for grid in made if isinstance(made, list) else [made]:
        if isinstance(grid, Grid):
            grid.max_width = width
            grid.print(console)
        else:
            grid = grid.copy()
            grid.rstrip()  # the blank line after a section is emitted below, as for a Grid
            console.print(grid, no_wrap=True, overflow="ignore", crop=False)
        emit(console, "\n", [])


def _heading(console: Console, trace: Trace, unknown: str, width: int) -> None:
    """`shapecli · file · convention · input …`, the inputs on a line of their own when too long."""
    inputs = ", ".join(f"{printable(name)} {format_shape(shape, unknown)}" for name, shape in trace.inputs.items())
    head = f"shapecli · {printable(trace.file)} · {trace.convention} convention"
    line = f"{head} · input {inputs}"
    if len(line) > width:
        line = f"{elide(head, width)}\n{elide('  input ' + inputs, width)}"
    emit(console, line + "\n\n", [(0, len("shapecli"), "bold")])


def _flat_rows(trace: Trace) -> list[TableRow] | None:
    """The rows of a model without blocks when it has runs of identical layers to fold (None: it has none,
    and the tables list `trace.layers` as they are)."""
    units = list(layer_runs(trace.layers))
    if len(units) == len(trace.layers):
        return None
    rows = []
    for unit in units:
        if isinstance(unit, Run):
            first, last = trace.layers[unit.nodes[0]], trace.layers[unit.nodes[-1]]
            rows.append(TableRow("run", 0, run_name(first.path, last.path, unit.count), first.type, unit))
        else:
            rows.append(TableRow("layer", 0, trace.layers[unit].path, trace.layers[unit].type, _Layer(unit)))
    return rows


class _Layer(NamedTuple):
    """The group of a flat model's layer row: its node."""

    node: int


def _conditions_tables(trace: Trace, evaluations: list[Evaluation], unknown: str) -> list[Grid]:
    tables = []
    if trace.requires:
        tables.append(_requirements_table(trace))
    if evaluations:
        tables.append(_evaluations_table(trace, evaluations, unknown))
    return tables


def _layers_text(origins: tuple[str, ...]) -> str:
    shown = ", ".join(printable(o) for o in origins[:3])
    return shown + (f" and {len(origins) - 3} more" if len(origins) > 3 else "")


def _requirements_table(trace: Trace) -> Grid:
    grid = Grid("Valid inputs require", ["Condition", "Needed by"])
    grid.narrowing = ((1, 24), (0, 24))
    for requirement in trace.requires:
        grid.add_row((requirement.text, "bold"), _layers_text(requirement.origins))
    return grid


def _evaluations_table(trace: Trace, evaluations: list[Evaluation], unknown: str) -> Grid:
    grid = Grid("Evaluated (--where)", ["Values", "Verdict", "Outputs", "Params", "MACs"], right=(3, 4))
    grid.narrowing = ((4, 13), (1, 20), (2, 20))
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
        totals = evaluated_totals(trace.totals, e.bindings)
        grid.add_row(values, verdict, outputs, count(totals.params, UNKNOWN_COUNT), scaled(totals.macs))
    return grid


def _before_table(trace: Trace, unknown: str, rows: list[TableRow] | None) -> Grid:
    grid = Grid("Parameters before inference", ["Parameter", "Shape", "Status"])
    grid.narrowing = ((2, 11), (0, 24), (1, 16))
    if rows is None:
        for layer in trace.layers:
            _add_params_before(grid, layer, unknown)
    else:
        for row in rows:
            if row.kind == "layer":
                _add_params_before(grid, trace.layers[row.group.node], unknown)
            elif row.kind == "folded":
                _add_folded_before(grid, row, trace)
            elif row.kind == "run":
                _add_run_before(grid, row.group, trace)
    if not grid.rows:
        grid.add_row("(no parameters)", "", "")
    return grid


def _add_params_before(grid: Grid, layer: LayerInfo, unknown: str) -> None:
    for param in layer.params:
        status = layer.before_status
        if param.shared_with:
            status = f"shared with {printable(param.shared_with)}"
        elif param.buffer:
            status += " (buffer)"
        if param.init and not param.shared_with:
            status += f" · {printable(param.init)}"
        grid.add_row(printable(param.name), format_shape(param.before, unknown), status)


def _add_folded_before(grid: Grid, row: TableRow, trace: Trace) -> None:
    """One row for the parameters of a folded group: how many, and their statuses."""
    layers = [trace.layers[n] for n in row.group.nodes]
    tensors = sum(len(layer.params) for layer in layers)
    if not tensors:
        return
    statuses = dict.fromkeys(layer.before_status for layer in layers if layer.params)
    grid.add_row(printable(folded_name(row.group)), f"{tensors:,} tensors", ", ".join(statuses))


def _add_run_before(grid: Grid, run: Run, trace: Trace) -> None:
    """One row for the parameters of a run of identical layers: how many, and their status."""
    first, last = trace.layers[run.nodes[0]], trace.layers[run.nodes[-1]]
    if first.params:
        name = run_name(printable(first.path), printable(last.path), run.count)
        grid.add_row(name, f"{len(first.params) * run.count:,} tensors", first.before_status)


def _layer_table(trace: Trace, unknown: str, rows: list[TableRow] | None) -> Grid:
    grid = Grid("After inference", ["Layer", "Type", "Input", "Output", "Parameters", "Params", "MACs"], right=(5, 6))
    grid.narrowing = AFTER_NARROWING
    if rows is None:
        for layer in trace.layers:
            _add_layer(grid, layer, printable(layer.path), unknown)
        return grid
    for row in rows:
        name = "  " * row.level + printable(row.name)
        if row.kind == "layer":
            _add_layer(grid, trace.layers[row.group.node], name, unknown)
        elif row.kind == "run":
            _add_layer(grid, trace.layers[row.group.nodes[0]], name, unknown, row.group)
        else:
            _add_group(grid, row, name, trace, unknown)
    return grid


def _inputs_cell(layer: LayerInfo, unknown: str) -> str:
    """A layer's input shapes, one per line ('-' when an input has none)."""
    return "\n".join(format_shape(s, unknown) for s in layer.input_shapes) if layer.input_shapes is not None else "-"


def _add_layer(grid: Grid, layer: LayerInfo, name: str, unknown: str, run: Run | None = None) -> None:
    """A layer's row; for a `run` of identical layers, the row of one of them, marked
    `N identical layers`, with the counts of all and (below) of one."""
    params = [_param_cell(p, unknown) for p in layer.params]
    if run is not None:
        params.insert(0, f"{run.count:,} identical layers")
    if layer.state != "ok":
        counts = ["-", "-"]
    elif run is None:
        counts = [count(layer.count, UNKNOWN_COUNT), count(layer.macs, UNKNOWN_COUNT)]
    else:
        counts = [_run_count(layer.count, run.count), _run_count(layer.macs, run.count)]
    grid.add_row(
        name,
        printable(layer.type),
        _inputs_cell(layer, unknown),
        _output_cell(layer, unknown),
        "\n".join(params),
        *counts,
    )


def _run_count(value, copies: int) -> str:
    """`2,000,000` over `20 ×100,000`: a run's total and one layer's count."""
    total = None if value is None else value * copies
    return f"{count(total, UNKNOWN_COUNT)}\n{count(value, UNKNOWN_COUNT)} ×{copies:,}"


def _add_group(grid: Grid, row: TableRow, name: str, trace: Trace, unknown: str) -> None:
    """A block use or repeat group: the tensors entering and leaving it, and its counts (per copy
    too, for a repeat whose copies count alike)."""
    totals = row.totals
    params, macs = count(totals.params, UNKNOWN_COUNT), count(totals.macs, UNKNOWN_COUNT)
    copies = row.group.count if row.kind == "folded" else 0
    if copies > 1 and totals.per_copy_params is not None:
        params += f"\n{count(totals.per_copy_params, UNKNOWN_COUNT)} ×{copies}"
    if copies > 1 and totals.per_copy_macs is not None:
        macs += f"\n{count(totals.per_copy_macs, UNKNOWN_COUNT)} ×{copies}"
    if totals.state == "error":
        output = ("mismatch", "bold red")
    elif totals.state == "skipped" and not any(_source_shape(trace, s) for s in row.outputs):
        output = ("skipped", "dim")
    else:
        output = "\n".join(_source_cell(trace, s, unknown) for s in row.outputs) or "-"
    label = printable(row.label)
    grid.add_row(
        (name, "bold") if row.kind == "open" else name,
        label,
        "\n".join(_source_cell(trace, s, unknown, named=False) for s in row.inputs) or "-",
        output,
        f"{totals.layers:,} layers" if row.kind == "folded" else "",
        params,
        macs,
    )


def _source_shape(trace: Trace, source):
    if isinstance(source, str):
        return trace.inputs.get(source)
    info = trace.layers[source.node]
    if info.output_shapes:
        return list(info.output_shapes.values())[source.index]
    return info.output_shape


def _source_cell(trace: Trace, source, unknown: str, named: bool = True) -> str:
    """A tensor crossing a group's boundary: its shape (with the output's name for a layer with several)."""
    shape = _source_shape(trace, source)
    text = format_shape(shape, unknown) if shape is not None else "-"
    if named and not isinstance(source, str) and trace.layers[source.node].output_shapes:
        text = f"{list(trace.layers[source.node].output_shapes)[source.index]} {text}"
    return text


def _output_cell(layer: LayerInfo, unknown: str):
    if layer.state == "error":
        return ("mismatch", "bold red")
    if layer.state == "skipped":
        return ("skipped", "dim")
    if layer.state == "absent":
        return (f"absent (if: {printable(layer.condition or '')})", "dim")
    if layer.output_shapes:
        return "\n".join(f"{name} {format_shape(s, unknown)}" for name, s in layer.output_shapes.items())
    return format_shape(layer.output_shape, unknown)


def _param_cell(param, unknown: str) -> str:
    shape = format_shape(param.after, unknown) if param.after is not None else "-"
    suffix = " (shared)" if param.shared_with else " (buffer)" if param.buffer else ""
    named = f"{printable(param.local)} {shape}" if param.local else shape  # a Parameter layer: its path names it
    return named + suffix


def _summary_table(trace: Trace, unknown: str) -> Grid:
    totals = trace.totals
    grid = Grid("Summary", ["", ""], header=False)
    grid.narrowing = ((1, 20),)
    grid.add_row(("Total params", "bold"), count(totals.params, UNKNOWN_COUNT))
    grid.add_row(("Trainable params", "bold"), count(totals.trainable, UNKNOWN_COUNT))
    grid.add_row(("Non-trainable params", "bold"), count(totals.non_trainable, UNKNOWN_COUNT))
    grid.add_row((f"Param memory ({totals.dtype})", "bold"), byte_size(totals.bytes))
    grid.add_row(("MACs", "bold"), scaled(totals.macs))
    for name, shape in trace.outputs.items():
        grid.add_row((f"Output {printable(name)}", "bold"), format_shape(shape, unknown) if shape is not None else "-")
    return grid
