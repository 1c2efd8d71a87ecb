"""The shipped configs reproduce their published parameter counts and MACs.

Published figures: the torchvision model table (parameters, and its "GFLOPS"
column, which counts multiply-accumulates), transformers' BertModel and
GPT2LMHeadModel. The configs without published figures (lenet5, unet,
lstm_classifier) were built in PyTorch 2.13 by tools/verify_configs.py, which
reports the same counts, MACs and output shapes as shapecli.

The configs of torchvision's models (and their variants by --set) are checked against
tests/reference/configs_torchvision.json, which tools/record_torchvision_configs.py wrote
from the torchvision models: counts, MACs (FlopCounterMode / 2), outputs, the state_dict,
whether the model runs at every square size from 1 to 320, and for ConvNeXt-T and Swin-T
the outputs and MACs at further input shapes (odd, non-square, batch 2). The tests marked
`torchvision` compare with the live models.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import pytest

from shapecli.dims import Expr, parse_shape, product
from shapecli.infer import infer
from shapecli.spec import load_model

from .helpers import run_spec

CONFIGS = Path(__file__).parent.parent / "configs"


def _load_tool(name: str):
    """The module tools/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent.parent / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TORCHVISION = json.loads((Path(__file__).parent / "reference" / "configs_torchvision.json").read_text())
RECORDER = _load_tool("record_torchvision_configs")
"""tools/record_torchvision_configs.py (it imports torch and torchvision only when it records)."""
TORCHVISION_SIZES = (1, 320)
"""The square sizes the record sweeps (tools/record_torchvision_configs.py SIZES)."""

