"""The block and repeat structure of a model: which layers belong to which block use and repeat group.

A model's nodes are flat (`Model.nodes`), but their paths keep the structure of
the spec: `layer1/rest.0/conv1` is layer `conv1` of copy 0 of `rest` (a block
repeated with `repeat:`), inside the block use `layer1`. Names cannot contain a
dot, so a segment `name.K` is always copy K of a repeated layer or block; copies
named without a dot (`denselayer1`, `repeat: {separator: ''}`) are listed in
`Model.copy_paths`. This
module turns the paths, `Node.uses` and `Model.repeats` into a tree of groups:

    model
    ├── conv1                     layer
    └── layer1                    block use (Stage)          depth 1
        ├── layer1/0              block use (DownBottleneck) depth 2
        │   └── layer1/0/conv1    layer                      depth 3
        └── layer1/rest           repeat group ×2            depth 2
            ├── layer1/rest.0     block use (Bottleneck)     depth 2
            └── layer1/rest.1     …

`depth` is torchinfo's: the top-level layers and block uses are depth 1, what
they contain depth 2, and so on; a repeat group has the depth of its copies
(like the `nn.Sequential` that holds torchvision's `layer1.0 … layer1.2`).

Readers of the tree (the tables' `--depth`, the graph's folded nodes) use
`Hierarchy.walk` (rows in graph order, containers first) or `Hierarchy.fold`
(the units left visible, each a layer or a folded group), and `group_totals`
for the parameter and MAC counts of a group, per copy and in total.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .records import NamedTuple
from .dims import UNKNOWN, Dim, equal
from .errors import Loc

_COPY = re.compile(r"(.+)\.(\d+)\Z")

LAYER, BLOCK, REPEAT, MODEL = "layer", "block", "repeat", "model"


class Group:
    """One node of the hierarchy: the model, a block use, a repeat group or a layer.

    `path` is the spec's path ('layer1/rest' for a repeat group, 'layer1/rest.0'
    for one of its copies); `name` its last segment; `label` the block's name
    for a block use or a repeat of a block, the layer type for a layer or a
    repeat of a layer; `nodes` the ids of every layer below it, in graph order;
    `node` the id of a layer; `count` the copies of a repeat group (1 otherwise).
    """

    __slots__ = (
        "kind",
        "path",
        "name",
        "label",
        "depth",
        "parent",
        "children",
        "nodes",
        "node",
        "count",
        "loc",
        "number",
    )

    def __init__(self, kind: str, path: str, name: str, label: str, depth: int, parent: Group | None, loc=None):
        self.kind, self.path, self.name, self.label, self.depth = kind, path, name, label, depth
        self.parent = parent
        self.children: list[Group] = []
        self.nodes: list[int] = []
        self.node: int | None = None
        self.count = 1
        self.loc: Loc | None = loc
        self.number: int | None = None
        """Which copy of its repeat group this is (None: not a copy)."""

    @property
    def transparent(self) -> bool:
        """A repeat group of a single copy (`repeat: 1`): nothing to fold, so readers skip it."""
        return self.kind == REPEAT and self.count == 1

    def __repr__(self) -> str:
        return f"Group({self.kind}, {self.path!r}, {self.label}, depth={self.depth}, nodes={len(self.nodes)})"


class Row(NamedTuple):
    """A group as a table shows it: `level` 0 for the top-level entries, `folded` when its
    contents are hidden (a layer is never folded)."""

    group: Group
    level: int
    folded: bool


def folded_name(group: Group, relative_to: Group | None = None) -> str:
    """The name a folded group is shown with: `layer3/rest.0–4 ×5` for a repeat group of five copies,
    the path for anything else; relative to an enclosing group when one is given."""
    path = group.path
    if relative_to is not None and relative_to.kind != MODEL and path.startswith(relative_to.path + "/"):
        path = path[len(relative_to.path) + 1 :]
    if group.kind == REPEAT and group.count > 1:
        first, last = group.children[0], group.children[-1]
        return f"{path[: len(path) - len(group.name)]}{first.name}–{last.number} ×{group.count}"
    return path


class Folding(NamedTuple):
    """What stays visible when a hierarchy is folded.

    `units` are the layers and folded groups, in graph order; `unit_of` maps each node id
    to its unit; `open_groups` are the block uses and repeat groups left open (the boxes
    a drawing puts around their units).
    """

    units: list[Group]
    unit_of: dict[int, Group]
    open_groups: list[Group]

    def container(self, group: Group) -> Group | None:
        """The innermost open group around `group` (None: the model), skipping single-copy repeats."""
        parent = group.parent
        while parent is not None and parent.transparent:
            parent = parent.parent
        return None if parent is None or parent.kind == MODEL else parent


class Hierarchy:
    """The tree of groups of a model (see the module's docstring)."""

    def __init__(self, root: Group, by_path: dict[str, Group], layers: list[Group]):
        self.root = root
        self.by_path = by_path
        """Every group by its path."""
        self.layers = layers
        """The layer group of each node, by node id."""

    def ancestors(self, node: int) -> list[Group]:
        """The block uses and repeat groups around node `node`, outermost first."""
        chain = []
        group = self.layers[node].parent
        while group is not None and group.kind != MODEL:
            chain.append(group)
            group = group.parent
        return chain[::-1]

    def walk(self, depth: int | None = None, expand_repeats: bool = True) -> Iterator[Row]:
        """The groups as rows, in graph order, each container before its contents.

        A block use at depth `depth` is folded (its contents are not walked); a repeat
        group is folded unless `expand_repeats`. `depth` None walks everything.
        """

        def visit(group: Group, level: int) -> Iterator[Row]:
            for child in group.children:
                if child.transparent:
                    yield from visit(child, level)
                    continue
                folded = _folded(child, depth, expand_repeats)
                yield Row(child, level, folded)
                if not folded and child.kind != LAYER:
                    yield from visit(child, level + 1)

        return visit(self.root, 0)

    def fold(self, depth: int | None = None, expand_repeats: bool = False) -> Folding:
        """The visible units when block uses deeper than `depth` and (unless `expand_repeats`)
        repeat groups are folded: what a graph draws as nodes and boxes."""
        units, open_groups = [], []
        unit_of: dict[int, Group] = {}
        for row in self.walk(depth, expand_repeats):
            if row.folded or row.group.kind == LAYER:
                units.append(row.group)
                for node in row.group.nodes:
                    unit_of[node] = row.group
            else:
                open_groups.append(row.group)
        return Folding(units, unit_of, open_groups)


def _folded(group: Group, depth: int | None, expand_repeats: bool) -> bool:
    if group.kind == REPEAT:
        return not expand_repeats
    if group.kind == BLOCK:
        return depth is not None and group.depth >= depth
    return False


def build_hierarchy(model) -> Hierarchy:
    """The hierarchy of a `Model`, from its nodes' paths and block uses and its repeats."""
    root = Group(MODEL, "", "", "model", 0, None)
    by_path: dict[str, Group] = {}
    repeat_locs = {r.path: r.loc for r in model.repeats}
    copy_paths = model.copy_paths
    layers: list[Group] = []

    def child(parent: Group, kind: str, path: str, name: str, label: str, depth: int, loc) -> Group:
        group = by_path.get(path)
        if group is None:
            group = by_path[path] = Group(kind, path, name, label, depth, parent, loc)
            parent.children.append(group)
        return group

    for node in model.nodes:
        uses = {use.path: use for use in node.uses}
        segments = node.path.split("/")
        chain = [root]
        prefix = ""
        for index, segment in enumerate(segments):
            path = prefix + segment
            last = index == len(segments) - 1
            use = uses.get(path)
            label = node.type_label if last or use is None else use.block
            copy = _copy_of(path, segment, prefix, copy_paths)
            if copy:
                repeated, number = copy
                loc = repeat_locs.get(repeated, use.loc if use else node.loc)
                name = repeated[len(prefix) :]
                chain.append(child(chain[-1], REPEAT, repeated, name, label, index + 1, loc))
            if last:
                group = child(chain[-1], LAYER, path, segment, label, index + 1, node.loc)
                group.node = node.id
                layers.append(group)
            else:
                group = child(chain[-1], BLOCK, path, segment, label, index + 1, use.loc if use else node.loc)
            if copy:
                group.number = number
            chain.append(group)
            prefix = path + "/"
        for group in chain:
            group.nodes.append(node.id)
    for group in by_path.values():
        if group.kind == REPEAT:
            group.children.sort(key=lambda g: g.number)
            group.count = len(group.children)
    return Hierarchy(root, by_path, layers)


def _copy_of(path: str, segment: str, prefix: str, copy_paths: dict) -> tuple[str, int] | None:
    """(the repeat group's path, the copy's number) when `path` is a copy of a repeat, else None."""
    if path in copy_paths:
        return copy_paths[path]
    copy = _COPY.match(segment)
    return (prefix + copy.group(1), int(copy.group(2))) if copy else None


class GroupTotals(NamedTuple):
    """The counts of a group from a Trace.

    `params` and `macs` add up its layers (a shared parameter counts at its first use,
    as in the totals); `per_copy_params` / `per_copy_macs` are those of one copy of a
    repeat group when every copy has the same (None otherwise, or when it is no repeat
    group); `state` is 'error' if any layer failed, else 'skipped' if any was skipped,
    else 'ok'; `layers` counts its layers.
    """

    params: Dim
    macs: Dim
    per_copy_params: Dim | None
    per_copy_macs: Dim | None
    state: str
    layers: int


def group_totals(group: Group, trace) -> GroupTotals:
    """Add up the parameters and MACs of `group`'s layers in `trace` (an `infer.Trace`)."""
    infos = [trace.layers[n] for n in group.nodes]
    params, macs = _sum(i.count for i in infos), _sum(i.macs for i in infos)
    states = {i.state for i in infos}
    state = "error" if "error" in states else "skipped" if "skipped" in states else "ok"
    per_copy_params = per_copy_macs = None
    if group.kind == REPEAT and group.count > 1:
        copies = [[trace.layers[n] for n in copy.nodes] for copy in group.children]
        counts = [_sum(i.count for i in copy) for copy in copies]
        mac_counts = [_sum(i.macs for i in copy) for copy in copies]
        if all(equal(c, counts[0]) is True for c in counts):
            per_copy_params = counts[0]
        if all(equal(c, mac_counts[0]) is True for c in mac_counts):
            per_copy_macs = mac_counts[0]
    return GroupTotals(params, macs, per_copy_params, per_copy_macs, state, len(infos))


def _sum(values) -> Dim:
    total: Dim = 0
    for value in values:
        total = total + (UNKNOWN if value is None else value)
    return total
