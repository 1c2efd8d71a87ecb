"""`shapecli import torch`: PyTorch models → specs, checked against PyTorch itself.

Every imported spec is loaded and inferred by shapecli and compared with the
model PyTorch builds: state_dict names and shapes, parameter count, and the
output shapes of a forward pass on zeros.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from shapecli.cli import main
from shapecli.dims import parse_shape
from shapecli.infer import infer
from shapecli.spec import load_model

pytestmark = pytest.mark.torch

MODELS = "tests.import_models"

# (callable, --input values): imports that must succeed.
CASES = [
    ("MLP", ["2x20"]),
    ("SmallResNet", ["2x3x32x32"]),
    ("CatNet", ["2x3x16x16"]),
    ("LSTMClassifier", ["tokens=2x7"]),
    ("Residuals", ["2x8"]),
    ("Tower", ["2x5x16"]),
    ("TwoInputs", ["query=3x12", "doc=3x12"]),
    ("ChannelShuffle", ["2x4x6x6"]),
    ("INSTANCE", ["2x20"]),
    ("DenseStack", ["2x4x5x5"]),
]


def _given(inputs: list[str]) -> list[tuple]:
    result = []
    for value in inputs:
        name, _, shape = value.rpartition("=")
        result.append((name or None, parse_shape(shape)))
    return result


def _import(target: str, inputs: list[str], kwargs: dict | None = None):
    from shapecli.importers.torch_import import import_torch

    return import_torch(f"{MODELS}:{target}", json.dumps(kwargs) if kwargs else None, _given(inputs))


def _build(target: str, kwargs: dict | None = None):
    import tests.import_models as models

    found = getattr(models, target)
    return found if isinstance(found, models.nn.Module) else found(**(kwargs or {}))


def _torch_truth(model, inputs: list[str]) -> dict:
    """What PyTorch says: state_dict shapes, parameter count, output shapes of a run on zeros."""
    import torch

    tensors = []
    for value in inputs:
        shape = tuple(int(d) for d in value.rpartition("=")[2].split("x"))
        embedded = isinstance(getattr(model, "embedding", None), torch.nn.Embedding)
        if isinstance(getattr(model, "layer", None), torch.nn.Embedding):
            embedded = True
        tensors.append(torch.zeros(shape, dtype=torch.long if embedded else torch.float32))
    model.eval()
    with torch.no_grad():
        out = model(*tensors)
    flat = []

    def collect(value):
        if isinstance(value, torch.Tensor):
            flat.append(tuple(value.shape))
        elif isinstance(value, (tuple, list)):
            for v in value:
                collect(v)

    collect(out)
    return {
        "state": {k: tuple(v.shape) for k, v in model.state_dict().items()},
        "params": sum(p.numel() for p in model.parameters()),
        "outputs": flat,
    }


def _shapecli_view(text: str, inputs: list[str]) -> dict:
    """What shapecli infers from the spec text at the same inputs."""
    trace = infer(load_model(text, "<imported>", "torch"), _given(inputs))
    assert not trace.errors, [e.message for e in trace.errors]
    state = {p.name: tuple(p.after) for layer in trace.layers for p in layer.params if p.shared_with is None}
    return {"state": state, "params": trace.totals.params, "outputs": [tuple(s) for s in trace.outputs.values()]}


@pytest.mark.parametrize(("target", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_imported_spec_equals_the_model(target, inputs):
    text = _import(target, inputs).text
    assert _shapecli_view(text, inputs) == _torch_truth(_build(target), inputs)


# Every mapped module class, imported inside a one-module model (tests.import_models:single).
SINGLE_CASES = [
    ("linear", "2x3x6"),
    ("conv1d", "2x3x17"),
    ("conv2d", "2x4x11x12"),
    ("conv2d_same", "1x3x9x9"),
    ("conv3d", "1x2x5x6x7"),
    ("conv_transpose1d", "2x3x7"),
    ("conv_transpose2d", "1x4x5x5"),
    ("batch_norm1d", "4x5x3"),
    ("batch_norm2d", "2x3x4x4"),
    ("sync_batch_norm", "2x3x4x4"),
    ("instance_norm2d", "2x3x5x5"),
    ("layer_norm", "2x3x4x5"),
    ("group_norm", "2x6x3"),
    ("rms_norm", "2x7"),
    ("local_response_norm", "1x4x5x5"),
    ("prelu", "2x3x4"),
    ("embedding", "2x5"),
    ("lstm", "5x2x6"),
    ("gru", "2x4x6"),
    ("rnn", "3x2x4"),
    ("attention", "2x5x8"),
    ("encoder_layer", "5x2x8"),
    *[
        (name, "2x6x4")
        for name in [
            "relu6",
            "leaky_relu",
            "elu",
            "celu",
            "selu",
            "gelu",
            "silu",
            "mish",
            "sigmoid",
            "tanh",
            "hardswish",
            "hardsigmoid",
            "hardtanh",
            "softplus",
            "softsign",
            "softshrink",
            "hardshrink",
            "tanhshrink",
            "threshold",
            "log_sigmoid",
            "softmax",
            "log_softmax",
            "softmin",
            "glu",
            "identity",
            "dropout",
            "dropout1d",
            "alpha_dropout",
            "flatten",
            "unflatten",
            "max_pool1d",
            "avg_pool1d",
            "adaptive_max_pool1d",
        ]
    ],
    ("dropout2d", "2x3x4x4"),
    ("max_pool2d", "1x2x10x11"),
    ("max_pool3d", "1x2x9x9x9"),
    ("avg_pool2d", "1x2x10x11"),
    ("adaptive_avg_pool2d", "1x2x10x11"),
    ("adaptive_avg_pool3d", "1x2x5x6x7"),
    ("upsample", "1x2x5x6"),
    ("upsampling_nearest2d", "1x2x3x3"),
    ("upsampling_bilinear2d", "1x2x4x6"),
    ("zero_pad2d", "1x2x3x3"),
    ("constant_pad1d", "2x3x4"),
    ("reflection_pad2d", "1x2x3x3"),
    ("replication_pad3d", "1x2x3x3x3"),
]


@pytest.mark.parametrize(("case", "shape"), SINGLE_CASES, ids=[c[0] for c in SINGLE_CASES])
def test_each_module_maps_exactly(case, shape):
    text = _import("single", [shape], {"case": case}).text
    assert _shapecli_view(text, [shape]) == _torch_truth(_build("single", {"case": case}), [shape])


# Module configurations (and classes) with no spec equivalent: the message names the module and why.
REFUSED_CASES = [
    ("gelu_tanh", "approximate='tanh' (only 'none': the tanh approximation is another function)"),
    ("softmax_no_dim", "dim=None (an implicit, deprecated axis choice; give dim)"),
    ("batch_norm_cumulative", "momentum=None (a cumulative average; the layer type takes a number)"),
    ("max_pool_indices", "return_indices=True (the layer type has one output)"),
    ("avg_pool_divisor", "divisor_override=3 (the layer type has none)"),
    ("embedding_max_norm", "max_norm=1.0 (only None: the layer type does not renormalize)"),
    ("lrn_alpha", "alpha=0.001 (only 0.0001: the layer type has no alpha)"),
    ("softplus_beta", "beta=2.0 (only 1.0: the layer type has no beta)"),
    ("pixel_shuffle", "no shapecli layer type does this yet"),
    ("lazy_linear", "an uninitialized lazy module: run one forward pass first"),
    ("lstm_cell", "no shapecli layer type does this yet (a single recurrent step)"),
    ("encoder", "its forward checks tensor properties (the fast path) that torch.fx cannot follow"),
    ("cosine", "no shapecli layer type does this yet"),
]


SHAPES = {"lstm_cell": "2x4", "encoder": "3x2x8", "embedding_max_norm": "2x3", "batch_norm_cumulative": "2x3x4x4"}
"""Inputs the refused modules run on (the model runs before it is converted)."""


@pytest.mark.parametrize(("case", "reason"), REFUSED_CASES, ids=[c[0] for c in REFUSED_CASES])
def test_refused_modules_are_reported(case, reason):
    args = ["--kwargs", json.dumps({"case": case})]
    if case not in ("cosine", "lazy_linear"):  # a lazy module that runs becomes an initialized one
        args += ["--input", SHAPES.get(case, "2x4x4x4")]
    result = _cli("torch", f"{MODELS}:single", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert re.search(r"module 'layer' \(torch\.nn\.\w+\): ", result.stderr), result.stderr
    assert reason in result.stderr


def _cli(*args):
    return CliRunner().invoke(main, ["import", *args])


def _normalized(text: str) -> str:
    return re.sub(r"with torch \S+:", "with torch VERSION:", text)


@pytest.mark.parametrize(
    ("target", "inputs"),
    [
        ("MLP", ["2x20"]),
        ("SmallResNet", ["2x3x32x32"]),
        ("Residuals", ["2x8"]),
        ("TwoInputs", ["query=3x12", "doc=3x12"]),
    ],
)
def test_spec_text(golden, target, inputs):
    golden(f"import_torch_{target}.yaml", _normalized(_import(target, inputs).text))


def test_resnet_blocks_repeat_and_parameters():
    text = _import("SmallResNet", ["2x3x32x32"]).text
    assert "  - {name: layer1, type: BasicBlock, out_channels: 16, repeat: 2}" in text
    assert "  - {name: layer2, type: Layer2, out_channels: 32}" in text
    assert "      - {name: relu_1, share: relu}" in text


def test_a_merge_of_a_blocks_inputs_moves_in_front_of_it():
    """DenseNet's layers concatenate a growing list: with the concatenation outside, they share one block."""
    text = _import("DenseStack", ["2x4x5x5"]).text
    assert text.count("# tests.import_models.DenseLayer") == 1
    assert "      - {name: cat, type: Concat, dim: 1, from: [x, dense0]}" in text
    assert "      - {name: dense1, type: DenseLayer}" in text


