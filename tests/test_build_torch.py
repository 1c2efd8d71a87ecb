"""build_torch against inference: every shipped config and every PyTorch case of the
reference grid is built with real torch.nn layers and run on zeros; its parameters (names,
shapes, order, requires_grad), buffers, every layer's output shape and the MACs of
PyTorch's flop counter equal what shapecli infers. Then the graph features one by one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import shapecli
from shapecli.api import _given
from shapecli.registry import index_model_inputs

from .helpers import BUILD_INPUTS
from .test_backends import _accepted, _spec

pytestmark = pytest.mark.torch
ROOT = Path(__file__).parent.parent

NOT_COUNTED = {"RNN", "LSTM", "GRU", "Bilinear"}
"""Layer types whose MACs PyTorch's flop counter may not see: its fused recurrent kernels (it
sees an unbatched RNN, which runs step by step), and `torch.bilinear` (aten._trilinear, which
it has no formula for). Where it sees them, they are compared too. It does not see a MatMul
whose second operand is a vector either (aten.mv and aten.dot have no formula)."""


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def zeros(plan):
    """Zeros for each input of a plan (longs for an input an Embedding reads)."""
    import torch

    tensors = []
    for name, shape in plan.trace.inputs.items():
        indices = name in index_model_inputs([s.node for s in plan.steps], plan.trace.inputs)
        tensors.append(torch.zeros(shape, dtype=torch.long if indices else torch.float32))
    return tensors


def counted_run(model, inputs):
    """Run the model under PyTorch's flop counter: (every layer's outputs, flops by module).

    Training mode, so that attention takes the composite path (in evaluation mode PyTorch
    fuses all of it); attention whose weights nothing takes runs the fused CPU kernel for its
    scores, counted with PyTorch's formula for its fused kernels; batch normalization in evaluation mode, so that
    a batch of one with 1x1 maps works."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

    def cpu_fused_attention(query, key, value, *args, out_shape=None, **kwargs) -> int:
        # PyTorch's own formula for its fused attention kernels, which its table does not
        # register for the CPU one (what attention without weights runs here)
        return sdpa_flop_count(query, key, value)

    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eval()
    fused = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: cpu_fused_attention}
    with FlopCounterMode(display=False, custom_mapping=fused) as counter:
        outputs = model.forward_all(*inputs)
    flops = {name: sum(counts.values()) for name, counts in counter.get_flop_counts().items()}
    return outputs, flops


def check_against_inference(model, plan) -> None:
    """The built model's parameters, buffers, outputs and MACs against the plan's trace."""
    import torch

    params = [p for layer in plan.trace.layers for p in layer.params]
    expected_parameters = [(p.name, p.after, p.trainable) for p in params if not p.buffer and not p.shared_with]
    assert [(n, tuple(t.shape), t.requires_grad) for n, t in model.named_parameters()] == expected_parameters
    assert [(n, tuple(t.shape)) for n, t in model.named_buffers()] == [
        (p.name, p.after) for p in params if p.buffer and not p.shared_with
    ]
    assert [(n, tuple(t.shape)) for n, t in model.state_dict().items()] == [(p.name, p.after) for p in params]
    assert sum(p.numel() for p in model.parameters()) == plan.trace.totals.params

    hooked = {}
    for step in plan.steps:
        make = step.make
        if make is not None and getattr(make, "call", None) == "{m}({args})" and not make.post and not make.unpack:
            module = model.get_submodule(step.node.path.replace("/", "."))
            module.register_forward_hook(lambda m, args, out, path=step.node.path: hooked.setdefault(path, out))
    outputs, flops = counted_run(model, zeros(plan))
    for step in plan.steps:
        # an output nothing takes may be left uncomputed (attention's weights: need_weights=False)
        shapes = [
            None if t is None and i not in step.view.used else tuple(t.shape)
            for i, t in enumerate(outputs[step.node.path])
        ]
        assert shapes == [tuple(s) if shapes[i] is not None else None for i, s in enumerate(step.view.outs)], (
            step.node.path
        )
        if step.node.path in hooked:
            assert tuple(hooked[step.node.path].shape) == shapes[0], step.node.path

    root = type(model).__name__

    def seen(step) -> bool:
        kind = step.node.layer.type_name
        if kind == "MatMul":  # a matrix-vector or dot product: aten.mv / aten.dot
            return len(step.view.ins[1]) > 1
        return kind not in NOT_COUNTED or flops.get(f"{root}.{step.node.path.replace('/', '.')}", 0) > 0

    assert flops.get("Global", 0) // 2 == sum(s.info.macs for s in plan.steps if seen(s))
    shared = {s.node.owner for s in plan.steps if s.node.owner is not None}
    for step in plan.steps:
        name = f"{root}.{step.node.path.replace('/', '.')}"
        if name in flops and step.node.id not in shared:
            assert flops[name] // 2 == step.info.macs, step.node.path
    assert torch.is_tensor(next(iter(outputs.values()))[0])


