"""`shapecli diff`: layers added, removed and changed, the totals' deltas, in tables, JSON and Markdown;
REV:PATH read from git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main

ROOT = Path(__file__).parent.parent

OLD = """\
# a small MLP
layers:
  - {type: Dense, units: 256, activation: relu}
  - {type: Dense, units: 10}
check: {inputs: {x: 2x20}}
"""
NEW = """\
# a small MLP, wider, with a third layer
layers:
  - {type: Dense, units: 512, activation: relu}
  - {type: Dense, units: 10}
  - {type: Dense, units: 3}
check: {inputs: {x: 2x20}}
"""


def invoke(*args: str, stdin: str | None = None, columns: int = 120):
    return CliRunner().invoke(main, ["diff", *args], input=stdin, env={"COLUMNS": str(columns)}, catch_exceptions=False)


@pytest.fixture
def specs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW)
    return tmp_path


def test_json_has_every_change_and_delta(specs):
    result = invoke("old.yaml", "new.yaml", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # by hand: dense0 20*256+256 = 5,376 → 20*512+512 = 10,752; dense1 256*10+10 = 2,570 → 512*10+10 = 5,130;
    # dense2 (new) 10*3+3 = 33; MACs 2*20*256 + 2*256*10 = 15,360 → 2*20*512 + 2*512*10 + 2*10*3 = 30,780
    assert doc["totals"]["params"] == {"old": 7_946, "new": 15_915, "delta": 7_969}
    assert doc["totals"]["macs"] == {"old": 15_360, "new": 30_780, "delta": 15_420}
    assert doc["totals"]["bytes"] == {"old": 31_784, "new": 63_660, "delta": 31_876}
    # training memory: 16 bytes a parameter (float32 weight, gradient, Adam's two moments) and what
    # autograd keeps: old 16*7,946 + the input 2*20*4 + the ReLU's output 2*256*4 = 129,344;
    # new 16*15,915 + 160 + 2*512*4 + dense1's output, kept by dense2, 2*10*4 = 258,976
    assert doc["totals"]["memory"] == {"old": 129_344, "new": 258_976, "delta": 129_632}
    assert doc["added"] == [
        {"path": "dense2", "label": "Dense", "layers": 1, "params": 33, "macs": 60, "output_shape": [2, 3]}
    ]
    assert doc["removed"] == []
    dense0, dense1 = doc["changed"]
    assert dense0 == {
        "path": "dense0",
        "type": {"old": "Dense", "new": "Dense"},
        "outputs": {"old": [2, 256], "new": [2, 512]},
        "params": [
            {"name": "weight", "old": [256, 20], "new": [512, 20]},
            {"name": "bias", "old": [256], "new": [512]},
        ],
        "count": {"old": 5_376, "new": 10_752},
        "macs": {"old": 10_240, "new": 20_480},
    }
    assert dense1["params"] == [{"name": "weight", "old": [10, 256], "new": [10, 512]}]
    assert dense1["outputs"] == {"old": [2, 10], "new": [2, 10]}
    assert doc["same"] is False and doc["errors"] == []


def test_table(specs):
    result = invoke("old.yaml", "new.yaml")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "shapecli diff · old.yaml → new.yaml · torch convention · input x (2, 20)"
    assert (
        "  Total params                               7,946                      15,915     +7,969 (+100.3%)" in lines
    )
    assert "Layers: 1 added, 0 removed, 2 changed" in lines
    assert any(line.split()[:3] == ["added", "dense2", "Dense"] for line in lines)
    assert any("(2, 256) → (2, 512)" in line and "weight (256, 20) → (512, 20)" in line for line in lines)


def test_markdown_for_a_pull_request(specs, golden):
    result = invoke("old.yaml", "new.yaml", "--format", "markdown")
    assert result.exit_code == 0
    golden("diff/mlp.md", result.stdout)


def test_the_same_spec_has_no_changes(specs):
    result = invoke("old.yaml", "old.yaml")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "Layers: no change to the layers, shapes or totals"
    assert json.loads(invoke("old.yaml", "old.yaml", "-f", "json").stdout)["same"] is True


def test_a_repeated_block_grown_is_one_entry_per_copy(tmp_path):
    old = (ROOT / "configs" / "residual_mlp.yaml").read_text()
    new = old.replace("repeat: 3", "repeat: 5")
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    doc = json.loads(invoke(str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "-f", "json").stdout)
    assert [(e["path"], e["label"], e["layers"], e["params"]) for e in doc["added"]] == [
        ("stage1.3", "ResidualDense", 3, 8_320),  # 2 x (64*64 + 64)
        ("stage1.4", "ResidualDense", 3, 8_320),
    ]
    assert doc["changed"] == [] and doc["removed"] == []
    assert doc["totals"]["params"]["delta"] == 16_640


def test_symbolic_totals_give_formula_deltas(tmp_path):
    (tmp_path / "old.yaml").write_text("inputs: {x: [batch, 8]}\nlayers: [{type: Dense, units: 4}]\n")
    (tmp_path / "new.yaml").write_text("inputs: {x: [batch, 8]}\nlayers: [{type: Dense, units: 6}]\n")
    doc = json.loads(invoke(str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "-f", "json").stdout)
    assert doc["totals"]["macs"] == {"old": "32*batch", "new": "48*batch", "delta": "16*batch"}


def test_a_shape_error_on_either_side_exits_1(specs):
    (specs / "bad.yaml").write_text(NEW.replace("units: 10}", "units: 10, in_units: 7}"))
    result = invoke("old.yaml", "bad.yaml")
    assert result.exit_code == 1
    assert "bad.yaml:4:5: error: Dense 'dense1' declares in_units=7 but receives (2, 512)" in result.stderr
    doc = json.loads(invoke("old.yaml", "bad.yaml", "-f", "json").stdout)
    assert doc["errors"][0]["kind"] == "shape_mismatch"


@pytest.mark.parametrize(
    "args, message",
    [
        (["old.yaml", "nothing.yaml"], "shapecli: error: cannot read nothing.yaml: No such file or directory"),
        (["old.yaml", "--", "--output=x:y"], "shapecli: error: --output=x:y: not a file, nor a git REV:PATH"),
        (["old.yaml", ":x.yaml"], "shapecli: error: :x.yaml: not a file, nor a git REV:PATH"),
        (["-", "-"], "OLD and NEW cannot both be - (standard input)"),
        (["old.yaml", "new.yaml", "-i", "2y3"], "'2y3' is not a dimension"),
    ],
)
def test_unusable_arguments_exit_2(specs, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_invalid_spec_is_located_and_exits_2(specs):
    (specs / "typo.yaml").write_text("layers:\n  - {type: Dence, units: 4}\n")
    result = invoke("old.yaml", "typo.yaml")
    assert result.exit_code == 2
    assert "typo.yaml:2:12: error: unknown layer type 'Dence'" in result.stderr


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_rev_path_reads_the_spec_from_git(specs):
    _git(specs, "init", "-q")
    (specs / "models").mkdir()
    (specs / "models" / "net.yaml").write_text(OLD)
    _git(specs, "add", "models/net.yaml")
    _git(specs, "commit", "-q", "-m", "first")
    (specs / "models" / "net.yaml").write_text(NEW)
    result = invoke("HEAD:models/net.yaml", "models/net.yaml", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("### shapecli diff: models/net.yaml\n\nHEAD:models/net.yaml → models/net.yaml")
    assert "| Total params | 7,946 | 15,915 | **+7,969 (+100.3%)** |" in result.stdout
    # errors of the old spec are located in it, named by REV:PATH
    (specs / "models" / "net.yaml").write_text("layers:\n  - {type: Dence, units: 4}\n")
    _git(specs, "commit", "-q", "-a", "-m", "typo")
    broken = invoke("HEAD:models/net.yaml", "old.yaml")
    assert broken.exit_code == 2
    assert "HEAD:models/net.yaml:2:12: error: unknown layer type 'Dence'" in broken.stderr
    missing = invoke("HEAD:models/none.yaml", "old.yaml")
    assert missing.exit_code == 2
    assert "HEAD:models/none.yaml: path 'models/none.yaml' does not exist in 'HEAD'" in missing.stderr
    bad_rev = invoke("nosuchrev:models/net.yaml", "old.yaml")
    assert bad_rev.exit_code == 2
    assert "nosuchrev:models/net.yaml: invalid object name 'nosuchrev'" in bad_rev.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_rev_path_outside_a_repository(specs):
    result = invoke("HEAD:old.yaml", "new.yaml")
    assert result.exit_code == 2
    assert "HEAD:old.yaml: not a git repository" in result.stderr
