"""Layer rules, one table row per case: output shape, parameters per convention, MACs."""

from __future__ import annotations

import math

import pytest

from shapecli.dims import ANY_SHAPE, UNKNOWN, Expr
from shapecli.errors import Loc, ShapeError, SpecError
from shapecli.registry import LAYER_TYPES, lookup, make_config

from .helpers import run_spec, shapes

B = Expr.symbol("B")


def config(type_name: str, args: dict, convention: str = "torch"):
    layer = lookup(type_name)
    assert layer is not None, type_name
    return layer, make_config(layer, args, convention, lambda key, value=True: Loc(1, 1))


def run_layer(type_name: str, args: dict, ins: list[tuple], convention: str = "torch"):
    """(output shape, {local name: shape}, macs) of one layer applied to `ins`; the output shape is
    the list of shapes for a layer with several outputs."""
    layer, cfg = config(type_name, args, convention)
    outs = layer.output_shape(cfg, ins)
    built = layer.build(cfg, ins)
    params = {p.name: p.shape for p in layer.params(built, ins)}
    out = outs[0] if len(layer.output_names(cfg)) == 1 else outs
    return out, params, layer.macs(built, ins, outs)


# type, arguments, input shapes, output shape, {convention: parameters}, MACs
CASES = [
    (
        "Dense",
        {"units": 256},
        [(2, 20)],
        (2, 256),
        {
            "torch": {"weight": (256, 20), "bias": (256,)},
            "mxnet": {"weight": (256, 20), "bias": (256,)},
            "keras": {"kernel": (20, 256), "bias": (256,)},
        },
        2 * 20 * 256,
    ),
    (
        "Linear",
        {"out_features": 10, "bias": False},
        [(4, 7, 3)],
        (4, 7, 10),
        {"torch": {"weight": (10, 3)}, "keras": {"kernel": (3, 10)}},
        4 * 7 * 3 * 10,
    ),
    ("Dense", {"units": 8, "in_units": 5}, [(5,)], (8,), {"torch": {"weight": (8, 5), "bias": (8,)}}, 40),
    ("Dense", {"units": 8}, [(B, 5)], (B, 8), {"torch": {"weight": (8, 5), "bias": (8,)}}, 40 * B),
    ("Dense", {"units": 8, "in_units": 5}, [(2, UNKNOWN)], (2, 8), {"torch": {"weight": (8, 5), "bias": (8,)}}, 80),
    ("Dense", {"units": 3, "activation": "relu"}, [(1, 2)], (1, 3), {"torch": {"weight": (3, 2), "bias": (3,)}}, 6),
    ("ReLU", {}, [(2, 3, 4)], (2, 3, 4), {"torch": {}}, 0),
    ("GELU", {}, [(B, 3)], (B, 3), {"torch": {}}, 0),
    ("Softmax", {"axis": 1}, [(2, 5)], (2, 5), {"torch": {}}, 0),
    ("LeakyReLU", {"alpha": 0.2}, [(2, 5)], (2, 5), {"torch": {}}, 0),
    ("Activation", {"activation": "tanh"}, [(2, 5)], (2, 5), {"keras": {}}, 0),
    ("Identity", {}, [(2, 5)], (2, 5), {"torch": {}}, 0),
    ("Dropout", {"p": 0.1}, [(2, 5)], (2, 5), {"torch": {}}, 0),
    ("Flatten", {}, [(2, 3, 4, 5)], (2, 60), {"torch": {}}, 0),
    ("Flatten", {}, [(2, 20)], (2, 20), {"torch": {}}, 0),
    ("Flatten", {"start_dim": 0}, [(2, 3, 4)], (24,), {"torch": {}}, 0),
    ("Flatten", {"start_dim": 1, "end_dim": 2}, [(2, 3, 4, 5)], (2, 12, 5), {"torch": {}}, 0),
    ("Flatten", {}, [(B, 3, 4)], (B, 12), {"torch": {}}, 0),
    ("Flatten", {}, [(7,)], (7, 1), {"keras": {}}, 0),
    ("Add", {}, [(2, 5), (2, 5)], (2, 5), {"torch": {}}, 0),
    ("Add", {}, [(2, 5), (5,)], (2, 5), {"torch": {}}, 0),
    ("Add", {}, [(2, 1, 5), (3, 1), (2, 3, 5)], (2, 3, 5), {"torch": {}}, 0),
    ("Add", {}, [(B, 5), (B, 5)], (B, 5), {"torch": {}}, 0),
    ("Add", {}, [(UNKNOWN, 5), (2, 5)], (2, 5), {"torch": {}}, 0),
    ("Multiply", {}, [(2, 5), (2, 1)], (2, 5), {"torch": {}}, 0),
    ("Concat", {"axis": -1}, [(2, 3), (2, 4)], (2, 7), {"torch": {}}, 0),
    ("Concat", {}, [(2, 3, 8, 8), (2, 5, 8, 8)], (2, 8, 8, 8), {"torch": {}}, 0),
    ("Concat", {}, [(2, 8, 8, 3), (2, 8, 8, 5)], (2, 8, 8, 8), {"keras": {}}, 0),
    ("Concat", {"dim": 0}, [(2, 3), (4, 3), (1, 3)], (7, 3), {"torch": {}}, 0),
    ("Concat", {"axis": 1}, [(B, 3), (B, UNKNOWN)], (B, UNKNOWN), {"torch": {}}, 0),
    ("Concat", {"axis": 0}, [(B, 3), (B, 3)], (2 * B, 3), {"torch": {}}, 0),
    (
        "PositionalEmbedding",
        {"sequence_length": 16},
        [(2, 10, 8)],
        (2, 10, 8),
        {"torch": {"weight": (16, 8)}, "keras": {"embeddings": (16, 8)}},
        0,
    ),
    ("ClassToken", {}, [(2, 196, 768)], (2, 197, 768), {"torch": {"class_token": (1, 1, 768)}}, 0),
    (
        "Conv2d",
        {"filters": 8, "kernel_size": 3, "stride": 2, "padding": 1},
        [(B, 3, 32, 32)],
        (B, 8, 16, 16),
        {"torch": {"weight": (8, 3, 3, 3), "bias": (8,)}},
        8 * 16 * 16 * 27 * B,
    ),
    (
        "Conv2d",
        {"filters": 8, "kernel_size": 3, "in_channels": 3},
        [(2, 3, 5, 5)],
        (2, 8, 3, 3),
        {"mxnet": {"weight": (8, 3, 3, 3), "bias": (8,)}},
        2 * 8 * 9 * 27,
    ),
    (
        "LSTM",
        {"units": 4, "return_state": True},
        [(2, 7, 5)],
        [(2, 4), (2, 4), (2, 4)],
        {"keras": {"lstm_cell.kernel": (5, 16), "lstm_cell.recurrent_kernel": (4, 16), "lstm_cell.bias": (16,)}},
        2 * 7 * 16 * 9,
    ),
    ("Slice", {"axis": 1, "start": 1}, [(2, B)], (2, B - 1), {"torch": {}}, 0),
    ("MatMul", {}, [(B, 4, 5), (5, 6)], (B, 4, 6), {"torch": {}}, 120 * B),
]


