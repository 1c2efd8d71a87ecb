"""The shipped configs reproduce their published parameter counts and MACs.

Published figures: the torchvision model table (parameters, and its "GFLOPS"
column, which counts multiply-accumulates), transformers' BertModel and
GPT2LMHeadModel. The configs without published figures (lenet5, unet,
lstm_classifier) were built in PyTorch 2.13 by tools/verify_configs.py, which
reports the same counts, MACs and output shapes as shapecli.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shapecli.dims import Expr, product

from .helpers import run_spec

CONFIGS = Path(__file__).parent.parent / "configs"

# config, inputs, parameters, published GMACs (None: not published), output shapes
CASES = [
    ("lenet5.yaml", ["1x1x32x32"], 61_706, None, {"output": (1, 10)}),
    ("alexnet.yaml", ["1x3x224x224"], 61_100_840, 0.71, {"fc3": (1, 1000)}),
    ("vgg16.yaml", ["1x3x224x224"], 138_357_544, 15.47, {"fc3": (1, 1000)}),
    ("resnet18.yaml", ["1x3x224x224"], 11_689_512, 1.81, {"fc": (1, 1000)}),
    ("resnet50.yaml", ["1x3x224x224"], 25_557_032, 4.09, {"fc": (1, 1000)}),
    ("mobilenet_v2.yaml", ["1x3x224x224"], 3_504_872, 0.30, {"classifier": (1, 1000)}),
    ("vit_b_16.yaml", ["1x3x224x224"], 86_567_656, 17.56, {"head": (1, 1000)}),
    ("convnext_tiny.yaml", ["1x3x224x224"], 28_589_128, 4.46, {"classifier": (1, 1000)}),
    ("swin_t.yaml", ["1x3x224x224"], 28_288_354, 4.49, {"head": (1, 1000)}),
    ("unet.yaml", ["1x3x256x256"], 31_037_698, None, {"outc": (1, 2, 256, 256)}),
    ("lstm_classifier.yaml", ["4x50"], 3_482_114, None, {"classifier": (4, 2)}),
    (
        "bert_base.yaml",
        ["input_ids=2x128", "token_type_ids=2x128"],
        109_482_240,
        None,
        {"layer": (2, 128, 768), "pooler": (2, 768)},
    ),
    ("gpt2_small.yaml", ["1x1024"], 124_439_808, None, {"lm_head": (1, 1024, 50257)}),
]


@pytest.mark.parametrize("config, inputs, params, gmacs, outputs", CASES)
def test_published_counts(config, inputs, params, gmacs, outputs):
    trace = run_spec((CONFIGS / config).read_text(), *inputs, file=config)
    assert trace.errors == []
    assert trace.totals.params == params
    assert trace.totals.non_trainable == 0
    assert trace.outputs == outputs
    if gmacs is not None:
        assert abs(trace.totals.macs / 1e9 - gmacs) <= 0.01 * gmacs


def test_unet_and_lstm_macs_match_pytorch_flop_counter():
    # figures from tools/verify_configs.py (FlopCounterMode / 2, PyTorch 2.13)
    assert run_spec((CONFIGS / "unet.yaml").read_text(), "1x3x256x256").totals.macs == 48_171_581_440
    assert run_spec((CONFIGS / "lenet5.yaml").read_text(), "1x1x32x32").totals.macs == 416_520


def test_gpt2_counts_the_tied_head_once():
    text = (CONFIGS / "gpt2_small.yaml").read_text()
    tied = run_spec(text, "1x8")
    head = tied.layers[-1]
    assert [(p.name, p.count, p.shared_with) for p in head.params] == [("lm_head.weight", 0, "wte.weight")]
    untied = run_spec(text.replace(", tie: wte}", "}"), "1x8")
    assert untied.totals.params == 163_037_184


def test_bert_with_symbolic_sizes():
    trace = run_spec((CONFIGS / "bert_base.yaml").read_text())
    batch, seq = Expr.symbol("batch"), Expr.symbol("seq")
    assert trace.outputs == {"layer": (batch, seq, 768), "pooler": (batch, 768)}
    assert trace.totals.params == 109_482_240


def test_bert_refuses_sequences_longer_than_its_position_table():
    trace = run_spec((CONFIGS / "bert_base.yaml").read_text(), "input_ids=1x600", "token_type_ids=1x600")
    assert trace.errors[0].message == (
        "PositionalEmbedding 'position_embeddings' has sequence_length 512 but receives 600 positions"
    )


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_every_config_loads_under_its_declared_inputs(config):
    text = (CONFIGS / config).read_text()
    if config == "mlp_mismatch.yaml":
        assert run_spec(text, "2x20").errors
        return
    inputs = {"mlp.yaml": ["2x20"], "mlp_immediate.yaml": ["2x20"]}.get(config, [])
    trace = run_spec(text, *inputs)
    assert trace.errors == []
    assert all(layer.state == "ok" for layer in trace.layers)


TORCHVISION = json.loads((Path(__file__).parent / "reference" / "torchvision_configs.json").read_text())
"""torchvision's figures for the configs that describe its models (tools/torchvision_configs.py)."""


def _shapecli_figures(config: str, shape: list) -> dict:
    trace = run_spec((CONFIGS / config).read_text(), "x".join(map(str, shape)), file=config)
    assert trace.errors == []
    buffers = sum(product(p.after) for layer in trace.layers for p in layer.params if p.buffer)
    return {
        "output": list(next(iter(trace.outputs.values()))),
        "params": trace.totals.params - trace.totals.non_trainable,
        "non_trainable": trace.totals.non_trainable,
        "buffer_elements": buffers,
        "macs": trace.totals.macs,
    }


@pytest.mark.parametrize(
    "record", TORCHVISION["records"], ids=[f"{r['config']}-{r['input']}" for r in TORCHVISION["records"]]
)
def test_configs_match_the_recorded_torchvision_models(record):
    expected = {key: record[key] for key in ("output", "params", "non_trainable", "buffer_elements", "macs")}
    assert _shapecli_figures(record["config"], record["input"]) == expected


@pytest.mark.torch
@pytest.mark.torchvision
@pytest.mark.parametrize("record", TORCHVISION["records"])
def test_the_torchvision_record_is_current(record):
    sys.path.insert(0, str(Path(__file__).parent.parent / "tools"))
    from torchvision_configs import measure

    assert measure(record["model"], tuple(record["input"])) == {
        key: record[key] for key in ("input", "output", "params", "non_trainable", "buffer_elements", "macs")
    }


@pytest.mark.parametrize(
    "record", TORCHVISION["records"], ids=[f"{r['config']}-{r['input']}" for r in TORCHVISION["records"]]
)
def test_the_symbolic_figures_evaluate_to_the_recorded_ones(record):
    # inferred once at (batch, 3, H, W), then evaluated at the recorded size
    trace = run_spec((CONFIGS / record["config"]).read_text(), file=record["config"])
    assert trace.errors == []
    batch, _, height, width = record["input"]
    bindings = {"batch": batch, "H": height, "W": width}
    output = next(iter(trace.outputs.values()))
    assert [d.evaluate(bindings) if isinstance(d, Expr) else d for d in output] == record["output"]
    assert trace.totals.macs.evaluate(bindings) == record["macs"]
    assert trace.totals.params == record["params"]
