"""Einsum: an Einstein summation over its inputs, checked as torch.einsum checks it.

The equation names each input's axes with letters (`bhqd,bhkd->bhqk`); `...` stands for
the axes no letter names (broadcast across the inputs, right-aligned). Without `->` the
output is the ellipsis axes, then the letters that appear exactly once, in the order
A–Z, a–z. As in PyTorch (aten/src/ATen/native/Linear.cpp, einsum):

    - a letter's sizes broadcast across inputs (equal, or 1); repeated in one input
      (`ii->i`, a diagonal) its sizes must be equal
    - each input has as many letters as axes, or fewer with an ellipsis
    - output letters appear in some input and once in the output

MACs follow PyTorch's contraction without opt_einsum: the inputs are multiplied left to
right; each product sums the axes no later input and not the output needs, by a batched
matrix product whose multiply-adds are the product of the sizes of every axis involved —
or by an elementwise product (0 MACs) when it sums none. Axes of size 1 in one input are
summed in the other first. A symbolic size is taken to be other than 1, as elsewhere.
"""

from __future__ import annotations

from ..records import NamedTuple
from ..args import show
from ..dims import Dim, equal, format_dim, format_shape, product
from ..errors import ShapeError, SpecError
from ..registry import Arg, Layer, register
from ..shape_math import same_dim

ELLIPSIS = "..."


class Equation(NamedTuple):
    """A parsed equation: each input's labels (ELLIPSIS for `...`) and the output's (None: implicit)."""

    inputs: tuple[tuple[str, ...], ...]
    output: tuple[str, ...] | None
    text: str


def _labels(text: str, offset: int, where: str) -> tuple[str, ...]:
    """The labels of one term; `offset` is the term's index in the whole equation (for messages)."""
    labels: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == " ":
            i += 1
            continue
        if c == ".":
            if ELLIPSIS in labels:
                raise SpecError(f"einsum: {where} has a second ellipsis at index {offset + i}; one '...' at most")
            if text[i : i + 3] != "...":
                raise SpecError(f"einsum: '.' at index {offset + i} of {where} is not part of an ellipsis '...'")
            labels.append(ELLIPSIS)
            i += 3
            continue
        if not ("a" <= c <= "z" or "A" <= c <= "Z"):
            raise SpecError(
                f"einsum: invalid subscript {c!r} at index {offset + i}; subscripts are the letters a-z, A-Z"
            )
        labels.append(c)
        i += 1
    return tuple(labels)


def parse_equation(text: str) -> Equation:
    """The equation's terms, checked for what needs no shapes (PyTorch's parse)."""
    left, arrow, right = text.partition("->")
    terms, position = [], 0
    for index, term in enumerate(left.split(",")):
        terms.append(_labels(term, position, f"input {index}"))
        position += len(term) + 1
    output = None
    if arrow:
        output = _labels(right, len(left) + 2, "the output")
        seen = {label for term in terms for label in term}
        for label in output:
            if label != ELLIPSIS and label not in seen:
                raise SpecError(f"einsum: output subscript {label} does not appear in any input")
        repeated = [label for label in set(output) if output.count(label) > 1 and label != ELLIPSIS]
        if repeated:
            raise SpecError(f"einsum: output subscript {sorted(repeated)[0]} appears more than once in the output")
    return Equation(tuple(terms), output, text)


class EquationText:
    """An einsum equation, checked when the spec is read."""

    def __call__(self, value) -> str:
        if not isinstance(value, str) or not value.strip():
            raise SpecError(f"expected an equation such as 'ij,jk->ik', received {show(value)}")
        parse_equation(value)
        return value

    def __str__(self) -> str:
        return "an equation such as 'bij,bjk->bik'"


def _order(label: str) -> int:
    """PyTorch's label order: A–Z, then a–z."""
    return ord(label) - ord("A") if label.isupper() else ord(label) - ord("a") + 26


