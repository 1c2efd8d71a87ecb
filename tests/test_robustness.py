"""Classes of defects found by fuzzing the command line and the spec language: each
class has a table of cases that crashed, hung, lied or leaked before its fix.

Every case runs through the real entry point and asserts the exit code and the
message (a test that only checked "no traceback" would pass a wrong answer).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main
from shapecli.dims import MAX_WHERE_COMBINATIONS, parse_shape
from shapecli.spec import MAX_EXPANSION_STEPS

ROOT = Path(__file__).parent.parent
MLP = "layers:\n  - {type: Dense, units: 256, activation: relu}\n  - {type: Dense, units: 10}\n"


def invoke(*args: str, stdin: str | None = None, env: dict | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


def spec_file(tmp_path: Path, text: str, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- values of the command line: Unicode digits, huge and negative sizes, formulas ----------


@pytest.mark.parametrize(
    "shape, message",
    [
        ("2x²", "'²' is not a dimension"),
        ("2x①", "'①' is not a dimension"),
        ("2x" + "9" * 5000, "is not a dimension (at most 2^63 - 1)"),
        ("2x9223372036854775808", "is not a dimension (at most 2^63 - 1)"),
        ("2,-H", "'-H' is not a dimension: it is negative for some sizes of H"),
        ("2,1-H", "'1-H' is not a dimension: it is negative for some sizes of H"),
        ("2," + "*".join(f"(H{i} + 1)" for i in range(16)), "more than 2,000 terms"),
        ("2x" + "(" * 300 + "1" + ")" * 300, "nests deeper than 64 levels"),
    ],
)
def test_unusable_input_sizes_are_refused(shape, message):
    result = invoke("inspect", "configs/mlp.yaml", "--input", shape)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "text, shape",
    [
        ("2,3*(H + 1)", (2, 3 * (parse_shape("H")[0] + 1))),
        ("2,max(H, W)", parse_shape("2,max(H,W)")),
        ("2xmax(H, W)", parse_shape("2,max(H,W)")),
        ("Bx3xHxW", parse_shape("B,3,H,W")),
    ],
)
def test_printed_formulas_are_accepted_back(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize(
    "where, message",
    [
        ("B=0", "B must be a size from 1 to 2^63 - 1, received 0"),
        ("B=²", "expected SYMBOL=VALUE"),
        ("B=" + ",".join(str(v) for v in range(1, MAX_WHERE_COMBINATIONS + 2)), "at most 10,000"),
    ],
)
def test_unusable_where_values_are_refused(where, message):
    result = invoke("inspect", "configs/mlp.yaml", "--input", "Bx20", "--where", where)
    assert result.exit_code == 2
    assert message in result.stderr


def test_where_at_its_bound_runs():
    values = ",".join(str(v) for v in range(1, 101))
    result = invoke("inspect", "configs/mlp.yaml", "--input", "BxF", "--where", f"B={values},F={values}", "-f", "json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["where"]) == 10_000


def test_a_symbol_fixed_by_a_declared_channel_count_is_bound(tmp_path):
    spec = spec_file(tmp_path, "layers:\n  - {type: Conv2d, filters: 8, kernel_size: 3, in_channels: 3}\n")
    doc = json.loads(invoke("inspect", spec, "--input", "BxCxHxW", "-f", "json").stdout)
    conv = doc["layers"][0]
    assert conv["params"][0]["after"] == [8, 3, 3, 3]
    assert conv["count"] == 224
    assert "C == 3" in doc["requires"]
    assert doc["input_dependent_params"] == []


@pytest.mark.parametrize(
    "text, inputs, message",
    [
        ("inputs: {a: [n, n, n]}\nlayers: [{type: Dense, units: 3}]\n", ["a=2,H,2*H"], "no size H satisfies"),
        ("inputs: {a: [n, n]}\nlayers: [{type: Dense, units: 3}]\n", ["a=2x3"], "n is 2 for input 'a' but 3"),
    ],
)
def test_inputs_that_contradict_their_declaration_are_reported(tmp_path, text, inputs, message):
    spec = spec_file(tmp_path, text)
    args = [a for i in inputs for a in ("--input", i)]
    result = invoke("inspect", spec, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "internal error" not in result.stderr


def test_a_rejected_input_skips_what_depends_on_it(tmp_path):
    spec = spec_file(tmp_path, "inputs: {x: [batch, 20]}\n" + MLP)
    doc = json.loads(invoke("inspect", spec, "--input", "2x30x4", "-f", "json").stdout)
    assert [e["kind"] for e in doc["errors"]] == ["input_mismatch"]
    assert [layer["state"] for layer in doc["layers"]] == ["skipped", "skipped"]


def test_origins_follow_the_graph_not_equal_values(tmp_path):
    spec = spec_file(tmp_path, "layers:\n  - {type: Dense, units: 20}\n  - {type: Dense, units: 5, in_units: 30}\n")
    result = invoke("inspect", spec, "--input", "2x20", "-f", "json")
    (origin,) = json.loads(result.stdout)["errors"][0]["origins"]
    assert origin["received_from"]["what"] == "units: 20 of 'dense0'"
    assert origin["expected_from"]["what"] == "in_units: 30 of 'dense1'"


# -- arguments: null, huge numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    "layer, convention, inputs, output",
    [
        ("{type: Conv2d, filters: 4, kernel_size: 3, data_format: null}", "keras", "1x8x8x3", [1, 6, 6, 4]),
        (
            "{type: ConvTranspose2d, filters: 4, kernel_size: 3, output_padding: null}",
            "torch",
            "1x3x8x8",
            [1, 4, 10, 10],
        ),
        ("{type: BatchNormalization, axis: null}", "keras", "2x5x7", [2, 5, 7]),
    ],
)
def test_null_means_the_default(tmp_path, layer, convention, inputs, output):
    spec = spec_file(tmp_path, f"layers:\n  - {layer}\n")
    result = invoke("inspect", spec, "--input", inputs, "-c", convention, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["layers"][0]["output_shape"] == output


@pytest.mark.parametrize(
    "layer, message",
    [
        ("{type: Dense, units: null}", "units: expected an integer, received null"),
        ("{type: Dense, units: 99999999999999999999999}", "expected an integer of at most 2^63 - 1"),
        ("{type: Dense, units: 4, use_bias: 99999999999999999999999999999999}", "received 999999…(32 digits)"),
    ],
)
def test_null_or_huge_where_no_default_allows_it_is_refused(tmp_path, layer, message):
    result = invoke("inspect", spec_file(tmp_path, f"layers:\n  - {layer}\n"), "--input", "2x3")
    assert result.exit_code == 2
    assert message in result.stderr


def test_sizes_beyond_int64_are_refused(tmp_path):
    spec = spec_file(tmp_path, "layers:\n" + "  - {type: UpSampling1D, size: 4096}\n" * 8)
    result = invoke("inspect", spec, "--input", "1x8x3", "-c", "keras")
    assert result.exit_code == 1
    assert "gives a size beyond 2^63 - 1 (int64)" in result.stderr


# -- the spec language: deep expressions, long chains, unbounded expansion -----------------------


@pytest.mark.parametrize(
    "params, use, message",
    [
        ("{n: int}", "n: 1", None),
        ("{n: [int]}", "n: 1", "parameter 'n' has type ['int']"),
        ("{n: {type: {int: 1}}}", "n: 1", "parameter 'n' has type a mapping"),
    ],
)
def test_block_parameter_types(tmp_path, params, use, message):
    block = f"blocks:\n  B:\n    params: {params}\n    layers: [{{type: Dense, units: $n}}]\n"
    text = block + f"layers:\n  - {{type: B, {use}}}\n"
    result = invoke("inspect", spec_file(tmp_path, text), "--input", "2x3")
    if message is None:
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "value, message",
    [
        ("$" + "(" * 250 + "n" + ")" * 250, "nests deeper than 64 levels"),
        ("$" + "-" * 1000 + "n", None),
        ("$" + " + ".join(["n"] * 20_000), None),
        ("$n * (10.0 ^ 64) ^ 64", "overflows"),
    ],
)
def test_block_expressions_never_recurse_without_bound(tmp_path, value, message):
    text = (
        "blocks:\n  B:\n    params: {n: int}\n"
        f"    layers: [{{type: Dropout, p: 0.5}}, {{type: Dense, units: 2, in_units: '{value}'}}]\n"
        "layers:\n  - {type: B, n: 2}\n"
    )
    result = invoke("inspect", spec_file(tmp_path, text), "--input", "2x2")
    assert "internal error" not in result.stderr
    if message is not None:
        assert result.exit_code == 2
        assert message in result.stderr


def test_a_long_pass_through_chain_resolves(tmp_path):
    text = (
        "blocks:\n  Pair:\n    outputs: [a, b]\n    layers: [{name: a, type: ReLU}, {name: b, type: Tanh, from: x}]\n"
        "layers:\n  - {name: p, type: Pair}\n"
        + "".join(
            f"  - {{name: s{i}, type: ReLU, repeat: 0, from: {'p/b' if i == 0 else f's{i - 1}'}}}\n"
            for i in range(3000)
        )
        + "  - {name: out, type: Dense, units: 2, from: s2999}\n"
    )
    start = time.perf_counter()
    result = invoke("inspect", spec_file(tmp_path, text), "--input", "2x3", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["outputs"] == {"out": [2, 2]}
    assert time.perf_counter() - start < 30  # generous: bench/scale.py measures the real figure


def test_blocks_that_expand_to_nothing_are_bounded(tmp_path):
    text = (
        "blocks:\n  Empty:\n    layers: [{type: ReLU, repeat: 0}]\n"
        "  Many:\n    layers: [{type: Empty, repeat: 250000}]\n"
        "layers:\n  - {type: Many, repeat: 250000}\n"
    )
    start = time.perf_counter()
    result = invoke("inspect", spec_file(tmp_path, text), "--input", "2x3")
    assert result.exit_code == 2
    assert f"expands to more than {MAX_EXPANSION_STEPS:,} layer entries and block copies" in result.stderr
    assert time.perf_counter() - start < 60


# -- streams, files and paths ------------------------------------------------------------------


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shapecli", *args], cwd=ROOT, capture_output=True, **kwargs)


def test_a_closed_standard_output_is_not_a_crash():
    result = subprocess.run(
        f"{sys.executable} -m shapecli inspect configs/mlp.yaml --input 2x20 >&-",
        shell=True,
        cwd=ROOT,
        capture_output=True,
    )
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr


def test_a_closed_standard_input_is_reported():
    result = subprocess.run(
        f"{sys.executable} -m shapecli inspect - --input 2x20 <&-", shell=True, cwd=ROOT, capture_output=True
    )
    assert result.returncode == 2
    assert b"standard input is closed" in result.stderr


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_the_exit_code_survives_a_reader_that_goes_away(output_format):
    command = f"{sys.executable} -m shapecli inspect configs/resnet50.yaml -i 1x3x224x224 -f {output_format}"
    result = subprocess.run(
        f"{command} | head -1 > /dev/null; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "0"
    assert "Traceback" not in result.stderr


def test_a_named_pipe_without_data_is_refused_in_time(tmp_path, monkeypatch):
    monkeypatch.setattr("shapecli.yamlsrc.PIPE_TIMEOUT", 0.5)
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer that never writes
    try:
        start = time.perf_counter()
        result = invoke("inspect", str(fifo), "--input", "2x20")
    finally:
        os.close(writer)
    assert result.exit_code == 2
    assert "is a pipe that gave no data in 0 s" in result.stderr or "gave no data" in result.stderr
    assert time.perf_counter() - start < 10


def test_a_device_is_not_read(tmp_path):
    result = invoke("inspect", "/dev/zero", "--input", "2x20")
    assert result.exit_code == 2
    assert "/dev/zero is not a regular file" in result.stderr


def test_a_directory_symlink_loop_does_not_make_check_endless(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "mlp.yaml").write_text(MLP + "check: {inputs: {x: 2x20}}\n")
    (folder / "loop").symlink_to(folder)
    for pattern in (str(folder / "**" / "*.yaml"), str(folder)):
        result = invoke("check", pattern)
        assert result.exit_code == 0, result.stdout
        assert result.stdout.count("ok ") == 1


def test_unreadable_named_paths_are_that_file_s_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.symlink_to(tmp_path / "missing.yaml")
    result = invoke("check", str(broken), "-f", "json")
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert "cannot read" in entry["errors"][0]["message"]


def test_non_utf8_file_names_give_valid_utf8_json(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9.yaml"
    with open(name, "w") as f:
        f.write(MLP)
    result = subprocess.run(
        [sys.executable, "-m", "shapecli", "inspect", name, "--input", "2x20", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
    )
    doc = json.loads(result.stdout.decode("utf-8"))
    assert doc["spec"].endswith("caf\\xe9.yaml")


def test_columns_zero_does_not_blank_the_tables():
    result = invoke("inspect", "configs/mlp.yaml", "--input", "2x20", env={"COLUMNS": "0"})
    assert "dense0.weight" in result.stdout
    result = invoke("inspect", "configs/mlp_mismatch.yaml", "--input", "2x20", env={"COLUMNS": "0"})
    assert "declares in_units=30" in result.stderr


# -- documents: stable keys, every error, every format -----------------------------------------

INSPECT_KEYS = {
    "schema", "spec", "convention", "inputs", "outputs", "layers", "totals", "errors",
    "requires", "requirements", "input_dependent_params", "warnings",
}  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["inspect", "configs/mlp.yaml", "--input", "2x20"],
        ["inspect", "configs/mlp.yaml", "--input", "2x²"],
        ["inspect", "tests/corpus/binary_junk.yaml", "--input", "2x20"],
    ],
)
def test_every_inspect_document_has_every_key(args):
    doc = json.loads(invoke(*args, "--format", "json").stdout)
    assert set(doc) >= INSPECT_KEYS


def test_where_violations_are_json_errors():
    result = invoke("inspect", "configs/unet.yaml", "--input", "1x3xHxW", "--where", "H=250,W=256", "-f", "json")
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert (error["kind"], error["code"]) == ("where_violation", "E103")
    assert error["message"] == "H=250, W=256 violates H % 16 == 0"


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "no/such/dir", "-f", "json"], "no/such/dir: no such file or directory"),
        (["check", "configs", "--input", "2x²", "-f", "json"], "'²' is not a dimension"),
        (["layers", "Conv2e", "-f", "json"], "unknown layer type 'Conv2e'"),
    ],
)
def test_unusable_arguments_still_give_a_json_document(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert message in doc["errors"][0]["message"]


# -- spec text reaching a terminal, a CI log or a document --------------------------------------


@pytest.mark.parametrize(
    "name, shown",
    [
        ("a\x1b]0;owned\x07", "a\\e]0;owned\\x07"),
        ("b\x1b[8mhidden", "b\\e[8mhidden"),
        ("c\u202eevil", "c\\u202eevil"),
    ],
)
def test_escape_sequences_from_a_spec_are_shown_not_obeyed(tmp_path, name, shown):
    text = f'layers:\n  - {{type: Dense, units: 4, "{name}": 2}}\n'
    text = text.replace("\x1b", "\\e").replace("\x07", "\\a").replace("\u202e", "\\u202e")
    spec = spec_file(tmp_path, text)
    for args in (["inspect", spec, "--input", "2x3"], ["check", spec, "--input", "2x3"]):
        result = invoke(*args)
        everything = result.stdout + result.stderr
        assert "\x1b" not in everything and "\u202e" not in everything and "\x07" not in everything
        assert f"unknown argument '{shown}' for Dense" in everything


def test_a_newline_in_a_spec_cannot_start_a_workflow_command(tmp_path):
    spec = spec_file(tmp_path, 'layers:\n  - {type: Dense, units: 4, "x\\n::error::forged": 1}\n')
    for output_format in ("text", "github"):
        result = invoke("check", spec, "--input", "2x3", "--format", output_format)
        lines = (result.stdout + result.stderr).splitlines()
        assert not any(line.startswith("::error::forged") for line in lines)
        shown = "unknown argument 'x%0A::error::forged'" if output_format == "github" else "'x\\n::error::forged'"
        assert shown in result.stdout + result.stderr
