"""Model and Trace → Diagram: the nodes, edges and boxes a drawing of the model shows, with their text.

This is where the graph is decided — which layers are folded into one node, which
boxes surround which nodes, what each node and edge says — once for every output
format (`shapecli.draw.svg`, `.mermaid`, `.dot`; the HTML report). It computes no
shapes and no coordinates: shapes and counts come from the Trace and from
`hierarchy.group_totals`, positions from `layout`. All text is made visible
(`render.escape.printable`); the drawers escape it for their format.
"""

from __future__ import annotations

from .records import NamedTuple
from .conventions import CONVENTIONS
from .dims import Dim, format_dim, format_shape, is_known
from .errors import ShapecliError
from .render.escape import printable as visible
from .hierarchy import LAYER, REPEAT, Group, build_hierarchy, folded_name, group_totals
from .registry import REQUIRED, PerConvention, canonical_arg
from .spec import Model, NodeOutput

LINE_CHARS = 40
"""Widest detail line of a node, in characters (longer argument lists wrap)."""

ARG_LINES = 2
"""Most lines of arguments a node shows (the rest is in its tooltip)."""

MESSAGE_LINES = 5
"""Most lines of an error message a node shows."""

LABEL_CHARS = 72
"""Longest edge label (a symbolic shape can be long); longer ones are cut, whole in the tooltip."""


class DiagramNode(NamedTuple):
    """A node of the drawing.

    `kind` is 'layer', 'group' (a folded block use or repeat group), 'input' or
    'output'; `state` 'ok', 'error' or 'skipped'; `lines` the detail lines under
    the title; `message` an error's lines; `cluster` the id of the innermost box
    around it; `anchor` what it stands for (a layer or group path, an input or
    output name) so a report can link it to its table row; `layers` the node ids
    (of the Model) it stands for.
    """

    id: str
    kind: str
    title: str
    lines: list[str]
    state: str
    message: list[str]
    cluster: str | None
    anchor: str
    tooltip: str
    layers: tuple[int, ...] = ()


class DiagramEdge(NamedTuple):
    """An edge: data from `source` to `target` labelled with the tensor's shape (None when it has
    none), or a dashed link ('shares', 'ties') from a layer to the one whose parameters it uses.
    `port` names the tensor (edges from one output share it, and the SVG draws its label once)."""

    source: str
    target: str
    label: str | None
    kind: str = "data"
    port: str = ""


class DiagramCluster(NamedTuple):
    """A box around open block uses and repeat groups: `parent` is the enclosing box's id."""

    id: str
    parent: str | None
    title: str
    kind: str
    anchor: str
    state: str
    tooltip: str


class Diagram(NamedTuple):
    """What a drawing shows: nodes (graph order), edges, boxes (outer before inner), a title."""

    title: str
    nodes: list[DiagramNode]
    edges: list[DiagramEdge]
    clusters: list[DiagramCluster]


