"""The differential fuzzers (tools/fuzz_torch.py, tools/fuzz_keras.py) against the real frameworks.

Each run draws seeded random layers and 2–6-layer chains, about a third of them
invalid on purpose, and compares shapecli with PyTorch / Keras 3: acceptance,
output shapes, parameters and buffers, PyTorch's MACs, and symbolic inference
evaluated at the concrete sizes. A failure names each discrepancy class with its
seed (`case torch:SEED:K`) and a spec that reproduces it;
`python tools/fuzz_torch.py --seed SEED --show K` prints that case again.
SHAPECLI_DIFFFUZZ_CASES and SHAPECLI_DIFFFUZZ_SEED run more cases or other seeds.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from shapecli.registry import LAYER_TYPES, load_layers, lookup

TOOLS = Path(__file__).resolve().parent.parent / "tools"
CASES = int(os.environ.get("SHAPECLI_DIFFFUZZ_CASES", "2500"))
SEED = int(os.environ.get("SHAPECLI_DIFFFUZZ_SEED", "0"))


def bridge(name: str):
    """tools/<name>.py, imported (it needs its framework)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module(name)


@pytest.mark.torch
def test_shapecli_agrees_with_pytorch():
    summary = bridge("fuzz_torch").fuzz(SEED, CASES)
    assert not summary.classes, "\n".join(summary.lines("torch"))
    assert summary.cases == CASES and summary.stacks > CASES // 5
    assert CASES // 6 < summary.refused < CASES // 2, "the share of invalid cases drifted"


@pytest.mark.keras
@pytest.mark.torch
def test_shapecli_agrees_with_keras():
    summary = bridge("fuzz_keras").fuzz(SEED, CASES // 2)
    assert not summary.classes, "\n".join(summary.lines("keras"))
    assert CASES // 12 < summary.refused < CASES // 4, "the share of invalid cases drifted"


@pytest.mark.torch
def test_every_layer_type_is_fuzzed_against_pytorch_or_says_why():
    fuzz_torch = bridge("fuzz_torch")
    load_layers()
    drawn = {lookup(name) for name in fuzz_torch.GENERATORS}
    refused = {lookup(name) for name in fuzz_torch.NO_COUNTERPART}
    assert None not in drawn | refused
    assert not drawn & refused
    assert {layer.type_name for layer in LAYER_TYPES if layer not in drawn | refused} == set()


@pytest.mark.keras
@pytest.mark.torch
def test_every_layer_type_is_fuzzed_against_one_framework_at_least():
    load_layers()
    drawn = {lookup(name) for module in ("fuzz_torch", "fuzz_keras") for name in bridge(module).GENERATORS}
    assert None not in drawn
    missing = sorted(layer.type_name for layer in LAYER_TYPES if layer not in drawn)
    assert missing == ["ClassToken", "PositionalEmbedding"], missing
