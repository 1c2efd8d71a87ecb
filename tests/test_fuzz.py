"""Fuzzing the command line: random spec structures and --input strings never crash it.

Each example expands a hypothesis-drawn seed into a spec (from the spec
language's grammar, with random types, names, arguments and values, sometimes
with damaged text) and a command line (random --input strings, conventions,
formats, --where). Every run must end with exit code 0, 1 or 2 — never a
traceback and never the internal-error exit 3. Expanding a seed with Python's
random keeps an example near a millisecond, so CI runs 10,000 of them;
`SHAPECLI_FUZZ_EXAMPLES` sets another number (a failure reports its seed).
"""

from __future__ import annotations

import os
import random

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapecli import args
from shapecli.catalog import layer_types
from shapecli.cli import main
from shapecli.registry import REQUIRED

EXAMPLES = int(os.environ.get("SHAPECLI_FUZZ_EXAMPLES", "10000"))
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
LAYER_TYPES = layer_types()

TYPES = [
    "Dense",
    "Conv2d",
    "Conv1d",
    "MaxPool2d",
    "AvgPool1d",
    "ConvTranspose2d",
    "Flatten",
    "Reshape",
    "Concat",
    "Add",
    "Multiply",
    "MatMul",
    "LSTM",
    "GRU",
    "MultiheadAttention",
    "BatchNorm2d",
    "LayerNorm",
    "Embedding",
    "Upsample",
    "Select",
    "Slice",
    "Permute",
    "Squeeze",
    "Unsqueeze",
    "Softmax",
    "ReLU",
    "Dropout",
    "GLU",
    "ZeroPad2d",
    "Cropping2D",
    "PositionalEmbedding",
    "TransformerEncoderLayer",
    "Block",
    "Nope",
    "dense",
]
KEYS = [
    "units",
    "filters",
    "kernel_size",
    "stride",
    "strides",
    "padding",
    "dilation",
    "groups",
    "axis",
    "dim",
    "shape",
    "output_size",
    "hidden_size",
    "num_heads",
    "num_layers",
    "bidirectional",
    "batch_first",
    "normalized_shape",
    "num_embeddings",
    "embedding_dim",
    "scale_factor",
    "size",
    "index",
    "start",
    "stop",
    "in_units",
    "in_channels",
    "ceil_mode",
    "output_padding",
    "proj_size",
    "repeat",
    "share",
    "tie",
    "p",
    "w",
    "sequence_length",
    "dims",
    "padding_mode",
    "activation",
    "use_bias",
    "junk",
]

VALUES = [
    -3,
    -1,
    0,
    1,
    2,
    3,
    4,
    7,
    12,
    64,
    10**30,
    -(10**30),
    0.5,
    1.5,
    float("inf"),
    float("nan"),
    True,
    False,
    None,
    "same",
    "valid",
    "causal",
    "x",
    "a",
    "b",
    "$w",
    "$w * 2",
    "$(w",
    "$w // 0",
    "relu",
    "",
    "?",
    "H",
    "-1",
    "1e-3",
    [],
    [2],
    [3, 3],
    [3, -1],
    [0, 1, 2],
    [1, 2, 3, 4],
    [[1, 2], [0, 1]],
    [None, 2],
    ["a", 1],
    [[[]]],
    {},
    {"x": "a"},
    {"units": 3},
    {"type": "int", "default": 2},
]


SHAPES = [
    "2x20",
    "2x3x8x8",
    "2x3x8x8",
    "2x5x8",
    "2x5x8",
    "2x4x6x6x6",
    "2x3x8x8",
    "2x20",
    "2x3xHxW",
    "Bx5xT",
    "2x3x8x8",
    "Bx20",
    "2x3xHxW",
    "1x3x224x224",
    "a=2x4",
    "b=2x4",
    "x=2x3x8x8",
    "0x0",
    "?x5",
    "2,20",
    "(2, 20)",
    "2x",
    "x",
    "",
    "=",
    "a=",
    "2x3.5",
    "2x-1",
    "H+1",
    "1x" * 70 + "1",
    "99999999999999999999x2",
]
INPUTS = [
    {"x": [2, 3, 8, 8]},
    {"x": ["B", 20]},
    {"x": [None, 5]},
    {"a": [2, 4], "b": [2, 4]},
    {"x": [2, -1]},
    {"x": "2x20"},
    {},
    {"x": [2, 3, "H", "W"]},
    {"x": [0, 0]},
]
DAMAGE = ["{", "]", ": :", "\t", "&a *a", "!!python/name:os.system", "\x00", "- ", "'", "\n  - [", "<<: *a", "\udcff"]