def build_diagram(model: Model, trace=None, depth: int | None = None, expand: bool = False) -> Diagram:
    """The diagram of `model` with the shapes of `trace` (None: the structure alone).

    Block uses deeper than `depth` (torchinfo's depth) are folded into one node, and so
    are repeat groups unless `expand`.
    """
    folding = build_hierarchy(model).fold(depth, expand)
    unknown = CONVENTIONS[model.convention].unknown
    errors = _errors_by_path(trace)
    cluster_ids = {id(g): f"c{i}" for i, g in enumerate(folding.open_groups)}
    clusters = [_cluster(group, folding, cluster_ids, errors) for group in folding.open_groups]
    input_ids = {name: f"i{i}" for i, name in enumerate(model.inputs)}
    nodes = [_terminal(node_id, name, "input", errors) for name, node_id in input_ids.items()]
    unit_ids = {}
    for index, unit in enumerate(folding.units):
        parent = folding.container(unit)
        cluster = cluster_ids[id(parent)] if parent is not None else None
        unit_ids[id(unit)] = f"n{index}"
        if unit.kind == LAYER:
            nodes.append(_layer_node(f"n{index}", model, trace, unit, parent, cluster, errors, unknown))
        else:
            nodes.append(_group_node(f"n{index}", trace, unit, parent, cluster, errors, unknown))
    nodes += [_terminal(f"o{index}", name, "output", {}) for index, name in enumerate(model.outputs)]

    def node_of(layer: int) -> str:
        return unit_ids[id(folding.unit_of[layer])]

    def source_of(source) -> tuple[str, str, str | None]:
        """The diagram id, port and label of a layer's input."""
        if isinstance(source, str):
            shape = trace.inputs.get(source) if trace is not None else None
            return input_ids[source], f"input:{source}", _shape_label(shape, unknown)
        return node_of(source.node), f"{source.node}:{source.index}", _output_label(trace, source, unknown)

    edges: dict[tuple, DiagramEdge] = {}
    for node in model.nodes:
        target = node_of(node.id)
        for source in node.sources:
            origin, port, label = source_of(source)
            if origin != target:
                edges.setdefault((origin, port, target), DiagramEdge(origin, target, label, "data", port))
    for index, source in enumerate(model.outputs.values()):
        origin, port, label = source_of(source)
        edges.setdefault((origin, port, f"o{index}"), DiagramEdge(origin, f"o{index}", label, "data", port))
    for node in model.nodes:
        for kind, other in (("shares", node.owner), ("ties", node.tie)):
            if other is not None and node_of(node.id) != node_of(other):
                a, b = node_of(node.id), node_of(other)
                edges.setdefault((a, kind, b), DiagramEdge(a, b, kind, kind, kind))
    return Diagram(visible(model.file), nodes, list(edges.values()), clusters)


def _cluster(group: Group, folding, cluster_ids: dict, errors: dict) -> DiagramCluster:
    """The box of an open block use (`layer2 · Stage`) or repeat group (`stage1 ×3 · ResidualDense`)."""
    parent = folding.container(group)
    name = f"{group.name} ×{group.count}" if group.kind == REPEAT else folded_name(group, parent)
    found = errors.get(group.path, [])
    return DiagramCluster(
        cluster_ids[id(group)],
        cluster_ids[id(parent)] if parent is not None else None,
        visible(f"{name} · {group.label}"),
        group.kind,
        visible(group.path),
        "error" if found else "ok",
        visible(group.path) + "".join("\n" + visible(d.message) for d in found),
    )


def _terminal(node_id: str, name: str, kind: str, errors: dict) -> DiagramNode:
    """A model input or output; an input that does not fit its declaration is red."""
    found = [d for d in errors.get(name, []) if d.kind == "input_mismatch"]
    message = [line for d in found for line in _wrap(visible(d.message), LINE_CHARS, MESSAGE_LINES)]
    tooltip = "\n".join(visible(d.message) for d in found)
    state = "error" if found else "ok"
    return DiagramNode(node_id, kind, visible(name), [kind], state, message, None, visible(name), tooltip)


def _errors_by_path(trace) -> dict[str, list]:
    found: dict[str, list] = {}
    for d in trace.errors if trace is not None else ():
        if d.path:
            found.setdefault(d.path, []).append(d)
    return found


def _inside(path: str, group_path: str) -> bool:
    """Whether `path` is `group_path`, or a layer or group in it (a copy `group_path.K` of a repeat)."""
    return path == group_path or path.startswith((group_path + "/", group_path + "."))


def _layer_node(node_id, model: Model, trace, unit: Group, parent, cluster, errors, unknown) -> DiagramNode:
    node = model.nodes[unit.node]
    args = " ".join(f"{name}={_value(value)}" for name, value in key_args(node))
    lines = _wrap(visible(f"{node.type_label} {args}".strip()), LINE_CHARS, ARG_LINES)
    tooltip = [visible(node.path), visible(f"{node.type_label} {args}".strip())]
    if node.owner is not None:
        lines.append(visible(f"shares {model.nodes[node.owner].path}"))
    if node.tie is not None:
        lines.append(visible(f"ties {model.nodes[node.tie].path}"))
    state, message = "ok", []
    if trace is not None:
        info = trace.layers[node.id]
        state = info.state
        if info.state == "ok" and info.params and node.owner is None:
            lines.append(f"{_count(info.count, unknown)} params")
        for d in errors.get(node.path, []):
            state = "error"
            message += _wrap(visible(d.message), LINE_CHARS, MESSAGE_LINES)
            tooltip.append(visible(d.message))
        if state == "skipped":
            message = ["skipped: an input failed"]
    return DiagramNode(
        node_id,
        "layer",
        visible(folded_name(unit, parent)),
        lines,
        state,
        message,
        cluster,
        visible(node.path),
        "\n".join(tooltip),
        (node.id,),
    )


