"""What a framework builder needs from a spec: every layer's inferred sizes, checked to be
numbers, the scopes (block uses) the layers sit in, and each layer's framework counterpart.

    Model + input shapes ─ infer ─▶ Trace ─ make_plan ─▶ Plan ─ backend table ─▶ Construct / Expression

Nothing here imports a framework: the torch and keras builders (and the exporter, which
prints what they create) read the same Plan. A backend table maps each layer type to a
function of a `LayerView` (the validated arguments and the inferred sizes) that returns a
`Construct` (a framework class and its keyword arguments) or an `Expression` (a functional
layer), or raises `Refusal` (no counterpart) or `NeedsInput` (a size that is not a number).
"""

from __future__ import annotations

import re

from .records import NamedTuple
from .dims import UNKNOWN, Expr, format_dim, format_shape, is_known
from .errors import InputError, Loc, SpecError
from .infer import LayerInfo, Trace, infer, parameters_before
from .spec import Model, Node, NodeOutput, Source

FRAMEWORK_NAMES = {"torch": "PyTorch", "keras": "Keras"}


class Default(NamedTuple):
    """A keyword argument's value and the class's default for it: the builder passes the
    value, the exporter leaves the keyword out when the two are equal."""

    value: object
    default: object


def plain(value):
    """A keyword value without its Default wrapper."""
    return value.value if isinstance(value, Default) else value


class Construct(NamedTuple):
    """A framework layer to create, and how to call it.

    `cls` names the class in the backend's namespace ('nn.Linear', 'layers.Dense');
    `kwargs` are plain values (int, float, bool, str, None, tuples, lists, nested
    Constructs and dicts of them), each possibly wrapped in `Default`. The templates use
    `{m}` for the layer, `{0}`, `{1}`… for the inputs and `{args}` for all of them:
    `call` is the call expression; `unpack` (for several outputs) is the target its result
    is assigned to, with the outputs as `{0}`, `{1}`… ('{0}, ({1}, {2})' for an LSTM);
    `post` is applied to the first output (a fused activation: 'F.relu({0})').
    `params` are bare parameters to add to the created object, name → shape (zeros).
    """

    cls: str
    kwargs: dict
    call: str = "{m}({args})"
    unpack: str | None = None
    post: str | None = None
    params: dict = {}


def call_text(make, module: str, args: list[str]) -> str:
    """The call (Construct) or expression (Expression) with `module` and the `args` filled in."""
    template = make.call if isinstance(make, Construct) else make.template
    return template.format(*args, m=module, args=", ".join(args))


def target_text(make, outputs: list[str]) -> str:
    """What the call's result is assigned to: one name, or the unpacking of several."""
    return make.unpack.format(*outputs) if make.unpack else outputs[0]


_COMPILED: dict[tuple, object] = {}


def compile_step(make, inputs: int, outputs: int, namespace: dict):
    """The function (layer, *inputs) → tuple of outputs that runs a Construct's call (or an
    Expression) with the `namespace` its templates name, compiled once per template text.

    The text is the backend table's own templates with values from validated arguments
    (ints, floats, words of a fixed choice), never text taken from the spec."""
    args = [f"a{i}" for i in range(inputs)]
    names = [f"o{i}" for i in range(outputs)]
    lines = [f"def step(m, {', '.join(args)}):", f"    {target_text(make, names)} = {call_text(make, 'm', args)}"]
    if getattr(make, "post", None):
        lines.append(f"    o0 = {make.post.format('o0')}")
    lines.append(f"    return ({', '.join(names)},)")
    source = "\n".join(lines)
    key = (source, id(namespace))
    if key not in _COMPILED:
        scope = dict(namespace)
        exec(compile(source, "<shapecli step>", "exec"), scope)
        _COMPILED[key] = scope["step"]
    return _COMPILED[key]


class Expression(NamedTuple):
    """A functional layer: an expression of its inputs `{0}`, `{1}`… (`{args}`: all of them)
    in the backend's namespace; `unpack` as in Construct."""

    template: str
    unpack: str | None = None


