"""Shape inference: a Model and input shapes → a Trace of every shape and parameter.

Propagation visits the nodes in topological order. For each it records the
parameters before inference (the rule applied to inputs of unknown shape, so
only declared and configured sizes are known) and after (applied to the real
input shapes). A layer whose shapes do not fit records a diagnostic; layers
downstream of it are skipped instead of failing in turn, so independent parts
of the graph are still checked. Nothing here prints.
"""

from __future__ import annotations

from typing import NamedTuple

from .conventions import CONVENTIONS, DTYPE_BYTES
from .dims import ANY_SHAPE, MAX_RANK, UNKNOWN, Dim, Expr, equal, format_dim, format_shape, is_known, product
from .errors import Diagnostic, InputError, MissingInput, ShapeError, did_you_mean
from .shape_math import same_dim
from .conditions import Condition, Contradiction, Requirement, collecting, simplify
from .explain import differing_axes, input_origins, mismatch, output_origins
from .init_defaults import param_init
from .spec import Model, Node, NodeOutput


class ParamInfo:
    """One parameter (or buffer) of one layer, before and after inference.

    `name` is the full name in the convention, `local` the name within its
    layer ('weight'); `count` is the elements counted for this use: 0 for a
    later use of a shared parameter, None when the layer failed; `init` the
    initializer it starts with, as shown ('kaiming_uniform(a=√5)').
    """

    __slots__ = ("name", "local", "before", "after", "count", "trainable", "buffer", "shared_with", "init")

    def __init__(
        self,
        name: str,
        local: str,
        before: tuple,
        after: tuple | None,
        count: Dim | None,
        trainable: bool,
        buffer: bool,
    ):
        self.name, self.local, self.before, self.after, self.count = name, local, before, after, count
        self.trainable, self.buffer = trainable, buffer
        self.shared_with: str | None = None
        self.init: str | None = None


class LayerInfo:
    """One node of the graph, as inferred.

    `output_shape` is the first output; `output_shapes` names every output of
    a layer that has several. `before_status` is 'initialized', 'deferred',
    'shared' or 'none' (no parameters); `state` is 'ok', 'error' (its shapes do
    not fit) or 'skipped' (an input failed upstream).
    """

    __slots__ = (
        "path",
        "type",
        "loc",
        "input_shapes",
        "output_shape",
        "output_shapes",
        "params",
        "count",
        "macs",
        "before_status",
        "state",
    )

    def __init__(
        self, path: str, type: str, loc, input_shapes: list[tuple] | None, params: list[ParamInfo], before_status: str
    ):
        self.path, self.type, self.loc, self.input_shapes = path, type, loc, input_shapes
        self.params, self.before_status = params, before_status
        self.output_shape: tuple | None = None
        self.output_shapes: dict[str, tuple | None] | None = None
        self.count: Dim | None = None
        self.macs: Dim | None = None
        self.state = "ok"


class Totals(NamedTuple):
    """Counts over the whole model; UNKNOWN where a size stays unknown."""

    params: Dim
    trainable: Dim
    non_trainable: Dim
    bytes: Dim
    dtype: str
    macs: Dim


class Trace(NamedTuple):
    """Everything inspection found, in graph order; what renderers print.

    `requires` are the simplified conditions on the input symbols under which
    the shapes fit; `conditions` the raw ones, attributed to layers;
    `warnings` flag parameters whose size depends on the input.
    """

    file: str
    convention: str
    inputs: dict[str, tuple]
    outputs: dict[str, tuple | None]
    layers: list[LayerInfo]
    totals: Totals
    errors: list[Diagnostic]
    requires: list[Requirement] = ()
    conditions: list[Condition] = ()
    warnings: list[Diagnostic] = ()

    @property
    def symbols(self) -> set[str]:
        """The symbols of the input shapes."""
        return {s for shape in self.inputs.values() for d in shape if isinstance(d, Expr) for s in d.symbols}

    @property
    def input_dependent_params(self) -> list[str]:
        """Names of the parameters whose shape depends on an input symbol."""
        return [w.path for w in self.warnings if w.kind == "input_dependent_param"]


