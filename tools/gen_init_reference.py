"""Record the figures of each framework's own initializers on large tensors.

    pip install torch==2.13.0 keras          # only for this script and the live tests
    KERAS_BACKEND=torch python tools/gen_init_reference.py

Each case is a one-layer spec (a layer type, its arguments, an input shape and, for
the named initializers, a `weight_init`), built in the real framework with its
default initialization (or the named initializer applied as the framework applies
it). For every parameter and buffer the script records the shape and the figures
of its values: min, max, mean, std, excess kurtosis (which tells uniform, normal
and truncated normal apart), the share of exact zeros and of exact ones, and for
matrices the orthogonality error max|QQᵀ − g²I| over the shorter side. The
records go to tests/reference/init_{torch,keras}.json; tests/test_initializers.py
draws the same parameters with shapecli and compares the figures statistically.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import yaml  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from tests.numeric_values import figures  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "reference"


# -- PyTorch ----------------------------------------------------------------------------------------

TORCH_NAMED = {
    # spec value → what it means to torch.nn.init (applied to the layer's weight)
    "xavier_uniform": lambda w: nn.init.xavier_uniform_(w),
    "xavier_normal(gain=2)": lambda w: nn.init.xavier_normal_(w, gain=2.0),
    "kaiming_uniform(mode=fan_out, nonlinearity=relu)": lambda w: nn.init.kaiming_uniform_(
        w, mode="fan_out", nonlinearity="relu"
    ),
    "kaiming_normal(a=0.1)": lambda w: nn.init.kaiming_normal_(w, a=0.1),
    "kaiming_normal(mode=fan_out, nonlinearity=relu)": lambda w: nn.init.kaiming_normal_(
        w, mode="fan_out", nonlinearity="relu"
    ),
    "orthogonal": lambda w: nn.init.orthogonal_(w),
    "orthogonal(gain=0.5)": lambda w: nn.init.orthogonal_(w, gain=0.5),
    "truncated_normal(std=0.02)": lambda w: nn.init.trunc_normal_(w, std=0.02),
    "truncated_normal(0.5, 1, 0, 1)": lambda w: nn.init.trunc_normal_(w, 0.5, 1.0, 0.0, 1.0),
    "uniform(-0.1, 0.1)": lambda w: nn.init.uniform_(w, -0.1, 0.1),
    "uniform": lambda w: nn.init.uniform_(w),
    "normal(0, 0.01)": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "constant(0.3)": lambda w: nn.init.constant_(w, 0.3),
}


def torch_cases() -> list:
    """(type, args, input shape, module builder, {param: gain for orthogonality})."""
    c = [
        ("Dense", {"units": 4096}, [2, 512], lambda: nn.Linear(512, 4096), {}),
        ("Conv2d", {"filters": 256, "kernel_size": 3}, [1, 128, 8, 8], lambda: nn.Conv2d(128, 256, 3), {}),
        (
            "Conv2d",
            {"filters": 256, "kernel_size": 3, "groups": 4},
            [1, 128, 8, 8],
            lambda: nn.Conv2d(128, 256, 3, groups=4),
            {},
        ),
        (
            "ConvTranspose2d",
            {"filters": 64, "kernel_size": 4, "groups": 2},
            [1, 256, 8, 8],
            lambda: nn.ConvTranspose2d(256, 64, 4, groups=2),
            {},
        ),
        ("Conv1d", {"filters": 512, "kernel_size": 5}, [1, 64, 20], lambda: nn.Conv1d(64, 512, 5), {}),
        ("Bilinear", {"out_features": 64}, [[2, 40], [2, 30]], lambda: nn.Bilinear(40, 30, 64), {}),
        ("Embedding", {"num_embeddings": 4000, "embedding_dim": 64}, [2, 5], lambda: nn.Embedding(4000, 64), {}),
        (
            "Embedding",
            {"num_embeddings": 4000, "embedding_dim": 64, "padding_idx": 3},
            [2, 5],
            lambda: nn.Embedding(4000, 64, padding_idx=3),
            {},
        ),
        ("LSTM", {"hidden_size": 256}, [5, 2, 128], lambda: nn.LSTM(128, 256), {}),
        (
            "GRU",
            {"hidden_size": 400, "bidirectional": True},
            [5, 2, 64],
            lambda: nn.GRU(64, 400, bidirectional=True),
            {},
        ),
        ("RNN", {"hidden_size": 600}, [5, 2, 300], lambda: nn.RNN(300, 600), {}),
        ("MultiheadAttention", {"num_heads": 8}, [5, 2, 512], lambda: nn.MultiheadAttention(512, 8), {}),
        (
            "MultiheadAttention",
            {"num_heads": 8, "embed_dim": 512, "add_bias_kv": True, "kdim": 256, "vdim": 128},
            [[5, 2, 512], [7, 2, 256], [7, 2, 128]],
            lambda: nn.MultiheadAttention(512, 8, add_bias_kv=True, kdim=256, vdim=128),
            {},
        ),
        ("BatchNorm2d", {}, [2, 64, 4, 4], lambda: nn.BatchNorm2d(64), {}),
        ("LayerNorm", {"normalized_shape": [512]}, [2, 512], lambda: nn.LayerNorm(512), {}),
        ("PReLU", {"num_parameters": 16}, [2, 16], lambda: nn.PReLU(16), {}),
        (
            "TransformerEncoderLayer",
            {"nhead": 8, "dim_feedforward": 1024},
            [5, 2, 256],
            lambda: nn.TransformerEncoderLayer(256, 8, 1024),
            {},
        ),
    ]
    c += [
        ("LSTMCell", {"hidden_size": 400}, [2, 300], lambda: nn.LSTMCell(300, 400), {}),
        ("GRUCell", {"hidden_size": 256, "bias": False}, [2, 128], lambda: nn.GRUCell(128, 256, bias=False), {}),
        (
            "EmbeddingBag",
            {"num_embeddings": 4000, "embedding_dim": 64, "padding_idx": 7},
            [2, 5],
            lambda: nn.EmbeddingBag(4000, 64, padding_idx=7),
            {},
        ),
        (
            "TransformerEncoder",
            {"nhead": 8, "dim_feedforward": 1024, "num_layers": 2, "norm": True},
            [5, 2, 256],
            lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, 1024), 2, norm=nn.LayerNorm(256)),
            {},
        ),
        (
            "Transformer",
            {"nhead": 8, "dim_feedforward": 1024, "num_encoder_layers": 1, "num_decoder_layers": 1},
            [[5, 2, 256], [4, 2, 256]],
            lambda: nn.Transformer(256, 8, 1, 1, 1024),
            {},
        ),
    ]
    for value, apply in TORCH_NAMED.items():
        gain = {"orthogonal": 1.0, "orthogonal(gain=0.5)": 0.5}.get(value)
        for args, shape, build in (
            ({"units": 600}, [2, 400], lambda: nn.Linear(400, 600)),
            ({"filters": 96, "kernel_size": 3}, [1, 64, 8, 8], lambda: nn.Conv2d(64, 96, 3)),
        ):
            type_name = "Dense" if "units" in args else "Conv2d"

            def named(build=build, apply=apply):
                module = build()
                with torch.no_grad():
                    apply(module.weight)
                return module

            c.append((type_name, {**args, "weight_init": value}, shape, named, {"weight": gain} if gain else {}))
    return c


def torch_records() -> list:
    torch.manual_seed(0)
    records = []
    for type_name, args, shape, build, gains in torch_cases():
        module = build()
        shapes = shape if isinstance(shape[0], list) else [shape]
        params = {f"layer.{n}": p.detach().numpy() for n, p in module.named_parameters()}
        params |= {f"layer.{n}": b.numpy() for n, b in module.named_buffers()}
        records.append(
            {
                "spec": multi_spec(type_name, args, shapes),
                "params": {
                    name: figures(values, gains.get(name.split(".", 1)[1]), "torch") for name, values in params.items()
                },
            }
        )
    return records


def multi_spec(type_name: str, args: dict, shapes: list) -> str:
    inputs = {f"x{i}": s for i, s in enumerate(shapes)}
    layer = {"name": "layer", "type": type_name, "from": list(inputs) if len(shapes) > 1 else "x0", **args}
    return yaml.safe_dump({"inputs": inputs, "layers": [layer]}, sort_keys=False, default_flow_style=None)


# -- Keras ------------------------------------------------------------------------------------------

KERAS_NAMED = {
    "glorot_uniform": lambda: keras.initializers.GlorotUniform(),
    "glorot_normal": lambda: keras.initializers.GlorotNormal(),
    "he_uniform": lambda: keras.initializers.HeUniform(),
    "he_normal": lambda: keras.initializers.HeNormal(),
    "kaiming_normal(mode=fan_out)": lambda: keras.initializers.VarianceScaling(2.0, "fan_out", "truncated_normal"),
    "orthogonal": lambda: keras.initializers.Orthogonal(),
    "orthogonal(gain=2)": lambda: keras.initializers.Orthogonal(gain=2.0),
    "truncated_normal(std=0.02)": lambda: keras.initializers.TruncatedNormal(stddev=0.02),
    "uniform": lambda: keras.initializers.RandomUniform(),
    "normal": lambda: keras.initializers.RandomNormal(),
    "constant(0.3)": lambda: keras.initializers.Constant(0.3),
}


def keras_cases() -> list:
    """(type, args, input shapes, layer builder, {param: gain for orthogonality})."""
    L = keras.layers
    c = [
        ("Dense", {"units": 4096}, [[2, 512]], lambda: L.Dense(4096, name="layer"), {}),
        ("Conv2D", {"filters": 256, "kernel_size": 3}, [[1, 8, 8, 128]], lambda: L.Conv2D(256, 3, name="layer"), {}),
        (
            "Conv2DTranspose",
            {"filters": 64, "kernel_size": 4},
            [[1, 8, 8, 256]],
            lambda: L.Conv2DTranspose(64, 4, name="layer"),
            {},
        ),
        (
            "DepthwiseConv2D",
            {"kernel_size": 3, "depth_multiplier": 4},
            [[1, 8, 8, 256]],
            lambda: L.DepthwiseConv2D(3, depth_multiplier=4, name="layer"),
            {},
        ),
        (
            "SeparableConv2D",
            {"filters": 256, "kernel_size": 3},
            [[1, 8, 8, 128]],
            lambda: L.SeparableConv2D(256, 3, name="layer"),
            {},
        ),
        ("Embedding", {"input_dim": 4000, "output_dim": 64}, [[2, 5]], lambda: L.Embedding(4000, 64, name="layer"), {}),
        (
            "LSTM",
            {"units": 256},
            [[2, 5, 128]],
            lambda: L.LSTM(256, name="layer"),
            {"lstm_cell.recurrent_kernel": 1.0},
        ),
        (
            "GRU",
            {"units": 200, "bidirectional": True},
            [[2, 5, 64]],
            lambda: L.Bidirectional(L.GRU(200, name="gru"), name="layer"),
            {"forward_gru.gru_cell.recurrent_kernel": 1.0, "backward_gru.gru_cell.recurrent_kernel": 1.0},
        ),
        (
            "SimpleRNN",
            {"units": 300},
            [[2, 5, 100]],
            lambda: L.SimpleRNN(300, name="layer"),
            {"simple_rnn_cell.recurrent_kernel": 1.0},
        ),
        (
            "MultiHeadAttention",
            {"num_heads": 8, "key_dim": 64, "value_dim": 32},
            [[2, 10, 256], [2, 12, 128]],
            lambda: L.MultiHeadAttention(8, 64, value_dim=32, name="layer"),
            {},
        ),
        ("BatchNormalization", {}, [[2, 64]], lambda: L.BatchNormalization(name="layer"), {}),
        ("LayerNormalization", {}, [[2, 64]], lambda: L.LayerNormalization(name="layer"), {}),
        ("PReLU", {}, [[2, 64]], lambda: L.PReLU(name="layer"), {}),
    ]
    for value, make in KERAS_NAMED.items():
        gain = {"orthogonal": 1.0, "orthogonal(gain=2)": 2.0}.get(value)
        c.append(
            (
                "Dense",
                {"units": 600, "weight_init": value},
                [[2, 400]],
                lambda make=make: L.Dense(600, kernel_initializer=make(), name="layer"),
                {"kernel": gain} if gain else {},
            )
        )
        c.append(
            (
                "Conv2D",
                {"filters": 96, "kernel_size": 3, "weight_init": value},
                [[1, 8, 8, 64]],
                lambda make=make: L.Conv2D(96, 3, kernel_initializer=make(), name="layer"),
                {"kernel": gain} if gain else {},
            )
        )
    return c


def keras_records() -> list:
    keras.utils.set_random_seed(0)
    records = []
    for type_name, args, shapes, build, gains in keras_cases():
        layer = build()
        xs = [keras.ops.zeros(s) for s in shapes]
        if type_name == "MultiHeadAttention":
            layer(xs[0], xs[1])
        else:
            layer(xs[0])
        params = {w.path: keras.ops.convert_to_numpy(w.value) for w in layer.weights}
        records.append(
            {
                "spec": multi_spec(type_name, args, shapes),
                "params": {
                    name: figures(values, gains.get(name.split("/", 1)[1].replace("/", ".")), "keras")
                    for name, values in params.items()
                },
            }
        )
    return records


def main() -> int:
    for framework, version, records in (
        ("torch", torch.__version__, torch_records()),
        ("keras", keras.__version__, keras_records()),
    ):
        document = {"framework": framework, "version": version, "generated_by": "tools/gen_init_reference.py"}
        document["records"] = records
        (OUT / f"init_{framework}.json").write_text(json.dumps(document, indent=1) + "\n")
        count = sum(len(r["params"]) for r in records)
        print(f"{framework} {version}: {len(records)} cases, {count} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