# config, inputs, parameters, published GMACs (None: not published), output shapes
CASES = [
    ("lenet5.yaml", ["1x1x32x32"], 61_706, None, {"output": (1, 10)}),
    ("alexnet.yaml", ["1x3x224x224"], 61_100_840, 0.71, {"fc3": (1, 1000)}),
    ("vgg16.yaml", ["1x3x224x224"], 138_357_544, 15.47, {"fc3": (1, 1000)}),
    ("resnet18.yaml", ["1x3x224x224"], 11_689_512, 1.81, {"fc": (1, 1000)}),
    ("resnet50.yaml", ["1x3x224x224"], 25_557_032, 4.09, {"fc": (1, 1000)}),
    ("mobilenet_v2.yaml", ["1x3x224x224"], 3_504_872, 0.30, {"classifier": (1, 1000)}),
    ("densenet121.yaml", ["1x3x224x224"], 7_978_856, 2.834, {"classifier": (1, 1000)}),
    ("efficientnet_b0.yaml", ["1x3x224x224"], 5_288_548, 0.386, {"classifier": (1, 1000)}),
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
    # every layer inferred, except those an if: leaves out
    assert all(layer.state == "ok" or layer.state == "absent" and layer.condition for layer in trace.layers)


# -- torchvision's models ------------------------------------------------------------------------

TV_CASES = [(config, model) for config, models in TORCHVISION["configs"].items() for model in models]
"""(config, torchvision model) of every recorded case: a config, or one of its variants by --set."""

SWEPT = [(config, model) for config, model in TV_CASES if "sizes" in TORCHVISION["configs"][config][model]]
"""The cases whose square sizes were swept."""

TORCHVISION_NAMES = {"densenet121.yaml"}
"""The configs whose parameter names are torchvision's. The others list the same tensors in the
same order with the same shapes under their own names (resnet50's layer1.rest.0.conv1 is
torchvision's layer1.1.conv1; mobilenet_v2 and efficientnet_b0 name the optional expand conv
instead of numbering a Sequential whose indices shift when it is left out)."""


AT_INPUTS = [
    (config, model, at)
    for config, model in TV_CASES
    for at in TORCHVISION["configs"][config][model].get("at_inputs", [])
]
"""(config, model, figures at one further input) of the cases recorded at further input shapes."""

NOT_TORCHVISIONS_NUMBERS = {
    "swin_t": "the config leaves out the shifted windows' attention mask and always rolls (the same shapes)",
}
"""The cases whose built model has torchvision's tensors but does not compute its values, and why."""


def _in_execution_order(model: str, state_dict: list) -> list:
    """The recorded state_dict in the order shapecli lists the model's tensors (the tool's function)."""
    return RECORDER.in_execution_order(model, state_dict)


def _entry(config: str, model: str) -> dict:
    return TORCHVISION["configs"][config][model]


@functools.cache
def _trace(config: str, model: str, shape: str):
    """shapecli's Trace of the case at `shape` (cached: the sweep asks for the symbolic one 320 times)."""
    overrides = {name: str(value) for name, value in _entry(config, model)["set"].items()}
    spec = load_model((CONFIGS / config).read_text(), config, "torch", overrides)
    return infer(spec, [(None, parse_shape(shape))])


def _state(trace) -> list:
    """The trace's state_dict: its parameters and buffers, in order, each once."""
    return [p for layer in trace.layers for p in layer.params if p.shared_with is None]


def _runs(entry: dict, size: int) -> bool:
    return any(low <= size <= high for low, high in entry["sizes"]["runs"])


@pytest.mark.parametrize(("config", "model"), TV_CASES)
def test_counts_macs_and_outputs_are_torchvisions(config, model):
    entry = _entry(config, model)
    trace = _trace(config, model, "1x3x224x224")
    state = _state(trace)
    assert trace.errors == []
    assert trace.totals.params == entry["params"] == entry["published"]["params"]
    assert trace.totals.trainable == entry["trainable"]
    assert sum(product(p.after) for p in state if p.buffer) == entry["buffers"]
    assert trace.totals.macs == entry["macs"]
    assert abs(trace.totals.macs / 1e9 - entry["published"]["gmacs"]) <= 0.01 * entry["published"]["gmacs"]
    assert [list(shape) for shape in trace.outputs.values()] == entry["outputs"]


@pytest.mark.parametrize(("config", "model"), TV_CASES)
def test_state_dict_is_torchvisions_in_order(config, model):
    entry = _entry(config, model)
    state = _state(_trace(config, model, "1x3x224x224"))
    assert [list(p.after) for p in state] == [shape for _, shape in _in_execution_order(model, entry["state_dict"])]
    if config in TORCHVISION_NAMES:
        assert [p.name for p in state] == [name for name, _ in entry["state_dict"]]


@pytest.mark.parametrize("size", range(TORCHVISION_SIZES[0], TORCHVISION_SIZES[1] + 1))
@pytest.mark.parametrize(("config", "model"), SWEPT)
def test_conditions_agree_with_torchvision_at_every_square_size(config, model, size):
    entry = _entry(config, model)
    trace = _trace(config, model, "1x3xHxH")
    assert trace.errors == []
    verdicts = [requirement.test({"H": size}) for requirement in trace.requires]
    assert None not in verdicts
    assert all(verdicts) == _runs(entry, size), (
        f"at {size}x{size} shapecli requires {[r.text for r in trace.requires]}; torchvision "
        + ("runs" if _runs(entry, size) else f"refuses ({entry['sizes']['refusal']['error']} at the largest)")
    )


@pytest.mark.parametrize(
    ("config", "model", "at"),
    AT_INPUTS,
    ids=[f"{model}-{'x'.join(map(str, at['input']))}" for _, model, at in AT_INPUTS],
)
def test_figures_at_further_inputs_are_torchvisions(config, model, at):
    entry = _entry(config, model)
    trace = _trace(config, model, "x".join(map(str, at["input"])))
    assert trace.errors == []
    assert [list(shape) for shape in trace.outputs.values()] == at["outputs"]
    assert trace.totals.macs == at["macs"]
    assert (trace.totals.params, trace.totals.trainable) == (entry["params"], entry["trainable"])
    assert trace.totals.non_trainable == entry["params"] - entry["trainable"]
    assert sum(product(p.after) for p in _state(trace) if p.buffer) == entry["buffers"]


SYMBOLIC = [
    (config, model, {"input": entry["input"], "outputs": entry["outputs"], "macs": entry["macs"]})
    for config, models in TORCHVISION["configs"].items()
    for model, entry in models.items()
    if "at_inputs" in entry
] + AT_INPUTS
"""(config, model, figures at one input) to evaluate the symbolic figures at."""


@pytest.mark.parametrize(
    ("config", "model", "at"), SYMBOLIC, ids=[f"{model}-{'x'.join(map(str, at['input']))}" for _, model, at in SYMBOLIC]
)
def test_the_symbolic_figures_evaluate_to_the_recorded_ones(config, model, at):
    # inferred once at (batch, 3, H, W), then evaluated at the recorded size
    entry = _entry(config, model)
    trace = _trace(config, model, "batchx3xHxW")
    assert trace.errors == []
    batch, _, height, width = at["input"]
    bindings = {"batch": batch, "H": height, "W": width}
    assert all(requirement.test(bindings) for requirement in trace.requires)
    outputs = [[d.evaluate(bindings) if isinstance(d, Expr) else d for d in shape] for shape in trace.outputs.values()]
    assert outputs == at["outputs"]
    assert trace.totals.macs.evaluate(bindings) == at["macs"]
    assert trace.totals.params == entry["params"]


def _edges(entry: dict) -> list[int]:
    """The sizes around each change of torchvision's verdict, and the ends of the sweep."""
    low, high = entry["sizes"]["range"]
    sizes = {low, high}
    for start, end in entry["sizes"]["runs"]:
        sizes |= {start - 1, start, end, end + 1}
    return sorted(size for size in sizes if low <= size <= high)


@pytest.mark.parametrize(("config", "model"), SWEPT)
def test_concrete_inference_agrees_with_torchvision_where_its_verdict_changes(config, model):
    entry = _entry(config, model)
    for size in _edges(entry):
        trace = _trace(config, model, f"1x3x{size}x{size}")
        assert (not trace.errors) == _runs(entry, size), (size, [e.message for e in trace.errors])
        if not trace.errors:
            assert [list(shape) for shape in trace.outputs.values()] == entry["outputs"]


def test_the_sweep_covers_the_configs_of_the_issue():
    assert {model for _, model in SWEPT} >= {
        "densenet121",
        "efficientnet_b0",
        "mobilenet_v2",
        "wide_resnet50_2",
        "convnext_tiny",
        "swin_t",
    }
    assert all(_entry(config, model)["sizes"]["range"] == list(TORCHVISION_SIZES) for config, model in SWEPT)


def test_densenet_refuses_what_torchvision_refuses():
    entry = _entry("densenet121.yaml", "densenet121")
    assert entry["sizes"]["runs"] == [[29, 320]]
    assert [r.text for r in _trace("densenet121.yaml", "densenet121", "1x3xHxH").requires] == ["H >= 29"]
    (error,) = _trace("densenet121.yaml", "densenet121", "1x3x28x28").errors
    assert error.path == "features/transition3/pool"
    assert "Output size is too small" in entry["sizes"]["refusal"]["error"]


@pytest.mark.torch
@pytest.mark.parametrize(("config", "model"), TV_CASES)
def test_the_built_model_has_torchvisions_state_dict(config, model):
    import shapecli

    entry = _entry(config, model)
    built = shapecli.load(CONFIGS / config, set={k: str(v) for k, v in entry["set"].items()}).build_torch()
    state = built.state_dict()
    assert [list(v.shape) for v in state.values()] == [
        shape for _, shape in _in_execution_order(model, entry["state_dict"])
    ]
    if config in TORCHVISION_NAMES:
        assert list(state) == [name for name, _ in entry["state_dict"]]


@pytest.mark.torch
@pytest.mark.torchvision
@pytest.mark.parametrize(("config", "model"), TV_CASES)
def test_live_torchvision_model_is_the_record_and_computes_what_the_built_model_does(config, model):
    import torch
    import torchvision

    import shapecli

    entry = _entry(config, model)
    theirs = torchvision.models.get_model(model).eval()
    assert [[name, list(v.shape)] for name, v in theirs.state_dict().items()] == entry["state_dict"]
    assert sum(p.numel() for p in theirs.parameters()) == entry["params"]
    assert sum(p.numel() for p in theirs.parameters() if p.requires_grad) == entry["trainable"]
    assert sum(b.numel() for b in theirs.buffers()) == entry["buffers"]
    if model in NOT_TORCHVISIONS_NUMBERS:
        return
    ours = shapecli.load(CONFIGS / config, set={k: str(v) for k, v in entry["set"].items()}).build_torch().eval()
    # the same tensors in the same order: torchvision's weights load by position
    ours.load_state_dict(dict(zip(ours.state_dict(), theirs.state_dict().values())))
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.torch
@pytest.mark.torchvision
@pytest.mark.parametrize(("config", "model"), SWEPT)
def test_live_torchvision_runs_where_the_record_says(config, model):
    import torch
    import torchvision

    entry = _entry(config, model)
    theirs = torchvision.models.get_model(model).eval()
    for size in _edges(entry):
        try:
            with torch.no_grad():
                theirs(torch.zeros(1, 3, size, size))
            runs = True
        except RuntimeError:
            runs = False
        assert runs == _runs(entry, size), size


@pytest.mark.torch
@pytest.mark.torchvision
@pytest.mark.parametrize(
    ("config", "model", "at"),
    AT_INPUTS,
    ids=[f"{model}-{'x'.join(map(str, at['input']))}" for _, model, at in AT_INPUTS],
)
def test_the_record_at_further_inputs_is_current(config, model, at):
    import torchvision

    theirs = torchvision.models.get_model(model).eval()
    assert RECORDER.forward(theirs, tuple(at["input"])) == (at["outputs"], at["macs"])
