"""Where each size comes from, and mismatch reports that say so.

The propagation keeps, beside each tensor's shape, an `Origin` per axis: the
input that gave it (declared in the spec or given with --input), or the layer
that made it — through a number written in the spec (`filters: 128`, with its
position) when the size equals one of the layer's arguments. A mismatch then
names, for each axis that disagrees, both sizes and what fixed each.
"""

from __future__ import annotations

from .dims import equal
from .errors import AxisConflict, Diagnostic, Origin, ShapeError
from .spec import Model, Node, NodeOutput


def input_origins(model: Model, name: str, shape: tuple, given: bool) -> tuple[Origin, ...]:
    """Origins of an input's axes: --input, or the spec's declaration."""
    if given:
        return (Origin(f"input '{name}' from --input"),) * len(shape)
    return (Origin(f"input '{name}'", model.file, model.inputs[name].loc),) * len(shape)


def arg_origin(model: Model, node: Node, value) -> Origin | None:
    """The argument of `node` written as `value`, if any."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    for name, owner, written, loc in node.args:
        if written == value and type(written) is int:
            return Origin(f"{name}: {value} of '{owner}'", model.file, loc, written=True)
    return None


def output_origins(model: Model, node: Node, ins: list, in_origins: list, out: tuple) -> tuple:
    """Origins of an output's axes: passed through from an input, or made by this layer."""
    origins = []
    for axis, dim in enumerate(out):
        origin = None
        for shape, shape_origins in zip(ins, in_origins):
            if axis < len(shape) and _same(shape[axis], dim):
                origin = shape_origins[axis]
                break
        if origin is None:
            origin = arg_origin(model, node, dim)
        if origin is None:
            origin = next((o[a] for s, o in zip(ins, in_origins) for a, d in enumerate(s) if _same(d, dim)), None)
        origins.append(origin or Origin(f"{node.type_label} '{node.path}'", model.file, node.loc))
    return tuple(origins)


def _same(a, b) -> bool:
    return a is b or (type(a) is type(b) and a == b)


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


def mismatch(model: Model, node: Node, ins: list | None, in_origins: list | None, error: ShapeError) -> Diagnostic:
    """The diagnostic of a layer whose shapes do not fit: inputs, the axes that
    disagree, and where each disagreeing size came from."""
    ins = ins or []
    in_origins = in_origins or [()] * len(ins)
    inputs = tuple((_input_label(model, node, i), shape) for i, shape in enumerate(ins))
    expected, received = error.expected, error.received
    conflicts: list[AxisConflict] = []
    axes: tuple[int, ...] = ()
    if isinstance(expected, tuple) and isinstance(received, tuple) and len(expected) == len(received):
        axes = differing_axes(expected, received)
        received_origins = next((o for shape, o in zip(ins, in_origins) if shape is received), ())
        for axis in axes:
            conflicts.append(
                AxisConflict(
                    axis,
                    expected[axis],
                    arg_origin(model, node, expected[axis]),
                    received[axis],
                    received_origins[axis] if axis < len(received_origins) else None,
                )
            )
    elif error.axis is not None and len(ins) > 1:
        rank = max(len(s) for s in ins)
        position = error.axis if error.axis < 0 else error.axis - rank
        axes = (rank + position,)
        present = [(s, o) for s, o in zip(ins, in_origins) if len(s) >= -position]
        (first, first_origins), *others = present
        for shape, origins in others:
            if equal(shape[position], first[position]) is False:
                conflicts.append(
                    AxisConflict(
                        rank + position,
                        first[position],
                        _at(first_origins, position),
                        shape[position],
                        _at(origins, position),
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


def _at(origins: tuple, position: int):
    return origins[position] if origins and len(origins) >= -position else None


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