def bind_inputs(model: Model, given: list[tuple[str | None, tuple]]) -> tuple[dict[str, tuple], list[Diagnostic]]:
    """The shape of each model input from --input values and the spec's declarations.

    A given shape must fit the declared one: same rank, equal ints, and each
    declared symbol standing for one value. Returns the shapes and the
    mismatches found; raises InputError for unusable command-line values.
    """
    names = list(model.inputs)
    by_name: dict[str, tuple] = {}
    for name, shape in given:
        if name is None:
            if len(names) != 1:
                raise InputError(f"the spec has inputs {', '.join(names)}: name each one, e.g. --input {names[0]}=2x20")
            name = names[0]
        if name not in model.inputs:
            raise InputError(
                f"--input names '{name}', but the spec's inputs are {', '.join(names)}",
                hint=did_you_mean(name, names),
            )
        if name in by_name:
            raise InputError(f"--input gives '{name}' twice")
        by_name[name] = shape
    shapes, problems, bound = {}, [], {}
    for name, decl in model.inputs.items():
        shape = by_name.get(name)
        if shape is None:
            if decl.shape is None:
                raise MissingInput(f"no shape for the input '{name}': give one with --input, e.g. --input 2x20")
            shapes[name] = decl.shape
            continue
        if decl.shape is not None:
            problem, axis = _fit_declared(name, decl.shape, shape, bound)
            if problem:
                problems.append(
                    Diagnostic(
                        "input_mismatch",
                        problem,
                        model.file,
                        decl.loc,
                        name,
                        decl.shape,
                        shape,
                        axes=() if axis is None else (axis,),
                    )
                )
            shape = tuple(g if is_known(g) else d for g, d in zip(shape, decl.shape)) if not problem else shape
        shapes[name] = shape
    return shapes, problems


def _fit_declared(name: str, declared: tuple, given: tuple, bound: dict) -> tuple[str | None, int | None]:
    """(why `given` does not fit the declared shape of input `name`, the axis), or (None, None)."""
    if len(declared) != len(given):
        return f"input '{name}' is declared {format_shape(declared)} but --input gives {format_shape(given)}", None
    for axis, (d, g) in enumerate(zip(declared, given)):
        if isinstance(d, int) or not is_known(d) or not is_known(g):
            if same_dim(d, g) is None:
                return (
                    f"input '{name}' is declared {format_shape(declared)} but --input gives "
                    f"{format_shape(given)} (axis {axis})"
                ), axis
            continue
        if d in bound and equal(bound[d][0], g) is False:
            first, where = bound[d]
            return (
                f"{format_dim(d)} is {format_dim(first)} for input '{where}' but {format_dim(g)} for input '{name}'"
            ), axis
        bound.setdefault(d, (g, name))
    return None, None


def infer(model: Model, given: list[tuple[str | None, tuple]], dtype: str = "float32") -> Trace:
    """Propagate the input shapes through the model and collect the Trace."""
    convention = CONVENTIONS[model.convention]
    with collecting("inputs") as conditions:
        inputs, errors = bind_inputs(model, given)
    values: dict = dict(inputs)
    given_names = {name if name is not None else next(iter(model.inputs)) for name, _ in given}
    origins: dict = {name: input_origins(model, name, shape, name in given_names) for name, shape in inputs.items()}
    layers: list[LayerInfo] = []
    shared_first: dict[int, list[ParamInfo]] = {}
    for node in model.nodes:
        ins = [values[s] for s in node.sources]
        first_use = shared_first.get(node.owner if node.owner is not None else node.id)
        before = _param_infos(node, [ANY_SHAPE] * len(ins), convention)
        info = LayerInfo(
            node.path,
            node.type_label,
            node.loc,
            None if None in ins else ins,
            before,
            _before_status(before, first_use),
        )
        layers.append(info)
        names = node.layer.output_names(node.cfg)
        outs: list = [None] * len(names)
        if None in ins:
            info.state = "skipped"
        else:
            in_origins = [origins[s] for s in node.sources]
            with collecting(node.path) as found:
                outs = _apply(model, node, ins, in_origins, info, shared_first, convention, errors)
            if info.state == "ok":
                conditions += found
        if info.state == "ok":
            info.count = _sum(p.count for p in info.params if not p.buffer)
        else:
            for p in info.params:
                p.after = p.count = None
        info.output_shape = outs[0]
        if len(names) > 1:
            info.output_shapes = dict(zip(names, outs))
        for index, shape in enumerate(outs):
            values[NodeOutput(node.id, index)] = shape
            if shape is not None:
                origins[NodeOutput(node.id, index)] = output_origins(model, node, ins, in_origins, shape)
    outputs = {name: values[source] for name, source in model.outputs.items()}
    errors = _repeat_mismatches(model, values, errors)
    requires = []
    try:
        requires = simplify(conditions)
    except Contradiction as e:
        node = next(n for n in model.nodes if n.path == e.origin)
        errors.append(mismatch(model, node, layers[node.id].input_shapes, [origins.get(s) for s in node.sources], e))
    warnings = model.warnings + _unreached(model, outputs, layers) + _input_dependent(model, layers)
    return Trace(
        model.file,
        model.convention,
        inputs,
        outputs,
        layers,
        _totals(layers, dtype),
        errors,
        requires,
        conditions,
        warnings,
    )


