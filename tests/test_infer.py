"""Propagation: the deferred-initialization walkthrough, sharing, blocks, input binding."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapecli.dims import UNKNOWN, Expr
from shapecli.errors import InputError, Loc

from .helpers import run_spec, shapes

CONFIGS = Path(__file__).parent.parent / "configs"
MLP = (CONFIGS / "mlp.yaml").read_text()


@pytest.mark.parametrize(
    "convention, before, after",
    [
        (
            "torch",
            {
                "dense0.weight": (256, UNKNOWN),
                "dense0.bias": (256,),
                "dense1.weight": (10, UNKNOWN),
                "dense1.bias": (10,),
            },
            {"dense0.weight": [256, 20], "dense0.bias": [256], "dense1.weight": [10, 256], "dense1.bias": [10]},
        ),
        (
            "mxnet",
            {
                "dense0_weight": (256, UNKNOWN),
                "dense0_bias": (256,),
                "dense1_weight": (10, UNKNOWN),
                "dense1_bias": (10,),
            },
            {"dense0_weight": [256, 20], "dense0_bias": [256], "dense1_weight": [10, 256], "dense1_bias": [10]},
        ),
        (
            "keras",
            {
                "dense0/kernel": (UNKNOWN, 256),
                "dense0/bias": (256,),
                "dense1/kernel": (UNKNOWN, 10),
                "dense1/bias": (10,),
            },
            {"dense0/kernel": [20, 256], "dense0/bias": [256], "dense1/kernel": [256, 10], "dense1/bias": [10]},
        ),
    ],
)
def test_deferred_mlp(convention, before, after):
    trace = run_spec(MLP, "2x20", convention=convention)
    params = [p for layer in trace.layers for p in layer.params]
    assert {p.name: p.before for p in params} == before
    assert shapes(params) == after
    assert [layer.before_status for layer in trace.layers] == ["deferred", "deferred"]
    assert [layer.output_shape for layer in trace.layers] == [(2, 256), (2, 10)]
    assert trace.totals.params == 7946 and trace.totals.trainable == 7946 and trace.totals.non_trainable == 0
    assert trace.totals.bytes == 7946 * 4
    assert trace.outputs == {"dense1": (2, 10)}
    assert not trace.errors


def test_immediate_initialization_of_a_declared_layer():
    trace = run_spec((CONFIGS / "mlp_immediate.yaml").read_text(), "2x20")
    first, second = trace.layers
    assert first.before_status == "initialized"
    assert [p.before for p in first.params] == [(256, 20), (256,)]
    assert second.before_status == "deferred"
    assert second.params[0].before == (10, UNKNOWN)
    assert trace.totals.params == 7946


def test_declared_size_that_does_not_fit_is_a_located_mismatch():
    trace = run_spec((CONFIGS / "mlp_mismatch.yaml").read_text(), "2x20")
    (error,) = trace.errors
    assert error.kind == "shape_mismatch"
    assert error.message == "Dense 'dense0' declares in_units=30 but receives (2, 20)"
    assert error.loc == Loc(4, 5)
    assert error.path == "dense0"
    assert error.expected == (2, 30) and error.received == (2, 20)
    assert [layer.state for layer in trace.layers] == ["error", "skipped"]
    assert trace.totals.params is UNKNOWN


def test_siamese_counts_the_shared_encoder_once():
    trace = run_spec((CONFIGS / "siamese.yaml").read_text(), "query=2x20", "doc=2x20")
    assert trace.totals.params == 2945
    enc_d = trace.layers[1]
    assert enc_d.before_status == "shared"
    assert [(p.name, p.count, p.shared_with) for p in enc_d.params] == [
        ("enc_d.weight", 0, "enc_q.weight"),
        ("enc_d.bias", 0, "enc_q.bias"),
    ]
    assert trace.layers[2].output_shape == (2, 256)
    assert trace.outputs == {"score": (2, 1)}


def test_siamese_with_symbolic_batch_and_unknown_features():
    trace = run_spec((CONFIGS / "siamese.yaml").read_text())
    batch = Expr.symbol("batch")
    assert trace.inputs == {"query": (batch, UNKNOWN), "doc": (batch, UNKNOWN)}
    assert trace.outputs == {"score": (batch, 1)}
    assert trace.layers[0].params[0].after == (128, UNKNOWN)
    assert trace.totals.params is UNKNOWN
    assert not trace.errors


def test_shared_layer_whose_inputs_disagree_is_a_mismatch():
    trace = run_spec((CONFIGS / "siamese.yaml").read_text(), "query=2x20", "doc=2x30")
    (error,) = trace.errors
    assert error.message == (
        "Dense 'enc_d' shares the parameters of 'enc_q', whose enc_q.weight is (128, 20), but its input needs (128, 30)"
    )
    assert error.loc == Loc(7, 5)


def test_shared_parameter_shapes_are_fixed_by_a_later_use():
    trace = run_spec(
        """
        inputs: {a: [2, null], b: [2, 7]}
        layers:
          - {name: enc, type: Dense, units: 3, from: a}
          - {name: enc2, share: enc, from: b}
        """
    )
    assert trace.layers[0].params[0].after == (3, 7)
    assert trace.totals.params == 24


def test_residual_blocks_infer_every_shape():
    trace = run_spec((CONFIGS / "residual_mlp.yaml").read_text(), "2x64")
    assert trace.totals.params == 25610
    assert all(layer.output_shape is not None for layer in trace.layers)
    assert [layer.path for layer in trace.layers][:3] == ["stage1.0/fc1", "stage1.0/fc2", "stage1.0/add"]
    assert trace.layers[0].params[0].name == "stage1.0.fc1.weight"
    symbolic = run_spec((CONFIGS / "residual_mlp.yaml").read_text())
    assert symbolic.totals.params == 25610
    assert symbolic.outputs == {"head": (Expr.symbol("batch"), 10)}


def test_an_error_does_not_cascade_and_independent_branches_are_still_checked():
    trace = run_spec(
        """
        inputs: {a: [2, 4], b: [2, 4]}
        layers:
          - {name: bad, type: Dense, units: 3, in_units: 5, from: a}
          - {name: after_bad, type: ReLU}
          - {name: bad2, type: Concat, axis: 0, from: [b, b3]}
          - {name: b3, type: Dense, units: 3, from: b}
        outputs: [after_bad, bad2]
        """,
        "a=2x4",
        "b=2x4",
    )
    assert [e.path for e in trace.errors] == ["bad", "bad2"]
    assert {layer.path: layer.state for layer in trace.layers} == {
        "bad": "error",
        "after_bad": "skipped",
        "b3": "ok",
        "bad2": "error",
    }


@pytest.mark.parametrize(
    "spec, inputs, message",
    [
        ("layers: [{type: ReLU}]\n", [], "no shape for the input 'x': give one with --input"),
        (
            "inputs: {a: [1], b: [1]}\nlayers: [{type: Add, from: [a, b]}]\n",
            ["3"],
            "the spec has inputs a, b: name each one",
        ),
        ("inputs: {a: [1]}\nlayers: [{type: ReLU}]\n", ["c=3"], "--input names 'c', but the spec's inputs are a"),
        ("inputs: {a: [1]}\nlayers: [{type: ReLU}]\n", ["a=3", "a=3"], "--input gives 'a' twice"),
    ],
)
def test_unusable_inputs(spec, inputs, message):
    with pytest.raises(InputError) as caught:
        run_spec(spec, *inputs)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "inputs, message",
    [
        (["a=2x5"], "input 'a' is declared (batch, 4) but --input gives (2, 5) (axis 1)"),
        (["a=2x4x1"], "input 'a' is declared (batch, 4) but --input gives (2, 4, 1)"),
        (["a=2x4", "b=3x4"], "batch is 2 for input 'a' but 3 for input 'b'"),
    ],
)
def test_inputs_that_do_not_fit_their_declaration(inputs, message):
    spec = "inputs: {a: [batch, 4], b: [batch, 4]}\nlayers: [{type: Add, from: [a, b]}]\n"
    trace = run_spec(spec, *inputs) if len(inputs) == 2 else run_spec(spec, *inputs, "b=2x4")
    assert trace.errors[0].kind == "input_mismatch"
    assert trace.errors[0].message == message


def test_given_inputs_refine_declared_unknowns():
    trace = run_spec("inputs: {a: [batch, null]}\nlayers: [{type: ReLU}]\n", "a=2x?")
    assert trace.inputs == {"a": (2, UNKNOWN)}


def test_parameters_that_exist_only_after_inference():
    # attention with kdim/vdim unlike the query's size has q/k/v_proj_weight instead of the
    # packed in_proj_weight; before inference the query's size is unknown, the declared
    # kdim and vdim are known
    trace = run_spec(
        "inputs: {q: [5, 2, 8], k: [7, 2, 5], v: [7, 2, 6]}\n"
        "layers: [{name: att, type: MultiheadAttention, from: [q, k, v], num_heads: 2, kdim: 5, vdim: 6}]\n"
    )
    assert trace.errors == []
    assert [(p.local, p.before, p.after) for p in trace.layers[0].params][:3] == [
        ("q_proj_weight", (UNKNOWN, UNKNOWN), (8, 8)),
        ("k_proj_weight", (UNKNOWN, 5), (8, 5)),
        ("v_proj_weight", (UNKNOWN, 6), (8, 6)),
    ]


DENSE = "  - {type: Dense, units: 4}\n"


@pytest.mark.parametrize(
    "spec, inputs, groups",
    [
        pytest.param("layers:\n" + DENSE * 3, ["2x4"], "aaa", id="a chain of layers alike"),
        pytest.param(
            "layers:\n  - {type: Dense, units: 8}\n" + DENSE * 2, ["2x4"], "abc", id="other input or output sizes"
        ),
        pytest.param(
            "layers:\n" + DENSE + "  - {type: Linear, units: 4}\n" + DENSE,
            ["2x4"],
            "aba",
            id="the type spelled otherwise",
        ),
        pytest.param(
            "layers:\n" + DENSE + '  - {type: Dense, units: 4, weight_init: "constant(0.125)"}\n' + DENSE,
            ["2x4"],
            "aba",
            id="another initializer",
        ),
        pytest.param("inputs: {x: [B, 4]}\nlayers:\n" + DENSE * 2, [], "aa", id="a symbolic batch"),
        pytest.param(
            "inputs: {a: [2, 7], b: [2, 7]}\nlayers:\n"
            "  - {name: enc, type: Dense, units: 3, from: a}\n"
            "  - {name: enc2, share: enc, from: b}\n",
            [],
            "..",
            id="a layer whose parameters a later one shares, and that later one",
        ),
        pytest.param(
            "layers:\n"
            + DENSE
            + "  - {type: Dense, units: 4, if: false}\n  - {type: Dense, units: 4, expect: [2, 4]}\n",
            ["2x4"],
            "a..",
            id="a layer left out, and one with a shape contract",
        ),
    ],
)
def test_layers_inferred_alike_share_a_token(spec, inputs, groups):
    """`LayerInfo.alike`: one token for the layers that show alike but for their names (the same letter
    in `groups`), none ('.') where a renderer must look at the layer itself."""
    layers = run_spec(spec, *inputs).layers
    assert len(layers) == len(groups)
    for layer, group in zip(layers, groups):
        assert (layer.alike is None) == (group == ".")
    for a, group_a in zip(layers, groups):
        for b, group_b in zip(layers, groups):
            if group_a != "." and group_b != ".":
                assert (a.alike is b.alike) == (group_a == group_b)


def test_each_of_several_layers_alike_is_warned_of_its_input_dependent_parameter():
    trace = run_spec(
        """
        inputs: {x: [B, F]}
        layers:
          - {name: a, type: Dense, units: 4, from: x}
          - {name: b, type: Dense, units: 4, from: x}
          - {name: c, type: Dense, units: 4, from: x}
          - {type: Concat, axis: 1, from: [a, b, c]}
        """
    )
    assert trace.layers[0].alike is not None and trace.layers[0].alike is trace.layers[2].alike
    dependent = [w for w in trace.warnings if w.kind == "input_dependent_param"]
    assert [w.path for w in dependent] == ["a.weight", "b.weight", "c.weight"]
    assert "Dense 'b': weight (4, F) depends on the input size (F)" in dependent[1].message
