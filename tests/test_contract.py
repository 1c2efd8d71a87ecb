"""One contract for `inspect` and `check` (issue 14): the spec's own inputs and convention, errors of
`check:` values located at those values, the totals of each file in `check`'s JSON, and the second
run of `check` on the declared symbolic inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main

ROOT = Path(__file__).parent.parent


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env={"COLUMNS": "120"}, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_inspect_without_input_uses_the_check_inputs():
    result = invoke("inspect", "configs/mlp.yaml", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["inputs"] == {"x": [2, 20]}  # configs/mlp.yaml: check: {inputs: {x: 2x20}}
    assert doc["totals"]["params"] == 7_946
    assert invoke("inspect", "configs/mlp.yaml", "-i", "3x20", "-f", "json").exit_code == 0
    assert json.loads(invoke("inspect", "configs/mlp.yaml", "-i", "3x20", "-f", "json").stdout)["inputs"] == {
        "x": [3, 20]
    }


def test_the_spec_convention_is_used_and_the_flag_overrides_it(tmp_path):
    spec = write(
        tmp_path,
        "k.yaml",
        "layers: [{type: Conv2d, filters: 4, kernel_size: 3}]\ncheck: {inputs: {x: 1x8x8x2}, convention: keras}\n",
    )
    keras = json.loads(invoke("inspect", spec, "-f", "json").stdout)
    assert keras["convention"] == "keras"
    assert keras["layers"][0]["params"][0]["name"] == "conv0/kernel"
    assert keras["layers"][0]["params"][0]["after"] == [3, 3, 2, 4]  # channels last: 2 channels
    torch = invoke("inspect", spec, "-c", "torch", "-f", "json")
    assert json.loads(torch.stdout)["convention"] == "torch"
    assert torch.exit_code == 1  # (1, 8, 8, 2) read channels first: a 3x3 window on 8x2 does not fit


def test_a_check_input_that_does_not_fit_its_declaration_is_located_at_the_check_value(tmp_path):
    spec = write(
        tmp_path,
        "s.yaml",
        "inputs: {x: [batch, 20]}\nlayers:\n  - {type: Dense, units: 4}\ncheck: {inputs: {x: 2x30}}\n",
    )
    for command in ("inspect", "check"):
        result = invoke(command, spec)
        assert result.exit_code == 1
        assert (
            f"{spec}:4:21: error: input 'x' is declared (batch, 20) but check: inputs gives (2, 30) (axis 1)"
            in result.stderr
        )
        assert "--input" not in result.stderr
        assert "note: input 'x' is declared at line 1" in result.stderr
    assert invoke("inspect", spec, "--input", "2x20").exit_code == 0


def test_a_size_from_a_check_input_is_said_to_come_from_it(tmp_path):
    spec = write(tmp_path, "s.yaml", "layers:\n  - {type: Dense, units: 4, in_units: 30}\ncheck: {inputs: {x: 2x20}}\n")
    doc = json.loads(invoke("inspect", spec, "-f", "json").stdout)
    (error,) = doc["errors"]
    assert (error["line"], error["column"]) == (2, 5)
    assert error["origins"][0]["received_from"] == {
        "what": "input 'x' from check: inputs",
        "file": spec,
        "line": 3,
        "column": 21,
    }
    given = json.loads(invoke("inspect", spec, "-i", "2x20", "-f", "json").stdout)
    assert given["errors"][0]["origins"][0]["received_from"]["what"] == "input 'x' from --input"


@pytest.mark.parametrize(
    "text, position, message",
    [
        (
            "inputs: {x: [2, 3]}\nlayers: [{type: ReLU}]\ncheck: {inputs: {y: 2x3}}\n",
            "3:18",
            "check: inputs names 'y', but the spec's inputs are x",
        ),
        (
            "inputs: {a: [2, 3], b: [2, 3]}\nlayers: [{type: Add, from: [a, b]}]\ncheck: {inputs: 2x3}\n",
            "3:17",
            "check: inputs gives one shape without a name, but the spec has inputs a, b",
        ),
        (
            "inputs: {image: [2, 3]}\nlayers: [{type: ReLU}]\ncheck: {inputs: {imgae: 2x3}}\n",
            "3:18",
            "check: inputs names 'imgae', but the spec's inputs are image",
        ),
    ],
)
def test_check_inputs_naming_no_input_are_spec_errors_at_the_key(tmp_path, text, position, message):
    spec = write(tmp_path, "s.yaml", text)
    for command in ("inspect", "check"):
        result = invoke(command, spec)
        assert result.exit_code == (2 if command == "inspect" else 1)
        assert f"{spec}:{position}: error: {message}" in result.stderr
    if "imgae" in text:
        assert "hint: did you mean 'image'?" in invoke("inspect", spec).stderr


def test_check_json_has_outputs_and_totals_per_file():
    doc = json.loads(invoke("check", "configs/", "--format", "json").stdout)
    files = {f["file"]: f for f in doc["files"]}
    # the shipped configs' parameter counts (README; tests/test_configs.py checks them against the frameworks)
    expected = {
        "configs/mlp.yaml": 7_946,
        "configs/alexnet.yaml": 61_100_840,
        "configs/resnet18.yaml": 11_689_512,
        "configs/resnet50.yaml": 25_557_032,
        "configs/bert_base.yaml": 109_482_240,
        "configs/gpt2_small.yaml": 124_439_808,
    }
    for name, params in expected.items():
        assert files[name]["totals"]["params"] == params, name
    assert files["configs/mlp.yaml"]["outputs"] == {"dense1": [2, 10]}
    assert files["configs/mlp.yaml"]["totals"]["macs"] == 15_360
    # bert_base's check: inputs are 1x64 tokens
    assert files["configs/bert_base.yaml"]["outputs"] == {"layer": [1, 64, 768], "pooler": [1, 768]}
    assert files["configs/unet.yaml"]["requires"] == ["H % 16 == 0", "W % 16 == 0"]
    assert set(files["configs/resnet18.yaml"]["totals"]) == {
        "params",
        "trainable",
        "non_trainable",
        "buffers",
        "bytes",
        "dtype",
        "macs",
        "memory",
    }
    # check's memory is inspect --memory's training total at the check inputs: float32 weights, their
    # gradients and Adam's two moments (16 bytes a parameter), BatchNorm's running statistics (4,800
    # channels, two float32 each, and 20 int64 step counters) and the activations kept for backward
    inspected = json.loads(
        invoke("inspect", "configs/resnet18.yaml", "--input", "1x3x224x224", "--memory", "-f", "json").stdout
    )
    activations = inspected["totals"]["memory"]["activations"]
    assert files["configs/resnet18.yaml"]["totals"]["memory"] == 16 * 11_689_512 + 4_800 * 2 * 4 + 20 * 8 + activations


@pytest.mark.torch
def test_buffers_count_what_pytorch_keeps_as_buffers():
    import torch

    # ResNet-18's batch normalizations: the stem, then per stage (channels, how many)
    channels = [64] + [64] * 4 + [128] * 5 + [256] * 5 + [512] * 5
    expected = sum(b.numel() for c in channels for b in torch.nn.BatchNorm2d(c).buffers())
    doc = json.loads(invoke("check", "configs/resnet18.yaml", "--format", "json").stdout)
    assert doc["files"][0]["totals"]["buffers"] == expected


BATCHNORM_ON_SEQUENCE = """\
inputs: {x: [batch, seq, 128]}
layers:
  - {name: bn, type: BatchNorm1d}
  - {name: dead, type: ReLU, from: x}
