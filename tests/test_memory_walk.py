"""The memory walk's shortcuts keep every figure: a rule's answer reused for a layer met again with
the same call, but not across inputs laid out differently; per-layer records shared by layers
that keep and hold alike; tensors let go after their last reader."""

from __future__ import annotations

import pytest

from shapecli.dims import Expr
from shapecli.memory import Settings, memory_report

from .helpers import run_spec
from shapecli.spec import load_model
from shapecli.infer import infer

PERMUTED = """
inputs: {x: [2, 4, 4]}
layers:
  - {name: p, type: Permute, dims: [0, 2, 1], from: x}
  - {name: a, type: Dense, units: 4, from: p}
  - {name: b, type: Dense, units: 4, from: x}
  - {name: c, type: Dense, units: 4, from: p}
outputs: [a, b, c]
"""


def _report(text: str):
    model = load_model(text, "spec.yaml")
    return memory_report(model, infer(model, []))


def test_one_call_on_inputs_laid_out_differently_gets_its_own_answer():
    """a, b and c are one Dense on one shape; a and c read a permuted (strided) view and keep a dense
    copy each (a new tensor every time), b keeps its contiguous input."""
    report = _report(PERMUTED)
    assert [m.keeps for m in report.layers] == [(), ("input (dense copy)",), ("input",), ("input (dense copy)",)]
    assert [m.saved for m in report.layers] == [0, 128, 128, 128]
    assert report.activations == 3 * 2 * 4 * 4 * 4
    # inference: x, then p's view of it, then each output joins (all three are the model's)
    assert [m.alive for m in report.layers] == [128, 256, 384, 512]


def test_a_chain_of_identical_layers_with_a_symbolic_batch():
    trace_text = "inputs: {x: [B, 4]}\nlayers:\n" + "  - {type: Dense, units: 4}\n" * 30
    report = _report(trace_text)
    batch = Expr.symbol("B")
    # each keeps its input (the weight's gradient needs it), the first the model's input
    assert [m.saved for m in report.layers] == [16 * batch] * 30
    # the model's input is held throughout, besides each layer's input and output
    assert [m.alive for m in report.layers] == [32 * batch] + [48 * batch] * 29
    assert report.activations == 30 * 16 * batch
    assert [path for path, _ in report.peaks] == ["dense1"]


def test_a_concrete_chain_keeps_each_input_once():
    spec = "layers: [" + ", ".join(["{type: Dense, units: 4}"] * 12) + "]"
    report = memory_report(load_model(spec, "spec.yaml"), run_spec(spec, "2x4"))
    assert [m.saved for m in report.layers] == [32] * 12
    assert [m.alive for m in report.layers] == [64] + [96] * 11
    assert report.inference_peak == 12 * 20 * 4 + 96


MIXED_CHAIN = (
    "inputs: {x: [B, 4]}\nlayers:\n"
    + "  - {type: Dense, units: 4}\n" * 5
    + "  - {type: Dense, units: 8}\n" * 3
    + "  - {type: Dropout, p: 0.5}\n"
    + "  - {type: Dense, units: 4}\n"
    + "  - {type: BatchNorm1d}\n"  # keeps its input as the Dense before and after it, and more
    + "  - {type: Dense, units: 4}\n" * 5
)


@pytest.mark.parametrize("options", [{}, {"amp": "fp16"}, {"device": "cpu", "optimizer": "sgd"}])
def test_a_symbolic_chain_of_runs_of_layers_alike_gives_the_concrete_figures_at_each_batch(options):
    """The per-layer records shared along a run of layers alike, and the sums of symbolic sizes by
    count, evaluate to what the walk gives on each concrete batch."""
    settings = Settings(**options)
    model = load_model(MIXED_CHAIN, "spec.yaml")
    symbolic = memory_report(model, infer(model, []), settings)
    for batch in (1, 2, 3):
        concrete = memory_report(model, infer(model, [(None, (batch, 4))]), settings)
        at = {"B": batch}
        assert [_at(m.saved, at) for m in symbolic.layers] == [m.saved for m in concrete.layers]
        assert [_at(m.alive, at) for m in symbolic.layers] == [m.alive for m in concrete.layers]
        assert symbolic.training_at(at) == concrete.training
        assert symbolic.inference_at(at) == concrete.inference_peak


def _at(value, bindings):
    return value.evaluate(bindings) if isinstance(value, Expr) else value