def _repeat_mismatches(model: Model, values: dict, errors: list[Diagnostic]) -> list[Diagnostic]:
    """A repeated block whose output shape differs from its input's, when that breaks a
    later copy: report it at `repeat:`, instead of the errors it causes in those copies."""
    for repeat in model.repeats:
        before, after = values.get(repeat.first_in), values.get(repeat.first_out)
        if before is None or after is None:
            continue
        if len(before) == len(after) and all(equal(a, b) is not False for a, b in zip(before, after)):
            continue
        later = tuple(f"{repeat.path}.{i}/" for i in range(1, repeat.count))
        caused = [e for e in errors if (e.path or "").startswith(later)]
        if not caused:
            continue  # the later copies adapt (deferred sizes): a first copy may change the shape
        errors = [e for e in errors if e not in caused]
        errors.append(
            Diagnostic(
                "shape_mismatch",
                f"block {repeat.block} is repeated {repeat.count} times, but it turns {format_shape(before)} into "
                f"{format_shape(after)}: each copy feeds the next, so its output must have its input's shape",
                model.file,
                repeat.loc,
                repeat.path,
                before,
                after,
                hint="make the block keep the shape, or use separate layers for the first copy",
                axes=differing_axes(before, after),
            )
        )
    return errors


def _unreached(model: Model, outputs: dict, layers: list[LayerInfo]) -> list[Diagnostic]:
    """A warning for each output that an error further upstream left without a shape."""
    warnings = []
    for name, source in model.outputs.items():
        if outputs[name] is None and isinstance(source, NodeOutput) and layers[source.node].state == "skipped":
            warnings.append(
                Diagnostic(
                    "unreached_output",
                    f"output '{name}' has no shape: an error upstream stops it",
                    model.file,
                    model.nodes[source.node].loc,
                    name,
                )
            )
    return warnings


def _apply(
    model: Model, node: Node, ins: list, in_origins: list, info: LayerInfo, shared_first: dict, convention, errors: list
) -> list:
    """Run a node's rules on its input shapes, filling `info`; returns its output shapes."""
    group = node.owner if node.owner is not None else node.id
    try:
        out = node.layer.output_shape(node.cfg, ins)
        for shape in out if isinstance(out, list) else [out]:
            if len(shape) > MAX_RANK:
                raise ShapeError(f"gives a rank-{len(shape)} output; shapecli handles at most {MAX_RANK} axes")
        info.params = _param_infos(node, ins, convention, info.params)
        if group not in shared_first:
            shared_first[group] = info.params
        else:
            _share(info.params, shared_first[group], model.nodes[group])
        if node.tie is not None:
            tied = model.nodes[node.tie]
            _tie(info.params, shared_first.get(tied.owner if tied.owner is not None else tied.id), tied)
        info.macs = node.layer.macs(node.cfg, ins, out)
        return out if isinstance(out, list) else [out]
    except ShapeError as e:
        info.state = "error"
        errors.append(mismatch(model, node, ins, in_origins, e))
        return [None] * len(node.layer.output_names(node.cfg))


def _param_infos(node: Node, ins, convention, before: list[ParamInfo] | None = None) -> list[ParamInfo]:
    specs = node.layer.params(node.cfg, ins)
    infos = []
    for i, spec in enumerate(specs):
        shape = tuple(spec.shape)
        info = ParamInfo(
            convention.param_name(node.path, spec.name),
            spec.name,
            before[i].before if before else shape,
            shape if before else None,
            product(shape) if before else None,
            spec.trainable,
            spec.buffer,
        )
        info.init = before[i].init if before else param_init(node.layer, node.cfg, spec.name, node.init)[1].text
        infos.append(info)
    return infos


def _before_status(before: list[ParamInfo], first_use) -> str:
    if not before:
        return "none"
    if first_use is not None:
        return "shared"
    known = all(is_known(d) for p in before for d in p.before)
    return "initialized" if known else "deferred"