@pytest.mark.parametrize("config", sorted(BUILD_INPUTS))
def test_every_config_builds_as_inferred(config):
    spec = shapecli.load(f"configs/{config}")
    inputs = BUILD_INPUTS[config]
    model = shapecli.build_torch(spec, inputs)
    check_against_inference(model, spec._plan("torch", _given(inputs, {})))


@pytest.mark.parametrize("index", range(len(_accepted("torch"))))
def test_every_reference_case_builds_as_recorded(index):
    """Each PyTorch case of tests/reference/torch.json as a one-layer spec (with all the
    layer's outputs as the model's): the built layer's parameter names and shapes, outputs
    and MACs are those PyTorch recorded."""
    record = _accepted("torch")[index]
    node = shapecli.load(_spec(record))._model.nodes[0]
    outputs = [f"layer/{name}" for name in node.layer.output_names(node.cfg)]
    spec = shapecli.load(_spec(record) + f"outputs: {outputs}\n")
    model = shapecli.build_torch(spec)
    plan = spec._plan("torch", [])
    check_against_inference(model, plan)
    assert [(k, list(v.shape)) for k, v in model.state_dict().items()] == [
        (f"layer.{p['name']}" if p["name"] else "layer", p["shape"]) for p in record["params"]
    ]
    outputs, flops = counted_run(model, zeros(plan))
    assert [list(t.shape) for t in outputs["layer"]] == record["outputs"]
    if record["macs"] is not None:
        assert flops["Global"] // 2 == record["macs"] == plan.trace.totals.macs


def test_the_headline():
    code = (
        "import shapecli; m = shapecli.build_torch('configs/resnet50.yaml'); "
        "print(sum(p.numel() for p in m.parameters()))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "25557032\n"


def test_blocks_are_modules_and_repeats_module_lists():
    import torch
    from torch import nn

    model = shapecli.build_torch("configs/resnet50.yaml")
    assert type(model).__name__ == "Resnet50"
    assert type(model.layer2).__name__ == "Stage"
    assert type(model.layer2.get_submodule("0")).__name__ == "DownBottleneck"
    assert isinstance(model.layer2.rest, nn.ModuleList) and len(model.layer2.rest) == 3
    assert isinstance(model.layer2.rest[0].conv1, nn.Conv2d)
    model.eval()
    x = torch.randn(1, 256, 8, 8)
    with torch.no_grad():
        direct = model.layer2(x)
        by_hand = model.layer2.rest[2](model.layer2.rest[1](model.layer2.rest[0](model.layer2.get_submodule("0")(x))))
    assert torch.equal(direct, by_hand)


def test_share_applies_the_same_module_and_tie_the_same_parameter():
    siamese = shapecli.build_torch("configs/siamese.yaml", query=(2, 20), doc=(2, 20))
    assert siamese.enc_d is siamese.enc_q
    assert "enc_d.weight" in siamese.state_dict() and sum(p.numel() for p in siamese.parameters()) == 2945
    gpt2 = shapecli.build_torch("configs/gpt2_small.yaml")
    assert gpt2.lm_head.weight is gpt2.wte.weight
    assert sum(p.numel() for p in gpt2.parameters()) == 124_439_808


def test_a_transposed_tie_is_the_transpose_of_the_same_parameter():
    import torch

    text = (
        "inputs: {x: [2, 12]}\nlayers:\n"
        "  - {name: encoder, type: Dense, units: 4}\n"
        "  - {name: decoder, type: Dense, units: 12, use_bias: false, tie: encoder}\n"
    )
    model = shapecli.build_torch(text)
    assert [n for n, _ in model.named_parameters()] == ["encoder.weight", "encoder.bias"]
    state = model.state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "encoder.weight": (4, 12),
        "encoder.bias": (4,),
        "decoder.weight": (12, 4),
    }
    x = torch.randn(2, 12)
    with torch.no_grad():
        model.encoder.weight.mul_(2)
        out = model(x)
    expected = (x @ model.encoder.weight.T + model.encoder.bias) @ model.encoder.weight
    assert torch.allclose(out, expected)
    model.load_state_dict(state)


