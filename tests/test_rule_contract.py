"""Every layer type's rules keep the contract the propagation relies on, whatever the inputs.

For each registered type, on every configuration of the reference records and of test_layers'
rows: `build` and `params` on inputs of unknown rank (ANY_SHAPE, as before inference) never fail;
`output_shape` on inputs whose sizes are all unknown (dims.UNKNOWN) or symbols, of every rank
0-5, and on the example's inputs with one size unknown or a symbol, either refuses with the
project's own ShapeError/SpecError or gives a list of one shape per name of `output_names`;
then `build` never refuses, and `params` and `macs` on the same inputs do not fail either, each
parameter with the `trainable`/`buffer` flags it has before inference. A TypeError, IndexError …
there would be an internal error (exit 3).
"""

from __future__ import annotations

import inspect
import json
from collections import defaultdict
from pathlib import Path

import pytest

from shapecli.conditions import collecting
from shapecli.dims import ANY_SHAPE, UNKNOWN, Expr
from shapecli.errors import Loc, ShapeError, SpecError
from shapecli.registry import LAYER_TYPES, lookup, make_config

from .test_layers import CASES

REFERENCE = Path(__file__).parent / "reference"
B = Expr.symbol("B")


def _examples() -> dict[str, list[tuple[str, dict, list]]]:
    """type name → [(convention, arguments, input shapes)], each case once."""
    found: dict[str, dict[str, tuple]] = defaultdict(dict)
    for convention in ("torch", "keras"):
        for record in json.loads((REFERENCE / f"{convention}.json").read_text())["records"]:
            example = (convention, record["args"], [tuple(s) for s in record["inputs"]])
            found[lookup(record["type"]).type_name][json.dumps(example, sort_keys=True)] = example
    for type_name, args, ins, _, by_convention, _ in CASES:
        for convention in by_convention:
            example = (convention, args, ins)
            found[lookup(type_name).type_name][json.dumps(example, sort_keys=True, default=str)] = example
    return {name: list(examples.values()) for name, examples in found.items()}


EXAMPLES = _examples()


def _config(layer, convention: str, args: dict):
    """The validated configuration, or None for a row that shows a refused one."""
    try:
        return make_config(layer, args, convention, lambda key, value=True: Loc(1, 1))
    except SpecError:
        return None


def _unknown_inputs(shapes: list):
    """(label, inputs): inputs of every rank 0-5 whose sizes are unknown, or symbols; then
    `shapes` with one size unknown, or a symbol."""
    for rank in range(6):
        yield f"unknown rank {rank}", [(UNKNOWN,) * rank] * len(shapes)
        yield f"symbolic rank {rank}", [(B,) * rank] * len(shapes)
    for i, shape in enumerate(shapes):
        for axis in range(len(shape)):
            for size in (UNKNOWN, B, 2 * B + 1):
                changed = (*shape[:axis], size, *shape[axis + 1 :])
                yield f"{shapes} with {size} at {i}:{axis}", [changed if j == i else s for j, s in enumerate(shapes)]


SIGNATURES = {
    "output_names": ["cfg"],
    "output_shape": ["cfg", "ins"],
    "build": ["cfg", "ins"],
    "params": ["cfg", "ins"],
    "macs": ["cfg", "ins", "outs"],
    "check_args": ["cfg"],
    "index_inputs": ["cfg", "ranks"],
    "index_outputs": ["cfg"],
}
"""Each rule → its parameters, called on the class: `Layer.rule(cfg, ins)`."""


def test_every_rule_is_called_on_the_class_with_the_same_parameters():
    wrong = []
    for layer in LAYER_TYPES:
        for rule, parameters in SIGNATURES.items():
            defined = next(vars(k)[rule] for k in layer.__mro__ if rule in vars(k))
            if not isinstance(defined, staticmethod | classmethod):
                wrong.append(f"{layer.type_name}.{rule}: neither a static nor a class method")
            elif list(inspect.signature(getattr(layer, rule)).parameters) != parameters:
                wrong.append(f"{layer.type_name}.{rule}{inspect.signature(getattr(layer, rule))}")
    assert wrong == []


def test_every_layer_type_has_an_example():
    assert sorted(cls.type_name for cls in LAYER_TYPES if cls.type_name not in EXAMPLES) == []


@pytest.mark.parametrize("type_name", sorted(cls.type_name for cls in LAYER_TYPES))
def test_rules_on_unknown_inputs_refuse_or_answer_never_crash(type_name):
    layer = lookup(type_name)
    checked = 0
    for convention, args, shapes in EXAMPLES.get(type_name, []):
        cfg = _config(layer, convention, args)
        if cfg is None:
            continue
        high = layer.max_inputs if layer.max_inputs is not None else layer.min_inputs + 2
        for arity in sorted({len(shapes), *range(layer.min_inputs, high + 1)}):
            unknown = [ANY_SHAPE] * arity
            layer.params(layer.build(cfg, unknown), unknown)  # before inference: never refuses
        for label, ins in _unknown_inputs(shapes):
            where = f"{convention} {args} on {label}"
            checked += 1
            with collecting("test"):
                try:
                    outs = layer.output_shape(cfg, ins)
                except (ShapeError, SpecError):
                    continue
                names = layer.output_names(cfg)
                assert isinstance(outs, list), f"{where}: output_shape gives {outs!r}, not a list"
                assert len(outs) == len(names), f"{where}: {len(outs)} outputs for the names {names}"
                assert all(isinstance(shape, tuple) for shape in outs), f"{where}: {outs!r}"
                built = layer.build(cfg, ins)  # never refuses inputs output_shape accepted
                try:
                    params = layer.params(built, ins)
                    layer.macs(built, ins, outs)
                except (ShapeError, SpecError):
                    continue
                unknown = [ANY_SHAPE] * len(ins)
                before = {p.name: (p.trainable, p.buffer) for p in layer.params(layer.build(cfg, unknown), unknown)}
                for p in params:  # a parameter's flags depend on the configuration only (infer counts on it)
                    assert before.get(p.name, (p.trainable, p.buffer)) == (p.trainable, p.buffer), f"{where}: {p.name}"
    assert checked > 0, f"{type_name}: no example configuration to check"
