"""Shared fixtures: golden files, running specs from text, and the framework markers.

Tests that need PyTorch or Keras carry `@pytest.mark.torch` / `@pytest.mark.keras`
(or both). Without the framework installed they are skipped, and the summary
says how many: the light suite (`pip install -e '.[test]'`) passes without any
framework; CI installs both and runs everything.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parent.parent

os.environ.setdefault("KERAS_BACKEND", "torch")

FRAMEWORKS = {"torch": "torch", "keras": "keras"}
"""Marker → the module it needs."""

_available = {marker: importlib.util.find_spec(module) is not None for marker, module in FRAMEWORKS.items()}
_skipped: dict[str, int] = {}


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden files from the current output")


def pytest_configure(config):
    for marker, module in FRAMEWORKS.items():
        config.addinivalue_line("markers", f"{marker}: needs {module} installed (skipped otherwise)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        missing = [m for m in FRAMEWORKS if item.get_closest_marker(m) and not _available[m]]
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"needs {' and '.join(missing)} (pip install -e '.[{','.join(missing)}]')"))
            key = "+".join(missing)
            _skipped[key] = _skipped.get(key, 0) + 1


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        counts = ", ".join(f"{n} need {key}" for key, n in sorted(_skipped.items()))
        total = sum(_skipped.values())
        terminalreporter.write_line(f"framework tests skipped: {total} ({counts}; pip install -e '.[torch,keras]' runs them)")
    elif any(_available.values()):
        present = ", ".join(m for m, ok in _available.items() if ok)
        terminalreporter.write_line(f"framework tests: all run ({present} installed)")


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/<name>; --update-golden rewrites the file instead.

    Trailing spaces (rich pads table cells) are dropped on both sides.
    """

    def check(name: str, text: str) -> None:
        text = "".join(line.rstrip() + "\n" for line in text.splitlines())
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return
        assert path.exists(), f"no golden file {path}; run pytest --update-golden"
        assert text == path.read_text(), f"output differs from {path}; inspect, then --update-golden"

    return check
