"""Lints: models whose shapes fit, but probably not as their author meant.

Each lint reads the Model and the Trace (never a layer rule) and gives warnings of
its own kind (kinds.py, W2xx), located at a layer, with a concrete fix:

    equated_symbols       a condition makes two different input sizes equal (`seq == batch`)
    missing_flatten       a Dense on a rank > 2 output of a convolution or pooling
    concat_batch_axis     a Concat along axis 0, the batch axis
    norm_input_dependent  a normalization whose parameters depend on an input size, once per layer
                          (instead of one `input_dependent_param` per parameter)
    channels_layout       a channels-last-looking image into a channels-first layer, or the reverse

`warnings(model, trace)` is what commands report: the trace's own warnings, the
per-parameter warnings of normalizations folded into one per layer, and the lints.
"""

from __future__ import annotations

from .dims import Expr, format_dim, format_shape
from .errors import Diagnostic
from .infer import Trace
from .shape_math import normalize_axis
from .spec import Model, Node, NodeOutput

CONV_FAMILIES = ("conv", "pool")
"""Layer families (modules of shapecli/layers) whose outputs keep spatial axes."""
PASS_FAMILIES = ("activation", "norm")
"""Families a missing Flatten is looked for through (they keep the shape)."""
FEW_CHANNELS = (1, 3, 4)
"""Channel counts of images (grey, RGB, RGBA) that give a layout away."""
LARGE_SIZE = 16
"""Spatial sizes at least this large (or symbolic) look spatial, not like channels."""


def warnings(model: Model, trace: Trace) -> list[Diagnostic]:
    """The warnings to report for a run: the trace's, with normalizations' folded, and the lints'."""
    folded, replaced = _norm_input_dependent(model, trace)
    kept = [w for w in trace.warnings if not (w.kind == "input_dependent_param" and w.path in replaced)]
    return kept + folded + lint(model, trace)


def lint(model: Model, trace: Trace) -> list[Diagnostic]:
    """The lints' warnings (see the module's docstring), in graph order per lint."""
    return (
        _channels_layout(model, trace)
        + _equated_symbols(model, trace)
        + _missing_flatten(model, trace)
        + _concat_batch_axis(model, trace)
    )


def family(node: Node) -> str:
    """The family of a node's layer type: the module of shapecli/layers it is defined in."""
    return node.layer.__module__.rpartition(".")[2]


def _warning(kind: str, model: Model, node: Node, message: str, hint: str) -> Diagnostic:
    return Diagnostic(kind, message, model.file, node.loc, node.path, hint=hint)


def _equated_symbols(model: Model, trace: Trace) -> list[Diagnostic]:
    """A condition `a == b` between two different input symbols: usually one axis taken for another."""
    places = _symbol_places(trace)
    if len(places) < 2 or not trace.conditions:
        return []
    by_path = {node.path: node for node in model.nodes}
    found: dict[frozenset, Diagnostic] = {}
    for condition in trace.conditions:
        expr = condition.expr
        if condition.kind != "eq" or not isinstance(expr, Expr) or len(expr.symbols) != 2:
            continue
        a, b = sorted(expr.symbols)
        if a not in places or b not in places or frozenset((a, b)) in found:
            continue
        difference = Expr.symbol(a) - Expr.symbol(b)
        if expr != difference and expr != -difference:
            continue
        node = by_path.get(condition.origin)
        if node is None:
            continue
        found[frozenset((a, b))] = _warning(
            "equated_symbols",
            model,
            node,
            f"{node.type_label} '{node.path}' fits only when {condition}: it makes {a} ({places[a]}) "
            f"and {b} ({places[b]}) one size",
            f"if they are one size, declare both axes with one symbol; if not, '{node.path}' takes one "
            "axis for the other (look at batch_first, axis, or a missing Transpose before it)",
        )
    return list(found.values())


def _symbol_places(trace: Trace) -> dict[str, str]:
    """Each input symbol that is a whole input size → where it first stands ("axis 1 of input 'x'")."""
    places: dict[str, str] = {}
    for name, shape in trace.inputs.items():
        for axis, d in enumerate(shape):
            if isinstance(d, Expr) and len(d.symbols) == 1:
                symbol = next(iter(d.symbols))
                if d == Expr.symbol(symbol):
                    places.setdefault(symbol, f"axis {axis} of input '{name}'")
    return places


def _missing_flatten(model: Model, trace: Trace) -> list[Diagnostic]:
    """A Dense on a rank > 2 tensor straight from a convolution or pooling (through activations
    and normalizations): it acts on the last axis only, position by position."""
    found = []
    for node in model.nodes:
        if node.layer.type_name != "Dense":
            continue
        info = trace.layers[node.id]
        if info.state != "ok" or len(info.input_shapes[0]) <= 2:
            continue
        producer = _producer(model, trace, node.sources[0])
        if producer is None:
            continue
        shape = info.input_shapes[0]
        found.append(
            _warning(
                "missing_flatten",
                model,
                node,
                f"{node.type_label} '{node.path}' receives {format_shape(shape)} from {producer.type_label} "
                f"'{producer.path}': it acts on the last axis only ({format_dim(shape[-1])} features at each "
                "of the other positions) — did you forget Flatten?",
                f"add {{type: Flatten}} before '{node.path}' (or a global pooling layer) to give it one vector "
                "per sample",
            )
        )
    return found


