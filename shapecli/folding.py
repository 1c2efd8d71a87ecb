"""The rows of a folded table: layers, open block uses and repeat groups, and folded ones.

`hierarchy.Hierarchy.walk` decides what is visible (block uses deeper than
`--depth` and, unless `--expand`, repeat groups are folded); this module adds
what a table row of a group shows: the tensors that enter and leave it (its
boundary) and its counts (`hierarchy.group_totals`). Everything is computed in
one pass over the graph's edges (each edge touches the groups around its two
ends), so folding stays linear in the size of the model.

A model without block uses or repeats has nothing to fold: `is_flat` says so,
and the tables then list `trace.layers` as they are.

Wherever they are, RUN_MIN or more identical consecutive layers (alike in every
column of the tables but their names: a stack of 100,000 `Dense(4)`) are one row,
a `Run`, unless --expand: `layer_runs` finds them in a flat model, `fold_runs` among
the rows of a folded table.
"""

from __future__ import annotations

from collections.abc import Iterator

from .records import NamedTuple
from .hierarchy import BLOCK, LAYER, MODEL, REPEAT, Group, GroupTotals, build_hierarchy, folded_name, group_totals
from .spec import Model, NodeOutput


class TableRow(NamedTuple):
    """One row of a folded table.

    `kind` is 'layer', 'open' (a block use or repeat group whose contents follow, one
    level deeper) or 'folded' (one whose contents are hidden); `level` the indentation;
    `name` the name within the enclosing block use (`rest.0–4 ×5` for a folded repeat);
    `label` the layer type or block name; `group` the hierarchy group. A group row has
    `inputs` and `outputs` (the sources crossing its boundary: model input names or
    NodeOutputs) and `totals`.
    """

    kind: str
    level: int
    name: str
    label: str
    group: Group
    inputs: tuple = ()
    outputs: tuple = ()
    totals: GroupTotals | None = None


RUN_MIN = 10
"""Identical consecutive layers are one table row from this many on (fewer are listed)."""


class Run(NamedTuple):
    """Identical consecutive layers shown as one row (`TableRow` kind 'run'): the ids of
    their nodes, in order."""

    nodes: range

    @property
    def count(self) -> int:
        """How many layers the run holds."""
        return len(self.nodes)


def run_name(first: str, last: str, count: int) -> str:
    """`dense0–dense99999 ×100,000`: the first and last layers' names and how many."""
    return f"{first}–{last} ×{count:,}"


def same_layer(a, b) -> bool:
    """Whether two inferred layers (`infer.LayerInfo`) show alike in every column of the
    tables but their names: type, state, shapes, parameters, counts and status."""
    if a.alike is not None and a.alike is b.alike:  # inferred alike (see LayerInfo.alike)
        return True
    return (
        a.type == b.type
        and a.state == b.state
        and a.input_shapes == b.input_shapes
        and a.output_shape == b.output_shape
        and a.output_shapes == b.output_shapes
        and a.count == b.count
        and a.macs == b.macs
        and a.before_status == b.before_status
        and a.condition == b.condition
        and len(a.params) == len(b.params)
        and all(map(_same_param, a.params, b.params))
    )


def _same_param(p, q) -> bool:
    return (
        p.local == q.local
        and p.before == q.before
        and p.after == q.after
        and p.count == q.count
        and p.trainable == q.trainable
        and p.buffer == q.buffer
        and (p.shared_with is None) == (q.shared_with is None)
        and p.init == q.init
    )


def layer_runs(layers: list, minimum: int = RUN_MIN) -> Iterator[int | Run]:
    """The indices of `layers` in order, each run of at least `minimum` identical consecutive
    layers (`same_layer`) given as one Run instead."""
    start = 0
    for end in range(1, len(layers) + 1):
        if end < len(layers) and same_layer(layers[end - 1], layers[end]):
            continue
        if end - start >= minimum:
            yield Run(range(start, end))
        else:
            yield from range(start, end)
        start = end


