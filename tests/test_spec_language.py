"""The spec language's constructs: `$` expressions (parameters, rationals, shapes read from
tensors), `if:`, model parameters and `--set`, `check:` variants, repeats with several inputs
and a start, shared and tied block uses, `expect:` contracts, `convention:`, and every spec
error reported at once. Each construct: what it computes, and its located errors."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from shapecli.cli import main
from shapecli.dims import Expr
from shapecli.errors import SpecError
from shapecli.expr import Context, ExprError, evaluate, parse, plain
from shapecli.spec import load_model

from .helpers import run_spec


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def spec(text: str) -> str:
    return textwrap.dedent(text)


# -- the expression language --------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("64 * (128 / 64) * 1", 128),  # exact rational arithmetic
        ("3 / 2", 1.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("2 ** 10", 1024),
        ("2 ^ 3 ^ 2", 512),  # right-associative
        ("floor(7 / 2) + ceil(7 / 2)", 7),
        ("round(2.5) + round(3.5)", 6),  # Python's half to even
        ("abs(-3) + min(4, 2, 9) + max(1, 5)", 10),
        ("1 < 2 < 3", True),
        ("1 < 2 > 3", False),
        ("not 1 == 1 or 2 != 3", True),
        ("1 == 1 and 2 == 3", False),
        ("'relu' == 'relu'", True),
        ("10 if 1 > 2 else 20", 20),
        ("make_divisible(32 * 1.0, 8)", 32),
        ("make_divisible(16 * 0.75, 8)", 16),  # torchvision: 12 → 16 (no more than 10% below)
        ("make_divisible(96 * 0.35, 8)", 32),
        ("make_divisible(3, 8)", 8),
        ("make_divisible(100, 8, 64)", 104),
        ("true and not false", True),
    ],
)
def test_expressions(text, value):
    result = plain(evaluate(parse(text), Context()))
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 +", "expected more at the end"),
        ("max(1)", "max() takes two or more arguments"),
        ("foo(1)", "unknown function 'foo'"),
        ("2 ** 65", "an integer exponent must be from 0 to 64"),
        ("'a' + 1", "'+' needs numbers, received 'a'"),
        ("x.size[1]", "only a name's .shape[axis] can follow a '.'"),
        ("1 if 2", "expected 'else' at the end"),
        ("make_divisible(5, 0)", "make_divisible's divisor must be positive"),
    ],
)
def test_expression_errors(text, message):
    with pytest.raises(ExprError) as caught:
        evaluate(parse(text), Context())
    assert message in str(caught.value)


# -- parameters: block, model, --set ----------------------------------------------------------

RESNET_WIDTH = """
params: {width_per_group: {type: int, default: 64}, groups: {type: int, default: 1}}
blocks:
  Bottleneck:
    params: {planes: int}
    layers:
      - {name: conv2, type: Conv2d, filters: $planes * ($width_per_group / 64) * $groups, kernel_size: 3,
         padding: 1, groups: $groups, bias: false}
layers:
  - {name: b, type: Bottleneck, planes: 64}
