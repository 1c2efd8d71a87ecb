"""The spec loader: names, scopes, blocks, repeat, share, and located errors."""

from __future__ import annotations

import textwrap

import pytest

from shapecli.errors import Loc, SpecError
from shapecli.spec import NodeOutput, load_model


def load(text: str, convention: str = "torch"):
    return load_model(textwrap.dedent(text), "spec.yaml", convention)


def paths(model) -> list[str]:
    return [node.path for node in model.nodes]


def test_minimal_spec_gets_auto_names_and_one_input():
    model = load("""
        layers:
          - {type: Dense, units: 256, activation: relu}
          - {type: Linear, units: 10}
          - {type: ReLU}
          - {type: dropout}
    """)
    assert paths(model) == ["dense0", "dense1", "relu0", "dropout0"]
    assert [n.type_label for n in model.nodes] == ["Dense", "Linear", "ReLU", "Dropout"]
    assert list(model.inputs) == ["x"] and model.inputs["x"].shape is None
    assert model.nodes[0].sources == ["x"]
    assert model.nodes[1].sources == [NodeOutput(0)]
    assert model.outputs == {"dropout0": NodeOutput(3)}
    assert model.nodes[0].loc == Loc(3, 5)


def test_auto_names_skip_explicit_names():
    model = load("""
        layers:
          - {type: Dense, units: 4, name: dense0}
          - {type: Dense, units: 4}
    """)
    assert paths(model) == ["dense0", "dense1"]


def test_auto_names_skip_names_given_further_down_and_the_inputs_names():
    model = load("""
        inputs: {dense1: [2, 4]}
        layers:
          - {type: Dense, units: 4}
          - {type: Dense, units: 4}
          - {type: Dense, units: 4, name: dense2}
          - {type: Dense, units: 4}
    """)
    assert paths(model) == ["dense0", "dense3", "dense2", "dense4"]


def test_forward_references_are_ordered_topologically():
    model = load("""
        inputs: {a: [2, 3]}
        layers:
          - {name: sum, type: Add, from: [left, right]}
          - {name: left, type: Dense, units: 3, from: a}
          - {name: right, type: Dense, units: 3, from: a}
        outputs: [sum]
    """)
    assert paths(model) == ["left", "right", "sum"]
    assert model.nodes[2].sources == [NodeOutput(0), NodeOutput(1)]


def test_blocks_repeat_and_substitution():
    model = load("""
        blocks:
          Pair:
            params: {width: int, act: {type: str, default: relu}}
            layers:
              - {name: fc, type: Dense, units: $width, activation: $act}
              - {name: out, type: Dense, units: $width}
        layers:
          - {name: stage, type: Pair, width: 16, repeat: 2}
          - {name: head, type: Dense, units: 3, from: stage.0}
    """)
    assert paths(model) == ["stage.0/fc", "stage.0/out", "stage.1/fc", "stage.1/out", "head"]
    assert model.nodes[0].cfg.units == 16 and model.nodes[0].cfg.activation == "relu"
    assert model.nodes[2].sources == [NodeOutput(1)]
    assert model.nodes[4].sources == [NodeOutput(1)]
    assert [use.path for use in model.nodes[3].uses] == ["stage.1"]


def test_nested_blocks_and_named_inputs():
    model = load("""
        blocks:
          Inner:
            params: {n: int}
            layers: [{type: Dense, units: $n}]
          Outer:
            params: {n: int}
            inputs: [a, b]
            layers:
              - {name: sum, type: Add, from: [a, b]}
              - {name: deep, type: Inner, n: $n}
        inputs: {p: [2, 4], q: [2, 4]}
        layers:
          - {name: o, type: Outer, n: 5, from: {b: q, a: p}}
    """)
    assert paths(model) == ["o/sum", "o/deep/dense0"]
    assert model.nodes[0].sources == ["p", "q"]
    assert model.nodes[1].cfg.units == 5


def test_repeated_layer_copies_are_chained():
    model = load("""
        layers:
          - {name: fc, type: Dense, units: 8, repeat: 3}
    """)
    assert paths(model) == ["fc.0", "fc.1", "fc.2"]
    assert [n.sources for n in model.nodes] == [["x"], [NodeOutput(0)], [NodeOutput(1)]]
    assert model.outputs == {"fc": NodeOutput(2)}


