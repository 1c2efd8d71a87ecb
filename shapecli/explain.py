"""Where each size comes from, and mismatch reports that say so.

Origins are found only when an error is reported, and structurally: from the
tensor that disagrees, walk back through the layers that produced it. At each
layer the rule is run once more on inputs whose sizes are fresh symbols (a
probe); if the output axis comes out as one of those symbols, the layer passed
that axis through and the walk goes on to that input. Otherwise the layer made
the size: the rule is run again with each argument written in the spec replaced
by a symbol in turn, and the argument that comes out as the axis (`filters: 128`,
with its position) is the origin; when none does, the layer itself is. The walk
ends at a model input: given with --input, or declared in the spec. No value is
ever matched against another: two sizes that happen to be equal do not mix up
their origins.

The size a layer expected is named by the rule itself (shape_math's
DeclaredSizeError): the argument that declares it, or the input it must match.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from .conditions import collecting
from .dims import Expr, equal
from .errors import AxisConflict, Diagnostic, Origin, ShapeError
from .shape_math import DeclaredSizeError, broadcast_axis_name
from .spec import Model, Node, NodeOutput, Source

_PROBE = "·"
"""Start of the probe symbols' names (no spec or --input symbol can contain it)."""

_UNTOLD = object()
"""What a probe returns when no run of the rule could tell where an axis comes from."""


class Origins:
    """Finds what fixed each axis of any tensor of a propagated model.

    `values` are the shapes of the tensors, `given` the inputs given on the command line,
    `config(node)` the configuration a node was inferred with (its arguments that read
    shapes resolved; node.cfg when not given).
    """

    def __init__(self, model: Model, values: dict, given: set[str], config: Callable[[Node], object] | None = None):
        self.model, self.values, self.given = model, values, given
        self.config = config or (lambda node: node.cfg)
        self.cache: dict[tuple, Origin | None] = {}

    def of(self, source: Source, axis: int) -> Origin | None:
        """The origin of axis `axis` of the tensor `source` (None when it cannot be told).

        Every tensor axis the walk passes is remembered with the answer, so that errors
        downstream of one long chain walk it once."""
        cache = self.cache
        passed = []
        key = (source, axis)
        while key not in cache:
            passed.append(key)
            found = self._step(*key)
            if found is None or isinstance(found, Origin):
                cache[key] = found
                break
            key = found
        found = cache[key]
        for key in passed:
            cache[key] = found
        return found

    def _step(self, source: Source, axis: int):
        """The origin of axis `axis` of `source` if this step tells it (None: it cannot be told),
        else the (source, axis) it is copied from."""
        if isinstance(source, str):
            return self._input(source)
        node = self.model.nodes[source.node]
        ins = [self.values.get(s) for s in node.sources]
        shape = self.values.get(source)
        if None in ins or shape is None or axis >= len(shape):
            return None
        cfg = self.config(node)
        step = _passed_through(node.layer, cfg, ins, source.index, axis)
        if step is _UNTOLD:
            return None
        if step is None:
            return _made_by(self.model, node, cfg, ins, source.index, axis)
        index, axis = step
        return node.sources[index], axis

    def _input(self, name: str) -> Origin:
        if name in self.given:
            return Origin(f"input '{name}' from --input")
        return Origin(f"input '{name}'", self.model.file, self.model.inputs[name].loc)


def _run(layer, cfg, ins: list, index: int, axis: int):
    """Axis `axis` of output `index` of the rule on these inputs, or _UNTOLD if it does not run.

    A probe feeds the rule values of a kind it may not take (a symbol where it counts
    with an int): any failure only means this probe tells nothing.
    """
    try:
        with collecting("probe"):
            shape = layer.output_shape(cfg, ins)[index]
        return shape[axis] if axis < len(shape) else None
    except Exception:  # noqa: BLE001 - see above
        return _UNTOLD


def _probe_symbol(*parts) -> Expr:
    return Expr.symbol(_PROBE + _PROBE.join(map(str, parts)))


def _is_symbol(dim, symbol: Expr) -> bool:
    return isinstance(dim, Expr) and dim.single_atom() == symbol.single_atom()


