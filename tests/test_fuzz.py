"""Fuzzing the command line: random spec structures and --input strings never crash it.

Each example draws a spec (from the spec language's grammar, with random types,
names, arguments and values, sometimes with damaged text) and a command line
(random commands, --input strings, conventions, formats, --where) through a
`random.Random` that hypothesis controls, so a failure shrinks to a small
example. Every run must end with exit code 0, 1 or 2 — never a traceback and
never the internal-error exit 3 — print valid JSON when asked for JSON, and
never let an escape sequence from the spec reach the output. The generators
include what found earlier defects: Unicode digits, huge and negative sizes,
deep nesting, ESC and newlines in names and keys, `null` arguments.

Calls are in-process (click's CliRunner). The default run makes 1,500
examples; CI runs 10,000 (`SHAPECLI_FUZZ_EXAMPLES` sets the number).
"""

from __future__ import annotations

import json
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

EXAMPLES = int(os.environ.get("SHAPECLI_FUZZ_EXAMPLES", "1500"))
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
    10**400,
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
    "2x²",
    "2x①",
    "2x" + "9" * 5000,
    "2,-H",
    "2,1-H",
    "2x" + "(" * 300 + "1" + ")" * 300,
    "2," + "*".join(f"(H{i} + 1)" for i in range(14)),
    "2,max(H, W)",
    "2,3*(H + 1)",
    "2x-" * 40 + "1",
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
HOSTILE_NAMES = ["a\x1b[8mb", "x\ny", "c\u202ed", "::error::z", "e\rf", "g\x07"]
"""Names and keys a terminal or a CI log would obey if they were printed raw."""
WHERES = [
    "H=3",
    "H=1,2,W=4",
    "Q=1",
    "H=x",
    "H=0",
    "H=²",
    "H=" + ",".join(map(str, range(1, 120))) + ",W=" + ",".join(map(str, range(1, 120))),
]


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
    if rng.random() < 0.05:
        return None
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
        entry["name"] = rng.choice(["a", "b", "c", "x", "a.b", "0", "", "fc", *HOSTILE_NAMES])
    if rng.random() < 0.25:
        entry["from"] = rng.choice(["x", "a", "b", ["a", "b"], ["x", "x"], "a/h_n", 3, {"x": "a"}])
    for _ in range(rng.randrange(5)):
        entry[rng.choice(KEYS)] = rng.choice(VALUES)
    if rng.random() < 0.1:
        entry[rng.choice(HOSTILE_NAMES)] = rng.choice([1, rng.choice(HOSTILE_NAMES)])
    if rng.random() < 0.05:
        entry["type"] = rng.choice(HOSTILE_NAMES)
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
    if rng.randrange(12) == 0:
        deep: object = 1
        for _ in range(rng.choice([50, 199, 201, 400])):
            deep = [deep]
        spec[rng.choice(["layers", "inputs", "extra"])] = deep
    if rng.randrange(10) == 0:
        spec[rng.choice(["check", "layer", "extra"])] = rng.choice(VALUES)
    text = yaml.dump(spec, Dumper=DUMPER, sort_keys=False)
    if rng.randrange(8) == 0:
        cut = rng.randrange(len(text) + 1)
        text = text[:cut] + rng.choice(DAMAGE) + text[cut:]
    return text, [rng.choice(SHAPES) for _ in range(rng.choice([0, 1, 1, 1, 2]))]


def command_line(rng: random.Random, inputs: list[str]) -> list[str]:
    """A command that reads the spec from standard input, with random options."""
    command = rng.choice(["inspect"] * 8 + ["check", "graph"])
    args = [command, "-", "--convention", rng.choice(["torch", "keras", "mxnet"])]
    for shape in inputs:
        args += ["--input", shape]
    if command == "inspect":
        args += rng.choice([[], [], ["--format", "json"], ["--format", "html"]])
        if rng.random() < 0.15:
            args += ["--where", rng.choice(WHERES)]
    elif command == "check":
        args += rng.choice([[], ["--format", "json"], ["--format", "github"], ["--strict"]])
    else:
        args += rng.choice([["--format", "svg"], ["--format", "mermaid"], ["--format", "dot"]])
    return args


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rng=st.randoms(use_true_random=False))
def test_no_input_crashes_the_cli(rng):
    """One example: a spec and a command line drawn through a random generator hypothesis controls."""
    text, inputs = spec_text(rng)
    args = command_line(rng, inputs)
    result = CliRunner().invoke(main, args, input=text.encode("utf-8", "surrogateescape"))
    assert result.exit_code in (0, 1, 2), (result.exit_code, text, args, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    raw = [c for c in ("\x1b", "\u202e", "\x07") if c in result.stdout + result.stderr]
    assert not raw, (raw, text, args)
    if "json" in args:
        json.loads(result.stdout)