def test_repeat_zero_passes_the_input_through():
    model = load("""
        layers:
          - {name: a, type: ReLU}
          - {name: none, type: Dense, units: 3, repeat: 0}
          - {name: b, type: Tanh}
    """)
    assert paths(model) == ["a", "b"]
    assert model.nodes[1].sources == [NodeOutput(0)]


def test_parameter_expressions_in_blocks():
    model = load("""
        blocks:
          Wide:
            params: {planes: int, t: int}
            layers:
              - {type: Dense, units: $planes * 4}
              - {type: Dense, units: $(planes + 1) // 2, repeat: $t - 1}
              - {type: Dense, units: $planes * $t}
        layers:
          - {type: Wide, planes: 16, t: 3}
    """)
    assert [n.cfg.units for n in model.nodes] == [64, 8, 8, 48]


def test_share_reuses_type_and_arguments():
    model = load("""
        inputs: {a: [2, 3], b: [2, 3]}
        layers:
          - {name: enc, type: Dense, units: 4, from: a}
          - {name: enc2, share: enc, from: b}
          - {share: enc2, from: b}
    """)
    assert paths(model) == ["enc", "enc2", "dense0"]
    assert [n.owner for n in model.nodes] == [None, 0, 0]
    assert model.nodes[2].cfg is model.nodes[0].cfg


def test_multi_output_block_outputs_are_named():
    model = load("""
        blocks:
          Two:
            layers:
              - {name: a, type: Dense, units: 2}
              - {name: b, type: Dense, units: 3}
            outputs: [a, b]
        layers:
          - {name: t, type: Two}
          - {name: c, type: Concat, from: [t/a, t/b, t]}
    """)
    assert model.nodes[2].sources == [NodeOutput(0), NodeOutput(1), NodeOutput(0)]


