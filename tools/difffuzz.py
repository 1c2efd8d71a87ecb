"""The core of the differential fuzzers: random cases, shapecli's view of them, and the comparison.

A case is one layer or a chain of 2–6 layers with concrete input shapes, written
as a spec (`spec_text`). A framework bridge (tools/fuzz_torch.py,
tools/fuzz_keras.py) draws cases from its generator table and runs them in the
framework, layer by layer, giving one `Outcome` per layer it reached; this
module runs the same spec through shapecli (load_model + infer: the Trace, never
the rules directly) and compares, layer by layer:

- acceptance: shapecli refuses a layer (a spec error or a shape error) exactly
  when the framework raises there;
- output shapes, parameter and buffer names, shapes and trainable flags (in
  order), and MACs where the framework counts them;
- symbolic inference: the case again with some input sizes replaced by symbols,
  evaluated at the concrete sizes, must give the concrete result, and its
  requirements must hold exactly when the concrete case fits.

Everything is seeded: case k of seed s is `draw_case(Random(f"{s}:{k}"), …)`, so a
failure message's seed and index rebuild it. The framework is imported only by
the bridges; this module needs shapecli alone.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from shapecli.dims import Expr, dim_to_json
from shapecli.errors import SpecError
from shapecli.infer import infer
from shapecli.spec import load_model

MERGES = {"Add", "Subtract", "Multiply", "Maximum", "Minimum", "Average", "Concat", "Concatenate", "MatMul"}
"""Types that a chain feeds with the previous output and one earlier tensor."""


@dataclass
class LayerCase:
    """One layer of a case: its type (a spelling shapecli and the bridge both know), arguments, sources."""

    type: str
    args: dict
    sources: list[str]


@dataclass
class Case:
    """Input shapes and a chain of layers; `int_inputs` hold integer indices (INTEGER_INPUTS)."""

    seed: str
    inputs: dict[str, tuple]
    layers: list[LayerCase]
    int_inputs: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    """What one layer gave: a refusal message, or its outputs, parameters and MACs (None: not counted)."""

    refused: str | None = None
    outputs: list[tuple] = field(default_factory=list)
    params: list[tuple] = field(default_factory=list)
    macs: int | None = None


@dataclass
class Finding:
    """A discrepancy: its class (what kind, which layer type, the gist), the case and the two views."""

    kind: str
    layer_type: str
    gist: str
    case: Case
    detail: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.layer_type, self.gist)

    def report(self, convention: str) -> str:
        """The failure message: class, seed, the spec to reproduce it and what differs."""
        return (
            f"[{self.kind}] {self.layer_type}: {self.gist}\n"
            f"case {self.case.seed} ({convention} convention); reproduce with:\n"
            f"{textwrap.indent(spec_text(self.case), '    ')}"
            f"{textwrap.indent(self.detail, '  ')}\n"
        )


class Crash(Exception):
    """shapecli raised something other than a ShapecliError: an internal error (exit 3)."""


# -- the spec -------------------------------------------------------------------------


def spec_text(case: Case, shapes: dict[str, tuple] | None = None) -> str:
    """The case as a spec: one input line, then one layer per line (layer i on line 3 + i)."""
    shapes = shapes or case.inputs
    inputs = ", ".join(f"{name}: {json.dumps([_yaml_dim(d) for d in shape])}" for name, shape in shapes.items())
    lines = [f"inputs: {{{inputs}}}", "layers:"]
    for i, layer in enumerate(case.layers):
        mapping = {"name": f"l{i}", "type": layer.type, "from": layer.sources, **layer.args}
        lines.append(f"  - {json.dumps(mapping)}")
    return "\n".join(lines) + "\n"


def _yaml_dim(d):
    return str(d) if isinstance(d, Expr) else d


def shapecli_outcomes(case: Case, convention: str, shapes: dict[str, tuple] | None = None):
    """(the Trace or None, one Outcome per layer) of the case in shapecli.

    A spec error refuses the layer on its line; the layers before it are then
    inferred without it (a spec error stops the whole spec).
    """
    try:
        model = load_model(spec_text(case, shapes), "fuzz.yaml", convention)
    except SpecError as e:
        index = (e.loc.line - 3) if e.loc is not None else len(case.layers) - 1
        if not 0 <= index < len(case.layers):
            return None, [Outcome(refused=f"spec error: {e.message}")]
        shorter = Case(case.seed, case.inputs, case.layers[:index], case.int_inputs)
        trace, outcomes = shapecli_outcomes(shorter, convention, shapes) if index else (None, [])
        return trace, outcomes + [Outcome(refused=f"spec error: {e.message}")]
    try:
        trace = infer(model, [])
    except Exception as e:  # noqa: BLE001 - an internal error is a finding, reported as one
        raise Crash(f"{type(e).__name__}: {e}") from e
    outcomes = []
    errors = {e.path: e for e in trace.errors}
    for info in trace.layers:
        error = errors.get(info.path)
        if info.state != "ok" or error is not None:  # an ok layer with an error: contradictory conditions
            outcomes.append(Outcome(refused=error.message if error else f"shapecli: {info.state}"))
            continue
        outputs = list(info.output_shapes.values()) if info.output_shapes else [info.output_shape]
        params = [(p.local, tuple(p.after), p.trainable and not p.buffer, p.buffer) for p in info.params]
        outcomes.append(Outcome(outputs=outputs, params=params, macs=info.macs))
    return trace, outcomes


# -- comparing --------------------------------------------------------------------------


def _gist(message: str) -> str:
    """A message with its numbers and shapes blanked, so one cause gives one class."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", message).splitlines()[0] if message else ""
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", "(…)", text)
    text = re.sub(r"-?\d+(\.\d+)?", "#", text)
    return text[:110]