class Refusal(Exception):
    """A layer, or one of its arguments, has no counterpart in the framework."""

    def __init__(self, reason: str, arg: str | None = None):
        super().__init__(reason)
        self.reason, self.arg = reason, arg


class NeedsInput(Exception):
    """A size a framework layer needs is not a number: it depends on an input's size."""

    def __init__(self, what: str, dim):
        super().__init__(what)
        self.what, self.dim = what, dim


class BuildError(SpecError):
    """The spec is valid but cannot be built in the framework: a layer type or argument
    without a counterpart, or a convention that has no builder. `others` are the further
    layers refused with it (every refusal is reported, not only the first)."""

    others: list = []

    def with_others(self, others: list) -> BuildError:
        self.others = list(others)
        return self


class LayerView:
    """One layer as a backend table entry sees it: its validated arguments (`cfg`), the type
    as written (`label`), and its inferred sizes: input and output shapes, parameter shapes
    by local name; `used`, the indices of its outputs that a layer takes or the model returns
    (of the layer and of every layer that shares it): an entry may leave the others uncomputed."""

    __slots__ = ("cfg", "label", "ins", "outs", "params", "used")

    def __init__(
        self,
        cfg,
        label: str,
        ins: list[tuple],
        outs: list[tuple],
        params: dict[str, tuple],
        used: frozenset | None = None,
    ):
        self.cfg, self.label, self.ins, self.outs, self.params = cfg, label, ins, outs, params
        self.used = frozenset(range(len(outs))) if used is None else used

    @staticmethod
    def int(dim, what: str) -> int:
        """`dim` as an int, or NeedsInput naming `what` it is the size of."""
        if isinstance(dim, int):
            return dim
        raise NeedsInput(what, dim)


class Step(NamedTuple):
    """One layer of the plan: its node, what inference found, and the framework counterpart
    (None for a layer that applies another's parameters: `share:`)."""

    node: Node
    info: LayerInfo
    view: LayerView
    make: Construct | Expression | None


class Scope:
    """The whole model, or one block use: the steps and the block uses directly inside it.

    `inputs` are (name, source) pairs for the values it takes from outside (the model's
    inputs; a block's inputs in the order its definition lists them); `outputs` the
    values made inside that are used outside; `units` the steps and inner scopes in an
    order that runs (each after what it takes). `first` is the id of its first node.
    """

    __slots__ = ("path", "block", "loc", "inputs", "outputs", "units", "first", "nodes")

    def __init__(self, path: str, block: str | None, loc: Loc | None):
        self.path, self.block, self.loc = path, block, loc
        self.inputs: list[tuple[str, Source]] = []
        self.outputs: list[Source] = []
        self.units: list[Step | Scope] = []
        self.first = -1
        self.nodes: set[int] = set()

    def __repr__(self) -> str:
        return f"Scope({self.path!r}, {self.block})"


class Plan(NamedTuple):
    """Everything a builder needs: the model, its trace, a step per layer (node order),
    and the scopes by path ('' is the whole model)."""

    model: Model
    trace: Trace
    framework: str
    steps: list[Step]
    scopes: dict[str, Scope]

    @property
    def root(self) -> Scope:
        return self.scopes[""]

    @property
    def file(self) -> str:
        return self.model.file


def make_plan(model: Model, given: list[tuple[str | None, tuple]], framework: str, backend) -> Plan:
    """Infer `model` for the `given` inputs and map every layer through a backend module:
    its TABLE (type name → entry), REFUSED (type name → why there is no counterpart),
    RESERVED (names a layer cannot have there) and TIE (None, or why `tie:` cannot be built).

    Raises InputError when an input's shape is missing or a size that a framework layer
    needs is not a number, BuildError when a layer has no counterpart, PlanShapeError when
    the shapes do not fit.
    """
    _check_names(model, framework, backend.RESERVED)
    for node in model.nodes:
        if node.tie is not None and backend.TIE is not None:
            raise located(
                f"{FRAMEWORK_NAMES[framework]} cannot build the tie of '{node.path}': {backend.TIE}", model, node
            )
    _check_inputs(model, given, framework)
    trace = infer(model, given)
    if trace.errors:
        raise PlanShapeError(trace)
    _check_sizes(model, trace, framework)
    steps, refused = [], []
    used = _used_outputs(model)
    for node, info in zip(model.nodes, trace.layers):
        try:
            steps.append(_step(model, trace, node, info, framework, backend.TABLE, backend.REFUSED, used))
        except BuildError as e:
            refused.append(e)
    if refused:
        raise refused[0].with_others(refused[1:])
    return Plan(model, trace, framework, steps, _scopes(model, steps))