@pytest.mark.parametrize("type_name, args, ins, out, params_by_convention, macs", CASES)
def test_layer_rules(type_name, args, ins, out, params_by_convention, macs):
    for convention, params in params_by_convention.items():
        got_out, got_params, got_macs = run_layer(type_name, args, ins, convention)
        assert got_out == out, convention
        assert got_params == params, convention
        assert got_macs == macs, convention


# type, arguments, input shapes, message fragment
SHAPE_ERRORS = [
    ("Dense", {"units": 4, "in_units": 30}, [(2, 20)], "declares in_units=30 but receives (2, 20)"),
    ("Dense", {"units": 4}, [()], "expects an input of rank ≥ 1, receives ()"),
    ("Softmax", {"axis": 2}, [(2, 5)], "has axis 2, out of range for a rank-2 input"),
    ("Flatten", {}, [(5,)], "has axis 1, out of range for a rank-1 input"),
    ("Flatten", {"start_dim": 2, "end_dim": 1}, [(2, 3, 4)], "has start_dim 2 after end_dim 1"),
    ("Add", {}, [(2, 5), (2, 6)], "cannot broadcast (2, 5) and (2, 6): axis 1 has 5 vs 6"),
    ("Multiply", {}, [(2, 3, 5), (4, 5)], "cannot broadcast (2, 3, 5) and (4, 5): axis 1 has 3 vs 4"),
    (
        "Concat",
        {"axis": -1},
        [(2, 3), (3, 3)],
        "needs inputs that agree on every axis but 1, receives (2, 3) and (3, 3)",
    ),
    ("Concat", {"axis": -1}, [(2, 3), (2, 3, 1)], "needs inputs of equal rank, receives (2, 3) and (2, 3, 1)"),
    ("Concat", {"axis": 3}, [(2, 3), (2, 3)], "has axis 3, out of range for a rank-2 input"),
]


@pytest.mark.parametrize("type_name, args, ins, message", SHAPE_ERRORS)
def test_shape_errors(type_name, args, ins, message):
    with pytest.raises(ShapeError) as caught:
        run_layer(type_name, args, ins)
    assert message in caught.value.message


# type, arguments, message fragment
ARG_ERRORS = [
    ("Dense", {}, "Dense needs the argument 'units or out_features'"),
    ("Dense", {"units": 0}, "units: expected an integer ≥ 1, received 0"),
    ("Dense", {"units": 2.5}, "units: expected an integer, received 2.5"),
    ("Dense", {"units": True}, "units: expected an integer, received true"),
    ("Dense", {"units": "64"}, "units: expected an integer, received '64'"),
    ("Dense", {"unit": 4}, "unknown argument 'unit' for Dense"),
    ("Dense", {"units": 4, "out_features": 4}, "'out_features' and 'units' are the same argument; give one"),
    ("Dense", {"units": 4, "activation": "relux"}, "activation: expected one of linear, relu"),
    ("Dense", {"units": 4, "use_bias": "no"}, "use_bias: expected true or false, received 'no'"),
    ("Dropout", {"rate": 1.5}, "rate: expected a number in [0, 1], received 1.5"),
    ("Concat", {"axis": "last"}, "axis: expected an integer, received 'last'"),
    # a factor PyTorch cannot take as a double (was an OverflowError, exit 3)
    ("Upsample", {"scale_factor": 10**400}, "scale_factor: expected number > 0 (at most 2^63 - 1) or a list of them"),
    ("Upsample", {"scale_factor": [2, 2**63]}, "scale_factor: expected number > 0 (at most 2^63 - 1) or a list"),
    ("Normalization", {"mean": 10**400, "variance": 1}, "mean: expected a number or a nested list of numbers"),
]


@pytest.mark.parametrize("type_name, args, message", ARG_ERRORS)
def test_argument_errors(type_name, args, message):
    with pytest.raises(SpecError) as caught:
        config(type_name, args)
    assert message in caught.value.message


def test_unknown_argument_suggests():
    with pytest.raises(SpecError) as caught:
        config("Dense", {"unit": 4})
    assert caught.value.hint == "did you mean 'units'?"


@pytest.mark.parametrize(
    "type_name, args, convention, before",
    [
        ("Dense", {"units": 256}, "torch", {"weight": (256, UNKNOWN), "bias": (256,)}),
        ("Dense", {"units": 256}, "keras", {"kernel": (UNKNOWN, 256), "bias": (256,)}),
        ("Dense", {"units": 256, "in_units": 20}, "mxnet", {"weight": (256, 20), "bias": (256,)}),
    ],
)
def test_parameters_before_inference(type_name, args, convention, before):
    layer, cfg = config(type_name, args, convention)
    assert {p.name: p.shape for p in layer.params(layer.build(cfg, [ANY_SHAPE]), [ANY_SHAPE])} == before


def test_type_names_are_case_insensitive():
    assert lookup("dense") is lookup("Dense") is lookup("LINEAR")
    assert lookup("Conv99") is None


def test_every_layer_type_has_reference_records_or_rows():
    import json
    from pathlib import Path

    reference = Path(__file__).parent / "reference"
    covered = {
        lookup(r["type"])
        for name in ("torch", "keras")
        for r in json.loads((reference / f"{name}.json").read_text())["records"]
    }
    covered |= {lookup(case[0]) for case in CASES}
    missing = sorted(layer.type_name for layer in LAYER_TYPES if layer not in covered)
    assert missing == [], f"layer types without a test row or reference record: {missing}"