def _json_shape(shape) -> list:
    return [dim_to_json(d) for d in shape]


ACCEPTED = [
    (
        "shapecli refuses, framework accepts",
        re.compile(r"declares \w+=\d+ but receives"),
        "a declared size that contradicts the input is refused, also where the framework ignores it "
        "(a norm with no parameter or statistic of that size; PyTorch warns)",
    ),
    (
        "shapecli refuses, framework accepts",
        re.compile(r"needs query, value and key of one batch size"),
        "Keras' attention wants one batch size; on the torch backend its einsum happens to broadcast a batch of 1",
    ),
    (
        "shapecli refuses, framework accepts",
        re.compile(r"into pieces of \d+: \d+ pieces, not count \d+"),
        "Split's `count` names its outputs: a count torch.split does not give is refused",
    ),
    (
        "shapecli refuses, framework accepts",
        re.compile(r"chunks, but PyTorch gives only \d+ chunks"),
        "Chunk's outputs are named from `chunks`: a size that torch.chunk cuts into fewer pieces is refused",
    ),
    (
        "shapecli refuses, framework accepts",
        re.compile(r"after cropping\) more than once"),
        "circular padding beyond what is left after cropping: PyTorch 2.13 leaves elements uninitialized",
    ),
]
"""Differences shapecli makes on purpose: (kind, shapecli's message, why). Zero-size tensors are the other."""


def compare(case: Case, theirs: list[Outcome], convention: str, framework: str) -> list[Finding]:
    """The discrepancies between the framework's outcomes and shapecli's, layer by layer."""
    try:
        _, ours = shapecli_outcomes(case, convention)
    except Crash as e:
        crashed = case.layers[-1].type if len(case.layers) == 1 else "stack"
        return [Finding("shapecli crashes", crashed, _gist(str(e)), case, str(e))]
    findings = []
    for i, (layer, fw) in enumerate(zip(case.layers, theirs)):
        if i >= len(ours):
            break
        sc = ours[i]

        def found(kind: str, gist: str, detail: str, layer=layer, i=i) -> None:
            findings.append(Finding(kind, layer.type, gist, case, f"layer l{i}: {detail}"))

        if fw.refused or sc.refused:
            if fw.refused and not sc.refused:
                if any(0 in shape for shape in [*fw.outputs]):
                    break
                found(
                    "shapecli accepts, framework refuses",
                    _gist(fw.refused),
                    f"{framework}: {fw.refused}\nshapecli: {[_json_shape(s) for s in sc.outputs]}",
                )
            elif sc.refused and not fw.refused:
                if _zero_sized(fw):
                    break  # shapecli refuses zero-size tensors, which the frameworks allow
                if any(
                    kind == "shapecli refuses, framework accepts" and rx.search(sc.refused) for kind, rx, _ in ACCEPTED
                ):
                    break
                found(
                    "shapecli refuses, framework accepts",
                    _gist(sc.refused),
                    f"shapecli: {sc.refused}\n{framework}: outputs {fw.outputs}, params {fw.params}",
                )
            break
        if [_json_shape(s) for s in sc.outputs] != [list(s) for s in fw.outputs]:
            found(
                "output shapes differ",
                f"{len(sc.outputs)} vs {len(fw.outputs)} outputs" if len(sc.outputs) != len(fw.outputs) else "",
                f"shapecli: {[_json_shape(s) for s in sc.outputs]}\n{framework}: {[list(s) for s in fw.outputs]}",
            )
            break
        ours_params = [(n, _json_shape(s), t, b) for n, s, t, b in sc.params]
        theirs_params = [(n, list(s), t, b) for n, s, t, b in fw.params]
        if ours_params != theirs_params:
            found(
                "parameters differ",
                _param_gist(ours_params, theirs_params),
                f"shapecli: {ours_params}\n{framework}: {theirs_params}",
            )
        if fw.macs is not None and sc.macs != fw.macs:
            found("MACs differ", "", f"shapecli: {dim_to_json(sc.macs)}\n{framework}: {fw.macs}")
    return findings