class PlanShapeError(Exception):
    """The shapes do not fit for the given inputs: `trace.errors` says where."""

    def __init__(self, trace: Trace):
        super().__init__(trace.errors[0].message)
        self.trace = trace


def located(message: str, model: Model, node: Node | None, *, hint: str | None = None, cls=BuildError):
    """An error of class `cls` at `node` (or the spec's start), with the file set."""
    error = cls(message, node.loc if node is not None else Loc(1, 1), hint=hint)
    error.file = model.file
    if node is not None:
        error.path = node.path
    return error


def _check_names(model: Model, framework: str, reserved) -> None:
    """A layer or block-use name the framework keeps for itself stops the build."""
    if not reserved:
        return
    for node in model.nodes:
        for name in re.split(r"[/.]", node.path):
            if name in reserved:
                raise located(
                    f"{FRAMEWORK_NAMES[framework]} cannot name a part of the model '{name}' ('{node.path}'): "
                    "its modules have an attribute of that name",
                    model,
                    node,
                    hint=f"rename '{name}' in the spec",
                )


def _check_inputs(model: Model, given: list, framework: str) -> None:
    """An input without any shape (not declared, not given) stops the build, naming the
    first parameter whose size follows from it."""
    named = {name if name is not None else next(iter(model.inputs)) for name, _ in given}
    missing = [name for name, decl in model.inputs.items() if decl.shape is None and name not in named]
    if not missing:
        return
    name = missing[0]
    depends = _input_dependence(model)
    what = f"the {FRAMEWORK_NAMES[framework]} model needs the shape of input '{name}', which the spec does not declare"
    hint = f"give it: {name}=(…) in Python, --input {name}=… on the command line"
    for node, params in zip(model.nodes, parameters_before(model)):
        if name not in depends[node.id] or node.owner is not None:
            continue
        for p in params:
            if not all(is_known(d) for d in p.before):
                shape = format_shape(p.before)
                message = f"{what}: {node.type_label} '{node.path}' has {p.name} {shape}, whose size follows from it"
                raise _input_error(message, model, node, name, hint)
    raise _input_error(f"{what}: the layers' sizes follow from it", model, None, name, hint)


def _input_error(message: str, model: Model, node: Node | None, name: str, hint: str) -> InputError:
    error = InputError(message, hint=hint)
    error.file = model.file
    error.loc = node.loc if node is not None else model.inputs[name].loc
    error.path = node.path if node is not None else None
    error.input = name
    return error


def _numbers_hint(name: str, shape: tuple, needed: tuple) -> str:
    """What to give for an input whose symbolic or unknown axes the sizes `needed` depend on."""
    symbols = {s for d in needed if isinstance(d, Expr) for s in d.symbols}
    unknown = any(d is UNKNOWN for d in needed)
    axes = [
        format_dim(d) if isinstance(d, Expr) else f"axis {i}"
        for i, d in enumerate(shape)
        if (isinstance(d, Expr) and d.symbols & symbols) or (d is UNKNOWN and unknown)
    ]
    where = f"{name}=(…) in Python, --input {name}=… on the command line"
    return f"give input '{name}' numbers for {', '.join(axes)}: {where}" if axes else f"give input '{name}': {where}"


def _input_dependence(model: Model) -> list[set[str]]:
    """For each node, the model inputs it depends on."""
    depends: list[set[str]] = []
    for node in model.nodes:
        found: set[str] = set()
        for source in node.sources:
            found |= depends[source.node] if isinstance(source, NodeOutput) else {source}
        depends.append(found)
    return depends


