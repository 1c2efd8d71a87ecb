"""Record what PyTorch and Keras 3 compute for every layer-type case of the reference grid.

    pip install torch==2.13.0 keras          # only for this script and the live tests
    KERAS_BACKEND=torch python tools/gen_numerics.py

For each case of tools/gen_reference.py's grids that the framework and shapecli
both accept, the script writes a one-layer spec, makes its inputs and parameter
values (tests/numeric_values.py: exact float32 numbers from a hashed counter,
the same on every machine), loads them into the framework's own layer (a
PyTorch module in eval mode; a Keras layer with training=False), runs it and
records the outputs: tests/reference/numerics_{torch,keras}.json (the cases:
spec, seed, output shapes) and .npz (compressed: each output's values, or for a
large one 512 evenly spaced values and its sum, sum of |y| and sum of y²).
tests/test_numerics.py runs each spec with `shapecli run`'s engine on the same
values, without any framework, and compares; its live tests call
`framework_case` and compare every value.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gen_reference as grid  # noqa: E402
from gen_reference import P  # noqa: E402
import keras  # noqa: E402
import torch  # noqa: E402

from shapecli.infer import infer  # noqa: E402
from shapecli.spec import load_model  # noqa: E402
from tests.numeric_values import input_values, parameter_values, recorded  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "reference"


def case_spec(type_name: str, args: dict, shapes: list) -> str:
    """A one-layer spec for a case: inputs x0, x1, … of the case's shapes, the layer named 'layer'."""
    inputs = {f"x{i}": list(s) for i, s in enumerate(shapes)}
    sources = list(inputs) if len(inputs) != 1 else "x0"
    layer = {"name": "layer", "type": type_name, "from": sources, **args}
    inputs = inputs or {"unused": [1]}  # a Parameter or Buffer layer takes no input
    return yaml.safe_dump({"inputs": inputs, "layers": [layer]}, sort_keys=False, default_flow_style=None)


def framework_case(framework: str, type_name: str, args: dict, shapes: list, seed: int, build=None) -> dict | None:
    """The case's spec, its inputs and parameter values (tests/numeric_values.py) and the
    framework's outputs; None when the framework or shapecli refuses the case."""
    spec = case_spec(type_name, args, shapes)
    try:
        model = load_model(spec, "case.yaml", framework)
        trace = infer(model, [])
    except Exception:  # noqa: BLE001 - shapecli refuses: not a numeric case
        return None
    if trace.errors:
        return None
    inputs = input_values(model, trace, seed)
    params = parameter_values(model, trace, seed)
    try:
        run = run_torch if framework == "torch" else run_keras
        outputs = run(type_name, args, shapes, list(inputs.values()), params, build)
    except Exception:  # noqa: BLE001 - the framework refuses
        return None
    return {"spec": spec, "inputs": inputs, "params": params, "outputs": outputs}


def run_torch(type_name, args, shapes, inputs, params, build=None) -> list:
    module = (build or grid.TORCH[type_name])(args, shapes)
    # a layer that is a tensor (grid.Tensorlike) holds it as `value`; shapecli names it by the path
    state = {
        name.split(".", 1)[1] if "." in name else "value": torch.from_numpy(np.array(value))
        for name, value in params.items()
    }
    module.load_state_dict(state, strict=True)
    module.eval()
    xs = [torch.from_numpy(x) for x in inputs]
    with torch.no_grad():
        out = grid.torch_call(type_name, module, args, xs)
    return [t.detach().numpy().astype(np.float32) for t in grid._flatten(out)]


def run_keras(type_name, args, shapes, inputs, params, build=None) -> list:
    layer = build(args) if build else grid.keras_layer(type_name, args)
    xs = [keras.ops.convert_to_tensor(x.astype(np.int32) if x.dtype == np.int64 else x) for x in inputs]
    grid.keras_call(layer, type_name, args, xs)  # build
    by_path = {w.path: w for w in layer.weights}
    if set(by_path) != set(params):
        raise KeyError(f"Keras weights {sorted(by_path)} vs shapecli {sorted(params)}")
    for name, value in params.items():
        by_path[name].assign(value)
    out = grid.keras_call(layer, type_name, args, xs, training=False)
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [keras.ops.convert_to_numpy(t).astype(np.float32) for t in outs]


def cases(framework: str) -> list:
    """(type, args, shapes, builder or None) of the reference grid and the extra cases below."""
    base = grid.torch_cases() if framework == "torch" else grid.keras_cases()
    return [(t, a, s, None) for t, a, s in base] + (torch_extras() if framework == "torch" else keras_extras())


