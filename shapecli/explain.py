"""Where each size comes from, and mismatch reports that say so.

Origins are found only when an error is reported, and structurally: from the
tensor that disagrees, walk back through the layers that produced it. At each
layer the rule is run once more on inputs whose sizes are fresh symbols (a
probe); if the output axis comes out as one of those symbols, the layer passed
that axis through and the walk goes on to that input; otherwise the layer made
the size — through a number written in the spec (`filters: 128`, with its
position) when one of its arguments has that value. The walk ends at a model
input: given with --input, or declared in the spec.
"""

from __future__ import annotations

from collections.abc import Callable

from .conditions import collecting
from .dims import Expr, equal
from .errors import AxisConflict, Diagnostic, Origin, ShapecliError, ShapeError
from .shape_math import broadcast_axis_name
from .spec import Model, Node, NodeOutput, Source

_PROBE = "·"
"""Start of the probe symbols' names (no spec or --input symbol can contain it)."""


class Origins:
    """Finds what fixed each axis of any tensor of a propagated model."""

    def __init__(self, model: Model, values: dict, given: set[str]):
        self.model, self.values, self.given = model, values, given
        self.cache: dict[tuple, Origin | None] = {}

    def of(self, source: Source, axis: int) -> Origin | None:
        """The origin of axis `axis` of the tensor `source`."""
        key = (source, axis)
        if key not in self.cache:
            self.cache[key] = self._walk(source, axis)
        return self.cache[key]

    def _walk(self, source: Source, axis: int) -> Origin | None:
        model = self.model
        for _ in range(len(model.nodes) + 1):
            if isinstance(source, str):
                return self._input(source)
            node = model.nodes[source.node]
            ins = [self.values.get(s) for s in node.sources]
            if None in ins:
                return None
            shape = self.values.get(source)
            made = shape[axis] if shape is not None and axis < len(shape) else None
            step = _passed_through(node, ins, source.index, axis, made)
            if step is None:
                return arg_origin(model, node, made) or Origin(f"{node.type_label} '{node.path}'", model.file, node.loc)
            index, axis = step
            source = node.sources[index]
        return None

    def _input(self, name: str) -> Origin:
        if name in self.given:
            return Origin(f"input '{name}' from --input")
        return Origin(f"input '{name}'", self.model.file, self.model.inputs[name].loc)


def _passed_through(node: Node, ins: list, index: int, axis: int, made) -> tuple[int, int] | None:
    """(input, axis) that output `index`'s axis `axis` is copied from, or None if the layer makes it.

    Sizes 0 and 1 stay as they are in the probe (broadcasting and squeezing depend on them).
    """
    probes = [
        tuple(d if isinstance(d, int) and d <= 1 else Expr.symbol(f"{_PROBE}{i}{_PROBE}{a}") for a, d in enumerate(s))
        for i, s in enumerate(ins)
    ]
    try:
        with collecting("probe"):
            out = node.layer.output_shape(node.cfg, probes)
    except (ShapecliError, ArithmeticError, TypeError, ValueError, IndexError):
        return _matched_by_value(ins, axis, made)
    shape = out[index] if isinstance(out, list) else out
    if axis >= len(shape):
        return None
    dim = shape[axis]
    atom = dim.single_atom() if isinstance(dim, Expr) else None
    if isinstance(atom, str) and atom.startswith(_PROBE):
        i, a = atom[1:].split(_PROBE)
        return int(i), int(a)
    return None


def _matched_by_value(ins: list, axis: int, made) -> tuple[int, int] | None:
    """When a probe cannot run: the input axis at the same position with the same size, if any."""
    return next(((i, axis) for i, s in enumerate(ins) if axis < len(s) and equal(s[axis], made) is True), None)


def arg_origin(model: Model, node: Node, value) -> Origin | None:
    """The argument of `node` written as `value`, if any."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    for name, owner, written, loc in node.args:
        if written == value and type(written) is int:
            return Origin(f"{name}: {value} of '{owner}'", model.file, loc, written=True)
    return None


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
        received_index = next((i for i, shape in enumerate(ins) if shape is received), None)
        for axis in axes:
            conflicts.append(
                AxisConflict(
                    axis,
                    expected[axis],
                    arg_origin(model, node, expected[axis]),
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