def _zero_sized(outcome: Outcome) -> bool:
    return any(0 in tuple(s) for s in outcome.outputs) or any(0 in tuple(p[1]) for p in outcome.params)


def _param_gist(ours: list, theirs: list) -> str:
    names_ours, names_theirs = [p[0] for p in ours], [p[0] for p in theirs]
    if names_ours != names_theirs:
        return "names differ"
    differing = [a[0] for a, b in zip(ours, theirs) if a != b]
    return "values of " + ", ".join(sorted({re.sub(r"\d+", "#", n) for n in differing}))


# -- symbolic against concrete -------------------------------------------------------------


def symbolize(case: Case, rng: Random) -> tuple[dict[str, tuple], dict[str, int]]:
    """Input shapes with some sizes (other than 1) replaced by symbols, and the symbols' values.

    Equal sizes share a symbol half of the time, so that conditions between them simplify.
    """
    shapes, bindings, by_value = {}, {}, {}
    for name, shape in case.inputs.items():
        dims = []
        for d in shape:
            if d == 1 or rng.random() < 0.4:
                dims.append(d)
                continue
            if d in by_value and rng.random() < 0.5:
                symbol = by_value[d]
            else:
                symbol = f"S{len(bindings)}"
                bindings[symbol], by_value[d] = d, symbol
            dims.append(Expr.symbol(symbol))
        shapes[name] = tuple(dims)
    return shapes, bindings


def _evaluated(dim, bindings):
    return dim.evaluate(bindings) if isinstance(dim, Expr) else dim


SYMBOLIC_LIMITS = {
    "size 1": "a symbolic size is taken to be other than 1 (Squeeze keeps it; a broadcast needs it equal)",
    "layout": "attention's layout (packed or not) depends on whether a symbolic width equals the declared kdim/vdim",
    "even padding": "Keras (torch backend) checks 3-D average pooling's window against the unpadded size only when "
    "its 'same' padding is even on every axis, which depends on the parity of a symbolic size",
}
"""What symbolic inference cannot decide, by design (README, Symbolic sizes); the check skips these."""


SIZE_ONE_TYPES = MERGES | {"Squeeze", "Bilinear", "Einsum", "Expand", "Stack"}
"""Types whose result depends on whether a size is 1."""


def _inputs_of(case: Case, index: int, outcomes: list[Outcome], shapes: dict) -> list:
    found = []
    for source in case.layers[index].sources:
        if source in shapes:
            found.append(tuple(shapes[source]))
        else:
            earlier = outcomes[int(source[1:])]
            found.append(tuple(earlier.outputs[0]) if earlier.outputs else None)
    return found


def _size_one_met(symbolic, concrete) -> bool:
    """Whether a size the symbolic run takes to be other than 1 is 1 in the concrete run: still a
    symbol there, or a number the symbolic run fixed it to (a requirement `S == 4` bound the
    symbol) where the concrete size, or that number, is 1."""
    if not isinstance(symbolic, int):
        return concrete == 1
    return symbolic != concrete and 1 in (symbolic, concrete)


def _broadcasts_a_symbol(symbolic: list, concrete: list) -> bool:
    """Whether the concrete inputs broadcast a 1 against a larger size (aligned from the right) at an
    axis where an input's symbolic size is a symbol: the symbolic run needs the sizes equal there."""
    if any(shape is None for shape in symbolic + concrete):
        return False
    for axis in range(1, max((len(c) for c in concrete), default=0) + 1):
        sizes = {c[-axis] for c in concrete if len(c) >= axis}
        if 1 in sizes and len(sizes) > 1 and any(len(s) >= axis and not isinstance(s[-axis], int) for s in symbolic):
            return True
    return False