def _passed_through(layer, cfg, ins: list, index: int, axis: int):
    """(input, axis) that output `index`'s axis `axis` is copied from; None if the layer makes it;
    _UNTOLD if the rule cannot be probed.

    First every input size but 0 and 1 (broadcasting and squeezing depend on them) is a
    fresh symbol; when that tells nothing (the rule refuses it, or the axis is not one of
    them), each input axis is a symbol alone in turn, 0 and 1 included.
    """
    probes = [
        tuple(d if isinstance(d, int) and d <= 1 else _probe_symbol(i, a) for a, d in enumerate(s))
        for i, s in enumerate(ins)
    ]
    dim = _run(layer, cfg, probes, index, axis)
    told = dim is not _UNTOLD
    if told and isinstance(dim, Expr):
        atom = dim.single_atom()
        if isinstance(atom, str) and atom.startswith(_PROBE):
            i, a = atom[1:].split(_PROBE)
            return int(i), int(a)
    for i, shape in enumerate(ins):
        for a in range(len(shape)):
            symbol = _probe_symbol(i, a)
            probe = [s if j != i else (*s[:a], symbol, *s[a + 1 :]) for j, s in enumerate(ins)]
            dim = _run(layer, cfg, probe, index, axis)
            told = told or dim is not _UNTOLD
            if _is_symbol(dim, symbol):
                return i, a
    return None if told else _UNTOLD


def _made_by(model: Model, node: Node, cfg, ins: list, index: int, axis: int) -> Origin:
    """The origin of a size the layer makes: the argument written in the spec that the output
    axis is (each int, or int of a list, replaced by a symbol in turn), else the layer."""
    for written in node.args:
        arg = written[4]
        current = getattr(cfg, arg, None)
        for probe, symbol in _argument_probes(cfg, arg, current):
            if _is_symbol(_run(node.layer, probe, ins, index, axis), symbol):
                return _argument_origin(model, written, current)
    return Origin(f"{node.type_label} '{node.path}'", model.file, node.loc)


def _argument_probes(cfg, arg: str, value):
    """(configuration, symbol): `cfg` with the int `value` of argument `arg`, or one int of it
    when it is a list, replaced by a symbol."""
    if _is_int(value):
        symbol = _probe_symbol("arg", arg)
        yield _with(cfg, arg, symbol), symbol
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            if _is_int(item):
                symbol = _probe_symbol("arg", arg, i)
                yield _with(cfg, arg, type(value)((*value[:i], symbol, *value[i + 1 :]))), symbol


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _with(cfg, arg: str, value):
    """A copy of `cfg` with one argument changed."""
    copy = SimpleNamespace(**vars(cfg))
    setattr(copy, arg, value)
    return copy


def _as_written(value) -> str:
    """An argument's value as the spec writes it: 20, [4, -1]."""
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(_as_written, value)) + "]"
    return str(value)


def declared_origin(model: Model, node: Node, arg: str, current) -> Origin | None:
    """Where the argument `arg` of `node`, whose value is now `current`, was written (None: not
    written, a default)."""
    return next((_argument_origin(model, w, current) for w in node.args if w[4] == arg), None)


def _argument_origin(model: Model, written: tuple, current) -> Origin:
    """The origin of a size that is an argument as written in the spec (`units: 20 of 'fc1'`); one
    written as a `$` expression of shapes shows the value it had in this inference."""
    name, owner, value, loc, _ = written
    concrete = _is_int(value) or (isinstance(value, (tuple, list)) and all(map(_is_int, value)))
    return Origin(f"{name}: {_as_written(value if concrete else current)} of '{owner}'", model.file, loc, concrete)


def source_name(model: Model, source) -> str:
    """The user's name for a source: a layer path or an input name."""
    return model.nodes[source.node].path if isinstance(source, NodeOutput) else source


def differing_axes(a: tuple, b: tuple) -> tuple[int, ...]:
    """The axes where two shapes of one rank certainly differ."""
    return tuple(i for i, (x, y) in enumerate(zip(a, b)) if equal(x, y) is False) if len(a) == len(b) else ()


