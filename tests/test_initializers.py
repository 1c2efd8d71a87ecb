"""shapecli's initializers against each framework's own, statistically.

tests/reference/init_{torch,keras}.json (tools/gen_init_reference.py) hold the figures
of PyTorch 2.13's and Keras 3.15's initializers on large tensors: each layer family's
defaults and the named initializers a spec can give, for every parameter and buffer.
shapecli draws the same parameters from the same spec; the figures must agree within
what sampling explains (bounds, mean, std, excess kurtosis, exact zeros and ones,
orthogonality). MXNet cannot be installed here: its defaults come from its source.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from shapecli.errors import Loc, SpecError
from shapecli.infer import infer
from shapecli.initializers import parse_initializer
from shapecli.materialize import draw_parameters, keras_fans, plan_parameters, torch_fans
from shapecli.spec import load_model

from .numeric_values import figures

REFERENCE = Path(__file__).parent / "reference"
DOCUMENTS = {name: json.loads((REFERENCE / f"init_{name}.json").read_text()) for name in ("torch", "keras")}
RECORDS = [(framework, record) for framework, doc in DOCUMENTS.items() for record in doc["records"]]


def drawn(convention: str, spec: str, seed: int = 0) -> tuple[dict, dict]:
    """(name → values, name → plan) of every parameter of a spec, drawn by shapecli."""
    model = load_model(spec, "case.yaml", convention)
    trace = infer(model, [])
    assert trace.errors == []
    plans = plan_parameters(model, trace)
    return draw_parameters(plans, seed), {p.name: p for p in plans}


def _id(item) -> str:
    framework, record = item
    layer = record["spec"].split("type: ", 1)[1].split(",", 1)[0].split("}", 1)[0]
    init = record["spec"].split("weight_init: ", 1)[1].split("}", 1)[0] if "weight_init" in record["spec"] else ""
    return f"{framework}-{layer}{'-' + init if init else ''}"


@pytest.mark.parametrize("item", RECORDS, ids=[_id(i) for i in RECORDS])
def test_matches_the_framework_initializers(item):
    framework, record = item
    values, plans = drawn(framework, record["spec"])
    assert sorted(values) == sorted(record["params"])
    for name, theirs in record["params"].items():
        compare(name, values[name], plans[name], theirs, framework)


def compare(name: str, values, plan, theirs: dict, framework: str) -> None:
    """The figures of shapecli's values against the framework's, within what sampling explains."""
    gain = plan.init.args.get("gain", 1.0) if "orthogonality" in theirs else None
    ours = figures(values, gain, framework)
    if gain is not None:
        assert ours["orthogonality"] <= max(1e-4, 10 * theirs["orthogonality"]), name
    assert ours["shape"] == theirs["shape"], name
    n = math.prod(theirs["shape"])
    if theirs["std"] == 0:
        assert (ours["min"], ours["max"]) == (theirs["min"], theirs["max"]), name
        return
    assert ours["zeros"] == pytest.approx(theirs["zeros"], abs=2 / n + 1e-12), name
    assert ours["ones"] == pytest.approx(theirs["ones"], abs=2 / n + 1e-12), name
    std = theirs["std"]
    assert abs(ours["std"] - std) <= 6 * std / math.sqrt(n), name
    assert abs(ours["mean"] - theirs["mean"]) <= 6 * std * math.sqrt(2 / n), name
    assert abs(ours["kurtosis"] - theirs["kurtosis"]) <= 10 * math.sqrt(24 / n) + 0.02, name
    spread = theirs["max"] - theirs["min"]
    if "uniform" in plan.init.kind:  # the extremes sit at the bounds
        assert abs(ours["max"] - theirs["max"]) <= 30 * spread / n + 1e-3 * spread, name
        assert abs(ours["min"] - theirs["min"]) <= 30 * spread / n + 1e-3 * spread, name
    if n >= 10_000 and theirs["high"] - theirs["mean"] < 3 * std:  # bounded, or truncated where it bites
        assert abs(ours["high"] - theirs["high"]) <= 0.01 * spread, name
        assert abs(ours["low"] - theirs["low"]) <= 0.01 * spread, name


def test_the_records_cover_each_family_and_named_initializer():
    kinds = set()
    for framework, record in RECORDS:
        model = load_model(record["spec"], "case.yaml", framework)
        kinds |= {(framework, plan.init.kind) for plan in plan_parameters(model, infer(model, []))}
    for framework in ("torch", "keras"):
        for kind in ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal"):
            assert (framework, kind) in kinds
        assert (framework, "truncated_normal") in kinds
        assert (framework, "uniform") in kinds
    assert ("torch", "bias_uniform") in kinds and ("torch", "dim_uniform") in kinds
    assert ("keras", "unit_forget_bias") in kinds


MLP = """
layers:
  - {type: Dense, units: 256, activation: relu}
  - {type: Embedding, num_embeddings: 100, embedding_dim: 8}
  - {type: LSTM, hidden_size: 16}
  - {type: BatchNorm1d}
  - {type: PReLU}