def test_cli_writes_the_spec_and_says_what_was_checked(tmp_path):
    out = tmp_path / "mlp.yaml"
    result = _cli("torch", f"{MODELS}:MLP", "--input", "2x20", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "shapecli: checked at x=2x20: 1,994 parameters, 0 buffers, 4 state_dict entries and 3 layer output shapes "
        "equal the model's; output (2, 10)\n"
    )
    assert out.read_text().startswith(f"# Imported from {MODELS}:MLP (tests.import_models.MLP) by shapecli")
    inspected = CliRunner().invoke(main, ["inspect", str(out), "--input", "2x20", "--format", "json"])
    assert json.loads(inspected.stdout)["totals"]["params"] == 1994


def test_without_input_the_spec_is_written_unchecked():
    result = _cli("torch", f"{MODELS}:SmallResNet")
    assert result.exit_code == 0, result.output
    assert "check:" not in result.stdout
    assert "  - {name: layer1, type: BasicBlock, out_channels: 16, repeat: 2}" in result.stdout
    assert result.stderr == "shapecli: not checked against the model: give --input to run it and compare\n"


def test_kwargs_reach_the_callable():
    text = _import("MLP", ["2x20"], {"hidden": 7, "classes": 3}).text
    assert "  - {name: fc1, type: Linear, out_features: 7}" in text
    assert "  - {name: fc2, type: Linear, out_features: 3}" in text


