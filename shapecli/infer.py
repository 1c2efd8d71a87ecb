"""Shape inference: a Model and input shapes → a Trace of every shape and parameter.

Propagation visits the nodes in topological order. For each it records the
parameters before inference (the rule applied to inputs of unknown shape, so
only declared and configured sizes are known) and after (applied to the real
input shapes). A layer whose shapes do not fit records a diagnostic; layers
downstream of it are skipped instead of failing in turn, so independent parts
of the graph are still checked. Nothing here prints.
"""

from __future__ import annotations

from .records import NamedTuple
from .conventions import CONVENTIONS, DTYPE_BYTES
from .dims import (
    ANY_SHAPE,
    MAX_RANK,
    MAX_SIZE,
    UNKNOWN,
    Dim,
    Expr,
    dim_sum,
    equal,
    format_dim,
    format_shape,
    is_known,
    product,
)
from .errors import Diagnostic, InputError, MissingInput, ShapeError, SpecError, diagnostic, did_you_mean
from .answers import ANSWERS, BEFORE, config_number, remember
from .registry import make_config
from .spec.params import Deferred, resolved
from .shape_math import same_dim
from .conditions import Condition, Contradiction, Requirement, collected, collecting, simplify
from .explain import Origins, differing_axes, mismatch
from .init_defaults import param_init
from .spec import Model, Node, NodeOutput
from .spec.model import NO_INIT


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
        init: str | None = None,
    ):
        self.name, self.local, self.before, self.after, self.count = name, local, before, after, count
        self.trainable, self.buffer = trainable, buffer
        self.shared_with: str | None = None
        self.init = init


