"""`shapecli import keras`: .keras archives and to_json() files → specs, read without Keras.

The fixtures in tests/fixtures/keras/ and what Keras said about them
(records.json) come from tools/make_keras_fixtures.py; the keras-marked test
builds the same models live.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import main
from shapecli.infer import infer
from shapecli.spec import load_model

FIXTURES = Path(__file__).parent / "fixtures" / "keras"
RECORDS = json.loads((FIXTURES / "records.json").read_text())["models"]
IMPORTABLE = [
    "mlp_sequential.keras",
    "mlp_sequential.json",
    "residual_cnn.keras",
    "two_towers.json",
    "text_classifier.keras",
    "attention_block.json",
    "reshaping.keras",
    "reshaping.json",
]


def _import(path) -> str:
    from shapecli.importers.keras_import import import_keras

    return import_keras(str(path)).text


def _view(text: str) -> dict:
    """What shapecli infers from an imported spec at its check: inputs, in the terms of records.json."""
    model = load_model(text, "<imported>", "keras")
    trace = infer(model, model.check.inputs)
    assert not trace.errors, [e.message for e in trace.errors]
    weights = {p.name: list(p.after) for layer in trace.layers for p in layer.params if p.shared_with is None}
    outputs = [[None if not isinstance(d, int) else d for d in shape] for shape in trace.outputs.values()]
    return {
        "count_params": trace.totals.params,
        "trainable": trace.totals.trainable,
        "non_trainable": trace.totals.non_trainable,
        "weights": weights,
        "outputs": outputs,
    }


def _expected(name: str) -> dict:
    """The record, with a Sequential model's weight paths without the model's name (Keras 3 prefixes them)."""
    record = dict(RECORDS[name])
    if name == "mlp_sequential":
        record["weights"] = {path.split("/", 1)[1]: shape for path, shape in record["weights"].items()}
    return record


@pytest.mark.parametrize("file", IMPORTABLE)
def test_imported_spec_equals_what_keras_recorded(file):
    name = file.rsplit(".", 1)[0]
    assert _view(_import(FIXTURES / file)) == _expected(name)


@pytest.mark.parametrize("file", ["residual_cnn.keras", "two_towers.json", "text_classifier.keras"])
def test_spec_text(golden, file):
    text = _import(FIXTURES / file).replace(str(FIXTURES), "tests/fixtures/keras")
    golden(f"import_keras_{file.replace('.', '_')}.yaml", text)


def test_keras2_format():
    """tf.keras 2 writes inbound nodes as [[layer, node, index, kwargs], …] and batch_input_shape.

    keras2_functional.json is written by hand in that format: Dense 8→4 (36 parameters), Add,
    LeakyReLU(alpha), Dense 4→2 (10).
    """
    result = CliRunner().invoke(main, ["import", "keras", str(FIXTURES / "keras2_functional.json")])
    assert result.exit_code == 0, result.output
    assert "check: {inputs: {input_1: [batch, 8], input_2: [batch, 4]}, convention: keras}" in result.stdout
    assert "  - {name: add, type: Add, from: [dense, input_2]}\n" in result.stdout
    assert "  - {name: leaky_re_lu, type: LeakyReLU, negative_slope: 0.2}\n" in result.stdout
    assert result.stderr == (
        "shapecli: checked: the file records no layer output shapes to compare; 46 parameters; output (batch, 2)\n"
    )


def test_cli_and_check(tmp_path):
    out = tmp_path / "cnn.yaml"
    result = CliRunner().invoke(main, ["import", "keras", str(FIXTURES / "residual_cnn.keras"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "shapecli: checked: the 10 output shapes Keras recorded agree with the spec's; 6,786 parameters; "
        "output (batch, 10)\n"
    )
    checked = CliRunner().invoke(main, ["check", str(out)])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith(f"ok    {out}")


def test_unmappable_layers_are_all_reported():
    result = CliRunner().invoke(main, ["import", "keras", str(FIXTURES / "unmappable.keras")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"shapecli: error: cannot import {FIXTURES / 'unmappable.keras'}: 2 layers of the model have no spec "
        "equivalent\n"
        "  layer 'rescale' (Rescaling): a preprocessing layer; no shapecli layer type does this yet\n"
        "  layer 'double' (Lambda): runs arbitrary Python code, which a saved config does not describe\n"
    )


def _write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _config(**changes) -> dict:
    config = json.loads((FIXTURES / "two_towers.json").read_text())
    config.update(changes)
    return config


BAD_FILES = [
    ("empty.json", b"", "empty.json:1:1: invalid JSON: Expecting value"),
    ("junk.keras", bytes(range(256)) * 4, "junk.keras is neither a .keras archive (zip) nor a JSON file (byte 0x80"),
    ("broken.json", b'{"class_name": "Functional",\n "config": [}', "broken.json:2:13: invalid JSON: Expecting value"),
    ("list.json", b"[1, 2]", "list.json: the model configuration is a list, expected a JSON object"),
    ("legacy.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 64, "legacy.h5 is an HDF5 file (a legacy Keras .h5 model)"),
    ("truncated.keras", b"PK\x03\x04" + b"\0" * 20, "truncated.keras is not a readable zip archive ("),
    ("layer.json", json.dumps({"class_name": "Dense", "config": {}}).encode(), "layer.json holds a single Dense layer"),
    (
        "subclassed.json",
        json.dumps({"class_name": "MyModel", "config": {"units": 3}}).encode(),
        "subclassed.json holds a MyModel whose saved config has no layer graph (a subclassed model?)",
    ),
    (
        "no_layers.json",
        json.dumps({"class_name": "Functional", "config": {"name": "m"}}).encode(),
        "no_layers.json: the model's 'layers' is missing, expected a JSON list",
    ),
    (
        "dangling.json",
        json.dumps(_config(config={**_config()["config"], "layers": _config()["config"]["layers"][2:]})).encode(),
        "'encoder' takes output 0 of call 0 of layer 'query', which comes later or does not exist",
    ),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["import", "keras", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_archive_without_config(tmp_path):
    path = _write_archive(tmp_path / "weights.keras", {"model.weights.h5": b"\0"})
    result = CliRunner().invoke(main, ["import", "keras", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"shapecli: error: {path} is a zip archive without config.json (it holds model.weights.h5): "
        "not a .keras model\n"
    )


def test_archive_with_a_broken_config(tmp_path):
    path = _write_archive(tmp_path / "m.keras", {"config.json": b'{"class_name": '})
    result = CliRunner().invoke(main, ["import", "keras", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"shapecli: error: {path}!config.json:1:16: invalid JSON: Expecting value\n"


def test_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["import", "keras", str(tmp_path / "nothing.keras")])
    assert result.exit_code == 2
    assert result.stderr == f"shapecli: error: cannot read {tmp_path / 'nothing.keras'}: No such file or directory\n"


def test_refused_call_arguments(tmp_path):
    config = json.loads((FIXTURES / "attention_block.json").read_text())
    attention = next(layer for layer in config["config"]["layers"] if layer["name"] == "attention")
    attention["inbound_nodes"][0]["kwargs"]["use_causal_mask"] = True
    path = tmp_path / "causal.json"
    path.write_text(json.dumps(config))
    result = CliRunner().invoke(main, ["import", "keras", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "  layer 'attention' (MultiHeadAttention): is called with use_causal_mask=True (the layer type takes no mask)"
    )


def test_import_torch_without_torch():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from shapecli.cli import main\n"
        "main(['import', 'torch', 'torchvision.models:resnet18'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "shapecli: error: shapecli import torch needs PyTorch: pip install 'shapecli[torch]'\n"


def test_keras_path_imports_no_framework():
    code = (
        "import sys\n"
        "from shapecli.importers.keras_import import import_keras\n"
        f"import_keras({str(FIXTURES / 'text_classifier.keras')!r})\n"
        "loaded = [m for m in ('keras', 'torch', 'numpy', 'tensorflow', 'h5py') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# The layer table: every mapped class is listed here, and every refusal.
MAPPED = [
    "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "GlobalMaxPooling3D", "BatchNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization",
    "Embedding", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "MultiHeadAttention", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "AlphaDropout", "GaussianNoise", "Flatten",
    "Reshape", "Permute", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax", "Identity", "Add",
    "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
]  # fmt: skip

REFUSALS = {
    "runs arbitrary Python code": ["Lambda", "TFOpLambda", "SlicingOpLambda"],
    "a preprocessing layer": [
        "Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom",
        "RandomCrop", "RandomTranslation", "RandomContrast", "TextVectorization", "StringLookup", "IntegerLookup",
        "CategoryEncoding", "Hashing", "Discretization",
    ],
    "no shapecli layer type does this yet": [
        "TimeDistributed", "RepeatVector", "Dot", "Attention", "AdditiveAttention", "ConvLSTM1D", "ConvLSTM2D",
        "ConvLSTM3D", "LocallyConnected1D", "LocallyConnected2D", "Masking", "ActivityRegularization",
        "UnitNormalization", "SpectralNormalization", "EinsumDense",
    ],
    "around a custom cell": ["RNN"],
    "around custom cells": ["StackedRNNCells"],
}  # fmt: skip


def test_layer_table_lists_exactly_the_mapped_classes():
    from shapecli.importers.keras_layers import LAYERS
    from shapecli.registry import lookup

    assert sorted(LAYERS) == sorted(MAPPED)
    assert [name for name, rule in LAYERS.items() if lookup(rule.layer) is None] == []


def test_layer_table_refusals():
    from shapecli.importers.keras_layers import REFUSED

    expected = {name: reason for reason, names in REFUSALS.items() for name in names}
    assert set(REFUSED) == set(expected)
    for name, reason in expected.items():
        assert reason in REFUSED[name], name


# Configurations a layer type cannot express: (class name, config, the reason given).
REFUSED_CONFIGS = [
    ("Conv1D", {"filters": 2, "kernel_size": [3], "padding": "causal"}, "padding='causal'"),
    ("Dense", {"units": 2, "activation": {"class_name": "MyActivation"}}, "activation is a custom function"),
    ("LSTM", {"units": 2, "stateful": True}, "stateful=True (only False: a stateful layer keeps state"),
    ("LSTM", {"units": 2, "recurrent_activation": "hard_sigmoid"}, "recurrent_activation='hard_sigmoid'"),
    ("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 2}}, "merge_mode": "sum"}, "merge_mode"),
    ("ReLU", {"max_value": 3.0}, "max_value=3.0 (only none, or 6 for ReLU6)"),
    ("UpSampling2D", {"size": [2, 2], "interpolation": "bilinear"}, "interpolation='bilinear'"),
    ("Flatten", {"data_format": "channels_first"}, "data_format='channels_first'"),
    ("LayerNormalization", {"axis": -1, "rms_scaling": True}, "rms_scaling=True"),
]


@pytest.mark.parametrize(("class_name", "config", "reason"), REFUSED_CONFIGS, ids=[c[0] for c in REFUSED_CONFIGS])
def test_refused_configurations(class_name, config, reason):
    from shapecli.importers.keras_layers import LAYERS, Refused

    with pytest.raises(Refused) as raised:
        LAYERS[class_name].args(config)
    assert reason in str(raised.value)


def _builders():
    path = Path(__file__).parent.parent / "tools" / "make_keras_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_keras_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.keras
@pytest.mark.parametrize("name", [n for n in RECORDS if n != "unmappable"])
def test_live_keras_models(tmp_path, name):
    """Build with Keras, save both ways, import, and compare with count_params() and output shapes."""
    tools = _builders()
    model = tools.MODELS[name][0]()
    record = tools.record(model)
    archive = tmp_path / f"{name}.keras"
    model.save(archive)
    as_json = tmp_path / f"{name}.json"
    as_json.write_text(model.to_json())
    for path in (archive, as_json):
        view = _view(_import(path))
        assert view["count_params"] == model.count_params()
        assert (view["trainable"], view["non_trainable"]) == (record["trainable"], record["non_trainable"])
        assert view["outputs"] == record["outputs"]
