"""Make the Keras fixtures that `shapecli import keras` is tested on, and record what Keras says about them.

    pip install keras torch==2.13.0      # only for this script; shapecli import keras needs neither
    KERAS_BACKEND=torch python tools/make_keras_fixtures.py

Each model below is built with Keras and saved under tests/fixtures/keras/ as
a `.keras` archive (the weights file is dropped from the zip: the importer
reads only config.json, and the fixtures stay small) and/or as a
`model.to_json()` file. tests/fixtures/keras/records.json records, per model,
Keras' count_params(), trainable and non-trainable counts, every weight's
path and shape, and the output shapes; tests/test_import_keras.py imports the
fixtures without Keras and compares shapecli's inference with these records.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"


def mlp_sequential():
    """A Sequential MLP with an input layer."""
    return keras.Sequential(
        [
            keras.Input((20,), name="features"),
            layers.Dense(64, activation="relu", name="hidden"),
            layers.Dropout(0.2, name="dropout"),
            layers.Dense(10, activation="softmax", name="probabilities"),
        ],
        name="mlp",
    )


def residual_cnn():
    """A functional CNN: convolutions, batch norm, a residual Add, pooling, a dense head."""
    image = keras.Input((32, 32, 3), name="image")
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, name="stem")(image)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    y = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_a")(x)
    y = layers.Conv2D(16, 3, padding="same", name="conv_b")(y)
    x = layers.Add(name="residual")([x, y])
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise")(x)
    x = layers.SeparableConv2D(24, 3, strides=2, padding="same", name="separable")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(10, name="logits")(x)
    return keras.Model(image, x, name="residual_cnn")


def two_towers():
    """Two inputs, a Dense layer shared by both, a concatenation and two outputs."""
    query = keras.Input((12,), name="query")
    doc = keras.Input((12,), name="doc")
    shared = layers.Dense(16, activation="tanh", name="encoder")
    q, d = shared(query), shared(doc)
    both = layers.Concatenate(name="both")([q, d])
    score = layers.Dense(1, activation="sigmoid", name="score")(both)
    diff = layers.Subtract(name="diff")([q, d])
    return keras.Model([query, doc], [score, diff], name="two_towers")


def text_classifier():
    """Embedding, a bidirectional LSTM, a GRU, a dense head."""
    tokens = keras.Input((40,), dtype="int32", name="tokens")
    x = layers.Embedding(5000, 32, name="embedding")(tokens)
    x = layers.Bidirectional(layers.LSTM(24, return_sequences=True), name="bilstm")(x)
    x = layers.GRU(16, name="gru")(x)
    x = layers.Dense(3, activation="softmax", name="classes")(x)
    return keras.Model(tokens, x, name="text_classifier")


def attention_block():
    """Self-attention with a residual and layer norms, a feed-forward block."""
    seq = keras.Input((10, 32), name="sequence")
    a = layers.MultiHeadAttention(num_heads=4, key_dim=8, name="attention")(seq, seq)
    x = layers.Add(name="add1")([seq, a])
    x = layers.LayerNormalization(epsilon=1e-6, name="norm1")(x)
    f = layers.Dense(64, activation="gelu", name="ff1")(x)
    f = layers.Dense(32, name="ff2")(f)
    x = layers.Add(name="add2")([x, f])
    x = layers.LayerNormalization(epsilon=1e-6, name="norm2")(x)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(seq, x, name="attention_block")


def reshaping():
    """Padding, cropping, upsampling, transposed convolution, reshape, permute, flatten."""
    image = keras.Input((16, 16, 2), name="image")
    x = layers.ZeroPadding2D(((1, 2), (3, 0)), name="pad")(image)
    x = layers.Cropping2D(((1, 2), (3, 0)), name="crop")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="up_conv")(x)
    x = layers.UpSampling2D(2, name="upsample")(x)
    x = layers.AveragePooling2D(4, name="avg")(x)
    x = layers.Reshape((64, 16), name="reshape")(x)
    x = layers.Permute((2, 1), name="permute")(x)
    x = layers.Conv1D(8, 5, strides=2, name="conv1d")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4, name="out")(x)
    return keras.Model(image, x, name="reshaping")


def unmappable():
    """A Lambda layer and a Rescaling layer, which the spec language cannot express."""
    image = keras.Input((8, 8, 1), name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(image)
    x = layers.Lambda(lambda t: t * 2, name="double")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(2, name="out")(x)
    return keras.Model(image, x, name="unmappable")


MODELS = {
    "mlp_sequential": (mlp_sequential, ("keras", "json")),
    "residual_cnn": (residual_cnn, ("keras",)),
    "two_towers": (two_towers, ("json",)),
    "text_classifier": (text_classifier, ("keras",)),
    "attention_block": (attention_block, ("json",)),
    "reshaping": (reshaping, ("keras", "json")),
    "unmappable": (unmappable, ("keras",)),
}
"""Fixture name → (the function that builds it, the formats it is saved in)."""


def record(model) -> dict:
    """What Keras says about a model: counts, weights, output shapes."""
    outputs = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    return {
        "count_params": model.count_params(),
        "trainable": trainable,
        "non_trainable": model.count_params() - trainable,
        "weights": {w.path: list(w.shape) for w in model.weights},
        "outputs": [list(s) for s in outputs],
    }


def save_archive(model, path: Path) -> None:
    """model.save(), keeping config.json and metadata.json (not the weights)."""
    buffer = io.BytesIO()
    scratch = path.with_suffix(".tmp.keras")
    model.save(scratch)
    with zipfile.ZipFile(scratch) as full, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as small:
        for name in ("metadata.json", "config.json"):
            small.writestr(name, full.read(name))
    scratch.unlink()
    path.write_bytes(buffer.getvalue())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    records = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "models": {}}
    for name, (build, formats) in MODELS.items():
        model = build()
        records["models"][name] = record(model)
        if "keras" in formats:
            save_archive(model, OUT / f"{name}.keras")
        if "json" in formats:
            (OUT / f"{name}.json").write_text(json.dumps(json.loads(model.to_json()), indent=1) + "\n")
        print(f"{name}: {records['models'][name]['count_params']:,} parameters")
    (OUT / "records.json").write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