"""


def test_mxnet_defaults_from_its_source():
    # python/mxnet/gluon/block.py: initialize(init=initializer.Uniform()); initializer.py: Uniform(scale=0.07);
    # nn.Dense/Embedding/rnn weights weight_initializer=None (the global default), biases 'zeros';
    # BatchNorm gamma 'ones', beta 'zeros', running_mean 'zeros', running_variance 'ones'; PReLU Constant(0.25)
    model = load_model(MLP, "mlp.yaml", "mxnet")
    trace = infer(model, [(None, (2, 3))])
    values = draw_parameters(plan_parameters(model, trace), 0)
    weights = [v for name, v in values.items() if name.endswith("weight")]
    assert len(weights) == 4
    for w in weights:
        assert w.min() >= -0.07 and w.max() < 0.07 and abs(w.std() - 0.07 / math.sqrt(3)) < 0.01
    assert all(not v.any() for name, v in values.items() if name.endswith("bias") or name.endswith("beta"))
    assert (values["batchnorm0_gamma"] == 1).all() and (values["batchnorm0_running_var"] == 1).all()
    assert (values["prelu0_alpha"] == np.float32(0.25)).all()


# -- fans, as each framework counts them -------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((256, 20), (20, 256)),  # Linear (out, in)
        ((64, 32, 3, 3), (288, 576)),  # Conv2d (out, in/groups, kh, kw)
        ((64, 16, 4, 4), (256, 1024)),  # ConvTranspose2d (in, out/groups, kh, kw): fan_in from dim 1
        ((1, 1, 768), (768, 768)),  # a class token
    ],
)
def test_torch_fans(shape, fans):
    # torch.nn.init._calculate_fan_in_and_fan_out: size(1) and size(0) times prod(shape[2:])
    assert torch_fans(shape) == fans


@pytest.mark.parametrize(
    "shape, axes, fans",
    [
        ((20, 256), None, (20, 256)),  # Dense kernel (in, out)
        ((3, 3, 32, 64), None, (288, 576)),  # Conv2D kernel (kh, kw, in, out)
        ((256,), None, (256, 256)),
        ((), None, (1, 1)),
        ((256, 8, 32), ((0,), (1, 2)), (256, 256)),  # MultiHeadAttention query kernel, EinsumDense axes
        ((8, 32, 256), ((0, 1), (2,)), (256, 256)),  # its output kernel
    ],
)
def test_keras_fans(shape, axes, fans):
    # keras.src.initializers.random_initializers.compute_fans
    assert keras_fans(shape, axes) == fans


# -- drawing: determinism, independence, refusals -------------------------------------------------------

DECLARED = MLP.replace("layers:", "inputs: {x: [2, 3]}\nlayers:")


def test_the_same_seed_draws_the_same_values_and_other_seeds_others():
    first, _ = drawn("torch", DECLARED, 7)
    again, _ = drawn("torch", DECLARED, 7)
    other, _ = drawn("torch", DECLARED, 8)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["dense0.weight"], other["dense0.weight"])


def test_a_parameter_keeps_its_values_when_a_layer_is_added_before_it():
    two = "inputs: {x: [2, 3]}\nlayers:\n  - {name: a, type: Dense, units: 4}\n  - {name: b, type: Dense, units: 5}\n"
    three = two.replace("  - {name: b", "  - {name: c, type: Dense, units: 4}\n  - {name: b")
    before, _ = drawn("torch", two)
    after, _ = drawn("torch", three)
    assert np.array_equal(before["a.weight"], after["a.weight"])
    assert np.array_equal(before["b.bias"], after["b.bias"])


@pytest.mark.parametrize(
    "layer, message",
    [
        (
            "{type: Dense, units: 4, bias_init: xavier_uniform}",
            "xavier_uniform cannot initialize dense0.bias (4,): PyTorch counts fan-in and fan-out on "
            "parameters of at least 2 dimensions",
        ),
        (
            "{type: Dense, units: 4, bias_init: orthogonal}",
            "orthogonal cannot initialize dense0.bias (4,): an orthogonal initializer needs a parameter "
            "of at least 2 dimensions",
        ),
        (
            "{type: Dense, units: 4, use_bias: false, bias_init: zeros}",
            "bias_init is given, but Dense 'dense0' has no bias parameter with these arguments",
        ),
        (
            '{type: Dense, units: 4, weight_init: "truncated_normal(0, 1, 5, 6)"}',
            "truncated_normal(mean=0, std=1, a=5, b=6) cannot initialize dense0.weight (4, 3): [5, 6] holds "
            "2.9e-07 of N(0, 1²); shapecli draws truncated normals that keep at least 0.1%",
        ),
    ],
)
def test_initializers_a_parameter_cannot_take_are_located_errors(layer, message):
    model = load_model(f"inputs: {{x: [2, 3]}}\nlayers:\n  - {layer}\n", "spec.yaml", "torch")
    trace = infer(model, [])
    with pytest.raises(SpecError) as error:
        draw_parameters(plan_parameters(model, trace), 0)
    assert error.value.message == message
    assert error.value.loc is not None and error.value.loc.line == 3


@pytest.mark.parametrize(
    "text, semantics, shown, args",
    [
        ("xavier_uniform", "torch", "xavier_uniform", {"gain": 1.0}),
        ("glorot_uniform", "keras", "glorot_uniform", {"gain": 1.0}),
        ("he_normal", "torch", "kaiming_normal", {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"}),
        ("normal(0, 0.01)", "torch", "normal(0, 0.01)", {"mean": 0.0, "std": 0.01}),
        ("normal", "keras", "normal", {"mean": 0.0, "std": 0.05}),
        ("uniform", "torch", "uniform", {"low": 0.0, "high": 1.0}),
        ("uniform", "keras", "uniform", {"low": -0.05, "high": 0.05}),
        ("kaiming_uniform(a=sqrt(5))", "torch", "kaiming_uniform(a=√5)", None),
        ("kaiming_uniform(a=√5)", "torch", "kaiming_uniform(a=√5)", None),
        (
            "truncated_normal(std=0.02)",
            "torch",
            "truncated_normal(std=0.02)",
            {"mean": 0, "std": 0.02, "a": -2, "b": 2},
        ),
        (
            "kaiming_normal(mode=fan_out, nonlinearity=relu)",
            "keras",
            "he_normal(mode=fan_out, nonlinearity=relu)",
            {"a": 0.0, "mode": "fan_out", "nonlinearity": "relu"},
        ),
        ({"type": "constant", "value": 0.5}, "torch", "constant(0.5)", {"value": 0.5}),
        ("orthogonal(gain=2)", "torch", "orthogonal(gain=2)", {"gain": 2.0}),
        ("constant(-√2)", "torch", "constant(-√2)", None),
    ],
)
def test_initializer_syntax(text, semantics, shown, args):
    init = parse_initializer(text, Loc(1, 1), semantics)
    assert init.text == shown
    if args is not None:
        assert init.args == args


# -- initializers in the spec ------------------------------------------------------------------------------

SCOPED = """\
init: {weight: "kaiming_normal(mode=fan_out, nonlinearity=relu)", bias: zeros}
blocks:
  B:
    params: {first: str}
    init: orthogonal
    layers:
      - {name: inner, type: Dense, units: 4, weight_init: $first}
      - {name: rec, type: LSTM, hidden_size: 3, recurrent_init: "orthogonal(gain=2)"}
