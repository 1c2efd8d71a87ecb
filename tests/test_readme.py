"""The README's Python example of "The spec becomes the model" runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def python_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The spec becomes the model", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section has one Python example"
    return blocks[0]


@pytest.mark.torch
@pytest.mark.keras
def test_the_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    exec(compile(python_example(), "README.md", "exec"), {})
    assert capsys.readouterr().out.startswith(
        "configs/mlp_mismatch.yaml:4:5: error: Dense 'dense0' declares in_units=30"
    )


# transcripts that need a setting the suite does not make: a git history, torchvision, an exported file
NEEDS_SETUP = ("shapecli diff HEAD:", "shapecli import torch torchvision", "--check model.py")


def shell_examples() -> list[tuple[str, str]]:
    """The README's shell transcripts: a ``` block whose first line is `$ shapecli …`, then what it prints."""
    readme = (ROOT / "README.md").read_text()
    examples = []
    for command, output in re.findall(r"```\n\$ (shapecli [^\n]*)\n(.*?)```", readme, re.S):
        if "|" not in command and "\n$ " not in output and not any(part in command for part in NEEDS_SETUP):
            examples.append((command, output))
    return examples


def _fragments(output: str) -> list[list[str]]:
    """The runs of lines a transcript shows, split where it elides (a line `...` or `…`)."""
    fragments = [[]]
    for line in output.rstrip("\n").splitlines():
        if line.strip() in ("...", "…"):
            fragments.append([])
        else:
            fragments[-1].append(line.rstrip())
    return [fragment for fragment in fragments if fragment]


def _contains(lines: list[str], run: list[str]) -> bool:
    return any(lines[i : i + len(run)] == run for i in range(len(lines) - len(run) + 1))


def test_the_readme_has_transcripts():
    assert len(shell_examples()) >= 9


@pytest.mark.parametrize("command, output", shell_examples(), ids=lambda value: value[:70])
def test_shell_transcripts_show_what_shapecli_prints(monkeypatch, command, output):
    """Every run of lines a transcript shows is printed, in one piece, by that command today."""
    import shlex

    from click.testing import CliRunner

    from shapecli.cli import main

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, shlex.split(command)[1:], env={"COLUMNS": "100", "NO_COLOR": "1"})
    printed = [line.rstrip() for line in (result.stdout + result.stderr).splitlines()]
    for fragment in _fragments(output):
        assert _contains(printed, fragment), "\n".join(fragment)
