"""Shared fixtures: golden files, running specs from text, and the markers of optional tests.

Tests that need PyTorch or Keras carry `@pytest.mark.torch` / `@pytest.mark.keras`
(or both); tests that drive a real browser carry `@pytest.mark.browser`. Without
what a marker needs (a module, or a program on PATH) they are skipped, and the
summary says how many: the light suite (`pip install -e '.[test]'`) passes without
any framework or browser; CI installs them all and runs everything.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parent.parent

os.environ.setdefault("KERAS_BACKEND", "torch")


class Needs(NamedTuple):
    """What the tests of a marker need: modules to import, programs on PATH, and how to install them."""

    modules: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    install: str = ""

    def available(self) -> bool:
        """Whether every module can be imported and every program is on PATH."""
        return all(importlib.util.find_spec(m) is not None for m in self.modules) and all(
            shutil.which(p) for p in self.programs
        )

    def describe(self) -> str:
        """'torch', 'chromium, chromedriver and selenium': what to say is missing."""
        names = [*self.programs, *self.modules]
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


FRAMEWORKS = {
    "torch": Needs(modules=("torch",), install="pip install -e '.[torch]'"),
    "keras": Needs(modules=("keras",), install="pip install -e '.[keras]'"),
    "torchvision": Needs(modules=("torchvision",), install="pip install -e '.[torchvision]' (not run in CI)"),
    "browser": Needs(
        modules=("selenium",),
        programs=("chromium", "chromedriver"),
        install="apt-get install -y chromium chromium-driver; pip install -e '.[test]'",
    ),
}
"""Marker → what its tests need (a marker may depend on programs, not only modules)."""

_available = {marker: needs.available() for marker, needs in FRAMEWORKS.items()}
_skipped: dict[str, int] = {}


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden files from the current output")


def pytest_configure(config):
    for marker, needs in FRAMEWORKS.items():
        config.addinivalue_line("markers", f"{marker}: needs {needs.describe()} (skipped otherwise)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        missing = [m for m in FRAMEWORKS if item.get_closest_marker(m) and not _available[m]]
        if missing:
            how = "; ".join(FRAMEWORKS[m].install for m in missing)
            needed = " and ".join(FRAMEWORKS[m].describe() for m in missing)
            item.add_marker(pytest.mark.skip(reason=f"needs {needed} ({how})"))
            key = "+".join(missing)
            _skipped[key] = _skipped.get(key, 0) + 1


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        counts = ", ".join(f"{n} need {key}" for key, n in sorted(_skipped.items()))
        total = sum(_skipped.values())
        how = "; ".join(dict.fromkeys(FRAMEWORKS[m].install for key in _skipped for m in key.split("+")))
        terminalreporter.write_line(f"optional tests skipped: {total} ({counts}; {how} runs them)")
    if any(_available.values()):
        present = ", ".join(m for m, ok in _available.items() if ok)
        terminalreporter.write_line(f"optional tests run: {present}")


@pytest.fixture(autouse=True)
def _fresh_answers():
    """Each test starts with no rule answers kept from earlier tests (`shapecli.answers`): a test
    that patches a rule, a layer type or a default initializer must not see another's answers."""
    from shapecli.answers import forget_answers

    forget_answers()


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
