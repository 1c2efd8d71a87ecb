"""Which files `check` takes for specs: YAML files without `layers:` are skipped, --exclude leaves files out."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from shapecli.check import excluded
from shapecli.cli import main


def check(*args: str):
    return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    configs = tmp_path / "configs"
    (configs / "legacy").mkdir(parents=True)
    (configs / "net.yaml").write_text("layers: [{type: Dense, units: 4}]\ncheck: {inputs: {x: 2x8}}\n")
    (configs / "train.yaml").write_text("defaults:\n  - model: net\ntrainer: {max_epochs: 3}\n")
    (configs / "hooks.yaml").write_text("- id: lint\n  entry: ruff\n")
    (configs / "empty.yml").write_text("# nothing yet\n")
    (configs / "legacy" / "old.yaml").write_text(
        "layers: [{type: Dense, units: 4, in_units: 9}]\ncheck: {inputs: 2x8}\n"
    )
    return tmp_path


def test_yaml_files_that_are_not_specs_are_skipped(repo):
    result = check("configs", "--exclude", "legacy")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "skip  configs/empty.yml  (not a spec)",
        "skip  configs/hooks.yaml  (not a spec)",
        "ok    configs/net.yaml",
        "skip  configs/train.yaml  (not a spec)",
        "1 spec checked: 1 ok, 0 failed (0 errors, 0 warnings); 3 files skipped (not specs)",
    ]
    assert result.stderr == ""
    assert check("configs", "--exclude", "legacy", "--strict").exit_code == 0  # found by the search: not named


def test_a_named_file_that_is_not_a_spec_fails_only_with_strict(repo):
    relaxed = check("configs/train.yaml", "configs/net.yaml")
    assert relaxed.exit_code == 0
    assert relaxed.stdout.splitlines()[0] == "skip  configs/train.yaml  (not a spec)"
    assert "configs/train.yaml: warning: not a spec (no layers: key): skipped" in relaxed.stderr
    assert "hint: leave it out of the paths checked, or pass --exclude for it" in relaxed.stderr
    strict = check("configs/train.yaml", "configs/net.yaml", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.splitlines() == [
        "FAIL  configs/train.yaml  (not a spec)",
        "ok    configs/net.yaml",
        "1 spec checked: 1 ok, 0 failed (0 errors, 1 warning); 1 named file not a spec (--strict)",
    ]
    doc = json.loads(check("configs/train.yaml", "configs/net.yaml", "-f", "json").stdout)
    assert [(f["file"], f["skipped"], f["ok"]) for f in doc["files"]] == [
        ("configs/train.yaml", True, True),
        ("configs/net.yaml", False, True),
    ]
    assert doc["summary"] == {"files": 2, "ok": 1, "failed": 0, "errors": 0, "warnings": 1, "skipped": 1}
    assert doc["files"][0]["warnings"][0]["kind"] == "not_a_spec"


@pytest.mark.parametrize(
    "text, message",
    [
        ("layer: [{type: Dense, units: 4}]\n", "unknown top-level key 'layer'"),  # a typo is still a spec
        ("inputs: {x: [2, 3]}\n", "layers"),  # a spec key without layers
        ("layers: [{type: Dense, units: 4}\n", "invalid YAML"),  # broken YAML may be a spec
    ],
)
def test_a_broken_spec_is_not_skipped(tmp_path, text, message):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = check(str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"FAIL  {path}")
    assert message in result.stderr


def test_exclude_leaves_files_out(repo):
    result = check("configs", "--exclude", "train.yaml", "--exclude", "configs/legacy", "--exclude", "*.yml")
    assert [line.split()[1] for line in result.stdout.splitlines()[:-1]] == ["configs/hooks.yaml", "configs/net.yaml"]
    assert check("configs", "--exclude", "**/*.yaml", "--exclude", "*.yml").stdout.splitlines() == [
        "0 specs checked: 0 ok, 0 failed (0 errors, 0 warnings)"
    ]
    assert check("configs/legacy/old.yaml", "--exclude", "old.yaml").exit_code == 0  # named files too


@pytest.mark.parametrize(
    "path, pattern, expected",
    [
        ("configs/train.yaml", "train.yaml", True),
        ("configs/train.yaml", "*.yaml", True),
        ("configs/train.yaml", "configs", True),
        ("configs/train.yaml", "configs/*.yaml", True),
        ("configs/train.yaml", "configs/", True),
        ("configs/train.yaml", "./configs/train.yaml", True),
        ("configs/legacy/old.yaml", "configs/*.yaml", False),
        ("configs/legacy/old.yaml", "configs/**/*.yaml", True),
        ("configs/legacy/old.yaml", "**/old.yaml", True),
        ("configs/legacy/old.yaml", "legacy", True),
        ("configs/legacy/old.yaml", "configs/legacy", True),
        ("configs/legacy/old.yaml", "other/legacy", False),
        ("configs/net.yaml", "train.yaml", False),
        ("configs/net.yaml", "net", False),
        ("configs/net.yaml", "", False),
        ("-", "*", False),
    ],
)
def test_exclude_patterns(repo, path, pattern, expected):
    assert excluded(path, (pattern,)) is expected
    assert excluded(str(repo / path), (pattern,)) is expected or path == "-"


def test_the_html_overview_marks_skipped_files(repo):
    result = check("configs", "--exclude", "legacy", "--format", "html", "-o", "overview.html")
    assert result.exit_code == 0
    page = (repo / "overview.html").read_text()
    assert page.count("skip (not a spec)") >= 3 and "configs/net.yaml" in page
