"""shapecli against the records of the real frameworks (tests/reference/*.json).

The records come from tools/gen_reference.py, which builds each case in PyTorch
and Keras 3 and writes what they report: output shapes, parameter names,
shapes, trainable flags and buffers, MACs (PyTorch's flop counter / 2) — or the
refusal. Every record is checked under its framework's convention.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shapecli.dims import dim_to_json
from shapecli.errors import Loc, ShapeError, SpecError
from shapecli.registry import lookup, make_config

REFERENCE = Path(__file__).parent / "reference"
DOCUMENTS = {name: json.loads((REFERENCE / f"{name}.json").read_text()) for name in ("torch", "keras")}
RECORDS = [(name, record) for name, doc in DOCUMENTS.items() for record in doc["records"]]


def _id(item) -> str:
    name, record = item
    return f"{name}-{record['type']}-{json.dumps(record['args'], separators=(',', ':'))}-{record['inputs']}"


def shapecli_view(convention: str, record: dict) -> dict:
    """What shapecli reports for a record's case, in the record's terms."""
    layer = lookup(record["type"])
    assert layer is not None, f"unknown type {record['type']}"
    shapes = [tuple(s) for s in record["inputs"]]
    try:
        cfg = make_config(layer, record["args"], convention, lambda key, value=True: Loc(1, 1))
        outs = layer.output_shape(cfg, shapes)
        built = layer.build(cfg, shapes)
        params = layer.params(built, shapes)
        macs = layer.macs(built, shapes, outs)
    except (SpecError, ShapeError) as e:
        return {"refused": e.message}
    return {
        "outputs": [[dim_to_json(d) for d in s] for s in outs],
        "params": [
            {"name": p.name, "shape": list(p.shape), "trainable": p.trainable and not p.buffer, "buffer": p.buffer}
            for p in params
        ],
        "macs": macs,
    }


def framework_view(record: dict) -> dict:
    if "error" in record:
        return {"refused": record["error"]}
    params = [{**p, "name": p["name"].replace("/", ".")} for p in record["params"]]
    return {"outputs": record["outputs"], "params": params}


@pytest.mark.parametrize("item", RECORDS, ids=[_id(i) for i in RECORDS])
def test_matches_the_framework(item):
    convention, record = item
    ours, theirs = shapecli_view(convention, record), framework_view(record)
    if "refused" in theirs:
        assert "refused" in ours, f"the framework refuses ({theirs['refused']}), shapecli gives {ours}"
        return
    assert "refused" not in ours, f"shapecli refuses: {ours.get('refused')}"
    assert ours["outputs"] == theirs["outputs"]
    assert ours["params"] == theirs["params"]
    if record.get("macs") is not None:
        assert ours["macs"] == record["macs"]


def test_the_records_cover_the_catalog():
    types = {(name, r["type"]) for name, r in RECORDS}
    assert len(RECORDS) >= 600
    assert len({lookup(t) for _, t in types}) >= 40
    assert {name for name, _ in types} == {"torch", "keras"}
    assert all(doc["version"] for doc in DOCUMENTS.values())