layers:
  - {name: first, type: Dense, units: 8, weight_init: "normal(0, 0.01)"}
  - {name: bn, type: BatchNorm1d, gamma_init: zeros}
  - {name: block, type: B, first: xavier_uniform}
  - {name: flat, type: Flatten}
  - {name: head, type: Dense, units: 2}
"""


def test_initializers_apply_from_the_layer_then_the_block_then_the_top():
    model = load_model(SCOPED, "spec.yaml", "torch")
    trace = infer(model, [(None, (2, 5, 3))])
    shown = {p.name: p.init for layer in trace.layers for p in layer.params}
    assert shown == {
        "first.weight": "normal(0, 0.01)",
        "first.bias": "zeros",
        "bn.weight": "zeros",
        "bn.bias": "zeros",
        "bn.running_mean": "zeros",
        "bn.running_var": "ones",
        "bn.num_batches_tracked": "zeros",
        "block.inner.weight": "xavier_uniform",
        "block.inner.bias": "zeros",
        "block.rec.weight_ih_l0": "orthogonal",
        "block.rec.weight_hh_l0": "orthogonal(gain=2)",
        "block.rec.bias_ih_l0": "zeros",
        "block.rec.bias_hh_l0": "zeros",
        "head.weight": "kaiming_normal(mode=fan_out, nonlinearity=relu)",
        "head.bias": "zeros",
    }


def test_a_shared_layer_uses_its_owners_initializers():
    text = (
        "inputs: {a: [2, 3], b: [2, 3]}\nlayers:\n  - {name: enc, type: Dense, units: 4, from: a, weight_init: ones}\n"
        "  - {name: again, share: enc, from: b}\n  - {name: sum, type: Add, from: [enc, again]}\n"
    )
    model = load_model(text, "spec.yaml", "torch")
    trace = infer(model, [])
    assert [p.init for p in trace.layers[0].params] == ["ones", "uniform(±1/√fan_in)"]
    values = draw_parameters(plan_parameters(model, trace), 0)
    assert list(values) == ["enc.weight", "enc.bias"]
    assert (values["enc.weight"] == 1).all()


@pytest.mark.parametrize(
    "text, where, message, hint",
    [
        (
            "init: {weights: zeros}\nlayers: [{type: Dense, units: 2}]\n",
            "1:8",
            "unknown parameter role 'weights' in init",
            "did you mean 'weight'?",
        ),
        (
            "init: 5\nlayers: [{type: Dense, units: 2}]\n",
            "1:7",
            "init must be an initializer or a mapping of roles to initializers, received 5",
            "e.g. init: xavier_uniform, or init: {weight: xavier_uniform, bias: zeros}",
        ),
        (
            'blocks:\n  B:\n    init: {bias: "uniform(1, 0)"}\n'
            "    layers: [{type: Dense, units: 2}]\nlayers: [{type: B}]\n",
            "3:18",
            "uniform needs low ≤ high, received low=1, high=0",
            None,
        ),
        (
            "layers:\n  - {type: Dense, units: 2, recurrent_init: zeros}\n",
            "2:29",
            "Dense has no parameter role 'recurrent' to initialize",
            "its roles: weight_init, bias_init",
        ),
        (
            "layers:\n  - {type: BatchNorm1d, weight_init: zeros}\n",
            "2:25",
            "BatchNorm1d has no parameter role 'weight' to initialize",
            "a normalization's scale is gamma_init (PyTorch's weight), its shift beta_init (PyTorch's bias)",
        ),
        (
            "layers:\n  - {type: ReLU, weight_init: zeros}\n",
            "2:18",
            "ReLU has no parameters to initialize ('weight_init')",
            None,
        ),
        (
            "layers:\n  - {name: a, type: Dense, units: 2}\n  - {share: a, weight_init: zeros}\n",
            "3:16",
            "unknown key for a shared layer 'weight_init'",
            "expected one of: name, from, share, if, expect",
        ),
        (
            "layers:\n  - {type: Dense, units: 2, weight_init: normal(0, 1)}\n",
            "2:42",
            "unbalanced parentheses in the initializer 'normal(0'",
            'inside a {…} flow mapping a comma ends the value: quote it, "normal(0, 0.01)"',
        ),
        (
            "layers:\n  - {type: Dense, units: 2, weight_init: {std: 1}}\n",
            "2:42",
            "an initializer mapping needs 'type'",
            "e.g. {type: normal, std: 0.01}, or write it as normal(0, 0.01)",
        ),
        (
            'layers:\n  - {type: Dense, units: 2, weight_init: "normal(std=1, 0)"}\n',
            "2:42",
            "normal: a positional argument follows a named one",
            None,
        ),
        (
            'layers:\n  - {type: Dense, units: 2, weight_init: "normal(0, 1, 2)"}\n',
            "2:42",
            "normal takes mean, std; received 3 arguments",
            None,
        ),
        (
            'layers:\n  - {type: Dense, units: 2, weight_init: "kaiming_uniform(b=1)"}\n',
            "2:42",
            "unknown argument 'b' for the initializer kaiming_uniform",
            "it takes a, mode, nonlinearity",
        ),
        (
            "layers:\n  - {type: Dense, units: 2, weight_init: [1, 2]}\n",
            "2:42",
            "an initializer must be a name, a call or a mapping, received [1, 2]",
            "e.g. xavier_uniform, normal(0, 0.01) or {type: normal, std: 0.01}",
        ),
        (
            "layers:\n  - {type: Dense, units: 2, weight_init: xavier}\n",
            "2:42",
            "unknown initializer 'xavier'",
            "did you mean 'xavier_normal'?",
        ),
        (
            'layers:\n  - {type: Dense, units: 2, weight_init: "kaiming_normal(nonlinearity=swish)"}\n',
            "2:42",
            "kaiming_normal: nonlinearity must be one of linear, conv1d, conv2d, conv3d, conv_transpose1d, "
            "conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu, received 'swish'",
            None,
        ),
    ],
)
def test_initializer_errors_in_the_spec_are_located(text, where, message, hint):
    with pytest.raises(SpecError) as error:
        load_model(text, "spec.yaml", "torch")
    assert error.value.message == message
    assert str(error.value.loc) == where
    assert error.value.hint == hint


@pytest.mark.parametrize(
    "value, message",
    [
        ("constant(sqrt(sqrt(4)))", "constant: value must be a number, received 'sqrt(sqrt(4))'"),
        ("constant(1e400)", "constant: value must be a number, received '1e400'"),
        ({"type": "constant", "value": 10**400}, "constant: value must be a number, received 100000…(401 digits)"),
        ("uniform(nan, 1)", "uniform: low must be a number, received 'nan'"),
    ],
)
def test_numbers_must_be_finite_and_plain(value, message):
    with pytest.raises(SpecError) as error:
        parse_initializer(value, Loc(1, 1), "torch")
    assert error.value.message == message


def test_keras_truncated_normal_takes_no_bounds():
    with pytest.raises(SpecError) as error:
        load_model(
            'layers:\n  - {type: Dense, units: 2, weight_init: "truncated_normal(0, 1, -1, 1)"}\n', "s.yaml", "keras"
        )
    assert error.value.message == (
        "Keras' truncated normal redraws values beyond 2 std of the mean; it takes no bounds a, b"
    )


def test_every_layer_type_with_parameters_has_an_initializer_family():
    from shapecli.init_defaults import FAMILIES, family_of
    from shapecli.registry import lookup

    with_params = set()
    for name in ("torch", "keras"):
        for record in json.loads((REFERENCE / f"{name}.json").read_text())["records"]:
            if record.get("params"):
                with_params.add(lookup(record["type"]))
    assert len(with_params) >= 30
    missing = sorted(cls.type_name for cls in with_params if family_of(cls) is None)
    assert missing == []
    assert all(
        set(family.roles) <= {"weight", "bias", "recurrent", "gamma", "beta", "alpha"} for family in FAMILIES.values()
    )


def test_every_family_entry_names_a_layer_class_of_its_module():
    import importlib

    from shapecli.init_defaults import FAMILIES, family_of
    from shapecli.registry import Layer

    for key, family in FAMILIES.items():
        module, name = key.split(".")
        cls = getattr(importlib.import_module(f"shapecli.layers.{module}"), name)
        assert issubclass(cls, Layer) and family_of(cls) is family, key


def test_a_type_without_a_family_shows_a_question_mark_and_init_refuses_it(monkeypatch):
    from shapecli import init_defaults

    monkeypatch.delitem(init_defaults.FAMILIES, "core.Dense")
    model = load_model("layers:\n  - {type: Dense, units: 2}\n", "spec.yaml", "torch")
    trace = infer(model, [(None, (1, 3))])
    assert [p.init for p in trace.layers[0].params] == ["?", "?"]
    with pytest.raises(SpecError) as error:
        plan_parameters(model, trace)
    assert error.value.message == "shapecli does not know how Dense initializes its parameter 'weight'"