def explicit(equation: Equation) -> str:
    """The equation with its output written out (PyTorch's implicit output made explicit), no spaces."""
    inputs = ",".join("".join(term) for term in equation.inputs)
    if equation.output is not None:
        return f"{inputs}->{''.join(equation.output)}"
    counts: dict[str, int] = {}
    for term in equation.inputs:
        for label in term:
            counts[label] = counts.get(label, 0) + 1
    once = sorted((label for label, n in counts.items() if n == 1 and label != ELLIPSIS), key=_order)
    return f"{inputs}->{ELLIPSIS if ELLIPSIS in counts else ''}{''.join(once)}"


class Layout(NamedTuple):
    """The inputs aligned as PyTorch aligns them: every input as a row of sizes over the same
    axes (output axes first, then those summed), 1 where an input lacks the axis; `position`
    gives each label's axis."""

    rows: list[list[Dim]]
    output_axes: int
    sizes: list[Dim]
    position: dict[str, int]


def align(equation: Equation, ins: list[tuple]) -> Layout:
    """Check the inputs against the equation and align them (see Layout)."""
    terms = equation.inputs
    if len(terms) > len(ins):
        raise ShapeError(
            f"has an equation for {len(terms)} inputs ('{equation.text}') but receives {len(ins)}",
        )
    if len(terms) < len(ins):
        raise ShapeError(f"has an equation for {len(terms)} inputs ('{equation.text}') but receives {len(ins)}")
    ellipsis_axes = 0
    for index, (term, shape) in enumerate(zip(terms, ins)):
        named = len([label for label in term if label != ELLIPSIS])
        if ELLIPSIS in term:
            if named > len(shape):
                raise ShapeError(
                    f"names {named} axes of input {index} but it has {len(shape)}: {format_shape(shape)}",
                    received=ins,
                )
            ellipsis_axes = max(ellipsis_axes, len(shape) - named)
        elif named != len(shape):
            raise ShapeError(
                f"names {named} axes of input {index} but it has {len(shape)} ({format_shape(shape)}) "
                "and the term has no ellipsis",
                received=ins,
            )
    counts: dict[str, int] = {}
    for term in terms:
        for label in term:
            if label != ELLIPSIS:
                counts[label] = counts.get(label, 0) + 1
    # the aligned axes: the output's, then the ellipsis (if summed), then the summed letters
    ell = [f"...{i}" for i in range(ellipsis_axes)]
    if equation.output is None:
        output = ell + sorted((label for label, n in counts.items() if n == 1), key=_order)
    else:
        output = []
        for label in equation.output:
            output += ell if label == ELLIPSIS else [label]
    summed = [] if set(ell) <= set(output) else ell
    summed += sorted((label for label in counts if label not in output), key=_order)
    axes = output + summed
    position = {axis: i for i, axis in enumerate(axes)}
    sizes: list[Dim] = [1] * len(axes)
    rows = []
    for index, (term, shape) in enumerate(zip(terms, ins)):
        row: list[Dim] = [1] * len(axes)
        seen: dict[str, Dim] = {}
        dim = 0
        for label in term:
            if label == ELLIPSIS:
                covered = len(shape) - (len(term) - 1)
                names = ell[ellipsis_axes - covered :]
            else:
                names = [label]
            for name in names:
                d = shape[dim]
                if name in seen:  # a repeated letter: a diagonal, the sizes must be equal
                    if same_dim(seen[name], d) is None:
                        raise ShapeError(
                            f"repeats subscript {name} in input {index} {format_shape(shape)} with sizes "
                            f"{format_dim(seen[name])} and {format_dim(d)}, which must be equal",
                            received=ins,
                        )
                    dim += 1
                    continue
                seen[name] = d
                slot = position[name]
                if equal(d, 1) is not True:
                    previous = sizes[slot]
                    if equal(previous, 1) is not True and same_dim(previous, d) is None:
                        what = f"subscript {name}" if not name.startswith("...") else "an ellipsis axis"
                        raise ShapeError(
                            f"has {what} of size {format_dim(d)} in input {index} {format_shape(shape)}, "
                            f"which does not broadcast with size {format_dim(previous)}",
                            received=ins,
                        )
                    sizes[slot] = d
                row[slot] = d
                dim += 1
        rows.append(row)
    return Layout(rows, len(output), sizes, position)


