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