# Defects the differential fuzzers found (tools/fuzz_torch.py, tools/fuzz_keras.py); each row failed before
# its fix. Type, arguments, input shapes, convention, output shape (a list for several outputs).
FUZZ_FOUND = [
    # PyTorch multiplies in double precision: 10 * 0.7 rounds to 7.0 (the double 0.7 is below 7/10)
    ("Upsample", {"scale_factor": 0.7}, [(1, 2, 10)], "torch", (1, 2, 7)),
    ("Upsample", {"scale_factor": [0.6, 1.2]}, [(1, 2, 5, 10)], "torch", (1, 2, 3, 12)),
    ("Upsample", {"scale_factor": 1 / 3, "mode": "area"}, [(1, 2, 9)], "torch", (1, 2, 3)),
    ("Upsample", {"scale_factor": 3.3}, [(1, 2, 10, 10, 10)], "torch", (1, 2, 33, 33, 33)),
    ("Upsample", {"scale_factor": 0.7}, [(1, 2, 90)], "torch", (1, 2, 62)),
    ("Upsample", {"scale_factor": 1.5}, [(1, 2, B)], "torch", (1, 2, (3 * B) // 2)),
    ("Upsample", {"scale_factor": 0.7}, [(1, 2, B)], "torch", (1, 2, UNKNOWN)),
    # one int for every spatial axis
    ("Upsample", {"size": 5}, [(1, 2, 3, 4)], "torch", (1, 2, 5, 5)),
    ("Upsample", {"size": 5, "mode": "trilinear", "align_corners": True}, [(1, 2, 3, 4, 6)], "torch", (1, 2, 5, 5, 5)),
    ("Upsample", {"size": [6, 7], "mode": "bilinear", "align_corners": False}, [(1, 2, 3, 4)], "torch", (1, 2, 6, 7)),
]


@pytest.mark.parametrize("type_name, args, ins, convention, out", FUZZ_FOUND)
def test_fuzz_found_rules(type_name, args, ins, convention, out):
    assert run_layer(type_name, args, ins, convention)[0] == out


# Refusals the fuzzers found missing: type, arguments, input shapes, convention, the message's words
FUZZ_FOUND_REFUSALS = [
    ("Upsample", {"scale_factor": 0.1}, [(1, 2, 5)], "torch", "scale_factor 0.1 gives an output length of 0"),
    ("Upsample", {"size": [5]}, [(1, 2, 3, 4)], "torch", "gives 1 sizes for the 2 spatial axes of (1, 2, 3, 4)"),
    ("Upsample", {"size": 4, "align_corners": True}, [(1, 2, 3)], "torch", "align_corners can only be set with"),
    ("Upsample", {"size": 4, "align_corners": False, "mode": "area"}, [(1, 2, 3)], "torch", "not area"),
    ("Upsample", {"size": 4, "align_corners": "true", "mode": "linear"}, [(1, 2, 3)], "torch", "expected true or"),
    ("Upsample", {"size": 4, "mode": "bilinear"}, [(1, 2, 3)], "torch", "with mode bilinear needs a rank-4 input"),
    ("Upsample", {"size": 4, "mode": "linear"}, [(1, 2, 3, 3)], "torch", "with mode linear needs a rank-3 input"),
    ("Upsample", {"size": 4, "mode": "bicubic"}, [(1, 2, 3, 3, 3)], "torch", "with mode bicubic needs a rank-4"),
    ("Upsample", {"size": 4}, [(1, 2, 3, 3, 3, 3)], "torch", "expects an input of rank 3 to 5"),
    ("Permute", {"dims": []}, [()], "keras", "expects an input of rank ≥ 1, receives ()"),
    ("LSTM", {"units": 4, "num_layers": 10**9}, [(7, 2, 5)], "torch", "expected an integer in [1, 1024]"),
    ("MatMul", {}, [(2, 3, 4, 5), (4, 5, 6)], "torch", "the batch axes of (2, 3, 4, 5) and (4, 5, 6): axis 1 has 3"),
]


@pytest.mark.parametrize("type_name, args, ins, convention, message", FUZZ_FOUND_REFUSALS)
def test_fuzz_found_refusals(type_name, args, ins, convention, message):
    with pytest.raises((SpecError, ShapeError)) as caught:
        run_layer(type_name, args, ins, convention)
    assert message in caught.value.message


# Slice: Python's slice rules on a symbolic size, clamped at both ends; an empty result is refused.
# Arguments, sizes of the sliced axis: the symbolic length evaluated there must be the concrete one.
SLICES = [
    ({"axis": 1, "start": -3}, (1, 2, 3, 4, 7)),
    ({"axis": 1, "start": -3, "stop": -1}, (2, 3, 4, 8)),
    ({"axis": 1, "start": 0, "stop": -5}, (6, 7, 12)),
    ({"axis": 1, "start": -9, "stop": 4, "step": 2}, (4, 5, 9, 10)),
    ({"axis": 1, "start": 2, "stop": 5, "step": 3}, (3, 5, 6)),
]


@pytest.mark.parametrize("args, sizes", SLICES)
def test_symbolic_slice_agrees_with_python(args, sizes):
    length = run_layer("Slice", args, [(2, B)])[0][1]
    for n in sizes:
        assert length.evaluate({"B": n}) == run_layer("Slice", args, [(2, n)])[0][1], n


@pytest.mark.parametrize(
    "args, n",
    [({"axis": 1, "start": 3}, 2), ({"axis": 1, "start": -1, "stop": -1}, 5), ({"axis": 1, "stop": -4}, 3)],
)
def test_an_empty_slice_is_refused(args, n):
    with pytest.raises(ShapeError) as caught:
        run_layer("Slice", args, [(2, n)])
    assert f"keeps nothing of axis 1 of (2, {n})" in caught.value.message


@pytest.mark.parametrize(
    "widths, after",
    [
        ((5, 6), {"q_proj_weight": [8, 8], "k_proj_weight": [8, 5], "v_proj_weight": [8, 6]}),
        ((8, 8), {"in_proj_weight": [24, 8]}),
    ],
)
def test_attention_layout_decided_by_the_query_width(widths, after):
    # before inference the query width is unknown, so the layout (packed or not) may change: no crash
    kdim, vdim = widths
    trace = run_spec(
        f"""
        inputs: {{q: [5, 2, 8], k: [7, 2, {kdim}], v: [7, 2, {vdim}]}}
        layers:
          - {{name: att, type: MultiheadAttention, num_heads: 2, kdim: {kdim}, vdim: {vdim}, from: [q, k, v]}}
        """
    )
    assert not trace.errors
    found = shapes(trace.layers[0].params)
    assert {name.removeprefix("att."): shape for name, shape in found.items() if "proj_weight" in name} == after
    assert trace.totals.params == sum(math.prod(s) for s in found.values())


def test_matmul_batch_mismatch_points_at_the_axis_it_names():
    trace = run_spec(
        """
        inputs: {a: [2, 3, 4, 5], b: [4, 5, 6]}
        layers:
          - {name: mm, type: MatMul, from: [a, b]}
        """
    )
    (error,) = trace.errors
    assert "axis 1 has 3 vs 4" in error.message  # its index in the broadcast shape, as PyTorch names it
    assert error.axes == (1,)
    assert [(c.axis, c.expected, c.received) for c in error.conflicts] == [(1, 3, 4)]


# PyTorch's rules that the fuzzer found missing (each row failed before its fix): type, arguments, input, output
FUZZ_FOUND_TORCH = [
    ("ZeroPad2d", {"padding": 1}, [(3, 4)], (5, 6)),
    ("ConstantPad1d", {"padding": [2, 1]}, [(2, 3, 4, 5)], (2, 3, 4, 8)),
    ("ZeroPad1d", {"padding": [-1, -1]}, [(2, 3, 4)], (2, 3, 2)),
    ("ZeroPad1d", {"padding": [-2, 3]}, [(2, 3, 2)], (2, 3, 3)),
    ("ReplicationPad1d", {"padding": [-1, 2]}, [(2, 3, 4)], (2, 3, 5)),
    ("ReflectionPad1d", {"padding": [3, -1]}, [(2, 3, 4)], (2, 3, 6)),
    ("AdaptiveAvgPool2d", {"output_size": 1}, [(3, 5)], (1, 1)),
    ("AdaptiveAvgPool2d", {"output_size": 1}, [(2, 3, 4, 5, 6)], (2, 3, 4, 1, 1)),
    ("AdaptiveAvgPool3d", {"output_size": [1, 1, 1]}, [(2, 3, 4, 5, 6, 7)], (2, 3, 4, 1, 1, 1)),
    ("Dropout3d", {}, [(3,)], (3,)),
]


@pytest.mark.parametrize("type_name, args, ins, out", FUZZ_FOUND_TORCH)
def test_fuzz_found_torch_rules(type_name, args, ins, out):
    assert run_layer(type_name, args, ins)[0] == out


FUZZ_FOUND_TORCH_REFUSALS = [
    ("ZeroPad1d", {"padding": [-2, -2]}, [(2, 3, 4)], "gives an output length of 0"),
    ("ConstantPad3d", {"padding": [3, 0, 2, -2, 1, 3]}, [(2, 4, 1, 6)], "crops 2 of an axis of size 1 (padding 2/-2)"),
    ("ReflectionPad1d", {"padding": [4, -1]}, [(2, 3, 4)], "reflects padding 4/-1 on an axis of size 4"),
    ("ZeroPad3d", {"padding": 1}, [(3, 4)], "expects an input of rank ≥ 3, receives (3, 4)"),
    ("ReplicationPad2d", {"padding": 1}, [(3, 4)], "expects an input of rank 3 to 4, receives (3, 4)"),
    ("AvgPool3d", {"kernel_size": 3, "padding": 1}, [(1, 1, 2, 2, 2)], "larger than the unpadded size 2"),
    ("AvgPool3d", {"kernel_size": 2, "ceil_mode": True}, [(1, 1, 3, 3, 1)], "larger than the unpadded size 1"),
    ("AdaptiveAvgPool1d", {"output_size": [None]}, [(1, 2, 5)], "expected int ≥ 1 or [int], received [null]"),
    ("AdaptiveAvgPool2d", {"output_size": [1, 1]}, [(3, 5)], "expects an input of rank 3 to 4"),
    ("AdaptiveMaxPool2d", {"output_size": 1}, [(3, 5)], "expects an input of rank 3 to 4"),
    ("CELU", {"alpha": 0}, [(2, 3)], "alpha cannot be 0"),
    ("Hardtanh", {"min_val": 1, "max_val": 1}, [(2, 3)], "max_val (1.0) must be greater than min_val (1.0)"),
    ("Dropout2d", {}, [(3,)], "expects an input of rank ≥ 2, receives (3,)"),
    ("Dropout3d", {}, [()], "expects an input of rank ≥ 1, receives ()"),
    ("Conv1d", {"filters": 1, "kernel_size": 1, "padding": 3, "padding_mode": "reflect"}, [(1, 1, 3)], "at least 4"),
    ("Conv1d", {"filters": 1, "kernel_size": 1, "padding": 4, "padding_mode": "circular"}, [(1, 1, 3)], "at least 4"),
    ("InstanceNorm2d", {}, [(2, 3, 1, 1)], "normalizes each channel of each sample over 1 value of (2, 3, 1, 1)"),
    ("GroupNorm", {"num_groups": 3}, [(1, 3)], "normalizes each group over 1 value of (1, 3)"),
    ("BatchNorm1d", {"track_running_stats": False}, [(1, 4)], "normalizes each channel over 1 value of (1, 4)"),
]


@pytest.mark.parametrize("type_name, args, ins, message", FUZZ_FOUND_TORCH_REFUSALS)
def test_fuzz_found_torch_refusals(type_name, args, ins, message):
    with pytest.raises((SpecError, ShapeError)) as caught:
        run_layer(type_name, args, ins)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "type_name, args, ins, out",
    [
        ("InstanceNorm2d", {"track_running_stats": True}, [(2, 3, 1, 1)], (2, 3, 1, 1)),
        ("GroupNorm", {"num_groups": 3}, [(2, 3)], (2, 3)),
        ("BatchNorm1d", {}, [(1, 4)], (1, 4)),
        ("Conv1d", {"filters": 1, "kernel_size": 1, "padding": 3, "padding_mode": "circular"}, [(1, 1, 3)], (1, 1, 9)),
    ],
)
def test_statistics_and_padding_modes_that_fit(type_name, args, ins, out):
    assert run_layer(type_name, args, ins)[0] == out


# Keras' rules that the fuzzer found missing (each row failed before its fix): type, arguments, inputs, output
FUZZ_FOUND_KERAS = [
    ("Add", {}, [(3, 4), (3,)], (3, 4)),
    ("Subtract", {}, [(3, 10), (3, 4, 1)], (3, 4, 10)),
    ("Minimum", {}, [(3, 1), (3,)], (3, 1)),
    ("Average", {}, [(2, 5), (2, 5, 3, 6, 5)], (2, 5, 3, 6, 5)),
    (
        "DepthwiseConv2D",
        {"kernel_size": 4, "strides": 2, "dilation_rate": 2, "padding": "same"},
        [(2, 7, 10, 5)],
        (2, 4, 5, 5),
    ),
    ("SeparableConv1D", {"filters": 1, "kernel_size": 2, "strides": 2, "dilation_rate": 2}, [(3, 8, 5)], (3, 3, 1)),
    (
        "MultiHeadAttention",
        {"num_heads": 2, "key_dim": 4, "return_attention_scores": True},
        [(2, 3, 4, 5), (2, 6, 7, 5)],
        [(2, 3, 4, 5), (2, 2, 3, 4, 6, 7)],
    ),
]


@pytest.mark.parametrize("type_name, args, ins, out", FUZZ_FOUND_KERAS)
def test_fuzz_found_keras_rules(type_name, args, ins, out):
    assert run_layer(type_name, args, ins, "keras")[0] == out


FUZZ_FOUND_KERAS_REFUSALS = [
    ("Subtract", {}, [(1, 5, 2, 4), (2, 5, 2, 4)], "needs inputs of one batch size, receives (1, 5, 2, 4) and (2, 5"),
    (
        "Conv1DTranspose",
        {"filters": 7, "kernel_size": 2, "strides": 2, "dilation_rate": 2},
        [(1, 8, 4)],
        "Keras refuses",
    ),
    ("MultiHeadAttention", {"num_heads": 1, "key_dim": 1}, [(3, 5, 4), (2, 2, 6)], "needs query, value and key of one"),
    (
        "AveragePooling3D",
        {"pool_size": 3, "strides": 1, "padding": "same"},
        [(2, 2, 2, 4, 6)],
        "larger than the unpadded",
    ),
]


@pytest.mark.parametrize("type_name, args, ins, message", FUZZ_FOUND_KERAS_REFUSALS)
def test_fuzz_found_keras_refusals(type_name, args, ins, message):
    with pytest.raises((SpecError, ShapeError)) as caught:
        run_layer(type_name, args, ins, "keras")
    assert message in caught.value.message


# -- PyTorch's layer types and arguments of issue 12 -----------------------------------------------------------

H, W, C, N = (Expr.symbol(name) for name in "HWCN")

# type, arguments, input shapes, output shape (a list for several outputs), torch parameters, MACs
TORCH_TYPES = [
    ("PixelShuffle", {"upscale_factor": 3}, [(2, 18, 4, 5)], (2, 2, 12, 15), {}, 0),
    ("PixelShuffle", {"upscale_factor": 2}, [(5, 2, 8, H, W)], (5, 2, 2, 2 * H, 2 * W), {}, 0),
    ("PixelUnshuffle", {"downscale_factor": 2}, [(3, 4, 6)], (12, 2, 3), {}, 0),
    ("PixelUnshuffle", {"downscale_factor": 2}, [(B, 3, 2 * H, 2 * W)], (B, 12, H, W), {}, 0),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3}, [(4, 5)], (4, 3), {"weight": (10, 3)}, 0),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3}, [(N,), (B,)], (B, 3), {"weight": (10, 3)}, 0),
    (
        "EmbeddingBag",
        {"num_embeddings": 10, "embedding_dim": 3, "include_last_offset": True, "mode": "sum"},
        [(7,), (4,), (7,)],
        (3, 3),
        {"weight": (10, 3)},
        0,
    ),
    (
        "EmbeddingBag",
        {"num_embeddings": 10, "embedding_dim": 3, "mode": "sum"},
        [(4, 5), (4, 5)],
        (4, 3),
        {"weight": (10, 3)},
        0,
    ),
    (
        "RNNCell",
        {"hidden_size": 4},
        [(B, 5)],
        (B, 4),
        {"weight_ih": (4, 5), "weight_hh": (4, 4), "bias_ih": (4,), "bias_hh": (4,)},
        B * 4 * 9,
    ),
    (
        "LSTMCell",
        {"hidden_size": 4, "bias": False},
        [(3, 5), (3, 4), (3, 4)],
        [(3, 4), (3, 4)],
        {"weight_ih": (16, 5), "weight_hh": (16, 4)},
        3 * 16 * 9,
    ),
    (
        "GRUCell",
        {"hidden_size": 4},
        [(5,), (4,)],
        (4,),
        {"weight_ih": (12, 5), "weight_hh": (12, 4), "bias_ih": (12,), "bias_hh": (12,)},
        12 * 9,
    ),
    ("MaxUnpool2d", {"kernel_size": 2}, [(B, 3, H, W)] * 2, (B, 3, 2 * H, 2 * W), {}, 0),
    ("MaxUnpool1d", {"kernel_size": 3, "stride": 2, "padding": 1}, [(3, 5)] * 2, (3, 9), {}, 0),
    ("MaxUnpool2d", {"kernel_size": 2, "output_size": [1, 3, 9, 9]}, [(1, 3, 4, 4)] * 2, (1, 3, 9, 9), {}, 0),
    ("MaxUnpool3d", {"kernel_size": 2, "output_size": [5, 4, 4]}, [(2, 3, 2, 2, 2)] * 2, (2, 3, 5, 4, 4), {}, 0),
    ("Unfold", {"kernel_size": 2}, [(2, 3, 5, 6)], (2, 12, 20), {}, 0),
    ("Unfold", {"kernel_size": 3, "stride": 2, "padding": 1}, [(B, 3, H, 8)], (B, 27, ((H - 1) // 2 + 1) * 4), {}, 0),
    ("Fold", {"output_size": [5, 6], "kernel_size": 2}, [(B, 12, 20)], (B, 3, 5, 6), {}, 0),
    ("UpsamplingNearest2d", {"scale_factor": 2}, [(2, 3, H, W)], (2, 3, 2 * H, 2 * W), {}, 0),
    ("UpsamplingNearest2d", {"size": 6}, [(2, 3, 4)], (2, 3, 6), {}, 0),
    ("UpsamplingBilinear2d", {"size": [7, 9]}, [(2, 3, 4, 5)], (2, 3, 7, 9), {}, 0),
    ("CosineSimilarity", {}, [(B, 8, H), (1, 8, 1)], (B, H), {}, 0),
    ("CosineSimilarity", {"dim": -1}, [(2, 3, 4), (4,)], (2, 3), {}, 0),
    ("PairwiseDistance", {}, [(B, 8), (B, 8)], (B,), {}, 0),
    ("PairwiseDistance", {"keepdim": True}, [(2, 3, 4), (3, 1)], (2, 3, 1), {}, 0),
    (
        "SyncBatchNorm",
        {},
        [(B, 5, H)],
        (B, 5, H),
        {"weight": (5,), "bias": (5,), "running_mean": (5,), "running_var": (5,), "num_batches_tracked": ()},
        0,
    ),
    ("LPPool2d", {"norm_type": 2, "kernel_size": 3, "stride": 2}, [(2, 3, 9, 8)], (2, 3, 4, 3), {}, 0),
    ("LPPool1d", {"norm_type": 2, "kernel_size": 2, "ceil_mode": True}, [(3, H)], (3, (H + 1) // 2), {}, 0),
    # p = inf pools |x| by max_pool3d, which has no unpadded-size check (PyTorch: (1, 2, 1, 1, 1); p = 2 refuses)
    (
        "LPPool3d",
        {"norm_type": math.inf, "kernel_size": 3, "stride": 2, "ceil_mode": True},
        [(1, 2, 2, 2, 2)],
        (1, 2, 1, 1, 1),
        {},
        0,
    ),
    ("CircularPad2d", {"padding": [1, 2, 0, 3]}, [(2, 3, 4, 5)], (2, 3, 7, 8), {}, 0),
    ("CircularPad1d", {"padding": [-1, 2]}, [(3, H)], (3, H + 1), {}, 0),
    ("RReLU", {"lower": 0.1, "upper": 0.2}, [(2, 3)], (2, 3), {}, 0),
    ("Softmax2d", {}, [(3, H, W)], (3, H, W), {}, 0),
    ("StochasticDepth", {"p": 0.1, "mode": "row"}, [(B, 3, H)], (B, 3, H), {}, 0),
    ("StochasticDepth", {"p": 0.1, "mode": "batch"}, [()], (), {}, 0),
    ("MaxPool2d", {"kernel_size": 2, "return_indices": True}, [(B, 3, H, W)], [(B, 3, H // 2, W // 2)] * 2, {}, 0),
    ("AdaptiveMaxPool1d", {"output_size": 2, "return_indices": True}, [(2, 3, 9)], [(2, 3, 2)] * 2, {}, 0),
    ("AvgPool2d", {"kernel_size": 2, "divisor_override": 3}, [(2, 3, 9, 8)], (2, 3, 4, 4), {}, 0),
    (
        "Embedding",
        {"num_embeddings": 10, "embedding_dim": 4, "max_norm": 1.0},
        [(2, 3)],
        (2, 3, 4),
        {"weight": (10, 4)},
        0,
    ),
    ("ReLU", {"inplace": True}, [(2, 3)], (2, 3), {}, 0),
    ("Dropout2d", {"inplace": True, "p": 0.3}, [(2, 3, 4, 5)], (2, 3, 4, 5), {}, 0),
    ("GELU", {"approximate": "tanh"}, [(2, 3)], (2, 3), {}, 0),
    ("Softplus", {"beta": 2, "threshold": 5}, [(2, 3)], (2, 3), {}, 0),
    ("Upsample", {"scale_factor": 1.5, "recompute_scale_factor": True}, [(2, 3, 5, 7)], (2, 3, 7, 10), {}, 0),
    ("LazyLinear", {"out_features": 4}, [(3, 5)], (3, 4), {"weight": (4, 5), "bias": (4,)}, 60),
    (
        "LazyConv2d",
        {"out_channels": 4, "kernel_size": 3},
        [(1, 2, 5, 5)],
        (1, 4, 3, 3),
        {"weight": (4, 2, 3, 3), "bias": (4,)},
        4 * 9 * 18,
    ),
    (
        "LazyInstanceNorm1d",
        {},
        [(2, 3, 5)],
        (2, 3, 5),
        {"weight": (3,), "bias": (3,), "running_mean": (3,), "running_var": (3,), "num_batches_tracked": ()},
        0,
    ),
]


@pytest.mark.parametrize("type_name, args, ins, out, params, macs", TORCH_TYPES)
def test_torch_types(type_name, args, ins, out, params, macs):
    assert run_layer(type_name, args, ins) == (out, params, macs)


def _stack_names(prefix: str, layers: int, layer_names: list[str], norm: bool) -> list[str]:
    names = [f"{prefix}layers.{i}.{n}" for i in range(layers) for n in layer_names]
    return names + ([f"{prefix}norm.weight", f"{prefix}norm.bias"] if norm else [])


ENCODER_LAYER = [
    "self_attn.in_proj_weight",
    "self_attn.in_proj_bias",
    "self_attn.out_proj.weight",
    "self_attn.out_proj.bias",
    "linear1.weight",
    "linear1.bias",
    "linear2.weight",
    "linear2.bias",
    "norm1.weight",
    "norm1.bias",
    "norm2.weight",
    "norm2.bias",
]
DECODER_LAYER = ENCODER_LAYER[:4] + [n.replace("self_attn", "multihead_attn") for n in ENCODER_LAYER[:4]]
DECODER_LAYER += ENCODER_LAYER[4:] + ["norm3.weight", "norm3.bias"]


@pytest.mark.parametrize(
    "type_name, args, ins, out, names",
    [
        (
            "TransformerEncoder",
            {"nhead": 2, "num_layers": 2},
            [(5, B, 8)],
            (5, B, 8),
            _stack_names("", 2, ENCODER_LAYER, False),
        ),
        (
            "TransformerDecoder",
            {"nhead": 2, "num_layers": 3, "norm": True},
            [(5, 2, 8), (7, 2, 8)],
            (5, 2, 8),
            _stack_names("", 3, DECODER_LAYER, True),
        ),
        (
            "Transformer",
            {"nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1},
            [(5, 2, 8), (7, 2, 8)],
            (7, 2, 8),
            _stack_names("encoder.", 2, ENCODER_LAYER, True) + _stack_names("decoder.", 1, DECODER_LAYER, True),
        ),
    ],
)
def test_transformer_stacks_name_their_parameters_as_state_dict(type_name, args, ins, out, names):
    layer, cfg = config(type_name, args)
    assert layer.output_shape(cfg, ins) == [out]
    assert [p.name for p in layer.params(layer.build(cfg, ins), ins)] == names


def test_transformer_macs_are_the_layers_macs():
    encoder_layer = run_layer("TransformerEncoderLayer", {"nhead": 2}, [(5, 2, 8)])[2]
    decoder_layer = run_layer("TransformerDecoderLayer", {"nhead": 2}, [(7, 2, 8), (5, 2, 8)])[2]
    assert run_layer("TransformerEncoder", {"nhead": 2, "num_layers": 3}, [(5, 2, 8)])[2] == 3 * encoder_layer
    args = {"nhead": 2, "num_encoder_layers": 3, "num_decoder_layers": 2}
    assert run_layer("Transformer", args, [(5, 2, 8), (7, 2, 8)])[2] == 3 * encoder_layer + 2 * decoder_layer


# type, arguments, input shapes, the message's words
TORCH_TYPE_REFUSALS = [
    ("PixelShuffle", {"upscale_factor": 2}, [(4, 6)], "expects an input of rank ≥ 3, receives (4, 6)"),
    (
        "PixelShuffle",
        {"upscale_factor": 2},
        [(2, 6, 3, 3)],
        "whose square 4 must divide the 6 channels of (2, 6, 3, 3)",
    ),
    ("PixelUnshuffle", {"downscale_factor": 2}, [(2, 6, 3, 4)], "which must divide the height of (2, 6, 3, 4)"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3}, [(7,)], "needs offsets with a 1-D input (7,)"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3}, [(2, 3, 4)], "expects indices of rank 1"),
    ("EmbeddingBag", {"num_embeddings": 10, "embedding_dim": 3}, [(7,), (2, 2)], "needs 1-D offsets, receives (2, 2)"),
    (
        "EmbeddingBag",
        {"num_embeddings": 10, "embedding_dim": 3},
        [(4, 5), (4, 5)],
        "takes per_sample_weights with mode 'sum' only, not 'mean'",
    ),
    (
        "EmbeddingBag",
        {"num_embeddings": 10, "embedding_dim": 3, "mode": "sum"},
        [(4, 5), (4, 4)],
        "needs per_sample_weights shaped as the input (4, 5), receives (4, 4)",
    ),
    ("LSTMCell", {"hidden_size": 4}, [(3, 5), (3, 4)], "takes its state as 2 inputs (h and c) after the input"),
    ("GRUCell", {"hidden_size": 4}, [(3, 5), (2, 4)], "needs its hidden state shaped (3, 4) for the input (3, 5)"),
    ("RNNCell", {"hidden_size": 4}, [(3, 5), (4,)], "needs its hidden state shaped (3, 4)"),
    ("RNNCell", {"hidden_size": 4}, [(2, 3, 5)], "expects an input of rank 1 (unbatched) or 2"),
    ("RNNCell", {"hidden_size": 4, "input_size": 6}, [(3, 5)], "declares input_size=6 but receives (3, 5)"),
    ("TransformerEncoder", {"nhead": 3, "num_layers": 2}, [(5, 2, 8)], "has 3 heads, which must divide"),
    ("Transformer", {"nhead": 2}, [(5, 2, 8), (7, 3, 8)], "needs src and tgt of one batch size"),
    ("Transformer", {"nhead": 2}, [(5, 2, 8), (7, 2, 6)], "needs src and tgt with d_model=8 features"),
    ("Transformer", {"nhead": 2, "d_model": 6}, [(5, 2, 8), (7, 2, 8)], "needs src and tgt with d_model=6 features"),
    ("MaxUnpool2d", {"kernel_size": 2}, [(2, 3, 4, 4), (2, 4, 4, 4)], "needs indices shaped as the input"),
    ("MaxUnpool2d", {"kernel_size": 2}, [(3, 4)] * 2, "expects an input of rank 3 to 4, receives (3, 4)"),
    (
        "MaxUnpool1d",
        {"kernel_size": 2, "output_size": [20]},
        [(2, 3, 9)] * 2,
        "axis 0 must lie strictly between 16 and 20",
    ),
    ("MaxUnpool1d", {"kernel_size": 1, "padding": 1}, [(2, 3, 1)] * 2, "gives an output length of -1"),
    ("Unfold", {"kernel_size": 6}, [(2, 3, 5, 6)], "kernel 6 with dilation 1, padding 0 and stride 1 gives"),
    ("Unfold", {"kernel_size": 2}, [(3, 5)], "expects an input of rank 3 to 4, receives (3, 5)"),
    ("Fold", {"output_size": [5, 6], "kernel_size": 2}, [(2, 12, 21)], "needs 4 x 5 = 20 blocks for output_size"),
    ("Fold", {"output_size": [5, 6], "kernel_size": 2}, [(2, 10, 20)], "whose 4 elements must divide the 10 columns"),
    ("Fold", {"output_size": [2, 2], "kernel_size": 3}, [(2, 9, 1)], "which holds 0 x 0 blocks"),
    ("UpsamplingBilinear2d", {"scale_factor": 2}, [(2, 3, 4)], "with mode bilinear needs a rank-4 input"),
    ("CosineSimilarity", {"dim": 2}, [(2, 3), (2, 3)], "has axis 2, out of range for a rank-2 input"),
    ("PairwiseDistance", {}, [(2, 3), (2, 4)], "cannot broadcast (2, 3) and (2, 4)"),
    ("SyncBatchNorm", {}, [(5,)], "expects an input of rank ≥ 2, receives (5,)"),
    ("SyncBatchNorm", {"track_running_stats": False}, [(1, 5)], "normalizes each channel over 1 value of (1, 5)"),
    ("LPPool3d", {"norm_type": 2, "kernel_size": 4}, [(2, 3, 3, 3, 3)], "larger than the unpadded size 3"),
    (
        "LPPool3d",
        {"norm_type": 2, "kernel_size": 3, "stride": 2, "ceil_mode": True},
        [(1, 2, 2, 2, 2)],
        "larger than the unpadded size 2",
    ),
    ("CircularPad1d", {"padding": 4}, [(2, 3, 3)], "wraps padding 4/4 around an axis of size 3 more than once"),
    ("CircularPad2d", {"padding": 1}, [(2, 3, 4, 5, 6)], "expects an input of rank 3 to 4"),
    ("Softmax2d", {}, [(3, 4)], "expects an input of rank 3 to 4, receives (3, 4)"),
    ("StochasticDepth", {"p": 0.2, "mode": "row"}, [()], "expects an input of rank ≥ 1, receives ()"),
]


@pytest.mark.parametrize("type_name, args, ins, message", TORCH_TYPE_REFUSALS)
def test_torch_type_refusals(type_name, args, ins, message):
    with pytest.raises((SpecError, ShapeError)) as caught:
        run_layer(type_name, args, ins)
    assert message in caught.value.message


# type, arguments, convention, the message's words: refusals that need no shapes
TORCH_ARGUMENT_REFUSALS = [
    ("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 2, "mode": "max", "sparse": True}, "torch", "mode 'max'"),
    ("EmbeddingBag", {"num_embeddings": 5, "embedding_dim": 2, "padding_idx": 5}, "torch", "padding_idx (5) must be"),
    ("RReLU", {"lower": 0.5, "upper": 0.1}, "torch", "lower (0.5) must be at most upper (0.1)"),
    ("LPPool2d", {"norm_type": 0, "kernel_size": 2}, "torch", "norm_type cannot be 0"),
    ("AvgPool2d", {"kernel_size": 2, "divisor_override": 0}, "torch", "divisor_override cannot be 0"),
    ("AvgPool1d", {"kernel_size": 2, "divisor_override": 2}, "torch", "unknown argument 'divisor_override'"),
    ("MaxPool2d", {"pool_size": 2, "return_indices": True}, "keras", "Keras pooling has no return_indices"),
    ("StochasticDepth", {"p": 1.5, "mode": "row"}, "torch", "p: expected a number in [0, 1], received 1.5"),
    ("StochasticDepth", {"p": 0.5, "mode": "column"}, "torch", "mode: expected one of batch, row"),
    ("MaxUnpool2d", {"kernel_size": 2, "output_size": [4, 4, 4]}, "torch", "expected [2 ints ≥ 1] or [4 ints ≥ 1]"),
    ("Upsample", {"size": 4, "recompute_scale_factor": True}, "torch", "recompute_scale_factor is not meaningful"),
    ("UpsamplingNearest2d", {}, "torch", "needs exactly one of size and scale_factor"),
    ("GELU", {"approximate": "erf"}, "torch", "approximate: expected one of none, tanh"),
    ("TransformerEncoder", {"nhead": 2, "num_layers": 0}, "torch", "num_layers: expected an integer in [1, 1024]"),
]


@pytest.mark.parametrize("type_name, args, convention, message", TORCH_ARGUMENT_REFUSALS)
def test_torch_argument_refusals(type_name, args, convention, message):
    with pytest.raises(SpecError) as caught:
        config(type_name, args, convention)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "lazy, eager",
    [
        ("LazyLinear", "Linear"),
        ("LazyConv1d", "Conv1d"),
        ("LazyConv3d", "Conv3d"),
        ("LazyConvTranspose2d", "ConvTranspose2d"),
        ("LazyBatchNorm2d", "BatchNorm2d"),
    ],
)
def test_lazy_names_are_aliases(lazy, eager):
    assert lookup(lazy) is lookup(eager)


def test_lazy_instance_norms_keep_pytorchs_own_defaults():
    # nn.LazyInstanceNorm2d() learns an affine and keeps running statistics; nn.InstanceNorm2d() does neither
    lazy = run_layer("LazyInstanceNorm2d", {}, [(2, 3, 4, 4)])[1]
    assert set(lazy) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}
    assert run_layer("InstanceNorm2d", {}, [(2, 3, 4, 4)])[1] == {}


# a layer, its inputs, the requirements symbolic sizes give
SYMBOLIC_CONDITIONS = [
    ("{type: PixelShuffle, upscale_factor: 2}", "{x: [2, C, H, W]}", ["C % 4 == 0"]),
    ("{type: PixelUnshuffle, downscale_factor: 3}", "{x: [2, 3, H, 6]}", ["H % 3 == 0"]),
    ("{type: Fold, output_size: [5, 6], kernel_size: 2}", "{x: [2, 12, N]}", ["N == 20"]),
    ("{type: CircularPad1d, padding: 3}", "{x: [2, 3, W]}", ["W >= 3"]),
    ("{type: MaxUnpool1d, kernel_size: 2, output_size: [9]}", "{x: [2, 3, W], i: [2, 3, W]}", ["W >= 4", "W <= 5"]),
    ("{type: Unfold, kernel_size: 3}", "{x: [2, 3, H, 5]}", ["H >= 3"]),
    (
        "{type: EmbeddingBag, num_embeddings: 5, embedding_dim: 2, include_last_offset: true}",
        "{x: [N], i: [B]}",
        ["B >= 2"],
    ),
]


@pytest.mark.parametrize("layer, inputs, requirements", SYMBOLIC_CONDITIONS)
def test_symbolic_sizes_give_the_conditions(layer, inputs, requirements):
    sources = "[x, i]" if "i:" in inputs else "x"
    trace = run_spec(f"inputs: {inputs}\nlayers:\n  - {{name: l, from: {sources}, {layer[1:-1]}}}\n")
    assert trace.errors == []
    assert [r.text for r in trace.requires] == requirements


@pytest.mark.parametrize(
    "type_name, args, convention, params",
    [
        ("LayerNorm", {"normalized_shape": [10], "axis": [3]}, "torch", {"weight": (10,), "bias": (10,)}),
        ("LayerNormalization", {"normalized_shape": [10], "axis": [4]}, "keras", {"gamma": (10,), "beta": (10,)}),
        ("RMSNorm", {"normalized_shape": [10], "axis": 5}, "torch", {"weight": (10,)}),
    ],
)
def test_declared_normalized_shape_is_built_without_reading_axis(type_name, args, convention, params):
    # build reads the input only for sizes left undeclared: `axis` is unused once normalized_shape is given
    out, found, _ = run_layer(type_name, args, [(2, 10)], convention)
    assert (out, found) == ((2, 10), params)


@pytest.mark.parametrize(
    "type_name, args, ins, macs",
    [
        ("Dense", {"units": 5, "in_units": 3}, [(2, UNKNOWN)], 2 * 3 * 5),  # rows * in * units
        ("GRUCell", {"input_size": 20, "hidden_size": 8}, [(4, UNKNOWN)], 4 * 3 * 8 * (20 + 8)),  # N*3H*(I+H)
        ("Bilinear", {"out_features": 4, "in1_features": 3, "in2_features": 5}, [(2, UNKNOWN), (2, 5)], 2 * 4 * 3 * 5),
        # per sample, L = S = 3, E = 8: L*E*E (q) + S*(E+E)*E (k, v) + 2*L*S*E (scores, sum) + L*E*E (out)
        ("MultiheadAttention", {"embed_dim": 8, "num_heads": 2}, [(3, 2, UNKNOWN)], 2 * (192 + 384 + 144 + 192)),
    ],
)
def test_declared_sizes_count_the_macs_on_inputs_of_unknown_width(type_name, args, ins, macs):
    # the build step fixes the declared size for params and macs alike: both are known
    _, params, counted = run_layer(type_name, args, ins)
    assert counted == macs
    assert all(UNKNOWN not in shape for shape in params.values())