# spec text, line, column, message fragment
ERRORS = [
    ("- 1\n", 1, 1, "a spec must be a mapping, received [1]"),
    ("layer: []\n", 1, 1, "unknown top-level key 'layer'"),
    ("inputs: {x: [1]}\n", 1, 1, "the spec has no 'layers:'"),
    ("layers: []\n", 1, 9, "'layers:' is empty"),
    ("layers: {a: 1}\n", 1, 9, "layers must be a list, received a mapping"),
    ("layers:\n  - Dense\n", 2, 5, "a layer must be a mapping, received 'Dense'"),
    ("layers:\n  - {units: 3}\n", 2, 5, "the layer has no 'type'"),
    ("layers:\n  - {type: Dence, units: 3}\n", 2, 12, "unknown layer type 'Dence'"),
    ("layers:\n  - {type: Dense, unit: 3}\n", 2, 19, "unknown argument 'unit' for Dense"),
    ("layers:\n  - {type: Dense, units: 3, units: 4}\n", 2, 29, "duplicate key 'units'"),
    ("layers:\n  - {type: Dense, units: -3}\n", 2, 26, "units: expected an integer ≥ 1, received -3"),
    ("layers:\n  - {type: Dense}\n", 2, 5, "Dense needs the argument 'units or out_features'"),
    ("layers:\n  - {type: Dense, units: 3, from: y}\n", 2, 35, "unknown name 'y'"),
    ("layers:\n  - {type: Dense, units: 3, from: [x, 3]}\n", 2, 39, "from must be a name, received 3"),
    ("layers:\n  - {name: a, type: ReLU}\n  - {name: a, type: ReLU}\n", 3, 12, "the name 'a' is already used (line 2)"),
    ("layers:\n  - {name: x, type: ReLU}\n", 2, 12, "the name 'x' is already used"),
    ("layers:\n  - {name: a.b, type: ReLU}\n", 2, 12, "layer name 'a.b' is not a valid name"),
    (
        "layers:\n  - {name: a, type: ReLU, from: b}\n  - {name: b, type: ReLU, from: a}\n",
        2,
        5,
        "the layers form a cycle: a → b → a",
    ),
    ("layers:\n  - {name: a, type: Add, from: [x, a]}\n", 2, 5, "the layers form a cycle: a → a"),
    ("layers:\n  - {type: Add}\n", 2, 5, "Add takes at least 2 inputs, receives 1"),
    ("layers:\n  - {type: ReLU, from: [x, x]}\n", 2, 24, "ReLU takes 1 input, receives 2"),
    (
        "inputs: {a: [1], b: [1]}\nlayers:\n  - {type: ReLU}\n",
        3,
        5,
        "the first layer needs 'from': there are several inputs (a, b)",
    ),
    (
        "inputs: {a: [1, -2]}\nlayers: [{type: ReLU}]\n",
        1,
        17,
        "a dimension must be an integer ≥ 0, a name or null, received -2",
    ),
    ("inputs: {a: [1, 2.5]}\nlayers: [{type: ReLU}]\n", 1, 17, "received 2.5"),
    ("inputs: {a: 3}\nlayers: [{type: ReLU}]\n", 1, 13, "an input shape must be a list, received 3"),
    ("inputs: {}\nlayers: [{type: ReLU}]\n", 1, 9, "'inputs:' is empty"),
    ("layers: [{type: ReLU}]\noutputs: [nope]\n", 2, 11, "unknown name 'nope'"),
    ("layers:\n  - {type: Dense, units: $w}\n", 2, 26, "'$w' is used outside a block"),
    ("layers:\n  - {type: ReLU, repeat: -1}\n", 2, 26, "repeat: expected an integer in [0, 1000000], received -1"),
    ("layers:\n  - {type: Add, from: [x, x], repeat: 2}\n", 2, 31, "a repeated layer must have a single input"),
    ("layers:\n  - {name: a, type: ReLU}\n  - {share: a, units: 3}\n", 3, 16, "unknown key for a shared layer 'units'"),
    (
        "layers:\n  - {share: b}\n  - {name: b, type: ReLU}\n",
        2,
        13,
        "share must name a layer defined above it; 'b' is not one",
    ),
    ("layers:\n  - {share: zz}\n", 2, 13, "unknown name 'zz'"),
    ("layers:\n  - {share: x}\n", 2, 13, "share must name a layer defined above it; 'x' is not one"),
]

BLOCK = "blocks:\n  B:\n    params: {w: int}\n    layers:\n      - {type: Dense, units: $w}\n"
BLOCK_ERRORS = [
    (BLOCK + "layers:\n  - {type: B}\n", 7, 5, "block B needs the parameter 'w'"),
    (BLOCK + "layers:\n  - {type: B, w: 2, v: 3}\n", 7, 21, "unknown parameter 'v' for block B"),
    (BLOCK + "layers:\n  - {type: B, w: two}\n", 7, 18, "w: expected an integer, received 'two'"),
    (BLOCK + "layers:\n  - {type: B, w: 0}\n", 7, 18, "units: expected an integer ≥ 1, received 0"),
    (BLOCK.replace("$w", "$ww") + "layers:\n  - {type: B, w: 1}\n", 5, 30, "unknown block parameter '$ww'"),
    (BLOCK.replace("$w", "$w * 2 +") + "layers:\n  - {type: B, w: 1}\n", 5, 30, "'$w * 2 +': expected more at the end"),
    (BLOCK.replace("$w", "$w / 0") + "layers:\n  - {type: B, w: 1}\n", 5, 30, "'$w / 0' divides by zero"),
    (
        BLOCK.replace("$w", "$w / 2") + "layers:\n  - {type: B, w: 3}\n",
        5,
        30,
        "units: expected an integer, received 1.5",
    ),
    ("blocks:\n  A:\n    layers: [{type: A}]\nlayers:\n  - {type: A}\n", 3, 21, "block 'A' uses itself (A → A)"),
    (
        "blocks:\n  A:\n    layers: [{type: C}]\n  C:\n    layers: [{type: A}]\nlayers:\n  - {type: A}\n",
        5,
        21,
        "block 'A' uses itself (A → C → A)",
    ),
    (
        "blocks:\n  Dense:\n    layers: [{type: ReLU}]\nlayers: [{type: ReLU}]\n",
        2,
        3,
        "block name 'Dense' is already a layer type",
    ),
    ("blocks:\n  A:\n    layer: []\nlayers: [{type: ReLU}]\n", 3, 5, "unknown block key 'layer'"),
    (
        "blocks:\n  A:\n    params: {n: integer}\n    layers: [{type: ReLU}]\nlayers: [{type: A}]\n",
        3,
        17,
        "parameter 'n' has type 'integer'",
    ),
    (
        "blocks:\n  A:\n    inputs: [a, b]\n    layers: [{type: Add, from: [a, b]}]\nlayers:\n  - {type: A}\n",
        6,
        5,
        "block A takes 2 input(s) (a, b), receives 1",
    ),
    (
        "blocks:\n  A:\n    inputs: [a, b]\n    layers: [{type: Add, from: [a, b]}]\n"
        "layers:\n  - {type: A, from: {a: x}}\n",
        6,
        21,
        "'from' misses the block input(s) b",
    ),
    ("blocks:\n  A:\n    layers: [{type: ReLU, from: y}]\nlayers:\n  - {type: A}\n", 3, 33, "unknown name 'y'"),
]


