"""Standalone tensors (Parameter, Buffer, LayerScale) and the shape-adapting layers in specs.

The rules themselves are checked case by case against PyTorch (tests/test_reference.py,
tests/reference/torch.json); here: how they read in a spec, through the command line —
names, counts, several outputs, and the located message of each mistake.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from shapecli.cli import main

from .helpers import run_spec, shapes


def _inspect(tmp_path, text: str):
    spec = tmp_path / "t.yaml"
    spec.write_text(text)
    return CliRunner().invoke(main, ["inspect", str(spec)], catch_exceptions=False)


def test_a_parameter_is_named_by_its_path_and_broadcast_by_add():
    trace = run_spec(
        """
        inputs: {tokens: [B, 197, 768]}
        layers:
          - {name: pos_embedding, type: Parameter, shape: [1, 197, 768], init: "normal(0, 0.02)"}
          - {name: add, type: Add, from: [tokens, pos_embedding]}
        """
    )
    assert trace.errors == []
    table = trace.layers[0]
    assert shapes(table.params) == {"pos_embedding": [1, 197, 768]}
    assert trace.layers[1].output_shape[1:] == (197, 768)
    assert trace.totals.params == 197 * 768


def test_a_buffer_is_listed_not_counted_and_a_frozen_parameter_is_non_trainable():
    trace = run_spec(
        """
        inputs: {x: [2, 5]}
        layers:
          - {name: index, type: Buffer, shape: [2401], dtype: int64}
          - {name: frozen, type: Parameter, shape: [2, 3], trainable: false}
          - {name: out, type: Identity, from: x}
        """
    )
    assert trace.errors == []
    assert [(p.name, p.buffer, p.trainable) for p in trace.layers[0].params] == [("index", True, False)]
    assert trace.totals.params == 6
    assert trace.totals.non_trainable == 6


def test_layer_scale_reads_its_channels_and_names_its_scale():
    trace = run_spec(
        """
        inputs: {x: [2, 96, 56, 56]}
        layers:
          - {name: timm, type: LayerScale, axis: 1}
          - {name: layer_scale, type: LayerScale, axis: 1, param_name: ""}
        """
    )
    assert trace.errors == []
    assert shapes(trace.layers[0].params) == {"timm.gamma": [96, 1, 1]}
    assert shapes(trace.layers[1].params) == {"layer_scale": [96, 1, 1]}


def test_split_outputs_are_named_by_index():
    trace = run_spec(
        """
        inputs: {x: [2, 96]}
        layers:
          - {name: parts, type: Split, sizes: 40, count: 3, dim: 1}
          - {name: last, type: Identity, from: parts/2}
        """
    )
    assert trace.errors == []
    assert trace.layers[0].output_shapes == {"0": (2, 40), "1": (2, 40), "2": (2, 16)}
    assert trace.layers[1].output_shape == (2, 16)


def test_chunk_of_an_empty_axis_gives_as_many_empty_pieces_as_torch():
    # torch.chunk(torch.zeros(2, 0), 8, dim=1) gives 8 tensors of shape (2, 0) (PyTorch 2.13);
    # this was a ZeroDivisionError (exit 3), found by the drawings fuzzer
    trace = run_spec(
        """
        inputs: {x: [2, 0]}
        layers:
          - {name: c, type: Chunk, chunks: 8, dim: 1}
        """
    )
    assert trace.errors == []
    assert trace.layers[0].output_shapes == {str(i): (2, 0) for i in range(8)}


def test_pad_to_multiple_stays_symbolic():
    trace = run_spec(
        """
        inputs: {x: [B, H, W, 96]}
        layers:
          - {name: pad, type: PadToMultiple, multiple: 7, axes: [1, 2]}
        """
    )
    height = trace.layers[0].output_shape[1]
    assert [height.evaluate({"H": h}) for h in (1, 7, 8, 56, 57)] == [7, 7, 14, 56, 63]


MISTAKES = [
    (
        "inputs: {x: [2, 5]}\nlayers:\n  - {name: p, type: Parameter, shape: [3, 4]}\n"
        "  - {name: add, type: Add, from: [x, p]}\n",
        1,
        "t.yaml:4:5: error: Add 'add' cannot broadcast (2, 5) and (3, 4): axis 0 has 2 vs 3",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: p, type: Parameter, shape: [0, 3]}\n",
        2,
        "t.yaml:3:39: error: shape: expected [sizes ≥ 1] (empty: a scalar), received [0, 3]",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: s, type: LayerScale, channels: 8}\n",
        1,
        "t.yaml:3:5: error: LayerScale 's' declares channels=8 but receives (2, 6, 9) (9 on axis -1)",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: p, type: PadToMultiple, multiple: 4, axes: [3]}\n",
        1,
        "t.yaml:3:5: error: PadToMultiple 'p' has axis 3, out of range for a rank-3 input",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: s, type: ChannelShuffle, groups: 4}\n",
        1,
        "t.yaml:3:5: error: ChannelShuffle 's' needs channels divisible by groups (4), receives (2, 6, 9)",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: c, type: Crop, size: 10, axes: [2]}\n",
        1,
        "t.yaml:3:5: error: Crop 'c' crops axis 2 of (2, 6, 9) to 10, more than its size",
    ),
    (
        "inputs: {x: [2, 6, 9], y: [2, 6, 12]}\nlayers:\n  - {name: c, type: CropTo, axes: [2], from: [x, y]}\n",
        1,
        "t.yaml:3:5: error: CropTo 'c' crops axis 2 of (2, 6, 9) to 12, the size in (2, 6, 12), which is larger",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: s, type: Split, sizes: [2, 2], dim: 1}\n",
        1,
        "t.yaml:3:5: error: Split 's' splits axis 1 of (2, 6, 9) into [2, 2], which sum to 4, not 6",
    ),
    (
        "inputs: {x: [2, 6, 9], y: [2, 6, 8]}\nlayers:\n  - {name: s, type: Stack, from: [x, y]}\n",
        1,
        "t.yaml:3:5: error: Stack 's' needs inputs of one shape, receives (2, 6, 9) and (2, 6, 8)",
    ),
    (
        'inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: e, type: Einsum, equation: "ij,jk->ik"}\n',
        1,
        "t.yaml:3:5: error: Einsum 'e' has an equation for 2 inputs ('ij,jk->ik') but receives 1",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: p, type: Expand, sizes: [2, 5, 9]}\n",
        1,
        "t.yaml:3:5: error: Expand 'p' expands (2, 6, 9) to [2, 5, 9]: axis 1 has size 6, which is neither 5 nor 1",
    ),
    (
        "inputs: {x: [2, 6, 9]}\nlayers:\n  - {name: r, type: Repeat, repeats: [2, 2]}\n",
        1,
        "t.yaml:3:5: error: Repeat 'r' gives 2 repeats for a rank-3 input (2, 6, 9); Tensor.repeat needs at least 3 "
        "(Tile pads with 1s)",
    ),
]


@pytest.mark.parametrize("text, code, message", MISTAKES, ids=[m[2].split("'")[0][19:].strip() for m in MISTAKES])
def test_each_mistake_is_located_with_its_exit_code(tmp_path, text, code, message):
    result = _inspect(tmp_path, text)
    assert result.exit_code == code
    first = next(line for line in result.stderr.splitlines() if "error:" in line)
    assert first.endswith(message), first