"""


@pytest.mark.parametrize(
    "overrides, filters",
    [({}, 64), ({"width_per_group": "128"}, 128), ({"width_per_group": "128", "groups": "2"}, 256)],
)
def test_model_parameters_and_set(overrides, filters):
    model = load_model(RESNET_WIDTH, "spec.yaml", overrides=overrides)
    assert model.nodes[0].cfg.filters == filters
    assert model.params["width_per_group"] == int(overrides.get("width_per_group", 64))


@pytest.mark.parametrize(
    "text, overrides, message",
    [
        (RESNET_WIDTH, {"width": "2"}, "--set width: the spec has no parameter 'width'"),
        (RESNET_WIDTH, {"groups": "two"}, "--set groups=two: expected an integer, received 'two'"),
        ("params: {w: int}\nlayers: [{type: Dense, units: $w}]\n", {}, "the model parameter 'w' has no default"),
        ("layers: [{type: Dense, units: $w}]\n", {}, "'$w' is used outside a block"),
        ("params: {w: {type: int, default: 2}}\nlayers: [{type: Dense, units: $ww}]\n", {}, "unknown model parameter"),
        (
            "blocks:\n  B:\n    params: {n: int}\n    layers: [{type: Dense, units: $n * 1.5}]\n"
            "layers: [{type: B, n: 3}]\n",
            {},
            "units: expected an integer, received 4.5",
        ),
    ],
)
def test_parameter_errors(text, overrides, message):
    from shapecli.errors import InputError

    with pytest.raises((SpecError, InputError)) as caught:
        load_model(text, "spec.yaml", overrides=overrides)
    assert message in caught.value.message


def test_set_on_the_command_line(tmp_path):
    path = tmp_path / "resnet.yaml"
    path.write_text(RESNET_WIDTH)
    doc = json.loads(
        invoke("inspect", str(path), "-i", "1x64x8x8", "--set", "width_per_group=128", "-f", "json").stdout
    )
    assert doc["layers"][0]["params"][0]["after"] == [128, 64, 3, 3]
    result = invoke("inspect", str(path), "-i", "1x64x8x8", "--set", "nope")
    assert result.exit_code == 2
    assert "--set nope: expected NAME=VALUE" in result.stderr


# -- sizes read from tensors ------------------------------------------------------------------

DENSE_TRANSITION = """
inputs: {x: [batch, 64, H, W]}
layers:
  - {name: grow, type: Conv2d, filters: 32, kernel_size: 3, padding: 1}
  - {name: cat, type: Concat, from: [x, grow]}
  - {name: transition, type: Conv2d, filters: $cat.shape[1] // 2, kernel_size: 1}
  - {name: half, type: Conv2d, filters: $x.shape[-3], kernel_size: 1}
"""


def test_sizes_read_from_tensors():
    trace = run_spec(DENSE_TRANSITION)
    layers = {layer.path: layer for layer in trace.layers}
    assert layers["transition"].params[0].after == (48, 96, 1, 1)
    assert layers["half"].params[0].after == (64, 48, 1, 1)
    assert layers["transition"].params[0].before[0] != 48  # not known before inference
    assert not trace.errors


@pytest.mark.parametrize(
    "value, message",
    [
        ("$cat.shape[7]", "cat.shape[7] is out of range: cat has 4 axes"),
        ("$nope.shape[1]", "reads the shape of 'nope', which is not a name here"),
        ("$cat.shape[1] / 7", "filters: expected an integer, received 13.714285714285714"),
    ],
)
def test_errors_of_sizes_read_from_tensors(value, message):
    text = DENSE_TRANSITION.replace("$cat.shape[1] // 2", value)
    try:
        trace = run_spec(text)
    except SpecError as e:
        assert message in e.message
        return
    (error,) = [e for e in trace.errors if e.path == "transition"]
    assert message in error.message
    assert error.loc.line == 6


INVERTED = """
blocks:
  ConvBN:
    params: {width: int, groups: {type: int, default: 1}}
    layers:
      - {name: conv, type: Conv2d, filters: $width, kernel_size: 1, groups: $groups, bias: false}
      - {name: bn, type: BatchNorm2d}
  Inverted:
    params: {t: int}
    layers:
      - {name: expand, type: ConvBN, width: $x.shape[1] * $t}
      - {name: depthwise, type: ConvBN, width: $x.shape[1] * $t, groups: $x.shape[1] * $t}
      - {name: project, type: ConvBN, width: $x.shape[1] + 8}
inputs: {image: [1, 16, H, W]}
layers:
  - {name: a, type: Inverted, t: 6}
  - {name: b, type: Inverted, t: 2, repeat: 2}
  - {name: c, type: ConvBN, width: $image.shape[1] * 2, repeat: 2}
"""


def test_block_parameters_read_from_tensors_in_the_scope_of_the_use():
    # `x` in Inverted's uses of ConvBN is Inverted's input (of each copy); `image` is the model's
    trace = run_spec(INVERTED)
    weights = {layer.path: layer.params[0].after for layer in trace.layers if layer.path.endswith("conv")}
    assert weights == {
        "a/expand/conv": (96, 16, 1, 1),
        "a/depthwise/conv": (96, 1, 1, 1),
        "a/project/conv": (24, 96, 1, 1),
        "b.0/expand/conv": (48, 24, 1, 1),
        "b.0/depthwise/conv": (48, 1, 1, 1),
        "b.0/project/conv": (32, 48, 1, 1),
        "b.1/expand/conv": (64, 32, 1, 1),
        "b.1/depthwise/conv": (64, 1, 1, 1),
        "b.1/project/conv": (40, 64, 1, 1),
        "c.0/conv": (32, 40, 1, 1),
        "c.1/conv": (32, 32, 1, 1),
    }
    assert trace.outputs == {"c": (1, 32, Expr.symbol("H"), Expr.symbol("W"))}
    assert not trace.errors


def test_a_repeat_that_reads_shapes_is_refused():
    with pytest.raises(SpecError) as caught:
        load_model("inputs: {x: [2, 4]}\nlayers: [{type: ReLU, repeat: $x.shape[1]}]\n", "spec.yaml")
    assert "repeat must depend on parameters only" in caught.value.message


@pytest.mark.parametrize(
    ("layer", "column", "message", "hint"),
    [
        (
            "{type: Dense, units: 4 * $w}",
            26,
            "'4 * $w' is not an expression: a $ value must start with $",
            "write '$4 * w' (the $ before names inside an expression is optional)",
        ),
        (
            "{type: Dense, units: 4 * $max(w, 2)}",
            26,
            "'4 * $max(w' is not an expression: a $ value must start with $",
            "start the value with $: inside {…}, a value that does not start with $ ends at its first comma",
        ),
        (
            "{type: Conv2d, filters: 2, kernel_size: [3, 1 + $w]}",
            49,
            "'1 + $w' is not an expression: a $ value must start with $",
            "write '$1 + w' (the $ before names inside an expression is optional)",
        ),
    ],
)
def test_a_value_with_a_dollar_inside_is_no_expression(layer, column, message, hint):
    text = f"params: {{w: {{type: int, default: 2}}}}\nlayers:\n  - {layer}\n"
    with pytest.raises(SpecError) as caught:
        load_model(text, "spec.yaml")
    (error,) = caught.value.errors
    assert (error.message, error.hint, error.loc.line, error.loc.column) == (message, hint, 3, column)


def test_if_may_start_with_not():
    text = "params: {flag: {type: bool, default: true}}\nlayers:\n  - {type: ReLU, if: not $flag}\n"
    assert run_spec(text, "2x3").layers[0].state == "absent"
    assert run_spec(text, "2x3").layers[0].condition == "not $flag"


# -- conditional layers -------------------------------------------------------------------

MOBILENET = """
blocks:
  Inverted:
    params: {inp: int, t: int, out: int}
    layers:
      - {name: expand, type: Conv2d, filters: $inp * $t, kernel_size: 1, if: $t != 1}
      - {name: depthwise, type: Conv2d, filters: $inp * $t, kernel_size: 3, padding: 1, groups: $inp * $t}
      - {name: project, type: Conv2d, filters: $out, kernel_size: 1}
      - {name: add, type: Add, from: [project, x], if: $x.shape[1] == $project.shape[1]}
layers:
  - {name: a, type: Inverted, inp: 16, t: 1, out: 16}
  - {name: b, type: Inverted, inp: 16, t: 6, out: 24}
"""


def test_if_leaves_layers_out():
    trace = run_spec(MOBILENET, "1x16x8x8")
    states = {layer.path: layer.state for layer in trace.layers}
    assert states == {
        "a/expand": "absent",
        "a/depthwise": "ok",
        "a/project": "ok",
        "a/add": "ok",
        "b/expand": "ok",
        "b/depthwise": "ok",
        "b/project": "ok",
        "b/add": "absent",
    }
    by_path = {layer.path: layer for layer in trace.layers}
    assert by_path["a/depthwise"].params[0].after == (16, 1, 3, 3)  # its input is the block's
    assert by_path["a/expand"].condition == "$t != 1" and by_path["a/expand"].params == []
    assert trace.outputs == {"b": (1, 24, 8, 8)}


@pytest.mark.parametrize(
    "condition, message",
    [
        ("if: 3", None),
        ("if: '$x.shape[1]'", "if on a block use must depend on parameters only"),
        ("if: [1]", "if: expected true, false or an expression"),
    ],
)
def test_if_values(condition, message):
    text = (
        "blocks:\n  B:\n    layers: [{type: ReLU}]\ninputs: {x: [2, 3]}\n"
        f"layers:\n  - {{type: B, {condition}}}\n  - {{type: Dense, units: 2}}\n"
    )
    if message is None:
        assert not run_spec(text).errors
        return
    with pytest.raises(SpecError) as caught:
        load_model(text, "spec.yaml")
    assert message.replace("if on", "an if: on") in caught.value.message or message in caught.value.message


# -- repeats ----------------------------------------------------------------------------------


def test_repeat_with_several_inputs_and_a_start():
    text = """
    blocks:
      DenseLayer:
        inputs: [x, skip]
        layers:
          - {name: conv, type: Conv2d, filters: 4, kernel_size: 1, from: x}
          - {name: add, type: Add, from: [conv, skip]}
    inputs: {x: [1, 4, 8, 8]}
    layers:
      - {name: denselayer, type: DenseLayer, from: [x, x], repeat: {count: 3, start: 1}}
    """
    trace = run_spec(text)
    assert [layer.path for layer in trace.layers] == [
        "denselayer.1/conv", "denselayer.1/add", "denselayer.2/conv", "denselayer.2/add",
        "denselayer.3/conv", "denselayer.3/add",
    ]  # fmt: skip
    assert [p.name for p in trace.layers[2].params] == ["denselayer.2.conv.weight", "denselayer.2.conv.bias"]
    assert not trace.errors


@pytest.mark.parametrize(
    ("separator", "paths"),
    [
        ("''", ["denselayer1/conv", "denselayer2/conv", "denselayer3/conv"]),
        ("_", ["denselayer_1/conv", "denselayer_2/conv", "denselayer_3/conv"]),
        ("'-'", ["denselayer-1/conv", "denselayer-2/conv", "denselayer-3/conv"]),
        ("'.'", ["denselayer.1/conv", "denselayer.2/conv", "denselayer.3/conv"]),
    ],
)
def test_repeat_separator_names_the_copies_as_the_framework_does(separator, paths):
    text = f"""
    blocks:
      DenseLayer:
        layers: [{{name: conv, type: Conv2d, filters: 4, kernel_size: 1}}]
    inputs: {{x: [1, 4, 8, 8]}}
    layers:
      - {{name: denselayer, type: DenseLayer, repeat: {{count: 3, start: 1, separator: {separator}}}}}
      - {{name: head, type: ReLU, from: {paths[1].split("/")[0]}}}
    outputs: [denselayer, head]
    """
    trace = run_spec(text)
    assert [layer.path for layer in trace.layers] == [*paths, "head"]
    assert trace.layers[1].params[0].name == paths[1].replace("/", ".") + ".weight"
    assert list(trace.outputs) == ["denselayer", "head"]
    assert not trace.errors


def test_repeat_separator_for_a_repeated_layer():
    trace = run_spec(
        "inputs: {x: [2, 4]}\nlayers:\n  - {name: fc, type: Dense, units: 4, repeat: {count: 2, separator: ''}}\n"
    )
    assert [p.name for layer in trace.layers for p in layer.params] == [
        "fc0.weight",
        "fc0.bias",
        "fc1.weight",
        "fc1.bias",
    ]


@pytest.mark.parametrize(
    ("layers", "line", "column", "message"),
    [
        (
            "  - {name: fc2, type: ReLU}\n  - {name: fc, type: ReLU, repeat: {count: 3, separator: ''}}\n",
            4,
            36,
            "copy 'fc2' of the repeated 'fc' has the name of another layer (line 3)",
        ),
        (
            "  - {name: fc, type: ReLU, repeat: {count: 3, separator: ''}}\n  - {name: fc1, type: ReLU}\n",
            4,
            12,
            "the name 'fc1' is already used (line 3)",
        ),
        (
            "  - {name: fc, type: ReLU, repeat: {count: 3, separator: /}}\n",
            3,
            58,
            "repeat: separator must be one of '.', '_', '-', '', received '/'",
        ),
    ],
)
def test_repeat_separator_errors(layers, line, column, message):
    with pytest.raises(SpecError) as caught:
        load_model("inputs: {x: [2, 4]}\nlayers:\n" + layers, "spec.yaml")
    (error,) = caught.value.errors
    assert (error.message, error.loc.line, error.loc.column) == (message, line, column)


# -- shared and tied blocks -----------------------------------------------------------------

GAN = """
blocks:
  Discriminator:
    layers:
      - {name: fc, type: Dense, units: 8}
      - {name: out, type: Dense, units: 1}
inputs: {real: [2, 16], fake: [2, 16]}
layers:
  - {name: d_real, type: Discriminator, from: real}
  - {name: d_fake, share: d_real, from: fake}
"""


def test_a_block_use_shares_another_s_parameters():
    trace = run_spec(GAN)
    assert trace.totals.params == 16 * 8 + 8 + 8 + 1
    shared = [p for layer in trace.layers for p in layer.params if p.shared_with]
    assert [p.shared_with for p in shared] == [
        "d_real.fc.weight",
        "d_real.fc.bias",
        "d_real.out.weight",
        "d_real.out.bias",
    ]


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{name: d_fake, share: nothing, from: fake}", "unknown name 'nothing'"),
        ("{name: d_fake, type: Discriminator, tie: nothing, from: fake}", "tie: 'nothing' is not a use of a block"),
        ("{name: d_fake, tie: d_real, type: Dense, units: 1, from: fake}", "'d_real' is a block use"),
    ],
)
def test_share_and_tie_of_block_uses_are_checked(entry, message):
    text = GAN.replace("{name: d_fake, share: d_real, from: fake}", entry)
    with pytest.raises(SpecError) as caught:
        load_model(text, "spec.yaml")
    assert message in caught.value.message


# -- expect: ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expectation, inputs, message",
    [
        ("[B, 8, 'floor((H + 1)/2)', 'floor((W + 1)/2)']", "Bx3xHxW", None),
        ("[B, 8, 16, 16]", "2x3x32x32", None),
        ("[B, 16, 16, 16]", "2x3x32x32", "expects (B, 16, 16, 16), but gives (2, 8, 16, 16) (axis 1)"),
        ("[B, 8, 16]", "2x3x32x32", "expects a rank-3 output, but gives (2, 8, 16, 16)"),
    ],
)
def test_expect_contracts(expectation, inputs, message):
    text = f"layers:\n  - {{type: Conv2d, filters: 8, kernel_size: 3, stride: 2, padding: 1, expect: {expectation}}}\n"
    trace = run_spec(text, inputs)
    if message is None:
        assert not trace.errors
        return
    (error,) = trace.errors
    assert error.kind == "assertion_failed"
    assert message in error.message
    assert (error.loc.line, error.loc.column) == (2, 79)


# -- the spec's convention, every error at once ---------------------------------------------


def test_a_spec_names_its_convention():
    text = "convention: keras\ninputs: {x: [2, 8, 8, 3]}\nlayers: [{type: Conv2D, filters: 4, kernel_size: 3}]\n"
    model = load_model(text, "spec.yaml")
    assert model.convention == "keras" and model.declared_convention == "keras"
    assert load_model(text, "spec.yaml", "torch").convention == "torch"  # --convention overrides


def test_every_spec_error_is_reported_at_once():
    text = spec(
        """\
        layers:
          - {type: Dence, units: 4}
          - {type: Dense, unit: 4}
          - {type: Conv2d, filters: 0, kernel_size: 3}
          - {type: Dense, units: 4, from: nowhere}
          - {type: ReLU, repeat: -2}
        """
    )
    result = invoke("inspect", "-", "--input", "2x3", stdin=text)
    assert result.exit_code == 2
    located = [line.split(": error: ")[0] for line in result.stderr.splitlines() if ": error: " in line]
    assert located == ["<stdin>:2:12", "<stdin>:3:19", "<stdin>:4:29", "<stdin>:5:35", "<stdin>:6:26"]
    assert "unknown layer type 'Dence'" in result.stderr
    assert "unknown argument 'unit' for Dense" in result.stderr
    assert "unknown name 'nowhere'" in result.stderr


def test_check_variants_each_run(tmp_path):
    path = tmp_path / "variants.yaml"
    path.write_text(
        RESNET_WIDTH
        + "check:\n  - {inputs: {x: 1x64x8x8}}\n  - {set: {width_per_group: 128}, inputs: {x: 1x64x8x8}}\n"
        + "  - {set: {groups: 3}, inputs: {x: 1x64x8x8}}\n"
    )
    result = invoke("check", str(path))
    assert result.exit_code == 1
    assert "in check variant 3 (set: groups=3)" in result.stderr
    assert "groups=3, which must divide the 64 input channels" in result.stderr


CHECKED = """
layers:
  - {name: fc1, type: Dense, units: 256, activation: relu}
  - {name: logits, type: Dense, units: 10}
check:
  inputs: {x: 8x20}
  expect: %s
"""


@pytest.mark.parametrize(
    "expect, messages",
    [
        ("{outputs: {logits: [8, 10]}, params: '<= 10K', macs: 61440, memory: '< 1MiB'}", []),
        ("{outputs: {logits: [8, null]}, trainable: '>= 7.9K'}", []),
        (
            "{outputs: {logits: [8, 1000]}}",
            ["7:30: error: output 'logits' is (8, 10), but check expects (8, 1000)"],
        ),
        ("{params: '<= 7K'}", ["7:20: error: params is 7,946, but check expects <= 7K (<= 7,000)"]),
        ("{macs: '> 1G'}", ["7:18: error: macs is 61,440, but check expects > 1G (> 1,000,000,000)"]),
        (
            "{memory: '<= 16KiB'}",
            # 7,946 params, their gradients and two Adam moments (4 bytes each), and the
            # activations kept: the input of fc1 (8x20) and the ReLU output fc1 and logits share (8x256)
            [f"7:20: error: memory is {7946 * 4 * 4 + (8 * 20 + 8 * 256) * 4:,} bytes, but check expects <= 16KiB"],
        ),
        ("{paramz: 1}", ["7:20: error: check expect paramz: unknown key of check expect 'paramz'"]),
        ("{params: lots}", ["7:20: error: check expect params: expected a bound such as '<= 30M'"]),
    ],
)
def test_check_expect(tmp_path, expect, messages):
    path = tmp_path / "spec.yaml"
    path.write_text(CHECKED % expect)
    result = invoke("check", str(path))
    assert result.exit_code == (1 if messages else 0), result.stderr
    for message in messages:
        assert f"{path}:{message}" in result.stderr
