"""Memory through the command line: the Memory section, --memory, --budget/--solve, JSON, check's max_memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main

ROOT = Path(__file__).parent.parent


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env={"COLUMNS": "200"}, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def _from(text: str, title: str) -> str:
    """The output from the line starting with `title` on."""
    return text[text.index(title) :]


def test_done_when_resnet50_memory_section_and_largest_batch(golden):
    result = invoke("inspect", "configs/resnet50.yaml", "--input", "Bx3x224x224", "--budget", "24GiB")
    assert result.exit_code == 0, result.output
    assert "B ≤ 295 fits 24 GiB for training with adam (float32)" in result.stdout
    golden("memory_resnet50_budget.txt", _from(result.stdout, "Memory ("))


def test_per_layer_memory_and_an_amp_budget_in_decimal_units(golden):
    result = invoke(
        "inspect",
        "configs/lenet5.yaml",
        "-i",
        "batchx1x32x32",
        "--memory",
        "--amp",
        "fp16",
        "--budget",
        "1GB",
        "--optimizer",
        "sgd",
    )
    assert result.exit_code == 0, result.output
    golden("memory_lenet5_amp.txt", _from(result.stdout, "Memory per layer"))


def test_memory_at_where_values_and_an_unbound_symbol(golden):
    # the declared, symbolic inputs (without --input, inspect takes the spec's concrete check: inputs)
    symbolic = ("-i", "input_ids=batchxseq", "-i", "token_type_ids=batchxseq")
    result = invoke(
        "inspect", "configs/bert_base.yaml", *symbolic, "--where", "seq=128", "--budget", "24GiB", "--device", "cpu"
    )
    assert result.exit_code == 0, result.output
    golden("memory_bert_where.txt", _from(result.stdout, "Memory ("))
    unbound = invoke("inspect", "configs/bert_base.yaml", *symbolic, "--budget", "24GiB")
    assert "cannot solve for batch: bind seq with --where (e.g. --where seq=…)" in unbound.stdout


def test_json_memory_and_budget():
    result = invoke("inspect", "configs/resnet50.yaml", "-i", "Bx3x224x224", "--budget", "24GiB", "-f", "json")
    doc = json.loads(result.stdout)
    memory = doc["totals"]["memory"]
    assert set(memory) >= {
        "params",
        "buffers",
        "gradients",
        "optimizer_state",
        "activations",
        "training",
        "inference_peak",
    }
    assert memory["params"] == 25_557_032 * 4
    assert memory["activations"] == "85909504*B + 212480"  # 687,488,512 bytes at B = 8, as PyTorch keeps
    assert memory["inference_peak"] == "10235904*B + 102441032"  # the parameters and buffers, and 9.8 MiB per image
    assert doc["budget"] == {
        "symbol": "B",
        "budget": "24GiB",
        "budget_bytes": 24 * 2**30,
        "base": "binary",
        "training_max": 295,
        "inference_max": 2507,
        "bytes_at_max": {"training": 85909504 * 295 + 409337896, "inference": 10235904 * 2507 + 102441032},
        "fits": {"training": True, "inference": True},
        "missing": [],
    }
    conv1 = doc["layers"][0]
    assert conv1["memory"] == {"saved": "602112*B", "keeps": ["input"], "alive": "3813376*B"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--budget", "24G"], "'24G' is not a memory size"),
        (["--solve", "B"], "--solve needs --budget: the size to fit, e.g. --budget 24GiB --solve B"),
        (["--budget", "1GiB", "--solve", "H"], "--solve H: 'H' is not a symbol of the inputs (they have: B)"),
        (
            ["--dtype", "float16", "--amp", "bf16"],
            "--amp bf16 keeps float32 master weights, so it needs --dtype float32",
        ),
        (
            ["--budget", "1GiB", "--where", "B=1", "--where", "B=2", "--solve", "B"],
            "--budget solves at one value of each other symbol, but --where gives several",
        ),
    ],
)
def test_unusable_memory_options_exit_2_with_a_message(args, message):
    result = invoke("inspect", "configs/resnet50.yaml", "-i", "Bx3x224x224", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unusable_options_in_json_give_the_failure_document():
    result = invoke("inspect", "configs/mlp.yaml", "-i", "2x20", "--budget", "lots", "-f", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["totals"] is None and doc["errors"][0]["message"] == "'lots' is not a memory size"


def test_unknown_sizes_cannot_be_budgeted():
    result = invoke("inspect", "configs/siamese.yaml", "-i", "query=2x?", "-i", "doc=2x?", "--budget", "1GiB")
    assert result.exit_code == 2
    assert "--budget: the memory is unknown, because an input size is unknown (?)" in result.stderr


def test_a_mismatch_has_no_memory():
    result = invoke("inspect", "configs/mlp_mismatch.yaml", "-i", "2x20", "-f", "json", "--budget", "1GiB")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["totals"]["memory"] is None and "budget" not in doc


# -- check: max_memory -----------------------------------------------------------------

SPEC = """inputs:
  image: [batch, 3, 224, 224]
layers:
  - {name: conv, type: Conv2d, filters: 64, kernel_size: 3, padding: 1}
  - {name: relu, type: ReLU}
check: {inputs: {image: %s}, max_memory: %s}
"""


def check(*args: str):
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


def test_check_passes_within_max_memory(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SPEC % ("8x3x224x224", "1GiB"))
    result = check(str(path))
    assert result.exit_code == 0, result.output


def test_check_fails_a_spec_over_max_memory_at_the_value(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(SPEC % ("128x3x224x224", "1GiB"))
    result = check(str(path))
    assert result.exit_code == 1
    # the value of max_memory is at column 53; the input and the ReLU output (each conv and ReLU keeps one),
    # and 1,792 parameters, their gradients and two Adam moments
    needed = 128 * 3 * 224 * 224 * 4 + 128 * 64 * 224 * 224 * 4 + 4 * 1792 * 4
    assert (
        f"{path}:6:53: error: training with adam, float32 needs {needed:,} bytes (1.6 GiB) at inputs image "
        "(128, 3, 224, 224): more than max_memory 1 GiB (1,073,741,824 bytes)"
    ) in result.stderr
    assert "hint: lower the batch of the check inputs, or raise max_memory" in result.stderr
    github = check(str(path), "--format", "github")
    assert github.stdout.startswith(f"::error file={path},line=6,col=53,title=shapecli memory_limit::")


def test_check_refuses_a_size_it_cannot_read(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(SPEC % ("8x3x224x224", "16G"))
    result = check(str(path))
    assert result.exit_code == 1
    assert f"{path}:6:51: error: check max_memory: '16G' is not a memory size" in result.stderr


def test_check_says_when_max_memory_cannot_be_checked(tmp_path):
    path = tmp_path / "symbolic.yaml"
    path.write_text("inputs: {x: [batch, 4]}\nlayers: [{type: Dense, units: 8}]\ncheck: {max_memory: 16GiB}\n")
    result = check(str(path))
    assert result.exit_code == 1
    assert (
        f"{path}:3:21: error: max_memory 16 GiB cannot be checked: training memory depends on batch "
        "at inputs x (batch, 4)"
    ) in result.stderr