def test_several_inputs_and_outputs_by_position_or_name():
    import torch

    model = shapecli.build_torch("configs/bert_base.yaml").eval()
    ids = torch.zeros(2, 8, dtype=torch.long)
    with torch.no_grad():
        layer, pooler = model(ids, ids)
        again = model(input_ids=ids, token_type_ids=ids)
    assert tuple(layer.shape) == (2, 8, 768) and tuple(pooler.shape) == (2, 768)
    assert torch.equal(again[1], pooler)
    with pytest.raises(TypeError, match="Bert_base|BertBase"):
        model(ids)
    with pytest.raises(TypeError, match="unexpected or repeated input 'tokens'"):
        model(ids, tokens=ids)


def test_the_reference_records_are_those_of_pytorch_2_13():
    import torch

    assert json.loads((ROOT / "tests" / "reference" / "torch.json").read_text())["version"].startswith("2.13")
    assert torch.__version__.startswith("2.13")


INITIALIZED = """\
inputs: {x: [B, 20]}
init: {bias: "constant(0.25)"}
blocks:
  Rec:
    init: "orthogonal(gain=2)"
    layers:
      - {name: lstm, type: LSTM, hidden_size: 8, batch_first: true, recurrent_init: "constant(0.5)"}
layers:
  - {name: d0, type: Dense, units: 16, weight_init: "constant(0.125)"}
  - {name: bn, type: BatchNorm1d, gamma_init: "constant(3)"}
  - {name: fold, type: Reshape, shape: [4, 4]}
  - {name: r, type: Rec}
  - {name: d1, type: Dense, units: 5, from: r}
  - {name: d2, share: d1, from: r}
"""


def _initialized():
    import torch

    torch.manual_seed(0)
    return dict(shapecli.build_torch(INITIALIZED, x=(2, 20)).named_parameters())


@pytest.mark.parametrize(
    "name, value, why",
    [
        ("d0.weight", 0.125, "the layer's weight_init"),
        ("d0.bias", 0.25, "the top-level init: for the bias role"),
        ("bn.weight", 3.0, "gamma_init: PyTorch's norm weight is the gamma role"),
        ("bn.bias", 0.0, "beta keeps BatchNorm's default: the top-level bias does not name beta"),
        ("r.lstm.weight_hh_l0", 0.5, "the layer's recurrent_init wins over the block's init:"),
        ("r.lstm.bias_ih_l0", 0.25, "the top-level init: reaches inside blocks"),
        ("r.lstm.bias_hh_l0", 0.25, "every bias of the layer"),
        ("d1.bias", 0.25, "a shared layer's parameters once, by their owner"),
    ],
)
def test_the_spec_initializers_are_applied_where_the_spec_names_them(name, value, why):
    parameter = _initialized()[name].detach()
    assert parameter.eq(value).all(), why


def test_an_initializer_draws_from_pytorch_s_generator_with_pytorch_s_fans():
    import torch

    parameters = _initialized()
    w = parameters["r.lstm.weight_ih_l0"].detach()  # (32, 4): orthogonal columns times gain 2
    assert torch.allclose(w.T @ w, 4 * torch.eye(4), atol=1e-5)
    d1 = parameters["d1.weight"].detach()  # no initializer named: nn.Linear's U(±1/√fan_in)
    assert d1.abs().max() <= 1 / 8**0.5 and d1.unique().numel() == d1.numel()
    assert all(torch.equal(a, b) for a, b in zip(parameters.values(), _initialized().values()))  # manual_seed

    torch.manual_seed(0)
    spec = "inputs: {x: [1, 64, 9, 9]}\nlayers:\n"
    spec += "  - {name: c, type: Conv2d, out_channels: 128, kernel_size: 3,\n"
    spec += '     weight_init: "kaiming_normal(mode=fan_out, nonlinearity=relu)"}\n'
    weight = shapecli.build_torch(spec).c.weight.detach()  # std √(2 / fan_out), fan_out = 128·3·3
    assert abs(float(weight.std()) / (2 / (128 * 9)) ** 0.5 - 1) < 0.02
    assert abs(float(weight.mean())) < 0.002


def test_an_initializer_pytorch_refuses_for_a_parameter_is_a_located_build_error():
    spec = "inputs: {x: [2, 20]}\nlayers:\n  - {name: d0, type: Dense, units: 16, bias_init: xavier_uniform}\n"
    with pytest.raises(shapecli.BuildError) as caught:
        shapecli.build_torch(spec)
    assert caught.value.diagnostics[0].kind == "build_error"
    assert str(caught.value).splitlines()[0] == (
        "<text>:3:5: error: xavier_uniform cannot initialize d0.bias (16,): PyTorch says: "
        "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
    )