def _symbolic_limit(case: Case, index: int, symbolic, concrete, shapes) -> str | None:
    """The documented limit that explains a difference at layer `index`, if one does."""
    if index >= len(case.layers):
        return None
    for j in range(index + 1):  # a Squeeze or broadcast met a symbolic size that is 1 here, at or before `index`
        if case.layers[j].type not in SIZE_ONE_TYPES:
            continue
        sym_ins, con_ins = _inputs_of(case, j, symbolic, shapes), _inputs_of(case, j, concrete, case.inputs)
        for sym, con in zip(sym_ins, con_ins):
            if sym is not None and con is not None and any(_size_one_met(d, c) for d, c in zip(sym, con)):
                return SYMBOLIC_LIMITS["size 1"]
        if _broadcasts_a_symbol(sym_ins, con_ins):
            return SYMBOLIC_LIMITS["size 1"]
    layer = case.layers[index]
    sym_ins = _inputs_of(case, index, symbolic, shapes)
    if layer.type == "AveragePooling3D" and layer.args.get("padding") == "same":
        return SYMBOLIC_LIMITS["even padding"]
    declared = "kdim" in layer.args or "vdim" in layer.args
    if layer.type == "MultiheadAttention" and declared and sym_ins and sym_ins[0] is not None:
        return SYMBOLIC_LIMITS["layout"] if not isinstance(sym_ins[0][-1], int) else None
    return None


def _first_refusal(outcomes: list[Outcome]) -> int:
    return next((i for i, o in enumerate(outcomes) if o.refused), len(outcomes))


def compare_symbolic(case: Case, convention: str, rng: Random) -> list[Finding]:
    """Discrepancies between symbolic inference evaluated at the case's sizes and concrete inference.

    Differences that a documented limit of symbolic inference explains (SYMBOLIC_LIMITS)
    are not findings; neither are cases whose symbolic result has an unknown size.
    """
    shapes, bindings = symbolize(case, rng)
    if not bindings:
        return []
    try:
        _, concrete = shapecli_outcomes(case, convention)
    except Crash:
        return []  # reported by compare
    if any(o.refused and o.refused.startswith("spec error") for o in concrete):
        return []
    fits = not any(o.refused for o in concrete)
    try:
        trace, symbolic = shapecli_outcomes(case, convention, shapes)
    except Crash as e:
        return [_symbolic_finding(case, shapes, bindings, "symbolic run crashes", _gist(str(e)), str(e))]
    if any(not isinstance(_evaluated(d, bindings), int) for o in symbolic for s in o.outputs for d in s):
        return []

    def limited(index: int) -> bool:
        return _symbolic_limit(case, index, symbolic, concrete, shapes) is not None

    refused_at = _first_refusal(symbolic)
    if refused_at < len(symbolic):
        if fits and not limited(refused_at):
            why = symbolic[refused_at].refused
            return [_symbolic_finding(case, shapes, bindings, "symbolic refuses, concrete fits", _gist(why), why)]
        return []
    violated = [r for r in trace.requires if r.test(bindings) is False]
    undecided = [r.text for r in trace.requires if r.test(bindings) is None]
    if undecided:
        return [_symbolic_finding(case, shapes, bindings, "requirement undecided", "", f"undecided: {undecided}")]
    if fits == bool(violated):
        paths = [f"l{i}" for i in range(len(case.layers))]
        blamed = {paths.index(o) for r in violated for o in r.origins if o in paths} or {_first_refusal(concrete)}
        if any(limited(at) for at in blamed):
            return []
        why = next((o.refused for o in concrete if o.refused), "")
        return [
            _symbolic_finding(
                case,
                shapes,
                bindings,
                "requirements disagree with concrete",
                "concrete fits" if fits else _gist(why),
                f"violated: {[r.text for r in violated]}; requires: {[r.text for r in trace.requires]}; "
                f"concrete: {why or 'fits'}",
            )
        ]
    if not fits:
        return []
    for i, (sym, con) in enumerate(zip(symbolic, concrete)):
        got = (
            [tuple(_evaluated(d, bindings) for d in s) for s in sym.outputs],
            [(n, tuple(_evaluated(d, bindings) for d in s), t, b) for n, s, t, b in sym.params],
            _evaluated(sym.macs, bindings),
        )
        want = ([tuple(s) for s in con.outputs], [(n, tuple(s), t, b) for n, s, t, b in con.params], con.macs)
        if got != want:
            if limited(i):
                return []
            what = ("outputs", "params", "MACs")[next(k for k in range(3) if got[k] != want[k])]
            return [
                _symbolic_finding(
                    case,
                    shapes,
                    bindings,
                    f"symbolic {what} differ",
                    case.layers[i].type,
                    f"layer l{i}: symbolic at {bindings}: {got}\nconcrete: {want}",
                )
            ]
    return []


