"""Property test: symbolic inference agrees with concrete inference.

Random stacks of convolutions, poolings (ceil_mode included), transposed
convolutions, upsampling, paddings (negative amounts crop), slices (negative
bounds), selections, adaptive poolings, skip concatenations and a final reshape are inspected
once with symbolic sizes (2x3xHxW) and again at random concrete sizes. At each
size, the symbolic result evaluated there must equal the concrete one, and the
symbolic requirements must hold exactly when the concrete run succeeds.
Keras stacks of mostly strided 'same' convolutions and poolings are checked
the same way (their lengths are built as ceil(n/s) directly).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapecli.dims import format_dim
from shapecli.infer import evaluate_at

from .helpers import run_spec

EXAMPLES = int(os.environ.get("SHAPECLI_PROPERTY_EXAMPLES", "1000"))


@st.composite
def layer(draw, index: int):
    """One layer of the stack, as a YAML flow mapping."""
    kind = draw(
        st.sampled_from(
            ["conv", "conv", "pool", "pool", "convt", "upsample", "concat", "slice", "pad", "adaptive", "select"]
        )
    )
    name = f"l{index}"
    if kind == "slice":
        axis = draw(st.sampled_from([2, 3, -1]))
        start, stop = draw(st.integers(-6, 6)), draw(st.one_of(st.none(), st.integers(-6, 6)))
        stop_arg = "" if stop is None else f", stop: {stop}"
        return f"{{name: {name}, type: Slice, axis: {axis}, start: {start}{stop_arg}, step: {draw(st.integers(1, 3))}}}"
    if kind == "pad":
        pad = draw(st.sampled_from(["ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d"]))
        amounts = draw(st.lists(st.integers(-2, 3), min_size=4, max_size=4))
        return f"{{name: {name}, type: {pad}, padding: {amounts}}}"
    if kind == "adaptive":
        size = draw(st.sampled_from(["1", "3", "[2, null]", "[null, 4]"]))
        return f"{{name: {name}, type: AdaptiveAvgPool2d, output_size: {size}}}"
    if kind == "select":
        return (
            f"{{name: {name}, type: Select, axis: {draw(st.sampled_from([2, 3]))}, index: {draw(st.integers(-4, 3))}}}"
        )
    if kind == "conv":
        k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = draw(st.integers(0, 3))
        return (
            f"{{name: {name}, type: Conv2d, filters: {draw(st.integers(1, 4))}, kernel_size: {k}, "
            f"stride: {s}, padding: {p}, dilation: {d}}}"
        )
    if kind == "pool":
        k = draw(st.integers(1, 4))
        s = draw(st.integers(1, 4))
        p = draw(st.integers(0, k // 2))
        ceil = draw(st.booleans())
        kind_name = draw(st.sampled_from(["MaxPool2d", "AvgPool2d"]))
        return (
            f"{{name: {name}, type: {kind_name}, kernel_size: {k}, stride: {s}, padding: {p}, "
            f"ceil_mode: {str(ceil).lower()}}}"
        )
    if kind == "convt":
        k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = draw(st.integers(0, 2))
        op = draw(st.integers(0, max(s, d) - 1))
        return (
            f"{{name: {name}, type: ConvTranspose2d, filters: 3, kernel_size: {k}, stride: {s}, "
            f"padding: {p}, dilation: {d}, output_padding: {op}}}"
        )
    if kind == "upsample":
        factor = draw(st.sampled_from(["2", "3", "1.5", "0.5", "0.25", "2.5", "[0.75, 2]"]))
        return f"{{name: {name}, type: Upsample, scale_factor: {factor}}}"
    skip = draw(st.integers(-1, index - 1))
    earlier = "x" if skip < 0 else f"l{skip}"
    return (
        f"{{name: {name}, type: Concat, axis: 1, from: [l{index - 1} , {earlier}]}}"
        if index
        else f"{{name: {name}, type: Concat, axis: 1, from: [x, x]}}"
    )


@st.composite
def stacks(draw):
    """A spec text: a chain of layers, maybe ending in a reshape."""
    count = draw(st.integers(1, 6))
    layers = [draw(layer(i)) for i in range(count)]
    if draw(st.booleans()):
        layers.append(f"{{name: l{count}, type: Reshape, shape: [-1, {draw(st.integers(2, 5))}]}}")
    return "inputs: {x: [2, 3, H, W]}\nlayers:\n" + "".join(f"  - {text}\n" for text in layers)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=stacks(), sizes=st.lists(st.tuples(st.integers(1, 64), st.integers(1, 64)), min_size=1, max_size=3))
def test_symbolic_agrees_with_concrete(spec, sizes):
    symbolic = run_spec(spec)
    for h, w in sizes:
        concrete = run_spec(spec, f"2x3x{h}x{w}")
        fits = not concrete.errors
        if symbolic.errors:
            assert not fits, f"symbolic inference fails ({symbolic.errors[0].message}) but H={h}, W={w} fits"
            continue
        evaluation = evaluate_at(symbolic, {"H": h, "W": w})
        assert not evaluation.undecided
        assert (not evaluation.violated) == fits, (
            f"H={h}, W={w}: requirements {[r.text for r in symbolic.requires]} say "
            f"{'no' if evaluation.violated else 'yes'}, the concrete run says "
            f"{'yes' if fits else concrete.errors[0].message}"
        )
        if fits:
            assert [shape for _, shape in evaluation.layers] == [layer.output_shape for layer in concrete.layers]


@st.composite
def same_window_stacks(draw):
    """A Keras spec text: a chain of convolutions and poolings, mostly 'same' and strided."""
    layers = []
    for index in range(draw(st.integers(1, 8))):
        padding = draw(st.sampled_from(["same", "same", "valid"]))
        k, s = draw(st.integers(1, 5)), draw(st.integers(1, 4))
        d = draw(st.integers(1, 3)) if s == 1 else 1
        kind = draw(st.sampled_from(["Conv2d", "Conv2d", "MaxPool2d", "AvgPool2d", "DepthwiseConv2D"]))
        if kind == "Conv2d":
            args = f"filters: {draw(st.integers(1, 4))}, kernel_size: {k}, dilation_rate: {d}"
        elif kind == "DepthwiseConv2D":
            args = f"kernel_size: {k}, dilation_rate: {d}"
        else:
            args = f"pool_size: {k}"
        layers.append(f"{{name: l{index}, type: {kind}, {args}, strides: {s}, padding: {padding}}}")
    return "inputs: {x: [2, H, W, 3]}\nlayers:\n" + "".join(f"  - {text}\n" for text in layers)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=same_window_stacks(), sizes=st.lists(st.tuples(st.integers(1, 80), st.integers(1, 80)), max_size=4))
def test_same_windows_symbolic_agrees_with_concrete(spec, sizes):
    """'same' windows give ceil(n/s) built directly; their conditions and shapes stay exact."""
    symbolic = run_spec(spec, convention="keras")
    for h, w in [*sizes, (1, 1), (7, 64), (65, 3)]:
        concrete = run_spec(spec, f"2x{h}x{w}x3", convention="keras")
        fits = not concrete.errors
        if symbolic.errors:
            assert not fits, f"symbolic inference fails ({symbolic.errors[0].message}) but H={h}, W={w} fits"
            continue
        evaluation = evaluate_at(symbolic, {"H": h, "W": w})
        assert not evaluation.undecided
        assert (not evaluation.violated) == fits, (h, w, [r.text for r in symbolic.requires], concrete.errors)
        if fits:
            assert [shape for _, shape in evaluation.layers] == [layer.output_shape for layer in concrete.layers]


@pytest.mark.parametrize(
    "layer",
    [
        "{type: Conv2d, filters: 8, kernel_size: 3, strides: 2, padding: same}",
        "{type: MaxPool2d, pool_size: 3, strides: 2, padding: same}",
        "{type: AvgPool2d, pool_size: 2, padding: same}",
    ],
)
def test_strided_same_towers_stay_one_ceiling(layer):
    """After k stride-2 'same' layers, H is ceil(H/2^k) = floor((H + 2^k - 1)/2^k): no nesting."""
    trace = run_spec("inputs: {x: [B, H, W, 3]}\nlayers:\n" + f"  - {layer}\n" * 16, convention="keras")
    for depth, info in enumerate(trace.layers, 1):
        assert format_dim(info.output_shape[1]) == f"floor((H + {2**depth - 1})/{2**depth})"