class LinearAct(torch.nn.Linear):
    """nn.Linear followed by an activation: what a torch-convention Dense with `activation` computes."""

    def __init__(self, n_in, n_out, act):
        super().__init__(n_in, n_out)
        self.act = act

    def forward(self, x):
        return self.act(super().forward(x))


TORCH_WORDS = {
    "relu": torch.relu,
    "relu6": torch.nn.functional.relu6,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "elu": torch.nn.functional.elu,
    "selu": torch.selu,
    "gelu": torch.nn.functional.gelu,
    "silu": torch.nn.functional.silu,
    "swish": torch.nn.functional.silu,
    "mish": torch.nn.functional.mish,
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": torch.nn.functional.hardsigmoid,
    "hard_swish": torch.nn.functional.hardswish,
    "tanh": torch.tanh,
    "softplus": torch.nn.functional.softplus,
    "softsign": torch.nn.functional.softsign,
    "softmax": lambda x: torch.softmax(x, -1),
    "log_softmax": lambda x: torch.log_softmax(x, -1),
    "softmin": lambda x: torch.nn.functional.softmin(x, -1),
    "log_sigmoid": torch.nn.functional.logsigmoid,
    "celu": torch.nn.functional.celu,
    "tanhshrink": torch.nn.functional.tanhshrink,
    "softshrink": torch.nn.functional.softshrink,
    "hardshrink": torch.nn.functional.hardshrink,
    "hard_tanh": torch.nn.functional.hardtanh,
    "exponential": torch.exp,
    "linear": lambda x: x,
}
"""PyTorch's function for each `activation:` word (a torch-convention Dense or convolution)."""

KERAS_WORDS = {word: word for word in TORCH_WORDS if word != "softmin"}
KERAS_WORDS |= {"tanhshrink": "tanh_shrink", "softshrink": "soft_shrink", "hardshrink": "hard_shrink"}
"""keras.activations' name for each word Keras knows."""


def torch_extras() -> list:
    """Cases beyond the shape grid: interpolation modes, padding modes, nonlinearities, activations."""
    nn = torch.nn
    c = []
    for word, fn in TORCH_WORDS.items():
        c.append(("Dense", {"units": 6, "activation": word}, [[3, 5]], lambda a, s, fn=fn: LinearAct(s[0][-1], 6, fn)))
    for mode, align, size in (
        ("bilinear", False, {"scale_factor": 2}),
        ("bilinear", True, {"scale_factor": 2}),
        ("bilinear", False, {"size": [7, 3]}),
        ("bilinear", False, {"scale_factor": 1.5}),
        ("bicubic", False, {"scale_factor": 2}),
        ("bicubic", True, {"size": [9, 11]}),
        ("nearest-exact", None, {"scale_factor": 1.5}),
        ("nearest", None, {"size": [7, 9]}),
        ("area", None, {"size": [3, 4]}),
    ):
        args = {"mode": mode, **size, **({} if align is None else {"align_corners": bool(align)})}

        def upsample(a, s, mode=mode, align=align, size=size):
            scale = size.get("scale_factor")
            return nn.Upsample(size=grid._tuple(size.get("size")), scale_factor=scale, mode=mode, align_corners=align)

        c.append(("Upsample", args, [[2, 3, 5, 6]], upsample))
    c.append(("Upsample", {"mode": "linear", "scale_factor": 3}, [[2, 3, 5]], None))
    c.append(
        (
            "Upsample",
            {"mode": "trilinear", "size": [3, 5, 4], "align_corners": True},
            [[1, 2, 4, 3, 5]],
            lambda a, s: nn.Upsample(size=(3, 5, 4), mode="trilinear", align_corners=True),
        )
    )
    for mode in ("reflect", "replicate", "circular"):
        c.append(("Conv2d", {"filters": 4, "kernel_size": 3, "padding": 2, "padding_mode": mode}, [[2, 3, 7, 6]], None))
    c.append(
        (
            "RNN",
            {"hidden_size": 5, "nonlinearity": "relu", "num_layers": 2},
            [[6, 2, 4]],
            lambda a, s: nn.RNN(4, 5, num_layers=2, nonlinearity="relu"),
        )
    )
    for first, act in ((True, "gelu"), (False, "gelu"), (True, "relu")):
        args = {"nhead": 2, "dim_feedforward": 16, "norm_first": first, "activation": act}
        c.append(
            (
                "TransformerEncoderLayer",
                args,
                [[5, 2, 8]],
                lambda a, s, f=first, g=act: nn.TransformerEncoderLayer(8, 2, 16, activation=g, norm_first=f),
            )
        )
        c.append(
            (
                "TransformerDecoderLayer",
                args,
                [[5, 2, 8], [7, 2, 8]],
                lambda a, s, f=first, g=act: nn.TransformerDecoderLayer(8, 2, 16, activation=g, norm_first=f),
            )
        )
    for name, args, build in (
        ("LeakyReLU", {"negative_slope": 0.2}, lambda a, s: nn.LeakyReLU(0.2)),
        ("ELU", {"alpha": 0.5}, lambda a, s: nn.ELU(0.5)),
        ("CELU", {"alpha": 2.0}, lambda a, s: nn.CELU(2.0)),
        ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}, lambda a, s: nn.Hardtanh(-0.5, 2.0)),
        ("Softshrink", {"lambd": 0.3}, lambda a, s: nn.Softshrink(0.3)),
        ("Hardshrink", {"lambd": 0.3}, lambda a, s: nn.Hardshrink(0.3)),
        ("PReLU", {"num_parameters": 3}, lambda a, s: nn.PReLU(3)),
        ("LocalResponseNorm", {"size": 2}, lambda a, s: nn.LocalResponseNorm(2)),
        ("RMSNorm", {"normalized_shape": [4], "eps": 0.01}, lambda a, s: nn.RMSNorm([4], eps=0.01)),
    ):
        c.append((name, args, [[2, 3, 4]], build))
    c.append(("LocalResponseNorm", {"size": 3}, [[2, 5, 4, 3, 2]], None))
    return c + torch_extras_added()