def _check_sizes(model: Model, trace: Trace, framework: str) -> None:
    """Every parameter size must be a number; else name the parameter and the input it depends on."""
    depends = None
    for node, info in zip(model.nodes, trace.layers):
        for p in info.params:
            if all(isinstance(d, int) for d in p.after):
                continue
            depends = depends or _input_dependence(model)
            name = _culprit(trace, depends[node.id], p.after)
            shape = trace.inputs[name]
            raise _input_error(
                f"the {FRAMEWORK_NAMES[framework]} model needs numbers for the sizes of {node.type_label} "
                f"'{node.path}': {p.name} {format_shape(p.after)} depends on input '{name}' {format_shape(shape)}",
                model,
                node,
                name,
                _numbers_hint(name, shape, p.after),
            )


def _culprit(trace: Trace, inputs: set[str], shape: tuple) -> str:
    """The input (of `inputs`) whose symbolic or unknown sizes `shape` depends on."""
    symbols = {s for d in shape if isinstance(d, Expr) for s in d.symbols}
    unknown = any(d is UNKNOWN for d in shape)
    for name in sorted(inputs, key=list(trace.inputs).index):
        dims = trace.inputs[name]
        if any(isinstance(d, Expr) and d.symbols & symbols for d in dims) or (unknown and UNKNOWN in dims):
            return name
    return sorted(inputs, key=list(trace.inputs).index)[0] if inputs else next(iter(trace.inputs))


def _used_outputs(model: Model) -> dict[int, frozenset]:
    """Node id → the indices of its outputs that a layer takes or the model returns; a shared
    layer's entry (its owner's) also gets those of every layer that applies it again."""
    used: dict[int, set] = {}
    sources = [s for node in model.nodes for s in node.sources] + list(model.outputs.values())
    for source in sources:
        if isinstance(source, NodeOutput):
            owner = model.nodes[source.node].owner
            for node_id in {source.node, source.node if owner is None else owner}:
                used.setdefault(node_id, set()).add(source.index)
    return {node_id: frozenset(indices) for node_id, indices in used.items()}


def _step(
    model: Model, trace: Trace, node: Node, info: LayerInfo, framework: str, table, refused: dict, used: dict
) -> Step:
    outs = [info.output_shape] if info.output_shapes is None else list(info.output_shapes.values())
    view = LayerView(
        info.cfg or node.cfg,
        node.type_label,
        list(info.input_shapes),
        outs,
        {p.local: tuple(p.after) for p in info.params},
        used.get(node.id, frozenset()),
    )
    if node.owner is not None:
        return Step(node, info, view, None)
    name = node.layer.type_name
    where = FRAMEWORK_NAMES[framework]
    if name in refused:
        raise located(f"{where} has no counterpart of {node.type_label} '{node.path}': {refused[name]}", model, node)
    try:
        make = table[name](view)
    except Refusal as e:
        arg = f" ({e.arg})" if e.arg else ""
        raise located(f"{where} cannot build {node.type_label} '{node.path}'{arg}: {e.reason}", model, node) from None
    except NeedsInput as e:
        name = _culprit(trace, _input_dependence(model)[node.id], (e.dim,))
        raise _input_error(
            f"the {where} model needs a number for the {e.what} of {node.type_label} '{node.path}' "
            f"({format_dim(e.dim)}), which depends on input '{name}' {format_shape(trace.inputs[name])}",
            model,
            node,
            name,
            _numbers_hint(name, trace.inputs[name], (e.dim,)),
        ) from None
    return Step(node, info, view, make)


# -- scopes ---------------------------------------------------------------------------