class LayerInfo:
    """One node of the graph, as inferred.

    `output_shape` is the first output; `output_shapes` names every output of
    a layer that has several. `before_status` is 'initialized', 'deferred',
    'shared' or 'none' (no parameters); `state` is 'ok', 'error' (its shapes do
    not fit), 'skipped' (an input failed upstream) or 'absent' (its `if:` is false:
    it passes its first input on).
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
        "cfg",
        "condition",
        "alike",
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
        self.cfg = None
        """The configuration this layer was inferred with (its arguments that read shapes computed)."""
        self.condition: str | None = None
        """The text of a false `if:` that left it out ('absent')."""
        self.alike: object | None = None
        """A token shared by the layers of a trace that show alike in all but their path, position
        and parameter names (the same type as written, parameters before inference, configuration
        and input shapes, answered at once: see `_Propagation.settled_answer`), else None. What a
        renderer makes of one of them serves the others."""


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
        if d in bound and same_dim(bound[d][0], g) is None:
            first, where = bound[d]
            return (
                f"{format_dim(d)} is {format_dim(first)} for input '{where}' but {format_dim(g)} for input '{name}'"
            ), axis
        bound.setdefault(d, (g, name))
    return None, None


def infer(model: Model, given: list[tuple[str | None, tuple]], dtype: str = "float32") -> Trace:
    """Propagate the input shapes through the model and collect the Trace.

    When the shapes fit only for one value of an input symbol (`--input BxCxHxW` into a
    layer that declares `in_channels: 3`), the symbol is bound to it and the model is
    propagated again, so that every shape and parameter shows the value; the condition
    (`C == 3`) stays among the requirements.
    """
    trace = _Propagation(model, given, dtype).run()
    fixed = {r.fixes[0]: r.fixes[1] for r in trace.requires if r.fixes}
    if not fixed:
        return trace
    bound = _Propagation(model, given, dtype, fixed).run()
    requires = {r.text: r for r in bound.requires}
    for r in trace.requires:
        if r.fixes:
            known = requires.get(r.text)
            origins = tuple(dict.fromkeys((*r.origins, *(known.origins if known else ()))))
            requires[r.text] = r._replace(origins=origins)
    return bound._replace(inputs=trace.inputs, requires=list(requires.values()))


class _Propagation:
    """The state of one propagation: the shape of every tensor, the layers inferred so far,
    the first use of each shared parameter group, the errors and conditions found."""

    def __init__(self, model: Model, given: list, dtype: str, fixed: dict[str, int] | None = None):
        self.model, self.given, self.dtype, self.fixed = model, given, dtype, fixed or {}
        self.convention = CONVENTIONS[model.convention]
        self.values: dict = {}
        self.layers: list[LayerInfo] = []
        self.shared_first: dict[int, list[ParamInfo]] = {}
        """The parameters of the first use of each group that later uses share or tie to, by group."""
        self.owners = {node.owner for node in model.nodes if node.owner is not None}
        """The nodes whose parameters later uses share (checking a use changes the first one's)."""
        tied = [model.nodes[node.tie] for node in model.nodes if node.tie is not None]
        self.linked = self.owners | {node.owner if node.owner is not None else node.id for node in tied}
        """The groups whose first use's parameters `shared_first` keeps: those shared or tied to."""
        self.last_settled: tuple = (None, None, None, None)
        """(input shape, configuration, layer type, answer) of the last one-input `settled_answer`."""
        self.alike: dict[tuple, tuple] = {}
        """(type as written, answer, parameter names before inference), by identity → (the token of
        the layers inferred alike, and what its key names: held, their ids stay unique)."""
        self.errors: list[Diagnostic] = []
        self.conditions: list[Condition] = []
        self.config_ids: dict[int, int | None] = {}
        """The number (`answers.config_number`) of each configuration met, by identity."""
        self.before_specs: dict[tuple, list] = {}
        """Parameters before inference with their initializers, by (layer type, configuration,
        initializers, number of inputs); see `before`."""
        given_names = {name if name is not None else next(iter(model.inputs)) for name, _ in given}
        self.origins = Origins(model, self.values, given_names, lambda node: self.layers[node.id].cfg)

    def run(self) -> Trace:
        model = self.model
        with collecting("inputs") as conditions:
            inputs, self.errors = bind_inputs(model, self.given)
        self.conditions += conditions
        rejected = {e.path for e in self.errors if e.kind == "input_mismatch"}
        for name, shape in inputs.items():
            self.values[name] = None if name in rejected else _bound(shape, self.fixed)
        for node in model.nodes:
            self.visit(node)
        outputs = {name: self.values[source] for name, source in model.outputs.items()}
        self.errors = _repeat_mismatches(model, self.values, self.errors)
        requires = []
        try:
            requires = simplify(self.conditions)
        except Contradiction as e:
            self.errors.append(self.contradiction(e))
        warnings = model.warnings + _unreached(model, outputs, self.layers)
        if any(isinstance(d, Expr) for shape in inputs.values() if shape for d in shape):
            warnings += _input_dependent(model, self.layers)  # (a size depends on a symbol only through an input)
        return Trace(
            model.file,
            model.convention,
            inputs,
            outputs,
            self.layers,
            _totals(self.layers, self.dtype),
            self.errors,
            requires,
            self.conditions,
            warnings,
        )

    def visit(self, node: Node) -> None:
        """Infer one node: its parameters before inference, then its outputs and parameters."""
        ins = list(map(self.values.__getitem__, node.sources))
        first_use = self.shared_first.get(node.owner if node.owner is not None else node.id)
        params, status, before_names = self.before(node, len(ins))
        info = LayerInfo(
            node.path,
            node.type_label,
            node.loc,
            None if None in ins else ins,
            params,
            "shared" if params and first_use is not None else status,
        )
        info.cfg = node.cfg
        self.layers.append(info)
        names = node.layer.output_names(node.cfg)
        count = len(names)
        outs: list = [None] * count
        known = self.settled_answer(node, ins)
        if known is not None:  # nothing to configure, check or collect: the rules are not asked
            outs = self.apply(node, ins, info, before_names, known)
        elif None in ins or (node.reads and any(self.values.get(s) is None for s in node.reads)):
            info.state = "skipped"
        elif self.absent(node, ins, info):
            outs = [ins[0]] + [None] * (count - 1)
        else:
            with collecting(node.path) as found:
                if self.configure(node, info):
                    outs = self.apply(node, ins, info, before_names)
                    self.check_expectation(node, outs[0], info)
            if info.state == "ok":
                self.conditions += found
                known = self.settled_answer(node, ins)  # (its answer is kept now, unless it is not one to keep)
        if known is not None and info.state == "ok" and node.id not in self.owners:
            info.alike = self.alike_token(node.type_label, known, before_names)
        if info.state == "absent":
            info.count, info.macs = 0, 0
        elif info.state != "ok":
            info.count = None
            for p in info.params:
                p.after = p.count = None
        info.output_shape = outs[0]
        if count > 1:
            info.output_shapes = dict(zip(names, outs))
        for index, shape in enumerate(outs):
            self.values[node.id, index] = shape  # (a tuple equal to NodeOutput(node.id, index))

    def before(self, node: Node, count: int) -> tuple[list[ParamInfo], str, tuple]:
        """The node's parameters before inference, their status unless they are shared ('none',
        'initialized' or 'deferred'), and their local names. What they are and how they start
        depends only on the layer type, its configuration and initializers, which expansion shares
        among layers written alike: those are kept for the process in `answers.BEFORE` (for this
        propagation when the spec sets initializers)."""
        config = self.config_number(node.cfg) if node.init is NO_INIT else None
        if config is not None:
            key = (node.layer, config, count, node.pending is None)
            known = BEFORE.get(key)
        else:
            key = (node.layer, id(node.cfg), id(node.init), count)
            known = self.before_specs.get(key)
        if known is None:
            specs = _with_inits(node, _before_params(node, count))
            known = (specs, _before_status([spec for spec, _ in specs]), tuple([spec.name for spec, _ in specs]))
            if config is not None:
                remember(BEFORE, key, known)
            else:
                self.before_specs[key] = known
        return _param_infos(node, known[0], self.convention, known[2]), known[1], known[2]

    def config_number(self, cfg) -> int | None:
        """`answers.config_number(cfg)`, worked out once per configuration object."""
        number = self.config_ids.get(id(cfg), _NOT_YET)
        if number is _NOT_YET:
            number = self.config_ids[id(cfg)] = config_number(cfg)
        return number

    def absent(self, node: Node, ins: list, info: LayerInfo) -> bool:
        """Whether the node's `if:` is false (then it passes its first input on, with no parameters)."""
        condition = node.condition
        if condition is None:
            return False
        holds = condition.value
        if isinstance(holds, Deferred):
            try:
                holds = holds.value(self.values)
            except SpecError as e:
                info.state = "error"
                self.errors.append(diagnostic(e)._replace(file=self.model.file, path=node.path))
                return True
            if not isinstance(holds, (bool, int, float)):
                info.state = "error"
                message = f"if: '{condition.text}' is {holds}, not true or false"
                self.errors.append(Diagnostic("spec_error", message, self.model.file, condition.loc, node.path))
                return True
        if holds:
            return False
        info.state, info.params, info.before_status = "absent", [], "none"
        info.condition = condition.text
        return True

    def configure(self, node: Node, info: LayerInfo) -> bool:
        """The node's configuration for this inference: its arguments that read shapes computed
        now (a shared layer takes its owner's). False (an error recorded) if they do not fit."""
        if node.owner is not None:
            owner = self.layers[node.owner]
            info.cfg = owner.cfg
            return True
        if node.pending is None:
            return True
        try:
            given = {key: resolved(v, self.values) for key, v in node.pending.given.items()}
            info.cfg = make_config(node.layer, given, self.model.convention, node.pending.locate)
        except SpecError as e:
            info.state = "error"
            self.errors.append(diagnostic(e)._replace(file=self.model.file, path=node.path))
            return False
        if node.layer.output_names(info.cfg) != node.layer.output_names(node.cfg):
            info.state = "error"
            message = f"the arguments of {node.type_label} '{node.path}' that choose its outputs cannot read shapes"
            self.errors.append(Diagnostic("spec_error", message, self.model.file, node.loc, node.path))
            return False
        return True

    def check_expectation(self, node: Node, out: tuple | None, info: LayerInfo) -> None:
        """The node's `expect:` shape contract against its output: an error when it certainly
        fails, a condition when that depends on the input sizes."""
        if node.expect is None or out is None or info.state != "ok":
            return
        expected = node.expect.shape
        message = None
        if len(expected) != len(out):
            message = f"expects a rank-{len(expected)} output, but gives {format_shape(out)}"
        else:
            for axis, (want, got) in enumerate(zip(expected, out)):
                if is_known(want) and same_dim(got, want) is None:
                    message = f"expects {format_shape(expected)}, but gives {format_shape(out)} (axis {axis})"
                    break
        if message:
            info.state = "error"
            self.errors.append(
                Diagnostic(
                    "assertion_failed",
                    f"{node.type_label} '{node.path}' {message}",
                    self.model.file,
                    node.expect.loc,
                    node.path,
                    expected,
                    out,
                    axes=differing_axes(expected, out),
                )
            )

    def apply(self, node: Node, ins: list, info: LayerInfo, before_names: tuple, answer=None) -> list:
        """Run a node's rules on its input shapes (unless `answer` is theirs already), filling `info`
        (`before_names`: the local names of its parameters before inference); returns its output
        shapes."""
        group = node.owner if node.owner is not None else node.id
        cfg = info.cfg
        try:
            if answer is None:
                answer = self.answer(node, cfg, ins)
            outs = answer.outs
            info.params = _after(node, info.params, before_names, answer, self.convention)
            first_use = group not in self.shared_first
            if not first_use:
                _share(info.params, self.shared_first[group], self.model.nodes[group])
            elif group in self.linked:
                self.shared_first[group] = info.params
            if node.tie is not None:
                tied = self.model.nodes[node.tie]
                _tie(info.params, self.shared_first.get(tied.owner if tied.owner is not None else tied.id), tied)
            info.count = answer.total if first_use and node.tie is None else _counted(info.params)
            macs = answer.macs
            if macs is _NOT_YET:
                found = collected()
                before = len(found)
                macs = node.layer.macs(answer.built, ins, outs)
                if len(found) == before:  # MACs that recorded no condition hold for every layer alike
                    answer.macs = macs
            info.macs = macs
            return outs
        except ShapeError as e:
            info.state = "error"
            self.errors.append(mismatch(self.model, node, ins, self.input_origin(node), e))
            return [None] * len(node.layer.output_names(cfg))

    def settled_answer(self, node: Node, ins: list) -> _Answer | None:
        """The kept answer of a node that only applies its rules (no share, tie, `if:`, `expect:`
        or arguments read from shapes) on known inputs, when it records no condition and its MACs
        are known: all there is to do for such a node is to read it (a long chain of layers alike)."""
        if (
            node.owner is not None
            or node.tie is not None
            or node.pending is not None
            or node.condition is not None
            or node.expect is not None
            or None in ins
        ):
            return None
        last = self.last_settled
        if len(ins) == 1 and ins[0] is last[0] and node.cfg is last[1] and node.layer is last[2]:
            return last[3]  # (asked again, as by a chain of layers alike: the key need not be hashed)
        config = self.config_number(node.cfg)
        known = ANSWERS.get((node.layer, config, *ins)) if config is not None else None
        if known is None or known.conditions or known.macs is _NOT_YET:
            return None
        if len(ins) == 1:
            self.last_settled = (ins[0], node.cfg, node.layer, known)
        return known

    def alike_token(self, label: str, answer: _Answer, before_names: tuple) -> object:
        """The `LayerInfo.alike` token of the layers written as `label` with the settled `answer`
        and the parameters before inference whose names are `before_names` (one tuple per kind of
        parameters before inference: `before` keeps them; the empty one is every layer without)."""
        key = (label, id(answer), id(before_names))
        found = self.alike.get(key)
        if found is None:
            found = self.alike[key] = (object(), answer, before_names)
        return found[0]

    def answer(self, node: Node, cfg, ins: list) -> _Answer:
        """What a node's rules give on its input shapes.

        Rules are pure functions of (configuration, input shapes), so a layer met again with the
        same configuration and the same shapes (a model's repeated layers, another run of the spec,
        another spec `check` reads) reuses the answer from `answers.ANSWERS`; the conditions its rules
        recorded are recorded again for this layer. Configurations read from shapes are made per
        layer, and always worked out anew.
        """
        key = None
        if cfg is node.cfg:
            config = self.config_number(cfg)
            if config is not None:
                key = (node.layer, config, *ins)
                known = ANSWERS.get(key)
                if known is not None:
                    if known.conditions:
                        collected().extend(Condition(kind, expr, node.path) for kind, expr in known.conditions)
                    return known
        found = collected()
        start = len(found)
        outs = node.layer.output_shape(cfg, ins)
        names = node.layer.output_names(cfg)
        if len(outs) != len(names):  # a rule that breaks its contract: a bug, reported as one (exit 3)
            raise RuntimeError(f"{node.layer.type_name}.output_shape gives {len(outs)} shapes for the outputs {names}")
        for shape in outs:
            _check_shape(shape)
        built = node.layer.build(cfg, ins)
        specs = node.layer.params(built, ins)
        conditions = tuple((c.kind, c.expr) for c in found[start:])
        answer = _Answer(outs, built, specs, conditions)
        if key is not None:
            remember(ANSWERS, key, answer)
        return answer

    def input_origin(self, node: Node):
        """origin(input index, axis) for the inputs of `node`."""
        return lambda index, axis: self.origins.of(node.sources[index], axis)

    def contradiction(self, e: Contradiction) -> Diagnostic:
        """The diagnostic of conditions that no size satisfies together."""
        by_path = {n.path: n for n in self.model.nodes}
        node = by_path.get(e.origin)
        if node is None:
            first = next(iter(self.model.inputs.values()))
            return Diagnostic(
                "input_mismatch", f"input '{first.name}' {e.message}", self.model.file, first.loc, first.name
            )
        ins = self.layers[node.id].input_shapes
        return mismatch(self.model, node, ins, self.input_origin(node), e)


def _bound(shape: tuple, fixed: dict[str, int]) -> tuple:
    """`shape` with the fixed symbols replaced by their values."""
    if not fixed:
        return shape
    return tuple(d.evaluate(fixed) if isinstance(d, Expr) else d for d in shape)


def _check_shape(shape: tuple) -> None:
    """Refuse an output of too many axes, or with a size beyond int64."""
    if len(shape) <= MAX_RANK and all(type(d) is int and -MAX_SIZE <= d <= MAX_SIZE for d in shape):
        return
    if len(shape) > MAX_RANK:
        raise ShapeError(f"gives a rank-{len(shape)} output; shapecli handles at most {MAX_RANK} axes")
    for d in shape:
        if (isinstance(d, int) and not -MAX_SIZE <= d <= MAX_SIZE) or (
            isinstance(d, Expr) and any(abs(c) > MAX_SIZE for _, c in d.terms)
        ):
            raise ShapeError(f"gives a size beyond 2^63 - 1 (int64) in {format_shape(shape)[:80]}")


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


def _before_params(node: Node, count: int) -> list:
    """The parameters before inference; for a layer whose arguments read shapes, those the
    rule can tell without them (none when it cannot)."""
    ins = [ANY_SHAPE] * count
    if node.pending is None:
        return node.layer.params(node.layer.build(node.cfg, ins), ins)
    try:
        return node.layer.params(node.layer.build(node.cfg, ins), ins)
    except (TypeError, ArithmeticError, ValueError, ShapeError):
        return []


def _before_as(spec, shape: tuple | None):
    """A parameter as it stood before inference: `shape`, or unknown in every axis."""
    from .registry import Param

    return Param(spec.name, shape if shape is not None else (UNKNOWN,) * len(spec.shape), spec.trainable, spec.buffer)


_NOT_YET = object()
"""A rule answer's MACs before they are first asked for."""


class _Answer:
    """What a layer's rules give on some input shapes: the outputs (one shape per output name),
    the configuration `build` gave, the parameters, the MACs (_NOT_YET until asked for; kept
    unless they recorded a condition), and the conditions the rules recorded as (kind, expr) pairs;
    with the parameters' `names`, their element `counts`, and the `total` of those that are not
    buffers (a parameter's flags depend on its configuration only, as the contract test checks)."""

    __slots__ = ("outs", "built", "params", "macs", "conditions", "names", "counts", "total")

    def __init__(self, outs: list, built, params: list, conditions: tuple):
        self.outs, self.built, self.params, self.conditions = outs, built, params, conditions
        self.macs = _NOT_YET
        self.names = tuple([spec.name for spec in params])
        self.counts = [product(spec.shape) for spec in params]
        self.total = _sum([count for spec, count in zip(params, self.counts) if not spec.buffer])


def _with_inits(node: Node, specs) -> list[tuple]:
    """(parameter, the text of the initializer it starts with) for each of `specs`."""
    return [(spec, param_init(node.layer, node.cfg, spec.name, node.init)[1].text) for spec in specs]


def _param_infos(node: Node, specs_with_inits: list[tuple], convention, local_names=None) -> list[ParamInfo]:
    """The parameters of a node before inference (`after` is filled in by _after), from
    (parameter, initializer text) pairs (`local_names`: their names, when known)."""
    if local_names is None:
        local_names = [spec.name for spec, _ in specs_with_inits]
    names = convention.param_names(node.path, local_names)
    params = []  # (a loop, not a comprehension: each comprehension run is a function call)
    for name, (spec, init) in zip(names, specs_with_inits):
        params.append(ParamInfo(name, spec.name, spec.shape, None, None, spec.trainable, spec.buffer, init))
    return params


def _after(node: Node, before: list[ParamInfo], before_names: tuple, answer: _Answer, convention) -> list[ParamInfo]:
    """The parameters with their inferred shapes. Which parameters exist may depend on the input
    (attention's packed in_proj_weight, or q/k/v_proj_weight when kdim and vdim differ from the
    query's size; a layer whose arguments read shapes): they are matched by name, and one
    unknown before inference shows an unknown shape there."""
    specs = answer.params
    if before_names == answer.names:
        params = before
    else:
        earlier = {p.local: p.before for p in before}
        before_specs = [_before_as(spec, earlier.get(spec.name)) for spec in specs]
        params = _param_infos(node, _with_inits(node, before_specs), convention)
    for param, spec, count in zip(params, specs, answer.counts):
        param.after = spec.shape
        param.count = count
    return params


def parameters_before(model: Model) -> list[list[ParamInfo]]:
    """Each node's parameters before inference (inputs of unknown shape), without any input
    shape: what a builder names when an input's shape is missing."""
    convention = CONVENTIONS[model.convention]
    return [
        _param_infos(node, _with_inits(node, _before_params(node, len(node.sources))), convention)
        for node in model.nodes
    ]


def _before_status(specs: list) -> str:
    """'none' (no parameters), 'initialized' (every size known before inference) or 'deferred'
    for a layer's parameters before inference (a later use of shared ones is 'shared' instead)."""
    if not specs:
        return "none"
    known = all(is_known(d) for spec in specs for d in spec.shape)
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
    sized: set[int] = set()  # shapes seen with every size an int (by id: the trace holds them; layers alike share one)
    without: set = set()  # the `alike` tokens of layers found without such a parameter
    for node, layer in zip(model.nodes, layers):
        if layer.state != "ok" or layer.alike in without:
            continue
        before = len(warnings)
        for p in layer.params:
            if p.shared_with or id(p.after) in sized:
                continue
            if all(isinstance(d, int) for d in p.after):
                sized.add(id(p.after))
                continue
            symbols = sorted({s for d in p.after if isinstance(d, Expr) for s in d.symbols})
            if not symbols:
                continue
            warnings.append(
                Diagnostic(
                    "input_dependent_param",
                    f"{node.type_label} '{node.path}': {p.local or 'its tensor'} {format_shape(p.after)} "
                    "depends on the input size "
                    f"({', '.join(symbols)}), so the model accepts only inputs that give one value",
                    model.file,
                    node.loc,
                    p.name,
                    hint="fix the size with an adaptive pooling layer, or declare the input size",
                )
            )
        if layer.alike is not None and len(warnings) == before:
            without.add(layer.alike)
    return warnings


class Evaluation:
    """A symbolic trace evaluated at concrete symbol values (`--where`): the requirements, inputs
    and outputs at once; every layer's shape (`layers`) only when asked for, since a report
    shows the totals, and 10,000 bindings of a 1,000-layer model would be 10 million shapes."""

    __slots__ = ("bindings", "violated", "undecided", "inputs", "outputs", "_trace", "_layers")

    def __init__(self, trace: Trace, bindings: dict[str, int]):
        self.bindings = bindings
        self.violated: list[Requirement] = []
        self.undecided: list[Requirement] = []
        for requirement in trace.requires:
            verdict = requirement.test(bindings)
            if verdict is False:
                self.violated.append(requirement)
            elif verdict is None:
                self.undecided.append(requirement)
        self.inputs = {name: self._shape(s) for name, s in trace.inputs.items()}
        self.outputs = {name: self._shape(s) for name, s in trace.outputs.items()}
        self._trace = trace
        self._layers = None

    def _shape(self, shape: tuple | None) -> tuple | None:
        if shape is None:
            return None
        return tuple(d.evaluate(self.bindings) if isinstance(d, Expr) else d for d in shape)

    @property
    def layers(self) -> list[tuple[str, tuple | None]]:
        """(path, output shape at the bindings) of every layer, computed on first use."""
        if self._layers is None:
            self._layers = [(layer.path, self._shape(layer.output_shape)) for layer in self._trace.layers]
        return self._layers


def evaluate_at(trace: Trace, bindings: dict[str, int]) -> Evaluation:
    """The trace's shapes and requirements at `bindings` (symbol → value)."""
    return Evaluation(trace, bindings)


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


def _counted(params: list[ParamInfo]) -> Dim:
    """The elements of a layer's parameters (buffers are not counted)."""
    total = 0
    for p in params:
        if not p.buffer:
            if type(p.count) is not int:
                return _sum([p.count for p in params if not p.buffer])
            total += p.count
    return total


def _sum(values: list) -> Dim:
    if set(map(type, values)) <= {int}:
        return sum(values)
    return dim_sum([UNKNOWN if v is None else v for v in values])


def _totals(layers: list[LayerInfo], dtype: str) -> Totals:
    counted = [p for layer in layers for p in layer.params if not p.buffer]
    trainable = _sum([p.count for p in counted if p.trainable])
    non_trainable = _sum([p.count for p in counted if not p.trainable])
    total = trainable + non_trainable
    macs = _sum([layer.macs for layer in layers])
    return Totals(total, trainable, non_trainable, total * DTYPE_BYTES[dtype], dtype, macs)