def test_untraceable_model():
    result = _cli("torch", f"{MODELS}:Untraceable", "--input", "2x4")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"shapecli: error: tracing {MODELS}:Untraceable with torch.fx failed: TraceError: symbolically traced "
        "variables cannot be used as inputs to control flow (at "
    )
    assert "import_models.py:" in result.stderr
    assert "in forward: if x.sum() > 0:)" in result.stderr
    assert "data-dependent control flow" in result.stderr


def test_every_unmappable_part_is_reported():
    result = _cli("torch", f"{MODELS}:Unmappable", "--input", "2x4")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert (
        lines[0] == f"shapecli: error: cannot import {MODELS}:Unmappable: 4 parts of the model have no spec equivalent"
    )
    assert lines[1].startswith("  get_attr self.scale in Unmappable.forward (")
    assert lines[1].endswith(
        "`y = self.fc(x) * self.scale`): a standalone parameter of shape (8,), used directly by the forward; "
        "the spec language has no Parameter layer type yet"
    )
    assert "operator.mul() in Unmappable.forward" in lines[2]
    assert lines[2].endswith(
        "`y = torch.cumsum(y * 2.0, dim=1)`): combines a tensor with the constant 2.0; the spec language has no "
        "layer for arithmetic with a constant"
    )
    assert lines[3].endswith("no mapping for the function torch.cumsum")
    assert lines[4] == "  module 'shuffle' (torch.nn.PixelShuffle): no shapecli layer type does this yet"
    assert len(lines) == 5