outputs: [bn]
check: {inputs: {x: 8x128x128}}
"""


def test_check_also_runs_the_declared_symbolic_inputs(tmp_path):
    spec = write(tmp_path, "bn.yaml", BATCHNORM_ON_SEQUENCE)
    relaxed = invoke("check", spec)
    assert relaxed.exit_code == 0
    assert relaxed.stdout.splitlines()[0] == f"ok    {spec}  (0 errors, 2 warnings)"
    assert (
        f"{spec}:3:5: warning: BatchNorm1d 'bn' normalizes an axis of size seq, an input size: its weight, bias, "
        "running_mean, running_var (seq,) would change with the input" in relaxed.stderr
    )
    assert "note: found with the declared inputs (x (batch, seq, 128)), not with the inputs checked" in relaxed.stderr
    assert relaxed.stderr.count("layer 'dead' is not used") == 1  # both runs find it; reported once
    assert invoke("check", spec, "--strict").exit_code == 1
    doc = json.loads(invoke("check", spec, "--format", "json").stdout)
    assert [w["kind"] for w in doc["files"][0]["warnings"]] == ["unused", "norm_input_dependent"]
    # without concrete inputs there is one run, on the declared inputs
    declared = write(tmp_path, "declared.yaml", BATCHNORM_ON_SEQUENCE.replace("check: {inputs: {x: 8x128x128}}\n", ""))
    assert invoke("check", declared).stderr.count("normalizes an axis of size seq") == 1


def test_a_condition_tying_two_input_sizes_fails_check_strict(tmp_path):
    # the LSTM (time-major in torch) takes the batch for the sequence; with a check input where the two
    # sizes happen to be equal the concrete run passes, and the run on the declared inputs tells
    spec = write(
        tmp_path,
        "lstm.yaml",
        "inputs: {tokens: [batch, seq]}\nlayers:\n"
        "  - {type: Embedding, num_embeddings: 100, embedding_dim: 16}\n"
        "  - {name: lstm, type: LSTM, hidden_size: 32}\n"
        "  - {name: last, type: Select, axis: 0, index: -1, from: lstm/h_n}\n"
        "  - {name: logits, type: Dense, units: 2}\n"
        "  - {name: first, type: Select, axis: 1, index: 0, from: embedding0}\n"
        "  - {name: prior, type: Dense, units: 2}\n"
        "  - {name: both, type: Add, from: [logits, prior]}\n"
        "check: {inputs: {tokens: 8x8}}\n",
    )
    assert invoke("check", spec).exit_code == 0
    strict = invoke("check", spec, "--strict")
    assert strict.exit_code == 1
    assert f"{spec}:9:5: warning: Add 'both' fits only when seq == batch" in strict.stderr
    assert json.loads(invoke("check", spec, "-f", "json").stdout)["files"][0]["requires"] == ["seq == batch"]
