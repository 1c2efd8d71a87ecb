"""The command line, through click's CliRunner: exit codes, streams, formats, golden tables."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from shapecli import __version__
from shapecli.cli import main
from shapecli.render import render_diagnostic, render_tables

from .helpers import run_spec

ROOT = Path(__file__).parent.parent


def invoke(*args: str, stdin: str | bytes | None = None, env: dict | None = None):
    runner = CliRunner()
    return runner.invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_json_document_for_the_mlp():
    result = invoke("inspect", "configs/mlp.yaml", "--input", "2x20", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert doc["spec"] == "configs/mlp.yaml"
    assert doc["convention"] == "torch"
    assert doc["inputs"] == {"x": [2, 20]}
    assert doc["outputs"] == {"dense1": [2, 10]}
    first = doc["layers"][0]
    assert {k: first[k] for k in ("path", "type", "line", "input_shapes", "output_shape")} == {
        "path": "dense0",
        "type": "Dense",
        "line": 3,
        "input_shapes": [[2, 20]],
        "output_shape": [2, 256],
    }
    assert first["params"][0] == {
        "name": "dense0.weight",
        "before": [256, None],
        "after": [256, 20],
        "count": 5120,
        "trainable": True,
        "buffer": False,
        "shared_with": None,
        "init": "kaiming_uniform(a=√5)",
    }
    totals = dict(doc["totals"])
    memory = totals.pop("memory")
    assert totals == {
        "params": 7946,
        "trainable": 7946,
        "non_trainable": 0,
        "bytes": 31784,
        "dtype": "float32",
        "macs": 15360,
    }
    # x (2*20*4 = 160) kept by dense0, its ReLU output (2*256*4 = 2,048) kept by the ReLU and dense1;
    # Adam keeps two moments per parameter; inference peaks at dense1: x, dense0's output, dense1's (80)
    assert memory == {
        "params": 31784,
        "buffers": 0,
        "gradients": 31784,
        "optimizer_state": 2 * 31784,
        "compute_copy": 0,
        "activations": 160 + 2048,
        "training": 4 * 31784 + 160 + 2048,
        "inference_peak": 31784 + 160 + 2048 + 2048,
        "inference_peak_at": ["dense0"],
        "dtype": "float32",
        "amp": None,
        "optimizer": "adam",
        "device": "cuda",
    }
    assert first["memory"] == {"saved": 2208, "keeps": ["input", "output"], "alive": 160 + 2048 + 2048}
    assert doc["errors"] == []


def test_keras_convention_after_shapes():
    result = invoke("inspect", "configs/mlp.yaml", "-i", "2x20", "-f", "json", "-c", "keras")
    doc = json.loads(result.stdout)
    params = [p for layer in doc["layers"] for p in layer["params"]]
    assert [p["after"] for p in params] == [[20, 256], [256], [256, 10], [10]]
    assert [p["name"] for p in params] == ["dense0/kernel", "dense0/bias", "dense1/kernel", "dense1/bias"]


def test_mxnet_convention_shows_minus_one_before_inference():
    result = invoke("inspect", "configs/mlp.yaml", "-i", "2x20", "-c", "mxnet")
    assert result.exit_code == 0
    assert "dense0_weight   (256, -1)" in result.stdout
    assert "dense1_weight   (10, -1)" in result.stdout


def test_immediate_config_in_json():
    doc = json.loads(invoke("inspect", "configs/mlp_immediate.yaml", "-i", "2x20", "-f", "json").stdout)
    dense0, dense1 = doc["layers"]
    assert dense0["status_before"] == "initialized"
    assert [p["before"] for p in dense0["params"]] == [[256, 20], [256]]
    assert dense1["status_before"] == "deferred"
    assert dense1["params"][0]["before"] == [10, None]


def test_siamese_and_residual_totals():
    siamese = invoke("inspect", "configs/siamese.yaml", "-i", "query=2x20", "-i", "doc=2x20", "-f", "json")
    assert json.loads(siamese.stdout)["totals"]["params"] == 2945
    # without --input, inspect runs the spec's check: inputs (x: 2x64); its declared shape is (batch, 64)
    for args, head in (([], [2, 10]), (["-i", "batchx64"], ["batch", 10])):
        doc = json.loads(invoke("inspect", "configs/residual_mlp.yaml", *args, "-f", "json").stdout)
        assert doc["totals"]["params"] == 25610
        assert doc["outputs"] == {"head": head}
        assert all(layer["output_shape"] is not None for layer in doc["layers"])


def test_mismatch_exits_1_naming_the_line():
    result = invoke("inspect", "configs/mlp_mismatch.yaml", "--input", "2x20")
    assert result.exit_code == 1
    first_line = result.stderr.splitlines()[0]
    assert (
        first_line == "configs/mlp_mismatch.yaml:4:5: error: Dense 'dense0' declares in_units=30 but receives (2, 20)"
    )
    assert "hint: the input has 20 features: set in_units: 20, or remove in_units" in result.stderr
    assert "mismatch" in result.stdout


@pytest.mark.parametrize(
    "declared, hint",
    [
        (144, "hint: the input has 4 * 6 * 6 = 144 values per example: add a Flatten before this layer"),
        (100, "hint: the input has 6 features: set in_units: 6, or remove in_units"),
    ],
)
def test_a_dense_after_a_convolution_suggests_the_missing_flatten(tmp_path, declared, hint):
    spec = tmp_path / "net.yaml"
    spec.write_text(
        "inputs: {x: [1, 3, 8, 8]}\nlayers:\n"
        "  - {type: Conv2d, out_channels: 4, kernel_size: 3}\n"
        f"  - {{type: Dense, units: 10, in_units: {declared}}}\n"
    )
    result = invoke("inspect", str(spec))
    assert result.exit_code == 1
    assert f"declares in_units={declared} but receives (1, 4, 6, 6)" in result.stderr
    assert hint in result.stderr


def test_mismatch_in_json_has_the_error_and_stderr_the_report():
    result = invoke("inspect", "configs/mlp_mismatch.yaml", "--input", "2x20", "--format", "json")
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["errors"]
    assert {k: error[k] for k in ("kind", "file", "line", "column", "path")} == {
        "kind": "shape_mismatch",
        "file": "configs/mlp_mismatch.yaml",
        "line": 4,
        "column": 5,
        "path": "dense0",
    }
    assert error["expected"] == [2, 30] and error["received"] == [2, 20]
    assert result.stderr.startswith("configs/mlp_mismatch.yaml:4:5: error:")


def test_spec_from_stdin():
    result = invoke("inspect", "-", "--input", "2x20", "-f", "json", stdin=(ROOT / "configs/mlp.yaml").read_text())
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["spec"] == "<stdin>" and doc["totals"]["params"] == 7946


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (
            ["inspect", "nope.yaml", "-i", "2x20"],
            None,
            "shapecli: error: cannot read nope.yaml: No such file or directory",
        ),
        (["inspect", "configs", "-i", "2x20"], None, "shapecli: error: cannot read configs: Is a directory"),
        (["inspect", "configs/mlp.yaml", "-i", "2y20"], None, "'2y20' is not a dimension"),
        (["inspect", "configs/mlp.yaml", "-i", "q=2x"], None, "--input q=2x: '2x' has an empty dimension"),
        (["inspect", "-"], "layers: [{type: Dense, units: 4}]\n", "no shape for the input 'x': give one with --input"),
        (
            ["inspect", "-", "-i", "2x20"],
            b"\x89PNG\r\n\x1a\n\x00\x00\xff",
            "<stdin>:1:1: error: the file is not UTF-8 text",
        ),
        (
            ["inspect", "-", "-i", "2x20"],
            "layers:\n  - {type: Dense, unit: 3}\n",
            "<stdin>:2:19: error: unknown argument 'unit' for Dense",
        ),
        (["inspect", "-", "-i", "2x20"], "layers: [\n", "<stdin>:2:1: error: invalid YAML"),
        (["inspect", "configs/mlp.yaml", "-c", "jax"], None, "Invalid value for '-c' / '--convention'"),
    ],
)
def test_invalid_spec_or_usage_exits_2(args, stdin, message):
    result = invoke(*args, stdin=stdin)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_spec_error_in_json_mode_is_still_one_document():
    result = invoke("inspect", "-", "-i", "2x20", "-f", "json", stdin="layers:\n  - {type: Dense}\n")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["errors"][0]["kind"] == "spec_error"
    assert doc["errors"][0]["line"] == 2 and doc["errors"][0]["column"] == 5
    assert doc["errors"][0]["message"] == "Dense needs the argument 'units or out_features'"
    assert doc["layers"] == [] and doc["totals"] is None


def test_spec_error_shows_a_code_frame_with_a_caret():
    result = invoke("inspect", "-", "-i", "2x20", stdin="layers:\n  - {type: Dense, unit: 3}\n")
    lines = result.stderr.splitlines()
    assert lines[1] == " 2 |   - {type: Dense, unit: 3}"
    assert lines[2] == "   |                   ^"
    assert lines[3] == "  hint: did you mean 'units'?"


def test_internal_error_is_one_line_and_exit_3(monkeypatch):
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("shapecli.infer.infer", broken)
    result = invoke("inspect", "configs/mlp.yaml", "-i", "2x20")
    assert result.exit_code == 3
    assert "shapecli: internal error: ZeroDivisionError: boom" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output


def test_version_and_help():
    version = invoke("--version")
    assert version.exit_code == 0 and version.stdout.strip() == f"shapecli {__version__}"
    help_text = invoke("inspect", "--help").stdout
    assert "Examples:" in help_text and "shapecli inspect configs/mlp.yaml --input 2x20" in help_text
    assert "--convention [torch|keras|mxnet]" in help_text


def test_no_color_when_piped_or_with_no_color():
    for env in ({}, {"NO_COLOR": "1", "FORCE_COLOR": None}):
        result = invoke("inspect", "configs/mlp_mismatch.yaml", "-i", "2x20", env=env)
        assert "\x1b[" not in result.output


def _render(trace) -> str:
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    render_tables(trace, console)
    return console.export_text()


@pytest.mark.parametrize(
    "config, inputs, convention",
    [
        ("mlp.yaml", ["2x20"], "torch"),
        ("mlp_immediate.yaml", ["2x20"], "mxnet"),
        ("siamese.yaml", ["query=2x20", "doc=2x20"], "keras"),
        ("residual_mlp.yaml", [], "torch"),
        ("mlp_mismatch.yaml", ["2x20"], "torch"),
        ("resnet18.yaml", ["1x3x224x224"], "torch"),
        ("lstm_classifier.yaml", ["4x50"], "mxnet"),
        ("mobilenet_v2.yaml", ["1x224x224x3"], "keras"),
    ],
)
def test_golden_tables(golden, config, inputs, convention):
    text = (ROOT / "configs" / config).read_text()
    if convention == "keras":  # the configs declare channels-first images; Keras takes channels last
        text = text.replace("[batch, 3, H, W]", "[batch, H, W, 3]")
    trace = run_spec(text, *inputs, convention=convention, file=f"configs/{config}")
    text = _render(trace)
    for error in trace.errors:
        console = Console(width=100, record=True, color_system=None, file=io.StringIO())
        console.print(render_diagnostic(error, (ROOT / "configs" / config).read_text()))
        text += console.export_text()
    golden(f"{config.removesuffix('.yaml')}_{convention}.txt", text)


def _fresh_run(*argv: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`python -m shapecli ARGV` in a fresh interpreter: its result, and the modules it imported."""
    code = (
        "import json, sys, runpy\n"
        f"sys.argv = ['shapecli', *{list(argv)!r}]\n"
        "try:\n    runpy.run_module('shapecli', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )
    assert result.returncode == 0, result.stderr
    return result, set(json.loads(result.stderr.splitlines()[-1]))


def test_python_dash_m_without_numpy():
    result, modules = _fresh_run("inspect", "configs/mlp.yaml", "--input", "2x20")
    assert "numpy" not in modules
    assert "Total params" in result.stdout and "7,946" in result.stdout


def test_json_output_does_not_import_rich():
    """A script that reads JSON does not pay for the terminal renderer (about a fifth of a start)."""
    result, modules = _fresh_run("inspect", "configs/mlp.yaml", "--input", "2x20", "--format", "json")
    assert sorted(m for m in modules if m == "rich" or m.startswith("rich.")) == []
    assert json.loads(result.stdout)["totals"]["params"] == 7946


def test_the_process_entry_point_writes_what_main_writes_without_the_garbage_collector(tmp_path):
    out = tmp_path / "mlp.json"
    code = (
        "import gc, sys\n"
        f"sys.argv = ['shapecli', 'inspect', 'configs/mlp.yaml', '-i', '2x20', '-f', 'json', '-o', {str(out)!r}]\n"
        "from shapecli.__main__ import entry_point\n"
        "try:\n    entry_point()\n"
        "except SystemExit as e:\n    print(e.code, gc.isenabled(), gc.get_freeze_count() > 1000)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout == "0 False True\n", result.stderr
    assert out.read_text() == invoke("inspect", "configs/mlp.yaml", "-i", "2x20", "-f", "json").stdout
    piped = subprocess.run(
        [sys.executable, "-m", "shapecli", "inspect", "configs/mlp.yaml", "-i", "2x20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "100"},
    )
    assert piped.returncode == 0 and piped.stdout == invoke("inspect", "configs/mlp.yaml", "-i", "2x20").stdout


def test_where_evaluates_symbolic_unet():
    ok = invoke("inspect", "configs/unet.yaml", "-i", "1x3xHxW", "--where", "H=256,W=256")
    assert ok.exit_code == 0
    assert "H % 16 == 0" in ok.stdout and "Valid inputs require" in ok.stdout
    bad = invoke("inspect", "configs/unet.yaml", "-i", "1x3xHxW", "--where", "H=250,W=256", "-f", "json")
    assert bad.exit_code == 1
    doc = json.loads(bad.stdout)
    assert doc["requires"] == ["H % 16 == 0", "W % 16 == 0"]
    assert doc["outputs"] == {"outc": [1, 2, "H", "W"]}
    (where,) = doc["where"]
    assert {k: where[k] for k in ("bindings", "ok", "violated", "undecided", "inputs", "outputs")} == {
        "bindings": {"H": 250, "W": 256},
        "ok": False,
        "violated": ["H % 16 == 0"],
        "undecided": [],
        "inputs": {"image": [1, 3, 250, 256]},
        "outputs": {"outc": [1, 2, 250, 256]},
    }
    assert where["params"] == 31_037_698  # the shipped configs' table: U-Net's count does not depend on H, W


def test_where_with_a_list_of_values_reports_each():
    result = invoke("inspect", "configs/unet.yaml", "-i", "1x3xHxW", "-w", "H=224,225,256,W=32", "-f", "json")
    assert result.exit_code == 1
    verdicts = [(e["bindings"]["H"], e["ok"], e["violated"]) for e in json.loads(result.stdout)["where"]]
    assert verdicts == [(224, True, []), (225, False, ["H % 16 == 0"]), (256, True, [])]


@pytest.mark.parametrize(
    "where, message",
    [
        ("Q=3", "--where Q=3: 'Q' is not a symbol of the inputs (they have: H, W)"),
        ("H=x", "--where H=x: expected SYMBOL=VALUE[,VALUE…], e.g. H=224,W=224"),
        ("224", "--where 224: expected SYMBOL=VALUE[,VALUE…], e.g. H=224,W=224"),
    ],
)
def test_where_errors(where, message):
    result = invoke("inspect", "configs/unet.yaml", "-i", "1x3xHxW", "--where", where)
    assert result.exit_code == 2
    assert message in result.stderr


def test_resnet50_symbolic_output_and_evaluation_match_the_concrete_run():
    from shapecli.infer import evaluate_at

    doc = json.loads(invoke("inspect", "configs/resnet50.yaml", "--input", "Bx3xHxW", "--format", "json").stdout)
    assert doc["outputs"] == {"fc": ["B", 1000]}
    text = (ROOT / "configs/resnet50.yaml").read_text()
    symbolic = run_spec(text, "Bx3xHxW")
    concrete = run_spec(text, "1x3x224x224")
    evaluated = evaluate_at(symbolic, {"B": 1, "H": 224, "W": 224})
    assert [shape for _, shape in evaluated.layers] == [layer.output_shape for layer in concrete.layers]


def test_input_dependent_parameters_are_warned_and_listed(tmp_path):
    spec = tmp_path / "lenet5_any_size.yaml"
    spec.write_text((ROOT / "configs" / "lenet5.yaml").read_text().replace("[batch, 1, 32, 32]", "[batch, 1, H, W]"))
    result = invoke("inspect", str(spec), "--input", "Bx1xHxW", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["input_dependent_params"] == ["c5.weight"]
    assert doc["warnings"][0]["kind"] == "input_dependent_param"
    assert result.exit_code == 0
    assert f"{spec}:15:5: warning: Dense 'c5': weight (120, 16*(floor(H/4) - 3)*(floor(W/4) - 3))" in result.stderr


def test_a_declared_size_binds_the_symbol_given_for_it():
    # lenet5 declares 32x32 digits: H and W must be 32, so every parameter is known
    result = invoke("inspect", "configs/lenet5.yaml", "--input", "Bx1xHxW", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["requires"] == ["H == 32", "W == 32"]
    assert doc["input_dependent_params"] == []
    c5 = next(layer for layer in doc["layers"] if layer["path"] == "c5")
    assert c5["params"][0]["after"] == [120, 400]
    assert doc["inputs"] == {"digits": ["B", 1, "H", "W"]}
    assert result.exit_code == 0