def test_a_block_called_twice_is_refused():
    result = _cli("torch", f"{MODELS}:CalledTwice", "--input", "2x4")
    assert result.exit_code == 2
    assert (
        "  module 'block' (torch.nn.Sequential): runs more than once; a spec applies a single layer again "
        "(share:), not a whole block" in result.stderr
    )


def test_parameters_the_forward_never_uses():
    result = _cli("torch", f"{MODELS}:UnusedHead", "--input", "2x4")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "  module 'aux' (torch.nn.Linear): holds aux.weight, aux.bias, which the traced forward never uses; "
        "a spec has only the layers that run"
    )


# Command-line and model-making errors: exit 2, one located message, never a traceback.
USAGE_ERRORS = [
    (["resnet18"], "expected MODULE:CALLABLE such as torchvision.models:resnet18, received 'resnet18'"),
    (["no_such_package.models:net"], "cannot import 'no_such_package.models': no module named 'no_such_package'"),
    ([f"{MODELS}:MPL"], f"'{MODELS}' has no attribute 'MPL' (did you mean 'MLP'?)"),
    ([f"{MODELS}:not_a_module"], f"{MODELS}:not_a_module(…) returned int, not a torch.nn.Module"),
    ([f"{MODELS}:SINGLE"], f"{MODELS}:SINGLE is dict, neither a callable nor an nn.Module"),
    ([f"{MODELS}:INSTANCE", "--kwargs", "{}", "--input", "2x20"], None),
    ([f"{MODELS}:MLP", "--kwargs", "{hidden: 3}"], "--kwargs is not valid JSON (column 2: Expecting property name"),
    (
        [f"{MODELS}:MLP", "--kwargs", "[3]"],
        "--kwargs must be a JSON object such as '{\"num_classes\": 10}', received [3]",
    ),
    ([f"{MODELS}:MLP", "--kwargs", '{"depth": 3}'], f'calling {MODELS}:MLP(**{{"depth": 3}}) failed: TypeError: '),
    ([f"{MODELS}:broken"], f"calling {MODELS}:broken(**{{}}) failed: ValueError: width 4 is not supported (at "),
    (
        [f"{MODELS}:MLP", "--input", "Bx20"],
        "--input x=(B, 20): import runs the model once, so every size must be a number",
    ),
    ([f"{MODELS}:MLP", "--input", "y=2x20"], f"--input y=…: {MODELS}:MLP's forward has no parameter 'y' (it takes x)"),
    ([f"{MODELS}:TwoInputs", "--input", "3x12"], "the forward takes query, doc: name each input, --input query=SHAPE"),
    (
        [f"{MODELS}:MLP", "--input", "2x21"],
        f"running {MODELS}:MLP on zeros (x=2x21) failed: RuntimeError: mat1 and mat2",
    ),
    ([f"{MODELS}:LSTMClassifier"], "the inputs: tokens need --input NAME=SHAPE: a spec declares each named input"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS, ids=[" ".join(a)[:40] for a, _ in USAGE_ERRORS])
def test_usage_errors(args, message):
    result = _cli("torch", *args)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output(tmp_path):
    result = _cli("torch", f"{MODELS}:MLP", "-o", str(tmp_path / "missing" / "x.yaml"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"shapecli: error: cannot write {tmp_path / 'missing' / 'x.yaml'}: ")


# The module table: every mapped class is listed here, and every refusal.
MAPPED = {
    "Linear Bilinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d BatchNorm1d BatchNorm2d "
    "BatchNorm3d SyncBatchNorm InstanceNorm1d InstanceNorm2d InstanceNorm3d LayerNorm RMSNorm GroupNorm "
    "LocalResponseNorm PReLU Embedding LSTM GRU RNN MultiheadAttention TransformerEncoderLayer "
    "TransformerDecoderLayer ReLU ReLU6 LeakyReLU ELU CELU SELU GELU SiLU Mish Sigmoid Tanh Hardswish Hardsigmoid "
    "Hardtanh Softplus Softsign Softshrink Hardshrink Tanhshrink Threshold LogSigmoid Softmax LogSoftmax Softmin GLU "
    "Identity Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout Flatten Unflatten MaxPool1d "
    "MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d "
    "AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d Upsample UpsamplingNearest2d UpsamplingBilinear2d "
    "ZeroPad1d ZeroPad2d ZeroPad3d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d ReflectionPad2d "
    "ReflectionPad3d ReplicationPad1d ReplicationPad2d ReplicationPad3d"
}
MAPPED = {f"torch.nn.{name}" for name in " ".join(MAPPED).split()} | {
    "torchvision.ops.misc.Permute",
    "torchvision.models.convnext.LayerNorm2d",
}

REFUSALS = {
    "losses": ("a loss function, not a layer of the model", [
        "AdaptiveLogSoftmaxWithLoss", "BCELoss", "BCEWithLogitsLoss", "CTCLoss", "CosineEmbeddingLoss",
        "CrossEntropyLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss",
        "LinearCrossEntropyLoss", "MSELoss", "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
        "MultiMarginLoss", "NLLLoss", "NLLLoss2d", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss",
        "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    ]),
    "lazy": ("an uninitialized lazy module", [
        "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
        "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
        "LazyInstanceNorm2d", "LazyInstanceNorm3d",
    ]),
    "untraceable": ("torch.fx cannot", ["Transformer", "TransformerEncoder", "TransformerDecoder"]),
    "no type": ("no shapecli layer type does this yet", [
        "LSTMCell", "GRUCell", "RNNCell", "EmbeddingBag", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "Fold",
        "Unfold", "CosineSimilarity", "PairwiseDistance", "CircularPad1d", "CircularPad2d", "CircularPad3d",
        "CrossMapLRN2d", "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
        "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "RReLU", "Softmax2d",
    ]),
    "wrapper": ("a wrapper for training on several devices", ["DataParallel"]),
}  # fmt: skip


def test_module_table_lists_exactly_the_mapped_classes():
    from shapecli.importers.torch_modules import MODULES

    assert set(MODULES) == MAPPED


def test_module_table_refusals():
    from shapecli.importers.torch_modules import REFUSED

    expected = {f"torch.nn.{name}": reason for reason, names in REFUSALS.values() for name in names}
    expected["torchvision.ops.stochastic_depth.StochasticDepth"] = "no shapecli layer type does this yet"
    assert set(REFUSED) == set(expected)
    for name, reason in expected.items():
        assert reason in REFUSED[name], name


def test_every_torch_nn_module_is_mapped_refused_or_a_container():
    import torch.nn as nn

    from shapecli.importers.torch_modules import CONTAINERS, MODULES, REFUSED

    bases = {"Module", "Container", "RNNBase", "RNNCellBase", "ParameterList", "ParameterDict"}
    classes = [n for n in dir(nn) if isinstance(getattr(nn, n), type) and issubclass(getattr(nn, n), nn.Module)]
    uncovered = [n for n in classes if f"torch.nn.{n}" not in {*MODULES, *REFUSED, *CONTAINERS} and n not in bases]
    assert uncovered == []


def test_every_mapped_layer_type_exists():
    from shapecli.importers.torch_modules import MODULES
    from shapecli.registry import lookup

    assert [name for name, rule in MODULES.items() if lookup(rule.layer) is None] == []


def test_function_table_targets_real_layer_types():
    """Every layer a function handler adds is a registered type (checked on the handlers' source)."""
    import inspect

    from shapecli.importers import torch_functions
    from shapecli.registry import lookup

    source = inspect.getsource(torch_functions)
    named = set(re.findall(r'ctx\.layer\(\s*"(\w+)"', source)) | set(
        re.findall(r'_(?:elementwise|activation|softmax|dropout|pool|adaptive_pool)\("(\w+)"', source)
    )
    assert named and [n for n in named if lookup(n) is None] == []
