"""What `shapecli diff` prints: tables, one JSON document, or Markdown for a pull-request comment.
No arithmetic here (the deltas are made by diff.py)."""

from __future__ import annotations

from rich.console import Console

from ..conventions import CONVENTIONS
from ..dims import Dim, dim_to_json, format_shape, is_known
from ..diff import Entry, LayerChange, ModelDiff, TotalDelta
from .console import emit
from .escape import printable
from .grid import Grid, byte_size, count, scaled
from .json import JSON_SCHEMA_VERSION, diagnostic_json
from .json import shape_json as _shape

TOTAL_LABELS = {
    "params": "Total params",
    "trainable": "Trainable params",
    "non_trainable": "Non-trainable params",
    "buffers": "Buffers",
    "bytes": "Param memory",
    "macs": "MACs",
    "memory": "Training memory",
}
MARKDOWN_ROWS = 25
"""Longer lists of layers are folded into a <details> element in Markdown."""


def _number(key: str, value: Dim | None) -> str:
    if value is None:
        return "–"
    if key in ("bytes", "memory"):
        return byte_size(value)
    if key == "macs":
        return scaled(value)
    return count(value)


def _delta(total: TotalDelta) -> str:
    """`+256 (+3.2%)`, `0`, a formula, or `?`."""
    delta = total.delta
    if delta is None or not is_known(delta):
        return "?"
    if not isinstance(delta, int):
        return count(delta)
    if delta == 0:
        return "0"
    text = f"{delta:+,}"
    if isinstance(total.old, int) and total.old:
        tenths = (abs(delta) * 1000 + abs(total.old) // 2) // abs(total.old)
        text += f" ({'+' if delta > 0 else '-'}{tenths // 10}.{tenths % 10}%)"
    return text


def _heading(diff: ModelDiff) -> str:
    old, new = diff.old.trace, diff.new.trace
    convention = old.convention if old.convention == new.convention else f"{old.convention} → {new.convention}"
    unknown = CONVENTIONS[new.convention].unknown
    inputs = ", ".join(f"{name} {format_shape(shape, unknown)}" for name, shape in new.inputs.items())
    return f"{printable(diff.old.name)} → {printable(diff.new.name)} · {convention} convention · input {inputs}"


def _summary_line(diff: ModelDiff) -> str:
    if diff.same:
        return "no change to the layers, shapes or totals"
    return f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"


def _change_cells(change: LayerChange, unknown: str) -> tuple[str, str, str, str, str]:
    """(type, output, parameters, params, MACs) of a changed layer, `old → new` where they differ."""

    def pair(a: str, b: str) -> str:
        return a if a == b else f"{a} → {b}"

    params = [
        f"{printable(p.name)} "
        + pair(format_shape(p.old, unknown) if p.old else "–", format_shape(p.new, unknown) if p.new else "–")
        for p in change.params
    ]
    return (
        pair(printable(change.type[0]), printable(change.type[1])),
        pair(change.outputs[0], change.outputs[1]),
        "\n".join(params),
        pair(count(change.count[0]), count(change.count[1])),
        pair(count(change.macs[0]), count(change.macs[1])),
    )


def _entry_cells(entry: Entry, unknown: str) -> tuple[str, str, str, str]:
    what = printable(entry.label) + (f" ({entry.layers:,} layers)" if entry.layers > 1 else "")
    output = format_shape(entry.output, unknown) if entry.output is not None else "–"
    return what, output, count(entry.params), count(entry.macs)


def render_diff(diff: ModelDiff, console: Console) -> None:
    """The diff as tables: the totals with their changes, then the layers added, removed, changed."""
    unknown = CONVENTIONS[diff.new.trace.convention].unknown
    emit(console, f"shapecli diff · {_heading(diff)}\n\n", [(0, len("shapecli diff"), "bold")])
    totals = Grid("Totals", ["", "Old", "New", "Change"], right=(1, 2, 3))
    for total in diff.totals:
        totals.add_row(
            (TOTAL_LABELS[total.key], "bold"),
            _number(total.key, total.old),
            _number(total.key, total.new),
            _delta(total),
        )
    grids = [totals]
    layers = Grid(f"Layers: {_summary_line(diff)}", ["", "Layer", "Type", "Output", "Parameters", "Params", "MACs"])
    layers.right = (5, 6)
    layers.narrowing = ((6, 15), (4, 18), (2, 12), (1, 18))
    for entry in diff.added:
        what, output, params, macs = _entry_cells(entry, unknown)
        layers.add_row(("added", "green"), printable(entry.path), what, output, "", params, macs)
    for entry in diff.removed:
        what, output, params, macs = _entry_cells(entry, unknown)
        layers.add_row(("removed", "red"), printable(entry.path), what, output, "", params, macs)
    for change in diff.changed:
        layers.add_row(("changed", "yellow"), printable(change.path), *_change_cells(change, unknown))
    if layers.rows:
        grids.append(layers)
    for grid in grids:
        grid.max_width = console.width
        grid.print(console)
        emit(console, "\n", [])
    if not layers.rows:
        emit(console, f"Layers: {_summary_line(diff)}\n", [(0, 7, "bold italic")])


def diff_document(diff: ModelDiff) -> dict:
    """The diff as one JSON document (counts and shapes as in `inspect`'s JSON)."""

    def value(v):
        return None if v is None else dim_to_json(v)

    def entry(e: Entry) -> dict:
        return {
            "path": e.path,
            "label": e.label,
            "layers": e.layers,
            "params": value(e.params),
            "macs": value(e.macs),
            "output_shape": _shape(e.output),
        }

    def change(c: LayerChange) -> dict:
        return {
            "path": c.path,
            "type": {"old": c.type[0], "new": c.type[1]},
            "outputs": {"old": _outputs_json(c.output_shapes[0]), "new": _outputs_json(c.output_shapes[1])},
            "params": [{"name": p.name, "old": _shape(p.old), "new": _shape(p.new)} for p in c.params],
            "count": {"old": value(c.count[0]), "new": value(c.count[1])},
            "macs": {"old": value(c.macs[0]), "new": value(c.macs[1])},
        }

    return {
        "schema": JSON_SCHEMA_VERSION,
        "old": diff.old.name,
        "new": diff.new.name,
        "conventions": {"old": diff.old.trace.convention, "new": diff.new.trace.convention},
        "inputs": {
            "old": {name: _shape(s) for name, s in diff.old.trace.inputs.items()},
            "new": {name: _shape(s) for name, s in diff.new.trace.inputs.items()},
        },
        "same": diff.same,
        "totals": {t.key: {"old": value(t.old), "new": value(t.new), "delta": value(t.delta)} for t in diff.totals},
        "added": [entry(e) for e in diff.added],
        "removed": [entry(e) for e in diff.removed],
        "changed": [change(c) for c in diff.changed],
        "errors": [diagnostic_json(d) for d in diff.errors],
    }


_MARKDOWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]|#~"}}


