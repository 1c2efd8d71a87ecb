"""The framework tables: every layer type has a counterpart or a documented refusal, and
every case of the reference grid that the framework accepted maps to its counterpart and
exports to source that compiles (no framework needed for either)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import shapecli
from shapecli.backends import keras as keras_backend
from shapecli.backends import torch as torch_backend
from shapecli.registry import LAYER_TYPES, load_layers

ROOT = Path(__file__).parent.parent
BACKENDS = {"torch": torch_backend, "keras": keras_backend}
REFERENCE = {name: json.loads((ROOT / "tests" / "reference" / f"{name}.json").read_text()) for name in BACKENDS}

load_layers()


@pytest.mark.parametrize("framework", BACKENDS)
def test_every_layer_type_has_a_counterpart_or_a_refusal(framework):
    backend = BACKENDS[framework]
    registered = {cls.type_name for cls in LAYER_TYPES}
    mapped, refused = set(backend.TABLE), set(backend.REFUSED)
    assert not mapped & refused, f"both mapped and refused: {sorted(mapped & refused)}"
    assert registered - mapped - refused == set(), "layer types without an entry"
    assert (mapped | refused) - registered == set(), "entries for types that are not registered"
    assert all(reason.strip() for reason in backend.REFUSED.values())


@pytest.mark.parametrize("framework", BACKENDS)
def test_the_readme_lists_the_refused_types(framework):
    readme = (ROOT / "README.md").read_text()
    name = {"torch": "PyTorch", "keras": "Keras"}[framework]
    line = re.search(rf"^- {name} has none for: (.*)$", readme, re.M)
    assert line, f"README: no line '- {name} has none for: …'"
    listed = set(re.findall(r"`(\w+)`", line.group(1)))
    assert listed == set(BACKENDS[framework].REFUSED)


def _spec(record: dict) -> str:
    """A record's case as a one-layer spec."""
    names = [f"x{i}" for i in range(len(record["inputs"]))]
    inputs = ", ".join(f"{n}: {json.dumps(s)}" for n, s in zip(names, record["inputs"])) or "unused: [1]"
    layer = {"name": "layer", "type": record["type"], "from": names, **record["args"]}  # a Parameter takes none
    return f"inputs: {{{inputs}}}\nlayers:\n  - {json.dumps(layer)}\n"


def _accepted(framework: str) -> list[dict]:
    return [r for r in REFERENCE[framework]["records"] if "error" not in r]


@pytest.mark.parametrize("framework", BACKENDS)
def test_every_accepted_reference_case_maps_and_exports(framework):
    """Each case the framework accepted has a counterpart (no refusal) and its exported
    source compiles; the framework tests then run it."""
    for record in _accepted(framework):
        spec = shapecli.load(_spec(record), framework)
        source = spec.export(framework)
        compile(source, f"{record['type']} {record['args']}", "exec")


@pytest.mark.torch
def test_reserved_torch_names_cover_torch_nn_module():
    from torch import nn

    from shapecli.torch_build import SpecModule

    attributes = {n for n in set(dir(nn.Module())) | set(dir(SpecModule())) if not n.startswith("__")}
    assert attributes <= torch_backend.RESERVED


@pytest.mark.keras
def test_keras_layer_attributes_cover_keras_layer():
    import keras

    layer = keras.layers.Layer()
    attributes = {n for n in set(dir(layer)) | set(vars(layer)) if not n.startswith("__")}
    assert attributes <= keras_backend.LAYER_ATTRIBUTES