def fold_runs(rows: list[TableRow], trace, minimum: int = RUN_MIN) -> list[TableRow]:
    """The rows with each run of at least `minimum` consecutive layer rows of one level whose
    layers are identical (`same_layer`) made one row of kind 'run'."""
    folded: list[TableRow] = []
    start = 0
    for end in range(1, len(rows) + 1):
        if end < len(rows) and _continues(rows[end - 1], rows[end], trace):
            continue
        if end - start >= minimum:
            first, last = rows[start], rows[end - 1]
            run = Run(range(first.group.node, last.group.node + 1))
            name = run_name(first.name, last.name, end - start)
            folded.append(TableRow("run", first.level, name, first.label, run))
        else:
            folded.extend(rows[start:end])
        start = end
    return folded


def _continues(before: TableRow, row: TableRow, trace) -> bool:
    """Whether `row` extends a run ending at `before`: both layers of one level, adjacent nodes, alike."""
    return (
        before.kind == row.kind == "layer"
        and before.level == row.level
        and row.group.node == before.group.node + 1
        and same_layer(trace.layers[before.group.node], trace.layers[row.group.node])
    )


def is_flat(model: Model) -> bool:
    """Whether the model has no block use and no repeated layer (nothing to fold or indent).
    A path segment `name.K` is always a repeat copy (names cannot hold a dot)."""
    for node in model.nodes:  # noqa: SIM110 (a loop: resuming a generator costs more than this test)
        if node.uses or "." in node.path:
            return False
    return True


def table_rows(model: Model, trace, depth: int | None = None, expand: bool = False) -> Iterator[TableRow]:
    """The rows of the layer table, in graph order, each open group before its contents."""
    hierarchy = build_hierarchy(model)
    boundaries = _boundaries(model, hierarchy)
    for row in hierarchy.walk(depth, expand):
        group = row.group
        if group.kind == LAYER:
            yield TableRow("layer", row.level, folded_name(group, _block_around(group)), group.label, group)
            continue
        inputs, outputs = boundaries.get(id(group), ((), ()))
        totals = group_totals(group, trace) if trace is not None else None
        name = folded_name(group, _block_around(group))
        if not row.folded and group.kind == REPEAT:
            name = f"{_relative(group)} ×{group.count}"
        yield TableRow("folded" if row.folded else "open", row.level, name, group.label, group, inputs, outputs, totals)


def _block_around(group: Group) -> Group | None:
    """The nearest block use around `group` (None: the model): names are shown relative to it."""
    parent = group.parent
    while parent is not None and parent.kind not in (BLOCK, MODEL):
        parent = parent.parent
    return parent if parent is not None and parent.kind == BLOCK else None


def _relative(group: Group) -> str:
    block = _block_around(group)
    if block is not None and group.path.startswith(block.path + "/"):
        return group.path[len(block.path) + 1 :]
    return group.path


def _boundaries(model: Model, hierarchy) -> dict[int, tuple[tuple, tuple]]:
    """For each block use and repeat group (by id): the sources entering it and those leaving it,
    in graph order. An edge from producer p to consumer c enters every group around c that is not
    around p, and leaves every group around p that is not around c."""
    entering: dict[int, dict] = {}
    leaving: dict[int, dict] = {}
    chains: dict[int, list[Group]] = {}

    def chain(node: int) -> list[Group]:
        found = chains.get(node)
        if found is None:
            found = chains[node] = hierarchy.ancestors(node)
        return found

    for node in model.nodes:
        around = chain(node.id)
        for source in node.sources:
            if isinstance(source, NodeOutput):
                other = chain(source.node)
                shared = _shared(around, other)
                for group in other[shared:]:
                    leaving.setdefault(id(group), {})[source] = None
            else:
                shared = 0
            for group in around[shared:]:
                entering.setdefault(id(group), {})[source] = None
    for source in model.outputs.values():
        if isinstance(source, NodeOutput):
            for group in chain(source.node):
                leaving.setdefault(id(group), {})[source] = None
    keys = set(entering) | set(leaving)
    return {key: (tuple(entering.get(key, ())), tuple(leaving.get(key, ()))) for key in keys}


def _shared(a: list[Group], b: list[Group]) -> int:
    """How many outermost groups the two chains have in common."""
    n = 0
    for x, y in zip(a, b):
        if x is not y:
            break
        n += 1
    return n
