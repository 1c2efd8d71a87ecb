"""Runs of identical consecutive layers in the tables (folding.RUN_MIN or more are one row, fewer are
listed; --expand lists every layer; JSON always lists every layer). Golden tables through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shapecli.folding import RUN_MIN, Run, layer_runs, same_layer

from .helpers import inspect_cli, run_spec

ROOT = Path(__file__).parent.parent
STACK = "tests/fixtures/tables/stack.yaml"
BLOCK = "tests/fixtures/tables/block_run.yaml"


inspect = inspect_cli


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(
    "name, args",
    [
        ("stack_runs", [STACK]),
        ("stack_runs_symbolic", [STACK, "-i", "batchx16", "--sections", "before,after"]),
        ("stack_runs_skipped", [STACK, "-i", "4x20", "--sections", "after"]),
        ("block_run", [BLOCK, "--sections", "before,after"]),
    ],
)
def test_golden_runs(golden, name, args):
    result = inspect(*args)
    golden(f"tables/{name}.txt", result.stdout)


def test_twelve_identical_layers_are_one_row_nine_are_listed():
    lines = inspect(STACK, "--sections", "after").stdout.splitlines()
    run = next(i for i, line in enumerate(lines) if line.startswith("  same0–same11 ×12"))
    assert "12 identical layers" in lines[run] and "864" in lines[run]  # 12 x 72 parameters
    assert "72 ×12" in lines[run + 1] and "256 ×12" in lines[run + 1]
    assert not any(line.startswith("  same5") for line in lines)
    assert [line.split()[0] for line in lines if line.startswith("  short")] == [f"short{i}" for i in range(9)]


def test_expand_lists_every_layer_of_a_run():
    lines = inspect(STACK, "--sections", "after", "--expand").stdout.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("  same")] == [f"same{i}" for i in range(12)]
    assert not any("identical layers" in line for line in lines)


def test_json_lists_every_layer_of_a_run():
    document = json.loads(inspect(STACK, "--format", "json").stdout)
    assert [layer["path"] for layer in document["layers"]][1:13] == [f"same{i}" for i in range(12)]


def test_a_long_stack_is_a_short_table(tmp_path):
    spec = tmp_path / "deep.yaml"
    spec.write_text("layers:\n" + "  - {type: Dense, units: 4}\n" * 2000)
    result = inspect(str(spec), "-i", "2x4", "--sections", "before,after")
    lines = result.stdout.splitlines()
    assert len(lines) < 20
    assert any(line.startswith("  dense0–dense1999 ×2,000   4,000 tensors   deferred") for line in lines)
    row = next(i for i, line in enumerate(lines) if line.startswith("  dense0–dense1999 ×2,000   Dense"))
    assert "2,000 identical layers" in lines[row] and "40,000" in lines[row] and "64,000" in lines[row]
    assert "20 ×2,000" in lines[row + 1] and "32 ×2,000" in lines[row + 1]


SPECS = {
    "alike": ("layers: [{type: Dense, units: 4}, {type: Dense, units: 4}]", "2x4", True),
    "other units": ("layers: [{type: Dense, units: 4}, {type: Dense, units: 5}]", "2x4", False),
    "other input": ("layers: [{type: Dense, units: 4}, {type: Dense, units: 4}]", "2x3", False),
    "no bias": ("layers: [{type: Dense, units: 4}, {type: Dense, units: 4, use_bias: false}]", "2x4", False),
    "other type": ("layers: [{type: ReLU}, {type: Tanh}]", "2x4", False),
}


@pytest.mark.parametrize("spec, shape, alike", SPECS.values(), ids=SPECS)
def test_same_layer_compares_everything_a_row_shows(spec, shape, alike):
    first, second = run_spec(spec, shape).layers
    assert same_layer(first, second) is alike


def test_layer_runs_folds_from_run_min_on():
    trace = run_spec(
        "layers: [" + ", ".join(["{type: ReLU}"] * (RUN_MIN - 1) + ["{type: Tanh}"] * RUN_MIN) + "]", "2x4"
    )
    units = list(layer_runs(trace.layers))
    assert units == [*range(RUN_MIN - 1), Run(range(RUN_MIN - 1, 2 * RUN_MIN - 1))]
    assert units[-1].count == RUN_MIN