def _producer(model: Model, trace: Trace, source) -> Node | None:
    """The convolution or pooling `source` comes straight from, looking through layers that keep
    the shape (activations, normalizations, dropout); None if it comes from anything else."""
    for _ in range(len(model.nodes)):
        if not isinstance(source, NodeOutput):
            return None
        node = model.nodes[source.node]
        if family(node) in CONV_FAMILIES:
            return node
        info = trace.layers[node.id]
        keeps_shape = len(node.sources) == 1 and info.input_shapes and info.output_shape == info.input_shapes[0]
        if not keeps_shape or (family(node) not in PASS_FAMILIES and info.params):
            return None
        source = node.sources[0]
    return None


def _concat_batch_axis(model: Model, trace: Trace) -> list[Diagnostic]:
    """A Concat along axis 0: it stacks samples of the batch, which a model rarely means."""
    found = []
    for node in model.nodes:
        if node.layer.type_name != "Concat":
            continue
        info = trace.layers[node.id]
        if info.state != "ok" or len(info.input_shapes[0]) < 2:
            continue
        default = -1 if node.cfg.convention == "keras" else 1
        rank = len(info.input_shapes[0])
        if normalize_axis(default if node.cfg.axis is None else node.cfg.axis, rank) != 0:
            continue
        shapes = " and ".join(format_shape(s) for s in info.input_shapes)
        found.append(
            _warning(
                "concat_batch_axis",
                model,
                node,
                f"Concat '{node.path}' joins {shapes} along axis 0, the batch axis, giving "
                f"{format_shape(info.output_shape)}: the samples of the batch, not their features, are stacked",
                f"to join the features or channels, set axis: {default} (axis 0 is only right for a time-major "
                "sequence, where it is the time axis)",
            )
        )
    return found


def _norm_input_dependent(model: Model, trace: Trace) -> tuple[list[Diagnostic], set[str]]:
    """One warning per normalization whose parameters depend on an input size, and the names of
    the parameters whose own warnings it replaces."""
    flagged = {w.path for w in trace.warnings if w.kind == "input_dependent_param"}
    if not flagged:
        return [], set()
    found, replaced = [], set()
    for node in model.nodes:
        if family(node) != "norm":
            continue
        params = [p for p in trace.layers[node.id].params if p.name in flagged]
        if not params:
            continue
        replaced.update(p.name for p in params)
        size = next(d for d in params[0].after if isinstance(d, Expr))
        names = ", ".join(p.local for p in params)
        found.append(
            _warning(
                "norm_input_dependent",
                model,
                node,
                f"{node.type_label} '{node.path}' normalizes an axis of size {format_dim(size)}, an input size: "
                f"its {names} {format_shape(params[0].after)} would change with the input",
                _norm_hint(node),
            )
        )
    return found, replaced


def _norm_hint(node: Node) -> str:
    """How to make a normalization act on the channel (feature) axis, by what it normalizes."""
    if "normalized_shape" in node.layer.args:
        return (
            f"{node.type_label} normalizes the last axes: give normalized_shape: [features] for the feature "
            "axis, and put the features last (not a sequence or spatial size)"
        )
    axis = getattr(node.cfg, "axis", 1)
    return (
        f"{node.type_label} normalizes the channel axis (axis {axis}): put the channels there (a Transpose "
        "or Permute before it), or set axis: to the channel axis; for (batch, seq, features) use LayerNorm"
    )


def _channels_layout(model: Model, trace: Trace) -> list[Diagnostic]:
    """An image input that looks laid out for the other convention than the layer reading it."""
    readers: dict[str, Node] = {}
    for node in model.nodes:
        if hasattr(node.cfg, "data_format"):
            for source in node.sources:
                if isinstance(source, str):
                    readers.setdefault(source, node)
    found = []
    for name, node in readers.items():
        shape = trace.inputs.get(name)
        if shape is None or len(shape) not in (4, 5):
            continue
        first = node.cfg.data_format == "channels_first"
        if first and _looks_channels_last(shape) and not _looks_channels_first(shape):
            moved = (shape[0], shape[-1], *shape[1:-1])
            message = (
                f"input '{name}' {format_shape(shape)} looks channels-last ({format_dim(shape[-1])} channels at "
                f"the end), but {node.type_label} '{node.path}' reads channels first ({node.cfg.convention} "
                f"convention): it takes {format_dim(shape[1])} as the channels"
            )
            hint = (
                f"give the input as {format_shape(moved)}; for a Keras spec use --convention keras "
                f"(or convention: keras in the spec); or set data_format: channels_last on '{node.path}'"
            )
        elif not first and _looks_channels_first(shape) and not _looks_channels_last(shape):
            moved = (shape[0], *shape[2:], shape[1])
            message = (
                f"input '{name}' {format_shape(shape)} looks channels-first ({format_dim(shape[1])} channels on "
                f"axis 1), but {node.type_label} '{node.path}' reads channels last ({node.cfg.convention} "
                f"convention): it takes {format_dim(shape[-1])} as the channels"
            )
            hint = (
                f"give the input as {format_shape(moved)}; for a PyTorch spec use --convention torch "
                f"(or convention: torch in the spec); or set data_format: channels_first on '{node.path}'"
            )
        else:
            continue
        found.append(_warning("channels_layout", model, node, message, hint))
    return found


def _spatial(d) -> bool:
    return isinstance(d, Expr) or (isinstance(d, int) and d >= LARGE_SIZE)


def _looks_channels_last(shape: tuple) -> bool:
    return type(shape[-1]) is int and shape[-1] in FEW_CHANNELS and all(_spatial(d) for d in shape[1:-1])


def _looks_channels_first(shape: tuple) -> bool:
    return type(shape[1]) is int and shape[1] in FEW_CHANNELS and all(_spatial(d) for d in shape[2:])
