"""shapecli's numpy forward pass against what PyTorch 2.13 and Keras 3.15 compute.

The records (tests/reference/numerics_*.json/.npz, written by tools/gen_numerics.py)
hold, for every layer-type case of the reference grid and some more (interpolation
modes, padding modes, every activation word), the framework's outputs for inputs and
parameter values that tests/numeric_values.py makes the same on every machine. Each
case runs here through `shapecli run`'s engine (shapes checked at the layer) without
any framework; outputs must agree within a relative tolerance of 1e-4 (float32),
measured against the output's largest magnitude. The live tests rebuild cases in the
installed frameworks and compare every value.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from shapecli.backends.numpy import LAYERS, REFUSED
from shapecli.infer import infer
from shapecli.registry import LAYER_TYPES, load_layers, lookup
from shapecli.run import forward
from shapecli.spec import load_model

from .numeric_values import SAMPLE, input_values, parameter_values, recorded

REFERENCE = Path(__file__).parent / "reference"
RTOL = 1e-4
DOCUMENTS = {name: json.loads((REFERENCE / f"numerics_{name}.json").read_text()) for name in ("torch", "keras")}
ARRAYS = {name: np.load(REFERENCE / f"numerics_{name}.npz") for name in ("torch", "keras")}
RECORDS = [(name, record) for name, doc in DOCUMENTS.items() for record in doc["records"]]


def run_case(convention: str, spec: str, seed: int) -> list:
    """The layer's outputs for a one-layer case, computed by shapecli's numpy backend."""
    model = load_model(spec, "case.yaml", convention)
    trace = infer(model, [])
    assert trace.errors == []
    result = forward(model, trace, parameter_values(model, trace, seed), input_values(model, trace, seed), keep=True)
    return [array for key, array in result.saved.items() if key == "layer" or key.startswith("layer/")]


def assert_close(ours: np.ndarray, theirs: np.ndarray, scale: float) -> None:
    """Elementwise within RTOL, relative to the output's largest magnitude `scale`."""
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * scale)


def _id(item) -> str:
    name, record = item
    return f"{name}-{record['key']}-{record['type']}-{json.dumps(record['args'], separators=(',', ':'))}"


@pytest.mark.parametrize("item", RECORDS, ids=[_id(i) for i in RECORDS])
def test_matches_the_recorded_framework_outputs(item):
    convention, record = item
    arrays = ARRAYS[convention]
    outputs = run_case(convention, record["spec"], record["seed"])
    assert [list(o.shape) for o in outputs] == record["outputs"]
    for i, ours in enumerate(outputs):
        kept = recorded(ours)
        theirs = arrays[f"{record['key']}/out{i}"]
        if f"{record['key']}/sums{i}" in arrays:
            sums = arrays[f"{record['key']}/sums{i}"]
            scale = float(np.abs(theirs).max())
            total, absolute, squares = kept["sums"]
            assert abs(total - sums[0]) <= RTOL * sums[1]
            assert abs(absolute - sums[1]) <= RTOL * sums[1]
            assert abs(squares - sums[2]) <= 2 * RTOL * sums[2]
        else:
            scale = float(np.abs(theirs).max()) if theirs.size else 0.0
        assert_close(kept["values"], theirs, scale)


def test_the_records_cover_every_layer_type():
    load_layers()
    covered = {lookup(record["type"]).type_name for _, record in RECORDS}
    missing = {cls.type_name for cls in LAYER_TYPES} - covered
    # no framework has these as layers: test_numerics_by_hand checks them
    assert missing == {"ClassToken", "PositionalEmbedding"}
    assert len(RECORDS) >= 1200
    assert all(doc["version"] for doc in DOCUMENTS.values())


def test_recorded_samples_are_bounded():
    assert max(ARRAYS[name][key].size for name in ARRAYS for key in ARRAYS[name].files) <= SAMPLE


def test_every_layer_type_has_a_numpy_entry_or_a_documented_refusal():
    load_layers()
    registered = {cls.type_name for cls in LAYER_TYPES}
    assert set(LAYERS) | set(REFUSED) == registered
    assert not set(LAYERS) & set(REFUSED)
    assert all(reason.strip() for reason in REFUSED.values())


BY_HAND = """
inputs: {x: [2, 3, 4]}
layers:
  - {name: token, type: ClassToken}
  - {name: position, type: PositionalEmbedding, sequence_length: 6}
"""


@pytest.mark.parametrize("convention", ["torch", "keras"])
def test_numerics_by_hand(convention):
    # ClassToken prepends its (1, 1, D) token to every sequence; PositionalEmbedding adds rows 0..T-1 of its table
    model = load_model(BY_HAND, "hand.yaml", convention)
    trace = infer(model, [])
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    token = np.array([[[10, 20, 30, 40]]], np.float32)
    table = np.arange(24, dtype=np.float32).reshape(6, 4) * 0.5
    names = [p.name for layer in trace.layers for p in layer.params]
    result = forward(model, trace, dict(zip(names, (token, table))), {"x": x}, keep=True)
    expected_token = np.concatenate([np.broadcast_to(token, (2, 1, 4)), x], axis=1)
    np.testing.assert_array_equal(result.saved["token"], expected_token)
    np.testing.assert_array_equal(result.saved["position"], expected_token + table[:4])


# -- live: rebuild each case in the installed framework ------------------------------------------------


def _live_cases(framework: str) -> list:
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "tools"))
    import gen_numerics

    return gen_numerics, gen_numerics.cases(framework)


@pytest.mark.torch
@pytest.mark.keras
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_live_against_the_framework(framework):
    # the first case of each layer type (and every extra case), rebuilt now, every value compared
    tool, cases = _live_cases(framework)
    seen, checked = set(), 0
    for index, (type_name, args, shapes, build) in enumerate(cases):
        if type_name in seen and build is None:
            continue
        case = tool.framework_case(framework, type_name, args, shapes, index, build)
        if case is None:
            continue
        seen.add(type_name)
        checked += 1
        ours = run_case(framework, case["spec"], index)
        assert len(ours) == len(case["outputs"])
        for mine, theirs in zip(ours, case["outputs"]):
            assert mine.shape == theirs.shape, (type_name, args)
            assert_close(mine, theirs, float(np.abs(theirs).max()) if theirs.size else 0.0)
    assert checked >= (100 if framework == "torch" else 80)
