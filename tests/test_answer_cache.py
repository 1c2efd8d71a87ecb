"""Rule answers are kept for the whole process (`shapecli.answers`): keyed by the layer type, the
configuration's values with their types, and the input shapes, so that a second spec, or a second
run of one, gets exactly what computing anew gives — its conditions attributed to its own layers —
and nothing an argument's type, sign, convention or wrapped layer could tell apart is shared."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shapecli import answers
from shapecli.registry import config_key

from .helpers import run_spec

POOLS = """
    inputs: {{x: [B, 3, H, W]}}
    layers:
      - {{name: {first}, type: MaxPool2d, kernel_size: 2}}
      - {{name: {second}, type: Conv2d, out_channels: 8, kernel_size: 3, stride: 2}}
"""


@pytest.mark.parametrize(
    "a, b",
    [
        (SimpleNamespace(p=1), SimpleNamespace(p=1.0)),
        (SimpleNamespace(p=1), SimpleNamespace(p=True)),
        (SimpleNamespace(p=0.0), SimpleNamespace(p=-0.0)),
        (SimpleNamespace(k=(3, 3)), SimpleNamespace(k=(3.0, 3.0))),
        (SimpleNamespace(k=(3, 3)), SimpleNamespace(k=[3, 3])),
        (SimpleNamespace(inner=SimpleNamespace(units=4)), SimpleNamespace(inner=SimpleNamespace(units=4.0))),
    ],
)
def test_configurations_whose_arguments_differ_in_type_or_sign_have_different_keys(a, b):
    assert config_key(a) != config_key(b)


def test_equal_configurations_have_one_key():
    def make():
        return SimpleNamespace(k=(3, 3), p=0.5, inner=SimpleNamespace(units=4), name="x")

    assert config_key(make()) == config_key(make())
    assert hash(config_key(make())) == hash(config_key(make()))


def test_a_configuration_that_cannot_be_a_key_gets_no_number():
    assert answers.config_number(SimpleNamespace(table={"a": 1})) is None


def test_a_second_spec_gets_the_same_answers_with_its_own_layers_named_in_the_conditions():
    first = run_spec(POOLS.format(first="pool", second="conv"))
    kept = dict(answers.ANSWERS)
    second = run_spec(POOLS.format(first="down", second="stem"))
    assert len(kept) == 2 and kept == answers.ANSWERS  # the second spec's answers were the first's
    assert [r.text for r in first.requires] == [r.text for r in second.requires] == ["H >= 6", "W >= 6"]
    assert {origin for r in first.requires for origin in r.origins} == {"pool", "conv"}
    assert {origin for r in second.requires for origin in r.origins} == {"down", "stem"}
    renamed = {"pool": "down", "conv": "stem"}
    assert [(c.kind, c.expr, renamed[c.origin]) for c in first.conditions] == [
        (c.kind, c.expr, c.origin) for c in second.conditions
    ]
    assert [layer.output_shape for layer in first.layers] == [layer.output_shape for layer in second.layers]
    assert [p.name for layer in second.layers for p in layer.params] == ["stem.weight", "stem.bias"]


CONV = "layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3}\n"
WRAPPED = "layers:\n  - {{type: TimeDistributed, layer: {{type: Dense, units: {units}}}}}\n"


@pytest.mark.parametrize(
    "runs",
    [
        [(CONV, "2x3x9x9", "torch", (2, 8, 7, 7)), (CONV, "2x3x9x9", "keras", (2, 1, 7, 8))],
        [(CONV, "2x3x9x9", "keras", (2, 1, 7, 8)), (CONV, "2x3x9x9", "torch", (2, 8, 7, 7))],
        [
            (WRAPPED.format(units=4), "2x3x5", "keras", (2, 3, 4)),
            (WRAPPED.format(units=6), "2x3x5", "keras", (2, 3, 6)),
        ],
    ],
)
def test_a_layer_under_another_convention_or_wrapping_another_layer_is_answered_anew(runs):
    for text, shape, convention, expected in runs:
        trace = run_spec(text, shape, convention=convention)
        assert trace.layers[0].output_shape == expected, (convention, text)


@pytest.mark.parametrize("order", [("plain", "set"), ("set", "plain")])
def test_parameters_before_inference_are_shared_only_by_layers_whose_initializers_are_the_defaults(order):
    specs = {
        "plain": "layers:\n  - {name: d0, type: Dense, units: 4}\n",
        "set": 'layers:\n  - {name: d0, type: Dense, units: 4, weight_init: "constant(0.125)"}\n',
    }
    inits = {name: [p.init for p in run_spec(specs[name], "2x3").layers[0].params] for name in order}
    assert inits["plain"] == ["kaiming_uniform(a=√5)", "uniform(±1/√fan_in)"]
    assert inits["set"] == ["constant(0.125)", "uniform(±1/√fan_in)"]


def test_tables_past_their_bound_start_again_and_give_the_same_figures(monkeypatch):
    text = "layers:\n" + "".join(f"  - {{type: Dense, units: {n}}}\n" for n in range(3, 40))
    expected = run_spec(text, "2x5")
    monkeypatch.setattr(answers, "MAX_ENTRIES", 4)
    answers.forget_answers()
    again = run_spec(text, "2x5")
    assert len(answers.ANSWERS) <= 4  # 37 distinct layers: without the bound, 37 entries
    assert [(layer.output_shape, layer.count, layer.macs) for layer in again.layers] == [
        (layer.output_shape, layer.count, layer.macs) for layer in expected.layers
    ]
    widths = [5, *range(3, 40)]
    assert again.layers[-1].output_shape == (2, 39)
    assert again.totals.params == sum((a + 1) * b for a, b in zip(widths, widths[1:]))


def test_a_chain_of_layers_alike_reads_one_kept_answer_each_under_its_own_names():
    trace = run_spec("layers:\n" + "  - {type: Dense, units: 4}\n" * 5, "2x4")
    assert len(answers.ANSWERS) == 1
    assert [p.name for layer in trace.layers for p in layer.params] == [
        f"dense{i}.{local}" for i in range(5) for local in ("weight", "bias")
    ]
    assert [(layer.output_shape, layer.count, layer.macs) for layer in trace.layers] == [((2, 4), 20, 2 * 4 * 4)] * 5
    assert trace.totals.params == 100 and trace.totals.macs == 160
