"""Differential fuzzer against Keras 3 (torch backend): random layers and chains under the keras convention.

    pip install torch==2.13.0 keras
    KERAS_BACKEND=torch python tools/fuzz_keras.py --cases 20000 --seed 1

The layers come from `keras_layer` of tools/gen_reference.py (the builder of the
reference records); this module adds a generator of random arguments and input
shapes per Keras layer type (`GENERATORS`, about 30% invalid on purpose) and a
runner that calls the layers one after another on zeros, each built for the
shape it receives. Keras counts no MACs, so only acceptance, shapes and weights
are compared. tests/test_difffuzz.py runs a few thousand seeded cases.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from random import Random

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from difffuzz import (  # noqa: E402
    Case,
    Outcome,
    Summary,
    Unfit,
    bad,
    compare,
    compare_symbolic,
    divisors,
    draw_case,
    per_axis,
    random_shape,
    shapecli_outcomes,
    spec_text,
)
from gen_reference import KERAS_MORE, _message, keras_call, keras_layer  # noqa: E402

CONVENTION = "keras"

NO_COUNTERPART_REASON = "a PyTorch type with no Keras layer (fuzzed against PyTorch)"
"""Why a registered type is not drawn here; every type with no Keras layer is fuzzed by tools/fuzz_torch.py."""


def _batched(rng: Random, x, low: int = 2, high: int = 4):
    """The given input (Unfit below rank `low`), or a random batched one of rank low..high."""
    if x is not None and len(x) < low:
        raise Unfit
    return x if x is not None else random_shape(rng, rng.randint(low, high), 1, 5)


def _window_input(rng: Random, rank: int, x):
    if x is not None:
        if len(x) != rank + 2 and not bad(rng, 0.1):
            raise Unfit
        return x
    high = 12 if rank < 3 else 7
    if bad(rng, 0.04):
        return (rng.randint(1, 3), *random_shape(rng, rank, 1, high))
    return (rng.randint(1, 3), *random_shape(rng, rank, 1, high), rng.randint(1, 6))


def _window(rng: Random, rank: int, args: dict, padding_words=("valid", "same")) -> dict:
    args["kernel_size"] = per_axis(rng, rank, 1, 5 if not bad(rng) else 14)
    if rng.random() < 0.5:
        args["strides"] = per_axis(rng, rank, 1, 3)
    if rng.random() < 0.3:
        args["dilation_rate"] = per_axis(rng, rank, 1, 3)
    if rng.random() < 0.5:
        args["padding"] = rng.choice(padding_words)
    if rng.random() < 0.15:
        args["use_bias"] = False
    return args


def conv(rank: int, transposed: bool):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        channels = x[-1]
        filters = rng.randint(1, 8)
        words = ("valid", "same", "causal") if rank == 1 and not transposed else ("valid", "same")
        args = _window(rng, rank, {"filters": filters}, words)
        if transposed:
            if rng.random() < 0.3:
                strides = args.get("strides", 1)
                top = (min(strides) if isinstance(strides, list) else strides) - 1
                args["output_padding"] = rng.randint(0, top if not bad(rng, 0.3) else top + 1)
        elif rng.random() < 0.2:
            common = [g for g in divisors(channels) if filters % g == 0]
            args["groups"] = rng.choice(common) if not bad(rng, 0.3) else rng.randint(2, 4)
        return args, [x]

    return generate


def depthwise(rank: int, separable: bool):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        args = _window(rng, rank, {"filters": rng.randint(1, 6)} if separable else {})
        if rng.random() < 0.4:
            args["depth_multiplier"] = rng.randint(1, 3)
        return args, [x]

    return generate


def pooling(rank: int):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        args = {"pool_size": per_axis(rng, rank, 1, 4 if not bad(rng) else 14)}
        if rng.random() < 0.5:
            args["strides"] = per_axis(rng, rank, 1, 3)
        if rng.random() < 0.4:
            args["padding"] = "same"
        return args, [x]

    return generate


def global_pooling(rank: int):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        return ({"keepdims": True} if rng.random() < 0.4 else {}), [x]

    return generate


def upsampling(rank: int):
    def generate(rng: Random, x=None):
        return {"size": per_axis(rng, rank, 1, 3)}, [_window_input(rng, rank, x)]

    return generate


def padding_or_cropping(rank: int, key: str):
    def generate(rng: Random, x=None):
        x = _window_input(rng, rank, x)
        roll = rng.random()
        if roll < 0.4:
            amount = rng.randint(0, 3)
        elif rank == 1:
            amount = [rng.randint(0, 3), rng.randint(0, 3)]
        elif roll < 0.7:
            amount = [rng.randint(0, 3) for _ in range(rank)]
        else:
            amount = [[rng.randint(0, 3), rng.randint(0, 3)] for _ in range(rank)]
        return {key: amount}, [x]

    return generate


def dense(rng: Random, x=None):
    x = _batched(rng, x)
    return ({"units": rng.randint(1, 8), "use_bias": rng.random() < 0.8}), [x]


def embedding(rng: Random, x=None):
    if x is not None:
        return None
    return {"input_dim": rng.randint(1, 10), "output_dim": rng.randint(1, 6)}, [random_shape(rng, rng.randint(1, 3))]


def shape_only(rng: Random, x=None):
    return {}, [_batched(rng, x, 1)]


def softmax(rng: Random, x=None):
    x = _batched(rng, x, 1)
    return {"axis": rng.randint(-len(x), len(x) - 1 + (1 if bad(rng) else 0))}, [x]


def activation(rng: Random, x=None):
    return {"activation": rng.choice(("relu", "gelu", "softmax", "tanh", "sigmoid", "linear"))}, [_batched(rng, x, 1)]


def prelu(rng: Random, x=None):
    x = _batched(rng, x)
    if rng.random() < 0.5:
        return {}, [x]
    axes = sorted(rng.sample(range(1, len(x) + (1 if bad(rng) else 0)), rng.randint(1, len(x) - 1)))
    return {"shared_axes": axes}, [x]


def flatten(rng: Random, x=None):
    return {}, [_batched(rng, x, 1)]


def reshape(rng: Random, x=None):
    x = _batched(rng, x)
    elements = 1
    for d in x[1:]:
        elements *= d
    target, rest = [], elements
    while rest > 1 and len(target) < 3 and rng.random() < 0.8:
        d = rng.choice(divisors(rest)[1:])
        target.append(d)
        rest //= d
    target.append(rest)
    if rng.random() < 0.3:
        target[rng.randint(0, len(target) - 1)] = -1
    if bad(rng, 0.15):
        target[0] = target[0] + 1 if target[0] != -1 else 5
    return {"target_shape": target}, [x]


def permute(rng: Random, x=None):
    x = _batched(rng, x)
    dims = list(range(1, len(x)))
    rng.shuffle(dims)
    if bad(rng, 0.15):
        dims = [d - 1 for d in dims]
    return {"dims": dims}, [x]


def batch_norm(rng: Random, x=None):
    x = _batched(rng, x)
    args = {"axis": rng.choice((-1, 1, -1))} if rng.random() < 0.5 else {}
    for flag in ("center", "scale"):
        if rng.random() < 0.2:
            args[flag] = False
    return args, [x]


def layer_norm(rng: Random, x=None):
    # Keras hands layer normalization to torch, which takes trailing axes only (see gen_reference)
    x = _batched(rng, x)
    args = {}
    if rng.random() < 0.4:
        count = rng.randint(1, len(x) - 1)
        args["axis"] = list(range(len(x) - count, len(x)))
    for flag in ("center", "scale"):
        if rng.random() < 0.2:
            args[flag] = False
    return args, [x]


def group_norm(rng: Random, x=None):
    x = _batched(rng, x)
    c = x[-1]
    return {"groups": rng.choice(divisors(c)) if not bad(rng, 0.2) else rng.randint(1, 6)}, [x]


def rms_norm(rng: Random, x=None):
    return {}, [_batched(rng, x)]


def merge(rng: Random, x=None):
    x = _batched(rng, x)
    other = list(x)
    if bad(rng, 0.15):
        other[rng.randint(0, len(x) - 1)] += 1
    elif rng.random() < 0.2:
        other[-1] = 1
    shapes = [x, tuple(other)]
    if rng.random() < 0.2:
        shapes.append(x)
    return {}, shapes


def subtract(rng: Random, x=None):
    return {}, merge(rng, x)[1][:2]


def concatenate(rng: Random, x=None):
    x = _batched(rng, x)
    axis = rng.randint(1, len(x) - 1) if rng.random() < 0.5 else -1
    other = list(x)
    other[axis] = rng.randint(1, 5)
    if bad(rng, 0.15):
        other = list(random_shape(rng, len(x), 1, 5))
    return ({"axis": axis} if rng.random() < 0.8 else {}), [x, tuple(other)]


def attention(rng: Random, x=None):
    if x is not None and len(x) != 3:
        raise Unfit
    query = x or random_shape(rng, 3, 1, 5)
    args = {"num_heads": rng.randint(1, 3), "key_dim": rng.randint(1, 4)}
    if rng.random() < 0.3:
        args["value_dim"] = rng.randint(1, 4)
    if rng.random() < 0.3:
        args["output_shape"] = rng.randint(1, 6)
    if rng.random() < 0.2:
        args["use_bias"] = False
    length = rng.randint(1, 5)
    value = (query[0] if not bad(rng, 0.1) else query[0] + 1, length, rng.randint(1, 6))
    shapes = [query, value]
    if rng.random() < 0.3:
        shapes.append((query[0], length if not bad(rng, 0.2) else length + 1, rng.randint(1, 6)))
    if rng.random() < 0.2:
        args["return_attention_scores"] = True
    return args, shapes


def recurrent(rng: Random, x=None):
    if x is not None and len(x) != 3 and not bad(rng, 0.1):
        raise Unfit
    x = x or random_shape(rng, 3 if not bad(rng, 0.05) else 2, 1, 5)
    args = {"units": rng.randint(1, 6)}
    for flag in ("return_sequences", "return_state", "bidirectional"):
        if rng.random() < 0.35:
            args[flag] = True
    if rng.random() < 0.2:
        args["use_bias"] = False
    return args, [x]


def gru(rng: Random, x=None):
    args, shapes = recurrent(rng, x)
    if rng.random() < 0.3:
        args["reset_after"] = False
    return args, shapes


# -- Keras' types added with issue 12 --------------------------------------------------------


def rescaling(rng: Random, x=None):
    return {"scale": rng.choice((0.5, 1 / 255)), "offset": rng.choice((0.0, -1.0))}, [_batched(rng, x, 1)]


def normalization(rng: Random, x=None):
    x = _batched(rng, x, 2, 4)
    args = {}
    if rng.random() < 0.5:
        args["axis"] = rng.randint(-len(x), len(x) - 1 + (1 if bad(rng, 0.1) else 0))
    if rng.random() < 0.5:
        args["mean"], args["variance"] = 0.5, 2.0
    if rng.random() < 0.2:
        args["invert"] = True
    return args, [x]


def image(rng: Random, x=None):
    """A channels-last image batch (rank 4), sometimes unbatched (rank 3)."""
    if x is not None:
        if len(x) not in (3, 4):
            raise Unfit
        return x
    x = (rng.randint(1, 2), *random_shape(rng, 2, 1, 9), rng.randint(1, 3))
    return x[1:] if rng.random() < 0.2 else x


def resizing(rng: Random, x=None):
    args = {"height": rng.randint(1, 9), "width": rng.randint(1, 9)}
    if rng.random() < 0.3:
        args["interpolation"] = "nearest"
    if rng.random() < 0.2:
        args["crop_to_aspect_ratio"] = True
    elif rng.random() < 0.2:
        args["pad_to_aspect_ratio"] = True
    return args, [image(rng, x)]


def center_crop(rng: Random, x=None):
    return {"height": rng.randint(1, 10), "width": rng.randint(1, 10)}, [image(rng, x)]


def repeat_vector(rng: Random, x=None):
    if x is not None and len(x) != 2 and not bad(rng, 0.1):
        raise Unfit
    return {"n": rng.randint(1, 4)}, [x or random_shape(rng, 2, 1, 5)]


def masking(rng: Random, x=None):
    return ({"mask_value": -1.0} if rng.random() < 0.3 else {}), [_batched(rng, x, 2, 3)]


def dot(rng: Random, x=None):
    x = _batched(rng, x, 2, 3)
    i = rng.randint(1, len(x) - 1)
    other = list(x)
    other[i if len(x) == 2 else rng.randint(1, len(x) - 1)] = x[i] if not bad(rng, 0.2) else x[i] + 1
    args = {"axes": i if rng.random() < 0.6 else [i, rng.randint(1, len(x) - 1)]}
    if rng.random() < 0.2:
        args["normalize"] = True
    return args, [x, tuple(other)]


def plain_attention(additive: bool):
    def generate(rng: Random, x=None):
        if x is not None and len(x) != 3:
            raise Unfit
        q = x or random_shape(rng, 3, 1, 5)
        width = q[-1] if additive or rng.random() < 0.7 else q[-1] + 1
        value = (q[0], rng.randint(1, 5), width if not bad(rng, 0.1) else rng.randint(1, 5))
        args = {}
        if rng.random() < 0.3:
            args["use_scale"] = not additive
        if not additive and rng.random() < 0.3:
            args["score_mode"] = "concat"
        if rng.random() < 0.3:
            args["return_attention_scores"] = True
        if rng.random() < 0.2:
            args["use_causal_mask"] = True
        if rng.random() < 0.4:
            return args, [q, value, (*value[:2], q[-1])]
        return args, [q, value]

    return generate


def einsum_dense(rng: Random, x=None):
    x = _batched(rng, x, 2, 3)
    units = rng.randint(1, 6)
    if len(x) == 2:
        args = {"equation": "ab,bc->ac", "output_shape": units}
    else:
        args = {"equation": "abc,cd->abd", "output_shape": [None if rng.random() < 0.7 else x[1] + 1, units]}
    if rng.random() < 0.5:
        args["bias_axes"] = args["equation"][-1]
    return args, [x]


def time_distributed(rng: Random, x=None):
    x = _batched(rng, x, 3, 3)
    return {"layer": {"type": "Dense", "units": rng.randint(1, 5)}}, [x]


def bidirectional(rng: Random, x=None):
    x = _batched(rng, x, 3, 3)
    inner = {"type": rng.choice(("LSTM", "GRU", "SimpleRNN")), "units": rng.randint(1, 4)}
    if rng.random() < 0.5:
        inner["return_sequences"] = True
    args = {"layer": inner}
    if rng.random() < 0.4:
        args["merge_mode"] = rng.choice(("sum", "mul", "ave", "concat"))
    return args, [x]


def conv_lstm(rank: int):
    def generate(rng: Random, x=None):
        if x is not None and len(x) != rank + 3:
            raise Unfit
        x = x or (rng.randint(1, 2), rng.randint(1, 3), *random_shape(rng, rank, 1, 7 if rank < 3 else 5), 2)
        args = {"filters": rng.randint(1, 3), "kernel_size": per_axis(rng, rank, 1, 3 if not bad(rng) else 9)}
        if rng.random() < 0.3:
            args["padding"] = "same"
        if rng.random() < 0.3:
            args["strides"] = per_axis(rng, rank, 1, 2)
        if rng.random() < 0.4:
            args["return_sequences"] = True
        return args, [x]

    return generate


GENERATORS = {
    "Dense": dense,
    "Embedding": embedding,
    "Flatten": flatten,
    "Softmax": softmax,
    "PReLU": prelu,
    "Activation": activation,
    "Reshape": reshape,
    "Permute": permute,
    "BatchNormalization": batch_norm,
    "LayerNormalization": layer_norm,
    "GroupNormalization": group_norm,
    "RMSNormalization": rms_norm,
    "MultiHeadAttention": attention,
    "Subtract": subtract,
    "Concatenate": concatenate,
    "SimpleRNN": recurrent,
    "LSTM": recurrent,
    "GRU": gru,
}
for _name in ("Identity", "Dropout", "AlphaDropout", "GaussianNoise", "GaussianDropout", "ReLU", "ELU", "LeakyReLU"):
    GENERATORS[_name] = shape_only
for _name in ("Add", "Multiply", "Average", "Maximum", "Minimum"):
    GENERATORS[_name] = merge
for _r in (1, 2, 3):
    GENERATORS[f"Conv{_r}D"] = conv(_r, False)
    GENERATORS[f"Conv{_r}DTranspose"] = conv(_r, True)
    for _kind in ("Max", "Average"):
        GENERATORS[f"{_kind}Pooling{_r}D"] = pooling(_r)
        GENERATORS[f"Global{_kind}Pooling{_r}D"] = global_pooling(_r)
    GENERATORS[f"UpSampling{_r}D"] = upsampling(_r)
    GENERATORS[f"ZeroPadding{_r}D"] = padding_or_cropping(_r, "padding")
    GENERATORS[f"Cropping{_r}D"] = padding_or_cropping(_r, "cropping")
    GENERATORS[f"SpatialDropout{_r}D"] = (lambda r: lambda rng, x=None: ({}, [_window_input(rng, r, x)]))(_r)
    GENERATORS[f"ConvLSTM{_r}D"] = conv_lstm(_r)
GENERATORS.update(
    {
        "Rescaling": rescaling,
        "Normalization": normalization,
        "Resizing": resizing,
        "CenterCrop": center_crop,
        "RepeatVector": repeat_vector,
        "Masking": masking,
        "Dot": dot,
        "Attention": plain_attention(False),
        "AdditiveAttention": plain_attention(True),
        "EinsumDense": einsum_dense,
        "TimeDistributed": time_distributed,
        "Bidirectional": bidirectional,
    }
)
for _r in (1, 2):
    GENERATORS[f"DepthwiseConv{_r}D"] = depthwise(_r, False)
    GENERATORS[f"SeparableConv{_r}D"] = depthwise(_r, True)

MERGE_TYPES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}


# -- running in Keras ---------------------------------------------------------------------------


def _call(layer, type_name: str, args: dict, xs: list):
    if type_name in KERAS_MORE:
        return keras_call(layer, type_name, args, xs)
    if type_name == "MultiHeadAttention":
        return layer(
            xs[0],
            xs[1],
            key=xs[2] if len(xs) > 2 else None,
            return_attention_scores=args.get("return_attention_scores", False),
        )
    if type_name in MERGE_TYPES:
        return layer(xs)
    return layer(*xs)


def run(case: Case) -> list[Outcome]:
    """Each layer of the case in Keras, in order, until one raises."""
    import keras

    values = {
        name: keras.ops.zeros(shape, dtype="int32" if name in case.int_inputs else "float32")
        for name, shape in case.inputs.items()
    }
    outcomes = []
    for i, layer_case in enumerate(case.layers):
        xs = [values[s] for s in layer_case.sources]
        try:
            layer = keras_layer(layer_case.type, layer_case.args, name=f"l{i}")
            out = _call(layer, layer_case.type, layer_case.args, xs)
        except Exception as e:  # noqa: BLE001 - the framework's refusal is the outcome
            outcomes.append(Outcome(refused=_message(e)))
            break
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if layer_case.type == "Masking":  # shapecli compares shapes: Keras' mask goes no further
            from keras.src.backend import set_keras_mask

            set_keras_mask(outs[0], None)
        values[f"l{i}"] = outs[0]
        params = [
            (w.path.split("/", 1)[1].replace("/", "."), tuple(w.shape), w.trainable, False) for w in layer.weights
        ]
        outcomes.append(Outcome(outputs=[tuple(t.shape) for t in outs], params=params))
    return outcomes


def fuzz(seed: int, cases: int, symbolic: bool = True, stack_share: float = 0.35) -> Summary:
    """Draw and compare `cases` cases of seed `seed`; the summary groups the discrepancies by class."""
    warnings.filterwarnings("ignore")
    summary = Summary()
    for k in range(cases):
        label = f"keras:{seed}:{k}"
        rng = Random(label)
        case = draw_case(rng, label, GENERATORS, CONVENTION, stack_share)
        theirs = run(case)
        summary.cases += 1
        summary.stacks += len(case.layers) > 1
        summary.layers += len(case.layers)
        summary.refused += any(o.refused for o in theirs)
        summary.add(compare(case, theirs, CONVENTION, "keras"))
        if symbolic:
            summary.add(compare_symbolic(case, CONVENTION, rng))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--no-symbolic", action="store_true", help="skip the symbolic-vs-concrete check")
    parser.add_argument("--show", metavar="INDEX", type=int, help="print case INDEX of the seed and both outcomes")
    options = parser.parse_args(argv)
    if options.show is not None:
        label = f"keras:{options.seed}:{options.show}"
        case = draw_case(Random(label), label, GENERATORS, CONVENTION)
        print(spec_text(case), *run(case), *shapecli_outcomes(case, CONVENTION)[1], sep="\n")
        return 0
    started = time.perf_counter()
    summary = fuzz(options.seed, options.cases, not options.no_symbolic)
    print("\n".join(summary.lines(CONVENTION)))
    print(f"{time.perf_counter() - started:.1f} s")
    return 1 if summary.classes else 0


if __name__ == "__main__":
    sys.exit(main())
