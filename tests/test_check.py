"""`shapecli check` for CI: files, folders and globs; text, GitHub and JSON output; exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main

ROOT = Path(__file__).parent.parent
ANNOTATION = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:]*(,[a-z]+=[^,:]*)*)?::.+$")


def check(*args: str):
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "good.yaml").write_text("layers: [{type: Dense, units: 4}]\ncheck: {inputs: {x: 2x8}}\n")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "bad.yml").write_text(
        "layers:\n  - {type: Dense, units: 4, in_units: 9}\ncheck: {inputs: {x: 2x8}}\n"
    )
    (tmp_path / "notes.txt").write_text("not a spec")
    return tmp_path


def test_shipped_configs_pass():
    result = check(str(ROOT / "configs"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "20 specs checked: 20 ok, 0 failed (0 errors, 0 warnings)"
    assert all(line.startswith("ok    ") for line in result.stdout.splitlines()[:-1])


def test_a_folder_with_a_broken_spec_fails(folder):
    result = check(str(folder))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"ok    {folder / 'good.yaml'}"
    assert lines[1] == f"FAIL  {folder / 'nested' / 'bad.yml'}  (1 error, 0 warnings)"
    assert lines[2] == "2 specs checked: 1 ok, 1 failed (1 error, 0 warnings)"
    assert f"{folder / 'nested' / 'bad.yml'}:2:5: error: Dense 'dense0' declares in_units=9" in result.stderr


def test_github_annotations_are_valid_workflow_commands(folder):
    result = check(str(folder), "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert all(ANNOTATION.match(line) for line in lines), lines
    assert lines[0].startswith(
        f"::error file={folder / 'nested' / 'bad.yml'},line=2,col=5,title=shapecli shape_mismatch::"
        "Dense 'dense0' declares in_units=9 but receives (2, 8)"
    )
    assert lines[-1] == "::notice title=shapecli::2 specs checked: 1 ok, 1 failed (1 error, 0 warnings)"


def test_github_escapes_newlines_and_percent(tmp_path):
    spec = tmp_path / "weird%name.yaml"
    spec.write_text("layers: [{type: Dense, units: 4, in_units: 9}]\ncheck: {inputs: 2x8}\n")
    lines = check(str(spec), "--format", "github").stdout.splitlines()
    assert lines[0].startswith(f"::error file={tmp_path}/weird%25name.yaml,line=1,col=10,")
    assert all("\n" not in line for line in lines)


def test_json_document(folder):
    result = check(str(folder), "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"files": 2, "ok": 1, "failed": 1, "errors": 1, "warnings": 0, "skipped": 0}
    assert [f["ok"] for f in doc["files"]] == [True, False]
    (error,) = doc["files"][1]["errors"]
    assert (error["line"], error["column"], error["kind"]) == (2, 5, "shape_mismatch")
    assert error["origins"][0]["expected_from"]["what"] == "in_units: 9 of 'dense0'"


def test_strict_fails_on_warnings(tmp_path):
    spec = tmp_path / "unused.yaml"
    spec.write_text(
        "inputs: {x: [2, 3]}\nlayers:\n  - {name: dead, type: ReLU}\n  - {name: out, type: Tanh, from: x}\n"
    )
    relaxed = check(str(spec))
    assert relaxed.exit_code == 0
    assert "warning: layer 'dead' is not used" in relaxed.stderr
    strict = check(str(spec), "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.splitlines()[0] == f"FAIL  {spec}  (0 errors, 1 warning)"


def test_a_spec_without_inputs_is_read_but_not_inferred(tmp_path):
    spec = tmp_path / "mlp.yaml"
    spec.write_text("layers: [{type: Dense, units: 4}]\n")
    result = check(str(spec))
    assert result.exit_code == 0
    assert "warning: the spec is valid, but shapes were not inferred" in result.stderr
    assert "hint: give the spec a `check: {inputs: {x: 2x20}}` key, or pass --input" in result.stderr
    assert check(str(spec), "--input", "2x8").stderr == ""


def test_globs_inputs_and_conventions(tmp_path):
    result = check(str(ROOT / "configs" / "mlp*.yaml"))
    assert result.stdout.splitlines()[-1].startswith("3 specs checked: 3 ok")
    spec = tmp_path / "k.yaml"
    spec.write_text(
        "layers: [{type: Conv2d, filters: 4, kernel_size: 3}]\ncheck: {inputs: {x: 1x8x8x2}, convention: keras}\n"
    )
    assert check(str(spec)).exit_code == 0
    assert check(str(spec), "--convention", "torch").exit_code == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["nothing/here.yaml"], "shapecli: error: nothing/here.yaml: no such file or directory"),
        (["nothing/*.yaml"], "shapecli: error: no file matches nothing/*.yaml"),
        ([str(ROOT / "bench")], "shapecli: error: no spec files found (looked for *.yaml and *.yml)"),
        ([str(ROOT / "configs"), "--input", "2y3"], "'2y3' is not a dimension"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = check(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_spec_error_fails_its_file(tmp_path):
    spec = tmp_path / "typo.yaml"
    spec.write_text("layers: [{type: Dence, units: 4}]\n")
    result = check(str(spec))
    assert result.exit_code == 1
    assert f"{spec}:1:17: error: unknown layer type 'Dence'" in result.stderr


def test_max_errors_limits_the_report(tmp_path):
    spec = tmp_path / "many.yaml"
    layers = "".join(f"  - {{name: b{i}, type: Dense, units: 2, in_units: 9, from: x}}\n" for i in range(5))
    spec.write_text(f"inputs: {{x: [2, 3]}}\nlayers:\n{layers}outputs: [b0, b1, b2, b3, b4]\n")
    result = check(str(spec), "--max-errors", "2")
    assert result.stderr.count(": error: ") == 2
    assert "3 more errors not shown (raise --max-errors, or 0 for all)" in result.stderr
    assert check(str(spec), "--max-errors", "0").stderr.count(": error: ") == 5


def test_pre_commit_hook_runs_check():
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: shapecli check" in hooks and "id: shapecli-check" in hooks