def plausible_value(kind, rng: random.Random):
    """A value a layer argument of this kind would accept, most of the time."""
    if isinstance(kind, args.Int):
        return rng.choice([1, 2, 3, 4, 8]) if kind.min is None or kind.min >= 0 else rng.choice([-1, 0, 1, 2])
    if isinstance(kind, args.Ints):
        return rng.choice([1, 2, 3, [1, 2], [2, 2], [3, 1, 1]])
    if isinstance(kind, args.Float):
        return rng.choice([0.0, 0.1, 0.5, 2])
    if isinstance(kind, args.Bool):
        return rng.random() < 0.5
    if isinstance(kind, args.Choice):
        return rng.choice(kind.options)
    if isinstance(kind, (args.Padding, args.BeforeAfter)):
        return rng.choice([0, 1, 2, "same", "valid", [1, 2], [[1, 0], [0, 1]]])
    return rng.choice(VALUES)


def plausible_layer(rng: random.Random) -> dict:
    """A registered layer type with its required arguments and some optional ones."""
    cls = rng.choice(LAYER_TYPES)
    entry = {"type": rng.choice([cls.type_name, *cls.aliases])}
    for name, arg in cls.args.items():
        if arg.default is REQUIRED or rng.random() < 0.2:
            entry[rng.choice([name, *arg.aliases])] = plausible_value(arg.kind, rng)
    if cls.min_inputs > 1 or rng.random() < 0.1:
        entry["from"] = ["x"] * max(cls.min_inputs, 1)
    return entry


def layer(rng: random.Random) -> dict:
    """A layer mapping: mostly a plausible one, else random types, names, from and arguments."""
    if rng.random() < 0.7:
        return plausible_layer(rng)
    entry = {"type": rng.choice(TYPES)} if rng.randrange(10) else {}
    if rng.random() < 0.5:
        entry["name"] = rng.choice(["a", "b", "c", "x", "a.b", "0", "", "fc"])
    if rng.random() < 0.25:
        entry["from"] = rng.choice(["x", "a", "b", ["a", "b"], ["x", "x"], "a/h_n", 3, {"x": "a"}])
    for _ in range(rng.randrange(5)):
        entry[rng.choice(KEYS)] = rng.choice(VALUES)
    return entry


GOOD_SHAPES = ["2x20", "2x3x8x8", "2x5x8", "2x4x6x6x6", "2x3xHxW", "Bx5xT", "2x16x8x8", "1x8x9"]


def spec_text(rng: random.Random) -> tuple[str, list[str]]:
    """A spec and its --input values: most often plausible layers on a plausible input,
    else anything the grammar allows, sometimes with damaged text."""
    if rng.random() < 0.6:
        layers = [plausible_layer(rng) for _ in range(rng.randrange(1, 5))]
        for i, entry in enumerate(layers):
            entry["name"] = f"l{i}"
            if "from" in entry:
                entry["from"] = [f"l{i - 1}" if i else "x"] * len(entry["from"])
        text = yaml.dump({"layers": layers}, Dumper=DUMPER, sort_keys=False)
        return text, [rng.choice(GOOD_SHAPES)]
    spec = {}
    if rng.random() < 0.5:
        spec["inputs"] = rng.choice(INPUTS)
    if rng.randrange(10):
        spec["layers"] = [layer(rng) for _ in range(rng.randrange(1, 5))]
    if rng.randrange(5) == 0:
        spec["blocks"] = {
            "Block": {
                "params": rng.choice([{"w": "int"}, {}, {"w": "float"}, "int"]),
                "layers": [layer(rng) for _ in range(rng.randrange(4))],
            }
        }
    if rng.randrange(6) == 0:
        spec["outputs"] = rng.choice([["a"], "b", [], ["x"], [1]])
    if rng.randrange(10) == 0:
        spec[rng.choice(["check", "layer", "extra"])] = rng.choice(VALUES)
    text = yaml.dump(spec, Dumper=DUMPER, sort_keys=False)
    if rng.randrange(8) == 0:
        cut = rng.randrange(len(text) + 1)
        text = text[:cut] + rng.choice(DAMAGE) + text[cut:]
    return text, [rng.choice(SHAPES) for _ in range(rng.choice([0, 1, 1, 1, 2]))]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(seed=st.integers(0, 2**64 - 1))
def test_no_input_crashes_the_cli(seed):
    """One example: a spec and a command line, expanded from a seed (a failure prints the seed)."""
    rng = random.Random(seed)
    text, inputs = spec_text(rng)
    args = ["inspect", "-", "--convention", rng.choice(["torch", "keras", "mxnet"])]
    for shape in inputs:
        args += ["--input", shape]
    if rng.random() < 0.3:
        args += ["--format", "json"]
    if rng.random() < 0.1:
        args += ["--where", rng.choice(["H=3", "H=1,2,W=4", "Q=1", "H=x"])]
    result = CliRunner().invoke(main, args, input=text.encode("utf-8", "surrogateescape"))
    assert result.exit_code in (0, 1, 2), (result.exit_code, text, args, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