def _input_label(model: Model, node: Node, index: int) -> str:
    """`from[1] 'stage2/x' (= 'stage1.1/relu2')`: the name as written, and what it is."""
    resolved = source_name(model, node.sources[index])
    written = node.written_from[index] if index < len(node.written_from) else resolved
    same = written == resolved or not written
    return f"from[{index}] '{resolved if same else written}'" + ("" if same else f" (= '{resolved}')")


def mismatch(
    model: Model,
    node: Node,
    ins: list | None,
    origin: Callable[[int, int], Origin | None],
    error: ShapeError,
) -> Diagnostic:
    """The diagnostic of a layer whose shapes do not fit: inputs, the axes that disagree,
    and where each disagreeing size came from (`origin(input index, axis)`)."""
    ins = ins or []
    inputs = tuple((_input_label(model, node, i), shape) for i, shape in enumerate(ins))
    expected, received = error.expected, error.received
    conflicts: list[AxisConflict] = []
    axes: tuple[int, ...] = ()
    if isinstance(expected, tuple) and isinstance(received, tuple) and len(expected) == len(received):
        axes = differing_axes(expected, received)
        declared = error if isinstance(error, DeclaredSizeError) else None
        if declared is not None:
            received_index = declared.input
        else:
            received_index = next((i for i, shape in enumerate(ins) if shape is received), None)
        for axis in axes:
            conflicts.append(
                AxisConflict(
                    axis,
                    expected[axis],
                    _expected_origin(model, node, declared, origin),
                    received[axis],
                    origin(received_index, axis) if received_index is not None else None,
                )
            )
    elif error.axis is not None and len(ins) > 1:
        rank = max(len(s) for s in ins)
        position = error.axis if error.axis < 0 else error.axis - rank
        axes = (rank + position,)
        present = [(i, s) for i, s in enumerate(ins) if len(s) >= -position]
        (first_index, first), *others = present
        for index, shape in others:
            if equal(shape[position], first[position]) is False:
                conflicts.append(
                    AxisConflict(
                        broadcast_axis_name(ins, position),  # as the headline names it
                        first[position],
                        origin(first_index, len(first) + position),
                        shape[position],
                        origin(index, len(shape) + position),
                    )
                )
                break
    notes = tuple(error.notes) + tuple(
        f"in '{use.path}', a use of block {use.block} at line {use.loc.line}" for use in reversed(node.uses)
    )
    return Diagnostic(
        "shape_mismatch",
        f"{node.type_label} '{node.path}' {error.message}",
        model.file,
        node.loc,
        node.path,
        expected,
        received if received is not None else (list(ins) if len(ins) > 1 else (ins[0] if ins else None)),
        error.hint or _hint(conflicts),
        notes,
        inputs,
        axes,
        tuple(conflicts),
    )


def _expected_origin(model: Model, node: Node, error: DeclaredSizeError | None, origin) -> Origin | None:
    """Where the size a layer expected comes from, as its rule says: an argument, or an input's axis."""
    if error is None:
        return None
    if error.arg is not None:
        return declared_origin(model, node, error.arg, error.declared)
    if error.like is not None:
        return origin(*error.like)
    return None


def _hint(conflicts: list[AxisConflict]) -> str | None:
    """ "units: 30 of 'fc1' must equal in_units: 20 of 'fc2'" when both sizes were written in the spec."""
    for c in conflicts:
        made = [o for o in (c.received_from, c.expected_from) if o is not None and o.written]
        if len(made) == 2:
            return f"{made[0].what} must equal {made[1].what}"
    return None


def where_violations(trace, evaluations) -> list[Diagnostic]:
    """An error for each --where value that violates a requirement, at the first layer needing it."""
    where = {layer.path: layer.loc for layer in trace.layers}
    found = []
    for evaluation in evaluations:
        values = ", ".join(f"{k}={v}" for k, v in evaluation.bindings.items())
        for requirement in evaluation.violated:
            layer = next((o for o in requirement.origins if o in where), None)
            found.append(
                Diagnostic(
                    "where_violation",
                    f"{values} violates {requirement.text}",
                    trace.file,
                    where.get(layer),
                    layer,
                    notes=(f"needed by {', '.join(requirement.origins)}",),
                )
            )
    return found