def _share(params: list[ParamInfo], first: list[ParamInfo], owner: Node) -> None:
    """Check a later use of shared parameters against the first one and mark it shared."""
    for mine, theirs in zip(params, first):
        merged = tuple(same_dim(a, b) for a, b in zip(theirs.after, mine.after))
        if len(theirs.after) != len(mine.after) or None in merged:
            raise ShapeError(
                f"shares the parameters of '{owner.path}', whose {theirs.name} is "
                f"{format_shape(theirs.after)}, but its input needs {format_shape(mine.after)}",
                expected=theirs.after,
                received=mine.after,
            )
        theirs.after = merged
        theirs.count = product(merged)
        mine.shared_with, mine.count = theirs.name, 0


def _input_dependent(model: Model, layers: list[LayerInfo]) -> list[Diagnostic]:
    """A warning for each parameter whose shape depends on an input symbol."""
    warnings = []
    for node, layer in zip(model.nodes, layers):
        for p in layer.params:
            if layer.state != "ok" or p.shared_with or all(isinstance(d, int) for d in p.after):
                continue
            symbols = sorted({s for d in p.after if isinstance(d, Expr) for s in d.symbols})
            if not symbols:
                continue
            warnings.append(
                Diagnostic(
                    "input_dependent_param",
                    f"{node.type_label} '{node.path}': {p.local} {format_shape(p.after)} depends on the input size "
                    f"({', '.join(symbols)}), so the model accepts only inputs that give one value",
                    model.file,
                    node.loc,
                    p.name,
                    hint="fix the size with an adaptive pooling layer, or declare the input size",
                )
            )
    return warnings


class Evaluation(NamedTuple):
    """A symbolic trace evaluated at concrete symbol values (`--where`)."""

    bindings: dict[str, int]
    violated: list[Requirement]
    undecided: list[Requirement]
    inputs: dict[str, tuple]
    outputs: dict[str, tuple | None]
    layers: list[tuple[str, tuple | None]]


def evaluate_at(trace: Trace, bindings: dict[str, int]) -> Evaluation:
    """The trace's shapes and requirements at `bindings` (symbol → value)."""
    violated, undecided = [], []
    for requirement in trace.requires:
        verdict = requirement.test(bindings)
        if verdict is False:
            violated.append(requirement)
        elif verdict is None:
            undecided.append(requirement)

    def shape(s):
        return None if s is None else tuple(d.evaluate(bindings) if isinstance(d, Expr) else d for d in s)

    return Evaluation(
        bindings,
        violated,
        undecided,
        {name: shape(s) for name, s in trace.inputs.items()},
        {name: shape(s) for name, s in trace.outputs.items()},
        [(layer.path, shape(layer.output_shape)) for layer in trace.layers],
    )


def _tie(params: list[ParamInfo], target_params: list[ParamInfo] | None, target: Node) -> None:
    """Make `params` the parameters of `target`, in order; shapes must agree or be transposed."""
    if target_params is None:
        raise ShapeError(f"ties its parameters to '{target.path}', whose shapes could not be inferred")
    if len(params) > len(target_params):
        raise ShapeError(f"ties {len(params)} parameters to '{target.path}', which has {len(target_params)}")
    for mine, theirs in zip(params, target_params):
        if not (_same_shape(mine.after, theirs.after) or _same_shape(mine.after, theirs.after[::-1])):
            raise ShapeError(
                f"ties its {mine.local} {format_shape(mine.after)} to {theirs.name} "
                f"{format_shape(theirs.after)}, and the shapes differ",
                expected=theirs.after,
                received=mine.after,
            )
        mine.shared_with, mine.count = theirs.name, 0


def _same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(same_dim(x, y) is not None for x, y in zip(a, b))


def _sum(values) -> Dim:
    total: Dim = 0
    for v in values:
        total = total + (UNKNOWN if v is None else v)
    return total


def _totals(layers: list[LayerInfo], dtype: str) -> Totals:
    counted = [p for layer in layers for p in layer.params if not p.buffer]
    trainable = _sum(p.count for p in counted if p.trainable)
    non_trainable = _sum(p.count for p in counted if not p.trainable)
    total = trainable + non_trainable
    macs = _sum(layer.macs for layer in layers)
    return Totals(total, trainable, non_trainable, total * DTYPE_BYTES[dtype], dtype, macs)