def torch_extras_added() -> list:
    """Numeric cases for the types and arguments of issue 12 beyond the shape grid: bags by offsets,
    maxima's indices, interpolation, p-norms, the cells' nonlinearity, the stacks' options."""
    c = []
    for args, shapes in (
        ({"mode": "max"}, [[9], [3]]),
        ({"mode": "sum", "padding_idx": 0}, [[9], [4]]),
        ({"mode": "mean", "padding_idx": 1}, [[3, 6]]),
        ({"mode": "max", "include_last_offset": True}, [[9], [4]]),
        ({"mode": "mean", "include_last_offset": True, "max_norm": 0.5}, [[9], [3]]),
        ({"mode": "sum", "max_norm": 1.0, "norm_type": 1.0}, [[3, 4], [3, 4]]),
    ):
        c.append(("EmbeddingBag", {"num_embeddings": 6, "embedding_dim": 5, **args}, shapes, None))
    for rank, args in P(
        (1, 2, 3),
        (
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "return_indices": True},
            {"kernel_size": 2, "stride": 1, "dilation": 2, "return_indices": True},
        ),
    ):
        c.append((f"MaxPool{rank}d", args, [[2, 3, *[7] * rank]], None))
        c.append((f"AdaptiveMaxPool{rank}d", {"output_size": 3, "return_indices": True}, [[2, 3, *[7] * rank]], None))
    c.append(("AdaptiveMaxPool2d", {"output_size": [None, 2], "return_indices": True}, [[3, 5, 7]], None))
    for mode, scale in (("bilinear", 1.7), ("nearest", 1.5), ("bicubic", 2.5)):
        args = {"scale_factor": scale, "mode": mode, "recompute_scale_factor": True}
        c.append(("Upsample", args, [[2, 3, 5, 6]], None))
    c.append(("UpsamplingBilinear2d", {"scale_factor": 1.5}, [[2, 3, 5, 6]], None))
    c.append(("UpsamplingNearest2d", {"size": [7, 4]}, [[2, 3, 5, 6]], None))
    for p in (1, 4, float("inf")):  # an odd or fractional p gives NaN for negative sums, in PyTorch too
        c.append(("LPPool2d", {"norm_type": p, "kernel_size": 3, "stride": 2, "ceil_mode": True}, [[2, 3, 8, 7]], None))
    c.append(("LPPool1d", {"norm_type": 2, "kernel_size": 3}, [[2, 3, 8]], None))
    c.append(("PairwiseDistance", {"p": 1.0, "keepdim": True}, [[4, 6], [4, 6]], None))
    c.append(("PairwiseDistance", {"p": 3.0}, [[4, 6], [6]], None))
    c.append(("PairwiseDistance", {"p": float("inf")}, [[4, 6], [4, 6]], None))
    c.append(("CosineSimilarity", {"dim": 0, "eps": 0.5}, [[3, 4], [3, 4]], None))
    c.append(("RNNCell", {"hidden_size": 4, "nonlinearity": "relu"}, [[3, 5], [3, 4]], None))
    c.append(("GRUCell", {"hidden_size": 4, "bias": False}, [[3, 5], [3, 4]], None))
    c.append(("LSTMCell", {"hidden_size": 4}, [[5], [4], [4]], None))
    for kind, shapes in (("Encoder", [[5, 2, 8]]), ("Decoder", [[5, 2, 8], [6, 2, 8]])):
        args = {"nhead": 2, "dim_feedforward": 16, "num_layers": 2, "norm": True, "batch_first": True}
        c.append((f"Transformer{kind}", args, [[2, s[0], 8] for s in shapes], None))
    args = {"nhead": 2, "dim_feedforward": 16, "num_encoder_layers": 2, "num_decoder_layers": 2, "norm_first": True}
    c.append(("Transformer", args, [[5, 2, 8], [4, 2, 8]], None))
    c.append(("Softplus", {"beta": 0.5, "threshold": 0.3}, [[2, 3, 4]], None))
    c.append(("RReLU", {"lower": 0.2, "upper": 0.6}, [[2, 3, 4]], None))
    c.append(
        ("Fold", {"output_size": [6, 5], "kernel_size": [2, 3], "stride": [2, 1], "padding": 1}, [[2, 12, 20]], None)
    )
    c.append(("MaxUnpool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [[2, 3, 4, 4], [2, 3, 4, 4]], None))
    c.append(("AdaptiveAvgPool2d", {"output_size": 1}, [[2, 3]], None))  # a rank-2 input, by the mean shortcut
    return c


def keras_extras() -> list:
    """Keras cases beyond the shape grid: every activation word, recurrent directions."""
    L = keras.layers
    c = []
    for word, name in KERAS_WORDS.items():
        c.append(
            (
                "Dense",
                {"units": 6, "activation": word},
                [[3, 5]],
                lambda a, n=name: L.Dense(6, activation=n, name="layer"),
            )
        )
    c.append(
        (
            "Conv2D",
            {"filters": 4, "kernel_size": 3, "activation": "relu"},
            [[2, 6, 5, 3]],
            lambda a: L.Conv2D(4, 3, activation="relu", name="layer"),
        )
    )
    for kind in ("SimpleRNN", "LSTM", "GRU"):
        word = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[kind]
        for seq, bi in ((False, False), (True, False)):
            args = {"units": 3, "go_backwards": True, "return_sequences": seq, "bidirectional": bi}

            def backwards(a, k=kind, w=word, seq=seq, bi=bi):
                inner = getattr(L, k)(3, return_sequences=seq, go_backwards=True, name=w if bi else "layer")
                return L.Bidirectional(inner, name="layer") if bi else inner

            c.append((kind, args, [[2, 5, 4]], backwards))
        c.append(
            (
                kind,
                {"units": 3, "activation": "relu", "return_sequences": True},
                [[2, 5, 4]],
                lambda a, k=kind: getattr(L, k)(3, activation="relu", return_sequences=True, name="layer"),
            )
        )
    c.append(("LeakyReLU", {"negative_slope": 0.1}, [[2, 3, 4]], lambda a: L.LeakyReLU(0.1, name="layer")))
    return c


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    for framework, version in (("torch", torch.__version__), ("keras", keras.__version__)):
        records, arrays = [], {}
        for index, (type_name, args, shapes, build) in enumerate(cases(framework)):
            case = framework_case(framework, type_name, args, shapes, index, build)
            if case is None:
                continue
            key = f"c{len(records)}"
            outputs = []
            for i, y in enumerate(case["outputs"]):
                kept = recorded(y)
                arrays[f"{key}/out{i}"] = kept["values"]
                if "sums" in kept:
                    arrays[f"{key}/sums{i}"] = kept["sums"]
                outputs.append(list(y.shape))
            records.append(
                {"key": key, "seed": index, "type": type_name, "args": args, "spec": case["spec"], "outputs": outputs}
            )
        document = {
            "framework": framework,
            "version": version,
            "numpy": np.__version__,
            "generated_by": "tools/gen_numerics.py",
            "records": records,
        }
        if framework == "keras":
            document["backend"] = keras.backend.backend()
        (OUT / f"numerics_{framework}.json").write_text(json.dumps(document, indent=1) + "\n")
        np.savez_compressed(OUT / f"numerics_{framework}.npz", **arrays)
        size = (OUT / f"numerics_{framework}.npz").stat().st_size
        values = sum(a.size for a in arrays.values())
        print(f"{framework} {version}: {len(records)} cases, {values:,} values, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