def _symbolic_finding(case: Case, shapes, bindings, kind: str, gist: str, detail: str) -> Finding:
    types = "+".join(sorted({layer.type for layer in case.layers}))
    symbolic = ", ".join(f"{n}: {[_yaml_dim(d) for d in s]}" for n, s in shapes.items())
    return Finding(
        kind, types if len(case.layers) == 1 else "stack", gist, case, f"inputs {symbolic} at {bindings}\n{detail}"
    )


# -- drawing values (the bridges' generators share these) ---------------------------------


def bad(rng: Random, p: float = 0.06) -> bool:
    """Whether to draw an invalid value this time."""
    return rng.random() < p


def random_shape(rng: Random, rank: int, low: int = 1, high: int = 6) -> tuple:
    return tuple(rng.randint(low, high) for _ in range(rank))


def per_axis(rng: Random, rank: int, low: int, high: int):
    """An int, or (a third of the time) a list of one int per axis."""
    if rank > 1 and rng.random() < 0.33:
        return [rng.randint(low, high) for _ in range(rank)]
    return rng.randint(low, high)


def axes_of(value, rank: int) -> list:
    return list(value) if isinstance(value, list) else [value] * rank


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


# -- drawing cases ------------------------------------------------------------------------


class Unfit(Exception):
    """Raised by a generator that cannot take the input shape it is given (as returning None)."""


Generator = Callable[[Random, "tuple | None"], "tuple[dict, list[tuple]] | None"]
"""A layer type's generator: random arguments and input shapes for one layer of that type.

Called with an input shape (a chain goes on from it), it returns arguments for that
input and the shapes with that one first, or None when the type cannot take it.
"""


INTEGER_INPUTS: dict[str, Callable[[list], set]] = {"Embedding": lambda shapes: {"x0"}}
"""Layer type → the names of its drawn inputs that hold int64 indices (such a type only starts a case)."""


def draw_case(
    rng: Random, seed: str, generators: dict[str, Generator], convention: str, stack_share: float = 0.35
) -> Case:
    """One case: a single layer of a random type, or (stack_share of the time) a chain of 2–6 layers.

    A chain goes on from the first output shapecli gives for the layers so far (a
    layer that fails ends it); a merge takes the previous output and an earlier tensor.
    """
    type_name = rng.choice(sorted(generators))
    args, shapes = generators[type_name](rng, None)
    names = [f"x{i}" for i in range(len(shapes))]
    inputs = dict(zip(names, shapes)) or {"unused": (1,)}  # a Parameter or Buffer takes no input
    case = Case(seed, inputs, [LayerCase(type_name, args, names)])
    if type_name in INTEGER_INPUTS:
        case.int_inputs = INTEGER_INPUTS[type_name](shapes)
    if rng.random() >= stack_share:
        return case
    produced = list(names)
    for i in range(1, rng.randint(2, 6)):
        try:
            _, outcomes = shapecli_outcomes(case, convention)
        except Crash:
            break
        if len(outcomes) < i or outcomes[-1].refused:
            break
        shape = tuple(outcomes[-1].outputs[0])
        if any(isinstance(d, Expr) or not isinstance(d, int) for d in shape):
            break
        options = [t for t in sorted(generators) if t not in INTEGER_INPUTS]
        rng.shuffle(options)
        for type_name in options:
            try:
                drawn = generators[type_name](rng, shape)
            except Unfit:
                continue
            if drawn is None:
                continue
            sources = [f"l{i - 1}"]
            if len(drawn[1]) > 1:
                sources += [rng.choice([*produced, f"l{i - 1}"]) for _ in drawn[1][1:]]
            case.layers.append(LayerCase(type_name, drawn[0], sources))
            break
        produced.append(f"l{i - 1}")
    return case


# -- running many ---------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts of a run and its findings grouped by class (the smallest case of each first)."""

    cases: int = 0
    refused: int = 0
    stacks: int = 0
    layers: int = 0
    classes: dict = field(default_factory=dict)

    def add(self, findings: list[Finding]) -> None:
        for f in findings:
            self.classes.setdefault(f.key, []).append(f)

    def lines(self, convention: str) -> list[str]:
        out = [
            f"{self.cases} cases ({self.stacks} stacks, {self.layers} layers), "
            f"{self.refused} refused by the framework; {len(self.classes)} discrepancy classes"
        ]
        for key, findings in sorted(self.classes.items(), key=lambda kv: -len(kv[1])):
            smallest = min(findings, key=lambda f: len(spec_text(f.case)))
            out.append(f"--- {len(findings)} × {' | '.join(key)}")
            out.append(smallest.report(convention))
        return out
