"""The rows of a folded table: layers, open block uses and repeat groups, and folded ones.

`hierarchy.Hierarchy.walk` decides what is visible (block uses deeper than
`--depth` and, unless `--expand`, repeat groups are folded); this module adds
what a table row of a group shows: the tensors that enter and leave it (its
boundary) and its counts (`hierarchy.group_totals`). Everything is computed in
one pass over the graph's edges (each edge touches the groups around its two
ends), so folding stays linear in the size of the model.

A model without block uses or repeats has nothing to fold: `is_flat` says so,
and the tables then list `trace.layers` as they are.
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


def is_flat(model: Model) -> bool:
    """Whether the model has no block use and no repeated layer (nothing to fold or indent).
    A path segment `name.K` is always a repeat copy (names cannot hold a dot)."""
    return not any(node.uses or "." in node.path for node in model.nodes)


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