@pytest.mark.parametrize("text, line, column, message", ERRORS + BLOCK_ERRORS)
def test_spec_errors_are_located(text, line, column, message):
    with pytest.raises(SpecError) as caught:
        load_model(text, "spec.yaml")
    error = caught.value
    assert message in error.message
    assert error.file == "spec.yaml"
    assert error.loc == Loc(line, column)


@pytest.mark.parametrize(
    "text, hint",
    [
        ("layers:\n  - {type: Dence, units: 3}\n", "did you mean 'Dense'?"),
        ("layers:\n  - {type: Dense, units: 3, from: zzz}\n", "names here: x, dense0"),
        ("inputs: {query: [1]}\nlayers:\n  - {type: ReLU, from: qurey}\n", "did you mean 'query'?"),
        ("layer: []\n", "did you mean 'layers'?"),
    ],
)
def test_spec_error_hints(text, hint):
    with pytest.raises(SpecError) as caught:
        load_model(text, "spec.yaml")
    assert caught.value.hint == hint


def test_error_inside_a_block_notes_the_use():
    with pytest.raises(SpecError) as caught:
        load_model(BLOCK + "layers:\n  - {name: s, type: B, w: 0, repeat: 2}\n", "spec.yaml")
    assert caught.value.notes == ["in 's.0', a use of block B at line 7"]


def test_equal_lines_reading_parameters_take_each_use_s_values():
    """Entries on equal lines are checked once (`Builder.lines`), but a line with `$` values is
    substituted in each scope."""
    spec = (
        "blocks:\n"
        "  Pair:\n"
        "    params: {w: int}\n"
        "    layers:\n"
        "      - {type: Dense, units: $w}\n"
        "      - {type: Dense, units: $w}\n"
        "      - {type: Dense, units: $w}\n"
        "layers:\n"
        "  - {type: Pair, w: 3}\n"
        "  - {type: Pair, w: 5}\n"
        "  - {type: Pair, w: 3}\n"
    )
    model = load_model(spec, "spec.yaml")
    assert [node.cfg.units for node in model.nodes] == [3, 3, 3, 5, 5, 5, 3, 3, 3]


@pytest.mark.parametrize(
    "line, message",
    [
        ("  - {type: Dense, units: 4, if: maybe}\n", "'$maybe' is used outside a block"),
        ("  - {type: Dense, units: 4, name: a.b}\n", "layer name"),
        ("  - {type: Dense, units: 4, unit: 4}\n", "unknown argument 'unit' for Dense"),
        ("  - {type: Dense}\n", "Dense needs the argument 'units or out_features'"),
    ],
)
def test_each_of_equal_lines_reports_its_own_error_at_its_own_line(line, message):
    with pytest.raises(SpecError) as error:
        load_model("layers:\n" + line * 4, "spec.yaml")
    errors = getattr(error.value, "errors", [error.value])
    assert [e.loc.line for e in errors] == [2, 3, 4, 5]
    assert all(message in e.message for e in errors), [e.message for e in errors]