def contraction_macs(layout: Layout) -> Dim:
    """Multiply-adds of PyTorch's left-to-right contraction (see the module's docstring)."""
    rows = [list(row) for row in layout.rows]
    width = len(layout.sizes)
    counts = [sum(1 for row in rows if equal(row[d], 1) is not True) for d in range(width)]
    total: Dim = 0
    while len(rows) > 1:
        a, b = rows[0], rows[1]
        summed = []
        for d in range(layout.output_axes, width):
            sa, sb = equal(a[d], 1) is not True, equal(b[d], 1) is not True
            if sa and sb:
                counts[d] -= 1
                if counts[d] == 1:
                    summed.append(d)
                    counts[d] = 0
            elif counts[d] == 1:
                if sa:
                    a[d], counts[d] = 1, 0
                elif sb:
                    b[d], counts[d] = 1, 0
        result = []
        for d in range(width):
            big = a[d] if equal(a[d], 1) is not True else b[d]
            result.append(1 if d in summed else big)
        if summed:
            total = total + product(a[d] for d in summed) * product(result)
        rows = [result] + rows[2:]
    return total


class Operand(NamedTuple):
    """One operand of a pairwise product: input `source` as it is, or (source None) a tensor made
    on the way (a partial result, or an input summed over an axis) of `elements` elements."""

    source: int | None
    elements: Dim


def contraction_operands(layout: Layout) -> list[tuple[Operand, Operand]]:
    """The two operands of each pairwise product of PyTorch's left-to-right contraction, which
    autograd keeps (a batched matmul or an elementwise product keeps both).

    As aten's einsum: an axis is summed out of the running result once no later input has it
    (size other than 1); an axis the running result has at size 1 is summed out of the next
    input before the product (PyTorch 2.13, aten/src/ATen/native/Linear.cpp)."""
    rows, width, first = layout.rows, len(layout.sizes), layout.output_axes

    def wide(d: Dim) -> bool:
        return equal(d, 1) is not True

    last = [max((i for i, row in enumerate(rows) if wide(row[d])), default=0) for d in range(width)]
    result, source = list(rows[0]), 0
    for d in range(first, width):
        if last[d] == 0 and wide(result[d]):
            result[d], source = 1, None
    pairs = []
    for i in range(1, len(rows)):
        operand, own = list(rows[i]), i
        summed = []
        for d in range(first, width):
            if last[d] != i:
                continue
            if not wide(result[d]):
                if wide(operand[d]):
                    operand[d], own = 1, None
            else:
                summed.append(d)
        pairs.append((Operand(source, product(result)), Operand(own, product(operand))))
        result = [1 if d in summed else (result[d] if wide(result[d]) else operand[d]) for d in range(width)]
        source = None
    return pairs


@register("Einsum", prefix="einsum")
class Einsum(Layer):
    """Einstein summation over its inputs by an equation (torch.einsum, keras.ops.einsum): 'bij,bjk->bik'."""

    min_inputs, max_inputs = 1, None
    args = {"equation": Arg(EquationText(), aliases=("eq", "subscripts"), doc="the equation")}

    @staticmethod
    def output_shape(cfg, ins):
        # the output axes' sizes, broadcast across the inputs
        layout = align(parse_equation(cfg.equation), ins)
        return [tuple(layout.sizes[: layout.output_axes])]

    @staticmethod
    def macs(cfg, ins, outs):
        # left to right: each pairwise product that sums an axis is a batched matmul
        return contraction_macs(align(parse_equation(cfg.equation), ins))
