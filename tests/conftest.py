"""Shared fixtures: golden files, and running specs from text."""

from __future__ import annotations

from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parent.parent


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden files from the current output")


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/<name>; --update-golden rewrites the file instead.

    Trailing spaces (rich pads table cells) are dropped on both sides.
    """

    def check(name: str, text: str) -> None:
        text = "".join(line.rstrip() + "\n" for line in text.splitlines())
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.write_text(text)
            return
        assert path.exists(), f"no golden file {path}; run pytest --update-golden"
        assert text == path.read_text(), f"output differs from {path}; inspect, then --update-golden"

    return check