def _group_node(node_id, trace, unit: Group, parent, cluster, errors, unknown) -> DiagramNode:
    lines = [visible(unit.label)]
    state, message = "ok", []
    tooltip = [visible(folded_name(unit)), f"{len(unit.nodes)} layers"]
    if trace is not None:
        totals = group_totals(unit, trace)
        state = totals.state
        if totals.per_copy_params is not None:
            each, total = _count(totals.per_copy_params, unknown), _count(totals.params, unknown)
            lines += _wrap(f"{each} ×{unit.count} = {total} params", LINE_CHARS, 2)
        else:
            lines.append(f"{len(unit.nodes)} layers, {_count(totals.params, unknown)} params")
        inside = [d for path, found in errors.items() for d in found if _inside(path, unit.path)]
        if inside:
            state = "error"
            first = inside[0]
            where = first.path[len(unit.path) :].lstrip("/") if first.path != unit.path else ""
            text = (f"{where}: " if where else "") + first.message
            if len(inside) > 1:
                text = f"{len(inside)} errors; " + text
            message = _wrap(visible(text), LINE_CHARS, MESSAGE_LINES)
            tooltip += [visible(d.message) for d in inside]
        elif state == "skipped":
            message = ["skipped: an input failed"]
    else:
        lines.append(f"{len(unit.nodes)} layers")
    return DiagramNode(
        node_id,
        "group",
        visible(folded_name(unit, parent)),
        lines,
        state,
        message,
        cluster,
        visible(unit.path),
        "\n".join(tooltip),
        tuple(unit.nodes),
    )


def _output_label(trace, source: NodeOutput, unknown: str) -> str | None:
    if trace is None:
        return None
    info = trace.layers[source.node]
    if info.output_shapes:
        name, shape = list(info.output_shapes.items())[source.index]
        return None if shape is None else _cut(visible(f"{name} {format_shape(shape, unknown)}"))
    return _shape_label(info.output_shape, unknown)


def _shape_label(shape, unknown: str) -> str | None:
    return None if shape is None else _cut(visible(format_shape(shape, unknown)))


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _count(value: Dim | None, unknown: str) -> str:
    if value is None or not is_known(value):
        return unknown
    return f"{value:,}" if isinstance(value, int) else format_dim(value)


def key_args(node) -> list[tuple[str, object]]:
    """The arguments worth showing on a layer, in the layer type's order: those written on the
    layer (under the name written), and the others whose value is not the default (a required
    one, or one given through a block's parameter), under their canonical name."""
    layer = node.layer
    written = {}
    for name, owner, *_ in node.args:
        canonical = canonical_arg(layer, name)
        if canonical is not None and (node.path == owner or node.path.startswith(owner + ".")):
            written[canonical] = name
    shown = []
    for canonical, arg in layer.args.items():
        value = getattr(node.cfg, canonical, None)
        if canonical in written:
            shown.append((written[canonical], value))
        elif arg.default is REQUIRED or value != _default(arg, node.cfg.convention):
            shown.append((canonical, value))
    return shown


def _default(arg, convention: str):
    default = arg.default.pick(convention) if isinstance(arg.default, PerConvention) else arg.default
    try:
        return default if default is None else arg.kind(default)
    except ShapecliError:
        return default


def _value(value) -> str:
    """An argument's value, short: `7` for (7, 7), `3x5` for (3, 5), `1` for ((1, 1), (1, 1))."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        flat = _flatten(value)
        if flat and all(v == flat[0] for v in flat) and not isinstance(flat[0], (tuple, list)):
            return _value(flat[0]) if isinstance(value, tuple) else "[" + ", ".join(_value(v) for v in value) + "]"
        if isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return "x".join(str(v) for v in value)
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flatten(value) -> list:
    out = []
    for v in value:
        out += _flatten(v) if isinstance(v, (tuple, list)) else [v]
    return out


def _wrap(text: str, width: int, most: int) -> list[str]:
    """Split text into lines of at most `width` characters at spaces (a longer word is cut),
    at most `most` lines, the last ending in … when text was left out."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines
