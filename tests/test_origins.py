"""Declared input sizes and where each size comes from, through the command line.

A layer that declares an input size (in_units, in_channels, input_size, num_features,
embed_dim, normalized_shape …) reports a mismatch with the expected and received shapes,
the disagreeing axis marked, and where each of the two sizes comes from. Origins follow the
rules' structure — the argument a size is, the input it is copied from — never equal values.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from shapecli import explain
from shapecli.cli import main


def check(folder, monkeypatch, text: str, *args: str):
    """`shapecli check t.yaml ARGS` on the spec `text`, run in `folder`."""
    monkeypatch.chdir(folder)
    (folder / "t.yaml").write_text(text)
    return CliRunner().invoke(main, ["check", "t.yaml", *args], catch_exceptions=False)


def inspect_json(folder, monkeypatch, text: str, *args: str) -> dict:
    """The JSON document of `shapecli inspect t.yaml ARGS` on the spec `text`."""
    monkeypatch.chdir(folder)
    (folder / "t.yaml").write_text(text)
    result = CliRunner().invoke(main, ["inspect", "t.yaml", *args, "-f", "json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


# spec, command-line arguments, the error as `check` prints it
DECLARED = [
    (
        "layers:\n  - {name: conv, type: Conv2d, in_channels: 4, filters: 8, kernel_size: 3}\n",
        ["-i", "1x3x8x8"],
        """\
t.yaml:2:5: error: Conv2d 'conv' declares in_channels=4 but receives (1, 3, 8, 8) with 3 channels
 2 |   - {name: conv, type: Conv2d, in_channels: 4, filters: 8, kernel_size: 3}
   |     ^
  layer:    conv
  expected: (1, 4, 8, 8)
  received: (1, 3, 8, 8)
                ^
  axis 1: expected 4 (in_channels: 4 of 'conv', t.yaml:2:45)
          received 3 (input 'x' from --input)
  hint: set in_channels: 3, or remove in_channels
""",
    ),
    (
        "layers:\n  - {name: conv, type: Conv2d, in_channels: 4, filters: 8, kernel_size: 3}\n",
        ["-i", "1x8x8x3", "-c", "keras"],
        """\
t.yaml:2:5: error: Conv2d 'conv' declares in_channels=4 but receives (1, 8, 8, 3) with 3 channels
 2 |   - {name: conv, type: Conv2d, in_channels: 4, filters: 8, kernel_size: 3}
   |     ^
  layer:    conv
  expected: (1, 8, 8, 4)
  received: (1, 8, 8, 3)
                      ^
  axis 3: expected 4 (in_channels: 4 of 'conv', t.yaml:2:45)
          received 3 (input 'x' from --input)
  hint: set in_channels: 3, or remove in_channels
""",
    ),
    (
        "layers:\n  - {name: proj, type: Dense, units: 6}\n"
        "  - {name: lstm, type: LSTM, input_size: 8, hidden_size: 4}\n",
        ["-i", "5x2x10"],
        """\
t.yaml:3:5: error: LSTM 'lstm' declares input_size=8 but receives (5, 2, 6) with 6 features
 3 |   - {name: lstm, type: LSTM, input_size: 8, hidden_size: 4}
   |     ^
  layer:    lstm
  expected: (5, 2, 8)
  received: (5, 2, 6)
                   ^
  axis 2: expected 8 (input_size: 8 of 'lstm', t.yaml:3:42)
          received 6 (units: 6 of 'proj', t.yaml:2:38)
  hint: set input_size: 6, or remove input_size
""",
    ),
    (
        "layers:\n  - {name: gru, type: GRU, input_size: 3, hidden_size: 4, batch_first: true}\n",
        ["-i", "2x5x7"],
        """\
t.yaml:2:5: error: GRU 'gru' declares input_size=3 but receives (2, 5, 7) with 7 features
 2 |   - {name: gru, type: GRU, input_size: 3, hidden_size: 4, batch_first: true}
   |     ^
  layer:    gru
  expected: (2, 5, 3)
  received: (2, 5, 7)
                   ^
  axis 2: expected 3 (input_size: 3 of 'gru', t.yaml:2:40)
          received 7 (input 'x' from --input)
  hint: set input_size: 7, or remove input_size
""",
    ),
    (
        "layers:\n  - {name: conv, type: Conv2d, filters: 8, kernel_size: 3}\n"
        "  - {name: bn, type: BatchNorm2d, num_features: 16}\n",
        ["-i", "1x3x8x8"],
        """\
t.yaml:3:5: error: BatchNorm2d 'bn' declares num_features=16 but receives (1, 8, 6, 6) with 8 channels
 3 |   - {name: bn, type: BatchNorm2d, num_features: 16}
   |     ^
  layer:    bn
  expected: (1, 16, 6, 6)
  received: (1,  8, 6, 6)
                ^^
  axis 1: expected 16 (num_features: 16 of 'bn', t.yaml:3:49)
          received 8 (filters: 8 of 'conv', t.yaml:2:41)
  hint: set num_features: 8, or remove num_features
""",
    ),
    (
        "inputs: {q: [5, 2, 6]}\nlayers:\n  - {name: att, type: MultiheadAttention, embed_dim: 8, num_heads: 2}\n",
        [],
        """\
t.yaml:3:5: error: MultiheadAttention 'att' declares embed_dim=8 but receives the query (5, 2, 6) with 6 features
 3 |   - {name: att, type: MultiheadAttention, embed_dim: 8, num_heads: 2}
   |     ^
  layer:    att
  expected: (5, 2, 8)
  received: (5, 2, 6)
                   ^
  axis 2: expected 8 (embed_dim: 8 of 'att', t.yaml:3:54)
          received 6 (input 'q', t.yaml:1:10)
  hint: set embed_dim: 6, or remove embed_dim
""",
    ),
    (
        "inputs: {q: [5, 2, 8], k: [7, 2, 6]}\nlayers:\n"
        "  - {name: att, type: MultiheadAttention, num_heads: 2, from: [q, k]}\n",
        [],
        """\
t.yaml:3:5: error: MultiheadAttention 'att' needs the key (7, 2, 6) to have the query's 8 features \
(no kdim is set), receives 6
 3 |   - {name: att, type: MultiheadAttention, num_heads: 2, from: [q, k]}
   |     ^
  layer:    att
  inputs:
    from[0] 'q'  (5, 2, 8)
    from[1] 'k'  (7, 2, 6)
  expected: (7, 2, 8)
  received: (7, 2, 6)
                   ^
  axis 2: expected 8 (input 'q', t.yaml:1:10)
          received 6 (input 'k', t.yaml:1:24)
  hint: set kdim: 6
""",
    ),
    (
        "layers:\n  - {name: norm, type: LayerNorm, normalized_shape: [4, 8]}\n",
        ["-i", "2x3x8"],
        """\
t.yaml:2:5: error: LayerNorm 'norm' normalizes the trailing shape [4, 8] but receives (2, 3, 8)
 2 |   - {name: norm, type: LayerNorm, normalized_shape: [4, 8]}
   |     ^
  layer:    norm
  expected: (2, 4, 8)
  received: (2, 3, 8)
                ^
  axis 1: expected 4 (normalized_shape: [4, 8] of 'norm', t.yaml:2:53)
          received 3 (input 'x' from --input)
  hint: the input's last 2 axes are [3, 8]: set normalized_shape: [3, 8]
""",
    ),
]


@pytest.mark.parametrize("text, args, error", DECLARED, ids=[e.split("'")[0].split()[-1] for *_, e in DECLARED])
def test_a_declared_size_mismatch_shows_both_sizes_and_where_they_come_from(tmp_path, monkeypatch, text, args, error):
    result = check(tmp_path, monkeypatch, text, *args)
    assert result.exit_code == 1
    assert result.stderr == error


def test_a_declared_size_mismatch_in_json_locates_the_declaring_argument(tmp_path, monkeypatch):
    text = (
        "layers:\n  - {name: conv, type: Conv2d, filters: 8, kernel_size: 3}\n"
        "  - {type: BatchNorm2d, num_features: 16}\n"
    )
    (error,) = inspect_json(tmp_path, monkeypatch, text, "-i", "1x3x8x8")["errors"]
    assert error["expected"] == [1, 16, 6, 6]
    assert error["received"] == [1, 8, 6, 6]
    assert error["axes"] == [1]
    assert error["origins"] == [
        {
            "axis": 1,
            "expected": 16,
            "expected_from": {"what": "num_features: 16 of 'batchnorm0'", "file": "t.yaml", "line": 3, "column": 39},
            "received": 8,
            "received_from": {"what": "filters: 8 of 'conv'", "file": "t.yaml", "line": 2, "column": 41},
        }
    ]


# spec, --input, where the received size comes from, where the expected one does: cases where
# equal values would credit the wrong source
ORIGINS = [
    # issue 9: the 20 is the first Dense's units, not the input's 20
    (
        "layers:\n  - {type: Dense, units: 20}\n  - {type: Dense, in_units: 30, units: 5}\n",
        "2x20",
        ("units: 20 of 'dense0'", 2, 26),
        ("in_units: 30 of 'dense1'", 3, 29),
    ),
    # in_units: 20 is written first and has the same value, but the output size is units
    (
        "layers:\n  - {type: Dense, in_units: 20, units: 20}\n  - {type: Dense, in_units: 30, units: 5}\n",
        "2x20",
        ("units: 20 of 'dense0'", 2, 40),
        ("in_units: 30 of 'dense1'", 3, 29),
    ),
    # the expected 30 is in_units, not units: 30 written before it
    (
        "layers:\n  - {type: Dense, units: 30, in_units: 30}\n",
        "2x20",
        ("input 'x' from --input", None, None),
        ("in_units: 30 of 'dense0'", 2, 40),
    ),
    # the channels are filters: 3, not kernel_size: 3, nor the input's 3 channels
    (
        "layers:\n  - {type: Conv2d, kernel_size: 3, filters: 3}\n"
        "  - {type: Conv2d, in_channels: 4, filters: 8, kernel_size: 3}\n",
        "1x3x8x8",
        ("filters: 3 of 'conv0'", 2, 45),
        ("in_channels: 4 of 'conv1'", 3, 33),
    ),
    # a size 1 passes through the ReLU: it comes from the Dense before it
    (
        "layers:\n  - {type: Dense, units: 1}\n  - {type: ReLU}\n  - {type: Dense, in_units: 2, units: 3}\n",
        "2x4",
        ("units: 1 of 'dense0'", 2, 26),
        ("in_units: 2 of 'dense1'", 4, 29),
    ),
    # a size the convolution computes (8 - 3 + 1) comes from the layer, whatever its arguments' values
    (
        "layers:\n  - {type: Conv2d, filters: 6, kernel_size: 3}\n  - {type: Dense, in_units: 5, units: 2}\n",
        "1x3x8x8",
        ("Conv2d 'conv0'", 2, 5),
        ("in_units: 5 of 'dense0'", 3, 29),
    ),
    # numbers given to a block use: the block's parameters, where the use writes them
    (
        "blocks:\n  Two:\n    params: {w: int, k: int}\n    layers:\n"
        "      - {name: c1, type: Conv2d, filters: $w, kernel_size: 3}\n"
        "      - {name: c2, type: Conv2d, in_channels: $k, filters: $w, kernel_size: $k}\n"
        "layers:\n  - {name: s, type: Two, w: 4, k: 3}\n",
        "1x3x8x8",
        ("w: 4 of 's'", 8, 29),
        ("k: 3 of 's'", 8, 35),
    ),
    # sizes written as `$` expressions of shapes: the values they had
    (
        "layers:\n  - {name: a, type: Dense, units: $x.shape[1] // 2}\n"
        "  - {name: b, type: Dense, in_units: 7, units: 3}\n",
        "2x20",
        ("units: 10 of 'a'", 2, 35),
        ("in_units: 7 of 'b'", 3, 38),
    ),
    (
        "layers:\n  - {name: a, type: Dense, units: 10}\n"
        "  - {name: b, type: Dense, in_units: $a.shape[1] + 1, units: 3}\n",
        "2x20",
        ("units: 10 of 'a'", 2, 35),
        ("in_units: 11 of 'b'", 3, 38),
    ),
]


@pytest.mark.parametrize(
    "text, given, received_from, expected_from",
    ORIGINS,
    ids=[
        "issue-9",
        "equal-values",
        "expected-side",
        "filters-not-kernel",
        "size-1-passes",
        "computed",
        "block-use",
        "expression-made",
        "expression-declared",
    ],
)
def test_origins_follow_the_rules_not_equal_values(tmp_path, monkeypatch, text, given, received_from, expected_from):
    (error,) = inspect_json(tmp_path, monkeypatch, text, "-i", given)["errors"]
    (origin,) = error["origins"]
    for side, (what, line, column) in (("received_from", received_from), ("expected_from", expected_from)):
        file = None if line is None else "t.yaml"
        assert origin[side] == {"what": what, "file": file, "line": line, "column": column}


def test_the_issue_example_names_the_first_dense_units_in_the_report(tmp_path, monkeypatch):
    text = "layers:\n  - {type: Dense, units: 20}\n  - {type: Dense, in_units: 30, units: 5}\n"
    result = check(tmp_path, monkeypatch, text, "-i", "2x20")
    assert "  axis 1: expected 30 (in_units: 30 of 'dense1', t.yaml:3:29)\n" in result.stderr
    assert "          received 20 (units: 20 of 'dense0', t.yaml:2:26)\n" in result.stderr


def test_origins_are_traced_only_when_an_error_is_reported(tmp_path, monkeypatch):
    traced = []
    step = explain.Origins._step
    monkeypatch.setattr(explain.Origins, "_step", lambda self, *key: traced.append(key) or step(self, *key))
    good = "layers:\n  - {type: Dense, units: 20}\n  - {type: ReLU}\n  - {type: Dense, in_units: 20, units: 5}\n"
    assert check(tmp_path, monkeypatch, good, "-i", "2x20").exit_code == 0
    assert traced == []
    bad = good.replace("in_units: 20", "in_units: 30")
    assert check(tmp_path, monkeypatch, bad, "-i", "2x20").exit_code == 1
    assert len(traced) == 2  # through the ReLU, to the first Dense's units
