"""Lints (shapecli/lints.py): located warnings with a fix, through the CLI; --strict makes them fail."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main
from shapecli.kinds import KINDS

ROOT = Path(__file__).parent.parent


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env={"COLUMNS": "120"}, catch_exceptions=False)


CASES = [
    # (id, spec, --input, convention, kind, position, message, hint)
    (
        "equated_symbols",
        # torch's LSTM is time-major: (batch, seq, 16) is read as seq steps of batch, so its h_n is
        # (1, seq, 32), and the classifier's (seq, 2) meets the (batch, 2) of another branch
        "inputs: {tokens: [batch, seq]}\nlayers:\n"
        "  - {type: Embedding, num_embeddings: 100, embedding_dim: 16}\n"
        "  - {name: lstm, type: LSTM, hidden_size: 32}\n"
        "  - {name: last, type: Select, axis: 0, index: -1, from: lstm/h_n}\n"
        "  - {name: logits, type: Dense, units: 2}\n"
        "  - {name: first, type: Select, axis: 1, index: 0, from: embedding0}\n"
        "  - {name: prior, type: Dense, units: 2}\n"
        "  - {name: both, type: Add, from: [logits, prior]}\n",
        None,
        "torch",
        "9:5",
        "Add 'both' fits only when seq == batch: it makes batch (axis 0 of input 'tokens') and seq "
        "(axis 1 of input 'tokens') one size",
        "if they are one size, declare both axes with one symbol; if not, 'both' takes one axis for the other "
        "(look at batch_first, axis, or a missing Transpose before it)",
    ),
    (
        "missing_flatten",
        "layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3}\n  - {type: ReLU}\n"
        "  - {type: MaxPool2d, kernel_size: 2}\n  - {type: BatchNorm2d}\n  - {name: fc, type: Linear, units: 10}\n",
        "2x3x32x32",
        "torch",
        "6:5",
        "Linear 'fc' receives (2, 8, 15, 15) from MaxPool2d 'pool0': it acts on the last axis only (15 features "
        "at each of the other positions) — did you forget Flatten?",
        "add {type: Flatten} before 'fc' (or a global pooling layer) to give it one vector per sample",
    ),
    (
        "concat_batch_axis",
        "inputs: {a: [B, 16], b: [B, 16]}\nlayers:\n  - {name: cat, type: Concat, axis: 0, from: [a, b]}\n",
        None,
        "torch",
        "3:5",
        "Concat 'cat' joins (B, 16) and (B, 16) along axis 0, the batch axis, giving (2*B, 16): the samples of "
        "the batch, not their features, are stacked",
        "to join the features or channels, set axis: 1 (axis 0 is only right for a time-major sequence, where it "
        "is the time axis)",
    ),
    (
        "norm_input_dependent",
        "inputs: {x: [batch, seq, 64]}\nlayers:\n  - {name: bn, type: BatchNorm1d}\n",
        None,
        "torch",
        "3:5",
        "BatchNorm1d 'bn' normalizes an axis of size seq, an input size: its weight, bias, running_mean, "
        "running_var (seq,) would change with the input",
        "BatchNorm1d normalizes the channel axis (axis 1): put the channels there (a Transpose or Permute before "
        "it), or set axis: to the channel axis; for (batch, seq, features) use LayerNorm",
    ),
    (
        "norm_input_dependent_layernorm",
        "inputs: {x: [batch, 64, seq]}\nlayers:\n  - {name: ln, type: LayerNorm}\n",
        None,
        "torch",
        "3:5",
        "LayerNorm 'ln' normalizes an axis of size seq, an input size: its weight, bias (seq,) would change with "
        "the input",
        "LayerNorm normalizes the last axes: give normalized_shape: [features] for the feature axis, and put the "
        "features last (not a sequence or spatial size)",
    ),
    (
        "channels_layout",
        "inputs: {image: [8, 224, 224, 3]}\nlayers:\n  - {name: conv, type: Conv2d, filters: 16, kernel_size: 3}\n",
        None,
        "torch",
        "3:5",
        "input 'image' (8, 224, 224, 3) looks channels-last (3 channels at the end), but Conv2d 'conv' reads "
        "channels first (torch convention): it takes 224 as the channels",
        "give the input as (8, 3, 224, 224); for a Keras spec use --convention keras (or convention: keras in the "
        "spec); or set data_format: channels_last on 'conv'",
    ),
    (
        "channels_layout_keras",
        "inputs: {image: [batch, 3, H, W]}\nlayers:\n  - {name: conv, type: Conv2D, filters: 16, kernel_size: 3}\n",
        None,
        "keras",
        "3:5",
        "input 'image' (batch, 3, H, W) looks channels-first (3 channels on axis 1), but Conv2d 'conv' reads "
        "channels last (keras convention): it takes W as the channels",
        "give the input as (batch, H, W, 3); for a PyTorch spec use --convention torch (or convention: torch in "
        "the spec); or set data_format: channels_first on 'conv'",
    ),
]


@pytest.mark.parametrize("name, spec, given, convention, position, message, hint", CASES, ids=[c[0] for c in CASES])
def test_lint(tmp_path, name, spec, given, convention, position, message, hint):
    path = tmp_path / "spec.yaml"
    path.write_text(spec)
    args = ["-c", convention] + (["-i", given] if given else [])
    kind = name.removesuffix("_layernorm").removesuffix("_keras")
    result = invoke("inspect", str(path), *args)
    assert result.exit_code == 0, result.output  # a lint warns: the shapes fit
    assert f"{path}:{position}: warning: {message}" in result.stderr
    assert f"hint: {hint}" in result.stderr
    doc = json.loads(invoke("inspect", str(path), *args, "-f", "json").stdout)
    (found,) = [w for w in doc["warnings"] if w["kind"] == kind]
    assert found["code"] == KINDS[kind].code and found["severity"] == "warning"
    assert f"{found['line']}:{found['column']}" == position
    checked = ["check", str(path), "-c", convention] + (["-i", given] if given else [])
    assert invoke(*checked).exit_code == 0
    strict = invoke(*checked, "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.startswith(f"FAIL  {path}")


def test_a_normalization_is_reported_once_not_once_per_parameter(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("inputs: {x: [batch, seq, 64]}\nlayers:\n  - {name: bn, type: BatchNorm1d}\n")
    doc = json.loads(invoke("inspect", str(path), "-f", "json").stdout)
    assert [w["kind"] for w in doc["warnings"]] == ["norm_input_dependent"]
    # the parameters are still listed as input-dependent, and a Dense keeps its own warning
    assert doc["input_dependent_params"] == ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
    path.write_text("inputs: {x: [batch, seq]}\nlayers:\n  - {name: fc, type: Dense, units: 4}\n")
    doc = json.loads(invoke("inspect", str(path), "-f", "json").stdout)
    assert [w["kind"] for w in doc["warnings"]] == ["input_dependent_param"]
    assert "fix the size with an adaptive pooling layer" in doc["warnings"][0]["hint"]


@pytest.mark.parametrize(
    "spec, given",
    [
        (
            "layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3}\n  - {type: Flatten}\n"
            "  - {type: Dense, units: 4}\n",
            "2x3x16x16",
        ),
        (
            "layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3}\n  - {type: GlobalAvgPool2d}\n"
            "  - {type: Dense, units: 4}\n",
            "2x3x16x16",
        ),
        ("layers:\n  - {type: Dense, units: 8}\n  - {type: Dense, units: 4}\n", "2x7x16"),
        ("layers:\n  - {type: Concat, from: [x, x]}\n", "2x3"),
        ("layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3}\n", "8x3x224x224"),
        ("layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3}\n", "8x3x3x3"),
        ("inputs: {x: [batch, seq, 64]}\nlayers:\n  - {type: LayerNorm, normalized_shape: [64]}\n", None),
        ("inputs: {a: [B, 4], b: [B, 4]}\nlayers:\n  - {type: Add, from: [a, b]}\n", None),
    ],
)
def test_no_lint_on_models_that_are_meant(tmp_path, spec, given):
    path = tmp_path / "spec.yaml"
    path.write_text(spec)
    result = invoke("inspect", str(path), *(["-i", given] if given else []))
    assert result.exit_code == 0
    assert result.stderr == ""


def test_the_shipped_configs_have_no_lint():
    result = CliRunner().invoke(main, ["check", str(ROOT / "configs"), "--strict"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def test_tabs_in_yaml_are_named(tmp_path):
    path = tmp_path / "tabs.yaml"
    path.write_text("layers:\n\t- {type: Dense, units: 3}\n")
    result = invoke("inspect", str(path), "-i", "2x3")
    assert result.exit_code == 2
    assert f"{path}:2:1: error: tabs are not allowed for indentation in YAML" in result.stderr
    assert "hint: indent with spaces" in result.stderr
    assert "cannot start any token" not in result.stderr
    path.write_text("layers:\n  - type: Dense\n  \t  units: 3\n")
    assert f"{path}:3:3: error: tabs are not allowed" in invoke("inspect", str(path), "-i", "2x3").stderr
    path.write_text("layers:\n  - {type: Dense,\tunits: 3}\n")  # a tab between tokens is whitespace
    assert invoke("inspect", str(path), "-i", "2x3").exit_code == 0


def test_every_lint_kind_is_a_warning_in_the_table():
    for kind in ("equated_symbols", "missing_flatten", "concat_batch_axis", "norm_input_dependent", "channels_layout"):
        assert KINDS[kind].severity == "warning" and KINDS[kind].code.startswith("W2")


README = ROOT / "README.md"
KINDS_BLOCK = re.compile(r"(<!-- kinds:begin -->\n)(.*?)(<!-- kinds:end -->)", re.S)


def test_readme_lists_every_kind(request):
    from shapecli.kinds import markdown

    text = README.read_text()
    match = KINDS_BLOCK.search(text)
    assert match, "README has no <!-- kinds:begin --> … <!-- kinds:end --> block"
    if request.config.getoption("--update-golden"):
        README.write_text(text[: match.start(2)] + markdown() + text[match.end(2) :])
        return
    assert match.group(2) == markdown(), "the README's table of kinds is stale: run pytest --update-golden"
