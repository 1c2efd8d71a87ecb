"""The Python API without a framework: load, infer, the Result, located errors, lazy imports,
and the build errors that come before any framework is imported."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import shapecli
from shapecli.api import FrameworkMissing, Param, Totals
from shapecli.cli import main

from .helpers import BUILD_INPUTS

ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def inspect_json(*args: str) -> dict:
    result = CliRunner().invoke(main, ["inspect", *args, "--format", "json"], catch_exceptions=False)
    return json.loads(result.stdout)


def test_infer_gives_the_numbers_and_names_of_inspect():
    result = shapecli.load("configs/mlp.yaml").infer(x=(2, 20))
    assert result.ok
    assert result.totals == Totals(7946, 7946, 0, 31784, "float32", 15360)
    assert result.outputs == {"dense1": (2, 10)}
    assert result.layer("dense0").params[0] == Param("dense0.weight", (256, None), (256, 20), 5120, True, False, None)
    assert [p.name for p in result.params()] == ["dense0.weight", "dense0.bias", "dense1.weight", "dense1.bias"]
    assert result.layer("dense1").input_shapes == ((2, 256),)


@pytest.mark.parametrize("config", sorted(BUILD_INPUTS))
def test_the_result_is_the_json_document_of_inspect(config):
    inputs = BUILD_INPUTS[config]
    result = shapecli.load(f"configs/{config}").infer(inputs)
    assert result.to_json() == inspect_json(f"configs/{config}", *(f"-i{k}={v}" for k, v in inputs.items()))


@pytest.mark.parametrize(
    "call",
    [
        lambda spec: spec.infer(x=(2, 20)),
        lambda spec: spec.infer(x="2x20"),
        lambda spec: spec.infer(x=[2, 20]),
        lambda spec: spec.infer({"x": (2, 20)}),
        lambda spec: spec.infer((2, 20)),
    ],
    ids=["tuple", "string", "list", "mapping", "unnamed"],
)
def test_ways_of_giving_an_input(call):
    assert call(shapecli.load("configs/mlp.yaml")).outputs == {"dense1": (2, 10)}


def test_symbolic_inputs_and_requirements():
    mlp = shapecli.load("configs/mlp.yaml").infer(x="Bx20")
    assert mlp.outputs == {"dense1": ("B", 10)}
    unet = shapecli.load("configs/unet.yaml").infer(image=(1, 3, "H", "W"))
    assert unet.requires == ("H % 16 == 0", "W % 16 == 0")
    assert unet.outputs == {"outc": (1, 2, "H", "W")}
    resnet = shapecli.load("configs/resnet50.yaml").infer()
    assert resnet.outputs == {"fc": ("batch", 1000)}
    assert resnet.totals.params == 25_557_032


def test_load_from_text_path_and_pathlike(tmp_path):
    text = "layers:\n  - {type: Dense, units: 3}\n"
    (tmp_path / "tiny.yaml").write_text(text)
    from_text = shapecli.load(text)
    assert (from_text.file, from_text.convention) == ("<text>", "torch")
    from_path = shapecli.load(tmp_path / "tiny.yaml")
    assert from_path.file == str(tmp_path / "tiny.yaml")
    assert from_path.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert shapecli.load(str(tmp_path / "tiny.yaml")).infer(x=(1, 4)).totals.params == 15
    assert shapecli.load("configs/siamese.yaml").inputs == {"query": ("batch", None), "doc": ("batch", None)}


def test_the_convention_is_the_pinned_one_unless_given():
    text = "layers:\n  - {type: Dense, units: 3}\ncheck: {convention: keras}\n"
    assert shapecli.load(text).convention == "keras"
    assert shapecli.load(text).infer(x=(1, 4)).params()[0].name == "dense0/kernel"
    assert shapecli.load(text, "torch").convention == "torch"
    with pytest.raises(ValueError, match="convention must be one of torch, keras, mxnet, not 'jax'"):
        shapecli.load(text, "jax")


def test_a_shape_mismatch_raises_with_the_diagnostics_the_cli_prints():
    with pytest.raises(shapecli.ShapeError) as caught:
        shapecli.load("configs/mlp_mismatch.yaml").infer(x=(2, 20))
    error = caught.value
    (d,) = error.diagnostics
    assert (d.kind, d.file, d.line, d.column, d.path) == ("shape_mismatch", "configs/mlp_mismatch.yaml", 4, 5, "dense0")
    assert d.message == "Dense 'dense0' declares in_units=30 but receives (2, 20)"
    assert d.expected == (2, 30) and d.received == (2, 20) and d.axes == (1,)
    assert d.origins[0].expected_from.what == "in_units: 30 of 'dense0'"
    assert error.result.errors == error.diagnostics and not error.result.ok
    cli = CliRunner().invoke(main, ["inspect", "configs/mlp_mismatch.yaml", "-i", "2x20"], catch_exceptions=False)
    assert cli.stderr.startswith(str(error) + "\n")  # then the warning about the unreached output
    assert str(d) == str(error)


def test_an_invalid_spec_raises_a_located_spec_error():
    with pytest.raises(shapecli.SpecError) as caught:
        shapecli.load("layers: [{type: Dense}]")
    assert caught.value.diagnostics[0].message == "Dense needs the argument 'units or out_features'"
    assert str(caught.value).splitlines()[:2] == [
        "<text>:1:10: error: Dense needs the argument 'units or out_features'",
        " 1 | layers: [{type: Dense}]",
    ]
    with pytest.raises(shapecli.SpecError, match="unknown layer type 'Dens'") as caught:
        shapecli.load("layers: [{type: Dens, units: 3}]")
    assert caught.value.diagnostics[0].hint == "did you mean 'Dense'?"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s: s.infer(), "configs/mlp.yaml:2:1: error: no shape for the input 'x': the spec does not declare one"),
        (lambda s: s.infer(y=(2, 20)), "configs/mlp.yaml: error: 'y' is no input of the spec (its inputs: x)"),
        (lambda s: s.infer(x=(2, -1)), "shapecli: error: a dimension is at least 0, not -1 (in (2, -1))"),
        (lambda s: s.infer(x=2.5), "a shape is a tuple such as (2, 20) or a string such as '2x20', not 2.5"),
        (lambda s: s.infer(x="2y20"), "'2y20' is not a dimension"),
        (lambda s: s.infer(x=(2, True)), "a dimension is an int, a symbol name or None, not True (in (2, True))"),
    ],
    ids=["missing", "unknown-name", "negative", "not-a-shape", "bad-string", "bool"],
)
def test_unusable_inputs_raise_input_errors(call, message):
    with pytest.raises(shapecli.InputError) as caught:
        call(shapecli.load("configs/mlp.yaml"))
    assert message in str(caught.value)


def test_several_inputs_must_be_named_and_a_missing_file_is_an_input_error():
    with pytest.raises(shapecli.InputError, match="the spec has inputs query, doc: give each by name"):
        shapecli.load("configs/siamese.yaml").infer((2, 20))
    with pytest.raises(shapecli.InputError, match="cannot read missing.yaml: No such file or directory"):
        shapecli.load("missing.yaml")


# -- build errors: raised before any framework is imported -------------------------------


def _message(error) -> str:
    return str(error).splitlines()[0]


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: shapecli.build_torch("inputs: {x: [2, 8]}\nlayers:\n  - {name: noise, type: GaussianNoise}\n"),
            "<text>:3:5: error: PyTorch has no counterpart of GaussianNoise 'noise': "
            "PyTorch has no Gaussian noise layer (Keras GaussianNoise)",
        ),
        (
            lambda: shapecli.build_keras(
                "inputs: {x: [2, 5, 8]}\nlayers:\n  - {name: enc, type: TransformerEncoderLayer, nhead: 2}\n"
            ),
            "<text>:3:5: error: Keras has no counterpart of TransformerEncoderLayer 'enc': "
            "Keras has no layer with PyTorch's TransformerEncoderLayer weights",
        ),
        (
            lambda: shapecli.build_torch(
                "inputs: {x: [1, 3, 8, 8]}\nlayers:\n"
                "  - {name: conv, type: Conv2d, filters: 4, kernel_size: 3, padding: [[1, 2], [1, 1]]}\n"
            ),
            "<text>:3:5: error: PyTorch cannot build Conv2d 'conv' (padding): "
            "PyTorch's convolutions pad both sides equally; pad with ZeroPad first",
        ),
        (
            lambda: shapecli.build_keras("configs/resnet50.yaml", image=(1, 3, 32, 32)),
            "configs/resnet50.yaml:64:5: error: Keras cannot build Conv2d 'conv1' (padding): "
            "Keras' convolutions take padding 'valid' or 'same'; pad with a ZeroPadding layer first",
        ),
        (
            lambda: shapecli.build_torch("inputs: {x: [2, 8]}\nlayers:\n  - {name: forward, type: Dense, units: 3}\n"),
            "<text>:3:5: error: PyTorch cannot name a part of the model 'forward' ('forward'): "
            "its modules have an attribute of that name",
        ),
        (
            lambda: shapecli.build_keras(
                "inputs: {x: [2, 5]}\nlayers:\n  - {name: wte, type: Embedding, num_embeddings: 9, embedding_dim: 4}\n"
                "  - {name: head, type: Dense, units: 9, use_bias: false, tie: wte}\n"
            ),
            "<text>:4:5: error: Keras cannot build the tie of 'head': "
            "Keras layers cannot hold another layer's variable; use share: to apply the same layer again",
        ),
    ],
    ids=["torch-type", "keras-type", "torch-argument", "keras-argument", "torch-reserved-name", "keras-tie"],
)
def test_what_a_framework_cannot_build_is_refused_where_the_spec_says_it(build, message):
    with pytest.raises(shapecli.BuildError) as caught:
        build()
    assert _message(caught.value) == message
    assert isinstance(caught.value, shapecli.SpecError)
    assert caught.value.diagnostics[0].kind == "build_error"


@pytest.mark.parametrize(
    "build, message, hint",
    [
        (
            lambda: shapecli.build_torch("configs/mlp.yaml"),
            "configs/mlp.yaml:3:5: error: the PyTorch model needs the shape of input 'x', which the spec does not "
            "declare: Dense 'dense0' has dense0.weight (256, ?), whose size follows from it",
            "give it: x=(…) in Python, --input x=… on the command line",
        ),
        (
            lambda: shapecli.build_torch("configs/siamese.yaml"),
            "configs/siamese.yaml:6:5: error: the PyTorch model needs numbers for the sizes of Dense 'enc_q': "
            "enc_q.weight (128, ?) depends on input 'query' (batch, ?)",
            "give input 'query' numbers for axis 1: query=(…) in Python, --input query=… on the command line",
        ),
        (  # lenet5 with its 32x32 digits left open (declared 32x32, H and W would be bound to 32)
            lambda: shapecli.build_torch(
                Path("configs/lenet5.yaml").read_text().replace("[batch, 1, 32, 32]", "[batch, 1, H, W]"),
                digits="Bx1xHxW",
            ),
            "<text>:15:5: error: the PyTorch model needs numbers for the sizes of Dense 'c5': "
            "c5.weight (120, 16*(floor(H/4) - 3)*(floor(W/4) - 3)) depends on input 'digits' (B, 1, H, W)",
            "give input 'digits' numbers for H, W: digits=(…) in Python, --input digits=… on the command line",
        ),
        (
            lambda: shapecli.build_keras("configs/mlp_immediate.yaml"),
            "configs/mlp_immediate.yaml:4:5: error: the Keras model needs the shape of input 'x', which the spec "
            "does not declare: Dense 'dense1' has dense1/kernel (?, 10), whose size follows from it",
            "give it: x=(…) in Python, --input x=… on the command line",
        ),
    ],
    ids=["undeclared", "unknown-axis", "symbolic", "keras"],
)
def test_a_missing_input_size_names_the_input_and_the_parameter(build, message, hint):
    with pytest.raises(shapecli.InputError) as caught:
        build()
    assert _message(caught.value) == message
    assert caught.value.diagnostics[0].hint == hint


def test_every_refused_layer_is_reported():
    with pytest.raises(shapecli.BuildError) as caught:
        shapecli.build_keras("configs/bert_base.yaml")
    assert [(d.line, d.path) for d in caught.value.diagnostics] == [
        (14, "position_embeddings"),
        *((17, f"layer.{i}") for i in range(12)),
    ]
    assert caught.value.diagnostics[1].message == (
        "Keras has no counterpart of TransformerEncoderLayer 'layer.0': "
        "Keras has no layer with PyTorch's TransformerEncoderLayer weights"
    )
    assert str(caught.value).count("error:") == 13


def test_a_spec_builds_in_the_framework_of_its_convention():
    with pytest.raises(shapecli.BuildError) as caught:
        shapecli.build_torch(shapecli.load("configs/mlp.yaml", "keras"), x=(2, 20))
    assert _message(caught.value) == (
        "configs/mlp.yaml: error: build_torch builds PyTorch models from specs under the torch convention; "
        "configs/mlp.yaml is loaded under the keras convention"
    )
    assert caught.value.diagnostics[0].hint == "use build_keras for a Keras model, or load it with convention='torch'"
    pinned = "layers:\n  - {type: Dense, units: 3}\ncheck: {convention: keras}\n"
    with pytest.raises(shapecli.BuildError) as caught:
        shapecli.build_torch(pinned, x=(2, 4))
    assert _message(caught.value) == (
        "<text>:3:21: error: build_torch builds PyTorch models from specs under the torch convention; "
        "<text> is loaded under the keras convention (its check: convention)"
    )
    with pytest.raises(shapecli.BuildError, match="MXNet .* has none"):
        shapecli.build_keras(shapecli.load("configs/mlp.yaml", "mxnet"), x=(2, 20))


def test_without_the_framework_the_builder_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(FrameworkMissing, match=r"build_torch needs PyTorch: pip install 'shapecli\[torch\]'"):
        shapecli.build_torch("configs/mlp.yaml", x=(2, 20))


# -- imports --------------------------------------------------------------------------------


def test_the_api_is_imported_lazily():
    code = (
        "import sys, shapecli.cli\n"
        "assert 'shapecli.api' not in sys.modules, 'the CLI imported the API'\n"
        "import shapecli\n"
        "result = shapecli.load('configs/mlp.yaml').infer(x=(2, 20))\n"
        "heavy = {'torch', 'keras', 'numpy'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "print(result.totals.params)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "7946\n"


def test_the_package_lists_its_api():
    assert {"load", "build_torch", "build_keras", "SpecError", "ShapeError"} <= set(dir(shapecli))
    assert shapecli.SpecError is shapecli.api.SpecError
    with pytest.raises(AttributeError, match="module 'shapecli' has no attribute 'nope'"):
        shapecli.nope  # noqa: B018