def _scopes(model: Model, steps: list[Step]) -> dict[str, Scope]:
    """The block uses by path, each with its units in a runnable order (an inner scope that
    cannot run as one unit is inlined into its parent's units, and keeps its own)."""
    root = Scope("", None, None)
    root.inputs = [(name, name) for name in model.inputs]
    scopes: dict[str, Scope] = {"": root}
    parents: dict[str, str] = {}
    direct: dict[str, list] = {"": []}
    for step in steps:
        node = step.node
        parent = ""
        for use in node.uses:
            if use.path not in scopes:
                scopes[use.path] = Scope(use.path, use.block, use.loc)
                scopes[use.path].first = node.id
                parents[use.path] = parent
                direct[use.path] = []
                direct[parent].append(scopes[use.path])
            scopes[use.path].nodes.add(node.id)
            parent = use.path
        direct[parent].append(step)
        root.nodes.add(node.id)
    root.first = 0
    declared = _declared_block_inputs(model)
    consumers = _consumers(model)
    for path, scope in scopes.items():
        if path:
            scope.inputs = _scope_inputs(model, scope, declared.get(scope.block, []))
        scope.outputs = _scope_outputs(model, scope, consumers)
    for path in sorted(scopes, key=len, reverse=True):
        scopes[path].units = _schedule(direct[path], model)
    return scopes


def _declared_block_inputs(model: Model) -> dict[str, list[str]]:
    """Each block's `inputs:` as its definition lists them (default [x])."""
    from .yamlsrc import YMap, parse_yaml

    root = parse_yaml(model.text)
    blocks = root.get("blocks") if isinstance(root, YMap) else None
    if not isinstance(blocks, YMap):
        return {}
    result = {}
    for name, definition in blocks.items():
        inputs = definition.get("inputs", "x") if isinstance(definition, YMap) else "x"
        result[name] = [inputs] if isinstance(inputs, str) else [str(i) for i in inputs]
    return result


def _scope_inputs(model: Model, scope: Scope, declared: list[str]) -> list[tuple[str, Source]]:
    """(name, source) of each value the scope takes from outside, named after the block's
    inputs where its layers write them so, in the block's order."""
    named: dict[Source, str] = {}
    order: list[Source] = []
    for node_id in sorted(scope.nodes):
        node = model.nodes[node_id]
        for source, written in zip(node.sources, node.written_from or [""] * len(node.sources)):
            if isinstance(source, NodeOutput) and source.node in scope.nodes:
                continue
            if source not in order:
                order.append(source)
            name = written[len(scope.path) + 1 :] if written.startswith(scope.path + "/") else ""
            if name in declared and source not in named:
                named[source] = name
    rank = {name: i for i, name in enumerate(declared)}
    first_use = {source: i for i, source in enumerate(order)}
    order.sort(key=lambda s: (rank.get(named.get(s), len(rank)), first_use[s]))
    taken = set(named.values())
    spare = [name for name in declared if name not in taken]
    result = []
    for i, source in enumerate(order):
        name = named.get(source)
        if name is None and spare:
            name = spare.pop(0)
            taken.add(name)
        if name is None:
            name = f"input{i}"
            while name in taken:
                name += "_"
            taken.add(name)
        result.append((name, source))
    return result


def _consumers(model: Model) -> dict[Source, list[int]]:
    """Source → ids of the nodes that take it (-1: a model output)."""
    found: dict[Source, list[int]] = {}
    for node in model.nodes:
        for source in node.sources:
            found.setdefault(source, []).append(node.id)
    for source in model.outputs.values():
        found.setdefault(source, []).append(-1)
    return found


def _scope_outputs(model: Model, scope: Scope, consumers: dict) -> list[Source]:
    """The values made inside the scope and taken outside it (or model outputs)."""
    if not scope.path:
        return list(model.outputs.values())
    inside = [s for s in consumers if isinstance(s, NodeOutput) and s.node in scope.nodes]
    return sorted(s for s in inside if any(user == -1 or user not in scope.nodes for user in consumers[s]))


def _schedule(units: list, model: Model) -> list:
    """Order the units by their first node; an inner scope that needs a value made after
    it starts (its layers interleave with others') is inlined: its units take its place."""
    while True:
        units = sorted(units, key=lambda u: u.first if isinstance(u, Scope) else u.node.id)
        for i, unit in enumerate(units):
            if isinstance(unit, Scope) and any(
                isinstance(source, NodeOutput) and source.node > unit.first for _, source in unit.inputs
            ):
                units = units[:i] + unit.units + units[i + 1 :]
                break
        else:
            return units