def _outputs_json(value):
    """A layer's output as JSON: a shape, {name: shape} for a layer with several, or null."""
    if isinstance(value, dict):
        return {name: _shape(shape) for name, shape in value.items()}
    return _shape(value)


def markdown_cell(text: str) -> str:
    """Spec text for a Markdown table cell: printable, with HTML and Markdown specials escaped
    (a `|` would end the cell) and line breaks as <br>."""
    return "<br>".join("".join(_MARKDOWN_ESCAPES.get(c, c) for c in printable(line)) for line in text.split("\n"))


def _strong(text: str) -> str:
    return text if text == "0" else f"**{text}**"


def render_markdown(diff: ModelDiff) -> str:
    """The diff as Markdown for a pull-request comment: a heading, the totals' table, and the
    layers' table (in a <details> element when long)."""
    unknown = CONVENTIONS[diff.new.trace.convention].unknown
    lines = [
        f"### shapecli diff: {markdown_cell(diff.new.name)}",
        "",
        markdown_cell(_heading(diff)),
        "",
        "| | old | new | change |",
        "| --- | ---: | ---: | ---: |",
    ]
    for total in diff.totals:
        lines.append(
            f"| {TOTAL_LABELS[total.key]} | {markdown_cell(_number(total.key, total.old))} | "
            f"{markdown_cell(_number(total.key, total.new))} | {_strong(markdown_cell(_delta(total)))} |"
        )
    lines += ["", f"**Layers:** {_summary_line(diff)}", ""]
    rows = []
    for word, entries in (("added", diff.added), ("removed", diff.removed)):
        for entry in entries:
            what, output, params, macs = _entry_cells(entry, unknown)
            rows.append(
                f"| {word} | {markdown_cell(entry.path)} | {markdown_cell(what)} | {markdown_cell(output)} | "
                f"| {markdown_cell(params)} | {markdown_cell(macs)} |"
            )
    for change in diff.changed:
        cells = [markdown_cell(c) for c in _change_cells(change, unknown)]
        rows.append(f"| changed | {markdown_cell(change.path)} | " + " | ".join(cells) + " |")
    if rows:
        table = [
            "| | layer | type | output | parameters | params | MACs |",
            "| --- | --- | --- | --- | --- | ---: | ---: |",
            *rows,
        ]
        if len(rows) > MARKDOWN_ROWS:
            lines += [f"<details><summary>{len(rows)} layers</summary>", "", *table, "", "</details>"]
        else:
            lines += table
    if diff.errors:
        lines += ["", f"**{len(diff.errors)} shape error{'s' if len(diff.errors) > 1 else ''}:**", ""]
        lines += [
            f"- {markdown_cell(d.file or '')}:{d.loc.line if d.loc else '?'}: {markdown_cell(d.message)}"
            for d in diff.errors
        ]
    return "\n".join(lines) + "\n"
